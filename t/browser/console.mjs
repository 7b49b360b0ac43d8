// The admin console in a real browser, as a tenant admin uses it: log
// in through the portal; add a user and read the temporary password;
// that user logs in and must change it; lock them by failed logins and
// unlock them; see who has two-step login and reset it for a lost
// phone, by keyboard; enable an account unused too long, by keyboard;
// edit the access list with one bad line, then a
// good one; end the user's sessions; delete the user and try the name
// again; a password the policy refuses; switch the language.  Then a
// session that ends under the console, and support access as the
// operator's system admin sees it, which cannot reset a password nor add
// a user.  Every screen
// is photographed in both languages at 1280 and 375 px, and checked for
// what a user would notice.  Prints TAP; t/console.t runs it.
//
// usage: node console.mjs BASE_URL TENANT ADMIN PASSWORD OPERATOR SYSADMIN
//                         SYSPASSWORD SCREENSHOT_DIR MFA_USER MFA_PASSWORD
//                         INACTIVE_USER INACTIVE_PASSWORD

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ok, run } from './tap.mjs';
import { watch, recordCsp, audit, api, ready, says } from './watch.mjs';

const [base, tenant, admin, adminPassword, operator, sysadmin, sysPassword,
       shots, mfaUser, mfaPassword, dormant,
       dormantPassword] = process.argv.slice(2);
const newUser = 'kenta';
const newPassword = 'a long phrase of my own';
const wrongPassword = 'not the password at all';

const ui = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
                        '../../admin/ui');

// Both message tables have the same keys, and every key the console
// names is in them.
async function tables() {
    const ja = (await import(`${ui}/i18n/ja.js`)).default;
    const en = (await import(`${ui}/i18n/en.js`)).default;
    const only = (a, b) => Object.keys(a).filter((k) => !(k in b));
    ok(only(ja, en).length === 0 && only(en, ja).length === 0,
       'the Japanese and English message tables have the same keys',
       `${only(ja, en)} | ${only(en, ja)}`);

    const missing = [];
    const files = fs.readdirSync(ui, { recursive: true })
        .filter((f) => f.endsWith('.js'));
    for (const f of files.filter((name) => !name.startsWith('i18n'))) {
        const src = fs.readFileSync(`${ui}/${f}`, 'utf8');
        for (const [, key] of src.matchAll(/\bt[n]?\('([a-z_.]+)'/g)) {
            if (!(key in ja)) {
                missing.push(`${f}: ${key}`);
            }
        }
    }
    ok(missing.length === 0, 'every message the console names is in them',
       missing.join('\n'));

    const broken = files.filter((f) => spawnSync(
        'node', ['--input-type=module', '--check'],
        { input: fs.readFileSync(`${ui}/${f}`) }).status !== 0);
    ok(broken.length === 0, 'every script of the console parses',
       broken.join(' '));

    const html = fs.readFileSync(`${ui}/index.html`, 'utf8')
        .replace(/<!--[\s\S]*?-->/g, '');
    ok(!/>[^<\s]+</.test(html) && !/<script>|\sstyle=|\son\w+=/.test(html),
       'the markup holds no text, no inline script and no inline style');
}

async function portalLogin(page, t, user, password) {
    if (await page.locator('input[name="tenant"]').count()) {
        await page.fill('input[name="tenant"]', t);
    }
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

async function heading(page) {
    return (await page.textContent('h1')).trim();
}

async function open(page, query) {
    await page.goto(`${base}/kot/admin/${query}`);
    await ready(page);
}

// Photographs the screen at both widths, and checks it at each.
async function shoot(page, name) {
    const lang = await page.evaluate(() => document.documentElement.lang);
    for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: width > 400 ? 900 : 812 });
        await page.evaluate(() => new Promise(requestAnimationFrame));
        await page.screenshot({ path: `${shots}/${name}-${lang}-${width}.png`,
                                fullPage: true });
        const found = await audit(page, width < 400);
        ok(found.length === 0,
           `${name} (${lang}, ${width} px) is usable: labels, targets, `
           + 'no sideways scrolling, contrast, no message keys',
           found.join('\n'));
    }
    await page.setViewportSize({ width: 1280, height: 900 });
}

const screens = [
    ['users', '?view=users'],
    ['user', '?view=user&u=alice'],
    ['user-new', '?view=user-new'],
    ['sessions', '?view=sessions'],
    ['networks', '?view=networks'],
    ['policy', '?view=policy'],
    ['support', '?view=support'],
    ['events', '?view=events'],
];

