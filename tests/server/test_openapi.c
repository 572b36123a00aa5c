/* The OpenAPI document served at /openapi.json against the implementation: every documented
 * route is in the routing table and every route is documented; every reference resolves; each
 * route, asked well and badly, answers only statuses its operation documents, and its 200 answers
 * hold the fields the schema requires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <ctype.h>

static sn_service *svc, *unready;
static json_t *doc;

#define EVENT                                                                                      \
    "{\"user_id\":\"U0002\",\"department\":\"Sales\",\"resource\":\"crm_system\","                 \
    "\"action\":\"read\",\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":\"192.168.253.10\","  \
    "\"location\":\"Mumbai, IN\",\"success\":true}"

static int setup(void **state)
{
    (void)state;
    svc = fx_service(true, 100);
    unready = fx_service(false, 100);
    size_t len;
    const char *text = sn_openapi_document(&len);
    json_error_t jerr;
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        fprintf(stderr, "openapi.json: line %d: %s\n", jerr.line, jerr.text);
    return svc && unready && doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    sn_service_free(unready);
    json_decref(doc);
    return 0;
}

static const char *const http_methods[] = {"get",     "put",  "post",  "delete",
                                           "options", "head", "patch", "trace"};

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void test_document(void **state)
{
    (void)state;
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(version);
    assert_memory_equal(version, "3.1.", 4);
    json_t *info = json_object_get(doc, "info");
    assert_string_equal(json_string_value(json_object_get(info, "version")), SENTINEL_VERSION);
    assert_non_null(json_string_value(json_object_get(info, "title")));
    /* Served as it is embedded. */
    fx_answer *a = fx_call(svc, "GET", "/openapi.json", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    assert_null(a->content_type);
    size_t len;
    const char *text = sn_openapi_document(&len);
    assert_int_equal(a->len, len);
    assert_memory_equal(a->body, text, len);
}

static void test_routes_match(void **state)
{
    (void)state;
    sn_route_info routes[64];
    size_t n = sn_service_routes(routes, 64);
    assert_true(n > 0 && n <= 64);
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    /* Every route is documented, with its method. */
    for (size_t i = 0; i < n; i++) {
        char m[16];
        lower(routes[i].method, m, sizeof(m));
        json_t *item = json_object_get(paths, routes[i].path);
        if (!item || !json_object_get(item, m))
            fail_msg("route %s %s is not in openapi.json", routes[i].method, routes[i].path);
    }
    /* Every documented operation is a route. */
    const char *path;
    json_t *item;
    size_t operations = 0;
    json_object_foreach(paths, path, item)
    {
        for (size_t k = 0; k < sizeof(http_methods) / sizeof(http_methods[0]); k++) {
            if (!json_object_get(item, http_methods[k]))
                continue;
            operations++;
            bool found = false;
            for (size_t i = 0; i < n && !found; i++) {
                char m[16];
                lower(routes[i].method, m, sizeof(m));
                found = !strcmp(routes[i].path, path) && !strcmp(m, http_methods[k]);
            }
            if (!found)
                fail_msg("openapi.json documents %s %s, which no route answers", http_methods[k],
                         path);
        }
    }
    assert_int_equal(operations, n);
}

/* The value a local reference ("#/a/b") points to, or NULL. */
static json_t *resolve(const char *ref)
{
    if (strncmp(ref, "#/", 2) != 0)
        return NULL;
    json_t *v = doc;
    char part[128];
    for (const char *p = ref + 2; v && *p;) {
        size_t k = strcspn(p, "/");
        if (k >= sizeof(part))
            return NULL;
        memcpy(part, p, k);
        part[k] = '\0';
        v = json_object_get(v, part);
        p += k + (p[k] == '/');
    }
    return v;
}

