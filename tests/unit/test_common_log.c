/* test_common_log.c -- specification of the JSON-lines log
 * (common/log/log.h) and of the error values (common/core/status.h).
 *
 * Log lines are captured by pointing file descriptor 2 at a temporary file
 * for the duration of one call, then parsed back with jansson: every line
 * must be exactly one JSON object with ts, level, worker and msg, and no
 * secret may survive revos_log_redact_dsn. */
#include "core/status.h"
#include "log/log.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ==== Capturing stderr ==== */

typedef struct capture {
    FILE *file;
    int saved_fd;
} capture;

static void capture_start(capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    ck_assert_ptr_nonnull(c->file);
    c->saved_fd = dup(STDERR_FILENO);
    ck_assert_int_ge(c->saved_fd, 0);
    ck_assert_int_ge(dup2(fileno(c->file), STDERR_FILENO), 0);
}

/* Restores stderr and returns everything written meanwhile (malloc'd). */
static char *capture_end(capture *c)
{
    fflush(stderr);
    ck_assert_int_ge(dup2(c->saved_fd, STDERR_FILENO), 0);
    close(c->saved_fd);
    long size = ftell(c->file);
    ck_assert_int_ge(size, 0);
    rewind(c->file);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, c->file), (size_t)size);
    fclose(c->file);
    return text;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++)
        if (*p == '\n')
            n++;
    return n;
}

/* Parses text as exactly one line holding one JSON object. */
static json_t *parse_one_line(const char *text)
{
    ck_assert_uint_eq(count_lines(text), 1);
    size_t len = strlen(text);
    ck_assert_uint_gt(len, 1);
    ck_assert_int_eq(text[len - 1], '\n');
    json_error_t jerr;
    json_t *line = json_loadb(text, len - 1, 0, &jerr);
    ck_assert_msg(line != NULL, "not JSON (%s): %s", jerr.text, text);
    ck_assert_msg(json_is_object(line), "not an object: %s", text);
    return line;
}

static json_t *log_and_parse(revos_log_level level, const char *msg)
{
    capture c;
    capture_start(&c);
    revos_log(level, "%s", msg);
    char *text = capture_end(&c);
    json_t *line = parse_one_line(text);
    free(text);
    return line;
}

static const char *field(const json_t *line, const char *name)
{
    const char *value = json_string_value(json_object_get(line, name));
    ck_assert_msg(value != NULL, "field %s missing or not a string", name);
    return value;
}

static void setup(void)
{
    revos_log_init("revos-test", REVOS_LOG_DEBUG);
}

/* ==== Log lines ==== */

START_TEST(log_line_is_one_json_object_with_ts_level_worker_msg)
{
    json_t *line = log_and_parse(REVOS_LOG_INFO, "consumer started");
    ck_assert_str_eq(field(line, "level"), "info");
    ck_assert_str_eq(field(line, "worker"), "revos-test");
    ck_assert_str_eq(field(line, "msg"), "consumer started");
    ck_assert_uint_eq(json_object_size(line), 4);
    json_decref(line);
}
END_TEST

START_TEST(log_timestamp_is_utc_iso8601_with_milliseconds)
{
    json_t *line = log_and_parse(REVOS_LOG_WARN, "x");
    const char *ts = field(line, "ts");
    int y, mo, d, h, mi, s, ms;
    char z = 0;
    ck_assert_uint_eq(strlen(ts), 24);
    ck_assert_int_eq(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z), 8);
    ck_assert_int_eq(z, 'Z');
    ck_assert_int_ge(y, 2024);
    ck_assert(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60);
    json_decref(line);
}
END_TEST

START_TEST(log_level_names_are_debug_info_warn_error)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int level = REVOS_LOG_DEBUG; level <= REVOS_LOG_ERROR; level++) {
        json_t *line = log_and_parse((revos_log_level)level, "m");
        ck_assert_str_eq(field(line, "level"), names[level]);
        json_decref(line);
    }
}
END_TEST

