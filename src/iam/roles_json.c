/* Mined roles as JSON: the reference system's fields (total_roles, total_users, roles with
 * role_id, role_name, user_count, department, top_resource; role_health with its explosion
 * figures and recommendation) and the rest of what mining found. */
#include "roles.h"

#include <math.h>
#include <string.h>

static void str(sn_buf *b, const char *s)
{
    if (s)
        sn_buf_json_str(b, s, strlen(s));
    else
        sn_buf_puts(b, "null");
}

static void items(sn_buf *b, const sn_role_matrix *m, const sn_role_item *it, int n,
                  const char *share_key)
{
    sn_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        sn_buf_puts(b, i ? ",{\"resource\":" : "{\"resource\":");
        str(b, sn_role_matrix_item_name(m, it[i].item));
        sn_buf_printf(b, ",\"%s\":", share_key);
        sn_buf_fixed(b, it[i].share, 4);
        sn_buf_putc(b, '}');
    }
    sn_buf_putc(b, ']');
}

static void named_share(sn_buf *b, const char *name, double share)
{
    if (!name) {
        sn_buf_puts(b, "null");
        return;
    }
    sn_buf_puts(b, "{\"name\":");
    str(b, name);
    sn_buf_puts(b, ",\"share\":");
    sn_buf_fixed(b, share, 4);
    sn_buf_putc(b, '}');
}

static void role_json(sn_buf *b, const sn_role_matrix *m, const sn_mined_role *r)
{
    const char *dept = sn_role_matrix_dept_name(m, r->dept);
    const char *title = sn_role_matrix_title_name(m, r->title);
    sn_buf_puts(b, "{\"role_id\":");
    str(b, r->id);
    sn_buf_puts(b, ",\"role_name\":");
    str(b, r->name);
    sn_buf_puts(b, ",\"description\":");
    str(b, r->description);
    sn_buf_printf(b, ",\"user_count\":%d,\"department\":", r->n_members);
    str(b, dept);
    sn_buf_puts(b, ",\"top_resource\":");
    str(b, r->n_top ? sn_role_matrix_item_name(m, r->top[0].item) : NULL);
    sn_buf_puts(b, ",\"dominant_department\":");
    named_share(b, dept, r->dept_share);
    sn_buf_puts(b, ",\"dominant_job_title\":");
    named_share(b, title, r->title_share);
    sn_buf_puts(b, ",\"common_resources\":");
    items(b, m, r->top, r->n_common, "share");
    sn_buf_puts(b, ",\"top_resources\":");
    items(b, m, r->top, r->n_top, "share");
    sn_buf_puts(b, ",\"mean_distance\":");
    sn_buf_fixed(b, r->mean_distance, 4);
    sn_buf_puts(b, ",\"median_distance\":");
    sn_buf_fixed(b, r->median_distance, 4);
    sn_buf_puts(b, ",\"users\":[");
    for (int32_t i = 0; i < r->n_members; i++) {
        if (i)
            sn_buf_putc(b, ',');
        str(b, sn_role_matrix_user_name(m, r->members[i]));
    }
    sn_buf_puts(b, "]}");
}

