// The admin API (kot_admin), the console's only source of data.  Every
// change carries the CSRF token of GET session, and a change of a user,
// a network list or the password policy the ETag that the screen read
// (If-Match): the API refuses it (412), with the ETag of what it now is,
// if another admin changed it meanwhile; a 401 sends the browser
// to the portal's login, which brings it back to the same screen, and a
// change that a 401 cut off leaves the screen's values in draft.js.

import { t, has } from './i18n.js';
import { keep } from './draft.js';

function meta(name) {
    return document.querySelector(`meta[name="${name}"]`).content;
}

const base = new URL(meta('kot-api'), document.baseURI);

export const portal = new URL(meta('kot-portal'), document.baseURI);

let csrf = '';
let who = '';

export class ApiError extends Error {
    constructor(status, code, detail, body, etag) {
        super(`${status} ${code}`);
        this.status = status;
        this.code = code;
        this.detail = detail;
        this.body = body || {};
        this.etag = etag || null;
    }
}

// "tenants/acme/users/bob" from its parts, each escaped.
export function path(...parts) {
    return parts.map((p) => encodeURIComponent(p)).join('/');
}

// A page of the portal ("password", "mfa", "login") that comes back to
// this screen when it is done.
export function portalPage(page) {
    const to = new URL(page, portal);
    to.searchParams.set('return_to', location.pathname + location.search);
    return to;
}

// The portal page that gets this session going again, and then this
// screen; the login says that the session expired unless the admin
// ended it here (ended).  The promise never settles: the page is going
// away.
function relogin(page, ended = false) {
    const to = portalPage(page);
    if (page === 'login' && !ended) {
        to.searchParams.set('expired', '1');
    }
    location.assign(to.href);
    return new Promise(() => {});
}

// After the admin ended the session of this browser: the login, which
// brings it back to this screen.
export function loggedOut() {
    return relogin('login', true);
}

// How long a call may take, its answer read, before the console gives
// up on it: the API answers within its Redis timeouts, but a proxy or a
// network in between may hold a request for ever.
const TIMEOUT = 30000;

// A call that did not end: for a change, the server may have made it
// all the same.
function gaveUp(method, timer) {
    return new ApiError(0, timer.signal.aborted
                               ? (method === 'GET' ? 'timeout'
                                                   : 'timeout_change')
                               : 'network', '');
}

// opts: ifMatch (the ETag the change is made on), etag (the answer is
// {data, etag}: the answer's ETag with it).
async function send(method, rel, body, opts) {
    const headers = { Accept: 'application/json' };
    if (opts.ifMatch) {
        headers['If-Match'] = opts.ifMatch;
    }
    const timer = new AbortController();
    const init = { method, headers, credentials: 'same-origin',
                   cache: 'no-store', signal: timer.signal };
    const ticking = setTimeout(() => timer.abort(), TIMEOUT);

    try {
        return await exchange(method, rel, body, init, timer, opts);
    } finally {
        clearTimeout(ticking);
    }
}

async function exchange(method, rel, body, init, timer, opts) {
    const headers = init.headers;

    if (method !== 'GET') {
        headers['X-Kot-CSRF'] = csrf;
    }
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }

    let res;
    try {
        res = await fetch(new URL(rel, base), init);
    } catch (e) {
        throw gaveUp(method, timer);
    }

    let data = null;
    if (res.status !== 204) {
        try {
            data = await res.json();
        } catch (e) {
            data = null;
        }
    }
    if (timer.signal.aborted) {
        // the answer was cut off while it was read
        throw gaveUp(method, timer);
    }

    if (res.ok) {
        return opts.etag ? { data, etag: res.headers.get('ETag') } : data;
    }

    throw new ApiError(res.status,
                       (data && typeof data.error === 'string')
                           ? data.error : `http_${res.status}`,
                       (data && typeof data.detail === 'string')
                           ? data.detail : '',
                       data, res.headers.get('ETag'));
}

// Whose session: a draft is given back to the same admin only.
export function whoOf(s) {
    return `${s.tenant}/${s.user}`;
}

export async function session() {
    const s = await call('GET', 'session');
    csrf = s.csrf || '';
    who = whoOf(s);
    return s;
}

export async function call(method, rel, body, opts = {}) {
    try {
        return await send(method, rel, body, opts);
    } catch (e) {
        if (e.status === 401) {
            if (method !== 'GET' && who) {
                keep(who);
            }
            return relogin(e.code === 'password_expired'
                           || e.code === 'password_change_required'
                           ? 'password' : 'login');
        }
        if (e.status === 403 && e.code === 'csrf' && rel !== 'session') {
            // the token of an older login: fetch the current one once
            await session();
            return send(method, rel, body, opts);
        }
        throw e;
    }
}

// The rules a password broke (the "broken" of a 422 password_policy,
// each rule with its value in force), in the console's language; ''
// when the server names a rule that this console does not know.
function brokenRules(broken) {
    const rules = Object.keys(broken || {});
    if (!rules.length || !rules.every((r) => has(`pwrule.${r}`))) {
        return '';
    }
    return rules.map((r) => t(`pwrule.${r}`, { n: broken[r] }))
        .join(t('pwrule.sep'));
}

// An error in words: the message of its code where the console knows
// it, with the server's detail where that says more (which network,
// which rule); the detail alone otherwise.  overrides maps a code (or
// an HTTP status) to a message key for the action at hand.
export function explain(e, overrides = {}) {
    if (!(e instanceof ApiError)) {
        return t('err.unexpected');
    }

    const key = overrides[e.code] || overrides[e.status] || `err.${e.code}`;
    const detail = (e.code === 'password_policy' && brokenRules(e.body.broken))
                   || e.detail || t('common.none');

    // a refusal that names its reason ("reason" of invalid_role), and
    // what it refused, in the console's words where it has them
    const reasoned = `${key}.${e.body.reason}`;
    if (typeof e.body.reason === 'string' && has(reasoned)) {
        return t(reasoned, { detail, role: e.body.role ?? '' });
    }
    if (has(key)) {
        return t(key, { detail });
    }
    if (e.detail) {
        return e.detail;
    }
    return t('err.status', { status: e.status });
}
