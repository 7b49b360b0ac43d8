// Networks: the tenant's two allow-lists, edited as text, one network a
// line.  Every network the server refuses is marked at its line, the
// first said in full; a list that would shut out the admin's own address
// needs a second confirmation.  A list is saved on the ETag the screen
// read (If-Match): if another admin changed it meanwhile, nothing is
// saved, the list as it now is is shown beside the admin's draft, which
// stays in the editor, and saving again replaces the list with the
// draft.  Under support access the lists are
// shown, not offered for change: they are the tenant's own admins' (the
// API's 403 forbidden), as they decide from where those reach the API.

import { t, tn, has } from '../i18n.js';
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

// Why the server refused a network, in the console's language: by the
// core's code for the reason (kot_cidr_code(), the "reason" of each
// entry of a 422's "refused"), never by its English, which may be
// reworded.  A code this console does not know yet (of a newer server)
// is said in the server's English.
function why(refused) {
    const key = `cidr.${refused.reason}`;
    let reason = refused.detail || refused.reason;
    if (typeof refused.suggestion === 'string' && has(`${key}.net`)) {
        reason = t(`${key}.net`, { net: refused.suggestion });
    } else if (typeof refused.reason === 'string' && has(key)) {
        reason = t(key);
    }
    return t('networks.invalid', { network: refused.network, reason });
}

// The entries a 422 refused, each with its line and why: the API names
// them by their place in the list sent.
function culprits(err, list) {
    const refused = Array.isArray(err.body.refused) ? err.body.refused : [];
    return refused
        .filter((r) => r && Number.isInteger(r.index) && list[r.index])
        .map((r) => ({ line: list[r.index].line, text: why(r) }));
}

// The same networks, in the order the API gives them.
function same(a, b) {
    return a.length === b.length && a.every((n, i) => n === b[i]);
}

// networks and etag: the list as the screen read it.
function editor(ctx, name, networks, etag) {
    let base = networks;
    let version = etag;
    const id = uid('list');
    const area = h('textarea', { id, rows: '8', spellcheck: 'false',
                                 autocomplete: 'off', autocapitalize: 'none',
                                 wrap: 'off', class: 'cidrs' });
    area.value = networks.join('\n');
    area.readOnly = ctx.support;

    const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    const problem = h('p', { class: 'field-error', id: uid('err'),
                             hidden: true });
    const hint = h('p', { class: 'hint', id: uid('hint') },
                   t('networks.hint'));
    const warn = h('div', { class: 'lockout', hidden: true });
    const changed = h('div', { class: 'lockout changed', hidden: true });
    const saved = h('p', { class: 'count' });
    area.setAttribute('aria-describedby', `${hint.id} ${problem.id}`);

    let bad = new Set();

    function numbers() {
        const n = area.value.split('\n').length;
        clear(gutter, Array.from({ length: n }, (_, i) =>
            h('span', { class: bad.has(i + 1) ? 'bad' : null },
              bad.has(i + 1) ? `! ${i + 1}` : String(i + 1))));
        gutter.scrollTop = area.scrollTop;
    }

    function showSaved(list) {
        saved.textContent = list.length
            ? tn('networks.saved_count', list.length)
            : t('networks.empty');
    }

    // lines: those to mark in the margin, none for a problem of the list
    function setProblem(lines, text) {
        bad = new Set(lines);
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

        setProblem([], '');
        warn.hidden = true;
        changed.hidden = true;

        await busy(button, async () => {
            try {
                const r = await put(body);
                const now = (r.data && r.data.networks) || body.networks;
                base = now;
                version = r.etag;
                area.value = now.join('\n');
                numbers();
                showSaved(now);
                announce('ok', t(`networks.${name}.saved`));
            } catch (err) {
                if (err.code === 'would_lock_out_caller') {
                    lockout(err);
                    return;
                }
                if (err.status === 412 && Array.isArray(err.body.networks)) {
                    meanwhile(err.body.networks, err.etag);
                    return;
                }
                const refused = err.status === 422 ? culprits(err, list)
                                                   : [];
                if (refused.length) {
                    // the first at the caret; the others marked, and
                    // counted
                    const text = [t('networks.bad_line', refused[0])];
                    if (refused.length > 1) {
                        text.push(tn('networks.more_bad',
                                     refused.length - 1));
                    }
                    setProblem(refused.map((e) => e.line), text.join(' '));
                    selectLine(refused[0].line);
                    announce('error', text.join(' '), false);
                } else {
                    const text = explain(err, ctx.support
                        ? { forbidden: 'networks.support_readonly' } : {});
                    setProblem([], text);
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

    // The ETag is the version of both lists of the tenant, which a change
    // of either moves: a 412 that holds this list as the screen read it
    // is of a change of the other one, and the save is made again on the
    // new ETag.
    async function put(body) {
        try {
            return await ctx.call('PUT', `allowlists/${name}`, body,
                                  { ifMatch: version, etag: true });
        } catch (err) {
            if (err.status !== 412 || !Array.isArray(err.body.networks)
                || !same(err.body.networks, base)) {
                throw err;
            }
            version = err.etag;
            return ctx.call('PUT', `allowlists/${name}`, body,
                            { ifMatch: version, etag: true });
        }
    }

    // Another admin changed the list since this screen read it: nothing
    // was saved.  The list as it now is, beside the draft; the next save
    // is made on it (its ETag), and so replaces it with the draft.
    function meanwhile(now, tag) {
        base = now;
        version = tag;
        showSaved(now);
        changed.hidden = false;
        clear(changed,
              h('h3', { tabindex: '-1' }, t('networks.changed_title')),
              h('p', null, t('networks.changed_meanwhile')),
              h('pre', { class: 'now' },
                now.length ? now.join('\n') : t('networks.empty')),
              h('div', { class: 'actions' },
                h('button', { type: 'button', class: 'secondary',
                              onclick: () => {
                    area.value = now.join('\n');
                    setProblem([], '');
                    changed.hidden = true;
                    area.focus();
                } }, t('networks.use_current'))));
        announce('error', t('networks.changed_meanwhile'), false);
        changed.querySelector('h3').focus();
    }

    area.addEventListener('input', () => {
        if (bad.size) {
            setProblem([], '');
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
        problem, ctx.support ? null : hint, saved, warn, changed,
        ctx.support ? null : h('div', { class: 'actions' }, saveButton));
}

async function render(ctx) {
    const [access, admin] = await Promise.all([
        ctx.call('GET', 'allowlists/access', undefined, { etag: true }),
        ctx.call('GET', 'allowlists/admin', undefined, { etag: true }),
    ]);

    return [
        h('p', { class: 'intro' }, t('networks.intro')),
        h('div', { class: 'your-ip' },
          h('span', null, t('networks.your_ip')),
          h('strong', { class: 'ip' },
            ctx.session.ip || t('networks.your_ip_unknown'))),
        ctx.support ? h('p', { class: 'support-note', role: 'note' },
                        t('networks.support_readonly')) : null,
        editor(ctx, 'access', access.data.networks || [], access.etag),
        editor(ctx, 'admin', admin.data.networks || [], admin.etag),
    ];
}

export default {
    networks: { title: 'networks.title', render },
};
