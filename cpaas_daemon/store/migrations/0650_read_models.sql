-- Read models (issue 12 item 3): the relations one domain publishes for the others to read.
-- A table is read only inside its owner's package; any other package reads these views
-- (tests/unit/test_table_owners.py). Each names the columns others may depend on, so the
-- owner may change the rest of its table (a view keeps the contract, and PostgreSQL
-- refuses to drop a column a view still exposes). Both stores inline simple views into
-- the queries that use them: plans and indexes are those of the tables underneath.

-- Owner accounts/repository.py: which accounts exist (never their secrets: a secret is
-- checked by AccountRepository.check).
CREATE VIEW account_records AS
SELECT account_id, disabled FROM accounts;

-- Owner calls/repository.py: a call as the statistics, CDR, transcript, recording,
-- callback and campaign readers see it (not its channel or contact bookkeeping).
CREATE VIEW call_records AS
SELECT id, request_id, account_id, kind, direction, agent_number, customer_number,
    dialed_number, caller_id, destination_context, recording_name, recording_deleted_at,
    campaign_id, list_id, is_dnd, dtmf_inputs, state, created_at, call_date, answer,
    end_time, call_duration, billsec, dial_status, call_status, uniqueid, cdr_at, pbx_id
FROM calls;

-- Owner cdr/ingest.py: where each leg of a call ended up (the transfer counters).
CREATE VIEW cdr_leg_records AS
SELECT request_id, destination_context, disposition, pbx_id FROM cdr_legs;

-- Owner transcripts/repository.py: a call's transcript job as the CDR endpoints show it.
CREATE VIEW transcript_records AS
SELECT request_id, status, text FROM transcripts;

-- Owner calls/dids.py: which account and queue an inbound number belongs to.
CREATE VIEW did_routes AS
SELECT did, account_id, queue FROM dids;

-- Owner queue_log/repository.py: queue calls and lines as the statistics read them, and
-- the agents known in each queue.
CREATE VIEW queue_call_records AS
SELECT callid, queue, enter_epoch, end_epoch, status, event, agent, did, wait, ring, talk
FROM queue_calls;

CREATE VIEW queue_log_lines AS
SELECT id, epoch, callid, queue, agent, event, wait, talk, ring, pbx_id FROM queue_log;

CREATE VIEW queue_agents AS
SELECT a.agent_id, a.name AS agent_name, q.name AS queue_name
FROM agent_names a
JOIN agent_queues aq ON aq.agent_id = a.agent_id
JOIN queue_names q ON q.queue_id = aq.queue_id;

-- Owner: the statistics rollups (migration 0401's triggers): calls with a CDR per
-- account, campaign and dial status.
CREATE VIEW cdr_status_counts AS
SELECT account_id, campaign_key, dial_status, n FROM stats_cdr_status;

-- Owner campaigns/repository.py (campaigns) with campaigns/targets.py (their targets):
-- one row per campaign with its contacts counted by state, for the wallboard.
CREATE VIEW campaign_progress AS
SELECT c.campaign_id, c.account_id, c.campaign_name, c.status, c.start_at, c.finished_at,
    COUNT(t.contact_id) AS total,
    COALESCE(SUM(CASE WHEN t.state = 'done' THEN 1 ELSE 0 END), 0) AS done,
    COALESCE(SUM(CASE WHEN t.state = 'dialing' THEN 1 ELSE 0 END), 0) AS dialing,
    COALESCE(SUM(t.answered), 0) AS answered
FROM campaigns AS c LEFT JOIN campaign_targets AS t ON t.campaign_id = c.campaign_id
GROUP BY c.campaign_id, c.account_id, c.campaign_name, c.status, c.start_at, c.finished_at;
