/* test_http_webhook.c -- specification of the page sender
 * (common/http/webhook.h): the signature against a vector computed outside
 * this code base, the verifier's refusals, the three body shapes, and how
 * each kind of failure is classified. POSTs go to a libmicrohttpd receiver
 * started inside the test, whose answer each test chooses. */
#include "http/webhook.h"

#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECRET "whsec-test-0123456789"
#define NOW 1700000000

/* ==== The receiver ==== */

static struct {
    pthread_mutex_t lock;
    /* what to answer */
    unsigned int status;
    char answer[2048];
    int echo_body; /* answer with the request body instead */
    /* what the last request carried */
    int requests;
    char path[256];
    char body[8192];
    size_t body_len;
    char content_type[128];
    char page_id[300];
    char timestamp[64];
    char signature[128];
    int had_signature;
} rx = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct MHD_Daemon *daemon_handle;
static char target_url[256];

typedef struct upload {
    char data[8192];
    size_t len;
} upload;

static void copy_header(struct MHD_Connection *connection, const char *name, char *out,
                        size_t outlen, int *present)
{
    const char *value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
    snprintf(out, outlen, "%s", value != NULL ? value : "");
    if (present != NULL)
        *present = value != NULL;
}

static enum MHD_Result receive(void *cls, struct MHD_Connection *connection, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)method;
    (void)version;
    upload *up = *req_cls;
    if (up == NULL) {
        *req_cls = calloc(1, sizeof(upload));
        return *req_cls != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        size_t room = sizeof up->data - 1 - up->len;
        size_t take = *upload_data_size < room ? *upload_data_size : room;
        memcpy(up->data + up->len, upload_data, take);
        up->len += take;
        *upload_data_size = 0;
        return MHD_YES;
    }

    pthread_mutex_lock(&rx.lock);
    rx.requests++;
    snprintf(rx.path, sizeof rx.path, "%s", url);
    memcpy(rx.body, up->data, up->len);
    rx.body[up->len] = '\0';
    rx.body_len = up->len;
    copy_header(connection, "Content-Type", rx.content_type, sizeof rx.content_type, NULL);
    copy_header(connection, "X-Revos-Page-Id", rx.page_id, sizeof rx.page_id, NULL);
    copy_header(connection, "X-Revos-Timestamp", rx.timestamp, sizeof rx.timestamp, NULL);
    copy_header(connection, "X-Revos-Signature", rx.signature, sizeof rx.signature,
                &rx.had_signature);
    const char *text = rx.echo_body ? rx.body : rx.answer;
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    unsigned int status = rx.status;
    pthread_mutex_unlock(&rx.lock);

    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static void request_done(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

static void answer_with(unsigned int status, const char *body)
{
    pthread_mutex_lock(&rx.lock);
    rx.status = status;
    snprintf(rx.answer, sizeof rx.answer, "%s", body);
    pthread_mutex_unlock(&rx.lock);
}

static void setup(void)
{
    answer_with(200, "ok");
    rx.echo_body = 0;
    rx.requests = 0;
    daemon_handle = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, receive,
                                     NULL, MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
                                     MHD_OPTION_END);
    ck_assert_ptr_nonnull(daemon_handle);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_handle,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    snprintf(target_url, sizeof target_url, "http://127.0.0.1:%u/hooks/revos",
             (unsigned)info->port);
}

static void teardown(void)
{
    MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
}

/* ==== Helpers ==== */

static json_t *sample_page(void)
{
    json_t *page = json_pack("{s:s, s:s, s:s, s:s, s:i}", "page_id", "p-1", "summary",
                             "Renewal risk critical for Lakeside District", "severity",
                             "critical", "account_id", "acc-1", "arr_at_risk", 180000);
    ck_assert_ptr_nonnull(page);
    return page;
}

static revos_status post_to(const char *url, const char *format, const char *secret,
                            const json_t *page, revos_err *err)
{
    revos_webhook_target target = {.url = url, .secret = secret, .format = format,
                                   .connect_timeout_ms = 2000, .timeout_ms = 5000};
    return revos_webhook_post(&target, page, NOW, err);
}

