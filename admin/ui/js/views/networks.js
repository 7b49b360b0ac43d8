// Networks: the tenant's two allow-lists, edited as text, one network a
// line.  A network the server refuses is shown at its line; a list that
// would shut out the admin's own address needs a second confirmation.

import { t, tn } from '../i18n.js';
import { explain } from '../api.js';
import { h, clear, announce, busy, confirmDialog, markError, uid }
    from '../dom.js';

// The entries to send, with the line each came from.  Blank lines and
// "#" comments are the admin's own notes and are not sent.
function entries(text) {
    return text.split('\n')
        .map((l, i) => ({ text: l.trim(), line: i + 1 }))
        .filter((e) => e.text && !e.text.startsWith('#'));
}

// The core's reasons for refusing a network (kot_cidr_strerror), so
// that they can be said in the admin's language.
const REASONS = {
    'empty': 'empty',
    'too long to be an address': 'long',
    'spaces or control characters': 'space',
    'an IPv6 zone (%...) is not allowed': 'zone',
    ['unexpected characters (an address has only digits, a-f, \'.\', \':\' '
     + 'and one \'/\')']: 'garbage',
    'no address before the \'/\'': 'noaddr',
    'no prefix length after the \'/\'': 'noprefix',
    'the prefix length is not a decimal number': 'prefix',
    'leading zero in the prefix length': 'prefixzero',
    'leading zeros in IPv4 numbers are ambiguous (octal or decimal?)':
        'leadzero',
    'not an IPv4 or IPv6 address': 'addr',
    'not an IPv4 address (four numbers 0 to 255: a.b.c.d)': 'addr4',
    'not an IPv6 address': 'addr6',
    'prefix length out of range (IPv4 allows /0 to /32)': 'range4',
    'prefix length out of range (IPv6 allows /0 to /128)': 'range6',
    'host bits set': 'host',
};

// '"10.0.0.1/8" is not a network: host bits set (did you mean
// 10.0.0.0/8?)' in words of the console's language, or as it came.
function why(err) {
    const m = (err.detail || '').match(/^"(.*)" is not a network: (.*)$/);
    if (!m) {
        return explain(err);
    }
    const host = m[2].match(/^host bits set \(did you mean (.*)\?\)$/);
    const reason = host ? t('cidr.host_net', { net: host[1] })
                 : REASONS[m[2]] ? t(`cidr.${REASONS[m[2]]}`) : m[2];
    return t('networks.invalid', { network: m[1], reason });
}

// Which entry a 422 is about: the API names the network (in a member of
// the answer, or quoted in the detail).
function culprit(err, list) {
    const b = err.body || {};
    if (Number.isInteger(b.index) && list[b.index]) {
        return list[b.index];
    }
    const named = b.network || b.cidr || b.value
                  || ((err.detail || '').match(/"([^"]*)"/) || [])[1];
    return list.find((e) => e.text === named) || null;
}

