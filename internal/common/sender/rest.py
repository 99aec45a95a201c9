"""The sender's REST client: one aiohttp session per process."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
from google.protobuf import json_format
from google.protobuf.message import Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding, to_json
from internal.common.errors import DeadlineExceeded, Internal, TridentError, Unavailable
from internal.common.service import CallContext


class RestClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, limit_per_host=128, keepalive_timeout=30),
            )
        return self._session

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext, budget_s: float) -> Message:
        data: dict[str, Any] = to_json(request)
        path = binding.url
        for param in binding.path_params:
            path = path.replace("{" + param + "}", quote(str(data.pop(param, "")), safe=""))
        url = self.settings.peer(binding.service).rest_url.rstrip("/") + path
        kwargs: dict[str, Any] = {"headers": ctx.to_metadata(), "timeout": aiohttp.ClientTimeout(total=budget_s)}
        if binding.http_method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = data
        else:
            kwargs["params"] = {k: v if isinstance(v, str) else str(v) for k, v in data.items() if not isinstance(v, (dict, list))}
        try:
            async with self._get_session().request(binding.http_method, url, **kwargs) as response:
                body = await response.read()
                if response.status >= 400:
                    raise TridentError.from_dict(_json_or_none(body), response.status)
                if not body:
                    return binding.response_type()
                return json_format.Parse(body, binding.response_type(), ignore_unknown_fields=True)
        except TridentError:
            raise
        except TimeoutError:
            raise DeadlineExceeded(f"no answer from {binding.service}.{binding.name} over REST within the deadline") from None
        except aiohttp.ClientError as exc:
            raise Unavailable(f"{binding.service} is unavailable over REST: {type(exc).__name__}") from None
        except json_format.ParseError as exc:
            raise Internal(f"{binding.service} sent an unreadable answer: {exc}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _json_or_none(body: bytes) -> Any:
    import json

    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
