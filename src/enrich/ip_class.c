/* Address classes: which addresses are private, loopback, link-local, multicast, documentation
 * or otherwise reserved, from an explicit table of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890 and the RFCs cited per range), so that only public addresses are
 * ever geolocated. */
#include "enrich.h"
#include "ip_internal.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

typedef struct special_range {
    uint8_t family; /* 4 or 6 */
    uint8_t len;    /* prefix length in bits */
    uint8_t prefix[16];
    sn_ip_kind kind;
    const char *what;
} special_range;

/* The longest matching prefix wins. IPv4 addresses outside every entry are public; IPv6 ones
 * are public only inside 2000::/3 (the global unicast space; the rest is unallocated). */
static const special_range ranges[] = {
    {4, 8, {0}, SN_IP_RESERVED, "0.0.0.0/8 this network (RFC 791)"},
    {4, 8, {10}, SN_IP_PRIVATE, "10.0.0.0/8 private (RFC 1918)"},
    {4, 10, {100, 64}, SN_IP_PRIVATE, "100.64.0.0/10 shared address space (RFC 6598)"},
    {4, 8, {127}, SN_IP_LOOPBACK, "127.0.0.0/8 loopback (RFC 1122)"},
    {4, 16, {169, 254}, SN_IP_LINK_LOCAL, "169.254.0.0/16 link-local (RFC 3927)"},
    {4, 12, {172, 16}, SN_IP_PRIVATE, "172.16.0.0/12 private (RFC 1918)"},
    {4, 24, {192, 0, 0}, SN_IP_RESERVED, "192.0.0.0/24 IETF protocol assignments (RFC 6890)"},
    {4, 24, {192, 0, 2}, SN_IP_DOCUMENTATION, "192.0.2.0/24 documentation (RFC 5737)"},
    {4, 24, {192, 88, 99}, SN_IP_RESERVED, "192.88.99.0/24 former 6to4 relays (RFC 7526)"},
    {4, 16, {192, 168}, SN_IP_PRIVATE, "192.168.0.0/16 private (RFC 1918)"},
    {4, 15, {198, 18}, SN_IP_RESERVED, "198.18.0.0/15 benchmarking (RFC 2544)"},
    {4, 24, {198, 51, 100}, SN_IP_DOCUMENTATION, "198.51.100.0/24 documentation (RFC 5737)"},
    {4, 24, {203, 0, 113}, SN_IP_DOCUMENTATION, "203.0.113.0/24 documentation (RFC 5737)"},
    {4, 4, {224}, SN_IP_MULTICAST, "224.0.0.0/4 multicast (RFC 5771)"},
    {4, 4, {240}, SN_IP_RESERVED, "240.0.0.0/4 reserved for future use (RFC 1112)"},
    {4, 32, {255, 255, 255, 255}, SN_IP_RESERVED, "255.255.255.255/32 broadcast (RFC 919)"},

    {6, 0, {0}, SN_IP_RESERVED, "outside 2000::/3, not allocated for unicast (RFC 4291)"},
    {6, 3, {0x20}, SN_IP_PUBLIC, NULL},
    {6, 128, {0}, SN_IP_RESERVED, "::/128 unspecified (RFC 4291)"},
    {6, 128, {[15] = 1}, SN_IP_LOOPBACK, "::1/128 loopback (RFC 4291)"},
    {6,
     48,
     {0, 0x64, 0xff, 0x9b, 0, 1},
     SN_IP_PRIVATE,
     "64:ff9b:1::/48 local-use NAT64 (RFC 8215)"},
    {6, 64, {0x01, 0x00}, SN_IP_RESERVED, "100::/64 discard-only (RFC 6666)"},
    {6, 23, {0x20, 0x01, 0x00}, SN_IP_RESERVED, "2001::/23 IETF protocol assignments (RFC 2928)"},
    {6,
     32,
     {0x20, 0x01, 0x0d, 0xb8},
     SN_IP_DOCUMENTATION,
     "2001:db8::/32 documentation (RFC 3849)"},
    {6, 20, {0x3f, 0xff}, SN_IP_DOCUMENTATION, "3fff::/20 documentation (RFC 9637)"},
    {6, 16, {0x5f, 0x00}, SN_IP_RESERVED, "5f00::/16 segment routing identifiers (RFC 9602)"},
    {6, 7, {0xfc}, SN_IP_PRIVATE, "fc00::/7 unique local (RFC 4193)"},
    {6, 10, {0xfe, 0x80}, SN_IP_LINK_LOCAL, "fe80::/10 link-local (RFC 4291)"},
    {6, 10, {0xfe, 0xc0}, SN_IP_RESERVED, "fec0::/10 former site-local (RFC 3879)"},
    {6, 8, {0xff}, SN_IP_MULTICAST, "ff00::/8 multicast (RFC 4291)"},
};
#define N_RANGES (sizeof(ranges) / sizeof(ranges[0]))

static const char *const kind_names[SN_IP_KIND_COUNT] = {
    [SN_IP_INVALID] = "invalid",
    [SN_IP_PUBLIC] = "public",
    [SN_IP_PRIVATE] = "private",
    [SN_IP_LOOPBACK] = "loopback",
    [SN_IP_LINK_LOCAL] = "link_local",
    [SN_IP_MULTICAST] = "multicast",
    [SN_IP_DOCUMENTATION] = "documentation",
    [SN_IP_RESERVED] = "reserved",
};

