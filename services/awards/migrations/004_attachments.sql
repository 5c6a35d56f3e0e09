-- A nomination's dossier: the files its unit's officers attach while it may
-- still be edited (domain/dossier.py). The bytes live here, in the service's
-- own database, so a backup of the service keeps them with the nomination
-- they prove. A removed file's row is deleted; the audit log keeps its name,
-- size and SHA-256 (the `attach`/`detach` rows of the nomination's history).
CREATE TABLE attachments (
    id                uuid PRIMARY KEY,
    nomination_id     uuid NOT NULL REFERENCES nominations (id),
    filename          text NOT NULL CHECK (filename <> '' AND length(filename) <= 200),
    content_type      text NOT NULL CHECK (content_type IN (
                          'application/pdf',
                          'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                          'image/jpeg',
                          'image/png')),
    size              int NOT NULL CHECK (size > 0 AND size <= 20 * 1024 * 1024),
    sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content           bytea NOT NULL CHECK (length(content) = size),
    uploaded_by       uuid NOT NULL,
    uploaded_by_name  text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_nomination ON attachments (nomination_id, created_at, id);
-- PDFs, images and Office packages are compressed already: stored out of line, as they are.
ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;
