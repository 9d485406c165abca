/* webhook.h -- the page sender's HTTP client (libcurl) and its signature.
 *
 * revos-route pages owners by POSTing one JSON document per page to a
 * configured target, in one of three shapes (the target's `format`):
 *
 *   "json"       the page object itself, HMAC-signed (the generic webhook):
 *                  X-Revos-Timestamp: <unix seconds>
 *                  X-Revos-Signature: sha256=<hex HMAC-SHA256(secret,
 *                                     "<timestamp>.<body>")>
 *   "slack"      a Slack incoming webhook: {"text": "..."} built from the
 *                page's severity, summary, account and page id. The URL is
 *                the credential; `secret` is unused.
 *   "pagerduty"  a PagerDuty Events API v2 trigger event; `secret` is the
 *                integration's routing key, page_id the dedup_key, and the
 *                page travels as payload.custom_details.
 *
 * Every request carries Content-Type: application/json and
 * X-Revos-Page-Id: <page_id>, an idempotency key a receiver can use to
 * ignore a page delivered twice (the sender retries; a page may arrive more
 * than once, it must take effect once).
 *
 * Outcome classes (see core/status.h):
 *   2xx                                     REVOS_OK
 *   408, 425, 429, 5xx, connect/timeout/    REVOS_ERR_RETRY (try again later,
 *   other transport errors                  with backoff)
 *   other 4xx, 3xx, malformed URL, bad page REVOS_ERR_INPUT (permanent: retrying
 *                                           the same request cannot succeed;
 *                                           err->cls is "webhook")
 * Messages name the status or curl error and, for a rejection, the first 200
 * bytes of the response body. They never contain the secret; URLs in them
 * lose their userinfo, query and fragment (and, for Slack, whose path is the
 * token, their path).
 *
 * revos_webhook_sign/revos_webhook_verify are the one definition of the
 * signature, shared by the sender, the test receiver (revos-webhook-sink)
 * and the tests.
 *
 * Threads: revos_http_global_init/cleanup are for the main thread, before any
 * other thread starts and after all have stopped. Everything else may be
 * called from any thread (each post uses its own curl handle). */
#ifndef REVOS_HTTP_WEBHOOK_H
#define REVOS_HTTP_WEBHOOK_H

#include "core/status.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* "sha256=" + 64 hex digits + NUL */
#define REVOS_WEBHOOK_SIGNATURE_LEN 72
#define REVOS_WEBHOOK_CONNECT_TIMEOUT_MS 3000L
#define REVOS_WEBHOOK_TIMEOUT_MS 10000L
/* How much of a rejecting response's body goes into the error message. */
#define REVOS_WEBHOOK_EXCERPT_MAX 200

typedef struct revos_webhook_target {
    const char *url;          /* http:// or https:// only */
    const char *secret;       /* json: HMAC key; pagerduty: routing key;
                                 slack: unused (may be NULL) */
    const char *format;       /* "json" (also when NULL), "slack", "pagerduty" */
    long connect_timeout_ms;  /* <= 0 means REVOS_WEBHOOK_CONNECT_TIMEOUT_MS */
    long timeout_ms;          /* whole request; <= 0 means REVOS_WEBHOOK_TIMEOUT_MS */
} revos_webhook_target;

/* Main thread, once, before any thread starts: initializes libcurl. */
revos_status revos_http_global_init(revos_err *err);

/* Main thread, once, after every thread has stopped. */
void revos_http_global_cleanup(void);

/* 1 when format names a supported shape ("json", "slack", "pagerduty", or
 * NULL meaning "json"), else 0. For validating configuration up front. */
int revos_webhook_format_valid(const char *format);

/* Writes "sha256=<64 lowercase hex>" into out: the HMAC-SHA256, keyed with
 * secret, of the decimal timestamp, a '.', and the len bytes of body.
 * REVOS_ERR_INPUT for a NULL or empty secret or a negative timestamp,
 * REVOS_ERR_FATAL if libcrypto fails; out is then the empty string. */
revos_status revos_webhook_sign(const char *secret, int64_t timestamp, const char *body,
                                size_t len, char out[REVOS_WEBHOOK_SIGNATURE_LEN]);

/* 1 when signature_header is the signature of body at timestamp_header
 * (decimal unix seconds) under secret, and the timestamp is within
 * max_skew_seconds of now (either side; a negative skew counts as 0);
 * otherwise 0, including for NULL or malformed headers and an empty secret.
 * The hex digits compare case-insensitively, in constant time. */
int revos_webhook_verify(const char *secret, const char *timestamp_header,
                         const char *signature_header, const char *body, size_t len,
                         int64_t now, int64_t max_skew_seconds);

/* Builds the request body target->format calls for from page, which must
 * be an object with string members page_id (1-255 visible ASCII
 * characters), summary and severity; account_id is used when present.
 * *out_body is malloc'd (caller frees). REVOS_ERR_INPUT for a bad page,
 * an unknown format or a pagerduty target without a routing key. */
revos_status revos_webhook_build_body(const revos_webhook_target *target, const json_t *page,
                                      char **out_body, revos_err *err);

/* POSTs page to target (see the file comment for shapes, headers and
 * outcome classes). now_unix is the signing timestamp. Blocks up to the
 * target's timeouts. */
revos_status revos_webhook_post(const revos_webhook_target *target, const json_t *page,
                                int64_t now_unix, revos_err *err);

#endif
