//! Resource Allocation Reviews' API (issue 15's routes): the selection
//! with the state's changes, notices and their acknowledgement.

use crate::api::{body, id, list, signed_in};
use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::clock::rfc3339;
use empower_app::rar;
use empower_rar::DistrictSelection;
use empower_store::RarNoticeRow;
use serde::{Deserialize, Serialize};

/// A `fiscal_year` query parameter, checked (`422` names it).
#[derive(Debug, Default, Deserialize)]
pub struct FiscalYearQuery {
    pub fiscal_year: Option<String>,
}

/// The year asked for, else the pages' default (the current fiscal year
/// when its report card is published, else the latest that is).
pub(crate) async fn fiscal_year(app: &AppState, raw: Option<&str>) -> Result<i16, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => raw
            .parse::<i16>()
            .ok()
            .filter(|y| (2000..=2200).contains(y))
            .ok_or_else(|| {
                ApiError::invalid("fiscal_year", format!("`{raw}` is not a fiscal year"))
            }),
        None => Ok(rar::fiscal_years(&app.state, &app.store, app.clock.now())
            .await?
            .1),
    }
}

/// A selection item as api.md and rar.md define it.
#[derive(Serialize)]
pub struct SelectionItem {
    pub district_rcdts: String,
    pub name: String,
    pub schools: u32,
    pub identified: u32,
    pub share: f64,
    pub weighted_share: f64,
    pub years_in_status: u32,
    pub selected: bool,
    pub reason: String,
}

impl From<DistrictSelection> for SelectionItem {
    fn from(r: DistrictSelection) -> Self {
        SelectionItem {
            district_rcdts: r.district_rcdts,
            name: r.name,
            schools: r.schools,
            identified: r.identified,
            share: r.share,
            weighted_share: r.weighted_share,
            years_in_status: r.years_in_status,
            selected: r.selected,
            reason: r.reason,
        }
    }
}

