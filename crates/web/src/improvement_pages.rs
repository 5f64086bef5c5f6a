//! Improvement-cycle pages: the dashboard of every school in the cycle
//! (the state: all; a district leader: the district's), with its CSV, and
//! a school's own page of its cycle: status, support manager, allocation,
//! what is due next and where each item stands.

use crate::auth::PageCaller;
use crate::forms::{
    account_bar, check_csrf, csrf_field, field_error, form_error, form_start, leaves_page, refusal,
    see_other,
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
use empower_improvement::{Assessment, PlanContent, Timeliness};
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
                p { a href={"/improvement.csv" (q.query())} download { "Download these schools as CSV" } " · "
                    a href="/improvement/reminders" { "What is due soon (reminders)" }
                    @if policy::see_caseloads(c.actor.as_ref()).is_ok() { " · " a href="/improvement/caseloads" { "Support managers' caseloads" } } }
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
                    @if !s.reasons.is_empty() { dt { "Reasons" } dd { (s.reasons.iter().map(|r| empower_accountability::reason_words(r)).collect::<Vec<_>>().join("; ")) } }
                    dt { "School support manager" } dd {
                        @match &s.coordinator {
                            Some(co) => { (co.name) " · " a href={"mailto:" (co.email)} { (co.email) } }
                            None => @if let Some(phone) = &view.help_line { "Help line " (phone) " (for Targeted schools) or " a href="/help-requests" { "a request in writing" } } @else { "not assigned yet" }
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
                @if policy::set_allocation(c.actor.as_ref()).is_ok() {
                    h2 { "For the state" }
                    form.search method="post" action={"/schools/" (view.rcdts) "/allocation"} {
                        (csrf_field(&c))
                        label { "1003(a) allocation in dollars" input type="text" name="allocation" inputmode="decimal" required value=(s.allocation_cents.map(dollars).unwrap_or_default()); }
                        button type="submit" { "Enter the allocation" }
                    }
                    @if policy::assign_coordinators(c.actor.as_ref()).is_ok() {
                        form.search method="post" action={"/schools/" (view.rcdts) "/coordinator"} {
                            (csrf_field(&c))
                            label { "Support manager's e-mail" input type="email" name="email" required value=(s.coordinator.as_ref().map(|x| x.email.clone()).unwrap_or_default()); }
                            button type="submit" { "Assign" }
                        }
                    }
                }
                @if let Some(id) = view.needs_assessment_id {
                    p { a href={"/needs-assessments/" (id)} { "Open the needs assessment" } }
                } @else if policy::lead_improvement(c.actor.as_ref(), &view.rcdts).is_ok() {
                    form method="post" action={"/schools/" (view.rcdts) "/needs-assessment"} {
                        (csrf_field(&c)) button type="submit" { "Start the needs assessment" }
                    }
                }
                @if let Some(id) = view.plan_id {
                    p { a href={"/work-plans/" (id)} { "Open the work plan" } }
                } @else if policy::lead_improvement(c.actor.as_ref(), &view.rcdts).is_ok() {
                    form method="post" action={"/schools/" (view.rcdts) "/work-plan"} {
                        (csrf_field(&c)) button type="submit" { "Start the work plan" }
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
    let areas = improvement::priority_areas(&app.state);
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
        p { "Due " strong { (v.due) } " · " (timeliness_cell(&v.timeliness)) " · " (if v.row.status == "submitted" { "submitted" } else { "draft" })
            " · " a href={"/needs-assessments/" (v.row.id) "/print"} { "Printable assessment" }
            " · " a href={"/needs-assessments/" (v.row.id) "/pdf"} download { "PDF" } }
        @if fw.draft { p.muted { "The indicators and rubric below are " strong { "draft wording" } ", to be replaced with the state's." } }
        section.status-box aria-labelledby="why" {
            h2 id="why" { "Why the school is in support" }
            p {
                @match &v.status.status {
                    Some(st) => { (badge(Some(st))) " cohort " (v.status.cohort_year.map(|y| y.to_string()).unwrap_or_default()) @if !v.status.reasons.is_empty() { ": " (v.status.reasons.iter().map(|r| empower_accountability::reason_words(r)).collect::<Vec<_>>().join("; ")) } }
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
                        @let files: Vec<_> = v.files.iter().filter(|f| f.indicator.as_deref() == Some(i.code.as_str())).collect();
                        @if !files.is_empty() {
                            p { "Files: " @for (n, f) in files.iter().enumerate() {
                                @if n > 0 { ", " }
                                a href={"/needs-assessments/" (v.row.id) "/files/" (f.id)} { (f.file_name) }
                            } }
                        }
                        (field_error(&error, &format!("ratings.{}.data", i.code)))
                        @if !v.facts.is_empty() {
                            details open[!r.data.is_empty()] {
                                summary { "Data from the school's profile" @if !r.data.is_empty() { " (" (r.data.len()) " chosen)" } }
                                @for fact in &v.facts {
                                    label.choice { input type="checkbox" name={"data_" (i.code)} value=(fact) checked[r.data.contains(fact)] disabled[!editing]; (fact) }
                                }
                                @for fact in r.data.iter().filter(|d| !v.facts.contains(d)) {
                                    label.choice { input type="checkbox" name={"data_" (i.code)} value=(fact) checked disabled[!editing]; (fact) " " span.muted { "(no longer in the profile)" } }
                                }
                            }
                        }
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
        h2 id="files" { "Evidence files" }
        (field_error(&error, "file"))
        (field_error(&error, "indicator"))
        @if v.files.is_empty() { p.muted { "No file attached." } }
        @else { div.table-wrap { table {
            thead { tr { th scope="col" { "File" } th scope="col" { "Indicator" } th.num scope="col" { "Size" } @if editing { th scope="col" { span.muted { "Remove" } } } } }
            tbody { @for f in &v.files { tr {
                td { a href={"/needs-assessments/" (v.row.id) "/files/" (f.id)} { (f.file_name) } }
                td { (f.indicator.clone().unwrap_or_default()) }
                td.num { (format!("{:.0} KB", (f.size_bytes as f64 / 1024.0).ceil())) }
                @if editing { td { form method="post" action={"/needs-assessments/" (v.row.id) "/files/" (f.id) "/remove"} {
                    (csrf_field(c)) button.link type="submit" aria-label={"Remove " (f.file_name)} { "Remove" } } } }
            } } }
        } } }
        @if editing {
            form.stack method="post" action={"/needs-assessments/" (v.row.id) "/files"} enctype="multipart/form-data" {
                (csrf_field(c))
                label { "Indicator the file is evidence for"
                    select name="indicator" required {
                        @for s in &fw.standard { optgroup label=(s.name) { @for i in &s.indicator { option value=(i.code) { (i.code) " " (i.text) } } } }
                    }
                }
                label { "File (" (empower_app::uploads::ACCEPTED) "; at most " (empower_app::uploads::MAX_FILE_BYTES / 1_048_576) " MB)"
                    input type="file" name="file" required accept=(empower_app::uploads::ACCEPT_ATTRIBUTE); }
                button type="submit" { "Attach the file" }
            }
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
    let notice = if q.attached.is_some() {
        Some("The file is attached.")
    } else if q.removed.is_some() {
        Some("The file is removed.")
    } else if q.saved.is_some() {
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
    pub reviewed: Option<String>,
    pub amended: Option<String>,
    pub attached: Option<String>,
    pub removed: Option<String>,
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
        } else if let Some(code) = k.strip_prefix("data_") {
            a.ratings
                .entry(code.to_string())
                .or_default()
                .data
                .push(v.clone());
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
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        id,
        &changes,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/needs-assessments/{id}?saved=1")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/needs-assessments/{id}")),
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
        Err(e) if leaves_page(&e) => refusal(e, &format!("/needs-assessments/{id}")),
        Err(e) => assessment_page(&app, &c, id, None, form_error(&e)).await,
    }
}

// ---------------------------------------------------------------- work plan

/// `POST /schools/{rcdts}/work-plan`: opens the school's plan of the
/// school year, starting it if there is none.
pub async fn open_plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match improvement::open_plan(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &rcdts,
        app.clock.now(),
    )
    .await
    {
        Ok(p) => see_other(&format!("/work-plans/{}", p.id)),
        Err(e) => refusal(e, &format!("/schools/{rcdts}/improvement")),
    }
}

/// Empty rows the form offers beyond those filled.
const SPARE_ROWS: usize = 2;

fn pre(text: &str) -> Markup {
    html! { @if text.trim().is_empty() { p.muted { "(empty)" } } @else { p.prose { (text) } } }
}

fn plan_form(
    v: &improvement::PlanView,
    c: &PageCaller,
    rules: &empower_improvement::CycleRules,
    areas: &[(String, String)],
    error: &Option<(String, String)>,
) -> Markup {
    let p = &v.content;
    let partner_choice = p.partner.as_ref().map(|x| {
        if x.kind == "peer" {
            format!("peer|{}", x.id)
        } else {
            "vendor".to_string()
        }
    });
    let vendor = p.partner.as_ref().filter(|x| x.kind == "vendor");
    let goals = p.goals.len() + SPARE_ROWS;
    let strategies = p.strategies.len() + SPARE_ROWS;
    let lines = p.budget.len() + SPARE_ROWS + 1;
    html! {
        form.stack.wide method="post" action={"/work-plans/" (v.row.id)} {
            (csrf_field(c))
            @for s in rules.section.iter().filter(|s| !s.prefilled) {
                (field_error(error, &format!("sections.{}", s.code)))
                label { strong { (s.code) ". " (s.label) } span.muted { (s.prompt) }
                    textarea name={"section_" (s.code)} rows="5" { (p.sections.get(&s.code).cloned().unwrap_or_default()) } }
            }
            (field_error(error, "priority_areas"))
            fieldset.choices {
                legend { "Priority areas" }
                @for (code, label) in areas {
                    label.choice { input type="checkbox" name="priority_areas" value=(code) checked[p.priority_areas.contains(code)]; (label) }
                }
            }
            (field_error(error, "partner"))
            fieldset {
                legend { "IL-EMPOWER learning partner" }
                label { "Partner"
                    select name="partner" {
                        option value="" { "None yet" }
                        @for (id, name) in &v.partners {
                            @let value = format!("peer|{id}");
                            option value=(value) selected[partner_choice.as_deref() == Some(value.as_str())] { (name) " (Peer Learning Partner)" }
                        }
                        option value="vendor" selected[partner_choice.as_deref() == Some("vendor")] { "A vendor partner entered by the state" }
                    }
                }
                label { "Vendor partner's id" input type="text" name="vendor_id" value=(vendor.map(|x| x.id.clone()).unwrap_or_default()); }
                label { "Vendor partner's name" input type="text" name="vendor_name" value=(vendor.map(|x| x.name.clone()).unwrap_or_default()); }
            }
            fieldset {
                legend { "SMART goals, each tied to an indicator" }
                (field_error(error, "goals"))
                @for i in 0..goals {
                    @let g = p.goals.get(i).cloned().unwrap_or_default();
                    div.contact {
                        label { "Indicator " (i + 1)
                            select name={"goal_indicator_" (i)} {
                                option value="" { "—" }
                                @for (code, label) in &v.indicators { option value=(code) selected[g.indicator == *code] { (label) } }
                            }
                        }
                        label { "Goal " (i + 1) input type="text" name={"goal_statement_" (i)} value=(g.statement); }
                        label { "Baseline " (i + 1) input type="text" inputmode="decimal" name={"goal_baseline_" (i)} value=(g.baseline.map(|b| b.to_string()).unwrap_or_default()); }
                        label { "Target " (i + 1) input type="text" inputmode="decimal" name={"goal_target_" (i)} value=(g.target.map(|b| b.to_string()).unwrap_or_default()); }
                        label { "By " (i + 1) input type="date" name={"goal_by_" (i)} value=(g.by); }
                    }
                }
            }
            fieldset {
                legend { "Strategies, each tied to a need" }
                (field_error(error, "strategies"))
                @for i in 0..strategies {
                    @let s = p.strategies.get(i).cloned().unwrap_or_default();
                    div.contact {
                        label { "Short id " (i + 1) input type="text" name={"strategy_id_" (i)} value=(s.id) placeholder="tutoring"; }
                        label { "Need " (i + 1) input type="text" name={"strategy_need_" (i)} value=(s.need); }
                        label { "Strategy " (i + 1) input type="text" name={"strategy_description_" (i)} value=(s.description); }
                        label { "Owner " (i + 1) input type="text" name={"strategy_owner_" (i)} value=(s.owner); }
                        label { "Milestones " (i + 1) " (one per line: what | by)" textarea name={"strategy_milestones_" (i)} rows="2" {
                            (s.milestones.iter().map(|m| format!("{} | {}", m.what, m.by)).collect::<Vec<_>>().join("\n")) } }
                        label { "Evidence of effectiveness " (i + 1) input type="text" name={"strategy_evidence_" (i)} value=(s.evidence); }
                    }
                }
            }
            fieldset {
                legend { "1003(a) budget, each line tied to a strategy" }
                p.muted { (rules.budget.rule) @if rules.budget.draft { " The categories are " strong { "draft wording" } "." } }
                (field_error(error, "budget"))
                @for i in 0..lines {
                    @let l = p.budget.get(i).cloned().unwrap_or_default();
                    div.contact {
                        label { "Strategy id " (i + 1) input type="text" name={"budget_strategy_" (i)} value=(l.strategy); }
                        label { "Category " (i + 1)
                            select name={"budget_category_" (i)} {
                                option value="" { "—" }
                                @for cat in &rules.budget.category { option value=(cat.code) selected[l.category == cat.code] { (cat.label) } }
                            }
                        }
                        label { "What it pays for " (i + 1) input type="text" name={"budget_description_" (i)} value=(l.description); }
                        label { "Dollars " (i + 1) input type="text" inputmode="decimal" name={"budget_amount_" (i)} value=(if l.amount_cents > 0 { dollars(l.amount_cents) } else { String::new() }); }
                    }
                }
            }
            (field_error(error, "monitoring"))
            label { "Monitoring plan" textarea name="monitoring" rows="3" { (p.monitoring) } }
            button type="submit" { "Save the plan" }
        }
    }
}

/// Reads the posted plan; an amount that is not dollars is the error.
fn posted_plan(pairs: &[(String, String)]) -> (String, Result<PlanContent, (String, String)>) {
    use empower_improvement::plan::{BudgetLine, Goal, LearningPartner, Milestone, Strategy};
    let mut m: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    let mut p = PlanContent::default();
    for (k, v) in pairs {
        if k == "priority_areas" {
            p.priority_areas.push(v.clone());
        } else if let Some(code) = k.strip_prefix("section_") {
            p.sections.insert(code.to_string(), v.trim().to_string());
        } else {
            m.insert(k.as_str(), v.as_str());
        }
    }
    let csrf = m.get("csrf").copied().unwrap_or("").to_string();
    let get = |k: String| {
        m.get(k.as_str())
            .map_or(String::new(), |v| v.trim().to_string())
    };
    p.monitoring = get("monitoring".into());
    p.partner = match m.get("partner").copied().unwrap_or("") {
        "" => None,
        "vendor" => Some(LearningPartner {
            kind: "vendor".into(),
            id: get("vendor_id".into()),
            name: get("vendor_name".into()),
        }),
        peer => peer.strip_prefix("peer|").map(|id| LearningPartner {
            kind: "peer".into(),
            id: id.to_string(),
            name: String::new(),
        }),
    };
    let number = |s: String| -> Option<f64> { s.replace(',', "").parse().ok() };
    for i in 0..100 {
        if !m.contains_key(format!("goal_statement_{i}").as_str()) {
            break;
        }
        let g = Goal {
            indicator: get(format!("goal_indicator_{i}")),
            statement: get(format!("goal_statement_{i}")),
            baseline: number(get(format!("goal_baseline_{i}"))),
            target: number(get(format!("goal_target_{i}"))),
            by: get(format!("goal_by_{i}")),
        };
        if !(g.indicator.is_empty() && g.statement.is_empty()) {
            p.goals.push(g);
        }
    }
    for i in 0..100 {
        if !m.contains_key(format!("strategy_id_{i}").as_str()) {
            break;
        }
        let s = Strategy {
            id: get(format!("strategy_id_{i}")),
            need: get(format!("strategy_need_{i}")),
            description: get(format!("strategy_description_{i}")),
            owner: get(format!("strategy_owner_{i}")),
            milestones: get(format!("strategy_milestones_{i}"))
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (what, by) = l.split_once('|').unwrap_or((l, ""));
                    Milestone {
                        what: what.trim().to_string(),
                        by: by.trim().to_string(),
                    }
                })
                .collect(),
            evidence: get(format!("strategy_evidence_{i}")),
        };
        if !(s.id.is_empty() && s.description.is_empty() && s.need.is_empty()) {
            p.strategies.push(s);
        }
    }
    for i in 0..100 {
        if !m.contains_key(format!("budget_amount_{i}").as_str()) {
            break;
        }
        let amount = get(format!("budget_amount_{i}"));
        let l = BudgetLine {
            strategy: get(format!("budget_strategy_{i}")),
            category: get(format!("budget_category_{i}")),
            description: get(format!("budget_description_{i}")),
            amount_cents: 0,
        };
        if amount.is_empty() && l.strategy.is_empty() && l.description.is_empty() {
            continue;
        }
        match empower_model::money::parse_cents(&amount) {
            Some(cents) => p.budget.push(BudgetLine {
                amount_cents: cents,
                ..l
            }),
            None => {
                return (
                    csrf,
                    Err((
                        "budget".to_string(),
                        format!(
                            "line {}: `{amount}` is not an amount of dollars (12,500.00)",
                            i + 1
                        ),
                    )),
                )
            }
        }
    }
    (csrf, Ok(p))
}

fn diff_view(v: &improvement::VersionView) -> Markup {
    html! {
        @for s in v.changes.iter().filter(|s| s.changed) {
            h4 { "Section " (s.section) }
            pre.diff { @for l in &s.lines {
                @match l.change.as_str() {
                    "added" => { ins { "+ " (l.text) } "\n" }
                    "removed" => { del { "- " (l.text) } "\n" }
                    _ => { "  " (l.text) "\n" }
                }
            } }
        }
    }
}

async fn plan_page(
    app: &AppState,
    c: &PageCaller,
    id: i64,
    notice: Option<&str>,
    error: Option<(String, String)>,
    form: Option<PlanContent>,
) -> Response {
    let path = format!("/work-plans/{id}");
    let mut v = match improvement::plan_view(
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
    if let Some(f) = form {
        v.content = f;
    }
    let Some(rules) = app.state.improvement.as_ref().map(|i| &i.cycle) else {
        return refusal(AppError::NotFound("no improvement cycle".into()), &path);
    };
    let areas = improvement::priority_areas(&app.state);
    let plan_status = empower_improvement::PlanStatus::parse(&v.row.status)
        .unwrap_or(empower_improvement::PlanStatus::Draft);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let latest = v.versions.last();
    let body = html! {
        (account_bar(c))
        p { a href={"/schools/" (v.row.school_rcdts) "/improvement"} { "← " (v.school_name) "'s improvement cycle" } }
        h1 { "Work plan " (v.school_year) ": " (v.school_name) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (field_error(&error, "form"))
        section.status-box aria-labelledby="plan-status" {
            h2 id="plan-status" { "Status" }
            p { strong { (plan_status.words()) } " · version " (v.row.version) " · due " (v.due) " · " (timeliness_cell(&v.timeliness)) }
            p { "1003(a) allocation: " (v.status.allocation_cents.map(dollars).unwrap_or_else(|| "not entered yet".into()))
                " · budget total: " (empower_improvement::plan::budget_total(&v.content).map(dollars).unwrap_or_default()) }
            p { a href={"/work-plans/" (v.row.id) "/print"} { "Printable plan" } " · "
                a href={"/work-plans/" (v.row.id) "/pdf"} download { "PDF" } }
        }
        @if v.may_amend {
            h2 { "Amend the approved plan" }
            p { "An approved plan is locked. An amendment opens version " (v.row.version + 1)
                " as a draft; it goes through the district and the state again, and the approved version stays in the history." }
            form method="post" action={"/work-plans/" (v.row.id) "/amend"} { (csrf_field(c)) button type="submit" { "Start an amendment" } }
        }
        @for s in rules.section.iter().filter(|s| s.prefilled) {
            h2 { (s.code) ". " (s.label) }
            p.muted { (s.prompt) " Drawn from the data and the needs assessment." }
            (pre(v.prefilled.get(&s.code).map_or("", String::as_str)))
        }
        @if v.may_edit {
            h2 { "The school's plan" }
            (plan_form(&v, c, rules, &areas, &error))
        } @else if let Some(l) = latest {
            h2 { "The plan as submitted (version " (l.version) ", " (l.submitted_on) ")" }
            @for code in &rules.review_sections {
                @if !rules.section.iter().any(|s| s.prefilled && &s.code == code) {
                    h3 { "Section " (code) }
                    (pre(l.sections.get(code).map_or("", String::as_str)))
                }
            }
        }
        @if v.may_submit {
            h2 { "Submit to the district" }
            p { "The district reviews it, then the state. Each submission is kept as a version; reviewers see what changed." }
            form method="post" action={"/work-plans/" (v.row.id) "/submit"} { (csrf_field(c)) button type="submit" { "Submit the plan" } }
        }
        @if let Some(level) = v.review_level {
            h2 { "Review at the " (if level == empower_improvement::Level::Lea { "district" } else { "state" }) " level" }
            @if let Some(l) = latest { @if !l.changes.is_empty() {
                h3 { "What changed since version " (l.version - 1) }
                (diff_view(l))
            } }
            (field_error(&error, "comments"))
            form.stack.wide method="post" action={"/work-plans/" (v.row.id) "/review"} {
                (csrf_field(c))
                input type="hidden" name="level" value=(level.as_str());
                fieldset { legend { "Decision" }
                    label.choice { input type="radio" name="decision" value="approved" required; "Approve" }
                    label.choice { input type="radio" name="decision" value="returned"; "Return for changes" }
                }
                @for code in &rules.review_sections {
                    label { "Comment on section " (code) textarea name={"comment_" (code)} rows="2" {} }
                }
                button type="submit" { "Record the review" }
            }
        }
        h2 { "History" }
        @if v.events.is_empty() { p.muted { "Not submitted yet." } }
        ul { @for e in &v.events { li {
            (e.action) " → " (e.to_status) " · version " (e.version) " · " (e.author.clone().unwrap_or_default()) " · " (empower_app::clock::rfc3339(e.created_at))
            @if let Some(list) = e.comments.as_array() { @if !list.is_empty() { ul { @for cm in list {
                li { "Section " (cm["section"].as_str().unwrap_or("")) ": " (cm["text"].as_str().unwrap_or("")) }
            } } } }
        } } }
    };
    respond(status, page(&format!("Work plan: {}", v.school_name), body))
}

/// `GET /work-plans/{id}`.
pub async fn plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no work plan {id}."));
    };
    let notice = if q.saved.is_some() {
        Some("The plan is saved.")
    } else if q.submitted.is_some() {
        Some("The plan is submitted to the district.")
    } else if q.reviewed.is_some() {
        Some("The review is recorded.")
    } else if q.amended.is_some() {
        Some("The amendment is open as a draft: change what needs changing, then submit it.")
    } else {
        None
    };
    plan_page(&app, &c, id, notice, None, None).await
}

/// `POST /work-plans/{id}`: saves the plan.
pub async fn save_plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (csrf, posted) = posted_plan(&pairs);
    let id = match form_start(&c, &csrf, &id, "work plan", "/work-plans") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let content = match posted {
        Ok(p) => p,
        Err(e) => return plan_page(&app, &c, id, None, Some(e), None).await,
    };
    match improvement::update_plan(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &content,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/work-plans/{id}?saved=1")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/work-plans/{id}")),
        Err(e) => plan_page(&app, &c, id, None, form_error(&e), Some(content)).await,
    }
}

