/* ops_server.h -- the ops endpoint every worker exposes (REVOS_HTTP_PORT).
 *
 * A small HTTP server on libmicrohttpd's own polling thread, answering:
 *
 *   GET /healthz  200 "ok"                     the process is alive
 *   GET /readyz   200 {"ready":true,"missing":[],"reason":"ready"}
 *                 503 {"ready":false,"missing":["kafka","assignment"],
 *                      "reason":"<why>"}       ...or what is missing and why
 *                                              (initially reason "starting")
 *                 (Content-Type: application/json)
 *   GET /metrics  200 Prometheus text format   the revos_metrics registry
 *                 (Content-Type: text/plain; version=0.0.4; charset=utf-8)
 *   other paths   404
 *   other methods 405 (HEAD is answered like GET, without a body)
 *
 * Other bodies are plain text without a trailing newline (as Kubernetes'
 * own /healthz does).
 *
 * Threads: revos_ops_start and revos_ops_stop belong to the main thread.
 * revos_ops_set_ready may be called from any thread (the worker loop, a
 * rebalance callback); revos_ops_port from any thread. Requests are answered
 * on the server's thread, which only reads the readiness state and renders
 * the metrics registry (itself safe to render concurrently). */
#ifndef REVOS_HTTP_OPS_SERVER_H
#define REVOS_HTTP_OPS_SERVER_H

#include "core/status.h"
#include "http/metrics.h"

/* Port value meaning "no ops endpoint". Port 0 means an ephemeral port. */
#define REVOS_OPS_PORT_DISABLED (-1)

typedef struct revos_ops revos_ops;

/* Starts the ops server on bind_addr:port. bind_addr is a numeric IPv4 or
 * IPv6 address or a host name; NULL or "" means 0.0.0.0. port -1 disables
 * the endpoint: returns REVOS_OK with *out = NULL, and every other function
 * here accepts that NULL. port 0 binds an ephemeral port (see
 * revos_ops_port). metrics may be NULL (then /metrics is empty) and must
 * outlive the server. Failures (address in use, bad address, port out of
 * range) return REVOS_ERR_FATAL with a message naming the address. The
 * server starts not ready, reason "starting". */
revos_status revos_ops_start(revos_ops **out, const char *bind_addr, int port,
                             revos_metrics *metrics, revos_err *err);

/* Any thread. Sets readiness; reason (copied, at most 255 bytes kept) is
 * the /readyz body while not ready. While ready, a reason other than NULL
 * or "ok" is a detail worth seeing (e.g. a refused configuration version):
 * the body is then "ready: <reason>". NULL ops is a no-op. */
void revos_ops_set_ready(revos_ops *ops, int ready, const char *reason);

/* Any thread. Same, with the parts that are missing while not ready, as a
 * comma-separated list ("kafka", "postgres", "assignment", ...; copied, at
 * most 255 bytes kept), rendered as the /readyz body's "missing" array.
 * revos_ops_set_ready is this with no missing parts. */
void revos_ops_set_readiness(revos_ops *ops, int ready, const char *reason, const char *missing);

/* Any thread. The port actually bound (useful after asking for port 0), or
 * -1 when ops is NULL (endpoint disabled). */
int revos_ops_port(const revos_ops *ops);

/* Main thread. Stops the server, waits for its thread, frees ops. NULL is a
 * no-op. */
void revos_ops_stop(revos_ops *ops);

#endif
