//! Engine of the IL-EMPOWER improvement cycle (improvement.md): the due
//! dates of a school year and whether an item is late, the needs
//! assessment on the quality framework, the work plan's checks (learning
//! partner, SMART goals, strategies, a 1003(a) budget within the
//! allocation), the approval chain (school → district → state) and what
//! changed between two versions. Pure: dates and values in, decisions
//! out; the caller brings "today" in the state's time zone.

pub mod assessment;
pub mod cycle;
pub mod plan;
pub mod rules;

pub use assessment::{Assessment, Finding, Rating};
pub use cycle::{amend, review, submit, timeliness, Decision, Level, PlanStatus, Timeliness};
pub use empower_calendar::{school_year_label, Date};
pub use plan::{check_budget, check_submission, diff, PlanContent, Problem, SectionDiff};
pub use rules::{CycleRules, DueDates, Framework, RulesError};

#[cfg(test)]
mod tests;
