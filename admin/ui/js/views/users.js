// Users: the list with search, one user's page (unlock, disable and
// enable, enable an inactive account, reset the password or the
// two-step login, roles, sessions, delete), and adding one.  An admin's
// own password and two-step login are not reset here, which asks for
// nothing but the session (the API refuses it, 403 own_credentials):
// its own page leads to the portal's pages, which ask for the current
// password.  A change
// of roles, disabling, enabling and deleting are made on the user as the
// screen showed it (If-Match): if another admin changed the user
// meanwhile, nothing changes, the admin is told, and the screen shows
// the user as it now is.  Under support access, what the API keeps for
// the tenant's own administrators (disabling, demoting or deleting one
// of them, or resetting its two-step login) and what would hand support
// a login of the tenant (a new user, a password reset) are not offered,
// and say why.

import { t, tn, fmtTime } from '../i18n.js';
import { explain, path, portalPage, ApiError } from '../api.js';
import { h, clear, announce, busy, field, refuse, checkbox, badge,
         section, table, secret, remember } from '../dom.js';
import { sessionTable, endAllButton } from './sessions.js';
import { act } from '../act.js';

const KNOWN_ROLES = ['user', 'admin'];

// An account refused for inactivity (the password policy's
// inactive_after); enabling a disabled one restores it as well.
function inactive(u) {
    return u.inactive && !u.disabled;
}

// What an admin sees of an account's state, in words and not only in
// colour.
function states(u) {
    const out = [];
    if (u.disabled) {
        out.push(badge('off', t('users.state.disabled')));
    }
    if (inactive(u)) {
        out.push(badge('warn', t('users.state.inactive')));
    }
    if (u.locked) {
        out.push(badge('alert', t('users.state.locked')));
    }
    if (u.must_change) {
        out.push(badge('warn', t('users.state.must_change')));
    }
    if (!out.length) {
        out.push(badge('ok', t('users.state.active')));
    }
    return h('span', { class: 'badges' }, out);
}

// Whether the user has set up two-step login (the API's "mfa").
function mfaState(u) {
    return u.mfa ? badge('ok', t('users.mfa.on'))
                 : badge('off', t('users.mfa.off'));
}

function roleBadges(roles) {
    return h('span', { class: 'badges' },
             (roles || []).map((r) => badge('role', roleName(r))));
}

function roleName(r) {
    return KNOWN_ROLES.includes(r) ? t(`role.${r}`) : r;
}

function userPath(name, rest) {
    return path('users', name) + (rest ? `/${rest}` : '');
}

// The actions that an account may need before all others, as act()
// takes them.  Enabling undoes nothing: no question; an inactive
// account's clock starts again.
function unlocking(ctx, name) {
    return { run: () => ctx.call('POST', userPath(name, 'unlock')),
             done: () => t('users.unlocked', { user: name }) };
}

// What the admin is told when the user changed since the screen read
// it: act()'s stale.
function stale(name) {
    return () => t('users.changed_meanwhile', { user: name });
}

// A change of the user as the screen read it, whose ETag is etag.
function patch(ctx, name, body, etag) {
    return ctx.call('PATCH', userPath(name), body, { ifMatch: etag });
}

function enabling(ctx, name, etag) {
    return { run: () => patch(ctx, name, { disabled: false }, etag),
             done: () => t('users.enabled', { user: name }),
             stale: stale(name) };
}

// The roles and the state that a user's ETag covers, to compare a row
// of the list (which has no ETag) with the user read anew.
function shape(u) {
    return JSON.stringify([!!u.disabled, [...(u.roles || [])].sort()]);
}

// Enabling from the list, which has no ETag: on the user read anew, if
// it is still as the list shows it; else as a 412 of the API.
function enablingRow(ctx, row) {
    const name = row.username;
    return { ...enabling(ctx, name, null),
             run: async () => {
        const now = await ctx.call('GET', userPath(name), undefined,
                                   { etag: true });
        if (shape(now.data) !== shape(row)) {
            throw new ApiError(412, 'precondition_failed', '');
        }
        return patch(ctx, name, { disabled: false }, now.etag);
    } };
}

// Under support access, an admin of the tenant: not to be disabled,
// demoted, deleted nor its two-step login reset (the API's 403
// support_admin_protected).
function kept(ctx, u) {
    return ctx.support && (u.roles || []).includes('admin');
}

