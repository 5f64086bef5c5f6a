//! The Teaching Excellence Program's pages: the educator's (facts,
//! eligibility, requests and their place in line, agreements, log lines
//! to sign), an agreement with its log, the employer's verifications and
//! the program administrator's ledger with its CSV exports.

use crate::auth::PageCaller;
use crate::forms::{
    account_bar, check_csrf, csrf_field, field_error, fiscal_year_form_start, form_error,
    form_start, leaves_page, refusal, see_other,
};
use crate::render::{page, respond};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use empower_app::accounts::Role;
use empower_app::clock::rfc3339;
use empower_app::tep::{self, AgreementInput, AgreementView, AnnouncementInput, LogInput};
use empower_app::AppError;
use empower_model::money::{dollars, parse_cents};
use empower_store::TepAnnouncementRow;
use maud::{html, Markup};
use serde::Deserialize;

type FieldError = Option<(String, String)>;

fn day(secs: i64) -> String {
    rfc3339(secs).chars().take(10).collect()
}

fn status_words(s: &str) -> &'static str {
    match s {
        "reserved" => "reserved (waiting for the employer's verification)",
        "funded" => "funded",
        "paid" => "paid",
        "waitlisted" => "waitlisted",
        "denied" => "denied",
        "eligible" => "eligible",
        "ineligible" => "not eligible",
        _ => "not known yet",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn announcement_box(a: &TepAnnouncementRow) -> Markup {
    html! {
        section.status-box {
            h2 { "Instructional leadership training, fiscal year " (a.fiscal_year) }
            dl.facts {
                dt { "Amount" } dd { (dollars(a.amount_cents)) }
                dt { "Stipend per participant" } dd { (dollars(a.stipend_cents)) }
                dt { "Purposes" } dd { span.prose { (a.purposes) } }
                dt { "Who may take part" } dd { span.prose { (a.who_may_take_part) } }
                dt { "How to apply" } dd { span.prose { (a.how_to_apply) } }
                dt { "Published" } dd { (day(a.published_at)) }
            }
        }
    }
}

// ------------------------------------------------------------ educator

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FactsForm {
    pub csrf: String,
    pub license: String,
    pub role: String,
    pub nbpts: String,
    pub district_rcdts: String,
    pub school_rcdts: String,
    pub full_time: Option<String>,
    pub originally_assigned: Option<String>,
    pub retired: String,
}

fn select(name: &str, label: &str, current: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                @for (v, words) in options {
                    option value=(v) selected[*v == current] { (words) }
                }
            }
        }
    }
}

