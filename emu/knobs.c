/*
 * knobs.c: values of the knob table. Each knob keeps its current value as text (under
 * one mutex) and, for numbers and booleans, as an atomic long the fast path reads
 * without locking. Start-up values come from the defaults, the scenario file and the
 * environment (config.c); runtime knobs may change later through the control API.
 */
#include "knobs.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "common.h"

#define KNOB_TEXT_MAX 256

const struct knob_def knob_defs[KNOB_COUNT] = {
#define KNOB_ROW(id, name, type, def, min, max, choices, flags, meaning) \
    [KNOB_##id] = {name, type, def, min, max, choices, flags, meaning},
    KNOB_TABLE(KNOB_ROW)
#undef KNOB_ROW
};

struct knob_value {
    atomic_long num;
    char text[KNOB_TEXT_MAX];
    char startup[KNOB_TEXT_MAX];
};

static struct knob_value values[KNOB_COUNT];
static pthread_mutex_t values_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t values_once = PTHREAD_ONCE_INIT;

int knob_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < KNOB_COUNT; i++)
        if (strcmp(knob_defs[i].name, name) == 0)
            return i;
    return -1;
}

static bool parse_long(const char *text, long *out)
{
    char *end;

    if (*text == '\0')
        return false;
    *out = strtol(text, &end, 10);
    return *end == '\0';
}

static bool parse_mac(const char *text)
{
    unsigned b[6];
    char tail;

    return strlen(text) == 17 &&
           sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                  &b[5], &tail) == 6;
}

/* A probability as parts per billion, so the fast path reads an integer. */
static bool parse_prob(const char *text, long *num, char *why, size_t why_len)
{
    char *end;
    double p = strtod(text, &end);

    if (*text == '\0' || *end != '\0' || !(p >= 0.0 && p <= 1.0)) {
        snprintf(why, why_len, "'%s' is not a probability from 0 to 1", text);
        return false;
    }
    *num = (long)(p * 1e9 + 0.5);
    return true;
}

static bool parse_choice(const struct knob_def *k, const char *text, long *num, char *why,
                         size_t why_len)
{
    const char *p = k->choices;
    size_t len = strlen(text);

    for (long i = 0; *p != '\0'; i++) {
        size_t n = strcspn(p, "|");

        if (n == len && strncmp(p, text, n) == 0) {
            *num = i;
            return true;
        }
        p += n + (p[n] == '|');
    }
    snprintf(why, why_len, "'%s' is not one of %s", text, k->choices);
    return false;
}

static bool parse_dhcp(const struct knob_def *k, const char *text, long *num, char *why,
                       size_t why_len)
{
    if (strcmp(text, "ok") == 0 || strcmp(text, "fail") == 0 || strcmp(text, "nak") == 0) {
        *num = text[0] == 'o' ? 0 : text[0] == 'f' ? -1 : -2;
        return true;
    }
    if (strncmp(text, "delay_ms:", 9) == 0 && parse_long(text + 9, num) && *num >= 0 &&
        *num <= k->max)
        return true;
    snprintf(why, why_len, "'%s' is not ok, fail, nak or delay_ms:N (N from 0 to %ld)", text,
             k->max);
    return false;
}

/* A file the run will create or truncate: its directory must exist and be writable, so
 * a mistyped path is a configuration error rather than a failure once the program runs. */
