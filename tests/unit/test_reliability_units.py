"""Offsets committed only over finished work, and the reply-topic rule, without sockets."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from internal.common import mq
from internal.common.errors import Unauthenticated
from internal.common.tokens import InternalTokens

TP = TopicPartition("pictures", 0)


def test_only_the_contiguous_prefix_of_finished_offsets_is_committable() -> None:
    tracker = mq.OffsetTracker()
    for offset in (10, 11, 12, 13):
        tracker.started(TP, offset)
    assert tracker.finished(TP, 12) is None  # 10 and 11 are still being handled
    assert tracker.finished(TP, 11) is None
    assert tracker.finished(TP, 10) == 13  # 10, 11, 12 done: the next to read is 13
    assert tracker.in_flight(TP) == 1
    assert tracker.finished(TP, 13) == 14
    assert tracker.in_flight(TP) == 0


def test_partitions_are_tracked_apart_and_unknown_offsets_are_ignored() -> None:
    tracker = mq.OffsetTracker()
    other = TopicPartition("pictures", 1)
    tracker.started(TP, 0)
    tracker.started(other, 5)
    assert tracker.finished(other, 5) == 6
    assert tracker.finished(TP, 7) is None
    assert tracker.finished(TP, 0) == 1


def test_replies_go_only_to_allowed_topics_and_never_to_request_or_event_topics() -> None:
    forbidden = {"users", "pictures", "user.deleted", "users.dlq"}

    def allowed(topic: str, extra: tuple[str, ...] = ()) -> bool:
        return mq.reply_allowed(topic, ("results", *extra), ("results.",), forbidden)

    assert allowed("results")
    assert allowed("results.gateway-7f3a")  # a per-instance reply topic
    assert not allowed("results.")
    assert not allowed("user.deleted")
    assert not allowed("user.deleted", extra=("user.deleted",))  # not even when configured
    assert not allowed("users")
    assert not allowed("made-up")
    assert not allowed("")


def test_every_consumed_topic_has_a_provisioned_dead_letter_topic() -> None:
    from internal.services.registry import REGISTRY

    contract = REGISTRY.contract()
    topics = mq.system_topics(contract, "results")
    for consumed in (*contract.services, "user.deleted"):
        assert mq.dead_letter_topic(consumed) in topics
    # Replies and revocations are read whole by every instance, not by a group: nothing to dead-letter.
    assert "results.dlq" not in topics and "session.revoked.dlq" not in topics


def test_an_event_token_signs_one_record_only() -> None:
    users = InternalTokens("k" * 40, "users")
    token = users.mint_event("user.deleted", "e1", b"payload", user_id="u1")
    claims = users.verify_event(token, "user.deleted", "e1", b"payload")
    assert (claims.caller, claims.user_id) == ("users", "u1")
    # Lifted onto other bytes, another event id or another topic, it signs nothing.
    for topic, event_id, value in [("user.deleted", "e1", b"other"), ("user.deleted", "e2", b"payload"),
                                   ("session.revoked", "e1", b"payload"), ("user.deleted", "", b"payload")]:
        with pytest.raises(Unauthenticated):
            users.verify_event(token, topic, event_id, value)
    # Nor is an ordinary internal call token an event token, nor a token of another system's key.
    with pytest.raises(Unauthenticated):
        users.verify_event(users.mint("u1", ""), "user.deleted", "e1", b"payload")
    with pytest.raises(Unauthenticated):
        InternalTokens("x" * 40, "users").verify_event(token, "user.deleted", "e1", b"payload")
