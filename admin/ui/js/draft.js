// What the admin had entered on a screen when a change of it was
// refused because the session had ended (401): kept in the tab's
// sessionStorage across the portal's login, and filled in again when
// the login brings the admin back to the same screen, so that a long
// network list or a new user is not lost without a word.  Passwords
// are never kept: the admin types them again.

const STORE = 'kot.console.unsaved';

// The controls of the screen whose values are kept, in the order of
// the page.
function controls() {
    return [...document.querySelectorAll(
        '#view input, #view textarea, #view select')]
        .filter((c) => !['password', 'hidden', 'submit', 'button', 'file']
                           .includes(c.type));
}

function state(c) {
    return c.type === 'checkbox' || c.type === 'radio'
        ? c.checked : c.value;
}

// Keeps the screen's values for who (tenant and user of the session
// that ended), and that a password typed there is not kept.
export function keep(who) {
    const password = [...document.querySelectorAll(
        '#view input[type="password"]')].some((c) => c.value);
    const note = {
        who,
        at: location.pathname + location.search,
        password,
        fields: controls().map((c) => ({ kind: `${c.tagName}:${c.type}`,
                                         value: state(c) })),
    };
    try {
        sessionStorage.setItem(STORE, JSON.stringify(note));
    } catch (e) {
        // no storage: the login brings the admin back all the same
    }
}

// After a login: null if no change of this tab was cut off; otherwise
// {restored, password}: whether the values went back into the screen
// (the same screen, of the same admin, with the same controls), and
// whether a password must be typed again.  The note is used once.
export function restore(who) {
    let note = null;
    try {
        note = JSON.parse(sessionStorage.getItem(STORE));
        sessionStorage.removeItem(STORE);
    } catch (e) {
        return null;
    }
    if (!note || typeof note !== 'object' || note.who !== who
        || !Array.isArray(note.fields)) {
        return null;
    }

    const now = controls();
    const same = note.at === location.pathname + location.search
        && note.fields.length === now.length
        && note.fields.every((f, i) => f.kind
                             === `${now[i].tagName}:${now[i].type}`);
    if (!same) {
        return { restored: false, password: false };
    }

    now.forEach((c, i) => {
        const v = note.fields[i].value;
        if (c.type === 'checkbox' || c.type === 'radio') {
            c.checked = v === true;
        } else {
            c.value = String(v);
        }
        // the screen's own reactions: line numbers, a rule's check, the
        // password field of "set a password"
        c.dispatchEvent(new Event('input', { bubbles: true }));
        c.dispatchEvent(new Event('change', { bubbles: true }));
    });
    return { restored: true, password: note.password === true };
}
