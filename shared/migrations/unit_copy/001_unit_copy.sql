-- The local copy of the unit tree, fed by units.* events (shared/unit_copy.py).
-- `path` is the chain of ids from the root (ltree labels: ids without dashes);
-- it is NULL while an ancestor's event has not arrived yet.
CREATE EXTENSION IF NOT EXISTS ltree;

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    parent_id   uuid,
    path        ltree,
    version     int NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_path ON units USING gist (path);
CREATE INDEX units_parent ON units (parent_id);
