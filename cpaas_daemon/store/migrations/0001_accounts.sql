-- API accounts (seed 003: `account` + `auth` headers). Only a hash of the secret is kept.
CREATE TABLE accounts (
    account_id   TEXT PRIMARY KEY,
    auth_hash    TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    disabled     INTEGER NOT NULL DEFAULT 0
);