/// `POST /work-plans/{id}/submit`.
pub async fn submit_plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "work plan", "/work-plans") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match improvement::submit_plan(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        id,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/work-plans/{id}?submitted=1")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/work-plans/{id}")),
        Err(e) => plan_page(&app, &c, id, None, form_error(&e), None).await,
    }
}

/// `POST /work-plans/{id}/amend`: an approved plan opens a new version.
pub async fn amend_plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "work plan", "/work-plans") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match improvement::amend_plan(&app.store, c.actor.as_ref(), id, app.clock.now()).await {
        Ok(_) => see_other(&format!("/work-plans/{id}?amended=1")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/work-plans/{id}")),
        Err(e) => plan_page(&app, &c, id, None, form_error(&e), None).await,
    }
}

/// `POST /work-plans/{id}/review`: `level`, `decision`, `comment_SECTION`.
pub async fn review_plan(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(x, _)| x == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let id = match form_start(&c, value("csrf"), &id, "work plan", "/work-plans") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let comments: Vec<improvement::Comment> = pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("comment_")?, v)))
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(s, v)| improvement::Comment {
            section: s.to_string(),
            text: v.trim().to_string(),
        })
        .collect();
    match improvement::review_plan(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        value("level"),
        value("decision"),
        &comments,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/work-plans/{id}?reviewed=1")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/work-plans/{id}")),
        Err(e) => plan_page(&app, &c, id, None, form_error(&e), None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AllocationForm {
    pub csrf: String,
    pub allocation: String,
}

/// `POST /schools/{rcdts}/allocation`: the state enters the 1003(a)
/// allocation in dollars.
pub async fn set_allocation(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
    Form(f): Form<AllocationForm>,
) -> Response {
    let path = format!("/schools/{rcdts}/improvement");
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, &path);
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let result = match empower_model::money::parse_cents(&f.allocation) {
        Some(cents) => {
            improvement::set_allocation(
                &app.state,
                &app.directory,
                &app.store,
                c.actor.as_ref(),
                &rcdts,
                cents,
                app.clock.now(),
            )
            .await
        }
        None => Err(AppError::Invalid {
            field: "allocation_cents".into(),
            message: format!(
                "`{}` is not an amount of dollars: write it as 50,000.00",
                f.allocation.trim()
            ),
        }),
    };
    match result {
        Ok(_) => see_other(&path),
        Err(e) => refusal(e, &path),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CoordinatorForm {
    pub csrf: String,
    pub email: String,
}

/// `POST /schools/{rcdts}/coordinator`: a state administrator assigns
/// the school support manager.
pub async fn assign_coordinator(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
    Form(f): Form<CoordinatorForm>,
) -> Response {
    let path = format!("/schools/{rcdts}/improvement");
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, &path);
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match improvement::assign_coordinator(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &rcdts,
        &f.email,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&path),
        Err(e) => refusal(e, &path),
    }
}

