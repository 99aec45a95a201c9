-- What the reliability probe did: every attempt (outside the unit of work) and every effect (inside it).
CREATE TABLE attempts (user_id text NOT NULL, attempt integer NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE effects (user_id text NOT NULL, at timestamptz NOT NULL DEFAULT now());
