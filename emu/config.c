/*
 * config.c: the scenario file and the environment (DESIGN §5), read once when the
 * program starts, on whichever thread first calls config_get (the library constructor).
 *
 * libinih parses the file. Before it does, a pre-scan reads the whole file and finds
 * what libinih 55 would silently get wrong (lines over 200 characters, which it splits;
 * indented lines, which it joins to the previous value) and every section header, since
 * libinih neither reports empty sections nor tells a repeated section from the first.
 * libinih then reads the file's lines from memory through our reader, one call per
 * line, so the handler always knows the line it is given. Every problem is recorded
 * with its line and the earliest one is reported: one line on stderr, exit status 2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "common.h"
#include "knobs.h"

/* libinih 55 reads a line into 200 bytes: 199 characters and the NUL. A line that long
 * and its newline make 200 characters; anything longer would be split. */
#define LINE_CHARS_MAX 199
#define ERROR_MAX      512

enum section_kind {
    SEC_EMULATOR,
    SEC_HOST,
    SEC_TAP,
    SEC_DEVICE,
    SEC_ETHERNET,
    SEC_WIFI,
    SEC_DNS,
    SEC_FAULTS,
    SEC_GATEWAY,
    SEC_TIMELINE,
    SEC_AP,
    SEC_BAD, /* unknown or malformed; already reported */
};

static const struct {
    const char *name;
    enum section_kind kind;
    bool knobs; /* its keys are the knobs named "section.key" */
} section_names[] = {
    {"emulator", SEC_EMULATOR, false},
    {"host", SEC_HOST, true},
    {"tap", SEC_TAP, true},
    {"device", SEC_DEVICE, true},
    {"ethernet", SEC_ETHERNET, true},
    {"wifi", SEC_WIFI, true},
    {"dns", SEC_DNS, true},
    {"faults", SEC_FAULTS, false},
    {"gateway", SEC_GATEWAY, false},
    {"timeline", SEC_TIMELINE, false},
};

struct section {
    enum section_kind kind;
    const char *name; /* the knob prefix of a knob section */
    int ap;           /* SEC_AP: index into cfg->aps */
};

/* What the AP sections said, for the checks once the whole file is read. */
struct ap_seen {
    bool ssid;
    int security_line, password_line, bssid_line;
};

struct parser {
    const char *path;
    struct config *cfg;
    char *text;        /* the whole file, split into lines in place */
    char **lines;      /* lines[i] is line i + 1, without its line end */
    int *line_section; /* index into sections, -1 before the first header */
    int nlines;
    struct section *sections;
    int nsections;
    struct ap_seen aps[CONFIG_MAX_APS];
    int next_line; /* the reader's next line, from 0 */
    int line;      /* the line libinih works on, from 1 */
    int err_line;  /* the earliest problem so far; 0 for none */
    char err[ERROR_MAX];
};

static void fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a problem at line unless an earlier one is already known. */
static void fail(struct parser *p, int line, const char *fmt, ...)
{
    va_list ap;

    if (p->err_line != 0 && p->err_line <= line)
        return;
    p->err_line = line;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
}

static void report(const struct parser *p)
{
    if (p->err_line != 0)
        config_error("%s:%d: %s", p->path, p->err_line, p->err);
}

/* ---- values ---------------------------------------------------------------------- */

static bool parse_u64(const char *text, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (!isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* A whole number in [min, max]; why gets the knob table's wording when it is not. */
static bool parse_int(const char *text, long min, long max, int *out, char *why, size_t len)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0' || errno != 0 ||
        v < min || v > max) {
        snprintf(why, len, "'%s' is not a whole number from %ld to %ld", text, min, max);
        return false;
    }
    *out = (int)v;
    return true;
}

static bool parse_bool(const char *text, bool *out, char *why, size_t len)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *out = text[0] == 't';
        return true;
    }
    snprintf(why, len, "'%s' is not true or false", text);
    return false;
}

static bool parse_mac(const char *text, uint8_t mac[6])
{
    unsigned b[6];
    char tail;

    if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                                     &b[4], &b[5], &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)text[3 * i]) || !isxdigit((unsigned char)text[3 * i + 1]))
            return false;
        mac[i] = (uint8_t)b[i];
    }
    return true;
}

/* TIME of the timeline: 500ms, 2s, 1.5s (at most three decimals, so whole ms). */
static bool parse_time(const char *text, uint64_t *ms)
{
    uint64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    const char *s = text;

    for (; isdigit((unsigned char)*s) && digits < 10; s++, digits++)
        whole = whole * 10 + (uint64_t)(*s - '0');
    if (digits == 0 || isdigit((unsigned char)*s))
        return false;
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s) && decimals < 3; s++, decimals++)
            frac = frac * 10 + (uint64_t)(*s - '0');
        if (decimals == 0 || isdigit((unsigned char)*s))
            return false;
    }
    if (strcmp(s, "ms") == 0 && decimals == 0) {
        *ms = whole;
        return true;
    }
    if (strcmp(s, "s") == 0) {
        for (; decimals < 3; decimals++)
            frac *= 10;
        *ms = whole * 1000 + frac;
        return true;
    }
    return false;
}