static bool output_writable(const char *path, char *why, size_t why_len)
{
    char dir[KNOB_TEXT_MAX];
    const char *slash = strrchr(path, '/');

    if (path[0] == '\0')
        return true;
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (slash != NULL && slash[1] == '\0') {
        snprintf(why, why_len, "'%s' names a directory, not a file", path);
        return false;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, why_len, "cannot create '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Checks text and, when it is valid, gives its numeric form. */
static bool knob_parse(int id, const char *text, long *num, char *why, size_t why_len)
{
    const struct knob_def *k = &knob_defs[id];
    nsapi_addr_t a;
    struct addr_port list[8];

    *num = 0;
    if (strlen(text) >= KNOB_TEXT_MAX) {
        snprintf(why, why_len, "value longer than %d characters", KNOB_TEXT_MAX - 1);
        return false;
    }
    switch (k->type) {
    case KNOB_INT:
        if (!parse_long(text, num) || *num < k->min || *num > k->max) {
            snprintf(why, why_len, "'%s' is not a whole number from %ld to %ld", text, k->min,
                     k->max);
            return false;
        }
        return true;
    case KNOB_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
            *num = strcmp(text, "true") == 0;
            return true;
        }
        snprintf(why, why_len, "'%s' is not true or false", text);
        return false;
    case KNOB_IPV4:
    case KNOB_IPV6:
        if (addr_parse(text, &a) &&
            a.version == (k->type == KNOB_IPV4 ? NSAPI_IPv4 : NSAPI_IPv6))
            return true;
        snprintf(why, why_len, "'%s' is not an %s address", text,
                 k->type == KNOB_IPV4 ? "IPv4" : "IPv6");
        return false;
    case KNOB_MAC:
        if (parse_mac(text))
            return true;
        snprintf(why, why_len, "'%s' is not a MAC address like 02:00:00:00:00:01", text);
        return false;
    case KNOB_PATH:
        return true;
    case KNOB_OUTPUT:
        return output_writable(text, why, why_len);
    case KNOB_FAR:
        /* Linux names an interface with 1 to 15 characters (IFNAMSIZ - 1). */
        if (strcmp(text, "gateway") == 0 || strcmp(text, "peer") == 0 ||
            strcmp(text, "host") == 0)
            return true;
        if (strncmp(text, "iface:", 6) != 0 || strlen(text) == 6 || strlen(text) > 6 + 15 ||
            strpbrk(text + 6, " /:") != NULL) {
            snprintf(why, why_len, "'%s' is not gateway, peer, host or iface:NAME", text);
            return false;
        }
        if (if_nametoindex(text + 6) == 0) {
            snprintf(why, why_len, "no network interface %s here (ip link lists them)",
                     text + 6);
            return false;
        }
        return true;
    case KNOB_TEXT:
        if ((long)strlen(text) <= k->max)
            return true;
        snprintf(why, why_len, "longer than %ld characters", k->max);
        return false;
    case KNOB_PROB:
        return parse_prob(text, num, why, why_len);
    case KNOB_CHOICE:
        return parse_choice(k, text, num, why, why_len);
    case KNOB_DHCP:
        return parse_dhcp(k, text, num, why, why_len);
    case KNOB_ADDRS:
        if (addr_list_parse(text, list, (int)ARRAY_SIZE(list)) >= 0)
            return true;
        snprintf(why, why_len,
                 "'%s' is not a list of up to 8 addresses (IP, IPv4:PORT or [IPv6]:PORT)",
                 text);
        return false;
    }
    return false;
}

static void store(int id, const char *text, long num, bool startup)
{
    pthread_mutex_lock(&values_lock);
    snprintf(values[id].text, KNOB_TEXT_MAX, "%s", text);
    if (startup)
        snprintf(values[id].startup, KNOB_TEXT_MAX, "%s", text);
    atomic_store(&values[id].num, num);
    pthread_mutex_unlock(&values_lock);
}

static void load_defaults(void)
{
    for (int i = 0; i < KNOB_COUNT; i++) {
        long num;
        char why[160];

        if (!knob_parse(i, knob_defs[i].def, &num, why, sizeof(why)))
            abort(); /* a bad default is a bug in the table itself */
        store(i, knob_defs[i].def, num, true);
    }
}

static atomic_bool defaults_loaded;

/* Called on every knob read: after the first time, one atomic load. */
static inline void ensure_defaults(void)
{
    if (!atomic_load_explicit(&defaults_loaded, memory_order_acquire)) {
        pthread_once(&values_once, load_defaults);
        atomic_store_explicit(&defaults_loaded, true, memory_order_release);
    }
}

bool knob_check(int id, const char *text, char *why, size_t why_len)
{
    long num;

    return knob_parse(id, text, &num, why, why_len);
}

bool knob_set(int id, const char *text, bool startup, char *why, size_t why_len)
{
    long num;

    ensure_defaults();
    if (!knob_parse(id, text, &num, why, why_len))
        return false;
    store(id, text, num, startup);
    return true;
}

void knob_restore(int id)
{
    char text[KNOB_TEXT_MAX];
    long num;
    char why[160];

    ensure_defaults();
    pthread_mutex_lock(&values_lock);
    memcpy(text, values[id].startup, sizeof(text));
    pthread_mutex_unlock(&values_lock);
    if (knob_parse(id, text, &num, why, sizeof(why)))
        store(id, text, num, false);
}

long knob_int(enum knob_id id)
{
    ensure_defaults();
    return atomic_load_explicit(&values[id].num, memory_order_relaxed);
}

double knob_prob(enum knob_id id)
{
    return (double)knob_int(id) / 1e9;
}

void knob_text(enum knob_id id, char *buf, size_t len)
{
    ensure_defaults();
    pthread_mutex_lock(&values_lock);
    snprintf(buf, len, "%s", values[id].text);
    pthread_mutex_unlock(&values_lock);
}
