// The console's language: Japanese or English, from the browser's
// preferred languages, or from the switch in the header once the admin
// has used it.  Every text comes from one table per language
// (i18n/ja.js, i18n/en.js); the markup carries only keys.

import ja from '../i18n/ja.js';
import en from '../i18n/en.js';

const tables = { ja, en };
const STORE = 'kot.console.lang';

let lang = initial();

function initial() {
    try {
        const saved = localStorage.getItem(STORE);
        if (saved in tables) {
            return saved;
        }
    } catch (e) {
        // storage disabled: the browser's language decides
    }

    for (const l of navigator.languages || [navigator.language || '']) {
        const primary = String(l).toLowerCase().split('-')[0];
        if (primary in tables) {
            return primary;
        }
    }

    return 'ja';
}

export function getLang() {
    return lang;
}

export function otherLang() {
    return lang === 'ja' ? 'en' : 'ja';
}

export function setLang(l) {
    lang = l;
    try {
        localStorage.setItem(STORE, l);
    } catch (e) {
        // remembered for this page only
    }
    document.documentElement.lang = l;
}

export function has(key) {
    return Object.prototype.hasOwnProperty.call(tables[lang], key);
}

// t('users.count', {n: 3}): the text of a key, {name} replaced by
// params.name.  A key missing from the table shows as itself, so that a
// test or a reader notices.
export function t(key, params) {
    const s = has(key) ? tables[lang][key] : key;

    if (!params) {
        return s;
    }

    return s.replace(/\{(\w+)\}/g,
                     (m, name) => (name in params ? String(params[name]) : m));
}

// The same with a count: "KEY.one" for 1 where the language has it.
export function tn(key, n, params) {
    const one = `${key}.one`;
    return t(n === 1 && has(one) ? one : key, { n, ...params });
}

// The keys of both tables, for the test that they match.
export function keys(l) {
    return Object.keys(tables[l]);
}

const formats = {};

function format(options) {
    const id = lang + JSON.stringify(options);
    if (!formats[id]) {
        formats[id] = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB',
                                              options);
    }
    return formats[id];
}

// An RFC 3339 time from the API, in the browser's time zone.
export function fmtTime(iso) {
    if (!iso) {
        return t('common.none');
    }
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) {
        return String(iso);
    }
    return format(lang === 'ja'
        ? { year: 'numeric', month: '2-digit', day: '2-digit',
            hour: '2-digit', minute: '2-digit' }
        : { year: 'numeric', month: 'short', day: 'numeric',
            hour: '2-digit', minute: '2-digit' }).format(d);
}

export function fmtNumber(n) {
    return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB').format(n);
}

// Fills the elements of the static markup that name a key.
export function applyStatic(root) {
    for (const el of root.querySelectorAll('[data-i18n]')) {
        el.textContent = t(el.dataset.i18n);
    }
    for (const el of root.querySelectorAll('[data-i18n-label]')) {
        el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    }
    document.documentElement.lang = lang;
}
