-- One row per call request (click2call, OTP, callback, campaign attempt, inbound call).
-- It is written BEFORE the Originate is sent, and becomes the seed's CDR record once the
-- PBX's per-leg CDRs (cdr_legs) arrive and are summarised into it.
CREATE TABLE calls (
    id                  INTEGER PRIMARY KEY,
    request_id          TEXT NOT NULL UNIQUE,
    account_id          TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('c2c','otp','callback','campaign','inbound')),
    direction           TEXT NOT NULL,
    agent_number        TEXT NOT NULL DEFAULT '',
    customer_number     TEXT NOT NULL DEFAULT '',
    dialed_number       TEXT NOT NULL DEFAULT '',
    caller_id           TEXT NOT NULL DEFAULT '',
    channel_id          TEXT,
    destination_context TEXT NOT NULL DEFAULT '',
    recording_name      TEXT NOT NULL DEFAULT '',
    campaign_id         TEXT,
    list_id             TEXT,
    contact_id          INTEGER,
    is_dnd              INTEGER NOT NULL DEFAULT 0,
    dtmf_inputs         TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    call_date           TEXT,
    answer              TEXT,
    end_time            TEXT,
    call_duration       REAL,
    billsec             REAL,
    dial_status         TEXT,
    call_status         TEXT,
    uniqueid            TEXT,
    cdr_at              TEXT
);
CREATE INDEX calls_account_date ON calls (account_id, call_date);
CREATE INDEX calls_account_status ON calls (account_id, dial_status);
CREATE INDEX calls_campaign ON calls (campaign_id, dial_status);

-- Every Cdr event exactly as Asterisk sent it (one per leg). leg_key is a digest of the
-- fields, so a replay (or the same row from Master.csv) is stored once.
CREATE TABLE cdr_legs (
    id                  INTEGER PRIMARY KEY,
    leg_key             TEXT NOT NULL UNIQUE,
    request_id          TEXT,
    account_code        TEXT NOT NULL,
    source              TEXT NOT NULL,
    destination         TEXT NOT NULL,
    destination_context TEXT NOT NULL,
    caller_id           TEXT NOT NULL,
    channel             TEXT NOT NULL,
    destination_channel TEXT NOT NULL,
    last_application    TEXT NOT NULL,
    last_data           TEXT NOT NULL,
    start_time          TEXT,
    answer_time         TEXT,
    end_time            TEXT,
    duration            INTEGER NOT NULL,
    billsec             INTEGER NOT NULL,
    disposition         TEXT NOT NULL,
    uniqueid            TEXT NOT NULL,
    userfield           TEXT NOT NULL,
    received_at         TEXT NOT NULL
);
CREATE INDEX cdr_legs_request ON cdr_legs (request_id);
