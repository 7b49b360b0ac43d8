// Tenants, for the operator's system admins: the list, a new tenant, and
// deleting one.  A tenant's inside opens only under its admin's grant.

import { t, fmtTime, fmtNumber } from '../i18n.js';
import { explain, path } from '../api.js';
import { h, announce, busy, confirmDialog, field, table, section }
    from '../dom.js';

function addForm(ctx) {
    const name = h('input', { type: 'text', autocomplete: 'off',
                              spellcheck: 'false', autocapitalize: 'none',
                              maxlength: '63', required: true });
    const nameField = field(t('tenants.name'), name, t('tenants.name_hint'));
    const submit = h('button', { type: 'submit', class: 'primary' },
                     t('tenants.add'));

    return h('form', { novalidate: true, class: 'inline-form',
                       onsubmit: async (e) => {
        e.preventDefault();
        const value = name.value.trim();
        nameField.setError('');
        if (!value) {
            nameField.setError(t('tenants.name_required'));
            announce('error', t('tenants.name_required'), false);
            name.focus();
            return;
        }
        await busy(submit, async () => {
            try {
                await ctx.api('POST', 'tenants', { name: value });
                announce('ok', t('tenants.added', { tenant: value }));
                ctx.refresh();
            } catch (err) {
                const text = explain(err, { exists: 'err.tenant_exists' });
                nameField.setError(text);
                announce('error', text, false);
            }
        });
    } }, nameField, h('div', { class: 'actions' }, submit));
}

async function remove(ctx, tenant, button) {
    if (!await confirmDialog({
        title: t('tenants.delete_title', { tenant: tenant.name }),
        body: [t('tenants.delete_body', { n: tenant.users ?? 0 }),
               t('tenants.delete_never', { tenant: tenant.name })],
        ack: t('tenants.delete_ack', { tenant: tenant.name }),
        confirm: t('tenants.delete'), danger: true })) {
        return;
    }
    await busy(button, async () => {
        try {
            await ctx.api('DELETE', path('tenants', tenant.name));
            announce('ok', t('tenants.deleted', { tenant: tenant.name }));
            ctx.refresh();
        } catch (err) {
            announce('error', explain(err));
        }
    });
}

async function render(ctx) {
    const data = await ctx.api('GET', 'tenants');
    const rows = data.tenants || [];
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

    return [
        h('p', { class: 'intro' }, t('tenants.intro')),
        section(t('tenants.new'), addForm(ctx)),
        rows.length ? table(t('tenants.title'), columns, rows)
                    : h('p', { class: 'empty' }, t('tenants.none')),
    ];
}

export default {
    tenants: { title: 'tenants.title', system: true, render },
};
