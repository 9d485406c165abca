/* test_avro_registry.c -- specification of the codec with a schema registry.
 *
 * A tiny Confluent-compatible registry runs inside the test (libmicrohttpd
 * on 127.0.0.1, ephemeral port): POST /subjects/{subject}/versions assigns
 * ids (the same schema text keeps its id), GET /schemas/ids/{id} returns the
 * text, and a mode switch makes it answer 500 or 409. The codec must frame
 * with Confluent wire format, register once per topic, learn unknown ids by
 * GET and match them by canonical form, and classify registry failures as
 * retriable or fatal without ever showing the URL's password. */
#include <check.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"

extern const struct revos_embedded_schema {
    const char *name;
    const char *json;
} revos_embedded_schemas[];

/* ==== The fake registry ==== */

enum registry_mode { REGISTRY_OK, REGISTRY_FAIL_500, REGISTRY_FAIL_409 };

#define MAX_SCHEMAS 32

static struct fake_registry {
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t lock;
    enum registry_mode mode;
    int next_id;
    struct { int id; char *text; } schemas[MAX_SCHEMAS];
    int n_schemas;
    int posts, gets;
    char last_subject[128];
    char last_content_type[128];
    char *last_post_schema;
} reg;

typedef struct upload {
    char *data;
    size_t len;
} upload;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    free(text);
    MHD_add_response_header(resp, "Content-Type", "application/vnd.schemaregistry.v1+json");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static int find_or_add_schema(const char *text)
{
    for (int i = 0; i < reg.n_schemas; i++)
        if (strcmp(reg.schemas[i].text, text) == 0)
            return reg.schemas[i].id;
    ck_assert_int_lt(reg.n_schemas, MAX_SCHEMAS);
    reg.schemas[reg.n_schemas].id = reg.next_id++;
    reg.schemas[reg.n_schemas].text = strdup(text);
    return reg.schemas[reg.n_schemas++].id;
}

static void seed_schema(int id, const char *text)
{
    pthread_mutex_lock(&reg.lock);
    reg.schemas[reg.n_schemas].id = id;
    reg.schemas[reg.n_schemas].text = strdup(text);
    reg.n_schemas++;
    pthread_mutex_unlock(&reg.lock);
}

static enum MHD_Result handle_post(struct MHD_Connection *conn, const char *url, upload *up)
{
    const char *prefix = "/subjects/";
    const char *suffix = "/versions";
    size_t n = strlen(url);
    if (strncmp(url, prefix, strlen(prefix)) != 0 || n < strlen(prefix) + strlen(suffix) ||
        strcmp(url + n - strlen(suffix), suffix) != 0)
        return reply(conn, 404, json_pack("{s:i,s:s}", "error_code", 404, "message", "no route"));
    if (reg.mode == REGISTRY_FAIL_500)
        return reply(conn, 500, json_pack("{s:i,s:s}", "error_code", 50001, "message",
                                          "Error in the backend data store"));
    if (reg.mode == REGISTRY_FAIL_409)
        return reply(conn, 409, json_pack("{s:i,s:s}", "error_code", 409, "message",
                                          "Schema being registered is incompatible with an "
                                          "earlier schema"));
    snprintf(reg.last_subject, sizeof reg.last_subject, "%.*s",
             (int)(n - strlen(prefix) - strlen(suffix)), url + strlen(prefix));
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    snprintf(reg.last_content_type, sizeof reg.last_content_type, "%s", ct ? ct : "");
    json_t *body = json_loadb(up->data ? up->data : "", up->len, 0, NULL);
    const char *schema = json_string_value(json_object_get(body, "schema"));
    if (schema == NULL) {
        json_decref(body);
        return reply(conn, 422, json_pack("{s:i,s:s}", "error_code", 42201, "message",
                                          "Input schema is an invalid Avro schema"));
    }
    reg.posts++;
    free(reg.last_post_schema);
    reg.last_post_schema = strdup(schema);
    int id = find_or_add_schema(schema);
    json_decref(body);
    return reply(conn, 200, json_pack("{s:i}", "id", id));
}

