-- The trace of each call, so a user can open it from their call log ('' when tracing was off).
ALTER TABLE call_logs ADD COLUMN IF NOT EXISTS trace_id text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS call_logs_user_trace ON call_logs (user_id, trace_id) WHERE trace_id <> '';
