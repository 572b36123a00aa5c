/* Private to the ingest layer: the reader object, its input buffer, and the field table shared by
 * the CSV and JSON-lines parsers. */
#ifndef SN_INGEST_IMPL_H
#define SN_INGEST_IMPL_H

#include "ingest.h"

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
/* Deepest JSON nesting accepted in one line (RFC 8259 section 9 lets parsers set a limit). */
#define SN_JSON_MAX_DEPTH 16

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

    /* JSON lines: the parsed object of the last record, kept while its strings are borrowed */
    void *json;

    /* Values the reader produces for the current record (lower-cased action, numbers as text) */
    char action[SN_MAX_FIELD];
    char scratch[512];
    size_t scratch_len;
    unsigned coords_seen; /* bit 0 latitude, bit 1 longitude */
};

/* sn_reader_open_mem, with every read of the buffer limited to read_limit bytes (0: none), so
 * that tests and fuzzers see records cut at every place a pipe could cut them. */
sn_status sn_ingest_open_mem_chunked(sn_reader **out, const char *data, size_t n, const char *name,
                                     sn_format format, size_t read_limit, sn_error *err);
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

/* Per-format entry points, called by the reader. */
sn_status sn_csv_open(sn_reader *r, sn_error *err);
sn_status sn_csv_next(sn_reader *r, sn_event *ev, sn_error *err);
sn_status sn_jsonl_open(sn_reader *r, sn_error *err);
sn_status sn_jsonl_next(sn_reader *r, sn_event *ev, sn_error *err);
void sn_jsonl_release(sn_reader *r);

#endif
