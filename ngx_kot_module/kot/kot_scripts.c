/*
 * ngx_kot: Lua scripts for every multi-key change of the data model.
 *
 * Scripts that derive a key from a value they read (a session's owner)
 * name it from inside; ngx_kot supports a single Redis primary, not
 * Redis Cluster, so every key is on the same server.
 *
 * Times are milliseconds since the Unix epoch, from the caller's clock.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "kot_ident.h"
#include "kot_policy.h"
#include "kot_scripts.h"


#if KOT_TENANT_RULES_N != KOT_TENANT_POLICY_N
#error "kot_tenant_rules must name every field of KOT_TENANT_POLICY_FIELDS"
#endif


#define KOT_STR(x)   KOT_STR_(x)
#define KOT_STR_(x)  #x
#define KOT_GRACE    KOT_STR(KOT_SESSION_GRACE_MS)
#define KOT_HANDLE   KOT_STR(KOT_SID_SHORT_LEN)
#define KOT_POLICY_N KOT_STR(KOT_TENANT_POLICY_N)


/*
 * The first line of a script that adds data.  Redis (7.0) checks
 * maxmemory for a script without it only at its first write, and only if
 * that command is one that may grow memory: a script that starts with
 * HDEL or ZREMRANGEBYSCORE then writes all it wants past maxmemory.
 * With it, a full Redis ("noeviction") refuses the script before it
 * runs, so nothing of it is written and the caller sees -OOM.
 */
#define KOT_LUA_DENY_OOM  "#!lua\n"


/*
 * Why the session sid (a Lua expression) ended, for its device to be told
 * at its next request (why, a Lua expression: "evicted" or "by_user";
 * see KOT_SESSION_EVICTED): se:{sid}, for as long as the session's key
 * had left.  A hash, not a string: the ACL of conf/redis/kot.conf grants
 * HSET, and an upgrade keeps its ACL.
 */
#define KOT_LUA_TELL_ENDED(sid, why)                                        \
    "do\n"                                                                  \
    "  local se, ttl = '" KOT_KEY_SESSION_ENDED "' .. " sid ","              \
    " redis.call('PTTL', '" KOT_KEY_SESSION "' .. " sid ")\n"               \
    "  if ttl > 0 then\n"                                                   \
    "    redis.call('HSET', se, 'why', " why ")\n"                          \
    "    redis.call('PEXPIRE', se, ttl)\n"                                  \
    "  end\n"                                                               \
    "end\n"

/*
 * The one way sessions of a user end: every session in us (a Lua
 * expression naming us:{tenant}:{user}) whose sid starts with handle (a
 * Lua expression; '' is every sid) but the one whose sid is keep (a Lua
 * expression; '' keeps none).  Each session key is deleted, which every
 * node's session cache hears of from Redis at once, and leaves us; with
 * why (a Lua expression, nil for none), KOT_LUA_TELL_ENDED.  Sets n, the
 * number of sessions ended.
 */
#define KOT_LUA_END_SESSIONS_TELLING(us, handle, keep, why)                 \
    "local n = 0\n"                                                         \
    "for _, sid in ipairs(redis.call('ZRANGE', " us ", 0, -1)) do\n"        \
    "  if sid ~= " keep " and string.sub(sid, 1, #" handle ") == " handle   \
    " then\n"                                                               \
    "    if " why " then\n"                                                 \
    KOT_LUA_TELL_ENDED("sid", why)                                          \
    "    end\n"                                                             \
    "    n = n + redis.call('DEL', '" KOT_KEY_SESSION "' .. sid)\n"         \
    "    redis.call('ZREM', " us ", sid)\n"                                 \
    "  end\n"                                                               \
    "end\n"

#define KOT_LUA_END_SESSIONS_OF(us, handle, keep)                           \
    KOT_LUA_END_SESSIONS_TELLING(us, handle, keep, "nil")

/* A change ends a user's sessions: every one but keep. */
#define KOT_LUA_END_SESSIONS_BUT(us, keep)                                  \
    KOT_LUA_END_SESSIONS_OF(us, "''", keep)

/*
 * The end of a script that ends every session of a user: KEYS[2] is
 * us:{tenant}:{user}.  Returns the number of sessions ended.
 */
#define KOT_LUA_END_SESSIONS                                                \
    KOT_LUA_SESSIONS_ENDED                                                  \
    "return n\n"

/* The same, for a script that answers more: n is the number ended. */
#define KOT_LUA_SESSIONS_ENDED                                              \
    KOT_LUA_END_SESSIONS_BUT("KEYS[2]", "''")


/*
 * A client's login token bucket as of now: b holds th:{client}'s stored
 * tokens and ts, now, rate (per minute) and burst are numbers.  Sets
 * tokens (refilled since ts, at most burst) and wait (ms until a whole
 * token is there; 0 if one is).
 */
#define KOT_LUA_BUCKET_REFILL                                               \
    "local function refill(b, rate, burst, now)\n"                          \
    "  local tokens = tonumber(b[1]) or burst\n"                            \
    "  local ts = tonumber(b[2]) or now\n"                                  \
    "  tokens = math.min(burst,"                                            \
    " tokens + math.max(0, now - ts) * rate / 60000)\n"                     \
    "  local wait = 0\n"                                                    \
    "  if tokens < 1 then"                                                  \
    " wait = math.ceil((1 - tokens) * 60000 / rate) end\n"                  \
    "  return tokens, wait\n"                                               \
    "end\n"


/* A bucket lasts until it is full again, and a second more. */
#define KOT_LUA_BUCKET_EXPIRE                                               \
    "local function bucket_expire(k, tokens, rate, burst)\n"                \
    "  redis.call('PEXPIRE', k,"                                            \
    " math.ceil((burst - tokens) * 60000 / rate) + 1000)\n"                 \
    "end\n"


/*
 * Takes a token from a client's bucket, k1, and from its IPv6 /48's, k2
 * (k1 again, or nil, for none), which holds site times the burst and
 * refills at site times the rate: an attempt goes on only if both have
 * one.  The password step and the code step of a login take from the
 * same buckets, by this one rule (README.md, kot_login_throttle).  ts is
 * now as given, stored as the time of the attempt.  Returns nil when
 * the attempt may go on (or rate is 0: no throttle), else {ms to wait, 1
 * for the client's bucket or 2 for its /48's}.
 */
#define KOT_LUA_BUCKET_TAKE                                                 \
    KOT_LUA_BUCKET_REFILL                                                   \
    KOT_LUA_BUCKET_EXPIRE                                                   \
    "local function take(k1, k2, ts, rate, burst, site)\n"                  \
    "  if rate <= 0 then return nil end\n"                                  \
    "  local now = tonumber(ts)\n"                                          \
    "  local th = {{k1, rate, burst}}\n"                                    \
    "  if site > 0 and k2 and k2 ~= k1 then\n"                              \
    "    th[2] = {k2, rate * site, burst * site}\n"                         \
    "  end\n"                                                               \
    "  for i, t in ipairs(th) do\n"                                         \
    "    local tokens, wait = refill(redis.call('HMGET', t[1], 'tokens',"   \
    " 'ts'), t[2], t[3], now)\n"                                            \
    "    if tokens < 1 then return {wait, i} end\n"                         \
    "    t[4] = tokens - 1\n"                                               \
    "  end\n"                                                               \
    "  for _, t in ipairs(th) do\n"                                         \
    "    redis.call('HSET', t[1], 'tokens', tostring(t[4]), 'ts', ts,"      \
    " 'rate', t[2], 'burst', t[3])\n"                                       \
    "    bucket_expire(t[1], t[4], t[2], t[3])\n"                           \
    "  end\n"                                                               \
    "  return nil\n"                                                        \
    "end\n"


/*
 * Gives back the token that take() took from bucket k, at the rate and
 * burst that it was taken under: a code step that succeeded costs
 * nothing.  A bucket that is gone is full anyway.
 */
#define KOT_LUA_BUCKET_GIVE_BACK                                            \
    KOT_LUA_BUCKET_REFILL                                                   \
    KOT_LUA_BUCKET_EXPIRE                                                   \
    "local function give_back(k, ts)\n"                                     \
    "  local b = redis.call('HMGET', k, 'tokens', 'ts', 'rate', 'burst')\n" \
    "  local rate, burst = tonumber(b[3]) or 0, tonumber(b[4]) or 0\n"      \
    "  if not b[1] or rate <= 0 then return end\n"                          \
    "  local tokens = math.min(burst,"                                      \
    " refill(b, rate, burst, tonumber(ts)) + 1)\n"                          \
    "  redis.call('HSET', k, 'tokens', tostring(tokens), 'ts', ts)\n"       \
    "  bucket_expire(k, tokens, rate, burst)\n"                             \
    "end\n"


/*
 * KEYS[1] s:{sid}
 * ARGV[1] now, ARGV[2] idle timeout, ARGV[3] absolute timeout,
 * ARGV[4] touch interval, ARGV[5] sid
 * Returns {status, tenant, user, roles, must_change, allow-list version,
 * login time, last activity, "1" if the session must enrol in MFA first,
 * the login before it ("ll", see KOT_LUA_LAST_LOGIN)}, the positions
 * kot_session_reply_e (kot_scripts.h) names for every reader; {status,
 * tenant, user} for an expired session, {0} for none, {4} for one that
 * kot_max_sessions ended, {5} for one the user ended on another device
 * (se:{sid}).  An expired session is deleted here so that a second
 * request cannot revive it.
 */
static const char  kot_script_session_check[] =
    "local f = redis.call('HMGET', KEYS[1], 't', 'u', 'r', 'c', 'l', 'mc',"
    " 'e', 'll')\n"
    "if not f[1] then\n"
    "  local why = redis.call('HGET', '" KOT_KEY_SESSION_ENDED "' .. ARGV[5],"
    " 'why')\n"
    "  return {why == 'evicted' and " KOT_STR(KOT_SESSION_EVICTED)
    " or why == 'by_user' and " KOT_STR(KOT_SESSION_ENDED_BY_USER)
    " or 0}\n"
    "end\n"
    "local now = tonumber(ARGV[1])\n"
    "local idle, abs = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local c, l = tonumber(f[4]) or 0, tonumber(f[5]) or 0\n"
    "local st = 1\n"
    "if now - c >= abs then st = 3 elseif now - l >= idle then st = 2 end\n"
    "if st ~= 1 then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  redis.call('ZREM', '" KOT_KEY_USER_SESSIONS "' .. f[1] .. ':' .. f[2],"
    " ARGV[5])\n"
    "  return {st, f[1], f[2]}\n"
    "end\n"
    "if now - l >= tonumber(ARGV[4]) then\n"
    "  redis.call('HSET', KEYS[1], 'l', ARGV[1])\n"
    "  redis.call('PEXPIRE', KEYS[1],"
    " math.min(idle, abs - (now - c)) + " KOT_GRACE ")\n"
    "  l = now\n"
    "end\n"
    "return {1, f[1], f[2], f[3] or '', f[6] or '0',"
    " tonumber(redis.call('GET', '" KOT_KEY_ALLOW_VERSION "' .. f[1])) or 0,"
    " c, l, f[7] or '0', f[8] or ''}\n";


/*
 * 1 if the failures' hash fk holds a lock in force at now (ms; "until"
 * -1: until an administrator unlocks), else 0.  Every check of a
 * password reads the lock through it, at login and with a session.
 */
#define KOT_LUA_LOCKED                                                      \
    "local function locked(fk, now)\n"                                      \
    "  local lk = tonumber(redis.call('HGET', fk, 'until')) or 0\n"         \
    "  return (lk == -1 or lk > now) and 1 or 0\n"                          \
    "end\n"


/*
 * When the account at uk was last active: the latest of its last login,
 * its creation and its enabling again (user_patch).  inactive_after
 * counts from there (kot_policy_inactive()); a missing user gives 0.
 */
#define KOT_LUA_LAST_ACTIVE                                                 \
    "local function last_active(uk)\n"                                      \
    "  local a = redis.call('HMGET', uk, 'last_login', 'created',"          \
    " 'reenabled')\n"                                                       \
    "  return math.max(tonumber(a[1]) or 0, tonumber(a[2]) or 0,"           \
    " tonumber(a[3]) or 0)\n"                                               \
    "end\n"


/*
 * The first step of a login: the per-client token bucket, then the user,
 * whether the account is locked, and the tenant's policy, in one round
 * trip.  An IPv6 client also takes a token from its /48's bucket, which
 * holds ARGV[4] times the burst and refills at ARGV[4] times the rate
 * (kot_cidr_site()); an attempt goes on only if both have one, and
 * takes one from each.
 *
 * KEYS[1] th:{client}, KEYS[2] u:{tenant}:{user}, KEYS[3] f:{tenant}:{user},
 * KEYS[4] t:{tenant}, KEYS[5] alv:{tenant}, KEYS[6] mfa:{tenant}:{user},
 * KEYS[7] th:{the client's /48} (KEYS[1] again for none)
 * ARGV[1] now, ARGV[2] logins per minute (0: no limit), ARGV[3] burst,
 * ARGV[4] the /48's share (0 or absent: none)
 * Returns {0, ms to wait, 1 for the client's bucket or 2 for its /48's}
 * when the client is over its rate, else
 * {1, hash, roles, must_change, locked, pw_changed, last active,
 *  {tenant policy}, allow-list version, disabled, has MFA}, with "" for a
 * missing user's fields (KOT_LUA_LAST_ACTIVE: the last activity).
 */
