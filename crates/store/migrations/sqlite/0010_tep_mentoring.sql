-- The Teaching Excellence Program, continued (tep.md): reservations that
-- lapsed unverified, mentoring agreements and their recipients, the logs
-- each recipient signs as themselves, and the (g) announcement.

-- When a reservation lapsed without the employer's verification: the
-- request keeps its place but is not reserved again until verified.
ALTER TABLE tep_requests ADD COLUMN lapsed_at BIGINT;

-- A written agreement among the mentor, the building administrator (or
-- mentor coordinator) and the recipients, or a district's formal program
-- (25.444(c)(1)(B), (d)). `kind`: a mentoring / professional
-- development log, or an NBPTS candidate-assistance log.
CREATE TABLE tep_agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fiscal_year BIGINT NOT NULL,
    mentor_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('mentoring', 'candidate-assistance')),
    framework TEXT NOT NULL CHECK (framework IN ('agreement', 'district-program')),
    administrator TEXT NOT NULL,
    goals TEXT NOT NULL,
    duration TEXT NOT NULL,
    time_per_recipient TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tep_agreements_mentor ON tep_agreements (mentor_id, fiscal_year);

-- Each recipient, with the district that employs them; `notified_at`
-- when the mentor's notice went to that district (it differs from the
-- mentor's own).
CREATE TABLE tep_agreement_recipients (
    agreement_id BIGINT NOT NULL REFERENCES tep_agreements (id),
    recipient_id BIGINT NOT NULL REFERENCES users (id),
    district_rcdts TEXT,
    notified_at BIGINT,
    PRIMARY KEY (agreement_id, recipient_id)
);
CREATE INDEX tep_agreement_recipients_recipient ON tep_agreement_recipients (recipient_id);

-- A line of the log: the recipient signs it as themselves.
CREATE TABLE tep_log_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id BIGINT NOT NULL,
    recipient_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes > 0),
    -- The standards or NBPTS requirements addressed, one per line.
    addressed TEXT NOT NULL,
    needs TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    signed_at BIGINT,
    FOREIGN KEY (agreement_id, recipient_id) REFERENCES tep_agreement_recipients (agreement_id, recipient_id)
);
CREATE INDEX tep_log_entries_agreement ON tep_log_entries (agreement_id);

-- The (g) instructional leadership training announcement, published no
-- later than June 1 of the fiscal year.
CREATE TABLE tep_announcements (
    fiscal_year BIGINT PRIMARY KEY REFERENCES tep_fiscal_years (fiscal_year),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    purposes TEXT NOT NULL,
    stipend_cents BIGINT NOT NULL CHECK (stipend_cents > 0),
    who_may_take_part TEXT NOT NULL,
    how_to_apply TEXT NOT NULL,
    published_by BIGINT NOT NULL REFERENCES users (id),
    published_at BIGINT NOT NULL
);
