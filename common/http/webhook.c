/* webhook.c -- signing, building and POSTing pages.
 *
 * Three parts, top to bottom: the signature (HMAC-SHA256 through OpenSSL 3's
 * EVP_MAC, streamed over "<timestamp>" "." "<body>" so the body is never
 * copied), the body builders for the three shapes, and the POST itself,
 * whose one job beyond curl plumbing is to turn what happened into the
 * right revos_status: the caller (revos-route) retries REVOS_ERR_RETRY with
 * backoff and records REVOS_ERR_INPUT as a failed page without retrying.
 *
 * Secrets: the HMAC key and the PagerDuty routing key go into the MAC and
 * the body, never into a message; a response body that echoes the secret
 * has it masked before it is quoted. URLs are quoted redacted. */
#include "http/webhook.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_ID_MAX 255          /* PagerDuty's dedup_key limit */
#define PD_SUMMARY_MAX 1024      /* PagerDuty's payload.summary limit */
#define RESPONSE_CAPTURE_MAX 1024

typedef enum webhook_format { FORMAT_JSON, FORMAT_SLACK, FORMAT_PAGERDUTY, FORMAT_UNKNOWN }
    webhook_format;

static webhook_format parse_format(const char *format)
{
    if (format == NULL || strcmp(format, "json") == 0)
        return FORMAT_JSON;
    if (strcmp(format, "slack") == 0)
        return FORMAT_SLACK;
    if (strcmp(format, "pagerduty") == 0)
        return FORMAT_PAGERDUTY;
    return FORMAT_UNKNOWN;
}

int revos_webhook_format_valid(const char *format)
{
    return parse_format(format) != FORMAT_UNKNOWN;
}

/* ==== Global init ==== */

revos_status revos_http_global_init(revos_err *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return revos_fail(err, REVOS_ERR_FATAL, "curl_global_init: %s", curl_easy_strerror(rc));
    return REVOS_OK;
}

void revos_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ==== Signature ==== */

revos_status revos_webhook_sign(const char *secret, int64_t timestamp, const char *body,
                                size_t len, char out[REVOS_WEBHOOK_SIGNATURE_LEN])
{
    out[0] = '\0';
    if (secret == NULL || secret[0] == '\0' || timestamp < 0 || (body == NULL && len > 0))
        return REVOS_ERR_INPUT;

    char ts[24];
    int tslen = snprintf(ts, sizeof ts, "%" PRId64, timestamp);
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    bool ok = ctx != NULL &&
              EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tslen) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
              (len == 0 || EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1) &&
              EVP_MAC_final(ctx, md, &mdlen, sizeof md) == 1 && mdlen == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    OPENSSL_cleanse(ts, sizeof ts);
    if (!ok)
        return REVOS_ERR_FATAL;

    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256=", 7);
    for (size_t i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[71] = '\0';
    OPENSSL_cleanse(md, sizeof md);
    return REVOS_OK;
}

/* Strict decimal: 1-18 digits, nothing else. */
static bool parse_timestamp(const char *text, int64_t *out)
{
    size_t n = strlen(text);
    if (n == 0 || n > 18)
        return false;
    int64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
}

int revos_webhook_verify(const char *secret, const char *timestamp_header,
                         const char *signature_header, const char *body, size_t len,
                         int64_t now, int64_t max_skew_seconds)
{
    if (secret == NULL || secret[0] == '\0' || timestamp_header == NULL ||
        signature_header == NULL || (body == NULL && len > 0))
        return 0;
    int64_t timestamp;
    if (!parse_timestamp(timestamp_header, &timestamp))
        return 0;
    int64_t skew = now >= timestamp ? now - timestamp : timestamp - now;
    if (skew > (max_skew_seconds > 0 ? max_skew_seconds : 0))
        return 0;
    if (strlen(signature_header) != REVOS_WEBHOOK_SIGNATURE_LEN - 1)
        return 0;

    char expected[REVOS_WEBHOOK_SIGNATURE_LEN];
    if (revos_webhook_sign(secret, timestamp, body, len, expected) != REVOS_OK)
        return 0;
    char given[REVOS_WEBHOOK_SIGNATURE_LEN];
    for (size_t i = 0; i < sizeof given; i++) {
        char c = signature_header[i];
        given[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    int equal = CRYPTO_memcmp(expected, given, REVOS_WEBHOOK_SIGNATURE_LEN - 1) == 0;
    OPENSSL_cleanse(expected, sizeof expected);
    return equal;
}

/* ==== Bodies ==== */

static const char *page_string(const json_t *page, const char *key)
{
    return json_string_value(json_object_get(page, key));
}

static bool valid_page_id(const char *page_id)
{
    size_t n = page_id != NULL ? strlen(page_id) : 0;
    if (n == 0 || n > PAGE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)page_id[i] < 0x21 || (unsigned char)page_id[i] > 0x7e)
            return false; /* goes into a header: no spaces, controls or non-ASCII */
    return true;
}

typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
} strbuf;

