//! The IL-EMPOWER improvement cycle on the platform (improvement.md): a
//! school's support status with its allocation and coordinator, help-line
//! requests, the needs assessment, the work plan with its budget, the
//! approval chain with versions and their differences, and the dashboard.
//! Each use case asks `policy` first and writes its audit record in the
//! transaction of the change; dates are the state's calendar dates.

pub mod printable;

use crate::accounts::{audit, Actor, By, Role};
use crate::public::{current_status, DirectoryCache};
use crate::{clock, policy, AppError};
use empower_improvement::{
    self as engine, assessment, cycle, plan as planning, Assessment, CycleRules, Date, Decision,
    Framework, Level, PlanContent, PlanStatus, Problem, Timeliness,
};
use empower_states::{Improvement, State};
use empower_store::{
    snapshot, AssessmentRow, EvidenceFile, FilesOf, HelpRequestRow, NewPlanEvent, PlanRow,
    SchoolListItem, Snapshot, Store,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The first problem as the refusal to show (its field and message), the
/// others listed after it.
fn refusal(problems: Vec<Problem>) -> Result<(), AppError> {
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let mut message = first.message.clone();
    if problems.len() > 1 {
        let rest: Vec<String> = problems[1..]
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        message.push_str(&format!("; also {}", rest.join("; ")));
    }
    Err(invalid(&first.field, message))
}

/// The state's program, or a refusal naming the state that has none.
pub fn program(state: &State) -> Result<&Improvement, AppError> {
    state.improvement.as_ref().ok_or_else(|| {
        AppError::NotFound(format!(
            "{} does not run the improvement cycle (no [improvement] in its state.toml)",
            state.manifest.name
        ))
    })
}

fn read<T: for<'de> Deserialize<'de> + Default>(s: &Snapshot) -> T {
    T::deserialize(s.clone()).unwrap_or_default()
}

/// A school in the directory, with its current support status.
async fn school(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<(SchoolListItem, Option<crate::public::SupportStatus>), AppError> {
    let id = state
        .catalogue
        .school_id
        .parse(rcdts)
        .map_err(|e| AppError::NotFound(e.to_string()))?
        .to_string();
    let dir = cache.get(store).await?;
    let (item, statuses) = dir
        .school(&id)
        .ok_or_else(|| AppError::NotFound(format!("there is no school {id}")))?;
    let status = current_status(&item.designations, statuses);
    Ok((item.clone(), status))
}

/// The partners with an accepted engagement with the school.
async fn engaged_partners(store: &Store, school: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for e in store.engagements(Some(school), None).await? {
        if e.status == "accepted" {
            if let Some(a) = store.application(e.partner_application_id).await? {
                out.push(a.school_rcdts);
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- support status

/// A school's coordinator as the status shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coordinator {
    pub name: String,
    pub email: String,
}

/// `GET /api/v1/schools/{rcdts}/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    pub status: Option<String>,
    pub cohort_year: Option<u16>,
    pub term: Option<String>,
    pub reasons: Vec<String>,
    pub allocation_cents: Option<i64>,
    pub coordinator: Option<Coordinator>,
}

/// A school's support status with what the program adds (public).
pub async fn status(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<StatusView, AppError> {
    let (item, status) = school(state, cache, store, rcdts).await?;
    let support = store.support(&item.rcdts).await?.unwrap_or_default();
    Ok(StatusView {
        cohort_year: status.as_ref().and_then(|s| s.cohort_year),
        term: status.as_ref().and_then(|s| s.term.clone()),
        reasons: status
            .as_ref()
            .map(|s| s.reasons.clone())
            .unwrap_or_default(),
        status: status.map(|s| s.status),
        allocation_cents: support.allocation_cents,
        coordinator: match (support.coordinator_name, support.coordinator_email) {
            (Some(name), Some(email)) => Some(Coordinator { name, email }),
            _ => None,
        },
    })
}

/// Assigns a school support manager (a state coordinator, by e-mail) to a
/// Comprehensive or Intensive school (state administrators).
pub async fn assign_coordinator(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    email: &str,
    now: i64,
) -> Result<StatusView, AppError> {
    let rules = &program(state)?.cycle;
    policy::assign_coordinators(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let (item, status) = school(state, cache, store, rcdts).await?;
    let status_name = status.as_ref().map(|s| s.status.as_str());
    if !status_name.is_some_and(|s| rules.coordinator_assigned(s)) {
        return Err(AppError::Refused(format!(
            "school support managers are assigned to {} schools; {} is {}",
            rules.statuses.coordinator_assigned.join(" and "),
            item.name,
            status_name.map_or("not in support".to_string(), |s| format!("in {s} status"))
        )));
    }
    let user = store
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| {
            invalid(
                "coordinator",
                format!("there is no account {}", email.trim()),
            )
        })?;
    let roles = store.roles_of(user.id).await?;
    if !roles
        .iter()
        .any(|r| r.role == Role::StateCoordinator.as_str())
    {
        return Err(invalid(
            "coordinator",
            format!("{} is not a state coordinator", user.email),
        ));
    }
    let before = store.support(&item.rcdts).await?;
    let mut tx = store.write().await?;
    tx.set_coordinator(&item.rcdts, Some(user.id), now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "school.coordinator",
        "school",
        &item.rcdts,
        before
            .and_then(|b| b.coordinator_email)
            .map(|e| snapshot(&e)),
        Some(snapshot(&user.email)),
        now,
    )
    .await?;
    tx.commit().await?;
    self::status(state, cache, store, &item.rcdts).await
}

/// Enters a school's 1003(a) allocation in cents (the state).
pub async fn set_allocation(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    cents: i64,
    now: i64,
) -> Result<StatusView, AppError> {
    program(state)?;
    policy::set_allocation(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let (item, _) = school(state, cache, store, rcdts).await?;
    if cents < 0 {
        return Err(invalid(
            "allocation_cents",
            "an allocation is 0 cents or more",
        ));
    }
    let before = store.support(&item.rcdts).await?;
    let mut tx = store.write().await?;
    tx.set_allocation(&item.rcdts, Some(cents), now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "school.allocation",
        "school",
        &item.rcdts,
        before
            .and_then(|b| b.allocation_cents)
            .map(|c| snapshot(&c)),
        Some(snapshot(&cents)),
        now,
    )
    .await?;
    tx.commit().await?;
    self::status(state, cache, store, &item.rcdts).await
}

// ---------------------------------------------------------------- help line

/// Opens a help-line request for a school whose status uses the help line
/// (its school leaders).
#[allow(clippy::too_many_arguments)]
pub async fn open_help_request(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<HelpRequestRow, AppError> {
    let rules = &program(state)?.cycle;
    let (item, status) = school(state, cache, store, rcdts).await?;
    policy::lead_improvement(actor, &item.rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let status_name = status.as_ref().map(|s| s.status.as_str());
    if !status_name.is_some_and(|s| rules.help_line(s)) {
        return Err(AppError::Refused(format!(
            "the help line is for {} schools; {} is {} and works with its school support manager",
            rules.help_line.statuses.join(" and "),
            item.name,
            status_name.map_or("not in support".to_string(), |s| format!("in {s} status"))
        )));
    }
    let (subject, body) = (subject.trim(), body.trim());
    if subject.is_empty() || subject.chars().count() > 200 {
        return Err(invalid("subject", "give a subject of 1 to 200 characters"));
    }
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(invalid(
            "body",
            "describe what the school needs (at most 10,000 characters)",
        ));
    }
    let mut tx = store.write().await?;
    let id = tx
        .insert_help_request(&item.rcdts, subject, body, actor.user_id, now)
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "help-request.create",
        "help-request",
        id,
        None,
        Some(snapshot(&subject)),
        now,
    )
    .await?;
    tx.commit().await?;
    help_request(store, id).await
}

async fn help_request(store: &Store, id: i64) -> Result<HelpRequestRow, AppError> {
    store
        .help_request(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no help request {id}")))
}

/// Replies to a help request (the state, or the person who asked); the
/// state's reply marks it answered and assigns it to the replier unless
/// it has an assignee; `close` closes it.
pub async fn reply_to_help_request(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    body: &str,
    close: bool,
    now: i64,
) -> Result<HelpRequestRow, AppError> {
    let request = help_request(store, id).await?;
    policy::reply_to_help(actor, request.created_by)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(invalid(
            "body",
            "write the reply (at most 10,000 characters)",
        ));
    }
    let by_state = policy::set_allocation(Some(actor)).is_ok();
    let status = if close {
        "closed"
    } else if by_state {
        "answered"
    } else {
        "open"
    };
    let assignee = (by_state && request.assignee_id.is_none()).then_some(actor.user_id);
    let mut tx = store.write().await?;
    tx.insert_help_reply(id, body, status, assignee, actor.user_id, now)
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "help-request.reply",
        "help-request",
        id,
        Some(snapshot(&request.status)),
        Some(snapshot(&status)),
        now,
    )
    .await?;
    tx.commit().await?;
    help_request(store, id).await
}

/// A help request with its school's name and its replies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HelpItem {
    pub request: HelpRequestRow,
    pub school_name: String,
    pub replies: Vec<empower_store::HelpReplyRow>,
    /// May reply (the state, or the person who asked).
    pub may_reply: bool,
}

/// The help requests `actor` may see, newest first: every one for the
/// state; their schools' and district's otherwise.
pub async fn help_requests_for(
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<HelpItem>, AppError> {
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let dir = cache.get(store).await?;
    let mut out = Vec::new();
    for r in store.help_requests(None).await? {
        let (name, district) = dir
            .school(&r.school_rcdts)
            .map(|(s, _)| (s.name.clone(), s.district.clone()))
            .unwrap_or_else(|| (r.school_rcdts.clone(), String::new()));
        let asked = Some(actor.user_id) == r.created_by;
        if !asked && policy::see_improvement(Some(actor), &r.school_rcdts, &district, &[]).is_err()
        {
            continue;
        }
        out.push(HelpItem {
            replies: store.help_replies(r.id).await?,
            may_reply: policy::reply_to_help(Some(actor), r.created_by).is_ok(),
            school_name: name,
            request: r,
        });
    }
    Ok(out)
}

/// One help request, for those who may see it.
pub async fn help_item(
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<HelpItem, AppError> {
    let r = help_request(store, id).await?;
    let signed = actor.ok_or(AppError::SignInRequired)?;
    let dir = cache.get(store).await?;
    let (name, district) = dir
        .school(&r.school_rcdts)
        .map(|(s, _)| (s.name.clone(), s.district.clone()))
        .unwrap_or_else(|| (r.school_rcdts.clone(), String::new()));
    if Some(signed.user_id) != r.created_by {
        policy::see_improvement(actor, &r.school_rcdts, &district, &[])?;
    }
    Ok(HelpItem {
        replies: store.help_replies(r.id).await?,
        may_reply: policy::reply_to_help(actor, r.created_by).is_ok(),
        school_name: name,
        request: r,
    })
}

/// The schools whose help line `actor` may use (their school-leader
/// schools in a help-line status).
pub async fn help_line_schools(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<(String, String)>, AppError> {
    let rules = &program(state)?.cycle;
    let Some(actor) = actor else {
        return Ok(Vec::new());
    };
    let dir = cache.get(store).await?;
    Ok(actor
        .grants
        .iter()
        .filter(|g| g.role == Role::SchoolLeader)
        .filter_map(|g| g.scope.as_deref())
        .filter_map(|s| dir.school(s))
        .filter(|(item, statuses)| {
            current_status(&item.designations, statuses)
                .is_some_and(|st| rules.help_line(&st.status))
        })
        .map(|(item, _)| (item.rcdts.clone(), item.name.clone()))
        .collect())
}

// ---------------------------------------------------------------- needs assessment

fn today(state: &State, now: i64) -> Result<Date, AppError> {
    clock::date_in(&state.manifest.time_zone, now)
}

async fn assessment_row(store: &Store, id: i64) -> Result<AssessmentRow, AppError> {
    store
        .assessment(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no needs assessment {id}")))
}

/// Starts the school's needs assessment for the current school year (its
/// school leaders; a school in the cycle).
pub async fn create_assessment(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    now: i64,
) -> Result<AssessmentRow, AppError> {
    let rules = &program(state)?.cycle;
    let (item, _) = school(state, cache, store, rcdts).await?;
    policy::lead_improvement(actor, &item.rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let year = i64::from(rules.school_year_of(today(state, now)?));
    let mut tx = store.write().await?;
    let id = tx
        .insert_assessment(
            &item.rcdts,
            year,
            &Assessment::default(),
            actor.user_id,
            now,
        )
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "{} has a needs assessment for {} already",
                item.name,
                engine::school_year_label(year as i16)
            ))
        })?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "needs-assessment.create",
        "needs-assessment",
        id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    assessment_row(store, id).await
}

/// Saves ratings (and the chosen priority areas) of a draft assessment:
/// its school leaders and engaged partners.
#[allow(clippy::too_many_arguments)]
pub async fn save_ratings(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    changes: &Assessment,
    now: i64,
) -> Result<AssessmentRow, AppError> {
    let framework = &program(state)?.framework;
    let (row, actor) = draft_assessment(
        store,
        actor,
        id,
        "the needs assessment is submitted and can no longer be changed",
    )
    .await?;
    refusal(assessment::check_ratings(framework, &changes.ratings))?;
    let before: Assessment = read(&row.content);
    if changes.ratings.values().any(|r| !r.data.is_empty()) {
        let facts = school_facts(state, cache, store, &row.school_rcdts).await?;
        for (code, r) in &changes.ratings {
            // A fact chosen before stays valid after the profile changes.
            let kept = |d: &String| before.ratings.get(code).is_some_and(|b| b.data.contains(d));
            if let Some(fact) = r.data.iter().find(|d| !facts.contains(d) && !kept(d)) {
                return Err(invalid(
                    &format!("ratings.{code}.data"),
                    format!("`{fact}` is not a fact of the school's profile: choose from the profile's data"),
                ));
            }
        }
    }
    let mut content = before;
    for (code, rating) in &changes.ratings {
        content.ratings.insert(code.clone(), rating.clone());
    }
    if !changes.priority_areas.is_empty() {
        content.priority_areas = changes.priority_areas.clone();
    }
    let mut tx = store.write().await?;
    if !tx.update_assessment(id, &content, now).await? {
        return Err(AppError::Conflict(
            "the needs assessment was submitted meanwhile".into(),
        ));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "needs-assessment.rate",
        "needs-assessment",
        id,
        Some(row.content.clone()),
        Some(snapshot(&content)),
        now,
    )
    .await?;
    tx.commit().await?;
    assessment_row(store, id).await
}

/// A draft needs assessment for one who may contribute to it (the
/// school's leaders, an engaged partner's contacts); `submitted` is the
/// refusal once it is submitted.
async fn draft_assessment<'a>(
    store: &Store,
    actor: Option<&'a Actor>,
    id: i64,
    submitted: &str,
) -> Result<(AssessmentRow, &'a Actor), AppError> {
    let row = assessment_row(store, id).await?;
    let engaged = engaged_partners(store, &row.school_rcdts).await?;
    policy::contribute_to_improvement(actor, &row.school_rcdts, &engaged)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if row.status != "draft" {
        return Err(AppError::Conflict(submitted.into()));
    }
    Ok((row, actor))
}

/// Attaches a file to a draft needs assessment as evidence for one
/// indicator (its school leaders, an engaged partner's contacts), within
/// the platform's limits; the type is checked from the bytes.
#[allow(clippy::too_many_arguments)]
pub async fn add_assessment_file(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    indicator: &str,
    file_name: &str,
    bytes: &[u8],
    now: i64,
) -> Result<EvidenceFile, AppError> {
    let framework = &program(state)?.framework;
    let (_, actor) = draft_assessment(
        store,
        actor,
        id,
        "the needs assessment is submitted; files are added to a draft only",
    )
    .await?;
    if framework.indicator(indicator).is_none() {
        return Err(invalid(
            "indicator",
            format!("choose the indicator the file is evidence for (`{indicator}` is none)"),
        ));
    }
    let to = crate::uploads::Attach {
        indicator: Some(indicator),
        ..assessment_files(id)
    };
    crate::uploads::attach(store, actor, to, file_name, bytes, now).await
}

fn assessment_files(id: i64) -> crate::uploads::Attach<'static> {
    crate::uploads::Attach {
        of: FilesOf::Assessment(id),
        indicator: None,
        max_files: crate::uploads::MAX_ASSESSMENT_FILES,
        record: "a needs assessment",
        entity: "needs-assessment",
    }
}

/// Removes a file from a draft needs assessment (those who may add one).
pub async fn remove_assessment_file(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    file_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let (_, actor) = draft_assessment(
        store,
        actor,
        id,
        "the needs assessment is submitted; its files stay",
    )
    .await?;
    crate::uploads::detach(store, actor, assessment_files(id), file_id, now).await
}

/// A needs assessment's file and its bytes, for those who may see the
/// school's improvement records.
pub async fn assessment_file(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    file_id: i64,
) -> Result<(EvidenceFile, Vec<u8>), AppError> {
    let row = assessment_row(store, id).await?;
    let district = store
        .school_place(&row.school_rcdts)
        .await?
        .map(|p| p.1)
        .unwrap_or_default();
    let engaged = engaged_partners(store, &row.school_rcdts).await?;
    policy::see_improvement(actor, &row.school_rcdts, &district, &engaged)?;
    store
        .evidence_file(FilesOf::Assessment(id), file_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("needs assessment {id} has no file {file_id}")))
}

/// The priority areas a school may choose, code and label: the partner
/// program's (they feed its recommendations), or where a state runs no
/// partner program, the quality framework's standards.
pub fn priority_areas(state: &State) -> Vec<(String, String)> {
    match (&state.partners, &state.improvement) {
        (Some(p), _) => p
            .rules
            .priority_area
            .iter()
            .map(|a| (a.code.clone(), a.label.clone()))
            .collect(),
        (None, Some(i)) => i
            .framework
            .standard
            .iter()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect(),
        (None, None) => Vec::new(),
    }
}

fn priority_area_codes(state: &State) -> Vec<String> {
    priority_areas(state)
        .into_iter()
        .map(|(code, _)| code)
        .collect()
}

/// Submits the assessment (its school leaders): every indicator rated
/// with evidence, priority areas chosen. Late submissions are taken and
/// flagged.
pub async fn submit_assessment(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<AssessmentRow, AppError> {
    let framework = &program(state)?.framework;
    let row = assessment_row(store, id).await?;
    policy::lead_improvement(actor, &row.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if row.status != "draft" {
        return Err(AppError::Conflict(
            "the needs assessment is submitted already".into(),
        ));
    }
    let content: Assessment = read(&row.content);
    refusal(assessment::check_submission(
        framework,
        &content,
        &priority_area_codes(state),
    ))?;
    let on = today(state, now)?.to_string();
    let mut tx = store.write().await?;
    if !tx.submit_assessment(id, now, &on).await? {
        return Err(AppError::Conflict(
            "the needs assessment was submitted meanwhile".into(),
        ));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "needs-assessment.submit",
        "needs-assessment",
        id,
        None,
        Some(snapshot(&on)),
        now,
    )
    .await?;
    tx.commit().await?;
    assessment_row(store, id).await
}

/// The priority area a school chose in its latest submitted assessment
/// (for the partner recommendations).
pub async fn chosen_priority_area(store: &Store, rcdts: &str) -> Result<Option<String>, AppError> {
    Ok(store
        .assessments(Some(rcdts))
        .await?
        .into_iter()
        .find(|a| a.status == "submitted")
        .and_then(|a| {
            read::<Assessment>(&a.content)
                .priority_areas
                .first()
                .cloned()
        }))
}

// ---------------------------------------------------------------- work plan

async fn plan_row(store: &Store, id: i64) -> Result<PlanRow, AppError> {
    store
        .plan(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no work plan {id}")))
}

/// Starts the school's work plan for the current school year (its school
/// leaders); it can be started at any time.
pub async fn create_plan(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    now: i64,
) -> Result<PlanRow, AppError> {
    let rules = &program(state)?.cycle;
    let (item, _) = school(state, cache, store, rcdts).await?;
    policy::lead_improvement(actor, &item.rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let year = i64::from(rules.school_year_of(today(state, now)?));
    let mut tx = store.write().await?;
    let id = tx
        .insert_plan(
            &item.rcdts,
            year,
            &PlanContent::default(),
            actor.user_id,
            now,
        )
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "{} has a work plan for {} already",
                item.name,
                engine::school_year_label(year as i16)
            ))
        })?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "work-plan.create",
        "work-plan",
        id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    plan_row(store, id).await
}

/// Replaces the plan's content while it is draft or returned (its school
/// leaders and engaged partners); the budget's lines are checked as they
/// are saved. An approved plan is locked: amend it.
pub async fn update_plan(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    content: &PlanContent,
    now: i64,
) -> Result<PlanRow, AppError> {
    let rules = &program(state)?.cycle;
    let row = plan_row(store, id).await?;
    let engaged = engaged_partners(store, &row.school_rcdts).await?;
    policy::contribute_to_improvement(actor, &row.school_rcdts, &engaged)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let status = PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft);
    if !status.editable() {
        return Err(AppError::Conflict(match status {
            PlanStatus::Approved => {
                "the plan is approved and locked; start an amendment to change it".into()
            }
            other => format!(
                "the plan is {} and under review; it can be changed once returned",
                other.as_str()
            ),
        }));
    }
    // Lines in unknown categories or for missing strategies are refused
    // as they are saved; the total against the allocation is checked on
    // submission, when the allocation must be known.
    let problems: Vec<Problem> = planning::check_budget(rules, content, None)
        .into_iter()
        .filter(|p| p.field != "budget")
        .collect();
    refusal(problems)?;
    let mut tx = store.write().await?;
    if !tx.update_plan(id, content, now).await? {
        return Err(AppError::Conflict(
            "the plan was submitted meanwhile".into(),
        ));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "work-plan.update",
        "work-plan",
        id,
        Some(row.content.clone()),
        Some(snapshot(content)),
        now,
    )
    .await?;
    tx.commit().await?;
    plan_row(store, id).await
}

/// Sections 1 and 2 of a school's plan, drawn from its data and its
/// needs assessment.
pub async fn prefilled_sections(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
    school_year: i64,
) -> Result<BTreeMap<String, String>, AppError> {
    let imp = program(state)?;
    let profile = crate::public::school(state, cache, store, rcdts)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no school {rcdts}")))?;
    let mut one = Vec::new();
    if let Some(s) = &profile.status {
        one.push(format!(
            "Support status: {} (cohort {}){}",
            s.status,
            s.cohort_year.map_or("?".into(), |y| y.to_string()),
            if s.reasons.is_empty() {
                String::new()
            } else {
                format!(
                    "; reasons: {}",
                    s.reasons
                        .iter()
                        .map(|r| empower_accountability::reason_words(r))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        ));
    }
    one.extend(profile_facts(&profile));
    let two = match store
        .assessments(Some(rcdts))
        .await?
        .into_iter()
        .find(|a| a.school_year == school_year)
    {
        Some(a) => {
            let content: Assessment = read(&a.content);
            assessment::findings_text(&assessment::findings(&imp.framework, &content))
        }
        None => String::new(),
    };
    Ok(BTreeMap::from([
        ("1".to_string(), one.join("\n")),
        ("2".to_string(), two),
    ]))
}

/// The facts of the school's published profile a needs assessment may
/// cite as evidence and section 1 of the work plan lists: each
/// indicator's value and score, each reportable group's index, each
/// opportunity gap (the profile already leaves out groups under the
/// minimum n).
pub fn profile_facts(profile: &crate::public::SchoolProfile) -> Vec<String> {
    let mut out = Vec::new();
    for i in &profile.indicators {
        out.push(format!(
            "{} ({}): value {}, score {}",
            i.label,
            i.year,
            i.value.map_or("not reported".into(), |v| format!("{v:.1}")),
            i.score.map_or("none".into(), |v| format!("{v:.1}"))
        ));
    }
    for g in &profile.groups {
        if let Some(index) = g.index {
            out.push(format!("Group {}: index {index:.1}", g.group));
        }
    }
    for g in &profile.gaps {
        out.push(format!(
            "Opportunity gap {} {} grade {}: {:+.1} points against comparable schools",
            g.year, g.subject, g.grade, g.gap
        ));
    }
    out
}

/// The profile facts of a school (empty when it has no profile).
async fn school_facts(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<Vec<String>, AppError> {
    Ok(crate::public::school(state, cache, store, rcdts)
        .await?
        .map(|p| profile_facts(&p))
        .unwrap_or_default())
}

/// The indicators a goal may be tied to, with their labels: those of the
/// state's accountability rules, every year and band (the latest label).
pub fn goal_indicator_labels(state: &State) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for b in state.rules.iter().flat_map(|r| r.rules.bands.values()) {
        for (code, rule) in &b.indicators {
            out.insert(code.clone(), rule.label.clone());
        }
    }
    out.into_iter().collect()
}

/// The codes of [`goal_indicator_labels`].
pub fn goal_indicators(state: &State) -> Vec<String> {
    goal_indicator_labels(state)
        .into_iter()
        .map(|(code, _)| code)
        .collect()
}

fn category_label(rules: &CycleRules) -> impl Fn(&str) -> String + '_ {
    move |c: &str| rules.category(c).map_or(c.to_string(), |t| t.label.clone())
}

/// Submits the plan to the district (its school leaders): needs a
/// submitted needs assessment, a learning partner where the status
/// requires one, SMART goals, strategies, a monitoring plan, a budget
/// within the allocation. Each submission is a version; the first one's
/// date decides lateness.
pub async fn submit_plan(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<PlanRow, AppError> {
    let imp = program(state)?;
    let rules = &imp.cycle;
    let row = plan_row(store, id).await?;
    policy::lead_improvement(actor, &row.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let from = PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft);
    let to = cycle::submit(from).map_err(AppError::Conflict)?;
    let (_, status) = school(state, cache, store, &row.school_rcdts).await?;
    let support = store.support(&row.school_rcdts).await?.unwrap_or_default();
    let assessed = store
        .assessments(Some(&row.school_rcdts))
        .await?
        .iter()
        .any(|a| a.school_year == row.school_year && a.status == "submitted");
    let content: PlanContent = read(&row.content);
    let indicators = goal_indicators(state);
    let areas = priority_area_codes(state);
    let ctx = planning::Context {
        status: status.as_ref().map(|s| s.status.as_str()),
        needs_assessment_submitted: assessed,
        allocation_cents: support.allocation_cents,
        indicators: &indicators,
        priority_areas: &areas,
    };
    refusal(planning::check_submission(rules, &content, &ctx))?;
    let prefilled =
        prefilled_sections(state, cache, store, &row.school_rcdts, row.school_year).await?;
    let sections = planning::section_texts(rules, &content, &prefilled, category_label(rules));
    let on = today(state, now)?.to_string();
    let version = store
        .plan_versions(id)
        .await?
        .last()
        .map_or(1, |v| v.version + 1)
        .max(row.version);
    let mut tx = store.write().await?;
    record_step(
        &mut tx,
        actor,
        Step {
            id,
            from,
            to,
            version,
            submitted_on: Some(&on),
            action: "submit",
            level: None,
            decision: None,
            comments: &[],
            meanwhile: "the plan was submitted meanwhile",
        },
        now,
    )
    .await?;
    tx.insert_plan_version(id, version, &content, &sections, actor.user_id, now, &on)
        .await?;
    tx.commit().await?;
    plan_row(store, id).await
}

/// One step of the approval chain.
struct Step<'a> {
    id: i64,
    from: PlanStatus,
    to: PlanStatus,
    version: i64,
    /// The state's date of a submission.
    submitted_on: Option<&'a str>,
    /// `submit`, `review` or `amend` (the audit action `work-plan.ACTION`).
    action: &'a str,
    level: Option<&'a str>,
    decision: Option<&'a str>,
    comments: &'a [Comment],
    /// The refusal when the plan moved meanwhile.
    meanwhile: &'a str,
}

/// Moves the plan (only from the status it was read in, so that two steps
/// at once cannot both pass) and records the event and the audit record
/// in the same transaction.
async fn record_step(
    tx: &mut empower_store::Write,
    actor: &Actor,
    step: Step<'_>,
    now: i64,
) -> Result<(), AppError> {
    let (from, to) = (step.from.as_str(), step.to.as_str());
    if !tx
        .move_plan(step.id, from, to, step.version, step.submitted_on, now)
        .await?
    {
        return Err(AppError::Conflict(step.meanwhile.into()));
    }
    tx.insert_plan_event(&NewPlanEvent {
        plan_id: step.id,
        version: step.version,
        action: step.action,
        level: step.level,
        decision: step.decision,
        from_status: from,
        to_status: to,
        comments: snapshot(&step.comments),
        by: actor.user_id,
        at: now,
    })
    .await?;
    audit(
        tx,
        &By::Actor(actor),
        &format!("work-plan.{}", step.action),
        "work-plan",
        step.id,
        Some(snapshot(&step.from)),
        Some(snapshot(&step.to)),
        now,
    )
    .await
}

/// A reviewer's comment on one section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub section: String,
    pub text: String,
}

/// The district (`lea`: its district leaders) or the state (`sea`)
/// approves or returns the plan, with comments per section (a return
/// needs at least one).
#[allow(clippy::too_many_arguments)]
pub async fn review_plan(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    level: &str,
    decision: &str,
    comments: &[Comment],
    now: i64,
) -> Result<PlanRow, AppError> {
    let rules = &program(state)?.cycle;
    let level = Level::parse(level)
        .ok_or_else(|| invalid("level", format!("`{level}` is not a level: lea or sea")))?;
    let decision = Decision::parse(decision).ok_or_else(|| {
        invalid(
            "decision",
            format!("`{decision}` is not a decision: approved or returned"),
        )
    })?;
    let row = plan_row(store, id).await?;
    let district = store
        .school_place(&row.school_rcdts)
        .await?
        .map(|p| p.1)
        .unwrap_or_default();
    policy::review_plan(actor, level == Level::Sea, &district)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    for c in comments {
        if !rules.review_sections.contains(&c.section) {
            return Err(invalid(
                "comments",
                format!(
                    "`{}` is not a section: one of {}",
                    c.section,
                    rules.review_sections.join(", ")
                ),
            ));
        }
        if c.text.trim().is_empty() || c.text.chars().count() > 10_000 {
            return Err(invalid(
                "comments",
                format!("the comment on section {} needs its text", c.section),
            ));
        }
    }
    if decision == Decision::Returned && comments.is_empty() {
        return Err(invalid(
            "comments",
            "say what to change: a returned plan needs a comment on at least one section",
        ));
    }
    let from = PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft);
    let to = cycle::review(from, level, decision).map_err(AppError::Conflict)?;
    let mut tx = store.write().await?;
    record_step(
        &mut tx,
        actor,
        Step {
            id,
            from,
            to,
            version: row.version,
            submitted_on: None,
            action: "review",
            level: Some(level.as_str()),
            decision: Some(match decision {
                Decision::Approved => "approved",
                Decision::Returned => "returned",
            }),
            comments,
            meanwhile: "the plan was reviewed meanwhile",
        },
        now,
    )
    .await?;
    tx.commit().await?;
    plan_row(store, id).await
}