// A given password that the policy refuses (the tenant's minimum is 16
// by now): the rules it breaks, at the field, in the console's
// language and not in the API's English.
async function refusedPassword(page, ...rules) {
    const name = 'yuki';
    await open(page, '?view=user-new');
    await page.locator('input[type="text"]').first().fill(name);
    await page.locator('#pw-manual').check();
    await page.locator('input[type="password"]').fill(name);
    await page.locator('form button[type="submit"]').click();
    await page.locator('.field-error:visible').waitFor();
    const said = await page.textContent('.field-error:visible');
    ok(rules.every((r) => said.includes(r))
       && !/too short|contains the/.test(said),
       'a password the policy refuses is refused with its rules, in the '
       + 'console\'s language', said);
}

async function tour(page) {
    for (const [name, query] of screens) {
        await open(page, query);
        await shoot(page, name);
    }
}

await run(async (browser) => {
    await tables();

    const context = await browser.newContext({
        ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo',
        viewport: { width: 1280, height: 900 },
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'],
                                   { origin: base });
    const violations = [];
    await recordCsp(context, violations);
    const page = await context.newPage();
    const w = watch(page);

    // Whether the user with two-step login is asked for a code after
    // the password (or goes straight to the application), as expected.
    const mfaContext = await browser.newContext({ ignoreHTTPSErrors: true });
    const mfaPage = await mfaContext.newPage();
    async function mfaLogin(asked) {
        await mfaPage.goto(`${base}/reports`);
        await portalLogin(mfaPage, tenant, mfaUser, mfaPassword);
        const where = new URL(mfaPage.url()).pathname;
        ok(asked ? where === '/kot/login/code'
                 : (await mfaPage.textContent('body'))
                       .includes(`user=[${mfaUser}]`),
           asked ? `${mfaUser}'s login asks for a code after the password`
                 : `${mfaUser} then logs in with the password alone`,
           mfaPage.url());
    }

    // 1. the portal's login, and back to the console; the address
    // without its slash leads there too
    const bare = await page.request.get(`${base}/kot/admin?view=users`,
                                        { maxRedirects: 0 });
    ok(bare.status() === 301
       && new URL(bare.headers().location, base).pathname === '/kot/admin/'
       && new URL(bare.headers().location, base).search === '?view=users',
       '/kot/admin without the slash is sent on to the console',
       `${bare.status()} ${bare.headers().location}`);
    await page.goto(`${base}/kot/admin/`);
    ok(new URL(page.url()).pathname === '/kot/login',
       'opening the console leads to the login page', page.url());
    await portalLogin(page, tenant, admin, adminPassword);
    await ready(page);
    ok(new URL(page.url()).pathname === '/kot/admin/'
       && await heading(page) === 'ユーザー',
       'after login the console shows the users, in Japanese',
       `${page.url()} ${await heading(page)}`);
    ok((await page.textContent('#who')).includes(admin),
       'the header names the admin');

    // 2. a new user, and the temporary password shown once; by keyboard
    await page.getByLabel('名前またはロールで検索').focus();
    let reached = false;
    for (let i = 0; i < 5 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() =>
            document.activeElement.textContent === 'ユーザーを追加');
    }
    ok(reached && await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    }), 'the keyboard reaches "add a user", and its focus shows');
    await page.keyboard.press('Enter');
    await ready(page);
    ok(await heading(page) === 'ユーザーを追加', 'Enter opens it');
    await page.getByLabel('ユーザー名').fill(newUser);
    await page.getByLabel('ユーザー名').press('Enter');
    await page.locator('.secret').waitFor();
    const temporary = (await page.textContent('.secret')).trim();
    ok(temporary.length >= 12, 'adding a user shows a temporary password',
       temporary);
    ok(await says(page, newUser), 'and says it was added');
    await page.getByRole('button', { name: 'コピー' }).click();
    await page.locator('.copied:has-text("コピーしました")').waitFor();
    ok(await page.evaluate(() => navigator.clipboard.readText()) === temporary,
       'the copy button puts it on the clipboard');
    await shoot(page, 'user-added');

    // 3. the new user logs in and must change the password
    const userContext = await browser.newContext({ ignoreHTTPSErrors: true,
                                                   locale: 'ja-JP' });
    const userPage = await userContext.newPage();
    await userPage.goto(`${base}/reports`);
    await portalLogin(userPage, tenant, newUser, temporary);
    ok(new URL(userPage.url()).pathname === '/kot/password',
       'the new user logs in with it and must change it', userPage.url());
    await userPage.fill('input[name="current_password"]', temporary);
    await userPage.fill('input[name="new_password"]', newPassword);
    await userPage.fill('input[name="confirm_password"]', newPassword);
    await Promise.all([userPage.waitForNavigation(),
                       userPage.click('button[type="submit"]')]);
    ok((await userPage.textContent('body')).includes(`user=[${newUser}]`),
       'and then reaches the application');

    // 4. locked by failed logins, unlocked in the console
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    const otherPage = await other.newPage();
    for (let i = 0; i < 3; i++) {
        await otherPage.goto(`${base}/kot/login`);
        await portalLogin(otherPage, tenant, newUser, wrongPassword);
    }
    await open(page, '?view=users&state=locked');
    const row = page.locator('tr', { hasText: newUser });
    ok(await row.count() === 1
       && (await row.textContent()).includes('ロック中'),
       'the users list shows the user locked');
    await row.getByRole('link', { name: newUser, exact: true }).click();
    await ready(page);
    await shoot(page, 'user-locked');
    await page.getByRole('button', { name: 'ロック解除' }).click();
    ok(await says(page, 'ロックを解除しました'),
       'unlocking says so');
    await ready(page);
    ok((await page.textContent('.summary')).includes('有効'),
       'and the user is active again');
    await otherPage.goto(`${base}/kot/login`);
    await portalLogin(otherPage, tenant, newUser, newPassword);
    ok((await otherPage.textContent('body')).includes(`user=[${newUser}]`),
       'the unlocked user logs in again');

    // two-step login: who has it, and its reset asked first; Escape
    // keeps it
    await open(page, '?view=users');
    ok((await page.locator('tr', { hasText: mfaUser }).textContent())
           .includes('設定済み')
       && (await page.locator('tr', { hasText: 'alice' }).textContent())
           .includes('未設定'),
       'the users list says who has set up two-step login');
    await page.getByLabel('表示', { exact: true }).selectOption('no_mfa');
    ok(!(await page.textContent('#view tbody')).includes(mfaUser)
       && (await page.textContent('#view tbody')).includes('alice'),
       'and shows only those without it when asked');
    await open(page, `?view=user&u=${mfaUser}`);
    ok(/\d{4}/.test(await page.locator(
           '.summary dt:text-is("パスワード設定日時") + dd').textContent()),
       'the user page says when the password was set');
    ok((await page.textContent('.summary')).includes('設定済み'),
       'the user\'s page says it is set up');
    await shoot(page, 'user-mfa');
    await mfaLogin(true);
    const mfaReset = page.getByRole('button', { name: '2段階認証をリセット' });
    await mfaReset.focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    ok((await page.textContent('dialog[open] h2')).includes(mfaUser)
       && (await page.textContent('dialog[open]')).includes('ログアウト'),
       'resetting it asks first, naming the user and saying they are '
       + 'logged out');
    await shoot(page, 'user-mfa-reset');
    await page.keyboard.press('Escape');
    await page.locator('dialog').waitFor({ state: 'detached' });
    ok(await page.evaluate(() => document.activeElement.textContent)
           === '2段階認証をリセット'
       && (await page.textContent('.summary')).includes('設定済み'),
       'Escape changes nothing and gives the focus back to the button');

    // the admin's own page, named in capitals: no reset of its own
    // password or two-step login (a stolen session could keep the
    // account), but the portal's pages, which ask for the current
    // password, and come back here
    await open(page, `?view=user&u=${admin.toUpperCase()}`);
    const own = await page.textContent('#view');
    ok(!await page.getByRole('button', { name: 'パスワードをリセット' }).count()
       && !await page.getByRole('button', { name: '2段階認証をリセット' })
           .count()
       && own.includes('現在のパスワードを確認する'),
       'the admin\'s own page offers no reset of its own password or '
       + 'two-step login, and says where to change them', own);
    for (const [name, where] of [['パスワードを変更', '/kot/password'],
                                 ['2段階認証の設定', '/kot/mfa']]) {
        const href = await page.getByRole('link', { name, exact: true })
            .getAttribute('href');
        const to = new URL(href, page.url());
        const res = await page.request.get(to.href, { maxRedirects: 0 });
        ok(to.pathname === where && res.status() === 200
           && to.searchParams.get('return_to')
              === `/kot/admin/?view=user&u=${admin.toUpperCase()}`,
           `"${name}" opens ${where}, which comes back to the page`,
           `${href} ${res.status()}`);
    }
    await shoot(page, 'user-self');

    // an account unused for longer than the tenant allows: inactive,
    // and enabled again from its page, by keyboard
    await open(page, '?view=users');
    ok((await page.locator('tr', { hasText: dormant }).textContent())
           .includes('休眠中')
       && !(await page.locator('tr', { hasText: 'alice' }).textContent())
           .includes('休眠中'),
       'the users list says which account is inactive');
    await page.getByLabel('表示', { exact: true }).selectOption('inactive');
    ok((await page.textContent('#view tbody')).includes(dormant)
       && !(await page.textContent('#view tbody')).includes('alice'),
       'and shows only those when asked');
    await open(page, `?view=user&u=${dormant}`);
    ok((await page.textContent('.summary')).includes('休眠中')
       && (await page.textContent('main')).includes('使われていないため'),
       'the user\'s page says it is inactive, and why');
    await shoot(page, 'user-inactive');
    await page.getByRole('button', { name: '有効にする', exact: true })
        .focus();
    await page.keyboard.press('Enter');
    ok(await says(page, `${dormant} を有効にしました`),
       'enabling it by keyboard says so');
    await ready(page);
    ok(!(await page.textContent('.summary')).includes('休眠中')
       && (await page.textContent('.summary')).includes('有効'),
       'and the account is active again');
    ok(await page.evaluate(() => document.activeElement
                                 === document.querySelector('#view h1')),
       'and the keyboard\'s place is the heading of the screen shown '
       + 'anew, not the top of the page',
       await page.evaluate(() => `${document.activeElement.tagName} `
                                 + document.activeElement.textContent));

    // a role the server refuses (office staff write one in Japanese): why,
    // and what a role may be, in Japanese, not the API's English
    w.expect(422, api('PATCH', `users/${dormant}`));
    const otherRoles = page.getByLabel('その他のロール');
    await otherRoles.fill('経理');
    await page.locator('form', { has: otherRoles })
        .getByRole('button', { name: '保存する' }).click();
    const roleError = page.locator('.field-error:visible');
    await roleError.waitFor();
    ok(/^「経理」はロールに使えません。[^A-Z]*$/
           .test(await roleError.textContent())
       && !/not a role/.test(await page.textContent('#live-alert')),
       'a role the server refuses is said in Japanese, with what a role '
       + 'may be', await roleError.textContent());
    await otherRoles.fill('');
    const back = await (await browser.newContext({ ignoreHTTPSErrors: true }))
        .newPage();
    await back.goto(`${base}/reports`);
    await portalLogin(back, tenant, dormant, dormantPassword);
    ok((await back.textContent('body')).includes(`user=[${dormant}]`),
       'the user logs in again');

    // the lock, in the events: found by user and by action, marked
    await open(page, '?view=events');
    await page.getByLabel('ユーザー', { exact: true }).fill(newUser);
    await page.getByLabel('イベント', { exact: true })
        .selectOption('account_locked');
    const locks = page.locator('#view tbody tr');
    ok(await locks.count() === 1
       && (await locks.first().getAttribute('class')) === 'highlight'
       && (await locks.first().textContent()).includes('要注意'),
       'the events show the lock, filtered by user and action, marked for '
       + 'attention', await page.textContent('#view'));

    // 5. the access list: one bad line, then a good list; and a list
    // that would shut the admin out
    await open(page, '?view=networks');
    const ip = (await page.textContent('.your-ip .ip')).trim();
    ok(ip === '127.0.0.1', 'the networks screen shows the admin\'s address',
       ip);
    const access = page.getByLabel('ネットワーク（1行に1つ）').first();
    const saveAccess = page.getByRole('button',
                                      { name: 'アクセス許可リストを保存' });
    w.expect(422, api('PUT', 'allowlists/access'));
    // two bad lines, as README's screenshot of this screen shows them
    await access.fill('127.0.0.0/8\n10.1.2.0/33\n::1/128\n192.0.2.1/24');
    await saveAccess.click();
    await page.locator('.gutter .bad').first().waitFor();
    const badLine = await page.locator('.field-error:visible').first()
        .textContent();
    const marks = await page.locator('.gutter .bad').allTextContents();
    ok(JSON.stringify(marks) === '["! 2","! 4"]'
       && badLine.includes('2行目')
       && badLine.includes('プレフィックス長が範囲外です（IPv4 は /0〜/32）'),
       'each bad network is marked at its line, the first said in Japanese',
       JSON.stringify(marks) + await page.textContent('main'));
    ok((await page.textContent('#live-alert')).includes('2行目'),
       'and announced');
    await shoot(page, 'networks-error');
    await access.fill('127.0.0.0/8\n::1/128');
    await saveAccess.click();
    ok(await says(page, 'アクセス許可リストを保存しました'),
       'a good list is saved');
    await open(page, '?view=networks');
    ok(await page.getByLabel('ネットワーク（1行に1つ）').first().inputValue()
       === '127.0.0.0/8\n::1/128', 'and kept');

    w.expect(409, api('PUT', 'allowlists/admin'));
    await page.getByLabel('ネットワーク（1行に1つ）').nth(1)
        .fill('192.0.2.0/24');
    await page.getByRole('button', { name: '管理用許可リストを保存' }).click();
    await page.locator('.lockout:visible').waitFor();
    ok((await page.textContent('.lockout:visible')).includes('127.0.0.1'),
       'a list that would shut the admin out is a warning that names '
       + 'their address');
    await shoot(page, 'networks-lockout');
    await page.getByRole('button', { name: 'それでも保存する' }).click();
    await page.locator('dialog[open]').waitFor();
    ok(await page.locator('dialog[open] button.danger').isDisabled(),
       'saving it anyway asks a second time, and first that the admin '
       + 'ticks that they understand');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '編集に戻る' }).click();

    // the password policy: nothing looser than the server's floor
    let policyPuts = 0;
    page.on('request', (r) => {
        policyPuts += r.method() === 'PUT' && r.url().endsWith('/policy');
    });
    await open(page, '?view=policy');
    const minLength = page.getByLabel('最小文字数');
    await minLength.fill('8');
    await page.getByRole('button', { name: '保存する' }).click();
    ok((await page.locator('.rule .field-error:visible').textContent())
           .includes('12文字') && policyPuts === 0,
       'a rule looser than the server\'s floor is pointed out, and not sent');
    await minLength.fill('16');
    await page.getByLabel('パスワードの有効期間').fill('90');
    await page.getByRole('button', { name: '保存する' }).click();
    ok(await says(page, 'パスワードポリシーを保存しました'),
       'a stricter policy is saved');
    await open(page, '?view=policy');
    ok(await page.getByLabel('最小文字数').inputValue() === '16'
       && await page.getByLabel('パスワードの有効期間').inputValue() === '90',
       'and kept', await page.textContent('form'));

    // mfa=required, set with kotctl, shows on this screen and outlives
    // a save here, and so does a rule this screen does not know (of a
    // newer server): PUT policy replaces every rule, and one left out
    // is removed.  The tenant's GET is given the rules, and the PUT is
    // caught before it reaches the server, which would then require
    // two-step login of this admin for the rest of the run.
    const policyUrl = (u) => /\/api\/tenants\/[^/]+\/policy$/
        .test(new URL(u).pathname);
    let putBody = null;
    const withMfa = async (route) => {
        if (route.request().method() === 'PUT') {
            putBody = route.request().postDataJSON();
            await route.fulfill({ status: 200, json: {} });
            return;
        }
        const res = await route.fetch();
        const data = await res.json();
        data.rules = { ...data.rules, mfa: 'required', newer: 'kept' };
        await route.fulfill({ response: res, json: data });
    };
    await page.route(policyUrl, withMfa);
    await open(page, '?view=policy');
    ok(await page.getByLabel('すべてのユーザーに2段階認証を必須にする')
           .isChecked(),
       'the policy screen shows two-step login required, as kotctl set it');
    await page.getByRole('button', { name: '保存する' }).click();
    ok(await says(page, 'パスワードポリシーを保存しました')
       && putBody && putBody.mfa === 'required' && putBody.newer === 'kept'
       && putBody.min_length === 16,
       'saving the policy keeps it, and a rule the screen does not know',
       JSON.stringify(putBody));
    await ready(page);
    await page.unroute(policyUrl, withMfa);
    await open(page, '?view=policy');

    // a policy the server refuses (a minimum age not shorter than the
    // expiry, which this screen does not check): the rule and the bound
    // in Japanese, not the API's English, at the rule, which takes the
    // focus
    w.expect(422, api('PUT', 'policy'));
    const minAge = page.getByLabel('変更してから次に変更できるまで');
    await minAge.fill('100');
    await page.getByRole('button', { name: '保存する' }).click();
    const ruleError = page.locator('.rule .field-error:visible');
    await ruleError.waitFor();
    ok((await ruleError.textContent()).includes(
           '「変更してから次に変更できるまで」は、パスワードの有効期間（90日）'
           + 'より短く')
       && !/[A-Za-z]/.test(await ruleError.textContent())
       && await minAge.evaluate((el) => el === document.activeElement
                                        && el.getAttribute('aria-invalid')
                                           === 'true'),
       'a policy the server refuses is said in Japanese, with the rule and '
       + 'its bound, at the rule, which takes the focus',
       await ruleError.textContent());

    // every screen, in Japanese
    await tour(page);

    // 6. ending the user's sessions logs them out
    await open(page, `?view=sessions&user=${newUser}`);
    ok((await page.textContent('.count')).includes('2'),
       'the sessions screen shows both sessions of the user');
    await page.getByRole('button',
                         { name: `${newUser} のすべてのセッションを終了` })
        .click();
    await page.locator('dialog[open]').waitFor();
    await page.locator('dialog[open] button.danger').click();
    ok(await says(page, `${newUser} のすべてのセッションを終了しました`),
       'ending them says so');
    let loggedOut = false;
    for (let i = 0; i < 20 && !loggedOut; i++) {
        await userPage.goto(`${base}/reports`);
        loggedOut = new URL(userPage.url()).pathname === '/kot/login';
    }
    ok(loggedOut, 'and the user\'s next request gets the login page',
       userPage.url());

    // 7. deleting the user; the name is never issued again
    await open(page, `?view=user&u=${newUser}`);
    await page.getByRole('button', { name: '削除する' }).click();
    await page.locator('dialog[open]').waitFor();
    const dialog = await page.textContent('dialog[open]');
    ok(dialog.includes('二度と使えなくなります'),
       'deleting asks first, and says the ID can never be used again');
    await shoot(page, 'user-delete');
    await page.locator('dialog[open] input[type="checkbox"]').check();
    await page.locator('dialog[open] button.danger').click();
    ok(await says(page, `${newUser} を削除しました`),
       'the user is deleted');
    await ready(page);
    ok(await heading(page) === 'ユーザー'
       && !(await page.textContent('#view')).includes(newUser),
       'and gone from the list');

    w.expect(409, api('POST', 'users'));
    await open(page, '?view=user-new');
    await page.getByLabel('ユーザー名').fill(newUser);
    await page.getByRole('button', { name: '追加する' }).click();
    await page.locator('.field-error:visible').waitFor();
    ok((await page.textContent('.field-error:visible'))
           .includes('再び使うことはできません'),
       'adding the same name again is refused, with the reason',
       await page.textContent('main'));
    await shoot(page, 'user-retired');
    w.expect(422, api('POST', 'users'));
    await refusedPassword(page, '16文字以上にしてください',
                          'ユーザー名を含めることはできません');

    // 8. the language switch, remembered
    await page.getByRole('button', { name: /English/ }).click();
    await ready(page);
    ok(await heading(page) === 'Add a user'
       && await page.evaluate(() => document.documentElement.lang) === 'en',
       'the switch shows the console in English', await heading(page));
    await page.reload();
    await ready(page);
    ok(await heading(page) === 'Add a user',
       'and the console remembers it', await heading(page));
    w.expect(422, api('POST', 'users'));
    await refusedPassword(page, 'at least 16 characters long',
                          'may not contain the username');

    // the admin is logged in on another computer as well: the sessions
    // screen tells this browser's session from the other, and ending the
    // other leaves the console as it is
    const elsewhere = await browser.newContext({ ignoreHTTPSErrors: true });
    const away = await elsewhere.newPage();
    await away.goto(`${base}/kot/admin/`);
    await portalLogin(away, tenant, admin, adminPassword);
    await elsewhere.close();
    await open(page, `?view=sessions&user=${admin}`);
    const rows = page.locator('#view tbody tr');
    const here = rows.filter({ hasText: 'This browser' });
    const there = rows.filter({ hasNotText: 'This browser' });
    ok(await rows.count() === 2 && await here.count() === 1
       && await there.filter({ hasText: 'You' }).count() === 1,
       'the admin\'s own sessions are marked, and the one of this browser '
       + 'as such', await page.textContent('#view tbody'));
    await there.getByRole('button', { name: /^End the session of/ }).click();
    let asked = await page.textContent('dialog[open]');
    await page.locator('dialog[open] button.danger').click();
    ok(await says(page, `The session of ${admin} has ended`)
       && !asked.includes('this browser')
       && new URL(page.url()).pathname === '/kot/admin/'
       && await page.waitForFunction(() => document
           .querySelectorAll('#view tbody tr').length === 1)
           .then(() => true, () => false),
       'ending the other one asks as for anyone\'s, and the console stays',
       asked);

    // ending all of the admin's own sessions ends this one too: said
    await open(page, `?view=user&u=${admin}`);
    await page.getByRole('button', { name: 'End all sessions' }).click();
    asked = await page.textContent('dialog[open]');
    await page.keyboard.press('Escape');
    ok(asked.includes('This includes the browser you are using now'),
       'and so does ending all of the admin\'s own sessions', asked);

    // the admin's own session ends under the console: asked first, then
    // through the login back to the same screen
    await open(page, '?view=sessions');
    const mine = page.locator('tr', { hasText: 'This browser' });
    await mine.getByRole('button',
                         { name: 'End your session in this browser' })
        .click();
    asked = await page.textContent('dialog[open]');
    ok(asked.includes('the browser you are using now')
       && asked.includes('logs you out'),
       'ending the session of this very browser says first that it logs '
       + 'the admin out', asked);
    await page.locator('dialog[open] button.danger').click();
    await page.waitForURL(/\/kot\/login/);
    const login = new URL(page.url());
    ok(login.searchParams.get('return_to') === '/kot/admin/?view=sessions'
       && !login.searchParams.has('expired'),
       'an ended session sends the console to the login page, with the way '
       + 'back, and without saying that the session expired', page.url());
    await portalLogin(page, tenant, admin, adminPassword);
    await ready(page);
    ok(new URL(page.url()).search === '?view=sessions'
       && await heading(page) === 'Sessions',
       'and the login brings the admin back to the same screen',
       page.url());

    // every screen, in English
    await tour(page);

    // the reset of two-step login, by keyboard from the button to the
    // question's confirmation
    await open(page, `?view=user&u=${mfaUser}`);
    await shoot(page, 'user-mfa');
    await page.getByRole('button', { name: 'Reset two-step login' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    await shoot(page, 'user-mfa-reset');
    await page.keyboard.press('Tab');
    ok(await page.evaluate(() => document.activeElement.textContent)
       === 'Reset two-step login', 'the keyboard reaches the confirmation');
    await page.keyboard.press('Enter');
    ok(await says(page, `The two-step login of ${mfaUser} was reset`),
       'resetting two-step login says so');
    await ready(page);
    ok((await page.textContent('.summary')).includes('Not set up')
       && await page.getByRole('button', { name: 'Reset two-step login' })
           .count() === 0,
       'and the user\'s page shows it is no longer set up');
    await mfaLogin(false);

    // support access, granted by the tenant admin, as the operator's
    // system admin sees it
    await open(page, '?view=support');
    await page.getByLabel('For how many hours').fill('2');
    await page.getByRole('button', { name: 'Grant access' }).click();
    ok(await says(page, 'granted until'),
       'the tenant admin grants support access');
    await ready(page);
    await shoot(page, 'support-granted');

    const ops = await browser.newContext({
        ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo',
        viewport: { width: 1280, height: 900 },
    });
    await recordCsp(ops, violations);
    const opsPage = await ops.newPage();
    const ow = watch(opsPage);
    await opsPage.goto(`${base}/kot/admin/`);
    await portalLogin(opsPage, operator, sysadmin, sysPassword);
    await ready(opsPage);
    ok(await heading(opsPage) === '企業'
       && (await opsPage.textContent('main')).includes(tenant),
       'a system admin sees the companies');
    // a first admin's name that is no username: the error sends the
    // reader to the description under the field, which must say what a
    // username may be
    ow.expect(422, /^POST \/kot\/admin\/api\/tenants$/);
    await opsPage.getByLabel('企業ID', { exact: true }).fill('initech');
    const firstAdmin = opsPage.getByLabel('最初の管理者');
    await firstAdmin.fill('田中');
    await opsPage.getByRole('button', { name: '追加する' }).click();
    await opsPage.locator('.field-error:visible').waitFor();
    const firstField = await firstAdmin.evaluate(
        (el) => el.closest('.field').textContent);
    ok(firstField.includes('入力欄の下の説明')
       && /半角英小文字.*64文字/.test(firstField),
       'a first admin\'s name that is refused points to the description '
       + 'under its field, which says what a username may be', firstField);
    ok(await firstAdmin.evaluate((el) => el === document.activeElement),
       'and the field takes the focus');
    await firstAdmin.fill('ivy');
    await opsPage.getByRole('button', { name: '追加する' }).click();
    await opsPage.locator('.secret').waitFor();
    ok((await opsPage.textContent('.secret')).trim().length >= 12
       && await says(opsPage, 'initech'),
       'the system admin adds a company with its first admin, whose '
       + 'temporary password shows once');
    await shoot(opsPage, 'tenant-added');
    ok((await opsPage.textContent('table')).includes('initech'),
       'and lists it');
    await opsPage.getByRole('button', { name: '完了' }).click();
    await ready(opsPage);
    await opsPage.getByRole('button', { name: 'initech を削除' }).click();
    ok((await opsPage.textContent('dialog[open]')).includes('二度と使えなく'),
       'deleting a company asks first, and says its ID is gone for good');
    await opsPage.locator('dialog[open] input[type="checkbox"]').check();
    await opsPage.locator('dialog[open] button.danger').click();
    ok(await says(opsPage, 'initech を削除しました'), 'it is deleted');
    await ready(opsPage);
    ok(!(await opsPage.textContent('#view')).includes('initech'),
       'and gone from the list');
    await shoot(opsPage, 'tenants');
    await opsPage.getByRole('link', { name: `${tenant} を開く` }).click();
    await ready(opsPage);
    await opsPage.locator('#banner:visible').waitFor();
    ok((await opsPage.textContent('#banner')).includes('サポートアクセス中')
       && (await opsPage.textContent('main')).includes(admin),
       'and inside a company that granted access, its users under a '
       + 'banner that says support access is in use');
    await shoot(opsPage, 'support-in-use');

    // but support gets no login of the company: a password reset and a
    // new account are not offered, and the console says why, in its
    // language
    await open(opsPage, `?tenant=${tenant}&view=user&u=alice`);
    ok(await opsPage.getByRole('button', { name: 'パスワードをリセット' })
        .isDisabled()
       && (await opsPage.textContent('#view')).includes(
           'サポートアクセスでは、アカウントの作成やパスワードの設定はできません'),
       'support staff are not offered a password reset, and are told that '
       + 'support access cannot', await opsPage.textContent('#view'));
    await open(opsPage, `?tenant=${tenant}&view=users`);
    ok(!(await opsPage.getByRole('link', { name: 'ユーザーを追加' }).count())
       && (await opsPage.textContent('#view')).includes('この企業の管理者に'
                                                       + '依頼してください'),
       'nor to add a user, and the list says why');
    await open(opsPage, `?tenant=${tenant}&view=user-new`);
    ok(!(await opsPage.locator('#view form').count())
       && (await opsPage.textContent('#view')).includes('この企業の管理者に'
                                                       + '依頼してください'),
       'nor is the form of a new user, opened by its address: the page '
       + 'says why', await opsPage.textContent('main'));
    await shoot(opsPage, 'support-refused');
    await open(opsPage, `?tenant=${tenant}&view=users`);
    await opsPage.getByRole('button', { name: /English/ }).click();
    await ready(opsPage);
    await shoot(opsPage, 'support-in-use');
    await open(opsPage, '?view=tenants');
    await shoot(opsPage, 'tenants');
    await open(opsPage, `?tenant=${tenant}&view=users`);

    await page.getByRole('button', { name: 'Revoke access' }).click();
    await page.locator('dialog[open] button.danger').click();
    ok(await says(page, 'Support access was revoked'),
       'the tenant admin revokes it');
    ow.expect(403, api('GET', 'users'));
    await opsPage.reload();
    await ready(opsPage);
    ok((await opsPage.textContent('main')).includes('has not granted')
       && !(await opsPage.textContent('main')).includes(admin),
       'and the system admin sees nothing inside any more');

    ok(w.problems.length + ow.problems.length + violations.length === 0,
       'the consoles had no console error, unexpected failed request or '
       + 'CSP violation',
       [...w.problems, ...ow.problems, ...violations].join('\n'));
});
