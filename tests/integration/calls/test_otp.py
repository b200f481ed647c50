"""OTP voice call: template + offline TTS, spoken through the cpaas-otp dialplan."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon
from tests.integration.calls.test_click2call import originates


async def template_for(daemon: Daemon, account: str = "account_1") -> str:
    return await daemon.app[keys.DOMAINS].calls.announcements.add(
        account, "Your one time password is {otp}"
    )


def seed_body(template_id: str) -> dict[str, str]:
    """The seed's example request, with real digits where it shows XXXX."""
    return {
        "customer_number": "919979270010",
        "otp": "1987",
        "announce_template_id": template_id,
        "repeat": "2",
        "caller_id": "15168148111",
        "voice": "Raveena",
        "volume": "soft",
        "rate": "slow",
        "pitch": "medium",
        "language_code": "en-US",
        "tts_engine_type": "standard",
    }


def variables(action: dict[str, object]) -> dict[str, str]:
    raw = action["Variable"]
    items = [raw] if isinstance(raw, str) else raw
    return dict(str(item).split("=", 1) for item in items)  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="make test installs espeak-ng")
async def test_seed_request_speaks_the_rendered_prompt(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    template_id = await template_for(daemon)
    status, body = await daemon.post("/api/outbound_call", seed_body(template_id))
    assert status == 200
    assert set(body["response"]) == {"request_id", "success"}
    request_id = body["response"]["request_id"]
    [action] = originates(sim)
    assert (action["Context"], action["Exten"]) == ("cpaas-otp", "s")
    values = variables(action)
    assert values["CPAAS_OTP"] == "1987"
    assert values["CPAAS_REPEAT"] == "2"
    with wave.open(values["CPAAS_PROMPT"] + ".wav") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
    [cdr] = await daemon.cdr(request_id)
    assert (cdr["call_status"], cdr["customer_number"]) == ("ANSWERED", "919979270010")
    assert cdr["destination_context"] == "cpaas-otp"


async def test_without_tts_engine_it_falls_back_to_saydigits(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    config = daemon_config(tmp_path, sim.port, agi_port, tts={"engine": "none"})
    async with running_daemon(config) as daemon:
        template_id = await template_for(daemon)
        status, body = await daemon.post("/api/outbound_call", seed_body(template_id))
        assert status == 200
        [action] = originates(sim)
        assert variables(action)["CPAAS_PROMPT"] == ""
        [cdr] = await daemon.cdr(body["response"]["request_id"])
        assert cdr["call_status"] == "ANSWERED"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"voice": "Robot"}, "voice must be one of"),
        ({"volume": "deafening"}, "volume must be one of"),
        ({"otp": "12ab"}, "otp must be"),
        ({"repeat": "9"}, "repeat"),
        ({"customer_number": "123&PJSIP/9"}, "customer_number"),
        ({"announce_template_id": "AN0000000000"}, "announce_template_id AN0000000000 not found"),
    ],
)
async def test_bad_requests_dial_nothing(
    daemon: Daemon, sim: SimulatedAsterisk, change: dict[str, str], message: str
) -> None:
    template_id = await template_for(daemon)
    status, body = await daemon.post("/api/outbound_call", {**seed_body(template_id), **change})
    assert status == (404 if "not found" in message else 400)
    assert message in body["response"]["message"]
    assert originates(sim) == []


async def test_another_accounts_template_is_not_found(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    template_id = await template_for(daemon, "account_2")
    status, body = await daemon.post("/api/outbound_call", seed_body(template_id))
    assert (status, body["response"]["success"]) == (404, "false")
    assert originates(sim) == []
