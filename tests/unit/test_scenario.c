/*
 * test_scenario.c: the scenario file (DESIGN §5). Each test writes a file into a
 * temporary directory and runs knob_probe, a tiny device program, with NSEMU_SCENARIO
 * naming it: a good file sets knobs and the rest of the configuration, the environment
 * wins over the file, and every bad file stops the program before main with exactly one
 * line on stderr (FILE:LINE: KEY: what is wrong) and exit status 2.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *probe;
static const char *examples_dir;
static char dir[] = "/tmp/nsemu-scenario-XXXXXX";
static char path[sizeof(dir) + 64];

struct run {
    int status;
    char out[8192], err[1024];
};

/* ---- helpers ------------------------------------------------------------------------ */

/* Writes text as DIR/scenario.ini; path names it. */
static const char *scenario(const char *text)
{
    FILE *f;

    snprintf(path, sizeof(path), "%s/scenario.ini", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;

    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

/* Runs the probe with args; env holds NAME=VALUE entries (NULL-terminated) and is all
 * the nsemu environment the probe sees. */
/* Set by a test: the probe runs without CAP_NET_ADMIN and CAP_SYS_ADMIN (a root parent
 * drops them from the bounding set, so the exec'd probe cannot have them). */
static bool without_tap_caps;

static void run_probe(const char *const *env, const char *const *args, struct run *r)
{
    static const char *const ours[] = {"NSEMU_SCENARIO", "NSEMU_SEED", "NSEMU_LINK",
                                       "NSEMU_LOG",      "NSEMU_PCAP", "NSEMU_FAULTS"};
    int out[2], err[2], status;
    pid_t pid;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[16] = {probe};
        int n = 1;

        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        if (chdir(dir) != 0) /* an event log a scenario names lands there */
            _exit(126);
        if (without_tap_caps) { /* fails harmlessly when we never had them */
            prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0);
            prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
        }
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
            unsetenv(ours[i]);
        setenv("NSEMU_FAULTS", "dns.resolv_conf=", 1); /* never the host's resolvers */
        for (; env != NULL && *env != NULL; env++)
            putenv((char *)*env);
        for (; args != NULL && *args != NULL && n < 15; args++)
            argv[n++] = *args;
        execv(probe, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    read_all(out[0], r->out, sizeof(r->out));
    read_all(err[0], r->err, sizeof(r->err));
    close(out[0]);
    close(err[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs the probe on text as the scenario file, with extra environment entries. */
static void run_file(const char *text, const char *const *env, const char *const *args,
                     struct run *r)
{
    static char var[sizeof("NSEMU_SCENARIO=") + sizeof(path)];
    const char *all[16] = {var};
    int n = 1;

    snprintf(var, sizeof(var), "NSEMU_SCENARIO=%s", scenario(text));
    for (; env != NULL && *env != NULL && n < 15; env++)
        all[n++] = *env;
    run_probe(all, args, r);
}

/* The program ran: exit status 0, and nothing on stderr but the seed line a random
 * fault prints when no event log is set (DESIGN §5). */
static void assert_ran(const struct run *r)
{
    const char *err = r->err;

    if (strncmp(err, "nsemu: seed ", 12) == 0 && strchr(err, '\n') != NULL)
        err = strchr(err, '\n') + 1;
    assert_string_equal(err, "");
    assert_int_equal(r->status, 0);
}

/* The file must stop the program with exactly this line (after "FILE:"). */
static void expect_error(const char *text, const char *const *env, const char *line)
{
    char expected[1024];
    struct run r;

    run_file(text, env, NULL, &r);
    snprintf(expected, sizeof(expected), "%s:%s\n", path, line);
    assert_string_equal(r.err, expected);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
}

/* The environment alone must stop the program with exactly this line. */
static void expect_env_error(const char *const *env, const char *line)
{
    struct run r;

    run_probe(env, NULL, &r);
    assert_string_equal(r.err, line);
    assert_int_equal(r.status, 2);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ENV(...)  ((const char *const[]){__VA_ARGS__, NULL})

/* ---- good files ----------------------------------------------------------------------- */

static void test_file_sets_knobs_of_every_section(void **state)
{
    struct run r;

    (void)state;
    run_file("; a comment\n"
             "# another\n"
             "[device]\n"
             "sockets = 4\n"
             "[host]\n"
             "port_offset = 0\n"
             "address = 127.0.0.7\n"
             "[ethernet]\n"
             "dhcp = delay_ms:250\n"
             "[wifi]\n"
             "ssid = HomeNet\n"
             "[dns]\n"
             "mode = fail        ; inline comment\n"
             "[faults]\n"
             "udp.loss = 0.1\n"
             "tcp.connect = refuse\n",
             NULL,
             ARGS("device.sockets", "host.port_offset", "host.address", "ethernet.dhcp",
                  "wifi.ssid", "dns.mode", "udp.loss", "tcp.connect"),
             &r);
    assert_ran(&r);
    assert_string_equal(r.out, "4\n0\n127.0.0.7\ndelay_ms:250\nHomeNet\nfail\n0.1\nrefuse\n");
}

static void test_nsemu_faults_wins_over_the_file(void **state)
{
    struct run r;

    (void)state;
    run_file("[faults]\nudp.loss = 0.1\nudp.dup = 0.3\n", ENV("NSEMU_FAULTS=udp.loss=0.2"),
             ARGS("udp.loss", "udp.dup"), &r);
    assert_ran(&r);
    assert_string_equal(r.out, "0.2\n0.3\n");
}

static void test_environment_wins_over_emulator_section(void **state)
{
    struct run r;

    (void)state;
    run_file("[emulator]\nseed = 42\nlink = tap\nlog = file.log\n",
             ENV("NSEMU_SEED=7", "NSEMU_LINK=host", "NSEMU_LOG=env.log"), ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "seed 7\nlink host\ninterface ethernet\nlog env.log\n"));
}

static void test_emulator_section_sets_seed_interface_and_log(void **state)
{
    struct run r;

    (void)state;
    run_file("[emulator]\nseed = 18446744073709551615\ninterface = wifi\nlog = run.log\n"
             "link = host\n",
             NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "seed 18446744073709551615\nlink host\ninterface wifi\n"
                                  "log run.log\n"));
}

static void test_without_any_ap_section_the_world_is_the_default_one(void **state)
{
    struct run r;

    (void)state;
    run_probe(NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "aps_given false\n"));
    assert_non_null(strstr(r.out, "ap \"nsemu\" ssid=\"nsemu\" "));
    assert_non_null(strstr(r.out, "security=none password=\"\" rssi=-50 channel=1 "));
    assert_non_null(strstr(r.out, "ap \"nsemu-secure\" ssid=\"nsemu-secure\" "));
    assert_non_null(strstr(r.out, "security=wpa2 password=\"nsemu-password\" rssi=-60 "
                                  "channel=6 "));
}

static void test_ap_keys_and_defaults(void **state)
{
    struct run r;

    (void)state;
    run_file("[ap \"Home\"]\n"
             "security = wpa2\n"
             "password = secret-password\n"
             "rssi = -45\n"
             "channel = 6\n"
             "hidden = true\n"
             "assoc_ms = 50\n"
             "assoc = timeout\n"
             "dhcp = nak\n"
             "bssid = 02:00:00:00:01:01\n"
             "[ap \"Plain\"]\n"
             "[ap \"Roam\"]\n"
             "ssid = \"Home\"\n"
             "security = wep\n"
             "password = 0123456789\n",
             NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "aps_given true\n"));
    assert_non_null(strstr(r.out, "ap \"Home\" ssid=\"Home\" bssid=02:00:00:00:01:01 security=wpa2 "
                                  "password=\"secret-password\" rssi=-45 channel=6 hidden=true "
                                  "assoc_ms=50 assoc=timeout dhcp=nak\n"));
    assert_non_null(strstr(r.out, "ap \"Plain\" ssid=\"Plain\" bssid="));
    assert_non_null(strstr(r.out, "security=none password=\"\" rssi=-50 channel=1 hidden=false "
                                  "assoc_ms=300 assoc=ok dhcp=ok\n"));
    assert_non_null(strstr(r.out, "ap \"Roam\" ssid=\"Home\" "));
    assert_non_null(strstr(r.out, "security=wep password=\"0123456789\" "));
}

/* The BSSID of "LABEL" as the probe prints it. */
static void bssid_of(const char *out, const char *label, char bssid[18])
{
    char key[128];
    const char *at;

    snprintf(key, sizeof(key), "ap \"%s\" ", label);
    at = strstr(out, key);
    assert_non_null(at);
    at = strstr(at, "bssid=");
    assert_non_null(at);
    memcpy(bssid, at + 6, 17);
    bssid[17] = '\0';
}

static void test_derived_bssids_are_stable_distinct_and_locally_administered(void **state)
{
    const char *text = "[ap \"A\"]\n[ap \"B\"]\n";
    char a1[18], b1[18], a2[18];
    unsigned first;
    struct run r;

    (void)state;
    run_file(text, NULL, ARGS("--config"), &r);
    bssid_of(r.out, "A", a1);
    bssid_of(r.out, "B", b1);
    run_file("[ap \"Other\"]\n[ap \"A\"]\n", NULL, ARGS("--config"), &r);
    bssid_of(r.out, "A", a2);
    assert_string_equal(a1, a2);
    assert_string_not_equal(a1, b1);
    assert_int_equal(sscanf(a1, "%2x", &first), 1);
    assert_int_equal(first & 0x03, 0x02); /* locally administered, unicast */
}

static void test_dns_static_names_are_lower_case_without_trailing_dot(void **state)
{
    struct run r;

    (void)state;
    run_file("[dns]\n"
             "static.Example.COM. = 127.0.0.5\n"
             "static.example.com = ::1\n"
             "static.other.test = 10.0.0.1\n"
             "static.other.test = 10.0.0.2\n",
             NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "static example.com 127.0.0.5\n"
                                  "static example.com ::1\n"
                                  "static other.test 10.0.0.2\n"));
}

static void test_gateway_forwards_and_lease_are_read(void **state)
{
    struct run r;

    (void)state;
    /* --read parses the file alone: no link check, so [gateway] can be seen on host. */
    run_probe(NULL,
              ARGS("--read", scenario("[gateway]\n"
                                      "forward = tcp:1883 -> 127.0.0.1:1883\n"
                                      "forward = udp:5683->[::1]:15683\n"
                                      "lease_s = 600\n")),
              &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "forward tcp:1883 -> 127.0.0.1 port 1883\n"
                                  "forward udp:5683 -> ::1 port 15683\n"
                                  "lease_s 600\n"));
}