async fn educator_page(app: &AppState, c: &PageCaller, error: FieldError) -> Response {
    let actor = c.actor.as_ref();
    let fy = match tep::current_fiscal_year(&app.state, app.clock.now()) {
        Ok(y) => y,
        Err(e) => return refusal(e, "/tep"),
    };
    let facts = match tep::my_facts(&app.store, actor).await {
        Ok(f) => Some(f),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return refusal(e, "/tep"),
    };
    let rules = tep::rules(&app.state, fy).ok();
    let eligibility = match &facts {
        Some(_) => tep::eligibility(&app.state, &app.directory, &app.store, actor, fy)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let requests = tep::my_requests(&app.state, &app.store, actor)
        .await
        .unwrap_or_default();
    let agreements = tep::my_agreements(&app.state, &app.store, actor)
        .await
        .unwrap_or_default();
    let announcement = tep::announcement(&app.store, fy).await.ok().flatten();
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let to_sign: Vec<(&AgreementView, &tep::LogView)> = agreements
        .iter()
        .flat_map(|a| {
            a.logs
                .iter()
                .filter(move |l| {
                    l.signed_at.is_none()
                        && a.agreement
                            .recipients
                            .iter()
                            .any(|r| r.recipient_id == me && r.email == l.recipient_email)
                })
                .map(move |l| (a, l))
        })
        .collect();
    let f = facts.clone().unwrap_or_default();
    let label_of = |slug: &str| {
        rules
            .as_ref()
            .and_then(|r| r.payment_type(slug).map(|t| t.label.clone()))
            .unwrap_or_else(|| slug.to_string())
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            "Teaching Excellence Program",
            html! {
                (account_bar(c))
                h1 { "Teaching Excellence Program" }
                p.muted { "Fiscal year " (fy) " (July 1, " (fy - 1) " to June 30, " (fy) "). Payments depend on the appropriation; when it cannot cover every request, they are made first come, first served, whatever their type (23 Ill. Adm. Code 25.444)." }
                @if rules.as_ref().is_some_and(|r| r.draft) {
                    p.muted { "Amounts and caps are draft figures." }
                }
                (field_error(&error, "form"))
                @if !to_sign.is_empty() {
                    section.status-box {
                        h2 { "Log lines for you to sign" }
                        p { "Your mentor recorded these sessions with you. Sign each one whose date and hours are right." }
                        ul { @for (a, l) in &to_sign {
                            li { a href={"/tep/agreements/" (a.agreement.id)} { (l.date) ", " (l.hours) " hours with " (a.agreement.mentor_name) } }
                        } }
                    }
                }
                h2 id="facts" { "Your license and position" }
                @if let Some(f) = &facts {
                    p {
                        "Employer's verification: "
                        strong { @match f.verification.as_deref() {
                            Some("confirmed") => "confirmed",
                            Some(_) => "rejected",
                            None => "not given yet",
                        } }
                        @if let Some(r) = &f.verification_reason { " (" (r) ")" }
                        @if let Some(at) = f.verified_at { " on " (day(at)) }
                    }
                } @else {
                    p { "Give your license, role and position: your eligibility and your employer's verification come from them." }
                }
                form.stack method="post" action="/tep/educator" {
                    (csrf_field(c))
                    (select("license", "License", &f.license, &[("PEL", "Professional Educator License (PEL)"), ("ELS-CTE", "ELS Career and Technical Educator (ELS-CTE)"), ("ELS-CTEP", "ELS Provisional Career and Technical Educator (ELS-CTEP)"), ("ELS-PCTE", "ELS Part-Time Career and Technical Educator (ELS-PCTE)")]))
                    (field_error(&error, "license"))
                    (select("role", "Role", &f.role, &[("teacher", "Teacher"), ("counselor", "School counselor")]))
                    (select("nbpts", "National Board (NBPTS) status", &f.nbpts, &[("none", "None"), ("candidate", "Candidate"), ("certified", "Certified"), ("renewal", "Renewing")]))
                    label { "Employing district (RCDTS)" input type="text" name="district_rcdts" value=(f.district_rcdts.clone().unwrap_or_default()) pattern="[0-9A-Za-z-]*" aria-describedby="district-help"; }
                    span.muted id="district-help" { "The 15-character district id, e.g. 010010040260000. Leave empty if retired." }
                    (field_error(&error, "district_rcdts"))
                    label { "School (RCDTS)" input type="text" name="school_rcdts" value=(f.school_rcdts.clone().unwrap_or_default()); }
                    (field_error(&error, "school_rcdts"))
                    label.choice { input type="checkbox" name="full_time" value="1" checked[f.full_time]; "Full-time position" }
                    label.choice { input type="checkbox" name="originally_assigned" value="1" checked[f.originally_assigned]; "I am the person originally assigned to the position" }
                    (select("retired", "Retired", f.retired.as_deref().unwrap_or(""), &[("", "No"), ("TRS", "Yes, with a Teachers' Retirement System annuity"), ("CTPF", "Yes, with a Chicago Teachers' Pension Fund annuity")]))
                    (field_error(&error, "retired"))
                    (field_error(&error, "educator"))
                    button type="submit" { "Save" }
                }
                @if facts.is_some() {
                    h2 id="eligibility" { "Your eligibility this year" }
                    (field_error(&error, "payment_type"))
                    (field_error(&error, "fiscal_year"))
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Payment" } th scope="col" class="num" { "Amount" } th scope="col" { "Eligible" } th scope="col" { "Why" } th scope="col" { "" } } }
                        tbody { @for e in &eligibility {
                            @let slug = e.payment_type.clone();
                            @let asked = requests.iter().any(|r| r.fiscal_year == i64::from(fy) && r.payment_type == slug);
                            tr {
                                td { (label_of(&slug)) }
                                td.num { (dollars(e.amount_cents)) }
                                td { (status_words(&serde_plain(&e.status))) }
                                td { (e.reason) }
                                td { @if asked { span.muted { "requested" } } @else if serde_plain(&e.status) != "ineligible" {
                                    form method="post" action="/tep/requests" {
                                        (csrf_field(c))
                                        input type="hidden" name="fiscal_year" value=(fy);
                                        input type="hidden" name="payment_type" value=(slug);
                                        button type="submit" aria-label={"Request: " (label_of(&slug))} { "Request" }
                                    }
                                } }
                            }
                        } }
                    } }
                }
                h2 id="requests" { "Your requests" }
                @if requests.is_empty() { p.muted { "No request yet." } } @else {
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Year" } th scope="col" { "Payment" } th scope="col" class="num" { "Amount" } th scope="col" { "Status" } th scope="col" { "Place in line" } th scope="col" { "Reason" } } }
                        tbody { @for r in &requests { tr {
                            td { (r.fiscal_year) }
                            td { (r.label) }
                            td.num { (dollars(r.request.amount_cents)) }
                            td { (status_words(&r.request.status)) }
                            td { (r.place) }
                            td { (r.request.reason) }
                        } } }
                    } }
                }
                h2 id="agreements" { "Mentoring agreements" }
                @if agreements.is_empty() { p.muted { "No agreement yet." } } @else {
                    ul { @for a in &agreements { li {
                        a href={"/tep/agreements/" (a.agreement.id)} {
                            @if a.agreement.mentor_id == me { "You mentor " } @else { "Mentored by " (a.agreement.mentor_name) " with " }
                            (a.agreement.recipients.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join(", "))
                        }
                        " · fiscal year " (a.agreement.fiscal_year) " · " (a.counted_hours) " hours counted (" (a.year_counted_hours) " of " (a.max_hours) " this year) · "
                        @if a.complete { "log complete and signed" } @else { "log not complete" }
                    } } }
                }
                details {
                    summary { "Record a new agreement as the mentor" }
                    form.stack.wide method="post" action="/tep/agreements" {
                        (csrf_field(c))
                        input type="hidden" name="fiscal_year" value=(fy);
                        (select("kind", "Log", "mentoring", &[("mentoring", "Mentoring or professional development (standards addressed)"), ("candidate-assistance", "NBPTS candidate assistance (requirements addressed)")]))
                        (select("framework", "Under", "agreement", &[("agreement", "A written agreement with the building administrator or mentor coordinator"), ("district-program", "The district's formal mentoring or professional development program")]))
                        label { "Building administrator, mentor coordinator or district program (name and title)" input type="text" name="administrator" required maxlength="500"; }
                        (field_error(&error, "administrator"))
                        label { "Goals" textarea name="goals" rows="3" required {} }
                        (field_error(&error, "goals"))
                        label { "Your duration of involvement" input type="text" name="duration" required maxlength="500"; }
                        (field_error(&error, "duration"))
                        label { "Time expected per recipient" input type="text" name="time_per_recipient" required maxlength="500"; }
                        (field_error(&error, "time_per_recipient"))
                        label { "Recipients' e-mail addresses, one per line (each registered as an educator of your role)" textarea name="recipients" rows="3" required {} }
                        (field_error(&error, "recipients"))
                        (field_error(&error, "kind"))
                        button type="submit" { "Record the agreement" }
                    }
                }
                @if let Some(a) = &announcement { (announcement_box(a)) }
            },
        ),
    )
}