/// Starts an amendment of an approved plan: a new version, through the
/// same chain (its school leaders).
pub async fn amend_plan(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<PlanRow, AppError> {
    let row = plan_row(store, id).await?;
    policy::lead_improvement(actor, &row.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let from = PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft);
    let to = cycle::amend(from).map_err(AppError::Conflict)?;
    let mut tx = store.write().await?;
    record_step(
        &mut tx,
        actor,
        Step {
            id,
            from,
            to,
            version: row.version + 1,
            submitted_on: None,
            action: "amend",
            level: None,
            decision: None,
            comments: &[],
            meanwhile: "the plan changed meanwhile",
        },
        now,
    )
    .await?;
    tx.commit().await?;
    plan_row(store, id).await
}

/// A submitted version and what changed since the one before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i64,
    pub submitted_on: String,
    pub submitted_at: i64,
    pub sections: BTreeMap<String, String>,
    /// Against the previous version; empty for the first.
    pub changes: Vec<engine::SectionDiff>,
}

/// A plan's versions with their differences, oldest first (those who may
/// see the plan).
pub async fn versions(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<Vec<VersionView>, AppError> {
    let rules = &program(state)?.cycle;
    let row = plan_row(store, id).await?;
    let district = store
        .school_place(&row.school_rcdts)
        .await?
        .map(|p| p.1)
        .unwrap_or_default();
    let engaged = engaged_partners(store, &row.school_rcdts).await?;
    policy::see_improvement(actor, &row.school_rcdts, &district, &engaged)?;
    let mut out: Vec<VersionView> = Vec::new();
    for v in store.plan_versions(id).await? {
        let sections: BTreeMap<String, String> = read(&v.sections);
        let changes = match out.last() {
            Some(prev) => engine::diff(&rules.review_sections, &prev.sections, &sections),
            None => Vec::new(),
        };
        out.push(VersionView {
            version: v.version,
            submitted_on: v.submitted_on,
            submitted_at: v.submitted_at,
            sections,
            changes,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- dashboard

/// A school in the cycle as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardRow {
    pub rcdts: String,
    pub name: String,
    pub district: String,
    pub district_name: String,
    pub region: String,
    pub status: String,
    pub cohort_year: Option<u16>,
    pub term: Option<String>,
    pub coordinator: Option<String>,
    pub allocation_cents: Option<i64>,
    /// Where the school is: `not started`, `needs assessment`, `work plan`
    /// or the plan's status.
    pub stage: String,
    pub needs_assessment: Timeliness,
    pub work_plan: Timeliness,
    pub plan_status: Option<String>,
    pub late: bool,
    pub approved: bool,
}

/// The dashboard of the school year `today` falls in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub school_year: String,
    pub needs_assessment_due: Date,
    pub work_plan_due: Date,
    pub today: Date,
    pub rows: Vec<DashboardRow>,
    pub state_goals: Vec<String>,
}

/// Filters of the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DashboardFilter {
    pub region: Option<String>,
    pub district: Option<String>,
    pub cohort: Option<u16>,
}

/// Every school in the cycle (the state) or the district's (its
/// leaders), with its stage and deadlines.
pub async fn dashboard(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    filter: &DashboardFilter,
    now: i64,
) -> Result<Dashboard, AppError> {
    let districts = policy::improvement_dashboard(actor)?;
    cycle_rows(state, cache, store, districts.as_deref(), filter, now).await
}

/// The dashboard of the schools of `districts` (every school in the
/// cycle when `None`), for a caller already allowed to see it.
async fn cycle_rows(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    districts: Option<&[String]>,
    filter: &DashboardFilter,
    now: i64,
) -> Result<Dashboard, AppError> {
    let rules = &program(state)?.cycle;
    let today = today(state, now)?;
    let year = rules.school_year_of(today);
    let due = rules.deadlines(year).map_err(AppError::Refused)?;
    let dir = cache.get(store).await?;
    let supports: BTreeMap<String, empower_store::SupportRow> = store
        .supports()
        .await?
        .into_iter()
        .map(|s| (s.rcdts.clone(), s))
        .collect();
    let assessments: BTreeMap<String, AssessmentRow> = store
        .assessments(None)
        .await?
        .into_iter()
        .filter(|a| a.school_year == i64::from(year))
        .map(|a| (a.school_rcdts.clone(), a))
        .collect();
    let plans: BTreeMap<String, PlanRow> = store
        .plans(None)
        .await?
        .into_iter()
        .filter(|p| p.school_year == i64::from(year))
        .map(|p| (p.school_rcdts.clone(), p))
        .collect();
    let mut rows = Vec::new();
    for (item, statuses) in dir.schools() {
        let Some(status) = current_status(&item.designations, statuses) else {
            continue;
        };
        if !rules.in_cycle(&status.status)
            || districts.is_some_and(|d| !d.contains(&item.district))
            || filter.region.as_ref().is_some_and(|r| r != &item.region)
            || filter
                .district
                .as_ref()
                .is_some_and(|d| d != &item.district)
            || filter.cohort.is_some_and(|c| Some(c) != status.cohort_year)
        {
            continue;
        }
        let support = supports.get(&item.rcdts);
        let na = assessments.get(&item.rcdts);
        let plan = plans.get(&item.rcdts);
        let na_on = na
            .and_then(|a| a.submitted_on.as_deref())
            .and_then(|d| d.parse().ok());
        let plan_on = plan
            .and_then(|p| p.first_submitted_on.as_deref())
            .and_then(|d| d.parse().ok());
        let na_t = engine::timeliness(due.needs_assessment, na_on, today);
        let plan_t = engine::timeliness(due.work_plan, plan_on, today);
        let stage = match (na, plan) {
            (_, Some(p)) if p.status != "draft" => p.status.clone(),
            (Some(a), _) if a.status == "draft" => "needs assessment".into(),
            (Some(_), _) => "work plan".into(),
            (None, Some(_)) => "needs assessment".into(),
            (None, None) => "not started".into(),
        };
        rows.push(DashboardRow {
            rcdts: item.rcdts.clone(),
            name: item.name.clone(),
            district: item.district.clone(),
            district_name: item.district_name.clone(),
            region: item.region.clone(),
            status: status.status.clone(),
            cohort_year: status.cohort_year,
            term: status.term.clone(),
            coordinator: support.and_then(|s| s.coordinator_name.clone()),
            allocation_cents: support.and_then(|s| s.allocation_cents),
            stage,
            late: na_t.is_late() || plan_t.is_late(),
            approved: plan.is_some_and(|p| p.status == "approved"),
            plan_status: plan.map(|p| p.status.clone()),
            needs_assessment: na_t,
            work_plan: plan_t,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.rcdts.cmp(&b.rcdts)));
    Ok(Dashboard {
        school_year: engine::school_year_label(year),
        needs_assessment_due: due.needs_assessment,
        work_plan_due: due.work_plan,
        today,
        rows,
        state_goals: rules.state_goals.clone(),
    })
}

// ---------------------------------------------------------------- reminders and caseloads

/// An item due within the reminder window or overdue, and whom it
/// reminds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    pub rcdts: String,
    pub name: String,
    pub district_name: String,
    /// `needs-assessment` or `work-plan`.
    pub item: String,
    pub due: Date,
    pub timeliness: Timeliness,
    /// The school's leaders' e-mail addresses.
    pub recipients: Vec<String>,
}

/// What is due within `within_days` of `today`, per school.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reminders {
    pub school_year: String,
    pub today: Date,
    pub within_days: i64,
    /// A person is reminded of an item at most once in this many days.
    pub repeat_days: i64,
    pub items: Vec<Reminder>,
}

/// The words of an item in mail and pages.
pub fn item_words(item: &str) -> &'static str {
    match item {
        "needs-assessment" => "needs assessment",
        _ => "work plan and 1003(a) budget",
    }
}

