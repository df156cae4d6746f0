/*
 * faults_support.c: helpers of the faults suite (see faults_support.h).
 */
#include "faults_support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <nsemu/nsemu.h>

#include "harness.h"

extern char **environ;

int knobs_reset(void **state)
{
    (void)state;
    return nsemu_reset() == NSAPI_ERROR_OK ? 0 : -1;
}

/* ---- interface status ----------------------------------------------------------- */

void status_log_init(struct status_log *log)
{
    memset(log, 0, sizeof(*log));
    event_init(&log->ev);
}

void status_record(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    struct status_log *log = ctx;

    if (ev != NSAPI_EVENT_CONNECTION_STATUS_CHANGE)
        return;
    pthread_mutex_lock(&log->ev.lock);
    if (log->n < MAX_STATUS)
        log->status[log->n++] = arg;
    log->ev.count++;
    event_broadcast(&log->ev);
    pthread_mutex_unlock(&log->ev.lock);
}

int status_count(struct status_log *log)
{
    int n;

    pthread_mutex_lock(&log->ev.lock);
    n = log->n;
    pthread_mutex_unlock(&log->ev.lock);
    return n;
}

intptr_t status_at(struct status_log *log, int i)
{
    intptr_t st;

    pthread_mutex_lock(&log->ev.lock);
    st = i < log->n ? log->status[i] : -1;
    pthread_mutex_unlock(&log->ev.lock);
    return st;
}

struct nth_status {
    struct status_log *log;
    intptr_t status;
    int n;
};

static bool nth_seen(void *arg)
{
    struct nth_status *w = arg;
    int seen = 0;

    for (int i = 0; i < w->log->n; i++)
        seen += w->log->status[i] == w->status;
    return seen >= w->n;
}

bool status_wait_nth(struct status_log *log, intptr_t status, int n, int timeout_ms)
{
    struct nth_status w = {log, status, n};

    return event_wait_for(&log->ev, nth_seen, &w, timeout_ms);
}

/* ---- numbered datagrams ----------------------------------------------------------- */

void datagram_fill(uint8_t *buf, size_t len, uint32_t seq)
{
    assert_true(len >= 4);
    memcpy(buf, &seq, 4);
    fill_pattern(buf + 4, len - 4, seq);
}

uint32_t datagram_seq(const uint8_t *buf, size_t len)
{
    uint8_t expect[65536];
    uint32_t seq;

    assert_true(len >= 4 && len <= sizeof(expect));
    memcpy(&seq, buf, 4);
    datagram_fill(expect, len, seq);
    assert_memory_equal(buf, expect, len);
    return seq;
}

static void arrival_add(struct arrivals *got, const uint8_t *buf, size_t len)
{
    assert_true(got->n < sizeof(got->seq) / sizeof(got->seq[0]));
    got->seq[got->n] = len >= 4 ? datagram_seq(buf, len) : UINT32_MAX;
    got->len[got->n] = len;
    got->n++;
}

void device_to_peer(udp_socket_t *s, const char *ip, uint16_t port, int fd, unsigned count,
                    size_t len, struct arrivals *got)
{
    static uint8_t buf[65536];
    socket_address_t to;

    addr_of(&to, ip, port);
    got->n = 0;
    for (unsigned first = 0; first < count; first += BATCH) {
        for (unsigned i = first; i < count && i < first + BATCH; i++) {
            datagram_fill(buf, len, i);
            assert_int_equal(udp_socket_sendto(s, &to, buf, (nsapi_size_t)len), (int)len);
        }
        for (;;) {
            ssize_t n = posix_recvfrom_within(fd, buf, sizeof(buf), SILENCE_MS, NULL, NULL);

            if (n < 0)
                break;
            arrival_add(got, buf, (size_t)n);
        }
    }
}

void peer_to_device(int fd, const char *ip, uint16_t port, udp_socket_t *s, unsigned count,
                    size_t len, struct arrivals *got)
{
    static uint8_t buf[65536];

    got->n = 0;
    socket_set_timeout(s, SILENCE_MS);
    for (unsigned first = 0; first < count; first += BATCH) {
        for (unsigned i = first; i < count && i < first + BATCH; i++) {
            datagram_fill(buf, len, i);
            posix_sendto(fd, ip, port, buf, len);
        }
        for (;;) {
            nsapi_size_or_error_t n = udp_socket_recvfrom(s, NULL, buf, sizeof(buf));

            if (n == NSAPI_ERROR_WOULD_BLOCK)
                break;
            assert_true(n >= 0);
            arrival_add(got, buf, (size_t)n);
        }
    }
}

unsigned arrivals_of(const struct arrivals *a, uint32_t seq)
{
    unsigned n = 0;

    for (size_t i = 0; i < a->n; i++)
        n += a->seq[i] == seq;
    return n;
}

bool arrivals_out_of_order(const struct arrivals *a)
{
    for (size_t i = 1; i < a->n; i++)
        if (a->seq[i] < a->seq[i - 1])
            return true;
    return false;
}

udp_socket_t *udp_bound(network_interface_t *ni, uint16_t *port, int timeout_ms)
{
    udp_socket_t *s = udp_socket_new();

    assert_non_null(s);
    assert_int_equal(socket_open(s, ni), NSAPI_ERROR_OK);
    *port = free_port("127.0.0.1");
    assert_int_equal(socket_bind_port(s, *port), NSAPI_ERROR_OK);
    socket_set_timeout(s, timeout_ms);
    return s;
}

