/*
 * test_dhcp_dnsmasq.c: the device's DHCP client (tap/dhcp_client.c) against a real,
 * independently written server: dnsmasq (Debian's dnsmasq-base), started by this test
 * in the peer namespace of its own tap link ([tap] far = peer, where eth0 is
 * 10.0.2.2/24) as DHCP and DNS server. The device gets its lease from dnsmasq, sees it
 * in its namespace, resolves dev.test through the DNS server the lease names, renews at
 * the T1 dnsmasq sends, gives the lease up on a NAK while renewing, releases it on
 * disconnect, and declines an ACK whose router is off its subnet. Each test starts
 * dnsmasq afresh with the configuration it needs. Run through tap_run.sh; exits 77 when
 * dnsmasq is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <netsocket/netsocket.h>

#define DNSMASQ   "/usr/sbin/dnsmasq"
#define MAC       "02:00:00:00:00:01" /* [device] mac's default */
#define RANGE     "10.0.2.50,10.0.2.60,255.255.255.0,2m"
#define TIMEOUT_MS 6000 /* dnsmasq.ini: device.dhcp_timeout_ms */
/* dnsmasq's shortest lease is 2 minutes, and it sends T1 = half of it whatever
 * --dhcp-option says: a renewal test waits a minute. */
#define T1_MS     60000

static pid_t dnsmasq_pid;
static char pid_file[64], lease_file[64], dnsmasq_log[64];

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static char peer_ns[64], dev_ns[64]; /* this process's: set in main, before any fork */

/* ---- files: the event log, dnsmasq's lease file and log ------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text;
    long n;

    if (f == NULL)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    n = (long)fread(text, 1, (size_t)n, f);
    text[n > 0 ? n : 0] = '\0';
    fclose(f);
    return text;
}

static int count_in(const char *path, const char *needle)
{
    char *text = slurp(path), *p = text;
    int n = 0;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p++;
    }
    free(text);
    return n;
}

static int log_count(const char *needle)
{
    const char *log = getenv("NSEMU_LOG");

    assert_non_null(log);
    return count_in(log, needle);
}

/* Waits, bounded, until path holds needle at least n times. Polled: a file that another
 * process or thread appends to gives no event to wait on. */
static bool wait_for(const char *path, const char *needle, int n, long timeout_ms)
{
    uint64_t give_up = now_ms() + (uint64_t)timeout_ms;

    while (count_in(path, needle) < n) {
        if (now_ms() >= give_up)
            return false;
        usleep(50000);
    }
    return true;
}

static bool wait_log(const char *needle, int n, long timeout_ms)
{
    return wait_for(getenv("NSEMU_LOG"), needle, n, timeout_ms);
}

/* ---- dnsmasq in the peer namespace ---------------------------------------------------- */

static void stop_dnsmasq(void)
{
    if (dnsmasq_pid > 0) {
        kill(dnsmasq_pid, SIGTERM);
        waitpid(dnsmasq_pid, NULL, 0);
        dnsmasq_pid = 0;
    }
    unlink(pid_file);
    unlink(lease_file);
    unlink(dnsmasq_log);
}

static void on_signal(int sig)
{
    stop_dnsmasq();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Starts dnsmasq with range and one extra option (NULL: none), a fresh lease file, and
 * waits, bounded, for its pid file (written once its sockets are open). */
static void start_dnsmasq(const char *range, const char *extra)
{
    char pid_arg[96], lease_arg[96], log_arg[96], range_arg[96];
    uint64_t give_up = now_ms() + 10000;

    stop_dnsmasq();
    snprintf(pid_arg, sizeof(pid_arg), "--pid-file=%s", pid_file);
    snprintf(lease_arg, sizeof(lease_arg), "--dhcp-leasefile=%s", lease_file);
    snprintf(log_arg, sizeof(log_arg), "--log-facility=%s", dnsmasq_log);
    snprintf(range_arg, sizeof(range_arg), "--dhcp-range=%s", range);
    dnsmasq_pid = fork();
    assert_true(dnsmasq_pid >= 0);
    if (dnsmasq_pid == 0) {
        /* ip netns exec runs dnsmasq in this very process (no fork), so dnsmasq_pid is
         * dnsmasq's pid. */
        char *argv[] = {"ip", "netns", "exec", peer_ns, DNSMASQ,
                        "--keep-in-foreground", pid_arg, lease_arg, "--user=root",
                        "--bind-interfaces", "--interface=eth0", range_arg,
                        "--address=/dev.test/10.0.2.77", "--port=53", "--no-resolv",
                        "--no-hosts", "--conf-file=/dev/null", "--log-dhcp", "--log-queries", log_arg,
                        (char *)extra, NULL};
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDOUT_FILENO);
        execvp("ip", argv);
        _exit(127);
    }
    for (;;) {
        struct stat st;
        int status;

        if (stat(pid_file, &st) == 0 && st.st_size > 0)
            return;
        if (waitpid(dnsmasq_pid, &status, WNOHANG) == dnsmasq_pid) {
            dnsmasq_pid = 0;
            fail_msg("dnsmasq exited at start (status %d)", status);
        }
        assert_true(now_ms() < give_up);
        usleep(10000);
    }
}

