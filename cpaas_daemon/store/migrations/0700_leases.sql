-- Several daemons on one store (issue 14): a lease says which node works a PBX or a
-- running campaign. One row per (kind, name), kept after release so that the fencing
-- token only ever grows. expires_at is seconds since the Unix epoch on the DATABASE's
-- clock (every node judges expiry by that one clock), written and compared only in SQL.
CREATE TABLE leases (
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    holder      TEXT NOT NULL,
    token       INTEGER NOT NULL,
    expires_at  REAL NOT NULL,
    holder_url  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, name)
);
