// Two administrators of one company change the same user at once, each
// in a browser: the second, whose page shows the user as it was before
// the first's change, changes nothing (roles, disabling, deleting, or
// enabling from the list), is told in its language that another
// administrator changed the user meanwhile, and sees the user as it now
// is.  The same for a network list and the password policy, where the
// second admin's draft stays on the page beside what the first saved,
// and saving it again replaces that.  Then the operator's system admin
// under support access: it is not offered what the company keeps for
// its own administrators (disabling, demoting or deleting one of them,
// resetting its two-step login, changing the network lists), and is
// told why.  Each step is checked, and the flow goes on to the next
// whatever the one before showed.  Prints TAP; t/console.t runs it.
//
// usage: node console_conflict.mjs BASE_URL TENANT ADMIN1 PASSWORD1
//                                  ADMIN2 PASSWORD2 USER INACTIVE_USER
//                                  OPERATOR SYSADMIN SYSPASSWORD
//                                  MFA_ADMIN (an admin with MFA; USER has
//                                  it too)

import { ok, run } from './tap.mjs';
import { watch, recordCsp, audit, api, ready, says, shown }
    from './watch.mjs';

const [base, tenant, ann, annPassword, ben, benPassword, user, dormant,
       operator, sysadmin, sysPassword, mfaAdmin] = process.argv.slice(2);

async function open(page, query) {
    await page.goto(`${base}/kot/admin/${query}`);
    await ready(page);
}

