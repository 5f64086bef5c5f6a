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
        let reviews = rar::reviews_for(&app.store, actor, fy)
            .await
            .unwrap_or_default();
        let districts: Vec<String> = a
            .grants
            .iter()
            .filter(|g| g.role == Role::DistrictLeader)
            .filter_map(|g| g.scope.clone())
            .collect();
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
                    h2 { "Reviews" }
                    @if reviews.is_empty() { p.muted { "No review yet." } }
                    ul { @for r in &reviews { li {
                        a href={"/rar/reviews/" (r.id)} { "Fiscal year " (r.fiscal_year) ": district " (r.district_rcdts) }
                        " · " (r.kind) ", scheduled " (r.scheduled_on)
                    } } }
                    @for d in &districts {
                        form.stack method="post" action="/rar/reviews" {
                            (csrf_field(c))
                            input type="hidden" name="district_rcdts" value=(d);
                            label { "Fiscal year" input type="number" name="fiscal_year" value=(fy) min="2000" max="2200" required; }
                            button type="submit" { "Start a self-guided review of district " (d) }
                        }
                    }
                    p { "Any district can review itself with the same tool: the four properties, each member's ratings, the team's, and goals for improvement." }
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
    let reviews = rar::reviews_for(&app.store, actor, fy)
        .await
        .unwrap_or_default();
    let review_of = |d: &str| reviews.iter().find(|r| r.district_rcdts == d);
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
                        (empower_rar::selection::share_words(r.selection.min_share)) " of the district's schools identified, ranked by weighted share ("
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
                        th scope="col" class="num" { "Years" } th scope="col" { "Selected" } th scope="col" { "Notice and review" } th scope="col" { "Change" }
                    } }
                    tbody { @for r in view.rows.iter().filter(|r| r.schools > 0 && (r.identified > 0 || r.selected)) { tr {
                        td.num { (r.rank) }
                        td { a href={"/districts/" (r.district_rcdts)} { (r.name) }
                            " " span.muted { (r.by_designation.iter().map(|(d, n)| format!("{n} {d}")).collect::<Vec<_>>().join(", ")) }
                            br; small.muted { (r.reason) } }
                        td.num { (r.schools) }
                        td.num { (r.identified) }
                        td.num { (empower_rar::selection::share_words(r.share)) }
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
                            @if let Some(rv) = review_of(&r.district_rcdts) {
                                br; a href={"/rar/reviews/" (rv.id)} { "The review" }
                            } @else if r.selected {
                                form method="post" action="/rar/reviews" {
                                    (csrf_field(c))
                                    input type="hidden" name="fiscal_year" value=(fy);
                                    input type="hidden" name="district_rcdts" value=(r.district_rcdts);
                                    button type="submit" aria-label={"Open the review of " (r.name)} { "Open the review" }
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

// ------------------------------------------------------------ reviews

fn level_name(v: &rar::ReviewView, slug: &str) -> String {
    v.levels
        .iter()
        .find(|l| l.slug == slug)
        .map(|l| l.name.clone())
        .unwrap_or_else(|| slug.to_string())
}

fn property_name(v: &rar::ReviewView, slug: &str) -> String {
    v.properties
        .iter()
        .find(|p| p.slug == slug)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| slug.to_string())
}

fn goals_table(
    v: &rar::ReviewView,
    goals: &[empower_store::RarGoalRow],
    c: Option<&PageCaller>,
) -> Markup {
    html! {
        @if goals.is_empty() { p.muted { "No goal yet." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Property" } th scope="col" { "Goal" } th scope="col" { "Owner" } th scope="col" { "Due" } th scope="col" { "Progress" } @if c.is_some() { th scope="col" { "Update" } } } }
                tbody { @for g in goals { tr {
                    td { (property_name(v, &g.property)) }
                    td { span.prose { (g.goal) } }
                    td { (g.owner) }
                    td.nowrap { (g.due_on) }
                    td { @if let Some(u) = g.updates.last() { strong { (u.status) } br; span.muted { (u.note) " (" (u.updated_by_name) ", " (empower_app::clock::rfc3339(u.updated_at).chars().take(10).collect::<String>()) ")" } } }
                    @if let Some(c) = c { td {
                        form method="post" action={"/rar/goals/" (g.id) "/progress"} {
                            (csrf_field(c))
                            label { "Status" select name="status" { @for s in rar::GOAL_STATUSES { option value=(s) { (s) } } } }
                            label { "What happened" input type="text" name="note" required maxlength="2000"; }
                            button type="submit" aria-label={"Record progress on: " (g.goal)} { "Record" }
                        }
                    } }
                } } }
            } }
        }
    }
}

async fn review_page(app: &AppState, c: &PageCaller, id: i64, error: FieldError) -> Response {
    let path = format!("/rar/reviews/{id}");
    let v = match rar::review(&app.state, &app.store, c.actor.as_ref(), id).await {
        Ok(v) => v,
        Err(e) => return refusal(e, &path),
    };
    let team_member = c
        .actor
        .as_ref()
        .is_some_and(|a| a.holds_for(Role::DistrictLeader, &v.review.district_rcdts));
    let state_side = empower_app::policy::run_rar(c.actor.as_ref()).is_ok();
    let mine = v.members.iter().find(|m| m.me);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = format!(
        "Resource Allocation Review: {}, fiscal year {}",
        v.district_name, v.review.fiscal_year
    );
    respond(
        status,
        page(
            &title,
            html! {
                (account_bar(c))
                p { a href={"/rar?fiscal_year=" (v.review.fiscal_year)} { "← Resource Allocation Reviews" } }
                h1 { (title) }
                p.muted { @if v.review.kind == "facilitated" { "Facilitated by the state" } @else { "Self-guided by the district" }
                    " · scheduled " (v.review.scheduled_on) " · " a href={"/rar/districts/" (v.review.district_rcdts) "?fiscal_year=" (v.review.fiscal_year)} { "The district's schools and resources side by side" } }
                (field_error(&error, "form"))
                @if let Some((prev, goals)) = &v.last_year {
                    section.status-box {
                        h2 { "Last year's goals (fiscal year " (prev.fiscal_year) ")" }
                        p { "Where last year's review left off: start from these." }
                        (goals_table(&v, goals, None))
                    }
                }
                h2 { "The four properties" }
                @if v.draft { p.muted { "The rubric's wording is draft." } }
                @for p in &v.properties {
                    details {
                        summary { strong { (p.name) } " — " (p.description) }
                        dl.facts { @for l in &v.levels { dt { (l.name) } dd { (p.rubric.get(&l.slug).cloned().unwrap_or_default()) } } }
                    }
                }
                @if team_member {
                    h2 { "Your own ratings" }
                    p { "Rate each property on your own first; you see the others' ratings of a property once you have rated it." }
                    (field_error(&error, "ratings"))
                    form.stack.wide method="post" action={"/rar/reviews/" (id) "/ratings"} {
                        (csrf_field(c))
                        input type="hidden" name="scope" value="member";
                        @for (i, p) in v.properties.iter().enumerate() {
                            @let current = mine.and_then(|m| m.levels.get(i).cloned().flatten()).unwrap_or_default();
                            fieldset {
                                legend { (p.name) }
                                label { "Level" select name={"level_" (p.slug)} {
                                    option value="" { "not rated" }
                                    @for l in &v.levels { option value=(l.slug) selected[l.slug == current] { (l.name) } }
                                } }
                                label { "Evidence and notes" textarea name={"evidence_" (p.slug)} rows="2" { (mine.and_then(|m| m.evidence.get(i).cloned()).unwrap_or_default()) } }
                                (field_error(&error, &format!("ratings[{i}]")))
                            }
                        }
                        button type="submit" { "Save my ratings" }
                    }
                }
                h2 { "Where the team agrees and differs" }
                @if v.members.is_empty() { p.muted { "No member has rated yet." } } @else {
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Member" } @for p in &v.properties { th scope="col" { (p.name) } } } }
                        tbody {
                            @for m in &v.members { tr {
                                td { (m.name) @if m.me { " (you)" } }
                                @for l in &m.levels { td { @if let Some(l) = l { (level_name(&v, l)) } @else { span.muted { "—" } } } }
                            } }
                            @if !v.comparison.is_empty() { tr {
                                th scope="row" { "The team" }
                                @for p in &v.properties { td {
                                    @if let Some(a) = v.comparison.iter().find(|a| a.property == p.slug) {
                                        @if a.agree { "agree" } @else if a.spread > 0 { strong { "differ by " (a.spread) " level" @if a.spread != 1 { "s" } } } @else { span.muted { "not all rated" } }
                                    }
                                } }
                            } }
                        }
                    } }
                }
                h2 { "The team's ratings" }
                @if v.team.is_empty() { p.muted { "Not settled yet." } } @else {
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Property" } th scope="col" { "Level" } th scope="col" { "Evidence" } th scope="col" { "Settled by" } } }
                        tbody { @for t in &v.team { tr { td { (property_name(&v, &t.property)) } td { strong { (level_name(&v, &t.level)) } } td { span.prose { (t.evidence) } } td { (t.rater_name) } } } }
                    } }
                }
                @if team_member {
                    details {
                        summary { "Settle the team's ratings" }
                        form.stack.wide method="post" action={"/rar/reviews/" (id) "/ratings"} {
                            (csrf_field(c))
                            input type="hidden" name="scope" value="team";
                            @for (i, p) in v.properties.iter().enumerate() {
                                @let current = v.team.iter().find(|t| t.property == p.slug);
                                fieldset {
                                    legend { "The team's rating: " (p.name) }
                                    label { "Level" select name={"level_" (p.slug)} {
                                        option value="" { "not settled" }
                                        @for l in &v.levels { option value=(l.slug) selected[current.is_some_and(|t| t.level == l.slug)] { (l.name) } }
                                    } }
                                    label { "The evidence it rests on" textarea name={"evidence_" (p.slug)} rows="2" { (current.map(|t| t.evidence.clone()).unwrap_or_default()) } }
                                    (field_error(&error, &format!("ratings[{i}]")))
                                    (field_error(&error, &format!("ratings[{i}].evidence")))
                                }
                            }
                            button type="submit" { "Settle the team's ratings" }
                        }
                    }
                }
                h2 { "The facilitator's comments" }
                @if v.comments.is_empty() { p.muted { "No comment yet." } }
                @for cm in &v.comments { section.status-box { p { strong { (cm.author_name) } " · " (empower_app::clock::rfc3339(cm.created_at).chars().take(10).collect::<String>()) } p.prose { (cm.body) } } }
                @if state_side {
                    form.stack method="post" action={"/rar/reviews/" (id) "/comments"} {
                        (csrf_field(c))
                        label { "Comment" textarea name="body" rows="3" required {} }
                        (field_error(&error, "body"))
                        button type="submit" { "Add the comment" }
                    }
                }
                h2 { "Goals for improvement" }
                (goals_table(&v, &v.goals, (team_member || state_side).then_some(c)))
                (field_error(&error, "status"))
                (field_error(&error, "note"))
                @if team_member || state_side {
                    form.stack.wide method="post" action={"/rar/reviews/" (id) "/goals"} {
                        (csrf_field(c))
                        label { "Property" select name="property" { @for p in &v.properties { option value=(p.slug) { (p.name) } } } }
                        (field_error(&error, "property"))
                        label { "Goal" textarea name="goal" rows="2" required {} }
                        (field_error(&error, "goal"))
                        label { "Owner" input type="text" name="owner" required maxlength="500"; }
                        (field_error(&error, "owner"))
                        label { "Due" input type="date" name="due_on" required; }
                        (field_error(&error, "due_on"))
                        button type="submit" { "Add the goal" }
                    }
                }
            },
        ),
    )
}

