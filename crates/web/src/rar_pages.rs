//! Resource Allocation Reviews' pages: the state's selection (ranked
//! districts with their figures and reasons, additions and removals,
//! notices), its CSV, and a notice (the letter, printable and as PDF,
//! acknowledged by the district's leaders).

use crate::auth::PageCaller;
use crate::forms::{
    account_bar, csrf_field, field_error, fiscal_year_form_start, form_error, form_start,
    leaves_page, refusal, see_other,
};
use crate::render::{page, respond};
use crate::{printable, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use empower_app::accounts::Role;
use empower_app::rar;
use empower_app::AppError;
use empower_store::RarNoticeRow;
use maud::{html, Markup};
use serde::Deserialize;

type FieldError = Option<(String, String)>;

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub fiscal_year: Option<String>,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The weights, heaviest first.
fn weights(r: &empower_rar::RarRules) -> String {
    let mut w: Vec<(&String, &f64)> = r.selection.weights.iter().collect();
    w.sort_by(|a, b| b.1.total_cmp(a.1));
    w.iter()
        .map(|(d, w)| format!("{d} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn notice_status(n: &RarNoticeRow) -> Markup {
    html! {
        "issued " (n.issued_on)
        @if n.late { " " strong.error { "late" } }
        @if n.acknowledged_at.is_some() { " · acknowledged" } @else { " · not acknowledged yet" }
    }
}

async fn year(app: &AppState, raw: Option<&str>) -> Result<i16, AppError> {
    crate::rar_api::fiscal_year(app, raw)
        .await
        .map_err(|e| AppError::Invalid {
            field: "fiscal_year".into(),
            message: e.detail,
        })
}

async fn selection_page(app: &AppState, c: &PageCaller, fy: i16, error: FieldError) -> Response {
    let path = format!("/rar?fiscal_year={fy}");
    let actor = c.actor.as_ref();
    // District leaders: their own district's notices.
    if empower_app::policy::run_rar(actor).is_err() {
        let Some(a) = actor else {
            return refusal(AppError::SignInRequired, &path);
        };
        if !a.holds(Role::DistrictLeader) {
            return refusal(
                AppError::Forbidden(
                    "Resource Allocation Reviews are run by the state with district leaders".into(),
                ),
                &path,
            );
        }
        let notices = rar::my_notices(&app.store, actor).await.unwrap_or_default();
        return respond(
            StatusCode::OK,
            page(
                "Resource Allocation Reviews",
                html! {
                    (account_bar(c))
                    h1 { "Resource Allocation Reviews" }
                    p { "The state reviews resource allocation with districts that serve a significant number of schools identified for support. Your district's notices:" }
                    @if notices.is_empty() { p.muted { "No notice yet." } }
                    ul { @for n in &notices { li {
                        a href={"/rar/notices/" (n.id)} { "Fiscal year " (n.fiscal_year) ": " (n.subject) }
                        " · " (notice_status(n))
                    } } }
                },
            ),
        );
    }
    let (years, _) = match rar::fiscal_years(&app.state, &app.store, app.clock.now()).await {
        Ok(y) => y,
        Err(e) => return refusal(e, &path),
    };
    let view = match rar::selection(&app.state, &app.store, actor, fy).await {
        Ok(v) => v,
        Err(e @ AppError::Invalid { .. }) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Resource Allocation Reviews",
                    html! {
                        (account_bar(c))
                        h1 { "Resource Allocation Reviews" }
                        p.error role="alert" { (e.to_string()) }
                        p { "Fiscal years with a published report card: "
                            @for y in &years { a href={"/rar?fiscal_year=" (y)} { (y) } " " } }
                    },
                ),
            )
        }
        Err(e) => return refusal(e, &path),
    };
    let rules = app.state.rar.as_ref();
    let notice_of = |d: &str| view.notices.iter().find(|n| n.district_rcdts == d);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = format!("Resource Allocation Reviews, fiscal year {fy}");
    respond(
        status,
        page(
            &title,
            html! {
                (account_bar(c))
                h1 { (title) }
                form.search method="get" action="/rar" {
                    label { "Fiscal year" select name="fiscal_year" {
                        @for y in &years { option value=(y) selected[*y == fy] { (y) } }
                    } }
                    button type="submit" { "Show" }
                }
                @let changed = view.rows.iter().filter(|r| r.selected != r.selected_by_rule).count();
                p { strong { (view.selected) " of " (view.rows.len()) " districts selected" }
                    " (" (view.selected_by_rule) " by the rule"
                    @if changed > 0 { "; " (changed) " changed by the state" }
                    "), from the designations of record of the " (view.report_card_year) " report card. "
                    "Notices are due by " (view.notice_deadline) "; " (view.notices.len()) " issued." }
                @if let Some(r) = rules {
                    p.muted { "The rule: at least " (r.selection.min_identified) " identified schools and at least "
                        (pct(r.selection.min_share)) " of the district's schools identified, ranked by weighted share ("
                        (weights(r))
                        ") then by years in status. Rules version " (r.version) "." }
                }
                p { a href={"/rar/selection.csv?fiscal_year=" (fy)} { "Download every district's figures (CSV)" } }
                (field_error(&error, "form"))
                (field_error(&error, "reason"))
                (field_error(&error, "district_rcdts"))
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" class="num" { "Rank" } th scope="col" style="min-width: 22rem" { "District and reason" }
                        th scope="col" class="num" { "Schools" } th scope="col" class="num" { "Identified" }
                        th scope="col" class="num" { "Share" } th scope="col" class="num" { "Weighted" }
                        th scope="col" class="num" { "Years" } th scope="col" { "Selected" } th scope="col" { "Notice" } th scope="col" { "Change" }
                    } }
                    tbody { @for r in view.rows.iter().filter(|r| r.schools > 0 && (r.identified > 0 || r.selected)) { tr {
                        td.num { (r.rank) }
                        td { a href={"/districts/" (r.district_rcdts)} { (r.name) }
                            " " span.muted { (r.by_designation.iter().map(|(d, n)| format!("{n} {d}")).collect::<Vec<_>>().join(", ")) }
                            br; small.muted { (r.reason) } }
                        td.num { (r.schools) }
                        td.num { (r.identified) }
                        td.num { (pct(r.share)) }
                        td.num { (format!("{:.3}", r.weighted_share)) }
                        td.num { (r.years_in_status) }
                        td { strong { @if r.selected { "yes" } @else { "no" } }
                            @if r.selected != r.selected_by_rule { br; span.muted { @if r.selected { "added by the state" } @else { "removed by the state" } } } }
                        td {
                            @if let Some(n) = notice_of(&r.district_rcdts) {
                                a href={"/rar/notices/" (n.id)} { "Notice" } " " (notice_status(n))
                            } @else if r.selected {
                                form method="post" action="/rar/notices" {
                                    (csrf_field(c))
                                    input type="hidden" name="fiscal_year" value=(fy);
                                    input type="hidden" name="district_rcdts" value=(r.district_rcdts);
                                    button type="submit" aria-label={"Issue the notice to " (r.name)} { "Issue the notice" }
                                }
                            }
                        }
                        td {
                            form method="post" action={"/rar/selection/" (r.district_rcdts) "/override"} {
                                (csrf_field(c))
                                input type="hidden" name="fiscal_year" value=(fy);
                                input type="hidden" name="selected" value=(if r.selected { "0" } else { "1" });
                                label { "Reason" input type="text" name="reason" required maxlength="2000" size="12"; }
                                button type="submit" aria-label={(if r.selected { "Remove " } else { "Add " }) (r.name)} {
                                    @if r.selected { "Remove" } @else { "Add" }
                                }
                            }
                        }
                    } } }
                } }
                p.muted { "Districts with no identified school are in the CSV, not listed here." }
                details {
                    summary { "Add a district not listed" }
                    form.stack method="post" action="/rar/selection/add" {
                        (csrf_field(c))
                        input type="hidden" name="fiscal_year" value=(fy);
                        label { "District (RCDTS)" input type="text" name="district_rcdts" required; }
                        label { "Reason" input type="text" name="reason" required maxlength="2000"; }
                        button type="submit" { "Add the district" }
                    }
                }
            },
        ),
    )
}

