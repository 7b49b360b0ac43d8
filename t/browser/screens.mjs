// Screenshots of every portal page in English and Japanese, on a desktop
// (1280 px wide) or a phone (375 px, with touch and the viewport meta
// honoured), into OUT/LOOK-PAGE-LANG-WIDTH.png; and on each, that nothing
// is wider than the screen.  Prints TAP; t/portal_screens.t runs it.
//
// usage: node screens.mjs BASE_URL WIDTH LOOK OUT MODE [TENANT USER PASSWORD]
//
// MODE "all" goes through login, the MFA set-up, its recovery codes, the
// code page, the password change, logout, a refused network (the site
// trusts X-Real-IP from the loopback and the tenant allows 127.0.0.0/8
// only), a page not found.  "login" takes the login page only; "down"
// the page that a protected location shows while Redis is down.

import { mkdirSync } from 'node:fs';

import { ok, run } from './tap.mjs';
import { freshStep, totp } from './totp.mjs';

const [base, width, look, out, mode, tenant, user, password] =
    process.argv.slice(2);
const phone = Number(width) < 600;

function options(lang, headers) {
    return {
        ignoreHTTPSErrors: true,
        locale: lang === 'ja' ? 'ja-JP' : 'en-US',
        viewport: { width: Number(width), height: phone ? 740 : 800 },
        isMobile: phone,
        hasTouch: phone,
        deviceScaleFactor: phone ? 2 : 1,
        extraHTTPHeaders: headers || {},
    };
}

async function submit(page) {
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type="submit"]')]);
}

// The screenshot, and what a user would notice on it.
async function shot(page, name, lang, heading) {
    const file = `${out}/${look}-${name}-${lang}-${width}.png`;
    await page.screenshot({ path: file, fullPage: true });

    ok((await page.getAttribute('html', 'lang')) === lang,
       `${name} (${lang}, ${width} px): the page is in ${lang}`);
    if (heading) {
        const h1 = (await page.textContent('h1')) || '';
        ok(h1.includes(heading), `${name} (${lang}, ${width} px): "${heading}"`,
           h1);
    }
    const wide = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth);
    ok(wide <= 0, `${name} (${lang}, ${width} px): nothing wider than the `
                  + 'screen', `${wide} px too wide`);
}

// A GET page in both languages, switched with the page's own link.
async function both(page, path, name, headings) {
    await page.goto(`${base}${path}`);
    const first = await page.getAttribute('html', 'lang');
    await shot(page, name, first, headings[first]);

    const other = first === 'ja' ? 'en' : 'ja';
    await Promise.all([page.waitForNavigation(),
                       page.click(`.kot-lang a[hreflang="${other}"]`)]);
    await shot(page, name, other, headings[other]);

    // back, for the next page
    await Promise.all([page.waitForNavigation(),
                       page.click(`.kot-lang a[hreflang="${first}"]`)]);
}

async function login(page, pw) {
    await page.goto(`${base}/kot/login`);
    await page.fill('input[name="tenant"]', tenant);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', pw);
    await submit(page);
}

await run(async (browser) => {
    mkdirSync(out, { recursive: true });

    if (mode === 'down') {
        for (const lang of ['en', 'ja']) {
            const context = await browser.newContext(options(lang));
            // a session to check, which takes Redis
            await context.addCookies([{ name: '__Host-kot_session',
                                        value: 'A'.repeat(43), url: base,
                                        secure: true }]);
            const page = await context.newPage();
            const res = await page.goto(`${base}/reports`);
            ok(res.status() === 503, `while Redis is down: 503 (${lang})`,
               res.status());
            await shot(page, 'unavailable', lang,
                       lang === 'ja' ? '一時的に' : 'Temporarily unavailable');
            await context.close();
        }
        return;
    }

    const context = await browser.newContext(options('en'));
    const page = await context.newPage();

    await both(page, '/kot/login', 'login', { en: 'Log in', ja: 'ログイン' });
    if (mode === 'login') {
        return;
    }

    await login(page, 'not the password');
    await shot(page, 'login-failed', 'en', 'Log in');

    await login(page, password);
    await both(page, '/kot/mfa', 'mfa-setup',
               { en: 'Two-step login', ja: '2段階認証' });

    const secret = (await page.textContent('#kot-totp-secret')).trim();
    await page.fill('input[name="code"]',
                    totp(secret, await freshStep() - 1));
    await submit(page);
    await shot(page, 'mfa-recovery', 'en', 'Your recovery codes');

    await both(page, '/kot/password', 'password',
               { en: 'Change password', ja: 'パスワード変更' });
    await page.fill('input[name="current_password"]', 'wrong');
    await page.fill('input[name="new_password"]', 'short');
    await page.fill('input[name="confirm_password"]', 'shorter');
    await submit(page);
    await shot(page, 'password-refused', 'en', 'Change password');

    await both(page, '/kot/logout', 'logout',
               { en: 'Log out', ja: 'ログアウト' });
    await submit(page);
    await shot(page, 'logged-out', 'en', 'Log in');

    await login(page, password);
    ok(new URL(page.url()).pathname === '/kot/login/code',
       'with two-step login on, the password leads to the code page',
       page.url());
    await shot(page, 'mfa-code', 'en', 'Enter your code');
    await page.goto(`${base}/kot/login/code?lang=ja`);
    await shot(page, 'mfa-code', 'ja', '確認コードの入力');

    await both(page, '/kot/nothing', 'not-found',
               { en: 'Page not found', ja: 'ページが見つかりません' });
    await context.close();

    for (const lang of ['en', 'ja']) {
        const far = await browser.newContext(
            options(lang, { 'X-Real-IP': '198.51.100.23' }));
        const p = await far.newPage();
        await p.goto(`${base}/kot/login`);
        await p.fill('input[name="tenant"]', tenant);
        await p.fill('input[name="username"]', user);
        await p.fill('input[name="password"]', password);
        await submit(p);
        ok((await p.textContent('.kot-address')) === '198.51.100.23',
           `a refused network shows the visitor's address (${lang})`);
        await shot(p, 'network-refused', lang,
                   lang === 'ja' ? 'アクセスできません' : 'Access denied');
        await far.close();
    }
});