// ---------------------------------------------------------------- help line

fn help_table(items: &[improvement::HelpItem]) -> Markup {
    html! {
        @if items.is_empty() { p.muted { "No help request." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "School" } th scope="col" { "Subject" } th scope="col" { "Status" } th scope="col" { "Replies" } th scope="col" { "Last change" } } }
                tbody { @for i in items { tr {
                    td { (i.school_name) }
                    td { a href={"/help-requests/" (i.request.id)} { (i.request.subject) } }
                    td { (i.request.status) }
                    td { (i.replies.len()) }
                    td { (empower_app::clock::rfc3339(i.request.updated_at).chars().take(10).collect::<String>()) }
                } } }
            } }
        }
    }
}

async fn help_list_page(
    app: &AppState,
    c: &PageCaller,
    error: Option<(String, String)>,
) -> Response {
    let items =
        match improvement::help_requests_for(&app.directory, &app.store, c.actor.as_ref()).await {
            Ok(i) => i,
            Err(e) => return refusal(e, "/help-requests"),
        };
    let schools =
        improvement::help_line_schools(&app.state, &app.directory, &app.store, c.actor.as_ref())
            .await
            .unwrap_or_default();
    let phone = app
        .state
        .improvement
        .as_ref()
        .map(|i| i.cycle.help_line.phone.clone())
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            "Help line",
            html! {
                (account_bar(c))
                h1 { "Help line" }
                p { "Targeted schools reach a school improvement coordinator here or by telephone at " strong { (phone) } "." }
                @if !schools.is_empty() {
                    h2 { "Ask for help" }
                    (field_error(&error, "form"))
                    form.stack method="post" action="/help-requests" {
                        (csrf_field(c))
                        label { "School" select name="school_rcdts" { @for (id, name) in &schools { option value=(id) { (name) } } } }
                        (field_error(&error, "subject"))
                        label { "Subject" input type="text" name="subject" required maxlength="200"; }
                        (field_error(&error, "body"))
                        label { "What the school needs" textarea name="body" rows="4" required {} }
                        button type="submit" { "Send the request" }
                    }
                }
                h2 { "Requests" }
                (help_table(&items))
            },
        ),
    )
}

