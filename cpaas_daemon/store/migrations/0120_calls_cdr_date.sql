-- get_cdr_by_date pages an account's CDRs by call_date (cdr/queries.py). The index holds
-- only calls with a CDR, so the page's ids are found and skipped (OFFSET) on the index
-- alone, without reading each skipped call to test cdr_at. It replaces calls_account_date
-- (0100), which that query alone used.
DROP INDEX calls_account_date;
CREATE INDEX calls_account_cdr_date ON calls (account_id, call_date) WHERE cdr_at IS NOT NULL;
