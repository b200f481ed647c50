-- Campaign manager (seed 003) and its dialer (docs/campaigns.md). Every lookup filters by
-- account_id, so another account's list, DND list or campaign is simply "not found".

CREATE TABLE campaign_lists (
    list_id     TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    list_name   TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (account_id, list_name)
);

-- A number appears once per list (a second import of it is skipped, not dialled twice).
-- batch_id names the import call that added the contact (iSales batchId).
CREATE TABLE campaign_contacts (
    contact_id      INTEGER PRIMARY KEY,
    list_id         TEXT NOT NULL REFERENCES campaign_lists (list_id) ON DELETE CASCADE,
    contact_name    TEXT NOT NULL DEFAULT '',
    contact_number  TEXT NOT NULL,
    contact_fields  TEXT NOT NULL DEFAULT '{}',
    batch_id        TEXT NOT NULL,
    UNIQUE (list_id, contact_number)
);

CREATE TABLE dnd_lists (
    dnd_list_id    TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    dnd_list_name  TEXT NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (account_id, dnd_list_name)
);

CREATE TABLE dnd_contacts (
    dnd_list_id         TEXT NOT NULL REFERENCES dnd_lists (dnd_list_id) ON DELETE CASCADE,
    dnd_contact_number  TEXT NOT NULL,
    dnd_contact_name    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (dnd_list_id, dnd_contact_number)
) WITHOUT ROWID;

-- status is what the dialer last decided: scheduled, running, completed or stopped.
CREATE TABLE campaigns (
    campaign_id           TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    campaign_name         TEXT NOT NULL,
    list_id               TEXT NOT NULL REFERENCES campaign_lists (list_id),
    dnd_list_id           TEXT REFERENCES dnd_lists (dnd_list_id),
    campaign_type         INTEGER NOT NULL CHECK (campaign_type IN (0, 1)),
    caller_id             TEXT NOT NULL,
    dynamic_announcement  INTEGER NOT NULL CHECK (dynamic_announcement IN (0, 1)),
    recorded_filename     TEXT NOT NULL DEFAULT '',
    announcement_text     TEXT NOT NULL DEFAULT '',
    tts_options           TEXT NOT NULL DEFAULT '{}',
    repeat_count          INTEGER NOT NULL,
    max_retries           INTEGER NOT NULL,
    retry_time            INTEGER NOT NULL,
    retry_on_statuses     TEXT NOT NULL,
    calls_per_minute      INTEGER NOT NULL,
    max_concurrent_calls  INTEGER NOT NULL,
    time_zone             TEXT NOT NULL,
    start_at              TEXT NOT NULL,
    end_at                TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('scheduled','running','completed','stopped')),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at           TEXT,
    UNIQUE (account_id, campaign_name)
);
CREATE INDEX campaigns_status ON campaigns (status);

-- One row per contact of a campaign, copied from the list at create_campaign.
-- state: pending (not dialled yet, or waiting for a retry at next_at), dialing (an
-- attempt is out; its outcome is not known yet) or done (outcome is final).
CREATE TABLE campaign_targets (
    campaign_id    TEXT NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    contact_id     INTEGER NOT NULL REFERENCES campaign_contacts (contact_id),
    state          TEXT NOT NULL CHECK (state IN ('pending','dialing','done')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        TEXT,
    last_status    TEXT,
    answered       INTEGER NOT NULL DEFAULT 0,
    last_dialed_at TEXT,
    finished_at    TEXT,
    PRIMARY KEY (campaign_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX campaign_targets_due ON campaign_targets (campaign_id, state, next_at);

-- One row per attempt, written in the same transaction that moves its target to
-- 'dialing' and BEFORE the calls row and the Originate: after a crash, an attempt with
-- no calls row was never sent; one with a calls row is reconciled from its CDR.
CREATE TABLE campaign_attempts (
    request_id   TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
    contact_id   INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    outcome      TEXT,
    finished_at  TEXT
);
CREATE INDEX campaign_attempts_open ON campaign_attempts (campaign_id, outcome);
