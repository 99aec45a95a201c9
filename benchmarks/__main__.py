"""`make bench`: the gateway hop against the service called directly and behind nginx, in one run.

`python -m benchmarks [--quick] [--out DIR] [--profile PROCESS]` starts its own system (`trident up`
on free loopback ports), measures with wrk in interleaved rounds, and writes report.json, REPORT.md
and report.png to DIR (benchmarks/results/ by default). Numbers are indicative: read them as ratios
taken in the same run, never as absolutes, and note the machine's load printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import datetime
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import kafka_floor, overload, report, transport_floor
from benchmarks.load import LoadGenerator
from benchmarks.nginx import Nginx
from benchmarks.procs import CpuMeter, RssSampler, Tracked, loadavg, machine, status_kib
from benchmarks.target import (
    Prepared,
    analytics_dsn,
    direct_headers,
    effective_fetch_wait_ms,
    gateway_headers,
    parties,
    prepare,
    read_targets,
    running_system,
)
from tests.conftest import RunningSystem
from tests.images import png_of_size

PATHS = ("direct", "nginx", "rest", "grpc", "events")
TRANSPORTS = ("rest", "grpc", "events")
FETCH_WAITS = (1, 5, 20, 50)
MiB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: int  # each wrk run at `connections`
    seconds_one: int  # each wrk run at 1 connection
    connections: int
    idle_seconds: float
    floor_seconds: float
    uploads: int
    ingest_records: int
    fetch_waits: tuple[int, ...]
    overload_seconds: float
    overload_rounds: int
    floor_calls: int  # echo calls through each transport library

    @staticmethod
    def of(quick: bool) -> Plan:
        if quick:
            return Plan(rounds=1, seconds=1, seconds_one=1, connections=32, idle_seconds=3, floor_seconds=1,
                        uploads=1, ingest_records=5000, fetch_waits=(), overload_seconds=2, overload_rounds=1,
                        floor_calls=5000)
        return Plan(rounds=3, seconds=5, seconds_one=3, connections=32, idle_seconds=10, floor_seconds=3,
                    uploads=3, ingest_records=50_000, fetch_waits=FETCH_WAITS, overload_seconds=8,
                    overload_rounds=3, floor_calls=20_000)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measured_run(load: LoadGenerator, who: list[Tracked], url: str, headers: dict[str, str],
                 connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run with every party's CPU seconds over it."""
    load_before = loadavg()
    meter = CpuMeter(who)
    meter.start()
    result = load.run(url, headers, connections, seconds)
    cpu = meter.stop()
    cpu["wrk"] = result.pop("loadgen_cpu_s")
    result["cpu_s"] = cpu
    result["wall_s"] = meter.wall
    result["loadavg_before"] = load_before
    return result


def read_path(system: RunningSystem, prepared: Prepared, load: LoadGenerator, plan: Plan,
              profile: str | None, out: Path) -> dict[str, Any]:
    who = parties(system)
    with Nginx(system.rest_url("pictures").removeprefix("http://")) as proxy:
        targets = read_targets(system, prepared, proxy.url)
        nginx_party = Tracked("nginx", proxy.pid, with_children=True)
        warmup: dict[str, int] = {}
        for name in PATHS:  # warm-up: connections, channels, consumers, caches
            url, headers = targets[name]
            warmup[name] = load.run(url, headers, 8, 1)["requests"]
        rounds: dict[str, list[dict[str, Any]]] = {p: [] for p in PATHS}
        for index in range(plan.rounds):
            order = PATHS[index % len(PATHS):] + PATHS[:index % len(PATHS)]
            for name in order:
                url, headers = targets[name]
                counted = [*who, nginx_party] if name == "nginx" else who
                many = measured_run(load, counted, url, headers, plan.connections, plan.seconds)
                one = measured_run(load, counted, url, headers, 1, plan.seconds_one)
                rounds[name].append({"round": index, "many": many, "one": one})
                errors = many.get("error_count", 0) + one.get("error_count", 0)
                say(f"round {index + 1}/{plan.rounds} {name:<7} {many['rps']:8.0f} req/s  p50 {many['p50_ms']:7.2f} ms"
                    f"  | 1 conn p50 {one['p50_ms']:6.2f} ms  errors {errors}")
        if profile:
            url, headers = targets["rest"]
            warmup["rest"] += report_profile(system, profile, load, url, headers, plan, out)
    summary = report.summarize_read_path(rounds, plan.connections)
    summary["unmeasured_requests"] = warmup
    return summary


