/* registry.c -- Confluent-compatible schema registry client (libcurl).
 *
 * One reusable curl easy handle per client, so consecutive calls share a
 * kept-alive connection. Every reply is read into a bounded buffer and
 * parsed with jansson; the HTTP status decides the error class (see
 * registry.h). The password in the URL is handed to curl and never copied
 * into a message: messages use the display URL, and a curl error text that
 * happens to contain the password is replaced by curl's generic text. */
#include "avro/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_TIMEOUT_MS 5000L
#define REGISTRY_MAX_REPLY (4L * 1024 * 1024)
#define REGISTRY_SCHEMA_NOT_FOUND 40403L /* Confluent error_code on GET /schemas/ids/N */

struct revos_avro_registry {
    CURL *curl;
    char *url;         /* base URL, credentials included, no trailing slash */
    char *display_url; /* same with the password replaced by *** */
    char *password;    /* the password part, to keep it out of messages; may be NULL */
};

/* ==== URL handling ==== */

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Splits url into the display form and the password (if any). */
static bool split_credentials(const char *url, char **display, char **password)
{
    *display = NULL;
    *password = NULL;
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end + 3;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            at = authority + i;
    const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    if (colon == NULL) {
        *display = dup_n(url, strlen(url));
        return *display != NULL;
    }
    size_t head = (size_t)(colon - url);
    size_t tail = strlen(at);
    *display = malloc(head + 4 + tail + 1);
    *password = dup_n(colon + 1, (size_t)(at - colon - 1));
    if (*display == NULL || *password == NULL) {
        free(*display);
        free(*password);
        *display = *password = NULL;
        return false;
    }
    memcpy(*display, url, head);
    memcpy(*display + head, ":***", 4);
    memcpy(*display + head + 4, at, tail + 1);
    return true;
}

