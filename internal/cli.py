"""The `trident` command: up, ps, restart, call, kafka, serve, migrate, dlq, new, bench — for the application
of internal/services/registry.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import uvloop

from internal.common.config import PROJECT_ROOT, load_settings


def main(argv: list[str] | None = None) -> int:
    from internal.services.registry import REGISTRY

    parser = argparse.ArgumentParser(prog="trident", description="Trident: REST, gRPC and Kafka events services.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole system on embedded PostgreSQL and the development Kafka broker")
    up.add_argument("--state-dir", type=Path,
                    default=Path(os.environ.get("TRIDENT_STATE_DIR", PROJECT_ROOT / ".trident")))
    up.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8080")), help="gateway port (8080)")
    up.add_argument("--port-base", type=int, default=int(os.environ.get("TRIDENT_PORT_BASE", "8080")),
                    help="services listen on BASE+1.. (REST) and BASE+1001.. (gRPC)")
    up.add_argument("--one-process", action="store_true", default=os.environ.get("TRIDENT_ONE_PROCESS") == "1",
                    help="every service and the gateway in one OS process, same code and transports "
                         "(TRIDENT_ONE_PROCESS=1)")
    up.add_argument("--replicas", default=os.environ.get("TRIDENT_REPLICAS", ""), metavar="SERVICE=N,…",
                    help="run services as several instances, e.g. pictures=3,users=2 (TRIDENT_REPLICAS); calls are "
                         "spread over them, their Kafka partitions shared")
    up.add_argument("--gateway-workers", default=os.environ.get("GATEWAY_WORKERS", "1"), metavar="N",
                    help="processes serving the gateway's port, which they share (SO_REUSEPORT); 0: one per CPU core "
                         "(GATEWAY_WORKERS, default 1)")
    up.add_argument("--reload", action="store_true",
                    help="restart a process when its code changes (internal/common, configs/, api/: all)")

    state_dir = argparse.ArgumentParser(add_help=False)
    state_dir.add_argument("--state-dir", type=Path,
                           default=Path(os.environ.get("TRIDENT_STATE_DIR", PROJECT_ROOT / ".trident")))
    commands.add_parser("ps", parents=[state_dir], help="the processes of the running `trident up`")
    restart = commands.add_parser("restart", parents=[state_dir],
                                  help="restart one process of the running `trident up` (a replicated service: each of "
                                       "its instances in turn; `pictures#2`: that one)")
    restart.add_argument("process")

    call = commands.add_parser(
        "call", parents=[state_dir], help="call a method of a running `trident up` straight over REST, gRPC or events",
        description="Call SERVICE.METHOD of the running system with a proto3 JSON request; prints the reply as JSON "
                    "(stdout), the status and the time taken (stderr). Exit status: 0 OK, 1 an error reply, 2 a "
                    "usage error.")
    call.add_argument("service", help="e.g. pictures")
    call.add_argument("method", help="as in the proto (GetPicture) or lowerCamel (getPicture)")
    call.add_argument("request", nargs="?", default="{}", help="the request in proto3 JSON ('{}' when left out)")
    call.add_argument("--transport", choices=("rest", "grpc", "events"), default="rest")
    call.add_argument("--token", default="", help="a user's access token (default: TRIDENT_TOKEN)")
    call.add_argument("--login", default="", metavar="USER[:PASSWORD]",
                      help="sign in through the gateway's /rest/login first and call with that token")
    call.add_argument("--timeout", type=float, default=10.0, help="seconds (10)")
    kafka = commands.add_parser("kafka", parents=[state_dir], help="the Kafka of a running `trident up`")
    kafka.add_argument("what", choices=("bootstrap",), help="bootstrap: print its bootstrap servers (for kcat -b)")

    serve = commands.add_parser("serve", help="run one process, configured by the environment (several: in one "
                                "process, each with its own variables from TRIDENT_PROCESS_ENV)")
    serve.add_argument("service", choices=REGISTRY.names, nargs="+")

    migrate = commands.add_parser("migrate", help="apply a service's SQL migrations to its DATABASE_URL")
    migrate.add_argument("service", choices=[s.name for s in REGISTRY.services if s.migrations is not None])

    dlq = commands.add_parser("dlq", help="show or replay a topic's dead letters (`<topic>.dlq`)")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("topic", help="the topic whose dead letters to read (or the .dlq topic itself)")
    dlq.add_argument("--offset", type=int, action="append", default=[],
                     help="replay only the dead letter at this offset of the .dlq topic (repeatable)")
    dlq.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""),
                     help="Kafka (default: KAFKA_BOOTSTRAP_SERVERS, else the running `trident up`)")
    dlq.add_argument("--state-dir", type=Path,
                     default=Path(os.environ.get("TRIDENT_STATE_DIR", PROJECT_ROOT / ".trident")))

    new = commands.add_parser("new", help="scaffold a service: proto, bindings, code, migration, registry entry, test")
    new.add_argument("name", help="lowercase letters, digits and underscores, e.g. comments")

    commands.add_parser("bench", help="measured performance, side by side: runs `python -m benchmarks` in this "
                                      "checkout (e.g. trident bench --quick)", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        os.chdir(PROJECT_ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks", *rest])
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "dlq":
        return _dlq(args)
    if args.command == "new":
        return _new(args.name)
    if args.command == "up":
        from internal.common.runtime.launcher import up as run_up

        return run_up(REGISTRY, args.state_dir, args.port, args.port_base, one_process=args.one_process,
                      reload=args.reload, replicas=args.replicas, workers=args.gateway_workers)
    if args.command in ("ps", "restart"):
        from internal.common.runtime import control

        if args.command == "ps":
            return control.ps(args.state_dir)
        return control.restart(args.state_dir, args.process)
    if args.command == "call":
        from internal.common.runtime import call as calls

        return calls.run(REGISTRY.contract(), args.state_dir, args.service, args.method, args.request,
                         args.transport, args.token, args.login, args.timeout)
    if args.command == "kafka":
        from internal.common.runtime.call import kafka_bootstrap

        return kafka_bootstrap(args.state_dir)
    if args.command == "serve":
        from internal.common.contract import ContractError
        from internal.common.runtime import serve as run_serve
        from internal.common.runtime.memory import return_large_buffers
        from internal.common.runtime.oneprocess import PROCESS_ENV, serve_together

        return_large_buffers()  # before the first large buffer: a 5 MiB upload's memory is given back after it
        names = list(dict.fromkeys(args.service))
        try:
            if len(names) == 1:
                uvloop.run(run_serve(REGISTRY, names[0]))
            else:
                uvloop.run(serve_together(REGISTRY, names, json.loads(os.environ.get(PROCESS_ENV, "{}"))))
        except ContractError as exc:
            print(f"{', '.join(names)} refuses to start: {exc}", file=sys.stderr)
            return 2
        return 0
    from internal.common.runtime import run_migrations

    service = REGISTRY.get(args.service)
    applied = asyncio.run(run_migrations(load_settings(service.settings, service.name), service))
    print(f"{args.service}: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


def _dlq(args: argparse.Namespace) -> int:
    import json

    from internal.common.mq import deadletters

    bootstrap = args.bootstrap_servers
    if not bootstrap:
        up_json = args.state_dir / "up.json"
        if not up_json.exists():
            print("no Kafka: set KAFKA_BOOTSTRAP_SERVERS or start `trident up`", file=sys.stderr)
            return 2
        bootstrap = json.loads(up_json.read_text())["kafka"]["bootstrap_servers"]
    try:
        if args.action == "list":
            letters = asyncio.run(deadletters.read(bootstrap, args.topic))
            for letter in letters:
                print(letter.describe())
            print(f"{len(letters)} dead letter(s) in {deadletters.dlq_name(args.topic)}")
        else:
            letters = asyncio.run(deadletters.replay(bootstrap, args.topic, set(args.offset)))
            for letter in letters:
                print(f"replayed {letter.partition}:{letter.offset} to {letter.original_topic}")
            print(f"replayed {len(letters)} dead letter(s) from {deadletters.dlq_name(args.topic)}")
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _new(name: str) -> int:
    # The scaffold edits the checkout the command runs in; tools/ ships with the repository, not the package.
    root = next((d for d in (Path.cwd(), *Path.cwd().parents) if (d / "tools" / "scaffold.py").is_file()), None)
    if root is None:
        print("trident new: run it inside a Trident repository (no tools/scaffold.py here or above)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(root))
    from tools.scaffold import ScaffoldError, scaffold

    try:
        written = scaffold(root, name)
    except ScaffoldError as exc:
        print(f"trident new: {exc}", file=sys.stderr)
        return 2
    print(f"created the {name} service:\n  " + "\n  ".join(str(path) for path in written))
    print("regenerated api/gen, the typed clients, OpenAPI, AsyncAPI and Postman.\n"
          f"Next: `make run`, then `.venv/bin/python -m pytest tests/test_{name}.py`; docs/tutorial.md goes on.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
