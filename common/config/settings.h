/* settings.h -- process settings from the environment and the command line.
 *
 * Twelve-factor: every setting is an environment variable REVOS_*, and each
 * can be overridden by a flag named after it: --kafka-brokers=V or
 * --kafka-brokers V sets REVOS_KAFKA_BROKERS. -X prop=value (or the
 * environment variable REVOS_KAFKA_PROP_<NAME> with dots as underscores,
 * e.g. REVOS_KAFKA_PROP_SECURITY_PROTOCOL) passes a librdkafka property
 * through, for TLS and SASL. Values are copied; the struct owns them. */
#ifndef REVOS_SETTINGS_H
#define REVOS_SETTINGS_H

#include <stddef.h>

#include "core/status.h"

#define REVOS_SETTINGS_MAX 64

typedef struct revos_settings {
    struct { char *name; char *value; } vars[REVOS_SETTINGS_MAX];  /* from flags */
    size_t n_vars;
    struct { char *name; char *value; } kafka[REVOS_SETTINGS_MAX]; /* librdkafka props */
    size_t n_kafka;
    char *positional[16]; /* arguments that are not flags, e.g. revosctl's verb */
    size_t n_positional;
} revos_settings;

/* Parses argv (argv[0] skipped). Errors: REVOS_ERR_FATAL on a malformed
 * flag or too many of them. Call revos_settings_free even on failure. */
revos_status revos_settings_parse(revos_settings *s, int argc, char **argv, revos_err *err);
void revos_settings_free(revos_settings *s);

/* The flag's value, else the environment's, else fallback. name is the
 * environment variable name, e.g. "REVOS_KAFKA_BROKERS". s may be NULL
 * (no flags: the environment only). */
const char *revos_settings_get(const revos_settings *s, const char *name, const char *fallback);
long revos_settings_get_long(const revos_settings *s, const char *name, long fallback);

/* The setting as a whole number within [min, max], fallback when unset.
 * REVOS_ERR_FATAL naming the setting when it is not a number or out of range:
 * start-up refuses a bad setting instead of silently using another value. */
revos_status revos_settings_get_bounded(const revos_settings *s, const char *name, long fallback,
                                        long min, long max, long *out, revos_err *err);

/* REVOS_ERR_FATAL naming the flag when a --flag given on the command line is
 * not one of known (a NULL-terminated list of REVOS_* names): a mistyped flag
 * must not be silently ignored. The environment is not checked. */
revos_status revos_settings_check_flags(const revos_settings *s, const char *const *known,
                                        revos_err *err);

/* Calls fn for each librdkafka property: REVOS_KAFKA_PROP_* first, then -X
 * (so flags win). Stops at and returns the first non-OK status. */
revos_status revos_settings_each_kafka_prop(const revos_settings *s,
                                            revos_status (*fn)(void *ctx, const char *name,
                                                               const char *value, revos_err *err),
                                            void *ctx, revos_err *err);

/* Topic name: prefix (REVOS_TOPIC_PREFIX, default "revos.") + suffix. */
void revos_settings_topic(const revos_settings *s, const char *suffix, char *out, size_t outlen);

#endif
