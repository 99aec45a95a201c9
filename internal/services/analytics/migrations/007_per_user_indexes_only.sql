-- Every read is of one user's calls since 005: call_logs_user_time (user_id, time) serves them all. The indexes
-- on time alone and on (transport, service, method) were kept up on every stored call log and read by nothing
-- (about a quarter of PostgreSQL's time per COPY'd row, measured with 500-row COPYs).
DROP INDEX IF EXISTS call_logs_time;
DROP INDEX IF EXISTS call_logs_key;
