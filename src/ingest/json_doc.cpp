// Parsed records of the JSON log formats on simdjson's DOM (json_doc.h): the C face of the
// parser, and the checks that make it accept exactly what jansson accepts.
#include "json_doc.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>

namespace dom = simdjson::dom;

// Names of the members of one object, for finding a name written twice; grown as needed.
struct sn_jdoc {
    dom::parser parser;
    std::string_view *names = nullptr;
    size_t names_cap = 0;
    bool allow_nul = false; // in strings (JSON_ALLOW_NUL); never in names
    bool saw_nul = false;   // the last document has a string that holds one
};

static_assert(SN_JDOC_PADDING >= simdjson::SIMDJSON_PADDING, "the padding simdjson reads");
static_assert(sizeof(dom::element) == sizeof(sn_jv), "an element fits in sn_jv");
static_assert(std::is_trivially_copyable<dom::element>::value, "elements copy as bytes");
static_assert(sizeof(dom::array::iterator) == 2 * sizeof(void *), "iterators fit in sn_jiter");
static_assert(sizeof(dom::object::iterator) == 2 * sizeof(void *), "iterators fit in sn_jiter");
static_assert(std::is_trivially_copyable<dom::array::iterator>::value, "iterators copy as bytes");
static_assert(std::is_trivially_copyable<dom::object::iterator>::value, "iterators copy as bytes");

// Elements and iterators are a document pointer and a position in it: they travel through C
// as their bytes.
struct raw_iter {
    const void *impl[2];
};

static sn_jv wrap(const dom::element &e)
{
    return std::bit_cast<sn_jv>(e);
}

static dom::element unwrap(sn_jv v)
{
    return std::bit_cast<dom::element>(v);
}

template <typename It> static void save(sn_jiter *it, It b, It z)
{
    raw_iter rb = std::bit_cast<raw_iter>(b), rz = std::bit_cast<raw_iter>(z);
    it->impl[0] = rb.impl[0];
    it->impl[1] = rb.impl[1];
    it->impl[2] = rz.impl[0];
    it->impl[3] = rz.impl[1];
}

template <typename It> static It at(const sn_jiter *it, int k)
{
    return std::bit_cast<It>(raw_iter{{it->impl[2 * k], it->impl[2 * k + 1]}});
}

// Objects with more members than this are checked for a repeated name by sorting the names;
// smaller ones by comparing each pair.
static const size_t PAIRWISE_MAX = 16;

// Whether s holds U+0000: names and values are mostly short, and a call to memchr for each costs
// more than looking at them eight bytes at a time.
static bool has_nul(std::string_view s)
{
    const char *p = s.data();
    size_t n = s.size(), i = 0;
    if (n > 64)
        return std::memchr(p, '\0', n) != nullptr;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)
            return true;
    }
    for (; i < n; i++)
        if (p[i] == '\0')
            return true;
    return false;
}

// What tells two names apart without comparing their bytes, mostly: the length, the first byte
// and the last.
static uint32_t name_print(std::string_view s)
{
    if (s.empty())
        return 0;
    return static_cast<uint32_t>(s.size()) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(s.front())) << 8 |
           static_cast<unsigned char>(s.back());
}

// Kept out of jansson_accepts, whose frame every level of nesting adds to the stack.
[[gnu::noinline]] static bool distinct_names(sn_jdoc *d, dom::object o)
{
    size_t n = o.size();
    if (n < 2)
        return true;
    if (n <= PAIRWISE_MAX) {
        // A name is compared with the others only when its print's bit in seen_bits is set
        // already: for a dozen distinct names, about one of them.
        std::string_view seen[PAIRWISE_MAX];
        uint32_t print[PAIRWISE_MAX];
        uint64_t seen_bits = 0;
        size_t k = 0;
        for (dom::key_value_pair kv : o) {
            uint32_t p = name_print(kv.key);
            uint64_t bit = uint64_t{1} << ((p * 0x9E3779B1u) >> 26);
            if (seen_bits & bit)
                for (size_t i = 0; i < k; i++)
                    if (print[i] == p && seen[i] == kv.key)
                        return false;
            seen_bits |= bit;
            seen[k] = kv.key;
            print[k++] = p;
        }
        return true;
    }
    size_t k = 0;
    for (dom::key_value_pair kv : o) {
        // size() saturates for the largest objects: grown as the names come
        if (k == d->names_cap) {
            size_t cap = std::max(n, 2 * d->names_cap);
            void *grown =
                std::realloc(static_cast<void *>(d->names), cap * sizeof(std::string_view));
            if (!grown)
                return false; // jansson, asked instead, answers for the record
            d->names = static_cast<std::string_view *>(grown);
            d->names_cap = cap;
        }
        d->names[k++] = kv.key;
    }
    std::sort(d->names, d->names + k);
    return std::adjacent_find(d->names, d->names + k) == d->names + k;
}

