-- queue_log ingest (docs/queue-log-and-reports.md). The tailer writes lines, the
-- materialised queue_calls rows and its offset in one transaction, so a crash can
-- neither lose nor repeat a line.

-- Where the tailer is in each followed file: inode + first-line hash identify the file
-- (a rename keeps the inode; a new file or a rewrite changes one of them).
CREATE TABLE queue_log_offsets (
    path            TEXT PRIMARY KEY,
    inode           INTEGER NOT NULL,
    offset          INTEGER NOT NULL,
    first_line_hash INTEGER,
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Every line, once. (file_id, offset) is the idempotency key: file_id is a 64-bit hash
-- of the file's first line, which survives renames, and offset tells identical lines
-- apart (two identical RINGNOANSWER lines in one second are two lines).
CREATE TABLE queue_log (
    id      INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    offset  INTEGER NOT NULL,
    epoch   INTEGER NOT NULL,
    callid  TEXT NOT NULL,
    queue   TEXT NOT NULL,
    agent   TEXT NOT NULL,
    event   TEXT NOT NULL,
    data1   TEXT NOT NULL DEFAULT '',
    data2   TEXT NOT NULL DEFAULT '',
    data3   TEXT NOT NULL DEFAULT '',
    data4   TEXT NOT NULL DEFAULT '',
    data5   TEXT NOT NULL DEFAULT '',
    extra   TEXT NOT NULL DEFAULT '',
    wait    INTEGER,
    talk    INTEGER,
    ring    INTEGER
);
CREATE UNIQUE INDEX queue_log_position ON queue_log (file_id, offset);
CREATE INDEX queue_log_callid ON queue_log (callid);

-- One row per (call, queue): what the reports read. status is pending (DID seen, not
-- queued yet), waiting, answered or unanswered; event is the last lifecycle event.
CREATE TABLE queue_calls (
    callid        TEXT NOT NULL,
    queue         TEXT NOT NULL,
    enter_epoch   INTEGER NOT NULL,
    end_epoch     INTEGER,
    status        TEXT NOT NULL,
    event         TEXT NOT NULL,
    agent         TEXT NOT NULL DEFAULT '',
    callerid      TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL DEFAULT '',
    did           TEXT NOT NULL DEFAULT '',
    position      INTEGER,
    end_position  INTEGER,
    wait          INTEGER NOT NULL DEFAULT 0,
    ring          INTEGER NOT NULL DEFAULT 0,
    talk          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (callid, queue)
) WITHOUT ROWID;
CREATE INDEX queue_calls_status_time ON queue_calls (status, enter_epoch, queue);
CREATE INDEX queue_calls_time ON queue_calls (enter_epoch);

-- Stable ids for the queues and agents entities (Asternic's queue_id / agent_id).
CREATE TABLE queue_names (
    queue_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE
);
CREATE TABLE agent_names (
    agent_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE
);
-- Which queues an agent worked in, so a queue-restricted user sees only those agents.
CREATE TABLE agent_queues (
    agent_id INTEGER NOT NULL REFERENCES agent_names (agent_id),
    queue_id INTEGER NOT NULL REFERENCES queue_names (queue_id),
    PRIMARY KEY (agent_id, queue_id)
) WITHOUT ROWID;
