/* Serialisation of the baselines into a model file and back, with every id and count checked
 * on the way in so that a damaged file cannot make later lookups go out of bounds. */
#include "profile_internal.h"

#include "../core/serial.h"

#include <stdlib.h>
#include <string.h>

#define PROFILE_MAGIC 0x50524f46u /* "PROF" */
#define PROFILE_VERSION 8u
#define AWS_ACCOUNT_MAX 999999999999ULL

static void put_strmap(sn_buf *b, const sn_strmap *m)
{
    int32_t n = sn_strmap_count(m);
    sn_put_u32(b, (uint32_t)n);
    for (int32_t i = 0; i < n; i++)
        sn_put_bytes(b, sn_strmap_str(m, i), sn_strmap_len(m, i));
}

/* The entries that count: a count taken back to 0 by an erasure is as good as absent. */
static void put_map(sn_buf *b, const sn_u64map *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->cap; i++)
        n += m->keys[i] && m->vals[i];
    sn_put_u64(b, n);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i] || !m->vals[i])
            continue;
        sn_put_u64(b, m->keys[i]);
        sn_put_u32(b, m->vals[i]);
    }
}

sn_status sn_profiles_write(const sn_profiles *p, sn_buf *b)
{
    sn_put_u32(b, PROFILE_MAGIC);
    sn_put_u32(b, PROFILE_VERSION);
    sn_put_u32(b, (uint32_t)sizeof(sn_user));
    sn_put_u32(b, (uint32_t)sizeof(sn_level));
    sn_put_u32(b, (uint32_t)sizeof(sn_source));
    put_strmap(b, p->users);
    put_strmap(b, p->peers);
    put_strmap(b, p->titles);
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        put_strmap(b, p->values[a]);
    int32_t users = sn_strmap_count(p->users), peers = sn_strmap_count(p->peers);
    sn_buf_append(b, p->user, (size_t)users * sizeof(sn_user));
    sn_buf_append(b, p->peer, (size_t)peers * sizeof(sn_level));
    sn_buf_append(b, &p->org, sizeof(sn_level));
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        int32_t n = sn_strmap_count(p->values[a]);
        for (int32_t v = 0; v < n; v++)
            sn_put_u32(b, v < p->org_cap[a] ? p->org_count[a][v] : 0);
        put_map(b, &p->user_count[a]);
        put_map(b, &p->peer_count[a]);
    }
    put_map(b, &p->network_ids);
    put_map(b, &p->source_ids);
    put_map(b, &p->accounts);
    sn_put_u32(b, p->source_len);
    sn_buf_append(b, p->source, (size_t)p->source_len * sizeof(sn_source));
    return b->failed ? SN_ERR_NOMEM : SN_OK;
}

static bool get_strmap(sn_rd *r, sn_strmap *m)
{
    uint32_t n = sn_get_u32(r);
    if (r->bad || n > r->n)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *s = sn_get_bytes(r, &len);
        if (!s || sn_strmap_intern(m, (const char *)s, len) != (int32_t)i)
            return false; /* duplicates would break the dense ids */
    }
    return true;
}

/* Keys (owner + 1) << 32 | value with owner < owners and value < values; counts > 0. */
static bool get_map(sn_rd *r, sn_u64map *m, uint32_t owners, uint32_t values)
{
    uint64_t n = sn_get_u64(r);
    if (r->bad || n > (r->n - r->off) / 12)
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = sn_get_u64(r);
        uint32_t val = sn_get_u32(r);
        if (r->bad || key == 0 || val == 0)
            return false;
        if (owners) {
            uint64_t owner = (key >> 32) - 1;
            if ((key >> 32) == 0 || owner >= owners || (uint32_t)key >= values)
                return false;
        } else if (values && val > values) {
            return false; /* id maps: value is id + 1 */
        }
        uint32_t *slot = sn_u64map_slot(m, key);
        if (!slot || *slot)
            return false;
        *slot = val;
    }
    return true;
}

static bool valid_id(int32_t id, int32_t count)
{
    return id >= -1 && id < count;
}

static bool check_user(const sn_user *u, const sn_profiles *p)
{
    if (!valid_id(u->peer, sn_strmap_count(p->peers)) ||
        !valid_id(u->title, sn_strmap_count(p->titles)) ||
        !valid_id(u->last_location, sn_strmap_count(p->values[SN_ATTR_LOCATION])))
        return false;
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        for (int t = 0; t < SN_TOP; t++)
            if (!valid_id(u->top_id[a][t], sn_strmap_count(p->values[a])))
                return false;
    for (int a = 0; a < SN_INLINE_ATTRS; a++) {
        if (u->inline_len[a] > SN_INLINE)
            return false;
        for (int i = 0; i < u->inline_len[a]; i++)
            if (u->inline_id[a][i] < 0 || u->inline_id[a][i] >= sn_strmap_count(p->values[a]))
                return false;
    }
    return true;
}

