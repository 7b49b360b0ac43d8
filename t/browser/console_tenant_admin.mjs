// What a tenant admin meets in the console beyond the tour of
// console.mjs, on a company of its own: a refused field takes the
// keyboard's focus, with its error read with it; the menu of a phone
// closes with Escape; the company requires two-step login from the
// policy screen, and the API has it; every line of a network list that
// the server refuses is marked, and why said in Japanese even when the
// server's English is reworded; and an admin on a network the company
// does not allow is told what to do about it.  Prints TAP; t/console.t
// runs it.
//
// usage: node console_tenant_admin.mjs BASE_URL TENANT ADMIN PASSWORD USER

import { ok, run } from './tap.mjs';
import { watch, recordCsp, api, ready, says } from './watch.mjs';

const [base, tenant, admin, password, user] = process.argv.slice(2);

async function open(page, query) {
    await page.goto(`${base}/kot/admin/${query}`);
    await ready(page);
}

// The element with the keyboard's focus as a screen reader says it:
// its label, whether it is marked invalid, and the text of what
// describes it that is on show.
function focused(page) {
    return page.evaluate(() => {
        const el = document.activeElement;
        const ids = (el.getAttribute('aria-describedby') || '').split(' ');
        return {
            label: el.labels && el.labels[0]
                ? el.labels[0].textContent : el.tagName,
            invalid: el.getAttribute('aria-invalid') === 'true',
            described: ids.map((id) => document.getElementById(id))
                .filter((d) => d && !d.hidden)
                .map((d) => d.textContent).join(' '),
        };
    });
}

