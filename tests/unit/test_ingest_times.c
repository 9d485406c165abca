/* test_ingest_times.c -- specification of revos_ingest_check_times and
 * REVOS_MAX_FUTURE_SKEW (workers/ingest/ingest.h): an event time must lie
 * between 2000-01-01 and the wall clock plus the allowed future skew, or
 * the raw record is dead-lettered with the reason. "Now" is fixed here at
 * 2026-12-01T00:00:00Z so every case is exact. */
#include "test_ingest_support.h"

#include "config/settings.h"
#include "ingest/ingest_worker.h"

#define NOW INT64_C(1796083200000) /* 2026-12-01T00:00:00Z */
#define HOUR INT64_C(3600000)

static json_t *events_at(int64_t occurred_at)
{
    return json_pack("[{s:s, s:I}]", "event_id", "e-1", "occurred_at", (json_int_t)occurred_at);
}

static revos_status check(int64_t occurred_at, revos_err *err)
{
    json_t *events = events_at(occurred_at);
    revos_status st = revos_ingest_check_times(events, NOW, HOUR, err);
    json_decref(events);
    return st;
}

START_TEST(an_event_time_within_the_skew_is_accepted)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(check(NOW + HOUR - 1, &err), REVOS_OK);
    ck_assert_int_eq(check(NOW - 365 * 24 * HOUR, &err), REVOS_OK);
}
END_TEST

START_TEST(an_event_time_past_the_skew_is_rejected_naming_date_and_setting)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(check(NOW + HOUR + 1, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "validation");
    ck_assert_ptr_nonnull(strstr(err.msg, "event e-1: event time 2026-12-01"));
    ck_assert_ptr_nonnull(strstr(err.msg, "more than 3600 s ahead of the wall clock"));
    ck_assert_ptr_nonnull(strstr(err.msg, "REVOS_MAX_FUTURE_SKEW"));
}
END_TEST

START_TEST(an_event_time_before_2000_is_rejected)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(check(REVOS_INGEST_MIN_EVENT_MS - 1, &err), REVOS_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "1999-12-31"));
    ck_assert_ptr_nonnull(strstr(err.msg, "before 2000-01-01"));
    ck_assert_int_eq(check(REVOS_INGEST_MIN_EVENT_MS, &err), REVOS_OK);
}
END_TEST

START_TEST(a_seconds_value_for_the_year_99999_read_as_milliseconds_is_rejected)
{
    /* Delighted sends seconds; 99999-01-01 in seconds is above 1e11, so it
     * is read as milliseconds: 2068. The bound catches it. */
    json_t *doc = fixture_json("nps", "delighted_response_created.json");
    json_object_set_new(jpath(doc, "event_data"), "created_at", json_integer(3093527980800));
    json_object_set_new(jpath(doc, "event_data"), "updated_at", json_integer(3093527980800));
    parsed p = parse_json(NULL, "nps", doc);
    expect_ok(&p, 1);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_ingest_check_times(p.events, NOW, HOUR, &err), REVOS_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "event time 2068-"));
    parsed_free(&p);
}
END_TEST

START_TEST(the_first_implausible_event_of_a_record_rejects_it_whole)
{
    json_t *events = json_pack("[{s:s, s:I}, {s:s, s:I}]", "event_id", "ok", "occurred_at",
                               (json_int_t)NOW, "event_id", "late", "occurred_at",
                               (json_int_t)(NOW + 48 * HOUR));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_ingest_check_times(events, NOW, HOUR, &err), REVOS_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "event late:"));
    json_decref(events);
}
END_TEST

/* ==== REVOS_MAX_FUTURE_SKEW ==== */

static revos_status init_with(const char *value, int64_t *max_future_ms, revos_err *err)
{
    revos_settings settings;
    memset(&settings, 0, sizeof settings);
    if (value != NULL)
        setenv("REVOS_MAX_FUTURE_SKEW", value, 1);
    else
        unsetenv("REVOS_MAX_FUTURE_SKEW");
    void *state = NULL;
    revos_status st = revos_ingest_init(&state, &settings, err);
    if (st == REVOS_OK)
        *max_future_ms = ((revos_ingest_state *)state)->max_future_ms;
    revos_ingest_fini(state);
    unsetenv("REVOS_MAX_FUTURE_SKEW");
    return st;
}

START_TEST(the_future_skew_defaults_to_one_hour)
{
    int64_t ms = -1;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(init_with(NULL, &ms, &err), REVOS_OK);
    ck_assert_int_eq(ms, HOUR);
}
END_TEST

START_TEST(the_future_skew_is_configured_in_seconds)
{
    int64_t ms = -1;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(init_with("86400", &ms, &err), REVOS_OK);
    ck_assert_int_eq(ms, 24 * HOUR);
}
END_TEST

START_TEST(a_malformed_future_skew_is_refused_at_start_up)
{
    int64_t ms = -1;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(init_with("1h", &ms, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "REVOS_MAX_FUTURE_SKEW"));
    ck_assert_int_eq(init_with("-5", &ms, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "outside 0..31536000"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_times");
    TCase *tc = tcase_create("bounds");
    tcase_add_test(tc, an_event_time_within_the_skew_is_accepted);
    tcase_add_test(tc, an_event_time_past_the_skew_is_rejected_naming_date_and_setting);
    tcase_add_test(tc, an_event_time_before_2000_is_rejected);
    tcase_add_test(tc, a_seconds_value_for_the_year_99999_read_as_milliseconds_is_rejected);
    tcase_add_test(tc, the_first_implausible_event_of_a_record_rejects_it_whole);
    suite_add_tcase(s, tc);
    TCase *skew = tcase_create("skew");
    tcase_add_test(skew, the_future_skew_defaults_to_one_hour);
    tcase_add_test(skew, the_future_skew_is_configured_in_seconds);
    tcase_add_test(skew, a_malformed_future_skew_is_refused_at_start_up);
    suite_add_tcase(s, skew);
    return run_suite(s);
}
