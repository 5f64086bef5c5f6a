//! The Peer Learning Partners API (issue 12's routes): rounds,
//! applications, decisions, the directory, recommendations, engagements.

use crate::api::{body, id, list, signed_in};
use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::clock::{date_in, rfc3339};
use empower_app::partners::{self, EngagementFields};
use empower_store::{ApplicationFields, ApplicationRow, Contact, EngagementRow, Evidence};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct RoundBody {
    pub name: String,
    pub opens_on: String,
    pub due_on: String,
    pub decision_on: String,
}

pub async fn create_round(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<RoundBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let round = partners::create_round(
        &app.store,
        actor.as_ref(),
        &b.name,
        &b.opens_on,
        &b.due_on,
        &b.decision_on,
        app.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(round)).into_response())
}

/// An application's fields as the API takes them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    pub school_rcdts: Option<String>,
    pub round_id: Option<i64>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub priority_areas: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub capacity: u32,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub evidence: Evidence,
}

impl ApplicationBody {
    fn fields(&self) -> ApplicationFields {
        ApplicationFields {
            regions: self.regions.clone(),
            priority_areas: self.priority_areas.clone(),
            services: self.services.clone(),
            capacity: self.capacity,
            contacts: self.contacts.clone(),
            evidence: self.evidence.clone(),
        }
    }
}

/// An application as the API shows it (instants in RFC 3339).
#[derive(Serialize)]
pub struct ApplicationOut {
    pub id: i64,
    pub school_rcdts: String,
    pub round_id: i64,
    pub status: String,
    pub regions: Vec<String>,
    pub priority_areas: Vec<String>,
    pub services: Vec<String>,
    pub capacity: u32,
    pub contacts: Vec<Contact>,
    pub evidence: Evidence,
    pub prefill: Option<serde_json::Value>,
    pub submitted_at: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
    pub review_reason: Option<String>,
}

impl From<ApplicationRow> for ApplicationOut {
    fn from(a: ApplicationRow) -> Self {
        ApplicationOut {
            id: a.id,
            school_rcdts: a.school_rcdts,
            round_id: a.round_id,
            status: a.status,
            regions: a.fields.regions,
            priority_areas: a.fields.priority_areas,
            services: a.fields.services,
            capacity: a.fields.capacity,
            contacts: a.fields.contacts,
            evidence: a.fields.evidence,
            prefill: a.prefill,
            submitted_at: a.submitted_at.map(rfc3339),
            decided_at: a.decided_at.map(rfc3339),
            decision_reason: a.decision_reason,
            review_reason: a.review_reason,
        }
    }
}

pub async fn create_application(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<ApplicationBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let school = b
        .school_rcdts
        .clone()
        .ok_or_else(|| ApiError::invalid("school_rcdts", "give the school's RCDTS"))?;
    let round = b
        .round_id
        .ok_or_else(|| ApiError::invalid("round_id", "give the round's id"))?;
    let a = partners::create_application(
        &app.state,
        &app.store,
        actor.as_ref(),
        &school,
        round,
        &b.fields(),
        app.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ApplicationOut::from(a))).into_response())
}

pub async fn update_application(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<ApplicationBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let id = id(&raw, "application")?;
    let b = body(b)?;
    let a = partners::update_application(
        &app.state,
        &app.store,
        actor.as_ref(),
        id,
        &b.fields(),
        app.clock.now(),
    )
    .await?;
    Ok(Json(ApplicationOut::from(a)).into_response())
}

pub async fn submit_application(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let id = id(&raw, "application")?;
    let now = app.clock.now();
    let today = date_in(&app.state.manifest.time_zone, now)?;
    let a = partners::submit_application(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        id,
        today,
        now,
    )
    .await?;
    Ok(Json(ApplicationOut::from(a)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DecisionBody {
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn decide(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let id = id(&raw, "application")?;
    let b = body(b)?;
    let a = partners::decide(
        &app.store,
        actor.as_ref(),
        id,
        &b.decision,
        &b.reason,
        app.clock.now(),
    )
    .await?;
    Ok(Json(ApplicationOut::from(a)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    pub priority_area: Option<String>,
    pub region: Option<String>,
}

pub async fn directory(
    State(app): State<AppState>,
    Query(q): Query<DirectoryQuery>,
) -> Result<Response, ApiError> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let found = partners::directory(
        &app.directory,
        &app.store,
        text(&q.priority_area).as_deref(),
        text(&q.region).as_deref(),
    )
    .await?;
    Ok(list(found))
}

pub async fn recommendations(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
) -> Result<Response, ApiError> {
    let found = partners::recommendations(&app.state, &app.directory, &app.store, &rcdts).await?;
    Ok(list(found))
}

#[derive(Debug, Deserialize)]
pub struct EngagementBody {
    pub school_rcdts: String,
    pub partner_rcdts: String,
    pub priority_area: String,
    pub starts_on: String,
    pub ends_on: String,
    pub agreement: String,
    pub budget_cents: i64,
    #[serde(default)]
    pub budget_description: String,
}

pub async fn create_engagement(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<EngagementBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let e: EngagementRow = partners::create_engagement(
        &app.state,
        &app.store,
        actor.as_ref(),
        &EngagementFields {
            school_rcdts: b.school_rcdts,
            partner_rcdts: b.partner_rcdts,
            priority_area: b.priority_area,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            agreement: b.agreement,
            budget_cents: b.budget_cents,
            budget_description: b.budget_description,
        },
        app.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

pub async fn accept_engagement(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let id = id(&raw, "engagement")?;
    let e = partners::accept_engagement(&app.store, actor.as_ref(), id, app.clock.now()).await?;
    Ok(Json(e).into_response())
}
