/*
 * test_summary.c: the summary nsemu run prints, from event-log lines written here
 * (every line kind the library logs, see the eventlog calls in emu), and the pcap frame count of
 * the tap link's summary line.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "summary.h"

/* The summary of lines, as printed. The caller frees it. */
static char *summary_of(const char *const *lines)
{
    struct summary s;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    summary_init(&s);
    for (int i = 0; lines[i] != NULL; i++)
        summary_add_line(&s, lines[i]);
    summary_print(&s, out);
    summary_free(&s);
    fclose(out);
    return text;
}

#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* One line of every kind the library writes, and some it does not. */
static const char *const every_kind_log[] = {
    "nsemu 0.1.0 seed=42",
    "t=0.000100 dhcp discover",
    "t=0.000200 dhcp nak",
    "t=0.000300 dhcp discover",
    "t=0.000400 dhcp delay ms=100",
    "t=0.100000 dhcp lease ip=127.0.0.1",
    "t=0.100100 sock=1 open udp",
    "t=0.100200 sock=1 udp.loss drop len=512 to=127.0.0.1:9000",
    "t=0.100300 sock=1 udp.loss drop len=512 from=127.0.0.1:9000",
    "t=0.100400 sock=1 udp.dup dup len=512 to=127.0.0.1:9000",
    "t=0.100500 sock=1 udp.reorder hold len=512 to=127.0.0.1:9000",
    "t=0.100600 sock=1 udp.reorder lost len=512",
    "t=0.100700 sock=1 udp.truncate cut len=512 to_len=17 to=127.0.0.1:9000",
    "t=0.100800 sock=2 open tcp",
    "t=0.100900 sock=2 tcp.connect refuse to=127.0.0.1:1883",
    "t=0.101000 sock=2 tcp.connect timeout to=127.0.0.1:1883",
    "t=0.101100 sock=3 open server",
    "t=0.101200 sock=4 open tcp",
    "t=0.101300 sock=4 tcp.reset_after_bytes reset",
    "t=0.101400 dns query name=example.com type=A server=127.0.0.53:53",
    "t=0.101500 dns.mode fail server=127.0.0.53:53",
    "t=0.101600 dns server-error name=example.com server=127.0.0.53:53",
    "t=0.101700 dns.delay_ms delay ms=20",
    "t=0.101800 dns answer name=example.com addr=93.184.216.34 server=127.0.0.53:53",
    "t=0.101900 dns static name=broker.example addr=127.0.0.1",
    "t=1.000000 timeline set udp.loss 0.5",
    "t=1.500000 control set tcp.latency_ms 50",
    "t=1.600000 control clear tcp.latency_ms",
    "t=1.700000 control reset",
    "t=2.000000 link down",
    "t=2.000100 sock=1 link down drop datagrams=3",
    "t=2.500000 link up",
    "t=3.000000 timeline connections reset",
    "t=3.000100 sock=2 connections reset reset",
    "t=3.000200 host port_offset 8000 ports 1-1023 bind at port+8000 (80 -> 8080)",
    "t=3.000300 timeline ap line=12 ignored (no WiFi interface)",
    "t=3.100000 sock=1 close",
    "t=3.200000 sock=4 close",
    "t=3.300000 something new=1",
    "t=4.000000 wifi connect ssid=\"Home Net\" security=wpa2 channel=0",
    "t=4.000100 wifi no-ssid ssid=\"Nowhere\" reason=not-found",
    "t=4.000200 wifi assoc ap=\"Home Net\" bssid=02:00:00:00:01:01 channel=6 assoc_ms=300",
    "t=4.000300 wifi auth fail ap=\"Home Net\" reason=password security=wpa2 ap_security=wpa2",
    "t=4.300000 wifi assoc ok ap=\"Home Net\"",
    "t=4.300100 wifi dhcp ap=\"Home Net\" dhcp=ok",
    "t=5.000000 wifi ap=\"Home Net\" gone",
    "t=5.000100 wifi lost ap=\"Home Net\" (no other AP of ssid \"Home Net\" to roam to)",
    "t=6.000000 wifi ap=Other back",
    "t=6.000100 wifi ap=\"Home Net\" rssi=-80",
    "t=6.000200 wifi roam from=\"Home Net\" to=\"Home 2\" rssi=-50",
    "t=6.000300 wifi scan found=2 returned=2",
    "t=7.000000 wire out frame.loss drop len=1514",
    "t=7.000100 wire in frame.corrupt flip bit=77 len=1514",
    "t=7.000200 wire in frame.dup dup len=66",
    "t=7.000300 wire mode per-frame",
    NULL,
};

