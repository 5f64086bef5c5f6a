-- Peer Learning Partners: rounds, applications (a school's, per round),
-- engagements between a school in support and an approved partner.
-- Dates are calendar dates (YYYY-MM-DD), instants seconds since the epoch.
-- Lists and nested records are JSON text.

CREATE TABLE partner_rounds (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    decision_on TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE partner_applications (
    id BIGSERIAL PRIMARY KEY,
    school_rcdts TEXT NOT NULL,
    round_id BIGINT NOT NULL REFERENCES partner_rounds (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'declined')),
    regions TEXT NOT NULL,
    priority_areas TEXT NOT NULL,
    services TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    contacts TEXT NOT NULL,
    evidence TEXT NOT NULL,
    -- The report card's facts as the school saw them when it submitted.
    prefill TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES users (id),
    decision_reason TEXT,
    -- Set when an approved partner's designation drops (an import): the
    -- state reviews it; cleared by a new decision.
    review_reason TEXT,
    flagged_at BIGINT,
    UNIQUE (school_rcdts, round_id)
);
CREATE INDEX partner_applications_status ON partner_applications (status);

CREATE TABLE engagements (
    id BIGSERIAL PRIMARY KEY,
    school_rcdts TEXT NOT NULL,
    partner_application_id BIGINT NOT NULL REFERENCES partner_applications (id),
    priority_area TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    agreement TEXT NOT NULL,
    budget_cents BIGINT NOT NULL,
    budget_description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted')),
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    accepted_by BIGINT REFERENCES users (id),
    accepted_at BIGINT
);
CREATE INDEX engagements_school ON engagements (school_rcdts);
CREATE INDEX engagements_partner ON engagements (partner_application_id);
