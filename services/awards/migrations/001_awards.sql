-- The awards service: campaigns and their categories, nominations, the
-- committee's votes, decisions, and the append-only audit log. An award is a
-- granted nomination: its award_id is the nomination's id.

-- The local copy of people, fed by units.person.* events (handlers.py); a
-- late or replayed event never overwrites a newer version.
CREATE TABLE people (
    id          uuid PRIMARY KEY,
    full_name   text NOT NULL,
    unit_id     uuid NOT NULL,
    position    text,
    version     int NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_unit ON people (unit_id);

CREATE TABLE campaigns (
    id                 uuid PRIMARY KEY,
    code               text NOT NULL CHECK (code <> ''),
    name               text NOT NULL CHECK (name <> ''),
    organizer_unit_id  uuid NOT NULL,
    year               int NOT NULL CHECK (year BETWEEN 1945 AND 2100),
    starts_on          date,
    ends_on            date,
    description        text,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    version            int NOT NULL DEFAULT 1,
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR starts_on <= ends_on)
);
CREATE UNIQUE INDEX campaigns_code ON campaigns (lower(code));
CREATE INDEX campaigns_listing ON campaigns (year DESC, fold(name), id);

-- `held` counts the category's approved and granted nominations. Approval
-- raises it with a conditional UPDATE (held < quota), which row-locks the
-- category: concurrent approvals queue on it and never overshoot the quota.
CREATE TABLE categories (
    id            uuid PRIMARY KEY,
    campaign_id   uuid NOT NULL REFERENCES campaigns (id),
    code          text NOT NULL CHECK (code <> ''),
    name          text NOT NULL CHECK (name <> ''),
    nominee_kind  text NOT NULL CHECK (nominee_kind IN ('collective', 'individual')),
    form          text NOT NULL CHECK (form <> ''),
    quota         int NOT NULL CHECK (quota >= 0),
    held          int NOT NULL DEFAULT 0 CHECK (held >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (held <= quota)
);
CREATE UNIQUE INDEX categories_code ON categories (campaign_id, lower(code));

CREATE TABLE decisions (
    id               uuid PRIMARY KEY,
    number           text NOT NULL CHECK (number <> ''),
    signed_on        date NOT NULL,
    signer           text NOT NULL CHECK (signer <> ''),
    created_by       uuid NOT NULL,
    created_by_name  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX decisions_number ON decisions (lower(number));
CREATE INDEX decisions_listing ON decisions (signed_on DESC, id DESC);

-- nominee_id is the unit (collective) or the person (individual); nominee_name,
-- unit_id and unit_name are as they were when the nomination was submitted.
CREATE TABLE nominations (
    id                  uuid PRIMARY KEY,
    campaign_id         uuid NOT NULL REFERENCES campaigns (id),
    category_id         uuid NOT NULL REFERENCES categories (id),
    nominee_kind        text NOT NULL CHECK (nominee_kind IN ('collective', 'individual')),
    nominee_id          uuid NOT NULL,
    nominee_name        text NOT NULL,
    unit_id             uuid NOT NULL,
    unit_name           text NOT NULL,
    achievements        text NOT NULL CHECK (achievements <> ''),
    status              text NOT NULL DEFAULT 'submitted'
                        CHECK (status IN ('submitted', 'approved', 'rejected', 'withdrawn', 'granted', 'revoked')),
    version             int NOT NULL DEFAULT 1,
    submitted_by        uuid NOT NULL,
    submitted_by_name   text NOT NULL,
    submitting_unit_id  uuid,
    decision_id         uuid REFERENCES decisions (id),
    reason              text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    granted_at          timestamptz,
    revoked_at          timestamptz,
    CHECK ((status IN ('granted', 'revoked')) = (decision_id IS NOT NULL))
);
-- One live nomination per nominee and category; the insert relies on it (ON CONFLICT).
CREATE UNIQUE INDEX nominations_live ON nominations (category_id, nominee_id)
    WHERE status IN ('submitted', 'approved', 'granted');
CREATE INDEX nominations_listing ON nominations (created_at DESC, id DESC);
CREATE INDEX nominations_campaign ON nominations (campaign_id, created_at DESC, id DESC);
CREATE INDEX nominations_unit ON nominations (unit_id);
CREATE INDEX nominations_decision ON nominations (decision_id) WHERE decision_id IS NOT NULL;
CREATE INDEX awards_listing ON nominations (fold(nominee_name), id) WHERE status = 'granted';

-- One vote per committee member and nomination; a second replaces the first.
CREATE TABLE votes (
    nomination_id  uuid NOT NULL REFERENCES nominations (id),
    member_id      uuid NOT NULL,
    member_name    text NOT NULL,
    approve        boolean NOT NULL,
    comment        text,
    cast_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nomination_id, member_id)
);

-- Every change to a campaign, nomination, decision or award: who, when, from
-- what to what, and why. Rows are only ever added.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    entity       text NOT NULL,
    entity_id    uuid NOT NULL,
    action       text NOT NULL,
    actor_id     uuid NOT NULL,
    actor_name   text NOT NULL,
    actor_role   text NOT NULL,
    from_status  text,
    to_status    text,
    reason       text,
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
