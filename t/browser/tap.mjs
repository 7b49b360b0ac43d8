// What the browser tests share: TAP output, and Debian's headless
// Chromium started the way this machine allows (no sandbox as root, no
// background networking, which the closed network would refuse).

import { chromium } from 'playwright-core';

let n = 0;
let failed = 0;

export function ok(pass, name, detail) {
    n++;
    if (!pass) {
        failed++;
    }
    console.log(`${pass ? '' : 'not '}ok ${n} - ${name}`);
    if (!pass && detail !== undefined) {
        console.log(`#   ${String(detail).replace(/\n/g, '\n#   ')}`);
    }
}

// Runs steps(browser), counts an exception as a failed test, and exits
// with the plan.
export async function run(steps) {
    const browser = await chromium.launch({
        executablePath: process.env.KOT_CHROMIUM || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
    });

    try {
        await steps(browser);
    } catch (e) {
        ok(false, 'the browser flow ran to the end', e.stack);
    } finally {
        await browser.close();
    }

    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
}

// The field that has the focus: its name, value, aria-invalid, and its
// description as a screen reader reads it (the text of the elements its
// aria-describedby names, in order).
export async function focusedField(page) {
    // A page's autofocus takes effect at a rendering update after its
    // load event: on a busy machine the question could come first.  A
    // page that focuses nothing is answered after 5 s, with the body.
    await page.waitForFunction(() => document.activeElement
                                     && document.activeElement
                                        !== document.body,
                               null, { timeout: 5000 }).catch(() => {});
    return page.evaluate(() => {
        const el = document.activeElement;
        const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/);
        return {
            name: el.getAttribute('name'),
            value: el.value,
            invalid: el.getAttribute('aria-invalid'),
            description: ids.filter((id) => id)
                .map((id) => document.getElementById(id)?.textContent ?? '')
                .join(' '),
        };
    });
}