async fn reminder_list(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    districts: Option<&[String]>,
    within: Option<i64>,
    now: i64,
) -> Result<Reminders, AppError> {
    let rules = &program(state)?.cycle;
    let within = within.unwrap_or(rules.deadlines.reminder_days).max(0);
    let d = cycle_rows(
        state,
        cache,
        store,
        districts,
        &DashboardFilter::default(),
        now,
    )
    .await?;
    let scopes: Vec<&str> = d.rows.iter().map(|r| r.rcdts.as_str()).collect();
    let mut leaders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (user, role) in store.people_scoped_to(&scopes).await? {
        if role.role == Role::SchoolLeader.as_str() {
            leaders.entry(role.scope).or_default().push(user.email);
        }
    }
    let mut items = Vec::new();
    for row in &d.rows {
        for (item, due, t) in [
            (
                "needs-assessment",
                d.needs_assessment_due,
                row.needs_assessment,
            ),
            ("work-plan", d.work_plan_due, row.work_plan),
        ] {
            let submitted = matches!(t, Timeliness::OnTime { .. } | Timeliness::Late { .. });
            if engine::cycle::needs_reminder(due, submitted, d.today, within) {
                items.push(Reminder {
                    rcdts: row.rcdts.clone(),
                    name: row.name.clone(),
                    district_name: row.district_name.clone(),
                    item: item.into(),
                    due,
                    timeliness: t,
                    recipients: leaders.get(&row.rcdts).cloned().unwrap_or_default(),
                });
            }
        }
    }
    Ok(Reminders {
        school_year: d.school_year,
        today: d.today,
        within_days: within,
        repeat_days: rules.deadlines.reminder_repeat_days,
        items,
    })
}

