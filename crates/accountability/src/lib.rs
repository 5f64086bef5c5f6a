//! The accountability engine: report-card values in, designations and their
//! explanations out. Pure: no files, no database, no HTTP. Rules come in as
//! [`empower_rules::AccountabilityRules`]; data as [`SchoolData`], usually
//! built from canonical records with [`SchoolData::from_records`].

mod calibrate;
mod compare;
mod designate;
mod explain;
mod fidelity;
mod improved;
mod index;
mod input;
mod near;
mod status;

#[cfg(test)]
mod rule_tests;

pub use calibrate::{calibrate, CalibrationGrid, CalibrationResult, GridChoice, GridDimension};
pub use compare::{compare_runs, Comparison, Move, RunRow, Transition};
pub use designate::{
    designate, designate_with, reason_words, BandCuts, BandResult, Designations, Detail,
    NoDesignation, Reason,
};
pub use explain::{explain, Explanation, NextStep};
pub use fidelity::{fidelity, Disagreement, Fidelity, Tally};
pub use improved::{improved, ImprovedReport, Improvement};
pub use index::{GroupResult, IndicatorResult, IndicatorStatus};
pub use input::{Identity, Observation, SchoolData, SchoolsPart};
pub use near::{near_cut, Cut, NearCut};
pub use status::{support_status, StatusEvent, StatusYear, YearDesignation};
