"""Place one attempt for one contact: write it down, then hand it to the Originator.

Order of writes, which is what makes a restart safe (docs/campaigns.md, "restarts"):

1. ``campaign_attempts`` row + target ``dialing`` (one transaction: the claim,
   :meth:`TargetStore.claim_next`);
2. the ``calls`` row (Originator, before the action is on the wire);
3. exactly one Originate.

A crash after 1 leaves an attempt with no calls row: nothing was sent, it is undone.
A crash after 2 leaves a calls row: the call may be ringing, so it is never re-sent;
its CDR (or its absence) decides.

Steps 2 and 3 run in a task of their own (:meth:`AttemptPlacer.launch`): a campaign
prepares its next contact while Asterisk answers this one's Originate, so the round trip
to the PBX is not paid in series with every call of the campaign.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.campaigns.inflight import InFlight
from cpaas_daemon.campaigns.model import CAMPAIGN_CONTEXT, NOT_DIALED, Campaign, Target
from cpaas_daemon.campaigns.prompts import Prompts
from cpaas_daemon.campaigns.targets import TargetStore
from cpaas_daemon.cluster.leases import Lease
from cpaas_daemon.errors import DomainError
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.store.retry import until_stored

log = structlog.get_logger(__name__)


class AttemptPlacer:
    def __init__(
        self,
        targets: TargetStore,
        originator: Originator,
        prompts: Prompts,
        inflight: InFlight,
    ) -> None:
        self._targets = targets
        self._originator = originator
        self._prompts = prompts
        self._inflight = inflight
        self._sending: set[asyncio.Task[None]] = set()
        self._lease: Callable[[str], Lease | None] | None = None

    def fence_with(self, lease: Callable[[str], Lease | None]) -> None:
        """Each call's row is fenced by ``lease(campaign_id)``, the campaign's lease while
        this node may act on it; None from it (lapsed) and the call is not placed."""
        self._lease = lease

    def request(
        self, campaign: Campaign, target: Target, request_id: str, prompt: str
    ) -> CallRequest:
        return CallRequest(
            request_id=request_id,
            account_id=campaign.account_id,
            kind=CallKind.CAMPAIGN,
            channel="",
            outbound_number=target.number,
            context=CAMPAIGN_CONTEXT,
            exten="s",
            caller_id=campaign.caller_id,
            variables={
                "CPAAS_CAMPAIGN_ID": campaign.campaign_id,
                "CPAAS_CONTACT_ID": str(target.contact_id),
                "CPAAS_CAMPAIGN_TYPE": str(campaign.campaign_type),
                "CPAAS_PROMPT": prompt,
                "CPAAS_REPEAT": str(campaign.repeat_count),
            },
            customer_number=target.number,
            dialed_number=target.number,
            campaign_id=campaign.campaign_id,
            list_id=target.list_id,
            contact_id=target.contact_id,
        )

    async def prepare(
        self, campaign: Campaign, target: Target, request_id: str
    ) -> CallRequest | None:
        """Steps that take variable time (TTS) happen before the pacer's slot, so that the
        slot is followed by the Originate alone. The attempt row ``request_id`` was written
        by the target's claim. None: the prompt could not be produced and the contact is
        recorded as NOT_DIALED."""
        try:
            prompt = await self._prompts.for_contact(campaign, target.fields)
        except (DomainError, StoreUnavailable) as exc:
            await self._give_up(request_id, campaign.campaign_id, exc.message)
            return None
        return self.request(campaign, target, request_id, prompt)

    async def withdraw(self, call: CallRequest) -> None:
        """The window closed before the slot came: the attempt never happened."""
        await self._targets.not_sent(call.request_id)

    def launch(self, call: CallRequest) -> None:
        """Place a prepared attempt in its own task; it counts as in flight at once.

        A per-contact failure is recorded, not raised. If the PBX is gone and nothing
        was sent, the attempt is undone and the contact is dialled again later (the
        campaign's next turn waits for the PBX).
        """
        self._inflight.add(call.request_id, call.campaign_id or "")
        task = asyncio.create_task(self._fire(call), name=f"campaign-call-{call.request_id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def drain(self) -> None:
        """Wait for Originates on their way (each ends within the AMI action timeout)."""
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def _fire(self, call: CallRequest) -> None:
        campaign_id = call.campaign_id or ""
        try:
            lease = None if self._lease is None else self._lease(campaign_id)
            if self._lease is not None and lease is None:
                raise NotSent("the campaign's lease lapsed; no call was placed", call.request_id)
            await self._originator.place(call, also=lease)
        except Refused as exc:  # nothing rang: Asterisk refused it, or a value was unsafe
            await self._give_up(call.request_id, campaign_id, exc.message)
        except (NotSent, StoreUnavailable) as exc:  # no calls row, nothing sent: undone,
            self._inflight.pop(call.request_id)  # dialled again later (once the store is back)
            await until_stored(
                lambda: self._targets.not_sent(call.request_id),
                "campaign.not_sent",
                request_id=call.request_id,
            )
            log.warning("campaign.attempt_not_sent", request_id=call.request_id, reason=str(exc))
        except Uncertain:  # the link dropped after sending: the CDR, or the dialer's sweep, decides
            log.warning("campaign.attempt_uncertain", request_id=call.request_id)
        except Exception:  # a bug: the sweep will close the attempt as UNKNOWN
            log.exception("campaign.attempt_failed", request_id=call.request_id)

    async def _give_up(self, request_id: str, campaign_id: str, reason: str) -> None:
        self._inflight.pop(request_id)
        await self._targets.finish_attempt(request_id, NOT_DIALED, None)
        log.error(
            "campaign.not_dialed", campaign_id=campaign_id, request_id=request_id, reason=reason
        )