/// What is due within `within` days (the rules' window by default) or
/// overdue, per school (the state: every school; a district leader: its
/// schools).
pub async fn reminders(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    within: Option<i64>,
    now: i64,
) -> Result<Reminders, AppError> {
    let districts = policy::improvement_dashboard(actor)?;
    reminder_list(state, cache, store, districts.as_deref(), within, now).await
}

/// [`reminders`] of every school, for the operator at the command line.
pub async fn reminders_for_operator(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    within: Option<i64>,
    now: i64,
) -> Result<Reminders, AppError> {
    reminder_list(state, cache, store, None, within, now).await
}

/// What a reminder run queued.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedReminders {
    /// Mail written to the outbox.
    pub queued: usize,
    /// Reminders the person had within the repeat window already.
    pub recent: usize,
    /// Items of schools without a school leader on the platform.
    pub without_recipient: usize,
}

/// Writes a reminder mail to the outbox for each school leader of each
/// item due soon or overdue (the state, or the operator at the command
/// line), at most once per person and item in the rules' repeat window:
/// a run repeated the same day, or two at once, queue nothing twice.
pub async fn queue_reminders(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    by: By<'_>,
    within: Option<i64>,
    public_url: &str,
    now: i64,
) -> Result<QueuedReminders, AppError> {
    match by {
        By::Actor(a) => policy::send_reminders(Some(a))?,
        By::CommandLine => {}
        By::Themselves(_) => {
            return Err(AppError::Forbidden("only the state sends reminders".into()))
        }
    }
    let list = reminder_list(state, cache, store, None, within, now).await?;
    let year = i64::from(program(state)?.cycle.school_year_of(list.today));
    let since = list
        .today
        .checked_sub(jiff::Span::new().days(list.repeat_days - 1))
        .map_err(|e| AppError::Refused(e.to_string()))?;
    let recent: std::collections::BTreeSet<(String, i64, String, String)> = store
        .reminders_since(&since.to_string())
        .await?
        .into_iter()
        .map(|(school, y, item, to, _)| (school, y, item, to))
        .collect();
    let today = list.today.to_string();
    let mut out = QueuedReminders::default();
    let mut tx = store.write().await?;
    for r in &list.items {
        if r.recipients.is_empty() {
            out.without_recipient += 1;
        }
        for to in &r.recipients {
            let key = (r.rcdts.clone(), year, r.item.clone(), to.clone());
            if recent.contains(&key)
                || !tx
                    .insert_reminder(&r.rcdts, year, &r.item, to, &today, now)
                    .await?
            {
                out.recent += 1;
                continue;
            }
            let what = item_words(&r.item);
            let overdue = matches!(r.timeliness, Timeliness::Overdue { .. });
            let subject = if overdue {
                format!("Overdue: the {what} of {}", r.name)
            } else {
                format!("Due {}: the {what} of {}", r.due, r.name)
            };
            let body = format!(
                "The {what} of {} (RCDTS {}) for {} {} due on {}: {}.\n\n\
                 Open the school's improvement cycle: {}/schools/{}/improvement\n\n\
                 You receive this as a school leader of the school; a reminder of the same item comes at most once every {} days.",
                r.name,
                r.rcdts,
                list.school_year,
                if overdue { "was" } else { "is" },
                r.due,
                r.timeliness.words(),
                public_url.trim_end_matches('/'),
                r.rcdts,
                list.repeat_days
            );
            tx.queue_mail(to, &subject, &body, now).await?;
            out.queued += 1;
        }
    }
    audit(
        &mut tx,
        &by,
        "improvement.reminders",
        "outbox",
        &today,
        None,
        Some(snapshot(&out)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// A support manager's schools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Caseload {
    /// `None`: the schools that need one and have none.
    pub coordinator: Option<String>,
    pub schools: Vec<DashboardRow>,
    pub late: usize,
    pub approved: usize,
}

/// Every support manager's caseload, and the schools whose status needs
/// one and have none (the state).
pub async fn caseloads(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    now: i64,
) -> Result<Vec<Caseload>, AppError> {
    policy::see_caseloads(actor)?;
    let rules = &program(state)?.cycle;
    let d = cycle_rows(state, cache, store, None, &DashboardFilter::default(), now).await?;
    let mut by: BTreeMap<Option<String>, Vec<DashboardRow>> = BTreeMap::new();
    for row in d.rows {
        if row.coordinator.is_some() || rules.coordinator_assigned(&row.status) {
            by.entry(row.coordinator.clone()).or_default().push(row);
        }
    }
    let mut out: Vec<Caseload> = by
        .into_iter()
        .map(|(coordinator, schools)| Caseload {
            late: schools.iter().filter(|s| s.late).count(),
            approved: schools.iter().filter(|s| s.approved).count(),
            coordinator,
            schools,
        })
        .collect();
    // Support managers A-Z, then the schools without one.
    out.sort_by_key(|c| (c.coordinator.is_none(), c.coordinator.clone()));
    Ok(out)
}

/// A school's cycle as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolCycle {
    pub rcdts: String,
    pub name: String,
    pub school_year: String,
    pub status: StatusView,
    /// The help line's number, for a school whose status uses it.
    pub help_line: Option<String>,
    pub partner_required: bool,
    pub needs_assessment_due: Date,
    pub work_plan_due: Date,
    pub needs_assessment: Timeliness,
    pub work_plan: Timeliness,
    pub needs_assessment_status: Option<String>,
    pub plan_status: Option<String>,
    pub needs_assessment_id: Option<i64>,
    pub plan_id: Option<i64>,
}

/// A school's cycle of the school year `now` falls in (those who may see
/// its improvement records).
pub async fn school_cycle(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    now: i64,
) -> Result<SchoolCycle, AppError> {
    let rules = &program(state)?.cycle;
    let (item, _) = school(state, cache, store, rcdts).await?;
    let engaged = engaged_partners(store, &item.rcdts).await?;
    policy::see_improvement(actor, &item.rcdts, &item.district, &engaged)?;
    let today = today(state, now)?;
    let year = rules.school_year_of(today);
    let due = rules.deadlines(year).map_err(AppError::Refused)?;
    let status = self::status(state, cache, store, &item.rcdts).await?;
    let na = store
        .assessments(Some(&item.rcdts))
        .await?
        .into_iter()
        .find(|a| a.school_year == i64::from(year));
    let plan = store
        .plans(Some(&item.rcdts))
        .await?
        .into_iter()
        .find(|p| p.school_year == i64::from(year));
    let parse = |d: Option<&str>| d.and_then(|d| d.parse::<Date>().ok());
    let st = status.status.clone().unwrap_or_default();
    Ok(SchoolCycle {
        school_year: engine::school_year_label(year),
        help_line: rules.help_line(&st).then(|| rules.help_line.phone.clone()),
        partner_required: rules.partner_required(&st),
        needs_assessment: engine::timeliness(
            due.needs_assessment,
            parse(na.as_ref().and_then(|a| a.submitted_on.as_deref())),
            today,
        ),
        work_plan: engine::timeliness(
            due.work_plan,
            parse(plan.as_ref().and_then(|p| p.first_submitted_on.as_deref())),
            today,
        ),
        needs_assessment_due: due.needs_assessment,
        work_plan_due: due.work_plan,
        needs_assessment_id: na.as_ref().map(|a| a.id),
        plan_id: plan.as_ref().map(|p| p.id),
        needs_assessment_status: na.map(|a| a.status),
        plan_status: plan.map(|p| p.status),
        status,
        rcdts: item.rcdts,
        name: item.name,
    })
}

/// A needs assessment as its page shows it: the ratings beside the
/// school's designation explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssessmentView {
    pub row: AssessmentRow,
    pub content: Assessment,
    pub school_name: String,
    pub school_year: String,
    pub due: Date,
    pub timeliness: Timeliness,
    pub status: StatusView,
    /// The latest explanation's indicators: label, value, score.
    pub indicators: Vec<(String, Option<f64>, Option<f64>)>,
    /// The profile's facts a rating may cite ([`profile_facts`]).
    pub facts: Vec<String>,
    /// Files attached as evidence, each for one indicator.
    pub files: Vec<EvidenceFile>,
}

