/* sentinel roles: mine the roles hidden in who uses what (k-means++ over users x resources),
 * from any event log or from Amazon's access-request file. */
#include "cli.h"
#include "pipeline.h"

#include "iam/roles.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The trailing %.0s takes the detection options' help that the shared option handler passes
 * with every usage text, and prints none of it: roles has no detection options. */
static const char usage_text[] =
    "usage: sentinel roles --input FILE [options]\n"
    "       sentinel roles --amazon FILE [--amazon-user tuple|role_code] [options]\n"
    "\n"
    "Clusters users by the resources they use into roles: a users x resources matrix of counts,\n"
    "weighted (default tfidf: log(1 + count) times the smoothed inverse share of users using the\n"
    "resource) and L2-normalised per user, then k-means++ with seeded restarts; k is the one\n"
    "of the best silhouette over a range unless given. For each role: members, the resources\n"
    "most of them use, dominant department and job title, a generated name. Role health: role\n"
    "explosion (many small roles), overlapping roles, and users far from their role's centre\n"
    "with the resources few of their role use (likely over-privileged). When the input names\n"
    "departments and titles, the roles' purity against them is reported.\n"
    "\n"
    "input (one of):\n"
    "  -i, --input FILE       access events in any format detect reads; every event with a\n"
    "                         resource is one use of it by its user\n"
    "  -f, --format NAME      auto (default), csv, jsonl, syslog, winevt, cloudtrail, okta,\n"
    "                         entra, ecs or ocsf\n"
    "      --year N, --timezone TZ, --max-errors N   as for detect\n"
    "      --amazon FILE      Amazon's employee access file (ACTION, RESOURCE, MGR_ID,\n"
    "                         ROLE_ROLLUP_1 .. ROLE_CODE): approved requests (ACTION 1) are\n"
    "                         uses of RESOURCE; department ROLE_DEPTNAME, title ROLE_TITLE\n"
    "      --amazon-user WHO  who a row's user is: tuple (default: the whole role tuple\n"
    "                         ROLE_ROLLUP_1 .. ROLE_CODE) or role_code\n"
    "\n"
    "mining:\n"
    "      --k N              this many roles (else chosen by silhouette)\n"
    "      --k-min A, --k-max B  the range of k tried (default 2 to min(users - 1, 30))\n"
    "      --seed S           seed of k-means++ and of the silhouette sample (default 42)\n"
    "      --n-init N         k-means++ restarts, the lowest inertia kept (default 10; while\n"
    "                         k is chosen, each k tried takes at most 3)\n"
    "      --weighting W      binary, count, log or tfidf (default)\n"
    "      --silhouette-sample N  silhouette on at most N users (a seeded sample beyond;\n"
    "                         default 4000; 0: all)\n"
    "      --max-users N      fit k-means on at most N users (a seeded sample beyond), then\n"
    "                         give every user the nearest role (default 20000; 0: all)\n"
    "      --far-mads X       a user farther from their role's centre than its median\n"
    "                         distance plus X scaled MADs (and 0.05) is far (default 2)\n"
    "      --json             the API's JSON (total_roles, total_users, roles, role_health)\n"
    "      --show N           users far from their role listed (default 20; JSON 100)\n"
    "\n"
    "exit status: 0 success; 3 success but some records were bad and skipped; 1 failure;\n"
    "2 bad command line.\n%.0s";

typedef struct roles_ctx {
    sn_role_matrix *m;
} roles_ctx;

static int add_event(void *ctx, const sn_event *ev, const char *event_id)
{
    (void)event_id;
    roles_ctx *c = ctx;
    sn_status st = sn_role_matrix_set_attrs(c->m, ev->user_id.p, ev->user_id.n, ev->department.p,
                                            ev->department.n, ev->job_title.p, ev->job_title.n);
    if (st == SN_OK && ev->resource.n)
        st = sn_role_matrix_add(c->m, ev->user_id.p, ev->user_id.n, ev->resource.p, ev->resource.n,
                                1);
    if (st != SN_OK) {
        fprintf(stderr, "sentinel roles: out of memory\n");
        return SN_EXIT_FAIL;
    }
    return 0;
}

static int parse_int(const char *name, const char *v, long lo, long hi, int *out)
{
    long l;
    if (sn_cli_parse_long(name, v, lo, hi, &l) < 0)
        return -1;
    *out = (int)l;
    return 0;
}

