/* finance.c -- the financial frame of a decision; see finance.h. */
#include "route/finance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double revos_route_play_save_cost(const json_t *play_def)
{
    const json_t *tasks = play_def ? json_object_get(play_def, "tasks") : NULL;
    double total = 0.0;
    size_t i;
    const json_t *task;
    json_array_foreach(tasks, i, task) {
        const json_t *cost = json_object_get(task, "cost");
        if (json_is_number(cost))
            total += json_number_value(cost);
    }
    return total;
}

double revos_route_cac_ratio(const json_t *routing)
{
    const json_t *finance = routing ? json_object_get(routing, "finance") : NULL;
    const json_t *ratio = finance ? json_object_get(finance, "cac_ratio") : NULL;
    if (json_is_number(ratio) && json_number_value(ratio) >= 0.0)
        return json_number_value(ratio);
    return REVOS_ROUTE_DEFAULT_CAC_RATIO;
}

void revos_route_finance_compute(double arr, const json_t *play_def, double cac_ratio,
                                 int has_forecast, double forecast_pct,
                                 revos_route_finance *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(arr) || arr < 0.0)
        arr = 0.0;
    out->arr_at_risk = arr;
    out->replacement_cost = arr * cac_ratio;
    out->has_forecast = has_forecast && isfinite(forecast_pct);
    if (out->has_forecast) {
        if (forecast_pct < 0.0)
            forecast_pct = 0.0;
        if (forecast_pct > 100.0)
            forecast_pct = 100.0;
        out->forecast_confidence = forecast_pct;
    }
    out->ev_no_act = arr * out->forecast_confidence / 100.0;
    if (play_def == NULL) {
        out->ev_act = out->ev_no_act;
        return;
    }
    const json_t *p_save = json_object_get(play_def, "p_save");
    out->p_save = json_is_number(p_save) ? json_number_value(p_save) : 0.0;
    out->save_cost = revos_route_play_save_cost(play_def);
    out->ev_act = arr * out->p_save - out->save_cost;
}

void revos_route_money(double amount, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    if (!isfinite(amount))
        amount = 0.0;
    double rounded = round(fabs(amount));
    if (rounded > 9.0e15)
        rounded = 9.0e15;
    unsigned long long whole = (unsigned long long)rounded;
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", whole);
    char grouped[48];
    size_t g = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    snprintf(out, outlen, "%s$%s", amount < 0.0 && whole > 0 ? "-" : "", grouped);
}
