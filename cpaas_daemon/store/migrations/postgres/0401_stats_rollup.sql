-- PostgreSQL: the same rollups as ../0401_stats_rollup.sql (read it for what each holds),
-- kept by the same triggers. What differs is spelling: PL/pgSQL trigger functions (one
-- function adds or removes a fact's share of every rollup), booleans cast to the 0/1 the
-- columns hold, COALESCE/GREATEST for IFNULL and scalar MAX, and the epoch of an ISO text
-- time by EXTRACT. A rollup row nothing counts for any more is deleted by the function
-- that zeroed it (SQLite does it in an AFTER UPDATE OF n trigger).

CREATE VIEW stats_call_source AS
SELECT c.id AS call_id, c.account_id, c.created_at,
    FLOOR(EXTRACT(EPOCH FROM c.created_at::timestamptz))::BIGINT / 900 AS bucket,
    c.kind,
    CASE WHEN c.campaign_id IS NULL THEN '' ELSE '=' || c.campaign_id END AS campaign_key,
    COALESCE(c.dial_status, '') AS dial_status,
    CASE c.kind WHEN 'inbound' THEN c.dialed_number ELSE '' END AS did,
    c.dtmf_inputs, c.customer_number,
    CASE
        WHEN c.dial_status = 'DND' THEN 'dnd'
        WHEN c.cdr_at IS NULL AND c.state IN ('refused', 'uncertain') THEN 'ghost'
        WHEN c.cdr_at IS NULL THEN 'pending'
        WHEN c.kind = 'inbound' THEN CASE WHEN EXISTS (SELECT 1 FROM queue_calls q
            WHERE q.callid = c.uniqueid AND q.status = 'answered')
            THEN 'connected' ELSE 'missed' END
        WHEN c.dial_status = 'ANSWER' THEN 'connected'
        ELSE 'missed' END AS outcome,
    ((c.kind = 'inbound' AND EXISTS (SELECT 1 FROM queue_calls q WHERE q.callid = c.uniqueid
        AND q.event IN ('ATTENDEDTRANSFER', 'BLINDTRANSFER', 'TRANSFER')))
        OR EXISTS (SELECT 1 FROM cdr_legs l WHERE l.request_id = c.request_id
            AND l.destination_context = 'cpaas-transfer'))::INT AS transferred,
    (c.cdr_at IS NOT NULL)::INT AS has_cdr,
    CASE WHEN c.kind = 'inbound' THEN (SELECT COALESCE(SUM(q.talk), 0) FROM queue_calls q
        WHERE q.callid = c.uniqueid) ELSE COALESCE(c.billsec, 0) END AS talk,
    CASE WHEN c.kind = 'inbound' THEN (SELECT SUM(CASE WHEN q.status != 'pending'
        THEN q.wait END) FROM queue_calls q WHERE q.callid = c.uniqueid) END AS wait,
    CASE WHEN c.cdr_at IS NOT NULL
        THEN GREATEST(COALESCE(c.call_duration, 0) - COALESCE(c.billsec, 0), 0) END AS ring
FROM calls c;

CREATE TABLE stats_call_facts (
    call_id         BIGINT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    bucket          BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    campaign_key    TEXT NOT NULL,
    dial_status     TEXT NOT NULL,
    did             TEXT NOT NULL,
    dtmf_inputs     TEXT NOT NULL,
    customer_number TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    transferred     BIGINT NOT NULL,
    has_cdr         BIGINT NOT NULL,
    talk            DOUBLE PRECISION NOT NULL,
    wait            DOUBLE PRECISION,
    ring            DOUBLE PRECISION
);
CREATE INDEX stats_call_facts_numbers ON stats_call_facts
    (account_id, created_at, customer_number, outcome, kind, campaign_key)
    WHERE customer_number != '';

CREATE TABLE stats_call_rollup (
    account_id   TEXT NOT NULL,
    span         BIGINT NOT NULL,
    bucket       BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    dial_status  TEXT NOT NULL,
    campaign_key TEXT NOT NULL,
    did          TEXT NOT NULL,
    dtmf_inputs  TEXT NOT NULL,
    transferred  BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    talk         DOUBLE PRECISION NOT NULL,
    short        BIGINT NOT NULL,
    queued       BIGINT NOT NULL,
    wait         DOUBLE PRECISION NOT NULL,
    rung         BIGINT NOT NULL,
    ring         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did,
        dtmf_inputs, transferred)
);