// ---------------------------------------------------------------------
// the list

function matches(u, q, state) {
    if (q && !u.username.includes(q.toLowerCase())
        && !(u.roles || []).some((r) => r.includes(q.toLowerCase()))) {
        return false;
    }
    switch (state) {
    case 'locked': return u.locked;
    case 'disabled': return u.disabled;
    case 'inactive': return inactive(u);
    case 'must_change': return u.must_change;
    case 'admins': return (u.roles || []).includes('admin');
    case 'no_mfa': return !u.mfa;
    default: return true;
    }
}

async function renderList(ctx) {
    const data = await ctx.call('GET', 'users');
    const all = data.users || [];

    const search = h('input', { type: 'search', autocomplete: 'off',
                                value: ctx.params.get('q') || '' });
    const state = h('select', null,
        ['all', 'locked', 'disabled', 'inactive', 'must_change', 'admins',
         'no_mfa'].map((s) =>
            h('option', { value: s }, t(`users.filter.${s}`))));
    state.value = ctx.params.get('state') || 'all';

    const count = h('p', { class: 'count', 'aria-live': 'polite' });
    const results = h('div');

    const columns = [
        { label: t('users.col.name'),
          cell: (u) => ctx.link(u.username, 'user', { u: u.username },
                                { class: 'strong' }) },
        { label: t('users.col.roles'), cell: (u) => roleBadges(u.roles) },
        { label: t('users.col.state'), cell: (u) => states(u) },
        { label: t('users.col.mfa'), cell: (u) => mfaState(u) },
        { label: t('users.col.last_login'), class: 'nowrap',
          cell: (u) => fmtTime(u.last_login) },
        { label: t('users.col.actions'), class: 'actions-cell',
          cell: (u) => h('span', { class: 'row-actions' },
              ctx.link(t('users.manage'), 'user', { u: u.username },
                       { class: 'button secondary',
                         'aria-label': t('users.manage_label',
                                         { user: u.username }) }),
              u.locked && h('button', {
                  type: 'button', class: 'secondary',
                  'aria-label': t('users.unlock_label', { user: u.username }),
                  onclick: (e) => act(ctx, e.currentTarget,
                                      unlocking(ctx, u.username)),
              }, t('users.unlock')),
              inactive(u) && h('button', {
                  type: 'button', class: 'secondary',
                  'aria-label': t('users.enable_label', { user: u.username }),
                  onclick: (e) => act(ctx, e.currentTarget,
                                      enablingRow(ctx, u)),
              }, t('users.enable'))) },
    ];

    function update() {
        const rows = all.filter((u) => matches(u, search.value.trim(),
                                               state.value));
        remember({ q: search.value.trim(),
                   state: state.value === 'all' ? '' : state.value });

        count.textContent = t('users.count', { shown: rows.length,
                                               total: all.length });
        clear(results, rows.length
            ? table(t('users.title'), columns, rows,
                    (u) => (u.locked ? 'highlight' : null))
            : h('p', { class: 'empty' },
                all.length ? t('users.none_match') : t('users.none')));
    }

    search.addEventListener('input', update);
    state.addEventListener('change', update);
    update();

    return [
        h('div', { class: 'toolbar' },
          h('div', { class: 'filters' },
            field(t('users.search'), search),
            field(t('users.filter'), state)),
          ctx.support ? null
                      : ctx.link(t('users.add'), 'user-new', {},
                                 { class: 'button primary' })),
        ctx.support ? h('p', { class: 'support-note', role: 'note' },
                        t('err.support_not_permitted')) : null,
        count,
        results,
    ];
}

// ---------------------------------------------------------------------
// roles, as office staff think of them: ordinary user, administrator,
// and any other role the applications use