static const char  kot_script_login_begin[] =
    KOT_LUA_LOCKED
    KOT_LUA_LAST_ACTIVE
    KOT_LUA_BUCKET_TAKE
    "local now = tonumber(ARGV[1])\n"
    "local held = take(KEYS[1], KEYS[7], ARGV[1], tonumber(ARGV[2]),"
    " tonumber(ARGV[3]), tonumber(ARGV[4]) or 0)\n"
    "if held then return {0, held[1], held[2]} end\n"
    "local u = redis.call('HMGET', KEYS[2], 'hash', 'roles', 'must_change',"
    " 'pw_changed', 'disabled')\n"
    "return {1, u[1] or '', u[2] or '', u[3] or '0', locked(KEYS[3], now),"
    " u[4] or '0',"
    " tostring(last_active(KEYS[2])), redis.call('HMGET', KEYS[4], "
    KOT_TENANT_POLICY_FIELDS "),"
    " tonumber(redis.call('GET', KEYS[5])) or 0, u[5] and 1 or 0,"
    " redis.call('EXISTS', KEYS[6])}\n";


/*
 * What "kotctl throttle status" shows: a client's bucket as of now,
 * refilled by the same rule as at login, under the rate and burst of
 * the last attempt that it counted.
 *
 * KEYS[1] th:{client}
 * ARGV[1] now
 * Returns {0} when there is no bucket (no recent attempt: it is full);
 * {1, tokens, ms until a token is there (0: not throttled), rate, burst,
 * time of the last attempt counted}; {2, ms until the key expires} for a
 * bucket that does not name its rate (written by an earlier ngx_kot).
 */
static const char  kot_script_throttle_status[] =
    "local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'rate',"
    " 'burst')\n"
    "if not b[1] then return {0} end\n"
    "local now = tonumber(ARGV[1])\n"
    "local rate, burst = tonumber(b[3]) or 0, tonumber(b[4]) or 0\n"
    "if rate <= 0 then return {2, redis.call('PTTL', KEYS[1])} end\n"
    KOT_LUA_BUCKET_REFILL
    "local tokens, wait = refill(b, rate, burst, now)\n"
    "return {1, tostring(tokens), wait, rate, burst, tonumber(b[2]) or 0}\n";


/*
 * "kotctl throttle clear": full buckets at once, as if the client had
 * not tried for a while: an IPv4 address's, or an IPv6 address's /64 and
 * /48, together.
 *
 * KEYS[1...] th:{client}
 * Returns for each key 1 if there was a bucket, 0 if not.
 */
static const char  kot_script_throttle_clear[] =
    "local cleared = {}\n"
    "for i, key in ipairs(KEYS) do\n"
    "  cleared[i] = redis.call('DEL', key)\n"
    "end\n"
    "return cleared\n";


/*
 * Indexes the failures of a name that is not a user of the tenant: fu is
 * fu:{tenant}, expires when the name's f: key expires (-1: never).  The
 * index lasts as long as its last member, and loses the members whose
 * key has expired (by the caller's clock, now) whenever one is added.
 */
#define KOT_LUA_INDEX_FAILED_NAME                                           \
    "local function index_name(fu, name, expires, now)\n"                  \
    "  redis.call('ZREMRANGEBYSCORE', fu, '-inf', now)\n"                   \
    "  redis.call('ZADD', fu, expires == -1 and '+inf' or expires, name)\n" \
    "  local last = redis.call('ZRANGE', fu, -1, -1, 'WITHSCORES')\n"       \
    "  if last[2] == 'inf' then redis.call('PERSIST', fu)\n"                \
    "  else redis.call('PEXPIREAT', fu, last[2]) end\n"                     \
    "end\n"


/*
 * A failed login of an account, known or not.  threshold failures within
 * any window (sliding: the times of the recent failures are kept) lock it
 * for duration, doubled at each further lockout up to max duration; after
 * permanent_after lockouts it stays locked until an administrator unlocks
 * it.  While locked nothing is counted, so the count never exceeds the
 * attempts that could have succeeded, and counting starts afresh when a
 * lock ends.  The key of a user remembers lockouts for max duration after
 * the last event, which is how long escalation lasts.  That of a name
 * that is not a user lasts only as long as its window or its lock: no
 * one can log in with it, so escalating its locks protects nobody, and
 * a spray of made-up names from many addresses, each kept for a day,
 * could fill Redis, which then refuses every login.
 *
 * Every failure of a known user, locked or not, also counts in its
 * fails_since, which the next login shows ($kot_last_login).
 *
 * The failures of a name that is not a user of the tenant are indexed in
 * fu:{tenant}, by when their key expires (+inf while locked for good; a
 * key without an expiry that an earlier release locked is given the
 * latest expiry it can have), so that deleting the tenant finds them
 * without a SCAN.
 *
 * A tenant that does not exist (never did, or was deleted) gets no key
 * at all: every failure there looks the same to the client anyway (no
 * password can be right, and a locked account gets the page of a wrong
 * one), and a deleted tenant must stay deleted.
 *
 * KEYS[1] f:{tenant}:{user}, KEYS[2] u:{tenant}:{user}, KEYS[3] t:{tenant},
 * KEYS[4] fu:{tenant}
 * ARGV[1] now, ARGV[2] threshold, ARGV[3] window, ARGV[4] duration,
 * ARGV[5] max duration, ARGV[6] permanent_after (0: never)
 * Returns {result, failures, lockouts, locked until}; {0, 0, 0, 0} for a
 * tenant that does not exist.
 */
static const char  kot_script_login_fail[] =
    KOT_LUA_DENY_OOM
    KOT_LUA_INDEX_FAILED_NAME
    "if redis.call('EXISTS', KEYS[3]) == 0 then return {0, 0, 0, 0} end\n"
    "local known = redis.call('EXISTS', KEYS[2]) == 1\n"
    "if known then\n"
    "  redis.call('HSET', KEYS[2], 'fails_since',"
    " (tonumber(redis.call('HGET', KEYS[2], 'fails_since')) or 0) + 1)\n"
    "end\n"
    "local now, win = tonumber(ARGV[1]), tonumber(ARGV[3])\n"
    "local maxd = tonumber(ARGV[5])\n"
    "local function index(lk, expires)\n"
    "  if known then return end\n"
    "  index_name(KEYS[4], string.sub(KEYS[1], #KEYS[3]"
    " - #'" KOT_KEY_TENANT "' + #'" KOT_KEY_FAILURES "' + 2),"
    " lk == -1 and -1 or expires, now)\n"
    "end\n"
    "local f = redis.call('HMGET', KEYS[1], 'fails', 'times', 'until',"
    " 'locks')\n"
    "local lk, locks = tonumber(f[3]) or 0, tonumber(f[4]) or 0\n"
    "if lk == -1 or lk > now then\n"
    "  local pt = redis.call('PTTL', KEYS[1])\n"
    "  index(lk, pt > 0 and now + pt or lk + win + maxd)\n"
    "  return {2, tonumber(f[1]) or 0, locks, lk}\n"
    "end\n"
    "local times = {}\n"
    "if lk == 0 then\n"
    "  for t in string.gmatch(f[2] or '', '%d+') do\n"
    "    if now - tonumber(t) < win then times[#times + 1] = t end\n"
    "  end\n"
    "end\n"
    "times[#times + 1] = ARGV[1]\n"
    "local fails, st = #times, 0\n"
    "lk = 0\n"
    "if fails >= tonumber(ARGV[2]) then\n"
    "  st = 1\n"
    "  locks = locks + 1\n"
    "  local pa = tonumber(ARGV[6])\n"
    "  if pa > 0 and locks >= pa then\n"
    "    lk = -1\n"
    "  else\n"
    "    lk = now + math.min(tonumber(ARGV[4]) * 2 ^ (locks - 1), maxd)\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'fails', fails,"
    " 'times', table.concat(times, ' '), 'until', lk, 'locks', locks,"
    " 'last', now)\n"
    "local ttl = math.max(win, lk - now)\n"
    "if known then ttl = ttl + maxd end\n"
    "if lk == -1 then\n"
    "  redis.call('PERSIST', KEYS[1])\n"
    "else\n"
    "  redis.call('PEXPIRE', KEYS[1], ttl)\n"
    "end\n"
    "index(lk, now + ttl)\n"
    "return {st, fails, locks, lk}\n";


/*
 * "kotctl migrate failures": once, after an upgrade from a release that
 * kept no fu:{tenant}, the failures that it left are indexed as
 * login_fail indexes them now, so that deleting their tenant finds them;
 * those of a tenant that does not exist (deleted, or never made) go.
 * kotctl SCANs for f: keys and gives each batch found here.
 *
 * KEYS f:{tenant}:{user}...
 * ARGV[1] now
 * Returns {failures indexed, failures deleted}.
 */
static const char  kot_script_failures_index[] =
    KOT_LUA_INDEX_FAILED_NAME
    "local now, indexed, deleted = tonumber(ARGV[1]), 0, 0\n"
    "for _, fk in ipairs(KEYS) do\n"
    "  local t, u = string.match(fk, '^" KOT_KEY_FAILURES "([^:]+):(.+)$')\n"
    "  local ttl = redis.call('PTTL', fk)\n"
    "  if t and ttl ~= -2 then\n"
    "    if redis.call('EXISTS', '" KOT_KEY_TENANT "' .. t) == 0 then\n"
    "      deleted = deleted + redis.call('DEL', fk)\n"
    "    elseif redis.call('EXISTS', '" KOT_KEY_USER "' .. t .. ':' .. u)"
    " == 0 then\n"
    "      index_name('" KOT_KEY_FAILED_NAMES "' .. t, u,"
    " ttl == -1 and -1 or now + ttl, now)\n"
    "      indexed = indexed + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {indexed, deleted}\n";


/*
 * What must still hold when a login that checked the password goes on
 * (a session, or the second step): uk is u:{tenant}:{user}, fk
 * f:{tenant}:{user}, now the time and pwc the pw_changed that the check
 * saw.  Returns 0 if the user was deleted meanwhile; -2 if the account is
 * locked; -3 if it was disabled; -4 if the password was set meanwhile
 * (an administrator's reset ends every session: a login that checked the
 * old password must not start a new one).  The script has KOT_LUA_LOCKED.
 */
#define KOT_LUA_LOGIN_HOLDS                                                 \
    "if redis.call('EXISTS', uk) == 0 then return 0 end\n"                  \
    "if redis.call('HEXISTS', uk, 'disabled') == 1 then return -3 end\n"    \
    "if (tonumber(redis.call('HGET', uk, 'pw_changed')) or 0)"              \
    " ~= pwc then return -4 end\n"                                          \
    "if locked(fk, now) == 1 then return -2 end\n"

/*
 * The session that a browser had when it logged in again ends (ok is
 * s:{old sid}, osid its sid or ""): a login never keeps an old id alive.
 */
#define KOT_LUA_END_OLD_SESSION                                             \
    "if osid ~= '' then\n"                                                  \
    "  local o = redis.call('HMGET', ok, 't', 'u')\n"                        \
    "  if o[1] then\n"                                                      \
    "    redis.call('DEL', ok)\n"                                           \
    "    redis.call('ZREM', '" KOT_KEY_USER_SESSIONS "' .. o[1] .. ':'"     \
    " .. o[2], osid)\n"                                                     \
    "  end\n"                                                               \
    "end\n"


/*
 * kot_max_sessions: the user's live sessions but the one this login
 * replaces (us is us:{tenant}:{user}, osid the old sid or "", cap the
 * limit, 0 for none).  At the cap, "refuse" (ARGV[14]) returns -6 before
 * anything is written; otherwise the oldest logins end, as a revocation
 * does (their keys deleted), and their handles are in "evicted"; their
 * devices are told why (KOT_LUA_TELL_ENDED).
 */
#define KOT_LUA_SESSION_CAP                                                 \
    "local evicted = {}\n"                                                  \
    "if cap > 0 then\n"                                                     \
    "  local live = {}\n"                                                   \
    "  for _, sid in ipairs(redis.call('ZRANGE', us, 0, -1)) do\n"          \
    "    local key = '" KOT_KEY_SESSION "' .. sid\n"                        \
    "    local c = redis.call('HGET', key, 'c')\n"                          \
    "    if sid ~= osid and c and redis.call('PTTL', key) > " KOT_GRACE     \
    " then\n"                                                               \
    "      live[#live + 1] = {sid, tonumber(c)}\n"                          \
    "    end\n"                                                             \
    "  end\n"                                                               \
    "  if #live >= cap then\n"                                              \
    "    if ARGV[14] == 'refuse' then return -6 end\n"                      \
    "    table.sort(live, function (a, b) return a[2] < b[2] end)\n"        \
    "    for i = 1, #live - cap + 1 do\n"                                   \
    KOT_LUA_TELL_ENDED("live[i][1]", "'evicted'")                          \
    "      redis.call('DEL', '" KOT_KEY_SESSION "' .. live[i][1])\n"        \
    "      redis.call('ZREM', us, live[i][1])\n"                            \
    "      evicted[#evicted + 1] = string.sub(live[i][1], 1, " KOT_HANDLE   \
    ")\n"                                                                   \
    "    end\n"                                                             \
    "  end\n"                                                               \
    "end\n"


