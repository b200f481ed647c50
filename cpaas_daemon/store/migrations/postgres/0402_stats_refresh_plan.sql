-- stats_facts_refresh (0401) re-reads a call's facts from stats_call_source on every
-- UPDATE of calls (each CDR summary). As a LANGUAGE sql function called from a trigger it
-- was planned again at every call (PostgreSQL caches no plan for SQL functions that are
-- not inlined): ~0.5 ms of planning per summarised call, a third of the CDR ingest's time
-- (bench/cdr_ingest.py). In PL/pgSQL the same UPDATE is planned once per connection.
CREATE OR REPLACE FUNCTION stats_facts_refresh(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stats_call_facts SET (account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring) = (SELECT account_id, created_at, bucket, kind, campaign_key, dial_status, did, dtmf_inputs, customer_number, outcome, transferred, has_cdr, talk, wait, ring FROM stats_call_source s
        WHERE s.call_id = stats_call_facts.call_id)
    WHERE call_id = ANY (ids);
END $$;
