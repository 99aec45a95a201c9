"""End-to-end tests of the web app (web/dist served by the gateway) in Debian's chromium.

For each transport, at 1280×800 and at 390×844: sign up, upload two photos, see their thumbnails in
the gallery, open one by its URL, delete one, read the analytics of a time window, run the transport
race, open the trace of the delete as a waterfall, delete the account. On every screen: axe-core finds no
serious or critical accessibility violation and nothing scrolls sideways. No request URL carries a token,
and the gallery's image bytes are a small fraction of the originals. Plus: bad files and a refused signup.
Screenshots of each screen go to tests/e2e/artifacts/ (with measurements.json).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import (
    Browser,
    FilePayload,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
    async_playwright,
    expect,
)
from playwright.async_api import Error as PlaywrightError

from tests.images import photo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
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
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PASSWORD = "correct-horse-42"
RACE_ROUNDS = 10

# Analytics are written asynchronously (fire-and-forget events, stored in batches), so the screen
# is refreshed until the calls show up; each attempt auto-waits up to this long.
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
    # From the top: a full-page shot draws the sticky header wherever the page was scrolled to.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def record_measurement(key: str, value: Any) -> None:
    """Keeps numbers worth reading (bytes, race times) next to the screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "measurements.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def web_dist() -> Path:
    index = ROOT / "web" / "dist" / "index.html"
    if not index.exists():
        pytest.fail("web/dist is not built: run `cd web && npm ci && npm run build` first")
    return index


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `cd web && npm ci` (axe-core is a dev dependency of the web app)",
                    pytrace=False)
    return AXE


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed (`make system-deps`)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def new_page(browser: Browser, base_url: str, size: str) -> Page:
    phone = size == "phone"
    context = await browser.new_context(
        base_url=base_url, viewport=VIEWPORTS[size], is_mobile=phone, has_touch=phone, accept_downloads=False
    )
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


@dataclass
class Traffic:
    """Every request the page made, the tokens the server handed out, and the image answers."""

    urls: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    images: dict[str, int] = field(default_factory=dict)
    image_auth: dict[str, str] = field(default_factory=dict)

    def attach(self, page: Page) -> None:
        page.on("request", self._on_request)
        page.on("response", self._on_response)

    def _on_request(self, request: Request) -> None:
        self.urls.append(request.url)
        if re.search(r"/pictures/[^/]+/(thumbnail|raw)$", request.url):
            self.image_auth[request.url] = request.headers.get("authorization", "")

    async def _on_response(self, response: Response) -> None:
        url = response.url
        try:
            if re.search(r"/(rest|grpc|events)/(signup|login|refresh)$", url) and response.ok:
                body = await response.json()
                self.tokens.update(t for t in (body.get("access_token"), body.get("refresh_token")) if t)
            elif re.search(r"/pictures/[^/]+/(thumbnail|raw)$", url) and response.ok:
                # The bytes that came over the wire (body() is empty for answers read by fetch into a blob).
                self.images[url] = (await response.request.sizes())["responseBodySize"]
        except PlaywrightError:
            pass  # a page navigating away cancels answers; those are not counted

    def assert_no_token_in_urls(self) -> None:
        assert self.tokens, "no token was seen being issued: the check would prove nothing"
        for url in self.urls:
            assert "access_token" not in url and "refresh_token" not in url, url
            for token in self.tokens:
                assert token not in url, f"a token is in {url}"


async def assert_screen_ok(page: Page, axe: Path, name: str) -> None:
    """No sideways scrolling, no serious/critical axe-core violations, and a screenshot."""
    await page.wait_for_load_state("networkidle")
    width = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page scrolls sideways ({width[0]} px wide in a {width[1]} px window)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(axe))
    violations = await page.evaluate(
        """async () => {
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations
              .filter((v) => v.impact === 'serious' || v.impact === 'critical')
              .map((v) => `${v.impact} ${v.id}: ${v.help} at `
                          + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
        }"""
    )
    await screenshot(page, name)
    assert violations == [], f"{name}: accessibility violations:\n" + "\n".join(violations)


