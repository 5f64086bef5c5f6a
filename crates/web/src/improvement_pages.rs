//! Improvement-cycle pages: the dashboard of every school in the cycle
//! (the state: all; a district leader: the district's), with its CSV, and
//! a school's own page of its cycle: status, support manager, allocation,
//! what is due next and where each item stands.

use crate::auth::PageCaller;
use crate::forms::{
    account_bar, check_csrf, csrf_field, field_error, form_error, form_start, refusal, see_other,
};
use crate::pages::encode;
use crate::render::{badge, page, respond};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use empower_app::accounts::Role;
use empower_app::improvement::{self, Dashboard, DashboardFilter};
use empower_app::{policy, AppError};
use empower_improvement::{Assessment, Timeliness};
use empower_model::money::dollars;
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    pub region: Option<String>,
    pub district: Option<String>,
    pub cohort: Option<String>,
    /// `1`: only the late ones.
    pub late: Option<String>,
    pub page: Option<String>,
}

/// Rows per page of the dashboard (the CSV holds every one).
const PER_PAGE: usize = 100;

impl DashboardQuery {
    fn filter(&self) -> DashboardFilter {
        let some = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        DashboardFilter {
            region: some(&self.region),
            district: some(&self.district),
            cohort: some(&self.cohort).and_then(|c| c.parse().ok()),
        }
    }

    fn query(&self) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("region", &self.region),
            ("district", &self.district),
            ("cohort", &self.cohort),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                q.push(format!("{k}={}", encode(v)));
            }
        }
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

fn timeliness_cell(t: &Timeliness) -> Markup {
    html! {
        @if t.is_late() { strong.error { (t.words()) } } @else { (t.words()) }
    }
}

async fn load(app: &AppState, c: &PageCaller, q: &DashboardQuery) -> Result<Dashboard, Response> {
    improvement::dashboard(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &q.filter(),
        app.clock.now(),
    )
    .await
    .map_err(|e| refusal(e, &format!("/improvement{}", q.query())))
}

/// `GET /improvement`.
pub async fn dashboard(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let mut d = match load(&app, &c, &q).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let late = d.rows.iter().filter(|r| r.late).count();
    let approved = d.rows.iter().filter(|r| r.approved).count();
    let total = d.rows.len();
    let only_late = q.late.as_deref() == Some("1");
    if only_late {
        d.rows.retain(|r| r.late);
    }
    let pages = d.rows.len().div_ceil(PER_PAGE).max(1);
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<_> = d
        .rows
        .iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let base = q.query();
    let page_link = |n: usize| {
        if base.is_empty() {
            format!("/improvement?page={n}")
        } else {
            format!("/improvement{base}&page={n}")
        }
    };
    respond(
        StatusCode::OK,
        page(
            "Improvement cycle",
            html! {
                (account_bar(&c))
                h1 { "Improvement cycle " (d.school_year) }
                p { "Needs assessments are due " strong { (d.needs_assessment_due) } ", work plans and budgets " strong { (d.work_plan_due) } ". Today is " (d.today) "." }
                p { (total) " schools in the cycle · " (approved) " plans approved · " strong { (late) " late" } }
                form.search method="get" action="/improvement" {
                    label { "Region" input type="text" name="region" value=(q.region.clone().unwrap_or_default()) size="4"; }
                    label { "District (RCDTS)" input type="text" name="district" value=(q.district.clone().unwrap_or_default()); }
                    label { "Cohort" input type="text" name="cohort" inputmode="numeric" value=(q.cohort.clone().unwrap_or_default()) size="6"; }
                    label.choice { input type="checkbox" name="late" value="1" checked[only_late]; "Late only" }
                    button type="submit" { "Filter" }
                }
                p { a href={"/improvement.csv" (q.query())} download { "Download these schools as CSV" } }
                @if shown.is_empty() { p.muted { "No school in the cycle matches these filters." } }
                @else { div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "School" } th scope="col" { "District" } th scope="col" { "Status" }
                        th scope="col" { "Support manager" } th scope="col" { "Stage" }
                        th scope="col" { "Needs assessment" } th scope="col" { "Work plan" }
                    } }
                    tbody { @for r in &shown { tr {
                        td { a href={"/schools/" (r.rcdts) "/improvement"} { (r.name) } }
                        td { (r.district_name) }
                        td { (badge(Some(&r.status))) " " span.source { "cohort " (r.cohort_year.map(|y| y.to_string()).unwrap_or_default()) @if let Some(t) = &r.term { ", " (t) } } }
                        td { (r.coordinator.clone().unwrap_or_else(|| "—".into())) }
                        td { (r.stage) }
                        td { (timeliness_cell(&r.needs_assessment)) }
                        td { (timeliness_cell(&r.work_plan)) }
                    } } }
                } } }
                @if pages > 1 {
                    nav.pager aria-label="Pages" {
                        @if page_no > 1 { a href=(page_link(page_no - 1)) { "← Previous" } }
                        span { "Page " (page_no) " of " (pages) }
                        @if page_no < pages { a href=(page_link(page_no + 1)) { "Next →" } }
                    }
                }
                h2 { "The state's goals" }
                ul { @for g in &d.state_goals { li { (g) } } }
            },
        ),
    )
}