/// `GET /help-requests`.
pub async fn help_requests(State(app): State<AppState>, c: PageCaller) -> Response {
    help_list_page(&app, &c, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HelpForm {
    pub csrf: String,
    pub school_rcdts: String,
    pub subject: String,
    pub body: String,
}

/// `POST /help-requests`.
pub async fn open_help_request(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<HelpForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/help-requests");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match improvement::open_help_request(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &f.school_rcdts,
        &f.subject,
        &f.body,
        app.clock.now(),
    )
    .await
    {
        Ok(r) => see_other(&format!("/help-requests/{}", r.id)),
        Err(e @ (AppError::Invalid { .. } | AppError::Refused(_))) => {
            help_list_page(&app, &c, form_error(&e)).await
        }
        Err(e) => refusal(e, "/help-requests"),
    }
}

/// `GET /help-requests/{id}`.
pub async fn help_request(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no help request {id}."));
    };
    let i = match improvement::help_item(&app.directory, &app.store, c.actor.as_ref(), id).await {
        Ok(i) => i,
        Err(e) => return refusal(e, &format!("/help-requests/{id}")),
    };
    respond(
        StatusCode::OK,
        page(
            &i.request.subject,
            html! {
                (account_bar(&c))
                p { a href="/help-requests" { "← Help line" } }
                h1 { (i.request.subject) }
                p.muted { (i.school_name) " · " (i.request.status) " · " (empower_app::clock::rfc3339(i.request.created_at)) }
                p.prose { (i.request.body) }
                h2 { "Replies" }
                @if i.replies.is_empty() { p.muted { "No reply yet." } }
                @for r in &i.replies {
                    section.status-box {
                        p { strong { (r.author.clone().unwrap_or_default()) } " · " (empower_app::clock::rfc3339(r.created_at)) }
                        p.prose { (r.body) }
                    }
                }
                @if i.may_reply && i.request.status != "closed" {
                    form.stack method="post" action={"/help-requests/" (i.request.id) "/replies"} {
                        (csrf_field(&c))
                        label { "Reply" textarea name="body" rows="4" required {} }
                        label.choice { input type="checkbox" name="close" value="1"; "Close the request" }
                        button type="submit" { "Send the reply" }
                    }
                }
            },
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    pub csrf: String,
    pub body: String,
    pub close: Option<String>,
}

/// `POST /help-requests/{id}/replies`.
pub async fn reply_to_help_request(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "help request", "/help-requests") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match improvement::reply_to_help_request(
        &app.store,
        c.actor.as_ref(),
        id,
        &f.body,
        f.close.is_some(),
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("/help-requests/{id}")),
        Err(e) => refusal(e, &format!("/help-requests/{id}")),
    }
}

