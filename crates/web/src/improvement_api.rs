//! The improvement cycle's API (issue 13's routes): support status,
//! coordinators and allocations, help-line requests, needs assessments,
//! work plans with their review, versions and the dashboard.

use crate::api::{body, id, list, signed_in};
use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::clock::rfc3339;
use empower_app::improvement::{self, Comment, DashboardFilter};
use empower_improvement::{Assessment, PlanContent};
use empower_store::{AssessmentRow, HelpRequestRow, PlanRow, Snapshot};
use serde::{Deserialize, Serialize};

fn created<T: Serialize>(t: T) -> Response {
    (StatusCode::CREATED, Json(t)).into_response()
}

/// `GET /api/v1/schools/{rcdts}/status`.
pub async fn status(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
) -> Result<Response, ApiError> {
    Ok(
        Json(improvement::status(&app.state, &app.directory, &app.store, &rcdts).await?)
            .into_response(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorBody {
    /// The coordinator's e-mail address.
    pub email: String,
}

/// `POST /api/v1/schools/{rcdts}/coordinator`.
pub async fn assign_coordinator(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(rcdts): Path<String>,
    b: Result<Json<CoordinatorBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let s = improvement::assign_coordinator(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &rcdts,
        &b.email,
        app.clock.now(),
    )
    .await?;
    Ok(Json(s).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationBody {
    pub allocation_cents: i64,
}

/// `PUT /api/v1/schools/{rcdts}/allocation`.
pub async fn set_allocation(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(rcdts): Path<String>,
    b: Result<Json<AllocationBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let s = improvement::set_allocation(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &rcdts,
        b.allocation_cents,
        app.clock.now(),
    )
    .await?;
    Ok(Json(s).into_response())
}

/// A help request as the API shows it.
#[derive(Serialize)]
pub struct HelpRequestOut {
    pub id: i64,
    pub school_rcdts: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<HelpRequestRow> for HelpRequestOut {
    fn from(r: HelpRequestRow) -> Self {
        HelpRequestOut {
            id: r.id,
            school_rcdts: r.school_rcdts,
            subject: r.subject,
            body: r.body,
            status: r.status,
            assignee_id: r.assignee_id,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpBody {
    pub school_rcdts: String,
    pub subject: String,
    pub body: String,
}

/// `POST /api/v1/help-requests`.
pub async fn open_help_request(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<HelpBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let r = improvement::open_help_request(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &b.school_rcdts,
        &b.subject,
        &b.body,
        app.clock.now(),
    )
    .await?;
    Ok(created(HelpRequestOut::from(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    pub body: String,
    #[serde(default)]
    pub close: bool,
}

/// `POST /api/v1/help-requests/{id}/replies`.
pub async fn reply_to_help_request(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<ReplyBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let request = id(&raw, "help request")?;
    let b = body(b)?;
    let r = improvement::reply_to_help_request(
        &app.store,
        actor.as_ref(),
        request,
        &b.body,
        b.close,
        app.clock.now(),
    )
    .await?;
    Ok(created(HelpRequestOut::from(r)))
}

/// A needs assessment as the API shows it.
#[derive(Serialize)]
pub struct AssessmentOut {
    pub id: i64,
    pub school_rcdts: String,
    pub school_year: i64,
    pub status: String,
    #[serde(flatten)]
    pub content: Snapshot,
    pub submitted_on: Option<String>,
    pub updated_at: String,
}

impl From<AssessmentRow> for AssessmentOut {
    fn from(r: AssessmentRow) -> Self {
        AssessmentOut {
            id: r.id,
            school_rcdts: r.school_rcdts,
            school_year: r.school_year,
            status: r.status,
            content: r.content,
            submitted_on: r.submitted_on,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolBody {
    pub school_rcdts: String,
}

/// `POST /api/v1/needs-assessments`.
pub async fn create_assessment(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<SchoolBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let a = improvement::create_assessment(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &b.school_rcdts,
        app.clock.now(),
    )
    .await?;
    Ok(created(AssessmentOut::from(a)))
}

/// `PUT /api/v1/needs-assessments/{id}/ratings`.
pub async fn save_ratings(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<Assessment>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let assessment = id(&raw, "needs assessment")?;
    let b = body(b)?;
    let a = improvement::save_ratings(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        assessment,
        &b,
        app.clock.now(),
    )
    .await?;
    Ok(Json(AssessmentOut::from(a)).into_response())
}

/// `POST /api/v1/needs-assessments/{id}/submit`.
pub async fn submit_assessment(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let assessment = id(&raw, "needs assessment")?;
    let a = improvement::submit_assessment(
        &app.state,
        &app.store,
        actor.as_ref(),
        assessment,
        app.clock.now(),
    )
    .await?;
    Ok(Json(AssessmentOut::from(a)).into_response())
}

/// A work plan as the API shows it.
#[derive(Serialize)]
pub struct PlanOut {
    pub id: i64,
    pub school_rcdts: String,
    pub school_year: i64,
    pub status: String,
    pub version: i64,
    #[serde(flatten)]
    pub content: Snapshot,
    pub first_submitted_on: Option<String>,
    pub updated_at: String,
}

impl From<PlanRow> for PlanOut {
    fn from(r: PlanRow) -> Self {
        PlanOut {
            id: r.id,
            school_rcdts: r.school_rcdts,
            school_year: r.school_year,
            status: r.status,
            version: r.version,
            content: r.content,
            first_submitted_on: r.first_submitted_on,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// `POST /api/v1/work-plans`.
pub async fn create_plan(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<SchoolBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let p = improvement::create_plan(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &b.school_rcdts,
        app.clock.now(),
    )
    .await?;
    Ok(created(PlanOut::from(p)))
}

/// `PATCH /api/v1/work-plans/{id}`: the plan's content, whole.
pub async fn update_plan(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<PlanContent>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let plan = id(&raw, "work plan")?;
    let b = body(b)?;
    let p = improvement::update_plan(
        &app.state,
        &app.store,
        actor.as_ref(),
        plan,
        &b,
        app.clock.now(),
    )
    .await?;
    Ok(Json(PlanOut::from(p)).into_response())
}

/// `POST /api/v1/work-plans/{id}/submit`.
pub async fn submit_plan(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let plan = id(&raw, "work plan")?;
    let p = improvement::submit_plan(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        plan,
        app.clock.now(),
    )
    .await?;
    Ok(Json(PlanOut::from(p)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub level: String,
    pub decision: String,
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// `POST /api/v1/work-plans/{id}/review`.
pub async fn review_plan(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    b: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let plan = id(&raw, "work plan")?;
    let b = body(b)?;
    let p = improvement::review_plan(
        &app.state,
        &app.store,
        actor.as_ref(),
        plan,
        &b.level,
        &b.decision,
        &b.comments,
        app.clock.now(),
    )
    .await?;
    Ok(Json(PlanOut::from(p)).into_response())
}

/// `POST /api/v1/work-plans/{id}/amend`.
pub async fn amend_plan(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let plan = id(&raw, "work plan")?;
    let p = improvement::amend_plan(&app.store, actor.as_ref(), plan, app.clock.now()).await?;
    Ok(Json(PlanOut::from(p)).into_response())
}

/// `GET /api/v1/work-plans/{id}/versions`.
pub async fn versions(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let plan = id(&raw, "work plan")?;
    let items = improvement::versions(&app.state, &app.store, actor.as_ref(), plan).await?;
    Ok(list(items))
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    pub region: Option<String>,
    pub district: Option<String>,
    pub cohort: Option<String>,
}

/// `GET /api/v1/improvement/dashboard`.
pub async fn dashboard(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let cohort = match q.cohort.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<u16>()
                .map_err(|_| ApiError::invalid("cohort", format!("`{c}` is not a year")))?,
        ),
        None => None,
    };
    let filter = DashboardFilter {
        region: q.region.filter(|r| !r.is_empty()),
        district: q.district.filter(|d| !d.is_empty()),
        cohort,
    };
    let d = improvement::dashboard(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &filter,
        app.clock.now(),
    )
    .await?;
    Ok(Json(d).into_response())
}