static void test_timeline_is_sorted_by_time_keeping_file_order(void **state)
{
    struct run r;

    (void)state;
    run_file("[timeline]\n"
             "2s = link up\n"
             "500ms = set udp.loss 0.5\n"
             "1.5s = ap \"Later\" gone\n"
             "0.5s = link down\n"
             "2s = connections reset\n"
             "3.25s = ap \"Later\" rssi -80\n"
             "4s = ap \"Later\" back\n"
             "5s = set ethernet.dhcp delay_ms:100\n"
             "[ap \"Later\"]\n",
             NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "event 500 line=3 set udp.loss 0.5\n"
                                  "event 500 line=5 link down\n"
                                  "event 1500 line=4 ap \"Later\" gone\n"
                                  "event 2000 line=2 link up\n"
                                  "event 2000 line=6 connections reset\n"
                                  "event 3250 line=7 ap \"Later\" rssi -80\n"
                                  "event 4000 line=8 ap \"Later\" back\n"
                                  "event 5000 line=9 set ethernet.dhcp delay_ms:100\n"));
}

static void test_timeline_may_name_the_default_world(void **state)
{
    struct run r;

    (void)state;
    run_file("[timeline]\n1s = ap \"nsemu-secure\" gone\n", NULL, ARGS("--config"), &r);
    assert_ran(&r);
    assert_non_null(strstr(r.out, "event 1000 line=2 ap \"nsemu-secure\" gone\n"));
}

