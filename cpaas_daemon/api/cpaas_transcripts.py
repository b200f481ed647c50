"""Seed 003 dialect: ``GET /api/transcript?request_id=...``, a call's transcript.

The seed only says that ``transcript: "on"`` generates a transcription; this is where a
CRM reads it (also on the call's CDR). Another account's request_id is the same 404 as
an unknown one.
"""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api.cpaas_base import AccountAuth, ok
from cpaas_daemon.calls import dialstring
from cpaas_daemon.cdr.queries import transcript_fields
from cpaas_daemon.errors import NotFound
from cpaas_daemon.transcripts.service import TranscriptService

NOT_REQUESTED = "the call was placed with transcript off"


class TranscriptsApi:
    """The transcript endpoint, over the transcript service."""

    def __init__(self, auth: AccountAuth, transcripts: TranscriptService) -> None:
        self._auth = auth
        self._transcripts = transcripts

    async def get_transcript(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        request_id = dialstring.request_id(request.query.get("request_id"))
        transcript = await self._transcripts.of_call(account, request_id)
        if transcript is None:
            raise NotFound("call not found")
        fields = transcript_fields(transcript.state, transcript.text)
        return ok(
            message="transcript found",
            result={
                "request_id": request_id,
                "status": fields["transcript_status"],
                "transcript": fields["transcript"],
                "engine": transcript.engine,
                "reason": NOT_REQUESTED if transcript.state is None else transcript.reason,
            },
        )
