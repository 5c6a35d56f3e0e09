-- The council that votes on a campaign's nominations, recusals, and the secret
-- ballot (issue: the review as the law runs it).

-- The local copy of accounts, fed by units.account.* events (consumes.py): the
-- council is made of committee accounts, and votes show their names. A late or
-- replayed event never overwrites a newer version. Whether an account is
-- disabled stays in account_blocks.
CREATE TABLE accounts (
    id            uuid PRIMARY KEY,
    username      text NOT NULL,
    display_name  text,
    role          text NOT NULL,
    unit_id       uuid,
    version       int NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_role ON accounts (role, username);

-- A campaign's council: when a campaign has one, only its members vote on the
-- campaign's nominations. `version` counts its changes (awards.council.set).
CREATE TABLE councils (
    campaign_id  uuid PRIMARY KEY REFERENCES campaigns (id),
    version      int NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE council_members (
    campaign_id  uuid NOT NULL REFERENCES councils (campaign_id),
    account_id   uuid NOT NULL,
    PRIMARY KEY (campaign_id, account_id)
);

-- A council member who does not take part in the vote on a nomination, and why.
-- Not secret: the ballot's record names them.
CREATE TABLE recusals (
    nomination_id  uuid NOT NULL REFERENCES nominations (id),
    member_id      uuid NOT NULL,
    member_name    text NOT NULL,
    reason         text NOT NULL CHECK (reason <> ''),
    recused_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nomination_id, member_id)
);

-- The secret ballot, as a paper ballot box. Who has cast a ballot (one row per
-- member and nomination, no time, no choice) is kept apart from what was cast.
CREATE TABLE secret_ballots_cast (
    nomination_id  uuid NOT NULL REFERENCES nominations (id),
    member_id      uuid NOT NULL,
    PRIMARY KEY (nomination_id, member_id)
);
-- What was cast: only the counts per nomination. Not one row per ballot: a
-- ballot's row would carry the transaction id (xmin) of the transaction that
-- also wrote its member's row above, and so name its member to anyone reading
-- the table's system columns; a counter's row carries only the last writer's.
CREATE TABLE secret_ballot_box (
    nomination_id  uuid PRIMARY KEY REFERENCES nominations (id),
    yes            int NOT NULL DEFAULT 0 CHECK (yes >= 0),
    no             int NOT NULL DEFAULT 0 CHECK (no >= 0)
);
