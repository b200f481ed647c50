"""Seed 003 campaign endpoints over HTTP against the simulator: the seed's three
create_campaign examples, stop, details, CDRs, statistics, validation and isolation."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon
from tests.integration.campaigns.helpers import (
    PROMPT,
    campaign_body,
    create_campaign,
    new_dnd_list,
    new_list,
    originates,
    upload_prompt,
    wait_completed,
    window,
)

CAMPAIGN_ID = re.compile(r"^CM[0-9a-f]{10}$")
HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
SEED_DETAILS_KEYS = {
    "calls_per_minute", "campaign_caller_id", "campaign_end_date", "campaign_id",
    "campaign_name", "campaign_start_date", "campaign_status", "campaign_type", "max_retries",
    "repeat_announcement_count", "retry_time",
}  # fmt: skip
SEED_CDR_KEYS = {
    "account_id", "agent_number", "answer", "billsec", "call_date", "call_direction",
    "call_duration", "call_status", "caller_id", "customer_number", "destination_context",
    "dial_status", "dialed_number", "dtmf_inputs", "end", "id", "is_dnd", "list_id",
    "recording_name", "request_id", "uniqueid",
    "recording_deleted_at",  # not in the seed: the retention sweep deleted the recording
}  # fmt: skip
SEED_STAT_KEYS = {
    "answer_calls", "busy_calls", "cancel_calls", "chanunavail_calls", "congestion_calls",
    "dnd_calls", "noanswer_calls", "total_calls",
}  # fmt: skip


def seed_dynamic(list_id: str, dnd_list_id: str) -> dict[str, Any]:
    """Seed: CAMPAIGN TYPE 0, Option 1 (dates moved to now so that it runs)."""
    return {
        "list_id": list_id,
        "dnd_list_id": dnd_list_id,
        "campaign_name": "test_broadcast_campaign_test_volume",
        "campaign_type": "0",
        "campaign_caller_id": "15168148111",
        "dynamic_announcement": "1",
        "recorded_filename": "",
        "announcement_text": "Dear, {field1} , {field2}, Your due balance is,, {field3},,INR only",
        **window(zone="Asia/Kolkata"),
        "repeat": "2",
        "max_retries": "1",
        "retry_time": "60",
        "calls_per_minute": "600",
        "voice": "Matthew",
        "volume": "soft",
        "rate": "slow",
        "pitch": "medium",
        "language_code": "en-US",
        "tts_engine_type": "standard",
    }


def rendered(prompt: str, cache_dir: Path) -> bool:
    """A TTS prompt is a WAV in the TTS cache, named without its extension."""
    return Path(prompt).parent == cache_dir.resolve() and Path(prompt + ".wav").is_file()


@pytest.fixture
def prompt(tmp_path: Path) -> None:
    upload_prompt(tmp_path / "uploads")


async def test_seed_dynamic_announcement_campaign(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    """Each contact's {fieldN} text is rendered by TTS and played; a DND number gets the
    seed's DND record; details, CDRs and statistics have the seed's keys."""
    list_id = await new_list(daemon, ["919979270000", "918000680001"])
    dnd_list_id = await new_dnd_list(daemon, ["918000680001"])
    status, body = await daemon.post("/api/create_campaign", seed_dynamic(list_id, dnd_list_id))
    assert status == 200, body
    assert set(body["response"]) == {"campaign_id", "success"}
    campaign_id = body["response"]["campaign_id"]
    assert CAMPAIGN_ID.match(campaign_id)
    await wait_completed(daemon, campaign_id)

    [originate] = [a for a in sim.actions if str(a.get("Action")).lower() == "originate"]
    variables = dict(v.split("=", 1) for v in originate["Variable"])
    assert rendered(variables["CPAAS_PROMPT"], tmp_path / "tts")
    assert variables["CPAAS_CAMPAIGN_TYPE"] == "0"
    assert variables["CPAAS_REPEAT"] == "2"

    status, body = await daemon.get("/api/get_campaign_details")
    [details] = body["response"]["result"]
    assert body["response"]["message"] == "campaign found"
    assert set(details) >= SEED_DETAILS_KEYS
    assert HTTP_DATE.match(details["campaign_start_date"])
    assert (details["campaign_status"], details["repeat_announcement_count"]) == ("3", "2")

    status, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    rows = {row["dialed_number"]: row for row in body["response"]["result"]}
    assert all(set(row) == SEED_CDR_KEYS for row in rows.values())
    assert rows["919979270000"]["dial_status"] == "ANSWER"
    dnd = rows["918000680001"]
    assert (dnd["dial_status"], dnd["is_dnd"], dnd["answer"], dnd["billsec"]) == (
        "DND",
        "1",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        None,
    )

    status, body = await daemon.post(
        "/api/get_campaign_cdr_statistics", {"campaign_id": f" {campaign_id} "}
    )
    result = body["response"]["result"]
    assert set(result) == SEED_STAT_KEYS
    assert (result["answer_calls"], result["dnd_calls"], result["total_calls"]) == ([1], [1], [2])


async def test_seed_prerecorded_campaign_plays_the_uploaded_file(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path, prompt: None
) -> None:
    list_id = await new_list(daemon, ["919979270000"])
    campaign_id = await create_campaign(daemon, campaign_body(list_id, repeat="3"))
    await wait_completed(daemon, campaign_id)
    [originate] = [a for a in sim.actions if str(a.get("Action")).lower() == "originate"]
    assert (
        f"CPAAS_PROMPT={(tmp_path / 'uploads' / 'account_1' / PROMPT).resolve().with_suffix('')}"
        in originate["Variable"]
    )


async def test_a_campaign_cannot_play_another_accounts_recording(
    daemon: Daemon, sim: SimulatedAsterisk, prompt: None
) -> None:
    """Issue 10.2: account_2 names account_1's prompt: 404, no campaign, nothing dialled."""
    list_id = await new_list(daemon, ["919979270000"], account="account_2")
    status, body = await daemon.post("/api/create_campaign", campaign_body(list_id), "account_2")
    assert (status, body["response"]["success"]) == (404, "false")
    assert "recorded_filename" in body["response"]["message"]
    assert await daemon.app[keys.DOMAINS].core.db.fetchall("SELECT 1 FROM campaigns") == []
    assert originates(sim.actions) == {}


