-- The document of a unit's action programme under a directive (a PDF or a Word file: shared/files.py),
-- one per programme: a new upload replaces it, a removal deletes the row. The bytes live here, in the
-- events service's own database, with the programme they belong to (services/events/directives/).
CREATE TABLE directive_programme_documents (
    programme_id  uuid PRIMARY KEY REFERENCES directive_programmes (id) ON DELETE CASCADE,
    filename      text NOT NULL CHECK (filename <> '' AND length(filename) <= 200),
    content_type  text NOT NULL CHECK (content_type IN (
                      'application/pdf',
                      'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
    size          int NOT NULL CHECK (size > 0 AND size <= 20 * 1024 * 1024),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content       bytea NOT NULL CHECK (length(content) = size),
    uploaded_by   uuid NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
-- PDFs and Office packages are compressed already: stored out of line, as they are.
ALTER TABLE directive_programme_documents ALTER COLUMN content SET STORAGE EXTERNAL;