/// What can be printed, and how.
#[derive(Clone, Copy)]
enum Printed {
    Plan,
    Assessment,
}

async fn printed(app: &AppState, c: &PageCaller, what: Printed, id: &str, pdf: bool) -> Response {
    let (base, noun) = match what {
        Printed::Plan => ("/work-plans", "work plan"),
        Printed::Assessment => ("/needs-assessments", "needs assessment"),
    };
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no {noun} {id}."));
    };
    let path = format!("{base}/{id}/{}", if pdf { "pdf" } else { "print" });
    let (state, cache, store, actor, now) = (
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        app.clock.now(),
    );
    let document = match what {
        Printed::Plan => improvement::printable::plan(state, cache, store, actor, id, now).await,
        Printed::Assessment => {
            improvement::printable::assessment(state, cache, store, actor, id, now).await
        }
    };
    let document = match document {
        Ok(d) => d,
        Err(e) => return refusal(e, &path),
    };
    if pdf {
        let file = format!("{}-{id}.pdf", noun.replace(' ', "-"));
        return crate::printable::pdf_response(&document, &file);
    }
    respond(
        StatusCode::OK,
        crate::printable::html(
            &document,
            &format!("{base}/{id}/pdf"),
            (&format!("{base}/{id}"), &format!("Back to the {noun}")),
        ),
    )
}

