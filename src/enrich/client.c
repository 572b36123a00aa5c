/* The client family of a user agent: what stays the same across a client's updates, so that a
 * user's first use of another browser, operating system or tool stands out and a version bump
 * does not. */
#include "enrich.h"

#include <stdio.h>
#include <string.h>

static bool has(const char *s, size_t n, const char *word)
{
    return memmem(s, n, word, strlen(word)) != NULL;
}

size_t sn_client_family(const char *ua, size_t n, char *out, size_t cap)
{
    while (n && (*ua == ' ' || *ua == '[' || *ua == '"'))
        ua++, n--;
    if (!n || cap < 2)
        return 0;
    if (has(ua, n, "Mozilla/") || has(ua, n, "AppleWebKit") || has(ua, n, "Gecko/")) {
        /* Browsers: the family named by its own token (Edge and Opera also say Chrome and
         * Safari, Chrome also says Safari), then the operating system. */
        static const char *const tokens[][2] = {{"Edg", "Edge"},
                                                {"OPR/", "Opera"},
                                                {"Firefox/", "Firefox"},
                                                {"CriOS/", "Chrome"},
                                                {"Chrome/", "Chrome"},
                                                {"Safari/", "Safari"},
                                                {"Trident/", "Internet Explorer"},
                                                {"MSIE", "Internet Explorer"}};
        static const char *const systems[][2] = {{"Windows", "Windows"}, {"iPhone", "iOS"},
                                                 {"iPad", "iOS"},        {"Android", "Android"},
                                                 {"CrOS", "ChromeOS"},   {"Mac OS X", "macOS"},
                                                 {"Macintosh", "macOS"}, {"Linux", "Linux"}};
        const char *browser = "a browser", *os = NULL;
        for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
            if (has(ua, n, tokens[i][0])) {
                browser = tokens[i][1];
                break;
            }
        for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++)
            if (has(ua, n, systems[i][0])) {
                os = systems[i][1];
                break;
            }
        int k =
            os ? snprintf(out, cap, "%s on %s", browser, os) : snprintf(out, cap, "%s", browser);
        return k > 0 && (size_t)k < cap ? (size_t)k : 0;
    }
    /* Tools and libraries: the name of the first product token ("aws-cli/2.13.0 Python/3.11"
     * is aws-cli, "python-requests/2.31" python-requests), without its version. */
    size_t k = 0;
    while (k < n && k + 1 < cap && k < 48 && ua[k] != '/' && ua[k] != ' ' && ua[k] != '(' &&
           ua[k] != ';' && ua[k] != ',' && ua[k] != ']')
        k++;
    bool letter = false;
    for (size_t i = 0; i < k; i++)
        letter = letter || (ua[i] >= 'A' && ua[i] <= 'Z') || (ua[i] >= 'a' && ua[i] <= 'z');
    if (!letter)
        return 0;
    memcpy(out, ua, k);
    out[k] = '\0';
    return k;
}
