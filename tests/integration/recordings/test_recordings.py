"""GET /api/recording/{request_id} and the retention sweep, over HTTP.

The simulator does not write audio: each test puts the file where MixMonitor would
(``dial.recordings_dir``, under the name the CDR's ``recording_name`` gives).
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.timefmt import iso, utc_now
from tests.harness import Daemon, running_daemon
from tests.integration.calls.test_click2call import SEED_BODY

RECORDED = {**SEED_BODY, "recording_option": "both"}
UNRECORDED = {**SEED_BODY, "recording_option": "off"}


def wav_bytes(seconds: float = 1.0) -> bytes:
    """A real 8 kHz, 16-bit mono WAV, as MixMonitor writes for a telephone call."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * int(16000 * seconds / 256))
    return buffer.getvalue()


AUDIO = wav_bytes()


def recordings_dir(daemon: Daemon) -> Path:
    directory: Path = daemon.app[keys.DOMAINS].core.config.dial.recordings_dir
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def recorded_call(daemon: Daemon, body: dict[str, str] = RECORDED) -> str:
    """A finished click-to-call with its CDR, and its recording file on disk.

    Finished means both: its CDR is in (the first leg's may be summarised while the
    other leg's Hangup is still on its way) and it is gone from the live calls (until
    then a download is a 409, "still live", by design)."""
    status, reply = await daemon.post("/api/click2call", body)
    assert status == 200, reply
    request_id: str = reply["response"]["request_id"]
    [cdr] = await daemon.cdr(request_id)

    async def over() -> bool:
        _, live = await daemon.get("/api/live_calls")
        return all(call["request_id"] != request_id for call in live["response"]["result"])

    await daemon.wait_for(over)
    if cdr["recording_name"]:
        (recordings_dir(daemon) / cdr["recording_name"]).write_bytes(AUDIO)
    return request_id


async def download(
    daemon: Daemon, request_id: str, account: str = "account_1", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    async with daemon.session.get(
        f"{daemon.url}/api/recording/{request_id}", headers=daemon.headers(account) | headers
    ) as response:
        return response.status, dict(response.headers), await response.read()


async def test_download_whole_file_with_its_content_type(daemon: Daemon) -> None:
    request_id = await recorded_call(daemon)
    status, headers, body = await download(daemon, request_id)
    assert (status, body) == (200, AUDIO)
    assert headers["Content-Type"] == "audio/wav"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Disposition"] == f'attachment; filename="{request_id}.wav"'
    [cdr] = await daemon.cdr(request_id)
    assert (cdr["recording_name"], cdr["recording_deleted_at"]) == (f"{request_id}.wav", "")


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [("bytes=0-43", 0, 44), ("bytes=44-", 44, len(AUDIO)), ("bytes=-100", len(AUDIO) - 100, None)],
)
async def test_range_requests(daemon: Daemon, range_header: str, start: int, end: int) -> None:
    request_id = await recorded_call(daemon)
    status, headers, body = await download(daemon, request_id, Range=range_header)
    assert (status, body) == (206, AUDIO[start:end])
    last = (end or len(AUDIO)) - 1
    assert headers["Content-Range"] == f"bytes {start}-{last}/{len(AUDIO)}"


async def test_a_range_past_the_end_is_416(daemon: Daemon) -> None:
    request_id = await recorded_call(daemon)
    status, headers, _ = await download(daemon, request_id, Range=f"bytes={len(AUDIO)}-")
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(AUDIO)}")


def error_body(message: str) -> dict[str, Any]:
    return {"response": {"success": "false", "message": message}}


async def answer(daemon: Daemon, request_id: str, account: str = "account_1") -> Any:
    return await daemon.get(f"/api/recording/{request_id}", account)


async def test_another_accounts_call_is_not_found(daemon: Daemon) -> None:
    request_id = await recorded_call(daemon)
    assert await answer(daemon, request_id, "account_2") == (
        404,
        error_body(f"no call with request_id {request_id}"),
    )
    assert await answer(daemon, "00000000ff") == (
        404,
        error_body("no call with request_id 00000000ff"),
    )


async def test_missing_file_and_call_without_recording_are_not_found(daemon: Daemon) -> None:
    request_id = await recorded_call(daemon)
    (recordings_dir(daemon) / f"{request_id}.wav").unlink()
    assert await answer(daemon, request_id) == (
        404,
        error_body(f"recording file of call {request_id} not found"),
    )
    unrecorded = await recorded_call(daemon, UNRECORDED)
    assert await answer(daemon, unrecorded) == (
        404,
        error_body(f"call {unrecorded} has no recording"),
    )


