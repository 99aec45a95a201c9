CREATE TABLE call_logs (
    id          bigserial PRIMARY KEY,
    time        timestamptz NOT NULL,
    transport   text NOT NULL,
    service     text NOT NULL,
    method      text NOT NULL,
    status      integer NOT NULL,
    latency_ms  double precision NOT NULL,
    user_id     text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX call_logs_time ON call_logs (time DESC);
CREATE INDEX call_logs_key ON call_logs (transport, service, method);
