use empower_model::{Group, MeasureCatalogue, Subject};
use empower_rules::{above, in_range, known_measure, no_duplicates, reject_non_finite};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// One row of a count → value table (exceptions allowed, required overall
/// rank). A count outside every row takes the nearest row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRow {
    pub min: usize,
    pub max: usize,
    pub value: f64,
}

/// The rules of the higher-performing analysis, all of them data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpRules {
    pub name: String,
    pub version: String,
    /// Demographic predictors of the regression (cells columns), in order.
    pub predictors: Vec<String>,
    pub intercept: bool,
    /// Minimum students for a school to enter a cell.
    pub min_students: f64,
    /// A cell needs at least k + this many schools (k predictors in use).
    pub min_schools_over_predictors: usize,
    /// Predictor whose value places a school in its rank band.
    pub band_predictor: String,
    /// Width of a rank band in percentage points (10 → ten bands).
    pub band_width: f64,
    /// Number of years in the window (the most recent ones in the input).
    pub window_years: usize,
    /// Years with no state test: their rows are not used.
    #[serde(default)]
    pub years_without_tests: Vec<u16>,
    /// Every individual rank must be at or above this.
    pub min_individual_rank: f64,
    /// Ranks in the first years of the window → exceptions allowed.
    pub exceptions: Vec<TableRow>,
    /// Ranks in the subject → required overall rank.
    pub overall_rank: Vec<TableRow>,
    /// Participation rate needed where no AYP data exists.
    pub min_participation: f64,
    /// No opportunity gap may be below this (percentage points).
    pub min_gap: f64,
    /// Comparable schools have % low income ≥ own − this.
    pub comparable_low_income_margin: f64,
    /// "Top" comparable schools: the best max(top_min, ceil(top_share × m)).
    pub top_share: f64,
    pub top_min: usize,
    /// Tolerance of every threshold comparison, in the school's favour.
    pub tolerance: f64,
    /// How many similar schools to list.
    pub similar_schools: usize,
    /// First and last year a cell or student record may carry.
    pub years: [u16; 2],
    /// Lowest and highest value of each numeric cells column: `n`,
    /// `performance`, `proficient_pct`, `participation_pct` and every
    /// predictor. A value outside stops the run (one 1e308 would turn a
    /// whole regression to NaN).
    pub ranges: IndexMap<String, [f64; 2]>,
    /// How to build cells from report-card data (canonical records).
    #[serde(default)]
    pub report_card: Option<ReportCardCells>,
    /// How to build cells from student records.
    pub longitudinal: LongitudinalRules,
}

/// Continuous enrollment and prior-performance groups of longitudinal mode.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongitudinalRules {
    /// Years at the campus (this one and the previous ones in the input).
    pub continuous_years: usize,
    /// A school serving fewer grades counts district enrollment instead.
    pub min_grades_for_campus: u32,
    /// A school whose lowest tested grade is this or above is a middle school.
    pub middle_from_grade: u8,
    /// A school with any of these grades is a high school.
    pub high_grades: Vec<u8>,
    /// Lowest performance level that meets the standard.
    pub proficient_level: u8,
    /// Lowest and highest performance level of the student records.
    pub performance_levels: [u8; 2],
    /// Lowest and highest scale score of the student records.
    pub scale_scores: [f64; 2],
    /// Race codes a student record may carry (empty = not reported).
    pub race_codes: Vec<String>,
    /// Predictor → the school-year figure of the student records it is
    /// (share of students `low_income`, `el`, `black`, `hispanic`,
    /// `asian`, or the count of `students`). Others stay empty.
    pub predictors: IndexMap<String, String>,
}

/// Figures the student records give per school and year.
pub const STUDENT_FIGURES: [&str; 6] =
    ["low_income", "el", "black", "hispanic", "asian", "students"];

/// A canonical measure of one group (and subject).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureRef {
    pub measure: String,
    #[serde(default = "all_students")]
    pub group: Group,
}

fn all_students() -> Group {
    Group::All
}