@pytest.mark.parametrize(
    ("request_id", "status", "message"),
    [
        ("ZZZZZZZZZZ", 400, "request_id must be 10 hexadecimal characters"),
        ("00000000aa.wav", 400, "request_id must be 10 hexadecimal characters"),
        ("..%2F..%2Fcpaas.sqlite3", 400, "request_id must be 10 hexadecimal characters"),
        ("..", 404, "no such endpoint"),  # the URL normalises to /api/
        ("%2e%2e", 404, "no such endpoint"),
    ],
)
async def test_a_request_id_that_is_no_request_id_is_refused(
    daemon: Daemon, request_id: str, status: int, message: str
) -> None:
    assert await answer(daemon, request_id) == (status, error_body(message))


@pytest.mark.parametrize("name", ["../cpaas.sqlite3", ".hidden.wav", "/etc/passwd", "link.wav"])
async def test_a_stored_name_outside_the_directory_is_never_served(
    daemon: Daemon, name: str
) -> None:
    """Defence in depth: even a recording_name written by a bug cannot reach another file
    (a relative or absolute path, a dot file, or a symlink out of the directory)."""
    request_id = await recorded_call(daemon)
    (recordings_dir(daemon) / "link.wav").symlink_to(
        daemon.app[keys.DOMAINS].core.config.store.path
    )
    await daemon.app[keys.DOMAINS].core.db.execute(
        "UPDATE calls SET recording_name = ? WHERE request_id = ?", (name, request_id)
    )
    assert await answer(daemon, request_id) == (
        404,
        error_body(f"recording file of call {request_id} not found"),
    )


@pytest.fixture
def sim_options() -> dict[str, Any]:
    return {"time_scale": 0.1}  # a "60 s" call is up 6 s


async def test_a_live_calls_recording_is_409(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    long_call = {**RECORDED, "agent_number": "919979270019", "destination_number": "918000680029"}
    _, reply = await daemon.post("/api/click2call", long_call)
    request_id = reply["response"]["request_id"]
    await daemon.wait_for(lambda: _is_live(daemon, request_id))
    (recordings_dir(daemon) / f"{request_id}.wav").write_bytes(AUDIO[:44])
    status, body = await answer(daemon, request_id)
    assert (status, body["response"]["message"]) == (
        409,
        f"call {request_id} is still live; its recording is being written",
    )
    # ... and the retention sweep leaves it alone, however old it looks.
    await age(daemon, request_id, days=30)
    await daemon.app[keys.DOMAINS].recordings.retention.sweep()
    assert (recordings_dir(daemon) / f"{request_id}.wav").exists()


async def _is_live(daemon: Daemon, request_id: str) -> bool:
    return request_id in daemon.app[keys.DOMAINS].core.tracker.live_requests()


async def age(daemon: Daemon, request_id: str, days: int) -> None:
    """Make a call look ``days`` old (a test cannot wait for the retention period)."""
    await daemon.app[keys.DOMAINS].core.db.execute(
        "UPDATE calls SET created_at = ? WHERE request_id = ?",
        (iso(utc_now() - timedelta(days=days)), request_id),
    )


@pytest.fixture
async def retaining(tmp_path: Path, sim: SimulatedAsterisk, agi_port: int) -> AsyncIterator[Daemon]:
    """A daemon that keeps recordings 7 days and sweeps every 50 ms."""
    config = daemon_config(
        tmp_path,
        sim.port,
        agi_port,
        dial={"recordings_retention_days": 7, "recordings_sweep_interval": 0.05},
    )
    async with running_daemon(config) as running:
        yield running


async def test_retention_deletes_old_recordings_and_says_so_in_the_cdr(
    retaining: Daemon,
) -> None:
    daemon = retaining
    old, recent = await recorded_call(daemon), await recorded_call(daemon)
    directory = recordings_dir(daemon)
    (directory / f"{old}-agent.wav").write_bytes(AUDIO)  # another file of the same call
    (directory / "unrelated.wav").write_bytes(AUDIO)
    await age(daemon, old, days=8)
    await age(daemon, recent, days=6)

    async def deleted() -> str:
        [cdr] = await daemon.cdr(old)
        return cdr["recording_deleted_at"]  # type: ignore[no-any-return]

    when = await daemon.wait_for(deleted)
    assert when.endswith(" GMT")
    assert sorted(p.name for p in directory.iterdir()) == sorted([f"{recent}.wav", "unrelated.wav"])
    [cdr] = await daemon.cdr(old)
    assert cdr["recording_name"] == f"{old}.wav"  # the name stays: the CDR says it was deleted
    assert await answer(daemon, old) == (
        404,
        error_body(f"recording of call {old} was deleted on {when} (retention)"),
    )
    assert (await download(daemon, recent))[0] == 200
    [kept] = await daemon.cdr(recent)
    assert kept["recording_deleted_at"] == ""
