"""The one call pipeline: middlewares around a handler, go-kit style, shared by every side of a call.

A `Middleware` takes the operation it wraps (what is called, from which side) and the next handler, and
returns a handler. The stacks of the three sides are listed in `server_stack`, `client_stack` and
`edge_stack`: a cross-cutting concern is one middleware added to one of those lists.
"""

from __future__ import annotations

import asyncio
import operator
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain as concatenated
from typing import Any, Literal

import asyncpg
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind, Status, StatusCode

from internal.common import db, metrics, tracing
from internal.common.contract.rules import rules_of
from internal.common.contract.schema import is_map
from internal.common.errors import (
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    TridentError,
    Unauthenticated,
    Unavailable,
)
from internal.common.logger import logger
from internal.common.service import CallContext, Handler
from internal.common.tokens import Identities, InternalTokens

Side = Literal["server", "client", "edge"]


@dataclass(frozen=True)
class Operation:
    """What a pipeline wraps: one method, seen from one side of the call."""

    side: Side
    process: str  # the process running this pipeline
    service: str  # the service that serves the method
    method: str  # the proto method name, or the public route name at the edge
    idempotent: bool = False
    success_status: int = 200  # the HTTP status of a successful call (REST binding, or public route)


Middleware = Callable[[Operation, Handler], Handler]


def chain(middlewares: Sequence[Middleware], operation: Operation, handler: Handler) -> Handler:
    """`handler` wrapped so that the first middleware of the list is the outermost."""
    for middleware in reversed(middlewares):
        handler = middleware(operation, handler)
    return handler


def outcome(exc: BaseException | None) -> str:
    return "OK" if exc is None else exc.code.name if isinstance(exc, TridentError) else "INTERNAL"


_SPAN_KIND = {"server": SpanKind.SERVER, "client": SpanKind.CLIENT, "edge": SpanKind.SERVER}


def traced(op: Operation, next_: Handler) -> Handler:
    """A span per call; server and edge spans continue the caller's trace."""
    if not tracing.enabled():
        return next_  # the API's no-op spans still cost a few percent of a hop
    name = f"{op.service}/{op.method}"
    kind = _SPAN_KIND[op.side]

    async def handle(request: Any, ctx: CallContext) -> Any:
        parent = tracing.extract(ctx.trace_headers) if op.side != "client" and ctx.trace_headers else None
        with tracing.tracer().start_as_current_span(
            name, context=parent, kind=kind,
            attributes={"rpc.service": op.service, "rpc.method": op.method, "trident.transport": ctx.transport},
            record_exception=False, set_status_on_exception=False,
        ) as span:
            try:
                return await next_(request, ctx)
            except TridentError as exc:
                if exc.code.is_server_fault:
                    span.set_status(Status(StatusCode.ERROR, exc.message))
                raise

    return handle


def measured(op: Operation, next_: Handler) -> Handler:
    """Request count, error count and latency, labelled as the dashboards expect."""
    if op.side == "client":
        labels: tuple[str, ...] = (op.process, op.service)
        requests, errors, latency = metrics.CLIENT_REQUESTS, metrics.CLIENT_ERRORS, metrics.CLIENT_LATENCY
    else:
        labels = (op.process,)
        requests, errors, latency = metrics.SERVER_REQUESTS, metrics.SERVER_ERRORS, metrics.SERVER_LATENCY

    # The labelled series of this operation, found once (`labels()` costs more than the increment itself).
    series: dict[tuple[str, str], tuple[Any, Any, Any]] = {}

    def of(transport: str, code: str) -> tuple[Any, Any, Any]:
        found = series.get((transport, code))
        if found is None:
            found = series[(transport, code)] = (
                requests.labels(*labels, transport, op.method, code),
                errors.labels(*labels, transport, op.method, code) if code != "OK" else None,
                latency.labels(*labels, transport, op.method),
            )
        return found

    async def handle(request: Any, ctx: CallContext) -> Any:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            return await next_(request, ctx)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            count, error, duration = of(ctx.transport, outcome(failure))
            count.inc()
            if error is not None:
                error.inc()
            duration.observe(time.perf_counter() - started)

    return handle


_access_log_sample_rate = 1.0


