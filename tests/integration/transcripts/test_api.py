"""transcript "on" over HTTP: the call's recording is transcribed when the call ends, and
the text shows on its CDR and at ``GET /api/transcript``; every other outcome is a clear
status, never a stuck job."""

from __future__ import annotations

import shutil
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.store.db import Database
from tests.harness import Daemon, free_port, running_daemon
from tests.integration.calls.test_call_control import bridged_call
from tests.integration.calls.test_click2call import SEED_BODY

DONE_WITHIN = 90.0  # a job is a process that loads the model: generous on a busy machine


async def transcript(daemon: Daemon, request_id: str, account: str = "account_1") -> Any:
    return await daemon.get(f"/api/transcript?request_id={request_id}", account=account)


async def settled(daemon: Daemon, request_id: str) -> dict[str, Any]:
    """The transcript once it is no longer pending."""

    async def probe() -> dict[str, Any] | None:
        _, body = await transcript(daemon, request_id)
        result: dict[str, Any] = body["response"]["result"]
        return None if result["status"] == "pending" else result

    return await daemon.wait_for(probe, within=DONE_WITHIN)  # type: ignore[no-any-return]


async def hang_up(daemon: Daemon, request_id: str) -> None:
    agent = next(
        c.name
        for c in daemon.app[keys.DOMAINS].core.tracker.live_channels()
        if request_id_from_uniqueid(c.uniqueid) == request_id and c.name.endswith(";1")
    )
    status, _ = await daemon.post("/api/modify_call", {"channel": agent, "modify_type": "2"})
    assert status == 200


async def recorded_call(daemon: Daemon, tmp_path: Path, recording: Path | bytes) -> str:
    """A bridged click-to-call with recording and transcript on, whose MixMonitor file is
    ``recording``; still up (its transcript pending) when this returns."""
    request_id, _ = await bridged_call(daemon)
    target = tmp_path / "recordings" / f"{request_id}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(recording, Path):
        shutil.copyfile(recording, target)
    else:
        target.write_bytes(recording)
    return request_id


async def test_recorded_call_is_pending_then_done_with_its_text_on_the_cdr(
    daemon: Daemon, tmp_path: Path, speech_wav: Path
) -> None:
    request_id = await recorded_call(daemon, tmp_path, speech_wav)
    status, body = await transcript(daemon, request_id)
    assert status == 200
    assert body["response"]["success"] == "true"
    assert body["response"]["result"]["status"] == "pending"
    assert body["response"]["result"]["transcript"] == ""

    await hang_up(daemon, request_id)
    result = await settled(daemon, request_id)
    assert result["status"] == "done", result
    assert result["engine"] == "pocketsphinx"
    assert result["reason"] == ""
    assert "order" in result["transcript"].split()  # espeak-ng's voice, decoded offline

    [cdr] = await daemon.cdr(request_id)
    assert cdr["transcript_status"] == "done"
    assert cdr["transcript"] == result["transcript"]
    async with daemon.session.get(daemon.url + "/metrics") as response:
        assert 'cpaas_transcripts_total{status="done"} 1.0' in await response.text()
    _, by_date = await daemon.post(
        "/api/get_cdr_by_date",
        {"start_call_date": cdr_date(cdr), "end_call_date": cdr_date(cdr)},
    )
    [listed] = [c for c in by_date["response"]["result"] if c["request_id"] == request_id]
    assert listed["transcript"] == result["transcript"]


def cdr_date(cdr: dict[str, Any]) -> str:
    return parsedate_to_datetime(cdr["call_date"]).date().isoformat()


async def test_corrupt_recording_fails_with_the_reason(daemon: Daemon, tmp_path: Path) -> None:
    request_id = await recorded_call(daemon, tmp_path, b"RIFX\x00\x01garbage" * 100)
    await hang_up(daemon, request_id)
    result = await settled(daemon, request_id)
    assert result["status"] == "failed"
    assert "not a readable WAV file" in result["reason"]
    [cdr] = await daemon.cdr(request_id)
    assert (cdr["transcript_status"], cdr["transcript"]) == ("failed", "")


