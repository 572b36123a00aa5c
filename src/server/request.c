/* Request bodies on simdjson (json_doc.h) with a parser, a reader and scratch space kept per
 * thread and reused request after request; each event checked against the server's limits and
 * mapped as the line of JSON lines it would be. The events borrow their text from the body's
 * document, and what it does not hold lives in one arena per request. jansson reads a body
 * only when simdjson refused it: to say why, in the words the API always used. */
#include "server_internal.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- What each thread keeps ------------------------------------------------------------------ */

typedef struct thread_state {
    sn_jdoc *doc;       /* the body last parsed */
    sn_reader *reader;  /* maps events (its name and scratch space) */
    sn_jmember *member; /* the members of the event being mapped */
    uint8_t *kind;      /* what each member's name is to the server (name_kind) */
    size_t member_cap;
} thread_state;

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static bool state_key_made;

static void state_free(void *p)
{
    thread_state *t = p;
    if (!t)
        return;
    sn_jdoc_free(t->doc);
    sn_reader_close(t->reader);
    free(t->member);
    free(t->kind);
    free(t);
}

static void state_key_make(void)
{
    state_key_made = pthread_key_create(&state_key, state_free) == 0;
}

/* The calling thread's state, made at its first request; NULL when out of memory. */
static thread_state *state_get(void)
{
    pthread_once(&state_once, state_key_make);
    if (!state_key_made)
        return NULL;
    thread_state *t = pthread_getspecific(state_key);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    sn_error err;
    if (sn_reader_open_objects(&t->reader, "request", &err) != SN_OK ||
        pthread_setspecific(state_key, t) != 0) {
        state_free(t);
        return NULL;
    }
    return t;
}

/* ---- Request bodies ------------------------------------------------------------------------ */

/* Bodies up to this size leave the thread's parser as it is for the next request; a larger one
 * has it freed once answered (simdjson's buffers take about ten times the body's size). */
#define KEEP_PARSER (1024 * 1024)

bool sn_body_parse(const sn_http_request *req, sn_jv *root, sn_http_response *resp)
{
    const char *body = req->body ? req->body : "";
    size_t len = req->body_len;
    thread_state *t = len ? state_get() : NULL;
    if (t && !t->doc && (t->doc = sn_jdoc_new()))
        sn_jdoc_allow_nul(t->doc, true); /* refused per event, naming the field */
    if (t && t->doc &&
        sn_jdoc_parse(t->doc, body, len, req->body_pad >= SN_JDOC_PADDING, SN_BODY_MAX_DEPTH,
                      root))
        return true; /* JSON of any type: the route says whether it is the one it takes */
    /* Refused: jansson says why. */
    json_t *j = sn_json_parse_body(body, len, resp);
    if (!j)
        return false;
    /* Taken by jansson alone (it passes over a NUL byte right after a number or a literal): its
     * reading, written again, is what is parsed. */
    char *again = t && t->doc ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    bool ok = again && sn_jdoc_parse(t->doc, again, strlen(again), false, SN_BODY_MAX_DEPTH, root);
    free(again);
    if (!ok)
        sn_service_error(resp, 500, "internal_error", "out of memory", NULL);
    return ok;
}

void sn_body_done(const sn_http_request *req)
{
    if (req->body_len <= KEEP_PARSER)
        return;
    thread_state *t = state_get();
    if (t) {
        sn_jdoc_free(t->doc);
        t->doc = NULL;
    }
}

/* ---- The arena ------------------------------------------------------------------------------ */

struct sn_arena_block {
    sn_arena_block *next;
    size_t cap, used;
    char data[];
};

/* Arena blocks hold at least this much. */
#define BLOCK_MIN SN_MAX_RECORD

static sn_arena_block *block_new(sn_req_events *e, size_t cap)
{
    if (cap < BLOCK_MIN)
        cap = BLOCK_MIN;
    sn_arena_block *b = malloc(sizeof(*b) + cap);
    if (!b)
        return NULL;
    b->next = e->blocks;
    b->cap = cap;
    b->used = 0;
    e->blocks = b;
    return b;
}

