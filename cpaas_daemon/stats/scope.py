"""Which queue_log data belongs to an account.

queue_log knows queues, not accounts. An account owns the queues its DIDs route to
(``dids.queue``), so its queue calls and agents are those of these queues. A queue that
two accounts' DIDs share is visible to both (docs/counters.md, "Isolation").
"""

from __future__ import annotations

from cpaas_daemon.store.db import Database


async def account_queues(db: Database, account_id: str) -> tuple[str, ...]:
    rows = await db.fetchall(
        "SELECT DISTINCT queue FROM did_routes WHERE account_id = ? ORDER BY queue", (account_id,)
    )
    return tuple(row[0] for row in rows)


def placeholders(values: tuple[str, ...] | frozenset[str]) -> str:
    """``?, ?, ?`` for an IN list (never empty: callers skip the query instead)."""
    return ", ".join("?" * len(values))
