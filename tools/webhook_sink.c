/* webhook_sink.c -- revos-webhook-sink, a page receiver for tests and the
 * walkthrough.
 *
 *   revos-webhook-sink --port N --out FILE [--secret-file PATH] [--fail-first K]
 *                      [--max-skew SECONDS] [--accept-unsigned]
 *
 * The signing secret is the sender's: REVOS_PAGE_WEBHOOK_SECRET from the
 * environment, or the first line of --secret-file. It is never taken from
 * the command line (other users of the machine can read argv).
 *
 * Listens on 127.0.0.1:N (N = 0 picks a free port) and accepts POSTs on any
 * path. Each request's X-Revos-Timestamp / X-Revos-Signature headers are
 * checked with revos_webhook_verify, the same definition the sender signs
 * with, allowing --max-skew seconds of clock difference (default 300). Every
 * POST appends one JSON line to FILE, flushed at once:
 *
 *   {"path": "/hook", "page_id": "p-1" | null, "valid": true | false,
 *    "status": 200, "body": <parsed JSON body, or the raw text if it is not
 *    JSON>, "received_at": "2024-05-01T12:00:00.000Z"}
 *
 * Answers: 401 for a bad or missing signature (unless --accept-unsigned,
 * for Slack/PagerDuty-shaped pages, which are not signed); otherwise 503 for
 * the first K correctly signed requests (--fail-first, to exercise the
 * sender's retries), then 200. Bodies over 1 MiB get 413; methods other
 * than POST get 405 and are not recorded.
 *
 * Prints "listening on 127.0.0.1:<port>" to stderr once it accepts
 * connections, and exits 0 on SIGTERM or SIGINT. The main thread only waits
 * for the signal; requests are handled on libmicrohttpd's single polling
 * thread, which alone touches the output file and the counters. */
#include "http/webhook.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SINK_BODY_MAX (1024 * 1024)

static struct {
    const char *secret;
    FILE *out;
    long fail_first;
    long max_skew;
    bool accept_unsigned;
    long signed_requests; /* correctly signed requests so far */
} sink;

typedef struct request {
    char *data;
    size_t len;
    size_t cap;
    bool too_large;
} request;

/* ==== Options ==== */

static void usage(void)
{
    fprintf(stderr, "usage: revos-webhook-sink --port N --out FILE [--secret-file PATH] [--fail-first K]\n"
                    "                          [--max-skew SECONDS] [--accept-unsigned]\n"
                    "       the secret: REVOS_PAGE_WEBHOOK_SECRET, or the first line of --secret-file\n");
}

/* The first line of path, without its line end, into out; false (and a
 * message that does not show the file's content) when it cannot. */
static bool read_secret(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "revos-webhook-sink: cannot read the secret file %s: %s\n", path,
                strerror(errno));
        return false;
    }
    bool ok = fgets(out, (int)outlen, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    if (!ok || out[0] == '\0') {
        fprintf(stderr, "revos-webhook-sink: the secret file %s is empty\n", path);
        return false;
    }
    return true;
}

static bool parse_long(const char *text, long min, long max, long *out)
{
    if (text == NULL || text[0] == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

/* ==== Requests (server thread) ==== */

/* "2024-05-01T12:00:00.000Z" */
static void now_iso8601(char out[64])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char seconds[32];
    strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 64, "%s.%03dZ", seconds, (int)(now.tv_nsec / 1000000));
}

static void record(const char *path, const char *page_id, bool valid, unsigned int status,
                   const request *req)
{
    json_t *body = NULL;
    if (!req->too_large) {
        body = json_loadb(req->data != NULL ? req->data : "", req->len, JSON_DECODE_ANY, NULL);
        if (body == NULL)
            body = json_stringn(req->data != NULL ? req->data : "", req->len);
    }
    char received_at[64];
    now_iso8601(received_at);
    json_t *line = json_pack("{s:s, s:s?, s:b, s:i, s:o?, s:s}", "path", path, "page_id", page_id,
                             "valid", valid, "status", (int)status, "body", body, "received_at",
                             received_at);
    if (line == NULL || json_dumpf(line, sink.out, JSON_COMPACT) != 0 ||
        fputc('\n', sink.out) == EOF || fflush(sink.out) != 0)
        fprintf(stderr, "revos-webhook-sink: cannot write a record: %s\n", strerror(errno));
    json_decref(line);
}

