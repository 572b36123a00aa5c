/* Labelled requests with a known structure, shared by the prediction tests: ten engineers and
 * ten sales representatives each ask three times for git (granted to engineering only), crm
 * (granted to sales only) and the wiki (granted to all). 180 rows, 120 approved. */
#ifndef SN_TEST_PREDICT_FIXTURE_H
#define SN_TEST_PREDICT_FIXTURE_H

#include "iam/predict.h"

#include <stdio.h>
#include <string.h>

static inline sn_predict_data *fx_predict_data(void)
{
    static const char *const names[5] = {"user_id", "department", "job_title", "resource",
                                         "action"};
    static const sn_pcol_role roles[5] = {SN_PCOL_USER, SN_PCOL_DEPARTMENT, SN_PCOL_TITLE,
                                          SN_PCOL_RESOURCE, SN_PCOL_ACTION};
    sn_predict_data *d = sn_predict_data_new(5, names, roles);
    if (!d)
        return NULL;
    static const char *const resources[3] = {"git", "crm", "wiki"};
    for (int rep = 0; rep < 3; rep++)
        for (int u = 0; u < 20; u++)
            for (int r = 0; r < 3; r++) {
                bool eng = u < 10;
                char user[16];
                snprintf(user, sizeof(user), "%s%d", eng ? "e" : "s", u % 10);
                const char *v[5] = {user, eng ? "Eng" : "Sales", eng ? "Dev" : "Rep", resources[r],
                                    "read"};
                size_t n[5];
                for (int c = 0; c < 5; c++)
                    n[c] = strlen(v[c]);
                int label = r == 2 || (r == 0 && eng) || (r == 1 && !eng);
                if (sn_predict_data_add(d, v, n, label) != SN_OK) {
                    sn_predict_data_free(d);
                    return NULL;
                }
            }
    return d;
}

/* Small, quick settings for tests. */
static inline void fx_predict_params(sn_predict_params *p)
{
    sn_predict_params_default(p);
    p->trees.trees = 50;
    p->trees.learning_rate = 0.2;
    p->trees.min_child_weight = 0.1;
    p->encode_folds = 3;
}

/* Asks pr with the five history columns. */
static inline void fx_ask(const sn_predictor *pr, const char *user, const char *dept,
                          const char *title, const char *resource, sn_prediction *out)
{
    const char *v[5] = {user, dept, title, resource, "read"};
    size_t n[5];
    for (int c = 0; c < 5; c++)
        n[c] = strlen(v[c]);
    sn_predictor_ask(pr, v, n, out);
}

#endif
