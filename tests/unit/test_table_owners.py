"""Each table has one writer: a write from another module fails here, not in review.

Issue 12 item 3. The ``calls`` table is written only by
:class:`cpaas_daemon.calls.repository.CallRepository`; other domains call its named
methods (``set_dtmf``, ``insert_dnd``, ``write_summaries``...). ``callbacks`` is
written only by the callback repository and ``campaign_targets`` only by
:class:`cpaas_daemon.campaigns.targets.TargetStore`. SQL migrations (the
store's own triggers and backfills) are not Python and are not scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cpaas_daemon"

# table -> the one module allowed to write it (relative to the package)
OWNERS = {
    "calls": "calls/repository.py",
    "callbacks": "callbacks/repository.py",
    "campaign_targets": "campaigns/targets.py",
}


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


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_only_the_owner_writes_the_table(table: str) -> None:
    assert writers(table) == {OWNERS[table]}


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
