/* Private to the ingest layer: the reader object, its input buffer, and the field table shared by
 * the CSV and JSON-lines parsers. */
#ifndef SN_INGEST_IMPL_H
#define SN_INGEST_IMPL_H

#include "ingest.h"
#include "json_doc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes asked of the input per read; the buffer holds one block plus the longest record. */
#define SN_READ_BLOCK (1u << 20)
#define SN_BUF_CAP (SN_READ_BLOCK + SN_MAX_RECORD + 64)
/* Zeroed bytes allocated past the buffer so scans may read whole vector words at its end. */
#define SN_BUF_PAD 64
/* Most columns a CSV header may have; past that the file is not the format we read. */
#define SN_CSV_MAX_COLUMNS 256
/* Most events one summary line may stand for ("message repeated N times", "N incorrect
 * password attempts"); past it the line is reported rather than multiplied. */
#define SN_REPEAT_MAX 1000

/* The normalised fields, in the order of the reference header then the extras of the spec. */
typedef enum sn_field_id {
    SN_F_EVENT_ID,
    SN_F_USER_ID,
    SN_F_USERNAME,
    SN_F_DEPARTMENT,
    SN_F_JOB_TITLE,
    SN_F_RESOURCE,
    SN_F_ACTION,
    SN_F_TIMESTAMP,
    SN_F_SOURCE_IP,
    SN_F_LOCATION,
    SN_F_SUCCESS,
    SN_F_IS_ANOMALY,
    SN_F_ANOMALY_TYPE,
    SN_F_COUNTRY,
    SN_F_LATITUDE,
    SN_F_LONGITUDE,
    SN_F_USER_AGENT,
    SN_F_SESSION_ID,
    SN_F_MFA,
    SN_F_COUNT
} sn_field_id;

