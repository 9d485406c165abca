/* test_common_status.c -- specification of error values
 * (common/core/status.h): the class a failure returns, and messages that
 * are always valid UTF-8 however they were cut, so they can always be
 * written as JSON (a log line, a dead letter's reason). */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

/* jansson accepts exactly well-formed UTF-8. */
static int is_valid_utf8(const char *text)
{
    json_t *s = json_string(text);
    json_decref(s);
    return s != NULL;
}

START_TEST(revos_fail_returns_its_status_and_writes_the_message)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_fail(&err, REVOS_ERR_RETRY, "broker %s down", "b1"), REVOS_ERR_RETRY);
    ck_assert_str_eq(err.msg, "broker b1 down");
}
END_TEST

START_TEST(a_message_cut_by_the_buffer_inside_a_character_drops_the_partial_character)
{
    char text[600];
    memset(text, 'a', 510);
    strcpy(text + 510, "\xC3\xA9\xC3\xA9"); /* "éé" straddles the 511-byte limit */
    revos_err err = {{0}, {0}};
    revos_fail(&err, REVOS_ERR_INPUT, "%s", text);
    ck_assert(is_valid_utf8(err.msg));
    ck_assert_uint_eq(strlen(err.msg), 510);
}
END_TEST

START_TEST(a_reason_cut_by_a_precision_inside_a_character_is_valid_utf8)
{
    revos_err err = {{0}, {0}};
    /* "%.2s" of "aé" keeps 'a' and the first byte of 'é' */
    ck_assert_int_eq(revos_reject(&err, "validation", "field %.2s", "a\xC3\xA9"), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "field a");
    ck_assert_str_eq(err.cls, "validation");
}
END_TEST

START_TEST(invalid_bytes_quoted_from_input_become_question_marks)
{
    revos_err err = {{0}, {0}};
    revos_reject(&err, "decode", "bad %s byte", "\xFF");
    ck_assert_str_eq(err.msg, "bad ? byte");
}
END_TEST

START_TEST(overlong_forms_surrogates_and_code_points_above_u10ffff_are_refused)
{
    char overlong[] = "\xC0\xAF|\xE0\x80\xAF|\xED\xA0\x80|\xF4\x90\x80\x80";
    revos_utf8_clean(overlong);
    ck_assert(is_valid_utf8(overlong));
    ck_assert_ptr_null(strpbrk(overlong, "\x80\x90\xA0\xAF\xC0\xE0\xED\xF4"));
}
END_TEST

START_TEST(well_formed_text_is_left_alone)
{
    char text[] = "a\xC3\xB1o \xE2\x82\xAC \xF0\x9F\x93\x88 ok";
    char copy[sizeof text];
    memcpy(copy, text, sizeof text);
    revos_utf8_clean(text);
    ck_assert_str_eq(text, copy);
}
END_TEST

START_TEST(revos_wrap_cutting_the_tail_inside_a_character_stays_valid)
{
    revos_err err = {{0}, {0}};
    char tail[600];
    memset(tail, 'b', 400);
    for (int i = 400; i < 500; i += 2)
        memcpy(tail + i, "\xC3\xA9", 2);
    tail[500] = '\0';
    revos_fail(&err, REVOS_ERR_INPUT, "%s", tail);
    char context[20];
    memset(context, 'c', 18);
    context[18] = '\0'; /* 18 + ": " = 20: the tail is cut at an odd byte of the pairs */
    ck_assert_int_eq(revos_wrap(&err, REVOS_ERR_INPUT, context), REVOS_ERR_INPUT);
    ck_assert(is_valid_utf8(err.msg));
    ck_assert_uint_eq(strncmp(err.msg, context, 18), 0);
}
END_TEST

START_TEST(a_null_err_is_allowed)
{
    ck_assert_int_eq(revos_fail(NULL, REVOS_ERR_FATAL, "x"), REVOS_ERR_FATAL);
    ck_assert_int_eq(revos_reject(NULL, "decode", "x"), REVOS_ERR_INPUT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("messages");
    tcase_add_test(tc, revos_fail_returns_its_status_and_writes_the_message);
    tcase_add_test(tc, a_message_cut_by_the_buffer_inside_a_character_drops_the_partial_character);
    tcase_add_test(tc, a_reason_cut_by_a_precision_inside_a_character_is_valid_utf8);
    tcase_add_test(tc, invalid_bytes_quoted_from_input_become_question_marks);
    tcase_add_test(tc, overlong_forms_surrogates_and_code_points_above_u10ffff_are_refused);
    tcase_add_test(tc, well_formed_text_is_left_alone);
    tcase_add_test(tc, revos_wrap_cutting_the_tail_inside_a_character_stays_valid);
    tcase_add_test(tc, a_null_err_is_allowed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
