"""A process for the reliability tests: a `user.deleted` subscriber that fails on purpose.

A user named `fail<N>-…` makes its handler fail with UNAVAILABLE on the first N attempts, after writing
its effect in the unit of work of the event (so a failed attempt must leave no effect). Run with
`python -m tests.reliability_probe`, configured like any process (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, …).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg

from api.gen import users_pb2
from internal.common import db
from internal.common.errors import Unavailable
from internal.common.runtime import Registry, Runtime, ServiceDef, serve
from internal.common.service import CallContext, ServiceSpec, Subscription
from internal.services import registry as _application  # noqa: F401  (the contract's proto descriptors)

_FAILURES = re.compile(r"fail(\d+)-")


class Probe:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._attempts: dict[str, int] = {}

    async def on_user_deleted(self, event: users_pb2.UserDeleted, ctx: CallContext) -> None:
        attempt = self._attempts[event.user_id] = self._attempts.get(event.user_id, 0) + 1
        # Outside the unit of work: every attempt is seen, including the rolled-back ones.
        await self._pool.execute("INSERT INTO attempts (user_id, attempt) VALUES ($1, $2)", event.user_id, attempt)
        async with db.transaction(self._pool) as conn:
            await conn.execute("INSERT INTO effects (user_id) VALUES ($1)", event.user_id)
            match = _FAILURES.match(event.username)
            if match and attempt <= int(match.group(1)):
                raise Unavailable(f"failing on purpose: attempt {attempt} of the first {match.group(1)}")


async def build(runtime: Runtime) -> ServiceSpec:
    assert runtime.pool is not None
    probe = Probe(runtime.pool)
    return ServiceSpec(subscriptions=[Subscription("user.deleted", probe.on_user_deleted)])


REGISTRY = Registry([ServiceDef("probe", build, migrations=Path(__file__).parent / "probe_migrations")])

if __name__ == "__main__":
    asyncio.run(serve(REGISTRY, "probe"))
