/*
 * summary.c: reads a run's event log and prints the summary `nsemu run` ends with
 * (docs/cli.md). Runs in the nsemu process once the device program has exited.
 *
 * Event lines are "t=SECONDS SUBJECT WHAT key=value ..." (emu/eventlog.h). A line is a
 * fault when its subject or, after a sock=N subject, its first word — after a "wire
 * DIRECTION" subject, its second — is a knob name of the knob table ("sock=3 udp.loss
 * drop ...", "dns.mode fail ...", "wire out frame.loss drop ..."); its next word is
 * what the fault did. sock=N open/close lines give the sockets; link, timeline,
 * control, wifi, dhcp and dns lines give the other counts.
 */
#include "summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "knobs.h"

#define WORDS_MAX        5
#define SOCK_ORDINAL_MAX 1000000 /* a larger ordinal is ignored, not allocated for */
#define LEFT_OPEN_SHOWN  8

void summary_init(struct summary *s)
{
    memset(s, 0, sizeof(*s));
}

static void counts_free(struct summary_counts *c)
{
    free(c->items);
    c->items = NULL;
    c->len = c->cap = 0;
}

void summary_free(struct summary *s)
{
    for (size_t i = 0; i < s->nfaults; i++)
        counts_free(&s->faults[i].outcomes);
    free(s->faults);
    counts_free(&s->link);
    counts_free(&s->knobs);
    counts_free(&s->wifi);
    counts_free(&s->dhcp);
    counts_free(&s->dns);
    free(s->socks);
    summary_init(s);
}

/* Adds n to name's count, adding the name when new. Out of memory: the line is lost. */
static void count(struct summary_counts *c, const char *name, unsigned long n)
{
    for (size_t i = 0; i < c->len; i++) {
        if (strcmp(c->items[i].name, name) == 0) {
            c->items[i].n += n;
            return;
        }
    }
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        struct summary_count *items = realloc(c->items, cap * sizeof(*items));

        if (items == NULL)
            return;
        c->items = items;
        c->cap = cap;
    }
    snprintf(c->items[c->len].name, sizeof(c->items[0].name), "%s", name);
    c->items[c->len++].n = n;
}