static void sb_put(strbuf *sb, const char *text, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap != 0 ? sb->cap : 256;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *data = realloc(sb->data, cap);
        if (data == NULL) {
            sb->oom = true;
            return;
        }
        sb->data = data;
        sb->cap = cap;
    }
    memcpy(sb->data + sb->len, text, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_str(strbuf *sb, const char *text)
{
    sb_put(sb, text, strlen(text));
}

/* Slack mrkdwn needs &, < and > escaped; everything else passes through. */
static void sb_slack(strbuf *sb, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '&')
            sb_str(sb, "&amp;");
        else if (*p == '<')
            sb_str(sb, "&lt;");
        else if (*p == '>')
            sb_str(sb, "&gt;");
        else
            sb_put(sb, p, 1);
    }
}

/* "[critical] Renewal risk critical for Acme (account acc-1, page p-1)" */
static json_t *slack_body(const json_t *page)
{
    strbuf sb = {0};
    sb_str(&sb, "[");
    sb_slack(&sb, page_string(page, "severity"));
    sb_str(&sb, "] ");
    sb_slack(&sb, page_string(page, "summary"));
    sb_str(&sb, " (");
    const char *account_id = page_string(page, "account_id");
    if (account_id != NULL) {
        sb_str(&sb, "account ");
        sb_slack(&sb, account_id);
        sb_str(&sb, ", ");
    }
    sb_str(&sb, "page ");
    sb_slack(&sb, page_string(page, "page_id"));
    sb_str(&sb, ")");
    json_t *body = sb.oom ? NULL : json_pack("{s:s}", "text", sb.data);
    free(sb.data);
    return body;
}

/* PagerDuty's four severities; revos' own names map onto them, and an
 * unknown severity pages as "error" rather than being played down. */
static const char *pagerduty_severity(const char *severity)
{
    static const struct {
        const char *from;
        const char *to;
    } map[] = {
        {"critical", "critical"}, {"error", "error"}, {"high", "error"},
        {"warning", "warning"},   {"medium", "warning"}, {"info", "info"},
        {"low", "info"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(severity, map[i].from) == 0)
            return map[i].to;
    return "error";
}

/* The first at most max bytes of text, cut on a UTF-8 character boundary. */
static size_t utf8_prefix_len(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static json_t *pagerduty_body(const json_t *page, const char *routing_key)
{
    const char *summary = page_string(page, "summary");
    json_t *details = json_deep_copy(page);
    json_t *summary_json = json_stringn(summary, utf8_prefix_len(summary, PD_SUMMARY_MAX));
    if (details == NULL || summary_json == NULL) {
        json_decref(details);
        json_decref(summary_json);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:o, s:s, s:s, s:o}}", "routing_key", routing_key,
                     "event_action", "trigger", "dedup_key", page_string(page, "page_id"),
                     "client", "revos", "payload", "summary", summary_json, "source", "revos",
                     "severity", pagerduty_severity(page_string(page, "severity")),
                     "custom_details", details);
}

