-- A session is a family of refresh tokens, each traded for the next; access tokens name their session.
-- A refresh token used twice means it was stolen: the whole family ends.
ALTER TABLE refresh_tokens ADD COLUMN family_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
