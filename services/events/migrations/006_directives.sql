-- Directives ("chương trình hành động" of a party committee carrying out a higher resolution), the
-- programmes its units report under it (one per unit) and the sessions they hold (study, training,
-- dialogue). Owned by the events service, which holds the unit tree's copy and the honour roll its
-- figures are counted on (services/events/directives/).

CREATE TABLE directives (
    id              uuid PRIMARY KEY,
    code            text NOT NULL,
    title           text NOT NULL,
    implements      text NOT NULL,
    issuing_unit_id uuid NOT NULL,  -- a unit of the copy (no foreign key: the copy is fed by events)
    issued_on       date NOT NULL,
    campaign_ids    uuid[] NOT NULL DEFAULT '{}',
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- One directive per code, whatever its case.
CREATE UNIQUE INDEX directives_code ON directives (lower(code));
CREATE INDEX directives_order ON directives (issued_on DESC, id DESC);

CREATE TABLE directive_programmes (
    id           uuid PRIMARY KEY,
    directive_id uuid NOT NULL REFERENCES directives (id),
    unit_id      uuid NOT NULL,
    number       text NOT NULL,
    issued_on    date NOT NULL,
    title        text NOT NULL,
    reported_by  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- One programme per unit and directive: a second is refused (409), even when two arrive at once.
    UNIQUE (directive_id, unit_id)
);

CREATE TABLE directive_sessions (
    id           uuid PRIMARY KEY,
    directive_id uuid NOT NULL REFERENCES directives (id),
    unit_id      uuid NOT NULL,
    held_on      date NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('study', 'training', 'dialogue', 'other')),
    title        text NOT NULL,
    attendees    int NOT NULL CHECK (attendees BETWEEN 1 AND 1000000),
    reported_by  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- The totals and the months are sums over one directive's rows: a row per session, never a counter
-- updated in place, so sessions reported at once all count.
CREATE INDEX directive_sessions_by_directive ON directive_sessions (directive_id, held_on) INCLUDE (attendees);
CREATE INDEX directive_sessions_by_unit ON directive_sessions (unit_id);
