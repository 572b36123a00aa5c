/* Answering one request (probabilities, recommendation, peers) and describing the predictor:
 * its JSON and what the model metrics report. */
#include "predict_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void sn_predictor_set_cv(sn_predictor *pr, double auc, int folds)
{
    pr->cv_auc = auc;
    pr->cv_folds = folds;
}

int sn_predictor_columns(const sn_predictor *pr)
{
    return pr->ncols;
}

const char *sn_predictor_column(const sn_predictor *pr, int col)
{
    return col >= 0 && col < pr->ncols ? pr->names[col] : NULL;
}

sn_pcol_role sn_predictor_column_role(const sn_predictor *pr, int col)
{
    return col >= 0 && col < pr->ncols ? pr->roles[col] : SN_PCOL_OTHER;
}

/* Fewest peers whose unanimous absence of the access keeps a request from being approved
 * without review. */
#define PEERS_FOR_REVIEW 5
#define APPROVE_AT 0.8

void sn_predictor_ask(const sn_predictor *pr, const char *const *values, const size_t *lens,
                      sn_prediction *out)
{
    int32_t codes[SN_PREDICT_MAX_COLUMNS];
    for (int c = 0; c < pr->ncols; c++)
        codes[c] = sn_strmap_find(pr->dict[c], lens[c] ? values[c] : "", lens[c]);
    float x[2 * SN_PREDICT_MAX_GROUPS];
    sn_predictor_features(pr, codes, x);
    double p = sn_predictor_probability(pr, x);
    memset(out, 0, sizeof(*out));
    out->probability_approve = p;
    out->probability_deny = 1 - p;
    out->should_approve = p >= 0.5;
    out->confidence = p >= 0.5 ? p : 1 - p;
    uint64_t who = sn_predictor_principal(pr, codes);
    sn_predictor_peer_share(pr, SN_PCOL_DEPARTMENT, codes, values, lens, who, &out->department);
    sn_predictor_peer_share(pr, SN_PCOL_TITLE, codes, values, lens, who, &out->title);
    sn_predictor_peer_share(pr, SN_PCOL_MANAGER, codes, values, lens, who, &out->manager);
    bool none_of_many = false;
    const sn_peer_share *groups[3] = {&out->department, &out->title, &out->manager};
    for (int k = 0; k < 3; k++)
        if (groups[k]->peers >= PEERS_FOR_REVIEW && groups[k]->holders == 0)
            none_of_many = true;
    if (p < 0.5) {
        out->recommendation = "DENY";
        out->why = "requests like this one are usually denied";
    } else if (none_of_many) {
        out->recommendation = "REVIEW";
        out->why = "likely approved, but none of the requester's peers holds this access";
    } else if (p < APPROVE_AT) {
        out->recommendation = "REVIEW";
        out->why = "the outcome of requests like this one is uncertain";
    } else {
        out->recommendation = "APPROVE";
        out->why = "requests like this one are usually approved";
    }
}

static void peer_json(sn_buf *b, const char *key, const sn_peer_share *s, bool *first)
{
    if (!s->present)
        return;
    if (!*first)
        sn_buf_putc(b, ',');
    *first = false;
    sn_buf_json_str(b, key, strlen(key));
    sn_buf_puts(b, ":{\"value\":");
    sn_buf_json_str(b, s->value, strlen(s->value));
    sn_buf_puts(b, ",\"peers\":");
    sn_buf_u64(b, s->peers);
    sn_buf_puts(b, ",\"with_access\":");
    sn_buf_u64(b, s->holders);
    sn_buf_puts(b, ",\"share\":");
    sn_buf_fixed(b, s->share, 4);
    sn_buf_putc(b, '}');
}