/*
 * The user's previous login (u:{tenant}:{user}'s last_login and last_ip)
 * and the failures since (fails_since) go to the new session as "ll",
 * "time|address|failures" ($kot_last_login); this login replaces them.
 */
#define KOT_LUA_LAST_LOGIN                                                  \
    "local p = redis.call('HMGET', KEYS[3], 'last_login', 'last_ip',"       \
    " 'fails_since')\n"                                                     \
    "redis.call('HSET', KEYS[1], 'll', (p[1] or '') .. '|' .. (p[2] or '')" \
    " .. '|' .. (p[3] or '0'))\n"                                           \
    "redis.call('HSET', KEYS[3], 'last_login', ARGV[5], 'last_ip',"         \
    " ARGV[7])\n"                                                           \
    "redis.call('HDEL', KEYS[3], 'fails_since')\n"


/*
 * KEYS[1] s:{sid}, KEYS[2] us:{tenant}:{user}, KEYS[3] u:{tenant}:{user},
 * KEYS[4] s:{old sid} (the session this login replaces, or KEYS[1]),
 * KEYS[5] f:{tenant}:{user}, KEYS[6] mfa:{tenant}:{user}
 * ARGV[1] sid, ARGV[2] tenant, ARGV[3] user, ARGV[4] roles, ARGV[5] now,
 * ARGV[6] must_change, ARGV[7] source ip, ARGV[8] idle timeout,
 * ARGV[9] absolute timeout, ARGV[10] old sid or "", ARGV[11] pw_changed
 * as it was when the password was checked, ARGV[12] "1" if the session
 * opens nothing until the user enrols in MFA (the tenant requires it),
 * ARGV[13] kot_max_sessions (0 or absent: no limit), ARGV[14] "refuse"
 * or "evict_oldest", ARGV[15] the device in words' stored form (kot_ua.h),
 * ARGV[16] the second factor the login checked: the user's sealed seed
 * after a code, "0" for the password alone (absent: not checked)
 * A sid stays in us:{tenant}:{user} until its key cannot exist any more
 * (the absolute expiry plus the grace), so that the set names every
 * session key of the user: deleting a user or a tenant finds them all.
 * Returns {1, handles of the sessions evicted...}, or what
 * KOT_LUA_LOGIN_HOLDS or KOT_LUA_SESSION_CAP returns, or -5 if the user's
 * MFA is no longer what the login checked (enrolled during a login with
 * the password alone, reset or replaced after the code); the lock is
 * checked here, atomically with the success that resets the failure
 * count.
 */
static const char  kot_script_session_create[] =
    KOT_LUA_DENY_OOM
    KOT_LUA_LOCKED
    "local uk, fk, ok, osid = KEYS[3], KEYS[5], KEYS[4], ARGV[10]\n"
    "local us, cap = KEYS[2], tonumber(ARGV[13]) or 0\n"
    "local now, pwc = tonumber(ARGV[5]), tonumber(ARGV[11])\n"
    KOT_LUA_LOGIN_HOLDS
    "if ARGV[16] and (redis.call('HGET', KEYS[6], 'seed') or '0')"
    " ~= ARGV[16] then return -5 end\n"
    KOT_LUA_SESSION_CAP
    "redis.call('HDEL', KEYS[5], 'fails', 'times', 'until')\n"
    KOT_LUA_END_OLD_SESSION
    "local idle, abs = tonumber(ARGV[8]), tonumber(ARGV[9])\n"
    "redis.call('HSET', KEYS[1], 't', ARGV[2], 'u', ARGV[3], 'r', ARGV[4],"
    " 'c', ARGV[5], 'l', ARGV[5], 'mc', ARGV[6], 'ip', ARGV[7])\n"
    "if ARGV[12] == '1' then redis.call('HSET', KEYS[1], 'e', '1') end\n"
    "if ARGV[15] and ARGV[15] ~= '' then"
    " redis.call('HSET', KEYS[1], 'd', ARGV[15]) end\n"
    "redis.call('PEXPIRE', KEYS[1], math.min(idle, abs) + " KOT_GRACE ")\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - " KOT_GRACE ")\n"
    "redis.call('ZADD', KEYS[2], now + abs, ARGV[1])\n"
    "local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')\n"
    "redis.call('PEXPIREAT', KEYS[2], last[2] + " KOT_GRACE ")\n"
    KOT_LUA_LAST_LOGIN
    "table.insert(evicted, 1, 1)\n"
    "return evicted\n";


/*
 * KEYS[1] s:{sid}
 * ARGV[1] sid
 * Returns {1, tenant, user} if the session existed, else {0}.
 */
static const char  kot_script_session_destroy[] =
    "local o = redis.call('HMGET', KEYS[1], 't', 'u')\n"
    "if not o[1] then return {0} end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZREM', '" KOT_KEY_USER_SESSIONS "' .. o[1] .. ':' .. o[2],"
    " ARGV[1])\n"
    "return {1, o[1], o[2]}\n";


/*
 * What a password change needs: the current hash and its age, whether a
 * change is forced, the earlier hashes, the tenant's policy, and whether
 * the account is locked (the current password is checked as at login).
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] ph:{tenant}:{user}, KEYS[3] t:{tenant},
 * KEYS[4] f:{tenant}:{user}
 * ARGV[1] now
 * Returns {0} for an unknown user, else
 * {1, hash, pw_changed, must_change, {earlier hashes}, {tenant policy},
 * locked}.
 */
static const char  kot_script_password_load[] =
    KOT_LUA_LOCKED
    "local u = redis.call('HMGET', KEYS[1], 'hash', 'pw_changed',"
    " 'must_change')\n"
    "if not u[1] then return {0} end\n"
    "return {1, u[1], u[2] or '0', u[3] or '0',"
    " redis.call('LRANGE', KEYS[2], 0, 23),"
    " redis.call('HMGET', KEYS[3], " KOT_TENANT_POLICY_FIELDS "),"
    " locked(KEYS[4], tonumber(ARGV[1]))}\n";


/*
 * A user's own change: the new hash replaces the old one only if the old
 * one is still what was verified (so two concurrent changes cannot both
 * win), the old one joins the history, every session of the user ends,
 * and the current one continues under a new id, as after a fresh login
 * (still bound to enrol in MFA if it was).
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] us:{tenant}:{user},
 * KEYS[3] s:{old sid}, KEYS[4] s:{new sid}, KEYS[5] ph:{tenant}:{user},
 * KEYS[6] f:{tenant}:{user}
 * ARGV[1] new hash, ARGV[2] now, ARGV[3] verified old hash,
 * ARGV[4] new sid, ARGV[5] idle timeout, ARGV[6] absolute timeout,
 * ARGV[7] earlier hashes to keep
 * Returns {1, other sessions ended}; 0 if the password changed meanwhile;
 * -1 if the session ended; -2 if the account is locked: guesses of the
 * current password under way when the lock came must not find the right
 * one afterwards, so the lock is checked here, atomically with the
 * change.
 */
