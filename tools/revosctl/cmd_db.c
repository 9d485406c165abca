/* cmd_db.c -- revosctl migrate, revosctl config apply. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_worker.h"
#include "normalize/signals.h"
#include "outcome/outcome_worker.h"
#include "pg/pg.h"
#include "revosctl.h"
#include "route/decide.h"
#include "score/score_worker.h"

PGconn *revosctl_connect(const revos_settings *s)
{
    revos_err err = {{0}, {0}};
    PGconn *conn = NULL;
    int applied = 0;
    if (revos_pg_connect(revos_settings_get(s, "REVOS_PG_DSN", NULL), "revosctl", &conn, &err) != REVOS_OK ||
        revos_pg_migrate(conn, &applied, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        if (conn != NULL)
            PQfinish(conn);
        return NULL;
    }
    return conn;
}

int cmd_migrate(const revos_settings *s)
{
    PGconn *conn = revosctl_connect(s);
    if (conn == NULL)
        return 1;
    printf("database is at the latest schema\n");
    PQfinish(conn);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads every DIR/<section>.json into one object keyed by section. */
static json_t *load_config_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "revosctl: cannot open config dir %s\n", dir);
        return NULL;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL && n < 64) {
        size_t len = strlen(entry->d_name);
        if (len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0 && entry->d_name[0] != '.')
            names[n++] = strdup(entry->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    json_t *doc = json_object();
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        json_error_t jerr;
        json_t *section = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (section == NULL || !json_is_object(section)) {
            fprintf(stderr, "revosctl: %s: %s (line %d)\n", path,
                    section ? "not a JSON object" : jerr.text, jerr.line);
            json_decref(section);
            json_decref(doc);
            doc = NULL;
            break;
        }
        names[i][strlen(names[i]) - 5] = '\0';
        json_object_set_new(doc, names[i], section);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return doc;
}

/* The workers' own checks, each over the whole document: what one would
 * refuse at run time is refused here, before anything is stored. */
static const struct {
    const char *worker;
    revos_status (*check)(const json_t *config, revos_err *err);
} config_checks[] = {
    {"revos-ingest", revos_ingest_config_check},
    {"revos-normalize", revos_norm_rules_check},
    {"revos-score", revos_score_config_check},
    {"revos-route", revos_route_config_check},
    {"revos-outcome", revos_outcome_config_check},
};

int revosctl_config_check(const json_t *doc, char *msg, size_t msg_len)
{
    for (size_t i = 0; i < sizeof config_checks / sizeof config_checks[0]; i++) {
        revos_err err = {{0}, {0}};
        if (config_checks[i].check(doc, &err) != REVOS_OK) {
            snprintf(msg, msg_len, "%s (checked as %s)", err.msg, config_checks[i].worker);
            return -1;
        }
    }
    return 0;
}

int cmd_config_apply(const revos_settings *s)
{
    const char *dir = revos_settings_get(s, "REVOS_CONFIG_DIR", "config");
    json_t *doc = load_config_dir(dir);
    if (doc == NULL)
        return 1;
    static const char *const required[] = {"mapping", "scoring", "routing", "plays", "outcomes"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (json_object_get(doc, required[i]) == NULL) {
            fprintf(stderr, "revosctl: %s/%s.json is missing\n", dir, required[i]);
            json_decref(doc);
            return 1;
        }
    }
    char refused[768];
    if (revosctl_config_check(doc, refused, sizeof refused) != 0) {
        fprintf(stderr, "revosctl: configuration refused, nothing stored: %s\n", refused);
        json_decref(doc);
        return 1;
    }
    PGconn *conn = revosctl_connect(s);
    if (conn == NULL) {
        json_decref(doc);
        return 1;
    }
    const char *who = revos_settings_get(s, "REVOS_ACTOR", getenv("USER") ? getenv("USER") : "revosctl");
    revos_err err = {{0}, {0}};
    int64_t version = 0;
    int changed = 0;
    int code = 0;
    if (revos_pg_config_store(conn, doc, who, &version, &changed, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        code = 1;
    } else if (changed) {
        printf("applied configuration version %lld from %s\n", (long long)version, dir);
    } else {
        printf("configuration unchanged (version %lld)\n", (long long)version);
    }
    json_decref(doc);
    PQfinish(conn);
    return code;
}
