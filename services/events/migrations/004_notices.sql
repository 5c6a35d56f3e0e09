-- The public notice ("niêm yết lấy ý kiến"): approved nominations of a
-- category with a comment window, read from the awards service's events, and
-- the objections sent from the notice page.

-- One row per nomination approved with a window (`id` is the nomination's id),
-- and a bare tombstone (state 'closed', no names) for one rejected, withdrawn
-- or returned: an older event arriving late never lists it again. A granted
-- one's row is closed when there is one (notices/projection.py says why no
-- tombstone is needed).
-- The page shows state = 'listed' rows whose window runs (comment_until, the
-- window's last day, on or after today in Vietnam).
CREATE TABLE notices (
    id            uuid PRIMARY KEY,
    version       int NOT NULL,
    state         text NOT NULL CHECK (state IN ('listed', 'closed')),
    kind          text,
    name          text,
    unit_id       uuid,
    unit_name     text,
    campaign_id   uuid,
    category_id   uuid,
    -- What the event carried, shown when the campaign is not (yet) known here.
    campaign_name text,
    category_name text,
    form          text,
    approved_on   date,
    comment_until date,
    sort_group    smallint,
    sort_key      text COLLATE "C",
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (state = 'closed' OR (name IS NOT NULL AND campaign_id IS NOT NULL AND comment_until IS NOT NULL
                                 AND sort_key IS NOT NULL))
);
CREATE INDEX notices_listed ON notices (comment_until) WHERE state = 'listed';

-- The objections the awards service filed, with their status: the page shows
-- how many of a notice's are open. Keyed by objection, versioned, so a
-- redelivered or late event never counts twice nor reopens one. Never the
-- objector's name, contact or words: those stay in the awards service.
CREATE TABLE notice_objections (
    id         uuid PRIMARY KEY,
    notice_id  uuid NOT NULL,  -- no foreign key: an objection's event may arrive before its notice's
    status     text NOT NULL CHECK (status IN ('open', 'resolved')),
    version    int NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_objections_open ON notice_objections (notice_id) WHERE status = 'open';

-- Objections accepted from each client address, kept an hour: the limit
-- holds across every worker and replica. Rows older than the window are
-- deleted as new ones come.
CREATE TABLE objection_throttle (
    address     text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objection_throttle_address ON objection_throttle (address, accepted_at);
CREATE INDEX objection_throttle_age ON objection_throttle (accepted_at);
