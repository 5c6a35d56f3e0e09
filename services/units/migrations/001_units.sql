CREATE EXTENSION IF NOT EXISTS ltree;

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('party_committee', 'grassroots_party_org', 'government_agency',
                                              'fatherland_front', 'mass_organization', 'other')),
    parent_id   uuid REFERENCES units (id),
    -- ids from the root, dashes removed: "is X under Y" is one indexed `<@`.
    path        ltree NOT NULL,
    version     int NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX units_code ON units (lower(code));
CREATE INDEX units_path ON units USING gist (path);
CREATE INDEX units_parent ON units (parent_id, fold(name), id);
CREATE INDEX units_name_search ON units USING gin (fold(name) gin_trgm_ops);

CREATE TABLE people (
    id          uuid PRIMARY KEY,
    full_name   text NOT NULL CHECK (full_name <> ''),
    unit_id     uuid NOT NULL REFERENCES units (id),
    position    text,
    birth_year  int CHECK (birth_year BETWEEN 1900 AND 2100),
    version     int NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_unit ON people (unit_id);
CREATE INDEX people_name_search ON people USING gin (fold(full_name) gin_trgm_ops);
CREATE INDEX people_sort ON people (fold(full_name), id);

CREATE TABLE accounts (
    id             uuid PRIMARY KEY,
    username       text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'committee', 'officer')),
    unit_id        uuid REFERENCES units (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'officer' OR unit_id IS NOT NULL)
);
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));

-- The token signing keys; only this service holds them.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
