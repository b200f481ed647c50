-- One row per call placed with transcript "on": the transcription job and its result.
-- waiting: the call is not over (no CDR yet); queued: ready for the worker; running: in
-- an engine process (re-queued at start-up: a restart interrupted it); done | failed |
-- none: final (none = nothing to transcribe, e.g. the call was not recorded). The
-- account is the call's (calls.account_id), so column names here never clash with calls.
CREATE TABLE transcripts (
    request_id    TEXT PRIMARY KEY,
    status        TEXT NOT NULL
                  CHECK (status IN ('waiting','queued','running','done','failed','none')),
    engine        TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    audio_seconds REAL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    requested_at  TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX transcripts_open ON transcripts (status, updated_at)
    WHERE status IN ('waiting', 'queued', 'running');
