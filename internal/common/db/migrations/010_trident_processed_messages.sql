-- The framework's record of consumed messages (at-least-once delivery, applied once): written in the
-- same transaction as the handler's own writes, with the reply to send again on a redelivery.
CREATE TABLE IF NOT EXISTS processed_messages (
    message_id   text NOT NULL,
    consumer     text NOT NULL,
    status       text NOT NULL DEFAULT 'OK',
    content_type text NOT NULL DEFAULT '',
    reply        bytea,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, consumer)
);
CREATE INDEX IF NOT EXISTS processed_messages_processed_at ON processed_messages (processed_at);
