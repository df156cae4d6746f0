/*
 * test_udp_faults.c: udp.loss, udp.dup, udp.reorder and udp.truncate, each turned on
 * through the control API and seen at work in both directions between a device UDP
 * socket and a plain POSIX one, and each shown off by default. Datagrams are numbered
 * and patterned, so a lost, doubled, late or cut one is recognised. The seed is fixed
 * (NSEMU_SEED in meson.build), so a run draws the same way every time; the bounds on
 * the random counts are wide anyway. Every test starts and ends with nsemu_reset().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define LEN 200

/* A device socket and a POSIX peer, both bound on 127.0.0.1. */
struct udp_pair {
    udp_socket_t *s;
    uint16_t port;
    int fd;
    uint16_t peer_port;
    struct arrivals out, in; /* at the peer, at the device */
};

static int pair_open(void **state)
{
    struct udp_pair *p = calloc(1, sizeof(*p));

    if (p == NULL || nsemu_reset() != NSAPI_ERROR_OK)
        return -1;
    p->s = udp_bound(up_interface(), &p->port, SILENCE_MS);
    p->fd = posix_udp_socket("127.0.0.1", &p->peer_port);
    *state = p;
    return 0;
}

static int pair_close(void **state)
{
    struct udp_pair *p = *state;

    socket_delete(p->s);
    close(p->fd);
    free(p);
    return nsemu_reset() == NSAPI_ERROR_OK ? 0 : -1;
}

/* count datagrams each way: device to peer, then peer to device. */
static void exchange(struct udp_pair *p, unsigned count)
{
    device_to_peer(p->s, "127.0.0.1", p->peer_port, p->fd, count, LEN, &p->out);
    peer_to_device(p->fd, "127.0.0.1", p->port, p->s, count, LEN, &p->in);
}

