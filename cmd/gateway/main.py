"""Runs the gateway process, configured by the environment and configs/gateway.env."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from internal.cli import main

sys.exit(main(["serve", "gateway"]))
