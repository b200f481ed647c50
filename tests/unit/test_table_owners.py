"""Each table has one writer, and is read only by its owner's package: a write from
another module, or a read from another domain, fails here, not in review.

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

Reads: a table is read (``FROM`` / ``JOIN``) only inside its owner's package (for the
trigger-owned rollups, ``stats/``). Every other domain reads the read models the owners
publish as views (migration 0650, :data:`VIEW_OWNERS`): they name the columns others may
depend on, so an owner can reshape the rest of its table.
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
    "cdr_hour_counts": "calls/repository.py",
    "cdr_legs": "cdr/ingest.py",
    "dids": "calls/dids.py",
    "dnd_contacts": "campaigns/lists.py",
    "dnd_lists": "campaigns/lists.py",
    "leases": "cluster/leases.py",
    "queue_calls": "queue_log/repository.py",
    "queue_calls_daily": "queue_log/repository.py",
    "queue_calls_hourly": "queue_log/repository.py",
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


# view -> the package that publishes it (its tables' owner)
VIEW_OWNERS: dict[str, str] = {
    "account_records": "accounts",
    "call_records": "calls",
    "cdr_hours": "calls",
    "campaign_progress": "campaigns",
    "cdr_leg_records": "cdr",
    "cdr_status_counts": "stats",
    "did_routes": "calls",
    "queue_agents": "queue_log",
    "queue_call_records": "queue_log",
    "queue_log_lines": "queue_log",
    "transcript_records": "transcripts",
}
ROLLUPS_PACKAGE = "stats"  # reads the trigger-owned tables (its migration 0401 defines them)
TRIGGER_INPUTS = {"stats_call_source", "webhook_callback_schedule"}
"""Views only the migrations' triggers read (0401, 0500): their input, not read models."""


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


def _reads(table: str) -> re.Pattern[str]:
    """``FROM t`` / ``JOIN t`` (SQL keywords are upper case in this code, so prose such as
    "the charge from calls" is not a read), and ``"t LEFT JOIN`` opening a FROM list kept
    in a constant."""
    name = rf"[\"'`]?{table}[\"'`]?(?![\w])"
    return re.compile(rf"\b(?:FROM|JOIN)\s+{name}|[\"']{table}\s+(?:LEFT\s+)?JOIN\b")


def _package(module: str) -> str:
    return module.split("/", maxsplit=1)[0]


def foreign_readers(table: str) -> set[str]:
    """Modules outside the owner's package that read ``table``."""
    owner = OWNERS[table]
    home = ROLLUPS_PACKAGE if owner is TRIGGERS else _package(owner)
    pattern = _reads(table)
    return {
        module
        for module, text in _sources().items()
        if _package(module) != home and pattern.search(text)
    }


def _sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
    }


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


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_other_domains_read_the_table_through_its_read_models(table: str) -> None:
    assert foreign_readers(table) == set()


def test_every_read_model_is_a_migrated_view_with_an_owner() -> None:
    created: set[str] = set()
    for path in MIGRATIONS.glob("*.sql"):
        created |= _names(r"CREATE\s+VIEW", path.read_text(encoding="utf-8"))
    assert created - TRIGGER_INPUTS == set(VIEW_OWNERS)
    assert {ROLLUPS_PACKAGE, *map(_package, filter(None, OWNERS.values()))} >= set(
        VIEW_OWNERS.values()
    )


def test_the_read_scan_sees_reads_and_not_prose() -> None:
    pattern = _reads("calls")
    for sql in (
        "SELECT 1 FROM calls WHERE",
        " LEFT JOIN calls k ON",
        '_FROM = "calls LEFT JOIN transcripts USING (request_id)"',
        "FROM\n calls",
    ):
        assert pattern.search(sql), sql
    for text in ("# takes more of the machine from calls.", "FROM call_records", "JOIN calls_x"):
        assert not pattern.search(text), text
