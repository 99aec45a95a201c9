"""A pre-warmed interpreter for `trident up --reload`: it imports the framework, then waits to be told what to become.

Importing the framework and its libraries (httptools, grpc, aiokafka, asyncpg, pydantic, protobuf, OpenTelemetry)
takes about a second on a small machine — most of a restart's cost. A spare that has already paid it becomes
the restarted process as soon as the old one has gone: the service's own modules, the ones just edited, are
imported only then. It imports nothing of the application, so an edit to a service never makes it stale; the
launcher discards it when the framework, the contract or the configuration changes.

Order (one JSON line on stdin): {"argv": [python, "-m", module, args…], "env": {…}, "cwd": path}. End of file
instead means it is not needed: it exits quietly.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import sys

# What a served process imports anyway (`trident serve`, of one process or several), and nothing of the application.
# (`python -m internal.common.runtime.warm` has imported the package internal.common.runtime, the bulk, already.)
FRAMEWORK = ("uvloop", "internal.common.runtime", "internal.common.runtime.oneprocess")


def become(order: dict[str, object]) -> None:
    """Run `python -m module args…` of the order in this interpreter, with its environment and directory."""
    argv, env, cwd = order["argv"], order["env"], order["cwd"]
    if not (isinstance(argv, list) and len(argv) >= 3 and argv[1] == "-m" and isinstance(env, dict)
            and isinstance(cwd, str)):
        raise SystemExit(f"warm: not an order this spare can follow: argv {argv!r}")
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.chdir(cwd)
    # As `python -m` sets them: the module path is filled in by runpy.
    sys.argv = [str(argv[2]), *(str(a) for a in argv[3:])]
    # Nothing a server reads: the launcher's pipe is done with (no other process holds it open).
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    try:
        runpy.run_module(str(argv[2]), run_name="__main__", alter_sys=True)
    except SystemExit as stopped:
        # The process it ran has stopped in order: servers closed, connections and the consumer group left,
        # tracing flushed; its ports are free. What an interpreter's exit does after that (freeing every
        # module, the C libraries' own teardown) took 0.3–0.6 s here, and the restarted process waits for this
        # exit to start; so: the exit handlers, the buffered output, then out.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stopped.code if isinstance(stopped.code, int) else 1)


def main() -> int:
    for module in FRAMEWORK:
        importlib.import_module(module)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    become(json.loads(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
