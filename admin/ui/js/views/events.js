// Events: the tenant's recent security and admin events, newest first:
// who, what, when, from where, and how it ended.  Locks and denials
// stand out.

import { t, has, fmtTime } from '../i18n.js';
import { h, clear, field, checkbox, badge, table, remember }
    from '../dom.js';

const ALERTS = ['account_locked', 'ip_denied', 'role_denied',
                'login_throttled'];
const LIMITS = ['100', '500', '1000'];

// A record's field: the audit log's flat dotted names, or nested.
function get(r, name) {
    if (name in r) {
        return r[name];
    }
    return name.split('.').reduce((o, k) => (o && typeof o === 'object'
                                             ? o[k] : undefined), r);
}

function alert(r) {
    const action = get(r, 'event.action');
    return ALERTS.includes(action)
           || (action === 'login' && get(r, 'event.outcome') === 'failure');
}

function actionName(a) {
    return has(`action.${a}`) ? t(`action.${a}`) : a;
}

function outcome(r) {
    const o = get(r, 'event.outcome') || 'unknown';
    return badge(o === 'success' ? 'ok' : o === 'failure' ? 'alert' : 'off',
                 has(`outcome.${o}`) ? t(`outcome.${o}`) : o);
}

function details(r) {
    const reason = get(r, 'event.reason');
    const parts = [];
    if (reason) {
        parts.push(h('span', null, has(`reason.${reason}`)
                                   ? t(`reason.${reason}`) : reason));
    }
    if (get(r, 'kot.support')) {
        parts.push(badge('warn', t('events.support')));
    }
    if (get(r, 'kot.allowlist')) {
        parts.push(h('span', null, t('events.list',
                                     { list: get(r, 'kot.allowlist') })));
    }
    return parts.length ? h('span', { class: 'details' }, parts)
                        : t('common.none');
}

function who(r) {
    const actor = get(r, 'user.name');
    const target = get(r, 'user.target.name');
    if (actor && target && actor !== target) {
        return t('events.actor_target', { actor, target });
    }
    return actor || target || t('common.none');
}

async function render(ctx) {
    const limit = LIMITS.includes(ctx.params.get('limit'))
        ? ctx.params.get('limit') : '100';
    const data = await ctx.call('GET', `events?limit=${limit}`);
    const all = data.events || [];

    const user = h('input', { type: 'search', autocomplete: 'off',
                              value: ctx.params.get('user') || '' });
    const actions = [...new Set(all.map((r) => get(r, 'event.action')))]
        .filter(Boolean)
        .sort((a, b) => actionName(a).localeCompare(actionName(b)));
    const action = h('select', null,
                     h('option', { value: '' }, t('events.all_actions')),
                     actions.map((a) => h('option', { value: a },
                                          actionName(a))));
    action.value = actions.includes(ctx.params.get('action'))
        ? ctx.params.get('action') : '';
    const only = checkbox(t('events.only_alerts'),
                          { checked: ctx.params.get('alerts') === '1' });
    const onlyBox = only.querySelector('input');
    const count = h('select', null,
                    LIMITS.map((n) => h('option', { value: n },
                                        t('events.last_n', { n }))));
    count.value = limit;

    const shown = h('p', { class: 'count', 'aria-live': 'polite' });
    const results = h('div');

    const columns = [
        { label: t('events.col.time'), class: 'nowrap',
          cell: (r) => h('time', { datetime: get(r, '@timestamp') },
                         fmtTime(get(r, '@timestamp'))) },
        { label: t('events.col.action'),
          cell: (r) => [alert(r) ? badge('alert', t('events.attention'))
                                 : null,
                        ' ', actionName(get(r, 'event.action'))] },
        { label: t('events.col.outcome'), cell: outcome },
        { label: t('events.col.user'), cell: who },
        { label: t('events.col.ip'), class: 'nowrap',
          cell: (r) => get(r, 'source.ip') || t('common.none') },
        { label: t('events.col.details'), cell: details },
    ];

    function update() {
        const q = user.value.trim().toLowerCase();
        const rows = all.filter((r) =>
            (!q || [get(r, 'user.name'), get(r, 'user.target.name')]
                .some((n) => n && String(n).toLowerCase().includes(q)))
            && (!action.value || get(r, 'event.action') === action.value)
            && (!onlyBox.checked || alert(r)));

        remember({ user: q, action: action.value,
                   alerts: onlyBox.checked ? '1' : '' });

        shown.textContent = t('events.count', { shown: rows.length,
                                                total: all.length });
        clear(results, rows.length
            ? table(t('events.title'), columns, rows,
                    (r) => (alert(r) ? 'highlight' : null))
            : h('p', { class: 'empty' },
                t(all.length ? 'events.none_match' : 'events.none')));
    }

    user.addEventListener('input', update);
    action.addEventListener('change', update);
    onlyBox.addEventListener('change', update);
    count.addEventListener('change', () => {
        remember({ limit: count.value });
        ctx.refresh();
    });
    update();

    return [
        h('p', { class: 'intro' }, t('events.intro')),
        h('div', { class: 'toolbar' },
          h('div', { class: 'filters' },
            field(t('events.filter_user'), user),
            field(t('events.filter_action'), action),
            field(t('events.show'), count),
            only)),
        shown,
        results,
    ];
}

export default {
    events: { title: 'events.title', render },
};