static void test_quotes_keep_spaces_and_crlf_lines_are_read(void **state)
{
    struct run r;

    (void)state;
    run_file("[wifi]\r\nssid = \" My Net \"\r\npassword = a;b  ; comment\r\n", NULL,
             ARGS("wifi.ssid", "wifi.password"), &r);
    assert_ran(&r);
    assert_string_equal(r.out, " My Net \na;b\n");
}

static void test_line_of_199_characters_is_read_whole(void **state)
{
    char text[512];
    struct run r;

    (void)state;
    /* "ssid = " and 32 characters, then a comment to make the line 199 long. */
    snprintf(text, sizeof(text), "[wifi]\nssid = %s ;%0*d\n", "abcdefghijklmnopqrstuvwxyz012345",
             199 - 7 - 32 - 2, 0);
    run_file(text, NULL, ARGS("wifi.ssid"), &r);
    assert_ran(&r);
    assert_string_equal(r.out, "abcdefghijklmnopqrstuvwxyz012345\n");
}

static void test_every_example_file_loads(void **state)
{
    DIR *d = opendir(examples_dir);
    struct dirent *e;
    int loaded = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char var[1024];
        size_t n = strlen(e->d_name);
        struct run r;

        if (n < 4 || strcmp(e->d_name + n - 4, ".ini") != 0)
            continue;
        snprintf(var, sizeof(var), "NSEMU_SCENARIO=%s/%s", examples_dir, e->d_name);
        run_probe(ENV(var), ARGS("--config"), &r);
        if (r.status != 0)
            fail_msg("%s: %s", e->d_name, r.err);
        assert_ran(&r);
        loaded++;
    }
    closedir(d);
    assert_true(loaded > 0);
}

