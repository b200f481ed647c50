-- Statistics (docs/counters.md): indexes that keep the counters under 50 ms on 1M calls.

-- Ecounters reads one account's calls created inside a window: a range scan on this
-- index touches only the window's rows (calls_account_date is on call_date, which stays
-- NULL until the CDR arrives, so it cannot find pending or ghost calls).
CREATE INDEX calls_account_created ON calls (account_id, created_at);

-- TRSC asks "did this call have a leg in the transfer context?" for every call of the
-- window; a partial index holds only those legs, so each probe is one tiny b-tree lookup.
CREATE INDEX cdr_legs_transferred ON cdr_legs (request_id)
    WHERE destination_context = 'cpaas-transfer';

-- Agent counters and the queue-based Ecounters keys read one account's queues inside
-- a window.
CREATE INDEX queue_log_queue_time ON queue_log (queue, epoch);
CREATE INDEX queue_calls_queue_time ON queue_calls (queue, enter_epoch);

-- Login state replays the membership lines of all time; they are a tiny share of
-- queue_log, so a partial index keeps that replay independent of call volume.
CREATE INDEX queue_log_membership ON queue_log (epoch, id)
    WHERE event IN ('ADDMEMBER', 'REMOVEMEMBER', 'AGENTLOGIN', 'AGENTLOGOFF',
                    'PAUSE', 'UNPAUSE', 'PAUSEALL', 'UNPAUSEALL');
