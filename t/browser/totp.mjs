// TOTP as an authenticator app computes it (RFC 6238: HMAC-SHA-1 of the
// 30-second step, 6 digits), for the browser tests that turn MFA on.

import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(s) {
    let bits = '';
    for (const c of s.toUpperCase().replace(/[\s=]/g, '')) {
        bits += ALPHABET.indexOf(c).toString(2).padStart(5, '0');
    }
    const bytes = [];
    for (let i = 0; i + 8 <= bits.length; i += 8) {
        bytes.push(parseInt(bits.slice(i, i + 8), 2));
    }
    return Buffer.from(bytes);
}

export function totp(secret, step) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step));
    const mac = createHmac('sha1', base32Decode(secret)).update(counter)
                                                      .digest();
    const off = mac[19] & 0x0f;
    const bin = mac.readUInt32BE(off) & 0x7fffffff;
    return String(bin % 1000000).padStart(6, '0');
}

export const step = () => Math.floor(Date.now() / 30000);

// Until the current step has some seconds left, so that the codes of this
// step and the one before stay valid while the browser sends them.
export async function freshStep() {
    const left = 30000 - Date.now() % 30000;
    if (left < 8000) {
        await new Promise((done) => setTimeout(done, left + 200));
    }
    return step();
}
