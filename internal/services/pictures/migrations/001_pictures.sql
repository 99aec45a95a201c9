CREATE TABLE pictures (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    title        text NOT NULL,
    content_type text NOT NULL,
    size         integer NOT NULL,
    sha256       text NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Listing is per user, newest first, paged by (created_at, id).
CREATE INDEX pictures_user_created ON pictures (user_id, created_at DESC, id DESC);
