//! Which districts a fiscal year's reviews are for (rar.md "Selection"):
//! every district's schools with a designation of record on the report
//! card used, how many are identified (and by which designation), the
//! share and weighted share, the longest run of years any school has been
//! in status; the default rule, the ranking, and the state's additions
//! and removals, each with its reason.

use crate::rules::Selection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A school of the report card used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolFacts {
    pub rcdts: String,
    pub district: String,
    /// Its designation of record that year (`None`: it has none, and is
    /// not counted among the district's schools).
    pub designation: Option<String>,
    /// Consecutive years in support status up to and counting the year
    /// used (`years_in_status`).
    pub years_in_status: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictFacts {
    pub rcdts: String,
    pub name: String,
}

/// The state's addition or removal of a district, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub district: String,
    pub selected: bool,
    pub reason: String,
}

/// One district's figures and the decision (api.md's selection item).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistrictSelection {
    pub district_rcdts: String,
    pub name: String,
    /// Schools with a designation of record.
    pub schools: u32,
    /// Of them, identified (a designation the rules weigh).
    pub identified: u32,
    /// Identified schools by designation, in the rules' order of weight
    /// (heaviest first).
    pub by_designation: Vec<(String, u32)>,
    /// identified ÷ schools, 0..1.
    pub share: f64,
    /// Σ weights of the identified ÷ (largest weight × schools), 0..1.
    pub weighted_share: f64,
    /// The most consecutive years any of its schools has been in status.
    pub years_in_status: u32,
    /// 1 = first in the ranking (weighted share, then years in status).
    pub rank: u32,
    /// What the default rule says, before the state's changes.
    pub selected_by_rule: bool,
    pub selected: bool,
    /// Why it is or is not selected.
    pub reason: String,
}

/// Consecutive years in status ending with (and counting) `year`, from a
/// school's status by year (`true`: in status).
pub fn years_in_status(in_status: &BTreeMap<u16, bool>, year: u16) -> u32 {
    let mut n = 0;
    let mut y = year;
    while in_status.get(&y).copied().unwrap_or(false) {
        n += 1;
        match y.checked_sub(1) {
            Some(prev) => y = prev,
            None => break,
        }
    }
    n
}

/// A share 0..1 as a percentage: whole when it is, else one decimal.
pub fn share_words(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Every district's figures, ranked, with the default rule's decision and
/// the state's overrides applied. Districts with no school of record are
/// listed last, not selected.
pub fn select(
    rules: &Selection,
    districts: &[DistrictFacts],
    schools: &[SchoolFacts],
    overrides: &[Override],
) -> Vec<DistrictSelection> {
    let max_weight = rules.max_weight();
    let mut order: Vec<(&String, f64)> = rules.weights.iter().map(|(d, w)| (d, *w)).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut rows: Vec<DistrictSelection> = districts
        .iter()
        .map(|d| {
            let mine: Vec<&SchoolFacts> = schools
                .iter()
                .filter(|s| s.district == d.rcdts && s.designation.is_some())
                .collect();
            let n = mine.len() as u32;
            let weight_of = |s: &SchoolFacts| {
                s.designation
                    .as_ref()
                    .and_then(|x| rules.weights.get(x))
                    .copied()
            };
            let identified: Vec<&&SchoolFacts> =
                mine.iter().filter(|s| weight_of(s).is_some()).collect();
            let weights: f64 = identified.iter().filter_map(|s| weight_of(s)).sum();
            let share = if n == 0 {
                0.0
            } else {
                identified.len() as f64 / n as f64
            };
            let weighted_share = if n == 0 || max_weight <= 0.0 {
                0.0
            } else {
                weights / (max_weight * n as f64)
            };
            DistrictSelection {
                district_rcdts: d.rcdts.clone(),
                name: d.name.clone(),
                schools: n,
                identified: identified.len() as u32,
                by_designation: order
                    .iter()
                    .map(|(name, _)| {
                        (
                            name.to_string(),
                            identified
                                .iter()
                                .filter(|s| s.designation.as_deref() == Some(name.as_str()))
                                .count() as u32,
                        )
                    })
                    .filter(|(_, c)| *c > 0)
                    .collect(),
                share,
                weighted_share,
                years_in_status: mine.iter().map(|s| s.years_in_status).max().unwrap_or(0),
                rank: 0,
                selected_by_rule: false,
                selected: false,
                reason: String::new(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.schools > 0)
            .cmp(&(a.schools > 0))
            .then(b.weighted_share.total_cmp(&a.weighted_share))
            .then(b.years_in_status.cmp(&a.years_in_status))
            .then(b.share.total_cmp(&a.share))
            .then(a.name.cmp(&b.name))
            .then(a.district_rcdts.cmp(&b.district_rcdts))
    });
    let mut taken = 0u32;
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
        let figures = format!(
            "{} of {} identified ({}; weighted share {:.3}; up to {} in status)",
            r.identified,
            plural(r.schools, "school", "schools"),
            share_words(r.share),
            r.weighted_share,
            plural(r.years_in_status, "year", "years"),
        );
        let meets_count = r.identified >= rules.min_identified;
        let meets_share = r.share + 1e-12 >= rules.min_share;
        r.reason = if r.schools == 0 {
            "no school with a designation of record on the report card used".to_string()
        } else if !meets_count {
            format!(
                "not selected: {figures}; the rule needs at least {}",
                plural(
                    rules.min_identified,
                    "identified school",
                    "identified schools"
                )
            )
        } else if !meets_share {
            format!(
                "not selected: {figures}; the rule needs at least {} of the schools identified",
                share_words(rules.min_share)
            )
        } else if rules.max_selected.is_some_and(|m| taken >= m) {
            format!(
                "not selected: {figures}; meets the rule but ranks below the {} districts selected",
                rules.max_selected.unwrap_or_default()
            )
        } else {
            taken += 1;
            r.selected_by_rule = true;
            format!(
                "selected: {figures}; at least {} and {} identified",
                plural(rules.min_identified, "school", "schools"),
                share_words(rules.min_share)
            )
        };
        r.selected = r.selected_by_rule;
        if let Some(o) = overrides
            .iter()
            .rev()
            .find(|o| o.district == r.district_rcdts)
        {
            r.selected = o.selected;
            r.reason = format!(
                "{} by the state: {} (the rule: {})",
                if o.selected { "added" } else { "removed" },
                o.reason.trim(),
                r.reason
            );
        }
    }
    rows
}