static const char  kot_script_password_change[] =
    KOT_LUA_LOCKED
    "if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[3] then return 0 end\n"
    "if locked(KEYS[6], tonumber(ARGV[2])) == 1 then return -2 end\n"
    "local f = redis.call('HMGET', KEYS[3], 't', 'u', 'r', 'ip', 'e', 'd',"
    " 'll')\n"
    "if not f[1] then return -1 end\n"
    "redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'must_change', '0',"
    " 'pw_changed', ARGV[2])\n"
    "local keep = tonumber(ARGV[7])\n"
    "if keep > 0 then\n"
    "  redis.call('LPUSH', KEYS[5], ARGV[3])\n"
    "  redis.call('LTRIM', KEYS[5], 0, keep - 1)\n"
    "else\n"
    "  redis.call('DEL', KEYS[5])\n"
    "end\n"
    "redis.call('DEL', KEYS[3])\n"
    KOT_LUA_END_SESSIONS_BUT("KEYS[2]", "''")
    "local idle, abs = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "redis.call('HSET', KEYS[4], 't', f[1], 'u', f[2], 'r', f[3],"
    " 'c', ARGV[2], 'l', ARGV[2], 'mc', '0', 'ip', f[4])\n"
    "if f[5] then redis.call('HSET', KEYS[4], 'e', f[5]) end\n"
    "if f[6] then redis.call('HSET', KEYS[4], 'd', f[6]) end\n"
    "if f[7] then redis.call('HSET', KEYS[4], 'll', f[7]) end\n"
    "redis.call('PEXPIRE', KEYS[4], math.min(idle, abs) + " KOT_GRACE ")\n"
    "redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + abs, ARGV[4])\n"
    "redis.call('PEXPIRE', KEYS[2], abs + " KOT_GRACE ")\n"
    "return {1, n}\n";


/* a new user's record; the caller has checked that there is none */
#define KOT_LUA_USER_NEW(user, users, name, hash, roles, must_change, now)  \
    "redis.call('HSET', " user ", 'hash', " hash ", 'roles', " roles ","   \
    " 'must_change', " must_change ", 'created', " now ","                \
    " 'pw_changed', " now ")\n"                                             \
    "redis.call('SADD', " users ", " name ")\n"


/*
 * KEYS[1] t:{tenant}, KEYS[2] tenants, KEYS[3] retired:tenants; with its
 * first admin, in the same call (a tenant never exists without the admin
 * asked for): KEYS[4] u:{tenant}:{user}, KEYS[5] users:{tenant}
 * ARGV[1] tenant, ARGV[2] now; ARGV[3] user, ARGV[4] hash, ARGV[5] roles
 * Returns 1; 0 if the tenant exists; -2 if the name was retired (a
 * deleted tenant's name is never issued again).
 */
static const char  kot_script_tenant_add[] =
    KOT_LUA_DENY_OOM
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return -2 end\n"
    "redis.call('HSET', KEYS[1], 'created', ARGV[2])\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "if #KEYS == 5 then\n"
    KOT_LUA_USER_NEW("KEYS[4]", "KEYS[5]", "ARGV[3]", "ARGV[4]", "ARGV[5]",
                     "'1'", "ARGV[2]")
    "end\n"
    "return 1\n";


/*
 * KEYS[1] t:{tenant}, KEYS[2] u:{tenant}:{user}, KEYS[3] users:{tenant},
 * KEYS[4] retired:u:{tenant}
 * ARGV[1] user, ARGV[2] hash, ARGV[3] roles, ARGV[4] must_change,
 * ARGV[5] now
 * Returns 1; 0 if the user exists; -1 if the tenant does not; -2 if the
 * username was retired (deleted from the tenant: never issued again).
 */
static const char  kot_script_user_add[] =
    KOT_LUA_DENY_OOM
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"
    "if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return -2 end\n"
    KOT_LUA_USER_NEW("KEYS[2]", "KEYS[3]", "ARGV[1]", "ARGV[2]", "ARGV[3]",
                     "ARGV[4]", "ARGV[5]")
    "return 1\n";


/*
 * Whether the acting user (actor: the admin API's, of the same tenant,
 * else "" or absent: kotctl) is the user.  An administrator may not
 * disable or delete itself (user_patch, user_delete), and its own
 * password and second factor are changed on the portal's pages, which
 * ask for the current password, and not reset (user_passwd, mfa_reset),
 * so that a stolen session cannot keep the account.
 */
#define KOT_LUA_SELF(user, actor)                                           \
    "(" actor " or '') ~= '' and " actor " == " user


/*
 * An administrator sets a password: the old one joins the history and
 * every session of the user ends.  Not its own (KOT_LUA_SELF).
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] us:{tenant}:{user},
 * KEYS[3] ph:{tenant}:{user}
 * ARGV[1] hash, ARGV[2] must_change, ARGV[3] now, ARGV[4] earlier hashes
 * to keep, ARGV[5] user, ARGV[6] the acting user if it is of the same
 * tenant, else "" (absent: kotctl)
 * Returns the number of sessions ended; -1 if the user does not exist;
 * -2 if the acting user is the user.
 */
static const char  kot_script_user_passwd[] =
    "local old = redis.call('HGET', KEYS[1], 'hash')\n"
    "if not old then return -1 end\n"
    "if " KOT_LUA_SELF("ARGV[5]", "ARGV[6]") " then return -2 end\n"
    "local keep = tonumber(ARGV[4])\n"
    "if keep > 0 then\n"
    "  redis.call('LPUSH', KEYS[3], old)\n"
    "  redis.call('LTRIM', KEYS[3], 0, keep - 1)\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'must_change', ARGV[2],"
    " 'pw_changed', ARGV[3])\n"
    KOT_LUA_END_SESSIONS;


/*
 * The state of an account that an administrator changes: 0 or 1 (was,
 * whether it is disabled), then its roles (old), as the admin API's
 * ETag of the user holds it (ngx_http_kot_admin_etag()).  An expected
 * state (arg) that is given and is not the account's refuses the change
 * with -4 (KOT_CHANGED), before anything else: a change made on what an
 * administrator read is not made over another's made since.
 */
#define KOT_LUA_USER_STATE(arg)                                             \
    "if " arg " and " arg " ~= '' and " arg " ~= was .. old then"          \
    " return -4 end\n"


/* is_admin(roles): whether the comma-separated roles hold "admin" */
#define KOT_LUA_IS_ADMIN                                                    \
    "local function is_admin(r)\n"                                          \
    "  return string.find(',' .. r .. ',', ',' .. '" KOT_ROLE_ADMIN "' .."  \
    " ',', 1, true) ~= nil\n"                                               \
    "end\n"


/*
 * The tenant's last admin who can log in: last_admin(users, u, roles,
 * was, before) is -5 (KOT_LAST_ADMIN) when user u (of the tenant whose
 * users:{tenant} is users), with roles and disabled (was 1) as the
 * caller read them, holds "admin", is not disabled, and no other user
 * of the tenant does both; -6 (KOT_LAST_ADMIN_BARRED) when others do,
 * but none of them can log in now: each is inactive (last active before
 * before, ms: kot_policy_inactive_before() of the tenant's effective
 * policy, 0 for none) or locked until an administrator unlocks it (a
 * lock that ends by itself does not bar it: locked() at the end of
 * time); else nil.  Disabling, demoting or deleting u would leave
 * nobody to administer the tenant through the admin API: user_patch
 * and user_delete refuse that, checked inside the script so that two
 * admins demoting each other at once cannot both succeed.  The search
 * stops at the first other admin who can log in; at worst it reads
 * every user of the tenant, and two more keys of each enabled admin:
 * 25 to 35 ms for 10,000 users, 55 to 75 ms for 10,000 admins locked
 * until unlocked (docs/admin.md, user_patch).
 */
#define KOT_LUA_LAST_ADMIN                                                  \
    KOT_LUA_IS_ADMIN                                                        \
    KOT_LUA_LOCKED                                                          \
    KOT_LUA_LAST_ACTIVE                                                     \
    "local function last_admin(users, u, roles, was, before)\n"             \
    "  if was == 1 or not is_admin(roles) then return nil end\n"            \
    "  local t = string.sub(users, #'" KOT_KEY_USERS "' + 1) .. ':'\n"      \
    "  local code = -5\n"                                                   \
    "  for _, o in ipairs(redis.call('SMEMBERS', users)) do\n"              \
    "    if o ~= u then\n"                                                  \
    "      local uk = '" KOT_KEY_USER "' .. t .. o\n"                       \
    "      local v = redis.call('HMGET', uk, 'roles', 'disabled')\n"        \
    "      if v[1] and not v[2] and is_admin(v[1]) then\n"                  \
    "        if last_active(uk) >= before and locked('" KOT_KEY_FAILURES    \
    "' .. t .. o, math.huge) == 0 then return nil end\n"                    \
    "        code = -6\n"                                                   \
    "      end\n"                                                           \
    "    end\n"                                                             \
    "  end\n"                                                               \
    "  return code\n"                                                       \
    "end\n"


/*
 * An administrator changes an account: disables it (no login succeeds,
 * and its sessions end now), enables it again, gives it new roles (its
 * live sessions carry them at once: each session key changes, so every
 * node's cache drops it), or several of these in one.  Every refusal is
 * checked before anything is written, so a refused change writes
 * nothing: an administrator cannot disable itself nor take its own
 * admin role away, and support access (ARGV[6] "1") cannot do that to
 * any admin of the tenant; nor may anyone disable or demote the
 * tenant's last admin who can log in (KOT_LUA_LAST_ADMIN), unless
 * ARGV[8] is "1" (kotctl --yes).  What is already as asked is left as
 * it is: a second disabling keeps the time of the first.
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] us:{tenant}:{user},
 * KEYS[3] users:{tenant}
 * ARGV[1] now, ARGV[2] user, ARGV[3] the acting user if it is of the
 * same tenant, else "", ARGV[4] "disable", "enable", "reenable" (enable,
 * and restart the clock of inactivity even if the account was not
 * disabled: after inactive_after refused it) or "" (as it is),
 * ARGV[5] roles (comma-separated, checked by the caller) or "" (as they
 * are), ARGV[6] "1" when a system admin acts under the tenant's support
 * grant (absent or "" else: kotctl), ARGV[7] the state the caller read
 * (KOT_LUA_USER_STATE), to change the user only if it is still so, or
 * "" (absent: kotctl), ARGV[8] "1" to disable or demote the tenant's
 * last admin all the same (absent or "" else), ARGV[9] the time before
 * which an account's last activity makes it inactive (ms,
 * kot_policy_inactive_before(); 0 or absent: none)
 * Returns {old roles, 1 if it was disabled else 0, sessions ended};
 * -1 for an unknown user; -2 if the acting user would disable itself,
 * or support access an admin; -3 if it would lose its own admin role,
 * or support access would take an admin's; -4 if the user is no longer
 * in the state ARGV[7]; -5 if the tenant would be left without an
 * enabled admin, -6 without one who can log in (KOT_LUA_LAST_ADMIN).
 */
static const char  kot_script_user_patch[] =
    KOT_LUA_LAST_ADMIN
    "local u = redis.call('HMGET', KEYS[1], 'roles', 'disabled')\n"
    "local old, was = u[1], u[2] and 1 or 0\n"
    "if not old then return -1 end\n"
    KOT_LUA_USER_STATE("ARGV[7]")
    "local op, roles = ARGV[4], ARGV[5]\n"
    "local self = (" KOT_LUA_SELF("ARGV[2]", "ARGV[3]") ")"
    " or (ARGV[6] == '1' and is_admin(old))\n"
    "if self and op == 'disable' then return -2 end\n"
    "if self and roles ~= '' and is_admin(old) and not is_admin(roles) then"
    " return -3 end\n"
    "local last = ARGV[8] ~= '1' and (op == 'disable' or (roles ~= ''"
    " and not is_admin(roles))) and last_admin(KEYS[3], ARGV[2], old, was,"
    " tonumber(ARGV[9]) or 0)\n"
    "if last then return last end\n"
    "if roles ~= '' and roles ~= old then\n"
    "  redis.call('HSET', KEYS[1], 'roles', roles)\n"
    "  for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do\n"
    "    local s = '" KOT_KEY_SESSION "' .. sid\n"
    "    if redis.call('EXISTS', s) == 1 then"
    " redis.call('HSET', s, 'r', roles) end\n"
    "  end\n"
    "end\n"
    "if op == 'reenable' or (op == 'enable' and was == 1) then\n"
    "  redis.call('HSET', KEYS[1], 'reenabled', ARGV[1])\n"
    "  redis.call('HDEL', KEYS[1], 'disabled')\n"
    "end\n"
    "if op ~= 'disable' then return {old, was, 0} end\n"
    "if was == 0 then redis.call('HSET', KEYS[1], 'disabled', ARGV[1]) end\n"
    KOT_LUA_SESSIONS_ENDED
    "return {old, was, n}\n";


/*
 * An administrator, or the user on their sessions page, ends sessions of
 * a user: the one whose handle (the first characters of its sid, as
 * "kotctl session list" shows) is ARGV[1], or all of them if ARGV[1] is
 * "", but the one whose sid is ARGV[2] (the user's own, for "all the
 * others").  ARGV[3] "by_user" (the user's page; absent for an
 * administrator) tells the devices logged out who did it.
 *
 * KEYS[1] us:{tenant}:{user}
 * Returns the number of sessions ended.
 */
static const char  kot_script_session_revoke[] =
    "local handle, keep = ARGV[1], ARGV[2] or ''\n"
    "local by = (ARGV[3] == 'by_user') and ARGV[3] or nil\n"
    KOT_LUA_END_SESSIONS_TELLING("KEYS[1]", "handle", "keep", "by")
    "return n\n";


/*
 * The head of an audit chain (docs/audit.md).
 *
 * KEYS[1] audit:{chain}, KEYS[2] audit:chains
 * ARGV[1] chain, ARGV[2] seq, ARGV[3] mac, ARGV[4] now, ARGV[5] file,
 * ARGV[6] oldest anchor kept (ms), ARGV[7] TTL in seconds, ARGV[8] the
 * writer's host, as its records' host.hostname, or "" when it has none
 */
static const char  kot_script_audit_anchor[] =
    "redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'mac', ARGV[3],"
    " 'ts', ARGV[4], 'file', ARGV[5])\n"
    "if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'host', ARGV[8]) end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[7])\n"
    "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[7])\n"
    "return 1\n";


/*
 * A tenant's allow-lists, consistent with their version.
 *
 * KEYS[1] al:{tenant}:access, KEYS[2] al:{tenant}:admin, KEYS[3] alv:{tenant}
 * Returns {version, {access networks}, {admin networks}}.
 */
static const char  kot_script_allowlist_load[] =
    "return {tonumber(redis.call('GET', KEYS[3])) or 0,"
    " redis.call('SMEMBERS', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}\n";


/*
 * The same password hashed at the current kot_password_hash cost, after
 * a login verified it against a weaker hash.  It replaces the stored hash
 * only if that is still the one verified: a password changed meanwhile
 * stays changed.  The password itself is the same, so pw_changed,
 * must_change and the history stay as they are.
 *
 * KEYS[1] u:{tenant}:{user}
 * ARGV[1] new hash, ARGV[2] verified hash
 * Returns 1; 0 if the stored hash is no longer the verified one (or the
 * user is gone).
 */
static const char  kot_script_password_rehash[] =
    "if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[2] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'hash', ARGV[1])\n"
    "return 1\n";


/*
 * A user's row, as user_list and user_get answer it: the user's and its
 * failures' keys, the name and now.  nil if the user does not exist.
 */
#define KOT_LUA_USER_ROW                                                    \
    KOT_LUA_LOCKED                                                          \
    KOT_LUA_LAST_ACTIVE                                                     \
    "local function user_row(uk, fk, name, now)\n"                          \
    "  local u = redis.call('HMGET', uk, 'roles', 'disabled', 'must_change'," \
    " 'created', 'last_login')\n"                                           \
    "  if not u[1] then return nil end\n"                                   \
    "  local mfa = redis.call('EXISTS', '" KOT_KEY_MFA "' .."               \
    " string.sub(uk, #'" KOT_KEY_USER "' + 1))\n"                           \
    "  return {name, u[1], u[2] and 1 or 0, locked(fk, now),"               \
    " tonumber(u[3]) or 0, tonumber(u[4]) or 0, tonumber(u[5]) or 0,"    \
    " mfa, last_active(uk)}\n"                                               \
    "end\n"


/*
 * A deleted tenant's notifications (README.md, "Notifications"): those
 * not delivered yet leave the stream, and the group's pending list, and
 * its dead letters go, so that none of them is posted after the
 * deletion, to the tenant's webhook or to --webhook.  The stream is
 * shared by every tenant and has no index of a tenant's entries, so the
 * undelivered ones are looked at: the group's pending list, and what
 * comes after its last delivered entry (the whole stream if no daemon
 * ever ran).  That is the backlog, not the stream's 100,000: delivered
 * entries stay until MAXLEN trims them.  The dead letters are all read:
 * they are few unless a receiver failed for days.  Only reads come
 * before the first write, so that an ACL user without these commands
 * fails the deletion before it changes anything.
 * Returns {undelivered events dropped, dead letters dropped}.
 */
#define KOT_LUA_NOTIFY_PURGE                                                \
    "local function notify_purge(t)\n"                                      \
    "  local s, d, g = '" KOT_KEY_NOTIFY "', '" KOT_KEY_NOTIFY_DEAD "', '"   \
    KOT_NOTIFY_GROUP "'\n"                                                  \
    "  local function of_t(f)\n"                                            \
    "    for i = 1, #f - 1, 2 do\n"                                         \
    "      if f[i] == 'tenant' then return f[i + 1] == t end\n"             \
    "    end\n"                                                             \
    "    return false\n"                                                    \
    "  end\n"                                                               \
    "  local function after(key, from, ids)\n"                              \
    "    repeat\n"                                                          \
    "      local r = redis.call('XRANGE', key, from, '+', 'COUNT', 1000)\n"  \
    "      for _, e in ipairs(r) do\n"                                      \
    "        if of_t(e[2]) then ids[#ids + 1] = e[1] end\n"                 \
    "        from = '(' .. e[1]\n"                                          \
    "      end\n"                                                           \
    "    until #r < 1000\n"                                                 \
    "    return ids\n"                                                      \
    "  end\n"                                                               \
    "  local queued, grouped = {}, false\n"                                 \
    "  if redis.call('EXISTS', s) == 1 then\n"                              \
    "    local from = '-'\n"                                                \
    "    for _, gi in ipairs(redis.call('XINFO', 'GROUPS', s)) do\n"        \
    "      local h = {}\n"                                                  \
    "      for i = 1, #gi - 1, 2 do h[gi[i]] = gi[i + 1] end\n"             \
    "      if h['name'] == g then\n"                                        \
    "        grouped, from = true, '(' .. h['last-delivered-id']\n"         \
    "      end\n"                                                           \
    "    end\n"                                                             \
    "    local start = '-'\n"                                               \
    "    while grouped do\n"                                                \
    "      local p = redis.call('XPENDING', s, g, start, '+', 1000)\n"      \
    "      for _, e in ipairs(p) do\n"                                      \
    "        local r = redis.call('XRANGE', s, e[1], e[1])\n"               \
    "        if r[1] and of_t(r[1][2]) then queued[#queued + 1] = e[1] end\n" \
    "        start = '(' .. e[1]\n"                                         \
    "      end\n"                                                           \
    "      if #p < 1000 then break end\n"                                   \
    "    end\n"                                                             \
    "    after(s, from, queued)\n"                                          \
    "  end\n"                                                               \
    "  local dead = (redis.call('EXISTS', d) == 1) and after(d, '-', {})"    \
    " or {}\n"                                                              \
    "  for i = 1, #queued, 1000 do\n"                                       \
    "    local ids = {unpack(queued, i, math.min(i + 999, #queued))}\n"     \
    "    if grouped then redis.call('XACK', s, g, unpack(ids)) end\n"       \
    "    redis.call('XDEL', s, unpack(ids))\n"                              \
    "  end\n"                                                               \
    "  for i = 1, #dead, 1000 do\n"                                         \
    "    redis.call('XDEL', d, unpack(dead, i, math.min(i + 999, #dead)))\n" \
    "  end\n"                                                               \
    "  return #queued, #dead\n"                                             \
    "end\n"


/*
 * Deletes a tenant and everything of it: its users, their sessions (the
 * key of each, so every node refuses them at once), failures (of unknown
 * usernames too), password histories, second factors, allow-lists,
 * policy, support grant and events, and its notifications not delivered
 * yet and dead letters (KOT_LUA_NOTIFY_PURGE).  A pending second step
 * (mp:, 5 minutes) is left to expire: it can start no session, since its
 * user is gone.  Its name is retired, never issued again; the audit trail
 * stays where it is.
 *
 * Every key is found from the tenant's own indexes, never by a SCAN: the
 * per-user keys of each name in users:{tenant} (its users), in
 * retired:u:{tenant} (what may have come back after a user was deleted:
 * a late failure or login event) and the failures of other names in
 * fu:{tenant} (login_fail keeps it).  So the time this blocks Redis is
 * proportional to the tenant's data, not to the database's.
 *
 * KEYS[1] t:{tenant}, KEYS[2] tenants, KEYS[3] retired:tenants
 * ARGV[1] tenant
 * Returns {users removed, sessions ended, undelivered notifications
 * dropped, dead letters dropped}; -1 if there is no such tenant.
 */
static const char  kot_script_tenant_delete[] =
    KOT_LUA_NOTIFY_PURGE
    "local t = ARGV[1]\n"
    "if not string.find(t, '^[a-z0-9][a-z0-9.%-]*$') or redis.call('EXISTS',"
    " KEYS[1]) == 0 then return -1 end\n"
    "local queued, dead = notify_purge(t)\n"
    "local ended = 0\n"
    "local function purge(u)\n"
    "  local tu = t .. ':' .. u\n"
    "  local us = '" KOT_KEY_USER_SESSIONS "' .. tu\n"
    "  for _, sid in ipairs(redis.call('ZRANGE', us, 0, -1)) do\n"
    "    ended = ended + redis.call('DEL', '" KOT_KEY_SESSION "' .. sid)\n"
    "  end\n"
    "  redis.call('DEL', us, '" KOT_KEY_USER "' .. tu, '" KOT_KEY_FAILURES
    "' .. tu, '" KOT_KEY_HISTORY "' .. tu, '" KOT_KEY_MFA "' .. tu, '"
    KOT_KEY_MFA_CODES "' .. tu, '" KOT_KEY_NETWORKS "' .. tu)\n"
    "end\n"
    "local users = redis.call('SMEMBERS', '" KOT_KEY_USERS "' .. t)\n"
    "for _, u in ipairs(users) do purge(u) end\n"
    "for _, u in ipairs(redis.call('SMEMBERS', '" KOT_KEY_RETIRED_USERS "'"
    " .. t)) do purge(u) end\n"
    "for _, u in ipairs(redis.call('ZRANGE', '" KOT_KEY_FAILED_NAMES "' .. t,"
    " 0, -1)) do\n"
    "  redis.call('DEL', '" KOT_KEY_FAILURES "' .. t .. ':' .. u)\n"
    "end\n"
    "redis.call('DEL', KEYS[1], '" KOT_KEY_USERS "' .. t, '"
    KOT_KEY_ALLOW_VERSION "' .. t, '" KOT_KEY_GRANT "' .. t, '"
    KOT_KEY_EVENTS "' .. t, '" KOT_KEY_RETIRED_USERS "' .. t, '"
    KOT_KEY_NOTIFY_BURST "' .. t, '" KOT_KEY_FAILED_NAMES "' .. t, '"
    KOT_KEY_ALLOW "' .. t .. ':access', '" KOT_KEY_ALLOW "' .. t .. ':admin')\n"
    "redis.call('SREM', KEYS[2], t)\n"
    "redis.call('SADD', KEYS[3], t)\n"
    "return {#users, ended, queued, dead}\n";


/*
 * KEYS[1] tenants
 * ARGV[1] a tenant, or "" for all
 * Returns {{tenant, created, number of users}, ...} sorted by name; a
 * tenant that does not exist is left out.
 */
static const char  kot_script_tenant_list[] =
    "local names = {ARGV[1]}\n"
    "if ARGV[1] == '' then names = redis.call('SMEMBERS', KEYS[1]) end\n"
    "table.sort(names)\n"
    "local rows = {}\n"
    "for _, t in ipairs(names) do\n"
    "  local c = redis.call('HGET', '" KOT_KEY_TENANT "' .. t, 'created')\n"
    "  if c then\n"
    "    rows[#rows + 1] = {t, tonumber(c) or 0, redis.call('SCARD', '"
    KOT_KEY_USERS "' .. t)}\n"
    "  end\n"
    "end\n"
    "return rows\n";


/*
 * Deletes a user: its sessions end now, its failures, password history
 * and second factor (mfa:, mrc:, named from KEYS[1]) go, and its name is
 * retired in the tenant, never issued again.  An administrator cannot
 * delete itself, nor support access an admin of the tenant, nor anyone
 * the tenant's last admin who can log in (KOT_LUA_LAST_ADMIN) unless
 * ARGV[5] is "1" (kotctl --yes).
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] us:{tenant}:{user},
 * KEYS[3] users:{tenant}, KEYS[4] retired:u:{tenant},
 * KEYS[5] f:{tenant}:{user}, KEYS[6] ph:{tenant}:{user}
 * ARGV[1] user, ARGV[2] the acting user if it is of the same tenant,
 * else "", ARGV[3] "1" under a support grant (as user_patch's ARGV[6]),
 * ARGV[4] the state the caller read, or "" (as user_patch's ARGV[7]),
 * ARGV[5] "1" to delete the last admin all the same, ARGV[6] as
 * user_patch's ARGV[9]
 * Returns the number of sessions ended; -1 for an unknown user; -2 if the
 * acting user is the user, or support access would delete an admin; -4
 * if the user is no longer in the state ARGV[4]; -5 if the tenant would
 * be left without an enabled admin, -6 without one who can log in.
 */
static const char  kot_script_user_delete[] =
    KOT_LUA_LAST_ADMIN
    "local u = redis.call('HMGET', KEYS[1], 'roles', 'disabled')\n"
    "local old, was = u[1], u[2] and 1 or 0\n"
    "if not old then return -1 end\n"
    KOT_LUA_USER_STATE("ARGV[4]")
    "if " KOT_LUA_SELF("ARGV[1]", "ARGV[2]") " then return -2 end\n"
    "if ARGV[3] == '1' and is_admin(old) then return -2 end\n"
    "local last = ARGV[5] ~= '1' and last_admin(KEYS[3], ARGV[1], old,"
    " was, tonumber(ARGV[6]) or 0)\n"
    "if last then return last end\n"
    "local tu = string.sub(KEYS[1], #'" KOT_KEY_USER "' + 1)\n"
    "redis.call('DEL', KEYS[1], KEYS[5], KEYS[6], '" KOT_KEY_MFA "' .. tu,"
    " '" KOT_KEY_MFA_CODES "' .. tu, '" KOT_KEY_NETWORKS "' .. tu)\n"
    "redis.call('SREM', KEYS[3], ARGV[1])\n"
    "redis.call('SADD', KEYS[4], ARGV[1])\n"
    KOT_LUA_END_SESSIONS;


/*
 * Ends a lock and forgets the failures and earlier lockouts.  An account
 * with none of them is as asked already: nothing is written, and the
 * callers record nothing.
 *
 * KEYS[1] u:{tenant}:{user}, KEYS[2] f:{tenant}:{user}
 * Returns {failures, locked until, lockouts} as they were (0 for none);
 * 0 (KOT_AS_IS) when there were none; -1 for an unknown user.
 */
static const char  kot_script_user_unlock[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local f = redis.call('HMGET', KEYS[2], 'fails', 'until', 'locks')\n"
    "local fails, lock, locks ="
    " tonumber(f[1]) or 0, tonumber(f[2]) or 0, tonumber(f[3]) or 0\n"
    "if fails == 0 and lock == 0 and locks == 0 then return 0 end\n"
    "redis.call('DEL', KEYS[2])\n"
    "return {fails, lock, locks}\n";


/*
 * KEYS[1] t:{tenant}, KEYS[2] users:{tenant}
 * ARGV[1] tenant, ARGV[2] now
 * Returns {{user, roles, disabled (0/1), locked (0/1), must_change,
 * created, last login (0: never), mfa (0/1), last active}, ...} sorted
 * by name; -1 if there is no such tenant.  Whether the last activity
 * makes the account inactive is the caller's to say, with the tenant's
 * effective policy: kot_policy_inactive().
 */
static const char  kot_script_user_list[] =
    KOT_LUA_USER_ROW
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local t, now = ARGV[1], tonumber(ARGV[2])\n"
    "local names = redis.call('SMEMBERS', KEYS[2])\n"
    "table.sort(names)\n"
    "local rows = {}\n"
    "for _, u in ipairs(names) do\n"
    "  local tu = t .. ':' .. u\n"
    "  rows[#rows + 1] = user_row('" KOT_KEY_USER "' .. tu, '"
    KOT_KEY_FAILURES "' .. tu, u, now)\n"
    "end\n"
    "return rows\n";


/*
 * KEYS[1] u:{tenant}:{user}, KEYS[2] f:{tenant}:{user}
 * ARGV[1] user, ARGV[2] now
 * Returns the row of user_list followed by failures, locked until (-1:
 * until unlocked; 0: not locked), lockouts, last failure, password set,
 * disabled since (0: not disabled); -1 for an unknown user.
 */
static const char  kot_script_user_get[] =
    KOT_LUA_USER_ROW
    "local row = user_row(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))\n"
    "if not row then return -1 end\n"
    "local u = redis.call('HMGET', KEYS[1], 'pw_changed', 'disabled')\n"
    "local f = redis.call('HMGET', KEYS[2], 'fails', 'until', 'locks',"
    " 'last')\n"
    "local lk = 0\n"
    "if row[4] == 1 then lk = tonumber(f[2]) end\n"
    "for _, v in ipairs({tonumber(f[1]) or 0, lk, tonumber(f[3]) or 0,"
    " tonumber(f[4]) or 0, tonumber(u[1]) or 0, tonumber(u[2]) or 0}) do\n"
    "  row[#row + 1] = v\n"
    "end\n"
    "return row\n";


/*
 * The live sessions of a tenant, or of one of its users.  A session whose
 * key is only kept for its grace is over, and left out.  The idle expiry
 * is the module's: the key's TTL was last set, at the last activity, to
 * the idle timeout (or what was left of the absolute one) plus the grace.
 *
 * KEYS[1] t:{tenant}, KEYS[2] users:{tenant}
 * ARGV[1] tenant, ARGV[2] user or "", ARGV[3] now
 * Returns {{handle, user, address, created, last active, idle expiry,
 * absolute expiry}, ...} by user, then by login; -1 if there is no such
 * tenant; -2 if there is no such user.
 */
static const char  kot_script_session_list[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local t, now = ARGV[1], tonumber(ARGV[3])\n"
    "local names = {ARGV[2]}\n"
    "if ARGV[2] == '' then\n"
    "  names = redis.call('SMEMBERS', KEYS[2])\n"
    "  table.sort(names)\n"
    "elseif redis.call('EXISTS', '" KOT_KEY_USER "' .. t .. ':' .. ARGV[2])"
    " == 0 then\n"
    "  return -2\n"
    "end\n"
    "local rows = {}\n"
    "for _, u in ipairs(names) do\n"
    "  local z = redis.call('ZRANGE', '" KOT_KEY_USER_SESSIONS "' .. t .."
    " ':' .. u, 0, -1, 'WITHSCORES')\n"
    "  for i = 1, #z, 2 do\n"
    "    local key = '" KOT_KEY_SESSION "' .. z[i]\n"
    "    local s = redis.call('HMGET', key, 'c', 'l', 'ip')\n"
    "    local ttl = redis.call('PTTL', key)\n"
    "    local abs = tonumber(z[i + 1])\n"
    "    local idle = math.min(now + ttl - " KOT_GRACE ", abs)\n"
    "    if s[1] and ttl > " KOT_GRACE " and idle > now then\n"
    "      rows[#rows + 1] = {string.sub(z[i], 1, " KOT_HANDLE "), u, s[3]"
    " or '', tonumber(s[1]) or 0, tonumber(s[2]) or 0, idle, abs}\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return rows\n";


/*
 * A user's live sessions, for their own page, newest login first.  As in
 * session_list, a session whose key is only kept for its grace is over.
 *
 * KEYS[1] us:{tenant}:{user}
 * Returns {{handle, address, device (kot_ua.h's stored form), login time,
 * last activity}, ...}.
 */
static const char  kot_script_session_own[] =
    "local rows = {}\n"
    "for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local key = '" KOT_KEY_SESSION "' .. sid\n"
    "  local s = redis.call('HMGET', key, 'c', 'l', 'ip', 'd')\n"
    "  if s[1] and redis.call('PTTL', key) > " KOT_GRACE " then\n"
    "    rows[#rows + 1] = {string.sub(sid, 1, " KOT_HANDLE "), s[3] or '',"
    " s[4] or '', tonumber(s[1]) or 0, tonumber(s[2]) or 0}\n"
    "  end\n"
    "end\n"
    "table.sort(rows, function (a, b) return a[4] > b[4] end)\n"
    "return rows\n";


/*
 * Ends the session of a tenant named by its handle ($kot_session, the
 * first characters of its sid), or a longer prefix of the sid.
 *
 * KEYS[1] t:{tenant}, KEYS[2] users:{tenant}
 * ARGV[1] tenant, ARGV[2] handle
 * Returns {user} of the session ended; {} if the tenant has no such
 * session; -1 if there is no such tenant.
 */
static const char  kot_script_session_end[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local t, h = ARGV[1], ARGV[2]\n"
    "if #h < " KOT_HANDLE " then return {} end\n"
    "for _, u in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  local us = '" KOT_KEY_USER_SESSIONS "' .. t .. ':' .. u\n"
    "  for _, sid in ipairs(redis.call('ZRANGE', us, 0, -1)) do\n"
    "    if string.sub(sid, 1, #h) == h then\n"
    "      redis.call('ZREM', us, sid)\n"
    "      if redis.call('DEL', '" KOT_KEY_SESSION "' .. sid) == 1 then"
    " return {u} end\n"
    "      return {}\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {}\n";


/*
 * Changes one of a tenant's allow-lists: the limit check and the change
 * are atomic, and the version moves with every change, so that the
 * module's cached matchers notice it.  A list already as asked (every
 * entry added there already, none removed there, set to what it holds)
 * is not a change: nothing is written, the version stays, so that no
 * node reloads, and the callers record nothing.  SADD and SREM get at
 * most 1000 entries a call: unpack() of many more overflows Lua's C
 * stack.
 *
 * The admin API's PUT of a list is made on the version its caller read
 * (the list's ETag, If-Match): given after the op ("set:17"), the change
 * is refused with -4 (KOT_CHANGED), before anything else, unless the
 * tenant's lists are still at that version, so that two admins editing
 * a list at once do not silently overwrite each other.
 *
 * KEYS[1] t:{tenant}, KEYS[2] al:{tenant}:{list}, KEYS[3] alv:{tenant}
 * ARGV[1] "set", "add" or "remove", then optionally ":" and the version
 * the caller read, ARGV[2] the most entries a list may hold, ARGV[3...]
 * canonical CIDRs (checked by the caller)
 * Returns {entries after, version after, {added}, {removed}}, both lists
 * empty when nothing changed; -1 if there is no such tenant; -2 if the
 * list would hold more than the limit; -4 if the lists are no longer at
 * the version given.
 */
static const char  kot_script_allowlist_change[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local op, read = string.match(ARGV[1], '^([^:]*):?(.*)$')\n"
    "local limit = tonumber(ARGV[2])\n"
    "if op ~= 'set' and op ~= 'add' and op ~= 'remove' then\n"
    "  return redis.error_reply('allowlist_change: unknown op ' .. ARGV[1])\n"
    "end\n"
    "if read ~= '' and read ~= (redis.call('GET', KEYS[3]) or '0') then"
    " return -4 end\n"
    "local added, removed, seen = {}, {}, {}\n"
    "for i = 3, #ARGV do\n"
    "  local e = ARGV[i]\n"
    "  if not seen[e] then\n"
    "    seen[e] = true\n"
    "    local there = redis.call('SISMEMBER', KEYS[2], e) == 1\n"
    "    if op == 'remove' then\n"
    "      if there then removed[#removed + 1] = e end\n"
    "    elseif not there then\n"
    "      added[#added + 1] = e\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if op == 'set' then\n"
    "  for _, e in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "    if not seen[e] then removed[#removed + 1] = e end\n"
    "  end\n"
    "end\n"
    "local size = redis.call('SCARD', KEYS[2]) + #added - #removed\n"
    "if #added == 0 and #removed == 0 then\n"
    "  return {size, tonumber(redis.call('GET', KEYS[3])) or 0, {}, {}}\n"
    "end\n"
    "if #added > 0 and size > limit then return -2 end\n"
    "local function each(cmd, list)\n"
    "  for i = 1, #list, 1000 do\n"
    "    redis.call(cmd, KEYS[2], unpack(list, i, math.min(i + 999, #list)))\n"
    "  end\n"
    "end\n"
    "each('SADD', added)\n"
    "each('SREM', removed)\n"
    "table.sort(added)\n"
    "table.sort(removed)\n"
    "return {size, redis.call('INCR', KEYS[3]), added, removed}\n";


/*
 * A tenant's own rules: rules() reads them, in the order of
 * KOT_TENANT_POLICY_FIELDS ("" for a rule not set), and state() digests
 * them, as the admin API's ETag of the tenant's policy holds them: any
 * change of a rule, through the API or kotctl, changes it.
 */
#define KOT_LUA_POLICY_RULES                                                \
    "local function rules()\n"                                              \
    "  local v = redis.call('HMGET', KEYS[1], "                             \
    KOT_TENANT_POLICY_FIELDS ")\n"                                          \
    "  for i = 1, " KOT_POLICY_N " do v[i] = v[i] or '' end\n"              \
    "  return v\n"                                                          \
    "end\n"                                                                 \
    "local function state(v) return redis.sha1hex(table.concat(v, '\\n'))" \
    " end\n"


/*
 * KEYS[1] t:{tenant}
 * ARGV[1] "state" for the state of the rules too (the admin API), or
 * absent
 * Returns the tenant's own rules in the order of KOT_TENANT_POLICY_FIELDS
 * ("" for a rule not set), then with ARGV[1] their state; -1 if there is
 * no such tenant.
 */
static const char  kot_script_policy_get[] =
    KOT_LUA_POLICY_RULES
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local v = rules()\n"
    "if ARGV[1] == 'state' then v[#v + 1] = state(v) end\n"
    "return v\n";


/*
 * Sets a tenant's own rules, as checked by the caller against the
 * server's policy (kot_policy_tenant_check()).  The admin API's PUT is
 * made on the state its caller read (the policy's ETag, If-Match),
 * given after the rules: the change is refused with -4 (KOT_CHANGED),
 * before anything else, unless the rules are still in that state.
 *
 * KEYS[1] t:{tenant}
 * ARGV[1] rule (min_length ...), ARGV[2] value ("" removes the rule), ...
 * then optionally the state the caller read ("": any; kotctl gives none)
 * Returns {old value or "", ...} of each rule given, and with a state
 * given the state after; -1 if there is no such tenant; -2 if a rule is
 * not a tenant's; -4 if the rules are no longer in the state given.
 */
static const char  kot_script_policy_set[] =
    KOT_LUA_POLICY_RULES
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local n = #ARGV - #ARGV % 2\n"
    "if n < #ARGV and ARGV[#ARGV] ~= '' and ARGV[#ARGV] ~= state(rules())"
    " then return -4 end\n"
    "local known = {}\n"
    "for _, f in ipairs({" KOT_TENANT_POLICY_FIELDS "}) do known[f] = true"
    " end\n"
    "for i = 1, n, 2 do\n"
    "  if not known['policy.' .. ARGV[i]] then return -2 end\n"
    "end\n"
    "local old = {}\n"
    "for i = 1, n, 2 do\n"
    "  local f = 'policy.' .. ARGV[i]\n"
    "  old[#old + 1] = redis.call('HGET', KEYS[1], f) or ''\n"
    "  if ARGV[i + 1] == '' then\n"
    "    redis.call('HDEL', KEYS[1], f)\n"
    "  else\n"
    "    redis.call('HSET', KEYS[1], f, ARGV[i + 1])\n"
    "  end\n"
    "end\n"
    "if n < #ARGV then old[#old + 1] = state(rules()) end\n"
    "return old\n";


/*
 * A tenant admin lets the operator's system admins into the tenant until
 * expires; a new grant replaces the one there was.
 *
 * KEYS[1] t:{tenant}, KEYS[2] grant:{tenant}
 * ARGV[1] the granting user, ARGV[2] now, ARGV[3] expires (ms)
 * Returns the expiry of the grant it replaced (0: none); -1 if there is
 * no such tenant.
 */
static const char  kot_script_support_grant[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local old = tonumber(redis.call('HGET', KEYS[2], 'expires')) or 0\n"
    "redis.call('HSET', KEYS[2], 'by', ARGV[1], 'created', ARGV[2],"
    " 'expires', ARGV[3])\n"
    "redis.call('PEXPIREAT', KEYS[2], ARGV[3])\n"
    "return old\n";


/*
 * KEYS[1] grant:{tenant}
 * Returns the expiry of the grant revoked; 0 if there was none.
 */
static const char  kot_script_support_revoke[] =
    "local old = tonumber(redis.call('HGET', KEYS[1], 'expires')) or 0\n"
    "redis.call('DEL', KEYS[1])\n"
    "return old\n";


/*
 * KEYS[1] t:{tenant}, KEYS[2] grant:{tenant}
 * ARGV[1] now
 * Returns {granted by, created, expires}; {} if there is no grant; -1 if
 * there is no such tenant.
 */
static const char  kot_script_support_status[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local g = redis.call('HMGET', KEYS[2], 'by', 'created', 'expires')\n"
    "local expires = tonumber(g[3]) or 0\n"
    "if expires <= tonumber(ARGV[1]) then return {} end\n"
    "return {g[1] or '', tonumber(g[2]) or 0, expires}\n";


/*
 * A security or administrative event of a tenant, as its audit record's
 * JSON, newest first.  A late event of a deleted tenant is not written:
 * it must not bring the tenant's keys back.
 *
 * With notifications on, the same round trip appends to the notification
 * stream what a tenant's people should hear of at once (README.md,
 * "Notifications"): the record as it is, without any session handle,
 * under a type; an administrator's action once, in the tenant it acted
 * in.  The record is read, and its handles cut, as text, not decoded:
 * that costs a fraction (cjson took 40 us an event), and cjson's
 * encoding would turn the record's empty arrays into objects.  A
 * field's text ("event.action":"...) can only be the member there: in
 * a string its quotes would be escaped.  The fields read are names,
 * times and words, which have no escapes.  The handles cut are every
 * member that can hold one (session.hash, the user's kot.session, a
 * login's kot.evicted_session, an administrator's kot.change.session)
 * whose value is as long as a handle: "all" and "others" stay.  Each is
 * cut with the comma after it, else the one before it (the last member
 * of its object), else alone.  The admin API's DELETE sessions/{H} has
 * the handle in url.path too, as the client sent it (percent-encoded,
 * maybe): the segment after "/sessions/" becomes "{H}".
 * Two types are derived here, from state kept for them:
 *   - ip_denial_burst: the KOT_NOTIFY_BURST-th address denial of the
 *     tenant within KOT_NOTIFY_BURST_MS of the first (nb:{tenant} counts
 *     them; one event a window);
 *   - login_new_network: a login from a network (kot_cidr_bucket(): an
 *     IPv4 address or an IPv6 /64) that the user has not logged in from
 *     within KOT_NOTIFY_NETWORK_MS; nn:{tenant}:{user} remembers the
 *     newest KOT_NOTIFY_NETWORKS networks with their last login.  A user
 *     with none remembered (the first login since notifications began)
 *     starts the memory without an event.
 *
 * KEYS[1] t:{tenant}, KEYS[2] ev:{tenant}
 * ARGV[1] the record, ARGV[2] how many to keep (KOT_EVENTS_MAX),
 * ARGV[3] notifications: "on", "off", or "auto" (on if the stream
 * exists: kotctl, which cannot see nginx's kot_notify), ARGV[4] now,
 * ARGV[5] the client's network, or ""
 * Returns 1; 0 if there is no such tenant.
 */
static const char  kot_script_event_push[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('LPUSH', KEYS[2], ARGV[1])\n"
    "redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)\n"
    "local mode, stream = ARGV[3], '" KOT_KEY_NOTIFY "'\n"
    "if mode ~= 'on' and (mode ~= 'auto'"
    " or redis.call('EXISTS', stream) == 0) then return 1 end\n"
    "local rec = ARGV[1]\n"
    "local function f(k)\n"
    "  return string.match(rec, '\"' .. k .. '\":\"([^\"]*)\"')\n"
    "end\n"
    "local t = string.sub(KEYS[1], #'" KOT_KEY_TENANT "' + 1)\n"
    "local a, o = f('event%.action'), f('event%.outcome')\n"
    "if o ~= 'success' and a ~= 'account_locked' and a ~= 'ip_denied' then"
    " return 1 end\n"
    "local via, tt = f('kot%.via'), f('kot%.target%.tenant')\n"
    "if tt and tt ~= t then return 1 end\n"
    "local now, net = tonumber(ARGV[4]) or 0, ARGV[5] or ''\n"
    "local ty, ex = nil, {}\n"
    "if a == 'account_locked' then\n"
    "  ty = 'account_locked'\n"
    "  ex.permanent = tonumber(string.match(rec,"
    " '\"kot%.lockout%.until\":(%-?%d+)')) == " KOT_STR(KOT_LOCKED_FOREVER)
    "\n"
    "elseif a == 'password_change' or a == 'user_password_set' then\n"
    "  ty = 'password_changed'\n"
    "elseif a == 'mfa_enrolled' or a == 'mfa_removed' or a == 'mfa_reset'"
    " then\n"
    "  ty = 'mfa_changed'\n"
    "elseif a == 'support_granted' then\n"
    "  ty = 'support_granted'\n"
    "elseif via then\n"
    "  ty = 'admin_action'\n"
    "elseif a == 'ip_denied' then\n"
    "  local bk = '" KOT_KEY_NOTIFY_BURST "' .. t\n"
    "  local n = redis.call('INCR', bk)\n"
    "  if n == 1 then redis.call('PEXPIRE', bk, "
    KOT_STR(KOT_NOTIFY_BURST_MS) ") end\n"
    "  if n ~= " KOT_STR(KOT_NOTIFY_BURST) " then return 1 end\n"
    "  ty = 'ip_denial_burst'\n"
    "  ex.denials, ex.window_seconds = n, " KOT_STR(KOT_NOTIFY_BURST_MS)
    " / 1000\n"
    "elseif a == 'login' and net ~= '' and f('user%.name') then\n"
    "  local nk = '" KOT_KEY_NETWORKS "' .. t .. ':' .. f('user%.name')\n"
    "  local old = now - " KOT_STR(KOT_NOTIFY_NETWORK_MS) "\n"
    "  local last = tonumber(redis.call('ZSCORE', nk, net))\n"
    "  redis.call('ZADD', nk, now, net)\n"
    "  redis.call('PEXPIRE', nk, " KOT_STR(KOT_NOTIFY_NETWORK_MS) ")\n"
    "  if last and last > old then return 1 end\n"
    "  redis.call('ZREMRANGEBYSCORE', nk, '-inf', old)\n"
    "  redis.call('ZREMRANGEBYRANK', nk, 0, -"
    KOT_STR(KOT_NOTIFY_NETWORKS) " - 1)\n"
    "  if redis.call('ZCARD', nk) == 1 then return 1 end\n"
    "  ty = 'login_new_network'\n"
    "  ex.network = net\n"
    "else\n"
    "  return 1\n"
    "end\n"
    "local ev = {type = ty, action = a, tenant = t, time = f('@timestamp'),"
    " user = f('user%.target%.name')}\n"
    "if not via and not ev.user then ev.user = f('user%.name') end\n"
    "for k, v in pairs(ex) do ev[k] = v end\n"
    "local raw = rec\n"
    "for _, k in ipairs({'session%.hash', 'kot%.session',"
    " 'kot%.evicted_session', 'session'}) do\n"
    "  for _, p in ipairs({'\"' .. k .. '\":\"([^\"]*)\",',"
    " ',\"' .. k .. '\":\"([^\"]*)\"', '\"' .. k .. '\":\"([^\"]*)\"'})"
    " do\n"
    "    raw = string.gsub(raw, p, function (v)\n"
    "      if #v >= " KOT_HANDLE " then return '' end\n"
    "    end)\n"
    "  end\n"
    "end\n"
    "raw = string.gsub(raw, '(\"url%.path\":\"[^\"]*/sessions/)[^\"/\\\\]+',"
    " '%1{H}')\n"
    "local head = cjson.encode(ev)\n"
    "redis.call('XADD', stream, 'MAXLEN', '~', "
    KOT_STR(KOT_NOTIFY_MAXLEN) ", '*', 'type', ty, 'tenant', t,"
    " 'event', string.sub(head, 1, -2) .. ',\"record\":' .. raw .. '}')\n"
    "return 1\n";


/*
 * A tenant's webhook (kotctl notify posts its events there rather than
 * to --webhook), as checked by the caller (kot_notify_url_ok()).
 *
 * KEYS[1] t:{tenant}
 * ARGV[1] "get" or "set", ARGV[2] the URL to set ("" removes it)
 * Returns the URL there was ("" for none); -1 if there is no such
 * tenant.
 */
static const char  kot_script_notify_url[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local old = redis.call('HGET', KEYS[1], 'notify_url') or ''\n"
    "if ARGV[1] == 'set' then\n"
    "  if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'notify_url')\n"
    "  else redis.call('HSET', KEYS[1], 'notify_url', ARGV[2]) end\n"
    "end\n"
    "return old\n";


/*
 * kotctl notify gives up on an event (its retries reached the longest
 * backoff): the event moves to the dead-letter stream, with why, and
 * leaves the group's pending list, at once.  The event of a tenant
 * deleted while it was being posted leaves the stream instead: a deleted
 * tenant has no dead letters (tenant_delete).
 *
 * KEYS[1] notify, KEYS[2] notify:dead, KEYS[3] retired:tenants
 * ARGV[1] the group, ARGV[2] the event's id, ARGV[3] its tenant,
 * ARGV[4] its type, ARGV[5] the event, ARGV[6] attempts, ARGV[7] the last
 * error
 * Returns the number of events acknowledged (0: another daemon did it).
 */
static const char  kot_script_notify_dead[] =
    KOT_LUA_DENY_OOM
    "if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0"
    " end\n"
    "if redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 1 then\n"
    "  redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "  return 1\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', "
    KOT_STR(KOT_NOTIFY_MAXLEN) ", '*', 'id', ARGV[2], 'tenant', ARGV[3],"
    " 'type', ARGV[4], 'event', ARGV[5], 'attempts', ARGV[6], 'error',"
    " ARGV[7])\n"
    "return 1\n";


/*
 * KEYS[1] t:{tenant}, KEYS[2] ev:{tenant}
 * ARGV[1] how many, at most
 * Returns the newest records first; -1 if there is no such tenant.
 */
static const char  kot_script_event_list[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local n = tonumber(ARGV[1]) or 0\n"
    "if n <= 0 then return {} end\n"
    "return redis.call('LRANGE', KEYS[2], 0, n - 1)\n";


/*
 * The second factor (kot_totp.h).  A user with MFA who gave the right
 * password gets a pending state, not a session: mp:{pid}, where pid is
 * the HMAC of the random id in the browser's pending cookie, as for a
 * session.  It holds what the session will need, lasts
 * KOT_MFA_PENDING_MS and takes KOT_MFA_PENDING_TRIES codes.
 *
 * KEYS[1] mp:{pid}, KEYS[2] u:{tenant}:{user}, KEYS[3] f:{tenant}:{user},
 * KEYS[4] s:{old sid} (or KEYS[1]), KEYS[5] mfa:{tenant}:{user}
 * ARGV[1] tenant, ARGV[2] user, ARGV[3] roles, ARGV[4] must_change,
 * ARGV[5] now, ARGV[6] pw_changed as the password check saw it,
 * ARGV[7] old sid or "", ARGV[8] source ip
 * Returns 1, what KOT_LUA_LOGIN_HOLDS returns, or -5 if the user's MFA
 * was removed meanwhile.  The browser's old session ends: until the
 * code, the browser is logged out.
 */
static const char  kot_script_mfa_pending[] =
    KOT_LUA_DENY_OOM
    KOT_LUA_LOCKED
    "local uk, fk, ok, osid = KEYS[2], KEYS[3], KEYS[4], ARGV[7]\n"
    "local now, pwc = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    KOT_LUA_LOGIN_HOLDS
    "if redis.call('EXISTS', KEYS[5]) == 0 then return -5 end\n"
    KOT_LUA_END_OLD_SESSION
    "redis.call('HSET', KEYS[1], 't', ARGV[1], 'u', ARGV[2], 'r', ARGV[3],"
    " 'mc', ARGV[4], 'pc', ARGV[6], 'c', ARGV[5], 'n', 0, 'ip', ARGV[8])\n"
    "redis.call('PEXPIRE', KEYS[1], " KOT_STR(KOT_MFA_PENDING_MS) ")\n"
    "return 1\n";


/*
 * A code comes for a pending login: takes a token from the client's
 * login throttle buckets (as a password does at login_begin), counts
 * the try, and returns what checking it needs.  A code that is right
 * gives the token back (mfa_use), so that only wrong codes are held
 * back; taking it first holds back parallel wrong codes too.  A client
 * over its rate gets no try counted and nothing of the pending login
 * but its user.  The state stays until a code is used with it (mfa_use),
 * so that two codes sent at once cannot both use it; after the last try
 * it is spent, and the next one deletes it.
 *
 * KEYS[1] mp:{pid}, KEYS[2] th:{client}, KEYS[3] th:{the client's /48}
 * (KEYS[2] again for none)
 * ARGV[1] now, ARGV[2] tries per minute (0: no limit), ARGV[3] burst,
 * ARGV[4] the /48's share (0: none), as for login_begin
 * Returns {0} when there is no pending login (expired, used, or out of
 * tries); {-1, ms to wait, 1 for the client's bucket or 2 for its /48's,
 * tenant, user} when the client is over its rate; else {1, tenant, user,
 * roles, must_change, pw_changed, tries left, sealed seed or "", locked
 * (0/1), allow-list version}.
 */
static const char  kot_script_mfa_code_load[] =
    KOT_LUA_LOCKED
    KOT_LUA_BUCKET_TAKE
    "local p = redis.call('HMGET', KEYS[1], 't', 'u', 'r', 'mc', 'pc', 'n')\n"
    "if not p[1] then return {0} end\n"
    "local n = (tonumber(p[6]) or 0) + 1\n"
    "local left = " KOT_STR(KOT_MFA_PENDING_TRIES) " - n\n"
    "if left < 0 then redis.call('DEL', KEYS[1]) return {0} end\n"
    "local held = take(KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]),"
    " tonumber(ARGV[3]), tonumber(ARGV[4]))\n"
    "if held then return {-1, held[1], held[2], p[1], p[2] or ''} end\n"
    "redis.call('HSET', KEYS[1], 'n', n)\n"
    "local who = p[1] .. ':' .. p[2]\n"
    "local seed = redis.call('HGET', '" KOT_KEY_MFA "' .. who, 'seed')\n"
    "return {1, p[1], p[2], p[3] or '', p[4] or '0', p[5] or '0', left,"
    " seed or '',"
    " locked('" KOT_KEY_FAILURES "' .. who, tonumber(ARGV[1])),"
    " tonumber(redis.call('GET', '" KOT_KEY_ALLOW_VERSION "' .. p[1])) or 0}\n";


/*
 * A code that matched is used, once: a TOTP step only if it is later than
 * the last one used (so a code, or an older one, never works twice), a
 * recovery code only if it is still there.  The pending login ends, and
 * only one code can end it: a second request of the same pending login
 * finds it gone and uses nothing.  The client gets back the throttle's
 * token that mfa_code_load took for the code.
 *
 * KEYS[1] mfa:{tenant}:{user}, KEYS[2] mrc:{tenant}:{user},
 * KEYS[3] mp:{pid}, KEYS[4] th:{client}, KEYS[5] th:{the client's /48}
 * (KEYS[4] again for none)
 * ARGV[1] the sealed seed the code was checked against, ARGV[2] the step
 * the code matched ("" for a recovery code), ARGV[3] the recovery code's
 * keyed hash ("" for a TOTP code), ARGV[4] ("" for a TOTP code) its
 * unkeyed hash, as releases before the keyed one stored it
 * (kot_recovery_hash_unkeyed()), ARGV[5] now
 * Returns {1, recovery codes left}; {0} for a TOTP step already used;
 * {-1} for a recovery code that is not (or no longer) there, or a seed
 * replaced meanwhile; {-2} when the pending login is over (another
 * request used it, or it expired).
 */
static const char  kot_script_mfa_use[] =
    KOT_LUA_BUCKET_GIVE_BACK
    "if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end\n"
    "if redis.call('HGET', KEYS[1], 'seed') ~= ARGV[1] then return {-1} end\n"
    "if ARGV[2] ~= '' then\n"
    "  local last = tonumber(redis.call('HGET', KEYS[1], 'step')) or -1\n"
    "  if last >= tonumber(ARGV[2]) then return {0} end\n"
    "  redis.call('HSET', KEYS[1], 'step', ARGV[2])\n"
    "elseif redis.call('SREM', KEYS[2], ARGV[3]) == 0"
    " and (ARGV[4] == '' or redis.call('SREM', KEYS[2], ARGV[4]) == 0)"
    " then\n"
    "  return {-1}\n"
    "end\n"
    "redis.call('DEL', KEYS[3])\n"
    "give_back(KEYS[4], ARGV[5])\n"
    "if KEYS[5] ~= KEYS[4] then give_back(KEYS[5], ARGV[5]) end\n"
    "return {1, #redis.call('SMEMBERS', KEYS[2])}\n";


/*
 * What the enrolment page shows, and the seed it offers: the one offered
 * to this session before, or the new one given (sealed), kept for
 * KOT_MFA_OFFER_MS so that the page shows the same seed when reloaded.
 *
 * KEYS[1] mfa:{tenant}:{user}, KEYS[2] mrc:{tenant}:{user},
 * KEYS[3] mo:{sid}, KEYS[4] t:{tenant}, KEYS[5] u:{tenant}:{user},
 * KEYS[6] f:{tenant}:{user}
 * ARGV[1] a new sealed seed, or "" to offer none that was not offered,
 * ARGV[2] now
 * Returns {enrolled time (0: no MFA), recovery codes left, the offered
 * sealed seed or "", {tenant policy}, the password hash, 1 if the
 * account is locked (the password is checked as at login) else 0}.
 */
static const char  kot_script_mfa_load[] =
    KOT_LUA_LOCKED
    "local o = redis.call('HGET', KEYS[3], 'seed')\n"
    "if not o and ARGV[1] ~= '' then\n"
    "  redis.call('HSET', KEYS[3], 'seed', ARGV[1])\n"
    "  redis.call('PEXPIRE', KEYS[3], " KOT_STR(KOT_MFA_OFFER_MS) ")\n"
    "  o = ARGV[1]\n"
    "end\n"
    "return {redis.call('HGET', KEYS[1], 'enrolled') or '0',"
    " #redis.call('SMEMBERS', KEYS[2]), o or '',"
    " redis.call('HMGET', KEYS[4], " KOT_TENANT_POLICY_FIELDS "),"
    " redis.call('HGET', KEYS[5], 'hash') or '',"
    " locked(KEYS[6], tonumber(ARGV[2]))}\n";


/*
 * Enrolment, or its replacement: the offered seed that a code confirmed
 * becomes the user's, with new recovery codes (hashes), and the session
 * may go on if it was bound to enrol first.  Every other session of the
 * user ends, as at a password change: a user replaces a factor because
 * a phone was lost, or enrols because the password may have leaked, and
 * a session opened by either must not go on (the next login asks for
 * the new code).  Only the first enrolment of a session bound to enrol
 * goes without the password: any other comes with the password hash
 * verified (ngx_http_kot_mfa_password_needed()).
 *
 * KEYS[1] mfa:{tenant}:{user}, KEYS[2] mrc:{tenant}:{user},
 * KEYS[3] mo:{sid}, KEYS[4] s:{sid}, KEYS[5] u:{tenant}:{user},
 * KEYS[6] us:{tenant}:{user}, KEYS[7] f:{tenant}:{user}
 * ARGV[1] the offered sealed seed, ARGV[2] the step its code matched
 * (used up), ARGV[3] now, ARGV[4] the enrolled time the page saw ("0":
 * none), ARGV[5] the password hash verified, or "" for the first
 * enrolment of a session bound to enrol, ARGV[6] sid, ARGV[7...] the
 * recovery code hashes
 * Returns {1, other sessions ended}; 0 if the offer is gone; -1 if the
 * session ended; -2 if the user is gone; -3 if the user's MFA changed
 * meanwhile (or, without the password, the session is not bound to
 * enrol); -4 if the password changed meanwhile; -5 if the password was
 * given and the account is locked (checked here, atomically, as at
 * login).
 */
static const char  kot_script_mfa_enrol[] =
    KOT_LUA_DENY_OOM
    KOT_LUA_LOCKED
    "if redis.call('HGET', KEYS[3], 'seed') ~= ARGV[1] then return 0 end\n"
    "if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end\n"
    "local h = redis.call('HGET', KEYS[5], 'hash')\n"
    "if not h then return -2 end\n"
    "if (redis.call('HGET', KEYS[1], 'enrolled') or '0') ~= ARGV[4]"
    " then return -3 end\n"
    "if ARGV[5] == '' and (ARGV[4] ~= '0'"
    " or redis.call('HGET', KEYS[4], 'e') ~= '1') then return -3 end\n"
    "if ARGV[5] ~= '' and h ~= ARGV[5] then return -4 end\n"
    "if ARGV[5] ~= '' and locked(KEYS[7], tonumber(ARGV[3])) == 1"
    " then return -5 end\n"
    "redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])\n"
    "redis.call('HSET', KEYS[1], 'seed', ARGV[1], 'enrolled', ARGV[3],"
    " 'step', ARGV[2])\n"
    "redis.call('SADD', KEYS[2], unpack(ARGV, 7))\n"
    "redis.call('HDEL', KEYS[4], 'e')\n"
    KOT_LUA_END_SESSIONS_BUT("KEYS[6]", "ARGV[6]")
    "return {1, n}\n";


/*
 * A user removes their own MFA, with their password; this script alone
 * decides whether the policy allows it.  Where the tenant's policy
 * (policy.mfa KOT_POLICY_REQUIRED, as kot_policy_set() reads it: any
 * other value is "optional" or ignored) or the server's requires MFA,
 * the user may not: read here, so that a policy set while the password
 * was hashed still refuses.  It is checked after the password and the
 * lock, so that its answer never tells a guess of a locked account's
 * password right.  The user's other sessions end, as at a password
 * change: one that opened with the removed factor, on a lost phone or
 * by whoever has the password, must not go on.  An administrator's
 * reset (mfa_reset) is not a removal of one's own and ignores the
 * policy: the user enrols again at the next login.
 *
 * KEYS[1] mfa:{tenant}:{user}, KEYS[2] mrc:{tenant}:{user},
 * KEYS[3] u:{tenant}:{user}, KEYS[4] f:{tenant}:{user}, KEYS[5] t:{tenant},
 * KEYS[6] us:{tenant}:{user}
 * ARGV[1] the enrolled time the page saw, ARGV[2] the password hash
 * verified, ARGV[3] now, ARGV[4] "1" if the server's own policy requires
 * MFA (kot_password_policy mfa=required), else "0", ARGV[5] the sid of
 * the session that removes it, which goes on
 * Returns {1, other sessions ended}; 0 if the MFA changed meanwhile; -4
 * if the password did; -5 if the account is locked (checked here,
 * atomically, as at login); -6 if MFA is required.
 */
static const char  kot_script_mfa_remove[] =
    KOT_LUA_LOCKED
    "if (redis.call('HGET', KEYS[1], 'enrolled') or '0') ~= ARGV[1]"
    " then return 0 end\n"
    "if redis.call('HGET', KEYS[3], 'hash') ~= ARGV[2] then return -4 end\n"
    "if locked(KEYS[4], tonumber(ARGV[3])) == 1 then return -5 end\n"
    "if ARGV[4] == '1' or redis.call('HGET', KEYS[5], "
    KOT_TENANT_POLICY_MFA ") == '" KOT_POLICY_REQUIRED "' then"
    " return -6 end\n"
    "redis.call('DEL', KEYS[1], KEYS[2])\n"
    KOT_LUA_END_SESSIONS_BUT("KEYS[6]", "ARGV[5]")
    "return {1, n}\n";


/*
 * An administrator resets a user's MFA (a lost phone): the seed and the
 * recovery codes go, and so do the user's sessions, which the lost
 * factor may have opened.  The next login enrols again if the tenant
 * requires MFA.  Not its own (KOT_LUA_SELF), nor support access an
 * admin's of the tenant, as user_patch and user_delete keep them.
 *
 * KEYS[1] mfa:{tenant}:{user}, KEYS[2] us:{tenant}:{user},
 * KEYS[3] u:{tenant}:{user}, KEYS[4] mrc:{tenant}:{user}
 * ARGV[1] user, ARGV[2] the acting user if it is of the same tenant,
 * else "", ARGV[3] "1" under a support grant (as user_patch's ARGV[6]);
 * all absent: kotctl
 * Returns {1, sessions ended}; {0} if the user had no MFA; {-1} for an
 * unknown user; {-2} if the acting user is the user, or support access
 * would reset an admin's.
 */
static const char  kot_script_mfa_reset[] =
    KOT_LUA_IS_ADMIN
    "if redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end\n"
    "if " KOT_LUA_SELF("ARGV[1]", "ARGV[2]") " then return {-2} end\n"
    "if ARGV[3] == '1'"
    " and is_admin(redis.call('HGET', KEYS[3], 'roles') or '')"
    " then return {-2} end\n"
    "if redis.call('DEL', KEYS[1]) == 0 then return {0} end\n"
    "redis.call('DEL', KEYS[4])\n"
    KOT_LUA_SESSIONS_ENDED
    "return {1, n}\n";


kot_script_t  kot_scripts[KOT_SCRIPT_N] = {
    [KOT_SCRIPT_SESSION_CHECK] =
        { "session_check", kot_script_session_check, "" },
    [KOT_SCRIPT_LOGIN_BEGIN] =
        { "login_begin", kot_script_login_begin, "" },
    [KOT_SCRIPT_LOGIN_FAIL] =
        { "login_fail", kot_script_login_fail, "" },
    [KOT_SCRIPT_FAILURES_INDEX] =
        { "failures_index", kot_script_failures_index, "" },
    [KOT_SCRIPT_SESSION_OWN] =
        { "session_own", kot_script_session_own, "" },
    [KOT_SCRIPT_SESSION_CREATE] =
        { "session_create", kot_script_session_create, "" },
    [KOT_SCRIPT_SESSION_DESTROY] =
        { "session_destroy", kot_script_session_destroy, "", 1 },
    [KOT_SCRIPT_PASSWORD_LOAD] =
        { "password_load", kot_script_password_load, "" },
    [KOT_SCRIPT_PASSWORD_CHANGE] =
        { "password_change", kot_script_password_change, "", 1 },
    [KOT_SCRIPT_TENANT_ADD] =
        { "tenant_add", kot_script_tenant_add, "" },
    [KOT_SCRIPT_USER_ADD] =
        { "user_add", kot_script_user_add, "" },
    [KOT_SCRIPT_USER_PASSWD] =
        { "user_passwd", kot_script_user_passwd, "", 1 },
    [KOT_SCRIPT_USER_PATCH] =
        { "user_patch", kot_script_user_patch, "", 1 },
    [KOT_SCRIPT_SESSION_REVOKE] =
        { "session_revoke", kot_script_session_revoke, "", 1 },
    [KOT_SCRIPT_AUDIT_ANCHOR] =
        { "audit_anchor", kot_script_audit_anchor, "" },
    [KOT_SCRIPT_ALLOWLIST_LOAD] =
        { "allowlist_load", kot_script_allowlist_load, "" },
    [KOT_SCRIPT_PASSWORD_REHASH] =
        { "password_rehash", kot_script_password_rehash, "" },
    [KOT_SCRIPT_THROTTLE_STATUS] =
        { "throttle_status", kot_script_throttle_status, "" },
    [KOT_SCRIPT_THROTTLE_CLEAR] =
        { "throttle_clear", kot_script_throttle_clear, "" },
    [KOT_SCRIPT_TENANT_DELETE] =
        { "tenant_delete", kot_script_tenant_delete, "", 1 },
    [KOT_SCRIPT_TENANT_LIST] =
        { "tenant_list", kot_script_tenant_list, "" },
    [KOT_SCRIPT_USER_DELETE] =
        { "user_delete", kot_script_user_delete, "", 1 },
    [KOT_SCRIPT_USER_UNLOCK] =
        { "user_unlock", kot_script_user_unlock, "" },
    [KOT_SCRIPT_USER_LIST] =
        { "user_list", kot_script_user_list, "" },
    [KOT_SCRIPT_USER_GET] =
        { "user_get", kot_script_user_get, "" },
    [KOT_SCRIPT_SESSION_LIST] =
        { "session_list", kot_script_session_list, "" },
    [KOT_SCRIPT_SESSION_END] =
        { "session_end", kot_script_session_end, "", 1 },
    [KOT_SCRIPT_ALLOWLIST_CHANGE] =
        { "allowlist_change", kot_script_allowlist_change, "" },
    [KOT_SCRIPT_POLICY_GET] =
        { "policy_get", kot_script_policy_get, "" },
    [KOT_SCRIPT_POLICY_SET] =
        { "policy_set", kot_script_policy_set, "" },
    [KOT_SCRIPT_SUPPORT_GRANT] =
        { "support_grant", kot_script_support_grant, "" },
    [KOT_SCRIPT_SUPPORT_REVOKE] =
        { "support_revoke", kot_script_support_revoke, "", 1 },
    [KOT_SCRIPT_SUPPORT_STATUS] =
        { "support_status", kot_script_support_status, "" },
    [KOT_SCRIPT_EVENT_PUSH] =
        { "event_push", kot_script_event_push, "" },
    [KOT_SCRIPT_EVENT_LIST] =
        { "event_list", kot_script_event_list, "" },
    [KOT_SCRIPT_NOTIFY_URL] =
        { "notify_url", kot_script_notify_url, "" },
    [KOT_SCRIPT_NOTIFY_DEAD] =
        { "notify_dead", kot_script_notify_dead, "" },
    [KOT_SCRIPT_MFA_PENDING] =
        { "mfa_pending", kot_script_mfa_pending, "" },
    [KOT_SCRIPT_MFA_CODE_LOAD] =
        { "mfa_code_load", kot_script_mfa_code_load, "" },
    [KOT_SCRIPT_MFA_USE] =
        { "mfa_use", kot_script_mfa_use, "" },
    [KOT_SCRIPT_MFA_LOAD] =
        { "mfa_load", kot_script_mfa_load, "" },
    [KOT_SCRIPT_MFA_ENROL] =
        { "mfa_enrol", kot_script_mfa_enrol, "", 1 },
    [KOT_SCRIPT_MFA_REMOVE] =
        { "mfa_remove", kot_script_mfa_remove, "", 1 },
    [KOT_SCRIPT_MFA_RESET] =
        { "mfa_reset", kot_script_mfa_reset, "", 1 },
};


int
kot_scripts_init(void)
{
    size_t         i, j;
    unsigned int   len;
    unsigned char  md[EVP_MAX_MD_SIZE];

    for (i = 0; i < KOT_SCRIPT_N; i++) {
        if (EVP_Digest(kot_scripts[i].source, strlen(kot_scripts[i].source),
                       md, &len, EVP_sha1(), NULL)
            != 1)
        {
            return -1;
        }

        for (j = 0; j < len && j < 20; j++) {
            snprintf(&kot_scripts[i].sha1[j * 2], 3, "%02x", md[j]);
        }
    }

    return 0;
}
