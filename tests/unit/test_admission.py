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


async def test_refused_calls_cost_no_span_or_log_line_each_only_a_periodic_warning() -> None:
    from loguru import logger

    from internal.common.pipeline import chain, edge_stack, sample_access_log

    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="INFO")
    sample_access_log(1.0)  # every served call logged: only the refused ones must be missing
    try:
        admission = Admission(limit=1)
        admission._LOG_EVERY_S = 0.05  # the report interval, shortened for the test
        release = asyncio.Event()

        async def slow(request: object, ctx: CallContext) -> str:
            await release.wait()
            return "done"

        edge = Operation(side="edge", process="gateway", service="pictures", method="GetPicture")
        handle = chain([admission.middleware, *edge_stack()], edge, slow)
        running = asyncio.ensure_future(handle(None, CallContext(transport="rest")))
        await asyncio.sleep(0)
        for _ in range(30):
            with pytest.raises(Unavailable):
                await handle(None, CallContext(transport="rest"))
        reports = [line for line in lines if "refusing calls" in line]
        assert len(reports) == 1 and "1 refused since the last report" in reports[0]
        await asyncio.sleep(0.06)
        with pytest.raises(Unavailable):
            await handle(None, CallContext(transport="rest"))
        reports = [line for line in lines if "refusing calls" in line]
        assert len(reports) == 2 and "30 refused since the last report" in reports[1]
        release.set()
        assert await running == "done"
        served = [line for line in lines if line.startswith("served")]
        assert served == ["served pictures.GetPicture OK"]  # one line for the one call served, none per refusal
    finally:
        logger.remove(sink)
        sample_access_log(1.0)


def test_an_evolved_call_context_changes_only_what_it_names_and_refuses_unknown_fields() -> None:
    ctx = CallContext(transport="rest", user_id="u1", credentials="token", deadline=123.0)
    evolved = ctx.evolve(user_id="u2", credentials="")
    assert (evolved.user_id, evolved.credentials, evolved.deadline, evolved.request_id) == \
        ("u2", "", 123.0, ctx.request_id)
    assert (ctx.user_id, ctx.credentials) == ("u1", "token")  # the original is untouched
    assert evolved == CallContext(**{**ctx.__dict__, "user_id": "u2", "credentials": ""})
    with pytest.raises(TypeError):
        ctx.evolve(user="u3")


def test_the_window_shrinks_with_a_standing_lag_and_grows_back_one_call_at_a_time() -> None:
    admission = Admission(limit=100, lag_target_s=0.010, lag_interval_s=0.1)
    admission.in_flight = 80
    admission.adjust(0.040, now=0.0)  # above the target, but not yet for an interval: a burst is absorbed
    assert admission.window == 100 and admission.admit() is None
    admission.adjust(0.040, now=0.1)  # a standing queue: the calls in flight × target ÷ lag
    assert admission.window == 20
    assert "admitting 20 at a time" in (admission.admit() or "")
    admission.adjust(0.040, now=0.15)  # at most once per interval
    assert admission.window == 20
    admission.adjust(0.500, now=0.2)  # never below a quarter in one step
    assert admission.window == 5
    for step in range(10):
        admission.adjust(0.500, now=0.3 + step * 0.1)
    assert admission.window == 2  # always a few admitted: progress, and fresh measurements
    for step in range(3):  # under the target while the window is what holds calls back: one more each time
        admission.in_flight = admission.window
        admission.adjust(0.002, now=2.0 + step * 0.01)
    assert admission.window == 5
    admission.in_flight = 1  # the window does not hold anything back: it stays
    admission.adjust(0.002, now=2.1)
    assert admission.window == 5 and admission.admit() is None


def test_the_window_follows_the_latency_of_admitted_calls_against_their_methods_fastest() -> None:
    admission = Admission(limit=100, lag_interval_s=0.1, latency_target=3.0)
    now = 0.0

    def interval(seconds_by_method: dict[str, float], in_flight: int, calls: int = 20) -> None:
        nonlocal now
        admission._peak = in_flight
        for i in range(calls):
            for method, seconds in seconds_by_method.items():
                admission.record("rest", method, seconds, now + i * 0.1 / calls)
        now += 0.125  # a little over the interval (exact in binary floating point)
        admission.record("rest", "GetPicture", seconds_by_method.get("GetPicture", 0.001), now)  # judged here

    # Unloaded: a fast method and a slow one, each at its own floor; nothing changes.
    interval({"GetPicture": 0.001, "Login": 0.050}, in_flight=10)
    assert admission.window == 100 and admission.slowdown == 1.0
    # A queue: every call takes 8× its method's fastest (the slow method too). The window drops to the most
    # calls in flight in the interval, halved (never more in one step).
    interval({"GetPicture": 0.008, "Login": 0.400}, in_flight=40)
    assert admission.slowdown == 8.0 and admission.window == 20
    admission.in_flight = 20
    refusal = admission.admit() or ""
    assert "take 8.0× their fastest" in refusal and "admitting 20 at a time" in refusal
    admission.in_flight = 0
    interval({"GetPicture": 0.004, "Login": 0.200}, in_flight=20)  # 4× the target of 3: × 3/4
    assert admission.window == 15
    # Back under the target while the window is what holds calls back: it grows by an eighth an interval.
    interval({"GetPicture": 0.002, "Login": 0.100}, in_flight=15)
    assert admission.window == 16
    interval({"GetPicture": 0.002}, in_flight=5)  # the window holds nothing back: it stays
    assert admission.window == 16
    # Too few answers in an interval say nothing either way.
    interval({"GetPicture": 0.020}, in_flight=16, calls=3)
    assert admission.window == 16
    # A few slow calls at once (a gallery's first thumbnails) never narrow it below four.
    interval({"GetPicture": 0.030}, in_flight=6)
    interval({"GetPicture": 0.030}, in_flight=6)
    assert admission.window == 4
