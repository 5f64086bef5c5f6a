-- The IL-EMPOWER improvement cycle: what the program adds to a school's
-- published support status (its 1003(a) allocation, its coordinator),
-- help-line requests, needs assessments and work plans per school year,
-- each submitted version of a plan, and every transition of the approval
-- chain. Documents (ratings, plan content) are JSON text; money is whole
-- cents; `*_on` columns are the state's calendar dates (YYYY-MM-DD).

CREATE TABLE school_support (
    rcdts TEXT PRIMARY KEY,
    allocation_cents BIGINT,
    coordinator_id BIGINT REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE help_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_rcdts TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    assignee_id BIGINT REFERENCES users (id),
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX help_requests_school ON help_requests (school_rcdts);

CREATE TABLE help_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES help_requests (id),
    body TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX help_replies_request ON help_replies (request_id);

CREATE TABLE needs_assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_rcdts TEXT NOT NULL,
    school_year BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    content TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    submitted_on TEXT,
    UNIQUE (school_rcdts, school_year)
);

CREATE TABLE work_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_rcdts TEXT NOT NULL,
    school_year BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'lea_approved', 'approved')),
    -- The version being written or reviewed; each submission records one.
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    -- The first submission's date: lateness is judged on it.
    first_submitted_on TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (school_rcdts, school_year)
);

CREATE TABLE work_plan_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id BIGINT NOT NULL REFERENCES work_plans (id),
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    -- The plan as the reviewers read it, section by section.
    sections TEXT NOT NULL,
    submitted_by BIGINT REFERENCES users (id),
    submitted_at BIGINT NOT NULL,
    submitted_on TEXT NOT NULL,
    UNIQUE (plan_id, version)
);

CREATE TABLE work_plan_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id BIGINT NOT NULL REFERENCES work_plans (id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('submit', 'review', 'amend')),
    level TEXT,
    decision TEXT,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    -- [{section, text}]
    comments TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX work_plan_events_plan ON work_plan_events (plan_id);