def sample_access_log(rate: float) -> None:
    """The share of successful calls this process writes an access-log line for (set once at start-up)."""
    global _access_log_sample_rate
    _access_log_sample_rate = min(1.0, max(0.0, rate))


def logged(op: Operation, next_: Handler) -> Handler:
    """An access-log line per call: every failure (the system's faults at WARNING, the caller's at INFO), and
    successful calls all while tracing is on (each line carries its trace id) or else a sampled share of them,
    since a JSON log line costs as much as a fair part of a proxied call (analytics keeps every call anyway)."""
    verb = "served" if op.side != "client" else "called"

    async def handle(request: Any, ctx: CallContext) -> Any:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            return await next_(request, ctx)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            if failure is not None or _access_log_sample_rate >= 1.0 or tracing.enabled() \
                    or random.random() < _access_log_sample_rate:
                _log_call(op, verb, ctx, failure, started)

    return handle


def _log_call(op: Operation, verb: str, ctx: CallContext, failure: BaseException | None, started: float) -> None:
    code = outcome(failure)
    log = logger.bind(transport=ctx.transport, method=op.method, code=code, request_id=ctx.request_id,
                      duration_ns=int((time.perf_counter() - started) * 1e9))
    if isinstance(failure, TridentError) and failure.code.is_server_fault:
        log.warning("{} {}.{} {}", verb, op.service, op.method, code)
    else:
        log.info("{} {}.{} {}", verb, op.service, op.method, code)


def recovered(op: Operation, next_: Handler) -> Handler:
    """Every failure leaves as a TridentError: a passed deadline, or INTERNAL for a bug (logged with its trace)."""

    async def handle(request: Any, ctx: CallContext) -> Any:
        try:
            return await next_(request, ctx)
        except TridentError:
            raise
        except TimeoutError:
            raise DeadlineExceeded(f"{op.service}.{op.method} did not finish within its deadline") from None
        except Exception as exc:
            logger.opt(exception=exc).bind(transport=ctx.transport, method=op.method, request_id=ctx.request_id).error(
                "unhandled error in {}.{}", op.service, op.method)
            raise Internal("internal error") from None

    return handle


def deadline(op: Operation, next_: Handler) -> Handler:
    """Serve only within the caller's deadline."""

    async def handle(request: Any, ctx: CallContext) -> Any:
        ctx.check_deadline()
        async with asyncio.timeout(ctx.remaining()):
            return await next_(request, ctx)

    return handle


def call_budget(timeout_s: float) -> Middleware:
    """Client side: every outgoing call gets a deadline, at most `timeout_s` and within the caller's."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            return await next_(request, ctx.with_timeout(timeout_s))

        return handle

    return middleware


def retried(attempts: int = 3, backoff_s: float = 0.05) -> Middleware:
    """Client side: a call the proto marks idempotent is tried again when its peer was unavailable."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        if not op.idempotent:
            return next_

        async def handle(request: Any, ctx: CallContext) -> Any:
            attempt = 1
            while True:
                try:
                    return await next_(request, ctx)
                except Unavailable:
                    delay = backoff_s * 2 ** (attempt - 1)
                    if attempt >= attempts or (ctx.remaining() or 0.0) <= delay:
                        raise
                    attempt += 1
                    await asyncio.sleep(delay)

        return handle

    return middleware