revos_status revos_webhook_build_body(const revos_webhook_target *target, const json_t *page,
                                      char **out_body, revos_err *err)
{
    *out_body = NULL;
    webhook_format format = parse_format(target->format);
    if (format == FORMAT_UNKNOWN)
        return revos_reject(err, "webhook",
                            "webhook format \"%.40s\" unknown (json, slack or pagerduty)",
                            target->format);
    if (!json_is_object(page))
        return revos_reject(err, "webhook", "page is not a JSON object");
    if (!valid_page_id(page_string(page, "page_id")))
        return revos_reject(err, "webhook",
                            "page_id missing or not 1-%d visible ASCII characters", PAGE_ID_MAX);
    if (page_string(page, "summary") == NULL || page_string(page, "severity") == NULL)
        return revos_reject(err, "webhook", "page %s lacks a string summary or severity",
                            page_string(page, "page_id"));

    json_t *body = NULL;
    switch (format) {
    case FORMAT_JSON:
        if (target->secret == NULL || target->secret[0] == '\0')
            return revos_reject(err, "webhook", "json webhook target has no signing secret");
        body = json_deep_copy(page);
        break;
    case FORMAT_SLACK:
        body = slack_body(page);
        break;
    case FORMAT_PAGERDUTY:
        if (target->secret == NULL || target->secret[0] == '\0')
            return revos_reject(err, "webhook", "pagerduty target has no routing key");
        body = pagerduty_body(page, target->secret);
        break;
    case FORMAT_UNKNOWN:
        break;
    }
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return revos_fail(err, REVOS_ERR_RETRY, "webhook: out of memory building the body");
    *out_body = text;
    return REVOS_OK;
}

/* ==== POST ==== */

/* scheme://host[:port][/path] without userinfo, query or fragment; the path
 * becomes "/..." when keep_path is false. */
static void redact_url(const char *url, bool keep_path, char *out, size_t outlen)
{
    snprintf(out, outlen, "<unparseable url>");
    CURLU *h = curl_url();
    if (h == NULL)
        return;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (url != NULL && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(h, CURLUPART_PORT, &port, 0);
        curl_url_get(h, CURLUPART_PATH, &path, 0);
        const char *shown_path = path != NULL ? path : "";
        if (!keep_path && shown_path[0] != '\0' && strcmp(shown_path, "/") != 0)
            shown_path = "/...";
        snprintf(out, outlen, "%s://%s%s%s%.200s", scheme, host, port != NULL ? ":" : "",
                 port != NULL ? port : "", shown_path);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(h);
}

typedef struct capture {
    char data[RESPONSE_CAPTURE_MAX];
    size_t len;
} capture;

static size_t capture_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    capture *cap = userdata;
    size_t n = size * nmemb;
    size_t room = sizeof cap->data - cap->len;
    size_t take = n < room ? n : room;
    memcpy(cap->data + cap->len, ptr, take);
    cap->len += take;
    return n; /* the rest is read and dropped */
}

/* Length of the valid UTF-8 sequence at p (at most avail bytes), 0 if none. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
                             : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > avail || (n == 2 && p[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* The first REVOS_WEBHOOK_EXCERPT_MAX bytes of the response as loggable
 * text: the secret masked, controls turned into spaces, invalid UTF-8 into
 * '?'. */
