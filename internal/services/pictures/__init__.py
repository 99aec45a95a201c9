"""The pictures service: binds PicturesService's methods to the proto contract."""

from __future__ import annotations

from api.gen import users_pb2
from internal.common.runtime import Runtime
from internal.common.service import ServiceSpec, Subscription
from internal.services.pictures.repository import PictureRepository
from internal.services.pictures.service import PicturesService

TOPICS = ("pictures", "user.deleted")


async def build(runtime: Runtime) -> ServiceSpec:
    assert runtime.pool is not None
    service = PicturesService(PictureRepository(runtime.pool), runtime.settings.picture_max_bytes)
    return ServiceSpec(
        name="pictures",
        handlers={
            "CreatePicture": service.create_picture,
            "ListPictures": service.list_pictures,
            "GetPicture": service.get_picture,
            "DeletePicture": service.delete_picture,
            "GetThumbnail": service.get_thumbnail,  # services branch: thumbnails
        },
        subscriptions=[Subscription("user.deleted", users_pb2.UserDeleted, service.on_user_deleted)],
    )
