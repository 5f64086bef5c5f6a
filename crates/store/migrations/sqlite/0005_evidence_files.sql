-- Files a school attaches to its partner application as evidence. The
-- bytes live in the database, outside any web root, and are written in
-- the same transaction as the audit record; they are served only to those
-- who may see the application.

CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES partner_applications (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX evidence_files_application ON evidence_files (application_id);
