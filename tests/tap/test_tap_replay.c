/*
 * test_tap_replay.c: replay of frame faults (DESIGN §5): each wire direction draws from
 * its own stream of the seed, so two runs of the same device behaviour with one seed
 * lose, double and corrupt the same frames: their event logs' wire lines (and the
 * capture's .faults, once its t= and frame numbers are set aside) are the same, and
 * another seed gives others.
 *
 * The runs are children: this program started again with `child` and an environment of
 * the test's choosing ([tap] far = peer, frame faults, a seed, a log). A child gives
 * itself 10.0.2.15, starts a UDP echo in the peer namespace and exchanges 60 numbered
 * datagrams in lockstep — one out, its echo back or 150 ms of silence — so that the
 * frames on the wire follow from the fault decisions alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "tap_support.h"

#define ROUNDS 60

static char self[1024];

static int child(void)
{
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char out[200], in[256];

    tap_udp_echo_in(tap_ns("peer"), "10.0.2.2", 7300);
    tap_static_up();
    socket_open(s, network_interface_get_default_instance());
    socket_set_timeout(s, 150);
    socket_address_init(&to);
    socket_address_set_ip_address(&to, "10.0.2.2");
    socket_address_set_port(&to, 7300);
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(out, sizeof(out), "datagram %03d %0160d", i, 0);
        udp_socket_sendto(s, &to, out, strlen(out));
        udp_socket_recvfrom(s, NULL, in, sizeof(in)); /* the echo, or the timeout */
    }
    socket_close(s);
    socket_delete(s);
    return 0;
}

/* Runs a child with seed; its event log's wire lines without t=, and .faults without t=
 * and numbers, into out — direction by direction, as the two directions' threads may
 * interleave their lines either way. */
static void run(const char *seed, const char *tag, char *out, size_t len)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd),
             "NSEMU_SEED=%s NSEMU_LOG=replay-%s.log NSEMU_PCAP=replay-%s.pcap "
             "NSEMU_FAULTS=dns.resolv_conf=,frame.loss=0.15,frame.dup=0.1,frame.corrupt=0.1 "
             "'%s' child >/dev/null 2>&1 || echo child failed",
             seed, tag, tag, self);
    assert_int_equal(tap_sh(NULL, 0, "%s", cmd), 0);
    tap_sh(out, len,
           "for dir in out in; do "
           "grep \" wire $dir \" replay-%s.log | cut -d' ' -f2-; "
           "grep \"dir=$dir\" replay-%s.pcap.faults | sed -e 's/^[0-9]* //' -e 's/ t=[0-9.]*//'; "
           "done",
           tag, tag);
}

static void test_one_seed_hits_the_same_frames_another_others(void **state)
{
    static char a[1 << 16], b[1 << 16], c[1 << 16];

    (void)state;
    run("42", "a", a, sizeof(a));
    run("42", "b", b, sizeof(b));
    run("43", "c", c, sizeof(c));
    assert_non_null(strstr(a, "wire out frame.loss drop"));
    assert_non_null(strstr(a, "wire in frame.loss drop"));
    assert_non_null(strstr(a, "frame.dup dup"));
    assert_non_null(strstr(a, "frame.corrupt flip"));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_seed_hits_the_same_frames_another_others),
    };

    if (argc == 2 && strcmp(argv[1], "child") == 0)
        return child();
    if (realpath(argv[0], self) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
