-- Work claimed once across nodes (docs/scaling.md): several daemons may share one
-- PostgreSQL store. A contact's claim (campaigns/targets.py) moves its target
-- pending -> dialing and writes its attempt in one transaction; this index is the
-- defence in depth behind it: a contact never has two attempts without an outcome, so
-- a racer's second INSERT changes nothing, its claim rolls back and it never dials.
CREATE UNIQUE INDEX campaign_attempts_live ON campaign_attempts (campaign_id, contact_id)
    WHERE outcome IS NULL;
