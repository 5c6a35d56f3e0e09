-- The account lifecycle: a display name, disabled accounts, and a version for
-- the units.account.* events (every change publishes the whole account).
ALTER TABLE accounts
    ADD COLUMN display_name text CHECK (display_name <> ''),
    ADD COLUMN disabled boolean NOT NULL DEFAULT false,
    ADD COLUMN version int NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- One row per sign-in (a refresh-token family). Only the SHA-256 of its
-- current refresh token is kept: a token names its sign-in, so presenting an
-- older token of it (one already used) is recognised as reuse and ends it.
CREATE TABLE sign_ins (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id),
    token_hash    bytea NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    refreshed_at  timestamptz,
    ended_at      timestamptz,
    ended_reason  text CHECK (ended_reason IN ('logout', 'reuse', 'password', 'reset', 'disabled'))
);
CREATE INDEX sign_ins_account ON sign_ins (account_id) WHERE ended_at IS NULL;
CREATE INDEX sign_ins_expiry ON sign_ins (expires_at);

-- Sign-in attempts per username across every address, beside the count per
-- (address, username) in login_failures: behind a proxy every client has one
-- address, and a guesser with many addresses must meet a limit too.
CREATE TABLE account_login_failures (
    username      text PRIMARY KEY,
    failures      int NOT NULL,
    window_start  timestamptz NOT NULL
);
CREATE INDEX account_login_failures_window ON account_login_failures (window_start);
