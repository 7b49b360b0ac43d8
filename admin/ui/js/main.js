// The console's frame: who is logged in, the language switch, the menu,
// the support-access banner, and which screen the address names
// (?view=users, ?view=user&u=bob, ?tenant=acme&view=events, ...).  The
// address is the whole state, so that a reload, the back button and a
// login after an expired session all come back to the same screen.

import { t, setLang, otherLang, applyStatic, fmtTime }
    from './i18n.js';
import { call, session as loadSession, path, explain, portal, ApiError,
         whoOf } from './api.js';
import { h, clear, quiet, announce } from './dom.js';
import { restore, snapshot, apply } from './draft.js';

import users from './views/users.js';
import sessions from './views/sessions.js';
import networks from './views/networks.js';
import policy from './views/policy.js';
import support from './views/support.js';
import events from './views/events.js';
import tenants from './views/tenants.js';

// Each view: title (a key), nav (the menu entry it belongs to), system
// (system admins only), render(ctx) -> nodes, heading(ctx) optional.
const views = { ...users, ...sessions, ...networks, ...policy, ...support,
                ...events, ...tenants };

const tenantMenu = ['users', 'sessions', 'networks', 'policy', 'support',
                    'events'];

let me = null;
let rendering = 0;

function params() {
    return new URLSearchParams(location.search);
}

function href(view, extra = {}, tenant = null) {
    const q = new URLSearchParams();
    const p = params();
    const tn = tenant || p.get('tenant');
    if (tn && tn !== me.tenant) {
        q.set('tenant', tn);
    }
    q.set('view', view);
    for (const [k, v] of Object.entries(extra)) {
        if (v !== undefined && v !== null && v !== '') {
            q.set(k, v);
        }
    }
    return `?${q}`;
}

// After an action: the screen changes, its result stays on show.
function go(view, extra, tenant) {
    history.pushState(null, '', href(view, extra, tenant));
    route(true, true);
}

// Links inside the console change the screen without a page load.
function follow(e) {
    const a = e.target.closest('a[data-route]');
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey
        || e.altKey) {
        return;
    }
    e.preventDefault();
    history.pushState(null, '', a.getAttribute('href'));
    closeMenu();
    route(true);
}

function link(ctx, text, view, extra, attrs = {}) {
    return h('a', { href: ctx.href(view, extra), 'data-route': '',
                    ...attrs }, text);
}

// ---------------------------------------------------------------------
// the frame

function renderWho() {
    const lang = otherLang();
    const switcher = h('button', { type: 'button', class: 'lang',
                                   lang, 'aria-label': t('header.lang_label'),
                                   onclick: async () => {
        // the screen in the other language, with what the admin had
        // entered on it
        const entered = snapshot(true);
        setLang(lang);
        applyStatic(document);
        renderWho();
        // the keyboard's place: on the switch drawn anew
        document.querySelector('#who .lang').focus();
        await route(false);
        apply(entered);
    } }, t(`lang.${lang}`));

    const logout = new URL('logout', portal);

    clear(document.getElementById('who'),
        h('span', { class: 'who-name' },
          h('span', { class: 'who-tenant' },
            t('header.tenant', { tenant: me.tenant })),
          h('span', { class: 'who-user' }, me.user)),
        switcher,
        h('a', { class: 'logout', href: logout.href }, t('header.logout')));
}

function renderNav(current, tenant) {
    const item = (view, extra, tn) => {
        const a = h('a', { href: href(view, extra, tn), 'data-route': '' },
                    t(`nav.${view}`));
        if (current === view) {
            a.setAttribute('aria-current', 'page');
        }
        return h('li', null, a);
    };

    const groups = [];

    if (me.system_admin) {
        groups.push(h('p', { class: 'nav-group' }, t('nav.system')),
                    h('ul', null, item('tenants', {}, me.tenant)));
    }

    groups.push(h('p', { class: 'nav-group' },
                  t('nav.tenant', { tenant })),
                h('ul', null, tenantMenu.map((v) => item(v, {}, tenant))));

    clear(document.getElementById('nav'), groups);
}

function closeMenu() {
    document.getElementById('nav').classList.remove('open');
    document.getElementById('menu-toggle')
        .setAttribute('aria-expanded', 'false');
}

function toggleMenu() {
    const nav = document.getElementById('nav');
    const open = !nav.classList.contains('open');
    nav.classList.toggle('open', open);
    document.getElementById('menu-toggle')
        .setAttribute('aria-expanded', String(open));
}

// Escape closes the open menu (on a phone), as it closes a dialog, and
// the keyboard's place goes back to the button that opened it.  An
// open dialog takes the key for itself.
function escapeMenu(e) {
    const nav = document.getElementById('nav');
    if (e.key !== 'Escape' || !nav.classList.contains('open')
        || document.querySelector('dialog[open]')) {
        return;
    }
    closeMenu();
    document.getElementById('menu-toggle').focus();
}

