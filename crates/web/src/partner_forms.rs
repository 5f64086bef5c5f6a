//! Signed-in Peer Learning Partner pages: a school leader finds the
//! district (A-Z), then the school, and applies on a form prefilled from
//! the report card; saves a draft, attaches evidence files, submits. The
//! state reviews a queue and decides with a reason; the administrator
//! opens rounds. The state or a district leader records an engagement
//! and the partner's contact accepts it.
//!
//! Every form carries the CSRF token and is checked first; the use cases
//! decide who may do what (`empower_app::policy`). Pages ask the same
//! policy functions only to show or hide a button.

// The checks answer a whole response to return early with.
#![allow(clippy::result_large_err)]

use crate::auth::PageCaller;
use crate::forms::{
    account_bar, check_csrf, csrf_field, field_error, form_error, form_start, leaves_page, refusal,
    see_other, with_csrf,
};
use crate::pages::{error_page, not_found_page};
use crate::render::{badge, num, page, respond};
use crate::{ApiError, AppState};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;
use empower_app::accounts::{Actor, Role};
use empower_app::clock::{date_in, rfc3339};
use empower_app::partners::{self, ApplicationView, EngagementFields, Prefill};
use empower_app::{policy, uploads, AppError};
use empower_model::money::{dollars, parse_cents};
use empower_partners as partners_engine;
use empower_states::Partners;
use empower_store::{ApplicationFields, Contact, Evidence};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

type FieldError = Option<(String, String)>;

fn today(app: &AppState) -> Result<partners_engine::Date, AppError> {
    date_in(&app.state.manifest.time_zone, app.clock.now())
}

fn program(app: &AppState) -> Result<&Partners, Response> {
    partners::program(&app.state).map_err(|e| error_page(e.into()))
}

fn parse_id(s: &str, what: &str) -> Result<i64, Response> {
    s.parse()
        .map_err(|_| not_found_page(&format!("There is no {what} {s}.")))
}

fn when(secs: i64) -> String {
    rfc3339(secs).chars().take(10).collect()
}

fn status_words(status: &str) -> &'static str {
    match status {
        "draft" => "Draft: not sent to the state yet",
        "submitted" => "Submitted: waiting for the state's decision",
        "approved" => "Approved: a Peer Learning Partner",
        "declined" => "Declined",
        _ => "Unknown status",
    }
}

