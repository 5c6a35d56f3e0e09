-- How the council decides a category, and how long the public may comment on
-- its approved list (issue: the review as the law runs it).
--   pass_mark_rule/percent: null = votes advise; 'at_least' p = yes >= p% of the
--   members entitled to vote, 'more_than' p = yes > p% of them.
--   secret_ballot: nobody can learn how a member voted.
--   comment_working_days: an approved nomination stays on public notice for
--   that many working days before a decision may include it (0: no notice).
ALTER TABLE categories
    ADD COLUMN pass_mark_rule text CHECK (pass_mark_rule IN ('at_least', 'more_than')),
    ADD COLUMN pass_mark_percent int CHECK (pass_mark_percent BETWEEN 1 AND 100),
    ADD COLUMN secret_ballot boolean NOT NULL DEFAULT false,
    ADD COLUMN comment_working_days int NOT NULL DEFAULT 0 CHECK (comment_working_days BETWEEN 0 AND 60),
    ADD CONSTRAINT categories_pass_mark CHECK ((pass_mark_rule IS NULL) = (pass_mark_percent IS NULL)),
    -- "more than 100%" can never be reached
    ADD CONSTRAINT categories_pass_mark_reachable CHECK (pass_mark_rule <> 'more_than' OR pass_mark_percent < 100);
