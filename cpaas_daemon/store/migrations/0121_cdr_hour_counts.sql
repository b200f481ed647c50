-- get_cdr_by_date at a deep offset (cdr/queries.py): an OFFSET walks one index entry per
-- skipped CDR (offset 200,000 of 10M calls: p99 66 ms on PostgreSQL). This table counts an
-- account's calls with a CDR per hour of call_date (hour = its first 13 characters,
-- "2026-11-05T10"), so a page skips whole hours by their counts and OFFSETs only inside
-- the hour the offset lands in. For any text, substr(call_date, 1, 13) lies in [a, b)
-- exactly when call_date does, for bounds a and b of 10 or 13 characters: the hours
-- before the one the offset lands in hold exactly the CDRs before it in (call_date, id)
-- order. Kept by calls/repository.py, the calls table's writer, in the transaction that
-- sets a call's call_date or cdr_at; a key whose count falls to 0 is deleted.
CREATE TABLE cdr_hour_counts (
    account_id TEXT NOT NULL,
    hour       TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

INSERT INTO cdr_hour_counts (account_id, hour, n)
SELECT account_id, substr(call_date, 1, 13), COUNT(*) FROM calls
WHERE cdr_at IS NOT NULL AND call_date IS NOT NULL
GROUP BY account_id, substr(call_date, 1, 13);

-- A read model as in 0650 (owner calls/repository.py): the CDR endpoints read it.
CREATE VIEW cdr_hours AS
SELECT account_id, hour, n FROM cdr_hour_counts;
