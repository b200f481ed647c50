"""Building blocks for campaign tests: lists, campaign bodies, waiting, counting dials."""

from __future__ import annotations

import wave
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cpaas_daemon.store.db import Database
from tests.daemon_process import Client
from tests.harness import Daemon

WALL = "%Y-%m-%d %H:%M:%S"
PROMPT = "prompt-8khz.wav"


def number(index: int) -> str:
    """Contact ``index``'s number; its last digit picks the simulator's behaviour."""
    return f"9199{index:06d}"


def window(minutes_before: int = 1, minutes_after: int = 60, zone: str = "UTC") -> dict[str, str]:
    """Start/end dates around now, written as wall-clock time in ``zone``."""
    now = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return {
        "campaign_start_date": (now - timedelta(minutes=minutes_before)).strftime(WALL),
        "campaign_end_date": (now + timedelta(minutes=minutes_after)).strftime(WALL),
        "time_zone": zone,
    }


def upload_prompt(uploads_dir: Path, account: str = "account_1") -> None:
    """Put a real prompt (0.2 s of 8 kHz silence: a real Asterisk plays it) in
    ``account``'s own uploads folder, as an operator would."""
    (uploads_dir / account).mkdir(parents=True, exist_ok=True)
    with wave.open(str(uploads_dir / account / PROMPT), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * 1600)


async def new_list(daemon: Daemon, numbers: Iterable[str], account: str = "account_1") -> str:
    status, body = await daemon.post("/api/create_campaign_list", {"list_name": "l"}, account)
    assert status == 200, body
    list_id: str = body["response"]["list_id"]
    contacts = [
        {"contact_name": f"c{i}", "contact_number": n, "contact_fields": {"field1": f"n{i}"}}
        for i, n in enumerate(numbers)
    ]
    status, body = await daemon.post(
        "/api/add_contact_to_list", {"list_id": list_id, "contacts": contacts}, account
    )
    assert status == 200, body
    return list_id


async def new_dnd_list(daemon: Daemon, numbers: Iterable[str]) -> str:
    status, body = await daemon.post("/api/create_campaign_dnd_list", {"dnd_list_name": "d"})
    assert status == 200, body
    dnd_list_id: str = body["response"]["dnd_list_id"]
    contacts = [{"dnd_contact_name": "x", "dnd_contact_number": n} for n in numbers]
    status, body = await daemon.post(
        "/api/add_dnd_contact_to_list", {"dnd_list_id": dnd_list_id, "dnd_contacts": contacts}
    )
    assert status == 200, body
    return dnd_list_id


def campaign_body(list_id: str, /, **overrides: Any) -> dict[str, Any]:
    return {
        "list_id": list_id,
        "campaign_name": f"campaign-{list_id}",
        "campaign_type": "0",
        "campaign_caller_id": "15168148111",
        "dynamic_announcement": "0",
        "recorded_filename": PROMPT,
        "announcement_text": "",
        "repeat": "1",
        "max_retries": "0",
        "retry_time": "0",
        "calls_per_minute": "600",
        **window(),
        **overrides,
    }


async def create_campaign(daemon: Daemon, body: Mapping[str, Any]) -> str:
    status, reply = await daemon.post("/api/create_campaign", dict(body))
    assert status == 200, reply
    campaign_id: str = reply["response"]["campaign_id"]
    return campaign_id


async def campaign_on(client: Client, numbers: list[str], **overrides: Any) -> str:
    """A list of ``numbers`` and a campaign over it (:func:`campaign_body`, BUSY retried
    as far as ``max_retries`` says), created over HTTP on a daemon process."""
    body = await client.call("POST", "/api/create_campaign_list", {"list_name": "l"})
    list_id = body["response"]["list_id"]
    contacts = [{"contact_number": n} for n in numbers]
    await client.call(
        "POST", "/api/add_contact_to_list", {"list_id": list_id, "contacts": contacts}
    )
    fields = campaign_body(list_id, retry_on_statuses="BUSY", **overrides)
    body = await client.call("POST", "/api/create_campaign", fields)
    return str(body["response"]["campaign_id"])


async def campaign_status(daemon: Daemon, campaign_id: str) -> str:
    status, body = await daemon.get(f"/api/get_campaign_details?campaign_id={campaign_id}")
    assert status == 200, body
    value: str = body["response"]["result"][0]["campaign_status"]
    return value


async def wait_completed(daemon: Daemon, campaign_id: str, within: float = 30.0) -> None:
    async def done() -> bool:
        return await campaign_status(daemon, campaign_id) == "3"

    await daemon.wait_for(done, within=within)


def originates(actions: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Originate actions per dialled number (``Local/<number>@sim-endpoints``)."""
    counts: Counter[str] = Counter()
    for action in actions:
        if str(action.get("Action", "")).lower() == "originate":
            counts[str(action["Channel"]).split("/", 1)[1].split("@", 1)[0]] += 1
    return counts


async def calls_without_outcome(db: Database, campaign_id: str) -> list[str]:
    """Request ids of the campaign's calls without a CDR and of its attempts without an
    outcome (or ``UNKNOWN``): empty once every call ended with one."""
    rows = await db.fetchall(
        "SELECT request_id FROM calls WHERE campaign_id = ? AND cdr_at IS NULL"
        " UNION ALL SELECT request_id FROM campaign_attempts WHERE campaign_id = ?"
        " AND (outcome IS NULL OR outcome = 'UNKNOWN')",
        (campaign_id, campaign_id),
    )
    return [str(row[0]) for row in rows]
