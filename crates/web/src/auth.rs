//! Who is calling. The API takes only bearer tokens (`Authorization:
//! Bearer ...`, so it needs no CSRF token); pages take only the session
//! cookie, and every form they post carries a CSRF token: the session's
//! own when signed in, else the double-submit cookie's. What the caller
//! may do is decided by the use cases (`empower_app::policy`), never
//! here.

use crate::{ApiError, AppState};
use axum::http::{header, HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use empower_app::accounts::{self, Actor};

pub const SESSION_COOKIE: &str = "empower_session";
pub const CSRF_COOKIE: &str = "empower_csrf";

/// The caller of an API route: `None` without an `Authorization` header;
/// a header that is not a live bearer token is refused (`401`).
pub async fn api_caller(app: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("send the API token as `Authorization: Bearer TOKEN`")
        })?;
    match accounts::token_actor(&app.store, token, app.clock.now()).await? {
        Some(actor) => Ok(Some(actor)),
        None => Err(ApiError::unauthorized(
            "this API token is not valid: it has expired, was revoked or never existed; ask for a new one with POST /api/v1/tokens",
        )),
    }
}

/// The caller of a page: the signed-in person (if any), their session's
/// secret and the CSRF token the page's forms must carry.
#[derive(Clone, Debug)]
pub struct PageCaller {
    pub actor: Option<Actor>,
    pub session: Option<String>,
    pub csrf: String,
    /// A new double-submit cookie to set (signed out, none sent yet).
    pub new_csrf_cookie: Option<String>,
}

/// Pages take their caller as an extractor; a database that does not
/// answer is an error page.
impl axum::extract::FromRequestParts<AppState> for PageCaller {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let jar = CookieJar::from_headers(&parts.headers);
        PageCaller::from_jar(app, &jar)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl PageCaller {
    pub async fn from_jar(app: &AppState, jar: &CookieJar) -> Result<PageCaller, ApiError> {
        if let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            if let Some((actor, csrf)) =
                accounts::session_actor(&app.store, &secret, app.clock.now()).await?
            {
                return Ok(PageCaller {
                    actor: Some(actor),
                    session: Some(secret),
                    csrf,
                    new_csrf_cookie: None,
                });
            }
        }
        let (csrf, new_csrf_cookie) = match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() >= 32 => (c.value().to_string(), None),
            _ => {
                let fresh = accounts::new_csrf_token();
                (fresh.clone(), Some(fresh))
            }
        };
        Ok(PageCaller {
            actor: None,
            session: None,
            csrf,
            new_csrf_cookie,
        })
    }

    /// Whether a posted form's token is this caller's.
    pub fn csrf_ok(&self, posted: &str) -> bool {
        // Compared in full whatever the first difference, so that timing
        // does not reveal the token.
        let (a, b) = (self.csrf.as_bytes(), posted.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Cookies are `HttpOnly`, `SameSite=Lax`, and `Secure` when the server
/// is reached over https.
fn cookie(app: &AppState, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.settings.public_url.starts_with("https://"))
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
}

pub fn session_cookie(app: &AppState, secret: String) -> Cookie<'static> {
    cookie(app, SESSION_COOKIE, secret, app.settings.session_secs)
}

pub fn csrf_cookie(app: &AppState, token: String) -> Cookie<'static> {
    cookie(app, CSRF_COOKIE, token, app.settings.session_secs)
}

pub fn removal(app: &AppState, name: &'static str) -> Cookie<'static> {
    cookie(app, name, String::new(), 0)
}

/// The client's address, for the loose per-address sign-in limit: the
/// first `X-Forwarded-For` hop when a proxy sets it, else the socket's.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let socket = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientAddress(
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .or(socket)
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

pub fn retry_after(secs: u64) -> (header::HeaderName, HeaderValue) {
    (
        header::RETRY_AFTER,
        HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
    )
}
