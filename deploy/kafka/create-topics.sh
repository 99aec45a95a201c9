#!/bin/bash
# One-shot topic provisioning: the Trident services never create topics, they check at start-up
# that theirs exist. Idempotent (--if-not-exists), so re-running the init container is harmless.
set -euo pipefail

BOOTSTRAP="${BOOTSTRAP_SERVERS:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-3}"
REPLICATION="${TOPIC_REPLICATION_FACTOR:-1}"
TOPICS="${TOPICS:-users auth pictures analytics results user.deleted session.revoked users.dlq auth.dlq pictures.dlq analytics.dlq user.deleted.dlq}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

for attempt in $(seq 1 60); do
  if "$KAFKA_BIN/kafka-broker-api-versions.sh" --bootstrap-server "$BOOTSTRAP" >/dev/null 2>&1; then
    break
  fi
  echo "waiting for Kafka at $BOOTSTRAP ($attempt)"
  sleep 2
done

for topic in $TOPICS; do
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION"
done

existing="$("$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list)"
for topic in $TOPICS; do
  grep -qx -- "$topic" <<<"$existing" || { echo "topic $topic is missing" >&2; exit 1; }
done
echo "topics ready: $TOPICS"
