/* test_common_dead_letters.c -- specification of revos_batch_reject
 * (common/worker/batch.c): a dead letter is always writable.
 *
 * Whatever the size of the record it describes, the DeadLetter queued for it
 * encodes below REVOS_AVRO_MAX_RECORD and Kafka's default 1 MB message size,
 * keeps the original's topic, partition, offset, size and SHA-256, says
 * whether payload or key were cut, and never fails the batch. Each test
 * rejects one record into a fresh batch and decodes what was queued. */
#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"
#include "config/settings.h"
#include "worker/batch.h"

static revos_avro *codec;
static revos_settings settings;
static revos_batch batch;

static void setup(void)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_avro_open(&codec, NULL, &err), REVOS_OK);
    memset(&settings, 0, sizeof settings);
    unsetenv("REVOS_TOPIC_PREFIX");
    revos_batch_init(&batch);
    batch.worker_name = "revos-ingest";
    batch.settings = &settings;
    batch.codec = codec;
    batch.dlq_max_payload = REVOS_DLQ_DEFAULT_PAYLOAD;
}

static void teardown(void)
{
    revos_batch_clear(&batch);
    free(batch.outputs);
    revos_avro_close(codec);
}

/* A record of len bytes of 'a' (key of key_len bytes of 'k' when > 0). */
static revos_msg record_of(const char *topic, size_t len, size_t key_len)
{
    uint8_t *payload = malloc(len);
    uint8_t *key = key_len > 0 ? malloc(key_len) : NULL;
    ck_assert_ptr_nonnull(payload);
    memset(payload, 'a', len);
    if (key != NULL)
        memset(key, 'k', key_len);
    return (revos_msg){.topic = topic, .partition = 3, .offset = 41, .payload = payload,
                       .len = len, .key = key, .key_len = key_len};
}

static void free_record(revos_msg *msg)
{
    free((void *)msg->payload);
    free((void *)msg->key);
}

/* Rejects msg and returns the one DeadLetter queued, decoded. */
static json_t *reject_and_decode(const revos_msg *msg, const char *reason)
{
    revos_err why = {{0}, {0}};
    revos_reject(&why, "oversized", "%s", reason);
    revos_batch_reject(&batch, msg, &why);
    ck_assert_int_eq(batch.alloc_status, REVOS_OK);
    ck_assert_uint_eq(batch.n_outputs, 1);
    ck_assert_str_eq(batch.outputs[0].topic, "revos.dlq");
    ck_assert_uint_lt(batch.outputs[0].value_len, 1000000); /* librdkafka's default message.max.bytes */
    json_t *letter = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_avro_decode(codec, REVOS_REC_DEAD_LETTER, batch.outputs[0].value,
                                    batch.outputs[0].value_len, &letter, &err) == REVOS_OK,
                  "%s", err.msg);
    return letter;
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    ck_assert_int_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static size_t text_len(const json_t *letter, const char *field)
{
    return strlen(json_string_value(json_object_get(letter, field)));
}

