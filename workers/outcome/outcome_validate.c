/* outcome_validate.c -- see outcome_validate.h. */
#include "outcome/outcome_validate.h"

#include <string.h>

static const char *const results[] = {"renewed", "churned", "expanded", "lost", "reassigned",
                                      "blocked", NULL};

static int one_of(const char *value, const char *const *set)
{
    for (size_t i = 0; set[i] != NULL; i++)
        if (strcmp(value, set[i]) == 0)
            return 1;
    return 0;
}

int revos_outcome_is_save(const char *result)
{
    return result != NULL && (strcmp(result, "renewed") == 0 || strcmp(result, "expanded") == 0);
}

int revos_outcome_is_loss(const char *result)
{
    return result != NULL && (strcmp(result, "churned") == 0 || strcmp(result, "lost") == 0);
}

/* A non-empty string field, else NULL. */
static const char *text(const json_t *obj, const char *key)
{
    const char *value = json_string_value(json_object_get(obj, key));
    return value != NULL && *value != '\0' ? value : NULL;
}

revos_status revos_outcome_validate(const json_t *outcome, revos_err *err)
{
    if (!json_is_object(outcome))
        return revos_reject(err, "validation", "outcome is not a record");
    if (text(outcome, "outcome_id") == NULL)
        return revos_reject(err, "validation", "outcome lacks an outcome_id");

    const char *kind = json_string_value(json_object_get(outcome, "kind"));
    static const char *const kinds[] = {"ack", "play", "task", "crm_renewal", NULL};
    if (kind == NULL || !one_of(kind, kinds))
        return revos_reject(err, "validation",
                            "outcome kind '%s' is not valid: expected one of ack, play, task, "
                            "crm_renewal", kind ? kind : "");

    const char *result = json_string_value(json_object_get(outcome, "result"));
    if (result == NULL)
        result = "";
    if (strcmp(kind, "ack") == 0) {
        if (strcmp(result, "acknowledged") != 0)
            return revos_reject(err, "validation",
                                "outcome result '%s' is not valid for kind ack: expected "
                                "acknowledged", result);
    } else if (strcmp(result, "acknowledged") == 0) {
        return revos_reject(err, "validation",
                            "outcome result 'acknowledged' is only valid for kind ack: expected "
                            "one of " REVOS_OUTCOME_RESULTS);
    } else if (!one_of(result, results)) {
        return revos_reject(err, "validation",
                            "outcome result '%s' is not valid: expected one of "
                            REVOS_OUTCOME_RESULTS, result);
    } else if (strcmp(kind, "crm_renewal") == 0 && !revos_outcome_is_save(result) &&
               !revos_outcome_is_loss(result)) {
        return revos_reject(err, "validation",
                            "outcome result '%s' is not valid for kind crm_renewal: expected one "
                            "of renewed, churned, expanded, lost", result);
    }

    const char *needs = strcmp(kind, "ack") == 0    ? "page_id"
                        : strcmp(kind, "play") == 0 ? "play_id"
                        : strcmp(kind, "task") == 0 ? "task_id"
                                                    : "account_id";
    if (text(outcome, needs) == NULL)
        return revos_reject(err, "validation", "outcome of kind %s needs %s %s", kind,
                            needs[0] == 'a' ? "an" : "a", needs);
    if (text(outcome, "actor") == NULL)
        return revos_reject(err, "validation", "outcome lacks an actor");
    if (!json_is_integer(json_object_get(outcome, "occurred_at")))
        return revos_reject(err, "validation", "outcome lacks occurred_at (epoch milliseconds)");
    return REVOS_OK;
}
