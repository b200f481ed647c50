-- get_cdr_by_date pages an account's CDRs by call_date (cdr/queries.py). The index holds
-- only calls with a CDR, in the page's order (id included: PostgreSQL's index has no
-- rowid), so the page's ids are found and skipped (OFFSET) on the index alone, without
-- reading each skipped call to test cdr_at or sorting the range. It replaces
-- calls_account_date (0100), which that query alone used.
DROP INDEX calls_account_date;
CREATE INDEX calls_account_cdr_date ON calls (account_id, call_date, id) WHERE cdr_at IS NOT NULL;
