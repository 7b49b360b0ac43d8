// Two administrators of one company change the same user at once, each
// in a browser: the second, whose page shows the user as it was before
// the first's change, changes nothing (roles, disabling, deleting, or
// enabling from the list), is told in its language that another
// administrator changed the user meanwhile, and sees the user as it now
// is.  Then the operator's system admin under support access: it is not
// offered what the company keeps for its own administrators (disabling,
// demoting or deleting one of them, resetting its two-step login,
// changing the network lists), and is told why.  Each step is checked, and the flow goes on to the next
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
    let found = await audit(ps, false);
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