/// `GET /rar?fiscal_year=`.
pub async fn selection(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<YearQuery>,
) -> Response {
    match year(&app, q.fiscal_year.as_deref()).await {
        Ok(fy) => selection_page(&app, &c, fy, None).await,
        Err(e) => refusal(e, "/rar"),
    }
}

/// `GET /rar/selection.csv?fiscal_year=`: every district.
pub async fn selection_csv(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<YearQuery>,
) -> Response {
    let fy = match year(&app, q.fiscal_year.as_deref()).await {
        Ok(fy) => fy,
        Err(e) => return refusal(e, "/rar"),
    };
    let view = match rar::selection(&app.state, &app.store, c.actor.as_ref(), fy).await {
        Ok(v) => v,
        Err(e) => return refusal(e, &format!("/rar/selection.csv?fiscal_year={fy}")),
    };
    crate::download::csv_download(
        &format!("rar-selection-fy{fy}.csv"),
        &rar::SELECTION_COLUMNS,
        rar::selection_rows(&view),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OverrideForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub selected: String,
    pub district_rcdts: String,
    pub reason: String,
}

async fn after(app: &AppState, c: &PageCaller, fy: i16, r: Result<(), AppError>) -> Response {
    match r {
        Ok(()) => see_other(&format!("/rar?fiscal_year={fy}")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/rar?fiscal_year={fy}")),
        Err(e) => selection_page(app, c, fy, form_error(&e)).await,
    }
}

/// `POST /rar/selection/{district}/override`.
pub async fn override_selection(
    State(app): State<AppState>,
    c: PageCaller,
    Path(district): Path<String>,
    Form(f): Form<OverrideForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/rar") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = rar::override_selection(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        fy,
        &district,
        f.selected == "1",
        &f.reason,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    after(&app, &c, fy, r).await
}

/// `POST /rar/selection/add`: a district named by its RCDTS.
pub async fn add_district(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<OverrideForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/rar") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = rar::override_selection(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        fy,
        f.district_rcdts.trim(),
        true,
        &f.reason,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    after(&app, &c, fy, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub district_rcdts: String,
}

/// `POST /rar/notices`.
pub async fn issue_notice(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<NoticeForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/rar") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = rar::issue_notice(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        fy,
        f.district_rcdts.trim(),
        &app.settings.public_url,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    after(&app, &c, fy, r).await
}

/// `GET /rar/notices/{id}`.
pub async fn notice(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no notice {id}."));
    };
    let path = format!("/rar/notices/{id}");
    let n = match rar::notice(&app.store, c.actor.as_ref(), id).await {
        Ok(n) => n,
        Err(e) => return refusal(e, &path),
    };
    let leader = c
        .actor
        .as_ref()
        .is_some_and(|a| a.holds_for(Role::DistrictLeader, &n.district_rcdts));
    let draft = app.state.rar.as_ref().is_some_and(|r| r.draft);
    respond(
        StatusCode::OK,
        page(
            &n.subject,
            html! {
                (account_bar(&c))
                p { a href={"/rar?fiscal_year=" (n.fiscal_year)} { "← Resource Allocation Reviews" } }
                h1 { (n.subject) }
                p { (notice_status(&n)) }
                dl.facts {
                    dt { "Date" } dd { (n.issued_on) }
                    dt { "District" } dd { a href={"/districts/" (n.district_rcdts)} { (n.district_rcdts) } }
                    dt { "To" } dd { @if n.recipients.is_empty() { "the district's leaders (no account yet: send the printed letter)" } @else { (n.recipients.join(", ")) } }
                }
                section.status-box { p.prose { (n.body) } }
                @if draft { p.muted { "The letter's wording is draft." } }
                p { a href={"/rar/notices/" (n.id) "/print"} { "Printable letter" } " · " a href={"/rar/notices/" (n.id) "/pdf"} download { "Download as PDF" } }
                @if leader && n.acknowledged_at.is_none() {
                    form method="post" action={"/rar/notices/" (n.id) "/acknowledge"} {
                        (csrf_field(&c))
                        button type="submit" { "Acknowledge the notice" }
                    }
                }
            },
        ),
    )
}

/// `GET /rar/notices/{id}/print`.
pub async fn notice_print(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no notice {id}."));
    };
    match rar::notice(&app.store, c.actor.as_ref(), id).await {
        Ok(n) => respond(
            StatusCode::OK,
            printable::html(
                &rar::notice_document(&app.state, &n),
                &format!("/rar/notices/{id}/pdf"),
                (&format!("/rar/notices/{id}"), "The notice"),
            ),
        ),
        Err(e) => refusal(e, &format!("/rar/notices/{id}/print")),
    }
}

/// `GET /rar/notices/{id}/pdf`.
pub async fn notice_pdf(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no notice {id}."));
    };
    match rar::notice(&app.store, c.actor.as_ref(), id).await {
        Ok(n) => printable::pdf_response(
            &rar::notice_document(&app.state, &n),
            &format!("rar-notice-fy{}-{}.pdf", n.fiscal_year, n.district_rcdts),
        ),
        Err(e) => refusal(e, &format!("/rar/notices/{id}/pdf")),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `POST /rar/notices/{id}/acknowledge`.
pub async fn acknowledge(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "notice", "/rar/notices") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match rar::acknowledge(&app.store, c.actor.as_ref(), id, app.clock.now()).await {
        Ok(_) => see_other(&format!("/rar/notices/{id}")),
        Err(e) => refusal(e, &format!("/rar/notices/{id}")),
    }
}
