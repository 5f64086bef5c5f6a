//! The work plan: what the school writes, the checks before it goes to
//! the district, and what changed between two versions.

use crate::rules::{CycleRules, PLAN_PARTS};
use empower_model::money::dollars;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The learning partner the plan names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningPartner {
    /// `peer` (an approved Peer Learning Partner, by its school id) or
    /// `vendor` (entered by the state).
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// A SMART goal tied to an indicator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub indicator: String,
    pub statement: String,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub by: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub what: String,
    #[serde(default)]
    pub by: String,
}

/// A strategy tied to a need, with who owns it and how its effect shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Referenced by budget lines.
    pub id: String,
    pub need: String,
    pub description: String,
    pub owner: String,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub evidence: String,
}

/// A line of the 1003(a) budget, in whole cents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    pub strategy: String,
    pub category: String,
    pub description: String,
    pub amount_cents: i64,
}

/// What the school writes (sections 1 and 2 are drawn from the data and
/// the needs assessment when the plan is shown and submitted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanContent {
    /// Written sections by code (`3`, `4`).
    pub sections: BTreeMap<String, String>,
    pub priority_areas: Vec<String>,
    pub partner: Option<LearningPartner>,
    pub goals: Vec<Goal>,
    pub strategies: Vec<Strategy>,
    pub budget: Vec<BudgetLine>,
    pub monitoring: String,
}

/// A problem that stops a submission, with the part of the plan it is in
/// (the API's `field`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// What the submission checks know of the school.
#[derive(Clone, Debug, PartialEq)]
pub struct Context<'a> {
    /// The school's support status (`Comprehensive`...).
    pub status: Option<&'a str>,
    pub needs_assessment_submitted: bool,
    /// The 1003(a) allocation the state entered, in cents.
    pub allocation_cents: Option<i64>,
    /// Indicators a goal may name (the accountability indicators).
    pub indicators: &'a [String],
    /// Priority areas the plan may choose.
    pub priority_areas: &'a [String],
}

/// The budget's total in cents; `None` when it overflows.
pub fn budget_total(plan: &PlanContent) -> Option<i64> {
    plan.budget
        .iter()
        .try_fold(0i64, |t, l| t.checked_add(l.amount_cents))
}

