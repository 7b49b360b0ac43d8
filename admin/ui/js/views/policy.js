// Password policy: the tenant's own rules, each beside the server's
// floor, and whether the tenant requires two-step login (mfa).  A
// tenant may tighten the server's policy, never loosen it: a looser
// value is pointed out here and cannot be saved (the server refuses it
// too, with 422).  The policy is saved on the rules the screen read
// (If-Match): if another admin changed them meanwhile, nothing is saved,
// the rules as they now are are shown, the admin's values stay in the
// form, and saving again replaces the rules with them.

import { t, has } from '../i18n.js';
import { explain } from '../api.js';
import { h, clear, announce, busy, field, checkbox, section, markError,
         refuse, uid } from '../dom.js';

const UNITS = { m: 60, h: 3600, d: 86400 };

// kind: count (more is stricter), bool (on is stricter), age (more is
// stricter), limit (a time after which something happens; less is
// stricter, 0 is off).  A bool with words is written with them
// ([off, on]) and not as true or false: mfa is "required" or
// "optional".
const RULES = [
    { name: 'min_length', kind: 'count', min: 1, max: 128 },
    { name: 'classes', kind: 'count', min: 0, max: 4 },
    { name: 'not_username', kind: 'bool' },
    { name: 'history', kind: 'count', min: 0, max: 24 },
    { name: 'min_age', kind: 'age' },
    { name: 'max_age', kind: 'limit' },
    { name: 'inactive_after', kind: 'limit' },
    { name: 'mfa', kind: 'bool', words: ['optional', 'required'] },
];

// Seconds from a time as the API writes it: nginx's notation ("90d",
// "12h", "30m", "0"), or a number of seconds.
function seconds(v) {
    if (typeof v === 'number') {
        return v;
    }
    const m = String(v ?? '0').match(/^(\d+)\s*(ms|s|m|h|d|w)?$/);
    if (!m) {
        return 0;
    }
    const n = Number(m[1]);
    return { ms: n / 1000, s: n, m: n * 60, h: n * 3600, d: n * 86400,
             w: n * 604800 }[m[2] || 's'];
}

// A time as a rule is written, "90d" (a bare number would be refused).
function time(s) {
    const unit = ['d', 'h', 'm'].find((u) => s >= UNITS[u]
                                             && s % UNITS[u] === 0);
    return s === 0 ? '0' : unit ? `${s / UNITS[unit]}${unit}` : `${s}s`;
}

function bool(v) {
    return v === true || v === 1 || v === 'on' || v === '1'
           || v === 'required';
}

// A rule's value as the API takes it.
function written(rule, v) {
    switch (rule.kind) {
    case 'bool': return rule.words ? rule.words[Number(v)] : v;
    case 'age':
    case 'limit': return time(v);
    default: return v;
    }
}

function looser(rule, value, floor) {
    switch (rule.kind) {
    case 'bool': return floor && !value;
    case 'limit': return floor > 0 && (value === 0 || value > floor);
    default: return value < floor;
    }
}

function describe(rule, v) {
    switch (rule.kind) {
    case 'bool':
        return t(rule.words ? `policy.${rule.name}.${rule.words[Number(v)]}`
                            : v ? 'policy.on' : 'policy.off');
    case 'age':
    case 'limit':
        return v ? duration(v) : t('policy.off');
    default:
        return t(`policy.${rule.name}.value`, { n: v });
    }
}

function duration(s) {
    for (const u of ['d', 'h', 'm']) {
        if (s >= UNITS[u] && s % UNITS[u] === 0) {
            return t(`policy.unit.${u}.n`, { n: s / UNITS[u] });
        }
    }
    return t('policy.unit.s.n', { n: s });
}

// A rule's value as the API writes it ("12", "90d", "on") in words.
function bound(rule, v) {
    return describe(rule, rule.kind === 'bool' ? bool(v)
                          : rule.kind === 'count' ? Number(v) : seconds(v));
}

// A policy the server refused (422 invalid_policy or policy_loosened),
// in the console's language: the rule by its label here and the bound it
// must keep as this screen writes values.  '' for a rule or a reason this
// console does not know: explain() then says it with the server's detail.
function refused(err) {
    const body = (err && err.body) || {};
    const rule = RULES.find((r) => r.name === body.rule);
    const key = `policy.refused.${body.reason}`;
    if (!rule || !has(key)) {
        return '';
    }
    const other = body.reason === 'shorter'
                  ? RULES.find((r) => r.name === 'max_age') : rule;
    return t(key, { rule: t(`policy.${rule.name}`),
                    min: body.min ?? '',
                    limit: body.reason === 'range' ? body.limit ?? ''
                           : bound(other, body.limit) });
}

// A time as a number and a unit; 0 is "off".
function durationInput(s) {
    const unit = ['d', 'h', 'm'].find((u) => s >= UNITS[u]
                                             && s % UNITS[u] === 0) || 'd';
    const num = h('input', { type: 'number', min: '0', step: '1',
                             inputmode: 'numeric',
                             value: String(s / UNITS[unit]) });
    const sel = h('select', { 'aria-label': t('policy.unit') },
                  ['d', 'h', 'm'].map((u) => h('option', { value: u },
                                                t(`policy.unit.${u}`))));
    sel.value = unit;

    const wrap = h('span', { class: 'duration' }, num, sel);
    wrap.read = () => Math.max(0, Math.floor(Number(num.value) || 0))
                      * UNITS[sel.value];
    wrap.control = num;
    return wrap;
}

