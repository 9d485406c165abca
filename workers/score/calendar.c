/* calendar.c -- UTC day numbers <-> civil dates (H. Hinnant's algorithms),
 * so no gmtime/timegm and no time zone ever enters a score. */
#include "score/calendar.h"

#include <ctype.h>
#include <stdio.h>

int64_t revos_day_of_ms(int64_t ms)
{
    int64_t d = ms / REVOS_MS_PER_DAY;
    if (ms % REVOS_MS_PER_DAY < 0)
        d--;
    return d;
}

int64_t revos_day_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void revos_day_to_civil(int64_t z, int64_t *year, unsigned *month, unsigned *day)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    const unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

void revos_day_format(int64_t days, char *out, size_t outlen)
{
    int64_t y;
    unsigned m, d;
    revos_day_to_civil(days, &y, &m, &d);
    if (y < 0) {
        y = 0;
        m = d = 1;
    } else if (y > 9999) {
        y = 9999;
        m = 12;
        d = 31;
    }
    snprintf(out, outlen, "%04d-%02u-%02u", (int)y, m, d);
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

int revos_day_parse(const char *text, int64_t *days)
{
    int y, m, d;
    if (text == NULL || digits(text, 4, &y) != 0 || text[4] != '-' ||
        digits(text + 5, 2, &m) != 0 || text[7] != '-' || digits(text + 8, 2, &d) != 0)
        return -1;
    if (text[10] != '\0' && text[10] != 'T' && text[10] != ' ')
        return -1;
    if (m < 1 || m > 12 || d < 1)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    if (d > max)
        return -1;
    *days = revos_day_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}
