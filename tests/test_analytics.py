"""Every gateway call becomes a call log; analytics reports them per transport, service and method."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import analytics_pb2
from internal.common.tokens import InternalTokens
from internal.services.analytics.service import bucket_seconds_for
from tests.client import TRANSPORTS, GatewayClient, Reply
from tests.conftest import RunningSystem


async def test_calls_over_every_transport_are_counted_per_transport(gateway: GatewayClient) -> None:
    token = await gateway.token("rest")
    me = await gateway.request("GET", "/rest/me", token=token)
    user_id = me.body["id"]
    planned = {"rest": 2, "grpc": 3, "events": 4}
    for transport, count in planned.items():
        for _ in range(count):
            assert (await gateway.request("GET", f"/{transport}/pictures", token=token)).status == 200
        missing = await gateway.request(
            "GET", f"/{transport}/pictures/00000000-0000-4000-8000-000000000000", token=token
        )
        assert missing.status == 404

    async def mine() -> Counter[tuple[str, str, int]]:
        reply = await gateway.request(
            "GET", "/grpc/analytics", token=token, params={"limit": "500", "service": "pictures"}
        )
        assert reply.status == 200
        return Counter(
            (log["transport"], log["method"], log["status"])
            for log in reply.body.get("logs", [])
            if log.get("user_id") == user_id
        )

    expected = Counter(
        {
            **{(t, "listPictures", 200): n for t, n in planned.items()},
            **{(t, "getPicture", 404): 1 for t in TRANSPORTS},
        }
    )
    async with asyncio.timeout(20):
        while (seen := await mine()) != expected:
            assert not (seen - expected), f"more calls logged than made: {seen - expected}"
            await asyncio.sleep(0.2)

    reply = await gateway.request("GET", "/events/analytics", token=token)
    stats = {(s["transport"], s["service"], s["method"]): s for s in reply.body["stats"]}
    for transport in TRANSPORTS:
        listing = stats[(transport, "pictures", "listPictures")]
        assert listing["count"] >= planned[transport]
        assert 0 < listing["p50_ms"] <= listing["p95_ms"]
        assert stats[(transport, "pictures", "getPicture")]["error_count"] >= 1
    logs = reply.body["logs"]
    assert 12 <= len(logs) <= 50  # at most the default page of latest calls
    times = [log["time"] for log in logs]
    assert times == sorted(times, reverse=True)


async def test_analytics_filters_by_transport(gateway: GatewayClient) -> None:
    token = await gateway.token("grpc")
    for transport in TRANSPORTS:
        assert (await gateway.request("GET", f"/{transport}/me", token=token)).status == 200
    async with asyncio.timeout(20):  # call logs are stored in batches
        while not (
            reply := await gateway.request(
                "GET", "/rest/analytics", token=token, params={"transport": "grpc", "limit": "20"}
            )
        ).body.get("logs"):
            await asyncio.sleep(0.2)
    assert reply.status == 200
    assert reply.body["logs"] and {log["transport"] for log in reply.body["logs"]} == {"grpc"}
    assert {s["transport"] for s in reply.body["stats"]} == {"grpc"}
    bad = await gateway.request("GET", "/rest/analytics", token=token, params={"limit": "100000"})
    assert (bad.status, bad.error_code) == (400, "INVALID_ARGUMENT")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def assert_consistent(body: dict[str, Any], limit: int) -> None:
    """What a chart and a table built from one reply rely on: the parts of the reply add up."""
    stats, buckets, logs = body.get("stats", []), body.get("buckets", []), body.get("logs", [])
    total = body.get("total", 0)
    assert sum(s["count"] for s in stats) == total == sum(b.get("count", 0) for b in buckets)
    assert sum(s.get("error_count", 0) for s in stats) == sum(b.get("error_count", 0) for b in buckets)
    assert len(logs) == min(limit, total)
    per_transport: Counter[str] = Counter()
    for s in stats:
        per_transport[s["transport"]] += s["count"]
    bucket_counts: Counter[str] = Counter()
    for b in buckets:
        bucket_counts[b["transport"]] += b.get("count", 0)
    assert bucket_counts == per_transport
    since, until, width = parse_time(body["since"]), parse_time(body["until"]), body["bucket_seconds"]
    assert all(since <= parse_time(log["time"]) < until for log in logs)
    for transport in per_transport:
        starts = [parse_time(b["start"]) for b in buckets if b["transport"] == transport]
        # Dense and aligned: consecutive buckets, the first holding `since`, the last holding `until`.
        assert starts == [starts[0] + timedelta(seconds=width * i) for i in range(len(starts))]
        assert starts[0] <= since < starts[0] + timedelta(seconds=width)
        assert starts[-1] < until <= starts[-1] + timedelta(seconds=width)
        assert len(starts) <= 65


async def test_since_limits_logs_stats_and_buckets_to_the_window_over_every_transport(gateway: GatewayClient) -> None:
    token = await gateway.token("rest")
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    missing = "/pictures/00000000-0000-4000-8000-000000000000"

    async def my_picture_logs(params: dict[str, str]) -> list[dict[str, Any]]:
        reply = await gateway.request("GET", "/rest/analytics", token=token, params={"limit": "500", **params})
        assert reply.status == 200, reply.body
        return [log for log in reply.body.get("logs", []) if log.get("user_id") == user_id]

    async def wait_for(count: int, params: dict[str, str]) -> list[dict[str, Any]]:
        async with asyncio.timeout(20):
            while len(logs := await my_picture_logs(params)) < count:
                await asyncio.sleep(0.2)
        assert len(logs) == count
        return logs

    for _ in range(3):  # before the window
        assert (await gateway.request("GET", "/rest/pictures", token=token)).status == 200
    before = await wait_for(3, {"service": "pictures"})
    since = format_time(max(parse_time(log["time"]) for log in before) + timedelta(microseconds=1))

    for _ in range(2):  # inside the window
        assert (await gateway.request("GET", "/grpc/pictures", token=token)).status == 200
    assert (await gateway.request("GET", f"/events{missing}", token=token)).status == 404
    window = {"service": "pictures", "since": since}
    await wait_for(3, window)

    for transport in TRANSPORTS:
        reply = await gateway.request("GET", f"/{transport}/analytics", token=token, params={**window, "limit": "2"})
        assert reply.status == 200, reply.body
        body = reply.body
        assert parse_time(body["since"]) == parse_time(since)
        # This test's calls are the only pictures calls since then; `stats` counts all 3, `logs` shows the latest 2.
        assert body["total"] == 3
        assert {(s["transport"], s["method"]): (s["count"], s.get("error_count", 0)) for s in body["stats"]} == {
            ("grpc", "listPictures"): (2, 0),
            ("events", "getPicture"): (1, 1),
        }
        assert [(log["transport"], log["method"]) for log in body["logs"]] == [
            ("events", "getPicture"),
            ("grpc", "listPictures"),
        ]
        assert_consistent(body, limit=2)


async def test_buckets_are_about_60_round_widths_of_the_window(gateway: GatewayClient) -> None:
    token = await gateway.token("rest")
    assert (await gateway.request("GET", "/grpc/pictures", token=token)).status == 200
    now = datetime.now(UTC)
    expected_width = {timedelta(minutes=5): 5, timedelta(hours=1): 60, timedelta(hours=24): 1800}
    async with asyncio.timeout(20):
        while not (
            await gateway.request(
                "GET", "/rest/analytics", token=token, params={"since": format_time(now - timedelta(minutes=5))}
            )
        ).body.get("total"):
            await asyncio.sleep(0.2)
    for window, width in expected_width.items():
        reply = await gateway.request(
            "GET", "/events/analytics", token=token, params={"since": format_time(now - window)}
        )
        assert reply.status == 200, reply.body
        assert reply.body["bucket_seconds"] == width
        assert reply.body["total"] >= 1
        assert_consistent(reply.body, limit=50)
        transports = {b["transport"] for b in reply.body["buckets"]}
        assert "grpc" in transports
        per_transport = len(reply.body["buckets"]) // len(transports)
        assert window // timedelta(seconds=width) <= per_transport <= window // timedelta(seconds=width) + 3
    whole = await gateway.request("GET", "/grpc/analytics", token=token)
    assert_consistent(whole.body, limit=50)  # no `since`: the window starts at the earliest stored call


async def test_since_in_the_future_or_malformed_is_400(gateway: GatewayClient) -> None:
    token = await gateway.token("rest")
    future = format_time(datetime.now(UTC) + timedelta(hours=1))
    for transport in TRANSPORTS:
        ahead = await gateway.request("GET", f"/{transport}/analytics", token=token, params={"since": future})
        assert (ahead.status, ahead.error_code) == (400, "INVALID_ARGUMENT"), ahead.body
        assert "since must be in the past" in ahead.body["error"]["message"]
        garbled = await gateway.request("GET", f"/{transport}/analytics", token=token, params={"since": "yesterday"})
        assert (garbled.status, garbled.error_code) == (400, "INVALID_ARGUMENT"), garbled.body


def test_bucket_widths_are_round_and_about_60_per_window() -> None:
    cases = {
        timedelta(seconds=30): 1,
        timedelta(minutes=5): 5,
        timedelta(minutes=15): 15,
        timedelta(hours=1): 60,
        timedelta(hours=6): 600,
        timedelta(hours=24): 1800,
        timedelta(days=7): 10800,
        timedelta(days=365): 6 * 86400,
    }
    for window, width in cases.items():
        assert bucket_seconds_for(window) == width, window
        assert window / timedelta(seconds=width) <= 63


async def test_a_user_sees_only_their_own_calls_and_aggregates(gateway: GatewayClient) -> None:
    alice = await gateway.token("rest")
    bob = await gateway.token("grpc")
    for _ in range(3):
        assert (await gateway.request("GET", "/events/pictures", token=bob)).status == 200
    alice_id = (await gateway.request("GET", "/rest/me", token=alice)).body["id"]

    async def logged(token: str, method: str, count: int) -> dict[str, Any]:
        async with asyncio.timeout(20):  # call logs are stored in batches
            while True:
                reply = await gateway.request("GET", "/rest/analytics", token=token, params={"limit": "500"})
                assert reply.status == 200
                if sum(s["count"] for s in reply.body["stats"] if s["method"] == method) >= count:
                    return dict(reply.body)
                await asyncio.sleep(0.2)

    await logged(bob, "listPictures", 3)
    reply = Reply(200, await logged(alice, "me", 1))
    assert reply.body["logs"] and {log["user_id"] for log in reply.body["logs"]} == {alice_id}
    # Bob listed pictures over events three times; none of it is in Alice's aggregates.
    assert not any(s["transport"] == "events" and s["method"] == "listPictures" for s in reply.body["stats"])
    assert sum(s["count"] for s in reply.body["stats"]) == reply.body["total"]


async def test_a_batch_of_call_logs_is_stored_as_sent_or_refused_whole(system: RunningSystem) -> None:
    """LogData straight at analytics with the gateway's identity: each log stored with its own fields, a log
    without a time at the time it arrived, a malformed trace id dropped; a batch with one bad log stores none."""
    user_id = str(uuid.uuid4())
    as_gateway = (("authorization", "Bearer " + InternalTokens(system.internal_key, "gateway").mint(user_id, "u")),)
    sent_at = Timestamp(seconds=1_700_000_000, nanos=123_456_789)
    log = analytics_pb2.CallLog(transport="grpc", service="pictures", method="GetPicture", status=404,
                                latency_ms=2.5, user_id=user_id, request_id="r-1", time=sent_at,
                                trace_id="0af7651916cd43dd8448eb211c80319c")
    untimed = analytics_pb2.CallLog(transport="events", service="users", method="GetMe", status=200, latency_ms=1,
                                    user_id=user_id, request_id="r-2", trace_id="not a trace id")
    async with grpc.aio.insecure_channel(system.grpc_target("analytics")) as channel:
        log_data = channel.unary_unary("/trident.analytics.v1.Analytics/LogData",
                                       request_serializer=analytics_pb2.CallLogs.SerializeToString,
                                       response_deserializer=Empty.FromString)
        get_logs = channel.unary_unary("/trident.analytics.v1.Analytics/GetLogs",
                                       request_serializer=analytics_pb2.GetLogsRequest.SerializeToString,
                                       response_deserializer=analytics_pb2.GetLogsResponse.FromString)
        nameless = analytics_pb2.CallLog(transport="rest", service="pictures", user_id=user_id, request_id="r-3")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await log_data(analytics_pb2.CallLogs(logs=[log, nameless]), metadata=as_gateway, timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details() == "logs[1]: transport, service and method are required"

        before = datetime.now(UTC)
        await log_data(analytics_pb2.CallLogs(logs=[log, untimed]), metadata=as_gateway, timeout=10)
        since = analytics_pb2.GetLogsRequest(since=Timestamp(seconds=1_600_000_000))
        stored = await get_logs(since, metadata=as_gateway, timeout=10)
    by_request = {row.request_id: row for row in stored.logs}
    assert sorted(by_request) == ["r-1", "r-2"]  # nothing of the refused batch
    first, second = by_request["r-1"], by_request["r-2"]
    assert (first.transport, first.service, first.method, first.status, first.latency_ms) == (
        "grpc", "pictures", "GetPicture", 404, 2.5)
    assert first.time.ToMicroseconds() == sent_at.ToMicroseconds() and first.trace_id == log.trace_id
    assert second.trace_id == "" and second.time.ToDatetime(tzinfo=UTC) >= before - timedelta(seconds=5)
