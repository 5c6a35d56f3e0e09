-- The public's say (issue: the review as the law runs it): an approved
-- nomination's public notice and the objections to it (notices/).

-- Set when a nomination is approved: the day (in Vietnam) and, for a category
-- with comment_working_days > 0, the last day of its public notice
-- (domain/calendar.py). They stay as the record of the notice after the
-- nomination leaves approval; only approved nominations are on notice.
ALTER TABLE nominations ADD COLUMN approved_on date, ADD COLUMN comment_until date;
CREATE INDEX nominations_on_notice ON nominations (comment_until, id)
    WHERE status = 'approved' AND comment_until IS NOT NULL;

-- An objection by a member of the public. Its name, contact and content are
-- shown to the committee and admin only, never in a public answer or an event.
-- `client`: a hash of the sender's address (the rate limit counts by it), NULL
-- for one the events service received (`source` 'events').
CREATE TABLE objections (
    id                uuid PRIMARY KEY,
    nomination_id     uuid NOT NULL REFERENCES nominations (id),
    name              text NOT NULL CHECK (name <> ''),
    contact           text NOT NULL CHECK (contact <> ''),
    content           text NOT NULL CHECK (content <> ''),
    filed_at          timestamptz NOT NULL DEFAULT now(),
    client            text,
    source            text NOT NULL DEFAULT 'awards' CHECK (source IN ('awards', 'events')),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution        text,
    resolved_by       uuid,
    resolved_by_name  text,
    resolved_at       timestamptz,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution IS NOT NULL))
);
CREATE INDEX objections_nomination ON objections (nomination_id, filed_at, id);
CREATE INDEX objections_open ON objections (nomination_id) WHERE status = 'open';

-- The rate limit's bookkeeping: one row per objection sent over HTTP, counted
-- per client (hashed address) and per nomination over a sliding hour, under an
-- advisory lock, so it holds across workers and replicas. Rows older than a
-- day are deleted as new ones come.
CREATE TABLE objection_sends (
    client         text NOT NULL,
    nomination_id  uuid NOT NULL,
    sent_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objection_sends_client ON objection_sends (client, sent_at);
CREATE INDEX objection_sends_nomination ON objection_sends (nomination_id, sent_at);
CREATE INDEX objection_sends_age ON objection_sends (sent_at);
