-- Statistics rollups (docs/counters.md, "Performance"): Ecounters reads a few hundred
-- pre-aggregated rows per day instead of every call, and get_cdr_statistics reads one row
-- per dial status. Everything here is derived from calls / queue_calls / cdr_legs and kept
-- current by triggers, so every write path (CDR ingest, queue_log tailer, campaigns,
-- tests writing rows directly) keeps it exact, inside the writer's own transaction.

-- One row per call: the per-call classification of stats/call_window.py (outcome,
-- transferred, talk, wait, ring) with the call's dimensions. bucket = UTC epoch // 900.
-- campaign_key is '' for no campaign (NULL) and '=' || campaign_id otherwise, so that a
-- NULL campaign can sit in a primary key without meeting a campaign named ''.
-- dial_status is '' while NULL (both read as "any other status").
CREATE VIEW stats_call_source AS
SELECT c.id AS call_id, c.account_id, c.created_at,
    CAST(strftime('%s', c.created_at) AS INTEGER) / 900 AS bucket,
    c.kind,
    CASE WHEN c.campaign_id IS NULL THEN '' ELSE '=' || c.campaign_id END AS campaign_key,
    IFNULL(c.dial_status, '') AS dial_status,
    CASE c.kind WHEN 'inbound' THEN c.dialed_number ELSE '' END AS did,
    c.dtmf_inputs, c.customer_number,
    CASE
        WHEN c.dial_status = 'DND' THEN 'dnd'
        WHEN c.cdr_at IS NULL AND c.state IN ('refused', 'uncertain') THEN 'ghost'
        WHEN c.cdr_at IS NULL THEN 'pending'
        WHEN c.kind = 'inbound' THEN CASE WHEN EXISTS (SELECT 1 FROM queue_calls q
            WHERE q.callid = c.uniqueid AND +q.status = 'answered')
            THEN 'connected' ELSE 'missed' END
        WHEN c.dial_status = 'ANSWER' THEN 'connected'
        ELSE 'missed' END AS outcome,
    (c.kind = 'inbound' AND EXISTS (SELECT 1 FROM queue_calls q WHERE q.callid = c.uniqueid
        AND q.event IN ('ATTENDEDTRANSFER', 'BLINDTRANSFER', 'TRANSFER')))
        OR EXISTS (SELECT 1 FROM cdr_legs l WHERE l.request_id = c.request_id
            AND l.destination_context = 'cpaas-transfer') AS transferred,
    c.cdr_at IS NOT NULL AS has_cdr,
    CASE WHEN c.kind = 'inbound' THEN (SELECT IFNULL(SUM(q.talk), 0) FROM queue_calls q
        WHERE q.callid = c.uniqueid) ELSE IFNULL(c.billsec, 0) END AS talk,
    CASE WHEN c.kind = 'inbound' THEN (SELECT SUM(CASE WHEN q.status != 'pending'
        THEN q.wait END) FROM queue_calls q WHERE q.callid = c.uniqueid) END AS wait,
    CASE WHEN c.cdr_at IS NOT NULL
        THEN MAX(IFNULL(c.call_duration, 0) - IFNULL(c.billsec, 0), 0) END AS ring
FROM calls c;

CREATE TABLE stats_call_facts (
    call_id         INTEGER PRIMARY KEY,
    account_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    bucket          INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    campaign_key    TEXT NOT NULL,
    dial_status     TEXT NOT NULL,
    did             TEXT NOT NULL,
    dtmf_inputs     TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    transferred     INTEGER NOT NULL,
    has_cdr         INTEGER NOT NULL,
    talk            REAL NOT NULL,
    wait            REAL,
    ring            REAL
);
-- The per-number counters (freshCall, repeatCall, the per-number Fields) scan only this
-- index: the window's calls with a customer number, with what they need.
CREATE INDEX stats_call_facts_numbers ON stats_call_facts
    (account_id, created_at, customer_number, outcome, kind, campaign_key)
    WHERE customer_number != '';

