-- Eligibility rules as data, the history they are checked against, and what
-- a revocation puts before the committee (issue: rules with reasons;
-- services/awards/domain/eligibility.py, eligibility/, titles/).

-- A category's rules (a JSON list, each with its kind, citation and the dates
-- it is in force) and the title it confers, as rules name it (null: its name).
ALTER TABLE categories
    ADD COLUMN rules jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rules) = 'array'),
    ADD COLUMN title text CHECK (title IS NULL OR title <> '');

-- Past titles and awards imported from an office's files (POST /titles/import):
-- one row per nominee, title and year (title_key: the title as matched, case,
-- quotes and spacing aside), so an import sent again adds nothing.
CREATE TABLE past_titles (
    id             uuid PRIMARY KEY,
    nominee_kind   text NOT NULL CHECK (nominee_kind IN ('collective', 'individual')),
    nominee_id     uuid NOT NULL,
    title          text NOT NULL CHECK (title <> ''),
    title_key      text NOT NULL CHECK (title_key <> ''),
    year           int NOT NULL CHECK (year BETWEEN 1945 AND 2100),
    unit_id        uuid NOT NULL,
    nominee_name   text NOT NULL,
    imported_by    uuid NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (nominee_id, title_key, year)
);
CREATE INDEX past_titles_year ON past_titles (year, unit_id);

-- What a nomination's eligibility relied on when it was submitted: the award
-- of this service (or the imported title) that satisfied one of its rules.
-- Revoking that award puts the nomination (or its award) before the committee.
CREATE TABLE reliances (
    nomination_id  uuid NOT NULL REFERENCES nominations (id),
    rule_index     int NOT NULL CHECK (rule_index >= 0),
    rule_kind      text NOT NULL,
    citation       text NOT NULL,
    award_id       uuid REFERENCES nominations (id),
    title_id       uuid REFERENCES past_titles (id),
    title          text NOT NULL,
    year           int NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((award_id IS NULL) <> (title_id IS NULL))
);
CREATE UNIQUE INDEX reliances_one ON reliances (nomination_id, rule_index, COALESCE(award_id, title_id));
CREATE INDEX reliances_award ON reliances (award_id) WHERE award_id IS NOT NULL;

-- A nomination or award the committee must look at again because an award it
-- relied on was revoked: listed with the reason until the committee resolves it.
CREATE TABLE review_items (
    id                uuid PRIMARY KEY,
    nomination_id     uuid NOT NULL REFERENCES nominations (id),
    cause_award_id    uuid NOT NULL REFERENCES nominations (id),
    reason            text NOT NULL CHECK (reason <> ''),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution        text,
    resolved_by       uuid,
    resolved_by_name  text,
    resolved_at       timestamptz,
    version           int NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (nomination_id, cause_award_id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution IS NOT NULL))
);
CREATE INDEX review_items_listing ON review_items (status, created_at, id);
