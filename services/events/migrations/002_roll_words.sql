-- The roll's words, in the roll's order: what makes "the first page of the
-- honourees whose name or unit holds this word" an index range read with a
-- LIMIT, instead of a sort of every match (a common given name or a single
-- letter matches 5-10% of a million rows).
--
-- A q= word of 3+ letters matches a word of `search` that contains it; a
-- shorter one a word that starts with it (repository.TRIGRAM). So the roll
-- keeps one row per distinct word of each granted honouree's `search`, ordered
-- (word, sort_group, sort_key, award_id), and a dictionary of every word seen;
-- a q= word is looked up in the dictionary (a handful of words), and each of
-- those words' ranges is read in the roll's order.
--
-- The trigger keeps both in the transaction of every change to the roll
-- (grant, revoke, unit rename, rebuild), whichever statement made it.

-- A category filter is an ordered range too, as campaign, year and unit are
-- (without it, a category's rows were found by reading the whole roll).
CREATE INDEX honorees_by_category ON honorees (category_id, sort_group, sort_key, award_id) WHERE status = 'granted';

-- The distinct words of a folded `search` text.
CREATE FUNCTION roll_words_of(text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN ARRAY(SELECT DISTINCT w FROM string_to_table($1, ' ') AS w WHERE w <> '');

CREATE TABLE roll_words (
    word       text COLLATE "C" NOT NULL,
    sort_group smallint NOT NULL,
    sort_key   text COLLATE "C" NOT NULL,
    award_id   uuid NOT NULL
);
INSERT INTO roll_words (word, sort_group, sort_key, award_id)
    SELECT w, h.sort_group, h.sort_key, h.award_id
    FROM honorees h, unnest(roll_words_of(h.search)) AS w
    WHERE h.status = 'granted';
ALTER TABLE roll_words ADD PRIMARY KEY (word, sort_group, sort_key, award_id);
-- Mostly inserted, read by index-only scans: keep the visibility map current.
ALTER TABLE roll_words SET (autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02);

-- Every word ever on the roll (a word no longer used only costs an empty range).
CREATE TABLE roll_tokens (
    token text COLLATE "C" PRIMARY KEY
);
INSERT INTO roll_tokens (token) SELECT DISTINCT word FROM roll_words;
CREATE INDEX roll_tokens_trgm ON roll_tokens USING gin (token gin_trgm_ops);

CREATE FUNCTION roll_words_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'granted' THEN
        DELETE FROM roll_words w
        USING unnest(roll_words_of(OLD.search)) AS o (word)
        WHERE w.word = o.word AND w.sort_group = OLD.sort_group AND w.sort_key = OLD.sort_key
          AND w.award_id = OLD.award_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'granted' THEN
        -- In order, so that two transactions adding the same new words cannot deadlock.
        INSERT INTO roll_tokens (token)
            SELECT t FROM unnest(roll_words_of(NEW.search)) AS t
            WHERE NOT EXISTS (SELECT 1 FROM roll_tokens k WHERE k.token = t)
            ORDER BY t
            ON CONFLICT DO NOTHING;
        INSERT INTO roll_words (word, sort_group, sort_key, award_id)
            SELECT t, NEW.sort_group, NEW.sort_key, NEW.award_id FROM unnest(roll_words_of(NEW.search)) AS t;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER honorees_words_insert_delete AFTER INSERT OR DELETE ON honorees
    FOR EACH ROW EXECUTE FUNCTION roll_words_sync();
-- A ceremony stamped or a campaign renamed changes no word: skipped at once.
CREATE TRIGGER honorees_words_update AFTER UPDATE ON honorees
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.search IS DISTINCT FROM NEW.search
          OR OLD.sort_group IS DISTINCT FROM NEW.sort_group OR OLD.sort_key IS DISTINCT FROM NEW.sort_key)
    EXECUTE FUNCTION roll_words_sync();

-- The search picks which word to read the roll by from these statistics: keep
-- a frequency for every common word.
ALTER TABLE roll_words ALTER COLUMN word SET STATISTICS 2000;
ANALYZE roll_words;
