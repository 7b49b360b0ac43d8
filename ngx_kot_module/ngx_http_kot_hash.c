
/*
 * ngx_kot: password hashing in an nginx thread pool.  scrypt takes about
 * 0.3 s and 128 MiB by design; on the event loop it would stall every
 * request of the worker, so it never runs there.
 *
 * While a job is queued or runs, r->main->blocked keeps the request (and
 * the job, in its pool) alive even if the client goes away: the thread
 * and the done event still use them.  But a client that left no longer
 * waits for the hash, and a storm of them would hold the queue for real
 * logins; nginx notices that it left (ngx_http_test_reading), terminates
 * the request, and the request's cleanup marks the job abandoned.  The
 * thread skips an abandoned job's hashing, and its done event ends the
 * request.
 *
 * A worker that is exiting (reload, upgrade, QUIT) waits only for its
 * timers, and a job in the pool has none of its own: each job keeps a
 * timer until it is done, so that its login is answered before the
 * worker goes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_scrypt.h"

#include <sched.h>
#include <sys/syscall.h>
#include <openssl/crypto.h>


static void ngx_http_kot_hash_abandon(void *data);
static void ngx_http_kot_hash_thread(void *data, ngx_log_t *log);
static void ngx_http_kot_hash_work(ngx_http_kot_hash_job_t *job);
static void ngx_http_kot_hash_pause(void);
static void ngx_http_kot_hash_done(ngx_event_t *ev);
static void ngx_http_kot_hash_alive(ngx_event_t *ev);


#define NGX_HTTP_KOT_HASH_ALIVE  1000


void
ngx_http_kot_hash_init_process(void)
{
    kot_scrypt_pause = ngx_http_kot_hash_pause;
}


ngx_http_kot_hash_job_t *
ngx_http_kot_hash_job(ngx_http_request_t *r)
{
    ngx_thread_task_t        *task;
    ngx_http_cleanup_t       *cln;
    ngx_http_kot_hash_job_t  *job;

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_kot_hash_job_t));
    if (task == NULL) {
        return NULL;
    }

    cln = ngx_http_cleanup_add(r->main, 0);
    if (cln == NULL) {
        return NULL;
    }

    job = task->ctx;
    job->task = task;
    job->request = r;
    job->verified = 0;
    job->new_hash_len = -1;

    cln->handler = ngx_http_kot_hash_abandon;
    cln->data = job;

    return job;
}


/*
 * Runs when the request is terminated (the client left) or freed.  A
 * store to the word-sized ngx_atomic_t is atomic, as in nginx's own locks;
 * the thread reads it before each hash.
 */

static void
ngx_http_kot_hash_abandon(void *data)
{
    ngx_http_kot_hash_job_t  *job = data;

    job->abandoned = 1;
}


/*
 * NGX_ERROR means the queue is full (or the pool is missing): the caller
 * answers 503, a bounded queue being the point.
 */

ngx_int_t
ngx_http_kot_hash_run(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_hash_job_t *job)
{
    ngx_thread_task_t         *task;
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);
    task = job->task;

    job->params = kmcf->scrypt;

    task->handler = ngx_http_kot_hash_thread;
    task->event.handler = ngx_http_kot_hash_done;
    task->event.data = job;
    job->queued = ngx_http_kot_status_clock();

    if (ngx_thread_task_post(kmcf->thread_pool, task) != NGX_OK) {
        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_HASH_QUEUE_FULL);
        return NGX_ERROR;
    }

    r->main->blocked++;

    job->alive.handler = ngx_http_kot_hash_alive;
    job->alive.data = job;
    job->alive.log = r->connection->log;
    ngx_add_timer(&job->alive, NGX_HTTP_KOT_HASH_ALIVE);

    /*
     * Notice a client that leaves while it waits, and one that left
     * already: its end of file may have arrived before this handler was
     * in place, and no new event would report it.
     */
    r->read_event_handler = ngx_http_test_reading;
    ngx_http_test_reading(r);

    return NGX_OK;
}


/*
 * In a pool thread: no nginx calls, no allocation from pools.
 *
 * A hash is background work: the thread runs under SCHED_IDLE, so that
 * the event loops of the workers (and the upstream, and Redis) always get
 * the CPU first, and a storm of logins slows logins rather than every
 * other request on the machine.  When the machine is busy, logins take
 * longer; the bounded queue of the pool answers 503 when they back up.
 */

static void
ngx_http_kot_hash_thread(void *data, ngx_log_t *log)
{
    struct sched_param  sp;

    static __thread ngx_uint_t  idle;

    if (!idle) {
        ngx_memzero(&sp, sizeof(struct sched_param));
        (void) sched_setscheduler((pid_t) syscall(SYS_gettid), SCHED_IDLE,
                                  &sp);
        idle = 1;
    }

    ngx_http_kot_hash_work(data);

    /*
     * A worker that exits right after a job ends the pool's threads
     * without their thread-local destructors, and OpenSSL's state of
     * this thread would leak (LeakSanitizer, t/reload.t): it goes now,
     * for an allocation at the next job, nothing beside a hash.
     */
    OPENSSL_thread_stop();
}


static void
ngx_http_kot_hash_work(ngx_http_kot_hash_job_t *job)
{
    ngx_uint_t  i;

    if (job->abandoned) {
        return;
    }

    if (job->hash.len) {
        job->verified = kot_phc_verify((char *) job->hash.data, job->hash.len,
                                       (char *) job->password.data,
                                       job->password.len);
        if (job->verified != 1) {
            return;
        }
    }

    for (i = 0; i < job->nhistory && job->new_password.len; i++) {
        if (kot_phc_verify((char *) job->history[i].data,
                           job->history[i].len,
                           (char *) job->new_password.data,
                           job->new_password.len)
            == 1)
        {
            job->reused = 1;
            return;
        }
    }

    if (job->new_password.len && !job->abandoned) {
        job->new_hash_len = kot_phc_hash(&job->params,
                                         (char *) job->new_password.data,
                                         job->new_password.len,
                                         (char *) job->new_hash,
                                         sizeof(job->new_hash));
    }
}


/*
 * Some kernels let a SCHED_IDLE thread run out its time slice, up to a
 * scheduler tick, before a woken event loop preempts it.  kot_scrypt()
 * calls this every 25 us or so of work, and the yield hands the CPU to
 * whatever waits for it.  The cost is one system call per slice.
 */

static void
ngx_http_kot_hash_pause(void)
{
    (void) sched_yield();
}


static void
ngx_http_kot_hash_done(ngx_event_t *ev)
{
    ngx_connection_t         *c;
    ngx_http_request_t       *r;
    ngx_http_kot_ctx_t       *ctx;
    ngx_http_kot_hash_job_t  *job = ev->data;

    r = job->request;
    c = r->connection;

    r->main->blocked--;

    if (job->alive.timer_set) {
        ngx_del_timer(&job->alive);
    }

    if (job->abandoned) {
        /* ngx_http_request_finalizer, since the termination */
        ngx_http_set_log_request(c->log, r);
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    ngx_http_kot_status_hash(job->queued);

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    ctx->done.handler(&ctx->done);
}


/* Still in the pool: the worker must still not exit. */

static void
ngx_http_kot_hash_alive(ngx_event_t *ev)
{
    ngx_add_timer(ev, NGX_HTTP_KOT_HASH_ALIVE);
}
