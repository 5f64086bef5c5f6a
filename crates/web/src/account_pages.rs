//! Account and administration pages: sign in and out, register as an
//! educator, password reset and invitation links, one's account, and the
//! state administrator's users, roles, invitations and audit log.
//!
//! Every form carries a CSRF token and is checked first; then the use
//! case decides (`empower_app::policy`). A signed-out request to a page
//! that needs sign-in is sent to the sign-in page (`303`), a signed-in one
//! outside its role gets `403`.

// The checks below answer a whole response to return early with; they
// run once per form, so its size does not matter.
#![allow(clippy::result_large_err)]

use crate::auth::{self, ClientAddress, PageCaller};
use crate::forms::{
    account_bar, check_csrf, csrf_field, field_error, form_error, form_start, message_page,
    refusal, see_other, with_csrf,
};
use crate::pages::encode;
use crate::render::{page, respond};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use empower_app::accounts::{self, Actor, Grant, Role};
use empower_app::clock::rfc3339;
use empower_app::AppError;
use maud::{html, Markup};
use serde::Deserialize;

/// Where to go after signing in: a path on this site only.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok {
        next
    } else {
        "/account"
    }
}

// ---------------------------------------------------------------- sign in

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    pub csrf: String,
    pub next: String,
}

fn sign_in_page(
    c: &PageCaller,
    email: &str,
    next: &str,
    error: Option<(String, String)>,
) -> Markup {
    page(
        "Sign in",
        html! {
            h1 { "Sign in" }
            (field_error(&error, "form"))
            form.stack method="post" action="/sign-in" {
                (csrf_field(c))
                input type="hidden" name="next" value=(next);
                label { "E-mail address" input type="email" name="email" autocomplete="username" required value=(email); }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
            p { a href="/reset" { "Forgot your password?" } }
            p { "An educator applying to the Teaching Excellence Program? " a href="/register" { "Create an account" } "." }
        },
    )
}

pub async fn sign_in_form(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref().unwrap_or("/account")).to_string();
    if c.actor.is_some() {
        return see_other(&next);
    }
    let jar = with_csrf(&app, jar, &c);
    (
        jar,
        respond(StatusCode::OK, sign_in_page(&c, "", &next, None)),
    )
        .into_response()
}

