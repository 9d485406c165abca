/* test_outcome_records.c -- the ThresholdChange revos-outcome emits
 * matches schemas/ThresholdChange.avsc (real codec, round trip), and an
 * Outcome as revosctl would produce it passes validation after a round
 * trip through schemas/Outcome.avsc. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"
#include "outcome/outcome_validate.h"
#include "outcome/tuning.h"

static revos_avro *codec;

static void setup(void)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_avro_open(&codec, NULL, &err) == REVOS_OK, "%s", err.msg);
}

static void teardown(void)
{
    revos_avro_close(codec);
}

static json_t *round_trip(revos_record_type type, const json_t *record)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_avro_encode(codec, type, "revos.x", record, &bytes, &len, &err) == REVOS_OK,
                  "encode: %s", err.msg);
    json_t *back = NULL;
    ck_assert_msg(revos_avro_decode(codec, type, bytes, len, &back, &err) == REVOS_OK,
                  "decode: %s", err.msg);
    free(bytes);
    return back;
}

START_TEST(walkthrough_threshold_change_matches_its_schema)
{
    revos_tuning_rule rule;
    revos_tuning_rule_load(NULL, &rule);
    revos_tuning_result res;
    ck_assert_int_eq(revos_tuning_apply(&rule, 75.0, 1, 0, &res), 1);
    char text[512];
    revos_tuning_describe(&rule, "critical", 75.0, 1, 0, &res, text, sizeof text);
    /* in force from the start of the outcome's UTC day (2026-08-29) */
    json_t *change = revos_tuning_change(&rule, "o-1", "critical", 1787994000000LL / 86400000,
                                         75.0, &res, 1, 0, text);
    ck_assert_ptr_nonnull(change);
    json_t *back = round_trip(REVOS_REC_THRESHOLD_CHANGE, change);
    ck_assert_str_eq(json_string_value(json_object_get(back, "change_id")),
                     "renewal_risk:critical:2026-08-29");
    ck_assert_str_eq(json_string_value(json_object_get(back, "score_kind")), "renewal_risk");
    ck_assert_double_eq(json_real_value(json_object_get(back, "old_threshold")), 75.0);
    ck_assert_double_eq(json_real_value(json_object_get(back, "new_threshold")), 76.5);
    ck_assert_int_eq(json_integer_value(json_object_get(back, "saves")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(back, "losses")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(back, "occurred_at")), 1787961600000LL);
    ck_assert_str_eq(json_string_value(json_object_get(back, "outcome_id")), "o-1");
    ck_assert_str_eq(json_string_value(json_object_get(back, "rule")), text);
    json_decref(back);
    json_decref(change);
}
END_TEST

START_TEST(decoded_outcome_with_null_ids_validates)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:n, s:s, s:n, s:n, s:s, s:I, s:s}", "outcome_id",
                          "o-1", "kind", "play", "result", "renewed", "account_id", "play_id",
                          "renewal_save:acct-001:0123456789abcdef", "task_id", "page_id",
                          "actor", "revosctl", "occurred_at", (json_int_t)1787994000000LL,
                          "note", "");
    json_t *back = round_trip(REVOS_REC_OUTCOME, o);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outcome_validate(back, &err) == REVOS_OK, "%s", err.msg);
    json_decref(back);
    json_decref(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outcome_records");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, walkthrough_threshold_change_matches_its_schema);
    tcase_add_test(tc, decoded_outcome_with_null_ids_validates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
