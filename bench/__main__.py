"""Run every benchmark module and write ``bench/REPORT.md`` with the figures and machine.

Each benchmark runs in its own subprocess (``python -m bench.<name>``, which prints one
JSON object on its last stdout line; a pretty-printed one is accepted too) so one
benchmark's memory or event loop never skews another's figures. Modules whose name
starts with ``_`` are helpers, not benchmarks.

The report opens with a summary (figure | measured | target | peer) built from
:data:`SUMMARY`, then the machine (with its load average: these machines are shared, so
a busy neighbour shows there), then every figure of every module.

Running some modules only (``make bench BENCH="a b"``) replaces those modules' figures and
keeps the others' from the previous run: every module's figures are kept in
``bench/REPORT.json`` with when, at which commit and under what load they were measured,
and its section in the report says so.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEPT = HERE / "REPORT.json"
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "3600"))
"""Seconds one module may take (the 10M-row stats benchmarks load two stores each)."""


@dataclass(frozen=True)
class Row:
    """One summary line: ``key`` (dotted for nested figures) of module ``bench``.

    ``target`` is ``(">=" | "<=", number)`` or None; ``peer`` is a key of the same module's
    figures (measured in the same run) or, when it starts with ``=``, literal text.
    """

    bench: str
    figure: str
    key: str
    unit: str = ""
    target: tuple[str, float] | None = None
    peer: str | None = None


DOCUMENTED = "=Twilio 1/s per account; VICIdial 20/s per server (documented defaults, not measured)"
SUMMARY = (
    Row("originate_rate", "click2call Originates/s (HTTP, 20 clients)",
        "c2c_sim_originates_per_s", "/s", (">=", 200), DOCUMENTED),
    Row("originate_rate", "click2call projected on an idle core (1000 / daemon CPU ms per call)",
        "c2c_projected_per_s_on_own_core", "/s", (">=", 200)),
    Row("originate_rate", "click2call HTTP p99 under that load", "c2c_http_p99_ms", " ms"),
    Row("originate_rate", "campaign Originates/s (14 campaigns x 1,200/min = 280/s nominal)",
        "campaign_originates_per_s", "/s", (">=", 200), DOCUMENTED),
    Row("ami_events", "AMI events/s parsed, published, tracked, stored",
        "daemon_events_per_s", "/s", (">=", 50_000), "peer_panoramisk_events_per_s"),
    Row("ami_events", "AMI events per CPU-second (the rate on a core of its own)",
        "daemon_events_per_cpu_s", "/s", (">=", 50_000), "peer_panoramisk_events_per_cpu_s"),
    Row("ami_events", "CDR rows/s stored, calls we placed (2 legs each)",
        "cdr_rows_per_s_our_calls", "/s", (">=", 400), "peer_aiosqlite_rows_per_s"),
    Row("memory_calls", "daemon RSS idle", "rss_idle_mib", " MiB"),
    Row("memory_calls", "daemon RSS with 1,000 calls up", "rss_at_1000_calls_mib", " MiB"),
    Row("memory_calls", "daemon RSS per extra live call", "rss_per_call_kib", " KiB"),
    Row("cdr_ingest", "CDR rows/s stored, calls we placed, SQLite (CdrIngest)",
        "sqlite.rows_per_s_our_calls", "/s", (">=", 400), "sqlite.peer_executemany_rows_per_s"),
    Row("cdr_ingest", "CDR rows/s stored, calls we placed, PostgreSQL (CdrIngest)",
        "postgres.rows_per_s_our_calls", "/s", (">=", 400),
        "postgres.peer_executemany_rows_per_s"),
    Row("cdr_statistics", "GET get_cdr_statistics p99 (10M rows, SQLite)",
        "sqlite.statistics_p99_ms", " ms", ("<=", 50)),
    Row("cdr_statistics", "GET get_cdr_statistics p99 (10M rows, PostgreSQL)",
        "postgres.statistics_p99_ms", " ms", ("<=", 50)),
    Row("cdr_statistics", "POST get_cdr_by_date 1,000 records p99 (10M rows, SQLite)",
        "sqlite.by_date_1000_p99_ms", " ms", ("<=", 50)),
    Row("cdr_statistics", "POST get_cdr_by_date 1,000 records p99 (10M rows, PostgreSQL)",
        "postgres.by_date_1000_p99_ms", " ms", ("<=", 50)),
    Row("cdr_statistics", "get_cdr_by_date 1,000 at offset 200,000 p99 (10M rows, SQLite)",
        "sqlite.by_date_1000_deep_p99_ms", " ms", ("<=", 50)),
    Row("cdr_statistics", "get_cdr_by_date 1,000 at offset 200,000 p99 (10M rows, PostgreSQL)",
        "postgres.by_date_1000_deep_p99_ms", " ms", ("<=", 50)),
    Row("stats_ecounters", "Ecounters today p99 (1M rows)", "today.p99_ms", " ms", ("<=", 50)),
    *(
        Row("queue_log_ingest", f"answered_calls_by_queue {window} p99"
            f" (10M queue_log lines, {label})",
            f"{store}.report_latency.answered_calls_by_queue[{window}].p99_ms", " ms",
            ("<=", 50))
        for window in ("30d", "30d 9-17h")
        for store, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
    ),
    Row("queue_log_ingest", "queue_log lines/s ingested (tailer), SQLite",
        "sqlite.ingest_lines_per_s", "/s"),
    Row("queue_log_ingest", "queue_log lines/s ingested (tailer), PostgreSQL",
        "postgres.ingest_lines_per_s", "/s"),
    Row("campaign_pbx", "campaign Originates/s, one PBX (14 x 1,200/min = 280/s nominal)",
        "pbx_1.originates_per_s", "/s", (">=", 200)),
    Row("campaign_pbx", "campaign Originates/s, two PBXs (same campaigns)",
        "pbx_2.originates_per_s", "/s", (">=", 200)),
    Row("campaign_pbx", "campaign Originates/s, one PBX, 30 campaigns (600/s nominal)",
        "pbx_1_saturated.originates_per_s", "/s"),
    Row("campaign_pbx", "campaign Originates/s, two PBXs, 30 campaigns (600/s nominal)",
        "pbx_2_saturated.originates_per_s", "/s"),
    Row("campaign_pbx", "daemon CPU per campaign call, one PBX (600/s nominal)",
        "pbx_1_saturated.daemon_cpu_ms_per_call", " ms"),
    Row("campaign_pbx", "daemon CPU per campaign call, two PBXs (600/s nominal)",
        "pbx_2_saturated.daemon_cpu_ms_per_call", " ms"),
    Row("real_asterisk", "click2call Originates/s on a real Asterisk 22 (300 calls, 50 clients)",
        "daemon_click2call.originates_per_s", "/s", None, "peer_raw_ami_originates_per_s"),
    Row("real_asterisk", "daemon / raw AMI client Originates/s, same Asterisk, same run",
        "daemon_vs_raw", "", (">=", 0.8)),
    Row("real_asterisk", "floor: thinnest aiohttp-to-AMI proxy, Originates/s (same clients)",
        "http_to_ami_floor.originates_per_s", "/s", None, "peer_raw_ami_originates_per_s"),
    Row("real_asterisk", "floor / raw AMI client Originates/s (the most any HTTP front gets)",
        "http_to_ami_floor_vs_raw", ""),
    Row("real_asterisk", "floor: aiohttp answering 200 and nothing else, requests/s",
        "http_floor.requests_per_s", "/s"),
    Row("real_asterisk", "click2call Originates/s, the daemon in Asterisk's CPU cgroup"
        " (one container; above: one cgroup each, as two systemd services)",
        "daemon_click2call_sharing_asterisks_group.originates_per_s", "/s"),
    Row("real_asterisk", "daemon CPU per click2call while placing (real Asterisk)",
        "daemon_click2call.daemon_cpu_ms_per_call_placing", " ms"),
    Row("real_asterisk", "daemon / raw AMI client completed calls/s, same run",
        "daemon_vs_raw_completed", ""),
    Row("real_asterisk", "click2call completed calls/s on a real Asterisk (1 s talk)",
        "daemon_click2call.completed_calls_per_s", "/s", None),
    Row("real_asterisk", "campaign completed calls/s on a real Asterisk (1,200/min nominal)",
        "daemon_campaign_1200_per_min.completed_calls_per_s", "/s", (">=", 19)),
    Row("campaign_pacing", "campaign pacing over 10 min: rate error", "rate_error_pct", " %",
        ("<=", 1)),
    Row("campaign_pacing", "campaign pacing: mean gap error", "gap_error_mean_pct", " %",
        ("<=", 1)),
    Row("campaign_pacing", "campaign pacing: gap error p99", "gap_error_p99_pct", " %"),
    Row("transcripts", "transcription word error rate, pocketsphinx (default), Asterisk prompts",
        "pocketsphinx.wer_pct", " %"),
    Row("transcripts", "transcription real-time factor, pocketsphinx (decode s / audio s)",
        "pocketsphinx.rtf"),
    Row("webhooks", "webhook call.completed POST after the Hangup, p99"
        " (200 calls/s, endpoint wants every event)",
        "hangup_to_post_p99_ms", " ms", ("<=", 100)),
    Row("webhooks", "webhook call.completed POST after the Hangup, p99"
        " (200 calls/s, endpoint wants call.completed)",
        "only_completed.hangup_to_post_p99_ms", " ms", ("<=", 100)),
    Row("webhooks", "webhook events/s delivered at 200 calls/s (4 per call)",
        "events_per_s", "/s"),
    Row("webhooks", "originate CPU per call with an endpoint (outbox write only)",
        "originate_cpu_cost_outbox_pct", " %", ("<=", 5)),
)  # fmt: skip
PEER_NOTES = {
    "peer_raw_ami_originates_per_s": (
        "a raw asyncio AMI client, same call shape, 50 in flight, same run"
    ),
    "peer_panoramisk_events_per_s": "panoramisk AMIProtocol parse-only, same bytes, same run",
    "peer_panoramisk_events_per_cpu_s": "panoramisk parse-only per CPU-second, same run",
    "peer_aiosqlite_rows_per_s": "aiosqlite executemany of the same rows, same run",
    "sqlite.peer_executemany_rows_per_s": "one executemany of the same rows, same store, same run",
    "postgres.peer_executemany_rows_per_s": (
        "one executemany of the same rows, same store, same run"
    ),
}


def _git() -> str:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = [line for line in git("status", "--porcelain").splitlines() if line]
    return commit + (f" plus {len(dirty)} uncommitted paths" if dirty else "")


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": _git(),
        "load average (1/5/15 min) before": _load(),
    }


def run_one(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=HERE.parent,
        check=False,
    )
    elapsed = round(time.perf_counter() - started, 1)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"], "seconds": elapsed}
    figures = last_json(proc.stdout)
    if figures is None:
        return {"error": ["printed no JSON object on stdout"], "seconds": elapsed}
    figures["seconds"] = elapsed
    return figures


def last_json(stdout: str) -> dict[str, Any] | None:
    """The JSON object on the last stdout line, or (for a module that pretty-prints)
    the last one that starts at the beginning of a line and runs to the end."""
    lines = stdout.strip().splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].startswith("{"):
            try:
                value = json.loads("\n".join(lines[start:]))
            except ValueError:
                continue
            return value if isinstance(value, dict) else None
    return None


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested figures as dotted keys (``today.p99_ms``)."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def summary(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| figure | measured | target | met | peer |", "|---|---|---|---|---|"]
    for row in SUMMARY:
        if row.bench not in results:
            continue
        figures = flatten(results[row.bench])
        value = figures.get(row.key, "error" if "error" in figures else "n/a")
        measured = _number(value) + (row.unit if isinstance(value, int | float) else "")
        target, met = "", ""
        if row.target is not None:
            op, bound = row.target
            target = f"{'≥' if op == '>=' else '≤'} {_number(bound)}{row.unit}"
            if isinstance(value, int | float):
                met = "yes" if (value >= bound if op == ">=" else value <= bound) else "**no**"
        peer = ""
        if row.peer and row.peer.startswith("="):
            peer = row.peer[1:]
        elif row.peer and row.peer in figures:
            peer = f"{_number(figures[row.peer])}{row.unit} ({PEER_NOTES.get(row.peer, row.peer)})"
        lines.append(f"| {row.figure} (`{row.bench}`) | {measured} | {target} | {met} | {peer} |")
    return lines


def report(
    results: dict[str, dict[str, Any]], before: dict[str, str], measured: dict[str, str]
) -> str:
    lines = ["# Benchmark report", "", "Written by `make bench`; how each figure is measured"]
    lines += ["and how to read it: `docs/benchmarks.md`.", "", "## Summary", ""]
    lines += summary(results)
    cores = os.cpu_count() or 1
    loads = [
        float(before["load average (1/5/15 min) before"].split()[0]),
        float(_load().split()[0]),
    ]
    if max(loads) > cores:
        lines += [
            "",
            f"Note: the 1-minute load average was {loads[0]:g} before and {loads[1]:g} after"
            f" on {cores} cores: other work shared the machine, so wall-clock rates and"
            " latencies are lower than on an idle one. The CPU-normalised lines (per"
            " CPU-second, projected) are measured in CPU time and depend far less on that.",
        ]
    lines += ["", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in before.items()]
    lines.append(f"- load average (1/5/15 min) after: {_load()}")
    for name, figures in results.items():
        lines += ["", f"## {name}", ""]
        if name in measured:
            lines += [f"Measured {measured[name]}.", ""]
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {key} | {_number(value)} |" for key, value in flatten(figures).items()]
    return "\n".join(lines) + "\n"


def kept() -> dict[str, dict[str, Any]]:
    """The previous run's modules (``REPORT.json``): ``{name: {"figures", "measured"}}``."""
    if not KEPT.exists():
        return {}
    value = json.loads(KEPT.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    before = machine()
    before["modules run (the others are kept from earlier runs)"] = ", ".join(names)
    modules = kept()
    failed = False
    for name in names:
        print(f"bench: {name} ...", flush=True)
        load = _load().split()[0]
        figures = run_one(name)
        failed |= "error" in figures
        print(f"bench: {name}: {json.dumps(figures)}", flush=True)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        modules[name] = {
            "figures": figures,
            "measured": f"{when} at {before['commit']}, load (1 min) {load} before,"
            f" {_load().split()[0]} after",
        }
        KEPT.write_text(json.dumps(modules, indent=1) + "\n", encoding="utf-8")
    results = {name: module["figures"] for name, module in sorted(modules.items())}
    measured = {name: module["measured"] for name, module in modules.items()}
    (HERE / "REPORT.md").write_text(report(results, before, measured), encoding="utf-8")
    print(f"bench: wrote {HERE / 'REPORT.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
