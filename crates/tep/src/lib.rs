//! The Teaching Excellence Program (23 Ill. Adm. Code 25.444, 105 ILCS
//! 5/21B-70; spec: tep.md), as pure functions of a fiscal year's rules:
//! who qualifies for which payment and why not (`eligibility`), the
//! first-come first-served ledger (`ledger`), and mentoring logs and the
//! (g) announcement (`mentoring`). No clock, file, SQL or HTTP: the
//! caller gives the dates and the entries.

pub mod eligibility;
pub mod ledger;
pub mod mentoring;
pub mod rules;

pub use eligibility::{
    eligibility, locale_code, Educator, Eligibility, License, Nbpts, Pension, Role, SchoolFacts,
};
pub use ledger::{
    decide, lapse, place_in_line, reservation_lapsed, rewalk, totals, Decision, Entry, EntryStatus,
    NewRequest, Totals,
};
pub use rules::{fiscal_year_of, rules_for, FiscalYearRules, PaymentType, RulesError, SLUGS};

#[cfg(test)]
mod tests;
