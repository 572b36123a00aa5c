/* Peer analysis: who holds what, by department, title and manager.
 *
 * A principal is the user when the data names one, else the request's columns other than
 * resource and action (on the Amazon data: manager and role columns). For the department,
 * title and manager columns, the predictor counts the distinct principals with each value, and
 * how many of them hold each resource (hold: an approved request, a granted access). The counts
 * and memberships live in one table under hashed keys (64-bit: collisions are negligible). */
#include "predict_internal.h"

#include <string.h>

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = sn_hash_u64(a ^ sn_hash_u64(b + 0x9e3779b97f4a7c15ULL));
    return h ? h : 1;
}

/* The principal of a request: its user when there is a user column, else its columns other
 * than resource and action. */
uint64_t sn_predictor_principal(const sn_predictor *pr, const int32_t *codes)
{
    for (int c = 0; c < pr->ncols; c++)
        if (pr->roles[c] == SN_PCOL_USER)
            return codes[c] < 0 ? 0 : mix(1, (uint64_t)codes[c]);
    uint64_t h = 2;
    for (int c = 0; c < pr->ncols; c++) {
        if (pr->roles[c] == SN_PCOL_RESOURCE || pr->roles[c] == SN_PCOL_ACTION)
            continue;
        if (codes[c] < 0)
            return 0;
        h = mix(h, (uint64_t)codes[c]);
    }
    return h;
}

/* Keys of the peer table. */
enum { K_MEMBER = 1, K_GROUP, K_HOLDERS, K_HOLDS };

static uint64_t key_member(int role, int32_t v, uint64_t principal)
{
    return mix(mix(K_MEMBER, (uint64_t)role), mix((uint64_t)v, principal));
}
static uint64_t key_group(int role, int32_t v)
{
    return mix(mix(K_GROUP, (uint64_t)role), (uint64_t)v);
}
static uint64_t key_holders(int role, int32_t v, int32_t resource)
{
    return mix(mix(K_HOLDERS, (uint64_t)role), mix((uint64_t)v, (uint64_t)resource));
}
static uint64_t key_holds(uint64_t principal, int32_t resource)
{
    return mix(K_HOLDS, mix(principal, (uint64_t)resource));
}

int sn_predictor_column_of(const sn_predictor *pr, sn_pcol_role role)
{
    for (int c = 0; c < pr->ncols; c++)
        if (pr->roles[c] == role)
            return c;
    return -1;
}

static const sn_pcol_role peer_roles[3] = {SN_PCOL_DEPARTMENT, SN_PCOL_TITLE, SN_PCOL_MANAGER};

sn_status sn_predictor_build_peers(sn_predictor *pr, const sn_predict_data *d)
{
    int rc = sn_predictor_column_of(pr, SN_PCOL_RESOURCE);
    sn_u64map_clear(&pr->peers);
    for (size_t r = 0; r < d->rows; r++) {
        const int32_t *row = d->codes + r * (size_t)d->ncols;
        uint64_t who = sn_predictor_principal(pr, row);
        if (rc >= 0 && d->labels[r]) {
            uint32_t *s = sn_u64map_slot(&pr->peers, key_holds(who, row[rc]));
            if (!s)
                return SN_ERR_NOMEM;
            *s = 1;
        }
        for (int k = 0; k < 3; k++) {
            int c = sn_predictor_column_of(pr, peer_roles[k]);
            if (c < 0)
                continue;
            uint32_t *s = sn_u64map_slot(&pr->peers, key_member(peer_roles[k], row[c], who));
            if (!s)
                return SN_ERR_NOMEM;
            if (!*s) {
                *s = 1;
                s = sn_u64map_slot(&pr->peers, key_group(peer_roles[k], row[c]));
                if (!s)
                    return SN_ERR_NOMEM;
                ++*s;
            }
        }
    }
    /* holders: each principal holding a resource once, in each of its groups */
    if (rc >= 0)
        for (size_t r = 0; r < d->rows; r++) {
            const int32_t *row = d->codes + r * (size_t)d->ncols;
            if (!d->labels[r])
                continue;
            uint64_t who = sn_predictor_principal(pr, row);
            uint64_t hk = key_holds(who, row[rc]);
            uint32_t *h = sn_u64map_slot(&pr->peers, hk);
            if (!h)
                return SN_ERR_NOMEM;
            if (*h != 1)
                continue; /* counted already */
            *h = 2;
            for (int k = 0; k < 3; k++) {
                int c = sn_predictor_column_of(pr, peer_roles[k]);
                if (c < 0)
                    continue;
                uint32_t *s =
                    sn_u64map_slot(&pr->peers, key_holders(peer_roles[k], row[c], row[rc]));
                if (!s)
                    return SN_ERR_NOMEM;
                ++*s;
            }
        }
    return SN_OK;
}

void sn_predictor_peer_share(const sn_predictor *pr, sn_pcol_role role, const int32_t *codes,
                             const char *const *values, const size_t *lens, uint64_t who,
                             sn_peer_share *out)
{
    memset(out, 0, sizeof(*out));
    int c = sn_predictor_column_of(pr, role);
    if (c < 0)
        return;
    out->present = true;
    size_t n = lens[c] < sizeof(out->value) - 1 ? lens[c] : sizeof(out->value) - 1;
    /* cut on a character boundary */
    while (n > 0 && n < lens[c] && ((unsigned char)values[c][n] & 0xC0) == 0x80)
        n--;
    memcpy(out->value, values[c], n);
    out->value[n] = '\0';
    if (codes[c] < 0)
        return;
    uint32_t peers = sn_u64map_get(&pr->peers, key_group(role, codes[c]));
    uint32_t holders = 0;
    int rc = sn_predictor_column_of(pr, SN_PCOL_RESOURCE);
    bool holds = false;
    if (rc >= 0 && codes[rc] >= 0) {
        holders = sn_u64map_get(&pr->peers, key_holders(role, codes[c], codes[rc]));
        holds = who && sn_u64map_get(&pr->peers, key_holds(who, codes[rc])) != 0;
    }
    /* the requester is no peer of their own */
    if (who && sn_u64map_get(&pr->peers, key_member(role, codes[c], who))) {
        if (peers)
            peers--;
        if (holds && holders)
            holders--;
    }
    out->peers = peers;
    out->holders = holders;
    out->share = peers ? (double)holders / peers : 0;
}
