"""The benchmark's results as numbers per path, a Markdown report and a PNG chart (matplotlib, Agg)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from benchmarks.compare import compare

LABELS = {
    "direct": "pictures service called directly",
    "nginx": "nginx → pictures service",
    "rest": "gateway `/rest/pictures/{id}`",
    "grpc": "gateway `/grpc/pictures/{id}`",
    "events": "gateway `/events/pictures/{id}`",
}
PARTIES = ("gateway", "pictures", "analytics", "users", "auth", "launcher/broker", "postgres", "nginx", "wrk")


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def summarize_read_path(rounds: dict[str, list[dict[str, Any]]], connections: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, entries in rounds.items():
        many = [e["many"] for e in entries]
        one = [e["one"] for e in entries]
        requests = sum(r["requests"] for r in many)
        cpu: dict[str, float] = {}
        for run in many:
            for party, seconds in run["cpu_s"].items():
                cpu[party] = cpu.get(party, 0.0) + seconds
        paths[name] = {
            "rps": _median(many, "rps"),
            "rps_rounds": [r["rps"] for r in many],
            "p50_ms": _median(many, "p50_ms"), "p95_ms": _median(many, "p95_ms"), "p99_ms": _median(many, "p99_ms"),
            "requests": requests,
            "requests_all": requests + sum(r["requests"] for r in one),
            "errors": sum(r.get("error_count", 0) for r in many + one),
            "cpu_us_per_request": {p: 1e6 * s / requests for p, s in cpu.items()} if requests else {},
            "one": {
                "p50_ms": _median(one, "p50_ms"), "p95_ms": _median(one, "p95_ms"), "p99_ms": _median(one, "p99_ms"),
                "requests": sum(r["requests"] for r in one),
            },
        }
    direct = paths.get("direct")
    for entry in paths.values():
        if direct and direct["rps"]:
            entry["vs_direct"] = entry["rps"] / direct["rps"]
            entry["one"]["added_p50_ms"] = entry["one"]["p50_ms"] - direct["one"]["p50_ms"]
    return {"connections": connections, "paths": paths, "rounds": rounds}


def add_net_of_idle(read: dict[str, Any], idle: dict[str, Any]) -> None:
    """CPU per request less what each process burns at rest over the same wall time (its polling)."""
    rates = {name: percent / 100 for name, percent in idle["cpu_percent_of_core"].items()}
    for name, path in read["paths"].items():
        many = [e["many"] for e in read["rounds"][name]]
        wall = sum(r["wall_s"] for r in many)
        requests = path["requests"]
        path["cpu_us_per_request_net_of_idle"] = {
            party: max(0.0, us - 1e6 * rates.get(party, 0.0) * wall / requests) if requests else 0.0
            for party, us in path["cpu_us_per_request"].items()
        }


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _cpu_table(paths: dict[str, Any], key: str) -> list[str]:
    shown = [q for q in PARTIES if any(q in p[key] for p in paths.values())]
    lines = ["| path | " + " | ".join(shown) + " | total (without wrk) |", "|---|" + "---:|" * (len(shown) + 1)]
    for name, p in paths.items():
        cpu = p[key]
        total = sum(v for k, v in cpu.items() if k != "wrk")
        cells = " | ".join(_f(cpu[q], 0) if q in cpu else "–" for q in shown)
        lines.append(f"| {name} | {cells} | {_f(total, 0)} |")
    return lines


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    plan = r["plan"]
    read = r["read_path"]
    loads = [run[k]["loadavg_before"][0] for runs in read["rounds"].values() for run in runs for k in ("many", "one")]
    lines = [
        f"# `make bench` — {r['date']}{' (--quick)' if r['quick'] else ''}",
        "",
        f"Machine: {m['nproc']} × {m['cpu_model']}, {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}; "
        f"commit {r.get('commit', '?')}; development broker, KAFKA_FETCH_MAX_WAIT_MS={r['fetch_max_wait_ms']}.",
        f"Load average (1 min) at start {r['loadavg_at_start'][0]}, before the read-path runs "
        f"{min(loads):.2f}–{max(loads):.2f}, at end {r['loadavg_at_end'][0]}. "
        "Indicative: compare the ratios within this run, not the absolute numbers across runs.",
        "",
        f"## Read path: `GET /pictures/{{id}}` of a 64×64 PNG (wrk -t1 -c{read['connections']} -d{plan['seconds']}s, "
        f"{plan['rounds']} interleaved round(s); medians)",
        "",
        "| path | req/s | p50 | p95 | p99 | vs direct | p50 at 1 conn | added p50 at 1 conn | errors "
        "| req/s per round |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, p in read["paths"].items():
        one = p["one"]
        lines.append(
            f"| {LABELS[name]} | {_f(p['rps'], 0)} | {_ms(p['p50_ms'])} | {_ms(p['p95_ms'])} | {_ms(p['p99_ms'])} "
            f"| {p.get('vs_direct', 0):.2f}× | {_ms(one['p50_ms'])} | {one.get('added_p50_ms', 0):+.2f} ms "
            f"| {p['errors']} | {' / '.join(_f(x, 0) for x in p.get('rps_rounds', []))} |")
    lines += ["", f"CPU µs per request (utime+stime from /proc over the -c{read['connections']} runs ÷ requests):", ""]
    lines += _cpu_table(read["paths"], "cpu_us_per_request")
    if all("cpu_us_per_request_net_of_idle" in p for p in read["paths"].values()):
        lines += ["", "The same, less each process's idle CPU (below) over the same wall time:", ""]
        lines += _cpu_table(read["paths"], "cpu_us_per_request_net_of_idle")

    lines += transport_floor_section(r.get("transport_floor"), read["paths"])

    floor = r["events_floor"]
    raw = floor["raw"]
    seq, pipe, gw = raw["sequential"], raw["pipelined"], floor["gateway_events"]
    direct = floor["service_direct"]
    lines += [
        "",
        f"## Events floor (same broker, fetch_max_wait_ms={raw['fetch_max_wait_ms']})",
        "",
        "| | p50 at 1 in flight | p95 | pipelined req/s | ÷ raw |",
        "|---|---:|---:|---:|---:|",
        f"| raw aiokafka request/reply (echo process) | {_ms(seq['p50_ms'])} | {_ms(seq['p95_ms'])} "
        f"| {_f(pipe['rps'], 0)} ({pipe['in_flight']} in flight) | |",
        f"| pictures service called straight over Kafka (`getpicture`, replies on `results`) "
        f"| {_ms(direct['sequential']['p50_ms'])} | {_ms(direct['sequential']['p95_ms'])} "
        f"| {_f(direct['pipelined']['rps'], 0)} | p50 {floor['service_direct_p50_vs_raw']:.2f}×, "
        f"req/s {floor['service_direct_rps_vs_raw']:.2f}× |",
        f"| gateway `/events/pictures/{{id}}` (wrk, 1 and {read['connections']} connections) "
        f"| {_ms(gw['p50_ms_one_connection'])} | | {_f(gw['rps'], 0)} "
        f"| p50 {floor['p50_vs_raw']:.2f}×, req/s {floor['rps_vs_raw']:.2f}× |",
    ]

    fetch = r["fetch_wait"]
    lines += ["", "## Fetch wait trade-off (a fresh system per value)", ""]
    if fetch["points"]:
        lines += ["| KAFKA_FETCH_MAX_WAIT_MS | events p50 at 1 conn | raw request/reply p50 | idle CPU, whole system |",
                  "|---:|---:|---:|---:|"]
        for pt in fetch["points"]:
            lines.append(f"| {pt['fetch_max_wait_ms']} | {_ms(pt['events_p50_ms'])} | {_ms(pt['raw_p50_ms'])} "
                         f"| {_f(pt['idle_total_percent_of_core'])} % of a core |")
    else:
        lines.append(f"Skipped ({fetch.get('skipped', '')}).")

    up = r["upload"]
    hwm_before, hwm_after = up["gateway_vmhwm_before_kib"] / 1024, up["gateway_vmhwm_after_kib"] / 1024
    lines += [
        "",
        f"## 5 MiB upload (`POST /{{t}}/pictures`, {plan['uploads']} per transport, base64 JSON body of "
        f"{up['body_bytes'] / 2**20:.1f} MiB)",
        "",
        "| transport | MiB/s | gateway RSS growth (sampled peak) | × payload |",
        "|---|---:|---:|---:|",
    ]
    for t in ("rest", "grpc", "events"):
        u = up[t]
        lines.append(f"| {t} | {_f(u['mib_per_s'], 2)} | {_f(u['gateway_rss_growth_kib'] / 1024)} MiB "
                     f"| {u['growth_vs_payload']:.2f}× |")
    lines += ["", f"Gateway VmHWM {hwm_before:.0f} → {hwm_after:.0f} MiB over the uploads."]

    a = r["analytics_ingestion"]
    ratio = a["stored_per_s"] / a["raw_consumed_per_s"] if a["raw_consumed_per_s"] else 0.0
    lines += [
        "",
        f"## Analytics ingestion ({a['records']:,} call logs published straight to the `analytics` topic, "
        f"{a.get('logs_per_record', 1)} to a record as the gateway's emitter sends them)",
        "",
        "| published/s | stored/s | raw aiokafka consume/s, live beside it | stored ÷ raw | raw, as a backlog |",
        "|---:|---:|---:|---:|---:|",
        f"| {_f(a['published_per_s'], 0)} | {_f(a['stored_per_s'], 0)} ({a['stored']:,} stored) "
        f"| {_f(a['raw_consumed_per_s'], 0)} | {ratio:.2f}× | {_f(a.get('raw_backlog_per_s', 0), 0)} |",
        "",
        "Rates from the first publish to the last record stored (counted in analytics' database) or consumed.",
        f"Gateway calls counted by wrk and the uploads: {a['gateway_calls']:,}; call logs analytics stored "
        f"meanwhile: {a['gateway_call_logs_stored']:,} (wrk does not count the requests still in flight when each "
        "run stops, up to one per connection).",
    ]

    lines += overload_section(r.get("overload"))

    idle = r["idle"]
    percent = idle["cpu_percent_of_core"]
    lines += [
        "",
        f"## Idle CPU ({idle['seconds']:.0f} s with no traffic, % of one core)",
        "",
        "| " + " | ".join(percent) + " | total |",
        "|" + "---:|" * (len(percent) + 1),
        "| " + " | ".join(_f(v) for v in percent.values()) + f" | {_f(idle['total_percent_of_core'])} |",
        "",
        "## Against the targets (issue 11; the overload ratio is issue 10's)",
        "",
        compare(r),
        "",
    ]
    return "\n".join(lines)


def transport_floor_section(floor: dict[str, Any] | None, paths: dict[str, Any]) -> list[str]:
    if not floor:
        return []
    http, grpc = floor["http"], floor["grpc"]
    lines = [
        "",
        f"## Transport floor: a 1 KiB echo through each library alone ({http['in_flight']} calls in flight, client and "
        "server in their own processes, no handler, no pipeline)",
        "",
        "| transport | calls/s | client µs per call | server µs per call | both |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in (("http", "HTTP/1.1: `sender.http1` → `rest.server`"), ("grpc", "gRPC: grpc.aio → grpc.aio")):
        f = floor[name]
        both = f["client_us_per_call"] + f["server_us_per_call"]
        lines.append(f"| {label} | {_f(f['calls_per_s'], 0)} | {_f(f['client_us_per_call'], 0)} "
                     f"| {_f(f['server_us_per_call'], 0)} | {_f(both, 0)} |")
    cpu = {n: p.get("cpu_us_per_request_net_of_idle", p["cpu_us_per_request"]) for n, p in paths.items()}
    if "rest" in cpu and "grpc" in cpu:
        extra = {party: cpu["grpc"].get(party, 0.0) - cpu["rest"].get(party, 0.0) for party in ("gateway", "pictures")}
        lines += [
            "",
            f"gRPC costs {_f(grpc['client_us_per_call'] - http['client_us_per_call'], 0)} µs more per call on the "
            f"calling side and {_f(grpc['server_us_per_call'] - http['server_us_per_call'], 0)} µs more on the "
            f"answering side than HTTP here; in the read path above, `/grpc` cost the gateway "
            f"{_f(extra['gateway'], 0)} µs and the pictures service {_f(extra['pictures'], 0)} µs more per request "
            "than `/rest`.",
        ]
    return lines


def overload_section(o: dict[str, Any] | None) -> list[str]:
    if not o:
        return []
    sat, un, adm, shed, rss = o["saturation"], o["unloaded"], o["admitted"], o["shed"], o["gateway_rss_kib"]
    recovery = "not within the 3 s measured" if o["recovery_s"] is None else f"{o['recovery_s']:.2f} s"
    lines = [
        "",
        f"## Overload: `GET /rest/pictures/{{id}}` at 4× the saturating load (hey, {o['workers']} in flight "
        f"for {o['seconds']:.0f} s)",
        "",
        "Saturation, closed loop: " + ", ".join(f"{p['workers']} in flight {_f(p['rps'], 0)} req/s (p99 "
        f"{_ms(p['p99_ms'])})" for p in sat["points"]) + f"; saturating at {sat['saturating_workers']} in flight.",
        "",
        "| | calls | p50 | p99 | p99 ÷ unloaded p99 |",
        "|---|---:|---:|---:|---:|",
        f"| unloaded (1 in flight) | {un['count']} | {_ms(un['p50_ms'])} | {_ms(un['p99_ms'])} | 1.00× |",
        f"| admitted under overload (200) | {adm.get('count', 0)} | {_ms(adm.get('p50_ms', 0))} "
        f"| {_ms(adm.get('p99_ms', 0))} | {o['admitted_p99_vs_unloaded_p99']:.2f}× |",
        f"| shed under overload (503, Retry-After) | {shed.get('count', 0)} | {_ms(shed.get('p50_ms', 0))} "
        f"| {_ms(shed.get('p99_ms', 0))} | |",
        "",
        f"Admitted {_f(o['admitted_rps'], 0)} req/s under overload, {o['admitted_rps'] / sat['saturating_rps']:.2f}× "
        f"the saturating rate (the refusals, and hey sending them, share the two cores with the calls admitted). "
        f"Other statuses: {o['other_statuses'] or 'none'}. Gateway RSS {rss['before'] / 1024:.0f} MiB before, "
        f"peak {rss['peak'] / 1024:.0f} MiB, {rss['after'] / 1024:.0f} MiB after. Back to the unloaded latency "
        f"(every 500 ms window's median within 1.5× the unloaded p50) {recovery} after the load stopped.",
    ]
    rounds = o.get("rounds", [])
    if len(rounds) > 1:
        lines += [
            "",
            f"The round shown is the median of {len(rounds)} (saturation measured once; each round its own unloaded "
            "run, overload and recovery): p99 ÷ unloaded p99 "
            + ", ".join(f"{x['admitted_p99_vs_unloaded_p99']:.2f}×" for x in rounds)
            + "; recovered in " + ", ".join("–" if x["recovery_s"] is None else f"{x['recovery_s']:.1f} s"
                                             for x in rounds)
            + "; admitted " + ", ".join(f"{_f(x['admitted_rps'], 0)}" for x in rounds) + " req/s of "
            + ", ".join(f"{_f(x['achieved_rps'], 0)}" for x in rounds) + " answered.",
        ]
    return lines


def _ms(value: float) -> str:
    return f"{value:,.2f} ms"


def chart(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    read = r["read_path"]["paths"]
    names = list(read)
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    m = r["machine"]
    fig.suptitle(f"make bench {r['date']} — {m['nproc']} × {m['cpu_model']}, Python {m['python']}, "
                 f"fetch wait {r['fetch_max_wait_ms']} ms{' (--quick)' if r['quick'] else ''}", fontsize=10)

    ax = axes[0][0]
    colors = ["#777", "#999", "#1f77b4", "#2ca02c", "#ff7f0e"][:len(names)]
    bars = ax.bar(names, [read[n]["rps"] for n in names], color=colors)
    for bar, n in zip(bars, names, strict=True):
        ax.annotate(f"{read[n].get('vs_direct', 0):.2f}×", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    ax.set_title(f"GET /pictures/{{id}}: req/s at {r['read_path']['connections']} connections (× direct)", fontsize=10)
    ax.set_ylabel("req/s")

    ax = axes[0][1]
    bottom = [0.0] * len(names)
    for party in PARTIES:
        if party == "wrk":
            continue
        values = [read[n].get("cpu_us_per_request_net_of_idle", read[n]["cpu_us_per_request"]).get(party, 0.0)
                  for n in names]
        if any(values):
            ax.bar(names, values, bottom=bottom, label=party)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("CPU µs per request, by process (less idle CPU)", fontsize=10)
    ax.set_ylabel("µs")
    ax.legend(fontsize=8)

    ax = axes[1][0]
    idle = r["idle"]["cpu_percent_of_core"]
    ax.bar(list(idle), list(idle.values()), color="#d62728")
    ax.set_title(f"idle CPU, % of one core (total {r['idle']['total_percent_of_core']:.1f} %)", fontsize=10)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)

    ax = axes[1][1]
    points = r["fetch_wait"]["points"]
    if points:
        waits = [p["fetch_max_wait_ms"] for p in points]
        ax.plot(waits, [p["events_p50_ms"] for p in points], "o-", label="gateway /events p50 (ms)")
        ax.plot(waits, [p["raw_p50_ms"] for p in points], "s--", label="raw request/reply p50 (ms)")
        ax.set_xlabel("KAFKA_FETCH_MAX_WAIT_MS")
        ax.set_ylabel("ms")
        twin = ax.twinx()
        twin.plot(waits, [p["idle_total_percent_of_core"] for p in points], "^:", color="#d62728", label="idle CPU %")
        twin.set_ylabel("idle CPU, % of a core")
        ax.legend(loc="upper left", fontsize=8)
        twin.legend(loc="upper right", fontsize=8)
        ax.set_title("fetch wait: events latency vs idle CPU", fontsize=10)
    else:
        up = r["upload"]
        transports = ["rest", "grpc", "events"]
        ax.bar(transports, [up[t]["mib_per_s"] for t in transports], color="#9467bd")
        ax.set_title("5 MiB upload, MiB/s (fetch-wait sweep skipped)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
