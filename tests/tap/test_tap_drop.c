/*
 * test_tap_drop.c: the built-in gateway drops UDP that no forward takes (DESIGN §3):
 * datagrams to a port with no forward at the gateway's address and at the DNS server's
 * reach the gateway's namespace (they are in the capture) and get no answer at all — no
 * ICMP port unreachable, which its kernel would otherwise send.
 * Run by tap_run.sh in the build directory (the capture is drop.pcap there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <netsocket/netsocket.h>

#include "tap_support.h"

static int frames_matching(const char *filter)
{
    char out[64];

    tap_sh(out, sizeof(out), "tshark -r drop.pcap -Y '%s' 2>/dev/null | wc -l", filter);
    return atoi(out);
}

static void test_udp_nobody_takes_gets_no_answer(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    static const char *const to_ip[] = {"10.0.2.2", "10.0.2.3"};
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[64];

    (void)state;
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(s, ni), NSAPI_ERROR_OK);
    socket_set_timeout(s, 200);
    socket_address_init(&to);
    socket_address_set_port(&to, 9999);
    for (int i = 0; i < 6; i++) {
        assert_true(socket_address_set_ip_address(&to, to_ip[i % 2]));
        assert_int_equal(udp_socket_sendto(s, &to, "hello", 5), 5);
        assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)),
                         NSAPI_ERROR_WOULD_BLOCK);
    }
    socket_close(s);
    socket_delete(s);
    assert_int_equal(frames_matching("udp.dstport == 9999"), 6);
    assert_int_equal(frames_matching("icmp"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_nobody_takes_gets_no_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
