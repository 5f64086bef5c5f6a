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
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: message.into(),
            field: Some(field.to_string()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { field, message } => ApiError::invalid(&field, message),
            AppError::Refused(m) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: m,
                field: None,
            },
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    detail: "the server could not answer; the error is in its log".into(),
                    field: None,
                }
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
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}
