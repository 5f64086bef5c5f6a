//! Errors of the JSON API as `application/problem+json` (api.md): `type`,
//! `title`, `status`, `detail`, and `errors: [{field, message}]` for
//! invalid input.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use empower_app::AppError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub field: Option<String>,
    /// Seconds to wait (`429`), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError<'a>>,
}

#[derive(Serialize)]
struct FieldError<'a> {
    field: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
    }

    /// A JSON body that cannot be read: `400` when it is not JSON, `413`
    /// when too large, `415` without a JSON content type, `422` when a
    /// field has the wrong shape.
    pub fn from_json(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        match e {
            JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the body does not have the fields expected: {}",
                    e.body_text()
                ),
            ),
            JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {}", e.body_text()),
            ),
            MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other => ApiError::new(other.status(), other.body_text()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { field, message } => ApiError::invalid(&field, message),
            AppError::Refused(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            AppError::SignInRequired => ApiError::unauthorized(
                "sign in first: send `Authorization: Bearer TOKEN` (POST /api/v1/tokens gives one)",
            ),
            AppError::BadCredentials => {
                ApiError::unauthorized(AppError::BadCredentials.to_string())
            }
            AppError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            AppError::NotFound(m) => ApiError::not_found(m),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            AppError::RateLimited { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many failed attempts: try again in {retry_after_secs} seconds"),
                )
            },
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not answer; the error is in its log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            kind: format!("https://empower.invalid/problems/{}", self.status.as_u16()),
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: self
                .field
                .as_deref()
                .map(|f| {
                    vec![FieldError {
                        field: f,
                        message: &self.detail,
                    }]
                })
                .unwrap_or_default(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            let (name, value) = crate::auth::retry_after(secs);
            res.headers_mut().insert(name, value);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}
