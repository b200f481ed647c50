"""Run every benchmark module and write ``bench/REPORT.md`` with the figures and machine.

Each benchmark runs in its own subprocess (``python -m bench.<name>``, which prints one
JSON object) so one benchmark's memory or event loop never skews another's figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TIMEOUT = 900


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
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["seconds"] = elapsed
    return figures


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = ["# Benchmark report", "", "Written by `make bench`.", "", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    for name, figures in results.items():
        lines += ["", f"## {name}", "", "| figure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in figures.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    results = {}
    for name in names:
        print(f"bench: {name} ...", flush=True)
        results[name] = run_one(name)
        print(f"bench: {name}: {json.dumps(results[name])}", flush=True)
    (HERE / "REPORT.md").write_text(report(results), encoding="utf-8")
    print(f"bench: wrote {HERE / 'REPORT.md'}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
