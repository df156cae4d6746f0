/*
 * stack.c: the stack thread and its libuv loop (DESIGN §2, threading). Owns the loop,
 * the message queue other threads post into, and library start-up. Only this thread
 * touches libuv handles; other threads reach it through stack_post and stack_run_sync.
 */
#include "stack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "shaper.h"
#include "timeline.h"

static struct {
    uv_loop_t loop;
    uv_async_t wakeup;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done;
    struct stack_msg *head, *tail;
} stack = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* initial-exec: read on every socket call, it must not cost a __tls_get_addr call. */
static _Thread_local bool on_loop_thread __attribute__((tls_model("initial-exec")));
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static atomic_bool started;

bool stack_on_loop_thread(void)
{
    return on_loop_thread;
}

uv_loop_t *stack_loop(void)
{
    return &stack.loop;
}

static void drain_queue(uv_async_t *handle)
{
    (void)handle;
    for (;;) {
        struct stack_msg *m;

        pthread_mutex_lock(&stack.lock);
        m = stack.head;
        if (m != NULL) {
            stack.head = m->next;
            if (stack.head == NULL)
                stack.tail = NULL;
        }
        pthread_mutex_unlock(&stack.lock);
        if (m == NULL)
            return;
        m->fn(m->arg); /* m may be reused or freed from here on */
    }
}

static void *loop_main(void *unused)
{
    (void)unused;
    on_loop_thread = true;
    uv_run(&stack.loop, UV_RUN_DEFAULT);
    return NULL;
}

void stack_post(struct stack_msg *m)
{
    m->next = NULL;
    pthread_mutex_lock(&stack.lock);
    if (stack.tail != NULL)
        stack.tail->next = m;
    else
        stack.head = m;
    stack.tail = m;
    pthread_mutex_unlock(&stack.lock);
    uv_async_send(&stack.wakeup);
}

struct sync_call {
    struct stack_msg msg;
    void (*fn)(void *);
    void *arg;
    bool finished;
};

static void run_sync_call(void *arg)
{
    struct sync_call *c = arg;

    c->fn(c->arg);
    pthread_mutex_lock(&stack.lock);
    c->finished = true;
    pthread_cond_broadcast(&stack.done);
    pthread_mutex_unlock(&stack.lock);
}

void stack_run_sync(void (*fn)(void *), void *arg)
{
    struct sync_call c = {.msg = {.fn = run_sync_call, .arg = &c}, .fn = fn, .arg = arg};

    if (on_loop_thread) {
        fn(arg);
        return;
    }
    stack_post(&c.msg);
    pthread_mutex_lock(&stack.lock);
    while (!c.finished)
        pthread_cond_wait(&stack.done, &stack.lock);
    pthread_mutex_unlock(&stack.lock);
}

static void start_library(void)
{
    const struct config *cfg = config_get();

    eventlog_open(cfg->log, cfg->seed);
    for (int id = 0; id < KNOB_COUNT; id++) {
        char value[256];

        /* The log says which knobs the run started with: a fault on from the start
         * leaves no other trace when it acts on every byte (latency, rate). */
        knob_text(id, value, sizeof(value));
        if (strcmp(value, knob_defs[id].def) != 0)
            eventlog("start %s=%s", knob_defs[id].name, value);
    }
    for (int id = 0; id < KNOB_COUNT; id++)
        faults_knob_changed(id); /* a random fault on from the start prints the seed */
    device_init();
    if (uv_loop_init(&stack.loop) != 0 || uv_async_init(&stack.loop, &stack.wakeup, drain_queue) != 0) {
        fprintf(stderr, "nsemu: cannot start the stack thread's event loop\n");
        exit(2);
    }
    timeline_start(&stack.loop, cfg);
    shaper_knob_changed(); /* shaping knobs on from the start */
    if (nsemu_thread_start(&stack.thread, loop_main, NULL, true) != 0) {
        fprintf(stderr, "nsemu: cannot start the stack thread\n");
        exit(2);
    }
    atomic_store(&started, true);
}

void emu_ensure(void)
{
    if (!atomic_load_explicit(&started, memory_order_acquire))
        pthread_once(&start_once, start_library);
}

/* Configuration errors surface when the program starts, before main() runs, as DESIGN
 * §5 says; the stack thread itself starts here too. */
__attribute__((constructor)) static void emu_constructor(void)
{
    config_get();
    emu_ensure();
}
