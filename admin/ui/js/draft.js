// What the admin had entered on a screen, filled in again when the
// screen is drawn anew: after the language switch, and when a change of
// it was refused because the session had ended (401), kept then in the
// tab's sessionStorage across the portal's login, so that a long
// network list or a new user is not lost without a word.  Passwords
// are never kept there: the admin types them again.

const STORE = 'kot.console.unsaved';

// The controls of the screen whose values are kept, in the order of
// the page; passwords only for a snapshot that stays in memory.
function controls(passwords) {
    return [...document.querySelectorAll(
        '#view input, #view textarea, #view select')]
        .filter((c) => !['hidden', 'submit', 'button', 'file']
                           .includes(c.type)
                       && (passwords || c.type !== 'password'));
}

function state(c) {
    return c.type === 'checkbox' || c.type === 'radio'
        ? c.checked : c.value;
}

// What the admin has entered on the screen: its address, and the
// kind and value of each control (with passwords: for memory only).
export function snapshot(passwords = false) {
    return {
        at: location.pathname + location.search,
        passwords,
        fields: controls(passwords).map((c) => ({
            kind: `${c.tagName}:${c.type}`, value: state(c) })),
    };
}

// Puts a snapshot back into the screen drawn anew: false, and nothing
// changed, unless it is the same screen with the same controls.
export function apply(snap) {
    const now = controls(snap.passwords === true);
    if (snap.at !== location.pathname + location.search
        || !Array.isArray(snap.fields)
        || snap.fields.length !== now.length
        || !snap.fields.every((f, i) => f.kind
                              === `${now[i].tagName}:${now[i].type}`)) {
        return false;
    }

    now.forEach((c, i) => {
        const v = snap.fields[i].value;
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
    return true;
}

// Keeps the screen's values for who (tenant and user of the session
// that ended), and that a password typed there is not kept.
export function keep(who) {
    const password = [...document.querySelectorAll(
        '#view input[type="password"]')].some((c) => c.value);
    try {
        sessionStorage.setItem(STORE, JSON.stringify({ ...snapshot(),
                                                       who, password }));
    } catch (e) {
        // no storage: the login brings the admin back all the same
    }
}

// After a login: null if no change of this tab was cut off; otherwise
// {restored, password}: whether values the admin had entered went back
// into the screen (the same screen, of the same admin, with the same
// controls, and not all as the screen shows them anyway: a button's
// action had nothing entered), and whether a password must be typed
// again.  The note is used once.
export function restore(who) {
    let note = null;
    try {
        note = JSON.parse(sessionStorage.getItem(STORE));
        sessionStorage.removeItem(STORE);
    } catch (e) {
        return null;
    }
    if (!note || typeof note !== 'object' || note.who !== who) {
        return null;
    }

    const shown = JSON.stringify(snapshot().fields);
    return { restored: apply(note) && shown !== JSON.stringify(note.fields),
             password: note.password === true };
}