// fixed: roles that stay as they are (the admin role of an
// administrator, under support access), shown checked and disabled.
function rolesEditor(current, legend = true, fixed = []) {
    const boxes = KNOWN_ROLES.map((r) => checkbox(t(`role.${r}.long`), {
        value: r, checked: current.includes(r),
        disabled: fixed.includes(r) }));
    const other = h('input', { type: 'text', autocomplete: 'off',
                               spellcheck: 'false',
                               value: current.filter((r) =>
                                   !KNOWN_ROLES.includes(r)).join(' ') });
    const otherField = field(t('users.roles_other'), other,
                             t('users.roles_other_hint'));

    const fieldset = h('fieldset', { class: 'roles' },
                       h('legend', { class: legend ? null
                                                   : 'visually-hidden' },
                         t('users.col.roles')),
                       boxes, otherField);

    fieldset.value = () => [
        ...boxes.map((b) => b.querySelector('input'))
            .filter((b) => b.checked).map((b) => b.value),
        ...other.value.split(/[\s,、]+/).filter(Boolean),
    ];
    fieldset.setError = otherField.setError;
    fieldset.control = other;

    return fieldset;
}

// ---------------------------------------------------------------------
// one user

function summary(u) {
    const row = (label, value) => [h('dt', null, label), h('dd', null, value)];
    return h('dl', { class: 'summary' },
        row(t('users.col.state'), states(u)),
        row(t('users.col.roles'), roleBadges(u.roles)),
        row(t('users.col.mfa'), mfaState(u)),
        row(t('users.col.created'), fmtTime(u.created)),
        row(t('users.col.last_login'), fmtTime(u.last_login)),
        row(t('users.col.failures'), String(u.failures ?? 0)),
        row(t('users.col.password_set'),
            fmtTime(u.password_set)),
        u.locked ? row(t('users.col.locked_until'),
                       u.locked_until === 'permanent'
                           ? t('users.locked_forever')
                           : fmtTime(u.locked_until)) : null);
}

// A row of the account card: what the action does, and its button
// (primary for what the account needs first; opts.disabled: not
// offered, the hint says why).
function actionRow(ctx, hint, label, opts, kind = 'secondary') {
    return h('div', { class: 'action-row' }, h('p', null, hint),
             h('button', { type: 'button', class: kind,
                           disabled: opts.disabled === true,
                           onclick: (e) => act(ctx, e.currentTarget, opts) },
               label));
}

function accountCard(ctx, u, self, etag) {
    const name = u.username;
    const out = h('div');
    const parts = [];

    if (u.locked) {
        parts.push(actionRow(ctx, t('users.unlock_hint'), t('users.unlock'),
                             unlocking(ctx, name), 'primary'));
    }

    if (inactive(u)) {
        parts.push(actionRow(ctx, t('users.inactive_hint'),
                             t('users.enable'), enabling(ctx, name, etag),
                             'primary'));
    }

    const guarded = kept(ctx, u);
    const toggle = h('button', {
        type: 'button', class: u.disabled ? 'primary' : 'secondary',
        disabled: (self || guarded) && !u.disabled,
        onclick: (e) => act(ctx, e.currentTarget, {
            // enabling again undoes nothing: no question
            ask: !u.disabled && {
                title: t('users.disable_title', { user: name }),
                body: t('users.disable_body'),
                confirm: t('users.disable'), danger: true },
            run: () => patch(ctx, name, { disabled: !u.disabled }, etag),
            done: () => t(u.disabled ? 'users.enabled' : 'users.disabled',
                          { user: name }),
            stale: stale(name),
        }),
    }, t(u.disabled ? 'users.enable' : 'users.disable'));

    parts.push(h('div', { class: 'action-row' },
        h('p', null, t(u.disabled ? 'users.enable_hint'
                       : self ? 'users.self_hint'
                       : guarded ? 'users.support_disable_hint'
                       : 'users.disable_hint')),
        toggle));

    if (self) {
        parts.push(ownCredentials());
    } else {
        parts.push(...resets(ctx, u, guarded, out));
    }

    return section(t('users.account'), parts, out);
}

