-- People can be corrected and moved (PATCH /people/{id}): when it last changed.
ALTER TABLE people ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Failed logins per (address, username) in the current window. Kept in the
-- database, not in a process, so every replica counts the same failures.
CREATE TABLE login_failures (
    address       text NOT NULL,
    username      text NOT NULL,
    failures      int NOT NULL,
    window_start  timestamptz NOT NULL,
    PRIMARY KEY (address, username)
);
CREATE INDEX login_failures_window ON login_failures (window_start);
