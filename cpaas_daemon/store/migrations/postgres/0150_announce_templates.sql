-- PostgreSQL: as ../0150_announce_templates.sql, plus the insertion order SQLite keeps in
-- every table's implicit rowid (two templates added in the same millisecond list in the
-- order they were added: ORDER BY created_at, rowid).
CREATE TABLE announce_templates (
    template_id  TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX announce_templates_by_account ON announce_templates (account_id, created_at);
