//! Resource Allocation Reviews (ESSA §1111(d)(3)(A)(ii); spec: rar.md), as
//! pure functions of the rules (`states/<state>/rar/rar.toml`): which
//! districts are selected in a fiscal year from their schools'
//! designations of record, ranked, each with its reason (`selection`);
//! when a notice is late and the letter it carries (`notice`); the four
//! properties, the rubric's levels and where a team's members disagree
//! (`review`). No clock, file, SQL or HTTP: the caller gives the facts.

pub mod notice;
pub mod review;
pub mod rules;
pub mod selection;

pub use rules::{RarRules, RulesError};
pub use selection::{
    select, years_in_status, DistrictFacts, DistrictSelection, Override, SchoolFacts,
};

#[cfg(test)]
mod tests;
