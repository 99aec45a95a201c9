"""The users service: accounts and the `user.deleted` event."""

from __future__ import annotations

from pathlib import Path

from internal.common.outbox import Outbox
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import ServiceSpec
from internal.services.users.repository import UserRepository
from internal.services.users.service import UsersService


async def build(runtime: Runtime) -> ServiceSpec:
    assert runtime.pool is not None
    outbox = Outbox(runtime.pool, runtime.contract)
    return ServiceSpec(implementation=UsersService(UserRepository(runtime.pool), outbox.publish))


HERE = Path(__file__).parent
SERVICE = ServiceDef("users", build, source=HERE, migrations=HERE / "migrations")