pub async fn sign_in(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    ClientAddress(address): ClientAddress,
    Form(f): Form<SignInForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let next = safe_next(&f.next).to_string();
    match accounts::sign_in(
        &app.store,
        &app.settings,
        &f.email,
        &f.password,
        &address,
        app.clock.now(),
    )
    .await
    {
        Ok(s) => {
            let jar = jar
                .add(auth::session_cookie(&app, s.secret))
                .remove(auth::removal(&app, auth::CSRF_COOKIE));
            (jar, see_other(&next)).into_response()
        }
        Err(AppError::BadCredentials) => respond(
            StatusCode::UNAUTHORIZED,
            sign_in_page(
                &c,
                &f.email,
                &next,
                Some(("form".into(), AppError::BadCredentials.to_string())),
            ),
        ),
        Err(e) => refusal(e, "/sign-in"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn sign_out(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(session) = c.session.clone() else {
        return see_other("/sign-in");
    };
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match accounts::sign_out(&app.store, c.actor.as_ref(), &session, app.clock.now()).await {
        Ok(()) => (
            jar.remove(auth::removal(&app, auth::SESSION_COOKIE)),
            see_other("/"),
        )
            .into_response(),
        Err(e) => refusal(e, "/"),
    }
}

// ---------------------------------------------------------------- register

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    pub email: String,
    pub name: String,
    pub password: String,
    pub csrf: String,
}

fn register_page(c: &PageCaller, f: &RegisterForm, error: Option<(String, String)>) -> Markup {
    page(
        "Create an educator account",
        html! {
            h1 { "Create an educator account" }
            p.muted { "For teachers and school counselors applying to the Teaching Excellence Program. School and district leaders, partners and employers are invited by the state instead." }
            (field_error(&error, "form"))
            form.stack method="post" action="/register" {
                (csrf_field(c))
                label { "Your name" input type="text" name="name" autocomplete="name" required value=(f.name); }
                (field_error(&error, "name"))
                label { "E-mail address" input type="email" name="email" autocomplete="email" required value=(f.email); }
                (field_error(&error, "email"))
                label { "Password (at least 10 characters)" input type="password" name="password" autocomplete="new-password" required minlength="10"; }
                (field_error(&error, "password"))
                button type="submit" { "Create the account" }
            }
        },
    )
}

pub async fn register_form(State(app): State<AppState>, jar: CookieJar, c: PageCaller) -> Response {
    let jar = with_csrf(&app, jar, &c);
    (
        jar,
        respond(
            StatusCode::OK,
            register_page(&c, &RegisterForm::default(), None),
        ),
    )
        .into_response()
}

pub async fn register(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    Form(f): Form<RegisterForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match accounts::register_educator(
        &app.store,
        &app.settings,
        &f.email,
        &f.name,
        &f.password,
        app.clock.now(),
    )
    .await
    {
        Ok(s) => (
            jar.add(auth::session_cookie(&app, s.secret)),
            see_other("/account"),
        )
            .into_response(),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let status = if matches!(e, AppError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            respond(status, register_page(&c, &f, form_error(&e)))
        }
        Err(e) => refusal(e, "/register"),
    }
}

// ---------------------------------------------------------------- reset and invitation links

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    pub email: String,
    pub csrf: String,
}

fn reset_request_page(c: &PageCaller, error: Option<(String, String)>) -> Markup {
    page(
        "Reset your password",
        html! {
            h1 { "Reset your password" }
            p { "Give the e-mail address of your account: a link to set a new password is sent to it, valid for an hour." }
            form.stack method="post" action="/reset" {
                (csrf_field(c))
                label { "E-mail address" input type="email" name="email" autocomplete="username" required; }
                (field_error(&error, "email"))
                button type="submit" { "Send the link" }
            }
        },
    )
}

pub async fn reset_request_form(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
) -> Response {
    let jar = with_csrf(&app, jar, &c);
    (jar, respond(StatusCode::OK, reset_request_page(&c, None))).into_response()
}

pub async fn reset_request(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<ResetRequestForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match accounts::request_reset(&app.store, &app.settings, &f.email, app.clock.now()).await {
        Ok(()) => message_page(
            StatusCode::OK,
            "Check your mail",
            "If an account has this address, a link to set a new password is on its way. It works once, within an hour.",
        ),
        Err(e @ AppError::Invalid { .. }) => respond(StatusCode::UNPROCESSABLE_ENTITY, reset_request_page(&c, form_error(&e))),
        Err(e) => refusal(e, "/reset"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub password: String,
    pub csrf: String,
}

fn link_page(
    c: &PageCaller,
    action: &str,
    view: &accounts::LinkView,
    error: Option<(String, String)>,
) -> Markup {
    let invitation = view.kind == "invitation";
    let title = if invitation {
        "Accept your invitation"
    } else {
        "Set a new password"
    };
    page(
        title,
        html! {
            h1 { (title) }
            @if invitation {
                p { "Welcome, " (view.name) ". You are invited as "
                    strong { (view.role.map(Role::label).unwrap_or("a user")) }
                    @if let Some(s) = &view.scope { " for " (s) }
                    ". Choose a password to finish." }
            } @else {
                p { "Choose a new password for " (view.email) ". Every other session and API token of the account will stop working." }
            }
            (field_error(&error, "form"))
            form.stack method="post" action=(action) {
                (csrf_field(c))
                input type="text" name="username" autocomplete="username" value=(view.email) hidden;
                label { "Password (at least 10 characters)" input type="password" name="password" autocomplete="new-password" required minlength="10"; }
                (field_error(&error, "password"))
                button type="submit" { (if invitation { "Accept and sign in" } else { "Set the password and sign in" }) }
            }
        },
    )
}

pub async fn link_form(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    uri: axum::http::Uri,
    Path(secret): Path<String>,
) -> Response {
    match accounts::open_link(&app.store, &secret, app.clock.now()).await {
        Ok(view) => {
            let jar = with_csrf(&app, jar, &c);
            (
                jar,
                respond(StatusCode::OK, link_page(&c, uri.path(), &view, None)),
            )
                .into_response()
        }
        Err(e) => refusal(e, uri.path()),
    }
}

pub async fn use_link(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    uri: axum::http::Uri,
    Path(secret): Path<String>,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let now = app.clock.now();
    match accounts::use_link(&app.store, &app.settings, &secret, &f.password, now).await {
        Ok(s) => (
            jar.add(auth::session_cookie(&app, s.secret)),
            see_other("/account"),
        )
            .into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            match accounts::open_link(&app.store, &secret, now).await {
                Ok(view) => respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    link_page(&c, uri.path(), &view, form_error(&e)),
                ),
                Err(e) => refusal(e, uri.path()),
            }
        }
        Err(e) => refusal(e, uri.path()),
    }
}

// ---------------------------------------------------------------- one's account

fn scope_link(g: &Grant) -> Markup {
    html! {
        @if let Some(s) = &g.scope {
            @match g.role.scope_kind() {
                accounts::ScopeKind::District => { " for district " a href={"/districts/" (s)} { (s) } }
                _ => { " for school " a href={"/schools/" (s)} { (s) } }
            }
        }
    }
}

/// Who holds roles for a school and its district.
pub async fn school_people(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
) -> Response {
    let path = format!("/schools/{rcdts}/people");
    match accounts::school_people(&app.state, &app.store, c.actor.as_ref(), &rcdts).await {
        Ok((school, name, people)) => respond(
            StatusCode::OK,
            page(
                "People with access",
                html! {
                    (account_bar(&c))
                    p { a href={"/schools/" (school)} { "← The school's profile" } }
                    h1 { "Who has access to " (name) }
                    p.muted { "People holding a role for the school (" (school) ") or for its district." }
                    @if people.is_empty() { p.muted { "No one yet. A state administrator invites people from the users page." } } @else {
                        div.table-wrap { table {
                            thead { tr { th scope="col" { "Person" } th scope="col" { "Role" } } }
                            tbody { @for p in &people { tr {
                                td { (p.name) br; span.source { (p.email) } }
                                td { (p.grant.role.label()) (scope_link(&p.grant)) }
                            } } }
                        } }
                    }
                },
            ),
        ),
        Err(e) => refusal(e, &path),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    pub changed: Option<String>,
}

fn account_page(
    c: &PageCaller,
    a: &Actor,
    notice: Option<&str>,
    error: Option<(String, String)>,
) -> Markup {
    page(
        "Your account",
        html! {
            (account_bar(c))
            h1 { "Your account" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            dl.facts {
                dt { "Name" } dd { (a.name) }
                dt { "E-mail address" } dd { (a.email) }
                dt { "Roles" } dd {
                    @if a.grants.is_empty() { span.muted { "none yet" } }
                    ul { @for g in &a.grants { li {
                        (g.role.label()) (scope_link(g))
                        @if let (Some(s), accounts::ScopeKind::School) = (&g.scope, g.role.scope_kind()) {
                            " · " a href={"/schools/" (s) "/people"} { "people with access" }
                        }
                    } } }
                }
            }
            h2 { "Change your password" }
            (field_error(&error, "form"))
            form.stack method="post" action="/account/password" {
                (csrf_field(c))
                input type="text" name="username" autocomplete="username" value=(a.email) hidden;
                label { "Current password" input type="password" name="current_password" autocomplete="current-password" required; }
                (field_error(&error, "current_password"))
                label { "New password (at least 10 characters)" input type="password" name="new_password" autocomplete="new-password" required minlength="10"; }
                (field_error(&error, "password"))
                button type="submit" { "Change the password" }
            }
            h2 { "Scripts" }
            p { "Scripts use the JSON API with a token: " code { "POST /api/v1/tokens" } " with your e-mail address and password gives one, valid for 90 days. Changing your password ends every token." }
        },
    )
}

pub async fn account(c: PageCaller, Query(q): Query<AccountQuery>) -> Response {
    let a = match accounts::me(c.actor.as_ref()) {
        Ok(a) => a,
        Err(e) => return refusal(e, "/account"),
    };
    let notice = q
        .changed
        .is_some()
        .then_some("Your password is changed; your other sessions and tokens have ended.");
    respond(StatusCode::OK, account_page(&c, a, notice, None))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub csrf: String,
}

pub async fn change_password(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Some(a) = &c.actor else {
        return refusal(AppError::SignInRequired, "/account");
    };
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match accounts::change_password(
        &app.store,
        &app.settings,
        Some(a),
        &f.current_password,
        &f.new_password,
        c.session.as_deref(),
        app.clock.now(),
    )
    .await
    {
        Ok(()) => see_other("/account?changed=1"),
        Err(e @ AppError::Invalid { .. }) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            account_page(&c, a, None, form_error(&e)),
        ),
        Err(e) => refusal(e, "/account"),
    }
}

// ---------------------------------------------------------------- administration

fn role_options(selected: Option<Role>) -> Markup {
    html! {
        option value="" { "Choose a role" }
        @for r in Role::ALL {
            option value=(r.as_str()) selected[selected == Some(r)] { (r.label()) }
        }
    }
}

fn invite_form(c: &PageCaller, error: &Option<(String, String)>) -> Markup {
    html! {
        form.stack method="post" action="/admin/invitations" {
            (csrf_field(c))
            label { "E-mail address" input type="email" name="email" required; }
            (field_error(error, "email"))
            label { "Name" input type="text" name="name" required; }
            (field_error(error, "name"))
            label { "Role" select name="role" required { (role_options(None)) } }
            (field_error(error, "role"))
            label { "Scope: the district's id (district leader, employer) or the school's (school leader, partner contact); empty for the others"
                input type="text" name="scope" inputmode="numeric" placeholder="e.g. 010010010262002"; }
            (field_error(error, "scope"))
            button type="submit" { "Invite" }
        }
    }
}

async fn users_page(
    app: &AppState,
    c: &PageCaller,
    error: Option<(String, String)>,
) -> Result<Markup, AppError> {
    let users = accounts::users(&app.store, c.actor.as_ref()).await?;
    let invitations = accounts::invitations(&app.store, c.actor.as_ref(), app.clock.now()).await?;
    Ok(page(
        "Users",
        html! {
            (account_bar(c))
            h1 { "Users and roles" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Person" } th scope="col" { "Roles" } th scope="col" { "Password" } } }
                tbody { @for (u, grants) in &users { tr {
                    td { a href={"/admin/users/" (u.id)} { (u.name) } br; span.source { (u.email) } }
                    td { @for g in grants { (g.role.label()) (scope_link(g)) br; } }
                    td { @if u.password_hash.is_some() { "set" } @else { span.muted { "not set yet" } } }
                } } }
            } }
            h2 { "Invite someone" }
            p.muted { "The invitation is a single-use link, valid for 7 days, mailed to the person and shown to you." }
            (field_error(&error, "form"))
            (invite_form(c, &error))
            h2 { "Invitations not accepted yet" }
            @if invitations.is_empty() { p.muted { "None." } } @else {
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Person" } th scope="col" { "Role" } th scope="col" { "Sent" } th scope="col" { "Expires" } } }
                    tbody { @for i in &invitations { tr {
                        td { (i.name) br; span.source { (i.email) } }
                        td { (i.role.as_deref().and_then(|r| Role::parse(r).ok()).map(Role::label).unwrap_or("—")) @if let Some(s) = &i.scope { " for " (s) } }
                        td { (when(i.created_at)) }
                        td { (when(i.expires_at)) }
                    } } }
                } }
            }
        },
    ))
}