static revos_status post_sample(const char *format, const char *secret, revos_err *err)
{
    json_t *page = sample_page();
    revos_status status = post_to(target_url, format, secret, page, err);
    json_decref(page);
    return status;
}

/* A port on 127.0.0.1 that is bound but not listening: connecting to it is
 * refused. The socket stays open so no one else takes the port. */
static int refusing_port(int *fd_out, int do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    if (do_listen)
        ck_assert_int_eq(listen(fd, 8), 0);
    socklen_t len = sizeof addr;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *fd_out = fd;
    return ntohs(addr.sin_port);
}

/* ==== Signature ==== */

START_TEST(sign_matches_an_independently_computed_vector)
{
    /* Expected value computed outside this code base with:
     *   python3 -c "import hmac,hashlib;print(hmac.new(b'secret',
     *     b'1700000000.{\"page_id\":\"p-1\",\"summary\":\"Renewal risk critical\"}',
     *     hashlib.sha256).hexdigest())" */
    const char *body = "{\"page_id\":\"p-1\",\"summary\":\"Renewal risk critical\"}";
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    ck_assert_int_eq(revos_webhook_sign("secret", 1700000000, body, strlen(body), signature),
                     REVOS_OK);
    ck_assert_str_eq(signature,
                     "sha256=a9f3a8ac72d6204ff4ac8ce367fa0c9873929860cbab4afc048121a3ed75f33f");
}
END_TEST

START_TEST(sign_depends_on_the_timestamp)
{
    char a[REVOS_WEBHOOK_SIGNATURE_LEN], b[REVOS_WEBHOOK_SIGNATURE_LEN];
    ck_assert_int_eq(revos_webhook_sign(SECRET, NOW, "{}", 2, a), REVOS_OK);
    ck_assert_int_eq(revos_webhook_sign(SECRET, NOW + 1, "{}", 2, b), REVOS_OK);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(sign_refuses_an_empty_secret)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    ck_assert_int_eq(revos_webhook_sign("", NOW, "{}", 2, signature), REVOS_ERR_INPUT);
    ck_assert_str_eq(signature, "");
}
END_TEST

START_TEST(verify_accepts_a_signature_made_by_sign)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{\"a\":1}", 7, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{\"a\":1}", 7, NOW, 300),
                     1);
}
END_TEST

START_TEST(verify_accepts_uppercase_hex)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    for (char *p = signature + 7; *p != '\0'; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{}", 2, NOW, 300), 1);
}
END_TEST

START_TEST(verify_rejects_a_wrong_secret)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify("another-secret", "1700000000", signature, "{}", 2, NOW,
                                          300),
                     0);
}
END_TEST

START_TEST(verify_rejects_a_tampered_body)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{\"arr\":180000}", 14, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{\"arr\":980000}", 14,
                                          NOW, 300),
                     0);
}
END_TEST

START_TEST(verify_rejects_a_stale_timestamp)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{}", 2, NOW + 301, 300),
                     0);
}
END_TEST

START_TEST(verify_rejects_a_timestamp_too_far_in_the_future)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{}", 2, NOW - 301, 300),
                     0);
}
END_TEST

START_TEST(verify_accepts_a_timestamp_exactly_at_the_skew_limit)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{}", 2, NOW + 300, 300),
                     1);
}
END_TEST

START_TEST(verify_rejects_a_timestamp_header_that_is_not_decimal)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000 ", signature, "{}", 2, NOW, 300), 0);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "+1700000000", signature, "{}", 2, NOW, 300), 0);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "", signature, "{}", 2, NOW, 300), 0);
}
END_TEST

START_TEST(verify_rejects_a_malformed_signature_header)
{
    char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
    revos_webhook_sign(SECRET, NOW, "{}", 2, signature);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature + 7, "{}", 2, NOW, 300),
                     0); /* bare hex, no "sha256=" */
    signature[70] = '\0';
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", signature, "{}", 2, NOW, 300), 0);
    ck_assert_int_eq(revos_webhook_verify(SECRET, "1700000000", NULL, "{}", 2, NOW, 300), 0);
}
END_TEST