async def test_answered_call_whose_recording_is_missing_fails(daemon: Daemon) -> None:
    """The simulator's MixMonitor writes no file: the job says so instead of hanging."""
    _, reply = await daemon.post("/api/click2call", SEED_BODY)
    request_id = reply["response"]["request_id"]
    result = await settled(daemon, request_id)
    assert result["status"] == "failed"
    assert result["reason"] == f"recording {request_id}.wav not found"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"recording_option": "off"}, "the call was not recorded"),
        ({"destination_number": "918000680024"}, "the call was not answered: nothing was recorded"),
        ({"transcript": "off"}, "the call was placed with transcript off"),
    ],
)
async def test_nothing_to_transcribe_is_status_none(
    daemon: Daemon, body: dict[str, str], reason: str
) -> None:
    _, reply = await daemon.post("/api/click2call", {**SEED_BODY, **body})
    request_id = reply["response"]["request_id"]
    await daemon.cdr(request_id)
    result = await settled(daemon, request_id)
    assert (result["status"], result["transcript"], result["reason"]) == ("none", "", reason)
    [cdr] = await daemon.cdr(request_id)
    assert cdr["transcript_status"] == "none"


async def test_other_accounts_and_unknown_request_ids_are_not_found(daemon: Daemon) -> None:
    _, reply = await daemon.post("/api/click2call", SEED_BODY)
    request_id = reply["response"]["request_id"]
    for account, rid in (("account_2", request_id), ("account_1", "0123456789")):
        status, body = await transcript(daemon, rid, account=account)
        assert (status, body) == (
            404,
            {"response": {"success": "false", "message": "call not found"}},
        )
    status, body = await transcript(daemon, "nothex!")
    assert status == 400
    assert body["response"]["message"] == "request_id must be 10 hexadecimal characters"
    status, _ = await daemon.get(f"/api/transcript?request_id={request_id}", account=None)
    assert status == 401


async def test_a_restart_resumes_the_interrupted_job(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int, speech_wav: Path
) -> None:
    config = daemon_config(tmp_path, sim.port, agi_port)
    async with running_daemon(config) as daemon:
        request_id = await recorded_call(daemon, tmp_path, speech_wav)
        await hang_up(daemon, request_id)
        await daemon.cdr(request_id)  # the call is over: its job is queued or running
    db = Database(config.store.path)
    await db.open()
    try:
        left = await db.fetchval(
            "SELECT status FROM transcripts WHERE request_id = ?", (request_id,)
        )
    finally:
        await db.close()
    assert left in ("queued", "running")  # stopped before the engine finished

    async with running_daemon(config) as daemon:
        result = await settled(daemon, request_id)
        assert result["status"] == "done"
        assert "order" in result["transcript"].split()


@pytest.mark.parametrize(
    ("settings", "status", "engine", "reason"),
    [
        (
            {"engine": "vosk", "model_dir": "{tmp}/no-such-model"},
            "failed",
            "vosk",
            "vosk model directory {tmp}/no-such-model does not exist",
        ),
        ({"timeout": 0.05}, "failed", "pocketsphinx", "timed out after 0.05 s"),
        (
            {"engine": "none"},
            "none",
            "",
            "transcription is off on this server (transcripts.engine = none)",
        ),
    ],
    ids=["model-missing", "timeout", "engine-none"],
)
async def test_engine_settings_end_the_job_with_a_clear_status(
    tmp_path: Path,
    sim: SimulatedAsterisk,
    agi_port: int,
    speech_wav: Path,
    settings: dict[str, Any],
    status: str,
    engine: str,
    reason: str,
) -> None:
    settings = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in settings.items()}
    config = daemon_config(tmp_path, sim.port, agi_port, transcripts=settings)
    async with running_daemon(config) as daemon:
        request_id = await recorded_call(daemon, tmp_path, speech_wav)
        await hang_up(daemon, request_id)
        result = await settled(daemon, request_id)
    assert (result["status"], result["engine"], result["transcript"]) == (status, engine, "")
    assert result["reason"] == reason.format(tmp=tmp_path)


async def test_a_call_refused_before_it_is_written_leaves_no_transcript_row(
    tmp_path: Path, agi_port: int
) -> None:
    config = daemon_config(tmp_path, free_port(), agi_port)  # no PBX listens there
    async with running_daemon(config, connect=False) as daemon:
        status, body = await daemon.post("/api/click2call", SEED_BODY)
        assert status == 503, body
        assert (
            await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM transcripts") == 0
        )
