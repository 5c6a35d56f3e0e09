-- Public verification of a certificate (services/events/verify/): what
-- `GET /verify/{code}` answers, one row per award, fed by
-- awards.award.granted and awards.award.revoked. The names are those the
-- grant carried, as the certificate prints them (a later rename of the unit
-- does not change what was awarded). Nothing private: no person id, no birth
-- year, no achievements text.
-- A revoked award keeps its row ('revoked'); a revocation that arrives before
-- its grant leaves a row the older grant only fills in, never stands again.
CREATE TABLE verifications (
    award_id         uuid PRIMARY KEY,
    version          int NOT NULL,
    status           text NOT NULL CHECK (status IN ('standing', 'revoked')),
    code             text CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{12}$'),
    kind             text,
    name             text,
    unit_name        text,
    campaign_name    text,
    year             int,
    category_name    text,
    form             text,
    decision_number  text,
    decision_date    date,
    revoked_at       timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX verifications_code ON verifications (code) WHERE code IS NOT NULL;
