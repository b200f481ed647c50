-- Webhooks (docs/webhooks.md): subscriptions, the event outbox and one delivery row per
-- (event, endpoint). Events are written by TRIGGERS on the tables whose change they
-- report, so an event row commits or rolls back with its state change (a transactional
-- outbox) whichever code path, process or batch made the change; an account without an
-- enabled subscription pays one indexed EXISTS per write and gets no row.

CREATE TABLE webhook_subscriptions (
    webhook_id       TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    event_types      TEXT NOT NULL,  -- space-separated event names, or '*'
    secret           TEXT NOT NULL,  -- whsec_<base64>; HMAC needs it in clear
    previous_secret  TEXT,           -- still signed with until previous_until (rotation)
    previous_until   TEXT,
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    disabled_reason  TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX webhook_subscriptions_account ON webhook_subscriptions (account_id, enabled);

-- The outbox. stream orders events: a call's (and its callback's) request_id, or
-- 'campaign:<id>'; seq numbers the events of one stream from 1.
CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE DEFAULT ('evt_' || lower(hex(randomblob(16)))),
    account_id  TEXT NOT NULL,
    type        TEXT NOT NULL,
    stream      TEXT NOT NULL,
    seq         INTEGER NOT NULL DEFAULT 0,
    request_id  TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX webhook_events_stream ON webhook_events (stream, seq);

-- pending -> delivered | dead; a redelivery moves dead back to pending (same event id).
-- next_at '9999-12-31T23:59:59.999Z': parked behind an earlier delivery of its stream.
CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    event_rowid  INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    webhook_id   TEXT NOT NULL REFERENCES webhook_subscriptions (webhook_id) ON DELETE CASCADE,
    stream       TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    last_status  INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    updated_at   TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (webhook_id, stream, state, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_rowid);

-- Number the event in its stream and fan it out to the account's enabled endpoints that
-- want its type. Only the oldest pending delivery of an (endpoint, stream) is due; one
-- behind it is parked (next_at far in the future) until the worker records the one
-- ahead as delivered or dead, so the due ones are found by the partial index alone,
-- however many wait behind an endpoint that is down.
CREATE TRIGGER webhook_events_fan_out AFTER INSERT ON webhook_events
BEGIN
    UPDATE webhook_events
       SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_events WHERE stream = NEW.stream)
     WHERE id = NEW.id;
    INSERT INTO webhook_deliveries (event_rowid, webhook_id, stream, next_at)
    SELECT NEW.id, s.webhook_id, NEW.stream,
           CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries q
                              WHERE q.webhook_id = s.webhook_id AND q.stream = NEW.stream
                                AND q.state = 'pending')
                THEN '9999-12-31T23:59:59.999Z' ELSE NEW.created_at END
      FROM webhook_subscriptions s
     WHERE s.account_id = NEW.account_id AND s.enabled = 1
       AND (s.event_types = '*' OR instr(' ' || s.event_types || ' ', ' ' || NEW.type || ' ') > 0);
END;

-- Calls: initiated (the row is written before the Originate), completed with the CDR
-- summary (and recording_ready when it was recorded) or, when the PBX refused the
-- Originate and nothing rang, with state 'refused' and no CDR; DTMF collected by the IVR.
CREATE TRIGGER webhook_call_initiated AFTER INSERT ON calls
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    VALUES (NEW.account_id, 'call.initiated', NEW.request_id, NEW.request_id, json_object(
        'kind', NEW.kind, 'direction', NEW.direction, 'state', NEW.state,
        'agent_number', NEW.agent_number, 'customer_number', NEW.customer_number,
        'caller_id', NEW.caller_id, 'channel_id', NEW.channel_id,
        'campaign_id', NEW.campaign_id, 'contact_id', NEW.contact_id));
END;

CREATE TRIGGER webhook_call_completed AFTER UPDATE OF state ON calls
WHEN NEW.state IN ('completed', 'refused') AND OLD.state NOT IN ('completed', 'refused')
 AND EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    VALUES (NEW.account_id, 'call.completed', NEW.request_id, NEW.request_id, json_object(
        'state', NEW.state, 'kind', NEW.kind, 'direction', NEW.direction,
        'agent_number', NEW.agent_number, 'customer_number', NEW.customer_number,
        'caller_id', NEW.caller_id, 'campaign_id', NEW.campaign_id,
        'cdr', json(CASE WHEN NEW.state = 'refused' THEN 'null' ELSE json_object(
            'call_date', NEW.call_date, 'answer', NEW.answer, 'end_time', NEW.end_time,
            'call_duration', NEW.call_duration, 'billsec', NEW.billsec,
            'dial_status', NEW.dial_status, 'call_status', NEW.call_status,
            'uniqueid', NEW.uniqueid, 'recording_name', NEW.recording_name,
            'dtmf_inputs', NEW.dtmf_inputs) END)));
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    SELECT NEW.account_id, 'call.recording_ready', NEW.request_id, NEW.request_id,
           json_object('recording_name', NEW.recording_name)
     WHERE NEW.state = 'completed' AND NEW.recording_name != '';
