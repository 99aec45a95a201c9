"""Every gateway call becomes a call log; analytics reports them per transport, service and method."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.client import TRANSPORTS, GatewayClient


async def test_calls_over_every_transport_are_counted_per_transport(gateway: GatewayClient) -> None:
    token = await gateway.token("rest")
    me = await gateway.request("GET", "/rest/me", token=token)
    user_id = me.body["id"]
    planned = {"rest": 2, "grpc": 3, "events": 4}
    for transport, count in planned.items():
        for _ in range(count):
            assert (await gateway.request("GET", f"/{transport}/pictures", token=token)).status == 200
        missing = await gateway.request("GET", f"/{transport}/pictures/00000000-0000-4000-8000-000000000000", token=token)
        assert missing.status == 404

    async def mine() -> Counter[tuple[str, str, int]]:
        reply = await gateway.request("GET", "/grpc/analytics", token=token, params={"limit": "500", "service": "pictures"})
        assert reply.status == 200
        return Counter((log["transport"], log["method"], log["status"]) for log in reply.body.get("logs", [])
                       if log.get("user_id") == user_id)

    expected = Counter({
        **{(t, "listPictures", 200): n for t, n in planned.items()},
        **{(t, "getPicture", 404): 1 for t in TRANSPORTS},
    })
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
    reply = await gateway.request("GET", "/rest/analytics", token=token, params={"transport": "grpc", "limit": "20"})
    assert reply.status == 200
    assert reply.body["logs"] and {log["transport"] for log in reply.body["logs"]} == {"grpc"}
    assert {s["transport"] for s in reply.body["stats"]} == {"grpc"}
    bad = await gateway.request("GET", "/rest/analytics", token=token, params={"limit": "100000"})
    assert (bad.status, bad.error_code) == (400, "INVALID_ARGUMENT")
