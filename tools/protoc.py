"""Generates api/gen/*_pb2.py(i) from api/proto with grpcio-tools, importing each other as `api.gen` modules.

protoc writes `import rules_pb2` for a proto that imports another of the same directory; the generated
modules live in the `api.gen` package, so those imports are made package-relative here.
`python -m tools.protoc [--check]`
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

from tools import ROOT

PROTO = ROOT / "api" / "proto"
GEN = ROOT / "api" / "gen"


def generate(out: Path) -> dict[str, str]:
    """The generated files by name, written by protoc into `out`."""
    sources = sorted(str(p.relative_to(ROOT)) for p in PROTO.glob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"  # google/protobuf/*.proto
    args = ["protoc", f"-I{PROTO.relative_to(ROOT)}", f"-I{well_known}", f"--python_out={out}", f"--pyi_out={out}",
            *sources]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    local = {p.stem for p in PROTO.glob("*.proto")}
    pattern = re.compile(rf"^import ({'|'.join(sorted(local))})_pb2 as ", re.M)
    return {path.name: pattern.sub(r"from api.gen import \1_pb2 as ", path.read_text())
            for path in sorted(out.iterdir()) if path.suffix in (".py", ".pyi")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that api/gen is up to date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp))
    stale = [name for name, text in files.items()
             if not (GEN / name).exists() or (GEN / name).read_text() != text]
    if args.check:
        if stale:
            print(f"api/gen is out of date (run `make proto`): {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    for name in stale:
        (GEN / name).write_text(files[name])
        print(f"wrote api/gen/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