START_TEST(verify_rejects_everything_under_an_empty_secret)
{
    ck_assert_int_eq(revos_webhook_verify("", "1700000000", "sha256=", "{}", 2, NOW, 300), 0);
}
END_TEST

/* ==== JSON (generic, signed) ==== */

START_TEST(json_post_carries_a_signature_that_verifies)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_OK);
    ck_assert_str_eq(rx.timestamp, "1700000000");
    ck_assert_int_eq(revos_webhook_verify(SECRET, rx.timestamp, rx.signature, rx.body, rx.body_len,
                                          NOW, 300),
                     1);
}
END_TEST

START_TEST(json_post_body_is_the_page)
{
    revos_err err = {0};
    json_t *page = sample_page();
    ck_assert_int_eq(post_to(target_url, "json", SECRET, page, &err), REVOS_OK);
    json_t *received = json_loads(rx.body, 0, NULL);
    ck_assert_ptr_nonnull(received);
    ck_assert(json_equal(received, page));
    json_decref(received);
    json_decref(page);
}
END_TEST

START_TEST(post_sends_the_page_id_and_content_type_headers)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_OK);
    ck_assert_str_eq(rx.page_id, "p-1");
    ck_assert_str_eq(rx.content_type, "application/json");
    ck_assert_str_eq(rx.path, "/hooks/revos");
}
END_TEST

START_TEST(null_format_means_json)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample(NULL, SECRET, &err), REVOS_OK);
    ck_assert_int_eq(rx.had_signature, 1);
}
END_TEST

START_TEST(json_target_without_a_secret_is_permanent)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("json", "", &err), REVOS_ERR_INPUT);
    ck_assert_int_eq(rx.requests, 0);
}
END_TEST

/* ==== Outcome classes ==== */

START_TEST(post_answered_202_is_ok)
{
    revos_err err = {0};
    answer_with(202, "{\"status\":\"success\"}");
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_OK);
}
END_TEST

START_TEST(post_answered_503_is_retriable_and_names_the_status)
{
    revos_err err = {0};
    answer_with(503, "down for maintenance");
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "HTTP 503") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(post_answered_429_is_retriable)
{
    revos_err err = {0};
    answer_with(429, "slow down");
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_ERR_RETRY);
}
END_TEST

START_TEST(post_answered_408_is_retriable)
{
    revos_err err = {0};
    answer_with(408, "request timeout");
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_ERR_RETRY);
}
END_TEST

START_TEST(post_answered_400_is_permanent_with_status_and_body)
{
    revos_err err = {0};
    answer_with(400, "{\"error\":\"missing field owner\"}");
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "webhook");
    ck_assert_msg(strstr(err.msg, "HTTP 400") != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "{\"error\":\"missing field owner\"}") != NULL, "message: %s",
                  err.msg);
}
END_TEST

START_TEST(rejection_message_quotes_at_most_200_bytes_of_the_body)
{
    char answer[1001];
    memset(answer, 'x', 1000);
    answer[1000] = '\0';
    revos_err err = {0};
    answer_with(422, answer);
    ck_assert_int_eq(post_sample("json", SECRET, &err), REVOS_ERR_INPUT);
    char run[202];
    memset(run, 'x', 201);
    run[201] = '\0';
    ck_assert_ptr_nonnull(strstr(err.msg, run + 1)); /* 200 x's */
    ck_assert_ptr_null(strstr(err.msg, run));        /* not 201 */
}
END_TEST

