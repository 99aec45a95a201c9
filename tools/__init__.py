"""Generators of the repository's derived files (`make proto`); each has `--check` for the tests."""

from __future__ import annotations

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_app_protos() -> None:
    """Register every generated message and service of api/gen in protobuf's default pool."""
    for module in sorted((ROOT / "api" / "gen").glob("*_pb2.py")):
        importlib.import_module(f"api.gen.{module.stem}")
