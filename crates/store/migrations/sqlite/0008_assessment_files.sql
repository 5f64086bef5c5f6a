-- Files a school (or its engaged partner) attaches to a needs assessment
-- as evidence for one indicator. Like a partner application's files: the
-- bytes live in the database, outside any web root, written with their
-- audit record, and are served only to those who may see the assessment.
CREATE TABLE assessment_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id BIGINT NOT NULL REFERENCES needs_assessments (id),
    indicator TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX assessment_files_assessment ON assessment_files (assessment_id);
