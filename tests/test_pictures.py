"""Pictures over every transport: upload, list, fetch, delete, ownership, validation, size."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.client import TRANSPORTS, GatewayClient, Reply
from tests.conftest import RunningSystem
from tests.images import (
    animated_gif,
    decoded_size,
    decodes,
    flickering_gif,
    jpeg,
    photo,
    png,
    png_declaring,
    png_of_size,
)

MiB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def upload(gateway: GatewayClient, transport: str, token: str, data: bytes, title: str = "a picture") -> Reply:
    return await gateway.request("POST", f"/{transport}/pictures", {"title": title, "base64": b64(data)}, token=token)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_png_and_jpeg_round_trip_byte_for_byte(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token(transport)
    for data, content_type in ((png(seed=3), "image/png"), (jpeg(), "image/jpeg")):
        created = await upload(gateway, transport, token, data, title=f"{content_type} over {transport}")
        assert created.status == 201, created.body
        meta = created.body
        assert set(meta) >= {"id", "title", "user_id", "content_type", "size", "created_at"}
        assert meta["content_type"] == content_type and meta["size"] == len(data)
        assert meta["sha256"] == hashlib.sha256(data).hexdigest()
        assert "base64" not in meta
        for fetch_transport in TRANSPORTS:
            got = await gateway.request("GET", f"/{fetch_transport}/pictures/{meta['id']}", token=token)
            assert got.status == 200
            assert base64.b64decode(got.body["base64"]) == data
            raw = await gateway.request("GET", f"/{fetch_transport}/pictures/{meta['id']}/raw", token=token)
            assert raw.status == 200 and raw.raw == data
            assert raw.headers["Content-Type"] == content_type
            assert "max-age" in raw.headers["Cache-Control"]
            assert raw.headers["X-Content-Type-Options"] == "nosniff"
            assert raw.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
            assert decodes(raw.raw) == content_type.split("/")[1].upper()


async def test_raw_image_needs_the_authorization_header_not_a_token_in_the_url(gateway: GatewayClient) -> None:
    # Tokens in URLs end up in browser history, caches and proxy logs: the header is the only way.
    token = await gateway.token()
    created = await upload(gateway, "rest", token, png())
    in_url = await gateway.request("GET", f"/grpc/pictures/{created.body['id']}/raw", params={"access_token": token})
    assert (in_url.status, in_url.error_code) == (401, "UNAUTHENTICATED")
    raw = await gateway.request("GET", f"/grpc/pictures/{created.body['id']}/raw", token=token)
    assert raw.status == 200 and raw.raw == png()
    assert raw.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_listing_is_newest_first_paginated_and_without_bytes(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token(transport)
    ids = []
    for i in range(5):
        created = await upload(gateway, transport, token, png(seed=i), title=f"picture {i}")
        ids.append(created.body["id"])
    seen: list[dict[str, Any]] = []
    page_token = ""
    pages = 0
    while True:
        params = {"page_size": "2", **({"page_token": page_token} if page_token else {})}
        page = await gateway.request("GET", f"/{transport}/pictures", token=token, params=params)
        assert page.status == 200, page.body
        pages += 1
        seen += page.body.get("pictures", [])
        page_token = page.body.get("next_page_token", "")
        if not page_token:
            break
    assert pages == 3
    assert [p["id"] for p in seen] == list(reversed(ids))
    assert all("base64" not in p for p in seen)
    default = await gateway.request("GET", f"/{transport}/pictures", token=token)
    assert len(default.body["pictures"]) == 5 and "next_page_token" not in default.body


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_delete_removes_the_picture(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token(transport)
    created = await upload(gateway, transport, token, png())
    deleted = await gateway.request("DELETE", f"/{transport}/pictures/{created.body['id']}", token=token)
    assert deleted.status == 204
    again = await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}", token=token)
    assert (again.status, again.error_code) == (404, "NOT_FOUND")
    twice = await gateway.request("DELETE", f"/{transport}/pictures/{created.body['id']}", token=token)
    assert (twice.status, twice.error_code) == (404, "NOT_FOUND")


async def test_another_users_picture_is_not_found_over_every_transport(gateway: GatewayClient) -> None:
    owner = await gateway.token()
    stranger = await gateway.token()
    created = await upload(gateway, "rest", owner, png())
    picture_id = created.body["id"]
    missing_id = "00000000-0000-4000-8000-000000000000"
    for transport in TRANSPORTS:
        replies = [
            await gateway.request("GET", f"/{transport}/pictures/{picture_id}", token=stranger),
            await gateway.request("GET", f"/{transport}/pictures/{picture_id}/raw", token=stranger),
            await gateway.request("DELETE", f"/{transport}/pictures/{picture_id}", token=stranger),
        ]
        nonexistent = await gateway.request("GET", f"/{transport}/pictures/{missing_id}", token=stranger)
        for reply in replies:
            not_found = (404, {"error": {"code": "NOT_FOUND", "message": "picture not found"}})
            assert (reply.status, reply.body) == (nonexistent.status, nonexistent.body) == not_found
        thumbnail = await gateway.request("GET", f"/{transport}/pictures/{picture_id}/thumbnail", token=stranger)
        assert (thumbnail.status, thumbnail.body) == not_found
        listing = await gateway.request("GET", f"/{transport}/pictures", token=stranger)
        assert listing.body.get("pictures", []) == []
    still_there = await gateway.request("GET", f"/rest/pictures/{picture_id}", token=owner)
    assert still_there.status == 200


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _corrupt_png() -> bytes:
    data = bytearray(png(300, 200))
    data[data.index(b"IDAT") + 30] ^= 0xFF  # inside the compressed pixels; the chunk structure stays whole
    return bytes(data)


CORRUPT_PNG = _corrupt_png()


@pytest.mark.parametrize(
    ("body", "status", "mentions"),
    [
        ({"title": "bad", "base64": "!!!not base64!!!"}, 400, "base64"),
        ({"title": "text", "base64": b64(b"just some text, not an image")}, 400, "not a PNG, JPEG, GIF or WebP"),
        ({"title": "fake", "base64": b64(b"\x89PNX" + b"0" * 40)}, 400, "not a PNG"),
        ({"title": "", "base64": b64(png())}, 400, "title"),
        ({"title": "x" * 201, "base64": b64(png())}, 400, "title"),
        ({"title": "empty"}, 400, "base64"),
        ({"title": "nul \u0000 byte", "base64": b64(png())}, 400, "control characters"),
        ({"title": "escape \u001b[31m red", "base64": b64(png())}, 400, "control characters"),
        ({"title": "two\nlines", "base64": b64(png())}, 400, "control characters"),
        ({"title": "signature then html", "base64": b64(PNG_SIGNATURE + HTML)}, 400, "not a readable PNG image"),
        ({"title": "png then html", "base64": b64(png() + HTML)}, 400, f"{len(HTML)} bytes after the end of its PNG"),
        (
            {"title": "jpeg then html", "base64": b64(jpeg() + HTML)},
            400,
            f"{len(HTML)} bytes after the end of its JPEG",
        ),
        (
            {"title": "gif then html", "base64": b64(animated_gif(40, 30, 3) + HTML)},
            400,
            "bytes after the end of its GIF",
        ),
        (
            {"title": "webp then html", "base64": b64(photo(40, 30, "WEBP") + HTML)},
            400,
            "bytes after the end of its WebP",
        ),
        ({"title": "png without its end", "base64": b64(png(300, 200)[:-12])}, 400, "truncated PNG"),
        ({"title": "png cut in half", "base64": b64(png(300, 200)[:700])}, 400, "truncated PNG"),
        ({"title": "jpeg cut short", "base64": b64(photo(300, 200)[:-2000])}, 400, "truncated JPEG"),
        ({"title": "gif cut short", "base64": b64(animated_gif(40, 30, 3)[:-100])}, 400, "truncated GIF"),
        ({"title": "corrupt png", "base64": b64(CORRUPT_PNG)}, 400, "truncated or corrupt PNG"),
        (
            {"title": "says jpeg", "base64": b64(png()), "content_type": "image/jpeg"},
            400,
            "content_type is image/jpeg but the bytes are a PNG image",
        ),
        ({"title": "says svg", "base64": b64(png()), "content_type": "image/svg+xml"}, 400, "content_type"),
    ],
)
async def test_invalid_uploads_are_400_over_every_transport(
    gateway: GatewayClient, body: dict[str, Any], status: int, mentions: str
) -> None:
    token = await gateway.token()
    replies = [await gateway.request("POST", f"/{t}/pictures", body, token=token) for t in TRANSPORTS]
    for reply in replies:
        assert (reply.status, reply.error_code) == (status, "INVALID_ARGUMENT"), reply.body
        assert mentions in reply.body["error"]["message"]
    assert replies[0].body == replies[1].body == replies[2].body
    listing = await gateway.request("GET", "/rest/pictures", token=token)
    assert listing.body.get("pictures", []) == []


@pytest.mark.parametrize(
    ("data", "mentions"),
    [
        (png_declaring(50000, 50000), "far beyond the limit of 40 megapixels"),
        (png_declaring(8000, 6000), "the image is 8000×6000 pixels; the limit is 40 megapixels"),
        (flickering_gif(1000, 1000, 170), "the animation is 170 frames of 1000×1000 pixels"),
    ],
    ids=["50000x50000 png bomb", "48 megapixel png", "170 megapixel animation"],
)
async def test_images_of_too_many_pixels_are_413_before_decoding_over_every_transport(
    gateway: GatewayClient,
    data: bytes,
    mentions: str,
) -> None:
    token = await gateway.token()
    replies = [await upload(gateway, t, token, data) for t in TRANSPORTS]
    for reply in replies:
        assert (reply.status, reply.error_code) == (413, "RESOURCE_EXHAUSTED"), reply.body
        assert reply.body["error"]["reason"] == "PAYLOAD_TOO_LARGE"
        assert mentions in reply.body["error"]["message"]
    assert replies[0].body == replies[1].body == replies[2].body
    listing = await gateway.request("GET", "/rest/pictures", token=token)
    assert listing.body.get("pictures", []) == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_whole_gif_webp_and_animated_images_are_accepted(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token(transport)
    for data, content_type, declared in (
        (animated_gif(120, 80, 4), "image/gif", "image/gif"),
        (photo(200, 100, "WEBP"), "image/webp", ""),
        (photo(200, 100, "JPEG", progressive=True), "image/jpeg", "image/jpeg"),
    ):
        body = {"title": f"a {content_type}", "base64": b64(data), **({"content_type": declared} if declared else {})}
        created = await gateway.request("POST", f"/{transport}/pictures", body, token=token)
        assert created.status == 201, created.body
        assert created.body["content_type"] == content_type
        raw = await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}/raw", token=token)
        assert raw.raw == data


async def test_malformed_ids_and_missing_tokens(gateway: GatewayClient) -> None:
    token = await gateway.token()
    for transport in TRANSPORTS:
        bad_id = await gateway.request("GET", f"/{transport}/pictures/not-a-uuid", token=token)
        assert (bad_id.status, bad_id.error_code) == (400, "INVALID_ARGUMENT")
        for method, path in (
            ("GET", "/pictures"),
            ("POST", "/pictures"),
            ("GET", "/pictures/x"),
            ("DELETE", "/pictures/x"),
            ("GET", "/analytics"),
        ):
            reply = await gateway.request(method, f"/{transport}{path}", {} if method == "POST" else None)
            assert (reply.status, reply.error_code) == (401, "UNAUTHENTICATED"), (transport, path)
        bad_page = await gateway.request("GET", f"/{transport}/pictures", token=token, params={"page_size": "1000"})
        assert (bad_page.status, bad_page.error_code) == (400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_9_mib_picture_goes_through_and_an_11_mib_one_is_413(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token(transport)
    big = png_of_size(9 * MiB)
    created = await upload(gateway, transport, token, big, title="nine mebibytes")
    assert created.status == 201, created.body
    assert created.body["size"] == 9 * MiB
    raw = await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}/raw", token=token)
    assert raw.raw == big
    full = await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}", token=token)
    assert base64.b64decode(full.body["base64"]) == big

    too_big = await upload(gateway, transport, token, png_of_size(11 * MiB), title="eleven mebibytes")
    assert too_big.status == 413, too_big.body
    assert too_big.error_code == "RESOURCE_EXHAUSTED"
    assert "limit" in too_big.body["error"]["message"]


async def test_deleting_the_account_removes_its_pictures(system: RunningSystem, gateway: GatewayClient) -> None:
    _, signup = await gateway.signup("events")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    for i in range(3):
        await upload(gateway, "rest", token, png(seed=i))
    other = await gateway.token()
    kept = await upload(gateway, "rest", other, png())
    deleted = await gateway.request("DELETE", "/events/me", token=token)
    assert deleted.status == 204
    me = await gateway.request("GET", "/rest/me", token=token)
    # The account is gone; its token stops working as soon as the deletion reaches the gateway.
    assert (me.status, me.error_code) in ((404, "NOT_FOUND"), (401, "UNAUTHENTICATED"))
    # user.deleted reaches pictures (and auth) asynchronously over Kafka: read its database, as the token is void.
    connection = await asyncpg.connect(system.info["postgres"]["pictures"])
    try:
        async with asyncio.timeout(20):
            while await connection.fetchval("SELECT count(*) FROM pictures WHERE user_id = $1", uuid.UUID(user_id)):
                await asyncio.sleep(0.2)
    finally:
        await connection.close()
    # Auth revokes the user's refresh tokens on user.deleted: keep refreshing with the newest token
    # until it stops working (it would rotate forever if nothing revoked them).
    refresh_token = signup.body["refresh_token"]
    async with asyncio.timeout(20):
        while True:
            refresh = await gateway.request("POST", "/rest/refresh", {"refresh_token": refresh_token})
            if refresh.status == 401:
                break
            assert refresh.status == 200
            refresh_token = refresh.body["refresh_token"]
            await asyncio.sleep(0.2)
    assert (await gateway.request("GET", f"/rest/pictures/{kept.body['id']}", token=other)).status == 200


THUMBNAIL_HEADERS = {
    "Content-Type": "image/webp",
    "Cache-Control": "private, max-age=86400, immutable",
    "X-Content-Type-Options": "nosniff",
}


def assert_is_thumbnail_of(thumbnail: bytes, width: int, height: int) -> None:
    image_format, thumb_width, thumb_height = decoded_size(thumbnail)
    assert image_format == "WEBP"
    # Fit within 320 × 320, never enlarged, aspect kept to the pixel.
    assert max(thumb_width, thumb_height) == min(320, max(width, height))
    assert abs(thumb_width * height - thumb_height * width) <= max(width, height)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_thumbnails_are_small_webps_that_keep_the_aspect_over_every_transport(
    gateway: GatewayClient,
    transport: str,
) -> None:
    token = await gateway.token(transport)
    originals = {
        "landscape jpeg": (photo(1600, 1200), 1600, 1200),
        "portrait png": (photo(600, 1500, "PNG"), 600, 1500),
        "tiny png": (png(), 4, 3),
    }
    ids = {}
    for title, (data, width, height) in originals.items():
        created = await upload(gateway, transport, token, data, title=title)
        assert created.status == 201, created.body
        assert (created.body["width"], created.body["height"]) == (width, height)
        ids[title] = created.body["id"]
        for fetch_transport in TRANSPORTS:
            reply = await gateway.request(
                "GET", f"/{fetch_transport}/pictures/{created.body['id']}/thumbnail", token=token
            )
            assert reply.status == 200, reply.body
            assert {k: reply.headers[k] for k in THUMBNAIL_HEADERS} == THUMBNAIL_HEADERS
            assert_is_thumbnail_of(reply.raw, width, height)
            if width > 320:
                assert len(reply.raw) * 10 < len(data), (len(reply.raw), len(data))
    listing = await gateway.request("GET", f"/{transport}/pictures", token=token)
    sizes = {p["title"]: (p["width"], p["height"]) for p in listing.body["pictures"]}
    assert sizes == {title: (w, h) for title, (_, w, h) in originals.items()}


async def test_a_picture_stored_before_thumbnails_gets_one_on_first_request(
    system: RunningSystem,
    gateway: GatewayClient,
) -> None:
    token = await gateway.token()
    data = photo(800, 500)
    created = await upload(gateway, "rest", token, data, title="stored before thumbnails")
    picture_id = created.body["id"]
    # What migration 002 leaves for a picture stored before it: no size, no thumbnail.
    db = await asyncpg.connect(system.info["postgres"]["pictures"])
    try:
        await db.execute(
            "UPDATE pictures SET width = NULL, height = NULL, thumbnail = NULL, thumbnail_content_type = NULL,"
            " thumbnail_width = NULL, thumbnail_height = NULL WHERE id = $1",
            uuid.UUID(picture_id),
        )
        listed = await gateway.request("GET", "/grpc/pictures", token=token)
        assert "width" not in listed.body["pictures"][0]  # unknown yet: 0, omitted in proto3 JSON
        first = await gateway.request("GET", f"/events/pictures/{picture_id}/thumbnail", token=token)
        assert first.status == 200, first.body
        assert_is_thumbnail_of(first.raw, 800, 500)
        stored = await db.fetchrow("SELECT width, height, thumbnail FROM pictures WHERE id = $1", uuid.UUID(picture_id))
        assert (stored["width"], stored["height"], stored["thumbnail"]) == (800, 500, first.raw)
        listed = await gateway.request("GET", "/rest/pictures", token=token)
        assert (listed.body["pictures"][0]["width"], listed.body["pictures"][0]["height"]) == (800, 500)

        # Before uploads were decoded whole, bytes that only start like a PNG were accepted.
        owner = uuid.UUID(created.body["user_id"])
        # ... and so were pixel bombs: no thumbnail is attempted for them either.
        stored_ids = []
        for title, old in (
            ("old html", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"),
            ("old bomb", png_declaring(8000, 6000)),
        ):
            stored_ids.append(uuid.uuid4())
            await db.execute(
                "INSERT INTO pictures (id, user_id, title, content_type, size, sha256, data)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                stored_ids[-1],
                owner,
                title,
                "image/png",
                len(old),
                hashlib.sha256(old).hexdigest(),
                old,
            )
    finally:
        await db.close()
    for transport, stored_id in itertools.product(TRANSPORTS, stored_ids):
        reply = await gateway.request("GET", f"/{transport}/pictures/{stored_id}/thumbnail", token=token)
        assert (reply.status, reply.error_code) == (404, "NOT_FOUND")
        message = "this picture has no thumbnail: its stored bytes are not an image that can be decoded"
        assert reply.body["error"]["message"] == message


async def test_a_caller_id_that_is_not_a_user_id_is_401_at_the_pictures_service(system: RunningSystem) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(system.rest_url("pictures") + "/pictures", headers={"x-user-id": "not-a-uuid"}) as reply:
            assert reply.status == 401
            assert (await reply.json())["error"]["code"] == "UNAUTHENTICATED"
