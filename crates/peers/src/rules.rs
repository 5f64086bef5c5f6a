use empower_model::{Group, Subject};
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
}

impl HpRules {
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, String> {
        let r: HpRules = toml::from_str(text).map_err(|e| format!("{source_name}: {e}"))?;
        r.validate().map_err(|e| format!("{source_name}: {e}"))?;
        Ok(r)
    }

    fn validate(&self) -> Result<(), String> {
        if self.window_years == 0 {
            return Err("window_years must be at least 1".into());
        }
        if !self.predictors.contains(&self.band_predictor) {
            return Err(format!(
                "band_predictor `{}` is not among the predictors",
                self.band_predictor
            ));
        }
        if self.exceptions.is_empty() || self.overall_rank.is_empty() {
            return Err("the exceptions and overall_rank tables need rows".into());
        }
        for (p, figure) in &self.longitudinal.predictors {
            if !STUDENT_FIGURES.contains(&figure.as_str()) {
                return Err(format!(
                    "longitudinal.predictors.{p}: `{figure}` is not a figure of the student records ({})",
                    STUDENT_FIGURES.join(", ")
                ));
            }
        }
        if self.band_width <= 0.0 {
            return Err("band_width must be positive".into());
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
