#!/usr/bin/env bash
# The reference walkthrough against the real Kafka broker and PostgreSQL of
# the local stack (tests/run starts them).
set -uo pipefail
: "${REVOS_KAFKA_BROKERS:?start the local stack: eval \"\$(deploy/local/up)\"}"
: "${REVOS_PG_DSN:?start the local stack: eval \"\$(deploy/local/up)\"}"
exec bash "$(dirname "$0")/walkthrough.sh"
