/* test_outcome_validate.c -- specification of what an Outcome may say
 * (workers/outcome/outcome_validate.h): every valid result, and the exact
 * refusal of invalid ones such as "done". */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outcome/outcome_validate.h"

static json_t *outcome(const char *kind, const char *result)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "outcome_id", "o-1",
                     "kind", kind, "result", result, "account_id", "acct-1", "play_id", "p-1",
                     "task_id", "t-1", "page_id", "pg-1", "actor", "revosctl", "occurred_at",
                     (json_int_t)1787994000000LL, "note", "");
}

static void assert_refused(json_t *o, const char *message)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_outcome_validate(o, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "validation");
    ck_assert_str_eq(err.msg, message);
    json_decref(o);
}

static void assert_accepted(json_t *o)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outcome_validate(o, &err) == REVOS_OK, "%s", err.msg);
    json_decref(o);
}

START_TEST(every_result_is_valid_for_play_and_task)
{
    const char *results[] = {"renewed", "churned", "expanded", "lost", "reassigned", "blocked"};
    for (size_t i = 0; i < 6; i++) {
        assert_accepted(outcome("play", results[i]));
        assert_accepted(outcome("task", results[i]));
    }
}
END_TEST

START_TEST(acknowledged_is_valid_for_ack)
{
    assert_accepted(outcome("ack", "acknowledged"));
}
END_TEST

START_TEST(crm_renewal_accepts_saves_and_losses)
{
    const char *results[] = {"renewed", "churned", "expanded", "lost"};
    for (size_t i = 0; i < 4; i++)
        assert_accepted(outcome("crm_renewal", results[i]));
}
END_TEST

START_TEST(done_is_refused_with_the_valid_results)
{
    assert_refused(outcome("play", "done"),
                   "outcome result 'done' is not valid: expected one of renewed, churned, "
                   "expanded, lost, reassigned, blocked");
}
END_TEST

START_TEST(done_is_refused_for_tasks_too)
{
    assert_refused(outcome("task", "done"),
                   "outcome result 'done' is not valid: expected one of renewed, churned, "
                   "expanded, lost, reassigned, blocked");
}
END_TEST

START_TEST(results_are_case_sensitive)
{
    assert_refused(outcome("play", "Renewed"),
                   "outcome result 'Renewed' is not valid: expected one of renewed, churned, "
                   "expanded, lost, reassigned, blocked");
}
END_TEST

START_TEST(empty_or_missing_result_is_refused)
{
    assert_refused(outcome("play", ""),
                   "outcome result '' is not valid: expected one of renewed, churned, expanded, "
                   "lost, reassigned, blocked");
    json_t *o = outcome("play", "renewed");
    json_object_del(o, "result");
    assert_refused(o, "outcome result '' is not valid: expected one of renewed, churned, "
                      "expanded, lost, reassigned, blocked");
}
END_TEST

START_TEST(acknowledged_is_only_for_acks)
{
    assert_refused(outcome("play", "acknowledged"),
                   "outcome result 'acknowledged' is only valid for kind ack: expected one of "
                   "renewed, churned, expanded, lost, reassigned, blocked");
}
END_TEST

START_TEST(ack_refuses_other_results)
{
    assert_refused(outcome("ack", "renewed"),
                   "outcome result 'renewed' is not valid for kind ack: expected acknowledged");
}
END_TEST

START_TEST(crm_renewal_refuses_reassigned_and_blocked)
{
    assert_refused(outcome("crm_renewal", "blocked"),
                   "outcome result 'blocked' is not valid for kind crm_renewal: expected one of "
                   "renewed, churned, expanded, lost");
}
END_TEST

START_TEST(unknown_kind_is_refused)
{
    assert_refused(outcome("rumour", "renewed"),
                   "outcome kind 'rumour' is not valid: expected one of ack, play, task, "
                   "crm_renewal");
}
END_TEST

START_TEST(each_kind_needs_its_subject)
{
    struct { const char *kind, *result, *field, *message; } rows[] = {
        {"ack", "acknowledged", "page_id", "outcome of kind ack needs a page_id"},
        {"play", "renewed", "play_id", "outcome of kind play needs a play_id"},
        {"task", "blocked", "task_id", "outcome of kind task needs a task_id"},
        {"crm_renewal", "churned", "account_id", "outcome of kind crm_renewal needs an account_id"},
    };
    for (size_t i = 0; i < 4; i++) {
        json_t *o = outcome(rows[i].kind, rows[i].result);
        json_object_set_new(o, rows[i].field, json_null());
        assert_refused(o, rows[i].message);
    }
}
END_TEST

START_TEST(outcome_id_actor_and_time_are_required)
{
    json_t *o = outcome("play", "renewed");
    json_object_set_new(o, "outcome_id", json_string(""));
    assert_refused(o, "outcome lacks an outcome_id");
    o = outcome("play", "renewed");
    json_object_del(o, "actor");
    assert_refused(o, "outcome lacks an actor");
    o = outcome("play", "renewed");
    json_object_set_new(o, "occurred_at", json_string("yesterday"));
    assert_refused(o, "outcome lacks occurred_at (epoch milliseconds)");
}
END_TEST

START_TEST(non_object_is_refused)
{
    assert_refused(json_string("renewed"), "outcome is not a record");
}
END_TEST

START_TEST(saves_and_losses_are_classified)
{
    ck_assert_int_eq(revos_outcome_is_save("renewed"), 1);
    ck_assert_int_eq(revos_outcome_is_save("expanded"), 1);
    ck_assert_int_eq(revos_outcome_is_save("churned"), 0);
    ck_assert_int_eq(revos_outcome_is_loss("churned"), 1);
    ck_assert_int_eq(revos_outcome_is_loss("lost"), 1);
    ck_assert_int_eq(revos_outcome_is_loss("renewed"), 0);
    ck_assert_int_eq(revos_outcome_is_save("reassigned") + revos_outcome_is_loss("reassigned"), 0);
    ck_assert_int_eq(revos_outcome_is_save("blocked") + revos_outcome_is_loss("blocked"), 0);
    ck_assert_int_eq(revos_outcome_is_save(NULL) + revos_outcome_is_loss(NULL), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outcome_validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, every_result_is_valid_for_play_and_task);
    tcase_add_test(tc, acknowledged_is_valid_for_ack);
    tcase_add_test(tc, crm_renewal_accepts_saves_and_losses);
    tcase_add_test(tc, done_is_refused_with_the_valid_results);
    tcase_add_test(tc, done_is_refused_for_tasks_too);
    tcase_add_test(tc, results_are_case_sensitive);
    tcase_add_test(tc, empty_or_missing_result_is_refused);
    tcase_add_test(tc, acknowledged_is_only_for_acks);
    tcase_add_test(tc, ack_refuses_other_results);
    tcase_add_test(tc, crm_renewal_refuses_reassigned_and_blocked);
    tcase_add_test(tc, unknown_kind_is_refused);
    tcase_add_test(tc, each_kind_needs_its_subject);
    tcase_add_test(tc, outcome_id_actor_and_time_are_required);
    tcase_add_test(tc, non_object_is_refused);
    tcase_add_test(tc, saves_and_losses_are_classified);
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
