/* The simulated organisation, as measured on the reference system's samples
 * (sample_iam_logs_200x50.csv and sample_iam_logs_2000x50.csv), and the building of one user. */
#include "catalog.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define T(lit)                                                                                     \
    {                                                                                              \
        lit, (uint8_t)(sizeof(lit) - 1)                                                            \
    }

enum {
    PAYROLL_SYSTEM,
    FINANCIAL_DATABASE,
    CUSTOMER_PII,
    PRODUCTION_DATABASE,
    PAYMENT_PROCESSOR,
    SECURITY_LOGS,
    ADMIN_PANEL,
    AWS_CONSOLE,
    SOURCE_CODE_REPO,
    CRM_SYSTEM,
    ANALYTICS_DASHBOARD,
    MARKETING_PLATFORM,
    SALES_TOOLS,
    PROJECT_MANAGEMENT,
    EMPLOYEE_DIRECTORY,
    PUBLIC_WIKI,
    COMPANY_NEWS,
    LEARNING_PORTAL,
    VACATION_CALENDAR,
    TIME_TRACKER,
};

const gen_text sn_gen__resources[GEN_RESOURCES] = {
    T("payroll_system"),      T("financial_database"),  T("customer_pii"),
    T("production_database"), T("payment_processor"),   T("security_logs"),
    T("admin_panel"),         T("aws_console"),         T("source_code_repo"),
    T("crm_system"),          T("analytics_dashboard"), T("marketing_platform"),
    T("sales_tools"),         T("project_management"),  T("employee_directory"),
    T("public_wiki"),         T("company_news"),        T("learning_portal"),
    T("vacation_calendar"),   T("time_tracker"),
};

const uint8_t sn_gen__common[GEN_COMMON] = {EMPLOYEE_DIRECTORY, PUBLIC_WIKI,       COMPANY_NEWS,
                                            LEARNING_PORTAL,    VACATION_CALENDAR, TIME_TRACKER};

/* Each department's own resources; a user's usual set is these plus two common ones, and each
 * normal event picks uniformly from that list (3/5 department share, 4/6 for IT, as measured).
 * customer_pii, production_database and payment_processor appear only in anomalies. */
const gen_department sn_gen__departments[GEN_DEPARTMENTS] = {
    {T("Customer Support"),
     {T("Support Agent"), T("Support Lead"), T("Support Manager")},
     3,
     {CRM_SYSTEM, EMPLOYEE_DIRECTORY, TIME_TRACKER},
     3},
    {T("Engineering"),
     {T("Software Engineer"), T("Senior Engineer"), T("DevOps Engineer"), T("Engineering Manager")},
     4,
     {SOURCE_CODE_REPO, PROJECT_MANAGEMENT, ANALYTICS_DASHBOARD},
     3},
    {T("Finance"),
     {T("Accountant"), T("Financial Analyst"), T("Finance Manager"), T("Controller")},
     4,
     {FINANCIAL_DATABASE, PAYROLL_SYSTEM, ANALYTICS_DASHBOARD},
     3},
    {T("HR"),
     {T("HR Specialist"), T("Recruiter"), T("HR Manager"), T("HR Director")},
     4,
     {EMPLOYEE_DIRECTORY, PAYROLL_SYSTEM, CRM_SYSTEM},
     3},
    {T("IT"),
     {T("IT Support"), T("System Admin"), T("IT Manager"), T("CISO")},
     4,
     {ADMIN_PANEL, AWS_CONSOLE, SECURITY_LOGS, SOURCE_CODE_REPO},
     4},
    {T("Legal"),
     {T("Paralegal"), T("Legal Counsel"), T("General Counsel")},
     3,
     {EMPLOYEE_DIRECTORY, PUBLIC_WIKI, PROJECT_MANAGEMENT},
     3},
    {T("Marketing"),
     {T("Content Creator"), T("Marketing Specialist"), T("Marketing Manager"), T("CMO")},
     4,
     {MARKETING_PLATFORM, ANALYTICS_DASHBOARD, CRM_SYSTEM},
     3},
    {T("Operations"),
     {T("Operations Analyst"), T("Operations Manager"), T("COO")},
     3,
     {PROJECT_MANAGEMENT, ANALYTICS_DASHBOARD, TIME_TRACKER},
     3},
    {T("Product"),
     {T("Product Manager"), T("Senior PM"), T("VP Product")},
     3,
     {ANALYTICS_DASHBOARD, SOURCE_CODE_REPO, PROJECT_MANAGEMENT},
     3},
    {T("Sales"),
     {T("Sales Rep"), T("Account Executive"), T("Sales Manager"), T("VP Sales")},
     4,
     {CRM_SYSTEM, SALES_TOOLS, ANALYTICS_DASHBOARD},
     3},
};

