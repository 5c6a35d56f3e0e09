-- The console's sessions, kept on the server: signing out, the idle limit or a
-- refused token deletes the row, and a copy of the cookie then signs no one in.
-- The cookie holds a random value; only its SHA-256 is stored here, so a copy of
-- this table is no cookie either.
CREATE TABLE sessions (
    id_hash            bytea PRIMARY KEY,
    account_id         uuid NOT NULL,
    username           text NOT NULL,
    role               text NOT NULL CHECK (role IN ('admin', 'committee', 'officer')),
    unit_id            uuid,
    unit_name          text,
    -- The user's tokens from the units service: the console acts with them, never with its own.
    access_token       text NOT NULL,
    access_expires_at  timestamptz NOT NULL,
    refresh_token      text,  -- null when the units service gave none (then the session ends with the token)
    csrf_token         text NOT NULL,  -- every form that changes something carries it
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
