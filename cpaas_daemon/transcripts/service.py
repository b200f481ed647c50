"""The transcription worker: calls placed with transcript on, transcribed when they end.

Life of a job (``transcripts`` table, :mod:`.repository`): the API writes ``waiting``
before the Originate; the CDR summary of the call (:meth:`CdrIngest.on_summary`) makes
it ``queued``; a dispatcher claims queued jobs while fewer than
``transcripts.max_concurrent`` run, each in its own process (:mod:`.runner`) with a
timeout; the result is ``done`` (with the text), ``failed`` (with the reason) or
``none`` (nothing was recorded). The queue lives in SQLite, so a restart resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog

from cpaas_daemon.calls.placement import Uncertain
from cpaas_daemon.config import TranscriptsConfig
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.transcripts.repository import CallTranscript, Job, JobState, TranscriptRepository

log = structlog.get_logger(__name__)

KILL_GRACE = 2.0


class TranscriptService:
    def __init__(
        self,
        repository: TranscriptRepository,
        config: TranscriptsConfig,
        recordings_dir: Path,
        metrics: Metrics,
    ) -> None:
        self._repo = repository
        self._metrics = metrics
        self._config = config
        self._recordings = recordings_dir
        self._waiting: set[str] = set()  # request_ids whose call has not ended
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(config.max_concurrent)
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def expecting(self, request_id: str, enabled: bool) -> AsyncIterator[None]:
        """Around placing a call: with transcript on, the job is written first (its CDR
        can arrive before the Originate's reply). A call that was certainly not placed
        gets ``none``; an uncertain one (the PBX link dropped) keeps waiting for a CDR."""
        if not enabled:
            yield
            return
        await self._repo.expect(request_id)
        if self._config.engine == "none":
            reason = "transcription is off on this server (transcripts.engine = none)"
            await self._repo.finish(request_id, JobState.NONE, reason=reason)
            yield
            return
        self._waiting.add(request_id)
        try:
            yield
        except Exception as exc:
            if not isinstance(exc, Uncertain):
                self._waiting.discard(request_id)
                await self._repo.not_placed(request_id)
            raise

    async def of_call(self, account_id: str, request_id: str) -> CallTranscript | None:
        """The account's call's transcript (None: no such call here)."""
        return await self._repo.of_call(account_id, request_id)

    def on_cdr_summary(self, request_id: str, _dial_status: str) -> None:
        """CDR ingest listener (no I/O here): the call is over, its recording closed."""
        if request_id in self._waiting:
            self._waiting.discard(request_id)
            task = asyncio.get_running_loop().create_task(self._queue(request_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _queue(self, request_id: str) -> None:
        try:
            if await self._repo.queue(request_id):
                self._wake.set()
        except Exception:  # the store is down: recover() queues it at the next start
            log.exception("transcript.queue_failed", request_id=request_id)

    async def start(self) -> None:
        await self._repo.recover()
        self._waiting = await self._repo.waiting()
        if self._config.engine != "none":
            self._dispatcher = asyncio.create_task(self._dispatch(), name="transcripts")

    async def stop(self) -> None:
        """Running jobs are killed and stay ``running``: the next start re-queues them."""
        tasks = [*self._tasks, *([self._dispatcher] if self._dispatcher else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._dispatcher = None

    async def _dispatch(self) -> None:
        while True:
            await self._slots.acquire()
            self._wake.clear()
            try:
                job = await self._repo.claim(self._config.engine)
            except Exception:
                self._slots.release()
                log.exception("transcript.claim_failed")
                await asyncio.sleep(1.0)
                continue
            if job is None:
                self._slots.release()
                await self._wake.wait()
                continue
            task = asyncio.create_task(self._run(job), name=f"transcript-{job.request_id}")
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _run(self, job: Job) -> None:
        bound = log.bind(request_id=job.request_id, engine=self._config.engine)
        try:
            state, text, reason, seconds = await self._transcribe(job)
        except Exception as exc:  # a bug here must end the job, not leave it running
            bound.exception("transcript.crashed")
            state, text, reason, seconds = JobState.FAILED, "", f"internal error: {exc}", None
        try:
            await self._repo.finish(
                job.request_id, state, text=text, reason=reason, audio_seconds=seconds
            )
        except Exception:  # stays running: re-queued at the next start
            bound.exception("transcript.store_failed")
            return
        self._metrics.transcripts.labels(state.value).inc()
        bound.info("transcript.finished", status=state.value, reason=reason, audio_s=seconds)

    async def _transcribe(self, job: Job) -> tuple[JobState, str, str, float | None]:
        """(state, text, reason, audio seconds); never raises for a bad job."""
        if not job.recording_name:
            return JobState.NONE, "", "the call was not recorded", None
        path = self._recordings / job.recording_name
        if not path.is_file():
            if job.dial_status != "ANSWER":
                return JobState.NONE, "", "the call was not answered: nothing was recorded", None
            return JobState.FAILED, "", f"recording {job.recording_name} not found", None
        argv = [sys.executable, "-m", "cpaas_daemon.transcripts.runner"]
        argv += ["--engine", self._config.engine]
        if self._config.model_dir is not None:
            argv += ["--model-dir", str(self._config.model_dir)]
        try:
            code, out = await self._subprocess([*argv, str(path)])
        except TimeoutError:
            return JobState.FAILED, "", f"timed out after {self._config.timeout:g} s", None
        except OSError as exc:
            return JobState.FAILED, "", f"could not start the engine: {exc}", None
        try:
            result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        except ValueError:
            result = {}
        if not isinstance(result, dict):
            result = {}
        if code == 0 and isinstance(result.get("text"), str):
            return JobState.DONE, result["text"], "", result.get("audio_seconds")
        reason = result.get("error") or f"the engine process exited with status {code}"
        return JobState.FAILED, "", str(reason), None

    async def _subprocess(self, argv: list[str]) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(self._config.timeout):
                out, _ = await proc.communicate()
        except BaseException:  # timeout or shutdown: never leave the decoder running
            if proc.returncode is None:
                proc.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), KILL_GRACE)
            raise
        return proc.returncode if proc.returncode is not None else -1, out.decode(
            "utf-8", "replace"
        )