static enum MHD_Result handle_get(struct MHD_Connection *conn, const char *url)
{
    int id;
    char tail;
    if (sscanf(url, "/schemas/ids/%d%c", &id, &tail) != 1)
        return reply(conn, 404, json_pack("{s:i,s:s}", "error_code", 404, "message", "no route"));
    reg.gets++;
    for (int i = 0; i < reg.n_schemas; i++)
        if (reg.schemas[i].id == id)
            return reply(conn, 200, json_pack("{s:s}", "schema", reg.schemas[i].text));
    return reply(conn, 404, json_pack("{s:i,s:s}", "error_code", 40403, "message",
                                      "Schema not found"));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)version;
    upload *up = *con_cls;
    if (up == NULL) {
        *con_cls = calloc(1, sizeof(upload));
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        up->data = realloc(up->data, up->len + *upload_data_size + 1);
        memcpy(up->data + up->len, upload_data, *upload_data_size);
        up->len += *upload_data_size;
        up->data[up->len] = '\0';
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&reg.lock);
    enum MHD_Result r = strcmp(method, "POST") == 0 ? handle_post(conn, url, up)
                                                     : handle_get(conn, url);
    pthread_mutex_unlock(&reg.lock);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    upload *up = *con_cls;
    if (up != NULL) {
        free(up->data);
        free(up);
        *con_cls = NULL;
    }
}

static void registry_start(void)
{
    memset(&reg, 0, sizeof reg);
    pthread_mutex_init(&reg.lock, NULL);
    reg.next_id = 101;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    reg.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request,
                                  NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                  MHD_OPTION_END);
    ck_assert_ptr_nonnull(reg.daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(reg.daemon, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    reg.port = info->port;
    ck_assert_uint_gt(reg.port, 0);
}

static void registry_stop(void)
{
    if (reg.daemon != NULL)
        MHD_stop_daemon(reg.daemon);
    reg.daemon = NULL;
    for (int i = 0; i < reg.n_schemas; i++)
        free(reg.schemas[i].text);
    free(reg.last_post_schema);
    reg.last_post_schema = NULL;
    reg.n_schemas = 0;
    pthread_mutex_destroy(&reg.lock);
}

static void set_mode(enum registry_mode mode)
{
    pthread_mutex_lock(&reg.lock);
    reg.mode = mode;
    pthread_mutex_unlock(&reg.lock);
}

static int counter(const int *which)
{
    pthread_mutex_lock(&reg.lock);
    int v = *which;
    pthread_mutex_unlock(&reg.lock);
    return v;
}

/* ==== Helpers ==== */

static revos_avro *codec;

static void setup(void)
{
    registry_start();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", reg.port);
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&codec, url, &err), REVOS_OK);
}

static void teardown(void)
{
    revos_avro_close(codec);
    codec = NULL;
    registry_stop();
}

static const char *SIGNAL =
    "{\"signal_id\": \"sig-zd-35436\", \"account_id\": \"acc-42\", \"family\": \"risk\","
    " \"type\": \"ticket_opened\", \"severity\": \"critical\", \"occurred_at\": 1700000000123,"
    " \"value\": null, \"attributes\": {\"csm\": \"u-csm-7\", \"priority\": \"high\"},"
    " \"evidence\": \"Zendesk ticket 35436 opened (priority high)\","
    " \"source_event_id\": \"zendesk:35436\", \"source\": \"zendesk\","
    " \"source_topic\": \"revos.raw.zendesk\", \"source_partition\": 2,"
    " \"source_offset\": 4411}";

static const char *OUTCOME =
    "{\"outcome_id\": \"out-77\", \"kind\": \"ack\", \"result\": \"acknowledged\","
    " \"account_id\": null, \"play_id\": null, \"task_id\": null, \"page_id\": \"page-17\","
    " \"actor\": \"u-csm-7\", \"occurred_at\": 1700000500000, \"note\": \"on it\"}";

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

static uint8_t *encode_with(revos_avro *c, revos_record_type type, const char *topic,
                            const char *text, size_t *len)
{
    json_t *record = parse(text);
    revos_err err = {0};
    uint8_t *buf = NULL;
    ck_assert_msg(revos_avro_encode(c, type, topic, record, &buf, len, &err) == REVOS_OK,
                  "encode: %s", err.msg);
    json_decref(record);
    return buf;
}

/* The body of a record, taken from single-object encoding by a codec
 * without registry, behind a Confluent header with the given id. */
