//! What every signed-in page and form shares: the CSRF token in each
//! form and its check, the account bar, a use case's refusal shown as a
//! page (the sign-in page for a signed-out caller), and errors shown
//! next to the field at fault.

// The checks answer a whole response to return early with; they run
// once per form, so its size does not matter.
#![allow(clippy::result_large_err)]

use crate::auth::{self, PageCaller};
use crate::pages::encode;
use crate::render::{page, respond};
use crate::{ApiError, AppState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use empower_app::accounts::Role;
use empower_app::AppError;
use maud::{html, Markup};

pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A use case's refusal as a page.
pub(crate) fn refusal(e: AppError, path: &str) -> Response {
    match e {
        AppError::SignInRequired => see_other(&format!("/sign-in?next={}", encode(path))),
        AppError::RateLimited { retry_after_secs } => {
            let mut res = message_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                &format!(
                    "Too many failed sign-ins for this account. Try again in {} minutes, or reset your password.",
                    retry_after_secs.div_ceil(60)
                ),
            );
            let (name, value) = auth::retry_after(retry_after_secs);
            res.headers_mut().insert(name, value);
            res
        }
        other => {
            let e = ApiError::from(other);
            message_page(
                e.status,
                e.status.canonical_reason().unwrap_or("Error"),
                &e.detail,
            )
        }
    }
}

pub(crate) fn message_page(status: StatusCode, title: &str, detail: &str) -> Response {
    respond(
        status,
        page(
            title,
            html! { h1 { (title) } p { (detail) } p { a href="/" { "Search the schools" } } },
        ),
    )
}

/// The jar with the signed-out CSRF cookie set where it was missing.
pub(crate) fn with_csrf(app: &AppState, jar: CookieJar, c: &PageCaller) -> CookieJar {
    match &c.new_csrf_cookie {
        Some(t) => jar.add(auth::csrf_cookie(app, t.clone())),
        None => jar,
    }
}

pub(crate) fn csrf_field(c: &PageCaller) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.csrf); }
}

/// A posted form whose CSRF token is not the caller's is refused before
/// anything else.
pub(crate) fn check_csrf(c: &PageCaller, posted: &str) -> Result<(), Response> {
    if c.csrf_ok(posted) {
        Ok(())
    } else {
        Err(message_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was not sent from this site's page, or the page is too old. Go back, reload the page and send it again.",
        ))
    }
}

/// Signed in: the person, and a way out.
pub(crate) fn account_bar(c: &PageCaller) -> Markup {
    html! {
        @if let Some(a) = &c.actor {
            div.account-bar {
                "Signed in as " strong { (a.name) } " (" (a.email) ") · "
                a href="/account" { "Your account" }
                @if [Role::StateAdmin, Role::StateCoordinator, Role::DistrictLeader, Role::SchoolLeader, Role::PartnerContact].iter().any(|r| a.holds(*r)) {
                    " · " a href="/partner-applications" { "Partner applications" }
                }
                @if [Role::StateAdmin, Role::StateCoordinator, Role::DistrictLeader].iter().any(|r| a.holds(*r)) {
                    " · " a href="/improvement" { "Improvement cycle" }
                } @else if let Some(school) = a.grants.iter().find(|g| g.role == Role::SchoolLeader).and_then(|g| g.scope.as_deref()) {
                    " · " a href={"/schools/" (school) "/improvement"} { "Improvement cycle" }
                }
                @if [Role::StateAdmin, Role::StateCoordinator, Role::DistrictLeader].iter().any(|r| a.holds(*r)) {
                    " · " a href="/rar" { "Resource Allocation Reviews" }
                }
                @if a.holds(Role::Educator) {
                    " · " a href="/tep" { "Teaching Excellence Program" }
                }
                @if a.holds(Role::Employer) || a.holds(Role::DistrictLeader) {
                    " · " a href="/tep/verifications" { "Verify educators" }
                }
                @if a.holds(Role::ProgramAdmin) {
                    " · " a href="/tep/admin" { "TEP ledger" }
                }
                @if a.holds(Role::StateAdmin) {
                    " · " a href="/admin/partner-rounds" { "Partner rounds" }
                    " · " a href="/admin/users" { "Users" } " · " a href="/admin/audit" { "Audit log" }
                }
                form method="post" action="/sign-out" style="display:inline" {
                    (csrf_field(c)) " · " button.link type="submit" { "Sign out" }
                }
            }
        }
    }
}

pub(crate) fn field_error(error: &Option<(String, String)>, field: &str) -> Markup {
    html! {
        @if let Some((f, m)) = error {
            @if f == field { p.error role="alert" id={(field) "-error"} { (m) } }
        }
    }
}

/// A use-case error shown on its form: the field at fault, or the whole
/// form.
pub(crate) fn form_error(e: &AppError) -> Option<(String, String)> {
    match e {
        AppError::Invalid { field, message } => Some((field.clone(), message.clone())),
        other => Some(("form".into(), other.to_string())),
    }
}

/// The start of every form posted about one record (`{base}/{id}`): the
/// caller signed in, the CSRF token theirs, the id a number.
pub(crate) fn form_start(
    c: &PageCaller,
    csrf: &str,
    id: &str,
    what: &str,
    base: &str,
) -> Result<i64, Response> {
    let path = format!("{base}/{id}");
    if c.actor.is_none() {
        return Err(refusal(AppError::SignInRequired, &path));
    }
    check_csrf(c, csrf)?;
    id.parse::<i64>().map_err(|_| {
        refusal(
            AppError::NotFound(format!("there is no {what} {id}")),
            &path,
        )
    })
}

/// The start of every form posted about a fiscal year: the caller signed
/// in, the CSRF token theirs, the year a number (`path`: where a refusal
/// sends back to).
pub(crate) fn fiscal_year_form_start(
    c: &PageCaller,
    csrf: &str,
    fiscal_year: &str,
    path: &str,
) -> Result<i16, Response> {
    if c.actor.is_none() {
        return Err(refusal(AppError::SignInRequired, path));
    }
    check_csrf(c, csrf)?;
    fiscal_year.trim().parse().map_err(|_| {
        refusal(
            AppError::NotFound(format!("there is no fiscal year {fiscal_year}")),
            path,
        )
    })
}

/// A use case's error for the page it is shown on: refusals that send
/// the caller away (sign in, forbidden, not found) leave the page; the
/// others are shown on it, next to what they are about.
pub(crate) fn leaves_page(e: &AppError) -> bool {
    matches!(
        e,
        AppError::SignInRequired | AppError::Forbidden(_) | AppError::NotFound(_)
    )
}
