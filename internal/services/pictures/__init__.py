"""The pictures service: validated images owned by one user each."""

from __future__ import annotations

from pathlib import Path

from internal.common.config import Settings
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import ServiceSpec, Subscription
from internal.services.pictures.repository import PictureRepository
from internal.services.pictures.service import PicturesService


class PicturesSettings(Settings):
    picture_max_bytes: int = 10 * 1024 * 1024


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert isinstance(settings, PicturesSettings) and runtime.pool is not None
    service = PicturesService(PictureRepository(runtime.pool), settings.picture_max_bytes)
    return ServiceSpec(implementation=service,
                       subscriptions=[Subscription("user.deleted", service.on_user_deleted)])


HERE = Path(__file__).parent
SERVICE = ServiceDef("pictures", build, PicturesSettings, source=HERE, migrations=HERE / "migrations")
