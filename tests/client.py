"""A small HTTP client for the gateway's public API, as the web app or Postman would call it."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from multidict import CIMultiDict

TRANSPORTS = ("rest", "grpc", "events")
SHED_RETRIES = 3


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)  # case-insensitive
    raw: bytes = b""

    @property
    def error_code(self) -> str | None:
        return self.body["error"]["code"] if isinstance(self.body, dict) and "error" in self.body else None


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class GatewayClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> GatewayClient:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._session is not None
        await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
        retry_shed: bool = True,
    ) -> Reply:
        """One call. A call the system shed (503 with Retry-After: refused before anything was done) is tried
        again a few times after the wait it asks for, as a well-behaved client does; `retry_shed=False` returns
        the 503 itself."""
        assert self._session is not None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(SHED_RETRIES + 1):
            async with self._session.request(
                method, self.base_url + path, data=data, headers=headers, params=params
            ) as response:
                raw = await response.read()
                parsed: Any = None
                if raw and response.content_type == "application/json":
                    parsed = json.loads(raw)
                reply = Reply(response.status, parsed, CIMultiDict(response.headers), raw)
            if not (retry_shed and reply.status == 503 and "Retry-After" in reply.headers and attempt < SHED_RETRIES):
                return reply
            # Jittered, so shed callers do not all come back at the same instant.
            await asyncio.sleep(min(1.0, float(reply.headers["Retry-After"])) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    async def signup(
        self, transport: str, username: str | None = None, password: str = "correct horse"
    ) -> tuple[str, Reply]:
        username = username or unique_username()
        reply = await self.request("POST", f"/{transport}/signup", {"username": username, "password": password})
        assert reply.status == 201, reply.body
        return username, reply

    async def token(self, transport: str = "rest") -> str:
        _, reply = await self.signup(transport)
        return str(reply.body["access_token"])
