"""Start-up: settle callbacks a previous run left ``dialing``, without ever re-dialling.

A ``dialing`` row means the claim happened; whether a call went out is read from the
``calls`` row, which is always written before the Originate:

* a CDR summary exists -> completed / failed from its dial_status;
* no calls row -> the daemon stopped between the claim and the placement, so nothing
  rang; it fails with that reason (re-dialling is never automatic);
* the PBX refused it -> failed;
* otherwise the call may still be live: it stays ``dialing`` and its CDR settles it when
  it arrives (CDRs of calls that ended while the daemon was down are lost with AMI).
"""

from __future__ import annotations

import structlog

from cpaas_daemon.callbacks.model import CallbackState, state_after_call
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.calls.model import CallState

log = structlog.get_logger(__name__)

NOT_PLACED = "the daemon stopped after claiming it, before placing the call; not re-dialled"
REFUSED = "the PBX refused the call"


async def reconcile_dialing(repo: CallbackRepository) -> None:
    for callback in await repo.in_state(CallbackState.DIALING):
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