/// A needs assessment for those who may see the school's records.
pub async fn assessment_view(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<AssessmentView, AppError> {
    let rules = &program(state)?.cycle;
    let row = assessment_row(store, id).await?;
    let (item, _) = school(state, cache, store, &row.school_rcdts).await?;
    let engaged = engaged_partners(store, &item.rcdts).await?;
    policy::see_improvement(actor, &item.rcdts, &item.district, &engaged)?;
    let due = rules
        .deadlines(row.school_year as i16)
        .map_err(AppError::Refused)?
        .needs_assessment;
    let profile = crate::public::school(state, cache, store, &item.rcdts).await?;
    Ok(AssessmentView {
        content: read(&row.content),
        school_name: item.name.clone(),
        school_year: engine::school_year_label(row.school_year as i16),
        timeliness: engine::timeliness(
            due,
            row.submitted_on.as_deref().and_then(|d| d.parse().ok()),
            today(state, now)?,
        ),
        due,
        status: self::status(state, cache, store, &item.rcdts).await?,
        indicators: profile
            .as_ref()
            .map(|p| {
                p.indicators
                    .iter()
                    .map(|i| (i.label.clone(), i.value, i.score))
                    .collect()
            })
            .unwrap_or_default(),
        facts: profile.as_ref().map(profile_facts).unwrap_or_default(),
        files: store.evidence_files(FilesOf::Assessment(id)).await?,
        row,
    })
}

/// The school's needs assessment of the current school year, started if
/// there is none (its school leaders).
pub async fn open_assessment(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    now: i64,
) -> Result<AssessmentRow, AppError> {
    match create_assessment(state, cache, store, actor, rcdts, now).await {
        Err(AppError::Conflict(_)) => {
            let rules = &program(state)?.cycle;
            let year = i64::from(rules.school_year_of(today(state, now)?));
            let (item, _) = school(state, cache, store, rcdts).await?;
            store
                .assessments(Some(&item.rcdts))
                .await?
                .into_iter()
                .find(|a| a.school_year == year)
                .ok_or_else(|| AppError::NotFound("the needs assessment went missing".into()))
        }
        other => other,
    }
}

/// A work plan as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanView {
    pub row: PlanRow,
    pub content: PlanContent,
    pub school_name: String,
    pub school_year: String,
    pub due: Date,
    pub timeliness: Timeliness,
    pub status: StatusView,
    /// Sections 1 and 2, drawn from the data and the needs assessment.
    pub prefilled: BTreeMap<String, String>,
    pub events: Vec<empower_store::PlanEventRow>,
    pub versions: Vec<VersionView>,
    /// Approved partners: id, name.
    pub partners: Vec<(String, String)>,
    /// Indicators a goal may name: code, label.
    pub indicators: Vec<(String, String)>,
    /// May change the content now (school leaders, engaged partners).
    pub may_edit: bool,
    /// May submit now (school leaders).
    pub may_submit: bool,
    /// The level the caller may review at now, if any.
    pub review_level: Option<Level>,
    /// May start an amendment of the approved plan (school leaders).
    pub may_amend: bool,
}

