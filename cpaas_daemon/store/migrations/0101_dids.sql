-- Inbound numbers (DIDs): which account owns a call to it and which queue answers it.
CREATE TABLE dids (
    did         TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    queue       TEXT NOT NULL DEFAULT 'default'
);
