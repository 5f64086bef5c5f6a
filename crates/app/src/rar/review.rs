//! The review itself (rar.md "The review"): the state opens a facilitated
//! review of a district, or the district's leaders a self-guided one;
//! each member of the district team rates the four properties on their
//! own first, then the team sees where they agree and differ and settles
//! a team rating with evidence; the state's facilitator comments; the
//! review ends in goals for improvement whose progress the next year's
//! review opens with.

use super::{invalid, rules};
use crate::accounts::{audit, Actor, By};
use crate::{policy, AppError};
use empower_rar::review::{check, compare, Agreement, Rating};
use empower_rar::rules::{Level, Property};
use empower_states::State;
use empower_store::{
    snapshot, NewRarReview, RarCommentRow, RarGoalRow, RarRatingRow, RarReviewRow, Store,
};
use serde::{Deserialize, Serialize};

/// A goal's progress, in the order it usually runs.
pub const GOAL_STATUSES: [&str; 4] = ["not-started", "in-progress", "met", "not-met"];

const MAX_TEXT: usize = 10_000;

fn text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, format!("say {what}")));
    }
    if v.len() > MAX_TEXT {
        return Err(invalid(field, "at most 10,000 characters"));
    }
    Ok(v.to_string())
}

fn date(field: &str, value: &str) -> Result<empower_calendar::Date, AppError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(field, format!("`{value}` is not a date: YYYY-MM-DD")))
}

/// A review to open (api.md's `POST /rar/reviews`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub fiscal_year: i16,
    pub district_rcdts: String,
    /// Default: the day the rules' reviews begin (January 1).
    #[serde(default)]
    pub scheduled_on: Option<String>,
}

/// Opens the district's review of the fiscal year: facilitated when the
/// state opens it (scheduled from the rules' start of reviews, January),
/// self-guided when the district's leaders do (any day).
pub async fn open_review(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    input: &ReviewInput,
    now: i64,
) -> Result<ReviewView, AppError> {
    let district = input.district_rcdts.trim();
    let kind = policy::open_rar_review(actor, district)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state)?;
    if store.district(district).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "there is no district {district}"
        )));
    }
    let begins = rules
        .reviews_begin(input.fiscal_year)
        .map_err(AppError::Refused)?;
    let scheduled = match input
        .scheduled_on
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(s) => date("scheduled_on", s)?,
        None => begins,
    };
    if kind == "facilitated" && scheduled < begins {
        return Err(invalid(
            "scheduled_on",
            format!(
                "reviews of fiscal year {} begin on {begins}",
                input.fiscal_year
            ),
        ));
    }
    let mut tx = store.write().await?;
    let Some(id) = tx
        .insert_rar_review(
            &NewRarReview {
                fiscal_year: i64::from(input.fiscal_year),
                district_rcdts: district,
                kind,
                scheduled_on: &scheduled.to_string(),
                created_by: actor.user_id,
            },
            now,
        )
        .await?
    else {
        return Err(AppError::Conflict(format!(
            "district {district} has its review of fiscal year {} already",
            input.fiscal_year
        )));
    };
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.review",
        "rar-review",
        id,
        None,
        Some(snapshot(&(
            input.fiscal_year,
            district,
            kind,
            scheduled.to_string(),
        ))),
        now,
    )
    .await?;
    tx.commit().await?;
    review(state, store, Some(actor), id).await
}

/// One member's ratings as the caller may see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRatings {
    pub name: String,
    /// Whether these are the caller's own.
    pub me: bool,
    /// Per property of the rules, in order: the level, or `None` while
    /// not rated (or hidden: a member sees another's rating of a property
    /// once they rated it themselves).
    pub levels: Vec<Option<String>>,
    pub evidence: Vec<String>,
}

/// A review with everything its page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub review: RarReviewRow,
    pub district_name: String,
    pub draft: bool,
    pub properties: Vec<Property>,
    pub levels: Vec<Level>,
    pub members: Vec<MemberRatings>,
    /// Where the members agree and differ, per property (of all
    /// members' ratings; shown to the team once each has rated).
    pub comparison: Vec<Agreement>,
    pub team: Vec<RarRatingRow>,
    pub comments: Vec<RarCommentRow>,
    pub goals: Vec<RarGoalRow>,
    /// Last year's review of the district and its goals with their
    /// progress: the review opens with them.
    pub last_year: Option<(RarReviewRow, Vec<RarGoalRow>)>,
}

