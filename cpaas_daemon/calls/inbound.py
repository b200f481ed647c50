"""The ``inbound`` FastAGI hook: a call to one of our DIDs becomes an account's request.

The dialplan (``[cpaas-inbound]``) asks us who owns the DID. We answer with a request_id
(written to the CDR's userfield), the queue to use, and the account code, and link the
call's Linkedid so live statistics count it as that account's inbound call. An unknown
DID is left alone: the dialplan's defaults queue it, and no account sees it.
"""

from __future__ import annotations

import structlog

from cpaas_daemon.agi.server import AgiRequest
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.dids import DID, DidRepository
from cpaas_daemon.calls.model import CallKind, CallRequest, CallState
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo

log = structlog.get_logger(__name__)


class InboundHook:
    def __init__(self, dids: DidRepository, calls: CallRepository, tracker: CallTracker) -> None:
        self._dids = dids
        self._calls = calls
        self._tracker = tracker

    async def __call__(self, agi: AgiRequest) -> None:
        did = agi.headers.get("agi_extension", "")
        caller = agi.headers.get("agi_callerid", "")
        row = await self._dids.route(did)
        if row is None:
            log.info("inbound.unknown_did", did=did)
            return
        request_id = new_request_id()
        info = RequestInfo(request_id, row["account_id"], CallKind.INBOUND)
        # The Linkedid AMI told us (the server checked the channel is live), never what
        # the session says; a call that is already some request's is not moved to
        # another account (issue 10.1).
        if agi.live is None or not self._tracker.link(agi.live.linkedid, info, agi.live.pbx_id):
            log.warning("inbound.already_owned", did=did, channel=agi.channel)
            return
        await self._calls.insert(
            CallRequest(
                request_id=request_id,
                account_id=row["account_id"],
                kind=CallKind.INBOUND,
                channel=agi.channel,
                context=agi.headers.get("agi_context", ""),
                exten=did,
                caller_id=caller if DID.match(caller) else "",
                customer_number=caller if DID.match(caller) else "",
                dialed_number=did,
                pbx_id=agi.live.pbx_id,
            ),
            CallState.ORIGINATED,
        )
        await agi.set_variable("CPAAS_REQUEST_ID", request_id)
        await agi.set_variable("CPAAS_QUEUE", row["queue"])
        await agi.set_variable("CHANNEL(accountcode)", row["account_id"])
        log.info("inbound.routed", did=did, account=row["account_id"], request_id=request_id)
