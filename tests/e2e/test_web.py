"""End-to-end tests of the web app (web/dist served by the gateway) in Debian's chromium.

For each transport: sign up, upload two pictures, see them in the gallery, open one, delete one,
see the calls in the analytics screen, delete the account. Plus: a non-image and an over-size
file are refused before sending, and the server's message is shown when a signup is refused.
Screenshots of each screen go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, FilePayload, Page, async_playwright, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TRANSPORTS = ["rest", "grpc", "events"]
LABELS = {"rest": "REST", "grpc": "gRPC", "events": "Events"}
PASSWORD = "correct-horse-42"

# Analytics are written asynchronously (fire-and-forget events), so the screen is refreshed
# until the calls show up; each attempt auto-waits up to this long.
ANALYTICS_ATTEMPT_MS = 2_000
ANALYTICS_ATTEMPTS = 20


def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real (tiny) RGB PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def file_payload(name: str, data: bytes, mime: str = "image/png") -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def unique_username(prefix: str) -> str:
    return f"e2e_{prefix}_{uuid.uuid4().hex[:10]}"


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def web_dist() -> Path:
    index = ROOT / "web" / "dist" / "index.html"
    if not index.exists():
        pytest.fail("web/dist is not built: run `cd web && npm ci && npm run build` first")
    return index


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def new_page(browser: Browser, base_url: str, **context_args: Any) -> Page:
    context = await browser.new_context(base_url=base_url, **context_args)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
async def page(browser: Browser, system: Any, web_dist: Path) -> AsyncIterator[Page]:
    pg = await new_page(browser, system.gateway_url, viewport={"width": 1280, "height": 900})
    try:
        yield pg
    finally:
        await pg.context.close()


@pytest.fixture
async def phone_page(browser: Browser, system: Any, web_dist: Path) -> AsyncIterator[Page]:
    pg = await new_page(browser, system.gateway_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        yield pg
    finally:
        await pg.context.close()


async def choose_transport(page: Page, transport: str) -> None:
    await page.get_by_test_id(f"transport-{transport}").check()
    await expect(page.get_by_test_id(f"transport-{transport}")).to_be_checked()


async def sign_up(page: Page, transport: str, username: str, shot: str | None = None) -> None:
    await page.goto("/signup")
    await choose_transport(page, transport)
    await expect(page.get_by_test_id("signup-page")).to_be_visible()
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    if shot:
        await screenshot(page, shot)
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("gallery-page")).to_be_visible()
    await expect(page.get_by_test_id("current-user")).to_have_text(username)


async def wait_images_loaded(page: Page, selector: str, count: int) -> None:
    """Waits until `count` images matching selector are decoded (served, not broken)."""
    await page.wait_for_function(
        """([sel, n]) => {
            const imgs = [...document.querySelectorAll(sel)];
            return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
        }""",
        arg=[selector, count],
        timeout=15_000,
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_picture_journey(page: Page, transport: str) -> None:
    username = unique_username(transport)
    await sign_up(page, transport, username, shot=f"{transport}-1-signup")
    await expect(page.get_by_test_id("gallery-empty")).to_be_visible()
    call = page.get_by_test_id("call-info")
    await expect(call).to_have_attribute("data-transport", transport)
    await expect(call.get_by_test_id("call-info-transport")).to_have_text(LABELS[transport])

    # Upload two real PNGs at once.
    await page.get_by_test_id("nav-upload").click()
    await expect(page.get_by_test_id("upload-page")).to_be_visible()
    await page.get_by_test_id("upload-input").set_input_files(
        [
            file_payload(f"red_square_{transport}.png", make_png(16, 16, (220, 30, 30))),
            file_payload(f"blue_banner_{transport}.png", make_png(48, 24, (30, 60, 220))),
        ]
    )
    items = page.get_by_test_id("upload-item")
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_have_attribute("data-state", "ready")
    await expect(items.nth(1)).to_have_attribute("data-state", "ready")
    await expect(items.nth(0).get_by_test_id("upload-title")).to_have_value(f"red square {transport}")
    await items.nth(1).get_by_test_id("upload-title").fill(f"Blue banner over {LABELS[transport]}")
    await expect(page.get_by_test_id("upload-submit")).to_be_enabled()
    await page.get_by_test_id("upload-submit").click()
    await expect(items.nth(0)).to_have_attribute("data-state", "done")
    await expect(items.nth(1)).to_have_attribute("data-state", "done")
    await expect(page.get_by_test_id("upload-done")).to_have_count(2)
    await expect(page.get_by_test_id("upload-call-info").first).to_have_attribute("data-transport", transport)
    await screenshot(page, f"{transport}-2-upload")

    # Both in the gallery, thumbnails served through /{t}/pictures/{id}/raw?access_token=...
    await page.get_by_test_id("nav-gallery").click()
    tiles = page.get_by_test_id("gallery-item")
    await expect(tiles).to_have_count(2)
    titles = sorted(await page.get_by_test_id("picture-title").all_inner_texts())
    assert titles == sorted([f"red square {transport}", f"Blue banner over {LABELS[transport]}"])
    thumb = tiles.first.locator("img")
    await expect(thumb).to_have_attribute("loading", "lazy")
    await expect(thumb).to_have_attribute("src", re.compile(rf"^/{transport}/pictures/[^/]+/raw\?access_token=.+"))
    await wait_images_loaded(page, "[data-testid=gallery-item] img", 2)
    await expect(page.get_by_test_id("call-info")).to_have_attribute("data-transport", transport)
    await screenshot(page, f"{transport}-3-gallery")

    # Open the red one at full size.
    red = tiles.filter(has_text=f"red square {transport}")
    await red.get_by_test_id("open-picture").click()
    viewer = page.get_by_test_id("picture-viewer")
    await expect(viewer).to_be_visible()
    await expect(viewer.get_by_test_id("viewer-title")).to_have_text(f"red square {transport}")
    await expect(viewer.get_by_test_id("viewer-type")).to_have_text("image/png")
    await expect(viewer.get_by_test_id("viewer-size")).to_have_text(re.compile(r"^\d+(\.\d+)? (B|KiB)$"))
    await expect(viewer.get_by_test_id("viewer-date")).not_to_have_text("—")
    await expect(viewer.get_by_test_id("viewer-call-info")).to_have_attribute("data-transport", transport)
    await wait_images_loaded(page, "[data-testid=viewer-image]", 1)
    assert await viewer.get_by_test_id("viewer-image").evaluate("i => [i.naturalWidth, i.naturalHeight]") == [16, 16]
    await screenshot(page, f"{transport}-4-viewer")
    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()

    # Delete the blue one, with confirmation; the grid updates without a reload.
    blue = tiles.filter(has_text=f"Blue banner over {LABELS[transport]}")
    await blue.get_by_test_id("delete-picture").click()
    dialog = page.get_by_test_id("confirm-dialog")
    await expect(dialog).to_be_visible()
    await screenshot(page, f"{transport}-5-confirm-delete")
    await dialog.get_by_test_id("confirm-ok").click()
    await expect(dialog).to_be_hidden()
    await expect(tiles).to_have_count(1)
    await expect(tiles.first).to_contain_text(f"red square {transport}")

    # Still signed in after a reload (refresh token in localStorage); the deletion stuck.
    await page.reload()
    await expect(page.get_by_test_id("current-user")).to_have_text(username)
    await expect(page.get_by_test_id(f"transport-{transport}")).to_be_checked()
    await expect(tiles).to_have_count(1)

    # Analytics show this transport's picture calls.
    await page.get_by_test_id("nav-analytics").click()
    await expect(page.get_by_test_id("analytics-page")).to_be_visible()
    rows = page.locator(f'[data-testid=analytics-row][data-transport="{transport}" i][data-method*="picture" i]')
    for attempt in range(ANALYTICS_ATTEMPTS):
        try:
            await expect(rows.first).to_be_visible(timeout=ANALYTICS_ATTEMPT_MS)
            break
        except AssertionError:
            if attempt == ANALYTICS_ATTEMPTS - 1:
                raise
            await page.get_by_test_id("analytics-refresh").click()
            await expect(page.get_by_test_id("analytics-refresh")).to_be_enabled()
    await expect(page.get_by_test_id("chart-calls-row").filter(has_text=LABELS[transport])).to_be_visible()
    await expect(page.get_by_test_id("chart-latency-transport-row").filter(has_text=LABELS[transport])).to_be_visible()
    await expect(page.get_by_test_id("chart-latency-method-row").first).to_be_visible()
    await expect(page.get_by_test_id("call-info")).to_have_attribute("data-transport", transport)
    await screenshot(page, f"{transport}-6-analytics")

    # Delete the account; signing in again is refused with the server's message.
    await page.get_by_test_id("nav-account").click()
    await expect(page.get_by_test_id("account-username")).to_have_text(username)
    await page.get_by_test_id("delete-account").click()
    await expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
    await page.get_by_test_id("confirm-ok").click()
    await expect(page.get_by_test_id("login-page")).to_be_visible()
    await expect(page.get_by_test_id("session-notice")).to_contain_text("deleted")
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("auth-error")).to_be_visible()
    await expect(page.get_by_test_id("auth-error")).not_to_be_empty()
    await screenshot(page, f"{transport}-7-login-refused")


async def test_rejected_uploads_and_refused_signup(phone_page: Page) -> None:
    page = phone_page
    username = unique_username("reject")
    await sign_up(page, "rest", username)

    # A text file named like an image, and an over-size PNG: both refused before sending.
    await page.get_by_test_id("nav-upload").click()
    big = make_png(1, 1, (0, 0, 0)) + b"\x00" * (10 * 1024 * 1024)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" and "/pictures" in r.url else None)
    await page.get_by_test_id("upload-input").set_input_files(
        [
            file_payload("notes.png", b"these are just some notes, not a picture\n", "image/png"),
            file_payload("huge.png", big),
        ]
    )
    items = page.get_by_test_id("upload-item")
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_have_attribute("data-state", "invalid")
    await expect(items.nth(0).get_by_test_id("upload-error")).to_contain_text("Not an image")
    await expect(items.nth(1)).to_have_attribute("data-state", "invalid")
    await expect(items.nth(1).get_by_test_id("upload-error")).to_contain_text("10 MiB")
    await expect(page.get_by_test_id("upload-submit")).to_be_disabled()
    await screenshot(page, "phone-upload-rejected")
    assert uploads == []

    # The menu and transport switch stay usable on a phone.
    await expect(page.get_by_test_id("transport-switch")).to_be_visible()
    await page.get_by_test_id("nav-gallery").click()
    await expect(page.get_by_test_id("gallery-empty")).to_be_visible()
    await screenshot(page, "phone-gallery-empty")

    # Signing up again with the same name: the server's 409 message is shown.
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("login-page")).to_be_visible()
    await page.get_by_test_id("to-signup").click()
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("auth-error")).to_contain_text(re.compile("already exists", re.I))

    # Inline validation catches bad input before asking the server.
    await page.get_by_label("Username or email").fill("no spaces allowed")
    await page.get_by_label("Password").fill("short")
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("username-error")).to_contain_text("letters, digits")
    await expect(page.get_by_test_id("password-error")).to_contain_text("at least 8")
    await screenshot(page, "phone-signup-refused")
