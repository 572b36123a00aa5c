/* Public face of the iam layer: role mining (product spec section 3). Users are clustered by the
 * resources they use (k-means++ over a users x resources matrix whose rows are weighted and
 * L2-normalised), k is chosen by the silhouette unless given, and each role is described (members,
 * the resources most of them use, dominant department and job title, a generated name) with the
 * health of the whole (role explosion, overlapping roles, users far from their role).
 *
 * k-means++: Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007,
 * in its greedy form (several candidates per centre, the one lowering the potential most kept) as
 * scikit-learn implements it. Silhouette: Rousseeuw, "Silhouettes: a graphical aid to the
 * interpretation and validation of cluster analysis", J. Comput. Appl. Math. 20, 1987. */
#ifndef SN_ROLES_H
#define SN_ROLES_H

#include "../core/buf.h"
#include "../core/error.h"
#include "../profile/profile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Sparse rows and the two clustering primitives --------------------------------------- */

/* Compressed sparse rows: row i holds col[ptr[i] .. ptr[i+1]) with values val[...], columns
 * increasing within a row. */
typedef struct sn_csr {
    int32_t rows, cols;
    int64_t *ptr; /* rows + 1 */
    int32_t *col;
    double *val;
} sn_csr;

void sn_csr_free(sn_csr *x);

typedef struct sn_kmeans_params {
    int k;         /* clusters, 1..rows */
    int n_init;    /* seeded restarts; the one of lowest inertia is kept */
    int max_iter;  /* Lloyd iterations per restart at most */
    uint64_t seed; /* the same seed gives the same clustering */
} sn_kmeans_params;

typedef struct sn_kmeans_result {
    int k;
    int32_t *label; /* rows; clusters numbered in order of their first row */
    double *centre; /* k x cols, row-major */
    double *dist2;  /* rows: squared distance of each row to its centre */
    double inertia; /* sum of dist2 */
    int iterations; /* of the restart kept */
} sn_kmeans_result;

/* Euclidean k-means of the rows of x: greedy k-means++ seeding (2 + floor(ln k) candidates per
 * centre), then Lloyd iterations until no assignment changes (ties go to the lower cluster); a
 * cluster left empty takes the row farthest from its centre. Fills out (free with
 * sn_kmeans_result_free). SN_ERR_USAGE when k is not in 1..rows; SN_ERR_NOMEM. */
sn_status sn_kmeans_fit(const sn_csr *x, const sn_kmeans_params *p, sn_kmeans_result *out,
                        sn_error *err);
void sn_kmeans_result_free(sn_kmeans_result *r);

/* Mean silhouette of the clustering label (k clusters) over the rows listed in sample (n_sample
 * of them, distinct), distances being Euclidean and taken among the sampled rows only, as
 * scikit-learn's silhouette_score(sample_size=) does; sample NULL means every row. A row alone in
 * its cluster (within the sample) scores 0. NAN when the sample holds fewer than two clusters or
 * on lack of memory. Rows of unit length (as role mining makes them) take a fast path: only pairs
 * sharing a column are computed, the others being sqrt(2) apart. */
double sn_silhouette(const sn_csr *x, const int32_t *label, int k, const int32_t *sample,
                     int32_t n_sample);

/* Purity of a clustering against reference classes (class -1: unknown, left out): the share of
 * rows whose cluster's most common class is their own; and the normalised mutual information
 * 2 I(C;L) / (H(C) + H(L)) (scikit-learn's arithmetic normalisation). NAN without known rows. */
double sn_cluster_purity(const int32_t *label, const int32_t *cls, int32_t n);
double sn_cluster_nmi(const int32_t *label, const int32_t *cls, int32_t n);

/* ---- The users x resources matrix --------------------------------------------------------- */

/* Uses of resources by users, with each user's department and job title. Not thread-safe. */
typedef struct sn_role_matrix sn_role_matrix;

/* Caller frees with sn_role_matrix_free. NULL when out of memory. */
sn_role_matrix *sn_role_matrix_new(void);
void sn_role_matrix_free(sn_role_matrix *m);

/* Adds count uses of item by user (byte ranges, not NUL-terminated). SN_ERR_NOMEM. */
sn_status sn_role_matrix_add(sn_role_matrix *m, const char *user, size_t un, const char *item,
                             size_t in, uint32_t count);