// Whether the text may give a string U+0000: only the escape \u0000 does (JSON strings cannot
// hold a raw NUL byte). An escaped backslash before "u0000" counts too, which only costs the
// check of every string.
static bool may_hold_nul(const char *p, size_t n)
{
    const char *end = p + n;
    for (const char *b = p; b < end; b++) {
        b = static_cast<const char *>(std::memchr(b, '\\', static_cast<size_t>(end - b)));
        if (!b)
            return false;
        if (end - b >= 6 && !std::memcmp(b + 1, "u0000", 5))
            return true;
    }
    return false;
}

// What jansson refuses and simdjson takes: a name written twice in one object, U+0000 in a
// name or (unless allowed) in a string, an integer past INT64_MAX (simdjson's uint64_t); and
// containers nested deeper than depth_left allows (the callers' own limit). nul: whether a
// string may hold U+0000 at all.
static bool jansson_accepts(sn_jdoc *d, dom::element e, int depth_left, bool nul)
{
    switch (e.type()) {
    case dom::element_type::OBJECT: {
        dom::object o;
        if (depth_left == 0 || e.get_object().get(o) != simdjson::SUCCESS ||
            !distinct_names(d, o))
            return false;
        for (dom::key_value_pair kv : o)
            if ((nul && has_nul(kv.key)) || !jansson_accepts(d, kv.value, depth_left - 1, nul))
                return false;
        return true;
    }
    case dom::element_type::ARRAY: {
        dom::array a;
        if (depth_left == 0 || e.get_array().get(a) != simdjson::SUCCESS)
            return false;
        for (dom::element x : a)
            if (!jansson_accepts(d, x, depth_left - 1, nul))
                return false;
        return true;
    }
    case dom::element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s) != simdjson::SUCCESS)
            return false;
        if (nul && has_nul(s)) {
            if (!d->allow_nul)
                return false;
            d->saw_nul = true;
        }
        return true;
    }
    case dom::element_type::UINT64:
        return false;
    default:
        return true;
    }
}