async def assert_not_cut(page: Page, selector: str) -> None:
    """Each matching element shows all its text: nothing clipped or ellipsed."""
    cut = await page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .map((e) => `${e.textContent} (${e.scrollWidth} > ${e.clientWidth})`)""",
        selector,
    )
    assert cut == [], f"cut text in {selector}: {cut}"


async def analytics_numbers(page: Page) -> dict[str, Any]:
    """Every count on the analytics screen, read at one instant (the screen refreshes itself)."""
    numbers: dict[str, Any] = await page.evaluate(
        """() => {
            const total = document.querySelector('[data-testid=analytics-total]');
            return {
                total: Number(total.dataset.count),
                text: total.textContent,
                cards: [...document.querySelectorAll('[data-testid=transport-card]')]
                    .map((c) => Number(c.dataset.count)),
                rows: document.querySelectorAll('[data-testid=analytics-row]').length,
                rowsText: document.querySelector('[data-testid=analytics-rows-count]').textContent,
            };
        }"""
    )
    return numbers


def assert_numbers_add_up(n: dict[str, Any]) -> None:
    """The "latest N" count equals the sum of the per-transport counts and of the calls listed."""
    total = n["total"]
    assert sum(n["cards"]) == total, n
    assert re.match(rf"^{total} calls?, ", n["text"]), n
    assert n["rowsText"] == f"Showing {min(total, 50)} of {total} {'call' if total == 1 else 'calls'}.", n
    assert n["rows"] == min(total, 50), n


async def go(page: Page, name: str) -> None:
    """Follows a main navigation link, through the menu when the header has folded it."""
    menu = page.get_by_test_id("menu-button")
    if await menu.is_visible():
        await menu.click()
        await expect(menu).to_have_attribute("aria-expanded", "true")
    await page.get_by_test_id(f"nav-{name}").click()
    await expect(page.get_by_test_id(f"{name}-page")).to_be_visible()


async def choose_transport(page: Page, transport: str) -> None:
    await page.get_by_test_id(f"transport-{transport}").check()
    await expect(page.get_by_test_id(f"transport-{transport}")).to_be_checked()


async def sign_up(page: Page, transport: str, username: str) -> None:
    await page.goto("/signup")
    await choose_transport(page, transport)
    await expect(page.get_by_test_id("signup-page")).to_be_visible()
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("gallery-page")).to_be_visible()


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


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_picture_journey(browser: Browser, system: Any, web_dist: Path, axe_source: Path, transport: str,
                               size: str) -> None:
    page = await new_page(browser, system.gateway_url, size)
    try:
        await journey(page, axe_source, transport, size)
    finally:
        await page.context.close()


async def journey(page: Page, axe: Path, transport: str, size: str) -> None:
    shot = f"{size}-{transport}"
    traffic = Traffic()
    traffic.attach(page)
    username = unique_username(transport)

    # Sign up: the password rule is on the form before any error.
    await page.goto("/signup")
    await choose_transport(page, transport)
    rule = page.get_by_test_id("password-rule")
    await expect(rule).to_contain_text(re.compile("at least 8 characters", re.I))
    await expect(rule).to_contain_text("not a common password")
    await expect(rule).to_contain_text("username")
    await expect(page.get_by_test_id("password-error")).to_be_empty()
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await assert_screen_ok(page, axe, f"{shot}-1-signup")
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("gallery-page")).to_be_visible()
    await expect(page.get_by_test_id("gallery-empty")).to_be_visible()
    await expect(page.get_by_test_id("call-info")).to_have_attribute("data-transport", transport)
    # The header keeps to one row: its height is that of a single line of controls.
    header_height = await page.locator(".app-header").evaluate("e => e.getBoundingClientRect().height")
    assert header_height <= 64, f"the header is {header_height} px tall"

    # Upload two photos at once.
    originals = {
        f"harbour {transport}": photo(1200, 900, quality=85),
        f"hills {transport}": photo(900, 1200, quality=85),
    }
    await go(page, "upload")
    await page.get_by_test_id("upload-input").set_input_files(
        [file_payload(f"{title.replace(' ', '_')}.jpg", data, "image/jpeg") for title, data in originals.items()]
    )
    items = page.get_by_test_id("upload-item")
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_have_attribute("data-state", "ready")
    await expect(items.nth(1)).to_have_attribute("data-state", "ready")
    await expect(items.nth(0).get_by_test_id("upload-title")).to_have_value(f"harbour {transport}")
    await page.get_by_test_id("upload-submit").click()
    await expect(items.nth(0)).to_have_attribute("data-state", "done", timeout=60_000)
    await expect(items.nth(1)).to_have_attribute("data-state", "done", timeout=60_000)
    await expect(page.get_by_test_id("upload-call-info").first).to_have_attribute("data-transport", transport)
    await assert_screen_ok(page, axe, f"{shot}-2-upload")

    # The gallery shows thumbnails, with date, size and type, fetched with the token in a header.
    await go(page, "gallery")
    tiles = page.get_by_test_id("gallery-item")
    await expect(tiles).to_have_count(2)
    titles = sorted(await page.get_by_test_id("picture-title").all_inner_texts())
    assert titles == sorted(originals)
    await wait_images_loaded(page, "[data-testid=gallery-item] img", 2)
    for img in await page.locator("[data-testid=gallery-item] img").all():
        assert (await img.get_attribute("src") or "").startswith("blob:")
    harbour = tiles.filter(has_text=f"harbour {transport}")
    await expect(harbour.get_by_test_id("picture-type")).to_have_text("JPEG")
    await expect(harbour.get_by_test_id("picture-size")).to_have_text(re.compile(r"^\d+(\.\d{1,2})? KiB$"))
    await expect(harbour.get_by_test_id("picture-date")).not_to_have_text("—")
    await assert_not_cut(page, ".tile-meta > *")
    await assert_screen_ok(page, axe, f"{shot}-3-gallery")
    thumbs = {u: n for u, n in traffic.images.items() if u.endswith("/thumbnail")}
    assert len(thumbs) == 2, f"expected the two thumbnails, got {sorted(thumbs)}"
    assert all(n > 0 for n in thumbs.values()), thumbs
    # The page holds exactly those bytes in its blobs.
    in_page = await page.locator("[data-testid=thumbnail]").evaluate_all(
        "imgs => imgs.map(i => Number(i.dataset.bytes))")
    assert sorted(in_page) == sorted(thumbs.values())
    assert all(u.startswith(f"{page.url.split('/gallery')[0]}/{transport}/") for u in thumbs)
    assert all(traffic.image_auth[u].startswith("Bearer ") for u in thumbs)
    original_bytes = sum(len(b) for b in originals.values())
    gallery_bytes = sum(thumbs.values())
    record_measurement(f"gallery-bytes-{size}-{transport}", {"thumbnails": gallery_bytes, "originals": original_bytes})
    assert gallery_bytes * 10 < original_bytes, f"thumbnails {gallery_bytes} B vs originals {original_bytes} B"
    assert not any(u.endswith("/raw") for u in traffic.images), "the gallery loaded full pictures"

    # From the gallery to a picture and back with the browser's back button.
    await harbour.get_by_test_id("open-picture").click()
    await expect(page).to_have_url(re.compile(r"/pictures/[^/]+$"))
    picture_url = page.url
    await expect(page.get_by_test_id("viewer-title")).to_have_text(f"harbour {transport}")
    await wait_images_loaded(page, "[data-testid=viewer-image]", 1)
    await page.go_back()
    await expect(page.get_by_test_id("gallery-page")).to_be_visible()
    await expect(tiles).to_have_count(2)

    # Open the picture by its URL in a fresh load: a deep link, restored session, full size.
    await page.goto(picture_url)
    await expect(page.get_by_test_id("picture-page")).to_be_visible()
    await expect(page.get_by_test_id("viewer-title")).to_have_text(f"harbour {transport}")
    await expect(page.get_by_test_id("viewer-type")).to_have_text("image/jpeg")
    await expect(page.get_by_test_id("viewer-size")).to_have_text(re.compile(r"^\d+(\.\d{1,2})? KiB$"))
    await expect(page.get_by_test_id("viewer-dimensions")).to_have_text("1200 × 900 px")
    await expect(page.get_by_test_id("viewer-date")).not_to_have_text("—")
    await expect(page.get_by_test_id("viewer-call-info")).to_have_attribute("data-transport", transport)
    await wait_images_loaded(page, "[data-testid=viewer-image]", 1)
    assert await page.get_by_test_id("viewer-image").evaluate("i => [i.naturalWidth, i.naturalHeight]") == [1200, 900]
    await assert_screen_ok(page, axe, f"{shot}-4-picture")

    # Delete it there, with confirmation: back in the gallery without it.
    await page.get_by_test_id("viewer-delete").click()
    dialog = page.get_by_test_id("confirm-dialog")
    await expect(dialog).to_be_visible()
    await assert_screen_ok(page, axe, f"{shot}-5-confirm-delete")
    await dialog.get_by_test_id("confirm-ok").click()
    await expect(page.get_by_test_id("gallery-page")).to_be_visible()
    await expect(tiles).to_have_count(1)
    await expect(tiles.first).to_contain_text(f"hills {transport}")
    await page.reload()
    await expect(tiles).to_have_count(1)
    traffic.assert_no_token_in_urls()

    # Analytics of the last 5 minutes: this transport's picture calls, and counts that add up.
    await go(page, "analytics")
    # The window lives in the URL; the router applies it in a transition, so click, then wait for it.
    await page.get_by_test_id("window-5m").click()
    await expect(page.get_by_test_id("window-5m")).to_be_checked()
    await expect(page).to_have_url(re.compile(r"window=5m"))
    rows = page.locator(f'[data-testid=analytics-row][data-transport="{transport}" i][data-method="deletepicture" i]')
    for attempt in range(ANALYTICS_ATTEMPTS):
        try:
            await expect(rows.first).to_be_visible(timeout=ANALYTICS_ATTEMPT_MS)
            break
        except AssertionError:
            if attempt == ANALYTICS_ATTEMPTS - 1:
                raise
            await page.get_by_test_id("analytics-refresh").click()
            await expect(page.get_by_test_id("analytics-refresh")).to_be_enabled()
    cards = page.get_by_test_id("transport-card")
    numbers = await analytics_numbers(page)
    assert numbers["total"] > 0
    assert_numbers_add_up(numbers)
    await expect(page.get_by_test_id("chart-calls-time").locator("svg").first).to_be_visible()
    await expect(page.get_by_test_id("chart-errors-time").locator("svg").first).to_be_visible()
    method_row = f'[data-testid=method-row][data-transport="{transport}"][data-method="createpicture" i]'
    await expect(page.locator(method_row)).to_be_visible()
    await assert_not_cut(page, "[data-testid=analytics-total], [data-testid=transport-card-count], .method-name")
    await assert_screen_ok(page, axe, f"{shot}-6-analytics")

    # Filters: only this transport's successful calls, asked of the server for the transport.
    await page.get_by_test_id("filter-transport").select_option(transport)
    await page.get_by_test_id("filter-status").select_option("ok")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_have_attribute("data-transport", transport)
    failed_rows = "[data-testid=analytics-row][data-status^='4'], [data-testid=analytics-row][data-status^='5']"
    await expect(page.locator(failed_rows)).to_have_count(0)
    await expect(page.get_by_test_id("analytics-refresh")).to_be_enabled()
    numbers = await analytics_numbers(page)
    assert numbers["total"] > 0 and numbers["cards"] == [numbers["total"]]
    assert_numbers_add_up(numbers)
    await page.get_by_test_id("filter-transport").select_option("")
    await page.get_by_test_id("filter-status").select_option("all")

    # The transport race: the same call over the three transports, side by side.
    await page.get_by_test_id("race-rounds").select_option(str(RACE_ROUNDS))
    await page.get_by_test_id("race-run").click()
    await expect(page.get_by_test_id("race-status")).to_have_text(
        f"{RACE_ROUNDS * 3} of {RACE_ROUNDS * 3} calls done.", timeout=60_000
    )
    results = page.get_by_test_id("race-result")
    await expect(results).to_have_count(3)
    race: dict[str, str] = {}
    for t in TRANSPORTS:
        card = results.filter(has=page.locator(f"h3:text-is('{LABELS[t]}')"))
        await expect(card).to_have_attribute("data-runs", str(RACE_ROUNDS))
        await expect(card.get_by_test_id("race-p50")).to_have_text(re.compile(r"^p50 \d"))
        race[t] = " ".join(await card.locator(".big span").all_inner_texts())
    await expect(page.get_by_test_id("race-winner")).to_have_attribute("data-transport", re.compile("rest|grpc|events"))
    await expect(page.get_by_test_id("race-chart").locator("svg").first).to_be_visible()
    record_measurement(f"race-{size}-{transport}", race)
    await assert_screen_ok(page, axe, f"{shot}-7-race")

    # The trace of the delete: from its row to a waterfall across the gateway, the service, its SQL (and Kafka).
    await open_trace(page, rows.first, transport)
    await assert_screen_ok(page, axe, f"{shot}-7b-trace")

    # The account page: one sign-out (in the header), a fresh timing, then delete the account.
    await go(page, "account")
    await expect(page.get_by_test_id("account-username")).to_have_text(username)
    await expect(page.get_by_test_id("account-call-info")).to_have_attribute("data-transport", transport)
    await assert_screen_ok(page, axe, f"{shot}-8-account")
    menu = page.get_by_test_id("menu-button")
    if await menu.is_visible():
        await menu.click()
    await expect(page.get_by_role("button", name="Sign out")).to_have_count(1)
    if await menu.is_visible():
        await page.keyboard.press("Escape")
        await expect(menu).to_have_attribute("aria-expanded", "false")
    await page.get_by_test_id("delete-account").click()
    await page.get_by_test_id("confirm-ok").click()
    await expect(page.get_by_test_id("login-page")).to_be_visible()
    await expect(page.get_by_test_id("session-notice")).to_contain_text("deleted")
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("auth-submit").click()
    await expect(page.get_by_test_id("auth-error")).not_to_be_empty()
    await assert_screen_ok(page, axe, f"{shot}-9-login-refused")
    traffic.assert_no_token_in_urls()


async def open_trace(page: Page, row: Locator, transport: str) -> None:
    """Opens the trace of an analytics row and waits for its waterfall to hold every layer of the call."""
    await row.get_by_test_id("trace-link").click()
    await expect(page.get_by_test_id("trace-page")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/traces/[0-9a-f]{32}$"))
    spans = page.get_by_test_id("span-row")
    # Each process exports its spans every half second: refresh until all of them are in.
    wanted = ['[data-service="gateway"][data-depth="0"]', '[data-service="pictures"][data-layer="sql"]',
              f'[data-service="pictures"][data-layer="{transport}"]',
              *(['[data-service="pictures"][data-layer="kafka"]'] if transport == "events" else [])]
    for attempt in range(ANALYTICS_ATTEMPTS):
        try:
            for selector in wanted:
                await expect(page.locator(f"[data-testid=span-row]{selector}").first).to_be_visible(
                    timeout=ANALYTICS_ATTEMPT_MS)
            break
        except AssertionError:
            if attempt == ANALYTICS_ATTEMPTS - 1:
                raise
            await page.get_by_test_id("trace-refresh").click()
            await expect(page.get_by_test_id("trace-refresh")).to_be_enabled()
    await expect(page.get_by_test_id("waterfall")).to_be_visible()
    # Nested: every span but the root is deeper than 0, and the bars lie inside the waterfall's box.
    depths = [int(d or 0) for d in await spans.evaluate_all("rows => rows.map(r => r.dataset.depth)")]
    assert depths[0] == 0 and max(depths) >= 2, depths
    box = await page.get_by_test_id("waterfall").bounding_box()
    assert box is not None
    for bar in await page.locator(".span-bar").all():
        bar_box = await bar.bounding_box()
        assert bar_box is not None and bar_box["x"] + bar_box["width"] <= box["x"] + box["width"] + 1
    # A span opens to its details: the SQL statement, cut short.
    sql = page.locator('[data-testid=span-row][data-layer="sql"]').first
    await sql.locator("summary").click()
    await expect(sql.locator(".span-details")).to_contain_text(re.compile("db.statement", re.I))


async def test_rejected_uploads_and_refused_signup(browser: Browser, system: Any, web_dist: Path,
                                                   axe_source: Path) -> None:
    page = await new_page(browser, system.gateway_url, "phone")
    try:
        await rejected_uploads_and_refused_signup(page, axe_source)
    finally:
        await page.context.close()


async def rejected_uploads_and_refused_signup(page: Page, axe: Path) -> None:
    username = unique_username("reject")
    await sign_up(page, "rest", username)

    # A text file named like an image, and an over-size PNG: both refused before sending, with
    # the size stated so it never reads as the limit itself.
    await go(page, "upload")
    big = make_png(1, 1, (0, 0, 0)) + b"\x00" * (int(10.49 * 1024 * 1024))
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
    await expect(items.nth(1).get_by_test_id("upload-error")).to_have_text(
        "The file is 10.49 MiB, larger than the 10 MiB limit."
    )
    await expect(items.nth(1)).to_contain_text("10.49 MiB")
    await expect(page.get_by_test_id("upload-submit")).to_be_disabled()
    await assert_screen_ok(page, axe, "phone-upload-rejected")
    assert uploads == []

    # The menu and transport switch stay usable on a phone.
    await expect(page.get_by_test_id("transport-switch")).to_be_visible()
    await go(page, "gallery")
    await expect(page.get_by_test_id("gallery-empty")).to_be_visible()
    await page.get_by_test_id("menu-button").click()
    await assert_screen_ok(page, axe, "phone-menu-open")

    # Signing up again with the same name: the server's 409 message is shown.
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("login-page")).to_be_visible()
    await assert_screen_ok(page, axe, "phone-login")
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
    await page.get_by_label("Username or email").fill("walrus")
    await page.get_by_label("Password").fill("walrus-forever")
    await expect(page.get_by_test_id("password-error")).to_contain_text("must not contain your username")
    await assert_screen_ok(page, axe, "phone-signup-refused")


async def test_header_stays_one_row_at_every_width(browser: Browser, system: Any, web_dist: Path) -> None:
    page = await new_page(browser, system.gateway_url, "desktop")
    try:
        await sign_up(page, "grpc", unique_username("widths"))
        await go(page, "analytics")
        for width in (320, 390, 600, 760, 900, 1000, 1001, 1100, 1180, 1280, 1600):
            await page.set_viewport_size({"width": width, "height": 800})
            header = await page.locator(".app-header").evaluate("e => e.getBoundingClientRect().height")
            assert header <= 64, f"at {width} px the header is {header} px tall"
            scroll = await page.evaluate("document.scrollingElement.scrollWidth")
            assert scroll <= width, f"at {width} px the page is {scroll} px wide"
            await assert_not_cut(page, ".app-header nav a, .transport-switch label, .menu-button")
    finally:
        await page.context.close()


async def test_a_gallery_of_twenty_pictures_costs_under_a_tenth_of_their_bytes(
        browser: Browser, system: Any, web_dist: Path) -> None:
    """A full first page of the gallery: twenty thumbnails, no originals, no token in any URL."""
    page = await new_page(browser, system.gateway_url, "desktop")
    traffic = Traffic()
    traffic.attach(page)
    try:
        async with page.expect_response(re.compile(r"/rest/signup$")) as signed:
            await sign_up(page, "rest", unique_username("twenty"))
        token = (await (await signed.value).json())["access_token"]
        originals = [photo(1200 - 12 * i, 900 + 8 * i, quality=85) for i in range(20)]
        async with aiohttp.ClientSession() as http:
            for i, data in enumerate(originals):
                async with http.post(f"{system.gateway_url}/rest/pictures",
                                     json={"title": f"photo {i}", "base64": base64.b64encode(data).decode()},
                                     headers={"Authorization": f"Bearer {token}"}) as created:
                    assert created.status == 201, await created.text()
        await page.get_by_role("button", name="Reload").click()  # the gallery, open since sign-up, fetches again
        await expect(page.get_by_test_id("gallery-item")).to_have_count(20)
        # Thumbnails load as their tiles come into view: scroll down until all twenty have (bounded).
        for _ in range(20):
            loaded = await page.locator("[data-testid=gallery-item] img").evaluate_all(
                "imgs => imgs.filter((i) => i.complete && i.naturalWidth > 0).length")
            if loaded == 20:
                break
            await page.mouse.wheel(0, 600)
            await page.wait_for_timeout(250)
        await wait_images_loaded(page, "[data-testid=gallery-item] img", 20)
        await page.wait_for_load_state("networkidle")
        thumbs = {u: n for u, n in traffic.images.items() if u.endswith("/thumbnail")}
        assert len(thumbs) == 20, f"expected twenty thumbnails, got {len(thumbs)}"
        assert not [u for u in traffic.images if u.endswith("/raw")], "the gallery fetched an original"
        original_bytes = sum(len(b) for b in originals)
        gallery_bytes = sum(thumbs.values())
        record_measurement("gallery-bytes-20-pictures", {"thumbnails": gallery_bytes, "originals": original_bytes})
        assert gallery_bytes * 10 < original_bytes, f"thumbnails {gallery_bytes} B vs originals {original_bytes} B"
        traffic.assert_no_token_in_urls()
    finally:
        await page.context.close()