/* Sets the user's department and job title (n == 0 leaves that one as it is; the latest wins).
 * Adds the user (without uses) when new. SN_ERR_NOMEM. */
sn_status sn_role_matrix_set_attrs(sn_role_matrix *m, const char *user, size_t un, const char *dept,
                                   size_t dn, const char *title, size_t tn);

/* The resource use of every user in a copy of the engine's baselines (every event they learned,
 * failed attempts included; sn_profiles_copy_counts of SN_ATTR_RESOURCE) with the users' latest
 * department and job title. SN_ERR_NOMEM. */
sn_status sn_role_matrix_from_counts(sn_role_matrix *m, const sn_profile_counts *c);

/* Which user is the "user" of a row of the Amazon access file. */
typedef enum sn_amazon_user {
    SN_AMAZON_TUPLE = 0, /* the whole role tuple, ROLE_ROLLUP_1 .. ROLE_CODE */
    SN_AMAZON_ROLE_CODE, /* ROLE_CODE alone */
} sn_amazon_user;

/* Reads Amazon's employee access file (Kaggle 2013: ACTION, RESOURCE, MGR_ID, ROLE_ROLLUP_1,
 * ROLE_ROLLUP_2, ROLE_DEPTNAME, ROLE_TITLE, ROLE_FAMILY_DESC, ROLE_FAMILY, ROLE_CODE, any order)
 * into m: each row with ACTION 1 is one use of RESOURCE by the user; the department is
 * ROLE_DEPTNAME and the title ROLE_TITLE. A row that is not all integers is a fatal error naming
 * its line. *rows_read counts the data rows. */
sn_status sn_role_matrix_read_amazon(sn_role_matrix *m, const char *path, sn_amazon_user who,
                                     long *rows_read, sn_error *err);
/* The same from an open stream (not closed); name is what errors call it. */
sn_status sn_role_matrix_read_amazon_stream(sn_role_matrix *m, FILE *f, const char *name,
                                            sn_amazon_user who, long *rows_read, sn_error *err);

int32_t sn_role_matrix_users(const sn_role_matrix *m);
int32_t sn_role_matrix_items(const sn_role_matrix *m);
size_t sn_role_matrix_cells(const sn_role_matrix *m);   /* distinct (user, item) pairs */
int32_t sn_role_matrix_depts(const sn_role_matrix *m);  /* distinct departments */
int32_t sn_role_matrix_titles(const sn_role_matrix *m); /* distinct job titles */
const char *sn_role_matrix_user_name(const sn_role_matrix *m, int32_t user);
const char *sn_role_matrix_item_name(const sn_role_matrix *m, int32_t item);
/* The user's department and title ids (-1 unknown) and their names. */
int32_t sn_role_matrix_user_dept(const sn_role_matrix *m, int32_t user);
int32_t sn_role_matrix_user_title(const sn_role_matrix *m, int32_t user);
const char *sn_role_matrix_dept_name(const sn_role_matrix *m, int32_t dept);
const char *sn_role_matrix_title_name(const sn_role_matrix *m, int32_t title);

/* How a user's counts become the row that is clustered (then L2-normalised). */
typedef enum sn_role_weighting {
    SN_RW_BINARY = 0, /* 1 for every resource used */
    SN_RW_COUNT,      /* the count */
    SN_RW_LOG,        /* log(1 + count) */
    SN_RW_TFIDF,      /* log(1 + count) * (ln((1 + U) / (1 + df)) + 1), U users, df users of it */
} sn_role_weighting;

const char *sn_role_weighting_name(sn_role_weighting w);
/* 0, or -1 when name is none of binary, count, log, tfidf. */
int sn_role_weighting_from_name(const char *name, sn_role_weighting *out);

/* The weighted, L2-normalised rows of the users with at least one use (row r is the user
 * row_user[r], in the order users were added; columns are item ids). Free x with sn_csr_free
 * and *row_user with free. */
sn_status sn_role_matrix_rows(const sn_role_matrix *m, sn_role_weighting w, sn_csr *x,
                              int32_t **row_user);

/* ---- Role mining -------------------------------------------------------------------------- */

