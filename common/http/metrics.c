/* metrics.c -- counters and gauges, rendered in Prometheus text format.
 *
 * The registry is one fixed array of REVOS_METRICS_MAX_SERIES slots, so a
 * series never moves once handed out and the render path needs no lock:
 * registration fills the next slot under a mutex and then publishes it by
 * storing the new count with release ordering; render loads the count with
 * acquire ordering and reads only slots below it, whose strings are
 * immutable from then on. Values are C11 atomics (a gauge's double lives in
 * a uint64_t as its bit pattern), updated with relaxed ordering: a scrape
 * needs each number to be whole, not a consistent snapshot of all of them. */
#include "http/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Types ==== */

struct revos_counter {
    _Atomic int64_t value;
};

struct revos_gauge {
    _Atomic uint64_t bits; /* the double's bit pattern */
};

/* Bucket counts are per bucket (not cumulative) so an observation is one
 * atomic add; render accumulates them, and renders _count as their total so
 * the +Inf bucket and _count always agree within one scrape. */
struct revos_histogram {
    size_t n_bounds;
    double bounds[REVOS_METRICS_MAX_BUCKETS];
    _Atomic int64_t buckets[REVOS_METRICS_MAX_BUCKETS + 1]; /* the last one is +Inf */
    _Atomic uint64_t sum_bits;                              /* the double's bit pattern */
};

typedef enum series_kind { SERIES_COUNTER, SERIES_GAUGE, SERIES_HISTOGRAM } series_kind;

typedef struct series {
    series_kind kind;
    char *name;
    char *help;
    char *label_name;  /* NULL when the series has no label */
    char *label_value; /* NULL when the series has no label */
    revos_counter counter;
    revos_gauge gauge;
    revos_histogram histogram;
} series;

struct revos_metrics {
    pthread_mutex_t lock; /* serializes registrations */
    _Atomic size_t count; /* published slots; release on store, acquire on load */
    series slots[REVOS_METRICS_MAX_SERIES];
    /* Sinks handed out when a registration is refused. */
    revos_counter overflow_counter;
    revos_gauge overflow_gauge;
    revos_histogram overflow_histogram;
    _Atomic int64_t refused;
};

/* ==== Values ==== */

