#!/usr/bin/env bash
# The reference walkthrough against the real Kafka broker and PostgreSQL of
# the local stack (tests/run starts them), logging every record.
set -uo pipefail
: "${REVOS_KAFKA_BROKERS:?start the local stack: eval \"\$(deploy/local/up)\"}"
: "${REVOS_PG_DSN:?start the local stack: eval \"\$(deploy/local/up)\"}"
# debug: every record's log line, so the walkthrough follows a page's trace
export REVOS_LOG_LEVEL=debug
exec bash "$(dirname "$0")/walkthrough.sh"
