//! The work plan and the needs assessment as printable documents: the
//! same [`Document`] is shown as a printable page and written as PDF.

use super::{assessment_view, plan_view, program, read, today, AssessmentView, Comment, PlanView};
use crate::accounts::Actor;
use crate::public::DirectoryCache;
use crate::AppError;
use empower_improvement::{plan::budget_total, CycleRules, Framework, PlanStatus};
use empower_model::money::dollars;
use empower_print::{Block, Column, Document, Table};
use empower_states::State;
use empower_store::Store;
use std::collections::BTreeMap;

/// Priority areas by code, with their labels.
fn area_labels(state: &State) -> BTreeMap<String, String> {
    super::priority_areas(state).into_iter().collect()
}

fn areas_text(codes: &[String], labels: &BTreeMap<String, String>) -> String {
    if codes.is_empty() {
        return "none chosen".into();
    }
    codes
        .iter()
        .map(|c| labels.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn status_line(v: &super::StatusView) -> String {
    let mut out = match &v.status {
        Some(s) => format!("{s} support"),
        None => "Not in support".into(),
    };
    if let Some(y) = v.cohort_year {
        out.push_str(&format!(" · cohort {y}"));
    }
    if let Some(t) = &v.term {
        out.push_str(&format!(" · {t}"));
    }
    out
}

fn or_none(text: &str) -> String {
    if text.trim().is_empty() {
        "(not written)".into()
    } else {
        text.to_owned()
    }
}

/// A value or score as the data supports it: one decimal.
fn one_decimal(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

/// A number the school wrote (a goal's baseline or target), as written.
fn number(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

/// The work plan as a printable document (those who may see the plan).
pub async fn plan(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<Document, AppError> {
    let v = plan_view(state, cache, store, actor, id, now).await?;
    let printed = today(state, now)?;
    let mut events = Vec::new();
    for e in &v.events {
        let comments: Vec<Comment> = read(&e.comments);
        events.push(vec![
            today(state, e.created_at)?.to_string(),
            format!("{} (version {}) → {}", e.action, e.version, e.to_status),
            e.author.clone().unwrap_or_default(),
            comments
                .iter()
                .map(|c| format!("Section {}: {}", c.section, c.text))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    Ok(plan_document(
        &v,
        &program(state)?.cycle,
        &area_labels(state),
        events,
        &printed.to_string(),
    ))
}

fn plan_document(
    v: &PlanView,
    rules: &CycleRules,
    areas: &BTreeMap<String, String>,
    events: Vec<Vec<String>>,
    printed: &str,
) -> Document {
    let status = PlanStatus::parse(&v.row.status).unwrap_or(PlanStatus::Draft);
    let p = &v.content;
    // Once submitted, sections 1 and 2 print as they were submitted, not
    // as today's data would draw them.
    let submitted = v.versions.last().filter(|_| status != PlanStatus::Draft);
    let mut subtitle = vec![
        format!("RCDTS {} · {}", v.row.school_rcdts, status_line(&v.status)),
        format!(
            "{} · version {} · due {} · {}",
            status.words(),
            v.row.version,
            v.due,
            v.timeliness.words()
        ),
    ];
    if status != PlanStatus::Approved {
        subtitle.push(format!(
            "Not approved: this is the plan as it stands on {printed}."
        ));
    }
    let partner = p
        .partner
        .as_ref()
        .map(|x| {
            let kind = if x.kind == "peer" {
                "Peer Learning Partner"
            } else {
                "vendor partner"
            };
            format!("{} ({kind})", x.name)
        })
        .unwrap_or_else(|| "none named".into());
    let mut blocks = vec![Block::Facts(vec![
        (
            "Support manager".into(),
            v.status
                .coordinator
                .as_ref()
                .map(|c| format!("{} <{}>", c.name, c.email))
                .unwrap_or_else(|| "none assigned".into()),
        ),
        (
            "1003(a) allocation".into(),
            v.status
                .allocation_cents
                .map(dollars)
                .unwrap_or_else(|| "not entered yet".into()),
        ),
        (
            "Budget total".into(),
            budget_total(p).map(dollars).unwrap_or_default(),
        ),
        ("Learning partner".into(), partner),
        (
            "Priority areas".into(),
            areas_text(&p.priority_areas, areas),
        ),
    ])];
    for s in &rules.section {
        blocks.push(Block::Heading(format!("{}. {}", s.code, s.label)));
        blocks.push(Block::Note(s.prompt.clone()));
        let text = match (s.prefilled, submitted) {
            (true, Some(version)) => version.sections.get(&s.code).cloned(),
            (true, None) => v.prefilled.get(&s.code).cloned(),
            (false, _) => p.sections.get(&s.code).cloned(),
        };
        blocks.push(Block::Paragraph(or_none(&text.unwrap_or_default())));
    }
    blocks.push(Block::Heading("SMART goals".into()));
    blocks.push(Block::Table(Table {
        columns: vec![
            Column::text("Indicator", 2.0),
            Column::text("Goal", 3.0),
            Column::number("Baseline", 1.0),
            Column::number("Target", 1.0),
            Column::text("By", 1.2),
        ],
        rows: p
            .goals
            .iter()
            .map(|g| {
                vec![
                    v.indicators
                        .iter()
                        .find(|(code, _)| *code == g.indicator)
                        .map_or_else(|| g.indicator.clone(), |(_, label)| label.clone()),
                    g.statement.clone(),
                    number(g.baseline),
                    number(g.target),
                    g.by.clone(),
                ]
            })
            .collect(),
    }));
    blocks.push(Block::Heading("Strategies".into()));
    blocks.push(Block::Table(Table {
        columns: vec![
            Column::text("Strategy", 1.2),
            Column::text("Need", 2.0),
            Column::text("What the school does", 3.0),
            Column::text("Owner", 1.3),
            Column::text("Milestones", 2.2),
            Column::text("Evidence of effectiveness", 2.0),
        ],
        rows: p
            .strategies
            .iter()
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.need.clone(),
                    s.description.clone(),
                    s.owner.clone(),
                    s.milestones
                        .iter()
                        .map(|m| format!("{} (by {})", m.what, m.by))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    s.evidence.clone(),
                ]
            })
            .collect(),
    }));
    blocks.push(Block::Heading("1003(a) budget".into()));
    let mut lines: Vec<Vec<String>> = p
        .budget
        .iter()
        .map(|l| {
            vec![
                l.strategy.clone(),
                rules
                    .category(&l.category)
                    .map(|c| c.label.clone())
                    .unwrap_or_else(|| l.category.clone()),
                l.description.clone(),
                dollars(l.amount_cents),
            ]
        })
        .collect();
    lines.push(vec![
        String::new(),
        String::new(),
        "Total".into(),
        budget_total(p).map(dollars).unwrap_or_default(),
    ]);
    if let Some(a) = v.status.allocation_cents {
        lines.push(vec![
            String::new(),
            String::new(),
            "Allocation".into(),
            dollars(a),
        ]);
    }
    blocks.push(Block::Table(Table {
        columns: vec![
            Column::text("Strategy", 1.2),
            Column::text("Category", 3.0),
            Column::text("What it pays for", 3.0),
            Column::number("Amount", 1.5),
        ],
        rows: lines,
    }));
    let mut rule = rules.budget.rule.clone();
    if rules.budget.draft {
        rule.push_str(" The expense categories are draft wording.");
    }
    blocks.push(Block::Note(rule));
    blocks.push(Block::Heading("Monitoring plan".into()));
    blocks.push(Block::Paragraph(or_none(&p.monitoring)));
    blocks.push(Block::Heading("Submissions and reviews".into()));
    if events.is_empty() {
        blocks.push(Block::Paragraph("Not submitted yet.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                Column::text("Date", 1.6),
                Column::text("Step", 2.6),
                Column::text("By", 2.0),
                Column::text("Comments", 4.0),
            ],
            rows: events,
        }));
    }
    Document {
        title: format!("Work plan {}: {}", v.school_year, v.school_name),
        subtitle,
        blocks,
        footer: format!(
            "IL-EMPOWER work plan {} · version {} · printed {printed} from empower",
            v.row.id, v.row.version
        ),
    }
}

/// The needs assessment as a printable document (those who may see the
/// school's records).
pub async fn assessment(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<Document, AppError> {
    let v = assessment_view(state, cache, store, actor, id, now).await?;
    let printed = today(state, now)?.to_string();
    Ok(assessment_document(
        &v,
        &program(state)?.framework,
        &area_labels(state),
        &printed,
    ))
}

fn assessment_document(
    v: &AssessmentView,
    f: &Framework,
    areas: &BTreeMap<String, String>,
    printed: &str,
) -> Document {
    let submitted = v.row.status == "submitted";
    let mut subtitle = vec![
        format!("RCDTS {} · {}", v.row.school_rcdts, status_line(&v.status)),
        format!(
            "{} · due {} · {}",
            if submitted { "Submitted" } else { "Draft" },
            v.due,
            v.timeliness.words()
        ),
    ];
    if !submitted {
        subtitle.push(format!(
            "Not submitted: this is the assessment as it stands on {printed}."
        ));
    }
    let mut blocks = vec![Block::Heading("Why the school is in support".into())];
    if v.status.reasons.is_empty() {
        blocks.push(Block::Paragraph("No reasons are published.".into()));
    } else {
        blocks.push(Block::Paragraph(
            v.status
                .reasons
                .iter()
                .map(|r| empower_accountability::reason_words(r))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    if !v.indicators.is_empty() {
        blocks.push(Block::Table(Table {
            columns: vec![
                Column::text("Indicator (latest report card)", 4.0),
                Column::number("Value", 1.0),
                Column::number("Score", 1.0),
            ],
            rows: v
                .indicators
                .iter()
                .map(|(label, value, score)| {
                    vec![label.clone(), one_decimal(*value), one_decimal(*score)]
                })
                .collect(),
        }));
    }
    blocks.push(Block::Heading("Priority areas".into()));
    blocks.push(Block::Paragraph(areas_text(
        &v.content.priority_areas,
        areas,
    )));
    for s in &f.standard {
        blocks.push(Block::Heading(format!("Standard: {}", s.name)));
        for i in &s.indicator {
            blocks.push(Block::Subheading(format!("{} {}", i.code, i.text)));
            let r = v.content.ratings.get(&i.code).cloned().unwrap_or_default();
            let descriptor = f
                .level_rank(&r.level)
                .and_then(|rank| i.rubric.get(rank))
                .cloned()
                .unwrap_or_default();
            let mut facts = vec![(
                "Rating".to_string(),
                if r.level.is_empty() {
                    "not rated".into()
                } else {
                    r.level.clone()
                },
            )];
            if !descriptor.is_empty() {
                facts.push(("The rubric at that level".into(), descriptor));
            }
            facts.push(("Evidence".into(), or_none(&r.evidence)));
            if !r.data.is_empty() {
                facts.push(("Data from the profile".into(), r.data.join("\n")));
            }
            if !r.links.is_empty() {
                facts.push(("Links".into(), r.links.join("\n")));
            }
            let files: Vec<&str> = v
                .files
                .iter()
                .filter(|f| f.indicator.as_deref() == Some(i.code.as_str()))
                .map(|f| f.file_name.as_str())
                .collect();
            if !files.is_empty() {
                facts.push(("Files".into(), files.join("\n")));
            }
            blocks.push(Block::Facts(facts));
        }
    }
    if f.draft {
        blocks.push(Block::Note(format!(
            "The framework's rubric ({}) is draft wording for the state to replace with its own.",
            f.version
        )));
    }
    Document {
        title: format!("Needs assessment {}: {}", v.school_year, v.school_name),
        subtitle,
        blocks,
        footer: format!(
            "IL-EMPOWER needs assessment {} · printed {printed} from empower",
            v.row.id
        ),
    }
}