/* Space, tab, CR or LF: what is trimmed around values. */
static inline bool sn_ingest_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline void sn_ingest_trim(const char **s, size_t *n)
{
    while (*n > 0 && sn_ingest_is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && sn_ingest_is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Field id of a column or key name (trimmed, case-insensitive, aliases accepted); -1 if unknown. */
int sn_ingest_field_lookup(const char *name, size_t n);
/* Offset in sn_event of the sn_str of a field stored as text without any parsing, or -1. */
int sn_ingest_str_offset(int id);
/* Canonical name of a field id ("source_ip"). */
const char *sn_ingest_field_name(int id);

typedef struct sn_csv_span {
    uint32_t off; /* from the start of the buffer */
    uint32_t len;
    uint8_t quoted;
    uint8_t escaped; /* holds doubled quotes still to be collapsed */
} sn_csv_span;

struct sn_reader {
    sn_format format;
    int fd; /* -1 when reading memory */
    bool own_fd;
    const char *mem;
    size_t mem_len, mem_off;

    char *buf;         /* cap + SN_BUF_PAD bytes */
    size_t cap;        /* SN_BUF_CAP, or less for a memory buffer that needs less */
    size_t pos, end;   /* unconsumed bytes are buf[pos, end) */
    bool eof;          /* the source has nothing more */
    size_t read_limit; /* most bytes one read may add (0: no limit); tests use it to cut the
                          input at every possible place, as a pipe may */
    bool io_failed;
    int io_errno;
    long line;      /* line number of buf[pos] */
    bool last_nl;   /* the last consumed byte was a newline (for counting lines) */
    bool any_input; /* at least one byte was consumed */

    char *name; /* for messages; owned */
    sn_reader_stats stats;
    bool done; /* a fatal error or the end was returned */

    /* CSV */
    int ncols;
    int8_t col_field[SN_CSV_MAX_COLUMNS];
    int16_t col_str[SN_CSV_MAX_COLUMNS]; /* offset of a plain text field in sn_event, or -1 */
    char col_name[SN_CSV_MAX_COLUMNS][48];
    sn_csv_span spans[SN_CSV_MAX_COLUMNS + 1];

    /* Values the reader produces for the current record (lower-cased action, numbers as text) */
    char action[SN_MAX_FIELD];
    char scratch[512];
    size_t scratch_len;
    unsigned coords_seen; /* bit 0 latitude, bit 1 longitude */
    char compose[1024];   /* a value built from several parts: "host/sshd", "DOMAIN\user" */

    /* Options */
    int year_opt;      /* 0: infer the year of syslog headers */
    int tz_offset_min; /* zone of timestamps written without one, minutes east of UTC */
    int64_t now_us;    /* wall clock at open, for inferring years */

    /* syslog: the year and month of the last dated line (0 before the first), so that the
     * months of a log that crosses a new year carry the year on */
    int sl_year, sl_month;
    /* An event that one line stands for several times ("message repeated 5 times"): kept in
     * repeat_buf (owned, SN_MAX_RECORD bytes) and returned repeat_left more times. */
    sn_event repeat_ev;
    long repeat_left;
    char *repeat_buf;
    /* auto: the CSV header named no known column, so the input is no format we know */
    bool csv_unknown;

    /* JSON record streams (CloudTrail, Okta, Entra ID, ECS, OCSF; json_stream.c): where the
     * scanner stands, and what the current record borrows besides its parsed object */
    int js_level;      /* between top-level values, in an array of records, or in the
                          rest of the object that held the array */
    bool js_container; /* the array is a member of an object ({"Records": [...]}) */
    bool js_need_sep;  /* a record of the array was read: ',' or ']' comes next */
    bool js_broken;    /* a record of the array was cut by a line starting another: its framing is
                          lost, the records after it are read as they come and its end not asked */
    const char *const *js_keys; /* NULL-terminated names of a member holding the records */
    sn_jdoc *js_doc;            /* the parser of the records (created at the first) */
    sn_jv js_root;              /* the current record; none between records */
    sn_jdoc *js_parsed[8];      /* parsers of JSON text inside string values of the current
                                   record, created as needed and kept for the next ones */
    int js_nparsed;             /* how many of them hold a value of the current record */
    size_t build_len;           /* bytes of build used by the current record */
    char build[16384];          /* values composed from several fields of the current record */
};

/* sn_reader_open_mem, with every read of the buffer limited to read_limit bytes (0: none), so
 * that tests and fuzzers see records cut at every place a pipe could cut them. */
sn_status sn_ingest_open_mem_chunked(sn_reader **out, const char *data, size_t n, const char *name,
                                     sn_format format, size_t read_limit, sn_error *err);
/* The same with options, and with the wall clock given (now_us != 0) so that inferred years
 * can be tested. */
sn_status sn_ingest_open_mem_ex(sn_reader **out, const char *data, size_t n, const char *name,
                                sn_format format, const sn_reader_options *opts, size_t read_limit,
                                int64_t now_us, sn_error *err);
/* Input buffer: moves the unconsumed bytes to the front and reads more. Returns the number of
 * bytes added (0 at the end of input or on a read error, which sets io_failed). */
size_t sn_ingest_fill(sn_reader *r);
/* Marks buf[pos, pos + n) consumed; nl is the number of newlines in it. */
void sn_ingest_consume(sn_reader *r, size_t n, long nl);
/* Discards input up to and including the next newline, reading as needed without keeping what
 * is skipped. Returns false if the input ended first. */
bool sn_ingest_skip_line(sn_reader *r);
/* Fatal read error as an sn_error (returns SN_ERR_IO). */
sn_status sn_ingest_io_error(sn_reader *r, sn_error *err);
/* The next line that is not blank, without its line break (LF or CRLF), consumed: *line (len
 * bytes, starting at line number *lineno) stays valid until the reader next fills its buffer,
 * that is until the next call that reads. Returns SN_OK, SN_EOF, a non-fatal SN_ERR_TOO_LONG
 * for a line over SN_MAX_RECORD (skipped), or a fatal read error. */
sn_status sn_ingest_next_line(sn_reader *r, const char **line, size_t *len, long *lineno,
                              sn_error *err);
/* Picks the format of the input from its first line (already at buf[pos]); reads more as
 * needed, never past the first line. */
sn_format sn_ingest_detect_format(sn_reader *r);

/* Clears ev for a new record: strings absent, flags unknown, position set. */
void sn_ingest_event_init(sn_reader *r, sn_event *ev, long line);
/* Stores the text value of one field into ev, parsing and validating it. Empty text means
 * absent. On a bad value fills err (non-fatal, with file, line and field). */
sn_status sn_ingest_set_text(sn_reader *r, sn_event *ev, int field, const char *s, size_t n,
                             sn_error *err);
/* Checks what every record needs once all its fields are set (user_id, timestamp, coordinates). */
sn_status sn_ingest_finish_event(sn_reader *r, sn_event *ev, sn_error *err);
/* Copies text into the per-record scratch area; NULL when it is full. */
const char *sn_ingest_scratch(sn_reader *r, const char *s, size_t n);

/* Writes s as a short quoted excerpt for messages ('abc', non-printable and invalid bytes as
 * \xNN, cut with "..." past 60 bytes). */
void sn_ingest_quote(char *out, size_t cap, const char *s, size_t n);
/* Offset of the first byte that is not valid UTF-8 or is NUL; n when there is none. */
size_t sn_ingest_text_check(const char *s, size_t n);
/* IPv4 dotted quad, accepting exactly what inet_pton(AF_INET) accepts. */
bool sn_ingest_parse_ipv4(const char *s, size_t n, uint8_t out[4]);
/* Locale-independent decimal number ("-12.5", "1e3"); false when s is not one. */
bool sn_ingest_parse_double(const char *s, size_t n, double *out);
/* sn_parse_timestamp, reading a timestamp written without a zone as local time at tz_min
 * minutes east of UTC. */
sn_status sn_ingest_parse_timestamp_tz(const char *s, size_t n, int tz_min, int64_t *us,
                                       sn_error *err);
/* Microseconds since the epoch of a civil date and time (proleptic Gregorian, UTC); false
 * when the date does not exist (a 29 February outside leap years, a day 31 in April...). */
bool sn_ingest_civil_us(int y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                        int64_t *us);
/* The civil year and month (1-12) of an instant. */
void sn_ingest_civil_of(int64_t us, int *year, unsigned *month);
/* A fixed zone offset: "UTC", "Z", "GMT", "+02:00", "-0530", "+01", also "UTC+02:00"; up to
 * 14 hours either way. false when s is none of those. */
bool sn_ingest_parse_utc_offset(const char *s, int *minutes);

/* Per-format entry points, called by the reader. */
sn_status sn_csv_open(sn_reader *r, sn_error *err);
sn_status sn_csv_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_jsonl_open(sn_reader *r, sn_error *err);
sn_status sn_jsonl_next(sn_reader *r, sn_event *ev, sn_error *err);
void sn_jsonl_release(sn_reader *r);
/* Checks one line (UTF-8, nesting depth) and parses it as JSON; on success *root is a new
 * jansson value the caller releases (json_decref). Errors are non-fatal, at line. */
sn_status sn_jsonl_parse(sn_reader *r, const char *p, size_t n, long line, void **root,
                         sn_error *err);
/* One line of JSON lines parsed into *root (r->js_root, borrowed until the next record) with
 * the checks of sn_jsonl_parse and the same messages; an object or an array. */
sn_status sn_jsonl_parse_line(sn_reader *r, const char *p, size_t n, long line, sn_jv *root,
                              sn_error *err);
sn_status sn_syslog_open(sn_reader *r, sn_error *err);
sn_status sn_syslog_next(sn_reader *r, sn_event *ev, sn_error *err);
/* Whether a line starts like a syslog record: an RFC 3164 or RFC 3339 stamp, a host, a tag. */
bool sn_syslog_line_matches(const char *p, size_t n);
/* The year of a syslog date without one, at now_us: this year, or the previous one when the
 * date (read at tz_min minutes east of UTC) would be more than a day in the future. */
int sn_syslog_infer_year(unsigned month, unsigned day, unsigned h, unsigned mi, unsigned s,
                         int tz_min, int64_t now_us);
sn_status sn_winevt_open(sn_reader *r, sn_error *err);
sn_status sn_winevt_next(sn_reader *r, sn_event *ev, sn_error *err);
/* Whether a parsed JSON object is a Windows event: EventID, or winlog.event_id, or winlog with
 * event.code. */
bool sn_winevt_object_matches(sn_jv root);
sn_status sn_cloudtrail_open(sn_reader *r, sn_error *err);
sn_status sn_cloudtrail_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_okta_open(sn_reader *r, sn_error *err);
sn_status sn_okta_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_entra_open(sn_reader *r, sn_error *err);
sn_status sn_entra_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_ecs_open(sn_reader *r, sn_error *err);
sn_status sn_ecs_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_ocsf_open(sn_reader *r, sn_error *err);
sn_status sn_ocsf_next(sn_reader *r, sn_event *ev, sn_error *err);
/* Whether a parsed JSON object looks like a record of each format; --format auto asks them in
 * turn about the first record. */
bool sn_cloudtrail_object_matches(sn_jv root);
bool sn_okta_object_matches(sn_jv root);
bool sn_entra_object_matches(sn_jv root);
bool sn_ecs_object_matches(sn_jv root);
bool sn_ocsf_object_matches(sn_jv root);
/* Returns the event held for a repeated record when there is one left (SN_OK), else SN_EOF. */
sn_status sn_ingest_repeat_next(sn_reader *r, sn_event *ev);
/* Keeps a copy of ev to be returned count - 1 more times by sn_ingest_repeat_next. */
sn_status sn_ingest_repeat_hold(sn_reader *r, const sn_event *ev, long count, sn_error *err);

#endif
