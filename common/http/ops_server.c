/* ops_server.c -- /healthz, /readyz and /metrics on libmicrohttpd.
 *
 * We create, bind and listen on the socket ourselves and hand it to
 * libmicrohttpd (MHD_OPTION_LISTEN_SOCKET). That way a port already in use
 * is reported with the real errno ("Address already in use") instead of
 * MHD's bare NULL, and getsockname tells us which port an ephemeral bind
 * got. libmicrohttpd closes the socket when the daemon stops.
 *
 * Readiness is an atomic flag plus a reason string and the list of missing
 * parts; the strings are copied under a small mutex because a string cannot
 * be swapped atomically without allocation, and the critical sections are a
 * bounded memcpy on either side. /readyz answers JSON built with jansson (so
 * a reason quoting an error message is escaped properly).
 * Every response body is a malloc'd buffer that libmicrohttpd frees. */
#include "http/ops_server.h"

#include "log/log.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OPS_REASON_MAX 256
#define OPS_CONNECTION_LIMIT 64
#define OPS_CONNECTION_TIMEOUT_S 10

struct revos_ops {
    struct MHD_Daemon *daemon;
    revos_metrics *metrics;
    int port;
    atomic_int ready;
    pthread_mutex_t reason_lock;
    char reason[OPS_REASON_MAX];
    char missing[OPS_REASON_MAX]; /* comma-separated parts, e.g. "kafka,assignment" */
};

/* ==== Responses (server thread) ==== */