extern "C" {

sn_jdoc *sn_jdoc_new(void)
{
    return new (std::nothrow) sn_jdoc;
}

void sn_jdoc_free(sn_jdoc *d)
{
    if (!d)
        return;
    std::free(static_cast<void *>(d->names));
    delete d;
}

void sn_jdoc_allow_nul(sn_jdoc *d, bool allow)
{
    d->allow_nul = allow;
}

bool sn_jdoc_saw_nul(const sn_jdoc *d)
{
    return d->saw_nul;
}

bool sn_jdoc_parse(sn_jdoc *d, const char *p, size_t n, bool padded, int max_depth,
                   sn_jv *root)
{
    dom::element e;
    d->saw_nul = false;
    if (d->parser.parse(p, n, !padded).get(e) != simdjson::SUCCESS ||
        !jansson_accepts(d, e, max_depth > 0 ? max_depth : -1, may_hold_nul(p, n)))
        return false;
    *root = wrap(e);
    return true;
}

sn_jv_type sn_jv_typeof(sn_jv v)
{
    if (!sn_jv_present(v))
        return SN_JV_NONE;
    dom::element e = unwrap(v);
    switch (e.type()) {
    case dom::element_type::ARRAY:
        return SN_JV_ARRAY;
    case dom::element_type::OBJECT:
        return SN_JV_OBJECT;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
        return SN_JV_INTEGER;
    case dom::element_type::DOUBLE:
        return SN_JV_REAL;
    case dom::element_type::STRING:
        return SN_JV_STRING;
    case dom::element_type::BOOL: {
        bool b = false;
        return e.get_bool().get(b) == simdjson::SUCCESS && b ? SN_JV_TRUE : SN_JV_FALSE;
    }
    case dom::element_type::NULL_VALUE:
        return SN_JV_NULL;
    }
    return SN_JV_NONE;
}

const char *sn_jv_type_name(sn_jv v)
{
    switch (sn_jv_typeof(v)) {
    case SN_JV_OBJECT:
        return "an object";
    case SN_JV_ARRAY:
        return "an array";
    case SN_JV_STRING:
        return "a string";
    case SN_JV_INTEGER:
        return "an integer";
    case SN_JV_REAL:
        return "a real number";
    case SN_JV_TRUE:
        return "true";
    case SN_JV_FALSE:
        return "false";
    case SN_JV_NULL:
        return "null";
    case SN_JV_NONE:
        break;
    }
    return "an unknown value";
}

sn_jv_type sn_jv_read(sn_jv v, const char **s, size_t *n)
{
    *s = nullptr;
    *n = 0;
    if (!sn_jv_present(v))
        return SN_JV_NONE;
    dom::element e = unwrap(v);
    if (e.type() != dom::element_type::STRING)
        return sn_jv_typeof(v);
    std::string_view str;
    if (e.get_string().get(str) != simdjson::SUCCESS)
        return SN_JV_NONE;
    *s = str.data();
    *n = str.size();
    return SN_JV_STRING;
}

const char *sn_jv_string(sn_jv v, size_t *n)
{
    std::string_view s;
    if (!sn_jv_present(v) || unwrap(v).get_string().get(s) != simdjson::SUCCESS) {
        *n = 0;
        return nullptr;
    }
    *n = s.size();
    return s.data();
}

int64_t sn_jv_integer(sn_jv v)
{
    int64_t x;
    if (!sn_jv_present(v) || unwrap(v).get_int64().get(x) != simdjson::SUCCESS)
        return 0;
    return x;
}

double sn_jv_number(sn_jv v)
{
    if (!sn_jv_present(v))
        return 0;
    dom::element e = unwrap(v);
    int64_t i;
    double x;
    if (e.get_int64().get(i) == simdjson::SUCCESS)
        return static_cast<double>(i);
    if (e.type() == dom::element_type::DOUBLE && e.get_double().get(x) == simdjson::SUCCESS)
        return x;
    return 0;
}

sn_jv sn_jv_member(sn_jv v, const char *key, size_t n, bool nocase)
{
    dom::object o;
    if (!sn_jv_present(v) || unwrap(v).get_object().get(o) != simdjson::SUCCESS)
        return sn_jv{};
    std::string_view k(key, n);
    dom::element x;
    if (o.at_key(k).get(x) == simdjson::SUCCESS)
        return wrap(x);
    if (nocase && o.at_key_case_insensitive(k).get(x) == simdjson::SUCCESS)
        return wrap(x);
    return sn_jv{};
}

size_t sn_jv_size(sn_jv v)
{
    dom::array a;
    if (!sn_jv_present(v) || unwrap(v).get_array().get(a) != simdjson::SUCCESS)
        return 0;
    return a.size();
}

sn_jv sn_jv_first(sn_jv v)
{
    dom::array a;
    if (!sn_jv_present(v) || unwrap(v).get_array().get(a) != simdjson::SUCCESS)
        return sn_jv{};
    auto it = a.begin();
    return it != a.end() ? wrap(*it) : sn_jv{};
}

sn_jiter sn_jv_iter(sn_jv v)
{
    sn_jiter it{};
    if (!sn_jv_present(v))
        return it;
    dom::element e = unwrap(v);
    dom::array a;
    dom::object o;
    if (e.get_array().get(a) == simdjson::SUCCESS) {
        save(&it, a.begin(), a.end());
        it.kind = 1;
    } else if (e.get_object().get(o) == simdjson::SUCCESS) {
        save(&it, o.begin(), o.end());
        it.kind = 2;
    }
    return it;
}

bool sn_jiter_next(sn_jiter *it, sn_jv *value, const char **key, size_t *klen)
{
    *key = nullptr;
    *klen = 0;
    if (it->kind == 1) {
        auto b = at<dom::array::iterator>(it, 0);
        if (!(b != at<dom::array::iterator>(it, 1)))
            return false;
        *value = wrap(*b);
        save(it, ++b, at<dom::array::iterator>(it, 1));
        return true;
    }
    if (it->kind == 2) {
        auto b = at<dom::object::iterator>(it, 0);
        if (!(b != at<dom::object::iterator>(it, 1)))
            return false;
        *key = b.key_c_str();
        *klen = b.key_length();
        *value = wrap(b.value());
        save(it, ++b, at<dom::object::iterator>(it, 1));
        return true;
    }
    return false;
}

} // extern "C"
