/*
 * test_knobs.c: the knob table: values are checked by type and range, address lists
 * parse, and docs/scenario.md documents every knob with its default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "knobs.h"

static const char *docs_path;

static void test_int_knob_accepts_values_in_range(void **state)
{
    char why[200];

    (void)state;
    assert_true(knob_check(KNOB_DEVICE_SOCKETS, "1", why, sizeof(why)));
    assert_true(knob_check(KNOB_DEVICE_SOCKETS, "1024", why, sizeof(why)));
}

static void test_int_knob_rejects_out_of_range_and_text(void **state)
{
    char why[200];

    (void)state;
    assert_false(knob_check(KNOB_DEVICE_SOCKETS, "0", why, sizeof(why)));
    assert_string_equal(why, "'0' is not a whole number from 1 to 1024");
    assert_false(knob_check(KNOB_DEVICE_SOCKETS, "16x", why, sizeof(why)));
    assert_false(knob_check(KNOB_DEVICE_SOCKETS, "", why, sizeof(why)));
}

static void test_bool_knob_takes_only_true_or_false(void **state)
{
    char why[200];

    (void)state;
    assert_true(knob_check(KNOB_HOST_EXPOSE, "true", why, sizeof(why)));
    assert_false(knob_check(KNOB_HOST_EXPOSE, "yes", why, sizeof(why)));
    assert_string_equal(why, "'yes' is not true or false");
}

static void test_address_knobs_check_the_ip_version(void **state)
{
    char why[200];

    (void)state;
    assert_true(knob_check(KNOB_HOST_ADDRESS, "127.0.0.5", why, sizeof(why)));
    assert_false(knob_check(KNOB_HOST_ADDRESS, "::1", why, sizeof(why)));
    assert_true(knob_check(KNOB_HOST_ADDRESS6, "::1", why, sizeof(why)));
    assert_false(knob_check(KNOB_HOST_ADDRESS6, "127.0.0.1", why, sizeof(why)));
}

static void test_mac_knob_needs_six_octets(void **state)
{
    char why[200];

    (void)state;
    assert_true(knob_check(KNOB_DEVICE_MAC, "02:aa:bb:cc:dd:ee", why, sizeof(why)));
    assert_false(knob_check(KNOB_DEVICE_MAC, "02:aa:bb:cc:dd", why, sizeof(why)));
    assert_false(knob_check(KNOB_DEVICE_MAC, "02:aa:bb:cc:dd:ee:ff", why, sizeof(why)));
}

static void test_address_list_parses_ports_and_ipv6_brackets(void **state)
{
    struct addr_port list[4];
    char text[NSAPI_IP_SIZE];

    (void)state;
    assert_int_equal(addr_list_parse("127.0.0.1:5353  [::1]:53 10.0.2.3", list, 4), 3);
    assert_int_equal(list[0].port, 5353);
    assert_int_equal(list[1].port, 53);
    addr_format(&list[1].addr, text, sizeof(text));
    assert_string_equal(text, "::1");
    assert_int_equal(list[2].port, 0);
    assert_int_equal(addr_list_parse("", list, 4), 0);
}

static void test_address_list_rejects_bad_entries(void **state)
{
    struct addr_port list[2];

    (void)state;
    assert_int_equal(addr_list_parse("127.0.0.1:0", list, 2), -1);
    assert_int_equal(addr_list_parse("127.0.0.1:70000", list, 2), -1);
    assert_int_equal(addr_list_parse("::1:53", list, 2), 1); /* an IPv6 literal, no port */
    assert_int_equal(addr_list_parse("[::1]", list, 2), -1);
    assert_int_equal(addr_list_parse("localhost", list, 2), -1);
    assert_int_equal(addr_list_parse("1.1.1.1 2.2.2.2 3.3.3.3", list, 2), -1);
}

static void test_set_and_restore_go_back_to_the_startup_value(void **state)
{
    char why[200], text[64];

    (void)state;
    assert_true(knob_set(KNOB_DEVICE_CONNECT_TIMEOUT_MS, "250", false, why, sizeof(why)));
    assert_int_equal(knob_int(KNOB_DEVICE_CONNECT_TIMEOUT_MS), 250);
    knob_restore(KNOB_DEVICE_CONNECT_TIMEOUT_MS);
    knob_text(KNOB_DEVICE_CONNECT_TIMEOUT_MS, text, sizeof(text));
    assert_string_equal(text, "10000");
}

static void test_every_knob_is_documented_with_its_default(void **state)
{
    FILE *f = fopen(docs_path, "r");
    static char doc[65536];
    size_t n;

    (void)state;
    assert_non_null(f);
    n = fread(doc, 1, sizeof(doc) - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (int i = 0; i < KNOB_COUNT; i++) {
        char row[256];

        snprintf(row, sizeof(row), "| `%s` |", knob_defs[i].name);
        if (strstr(doc, row) == NULL)
            fail_msg("docs/scenario.md has no row for %s", knob_defs[i].name);
        snprintf(row, sizeof(row), "| `%s` |", knob_defs[i].def);
        if (knob_defs[i].def[0] != '\0' && strstr(strstr(doc, knob_defs[i].name), row) == NULL)
            fail_msg("docs/scenario.md does not give %s's default %s", knob_defs[i].name,
                     knob_defs[i].def);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_knob_accepts_values_in_range),
        cmocka_unit_test(test_int_knob_rejects_out_of_range_and_text),
        cmocka_unit_test(test_bool_knob_takes_only_true_or_false),
        cmocka_unit_test(test_address_knobs_check_the_ip_version),
        cmocka_unit_test(test_mac_knob_needs_six_octets),
        cmocka_unit_test(test_address_list_parses_ports_and_ipv6_brackets),
        cmocka_unit_test(test_address_list_rejects_bad_entries),
        cmocka_unit_test(test_set_and_restore_go_back_to_the_startup_value),
        cmocka_unit_test(test_every_knob_is_documented_with_its_default),
    };

    docs_path = argc > 1 ? argv[1] : "docs/scenario.md";
    return cmocka_run_group_tests(tests, NULL, NULL);
}
