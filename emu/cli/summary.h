/*
 * summary.h: what `nsemu run` prints at the end, read from the run's event log
 * (DESIGN §5, docs/cli.md "The summary"). The log is read line by line into counts;
 * printing them is separate so tests can feed lines of their own.
 */
#ifndef NSEMU_CLI_SUMMARY_H
#define NSEMU_CLI_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SUMMARY_NAME_MAX 64

/* A name and how many event lines had it, in the order names first appeared. */
struct summary_count {
    char name[SUMMARY_NAME_MAX];
    unsigned long n;
};

struct summary_counts {
    struct summary_count *items;
    size_t len, cap;
};

/* One fault (a knob name) and what it did: drop, dup, refuse, ... */
struct summary_fault {
    char name[SUMMARY_NAME_MAX];
    unsigned long n;
    struct summary_counts outcomes;
};

enum summary_sock_kind {
    SUMMARY_SOCK_NONE,
    SUMMARY_SOCK_TCP,
    SUMMARY_SOCK_UDP,
    SUMMARY_SOCK_SERVER
};

struct summary_sock {
    enum summary_sock_kind kind; /* NONE: no open line for this ordinal */
    bool open;
};

struct summary {
    bool have_seed; /* the first line, "nsemu VERSION seed=N", was read */
    uint64_t seed;
    unsigned long events; /* t= lines */
    struct summary_fault *faults;
    size_t nfaults, faults_cap;
    struct summary_counts link;  /* down, up, connections reset, datagrams dropped */
    struct summary_counts knobs; /* timeline set, control set, control clear, ... */
    struct summary_counts wifi;  /* connect, assoc ok, auth fail, roam, ap gone, ... */
    struct summary_counts dhcp;  /* lease, nak, fail, delay */
    struct summary_counts dns;   /* answer, static, timeout, fail, ... */
    char start[1024];            /* "knob=value, ..." from the log's start lines */
    struct summary_sock *socks;  /* by ordinal; socks[0] unused */
    size_t nsocks;
};

void summary_init(struct summary *s);
void summary_free(struct summary *s);

/* Takes one line of the log, without its newline. Lines it does not know are ignored,
 * so a newer library's lines do no harm. */
void summary_add_line(struct summary *s, const char *line);

/* Reads a whole log. False when it cannot be opened (errno says why). */
bool summary_read_file(struct summary *s, const char *path);

/* Prints the seed, faults, link, knobs, wifi, dhcp, dns and sockets lines, each
 * starting "nsemu: "; link, knobs, wifi, dhcp and dns only when they counted something. */
void summary_print(const struct summary *s, FILE *out);

/* Frames in a classic pcap file; -1 when it cannot be read or is not pcap. */
long summary_pcap_frames(const char *path);

#endif /* NSEMU_CLI_SUMMARY_H */
