//! The needs assessment: a rating and supporting evidence per indicator of
//! the quality framework, the school's priority areas, and the findings
//! the work plan's section 2 is drawn from.

use crate::plan::Problem;
use crate::rules::Framework;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One indicator's rating.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rating {
    /// One of the framework's levels; empty while not rated.
    pub level: String,
    pub evidence: String,
    /// Links to further evidence.
    pub links: Vec<String>,
    /// Facts chosen from the school's own profile, as the profile words
    /// them (never typed: the use case refuses a fact the profile lacks).
    pub data: Vec<String>,
}

/// The assessment: ratings by indicator code and the priority areas the
/// school chooses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Assessment {
    pub ratings: BTreeMap<String, Rating>,
    pub priority_areas: Vec<String>,
}

/// Checks ratings as they are saved: known indicators and levels, links
/// that are web addresses.
pub fn check_ratings(f: &Framework, ratings: &BTreeMap<String, Rating>) -> Vec<Problem> {
    let mut out = Vec::new();
    for (code, r) in ratings {
        let at = format!("ratings.{code}");
        if f.indicator(code).is_none() {
            out.push(Problem {
                field: at.clone(),
                message: format!("`{code}` is not an indicator of the framework"),
            });
            continue;
        }
        if !r.level.is_empty() && f.level_rank(&r.level).is_none() {
            out.push(Problem {
                field: format!("{at}.level"),
                message: format!(
                    "`{}` is not a level: one of {}",
                    r.level,
                    f.levels.join(", ")
                ),
            });
        }
        for l in &r.links {
            if !(l.starts_with("https://") || l.starts_with("http://")) {
                out.push(Problem {
                    field: format!("{at}.links"),
                    message: format!("`{l}` is not a web address (https://...)"),
                });
            }
        }
    }
    out
}

/// What stops the assessment from being submitted: an indicator not
/// rated or without evidence, no priority area.
pub fn check_submission(f: &Framework, a: &Assessment, areas: &[String]) -> Vec<Problem> {
    let mut out = check_ratings(f, &a.ratings);
    let unrated: Vec<&str> = f
        .standard
        .iter()
        .flat_map(|s| &s.indicator)
        .filter(|i| a.ratings.get(&i.code).is_none_or(|r| r.level.is_empty()))
        .map(|i| i.code.as_str())
        .collect();
    if !unrated.is_empty() {
        out.push(Problem {
            field: "ratings".into(),
            message: format!(
                "rate every indicator: {} of {} are not rated ({})",
                unrated.len(),
                f.indicator_count(),
                unrated.join(", ")
            ),
        });
    }
    let bare: Vec<&str> = a
        .ratings
        .iter()
        .filter(|(_, r)| !r.level.is_empty() && r.evidence.trim().is_empty() && r.links.is_empty())
        .map(|(c, _)| c.as_str())
        .collect();
    if !bare.is_empty() {
        out.push(Problem {
            field: "ratings".into(),
            message: format!(
                "give supporting evidence for every rating ({})",
                bare.join(", ")
            ),
        });
    }
    if a.priority_areas.is_empty() {
        out.push(Problem {
            field: "priority_areas".into(),
            message: "choose the school's priority area(s)".into(),
        });
    }
    for p in &a.priority_areas {
        if !areas.contains(p) {
            out.push(Problem {
                field: "priority_areas".into(),
                message: format!("`{p}` is not a priority area: one of {}", areas.join(", ")),
            });
        }
    }
    out
}

/// A finding: an indicator's rating, weakest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub standard: String,
    pub indicator: String,
    pub text: String,
    pub level: String,
    pub evidence: String,
}

/// The rated indicators, weakest level first, then in framework order.
pub fn findings(f: &Framework, a: &Assessment) -> Vec<Finding> {
    let mut out: Vec<(usize, usize, Finding)> = Vec::new();
    let mut order = 0;
    for s in &f.standard {
        for i in &s.indicator {
            order += 1;
            let Some(r) = a.ratings.get(&i.code) else {
                continue;
            };
            let Some(rank) = f.level_rank(&r.level) else {
                continue;
            };
            out.push((
                rank,
                order,
                Finding {
                    standard: s.name.clone(),
                    indicator: i.code.clone(),
                    text: i.text.clone(),
                    level: r.level.clone(),
                    evidence: r.evidence.clone(),
                },
            ));
        }
    }
    out.sort_by_key(|(rank, order, _)| (*rank, *order));
    out.into_iter().map(|(_, _, f)| f).collect()
}

/// Section 2 of the work plan, drawn from the findings.
pub fn findings_text(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} · {} — {}: {}",
                f.level,
                f.standard,
                f.text.trim_end_matches('.'),
                f.evidence.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