/// A work plan for those who may see the school's records.
pub async fn plan_view(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<PlanView, AppError> {
    let rules = &program(state)?.cycle;
    let row = plan_row(store, id).await?;
    let (item, _) = school(state, cache, store, &row.school_rcdts).await?;
    let engaged = engaged_partners(store, &item.rcdts).await?;
    policy::see_improvement(actor, &item.rcdts, &item.district, &engaged)?;
    let due = rules
        .deadlines(row.school_year as i16)
        .map_err(AppError::Refused)?
        .work_plan;
    let status = PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft);
    let review_level = match status {
        PlanStatus::Submitted if policy::review_plan(actor, false, &item.district).is_ok() => {
            Some(Level::Lea)
        }
        PlanStatus::LeaApproved if policy::review_plan(actor, true, &item.district).is_ok() => {
            Some(Level::Sea)
        }
        _ => None,
    };
    let partners = crate::partners::directory(cache, store, None, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.review_reason.is_none())
        .map(|p| (p.rcdts, p.name))
        .collect();
    Ok(PlanView {
        content: read(&row.content),
        school_name: item.name.clone(),
        school_year: engine::school_year_label(row.school_year as i16),
        timeliness: engine::timeliness(
            due,
            row.first_submitted_on
                .as_deref()
                .and_then(|d| d.parse().ok()),
            today(state, now)?,
        ),
        due,
        status: self::status(state, cache, store, &item.rcdts).await?,
        prefilled: prefilled_sections(state, cache, store, &item.rcdts, row.school_year).await?,
        events: store.plan_events(id).await?,
        versions: versions(state, store, actor, id).await?,
        partners,
        indicators: goal_indicator_labels(state),
        may_edit: status.editable()
            && policy::contribute_to_improvement(actor, &item.rcdts, &engaged).is_ok(),
        may_submit: status.editable() && policy::lead_improvement(actor, &item.rcdts).is_ok(),
        may_amend: status == PlanStatus::Approved
            && policy::lead_improvement(actor, &item.rcdts).is_ok(),
        review_level,
        row,
    })
}

/// The school's work plan of the current school year, started if there
/// is none (its school leaders).
pub async fn open_plan(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    rcdts: &str,
    now: i64,
) -> Result<PlanRow, AppError> {
    match create_plan(state, cache, store, actor, rcdts, now).await {
        Err(AppError::Conflict(_)) => {
            let rules = &program(state)?.cycle;
            let year = i64::from(rules.school_year_of(today(state, now)?));
            let (item, _) = school(state, cache, store, rcdts).await?;
            store
                .plans(Some(&item.rcdts))
                .await?
                .into_iter()
                .find(|p| p.school_year == year)
                .ok_or_else(|| AppError::NotFound("the work plan went missing".into()))
        }
        other => other,
    }
}

/// The demonstration's records (`serve --demo`): the first school A-Z of
/// the first status that gets a support manager (Comprehensive) gets the
/// demo coordinator. Returns
/// the school, if there is one.
pub async fn demo_records(
    state: &State,
    store: &Store,
    admin: &Actor,
    coordinator_email: &str,
    now: i64,
) -> Result<Option<String>, AppError> {
    let Some(imp) = state.improvement.as_ref() else {
        return Ok(None);
    };
    let cache = DirectoryCache::default();
    let dir = cache.get(store).await?;
    // The first status the rules give a support manager (Comprehensive
    // in Illinois) that any school holds; its first school A-Z.
    let mut assigned: Vec<&SchoolListItem> = Vec::new();
    for wanted in &imp.cycle.statuses.coordinator_assigned {
        assigned = dir
            .schools()
            .filter(|(item, statuses)| {
                current_status(&item.designations, statuses).is_some_and(|s| &s.status == wanted)
            })
            .map(|(item, _)| item)
            .collect();
        if !assigned.is_empty() {
            break;
        }
    }
    assigned.sort_by(|a, b| a.name.cmp(&b.name).then(a.rcdts.cmp(&b.rcdts)));
    let Some(school) = assigned.first() else {
        return Ok(None);
    };
    assign_coordinator(
        state,
        &cache,
        store,
        Some(admin),
        &school.rcdts,
        coordinator_email,
        now,
    )
    .await?;
    Ok(Some(school.rcdts.clone()))
}