static void print_text(const sn_role_matrix *m, const sn_roles *r, int show)
{
    const sn_role_params *p = &r->params;
    printf("%d roles for %d users", r->k, r->users);
    if (r->k_given)
        printf(" (k given");
    else
        printf(" (k by silhouette over %d..%d", r->n_tried ? r->tried[0].k : 0,
               r->n_tried ? r->tried[r->n_tried - 1].k : 0);
    if (isfinite(r->silhouette))
        printf("; silhouette %.3f on %d users", r->silhouette, r->silhouette_rows);
    printf("; %s weighting, seed %llu) in %.2f s\n", sn_role_weighting_name(p->weighting),
           (unsigned long long)p->seed, r->seconds);
    if (isfinite(r->purity_dept))
        printf("purity against department %.3f (NMI %.3f)", r->purity_dept, r->nmi_dept);
    if (isfinite(r->purity_title))
        printf("%sagainst job title %.3f (NMI %.3f)", isfinite(r->purity_dept) ? ", " : "purity ",
               r->purity_title, r->nmi_title);
    if (isfinite(r->purity_dept) || isfinite(r->purity_title))
        printf("\n");
    for (int c = 0; c < r->k; c++) {
        const sn_mined_role *role = &r->roles[c];
        printf("\n%s  %s\n  %s\n", role->id, role->name, role->description);
        if (role->n_common < role->n_top) {
            printf("  also:");
            for (int i = role->n_common; i < role->n_top && i < role->n_common + 5; i++)
                printf(" %s (%.0f%%)", sn_role_matrix_item_name(m, role->top[i].item),
                       100 * role->top[i].share);
            printf("\n");
        }
    }
    printf("\nrole health: %d role%s for %d users (%.3f per user), %d with fewer than %d "
           "members%s\n",
           r->k, r->k == 1 ? "" : "s", r->users, r->users ? (double)r->k / r->users : 0.0,
           r->small_roles, p->small_role, r->explosion ? ": role explosion" : "");
    for (int i = 0; i < r->n_overlaps; i++)
        printf("  overlapping: %s and %s (Jaccard %.2f of their common resources)\n",
               r->roles[r->overlaps[i].a].id, r->roles[r->overlaps[i].b].id,
               r->overlaps[i].jaccard);
    printf("  %d user%s far from their role using resources few of its members use (likely "
           "over-privileged)%s\n",
           r->n_far, r->n_far == 1 ? "" : "s", r->n_far && show ? ":" : "");
    for (int32_t i = 0; i < r->n_far && i < show; i++) {
        const sn_role_far *f = &r->far[i];
        printf("  %s (%s, distance %.3f > %.3f):", sn_role_matrix_user_name(m, f->user),
               r->roles[f->role].id, f->distance, f->threshold);
        for (int q = 0; q < f->n_extra; q++)
            printf("%s %s (%.0f%% of the role)", q ? "," : "",
                   sn_role_matrix_item_name(m, f->extra[q].item), 100 * f->extra[q].share);
        printf("\n");
    }
}

