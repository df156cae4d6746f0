/*
 * test_interface.c: NetworkInterface / EthernetInterface on the host link: connect and
 * disconnect and their errors, addresses while up and down, the status callback
 * (CONNECTING then GLOBAL_UP, on the stack thread, GLOBAL_UP before connect returns,
 * DISCONNECTED on disconnect), static configuration and the default instance.
 *
 * Each test brings its own interface from ethernet_interface_new(), so none depends on
 * what another left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "harness.h"

#define MAX_STATUS 16

/* What a status callback saw, under ev.lock. */
struct status_log {
    struct event ev;
    int n;
    nsapi_event_t event[MAX_STATUS];
    intptr_t status[MAX_STATUS];
    pthread_t thread[MAX_STATUS];
    network_interface_t *ni;
    nsapi_error_t connect_from_callback;
};

static void status_log_init(struct status_log *log, network_interface_t *ni)
{
    memset(log, 0, sizeof(*log));
    event_init(&log->ev);
    log->ni = ni;
    log->connect_from_callback = 1; /* not called */
}

static void record_status(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    struct status_log *log = ctx;

    pthread_mutex_lock(&log->ev.lock);
    if (log->n < MAX_STATUS) {
        log->event[log->n] = ev;
        log->status[log->n] = arg;
        log->thread[log->n] = pthread_self();
        log->n++;
    }
    log->ev.count++;
    event_broadcast(&log->ev);
    pthread_mutex_unlock(&log->ev.lock);
}

static int status_count(struct status_log *log)
{
    int n;

    pthread_mutex_lock(&log->ev.lock);
    n = log->n;
    pthread_mutex_unlock(&log->ev.lock);
    return n;
}

static int new_interface(void **state)
{
    network_interface_t *ni = ethernet_interface_new();

    *state = ni;
    return ni == NULL ? -1 : 0;
}

static int delete_interface(void **state)
{
    network_interface_attach(*state, NULL, NULL);
    network_interface_delete(*state);
    return 0;
}

static void test_default_instance_is_the_same_object_every_time(void **state)
{
    (void)state;
    assert_non_null(network_interface_get_default_instance());
    assert_ptr_equal(network_interface_get_default_instance(),
                     network_interface_get_default_instance());
}

static void test_delete_ignores_the_default_instance(void **state)
{
    network_interface_t *ni = up_interface();

    (void)state;
    network_interface_delete(ni);
    assert_ptr_equal(network_interface_get_default_instance(), ni);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.1");
}

static void test_new_interface_starts_down_without_an_ip_address(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(ni));
    assert_null(network_interface_get_netmask(ni));
    assert_null(network_interface_get_gateway(ni));
}

static void test_mac_address_is_there_while_down(void **state)
{
    network_interface_t *ni = *state;

    assert_string_equal(network_interface_get_mac_address(ni), "02:00:00:00:00:01");
}

static void test_connect_brings_it_up_on_the_host_address(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.1");
    assert_non_null(network_interface_get_netmask(ni));
    assert_non_null(network_interface_get_gateway(ni));
}

static void test_connect_while_connected_returns_is_connected(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_IS_CONNECTED);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_GLOBAL_UP);
}

static void test_disconnect_while_down_returns_no_connection(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_NO_CONNECTION);
}

static void test_disconnect_twice_returns_no_connection_the_second_time(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_NO_CONNECTION);
}

static void test_disconnect_takes_it_down_and_clears_the_addresses(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(ni));
    assert_null(network_interface_get_netmask(ni));
    assert_null(network_interface_get_gateway(ni));
    assert_non_null(network_interface_get_mac_address(ni));
}

static void test_connect_after_disconnect_comes_up_again(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.1");
}

static void test_status_callback_sees_connecting_then_global_up(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log;

    status_log_init(&log, ni);
    network_interface_attach(ni, record_status, &log);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_true(event_wait_count(&log.ev, 2, WAIT_MS));
    pthread_mutex_lock(&log.ev.lock);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.event[0], NSAPI_EVENT_CONNECTION_STATUS_CHANGE);
    assert_int_equal(log.status[0], NSAPI_STATUS_CONNECTING);
    assert_int_equal(log.event[1], NSAPI_EVENT_CONNECTION_STATUS_CHANGE);
    assert_int_equal(log.status[1], NSAPI_STATUS_GLOBAL_UP);
    pthread_mutex_unlock(&log.ev.lock);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
}

static void test_global_up_is_delivered_before_connect_returns(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log;
    intptr_t last = -1;

    status_log_init(&log, ni);
    network_interface_attach(ni, record_status, &log);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    /* No waiting: it must be there already. */
    pthread_mutex_lock(&log.ev.lock);
    if (log.n > 0)
        last = log.status[log.n - 1];
    pthread_mutex_unlock(&log.ev.lock);
    assert_int_equal(last, NSAPI_STATUS_GLOBAL_UP);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
}

static void test_status_callback_runs_on_a_thread_other_than_the_callers(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log;

    status_log_init(&log, ni);
    network_interface_attach(ni, record_status, &log);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_true(event_wait_count(&log.ev, 2, WAIT_MS));
    pthread_mutex_lock(&log.ev.lock);
    for (int i = 0; i < log.n; i++)
        assert_false(pthread_equal(log.thread[i], pthread_self()));
    pthread_mutex_unlock(&log.ev.lock);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
}

