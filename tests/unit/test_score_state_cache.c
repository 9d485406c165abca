/* test_score_state_cache.c -- revos-score's cache of decoded states
 * (workers/score/state_cache.h): found by account with its version, bounded
 * by bytes with the least recently used evicted first, emptied by partition,
 * and holding its own reference to each state. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>

#include "score/state_cache.h"

static json_t *state_of(const char *account)
{
    return json_pack("{s:s, s:i}", "account", account, "v", 2);
}

START_TEST(a_put_state_is_found_with_its_version)
{
    revos_score_cache *c = revos_score_cache_new(1000);
    json_t *s = state_of("a");
    ck_assert_int_eq(revos_score_cache_put(c, "a", s, 42, 3, 100), 0);
    int64_t version = 0;
    ck_assert_ptr_eq(revos_score_cache_get(c, "a", &version), s);
    ck_assert_int_eq(version, 42);
    ck_assert_ptr_null(revos_score_cache_get(c, "b", &version));
    ck_assert_uint_eq(revos_score_cache_count(c), 1);
    ck_assert_uint_eq(revos_score_cache_bytes(c), 100);
    /* the cache holds its own reference */
    ck_assert_int_eq(s->refcount, 2);
    json_decref(s);
    ck_assert_str_eq(json_string_value(json_object_get(revos_score_cache_get(c, "a", &version),
                                                       "account")), "a");
    revos_score_cache_free(c);
}
END_TEST

START_TEST(a_second_put_replaces_the_entry)
{
    revos_score_cache *c = revos_score_cache_new(1000);
    json_t *old = state_of("a"), *new = state_of("a");
    revos_score_cache_put(c, "a", old, 1, 0, 300);
    revos_score_cache_put(c, "a", new, 2, 0, 200);
    int64_t version = 0;
    ck_assert_ptr_eq(revos_score_cache_get(c, "a", &version), new);
    ck_assert_int_eq(version, 2);
    ck_assert_uint_eq(revos_score_cache_count(c), 1);
    ck_assert_uint_eq(revos_score_cache_bytes(c), 200);
    ck_assert_int_eq(old->refcount, 1); /* released */
    json_decref(old);
    json_decref(new);
    revos_score_cache_free(c);
}
END_TEST

START_TEST(the_least_recently_used_go_first_to_stay_within_the_bound)
{
    revos_score_cache *c = revos_score_cache_new(300);
    char name[8];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "a%d", i);
        json_t *s = state_of(name);
        revos_score_cache_put(c, name, s, i, 0, 100);
        json_decref(s);
    }
    int64_t version;
    ck_assert_ptr_nonnull(revos_score_cache_get(c, "a0", &version)); /* a1 is now the oldest */
    json_t *s = state_of("a3");
    revos_score_cache_put(c, "a3", s, 3, 0, 150); /* needs 150: a1 and a2 go */
    json_decref(s);
    ck_assert_ptr_nonnull(revos_score_cache_get(c, "a0", &version));
    ck_assert_ptr_null(revos_score_cache_get(c, "a1", &version));
    ck_assert_ptr_null(revos_score_cache_get(c, "a2", &version));
    ck_assert_ptr_nonnull(revos_score_cache_get(c, "a3", &version));
    ck_assert_uint_eq(revos_score_cache_bytes(c), 250);
    ck_assert_uint_eq(revos_score_cache_evictions(c), 2);
    /* an entry larger than the whole bound is not kept, and evicts nothing */
    s = state_of("big");
    ck_assert_int_eq(revos_score_cache_put(c, "big", s, 9, 0, 301), 0);
    ck_assert_ptr_null(revos_score_cache_get(c, "big", &version));
    ck_assert_uint_eq(revos_score_cache_count(c), 2);
    ck_assert_int_eq(s->refcount, 1);
    json_decref(s);
    revos_score_cache_free(c);
}
END_TEST

START_TEST(dropping_a_partition_keeps_the_others)
{
    revos_score_cache *c = revos_score_cache_new(10000);
    const char *names[] = {"p0-a", "p1-a", "p0-b", "p2-a"};
    int32_t parts[] = {0, 1, 0, 2};
    for (int i = 0; i < 4; i++) {
        json_t *s = state_of(names[i]);
        revos_score_cache_put(c, names[i], s, i, parts[i], 10);
        json_decref(s);
    }
    revos_score_cache_drop_partition(c, 0);
    int64_t version;
    ck_assert_ptr_null(revos_score_cache_get(c, "p0-a", &version));
    ck_assert_ptr_null(revos_score_cache_get(c, "p0-b", &version));
    ck_assert_ptr_nonnull(revos_score_cache_get(c, "p1-a", &version));
    ck_assert_ptr_nonnull(revos_score_cache_get(c, "p2-a", &version));
    ck_assert_uint_eq(revos_score_cache_count(c), 2);
    ck_assert_uint_eq(revos_score_cache_bytes(c), 20);
    revos_score_cache_drop(c, "p1-a");
    ck_assert_ptr_null(revos_score_cache_get(c, "p1-a", &version));
    ck_assert_uint_eq(revos_score_cache_count(c), 1);
    revos_score_cache_free(c);
}
END_TEST

START_TEST(many_entries_through_a_small_cache_stay_consistent)
{
    /* slots are reused after eviction and drops; the bound always holds */
    revos_score_cache *c = revos_score_cache_new(64 * 10);
    char name[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "acct-%d", i % 200);
        if (i % 7 == 0) {
            revos_score_cache_drop(c, name);
            continue;
        }
        json_t *s = state_of(name);
        ck_assert_int_eq(revos_score_cache_put(c, name, s, i, i % 4, 10), 0);
        json_decref(s);
        ck_assert_uint_le(revos_score_cache_bytes(c), 640);
        ck_assert_uint_eq(revos_score_cache_bytes(c), revos_score_cache_count(c) * 10);
        int64_t version = -1;
        ck_assert_ptr_nonnull(revos_score_cache_get(c, name, &version));
        ck_assert_int_eq(version, i);
    }
    ck_assert_uint_ge(revos_score_cache_count(c), 60);
    ck_assert_uint_le(revos_score_cache_count(c), 64);
    for (int32_t p = 0; p < 4; p++)
        revos_score_cache_drop_partition(c, p);
    ck_assert_uint_eq(revos_score_cache_count(c), 0);
    ck_assert_uint_eq(revos_score_cache_bytes(c), 0);
    revos_score_cache_free(c);
}
END_TEST

START_TEST(a_zero_bound_holds_nothing)
{
    revos_score_cache *c = revos_score_cache_new(0);
    json_t *s = state_of("a");
    ck_assert_int_eq(revos_score_cache_put(c, "a", s, 1, 0, 1), 0);
    int64_t version;
    ck_assert_ptr_null(revos_score_cache_get(c, "a", &version));
    json_decref(s);
    revos_score_cache_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("score_state_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, a_put_state_is_found_with_its_version);
    tcase_add_test(tc, a_second_put_replaces_the_entry);
    tcase_add_test(tc, the_least_recently_used_go_first_to_stay_within_the_bound);
    tcase_add_test(tc, dropping_a_partition_keeps_the_others);
    tcase_add_test(tc, many_entries_through_a_small_cache_stay_consistent);
    tcase_add_test(tc, a_zero_bound_holds_nothing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
