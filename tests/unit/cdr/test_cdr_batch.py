"""CDRs of many requests stored in one batch summarise each request exactly as storing
each request's CDRs on its own would."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.model import CallKind, channel_id_for
from cpaas_daemon.cdr import ingest as ingest_module
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from tests.store_rig import store_at

KINDS = ("c2c", "otp", "callback", "campaign", "inbound")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED")


def leg(request_id: str, n: int, **fields: str) -> dict[str, str]:
    base = {
        "Event": "Cdr", "AccountCode": "acct", "Source": "1001", "Destination": f"9{n:06d}",
        "DestinationContext": "sim-endpoints", "CallerID": '"" <1001>',
        "Channel": f"Local/9{n:06d}@sim-endpoints-{n:08x};1", "DestinationChannel": "",
        "LastApplication": "AppDial", "LastData": "", "StartTime": "2026-11-22 16:01:46",
        "AnswerTime": "", "EndTime": "2026-11-22 16:01:59", "Duration": "13",
        "BillableSeconds": "0", "Disposition": "NO ANSWER", "UniqueID": channel_id_for(request_id),
        "UserField": request_id,
    }  # fmt: skip
    return base | fields


def cdrs(count: int) -> list[dict[str, str]]:
    """Requests of every kind with 0-3 legs: the originated leg, then a Dial leg, then a
    foreign leg; a few with no ``calls`` row at all."""
    events = []
    for n in range(count):
        request_id = f"{n:010x}"
        disposition = DISPOSITIONS[n % len(DISPOSITIONS)]
        answered = {"AnswerTime": "2026-11-22 16:01:48", "BillableSeconds": "11"}
        own = leg(request_id, n, Disposition=disposition, **(answered if n % 4 == 0 else {}))
        if n % 3:
            events.append(own)
        if n % 5 in (1, 2):
            events.append(
                leg(request_id, n, LastApplication="Dial", Duration=str(20 + n % 7),
                    Disposition=DISPOSITIONS[(n // 2) % len(DISPOSITIONS)], **answered)
            )  # fmt: skip
        if n % 2:
            events.append(leg(request_id, n, UniqueID=f"1795363306.{n}", UserField=""))
    return events


async def store_with_calls(path: Path, count: int) -> Database:
    db = store_at(path)
    await db.open()
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    await db.executemany(
        "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at)"
        " VALUES (?, 'acct', ?, 'outbound', 'originated', '2026-11-22T16:01:46.000Z')",
        [(f"{n:010x}", KINDS[n % len(KINDS)]) for n in range(count) if n % 11 != 7],
    )
    return db


async def summaries(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetchall(
        "SELECT request_id, call_date, answer, end_time, call_duration, billsec, dial_status,"
        " call_status, uniqueid, state, cdr_at IS NOT NULL FROM calls ORDER BY request_id"
    )
    return [tuple(row) for row in rows]


@pytest.mark.slow  # seconds of generated data; make test-fast leaves it to make test
async def test_one_batch_of_many_requests_summarises_each_as_one_request_at_a_time(
    tmp_path: Path,
) -> None:
    count = 1200  # more requests than one summarising round takes
    events = cdrs(count)
    batched = await store_with_calls(tmp_path / "batched.sqlite3", count)
    single = await store_with_calls(tmp_path / "single.sqlite3", count)
    try:
        heard: list[tuple[str, str]] = []
        together = CdrIngest(batched, EventBus(), Metrics(), ZoneInfo("UTC"))
        together.on_summary(lambda request_id, status: heard.append((request_id, status)))
        callbacks_heard: list[str] = []
        together.on_summary(
            lambda request_id, _: callbacks_heard.append(request_id), CallKind.CALLBACK
        )
        await together.store(events)

        alone = CdrIngest(single, EventBus(), Metrics(), ZoneInfo("UTC"))
        expected_heard: list[tuple[str, str]] = []
        alone.on_summary(lambda request_id, status: expected_heard.append((request_id, status)))
        for n in range(count):
            request_id = f"{n:010x}"
            await alone.store(e for e in events if e["UserField"] == request_id)
        await alone.store(e for e in events if not e["UserField"])

        got, expected = await summaries(batched), await summaries(single)
        assert got == expected
        assert sorted(heard) == sorted(expected_heard)
        callback_ids = {f"{n:010x}" for n in range(count) if KINDS[n % len(KINDS)] == "callback"}
        assert callbacks_heard == [r for r, _ in heard if r in callback_ids]
        assert callbacks_heard  # a listener for one kind hears that kind only
        completed = [row for row in got if row[9] == "completed"]
        assert 300 < len(completed) < count  # some summarised, some still waiting
        assert count > ingest_module.SUMMARY_CHUNK
    finally:
        await batched.close()
        await single.close()