static void count_fault(struct summary *s, const char *name, const char *outcome)
{
    struct summary_fault *f = NULL;

    for (size_t i = 0; i < s->nfaults && f == NULL; i++)
        if (strcmp(s->faults[i].name, name) == 0)
            f = &s->faults[i];
    if (f == NULL) {
        if (s->nfaults == s->faults_cap) {
            size_t cap = s->faults_cap ? 2 * s->faults_cap : 8;
            struct summary_fault *faults = realloc(s->faults, cap * sizeof(*faults));

            if (faults == NULL)
                return;
            s->faults = faults;
            s->faults_cap = cap;
        }
        f = &s->faults[s->nfaults++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", name);
    }
    f->n++;
    count(&f->outcomes, outcome[0] != '\0' ? outcome : "?", 1);
}

/* The entry for ordinal n, growing the table; NULL when n is out of bounds. */
static struct summary_sock *sock_at(struct summary *s, unsigned long n)
{
    if (n == 0 || n > SOCK_ORDINAL_MAX)
        return NULL;
    if (n >= s->nsocks) {
        size_t len = n + 1 > 2 * s->nsocks ? n + 1 : 2 * s->nsocks;
        struct summary_sock *socks = realloc(s->socks, len * sizeof(*socks));

        if (socks == NULL)
            return NULL;
        memset(socks + s->nsocks, 0, (len - s->nsocks) * sizeof(*socks));
        s->socks = socks;
        s->nsocks = len;
    }
    return &s->socks[n];
}

static enum summary_sock_kind sock_kind(const char *word)
{
    if (strcmp(word, "udp") == 0)
        return SUMMARY_SOCK_UDP;
    if (strcmp(word, "server") == 0)
        return SUMMARY_SOCK_SERVER;
    return SUMMARY_SOCK_TCP;
}

/* Splits line into at most max space-separated words (copies, truncated); the words
 * it does not find are empty. */
static int split(const char *line, char (*words)[SUMMARY_NAME_MAX], int max)
{
    int n = 0;

    while (n < max) {
        size_t len;

        line += strspn(line, " ");
        len = strcspn(line, " ");
        if (len == 0)
            break;
        snprintf(words[n++], SUMMARY_NAME_MAX, "%.*s", (int)len, line);
        line += len;
    }
    for (int i = n; i < max; i++)
        words[i][0] = '\0';
    return n;
}

static bool is_knob(const char *word)
{
    return knob_find(word) >= 0;
}

/* sock=N WHAT ...: open, close, a fault, or a link-down drop. */
static void add_sock_line(struct summary *s, char w[WORDS_MAX][SUMMARY_NAME_MAX])
{
    char *end;
    unsigned long n = strtoul(w[0] + 5, &end, 10);
    struct summary_sock *sock;

    if (*end != '\0')
        return;
    if (strcmp(w[1], "open") == 0 && (sock = sock_at(s, n)) != NULL) {
        sock->kind = sock_kind(w[2]);
        sock->open = true;
    } else if (strcmp(w[1], "close") == 0 && (sock = sock_at(s, n)) != NULL) {
        sock->open = false;
    } else if (is_knob(w[1])) {
        count_fault(s, w[1], w[2]);
    } else if (strcmp(w[1], "link") == 0 && strcmp(w[3], "drop") == 0 &&
               strncmp(w[4], "datagrams=", 10) == 0) {
        count(&s->link, "datagrams dropped", strtoul(w[4] + 10, NULL, 10));
    }
}

static void add_event(struct summary *s, char w[WORDS_MAX][SUMMARY_NAME_MAX])
{
    char name[2 * SUMMARY_NAME_MAX];

    if (strncmp(w[0], "sock=", 5) == 0) {
        add_sock_line(s, w);
    } else if (is_knob(w[0])) {
        count_fault(s, w[0], w[1]);
    } else if (strcmp(w[0], "wire") == 0 && is_knob(w[2])) {
        count_fault(s, w[2], w[3]);
    } else if (strcmp(w[0], "link") == 0) {
        count(&s->link, w[1], 1);
    } else if (strcmp(w[0], "timeline") == 0 && strcmp(w[1], "connections") == 0) {
        count(&s->link, "connections reset", 1);
    } else if ((strcmp(w[0], "timeline") == 0 && strcmp(w[1], "set") == 0) ||
               strcmp(w[0], "control") == 0) {
        snprintf(name, sizeof(name), "%s %s", w[0], w[1]);
        count(&s->knobs, name, 1);
    } else if (strcmp(w[0], "dhcp") == 0 && strcmp(w[1], "discover") != 0) {
        count(&s->dhcp, w[1], 1);
    } else if (strcmp(w[0], "dns") == 0 && strcmp(w[1], "query") != 0) {
        count(&s->dns, w[1], 1);
    }
}

/* The text of "wifi WHAT ..." after "wifi ". WHAT is the first word, with the second
 * when that is a word of its own (assoc ok, auth fail), not key=value; "ap=LABEL WHAT"
 * (an AP's timeline event) is "ap WHAT". Bare "assoc" only starts an attempt. */
static void add_wifi_line(struct summary *s, const char *text)
{
    char w[2][SUMMARY_NAME_MAX], name[2 * SUMMARY_NAME_MAX + 2];

    if (strncmp(text, "ap=", 3) == 0) {
        const char *end = text[3] == '"' ? strchr(text + 4, '"') : text + 3;

        if (end == NULL)
            return;
        split(end + strcspn(end, " "), w, 1);
        w[0][strcspn(w[0], "=")] = '\0';
        snprintf(name, sizeof(name), "ap %s", w[0]);
    } else {
        split(text, w, 2);
        if (w[1][0] != '\0' && w[1][0] != '(' && strchr(w[1], '=') == NULL)
            snprintf(name, sizeof(name), "%s %s", w[0], w[1]);
        else if (strcmp(w[0], "assoc") != 0)
            snprintf(name, sizeof(name), "%s", w[0]);
        else
            return;
    }
    count(&s->wifi, name, 1);
}

/* "start KNOB=VALUE": a knob the run started with, other than its default. */
static void add_start_line(struct summary *s, const char *rest)
{
    size_t used = strlen(s->start);

    snprintf(s->start + used, sizeof(s->start) - used, "%s%s", used ? ", " : "", rest);
}

void summary_add_line(struct summary *s, const char *line)
{
    char w[WORDS_MAX + 1][SUMMARY_NAME_MAX];
    const char *seed, *subject;

    if (strncmp(line, "t=", 2) == 0) {
        s->events++;
        subject = line + strcspn(line, " ");
        subject += strspn(subject, " ");
        if (strncmp(subject, "wifi ", 5) == 0)
            add_wifi_line(s, subject + 5);
        else if (strncmp(subject, "start ", 6) == 0)
            add_start_line(s, subject + 6);
        else if (split(line, w, WORDS_MAX + 1) >= 2)
            add_event(s, w + 1); /* w[0] is the time */
        return;
    }
    seed = strstr(line, " seed=");
    if (strncmp(line, "nsemu ", 6) == 0 && seed != NULL) {
        char *end;
        uint64_t v;

        errno = 0;
        v = strtoull(seed + 6, &end, 10);
        if (errno == 0 && end != seed + 6) {
            s->seed = v;
            s->have_seed = true;
        }
    }
}

bool summary_read_file(struct summary *s, const char *path)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (f == NULL)
        return false;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        summary_add_line(s, line);
    }
    free(line);
    fclose(f);
    return true;
}

