/* Public face of the ingest layer: streaming readers that turn input files into sn_event. */
#ifndef SN_INGEST_H
#define SN_INGEST_H

#include "../core/error.h"
#include "event.h"
#include "json_doc.h"

#include <stdio.h>

/* Largest accepted field, in bytes; a longer one makes its record bad. */
#define SN_MAX_FIELD 4096
/* Largest accepted record (one line / one JSON object), in bytes. */
#define SN_MAX_RECORD (64 * 1024)
/* Deepest JSON nesting accepted in one line (RFC 8259 section 9 lets parsers set a limit). */
#define SN_JSON_MAX_DEPTH 16

typedef enum sn_format {
    SN_FORMAT_AUTO = 0,
    SN_FORMAT_CSV,        /* the reference CSV, header-driven */
    SN_FORMAT_JSONL,      /* JSON lines of the same fields */
    SN_FORMAT_SYSLOG,     /* Linux auth.log: sshd, su and sudo messages in syslog text */
    SN_FORMAT_WINEVT,     /* Windows Security logon events as JSON lines, flat or winlogbeat */
    SN_FORMAT_CLOUDTRAIL, /* AWS CloudTrail: a file of {"Records": [...]} or one record a line */
    SN_FORMAT_OKTA,       /* Okta System Log events: JSON lines or a JSON array */
    SN_FORMAT_ENTRA,      /* Microsoft Entra ID sign-in and audit logs (Graph, Azure Monitor,
                             Log Analytics shapes) */
    SN_FORMAT_ECS,        /* Elastic Common Schema authentication events */
    SN_FORMAT_OCSF,       /* OCSF Authentication events (class 3002) */
} sn_format;

/* The names sn_format_from_name accepts, for help and error texts. */
#define SN_FORMAT_NAMES "auto, csv, jsonl, syslog, winevt, cloudtrail, okta, entra, ecs, ocsf"

/* "auto", "csv", "jsonl" ("ndjson"), "syslog" ("auth.log"), "winevt", "cloudtrail", "okta",
 * "entra" ("azuread"), "ecs", "ocsf" -> format; returns -1 for an unknown name. */
int sn_format_from_name(const char *name, sn_format *out);
const char *sn_format_name(sn_format f);

typedef struct sn_reader sn_reader;

typedef struct sn_reader_stats {
    long records; /* events returned */
    long skipped; /* bad records reported and skipped */
    long lines;   /* physical lines read */
    long ignored; /* well-formed records that are not access events (an sshd disconnect, a cron
                     line, a Windows event id outside the logon set, a CloudTrail Insights
                     event, an Entra ID provisioning record, an ECS event of another category,
                     an OCSF event of another class), counted and skipped */
} sn_reader_stats;

/* How to read what the input itself leaves open. Zeroed (or NULL) means the defaults. */
typedef struct sn_reader_options {
    /* Year of the first syslog line whose header has none (RFC 3164); later lines follow the
     * months across a new year. 0: the current year, or the previous one when the date would
     * lie more than a day in the future. Otherwise 1970-9999. */
    int year;
    /* Zone of timestamps written without one (RFC 3164 headers, "2026-09-04 09:03:24"): a
     * fixed offset from UTC such as "+02:00", "-0530", "+01", or "UTC" / "Z". NULL: UTC. */
    const char *timezone;
} sn_reader_options;

/* Checks opts as sn_reader_open_opts would (SN_ERR_USAGE with the option named in err), so a
 * command line can refuse a bad value before opening anything. NULL is valid. */
sn_status sn_reader_options_check(const sn_reader_options *opts, sn_error *err);

/* Opens path ("-" for stdin) for streaming. SN_FORMAT_AUTO picks the format from the first
 * record: JSON (an object, an array of them, or an object holding the array) is winevt,
 * cloudtrail, okta, entra, ocsf or ecs by the fields of its first record, else jsonl; a
 * syslog header (RFC 3164 or RFC 3339 stamp, host, tag) is syslog; anything else is CSV. On
 * failure returns an error with err filled (missing file, empty file, missing header,
 * unrecognised format); *out is NULL. */
sn_status sn_reader_open(sn_reader **out, const char *path, sn_format format, sn_error *err);
/* Reads from a memory buffer (borrowed until sn_reader_close); name is used in messages. */
sn_status sn_reader_open_mem(sn_reader **out, const char *data, size_t n, const char *name,
                             sn_format format, sn_error *err);
