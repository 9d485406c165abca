#include "config/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* "--kafka-brokers" -> "REVOS_KAFKA_BROKERS" */
static void flag_to_env(const char *flag, size_t len, char *out, size_t outlen)
{
    size_t o = (size_t)snprintf(out, outlen, "REVOS_");
    for (size_t i = 0; i < len && o + 1 < outlen; i++)
        out[o++] = flag[i] == '-' ? '_' : (char)toupper((unsigned char)flag[i]);
    out[o] = '\0';
}

static revos_status set_var(revos_settings *s, const char *env_name, const char *value,
                            revos_err *err)
{
    for (size_t i = 0; i < s->n_vars; i++) {
        if (strcmp(s->vars[i].name, env_name) == 0) {
            char *copy = strdup(value);
            if (copy == NULL)
                return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
            free(s->vars[i].value);
            s->vars[i].value = copy;
            return REVOS_OK;
        }
    }
    if (s->n_vars == REVOS_SETTINGS_MAX)
        return revos_fail(err, REVOS_ERR_FATAL, "too many flags");
    s->vars[s->n_vars].name = strdup(env_name);
    s->vars[s->n_vars].value = strdup(value);
    if (s->vars[s->n_vars].name == NULL || s->vars[s->n_vars].value == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    s->n_vars++;
    return REVOS_OK;
}

static revos_status set_kafka_prop(revos_settings *s, const char *assignment, revos_err *err)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return revos_fail(err, REVOS_ERR_FATAL, "-X expects prop=value, got '%s'", assignment);
    if (s->n_kafka == REVOS_SETTINGS_MAX)
        return revos_fail(err, REVOS_ERR_FATAL, "too many -X properties");
    s->kafka[s->n_kafka].name = strndup(assignment, (size_t)(eq - assignment));
    s->kafka[s->n_kafka].value = strdup(eq + 1);
    if (s->kafka[s->n_kafka].name == NULL || s->kafka[s->n_kafka].value == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    s->n_kafka++;
    return REVOS_OK;
}

revos_status revos_settings_parse(revos_settings *s, int argc, char **argv, revos_err *err)
{
    memset(s, 0, sizeof *s);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        revos_status st;
        if (strcmp(arg, "-X") == 0) {
            if (i + 1 >= argc)
                return revos_fail(err, REVOS_ERR_FATAL, "-X needs prop=value");
            st = set_kafka_prop(s, argv[++i], err);
        } else if (strncmp(arg, "-X", 2) == 0) {
            st = set_kafka_prop(s, arg + 2, err);
        } else if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
            const char *flag = arg + 2;
            const char *eq = strchr(flag, '=');
            char env_name[128];
            flag_to_env(flag, eq ? (size_t)(eq - flag) : strlen(flag), env_name, sizeof env_name);
            /* Switches never take the next argument as their value. */
            static const char *const switches[] = {"json", "avro", "help", NULL};
            int is_switch = 0;
            for (size_t k = 0; switches[k] != NULL; k++)
                if (eq == NULL && strcmp(flag, switches[k]) == 0)
                    is_switch = 1;
            const char *value;
            if (is_switch)
                value = "1";
            else if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                value = argv[++i];
            else
                value = "1"; /* a bare flag such as --json */
            st = set_var(s, env_name, value, err);
        } else {
            if (s->n_positional == sizeof s->positional / sizeof s->positional[0])
                return revos_fail(err, REVOS_ERR_FATAL, "too many arguments");
            s->positional[s->n_positional] = strdup(arg);
            if (s->positional[s->n_positional] == NULL)
                return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
            s->n_positional++;
            st = REVOS_OK;
        }
        if (st != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}

void revos_settings_free(revos_settings *s)
{
    for (size_t i = 0; i < s->n_vars; i++) {
        free(s->vars[i].name);
        free(s->vars[i].value);
    }
    for (size_t i = 0; i < s->n_kafka; i++) {
        free(s->kafka[i].name);
        free(s->kafka[i].value);
    }
    for (size_t i = 0; i < s->n_positional; i++)
        free(s->positional[i]);
    memset(s, 0, sizeof *s);
}

const char *revos_settings_get(const revos_settings *s, const char *name, const char *fallback)
{
    for (size_t i = 0; s != NULL && i < s->n_vars; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return s->vars[i].value;
    const char *env = getenv(name);
    return env != NULL ? env : fallback;
}

long revos_settings_get_long(const revos_settings *s, const char *name, long fallback)
{
    const char *text = revos_settings_get(s, name, NULL);
    if (text == NULL || *text == '\0')
        return fallback;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return fallback;
    return value;
}

revos_status revos_settings_get_bounded(const revos_settings *s, const char *name, long fallback,
                                        long min, long max, long *out, revos_err *err)
{
    *out = fallback;
    const char *text = revos_settings_get(s, name, NULL);
    if (text == NULL || *text == '\0')
        return REVOS_OK;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text)
        return revos_fail(err, REVOS_ERR_FATAL, "%s: '%.64s' is not a whole number", name, text);
    if (value < min || value > max)
        return revos_fail(err, REVOS_ERR_FATAL, "%s: %ld is outside %ld..%ld", name, value, min,
                          max);
    *out = value;
    return REVOS_OK;
}

revos_status revos_settings_check_flags(const revos_settings *s, const char *const *known,
                                        revos_err *err)
{
    for (size_t i = 0; i < s->n_vars; i++) {
        size_t k = 0;
        while (known[k] != NULL && strcmp(known[k], s->vars[i].name) != 0)
            k++;
        if (known[k] == NULL) {
            /* back from REVOS_FOO_BAR to --foo-bar for the message */
            char flag[128];
            size_t o = 0;
            for (const char *c = s->vars[i].name + 6; *c != '\0' && o + 1 < sizeof flag; c++)
                flag[o++] = *c == '_' ? '-' : (char)tolower((unsigned char)*c);
            flag[o] = '\0';
            return revos_fail(err, REVOS_ERR_FATAL, "unknown flag --%s", flag);
        }
    }
    return REVOS_OK;
}

revos_status revos_settings_each_kafka_prop(const revos_settings *s,
                                            revos_status (*fn)(void *ctx, const char *name,
                                                               const char *value, revos_err *err),
                                            void *ctx, revos_err *err)
{
    static const char prefix[] = "REVOS_KAFKA_PROP_";
    for (char **env = environ; env != NULL && *env != NULL; env++) {
        if (strncmp(*env, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *rest = *env + sizeof prefix - 1;
        const char *eq = strchr(rest, '=');
        if (eq == NULL)
            continue;
        char name[128];
        size_t n = (size_t)(eq - rest);
        if (n >= sizeof name)
            continue;
        for (size_t i = 0; i < n; i++)
            name[i] = rest[i] == '_' ? '.' : (char)tolower((unsigned char)rest[i]);
        name[n] = '\0';
        revos_status st = fn(ctx, name, eq + 1, err);
        if (st != REVOS_OK)
            return st;
    }
    for (size_t i = 0; i < s->n_kafka; i++) {
        revos_status st = fn(ctx, s->kafka[i].name, s->kafka[i].value, err);
        if (st != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}

void revos_settings_topic(const revos_settings *s, const char *suffix, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s", revos_settings_get(s, "REVOS_TOPIC_PREFIX", "revos."), suffix);
}
