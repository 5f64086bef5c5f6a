//! The Teaching Excellence Program's API (issue 14's routes): fiscal
//! years, educators' facts and eligibility, employers' verifications,
//! requests in line, payment, the ledger, mentoring agreements, logs and
//! their signatures, and the (g) announcement.

use crate::api::{body, id, list, signed_in};
use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::clock::rfc3339;
use empower_app::tep::{
    self, AgreementInput, AgreementView, AnnouncementInput, EducatorFacts, LogInput, LogView,
    RequestView,
};
use empower_store::{TepAnnouncementRow, TepEducatorRow, TepYearRow};
use serde::{Deserialize, Serialize};

fn with_status<T: Serialize>(status: StatusCode, t: T) -> Response {
    (status, Json(t)).into_response()
}

/// A `fiscal_year` query parameter, checked (`422` names it).
#[derive(Debug, Default, Deserialize)]
pub struct FiscalYearQuery {
    pub fiscal_year: Option<String>,
}

impl FiscalYearQuery {
    /// The year asked for, else the fiscal year containing today.
    fn year(&self, app: &AppState) -> Result<i16, ApiError> {
        match self.fiscal_year.as_deref().map(str::trim) {
            Some(raw) if !raw.is_empty() => raw
                .parse::<i16>()
                .ok()
                .filter(|y| (2000..=2200).contains(y))
                .ok_or_else(|| {
                    ApiError::invalid("fiscal_year", format!("`{raw}` is not a fiscal year"))
                }),
            _ => Ok(tep::current_fiscal_year(&app.state, app.clock.now())?),
        }
    }
}

fn year_in_range(fiscal_year: i16) -> Result<i16, ApiError> {
    if (2000..=2200).contains(&fiscal_year) {
        Ok(fiscal_year)
    } else {
        Err(ApiError::invalid(
            "fiscal_year",
            format!("{fiscal_year} is not a fiscal year"),
        ))
    }
}

/// A fiscal year with its money.
#[derive(Serialize)]
pub struct FiscalYearOut {
    pub fiscal_year: i64,
    pub appropriation_cents: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub remaining_cents: i64,
}

