/* outcome_apply.h -- revos-outcome's transformation of one batch of
 * Outcomes, inside the batch's PostgreSQL transaction.
 *
 * Each outcome, in order (validated first: a bad one goes to the dead-letter
 * topic with the reason, see outcome_validate.h; an outcome_id already
 * recorded is skipped, so re-delivery changes nothing):
 *  - ack:         page_acks row for the page (unknown page: rejected);
 *                 revos-route stops escalating that decision.
 *  - play:        the play's status = result and closed_at, if it is open
 *                 (unknown play: rejected; a closed one is left alone).
 *  - task:        the task's status = result, result = the note (unknown
 *                 task: rejected).
 *  - crm_renewal: every open play of the account is closed with the result.
 * Every applied outcome is recorded in outcome_records. Each play closed
 * with a save or a loss counts under the play's score band, in total
 * (outcome_band_stats) and on the UTC day of the outcome
 * (outcome_band_days). Then the band is re-tuned from that day on: for that
 * day and each later day with outcomes, the tuning rule (tuning.h) applied
 * to the outcomes of that day and before gives the threshold in force from
 * it; where that differs from what was last emitted for the day (or, for a
 * day never emitted, from what is in force there), a ThresholdChange goes
 * to revos.thresholds (key: the score kind), change_id
 * "<score_kind>:<tier>:<YYYY-MM-DD>", occurred_at the start of the day. A
 * late outcome thus gives the thresholds an in-order arrival would have.
 *
 * Outcomes are human-scale (acks, play results, CRM closes): each costs a
 * few single-row statements, all in the batch's one transaction. */
#ifndef REVOS_OUTCOME_APPLY_H
#define REVOS_OUTCOME_APPLY_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "avro/avro_codec.h"
#include "core/status.h"
#include "worker/worker.h"

/* What the transformation needs from outside: the worker loop's batch in
 * production (outcome_worker.c), a real connection and recorders in tests. */
typedef struct revos_outcome_io {
    PGconn *pg;                 /* the open transaction; never committed here */
    const json_t *config;       /* "outcomes", "scoring", ... */
    void *ctx;
    revos_status (*emit)(void *ctx, const char *topic_suffix, const char *key,
                         revos_record_type type, const json_t *record, revos_err *err);
    void (*reject)(void *ctx, const revos_msg *msg, const revos_err *why);
    void (*count)(void *ctx, const char *metric, const char *help, int64_t n); /* may be NULL */
} revos_outcome_io;

/* msgs[i].record is an Outcome (schemas/Outcome.avsc). Errors:
 * PostgreSQL's (REVOS_ERR_RETRY / REVOS_ERR_FATAL), REVOS_ERR_FATAL when a
 * ThresholdChange does not match its schema (a bug). */
revos_status revos_outcome_apply(const revos_outcome_io *io, const revos_msg *msgs, size_t n,
                                 revos_err *err);

/* Counts the plays revos-route opened already closed (their CRM outcome
 * was recorded first: route_plays.closed_by set, band_counted false) in
 * their bands and tunes, as if the outcome had found them open; at most
 * 100 per call. Runs in the tick's transaction. */
revos_status revos_outcome_reconcile(const revos_outcome_io *io, revos_err *err);

#endif
