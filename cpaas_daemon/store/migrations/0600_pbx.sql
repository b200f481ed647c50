-- Several PBXs (issue 14): every row a PBX produced names it. Uniqueids, channel names,
-- file paths and queue_log file ids are unique per PBX only, so the keys that dedupe or
-- resume include pbx_id. Rows from before are the single PBX's: 'default'.
ALTER TABLE calls ADD COLUMN pbx_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cdr_legs ADD COLUMN pbx_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE queue_log ADD COLUMN pbx_id TEXT NOT NULL DEFAULT 'default';

-- A line is identified by (pbx_id, file_id, offset): two PBXs' files may start alike.
DROP INDEX queue_log_position;
CREATE UNIQUE INDEX queue_log_position ON queue_log (pbx_id, file_id, offset);

-- Read positions, one per (PBX, file): two PBXs' files may have the same local path.
CREATE TABLE cdr_csv_positions (
    pbx_id  TEXT NOT NULL,
    path    TEXT NOT NULL,
    inode   INTEGER NOT NULL,
    offset  INTEGER NOT NULL,
    PRIMARY KEY (pbx_id, path)
);
INSERT INTO cdr_csv_positions (pbx_id, path, inode, offset)
    SELECT 'default', path, inode, offset FROM cdr_csv_state;
DROP TABLE cdr_csv_state;

CREATE TABLE queue_log_positions (
    pbx_id          TEXT NOT NULL,
    path            TEXT NOT NULL,
    inode           INTEGER NOT NULL,
    offset          INTEGER NOT NULL,
    first_line_hash INTEGER,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (pbx_id, path)
);
INSERT INTO queue_log_positions (pbx_id, path, inode, offset, first_line_hash, updated_at)
    SELECT 'default', path, inode, offset, first_line_hash, updated_at FROM queue_log_offsets;
DROP TABLE queue_log_offsets;
