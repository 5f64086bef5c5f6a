//! The API's account routes (api.md): `POST /api/v1/tokens`,
//! `GET /api/v1/me`, `GET /api/v1/audit`.

use crate::auth::{api_caller, ClientAddress};
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use empower_app::accounts;
use empower_app::clock::rfc3339;
use serde::{Deserialize, Serialize};

/// The body of `POST /api/v1/tokens`. Fields arrive as JSON values and
/// are checked here, so that a wrong type is named (`422`), not a bare
/// `400`.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub email: Option<serde_json::Value>,
    pub password: Option<serde_json::Value>,
}

fn required_text(field: &str, v: &Option<serde_json::Value>) -> Result<String, ApiError> {
    match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
            Err(ApiError::invalid(field, format!("give the {field}")))
        }
        Some(_) => Err(ApiError::invalid(field, format!("the {field} is text"))),
    }
}

#[derive(Serialize)]
struct TokenCreated {
    token: String,
    expires_at: String,
}

pub async fn create_token(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    body: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(ApiError::from_json)?;
    let email = required_text("email", &body.email)?;
    let password = required_text("password", &body.password)?;
    let t = accounts::create_token(
        &app.store,
        &app.settings,
        &email,
        &password,
        &address,
        app.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            token: t.token,
            expires_at: rfc3339(t.expires_at),
        }),
    )
        .into_response())
}

#[derive(Serialize)]
struct Me {
    email: String,
    name: String,
    roles: Vec<RoleOut>,
}

#[derive(Serialize)]
struct RoleOut {
    role: &'static str,
    scope: Option<String>,
}

pub async fn me(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let actor = api_caller(&app, &headers).await?;
    let actor = accounts::me(actor.as_ref())?.clone();
    Ok(Json(Me {
        roles: actor
            .grants
            .iter()
            .map(|g| RoleOut {
                role: g.role.as_str(),
                scope: g.scope.clone(),
            })
            .collect(),
        email: actor.email,
        name: actor.name,
    })
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl AuditQuery {
    /// The query as the use case takes it (page numbers checked here).
    pub fn request(&self) -> Result<accounts::AuditQuery, ApiError> {
        Ok(accounts::AuditQuery {
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            since: self.since.clone(),
            page: crate::api::number("page", &self.page)?,
            per_page: crate::api::number("per_page", &self.per_page)?,
        })
    }
}

/// An audit record as the API shows it (`at` in RFC 3339).
#[derive(Serialize)]
pub struct AuditOut {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<empower_store::AuditRecord> for AuditOut {
    fn from(r: empower_store::AuditRecord) -> Self {
        AuditOut {
            id: r.id,
            at: rfc3339(r.at),
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
        }
    }
}

pub async fn audit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let actor = api_caller(&app, &headers).await?;
    let (_, found) = accounts::search_audit(&app.store, actor.as_ref(), &q.request()?).await?;
    Ok(Json(empower_store::Page {
        items: found
            .items
            .into_iter()
            .map(AuditOut::from)
            .collect::<Vec<_>>(),
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
    .into_response())
}
