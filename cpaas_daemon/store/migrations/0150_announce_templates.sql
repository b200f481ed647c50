-- OTP announce templates (seed 003 `announce_template_id`, e.g. AN2222314c96).
-- Lookups always filter by account_id: another account's id is simply not found.
CREATE TABLE announce_templates (
    template_id  TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX announce_templates_by_account ON announce_templates (account_id, created_at);
