"""10,000 invalid requests against one running daemon and simulator: lost or duplicated --
nothing; written -- nothing; dialled -- nothing; 5xx -- none.

The probes come from docs/openapi.json (tests/integration/faults/fuzz.py) and are generated before
the daemon starts; they are then sent over one aiohttp session, 32 at a time.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.wallboard import page as wallboard_page
from tests.harness import Daemon, running_daemon
from tests.integration.faults import fuzz, schema

CONCURRENCY = 32
# AMI actions that place, change or end a call: none may follow an invalid request.
CALL_ACTIONS = {
    "originate", "hangup", "redirect", "setvar", "atxfer", "blindtransfer", "mixmonitor", "bridge",
}  # fmt: skip
OPS = {op["operationId"]: op for _, _, op in schema.operations()}


@pytest.fixture(scope="module")
def probes() -> list[fuzz.Probe]:
    fuzz.STATIC_FILES.update(
        str(p.relative_to(wallboard_page.STATIC_DIR))
        for p in Path(wallboard_page.STATIC_DIR).rglob("*")
    )
    started = time.perf_counter()
    generated = fuzz.corpus()
    print(f"\ngenerated {len(generated)} probes in {time.perf_counter() - started:.1f}s")
    return generated


async def row_counts(daemon: Daemon) -> dict[str, int]:
    db = daemon.app[keys.DOMAINS].core.db
    return {
        table: await db.fetchval(f'SELECT COUNT(*) FROM "{table}"') for table in await db.tables()
    }


def judge(probe: fuzz.Probe, status: int, headers: Any, raw: bytes) -> str | None:
    """Why this answer breaks the contract (None: it keeps it)."""
    if status >= 500:
        return f"{status} server error"
    if probe.expect == "ok":
        return None if status == 200 else f"expected 200, got {status}"
    if probe.expect == "missing" and status not in (400, 403, 404):  # 400: bad %-escape
        return f"expected 400/403/404, got {status}"
    if probe.expect == "error" and not 400 <= status < 500:
        return f"expected a 4xx, got {status}"
    documented = OPS[probe.op_id]["responses"].get(str(status))
    if documented is not None and documented.get("x-empty-body-allowed") and raw == b"":
        return None
    promised = schema.error_schema(OPS[probe.op_id], status)
    if promised is None:
        return f"status {status} is not documented for {probe.op_id}"
    try:
        body = json.loads(raw)
    except ValueError:
        return f"error body is not JSON: {raw[:200]!r}"
    if problems := schema.errors(promised, body):
        return f"error body not in the dialect: {problems[:3]} {body}"
    dialect = OPS[probe.op_id]["x-dialect"]
    if dialect == "asternic" and status == 401 and "WWW-Authenticate" not in headers:
        return "401 without WWW-Authenticate"
    return None


async def send_all(daemon: Daemon, probes: list[fuzz.Probe]) -> list[tuple[fuzz.Probe, str]]:
    failures: list[tuple[fuzz.Probe, str]] = []
    statuses: Counter[tuple[str, int]] = Counter()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(probe: fuzz.Probe) -> None:
        async with (
            gate,
            daemon.session.request(
                probe.method,
                URL(daemon.url + probe.url, encoded=True),
                headers=probe.headers,
                data=io.BytesIO(probe.body)
                if probe.body and len(probe.body) > 1 << 19
                else probe.body,
            ) as response,
        ):
            raw = await response.read()
            statuses[(probe.op_id, response.status)] += 1
            if (why := judge(probe, response.status, response.headers, raw)) is not None:
                failures.append((probe, why))

    await asyncio.gather(*(one(probe) for probe in probes))
    for (op_id, status), count in sorted(statuses.items()):
        print(f"  {op_id:32} {status} x{count}")
    return failures


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_ten_thousand_invalid_requests_are_refused_in_dialect_and_change_nothing(
    probes: list[fuzz.Probe], sim: SimulatedAsterisk, tmp_path: Path, agi_port: int
) -> None:
    """Lost: nothing (every probe answered). Written: nothing (every table's row count
    unchanged, no upload stored). Dialled: nothing (no call action reached the PBX)."""
    assert len(probes) == fuzz.TOTAL
    # Thousands of probes carry wrong credentials from one peer: lift the failed-login
    # throttle (tests/integration/accounts/test_limits.py attacks it) so each reaches validation.
    unthrottled = {"auth_failures_per_peer": 10**9, "auth_failures_per_account": 10**9}
    config = daemon_config(tmp_path, sim.port, agi_port, limits=unthrottled)
    async with running_daemon(config) as daemon:
        await daemon.app[keys.DOMAINS].queue_log.stats.users.add(
            fuzz.STATS_USER, "*", fuzz.STATS_PASSWORD
        )
        # iSales flow control (100 per account per 5 min) would answer most of its probes
        # 429 before validating them; lift it so every probe reaches the validation.
        daemon.app[keys.API].isales_flow.limit = fuzz.TOTAL
        before = await row_counts(daemon)
        started = time.perf_counter()
        failures = await send_all(daemon, probes)
        elapsed = time.perf_counter() - started
        print(f"sent {len(probes)} probes in {elapsed:.1f}s")
        after = await row_counts(daemon)
        uploads = list(config.campaigns.uploads_dir.glob("*"))
    kinds: dict[tuple[str, str], list[tuple[fuzz.Probe, str]]] = {}
    for probe, why in failures:
        kinds.setdefault((probe.op_id, why[:40]), []).append((probe, why))
    report = "\n".join(
        f"{len(group)} x {op_id}: {group[0][1][:300]}\n    {group[0][0]!r}"
        for (op_id, _), group in kinds.items()
    )
    assert not failures, f"{len(failures)} probes broke the contract:\n{report}"
    assert after == before
    assert uploads == []
    dialled = [
        a
        for a in sim.actions
        if str(a.get("Action", "")).lower() in CALL_ACTIONS
        and not (a["Action"] == "Setvar" and "Channel" not in a)  # the globals, at login
    ]
    assert dialled == []
