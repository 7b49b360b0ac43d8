// Building the page.  Elements are made with h(), never from HTML
// strings, so that nothing the API returns (a username, a reason) can
// become markup.

import { t } from './i18n.js';

let serial = 0;

export function uid(prefix) {
    serial++;
    return `${prefix}-${serial}`;
}

// h('button', {class: 'primary', onclick: f}, 'Save'): attributes, event
// handlers (on...), then children (nodes, strings, arrays; null skipped).
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);

    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) {
            continue;
        }
        if (k.startsWith('on')) {
            el.addEventListener(k.slice(2), v);
        } else if (k === 'class') {
            el.className = v;
        } else if (k === 'value' || k === 'checked') {
            el[k] = v;
        } else {
            el.setAttribute(k, v === true ? '' : String(v));
        }
    }

    add(el, children);
    return el;
}

function add(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        el.append(c instanceof Node ? c : String(c));
    }
}

export function clear(el, ...children) {
    el.replaceChildren();
    add(el, children);
    return el;
}

// Keeps a screen's filters in its address, so that a reload or a link
// shows the same: {name: value}, an empty value (or '') removed.
export function remember(values) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(values)) {
        if (v) {
            q.set(k, v);
        } else {
            q.delete(k);
        }
    }
    history.replaceState(null, '', `?${q}`);
}

// ---------------------------------------------------------------------
// messages: two live regions, shown as notices at the foot of the screen

let statusTimer = 0;

// shown: false for an error already shown beside its field: it is
// announced, not shown twice.
export function announce(kind, text, shown = true) {
    const region = document.getElementById(kind === 'error' ? 'live-alert'
                                                            : 'live-status');
    const other = document.getElementById(kind === 'error' ? 'live-status'
                                                           : 'live-alert');
    clear(other);
    clearTimeout(statusTimer);

    const close = h('button', { type: 'button', class: 'notice-close',
                                'aria-label': t('common.dismiss'),
                                onclick: () => clear(region) }, '×');

    clear(region, shown ? h('div', { class: `notice ${kind}` },
                            h('p', null, text), close)
                        : h('p', { class: 'visually-hidden' }, text));

    if (kind !== 'error') {
        statusTimer = setTimeout(() => clear(region), 8000);
    }
}

export function quiet() {
    clearTimeout(statusTimer);
    clear(document.getElementById('live-status'));
    clear(document.getElementById('live-alert'));
}

// Whether an action behind this button is under way.
export function isBusy(button) {
    return button.getAttribute('aria-busy') === 'true';
}

// Runs an action behind a button: the button says it is working and
// cannot be pressed twice, and comes back afterwards.  It is marked
// aria-disabled, not disabled: a button disabled under the keyboard's
// focus drops it to the top of the page, and the keyboard user loses
// their place (after the action, the screen's heading takes it).
export async function busy(button, fn) {
    if (isBusy(button)) {
        return undefined;
    }

    const label = button.textContent;
    button.setAttribute('aria-disabled', 'true');
    button.setAttribute('aria-busy', 'true');
    button.classList.add('working');
    button.textContent = t('common.working');

    try {
        return await fn();
    } finally {
        button.removeAttribute('aria-disabled');
        button.removeAttribute('aria-busy');
        button.classList.remove('working');
        button.textContent = label;
    }
}

// ---------------------------------------------------------------------
// confirmations

// Asks before something that cannot be undone.  opts: title, body (text
// or nodes), confirm (the button's label), danger, ack (a checkbox that
// must be ticked first).  Resolves to true or false.
export function confirmDialog(opts) {
    return new Promise((resolve) => {
        const titleId = uid('dlg-title');
        const bodyId = uid('dlg-body');
        const ackBox = opts.ack ? h('input', { type: 'checkbox',
                                                id: uid('ack') })
                                : null;
        const ok = h('button', { type: 'submit', value: 'ok',
                                 class: opts.danger ? 'danger' : 'primary',
                                 disabled: !!opts.ack },
                     opts.confirm);
        const cancel = h('button', { type: 'submit', value: 'cancel',
                                     class: 'secondary' },
                         t('common.cancel'));

        const dialog = h('dialog', { class: 'confirm',
                                     'aria-labelledby': titleId,
                                     'aria-describedby': bodyId },
            h('form', { method: 'dialog' },
                h('h2', { id: titleId }, opts.title),
                h('div', { id: bodyId, class: 'dialog-body' },
                  [].concat(opts.body).map((b) => (typeof b === 'string'
                                                   ? h('p', null, b) : b))),
                ackBox && h('div', { class: 'check' }, ackBox,
                            h('label', { for: ackBox.id }, opts.ack)),
                h('div', { class: 'actions' }, cancel, ok)));

        if (ackBox) {
            ackBox.addEventListener('change', () => {
                ok.disabled = !ackBox.checked;
            });
        }

        const back = document.activeElement;

        dialog.addEventListener('close', () => {
            dialog.remove();
            if (back && back.isConnected) {
                back.focus();
            }
            resolve(dialog.returnValue === 'ok');
        });

        document.body.append(dialog);
        dialog.showModal();
        cancel.focus();
    });
}