/* ---- the event log ---------------------------------------------------------------- */

long log_mark(const char *path)
{
    FILE *f = fopen(path, "re");
    long size;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    fclose(f);
    return size;
}

char *log_since(const char *path, long mark)
{
    FILE *f = fopen(path, "re");
    char *text;
    long size;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= mark);
    text = malloc((size_t)(size - mark) + 1);
    assert_non_null(text);
    assert_int_equal(fseek(f, mark, SEEK_SET), 0);
    assert_int_equal(fread(text, 1, (size_t)(size - mark), f), (size_t)(size - mark));
    text[size - mark] = '\0';
    fclose(f);
    return text;
}

static bool line_has_all(const char *line, size_t n, va_list needles)
{
    const char *needle;
    char copy[1024];

    if (n >= sizeof(copy))
        n = sizeof(copy) - 1;
    memcpy(copy, line, n);
    copy[n] = '\0';
    while ((needle = va_arg(needles, const char *)) != NULL)
        if (strstr(copy, needle) == NULL)
            return false;
    return true;
}

static bool log_vfind(const char *text, char *line, size_t len, va_list needles)
{
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        va_list each;
        bool found;

        va_copy(each, needles);
        found = line_has_all(p, n, each);
        va_end(each);
        if (found) {
            if (n >= len)
                n = len - 1;
            memcpy(line, p, n);
            line[n] = '\0';
            return true;
        }
        p += n + (end != NULL);
    }
    return false;
}

bool log_find(const char *text, char *line, size_t len, ...)
{
    va_list needles;
    bool found;

    va_start(needles, len);
    found = log_vfind(text, line, len, needles);
    va_end(needles);
    return found;
}

bool log_wait_for(const char *path, long mark, int timeout_ms, ...)
{
    uint64_t end = test_now_ms() + (uint64_t)timeout_ms;
    struct timespec pause = {0, 2000000L};

    /* A log file has no readiness to wait on: look again every 2 ms, within the bound. */
    for (;;) {
        char *text = log_since(path, mark), line[512];
        va_list needles;
        bool found;

        va_start(needles, timeout_ms);
        found = log_vfind(text, line, sizeof(line), needles);
        va_end(needles);
        free(text);
        if (found)
            return true;
        if (test_now_ms() >= end)
            return false;
        nanosleep(&pause, NULL);
    }
}

double log_line_time(const char *line)
{
    double t;

    return sscanf(line, "t=%lf ", &t) == 1 ? t : -1.0;
}

char *log_without_times(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;

    assert_non_null(out);
    for (const char *p = text; *p != '\0';) {
        if ((p == text || p[-1] == '\n') && strncmp(p, "t=", 2) == 0) {
            const char *space = strchr(p, ' ');

            if (space != NULL) {
                p = space + 1;
                continue;
            }
        }
        *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* ---- a child run of the test program ---------------------------------------------- */

/* The child's environment: the parent's without any NSEMU_ variable or one named in
 * env, then env's entries that have a value. Built before fork: the child only execs. */
static char **child_environment(const char *const env[])
{
    size_t n = 0, k = 0;
    char **envp;

    while (environ[n] != NULL)
        n++;
    for (int i = 0; env[i] != NULL; i++)
        n++;
    envp = calloc(n + 1, sizeof(*envp));
    assert_non_null(envp);
    for (char **e = environ; *e != NULL; e++) {
        bool named = strncmp(*e, "NSEMU_", 6) == 0;

        for (int i = 0; env[i] != NULL && !named; i++) {
            size_t len = strcspn(env[i], "=") + 1;

            named = strncmp(*e, env[i], len) == 0;
        }
        if (!named)
            envp[k++] = *e;
    }
    for (int i = 0; env[i] != NULL; i++) {
        const char *eq = strchr(env[i], '=');

        if (eq != NULL && eq[1] != '\0')
            envp[k++] = (char *)env[i];
    }
    return envp;
}

/* Reads the child's stdout and stderr until both close or the deadline passes. */
static bool read_outputs(int out, int err, struct child_run *r, uint64_t end)
{
    struct pollfd p[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
    size_t n[2] = {0, 0};
    char *buf[2] = {r->out, r->err};

    while (p[0].fd >= 0 || p[1].fd >= 0) {
        uint64_t now = test_now_ms();
        int k;

        if (now >= end)
            return false;
        k = poll(p, 2, (int)(end - now));
        if (k < 0 && errno == EINTR)
            continue;
        assert_true(k >= 0);
        for (int i = 0; i < 2; i++) {
            ssize_t got;

            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            got = read(p[i].fd, buf[i] + n[i], sizeof(r->out) - 1 - n[i]);
            if (got <= 0)
                p[i].fd = -1;
            else
                n[i] += (size_t)got;
        }
    }
    r->out[n[0]] = r->err[n[1]] = '\0';
    return true;
}

void child_run(char *const argv[], const char *const env[], int timeout_ms, struct child_run *r)
{
    int out[2], err[2], status;
    bool finished;
    pid_t pid;
    char **envp = child_environment(env);

    memset(r, 0, sizeof(*r));
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    free(envp);
    close(out[1]);
    close(err[1]);
    finished = read_outputs(out[0], err[0], r, test_now_ms() + (uint64_t)timeout_ms);
    if (!finished)
        kill(pid, SIGKILL);
    close(out[0]);
    close(err[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(finished);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
