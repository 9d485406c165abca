/* test_ingest_support.h -- helpers shared by the test_ingest_*.c programs:
 * reading fixtures (tests/fixtures/raw/<source>/), running
 * revos_ingest_parse, and asserting exact SourceEvent contents. */
#ifndef REVOS_TEST_INGEST_SUPPORT_H
#define REVOS_TEST_INGEST_SUPPORT_H

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#define TEST_PARTITION 3
#define TEST_OFFSET INT64_C(4242)

typedef struct parsed {
    revos_status st;
    json_t *events;
    int ignored;
    revos_err err;
} parsed;

static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_ge(size, 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static inline char *fixture_read(const char *source, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/raw/%s/%s", REVOS_FIXTURES_DIR, source, name);
    return read_file(path, len);
}

static inline json_t *fixture_json(const char *source, const char *name)
{
    size_t len;
    char *text = fixture_read(source, name, &len);
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s/%s: %s", source, name, jerr.text);
    free(text);
    return doc;
}

/* config/mapping.json, as shipped. */
static inline json_t *mapping_load(void)
{
    json_error_t jerr;
    json_t *mapping = json_load_file(REVOS_CONFIG_DIR "/mapping.json", 0, &jerr);
    ck_assert_msg(mapping != NULL, "mapping.json: %s line %d", jerr.text, jerr.line);
    return mapping;
}

static inline json_t *json_text(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    ck_assert_msg(doc != NULL, "bad test JSON: %s", jerr.text);
    return doc;
}

static inline parsed parse_bytes(const json_t *mapping, const char *source, const char *payload,
                                 size_t len)
{
    static char topic[64];
    snprintf(topic, sizeof topic, "revos.raw.%s", source);
    revos_raw_meta meta = {topic, source, TEST_PARTITION, TEST_OFFSET, NULL, 0};
    parsed p;
    memset(&p, 0, sizeof p);
    p.events = json_array();
    p.ignored = -1;
    p.st = revos_ingest_parse(mapping, &meta, payload, len, p.events, &p.ignored, &p.err);
    return p;
}

static inline parsed parse_fixture(const json_t *mapping, const char *source, const char *name)
{
    size_t len;
    char *text = fixture_read(source, name, &len);
    parsed p = parse_bytes(mapping, source, text, len);
    free(text);
    return p;
}

/* Serializes doc and parses it; takes the reference to doc. */
static inline parsed parse_json(const json_t *mapping, const char *source, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    ck_assert_ptr_nonnull(text);
    parsed p = parse_bytes(mapping, source, text, strlen(text));
    free(text);
    json_decref(doc);
    return p;
}

static inline void parsed_free(parsed *p)
{
    json_decref(p->events);
    p->events = NULL;
}

/* The object at a dotted path ("data.payload.ChangeEventHeader"). */
static inline json_t *jpath(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *node = root;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part != NULL;
         part = strtok_r(NULL, ".", &save)) {
        node = json_object_get(node, part);
        ck_assert_msg(node != NULL, "no %s in test document", path);
    }
    return node;
}

static inline void expect_ok(const parsed *p, size_t n_events)
{
    ck_assert_msg(p->st == REVOS_OK, "status %d: [%s] %s", p->st, p->err.cls, p->err.msg);
    ck_assert_uint_eq(json_array_size(p->events), n_events);
    ck_assert_int_eq(p->ignored, n_events == 0);
}

static inline void expect_reject(const parsed *p, const char *cls, const char *msg)
{
    ck_assert_msg(p->st == REVOS_ERR_INPUT, "status %d, expected input error [%s] %s", p->st, cls,
                  msg ? msg : "(any message)");
    ck_assert_str_eq(p->err.cls, cls);
    if (msg != NULL)
        ck_assert_str_eq(p->err.msg, msg);
    ck_assert_uint_eq(json_array_size(p->events), 0);
}

static inline const json_t *event_at(const parsed *p, size_t i)
{
    const json_t *event = json_array_get(p->events, i);
    ck_assert_ptr_nonnull(event);
    return event;
}

static inline const char *str_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

/* The SourceEvent's scalar fields, exactly; the schema's ten keys and no other. */
static inline void expect_event(const json_t *event, const char *event_id, const char *source,
                                const char *kind, const char *action, int64_t occurred_at)
{
    ck_assert_uint_eq(json_object_size(event), 10);
    ck_assert_str_eq(str_of(event, "event_id"), event_id);
    ck_assert_str_eq(str_of(event, "source"), source);
    ck_assert_str_eq(str_of(event, "kind"), kind);
    ck_assert_str_eq(str_of(event, "action"), action);
    const json_t *at = json_object_get(event, "occurred_at");
    ck_assert(json_is_integer(at));
    ck_assert_int_eq(json_integer_value(at), occurred_at);
    char topic[64];
    snprintf(topic, sizeof topic, "revos.raw.%s", source);
    ck_assert_str_eq(str_of(event, "raw_topic"), topic);
    ck_assert_int_eq(json_integer_value(json_object_get(event, "raw_partition")), TEST_PARTITION);
    ck_assert_int_eq(json_integer_value(json_object_get(event, "raw_offset")), TEST_OFFSET);
}

/* obj (ids or attributes) holds exactly the given key/value pairs
 * (NULL-terminated list of alternating keys and values). */
static inline void expect_map_v(const json_t *event, const char *which, va_list ap)
{
    const json_t *obj = json_object_get(event, which);
    ck_assert_msg(json_is_object(obj), "%s is not an object", which);
    size_t n = 0;
    for (const char *key = va_arg(ap, const char *); key != NULL; key = va_arg(ap, const char *)) {
        const char *want = va_arg(ap, const char *);
        const json_t *got = json_object_get(obj, key);
        char *dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_msg(json_is_string(got), "%s.%s missing in %s", which, key, dump);
        ck_assert_msg(strcmp(json_string_value(got), want) == 0, "%s.%s = \"%s\", want \"%s\"",
                      which, key, json_string_value(got), want);
        free(dump);
        n++;
    }
    char *dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_msg(json_object_size(obj) == n, "%s has %zu keys, want %zu: %s", which,
                  json_object_size(obj), n, dump);
    free(dump);
}

static inline void expect_ids(const json_t *event, ...)
{
    va_list ap;
    va_start(ap, event);
    expect_map_v(event, "ids", ap);
    va_end(ap);
}

static inline void expect_attrs(const json_t *event, ...)
{
    va_list ap;
    va_start(ap, event);
    expect_map_v(event, "attributes", ap);
    va_end(ap);
}

/* Runs a suite; the exit status of a test program. */
static inline int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
