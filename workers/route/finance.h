/* finance.h -- the financial frame of a decision (DESIGN.md, "Decisions,
 * routing, plays"): what is at stake, what saving it costs, what replacing
 * it would cost, and the expected value of acting vs not acting.
 *
 *   arr_at_risk      = the account's ARR (its renewal amount)
 *   save_cost        = sum of the play's task costs (0 without a play)
 *   replacement_cost = arr_at_risk x cac_ratio (routing.finance.cac_ratio)
 *   ev_act           = arr_at_risk x p_save - save_cost
 *   ev_no_act        = arr_at_risk x forecast_confidence / 100
 *
 * Without a play nothing is modelled for acting, so ev_act = ev_no_act.
 * An unknown forecast confidence counts as 0 (no renewal assumed).
 * Pure functions; thread-safe. */
#ifndef REVOS_ROUTE_FINANCE_H
#define REVOS_ROUTE_FINANCE_H

#include <jansson.h>

/* Used when routing.finance.cac_ratio is absent. */
#define REVOS_ROUTE_DEFAULT_CAC_RATIO 0.3

typedef struct revos_route_finance {
    double arr_at_risk;
    double save_cost;
    double replacement_cost;
    double p_save;              /* the play's p_save, 0 without a play */
    double forecast_confidence; /* percent, 0-100; 0 when unknown */
    int has_forecast;
    double ev_act;
    double ev_no_act;
} revos_route_finance;

/* Sum of the "cost" of every task of a play definition (plays.json entry);
 * 0 for NULL. */
double revos_route_play_save_cost(const json_t *play_def);

/* routing.finance.cac_ratio, or REVOS_ROUTE_DEFAULT_CAC_RATIO. */
double revos_route_cac_ratio(const json_t *routing);

/* Fills out. play_def may be NULL (no play). forecast_pct is ignored unless
 * has_forecast. */
void revos_route_finance_compute(double arr, const json_t *play_def, double cac_ratio,
                                 int has_forecast, double forecast_pct,
                                 revos_route_finance *out);

/* "$180,000": rounded to whole dollars, thousands separated, "-$5,000" for
 * negative amounts. Always NUL-terminates. */
void revos_route_money(double amount, char *out, size_t outlen);

#endif
