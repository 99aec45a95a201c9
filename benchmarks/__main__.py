"""`make bench`: the same gateway calls over REST, gRPC and events, side by side, as ratios to REST.

Starts its own system (`trident up` on free ports), warms it up, then for each transport runs a
bounded number of calls: one at a time (latency) and 32 in flight (throughput).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.client import TRANSPORTS, GatewayClient
from tests.conftest import start_system, stop_system

SEQUENTIAL_CALLS = 300
CONCURRENT_CALLS = 1500
IN_FLIGHT = 32


async def measure(gateway_url: str) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with GatewayClient(gateway_url) as gateway:
        token = await gateway.token()
        for transport in TRANSPORTS:  # warm-up: connections, channels, consumers
            for _ in range(30):
                await gateway.request("GET", f"/{transport}/me", token=token)
        for transport in TRANSPORTS:
            latencies = []
            for _ in range(SEQUENTIAL_CALLS):
                started = time.perf_counter()
                reply = await gateway.request("GET", f"/{transport}/me", token=token)
                latencies.append((time.perf_counter() - started) * 1000)
                assert reply.status == 200
            slots = asyncio.Semaphore(IN_FLIGHT)

            async def one(path: str, slots: asyncio.Semaphore) -> int:
                async with slots:
                    return (await gateway.request("GET", path, token=token)).status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(one(f"/{transport}/me", slots) for _ in range(CONCURRENT_CALLS)))
            elapsed = time.perf_counter() - started
            assert set(statuses) == {200}
            latencies.sort()
            results[transport] = {
                "p50_ms": statistics.median(latencies),
                "p95_ms": latencies[int(len(latencies) * 0.95)],
                "calls_per_s": CONCURRENT_CALLS / elapsed,
            }
    return results


def main() -> int:
    with tempfile.TemporaryDirectory() as state:
        system = start_system(Path(state))
        try:
            results = asyncio.run(measure(system.gateway_url))
        finally:
            stop_system(system)
    rest = results["rest"]
    print(f"GET /{{transport}}/me through the gateway: {SEQUENTIAL_CALLS} sequential calls, then {CONCURRENT_CALLS} with {IN_FLIGHT} in flight")
    print(f"{'transport':<10}{'p50 ms':>10}{'p95 ms':>10}{'calls/s':>10}{'p50 vs rest':>14}{'calls/s vs rest':>18}")
    for transport, r in results.items():
        print(f"{transport:<10}{r['p50_ms']:>10.2f}{r['p95_ms']:>10.2f}{r['calls_per_s']:>10.0f}"
              f"{r['p50_ms'] / rest['p50_ms']:>13.2f}x{r['calls_per_s'] / rest['calls_per_s']:>17.2f}x")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