static void test_every_line_kind_is_counted_where_it_belongs(void **state)
{
    char *text = summary_of(every_kind_log);

    (void)state;
    assert_string_equal(
        text, "nsemu: seed 42 (replay with --seed 42)\n"
              "nsemu: faults: udp.loss 2, udp.dup 1, udp.reorder 2 (hold 1, lost 1), "
              "udp.truncate 1, tcp.connect 2 (refuse 1, timeout 1), tcp.reset_after_bytes 1, "
              "dns.mode 1, dns.delay_ms 1, frame.loss 1, frame.corrupt 1, frame.dup 1\n"
              "nsemu: link: down 1, datagrams dropped 3, up 1, connections reset 1\n"
              "nsemu: knobs: timeline set 1, control set 1, control clear 1, control reset 1\n"
              "nsemu: wifi: connect 1, no-ssid 1, auth fail 1, assoc ok 1, dhcp 1, ap gone 1, "
              "lost 1, ap back 1, ap rssi 1, roam 1, scan 1\n"
              "nsemu: dhcp: nak 1, delay 1, lease 1\n"
              "nsemu: dns: server-error 1, answer 1, static 1\n"
              "nsemu: sockets: 4 opened (tcp 2, udp 1, server 1), 2 left open: sock=2 (tcp), "
              "sock=3 (server)\n");
    free(text);
}

static void test_an_empty_log_has_no_faults_and_no_sockets(void **state)
{
    char *text = summary_of(LINES("nsemu 0.1.0 seed=18446744073709551615"));

    (void)state;
    assert_string_equal(text, "nsemu: seed 18446744073709551615 (replay with --seed "
                              "18446744073709551615)\n"
                              "nsemu: faults: none\n"
                              "nsemu: sockets: none opened\n");
    free(text);
}

static void test_many_sockets_left_open_are_cut_short(void **state)
{
    const char *lines[13];
    char buf[12][32];
    char *text;

    (void)state;
    for (int i = 0; i < 12; i++) {
        snprintf(buf[i], sizeof(buf[i]), "t=0.1 sock=%d open udp", i + 1);
        lines[i] = buf[i];
    }
    lines[12] = NULL;
    text = summary_of(lines);
    assert_non_null(strstr(text, "nsemu: sockets: 12 opened (udp 12), 12 left open: sock=1 "
                                 "(udp), sock=2 (udp), sock=3 (udp), sock=4 (udp), sock=5 (udp), "
                                 "sock=6 (udp), sock=7 (udp), sock=8 (udp) and 4 more\n"));
    free(text);
}

static void test_bad_lines_do_no_harm(void **state)
{
    char *text =
        summary_of(LINES("", "garbage", "t=", "t=1 sock=x open udp", "t=1 sock=0 open udp",
                         "t=1 sock=99999999999 open udp", "t=1 sock=5 close", "t=1 sock=1"));

    (void)state;
    assert_string_equal(text, "nsemu: faults: none\nnsemu: sockets: none opened\n");
    free(text);
}

/* A classic pcap: the file header, then per frame a 16-byte header and the frame. */
static void write_pcap(const char *path, int frames, bool swapped)
{
    static const uint8_t le[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
    static const uint8_t be[24] = {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 4, 0, 0, 0, 0, 0, 1};
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fwrite(swapped ? be : le, 1, 24, f);
    for (int i = 0; i < frames; i++) {
        uint8_t rec[16] = {0}, frame[60] = {0};
        uint32_t len = 60 - (uint32_t)i;

        if (swapped) {
            rec[11] = rec[15] = (uint8_t)len;
        } else {
            rec[8] = rec[12] = (uint8_t)len;
        }
        fwrite(rec, 1, sizeof(rec), f);
        fwrite(frame, 1, len, f);
    }
    fclose(f);
}

static void test_pcap_frames_are_counted_in_either_byte_order(void **state)
{
    char path[] = "/tmp/nsemu-summary-test-XXXXXX";
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_pcap(path, 3, false);
    assert_int_equal(summary_pcap_frames(path), 3);
    write_pcap(path, 5, true);
    assert_int_equal(summary_pcap_frames(path), 5);
    write_pcap(path, 0, false);
    assert_int_equal(summary_pcap_frames(path), 0);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "not a pcap file at all, no", 26), 26);
    close(fd);
    assert_int_equal(summary_pcap_frames(path), -1);
    unlink(path);
    assert_int_equal(summary_pcap_frames(path), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_line_kind_is_counted_where_it_belongs),
        cmocka_unit_test(test_an_empty_log_has_no_faults_and_no_sockets),
        cmocka_unit_test(test_many_sockets_left_open_are_cut_short),
        cmocka_unit_test(test_bad_lines_do_no_harm),
        cmocka_unit_test(test_pcap_frames_are_counted_in_either_byte_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