/* ---- errors in the file ------------------------------------------------------------------ */

static void test_unknown_section(void **state)
{
    (void)state;
    expect_error("[device]\nsockets = 4\n\n[bogus]\n", NULL, "4: [bogus]: unknown section");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("[device]\nsockets = 4\nsockts = 5\n", NULL, "3: sockts: unknown key in [device]");
}

static void test_bad_value(void **state)
{
    (void)state;
    expect_error("[dns]\nmode = sometimes\n", NULL,
                 "2: mode: 'sometimes' is not one of ok|fail|timeout");
}

static void test_out_of_range_number(void **state)
{
    (void)state;
    expect_error("[device]\nsockets = 2000\n", NULL,
                 "2: sockets: '2000' is not a whole number from 1 to 1024");
}

static void test_fault_knob_of_another_section(void **state)
{
    (void)state;
    expect_error("[faults]\ndevice.sockets = 2\n", NULL,
                 "2: device.sockets: not a fault: write it as sockets in [device]");
}

static void test_tap_key_on_the_host_link(void **state)
{
    (void)state;
    expect_error("[emulator]\nlink = host\n[tap]\npcap = out.pcap\n", NULL,
                 "4: pcap: applies to the tap link only, and the link is host");
}

static void test_frame_fault_on_the_host_link(void **state)
{
    (void)state;
    expect_error("[faults]\nudp.loss = 0.1\nframe.loss = 0.1\n", NULL,
                 "3: frame.loss: applies to the tap link only, and the link is host");
}

static void test_gateway_on_the_host_link(void **state)
{
    (void)state;
    expect_error("[gateway]\nlease_s = 600\n", NULL,
                 "2: lease_s: applies to the tap link only, and the link is host");
}

static void test_tap_far_must_be_a_far_side(void **state)
{
    (void)state;
    expect_error("[tap]\nfar = cable\n", NULL,
                 "2: far: 'cable' is not gateway, peer, host or iface:NAME");
    expect_error("[tap]\nfar = iface:nosuch0\n", NULL,
                 "2: far: no network interface nosuch0 here (ip link lists them)");
}

static void test_tap_pcap_must_be_writable(void **state)
{
    (void)state;
    expect_error("[tap]\npcap = /nonexistent-dir/x.pcap\n", NULL,
                 "2: pcap: cannot create '/nonexistent-dir/x.pcap': No such file or directory");
    expect_error("[tap]\npcap = /tmp/\n", NULL, "2: pcap: '/tmp/' names a directory, not a file");
}

static void test_frame_fault_in_the_timeline_on_the_host_link(void **state)
{
    (void)state;
    expect_error("[timeline]\n1s = set frame.loss 0.5\n", NULL,
                 "2: frame.loss: applies to the tap link only, and the link is host");
}

static void test_link_tap_without_the_capabilities(void **state)
{
    (void)state;
    /* [host] on tap is moot while the tap link itself cannot be had. */
    without_tap_caps = true;
    expect_error("[host]\nport_offset = 0\n[emulator]\nlink = tap\n", NULL,
                 "4: link: the tap link needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root); "
                 "see nsemu doctor, or use link = host");
    without_tap_caps = false;
}

static void test_host_key_on_the_tap_link(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* without the capabilities, the link itself is the error (above) */
    expect_error("[host]\nport_offset = 0\n[emulator]\nlink = tap\n", NULL,
                 "2: port_offset: applies to the host link only, and the link is tap");
}

static void test_bad_timeline_event(void **state)
{
    (void)state;
    expect_error("[timeline]\n1s = link sideways\n", NULL,
                 "2: 1s: 'link sideways' is not an event (set KNOB VALUE, link down, link up, "
                 "connections reset, ap \"LABEL\" gone|back|rssi N)");
}

static void test_bad_timeline_time(void **state)
{
    (void)state;
    expect_error("[timeline]\n1m = link down\n", NULL, "2: 1m: not a time like 500ms, 2s or 1.5s");
}