revos_status revos_avro_registry_open(revos_avro_registry **out, const char *url,
                                      revos_err *err)
{
    *out = NULL;
    if (url == NULL ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return revos_fail(err, REVOS_ERR_FATAL,
                          "schema registry URL must start with http:// or https://");
    revos_avro_registry *reg = calloc(1, sizeof *reg);
    if (reg == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    reg->url = dup_n(url, n);
    if (reg->url == NULL || !split_credentials(reg->url, &reg->display_url, &reg->password)) {
        revos_avro_registry_close(reg);
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    }
    reg->curl = curl_easy_init();
    if (reg->curl == NULL) {
        revos_avro_registry_close(reg);
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: curl_easy_init failed");
    }
    *out = reg;
    return REVOS_OK;
}

void revos_avro_registry_close(revos_avro_registry *reg)
{
    if (reg == NULL)
        return;
    if (reg->curl != NULL)
        curl_easy_cleanup(reg->curl);
    if (reg->password != NULL)
        memset(reg->password, 0, strlen(reg->password));
    free(reg->password);
    free(reg->display_url);
    free(reg->url);
    free(reg);
}

const char *revos_avro_registry_display_url(const revos_avro_registry *reg)
{
    return reg->display_url;
}

/* ==== HTTP exchange ==== */

typedef struct reply_buf {
    char *data;
    size_t len;
    bool too_big;
} reply_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    reply_buf *reply = userdata;
    size_t n = size * nmemb;
    if (reply->len + n > (size_t)REGISTRY_MAX_REPLY) {
        reply->too_big = true;
        return 0; /* aborts the transfer */
    }
    char *grown = realloc(reply->data, reply->len + n + 1);
    if (grown == NULL)
        return 0;
    reply->data = grown;
    memcpy(reply->data + reply->len, ptr, n);
    reply->len += n;
    reply->data[reply->len] = '\0';
    return n;
}

/* The registry's explanation from an error reply: its "message" field, or
 * the start of the body with control characters dropped; and its
 * "error_code" (e.g. 40403 schema not found), or 0. */
static void registry_message(const reply_buf *reply, char *out, size_t outlen, long *error_code)
{
    out[0] = '\0';
    *error_code = 0;
    if (reply->data == NULL)
        return;
    json_t *doc = json_loadb(reply->data, reply->len, 0, NULL);
    if (json_is_integer(json_object_get(doc, "error_code")))
        *error_code = (long)json_integer_value(json_object_get(doc, "error_code"));
    const char *message = json_string_value(json_object_get(doc, "message"));
    if (message != NULL) {
        snprintf(out, outlen, "%s", message);
    } else {
        size_t o = 0;
        for (size_t i = 0; i < reply->len && o + 1 < outlen && o < 200; i++)
            if ((unsigned char)reply->data[i] >= 0x20)
                out[o++] = reply->data[i];
        out[o] = '\0';
    }
    json_decref(doc);
}

/* Performs one request. On success (2xx) returns REVOS_OK with the parsed
 * JSON object in *doc; on an HTTP error, *error_code is the registry's
 * error_code (0 if none). */
static revos_status exchange(revos_avro_registry *reg, const char *path, const char *post_body,
                             json_t **doc, long *error_code, revos_err *err)
{
    *doc = NULL;
    *error_code = 0;
    long http_status = 0;
    size_t url_len = strlen(reg->url) + strlen(path) + 1;
    char *url = malloc(url_len);
    if (url == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    snprintf(url, url_len, "%s%s", reg->url, path);

    CURL *curl = reg->curl;
    reply_buf reply = {0};
    char curl_error[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Accept: application/vnd.schemaregistry.v1+json, "
                                         "application/json");
    if (post_body != NULL)
        headers = curl_slist_append(headers,
                                    "Content-Type: application/vnd.schemaregistry.v1+json");

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, REGISTRY_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, REGISTRY_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    if (post_body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    free(url);
    /* The handle keeps pointers to our stack: drop them before returning. */
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, NULL);

    revos_status st = REVOS_OK;
    if (reply.too_big) {
        st = revos_fail(err, REVOS_ERR_FATAL, "schema registry %s: reply larger than %ld bytes",
                        reg->display_url, REGISTRY_MAX_REPLY);
    } else if (rc != CURLE_OK) {
        const char *why = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc);
        if (reg->password != NULL && reg->password[0] != '\0' && strstr(why, reg->password))
            why = curl_easy_strerror(rc);
        st = revos_fail(err, REVOS_ERR_RETRY, "schema registry %s: %s", reg->display_url, why);
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
        if (http_status < 200 || http_status > 299) {
            char message[256];
            registry_message(&reply, message, sizeof message, error_code);
            bool transient = http_status >= 500 || http_status == 408 || http_status == 429;
            st = revos_fail(err, transient ? REVOS_ERR_RETRY : REVOS_ERR_FATAL,
                            "schema registry %s: HTTP %ld%s%s", reg->display_url, http_status,
                            message[0] ? ": " : "", message);
        } else {
            *doc = reply.data ? json_loadb(reply.data, reply.len, 0, NULL) : NULL;
            if (!json_is_object(*doc)) {
                json_decref(*doc);
                *doc = NULL;
                st = revos_fail(err, REVOS_ERR_FATAL,
                                "schema registry %s: reply is not a JSON object",
                                reg->display_url);
            }
        }
    }
    free(reply.data);
    return st;
}

/* ==== Calls ==== */

revos_status revos_avro_registry_register(revos_avro_registry *reg, const char *subject,
                                          const char *schema_json, int32_t *id, revos_err *err)
{
    char *escaped = curl_easy_escape(reg->curl, subject, 0);
    if (escaped == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    size_t path_len = strlen(escaped) + 32;
    char *path = malloc(path_len);
    json_t *request = json_pack("{s:s}", "schema", schema_json);
    char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (path == NULL || body == NULL) {
        curl_free(escaped);
        free(path);
        free(body);
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    }
    snprintf(path, path_len, "/subjects/%s/versions", escaped);
    curl_free(escaped);

    long error_code;
    json_t *doc;
    revos_status st = exchange(reg, path, body, &doc, &error_code, err);
    free(path);
    free(body);
    if (st != REVOS_OK)
        return revos_wrap(err, st, subject);
    json_t *jid = json_object_get(doc, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
        json_integer_value(jid) > INT32_MAX) {
        json_decref(doc);
        return revos_fail(err, REVOS_ERR_FATAL,
                          "schema registry %s: registering %s: reply has no valid id",
                          reg->display_url, subject);
    }
    *id = (int32_t)json_integer_value(jid);
    json_decref(doc);
    return REVOS_OK;
}

revos_status revos_avro_registry_schema(revos_avro_registry *reg, int32_t id,
                                        char **schema_json, revos_err *err)
{
    *schema_json = NULL;
    char path[48];
    snprintf(path, sizeof path, "/schemas/ids/%ld", (long)id);
    long error_code;
    json_t *doc;
    revos_status st = exchange(reg, path, NULL, &doc, &error_code, err);
    if (st != REVOS_OK) {
        if (error_code == REGISTRY_SCHEMA_NOT_FOUND)
            return revos_reject(err, "decode", "unknown schema id %ld (registry %s)", (long)id,
                                reg->display_url);
        return st;
    }
    const json_t *schema = json_object_get(doc, "schema");
    const json_t *schema_type = json_object_get(doc, "schemaType");
    if (schema_type != NULL && !(json_is_string(schema_type) &&
                                 strcmp(json_string_value(schema_type), "AVRO") == 0)) {
        json_decref(doc);
        return revos_reject(err, "decode", "unknown schema id %ld: not an Avro schema",
                            (long)id);
    }
    if (!json_is_string(schema)) {
        json_decref(doc);
        return revos_fail(err, REVOS_ERR_FATAL,
                          "schema registry %s: schema id %ld: reply has no schema",
                          reg->display_url, (long)id);
    }
    *schema_json = dup_n(json_string_value(schema), json_string_length(schema));
    json_decref(doc);
    if (*schema_json == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "schema registry: out of memory");
    return REVOS_OK;
}