static enum MHD_Result respond(struct MHD_Connection *connection, unsigned int status,
                               const char *content_type, char *body, size_t len)
{
    /* body is malloc'd (or NULL for an empty body); MHD frees it. */
    struct MHD_Response *response =
        MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (response == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result respond_text(struct MHD_Connection *connection, unsigned int status,
                                    const char *text)
{
    char *body = strdup(text);
    if (body == NULL)
        return MHD_NO;
    return respond(connection, status, "text/plain; charset=utf-8", body, strlen(body));
}

static enum MHD_Result answer_readyz(revos_ops *ops, struct MHD_Connection *connection)
{
    char reason[OPS_REASON_MAX];
    char missing[OPS_REASON_MAX];
    int ready;
    pthread_mutex_lock(&ops->reason_lock);
    ready = atomic_load(&ops->ready);
    memcpy(reason, ops->reason, sizeof reason);
    memcpy(missing, ops->missing, sizeof missing);
    pthread_mutex_unlock(&ops->reason_lock);
    json_t *doc = json_object();
    json_t *parts = json_array();
    if (doc == NULL || parts == NULL) {
        json_decref(doc);
        json_decref(parts);
        return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (!ready) {
        char *save = NULL;
        for (char *part = strtok_r(missing, ",", &save); part != NULL;
             part = strtok_r(NULL, ",", &save))
            json_array_append_new(parts, json_string(part));
    }
    json_object_set_new(doc, "ready", json_boolean(ready));
    json_object_set_new(doc, "missing", parts);
    json_object_set_new(doc, "reason",
                        json_string(reason[0] != '\0' ? reason : ready ? "ready" : "not ready"));
    char *body = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(doc);
    if (body == NULL)
        return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return respond(connection, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                   "application/json", body, strlen(body));
}

static enum MHD_Result answer_metrics(revos_ops *ops, struct MHD_Connection *connection)
{
    char *text = ops->metrics != NULL ? revos_metrics_render(ops->metrics) : strdup("");
    if (text == NULL)
        return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return respond(connection, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
                   strlen(text));
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *connection,
                                      const char *url, const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    revos_ops *ops = cls;

    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
    if (strcmp(url, "/healthz") == 0)
        return respond_text(connection, MHD_HTTP_OK, "ok");
    if (strcmp(url, "/readyz") == 0)
        return answer_readyz(ops, connection);
    if (strcmp(url, "/metrics") == 0)
        return answer_metrics(ops, connection);
    return respond_text(connection, MHD_HTTP_NOT_FOUND, "not found");
}

/* libmicrohttpd's own diagnostics, routed into the JSON log. */
__attribute__((format(printf, 2, 0))) static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    revos_log_warn("ops server: %s", line);
}

/* ==== Start and stop (main thread) ==== */

/* Binds and listens on bind_addr:port; returns the socket or -1 with err. */
static int open_listener(const char *bind_addr, int port, revos_err *err)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    const char *host = (bind_addr != NULL && bind_addr[0] != '\0') ? bind_addr : "0.0.0.0";

    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo *addrs = NULL;
    int rc = getaddrinfo(host, service, &hints, &addrs);
    if (rc != 0) {
        revos_fail(err, REVOS_ERR_FATAL, "ops endpoint: cannot resolve bind address %s: %s",
                   host, gai_strerror(rc));
        return -1;
    }

    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = addrs; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        /* Lets a restarted worker rebind while old connections sit in
         * TIME_WAIT; on Linux it does not let two listeners share a port. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
            last_errno = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(addrs);
    if (fd < 0)
        revos_fail(err, REVOS_ERR_FATAL, "ops endpoint: cannot listen on %s:%d: %s", host, port,
                   strerror(last_errno));
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        return -1;
    if (addr.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return -1;
}

revos_status revos_ops_start(revos_ops **out, const char *bind_addr, int port,
                             revos_metrics *metrics, revos_err *err)
{
    *out = NULL;
    if (port == REVOS_OPS_PORT_DISABLED)
        return REVOS_OK;
    if (port < 0 || port > 65535)
        return revos_fail(err, REVOS_ERR_FATAL,
                          "ops endpoint: port %d out of range (0-65535, or -1 to disable)", port);

    revos_ops *ops = calloc(1, sizeof *ops);
    if (ops == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "ops endpoint: out of memory");
    if (pthread_mutex_init(&ops->reason_lock, NULL) != 0) {
        free(ops);
        return revos_fail(err, REVOS_ERR_FATAL, "ops endpoint: cannot create mutex");
    }
    ops->metrics = metrics;
    atomic_init(&ops->ready, 0);
    snprintf(ops->reason, sizeof ops->reason, "starting");

    int fd = open_listener(bind_addr, port, err);
    if (fd < 0) {
        pthread_mutex_destroy(&ops->reason_lock);
        free(ops);
        return REVOS_ERR_FATAL;
    }
    ops->port = bound_port(fd);

    ops->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle_request, ops,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, /* first, so it sees every message */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)OPS_CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)OPS_CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (ops->daemon == NULL) {
        /* Not closing fd: whether MHD already closed it on this path varies
         * by version, and a double close could hit another thread's new
         * descriptor. The caller exits on this fatal error anyway. */
        pthread_mutex_destroy(&ops->reason_lock);
        free(ops);
        return revos_fail(err, REVOS_ERR_FATAL,
                          "ops endpoint: cannot start HTTP server on port %d", port);
    }
    *out = ops;
    return REVOS_OK;
}

void revos_ops_set_ready(revos_ops *ops, int ready, const char *reason)
{
    revos_ops_set_readiness(ops, ready, reason, NULL);
}

void revos_ops_set_readiness(revos_ops *ops, int ready, const char *reason, const char *missing)
{
    if (ops == NULL)
        return;
    /* Strings and flag change together, so a scrape that sees "not ready"
     * sees its reason and its missing parts. While ready, a reason is a
     * detail worth showing (a refused configuration); "ok" is none. */
    if (ready && reason != NULL && strcmp(reason, "ok") == 0)
        reason = NULL;
    pthread_mutex_lock(&ops->reason_lock);
    snprintf(ops->reason, sizeof ops->reason, "%s", reason != NULL ? reason : "");
    snprintf(ops->missing, sizeof ops->missing, "%s", !ready && missing != NULL ? missing : "");
    atomic_store(&ops->ready, ready ? 1 : 0);
    pthread_mutex_unlock(&ops->reason_lock);
}

int revos_ops_port(const revos_ops *ops)
{
    return ops != NULL ? ops->port : -1;
}

void revos_ops_stop(revos_ops *ops)
{
    if (ops == NULL)
        return;
    MHD_stop_daemon(ops->daemon);
    pthread_mutex_destroy(&ops->reason_lock);
    free(ops);
}