/// The snake-case word serde gives a unit enum.
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// `GET /tep`.
pub async fn educator(State(app): State<AppState>, c: PageCaller) -> Response {
    if let Err(e) = empower_app::policy::act_as_educator(c.actor.as_ref()) {
        return refusal(e, "/tep");
    }
    educator_page(&app, &c, None).await
}

async fn after(
    app: &AppState,
    c: &PageCaller,
    r: Result<String, AppError>,
    path: &str,
) -> Response {
    match r {
        Ok(to) => see_other(&to),
        Err(e) if leaves_page(&e) => refusal(e, path),
        Err(e) => educator_page(app, c, form_error(&e)).await,
    }
}

/// `POST /tep/educator`.
pub async fn save_facts(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<FactsForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/tep");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let facts = tep::EducatorFacts {
        license: f.license.clone(),
        role: f.role.clone(),
        nbpts: f.nbpts.clone(),
        district_rcdts: some(&f.district_rcdts),
        school_rcdts: some(&f.school_rcdts),
        full_time: f.full_time.is_some(),
        originally_assigned: f.originally_assigned.is_some(),
        retired: some(&f.retired),
    };
    let r = tep::save_educator(
        &app.state,
        &app.directory,
        &app.store,
        c.actor.as_ref(),
        &facts,
        app.clock.now(),
    )
    .await
    .map(|_| "/tep#eligibility".to_string());
    after(&app, &c, r, "/tep").await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub payment_type: String,
}

/// `POST /tep/requests`: the key is the year and type, so that a form
/// sent twice books once (one request per type and year anyway).
pub async fn request(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<RequestForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/tep");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let r = match f.fiscal_year.trim().parse::<i16>() {
        Ok(fy) => tep::request_payment(
            &app.state,
            &app.directory,
            &app.store,
            c.actor.as_ref(),
            fy,
            &f.payment_type,
            &format!("page:{fy}:{}", f.payment_type.trim()),
            app.clock.now(),
        )
        .await
        .map(|_| "/tep#requests".to_string()),
        Err(_) => Err(AppError::Invalid {
            field: "fiscal_year".into(),
            message: format!("`{}` is not a fiscal year", f.fiscal_year),
        }),
    };
    after(&app, &c, r, "/tep").await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AgreementForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub kind: String,
    pub framework: String,
    pub administrator: String,
    pub goals: String,
    pub duration: String,
    pub time_per_recipient: String,
    pub recipients: String,
}