/// Which canonical measures make a cell when the input is a report card:
/// school-level rates per year, grade and subject.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCardCells {
    pub subjects: Vec<Subject>,
    /// The performance measure (a rate when no scale score exists).
    pub performance: String,
    /// The % proficient used for opportunity gaps.
    pub proficient: String,
    /// Counts standing for n, first present wins (the subject's tested
    /// count, else enrolment).
    pub n: Vec<String>,
    #[serde(default)]
    pub participation: Option<String>,
    #[serde(default)]
    pub school_type: Option<String>,
    /// Predictor → the measure it is read from.
    pub predictors: IndexMap<String, MeasureRef>,
    /// The text measure listing the grades a school serves: it tells which
    /// test a school-wide rate comes from.
    #[serde(default)]
    pub grades_served: Option<String>,
    /// Tests whose results never share a regression (an elementary and a
    /// high-school test), with the grades each covers.
    #[serde(default)]
    pub assessments: Vec<Assessment>,
}

/// A state test and the grades it covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub name: String,
    pub grades: Vec<u8>,
}

impl ReportCardCells {
    /// The test of a cell of `grade` in a school serving `served`: the one
    /// covering the grade, or for a school-wide rate (grade `all`) the one
    /// covering the school's tested grades. `Err` says why there is none:
    /// the school-wide rate mixes several tests, or no test covers the
    /// grades. `Ok(None)` when the rules name no tests.
    pub fn assessment_of(
        &self,
        grade: empower_model::Grade,
        served: Option<&[u8]>,
    ) -> Result<Option<&str>, AssessmentUnknown> {
        use empower_model::Grade;
        if self.assessments.is_empty() {
            return Ok(None);
        }
        let covering = |g: u8| self.assessments.iter().find(|a| a.grades.contains(&g));
        match grade {
            Grade::N(g) => covering(g)
                .map(|a| Some(a.name.as_str()))
                .ok_or(AssessmentUnknown::NoTestedGrade),
            Grade::K | Grade::PreK => Err(AssessmentUnknown::NoTestedGrade),
            Grade::All => {
                let Some(served) = served else {
                    return Err(AssessmentUnknown::GradesUnknown);
                };
                let mut hit: Vec<&str> = served
                    .iter()
                    .filter_map(|&g| covering(g).map(|a| a.name.as_str()))
                    .collect();
                hit.sort_unstable();
                hit.dedup();
                match hit.as_slice() {
                    [] => Err(AssessmentUnknown::NoTestedGrade),
                    [one] => Ok(Some(one)),
                    _ => Err(AssessmentUnknown::Mixed),
                }
            }
        }
    }
}

/// Why a report-card rate has no single test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssessmentUnknown {
    /// The school serves grades of two tests: its school-wide rate mixes them.
    Mixed,
    /// The files do not say which grades the school serves.
    GradesUnknown,
    /// No test covers the grades.
    NoTestedGrade,
}

impl HpRules {
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, String> {
        let doc: toml::Value = toml::from_str(text).map_err(|e| format!("{source_name}: {e}"))?;
        reject_non_finite(&doc).map_err(|e| format!("{source_name}: {e}"))?;
        let r: HpRules = doc.try_into().map_err(|e| format!("{source_name}: {e}"))?;
        r.validate().map_err(|e| format!("{source_name}: {e}"))?;
        Ok(r)
    }