/// Checks a budget on its own (saving a draft does this too): each line
/// in a known category, tied to a strategy, with a positive amount; the
/// total within the allocation.
pub fn check_budget(
    rules: &CycleRules,
    plan: &PlanContent,
    allocation: Option<i64>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, l) in plan.budget.iter().enumerate() {
        let at = format!("budget[{i}]");
        if rules.category(&l.category).is_none() {
            out.push(problem(
                format!("{at}.category"),
                format!(
                    "`{}` is not an expense category: one of {}",
                    l.category,
                    rules
                        .budget
                        .category
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !plan.strategies.iter().any(|s| s.id == l.strategy) {
            out.push(problem(
                format!("{at}.strategy"),
                format!(
                    "line {} pays for strategy `{}`, which the plan does not have: tie every line to one of its strategies",
                    i + 1,
                    l.strategy
                ),
            ));
        }
        if l.amount_cents <= 0 {
            out.push(problem(
                format!("{at}.amount_cents"),
                format!("line {} needs an amount above zero", i + 1),
            ));
        }
    }
    match (budget_total(plan), allocation) {
        (None, _) => out.push(problem("budget", "the budget's total is too large")),
        (Some(total), Some(a)) if total > a => out.push(problem(
            "budget",
            format!(
                "the budget totals {} but the school's 1003(a) allocation is {}: remove {}",
                dollars(total),
                dollars(a),
                dollars(total - a)
            ),
        )),
        (Some(total), None) if total > 0 => out.push(problem(
            "budget",
            "the state has not entered the school's 1003(a) allocation yet, so no budget can be checked against it",
        )),
        _ => {}
    }
    out
}

/// Everything that stops the plan from going to the district; empty when
/// it may go.
pub fn check_submission(rules: &CycleRules, plan: &PlanContent, ctx: &Context) -> Vec<Problem> {
    let mut out = Vec::new();
    if !ctx.needs_assessment_submitted {
        out.push(problem(
            "needs_assessment",
            "submit the needs assessment first: the plan's findings come from it",
        ));
    }
    if let Some(status) = ctx.status.filter(|s| rules.partner_required(s)) {
        if plan.partner.as_ref().is_none_or(|p| p.id.trim().is_empty()) {
            out.push(problem(
                "partner",
                format!(
                    "a school in {status} support must name an IL-EMPOWER learning partner (an approved Peer Learning Partner or a vendor partner)"
                ),
            ));
        }
    }
    if let Some(p) = &plan.partner {
        if !matches!(p.kind.as_str(), "peer" | "vendor") {
            out.push(problem(
                "partner.kind",
                format!("`{}` is not a kind of partner: peer or vendor", p.kind),
            ));
        }
    }
    for s in rules.section.iter().filter(|s| !s.prefilled) {
        if plan
            .sections
            .get(&s.code)
            .is_none_or(|t| t.trim().is_empty())
        {
            out.push(problem(
                format!("sections.{}", s.code),
                format!("write section {} ({})", s.code, s.label),
            ));
        }
    }
    if plan.priority_areas.is_empty() {
        out.push(problem(
            "priority_areas",
            "choose at least one priority area",
        ));
    }
    for a in &plan.priority_areas {
        if !ctx.priority_areas.contains(a) {
            out.push(problem(
                "priority_areas",
                format!(
                    "`{a}` is not a priority area: one of {}",
                    ctx.priority_areas.join(", ")
                ),
            ));
        }
    }
    if plan.goals.is_empty() {
        out.push(problem(
            "goals",
            "set at least one SMART goal tied to an indicator",
        ));
    }
    for (i, g) in plan.goals.iter().enumerate() {
        let at = format!("goals[{i}]");
        if !ctx.indicators.contains(&g.indicator) {
            out.push(problem(
                format!("{at}.indicator"),
                format!(
                    "goal {} names `{}`, which is not one of the school's indicators",
                    i + 1,
                    g.indicator
                ),
            ));
        }
        if g.baseline.is_none() || g.target.is_none() {
            out.push(problem(
                format!("{at}.target"),
                format!("goal {} needs a baseline and a target", i + 1),
            ));
        }
        if g.by.parse::<empower_calendar::Date>().is_err() {
            out.push(problem(
                format!("{at}.by"),
                format!(
                    "goal {} needs the date it is to be met by (2027-06-30)",
                    i + 1
                ),
            ));
        }
    }
    if plan.strategies.is_empty() {
        out.push(problem("strategies", "describe at least one strategy"));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, s) in plan.strategies.iter().enumerate() {
        let at = format!("strategies[{i}]");
        if s.id.trim().is_empty() || !ids.insert(s.id.as_str()) {
            out.push(problem(
                format!("{at}.id"),
                format!("strategy {} needs its own short id", i + 1),
            ));
        }
        for (field, value) in [
            ("need", &s.need),
            ("description", &s.description),
            ("owner", &s.owner),
        ] {
            if value.trim().is_empty() {
                out.push(problem(
                    format!("{at}.{field}"),
                    format!("strategy {} needs its {field}", i + 1),
                ));
            }
        }
    }
    if plan.monitoring.trim().is_empty() {
        out.push(problem("monitoring", "describe how the plan is monitored"));
    }
    out.extend(check_budget(rules, plan, ctx.allocation_cents));
    out
}

/// The plan as text, one entry per review section, for showing and for
/// comparing versions. Sections 1 and 2 are given (drawn from the data).
pub fn section_texts(
    rules: &CycleRules,
    plan: &PlanContent,
    prefilled: &BTreeMap<String, String>,
    category_label: impl Fn(&str) -> String,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in &rules.section {
        let text = if s.prefilled {
            prefilled.get(&s.code).cloned().unwrap_or_default()
        } else {
            plan.sections.get(&s.code).cloned().unwrap_or_default()
        };
        out.insert(s.code.clone(), text);
    }
    let goals = plan
        .goals
        .iter()
        .map(|g| {
            format!(
                "{} — {}: from {} to {} by {}",
                g.indicator,
                g.statement,
                g.baseline.map_or("?".into(), |v| v.to_string()),
                g.target.map_or("?".into(), |v| v.to_string()),
                g.by
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let strategies = plan
        .strategies
        .iter()
        .map(|s| {
            let mut t = format!(
                "[{}] {}\n  need: {}\n  owner: {}",
                s.id, s.description, s.need, s.owner
            );
            for m in &s.milestones {
                t.push_str(&format!("\n  milestone: {} by {}", m.what, m.by));
            }
            if !s.evidence.is_empty() {
                t.push_str(&format!("\n  evidence: {}", s.evidence));
            }
            t
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut budget: Vec<String> = plan
        .budget
        .iter()
        .map(|l| {
            format!(
                "{} · {} · [{}] {}",
                dollars(l.amount_cents),
                category_label(&l.category),
                l.strategy,
                l.description
            )
        })
        .collect();
    if let Some(t) = budget_total(plan) {
        budget.push(format!("total {}", dollars(t)));
    }
    for (code, text) in [
        ("goals", goals),
        ("strategies", strategies),
        ("budget", budget.join("\n")),
        ("monitoring", plan.monitoring.clone()),
    ] {
        debug_assert!(PLAN_PARTS.contains(&code));
        out.insert(code.to_string(), text);
    }
    out
}

/// One line of a section's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub change: String,
    pub text: String,
}

/// What changed in one section between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDiff {
    pub section: String,
    pub changed: bool,
    pub lines: Vec<DiffLine>,
}

/// Section by section, what changed from `before` to `after` (line by
/// line), in the order of the review sections.
pub fn diff(
    order: &[String],
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<SectionDiff> {
    order
        .iter()
        .map(|code| {
            let a = before.get(code).map_or("", String::as_str);
            let b = after.get(code).map_or("", String::as_str);
            let d = similar::TextDiff::from_lines(a, b);
            let lines: Vec<DiffLine> = d
                .iter_all_changes()
                .map(|c| DiffLine {
                    change: match c.tag() {
                        similar::ChangeTag::Equal => "same",
                        similar::ChangeTag::Insert => "added",
                        similar::ChangeTag::Delete => "removed",
                    }
                    .to_string(),
                    text: c.value().trim_end_matches('\n').to_string(),
                })
                .collect();
            SectionDiff {
                section: code.clone(),
                changed: a != b,
                lines,
            }
        })
        .collect()
}