/// `POST /tep/agreements`.
pub async fn create_agreement(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<AgreementForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/tep");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    let input = AgreementInput {
        fiscal_year: f.fiscal_year.trim().parse().unwrap_or_default(),
        kind: Some(f.kind.clone()),
        framework: Some(f.framework.clone()),
        administrator: f.administrator.clone(),
        goals: f.goals.clone(),
        duration: f.duration.clone(),
        time_per_recipient: f.time_per_recipient.clone(),
        recipients: f
            .recipients
            .split(['\n', ',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    };
    let r = tep::create_agreement(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        &input,
        &app.settings.public_url,
        app.clock.now(),
    )
    .await
    .map(|a| format!("/tep/agreements/{}", a.agreement.id));
    after(&app, &c, r, "/tep").await
}

// ------------------------------------------------------------ an agreement

async fn agreement_page(app: &AppState, c: &PageCaller, id: i64, error: FieldError) -> Response {
    let path = format!("/tep/agreements/{id}");
    let v = match tep::agreement(&app.state, &app.store, c.actor.as_ref(), id).await {
        Ok(v) => v,
        Err(e) => return refusal(e, &path),
    };
    let me = c.actor.as_ref().map(|a| a.user_id).unwrap_or_default();
    let mine = |email: &str| {
        v.agreement
            .recipients
            .iter()
            .any(|r| r.recipient_id == me && r.email == email)
    };
    let a = &v.agreement;
    let is_mentor = a.mentor_id == me;
    let today = empower_app::clock::date_in(&app.state.manifest.time_zone, app.clock.now())
        .map(|d| d.to_string())
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = format!("Mentoring agreement {}", a.id);
    respond(
        status,
        page(
            &title,
            html! {
                (account_bar(c))
                p { a href="/tep#agreements" { "← Teaching Excellence Program" } }
                h1 { (title) }
                p.muted { "Fiscal year " (a.fiscal_year) " · "
                    @if a.kind == "candidate-assistance" { "NBPTS candidate assistance" } @else { "Mentoring and professional development" }
                    " · " @if a.framework == "district-program" { "the district's formal program" } @else { "written agreement" } }
                dl.facts {
                    dt { "Mentor" } dd { (a.mentor_name) " (" (a.mentor_email) ")" }
                    dt { @if a.framework == "district-program" { "District program" } @else { "For the school" } } dd { (a.administrator) }
                    dt { "Goals" } dd { span.prose { (a.goals) } }
                    dt { "Mentor's involvement" } dd { (a.duration) }
                    dt { "Time per recipient" } dd { (a.time_per_recipient) }
                    dt { "Recipients" } dd { ul { @for r in &a.recipients { li {
                        (r.name) " (" (r.email) ")"
                        @if let Some(at) = r.notified_at { " · district " (r.district_rcdts.clone().unwrap_or_default()) " notified " (day(at)) }
                    } } } }
                }
                section.status-box {
                    h2 { "The log" }
                    p { strong { (v.counted_hours) " of " (v.max_hours) " hours count" } " (" (v.hours) " recorded here; " (v.year_counted_hours) " counted over all the mentor's agreements this year; hours beyond " (v.max_hours) " in the year do not count). "
                        @if v.complete { "The log is complete and every line is signed: the payment can be released." }
                        @else { "The payment is released only for a complete log signed by every recipient." } }
                    @if !v.problems.is_empty() { ul { @for p in &v.problems { li { (p) } } } }
                }
                (field_error(&error, "form"))
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Date" } th scope="col" { "Recipient" } th scope="col" class="num" { "Hours" } th scope="col" class="num" { "Counted" } th scope="col" { "Addressed" } th scope="col" { "Students' needs" } th scope="col" { "Signed" } } }
                    tbody { @for l in &v.logs { tr {
                        td.nowrap { (l.date) }
                        td { (l.recipient_name) }
                        td.num { (l.hours) }
                        td.num { (l.counted_hours) }
                        td { ul { @for x in &l.addressed { li { (x) } } } }
                        td { span.prose { (l.needs) } }
                        td { @if let Some(at) = l.signed_at { "signed " (day(at)) } @else if mine(&l.recipient_email) {
                            form method="post" action={"/tep/logs/" (l.id) "/sign"} {
                                (csrf_field(c))
                                button type="submit" aria-label={"Sign the line of " (l.date)} { "Sign" }
                            }
                        } @else { span.muted { "not yet" } } }
                    } } }
                } }
                @if is_mentor {
                    h2 { "Add a session" }
                    form.stack.wide method="post" action={"/tep/agreements/" (a.id) "/logs"} {
                        (csrf_field(c))
                        label { "Recipient" select name="recipient_email" { @for r in &a.recipients { option value=(r.email) { (r.name) } } } }
                        (field_error(&error, "recipient_email"))
                        label { "Date" input type="date" name="date" required max=(today); }
                        (field_error(&error, "date"))
                        label { "Hours" input type="number" name="hours" min="0.25" max="24" step="0.25" required; }
                        (field_error(&error, "hours"))
                        fieldset.choices {
                            legend { @if a.kind == "candidate-assistance" { "NBPTS requirements addressed" } @else { "Standards addressed" } }
                            @for s in &v.addressable { label.choice { input type="checkbox" name="addressed" value=(s); (s) } }
                            (field_error(&error, "addressed"))
                        }
                        label { @if a.kind == "candidate-assistance" { "The activities and how they helped the candidate" } @else { "How the work related to the academic needs of the recipient's students" }
                            textarea name="needs" rows="3" required {} }
                        (field_error(&error, "needs"))
                        button type="submit" { "Add to the log" }
                    }
                }
            },
        ),
    )
}

