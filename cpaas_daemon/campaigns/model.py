"""What a campaign is, independent of HTTP, AMI and SQL: ids, statuses, settings."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from cpaas_daemon.errors import ValidationFailed

LIST_PREFIX, DND_PREFIX, CAMPAIGN_PREFIX = "LS", "DN", "CM"
CAMPAIGN_CONTEXT = "cpaas-campaign"  # the dialplan context every campaign call runs
_ID = re.compile(r"^(LS|DN|CM)[0-9a-f]{10}$")


def new_id(prefix: str) -> str:
    """``LSdb6a12e1f1``: the seed's two-letter prefix and 10 lowercase hex digits."""
    return prefix + secrets.token_hex(5)


def new_batch_id() -> str:
    return secrets.token_hex(5)


def parse_id(value: object, prefix: str, field: str) -> str:
    """Validate an id a client sent (the seed's example even pads one with spaces)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _ID.match(text) or not text.startswith(prefix):
        raise ValidationFailed(f"{field} must be {prefix} followed by 10 hex digits")
    return text


class TargetState(StrEnum):
    """A contact of a running campaign (``campaign_targets.state``, migration's CHECK)."""

    PENDING = "pending"  # not dialled yet, or waiting for a retry at next_at
    DIALING = "dialing"  # an attempt is out
    DONE = "done"  # answered, out of attempts, or DND


class StoredStatus(StrEnum):
    """What the dialer last decided (the ``campaigns.status`` column)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"


class StatusCode(IntEnum):
    """The seed's ``campaign_status`` (docs/campaigns.md)."""

    SCHEDULED = 0
    RUNNING = 1
    PAUSED = 2  # running, but the PBX is unreachable so nothing is being dialled
    COMPLETED = 3
    STOPPED = 4


# Outcomes that are not an Asterisk DIALSTATUS. DND: on the DND list, never dialled.
# UNKNOWN: the call went out but its CDR never came (docs/campaigns.md, "Restarts");
# never re-dialled. NOT_DIALED: the prompt could not be produced or Asterisk refused the
# Originate. (An attempt undone before anything was sent is closed as NOT_SENT.)
DND, UNKNOWN, NOT_DIALED = "DND", "UNKNOWN", "NOT_DIALED"
DEFAULT_RETRY_ON = ("BUSY", "NOANSWER")


@dataclass(frozen=True)
class CampaignSettings:
    """What a client chose in create_campaign, validated; the ``campaigns`` columns
    of the same names hold it."""

    campaign_name: str
    list_id: str
    dnd_list_id: str | None
    campaign_type: int
    caller_id: str
    dynamic_announcement: bool
    recorded_filename: str
    announcement_text: str
    tts_options: str  # JSON of the seed's speech fields, validated at create time
    repeat_count: int
    max_retries: int
    retry_time: int
    retry_on_statuses: tuple[str, ...]
    calls_per_minute: int
    max_concurrent_calls: int
    time_zone: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class Campaign(CampaignSettings):
    """A stored campaign: its settings plus who owns it and where the dialer is."""

    campaign_id: str
    account_id: str
    status: StoredStatus

    @property
    def max_attempts(self) -> int:
        return 1 + self.max_retries


@dataclass(frozen=True)
class Target:
    """One contact of a running campaign, ready to be dialled."""

    campaign_id: str
    contact_id: int
    list_id: str
    number: str
    fields: dict[str, str]
    attempts: int
    dnd: bool  # on the campaign's DND list: recorded, never dialled