START_TEST(connection_refused_is_retriable)
{
    int fd;
    int port = refusing_port(&fd, 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
    json_t *page = sample_page();
    revos_err err = {0};
    revos_status status = post_to(url, "json", SECRET, page, &err);
    close(fd);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "curl 7") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(receiver_that_never_answers_times_out_as_retriable)
{
    int fd;
    int port = refusing_port(&fd, 1); /* listens, never accepts, never answers */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
    revos_webhook_target target = {.url = url, .secret = SECRET, .format = "json",
                                   .connect_timeout_ms = 200, .timeout_ms = 300};
    json_t *page = sample_page();
    revos_err err = {0};
    revos_status status = revos_webhook_post(&target, page, NOW, &err);
    close(fd);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "curl 28") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(unsupported_url_scheme_is_permanent)
{
    json_t *page = sample_page();
    revos_err err = {0};
    revos_status status = post_to("ftp://127.0.0.1/hook", "json", SECRET, page, &err);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_INPUT);
}
END_TEST

/* ==== Secrets and redaction ==== */

START_TEST(error_message_drops_url_userinfo_and_query)
{
    int fd;
    int port = refusing_port(&fd, 0);
    char url[256];
    snprintf(url, sizeof url, "http://alice:hunter2@127.0.0.1:%d/hook?token=tok-42#frag", port);
    json_t *page = sample_page();
    revos_err err = {0};
    revos_status status = post_to(url, "json", SECRET, page, &err);
    close(fd);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_RETRY);
    char shown[128];
    snprintf(shown, sizeof shown, "http://127.0.0.1:%d/hook", port);
    ck_assert_msg(strstr(err.msg, shown) != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "hunter2") == NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "alice") == NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "tok-42") == NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(slack_error_message_hides_the_url_path)
{
    int fd;
    int port = refusing_port(&fd, 0);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/services/T000/B000/XXXXSECRETXXXX", port);
    json_t *page = sample_page();
    revos_err err = {0};
    revos_status status = post_to(url, "slack", NULL, page, &err);
    close(fd);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "XXXXSECRETXXXX") == NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(error_message_masks_a_secret_echoed_by_the_receiver)
{
    revos_err err = {0};
    answer_with(400, "");
    rx.echo_body = 1; /* the PagerDuty body holds the routing key */
    ck_assert_int_eq(post_sample("pagerduty", "R0UTINGKEY", &err), REVOS_ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "R0UTINGKEY") == NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "**********") != NULL, "message: %s", err.msg);
}
END_TEST

/* ==== Page validation ==== */

START_TEST(unknown_format_is_permanent)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("teams", SECRET, &err), REVOS_ERR_INPUT);
    ck_assert_int_eq(revos_webhook_format_valid("teams"), 0);
    ck_assert_int_eq(rx.requests, 0);
}
END_TEST

START_TEST(page_without_page_id_is_permanent)
{
    json_t *page = sample_page();
    json_object_del(page, "page_id");
    revos_err err = {0};
    revos_status status = post_to(target_url, "json", SECRET, page, &err);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_INPUT);
    ck_assert_int_eq(rx.requests, 0);
}
END_TEST

START_TEST(page_id_with_a_line_break_is_refused_before_it_reaches_a_header)
{
    json_t *page = sample_page();
    json_object_set_new(page, "page_id", json_string("p-1\r\nX-Injected: 1"));
    revos_err err = {0};
    revos_status status = post_to(target_url, "json", SECRET, page, &err);
    json_decref(page);
    ck_assert_int_eq(status, REVOS_ERR_INPUT);
    ck_assert_int_eq(rx.requests, 0);
}
END_TEST

/* ==== Slack ==== */

START_TEST(slack_body_is_text_built_from_the_summary)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("slack", NULL, &err), REVOS_OK);
    json_t *received = json_loads(rx.body, 0, NULL);
    ck_assert_ptr_nonnull(received);
    ck_assert_int_eq(json_object_size(received), 1);
    ck_assert_str_eq(json_string_value(json_object_get(received, "text")),
                     "[critical] Renewal risk critical for Lakeside District "
                     "(account acc-1, page p-1)");
    json_decref(received);
}
END_TEST

START_TEST(slack_text_escapes_ampersand_and_angle_brackets)
{
    json_t *page = sample_page();
    json_object_set_new(page, "summary", json_string("ARR <$200K> & falling"));
    revos_webhook_target target = {.url = target_url, .format = "slack"};
    char *body = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_webhook_build_body(&target, page, &body, &err), REVOS_OK);
    ck_assert_ptr_nonnull(strstr(body, "ARR &lt;$200K&gt; &amp; falling"));
    free(body);
    json_decref(page);
}
END_TEST