function editor(ctx, name, networks) {
    const id = uid('list');
    const area = h('textarea', { id, rows: '8', spellcheck: 'false',
                                 autocomplete: 'off', autocapitalize: 'none',
                                 wrap: 'off', class: 'cidrs' });
    area.value = networks.join('\n');

    const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    const problem = h('p', { class: 'field-error', id: uid('err'),
                             hidden: true });
    const hint = h('p', { class: 'hint', id: uid('hint') },
                   t('networks.hint'));
    const warn = h('div', { class: 'lockout', hidden: true });
    const saved = h('p', { class: 'count' });
    area.setAttribute('aria-describedby', `${hint.id} ${problem.id}`);

    let bad = 0;

    function numbers() {
        const n = area.value.split('\n').length;
        clear(gutter, Array.from({ length: n }, (_, i) =>
            h('span', { class: i + 1 === bad ? 'bad' : null },
              i + 1 === bad ? `! ${i + 1}` : String(i + 1))));
        gutter.scrollTop = area.scrollTop;
    }

    function showSaved(list) {
        saved.textContent = list.length
            ? tn('networks.saved_count', list.length)
            : t('networks.empty');
    }

    function setProblem(line, text) {
        bad = line;
        markError(area, problem, text);
        numbers();
    }

    // Puts the caret on a line, so that the admin can fix it at once.
    function selectLine(line) {
        const lines = area.value.split('\n');
        const start = lines.slice(0, line - 1).join('\n').length
                      + (line > 1 ? 1 : 0);
        area.focus();
        area.setSelectionRange(start, start + lines[line - 1].length);
    }

    async function save(button, force) {
        const list = entries(area.value);
        const body = { networks: list.map((e) => e.text) };
        if (force) {
            body.force = true;
        }

        setProblem(0, '');
        warn.hidden = true;

        await busy(button, async () => {
            try {
                const r = await ctx.call('PUT', `allowlists/${name}`, body);
                const now = (r && r.networks) || body.networks;
                area.value = now.join('\n');
                numbers();
                showSaved(now);
                announce('ok', t(`networks.${name}.saved`));
            } catch (err) {
                if (err.code === 'would_lock_out_caller') {
                    lockout(err);
                    return;
                }
                const e = err.status === 422 || err.status === 400
                    ? culprit(err, list) : null;
                const text = e ? why(err) : explain(err);
                if (e) {
                    setProblem(e.line, t('networks.bad_line',
                                         { line: e.line, text }));
                    selectLine(e.line);
                    announce('error', t('networks.bad_line',
                                        { line: e.line, text }), false);
                } else {
                    setProblem(0, text);
                    announce('error', text, false);
                }
            }
        });
    }

    // The server refused because the new list would shut out this very
    // admin: say so, with the address, and ask twice.
    function lockout(err) {
        const ip = (err.body && (err.body.ip || err.body.address))
                   || ctx.session.ip || t('networks.your_ip_unknown');
        const again = h('button', { type: 'button', class: 'danger',
                                    onclick: async (e) => {
            const b = e.currentTarget;
            if (await confirmDialog({
                title: t('networks.lockout_confirm_title'),
                body: [t(`networks.${name}.lockout`, { ip }),
                       t('networks.lockout_recover')],
                ack: t('networks.lockout_ack', { ip }),
                confirm: t('networks.save_anyway'), danger: true })) {
                await save(b, true);
            }
        } }, t('networks.save_anyway'));

        warn.hidden = false;
        clear(warn, h('h3', null, t('networks.lockout_title')),
              h('p', null, t(`networks.${name}.lockout`, { ip })),
              h('div', { class: 'actions' },
                h('button', { type: 'button', class: 'secondary',
                              onclick: () => {
                    warn.hidden = true;
                    area.focus();
                } }, t('networks.keep_editing')),
                again));
        announce('error', t(`networks.${name}.lockout`, { ip }), false);
        warn.querySelector('h3').setAttribute('tabindex', '-1');
        warn.querySelector('h3').focus();
    }

    area.addEventListener('input', () => {
        if (bad) {
            setProblem(0, '');
        }
        numbers();
    });
    area.addEventListener('scroll', () => {
        gutter.scrollTop = area.scrollTop;
    });

    const saveButton = h('button', { type: 'button', class: 'primary',
                                     onclick: (e) => save(e.currentTarget,
                                                          false) },
                         t(`networks.${name}.save`));

    numbers();
    showSaved(networks);

    const title = uid('h');
    return h('section', { class: 'card', 'aria-labelledby': title },
        h('h2', { id: title }, t(`networks.${name}.title`)),
        h('p', null, t(`networks.${name}.about`)),
        h('label', { for: id, class: 'label' }, t('networks.label')),
        h('div', { class: 'editor' }, gutter, area),
        problem, hint, saved, warn,
        h('div', { class: 'actions' }, saveButton));
}

async function render(ctx) {
    const [access, admin] = await Promise.all([
        ctx.call('GET', 'allowlists/access'),
        ctx.call('GET', 'allowlists/admin'),
    ]);

    return [
        h('p', { class: 'intro' }, t('networks.intro')),
        h('div', { class: 'your-ip' },
          h('span', null, t('networks.your_ip')),
          h('strong', { class: 'ip' },
            ctx.session.ip || t('networks.your_ip_unknown'))),
        editor(ctx, 'access', access.networks || []),
        editor(ctx, 'admin', admin.networks || []),
    ];
}

export default {
    networks: { title: 'networks.title', render },
};