/* The same two with options (NULL: defaults); a bad option is a fatal SN_ERR_USAGE. */
sn_status sn_reader_open_opts(sn_reader **out, const char *path, sn_format format,
                              const sn_reader_options *opts, sn_error *err);
sn_status sn_reader_open_mem_opts(sn_reader **out, const char *data, size_t n, const char *name,
                                  sn_format format, const sn_reader_options *opts, sn_error *err);

/* Next event. Returns SN_OK with *ev filled (its strings are borrowed until the next call),
 * SN_EOF at the end, or an error: err->fatal == false means one record was bad and was skipped
 * (the caller reports it and calls again); fatal errors end the input. */
sn_status sn_reader_next(sn_reader *r, sn_event *ev, sn_error *err);

const sn_reader_stats *sn_reader_get_stats(const sn_reader *r);

/* Copies src into dst with its strings moved into buf (cap bytes); src_file stays borrowed.
 * Returns the bytes of buf used, or (size_t)-1 when buf is too small (SN_MAX_RECORD always
 * suffices). */
size_t sn_event_copy(sn_event *dst, const sn_event *src, char *buf, size_t cap);
/* Moves the strings of ev that point into r itself (what the reader writes for a record: a
 * lower-cased action, numbers as text) into buf (cap bytes); the others stay borrowed from where
 * they were. Returns the bytes of buf used, or (size_t)-1 (and ev unchanged) when buf is too
 * small (SN_MAX_RECORD always suffices). For events whose input outlives them, read with
 * sn_jsonl_event_from_members. */
size_t sn_event_detach(sn_event *ev, const sn_reader *r, char *buf, size_t cap);
sn_format sn_reader_format(const sn_reader *r);

/* A reader with no input, for sn_jsonl_event_from_members; name is used in messages. */
sn_status sn_reader_open_objects(sn_reader **out, const char *name, sn_error *err);

/* One member of an object already parsed: its name (name_n bytes) and its value in a parsed
 * document (json_doc.h), or text in its place when text is not NULL. */
typedef struct sn_jmember {
    const char *name;
    size_t name_n;
    sn_jv value;
    const char *text;
    size_t text_n;
} sn_jmember;

/* One event from the members of a JSON object, in order, mapped as a line of JSON lines is (the
 * first member of each field counts): r (from sn_reader_open_objects) gives the name and
 * scratch space, and line the position errors name. The event's strings point into the
 * members' values and texts and into r until the next call. Spares re-serialising objects that
 * arrive parsed (the server's request bodies). */
sn_status sn_jsonl_event_from_members(sn_reader *r, const sn_jmember *m, size_t n, long line,
                                      sn_event *ev, sn_error *err);
void sn_reader_close(sn_reader *r);

/* Field parsers shared by every format. Each returns SN_OK or an error with a reason in err
 * (field name left to the caller). */
/* ISO 8601 (with or without zone, fraction, 'T' or space) or epoch seconds / milliseconds. */
sn_status sn_parse_timestamp(const char *s, size_t n, int64_t *us, sn_error *err);
/* IPv4 or IPv6 text in the syntax of inet_pton(3), in brackets or not; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is stored as the IPv4 address it maps. */
sn_status sn_parse_ip(const char *s, size_t n, sn_ip *ip, sn_error *err);
/* true/false/1/0/yes/no/t/f/y/n/success/succeeded/failure/failed (case-insensitive). */
sn_status sn_parse_bool(const char *s, size_t n, int8_t *out, sn_error *err);
/* Length of the valid UTF-8 prefix; == n when all valid. Overlongs and surrogates invalid. */
size_t sn_utf8_valid_prefix(const char *s, size_t n);
/* Formats ts_us as ISO 8601 UTC with microseconds: "2026-09-04T09:03:24.530587Z" (28 bytes + NUL).
 */
size_t sn_format_timestamp(int64_t ts_us, char out[32]);
/* Formats ip as text (inet_ntop). */
size_t sn_format_ip(const sn_ip *ip, char out[48]);

/* Whether the messages of bad records on the calling thread quote the value at fault ('abc' is
 * not a valid timestamp: the default, for files) or say "the value" instead (an API answers a
 * client without repeating what it sent). Returns the setting it replaces. */
bool sn_ingest_quote_values(bool on);

#endif