START_TEST(slack_post_is_not_signed)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("slack", NULL, &err), REVOS_OK);
    ck_assert_int_eq(rx.had_signature, 0);
    ck_assert_str_eq(rx.page_id, "p-1");
}
END_TEST

/* ==== PagerDuty ==== */

START_TEST(pagerduty_body_is_an_events_v2_trigger)
{
    revos_err err = {0};
    json_t *page = sample_page();
    ck_assert_int_eq(post_to(target_url, "pagerduty", "R0UTINGKEY", page, &err), REVOS_OK);
    json_t *event = json_loads(rx.body, 0, NULL);
    ck_assert_ptr_nonnull(event);
    ck_assert_str_eq(json_string_value(json_object_get(event, "routing_key")), "R0UTINGKEY");
    ck_assert_str_eq(json_string_value(json_object_get(event, "event_action")), "trigger");
    ck_assert_str_eq(json_string_value(json_object_get(event, "dedup_key")), "p-1");
    json_t *payload = json_object_get(event, "payload");
    ck_assert_str_eq(json_string_value(json_object_get(payload, "summary")),
                     "Renewal risk critical for Lakeside District");
    ck_assert_str_eq(json_string_value(json_object_get(payload, "source")), "revos");
    ck_assert_str_eq(json_string_value(json_object_get(payload, "severity")), "critical");
    ck_assert(json_equal(json_object_get(payload, "custom_details"), page));
    json_decref(event);
    json_decref(page);
}
END_TEST

static const char *pagerduty_severity_for(const char *severity)
{
    static char out[32];
    json_t *page = sample_page();
    json_object_set_new(page, "severity", json_string(severity));
    revos_webhook_target target = {.url = target_url, .secret = "R0UTINGKEY",
                                   .format = "pagerduty"};
    char *body = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_webhook_build_body(&target, page, &body, &err), REVOS_OK);
    json_t *event = json_loads(body, 0, NULL);
    snprintf(out, sizeof out, "%s",
             json_string_value(json_object_get(json_object_get(event, "payload"), "severity")));
    json_decref(event);
    free(body);
    json_decref(page);
    return out;
}

START_TEST(pagerduty_severity_maps_onto_its_four_levels)
{
    ck_assert_str_eq(pagerduty_severity_for("critical"), "critical");
    ck_assert_str_eq(pagerduty_severity_for("high"), "error");
    ck_assert_str_eq(pagerduty_severity_for("warning"), "warning");
    ck_assert_str_eq(pagerduty_severity_for("medium"), "warning");
    ck_assert_str_eq(pagerduty_severity_for("info"), "info");
    ck_assert_str_eq(pagerduty_severity_for("low"), "info");
    ck_assert_str_eq(pagerduty_severity_for("bogus"), "error");
}
END_TEST

START_TEST(pagerduty_summary_is_cut_to_1024_bytes_on_a_character_boundary)
{
    char summary[1100];
    memset(summary, 'a', 1023);
    memcpy(summary + 1023, "\xc3\xa9tail", 6); /* "é" straddles byte 1024 */
    summary[1029] = '\0';
    json_t *page = sample_page();
    json_object_set_new(page, "summary", json_string(summary));
    revos_webhook_target target = {.url = target_url, .secret = "R0UTINGKEY",
                                   .format = "pagerduty"};
    char *body = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_webhook_build_body(&target, page, &body, &err), REVOS_OK);
    json_t *event = json_loads(body, 0, NULL);
    const char *sent = json_string_value(json_object_get(json_object_get(event, "payload"),
                                                         "summary"));
    ck_assert_uint_eq(strlen(sent), 1023);
    json_decref(event);
    free(body);
    json_decref(page);
}
END_TEST

START_TEST(pagerduty_target_without_a_routing_key_is_permanent)
{
    revos_err err = {0};
    ck_assert_int_eq(post_sample("pagerduty", NULL, &err), REVOS_ERR_INPUT);
    ck_assert_int_eq(rx.requests, 0);
}
END_TEST