static uint8_t *confluent_frame(revos_record_type type, const char *text, uint32_t id,
                                size_t *len)
{
    revos_avro *plain;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&plain, NULL, &err), REVOS_OK);
    size_t so_len;
    uint8_t *so = encode_with(plain, type, "t", text, &so_len);
    revos_avro_close(plain);
    *len = so_len - 10 + 5;
    uint8_t *frame = malloc(*len);
    frame[0] = 0x00;
    frame[1] = (uint8_t)(id >> 24);
    frame[2] = (uint8_t)(id >> 16);
    frame[3] = (uint8_t)(id >> 8);
    frame[4] = (uint8_t)id;
    memcpy(frame + 5, so + 10, so_len - 10);
    free(so);
    return frame;
}

static uint32_t frame_id(const uint8_t *buf)
{
    return (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
}

/* The Signal schema as another producer might have registered it: docs
 * dropped, keys sorted, indented. Same canonical form, different text. */
static char *signal_schema_variant(void)
{
    json_t *schema = parse(revos_embedded_schemas[REVOS_REC_SIGNAL].json);
    json_object_del(schema, "doc");
    size_t i;
    json_t *field;
    json_array_foreach(json_object_get(schema, "fields"), i, field)
        json_object_del(field, "doc");
    char *text = json_dumps(schema, JSON_INDENT(3) | JSON_SORT_KEYS);
    json_decref(schema);
    ck_assert_str_ne(text, revos_embedded_schemas[REVOS_REC_SIGNAL].json);
    return text;
}

/* ==== Confluent framing ==== */

START_TEST(test_encode_registers_the_topic_subject_and_frames_with_its_id)
{
    size_t len;
    uint8_t *buf = encode_with(codec, REVOS_REC_SIGNAL, "revos.signals", SIGNAL, &len);
    ck_assert_uint_eq(buf[0], 0x00);
    ck_assert_uint_eq(frame_id(buf), 101);
    pthread_mutex_lock(&reg.lock);
    ck_assert_int_eq(reg.posts, 1);
    ck_assert_str_eq(reg.last_subject, "revos.signals-value");
    ck_assert_str_eq(reg.last_content_type, "application/vnd.schemaregistry.v1+json");
    ck_assert_str_eq(reg.last_post_schema, revos_embedded_schemas[REVOS_REC_SIGNAL].json);
    pthread_mutex_unlock(&reg.lock);
    free(buf);
}
END_TEST

START_TEST(test_registration_happens_once_per_topic)
{
    size_t len;
    free(encode_with(codec, REVOS_REC_SIGNAL, "revos.signals", SIGNAL, &len));
    free(encode_with(codec, REVOS_REC_SIGNAL, "revos.signals", SIGNAL, &len));
    ck_assert_int_eq(counter(&reg.posts), 1);
    uint8_t *buf = encode_with(codec, REVOS_REC_SIGNAL, "staging.signals", SIGNAL, &len);
    ck_assert_int_eq(counter(&reg.posts), 2);
    ck_assert_uint_eq(frame_id(buf), 101); /* same schema, same global id */
    free(buf);
}
END_TEST

START_TEST(test_own_confluent_record_decodes_without_asking_the_registry)
{
    size_t len;
    uint8_t *buf = encode_with(codec, REVOS_REC_OUTCOME, "revos.outcomes", OUTCOME, &len);
    revos_err err = {0};
    json_t *out = NULL;
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_OUTCOME, buf, len, &out, &err), REVOS_OK);
    json_t *want = parse(OUTCOME);
    ck_assert(json_equal(out, want));
    ck_assert_int_eq(counter(&reg.gets), 0);
    json_decref(want);
    json_decref(out);
    free(buf);
}
END_TEST

START_TEST(test_unknown_id_is_learned_by_get_and_matched_by_canonical_form)
{
    char *variant = signal_schema_variant();
    seed_schema(77, variant);
    free(variant);
    size_t len;
    uint8_t *frame = confluent_frame(REVOS_REC_SIGNAL, SIGNAL, 77, &len);
    revos_err err = {0};
    json_t *out = NULL;
    ck_assert_msg(revos_avro_decode(codec, REVOS_REC_SIGNAL, frame, len, &out, &err) == REVOS_OK,
                  "%s", err.msg);
    json_t *want = parse(SIGNAL);
    ck_assert(json_equal(out, want));
    ck_assert_int_eq(counter(&reg.gets), 1);
    json_decref(out);
    /* The id is cached: the second record does not ask again. */
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, frame, len, &out, &err), REVOS_OK);
    ck_assert_int_eq(counter(&reg.gets), 1);
    json_decref(out);
    json_decref(want);
    free(frame);
}
END_TEST

