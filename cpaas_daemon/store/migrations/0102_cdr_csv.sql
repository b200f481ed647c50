-- How far the daemon has read Asterisk's Master.csv (cdr_csv): the CDRs written while
-- the AMI link was down are recovered from there after a restart or reconnect.
CREATE TABLE cdr_csv_state (
    path    TEXT PRIMARY KEY,
    inode   INTEGER NOT NULL,
    offset  INTEGER NOT NULL
);
