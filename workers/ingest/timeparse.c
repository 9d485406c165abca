/* timeparse.c -- see timeparse.h. Calendar arithmetic is done by hand (the
 * civil-from-days algorithms) so the result never depends on the process's
 * time zone or on timegm(). */
#include "ingest/timeparse.h"

#include <math.h>

#define MS_PER_DAY INT64_C(86400000)
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z */
#define MS_MIN INT64_C(-62167219200000)
#define MS_MAX INT64_C(253402300799999)

/* ==== Calendar ==== */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* ==== Parsing ==== */

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits. */
static int read_digits(cursor *c, int n, int *out)
{
    if (c->end - c->p < n)
        return -1;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(c->p[i]))
            return -1;
        v = v * 10 + (c->p[i] - '0');
    }
    c->p += n;
    *out = v;
    return 0;
}

static int accept(cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* Offset in minutes east of UTC: Z, +hh, +hhmm, +hh:mm (or '-'). */
static int read_offset(cursor *c, int *minutes)
{
    if (accept(c, 'Z') || accept(c, 'z')) {
        *minutes = 0;
        return 0;
    }
    int sign;
    if (accept(c, '+'))
        sign = 1;
    else if (accept(c, '-'))
        sign = -1;
    else
        return -1;
    int hh, mm = 0;
    if (read_digits(c, 2, &hh) != 0 || hh > 23)
        return -1;
    if (c->p < c->end) {
        accept(c, ':');
        if (read_digits(c, 2, &mm) != 0 || mm > 59)
            return -1;
    }
    *minutes = sign * (hh * 60 + mm);
    return 0;
}

int revos_ingest_time_parse(const char *text, size_t len, int64_t *ms)
{
    if (text == NULL || ms == NULL)
        return -1;
    cursor c = {text, text + len};
    int year, month, day;
    if (read_digits(&c, 4, &year) != 0 || !accept(&c, '-') || read_digits(&c, 2, &month) != 0 ||
        !accept(&c, '-') || read_digits(&c, 2, &day) != 0)
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return -1;
    int64_t days = days_from_civil(year, month, day);
    if (c.p == c.end) { /* date only */
        *ms = days * MS_PER_DAY;
        return 0;
    }

    if (!(accept(&c, 'T') || accept(&c, 't') || accept(&c, ' ')))
        return -1;
    int hour, minute, second = 0, millis = 0;
    if (read_digits(&c, 2, &hour) != 0 || !accept(&c, ':') || read_digits(&c, 2, &minute) != 0)
        return -1;
    if (accept(&c, ':') && read_digits(&c, 2, &second) != 0)
        return -1;
    if (hour > 23 || minute > 59 || second > 60) /* 60: a leap second */
        return -1;
    if (accept(&c, '.') || accept(&c, ',')) {
        int ndigits = 0;
        while (c.p < c.end && is_digit(*c.p)) {
            if (ndigits < 3)
                millis = millis * 10 + (*c.p - '0');
            ndigits++;
            c.p++;
        }
        if (ndigits == 0)
            return -1;
        for (int i = ndigits; i < 3; i++)
            millis *= 10;
    }
    accept(&c, ' '); /* Wootric: "15:11:55 -0700" */
    int offset;
    if (read_offset(&c, &offset) != 0 || c.p != c.end)
        return -1;

    int64_t t = days * MS_PER_DAY + (int64_t)hour * 3600000 + (int64_t)minute * 60000 +
                (int64_t)second * 1000 + millis - (int64_t)offset * 60000;
    if (t < MS_MIN || t > MS_MAX)
        return -1;
    *ms = t;
    return 0;
}

/* ==== Epoch numbers ==== */

#define SECONDS_BELOW 100000000000.0 /* 1e11 */

int revos_ingest_time_from_epoch(double value, int64_t *ms)
{
    if (!isfinite(value))
        return -1;
    double m = fabs(value) < SECONDS_BELOW ? value * 1000.0 : value;
    m = floor(m);
    if (m < (double)MS_MIN || m > (double)MS_MAX)
        return -1;
    *ms = (int64_t)m;
    return 0;
}

int revos_ingest_time_from_epoch_int(int64_t value, int64_t *ms)
{
    int64_t m;
    if (value > -INT64_C(100000000000) && value < INT64_C(100000000000))
        m = value * 1000;
    else
        m = value;
    if (m < MS_MIN || m > MS_MAX)
        return -1;
    *ms = m;
    return 0;
}

int revos_ingest_time_format_date(int64_t ms, char out[11])
{
    if (ms < MS_MIN || ms > MS_MAX)
        return -1;
    int64_t days = ms / MS_PER_DAY;
    if (ms % MS_PER_DAY < 0)
        days--;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int fields[3] = {(int)y, m, d}, widths[3] = {4, 2, 2};
    char *p = out;
    for (int f = 0; f < 3; f++) {
        if (f > 0)
            *p++ = '-';
        for (int i = widths[f] - 1, v = fields[f]; i >= 0; i--, v /= 10)
            p[i] = (char)('0' + v % 10);
        p += widths[f];
    }
    *p = '\0';
    return 0;
}