// A system admin inside another tenant sees it only under that tenant's
// grant, and is told so on every screen.
async function renderBanner(tenant) {
    const banner = document.getElementById('banner');

    if (!me.system_admin || tenant === me.tenant) {
        banner.hidden = true;
        return;
    }

    let grant = null;
    try {
        grant = await call('GET', `${path('tenants', tenant)}/support`);
    } catch (e) {
        grant = null;
    }

    banner.hidden = false;
    clear(banner, h('p', null,
        grant && grant.granted
            ? t('banner.support', { tenant,
                                    expires: fmtTime(grant.expires) })
            : t('banner.no_grant', { tenant })));
}

// ---------------------------------------------------------------------
// screens

function problem(e, ctx) {
    const retry = h('button', { type: 'button', class: 'secondary',
                                onclick: () => route(false) },
                    t('common.retry'));
    const text = explain(e, { 404: 'err.not_found_here' });

    return h('div', { class: 'problem', role: 'alert' },
             h('p', null, text),
             e instanceof ApiError && e.code === 'support_grant_required'
                 ? h('p', null, t('err.support_how')) : null,
             e instanceof ApiError && e.status === 404
                 ? link(ctx, t('common.back_home'),
                        me.system_admin ? 'tenants' : 'users', {},
                        {}) : retry);
}

async function route(moved, keep = false) {
    const mine = ++rendering;
    const p = params();
    const tenant = p.get('tenant') || me.tenant;
    let name = p.get('view') || (me.system_admin ? 'tenants' : 'users');

    if (!views[name] || (views[name].system && !me.system_admin)) {
        name = me.system_admin ? 'tenants' : 'users';
    }

    const view = views[name];
    const ctx = {
        session: me,
        tenant,
        params: p,
        own: tenant === me.tenant,
        href: (v, extra) => href(v, extra, tenant),
        go: (v, extra) => go(v, extra, tenant),
        refresh: () => route(false),
        call: (method, rel, body, opts) =>
            call(method, `${path('tenants', tenant)}${rel ? `/${rel}` : ''}`,
                 body, opts),
        // a system admin inside another tenant, under its grant: the
        // tenant's administration stays the tenant's own
        support: me.system_admin && tenant !== me.tenant,
        api: call,
        hrefIn: href,
    };
    ctx.link = (text, v, extra, attrs) => link(ctx, text, v, extra, attrs);

    if (moved && !keep) {
        quiet();
    }

    renderNav(view.nav || name, tenant);
    renderBanner(tenant);

    const heading = view.heading ? view.heading(ctx) : t(view.title);
    const h1 = h('h1', { tabindex: '-1' }, heading);
    const box = document.getElementById('view');

    // a screen shown anew after an action stays as it was until it is
    // ready, and the keyboard's place moves to its heading
    const focused = box.contains(document.activeElement);

    document.title = `${heading} | ${t('console')}`;
    box.setAttribute('aria-busy', 'true');

    if (moved || !box.firstChild) {
        clear(box, h1, h('p', { class: 'loading' }, t('common.loading')));
    }
    if (moved) {
        h1.focus();
    }

    let body;
    try {
        body = await view.render(ctx);
    } catch (e) {
        body = problem(e, ctx);
    }

    if (mine !== rendering) {
        return;
    }

    clear(box, h1, body);
    box.setAttribute('aria-busy', 'false');

    if (!moved && focused && !box.contains(document.activeElement)) {
        h1.focus();
    }
}

async function boot() {
    applyStatic(document);
    document.title = t('console');

    document.getElementById('menu-toggle')
        .addEventListener('click', toggleMenu);
    document.addEventListener('keydown', escapeMenu);
    document.addEventListener('click', follow);
    window.addEventListener('popstate', () => route(true));

    const box = document.getElementById('view');

    try {
        me = await loadSession();
    } catch (e) {
        clear(box, h('h1', null, t('console')),
              h('div', { class: 'problem', role: 'alert' },
                h('p', null, explain(e, { forbidden: 'err.no_admin' }))));
        box.setAttribute('aria-busy', 'false');
        return;
    }

    renderWho();
    await route(false);
    unsaved();
}

// Back from the login after the session ended under a change: the
// change was not made; what the admin had entered is there again where
// the screen is the same.
function unsaved() {
    const r = restore(whoOf(me));
    if (r) {
        announce('error', t(!r.restored ? 'draft.lost'
                            : r.password ? 'draft.restored_password'
                            : 'draft.restored'));
    }
}

boot();
