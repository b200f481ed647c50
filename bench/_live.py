"""Shared plumbing for the live benchmarks: the simulator and the daemon as child processes.

``originate_rate`` and ``memory_calls`` each run three processes on 127.0.0.1 so their
figures belong to one program: the simulated Asterisk (``python -m bench._sim``, the
``cpaas_daemon.sim`` server plus a counter),
the daemon (``python -m bench._daemon``, the real ``create_app`` with a temporary store)
and the benchmark itself, which is the HTTP client. CPU seconds are read per process from
``/proc/<pid>/stat`` so a report can say which of the three was busy.

The harness skips modules whose name starts with ``_``; this one is not a benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1
ACCOUNT, SECRET = "bench_acct", "bench-secret-123456"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the benchmark process dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_line(proc: subprocess.Popen[str], what: str, timeout: float = 30.0) -> str:
    """The first stdout line of a child (its 'ready' line)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready and (line := proc.stdout.readline()):
            return line.strip()
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
    raise RuntimeError(f"{what} did not start within {timeout} s")


class Child:
    """A child process started with a 'ready' line on stdout; stopped with SIGTERM."""

    def __init__(self, argv: list[str], what: str, env: dict[str, str] | None = None) -> None:
        self.what = what
        # A pipe could fill up and block the child; a file cannot. Closed with the object.
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env={**os.environ, **(env or {})},
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - prctl only, no threads touched
        )
        try:
            self.ready = _wait_line(self.proc, what)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {self.stderr_tail()}") from None
        self.lines: list[dict[str, Any]] = []  # later JSON lines (the simulator's samples)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stderr_tail(self, lines: int = 5) -> list[str]:
        """The last lines the child wrote to stderr."""
        self._stderr.seek(0)
        return self._stderr.read().splitlines()[-lines:]

    def stderr_count(self, needle: str) -> int:
        """How many stderr lines contain ``needle`` (e.g. a log event name)."""
        self._stderr.seek(0)
        return sum(needle in line for line in self._stderr)


class CpuGroups:
    """Put processes in CPU cgroups of their own, with equal weight, as systemd runs
    Asterisk and the daemon: two services, two cgroups.

    In one group the kernel shares CPU per thread, and a busy Asterisk runs hundreds of
    threads (one per originating call, Local channel and bridge) against the daemon's one
    event loop. Measured on 2 cores: the daemon accepted 564-803 click2calls/s sharing a
    group with Asterisk, 757-1,002/s in a group of its own (docs/benchmarks.md).
    :meth:`create` is None where no cgroup can be made (not root, a read-only cgroupfs):
    the bench then says so.
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        self._made: list[Path] = []

    @classmethod
    def create(cls, name: str) -> CpuGroups | None:
        """Groups (cgroup v1's cpu controller, or v2 with cpu enabled at its root), with
        this process moved into group ``name`` already; None where that fails."""
        v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
        v2_controllers = v2 / "cgroup.subtree_control"  # world-readable where it exists
        if (v1 / "cpu.shares").exists():
            base = v1
        elif v2_controllers.exists() and "cpu" in v2_controllers.read_text().split():
            base = v2
        else:
            return None
        groups = cls(base)
        try:
            groups.put(name, os.getpid())
        except OSError:
            groups.remove()
            return None
        return groups

    def put(self, name: str, pid: int) -> None:
        """Move ``pid`` (all its threads, and those it makes later) into group ``name``
        (made on first use); ``""`` is the hierarchy's root."""
        group = self.base / f"cpaas-bench-{os.getpid()}-{name}" if name else self.base
        if name and not group.exists():
            group.mkdir()
            self._made.append(group)
        (group / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Back to the root, and the groups removed (a group still holding an exiting
        process stays; its name carries this process's pid)."""
        with contextlib.suppress(OSError):
            self.put("", os.getpid())
        for group in self._made:
            with contextlib.suppress(OSError):
                group.rmdir()


def start_sim(tmp: Path, time_scale: float, agi_port: int, every: float = 0.5) -> tuple[Child, int]:
    """The simulator in its own process (``bench._sim``); returns it and its AMI port.

    ``sim.lines`` fills with its samples: monotonic time, Originates so far, channels.
    """
    sim = Child(
        [
            sys.executable, "-m", "bench._sim", "--time-scale", str(time_scale),
            "--queue-log", str(tmp / "queue_log"), "--agi-port", str(agi_port),
            "--every", str(every),
        ],
        "simulator",
    )  # fmt: skip
    return sim, int(json.loads(sim.ready)["port"])


def start_daemon(
    tmp: Path,
    ami_port: int,
    agi_port: int,
    *,
    tracemalloc: bool = False,
    no_ami: bool = False,
    **extra: Any,
) -> tuple[Child, str]:
    """``bench._daemon`` in its own process (store ``tmp/cpaas.sqlite3``); returns it and
    its base URL. ``no_ami``: serve HTTP without waiting for an AMI login."""
    argv = [
        sys.executable, "-m", "bench._daemon", "--dir", str(tmp), "--ami-port", str(ami_port),
        "--agi-port", str(agi_port), "--extra", json.dumps(extra),
    ]  # fmt: skip
    if tracemalloc:
        argv.append("--tracemalloc")
    if no_ami:
        argv.append("--no-ami")
    daemon = Child(argv, "daemon")
    try:
        return daemon, f"http://127.0.0.1:{json.loads(daemon.ready)['http_port']}"
    except (ValueError, KeyError):
        daemon.stop()
        raise RuntimeError(f"daemon said {daemon.ready!r}: {daemon.stderr_tail()}") from None


HEADERS = {"account": ACCOUNT, "auth": SECRET}


async def probe(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """The daemon child's own figures (RSS, tracemalloc, live channels, counters)."""
    async with session.get(url + "/bench/probe") as response:
        return await response.json()  # type: ignore[no-any-return]


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of unsorted samples (q in 0..1)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def profile(child: Child, seconds: float, name: str) -> subprocess.Popen[bytes] | None:
    """With ``BENCH_PYSPY=<dir>``, sample ``child`` with py-spy for ``seconds``.

    Writes ``<dir>/<name>.txt`` (collapsed stacks, ``--idle`` included so waiting shows
    too). Off by default; py-spy is not a dependency of the project.
    """
    out = os.environ.get("BENCH_PYSPY")
    spy = Path(sys.executable).with_name("py-spy")
    if not out or not spy.exists():
        return None
    Path(out).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(spy), "record", "-p", str(child.pid), "-d", str(int(seconds)), "-r", "200",
            "--idle", "-f", "raw", "-o", str(Path(out) / f"{name}.txt"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def place_calls(
    session: aiohttp.ClientSession, url: str, count: int, concurrency: int, first: int = 0
) -> dict[int, int]:
    """``count`` click2calls (agent and destination numbers end in 9: both answer and
    stay up) from ``concurrency`` clients; returns how many got each HTTP status."""
    numbers = iter(range(first, first + count))
    statuses: dict[int, int] = {}

    async def client() -> None:
        for n in numbers:
            body = {
                "agent_number": f"91{n:07d}9",
                "destination_number": f"92{n:07d}9",
                "caller_id": "15551230000",
            }
            async with session.post(url + "/api/click2call", json=body, headers=HEADERS) as r:
                await r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return statuses