static size_t check_refs(json_t *v)
{
    size_t refs = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
        {
            if (!strcmp(key, "$ref")) {
                const char *ref = json_string_value(item);
                if (!ref || !resolve(ref))
                    fail_msg("unresolved reference %s", ref ? ref : "(not a string)");
                refs++;
            } else {
                refs += check_refs(item);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            refs += check_refs(json_array_get(v, i));
    }
    return refs;
}

static void test_references_resolve(void **state)
{
    (void)state;
    assert_true(check_refs(doc) > 10);
}

static json_t *deref(json_t *v)
{
    const char *ref = json_string_value(json_object_get(v, "$ref"));
    return ref ? resolve(ref) : v;
}

/* The operation documented for a route, by the route's method and OpenAPI path. */
static json_t *operation(const char *method, const char *path)
{
    char m[16];
    lower(method, m, sizeof(m));
    return json_object_get(json_object_get(json_object_get(doc, "paths"), path), m);
}

/* Asks s and checks the status is one the operation documents, and that a 200 JSON answer
 * holds the fields its schema requires. */
static int probe(sn_service *s, const sn_route_info *r, const char *path, const char *ctype,
                 const char *body)
{
    fx_answer *a = fx_call(s, r->method, path, ctype, body, body ? strlen(body) : 0);
    char code[8];
    snprintf(code, sizeof(code), "%d", a->status);
    json_t *op = operation(r->method, r->path);
    json_t *resp = deref(json_object_get(json_object_get(op, "responses"), code));
    if (!resp)
        fail_msg("%s %s answered %d, which openapi.json does not document for %s: %s", r->method,
                 path, a->status, r->path, a->body);
    json_t *schema = deref(json_object_get(
        json_object_get(json_object_get(resp, "content"), "application/json"), "schema"));
    if (a->status == 200 && schema && !a->content_type) {
        json_error_t jerr;
        json_t *got = json_loads(a->body, 0, &jerr);
        assert_non_null(got);
        size_t i;
        json_t *name;
        json_array_foreach(json_object_get(schema, "required"), i, name)
        {
            if (!json_object_get(got, json_string_value(name)))
                fail_msg("%s %s: the answer lacks \"%s\", which the schema requires", r->method,
                         path, json_string_value(name));
        }
        json_decref(got);
    }
    if (a->status == 200 && a->content_type &&
        !json_object_get(json_object_get(resp, "content"), "text/plain"))
        fail_msg("%s %s answered %s, not documented", r->method, path, a->content_type);
    return a->status;
}

static void test_answers_documented(void **state)
{
    (void)state;
    sn_route_info routes[64];
    size_t n = sn_service_routes(routes, 64);
    /* One analysed event, so that the user's risk score exists. */
    assert_int_equal(fx_post(svc, "/api/v1/analyze/access", EVENT, strlen(EVENT))->status, 200);
    static const char *const bodies[] = {
        EVENT,
        "{\"events\":[" EVENT ",{\"user_id\":\"U1\",\"source_ip\":\"x\"}]}",
        "{\"user_id\":",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]",
        "{\"user_id\":1e999}",
        "[]",
        "{}",
        "",
    };
    size_t probes = 0;
    for (size_t i = 0; i < n; i++) {
        const sn_route_info *r = &routes[i];
        if (!strcmp(r->method, "GET")) {
            const char *param = strstr(r->path, "{user_id}");
            if (param) {
                /* The route's own path with a known, an unknown and an invalid user. */
                static const char *const ids[] = {"U0002", "NOBODY", "\xff"};
                for (size_t k = 0; k < 3; k++) {
                    char concrete[256];
                    snprintf(concrete, sizeof(concrete), "%.*s%s%s", (int)(param - r->path),
                             r->path, ids[k], param + strlen("{user_id}"));
                    int status = probe(svc, r, concrete, NULL, NULL);
                    if (k == 0)
                        probes += status == 200;
                }
                continue;
            }
            probes += probe(svc, r, r->path, NULL, NULL) == 200;
            probe(unready, r, r->path, NULL, NULL);
            continue;
        }
        for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
            probes += probe(svc, r, r->path, "application/json", bodies[b]) == 200;
            probe(unready, r, r->path, "application/json", bodies[b]);
        }
        probe(svc, r, r->path, "text/plain", EVENT);
        probe(svc, r, r->path, NULL, NULL);
    }
    /* Every GET answered 200 once, and both analysis routes did. */
    assert_true(probes >= 8);
    /* The statuses not tied to one operation (unknown path, wrong method) are described in the
     * document's description. */
    const char *desc =
        json_string_value(json_object_get(json_object_get(doc, "info"), "description"));
    assert_non_null(desc);
    assert_non_null(strstr(desc, "404"));
    assert_non_null(strstr(desc, "405"));
    assert_int_equal(fx_call(svc, "GET", "/nowhere", NULL, NULL, 0)->status, 404);
    assert_int_equal(fx_call(svc, "DELETE", "/health", NULL, NULL, 0)->status, 405);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_routes_match),
        cmocka_unit_test(test_references_resolve),
        cmocka_unit_test(test_answers_documented),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
