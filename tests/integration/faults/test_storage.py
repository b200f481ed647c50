"""Storage faults: SQLite disk full and a database locked past busy_timeout.

The real daemon runs over HTTP against the simulated Asterisk over TCP. "Disk full" is
``PRAGMA max_page_count`` on the daemon's own connection (works anywhere, no root), with
the free room left in the file used up by filler rows, so the next write needs a page the
database may not take -- SQLITE_FULL, exactly as on a full disk. SQLite only (pragmas,
file locks); test_postgres_outage.py is the PostgreSQL store's counterpart.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.ami.bus import Event
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.cdr.ingest import leg_request_id
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.store.errors import StoreUnavailable
from tests.harness import Daemon, running_daemon, running_sim
from tests.integration.faults.store_faults import CLICK2CALL, assert_503_in_dialect, originates
from tests.store_rig import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's max_page_count and file locks; see test_postgres_outage.py"
)

UNLIMITED_PAGES = 1_073_741_823


async def count(daemon: Daemon, sql: str, *params: object) -> int:
    return int(await daemon.app[keys.DOMAINS].core.db.fetchval(sql, params))


async def _fill(daemon: Daemon, sql: str, row: Callable[[], tuple[str]]) -> None:
    """Insert filler until 30 writes in a row are refused: no free page, no room left."""
    db, refused = daemon.app[keys.DOMAINS].core.db, 0
    while refused < 30:
        try:
            await db.execute(sql, row())
            refused = 0
        except StoreUnavailable:
            refused += 1


@asynccontextmanager
async def disk_full(daemon: Daemon) -> AsyncIterator[None]:
    """The database may not grow until the block ends; then space "returns"."""
    db = daemon.app[keys.DOMAINS].core.db
    pages = await db.fetchval("PRAGMA page_count")
    await db.fetchval(f"PRAGMA max_page_count = {int(pages)}")
    await _fill(
        daemon,
        "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at)"
        " VALUES (?, 'filler', 'c2c', 'outbound-api', 'filler', '2000-01-01T00:00:00Z')",
        lambda: (secrets.token_hex(5),),
    )
    await _fill(
        daemon,
        "INSERT INTO cdr_legs (leg_key, account_code, source, destination,"
        " destination_context, caller_id, channel, destination_channel, last_application,"
        " last_data, duration, billsec, disposition, uniqueid, userfield, received_at)"
        " VALUES (?, 'filler', '', '', '', '', '', '', '', '', 0, 0, '', '', '', '')",
        lambda: (secrets.token_hex(16),),
    )
    try:
        yield
    finally:
        await db.fetchval(f"PRAGMA max_page_count = {UNLIMITED_PAGES}")


async def test_click2call_on_a_full_disk_is_a_503_dials_nothing_and_works_once_space_returns(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """Lost: nothing (the client is told 503 and no call exists to lose). Duplicated:
    nothing (exactly one Originate, for the request made after space returned)."""
    calls_before = await count(daemon, "SELECT COUNT(*) FROM calls WHERE account_id='account_1'")
    async with disk_full(daemon):
        status, body = await daemon.post("/api/click2call", CLICK2CALL)
        assert_503_in_dialect(status, body)
        await asyncio.sleep(0.2)  # an Originate sent anyway would be on the wire by now
        assert originates(sim) == []
        assert (
            await count(daemon, "SELECT COUNT(*) FROM calls WHERE account_id='account_1'")
            == calls_before
        )

    status, body = await daemon.post("/api/click2call", CLICK2CALL)
    assert status == 200, body
    request_id = body["response"]["request_id"]
    [action] = originates(sim)
    assert request_id_from_uniqueid(action["ChannelId"]) == request_id
    [cdr] = await daemon.cdr(request_id)
    assert cdr["call_status"] == "ANSWERED"


async def test_click2call_while_another_process_holds_the_database_is_a_503_then_recovers(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """Another connection holds BEGIN EXCLUSIVE past busy_timeout (5 s): 503, no row,
    no Originate. Once it lets go the same request succeeds and dials once."""
    path = daemon.app[keys.DOMAINS].core.config.store.path
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        status, body = await daemon.post("/api/click2call", CLICK2CALL)
        assert_503_in_dialect(status, body)
        assert originates(sim) == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert await count(daemon, "SELECT COUNT(*) FROM calls WHERE account_id='account_1'") == 0

    status, body = await daemon.post("/api/click2call", CLICK2CALL)
    assert status == 200, body
    assert len(originates(sim)) == 1
    [cdr] = await daemon.cdr(body["response"]["request_id"])
    assert cdr["call_status"] == "ANSWERED"


async def test_cdr_events_arriving_while_the_disk_is_full_are_stored_once_space_returns(
    tmp_path: Path, agi_port: int
) -> None:
    """CdrIngest keeps a failed batch and retries it. Lost: nothing (every Cdr event the
    daemon received is a row once space returns). Duplicated: nothing (one row per event,
    one CDR per request)."""
    # Both parties stay up 60 simulated seconds (numbers ending in 9): 6 s at this scale,
    # time enough to fill the disk while the call is up.
    async with (
        running_sim(tmp_path, agi_port, time_scale=0.1) as sim,
        running_daemon(daemon_config(tmp_path, sim.port, agi_port)) as daemon,
    ):
        received: list[Event] = []
        daemon.app[keys.DOMAINS].core.bus.subscribe(received.append, "Cdr")
        long_call = {**CLICK2CALL, "agent_number": "919979270019",
                     "destination_number": "918000680029"}  # fmt: skip
        status, body = await daemon.post("/api/click2call", long_call)
        assert status == 200, body
        request_id = body["response"]["request_id"]

        def mine() -> list[Event]:
            return [e for e in received if leg_request_id(e) == request_id]

        legs_sql = "SELECT COUNT(*) FROM cdr_legs WHERE request_id = ?"
        async with disk_full(daemon):
            assert not mine(), "the call ended before the disk was full; slow machine?"
            await daemon.wait_for(lambda: asyncio.sleep(0, mine()), within=20)
            await asyncio.sleep(2.5)  # the first flush and at least one retry fail
            assert await count(daemon, legs_sql, request_id) == 0
            status, _ = await daemon.post("/api/get_cdr_by_request_id", {"request_id": request_id})
            assert status == 404

        [cdr] = await daemon.cdr(request_id)
        assert cdr["call_status"] == "ANSWERED"
        assert cdr["billsec"] > 0
        await asyncio.sleep(1.5)  # a stale retry would show up as an extra row by now
        distinct = {tuple(sorted(e.items())) for e in mine()}
        assert await count(daemon, legs_sql, request_id) == len(distinct) > 0
        assert len(originates(sim)) == 1
