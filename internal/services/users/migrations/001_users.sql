CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case: "Alice" cannot sign up beside "alice".
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
