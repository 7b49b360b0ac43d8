// Screenshots of every portal page in English and Japanese, on a desktop
// (1280 px wide) or a phone (375 px, with touch and the viewport meta
// honoured), into OUT/LOOK-PAGE-LANG-WIDTH.png; and on each, that nothing
// is wider than the screen.  Prints TAP; t/portal_screens.t runs it.
//
// usage: node screens.mjs BASE_URL WIDTH LOOK OUT MODE [TENANT USER PASSWORD]
//
// MODE "all" goes through login (with a phone logged in already, and a
// failed login), the last-login page after it, the user's own sessions,
// the MFA set-up, its recovery codes, the code page, the password
// change, logout, a refused network (the site trusts X-Real-IP from the
// loopback and the tenant allows 127.0.0.0/8 only), a page not found.
// "login" takes the login page only; "down" the page that a protected
// location shows while Redis is down; "tls" the page of a connection
// below kot_min_tls (the site speaks TLSv1.2 only, and needs TLSv1.3).

import { mkdirSync } from 'node:fs';

import { ok, run } from './tap.mjs';
import { freshStep, totp } from './totp.mjs';

const [base, width, look, out, mode, tenant, user, password] =
    process.argv.slice(2);
const phone = Number(width) < 600;

// the other device logged in, in the sessions' list
const iPhone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) '
    + 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
    + 'Mobile/15E148 Safari/604.1';

function options(lang, headers, userAgent) {
    return {
        ignoreHTTPSErrors: true,
        ...(userAgent && { userAgent }),
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

    if (mode === 'tls') {
        for (const lang of ['en', 'ja']) {
            const context = await browser.newContext(options(lang));
            const page = await context.newPage();
            const res = await page.goto(`${base}/kot/login`);
            ok(res.status() === 403
               && (await page.textContent('main')).includes('TLSv1.2'),
               `over TLSv1.2: 403, naming the protocol (${lang})`,
               res.status());
            await shot(page, 'tls-too-old', lang,
                       lang === 'ja' ? '安全な接続が必要です'
                                     : 'Secure connection required');
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

    // the user's phone, logged in before this login
    const phoneContext = await browser.newContext(
        options('en', {}, iPhone));
    await login(await phoneContext.newPage(), password);

    await login(page, 'not the password');
    await shot(page, 'login-failed', 'en', 'Log in');

    await login(page, password);
    ok(new URL(page.url()).pathname === '/kot/welcome'
       && (await page.textContent('main')).includes('127.0.0.1')
       && (await page.textContent('main')).includes('since then: 1.'),
       'a login shows the last one first, with its address and the failed '
       + 'login since', `${page.url()} ${await page.textContent('main')}`);
    await both(page, new URL(page.url()).pathname + new URL(page.url()).search,
               'welcome', { en: 'Welcome', ja: 'ようこそ' });
    const go = await page.locator('.kot-continue').boundingBox();
    const form = await page.locator('main').boundingBox();
    ok(go.height >= 36 && go.width > form.width * 0.8,
       `its way on is a button, as tall as the portal's and as wide as `
       + `the page (${width} px)`,
       JSON.stringify(go));

    await both(page, '/kot/sessions', 'sessions',
               { en: 'Your sessions', ja: 'ログイン中の端末' });
    ok(await page.locator('.kot-session').count() === 2
       && (await page.textContent('.kot-sessions')).includes('iPhone'),
       'the sessions page lists this device and the phone',
       await page.textContent('main'));
    const end = page.getByRole(
        'button', { name: 'Log out that device Safari on iPhone' });
    ok(await end.count() === 1
       && (await end.getAttribute('aria-describedby'))
       && (await page.textContent(
              `#${await end.getAttribute('aria-describedby')}`))
              .includes('127.0.0.1'),
       'a screen reader hears which device the phone\'s button logs out, '
       + 'and its address',
       await page.innerHTML('.kot-sessions'));
    await phoneContext.close();
    await both(page, '/kot/mfa', 'mfa-setup',
               { en: 'Two-step login', ja: '2段階認証' });

    const secret = (await page.textContent('#kot-totp-secret')).trim();
    await page.fill('input[name="code"]',
                    totp(secret, await freshStep() - 1));
    await page.fill('form:has(input[name="code"]) input[name="password"]',
                    password);
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
