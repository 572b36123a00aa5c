/* The authentication messages of sshd, su and sudo in a syslog line: who, from where, to what,
 * with what outcome. The forms follow OpenSSH (auth.c auth_log: "Accepted|Failed METHOD for
 * [invalid user ]USER from ADDR port N ssh2"; auth.c getpwnamallow: "Invalid user USER from
 * ADDR [port N]"), Linux-PAM pam_unix ("authentication failure; logname= uid= euid= tty= ruser=
 * rhost= user=", "session opened for user X by Y(uid=N)"), sudo ("USER : N incorrect password
 * attempts ; TTY= ; PWD= ; USER= ; COMMAND=") and rsyslog ("message repeated N times: [MSG]",
 * N further copies of MSG). */
#include "syslog_impl.h"

#include <string.h>

#define LIT(s) s, sizeof(s) - 1

static bool has_prefix(const char *s, size_t n, const char *lit, size_t k)
{
    return n >= k && memcmp(s, lit, k) == 0;
}

/* Moves s past lit when s starts with it. */
static bool skip(const char **s, size_t *n, const char *lit, size_t k)
{
    if (!has_prefix(*s, *n, lit, k))
        return false;
    *s += k;
    *n -= k;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t token_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ' ')
        i++;
    return i;
}

static void bad(sl_auth *a, const char *field, const char *why)
{
    a->kind = SL_BAD;
    a->field = field;
    a->why = why;
}

static void event(sl_auth *a, const char *action, int8_t success)
{
    a->kind = SL_EVENT;
    a->action = action;
    a->success = success;
}

/* " from ADDR", then " port N" (required or optional) and nothing else unless rest_ok: the
 * last such place in u, so that a user name with " from " in it stays whole. Returns where
 * " from " starts, or n when there is none. */
static size_t last_from(const char *u, size_t n, bool port_required, bool rest_ok,
                        const char **addr, size_t *addr_n)
{
    size_t found = n;
    const char *end = u + n;
    for (const char *f = u; (f = memmem(f, (size_t)(end - f), " from ", 6)) != NULL; f++) {
        const char *t = f + 6;
        size_t tn = token_len(t, (size_t)(end - t));
        if (tn == 0)
            continue;
        const char *q = t + tn;
        bool port = false;
        if (has_prefix(q, (size_t)(end - q), LIT(" port "))) {
            const char *d = q + 6;
            while (d < end && is_digit(*d))
                d++;
            if (d > q + 6 && (d == end || *d == ' ')) {
                port = true;
                q = d;
            }
        }
        if ((port_required && !port) || (q != end && !rest_ok))
            continue;
        found = (size_t)(f - u);
        *addr = t;
        *addr_n = tn;
    }
    return found;
}

/* sshd's outcome of one authentication: s follows "Accepted " or "Failed ". */
static void sshd_outcome(const char *s, size_t n, int8_t success, sl_auth *a)
{
    size_t i = token_len(s, n); /* the method: password, publickey, keyboard-interactive/pam */
    if (i == 0 || !has_prefix(s + i, n - i, LIT(" for "))) {
        bad(a, NULL, "sshd authentication message without 'METHOD for USER'");
        return;
    }
    const char *u = s + i + 5;
    size_t un = n - i - 5;
    skip(&u, &un, LIT("invalid user "));
    size_t at = last_from(u, un, true, true, &a->addr, &a->addr_n);
    if (at == un) {
        bad(a, "source_ip", "sshd authentication message without 'from ADDRESS port N'");
        return;
    }
    a->user = u;
    a->user_n = at;
    event(a, "login", success);
}

/* sshd's "Invalid user USER from ADDR [port N]": a log-in attempt with a name the system does
 * not have. */