/// `GET /work-plans/{id}/print`: the plan as a page that prints cleanly.
pub async fn plan_print(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    printed(&app, &c, Printed::Plan, &id, false).await
}

/// `GET /work-plans/{id}/pdf`.
pub async fn plan_pdf(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    printed(&app, &c, Printed::Plan, &id, true).await
}

/// `GET /needs-assessments/{id}/print`.
pub async fn assessment_print(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    printed(&app, &c, Printed::Assessment, &id, false).await
}

/// `GET /needs-assessments/{id}/pdf`.
pub async fn assessment_pdf(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    printed(&app, &c, Printed::Assessment, &id, true).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemindersQuery {
    pub days: Option<String>,
    pub queued: Option<String>,
    pub recent: Option<String>,
    pub without: Option<String>,
}

/// `GET /improvement/reminders`: what is due within the rules' window (or
/// `?days=N`) or overdue, per school, with whom it reminds; the state
/// queues the reminder mail from here.
pub async fn reminders(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<RemindersQuery>,
) -> Response {
    let days = q.days.as_deref().and_then(|d| d.trim().parse::<i64>().ok());
    let r = match improvement::reminders(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        days,
        app.clock.now(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return refusal(e, "/improvement/reminders"),
    };
    let sends = policy::send_reminders(c.actor.as_ref()).is_ok();
    let schools = r
        .items
        .iter()
        .map(|i| i.rcdts.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let unreached = r.items.iter().filter(|i| i.recipients.is_empty()).count();
    respond(
        StatusCode::OK,
        page(
            "What is due soon",
            html! {
                (account_bar(&c))
                p { a href="/improvement" { "← Improvement cycle " (r.school_year) } }
                h1 { "What is due soon" }
                @if let Some(n) = &q.queued {
                    p.notice role="status" { (n) " reminder e-mails written to the outbox; "
                        (q.recent.clone().unwrap_or_default()) " skipped (sent within the last " (r.repeat_days) " days); "
                        (q.without.clone().unwrap_or_default()) " items have no school leader on the platform." }
                }
                p { "Items not yet submitted that are due within " strong { (r.within_days) " days" } " of " (r.today) ", or overdue." }
                form.search method="get" action="/improvement/reminders" {
                    label { "Within (days)" input type="text" name="days" inputmode="numeric" size="4" value=(r.within_days); }
                    button type="submit" { "Show" }
                }
                p { strong { (r.items.len()) } " items at " (schools) " schools; " (unreached) " of them have no school leader on the platform to remind." }
                @if sends {
                    h2 { "Send the reminders" }
                    p { "Writes one e-mail per school leader and item to the outbox, which the mail sender delivers. "
                        "A person gets a reminder of the same item at most once every " (r.repeat_days) " days, however often this runs." }
                    form method="post" action="/improvement/reminders" {
                        (csrf_field(&c))
                        input type="hidden" name="days" value=(r.within_days);
                        button type="submit" { "Queue the reminder e-mails" }
                    }
                }
                @if r.items.is_empty() { p.muted { "Nothing is due within this window." } }
                @else { div.table-wrap { table {
                    thead { tr { th scope="col" { "School" } th scope="col" { "District" } th scope="col" { "Item" }
                        th scope="col" { "Due" } th scope="col" { "Where it stands" } th scope="col" { "Reminds" } } }
                    tbody { @for i in &r.items { tr {
                        td { a href={"/schools/" (i.rcdts) "/improvement"} { (i.name) } }
                        td { (i.district_name) }
                        td { (improvement::item_words(&i.item)) }
                        td.nowrap { (i.due) }
                        td { (timeliness_cell(&i.timeliness)) }
                        td { @if i.recipients.is_empty() { span.muted { "no school leader on the platform" } } @else { (i.recipients.join(", ")) } }
                    } } }
                } } }
            },
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueForm {
    pub csrf: String,
    pub days: String,
}

/// `POST /improvement/reminders`: queues the reminder mail (the state).
pub async fn queue_reminders(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<QueueForm>,
) -> Response {
    let Some(actor) = c.actor.as_ref() else {
        return refusal(AppError::SignInRequired, "/improvement/reminders");
    };
    if let Err(r) = crate::forms::check_csrf(&c, &f.csrf) {
        return r;
    }
    let days = f.days.trim().parse::<i64>().ok();
    match improvement::queue_reminders(
        &app.state,
        &app.directory,
        &app.store,
        empower_app::accounts::By::Actor(actor),
        days,
        &app.settings.public_url,
        app.clock.now(),
    )
    .await
    {
        Ok(q) => see_other(&format!(
            "/improvement/reminders?days={}&queued={}&recent={}&without={}",
            days.map(|d| d.to_string()).unwrap_or_default(),
            q.queued,
            q.recent,
            q.without_recipient
        )),
        Err(e) => refusal(e, "/improvement/reminders"),
    }
}

/// `GET /improvement/caseloads`: each support manager's schools, and the
/// schools that need one (the state).
pub async fn caseloads(State(app): State<AppState>, c: PageCaller) -> Response {
    let loads = match improvement::caseloads(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        app.clock.now(),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return refusal(e, "/improvement/caseloads"),
    };
    respond(
        StatusCode::OK,
        page(
            "Support managers' caseloads",
            html! {
                (account_bar(&c))
                p { a href="/improvement" { "← Improvement cycle" } }
                h1 { "Support managers' caseloads" }
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Support manager" } th.num scope="col" { "Schools" }
                        th.num scope="col" { "Late" } th.num scope="col" { "Plans approved" } } }
                    tbody { @for l in &loads { tr {
                        td { @match &l.coordinator { Some(n) => { a href={"#" (anchor(n))} { (n) } }, None => { a href="#unassigned" { strong { "No support manager yet" } } } } }
                        td.num { (l.schools.len()) } td.num { (l.late) } td.num { (l.approved) }
                    } } }
                } }
                @for l in &loads {
                    @let id = l.coordinator.as_deref().map(anchor).unwrap_or_else(|| "unassigned".into());
                    h2 id=(id) { (l.coordinator.clone().unwrap_or_else(|| "Schools that need a support manager".into())) }
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "School" } th scope="col" { "District" } th scope="col" { "Status" }
                            th scope="col" { "Stage" } th scope="col" { "Needs assessment" } th scope="col" { "Work plan" } } }
                        tbody { @for r in &l.schools { tr {
                            td { a href={"/schools/" (r.rcdts) "/improvement"} { (r.name) } }
                            td { (r.district_name) }
                            td { (badge(Some(&r.status))) }
                            td { (r.stage) }
                            td { (timeliness_cell(&r.needs_assessment)) }
                            td { (timeliness_cell(&r.work_plan)) }
                        } } }
                    } }
                }
            },
        ),
    )
}

