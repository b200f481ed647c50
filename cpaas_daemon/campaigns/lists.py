"""Contact lists and DND lists: SQL in, counts out; every query scoped to one account.

An import (JSON or CSV) is one transaction: all of its valid contacts are stored, or none
(a disk error half-way leaves the list as it was). A number already in the list is
skipped rather than stored twice, so the returned count is what was really added.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from cpaas_daemon.campaigns.contacts import ContactInput
from cpaas_daemon.campaigns.model import DND_PREFIX, LIST_PREFIX, new_batch_id, new_id
from cpaas_daemon.errors import Conflict, NotFound, ValidationFailed
from cpaas_daemon.store.db import Database, Params

MAX_LIST_NAME = 128


def list_name(value: object, field: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_LIST_NAME:
        raise ValidationFailed(f"{field} must be 1-{MAX_LIST_NAME} characters")
    return value.strip()


def _contact_rows(list_id: str, batch_id: str, contacts: Sequence[ContactInput]) -> list[Params]:
    """The ``campaign_contacts`` rows of an import, fields as JSON text."""
    return [
        (list_id, c.name, c.number, json.dumps(c.fields, ensure_ascii=False), batch_id)
        for c in contacts
    ]


class ListRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_list(self, account_id: str, name: str) -> str:
        return await self._create(
            "INSERT INTO campaign_lists (list_id, account_id, list_name) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            "list",
            LIST_PREFIX,
            account_id,
            name,
        )

    async def create_dnd_list(self, account_id: str, name: str) -> str:
        return await self._create(
            "INSERT INTO dnd_lists (dnd_list_id, account_id, dnd_list_name) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            "dnd_list",
            DND_PREFIX,
            account_id,
            name,
        )

    async def _create(self, insert: str, noun: str, prefix: str, account_id: str, name: str) -> str:
        """``insert`` names its table literally, so the table-owner scan sees the write."""
        list_id = new_id(prefix)
        inserted = await self._db.execute(insert, (list_id, account_id, name))
        if not inserted:
            raise Conflict(f"{noun}_name {name} already exists")
        return list_id

    async def require_list(self, account_id: str, list_id: str) -> None:
        if not await self._db.fetchone(
            "SELECT 1 FROM campaign_lists WHERE account_id = ? AND list_id = ?",
            (account_id, list_id),
        ):
            raise NotFound(f"list_id {list_id} not found")

    async def require_dnd_list(self, account_id: str, dnd_list_id: str) -> None:
        if not await self._db.fetchone(
            "SELECT 1 FROM dnd_lists WHERE account_id = ? AND dnd_list_id = ?",
            (account_id, dnd_list_id),
        ):
            raise NotFound(f"dnd_list_id {dnd_list_id} not found")

    async def add_contacts(
        self, account_id: str, list_id: str, contacts: Sequence[ContactInput]
    ) -> tuple[int, str]:
        """Store new numbers in one transaction; returns (how many were added, batch_id)."""
        await self.require_list(account_id, list_id)
        batch_id = new_batch_id()
        # Encoding 50,000 contacts' fields takes ~0.2 s: on a worker thread, not the loop.
        rows = await asyncio.to_thread(_contact_rows, list_id, batch_id, contacts)
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO campaign_contacts"
                " (list_id, contact_name, contact_number, contact_fields, batch_id)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            # The batch is new: the rows carrying its id are exactly those added.
            (added,) = await conn.fetchall(
                "SELECT COUNT(*) FROM campaign_contacts WHERE batch_id = ?", (batch_id,)
            )
        return int(added[0]), batch_id

    async def add_dnd_contacts(
        self, account_id: str, dnd_list_id: str, contacts: Sequence[ContactInput]
    ) -> int:
        await self.require_dnd_list(account_id, dnd_list_id)
        count = "SELECT COUNT(*) FROM dnd_contacts WHERE dnd_list_id = ?"
        async with self._db.transaction() as conn:  # writes are serialised: an exact count
            (before,) = await conn.fetchall(count, (dnd_list_id,))
            await conn.executemany(
                "INSERT INTO dnd_contacts (dnd_list_id, dnd_contact_number, dnd_contact_name)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(dnd_list_id, c.number, c.name) for c in contacts],
            )
            (after,) = await conn.fetchall(count, (dnd_list_id,))
        return int(after[0] - before[0])