START_TEST(log_below_the_minimum_level_writes_nothing)
{
    revos_log_init("revos-test", REVOS_LOG_WARN);
    capture c;
    capture_start(&c);
    revos_log_debug("hidden %d", 1);
    revos_log_info("hidden %d", 2);
    char *text = capture_end(&c);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

START_TEST(log_at_or_above_the_minimum_level_is_written)
{
    revos_log_init("revos-test", REVOS_LOG_WARN);
    capture c;
    capture_start(&c);
    revos_log_warn("shown %d", 1);
    revos_log_error("shown %d", 2);
    char *text = capture_end(&c);
    ck_assert_uint_eq(count_lines(text), 2);
    ck_assert_ptr_nonnull(strstr(text, "\"shown 1\""));
    ck_assert_ptr_nonnull(strstr(text, "\"shown 2\""));
    free(text);
}
END_TEST

START_TEST(log_formats_printf_arguments)
{
    capture c;
    capture_start(&c);
    revos_log_info("batch of %d records from %s", 42, "revos.signals");
    char *text = capture_end(&c);
    json_t *line = parse_one_line(text);
    ck_assert_str_eq(field(line, "msg"), "batch of 42 records from revos.signals");
    json_decref(line);
    free(text);
}
END_TEST

START_TEST(log_message_with_quotes_and_newlines_stays_one_line_of_valid_json)
{
    const char *nasty = "he said \"hi\"\nsecond line\r\n\ttab \\ backslash \x01 control";
    json_t *line = log_and_parse(REVOS_LOG_ERROR, nasty);
    ck_assert_str_eq(field(line, "msg"), nasty);
    json_decref(line);
}
END_TEST

START_TEST(log_message_with_utf8_round_trips)
{
    const char *text = "Überprüfung für Zoë: 35 % ↓ 🚨";
    json_t *line = log_and_parse(REVOS_LOG_INFO, text);
    ck_assert_str_eq(field(line, "msg"), text);
    json_decref(line);
}
END_TEST

START_TEST(log_worker_name_comes_from_init)
{
    revos_log_init("revos-score", REVOS_LOG_INFO);
    json_t *line = log_and_parse(REVOS_LOG_INFO, "m");
    ck_assert_str_eq(field(line, "worker"), "revos-score");
    json_decref(line);
}
END_TEST

/* A message longer than the line buffer is cut; the cut must not split a
 * UTF-8 character, or the whole line is lost. */
START_TEST(log_long_multibyte_message_is_truncated_but_keeps_its_fields)
{
    size_t n = 3000;
    char *msg = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(msg);
    /* 2-byte characters on even offsets: a 2047-byte cut ends on a lead byte */
    for (size_t i = 0; i < n; i++)
        memcpy(msg + 2 * i, "\xc3\xa9", 2); /* é */
    msg[2 * n] = '\0';
    json_t *line = log_and_parse(REVOS_LOG_WARN, msg);
    ck_assert_str_eq(field(line, "level"), "warn");
    ck_assert_str_eq(field(line, "worker"), "revos-test");
    const char *logged = field(line, "msg");
    ck_assert_uint_gt(strlen(logged), 1000);
    ck_assert_int_eq(strncmp(logged, msg, strlen(logged)), 0);
    json_decref(line);
    free(msg);
}
END_TEST

/* Messages often quote input (a dead letter's reason); bytes that are not
 * UTF-8 must not cost the line its timestamp, worker and message. */
START_TEST(log_message_with_invalid_utf8_keeps_its_fields)
{
    json_t *line = log_and_parse(REVOS_LOG_WARN, "dead letter: bad byte \xff in key");
    ck_assert_str_eq(field(line, "level"), "warn");
    ck_assert_str_eq(field(line, "worker"), "revos-test");
    field(line, "ts");
    ck_assert_ptr_nonnull(strstr(field(line, "msg"), "dead letter: bad byte "));
    json_decref(line);
}
END_TEST

/* ==== Level names ==== */

START_TEST(level_parse_accepts_the_four_names)
{
    ck_assert_int_eq(revos_log_level_parse("debug", REVOS_LOG_ERROR), REVOS_LOG_DEBUG);
    ck_assert_int_eq(revos_log_level_parse("info", REVOS_LOG_ERROR), REVOS_LOG_INFO);
    ck_assert_int_eq(revos_log_level_parse("warn", REVOS_LOG_ERROR), REVOS_LOG_WARN);
    ck_assert_int_eq(revos_log_level_parse("error", REVOS_LOG_DEBUG), REVOS_LOG_ERROR);
}
END_TEST

START_TEST(level_parse_ignores_case)
{
    ck_assert_int_eq(revos_log_level_parse("DEBUG", REVOS_LOG_ERROR), REVOS_LOG_DEBUG);
    ck_assert_int_eq(revos_log_level_parse("Warn", REVOS_LOG_ERROR), REVOS_LOG_WARN);
}
END_TEST

START_TEST(level_parse_returns_the_fallback_for_unknown_text_or_null)
{
    ck_assert_int_eq(revos_log_level_parse("verbose", REVOS_LOG_WARN), REVOS_LOG_WARN);
    ck_assert_int_eq(revos_log_level_parse("", REVOS_LOG_INFO), REVOS_LOG_INFO);
    ck_assert_int_eq(revos_log_level_parse("warning", REVOS_LOG_ERROR), REVOS_LOG_ERROR);
    ck_assert_int_eq(revos_log_level_parse(NULL, REVOS_LOG_DEBUG), REVOS_LOG_DEBUG);
}
END_TEST

/* ==== Redacting DSNs ==== */

static void assert_redacted(const char *dsn, const char *expected)
{
    char out[512];
    memset(out, 'z', sizeof out);
    revos_log_redact_dsn(dsn, out, sizeof out);
    ck_assert_str_eq(out, expected);
}

START_TEST(redact_keyword_password_is_replaced)
{
    assert_redacted("host=db port=5432 user=revos password=secret dbname=revos",
                    "host=db port=5432 user=revos password=*** dbname=revos");
}
END_TEST

START_TEST(redact_keyword_password_at_the_start_is_replaced)
{
    assert_redacted("password=secret host=db", "password=*** host=db");
}
END_TEST

START_TEST(redact_keyword_quoted_password_with_spaces_is_replaced)
{
    assert_redacted("host=db password='sec ret' user=revos", "host=db password=*** user=revos");
}
END_TEST

/* libpq: "single quotes and backslashes within the value must be escaped
 * with a backslash". No part of the password may leak. */
START_TEST(redact_keyword_quoted_password_with_escaped_quote_hides_all_of_it)
{
    char out[256];
    revos_log_redact_dsn("host=db password='it\\'sTopSecret' user=revos", out, sizeof out);
    ck_assert_msg(strstr(out, "TopSecret") == NULL, "password leaked: %s", out);
    ck_assert_str_eq(out, "host=db password=*** user=revos");
}
END_TEST

/* libpq: "spaces around the equal sign are optional". */
START_TEST(redact_keyword_password_with_spaces_around_equals_is_replaced)
{
    char out[256];
    revos_log_redact_dsn("host=db password = hunter2 user=revos", out, sizeof out);
    ck_assert_msg(strstr(out, "hunter2") == NULL, "password leaked: %s", out);
}
END_TEST

START_TEST(redact_keyword_without_password_is_unchanged)
{
    assert_redacted("host=db port=5432 dbname=revos user=revos",
                    "host=db port=5432 dbname=revos user=revos");
}
END_TEST

START_TEST(redact_keyword_passfile_is_not_a_password)
{
    assert_redacted("host=db passfile=/etc/pgpass", "host=db passfile=/etc/pgpass");
}
END_TEST

START_TEST(redact_url_password_is_replaced)
{
    assert_redacted("postgres://u:p@h/db", "postgres://u:***@h/db");
}
END_TEST

START_TEST(redact_url_long_password_with_port_and_options_is_replaced)
{
    assert_redacted("postgresql://revos:s3cr3t-Pa55@db.internal:5432/revos?sslmode=require",
                    "postgresql://revos:***@db.internal:5432/revos?sslmode=require");
}
END_TEST

START_TEST(redact_url_without_password_is_unchanged)
{
    assert_redacted("postgres://u@h/db", "postgres://u@h/db");
    assert_redacted("postgresql://h:5432/db", "postgresql://h:5432/db");
}
END_TEST

/* libpq accepts connection parameters in the URL's query string too. */
START_TEST(redact_url_password_query_parameter_is_replaced)
{
    char out[256];
    revos_log_redact_dsn("postgresql://u@h/db?sslmode=require&password=hunter2", out, sizeof out);
    ck_assert_msg(strstr(out, "hunter2") == NULL, "password leaked: %s", out);
}
END_TEST

START_TEST(redact_null_or_empty_gives_empty)
{
    assert_redacted("", "");
    char out[8] = "junk";
    revos_log_redact_dsn(NULL, out, sizeof out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(redact_truncates_to_the_buffer_and_terminates)
{
    char out[16];
    memset(out, 'z', sizeof out);
    revos_log_redact_dsn("host=db password=secret dbname=revos", out, 12);
    ck_assert_uint_eq(strlen(out), 11);
    ck_assert_str_eq(out, "host=db pas");
    ck_assert_int_eq(out[12], 'z');
    memset(out, 'z', sizeof out);
    revos_log_redact_dsn("postgres://user:pw@host/db", out, 10);
    ck_assert_str_eq(out, "postgres:");
    ck_assert_int_eq(out[10], 'z');
}
END_TEST

/* ==== Status values ==== */

START_TEST(fail_formats_the_message_and_returns_the_status)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_fail(&err, REVOS_ERR_RETRY, "broker %s down for %d s", "k1", 3),
                     REVOS_ERR_RETRY);
    ck_assert_str_eq(err.msg, "broker k1 down for 3 s");
    ck_assert_str_eq(err.cls, "");
}
END_TEST

START_TEST(fail_accepts_a_null_err)
{
    ck_assert_int_eq(revos_fail(NULL, REVOS_ERR_FATAL, "nobody listens"), REVOS_ERR_FATAL);
    ck_assert_int_eq(revos_reject(NULL, "decode", "nobody"), REVOS_ERR_INPUT);
    ck_assert_int_eq(revos_wrap(NULL, REVOS_ERR_RETRY, "ctx"), REVOS_ERR_RETRY);
}
END_TEST

START_TEST(fail_truncates_a_long_message_safely)
{
    revos_err err;
    memset(&err, 'q', sizeof err);
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    revos_fail(&err, REVOS_ERR_FATAL, "%s", big);
    ck_assert_uint_eq(strlen(err.msg), sizeof err.msg - 1);
}
END_TEST

START_TEST(reject_sets_the_class_and_returns_input)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_reject(&err, "validation", "field %s missing", "account_id"),
                     REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "validation");
    ck_assert_str_eq(err.msg, "field account_id missing");
}
END_TEST

