// Tenants, for the operator's system admins: the list, a new tenant, and
// deleting one.  A tenant's inside opens only under its admin's grant.

import { t, fmtTime, fmtNumber } from '../i18n.js';
import { explain, path } from '../api.js';
import { h, clear, announce, busy, field, refuse, table, section, secret }
    from '../dom.js';
import { act } from '../act.js';

// A new company, with its first admin: without one, nobody could manage
// it, nor grant support access to anyone who could.
function addForm(ctx, listed) {
    const box = h('div');
    const name = h('input', { type: 'text', autocomplete: 'off',
                              spellcheck: 'false', autocapitalize: 'none',
                              maxlength: '63', required: true });
    const nameField = field(t('tenants.name'), name, t('tenants.name_hint'));
    const admin = h('input', { type: 'text', autocomplete: 'off',
                               spellcheck: 'false', autocapitalize: 'none',
                               maxlength: '64', required: true });
    const adminField = field(t('tenants.admin'), admin,
                             t('tenants.admin_hint'));
    const submit = h('button', { type: 'submit', class: 'primary' },
                     t('tenants.add'));

    const form = h('form', { novalidate: true, class: 'inline-form',
                             onsubmit: async (e) => {
        e.preventDefault();
        const value = name.value.trim();
        const first = admin.value.trim();
        nameField.setError('');
        adminField.setError('');
        for (const [f, v, key] of
             [[nameField, value, 'tenants.name_required'],
              [adminField, first, 'tenants.admin_required']]) {
            if (!v) {
                refuse(f, t(key));
                return;
            }
        }
        await busy(submit, async () => {
            try {
                const r = await ctx.api('POST', 'tenants',
                                        { name: value, admin: first });
                announce('ok', t('tenants.added', { tenant: r.name }));
                await listed();
                clear(box, h('div', { class: 'result' },
                    h('h3', null, t('tenants.added', { tenant: r.name })),
                    h('p', null, t('tenants.admin_temp',
                                   { user: r.admin.username })),
                    secret(r.admin.temporary_password),
                    h('p', { class: 'hint' }, t('tenants.admin_temp_hint')),
                    h('div', { class: 'actions' },
                      h('button', { type: 'button', class: 'primary',
                                    onclick: () => ctx.refresh() },
                        t('tenants.done')))));
            } catch (err) {
                const text = explain(err, { exists: 'err.tenant_exists' });
                const which = err.code === 'invalid_name'
                              && /username/.test(err.detail)
                    ? adminField : nameField;
                refuse(which, text);
            }
        });
    } }, nameField, adminField, h('div', { class: 'actions' }, submit));

    clear(box, form);
    return box;
}

function remove(ctx, tenant, button) {
    return act(ctx, button, {
        ask: { title: t('tenants.delete_title', { tenant: tenant.name }),
               body: [t('tenants.delete_body', { n: tenant.users ?? 0 }),
                      t('tenants.delete_never', { tenant: tenant.name })],
               ack: t('tenants.delete_ack', { tenant: tenant.name }),
               confirm: t('tenants.delete'), danger: true },
        run: () => ctx.api('DELETE', path('tenants', tenant.name)),
        done: () => t('tenants.deleted', { tenant: tenant.name }),
    });
}

function list(ctx, rows) {
    const me = ctx.session.tenant;
    const columns = [
        { label: t('tenants.name'),
          cell: (r) => h('a', { href: ctx.hrefIn('users', {}, r.name),
                                'data-route': '', class: 'strong' },
                         r.name) },
        { label: t('tenants.created'), class: 'nowrap',
          cell: (r) => fmtTime(r.created) },
        { label: t('tenants.users'), cell: (r) => fmtNumber(r.users ?? 0) },
        { label: t('tenants.actions'), class: 'actions-cell',
          cell: (r) => h('span', { class: 'row-actions' },
              h('a', { href: ctx.hrefIn('users', {}, r.name),
                       'data-route': '', class: 'button secondary',
                       'aria-label': t('tenants.open_label',
                                       { tenant: r.name }) },
                t('tenants.open')),
              r.name !== me && h('button', {
                  type: 'button', class: 'danger',
                  'aria-label': t('tenants.delete_label',
                                  { tenant: r.name }),
                  onclick: (e) => remove(ctx, r, e.currentTarget),
              }, t('tenants.delete'))) },
    ];

    return rows.length ? table(t('tenants.title'), columns, rows)
                       : h('p', { class: 'empty' }, t('tenants.none'));
}

async function render(ctx) {
    const box = h('div');
    const listed = async () => {
        const data = await ctx.api('GET', 'tenants');
        clear(box, list(ctx, data.tenants || []));
    };

    await listed();

    return [
        h('p', { class: 'intro' }, t('tenants.intro')),
        section(t('tenants.new'), addForm(ctx, listed)),
        box,
    ];
}

export default {
    tenants: { title: 'tenants.title', system: true, render },
};