static void sshd_invalid_user(const char *u, size_t un, sl_auth *a)
{
    size_t at = last_from(u, un, false, false, &a->addr, &a->addr_n);
    if (at == un) {
        bad(a, "source_ip", "sshd 'Invalid user' message without 'from ADDRESS'");
        return;
    }
    a->user = u;
    a->user_n = at;
    event(a, "login", 0);
}

/* The value of " key=" in pam_unix's list of key=value words; empty when absent. */
static void pam_value(const char *s, size_t n, const char *key, size_t kn, const char **v,
                      size_t *vn)
{
    const char *end = s + n;
    const char *f = memmem(s, n, key, kn);
    *v = NULL;
    *vn = 0;
    if (f) {
        *v = f + kn;
        *vn = token_len(*v, (size_t)(end - *v));
    }
}

/* "session opened for user TARGET[(uid=N)] by ACTOR(uid=N)": s follows "for user ". */
static void pam_session(const char *s, size_t n, const char *action, sl_auth *a)
{
    size_t t = 0;
    while (t < n && s[t] != ' ' && s[t] != '(')
        t++;
    const char *by = memmem(s, n, " by ", 4);
    if (t == 0 || !by)
        return; /* ignored */
    const char *u = by + 4;
    size_t un = 0;
    while (u + un < s + n && u[un] != '(' && u[un] != ' ')
        un++;
    if (un == 0)
        return; /* "by (uid=0)": no login name to hold the session to */
    a->user = u;
    a->user_n = un;
    a->target = s;
    a->target_n = t;
    event(a, action, 1);
}

static void sshd_message(const char *m, size_t n, sl_auth *a)
{
    if (skip(&m, &n, LIT("Accepted ")))
        sshd_outcome(m, n, 1, a);
    else if (skip(&m, &n, LIT("Failed ")))
        sshd_outcome(m, n, 0, a);
    else if (skip(&m, &n, LIT("Invalid user ")))
        sshd_invalid_user(m, n, a);
    else if (has_prefix(m, n, LIT("pam_unix(sshd:auth): authentication failure;"))) {
        pam_value(m, n, LIT(" user="), &a->user, &a->user_n);
        pam_value(m, n, LIT(" rhost="), &a->addr, &a->addr_n);
        /* Without user= the name was unknown to the system; sshd's own "Failed ... for
         * invalid user NAME" line reports that attempt with the name. */
        if (a->user_n)
            event(a, "login", 0);
    }
}

static void su_message(const char *m, size_t n, sl_auth *a)
{
    const char *s = m;
    size_t k = n;
    if (!skip(&s, &k, LIT("pam_unix(su:")) && !skip(&s, &k, LIT("pam_unix(su-l:")))
        return;
    if (skip(&s, &k, LIT("session): session opened for user "))) {
        pam_session(s, k, "su", a);
    } else if (has_prefix(s, k, LIT("auth): authentication failure;"))) {
        /* ruser asked to become user */
        pam_value(m, n, LIT(" ruser="), &a->user, &a->user_n);
        if (!a->user_n)
            pam_value(m, n, LIT(" logname="), &a->user, &a->user_n);
        pam_value(m, n, LIT(" user="), &a->target, &a->target_n);
        if (a->user_n && a->target_n)
            event(a, "su", 0);
    }
}

/* sudo's own record "USER : PROBLEM ; TTY=... ; PWD=... ; USER=TARGET ; COMMAND=...". A record
 * that starts with TTY= is a command that ran: the PAM session line already counts it. The
 * PAM lines of sudo's authentication are not used: sudo reports the failures itself, with the
 * account they were for. */
