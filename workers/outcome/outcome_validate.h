/* outcome_validate.h -- what makes an Outcome record acceptable.
 *
 * Pure, thread-safe; shared by revos-outcome (which rejects bad records to
 * the dead-letter topic) and revosctl (which refuses to produce them), so
 * both say the same thing.
 *
 *   kind         ack | play | task | crm_renewal
 *   result       ack: acknowledged;
 *                play, task: renewed | churned | expanded | lost | reassigned | blocked;
 *                crm_renewal: renewed | churned | expanded | lost
 *   needs        ack: page_id; play: play_id; task: task_id;
 *                crm_renewal: account_id; all: outcome_id, actor, occurred_at
 * "done" is never a valid result. */
#ifndef REVOS_OUTCOME_VALIDATE_H
#define REVOS_OUTCOME_VALIDATE_H

#include <jansson.h>

#include "core/status.h"

/* The results every kind but ack accepts, as listed in messages. */
#define REVOS_OUTCOME_RESULTS "renewed, churned, expanded, lost, reassigned, blocked"

/* 1 for a save (renewed, expanded), 0 otherwise. */
int revos_outcome_is_save(const char *result);
/* 1 for a loss (churned, lost), 0 otherwise (reassigned, blocked: neither). */
int revos_outcome_is_loss(const char *result);

/* outcome is shaped like schemas/Outcome.avsc (nullable fields JSON null or
 * absent). Returns REVOS_OK or REVOS_ERR_INPUT with err->cls "validation"
 * and a message such as
 *   "outcome result 'done' is not valid: expected one of renewed, churned,
 *    expanded, lost, reassigned, blocked" */
revos_status revos_outcome_validate(const json_t *outcome, revos_err *err);

#endif
