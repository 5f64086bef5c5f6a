-- The report-card files imported (kept whole: every publication is
-- recomputed from all of them), and what was published from them.

CREATE TABLE sources (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The report-card year the file was imported for (files without a
    -- year column), or NULL.
    year INTEGER,
    bytes BLOB NOT NULL,
    added_at TEXT NOT NULL
);

CREATE TABLE publications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    -- Hash of the set of sources: publishing the same set again changes nothing.
    sources_sha256 TEXT NOT NULL,
    summary TEXT NOT NULL
);

CREATE TABLE report_years (
    year INTEGER PRIMARY KEY,
    -- Rules that computed the year's designations (NULL: official only).
    rules_name TEXT,
    rules_version TEXT,
    computed INTEGER NOT NULL,
    official INTEGER NOT NULL
);

CREATE TABLE districts (
    rcdts TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    city TEXT NOT NULL,
    county TEXT NOT NULL,
    region TEXT NOT NULL
);

CREATE TABLE schools (
    rcdts TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower-case name, city, district, county and id, for search.
    search_key TEXT NOT NULL,
    district TEXT NOT NULL,
    district_name TEXT NOT NULL,
    city TEXT NOT NULL,
    county TEXT NOT NULL,
    region TEXT NOT NULL,
    grades TEXT NOT NULL,
    -- The profile document (demographics, indicators, groups, higher-
    -- performing results, similar schools, gaps) as JSON.
    profile TEXT NOT NULL
);
CREATE INDEX schools_district ON schools (district);
CREATE INDEX schools_name ON schools (name);

CREATE TABLE designations (
    year INTEGER NOT NULL,
    rcdts TEXT NOT NULL,
    -- '' for an official designation (one per school).
    band TEXT NOT NULL,
    source TEXT NOT NULL,
    designation TEXT,
    idx REAL,
    reasons TEXT NOT NULL,
    -- 1 on the designation of record of the school and year.
    of_record INTEGER NOT NULL,
    PRIMARY KEY (year, rcdts, band, source)
);
CREATE INDEX designations_rcdts ON designations (rcdts);

CREATE TABLE explanations (
    year INTEGER NOT NULL,
    rcdts TEXT NOT NULL,
    band TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (year, rcdts, band)
);

CREATE TABLE support_status (
    rcdts TEXT NOT NULL,
    year INTEGER NOT NULL,
    status TEXT,
    cohort_year INTEGER,
    term TEXT,
    event TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (rcdts, year)
);