/// `GET /improvement.csv`: the dashboard's rows, every one.
pub async fn dashboard_csv(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let mut d = match load(&app, &c, &q).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if q.late.as_deref() == Some("1") {
        d.rows.retain(|r| r.late);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "rcdts",
        "name",
        "district",
        "district_name",
        "region",
        "status",
        "cohort_year",
        "term",
        "coordinator",
        "allocation_cents",
        "stage",
        "needs_assessment",
        "work_plan",
        "late",
        "approved",
    ];
    // Writing to memory cannot fail.
    w.write_record(header).expect("CSV to memory");
    for r in &d.rows {
        w.write_record([
            r.rcdts.clone(),
            r.name.clone(),
            r.district.clone(),
            r.district_name.clone(),
            r.region.clone(),
            r.status.clone(),
            r.cohort_year.map(|y| y.to_string()).unwrap_or_default(),
            r.term.clone().unwrap_or_default(),
            r.coordinator.clone().unwrap_or_default(),
            r.allocation_cents
                .map(|c| c.to_string())
                .unwrap_or_default(),
            r.stage.clone(),
            r.needs_assessment.words(),
            r.work_plan.words(),
            r.late.to_string(),
            r.approved.to_string(),
        ])
        .expect("CSV to memory");
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"improvement-{}.csv\"", d.school_year),
            ),
        ],
        w.into_inner().expect("CSV to memory"),
    )
        .into_response()
}

/// `GET /schools/{rcdts}/improvement`: the school's cycle, for those who
/// may see it.
pub async fn school(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
) -> Response {
    let path = format!("/schools/{rcdts}/improvement");
    let view = match improvement::school_cycle(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &rcdts,
        app.clock.now(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return refusal(e, &path),
    };
    let s = &view.status;
    respond(
        StatusCode::OK,
        page(
            &format!("Improvement: {}", view.name),
            html! {
                (account_bar(&c))
                p { a href={"/schools/" (view.rcdts)} { "← " (view.name) } }
                h1 { "Improvement cycle " (view.school_year) ": " (view.name) }
                dl.facts {
                    dt { "Support status" } dd {
                        @match &s.status {
                            Some(st) => { (badge(Some(st))) " cohort " (s.cohort_year.map(|y| y.to_string()).unwrap_or_default()) @if let Some(t) = &s.term { ", term " (t) } }
                            None => { "not in support (a school may take part voluntarily)" }
                        }
                    }
                    @if !s.reasons.is_empty() { dt { "Reasons" } dd { (s.reasons.join("; ")) } }
                    dt { "School support manager" } dd {
                        @match &s.coordinator {
                            Some(co) => { (co.name) " · " a href={"mailto:" (co.email)} { (co.email) } }
                            None => @if let Some(phone) = &view.help_line { "Help line " (phone) " (for Targeted schools)" } @else { "not assigned yet" }
                        }
                    }
                    dt { "1003(a) allocation" } dd { (s.allocation_cents.map(dollars).unwrap_or_else(|| "not entered yet".into())) }
                }
                h2 { "What is due" }
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Due" } th scope="col" { "Where it stands" } th scope="col" { "Status" } } }
                    tbody {
                        tr {
                            td { "Needs assessment (Illinois Quality Framework)" }
                            td { (view.needs_assessment_due) }
                            td { (timeliness_cell(&view.needs_assessment)) }
                            td { (view.needs_assessment_status.clone().unwrap_or_else(|| "not started".into())) }
                        }
                        tr {
                            td { "Work plan and 1003(a) budget" }
                            td { (view.work_plan_due) }
                            td { (timeliness_cell(&view.work_plan)) }
                            td { (view.plan_status.clone().unwrap_or_else(|| "not started".into())) }
                        }
                    }
                } }
                @if let Some(id) = view.needs_assessment_id {
                    p { a href={"/needs-assessments/" (id)} { "Open the needs assessment" } }
                } @else if policy::lead_improvement(c.actor.as_ref(), &view.rcdts).is_ok() {
                    form method="post" action={"/schools/" (view.rcdts) "/needs-assessment"} {
                        (csrf_field(&c)) button type="submit" { "Start the needs assessment" }
                    }
                }
                @if view.partner_required { p { "A school in " (s.status.clone().unwrap_or_default()) " support must name an IL-EMPOWER learning partner in its work plan: " a href={"/schools/" (view.rcdts) "/partners"} { "Peer Learning Partners that fit it" } "." } }
            },
        ),
    )
}

