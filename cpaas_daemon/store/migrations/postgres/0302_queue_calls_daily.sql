-- PostgreSQL: as ../0302_queue_calls_daily.sql; LEAST/GREATEST are its scalar MIN/MAX.
-- queue_log reports on long ranges (docs/queue-log-and-reports.md, "Performance").

-- queue_calls summed per UTC day and report dimension, kept by the tailer in the same
-- transaction as queue_calls (a changed row moves its numbers from its old key to its
-- new one). day = the UTC midnight (epoch seconds) of enter_epoch; hold = the service
-- level bucket of wait (1 for <= 15 s ... 7 for > 90 s). Only answered and unanswered
-- rows count: pending and waiting rows appear in no report. A key whose calls fall to 0
-- is deleted. Reports without a time-of-day filter read the whole UTC days of their range
-- here and only the partial days at its edges from queue_calls.
CREATE TABLE queue_calls_daily (
    day    INTEGER NOT NULL,
    status TEXT NOT NULL,
    queue  TEXT NOT NULL,
    agent  TEXT NOT NULL,
    event  TEXT NOT NULL,
    hold   INTEGER NOT NULL,
    calls  INTEGER NOT NULL,
    wait   INTEGER NOT NULL,
    talk   INTEGER NOT NULL,
    PRIMARY KEY (day, status, queue, agent, event, hold)
) WITHOUT ROWID;

INSERT INTO queue_calls_daily (day, status, queue, agent, event, hold, calls, wait, talk)
SELECT enter_epoch - (enter_epoch % 86400 + 86400) % 86400, status, queue, agent, event,
    LEAST(GREATEST((wait + 14) / 15, 1), 7), COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status IN ('answered', 'unanswered')
GROUP BY 1, 2, 3, 4, 5, 6;

-- The detail path (a time-of-day filter, a range's partial days, the detail reports)
-- scans a status's calls by enter time; with the grouped columns in the index, the
-- aggregate reports never visit the table. It replaces queue_calls_status_time.
DROP INDEX queue_calls_status_time;
CREATE INDEX queue_calls_report ON queue_calls
    (status, enter_epoch, queue, agent, event, wait, talk);