void sn_prediction_json(const sn_prediction *p, sn_buf *b)
{
    sn_buf_printf(b,
                  "{\"should_approve\":%s,\"confidence\":", p->should_approve ? "true" : "false");
    sn_buf_fixed(b, p->confidence, 4);
    sn_buf_puts(b, ",\"probability_approve\":");
    sn_buf_fixed(b, p->probability_approve, 4);
    sn_buf_puts(b, ",\"probability_deny\":");
    sn_buf_fixed(b, p->probability_deny, 4);
    sn_buf_puts(b, ",\"recommendation\":");
    sn_buf_json_str(b, p->recommendation, strlen(p->recommendation));
    sn_buf_puts(b, ",\"reason\":");
    sn_buf_json_str(b, p->why, strlen(p->why));
    sn_buf_puts(b, ",\"peer_analysis\":{");
    bool first = true;
    peer_json(b, "department", &p->department, &first);
    peer_json(b, "job_title", &p->title, &first);
    peer_json(b, "manager", &p->manager, &first);
    sn_buf_puts(b, "}}");
}

void sn_predictor_get_info(const sn_predictor *pr, sn_predictor_info *out)
{
    memset(out, 0, sizeof(*out));
    out->algorithm =
        pr->params.trees.kind == SN_TREES_FOREST ? "random_forest" : "gradient_boosted_trees";
    out->params = pr->params;
    memcpy(out->data_hash, pr->data_hash, 32);
    out->rows = pr->rows;
    out->positives = pr->positives;
    out->trained_at = pr->trained_at;
    out->cv_auc = pr->cv_auc;
    out->cv_folds = pr->cv_folds;
    out->features = 2 * (size_t)pr->ngroups;
    for (int k = 0; k < pr->nbags; k++) {
        out->trees += sn_trees_count(pr->bag[k]);
        out->nodes += sn_trees_nodes(pr->bag[k]);
    }
}

void sn_predictor_info_json(const sn_predictor *pr, sn_buf *b)
{
    sn_predictor_info in;
    sn_predictor_get_info(pr, &in);
    const sn_trees_params *t = &in.params.trees;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", in.data_hash[i]);
    char when[32];
    time_t tt = (time_t)in.trained_at;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sn_buf_puts(b, "{\"algorithm\":");
    sn_buf_json_str(b, in.algorithm, strlen(in.algorithm));
    sn_buf_puts(b, ",\"parameters\":{\"trees\":");
    sn_buf_u64(b, (uint64_t)t->trees);
    sn_buf_puts(b, ",\"learning_rate\":");
    sn_buf_fixed(b, t->learning_rate, 4);
    sn_buf_printf(b, ",\"max_depth\":%d,\"max_leaves\":%d,\"min_child_weight\":", t->max_depth,
                  t->max_leaves);
    sn_buf_fixed(b, t->min_child_weight, 4);
    sn_buf_puts(b, ",\"lambda\":");
    sn_buf_fixed(b, t->lambda, 4);
    sn_buf_puts(b, ",\"row_sample\":");
    sn_buf_fixed(b, t->row_sample, 4);
    sn_buf_puts(b, ",\"col_sample\":");
    sn_buf_fixed(b, t->col_sample, 4);
    sn_buf_printf(b, ",\"bins\":%d,\"seed\":", t->bins);
    sn_buf_u64(b, t->seed);
    sn_buf_printf(b, ",\"interactions\":%d,\"smoothing\":", in.params.interactions);
    sn_buf_fixed(b, in.params.smoothing, 4);
    sn_buf_printf(b, ",\"encode_folds\":%d,\"bags\":%d},\"columns\":[", in.params.encode_folds,
                  in.params.bags);
    for (int c = 0; c < pr->ncols; c++) {
        if (c)
            sn_buf_putc(b, ',');
        sn_buf_json_str(b, pr->names[c], strlen(pr->names[c]));
    }
    sn_buf_puts(b, "],\"features\":");
    sn_buf_u64(b, in.features);
    sn_buf_puts(b, ",\"nodes\":");
    sn_buf_u64(b, in.nodes);
    sn_buf_printf(b, ",\"training_data_sha256\":\"%s\",\"training_rows\":", hex);
    sn_buf_u64(b, in.rows);
    sn_buf_puts(b, ",\"training_approved\":");
    sn_buf_u64(b, in.positives);
    sn_buf_printf(b, ",\"trained_at\":\"%s\",\"cv_auc\":", when);
    sn_buf_fixed(b, in.cv_auc, 4);
    sn_buf_printf(b, ",\"cv_folds\":%d}", in.cv_folds);
}