START_TEST(test_id_of_a_foreign_schema_is_rejected_and_remembered)
{
    seed_schema(78, "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":\"x\","
                    "\"type\":\"string\"}]}");
    size_t len;
    uint8_t *frame = confluent_frame(REVOS_REC_SIGNAL, SIGNAL, 78, &len);
    for (int i = 0; i < 2; i++) {
        revos_err err = {0};
        json_t *out = NULL;
        ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, frame, len, &out, &err),
                         REVOS_ERR_INPUT);
        ck_assert_ptr_null(out);
        ck_assert_str_eq(err.cls, "decode");
        ck_assert_ptr_nonnull(strstr(err.msg, "unknown schema id 78"));
    }
    ck_assert_int_eq(counter(&reg.gets), 1);
    free(frame);
}
END_TEST

START_TEST(test_id_unknown_to_the_registry_is_rejected)
{
    size_t len;
    uint8_t *frame = confluent_frame(REVOS_REC_SIGNAL, SIGNAL, 4242, &len);
    revos_err err = {0};
    json_t *out = NULL;
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, frame, len, &out, &err),
                     REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "decode");
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown schema id 4242"));
    free(frame);
}
END_TEST

START_TEST(test_learned_id_of_another_type_is_rejected_as_wrong_type)
{
    size_t len;
    uint8_t *buf = encode_with(codec, REVOS_REC_OUTCOME, "revos.outcomes", OUTCOME, &len);
    revos_err err = {0};
    json_t *out = NULL;
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, buf, len, &out, &err),
                     REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "expected Signal, got Outcome");
    free(buf);
}
END_TEST

START_TEST(test_single_object_record_still_decodes_with_a_registry)
{
    revos_avro *plain;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&plain, NULL, &err), REVOS_OK);
    size_t len;
    uint8_t *buf = encode_with(plain, REVOS_REC_SIGNAL, "t", SIGNAL, &len);
    revos_avro_close(plain);
    ck_assert_uint_eq(buf[0], 0xC3);
    json_t *out = NULL;
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, buf, len, &out, &err), REVOS_OK);
    json_t *want = parse(SIGNAL);
    ck_assert(json_equal(out, want));
    ck_assert_int_eq(counter(&reg.gets) + counter(&reg.posts), 0);
    json_decref(want);
    json_decref(out);
    free(buf);
}
END_TEST

START_TEST(test_truncated_confluent_record_is_rejected_at_every_prefix_length)
{
    size_t len;
    uint8_t *buf = encode_with(codec, REVOS_REC_SIGNAL, "revos.signals", SIGNAL, &len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *prefix = malloc(n ? n : 1);
        memcpy(prefix, buf, n);
        revos_err err = {0};
        json_t *out = NULL;
        ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_SIGNAL, prefix, n, &out, &err),
                         REVOS_ERR_INPUT);
        ck_assert_str_eq(err.cls, "decode");
        free(prefix);
    }
    ck_assert_int_eq(counter(&reg.gets), 0);
    free(buf);
}
END_TEST

/* ==== Registry failures ==== */