pub async fn users(State(app): State<AppState>, c: PageCaller) -> Response {
    match users_page(&app, &c, None).await {
        Ok(m) => respond(StatusCode::OK, m),
        Err(e) => refusal(e, "/admin/users"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub scope: String,
    pub csrf: String,
}

fn link_shown(title: &str, what: &str, url: &str) -> Response {
    respond(
        StatusCode::OK,
        page(
            title,
            html! {
                h1 { (title) }
                p { (what) }
                p { code.link-text { (url) } }
                p.muted { "It works once. The same link is in the mail outbox for the person." }
                p { a href="/admin/users" { "Back to the users" } }
            },
        ),
    )
}

pub async fn invite(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<InviteForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/admin/users");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let result = match Role::parse(&f.role) {
        Ok(role) => {
            accounts::invite(
                &app.state,
                &app.store,
                &app.settings,
                c.actor.as_ref(),
                &f.email,
                &f.name,
                role,
                Some(f.scope.as_str()),
                app.clock.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(url) => link_shown(
            "Invitation sent",
            &format!(
                "Give {} this link if the mail does not reach them:",
                f.email.trim()
            ),
            &url,
        ),
        Err(e @ AppError::Invalid { .. }) => match users_page(&app, &c, form_error(&e)).await {
            Ok(m) => respond(StatusCode::UNPROCESSABLE_ENTITY, m),
            Err(e) => refusal(e, "/admin/users"),
        },
        Err(e) => refusal(e, "/admin/users"),
    }
}

/// A snapshot as a person reads it: one `field: value` line per field.
fn snapshot(v: &Option<serde_json::Value>) -> Markup {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    html! {
        @match v {
            Some(serde_json::Value::Object(fields)) => {
                @for (k, v) in fields { span.source { (k) ": " } (text(v)) br; }
            }
            Some(other) => { (text(other)) }
            None => {}
        }
    }
}

/// An instant as pages show it: `2026-11-30 09:50:24 UTC`.
fn when(secs: i64) -> String {
    rfc3339(secs).replace('T', " ").replace('Z', " UTC")
}

fn audit_table(records: &[empower_store::AuditRecord]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Record" } th scope="col" { "Before" } th scope="col" { "After" } } }
            tbody { @for r in records { tr {
                td { (when(r.at)) } td { (r.actor) } td { (r.action) }
                td { @if r.entity == "user" { a href={"/admin/users/" (r.entity_id)} { "user " (r.entity_id) } } @else { (r.entity) " " (r.entity_id) } }
                td { (snapshot(&r.before)) } td { (snapshot(&r.after)) }
            } } }
        } }
    }
}

