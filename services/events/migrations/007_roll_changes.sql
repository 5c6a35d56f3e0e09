-- What the roll's embedded search index (roll/index.py) catches up from: each
-- honouree row carries the transaction that last wrote it, so a process that
-- read the roll at one snapshot reads, at the next, only the rows written by
-- transactions that had not finished at the first (changed_in >= that
-- snapshot's xmin). A transaction id, not a sequence: a sequence's numbers are
-- taken in one order and committed in another, and a reader could pass a
-- number whose row was not committed yet.
ALTER TABLE honorees ADD COLUMN changed_in xid8;

CREATE FUNCTION honorees_changed_in() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_in := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER honorees_changed_in BEFORE INSERT OR UPDATE ON honorees
    FOR EACH ROW EXECUTE FUNCTION honorees_changed_in();

CREATE INDEX honorees_changed_in ON honorees (changed_in);

-- A deleted row leaves nothing to catch up from (only a rebuild deletes
-- rows): the statement counts a reload, and each process reloads its index
-- whole.
ALTER TABLE roll_state ADD COLUMN reloads bigint NOT NULL DEFAULT 0;

CREATE FUNCTION honorees_reload() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE roll_state SET reloads = reloads + 1;
    RETURN NULL;
END
$$;

CREATE FUNCTION honorees_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone) THEN
        UPDATE roll_state SET reloads = reloads + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER honorees_deleted AFTER DELETE ON honorees
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION honorees_deleted();

CREATE TRIGGER honorees_truncated AFTER TRUNCATE ON honorees
    FOR EACH STATEMENT EXECUTE FUNCTION honorees_reload();