/* A host name as DNS would look it up: labels of letters, digits, '-' and '_'. */
static bool valid_host_name(const char *name)
{
    size_t label = 0, len = strlen(name);

    if (len == 0 || len > 253)
        return false;
    for (const char *c = name; *c != '\0'; c++) {
        if (*c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isalnum((unsigned char)*c) || *c == '-' || *c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

/* Copies a value, without the double quotes around it if it has them, so a value can
 * keep spaces at either end ("My Net "). */
static void unquote(const char *value, char *out, size_t len)
{
    size_t n = strlen(value);

    if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
        snprintf(out, len, "%.*s", (int)(n - 2), value + 1);
    else
        snprintf(out, len, "%s", value);
}

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* A stable BSSID from the label: FNV-1a, made a locally administered unicast MAC. */
static void derive_bssid(const char *label, unsigned salt, uint8_t bssid[6])
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (const char *c = label; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
    for (unsigned i = 0; i < salt; i++)
        h = (h ^ 0xff) * 0x100000001b3ull;
    for (int i = 0; i < 6; i++)
        bssid[i] = (uint8_t)(h >> (8 * i));
    bssid[0] = (uint8_t)((bssid[0] & 0xfc) | 0x02);
}

/* ---- the link check -------------------------------------------------------------- */

static void note_link(struct config *cfg, int line, const char *key, unsigned flags)
{
    struct config_key_use *use = (flags & KNOB_HOST)  ? &cfg->host_only
                                 : (flags & KNOB_TAP) ? &cfg->tap_only
                                                      : NULL;

    if (use != NULL && use->line == 0) {
        use->line = line;
        snprintf(use->key, sizeof(use->key), "%.*s", (int)sizeof(use->key) - 1, key);
    }
}

static const char *link_name(enum config_link link)
{
    return link == CONFIG_LINK_TAP ? "tap" : "host";
}

/* ---- sections ---------------------------------------------------------------------- */

/* [ap "LABEL"]: a new access point, in file order. */
static void add_ap_section(struct parser *p, int line, const char *name, struct section *s)
{
    struct config *cfg = p->cfg;
    const char *q = skip_space(name + 2), *end;
    struct config_ap *ap;
    size_t len;

    s->kind = SEC_BAD;
    end = *q == '"' ? strchr(q + 1, '"') : NULL;
    if (end == NULL || *skip_space(end + 1) != '\0') {
        fail(p, line, "[%s]: an access point section is [ap \"LABEL\"]", name);
        return;
    }
    len = (size_t)(end - q - 1);
    if (len == 0 || len >= sizeof(ap->label)) {
        fail(p, line, "[%s]: a label has 1 to %zu characters", name, sizeof(ap->label) - 1);
        return;
    }
    for (int i = 0; i < cfg->naps; i++) {
        if (strlen(cfg->aps[i].label) == len && strncmp(cfg->aps[i].label, q + 1, len) == 0) {
            fail(p, line, "[%s]: the label \"%s\" is already used at line %d", name,
                 cfg->aps[i].label, cfg->aps[i].line);
            return;
        }
    }
    if (cfg->naps == CONFIG_MAX_APS) {
        fail(p, line, "[%s]: more than %d access points", name, CONFIG_MAX_APS);
        return;
    }
    ap = &cfg->aps[cfg->naps];
    snprintf(ap->label, sizeof(ap->label), "%.*s", (int)len, q + 1);
    ap->line = line;
    s->kind = SEC_AP;
    s->ap = cfg->naps++;
}

static void add_section(struct parser *p, int line, char *name)
{
    struct section *s = &p->sections[p->nsections++];
    char *end = name + strlen(name);

    /* libinih keeps spaces inside the brackets; we do not mind them. */
    while (end > name && isspace((unsigned char)end[-1]))
        *--end = '\0';
    name = (char *)skip_space(name);
    s->kind = SEC_BAD;
    s->name = NULL;
    s->ap = -1;
    for (size_t i = 0; i < ARRAY_SIZE(section_names); i++) {
        if (strcmp(name, section_names[i].name) == 0) {
            s->kind = section_names[i].kind;
            s->name = section_names[i].knobs ? section_names[i].name : NULL;
            return;
        }
    }
    if (strncmp(name, "ap", 2) == 0 && (name[2] == '\0' || isspace((unsigned char)name[2])))
        add_ap_section(p, line, name, s);
    else
        fail(p, line, "[%s]: unknown section", name);
}

/* libinih's rule for where a header's ']' is: before any ';' that follows a space. */
static const char *header_end(const char *s)
{
    bool was_space = false;

    for (; *s != '\0' && *s != ']' && !(was_space && *s == ';'); s++)
        was_space = isspace((unsigned char)*s);
    return s;
}

/* ---- reading the file and the pre-scan --------------------------------------------- */

static void read_file(struct parser *p)
{
    FILE *f = fopen(p->path, "r");
    size_t len = 0, cap = 4096, n;
    int nlines = 1;

    p->text = malloc(cap);
    if (f == NULL || p->text == NULL)
        config_error("%s: cannot read: %s", p->path, strerror(f == NULL ? errno : ENOMEM));
    while ((n = fread(p->text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *more = realloc(p->text, cap *= 2);

            if (more == NULL)
                config_error("%s: cannot read: %s", p->path, strerror(ENOMEM));
            p->text = more;
        }
    }
    if (ferror(f))
        config_error("%s: cannot read: %s", p->path, strerror(errno));
    fclose(f);
    p->text[len] = '\0';
    if (strlen(p->text) != len) { /* libinih would end the line there */
        for (char *c = p->text; *c != '\0'; c++)
            nlines += *c == '\n';
        config_error("%s:%d: line contains a NUL character", p->path, nlines);
    }
    for (size_t i = 0; i < len; i++)
        nlines += p->text[i] == '\n';
    p->lines = calloc((size_t)nlines, sizeof(*p->lines));
    p->line_section = calloc((size_t)nlines, sizeof(*p->line_section));
    p->sections = calloc((size_t)nlines, sizeof(*p->sections));
    if (p->lines == NULL || p->line_section == NULL || p->sections == NULL)
        config_error("%s: cannot read: %s", p->path, strerror(ENOMEM));
    for (char *s = p->text; *s != '\0' || s == p->text;) {
        char *nl = strchr(s, '\n');

        p->lines[p->nlines++] = s;
        if (nl == NULL)
            break;
        *nl = '\0';
        if (nl > s && nl[-1] == '\r')
            nl[-1] = '\0';
        s = nl + 1;
    }
}

/* One line: too long or indented lines become blank for libinih, after being recorded;
 * a section header starts a section. */
static void prescan_line(struct parser *p, int i, int *current)
{
    static char blank[1];
    char *line = p->lines[i];
    const char *start;

    if (i == 0 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte order mark */
        p->lines[0] = line += 3;
    start = skip_space(line);
    if (strlen(line) > LINE_CHARS_MAX) {
        fail(p, i + 1, "line longer than 200 characters");
        p->lines[i] = blank;
    } else if (start != line && *start != '\0' && *start != ';' && *start != '#') {
        fail(p, i + 1,
             "indented line: remove the spaces before it (it would be joined to "
             "the value above)");
        p->lines[i] = blank;
    } else if (*start == '[') {
        char name[LINE_CHARS_MAX + 1];
        const char *end = header_end(start + 1);

        if (*end == ']') { /* else libinih reports the line */
            snprintf(name, sizeof(name), "%.*s", (int)(end - start - 1), start + 1);
            *current = p->nsections;
            add_section(p, i + 1, name);
        }
    }
    p->line_section[i] = *current;
}

/* Without any [ap] section, the world of DESIGN §4: two APs labelled by their SSIDs. */
static void add_default_world(struct config *cfg)
{
    static const struct {
        const char *ssid, *password;
        nsapi_security_t security;
        int rssi, channel;
    } world[] = {
        {"nsemu", "", NSAPI_SECURITY_NONE, -50, 1},
        {"nsemu-secure", "nsemu-password", NSAPI_SECURITY_WPA2, -60, 6},
    };

    for (size_t i = 0; i < ARRAY_SIZE(world); i++) {
        struct config_ap *ap = &cfg->aps[cfg->naps++];

        snprintf(ap->label, sizeof(ap->label), "%s", world[i].ssid);
        snprintf(ap->password, sizeof(ap->password), "%s", world[i].password);
        ap->security = world[i].security;
        ap->rssi = world[i].rssi;
        ap->channel = world[i].channel;
        snprintf(ap->ssid, sizeof(ap->ssid), "%s", world[i].ssid);
        derive_bssid(ap->label, 0, ap->bssid);
    }
}

static void ap_defaults(struct config_ap *ap)
{
    ap->security = NSAPI_SECURITY_NONE;
    ap->rssi = -50;
    ap->channel = 1;
    ap->assoc_ms = 300;
    snprintf(ap->dhcp, sizeof(ap->dhcp), "ok");
}

static void prescan(struct parser *p)
{
    int current = -1;

    for (int i = 0; i < p->nlines; i++)
        prescan_line(p, i, &current);
    if (p->cfg->naps == 0)
        add_default_world(p->cfg);
    else
        p->cfg->aps_given = true;
}

/* ---- keys of each section ------------------------------------------------------------ */

static void set_knob(struct parser *p, int line, const char *key, int id, const char *value)
{
    char why[200];

    if (!knob_set(id, value, true, why, sizeof(why))) {
        fail(p, line, "%s: %s", key, why);
        return;
    }
    note_link(p->cfg, line, key, knob_defs[id].flags);
}

/* [host], [tap], [device], [ethernet], [wifi], [dns] but static.*: knob SECTION.KEY. */
static void on_knob(struct parser *p, int line, const char *section, const char *key,
                    const char *value)
{
    char name[LINE_CHARS_MAX + 16];
    int id;

    snprintf(name, sizeof(name), "%s.%s", section, key);
    id = knob_find(name);
    if (id < 0) {
        fail(p, line, "%s: unknown key in [%s]", key, section);
        return;
    }
    set_knob(p, line, key, id, value);
}

/* The section a knob belongs to, when it is not [faults]. */
static const char *knob_home(const char *knob)
{
    size_t n = strcspn(knob, ".");

    for (size_t i = 0; i < ARRAY_SIZE(section_names); i++)
        if (section_names[i].knobs && strlen(section_names[i].name) == n &&
            strncmp(section_names[i].name, knob, n) == 0)
            return section_names[i].name;
    return NULL;
}

/* [faults]: keys are knob names as they stand (udp.loss). */
static void on_fault(struct parser *p, int line, const char *key, const char *value)
{
    int id = knob_find(key);
    const char *home = knob_home(key);

    if (id < 0)
        fail(p, line, "%s: unknown key in [faults]", key);
    else if (home != NULL)
        fail(p, line, "%s: not a fault: write it as %s in [%s]", key, key + strlen(home) + 1, home);
    else
        set_knob(p, line, key, id, value);
}

static void on_emulator(struct parser *p, int line, const char *key, const char *value)
{
    struct config *cfg = p->cfg;

    if (strcmp(key, "seed") == 0) {
        if (!parse_u64(value, &cfg->seed))
            fail(p, line, "seed: '%s' is not a whole number from 0 to %llu", value,
                 (unsigned long long)UINT64_MAX);
        cfg->seed_given = true;
    } else if (strcmp(key, "link") == 0) {
        if (strcmp(value, "host") == 0 || strcmp(value, "tap") == 0) {
            cfg->link = value[0] == 't' ? CONFIG_LINK_TAP : CONFIG_LINK_HOST;
            cfg->link_line = line;
        } else {
            fail(p, line, "link: '%s' is not host or tap", value);
        }
    } else if (strcmp(key, "interface") == 0) {
        if (strcmp(value, "ethernet") == 0 || strcmp(value, "wifi") == 0)
            cfg->interface = value[0] == 'w' ? CONFIG_IFACE_WIFI : CONFIG_IFACE_ETHERNET;
        else
            fail(p, line, "interface: '%s' is not ethernet or wifi", value);
    } else if (strcmp(key, "log") == 0) {
        snprintf(cfg->log, sizeof(cfg->log), "%s", value);
    } else {
        fail(p, line, "%s: unknown key in [emulator]", key);
    }
}

/* [dns] static.NAME = IP; a later entry for the same name and IP version replaces. */
static void on_static(struct parser *p, int line, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    struct config_static entry;
    size_t n;
    int i;

    snprintf(entry.name, sizeof(entry.name), "%s", key + strlen("static."));
    for (char *c = entry.name; *c != '\0'; c++)
        *c = (char)tolower((unsigned char)*c);
    n = strlen(entry.name);
    if (n > 0 && entry.name[n - 1] == '.')
        entry.name[n - 1] = '\0';
    if (!valid_host_name(entry.name)) {
        fail(p, line, "%s: '%s' is not a host name", key, key + strlen("static."));
        return;
    }
    if (!addr_parse(value, &entry.addr)) {
        fail(p, line, "%s: '%s' is not an IPv4 or IPv6 address", key, value);
        return;
    }
    for (i = 0; i < cfg->nstatics; i++)
        if (strcmp(cfg->statics[i].name, entry.name) == 0 &&
            cfg->statics[i].addr.version == entry.addr.version)
            break;
    if (i == CONFIG_MAX_STATICS) {
        fail(p, line, "%s: more than %d static names", key, CONFIG_MAX_STATICS);
        return;
    }
    cfg->statics[i] = entry;
    if (i == cfg->nstatics)
        cfg->nstatics++;
}

static bool set_security(struct config_ap *ap, const char *value)
{
    static const struct {
        const char *name;
        nsapi_security_t security;
    } names[] = {
        {"none", NSAPI_SECURITY_NONE},         {"wep", NSAPI_SECURITY_WEP},
        {"wpa", NSAPI_SECURITY_WPA},           {"wpa2", NSAPI_SECURITY_WPA2},
        {"wpa_wpa2", NSAPI_SECURITY_WPA_WPA2},
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(value, names[i].name) == 0) {
            ap->security = names[i].security;
            return true;
        }
    }
    return false;
}

static const char *security_name(nsapi_security_t security)
{
    switch (security) {
    case NSAPI_SECURITY_WEP: return "wep";
    case NSAPI_SECURITY_WPA: return "wpa";
    case NSAPI_SECURITY_WPA2: return "wpa2";
    case NSAPI_SECURITY_WPA_WPA2: return "wpa_wpa2";
    default: return "none";
    }
}

/* [ap "LABEL"] keys; the checks across keys wait for the whole file (finish_ap). */
static void on_ap(struct parser *p, int line, int index, const char *key, const char *value)
{
    struct config_ap *ap = &p->cfg->aps[index];
    struct ap_seen *seen = &p->aps[index];
    char why[200];
    bool ok = true;

    if (strcmp(key, "ssid") == 0) {
        ok = value[0] != '\0' && strlen(value) < sizeof(ap->ssid);
        if (ok)
            snprintf(ap->ssid, sizeof(ap->ssid), "%s", value);
        else
            snprintf(why, sizeof(why), "an SSID has 1 to %zu characters", sizeof(ap->ssid) - 1);
        seen->ssid = true;
    } else if (strcmp(key, "bssid") == 0) {
        ok = parse_mac(value, ap->bssid) && (ap->bssid[0] & 1) == 0;
        if (!ok)
            snprintf(why, sizeof(why), "'%s' is not a unicast MAC address like 02:00:00:00:01:01",
                     value);
        seen->bssid_line = line;
    } else if (strcmp(key, "security") == 0) {
        ok = set_security(ap, value);
        if (!ok)
            snprintf(why, sizeof(why), "'%s' is not one of none|wep|wpa|wpa2|wpa_wpa2", value);
        seen->security_line = line;
    } else if (strcmp(key, "password") == 0) {
        ok = strlen(value) < sizeof(ap->password) - 1;
        if (ok)
            snprintf(ap->password, sizeof(ap->password), "%s", value);
        else
            snprintf(why, sizeof(why), "a password has at most 63 characters");
        seen->password_line = line;
    } else if (strcmp(key, "rssi") == 0) {
        ok = parse_int(value, -127, 0, &ap->rssi, why, sizeof(why));
    } else if (strcmp(key, "channel") == 0) {
        ok = parse_int(value, 1, 165, &ap->channel, why, sizeof(why));
    } else if (strcmp(key, "hidden") == 0) {
        ok = parse_bool(value, &ap->hidden, why, sizeof(why));
    } else if (strcmp(key, "assoc_ms") == 0) {
        ok = parse_int(value, 0, 3600000, &ap->assoc_ms, why, sizeof(why));
    } else if (strcmp(key, "assoc") == 0) {
        ok = strcmp(value, "ok") == 0 || strcmp(value, "timeout") == 0;
        ap->assoc_timeout = strcmp(value, "timeout") == 0;
        if (!ok)
            snprintf(why, sizeof(why), "'%s' is not one of ok|timeout", value);
    } else if (strcmp(key, "dhcp") == 0) {
        ok = knob_check(KNOB_ETHERNET_DHCP, value, why, sizeof(why)) &&
             strlen(value) < sizeof(ap->dhcp);
        if (ok)
            snprintf(ap->dhcp, sizeof(ap->dhcp), "%s", value);
        else if (strlen(value) >= sizeof(ap->dhcp))
            snprintf(why, sizeof(why), "'%s' is too long", value);
    } else {
        fail(p, line, "%s: unknown key in [ap \"%s\"]", key, ap->label);
        return;
    }
    if (!ok)
        fail(p, line, "%s: %s", key, why);
}

/* forward = tcp:PORT -> IP:PORT (or udp:), toward a loopback address of the host. */
static bool parse_forward(const char *text, struct config_forward *f)
{
    struct addr_port target;
    char *end;
    long port;

    if (strncmp(text, "tcp:", 4) != 0 && strncmp(text, "udp:", 4) != 0)
        return false;
    f->udp = text[0] == 'u';
    if (!isdigit((unsigned char)text[4]))
        return false;
    port = strtol(text + 4, &end, 10);
    if (port < 1 || port > 65535)
        return false;
    end = (char *)skip_space(end);
    if (strncmp(end, "->", 2) != 0)
        return false;
    if (addr_list_parse(skip_space(end + 2), &target, 1) != 1 || target.port == 0)
        return false;
    f->port = (uint16_t)port;
    f->target = target.addr;
    f->target_port = target.port;
    return true;
}

static void on_gateway(struct parser *p, int line, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    struct config_forward f = {.line = line};
    char why[200];

    if (strcmp(key, "lease_s") == 0) {
        if (!parse_int(value, 4, 86400, &cfg->lease_s, why, sizeof(why)))
            fail(p, line, "lease_s: %s", why);
    } else if (strcmp(key, "forward") != 0) {
        fail(p, line, "%s: unknown key in [gateway]", key);
        return;
    } else if (!parse_forward(value, &f)) {
        fail(p, line, "forward: '%s' is not tcp:PORT -> IP:PORT or udp:PORT -> IP:PORT", value);
    } else if (!addr_is_loopback(&f.target)) {
        fail(p, line, "forward: '%s': the target must be a loopback address", value);
    } else {
        for (int i = 0; i < cfg->nforwards; i++) {
            if (cfg->forwards[i].udp == f.udp && cfg->forwards[i].port == f.port) {
                fail(p, line, "forward: %s port %u is already forwarded at line %d",
                     f.udp ? "udp" : "tcp", f.port, cfg->forwards[i].line);
                return;
            }
        }
        if (cfg->nforwards == CONFIG_MAX_FORWARDS)
            fail(p, line, "forward: more than %d forwards", CONFIG_MAX_FORWARDS);
        else
            cfg->forwards[cfg->nforwards++] = f;
    }
    note_link(cfg, line, key, KNOB_TAP);
}

/* ---- the timeline ---------------------------------------------------------------------- */

/* Copies the next word of *s into buf (empty at the end) and moves past it. */
static void next_word(const char **s, char *buf, size_t len)
{
    const char *start = skip_space(*s);
    size_t n = 0;

    while (start[n] != '\0' && !isspace((unsigned char)start[n]))
        n++;
    snprintf(buf, len, "%.*s", (int)n, start);
    *s = start + n;
}

/* set KNOB VALUE: a runtime knob and a value it takes. */
static bool parse_set(struct parser *p, int line, const char *time, const char *rest,
                      struct timeline_event *ev)
{
    char knob[LINE_CHARS_MAX + 1], why[200];
    const char *value;
    size_t n;

    next_word(&rest, knob, sizeof(knob));
    value = skip_space(rest);
    n = strlen(value);
    while (n > 0 && isspace((unsigned char)value[n - 1]))
        n--;
    ev->kind = TIMELINE_SET;
    ev->knob = knob_find(knob);
    snprintf(ev->value, sizeof(ev->value), "%.*s", (int)n, value);
    if (knob[0] == '\0' || ev->value[0] == '\0')
        fail(p, line, "%s: set needs a knob and a value: set KNOB VALUE", time);
    else if (ev->knob < 0)
        fail(p, line, "%s: set: unknown knob '%s'", time, knob);
    else if (!(knob_defs[ev->knob].flags & KNOB_RUNTIME))
        fail(p, line, "%s: set: %s is fixed at start-up (not a runtime knob)", time, knob);
    else if (!knob_check(ev->knob, ev->value, why, sizeof(why)))
        fail(p, line, "%s: set %s: %s", time, knob, why);
    else {
        note_link(p->cfg, line, knob, knob_defs[ev->knob].flags);
        return true;
    }
    return false;
}

/* ap "LABEL" gone|back|rssi N, for a label of the file (or of the default world). */
static bool parse_ap_event(struct parser *p, int line, const char *time, const char *rest,
                           struct timeline_event *ev)
{
    const struct config *cfg = p->cfg;
    const char *q = skip_space(rest), *end = *q == '"' ? strchr(q + 1, '"') : NULL;
    char verb[LINE_CHARS_MAX + 1], number[LINE_CHARS_MAX + 1], tail[LINE_CHARS_MAX + 1];
    char why[200];

    if (end == NULL) {
        fail(p, line, "%s: ap needs a label in quotes: ap \"LABEL\" gone|back|rssi N", time);
        return false;
    }
    for (ev->ap = 0; ev->ap < cfg->naps; ev->ap++)
        if (strlen(cfg->aps[ev->ap].label) == (size_t)(end - q - 1) &&
            strncmp(cfg->aps[ev->ap].label, q + 1, (size_t)(end - q - 1)) == 0)
            break;
    if (ev->ap == cfg->naps) {
        fail(p, line, "%s: ap: no access point labelled \"%.*s\"", time, (int)(end - q - 1), q + 1);
        return false;
    }
    rest = end + 1;
    next_word(&rest, verb, sizeof(verb));
    next_word(&rest, number, sizeof(number));
    next_word(&rest, tail, sizeof(tail));
    if (strcmp(verb, "rssi") == 0 && tail[0] == '\0') {
        ev->kind = TIMELINE_AP_RSSI;
        if (parse_int(number, -127, 0, &ev->rssi, why, sizeof(why)))
            return true;
        fail(p, line, "%s: ap \"%s\" rssi: %s", time, cfg->aps[ev->ap].label, why);
        return false;
    }
    if ((strcmp(verb, "gone") == 0 || strcmp(verb, "back") == 0) && number[0] == '\0') {
        ev->kind = verb[0] == 'g' ? TIMELINE_AP_GONE : TIMELINE_AP_BACK;
        return true;
    }
    fail(p, line, "%s: ap \"%s\": expected gone, back or rssi N", time, cfg->aps[ev->ap].label);
    return false;
}

static bool parse_event(struct parser *p, int line, const char *time, const char *text,
                        struct timeline_event *ev)
{
    char first[LINE_CHARS_MAX + 1], second[LINE_CHARS_MAX + 1], third[LINE_CHARS_MAX + 1];
    const char *rest = text;

    next_word(&rest, first, sizeof(first));
    if (strcmp(first, "set") == 0)
        return parse_set(p, line, time, rest, ev);
    if (strcmp(first, "ap") == 0)
        return parse_ap_event(p, line, time, rest, ev);
    next_word(&rest, second, sizeof(second));
    next_word(&rest, third, sizeof(third));
    if (third[0] == '\0' && strcmp(first, "link") == 0 &&
        (strcmp(second, "down") == 0 || strcmp(second, "up") == 0)) {
        ev->kind = second[0] == 'd' ? TIMELINE_LINK_DOWN : TIMELINE_LINK_UP;
        return true;
    }
    if (third[0] == '\0' && strcmp(first, "connections") == 0 && strcmp(second, "reset") == 0) {
        ev->kind = TIMELINE_CONNECTIONS_RESET;
        return true;
    }
    fail(p, line,
         "%s: '%s' is not an event (set KNOB VALUE, link down, link up, connections reset, "
         "ap \"LABEL\" gone|back|rssi N)",
         time, text);
    return false;
}

/* TIME = EVENT; events stay sorted by time, in file order for equal times. */
static void on_timeline(struct parser *p, int line, const char *time, const char *event)
{
    struct config *cfg = p->cfg;
    struct timeline_event ev = {.knob = -1, .ap = -1, .line = line};
    int at;

    if (!parse_time(time, &ev.at_ms)) {
        fail(p, line, "%s: not a time like 500ms, 2s or 1.5s", time);
        return;
    }
    if (!parse_event(p, line, time, event, &ev))
        return;
    if (cfg->nevents == CONFIG_MAX_EVENTS) {
        fail(p, line, "%s: more than %d timeline events", time, CONFIG_MAX_EVENTS);
        return;
    }
    for (at = cfg->nevents; at > 0 && cfg->events[at - 1].at_ms > ev.at_ms; at--)
        ;
    memmove(&cfg->events[at + 1], &cfg->events[at],
            (size_t)(cfg->nevents - at) * sizeof(cfg->events[0]));
    cfg->events[at] = ev;
    cfg->nevents++;
}

/* ---- libinih's side ------------------------------------------------------------------ */

/* An fgets-like reader over the pre-scanned lines: one line per call, so the handler
 * knows its line. The pre-scan made sure every line fits. */
static char *read_line(char *buf, int size, void *stream)
{
    struct parser *p = stream;

    if (p->next_line >= p->nlines)
        return NULL;
    p->line = p->next_line + 1;
    snprintf(buf, (size_t)size, "%s", p->lines[p->next_line++]);
    return buf;
}

static int on_entry(void *user, const char *section_name, const char *key, const char *raw)
{
    struct parser *p = user;
    int line = p->line, index = p->line_section[line - 1];
    const struct section *s = index >= 0 ? &p->sections[index] : NULL;
    char value[LINE_CHARS_MAX + 1];

    (void)section_name; /* libinih's name cannot tell a repeated section; ours can */
    if (p->err_line != 0 && p->err_line < line)
        return 1; /* an earlier problem is what gets reported */
    unquote(raw, value, sizeof(value));
    if (key[0] == '\0')
        fail(p, line, "a key is missing before '='");
    else if (s == NULL)
        fail(p, line, "%s: key outside any section", key);
    else if (s->kind == SEC_DNS && strncmp(key, "static.", 7) == 0)
        on_static(p, line, key, value);
    else if (s->name != NULL)
        on_knob(p, line, s->name, key, value);
    else if (s->kind == SEC_EMULATOR)
        on_emulator(p, line, key, value);
    else if (s->kind == SEC_FAULTS)
        on_fault(p, line, key, value);
    else if (s->kind == SEC_AP)
        on_ap(p, line, s->ap, key, value);
    else if (s->kind == SEC_GATEWAY)
        on_gateway(p, line, key, value);
    else if (s->kind == SEC_TIMELINE)
        on_timeline(p, line, key, value);
    return 1;
}

/* ---- once the whole file is read ---------------------------------------------------- */

static bool password_fits(nsapi_security_t security, const char *password)
{
    size_t n = strlen(password);
    bool hex = n > 0;

    for (const char *c = password; *c != '\0'; c++)
        hex = hex && isxdigit((unsigned char)*c);
    if (security == NSAPI_SECURITY_WEP)
        return n == 5 || n == 13 || (hex && (n == 10 || n == 26));
    return n >= 8 && n <= 63;
}

static int bssid_owner(const struct config *cfg, int count, const uint8_t bssid[6])
{
    for (int i = 0; i < count; i++)
        if (memcmp(cfg->aps[i].bssid, bssid, 6) == 0)
            return i;
    return -1;
}

/* SSID and BSSID defaults, and the password against the security, for each AP. */
static void finish_ap(struct parser *p, int i)
{
    struct config *cfg = p->cfg;
    struct config_ap *ap = &cfg->aps[i];
    const struct ap_seen *seen = &p->aps[i];
    int other;

    if (!seen->ssid && strlen(ap->label) >= sizeof(ap->ssid))
        fail(p, ap->line, "[ap \"%s\"]: a label longer than %zu characters needs an ssid",
             ap->label, sizeof(ap->ssid) - 1);
    else if (!seen->ssid)
        memcpy(ap->ssid, ap->label, strlen(ap->label) + 1);
    if (ap->security == NSAPI_SECURITY_NONE && ap->password[0] != '\0')
        fail(p, seen->password_line,
             "password: an open access point takes none (add security = wpa2, or the like)");
    else if (ap->security != NSAPI_SECURITY_NONE && seen->password_line == 0)
        fail(p, seen->security_line, "security: %s needs a password", security_name(ap->security));
    else if (ap->security == NSAPI_SECURITY_WEP && !password_fits(ap->security, ap->password))
        fail(p, seen->password_line,
             "password: a WEP password has 5 or 13 characters, or 10 or 26 hex digits");
    else if (ap->security != NSAPI_SECURITY_NONE && !password_fits(ap->security, ap->password))
        fail(p, seen->password_line, "password: a WPA/WPA2 password has 8 to 63 characters");
    if (seen->bssid_line == 0) {
        for (unsigned salt = 0; salt == 0 || bssid_owner(cfg, i, ap->bssid) >= 0; salt++)
            derive_bssid(ap->label, salt, ap->bssid);
    } else if ((other = bssid_owner(cfg, i, ap->bssid)) >= 0) {
        fail(p, seen->bssid_line, "bssid: already the BSSID of [ap \"%s\"]", cfg->aps[other].label);
    }
}

/* ---- the whole configuration ---------------------------------------------------------- */

static void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->link = CONFIG_LINK_HOST;
    cfg->interface = CONFIG_IFACE_ETHERNET;
    cfg->lease_s = 3600;
    for (int i = 0; i < CONFIG_MAX_APS; i++)
        ap_defaults(&cfg->aps[i]);
}

void config_read_scenario(const char *path, struct config *cfg)
{
    struct parser p = {.path = path, .cfg = cfg};
    int syntax;

    config_defaults(cfg);
    snprintf(cfg->scenario, sizeof(cfg->scenario), "%s", path);
    read_file(&p);
    prescan(&p);
    syntax = ini_parse_stream(read_line, &p, on_entry, &p);
    if (syntax < 0)
        config_error("%s: cannot read: %s", path, strerror(ENOMEM));
    if (syntax > 0)
        fail(&p, syntax, "%s",
             *skip_space(p.lines[syntax - 1]) == '['
                 ? "a section header needs its closing ']'"
                 : "expected KEY = VALUE, [SECTION] or a ; comment");
    report(&p);
    for (int i = 0; p.cfg->aps_given && i < p.cfg->naps; i++)
        finish_ap(&p, i);
    report(&p);
    free(p.sections);
    free(p.line_section);
    free(p.lines);
    free(p.text);
}

/* Where the environment set things, for the link check. */
struct env_uses {
    bool link;          /* NSEMU_LINK */
    bool pcap;          /* NSEMU_PCAP */
    char host_only[64]; /* first knob of NSEMU_FAULTS for the host link only */
    char tap_only[64];  /* ... for the tap link only */
};

/* NSEMU_FAULTS: comma-separated knob=value. */
static void read_faults(struct env_uses *uses)
{
    const char *env = getenv("NSEMU_FAULTS");
    char *copy, *save = NULL;

    if (env == NULL || *env == '\0')
        return;
    copy = strdup(env);
    if (copy == NULL)
        config_error("NSEMU_FAULTS: out of memory");
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        char why[200];
        unsigned flags;
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
        flags = knob_defs[id].flags;
        if ((flags & KNOB_HOST) && uses->host_only[0] == '\0')
            snprintf(uses->host_only, sizeof(uses->host_only), "%s", item);
        if ((flags & KNOB_TAP) && uses->tap_only[0] == '\0')
            snprintf(uses->tap_only, sizeof(uses->tap_only), "%s", item);
    }
    free(copy);
}

static const char *env_value(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

static void read_environment(struct config *cfg, struct env_uses *uses)
{
    const char *v;
    char why[200];

    if ((v = env_value("NSEMU_SEED")) != NULL) {
        if (!parse_u64(v, &cfg->seed))
            config_error("NSEMU_SEED: '%s' is not a whole number from 0 to %llu", v,
                         (unsigned long long)UINT64_MAX);
        cfg->seed_given = true;
    }
    if ((v = env_value("NSEMU_LINK")) != NULL) {
        if (strcmp(v, "host") != 0 && strcmp(v, "tap") != 0)
            config_error("NSEMU_LINK: '%s' is not host or tap", v);
        cfg->link = v[0] == 't' ? CONFIG_LINK_TAP : CONFIG_LINK_HOST;
        uses->link = true;
    }
    if ((v = env_value("NSEMU_LOG")) != NULL) {
        if (strlen(v) >= sizeof(cfg->log))
            config_error("NSEMU_LOG: longer than %zu characters", sizeof(cfg->log) - 1);
        snprintf(cfg->log, sizeof(cfg->log), "%s", v);
    }
    if ((v = env_value("NSEMU_PCAP")) != NULL) {
        if (!knob_set(KNOB_TAP_PCAP, v, true, why, sizeof(why)))
            config_error("NSEMU_PCAP: %s", why);
        uses->pcap = true;
    }
    read_faults(uses);
}

/* What this process lacks for the tap link (DESIGN §3), or NULL: namespaces need
 * CAP_SYS_ADMIN as well as CAP_NET_ADMIN, and TAPs need /dev/net/tun. */
static const char *tap_link_missing(void)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[2] = {0};
    bool net_admin, sys_admin;

    if (syscall(SYS_capget, &head, data) < 0)
        return "CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root)";
    net_admin = data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
    sys_admin = data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
    if (!net_admin || !sys_admin)
        return !net_admin && !sys_admin ? "CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root)"
               : !net_admin             ? "CAP_NET_ADMIN (run as root)"
                                        : "CAP_SYS_ADMIN (run as root)";
    if (access("/dev/net/tun", R_OK | W_OK) < 0)
        return "/dev/net/tun (modprobe tun)";
    return NULL;
}

/* The link chosen last must exist, and nothing may be set for the other one. */
static void check_link(const struct config *cfg, const struct env_uses *uses)
{
    const struct config_key_use *file =
        cfg->link == CONFIG_LINK_TAP ? &cfg->host_only : &cfg->tap_only;
    const char *env_key = cfg->link == CONFIG_LINK_TAP ? uses->host_only : uses->tap_only;
    const char *other =
        link_name(cfg->link == CONFIG_LINK_TAP ? CONFIG_LINK_HOST : CONFIG_LINK_TAP);

    const char *missing = cfg->link == CONFIG_LINK_TAP ? tap_link_missing() : NULL;

    if (missing != NULL && uses->link)
        config_error("NSEMU_LINK: the tap link needs %s; see nsemu doctor, or use "
                     "NSEMU_LINK=host", missing);
    if (missing != NULL)
        config_error("%s:%d: link: the tap link needs %s; see nsemu doctor, or use link = host",
                     cfg->scenario, cfg->link_line, missing);
    if (file->line != 0)
        config_error("%s:%d: %s: applies to the %s link only, and the link is %s", cfg->scenario,
                     file->line, file->key, other, link_name(cfg->link));
    if (uses->pcap && cfg->link != CONFIG_LINK_TAP)
        config_error("NSEMU_PCAP: applies to the tap link only, and the link is %s",
                     link_name(cfg->link));
    if (env_key[0] != '\0')
        config_error("NSEMU_FAULTS: %s: applies to the %s link only, and the link is %s", env_key,
                     other, link_name(cfg->link));
}

static uint64_t seed_from_clock(void)
{
    struct timespec ts;
    uint64_t seed;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 32);
}

static struct config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void load_config(void)
{
    const char *scenario = env_value("NSEMU_SCENARIO");
    struct env_uses uses = {0};

    if (scenario != NULL) {
        config_read_scenario(scenario, &config);
    } else {
        config_defaults(&config);
        add_default_world(&config);
    }
    read_environment(&config, &uses);
    if (!config.seed_given)
        config.seed = seed_from_clock();
    check_link(&config, &uses);
}

const struct config *config_get(void)
{
    pthread_once(&config_once, load_config);
    return &config;
}