static void test_status_callback_sees_disconnected_on_disconnect(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log;

    status_log_init(&log, ni);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    network_interface_attach(ni, record_status, &log);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_true(event_wait_count(&log.ev, 1, WAIT_MS));
    pthread_mutex_lock(&log.ev.lock);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.event[0], NSAPI_EVENT_CONNECTION_STATUS_CHANGE);
    assert_int_equal(log.status[0], NSAPI_STATUS_DISCONNECTED);
    pthread_mutex_unlock(&log.ev.lock);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
}

static void test_detached_status_callback_is_not_called(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log, witness;

    status_log_init(&log, ni);
    status_log_init(&witness, ni);
    network_interface_attach(ni, record_status, &log);
    network_interface_attach(ni, NULL, NULL);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_int_equal(status_count(&log), 0);
    /* A callback attached in its place gets the next changes instead. */
    network_interface_attach(ni, record_status, &witness);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(status_count(&witness), 2);
    assert_int_equal(status_count(&log), 0);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
    event_destroy(&witness.ev);
}

static void connect_from_callback(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    struct status_log *log = ctx;

    if (arg == NSAPI_STATUS_DISCONNECTED)
        log->connect_from_callback = network_interface_connect(log->ni);
    record_status(ctx, ev, arg);
}

static void test_connect_from_a_status_callback_returns_would_block(void **state)
{
    network_interface_t *ni = *state;
    struct status_log log;
    uint64_t start;

    status_log_init(&log, ni);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    network_interface_attach(ni, connect_from_callback, &log);
    start = test_now_ms();
    assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    assert_true(event_wait_count(&log.ev, 1, WAIT_MS));
    assert_true(test_now_ms() - start < 1000);
    assert_int_equal(log.connect_from_callback, NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_DISCONNECTED);
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log.ev);
}

static void test_set_network_is_reported_after_the_next_connect(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2"),
                     NSAPI_ERROR_OK);
    assert_null(network_interface_get_ip_address(ni));
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_string_equal(network_interface_get_netmask(ni), "255.255.255.0");
    assert_string_equal(network_interface_get_gateway(ni), "10.0.2.2");
}

static void test_set_network_with_text_that_is_not_an_address_returns_parameter(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_set_network(ni, "ten", "255.0.0.0", ""),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_network(ni, "10.0.0.2", "mask", ""),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_network(ni, "10.0.0.2", "255.0.0.0", "gw"),
                     NSAPI_ERROR_PARAMETER);
    /* Nothing was taken: DHCP still gives the host address. */
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.1");
}

static void test_set_dhcp_true_turns_the_static_configuration_off(void **state)
{
    network_interface_t *ni = *state;

    assert_int_equal(network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2"),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_set_dhcp(ni, true), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.1");
}

static void test_add_dns_server_takes_an_address_with_a_port(void **state)
{
    network_interface_t *ni = *state;
    socket_address_t server;

    addr_of(&server, "127.0.0.1", 5353);
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_OK);
}

static void test_add_dns_server_without_an_address_returns_parameter(void **state)
{
    network_interface_t *ni = *state;
    socket_address_t server;

    socket_address_init(&server);
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_PARAMETER);
    addr_of(&server, "0.0.0.0", 53);
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_PARAMETER);
}

#define NI_TEST(f) cmocka_unit_test_setup_teardown(f, new_interface, delete_interface)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_instance_is_the_same_object_every_time),
        cmocka_unit_test(test_delete_ignores_the_default_instance),
        NI_TEST(test_new_interface_starts_down_without_an_ip_address),
        NI_TEST(test_mac_address_is_there_while_down),
        NI_TEST(test_connect_brings_it_up_on_the_host_address),
        NI_TEST(test_connect_while_connected_returns_is_connected),
        NI_TEST(test_disconnect_while_down_returns_no_connection),
        NI_TEST(test_disconnect_twice_returns_no_connection_the_second_time),
        NI_TEST(test_disconnect_takes_it_down_and_clears_the_addresses),
        NI_TEST(test_connect_after_disconnect_comes_up_again),
        NI_TEST(test_status_callback_sees_connecting_then_global_up),
        NI_TEST(test_global_up_is_delivered_before_connect_returns),
        NI_TEST(test_status_callback_runs_on_a_thread_other_than_the_callers),
        NI_TEST(test_status_callback_sees_disconnected_on_disconnect),
        NI_TEST(test_detached_status_callback_is_not_called),
        NI_TEST(test_connect_from_a_status_callback_returns_would_block),
        NI_TEST(test_set_network_is_reported_after_the_next_connect),
        NI_TEST(test_set_network_with_text_that_is_not_an_address_returns_parameter),
        NI_TEST(test_set_dhcp_true_turns_the_static_configuration_off),
        NI_TEST(test_add_dns_server_takes_an_address_with_a_port),
        NI_TEST(test_add_dns_server_without_an_address_returns_parameter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