fn area_labels(p: &Partners, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| p.rules.area_label(c).to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn service_labels(p: &Partners, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| {
            p.rules
                .service
                .iter()
                .find(|s| &s.code == c)
                .map_or(c.clone(), |s| s.label.clone())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn region_labels(p: &Partners, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| format!("{c} · {}", p.region_name(c).unwrap_or("unknown region")))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------- the application form

/// The application form as posted: lists are repeated keys (checkboxes,
/// one contact per row).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplicationForm {
    pub csrf: String,
    pub school_rcdts: String,
    pub round_id: String,
    pub regions: Vec<String>,
    pub priority_areas: Vec<String>,
    pub services: Vec<String>,
    pub capacity: String,
    pub contact_name: Vec<String>,
    pub contact_email: Vec<String>,
    pub contact_phone: Vec<String>,
    pub sustained_success: String,
    pub replication_plan: String,
    pub capacity_to_support: String,
}

/// Contact rows on the form.
const CONTACT_ROWS: usize = 3;

impl ApplicationForm {
    fn fields(&self) -> Result<ApplicationFields, AppError> {
        let capacity = self
            .capacity
            .trim()
            .parse::<u32>()
            .map_err(|_| AppError::Invalid {
                field: "capacity".into(),
                message: "write how many schools it can support at once, as a whole number".into(),
            })?;
        let cell = |v: &Vec<String>, i: usize| v.get(i).map_or("", |s| s.trim()).to_string();
        let rows = self
            .contact_name
            .len()
            .max(self.contact_email.len())
            .max(self.contact_phone.len());
        let contacts = (0..rows)
            .map(|i| Contact {
                name: cell(&self.contact_name, i),
                email: cell(&self.contact_email, i),
                phone: cell(&self.contact_phone, i),
            })
            .filter(|c| !(c.name.is_empty() && c.email.is_empty() && c.phone.is_empty()))
            .collect();
        Ok(ApplicationFields {
            regions: self.regions.clone(),
            priority_areas: self.priority_areas.clone(),
            services: self.services.clone(),
            capacity,
            contacts,
            evidence: Evidence {
                sustained_success: self.sustained_success.trim().to_string(),
                replication_plan: self.replication_plan.trim().to_string(),
                capacity_to_support: self.capacity_to_support.trim().to_string(),
            },
        })
    }

    fn from_fields(f: &ApplicationFields) -> ApplicationForm {
        ApplicationForm {
            regions: f.regions.clone(),
            priority_areas: f.priority_areas.clone(),
            services: f.services.clone(),
            capacity: f.capacity.to_string(),
            contact_name: f.contacts.iter().map(|c| c.name.clone()).collect(),
            contact_email: f.contacts.iter().map(|c| c.email.clone()).collect(),
            contact_phone: f.contacts.iter().map(|c| c.phone.clone()).collect(),
            sustained_success: f.evidence.sustained_success.clone(),
            replication_plan: f.evidence.replication_plan.clone(),
            capacity_to_support: f.evidence.capacity_to_support.clone(),
            ..Default::default()
        }
    }
}

/// The report card's facts, shown, never edited.
fn facts_panel(f: &Prefill, submitted: bool) -> Markup {
    html! {
        section aria-labelledby="facts" {
            h2 id="facts" { "From the report card" }
            p.muted {
                @if submitted { "As they stood when the school submitted. " }
                "These come from the state's data and cannot be changed here."
            }
            dl.facts {
                dt { "School" } dd { a href={"/schools/" (f.rcdts)} { (f.name) } }
                dt { (crate::render::frame().id_name) } dd { (f.rcdts) }
                dt { "District" } dd { (f.district_name) " (" (f.district) ")" }
                dt { "City, county" } dd { (f.city) ", " (f.county) }
                dt { "Grades" } dd { (f.grades.join(" ")) }
                dt { "Enrolment" } dd { (num(f.enrollment, 0)) }
                dt { "Designation of record" } dd {
                    @match &f.designation {
                        Some((d, year, source)) => { (badge(Some(d))) " " (year) ", " (source) }
                        None => { span.muted { "none" } }
                    }
                }
                @if !f.demographics.is_empty() {
                    dt { "Students" } dd {
                        (f.demographics.iter().map(|d| format!("{} {:.1}%", d.group, d.pct)).collect::<Vec<_>>().join(" · "))
                    }
                }
            }
            @if !f.indicators.is_empty() {
                div.table-wrap { table {
                    caption.muted { "Key indicators (latest report card)" }
                    thead { tr { th scope="col" { "Indicator" } th.num scope="col" { "Value" } th.num scope="col" { "Score" } } }
                    tbody { @for (label, value, score) in &f.indicators { tr {
                        td { (label) } td.num { (num(*value, 1)) } td.num { (num(*score, 1)) }
                    } } }
                } }
            }
        }
    }
}

fn checkbox_group(
    legend: &str,
    name: &str,
    options: &[(String, String)],
    chosen: &[String],
    error: &FieldError,
) -> Markup {
    html! {
        fieldset.choices {
            legend { (legend) }
            (field_error(error, name))
            @for (code, label) in options {
                label.choice {
                    input type="checkbox" name=(name) value=(code) checked[chosen.contains(code)];
                    (label)
                }
            }
        }
    }
}

/// The applicant's part of the form: regions, areas, services, capacity,
/// contacts and evidence.
fn application_fields(p: &Partners, f: &ApplicationForm, error: &FieldError) -> Markup {
    let regions: Vec<(String, String)> = p
        .regions
        .iter()
        .map(|r| (r.code.clone(), format!("{} · {}", r.code, r.name)))
        .collect();
    let terms = |ts: &[partners_engine::Term]| -> Vec<(String, String)> {
        ts.iter()
            .map(|t| (t.code.clone(), t.label.clone()))
            .collect()
    };
    let cell = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
    html! {
        (checkbox_group("Priority areas the school offers", "priority_areas", &terms(&p.rules.priority_area), &f.priority_areas, error))
        (checkbox_group("Services", "services", &terms(&p.rules.service), &f.services, error))
        (checkbox_group("Regions the school will serve", "regions", &regions, &f.regions, error))
        (field_error(error, "capacity"))
        label { "Capacity: how many schools it can support at once"
            input type="number" name="capacity" min="1" max="100" required value=(f.capacity); }
        fieldset {
            legend { "Contacts" }
            (field_error(error, "contacts"))
            @for i in 0..CONTACT_ROWS.max(f.contact_name.len()) {
                div.contact {
                    label { "Name " (i + 1) input type="text" name="contact_name" autocomplete="name" value=(cell(&f.contact_name, i)); }
                    label { "E-mail " (i + 1) input type="email" name="contact_email" autocomplete="email" value=(cell(&f.contact_email, i)); }
                    label { "Phone " (i + 1) input type="tel" name="contact_phone" autocomplete="tel" value=(cell(&f.contact_phone, i)); }
                }
            }
        }
        fieldset {
            legend { "Evidence" }
            (field_error(error, "evidence.sustained_success"))
            label { "Success sustained over time"
                textarea name="sustained_success" rows="5" maxlength="10000" { (f.sustained_success) } }
            (field_error(error, "evidence.replication_plan"))
            label { "A plan to replicate it with peers (implementation and evaluation)"
                textarea name="replication_plan" rows="5" maxlength="10000" { (f.replication_plan) } }
            (field_error(error, "evidence.capacity_to_support"))
            label { "Capacity to support other schools"
                textarea name="capacity_to_support" rows="5" maxlength="10000" { (f.capacity_to_support) } }
        }
    }
}

/// Reads the posted form into fields, or the field at fault.
fn posted_fields(f: &ApplicationForm) -> Result<ApplicationFields, FieldError> {
    f.fields().map_err(|e| form_error(&e))
}

// ---------------------------------------------------------------- the list and the queue

/// `GET /partner-applications`: the applications the caller may see; for
/// the state, the queue of those waiting for a decision first.
pub async fn applications(State(app): State<AppState>, c: PageCaller) -> Response {
    let list = match partners::applications_for(&app.directory, &app.store, c.actor.as_ref()).await
    {
        Ok(l) => l,
        Err(e) => return refusal(e, "/partner-applications"),
    };
    let actor = c.actor.as_ref();
    let deciding = policy::decide_partner_applications(actor).is_ok();
    let applying = actor.is_some_and(|a| a.holds(Role::SchoolLeader));
    let waiting: Vec<_> = list
        .iter()
        .filter(|i| {
            i.application.status == "submitted"
                || (i.application.status == "approved" && i.application.review_reason.is_some())
        })
        .collect();
    let table = |items: &[&partners::ApplicationItem]| {
        html! {
            div.table-wrap { table {
                thead { tr { th scope="col" { "School" } th scope="col" { "Round" } th scope="col" { "Status" } th scope="col" { "Last change" } th scope="col" { "Reason" } } }
                tbody { @for i in items { tr {
                    td { a href={"/partner-applications/" (i.application.id)} { (i.school_name) } }
                    td { (i.round_name) }
                    td { (i.application.status) @if i.application.review_reason.is_some() { " · " strong { "flagged for review" } } }
                    td { (when(i.application.updated_at)) }
                    td { (i.application.review_reason.clone().or(i.application.decision_reason.clone()).unwrap_or_default()) }
                } } }
            } }
        }
    };
    let all: Vec<_> = list.iter().collect();
    respond(
        StatusCode::OK,
        page(
            "Partner applications",
            html! {
                (account_bar(&c))
                h1 { "Peer Learning Partner applications" }
                @if applying { p { a href="/partner-applications/new" { "Apply for your school" } } }
                @if deciding {
                    h2 { "Waiting for a decision (" (waiting.len()) ")" }
                    @if waiting.is_empty() { p.muted { "Nothing is waiting." } } @else { (table(&waiting)) }
                    h2 { "Every application" }
                }
                @if all.is_empty() { p.muted { "No application yet." } } @else { (table(&all)) }
            },
        ),
    )
}

// ---------------------------------------------------------------- applying

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    pub district: Option<String>,
    pub school: Option<String>,
}

/// `GET /partner-applications/new`: the districts A-Z, a district's
/// schools, then the form prefilled from the school's report card.
pub async fn new_application(
    State(app): State<AppState>,
    jar: CookieJar,
    c: PageCaller,
    Query(q): Query<NewQuery>,
) -> Response {
    let Some(actor) = c.actor.as_ref() else {
        return refusal(AppError::SignInRequired, "/partner-applications/new");
    };
    let p = match program(&app) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let jar = with_csrf(&app, jar, &c);
    if let Some(school) = q.school.as_deref().filter(|s| !s.is_empty()) {
        return (
            jar,
            application_start(&app, &c, p, school, ApplicationForm::default(), None).await,
        )
            .into_response();
    }
    if let Some(district) = q.district.as_deref().filter(|s| !s.is_empty()) {
        let d = match empower_app::public::district(&app.directory, &app.store, district).await {
            Ok(Some(d)) => d,
            Ok(None) => return not_found_page(&format!("There is no district {district}.")),
            Err(e) => return error_page(e.into()),
        };
        return respond(
            StatusCode::OK,
            page(
                "Apply: choose the school",
                html! {
                    (account_bar(&c))
                    p { a href="/partner-applications/new" { "← All districts" } }
                    h1 { "Apply: " (d.district.name) }
                    p { "Show the schools of " (d.district.name) ", then open the application of yours." }
                    ul { @for s in &d.schools { li {
                        a href={"/partner-applications/new?school=" (s.rcdts)} { (s.name) } " "
                        span.source { (s.city) " · " (s.grades.join(" ")) }
                    } } }
                },
            ),
        );
    }
    let all = empower_store::SchoolPage {
        page: 1,
        per_page: u32::MAX,
    };
    let districts = match empower_app::public::districts(&app.store, None, all).await {
        Ok(d) => d.items,
        Err(e) => return error_page(e.into()),
    };
    let mut by_letter: BTreeMap<char, Vec<&empower_store::District>> = BTreeMap::new();
    for d in &districts {
        let c = d.name.chars().next().unwrap_or('#').to_ascii_uppercase();
        by_letter.entry(c).or_default().push(d);
    }
    let names = app.directory.get(&app.store).await.ok();
    let own: Vec<(&str, String)> = actor
        .grants
        .iter()
        .filter(|g| g.role == Role::SchoolLeader)
        .filter_map(|g| g.scope.as_deref())
        .map(|s| {
            let name = names
                .as_ref()
                .and_then(|d| d.school(s).map(|x| x.0.name.clone()))
                .unwrap_or_else(|| s.to_string());
            (s, name)
        })
        .collect();
    respond(
        StatusCode::OK,
        page(
            "Apply to be a Peer Learning Partner",
            html! {
                (account_bar(&c))
                h1 { "Apply to be a Peer Learning Partner" }
                p { "Exemplary and Commendable schools may apply to support other schools under IL-EMPOWER. Find the district, then the school: the application opens filled from the school's report card." }
                @if !own.is_empty() {
                    p { "Your schools: "
                        @for (i, (s, name)) in own.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={"/partner-applications/new?school=" (s)} { (name) }
                        }
                    }
                }
                h2 { "Districts A-Z" }
                nav aria-label="Letters" { p { @for l in by_letter.keys() { a href={"#letter-" (l)} { (l) } " " } } }
                @for (l, ds) in &by_letter {
                    h3 id={"letter-" (l)} { (l) }
                    ul { @for d in ds { li {
                        a href={"/partner-applications/new?district=" (d.rcdts)} { (d.name) } " "
                        span.source { (d.city) " · show schools" }
                    } } }
                }
            },
        ),
    )
}

