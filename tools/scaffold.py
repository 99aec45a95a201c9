"""`trident new <name>`: a new service from tools/templates, bound, registered, generated and tested.

Writes the proto, the service package (settings, service, repository, migration), its api.yml entries and
gateway routes, the registry entry and a parity test, then runs what `make proto` runs. Nothing under
internal/common changes. On any failure every file is put back as it was.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NAME_MAX = 30
# Names that would collide with the framework, the tools, the reply topic or the processes' own routes, and the
# PostgreSQL reserved words (the service's name is its database's and its table's name).
RESERVED = frozenset({
    "api", "clients", "common", "config", "docs", "gen", "gateway", "healthz", "internal", "metrics", "new",
    "openapi", "proto", "readyz", "registry", "results", "swagger", "test", "tests", "tools", "trident", "web",
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary",
    "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create",
    "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike",
    "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like",
    "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or",
    "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window",
    "with",
})


class ScaffoldError(Exception):
    """Why `trident new` refused or stopped; the repository is as it was."""


@dataclass(frozen=True)
class Names:
    """Every spelling of one service name the templates need (`comments` → Comments, Comment, …)."""

    name: str

    @property
    def service(self) -> str:
        # As tools/generate_clients.py spells the client (`<Service>Client`).
        return self.name.title().replace("_", "")

    @property
    def thing(self) -> str:
        # `comments` holds Comment; a name that is no plural holds <Name>Item (the service keeps its own name).
        if self.name.endswith("s") and not self.name.endswith("ss") and len(self.name) > 2:
            return self.service[:-1]
        return self.service + "Item"

    @property
    def things(self) -> str:
        return self.thing + "s"

    @property
    def path(self) -> str:
        return "/" + self.name.replace("_", "-")

    def substitutions(self) -> dict[str, str]:
        create, list_ = f"Create{self.thing}", f"List{self.things}"
        words = _snake(self.thing).replace("_", " ")
        return {
            "name": self.name, "NAME": self.name.upper(), "Service": self.service, "Thing": self.thing,
            "Things": self.things, "thing": _snake(self.thing), "path": self.path, "table": self.name,
            "thing_event": self.thing.lower(), "things_event": self.things.lower(),
            "create_method": _snake(create), "list_method": _snake(list_),
            "thing_words": words, "things_words": words + "s",
        }


def _snake(name: str) -> str:
    # The framework's rule for handler names (internal.common.service.snake_case).
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render(template: str, names: Names) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in names.substitutions().items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        raise ScaffoldError(f"template {template} has unknown placeholders: {', '.join(sorted(set(left)))}")
    return text


REGISTRY_FILE = Path("internal/services/registry.py")
API_YML = Path("configs/api.yml")
# What `make proto` writes: snapshotted, so a failed generation can be undone.
GENERATED_DIRS = (Path("api/gen"), Path("api/openapi"), Path("api/asyncapi"), Path("api/postman"))


def check_name(root: Path, name: str) -> None:
    if not NAME_PATTERN.match(name) or len(name) > NAME_MAX:
        raise ScaffoldError(f"{name!r} is not a service name: use lowercase letters, digits and single underscores, "
                            f"starting with a letter, at most {NAME_MAX} characters (e.g. comments, photo_tags)")
    if keyword.iskeyword(name) or name in RESERVED:
        raise ScaffoldError(f"{name!r} is a reserved word (Python, PostgreSQL or Trident's own); pick another name")
    api = yaml.safe_load((root / API_YML).read_text()) or {}
    if name in (api.get("services") or {}) or (root / "internal" / "services" / name).exists():
        raise ScaffoldError(f"a service named {name!r} already exists")
    names = Names(name)
    subs = names.substitutions()
    for path in (Path(f"api/proto/{name}.proto"), Path(f"tests/test_{name}.py")):
        if (root / path).exists():
            raise ScaffoldError(f"{path} already exists; pick another name")
    public = api.get("public") or {}
    for key, method in ((f"create{subs['Thing']}", "POST"), (f"list{subs['Things']}", "GET")):
        if key in public:
            raise ScaffoldError(f"the gateway already has a public route named {key!r}; pick another name")
        for other, spec in public.items():
            if str(spec.get("method", "")).upper() == method and spec.get("path") == names.path:
                raise ScaffoldError(f"the gateway's route {other!r} already answers {method} {names.path}")


class Changes:
    """The files a scaffold touches, with what they held before, so that a failure leaves no trace."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._before: dict[Path, bytes | None] = {}
        self._dirs: list[Path] = []

    def remember(self, relative: Path) -> None:
        path = self.root / relative
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    self.remember(child.relative_to(self.root))
            self._dirs.append(path)
        elif relative not in self._before:
            self._before[relative] = path.read_bytes() if path.exists() else None

    def write(self, relative: Path, text: str) -> None:
        self.remember(relative)
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def undo(self, created_dirs: Sequence[Path]) -> None:
        for directory in self._dirs:
            for child in directory.rglob("*"):
                relative = child.relative_to(self.root)
                if child.is_file() and relative not in self._before:
                    child.unlink()
        for relative, content in self._before.items():
            path = self.root / relative
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        for directory in created_dirs:
            shutil.rmtree(directory, ignore_errors=True)


