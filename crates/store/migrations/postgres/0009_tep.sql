-- The Teaching Excellence Program (tep.md). The ledger's invariants are
-- the database's, not only the code's:
-- * a fiscal year's committed and paid money never exceeds its
--   appropriation (a CHECK on the one row every booking updates, in the
--   booking's own transaction, so that no number of concurrent requests
--   and no crash can pass it);
-- * the line is gapless per fiscal year: the next number is taken from
--   that row in the transaction that inserts the request (a rolled-back
--   request takes none), and UNIQUE (fiscal_year, sequence) refuses a
--   duplicate;
-- * one request per educator, type and year, and one per idempotency key.
-- Money is whole cents.

CREATE TABLE tep_fiscal_years (
    fiscal_year BIGINT PRIMARY KEY,
    appropriation_cents BIGINT NOT NULL CHECK (appropriation_cents >= 0),
    committed_cents BIGINT NOT NULL DEFAULT 0 CHECK (committed_cents >= 0),
    paid_cents BIGINT NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
    next_sequence BIGINT NOT NULL DEFAULT 1 CHECK (next_sequence >= 1),
    updated_at BIGINT NOT NULL,
    CHECK (committed_cents + paid_cents <= appropriation_cents)
);

CREATE TABLE tep_educators (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    license TEXT NOT NULL CHECK (license IN ('PEL', 'ELS-CTE', 'ELS-CTEP', 'ELS-PCTE')),
    role TEXT NOT NULL CHECK (role IN ('teacher', 'counselor')),
    nbpts TEXT NOT NULL CHECK (nbpts IN ('none', 'candidate', 'certified', 'renewal')),
    district_rcdts TEXT,
    school_rcdts TEXT,
    full_time BIGINT NOT NULL CHECK (full_time IN (0, 1)),
    originally_assigned BIGINT NOT NULL CHECK (originally_assigned IN (0, 1)),
    retired TEXT CHECK (retired IN ('TRS', 'CTPF')),
    -- The employer's verification of the position facts as given.
    verification TEXT CHECK (verification IN ('confirmed', 'rejected')),
    verification_reason TEXT,
    verified_by BIGINT REFERENCES users (id),
    verified_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tep_requests (
    id BIGSERIAL PRIMARY KEY,
    fiscal_year BIGINT NOT NULL REFERENCES tep_fiscal_years (fiscal_year),
    sequence BIGINT NOT NULL,
    educator_id BIGINT NOT NULL REFERENCES users (id),
    payment_type TEXT NOT NULL CHECK (payment_type IN ('fee', 'renewal', 'retention', 'mentoring', 'incentive_d', 'training_g')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'funded', 'paid', 'waitlisted', 'denied')),
    reason TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (fiscal_year, sequence),
    UNIQUE (educator_id, payment_type, fiscal_year),
    UNIQUE (educator_id, idempotency_key)
);

-- Every decision on a request, with its reason (explainable).
CREATE TABLE tep_entries (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES tep_requests (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX tep_entries_request ON tep_entries (request_id);
