-- An officer's checked nomination file, between the check and `Gửi tất cả`: the rows
-- as the console resolved them, kept on the server so the submit sends what was
-- checked and nothing the browser could alter. One per session (a new upload
-- replaces it); it goes with its session (sign-out, idle limit, lock).
CREATE TABLE nomination_imports (
    session_hash  bytea PRIMARY KEY REFERENCES sessions (id_hash) ON DELETE CASCADE,
    file_name     text NOT NULL,
    rows          jsonb NOT NULL CHECK (octet_length(rows::text) <= 4000000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
