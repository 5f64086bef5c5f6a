//! Cells of the higher-performing analysis: one school's row of one
//! (year, grade, subject, prior-performance group). The model reads them,
//! importers write them: the shared vocabulary of both.

use crate::{Grade, SchoolId};
use serde::{Deserialize, Serialize};

/// Prior-performance group of a longitudinal middle or high school cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorGroup {
    /// Snapshot data and elementary schools: one group.
    All,
    /// Met the standard in the prior year.
    Met,
    NotMet,
}

impl PriorGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            PriorGroup::All => "all",
            PriorGroup::Met => "met",
            PriorGroup::NotMet => "not_met",
        }
    }

    pub fn parse(s: &str) -> Option<PriorGroup> {
        match s.trim() {
            "" | "all" => Some(PriorGroup::All),
            "met" => Some(PriorGroup::Met),
            "not_met" => Some(PriorGroup::NotMet),
            _ => None,
        }
    }
}

/// One (year, grade, subject, assessment, prior-performance group).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellKey {
    pub year: u16,
    pub grade: Grade,
    pub subject: String,
    /// The test the results come from, when a file says (an elementary and
    /// a high-school test never share a regression); `None`: one test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<String>,
    pub group: PriorGroup,
}

/// One school's row of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellRow {
    /// Where the row came from (input line), for error messages.
    pub line: usize,
    pub rcdts: SchoolId,
    pub key: CellKey,
    pub n: Option<f64>,
    pub performance: Option<f64>,
    pub proficient_pct: Option<f64>,
    /// Values of the rules' predictors, in their order.
    pub predictors: Vec<Option<f64>>,
    pub ayp_met: Option<bool>,
    pub participation_pct: Option<f64>,
    pub school_type: Option<String>,
}
