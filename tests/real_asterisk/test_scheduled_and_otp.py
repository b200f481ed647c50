"""OTP voice calls (TTS and SayDigits) and a scheduled callback on a real Asterisk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.calls.model import request_id_from_uniqueid
from tests.harness import Daemon, running_daemon
from tests.integration.callbacks.helpers import new_callback, wait_state
from tests.integration.calls.test_otp import seed_body, template_for
from tests.real_asterisk.conftest import REAL_ASTERISK, real_config
from tests.real_asterisk.rig import AmiWatch, AsteriskRig

pytestmark = REAL_ASTERISK


def otp_body(template_id: str) -> dict[str, str]:
    """The seed's request to a customer who stays on the line for both repeats."""
    return seed_body(template_id) | {"customer_number": "919979270019"}


def app_data(watch: AmiWatch, request_id: str, application: str) -> list[str]:
    """What the request's channels ran ``application`` with (Newexten events)."""
    return [
        e.get("AppData", "")
        for e in watch.matching(Event="Newexten", Application=application)
        if request_id_from_uniqueid(e.get("Linkedid", "")) == request_id
    ]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="make test installs espeak-ng")
async def test_otp_plays_the_rendered_prompt(real_daemon: Daemon, asterisk: AsteriskRig) -> None:
    async with AmiWatch(asterisk.ami_port) as watch:
        status, body = await real_daemon.post(
            "/api/outbound_call", otp_body(await template_for(real_daemon))
        )
        assert status == 200, body
        request_id = body["response"]["request_id"]
        [cdr] = await real_daemon.cdr(request_id)
        assert (cdr["call_status"], cdr["destination_context"]) == ("ANSWERED", "cpaas-otp")
        plays = app_data(watch, request_id, "Playback")
        assert len(plays) == 2  # repeat 2
        assert Path(plays[0] + ".wav").is_file()  # noqa: ASYNC240
        assert app_data(watch, request_id, "SayDigits") == []


async def test_otp_without_tts_says_the_digits(asterisk: AsteriskRig, tmp_path: Path) -> None:
    config = real_config(asterisk, tmp_path, tts={"engine": "none"})
    async with running_daemon(config) as daemon, AmiWatch(asterisk.ami_port) as watch:
        status, body = await daemon.post("/api/outbound_call", otp_body(await template_for(daemon)))
        assert status == 200, body
        request_id = body["response"]["request_id"]
        [cdr] = await daemon.cdr(request_id)
        assert cdr["call_status"] == "ANSWERED"
        assert app_data(watch, request_id, "SayDigits") == ["1987", "1987"]


async def test_callback_dials_at_its_time(real_daemon: Daemon, asterisk: AsteriskRig) -> None:
    async with AmiWatch(asterisk.ami_port) as watch:
        status, body = await real_daemon.post("/api/callback", new_callback(2))
        assert status == 200, body
        request_id = body["response"]["request_id"]
        done = await wait_state(real_daemon, request_id, "completed", "failed")
        assert (done["state"], done["dial_status"]) == ("completed", "ANSWER")
        [cdr] = await real_daemon.cdr(request_id)
        assert cdr["call_status"] == "ANSWERED"
        originated = watch.matching(
            lambda e: request_id_from_uniqueid(e.get("Uniqueid", "")) == request_id,
            Event="Newchannel",
        )
        assert len(originated) == 2  # one Local pair: dialled once
        assert real_daemon.app[keys.DOMAINS].pbx.pool.connected