async fn user_page(
    app: &AppState,
    c: &PageCaller,
    id: i64,
    error: Option<(String, String)>,
) -> Result<Markup, AppError> {
    let (user, grants) = accounts::user(&app.store, c.actor.as_ref(), id).await?;
    let history = accounts::audit_log(
        &app.store,
        c.actor.as_ref(),
        &empower_store::AuditFilter {
            entity: Some("user".into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        },
        empower_store::SchoolPage {
            page: 1,
            per_page: 500,
        },
    )
    .await?;
    Ok(page(
        &user.name,
        html! {
            (account_bar(c))
            p { a href="/admin/users" { "← Users" } }
            h1 { (user.name) }
            dl.facts {
                dt { "E-mail address" } dd { (user.email) }
                dt { "Account since" } dd { (when(user.created_at)) }
                dt { "Password" } dd { @if user.password_hash.is_some() { "set" } @else { "not set yet" } }
            }
            h2 { "Roles" }
            (field_error(&error, "form"))
            @if grants.is_empty() { p.muted { "No role." } }
            ul { @for g in &grants { li {
                (g.role.label()) (scope_link(g)) " "
                form method="post" action={"/admin/users/" (id) "/roles/remove"} style="display:inline" {
                    (csrf_field(c))
                    input type="hidden" name="role" value=(g.role.as_str());
                    input type="hidden" name="scope" value=(g.scope.clone().unwrap_or_default());
                    button.link type="submit" { "Remove" }
                }
            } } }
            h3 { "Grant a role" }
            form.stack method="post" action={"/admin/users/" (id) "/roles"} {
                (csrf_field(c))
                label { "Role" select name="role" required { (role_options(None)) } }
                (field_error(&error, "role"))
                label { "Scope (district or school id, where the role has one)" input type="text" name="scope" inputmode="numeric"; }
                (field_error(&error, "scope"))
                button type="submit" { "Grant" }
            }
            h2 { "Password" }
            form method="post" action={"/admin/users/" (id) "/reset"} {
                (csrf_field(c))
                button type="submit" { "Issue a password-reset link" }
            }
            h2 { "History" }
            (audit_table(&history.items))
        },
    ))
}

pub async fn user(State(app): State<AppState>, c: PageCaller, Path(id): Path<String>) -> Response {
    let path = format!("/admin/users/{id}");
    let Ok(id) = id.parse::<i64>() else {
        return refusal(AppError::NotFound(format!("there is no user {id}")), &path);
    };
    match user_page(&app, &c, id, None).await {
        Ok(m) => respond(StatusCode::OK, m),
        Err(e) => refusal(e, &path),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
    pub scope: String,
    pub csrf: String,
}

/// The common start of an administrator's form on a user: signed in, the
/// form's token, the user's id.
pub async fn grant_role(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "user", "/admin/users") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/admin/users/{id}");
    let result = async {
        let (user, _) = accounts::user(&app.store, c.actor.as_ref(), id).await?;
        let role = Role::parse(&f.role)?;
        let by = accounts::By::Actor(c.actor.as_ref().ok_or(AppError::SignInRequired)?);
        accounts::add_user(
            &app.state,
            &app.store,
            &app.settings,
            by,
            &user.email,
            &user.name,
            role,
            Some(f.scope.as_str()),
            None,
            app.clock.now(),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => see_other(&path),
        Err(e @ AppError::Invalid { .. }) => match user_page(&app, &c, id, form_error(&e)).await {
            Ok(m) => respond(StatusCode::UNPROCESSABLE_ENTITY, m),
            Err(e) => refusal(e, &path),
        },
        Err(e) => refusal(e, &path),
    }
}

pub async fn remove_role(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "user", "/admin/users") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/admin/users/{id}");
    let result = match Role::parse(&f.role) {
        Ok(role) => {
            accounts::remove_role(
                &app.store,
                c.actor.as_ref(),
                id,
                role,
                Some(f.scope.as_str()),
                app.clock.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&path),
        Err(e) => refusal(e, &path),
    }
}

pub async fn issue_reset(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "user", "/admin/users") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match accounts::issue_reset(
        &app.store,
        &app.settings,
        c.actor.as_ref(),
        id,
        app.clock.now(),
    )
    .await
    {
        Ok(url) => link_shown(
            "Password-reset link",
            "Give the person this link; it works once, within an hour:",
            &url,
        ),
        Err(e) => refusal(e, &format!("/admin/users/{id}")),
    }
}

pub async fn audit(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<crate::account_api::AuditQuery>,
) -> Response {
    let request = match q.request() {
        Ok(r) => r,
        Err(e) => return message_page(e.status, "Not a valid filter", &e.detail),
    };
    let found = match accounts::search_audit(&app.store, c.actor.as_ref(), &request).await {
        Ok((_, f)) => f,
        Err(e @ AppError::Invalid { .. }) => {
            let e = ApiError::from(e);
            return message_page(e.status, "Not a valid filter", &e.detail);
        }
        Err(e) => return refusal(e, "/admin/audit"),
    };
    let pages = found.total.div_ceil(u64::from(found.per_page)).max(1);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let link = |p: u32| {
        let mut params: Vec<String> = [
            ("entity", &q.entity),
            ("entity_id", &q.entity_id),
            ("actor", &q.actor),
            ("action", &q.action),
            ("since", &q.since),
        ]
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect();
        params.push(format!("page={p}"));
        format!("/admin/audit?{}", params.join("&"))
    };
    respond(
        StatusCode::OK,
        page(
            "Audit log",
            html! {
                (account_bar(&c))
                h1 { "Audit log" }
                p.muted { "Every change, newest first: who, when, what, which record, before and after. The database refuses to change or delete a record of it." }
                form.search method="get" action="/admin/audit" {
                    label { "Record kind" input type="text" name="entity" value=(text(&q.entity)) placeholder="user"; }
                    label { "Record id" input type="text" name="entity_id" value=(text(&q.entity_id)); }
                    label { "Who" input type="text" name="actor" value=(text(&q.actor)) placeholder="e-mail address"; }
                    label { "What" input type="text" name="action" value=(text(&q.action)) placeholder="user.create"; }
                    label { "Since" input type="text" name="since" value=(text(&q.since)) placeholder="2026-11-30"; }
                    button type="submit" { "Filter" }
                }
                p aria-live="polite" { (found.total) " records, page " (found.page) " of " (pages) }
                (audit_table(&found.items))
                nav.pager aria-label="Pages" {
                    @if found.page > 1 { a href=(link(found.page - 1)) { "← Newer" } }
                    @if u64::from(found.page) < pages { a href=(link(found.page + 1)) { "Older →" } }
                }
            },
        ),
    )
}