/// The form for a school's new application, or its existing one in the
/// round.
async fn application_start(
    app: &AppState,
    c: &PageCaller,
    p: &Partners,
    school: &str,
    form: ApplicationForm,
    error: FieldError,
) -> Response {
    let facts = match partners::prefill(&app.state, &app.directory, &app.store, school).await {
        Ok(f) => f,
        Err(e) => return error_page(e.into()),
    };
    if let Err(e) = policy::apply_as_partner(c.actor.as_ref(), &facts.rcdts) {
        return refusal(
            e,
            &format!("/partner-applications/new?school={}", facts.rcdts),
        );
    }
    let round = match today(app) {
        Ok(t) => partners::round_for_new_applications(&app.store, t).await,
        Err(e) => Err(e),
    };
    let round = match round {
        Ok(r) => r,
        Err(e) => return error_page(e.into()),
    };
    let Some(round) = round else {
        return respond(
            StatusCode::OK,
            page(
                "No round is open",
                html! {
                    (account_bar(c))
                    h1 { "No application round is open" }
                    p { "The state opens rounds for Peer Learning Partner applications; none is open or announced now. Come back when one is." }
                },
            ),
        );
    };
    // An application of the school in this round already: open it.
    if let Ok(existing) = app.store.applications(Some(&facts.rcdts), None).await {
        if let Some(a) = existing.iter().find(|a| a.round_id == round.id) {
            return see_other(&format!("/partner-applications/{}", a.id));
        }
    }
    let ineligible =
        partners_engine::eligibility(&p.rules, facts.designation.as_ref().map(|d| d.0.as_str()))
            .err();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = ApplicationForm {
        capacity: if form.capacity.is_empty() {
            "1".into()
        } else {
            form.capacity
        },
        ..form
    };
    respond(
        status,
        page(
            &format!("Apply: {}", facts.name),
            html! {
                (account_bar(c))
                h1 { "Peer Learning Partner application: " (facts.name) }
                p { strong { (round.name) } ": applications from " (round.opens_on) " to " (round.due_on) "; decisions by " (round.decision_on) "." }
                @if let Some(why) = &ineligible {
                    p.error role="alert" { "This school cannot submit an application: " (why) ". You may still write a draft." }
                }
                (facts_panel(&facts, false))
                h2 { "The application" }
                (field_error(&error, "form"))
                form.stack.wide method="post" action="/partner-applications" {
                    (csrf_field(c))
                    input type="hidden" name="school_rcdts" value=(facts.rcdts);
                    input type="hidden" name="round_id" value=(round.id);
                    (application_fields(p, &form, &error))
                    button type="submit" { "Save the draft" }
                }
            },
        ),
    )
}