# C0 control characters and DEL, but tab, newline and carriage return: never meant as text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextFields:
    """Where a message type keeps text: its string fields, and the message fields to look into (only those whose
    type holds text somewhere). Worked out once per type; `joined` reads every singular string field in one C call
    (operator.attrgetter)."""

    def __init__(self, descriptor: Any) -> None:
        def names(kind: int, repeated: bool) -> tuple[str, ...]:
            return tuple(f.name for f in descriptor.fields
                         if f.type == kind and f.is_repeated == repeated and not is_map(f)
                         and (kind != FieldDescriptor.TYPE_MESSAGE or _text_fields(f.message_type).has_text))

        _text_fields_by_type[descriptor] = self  # a type that contains itself is looked into as it is built
        self.strings = names(FieldDescriptor.TYPE_STRING, False)
        self.repeated_strings = names(FieldDescriptor.TYPE_STRING, True)
        self.maps = tuple(f.name for f in descriptor.fields
                          if is_map(f) and any(e.type == e.TYPE_STRING for e in f.message_type.fields))
        self.has_text = True  # until known otherwise: recursion through a type being built assumes text
        self.messages = names(FieldDescriptor.TYPE_MESSAGE, False)
        self.repeated_messages = names(FieldDescriptor.TYPE_MESSAGE, True)
        self.has_text = bool(self.strings or self.repeated_strings or self.maps or self.messages
                             or self.repeated_messages)
        # Only singular strings: a list of these is checked with one search over all of their text.
        self.flat = bool(self.strings) and not (self.repeated_strings or self.maps or self.messages
                                                or self.repeated_messages)
        # Every singular string field's value as a tuple, in one C call when there are several.
        self.values: Callable[[Message], tuple[str, ...]]
        if len(self.strings) > 1:
            self.values = operator.attrgetter(*self.strings)
        elif self.strings:
            get = operator.attrgetter(self.strings[0])
            self.values = lambda message: (get(message),)
        else:
            self.values = lambda message: ()

    def joined(self, message: Message) -> str:
        """The singular string fields' values as one string, for one regex search."""
        return "".join(self.values(message))

    def joined_all(self, messages: Iterable[Message]) -> str:
        """The same of a list of messages: no Python call per item when there are several fields."""
        return "".join(concatenated.from_iterable(map(self.values, messages)))


_text_fields_by_type: dict[Any, _TextFields] = {}


def _text_fields(descriptor: Any) -> _TextFields:
    found = _text_fields_by_type.get(descriptor)
    if found is None:
        found = _TextFields(descriptor)
    return found


def _control_characters(message: Message, prefix: str = "") -> str:
    """The first string field of `message` (nested and map entries included) that holds a control character, or
    "". The field lists of each message type are worked out once, and message fields without text are not looked
    into: this runs for every request. A list of flat messages (a batch of call logs) is one search over all of
    their text; only when that finds something is each item looked at, to name the field."""
    fields = _text_fields(message.DESCRIPTOR)
    if fields.strings and _CONTROL.search(fields.joined(message)):
        return prefix + next(n for n in fields.strings if _CONTROL.search(str(getattr(message, n))))
    for name in fields.repeated_strings:
        if any(_CONTROL.search(text) for text in getattr(message, name)):
            return f"{prefix}{name}"
    for name in fields.maps:
        if any(_CONTROL.search((k if isinstance(k, str) else "") + (v if isinstance(v, str) else ""))
               for k, v in getattr(message, name).items()):
            return f"{prefix}{name}"
    for name in fields.messages:
        if message.HasField(name) and (found := _control_characters(getattr(message, name), f"{prefix}{name}.")):
            return found
    for name in fields.repeated_messages:
        items = getattr(message, name)
        if not items:
            continue
        item_fields = _text_fields(items[0].DESCRIPTOR)
        if item_fields.flat and not _CONTROL.search(item_fields.joined_all(items)):
            continue
        for index, item in enumerate(items):
            if found := _control_characters(item, f"{prefix}{name}[{index}]."):
                return found
    return ""


def validated(op: Operation, next_: Handler) -> Handler:
    """Server side: the request keeps the field rules of the contract, and its text holds no control characters,
    whatever the transport."""

    async def handle(request: Any, ctx: CallContext) -> Any:
        if isinstance(request, Message):
            if field := _control_characters(request):
                raise InvalidArgument(f"{field} must not contain control characters")
            for descriptor in request.DESCRIPTOR.fields:
                rules = rules_of(descriptor)
                if rules is not None and not descriptor.is_repeated and (
                        problem := rules.violation(descriptor.name, getattr(request, descriptor.name))):
                    raise InvalidArgument(problem)
        return await next_(request, ctx)

    return handle


def identified(identities: Identities) -> Middleware:
    """Server side: the call's bearer token is verified; the call continues as the user and process it names."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            if not ctx.credentials:
                raise Unauthenticated("this call needs a bearer token: a user's access token, or an internal token")
            claims = identities.verify(ctx.credentials)
            return await next_(request, ctx.evolve(user_id=claims.user_id, username=claims.username,
                                                   caller=claims.caller, session_id=claims.session_id))

        return handle

    return middleware


def credentialed(internal: InternalTokens) -> Middleware:
    """Client side: the call carries this process's own token, for the user it is made for (if any)."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            token = internal.mint(ctx.user_id, ctx.username, ctx.session_id)
            return await next_(request, ctx.evolve(credentials=token))

        return handle

    return middleware


