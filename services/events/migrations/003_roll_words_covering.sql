-- The word index carries what a search filters on, so that a word's range is
-- filtered, and checked against the query's other words, without reading the
-- honourees' rows: at a million honourees the time of a q= search with a
-- filter, or of a name of several common words, went to reading thousands of
-- scattered heap rows only to drop most of them. Now only the page's own rows
-- are read from `honorees`.
--
-- Each roll_words row repeats its honouree's filterable attributes and folded
-- `search` text; the primary key INCLUDEs them, so a range is read by an
-- index-only scan. The trigger keeps them exact: every change of one of them
-- (a ceremony stamped, a campaign's year changed, a unit moved) rewrites the
-- honouree's words.

DROP TRIGGER honorees_words_update ON honorees;
ALTER TABLE roll_words DROP CONSTRAINT roll_words_pkey;
TRUNCATE roll_words;
ALTER TABLE roll_words
    ADD COLUMN year        int,
    ADD COLUMN campaign_id uuid,
    ADD COLUMN category_id uuid,
    ADD COLUMN ceremony_id uuid,
    ADD COLUMN unit_id     uuid,
    ADD COLUMN search      text NOT NULL;
INSERT INTO roll_words (word, sort_group, sort_key, award_id, year, campaign_id, category_id, ceremony_id, unit_id, search)
    SELECT w, h.sort_group, h.sort_key, h.award_id, h.year, h.campaign_id, h.category_id, h.ceremony_id, h.unit_id, h.search
    FROM honorees h, unnest(roll_words_of(h.search)) AS w
    WHERE h.status = 'granted';
ALTER TABLE roll_words ADD PRIMARY KEY (word, sort_group, sort_key, award_id)
    INCLUDE (year, campaign_id, category_id, ceremony_id, unit_id, search);

CREATE OR REPLACE FUNCTION roll_words_sync() RETURNS trigger
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
        INSERT INTO roll_words (word, sort_group, sort_key, award_id, year, campaign_id, category_id, ceremony_id,
                                unit_id, search)
            SELECT t, NEW.sort_group, NEW.sort_key, NEW.award_id, NEW.year, NEW.campaign_id, NEW.category_id,
                   NEW.ceremony_id, NEW.unit_id, NEW.search
            FROM unnest(roll_words_of(NEW.search)) AS t;
    END IF;
    RETURN NULL;
END
$$;

-- A change of nothing the word index holds (a campaign or category renamed,
-- a decision number corrected) is skipped at once.
CREATE TRIGGER honorees_words_update AFTER UPDATE ON honorees
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.search IS DISTINCT FROM NEW.search
          OR OLD.sort_group IS DISTINCT FROM NEW.sort_group OR OLD.sort_key IS DISTINCT FROM NEW.sort_key
          OR OLD.year IS DISTINCT FROM NEW.year OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
          OR OLD.category_id IS DISTINCT FROM NEW.category_id OR OLD.ceremony_id IS DISTINCT FROM NEW.ceremony_id
          OR OLD.unit_id IS DISTINCT FROM NEW.unit_id)
    EXECUTE FUNCTION roll_words_sync();

ANALYZE roll_words;
