// An action behind a button, the same way everywhere: ask first when it
// cannot be undone, show that it is working, say how it ended, and show
// the screen as it now is.

import { explain } from './api.js';
import { announce, busy, isBusy, confirmDialog } from './dom.js';

// opts: ask (confirmDialog's options, if it must ask), run() (the
// calls; its answer goes to done), done(answer) (the message of
// success), then(answer) (what follows; by default the screen anew),
// stale() (the message when the API refused the change because what it
// changes changed meanwhile, 412: the screen is shown anew, as it now
// is).
export async function act(ctx, button, opts) {
    if (isBusy(button)) {
        return;
    }
    if (opts.ask && !await confirmDialog(opts.ask)) {
        return;
    }
    await busy(button, async () => {
        let answer;
        try {
            answer = await opts.run();
        } catch (err) {
            if (err.status === 412 && opts.stale) {
                announce('error', opts.stale());
                ctx.refresh();
                return;
            }
            announce('error', explain(err));
            return;
        }
        announce('ok', opts.done(answer));
        if (opts.then) {
            opts.then(answer);
        } else {
            ctx.refresh();
        }
    });
}
