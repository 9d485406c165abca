/* calendar.h -- event-time arithmetic for revos-score: UTC days.
 *
 * The score engine never reads the wall clock. Every window and age is
 * counted in whole UTC days since 1970-01-01 ("day numbers"), derived from a
 * signal's occurred_at. Pure functions, callable from any thread. */
#ifndef REVOS_SCORE_CALENDAR_H
#define REVOS_SCORE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define REVOS_MS_PER_DAY INT64_C(86400000)

/* The UTC day of a timestamp in milliseconds (floors negative times). */
int64_t revos_day_of_ms(int64_t ms);

/* Day number of a proleptic Gregorian date, and back. */
int64_t revos_day_from_civil(int64_t year, unsigned month, unsigned day);
void revos_day_to_civil(int64_t days, int64_t *year, unsigned *month, unsigned *day);

/* Formats a day number as "YYYY-MM-DD" (out needs 11 bytes; years outside
 * 0-9999 are clamped). */
void revos_day_format(int64_t days, char *out, size_t outlen);

/* Parses exactly "YYYY-MM-DD" (a "THH:MM..." tail is accepted and ignored)
 * into a day number; returns 0 on success, -1 if it is not a valid date. */
int revos_day_parse(const char *text, int64_t *days);

#endif
