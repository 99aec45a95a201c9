"""`trident new` and docs/tutorial.md, followed to the letter in a copy of the repository.

The copy shares this checkout's .venv and web/node_modules (nothing is reinstalled), starts with a copy of its
built web app, and is a git repository of its own, so the test can show what adding a service changed, and that
nothing under internal/common did.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.async_api import async_playwright, expect

from tests.client import TRANSPORTS
from tests.conftest import port_is_free
from tests.e2e.test_web import CHROMIUM, CHROMIUM_ARGS, choose_transport
from tests.images import png
from tools import scaffold

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
MARKER = re.compile(r"^<!-- tutorial: (run|write|replace in)\s*(\S*) -->$")


@dataclass(frozen=True)
class Step:
    action: str  # "run", "write" or "replace in"
    path: str
    blocks: tuple[str, ...]


def tutorial_steps(text: str) -> list[Step]:
    """The steps the tutorial marks, each with the fenced code blocks that follow its marker."""
    lines = text.splitlines()
    steps: list[Step] = []
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i].strip())
        i += 1
        if marker is None:
            continue
        action, path = marker.groups()
        blocks: list[str] = []
        while len(blocks) < (2 if action == "replace in" else 1):
            while not lines[i].startswith("```"):
                i += 1
            end = lines.index("```", i + 1)
            blocks.append("\n".join(lines[i + 1:end]) + "\n")
            i = end + 1
        steps.append(Step(action, path, tuple(blocks)))
    return steps


def copy_repository(destination: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    # The web app's packages, which `make web` installed; its build is copied, as the tutorial builds it anew.
    (destination / "web" / "node_modules").symlink_to(ROOT / "web" / "node_modules")
    shutil.copytree(ROOT / "web" / "dist", destination / "web" / "dist")
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "the repository before the new service")


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True).stdout


def environment(copy: Path) -> dict[str, str]:
    # PYTHONPATH first: the shared .venv's editable install points at this checkout, not at the copy.
    env = {**os.environ, "PYTHONPATH": str(copy), "LOG_FORMAT": "json"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return env


def command_of(line: str) -> list[str]:
    words = shlex.split(line)
    if words[0] == "trident":
        return [sys.executable, "-m", "internal.cli", *words[1:]]
    if words == ["make", "proto"]:
        return ["make", "-o", "install", "proto"]  # the copy shares this checkout's .venv: never reinstall it
    if words[:3] == ["npm", "--prefix", "web"]:
        return words
    raise AssertionError(f"the tutorial runs {line!r}, which this test does not know how to run")


def run(copy: Path, line: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command_of(line), cwd=copy, env=environment(copy), capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, f"{line} failed:\n{result.stdout}\n{result.stderr}"
    return result


def apply(copy: Path, step: Step) -> None:
    if step.action == "run":
        for line in step.blocks[0].splitlines():
            if line.strip():
                run(copy, line)
    elif step.action == "write":
        target = copy / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.blocks[0])
    else:
        target = copy / step.path
        before, after = step.blocks
        text = target.read_text()
        assert text.count(before) == 1, f"the tutorial's text to replace is not (once) in {step.path}:\n{before}"
        target.write_text(text.replace(before, after))


def free_port_base(processes: int) -> int:
    """A base B with B..B+processes-1 and B+1001..B+1000+processes free (`trident up --port-base` layout)."""
    for _ in range(200):
        # Below Linux's ephemeral ports (32768 and up), which outgoing connections take at any moment.
        base = int.from_bytes(os.urandom(2), "big") % 1100 * 10 + 20000
        if all(port_is_free(p) for p in (*range(base, base + processes), *range(base + 1001, base + 1001 + processes))):
            return base
    raise RuntimeError("no free port range")


class System:
    """`trident up` in the copy, on free loopback ports."""

    def __init__(self, copy: Path, state_dir: Path, processes: int) -> None:
        base = free_port_base(processes)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = state_dir / "system.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(state_dir), "--port", str(base),
                 "--port-base", str(base)],
                cwd=copy, env=environment(copy), stdout=log, stderr=subprocess.STDOUT,
            )
        up_json = state_dir / "up.json"
        deadline = time.monotonic() + 180
        while not up_json.exists():
            assert self.process.poll() is None, f"trident up exited:\n{self.log_path.read_text()[-4000:]}"
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"trident up not ready in 180 s:\n{self.log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        self.info: dict[str, Any] = json.loads(up_json.read_text())
        self.gateway = str(self.info["gateway"])

    def call(self, method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.gateway + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def test_the_tutorial_marks_its_steps_from_trident_new_on() -> None:
    steps = tutorial_steps(TUTORIAL.read_text())
    assert steps[0] == Step("run", "", ("trident new comments\n",))
    written = {s.path for s in steps if s.action == "write"}
    assert {"api/proto/comments.proto", "internal/services/comments/service.py", "tests/test_comments.py",
            "internal/services/comments/repository.py", "internal/services/comments/__init__.py"} <= written
    assert any(s.action == "write" and s.path.endswith(".sql") for s in steps)
    assert Step("run", "", ("make proto\n",)) in steps
    assert {"web/src/components/Comments.tsx", "web/src/components/Comments.test.tsx"} <= written
    assert [s.path for s in steps if s.action == "replace in" and s.path.startswith("web/")] == [
        "web/src/picturePanels.ts"] * 2
    assert Step("run", "", ("npm --prefix web test\nnpm --prefix web run build\n",)) in steps


def test_a_new_service_is_appended_to_api_yml_with_every_comment_kept() -> None:
    original = (ROOT / "configs" / "api.yml").read_text()
    changed = scaffold.add_to_api_yml(original, scaffold.Names("photo_tags"))
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert [line for line in changed.splitlines() if line in comments] == comments
    before, after = yaml.safe_load(original), yaml.safe_load(changed)
    assert after["services"] == {**before["services"], "photo_tags": after["services"]["photo_tags"]}
    assert after["services"]["photo_tags"]["proto"] == "trident.photo_tags.v1.PhotoTags"
    assert after["topics"] == before["topics"]
    assert after["public"]["createPhotoTag"]["path"] == "/photo-tags"
    assert after["public"]["listPhotoTags"]["call"] == "photo_tags.listPhotoTags"


def test_the_registry_lists_a_new_service_before_the_gateway_within_the_line_limit() -> None:
    text = (ROOT / "internal" / "services" / "registry.py").read_text()
    for name in ("comments", "photo_tags", "reviews", "likes", "followers"):
        text = scaffold.add_to_registry(text, name)
    assert all(len(line) <= 120 for line in text.splitlines())
    tree = ast.parse(text)
    registry = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Registry")
    listed = [ast.unparse(e) for e in registry.keywords[0].value.elts]  # type: ignore[attr-defined]
    assert listed[-1] == "gateway.SERVICE" and {"comments.SERVICE", "photo_tags.SERVICE"} <= set(listed)


def test_a_scaffold_that_fails_half_way_leaves_the_repository_as_it_was(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy_repository(copy)
    # The OpenAPI/AsyncAPI generator breaks after the proto, api.yml, the package and the clients are written.
    (copy / "tools" / "contract_docs.py").write_text("raise SystemExit('the generator is broken')\n")
    git(copy, "commit", "-q", "-am", "a broken generator")
    failed = subprocess.run(command_of("trident new reviews"), cwd=copy, env=environment(copy), capture_output=True,
                            text=True, timeout=300, check=False)
    assert failed.returncode == 2 and "the generator is broken" in failed.stderr, failed.stderr
    assert git(copy, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.timeout(1500)
def test_trident_new_then_the_tutorial_gives_a_comments_service_over_every_transport(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy_repository(copy)
    steps = tutorial_steps(TUTORIAL.read_text())

    for bad, says in (("Comments", "not a service name"), ("user", "reserved"), ("pictures", "already exists"),
                      ("gateway", "reserved"), ("accounts", "tests/test_accounts.py already exists")):
        refused = subprocess.run(command_of(f"trident new {bad}"), cwd=copy, env=environment(copy),
                                 capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode == 2 and says in refused.stderr, (bad, refused.stderr)
    assert git(copy, "status", "--porcelain") == ""

    started = time.monotonic()
    apply(copy, steps[0])  # trident new comments
    scaffolded = time.monotonic() - started
    system = System(copy, tmp_path / "state-new", processes=6)
    first_call: dict[str, float] = {}
    try:
        status, signup = system.call("POST", "/rest/signup", {"username": "tutorial", "password": "correct horse"})
        assert status == 201, signup
        deadline = time.monotonic() + 60
        for transport in TRANSPORTS:
            while True:
                status, body = system.call("POST", f"/{transport}/comments", {"note": transport},
                                           signup["access_token"])
                if status == 201:
                    assert body["note"] == transport
                    first_call[transport] = time.monotonic() - started
                    break
                assert time.monotonic() < deadline, (transport, status, body)
                time.sleep(0.2)
        status, listing = system.call("GET", "/events/comments", token=signup["access_token"])
        assert status == 200 and [item["note"] for item in listing["items"]] == list(reversed(TRANSPORTS))
    finally:
        system.stop()
    print(f"\n`trident new comments` took {scaffolded:.1f} s; first successful call through the gateway, "
          "counted from `trident new`: " + ", ".join(f"{t} {s:.1f} s" for t, s in first_call.items()))

    started = time.monotonic()
    for step in steps[1:]:
        apply(copy, step)
    print(f"the tutorial's steps after `trident new` took {time.monotonic() - started:.0f} s (with `make proto` and "
          "the web app's tests and build)")
    # With the contract documents' tests, which must now describe the comments service too.
    tested = subprocess.run([sys.executable, "-m", "pytest", "tests/test_comments.py", "tests/test_contract_docs.py",
                             "-q", "-p", "no:cacheprovider"],
                            cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=900, check=False)
    print(tested.stdout[-600:])
    assert tested.returncode == 0, tested.stdout[-6000:] + tested.stderr[-3000:]
    assert " passed" in tested.stdout and "skipped" not in tested.stdout, tested.stdout[-600:]

    new_python = ["internal/services/comments", "internal/services/registry.py", "tests/test_comments.py"]
    for check in (["ruff", "check", *new_python], ["mypy", *new_python],
                  ["tools.generate_clients", "--check"], ["tools.contract_docs", "--check"],
                  ["tools.postman", "--check"]):
        result = subprocess.run([sys.executable, "-m", *check], cwd=copy, env=environment(copy),
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, f"{' '.join(check)}:\n{result.stdout}{result.stderr}"

    changed = [line[3:] for line in git(copy, "status", "--porcelain", "--untracked-files=all").splitlines()]
    print(git(copy, "diff", "--stat"))
    assert "internal/services/comments/service.py" in changed and "configs/api.yml" in changed
    assert not [path for path in changed if path.startswith("internal/common/")], changed

    # The web step as its reader sees it: the web app just built, in Chromium, against the system with comments.
    started = time.monotonic()
    system = System(copy, tmp_path / "state-tutorial", processes=6)
    try:
        status, signup = system.call("POST", "/rest/signup", {"username": "web_reader", "password": PASSWORD})
        assert status == 201, signup
        token = signup["access_token"]
        status, picture = system.call("POST", "/rest/pictures",
                                      {"title": "commented", "base64": base64.b64encode(png()).decode()}, token)
        assert status == 201, picture
        asyncio.run(comment_in_the_picture_view(system.gateway, "web_reader", picture["id"]))
        status, listing = system.call("GET", f"/grpc/pictures/{picture['id']}/comments", token=token)
        assert status == 200 and [c["text"] for c in listing["comments"]] == [WEB_COMMENT], listing
    finally:
        system.stop()
    print(f"the system with comments, and a comment added in its picture view in Chromium: "
          f"{time.monotonic() - started:.0f} s")


PASSWORD = "correct-horse-42"
WEB_COMMENT = "seen in the picture view"


async def comment_in_the_picture_view(gateway: str, username: str, picture_id: str) -> None:
    """Sign in, open the picture, comment on it over events, and see the comment again after a reload."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(base_url=gateway)).new_page()
            await page.goto("/login")
            await choose_transport(page, "events")
            await page.get_by_label("Username or email").fill(username)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_test_id("auth-submit").click()
            await expect(page.get_by_test_id("gallery-page")).to_be_visible()
            await page.goto(f"/pictures/{picture_id}")
            panel = page.get_by_test_id("comments")
            await expect(panel).to_contain_text("No comments yet.")
            await panel.get_by_label("Your comment").fill(WEB_COMMENT)
            await panel.get_by_role("button", name="Comment", exact=True).click()
            await expect(panel.get_by_test_id("comments-list")).to_contain_text(WEB_COMMENT)
            await expect(panel.get_by_label("Your comment")).to_have_value("")
            await page.reload()
            await expect(page.get_by_test_id("comments-list")).to_contain_text(WEB_COMMENT)
        finally:
            await browser.close()
