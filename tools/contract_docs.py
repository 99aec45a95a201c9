"""Writes the OpenAPI and AsyncAPI documents generated from the contract into api/.

`python -m tools.contract_docs [--check]`
"""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from internal.common.contract import Contract
from internal.common.events.asyncapi import asyncapi_document
from internal.common.rest.openapi import openapi_document
from internal.services.gateway import TITLE, VERSION
from tools import ROOT, load_app_protos


def documents(contract: Contract) -> dict[str, str]:
    """The generated API documents, by their path in api/."""
    return {
        "openapi/openapi.json": json.dumps(openapi_document(contract, TITLE, VERSION), indent=2) + "\n",
        "asyncapi/asyncapi.yaml": yaml.safe_dump(asyncapi_document(contract, "results", VERSION), sort_keys=False,
                                                 width=120),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the committed documents are up to date")
    args = parser.parse_args(argv)
    load_app_protos()
    stale = []
    for relative, text in documents(Contract.load(ROOT / "configs" / "api.yml")).items():
        path = ROOT / "api" / relative
        if path.exists() and path.read_text() == text:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print(f"out of date (run `make proto`): {', '.join(stale)}", file=sys.stderr)
        return 1
    print("api documents " + ("up to date" if not stale else "written: " + ", ".join(stale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