async def test_seed_ivr_campaign_stores_the_pressed_key(daemon: Daemon, prompt: None) -> None:
    """Type 1: the campaign-ivr AGI route plays the prompt and stores the DTMF digit."""
    list_id = await new_list(daemon, ["919979270007", "919979270000"])
    campaign_id = await create_campaign(
        daemon,
        campaign_body(
            list_id, campaign_type="1", dynamic_announcement="1", announcement_text="abc"
        ),
    )
    await wait_completed(daemon, campaign_id)
    _, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    digits = {row["dialed_number"]: row["dtmf_inputs"] for row in body["response"]["result"]}
    assert digits == {"919979270007": "1", "919979270000": ""}


@pytest.mark.parametrize("path", ["/api/stop_campaign", "/stop_campaign"])  # seed: curl, URL
async def test_stop_campaign(daemon: Daemon, prompt: None, path: str) -> None:
    list_id = await new_list(daemon, ["919979270000"])
    body = campaign_body(list_id, **window(minutes_before=-30, minutes_after=60))
    campaign_id = await create_campaign(daemon, body)
    _, details = await daemon.get("/api/get_campaign_details")
    assert details["response"]["result"][0]["campaign_status"] == "0"  # scheduled
    status, reply = await daemon.post(path, {"campaign_id": f" {campaign_id} "})
    assert (status, reply) == (
        200,
        {"response": {"message": "campaign stopped successfully", "success": "true"}},
    )
    _, details = await daemon.get("/api/get_campaign_details")
    assert details["response"]["result"][0]["campaign_status"] == "4"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"campaign_end_date": "2020-01-01 00:00:00"}, "campaign_end_date must be after"),
        ({"time_zone": "Mars/Base"}, "not a known IANA time zone"),
        (
            {
                "time_zone": "US/Eastern",
                "campaign_start_date": "2030-03-10 02:30:00",
                "campaign_end_date": "2030-03-11 02:30:00",
            },
            "does not exist in US/Eastern",
        ),
        ({"retry_on_statuses": "BUSY,ANSWER"}, "retry_on_statuses may only list"),
        ({"calls_per_minute": "0"}, "calls_per_minute must be a whole number"),
        ({"recorded_filename": "../secret.wav"}, "plain file name"),
        ({"recorded_filename": "missing.wav"}, "recorded_filename missing.wav was not found"),
        ({"campaign_caller_id": "1516&8148"}, "campaign_caller_id must be 6-15 digits"),
        ({"list_id": "LS0000000000"}, "list_id LS0000000000 not found"),
    ],
)
async def test_create_campaign_validation(
    daemon: Daemon, prompt: None, overrides: dict[str, str], message: str
) -> None:
    list_id = await new_list(daemon, ["919979270000"])
    status, body = await daemon.post("/api/create_campaign", campaign_body(list_id, **overrides))
    assert status in (400, 404), body
    assert message in body["response"]["message"]