// ---------------------------------------------------------------------
// pieces of screens

// A form field: label, control, hint and a place for its error, tied
// together for screen readers.  holder: what to show in place of the
// control when it comes with others (a number and its unit).
export function field(label, control, hint, holder = control) {
    const hintEl = hint ? h('p', { class: 'hint', id: uid('hint') }, hint)
                        : null;
    const error = h('p', { class: 'field-error', id: uid('err'),
                           hidden: true });

    control.id = control.id || uid('f');
    control.setAttribute('aria-describedby',
                         [hintEl && hintEl.id, error.id].filter(Boolean)
                             .join(' '));

    const wrap = h('div', { class: 'field' },
                   h('label', { for: control.id }, label), holder, hintEl,
                   error);

    wrap.control = control;
    wrap.setError = (text) => markError(control, error, text);

    return wrap;
}

// Shows a control's error, or takes it away ('' or null): the text in
// its own element (error, which needs an id), the control marked
// aria-invalid and described by that element, so that a screen reader
// reads the error with the control.
export function markError(control, error, text) {
    const described = (control.getAttribute('aria-describedby') || '')
        .split(' ').filter(Boolean);
    if (!described.includes(error.id)) {
        control.setAttribute('aria-describedby',
                             [...described, error.id].join(' '));
    }

    error.hidden = !text;
    error.textContent = text || '';
    if (text) {
        control.setAttribute('aria-invalid', 'true');
    } else {
        control.removeAttribute('aria-invalid');
    }
}

// A field refused (by the form's own check or by the server): its
// error shown at it, announced once, and the keyboard's focus on its
// control, so that the user corrects it at once instead of hunting for
// it from the button.  wrap: what field() makes (setError, control).
export function refuse(wrap, text) {
    wrap.setError(text);
    announce('error', text, false);
    wrap.control.focus();
}

export function checkbox(label, attrs) {
    const box = h('input', { type: 'checkbox', id: uid('c'), ...attrs });
    return h('div', { class: 'check' }, box,
             h('label', { for: box.id }, label));
}

export function badge(kind, text) {
    return h('span', { class: `badge ${kind}` }, text);
}

export function section(title, ...children) {
    const id = uid('sec');
    return h('section', { class: 'card', 'aria-labelledby': id },
             h('h2', { id }, title), children);
}

// A table that becomes a list of cards on a phone: every cell carries
// its column's name for the card's labels.  columns: [{label, cell(row),
// class}]; rowClass(row) for highlights.
export function table(caption, columns, rows, rowClass) {
    return h('div', { class: 'table-wrap' },
        h('table', { class: 'data' },
            h('caption', { class: 'visually-hidden' }, caption),
            h('thead', null, h('tr', null,
                columns.map((c) => h('th', { scope: 'col',
                                             class: c.class }, c.label)))),
            h('tbody', null, rows.map((row) =>
                h('tr', { class: rowClass ? rowClass(row) : null },
                  columns.map((c) => h('td', { 'data-label': c.label,
                                               class: c.class },
                                       h('span', null, c.cell(row)))))))));
}

// Shows a one-time password with a button that copies it.
export function secret(value) {
    const code = h('code', { class: 'secret' }, value);
    const copied = h('span', { class: 'copied', role: 'status' });
    const button = h('button', { type: 'button', class: 'secondary',
                                 onclick: async () => {
        try {
            await navigator.clipboard.writeText(value);
            copied.textContent = t('common.copied');
        } catch (e) {
            // no clipboard (plain HTTP, or refused): select it instead
            getSelection().selectAllChildren(code);
            copied.textContent = t('common.copy_manually');
        }
    } }, t('common.copy'));

    return h('div', { class: 'secret-box' }, code, button, copied);
}
