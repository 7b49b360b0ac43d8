// Two-step login in a real browser: log in, open the enrolment page, read
// the secret it shows (and the QR code, with zbarimg when it is
// installed), turn MFA on with a code computed from that secret as an
// authenticator app would (typed with a dash, after a wrong password that
// leaves the cursor in its field), log out, and log in again with the
// password and a code.  Prints TAP; t/browser.t runs it.
//
// usage: node mfa.mjs BASE_URL TENANT USER PASSWORD SCRATCH_DIR

import { execFileSync } from 'node:child_process';

import { focusedField, ok, run } from './tap.mjs';
import { freshStep, step, totp } from './totp.mjs';

const [base, tenant, user, password, scratch] = process.argv.slice(2);

async function submit(page) {
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

await run(async (browser) => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true,
                                               locale: 'en-US' });
    const page = await context.newPage();

    await page.goto(`${base}/reports`);
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await submit(page);
    ok(new URL(page.url()).pathname === '/reports',
       'the user logs in with the password alone', page.url());

    await page.goto(`${base}/kot/mfa`);
    ok(await page.locator('svg.kot-qr').isVisible(),
       'the enrolment page shows a QR code');
    const secret = (await page.textContent('#kot-totp-secret')).trim();
    ok(/^[A-Z2-7]{32}$/.test(secret), 'and the secret in base32', secret);
    const uri = await page.getAttribute('a[href^="otpauth:"]', 'href');
    ok(uri.includes(`secret=${secret}`),
       'the link for apps on this device carries the secret', uri);

    let zbar = null;
    try {
        execFileSync('zbarimg', ['--version'], { stdio: 'ignore' });
        zbar = 'zbarimg';
    } catch (e) {
        console.log('# zbarimg is not installed: the QR code is not read');
    }
    if (zbar) {
        const shot = `${scratch}/qr.png`;
        await page.locator('svg.kot-qr').screenshot({ path: shot });
        let read;
        try {
            read = execFileSync(zbar, ['--quiet', '--raw', shot])
                .toString().trim();
        } catch (e) {
            read = `no QR code found (${e.message})`;
        }
        ok(read === uri, 'the QR code, as a camera reads it, is that URI',
           read);
    }

    // the code as an app shows it or a password manager pastes it, with a
    // space or a dash, is what the server takes: the browser lets it go
    const valid = (code) => page.$eval('input[name="code"]', (el, v) => {
        el.value = v;
        return el.checkValidity();
    }, code);
    const fit = [];
    for (const code of ['123456', '123 456', '123-456', '12-34-56']) {
        fit.push(await valid(code));
    }
    ok(fit.every((v) => v), 'the code field takes 6 digits with spaces or '
       + 'dashes', JSON.stringify(fit));
    const unfit = [];
    for (const code of ['12345', '1234567', '12a456', '------']) {
        unfit.push(await valid(code));
    }
    ok(unfit.every((v) => !v), 'but not another number of digits, nor '
       + 'letters', JSON.stringify(unfit));

    // a mistyped password: the cursor goes back to it, with the reason
    await page.fill('input[name="code"]', totp(secret, step()));
    await page.fill('form:has(input[name="code"]) input[name="password"]',
                    'not the password');
    await submit(page);
    const field = await focusedField(page);
    ok(field.name === 'password' && field.value === ''
       && field.invalid === 'true'
       && field.description.startsWith('The current password is not'),
       'a wrong password leaves the cursor in it, read with the reason',
       JSON.stringify(field));

    // the code of the step before: the login below uses the current one,
    // which a code already used would not allow
    const now = await freshStep();
    const code = totp(secret, now - 1);
    await page.fill('input[name="code"]',
                    `${code.slice(0, 3)}-${code.slice(3)}`);
    await page.fill('form:has(input[name="code"]) input[name="password"]',
                    password);
    await submit(page);
    const codes = await page.locator('.kot-recovery-code').allTextContents();
    ok(codes.length === 10 && codes.every((c) => /^[a-z2-7-]{11}$/.test(c)),
       'the code from the app, typed with a dash, turns MFA on and '
       + 'shows 10 recovery codes',
       codes.join(' '));

    await page.goto(`${base}/kot/logout`);
    await submit(page);
    await page.goto(`${base}/reports?month=5`);
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', password);
    await submit(page);
    ok(new URL(page.url()).pathname === '/kot/login/code',
       'after logging out, the password leads to the code page', page.url());
    let cookies = await context.cookies();
    ok(!cookies.some((c) => c.name === '__Host-kot_session'),
       'with no session yet');
    const pending = cookies.find((c) => c.name === '__Host-kot_mfa');
    ok(pending && pending.secure && pending.httpOnly,
       'but a Secure, HttpOnly pending cookie', JSON.stringify(pending));

    await page.fill('input[name="code"]', '000000' === totp(secret, step())
                                          ? '111111' : '000000');
    await submit(page);
    ok((await page.textContent('body')).includes('Login failed'),
       'a wrong code is refused with the login failure message');

    await page.fill('input[name="code"]', totp(secret, step()));
    await submit(page);
    const url = new URL(page.url());
    ok(url.pathname === '/reports' && url.search === '?month=5',
       'the code logs in, back on the page asked for', page.url());
    ok((await page.textContent('body')).includes(`user=[${user}]`),
       'the application shows the user');
    cookies = await context.cookies();
    ok(cookies.some((c) => c.name === '__Host-kot_session')
       && !cookies.some((c) => c.name === '__Host-kot_mfa'),
       'the browser holds a session, and the pending cookie is gone');
});
