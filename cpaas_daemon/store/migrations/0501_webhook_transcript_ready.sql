-- call.transcript_ready (docs/webhooks.md): a transcription job reached done or failed.
-- A trigger like those of 0500, so the event commits with the job's final state whoever
-- writes it (the worker's finish, or recovery giving up an interrupted job). The account
-- is the call's: the transcripts table has none of its own. The stream is the call's
-- request_id, so the event follows the call's call.completed in sequence. A job that
-- ends 'none' (nothing was recorded, transcription off) reports nothing here: the call's
-- call.completed already tells (no recording_name, or not answered).
CREATE TRIGGER webhook_transcript_ready AFTER UPDATE OF status ON transcripts
WHEN NEW.status IN ('done', 'failed') AND OLD.status != NEW.status
 AND EXISTS (SELECT 1 FROM webhook_subscriptions s JOIN calls c USING (account_id)
              WHERE c.request_id = NEW.request_id AND s.enabled = 1)
BEGIN
    INSERT INTO webhook_events (account_id, type, stream, request_id, data)
    SELECT c.account_id, 'call.transcript_ready', NEW.request_id, NEW.request_id,
           json_object('request_id', NEW.request_id, 'status', NEW.status,
                       'text', NEW.text, 'reason', NEW.reason, 'engine', NEW.engine,
                       'audio_seconds', NEW.audio_seconds)
      FROM calls c WHERE c.request_id = NEW.request_id;
END;
