"""The endpoint every transport adapter calls: one place for tracing, deadlines, metrics and logs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from google.protobuf.message import Message
from opentelemetry.trace import SpanKind, Status, StatusCode

from internal.common import metrics, tracing
from internal.common.errors import DeadlineExceeded, Internal, TridentError
from internal.common.logger import logger
from internal.common.service import CallContext, Handler


class Endpoint:
    def __init__(self, service: str, method: str, handler: Handler) -> None:
        self.service = service
        self.method = method
        self._handler = handler

    async def __call__(self, request: Message, ctx: CallContext) -> Any:
        started = time.perf_counter()
        code = "OK"
        parent = tracing.extract(ctx.trace_headers)
        with tracing.tracer().start_as_current_span(
            f"{self.service}/{self.method}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"rpc.service": self.service, "rpc.method": self.method, "trident.transport": ctx.transport},
        ) as span:
            try:
                ctx.check_deadline()
                remaining = ctx.remaining()
                async with asyncio.timeout(remaining):
                    return await self._handler(request, ctx)
            except TridentError as exc:
                code = exc.code.name
                span.set_status(Status(StatusCode.ERROR, exc.message))
                raise
            except TimeoutError:
                code = "DEADLINE_EXCEEDED"
                span.set_status(Status(StatusCode.ERROR, "deadline exceeded"))
                raise DeadlineExceeded(f"{self.service}.{self.method} did not finish within its deadline") from None
            except Exception as exc:
                code = "INTERNAL"
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                logger.opt(exception=exc).bind(transport=ctx.transport, method=self.method, request_id=ctx.request_id).error(
                    "unhandled error in {}.{}", self.service, self.method
                )
                raise Internal("internal error") from None
            finally:
                elapsed = time.perf_counter() - started
                observe_server_call(self.service, ctx.transport, self.method, code, elapsed)
                log = logger.bind(
                    transport=ctx.transport, method=self.method, code=code,
                    duration_ns=int(elapsed * 1e9), request_id=ctx.request_id,
                )
                if code in ("OK", "INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "UNAUTHENTICATED", "PAYLOAD_TOO_LARGE"):
                    log.info("served {}.{} {}", self.service, self.method, code)
                else:
                    log.warning("served {}.{} {}", self.service, self.method, code)


def observe_server_call(service: str, transport: str, method: str, code: str, seconds: float) -> None:
    metrics.SERVER_REQUESTS.labels(service, transport, method, code).inc()
    if code != "OK":
        metrics.SERVER_ERRORS.labels(service, transport, method, code).inc()
    metrics.SERVER_LATENCY.labels(service, transport, method).observe(seconds)