/// `GET /tep/agreements/{id}`.
pub async fn agreement(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::not_found_page(&format!("There is no agreement {id}."));
    };
    agreement_page(&app, &c, id, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogForm {
    pub csrf: String,
    pub recipient_email: String,
    pub date: String,
    pub hours: String,
    pub addressed: Vec<String>,
    pub needs: String,
}

/// `POST /tep/agreements/{id}/logs`.
pub async fn add_log(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<LogForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "agreement", "/tep/agreements") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let r = match f.hours.trim().parse::<f64>() {
        Ok(hours) => {
            tep::add_log(
                &app.state,
                &app.store,
                c.actor.as_ref(),
                &LogInput {
                    agreement_id: id,
                    recipient_email: f.recipient_email.clone(),
                    date: f.date.clone(),
                    hours,
                    addressed: f.addressed.clone(),
                    needs: f.needs.clone(),
                },
                app.clock.now(),
            )
            .await
        }
        Err(_) => Err(AppError::Invalid {
            field: "hours".into(),
            message: format!("`{}` is not a number of hours", f.hours),
        }),
    };
    match r {
        Ok(_) => see_other(&format!("/tep/agreements/{id}")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/tep/agreements/{id}")),
        Err(e) => agreement_page(&app, &c, id, form_error(&e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `POST /tep/logs/{id}/sign`.
pub async fn sign_log(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "log line", "/tep/logs") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match tep::sign_log(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        id,
        app.clock.now(),
    )
    .await
    {
        Ok(l) => see_other(&format!("/tep/agreements/{}", l.agreement_id)),
        Err(e) => refusal(e, "/tep"),
    }
}

// ------------------------------------------------------------ employer

/// The districts the caller verifies for.
fn verifying_districts(c: &PageCaller) -> Vec<String> {
    let mut out: Vec<String> = c
        .actor
        .iter()
        .flat_map(|a| a.grants.iter())
        .filter(|g| matches!(g.role, Role::Employer | Role::DistrictLeader))
        .filter_map(|g| g.scope.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn verifications_page(app: &AppState, c: &PageCaller, error: FieldError) -> Response {
    let districts = verifying_districts(c);
    if districts.is_empty() {
        let e = if c.actor.is_none() {
            AppError::SignInRequired
        } else {
            AppError::Forbidden(
                "positions are verified by an employer or district leader of the educator's district".into(),
            )
        };
        return refusal(e, "/tep/verifications");
    }
    let mut lists = Vec::new();
    for d in &districts {
        match tep::educators_to_verify(&app.store, c.actor.as_ref(), d).await {
            Ok(l) => lists.push((d.clone(), l)),
            Err(e) => return refusal(e, "/tep/verifications"),
        }
    }
    let dir = app.directory.get(&app.store).await.ok();
    let school_name = |s: &Option<String>| -> String {
        s.as_deref()
            .and_then(|s| {
                dir.as_ref()
                    .and_then(|d| d.school(s))
                    .map(|(i, _)| i.name.clone())
            })
            .unwrap_or_else(|| s.clone().unwrap_or_default())
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            "Verify educators' positions",
            html! {
                (account_bar(c))
                h1 { "Verify educators' positions" }
                p { "Teaching Excellence Program payments (c)(1), (c)(2), (c)(3) and (d)(1) need the employer to confirm that the educator is the person originally assigned to a full-time position whose functions their license's endorsements authorize (23 Ill. Adm. Code 25.444(b)). Confirm or reject each educator's facts as given; the educator sees your answer, and a rejection needs a reason." }
                (field_error(&error, "form"))
                (field_error(&error, "reason"))
                @for (d, list) in &lists {
                    h2 { "District " (d) }
                    @if list.is_empty() { p.muted { "No educator names this district as employer yet." } } @else {
                        div.table-wrap { table {
                            thead { tr { th scope="col" { "Educator" } th scope="col" { "License and role" } th scope="col" { "School" } th scope="col" { "Full-time" } th scope="col" { "Originally assigned" } th scope="col" { "Verification" } th scope="col" { "Answer" } } }
                            tbody { @for e in list { tr {
                                td { (e.name) br; span.muted { (e.email) } }
                                td { (e.facts.license) ", " (e.facts.role) @if e.facts.nbpts != "none" { ", NBPTS " (e.facts.nbpts) } }
                                td { (school_name(&e.facts.school_rcdts)) }
                                td { (yes_no(e.facts.full_time)) }
                                td { (yes_no(e.facts.originally_assigned)) }
                                td { (e.facts.verification.clone().unwrap_or_else(|| "not given".into()))
                                    @if let Some(r) = &e.facts.verification_reason { br; span.muted { (r) } } }
                                td {
                                    form method="post" action="/tep/verifications" {
                                        (csrf_field(c))
                                        input type="hidden" name="educator_email" value=(e.email);
                                        label { "Reason (needed to reject)" input type="text" name="reason" maxlength="500"; }
                                        button type="submit" name="decision" value="confirmed" aria-label={"Confirm " (e.name)} { "Confirm" }
                                        " "
                                        button type="submit" name="decision" value="rejected" aria-label={"Reject " (e.name)} { "Reject" }
                                    }
                                }
                            } } }
                        } }
                    }
                }
            },
        ),
    )
}

/// `GET /tep/verifications`.
pub async fn verifications(State(app): State<AppState>, c: PageCaller) -> Response {
    verifications_page(&app, &c, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyForm {
    pub csrf: String,
    pub educator_email: String,
    pub decision: String,
    pub reason: String,
}

/// `POST /tep/verifications`.
pub async fn verify(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<VerifyForm>,
) -> Response {
    if c.actor.is_none() {
        return refusal(AppError::SignInRequired, "/tep/verifications");
    }
    if let Err(r) = check_csrf(&c, &f.csrf) {
        return r;
    }
    match tep::verify_educator(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        &f.educator_email,
        &f.decision,
        &f.reason,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => see_other("/tep/verifications"),
        Err(e) if leaves_page(&e) => refusal(e, "/tep/verifications"),
        Err(e) => verifications_page(&app, &c, form_error(&e)).await,
    }
}

// ------------------------------------------------------------ administrator

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub fiscal_year: Option<String>,
}

fn year_of(app: &AppState, q: &Option<String>) -> Result<i16, AppError> {
    match q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => raw.parse().map_err(|_| AppError::Invalid {
            field: "fiscal_year".into(),
            message: format!("`{raw}` is not a fiscal year"),
        }),
        None => tep::current_fiscal_year(&app.state, app.clock.now()),
    }
}

async fn admin_page(app: &AppState, c: &PageCaller, fy: i16, error: FieldError) -> Response {
    let path = format!("/tep/admin?fiscal_year={fy}");
    if let Err(e) = empower_app::policy::administer_tep(c.actor.as_ref()) {
        return refusal(e, &path);
    }
    let rules = match tep::rules(&app.state, fy) {
        Ok(r) => r,
        Err(e) => return refusal(e, &path),
    };
    let ledger = match tep::ledger(&app.store, c.actor.as_ref(), fy).await {
        Ok(l) => Some(l),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return refusal(e, &path),
    };
    let payees = tep::payments(&app.state, &app.store, c.actor.as_ref(), fy, false)
        .await
        .unwrap_or_default();
    let announcement = tep::announcement(&app.store, fy).await.ok().flatten();
    let per_type = ledger
        .as_ref()
        .map(|l| tep::type_totals(&rules, l))
        .unwrap_or_default();
    let deadline = rules
        .announcement_deadline()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let window = rules
        .window()
        .map(|(o, c)| format!("{o} to {c}"))
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let label_of = |slug: &str| {
        rules
            .payment_type(slug)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| slug.to_string())
    };
    let payee_of = |id: i64| {
        payees
            .iter()
            .find(|p| p.request_id == id)
            .map(|p| p.payee.clone())
    };
    let title = format!("Teaching Excellence Program, fiscal year {fy}");
    respond(
        status,
        page(
            &title,
            html! {
                (account_bar(c))
                h1 { (title) }
                p.muted { "Requests are taken " (window) "; the (g) training announcement is due by " (deadline) ". Rules version " (rules.version) @if rules.draft { " (draft amounts and caps)" } "." }
                form.search method="get" action="/tep/admin" {
                    label { "Fiscal year" input type="number" name="fiscal_year" value=(fy) min="2000" max="2200"; }
                    button type="submit" { "Show" }
                }
                (field_error(&error, "form"))
                (field_error(&error, "request_id"))
                h2 { "Appropriation" }
                @if let Some(l) = &ledger {
                    dl.facts {
                        dt { "Appropriation" } dd { (dollars(l.appropriation_cents)) }
                        dt { "Committed (reserved and funded)" } dd { (dollars(l.committed_cents)) }
                        dt { "Paid" } dd { (dollars(l.paid_cents)) }
                        dt { "Remaining" } dd { strong { (dollars(l.remaining_cents)) } }
                    }
                } @else {
                    p { "Fiscal year " (fy) " is not open: enter its appropriation to take requests." }
                }
                form.stack method="post" action="/tep/admin/fiscal-years" {
                    (csrf_field(c))
                    input type="hidden" name="fiscal_year" value=(fy);
                    label { "Appropriation (dollars)" input type="text" name="appropriation" inputmode="decimal" required value=(ledger.as_ref().map(|l| dollars(l.appropriation_cents)).unwrap_or_default()); }
                    (field_error(&error, "appropriation_cents"))
                    button type="submit" { @if ledger.is_some() { "Change the appropriation" } @else { "Open the fiscal year" } }
                }
                @if let Some(l) = &ledger {
                    form method="post" action="/tep/admin/walk" {
                        (csrf_field(c))
                        input type="hidden" name="fiscal_year" value=(fy);
                        button type="submit" { "Walk the line again" }
                        span.muted { " Lapses reservations unverified after " (rules.reservation_lapse_days) " days and funds the waitlist in order; after the window closes, decides the (d) and then (g) money." }
                    }
                    h2 { "By payment type" }
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "Payment" } th scope="col" class="num" { "Cap" } th scope="col" class="num" { "Requests" } th scope="col" class="num" { "Reserved" } th scope="col" class="num" { "Funded" } th scope="col" class="num" { "Paid" } th scope="col" class="num" { "Waitlisted" } th scope="col" class="num" { "Denied" } } }
                        tbody { @for t in &per_type { tr {
                            td { (t.label) }
                            td.num { @if let Some(n) = t.cap_count { (n) " payments" } @if let Some(d) = t.cap_cents { " " (dollars(d)) } }
                            td.num { (t.requests) }
                            td.num { (dollars(t.reserved_cents)) }
                            td.num { (dollars(t.funded_cents)) }
                            td.num { (dollars(t.paid_cents)) }
                            td.num { (t.waitlisted) }
                            td.num { (t.denied) }
                        } } }
                    } }
                    h2 { "Waitlist" }
                    @let waiting: Vec<_> = l.entries.iter().filter(|e| e.status == "waitlisted").collect();
                    @if waiting.is_empty() { p.muted { "Nobody is waiting." } } @else {
                        p { (waiting.len()) " request" @if waiting.len() != 1 { "s" } " waiting, in line order:" }
                        ol { @for e in waiting.iter().take(50) { li { "No. " (e.sequence) ", " (label_of(&e.payment_type)) ", " (dollars(e.amount_cents)) ": " (e.reason) } } }
                    }
                    h2 { "The line" }
                    p { a href={"/tep/ledger.csv?fiscal_year=" (fy)} { "Download the ledger (CSV)" } " · " a href={"/tep/payments.csv?fiscal_year=" (fy)} { "Payments released, for the Comptroller (CSV)" } }
                    div.table-wrap { table {
                        thead { tr { th scope="col" class="num" { "No." } th scope="col" { "Payee" } th scope="col" { "Payment" } th scope="col" class="num" { "Amount" } th scope="col" { "Status" } th scope="col" { "Reason" } th scope="col" { "" } } }
                        tbody { @for e in &l.entries { tr {
                            td.num { (e.sequence) }
                            td { (payee_of(e.request_id).unwrap_or_default()) }
                            td { (e.payment_type) }
                            td.num { (dollars(e.amount_cents)) }
                            td { (e.status) }
                            td { (e.reason) }
                            td { @if e.status == "funded" {
                                form method="post" action={"/tep/admin/requests/" (e.request_id) "/pay"} {
                                    (csrf_field(c))
                                    button type="submit" aria-label={"Release payment no. " (e.sequence)} { "Release" }
                                }
                            } }
                        } } }
                    } }
                }
                h2 { "Instructional leadership training announcement" }
                @if let Some(a) = &announcement { (announcement_box(a)) } @else {
                    p { "Publish by " (deadline) " the amount, the purposes, the stipend per participant, the limits on who may take part and how to apply (21B-70(g)). It cannot be published after that date." }
                    form.stack.wide method="post" action="/tep/admin/announcement" {
                        (csrf_field(c))
                        input type="hidden" name="fiscal_year" value=(fy);
                        label { "Amount (dollars)" input type="text" name="amount" inputmode="decimal" required; }
                        (field_error(&error, "amount_cents"))
                        label { "Stipend per participant (dollars)" input type="text" name="stipend" inputmode="decimal" required; }
                        (field_error(&error, "stipend_cents"))
                        label { "Purposes" textarea name="purposes" rows="3" required {} }
                        (field_error(&error, "purposes"))
                        label { "Who may take part" textarea name="who_may_take_part" rows="3" required {} }
                        (field_error(&error, "who_may_take_part"))
                        label { "How to apply" textarea name="how_to_apply" rows="3" required {} }
                        (field_error(&error, "how_to_apply"))
                        button type="submit" { "Publish the announcement" }
                    }
                }
            },
        ),
    )
}