-- Sums of stats_call_facts per account, UTC bucket and dimensions, at three spans (15
-- minutes, 1 hour, 1 day; bucket = its start, UTC epoch seconds). Every zone's midnight
-- is on a 15-minute boundary, so a window is a few day, hour and quarter buckets.
CREATE TABLE stats_call_rollup (
    account_id   TEXT NOT NULL,
    span         INTEGER NOT NULL,
    bucket       INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    dial_status  TEXT NOT NULL,
    campaign_key TEXT NOT NULL,
    did          TEXT NOT NULL,
    dtmf_inputs  TEXT NOT NULL,
    transferred  INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    talk         REAL NOT NULL,
    short        INTEGER NOT NULL,
    queued       INTEGER NOT NULL,
    wait         REAL NOT NULL,
    rung         INTEGER NOT NULL,
    ring         REAL NOT NULL,
    PRIMARY KEY (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did,
        dtmf_inputs, transferred)
) WITHOUT ROWID;

-- get_cdr_statistics: calls with a CDR per account, campaign and dial status.
CREATE TABLE stats_cdr_status (
    account_id   TEXT NOT NULL,
    campaign_key TEXT NOT NULL,
    dial_status  TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (account_id, campaign_key, dial_status)
) WITHOUT ROWID;

-- Backfill from what is already stored, then let the triggers keep it current.
INSERT INTO stats_call_facts (call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) SELECT call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source;

INSERT INTO stats_call_rollup
SELECT account_id, span, bucket / (span / 900) * span, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, COUNT(*),
    SUM(CASE WHEN outcome = 'connected' THEN talk ELSE 0 END),
    SUM(outcome = 'connected' AND talk < 5), COUNT(wait), IFNULL(SUM(wait), 0),
    COUNT(ring), IFNULL(SUM(ring), 0)
FROM stats_call_facts, (SELECT 900 AS span UNION ALL SELECT 3600 UNION ALL SELECT 86400)
GROUP BY account_id, span, bucket / (span / 900), kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred;

INSERT INTO stats_cdr_status
SELECT account_id, campaign_key, dial_status, COUNT(*) FROM stats_call_facts WHERE has_cdr
GROUP BY account_id, campaign_key, dial_status;

