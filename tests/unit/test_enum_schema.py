"""The enums the code writes are the values the schema's CHECK constraints accept.

Issue 12 item 3: states are enums in Python, and SQL spells the same values. A member
added on one side only fails here rather than as a constraint error at run time.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from cpaas_daemon.callbacks.model import CallbackState
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.campaigns.model import TargetState

MIGRATIONS = Path(__file__).resolve().parents[2] / "cpaas_daemon" / "store" / "migrations"


def checked_values(migration: str, column: str) -> set[str]:
    """The quoted values of ``CHECK (<column> IN (...))`` in one migration."""
    sql = (MIGRATIONS / migration).read_text(encoding="utf-8")
    found = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    assert found, f"no CHECK on {column} in {migration}"
    return set(re.findall(r"'([^']*)'", found.group(1)))


@pytest.mark.parametrize(
    ("migration", "column", "enum"),
    [
        ("0100_calls.sql", "kind", CallKind),
        ("0200_callbacks.sql", "state", CallbackState),
        ("0220_campaigns.sql", "state", TargetState),
    ],
)
def test_the_enum_is_what_the_check_accepts(
    migration: str, column: str, enum: type[StrEnum]
) -> None:
    assert {member.value for member in enum} == checked_values(migration, column)
