/*
 * test_timeline_set.c: `set KNOB VALUE` in the scenario's timeline takes effect at its
 * time from program start, not before, and its effect is the knob's. timeline_set.ini
 * (from meson.build, with NSEMU_LOG at argv[1]) sets tcp.connect to refuse at 500 ms and
 * back to ok at 1 s. The log's t= fields count from program start as the timeline does,
 * so they say when each change ran.
 *
 * Nothing signals a knob change to the program, so the tests poll nsemu_get, every few
 * milliseconds and within a bound: that is the bounded wait on the event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

static const char *log_path;

/* Waits until knob reads value; false after timeout_ms. */
static bool knob_becomes(const char *knob, const char *value, int timeout_ms)
{
    uint64_t end = test_now_ms() + (uint64_t)timeout_ms;
    struct timespec pause = {0, 2000000L};
    char now[64];

    for (;;) {
        assert_int_equal(nsemu_get(knob, now, sizeof(now)), NSAPI_ERROR_OK);
        if (strcmp(now, value) == 0)
            return true;
        if (test_now_ms() >= end)
            return false;
        nanosleep(&pause, NULL);
    }
}

/* The program time now, as the event log counts it: a logged no-op knob change. */
static double program_time(void)
{
    char *text;
    char line[256];
    double t;
    long mark = log_mark(log_path);

    assert_int_equal(nsemu_set("udp.dup", "0"), NSAPI_ERROR_OK);
    text = log_since(log_path, mark);
    assert_true(log_find(text, line, sizeof(line), "control set udp.dup 0", NULL));
    t = log_line_time(line);
    free(text);
    return t;
}

/* The t= of the timeline's line that set knob to value. */
static double set_time(const char *knob, const char *value)
{
    char *text = log_since(log_path, 0);
    char needle[128], line[256];
    double t;

    snprintf(needle, sizeof(needle), "timeline set %s %s", knob, value);
    assert_true(log_find(text, line, sizeof(line), needle, NULL));
    t = log_line_time(line);
    free(text);
    return t;
}

static nsapi_error_t connect_to_listener(bool *seen)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    nsapi_error_t r;
    int peer;

    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    addr_of(&to, "127.0.0.1", port);
    r = tcp_socket_connect(s, &to);
    peer = posix_accept_within(lfd, 200, NULL);
    *seen = peer >= 0;
    if (peer >= 0)
        close(peer);
    close(lfd);
    socket_delete(s);
    return r;
}

static void test_a_timeline_knob_keeps_its_start_up_value_before_its_time(void **state)
{
    char value[64];
    bool seen;

    (void)state;
    assert_int_equal(nsemu_get("tcp.connect", value, sizeof(value)), NSAPI_ERROR_OK);
    if (program_time() >= 0.45)
        skip(); /* started too late to see the time before 500 ms */
    assert_string_equal(value, "ok");
    assert_int_equal(connect_to_listener(&seen), NSAPI_ERROR_OK);
    assert_true(seen);
}

static void test_a_timeline_set_takes_effect_at_its_time(void **state)
{
    bool seen;

    (void)state;
    assert_true(knob_becomes("tcp.connect", "refuse", WAIT_MS));
    assert_true(set_time("tcp.connect", "refuse") >= 0.5);
    assert_true(set_time("tcp.connect", "refuse") < 2.5);
    /* The knob's own effect: refused, and the listener sees nothing. */
    if (program_time() < 0.95) {
        assert_int_equal(connect_to_listener(&seen), NSAPI_ERROR_NO_CONNECTION);
        assert_false(seen);
    }
}

static void test_a_later_timeline_set_takes_effect_at_its_own_time(void **state)
{
    bool seen;

    (void)state;
    assert_true(knob_becomes("tcp.connect", "ok", WAIT_MS));
    assert_true(set_time("tcp.connect", "ok") >= 1.0);
    assert_true(set_time("tcp.connect", "ok") < 3.0);
    assert_true(set_time("tcp.connect", "ok") > set_time("tcp.connect", "refuse"));
    assert_int_equal(connect_to_listener(&seen), NSAPI_ERROR_OK);
    assert_true(seen);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_timeline_knob_keeps_its_start_up_value_before_its_time),
        cmocka_unit_test(test_a_timeline_set_takes_effect_at_its_time),
        cmocka_unit_test(test_a_later_timeline_set_takes_effect_at_its_own_time),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s EVENT_LOG\n", argv[0]);
        return 2;
    }
    log_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