/// `POST /partner-applications`: starts the draft.
pub async fn create_application(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<ApplicationForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let p = match program(&app) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fields = match posted_fields(&f) {
        Ok(x) => x,
        Err(error) => {
            return application_start(&app, &c, p, &f.school_rcdts.clone(), f, error).await
        }
    };
    let round_id = f.round_id.trim().parse::<i64>().unwrap_or(0);
    match partners::create_application(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        &f.school_rcdts,
        round_id,
        &fields,
        app.clock.now(),
    )
    .await
    {
        Ok(a) => see_other(&format!("/partner-applications/{}?saved=1", a.id)),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            application_start(&app, &c, p, &f.school_rcdts.clone(), f, form_error(&e)).await
        }
        Err(e) => refusal(e, "/partner-applications/new"),
    }
}

// ---------------------------------------------------------------- one application

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub saved: Option<String>,
    pub submitted: Option<String>,
    pub decided: Option<String>,
    pub uploaded: Option<String>,
    pub removed: Option<String>,
}

impl NoticeQuery {
    fn notice(&self) -> Option<&'static str> {
        if self.saved.is_some() {
            Some("The draft is saved.")
        } else if self.submitted.is_some() {
            Some("The application is submitted. The state reviews it and decides; its status shows here.")
        } else if self.decided.is_some() {
            Some("The decision is recorded; the applicant sees it with its reason.")
        } else if self.uploaded.is_some() {
            Some("The file is attached.")
        } else if self.removed.is_some() {
            Some("The file is removed.")
        } else {
            None
        }
    }
}

/// What went wrong on the application page, and where.
struct Trouble {
    status: StatusCode,
    error: FieldError,
    form: Option<ApplicationForm>,
}

async fn load_view(app: &AppState, c: &PageCaller, id: i64) -> Result<ApplicationView, AppError> {
    let today = today(app)?;
    partners::application_view(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        id,
        today,
    )
    .await
}

