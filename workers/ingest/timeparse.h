/* timeparse.h -- event times in the shapes the sources send them, turned into
 * milliseconds since the Unix epoch (UTC).
 *
 *   ISO-8601     "2019-05-25T01:23:45.465719851Z", "2015-02-23T22:28:55Z",
 *                "2024-09-03T09:56:05.000+02:00" (fraction of any length,
 *                truncated to ms; offset Z, +hh:mm, +hhmm or +hh)
 *   date         "2024-06-30" (midnight UTC)
 *   Wootric      "2018-03-28 15:11:55 -0700" (space before the offset)
 *   epoch        seconds (Delighted) or milliseconds (Salesforce)
 *
 * A date-time without an offset is rejected: it names no instant. Years are
 * limited to 0000-9999. Pure functions, callable from any thread. */
#ifndef REVOS_INGEST_TIMEPARSE_H
#define REVOS_INGEST_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses text[0..len) as one of the textual forms above; returns 0 and sets
 * *ms, or -1 when the text is not a valid timestamp. */
int revos_ingest_time_parse(const char *text, size_t len, int64_t *ms);

/* Epoch number to ms. Magnitudes below 1e11 are seconds (1e11 s is the year
 * 5138; 1e11 ms is March 1973), larger ones are milliseconds; a fraction of a
 * second is kept to the millisecond. Returns -1 for a value outside years
 * 0000-9999 (or not finite). */
int revos_ingest_time_from_epoch(double value, int64_t *ms);

/* Same, for an integer: no rounding error for large millisecond values. */
int revos_ingest_time_from_epoch_int(int64_t value, int64_t *ms);

/* Writes the UTC calendar date of ms as "YYYY-MM-DD" (out: 11 bytes).
 * Returns -1 for an instant outside years 0000-9999. */
int revos_ingest_time_format_date(int64_t ms, char out[11]);

#endif
