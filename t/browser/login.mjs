// The login flow in a real browser (Debian's headless Chromium driven by
// playwright-core): open the application, get sent to the login page,
// log in, see the application with your name, log out, and be asked to
// log in again; log in from two tabs, one after the other.  Prints TAP;
// t/browser.t runs it.
//
// usage: node login.mjs BASE_URL TENANT USER PASSWORD

import { focusedField, ok, run } from './tap.mjs';

const [base, tenant, user, password] = process.argv.slice(2);

await run(async (browser) => {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        locale: 'en-US',
    });
    const page = await context.newPage();

    await page.goto(`${base}/reports?month=5`);
    ok(new URL(page.url()).pathname === '/kot/login',
       'opening the application leads to the login page', page.url());
    ok(await page.locator('input[name="password"]').getAttribute('type')
       === 'password', 'the password field is masked');
    let field = await focusedField(page);
    ok(field.name === 'tenant', 'the cursor is in the first field, the '
       + 'company ID', JSON.stringify(field));

    // a mistyped password: only it needs typing again
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', 'not the password');
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
    ok(await page.inputValue('input[name="tenant"]') === tenant
       && await page.inputValue('input[name="username"]') === user,
       'after a failed login the company ID and the username are still '
       + 'filled in');
    field = await focusedField(page);
    ok(field.name === 'password' && field.value === '',
       'and the cursor is in the empty password field',
       JSON.stringify(field));
    ok(field.description.startsWith('Login failed')
       && field.invalid === 'true',
       'which a screen reader reads with the reason', JSON.stringify(field));

    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);

    ok(new URL(page.url()).pathname === '/reports',
       'after login the browser is back on the page it asked for',
       page.url());
    const body = await page.textContent('body');
    ok(body.includes(`user=[${user}]`), 'the application shows the user',
       body);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-kot_session');
    ok(session && session.secure && session.httpOnly
       && session.sameSite === 'Lax' && session.path === '/',
       'the browser holds a Secure, HttpOnly, SameSite=Lax "__Host-" cookie',
       JSON.stringify(session));
    ok(await page.evaluate(() => document.cookie) === '',
       'scripts on the page cannot read the session cookie');

    await page.goto(`${base}/kot/logout`);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
    ok((await page.textContent('body')).includes('You have logged out'),
       'logging out says so');

    await page.goto(`${base}/reports`);
    ok(new URL(page.url()).pathname === '/kot/login',
       'after logout the application asks for a login again', page.url());

    const ja = await browser.newContext({ ignoreHTTPSErrors: true,
                                          locale: 'ja-JP' });
    const jpage = await ja.newPage();
    await jpage.goto(`${base}/reports`);
    ok((await jpage.textContent('h1')) === 'ログイン',
       'a Japanese browser sees the login page in Japanese');

    // two tabs, each sent to the login page: a login in the first must
    // not turn the second's form into "Access denied"
    const tabs = await browser.newContext({ ignoreHTTPSErrors: true,
                                            locale: 'en-US' });
    const first = await tabs.newPage();
    const second = await tabs.newPage();
    await first.goto(`${base}/reports?month=5`);
    await second.goto(`${base}/invoices?year=2026`);
    for (const tab of [first, second]) {
        await tab.fill('input[name="tenant"]', tenant);
        await tab.fill('input[name="username"]', user);
        await tab.fill('input[name="password"]', password);
        await Promise.all([tab.waitForNavigation(),
                           tab.click('button[type="submit"]')]);
    }
    ok(new URL(second.url()).pathname === '/invoices'
       && (await second.textContent('body')).includes(`user=[${user}]`),
       'a login in a second tab, after one in the first, reaches its page',
       `${second.url()}: ${await second.textContent('body')}`);
});
