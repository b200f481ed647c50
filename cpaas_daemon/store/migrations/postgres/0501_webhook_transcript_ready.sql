-- PostgreSQL: call.transcript_ready as ../0501_webhook_transcript_ready.sql writes it,
-- with the functions of postgres/0500_webhooks.sql.
CREATE FUNCTION webhook_transcript_ready() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_event(c.account_id, 'call.transcript_ready', NEW.request_id,
           NEW.request_id, json_build_object('request_id', NEW.request_id,
                       'status', NEW.status, 'text', NEW.text, 'reason', NEW.reason,
                       'engine', NEW.engine, 'audio_seconds', NEW.audio_seconds))
      FROM calls c WHERE c.request_id = NEW.request_id AND webhook_subscribed(c.account_id);
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_transcript_ready AFTER UPDATE OF status ON transcripts
FOR EACH ROW WHEN (NEW.status IN ('done', 'failed') AND OLD.status != NEW.status)
EXECUTE FUNCTION webhook_transcript_ready();