async def test_seed_glued_date_is_understood(daemon: Daemon, prompt: None) -> None:
    """The seed's type 1 example prints "2023-12-1810:00:00" (no space)."""
    list_id = await new_list(daemon, ["919979270000"])
    status, body = await daemon.post(
        "/api/create_campaign",
        campaign_body(
            list_id,
            campaign_start_date="2030-12-1810:00:00",
            campaign_end_date="2030-12-18 20:00:00",
        ),
    )
    assert status == 200, body


async def test_another_accounts_campaign_is_not_found(daemon: Daemon, prompt: None) -> None:
    list_id = await new_list(daemon, ["919979270000"])
    campaign_id = await create_campaign(daemon, campaign_body(list_id))
    for path in (
        "/api/stop_campaign",
        "/stop_campaign",
        "/api/get_cdr_by_campaign_id",
        "/api/get_campaign_cdr_statistics",
    ):
        status, body = await daemon.post(path, {"campaign_id": campaign_id}, "account_2")
        assert (status, body["response"]["message"]) == (
            404,
            f"campaign_id {campaign_id} not found",
        )
    status, _ = await daemon.get("/api/get_campaign_details", "account_2")
    assert status == 404
    # account_2 cannot run a campaign on account_1's list either
    status, _ = await daemon.post("/api/create_campaign", campaign_body(list_id), "account_2")
    assert status == 404


async def test_stop_a_running_campaign_dials_no_more(
    daemon: Daemon, sim: SimulatedAsterisk, prompt: None
) -> None:
    numbers = [f"91997927{i:04d}" for i in range(0, 300, 10)]  # all answer
    list_id = await new_list(daemon, numbers)
    campaign_id = await create_campaign(daemon, campaign_body(list_id, calls_per_minute="120"))

    async def two_dialled() -> bool:
        return sum(originates(sim.actions).values()) >= 2

    await daemon.wait_for(two_dialled)
    status, _ = await daemon.post("/api/stop_campaign", {"campaign_id": campaign_id})
    assert status == 200
    at_stop = sum(originates(sim.actions).values())
    await asyncio.sleep(1.5)  # three more slots at 120/min
    assert sum(originates(sim.actions).values()) == at_stop
    _, details = await daemon.get(f"/api/get_campaign_details?campaign_id={campaign_id}")
    assert details["response"]["result"][0]["campaign_status"] == "4"
