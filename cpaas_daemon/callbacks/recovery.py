"""Start-up: settle callbacks a previous run left ``dialing``, without ever re-dialling.

A ``dialing`` row means the claim happened; whether a call went out is read from the
``calls`` row, which is always written before the Originate:

* a CDR summary exists -> completed / failed from its dial_status;
* no calls row -> the daemon stopped between the claim and the placement, so nothing
  rang; it fails with that reason (re-dialling is never automatic);
* the PBX refused it -> failed;
* otherwise the call may still be live: it stays ``dialing`` and its CDR settles it when
  it arrives (CDRs of calls that ended while the daemon was down are lost with AMI).

The same rules run on a live node every few seconds for claims older than
``STALE_CLAIM`` (callbacks/dialer.py): with several daemons on one store, the node that
settles a dead node's callback is another one, and everything it needs -- the ``calls``
row and its CDR summary -- is in the shared store, not in the dead node's memory.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from cpaas_daemon.callbacks.model import CallbackState, state_after_call
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.calls.model import CallState

log = structlog.get_logger(__name__)

NOT_PLACED = "the daemon stopped after claiming it, before placing the call; not re-dialled"
REFUSED = "the PBX refused the call"


async def reconcile_dialing(
    repo: CallbackRepository, claimed_before: datetime | None = None
) -> None:
    """Settle ``dialing`` rows (all of them at start-up; with ``claimed_before``, only
    those claimed earlier: another node may be placing a fresher one right now)."""
    for callback in await repo.in_state(CallbackState.DIALING, updated_before=claimed_before):
        outcome = await repo.call_outcome(callback.request_id)
        if outcome is None:
            state, reason, dial_status = CallbackState.FAILED, NOT_PLACED, None
        elif outcome.dial_status is not None:
            state, reason = state_after_call(outcome.dial_status), ""
            dial_status = outcome.dial_status
        elif outcome.state is CallState.REFUSED:
            state, reason, dial_status = CallbackState.FAILED, REFUSED, None
        else:
            log.info("callback.awaiting_cdr", request_id=callback.request_id)
            continue
        await repo.move(
            callback.request_id,
            state,
            [CallbackState.DIALING],
            reason=reason,
            dial_status=dial_status,
        )
        log.info("callback.reconciled", request_id=callback.request_id, state=state)
