/* Role mining speed and quality: builds the users x resources matrix from an event log or from
 * Amazon's access file, mines the roles (k by silhouette unless given) and prints time, k and
 * silhouette; then times k-means++ alone at that k (10 restarts) and the silhouette on every row,
 * the figures bench/roles_vs_sklearn.py sets beside scikit-learn's. --dump PREFIX writes the
 * weighted matrix (PREFIX.rows: "row col value" lines) and the labels (PREFIX.labels) for it.
 * --model FILE times the copy of a model's baselines that role discovery makes under the
 * server's lock. Prints figures; asserts nothing.
 *
 *   roles_bench (--input EVENTS | --amazon FILE [--amazon-user role_code]) [--k N] [--k-max B]
 *               [--n-init N] [--seed S] [--dump PREFIX] [--model FILE] */
#include "iam/roles.h"
#include "ingest/ingest.h"
#include "risk/risk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "roles_bench: %s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *amazon = NULL, *dump = NULL, *model = NULL;
    sn_amazon_user who = SN_AMAZON_TUPLE;
    sn_role_params p;
    sn_role_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--input") && v)
            input = argv[++i];
        else if (!strcmp(a, "--amazon") && v)
            amazon = argv[++i];
        else if (!strcmp(a, "--amazon-user") && v)
            who = !strcmp(argv[++i], "role_code") ? SN_AMAZON_ROLE_CODE : SN_AMAZON_TUPLE;
        else if (!strcmp(a, "--k") && v)
            p.k = atoi(argv[++i]);
        else if (!strcmp(a, "--k-max") && v)
            p.k_max = atoi(argv[++i]);
        else if (!strcmp(a, "--n-init") && v)
            p.n_init = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && v)
            p.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--dump") && v)
            dump = argv[++i];
        else if (!strcmp(a, "--model") && v)
            model = argv[++i];
        else {
            fprintf(stderr, "usage: roles_bench (--input EVENTS | --amazon FILE [--amazon-user "
                            "role_code]) [--k N] [--k-max B] [--n-init N] [--seed S] [--dump "
                            "PREFIX] [--model FILE]\n");
            return 2;
        }
    }
    sn_error err;
    if (model) {
        sn_engine *e;
        if (sn_engine_load(&e, model, &err) != SN_OK)
            return die(model, &err);
        sn_profile_counts c;
        double t = now();
        sn_profiles_copy_counts(sn_engine_profiles(e), SN_ATTR_RESOURCE, &c);
        t = now() - t;
        sn_role_matrix *m = sn_role_matrix_new();
        double t2 = now();
        sn_role_matrix_from_counts(m, &c);
        t2 = now() - t2;
        printf("role discovery on this model: the copy of the baselines' counts (the service lock "
               "held) %.2f ms for %d users and %zu user-resource pairs; the matrix built from it "
               "(lock released) %.1f ms\n",
               t * 1e3, c.users, c.n, t2 * 1e3);
        sn_profile_counts_free(&c);
        sn_role_matrix_free(m);
        sn_engine_free(e);
        if (!input && !amazon)
            return 0;
    }
    if (!input == !amazon) {
        fprintf(stderr, "roles_bench: give one of --input and --amazon\n");
        return 2;
    }
    sn_role_matrix *m = sn_role_matrix_new();
    double t0 = now();
    if (amazon) {
        long rows;
        if (sn_role_matrix_read_amazon(m, amazon, who, &rows, &err) != SN_OK)
            return die(amazon, &err);
    } else {
        sn_reader *r;
        if (sn_reader_open(&r, input, SN_FORMAT_AUTO, &err) != SN_OK)
            return die(input, &err);
        sn_event ev;
        sn_status st;
        while ((st = sn_reader_next(r, &ev, &err)) != SN_EOF) {
            if (st != SN_OK)
                continue;
            sn_role_matrix_set_attrs(m, ev.user_id.p, ev.user_id.n, ev.department.p,
                                     ev.department.n, ev.job_title.p, ev.job_title.n);
            if (ev.resource.n)
                sn_role_matrix_add(m, ev.user_id.p, ev.user_id.n, ev.resource.p, ev.resource.n, 1);
        }
        sn_reader_close(r);
    }
    double t_read = now() - t0;
    sn_roles roles;
    double c0 = cpu();
    t0 = now();
    if (sn_roles_mine(m, &p, &roles, &err) != SN_OK)
        return die("mining", &err);
    double t_mine = now() - t0, c_mine = cpu() - c0;
    printf("matrix: %d users with a use, %d resources, %zu user-resource pairs (read in %.2f s)\n",
           roles.users, sn_role_matrix_items(m), sn_role_matrix_cells(m), t_read);
    printf("mining: %d roles (%s), silhouette %.4f on %d users, %.2f s wall, %.2f s CPU "
           "(k-means++ with 3 restarts for each k tried and %d for the one kept, silhouettes, "
           "descriptions)\n",
           roles.k, roles.k_given ? "k given" : "k by silhouette", roles.silhouette,
           roles.silhouette_rows, t_mine, c_mine, p.n_init);
    printf("purity against department %.4f, job title %.4f; %d small roles, %d overlapping "
           "pairs, %d users far from their role\n",
           roles.purity_dept, roles.purity_title, roles.small_roles, roles.n_overlaps, roles.n_far);
    /* k-means++ alone at the chosen k, as scikit-learn's KMeans(n_init=10) does it, and the
     * silhouette on every row. */
    sn_csr x;
    int32_t *ru;
    sn_role_matrix_rows(m, p.weighting, &x, &ru);
    sn_kmeans_params kp = {
        .k = roles.k, .n_init = p.n_init, .max_iter = p.max_iter, .seed = p.seed};
    sn_kmeans_result km;
    c0 = cpu();
    if (roles.k < 1 || sn_kmeans_fit(&x, &kp, &km, &err) != SN_OK)
        return die("k-means", &err);
    double c_fit = cpu() - c0;
    c0 = cpu();
    double sil = sn_silhouette(&x, km.label, km.k, NULL, 0);
    double c_sil = cpu() - c0;
    printf("k-means++ alone: k %d, %d restarts, inertia %.4f, %.3f s CPU; silhouette on all %d "
           "rows %.4f in %.3f s CPU\n",
           km.k, kp.n_init, km.inertia, c_fit, x.rows, sil, c_sil);
    printf("{\"users\":%d,\"items\":%d,\"k\":%d,\"k_given\":%s,\"mine_seconds\":%.4f,"
           "\"mine_cpu\":%.4f,\"silhouette_selected\":%.6f,\"fit_cpu\":%.4f,\"inertia\":%.6f,"
           "\"silhouette_all\":%.6f,\"silhouette_cpu\":%.4f,\"purity_department\":%.4f,"
           "\"n_init\":%d}\n",
           x.rows, x.cols, km.k, roles.k_given ? "true" : "false", t_mine, c_mine, roles.silhouette,
           c_fit, km.inertia, sil, c_sil, roles.purity_dept, kp.n_init);
    if (dump) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.rows", dump);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        fprintf(f, "%d %d\n", x.rows, x.cols);
        for (int32_t i = 0; i < x.rows; i++)
            for (int64_t e = x.ptr[i]; e < x.ptr[i + 1]; e++)
                fprintf(f, "%d %d %.17g\n", i, x.col[e], x.val[e]);
        fclose(f);
        snprintf(path, sizeof(path), "%s.labels", dump);
        f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        for (int32_t i = 0; i < x.rows; i++)
            fprintf(f, "%d\n", km.label[i]);
        fclose(f);
    }
    sn_kmeans_result_free(&km);
    sn_csr_free(&x);
    free(ru);
    sn_roles_free(&roles);
    sn_role_matrix_free(m);
    return 0;
}
