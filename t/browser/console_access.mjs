// Who cannot use the admin console: a plain user gets 403 for it, and a
// tenant admin who names another company in the console's address sees
// exactly what a company that does not exist shows, with none of its
// data.  Prints TAP; t/console.t runs it.
//
// usage: node console_access.mjs BASE_URL TENANT USER PASSWORD ADMIN
//                                PASSWORD OTHER_TENANT OTHER_USER

import { ok, run } from './tap.mjs';
import { watch, recordCsp } from './watch.mjs';

const [base, tenant, user, password, admin, adminPassword, other,
       otherUser] = process.argv.slice(2);

async function login(page, name, pw) {
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', name);
    await page.fill('input[name="password"]', pw);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

await run(async (browser) => {
    const plain = await browser.newContext({ ignoreHTTPSErrors: true,
                                             locale: 'ja-JP' });
    const p = await plain.newPage();
    await p.goto(`${base}/kot/admin/`);
    await login(p, user, password);
    ok(new URL(p.url()).pathname === '/kot/admin/',
       'a plain user is sent back to the console after login', p.url());
    const res = await p.reload();
    ok(res.status() === 403, 'and gets 403 for it', res.status());
    ok((await p.textContent('body')).includes('権限がありません'),
       'with a page that says the account has no permission');
    ok(!(await p.content()).includes('js/main.js'),
       'and none of the console');
    const r = await plain.request.get(`${base}/kot/admin/api/session`);
    const api = `${r.status()} ${(await r.json()).error}`;
    ok(api === '403 forbidden', 'its API refuses the user too', api);

    const context = await browser.newContext({ ignoreHTTPSErrors: true,
                                               locale: 'ja-JP' });
    const violations = [];
    await recordCsp(context, violations);
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/kot/admin/`);
    await login(page, admin, adminPassword);
    await page.waitForSelector('#view[aria-busy="false"]');

    // what the console shows for a company of name T
    const shown = async (t) => {
        w.expect(404, new RegExp(`^GET /kot/admin/api/tenants/${t}/`));
        await page.goto(`${base}/kot/admin/?tenant=${t}&view=users`);
        await page.waitForSelector('#view[aria-busy="false"]');
        return (await page.textContent('main')).trim();
    };

    const theirs = await shown(other);
    const nobody = await shown('no-such-company');
    ok(theirs.replace(other, 'T') === nobody.replace('no-such-company', 'T'),
       'a tenant admin who opens another company in the console sees what '
       + 'a company that does not exist shows', `${theirs}\n${nobody}`);
    ok(theirs.includes('管理対象ではありません') && !theirs.includes(otherUser),
       'which says there is nothing to manage, and shows none of its users',
       theirs);

    for (const view of ['sessions', 'networks', 'policy', 'events',
                        'support']) {
        w.expect(404, new RegExp(`^GET /kot/admin/api/tenants/${other}/`));
        w.expect(404, new RegExp(`^GET /kot/admin/api/tenants/${other}/`));
        await page.goto(`${base}/kot/admin/?tenant=${other}&view=${view}`);
        await page.waitForSelector('#view[aria-busy="false"]');
        const text = await page.textContent('main');
        ok(text.includes('管理対象ではありません')
           && !text.includes(otherUser),
           `nor its ${view}`, text);
    }

    ok(w.problems.length === 0 && violations.length === 0,
       'the console had no console error, unexpected failed request or CSP '
       + 'violation', [...w.problems, ...violations].join('\n'));
});
