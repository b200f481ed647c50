-- Scheduled callbacks (seed 003 "Callback Request"). This table is the truth; the
-- in-memory scheduler is rebuilt from it at start-up. request_id is also the request_id
-- of the call placed for it (calls.request_id), so its CDR is found the usual way.
--
-- state: scheduled -> dialing -> completed | failed; scheduled -> cancelled | missed.
-- The scheduled -> dialing claim is a conditional UPDATE, so a callback is dialled once.
CREATE TABLE callbacks (
    id                  INTEGER PRIMARY KEY,
    request_id          TEXT NOT NULL UNIQUE,
    account_id          TEXT NOT NULL,
    agent_number        TEXT NOT NULL,
    caller_id           TEXT NOT NULL,
    destination_number  TEXT NOT NULL,
    recording_option    TEXT NOT NULL CHECK (recording_option IN ('on','off')),
    time_zone           TEXT NOT NULL,
    scheduled_at        TEXT NOT NULL,  -- wall clock in time_zone, as the client sent it
    due_at              TEXT NOT NULL,  -- the same instant in UTC ISO-8601 (sorts as text)
    state               TEXT NOT NULL DEFAULT 'scheduled'
                        CHECK (state IN ('scheduled','dialing','completed','failed',
                                         'cancelled','missed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    dial_status         TEXT,
    reason              TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX callbacks_state_due ON callbacks (state, due_at);