static bool prefix_matches(const uint8_t *addr, const uint8_t *prefix, unsigned len)
{
    unsigned whole = len / 8, rest = len % 8;
    /* Byte by byte: nearly every range differs in the first byte. */
    for (unsigned i = 0; i < whole; i++)
        if (addr[i] != prefix[i])
            return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[whole] & mask) == (prefix[whole] & mask);
}

bool sn_ip__embedded_v4(const sn_ip *ip, sn_ip *v4)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    const uint8_t *src;
    if (ip->family != 6)
        return false;
    if (memcmp(ip->addr, mapped, 12) == 0 || memcmp(ip->addr, nat64, 12) == 0)
        src = ip->addr + 12;
    else if (ip->addr[0] == 0x20 && ip->addr[1] == 0x02)
        src = ip->addr + 2;
    else
        return false;
    memset(v4, 0, sizeof(*v4));
    v4->family = 4;
    memcpy(v4->addr, src, 4);
    return true;
}

/* The IPv4 ranges as 32-bit prefixes and masks, and for each first byte the ranges that may hold
 * an address starting with it, longest first, from the table itself: an address is matched
 * against those few a word at a time (most first bytes have none: public at once). */
#define V4_CANDIDATES 8
static uint32_t v4_prefix[N_RANGES], v4_mask[N_RANGES];
static const special_range *v4_range[N_RANGES];
static size_t v4_count;
static uint8_t v4_cand[256][V4_CANDIDATES], v4_ncand[256];
static pthread_once_t v4_once = PTHREAD_ONCE_INIT;

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void v4_init(void)
{
    for (size_t i = 0; i < N_RANGES; i++) {
        const special_range *r = &ranges[i];
        if (r->family != 4)
            continue;
        uint32_t mask = r->len ? (uint32_t)(0xffffffffu << (32 - r->len)) : 0;
        v4_prefix[v4_count] = be32(r->prefix) & mask;
        v4_mask[v4_count] = mask;
        v4_range[v4_count++] = r;
    }
    for (unsigned o = 0; o < 256; o++) {
        for (size_t i = 0; i < v4_count; i++) {
            uint32_t top = v4_mask[i] & 0xff000000u;
            if ((((uint32_t)o << 24) & top) != (v4_prefix[i] & top) ||
                v4_ncand[o] == V4_CANDIDATES)
                continue;
            /* kept longest first: the first that holds the address is the longest match */
            size_t k = v4_ncand[o]++;
            while (k > 0 && v4_range[v4_cand[o][k - 1]]->len < v4_range[i]->len) {
                v4_cand[o][k] = v4_cand[o][k - 1];
                k--;
            }
            v4_cand[o][k] = (uint8_t)i;
        }
    }
}

/* The longest range of the table holding an IPv4 address, or NULL. */
static const special_range *classify_v4(const uint8_t addr[4])
{
    pthread_once(&v4_once, v4_init);
    uint32_t a = be32(addr);
    const uint8_t *cand = v4_cand[addr[0]];
    for (unsigned k = 0; k < v4_ncand[addr[0]]; k++)
        if ((a & v4_mask[cand[k]]) == v4_prefix[cand[k]])
            return v4_range[cand[k]];
    return NULL;
}

static const special_range *classify(const sn_ip *ip, sn_ip_kind *kind)
{
    *kind = SN_IP_INVALID;
    if (!ip || (ip->family != 4 && ip->family != 6))
        return NULL;
    sn_ip v4;
    if (sn_ip__embedded_v4(ip, &v4))
        ip = &v4;
    if (ip->family == 4) {
        const special_range *r = classify_v4(ip->addr);
        *kind = r ? r->kind : SN_IP_PUBLIC;
        return r && r->kind != SN_IP_PUBLIC ? r : NULL;
    }
    const special_range *best = NULL;
    for (size_t i = 0; i < N_RANGES; i++) {
        const special_range *r = &ranges[i];
        if (r->family == ip->family && (!best || r->len > best->len) &&
            prefix_matches(ip->addr, r->prefix, r->len))
            best = r;
    }
    *kind = best ? best->kind : SN_IP_PUBLIC;
    return best && best->kind != SN_IP_PUBLIC ? best : NULL;
}

sn_ip_kind sn_ip_class(const sn_ip *ip)
{
    sn_ip_kind k;
    classify(ip, &k);
    return k;
}

const char *sn_ip_class_range(const sn_ip *ip)
{
    sn_ip_kind k;
    const special_range *r = classify(ip, &k);
    return r ? r->what : NULL;
}

const char *sn_ip_kind_name(sn_ip_kind k)
{
    return (unsigned)k < SN_IP_KIND_COUNT ? kind_names[k] : NULL;
}

bool sn_ip_kind_parse(const char *s, sn_ip_kind *out)
{
    for (int k = 0; s && k < SN_IP_KIND_COUNT; k++) {
        if (strcmp(s, kind_names[k]) == 0) {
            *out = (sn_ip_kind)k;
            return true;
        }
    }
    return false;
}