-- facts -> rollups: subtract what a call counted for, add what it counts for now.
CREATE TRIGGER stats_facts_insert AFTER INSERT ON stats_call_facts BEGIN
    INSERT INTO stats_call_rollup (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring)
    VALUES (NEW.account_id, 900, NEW.bucket / 1 * 900, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0)),
        (NEW.account_id, 3600, NEW.bucket / 4 * 3600, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0)),
        (NEW.account_id, 86400, NEW.bucket / 96 * 86400, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0))
    ON CONFLICT DO UPDATE SET n = n + excluded.n, talk = talk + excluded.talk, short = short + excluded.short, queued = queued + excluded.queued, wait = wait + excluded.wait, rung = rung + excluded.rung, ring = ring + excluded.ring;
    INSERT INTO stats_cdr_status (account_id, campaign_key, dial_status, n)
    SELECT NEW.account_id, NEW.campaign_key, NEW.dial_status, 1 WHERE NEW.has_cdr
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stats_facts_delete AFTER DELETE ON stats_call_facts BEGIN
    INSERT INTO stats_call_rollup (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring)
    VALUES (OLD.account_id, 900, OLD.bucket / 1 * 900, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0)),
        (OLD.account_id, 3600, OLD.bucket / 4 * 3600, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0)),
        (OLD.account_id, 86400, OLD.bucket / 96 * 86400, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0))
    ON CONFLICT DO UPDATE SET n = n + excluded.n, talk = talk + excluded.talk, short = short + excluded.short, queued = queued + excluded.queued, wait = wait + excluded.wait, rung = rung + excluded.rung, ring = ring + excluded.ring;
    INSERT INTO stats_cdr_status (account_id, campaign_key, dial_status, n)
    SELECT OLD.account_id, OLD.campaign_key, OLD.dial_status, -1 WHERE OLD.has_cdr
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER stats_facts_update AFTER UPDATE ON stats_call_facts
WHEN OLD.account_id IS NOT NEW.account_id OR OLD.created_at IS NOT NEW.created_at OR OLD.bucket IS NOT NEW.bucket OR OLD.kind IS NOT NEW.kind OR OLD.campaign_key IS NOT NEW.campaign_key OR OLD.dial_status IS NOT NEW.dial_status OR OLD.did IS NOT NEW.did OR OLD.dtmf_inputs IS NOT NEW.dtmf_inputs OR OLD.customer_number IS NOT NEW.customer_number OR OLD.outcome IS NOT NEW.outcome OR OLD.transferred IS NOT NEW.transferred OR OLD.has_cdr IS NOT NEW.has_cdr OR OLD.talk IS NOT NEW.talk OR OLD.wait IS NOT NEW.wait OR OLD.ring IS NOT NEW.ring BEGIN
    INSERT INTO stats_call_rollup (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring)
    VALUES (OLD.account_id, 900, OLD.bucket / 1 * 900, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0)),
        (OLD.account_id, 3600, OLD.bucket / 4 * 3600, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0)),
        (OLD.account_id, 86400, OLD.bucket / 96 * 86400, OLD.kind, OLD.outcome, OLD.dial_status, OLD.campaign_key, OLD.did, OLD.dtmf_inputs, OLD.transferred, -1, -CASE WHEN OLD.outcome = 'connected' THEN OLD.talk ELSE 0 END, -(OLD.outcome = 'connected' AND OLD.talk < 5), -(OLD.wait IS NOT NULL), -IFNULL(OLD.wait, 0), -(OLD.ring IS NOT NULL), -IFNULL(OLD.ring, 0))
    ON CONFLICT DO UPDATE SET n = n + excluded.n, talk = talk + excluded.talk, short = short + excluded.short, queued = queued + excluded.queued, wait = wait + excluded.wait, rung = rung + excluded.rung, ring = ring + excluded.ring;
    INSERT INTO stats_cdr_status (account_id, campaign_key, dial_status, n)
    SELECT OLD.account_id, OLD.campaign_key, OLD.dial_status, -1 WHERE OLD.has_cdr
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
    INSERT INTO stats_call_rollup (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring)
    VALUES (NEW.account_id, 900, NEW.bucket / 1 * 900, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0)),
        (NEW.account_id, 3600, NEW.bucket / 4 * 3600, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0)),
        (NEW.account_id, 86400, NEW.bucket / 96 * 86400, NEW.kind, NEW.outcome, NEW.dial_status, NEW.campaign_key, NEW.did, NEW.dtmf_inputs, NEW.transferred, 1, CASE WHEN NEW.outcome = 'connected' THEN NEW.talk ELSE 0 END, (NEW.outcome = 'connected' AND NEW.talk < 5), (NEW.wait IS NOT NULL), IFNULL(NEW.wait, 0), (NEW.ring IS NOT NULL), IFNULL(NEW.ring, 0))
    ON CONFLICT DO UPDATE SET n = n + excluded.n, talk = talk + excluded.talk, short = short + excluded.short, queued = queued + excluded.queued, wait = wait + excluded.wait, rung = rung + excluded.rung, ring = ring + excluded.ring;
    INSERT INTO stats_cdr_status (account_id, campaign_key, dial_status, n)
    SELECT NEW.account_id, NEW.campaign_key, NEW.dial_status, 1 WHERE NEW.has_cdr
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

-- Keep the rollups compact: a bucket row nothing counts for any more goes away.
CREATE TRIGGER stats_rollup_empty AFTER UPDATE OF n ON stats_call_rollup WHEN NEW.n = 0 BEGIN
    DELETE FROM stats_call_rollup WHERE account_id = NEW.account_id AND span = NEW.span
        AND bucket = NEW.bucket AND kind = NEW.kind AND outcome = NEW.outcome
        AND dial_status = NEW.dial_status AND campaign_key = NEW.campaign_key
        AND did = NEW.did AND dtmf_inputs = NEW.dtmf_inputs AND transferred = NEW.transferred;
