"""Master.csv backfill: from a saved offset, half-written lines wait, rewrites re-read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.config import load_config
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from tests.fixtures import ASTERISK

MASTER = (ASTERISK / "Master.csv").read_bytes()


def backfill(db: Database, path: Path) -> CdrCsvBackfill:
    ingest = CdrIngest(db, EventBus(), Metrics(), ZoneInfo("UTC"))
    return CdrCsvBackfill(path, db, ingest, interval=60)


async def legs(db: Database) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM cdr_legs"))


async def test_every_line_of_the_real_master_csv_is_stored_once(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "Master.csv"
    lines = MASTER.splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:10]) + lines[10][:25])  # the 11th is half-written
    reader = backfill(db, path)
    assert await reader.poll() == 10
    path.write_bytes(MASTER)
    assert await reader.poll() == len(lines) - 10
    assert await reader.poll() == 0
    assert await legs(db) == len(lines)


async def test_a_replaced_file_is_read_again_without_duplicates(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(MASTER)
    await backfill(db, path).poll()
    path.unlink()
    path.write_bytes(MASTER[: MASTER.index(b"\n") + 1])  # logrotate: a new, shorter file
    assert await backfill(db, path).poll() == 1  # a new reader resumes from the saved state
    assert await legs(db) == len(MASTER.splitlines())


async def test_each_pbx_s_local_times_are_read_in_its_own_zone(
    db: Database, tmp_path: Path
) -> None:
    """The same Master.csv line from a PBX in UTC and from one in New York (its own
    ``pbx_timezone``): stored 5 hours apart in winter, 4 in summer, as UTC."""
    path = tmp_path / "Master.csv"
    path.write_bytes(MASTER.splitlines(keepends=True)[0])
    ingest = CdrIngest(
        db, EventBus(), Metrics(), ZoneInfo("UTC"), zones={"ny": ZoneInfo("America/New_York")}
    )
    for pbx_id in ("default", "ny"):
        assert await CdrCsvBackfill(path, db, ingest, interval=60, pbx_id=pbx_id).poll() == 1
    rows = await db.fetchall("SELECT pbx_id, start_time FROM cdr_legs ORDER BY pbx_id")
    stamps = {row["pbx_id"]: datetime.fromisoformat(row["start_time"]) for row in rows}
    local = stamps["default"].replace(tzinfo=ZoneInfo("America/New_York"))
    assert stamps["ny"] - stamps["default"] == local.utcoffset() * -1
    assert stamps["ny"] != stamps["default"]


def test_a_pbx_entry_sets_its_own_zone_or_inherits_ami_s(tmp_path: Path) -> None:
    file = tmp_path / "cpaas.toml"
    file.write_text(
        '[ami]\npbx_timezone = "Europe/Paris"\n'
        '[[pbx]]\nid = "ny"\n[pbx.ami]\npbx_timezone = "America/New_York"\n'
        '[[pbx]]\nid = "paris"\n'
    )
    assert load_config(file, environ={}).pbx_zones() == {"ny": "America/New_York"}
