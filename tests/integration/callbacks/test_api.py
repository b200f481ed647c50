"""POST/PATCH/DELETE/GET /api/callback over HTTP: seed shapes, validation, ownership."""

from __future__ import annotations

from typing import Any

import pytest

from cpaas_daemon import keys
from tests.harness import Daemon
from tests.integration.callbacks.helpers import create, new_callback, state_of, wall_in

NOT_FOUND = {"response": {"success": "false", "message": "callback request not found"}}


async def stored_callbacks(daemon: Daemon) -> int:
    return int(await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM callbacks"))


async def test_seed_create_answer_and_lookup_in_zone_and_utc(daemon: Daemon) -> None:
    body = new_callback(scheduled_at="2099-08-15 12:55:00")
    status, reply = await daemon.post("/api/callback", body)
    assert status == 200
    assert set(reply["response"]) == {"request_id", "success"}
    assert reply["response"]["success"] == "true"

    view = await state_of(daemon, reply["response"]["request_id"])
    assert view["state"] == "scheduled"
    assert view["scheduled_at"] == "2099-08-15 12:55:00"
    assert view["time_zone"] == "Asia/Kolkata"
    assert view["scheduled_at_utc"] == "2099-08-15T07:25:00.000Z"  # IST is UTC+05:30
    assert view["attempts"] == "0"
    assert "dial_status" not in view


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scheduled_at": "2020-01-01 10:00:00"}, "must be in the future"),
        (
            {"time_zone": "America/New_York", "scheduled_at": "2026-03-08 02:30:00"},
            "does not exist in America/New_York",
        ),
        ({"time_zone": "Mars/Olympus"}, "not a known IANA time zone"),
        ({"scheduled_at": "15-08-2099 12:55"}, "YYYY-mm-dd hh:mm:ss"),
        ({"agent_number": "12ab"}, "agent_number must be 6-15 digits"),
        ({"destination_number": "123&PJSIP/999"}, "destination_number must be 6-15 digits"),
        ({"caller_id": "1516\r\nAction: Originate"}, "caller_id must be 6-15 digits"),
        ({"recording_option": "both"}, "must be on or off"),
    ],
)
async def test_invalid_create_is_400_and_stores_nothing(
    daemon: Daemon, fields: dict[str, str], message: str
) -> None:
    status, reply = await daemon.post("/api/callback", new_callback(**fields))
    assert status == 400
    assert reply["response"]["success"] == "false"
    assert message in reply["response"]["message"]
    assert await stored_callbacks(daemon) == 0


async def test_missing_field_is_named(daemon: Daemon) -> None:
    body = new_callback()
    del body["time_zone"]
    status, reply = await daemon.post("/api/callback", body)
    assert (status, reply["response"]["message"]) == (400, "time_zone is required")


async def test_patch_keeps_omitted_fields_and_the_stored_zone(daemon: Daemon) -> None:
    request_id = await create(daemon, new_callback(scheduled_at="2099-01-01 10:00:00"))
    status, reply = await daemon.call(
        "PATCH",
        "/api/callback",
        {"request_id": request_id, "scheduled_at": "2099-01-02 09:00:02", "recording_option": "on"},
    )
    assert status == 200
    assert reply == {
        "response": {
            "message": "callback data modified successfully",
            "request_id": request_id,
            "success": "true",
        }
    }
    view = await state_of(daemon, request_id)
    assert view["scheduled_at_utc"] == "2099-01-02T03:30:02.000Z"  # still Asia/Kolkata
    assert (view["recording_option"], view["agent_number"]) == ("on", "919979270010")


async def test_patch_of_only_the_zone_rereads_the_wall_time_there(daemon: Daemon) -> None:
    request_id = await create(daemon, new_callback(scheduled_at="2099-01-01 10:00:00"))
    status, _ = await daemon.call(
        "PATCH", "/api/callback", {"request_id": request_id, "time_zone": "UTC"}
    )
    assert status == 200
    assert (await state_of(daemon, request_id))["scheduled_at_utc"] == "2099-01-01T10:00:00.000Z"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scheduled_at": "2020-01-01 10:00:00"}, "must be in the future"),
        ({"agent_number": "123&PJSIP/999"}, "agent_number must be 6-15 digits"),
        ({"time_zone": "Nowhere/Land"}, "not a known IANA time zone"),
    ],
)
async def test_invalid_patch_is_400_and_changes_nothing(
    daemon: Daemon, fields: dict[str, str], message: str
) -> None:
    request_id = await create(daemon, new_callback())
    before = await state_of(daemon, request_id)
    status, reply = await daemon.call(
        "PATCH", "/api/callback", {"request_id": request_id, **fields}
    )
    assert status == 400
    assert message in reply["response"]["message"]
    assert await state_of(daemon, request_id) == before


async def test_delete_cancels_and_then_nothing_can_change_it(daemon: Daemon) -> None:
    request_id = await create(daemon, new_callback())
    status, reply = await daemon.call("DELETE", "/api/callback", {"request_id": request_id})
    assert status == 200
    assert reply["response"] == {
        "message": "callback request deleted successfully",
        "request_id": request_id,
        "success": "true",
    }
    assert (await state_of(daemon, request_id))["state"] == "cancelled"

    for method, body in (
        ("DELETE", {"request_id": request_id}),
        ("PATCH", {"request_id": request_id, "scheduled_at": wall_in(3600)}),
    ):
        status, reply = await daemon.call(method, "/api/callback", body)
        assert status == 409
        assert (
            "callback request is cancelled; only a scheduled callback"
            in (reply["response"]["message"])
        )


async def test_other_accounts_callback_is_indistinguishable_from_unknown(daemon: Daemon) -> None:
    request_id = await create(daemon, new_callback())
    unknown = "0123456789"
    attempts: list[tuple[str, str, Any]] = [
        ("GET", "/api/callback?request_id={}", None),
        ("PATCH", "/api/callback", {"scheduled_at": wall_in(60)}),
        ("DELETE", "/api/callback", {}),
    ]
    for method, path, extra in attempts:
        answers = []
        for target in (request_id, unknown):
            body = None if extra is None else {"request_id": target, **extra}
            answers.append(await daemon.call(method, path.format(target), body, "account_2"))
        assert answers == [(404, NOT_FOUND), (404, NOT_FOUND)]
    assert (await state_of(daemon, request_id))["state"] == "scheduled"


async def test_bad_request_id_is_400(daemon: Daemon) -> None:
    status, reply = await daemon.get("/api/callback?request_id=nope")
    assert (status, reply["response"]["message"]) == (
        400,
        "request_id must be 10 hexadecimal characters",
    )