// The portal's login, which sends the browser back to the console.
async function portalLogin(page) {
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', admin);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

// The tenant's own rules, as the API has them.
async function rules(page) {
    const r = await page.request.get(
        `${base}/kot/admin/api/tenants/${tenant}/policy`);
    return (await r.json()).rules || {};
}

await run(async (browser) => {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true, locale: 'ja-JP',
        viewport: { width: 1280, height: 900 },
    });
    const violations = [];
    await recordCsp(context, violations);
    const page = await context.newPage();
    const w = watch(page);

    await page.goto(`${base}/kot/admin/`);
    await portalLogin(page);
    await ready(page);
    let text;

    // a network the company does not allow, refused at the console's
    // first call (the lists changed between the page and the call): the
    // console says so, not that the account is no administrator's
    const first = await context.newPage();
    await first.route(/\/kot\/admin\/api\/session$/, (route) =>
        route.fulfill({ status: 403, json: { error: 'ip_not_allowed' } }));
    await first.goto(`${base}/kot/admin/`);
    await first.locator('.problem').waitFor();
    const said = await first.textContent('.problem');
    ok(said.includes('許可されたネットワークから接続して')
       && !said.includes('管理者専用'),
       'an address refused as the console opens is told what to do, not '
       + 'that the account is no administrator\'s', said);
    await first.close();

    // a name the server refuses: the focus leaves the button for the
    // field, which says why
    w.expect(409, api('POST', 'users'));
    await open(page, '?view=user-new');
    await page.getByLabel('ユーザー名').fill(admin);
    await page.getByRole('button', { name: '追加する' }).click();
    await page.locator('.field-error:visible').waitFor();
    let f = await focused(page);
    ok(f.label === 'ユーザー名' && f.invalid
       && f.described.includes('このユーザー名はすでに使われています'),
       'a name refused by the server takes the focus, marked invalid and '
       + 'described by its error', JSON.stringify(f));

    w.expect(422, api('POST', 'users'));
    await page.getByLabel('ユーザー名').fill('yuki');
    await page.locator('#pw-manual').check();
    await page.locator('input[type="password"]').fill('yuki');
    await page.getByRole('button', { name: '追加する' }).click();
    await page.locator('input[type="password"][aria-invalid="true"]')
        .waitFor();
    f = await focused(page);
    ok(f.label === '仮パスワード' && f.invalid
       && f.described.includes('12文字以上にしてください'),
       'so does a password the policy refuses, with its rules',
       JSON.stringify(f));

    // the menu on a phone: Escape closes it, and the focus goes back to
    // its button, from the button or from inside the menu
    await page.setViewportSize({ width: 375, height: 812 });
    const toggle = page.getByRole('button', { name: 'メニュー' });
    const nav = page.locator('#nav');
    for (const from of ['button', 'menu']) {
        await open(page, '?view=users');
        await toggle.click();
        await nav.waitFor();
        if (from === 'menu') {
            await page.keyboard.press('Tab');
            ok(await page.evaluate(() => document.getElementById('nav')
                .contains(document.activeElement)),
               'Tab goes from the menu button into the open menu');
        }
        await page.keyboard.press('Escape');
        const state = await page.evaluate(() => ({
            shown: getComputedStyle(document.getElementById('nav'))
                .display !== 'none',
            expanded: document.getElementById('menu-toggle')
                .getAttribute('aria-expanded'),
            focus: document.activeElement.id,
        }));
        ok(!state.shown && state.expanded === 'false'
           && state.focus === 'menu-toggle',
           `Escape (focus on the ${from}) closes the phone's menu and `
           + 'gives the focus to the menu button', JSON.stringify(state));
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // two-step login required for the whole company, from the policy
    // screen; the admin's own session goes on
    await open(page, '?view=policy');
    const mfa = page.getByLabel('すべてのユーザーに2段階認証を必須にする');
    ok(!await mfa.isChecked()
       && (await page.textContent('form')).includes('サーバーの基準: 任意'),
       'the policy screen shows two-step login as not required, as the '
       + 'server has it');
    await mfa.check();
    await page.getByRole('button', { name: '保存する' }).click();
    ok(await says(page, 'パスワードポリシーを保存しました')
       && (await rules(page)).mfa === 'required',
       'requiring it is saved, and the API says the company requires it',
       JSON.stringify(await rules(page)));
    await open(page, '?view=policy');
    ok(await mfa.isChecked(), 'and the screen shows it required');
    await mfa.uncheck();
    await page.getByRole('button', { name: '保存する' }).click();
    ok(await says(page, 'パスワードポリシーを保存しました')
       && (await rules(page)).mfa !== 'required',
       'no longer requiring it is saved too',
       JSON.stringify(await rules(page)));
    await open(page, '?view=policy');
    ok(!await mfa.isChecked(), 'and shown');

    // lines of the access list that the server refuses: each marked,
    // the first at the caret and said in Japanese.  The console words
    // the reason by its code (kot_cidr_code()), so that the server's
    // English may be reworded; a code it does not know yet is said in
    // the server's English.
    w.expect(422, api('PUT', 'allowlists/access'));
    await open(page, '?view=networks');
    const access = page.getByLabel('ネットワーク（1行に1つ）').first();
    const saveAccess = page.getByRole('button',
                                      { name: 'アクセス許可リストを保存' });
    const marks = page.locator('.gutter .bad');
    const refusal = async () => {
        await saveAccess.click();
        await marks.first().waitFor();
        return {
            marks: await marks.allTextContents(),
            text: await page.locator('.field-error:visible').first()
                .textContent(),
            caret: await access.evaluate((el) => el.value.slice(
                el.selectionStart, el.selectionEnd)),
        };
    };
    await access.fill('127.0.0.0/8\n# the office\n10.0.0.1/8\n::1/128\n'
                      + '01.2.3.4');
    let r = await refusal();
    ok(JSON.stringify(r.marks) === '["! 3","! 5"]'
       && r.text.startsWith('3行目: 「10.0.0.1/8」はネットワークとして正しく'
                            + 'ありません。プレフィックスより後ろのビットが'
                            + '立っています（10.0.0.0/8 のことですか？）')
       && r.text.includes('「!」の付いたほかの 1 行も正しくありません')
       && r.caret === '10.0.0.1/8',
       'every refused line is marked, the first at the caret and said in '
       + 'Japanese with the network meant', JSON.stringify(r));

    // the same refusal, its English reworded by a newer server
    const listUrl = (u) => /\/api\/tenants\/[^/]+\/allowlists\/access$/
        .test(new URL(u).pathname);
    const reword = (change) => async (route) => {
        const res = await route.fetch();
        const data = await res.json();
        data.detail = 'reworded';
        data.refused = (data.refused || []).map(change);
        await route.fulfill({ response: res, json: data });
    };
    const reworded = reword((e) => ({ ...e, detail: `reworded ${e.detail}` }));
    await page.route(listUrl, reworded);
    await access.fill('127.0.0.0/8\n01.2.3.4');
    r = await refusal();
    ok(r.text === '2行目: 「01.2.3.4」はネットワークとして正しくありません。'
                  + 'IPv4 アドレスの数値が 0 で始まっており、解釈が曖昧です。',
       'a reason reworded in English is still said in Japanese, by its code',
       r.text);
    await page.unroute(listUrl, reworded);

    const newer = reword((e) => ({ ...e, reason: 'of_a_newer_server',
                                   detail: 'a reason of a newer server' }));
    await page.route(listUrl, newer);
    await access.fill('127.0.0.0/8\n01.2.3.4');
    r = await refusal();
    ok(r.text.includes('「01.2.3.4」はネットワークとして正しくありません。'
                       + 'a reason of a newer server'),
       'a reason the console does not know is said in the server\'s English',
       r.text);
    await page.unroute(listUrl, newer);

    // the session ends while the admin edits a list (here: its cookie
    // gone): Save leads to the login, and after it the list is as the
    // admin had typed it, with word that it was not saved
    w.expect(401, api('PUT', 'allowlists/access'));
    await open(page, '?view=networks');
    const typed = '127.0.0.0/8\n# the branch office\n203.0.113.0/24';
    await access.fill(typed);
    await context.clearCookies();
    await saveAccess.click();
    await page.waitForURL(/\/kot\/login/);
    await portalLogin(page);
    await ready(page);
    const back = {
        list: await access.inputValue(),
        alert: await page.textContent('#live-alert'),
        saved: (await (await page.request.get(
            `${base}/kot/admin/api/tenants/${tenant}/allowlists/access`))
            .json()).networks,
    };
    ok(back.list === typed
       && back.alert.includes('セッションが終了したため、変更は保存されて'
                              + 'いません')
       && back.alert.includes('入力していた内容をもう一度表示しています')
       && JSON.stringify(back.saved) === '[]',
       'a change cut off by the end of the session is not lost: after the '
       + 'login the list is as typed, and the console says it was not '
       + 'saved', JSON.stringify(back));
    await saveAccess.click();
    ok(await says(page, 'アクセス許可リストを保存しました'),
       'and saving it again saves it');

    // a button's action cut off the same way had nothing typed to give
    // back: the console says to do it again (a password reset, of
    // another user: the admin's own is changed on the portal's page)
    w.expect(401, api('POST', `users/${user}/password`));
    await open(page, `?view=user&u=${user}`);
    await context.clearCookies();
    await page.getByRole('button', { name: 'パスワードをリセット' }).click();
    await page.locator('dialog[open] button.primary').click();
    await page.waitForURL(/\/kot\/login/);
    await portalLogin(page);
    await ready(page);
    text = await page.textContent('#live-alert');
    ok(text.includes('直前の変更は保存されていません。もう一度やり直して')
       && !text.includes('もう一度表示'),
       'a button\'s action cut off by the end of the session is said not '
       + 'done, to be done again', text);
    await open(page, '?view=networks');
    await access.fill('');
    await saveAccess.click();
    await says(page, 'アクセス許可リストを保存しました');

    // the language switched in the middle of an edit, by keyboard: the
    // screen in English, the list as typed, the keyboard on the switch
    await access.fill(typed);
    await page.getByRole('button', { name: /English/ }).focus();
    await page.keyboard.press('Enter');
    const english = page.getByLabel('Networks, one a line').first();
    await english.waitFor();
    const switched = {
        list: await english.inputValue(),
        focus: await page.evaluate(() => document.activeElement
            .getAttribute('lang')),
    };
    await page.keyboard.press('Enter');
    await access.waitFor();
    switched.back = await access.inputValue();
    ok(switched.list === typed && switched.focus === 'ja'
       && switched.back === typed,
       'switching the language keeps what the admin typed, and the '
       + 'keyboard\'s place on the switch', JSON.stringify(switched));

    // the server does not answer a save (a proxy in between holds it):
    // after 30 seconds the button is back and the admin is told that
    // the change may or may not have been made
    const slow = await context.newPage();
    await slow.clock.install();
    await slow.route(listUrl, (route) => (route.request().method() === 'PUT'
        ? new Promise(() => {}) : route.continue()));
    await slow.goto(`${base}/kot/admin/?view=networks`);
    await ready(slow);
    await slow.getByLabel('ネットワーク（1行に1つ）').first().fill(typed);
    const held = slow.getByRole('button', { name: 'アクセス許可リストを保存' });
    await held.click();
    await slow.getByRole('button', { name: '処理中…' }).waitFor();
    await slow.clock.runFor(31000);
    await slow.clock.runFor(1000);
    const alert = {
        field: await slow.locator('.field-error').first().textContent(),
        announced: await slow.textContent('#live-alert'),
    };
    ok(alert.field.includes('サーバーから応答がありません')
       && alert.announced === alert.field
       && alert.field.includes('変更されたかどうかは分かりません')
       && await held.isVisible(),
       'a save the server does not answer ends after 30 seconds, saying '
       + 'that it is not known whether the change was made',
       JSON.stringify(alert));

    // the proxy gives up on it itself (504, its own page): the console
    // does not claim that nothing was changed
    await slow.unroute(listUrl);
    await slow.route(listUrl, (route) => route.fulfill({
        status: 504, contentType: 'text/html',
        body: '<html><body>504 Gateway Time-out</body></html>' }));
    await held.click();
    await slow.locator('.field-error', { hasText: '504' }).first().waitFor();
    const proxied = await slow.locator('.field-error').first().textContent();
    ok(proxied.includes('再読み込みして現在の状態を確認')
       && !proxied.includes('変更は行われていません'),
       'nor does a proxy\'s own error claim that nothing was changed',
       proxied);
    await slow.close();

    // an admin list without the admin's address, saved anyway: the
    // console then says what the admin can do about it
    w.expect(409, api('PUT', 'allowlists/admin'));
    await open(page, '?view=networks');
    await page.getByLabel('ネットワーク（1行に1つ）').nth(1)
        .fill('192.0.2.0/24');
    await page.getByRole('button', { name: '管理用許可リストを保存' }).click();
    await page.getByRole('button', { name: 'それでも保存する' }).click();
    await page.locator('dialog[open] input[type="checkbox"]').check();
    await page.locator('dialog[open] button.danger').click();
    ok(await says(page, '管理用許可リストを保存しました'),
       'an admin list that shuts the admin out is saved when confirmed');

    // the console's own files are shut to the address as well: the
    // header's icon, drawn again in the other language
    w.expect(403, api('GET', 'users'));
    w.expect(403, /^GET \/kot\/admin\/icon\.svg$/);
    await page.getByRole('link', { name: 'ユーザー', exact: true }).click();
    await ready(page);
    text = await page.textContent('main');
    ok(text.includes('現在接続しているネットワークは許可されていません')
       && text.includes('許可されたネットワークから接続して')
       && text.includes('ほかの管理者に依頼して、「接続元ネットワーク」画面'),
       'on a network the company does not allow, the console says to '
       + 'connect from one it allows, or to ask another admin to add it',
       text);
    await page.getByRole('button', { name: /English/ }).click();
    await ready(page);
    text = await page.textContent('main');
    ok(text.includes('the network you are connected to now is not one')
       && text.includes('Connect from a network your company allows')
       && text.includes('ask another administrator of your company to add '
                        + 'this network on the Networks screen'),
       'and in English', text);

    ok(w.problems.length === 0 && violations.length === 0,
       'the console had no console error, unexpected failed request or CSP '
       + 'violation', [...w.problems, ...violations].join('\n'));
});
