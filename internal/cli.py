"""The `trident` command: up, serve, migrate."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from internal.common.config import PROCESSES, PROJECT_ROOT, SERVICES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trident", description="Trident: REST, gRPC and Kafka events services.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole system on embedded PostgreSQL and the development Kafka broker")
    up.add_argument("--state-dir", type=Path, default=Path(os.environ.get("TRIDENT_STATE_DIR", PROJECT_ROOT / ".trident")))
    up.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8080")), help="gateway port (8080)")
    up.add_argument("--port-base", type=int, default=int(os.environ.get("TRIDENT_PORT_BASE", "8080")),
                    help="services listen on BASE+1.. (REST) and BASE+1001.. (gRPC)")

    serve = commands.add_parser("serve", help="run one service process, configured by the environment")
    serve.add_argument("service", choices=PROCESSES)

    migrate = commands.add_parser("migrate", help="apply a service's SQL migrations to its DATABASE_URL")
    migrate.add_argument("service", choices=SERVICES)

    contract = commands.add_parser("contract", help="write the OpenAPI and AsyncAPI documents generated from the contract into api/")
    contract.add_argument("--check", action="store_true", help="only check that the committed documents are up to date")

    args = parser.parse_args(argv)
    if args.command == "contract":
        return write_contract_documents(args.check)
    if args.command == "up":
        from internal.common.runtime.launcher import up as run_up

        return run_up(args.state_dir, args.port, args.port_base)
    if args.command == "serve":
        from internal.common.contract import ContractError
        from internal.common.runtime import serve as run_serve

        try:
            asyncio.run(run_serve(args.service))
        except ContractError as exc:
            print(f"{args.service} refuses to start: {exc}", file=sys.stderr)
            return 2
        return 0
    from internal.common.config import load_settings
    from internal.common.runtime import run_migrations

    applied = asyncio.run(run_migrations(load_settings(args.service), args.service))
    print(f"{args.service}: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


def write_contract_documents(check: bool) -> int:
    from internal.common.config import Settings
    from internal.common.contract import Contract
    from internal.services.gateway import contract_documents

    stale = []
    for relative, text in contract_documents(Contract.load(Settings().api_yml)).items():
        path = PROJECT_ROOT / "api" / relative
        if path.exists() and path.read_text() == text:
            continue
        stale.append(relative)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if check and stale:
        print(f"out of date (run `trident contract`): {', '.join(stale)}", file=sys.stderr)
        return 1
    print("api documents " + ("up to date" if not stale else "written: " + ", ".join(stale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