sn_status sn_profiles_read(sn_profiles **out, const sn_profile_params *params, const uint8_t *data,
                           size_t n, size_t *used, sn_error *err)
{
    *out = NULL;
    sn_rd r = {.p = data, .n = n};
    if (sn_get_u32(&r) != PROFILE_MAGIC || sn_get_u32(&r) != PROFILE_VERSION)
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, "baselines", "unknown format");
    if (sn_get_u32(&r) != sizeof(sn_user) || sn_get_u32(&r) != sizeof(sn_level) ||
        sn_get_u32(&r) != sizeof(sn_source))
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, "baselines",
                            "written by an incompatible build");
    sn_profiles *p = sn_profiles_new(params);
    if (!p)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    /* The fixed domains were interned by sn_profiles_new; start those maps afresh. */
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        sn_strmap_free(p->values[a]);
        p->values[a] = sn_strmap_new();
    }
    bool ok = get_strmap(&r, p->users) && get_strmap(&r, p->peers) && get_strmap(&r, p->titles);
    for (int a = 0; ok && a < SN_ATTR_COUNT; a++)
        ok = p->values[a] && get_strmap(&r, p->values[a]);
    int32_t users = ok ? sn_strmap_count(p->users) : 0, peers = ok ? sn_strmap_count(p->peers) : 0;
    if (ok && users && sn__profiles_grow_users(p, users - 1) != 0)
        ok = false;
    if (ok && peers && sn__profiles_grow_peers(p, peers - 1) != 0)
        ok = false;
    if (ok && sn_rd_need(&r, (size_t)users * sizeof(sn_user))) {
        if (users)
            memcpy(p->user, r.p + r.off, (size_t)users * sizeof(sn_user));
        r.off += (size_t)users * sizeof(sn_user);
    } else {
        ok = false;
    }
    if (ok && sn_rd_need(&r, (size_t)peers * sizeof(sn_level) + sizeof(sn_level))) {
        if (peers) /* p->peer is NULL when no event named a department */
            memcpy(p->peer, r.p + r.off, (size_t)peers * sizeof(sn_level));
        r.off += (size_t)peers * sizeof(sn_level);
        memcpy(&p->org, r.p + r.off, sizeof(sn_level));
        r.off += sizeof(sn_level);
    } else {
        ok = false;
    }
    for (int32_t i = 0; ok && i < users; i++)
        ok = check_user(&p->user[i], p);
    for (int a = 0; ok && a < SN_ATTR_COUNT; a++) {
        int32_t nv = sn_strmap_count(p->values[a]);
        if (nv && sn__profiles_grow_org(p, (sn_attr)a, nv - 1) != 0) {
            ok = false;
            break;
        }
        for (int32_t v = 0; v < nv; v++)
            p->org_count[a][v] = sn_get_u32(&r);
        ok = !r.bad && get_map(&r, &p->user_count[a], (uint32_t)users, (uint32_t)nv) &&
             get_map(&r, &p->peer_count[a], (uint32_t)peers, (uint32_t)nv);
    }
    ok = ok &&
         get_map(&r, &p->network_ids, 0, (uint32_t)sn_strmap_count(p->values[SN_ATTR_NETWORK])) &&
         get_map(&r, &p->source_ids, 0, UINT32_MAX) && get_map(&r, &p->accounts, 0, 0);
    for (size_t i = 0; ok && i < p->accounts.cap; i++)
        if (p->accounts.keys[i] > AWS_ACCOUNT_MAX)
            ok = false;
    uint32_t sources = ok ? sn_get_u32(&r) : 0;
    if (ok && (r.bad || sources > (r.n - r.off) / sizeof(sn_source)))
        ok = false;
    if (ok && sources) {
        p->source = malloc(sources * sizeof(sn_source));
        if (!p->source) {
            ok = false;
        } else {
            memcpy(p->source, r.p + r.off, sources * sizeof(sn_source));
            r.off += sources * sizeof(sn_source);
            p->source_len = p->source_cap = sources;
        }
    }
    for (size_t i = 0; ok && i < p->source_ids.cap; i++)
        if (p->source_ids.keys[i] && p->source_ids.vals[i] > sources)
            ok = false;
    if (!ok || r.bad) {
        sn_profiles_free(p);
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, "baselines",
                            "truncated or inconsistent data");
    }
    *out = p;
    if (used)
        *used = r.off;
    return SN_OK;
}
