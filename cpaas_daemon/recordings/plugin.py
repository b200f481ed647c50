"""The recordings domain: finding a call's file for its account, and the retention
sweep. Started after AMI: a live call's file is kept."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.recordings.files import RecordingFiles
from cpaas_daemon.recordings.retention import RecordingRetention


@dataclass(frozen=True)
class RecordingsPlugin:
    files: RecordingFiles
    retention: RecordingRetention
    contexts: tuple[Context, ...]


def build(core: Core, calls: CallsPlugin) -> RecordingsPlugin:
    dial = core.config.dial
    retention = RecordingRetention(core.db, core.tracker, dial)
    return RecordingsPlugin(
        files=RecordingFiles(calls.repository, core.tracker, dial.recordings_dir),
        retention=retention,
        contexts=(running(retention),),
    )
