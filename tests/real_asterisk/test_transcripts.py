"""transcript "on" against a real Asterisk: MixMonitor writes the call's real recording
(a phone that speaks one of Asterisk's prompts), and once the call ends the daemon
transcribes that file offline and shows the words on the CDR and at /api/transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cpaas_daemon import keys
from tests.harness import Daemon, running_daemon
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config

pytestmark = REAL_ASTERISK

# Numbers ending in 1 answer and say "That agent is already logged on. Please enter your
# agent number followed by the pound key." then hang up; the others answer and listen.
SPEAKING_PHONES = """
[cpaas-test-speaking-phones]
exten => _X.,1,Answer()
 same => n,GotoIf($["${EXTEN:-1}" = "1"]?speak)
 same => n,Wait(15)
 same => n,Hangup()
 same => n(speak),Wait(0.5)
 same => n,Playback(agent-alreadyon)
 same => n,Hangup()
"""


async def test_the_real_recording_of_a_call_is_transcribed_when_it_ends(
    asterisk_binary: Path, tmp_path: Path
) -> None:
    phones = {"outbound_template": "Local/{number}@cpaas-test-speaking-phones"}
    async with (
        own_asterisk(asterisk_binary, extra_dialplan=SPEAKING_PHONES) as rig,
        running_daemon(real_config(rig, tmp_path, dial=phones)) as daemon,
    ):
        status, body = await daemon.post(
            "/api/click2call",
            {
                "agent_number": "919979270010",
                "destination_number": "918000680021",
                "caller_id": "15168148111",
                "recording_option": "on",
                "transcript": "on",
            },
        )
        assert status == 200, body
        request_id = body["response"]["request_id"]
        first = await transcript(daemon, request_id)
        assert first["status"] == "pending"

        [cdr] = await daemon.cdr(request_id)
        assert cdr["dial_status"] == "ANSWER"
        recording = daemon.app[keys.DOMAINS].core.config.dial.recordings_dir / cdr["recording_name"]
        assert recording.stat().st_size > 44_000  # ~5 s of 8 kHz speech, not a bare header

        async def finished() -> dict[str, Any] | None:
            result = await transcript(daemon, request_id)
            return None if result["status"] == "pending" else result

        result = await daemon.wait_for(finished, within=120)
        assert (result["status"], result["engine"], result["reason"]) == (
            "done",
            "pocketsphinx",
            "",
        )
        assert {"pound", "key"} <= set(result["transcript"].split()), result["transcript"]
        [cdr] = await daemon.cdr(request_id)
        assert (cdr["transcript_status"], cdr["transcript"]) == ("done", result["transcript"])


async def transcript(daemon: Daemon, request_id: str) -> dict[str, Any]:
    status, body = await daemon.get(f"/api/transcript?request_id={request_id}")
    assert status == 200, body
    return body["response"]["result"]  # type: ignore[no-any-return]
