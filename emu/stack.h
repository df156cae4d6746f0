/*
 * stack.h: the stack thread. One libuv loop runs on it: sigio readiness, interface
 * status callbacks and (later) fault timers. Other threads hand it work as messages.
 */
#ifndef NSEMU_STACK_H
#define NSEMU_STACK_H

#include <stdbool.h>
#include <uv.h>

/* A unit of work for the loop. Callers may embed one in a longer-lived object and post
 * it again once it has run. */
struct stack_msg {
    void (*fn)(void *arg);
    void *arg;
    struct stack_msg *next;
};

/* Starts the library once: configuration, then the stack thread. Every public entry
 * point calls it; it costs one atomic load after the first time. */
void emu_ensure(void);

/* True on the stack thread, where blocking calls must not block. */
bool stack_on_loop_thread(void);

uv_loop_t *stack_loop(void);

/* Runs fn(arg) on the stack thread and waits for it to finish; runs it at once when
 * called on the stack thread. Never call it while holding a socket's lock. */
void stack_run_sync(void (*fn)(void *), void *arg);

/* Queues m to run on the stack thread; does not wait. m must stay valid until it ran. */
void stack_post(struct stack_msg *m);

#endif /* NSEMU_STACK_H */