/// A review: the state and the district's leaders may see it. A member
/// sees another member's rating of a property once they rated it
/// themselves.
pub async fn review(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ReviewView, AppError> {
    let r = store
        .rar_review(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no review {id}")))?;
    policy::see_district_rar(actor, &r.district_rcdts)?;
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let state_side = policy::run_rar(actor).is_ok();
    let rules = rules(state)?;
    let ratings = store.rar_member_ratings(id).await?;
    let mut raters: Vec<(i64, String)> = Vec::new();
    for x in &ratings {
        if !raters.iter().any(|(id, _)| *id == x.rater_id) {
            raters.push((x.rater_id, x.rater_name.clone()));
        }
    }
    let of = |rater: i64| -> Vec<Rating> {
        ratings
            .iter()
            .filter(|x| x.rater_id == rater)
            .map(|x| Rating {
                property: x.property.clone(),
                level: x.level.clone(),
                evidence: x.evidence.clone(),
            })
            .collect()
    };
    let mine = of(me);
    let members: Vec<MemberRatings> = raters
        .iter()
        .map(|(rater, name)| {
            let theirs = of(*rater);
            let visible =
                |p: &str| state_side || *rater == me || mine.iter().any(|m| m.property == p);
            let pick = |p: &Property| {
                theirs
                    .iter()
                    .find(|x| x.property == p.slug)
                    .filter(|_| visible(&p.slug))
            };
            MemberRatings {
                name: name.clone(),
                me: *rater == me,
                levels: rules
                    .property
                    .iter()
                    .map(|p| pick(p).map(|x| x.level.clone()))
                    .collect(),
                evidence: rules
                    .property
                    .iter()
                    .map(|p| pick(p).map(|x| x.evidence.clone()).unwrap_or_default())
                    .collect(),
            }
        })
        .collect();
    let all: Vec<Vec<Rating>> = raters.iter().map(|(r, _)| of(*r)).collect();
    let comparison = compare(rules, &all)
        .into_iter()
        .filter(|a| state_side || mine.iter().any(|m| m.property == a.property))
        .collect();
    let district_name = store
        .district(&r.district_rcdts)
        .await?
        .map(|d| d.name)
        .unwrap_or_default();
    let last_year = match store
        .rar_review_of(r.fiscal_year - 1, &r.district_rcdts)
        .await?
    {
        Some(prev) => {
            let goals = store.rar_goals(prev.id).await?;
            Some((prev, goals))
        }
        None => None,
    };
    Ok(ReviewView {
        district_name,
        draft: rules.draft,
        properties: rules.property.clone(),
        levels: rules.levels.clone(),
        members,
        comparison,
        team: store.rar_team_ratings(id).await?,
        comments: store.rar_comments(id).await?,
        goals: store.rar_goals(id).await?,
        last_year,
        review: r,
    })
}

/// The reviews the caller may open: the state's of a fiscal year, a
/// district leader's of their districts.
pub async fn reviews_for(
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
) -> Result<Vec<RarReviewRow>, AppError> {
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if policy::run_rar(Some(actor)).is_ok() {
        return Ok(store.rar_reviews(i64::from(fiscal_year)).await?);
    }
    let mut out = Vec::new();
    for g in actor
        .grants
        .iter()
        .filter(|g| g.role == crate::accounts::Role::DistrictLeader)
    {
        if let Some(d) = &g.scope {
            out.extend(store.rar_reviews_of(d).await?);
        }
    }
    Ok(out)
}

/// A member of the district team keeps their own ratings (`member`), or
/// the team settles its rating of properties each member has rated, with
/// evidence (`team`). The district's leaders only.
pub async fn save_ratings(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    scope: &str,
    ratings: &[Rating],
    now: i64,
) -> Result<ReviewView, AppError> {
    let r = store
        .rar_review(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no review {id}")))?;
    policy::act_for_district_rar(actor, &r.district_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state)?;
    if !["member", "team"].contains(&scope) {
        return Err(invalid(
            "scope",
            format!("`{scope}` is not a scope: member or team"),
        ));
    }
    if ratings.is_empty() {
        return Err(invalid("ratings", "rate at least one property"));
    }
    check(rules, ratings).map_err(|(i, why)| invalid(&format!("ratings[{i}]"), why))?;
    if scope == "team" {
        let members = store.rar_member_ratings(id).await?;
        for (i, x) in ratings.iter().enumerate() {
            if x.evidence.trim().is_empty() {
                return Err(invalid(
                    &format!("ratings[{i}].evidence"),
                    "the team's rating needs the evidence it rests on",
                ));
            }
            if !members.iter().any(|m| m.property == x.property) {
                return Err(invalid(
                    &format!("ratings[{i}]"),
                    format!(
                        "`{}`: each member rates on their own first; no member has rated it yet",
                        x.property
                    ),
                ));
            }
        }
    }
    let mut tx = store.write().await?;
    for x in ratings {
        let evidence = x.evidence.trim();
        if scope == "member" {
            tx.save_rar_member_rating(id, actor.user_id, &x.property, &x.level, evidence, now)
                .await?;
        } else {
            tx.save_rar_team_rating(id, actor.user_id, &x.property, &x.level, evidence, now)
                .await?;
        }
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        if scope == "member" {
            "rar.rate"
        } else {
            "rar.settle"
        },
        "rar-review",
        id,
        None,
        Some(snapshot(
            &ratings
                .iter()
                .map(|x| (&x.property, &x.level))
                .collect::<Vec<_>>(),
        )),
        now,
    )
    .await?;
    tx.commit().await?;
    review(state, store, Some(actor), id).await
}

/// The state's facilitator comments on the review.
pub async fn comment(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    body: &str,
    now: i64,
) -> Result<ReviewView, AppError> {
    policy::run_rar(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if store.rar_review(id).await?.is_none() {
        return Err(AppError::NotFound(format!("there is no review {id}")));
    }
    let body = text("body", body, "the comment")?;
    let mut tx = store.write().await?;
    let c = tx.insert_rar_comment(id, actor.user_id, &body, now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.comment",
        "rar-review",
        id,
        None,
        Some(snapshot(&c)),
        now,
    )
    .await?;
    tx.commit().await?;
    review(state, store, Some(actor), id).await
}

/// A goal for improvement (api.md's `POST /rar/reviews/{id}/goals`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    /// The property it addresses.
    pub property: String,
    pub goal: String,
    /// Who is responsible.
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// Sets a goal for improvement from the review (the district's leaders or
/// the state).
pub async fn add_goal(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    input: &GoalInput,
    now: i64,
) -> Result<RarGoalRow, AppError> {
    let r = store
        .rar_review(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no review {id}")))?;
    policy::set_rar_goals(actor, &r.district_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state)?;
    if rules.property(&input.property).is_none() {
        return Err(invalid(
            "property",
            format!(
                "`{}` is not a property: one of {}",
                input.property,
                rules
                    .property
                    .iter()
                    .map(|p| p.slug.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let goal = text("goal", &input.goal, "the goal")?;
    let owner = text("owner", &input.owner, "who owns the goal")?;
    let due = date("due_on", &input.due_on)?;
    let mut tx = store.write().await?;
    let goal_id = tx
        .insert_rar_goal(
            id,
            &input.property,
            &goal,
            &owner,
            &due.to_string(),
            actor.user_id,
            now,
        )
        .await?;
    tx.insert_rar_goal_update(
        goal_id,
        GOAL_STATUSES[0],
        "set in the review",
        actor.user_id,
        now,
    )
    .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.goal",
        "rar-goal",
        goal_id,
        None,
        Some(snapshot(&(&input.property, &goal, &owner, due.to_string()))),
        now,
    )
    .await?;
    tx.commit().await?;
    store
        .rar_goals(id)
        .await?
        .into_iter()
        .find(|g| g.id == goal_id)
        .ok_or_else(|| AppError::NotFound("the goal went missing".into()))
}

/// Records a goal's progress (the district's leaders or the state).
pub async fn update_goal(
    store: &Store,
    actor: Option<&Actor>,
    goal_id: i64,
    status: &str,
    note: &str,
    now: i64,
) -> Result<RarGoalRow, AppError> {
    let review_id = store
        .rar_goal_review(goal_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no goal {goal_id}")))?;
    let r = store
        .rar_review(review_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no review {review_id}")))?;
    policy::set_rar_goals(actor, &r.district_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if !GOAL_STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            format!(
                "`{status}` is not a status: one of {}",
                GOAL_STATUSES.join(", ")
            ),
        ));
    }
    let note = text("note", note, "what happened")?;
    let mut tx = store.write().await?;
    tx.insert_rar_goal_update(goal_id, status, &note, actor.user_id, now)
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.goal-progress",
        "rar-goal",
        goal_id,
        None,
        Some(snapshot(&(status, &note))),
        now,
    )
    .await?;
    tx.commit().await?;
    store
        .rar_goals(review_id)
        .await?
        .into_iter()
        .find(|g| g.id == goal_id)
        .ok_or_else(|| AppError::NotFound("the goal went missing".into()))
}

/// A school of the district with its results and resources side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolResources {
    pub rcdts: String,
    pub name: String,
    /// Its designation of record on the report card used.
    pub designation: Option<String>,
    /// Identified for support (a designation the selection weighs).
    pub identified: bool,
    /// Its support status that year.
    pub status: Option<String>,
    pub low_income_pct: Option<f64>,
    pub enrollment: Option<f64>,
    /// Per resource measure of the state, in order: (year, value).
    pub values: Vec<Option<(u16, f64)>>,
    pub allocation_cents: Option<i64>,
}

/// The district's schools, results beside resources, for its review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistrictResources {
    pub district_rcdts: String,
    pub district_name: String,
    pub fiscal_year: i16,
    pub report_card_year: i16,
    pub measures: Vec<empower_states::ResourceMeasure>,
    pub schools: Vec<SchoolResources>,
}

/// The district's data side by side (the state and the district's
/// leaders): per school its designation and status on the report card
/// the fiscal year reads, low income, enrolment, the state's resource and
/// staff measures, and its 1003(a) allocation where entered.
pub async fn district_resources(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    district: &str,
    fiscal_year: i16,
) -> Result<DistrictResources, AppError> {
    policy::see_district_rar(actor, district)?;
    let rules = rules(state)?;
    let d = store
        .district(district)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no district {district}")))?;
    let year = rules.report_card_year(fiscal_year);
    let year_u16 = u16::try_from(year)
        .map_err(|_| invalid("fiscal_year", format!("{fiscal_year} is not a fiscal year")))?;
    let of_record = store.designations_of_record(year_u16).await?;
    let statuses: Vec<empower_store::StatusRow> = store
        .all_statuses()
        .await?
        .into_iter()
        .filter(|s| s.year == year_u16)
        .collect();
    let supports = store.supports().await?;
    let low_income = empower_model::Group::LowIncome.slug();
    let mut schools = Vec::new();
    for s in store
        .all_schools()
        .await?
        .into_iter()
        .filter(|s| s.district == district)
    {
        let profile = store
            .profile(&s.rcdts)
            .await?
            .map(|(p, _)| p)
            .unwrap_or_default();
        let designation = of_record.get(&s.rcdts).map(|(_, d)| d.clone());
        schools.push(SchoolResources {
            identified: designation
                .as_ref()
                .is_some_and(|d| rules.selection.weights.contains_key(d)),
            designation,
            status: statuses
                .iter()
                .find(|x| x.rcdts == s.rcdts)
                .and_then(|x| x.status.clone()),
            low_income_pct: profile
                .demographics
                .iter()
                .find(|x| x.group == low_income)
                .map(|x| x.pct),
            enrollment: profile.enrollment,
            values: state
                .manifest
                .resource
                .iter()
                .map(|m| {
                    profile
                        .resources
                        .iter()
                        .find(|r| r.measure == m.measure)
                        .map(|r| (r.year, r.value))
                })
                .collect(),
            allocation_cents: supports
                .iter()
                .find(|x| x.rcdts == s.rcdts)
                .and_then(|x| x.allocation_cents),
            rcdts: s.rcdts,
            name: s.name,
        });
    }
    Ok(DistrictResources {
        district_rcdts: district.to_string(),
        district_name: d.name,
        fiscal_year,
        report_card_year: year,
        measures: state.manifest.resource.clone(),
        schools,
    })
}
