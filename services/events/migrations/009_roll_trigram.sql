-- The roll's SQL search (roll/search.py: what answers a q= search while the
-- embedded index of roll/index.py is being built, or if its build failed)
-- reads trigram indexes on the folded text instead of the word table.
--
-- The word table (migrations 002 and 003) held a row per word of each
-- granted honouree, with a copy of its filters and text: 2,982 MB at a
-- million honourees, 3.3 times the `honorees` table, and a trigger on every
-- write of the roll. It goes, with its dictionary, triggers and functions.
--
-- A trigram GIN index answers every q= word: one of 3+ letters (LIKE
-- '%word%') by its trigrams, a shorter one, which matches the words that
-- start with it (LIKE 'wo%' OR LIKE '% wo%'), by the trigrams pg_trgm keeps
-- of each word's start ('  w', ' wo'). It is split by sort_group (the roll's
-- first order column: collectives, then individuals), so that a search
-- reads the candidates of one group at a time: a person's name matches no
-- collective, and the collectives' whole share of the roll is then skipped
-- with an empty index read, not checked row by row.
--
-- pg_trgm ships with PostgreSQL's contrib (shared/migrations/common creates it
-- too; a server without the contrib package fails here, as it would there).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DROP TRIGGER IF EXISTS honorees_words_insert_delete ON honorees;
DROP TRIGGER IF EXISTS honorees_words_update ON honorees;
DROP FUNCTION IF EXISTS roll_words_sync();
DROP TABLE IF EXISTS roll_words;
DROP TABLE IF EXISTS roll_tokens;
DROP FUNCTION IF EXISTS roll_words_of(text);

-- Migrations run in a transaction, so not CONCURRENTLY: the roll is locked
-- against writes while these are built (at a million honourees: see
-- docs/architecture.md, "Searching the roll").
--
-- The roll's order now carries what a search checks (the folded text and the
-- filters' columns), so that a search that walks the roll in order reads the
-- index alone, not a scattered row of the table per entry: about ten times
-- fewer bytes and no random reads.
DROP INDEX honorees_roll;
CREATE INDEX honorees_roll ON honorees (sort_group, sort_key, award_id)
    INCLUDE (search, year, campaign_id, category_id, ceremony_id, unit_id) WHERE status = 'granted';
-- An index-only read needs the visibility map current: vacuum the roll after 2% of it changed.
ALTER TABLE honorees SET (autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02);

DROP INDEX IF EXISTS honorees_search;
CREATE INDEX honorees_search_collective ON honorees USING gin (search gin_trgm_ops)
    WHERE status = 'granted' AND sort_group = 0;
CREATE INDEX honorees_search_individual ON honorees USING gin (search gin_trgm_ops)
    WHERE status = 'granted' AND sort_group = 1;
ANALYZE honorees;
