// Sessions: who is logged in, from where, and since when; ending one
// session, or every session of a user.

import { t, tn, fmtTime } from '../i18n.js';
import { path, loggedOut } from '../api.js';
import { h, clear, field, badge, table, remember } from '../dom.js';
import { act } from '../act.js';

// The session of this very browser: ending it logs the admin out.
function current(ctx, s) {
    return ctx.own && s.handle === ctx.session.handle;
}

function endOne(ctx, s, button) {
    const self = current(ctx, s);
    return act(ctx, button, {
        ask: { title: t('sessions.end_title', { user: s.user }),
               body: t(self ? 'sessions.end_self_body' : 'sessions.end_body',
                       { user: s.user, ip: s.ip || '' }),
               confirm: t('sessions.end'), danger: true },
        run: () => ctx.call('DELETE', path('sessions', s.handle)),
        done: () => t('sessions.ended', { user: s.user }),
        then: self ? loggedOut : undefined,
    });
}

// A button that ends every session of a user: the admin's own include
// this browser's.
export function endAllButton(ctx, user, label) {
    const self = ctx.own && user === ctx.session.user;
    return h('button', { type: 'button', class: 'danger',
                         onclick: (e) => act(ctx, e.currentTarget, {
        ask: { title: t('sessions.end_all_title', { user }),
               body: [t('sessions.end_all_body'),
                      self ? t('sessions.end_all_self') : null]
                   .filter(Boolean),
               confirm: t('sessions.end_all'), danger: true },
        run: () => ctx.call('DELETE', `${path('users', user)}/sessions`),
        done: () => t('sessions.ended_all', { user }),
        then: self ? loggedOut : undefined,
    }) }, label);
}

// The rows of sessions, with the user's column when they are of many.
// The admin's own are marked, and the one of this browser as such.
export function sessionTable(ctx, rows, withUser) {
    const mine = (s) => ctx.own && s.user === ctx.session.user;
    const columns = [
        withUser && { label: t('sessions.col.user'),
                      cell: (s) => [ctx.link(s.user, 'user', { u: s.user }),
                                    mine(s) ? [' ', badge('role',
                                                          t('sessions.you'))]
                                            : null] },
        { label: t('sessions.col.ip'), class: 'nowrap',
          cell: (s) => [s.ip || t('common.none'),
                        current(ctx, s) ? [' ', badge('ok',
                                               t('sessions.this_browser'))]
                                        : null] },
        { label: t('sessions.col.created'), class: 'nowrap',
          cell: (s) => fmtTime(s.created) },
        { label: t('sessions.col.last_active'), class: 'nowrap',
          cell: (s) => fmtTime(s.last_active) },
        { label: t('sessions.col.expires'), class: 'nowrap',
          cell: (s) => fmtTime(earliest(s.idle_expires,
                                        s.absolute_expires)) },
        { label: t('sessions.col.actions'), class: 'actions-cell',
          cell: (s) => h('button', {
              type: 'button', class: 'secondary',
              'aria-label': t(current(ctx, s) ? 'sessions.end_self_label'
                                              : 'sessions.end_label',
                              { user: s.user, ip: s.ip || '' }),
              onclick: (e) => endOne(ctx, s, e.currentTarget),
          }, t('sessions.end')) },
    ].filter(Boolean);

    return table(t('nav.sessions'), columns, rows);
}

function earliest(a, b) {
    if (!a || !b) {
        return a || b;
    }
    return new Date(a) < new Date(b) ? a : b;
}

async function render(ctx) {
    const data = await ctx.call('GET', 'sessions');
    const all = (data.sessions || []).slice()
        .sort((a, b) => String(b.last_active).localeCompare(
            String(a.last_active)));

    const search = h('input', { type: 'search', autocomplete: 'off',
                                value: ctx.params.get('user') || '' });
    const count = h('p', { class: 'count', 'aria-live': 'polite' });
    const results = h('div');
    const allBox = h('div', { class: 'actions' });

    function update() {
        const q = search.value.trim().toLowerCase();
        const rows = all.filter((s) => !q || s.user.includes(q));
        const users = new Set(rows.map((s) => s.user));

        remember({ user: q });

        count.textContent = tn('sessions.count', rows.length);
        clear(results, rows.length ? sessionTable(ctx, rows, true)
                                   : h('p', { class: 'empty' },
                                       t(all.length ? 'sessions.none_match'
                                                    : 'sessions.none')));

        // ending all of one user's sessions, once the list shows one user
        const only = users.size === 1 ? [...users][0] : null;
        clear(allBox, only && endAllButton(ctx, only,
                                           t('sessions.end_all_of',
                                             { user: only })));
    }

    search.addEventListener('input', update);
    update();

    return [
        h('p', { class: 'intro' }, t('sessions.intro')),
        h('div', { class: 'toolbar' },
          h('div', { class: 'filters' },
            field(t('sessions.filter'), search))),
        count,
        results,
        allBox,
    ];
}

export default {
    sessions: { title: 'sessions.title', render },
};