/// The application page, with a notice or the trouble of a posted form.
async fn application_response(
    app: &AppState,
    c: &PageCaller,
    id: i64,
    notice: Option<&str>,
    trouble: Option<Trouble>,
) -> Response {
    let view = match load_view(app, c, id).await {
        Ok(v) => v,
        Err(e) => return refusal(e, &format!("/partner-applications/{id}")),
    };
    let p = match program(app) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (status, error, form) = match trouble {
        Some(t) => (t.status, t.error, t.form),
        None => (StatusCode::OK, None, None),
    };
    respond(
        status,
        page(
            &format!("Application: {}", view.facts.name),
            application_page(c, p, &view, notice, &error, form),
        ),
    )
}

fn application_page(
    c: &PageCaller,
    p: &Partners,
    v: &ApplicationView,
    notice: Option<&str>,
    error: &FieldError,
    form: Option<ApplicationForm>,
) -> Markup {
    let a = &v.application;
    let actor: Option<&Actor> = c.actor.as_ref();
    let editing = a.status == "draft" && policy::apply_as_partner(actor, &a.school_rcdts).is_ok();
    let flagged = a.status == "approved" && a.review_reason.is_some();
    let deciding =
        policy::decide_partner_applications(actor).is_ok() && (a.status == "submitted" || flagged);
    let form = form.unwrap_or_else(|| ApplicationForm::from_fields(&a.fields));
    let base = format!("/partner-applications/{}", a.id);
    html! {
        (account_bar(c))
        p { a href="/partner-applications" { "← Applications" } }
        h1 { "Peer Learning Partner application: " (v.facts.name) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (field_error(error, "form"))
        section.status-box aria-labelledby="status" {
            h2 id="status" { "Status" }
            p { strong { (status_words(&a.status)) } }
            p.muted { (v.round.name) ": applications from " (v.round.opens_on) " to " (v.round.due_on) "; decisions by " (v.round.decision_on) "." }
            @if let Some(r) = &a.decision_reason { p { "The state's reason: " (r) } }
            @if let Some(r) = &a.review_reason { p.error { "Flagged for the state's review: " (r) } }
        }
        (facts_panel(&v.facts, a.prefill.is_some()))
        h2 { "The application" }
        @if editing {
            form.stack.wide method="post" action=(base) {
                (csrf_field(c))
                (application_fields(p, &form, error))
                button type="submit" { "Save the draft" }
            }
        } @else {
            dl.facts {
                dt { "Priority areas" } dd { (area_labels(p, &a.fields.priority_areas)) }
                dt { "Services" } dd { (service_labels(p, &a.fields.services)) }
                dt { "Regions" } dd { (region_labels(p, &a.fields.regions)) }
                dt { "Capacity" } dd { (a.fields.capacity) " schools at once" }
                dt { "Contacts" } dd { @for ct in &a.fields.contacts { (ct.name) " · " (ct.email) @if !ct.phone.is_empty() { " · " (ct.phone) } br; } }
            }
            h3 { "Success sustained over time" } p.prose { (a.fields.evidence.sustained_success) }
            h3 { "Plan to replicate it with peers" } p.prose { (a.fields.evidence.replication_plan) }
            h3 { "Capacity to support" } p.prose { (a.fields.evidence.capacity_to_support) }
        }
        h2 id="files" { "Evidence files" }
        (field_error(error, "file"))
        @if v.files.is_empty() { p.muted { "No file attached." } }
        ul { @for f in &v.files { li {
            a href={(base) "/files/" (f.id)} { (f.file_name) } " "
            span.source { (format!("{:.0} KB", (f.size_bytes as f64 / 1024.0).ceil())) ", " (when(f.uploaded_at)) }
            @if editing {
                form method="post" action={(base) "/files/" (f.id) "/remove"} style="display:inline" {
                    (csrf_field(c)) " " button.link type="submit" { "Remove " (f.file_name) }
                }
            }
        } } }
        @if editing {
            form.stack method="post" action={(base) "/files"} enctype="multipart/form-data" {
                (csrf_field(c))
                label { "Attach a file (" (uploads::ACCEPTED) "; at most " (uploads::MAX_FILE_BYTES / 1_048_576) " MB, " (uploads::MAX_FILES) " files)"
                    input type="file" name="file" accept=(uploads::ACCEPT_ATTRIBUTE) required; }
                button type="submit" { "Attach the file" }
            }
            h2 { "Submit" }
            @if let Some(why) = &v.ineligible {
                p.error role="alert" { "This school cannot submit an application: " (why) "." }
            } @else if let Some(why) = &v.window_closed {
                p.error role="alert" { "It cannot be submitted now: " (why) "." }
            } @else {
                p { "Once submitted, the application goes to the state and can no longer be changed. The report card's facts above are kept with it as they are today." }
                form method="post" action={(base) "/submit"} {
                    (csrf_field(c))
                    button type="submit" { "Submit the application" }
                }
            }
        }
        @if deciding {
            h2 { "Decision" }
            @if flagged { p { "This partner is flagged for review. Approving keeps it in the directory; declining removes it." } }
            form.stack method="post" action={(base) "/decision"} {
                (csrf_field(c))
                fieldset {
                    legend { "Decision" }
                    (field_error(error, "decision"))
                    label.choice { input type="radio" name="decision" value="approved" required; "Approve" }
                    label.choice { input type="radio" name="decision" value="declined"; "Decline" }
                }
                (field_error(error, "reason"))
                label { "Reason (the applicant sees it)" textarea name="reason" rows="3" required {} }
                button type="submit" { "Record the decision" }
            }
        }
    }
}

/// `GET /partner-applications/{id}`.
pub async fn application(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let id = match parse_id(&id, "application") {
        Ok(id) => id,
        Err(r) => return r,
    };
    application_response(&app, &c, id, q.notice(), None).await
}

fn trouble(e: AppError, form: Option<ApplicationForm>) -> Trouble {
    Trouble {
        error: form_error(&e),
        status: ApiError::from(e).status,
        form,
    }
}

/// `POST /partner-applications/{id}`: saves the draft.
pub async fn save_application(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ApplicationForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "application", "/partner-applications") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/partner-applications/{id}");
    let fields = match f.fields() {
        Ok(x) => x,
        Err(e) => {
            // Who may not save is told so before any field is.
            if let Err(denied) = load_view(&app, &c, id).await.and_then(|v| {
                policy::apply_as_partner(c.actor.as_ref(), &v.application.school_rcdts)
            }) {
                return refusal(denied, &path);
            }
            return application_response(&app, &c, id, None, Some(trouble(e, Some(f)))).await;
        }
    };
    match partners::update_application(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        &fields,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("{path}?saved=1")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => application_response(&app, &c, id, None, Some(trouble(e, Some(f)))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// `POST /partner-applications/{id}/submit`.
pub async fn submit_application(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "application", "/partner-applications") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/partner-applications/{id}");
    let today = match today(&app) {
        Ok(t) => t,
        Err(e) => return error_page(e.into()),
    };
    match partners::submit_application(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        id,
        today,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("{path}?submitted=1")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => {
            let message = format!("The application was not submitted: {e}");
            let t = Trouble {
                error: Some(("form".into(), message)),
                ..trouble(e, None)
            };
            application_response(&app, &c, id, None, Some(t)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub csrf: String,
    pub decision: String,
    pub reason: String,
}

/// `POST /partner-applications/{id}/decision`.
pub async fn decide(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "application", "/partner-applications") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/partner-applications/{id}");
    match partners::decide(
        &app.store,
        c.actor.as_ref(),
        id,
        f.decision.trim(),
        &f.reason,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("{path}?decided=1")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => application_response(&app, &c, id, None, Some(trouble(e, None))).await,
    }
}

// ---------------------------------------------------------------- evidence files

/// `POST /partner-applications/{id}/files` (multipart: `csrf`, `file`).
pub async fn upload(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let id = match parse_id(&id, "application") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let path = format!("/partner-applications/{id}");
    let upload = match crate::attachments::read(multipart, "application").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&c, upload.field("csrf")) {
        return r;
    }
    let (name, bytes) = upload.file.unwrap_or_default();
    match partners::add_evidence_file(
        &app.store,
        c.actor.as_ref(),
        id,
        &name,
        &bytes,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other(&format!("{path}?uploaded=1#files")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => application_response(&app, &c, id, None, Some(trouble(e, None))).await,
    }
}

/// `GET /partner-applications/{id}/files/{file}`: the file, as an
/// attachment, to those who may see the application.
pub async fn download(
    State(app): State<AppState>,
    c: PageCaller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (id, file_id) = match (parse_id(&id, "application"), parse_id(&file, "file")) {
        (Ok(a), Ok(f)) => (a, f),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match partners::evidence_file(&app.store, c.actor.as_ref(), id, file_id).await {
        Ok((meta, bytes)) => crate::attachments::attachment(meta, bytes),
        Err(e) => refusal(e, &format!("/partner-applications/{id}/files/{file_id}")),
    }
}

/// `POST /partner-applications/{id}/files/{file}/remove`.
pub async fn remove_file(
    State(app): State<AppState>,
    c: PageCaller,
    Path((id, file)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let (id, file_id) = match (parse_id(&id, "application"), parse_id(&file, "file")) {
        (Ok(a), Ok(f)) => (a, f),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let path = format!("/partner-applications/{id}");
    match partners::remove_evidence_file(&app.store, c.actor.as_ref(), id, file_id, app.clock.now())
        .await
    {
        Ok(()) => see_other(&format!("{path}?removed=1#files")),
        Err(e) if leaves_page(&e) => refusal(e, &path),
        Err(e) => application_response(&app, &c, id, None, Some(trouble(e, None))).await,
    }
}

// ---------------------------------------------------------------- rounds

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoundForm {
    pub csrf: String,
    pub name: String,
    pub opens_on: String,
    pub due_on: String,
    pub decision_on: String,
}

async fn rounds_page(
    app: &AppState,
    c: &PageCaller,
    form: RoundForm,
    error: FieldError,
) -> Response {
    let rounds = match partners::rounds(&app.store, c.actor.as_ref()).await {
        Ok(r) => r,
        Err(e) => return refusal(e, "/admin/partner-rounds"),
    };
    let p = match program(app) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let today = match today(app) {
        Ok(t) => t,
        Err(e) => return error_page(e.into()),
    };
    // The form suggests the default round of the school year (rules data).
    let form = if form.name.is_empty() {
        match partners::default_round(&p.rules, today) {
            Ok((name, d)) => RoundForm {
                name,
                opens_on: d.opens_on.to_string(),
                due_on: d.due_on.to_string(),
                decision_on: d.decision_on.to_string(),
                csrf: String::new(),
            },
            Err(_) => form,
        }
    } else {
        form
    };
    let window = |r: &empower_store::RoundRow| -> &'static str {
        match (r.opens_on.parse(), r.due_on.parse(), r.decision_on.parse()) {
            (Ok(opens_on), Ok(due_on), Ok(decision_on)) => {
                let d = partners_engine::RoundDates {
                    opens_on,
                    due_on,
                    decision_on,
                };
                match partners_engine::window(&d, today) {
                    partners_engine::Window::Open => "open",
                    partners_engine::Window::NotYetOpen { .. } => "not open yet",
                    partners_engine::Window::Closed { .. } => "closed",
                }
            }
            _ => "",
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            "Partner rounds",
            html! {
                (account_bar(c))
                h1 { "Peer Learning Partner rounds" }
                p { "A round takes applications from its opening to its due date (both included, in the state's time zone, " (app.state.manifest.time_zone) ")." }
                @if rounds.is_empty() { p.muted { "No round yet." } } @else {
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Round" } th scope="col" { "Opens" } th scope="col" { "Due" } th scope="col" { "Decisions by" } th scope="col" { "Today" } } }
                        tbody { @for r in &rounds { tr {
                            td { (r.name) } td { (r.opens_on) } td { (r.due_on) } td { (r.decision_on) } td { (window(r)) }
                        } } }
                    } }
                }
                h2 { "Open a round" }
                @if p.rules.round.draft { p.muted { "The suggested dates are the rules' defaults, " strong { "draft wording" } " until the state confirms them." } }
                (field_error(&error, "form"))
                form.stack method="post" action="/admin/partner-rounds" {
                    (csrf_field(c))
                    (field_error(&error, "name"))
                    label { "Name" input type="text" name="name" required value=(form.name); }
                    (field_error(&error, "opens_on"))
                    label { "Opens on" input type="date" name="opens_on" required value=(form.opens_on); }
                    (field_error(&error, "due_on"))
                    label { "Due on" input type="date" name="due_on" required value=(form.due_on); }
                    (field_error(&error, "decision_on"))
                    label { "Decisions by" input type="date" name="decision_on" required value=(form.decision_on); }
                    button type="submit" { "Open the round" }
                }
            },
        ),
    )
}

/// `GET /admin/partner-rounds`.
pub async fn rounds(State(app): State<AppState>, c: PageCaller) -> Response {
    rounds_page(&app, &c, RoundForm::default(), None).await
}

/// `POST /admin/partner-rounds`.
pub async fn create_round(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<RoundForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match partners::create_round(
        &app.store,
        c.actor.as_ref(),
        &f.name,
        &f.opens_on,
        &f.due_on,
        &f.decision_on,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other("/admin/partner-rounds"),
        Err(e) if leaves_page(&e) => refusal(e, "/admin/partner-rounds"),
        Err(e) => {
            let error = form_error(&e);
            rounds_page(&app, &c, f, error).await
        }
    }
}

// ---------------------------------------------------------------- engagements

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EngagementForm {
    pub csrf: String,
    pub school_rcdts: String,
    pub partner_rcdts: String,
    pub priority_area: String,
    pub starts_on: String,
    pub ends_on: String,
    pub agreement: String,
    pub budget: String,
    pub budget_description: String,
}

async fn engagement_page(
    app: &AppState,
    c: &PageCaller,
    school: &str,
    form: EngagementForm,
    error: FieldError,
) -> Response {
    let path = format!("/schools/{school}/engagements/new");
    let options = match partners::engagement_options(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        school,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return refusal(e, &path),
    };
    let p = match program(app) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            "Record an engagement",
            html! {
                (account_bar(c))
                p { a href={"/schools/" (options.school.rcdts)} { "← " (options.school.name) } }
                h1 { "Record an engagement: " (options.school.name) }
                p { "An agreement between this school and an approved Peer Learning Partner. The partner's contact accepts it; then it counts against the partner's capacity." }
                @if options.ranked { p.muted { "Partners are listed as recommended for this school, best fit first." } }
                (field_error(&error, "form"))
                form.stack method="post" action="/engagements" {
                    (csrf_field(c))
                    input type="hidden" name="school_rcdts" value=(options.school.rcdts);
                    (field_error(&error, "partner_rcdts"))
                    label { "Partner"
                        select name="partner_rcdts" required {
                            option value="" { "Choose a partner" }
                            @for o in &options.partners {
                                option value=(o.rcdts) selected[o.rcdts == form.partner_rcdts] {
                                    (o.name) " (" (o.city) ")"
                                    @if let Some(s) = o.score { " · " (num(Some(s), 1)) " points" }
                                    @if o.capacity_left == 0 { " · full" } @else { " · " (o.capacity_left) " places left" }
                                }
                            }
                        }
                    }
                    (field_error(&error, "priority_area"))
                    label { "Priority area"
                        select name="priority_area" required {
                            @for a in &p.rules.priority_area { option value=(a.code) selected[a.code == form.priority_area] { (a.label) } }
                        }
                    }
                    (field_error(&error, "starts_on"))
                    label { "Starts on" input type="date" name="starts_on" required value=(form.starts_on); }
                    (field_error(&error, "ends_on"))
                    label { "Ends on" input type="date" name="ends_on" required value=(form.ends_on); }
                    (field_error(&error, "agreement"))
                    label { "Agreement (what each school does, how often, how success is judged)"
                        textarea name="agreement" rows="4" required { (form.agreement) } }
                    (field_error(&error, "budget_cents"))
                    label { "Budget in dollars" input type="text" name="budget" inputmode="decimal" value=(form.budget) placeholder="12,500.00"; }
                    label { "What the budget pays for (Title I 1003(a) allowable expenses)"
                        textarea name="budget_description" rows="2" { (form.budget_description) } }
                    button type="submit" { "Record the engagement" }
                }
            },
        ),
    )
}

/// `GET /schools/{rcdts}/engagements/new`.
pub async fn new_engagement(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
) -> Response {
    engagement_page(&app, &c, &rcdts, EngagementForm::default(), None).await
}

/// `POST /engagements`.
pub async fn create_engagement(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<EngagementForm>,
) -> Response {
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let budget_cents = if f.budget.trim().is_empty() {
        Some(0)
    } else {
        parse_cents(&f.budget)
    };
    let fields = EngagementFields {
        school_rcdts: f.school_rcdts.clone(),
        partner_rcdts: f.partner_rcdts.clone(),
        priority_area: f.priority_area.clone(),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
        agreement: f.agreement.clone(),
        budget_cents: budget_cents.unwrap_or(-1),
        budget_description: f.budget_description.clone(),
    };
    let school = f.school_rcdts.clone();
    let result = match budget_cents {
        Some(_) => {
            partners::create_engagement(
                &app.state,
                &app.store,
                c.actor.as_ref(),
                &fields,
                app.clock.now(),
            )
            .await
        }
        None => Err(AppError::Invalid {
            field: "budget_cents".into(),
            message: format!(
                "`{}` is not an amount of dollars: write it as 12,500.00",
                f.budget.trim()
            ),
        }),
    };
    match result {
        Ok(_) => see_other(&format!("/schools/{school}#engagements")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/schools/{school}/engagements/new")),
        Err(e) => engagement_page(&app, &c, &school, f, form_error(&e)).await,
    }
}

/// `POST /engagements/{id}/accept`.
pub async fn accept_engagement(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "engagement", "/engagements") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match partners::accept_engagement(&app.store, c.actor.as_ref(), id, app.clock.now()).await {
        Ok(e) => {
            let partner = partners::engagement_partner(&app.store, &e)
                .await
                .unwrap_or_default();
            see_other(&format!("/partners/{partner}#engagements"))
        }
        Err(e) => refusal(e, "/partner-applications"),
    }
}

/// Engagements as both schools' pages show them: the agreement and the
/// budget only to those concerned.
pub(crate) fn engagements_table(
    c: Option<&PageCaller>,
    p: &Partners,
    list: &[partners::EngagementView],
    accept_for: Option<&str>,
) -> Markup {
    let actor = c.and_then(|c| c.actor.as_ref());
    let concerned = |e: &partners::EngagementView| {
        policy::decide_partner_applications(actor).is_ok()
            || policy::accept_engagement(actor, &e.partner_rcdts).is_ok()
            || policy::act_for_school(actor, &e.engagement.school_rcdts, &e.school_district).is_ok()
    };
    html! {
        @if list.is_empty() { p.muted { "No engagement recorded." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "School in support" } th scope="col" { "Partner" } th scope="col" { "Priority area" } th scope="col" { "Dates" } th scope="col" { "Status" } th scope="col" { "Agreement and budget" } } }
                tbody { @for e in list { tr {
                    td { a href={"/schools/" (e.engagement.school_rcdts)} { (e.school_name) } }
                    td { a href={"/partners/" (e.partner_rcdts)} { (e.partner_name) } }
                    td { (p.rules.area_label(&e.engagement.priority_area)) }
                    td { (e.engagement.starts_on) " to " (e.engagement.ends_on) }
                    td {
                        (e.engagement.status)
                        @if e.engagement.status == "proposed" && accept_for.is_some_and(|a| a == e.partner_rcdts) {
                            @if let Some(c) = c {
                                @if policy::accept_engagement(actor, &e.partner_rcdts).is_ok() {
                                    form method="post" action={"/engagements/" (e.engagement.id) "/accept"} {
                                        (csrf_field(c)) button type="submit" { "Accept" }
                                    }
                                }
                            }
                        }
                    }
                    td { @if concerned(e) { (e.engagement.agreement) br; (dollars(e.engagement.budget_cents)) @if !e.engagement.budget_description.is_empty() { ": " (e.engagement.budget_description) } } @else { span.muted { "shown to those concerned" } } }
                } } }
            } }
        }
    }
}