static uint64_t double_bits(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

void revos_counter_add(revos_counter *counter, int64_t delta)
{
    if (counter == NULL || delta <= 0)
        return;
    atomic_fetch_add_explicit(&counter->value, delta, memory_order_relaxed);
}

int64_t revos_counter_value(const revos_counter *counter)
{
    if (counter == NULL)
        return 0;
    return atomic_load_explicit(&((revos_counter *)counter)->value, memory_order_relaxed);
}

void revos_gauge_set(revos_gauge *gauge, double value)
{
    if (gauge == NULL)
        return;
    atomic_store_explicit(&gauge->bits, double_bits(value), memory_order_relaxed);
}

void revos_gauge_add(revos_gauge *gauge, double delta)
{
    if (gauge == NULL)
        return;
    uint64_t old = atomic_load_explicit(&gauge->bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&gauge->bits, &old,
                                                  double_bits(bits_double(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

double revos_gauge_value(const revos_gauge *gauge)
{
    if (gauge == NULL)
        return 0.0;
    return bits_double(atomic_load_explicit(&((revos_gauge *)gauge)->bits, memory_order_relaxed));
}

void revos_histogram_observe(revos_histogram *histogram, double value)
{
    if (histogram == NULL || isnan(value))
        return;
    size_t i = 0;
    while (i < histogram->n_bounds && value > histogram->bounds[i])
        i++;
    atomic_fetch_add_explicit(&histogram->buckets[i], 1, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&histogram->sum_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&histogram->sum_bits, &old,
                                                  double_bits(bits_double(old) + value),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

int64_t revos_histogram_count(const revos_histogram *histogram)
{
    if (histogram == NULL)
        return 0;
    int64_t total = 0;
    for (size_t i = 0; i <= histogram->n_bounds; i++)
        total += atomic_load_explicit(&((revos_histogram *)histogram)->buckets[i],
                                      memory_order_relaxed);
    return total;
}

static void histogram_init(revos_histogram *h, const double *bounds, size_t n_bounds)
{
    h->n_bounds = n_bounds;
    for (size_t i = 0; i < n_bounds; i++)
        h->bounds[i] = bounds[i];
    for (size_t i = 0; i <= REVOS_METRICS_MAX_BUCKETS; i++)
        atomic_init(&h->buckets[i], 0);
    atomic_init(&h->sum_bits, double_bits(0.0));
}

/* ==== Registry ==== */

revos_metrics *revos_metrics_new(void)
{
    revos_metrics *metrics = calloc(1, sizeof *metrics);
    if (metrics == NULL)
        return NULL;
    if (pthread_mutex_init(&metrics->lock, NULL) != 0) {
        free(metrics);
        return NULL;
    }
    atomic_init(&metrics->count, 0);
    atomic_init(&metrics->refused, 0);
    atomic_init(&metrics->overflow_counter.value, 0);
    atomic_init(&metrics->overflow_gauge.bits, double_bits(0.0));
    histogram_init(&metrics->overflow_histogram, NULL, 0);
    return metrics;
}

void revos_metrics_free(revos_metrics *metrics)
{
    if (metrics == NULL)
        return;
    size_t count = atomic_load_explicit(&metrics->count, memory_order_acquire);
    for (size_t i = 0; i < count; i++) {
        series *s = &metrics->slots[i];
        free(s->name);
        free(s->help);
        free(s->label_name);
        free(s->label_value);
    }
    pthread_mutex_destroy(&metrics->lock);
    free(metrics);
}

static bool valid_name(const char *name, bool allow_colon)
{
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                     (allow_colon && c == ':');
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && p != name))
            return false;
    }
    return true;
}

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *text, bool *oom)
{
    if (text == NULL)
        return NULL;
    char *copy = strdup(text);
    if (copy == NULL)
        *oom = true;
    return copy;
}

/* Finds or creates the series; NULL when the registration is refused.
 * Called with metrics->lock held. */
static series *lookup_or_add(revos_metrics *metrics, series_kind kind, const char *name,
                             const char *help, const char *label_name, const char *label_value,
                             const double *bounds, size_t n_bounds)
{
    if (!valid_name(name, true))
        return NULL;
    if (label_name != NULL) {
        if (!valid_name(label_name, false) || strncmp(label_name, "__", 2) == 0)
            return NULL;
        if (label_value == NULL)
            label_value = "";
    } else {
        label_value = NULL;
    }

    size_t count = atomic_load_explicit(&metrics->count, memory_order_relaxed);
    for (size_t i = 0; i < count; i++) {
        series *s = &metrics->slots[i];
        if (strcmp(s->name, name) != 0)
            continue;
        if (s->kind != kind)
            return NULL; /* one name, one type */
        if (same_text(s->label_name, label_name) && same_text(s->label_value, label_value))
            return s;
    }
    if (count >= REVOS_METRICS_MAX_SERIES)
        return NULL;

    series *s = &metrics->slots[count];
    bool oom = false;
    s->kind = kind;
    s->name = dup_or_null(name, &oom);
    s->help = dup_or_null(help != NULL ? help : "", &oom);
    s->label_name = dup_or_null(label_name, &oom);
    s->label_value = dup_or_null(label_value, &oom);
    atomic_init(&s->counter.value, 0);
    atomic_init(&s->gauge.bits, double_bits(0.0));
    histogram_init(&s->histogram, bounds, n_bounds); /* before the slot is published */
    if (oom) {
        free(s->name);
        free(s->help);
        free(s->label_name);
        free(s->label_value);
        memset(s, 0, sizeof *s);
        return NULL;
    }
    atomic_store_explicit(&metrics->count, count + 1, memory_order_release);
    return s;
}

revos_counter *revos_metrics_counter(revos_metrics *metrics, const char *name, const char *help,
                                     const char *label_name, const char *label_value)
{
    if (metrics == NULL)
        return NULL;
    pthread_mutex_lock(&metrics->lock);
    series *s = lookup_or_add(metrics, SERIES_COUNTER, name, help, label_name, label_value, NULL, 0);
    pthread_mutex_unlock(&metrics->lock);
    if (s == NULL) {
        atomic_fetch_add_explicit(&metrics->refused, 1, memory_order_relaxed);
        return &metrics->overflow_counter;
    }
    return &s->counter;
}

revos_gauge *revos_metrics_gauge(revos_metrics *metrics, const char *name, const char *help,
                                 const char *label_name, const char *label_value)
{
    if (metrics == NULL)
        return NULL;
    pthread_mutex_lock(&metrics->lock);
    series *s = lookup_or_add(metrics, SERIES_GAUGE, name, help, label_name, label_value, NULL, 0);
    pthread_mutex_unlock(&metrics->lock);
    if (s == NULL) {
        atomic_fetch_add_explicit(&metrics->refused, 1, memory_order_relaxed);
        return &metrics->overflow_gauge;
    }
    return &s->gauge;
}

revos_histogram *revos_metrics_histogram(revos_metrics *metrics, const char *name,
                                         const char *help, const char *label_name,
                                         const char *label_value, const double *bounds,
                                         size_t n_bounds)
{
    if (metrics == NULL)
        return NULL;
    bool valid = bounds != NULL && n_bounds >= 1 && n_bounds <= REVOS_METRICS_MAX_BUCKETS;
    for (size_t i = 0; valid && i < n_bounds; i++)
        valid = isfinite(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]);
    series *s = NULL;
    if (valid) {
        pthread_mutex_lock(&metrics->lock);
        s = lookup_or_add(metrics, SERIES_HISTOGRAM, name, help, label_name, label_value, bounds,
                          n_bounds);
        pthread_mutex_unlock(&metrics->lock);
    }
    if (s == NULL) {
        atomic_fetch_add_explicit(&metrics->refused, 1, memory_order_relaxed);
        return &metrics->overflow_histogram;
    }
    return &s->histogram;
}

/* ==== Rendering ==== */

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
} buf;

static void buf_reserve(buf *b, size_t extra)
{
    if (b->oom || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap != 0 ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL) {
        b->oom = true;
        return;
    }
    b->data = data;
    b->cap = cap;
}

static void buf_put(buf *b, const char *text, size_t n)
{
    buf_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_str(buf *b, const char *text)
{
    buf_put(b, text, strlen(text));
}

/* Escapes per the exposition format: help text escapes \ and newline, label
 * values also escape the double quote. */
static void buf_escaped(buf *b, const char *text, bool quote)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\')
            buf_put(b, "\\\\", 2);
        else if (*p == '\n')
            buf_put(b, "\\n", 2);
        else if (quote && *p == '"')
            buf_put(b, "\\\"", 2);
        else
            buf_put(b, p, 1);
    }
}