def report_profile(system: RunningSystem, process: str, load: LoadGenerator, url: str, headers: dict[str, str],
                   plan: Plan, out: Path) -> int:
    """py-spy on one process during /rest read runs: a flame graph (SVG) and a speedscope profile; requests sent."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    pid = str(system.info["pids"][process])
    seconds = max(5, plan.seconds)
    sent = 0
    for fmt, suffix in (("flamegraph", "svg"), ("speedscope", "speedscope.json")):
        target = out / f"profile-{process}-rest.{suffix}"
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", pid, "--duration", str(seconds), "--rate", "200", "--format", fmt,
             "--output", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        time.sleep(1)  # attach before the load starts
        sent += load.run(url, headers, plan.connections, seconds)["requests"]
        try:
            _, err = spy.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            _, err = spy.communicate()
        if spy.returncode != 0:
            say(f"py-spy failed: {err.decode(errors='replace')[-300:]}")
        else:
            say(f"profile of {process} written to {target}")
    return sent


async def _uploads(system: RunningSystem, prepared: Prepared, plan: Plan) -> dict[str, Any]:
    data = png_of_size(5 * MiB)
    body = json.dumps({"title": "five MiB", "base64": base64.b64encode(data).decode()}).encode()
    gateway_pid = int(system.info["pids"]["gateway"])
    results: dict[str, Any] = {"payload_bytes": len(data), "body_bytes": len(body),
                               "gateway_vmhwm_before_kib": status_kib(gateway_pid, "VmHWM")}
    headers = {**gateway_headers(prepared), "Content-Type": "application/json"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for transport in TRANSPORTS:
            url = f"{system.gateway_url}/{transport}/pictures"
            baseline = status_kib(gateway_pid, "VmRSS")
            times = []
            statuses = []
            with RssSampler(gateway_pid) as rss:
                for _ in range(plan.uploads):
                    started = time.perf_counter()
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        statuses.append(response.status)
                    times.append(time.perf_counter() - started)
            ok = statuses.count(201)
            results[transport] = {
                "requests": len(statuses), "ok": ok, "statuses": sorted(set(statuses)),
                "seconds_each": times, "mib_per_s": ok * len(data) / MiB / sum(times) if ok else 0.0,
                "gateway_rss_before_kib": baseline, "gateway_rss_peak_kib": rss.peak_kib,
                "gateway_rss_growth_kib": rss.peak_kib - baseline,
                "growth_vs_payload": (rss.peak_kib - baseline) * 1024 / len(data),
            }
            say(f"upload 5 MiB over {transport:<6} {results[transport]['mib_per_s']:6.2f} MiB/s, gateway RSS "
                f"+{(rss.peak_kib - baseline) / 1024:.1f} MiB, statuses {sorted(set(statuses))}")
    results["gateway_vmhwm_after_kib"] = status_kib(gateway_pid, "VmHWM")
    return results


def idle(system: RunningSystem, seconds: float, settle: float = 3) -> dict[str, Any]:
    time.sleep(settle)  # let in-flight work (analytics batches, call logs) drain first
    load_before = loadavg()
    meter = CpuMeter(parties(system))
    meter.start()
    time.sleep(seconds)
    cpu = meter.stop()
    percent = {name: 100 * s / meter.wall for name, s in cpu.items()}
    return {"seconds": meter.wall, "loadavg_before": load_before, "cpu_percent_of_core": percent,
            "total_percent_of_core": sum(percent.values())}


def events_floor(system: RunningSystem, prepared: Prepared, fetch_wait: int, reply_wait: int, plan: Plan,
                 read: dict[str, Any]) -> dict[str, Any]:
    raw = kafka_floor.echo_floor(system.bootstrap_servers, fetch_wait, reply_wait, plan.floor_seconds,
                                 plan.connections)
    service = kafka_floor.service_over_events(
        system.bootstrap_servers, reply_wait, "pictures", "getpicture", {"id": prepared.picture_id},
        direct_headers(prepared), plan.floor_seconds, plan.connections)
    gateway = read["paths"]["events"]
    say(f"events floor: raw p50 {raw['sequential']['p50_ms']:.2f} ms, {raw['pipelined']['rps']:.0f} req/s pipelined; "
        f"pictures over Kafka p50 {service['sequential']['p50_ms']:.2f} ms, {service['pipelined']['rps']:.0f} req/s; "
        f"gateway /events p50 {gateway['one']['p50_ms']:.2f} ms, {gateway['rps']:.0f} req/s")
    return {
        "raw": raw,
        "service_direct": service,
        "gateway_events": {"p50_ms_one_connection": gateway["one"]["p50_ms"], "rps": gateway["rps"],
                           "requests": gateway["requests"]},
        "p50_vs_raw": gateway["one"]["p50_ms"] / raw["sequential"]["p50_ms"],
        "rps_vs_raw": gateway["rps"] / raw["pipelined"]["rps"],
        "service_direct_p50_vs_raw": service["sequential"]["p50_ms"] / raw["sequential"]["p50_ms"],
        "service_direct_rps_vs_raw": service["pipelined"]["rps"] / raw["pipelined"]["rps"],
    }


def fetch_wait_tradeoff(plan: Plan, load: LoadGenerator) -> dict[str, Any]:
    points = []
    for wait in plan.fetch_waits:
        say(f"fetch-wait trade-off: starting a system with KAFKA_FETCH_MAX_WAIT_MS={wait}")
        with running_system({"KAFKA_FETCH_MAX_WAIT_MS": str(wait)}) as system:
            prepared = asyncio.run(prepare(system))
            url, headers = read_targets(system, prepared)["events"]
            load.run(url, headers, 4, 1)
            one = measured_run(load, parties(system), url, headers, 1, plan.seconds_one)
            reply_wait = effective_fetch_wait_ms(system, "KAFKA_REPLY_FETCH_MAX_WAIT_MS") or wait
            raw = kafka_floor.echo_floor(system.bootstrap_servers, wait, reply_wait, max(1.0, plan.floor_seconds / 2))
            rest = idle(system, plan.idle_seconds)
        points.append({
            "fetch_max_wait_ms": wait, "events_p50_ms": one["p50_ms"], "events_requests": one["requests"],
            "raw_p50_ms": raw["sequential"]["p50_ms"], "raw_requests": raw["sequential"]["requests"],
            "idle_total_percent_of_core": rest["total_percent_of_core"], "idle": rest,
        })
        say(f"  wait {wait} ms: events p50 {one['p50_ms']:.2f} ms, raw p50 {raw['sequential']['p50_ms']:.2f} ms, "
            f"idle {rest['total_percent_of_core']:.1f} % of a core")
    return {"points": points}


def run(plan: Plan, out: Path, profile: str | None, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(), "quick": quick, "loadavg_at_start": loadavg(),
        "plan": plan.__dict__,
    }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    results["commit"] = commit.stdout.strip()
    load = LoadGenerator()
    try:
        say(f"starting the system (loadavg {results['loadavg_at_start']})")
        # Shedding off here: these runs measure what the hop costs at saturation, every call served. The
        # overload run below measures shedding, on a system with the defaults.
        with running_system({"SHED_LAG_TARGET_MS": "0", "SHED_LATENCY_TARGET": "0"}) as system:
            fetch_wait = effective_fetch_wait_ms(system) or 500
            reply_wait = effective_fetch_wait_ms(system, "KAFKA_REPLY_FETCH_MAX_WAIT_MS") or fetch_wait
            event_wait = effective_fetch_wait_ms(system, "KAFKA_EVENT_FETCH_MAX_WAIT_MS") or 500
            results["fetch_max_wait_ms"] = fetch_wait
            results["reply_fetch_max_wait_ms"] = reply_wait
            results["event_fetch_max_wait_ms"] = event_wait
            prepared = asyncio.run(prepare(system))
            dsn = analytics_dsn(system)
            logs_before = kafka_floor.call_logs_from_gateway(dsn)
            say(f"read path: {plan.rounds} round(s) of {', '.join(PATHS)}, "
                f"wrk -t1 -c{plan.connections} -d{plan.seconds}s and -c1 -d{plan.seconds_one}s")
            results["read_path"] = read_path(system, prepared, load, plan, profile, out)
            results["events_floor"] = events_floor(system, prepared, fetch_wait, reply_wait, plan,
                                                   results["read_path"])
            results["upload"] = asyncio.run(_uploads(system, prepared, plan))
            say(f"analytics ingestion: {plan.ingest_records} call logs")
            # Call logs are domain events to analytics: both sides read them at the events' wait.
            ingestion = kafka_floor.ingestion(system.bootstrap_servers, dsn, event_wait, plan.ingest_records,
                                              system.internal_key)
            results["analytics_ingestion"] = ingestion
            say(f"idle: {plan.idle_seconds:.0f} s with no traffic")
            results["idle"] = idle(system, plan.idle_seconds)
            report.add_net_of_idle(results["read_path"], results["idle"])
            # Every gateway call since `logs_before` should become one stored call log.
            read = results["read_path"]
            ingestion["gateway_calls"] = sum(
                read["paths"][t]["requests_all"] + read["unmeasured_requests"][t] + results["upload"][t]["requests"]
                for t in TRANSPORTS)
            ingestion["gateway_call_logs_stored"] = kafka_floor.call_logs_from_gateway(dsn) - logs_before
        say(f"transport floor: {plan.floor_calls} echo calls through grpc.aio and through the framework's HTTP")
        results["transport_floor"] = transport_floor.floors(plan.floor_calls)
        for name, floor in results["transport_floor"].items():
            say(f"  {name}: {floor['calls_per_s']:.0f} calls/s, client {floor['client_us_per_call']:.0f} µs, "
                f"server {floor['server_us_per_call']:.0f} µs per call")
        say("overload: a fresh system with the default settings")
        with running_system() as system:
            prepared = asyncio.run(prepare(system))
            url, headers = read_targets(system, prepared)["rest"]
            results["overload"] = overload.run(url, headers, system.info["pids"]["gateway"], plan.overload_seconds,
                                               say, plan.overload_rounds)
        if plan.fetch_waits:
            results["fetch_wait"] = fetch_wait_tradeoff(plan, load)
        else:
            results["fetch_wait"] = {"skipped": "--quick", "points": []}
    finally:
        load.close()
    results["loadavg_at_end"] = loadavg()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round of everything; no fetch-wait sweep")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results", help="where the reports go")
    parser.add_argument("--profile", choices=("gateway", "pictures", "analytics", "users", "auth"),
                        help="also record a py-spy profile of this process during a /rest read run")
    parser.add_argument("--rounds", type=int, help="read-path rounds (3; 1 with --quick)")
    parser.add_argument("--seconds", type=int, help="each read-path wrk run at 32 connections (5 s; 1 s with --quick)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    plan = Plan.of(args.quick)
    if args.rounds or args.seconds:
        plan = dataclasses.replace(
            plan, rounds=max(1, args.rounds or plan.rounds), seconds=max(1, args.seconds or plan.seconds))
    started = time.monotonic()
    results = run(plan, args.out, args.profile, args.quick)
    results["harness_seconds"] = round(time.monotonic() - started, 1)
    markdown = report.markdown(results)
    (args.out / "report.json").write_text(json.dumps(results, indent=2))
    (args.out / "REPORT.md").write_text(markdown)
    report.chart(results, args.out / "report.png")
    print(markdown)
    say(f"done in {results['harness_seconds']:.0f} s: {args.out / 'report.json'}, REPORT.md, report.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
