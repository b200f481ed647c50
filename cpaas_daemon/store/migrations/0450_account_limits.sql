-- Per-account call limits (issue 10.4), set with `accounts limits`. NULL = the
-- configured default ([limits] in the TOML).
ALTER TABLE accounts ADD COLUMN calls_per_second REAL;
ALTER TABLE accounts ADD COLUMN max_concurrent_calls INTEGER;
