"""Which file on disk a CRM may download, and as what.

The file comes from the account's own ``calls`` row (``recording_name``), never from the
request: the URL only carries a request_id, which is validated as 10 hex digits. The name
is still checked to be a plain name inside ``dial.recordings_dir`` (no ``/``, no leading
dot, no symlink out of it), so a row written by a bug cannot expose another file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.errors import Conflict, NotFound
from cpaas_daemon.timefmt import http_date

# What MixMonitor can write (its format follows the file's extension).
CONTENT_TYPES = {
    ".wav": "audio/wav",
    ".wav49": "audio/wav",  # GSM in a WAV container
    ".gsm": "audio/x-gsm",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".sln": "audio/L16; rate=8000",  # signed linear 16-bit, 8 kHz, as Asterisk writes it
}
FALLBACK_TYPE = "application/octet-stream"
# A file name as the daemon writes them (no separator, no leading dot, nothing to quote in
# Content-Disposition).
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), FALLBACK_TYPE)


@dataclass(frozen=True)
class Recording:
    path: Path
    name: str
    content_type: str


class RecordingFiles:
    def __init__(self, calls: CallRepository, tracker: CallTracker, directory: Path) -> None:
        self._calls = calls
        self._tracker = tracker
        self._directory = directory

    async def locate(self, account_id: str, request_id: str) -> Recording:
        """The recording of one of the account's calls, or the dialect's 404 saying why.

        Another account's request_id is "not found" like an unknown one. A call still up
        is a 409: MixMonitor is writing the file and its header is not final yet.
        """
        call = await self._calls.get(account_id, request_id)
        if call is None:
            raise NotFound(f"no call with request_id {request_id}")
        name = call.recording_name
        if not name:
            raise NotFound(f"call {request_id} has no recording")
        if call.recording_deleted_at:
            deleted = http_date(call.recording_deleted_at)
            raise NotFound(f"recording of call {request_id} was deleted on {deleted} (retention)")
        if request_id in self._tracker.live_requests():
            raise Conflict(f"call {request_id} is still live; its recording is being written")
        path = self._inside(name)
        if path is None:
            raise NotFound(f"recording file of call {request_id} not found")
        return Recording(path, name, content_type(name))

    def _inside(self, name: str) -> Path | None:
        """The regular file ``name`` in the recordings directory, or None."""
        if not _PLAIN_NAME.match(name):
            return None
        directory = self._directory.resolve()
        path = (directory / name).resolve()
        if path.parent != directory or not path.is_file():
            return None
        return path