static void test_timeline_set_of_a_start_up_knob(void **state)
{
    (void)state;
    expect_error("[timeline]\n1s = set device.sockets 4\n", NULL,
                 "2: 1s: set: device.sockets is fixed at start-up (not a runtime knob)");
}

static void test_timeline_set_checks_the_value(void **state)
{
    (void)state;
    expect_error("[timeline]\n1s = set udp.loss 2\n", NULL,
                 "2: 1s: set udp.loss: '2' is not a probability from 0 to 1");
}

static void test_timeline_ap_label_unknown(void **state)
{
    (void)state;
    expect_error("[ap \"Home\"]\n[timeline]\n1s = ap \"Hom\" gone\n", NULL,
                 "3: 1s: ap: no access point labelled \"Hom\"");
}

static void test_line_over_200_characters(void **state)
{
    char text[512];

    (void)state;
    snprintf(text, sizeof(text), "[wifi]\nssid = x ;%0*d\n", 200 - 10, 0);
    expect_error(text, NULL, "2: line longer than 200 characters");
}

static void test_indented_line(void **state)
{
    (void)state;
    expect_error("[wifi]\nssid = Home\n  password = secret-password\n", NULL,
                 "3: indented line: remove the spaces before it (it would be joined to the "
                 "value above)");
}

static void test_missing_file(void **state)
{
    char var[sizeof(dir) + 64], expected[sizeof(dir) + 128];

    (void)state;
    snprintf(var, sizeof(var), "NSEMU_SCENARIO=%s/none.ini", dir);
    snprintf(expected, sizeof(expected), "%s/none.ini: cannot read: No such file or directory\n",
             dir);
    expect_env_error(ENV(var), expected);
}

static void test_duplicate_ap_label(void **state)
{
    (void)state;
    expect_error("[ap \"Home\"]\nchannel = 6\n[ap \"Home\"]\n", NULL,
                 "3: [ap \"Home\"]: the label \"Home\" is already used at line 1");
}

static void test_short_wpa_password(void **state)
{
    (void)state;
    expect_error("[ap \"Home\"]\nsecurity = wpa2\npassword = short\n", NULL,
                 "3: password: a WPA/WPA2 password has 8 to 63 characters");
}

static void test_secured_ap_without_password(void **state)
{
    (void)state;
    expect_error("[ap \"Home\"]\nsecurity = wpa\n", NULL, "2: security: wpa needs a password");
}

static void test_bad_wep_password(void **state)
{
    (void)state;
    expect_error("[ap \"Home\"]\nsecurity = wep\npassword = 123456\n", NULL,
                 "3: password: a WEP password has 5 or 13 characters, or 10 or 26 hex digits");
}

static void test_line_without_equals_sign(void **state)
{
    (void)state;
    expect_error("[device]\nsockets 4\n", NULL,
                 "2: expected KEY = VALUE, [SECTION] or a ; comment");
}

static void test_key_outside_any_section(void **state)
{
    (void)state;
    expect_error("sockets = 4\n", NULL, "1: sockets: key outside any section");
}

static void test_bad_forward(void **state)
{
    (void)state;
    expect_error("[gateway]\nforward = tcp:1883 to 127.0.0.1:1883\n", NULL,
                 "2: forward: 'tcp:1883 to 127.0.0.1:1883' is not tcp:PORT -> IP:PORT or "
                 "udp:PORT -> IP:PORT");
}

static void test_the_earliest_problem_is_reported(void **state)
{
    char text[512];

    (void)state;
    /* The pre-scan finds the long line first; the unknown key above it still wins. */
    snprintf(text, sizeof(text), "[device]\nsockts = 4\n[wifi]\nssid = x ;%0*d\n", 200, 0);
    expect_error(text, NULL, "2: sockts: unknown key in [device]");
}

/* ---- errors in the environment ---------------------------------------------------------- */

static void test_bad_nsemu_seed(void **state)
{
    (void)state;
    expect_env_error(ENV("NSEMU_SEED=12abc"), "NSEMU_SEED: '12abc' is not a whole number from 0 to "
                                              "18446744073709551615\n");
}

static void test_bad_nsemu_link(void **state)
{
    (void)state;
    expect_env_error(ENV("NSEMU_LINK=wire"), "NSEMU_LINK: 'wire' is not host or tap\n");
}

