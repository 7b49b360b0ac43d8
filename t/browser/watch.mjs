// What the console tests watch on every page: console errors, requests
// that fail or answer with an error the test did not expect, and
// Content-Security-Policy violations; and what they check on every
// screen: labels, touch targets, horizontal scrolling, contrast, and
// message keys showing instead of text.

export function watch(page) {
    const problems = [];
    const expected = [];

    // A refused request shows in the console too; the response itself
    // is what is checked.
    const refused = new RegExp('^Failed to load resource: the server '
                               + 'responded with a status of \\d+');

    page.on('console', (m) => {
        if (m.type() === 'error' && !refused.test(m.text())) {
            problems.push(`console error: ${m.text()}`);
        }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
        // a page that navigates away drops its own pending requests:
        // its API calls, and images such as the header's icon, which is
        // also the tab's (<link rel="icon">, whose request is not of
        // type image: seen aborted in a clean-clone run)
        if (r.failure() && r.failure().errorText === 'net::ERR_ABORTED'
            && (['fetch', 'image'].includes(r.resourceType())
                || new URL(r.url()).pathname.endsWith('/icon.svg'))) {
            return;
        }
        problems.push(`request failed: ${r.method()} ${r.url()} `
                      + `${r.failure() && r.failure().errorText}`);
    });
    page.on('response', (r) => {
        if (r.status() < 400) {
            return;
        }
        const what = `${r.request().method()} ${new URL(r.url()).pathname}`;
        const i = expected.findIndex((e) => e.status === r.status()
                                            && e.what.test(what));
        if (i >= 0) {
            expected[i].seen++;
            return;
        }
        problems.push(`unexpected ${r.status()}: ${what}`);
    });

    return {
        problems,
        // allows answers with this status to requests matching what
        // ("PUT /kot/admin/api/...")
        expect(status, what) {
            const e = { status, what, seen: 0 };
            expected.push(e);
            return e;
        },
    };
}

// Before any page script: CSP violations of every page of the context,
// as the browser reports them to the page, into violations.
export async function recordCsp(context, violations) {
    await context.exposeFunction('kotReportCsp', (v) => violations.push(v));
    await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
            window.kotReportCsp(`${e.violatedDirective} ${e.blockedURI}`);
        });
    });
}

// A call of the API inside a tenant, as watch() names requests.
export function api(method, rest) {
    return new RegExp(`^${method} /kot/admin/api/tenants/[^/]+/${rest}$`);
}

// Until the console's screen is drawn.
export async function ready(page) {
    await page.waitForSelector('#view[aria-busy="false"]');
}

// Whether what locator finds comes to show within 10 s.
export async function shown(locator) {
    try {
        await locator.waitFor({ timeout: 10000 });
        return true;
    } catch (e) {
        return false;
    }
}

// Whether a notice that says text appears (a success, or with kind
// 'error' an error), however many came before.
export function says(page, text, kind) {
    return shown(page.locator(kind === 'error' ? '#live-alert'
                                               : '#live-status',
                              { hasText: text }));
}

// What is wrong with the screen as shown, from a user's point of view.
export async function audit(page, narrow) {
    return page.evaluate((narrow) => {
        const out = [];

        const visible = (el) => {
            const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden';
        };

        const name = (el) => `${el.tagName.toLowerCase()}`
            + `${el.id ? `#${el.id}` : ''} "${(el.textContent || el.value
                                               || '').trim().slice(0, 30)}"`;

        if (document.documentElement.scrollWidth > innerWidth) {
            out.push(`scrolls sideways: ${document.documentElement.scrollWidth}`
                     + ` > ${innerWidth}`);
        }

        for (const el of document.querySelectorAll('input, select, textarea')) {
            if (el.type === 'hidden' || !visible(el)) {
                continue;
            }
            if (!el.labels.length && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby')) {
                out.push(`no label: ${name(el)}`);
            }
        }

        // targets: 44 px high, or inside a 44 px row with their label
        if (narrow) {
            for (const el of document.querySelectorAll(
                'button, main a, nav a, input, select, textarea')) {
                if (!visible(el)) {
                    continue;
                }
                const box = el.type === 'checkbox' || el.type === 'radio'
                    ? el.closest('.check') : el;
                if (box.getBoundingClientRect().height < 44) {
                    out.push(`small target: ${name(el)} `
                             + `${box.getBoundingClientRect().height}px`);
                }
            }
        }

        // WCAG AA contrast of every text against what is behind it
        const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => {
            const f = (v) => {
                v /= 255;
                return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const behind = (el) => {
            for (let e = el; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
                    return c.slice(0, 3);
                }
            }
            return [255, 255, 255];
        };

        const keyLike = new RegExp('^(common|users|sessions|networks|'
            + 'policy|support|events|tenants|err|nav|role|action|reason|'
            + 'outcome|banner|header|lang|cidr)\\.[a-z_.]+$');
        const walker = document.createTreeWalker(document.body,
                                                 NodeFilter.SHOW_TEXT);
        const seen = new Set();
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!n.textContent.trim() || seen.has(el) || !visible(el)
                || el.closest('[aria-hidden="true"], .visually-hidden')) {
                continue;
            }
            seen.add(el);
            const s = getComputedStyle(el);
            const fg = rgb(s.color).slice(0, 3);
            const [a, b] = [lum(fg), lum(behind(el))];
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            const size = parseFloat(s.fontSize);
            const large = size >= 24 || (size >= 18.66
                                         && Number(s.fontWeight) >= 700);
            if (ratio < (large ? 3 : 4.5)) {
                out.push(`contrast ${ratio.toFixed(2)}: ${name(el)}`);
            }

            if (keyLike.test(n.textContent.trim())) {
                out.push(`a message key instead of text: ${n.textContent}`);
            }
        }

        return out;
    }, narrow);
}
