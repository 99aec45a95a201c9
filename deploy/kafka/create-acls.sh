#!/bin/bash
# The Kafka ACLs of a real cluster, one principal per Trident process (deploy/KAFKA_ACLS.md says why
# each one exists). Run once with an admin's credentials, after the topics exist:
#   BOOTSTRAP_SERVERS=kafka:9092 COMMAND_CONFIG=admin.properties deploy/kafka/create-acls.sh
# DRY_RUN=1 prints the kafka-acls.sh commands instead of running them. Adding an ACL that exists is
# a no-op, so re-running is harmless. Nothing here grants CREATE, ALTER or DELETE: topics are
# provisioned by the environment (create-topics.sh, the kafka-topics Job), never by a service.
set -euo pipefail

BOOTSTRAP="${BOOTSTRAP_SERVERS:-kafka:9092}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"
PRINCIPAL_PREFIX="${PRINCIPAL_PREFIX:-User:trident-}"
# Dead-letter topics (<topic>.dlq) are written by the service that consumes <topic>; set DLQ=0 on a
# cluster without them.
DLQ="${DLQ:-1}"

acl() {
  local cmd=("$KAFKA_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP")
  if [ -n "${COMMAND_CONFIG:-}" ]; then cmd+=(--command-config "$COMMAND_CONFIG"); fi
  cmd+=(--add "$@")
  if [ -n "${DRY_RUN:-}" ]; then
    printf '%q ' "${cmd[@]}"
    echo
  else
    "${cmd[@]}"
  fi
}

# write PROCESS TOPIC...: produce to the topics. Not kafka-acls.sh --producer, which adds CREATE.
write() {
  local who="$1"; shift
  for topic in "$@"; do
    acl --allow-principal "$PRINCIPAL_PREFIX$who" --operation Write --operation Describe --topic "$topic"
  done
}

# consume PROCESS TOPIC GROUP: read a topic as a member of a consumer group (offsets committed there).
consume() {
  acl --allow-principal "$PRINCIPAL_PREFIX$1" --operation Read --operation Describe --topic "$2"
  acl --allow-principal "$PRINCIPAL_PREFIX$1" --operation Read --group "$3"
}

# read_all PROCESS TOPIC: read every partition without a group (callers waiting for their replies).
read_all() {
  acl --allow-principal "$PRINCIPAL_PREFIX$1" --operation Read --operation Describe --topic "$2"
}

# Requests: the gateway calls every service; auth calls users (signup, login) over any transport.
write gateway users auth pictures analytics
write auth users
for service in users auth pictures analytics; do
  consume "$service" "$service" "$service"
done

# Replies: every service answers callers on `results`; each calling instance reads it whole.
for service in users auth pictures analytics; do
  write "$service" results
done
read_all gateway results
read_all auth results

# Domain events: only users announces a deletion; pictures and auth act on it. Only auth ends sessions.
write users user.deleted
write auth session.revoked
consume pictures user.deleted pictures.user.deleted
consume auth user.deleted auth.user.deleted
# Every process stops accepting the tokens of a deleted user or an ended session: each reads both whole.
for process in gateway users auth pictures analytics; do
  read_all "$process" user.deleted
  read_all "$process" session.revoked
done

if [ "$DLQ" = 1 ]; then
  for service in users auth pictures analytics; do
    write "$service" "$service.dlq"
  done
  write pictures user.deleted.dlq
  write auth user.deleted.dlq
fi
