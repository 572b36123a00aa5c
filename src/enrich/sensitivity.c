/* Resource sensitivity (low 1, medium 2, high 3) and action risk (read 1 ... admin 5), the
 * scales of the reference system, with keyword rules for resources it never named. */
#include "enrich.h"

#include <ctype.h>
#include <string.h>

typedef struct named_level {
    const char *name;
    int level;
} named_level;

static const named_level known_resources[] = {
    {"payroll_system", 3},      {"financial_database", 3},  {"customer_pii", 3},
    {"production_database", 3}, {"payment_processor", 3},   {"security_logs", 3},
    {"admin_panel", 3},         {"aws_console", 3},         {"source_code_repo", 2},
    {"crm_system", 2},          {"analytics_dashboard", 2}, {"marketing_platform", 2},
    {"sales_tools", 2},         {"project_management", 2},  {"employee_directory", 1},
    {"public_wiki", 1},         {"company_news", 1},        {"learning_portal", 1},
    {"vacation_calendar", 1},   {"time_tracker", 1},
};

/* Substrings that mark an unknown resource as high or medium sensitivity. */
static const char *const high_words[] = {"payroll", "pii",   "financ", "payment",    "prod",
                                         "secret",  "vault", "admin",  "security",   "iam",
                                         "console", "root",  "key",    "credential", "hr_"};
static const char *const medium_words[] = {"source",    "repo", "crm",   "analytics",
                                           "database",  "db",   "sales", "customer",
                                           "marketing", "s3",   "api"};

static const named_level known_actions[] = {
    {"read", 1},     {"view", 1},   {"list", 1},  {"get", 1},    {"login", 1},    {"execute", 2},
    {"download", 2}, {"export", 2}, {"write", 3}, {"update", 3}, {"create", 3},   {"upload", 3},
    {"delete", 4},   {"remove", 4}, {"admin", 5}, {"grant", 5},  {"escalate", 5},
};

/* The actions of the authentication logs (README, Input formats): authenticating is a log-in;
 * taking administrator rights (Windows 4672, sudo, su) is admin. */
static const named_level auth_actions[] = {
    {"logon", 1},
    {"kerberos_tgt", 1},
    {"kerberos_service_ticket", 1},
    {"kerberos_preauth", 1},
    {"ntlm_validate", 1},
    {"explicit_logon", 2},
    {"special_privileges", 5},
    {"sudo", 5},
    {"su", 5},
};

static int lower_contains(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        size_t k = 0;
        while (k < w && tolower((unsigned char)s[i + k]) == word[k])
            k++;
        if (k == w)
            return 1;
    }
    return 0;
}

static int lookup(const named_level *t, size_t count, const char *s, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(t[i].name) == n && strncasecmp(t[i].name, s, n) == 0)
            return t[i].level;
    return 0;
}

int sn_resource_sensitivity(const char *s, size_t n)
{
    int level = lookup(known_resources, sizeof(known_resources) / sizeof(known_resources[0]), s, n);
    if (level)
        return level;
    for (size_t i = 0; i < sizeof(high_words) / sizeof(high_words[0]); i++)
        if (lower_contains(s, n, high_words[i]))
            return 3;
    for (size_t i = 0; i < sizeof(medium_words) / sizeof(medium_words[0]); i++)
        if (lower_contains(s, n, medium_words[i]))
            return 2;
    return 1;
}

/* Words of action names, matched anywhere in the name without regard to case or separators
 * ("add_delegated_permission_grant", "AttachUserPolicy", "user.account.privilege.grant"). */
static const char *const rights_words[] = {
    "grant",        "privilege",     "escalat",   "elevat",    "consent",
    "credential",   "certificate",   "secret",    "accesskey", "access_key",
    "loginprofile", "login_profile", "permission"};
/* Objects whose change is a change of rights when a verb below changes them. */
static const char *const rights_objects[] = {"policy", "role", "member", "owner", "key"};
static const char *const change_verbs[] = {"add",    "attach", "put",    "create",
                                           "update", "set",    "assign", "enable",
                                           "upload", "reset",  "change", "modify"};
static const char *const read_verbs[] = {"get",    "list", "describe", "view",  "read",  "search",
                                         "lookup", "head", "query",    "check", "verify"};
static const char *const delete_words[] = {"delete",  "remove", "deactivate",
                                           "disable", "revoke", "terminate",
                                           "destroy", "purge",  "detach"};
static const char *const write_words[] = {"create", "update", "put",    "set",  "add",     "write",
                                          "modify", "change", "upload", "copy", "restore", "attach",
                                          "assign", "edit",   "rename", "move"};

static bool any_word(const char *s, size_t n, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (lower_contains(s, n, words[i]))
            return true;
    return false;
}

/* The name starts with one of the words (case-insensitive): "GetObject", "list_users". */
static bool starts_with_word(const char *s, size_t n, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t w = strlen(words[i]);
        if (w <= n && strncasecmp(s, words[i], w) == 0)
            return true;
    }
    return false;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

bool sn_action_changes_rights(const char *s, size_t n)
{
    /* The named actions: of the reference system's, "grant" and "escalate" change rights;
     * taking administrator rights at sign-in (4672, sudo, su) does not. */
    if (lookup(auth_actions, COUNT_OF(auth_actions), s, n))
        return false;
    if (lookup(known_actions, COUNT_OF(known_actions), s, n))
        return (n == 5 && strncasecmp(s, "grant", 5) == 0) ||
               (n == 8 && strncasecmp(s, "escalate", 8) == 0);
    if (starts_with_word(s, n, read_verbs, COUNT_OF(read_verbs)))
        return false;
    if (any_word(s, n, rights_words, COUNT_OF(rights_words)))
        return true;
    return any_word(s, n, rights_objects, COUNT_OF(rights_objects)) &&
           any_word(s, n, change_verbs, COUNT_OF(change_verbs));
}

int sn_action_risk(const char *s, size_t n)
{
    int level = lookup(known_actions, COUNT_OF(known_actions), s, n);
    if (!level)
        level = lookup(auth_actions, COUNT_OF(auth_actions), s, n);
    if (level)
        return level;
    if (sn_action_changes_rights(s, n))
        return 5;
    if (starts_with_word(s, n, read_verbs, COUNT_OF(read_verbs)))
        return 1;
    if (any_word(s, n, delete_words, COUNT_OF(delete_words)))
        return 4;
    if (any_word(s, n, write_words, COUNT_OF(write_words)))
        return 3;
    return 2;
}
