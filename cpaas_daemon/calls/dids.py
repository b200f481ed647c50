"""Inbound numbers (DIDs): which account owns a call to it and which queue answers it."""

from __future__ import annotations

import argparse
import re

from cpaas_daemon.errors import NotFound, ValidationFailed
from cpaas_daemon.store.db import Database, Row

DID = re.compile(r"^\+?[0-9]{2,15}$")
QUEUE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class DidRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, did: str, account_id: str, queue: str) -> None:
        """Route ``did`` to ``account_id``'s ``queue`` (re-adding a DID moves it)."""
        if not DID.match(did):
            raise ValidationFailed("DID must be 2-15 digits with an optional leading +")
        if not QUEUE.match(queue):
            raise ValidationFailed("queue must be 1-64 of A-Z a-z 0-9 _ -")
        known = "SELECT 1 FROM account_records WHERE account_id = ?"
        if await self._db.fetchone(known, (account_id,)) is None:
            raise NotFound(f"account {account_id} not found")
        await self._db.execute(
            "INSERT INTO dids (did, account_id, queue) VALUES (?, ?, ?)"
            " ON CONFLICT (did) DO UPDATE SET account_id = excluded.account_id,"
            " queue = excluded.queue",
            (did, account_id, queue),
        )

    async def route(self, did: str) -> Row | None:
        """``(account_id, queue)`` for a DID, or None when it is not ours."""
        return await self._db.fetchone("SELECT account_id, queue FROM dids WHERE did = ?", (did,))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dids", help="route inbound numbers to accounts and queues")
    commands = parser.add_subparsers(dest="dids_command", required=True)
    add = commands.add_parser("add", help="route a DID to an account's queue")
    add.add_argument("did")
    add.add_argument("account_id")
    add.add_argument("--queue", default="default", help="queue that answers it")


async def run(db: Database, args: argparse.Namespace) -> int:
    await DidRepository(db).add(args.did, args.account_id, args.queue)
    print(f"DID {args.did} -> {args.account_id} queue {args.queue}")
    return 0