/// `GET /api/v1/rar/selection?fiscal_year=`: every district, ranked.
pub async fn selection(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FiscalYearQuery>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    empower_app::policy::run_rar(actor.as_ref())?;
    let fy = fiscal_year(&app, q.fiscal_year.as_deref()).await?;
    let view = rar::selection(&app.state, &app.store, actor.as_ref(), fy).await?;
    Ok(list(
        view.rows.into_iter().map(SelectionItem::from).collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    pub fiscal_year: i16,
    pub selected: bool,
    pub reason: String,
}

/// `POST /api/v1/rar/selection/{district}/override`: the district's item
/// as it now stands.
pub async fn override_selection(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(district): Path<String>,
    b: Result<Json<OverrideBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::run_rar(actor.as_ref())?;
    let row = rar::override_selection(
        &app.state,
        &app.store,
        actor.as_ref(),
        b.fiscal_year,
        &district,
        b.selected,
        &b.reason,
        app.clock.now(),
    )
    .await?;
    Ok(Json(SelectionItem::from(row)).into_response())
}

/// A notice as the API shows it.
#[derive(Serialize)]
pub struct NoticeOut {
    pub id: i64,
    pub fiscal_year: i64,
    pub district_rcdts: String,
    /// `YYYY-MM-DD`, the state's calendar.
    pub issued_on: String,
    /// Issued after the rules' deadline (December 15).
    pub late: bool,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
    pub acknowledged_at: Option<String>,
}

impl From<RarNoticeRow> for NoticeOut {
    fn from(n: RarNoticeRow) -> Self {
        NoticeOut {
            id: n.id,
            fiscal_year: n.fiscal_year,
            district_rcdts: n.district_rcdts,
            issued_on: n.issued_on,
            late: n.late,
            recipients: n.recipients,
            subject: n.subject,
            body: n.body,
            acknowledged_at: n.acknowledged_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub fiscal_year: i16,
    pub district_rcdts: String,
}

/// `POST /api/v1/rar/notices`.
pub async fn issue_notice(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<NoticeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::run_rar(actor.as_ref())?;
    let n = rar::issue_notice(
        &app.state,
        &app.store,
        actor.as_ref(),
        b.fiscal_year,
        &b.district_rcdts,
        &app.settings.public_url,
        app.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(NoticeOut::from(n))).into_response())
}

/// `POST /api/v1/rar/notices/{id}/acknowledge`.
pub async fn acknowledge(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let notice = id(&raw, "notice")?;
    let n = rar::acknowledge(&app.store, actor.as_ref(), notice, app.clock.now()).await?;
    Ok(Json(NoticeOut::from(n)).into_response())
}

/// `POST /api/v1/rar/reviews`: the state opens a facilitated review, a
/// district's leaders a self-guided one.
pub async fn open_review(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<rar::ReviewInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let v = rar::open_review(&app.state, &app.store, actor.as_ref(), &b, app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(ReviewOut::from(v))).into_response())
}

/// A review as the API shows it.
#[derive(Serialize)]
pub struct ReviewOut {
    pub id: i64,
    pub fiscal_year: i64,
    pub district_rcdts: String,
    pub kind: String,
    pub scheduled_on: String,
    /// Each member's ratings as the caller may see them.
    pub members: Vec<rar::MemberRatings>,
    /// Where the members agree and differ.
    pub comparison: Vec<empower_rar::review::Agreement>,
    pub team: Vec<RatingOut>,
    pub goals: Vec<GoalOut>,
}

#[derive(Serialize)]
pub struct RatingOut {
    pub property: String,
    pub level: String,
    pub evidence: String,
}

#[derive(Serialize)]
pub struct GoalOut {
    pub id: i64,
    pub property: String,
    pub goal: String,
    pub owner: String,
    pub due_on: String,
    /// The latest progress: `not-started`, `in-progress`, `met`, `not-met`.
    pub status: String,
}

impl From<empower_store::RarGoalRow> for GoalOut {
    fn from(g: empower_store::RarGoalRow) -> Self {
        GoalOut {
            id: g.id,
            status: g
                .updates
                .last()
                .map(|u| u.status.clone())
                .unwrap_or_else(|| rar::GOAL_STATUSES[0].to_string()),
            property: g.property,
            goal: g.goal,
            owner: g.owner,
            due_on: g.due_on,
        }
    }
}

impl From<rar::ReviewView> for ReviewOut {
    fn from(v: rar::ReviewView) -> Self {
        ReviewOut {
            id: v.review.id,
            fiscal_year: v.review.fiscal_year,
            district_rcdts: v.review.district_rcdts,
            kind: v.review.kind,
            scheduled_on: v.review.scheduled_on,
            members: v.members,
            comparison: v.comparison,
            team: v
                .team
                .into_iter()
                .map(|t| RatingOut {
                    property: t.property,
                    level: t.level,
                    evidence: t.evidence,
                })
                .collect(),
            goals: v.goals.into_iter().map(GoalOut::from).collect(),
        }
    }
}

/// `GET /api/v1/rar/reviews/{id}`.
pub async fn review(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let review = id(&raw, "review")?;
    let v = rar::review(&app.state, &app.store, actor.as_ref(), review).await?;
    Ok(Json(ReviewOut::from(v)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingsBody {
    pub scope: String,
    pub ratings: Vec<empower_rar::review::Rating>,
}

/// `PUT /api/v1/rar/reviews/{id}/ratings`.
pub async fn save_ratings(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<RatingsBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let review = id(&raw, "review")?;
    let b = body(b)?;
    let v = rar::save_ratings(
        &app.state,
        &app.store,
        actor.as_ref(),
        review,
        &b.scope,
        &b.ratings,
        app.clock.now(),
    )
    .await?;
    Ok(Json(ReviewOut::from(v)).into_response())
}

/// `POST /api/v1/rar/reviews/{id}/goals`.
pub async fn add_goal(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<rar::GoalInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let review = id(&raw, "review")?;
    let b = body(b)?;
    let g = rar::add_goal(
        &app.state,
        &app.store,
        actor.as_ref(),
        review,
        &b,
        app.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(GoalOut::from(g))).into_response())
}