/// An id for a heading from a name.
fn anchor(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("manager-{slug}")
}

/// `POST /needs-assessments/{id}/files` (multipart: `csrf`, `indicator`,
/// `file`).
pub async fn upload_assessment_file(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no needs assessment {id}."));
    };
    let path = format!("/needs-assessments/{id}");
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, &path);
    }
    let upload = match crate::attachments::read(multipart, "needs assessment").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = crate::forms::check_csrf(&c, upload.field("csrf")) {
        return r;
    }
    let indicator = upload.field("indicator").to_string();
    let (name, bytes) = upload.file.unwrap_or_default();
    match improvement::add_assessment_file(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &indicator,
        &name,
        &bytes,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("{path}?attached=1#files")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => assessment_page(&app, &c, id, None, form_error(&e)).await,
    }
}

/// `GET /needs-assessments/{id}/files/{file}`: the file as an attachment,
/// to those who may see the school's improvement records.
pub async fn assessment_file(
    State(app): State<AppState>,
    c: PageCaller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(file_id)) = (id.parse::<i64>(), file.parse::<i64>()) else {
        return crate::pages::not_found_page("There is no such file.");
    };
    match improvement::assessment_file(&app.store, c.actor.as_ref(), id, file_id).await {
        Ok((meta, bytes)) => crate::attachments::attachment(meta, bytes),
        Err(e) => refusal(e, &format!("/needs-assessments/{id}/files/{file_id}")),
    }
}

/// `POST /needs-assessments/{id}/files/{file}/remove`.
pub async fn remove_assessment_file(
    State(app): State<AppState>,
    c: PageCaller,
    Path((id, file)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "needs assessment", "/needs-assessments") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Ok(file_id) = file.parse::<i64>() else {
        return crate::pages::not_found_page("There is no such file.");
    };
    let path = format!("/needs-assessments/{id}");
    match improvement::remove_assessment_file(
        &app.store,
        c.actor.as_ref(),
        id,
        file_id,
        app.clock.now(),
    )
    .await
    {
        Ok(()) => see_other(&format!("{path}?removed=1#files")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => assessment_page(&app, &c, id, None, form_error(&e)).await,
    }
}