static void assert_knob(const char *knob, const char *expect)
{
    char value[64];

    assert_int_equal(nsemu_get(knob, value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, expect);
}

/* Every datagram arrived once, whole and in order. */
static void assert_faithful(const struct arrivals *a, unsigned count)
{
    assert_int_equal(a->n, count);
    for (unsigned i = 0; i < count; i++) {
        assert_int_equal(a->seq[i], i);
        assert_int_equal(a->len[i], LEN);
    }
}

/* ---- udp.loss ---------------------------------------------------------------------- */

static void test_udp_loss_is_off_by_default(void **state)
{
    struct udp_pair *p = *state;

    assert_knob("udp.loss", "0");
    exchange(p, 100);
    assert_faithful(&p->out, 100);
    assert_faithful(&p->in, 100);
}

static void test_udp_loss_one_loses_every_datagram_both_ways(void **state)
{
    struct udp_pair *p = *state;

    assert_int_equal(nsemu_set("udp.loss", "1"), NSAPI_ERROR_OK);
    exchange(p, 40); /* every sendto still reports the whole datagram sent */
    assert_int_equal(p->out.n, 0);
    assert_int_equal(p->in.n, 0);
}

static void test_udp_loss_half_loses_about_half_both_ways(void **state)
{
    struct udp_pair *p = *state;

    assert_int_equal(nsemu_set("udp.loss", "0.5"), NSAPI_ERROR_OK);
    exchange(p, 400);
    assert_in_range(p->out.n, 120, 280);
    assert_in_range(p->in.n, 120, 280);
    /* What arrives comes in order and never twice. */
    for (size_t i = 1; i < p->out.n; i++)
        assert_true(p->out.seq[i] > p->out.seq[i - 1]);
    for (size_t i = 1; i < p->in.n; i++)
        assert_true(p->in.seq[i] > p->in.seq[i - 1]);
}

/* ---- udp.dup ----------------------------------------------------------------------- */

static void test_udp_dup_is_off_by_default(void **state)
{
    struct udp_pair *p = *state;

    assert_knob("udp.dup", "0");
    exchange(p, 100);
    for (uint32_t i = 0; i < 100; i++) {
        assert_int_equal(arrivals_of(&p->out, i), 1);
        assert_int_equal(arrivals_of(&p->in, i), 1);
    }
}

static void test_udp_dup_one_delivers_every_datagram_twice_both_ways(void **state)
{
    struct udp_pair *p = *state;

    assert_int_equal(nsemu_set("udp.dup", "1"), NSAPI_ERROR_OK);
    exchange(p, 60);
    assert_int_equal(p->out.n, 120);
    assert_int_equal(p->in.n, 120);
    for (uint32_t i = 0; i < 60; i++) {
        assert_int_equal(arrivals_of(&p->out, i), 2);
        assert_int_equal(arrivals_of(&p->in, i), 2);
    }
}

/* ---- udp.reorder ------------------------------------------------------------------- */

static void test_udp_reorder_is_off_by_default(void **state)
{
    struct udp_pair *p = *state;

    assert_knob("udp.reorder", "0");
    exchange(p, 100);
    assert_false(arrivals_out_of_order(&p->out));
    assert_false(arrivals_out_of_order(&p->in));
}

static void test_udp_reorder_delivers_some_late_and_loses_none_both_ways(void **state)
{
    struct udp_pair *p = *state;

    assert_int_equal(nsemu_set("udp.reorder", "0.3"), NSAPI_ERROR_OK);
    exchange(p, 200);
    assert_true(arrivals_out_of_order(&p->out));
    assert_true(arrivals_out_of_order(&p->in));
    assert_int_equal(p->out.n, 200);
    assert_int_equal(p->in.n, 200);
    for (uint32_t i = 0; i < 200; i++) {
        assert_int_equal(arrivals_of(&p->out, i), 1);
        assert_int_equal(arrivals_of(&p->in, i), 1);
    }
}

static void test_udp_reorder_releases_a_held_datagram_when_no_other_follows(void **state)
{
    struct udp_pair *p = *state;
    uint8_t buf[LEN];
    socket_address_t to;

    assert_int_equal(nsemu_set("udp.reorder", "1"), NSAPI_ERROR_OK);
    /* Every datagram is held; a single one goes after its 10 ms all the same. */
    addr_of(&to, "127.0.0.1", p->peer_port);
    datagram_fill(buf, sizeof(buf), 7);
    assert_int_equal(udp_socket_sendto(p->s, &to, buf, sizeof(buf)), LEN);
    assert_int_equal(posix_recvfrom_within(p->fd, buf, sizeof(buf), WAIT_MS, NULL, NULL), LEN);
    assert_int_equal(datagram_seq(buf, LEN), 7);
    datagram_fill(buf, sizeof(buf), 8);
    posix_sendto(p->fd, "127.0.0.1", p->port, buf, sizeof(buf));
    socket_set_timeout(p->s, WAIT_MS);
    assert_int_equal(udp_socket_recvfrom(p->s, NULL, buf, sizeof(buf)), LEN);
    assert_int_equal(datagram_seq(buf, LEN), 8);
}

/* ---- udp.truncate ------------------------------------------------------------------ */

static void test_udp_truncate_is_off_by_default(void **state)
{
    struct udp_pair *p = *state;

    assert_knob("udp.truncate", "0");
    exchange(p, 100);
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(p->out.len[i], LEN);
        assert_int_equal(p->in.len[i], LEN);
    }
}

/* A cut datagram is a prefix of what was sent (datagram_seq checks the pattern of those
 * of 4 bytes or more). */
static void test_udp_truncate_one_cuts_every_datagram_both_ways(void **state)
{
    struct udp_pair *p = *state;

    assert_int_equal(nsemu_set("udp.truncate", "1"), NSAPI_ERROR_OK);
    exchange(p, 60); /* every sendto still reports LEN bytes sent */
    assert_int_equal(p->out.n, 60);
    assert_int_equal(p->in.n, 60);
    for (size_t i = 0; i < 60; i++) {
        assert_in_range(p->out.len[i], 0, LEN - 1);
        assert_in_range(p->in.len[i], 0, LEN - 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, pair_open, pair_close)
        T(test_udp_loss_is_off_by_default),
        T(test_udp_loss_one_loses_every_datagram_both_ways),
        T(test_udp_loss_half_loses_about_half_both_ways),
        T(test_udp_dup_is_off_by_default),
        T(test_udp_dup_one_delivers_every_datagram_twice_both_ways),
        T(test_udp_reorder_is_off_by_default),
        T(test_udp_reorder_delivers_some_late_and_loses_none_both_ways),
        T(test_udp_reorder_releases_a_held_datagram_when_no_other_follows),
        T(test_udp_truncate_is_off_by_default),
        T(test_udp_truncate_one_cuts_every_datagram_both_ways),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