/* n bytes aligned for any of the request's structures; NULL when out of memory. */
static void *arena_alloc(sn_req_events *e, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    sn_arena_block *b = e->blocks;
    if (!b || b->cap - b->used < n) {
        if (!(b = block_new(e, n)))
            return NULL;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

/* Keeps ev as event i: what it borrows from the reader is copied into the arena; the rest it
 * borrows from the body's document and the arena, which last as long as the request. */
static sn_status keep_event(sn_req_events *e, const sn_reader *r, sn_event *ev, size_t i)
{
    sn_arena_block *b = e->blocks;
    size_t used = sn_event_detach(ev, r, b->data + b->used, b->cap - b->used);
    if (used == (size_t)-1) {
        /* A record never needs more than SN_MAX_RECORD bytes. */
        if (!(b = block_new(e, SN_MAX_RECORD)))
            return SN_ERR_NOMEM;
        used = sn_event_detach(ev, r, b->data, b->cap);
        if (used == (size_t)-1)
            return SN_ERR_NOMEM;
    }
    b->used += (used + 15) & ~(size_t)15;
    if (b->used > b->cap)
        b->used = b->cap;
    ev->src_file = NULL;
    ev->src_line = (long)i + 1;
    e->ev[i] = *ev;
    return SN_OK;
}

void sn_req_events_free(sn_req_events *e)
{
    while (e->blocks) {
        sn_arena_block *next = e->blocks->next;
        free(e->blocks);
        e->blocks = next;
    }
    memset(e, 0, sizeof(*e));
}

/* ---- Event ids ------------------------------------------------------------------------------ */

/* Random bytes for event ids, fetched 64 ids at a time per thread: one RAND_bytes call per id
 * cost as much as judging the event. */
static bool random_id_bytes(unsigned char r[16])
{
    static _Thread_local unsigned char pool[16 * 64];
    static _Thread_local size_t left;
    if (!left) {
        if (RAND_bytes(pool, sizeof(pool)) != 1)
            return false;
        left = sizeof(pool);
    }
    left -= 16;
    memcpy(r, pool + left, 16);
    memset(pool + left, 0, 16);
    return true;
}

#define ID_LEN 36

static void new_event_id(char out[ID_LEN + 1])
{
    static atomic_uint_fast64_t fallback;
    unsigned char r[16];
    if (!random_id_bytes(r)) {
        uint64_t k = atomic_fetch_add(&fallback, 1) + (uint64_t)sn_now_us();
        memcpy(r, &k, 8);
        memset(r + 8, 0x5a, 8);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* RFC 9562 version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

/* ---- One event ------------------------------------------------------------------------------ */

/* What a member's name is to the server: one of the names of the event's time or of its id
 * (compared ignoring ASCII case, as the ingest layer compares names), which it fills in when
 * no member under them has a value; BLANK marks such a member without one. */
enum { NAME_OTHER = 0, NAME_TIME = 1, NAME_ID = 2, BLANK = 4 };

/* Members that hold no value and are taken out, at most, for each of the two. */
#define MAX_DROPPED 8

static int name_kind(const char *k, size_t n)
{
    const char *word;
    int kind;
    switch (n) {
    case 4:
        word = "time";
        kind = NAME_TIME;
        break;
    case 8:
        word = "event_id";
        kind = NAME_ID;
        break;
    case 9:
        word = "timestamp";
        kind = NAME_TIME;
        break;
    case 10:
        word = "@timestamp";
        kind = NAME_TIME;
        break;
    default:
        return NAME_OTHER;
    }
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if ((c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c) != word[i])
            return NAME_OTHER;
    }
    return kind;
}

/* null, or a string (s, n bytes) of nothing but white space (isspace in the C locale). */
static bool blank_value(sn_jv_type t, const char *s, size_t n)
{
    if (t == SN_JV_NULL)
        return true;
    if (t != SN_JV_STRING)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* Whether v, or anything inside it, is a string holding a NUL character. */
static bool holds_nul(sn_jv v)
{
    sn_jv_type t = sn_jv_typeof(v);
    if (t == SN_JV_STRING) {
        size_t n;
        const char *s = sn_jv_string(v, &n);
        return memchr(s, '\0', n) != NULL;
    }
    if (t != SN_JV_ARRAY && t != SN_JV_OBJECT)
        return false;
    sn_jiter it = sn_jv_iter(v);
    sn_jv item;
    const char *key;
    size_t klen;
    while (sn_jiter_next(&it, &item, &key, &klen))
        if (holds_nul(item))
            return true;
    return false;
}

/* Nesting of arrays and objects inside v (0 for a scalar), stopping once past limit. */
static int nesting(sn_jv v, int limit)
{
    sn_jv_type t = sn_jv_typeof(v);
    if (limit < 0 || (t != SN_JV_OBJECT && t != SN_JV_ARRAY))
        return 0;
    int deepest = 0;
    sn_jiter it = sn_jv_iter(v);
    sn_jv item;
    const char *key;
    size_t klen;
    while (deepest < limit && sn_jiter_next(&it, &item, &key, &klen)) {
        int d = nesting(item, limit - 1);
        if (d > deepest)
            deepest = d;
    }
    return deepest + 1;
}

/* More than the bytes of v's compact JSON text: every byte of a string escaped as \u00XX. */
static size_t text_bound(sn_jv v)
{
    size_t n;
    switch (sn_jv_typeof(v)) {
    case SN_JV_STRING:
        sn_jv_string(v, &n);
        return 6 * n + 2;
    case SN_JV_ARRAY:
    case SN_JV_OBJECT: {
        size_t total = 2;
        sn_jiter it = sn_jv_iter(v);
        sn_jv item;
        const char *key;
        size_t klen;
        while (sn_jiter_next(&it, &item, &key, &klen))
            total += 6 * klen + 4 + text_bound(item);
        return total;
    }
    default:
        return 32; /* numbers, true, false, null */
    }
}

/* v as a jansson value, for measuring its text; NULL when out of memory. */
static json_t *as_jansson(sn_jv v)
{
    size_t n;
    const char *s;
    switch (sn_jv_typeof(v)) {
    case SN_JV_STRING:
        s = sn_jv_string(v, &n);
        return json_stringn_nocheck(s, n);
    case SN_JV_INTEGER:
        return json_integer(sn_jv_integer(v));
    case SN_JV_REAL:
        return json_real(sn_jv_number(v));
    case SN_JV_TRUE:
        return json_true();
    case SN_JV_FALSE:
        return json_false();
    case SN_JV_ARRAY:
    case SN_JV_OBJECT: {
        bool array = sn_jv_typeof(v) == SN_JV_ARRAY;
        json_t *out = array ? json_array() : json_object();
        sn_jiter it = sn_jv_iter(v);
        sn_jv item;
        const char *key;
        size_t klen;
        while (out && sn_jiter_next(&it, &item, &key, &klen)) {
            json_t *x = as_jansson(item);
            if (!x || (array ? json_array_append_new(out, x)
                             : json_object_setn_new_nocheck(out, key, klen, x)) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
        return out;
    }
    default:
        return json_null();
    }
}

/* The length of the members' compact JSON text as jansson writes it (the object a line of JSON
 * lines would hold); SIZE_MAX when out of memory. */
static size_t text_length(const sn_jmember *m, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++) {
        json_t *x = m[i].text ? json_stringn_nocheck(m[i].text, m[i].text_n) : as_jansson(m[i].value);
        if (!x || json_object_setn_new_nocheck(o, m[i].name, m[i].name_n, x) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    size_t len = o ? json_dumpb(o, NULL, 0, JSON_COMPACT) : SIZE_MAX;
    json_decref(o);
    return len;
}

/* A member's name as an error's field: cut to the room there is, at a character's end. */
static void field_name(char out[64], const char *name, size_t n)
{
    n = sn_utf8_valid_prefix(name, n < 63 ? n : 63);
    memcpy(out, name, n);
    out[n] = '\0';
}

/* Why an event is over the record limit: its largest string member when that one alone is
 * over the field limit, else its size. */
static void too_large(const sn_jmember *m, size_t n, sn_error *err)
{
    size_t max = 0, largest = n;
    for (size_t i = 0; i < n; i++) {
        size_t len = m[i].text_n;
        if (!m[i].text && (sn_jv_typeof(m[i].value) != SN_JV_STRING ||
                           !sn_jv_string(m[i].value, &len)))
            continue;
        if (len > max) {
            max = len;
            largest = i;
        }
    }
    if (largest < n && max > SN_MAX_FIELD) {
        char field[64];
        field_name(field, m[largest].name, m[largest].name_n);
        sn_error_set(err, SN_ERR_TOO_LONG, false, NULL, 0, field,
                     "field is %zu bytes, longer than the %d-byte limit", max, SN_MAX_FIELD);
    } else {
        sn_error_set(err, SN_ERR_TOO_LONG, false, NULL, 0, NULL,
                     "the event is longer than the %d-byte limit", SN_MAX_RECORD);
    }
}

/* The server's words for a value's type, in messages about whole events. */
static const char *type_words(sn_jv v)
{
    switch (sn_jv_typeof(v)) {
    case SN_JV_ARRAY:
        return "an array";
    case SN_JV_STRING:
        return "a string";
    case SN_JV_INTEGER:
    case SN_JV_REAL:
        return "a number";
    case SN_JV_TRUE:
    case SN_JV_FALSE:
        return "a boolean";
    case SN_JV_NULL:
        return "null";
    default:
        return "an object";
    }
}

/* Mapping the events of one request. */
typedef struct map_ctx {
    sn_req_events *out;
    thread_state *t;
    bool nul_seen; /* the body has a string that holds a NUL character */
    char *now;     /* the time of events without one, in the arena */
    size_t now_len;
    int64_t latest_us; /* events dated after this are refused; INT64_MAX: none */
    int max_future_seconds;
    sn_error err;
} map_ctx;

static sn_status grow_members(thread_state *t, size_t need)
{
    if (need <= t->member_cap)
        return SN_OK;
    size_t cap = t->member_cap ? 2 * t->member_cap : 32;
    while (cap < need)
        cap *= 2;
    sn_jmember *m = realloc(t->member, cap * sizeof(*m));
    if (!m)
        return SN_ERR_NOMEM;
    t->member = m;
    uint8_t *k = realloc(t->kind, cap);
    if (!k)
        return SN_ERR_NOMEM;
    t->kind = k;
    t->member_cap = cap;
    return SN_OK;
}

/* Event i is refused for c->err; id (may be absent) is the event_id its result names. */
static sn_status refuse(map_ctx *c, size_t i, sn_str id)
{
    sn_req_refusal *r = arena_alloc(c->out, sizeof(*r) + id.n + 1);
    if (!r)
        return SN_ERR_NOMEM;
    r->err = c->err;
    char *copy = (char *)(r + 1);
    if (id.n)
        memcpy(copy, id.p, id.n);
    copy[id.n] = '\0';
    r->event_id = (sn_str){id.p ? copy : NULL, id.n};
    c->out->refused[i] = r;
    return SN_OK;
}

static sn_str jv_str(sn_jv v)
{
    size_t n = 0;
    const char *p = sn_jv_typeof(v) == SN_JV_STRING ? sn_jv_string(v, &n) : NULL;
    return (sn_str){p, n};
}

/* Event i from v. The server's own checks come first, in this order: an object; no NUL
 * character in any of its strings; then, with its time and id filled in where it has none, its
 * nesting and its size as a line of JSON lines; then the ingest layer maps it. */
static sn_status map_event(map_ctx *c, sn_jv v, size_t i)
{
    sn_error *err = &c->err;
    if (sn_jv_typeof(v) != SN_JV_OBJECT) {
        sn_error_set(err, SN_ERR_PARSE, false, NULL, 0, NULL,
                     "an event must be a JSON object, got %s", type_words(v));
        return refuse(c, i, (sn_str){0});
    }
    thread_state *t = c->t;
    size_t n = 0, bound = 2;
    bool has_time = false, has_id = false;
    int deepest = 0;
    sn_jv given_id = {{NULL, NULL}}; /* the member named exactly event_id */
    sn_jiter it = sn_jv_iter(v);
    sn_jmember m = {0};
    while (sn_jiter_next(&it, &m.value, &m.name, &m.name_n)) {
        if (n == t->member_cap && grow_members(t, n + 1) != SN_OK)
            return SN_ERR_NOMEM;
        int kind = name_kind(m.name, m.name_n);
        const char *str;
        size_t len;
        sn_jv_type type = sn_jv_read(m.value, &str, &len);
        if (kind) {
            if (blank_value(type, str, len))
                kind |= BLANK;
            else if (kind == NAME_TIME)
                has_time = true;
            else
                has_id = true;
            if ((kind & NAME_ID) && m.name_n == 8 && !memcmp(m.name, "event_id", 8))
                given_id = m.value;
        }
        if (type == SN_JV_STRING) {
            bound += 6 * m.name_n + 4 + 6 * len + 2;
        } else if (type == SN_JV_OBJECT || type == SN_JV_ARRAY) {
            bound += 6 * m.name_n + 4 + text_bound(m.value);
            int d = deepest <= SN_JSON_MAX_DEPTH ? nesting(m.value, SN_JSON_MAX_DEPTH) : 0;
            if (d > deepest)
                deepest = d;
        } else {
            bound += 6 * m.name_n + 4 + 32;
        }
        t->member[n] = m;
        t->kind[n++] = (uint8_t)kind;
    }
    if (grow_members(t, n + 2) != SN_OK) /* room for the two the server may add */
        return SN_ERR_NOMEM;
    if (c->nul_seen) {
        /* The file readers refuse NUL bytes too, and the text fields of an event are C strings
         * downstream. */
        for (size_t k = 0; k < n; k++) {
            if (!holds_nul(t->member[k].value))
                continue;
            char field[64];
            field_name(field, t->member[k].name, t->member[k].name_n);
            sn_error_set(err, SN_ERR_PARSE, false, NULL, 0, field,
                         "holds a NUL character (\\u0000), which no field may contain");
            return refuse(c, i, jv_str(given_id));
        }
    }
    /* The time and the id: members under their names without a value give way (eight of each
     * at most) to the server's own, which stands in place of one named exactly timestamp or
     * event_id that did not give way, else after the others. */
    char *id = has_id ? NULL : arena_alloc(c->out, ID_LEN + 1);
    if (!has_id && !id)
        return SN_ERR_NOMEM;
    if (!has_id)
        new_event_id(id);
    int dropped_time = 0, dropped_id = 0;
    bool time_set = has_time, id_set = has_id;
    size_t kept = has_time && has_id ? n : 0; /* then none gives way */
    for (size_t k = kept; k < n; k++) {
        sn_jmember *x = &t->member[k];
        int kind = t->kind[k];
        if ((kind & BLANK) && (kind & NAME_TIME) && !has_time) {
            if (dropped_time < MAX_DROPPED) {
                dropped_time++;
                continue;
            }
            if (x->name_n == 9 && !memcmp(x->name, "timestamp", 9)) {
                x->text = c->now;
                x->text_n = c->now_len;
                time_set = true;
            }
        } else if ((kind & BLANK) && (kind & NAME_ID) && !has_id) {
            if (dropped_id < MAX_DROPPED) {
                dropped_id++;
                continue;
            }
            if (x->name_n == 8 && !memcmp(x->name, "event_id", 8)) {
                x->text = id;
                x->text_n = ID_LEN;
                id_set = true;
            }
        }
        t->member[kept++] = *x;
    }
    if (!time_set)
        t->member[kept++] = (sn_jmember){"timestamp", 9, {{NULL, NULL}}, c->now, c->now_len};
    if (!id_set)
        t->member[kept++] = (sn_jmember){"event_id", 8, {{NULL, NULL}}, id, ID_LEN};
    bound += 2 * (6 * 9 + 4 + 6 * ID_LEN + 2);
    sn_str answer_id = has_id ? jv_str(given_id) : (sn_str){id, ID_LEN};
    if (deepest + 1 > SN_JSON_MAX_DEPTH) {
        /* The limit the file readers keep for a record: the same event, the same answer. */
        sn_error_set(err, SN_ERR_LIMIT, false, "request", (long)i + 1, NULL,
                     "JSON nested deeper than %d levels", SN_JSON_MAX_DEPTH);
        return refuse(c, i, answer_id);
    }
    if (bound > SN_MAX_RECORD) {
        size_t len = text_length(t->member, kept);
        if (len == SIZE_MAX)
            return SN_ERR_NOMEM;
        if (len > SN_MAX_RECORD) {
            /* The file readers refuse such a line: name the field when one is to blame. */
            too_large(t->member, kept, err);
            return refuse(c, i, answer_id);
        }
    }
    sn_event ev;
    sn_status st = sn_jsonl_event_from_members(t->reader, t->member, kept, (long)i + 1, &ev, err);
    if (st == SN_ERR_NOMEM)
        return st;
    if (st != SN_OK)
        return refuse(c, i, answer_id);
    if (ev.ts_us > c->latest_us) {
        /* A date far ahead would stand as the user's latest event, and the events after it
         * would all come "before" it. */
        sn_error_set(err, SN_ERR_RANGE, false, NULL, 0, "timestamp",
                     "the value is more than %d seconds ahead of the server's clock "
                     "(max_future_seconds)",
                     c->max_future_seconds);
        return refuse(c, i, answer_id);
    }
    st = keep_event(c->out, t->reader, &ev, i);
    c->out->good += st == SN_OK;
    return st;
}

/* Room for n events, each with about this many bytes of its own (a lower-cased action, a
 * generated id). */
#define EVENT_TEXT 64

static sn_status map_begin(map_ctx *c, sn_req_events *out, size_t n, int max_future_seconds)
{
    memset(out, 0, sizeof(*out));
    c->out = out;
    c->max_future_seconds = max_future_seconds;
    c->latest_us = max_future_seconds > 0
                       ? sn_now_us() + (int64_t)max_future_seconds * 1000000
                       : INT64_MAX;
    c->t = state_get();
    if (!c->t || !c->t->doc)
        return SN_ERR_NOMEM;
    c->nul_seen = sn_jdoc_saw_nul(c->t->doc);
    sn_error_clear(&c->err);
    size_t arrays = n * (sizeof(sn_event) + sizeof(sn_req_refusal *));
    if (!block_new(out, arrays + n * EVENT_TEXT + 1024))
        return SN_ERR_NOMEM;
    out->ev = arena_alloc(out, n * sizeof(sn_event));
    out->refused = arena_alloc(out, n * sizeof(sn_req_refusal *));
    c->now = arena_alloc(out, 32);
    if (!out->ev || !out->refused || !c->now)
        return SN_ERR_NOMEM;
    sn_now_iso(c->now);
    c->now_len = strlen(c->now);
    memset(out->refused, 0, n * sizeof(sn_req_refusal *));
    out->n = n;
    return SN_OK;
}

sn_status sn_req_events_from_array(sn_req_events *out, sn_jv events, int max_future_seconds)
{
    bool quoted = sn_ingest_quote_values(false); /* answers never repeat what was sent */
    map_ctx c;
    size_t n = sn_jv_size(events);
    sn_status st = map_begin(&c, out, n, max_future_seconds);
    sn_jiter it = sn_jv_iter(events);
    sn_jv v;
    const char *key;
    size_t klen;
    for (size_t i = 0; st == SN_OK && i < n && sn_jiter_next(&it, &v, &key, &klen); i++)
        st = map_event(&c, v, i);
    sn_ingest_quote_values(quoted);
    return st;
}

sn_status sn_req_events_from_value(sn_req_events *out, sn_jv event, int max_future_seconds)
{
    bool quoted = sn_ingest_quote_values(false); /* answers never repeat what was sent */
    map_ctx c;
    sn_status st = map_begin(&c, out, 1, max_future_seconds);
    if (st == SN_OK)
        st = map_event(&c, event, 0);
    sn_ingest_quote_values(quoted);
    return st;
}
