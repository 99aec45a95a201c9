"""Offsets committed only over finished work, and the reply-topic rule, without sockets."""

from __future__ import annotations

from aiokafka import TopicPartition

from internal.common import mq

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