START_TEST(reject_truncates_a_long_class)
{
    revos_err err = {{0}, {0}};
    revos_reject(&err, "a-class-name-much-longer-than-the-field", "m");
    ck_assert_uint_eq(strlen(err.cls), sizeof err.cls - 1);
    ck_assert_int_eq(strncmp(err.cls, "a-class-name-much-longer", sizeof err.cls - 1), 0);
}
END_TEST

START_TEST(wrap_prefixes_the_context_and_keeps_status_and_class)
{
    revos_err err = {{0}, {0}};
    revos_reject(&err, "decode", "bad magic byte");
    ck_assert_int_eq(revos_wrap(&err, REVOS_ERR_INPUT, "Signal"), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "Signal: bad magic byte");
    ck_assert_str_eq(err.cls, "decode");
}
END_TEST

START_TEST(wrap_twice_nests_the_contexts)
{
    revos_err err = {{0}, {0}};
    revos_fail(&err, REVOS_ERR_RETRY, "timeout");
    revos_wrap(&err, REVOS_ERR_RETRY, "relay");
    revos_wrap(&err, REVOS_ERR_RETRY, "worker");
    ck_assert_str_eq(err.msg, "worker: relay: timeout");
}
END_TEST

START_TEST(wrap_of_a_full_message_truncates_at_511_bytes)
{
    revos_err err;
    memset(&err, 0, sizeof err);
    memset(err.msg, 'm', sizeof err.msg - 1); /* 511 bytes, the longest message */
    err.msg[sizeof err.msg - 1] = '\0';
    char cls_before[sizeof err.cls];
    memcpy(cls_before, err.cls, sizeof cls_before);
    revos_wrap(&err, REVOS_ERR_FATAL, "context");
    ck_assert_uint_eq(strlen(err.msg), 511);
    ck_assert_int_eq(strncmp(err.msg, "context: mmm", 12), 0);
    for (size_t i = 9; i < 511; i++)
        ck_assert_int_eq(err.msg[i], 'm');
    ck_assert_int_eq(memcmp(err.cls, cls_before, sizeof cls_before), 0);
}
END_TEST

