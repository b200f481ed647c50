"""Place one attempt for one contact: write it down, then hand it to the Originator.

Order of writes, which is what makes a restart safe (docs/campaigns.md, "restarts"):

1. ``campaign_attempts`` row + target ``dialing`` (one transaction);
2. the ``calls`` row (Originator, before the action is on the wire);
3. exactly one Originate.

A crash after 1 leaves an attempt with no calls row: nothing was sent, it is undone.
A crash after 2 leaves a calls row: the call may be ringing, so it is never re-sent;
its CDR (or its absence) decides.
"""

from __future__ import annotations

import structlog

from cpaas_daemon.ami.client import AmiError
from cpaas_daemon.calls.dialstring import dial_string, new_request_id
from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.campaigns.inflight import InFlight
from cpaas_daemon.campaigns.model import NOT_DIALED, Campaign, Target
from cpaas_daemon.campaigns.prompts import Prompts
from cpaas_daemon.campaigns.targets import TargetStore
from cpaas_daemon.config import DialConfig
from cpaas_daemon.errors import ApiError, PbxUnavailable

log = structlog.get_logger(__name__)

CAMPAIGN_CONTEXT = "cpaas-campaign"


class AttemptPlacer:
    def __init__(
        self,
        targets: TargetStore,
        originator: Originator,
        prompts: Prompts,
        inflight: InFlight,
        dial: DialConfig,
    ) -> None:
        self._targets = targets
        self._originator = originator
        self._prompts = prompts
        self._inflight = inflight
        self._dial = dial

    def request(
        self, campaign: Campaign, target: Target, request_id: str, prompt: str
    ) -> CallRequest:
        return CallRequest(
            request_id=request_id,
            account_id=campaign.account_id,
            kind=CallKind.CAMPAIGN,
            channel=dial_string(self._dial.outbound_template, target.number),
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

    async def place(self, campaign: Campaign, target: Target) -> None:
        """One attempt; never raises for a per-contact failure (it is recorded instead).

        Raises PbxUnavailable only when nothing was sent, after undoing the attempt, so
        the caller can pause until the PBX is back.
        """
        request_id = new_request_id()
        bound = log.bind(campaign_id=campaign.campaign_id, request_id=request_id)
        await self._targets.begin_attempt(target, request_id)
        try:
            prompt = await self._prompts.for_contact(campaign, target.fields)
            call = self.request(campaign, target, request_id, prompt)
            self._inflight.add(request_id, campaign.campaign_id)
            await self._originator.place(call)
        except AmiError as exc:  # Asterisk refused it: nothing rang
            await self._give_up(request_id, bound, exc.message)
        except PbxUnavailable:
            attempt = await self._targets.attempt_of(request_id)
            if attempt is not None and attempt.call_state is None:
                self._inflight.pop(request_id)
                await self._targets.not_sent(request_id)
                raise
            bound.warning("campaign.attempt_uncertain")  # the CDR, or the sweep, decides
        except (ApiError, ValueError) as exc:  # prompt unavailable, unsafe value
            await self._give_up(request_id, bound, str(exc))

    async def _give_up(self, request_id: str, bound: structlog.BoundLogger, reason: str) -> None:
        self._inflight.pop(request_id)
        await self._targets.finish_attempt(request_id, NOT_DIALED, None)
        bound.error("campaign.not_dialed", reason=reason)