void sn_roles_json(sn_buf *b, const sn_role_matrix *m, const sn_roles *r, int32_t max_far)
{
    const sn_role_params *p = &r->params;
    sn_buf_printf(b, "{\"total_roles\":%d,\"total_users\":%d,\"fitted_users\":%d,\"silhouette\":",
                  r->k, r->users, r->fitted_users);
    sn_buf_fixed(b, r->silhouette, 4);
    sn_buf_printf(b, ",\"weighting\":\"%s\",\"seed\":", sn_role_weighting_name(p->weighting));
    sn_buf_u64(b, p->seed);
    sn_buf_printf(b, ",\"k_selection\":{\"method\":\"%s\",\"silhouette_rows\":%d,\"tried\":[",
                  r->k_given ? "given" : "silhouette", r->silhouette_rows);
    for (int i = 0; i < r->n_tried; i++) {
        sn_buf_printf(b, "%s{\"k\":%d,\"silhouette\":", i ? "," : "", r->tried[i].k);
        sn_buf_fixed(b, r->tried[i].silhouette, 4);
        sn_buf_puts(b, ",\"inertia\":");
        sn_buf_fixed(b, r->tried[i].inertia, 4);
        sn_buf_putc(b, '}');
    }
    sn_buf_puts(b, "]},\"quality\":{\"purity_department\":");
    sn_buf_fixed(b, r->purity_dept, 4);
    sn_buf_puts(b, ",\"purity_job_title\":");
    sn_buf_fixed(b, r->purity_title, 4);
    sn_buf_puts(b, ",\"nmi_department\":");
    sn_buf_fixed(b, r->nmi_dept, 4);
    sn_buf_puts(b, ",\"nmi_job_title\":");
    sn_buf_fixed(b, r->nmi_title, 4);
    sn_buf_puts(b, "},\"roles\":[");
    for (int c = 0; c < r->k; c++) {
        if (c)
            sn_buf_putc(b, ',');
        role_json(b, m, &r->roles[c]);
    }
    /* Health. */
    double avg = r->k ? (double)r->users / r->k : 0;
    sn_buf_printf(b,
                  "],\"role_health\":{\"total_roles\":%d,\"total_users\":%d,"
                  "\"avg_users_per_role\":",
                  r->k, r->users);
    sn_buf_fixed(b, avg, 2);
    sn_buf_printf(b, ",\"small_role_size\":%d,\"small_roles_count\":%d,\"small_roles_ratio\":",
                  p->small_role, r->small_roles);
    sn_buf_fixed(b, r->k ? (double)r->small_roles / r->k : 0, 4);
    sn_buf_puts(b, ",\"roles_per_user\":");
    sn_buf_fixed(b, r->users ? (double)r->k / r->users : 0, 4);
    sn_buf_printf(b, ",\"is_role_explosion\":%s,\"recommendation\":\"%s\"",
                  r->explosion ? "true" : "false",
                  r->explosion ? "Consider role consolidation" : "Role structure is healthy");
    sn_buf_puts(b, ",\"overlap_threshold\":");
    sn_buf_fixed(b, p->overlap_jaccard, 2);
    sn_buf_puts(b, ",\"overlapping_roles\":[");
    for (int i = 0; i < r->n_overlaps; i++) {
        const sn_mined_role *ra = &r->roles[r->overlaps[i].a], *rb = &r->roles[r->overlaps[i].b];
        sn_buf_printf(b, "%s{\"roles\":[\"%s\",\"%s\"],\"jaccard\":", i ? "," : "", ra->id, rb->id);
        sn_buf_fixed(b, r->overlaps[i].jaccard, 4);
        sn_buf_puts(b, ",\"shared_resources\":[");
        int shown = 0;
        for (int32_t x = 0, y = 0; x < ra->n_common_set && y < rb->n_common_set;) {
            if (ra->common_set[x] == rb->common_set[y]) {
                if (shown++)
                    sn_buf_putc(b, ',');
                str(b, sn_role_matrix_item_name(m, ra->common_set[x]));
                x++;
                y++;
            } else if (ra->common_set[x] < rb->common_set[y]) {
                x++;
            } else {
                y++;
            }
        }
        sn_buf_puts(b, "]}");
    }
    sn_buf_puts(b, "],\"far_mads\":");
    sn_buf_fixed(b, p->far_mads, 2);
    sn_buf_printf(b, ",\"over_privileged_count\":%d,\"over_privileged_users\":[", r->n_far);
    for (int32_t i = 0; i < r->n_far && i < max_far; i++) {
        const sn_role_far *f = &r->far[i];
        sn_buf_puts(b, i ? ",{\"user_id\":" : "{\"user_id\":");
        str(b, sn_role_matrix_user_name(m, f->user));
        sn_buf_printf(b, ",\"role_id\":\"%s\",\"distance\":", r->roles[f->role].id);
        sn_buf_fixed(b, f->distance, 4);
        sn_buf_puts(b, ",\"threshold\":");
        sn_buf_fixed(b, f->threshold, 4);
        sn_buf_puts(b, ",\"extra_resources\":");
        items(b, m, f->extra, f->n_extra, "role_share");
        sn_buf_putc(b, '}');
    }
    sn_buf_puts(b, "],\"recommendations\":[");
    int nrec = 0;
    if (r->explosion) {
        sn_buf_printf(b, "\"consolidate roles: %d of %d roles have fewer than %d members\"",
                      r->small_roles, r->k, p->small_role);
        nrec++;
    }
    if (r->n_overlaps) {
        sn_buf_printf(b,
                      "%s\"merge or rationalise overlapping roles: %d pair%s share most of their "
                      "common resources\"",
                      nrec ? "," : "", r->n_overlaps, r->n_overlaps == 1 ? "" : "s");
        nrec++;
    }
    if (r->n_far) {
        sn_buf_printf(b,
                      "%s\"review the access of %d user%s far from their role, using resources "
                      "few of their role's members use (likely over-privileged)\"",
                      nrec ? "," : "", r->n_far, r->n_far == 1 ? "" : "s");
        nrec++;
    }
    if (!nrec)
        sn_buf_puts(b, "\"role structure is healthy\"");
    sn_buf_puts(b, "]},\"seconds\":");
    sn_buf_fixed(b, r->seconds, 3);
    sn_buf_putc(b, '}');
}