/* ---- the device ----------------------------------------------------------------------- */

static network_interface_t *down_interface(void)
{
    network_interface_t *ni = network_interface_get_default_instance();

    assert_non_null(ni);
    if (network_interface_get_connection_status(ni) != NSAPI_STATUS_DISCONNECTED)
        network_interface_disconnect(ni);
    return ni;
}

/* dnsmasq as given, then the device connected through it; its address. */
static const char *connected(const char *range, const char *extra)
{
    network_interface_t *ni = down_interface();
    const char *ip;

    start_dnsmasq(range, extra);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    ip = network_interface_get_ip_address(ni);
    assert_non_null(ip);
    return ip;
}

static bool in_range(const char *ip)
{
    int last;

    return sscanf(ip, "10.0.2.%d", &last) == 1 && last >= 50 && last <= 60;
}

static bool dev_addr_has(const char *text)
{
    char cmd[256], out[4096] = "";
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof(cmd), "ip -n %s -4 addr show dev eth0", dev_ns);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    pclose(p);
    return strstr(out, text) != NULL;
}

static void test_lease_comes_from_dnsmasq_and_is_applied(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    char ip[32], want[128];

    (void)state;
    snprintf(ip, sizeof(ip), "%s", connected(RANGE, NULL));
    assert_true(in_range(ip));
    assert_string_equal(network_interface_get_netmask(ni), "255.255.255.0");
    assert_string_equal(network_interface_get_gateway(ni), "10.0.2.2");
    snprintf(want, sizeof(want), "inet %s/24", ip);
    assert_true(dev_addr_has(want));
    snprintf(want, sizeof(want), "dhcp offer ip=%s server=10.0.2.2", ip);
    assert_true(log_count(want) >= 1);
    snprintf(want, sizeof(want), "DHCPACK(eth0) %s " MAC, ip);
    assert_true(wait_for(dnsmasq_log, want, 1, 2000));
    snprintf(want, sizeof(want), MAC " %s", ip);
    assert_true(wait_for(lease_file, want, 1, 2000));
}