END;

CREATE TRIGGER webhook_call_dtmf AFTER UPDATE OF dtmf_inputs ON calls
WHEN NEW.dtmf_inputs != OLD.dtmf_inputs AND NEW.dtmf_inputs != ''
 AND EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    VALUES (NEW.account_id, 'call.dtmf', NEW.request_id, NEW.request_id, json_object(
        'digits', NEW.dtmf_inputs, 'campaign_id', NEW.campaign_id,
        'contact_id', NEW.contact_id));
END;

-- Callbacks share their call's request_id, so they share its stream too. Created or
-- moved by a PATCH, a callback is (re)scheduled: one payload, two triggers.
CREATE VIEW webhook_callback_schedule AS
SELECT request_id, account_id, json_object(
       'due_at', due_at, 'scheduled_at', scheduled_at, 'time_zone', time_zone,
       'agent_number', agent_number, 'destination_number', destination_number) AS data
  FROM callbacks;

CREATE TRIGGER webhook_callback_scheduled AFTER INSERT ON callbacks
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    SELECT account_id, 'callback.scheduled', request_id, request_id, data
      FROM webhook_callback_schedule WHERE request_id = NEW.request_id;
END;

CREATE TRIGGER webhook_callback_rescheduled AFTER UPDATE OF due_at ON callbacks
WHEN NEW.state = 'scheduled' AND NEW.due_at != OLD.due_at
 AND EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    SELECT account_id, 'callback.scheduled', request_id, request_id, data
      FROM webhook_callback_schedule WHERE request_id = NEW.request_id;
END;

CREATE TRIGGER webhook_callback_state AFTER UPDATE OF state ON callbacks
WHEN OLD.state IN ('scheduled', 'dialing') AND NEW.state != OLD.state
 AND NEW.state != 'scheduled'
 AND EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    VALUES (NEW.account_id,
            CASE NEW.state WHEN 'dialing' THEN 'callback.dialled' ELSE 'callback.completed' END,
            NEW.request_id, NEW.request_id, json_object(
            'state', NEW.state, 'attempts', NEW.attempts, 'dial_status', NEW.dial_status,
            'reason', NEW.reason));
END;

-- Campaigns: started, stopped (stop_campaign), finished; each contact's final outcome.
CREATE TRIGGER webhook_campaign_status AFTER UPDATE OF status ON campaigns
WHEN NEW.status != OLD.status AND NEW.status IN ('running', 'stopped', 'completed')
 AND EXISTS (SELECT 1 FROM webhook_subscriptions
              WHERE account_id = NEW.account_id AND enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, data)
    VALUES (NEW.account_id,
            CASE NEW.status WHEN 'running' THEN 'campaign.started'
                            WHEN 'stopped' THEN 'campaign.stopped'
                            ELSE 'campaign.finished' END,
            'campaign:' || NEW.campaign_id, json_object(
            'campaign_id', NEW.campaign_id, 'campaign_name', NEW.campaign_name,
            'status', NEW.status, 'finished_at', NEW.finished_at));
END;

CREATE TRIGGER webhook_campaign_contact_outcome AFTER UPDATE OF state ON campaign_targets
WHEN NEW.state = 'done' AND OLD.state != 'done'
 AND EXISTS (SELECT 1 FROM webhook_subscriptions s JOIN campaigns c USING (account_id)
              WHERE c.campaign_id = NEW.campaign_id AND s.enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, data)
    SELECT c.account_id, 'campaign.contact_outcome', 'campaign:' || c.campaign_id, json_object(
           'campaign_id', c.campaign_id, 'contact_id', NEW.contact_id,
           'contact_number', k.contact_number, 'contact_name', k.contact_name,
           'outcome', NEW.last_status, 'answered', NEW.answered, 'attempts', NEW.attempts)
      FROM campaigns c JOIN campaign_contacts k ON k.contact_id = NEW.contact_id
     WHERE c.campaign_id = NEW.campaign_id;
END;
