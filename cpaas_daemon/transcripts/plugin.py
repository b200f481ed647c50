"""The transcripts domain: a click-to-call placed with ``transcript: on`` is transcribed
once its CDR summary says it was answered. Started after the CDR ingest: it resumes its
queue."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.transcripts.repository import TranscriptRepository
from cpaas_daemon.transcripts.service import TranscriptService


@dataclass(frozen=True)
class TranscriptsPlugin:
    service: TranscriptService
    contexts: tuple[Context, ...]


def build(core: Core, cdr: CdrPlugin) -> TranscriptsPlugin:
    config = core.config
    service = TranscriptService(
        TranscriptRepository(core.db), config.transcripts, config.dial.recordings_dir, core.metrics
    )
    cdr.ingest.on_summary(service.on_cdr_summary, CallKind.C2C)
    return TranscriptsPlugin(service=service, contexts=(running(service),))
