//! "Why is my school Targeted?" — everything behind one designation, and how
//! far the school is from the next one up.

use crate::designate::{BandCuts, BandResult, Designations, NoDesignation, Reason};
use crate::index::{GroupResult, IndicatorResult};
use empower_model::{Band, Designation, Group, SchoolId};
use empower_rules::AccountabilityRules;
use serde::{Deserialize, Serialize};

/// One condition that keeps the school at its designation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    /// What has to move: `index`, `graduation-rate` or a group slug.
    pub measure: String,
    pub current: f64,
    /// The cut or threshold.
    pub threshold: f64,
    /// `threshold − current`, in the measure's points.
    pub gap: f64,
    /// True when the value must end strictly above the threshold (cuts that
    /// are "at or below"); false when reaching it is enough (the top cut).
    pub strictly_above: bool,
    pub sentence: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Explanation {
    pub year: u16,
    pub rules: String,
    pub rcdts: SchoolId,
    pub school_name: String,
    pub band: Option<Band>,
    pub designation: Option<Designation>,
    pub official_designation: Option<Designation>,
    pub reasons: Vec<Reason>,
    pub title1: bool,
    pub index: Option<f64>,
    /// Share of the band's schools with an index at or below this one.
    pub percentile: Option<f64>,
    pub cuts: Option<BandCuts>,
    pub indicators: Vec<IndicatorResult>,
    pub groups: Vec<GroupResult>,
    /// Groups the law names that the data cannot compute, with why.
    pub groups_not_computable: Vec<(Group, String)>,
    /// The rule that decided the designation, in words.
    pub deciding_rule: String,
    pub next_designation: Option<Designation>,
    pub next_steps: Vec<NextStep>,
}

/// Explains every band row of a school (one per band it is in).
pub fn explain(
    designations: &Designations,
    rules: &AccountabilityRules,
    rcdts: &SchoolId,
) -> Vec<Explanation> {
    designations
        .rows
        .iter()
        .filter(|r| &r.rcdts == rcdts)
        .map(|r| explain_row(designations, rules, r))
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.1}", x)
}

fn explain_row(d: &Designations, rules: &AccountabilityRules, r: &BandResult) -> Explanation {
    let cuts = r.band.and_then(|b| d.cuts.get(&b)).cloned();
    let percentile = match (&cuts, r.index) {
        (Some(c), Some(i)) => Some(c.percentile(i)),
        _ => None,
    };
    let (deciding_rule, next_designation, next_steps) = match (&cuts, r.index, r.designation) {
        (Some(c), Some(index), Some(des)) => reasoning(rules, c, r, index, des),
        _ => (no_index_rule(r), None, Vec::new()),
    };
    Explanation {
        year: d.year,
        rules: format!("{} (version {})", d.rules_name, d.rules_version),
        rcdts: r.rcdts.clone(),
        school_name: r.school_name.clone(),
        band: r.band,
        designation: r.designation,
        official_designation: r.official_designation,
        reasons: r.reasons.clone(),
        title1: r.title1,
        index: r.index,
        percentile,
        cuts,
        indicators: r.indicators.clone(),
        groups: r.groups.clone(),
        groups_not_computable: rules
            .groups
            .not_computable
            .iter()
            .map(|(g, why)| (*g, why.clone()))
            .collect(),
        deciding_rule,
        next_designation,
        next_steps,
    }
}

fn no_index_rule(r: &BandResult) -> String {
    for reason in &r.reasons {
        match reason {
            Reason::PairedWith(p) => {
                return format!(
                    "No assessment results of its own: takes the designation of {p}, the school of the same district its students move on to."
                )
            }
            Reason::NoDesignation(NoDesignation::NoBand) => {
                return "Serves no grade from 1 to 12, so it is in no accountability band.".into()
            }
            Reason::NoDesignation(NoDesignation::NoTestData) => {
                return "No all-students ELA or math proficiency rate and no school of the same district to pair with: no designation.".into()
            }
            _ => {}
        }
    }
    "No index.".into()
}

