-- Refresh tokens are stored only as SHA-256 hashes; a stolen table grants no sessions.
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL,
    username    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
