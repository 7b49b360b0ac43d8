// What the browser keeps after logout, in a real browser: the application's
// pages (sent without Cache-Control, as many are) must not come back with
// the back button for the next person at a shared computer.  Prints TAP;
// t/browser.t runs it over plain HTTP on 127.0.0.1, where Chromium caches
// (it caches nothing from a site whose certificate it had to ignore) and
// which it counts as a secure origin.
//
// usage: node logout.mjs BASE_URL TENANT USER PASSWORD

import { ok, run } from './tap.mjs';

const [base, tenant, user, password] = process.argv.slice(2);

await run(async (browser) => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();

    await page.goto(`${base}/reports?month=5`);
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
    ok((await page.textContent('body')).includes(`user=[${user}]`),
       'the application shows the user after login');

    await page.goto(`${base}/kot/logout`);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
    ok((await page.textContent('body')).includes('You have logged out'),
       'logging out says so');

    // back past the logout page to the application's page
    let shown = '';
    for (let i = 0; i < 2; i++) {
        await page.goBack();
        shown += `${page.url()}: ${await page.textContent('body')}\n`;
    }
    ok(!shown.includes(`user=[${user}]`), 'after logout the back button '
       + "shows nothing of the application's pages", shown);
    ok(new URL(page.url()).pathname === '/kot/login',
       'but the login page', page.url());
});