function ruleRow(rule, value, floor) {
    let input;
    let read;
    let row;

    if (rule.kind === 'bool') {
        row = checkbox(t(`policy.${rule.name}`), { checked: value });
        input = row.querySelector('input');
        read = () => input.checked;
    } else if (rule.kind === 'count') {
        input = h('input', { type: 'number', min: String(rule.min),
                             max: String(rule.max), step: '1',
                             inputmode: 'numeric', value: String(value) });
        read = () => Math.floor(Number(input.value) || 0);
        row = field(t(`policy.${rule.name}`), input);
    } else {
        const d = durationInput(value);
        input = d.control;
        read = d.read;
        row = field(t(`policy.${rule.name}`), input, null, d);
    }

    const floorText = h('p', { class: 'floor' },
                        t('policy.floor', { value: describe(rule, floor) }));
    const about = h('p', { class: 'hint' }, t(`policy.${rule.name}.about`));
    const error = h('p', { class: 'field-error', id: uid('err'),
                           hidden: true });

    const box = h('div', { class: 'rule' }, row, about, floorText, error);

    box.setError = (text) => markError(input, error, text);
    box.control = input;
    box.check = () => {
        const bad = looser(rule, read(), floor);
        box.setError(bad ? t('policy.too_loose',
                             { floor: describe(rule, floor) }) : '');
        return !bad;
    };
    box.read = read;

    box.addEventListener('input', box.check);
    box.addEventListener('change', box.check);

    return box;
}

// The tenant's own rules as another admin left them (a 412's "rules"),
// in words: what the admin compares its own values with.
function meanwhile(box, rules) {
    const set = RULES.filter((r) => r.name in rules);
    box.hidden = false;
    clear(box,
          h('h3', { tabindex: '-1' }, t('policy.changed_title')),
          h('p', null, t('policy.changed_meanwhile')),
          set.length
              ? h('ul', null, set.map((r) => h('li', null,
                    `${t(`policy.${r.name}`)}: ${bound(r, rules[r.name])}`)))
              : h('p', null, t('policy.changed_none')));
    announce('error', t('policy.changed_meanwhile'), false);
    box.querySelector('h3').focus();
}

async function render(ctx) {
    const { data, etag } = await ctx.call('GET', 'policy', undefined,
                                          { etag: true });
    let version = etag;
    const server = data.server || {};
    let own = data.rules || {};

    const rows = RULES.map((rule) => {
        const raw = (name) => (rule.kind === 'bool' ? bool(name)
                               : rule.kind === 'count' ? Number(name || 0)
                               : seconds(name));
        const floor = raw(server[rule.name]);
        const value = rule.name in own ? raw(own[rule.name]) : floor;
        return { rule, floor, row: ruleRow(rule, value, floor) };
    });

    const save = h('button', { type: 'submit', class: 'primary' },
                   t('common.save'));
    const changed = h('div', { class: 'lockout changed', hidden: true });

    const form = h('form', { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        const bad = rows.filter((r) => !r.row.check());
        if (bad.length) {
            bad[0].row.control.focus();
            announce('error', t('policy.fix_first'), false);
            return;
        }
        // only what the tenant tightens: a rule left at the floor
        // follows the server's policy if that changes later
        // PUT policy replaces every rule, and removes one left out: a
        // rule this screen does not show (one of a newer server) is
        // sent as it is, or saving here would drop it
        const body = {};
        for (const [name, v] of Object.entries(own)) {
            if (!RULES.some((r) => r.name === name)) {
                body[name] = v;
            }
        }
        for (const { rule, floor, row } of rows) {
            const v = row.read();
            if (v !== floor || rule.name in own) {
                body[rule.name] = written(rule, v);
            }
        }
        changed.hidden = true;
        await busy(save, async () => {
            try {
                await ctx.call('PUT', 'policy', body, { ifMatch: version });
                announce('ok', t('policy.saved'));
                ctx.refresh();
            } catch (err) {
                if (err.status === 412 && err.body.rules
                    && typeof err.body.rules === 'object') {
                    // the next save is made on the rules as they now are
                    // (and keeps a rule this screen does not show)
                    version = err.etag;
                    own = err.body.rules;
                    meanwhile(changed, err.body.rules);
                    return;
                }
                // the rule the server names, marked and focused as one
                // this screen refuses
                const text = refused(err);
                const at = text && rows.find((r) => r.rule.name
                                                    === err.body.rule);
                if (at) {
                    refuse(at.row, text);
                } else {
                    announce('error', text || explain(err));
                }
            }
        });
    } },
        rows.map((r) => r.row),
        changed,
        h('div', { class: 'actions' }, save));

    return [
        h('p', { class: 'intro' }, t('policy.intro')),
        section(t('policy.rules'), form),
    ];
}

export default {
    policy: { title: 'policy.title', render },
};