static enum MHD_Result answer(struct MHD_Connection *connection, unsigned int status,
                              const char *text)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (response == NULL)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static void append(request *req, const char *data, size_t n)
{
    if (req->too_large)
        return;
    if (req->len + n > SINK_BODY_MAX) {
        req->too_large = true;
        return;
    }
    if (req->len + n > req->cap) {
        size_t cap = req->cap != 0 ? req->cap : 4096;
        while (cap < req->len + n)
            cap *= 2;
        char *grown = realloc(req->data, cap);
        if (grown == NULL) {
            req->too_large = true;
            return;
        }
        req->data = grown;
        req->cap = cap;
    }
    memcpy(req->data + req->len, data, n);
    req->len += n;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)version;
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return answer(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");

    request *req = *req_cls;
    if (req == NULL) {
        *req_cls = calloc(1, sizeof(request));
        return *req_cls != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        append(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    const char *page_id = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                      "X-Revos-Page-Id");
    if (req->too_large) {
        record(url, page_id, false, MHD_HTTP_CONTENT_TOO_LARGE, req);
        return answer(connection, MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n");
    }
    const char *timestamp = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                        "X-Revos-Timestamp");
    const char *signature = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                        "X-Revos-Signature");
    bool valid = revos_webhook_verify(sink.secret, timestamp, signature,
                                      req->data != NULL ? req->data : "", req->len,
                                      (int64_t)time(NULL), sink.max_skew) == 1;

    unsigned int status;
    const char *text;
    if (!valid && !sink.accept_unsigned) {
        status = MHD_HTTP_UNAUTHORIZED;
        text = "bad signature\n";
    } else if (valid && ++sink.signed_requests <= sink.fail_first) {
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        text = "failing on purpose (--fail-first)\n";
    } else {
        status = MHD_HTTP_OK;
        text = "ok\n";
    }
    record(url, page_id, valid, status, req);
    return answer(connection, status, text);
}

static void request_done(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    request *req = *req_cls;
    if (req != NULL) {
        free(req->data);
        free(req);
    }
    *req_cls = NULL;
}

/* ==== Main ==== */

int main(int argc, char **argv)
{
    static char secret_buf[1024];
    long port = -1;
    const char *out_path = NULL;
    sink.max_skew = 300;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage();
            return 0;
        }
        if (strcmp(arg, "--accept-unsigned") == 0) {
            sink.accept_unsigned = true;
            continue;
        }
        const char *value = i + 1 < argc ? argv[++i] : NULL;
        bool ok;
        if (strcmp(arg, "--port") == 0) {
            ok = parse_long(value, 0, 65535, &port);
        } else if (strcmp(arg, "--secret") == 0) {
            fprintf(stderr, "revos-webhook-sink: --secret is refused (a command line is visible to "
                            "every user): set REVOS_PAGE_WEBHOOK_SECRET or use --secret-file\n");
            return 2;
        } else if (strcmp(arg, "--secret-file") == 0) {
            ok = value != NULL && read_secret(value, secret_buf, sizeof secret_buf);
            if (ok)
                sink.secret = secret_buf;
        } else if (strcmp(arg, "--out") == 0) {
            out_path = value;
            ok = value != NULL && value[0] != '\0';
        } else if (strcmp(arg, "--fail-first") == 0) {
            ok = parse_long(value, 0, LONG_MAX, &sink.fail_first);
        } else if (strcmp(arg, "--max-skew") == 0) {
            ok = parse_long(value, 0, LONG_MAX, &sink.max_skew);
        } else {
            fprintf(stderr, "revos-webhook-sink: unknown option %s\n", arg);
            usage();
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "revos-webhook-sink: bad or missing value for %s\n", arg);
            usage();
            return 2;
        }
    }
    if (sink.secret == NULL) {
        const char *env = getenv("REVOS_PAGE_WEBHOOK_SECRET");
        if (env != NULL && env[0] != '\0')
            sink.secret = env;
    }
    if (port < 0 || out_path == NULL) {
        usage();
        return 2;
    }
    if (sink.secret == NULL) {
        fprintf(stderr, "revos-webhook-sink: no secret: set REVOS_PAGE_WEBHOOK_SECRET or use "
                        "--secret-file\n");
        return 2;
    }

    sink.out = fopen(out_path, "a");
    if (sink.out == NULL) {
        fprintf(stderr, "revos-webhook-sink: cannot open %s: %s\n", out_path, strerror(errno));
        return 1;
    }

    /* Block the signals before MHD's thread starts so it inherits the mask
     * and only the main thread's sigwait receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handle, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, request_done,
        NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "revos-webhook-sink: cannot listen on 127.0.0.1:%ld (port in use?)\n",
                port);
        fclose(sink.out);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on 127.0.0.1:%u\n", info != NULL ? (unsigned)info->port : 0u);
    fflush(stderr);

    int received = 0;
    sigwait(&stop_signals, &received);

    MHD_stop_daemon(daemon);
    fclose(sink.out);
    return 0;
}
