"""Load shedding in one process: the hard in-flight limit, and refusing new calls while the event loop stays
behind (the calls in flight hog the CPU), then admitting again once it has caught up. No sockets: the
admission middleware around handlers that block the loop the way a CPU-bound burst does."""

from __future__ import annotations

import asyncio
import time

import pytest

from internal.common.errors import Unavailable
from internal.common.pipeline import Admission, Operation
from internal.common.service import CallContext

OP = Operation(side="server", process="pictures", service="pictures", method="GetPicture")


async def test_calls_beyond_the_in_flight_limit_are_refused_at_once() -> None:
    admission = Admission(limit=2)
    release = asyncio.Event()

    async def slow(request: object, ctx: CallContext) -> str:
        await release.wait()
        return "done"

    handle = admission.middleware(OP, slow)
    running = [asyncio.ensure_future(handle(None, CallContext(transport="rest"))) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Unavailable) as refused:
        await handle(None, CallContext(transport="rest"))
    assert refused.value.retry_after == 1 and "limit of 2" in refused.value.message
    release.set()
    assert await asyncio.gather(*running) == ["done", "done"]
    assert admission.in_flight == 0
    release.set()
    assert await handle(None, CallContext(transport="rest")) == "done"


async def test_a_loop_that_stays_behind_sheds_new_calls_then_recovers() -> None:
    admission = Admission(limit=100, lag_target_s=0.005, lag_interval_s=0.02)
    stop = asyncio.Event()

    async def hog(request: object, ctx: CallContext) -> str:
        # Holds the loop 30 ms at a time: every other callback (the lag probe too) waits that long.
        while not stop.is_set():
            time.sleep(0.03)  # noqa: ASYNC251 — blocking the loop is the point here
            await asyncio.sleep(0)
        return "done"

    async def quick(request: object, ctx: CallContext) -> str:
        return "served"

    hogging = admission.middleware(OP, hog)
    serving = admission.middleware(OP, quick)
    hogs = [asyncio.ensure_future(hogging(None, CallContext(transport="rest"))) for _ in range(3)]
    refused = None
    for _ in range(50):  # bounded: 50 × ≥30 ms of hogging
        await asyncio.sleep(0.01)
        try:
            await serving(None, CallContext(transport="rest"))
        except Unavailable as exc:
            refused = exc
            break
    assert refused is not None, "new calls were still admitted while the loop stayed 30 ms behind"
    assert refused.retry_after == 1 and "overloaded" in refused.message
    stop.set()
    assert await asyncio.gather(*hogs) == ["done"] * 3
    # Nothing in flight: no probe runs at rest, and the next call is admitted.
    assert admission.in_flight == 0
    assert await serving(None, CallContext(transport="rest")) == "served"