// The resets of another user's password and two-step login; out shows
// the temporary password.
function resets(ctx, u, guarded, out) {
    const name = u.username;
    const rows = [];

    // a password that support set would be a login of the tenant
    rows.push(actionRow(ctx, t(ctx.support ? 'err.support_not_permitted'
                                           : 'users.reset_hint'),
                        t('users.reset'), {
        disabled: ctx.support,
        ask: { title: t('users.reset_title', { user: name }),
               body: t('users.reset_body'),
               confirm: t('users.reset') },
        run: () => ctx.call('POST', userPath(name, 'password')),
        done: () => t('users.reset_done', { user: name }),
        then: (r) => clear(out, h('div', { class: 'result' },
            h('p', null, t('users.reset_done', { user: name })),
            secret(r.temporary_password),
            h('p', { class: 'hint' }, t('users.temp_hint')))),
    }));

    // a lost or replaced phone; a user without one has nothing to reset
    if (u.mfa) {
        rows.push(actionRow(ctx, t(guarded ? 'users.support_mfa_hint'
                                           : 'users.mfa_reset_hint'),
                            t('users.mfa_reset'), {
            disabled: guarded,
            ask: { title: t('users.mfa_reset_title', { user: name }),
                   body: t('users.mfa_reset_body'),
                   confirm: t('users.mfa_reset'), danger: true },
            run: () => ctx.call('DELETE', userPath(name, 'mfa')),
            done: () => t('users.mfa_reset_done', { user: name }),
        }));
    }

    return rows;
}

// The admin's own password and two-step login: the portal's pages,
// which ask for the current password and come back here.
function ownCredentials() {
    const link = (page, label) => h('a', { class: 'button secondary',
                                           href: portalPage(page).href },
                                    label);
    return h('div', { class: 'action-row' },
             h('p', null, t('users.self_credentials')),
             h('span', { class: 'row-actions' },
               link('password', t('users.self_password')),
               link('mfa', t('users.self_mfa'))));
}

function rolesCard(ctx, u, etag) {
    const guarded = kept(ctx, u);
    const editor = rolesEditor(u.roles || [], false,
                               guarded ? ['admin'] : []);
    const save = h('button', { type: 'submit', class: 'primary' },
                   t('common.save'));

    const form = h('form', { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        const roles = editor.value();
        editor.setError('');
        await busy(save, async () => {
            try {
                await patch(ctx, u.username, { roles }, etag);
                announce('ok', t('users.roles_saved', { user: u.username }));
                ctx.refresh();
            } catch (err) {
                if (err.status === 412) {
                    // the roles as they now are, not this stale edit
                    announce('error', stale(u.username)());
                    ctx.refresh();
                } else if (err.code === 'invalid_role') {
                    refuse(editor, explain(err));
                } else {
                    announce('error', explain(err));
                }
            }
        });
    } }, h('p', { class: 'hint' }, t('users.roles_hint')),
       guarded ? h('p', { class: 'hint' }, t('users.support_admin_role'))
               : null,
       editor,
       h('div', { class: 'actions' }, save));

    return section(t('users.col.roles'), form);
}

async function sessionsCard(ctx, u) {
    const who = encodeURIComponent(u.username);
    const data = await ctx.call('GET', `sessions?user=${who}`);
    const rows = data.sessions || [];

    return section(t('nav.sessions'),
        h('p', null, tn('sessions.count', rows.length)),
        rows.length ? [sessionTable(ctx, rows, false),
                       h('div', { class: 'actions' },
                         endAllButton(ctx, u.username,
                                      t('sessions.end_all')))]
                    : null);
}

function deleteCard(ctx, u, self, etag) {
    const name = u.username;
    const guarded = kept(ctx, u);
    return h('section', { class: 'card danger-zone',
                          'aria-labelledby': 'delete-title' },
        h('h2', { id: 'delete-title' }, t('users.delete_title')),
        h('p', null, t(self ? 'users.self_delete'
                       : guarded ? 'users.support_delete_hint'
                       : 'users.delete_hint')),
        h('div', { class: 'actions' }, h('button', {
            type: 'button', class: 'danger', disabled: self || guarded,
            onclick: (e) => act(ctx, e.currentTarget, {
                ask: { title: t('users.delete_confirm_title', { user: name }),
                       body: [t('users.delete_body'),
                              t('users.delete_never', { user: name })],
                       ack: t('users.delete_ack', { user: name }),
                       confirm: t('users.delete'), danger: true },
                run: () => ctx.call('DELETE', userPath(name), undefined,
                                    { ifMatch: etag }),
                done: () => t('users.deleted', { user: name }),
                stale: stale(name),
                then: () => ctx.go('users'),
            }),
        }, t('users.delete'))));
}

async function renderUser(ctx) {
    const name = ctx.params.get('u') || '';
    const { data: u, etag } = await ctx.call('GET', userPath(name),
                                             undefined, { etag: true });
    const self = ctx.own && u.username === ctx.session.user;

    return [
        h('p', { class: 'back' }, ctx.link(t('users.back'), 'users')),
        section(t('users.summary'), summary(u)),
        accountCard(ctx, u, self, etag),
        rolesCard(ctx, u, etag),
        await sessionsCard(ctx, u),
        deleteCard(ctx, u, self, etag),
    ];
}