START_TEST(a_record_above_the_avro_limit_becomes_a_truncated_dead_letter)
{
    revos_msg msg = record_of("revos.raw.segment", 2 * 1024 * 1024, 0);
    json_t *letter = reject_and_decode(&msg, "payload of 2097152 bytes is above max_raw_bytes");
    ck_assert(json_is_true(json_object_get(letter, "truncated")));
    ck_assert_uint_eq(text_len(letter, "payload"), REVOS_DLQ_DEFAULT_PAYLOAD);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_size")), 2 * 1024 * 1024);
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(a_truncated_dead_letter_keeps_topic_partition_offset_and_hash_of_the_original)
{
    revos_msg msg = record_of("revos.raw.segment", 1048576 + 20, 0);
    json_t *letter = reject_and_decode(&msg, "too big");
    char sha[65];
    sha256_hex(msg.payload, msg.len, sha);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "topic")), "revos.raw.segment");
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "partition")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "offset")), 41);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "payload_sha256")), sha);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "reason")), "too big");
    ck_assert_str_eq(json_string_value(json_object_get(letter, "error_class")), "oversized");
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(a_small_record_is_kept_whole_and_not_flagged)
{
    revos_msg msg = record_of("revos.raw.segment", 1000, 10);
    json_t *letter = reject_and_decode(&msg, "bad json");
    ck_assert(json_is_false(json_object_get(letter, "truncated")));
    ck_assert(json_is_false(json_object_get(letter, "key_truncated")));
    ck_assert_uint_eq(text_len(letter, "payload"), 1000);
    ck_assert_uint_eq(text_len(letter, "key"), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_key_size")), 10);
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(a_huge_key_is_cut_and_flagged)
{
    revos_msg msg = record_of("revos.raw.segment", 100, 900 * 1024);
    json_t *letter = reject_and_decode(&msg, "bad key");
    ck_assert(json_is_true(json_object_get(letter, "key_truncated")));
    ck_assert_uint_eq(text_len(letter, "key"), REVOS_DLQ_MAX_KEY);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_key_size")), 900 * 1024);
    ck_assert(json_is_false(json_object_get(letter, "truncated")));
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(the_configured_payload_bound_is_honoured)
{
    batch.dlq_max_payload = 4096;
    revos_msg msg = record_of("revos.raw.segment", 5000, 0);
    json_t *letter = reject_and_decode(&msg, "bad");
    ck_assert(json_is_true(json_object_get(letter, "truncated")));
    ck_assert_uint_eq(text_len(letter, "payload"), 4096);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_size")), 5000);
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(a_bound_above_the_limit_is_capped_at_the_limit)
{
    batch.dlq_max_payload = 8 * 1024 * 1024;
    revos_msg msg = record_of("revos.raw.segment", 4 * 1024 * 1024, 0);
    json_t *letter = reject_and_decode(&msg, "bad");
    ck_assert_uint_eq(text_len(letter, "payload"), REVOS_DLQ_PAYLOAD_LIMIT);
    json_decref(letter);
    free_record(&msg);
}
END_TEST

START_TEST(a_letter_that_still_does_not_fit_is_written_without_payload_and_key)
{
    /* No broker names a topic like this, but the loop must not care: the
     * letter is written without its bytes rather than failing the batch. */
    char *topic = malloc(600 * 1024);
    memset(topic, 't', 600 * 1024 - 1);
    topic[600 * 1024 - 1] = '\0';
    revos_msg msg = record_of(topic, 700 * 1024, 16);
    json_t *letter = reject_and_decode(&msg, "bad");
    ck_assert(json_is_null(json_object_get(letter, "payload")));
    ck_assert(json_is_null(json_object_get(letter, "key")));
    ck_assert(json_is_true(json_object_get(letter, "truncated")));
    ck_assert(json_is_true(json_object_get(letter, "key_truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_size")), 700 * 1024);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(letter, "reason")),
                                 "payload and key dropped"));
    json_decref(letter);
    free_record(&msg);
    free(topic);
}
END_TEST

START_TEST(a_tombstone_has_no_payload_and_is_not_truncated)
{
    revos_msg msg = {.topic = "revos.signals", .partition = 0, .offset = 7};
    json_t *letter = reject_and_decode(&msg, "empty record");
    ck_assert(json_is_null(json_object_get(letter, "payload")));
    ck_assert(json_is_null(json_object_get(letter, "payload_sha256")));
    ck_assert(json_is_false(json_object_get(letter, "truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "original_key_size")), -1);
    json_decref(letter);
}
END_TEST

START_TEST(a_reason_with_a_cut_character_still_makes_a_letter)
{
    /* a message written without revos_reject, cut inside "é" */
    revos_msg msg = record_of("revos.raw.segment", 10, 0);
    revos_err why = {{0}, {0}};
    snprintf(why.cls, sizeof why.cls, "validation");
    memset(why.msg, 'r', sizeof why.msg - 2);
    why.msg[sizeof why.msg - 2] = (char)0xC3;
    why.msg[sizeof why.msg - 1] = '\0';
    revos_batch_reject(&batch, &msg, &why);
    ck_assert_int_eq(batch.alloc_status, REVOS_OK);
    ck_assert_uint_eq(batch.n_outputs, 1);
    json_t *letter = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_avro_decode(codec, REVOS_REC_DEAD_LETTER, batch.outputs[0].value,
                                       batch.outputs[0].value_len, &letter, &err), REVOS_OK);
    ck_assert_uint_eq(text_len(letter, "reason"), sizeof why.msg - 2);
    json_decref(letter);
    free_record(&msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dead_letters");
    TCase *tc = tcase_create("always_writable");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_record_above_the_avro_limit_becomes_a_truncated_dead_letter);
    tcase_add_test(tc, a_truncated_dead_letter_keeps_topic_partition_offset_and_hash_of_the_original);
    tcase_add_test(tc, a_small_record_is_kept_whole_and_not_flagged);
    tcase_add_test(tc, a_huge_key_is_cut_and_flagged);
    tcase_add_test(tc, the_configured_payload_bound_is_honoured);
    tcase_add_test(tc, a_bound_above_the_limit_is_capped_at_the_limit);
    tcase_add_test(tc, a_letter_that_still_does_not_fit_is_written_without_payload_and_key);
    tcase_add_test(tc, a_tombstone_has_no_payload_and_is_not_truncated);
    tcase_add_test(tc, a_reason_with_a_cut_character_still_makes_a_letter);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