fn reasoning(
    rules: &AccountabilityRules,
    c: &BandCuts,
    r: &BandResult,
    index: f64,
    des: Designation,
) -> (String, Option<Designation>, Vec<NextStep>) {
    let mut why: Vec<String> = Vec::new();
    let mut steps: Vec<NextStep> = Vec::new();
    let comp_pool = match c.comprehensive_pool {
        empower_rules::Pool::Title1 => "Title I schools",
        empower_rules::Pool::All => "all schools (no Title I data)",
    };
    // Shares and pools come from the rules, so the words follow a state's changes.
    let share = |x: f64| format!("{}%", x * 100.0);
    let comp_share = share(rules.cuts.comprehensive.share);
    let targ_share = share(rules.cuts.targeted.share);
    let targ_pool = match rules.cuts.targeted.pool {
        empower_rules::Pool::Title1 => "Title I schools",
        empower_rules::Pool::All => "schools",
    };
    let top_label = format!("top-{} cut", share(rules.cuts.top.share));
    let under = r.underperforming_groups();
    let top = r.reasons.contains(&Reason::Top10);
    for reason in &r.reasons {
        match reason {
            Reason::AllStudentsBottom5 => {
                let (cut, what) = if r.title1 || c.comprehensive_pool == empower_rules::Pool::All {
                    (
                        c.comprehensive.unwrap_or(f64::NAN),
                        format!("the lowest {comp_share} of {comp_pool} in the band"),
                    )
                } else {
                    (
                        c.targeted.unwrap_or(f64::NAN),
                        format!("the lowest {targ_share} of {targ_pool} in the band (the school is not Title I)"),
                    )
                };
                why.push(format!(
                    "All-students index {} is at or below {} ({what}).",
                    pct(index),
                    pct(cut)
                ));
                steps.push(step(
                    "index",
                    index,
                    cut,
                    true,
                    format!(
                        "the all-students index needs more than +{} points (from {} to above {})",
                        pct(cut - index),
                        pct(index),
                        pct(cut)
                    ),
                ));
            }
            Reason::LowGraduationRate => {
                let g = r.graduation_rate.unwrap_or(f64::NAN);
                let t = rules.graduation.threshold;
                why.push(format!(
                    "4-year graduation rate {}% is at or below {t}%.",
                    pct(g)
                ));
                steps.push(step("graduation-rate", g, t, true, format!(
                    "the 4-year graduation rate needs more than +{} points (from {}% to above {t}%)",
                    pct(t - g), pct(g)
                )));
            }
            Reason::UnderperformingGroups(gs) => {
                let t = c.targeted.unwrap_or(f64::NAN);
                let list: Vec<String> = gs
                    .iter()
                    .map(|g| {
                        let gi = group_index(r, *g);
                        format!("{} {}", g.label(), pct(gi))
                    })
                    .collect();
                why.push(format!(
                    "Student group index at or below the Targeted cut {} (the all-students index of the lowest {targ_share} of {targ_pool}): {}.",
                    pct(t),
                    list.join(", ")
                ));
                for g in gs {
                    let gi = group_index(r, *g);
                    steps.push(step(
                        g.slug(),
                        gi,
                        t,
                        true,
                        format!(
                            "the {} group needs more than +{} index points (from {} to above {})",
                            g.label(),
                            pct(t - gi),
                            pct(gi),
                            pct(t)
                        ),
                    ));
                }
            }
            Reason::Top10 => why.push(format!(
                "All-students index {} is at or above the {top_label} {}.",
                pct(index),
                pct(c.top.unwrap_or(f64::NAN))
            )),
            _ => {}
        }
    }
    if des == Designation::Commendable {
        why.push(format!(
            "No underperforming student group{}; index {} is below the {top_label} {}.",
            if r.band == Some(rules.graduation.band) {
                " and graduation above the threshold"
            } else {
                ""
            },
            pct(index),
            pct(c.top.unwrap_or(f64::NAN))
        ));
        if let Some(t) = c.top {
            steps.push(step(
                "index",
                index,
                t,
                false,
                format!(
                    "+{} index points to Exemplary (from {} to the {top_label} {})",
                    pct(t - index),
                    pct(index),
                    pct(t)
                ),
            ));
        }
    }
    if des == Designation::Exemplary {
        why.push("No underperforming student group: Exemplary.".into());
    }
    let next = match des {
        Designation::Exemplary => None,
        Designation::Commendable => Some(Designation::Exemplary),
        Designation::Targeted => Some(if top {
            Designation::Exemplary
        } else {
            Designation::Commendable
        }),
        Designation::Comprehensive | Designation::Intensive => Some(if !under.is_empty() {
            Designation::Targeted
        } else if top {
            Designation::Exemplary
        } else {
            Designation::Commendable
        }),
    };
    // Only the conditions that keep the school at its level matter for the
    // next step up: a Comprehensive school's groups matter one level later.
    if matches!(des, Designation::Comprehensive | Designation::Intensive) && !under.is_empty() {
        steps.retain(|s| s.measure == "index" || s.measure == "graduation-rate");
    }
    (why.join(" "), next, steps)
}

fn group_index(r: &BandResult, g: Group) -> f64 {
    r.groups
        .iter()
        .find(|x| x.group == g)
        .and_then(|x| x.index)
        .unwrap_or(f64::NAN)
}

fn step(
    measure: &str,
    current: f64,
    threshold: f64,
    strictly_above: bool,
    sentence: String,
) -> NextStep {
    NextStep {
        measure: measure.to_string(),
        current,
        threshold,
        gap: threshold - current,
        strictly_above,
        sentence,
    }
}