// An admin's browser, logged in at the console.
async function browse(browser, violations, t, name, password) {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true, locale: 'ja-JP',
        viewport: { width: 1280, height: 900 },
    });
    await recordCsp(context, violations);
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/kot/admin/`);
    await page.fill('input[name="tenant"]', t);
    await page.fill('input[name="username"]', name);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
    await ready(page);
    return { page, w };
}

// The user as the API has it now: {status, roles, disabled}.
async function now(page, name) {
    const r = await page.request.get(
        `${base}/kot/admin/api/tenants/${tenant}/users/${name}`);
    const u = r.status() === 200 ? await r.json() : {};
    return { status: r.status(), roles: (u.roles || []).join(' '),
             disabled: u.disabled };
}

// A resource of the tenant as the API has it now ({} if it answers no
// 200).
async function read(page, rel) {
    const r = await page.request.get(
        `${base}/kot/admin/api/tenants/${tenant}/${rel}`);
    return r.status() === 200 ? r.json() : {};
}

async function networksNow(page, list) {
    return ((await read(page, `allowlists/${list}`)).networks || [])
        .join(' ');
}

// The network list editor of the screen (0 access, 1 admin), and its
// save button.
function listEditor(page, i) {
    const card = page.locator('section.card').nth(i);
    return { area: card.locator('textarea'),
             save: card.locator('.actions button.primary') };
}

// Sets the "other roles" of the user's page, and saves its roles.
async function saveRoles(page, other) {
    await page.locator('fieldset.roles input[type="text"]').fill(other);
    await page.locator('fieldset.roles').locator('xpath=..')
        .locator('button[type="submit"]').click();
}

await run(async (browser) => {
    const violations = [];
    const a = await browse(browser, violations, tenant, ann, annPassword);
    const b = await browse(browser, violations, tenant, ben, benPassword);
    const pa = a.page;
    const pb = b.page;

    // roles: ben gives the user "sales" while ann's page shows the user
    // without it; ann then makes the user an admin
    a.w.expect(412, api('PATCH', `users/${user}`));
    await open(pa, `?view=user&u=${user}`);
    await open(pb, `?view=user&u=${user}`);
    await saveRoles(pb, 'sales');
    ok(await says(pb, `${user} のロールを保存しました`),
       'the first admin saves new roles');
    await pa.locator('fieldset.roles input[value="admin"]').check();
    await pa.locator('fieldset.roles').locator('xpath=..')
        .locator('button[type="submit"]').click();
    ok(await says(pa, `別の管理者が ${user} を変更したため、何も変更しません`,
                  'error'),
       'the second, whose page was older, is told that another admin '
       + 'changed the user meanwhile and that nothing was changed',
       await pa.textContent('#live-alert'));
    let u = await now(pa, user);
    ok(u.roles === 'user sales',
       'the first admin\'s roles stand, the stale edit is not saved',
       u.roles);
    await ready(pa);
    ok(await shown(pa.locator('.summary', { hasText: 'sales' }))
       && !await pa.locator('fieldset.roles input[value="admin"]').isChecked()
       && await pa.locator('fieldset.roles input[type="text"]').inputValue()
          === 'sales',
       'and the second admin\'s page shows the user as it now is');

    // disabling a user that changed since the page showed it
    a.w.expect(412, api('PATCH', `users/${user}`));
    await saveRoles(pb, '');
    ok(await says(pb, `${user} のロールを保存しました`),
       'the first admin changes the roles again');
    await pa.getByRole('button', { name: '無効にする', exact: true }).click();
    await pa.locator('dialog[open] button.danger').click();
    ok(await says(pa, `別の管理者が ${user} を変更した`, 'error'),
       'disabling the user as the page showed it is refused in words');
    u = await now(pa, user);
    ok(u.disabled === false && u.roles === 'user',
       'and the user is not disabled', JSON.stringify(u));
    await ready(pa);
    ok(await shown(pa.locator('.summary', { hasNotText: 'sales' })),
       'the page shows the roles as they now are');

    // deleting, in English
    a.w.expect(412, /^DELETE \/kot\/admin\/api\/tenants\/[^/]+\/users\//);
    await pa.getByRole('button', { name: /English/ }).click();
    await ready(pa);
    await saveRoles(pb, 'ops');
    ok(await says(pb, `${user} のロールを保存しました`),
       'the first admin gives the user another role');
    await pa.getByRole('button', { name: 'Delete', exact: true }).click();
    await pa.locator('dialog[open] input[type="checkbox"]').check();
    await pa.locator('dialog[open] button.danger').click();
    ok(await says(pa, `Another administrator changed ${user} after this `
                      + 'page showed it, so nothing was changed', 'error'),
       'deleting a user changed meanwhile is refused, in English',
       await pa.textContent('#live-alert'));
    u = await now(pa, user);
    ok(u.status === 200 && u.roles === 'user ops',
       'and the user is still there', JSON.stringify(u));
    await ready(pa);
    ok(await shown(pa.locator('.summary', { hasText: 'ops' }))
       && new URL(pa.url()).searchParams.get('u') === user,
       'the admin stays on the user\'s page, which shows its new role');

    // enabling from the list an inactive account that the other admin
    // has disabled since the list was shown
    await open(pa, '?view=users');
    await open(pb, `?view=user&u=${dormant}`);
    await pb.getByRole('button', { name: '無効にする', exact: true }).click();
    await pb.locator('dialog[open] button.danger').click();
    ok(await says(pb, `${dormant} を無効にし`),
       'the first admin disables an inactive account');
    await pa.getByRole('button', { name: `Enable ${dormant}` }).click();
    ok(await says(pa, `Another administrator changed ${dormant}`, 'error'),
       'the second, enabling it from the list shown before, is told that '
       + 'it changed meanwhile', await pa.textContent('#live-alert'));
    u = await now(pa, dormant);
    ok(u.disabled === true, 'and the account stays disabled',
       JSON.stringify(u));
    await ready(pa);
    ok(await shown(pa.locator('tr', { hasText: dormant })
        .filter({ hasText: 'Disabled' })), 'the list shows it disabled');

    // a network list that the other admin saved since the page showed
    // it: the second admin's draft is kept, beside the list in force
    a.w.expect(412, api('PUT', 'allowlists/access'));
    await open(pa, '?view=networks');
    await open(pb, '?view=networks');
    const la = listEditor(pa, 0);
    const lb = listEditor(pb, 0);
    await lb.area.fill('127.0.0.0/8\n10.0.0.0/8');
    await lb.save.click();
    ok(await says(pb, 'アクセス許可リストを保存しました'),
       'the first admin saves an access list');
    await la.area.fill('127.0.0.0/8\n192.0.2.0/24');
    await la.save.click();
    ok(await shown(pa.locator('.changed', {
        hasText: 'Another administrator changed this list after this page '
                 + 'showed it, so your list was not saved' }))
       && (await pa.textContent('#live-alert')).includes(
           'Another administrator changed this list'),
       'the second, whose page was older, is told that another admin '
       + 'changed the list and that nothing was saved',
       await pa.textContent('#live-alert'));
    let list = await networksNow(pa, 'access');
    ok(list === '10.0.0.0/8 127.0.0.0/8',
       'the first admin\'s list stands', list);
    ok(await shown(pa.locator('.changed pre', { hasText: '10.0.0.0/8' }))
       && await la.area.inputValue() === '127.0.0.0/8\n192.0.2.0/24',
       'the page shows the list in force, and keeps the draft in the '
       + 'editor');
    let found = await audit(pa, false);
    ok(found.length === 0, 'that page is usable: labels, contrast',
       found.join('\n'));
    await la.save.click();
    ok(await says(pa, 'The access list was saved'),
       'saved again, the draft is saved');
    list = await networksNow(pa, 'access');
    ok(list === '127.0.0.0/8 192.0.2.0/24', 'and replaces the list', list);
    // the version both lists share moved: refused once, made again
    a.w.expect(412, api('PUT', 'allowlists/admin'));
    const ladmin = listEditor(pa, 1);
    await ladmin.area.fill('127.0.0.0/8');
    await ladmin.save.click();
    ok(await says(pa, 'The admin list was saved'),
       'the admin list, read before the other admin changed the access '
       + 'list, is saved after it: its own list did not change');

    // the password policy, in Japanese
    b.w.expect(412, api('PUT', 'policy'));
    await open(pa, '?view=policy');
    await open(pb, '?view=policy');
    await pa.getByLabel('Minimum length', { exact: true }).fill('16');
    await pa.getByRole('button', { name: 'Save', exact: true }).click();
    ok(await says(pa, 'The password policy was saved'),
       'the first admin tightens the password policy');
    const minb = pb.getByLabel('最小文字数', { exact: true });
    await minb.fill('20');
    await pb.getByRole('button', { name: '保存する', exact: true }).click();
    ok(await shown(pb.locator('.changed', {
        hasText: '別の管理者がパスワードポリシーを変更したため、'
                 + '保存しませんでした' }))
       && (await pb.textContent('#live-alert')).includes(
           '別の管理者がパスワードポリシーを変更した'),
       'the second admin is told, in Japanese, that another admin changed '
       + 'the policy and that nothing was saved',
       await pb.textContent('#live-alert'));
    let policy = (await read(pb, 'policy')).rules || {};
    ok(policy.min_length === '16', 'the first admin\'s rule stands',
       JSON.stringify(policy));
    ok(await shown(pb.locator('.changed li', { hasText: '16文字' }))
       && await minb.inputValue() === '20',
       'the page shows the rules as they now are, and keeps the value '
       + 'typed');
    await pb.getByRole('button', { name: '保存する', exact: true }).click();
    ok(await says(pb, 'パスワードポリシーを保存しました'),
       'saved again, the value typed is saved');
    policy = (await read(pb, 'policy')).rules || {};
    ok(policy.min_length === '20' && policy.inactive_after === '30d',
       'and replaces the rule, keeping the others',
       JSON.stringify(policy));

    // support access: the company's administrators stay the company's
    const s = await browse(browser, violations, operator, sysadmin,
                           sysPassword);
    const ps = s.page;
    await open(ps, `?tenant=${tenant}&view=user&u=${ben}`);
    const disable = ps.getByRole('button', { name: '無効にする',
                                             exact: true });
    const remove = ps.getByRole('button', { name: '削除する', exact: true });
    const admin = ps.locator('fieldset.roles input[value="admin"]');
    let text = await ps.textContent('#view');
    ok(await disable.isDisabled() && await remove.isDisabled()
       && text.includes('サポートアクセスでは無効にできません')
       && text.includes('サポートアクセスでは削除できません'),
       'support access is not offered to disable or delete a company '
       + 'admin, and is told why', text);
    ok(await admin.isDisabled() && await admin.isChecked()
       && text.includes('サポートアクセスでは管理者の役割を外せません'),
       'nor to take its admin role away', text);
    found = await audit(ps, false);
    ok(found.length === 0, 'that page is usable: labels, contrast',
       found.join('\n'));
    await saveRoles(ps, 'auditor');
    ok(await says(ps, `${ben} のロールを保存しました`),
       'it still gives the admin another role');
    u = await now(ps, ben);
    ok(u.roles === 'admin auditor' || u.roles === 'auditor admin',
       'which keeps admin', u.roles);
    const mfaReset = ps.getByRole('button', { name: '2段階認証をリセット' });
    await open(ps, `?tenant=${tenant}&view=user&u=${mfaAdmin}`);
    text = await ps.textContent('#view');
    ok(await mfaReset.isDisabled()
       && text.includes('サポートアクセスでは2段階認証をリセットできません'),
       'nor to reset a company admin\'s two-step login, and is told why',
       text);
    await open(ps, `?tenant=${tenant}&view=user&u=${user}`);
    ok(await disable.isEnabled() && await remove.isEnabled()
       && await mfaReset.isEnabled(),
       'a user who is not an admin is offered as before');

    await open(ps, `?tenant=${tenant}&view=networks`);
    text = await ps.textContent('#view');
    const lists = ps.locator('textarea');
    ok(await lists.count() === 2
       && await lists.nth(0).getAttribute('readonly') !== null
       && await lists.nth(1).getAttribute('readonly') !== null
       && await ps.locator('#view button.primary').count() === 0
       && text.includes('サポートアクセスでは、これらのリストを表示できますが'
                        + '変更はできません'),
       'support access sees the network lists, without a way to save '
       + 'them, and is told why', text);
    found = await audit(ps, false);
    ok(found.length === 0, 'that page is usable: labels, contrast',
       found.join('\n'));

    const problems = [...a.w.problems, ...b.w.problems, ...s.w.problems];
    ok(problems.length === 0 && violations.length === 0,
       'the console had no console error, unexpected failed request or CSP '
       + 'violation', [...problems, ...violations].join('\n'));
});