CREATE TABLE stats_cdr_status (
    account_id   TEXT NOT NULL,
    campaign_key TEXT NOT NULL,
    dial_status  TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (account_id, campaign_key, dial_status)
);

INSERT INTO stats_call_facts (call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) SELECT call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source;

INSERT INTO stats_call_rollup
SELECT account_id, span, bucket / (span / 900) * span, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, COUNT(*),
    SUM(CASE WHEN outcome = 'connected' THEN talk ELSE 0 END),
    SUM((outcome = 'connected' AND talk < 5)::INT), COUNT(wait), COALESCE(SUM(wait), 0),
    COUNT(ring), COALESCE(SUM(ring), 0)
FROM stats_call_facts, (VALUES (900), (3600), (86400)) AS spans (span)
GROUP BY account_id, span, bucket / (span / 900), kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred;

INSERT INTO stats_cdr_status
SELECT account_id, campaign_key, dial_status, COUNT(*) FROM stats_call_facts WHERE has_cdr = 1
GROUP BY account_id, campaign_key, dial_status;

-- facts -> rollups: a fact's share of each span (sign 1 adds it, -1 takes it away).
CREATE FUNCTION stats_rollup_add(f stats_call_facts, sign INT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_call_rollup AS r (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring)
    SELECT f.account_id, s.span, f.bucket / (s.span / 900) * s.span, f.kind, f.outcome, f.dial_status, f.campaign_key, f.did, f.dtmf_inputs, f.transferred, sign,
        sign * CASE WHEN f.outcome = 'connected' THEN f.talk ELSE 0 END,
        sign * (f.outcome = 'connected' AND f.talk < 5)::INT, sign * (f.wait IS NOT NULL)::INT,
        sign * COALESCE(f.wait, 0), sign * (f.ring IS NOT NULL)::INT, sign * COALESCE(f.ring, 0)
    FROM (VALUES (900), (3600), (86400)) AS s (span)
    ON CONFLICT (account_id, span, bucket, kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred)
    DO UPDATE SET n = r.n + excluded.n, talk = r.talk + excluded.talk, short = r.short + excluded.short, queued = r.queued + excluded.queued, wait = r.wait + excluded.wait, rung = r.rung + excluded.rung, ring = r.ring + excluded.ring;
    DELETE FROM stats_call_rollup WHERE n = 0 AND account_id = f.account_id
        AND span IN (900, 3600, 86400) AND bucket IN (f.bucket * 900, f.bucket / 4 * 3600, f.bucket / 96 * 86400)
        AND kind = f.kind AND outcome = f.outcome AND dial_status = f.dial_status
        AND campaign_key = f.campaign_key AND did = f.did AND dtmf_inputs = f.dtmf_inputs
        AND transferred = f.transferred;
    IF f.has_cdr = 1 THEN
        INSERT INTO stats_cdr_status AS r (account_id, campaign_key, dial_status, n)
        VALUES (f.account_id, f.campaign_key, f.dial_status, sign)
        ON CONFLICT (account_id, campaign_key, dial_status) DO UPDATE SET n = r.n + excluded.n;
        DELETE FROM stats_cdr_status WHERE n = 0 AND account_id = f.account_id
            AND campaign_key = f.campaign_key AND dial_status = f.dial_status;
    END IF;
END $$;

CREATE FUNCTION stats_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM stats_rollup_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM stats_rollup_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stats_facts_insert AFTER INSERT ON stats_call_facts
FOR EACH ROW EXECUTE FUNCTION stats_facts_changed();
CREATE TRIGGER stats_facts_delete AFTER DELETE ON stats_call_facts
FOR EACH ROW EXECUTE FUNCTION stats_facts_changed();
CREATE TRIGGER stats_facts_update AFTER UPDATE ON stats_call_facts
FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION stats_facts_changed();

-- sources -> facts: the facts of these calls, read again from stats_call_source.
CREATE FUNCTION stats_facts_refresh(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id = ANY (ids);
$$;

CREATE FUNCTION stats_calls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_call_facts (call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring)
        SELECT call_id, account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source WHERE call_id = NEW.id;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_facts_refresh(ARRAY[NEW.id]);
    ELSE
        DELETE FROM stats_call_facts WHERE call_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stats_calls_insert AFTER INSERT ON calls
FOR EACH ROW EXECUTE FUNCTION stats_calls_changed();
CREATE TRIGGER stats_calls_update AFTER UPDATE OF account_id, created_at, kind, campaign_id, dial_status, dialed_number, dtmf_inputs, customer_number, state, cdr_at, billsec, call_duration, uniqueid, request_id ON calls
FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.dial_status IS DISTINCT FROM NEW.dial_status OR OLD.dialed_number IS DISTINCT FROM NEW.dialed_number OR OLD.dtmf_inputs IS DISTINCT FROM NEW.dtmf_inputs OR OLD.customer_number IS DISTINCT FROM NEW.customer_number OR OLD.state IS DISTINCT FROM NEW.state OR OLD.cdr_at IS DISTINCT FROM NEW.cdr_at OR OLD.billsec IS DISTINCT FROM NEW.billsec OR OLD.call_duration IS DISTINCT FROM NEW.call_duration OR OLD.uniqueid IS DISTINCT FROM NEW.uniqueid OR OLD.request_id IS DISTINCT FROM NEW.request_id)
EXECUTE FUNCTION stats_calls_changed();
CREATE TRIGGER stats_calls_delete AFTER DELETE ON calls
FOR EACH ROW EXECUTE FUNCTION stats_calls_changed();

CREATE INDEX stats_calls_inbound_uniqueid ON calls (uniqueid) WHERE kind = 'inbound';

-- An inbound call's outcome, talk, wait and transfer come from its queue_calls rows.
CREATE FUNCTION stats_queue_calls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    callids TEXT[];
BEGIN
    callids := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.callid]
        WHEN 'DELETE' THEN ARRAY[OLD.callid] ELSE ARRAY[OLD.callid, NEW.callid] END;
    PERFORM stats_facts_refresh(ARRAY(SELECT id FROM calls WHERE kind = 'inbound'
        AND uniqueid = ANY (callids)));
    RETURN NULL;
