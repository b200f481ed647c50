"""Each table has one writer: a write from another module fails here, not in review.

Issue 12 item 3. Every table the migrations leave in place (``CREATE TABLE`` in
``store/migrations/*.sql`` and ``store/migrations/postgres/*.sql``, less those a later
migration drops) is listed in :data:`OWNERS` with the one module allowed to write it,
so a new table fails here until it names its owner. Other domains call the owner's
named methods: ``calls`` is written only by
:class:`cpaas_daemon.calls.repository.CallRepository` (``set_dtmf``, ``insert_dnd``,
``write_summaries``...), the delivery worker's outcomes by
:meth:`cpaas_daemon.webhooks.repository.WebhookRepository.write_outcomes`. A table
whose owner is :data:`TRIGGERS` is written only by SQL triggers in the migrations (the
``stats_*`` rollups): no Python module may write it. SQL migrations (the store's own
triggers and backfills) are not Python and are not scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cpaas_daemon"
MIGRATIONS = PACKAGE / "store" / "migrations"

TRIGGERS = None  # owner of a table only the migrations' SQL triggers write

# table -> the one module allowed to write it (relative to the package), or TRIGGERS
OWNERS: dict[str, str | None] = {
    "accounts": "accounts/repository.py",
    "agent_names": "queue_log/repository.py",
    "agent_queues": "queue_log/repository.py",
    "announce_templates": "announcements/repository.py",
    "callbacks": "callbacks/repository.py",
    "calls": "calls/repository.py",
    "campaign_attempts": "campaigns/targets.py",
    "campaign_contacts": "campaigns/lists.py",
    "campaign_lists": "campaigns/lists.py",
    "campaign_targets": "campaigns/targets.py",
    "campaigns": "campaigns/repository.py",
    "cdr_csv_positions": "cdr/csv_backfill.py",
    "cdr_legs": "cdr/ingest.py",
    "dids": "calls/dids.py",
    "dnd_contacts": "campaigns/lists.py",
    "dnd_lists": "campaigns/lists.py",
    "leases": "cluster/leases.py",
    "queue_calls": "queue_log/repository.py",
    "queue_calls_daily": "queue_log/repository.py",
    "queue_log": "queue_log/repository.py",
    "queue_log_positions": "queue_log/repository.py",
    "queue_names": "queue_log/repository.py",
    "stats_call_facts": TRIGGERS,
    "stats_call_rollup": TRIGGERS,
    "stats_cdr_status": TRIGGERS,
    "stats_users": "queue_log/users.py",
    "transcripts": "transcripts/repository.py",
    "webhook_deliveries": "webhooks/repository.py",
    "webhook_events": "webhooks/events.py",
    "webhook_subscriptions": "webhooks/repository.py",
}


def migrated_tables() -> set[str]:
    """Tables the migrations (SQLite's and PostgreSQL's) create and do not drop later."""
    created: set[str] = set()
    dropped: set[str] = set()
    for path in [*MIGRATIONS.glob("*.sql"), *(MIGRATIONS / "postgres").glob("*.sql")]:
        sql = path.read_text(encoding="utf-8")
        created |= _names(r"CREATE\s+TABLE", sql)
        dropped |= _names(r"DROP\s+TABLE", sql)
    return created - dropped


def _names(statement: str, sql: str) -> set[str]:
    found = re.findall(
        rf"\b{statement}\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?[\"'`]?(\w+)", sql, re.IGNORECASE
    )
    return {name.lower() for name in found}


def _writes(table: str) -> re.Pattern[str]:
    """INSERT [OR x] INTO / REPLACE INTO / UPDATE [OR x] / DELETE FROM <table>, any case,
    across a line break; ``calls_hourly`` and the like are other tables."""
    verbs = r"(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    return re.compile(rf"\b{verbs}\s+[\"'`]?{table}[\"'`]?(?![\w])", re.IGNORECASE)


def writers(table: str) -> set[str]:
    pattern = _writes(table)
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }


def test_every_migrated_table_names_its_owner() -> None:
    """A table added by a migration must be listed; one no longer there must go."""
    assert set(OWNERS) == migrated_tables()


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_only_the_owner_writes_the_table(table: str) -> None:
    owner = OWNERS[table]
    assert writers(table) == (set() if owner is TRIGGERS else {owner})


@pytest.mark.parametrize("table", sorted(t for t, owner in OWNERS.items() if owner is TRIGGERS))
def test_a_trigger_owned_table_is_written_by_the_migrations(table: str) -> None:
    """On both stores: a table nobody writes is not "owned by triggers"."""
    for folder in (MIGRATIONS, MIGRATIONS / "postgres"):
        sql = "\n".join(path.read_text(encoding="utf-8") for path in folder.glob("*.sql"))
        assert _writes(table).search(sql), (table, folder.name)


def test_the_scan_sees_every_form_of_write() -> None:
    """The pattern would catch what the moved writes looked like, and not other tables."""
    pattern = _writes("calls")
    for sql in (
        "UPDATE calls SET dtmf_inputs = ?",
        '"INSERT INTO calls (request_id"',
        "insert or ignore into calls (x)",
        "DELETE FROM calls WHERE",
        "UPDATE\n calls SET",
    ):
        assert pattern.search(sql), sql
    for sql in ("SELECT * FROM calls", "UPDATE calls_hourly SET n = 1", "INSERT INTO callbacks"):
        assert not pattern.search(sql), sql
