-- A dead letter is settled, never deleted: replayed (applied through its consumer's handler by
-- `thidua dead-letters replay`) or discarded with a reason. The row stays as the audit of what happened.
ALTER TABLE dead_letters
    ADD COLUMN replayed_at  timestamptz,
    ADD COLUMN discarded_at timestamptz,
    ADD COLUMN note         text,
    ADD CONSTRAINT dead_letters_settled_once CHECK (replayed_at IS NULL OR discarded_at IS NULL);
-- What is still to be dealt with, by consumer.
CREATE INDEX dead_letters_open ON dead_letters (consumer, id) WHERE replayed_at IS NULL AND discarded_at IS NULL;
