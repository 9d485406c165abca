/* test_ingest_helpers.c -- the small helpers the ingest parsers share:
 * timestamps (timeparse.h), domains and emails (domain.h), numbers as text
 * (field.h). */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/domain.h"
#include "ingest/field.h"
#include "ingest/timeparse.h"

static int64_t parse_ok(const char *text)
{
    int64_t ms = 0;
    ck_assert_msg(revos_ingest_time_parse(text, strlen(text), &ms) == 0, "rejected \"%s\"", text);
    return ms;
}

static void parse_bad(const char *text)
{
    int64_t ms = 0;
    ck_assert_msg(revos_ingest_time_parse(text, strlen(text), &ms) != 0, "accepted \"%s\"", text);
}

/* ==== Time ==== */

START_TEST(test_iso8601_with_z_and_any_fraction_length)
{
    ck_assert_int_eq(parse_ok("2015-02-23T22:28:55Z"), INT64_C(1424730535000));
    ck_assert_int_eq(parse_ok("2015-02-23T22:28:55.1Z"), INT64_C(1424730535100));
    ck_assert_int_eq(parse_ok("2015-02-23T22:28:55.387Z"), INT64_C(1424730535387));
    ck_assert_int_eq(parse_ok("2019-05-25T01:23:45.465719851Z"), INT64_C(1558747425465));
    ck_assert_int_eq(parse_ok("2019-05-25T01:23:45.999999999999Z"), INT64_C(1558747425999));
    ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(parse_ok("1969-12-31T23:59:59.500Z"), -500);
}
END_TEST

START_TEST(test_iso8601_with_offsets)
{
    int64_t utc = INT64_C(1725357365000); /* 2024-09-03T09:56:05Z */
    ck_assert_int_eq(parse_ok("2024-09-03T11:56:05+02:00"), utc);
    ck_assert_int_eq(parse_ok("2024-09-03T11:56:05+0200"), utc);
    ck_assert_int_eq(parse_ok("2024-09-03T11:56:05+02"), utc);
    ck_assert_int_eq(parse_ok("2024-09-03T04:26:05-05:30"), utc);
    ck_assert_int_eq(parse_ok("2024-09-03T09:56:05.000+00:00"), utc);
    ck_assert_int_eq(parse_ok("2024-09-03t09:56:05z"), utc);
}
END_TEST

START_TEST(test_date_only_is_midnight_utc)
{
    ck_assert_int_eq(parse_ok("2024-10-01"), INT64_C(1727740800000));
    ck_assert_int_eq(parse_ok("2024-02-29"), INT64_C(1709164800000));
}
END_TEST

START_TEST(test_wootric_space_separated_time_with_offset)
{
    ck_assert_int_eq(parse_ok("2018-03-28 15:11:55 -0700"), INT64_C(1522275115000));
    ck_assert_int_eq(parse_ok("2018-03-28 22:11:55 +0000"), INT64_C(1522275115000));
}
END_TEST

START_TEST(test_malformed_times_are_rejected)
{
    parse_bad("");
    parse_bad("yesterday");
    parse_bad("2024-09-03T09:56:05");       /* no offset: not an instant */
    parse_bad("2024-09-03 09:56");          /* no offset */
    parse_bad("2024-13-01");                /* month */
    parse_bad("2023-02-29");                /* not a leap year */
    parse_bad("2024-09-31T00:00:00Z");      /* day */
    parse_bad("2024-09-03T24:00:00Z");      /* hour */
    parse_bad("2024-09-03T09:60:00Z");      /* minute */
    parse_bad("2024-09-03T09:56:05.Z");     /* empty fraction */
    parse_bad("2024-09-03T09:56:05+25:00"); /* offset */
    parse_bad("2024-09-03T09:56:05Zjunk");
    parse_bad("24-09-03");
    parse_bad("2024-9-3");
}
END_TEST

START_TEST(test_epoch_seconds_and_milliseconds_are_told_apart)
{
    int64_t ms;
    ck_assert_int_eq(revos_ingest_time_from_epoch_int(INT64_C(1482590009), &ms), 0);
    ck_assert_int_eq(ms, INT64_C(1482590009000));
    ck_assert_int_eq(revos_ingest_time_from_epoch_int(INT64_C(1714156685000), &ms), 0);
    ck_assert_int_eq(ms, INT64_C(1714156685000));
    ck_assert_int_eq(revos_ingest_time_from_epoch(1482590009.25, &ms), 0);
    ck_assert_int_eq(ms, INT64_C(1482590009250));
    ck_assert_int_eq(revos_ingest_time_from_epoch(1714156685000.0, &ms), 0);
    ck_assert_int_eq(ms, INT64_C(1714156685000));
    ck_assert_int_eq(revos_ingest_time_from_epoch_int(INT64_MAX, &ms), -1);
    ck_assert_int_eq(revos_ingest_time_from_epoch(1e300, &ms), -1);
}
END_TEST