impl From<TepYearRow> for FiscalYearOut {
    fn from(y: TepYearRow) -> Self {
        FiscalYearOut {
            fiscal_year: y.fiscal_year,
            appropriation_cents: y.appropriation_cents,
            committed_cents: y.committed_cents,
            paid_cents: y.paid_cents,
            remaining_cents: y.appropriation_cents - y.committed_cents - y.paid_cents,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiscalYearBody {
    pub fiscal_year: i16,
    pub appropriation_cents: i64,
}

/// `POST /api/v1/tep/fiscal-years`: `201` when the year opens, `200`
/// when its appropriation changes.
pub async fn open_fiscal_year(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<FiscalYearBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::administer_tep(actor.as_ref())?;
    let fy = year_in_range(b.fiscal_year)?;
    let existed = app
        .store
        .tep_year(i64::from(fy))
        .await
        .map_err(empower_app::AppError::from)?
        .is_some();
    let y = tep::open_fiscal_year(
        &app.state,
        &app.store,
        actor.as_ref(),
        fy,
        b.appropriation_cents,
        app.clock.now(),
    )
    .await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(with_status(status, FiscalYearOut::from(y)))
}

/// `POST /api/v1/tep/fiscal-years/{fiscal_year}/rewalk`.
pub async fn rewalk(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let fy = raw
        .parse::<i16>()
        .map_err(|_| ApiError::not_found(format!("there is no fiscal year {raw}")))?;
    let l = tep::walk_line(&app.state, &app.store, actor.as_ref(), fy, app.clock.now()).await?;
    Ok(Json(l).into_response())
}

/// An educator's facts and the employer's answer.
#[derive(Serialize)]
pub struct EducatorOut {
    pub license: String,
    pub role: String,
    pub nbpts: String,
    pub district_rcdts: Option<String>,
    pub school_rcdts: Option<String>,
    pub full_time: bool,
    pub originally_assigned: bool,
    pub retired: Option<String>,
    /// `confirmed`, `rejected` or `null` while the employer has not
    /// answered.
    pub verification: Option<String>,
    pub verification_reason: Option<String>,
    pub verified_at: Option<String>,
}

impl From<TepEducatorRow> for EducatorOut {
    fn from(r: TepEducatorRow) -> Self {
        EducatorOut {
            license: r.license,
            role: r.role,
            nbpts: r.nbpts,
            district_rcdts: r.district_rcdts,
            school_rcdts: r.school_rcdts,
            full_time: r.full_time,
            originally_assigned: r.originally_assigned,
            retired: r.retired,
            verification: r.verification,
            verification_reason: r.verification_reason,
            verified_at: r.verified_at.map(rfc3339),
        }
    }
}

/// `GET /api/v1/tep/educators/me`.
pub async fn my_facts(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let row = tep::my_facts(&app.store, actor.as_ref()).await?;
    Ok(Json(EducatorOut::from(row)).into_response())
}

/// `PUT /api/v1/tep/educators/me`.
pub async fn save_facts(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<EducatorFacts>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let row = tep::save_educator(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        &b,
        app.clock.now(),
    )
    .await?;
    Ok(Json(EducatorOut::from(row)).into_response())
}

/// `GET /api/v1/tep/eligibility?fiscal_year=`.
pub async fn eligibility(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FiscalYearQuery>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    empower_app::policy::act_as_educator(actor.as_ref())?;
    let fy = q.year(&app)?;
    let items =
        tep::eligibility(&app.state, &app.directory, &app.store, actor.as_ref(), fy).await?;
    Ok(list(items))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    pub educator_email: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/tep/verifications`: the educator's facts with the
/// answer.
pub async fn verify(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<VerificationBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let row = tep::verify_educator(
        &app.state,
        &app.store,
        actor.as_ref(),
        &b.educator_email,
        &b.decision,
        &b.reason,
        app.clock.now(),
    )
    .await?;
    Ok(Json(EducatorOut::from(row)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub fiscal_year: i16,
    pub payment_type: String,
    pub idempotency_key: String,
}

/// A request as api.md shows it (`received_at` an RFC 3339 instant).
#[derive(Serialize)]
pub struct RequestOut {
    pub id: i64,
    pub sequence: i64,
    pub received_at: String,
    pub status: String,
    pub amount_cents: i64,
    pub reason: String,
}

impl From<RequestView> for RequestOut {
    fn from(r: RequestView) -> Self {
        RequestOut {
            id: r.id,
            sequence: r.sequence,
            received_at: rfc3339(r.received_at),
            status: r.status,
            amount_cents: r.amount_cents,
            reason: r.reason,
        }
    }
}

/// `POST /api/v1/tep/requests`: `201` with the request in line (a
/// refused one too, `denied`); a repeated idempotency key returns the
/// original with `200`.
pub async fn request(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<RequestBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::act_as_educator(actor.as_ref())?;
    let fy = year_in_range(b.fiscal_year)?;
    let (r, created) = tep::request_payment(
        &app.state,
        &app.directory,
        &app.store,
        actor.as_ref(),
        fy,
        &b.payment_type,
        &b.idempotency_key,
        app.clock.now(),
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(with_status(status, RequestOut::from(r)))
}

/// One of the caller's requests with its place in line.
#[derive(Serialize)]
pub struct MyRequestOut {
    pub fiscal_year: i64,
    pub payment_type: String,
    #[serde(flatten)]
    pub request: RequestOut,
    pub place: String,
}

/// `GET /api/v1/tep/requests`: the caller's own requests.
pub async fn my_requests(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let items = tep::my_requests(&app.state, &app.store, actor.as_ref()).await?;
    Ok(list(
        items
            .into_iter()
            .map(|m| MyRequestOut {
                fiscal_year: m.fiscal_year,
                payment_type: m.payment_type,
                request: RequestOut::from(m.request),
                place: m.place,
            })
            .collect(),
    ))
}

/// `POST /api/v1/tep/requests/{id}/pay`.
pub async fn pay(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    empower_app::policy::administer_tep(actor.as_ref())?;
    let request = id(&raw, "request")?;
    let r = tep::pay(&app.store, actor.as_ref(), request, app.clock.now()).await?;
    Ok(Json(RequestOut::from(r)).into_response())
}

/// `GET /api/v1/tep/ledger?fiscal_year=`.
pub async fn ledger(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FiscalYearQuery>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    empower_app::policy::administer_tep(actor.as_ref())?;
    let fy = q.year(&app)?;
    Ok(Json(tep::ledger(&app.store, actor.as_ref(), fy).await?).into_response())
}

/// A recipient of an agreement.
#[derive(Serialize)]
pub struct RecipientOut {
    pub email: String,
    pub name: String,
    pub district_rcdts: Option<String>,
    /// When the mentor's notice went to the recipient's district.
    pub district_notified_at: Option<String>,
}

/// A log line (`signed_at` while signed by its recipient).
#[derive(Serialize)]
pub struct LogOut {
    pub id: i64,
    pub agreement_id: i64,
    pub recipient_email: String,
    pub date: String,
    pub hours: f64,
    pub counted_hours: f64,
    pub addressed: Vec<String>,
    pub needs: String,
    pub signed_at: Option<String>,
}

impl From<LogView> for LogOut {
    fn from(l: LogView) -> Self {
        LogOut {
            id: l.id,
            agreement_id: l.agreement_id,
            recipient_email: l.recipient_email,
            date: l.date,
            hours: l.hours,
            counted_hours: l.counted_hours,
            addressed: l.addressed,
            needs: l.needs,
            signed_at: l.signed_at.map(rfc3339),
        }
    }
}

/// An agreement with its log.
#[derive(Serialize)]
pub struct AgreementOut {
    pub id: i64,
    pub fiscal_year: i64,
    pub kind: String,
    pub framework: String,
    pub mentor_email: String,
    pub administrator: String,
    pub goals: String,
    pub duration: String,
    pub time_per_recipient: String,
    pub created_at: String,
    pub recipients: Vec<RecipientOut>,
    pub logs: Vec<LogOut>,
    pub hours: f64,
    pub counted_hours: f64,
    pub year_counted_hours: f64,
    pub max_hours: f64,
    pub complete: bool,
    pub problems: Vec<String>,
    pub addressable: Vec<String>,
}

impl From<AgreementView> for AgreementOut {
    fn from(v: AgreementView) -> Self {
        let a = v.agreement;
        AgreementOut {
            id: a.id,
            fiscal_year: a.fiscal_year,
            kind: a.kind,
            framework: a.framework,
            mentor_email: a.mentor_email,
            administrator: a.administrator,
            goals: a.goals,
            duration: a.duration,
            time_per_recipient: a.time_per_recipient,
            created_at: rfc3339(a.created_at),
            recipients: a
                .recipients
                .into_iter()
                .map(|r| RecipientOut {
                    email: r.email,
                    name: r.name,
                    district_rcdts: r.district_rcdts,
                    district_notified_at: r.notified_at.map(rfc3339),
                })
                .collect(),
            logs: v.logs.into_iter().map(LogOut::from).collect(),
            hours: v.hours,
            counted_hours: v.counted_hours,
            year_counted_hours: v.year_counted_hours,
            max_hours: v.max_hours,
            complete: v.complete,
            problems: v.problems,
            addressable: v.addressable,
        }
    }
}

/// `POST /api/v1/tep/agreements`.
pub async fn create_agreement(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<AgreementInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::act_as_educator(actor.as_ref())?;
    year_in_range(b.fiscal_year)?;
    let a = tep::create_agreement(
        &app.state,
        &app.store,
        actor.as_ref(),
        &b,
        &app.settings.public_url,
        app.clock.now(),
    )
    .await?;
    Ok(with_status(StatusCode::CREATED, AgreementOut::from(a)))
}

/// `GET /api/v1/tep/agreements/{id}`.
pub async fn agreement(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let agreement = id(&raw, "agreement")?;
    let a = tep::agreement(&app.state, &app.store, actor.as_ref(), agreement).await?;
    Ok(Json(AgreementOut::from(a)).into_response())
}

/// `POST /api/v1/tep/logs`.
pub async fn add_log(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<LogInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    let l = tep::add_log(&app.state, &app.store, actor.as_ref(), &b, app.clock.now()).await?;
    Ok(with_status(StatusCode::CREATED, LogOut::from(l)))
}

/// `POST /api/v1/tep/logs/{id}/sign`.
pub async fn sign_log(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let line = id(&raw, "log line")?;
    let l = tep::sign_log(
        &app.state,
        &app.store,
        actor.as_ref(),
        line,
        app.clock.now(),
    )
    .await?;
    Ok(Json(LogOut::from(l)).into_response())
}

/// The (g) announcement.
#[derive(Serialize)]
pub struct AnnouncementOut {
    pub id: i64,
    pub fiscal_year: i64,
    pub amount_cents: i64,
    pub purposes: String,
    pub stipend_cents: i64,
    pub who_may_take_part: String,
    pub how_to_apply: String,
    pub published_at: String,
}

impl From<TepAnnouncementRow> for AnnouncementOut {
    fn from(a: TepAnnouncementRow) -> Self {
        AnnouncementOut {
            id: a.fiscal_year,
            fiscal_year: a.fiscal_year,
            amount_cents: a.amount_cents,
            purposes: a.purposes,
            stipend_cents: a.stipend_cents,
            who_may_take_part: a.who_may_take_part,
            how_to_apply: a.how_to_apply,
            published_at: rfc3339(a.published_at),
        }
    }
}

/// `POST /api/v1/tep/announcements`.
pub async fn announce(
    State(app): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<AnnouncementInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let actor = signed_in(&app, &headers).await?;
    let b = body(b)?;
    empower_app::policy::administer_tep(actor.as_ref())?;
    year_in_range(b.fiscal_year)?;
    let a = tep::announce(&app.state, &app.store, actor.as_ref(), &b, app.clock.now()).await?;
    Ok(with_status(StatusCode::CREATED, AnnouncementOut::from(a)))
}