/// `GET /tep/admin?fiscal_year=`.
pub async fn admin(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<YearQuery>,
) -> Response {
    match year_of(&app, &q.fiscal_year) {
        Ok(fy) => admin_page(&app, &c, fy, None).await,
        Err(e) => refusal(e, "/tep/admin"),
    }
}

async fn admin_after(app: &AppState, c: &PageCaller, fy: i16, r: Result<(), AppError>) -> Response {
    match r {
        Ok(()) => see_other(&format!("/tep/admin?fiscal_year={fy}")),
        Err(e) if leaves_page(&e) => refusal(e, &format!("/tep/admin?fiscal_year={fy}")),
        Err(e) => admin_page(app, c, fy, form_error(&e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdminForm {
    pub csrf: String,
    pub fiscal_year: String,
    pub appropriation: String,
    pub amount: String,
    pub stipend: String,
    pub purposes: String,
    pub who_may_take_part: String,
    pub how_to_apply: String,
}

fn cents(field: &str, raw: &str) -> Result<i64, AppError> {
    parse_cents(raw).ok_or_else(|| AppError::Invalid {
        field: field.into(),
        message: format!("`{}` is not an amount in dollars", raw.trim()),
    })
}

/// `POST /tep/admin/fiscal-years`.
pub async fn open_fiscal_year(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<AdminForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/tep/admin") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = match cents("appropriation_cents", &f.appropriation) {
        Ok(cents) => tep::open_fiscal_year(
            &app.state,
            &app.store,
            c.actor.as_ref(),
            fy,
            cents,
            app.clock.now(),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    admin_after(&app, &c, fy, r).await
}

/// `POST /tep/admin/walk`.
pub async fn walk(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<AdminForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/tep/admin") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = tep::walk_line(
        &app.state,
        &app.store,
        c.actor.as_ref(),
        fy,
        app.clock.now(),
    )
    .await
    .map(|_| ());
    admin_after(&app, &c, fy, r).await
}

/// `POST /tep/admin/announcement`.
pub async fn announce(
    State(app): State<AppState>,
    c: PageCaller,
    Form(f): Form<AdminForm>,
) -> Response {
    let fy = match fiscal_year_form_start(&c, &f.csrf, &f.fiscal_year, "/tep/admin") {
        Ok(fy) => fy,
        Err(r) => return r,
    };
    let r = async {
        let input = AnnouncementInput {
            fiscal_year: fy,
            amount_cents: cents("amount_cents", &f.amount)?,
            stipend_cents: cents("stipend_cents", &f.stipend)?,
            purposes: f.purposes.clone(),
            who_may_take_part: f.who_may_take_part.clone(),
            how_to_apply: f.how_to_apply.clone(),
        };
        tep::announce(
            &app.state,
            &app.store,
            c.actor.as_ref(),
            &input,
            app.clock.now(),
        )
        .await
        .map(|_| ())
    }
    .await;
    admin_after(&app, &c, fy, r).await
}

/// `POST /tep/admin/requests/{id}/pay`.
pub async fn pay(
    State(app): State<AppState>,
    c: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let id = match form_start(&c, &f.csrf, &id, "request", "/tep/admin/requests") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let fy = app
        .store
        .tep_request(id)
        .await
        .ok()
        .flatten()
        .map(|r| r.fiscal_year as i16)
        .unwrap_or_default();
    let r = tep::pay(&app.store, c.actor.as_ref(), id, app.clock.now())
        .await
        .map(|_| ());
    if fy == 0 {
        return match r {
            Ok(()) => see_other("/tep/admin"),
            Err(e) => refusal(e, "/tep/admin"),
        };
    }
    admin_after(&app, &c, fy, r).await
}

/// `GET /tep/ledger.csv?fiscal_year=`: every entry in line order.
pub async fn ledger_csv(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<YearQuery>,
) -> Response {
    let fy = match year_of(&app, &q.fiscal_year) {
        Ok(fy) => fy,
        Err(e) => return refusal(e, "/tep/admin"),
    };
    let path = format!("/tep/ledger.csv?fiscal_year={fy}");
    let l = match tep::ledger(&app.store, c.actor.as_ref(), fy).await {
        Ok(l) => l,
        Err(e) => return refusal(e, &path),
    };
    let all_payees = app
        .store
        .tep_payees(i64::from(fy))
        .await
        .unwrap_or_default();
    let rows = l
        .entries
        .iter()
        .map(|e| {
            let (name, email) = all_payees
                .iter()
                .find(|p| p.0 == e.request_id)
                .map(|p| (p.1.clone(), p.2.clone()))
                .unwrap_or_default();
            vec![
                e.sequence.to_string(),
                e.request_id.to_string(),
                name,
                email,
                e.payment_type.clone(),
                e.amount_cents.to_string(),
                e.status.clone(),
                e.reason.clone(),
            ]
        })
        .collect();
    crate::download::csv_download(
        &format!("tep-ledger-fy{fy}.csv"),
        &[
            "sequence",
            "request_id",
            "payee",
            "payee_email",
            "payment_type",
            "amount_cents",
            "status",
            "reason",
        ],
        rows,
    )
}

/// `GET /tep/payments.csv?fiscal_year=`: the payments released, for the
/// Comptroller (payee, amount, type).
pub async fn payments_csv(
    State(app): State<AppState>,
    c: PageCaller,
    Query(q): Query<YearQuery>,
) -> Response {
    let fy = match year_of(&app, &q.fiscal_year) {
        Ok(fy) => fy,
        Err(e) => return refusal(e, "/tep/admin"),
    };
    let path = format!("/tep/payments.csv?fiscal_year={fy}");
    let list = match tep::payments(&app.state, &app.store, c.actor.as_ref(), fy, true).await {
        Ok(l) => l,
        Err(e) => return refusal(e, &path),
    };
    let rows = list
        .into_iter()
        .map(|p| {
            vec![
                p.payee,
                p.payee_email,
                format!("{}.{:02}", p.amount_cents / 100, p.amount_cents % 100),
                p.payment_type,
                p.statute_section,
                p.request_id.to_string(),
                p.sequence.to_string(),
                p.status,
            ]
        })
        .collect();
    crate::download::csv_download(
        &format!("tep-payments-fy{fy}.csv"),
        &[
            "payee",
            "payee_email",
            "amount",
            "payment_type",
            "statute_section",
            "request_id",
            "sequence",
            "status",
        ],
        rows,
    )
}