START_TEST(test_date_formatting_is_utc)
{
    char date[11];
    ck_assert_int_eq(revos_ingest_time_format_date(INT64_C(1653955200000), date), 0);
    ck_assert_str_eq(date, "2022-05-31");
    ck_assert_int_eq(revos_ingest_time_format_date(INT64_C(1727740799999), date), 0);
    ck_assert_str_eq(date, "2024-09-30");
    ck_assert_int_eq(revos_ingest_time_format_date(-1, date), 0);
    ck_assert_str_eq(date, "1969-12-31");
    ck_assert_int_eq(revos_ingest_time_format_date(INT64_C(951782400000), date), 0);
    ck_assert_str_eq(date, "2000-02-29");
}
END_TEST

/* ==== Domains and emails ==== */

static void domain_is(const char *url, const char *want)
{
    char out[REVOS_INGEST_DOMAIN_MAX];
    int rc = revos_ingest_domain_from_url(url, strlen(url), out);
    if (want == NULL) {
        ck_assert_msg(rc != 0, "\"%s\" gave \"%s\"", url, out);
    } else {
        ck_assert_msg(rc == 0, "\"%s\" gave no domain", url);
        ck_assert_str_eq(out, want);
    }
}

START_TEST(test_domain_from_url)
{
    domain_is("https://www.LakeviewUSD.org/district/", "lakeviewusd.org");
    domain_is("http://acme.com", "acme.com");
    domain_is("acme.com", "acme.com");
    domain_is("www.acme.co.uk/about?x=1#top", "acme.co.uk");
    domain_is("  https://user:secret@Shop.Acme.com:8443/cart  ", "shop.acme.com");
    domain_is("//cdn.acme.io/x", "cdn.acme.io");
    domain_is("https://acme.com.", "acme.com");
    domain_is("www.com", "www.com"); /* "com" alone is no domain: keep www */
}
END_TEST

START_TEST(test_url_without_a_usable_domain_gives_none)
{
    domain_is("", NULL);
    domain_is("localhost", NULL);
    domain_is("http://localhost:3000/", NULL);
    domain_is("http://192.168.1.20/", NULL);
    domain_is("https://[::1]/", NULL);
    domain_is("not a url", NULL);
    domain_is("https://-acme.com", NULL);
    domain_is("https://acme..com", NULL);
    domain_is("https://bücher.de", NULL); /* IDN not punycoded */
}
END_TEST

START_TEST(test_email_normalization_and_domain)
{
    char email[REVOS_INGEST_EMAIL_MAX], domain[REVOS_INGEST_DOMAIN_MAX];
    const char *in = " Dana.Whitfield@LakeviewUSD.org ";
    ck_assert_int_eq(revos_ingest_email_normalize(in, strlen(in), email), 0);
    ck_assert_str_eq(email, "dana.whitfield@lakeviewusd.org");
    ck_assert_int_eq(revos_ingest_domain_from_email(in, strlen(in), domain), 0);
    ck_assert_str_eq(domain, "lakeviewusd.org");
    static const char *const bad[] = {"", "dana", "@acme.com", "dana@", "da na@acme.com",
                                      "dana@localhost", "dana@acme"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(revos_ingest_email_normalize(bad[i], strlen(bad[i]), email) != 0,
                      "accepted \"%s\"", bad[i]);
}
END_TEST

/* ==== Numbers ==== */

static void number_is(json_t *number, const char *want)
{
    char buf[48];
    revos_ingest_number_text(number, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
    json_decref(number);
}

START_TEST(test_numbers_as_decimal_text)
{
    number_is(json_integer(180000), "180000");
    number_is(json_real(180000.0), "180000");
    number_is(json_real(1234.5), "1234.5");
    number_is(json_real(0.1), "0.1");
    number_is(json_real(-0.0), "0");
    number_is(json_real(24999.99), "24999.99");
    number_is(json_integer(-42), "-42");
    number_is(json_real(1e21), "1e+21");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_helpers");
    TCase *tc = tcase_create("time");
    tcase_add_test(tc, test_iso8601_with_z_and_any_fraction_length);
    tcase_add_test(tc, test_iso8601_with_offsets);
    tcase_add_test(tc, test_date_only_is_midnight_utc);
    tcase_add_test(tc, test_wootric_space_separated_time_with_offset);
    tcase_add_test(tc, test_malformed_times_are_rejected);
    tcase_add_test(tc, test_epoch_seconds_and_milliseconds_are_told_apart);
    tcase_add_test(tc, test_date_formatting_is_utc);
    suite_add_tcase(s, tc);

    tc = tcase_create("domain");
    tcase_add_test(tc, test_domain_from_url);
    tcase_add_test(tc, test_url_without_a_usable_domain_gives_none);
    tcase_add_test(tc, test_email_normalization_and_domain);
    suite_add_tcase(s, tc);

    tc = tcase_create("number");
    tcase_add_test(tc, test_numbers_as_decimal_text);
    suite_add_tcase(s, tc);

    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