static void response_excerpt(capture *cap, const char *secret, char *out, size_t outlen)
{
    size_t secret_len = secret != NULL ? strlen(secret) : 0;
    if (secret_len > 0) {
        for (size_t i = 0; i + secret_len <= cap->len; i++)
            if (memcmp(cap->data + i, secret, secret_len) == 0)
                memset(cap->data + i, '*', secret_len);
    }
    size_t n = cap->len < REVOS_WEBHOOK_EXCERPT_MAX ? cap->len : REVOS_WEBHOOK_EXCERPT_MAX;
    const unsigned char *in = (const unsigned char *)cap->data;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < outlen;) {
        size_t seq = utf8_seq_len(in + i, n - i);
        if (seq == 0) {
            out[o++] = '?';
            i++;
        } else if (seq == 1) {
            out[o++] = (in[i] < 0x20 || in[i] == 0x7f) ? ' ' : (char)in[i];
            i++;
        } else {
            memcpy(out + o, in + i, seq);
            o += seq;
            i += seq;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--; /* a trailing newline, now a space */
    out[o] = '\0';
}

static bool retriable_http_status(long status)
{
    return status == 408 || status == 425 || status == 429 || status >= 500;
}

static bool permanent_curl_error(CURLcode rc)
{
    return rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

static struct curl_slist *request_headers(webhook_format format, const char *page_id,
                                          const char *secret, int64_t now_unix,
                                          const char *body, bool *ok)
{
    struct curl_slist *headers = NULL;
    char line[128 + PAGE_ID_MAX];
    const char *fixed[] = {"Content-Type: application/json", "Accept: application/json",
                           "Expect:"};
    *ok = true;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *next = curl_slist_append(headers, fixed[i]);
        *ok = *ok && next != NULL;
        headers = next != NULL ? next : headers;
    }
    snprintf(line, sizeof line, "X-Revos-Page-Id: %s", page_id);
    struct curl_slist *next = curl_slist_append(headers, line);
    *ok = *ok && next != NULL;
    headers = next != NULL ? next : headers;
    if (format == FORMAT_JSON) {
        char signature[REVOS_WEBHOOK_SIGNATURE_LEN];
        if (revos_webhook_sign(secret, now_unix, body, strlen(body), signature) != REVOS_OK) {
            *ok = false;
            return headers;
        }
        snprintf(line, sizeof line, "X-Revos-Timestamp: %" PRId64, now_unix);
        next = curl_slist_append(headers, line);
        *ok = *ok && next != NULL;
        headers = next != NULL ? next : headers;
        snprintf(line, sizeof line, "X-Revos-Signature: %s", signature);
        next = curl_slist_append(headers, line);
        *ok = *ok && next != NULL;
        headers = next != NULL ? next : headers;
    }
    return headers;
}

revos_status revos_webhook_post(const revos_webhook_target *target, const json_t *page,
                                int64_t now_unix, revos_err *err)
{
    char *body = NULL;
    revos_status status = revos_webhook_build_body(target, page, &body, err);
    if (status != REVOS_OK)
        return status;

    webhook_format format = parse_format(target->format);
    const char *page_id = page_string(page, "page_id");
    char where[320];
    redact_url(target->url, format != FORMAT_SLACK, where, sizeof where);
    if (target->url == NULL || target->url[0] == '\0') {
        free(body);
        return revos_reject(err, "webhook", "webhook target has no url");
    }
    if (format == FORMAT_JSON && now_unix < 0) {
        free(body);
        return revos_reject(err, "webhook", "webhook %s page %s: negative timestamp", where,
                            page_id);
    }

    bool headers_ok;
    struct curl_slist *headers =
        request_headers(format, page_id, target->secret, now_unix, body, &headers_ok);
    CURL *curl = curl_easy_init();
    if (!headers_ok || curl == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        free(body);
        return revos_fail(err, REVOS_ERR_RETRY, "webhook %s page %s: cannot set up the request",
                          where, page_id);
    }

    capture *response = calloc(1, sizeof *response);
    char curl_error[CURL_ERROR_SIZE] = "";
    long connect_ms = target->connect_timeout_ms > 0 ? target->connect_timeout_ms
                                                     : REVOS_WEBHOOK_CONNECT_TIMEOUT_MS;
    long total_ms = target->timeout_ms > 0 ? target->timeout_ms : REVOS_WEBHOOK_TIMEOUT_MS;
    curl_easy_setopt(curl, CURLOPT_URL, target->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "revos-webhook/1");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, capture_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);

    CURLcode rc = response != NULL ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
    long http_status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);

    if (rc != CURLE_OK) {
        const char *detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc);
        if (permanent_curl_error(rc))
            status = revos_reject(err, "webhook", "webhook %s page %s: %s (curl %d)", where,
                                  page_id, detail, (int)rc);
        else
            status = revos_fail(err, REVOS_ERR_RETRY, "webhook %s page %s: %s (curl %d)", where,
                                page_id, detail, (int)rc);
    } else if (http_status >= 200 && http_status < 300) {
        status = REVOS_OK;
    } else {
        char excerpt[REVOS_WEBHOOK_EXCERPT_MAX * 2];
        response_excerpt(response, target->secret, excerpt, sizeof excerpt);
        if (retriable_http_status(http_status))
            status = revos_fail(err, REVOS_ERR_RETRY, "webhook %s page %s: HTTP %ld: %s", where,
                                page_id, http_status, excerpt);
        else
            status = revos_reject(err, "webhook", "webhook %s page %s: HTTP %ld: %s", where,
                                  page_id, http_status, excerpt);
    }

    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(response);
    free(body);
    return status;
}