START_TEST(test_registry_5xx_is_retriable)
{
    set_mode(REGISTRY_FAIL_500);
    json_t *record = parse(SIGNAL);
    revos_err err = {0};
    uint8_t *buf = NULL;
    size_t len;
    ck_assert_int_eq(revos_avro_encode(codec, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_ERR_RETRY);
    ck_assert_ptr_null(buf);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 500"));
    /* Once the registry recovers the same record goes through. */
    set_mode(REGISTRY_OK);
    ck_assert_int_eq(revos_avro_encode(codec, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_OK);
    free(buf);
    json_decref(record);
}
END_TEST

START_TEST(test_registry_4xx_is_fatal_with_the_registry_message)
{
    set_mode(REGISTRY_FAIL_409);
    json_t *record = parse(SIGNAL);
    revos_err err = {0};
    uint8_t *buf = NULL;
    size_t len;
    ck_assert_int_eq(revos_avro_encode(codec, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 409"));
    ck_assert_ptr_nonnull(strstr(err.msg, "incompatible with an earlier schema"));
    json_decref(record);
}
END_TEST

START_TEST(test_invalid_record_is_rejected_before_registering)
{
    json_t *record = parse(SIGNAL);
    json_object_set_new(record, "value", json_string("high"));
    revos_err err = {0};
    uint8_t *buf = NULL;
    size_t len;
    ck_assert_int_eq(revos_avro_encode(codec, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_ERR_INPUT);
    ck_assert_int_eq(counter(&reg.posts), 0);
    json_decref(record);
}
END_TEST

/* A URL on which nothing listens: a registry started and stopped again. */
static unsigned closed_port(void)
{
    unsigned port = reg.port;
    MHD_stop_daemon(reg.daemon);
    reg.daemon = NULL;
    return port;
}

START_TEST(test_registry_down_is_retriable_on_encode)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", closed_port());
    revos_avro *down;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&down, url, &err), REVOS_OK);
    json_t *record = parse(SIGNAL);
    uint8_t *buf = NULL;
    size_t len;
    ck_assert_int_eq(revos_avro_encode(down, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_ERR_RETRY);
    ck_assert_ptr_null(buf);
    json_decref(record);
    revos_avro_close(down);
}
END_TEST

START_TEST(test_registry_down_is_retriable_on_decode_of_unknown_id)
{
    size_t len;
    uint8_t *frame = confluent_frame(REVOS_REC_SIGNAL, SIGNAL, 55, &len);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", closed_port());
    revos_avro *down;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&down, url, &err), REVOS_OK);
    json_t *out = NULL;
    ck_assert_int_eq(revos_avro_decode(down, REVOS_REC_SIGNAL, frame, len, &out, &err),
                     REVOS_ERR_RETRY);
    ck_assert_ptr_null(out);
    revos_avro_close(down);
    free(frame);
}
END_TEST

START_TEST(test_errors_never_show_the_registry_password)
{
    char url[128];
    snprintf(url, sizeof url, "http://svc-revos:s3cr3t-pw@127.0.0.1:%u", closed_port());
    revos_avro *down;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&down, url, &err), REVOS_OK);
    json_t *record = parse(SIGNAL);
    uint8_t *buf = NULL;
    size_t len;
    ck_assert_int_eq(revos_avro_encode(down, REVOS_REC_SIGNAL, "revos.signals", record, &buf,
                                       &len, &err),
                     REVOS_ERR_RETRY);
    ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
    ck_assert_ptr_nonnull(strstr(err.msg, "svc-revos:***@127.0.0.1"));
    json_decref(record);
    revos_avro_close(down);
}
END_TEST

START_TEST(test_registry_url_must_be_http)
{
    revos_avro *bad = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_avro_open(&bad, "file:///etc/passwd", &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(bad);
}
END_TEST

/* ==== Runner ==== */

static Suite *avro_registry_suite(void)
{
    Suite *s = suite_create("avro_registry");
    TCase *tc = tcase_create("confluent_framing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_encode_registers_the_topic_subject_and_frames_with_its_id);
    tcase_add_test(tc, test_registration_happens_once_per_topic);
    tcase_add_test(tc, test_own_confluent_record_decodes_without_asking_the_registry);
    tcase_add_test(tc, test_unknown_id_is_learned_by_get_and_matched_by_canonical_form);
    tcase_add_test(tc, test_id_of_a_foreign_schema_is_rejected_and_remembered);
    tcase_add_test(tc, test_id_unknown_to_the_registry_is_rejected);
    tcase_add_test(tc, test_learned_id_of_another_type_is_rejected_as_wrong_type);
    tcase_add_test(tc, test_single_object_record_still_decodes_with_a_registry);
    tcase_add_test(tc, test_truncated_confluent_record_is_rejected_at_every_prefix_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("registry_failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_registry_5xx_is_retriable);
    tcase_add_test(tc, test_registry_4xx_is_fatal_with_the_registry_message);
    tcase_add_test(tc, test_invalid_record_is_rejected_before_registering);
    tcase_add_test(tc, test_registry_down_is_retriable_on_encode);
    tcase_add_test(tc, test_registry_down_is_retriable_on_decode_of_unknown_id);
    tcase_add_test(tc, test_errors_never_show_the_registry_password);
    tcase_add_test(tc, test_registry_url_must_be_http);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* The fake registry is on loopback: keep any proxy settings out of it. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    SRunner *sr = srunner_create(avro_registry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