static void sudo_record(const char *m, size_t n, sl_auth *a)
{
    while (n > 0 && *m == ' ') {
        m++;
        n--;
    }
    const char *sep = memmem(m, n, " : ", 3);
    if (!sep || sep == m)
        return;
    const char *end = m + n;
    const char *item = sep + 3;
    const char *semi = memmem(item, (size_t)(end - item), " ; ", 3);
    size_t in = semi ? (size_t)(semi - item) : (size_t)(end - item);
    long count = 0;
    if (in > 0 && is_digit(item[0])) {
        const char *d = item;
        for (; d < item + in && is_digit(*d); d++)
            if (count <= SN_REPEAT_MAX) /* past it only "too many" matters */
                count = count * 10 + (*d - '0');
        if (!has_prefix(d, (size_t)(item + in - d), LIT(" incorrect password attempt")))
            return;
    } else if (has_prefix(item, in, LIT("user NOT in sudoers")) ||
               has_prefix(item, in, LIT("user NOT authorized on host")) ||
               has_prefix(item, in, LIT("command not allowed"))) {
        count = 1;
    } else {
        return;
    }
    if (count < 1 || count > SN_REPEAT_MAX) {
        bad(a, NULL, "sudo failure count out of range");
        return;
    }
    a->user = m;
    a->user_n = (size_t)(sep - m);
    const char *t = memmem(item, (size_t)(end - item), "; USER=", 7);
    if (t) {
        a->target = t + 7;
        a->target_n = 0;
        while (a->target + a->target_n < end && a->target[a->target_n] != ' ')
            a->target_n++;
    }
    if (a->target_n == 0) {
        a->target = "root"; /* sudo's runas_default */
        a->target_n = 4;
    }
    a->count = count;
    event(a, "sudo", 0);
}

static void sudo_message(const char *m, size_t n, sl_auth *a)
{
    const char *s = m;
    size_t k = n;
    if (skip(&s, &k, LIT("pam_unix(sudo:")) || skip(&s, &k, LIT("pam_unix(sudo-i:"))) {
        if (skip(&s, &k, LIT("session): session opened for user ")))
            pam_session(s, k, "sudo", a);
        return;
    }
    sudo_record(m, n, a);
}

static bool prog_is(const sl_header *h, const char *name, size_t k)
{
    return h->prog_n == k && memcmp(h->prog, name, k) == 0;
}

static void dispatch(const sl_header *h, const char *m, size_t n, sl_auth *a)
{
    /* OpenSSH 9.8 moved the per-connection work, and its log lines, to sshd-session */
    if (prog_is(h, LIT("sshd")) || prog_is(h, LIT("sshd-session")))
        sshd_message(m, n, a);
    else if (prog_is(h, LIT("sudo")))
        sudo_message(m, n, a);
    else if (prog_is(h, LIT("su")))
        su_message(m, n, a);
}

void sn_syslog_auth_message(const sl_header *h, sl_auth *a)
{
    memset(a, 0, sizeof(*a));
    a->count = 1;
    const char *m = h->msg;
    size_t n = h->msg_n;
    if (h->prog_n == 0)
        return;
    if (!has_prefix(m, n, LIT("message repeated "))) {
        dispatch(h, m, n, a);
        return;
    }
    /* rsyslog's reduction of repeated messages: "message repeated N times: [ MSG]" */
    skip(&m, &n, LIT("message repeated "));
    long count = 0;
    size_t digits = 0;
    while (digits < n && is_digit(m[digits])) {
        if (count <= SN_REPEAT_MAX) /* past it only "too many" matters */
            count = count * 10 + (m[digits] - '0');
        digits++;
    }
    m += digits;
    n -= digits;
    if (digits == 0 || !skip(&m, &n, LIT(" times: [")) || n == 0 || m[n - 1] != ']')
        return; /* not rsyslog's form: nothing we read */
    n--;
    while (n > 0 && *m == ' ') {
        m++;
        n--;
    }
    dispatch(h, m, n, a);
    if (a->kind != SL_EVENT)
        return;
    if (count < 1 || count > SN_REPEAT_MAX) {
        bad(a, NULL, "repeat count of 'message repeated N times' out of range (1 to 1000)");
        return;
    }
    a->count *= count;
    if (a->count > SN_REPEAT_MAX)
        bad(a, NULL, "repeated record stands for more than 1000 events");
}
