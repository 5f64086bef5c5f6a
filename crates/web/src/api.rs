//! The public JSON API (api.md): `/api/v1/schools`, a school, its
//! explanation, districts, `/healthz`.

use crate::auth::api_caller;
use crate::{ApiError, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::public;
use empower_app::public::SchoolFilter;
use empower_store::DesignationSource;
use empower_store::Page;
use serde::Deserialize;
use serde::Serialize;

// What every API handler shares: the JSON body or a problem naming what
// is wrong, the caller (401 before anything else is read), ids, lists.

pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(t)| t).map_err(ApiError::from_json)
}

/// The caller of a route that needs one: `401` before anything else is
/// read. What they may do is the use case's to decide.
pub(crate) async fn signed_in(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<empower_app::accounts::Actor>, ApiError> {
    match api_caller(app, headers).await? {
        Some(a) => Ok(Some(a)),
        None => Err(empower_app::AppError::SignInRequired.into()),
    }
}

pub(crate) fn id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("there is no {what} {raw}")))
}

/// A list as api.md says: every item on one page.
pub(crate) fn list<T: Serialize>(items: Vec<T>) -> Response {
    let total = items.len() as u64;
    let per_page = items.len().max(1) as u32;
    Json(Page {
        items,
        total,
        page: 1,
        per_page,
    })
    .into_response()
}

/// Query parameters arrive as text; each is checked here and a bad one is
/// named in the problem (`422`), never a bare `400`.
#[derive(Debug, Default, Deserialize)]
pub struct SchoolQuery {
    pub q: Option<String>,
    pub district: Option<String>,
    pub region: Option<String>,
    pub designation: Option<String>,
    pub band: Option<String>,
    pub source: Option<String>,
    pub year: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

pub(crate) fn number<T: std::str::FromStr>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, ApiError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, format!("`{s}` is not a whole number"))),
    }
}

/// The longest text a filter takes.
const MAX_TEXT: usize = 200;

/// A text parameter: trimmed, empty as absent; control characters or more
/// than 200 characters are refused, naming the field.
fn text(field: &str, v: &Option<String>) -> Result<Option<String>, ApiError> {
    let Some(s) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            format!("give at most {MAX_TEXT} characters, without control characters"),
        ));
    }
    Ok(Some(s.to_string()))
}

impl SchoolQuery {
    pub fn filter(&self) -> Result<(SchoolFilter, empower_store::SchoolPage), ApiError> {
        let designation = match text("designation", &self.designation)? {
            None => None,
            Some(d) => Some(
                d.parse::<empower_model::Designation>()
                    .map_err(|e| ApiError::invalid("designation", e))?
                    .as_str()
                    .to_string(),
            ),
        };
        let band = match text("band", &self.band)? {
            None => None,
            Some(b) => Some(
                empower_model::Band::ALL
                    .iter()
                    .find(|x| x.as_str().eq_ignore_ascii_case(&b))
                    .ok_or_else(|| {
                        ApiError::invalid("band", format!("`{b}` is not a band: ES or HS"))
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let source = match text("source", &self.source)? {
            None => None,
            Some(s) => Some(DesignationSource::parse(&s).ok_or_else(|| {
                ApiError::invalid(
                    "source",
                    format!("`{s}` is not a source: computed or official"),
                )
            })?),
        };
        let year = number::<u16>("year", &self.year)?;
        let page = public::page(
            number("page", &self.page)?,
            number("per_page", &self.per_page)?,
        )?;
        Ok((
            SchoolFilter {
                q: text("q", &self.q)?,
                district: text("district", &self.district)?,
                region: text("region", &self.region)?,
                designation,
                band,
                source,
                year,
            },
            page,
        ))
    }
}

pub async fn schools(
    State(app): State<AppState>,
    Query(q): Query<SchoolQuery>,
) -> Result<Response, ApiError> {
    let (filter, page) = q.filter()?;
    Ok(Json(public::search(&app.directory, &app.store, &filter, page).await?).into_response())
}

pub async fn school(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
) -> Result<Response, ApiError> {
    let id = school_id(&app, &rcdts)?;
    match public::school(&app.state, &app.directory, &app.store, &id).await? {
        Some(p) => Ok(Json(p).into_response()),
        None => Err(ApiError::not_found(format!("no school {id}"))),
    }
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
}

pub async fn explanation(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let id = school_id(&app, &rcdts)?;
    let year = number::<u16>("year", &q.year)?;
    let ex = public::explanation(&app.state, &app.store, &id, year).await?;
    if ex.is_empty() {
        return Err(ApiError::not_found(match year {
            Some(y) => format!("no explanation of school {id} for {y}"),
            None => format!("no explanation of school {id}"),
        }));
    }
    Ok(Json(ex).into_response())
}

/// `GET /api/v1/districts?q=&page=&per_page=`.
#[derive(Debug, Deserialize)]
pub struct DistrictQuery {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

pub async fn districts(
    State(app): State<AppState>,
    Query(q): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let page = public::page(number("page", &q.page)?, number("per_page", &q.per_page)?)?;
    Ok(Json(public::districts(&app.store, q.q.as_deref(), page).await?).into_response())
}

pub async fn district(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
) -> Result<Response, ApiError> {
    let id = school_id(&app, &rcdts)?;
    match public::district(&app.directory, &app.store, &id).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError::not_found(format!("no district {id}"))),
    }
}

/// A school or district id in the state's format, normalised.
pub fn school_id(app: &AppState, raw: &str) -> Result<String, ApiError> {
    app.state
        .catalogue
        .school_id
        .parse(raw)
        .map(|id| id.to_string())
        .map_err(|e| ApiError::not_found(e.to_string()))
}

/// The OpenAPI 3 document of the public routes.
pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

pub async fn healthz(State(app): State<AppState>) -> Response {
    if app.store.healthy().await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer\n",
        )
            .into_response()
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found(format!("no route {}", uri.path())).into_response()
    } else {
        crate::pages::not_found_page(&format!("There is no page at {}.", uri.path()))
    }
}
