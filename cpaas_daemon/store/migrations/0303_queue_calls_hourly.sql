-- queue_log reports with a time-of-day filter (docs/queue-log-and-reports.md, "Performance").

-- queue_calls summed per UTC hour (of enter_epoch) and per report grouping, kept by the
-- tailer beside queue_calls_daily, in the same transaction and the same way (a changed
-- row moves its numbers from its old keys to its new ones; a key whose calls fall to 0 is
-- deleted). Narrowed to what the grouped reports read: answered calls by queue, agent,
-- event and hold (the service level bucket of wait, as text: 1 for <= 15 s ... 7 for
-- > 90 s), unanswered calls by queue; about 100 rows an hour where the daily rollup's
-- full key per hour would be nearly one per call. A time-of-day window or a range's
-- partial day reads its whole hours here and only its partial hours from queue_calls.
CREATE TABLE queue_calls_hourly (
    status    TEXT NOT NULL,
    dimension TEXT NOT NULL,
    hour      INTEGER NOT NULL,
    value     TEXT NOT NULL,
    calls     INTEGER NOT NULL,
    wait      INTEGER NOT NULL,
    talk      INTEGER NOT NULL,
    PRIMARY KEY (status, dimension, hour, value)
) WITHOUT ROWID;

INSERT INTO queue_calls_hourly (status, dimension, hour, value, calls, wait, talk)
SELECT status, 'queue', enter_epoch - (enter_epoch % 3600 + 3600) % 3600, queue,
    COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status IN ('answered', 'unanswered')
GROUP BY status, enter_epoch - (enter_epoch % 3600 + 3600) % 3600, queue;

INSERT INTO queue_calls_hourly (status, dimension, hour, value, calls, wait, talk)
SELECT status, 'agent', enter_epoch - (enter_epoch % 3600 + 3600) % 3600, agent,
    COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status = 'answered'
GROUP BY status, enter_epoch - (enter_epoch % 3600 + 3600) % 3600, agent;

INSERT INTO queue_calls_hourly (status, dimension, hour, value, calls, wait, talk)
SELECT status, 'event', enter_epoch - (enter_epoch % 3600 + 3600) % 3600, event,
    COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status = 'answered'
GROUP BY status, enter_epoch - (enter_epoch % 3600 + 3600) % 3600, event;

INSERT INTO queue_calls_hourly (status, dimension, hour, value, calls, wait, talk)
SELECT status, 'hold', enter_epoch - (enter_epoch % 3600 + 3600) % 3600,
    CAST(CASE WHEN wait <= 15 THEN 1 WHEN wait > 90 THEN 7 ELSE (wait + 14) / 15 END AS TEXT),
    COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status = 'answered'
GROUP BY status, enter_epoch - (enter_epoch % 3600 + 3600) % 3600,
    CASE WHEN wait <= 15 THEN 1 WHEN wait > 90 THEN 7 ELSE (wait + 14) / 15 END;