const char *const sn_gen__places[GEN_PLACES] = {
    "New York, US", "San Francisco, US", "London, UK",    "Tokyo, JP",  "Singapore, SG",
    "Sydney, AU",   "Berlin, DE",        "Toronto, CA",   "Mumbai, IN", "São Paulo, BR",
    "Moscow, RU",   "Beijing, CN",       "Pyongyang, KP", "Lagos, NG",  "Tehran, IR",
};

const gen_text sn_gen__places_csv[GEN_PLACES] = {
    T("\"New York, US\""),  T("\"San Francisco, US\""), T("\"London, UK\""), T("\"Tokyo, JP\""),
    T("\"Singapore, SG\""), T("\"Sydney, AU\""),        T("\"Berlin, DE\""), T("\"Toronto, CA\""),
    T("\"Mumbai, IN\""),    T("\"São Paulo, BR\""),     T("\"Moscow, RU\""), T("\"Beijing, CN\""),
    T("\"Pyongyang, KP\""), T("\"Lagos, NG\""),         T("\"Tehran, IR\""),
};

/* Name parts seen in the reference usernames (30 given names, 28 family names). */
static const char *const first_names[] = {
    "aisha",  "amara", "barbara",  "carlos",  "charles",  "chen",   "david",   "elizabeth",
    "fatima", "james", "jennifer", "jessica", "john",     "joseph", "karen",   "lars",
    "linda",  "mary",  "michael",  "olga",    "patricia", "raj",    "richard", "robert",
    "sarah",  "susan", "thomas",   "wei",     "william",  "yuki",
};
static const char *const last_names[] = {
    "anderson",  "brown",    "clark",   "davis",    "garcia", "gonzalez",  "harris",
    "hernandez", "jackson",  "johnson", "jones",    "kim",    "lee",       "lopez",
    "martin",    "martinez", "miller",  "moore",    "perez",  "rodriguez", "sanchez",
    "smith",     "taylor",   "thomas",  "thompson", "white",  "williams",  "wilson",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The reference's four username styles, equally often: first.last, firstlast, f + last + 1..99,
 * last + f + 1..999. Usernames may repeat, as there. */
static void make_name(sn_rng *r, gen_user *u)
{
    const char *f = first_names[sn_rng_below(r, COUNT(first_names))];
    const char *l = last_names[sn_rng_below(r, COUNT(last_names))];
    switch (sn_rng_below(r, 4)) {
    case 0:
        snprintf(u->name, sizeof(u->name), "%s.%s", f, l);
        break;
    case 1:
        snprintf(u->name, sizeof(u->name), "%s%s", f, l);
        break;
    case 2:
        snprintf(u->name, sizeof(u->name), "%c%s%u", f[0], l, (unsigned)(1 + sn_rng_below(r, 99)));
        break;
    default:
        snprintf(u->name, sizeof(u->name), "%s%c%u", l, f[0], (unsigned)(1 + sn_rng_below(r, 999)));
        break;
    }
    /* The buffer holds the longest name, 9 + 1 + 9 letters. */
    u->name_len = (uint8_t)strlen(u->name);
}

void sn_gen__make_user(sn_rng *r, uint32_t index, double events_per_user, double anomaly_rate,
                       uint32_t anomalies_per_user, gen_user *u)
{
    memset(u, 0, sizeof(*u));
    u->dept = (uint8_t)sn_rng_below(r, GEN_DEPARTMENTS);
    const gen_department *d = &sn_gen__departments[u->dept];
    u->title = (uint8_t)sn_rng_below(r, d->ntitles);
    u->home = (uint8_t)sn_rng_below(r, GEN_HOMES);
    for (uint8_t i = 0; i < d->nresources; i++)
        u->typical[u->ntypical++] = d->resources[i];
    uint64_t a = sn_rng_below(r, GEN_COMMON), b = sn_rng_below(r, GEN_COMMON - 1);
    if (b >= a)
        b++;
    u->typical[u->ntypical++] = sn_gen__common[a];
    u->typical[u->ntypical++] = sn_gen__common[b];
    make_name(r, u);
    snprintf(u->id, sizeof(u->id), "U%04u", (unsigned)(index + 1));
    u->id_len = (uint8_t)strlen(u->id);

    /* A fractional mean is met by rounding each user's count up or down at random. */
    double whole = floor(events_per_user);
    u->left = (uint32_t)whole + (sn_rng_uniform(r) < events_per_user - whole ? 1u : 0u);
    u->anomalies_left = (uint8_t)(sn_rng_uniform(r) < anomaly_rate ? anomalies_per_user : 0);
}