/* ---- printing --------------------------------------------------------------------- */

static void print_counts(const struct summary_counts *c, FILE *out)
{
    for (size_t i = 0; i < c->len; i++)
        fprintf(out, "%s%s %lu", i ? ", " : "", c->items[i].name, c->items[i].n);
}

static void print_faults(const struct summary *s, FILE *out)
{
    if (s->start[0] != '\0')
        fprintf(out, "nsemu: started with: %s\n", s->start);
    fputs("nsemu: faults:", out);
    if (s->nfaults == 0)
        fputs(" none", out);
    for (size_t i = 0; i < s->nfaults; i++) {
        const struct summary_fault *f = &s->faults[i];

        fprintf(out, "%s %s %lu", i ? "," : "", f->name, f->n);
        if (f->outcomes.len > 1) {
            fputs(" (", out);
            print_counts(&f->outcomes, out);
            fputc(')', out);
        }
    }
    fputc('\n', out);
}

static void print_line(const char *what, const struct summary_counts *c, FILE *out)
{
    if (c->len == 0)
        return;
    fprintf(out, "nsemu: %s: ", what);
    print_counts(c, out);
    fputc('\n', out);
}

static const char *const sock_kind_names[] = {
    [SUMMARY_SOCK_NONE] = "?",
    [SUMMARY_SOCK_TCP] = "tcp",
    [SUMMARY_SOCK_UDP] = "udp",
    [SUMMARY_SOCK_SERVER] = "server",
};

static void print_sockets(const struct summary *s, FILE *out)
{
    unsigned long by_kind[4] = {0}, opened = 0, left = 0, shown = 0;
    bool first = true;

    for (size_t i = 1; i < s->nsocks; i++) {
        by_kind[s->socks[i].kind]++;
        left += s->socks[i].open;
    }
    opened = by_kind[SUMMARY_SOCK_TCP] + by_kind[SUMMARY_SOCK_UDP] + by_kind[SUMMARY_SOCK_SERVER];
    if (opened == 0) {
        fputs("nsemu: sockets: none opened\n", out);
        return;
    }
    fprintf(out, "nsemu: sockets: %lu opened (", opened);
    for (int k = SUMMARY_SOCK_TCP; k <= SUMMARY_SOCK_SERVER; k++) {
        if (by_kind[k] == 0)
            continue;
        fprintf(out, "%s%s %lu", first ? "" : ", ", sock_kind_names[k], by_kind[k]);
        first = false;
    }
    if (left == 0) {
        fputs("), none left open\n", out);
        return;
    }
    fprintf(out, "), %lu left open:", left);
    for (size_t i = 1; i < s->nsocks && shown < LEFT_OPEN_SHOWN; i++) {
        if (!s->socks[i].open)
            continue;
        fprintf(out, "%s sock=%zu (%s)", shown ? "," : "", i, sock_kind_names[s->socks[i].kind]);
        shown++;
    }
    if (left > shown)
        fprintf(out, " and %lu more", left - shown);
    fputc('\n', out);
}

void summary_print(const struct summary *s, FILE *out)
{
    if (s->have_seed)
        fprintf(out, "nsemu: seed %" PRIu64 " (replay with --seed %" PRIu64 ")\n", s->seed,
                s->seed);
    print_faults(s, out);
    print_line("link", &s->link, out);
    print_line("knobs", &s->knobs, out);
    print_line("wifi", &s->wifi, out);
    print_line("dhcp", &s->dhcp, out);
    print_line("dns", &s->dns, out);
    print_sockets(s, out);
}

/* ---- pcap ------------------------------------------------------------------------- */

static uint32_t read_u32(const unsigned char *b, bool swapped)
{
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

    return swapped ? __builtin_bswap32(v) : v;
}

long summary_pcap_frames(const char *path)
{
    unsigned char header[24], record[16];
    FILE *f = fopen(path, "re");
    long frames = 0;
    uint32_t magic;
    bool swapped;

    if (f == NULL)
        return -1;
    if (fread(header, 1, sizeof(header), f) != sizeof(header))
        goto fail;
    magic = read_u32(header, false);
    /* microsecond or nanosecond timestamps, either byte order */
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = false;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swapped = true;
    else
        goto fail;
    while (fread(record, 1, sizeof(record), f) == sizeof(record)) {
        if (fseek(f, (long)read_u32(record + 8, swapped), SEEK_CUR) != 0)
            goto fail;
        frames++;
    }
    fclose(f);
    return frames;
fail:
    fclose(f);
    return -1;
}
