// A form sent after the session ended, in a real browser: the user lands
// on the login page, which says that the submission was not saved, and
// after the login is back on the page of the form.  A script's request
// after expiry gets 401, not the login page.  Prints TAP; t/ajax_expiry.t
// runs it against a site whose sessions end 2 seconds after login.
//
// usage: node form_expiry.mjs BASE_URL TENANT USER PASSWORD

import { ok, run } from './tap.mjs';

const [base, tenant, user, password] = process.argv.slice(2);

async function logIn(page) {
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

await run(async (browser) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true,
                                               locale: 'en-US' });
    const page = await context.newPage();

    await page.goto(`${base}/notes/edit?id=7`);
    await logIn(page);
    ok(new URL(page.url()).pathname === '/notes/edit',
       'after login the browser shows the form', page.url());

    // the page's own script polls, as an SPA would, until the session ends
    const status = await page.evaluate(async () => {
        for (let i = 0; i < 100; i++) {
            const r = await fetch('/notes/ping',
                                  { headers: { Accept: 'text/html' } });
            if (r.status !== 200) {
                return `${r.status} ${r.headers.get('content-type')}`;
            }
            await new Promise((done) => setTimeout(done, 100));
        }
        return 'still open';
    });
    ok(status === '401 application/json',
       "after expiry a script's request gets 401 JSON, not the login page",
       status);

    await page.fill('textarea[name="text"]', 'two hours of typing');
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);

    const url = new URL(page.url());
    ok(url.pathname === '/kot/login',
       'the form sent after expiry leads to the login page', page.url());
    ok(url.searchParams.get('return_to') === '/notes/edit?id=7',
       'which will lead back to the page of the form', page.url());
    const body = await page.textContent('body');
    ok(body.includes('what you submitted was not saved'),
       'and says that the submission was not saved', body);

    await logIn(page);
    ok(page.url() === `${base}/notes/edit?id=7`,
       'after login the browser is back on the form', page.url());
});
