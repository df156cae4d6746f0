/*
 * knobs.c: values of the knob table. Each knob keeps its current value as text (under
 * one mutex) and, for numbers and booleans, as an atomic long the fast path reads
 * without locking. Start-up values come from the defaults and the environment; runtime
 * knobs may change later through the control API.
 */
#include "knobs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "common.h"

#define KNOB_TEXT_MAX 256

const struct knob_def knob_defs[KNOB_COUNT] = {
#define KNOB_ROW(id, name, type, def, min, max, runtime, meaning) \
    [KNOB_##id] = {name, type, def, min, max, runtime, meaning},
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

static void ensure_defaults(void)
{
    pthread_once(&values_once, load_defaults);
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

void knob_text(enum knob_id id, char *buf, size_t len)
{
    ensure_defaults();
    pthread_mutex_lock(&values_lock);
    snprintf(buf, len, "%s", values[id].text);
    pthread_mutex_unlock(&values_lock);
}

void knobs_load_environment(void)
{
    const char *env = getenv("NSEMU_FAULTS");
    char *copy, *save = NULL;

    ensure_defaults();
    if (env == NULL || *env == '\0')
        return;
    copy = strdup(env);
    if (copy == NULL)
        config_error("NSEMU_FAULTS: out of memory");
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        char why[200];
        int id;

        item += strspn(item, " ");
        if (eq == NULL)
            config_error("NSEMU_FAULTS: %s: expected knob=value", item);
        *eq = '\0';
        id = knob_find(item);
        if (id < 0)
            config_error("NSEMU_FAULTS: %s: unknown knob", item);
        if (!knob_set(id, eq + 1, true, why, sizeof(why)))
            config_error("NSEMU_FAULTS: %s: %s", item, why);
    }
    free(copy);
}
