# syntax=docker/dockerfile:1
# revos container image: every binary (the five workers, revosctl,
# revos-webhook-sink, revos-mock-broker), the governed config and the Avro
# schemas, on Debian 12 slim, running as an unprivileged user.
#
#   docker build -t revos .
#   docker run --rm -e REVOS_KAFKA_BROKERS=... -e REVOS_PG_DSN_FILE=/run/secrets/dsn revos score
#   docker run --rm ... revos revosctl migrate
#
# The command chooses the process (a worker's short name or any binary);
# deploy/entrypoint reads *_FILE secrets, waits for Kafka and PostgreSQL and
# execs it, so SIGTERM reaches the worker. Configuration comes only from the
# environment and mounted files (REVOS_CONFIG_DIR defaults to /etc/revos).

# ---- build: the same Debian 12 toolchain and -dev packages as deploy/deps
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      librdkafka-dev libavro-dev libjansson-dev libpq-dev \
      libmicrohttpd-dev libcurl4-openssl-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY common common
COPY workers workers
COPY tools tools
COPY schemas schemas
COPY config config
# The image carries no tests: tests/run builds and runs them outside.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREVOS_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/install cmake --install /build --prefix /usr/local
COPY deploy/entrypoint /install/usr/local/bin/revos-entrypoint

# ---- runtime: only the shared libraries the binaries link, bash for the
# entrypoint and curl for health checks (`curl -fsS localhost:9400/readyz`)
FROM debian:12-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libavro23 libjansson4 libpq5 libmicrohttpd12 libcurl4 libssl3 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 revos \
 && useradd --system --uid 10001 --gid revos --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin revos
COPY --from=build /install/usr/local/ /usr/local/
RUN mkdir -p /etc/revos \
 && cp -r /usr/local/etc/revos/. /etc/revos/ \
 && chmod 0755 /usr/local/bin/revos-entrypoint
ENV REVOS_CONFIG_DIR=/etc/revos \
    REVOS_HTTP_PORT=9400 \
    REVOS_HTTP_BIND=0.0.0.0
EXPOSE 9400
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/revos-entrypoint"]
CMD ["revosctl"]