static void test_name_resolves_through_the_dns_server_of_the_lease(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    socket_address_t a;

    (void)state;
    connected(RANGE, NULL);
    socket_address_init(&a);
    assert_int_equal(network_interface_gethostbyname(ni, "dev.test", &a, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.2.77");
    assert_true(wait_for(dnsmasq_log, "query[A] dev.test", 1, 2000));
}

static void test_lease_is_renewed_at_the_t1_dnsmasq_sends(void **state)
{
    int renews = log_count("dhcp renew"), leases;
    char ip[32], want[128];

    (void)state;
    snprintf(ip, sizeof(ip), "%s", connected(RANGE, NULL));
    leases = log_count("dhcp lease ip=");
    assert_true(wait_log("dhcp renew", renews + 1, T1_MS + 5000));
    snprintf(want, sizeof(want), "dhcp lease ip=%s", ip);
    assert_true(wait_log("dhcp lease ip=", leases + 1, 3000));
    assert_true(log_count(want) >= 2);
    assert_int_equal(log_count("dhcp rebind"), 0);
    assert_true(dev_addr_has(ip));
}

/* dnsmasq comes back serving another range: the renewing REQUEST is refused, and the
 * device gives its address up. */
static void test_nak_while_renewing_removes_the_address(void **state)
{
    int naks = log_count("dhcp nak");
    char ip[32], want[128];

    (void)state;
    snprintf(ip, sizeof(ip), "%s", connected(RANGE, NULL));
    start_dnsmasq("10.0.2.100,10.0.2.110,255.255.255.0,2m", "--dhcp-authoritative");
    assert_true(wait_log("dhcp nak", naks + 1, T1_MS + 5000));
    snprintf(want, sizeof(want), "inet %s/", ip);
    assert_false(dev_addr_has(want));
    assert_true(wait_for(dnsmasq_log, "DHCPNAK", 1, 2000));
}

static void test_disconnect_releases_the_lease(void **state)
{
    char ip[32], want[128];
    int releases;

    (void)state;
    snprintf(ip, sizeof(ip), "%s", connected(RANGE, NULL));
    releases = log_count("dhcp release ip=");
    snprintf(want, sizeof(want), MAC " %s", ip);
    assert_true(wait_for(lease_file, want, 1, 2000));
    assert_int_equal(network_interface_disconnect(network_interface_get_default_instance()),
                     NSAPI_ERROR_OK);
    assert_int_equal(log_count("dhcp release ip="), releases + 1);
    snprintf(want, sizeof(want), "DHCPRELEASE(eth0) %s " MAC, ip);
    assert_true(wait_for(dnsmasq_log, want, 1, 2000));
}

/* A router outside the offered subnet makes every ACK unusable: the client declines
 * each address dnsmasq gives and fails when dhcp_timeout_ms runs out. */
static void test_unusable_ack_is_declined_until_dhcp_failure(void **state)
{
    network_interface_t *ni = down_interface();
    uint64_t t0;

    (void)state;
    start_dnsmasq(RANGE, "--dhcp-option=option:router,192.168.9.1");
    t0 = now_ms();
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_DHCP_FAILURE);
    assert_true(now_ms() - t0 >= TIMEOUT_MS - 100 && now_ms() - t0 < TIMEOUT_MS + 2000);
    assert_true(log_count("dhcp decline ip=10.0.2.") >= 1);
    assert_true(wait_for(dnsmasq_log, "DHCPDECLINE(eth0)", 1, 2000));
    assert_false(dev_addr_has("inet 10.0.2.5"));
}

static int teardown(void **state)
{
    (void)state;
    down_interface();
    stop_dnsmasq();
    return 0;
}

/* The group argv[1] names: "lease" (the quick ones), "renew", "nak" (a minute each, so
 * meson runs the three groups at once, each with its own namespaces and dnsmasq). */
int main(int argc, char **argv)
{
    const struct CMUnitTest lease[] = {
        cmocka_unit_test(test_lease_comes_from_dnsmasq_and_is_applied),
        cmocka_unit_test(test_name_resolves_through_the_dns_server_of_the_lease),
        cmocka_unit_test(test_disconnect_releases_the_lease),
        cmocka_unit_test(test_unusable_ack_is_declined_until_dhcp_failure),
    };
    const struct CMUnitTest renew[] = {
        cmocka_unit_test(test_lease_is_renewed_at_the_t1_dnsmasq_sends),
    };
    const struct CMUnitTest nak[] = {
        cmocka_unit_test(test_nak_while_renewing_removes_the_address),
    };
    const char *group = argc > 1 ? argv[1] : "lease";
    int r;

    if (access(DNSMASQ, X_OK) != 0) {
        printf("skipped: dnsmasq is not installed (apt-get install dnsmasq-base)\n");
        return 77;
    }
    snprintf(peer_ns, sizeof(peer_ns), "nsemu-%ld-peer", (long)getpid());
    snprintf(dev_ns, sizeof(dev_ns), "nsemu-%ld-dev", (long)getpid());
    snprintf(pid_file, sizeof(pid_file), "/tmp/nsemu-dhcp-%ld.pid", (long)getpid());
    snprintf(lease_file, sizeof(lease_file), "/tmp/nsemu-dhcp-%ld.leases", (long)getpid());
    snprintf(dnsmasq_log, sizeof(dnsmasq_log), "/tmp/nsemu-dhcp-%ld.log", (long)getpid());
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (strcmp(group, "renew") == 0)
        r = cmocka_run_group_tests_name("renew", renew, NULL, teardown);
    else if (strcmp(group, "nak") == 0)
        r = cmocka_run_group_tests_name("nak", nak, NULL, teardown);
    else
        r = cmocka_run_group_tests_name("lease", lease, NULL, teardown);
    return r;
}
