"""Place one call: write it down, then send exactly one Originate.

The order matters for "never dial twice": the ``calls`` row exists before the action is
on the wire, and a lost link after sending marks the call ``uncertain`` instead of
retrying. Whoever placed it (API, callback, campaign) decides what to do next from the
CDR that arrives -- or does not.

The PBX is chosen here, at the last moment (:meth:`PbxPool.route`): the call's numbers
go through that PBX's outbound template, its row names the PBX, and the call counts in
that PBX's load from before its Originate is sent.

Several daemons on one store (docs/scaling.md): the PBX is one whose lease this node
holds, and the lease is the call's fence. The row commits only in a transaction that
finds the lease still this node's with the same token (:meth:`Lease.check`), and the
Originate is written only if the lease is still valid on the local clock right before
it goes out, with no ``await`` between that check and the write.
"""

from __future__ import annotations

import structlog

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.actions import AmiAction, UnsafeValue
from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.calls.model import CallRequest, CallState, other_channel_id
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.cdr.ami_outcome import originate_action_id
from cpaas_daemon.cluster.leases import Fences, Lease, LeaseLost
from cpaas_daemon.config import DialConfig
from cpaas_daemon.log import add_to_request_line
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.pbx.pool import Pbx, PbxPool
from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)


class Originator:
    def __init__(
        self,
        pbxes: PbxPool,
        calls: CallRepository,
        tracker: CallTracker,
        dial: DialConfig,
        metrics: Metrics,
    ) -> None:
        self._pbxes = pbxes
        self._calls = calls
        self._tracker = tracker
        self._dial = dial
        self._metrics = metrics

    async def _record_state(self, request_id: str, state: CallState) -> None:
        """Once the Originate was sent, the PBX's answer is what the caller must hear:
        a store failure here must not turn "uncertain" into a 503 (a client, or the
        campaign dialer, would place the call again). The state is logged instead; the
        call's CDR still settles it."""
        try:
            await self._calls.set_state(request_id, state)
        except StoreUnavailable:
            log.exception("call.state_not_stored", request_id=request_id, state=state)

    def action(self, call: CallRequest, pbx: Pbx) -> tuple[str, AmiAction]:
        """The call's ActionID and Originate on ``pbx`` (raises :class:`UnsafeValue`)."""
        # Inherited (``__``) by every channel the call creates, so a transferred leg's
        # CDR still names its request (the dialplan's [cpaas-transfer] reads it).
        variables = {"__CPAAS_REQUEST_ID": call.request_id, **call.variables}
        # The OriginateResponse of a failed call names its request by this ActionID.
        action_id = originate_action_id(pbx.client.next_action_id(), call.request_id)
        return action_id, actions.originate(
            dial=call.channel,
            context=call.context,
            exten=call.exten,
            timeout_ms=self._dial.originate_timeout_ms,
            caller_id=call.caller_id,
            account=call.account_id,
            channel_id=call.channel_id,
            other_channel_id=other_channel_id(call.channel_id),
            variables=variables,
        )

    async def place(self, call: CallRequest, also: Lease | None = None) -> None:
        """Write the call down, then send its one Originate.

        ``also`` is a lease the row is fenced by besides its PBX's (a campaign call's
        campaign lease): taken over meanwhile, nothing is written or sent (NotSent).

        Raises :class:`NotSent` (not connected: nothing written, nothing sent),
        :class:`Refused` (nothing rang: a value refused before sending, or Asterisk's
        Error; the row says ``refused``) or :class:`Uncertain` (sent, link lost: the row
        says ``uncertain`` and only the CDR decides). :class:`StoreUnavailable` only
        before sending: the row could not be written, so nothing was sent.
        """
        pbx = self._pbxes.route(call.request_id)  # NotSent: no PBX connected with room
        call = pbx.routed(call)
        try:
            action_id, originate = self.action(call, pbx)
        except UnsafeValue as exc:
            raise Refused(str(exc), call.request_id) from exc
        # Counted in the PBX's load before the first await: calls placed at the same
        # moment see each other, so a burst spreads and stops at max_channels.
        self._tracker.register(RequestInfo(call.request_id, call.account_id, call.kind), pbx.id)
        try:
            await self._calls.insert(call, fence=_fence(self._pbxes.lease(pbx.id), also))
        except LeaseLost as exc:  # another node took the PBX (or the campaign): nothing written
            self._tracker.forget(call.request_id)
            raise NotSent(
                f"{exc}: another node's now; no call was placed", call.request_id
            ) from exc
        except BaseException:
            self._tracker.forget(call.request_id)
            raise
        bound = log.bind(
            request_id=call.request_id, account=call.account_id, kind=call.kind, pbx=pbx.id
        )
        if not self._pbxes.owns(pbx.id):  # the lease lapsed while the row was written
            await self._calls.set_state(call.request_id, CallState.REFUSED)
            self._tracker.forget(call.request_id)
            bound.warning("call.lease_lapsed")
            raise Refused(
                f"PBX {pbx.id} lease lapsed before sending; no call was placed", call.request_id
            )
        try:
            await pbx.client.send(originate, action_id=action_id)
        except AmiRefused as exc:
            await self._record_state(call.request_id, CallState.REFUSED)
            self._tracker.forget(call.request_id)
            self._metrics.originates.labels(call.kind.value, "refused").inc()
            bound.warning("call.refused", reason=exc.message)
            raise Refused(exc.message, call.request_id) from exc
        except AmiUnavailable as exc:
            # Even "not connected" (the link dropped while the row was written) stays
            # uncertain: the row exists, so the request can not be placed again anyway.
            await self._record_state(call.request_id, CallState.UNCERTAIN)
            self._tracker.placed(call.request_id)
            self._metrics.originates.labels(call.kind.value, "uncertain").inc()
            bound.warning("call.uncertain", reason=exc.message)
            raise Uncertain(
                "connection to the PBX was lost while placing the call; it was not retried",
                call.request_id,
            ) from exc
        self._calls.mark_originated(call.request_id)  # written behind, batched
        self._metrics.originates.labels(call.kind.value, "queued").inc()
        if not add_to_request_line(
            request_id=call.request_id, kind=call.kind, channel=call.channel, pbx=pbx.id
        ):  # placed by a campaign or a callback: no HTTP request line to ride on
            bound.info("call.originated", channel=call.channel)


def _fence(pbx: Lease | None, also: Lease | None) -> Lease | Fences | None:
    if pbx is None or also is None:
        return pbx or also
    return Fences((pbx, also))