END $$;

CREATE TRIGGER stats_queue_calls_insert AFTER INSERT ON queue_calls
FOR EACH ROW EXECUTE FUNCTION stats_queue_calls_changed();
CREATE TRIGGER stats_queue_calls_update AFTER UPDATE OF callid, status, event, wait, talk
ON queue_calls FOR EACH ROW WHEN (OLD.callid IS DISTINCT FROM NEW.callid
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.event IS DISTINCT FROM NEW.event
    OR OLD.wait IS DISTINCT FROM NEW.wait OR OLD.talk IS DISTINCT FROM NEW.talk)
EXECUTE FUNCTION stats_queue_calls_changed();
CREATE TRIGGER stats_queue_calls_delete AFTER DELETE ON queue_calls
FOR EACH ROW EXECUTE FUNCTION stats_queue_calls_changed();

-- A leg in the transfer context marks its call transferred (TRSC).
CREATE FUNCTION stats_cdr_legs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    request_ids TEXT[];
BEGIN
    request_ids := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.request_id]
        WHEN 'DELETE' THEN ARRAY[OLD.request_id] ELSE ARRAY[OLD.request_id, NEW.request_id] END;
    PERFORM stats_facts_refresh(ARRAY(SELECT id FROM calls
        WHERE request_id = ANY (request_ids)));
    RETURN NULL;
END $$;

CREATE TRIGGER stats_cdr_legs_insert AFTER INSERT ON cdr_legs
FOR EACH ROW WHEN (NEW.destination_context = 'cpaas-transfer')
EXECUTE FUNCTION stats_cdr_legs_changed();
CREATE TRIGGER stats_cdr_legs_update AFTER UPDATE OF request_id, destination_context ON cdr_legs
FOR EACH ROW WHEN ('cpaas-transfer' IN (OLD.destination_context, NEW.destination_context))
EXECUTE FUNCTION stats_cdr_legs_changed();
CREATE TRIGGER stats_cdr_legs_delete AFTER DELETE ON cdr_legs
FOR EACH ROW WHEN (OLD.destination_context = 'cpaas-transfer')
EXECUTE FUNCTION stats_cdr_legs_changed();
