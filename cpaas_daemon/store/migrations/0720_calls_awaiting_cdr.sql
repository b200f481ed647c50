-- Several daemons (issue 14): a node taking a PBX over finds the calls placed on it that
-- have no CDR yet (cdr/lost_calls.py) at every login. Only those rows are indexed, so
-- the look-up costs what is open, not the whole CDR history.
CREATE INDEX calls_awaiting_cdr ON calls (pbx_id, state) WHERE cdr_at IS NULL;