// ---------------------------------------------------------------- needs assessment

/// `POST /schools/{rcdts}/needs-assessment`: opens the school's needs
/// assessment of the school year, starting it if there is none.
pub async fn open_assessment(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match improvement::open_assessment(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &rcdts,
        app.clock.now(),
    )
    .await
    {
        Ok(a) => see_other(&format!("/needs-assessments/{}", a.id)),
        Err(e) => refusal(e, &format!("/schools/{rcdts}/improvement")),
    }
}

async fn assessment_page(
    app: &AppState,
    c: &PageCaller,
    id: i64,
    notice: Option<&str>,
    error: Option<(String, String)>,
) -> Response {
    let path = format!("/needs-assessments/{id}");
    let v = match improvement::assessment_view(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        id,
        app.clock.now(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return refusal(e, &path),
    };
    let fw = match improvement::framework(&app.state) {
        Ok(f) => f,
        Err(e) => return refusal(e, &path),
    };
    let areas: Vec<(String, String)> = app
        .state
        .partners
        .as_ref()
        .map(|p| {
            p.rules
                .priority_area
                .iter()
                .map(|a| (a.code.clone(), a.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let actor = c.actor.as_ref();
    let school = &v.row.school_rcdts;
    let editing = v.row.status == "draft"
        && (policy::lead_improvement(actor, school).is_ok()
            || actor.is_some_and(|a| a.holds(Role::PartnerContact)));
    let leading = v.row.status == "draft" && policy::lead_improvement(actor, school).is_ok();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        (account_bar(c))
        p { a href={"/schools/" (school) "/improvement"} { "← " (v.school_name) "'s improvement cycle" } }
        h1 { "Needs assessment " (v.school_year) ": " (v.school_name) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (field_error(&error, "form"))
        p { "Due " strong { (v.due) } " · " (timeliness_cell(&v.timeliness)) " · " (if v.row.status == "submitted" { "submitted" } else { "draft" }) }
        @if fw.draft { p.muted { "The indicators and rubric below are " strong { "draft wording" } ", to be replaced with the state's." } }
        section.status-box aria-labelledby="why" {
            h2 id="why" { "Why the school is in support" }
            p {
                @match &v.status.status {
                    Some(st) => { (badge(Some(st))) " cohort " (v.status.cohort_year.map(|y| y.to_string()).unwrap_or_default()) @if !v.status.reasons.is_empty() { ": " (v.status.reasons.join("; ")) } }
                    None => { "Not in support; taking part voluntarily." }
                }
                " · " a href={"/schools/" (school) "/explanation"} { "the full designation explanation" }
            }
            @if !v.indicators.is_empty() {
                p.muted { "Indicator scores (0-100) from the latest report card: "
                    (v.indicators.iter().map(|(l, _, s)| format!("{l} {}", s.map_or("none".into(), |s| format!("{s:.1}")))).collect::<Vec<_>>().join(" · ")) }
            }
        }
        form.stack.wide method="post" action={"/needs-assessments/" (v.row.id)} {
            (csrf_field(c))
            @for st in &fw.standard {
                h2 { (st.name) }
                @for i in &st.indicator {
                    @let r = v.content.ratings.get(&i.code).cloned().unwrap_or_default();
                    fieldset {
                        legend { strong { (i.code) } " " (i.text) }
                        (field_error(&error, &format!("ratings.{}.level", i.code)))
                        @for (n, level) in fw.levels.iter().enumerate() {
                            label.choice {
                                input type="radio" name={"level_" (i.code)} value=(level) checked[r.level == *level] disabled[!editing];
                                span { strong { (level) } ": " (i.rubric[n]) }
                            }
                        }
                        label { "Supporting evidence" textarea name={"evidence_" (i.code)} rows="2" readonly[!editing] { (r.evidence) } }
                        (field_error(&error, &format!("ratings.{}.links", i.code)))
                        label { "Links to evidence (one per line)" textarea name={"links_" (i.code)} rows="1" readonly[!editing] { (r.links.join("\n")) } }
                    }
                }
            }
            h2 { "Priority areas" }
            (field_error(&error, "priority_areas"))
            fieldset.choices {
                legend { "The area(s) the school will work on (they feed the partner recommendations)" }
                @for (code, label) in &areas {
                    label.choice { input type="checkbox" name="priority_areas" value=(code) checked[v.content.priority_areas.contains(code)] disabled[!editing]; (label) }
                }
            }
            @if editing { button type="submit" { "Save the ratings" } }
        }
        @if leading {
            h2 { "Submit" }
            (field_error(&error, "ratings"))
            p { "Every indicator needs a rating and evidence. Once submitted, the findings fill section 2 of the work plan." }
            form method="post" action={"/needs-assessments/" (v.row.id) "/submit"} {
                (csrf_field(c))
                button type="submit" { "Submit the needs assessment" }
            }
        }
    };
    respond(
        status,
        page(&format!("Needs assessment: {}", v.school_name), body),
    )
}

/// `GET /needs-assessments/{id}`.
pub async fn assessment(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no needs assessment {id}."));
    };
    let notice = if q.saved.is_some() {
        Some("The ratings are saved.")
    } else if q.submitted.is_some() {
        Some("The needs assessment is submitted.")
    } else {
        None
    };
    assessment_page(&app, &c, id, notice, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    pub saved: Option<String>,
    pub submitted: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// The posted ratings: `level_CODE`, `evidence_CODE`, `links_CODE`, and
/// `priority_areas` repeated.
fn posted_assessment(pairs: &[(String, String)]) -> (String, Assessment) {
    let mut a = Assessment::default();
    let mut csrf = String::new();
    for (k, v) in pairs {
        if k == "csrf" {
            csrf = v.clone();
        } else if k == "priority_areas" {
            a.priority_areas.push(v.clone());
        } else if let Some(code) = k.strip_prefix("level_") {
            a.ratings.entry(code.to_string()).or_default().level = v.clone();
        } else if let Some(code) = k.strip_prefix("evidence_") {
            a.ratings.entry(code.to_string()).or_default().evidence = v.trim().to_string();
        } else if let Some(code) = k.strip_prefix("links_") {
            a.ratings.entry(code.to_string()).or_default().links = v
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
        }
    }
    (csrf, a)
}

/// `POST /needs-assessments/{id}`: saves the ratings.
pub async fn save_assessment(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, changes) = posted_assessment(&pairs);
    let id = match form_start(&c, &csrf, &id, "needs assessment", "/needs-assessments") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match improvement::save_ratings(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &changes,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/needs-assessments/{id}?saved=1")),
        Err(e @ (AppError::SignInRequired | AppError::Forbidden(_) | AppError::NotFound(_))) => {
            refusal(e, &format!("/needs-assessments/{id}"))
        }
        Err(e) => assessment_page(&app, &c, id, None, form_error(&e)).await,
    }
}

/// `POST /needs-assessments/{id}/submit`.
pub async fn submit_assessment(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "needs assessment", "/needs-assessments") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match improvement::submit_assessment(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/needs-assessments/{id}?submitted=1")),
        Err(e @ (AppError::SignInRequired | AppError::Forbidden(_) | AppError::NotFound(_))) => {
            refusal(e, &format!("/needs-assessments/{id}"))
        }
        Err(e) => assessment_page(&app, &c, id, None, form_error(&e)).await,
    }
}
