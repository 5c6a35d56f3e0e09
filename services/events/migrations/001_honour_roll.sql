-- The events service's own tables: the campaigns it has heard of, the public
-- honour roll (a read model fed by awards.* and units.* events), ceremonies,
-- and the roll's version that keys every cached answer.

-- Campaigns and their categories, as the awards service last announced them.
CREATE TABLE campaigns (
    id                uuid PRIMARY KEY,
    code              text NOT NULL,
    name              text NOT NULL,
    year              int NOT NULL,
    organizer_unit_id uuid NOT NULL,
    status            text NOT NULL,
    categories        jsonb NOT NULL DEFAULT '[]',
    version           int NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_year ON campaigns (year);

-- One row per award ever heard of. A revoked award keeps its row (status
-- 'revoked') as a tombstone, so a late or replayed grant of an older version
-- cannot bring it back; the public sees only status = 'granted'. A revoke
-- that arrives before its grant leaves a tombstone with no data yet.
CREATE TABLE honorees (
    award_id        uuid PRIMARY KEY,
    version         int NOT NULL,
    status          text NOT NULL CHECK (status IN ('granted', 'revoked')),
    kind            text,
    name            text,
    unit_id         uuid,
    unit_name       text,
    campaign_id     uuid,
    campaign_name   text,
    year            int,
    category_id     uuid,
    category_name   text,
    form            text,
    decision_number text,
    decision_date   date,
    ceremony_id     uuid,
    -- 0 collective, 1 individual: collectives are listed first, as in a decision.
    sort_group      smallint,
    -- Vietnamese dictionary order (services/events/collation.py), compared bytewise.
    sort_key        text COLLATE "C",
    -- What q= searches: name and unit, lower case, without diacritics.
    search          text GENERATED ALWAYS AS (fold(coalesce(name, '') || ' ' || coalesce(unit_name, ''))) STORED,
    granted_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'revoked' OR (name IS NOT NULL AND sort_key IS NOT NULL AND campaign_id IS NOT NULL))
);
-- Every listing is keyset-ordered by (sort_group, sort_key, award_id); one
-- index per leading filter keeps each filter an ordered index range.
CREATE INDEX honorees_roll ON honorees (sort_group, sort_key, award_id) WHERE status = 'granted';
CREATE INDEX honorees_by_campaign ON honorees (campaign_id, sort_group, sort_key, award_id) WHERE status = 'granted';
CREATE INDEX honorees_by_year ON honorees (year, sort_group, sort_key, award_id) WHERE status = 'granted';
CREATE INDEX honorees_by_unit ON honorees (unit_id, sort_group, sort_key, award_id) WHERE status = 'granted';
CREATE INDEX honorees_by_ceremony ON honorees (ceremony_id) WHERE status = 'granted';
CREATE INDEX honorees_search ON honorees USING gin (search gin_trgm_ops) WHERE status = 'granted';

CREATE TABLE ceremonies (
    id            uuid PRIMARY KEY,
    title         text NOT NULL,
    held_on       date NOT NULL,
    venue         text NOT NULL,
    host_unit_id  uuid NOT NULL,
    campaign_ids  uuid[] NOT NULL CHECK (cardinality(campaign_ids) > 0),
    status        text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'held')),
    held_at       timestamptz,
    version       int NOT NULL DEFAULT 1,
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ceremonies_order ON ceremonies (held_on DESC, id DESC);
CREATE INDEX ceremonies_campaigns ON ceremonies USING gin (campaign_ids);

-- The roll's version: bumped in the same transaction as every change a public
-- answer could show, and announced on NOTIFY roll_changed. `epoch` tells
-- apart two databases that happen to reach the same version (a rebuild).
CREATE TABLE roll_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL DEFAULT 0,
    epoch      text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
);
INSERT INTO roll_state DEFAULT VALUES;