END;

CREATE TRIGGER stats_status_empty AFTER UPDATE OF n ON stats_cdr_status WHEN NEW.n = 0 BEGIN
    DELETE FROM stats_cdr_status WHERE account_id = NEW.account_id
        AND campaign_key = NEW.campaign_key AND dial_status = NEW.dial_status;
END;

-- sources -> facts.
CREATE TRIGGER stats_calls_insert AFTER INSERT ON calls BEGIN
    INSERT INTO stats_call_facts (call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring)
    SELECT call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source WHERE call_id = NEW.id;
END;

CREATE TRIGGER stats_calls_update AFTER UPDATE OF account_id, created_at, kind, campaign_id, dial_status, dialed_number, dtmf_inputs, customer_number, state, cdr_at, billsec, call_duration, uniqueid, request_id ON calls
WHEN OLD.account_id IS NOT NEW.account_id OR OLD.created_at IS NOT NEW.created_at OR OLD.kind IS NOT NEW.kind OR OLD.campaign_id IS NOT NEW.campaign_id OR OLD.dial_status IS NOT NEW.dial_status OR OLD.dialed_number IS NOT NEW.dialed_number OR OLD.dtmf_inputs IS NOT NEW.dtmf_inputs OR OLD.customer_number IS NOT NEW.customer_number OR OLD.state IS NOT NEW.state OR OLD.cdr_at IS NOT NEW.cdr_at OR OLD.billsec IS NOT NEW.billsec OR OLD.call_duration IS NOT NEW.call_duration OR OLD.uniqueid IS NOT NEW.uniqueid OR OLD.request_id IS NOT NEW.request_id BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id = NEW.id;
END;

CREATE TRIGGER stats_calls_delete AFTER DELETE ON calls BEGIN
    DELETE FROM stats_call_facts WHERE call_id = OLD.id;
END;

-- An inbound call's outcome, talk, wait and transfer come from its queue_calls rows
-- (callid = calls.uniqueid); this index finds the call from a queue_calls write.
CREATE INDEX stats_calls_inbound_uniqueid ON calls (uniqueid) WHERE kind = 'inbound';

CREATE TRIGGER stats_queue_calls_insert AFTER INSERT ON queue_calls BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls WHERE kind = 'inbound'
        AND uniqueid = NEW.callid);
END;

CREATE TRIGGER stats_queue_calls_update AFTER UPDATE OF callid, status, event, wait, talk
ON queue_calls WHEN OLD.callid IS NOT NEW.callid OR OLD.status IS NOT NEW.status
    OR OLD.event IS NOT NEW.event OR OLD.wait IS NOT NEW.wait OR OLD.talk IS NOT NEW.talk
BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls WHERE kind = 'inbound'
        AND uniqueid IN (OLD.callid, NEW.callid));
END;

CREATE TRIGGER stats_queue_calls_delete AFTER DELETE ON queue_calls BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls WHERE kind = 'inbound'
        AND uniqueid = OLD.callid);
END;

-- A leg in the transfer context marks its call transferred (TRSC).
CREATE TRIGGER stats_cdr_legs_insert AFTER INSERT ON cdr_legs
WHEN NEW.destination_context = 'cpaas-transfer' BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls WHERE request_id = NEW.request_id);
END;

CREATE TRIGGER stats_cdr_legs_update AFTER UPDATE OF request_id, destination_context ON cdr_legs
WHEN 'cpaas-transfer' IN (OLD.destination_context, NEW.destination_context) BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls
        WHERE request_id IN (OLD.request_id, NEW.request_id));
END;

CREATE TRIGGER stats_cdr_legs_delete AFTER DELETE ON cdr_legs
WHEN OLD.destination_context = 'cpaas-transfer' BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id IN (SELECT id FROM calls WHERE request_id = OLD.request_id);
END;
