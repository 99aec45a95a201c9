"""The users service: binds UsersService's methods to the proto contract."""

from __future__ import annotations

from internal.common.runtime import Runtime
from internal.common.service import ServiceSpec
from internal.services.users.repository import UserRepository
from internal.services.users.service import USER_DELETED_TOPIC, UsersService

TOPICS = ("users", USER_DELETED_TOPIC)


async def build(runtime: Runtime) -> ServiceSpec:
    assert runtime.pool is not None
    service = UsersService(UserRepository(runtime.pool), runtime.sender.publish)
    return ServiceSpec(
        name="users",
        handlers={
            "CreateUser": service.create_user,
            "GetUser": service.get_user,
            "GetUserByUsername": service.get_user_by_username,
            "ValidatePassword": service.validate_password,
            "DeleteUser": service.delete_user,
        },
    )
