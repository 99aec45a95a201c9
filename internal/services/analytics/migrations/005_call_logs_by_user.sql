-- Every read is of one user's calls (a user sees only their own).
CREATE INDEX IF NOT EXISTS call_logs_user_time ON call_logs (user_id, time DESC);
