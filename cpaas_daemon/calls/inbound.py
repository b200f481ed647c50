"""The ``inbound`` FastAGI hook: a call to one of our DIDs becomes an account's request.

The dialplan (``[cpaas-inbound]``) asks us who owns the DID. We answer with a request_id
(written to the CDR's userfield), the queue to use, and the account code, and link the
call's Linkedid so live statistics count it as that account's inbound call. An unknown
DID is left alone: the dialplan's defaults queue it, and no account sees it.
"""

from __future__ import annotations

import re

import structlog

from cpaas_daemon.agi.server import AgiRequest
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.model import CallKind, CallRequest, CallState
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.store.db import Database

log = structlog.get_logger(__name__)

_DIGITS = re.compile(r"^\+?[0-9]{2,15}$")


class InboundHook:
    def __init__(self, db: Database, calls: CallRepository, tracker: CallTracker) -> None:
        self._db = db
        self._calls = calls
        self._tracker = tracker

    async def add_did(self, did: str, account_id: str, queue: str) -> None:
        await self._db.execute(
            "INSERT INTO dids (did, account_id, queue) VALUES (?, ?, ?)"
            " ON CONFLICT (did) DO UPDATE SET account_id = excluded.account_id,"
            " queue = excluded.queue",
            (did, account_id, queue),
        )

    async def __call__(self, agi: AgiRequest) -> None:
        did = agi.headers.get("agi_extension", "")
        caller = agi.headers.get("agi_callerid", "")
        row = await self._db.fetchone("SELECT account_id, queue FROM dids WHERE did = ?", (did,))
        if row is None or not _DIGITS.match(did):
            log.info("inbound.unknown_did", did=did)
            return
        request_id = new_request_id()
        linkedid = await agi.get_variable("CHANNEL(linkedid)") or agi.uniqueid
        await self._calls.insert(
            CallRequest(
                request_id=request_id,
                account_id=row["account_id"],
                kind=CallKind.INBOUND,
                channel=agi.channel,
                context=agi.headers.get("agi_context", ""),
                exten=did,
                caller_id=caller if _DIGITS.match(caller) else "",
                customer_number=caller if _DIGITS.match(caller) else "",
                dialed_number=did,
            ),
            CallState.ORIGINATED,
        )
        self._tracker.link(linkedid, RequestInfo(request_id, row["account_id"], CallKind.INBOUND))
        await agi.set_variable("CPAAS_REQUEST_ID", request_id)
        await agi.set_variable("CPAAS_QUEUE", row["queue"])
        await agi.set_variable("CHANNEL(accountcode)", row["account_id"])
        log.info("inbound.routed", did=did, account=row["account_id"], request_id=request_id)