def _insert_in_block(text: str, key: str, addition: str) -> str:
    """`addition` at the end of the top-level `key:` block of a YAML file, keeping every comment around it."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"{key}:"), None)
    if start is None:
        return text.rstrip("\n") + f"\n\n{key}:\n" + addition
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # the block's trailing blank lines stay after the addition
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join(lines[:end]) + addition + "".join(lines[end:])


def add_to_api_yml(text: str, names: Names) -> str:
    text = _insert_in_block(text, "services", render("api_service.yml.tmpl", names))
    return _insert_in_block(text, "public", render("api_public.yml.tmpl", names))


def add_to_registry(text: str, name: str) -> str:
    """The service imported and listed in the registry, before the gateway (the public process)."""
    imports = re.search(r"^from internal\.services import \(?([\w\s,]+?)\)?$", text, re.MULTILINE)
    services = re.search(r"services=\[([\w\s.,]*?)\]", text)
    if imports is None or services is None:
        raise ScaffoldError(f"{REGISTRY_FILE} does not have the `from internal.services import …` line and the "
                            "`services=[…]` list the scaffold edits; add the service there by hand")
    modules = sorted({m.strip() for m in imports.group(1).split(",") if m.strip()} | {name})
    entries = [e.strip() for e in services.group(1).split(",") if e.strip()]
    position = entries.index("gateway.SERVICE") if "gateway.SERVICE" in entries else len(entries)
    entries.insert(position, f"{name}.SERVICE")
    import_line = _wrapped("from internal.services import ", modules, "", parenthesised=True)
    services_text = _wrapped("services=[", entries, "]", indent="    ")
    text = text[:services.start()] + services_text.strip() + text[services.end():]
    return text[:imports.start()] + import_line + text[imports.end():]


def _wrapped(head: str, items: Sequence[str], tail: str, indent: str = "", parenthesised: bool = False,
             width: int = 120) -> str:
    one_line = f"{indent}{head}{', '.join(items)}{tail}"
    if len(one_line) + 1 <= width:
        return one_line
    lines, current = [], ""
    for item in items:
        if current and len(indent) + 4 + len(current) + len(item) + 2 > width:
            lines.append(current.rstrip())
            current = ""
        current += item + ", "
    lines.append(current.rstrip())
    body = "\n".join(f"{indent}    {line}" for line in lines)
    if parenthesised:
        return f"{indent}{head}(\n{body}\n{indent})"
    return f"{indent}{head}\n{body}\n{indent}{tail}"


def generate(root: Path) -> None:
    """What `make proto` runs, in `root`'s checkout (not in whichever one `trident` was installed from)."""
    steps = [
        ([sys.executable, "-m", "tools.protoc"], root),
        ([sys.executable, "-m", "tools.generate_clients"], root),
        ([sys.executable, "-m", "tools.contract_docs"], root),
        ([sys.executable, "-m", "tools.postman"], root),
    ]
    if (root / "web" / "node_modules").is_dir():  # the web app's API types, from the new OpenAPI document
        steps.append((["npm", "run", "--silent", "api-types"], root / "web"))
    env = {**os.environ, "PYTHONPATH": str(root)}
    for step, cwd in steps:
        result = subprocess.run(step, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            command = " ".join(step[1:3])
            raise ScaffoldError(f"`{command}` failed:\n{(result.stdout + result.stderr).strip()[-3000:]}")


def scaffold(root: Path, name: str, run_generators: bool = True) -> list[Path]:
    """Create the service `name` in the checkout at `root`; returns the files written or changed."""
    check_name(root, name)
    names = Names(name)
    package = Path("internal/services") / name
    files = {
        Path(f"api/proto/{name}.proto"): render("service.proto.tmpl", names),
        package / "__init__.py": render("__init__.py.tmpl", names),
        package / "service.py": render("service.py.tmpl", names),
        package / "repository.py": render("repository.py.tmpl", names),
        package / "migrations" / f"001_{name}.sql": render("migration.sql.tmpl", names),
        Path(f"tests/test_{name}.py"): render("test_service.py.tmpl", names),
        API_YML: add_to_api_yml((root / API_YML).read_text(), names),
        REGISTRY_FILE: add_to_registry((root / REGISTRY_FILE).read_text(), name),
    }
    created_dirs = [root / package]
    changes = Changes(root)
    try:
        for directory in GENERATED_DIRS:
            changes.remember(directory)
        for relative, text in files.items():
            changes.write(relative, text)
        if run_generators:
            generate(root)
    except BaseException:
        changes.undo(created_dirs)
        raise
    return sorted(files)