/// `GET /rar/reviews/{id}`.
pub async fn review(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no review {id}."));
    };
    review_page(&app, &c, id, None).await
}

async fn review_after(
    app: &AppState,
    c: &PageCaller,
    id: i64,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/rar/reviews/{id}")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/rar/reviews/{id}")),
        Err(e) => review_page(app, c, id, form_error(&e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub district_rcdts: String,
    pub scheduled_on: String,
}

/// `POST /rar/reviews`.
pub async fn open_review(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<ReviewForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/rar") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let input = rar::ReviewInput {
        fiscal_year: fy,
        district_rcdts: f.district_rcdts.trim().to_string(),
        scheduled_on: Some(f.scheduled_on.clone()).filter(|s| !s.trim().is_empty()),
    };
    match rar::open_review(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        &input,
        app.clock.now(),
    )
    .await
    {
        Ok(v) => see_other(&format!("/rar/reviews/{}", v.review.id)),
        Err(e) if leaves_page(&e) => refusal(e, "/rar"),
        Err(e) => selection_page(&app, &c, fy, form_error(&e)).await,
    }
}

/// `POST /rar/reviews/{id}/ratings`: `level_<property>` and
/// `evidence_<property>` for each property rated; `scope` member or team.
pub async fn save_ratings(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let id = match form_start(&c, &get("csrf"), &id, "review", "/rar/reviews") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let ratings: Vec<empower_rar::review::Rating> = fields
        .iter()
        .filter_map(|(k, v)| {
            let property = k.strip_prefix("level_")?;
            (!v.is_empty()).then(|| empower_rar::review::Rating {
                property: property.to_string(),
                level: v.clone(),
                evidence: get(&format!("evidence_{property}")),
            })
        })
        .collect();
    let r = rar::save_ratings(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &get("scope"),
        &ratings,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    review_after(&app, &c, id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    pub csrf: String,
    pub body: String,
}

/// `POST /rar/reviews/{id}/comments`.
pub async fn comment(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "review", "/rar/reviews") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let r = rar::comment(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &f.body,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    review_after(&app, &c, id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GoalForm {
    pub csrf: String,
    pub property: String,
    pub goal: String,
    pub owner: String,
    pub due_on: String,
}

/// `POST /rar/reviews/{id}/goals`.
pub async fn add_goal(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<GoalForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "review", "/rar/reviews") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = rar::GoalInput {
        property: f.property,
        goal: f.goal,
        owner: f.owner,
        due_on: f.due_on,
    };
    let r = rar::add_goal(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &input,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    review_after(&app, &c, id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProgressForm {
    pub csrf: String,
    pub status: String,
    pub note: String,
}

/// `POST /rar/goals/{id}/progress`.
pub async fn goal_progress(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ProgressForm>,
) -> Response {
    let goal = match form_start(&c, &f.csrf, &id, "goal", "/rar/goals") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let review = app
        .store
        .rar_goal_review(goal)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let r = rar::update_goal(
        &app.store,
        c.actor.as_ref(),
        goal,
        &f.status,
        &f.note,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    if review == 0 {
        return match r {
            Ok(()) => see_other("/rar"),
            Err(e) => refusal(e, "/rar"),
        };
    }
    review_after(&app, &c, review, r).await
}

// ------------------------------------------------------------ the data

fn resource_value(unit: &str, v: f64) -> String {
    match unit {
        "dollars" => empower_model::money::dollars((v * 100.0).round() as i64),
        "percent" => format!("{v:.1}%"),
        "ratio" => format!("{v:.1}"),
        _ => format!("{v:.0}"),
    }
}

/// `GET /rar/districts/{rcdts}?fiscal_year=`: the district's schools,
/// results beside resources, with a chart a non-analyst reads in seconds.
pub async fn district_data(
    State(app): State<AppState>,
    c: PageCaller,
    Path(district): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    let path = format!("/rar/districts/{district}");
    let fy = match year(&app, q.fiscal_year.as_deref()).await {
        Ok(fy) => fy,
        Err(e) => return refusal(e, &path),
    };
    let d = match rar::district_resources(&app.state, &app.store, c.actor.as_ref(), &district, fy)
        .await
    {
        Ok(d) => d,
        Err(e) => return refusal(e, &path),
    };
    // Against low income: the first resource measure whose values differ
    // between the district's schools (spending first; the data often
    // gives spending per pupil for the district as a whole).
    let values_of = |i: usize| -> Vec<crate::render::Point> {
        d.schools
            .iter()
            .filter_map(|s| {
                Some(crate::render::Point {
                    label: s.name.clone(),
                    x: s.low_income_pct?,
                    y: s.values.get(i).copied().flatten()?.1,
                    marked: s.identified,
                })
            })
            .collect()
    };
    let varies = |pts: &[crate::render::Point]| {
        pts.len() >= 2 && pts.iter().any(|p| (p.y - pts[0].y).abs() > 1e-9)
    };
    let mut order: Vec<usize> = (0..d.measures.len()).collect();
    order.sort_by_key(|&i| d.measures[i].unit != "dollars");
    let spending = d.measures.iter().position(|m| m.unit == "dollars");
    let same_spending = spending.and_then(|i| {
        let pts = values_of(i);
        (!pts.is_empty() && !varies(&pts)).then(|| pts[0].y)
    });
    let chart = order.into_iter().find(|&i| varies(&values_of(i)));
    let points = chart.map(values_of).unwrap_or_default();
    let mean = |marked: bool| {
        let v: Vec<f64> = points
            .iter()
            .filter(|p| p.marked == marked)
            .map(|p| p.y)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let identified = d.schools.iter().filter(|s| s.identified).count();
    let title = format!("{}: schools and resources", d.district_name);
    respond(
        StatusCode::OK,
        page(
            &title,
            html! {
                (account_bar(&c))
                p { a href={"/rar?fiscal_year=" (fy)} { "← Resource Allocation Reviews" } }
                h1 { (title) }
                p.muted { "Fiscal year " (fy) ": designations and support status of the " (d.report_card_year) " report card; resources as of the latest year the data has (the year is shown beside each value)." }
                p { strong { (identified) " of " (d.schools.len()) " schools" } " identified for support." }
                @if let (Some(i), Some(v)) = (spending, same_spending) {
                    p { "The data gives " (d.measures[i].label.to_lowercase()) " for the district as a whole ("
                        (resource_value("dollars", v)) " at every school), so it cannot show differences between its schools." }
                }
                @if let Some(i) = chart {
                    @let m = &d.measures[i];
                    h2 { (m.label) " and low-income students" }
                    p { "Each dot is one of the district's schools: further right, a larger share of low-income students; higher, more "
                        (m.label.to_lowercase()) ". Filled red dots are schools identified for support."
                        @if let (Some(a), Some(b)) = (mean(true), mean(false)) {
                            " Identified schools average " strong { (resource_value(&m.unit, a)) } "; the others " strong { (resource_value(&m.unit, b)) } "."
                        } }
                    (crate::render::scatter_chart(
                        &format!("{} against the share of low-income students, {}", m.label, d.district_name),
                        "Low-income students (%)",
                        &m.label,
                        &points,
                        if m.unit == "dollars" { "$" } else { "" },
                    ))
                } @else {
                    p.muted { "The data has no resource figure that differs between this district's schools." }
                }
                h2 { "Every school" }
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "School" } th scope="col" { "Designation" } th scope="col" { "Status" }
                        th scope="col" class="num" { "Low income" } th scope="col" class="num" { "Enrolment" }
                        @for m in &d.measures { th scope="col" class="num" { (m.label) } }
                        th scope="col" class="num" { "1003(a) allocation" }
                    } }
                    tbody { @for s in &d.schools { tr {
                        td { a href={"/schools/" (s.rcdts)} { (s.name) } }
                        td { (crate::render::badge(s.designation.as_deref())) }
                        td { (s.status.clone().unwrap_or_default()) }
                        td.num { (s.low_income_pct.map(|p| format!("{p:.1}%")).unwrap_or_default()) }
                        td.num { (s.enrollment.map(|e| format!("{e:.0}")).unwrap_or_default()) }
                        @for (m, v) in d.measures.iter().zip(&s.values) {
                            td.num { @if let Some((y, v)) = v { (resource_value(&m.unit, *v)) " " small.muted { "(" (y) ")" } } }
                        }
                        td.num { (s.allocation_cents.map(empower_model::money::dollars).unwrap_or_default()) }
                    } } }
                } }
                p.muted { "Blank: the data has no value for the school. Finance and staff figures come from the K-8 panel, so high schools have none." }
            },
        ),
    )
}
