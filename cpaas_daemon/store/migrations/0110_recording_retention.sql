-- Recording retention (dial.recordings_retention_days): when the sweep deleted a call's
-- recording files, shown in the CDR as recording_deleted_at. The partial index holds only
-- calls whose recording still exists, so each sweep reads the expired ones directly.
ALTER TABLE calls ADD COLUMN recording_deleted_at TEXT;
CREATE INDEX calls_recording_kept ON calls (created_at)
    WHERE recording_name != '' AND recording_deleted_at IS NULL;