// ---------------------------------------------------------------------
// adding a user

function renderAdd(ctx) {
    if (ctx.support) {
        return [h('p', { class: 'back' }, ctx.link(t('users.back'), 'users')),
                h('p', { class: 'support-note', role: 'note' },
                  t('err.support_not_permitted'))];
    }

    const box = h('div');
    const name = h('input', { type: 'text', autocomplete: 'off',
                              spellcheck: 'false', autocapitalize: 'none',
                              required: true, maxlength: '64' });
    const nameField = field(t('users.col.name'), name, t('users.name_hint'));
    const roles = rolesEditor(['user']);

    const auto = h('input', { type: 'radio', name: 'pw', value: 'auto',
                              id: 'pw-auto', checked: true });
    const manual = h('input', { type: 'radio', name: 'pw', value: 'manual',
                                id: 'pw-manual' });
    const pw = h('input', { type: 'password', autocomplete: 'new-password' });
    const pwField = field(t('users.password'), pw, t('users.password_hint'));
    pwField.hidden = true;

    for (const r of [auto, manual]) {
        r.addEventListener('change', () => {
            pwField.hidden = !manual.checked;
        });
    }

    const submit = h('button', { type: 'submit', class: 'primary' },
                     t('users.add_button'));
    const formError = h('div', { class: 'form-error', hidden: true });

    const form = h('form', { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        nameField.setError('');
        pwField.setError('');
        formError.hidden = true;

        const username = name.value.trim();
        if (!username) {
            refuse(nameField, t('users.name_required'));
            return;
        }

        const body = { username, roles: roles.value() };
        if (manual.checked) {
            body.password = pw.value;
        }

        await busy(submit, async () => {
            try {
                const r = await ctx.call('POST', 'users', body);
                announce('ok', t('users.added', { user: r.username }));
                const shown = r.temporary_password
                    ? [h('p', null, t('users.temp_label')),
                       secret(r.temporary_password),
                       h('p', { class: 'hint' }, t('users.temp_hint'))]
                    : h('p', null, t('users.given_hint'));
                clear(box, h('div', { class: 'card result' },
                    h('h2', null, t('users.added', { user: r.username })),
                    shown,
                    h('div', { class: 'actions' },
                      ctx.link(t('users.add_another'), 'user-new', {},
                               { class: 'button secondary' }),
                      ctx.link(t('users.back'), 'users', {},
                               { class: 'button primary' }))));
                box.querySelector('h2').setAttribute('tabindex', '-1');
                box.querySelector('h2').focus();
            } catch (err) {
                const text = explain(err, {
                    exists: 'err.user_exists',
                    username_retired: 'err.username_retired',
                });
                if (err.code === 'password_policy') {
                    refuse(pwField, text);
                } else if (err.status === 409 || err.code === 'invalid_name') {
                    refuse(nameField, text);
                } else {
                    formError.hidden = false;
                    formError.textContent = text;
                    announce('error', text, false);
                }
            }
        });
    } },
        nameField,
        roles,
        h('fieldset', { class: 'choice' },
          h('legend', null, t('users.password')),
          h('div', { class: 'check' }, auto,
            h('label', { for: 'pw-auto' }, t('users.password_auto'))),
          h('div', { class: 'check' }, manual,
            h('label', { for: 'pw-manual' }, t('users.password_manual'))),
          pwField),
        formError,
        h('div', { class: 'actions' },
          ctx.link(t('common.cancel'), 'users', {},
                   { class: 'button secondary' }),
          submit));

    clear(box, h('div', { class: 'card' }, h('p', null, t('users.add_intro')),
                 form));

    return [h('p', { class: 'back' }, ctx.link(t('users.back'), 'users')),
            box];
}

export default {
    users: { title: 'users.title', render: renderList },
    user: { title: 'users.title', nav: 'users', render: renderUser,
            heading: (ctx) => t('users.heading',
                                { user: ctx.params.get('u') || '' }) },
    'user-new': { title: 'users.add', nav: 'users', render: renderAdd },
};
