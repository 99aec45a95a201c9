-- The transactional outbox: domain events written with the change they announce, published by a relay.
CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    headers    jsonb NOT NULL,
    -- Whom the event is published for: the relay signs it as this process, for that user, when it sends it.
    identity   jsonb NOT NULL DEFAULT '{}',
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0,
    last_error text,
    sent_at    timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE sent_at IS NULL;