class _Floor:
    """The fastest a method has been served lately: the minimum over the last 10 to 20 s (two buckets, as BBR
    keeps its minimum round trip) — what a call of it costs with nothing queued."""

    __slots__ = ("current", "previous", "started")
    _BUCKET_S = 10.0

    def __init__(self, now: float) -> None:
        self.current = float("inf")
        self.previous = float("inf")
        self.started = now

    def update(self, seconds: float, now: float) -> float:
        if now - self.started >= self._BUCKET_S:
            self.previous, self.current, self.started = self.current, seconds, now
        elif seconds < self.current:
            self.current = seconds
        return min(self.current, self.previous)


class Admission:
    """Bounds this process's work: beyond it, a fast 503 with Retry-After instead of a queue into 504s.

    A hard bound: at most `limit` calls in flight. And an adaptive one, the `window`, steered by two signals:
    - the latency of the calls it admits (over REST and gRPC): each call's time over the fastest its method
      was served lately (a per-method floor, so a slow method is not mistaken for a queue). Once per
      `lag_interval_s`, when the median of that ratio is above `latency_target`, the window shrinks to the
      most calls in flight in the interval × target ÷ ratio (at most by half, not below 4 calls); when it is
      under and the window held calls back, it grows by an eighth. This sees a queue wherever it is — this
      process's loop, a service behind it, the CPU the processes share — which the loop's lag alone does not:
      at 4× the saturating load the gateway's lag stayed under its target while admitted calls waited ten
      times their unloaded latency;
    - the event loop's lag — the time a ready callback waits for its turn, whatever makes this process busy.
      Once it has stayed above `lag_target_s` for `lag_interval_s` (CoDel's rule: a burst is absorbed, a
      standing queue is not), the window shrinks to the calls in flight × target ÷ lag (at most to a quarter,
      at most once per interval). The lag is sampled only while calls are in flight: nothing runs at rest.
    So admissions converge on what the system serves without a queue, instead of flipping between refusing
    everything and admitting everyone. A few calls are always admitted so the process keeps making progress
    and measuring; a process that had nothing in flight for a second opens its window fully again.
    """

    # Calls always admitted: progress, and fresh measurements.
    _MIN_ADMITTED = 2
    _PROBE_S = 0.005
    _LOG_EVERY_S = 10.0
    # Nothing in flight for this long: the window opens fully again.
    _REOPEN_AFTER_S = 1.0
    # Latency ratios kept per interval (the median of the first ones is as good as of all).
    _SAMPLES = 256
    # An interval with fewer answers says nothing either way.
    _MIN_SAMPLES = 8
    # Latency alone never narrows the window below this: a few calls at once whose time depends on their data
    # (a gallery's first thumbnails) are not a queue. 8 kept admitted p99 at 3.6-9.8x unloaded under overload,
    # 4 at 2.8-4.3x, 2 at 1.6-3.1x (`make bench`'s overload step); the web app retries a shed GET.
    _LATENCY_MIN_WINDOW = 4

    def __init__(self, limit: int, lag_target_s: float = 0.0, lag_interval_s: float = 0.1,
                 latency_target: float = 0.0) -> None:
        self.limit = limit
        self.lag_target_s = lag_target_s
        self.lag_interval_s = lag_interval_s
        self.latency_target = latency_target
        self.in_flight = 0
        self.lag_s = 0.0
        self.slowdown = 0.0  # the last interval's median latency ÷ floor
        self.window = limit
        self._above_since: float | None = None
        self._shrunk_at = float("-inf")
        self._drained_at = float("-inf")
        self._probe: asyncio.Task[None] | None = None
        self._shed_unlogged = 0
        self._shed_logged_at = -self._LOG_EVERY_S
        self._shed_series: dict[tuple[str, str, str], Any] = {}
        self._floors: dict[tuple[str, str], _Floor] = {}
        self._ratios: list[float] = []
        self._judged_at = 0.0
        self._peak = 0  # most calls in flight since the last judgement

    def admit(self) -> str | None:
        """Why a new call is refused now, or None when it may go ahead."""
        if self.in_flight >= self.limit:
            return f"at its limit of {self.limit} calls in flight"
        if self.in_flight >= max(self.window, self._MIN_ADMITTED):
            return (f"overloaded (its calls take {self.slowdown:.1f}× their fastest and wait "
                    f"{self.lag_s * 1000:.0f} ms for its loop; admitting {self.window} at a time)")
        return None

    def adjust(self, lag_s: float, now: float) -> None:
        """One lag measurement, taken at `now` (seconds, monotonic): the window follows it."""
        self.lag_s = lag_s
        if lag_s <= self.lag_target_s:
            self._above_since = None
            # With latency steering too, the window grows only from its judgement (once an interval).
            if not self.latency_target and self.in_flight >= self.window and self.window < self.limit:
                self.window += 1
            return
        if self._above_since is None:
            self._above_since = now
        if now - self._above_since >= self.lag_interval_s and now - self._shrunk_at >= self.lag_interval_s:
            scale = max(0.25, self.lag_target_s / lag_s)
            self.window = max(self._MIN_ADMITTED, int(min(self.window, self.in_flight) * scale))
            self._shrunk_at = now

    def record(self, transport: str, method: str, seconds: float, now: float) -> None:
        """An admitted call of `method` took `seconds`; at `now` (seconds, perf_counter) the window may follow."""
        floor = self._floors.get((transport, method))
        if floor is None:
            floor = self._floors[(transport, method)] = _Floor(now)
        fastest = floor.update(seconds, now)
        if len(self._ratios) < self._SAMPLES:
            self._ratios.append(seconds / fastest if fastest > 0 else 1.0)
        if now - self._judged_at >= self.lag_interval_s:
            self._judge(now)

    def _judge(self, now: float) -> None:
        ratios, self._ratios = self._ratios, []
        peak, self._peak = self._peak, self.in_flight
        self._judged_at = now
        if len(ratios) < self._MIN_SAMPLES:
            return
        ratios.sort()
        self.slowdown = ratios[len(ratios) // 2]
        if self.slowdown > self.latency_target:
            scale = max(0.5, self.latency_target / self.slowdown)
            self.window = min(self.window, max(self._LATENCY_MIN_WINDOW, int(min(self.window, peak) * scale)))
            self._shrunk_at = now
        elif peak >= self.window and self.window < self.limit:
            self.window = min(self.limit, self.window + max(1, self.window // 8))

    def _log_shed(self, process: str, reason: str) -> None:
        self._shed_unlogged += 1
        now = time.monotonic()
        if now - self._shed_logged_at >= self._LOG_EVERY_S:
            logger.warning("{} is refusing calls, {}: {} refused since the last report (reported at most every "
                           "{:.0f} s; trident_shed_requests_total counts each)", process, reason, self._shed_unlogged,
                           self._LOG_EVERY_S)
            self._shed_unlogged = 0
            self._shed_logged_at = now

    def _watch(self) -> None:
        if self.lag_target_s > 0 and self._probe is None:
            loop = asyncio.get_running_loop()
            if loop.time() - self._drained_at >= self._REOPEN_AFTER_S:
                self.window = self.limit  # idle a while: nothing is queued, the next burst starts with it open
                self._ratios.clear()
            self._probe = loop.create_task(self._measure(), name="admission-lag")

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.in_flight > 0:
                started = loop.time()
                await asyncio.sleep(self._PROBE_S)
                now = loop.time()
                self.adjust(max(0.0, now - started - self._PROBE_S), now)
        finally:
            self._probe = None
            self._above_since = None
            self._drained_at = loop.time()
            self.lag_s = 0.0

    def enter(self, process: str, transport: str, method: str) -> Unavailable | None:
        """Admit a call (None; `leave` when it ends) or refuse it: the error to answer with at once.

        Refusing must cost far less than serving, or an overload is spent refusing: a refused call is counted
        (`trident_shed_requests_total`) but gets no span and no access-log line of its own, only a WARNING at
        most every `_LOG_EVERY_S` saying how many were refused and why. The edge asks before it builds the call
        at all (`rest.public`); a service's servers ask first in the pipeline (`middleware`)."""
        refused = self.admit()
        if refused is None:
            self.in_flight += 1
            if self.in_flight > self._peak:
                self._peak = self.in_flight
            self._watch()
            return None
        counter = self._shed_series.get((process, transport, method))
        if counter is None:
            counter = self._shed_series[(process, transport, method)] = metrics.SHED.labels(process, transport,
                                                                                            method)
        counter.inc()
        self._log_shed(process, refused)
        return Unavailable(f"{process} is {refused}; try again", retry_after=1)

    def leave(self, transport: str, method: str, started: float) -> None:
        """An admitted call ended; `started` is when it was admitted (time.perf_counter)."""
        self.in_flight -= 1
        # Not calls over events: their time is mostly the broker's fetch waits (DESIGN.md, "Kafka here"), a
        # spread of tens of milliseconds that says nothing about a queue here; the loop lag still steers them.
        if self.latency_target and transport != "events":
            now = time.perf_counter()
            self.record(transport, method, now - started, now)

    def middleware(self, op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            refused = self.enter(op.process, ctx.transport, op.method)
            if refused is not None:
                raise refused
            started = time.perf_counter()
            try:
                return await next_(request, ctx)
            finally:
                self.leave(ctx.transport, op.method, started)

        return handle


_PROTOBUF = "application/x-protobuf"
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def applied_once(pool: asyncpg.Pool | None, response_types: Mapping[str, type[Message]]) -> Middleware:
    """Server side: a call with side effects that carries an idempotency key is applied once per caller, user
    and key. Its writes commit with a processed-call record and its answer (the same unit of work as a
    consumed message, `db.Unit`); a retry, even one arriving while the first is still running, gets that
    answer. The key travels one hop: the calls the handler makes carry none. A failed call records nothing,
    so a retry runs again. Needs the service's database; without one, the key is ignored."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        if pool is None or op.idempotent:
            async def one_hop(request: Any, ctx: CallContext) -> Any:
                return await next_(request, ctx.evolve(idempotency_key="") if ctx.idempotency_key else ctx)

            return one_hop
        response_type = response_types[op.method]

        async def handle(request: Any, ctx: CallContext) -> Any:
            key = ctx.idempotency_key
            if not key:
                return await next_(request, ctx)
            if not _IDEMPOTENCY_KEY.fullmatch(key):
                raise InvalidArgument("an idempotency key is 1 to 200 printable ASCII characters without spaces")
            ctx = ctx.evolve(idempotency_key="")
            unit = db.Unit(pool, f"key:{ctx.caller}:{ctx.user_id}:{key}", f"{op.service}.{op.method}")
            previous = await unit.previous()
            if previous is None:
                async with db.unit_of_work(unit):
                    try:
                        response = await next_(request, ctx)
                        await unit.finish(db.StoredReply("OK", _PROTOBUF, response.SerializeToString()))
                        return response
                    except BaseException:
                        await unit.abort()
                        if not unit.duplicate:
                            raise
                # The same key ran at the same time and committed first (its record held us until then).
                previous = await unit.previous()
                if previous is None:
                    raise Unavailable("a call with this idempotency key is still being applied; try again",
                                      retry_after=1)
            metrics.IDEMPOTENT_REPLAYS.labels(op.process, ctx.transport, op.method).inc()
            return response_type.FromString(previous.body)

        return handle

    return middleware


def server_stack(identities: Identities, admission: Admission, once: Middleware | None = None) -> list[Middleware]:
    return [admission.middleware, measured, traced, logged, recovered, identified(identities), validated,
            *([once] if once is not None else []), deadline]


def client_stack(timeout_s: float, internal: InternalTokens) -> list[Middleware]:
    return [traced, measured, credentialed(internal), call_budget(timeout_s), retried()]


def edge_stack(extra: Sequence[Middleware] = ()) -> list[Middleware]:
    """The public edge: as a server (admission is asked before the call is built: `rest.public`), plus what the
    application adds (authentication, call logs)."""
    return [measured, traced, logged, recovered, *extra]
