// A forced password change in a real browser: log in with a temporary
// password, be sent to the change page, change it, reach the
// application.  Prints TAP; t/browser.t runs it.
//
// usage: node password.mjs BASE_URL TENANT USER TEMPORARY NEW

import { focusedField, ok, run } from './tap.mjs';

const [base, tenant, user, temporary, chosen] = process.argv.slice(2);

await run(async (browser) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true,
                                               locale: 'en-US' });
    const page = await context.newPage();

    await page.goto(`${base}/reports`);
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', temporary);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);

    ok(new URL(page.url()).pathname === '/kot/password',
       'a temporary password leads to the change page', page.url());
    ok((await page.textContent('body')).includes('must change your password'),
       'which says why');

    await page.goto(`${base}/reports`);
    ok(new URL(page.url()).pathname === '/kot/password',
       'the application stays closed until the change', page.url());

    for (const name of ['current_password', 'new_password',
                        'confirm_password']) {
        ok(await page.locator(`input[name="${name}"]`).getAttribute('type')
           === 'password', `the ${name} field is masked`);
    }

    let field = await focusedField(page);
    ok(field.name === 'current_password'
       && field.description.includes('must change your password'),
       'the cursor is in the current password field, which a screen '
       + 'reader reads with why', JSON.stringify(field));

    // refusals: the cursor goes to the field to correct, with the reason
    const refused = [
        [temporary, 'short', 'short', 'new_password',
         'The new password is too short'],
        [temporary, chosen, `${chosen}!`, 'confirm_password',
         'The new passwords do not match'],
        ['not the temporary one', chosen, chosen, 'current_password',
         'The current password is not correct'],
    ];
    for (const [current, fresh, confirm, name, reason] of refused) {
        await page.fill('input[name="current_password"]', current);
        await page.fill('input[name="new_password"]', fresh);
        await page.fill('input[name="confirm_password"]', confirm);
        await Promise.all([page.waitForNavigation(),
                           page.click('button[type="submit"]')]);
        field = await focusedField(page);
        ok(field.name === name && field.invalid === 'true'
           && field.description.includes(reason),
           `"${reason}" puts the cursor in ${name}, read with the reason`,
           JSON.stringify(field));
        if (name === 'new_password') {
            ok(field.description.includes('Your new password must:'),
               'and with the rules', JSON.stringify(field));
        }
    }

    await page.fill('input[name="current_password"]', temporary);
    await page.fill('input[name="new_password"]', chosen);
    await page.fill('input[name="confirm_password"]', chosen);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);

    ok(new URL(page.url()).pathname === '/reports',
       'after the change the browser reaches the page it asked for',
       page.url());
    ok((await page.textContent('body')).includes(`user=[${user}]`),
       'and the application greets the user');
});