    /// Numeric cells columns every rules file gives a range for.
    pub const RANGED_COLUMNS: [&'static str; 4] =
        ["n", "performance", "proficient_pct", "participation_pct"];

    /// The declared range of a cells column.
    pub fn range(&self, column: &str) -> Option<[f64; 2]> {
        self.ranges.get(column).copied()
    }

    /// Checks that the measures read from report cards are in the state's
    /// catalogue.
    pub fn check_measures(&self, catalogue: &MeasureCatalogue) -> Result<(), String> {
        let Some(rc) = &self.report_card else {
            return Ok(());
        };
        known_measure(catalogue, "report_card.performance", &rc.performance)?;
        known_measure(catalogue, "report_card.proficient", &rc.proficient)?;
        for m in &rc.n {
            known_measure(catalogue, "report_card.n", m)?;
        }
        for (key, m) in [
            ("report_card.participation", &rc.participation),
            ("report_card.school_type", &rc.school_type),
            ("report_card.grades_served", &rc.grades_served),
        ] {
            if let Some(m) = m {
                known_measure(catalogue, key, m)?;
            }
        }
        for (p, m) in &rc.predictors {
            known_measure(
                catalogue,
                &format!("report_card.predictors.{p}"),
                &m.measure,
            )?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        if self.predictors.is_empty() {
            return Err("`predictors` is empty".into());
        }
        no_duplicates("predictors", self.predictors.iter().map(String::as_str))?;
        let known_predictor = |key: &str, p: &str| -> Result<(), String> {
            if self.predictors.iter().any(|x| x == p) {
                Ok(())
            } else {
                Err(format!(
                    "`{key}`: {}",
                    empower_model::vocab::not_one_of(
                        "a predictor of `predictors`",
                        p,
                        self.predictors.iter().map(String::as_str)
                    )
                ))
            }
        };
        known_predictor("band_predictor", &self.band_predictor)?;
        in_range("window_years", self.window_years, 1, 50)?;
        in_range("min_students", self.min_students, 0.0, 1e6)?;
        in_range(
            "min_schools_over_predictors",
            self.min_schools_over_predictors,
            1,
            10_000,
        )?;
        // Bands are allocated per cell: a tiny width would ask for millions.
        in_range("band_width", self.band_width, 1.0, 100.0)?;
        in_range("min_individual_rank", self.min_individual_rank, 0.0, 100.0)?;
        if self.exceptions.is_empty() || self.overall_rank.is_empty() {
            return Err("the exceptions and overall_rank tables need rows".into());
        }
        for (name, table, hi) in [
            ("exceptions", &self.exceptions, 1e6),
            ("overall_rank", &self.overall_rank, 100.0),
        ] {
            for (i, row) in table.iter().enumerate() {
                let key = format!("{name}[{i}]");
                if row.min > row.max {
                    return Err(format!("`{key}`: min {} is above max {}", row.min, row.max));
                }
                in_range(&format!("{key}.max"), row.max, 0, 1_000_000)?;
                in_range(&format!("{key}.value"), row.value, 0.0, hi)?;
            }
        }
        in_range("min_participation", self.min_participation, 0.0, 100.0)?;
        in_range("min_gap", self.min_gap, -100.0, 100.0)?;
        in_range(
            "comparable_low_income_margin",
            self.comparable_low_income_margin,
            0.0,
            100.0,
        )?;
        above("top_share", self.top_share, 0.0, 1.0)?;
        in_range("top_min", self.top_min, 1, 1_000_000)?;
        in_range("tolerance", self.tolerance, 0.0, 0.01)?;
        in_range("similar_schools", self.similar_schools, 1, 10_000)?;
        in_range("years[0]", self.years[0], 1990, 2100)?;
        in_range("years[1]", self.years[1], self.years[0], 2100)?;
        for y in &self.years_without_tests {
            in_range("years_without_tests", *y, self.years[0], self.years[1])?;
        }
        for c in Self::RANGED_COLUMNS
            .iter()
            .copied()
            .chain(self.predictors.iter().map(String::as_str))
        {
            let [lo, hi] = self.ranges.get(c).copied().ok_or_else(|| {
                format!("`ranges` has no range for the cells column `{c}` (e.g. {c} = [0, 100])")
            })?;
            if lo > hi {
                return Err(format!(
                    "`ranges.{c}` = [{lo}, {hi}]: the first is above the second"
                ));
            }
        }
        for c in self.ranges.keys() {
            if !Self::RANGED_COLUMNS.contains(&c.as_str()) && !self.predictors.contains(c) {
                return Err(format!(
                    "`ranges`: {}",
                    empower_model::vocab::not_one_of(
                        "a numeric cells column",
                        c,
                        Self::RANGED_COLUMNS
                            .iter()
                            .copied()
                            .chain(self.predictors.iter().map(String::as_str))
                    )
                ));
            }
        }
        if let Some(rc) = &self.report_card {
            // The model packs an assessment in four bits.
            in_range("report_card.assessments", rc.assessments.len(), 0, 15)?;
            no_duplicates(
                "report_card.assessments",
                rc.assessments.iter().map(|a| a.name.as_str()),
            )?;
            let mut seen: Vec<u8> = Vec::new();
            for a in &rc.assessments {
                for &g in &a.grades {
                    in_range("report_card.assessments.grades", g, 1, 12)?;
                    if seen.contains(&g) {
                        return Err(format!(
                            "`report_card.assessments`: grade {g} is in two tests; a grade takes one"
                        ));
                    }
                    seen.push(g);
                }
            }
            if !rc.assessments.is_empty() && rc.grades_served.is_none() {
                return Err(
                    "`report_card.assessments` needs `report_card.grades_served`, the measure that says which grades a school serves"
                        .into(),
                );
            }
        }
        let l = &self.longitudinal;
        // The aggregation looks back over at most 8 prior years.
        in_range("longitudinal.continuous_years", l.continuous_years, 1, 9)?;
        in_range(
            "longitudinal.min_grades_for_campus",
            l.min_grades_for_campus,
            1,
            13,
        )?;
        in_range("longitudinal.middle_from_grade", l.middle_from_grade, 0, 12)?;
        for g in &l.high_grades {
            in_range("longitudinal.high_grades", *g, 0, 12)?;
        }
        let [lo, hi] = l.performance_levels;
        in_range("longitudinal.performance_levels[0]", lo, 0, 99)?;
        in_range("longitudinal.performance_levels[1]", hi, lo, 99)?;
        in_range("longitudinal.proficient_level", l.proficient_level, lo, hi)?;
        let [slo, shi] = l.scale_scores;
        if slo > shi {
            return Err(format!(
                "`longitudinal.scale_scores` = [{slo}, {shi}]: the first is above the second"
            ));
        }
        no_duplicates(
            "longitudinal.race_codes",
            l.race_codes.iter().map(String::as_str),
        )?;
        for (p, figure) in &l.predictors {
            known_predictor(&format!("longitudinal.predictors.{p}"), p)?;
            if !STUDENT_FIGURES.contains(&figure.as_str()) {
                return Err(format!(
                    "longitudinal.predictors.{p}: `{figure}` is not a figure of the student records ({})",
                    STUDENT_FIGURES.join(", ")
                ));
            }
        }
        if let Some(rc) = &self.report_card {
            if rc.subjects.is_empty() {
                return Err("`report_card.subjects` is empty".into());
            }
            if rc.n.is_empty() {
                return Err("`report_card.n` is empty".into());
            }
            for p in rc.predictors.keys() {
                known_predictor(&format!("report_card.predictors.{p}"), p)?;
            }
        }
        Ok(())
    }

    /// Value of a table for a count; outside the table the nearest row.
    pub fn lookup(table: &[TableRow], count: usize) -> f64 {
        let mut best = &table[0];
        let mut best_distance = usize::MAX;
        for row in table {
            let d = if count < row.min {
                row.min - count
            } else {
                count.saturating_sub(row.max)
            };
            if d < best_distance {
                best = row;
                best_distance = d;
            }
        }
        best.value
    }

    /// Number of rank bands (ten for a width of 10).
    pub fn band_count(&self) -> usize {
        (100.0 / self.band_width).ceil() as usize
    }

    /// Rank band of a % low income: `floor(pct / width)`, the top value in
    /// the last band.
    pub fn band(&self, pct_low_income: f64) -> usize {
        ((pct_low_income / self.band_width).floor().max(0.0) as usize).min(self.band_count() - 1)
    }

    pub fn at_least(&self, value: f64, threshold: f64) -> bool {
        value >= threshold - self.tolerance
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The shipped Illinois rules, for tests across the crate.
    pub(crate) fn illinois() -> HpRules {
        HpRules::from_toml(
            include_str!("../../../states/illinois/higher-performing.toml"),
            "illinois",
        )
        .unwrap()
    }

    fn table() -> Vec<TableRow> {
        vec![
            TableRow {
                min: 2,
                max: 4,
                value: 0.0,
            },
            TableRow {
                min: 5,
                max: 8,
                value: 1.0,
            },
            TableRow {
                min: 9,
                max: 12,
                value: 2.0,
            },
        ]
    }

    #[test]
    fn table_rows_and_nearest_row_outside() {
        let t = table();
        for (count, want) in [
            (1, 0.0),
            (2, 0.0),
            (4, 0.0),
            (5, 1.0),
            (8, 1.0),
            (9, 2.0),
            (12, 2.0),
            (20, 2.0),
        ] {
            assert_eq!(HpRules::lookup(&t, count), want, "count {count}");
        }
    }
}
