// Support access: the tenant admin lets the operator's staff see inside
// the tenant for some hours, sees until when, and can take it back.

import { t, fmtTime } from '../i18n.js';
import { explain } from '../api.js';
import { h, announce, busy, field, refuse, section, badge }
    from '../dom.js';
import { act } from '../act.js';

function grantForm(ctx) {
    const hours = h('input', { type: 'number', min: '1', max: '72',
                               step: '1', inputmode: 'numeric',
                               value: '4', required: true });
    const hoursField = field(t('support.hours'), hours,
                             t('support.hours_hint'));
    const submit = h('button', { type: 'submit', class: 'primary' },
                     t('support.grant'));

    return h('form', { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        const n = Number(hours.value);
        if (!Number.isInteger(n) || n < 1 || n > 72) {
            refuse(hoursField, t('support.hours_range'));
            return;
        }
        hoursField.setError('');
        await busy(submit, async () => {
            try {
                const r = await ctx.call('POST', 'support', { hours: n });
                announce('ok', t('support.granted_until',
                                 { expires: fmtTime(r && r.expires) }));
                ctx.refresh();
            } catch (err) {
                announce('error', explain(err));
            }
        });
    } }, hoursField, h('div', { class: 'actions' }, submit));
}

function revokeButton(ctx) {
    return h('button', { type: 'button', class: 'danger',
                         onclick: (e) => act(ctx, e.currentTarget, {
        ask: { title: t('support.revoke_title'),
               body: t('support.revoke_body'),
               confirm: t('support.revoke'), danger: true },
        run: () => ctx.call('DELETE', 'support'),
        done: () => t('support.revoked'),
    }) }, t('support.revoke'));
}

async function render(ctx) {
    const g = await ctx.call('GET', 'support');
    const granted = !!(g && g.granted);
    // only the tenant's own admin grants and revokes
    const mine = ctx.own;

    return [
        h('p', { class: 'intro' }, t('support.intro')),
        section(t('support.status'),
            h('p', { class: 'status-line' },
              granted ? badge('warn', t('support.on'))
                      : badge('off', t('support.off')),
              ' ',
              granted ? t('support.expires', { expires: fmtTime(g.expires) })
                      : t('support.none')),
            granted && g.by
                ? h('p', { class: 'hint' },
                    t('support.by', { by: g.by,
                                      created: fmtTime(g.created) }))
                : null,
            mine && granted ? h('div', { class: 'actions' },
                                revokeButton(ctx)) : null),
        mine ? section(t(granted ? 'support.extend' : 'support.new'),
                       h('p', null, t('support.grant_hint')),
                       grantForm(ctx))
             : h('p', { class: 'hint' }, t('support.only_tenant')),
    ];
}

export default {
    support: { title: 'support.title', render },
};
