//! Higher-performing schools, after the NCEA / Just for the Kids model
//! (`spec/higher-performing.md`, seed 003): for every cell (year, grade,
//! subject, prior-performance group) a weighted least-squares regression of
//! performance on school demographics, residuals ranked within low-income
//! bands, then per school and subject the criteria (individual ranks with
//! exceptions, overall rank, AYP or participation, opportunity gaps).
//!
//! Pure: cells in, results out. Every number of the criteria is in
//! [`HpRules`], loaded from `states/<state>/higher-performing.toml`.

mod criteria;
mod from_records;
mod gaps;
mod index;
mod longitudinal;
mod percentile;
mod regression;
mod rules;
mod similar;
mod validate;

#[cfg(test)]
mod criteria_tests;

pub use criteria::{
    higher_performing, AccountabilityYear, CellResult, CellStat, CheckUsed, Failure, HpReport,
    Slot, SubjectResult,
};
pub use empower_model::{CellKey, CellRow, PriorGroup, Race, StudentRecord};
pub use from_records::{cells_from_records, CellsBuild};
pub use gaps::{opportunity_gaps, top_comparable_schools, Gap};
pub use longitudinal::{AggregateCell, CellSums, DuplicateRecords, Enrollment};
pub use percentile::percentile_ranks;
pub use regression::{weighted_least_squares, Fit};
pub use rules::{
    Assessment, AssessmentUnknown, HpRules, LongitudinalRules, MeasureRef, ReportCardCells,
    TableRow,
};
pub use similar::{
    missing_predictors, predictor_coverage, similar_schools, sparse_neighbours, SimilarIndex,
    SimilarSchool,
};
pub use validate::{validate, CellsError};