typedef struct sn_role_params {
    sn_role_weighting weighting; /* tfidf */
    int k;                       /* > 0: this many roles; 0: chosen by silhouette */
    int k_min, k_max;            /* the range tried: 2 and 0 (0: min(users - 1, 30)) */
    int n_init;                  /* k-means restarts per k; 10 */
    int max_iter;                /* 300 */
    uint64_t seed;               /* 42; every k uses this seed */
    int32_t silhouette_sample;   /* rows the silhouette is computed on at most (a seeded uniform
                                    sample beyond); 4000; 0: all */
    int32_t max_users;           /* k-means is fitted on at most this many users (a seeded
                                    uniform sample beyond), then every user joins the nearest
                                    role; 20000; 0: all */
    double common_share;         /* a resource at least this share of a role's members use is one
                                    of its common resources; 0.5 */
    int32_t small_role;          /* a role with fewer members is small; 5 */
    double overlap_jaccard;      /* roles whose common resources have at least this Jaccard
                                    index overlap; 0.7 */
    double far_mads;             /* a member farther from the centre than the role's median
                                    distance plus this many (scaled) MADs is far; 2 */
    double extra_share;          /* resources fewer than this share of the role use make a far
                                    user over-privileged; 0.2 */
} sn_role_params;

void sn_role_params_default(sn_role_params *p);

#define SN_ROLE_TOP 10

typedef struct sn_role_item {
    int32_t item;
    double share; /* of the role's members using it */
} sn_role_item;

typedef struct sn_mined_role {
    char id[16];    /* R000, R001, ... by decreasing size */
    char name[192]; /* generated, unique among the roles */
    char description[640];
    int32_t n_members;
    int32_t *members; /* matrix user ids, in row order */
    int n_top;
    sn_role_item top[SN_ROLE_TOP]; /* most used first (share, then uses, then name) */
    int n_common;                  /* how many of top reach common_share (all of them are kept
                                      in common_set for the overlap test) */
    int32_t *common_set;           /* n_common_set item ids reaching common_share, sorted */
    int32_t n_common_set;
    int32_t dept, title;            /* dominant, -1 when no member has one */
    double dept_share, title_share; /* of all members */
    int32_t dept2;                  /* the runner-up department, -1 when none */
    double dept2_share;
    double mean_distance; /* members' mean Euclidean distance to the centre */
    double median_distance;
} sn_mined_role;

typedef struct sn_role_overlap {
    int a, b; /* role indices, a < b */
    double jaccard;
} sn_role_overlap;

#define SN_ROLE_EXTRA 5

typedef struct sn_role_far {
    int32_t user; /* matrix user id */
    int role;
    double distance, threshold; /* to the centre; the role's far threshold */
    int n_extra;
    sn_role_item extra[SN_ROLE_EXTRA]; /* the user's resources few members use (share in the
                                          role), heaviest in the user's row first */
} sn_role_far;

typedef struct sn_role_k_score {
    int k;
    double silhouette, inertia;
} sn_role_k_score;

typedef struct sn_roles {
    sn_role_params params;
    int32_t users;        /* users clustered (rows) */
    int32_t fitted_users; /* of them, the ones k-means was fitted on */
    int32_t *row_user;
    int32_t *label; /* per row: role index */
    int k;
    bool k_given;
    sn_mined_role *roles;
    double silhouette; /* of the clustering kept (NAN when k < 2 or k = users) */
    int32_t silhouette_rows;
    int n_tried;
    sn_role_k_score *tried;
    /* Health. */
    int32_t small_roles;
    bool explosion;
    int n_overlaps;
    sn_role_overlap *overlaps;
    int32_t n_far;
    sn_role_far *far; /* farthest beyond their threshold first */
    /* Agreement with the users' departments and titles (NAN when none is known). */
    double purity_dept, purity_title, nmi_dept, nmi_title;
    double seconds; /* mining, wall clock */
} sn_roles;

/* Mines the roles of m's users (those with at least one use). SN_ERR_USAGE when p->k exceeds
 * the users or the range is empty; SN_ERR_NOMEM. An empty matrix gives no roles. Free with
 * sn_roles_free. */
sn_status sn_roles_mine(const sn_role_matrix *m, const sn_role_params *p, sn_roles *out,
                        sn_error *err);
void sn_roles_free(sn_roles *r);

/* The roles as the API answers them: total_roles, total_users, roles, role_health and the
 * figures behind them (see the README). At most max_far far users are listed (all are counted). */
void sn_roles_json(sn_buf *out, const sn_role_matrix *m, const sn_roles *r, int32_t max_far);

#endif