int sn_cmd_roles(int argc, char **argv)
{
    enum {
        O_AMAZON = 256,
        O_AMAZON_USER,
        O_K,
        O_KMIN,
        O_KMAX,
        O_SEED,
        O_NINIT,
        O_WEIGHT,
        O_SIL,
        O_MAXU,
        O_FAR,
        O_JSON,
        O_SHOW,
    };
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"amazon", required_argument, 0, O_AMAZON},
                                             {"amazon-user", required_argument, 0, O_AMAZON_USER},
                                             {"k", required_argument, 0, O_K},
                                             {"k-min", required_argument, 0, O_KMIN},
                                             {"k-max", required_argument, 0, O_KMAX},
                                             {"seed", required_argument, 0, O_SEED},
                                             {"n-init", required_argument, 0, O_NINIT},
                                             {"weighting", required_argument, 0, O_WEIGHT},
                                             {"silhouette-sample", required_argument, 0, O_SIL},
                                             {"max-users", required_argument, 0, O_MAXU},
                                             {"far-mads", required_argument, 0, O_FAR},
                                             {"json", no_argument, 0, O_JSON},
                                             {"show", required_argument, 0, O_SHOW},
                                             {"help", no_argument, 0, 'h'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "reading"};
    sn_engine_config unused;
    sn_engine_config_default(&unused);
    sn_role_params p;
    sn_role_params_default(&p);
    const char *amazon = NULL;
    sn_amazon_user who = SN_AMAZON_TUPLE;
    bool json = false;
    int show = -1, n;
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:h", longopts, &idx)) != -1) {
        int bad = 0;
        switch (c) {
        case 'i':
            in.path = optarg;
            break;
        case O_AMAZON:
            amazon = optarg;
            break;
        case O_AMAZON_USER:
            if (!strcmp(optarg, "tuple")) {
                who = SN_AMAZON_TUPLE;
            } else if (!strcmp(optarg, "role_code")) {
                who = SN_AMAZON_ROLE_CODE;
            } else {
                fprintf(stderr, "sentinel roles: --amazon-user: '%s' is not tuple or role_code\n",
                        optarg);
                return SN_EXIT_USAGE;
            }
            break;
        case O_K:
            bad = parse_int("k", optarg, 1, 100000, &p.k);
            break;
        case O_KMIN:
            bad = parse_int("k-min", optarg, 2, 100000, &p.k_min);
            break;
        case O_KMAX:
            bad = parse_int("k-max", optarg, 2, 100000, &p.k_max);
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "sentinel roles: --seed: '%s' is not a whole number >= 0\n",
                        optarg);
                return SN_EXIT_USAGE;
            }
            p.seed = s;
            break;
        }
        case O_NINIT:
            bad = parse_int("n-init", optarg, 1, 1000, &p.n_init);
            break;
        case O_WEIGHT:
            if (sn_role_weighting_from_name(optarg, &p.weighting) != 0) {
                fprintf(stderr,
                        "sentinel roles: --weighting: '%s' is not binary, count, log or tfidf\n",
                        optarg);
                return SN_EXIT_USAGE;
            }
            break;
        case O_SIL:
            bad = parse_int("silhouette-sample", optarg, 0, 100000000, &n);
            p.silhouette_sample = n;
            break;
        case O_MAXU:
            bad = parse_int("max-users", optarg, 0, 100000000, &n);
            p.max_users = n;
            break;
        case O_FAR: {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(d >= 0 && d <= 100)) {
                fprintf(stderr, "sentinel roles: --far-mads: '%s' is not a number in [0, 100]\n",
                        optarg);
                return SN_EXIT_USAGE;
            }
            p.far_mads = d;
            break;
        }
        case O_JSON:
            json = true;
            break;
        case O_SHOW:
            bad = parse_int("show", optarg, 0, 100000000, &show);
            break;
        case 'h':
            printf(usage_text, "");
            return SN_EXIT_OK;
        default:
            if (sn_cli_shared_or_usage(c, longopts, idx, argv, usage_text, &in, &unused, NULL))
                return SN_EXIT_USAGE;
            break;
        }
        if (bad)
            return SN_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "sentinel roles: unexpected argument '%s'\n", argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!!(in.path && in.path[0]) == !!(amazon && amazon[0])) {
        fprintf(stderr, "sentinel roles: give one of --input FILE and --amazon FILE\n");
        return SN_EXIT_USAGE;
    }
    if (p.k_min && p.k_max && p.k_min > p.k_max) {
        fprintf(stderr, "sentinel roles: --k-min %d is above --k-max %d\n", p.k_min, p.k_max);
        return SN_EXIT_USAGE;
    }
    roles_ctx ctx = {sn_role_matrix_new()};
    if (!ctx.m) {
        fprintf(stderr, "sentinel roles: out of memory\n");
        return SN_EXIT_FAIL;
    }
    int rc = SN_EXIT_OK;
    sn_input_counts counts = {0};
    sn_error err;
    sn_error_clear(&err);
    if (amazon) {
        long rows;
        if (sn_role_matrix_read_amazon(ctx.m, amazon, who, &rows, &err) != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "sentinel roles: %s\n", msg);
            sn_role_matrix_free(ctx.m);
            return SN_EXIT_FAIL;
        }
        fprintf(stderr,
                "roles: %ld requests read, %d users, %d resources, %zu user-resource "
                "pairs\n",
                rows, sn_role_matrix_users(ctx.m), sn_role_matrix_items(ctx.m),
                sn_role_matrix_cells(ctx.m));
    } else {
        rc = sn_cli_each_event(&in, add_event, &ctx, &counts);
        if (rc) {
            sn_role_matrix_free(ctx.m);
            return rc;
        }
        fprintf(stderr,
                "roles: %ld events read (%ld bad records skipped), %d users, %d resources, %zu "
                "user-resource pairs\n",
                counts.records, counts.skipped, sn_role_matrix_users(ctx.m),
                sn_role_matrix_items(ctx.m), sn_role_matrix_cells(ctx.m));
    }
    sn_roles roles;
    if (sn_roles_mine(ctx.m, &p, &roles, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel roles: %s\n", msg);
        sn_role_matrix_free(ctx.m);
        return err.code == SN_ERR_USAGE ? SN_EXIT_USAGE : SN_EXIT_FAIL;
    }
    if (json) {
        sn_buf b;
        sn_buf_init(&b);
        sn_roles_json(&b, ctx.m, &roles, show >= 0 ? show : 100);
        sn_buf_putc(&b, '\n');
        if (b.failed || fwrite(b.data, 1, b.len, stdout) != b.len)
            rc = SN_EXIT_FAIL;
        sn_buf_free(&b);
    } else {
        print_text(ctx.m, &roles, show >= 0 ? show : 20);
    }
    if (fflush(stdout) != 0)
        rc = SN_EXIT_FAIL;
    sn_roles_free(&roles);
    sn_role_matrix_free(ctx.m);
    if (rc == SN_EXIT_OK && counts.skipped)
        rc = SN_EXIT_SKIPPED;
    return rc;
}
