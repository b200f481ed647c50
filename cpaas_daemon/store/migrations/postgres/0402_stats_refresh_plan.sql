-- stats_facts_refresh (0401) re-reads calls' facts from stats_call_source for every row
-- a trigger saw change: each CDR summary (an UPDATE of calls) and each queue_calls row
-- the queue_log tailer writes. As a LANGUAGE sql function it was planned again at every
-- call (PostgreSQL caches no plan for SQL functions that are not inlined), ~0.3-0.5 ms
-- each, and it ran even with no call to refresh (a queue call that is not one of ours).
-- Here: nothing to do returns at once, and the UPDATE is planned once per connection
-- (a generic plan: a custom one per call costs what the old function did). Measured by
-- bench/cdr_ingest.py and bench/queue_log_ingest.py: CDR rows/s ~1,600 -> ~4,900,
-- queue_log lines/s ~7,400 -> ~34,000.
CREATE OR REPLACE FUNCTION stats_facts_refresh(ids BIGINT[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id = ANY (ids);
END $$;