/// The framework a page shows beside the ratings.
pub fn framework(state: &State) -> Result<&Framework, AppError> {
    Ok(&program(state)?.framework)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, AccountSettings};
    use empower_improvement::plan::{BudgetLine, Goal, LearningPartner, Strategy};
    use empower_improvement::Rating;
    use empower_store::testing::TestDatabase;
    use empower_store::*;

    /// An instant given as RFC 3339.
    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    fn school(rcdts: &str, name: &str, district: &str) -> School {
        School {
            rcdts: rcdts.into(),
            name: name.into(),
            district: district.into(),
            district_name: "A district".into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: rcdts[..2].into(),
            grades: vec!["K".into()],
            profile: Profile::default(),
        }
    }

    fn in_status(rcdts: &str, designation: &str) -> (DesignationRow, StatusRow) {
        (
            DesignationRow {
                year: 2018,
                rcdts: rcdts.into(),
                band: None,
                source: DesignationSource::Official,
                designation: Some(designation.into()),
                index: None,
                reasons: String::new(),
                of_record: true,
            },
            StatusRow {
                rcdts: rcdts.into(),
                year: 2018,
                status: Some(designation.into()),
                cohort_year: Some(2018),
                term: Some("Planning".into()),
                event: "entered".into(),
                note: None,
            },
        )
    }

    /// Seymour (Comprehensive) and Payson (Targeted) in one district,
    /// Elsewhere in another.
    fn publication() -> Publication {
        let (d1, s1) = in_status("010010010262003", "Comprehensive");
        let (d2, s2) = in_status("010010010262002", "Targeted");
        let district = |rcdts: &str| District {
            rcdts: rcdts.into(),
            name: "A district".into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: rcdts[..2].into(),
        };
        Publication {
            sources_sha256: "improvement".into(),
            summary: "test".into(),
            years: vec![],
            districts: vec![district("010010010260000"), district("020010010260000")],
            schools: vec![
                school("010010010262003", "Seymour Elementary", "010010010260000"),
                school("010010010262002", "Payson Elementary", "010010010260000"),
                school("020010010262001", "Elsewhere Elementary", "020010010260000"),
            ],
            designations: vec![d1, d2],
            explanations: vec![],
            statuses: vec![s1, s2],
        }
    }

    fn plan(partner: bool, budget_cents: i64) -> PlanContent {
        PlanContent {
            sections: BTreeMap::from([
                ("3".into(), "Too few interventionists.".into()),
                ("4".into(), "Small-group tutoring.".into()),
            ]),
            priority_areas: vec!["curriculum-instruction".into()],
            partner: partner.then(|| LearningPartner {
                kind: "vendor".into(),
                id: "v-17".into(),
                name: "Learning Co".into(),
            }),
            goals: vec![Goal {
                indicator: "ela_proficiency".into(),
                statement: "More students meet the ELA standards".into(),
                baseline: Some(21.5),
                target: Some(30.0),
                by: "2028-06-30".into(),
            }],
            strategies: vec![Strategy {
                id: "tutoring".into(),
                need: "Reading".into(),
                description: "Tutoring".into(),
                owner: "Principal".into(),
                ..Default::default()
            }],
            budget: vec![BudgetLine {
                strategy: "tutoring".into(),
                category: "supplemental-staff".into(),
                description: "Two tutors".into(),
                amount_cents: budget_cents,
            }],
            monitoring: "Monthly data review.".into(),
        }
    }

    /// Adds each person with their role and signs them in.
    async fn signed_in_people(
        state: &State,
        store: &Store,
        now: i64,
        people: &[(&str, Role, Option<&str>)],
    ) -> Vec<Actor> {
        let settings = AccountSettings::for_tests();
        let mut out = Vec::new();
        for (email, role, scope) in people {
            accounts::add_user(
                state,
                store,
                &settings,
                accounts::By::CommandLine,
                email,
                email,
                *role,
                *scope,
                Some("a good long password"),
                now,
            )
            .await
            .unwrap();
            out.push(
                accounts::sign_in(store, &settings, email, "a good long password", "t", now)
                    .await
                    .unwrap()
                    .actor,
            );
        }
        out
    }

    #[tokio::test]
    async fn reminders_go_to_school_leaders_once_per_window_and_caseloads_group_by_manager() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let (seymour, payson) = ("010010010262003", "010010010262002");
        for db in TestDatabase::each("reminders").await {
            let store = &db.store;
            store.publish(&[], &publication()).await.unwrap();
            let cache = DirectoryCache::default();
            // January 20: the needs assessments (due January 31) are due
            // within the 14 days of the rules; the plans (February 28) not.
            let t0 = at("2027-01-20T15:00:00Z");
            let people = signed_in_people(
                &state,
                store,
                t0,
                &[
                    ("admin@example.org", Role::StateAdmin, None),
                    ("cy@example.org", Role::StateCoordinator, None),
                    ("lead@example.org", Role::SchoolLeader, Some(seymour)),
                    ("payson@example.org", Role::SchoolLeader, Some(payson)),
                    (
                        "other-dl@example.org",
                        Role::DistrictLeader,
                        Some("020010010260000"),
                    ),
                ],
            )
            .await;
            let [admin, cy, lead, _, other_dl] =
                [&people[0], &people[1], &people[2], &people[3], &people[4]];

            let list = reminders(&state, &cache, store, Some(cy), None, t0)
                .await
                .unwrap();
            assert_eq!(list.within_days, 14);
            let items: Vec<(&str, &str, &[String])> = list
                .items
                .iter()
                .map(|r| (r.rcdts.as_str(), r.item.as_str(), r.recipients.as_slice()))
                .collect();
            assert_eq!(
                items,
                vec![
                    (
                        payson,
                        "needs-assessment",
                        &["payson@example.org".to_string()][..]
                    ),
                    (
                        seymour,
                        "needs-assessment",
                        &["lead@example.org".to_string()][..]
                    ),
                ]
            );
            assert_eq!(list.items[0].timeliness, Timeliness::Due { days_left: 11 });
            // A wider window takes in the plans; another district sees none.
            let wide = reminders(&state, &cache, store, Some(cy), Some(40), t0)
                .await
                .unwrap();
            assert_eq!(wide.items.len(), 4);
            let none = reminders(&state, &cache, store, Some(other_dl), None, t0)
                .await
                .unwrap();
            assert!(none.items.is_empty());
            assert!(matches!(
                reminders(&state, &cache, store, Some(lead), None, t0).await,
                Err(AppError::Forbidden(_))
            ));

            // Queued once; again the same day or within the 7 days, nothing.
            let url = "https://empower.example.org/";
            assert!(matches!(
                queue_reminders(&state, &cache, store, By::Actor(lead), None, url, t0).await,
                Err(AppError::Forbidden(_))
            ));
            let q = queue_reminders(&state, &cache, store, By::Actor(cy), None, url, t0)
                .await
                .unwrap();
            assert_eq!((q.queued, q.recent, q.without_recipient), (2, 0, 0));
            let mail = store.outbox().await.unwrap();
            let to_lead = mail
                .iter()
                .find(|m| m.to_email == "lead@example.org")
                .unwrap();
            assert_eq!(
                to_lead.subject,
                "Due 2027-01-31: the needs assessment of Seymour Elementary"
            );
            assert!(to_lead
                .body
                .contains("https://empower.example.org/schools/010010010262003/improvement"));
            assert!(to_lead.body.contains("due in 11 days"), "{}", to_lead.body);
            for later in ["2027-01-20T22:00:00Z", "2027-01-26T15:00:00Z"] {
                let q =
                    queue_reminders(&state, &cache, store, By::CommandLine, None, url, at(later))
                        .await
                        .unwrap();
                assert_eq!((q.queued, q.recent), (0, 2), "{later}");
            }
            // A week on, and then overdue: reminded again.
            let q = queue_reminders(
                &state,
                &cache,
                store,
                By::CommandLine,
                None,
                url,
                at("2027-01-27T15:00:00Z"),
            )
            .await
            .unwrap();
            assert_eq!(q.queued, 2);
            let q = queue_reminders(
                &state,
                &cache,
                store,
                By::CommandLine,
                None,
                url,
                at("2027-02-03T15:00:00Z"),
            )
            .await
            .unwrap();
            assert_eq!(q.queued, 2);
            let mail = store.outbox().await.unwrap();
            assert_eq!(mail.len(), 6);
            assert_eq!(
                mail.last().unwrap().subject,
                "Overdue: the needs assessment of Seymour Elementary"
            );

            // Caseloads: Seymour (Comprehensive) needs a support manager;
            // Payson (Targeted) uses the help line and is in none.
            let loads = caseloads(&state, &cache, store, Some(cy), t0)
                .await
                .unwrap();
            assert_eq!(loads.len(), 1);
            assert_eq!(loads[0].coordinator, None);
            assert_eq!(loads[0].schools[0].rcdts, seymour);
            assign_coordinator(
                &state,
                &cache,
                store,
                Some(admin),
                seymour,
                "cy@example.org",
                t0,
            )
            .await
            .unwrap();
            let loads = caseloads(&state, &cache, store, Some(admin), t0)
                .await
                .unwrap();
            assert_eq!(loads[0].coordinator.as_deref(), Some("cy@example.org"));
            assert_eq!(loads[0].schools.len(), 1);
            assert!(matches!(
                caseloads(&state, &cache, store, Some(other_dl), t0).await,
                Err(AppError::Forbidden(_))
            ));
        }
    }

    #[tokio::test]
    async fn the_cycle_from_needs_assessment_to_an_approved_plan() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let seymour = "010010010262003";
        for db in TestDatabase::each("improvement").await {
            let store = &db.store;
            store.publish(&[], &publication()).await.unwrap();
            let cache = DirectoryCache::default();
            let t0 = at("2027-01-10T15:00:00Z");
            let people = signed_in_people(
                &state,
                store,
                t0,
                &[
                    ("admin@example.org", Role::StateAdmin, None),
                    ("cy@example.org", Role::StateCoordinator, None),
                    ("lead@example.org", Role::SchoolLeader, Some(seymour)),
                    (
                        "dl@example.org",
                        Role::DistrictLeader,
                        Some("010010010260000"),
                    ),
                    (
                        "other-dl@example.org",
                        Role::DistrictLeader,
                        Some("020010010260000"),
                    ),
                    (
                        "payson@example.org",
                        Role::SchoolLeader,
                        Some("010010010262002"),
                    ),
                ],
            )
            .await;
            let [admin, cy, lead, dl, other_dl, payson] = [
                &people[0], &people[1], &people[2], &people[3], &people[4], &people[5],
            ];

            // Status, coordinator, allocation.
            let st = status(&state, &cache, store, seymour).await.unwrap();
            assert_eq!(
                (st.status.as_deref(), st.cohort_year),
                (Some("Comprehensive"), Some(2018))
            );
            assert!(matches!(
                assign_coordinator(
                    &state,
                    &cache,
                    store,
                    Some(cy),
                    seymour,
                    "cy@example.org",
                    t0
                )
                .await,
                Err(AppError::Forbidden(_))
            ));
            let e = assign_coordinator(
                &state,
                &cache,
                store,
                Some(admin),
                seymour,
                "lead@example.org",
                t0,
            )
            .await
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                "coordinator: lead@example.org is not a state coordinator"
            );
            let e = assign_coordinator(
                &state,
                &cache,
                store,
                Some(admin),
                "010010010262002",
                "cy@example.org",
                t0,
            )
            .await
            .unwrap_err();
            assert!(
                e.to_string()
                    .contains("Payson Elementary is in Targeted status"),
                "{e}"
            );
            let st = assign_coordinator(
                &state,
                &cache,
                store,
                Some(admin),
                seymour,
                "CY@example.org",
                t0,
            )
            .await
            .unwrap();
            assert_eq!(st.coordinator.unwrap().email, "cy@example.org");
            assert!(matches!(
                set_allocation(&state, &cache, store, Some(lead), seymour, 5_000_000, t0).await,
                Err(AppError::Forbidden(_))
            ));
            set_allocation(&state, &cache, store, Some(cy), seymour, 5_000_000, t0)
                .await
                .unwrap();

            // The help line is for Targeted schools.
            assert!(matches!(
                open_help_request(
                    &state,
                    &cache,
                    store,
                    Some(lead),
                    seymour,
                    "Help",
                    "Call us",
                    t0
                )
                .await,
                Err(AppError::Refused(_))
            ));
            let h = open_help_request(
                &state,
                &cache,
                store,
                Some(payson),
                "010010010262002",
                "Help",
                "Call us",
                t0,
            )
            .await
            .unwrap();
            assert!(matches!(
                reply_to_help_request(store, Some(lead), h.id, "me too", false, t0).await,
                Err(AppError::Forbidden(_))
            ));
            let h = reply_to_help_request(store, Some(cy), h.id, "We will call Monday", false, t0)
                .await
                .unwrap();
            assert_eq!(
                (h.status.as_str(), h.assignee_id),
                ("answered", Some(cy.user_id))
            );

            // The needs assessment, every indicator rated with evidence.
            let na = create_assessment(&state, &cache, store, Some(lead), seymour, t0)
                .await
                .unwrap();
            assert_eq!(na.school_year, 2026);
            let fw = framework(&state).unwrap();
            let e = submit_assessment(&state, store, Some(lead), na.id, t0)
                .await
                .unwrap_err();
            assert!(
                e.to_string().starts_with("ratings: rate every indicator"),
                "{e}"
            );
            let mut ratings = Assessment {
                priority_areas: vec!["curriculum-instruction".into()],
                ..Default::default()
            };
            for i in fw.standard.iter().flat_map(|s| &s.indicator) {
                ratings.ratings.insert(
                    i.code.clone(),
                    Rating {
                        level: "Emerging".into(),
                        evidence: "Walkthrough notes".into(),
                        ..Default::default()
                    },
                );
            }
            // Data are chosen from the profile, never typed in.
            let mut typed = ratings.clone();
            typed.ratings.get_mut("ci-1").unwrap().data = vec!["ELA proficiency: 99%".into()];
            let e = save_ratings(&state, &cache, store, Some(lead), na.id, &typed, t0)
                .await
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                "ratings.ci-1.data: `ELA proficiency: 99%` is not a fact of the school's profile: choose from the profile's data"
            );
            save_ratings(&state, &cache, store, Some(lead), na.id, &ratings, t0)
                .await
                .unwrap();
            let na =
                submit_assessment(&state, store, Some(lead), na.id, at("2027-01-20T15:00:00Z"))
                    .await
                    .unwrap();
            assert_eq!(na.submitted_on.as_deref(), Some("2027-01-20"));
            assert_eq!(
                chosen_priority_area(store, seymour)
                    .await
                    .unwrap()
                    .as_deref(),
                Some("curriculum-instruction")
            );

            // The plan: no partner, then over the allocation: refused.
            let p = create_plan(&state, &cache, store, Some(lead), seymour, t0)
                .await
                .unwrap();
            update_plan(&state, store, Some(lead), p.id, &plan(false, 4_000_000), t0)
                .await
                .unwrap();
            let e = submit_plan(&state, &cache, store, Some(lead), p.id, t0)
                .await
                .unwrap_err();
            assert!(
                e.to_string().starts_with("partner: a school in Comprehensive support must name an IL-EMPOWER learning partner"),
                "{e}"
            );
            update_plan(&state, store, Some(lead), p.id, &plan(true, 5_000_001), t0)
                .await
                .unwrap();
            let e = submit_plan(&state, &cache, store, Some(lead), p.id, t0)
                .await
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                "budget: the budget totals $50,000.01 but the school's 1003(a) allocation is $50,000.00: remove $0.01"
            );
            update_plan(&state, store, Some(lead), p.id, &plan(true, 5_000_000), t0)
                .await
                .unwrap();
            // February 28, 23:30 in Chicago is March 1 in UTC: still on time.
            let p1 = submit_plan(
                &state,
                &cache,
                store,
                Some(lead),
                p.id,
                at("2027-03-01T05:30:00Z"),
            )
            .await
            .unwrap();
            assert_eq!((p1.status.as_str(), p1.version), ("submitted", 1));
            assert_eq!(p1.first_submitted_on.as_deref(), Some("2027-02-28"));
            assert!(matches!(
                update_plan(&state, store, Some(lead), p.id, &plan(true, 1), t0).await,
                Err(AppError::Conflict(_))
            ));

            // Reviews: only the school's district at the district level,
            // the state after it.
            let c3 = vec![Comment {
                section: "3".into(),
                text: "Name the grades short of staff.".into(),
            }];
            for who in [other_dl, lead] {
                assert!(matches!(
                    review_plan(&state, store, Some(who), p.id, "lea", "approved", &[], t0).await,
                    Err(AppError::Forbidden(_))
                ));
            }
            assert!(matches!(
                review_plan(&state, store, Some(cy), p.id, "sea", "approved", &[], t0).await,
                Err(AppError::Conflict(_))
            ));
            let e = review_plan(&state, store, Some(dl), p.id, "lea", "returned", &[], t0)
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("comments: "), "{e}");
            let r = review_plan(&state, store, Some(dl), p.id, "lea", "returned", &c3, t0)
                .await
                .unwrap();
            assert_eq!(r.status, "returned");

            // Revised after the due date: version 2, and still not late.
            let mut revised = plan(true, 5_000_000);
            revised
                .sections
                .insert("3".into(), "Too few interventionists in grades 1-2.".into());
            update_plan(&state, store, Some(lead), p.id, &revised, t0)
                .await
                .unwrap();
            let p2 = submit_plan(
                &state,
                &cache,
                store,
                Some(lead),
                p.id,
                at("2027-03-05T15:00:00Z"),
            )
            .await
            .unwrap();
            assert_eq!(
                (p2.version, p2.first_submitted_on.as_deref()),
                (2, Some("2027-02-28"))
            );
            let v = versions(&state, store, Some(dl), p.id).await.unwrap();
            assert_eq!(v.len(), 2);
            let changed: Vec<&str> = v[1]
                .changes
                .iter()
                .filter(|c| c.changed)
                .map(|c| c.section.as_str())
                .collect();
            assert_eq!(changed, ["3"]);
            assert!(matches!(
                versions(&state, store, Some(other_dl), p.id).await,
                Err(AppError::Forbidden(_))
            ));

            review_plan(&state, store, Some(dl), p.id, "lea", "approved", &[], t0)
                .await
                .unwrap();
            let done = review_plan(&state, store, Some(cy), p.id, "sea", "approved", &[], t0)
                .await
                .unwrap();
            assert_eq!(done.status, "approved");
            let e = update_plan(&state, store, Some(lead), p.id, &plan(true, 1), t0)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("approved and locked"), "{e}");

            // The dashboard: the state sees both schools in the cycle; a
            // district leader its own; a school leader none.
            let now = at("2027-03-06T15:00:00Z");
            let d = dashboard(
                &state,
                &cache,
                store,
                Some(cy),
                &DashboardFilter::default(),
                now,
            )
            .await
            .unwrap();
            assert_eq!(
                (d.school_year.as_str(), d.work_plan_due.to_string().as_str()),
                ("2026-27", "2027-02-28")
            );
            let row = d.rows.iter().find(|r| r.rcdts == seymour).unwrap();
            assert!(row.approved && !row.late, "{row:?}");
            assert_eq!(row.coordinator.as_deref(), Some("cy@example.org"));
            let payson_row = d
                .rows
                .iter()
                .find(|r| r.rcdts == "010010010262002")
                .unwrap();
            assert_eq!(payson_row.stage, "not started");
            assert!(
                payson_row.late,
                "Payson has submitted nothing after both due dates"
            );
            let mine = dashboard(
                &state,
                &cache,
                store,
                Some(other_dl),
                &DashboardFilter::default(),
                now,
            )
            .await
            .unwrap();
            assert!(mine.rows.is_empty());
            assert!(matches!(
                dashboard(
                    &state,
                    &cache,
                    store,
                    Some(lead),
                    &DashboardFilter::default(),
                    now
                )
                .await,
                Err(AppError::Forbidden(_))
            ));

            // An amendment is a new version through the same chain.
            let a = amend_plan(store, Some(lead), p.id, now).await.unwrap();
            assert_eq!((a.status.as_str(), a.version), ("draft", 3));
            let events = store.plan_events(p.id).await.unwrap();
            let actions: Vec<String> = events
                .iter()
                .map(|e| format!("{}:{}", e.action, e.to_status))
                .collect();
            assert_eq!(
                actions,
                [
                    "submit:submitted",
                    "review:returned",
                    "submit:submitted",
                    "review:lea_approved",
                    "review:approved",
                    "amend:draft"
                ]
            );
            assert_eq!(events[1].comments[0]["section"], "3");
            db.finish().await;
        }
    }
}
