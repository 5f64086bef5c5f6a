-- Resource Allocation Reviews (rar.md): the state's additions to and
-- removals from the rule's selection, the notices with their letters,
-- the reviews with each member's and the team's ratings, the
-- facilitator's comments, and the goals with their progress.

-- Every change of a district's selection, with its reason; the latest
-- per fiscal year and district stands.
CREATE TABLE rar_overrides (
    id BIGSERIAL PRIMARY KEY,
    fiscal_year BIGINT NOT NULL,
    district_rcdts TEXT NOT NULL,
    selected BIGINT NOT NULL CHECK (selected IN (0, 1)),
    reason TEXT NOT NULL,
    decided_by BIGINT NOT NULL REFERENCES users (id),
    decided_at BIGINT NOT NULL
);
CREATE INDEX rar_overrides_year ON rar_overrides (fiscal_year, district_rcdts);

-- One notice per district and fiscal year: the date (the state's
-- calendar), whether it was late, to whom, the letter as sent.
CREATE TABLE rar_notices (
    id BIGSERIAL PRIMARY KEY,
    fiscal_year BIGINT NOT NULL,
    district_rcdts TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    late BIGINT NOT NULL CHECK (late IN (0, 1)),
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    issued_by BIGINT NOT NULL REFERENCES users (id),
    issued_at BIGINT NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at BIGINT,
    UNIQUE (fiscal_year, district_rcdts)
);

-- A district's review of a fiscal year: facilitated by the state, or
-- self-guided by the district.
CREATE TABLE rar_reviews (
    id BIGSERIAL PRIMARY KEY,
    fiscal_year BIGINT NOT NULL,
    district_rcdts TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('facilitated', 'self-guided')),
    scheduled_on TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (fiscal_year, district_rcdts)
);

-- Each member rates on their own first.
CREATE TABLE rar_member_ratings (
    review_id BIGINT NOT NULL REFERENCES rar_reviews (id),
    rater_id BIGINT NOT NULL REFERENCES users (id),
    property TEXT NOT NULL,
    level TEXT NOT NULL,
    evidence TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, rater_id, property)
);

-- The rating the team settles, with its evidence.
CREATE TABLE rar_team_ratings (
    review_id BIGINT NOT NULL REFERENCES rar_reviews (id),
    property TEXT NOT NULL,
    level TEXT NOT NULL,
    evidence TEXT NOT NULL,
    settled_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, property)
);

CREATE TABLE rar_comments (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES rar_reviews (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Goals for improvement from the review, and their progress.
CREATE TABLE rar_goals (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES rar_reviews (id),
    property TEXT NOT NULL,
    goal TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE rar_goal_updates (
    id BIGSERIAL PRIMARY KEY,
    goal_id BIGINT NOT NULL REFERENCES rar_goals (id),
    status TEXT NOT NULL CHECK (status IN ('not-started', 'in-progress', 'met', 'not-met')),
    note TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);
