"""The app_queue ``queue_log`` file: ``epoch|callid|queue|agent|EVENT|data…``.

``logger rotate`` renames the file with sequential suffixes (``queue_log.0``, then ``.1``…, the
newest rotated file has the highest number), reopens it and app_queue writes CONFIGRELOAD.
"""

from __future__ import annotations

import time
from pathlib import Path


class QueueLog:
    """Appends queue_log lines; does nothing without a path."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, callid: str, queue: str, agent: str, event: str, *data: str) -> None:
        """One line; events without data keep the trailing ``|`` like Asterisk."""
        if self.path is None:
            return
        fields = [str(int(time.time())), callid, queue, agent, event, *(data or ("",))]
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("|".join(fields) + "\n")

    def rotate(self) -> None:
        """Rename to the next free ``.N`` suffix and start the new file with CONFIGRELOAD."""
        if self.path is None:
            return
        if self.path.exists():
            index = 0
            while self.path.with_name(f"{self.path.name}.{index}").exists():
                index += 1
            self.path.rename(self.path.with_name(f"{self.path.name}.{index}"))
        self.write("NONE", "NONE", "NONE", "CONFIGRELOAD")