START_TEST(wrap_with_a_context_longer_than_the_message_buffer_stays_terminated)
{
    revos_err err = {{0}, {0}};
    revos_fail(&err, REVOS_ERR_FATAL, "tail");
    char context[700];
    memset(context, 'c', sizeof context - 1);
    context[sizeof context - 1] = '\0';
    revos_wrap(&err, REVOS_ERR_FATAL, context);
    ck_assert_uint_eq(strlen(err.msg), 511);
    ck_assert_int_eq(err.msg[510], 'c');
}
END_TEST

START_TEST(wrap_with_context_filling_the_buffer_exactly_drops_the_tail)
{
    revos_err err = {{0}, {0}};
    revos_fail(&err, REVOS_ERR_FATAL, "tail");
    char context[510]; /* 509 chars + ": " = 511 */
    memset(context, 'c', sizeof context - 1);
    context[sizeof context - 1] = '\0';
    revos_wrap(&err, REVOS_ERR_FATAL, context);
    ck_assert_uint_eq(strlen(err.msg), 511);
    ck_assert_int_eq(err.msg[509], ':');
    ck_assert_int_eq(err.msg[510], ' ');
}
END_TEST

START_TEST(status_names_are_stable)
{
    ck_assert_str_eq(revos_status_name(REVOS_OK), "ok");
    ck_assert_str_eq(revos_status_name(REVOS_ERR_INPUT), "input");
    ck_assert_str_eq(revos_status_name(REVOS_ERR_RETRY), "retriable");
    ck_assert_str_eq(revos_status_name(REVOS_ERR_FATAL), "fatal");
    ck_assert_str_eq(revos_status_name((revos_status)42), "unknown");
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");

    TCase *lines = tcase_create("lines");
    tcase_add_checked_fixture(lines, setup, NULL);
    tcase_add_test(lines, log_line_is_one_json_object_with_ts_level_worker_msg);
    tcase_add_test(lines, log_timestamp_is_utc_iso8601_with_milliseconds);
    tcase_add_test(lines, log_level_names_are_debug_info_warn_error);
    tcase_add_test(lines, log_below_the_minimum_level_writes_nothing);
    tcase_add_test(lines, log_at_or_above_the_minimum_level_is_written);
    tcase_add_test(lines, log_formats_printf_arguments);
    tcase_add_test(lines, log_message_with_quotes_and_newlines_stays_one_line_of_valid_json);
    tcase_add_test(lines, log_message_with_utf8_round_trips);
    tcase_add_test(lines, log_worker_name_comes_from_init);
    tcase_add_test(lines, log_long_multibyte_message_is_truncated_but_keeps_its_fields);
    tcase_add_test(lines, log_message_with_invalid_utf8_keeps_its_fields);
    suite_add_tcase(s, lines);

    TCase *levels = tcase_create("levels");
    tcase_add_test(levels, level_parse_accepts_the_four_names);
    tcase_add_test(levels, level_parse_ignores_case);
    tcase_add_test(levels, level_parse_returns_the_fallback_for_unknown_text_or_null);
    suite_add_tcase(s, levels);

    TCase *redact = tcase_create("redact");
    tcase_add_test(redact, redact_keyword_password_is_replaced);
    tcase_add_test(redact, redact_keyword_password_at_the_start_is_replaced);
    tcase_add_test(redact, redact_keyword_quoted_password_with_spaces_is_replaced);
    tcase_add_test(redact, redact_keyword_quoted_password_with_escaped_quote_hides_all_of_it);
    tcase_add_test(redact, redact_keyword_password_with_spaces_around_equals_is_replaced);
    tcase_add_test(redact, redact_keyword_without_password_is_unchanged);
    tcase_add_test(redact, redact_keyword_passfile_is_not_a_password);
    tcase_add_test(redact, redact_url_password_is_replaced);
    tcase_add_test(redact, redact_url_long_password_with_port_and_options_is_replaced);
    tcase_add_test(redact, redact_url_without_password_is_unchanged);
    tcase_add_test(redact, redact_url_password_query_parameter_is_replaced);
    tcase_add_test(redact, redact_null_or_empty_gives_empty);
    tcase_add_test(redact, redact_truncates_to_the_buffer_and_terminates);
    suite_add_tcase(s, redact);

    TCase *status = tcase_create("status");
    tcase_add_test(status, fail_formats_the_message_and_returns_the_status);
    tcase_add_test(status, fail_accepts_a_null_err);
    tcase_add_test(status, fail_truncates_a_long_message_safely);
    tcase_add_test(status, reject_sets_the_class_and_returns_input);
    tcase_add_test(status, reject_truncates_a_long_class);
    tcase_add_test(status, wrap_prefixes_the_context_and_keeps_status_and_class);
    tcase_add_test(status, wrap_twice_nests_the_contexts);
    tcase_add_test(status, wrap_of_a_full_message_truncates_at_511_bytes);
    tcase_add_test(status, wrap_with_a_context_longer_than_the_message_buffer_stays_terminated);
    tcase_add_test(status, wrap_with_context_filling_the_buffer_exactly_drops_the_tail);
    tcase_add_test(status, status_names_are_stable);
    suite_add_tcase(s, status);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