static void test_nsemu_link_tap_without_the_capabilities(void **state)
{
    (void)state;
    without_tap_caps = true;
    expect_env_error(ENV("NSEMU_LINK=tap"),
                     "NSEMU_LINK: the tap link needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as "
                     "root); see nsemu doctor, or use NSEMU_LINK=host\n");
    without_tap_caps = false;
}

static void test_nsemu_pcap_on_the_host_link(void **state)
{
    (void)state;
    expect_env_error(ENV("NSEMU_PCAP=out.pcap"),
                     "NSEMU_PCAP: applies to the tap link only, and the link is host\n");
}

static void test_frame_fault_in_nsemu_faults_on_the_host_link(void **state)
{
    (void)state;
    expect_env_error(ENV("NSEMU_FAULTS=udp.loss=0.1,frame.dup=0.1"),
                     "NSEMU_FAULTS: frame.dup: applies to the tap link only, and the link is "
                     "host\n");
}

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    (void)state;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char file[sizeof(dir) + 256];

        snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(file);
    }
    if (d != NULL)
        closedir(d);
    return rmdir(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_sets_knobs_of_every_section),
        cmocka_unit_test(test_nsemu_faults_wins_over_the_file),
        cmocka_unit_test(test_environment_wins_over_emulator_section),
        cmocka_unit_test(test_emulator_section_sets_seed_interface_and_log),
        cmocka_unit_test(test_without_any_ap_section_the_world_is_the_default_one),
        cmocka_unit_test(test_ap_keys_and_defaults),
        cmocka_unit_test(test_derived_bssids_are_stable_distinct_and_locally_administered),
        cmocka_unit_test(test_dns_static_names_are_lower_case_without_trailing_dot),
        cmocka_unit_test(test_gateway_forwards_and_lease_are_read),
        cmocka_unit_test(test_timeline_is_sorted_by_time_keeping_file_order),
        cmocka_unit_test(test_timeline_may_name_the_default_world),
        cmocka_unit_test(test_quotes_keep_spaces_and_crlf_lines_are_read),
        cmocka_unit_test(test_line_of_199_characters_is_read_whole),
        cmocka_unit_test(test_every_example_file_loads),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_value),
        cmocka_unit_test(test_out_of_range_number),
        cmocka_unit_test(test_fault_knob_of_another_section),
        cmocka_unit_test(test_tap_key_on_the_host_link),
        cmocka_unit_test(test_frame_fault_on_the_host_link),
        cmocka_unit_test(test_gateway_on_the_host_link),
        cmocka_unit_test(test_frame_fault_in_the_timeline_on_the_host_link),
        cmocka_unit_test(test_tap_far_must_be_a_far_side),
        cmocka_unit_test(test_tap_pcap_must_be_writable),
        cmocka_unit_test(test_link_tap_without_the_capabilities),
        cmocka_unit_test(test_host_key_on_the_tap_link),
        cmocka_unit_test(test_bad_timeline_event),
        cmocka_unit_test(test_bad_timeline_time),
        cmocka_unit_test(test_timeline_set_of_a_start_up_knob),
        cmocka_unit_test(test_timeline_set_checks_the_value),
        cmocka_unit_test(test_timeline_ap_label_unknown),
        cmocka_unit_test(test_line_over_200_characters),
        cmocka_unit_test(test_indented_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_duplicate_ap_label),
        cmocka_unit_test(test_short_wpa_password),
        cmocka_unit_test(test_secured_ap_without_password),
        cmocka_unit_test(test_bad_wep_password),
        cmocka_unit_test(test_line_without_equals_sign),
        cmocka_unit_test(test_key_outside_any_section),
        cmocka_unit_test(test_bad_forward),
        cmocka_unit_test(test_the_earliest_problem_is_reported),
        cmocka_unit_test(test_bad_nsemu_seed),
        cmocka_unit_test(test_bad_nsemu_link),
        cmocka_unit_test(test_nsemu_link_tap_without_the_capabilities),
        cmocka_unit_test(test_nsemu_pcap_on_the_host_link),
        cmocka_unit_test(test_frame_fault_in_nsemu_faults_on_the_host_link),
    };

    if (argc < 3) {
        fprintf(stderr, "usage: %s PATH_TO_KNOB_PROBE EXAMPLES_DIR\n", argv[0]);
        return 1;
    }
    probe = realpath(argv[1], NULL); /* the probe runs in the temporary directory */
    examples_dir = realpath(argv[2], NULL);
    if (probe == NULL || examples_dir == NULL) {
        perror(argv[1]);
        return 1;
    }
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
