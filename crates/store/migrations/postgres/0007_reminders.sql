-- Reminders of the improvement cycle queued to the outbox: one row per
-- person, school, item and day, so that a reminder repeats only as often
-- as the rules allow and a run repeated the same day queues nothing new.
CREATE TABLE reminders (
    school_rcdts TEXT NOT NULL,
    school_year BIGINT NOT NULL,
    item TEXT NOT NULL CHECK (item IN ('needs-assessment', 'work-plan')),
    to_email TEXT NOT NULL,
    queued_on TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    PRIMARY KEY (school_rcdts, school_year, item, to_email, queued_on)
);