/* Shortest decimal text that reads back as the same double. */
static void format_double(double value, char *out, size_t outlen)
{
    if (isnan(value)) {
        snprintf(out, outlen, "NaN");
        return;
    }
    if (isinf(value)) {
        snprintf(out, outlen, "%s", value > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, outlen, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

static void render_sample(buf *b, const series *s)
{
    buf_str(b, s->name);
    if (s->label_name != NULL) {
        buf_put(b, "{", 1);
        buf_str(b, s->label_name);
        buf_put(b, "=\"", 2);
        buf_escaped(b, s->label_value, true);
        buf_put(b, "\"}", 2);
    }
    char value[64];
    if (s->kind == SERIES_COUNTER)
        snprintf(value, sizeof value, " %" PRId64 "\n", revos_counter_value(&s->counter));
    else {
        value[0] = ' ';
        format_double(revos_gauge_value(&s->gauge), value + 1, sizeof value - 2);
        strcat(value, "\n");
    }
    buf_str(b, value);
}

/* name<suffix>{label="v",le="bound"} value: one histogram line. */
static void render_histogram_line(buf *b, const series *s, const char *suffix, const char *le,
                                  const char *value)
{
    buf_str(b, s->name);
    buf_str(b, suffix);
    if (s->label_name != NULL || le != NULL) {
        buf_put(b, "{", 1);
        if (s->label_name != NULL) {
            buf_str(b, s->label_name);
            buf_put(b, "=\"", 2);
            buf_escaped(b, s->label_value, true);
            buf_put(b, "\"", 1);
        }
        if (le != NULL) {
            if (s->label_name != NULL)
                buf_put(b, ",", 1);
            buf_str(b, "le=\"");
            buf_str(b, le);
            buf_put(b, "\"", 1);
        }
        buf_put(b, "}", 1);
    }
    buf_put(b, " ", 1);
    buf_str(b, value);
    buf_put(b, "\n", 1);
}

static void render_histogram(buf *b, const series *s)
{
    const revos_histogram *h = &s->histogram;
    int64_t cumulative = 0;
    char le[64], value[64];
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += atomic_load_explicit(&((revos_histogram *)h)->buckets[i], memory_order_relaxed);
        if (i < h->n_bounds)
            format_double(h->bounds[i], le, sizeof le);
        else
            snprintf(le, sizeof le, "+Inf");
        snprintf(value, sizeof value, "%" PRId64, cumulative);
        render_histogram_line(b, s, "_bucket", le, value);
    }
    format_double(bits_double(atomic_load_explicit(&((revos_histogram *)h)->sum_bits,
                                                   memory_order_relaxed)),
                  value, sizeof value);
    render_histogram_line(b, s, "_sum", NULL, value);
    snprintf(value, sizeof value, "%" PRId64, cumulative);
    render_histogram_line(b, s, "_count", NULL, value);
}

static void render_family(buf *b, const char *name, const char *help, const char *type)
{
    buf_str(b, "# HELP ");
    buf_str(b, name);
    buf_put(b, " ", 1);
    buf_escaped(b, help, false);
    buf_str(b, "\n# TYPE ");
    buf_str(b, name);
    buf_put(b, " ", 1);
    buf_str(b, type);
    buf_put(b, "\n", 1);
}

char *revos_metrics_render(revos_metrics *metrics)
{
    buf b = {0};
    buf_reserve(&b, 0);
    if (!b.oom)
        b.data[0] = '\0';
    if (metrics != NULL) {
        size_t count = atomic_load_explicit(&metrics->count, memory_order_acquire);
        for (size_t i = 0; i < count; i++) {
            const series *s = &metrics->slots[i];
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(metrics->slots[j].name, s->name) == 0;
            if (seen)
                continue; /* its family was rendered with the first series */
            render_family(&b, s->name, s->help,
                          s->kind == SERIES_COUNTER ? "counter"
                          : s->kind == SERIES_GAUGE ? "gauge"
                                                    : "histogram");
            for (size_t k = i; k < count; k++) {
                if (strcmp(metrics->slots[k].name, s->name) != 0)
                    continue;
                if (s->kind == SERIES_HISTOGRAM)
                    render_histogram(&b, &metrics->slots[k]);
                else
                    render_sample(&b, &metrics->slots[k]);
            }
        }
        int64_t refused = atomic_load_explicit(&metrics->refused, memory_order_relaxed);
        if (refused > 0) {
            render_family(&b, "revos_metrics_refused_series_total",
                          "Metric registrations refused (series limit, invalid name or type "
                          "conflict); their updates are dropped.",
                          "counter");
            char line[96];
            snprintf(line, sizeof line, "revos_metrics_refused_series_total %" PRId64 "\n",
                     refused);
            buf_str(&b, line);
        }
    }
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
