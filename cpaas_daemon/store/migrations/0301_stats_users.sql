-- Users of the Asternic-style /stats/ API (HTTP Basic). queues is a comma-separated
-- list of queue names the user may see, or '*' for all of them.
CREATE TABLE stats_users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    queues        TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