static Suite *webhook_suite(void)
{
    Suite *s = suite_create("http_webhook");

    TCase *sig = tcase_create("signature");
    tcase_add_test(sig, sign_matches_an_independently_computed_vector);
    tcase_add_test(sig, sign_depends_on_the_timestamp);
    tcase_add_test(sig, sign_refuses_an_empty_secret);
    tcase_add_test(sig, verify_accepts_a_signature_made_by_sign);
    tcase_add_test(sig, verify_accepts_uppercase_hex);
    tcase_add_test(sig, verify_rejects_a_wrong_secret);
    tcase_add_test(sig, verify_rejects_a_tampered_body);
    tcase_add_test(sig, verify_rejects_a_stale_timestamp);
    tcase_add_test(sig, verify_rejects_a_timestamp_too_far_in_the_future);
    tcase_add_test(sig, verify_accepts_a_timestamp_exactly_at_the_skew_limit);
    tcase_add_test(sig, verify_rejects_a_timestamp_header_that_is_not_decimal);
    tcase_add_test(sig, verify_rejects_a_malformed_signature_header);
    tcase_add_test(sig, verify_rejects_everything_under_an_empty_secret);
    suite_add_tcase(s, sig);

    TCase *post = tcase_create("post");
    tcase_add_checked_fixture(post, setup, teardown);
    tcase_add_test(post, json_post_carries_a_signature_that_verifies);
    tcase_add_test(post, json_post_body_is_the_page);
    tcase_add_test(post, post_sends_the_page_id_and_content_type_headers);
    tcase_add_test(post, null_format_means_json);
    tcase_add_test(post, json_target_without_a_secret_is_permanent);
    tcase_add_test(post, post_answered_202_is_ok);
    tcase_add_test(post, post_answered_503_is_retriable_and_names_the_status);
    tcase_add_test(post, post_answered_429_is_retriable);
    tcase_add_test(post, post_answered_408_is_retriable);
    tcase_add_test(post, post_answered_400_is_permanent_with_status_and_body);
    tcase_add_test(post, rejection_message_quotes_at_most_200_bytes_of_the_body);
    tcase_add_test(post, connection_refused_is_retriable);
    tcase_add_test(post, receiver_that_never_answers_times_out_as_retriable);
    tcase_add_test(post, unsupported_url_scheme_is_permanent);
    tcase_add_test(post, error_message_drops_url_userinfo_and_query);
    tcase_add_test(post, slack_error_message_hides_the_url_path);
    tcase_add_test(post, error_message_masks_a_secret_echoed_by_the_receiver);
    tcase_add_test(post, unknown_format_is_permanent);
    tcase_add_test(post, page_without_page_id_is_permanent);
    tcase_add_test(post, page_id_with_a_line_break_is_refused_before_it_reaches_a_header);
    suite_add_tcase(s, post);

    TCase *slack = tcase_create("slack");
    tcase_add_checked_fixture(slack, setup, teardown);
    tcase_add_test(slack, slack_body_is_text_built_from_the_summary);
    tcase_add_test(slack, slack_text_escapes_ampersand_and_angle_brackets);
    tcase_add_test(slack, slack_post_is_not_signed);
    suite_add_tcase(s, slack);

    TCase *pd = tcase_create("pagerduty");
    tcase_add_checked_fixture(pd, setup, teardown);
    tcase_add_test(pd, pagerduty_body_is_an_events_v2_trigger);
    tcase_add_test(pd, pagerduty_severity_maps_onto_its_four_levels);
    tcase_add_test(pd, pagerduty_summary_is_cut_to_1024_bytes_on_a_character_boundary);
    tcase_add_test(pd, pagerduty_target_without_a_routing_key_is_permanent);
    suite_add_tcase(s, pd);
    return s;
}

int main(void)
{
    revos_err err = {0};
    if (revos_http_global_init(&err) != REVOS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(webhook_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    revos_http_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
