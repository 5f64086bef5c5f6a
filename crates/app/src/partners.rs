//! Peer Learning Partners on the platform (partners.md): rounds,
//! applications prefilled from the report card, the state's decisions,
//! the public directory, explained recommendations for schools in
//! support, engagements, and the review flag when an approved partner's
//! designation drops. Each use case asks `policy` first and writes its
//! audit record in the transaction of the change.

use crate::accounts::{audit, Actor, By, Role};
use crate::public::{current_designation, DirectoryCache};
use crate::uploads;
use crate::{policy, AppError};
use empower_partners::{self as engine, Candidate, Date, PlpRules, Recommendation, SchoolInNeed};
use empower_states::{Partners, State};
use empower_store::{
    snapshot, ApplicationFields, ApplicationRow, EngagementRow, EvidenceFile, FilesOf, NewAudit,
    RoleRow, RoundRow, Store,
};
use serde::Serialize;
use std::collections::BTreeMap;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The state's program, or a refusal naming the state that has none.
pub fn program(state: &State) -> Result<&Partners, AppError> {
    state.partners.as_ref().ok_or_else(|| {
        AppError::NotFound(format!(
            "{} does not run a Peer Learning Partners program (no [partners] in its state.toml)",
            state.manifest.name
        ))
    })
}

fn date(field: &str, s: &str) -> Result<Date, AppError> {
    s.trim().parse().map_err(|_| {
        invalid(
            field,
            format!("`{s}` is not a date: write it as 2026-11-30"),
        )
    })
}

// ---------------------------------------------------------------- rounds

/// Opens a round (state administrators).
pub async fn create_round(
    store: &Store,
    actor: Option<&Actor>,
    name: &str,
    opens_on: &str,
    due_on: &str,
    decision_on: &str,
    now: i64,
) -> Result<RoundRow, AppError> {
    policy::manage_partner_rounds(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid(
            "name",
            "give the round a name of 1 to 200 characters",
        ));
    }
    let dates = engine::RoundDates {
        opens_on: date("opens_on", opens_on)?,
        due_on: date("due_on", due_on)?,
        decision_on: date("decision_on", decision_on)?,
    };
    engine::check_dates(&dates).map_err(|e| invalid("due_on", e))?;
    let mut tx = store.write().await?;
    let round = tx
        .insert_round(
            name,
            &dates.opens_on.to_string(),
            &dates.due_on.to_string(),
            &dates.decision_on.to_string(),
            Some(actor.user_id),
            now,
        )
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "partner-round.create",
        "partner-round",
        round.id,
        None,
        Some(snapshot(&round)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(round)
}

/// The default round of the school year that `today` falls in (rules
/// data), for demonstrations and as the form's suggestion.
pub fn default_round(
    rules: &PlpRules,
    today: Date,
) -> Result<(String, engine::RoundDates), AppError> {
    let start = rules.school_year_of(today);
    rules.default_round(start).map_err(AppError::Refused)
}

/// The demonstration's round (`serve --demo`): the default round of the
/// school year `now` falls in, in the state's time zone.
pub async fn demo_round(
    state: &State,
    store: &Store,
    admin: &Actor,
    now: i64,
) -> Result<Option<RoundRow>, AppError> {
    let Some(partners) = state.partners.as_ref() else {
        return Ok(None);
    };
    let today = crate::clock::date_in(&state.manifest.time_zone, now)?;
    let (name, d) = default_round(&partners.rules, today)?;
    create_round(
        store,
        Some(admin),
        &name,
        &d.opens_on.to_string(),
        &d.due_on.to_string(),
        &d.decision_on.to_string(),
        now,
    )
    .await
    .map(Some)
}

// ---------------------------------------------------------------- applications

/// What an applicant chose, each list in order without repeats.
fn normalized(f: &ApplicationFields) -> ApplicationFields {
    let tidy = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.trim().to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    ApplicationFields {
        regions: tidy(&f.regions),
        priority_areas: tidy(&f.priority_areas),
        services: tidy(&f.services),
        ..f.clone()
    }
}

/// Checks what an applicant chose against the program's vocabularies.
pub fn check_fields(partners: &Partners, f: &ApplicationFields) -> Result<(), AppError> {
    if f.regions.is_empty() {
        return Err(invalid(
            "regions",
            "choose at least one region the school will serve",
        ));
    }
    for r in &f.regions {
        if partners.region_name(r).is_none() {
            return Err(invalid(
                "regions",
                format!("`{r}` is not a region: give the two-character codes"),
            ));
        }
    }
    if f.priority_areas.is_empty() {
        return Err(invalid(
            "priority_areas",
            "choose at least one priority area",
        ));
    }
    for a in &f.priority_areas {
        if !partners.rules.is_priority_area(a) {
            let known: Vec<&str> = partners
                .rules
                .priority_area
                .iter()
                .map(|a| a.code.as_str())
                .collect();
            return Err(invalid(
                "priority_areas",
                format!("`{a}` is not a priority area: one of {}", known.join(", ")),
            ));
        }
    }
    for s in &f.services {
        if !partners.rules.is_service(s) {
            let known: Vec<&str> = partners
                .rules
                .service
                .iter()
                .map(|s| s.code.as_str())
                .collect();
            return Err(invalid(
                "services",
                format!("`{s}` is not a service: one of {}", known.join(", ")),
            ));
        }
    }
    if !(1..=100).contains(&f.capacity) {
        return Err(invalid(
            "capacity",
            "capacity is how many schools at once: 1 to 100",
        ));
    }
    for c in &f.contacts {
        if c.name.trim().is_empty() {
            return Err(invalid("contacts", "every contact needs a name"));
        }
        crate::accounts::email(&c.email).map_err(|_| {
            invalid(
                "contacts",
                format!("`{}` is not an e-mail address", c.email),
            )
        })?;
    }
    for (field, text) in [
        ("evidence.sustained_success", &f.evidence.sustained_success),
        ("evidence.replication_plan", &f.evidence.replication_plan),
        (
            "evidence.capacity_to_support",
            &f.evidence.capacity_to_support,
        ),
    ] {
        if text.chars().count() > 10_000 {
            return Err(invalid(field, "at most 10,000 characters"));
        }
    }
    Ok(())
}

/// A school's facts from its report card, as the application shows them
/// (not retyped, not editable).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Prefill {
    pub rcdts: String,
    pub name: String,
    pub district: String,
    pub district_name: String,
    pub city: String,
    pub county: String,
    pub grades: Vec<String>,
    pub enrollment: Option<f64>,
    pub demographics: Vec<empower_store::Share>,
    /// The current designation of record: designation, year, source.
    pub designation: Option<(String, u16, String)>,
    /// The latest explanation's indicators: label, value, score.
    pub indicators: Vec<(String, Option<f64>, Option<f64>)>,
}

/// The report card's facts of a school.
pub async fn prefill(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    school: &str,
) -> Result<Prefill, AppError> {
    let p = crate::public::school(state, cache, store, school)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no school {school}")))?;
    let designation = current_designation(&p.school.designations).and_then(|d| {
        Some((
            d.designation.clone()?,
            d.year,
            d.source.as_str().to_string(),
        ))
    });
    Ok(Prefill {
        designation,
        indicators: p
            .indicators
            .iter()
            .map(|i| (i.label.clone(), i.value, i.score))
            .collect(),
        enrollment: p.enrollment,
        demographics: p.demographics,
        rcdts: p.school.rcdts,
        name: p.school.name,
        district: p.school.district,
        district_name: p.school.district_name,
        city: p.school.city,
        county: p.school.county,
        grades: p.school.grades,
    })
}

/// Starts a draft application for a school in a round (the school's
/// leaders).
pub async fn create_application(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    school: &str,
    round_id: i64,
    fields: &ApplicationFields,
    now: i64,
) -> Result<ApplicationRow, AppError> {
    let partners = program(state)?;
    let school = state
        .catalogue
        .school_id
        .parse(school)
        .map_err(|e| invalid("school_rcdts", e.to_string()))?
        .to_string();
    policy::apply_as_partner(actor, &school)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if store.school_place(&school).await?.is_none() {
        return Err(invalid(
            "school_rcdts",
            format!("there is no school {school}"),
        ));
    }
    if store.round(round_id).await?.is_none() {
        return Err(invalid("round_id", format!("there is no round {round_id}")));
    }
    let fields = &normalized(fields);
    check_fields(partners, fields)?;
    let mut tx = store.write().await?;
    let id = tx
        .insert_application(&school, round_id, fields, Some(actor.user_id), now)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "school {school} has an application in this round already"
            ))
        })?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "partner-application.create",
        "partner-application",
        id,
        None,
        Some(snapshot(fields)),
        now,
    )
    .await?;
    tx.commit().await?;
    application(store, id).await
}

async fn application(store: &Store, id: i64) -> Result<ApplicationRow, AppError> {
    store
        .application(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no application {id}")))
}

/// Changes a draft (its school's leaders).
pub async fn update_application(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    fields: &ApplicationFields,
    now: i64,
) -> Result<ApplicationRow, AppError> {
    let partners = program(state)?;
    let before = application(store, id).await?;
    policy::apply_as_partner(actor, &before.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if before.status != "draft" {
        return Err(AppError::Conflict(format!(
            "the application is {}; only a draft can be changed",
            before.status
        )));
    }
    let fields = &normalized(fields);
    check_fields(partners, fields)?;
    let mut tx = store.write().await?;
    tx.update_application(id, fields, now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "partner-application.update",
        "partner-application",
        id,
        Some(snapshot(&before.fields)),
        Some(snapshot(fields)),
        now,
    )
    .await?;
    tx.commit().await?;
    application(store, id).await
}

/// Submits a draft: the school must be eligible (its current designation
/// of record), the round open on `today`; the report card's facts are
/// kept with it.
#[allow(clippy::too_many_arguments)]
pub async fn submit_application(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    today: Date,
    now: i64,
) -> Result<ApplicationRow, AppError> {
    let partners = program(state)?;
    let app = application(store, id).await?;
    policy::apply_as_partner(actor, &app.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if app.status != "draft" {
        return Err(AppError::Conflict(format!(
            "the application is {} already",
            app.status
        )));
    }
    let facts = prefill(state, cache, store, &app.school_rcdts).await?;
    engine::eligibility(
        &partners.rules,
        facts.designation.as_ref().map(|d| d.0.as_str()),
    )
    .map_err(AppError::Refused)?;
    let round = store
        .round(app.round_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no round {}", app.round_id)))?;
    let dates = round_dates(&round)?;
    if let Some(refusal) = engine::window(&dates, today).refusal(&dates) {
        return Err(AppError::Conflict(refusal));
    }
    let mut tx = store.write().await?;
    if !tx.move_application(id, "draft", "submitted", now).await? {
        return Err(AppError::Conflict(
            "the application was submitted already".into(),
        ));
    }
    tx.record_submission(id, &snapshot(&facts), now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "partner-application.submit",
        "partner-application",
        id,
        None,
        Some(snapshot(&facts)),
        now,
    )
    .await?;
    tx.commit().await?;
    application(store, id).await
}

fn round_dates(r: &RoundRow) -> Result<engine::RoundDates, AppError> {
    Ok(engine::RoundDates {
        opens_on: date("opens_on", &r.opens_on)?,
        due_on: date("due_on", &r.due_on)?,
        decision_on: date("decision_on", &r.decision_on)?,
    })
}

/// The state approves or declines a submitted application with a reason;
/// approving makes the school's leaders its partner contacts.
pub async fn decide(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    decision: &str,
    reason: &str,
    now: i64,
) -> Result<ApplicationRow, AppError> {
    policy::decide_partner_applications(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let to = match decision {
        "approved" | "declined" => decision,
        other => {
            return Err(invalid(
                "decision",
                format!("`{other}` is not a decision: approved or declined"),
            ))
        }
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "reason",
            "give the reason for the decision; the applicant sees it",
        ));
    }
    let app = application(store, id).await?;
    let flagged = app.status == "approved" && app.review_reason.is_some();
    let from = if flagged { "approved" } else { "submitted" };
    if app.status != from {
        return Err(AppError::Conflict(format!(
            "the application is {}; only a submitted application (or a partner flagged for review) is decided",
            app.status
        )));
    }
    let mut tx = store.write().await?;
    if !tx.move_application(id, from, to, now).await? {
        return Err(AppError::Conflict(
            "the application was decided already".into(),
        ));
    }
    tx.record_decision(id, reason, actor.user_id, now).await?;
    if to == "approved" {
        for leader in store.people_scoped_to(&[&app.school_rcdts]).await? {
            if leader.1.role == Role::SchoolLeader.as_str() {
                let contact = RoleRow {
                    role: Role::PartnerContact.as_str().into(),
                    scope: app.school_rcdts.clone(),
                };
                tx.add_role(leader.0.id, &contact, now).await?;
            }
        }
    }
    #[derive(Serialize)]
    struct Decision<'a> {
        status: &'a str,
        reason: &'a str,
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "partner-application.decide",
        "partner-application",
        id,
        Some(snapshot(&Decision {
            status: &app.status,
            reason: app.decision_reason.as_deref().unwrap_or(""),
        })),
        Some(snapshot(&Decision { status: to, reason })),
        now,
    )
    .await?;
    tx.commit().await?;
    application(store, id).await
}

/// After a publication: every approved partner whose current designation
/// of record is no longer eligible is flagged for the state's review
/// (never silently kept or dropped). Returns the applications flagged.
pub async fn flag_dropped_partners(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    now: i64,
) -> Result<Vec<i64>, AppError> {
    let Some(partners) = state.partners.as_ref() else {
        return Ok(Vec::new());
    };
    let directory = cache.get(store).await?;
    let mut flagged = Vec::new();
    let approved = store.applications(None, Some("approved")).await?;
    let mut tx = store.write().await?;
    for a in approved.iter().filter(|a| a.review_reason.is_none()) {
        let designation = directory
            .school(&a.school_rcdts)
            .and_then(|(s, _)| current_designation(&s.designations))
            .map(|d| (d.designation.clone(), d.year));
        let d = designation.as_ref().and_then(|(d, _)| d.as_deref());
        if engine::needs_review(&partners.rules, d) {
            let reason = match &designation {
                Some((Some(d), year)) => format!("its designation of record is now {d} ({year})"),
                _ => "it has no current designation of record".to_string(),
            };
            if tx.flag_for_review(a.id, &reason, now).await? {
                tx.audit(&NewAudit {
                    at: now,
                    actor: "publication".into(),
                    action: "partner-application.flag".into(),
                    entity: "partner-application".into(),
                    entity_id: a.id.to_string(),
                    before: None,
                    after: Some(snapshot(&reason)),
                })
                .await?;
                flagged.push(a.id);
            }
        }
    }
    tx.commit().await?;
    Ok(flagged)
}

// ---------------------------------------------------------------- directory and recommendations

/// An approved partner as the directory shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartnerEntry {
    pub application_id: i64,
    pub rcdts: String,
    pub name: String,
    pub city: String,
    pub regions: Vec<String>,
    pub priority_areas: Vec<String>,
    pub services: Vec<String>,
    pub capacity: u32,
    pub capacity_left: u32,
    pub evidence_summary: String,
    /// Why the state reviews it, if it is flagged.
    pub review_reason: Option<String>,
}

/// Approved partners (the latest approval of each school), filtered by
/// priority area and region, ordered by name.
pub async fn directory(
    cache: &DirectoryCache,
    store: &Store,
    priority_area: Option<&str>,
    region: Option<&str>,
) -> Result<Vec<PartnerEntry>, AppError> {
    let schools = cache.get(store).await?;
    let mut latest: BTreeMap<String, ApplicationRow> = BTreeMap::new();
    for a in store.applications(None, Some("approved")).await? {
        latest.entry(a.school_rcdts.clone()).or_insert(a);
    }
    let mut out = Vec::new();
    for (rcdts, a) in latest {
        if priority_area.is_some_and(|p| !a.fields.priority_areas.iter().any(|x| x == p))
            || region.is_some_and(|r| !a.fields.regions.iter().any(|x| x == r))
        {
            continue;
        }
        let engaged = store
            .engagements(None, Some(a.id))
            .await?
            .iter()
            .filter(|e| e.status == "accepted")
            .count() as u32;
        let (name, city) = schools
            .school(&rcdts)
            .map(|(s, _)| (s.name.clone(), s.city.clone()))
            .unwrap_or_else(|| (rcdts.clone(), String::new()));
        let summary: String = a
            .fields
            .evidence
            .sustained_success
            .chars()
            .take(280)
            .collect();
        out.push(PartnerEntry {
            application_id: a.id,
            rcdts,
            name,
            city,
            regions: a.fields.regions,
            priority_areas: a.fields.priority_areas,
            services: a.fields.services,
            capacity: a.fields.capacity,
            capacity_left: a.fields.capacity.saturating_sub(engaged),
            evidence_summary: summary,
            review_reason: a.review_reason,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.rcdts.cmp(&b.rcdts)));
    Ok(out)
}

/// Partners ranked for a school in support, each with its reasons.
pub async fn recommendations(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    school: &str,
) -> Result<Vec<Recommendation>, AppError> {
    let partners = program(state)?;
    let school = state
        .catalogue
        .school_id
        .parse(school)
        .map_err(|e| AppError::NotFound(e.to_string()))?
        .to_string();
    let dir = cache.get(store).await?;
    let (item, statuses) = dir
        .school(&school)
        .ok_or_else(|| AppError::NotFound(format!("there is no school {school}")))?;
    let status = statuses.last().and_then(|s| s.status.clone());
    if !status
        .as_ref()
        .is_some_and(|s| partners.rules.support_statuses.contains(s))
    {
        return Err(AppError::Refused(format!(
            "recommendations are for schools in {} support; {} is {}",
            partners.rules.support_statuses.join(", "),
            item.name,
            status
                .map(|s| format!("in {s} status"))
                .unwrap_or_else(|| "not in support".into())
        )));
    }
    let (profile, explanations) = store
        .profile(&school)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no school {school}")))?;
    let band = current_designation(&item.designations).and_then(|d| d.band.clone());
    let explanation = explanations
        .iter()
        .find(|e| e.band.map(|b| b.as_str().to_string()) == band)
        .or(explanations.first());
    let region = item.region.clone();
    let need = SchoolInNeed {
        region_name: partners.region_name(&region).unwrap_or("").to_string(),
        region,
        // The area the school chose in its latest needs assessment.
        chosen_area: crate::improvement::chosen_priority_area(store, &school).await?,
        indicators: explanation
            .map(|e| {
                e.indicators
                    .iter()
                    .filter_map(|i| {
                        Some(engine::IndicatorScore {
                            indicator: i.name.to_string(),
                            label: i.label.to_string(),
                            score: i.score?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        gaps: weakest_gaps(&profile.gaps),
    };
    let mut candidates = Vec::new();
    for p in directory(cache, store, None, None).await? {
        if p.review_reason.is_some() {
            continue;
        }
        let (partner_profile, partner_explanations) = match store.profile(&p.rcdts).await? {
            Some(x) => x,
            None => continue,
        };
        let scores = partner_explanations
            .iter()
            .find(|e| explanation.is_some_and(|x| x.band == e.band))
            .or(partner_explanations.first())
            .map(|e| {
                e.indicators
                    .iter()
                    .filter_map(|i| Some((i.name.to_string(), i.score?)))
                    .collect()
            })
            .unwrap_or_default();
        candidates.push(Candidate {
            distance: profile
                .similar
                .iter()
                .find(|s| s.rcdts == p.rcdts)
                .map(|s| s.distance),
            higher_performing: partner_profile
                .higher_performing
                .iter()
                .filter(|h| h.higher_performing)
                .map(|h| h.subject.clone())
                .collect(),
            indicator_scores: scores,
            rcdts: p.rcdts,
            name: p.name,
            regions: p.regions,
            priority_areas: p.priority_areas,
            capacity: p.capacity,
            engaged: p.capacity - p.capacity_left,
        });
    }
    Ok(engine::recommend(&partners.rules, &need, &candidates))
}

/// Each subject's gap of the latest year (the all-grades gap where there
/// is one, else the lowest of its grades).
fn weakest_gaps(gaps: &[empower_store::OpportunityGap]) -> Vec<(String, f64)> {
    let Some(year) = gaps.iter().map(|g| g.year).max() else {
        return Vec::new();
    };
    let mut by_subject: BTreeMap<String, f64> = BTreeMap::new();
    for g in gaps.iter().filter(|g| g.year == year) {
        let all = gaps
            .iter()
            .any(|x| x.year == year && x.subject == g.subject && x.grade == "all");
        if all && g.grade != "all" {
            continue;
        }
        let e = by_subject.entry(g.subject.clone()).or_insert(g.gap);
        *e = e.min(g.gap);
    }
    by_subject.into_iter().collect()
}

// ---------------------------------------------------------------- engagements

/// What an engagement records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EngagementFields {
    pub school_rcdts: String,
    pub partner_rcdts: String,
    pub priority_area: String,
    pub starts_on: String,
    pub ends_on: String,
    pub agreement: String,
    pub budget_cents: i64,
    pub budget_description: String,
}

/// Records an engagement of a school with an approved partner (the
/// state, or the school's district leaders).
pub async fn create_engagement(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    f: &EngagementFields,
    now: i64,
) -> Result<EngagementRow, AppError> {
    let partners = program(state)?;
    let school = state
        .catalogue
        .school_id
        .parse(&f.school_rcdts)
        .map_err(|e| invalid("school_rcdts", e.to_string()))?
        .to_string();
    let (_, district) = store
        .school_place(&school)
        .await?
        .ok_or_else(|| invalid("school_rcdts", format!("there is no school {school}")))?;
    policy::record_engagement(actor, &district)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let partner = store
        .applications(Some(f.partner_rcdts.trim()), Some("approved"))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            invalid(
                "partner_rcdts",
                format!("{} is not an approved partner", f.partner_rcdts.trim()),
            )
        })?;
    if !partners.rules.is_priority_area(&f.priority_area) {
        return Err(invalid(
            "priority_area",
            format!("`{}` is not a priority area", f.priority_area),
        ));
    }
    let starts = date("starts_on", &f.starts_on)?;
    let ends = date("ends_on", &f.ends_on)?;
    if ends < starts {
        return Err(invalid(
            "ends_on",
            format!("the engagement ends on {ends}, before it starts on {starts}"),
        ));
    }
    if f.budget_cents < 0 {
        return Err(invalid("budget_cents", "a budget is 0 cents or more"));
    }
    if f.agreement.trim().is_empty() {
        return Err(invalid("agreement", "describe the agreement"));
    }
    let mut tx = store.write().await?;
    let id = tx
        .insert_engagement(
            &school,
            partner.id,
            &f.priority_area,
            &starts.to_string(),
            &ends.to_string(),
            f.agreement.trim(),
            f.budget_cents,
            f.budget_description.trim(),
            Some(actor.user_id),
            now,
        )
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "engagement.create",
        "engagement",
        id,
        None,
        Some(snapshot(f)),
        now,
    )
    .await?;
    tx.commit().await?;
    engagement(store, id).await
}

async fn engagement(store: &Store, id: i64) -> Result<EngagementRow, AppError> {
    store
        .engagement(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no engagement {id}")))
}

/// The partner's contact accepts an engagement; the partner's capacity
/// left goes down by one.
pub async fn accept_engagement(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<EngagementRow, AppError> {
    let e = engagement(store, id).await?;
    let partner = application(store, e.partner_application_id).await?;
    policy::accept_engagement(actor, &partner.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut tx = store.write().await?;
    if !tx.accept_engagement(id, actor.user_id, now).await? {
        return Err(AppError::Conflict(
            "the engagement was accepted already".into(),
        ));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "engagement.accept",
        "engagement",
        id,
        Some(snapshot(&"proposed")),
        Some(snapshot(&"accepted")),
        now,
    )
    .await?;
    tx.commit().await?;
    engagement(store, id).await
}

// ---------------------------------------------------------------- evidence files

/// The application of `id` if `actor` may see it (the school's people,
/// its district's leaders, the state, its partner contacts).
pub async fn visible_application(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<ApplicationRow, AppError> {
    let app = application(store, id).await?;
    let district = store
        .school_place(&app.school_rcdts)
        .await?
        .map(|p| p.1)
        .unwrap_or_default();
    policy::see_partner_application(actor, &app.school_rcdts, &district)?;
    Ok(app)
}

/// Attaches a file to a draft as evidence (its school's leaders), within
/// the platform's limits; the type is checked from the bytes.
pub async fn add_evidence_file(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    file_name: &str,
    bytes: &[u8],
    now: i64,
) -> Result<EvidenceFile, AppError> {
    let app = application(store, id).await?;
    policy::apply_as_partner(actor, &app.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if app.status != "draft" {
        return Err(AppError::Conflict(format!(
            "the application is {}; files are added to a draft only",
            app.status
        )));
    }
    uploads::attach(store, actor, application_files(id), file_name, bytes, now).await
}

fn application_files(id: i64) -> uploads::Attach<'static> {
    uploads::Attach {
        of: FilesOf::Application(id),
        indicator: None,
        max_files: uploads::MAX_FILES,
        record: "an application",
        entity: "partner-application",
    }
}

/// Removes a file from a draft (its school's leaders).
pub async fn remove_evidence_file(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    file_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let app = application(store, id).await?;
    policy::apply_as_partner(actor, &app.school_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    if app.status != "draft" {
        return Err(AppError::Conflict(format!(
            "the application is {}; files are removed from a draft only",
            app.status
        )));
    }
    uploads::detach(store, actor, application_files(id), file_id, now).await
}

/// An evidence file and its bytes, for those who may see the application.
pub async fn evidence_file(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    file_id: i64,
) -> Result<(EvidenceFile, Vec<u8>), AppError> {
    visible_application(store, actor, id).await?;
    store
        .evidence_file(FilesOf::Application(id), file_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("application {id} has no file {file_id}")))
}

// ---------------------------------------------------------------- what the pages show

/// The round a new application goes to on `today` (the open one, else
/// the next to open).
pub async fn round_for_new_applications(
    store: &Store,
    today: Date,
) -> Result<Option<RoundRow>, AppError> {
    let rounds = store.rounds().await?;
    let mut dated = Vec::new();
    for (i, r) in rounds.iter().enumerate() {
        dated.push((i, round_dates(r)?));
    }
    Ok(engine::round_for_new_applications(&dated, today).map(|i| rounds[i].clone()))
}

/// Every round, newest first (the state's page).
pub async fn rounds(store: &Store, actor: Option<&Actor>) -> Result<Vec<RoundRow>, AppError> {
    policy::manage_partner_rounds(actor)?;
    Ok(store.rounds().await?)
}

/// An application as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplicationView {
    pub application: ApplicationRow,
    pub round: RoundRow,
    /// The report card's facts: as submitted, else as they are now.
    pub facts: Prefill,
    pub files: Vec<EvidenceFile>,
    /// Why the school may not submit, if it may not (its designation).
    pub ineligible: Option<String>,
    /// Why the round does not take it on `today`, if it does not.
    pub window_closed: Option<String>,
}

/// An application with everything its page shows, for those who may see
/// it.
pub async fn application_view(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    today: Date,
) -> Result<ApplicationView, AppError> {
    let partners = program(state)?;
    let application = visible_application(store, actor, id).await?;
    let round = store
        .round(application.round_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no round {}", application.round_id)))?;
    let live = prefill(state, cache, store, &application.school_rcdts).await?;
    let facts = application
        .prefill
        .as_ref()
        .and_then(|p| <Prefill as serde::Deserialize>::deserialize(p.clone()).ok())
        .unwrap_or_else(|| live.clone());
    let ineligible = engine::eligibility(
        &partners.rules,
        live.designation.as_ref().map(|d| d.0.as_str()),
    )
    .err();
    let dates = round_dates(&round)?;
    Ok(ApplicationView {
        files: store.evidence_files(FilesOf::Application(id)).await?,
        window_closed: engine::window(&dates, today).refusal(&dates),
        ineligible,
        facts,
        round,
        application,
    })
}

/// An application in a list: with its school's and round's names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplicationItem {
    pub application: ApplicationRow,
    pub school_name: String,
    pub round_name: String,
}

/// The applications `actor` may see, newest first: every one for the
/// state; those of one's schools and district otherwise.
pub async fn applications_for(
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<ApplicationItem>, AppError> {
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let directory = cache.get(store).await?;
    let rounds: BTreeMap<i64, String> = store
        .rounds()
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(store
        .applications(None, None)
        .await?
        .into_iter()
        .filter_map(|a| {
            let school = directory.school(&a.school_rcdts).map(|(s, _)| s);
            let district = school.map_or("", |s| s.district.as_str());
            policy::see_partner_application(Some(actor), &a.school_rcdts, district).ok()?;
            Some(ApplicationItem {
                school_name: school.map_or_else(|| a.school_rcdts.clone(), |s| s.name.clone()),
                round_name: rounds.get(&a.round_id).cloned().unwrap_or_default(),
                application: a,
            })
        })
        .collect())
}

/// A partner's public page: its latest approved application and its
/// engagements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartnerPage {
    pub entry: PartnerEntry,
    pub evidence: empower_store::Evidence,
    pub engagements: Vec<EngagementView>,
}

/// An engagement with the names of both schools.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngagementView {
    #[serde(flatten)]
    pub engagement: EngagementRow,
    pub school_name: String,
    /// The district of the school in support (whose leaders see the
    /// agreement and budget).
    pub school_district: String,
    pub partner_rcdts: String,
    pub partner_name: String,
}

async fn engagement_views(
    cache: &DirectoryCache,
    store: &Store,
    rows: Vec<EngagementRow>,
) -> Result<Vec<EngagementView>, AppError> {
    let directory = cache.get(store).await?;
    let name = |rcdts: &str| {
        directory
            .school(rcdts)
            .map(|(s, _)| s.name.clone())
            .unwrap_or_else(|| rcdts.to_string())
    };
    let mut out = Vec::new();
    for e in rows {
        let partner_rcdts = application(store, e.partner_application_id)
            .await?
            .school_rcdts;
        out.push(EngagementView {
            school_name: name(&e.school_rcdts),
            school_district: directory
                .school(&e.school_rcdts)
                .map(|(s, _)| s.district.clone())
                .unwrap_or_default(),
            partner_name: name(&partner_rcdts),
            partner_rcdts,
            engagement: e,
        });
    }
    Ok(out)
}

/// The approved partner `rcdts`, or `None` when it is not one.
pub async fn partner_page(
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<Option<PartnerPage>, AppError> {
    let Some(entry) = directory(cache, store, None, None)
        .await?
        .into_iter()
        .find(|p| p.rcdts == rcdts)
    else {
        return Ok(None);
    };
    let evidence = application(store, entry.application_id)
        .await?
        .fields
        .evidence;
    let rows = store.engagements(None, Some(entry.application_id)).await?;
    Ok(Some(PartnerPage {
        engagements: engagement_views(cache, store, rows).await?,
        evidence,
        entry,
    }))
}

/// A school's engagements: with partners (as the school in support) and,
/// when it is a partner, with the schools it supports.
pub async fn engagements_of_school(
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<Vec<EngagementView>, AppError> {
    let mut rows = store.engagements(Some(rcdts), None).await?;
    for a in store.applications(Some(rcdts), Some("approved")).await? {
        rows.extend(store.engagements(None, Some(a.id)).await?);
    }
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    engagement_views(cache, store, rows).await
}

/// A partner the engagement form offers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartnerOption {
    pub rcdts: String,
    pub name: String,
    pub city: String,
    /// Its recommendation score for the school, when the school is in
    /// support.
    pub score: Option<f64>,
    pub capacity_left: u32,
}

/// What the engagement form of a school offers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngagementOptions {
    pub school: empower_store::SchoolListItem,
    /// Whether the partners are in the order recommended for the school.
    pub ranked: bool,
    pub partners: Vec<PartnerOption>,
}

/// The approved partners a school may engage, best fit first when the
/// school is in support (those who may record its engagements).
pub async fn engagement_options(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    school: &str,
) -> Result<EngagementOptions, AppError> {
    program(state)?;
    let schools = cache.get(store).await?;
    let item = schools
        .school(school)
        .map(|(s, _)| s.clone())
        .ok_or_else(|| AppError::NotFound(format!("there is no school {school}")))?;
    policy::record_engagement(actor, &item.district)?;
    let entries = directory(cache, store, None, None).await?;
    let city = |rcdts: &str| {
        entries
            .iter()
            .find(|e| e.rcdts == rcdts)
            .map(|e| e.city.clone())
            .unwrap_or_default()
    };
    let (ranked, partners) = match recommendations(state, cache, store, school).await {
        Ok(list) => (
            true,
            list.into_iter()
                .map(|r| PartnerOption {
                    city: city(&r.partner_rcdts),
                    rcdts: r.partner_rcdts,
                    name: r.name,
                    score: Some(r.score),
                    capacity_left: r.capacity_left,
                })
                .collect(),
        ),
        Err(AppError::Refused(_)) => (
            false,
            entries
                .into_iter()
                .filter(|e| e.review_reason.is_none())
                .map(|e| PartnerOption {
                    rcdts: e.rcdts,
                    name: e.name,
                    city: e.city,
                    score: None,
                    capacity_left: e.capacity_left,
                })
                .collect(),
        ),
        Err(e) => return Err(e),
    };
    Ok(EngagementOptions {
        school: item,
        ranked,
        partners,
    })
}

/// The partner school of an engagement.
pub async fn engagement_partner(store: &Store, e: &EngagementRow) -> Result<String, AppError> {
    Ok(application(store, e.partner_application_id)
        .await?
        .school_rcdts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, AccountSettings};
    use empower_store::testing::TestDatabase;
    use empower_store::*;

    const T0: i64 = 1_800_000_000;

    fn school(rcdts: &str, name: &str) -> School {
        School {
            rcdts: rcdts.into(),
            name: name.into(),
            district: "010010010260000".into(),
            district_name: "Payson CUSD 1".into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: rcdts[..2].into(),
            grades: vec!["K".into(), "1".into()],
            profile: Profile::default(),
        }
    }

    fn official(rcdts: &str, year: u16, d: &str) -> DesignationRow {
        DesignationRow {
            year,
            rcdts: rcdts.into(),
            band: None,
            source: DesignationSource::Official,
            designation: Some(d.into()),
            index: None,
            reasons: String::new(),
            of_record: true,
        }
    }

    /// Payson Elementary (Commendable in 2018) and Seymour (Targeted);
    /// with `dropped`, a 2019 publication makes Payson Targeted.
    fn publication(dropped: bool) -> Publication {
        let mut designations = vec![
            official("010010010262002", 2018, "Commendable"),
            official("010010010262003", 2018, "Targeted"),
        ];
        if dropped {
            designations.push(official("010010010262002", 2019, "Targeted"));
        }
        Publication {
            sources_sha256: format!("set-{dropped}"),
            summary: "test".into(),
            years: vec![],
            districts: vec![District {
                rcdts: "010010010260000".into(),
                name: "Payson CUSD 1".into(),
                city: "Payson".into(),
                county: "Adams".into(),
                region: "01".into(),
            }],
            schools: vec![
                school("010010010262002", "Payson Elementary"),
                school("010010010262003", "Seymour Elementary"),
            ],
            designations,
            explanations: vec![],
            statuses: vec![],
        }
    }

    fn fields() -> ApplicationFields {
        ApplicationFields {
            regions: vec!["01".into()],
            priority_areas: vec!["culture-climate".into()],
            services: vec!["professional-learning".into()],
            capacity: 2,
            contacts: vec![],
            evidence: Default::default(),
        }
    }

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn apply_submit_decide_and_flag_when_a_designation_drops() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let settings = AccountSettings::for_tests();
        for db in TestDatabase::each("plp").await {
            let store = &db.store;
            store.publish(&[], &publication(false)).await.unwrap();
            let cache = DirectoryCache::default();
            let mut people = Vec::new();
            for (email, role, scope) in [
                ("admin@example.org", Role::StateAdmin, None),
                ("cy@example.org", Role::StateCoordinator, None),
                (
                    "payson@example.org",
                    Role::SchoolLeader,
                    Some("010010010262002"),
                ),
                (
                    "seymour@example.org",
                    Role::SchoolLeader,
                    Some("010010010262003"),
                ),
            ] {
                accounts::add_user(
                    &state,
                    store,
                    &settings,
                    accounts::By::CommandLine,
                    email,
                    "Someone",
                    role,
                    scope,
                    Some("a good long password"),
                    T0,
                )
                .await
                .unwrap();
                people.push(
                    accounts::sign_in(store, &settings, email, "a good long password", "t", T0)
                        .await
                        .unwrap()
                        .actor,
                );
            }
            let [admin, cy, payson, seymour] = [&people[0], &people[1], &people[2], &people[3]];
            let round = create_round(
                store,
                Some(admin),
                "PLP 2026-2027",
                "2026-11-01",
                "2027-01-15",
                "2027-02-15",
                T0,
            )
            .await
            .unwrap();
            // Only the school's own leader applies for it.
            let e = create_application(
                &state,
                store,
                Some(seymour),
                "010010010262002",
                round.id,
                &fields(),
                T0,
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
            let bad = ApplicationFields {
                regions: vec!["99".into()],
                ..fields()
            };
            let e = create_application(
                &state,
                store,
                Some(payson),
                "010010010262002",
                round.id,
                &bad,
                T0,
            )
            .await
            .unwrap_err();
            assert!(
                e.to_string().starts_with("regions: `99` is not a region"),
                "{e}"
            );
            let app = create_application(
                &state,
                store,
                Some(payson),
                "010010010262002",
                round.id,
                &fields(),
                T0,
            )
            .await
            .unwrap();
            assert_eq!(app.status, "draft");
            // Repeats are dropped and lists kept in order.
            let repeated = ApplicationFields {
                regions: vec!["15".into(), "01".into(), "15".into()],
                ..fields()
            };
            let app = update_application(&state, store, Some(payson), app.id, &repeated, T0)
                .await
                .unwrap();
            assert_eq!(app.fields.regions, ["01", "15"]);

            // A Targeted school cannot submit: 422 with the reason.
            let draft = create_application(
                &state,
                store,
                Some(seymour),
                "010010010262003",
                round.id,
                &fields(),
                T0,
            )
            .await
            .unwrap();
            let e = submit_application(
                &state,
                &cache,
                store,
                Some(seymour),
                draft.id,
                day("2026-12-01"),
                T0,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Refused(m) if m.ends_with("this school's current designation is Targeted")),
                "{e:?}"
            );
            // Evidence files: the school's leader attaches them to the
            // draft; the type is read from the bytes; at most MAX_FILES;
            // those who may see the application read them, others not.
            let pdf = add_evidence_file(
                store,
                Some(payson),
                app.id,
                "results.pdf",
                b"%PDF-1.4 x",
                T0,
            )
            .await
            .unwrap();
            assert_eq!(
                (pdf.content_type.as_str(), pdf.size_bytes),
                ("application/pdf", 10)
            );
            let e = add_evidence_file(store, Some(payson), app.id, "page.pdf", b"<html>", T0)
                .await
                .unwrap_err();
            assert!(
                e.to_string().starts_with("file: page.pdf is not a file"),
                "{e}"
            );
            let e = add_evidence_file(store, Some(seymour), app.id, "a.pdf", b"%PDF-", T0)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
            for i in 1..uploads::MAX_FILES {
                add_evidence_file(
                    store,
                    Some(payson),
                    app.id,
                    &format!("{i}.txt"),
                    b"notes",
                    T0,
                )
                .await
                .unwrap();
            }
            let e = add_evidence_file(store, Some(payson), app.id, "one-more.txt", b"x", T0)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("at most 10 files"), "{e}");
            let (meta, bytes) = evidence_file(store, Some(cy), app.id, pdf.id)
                .await
                .unwrap();
            assert_eq!(
                (meta.file_name.as_str(), bytes.as_slice()),
                ("results.pdf", &b"%PDF-1.4 x"[..])
            );
            assert!(matches!(
                evidence_file(store, Some(seymour), app.id, pdf.id).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                evidence_file(store, None, app.id, pdf.id).await,
                Err(AppError::SignInRequired)
            ));
            let last = store
                .evidence_files(FilesOf::Application(app.id))
                .await
                .unwrap()
                .last()
                .unwrap()
                .id;
            remove_evidence_file(store, Some(payson), app.id, last, T0)
                .await
                .unwrap();
            assert_eq!(
                store
                    .evidence_files(FilesOf::Application(app.id))
                    .await
                    .unwrap()
                    .len() as i64,
                uploads::MAX_FILES - 1
            );
            // The page's view: eligibility and the round's window today.
            let view = application_view(
                &state,
                &cache,
                store,
                Some(payson),
                app.id,
                day("2027-01-16"),
            )
            .await
            .unwrap();
            assert_eq!(view.ineligible, None);
            assert!(view.window_closed.unwrap().contains("it is closed"));
            let view = application_view(
                &state,
                &cache,
                store,
                Some(seymour),
                draft.id,
                day("2026-12-01"),
            )
            .await
            .unwrap();
            assert!(view
                .ineligible
                .unwrap()
                .ends_with("current designation is Targeted"));
            assert_eq!(view.window_closed, None);
            assert_eq!(
                round_for_new_applications(store, day("2026-12-01"))
                    .await
                    .unwrap()
                    .map(|r| r.id),
                Some(round.id)
            );

            // Late: 409 with the dates.
            let e = submit_application(
                &state,
                &cache,
                store,
                Some(payson),
                app.id,
                day("2027-01-16"),
                T0,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Conflict(m) if m.contains("from 2026-11-01 to 2027-01-15")),
                "{e:?}"
            );
            let submitted = submit_application(
                &state,
                &cache,
                store,
                Some(payson),
                app.id,
                day("2027-01-15"),
                T0,
            )
            .await
            .unwrap();
            assert_eq!(submitted.status, "submitted");
            assert!(matches!(
                add_evidence_file(store, Some(payson), app.id, "late.pdf", b"%PDF-", T0).await,
                Err(AppError::Conflict(_))
            ));
            assert_eq!(
                submitted.prefill.as_ref().unwrap()["name"],
                "Payson Elementary"
            );

            // A school leader cannot decide; a coordinator can, with a reason.
            let e = decide(store, Some(payson), app.id, "approved", "fine", T0)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)));
            let e = decide(store, Some(cy), app.id, "approved", " ", T0)
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("reason:"), "{e}");
            let approved = decide(store, Some(cy), app.id, "approved", "sustained growth", T0)
                .await
                .unwrap();
            assert_eq!(approved.status, "approved");
            assert!(matches!(
                decide(store, Some(cy), app.id, "declined", "again", T0).await,
                Err(AppError::Conflict(_))
            ));
            // Its school leader is now its partner contact.
            let roles = store.roles_of(payson.user_id).await.unwrap();
            assert!(roles
                .iter()
                .any(|r| r.role == "partner-contact" && r.scope == "010010010262002"));
            let listed = directory(&cache, store, Some("culture-climate"), Some("01"))
                .await
                .unwrap();
            assert_eq!((listed.len(), listed[0].capacity_left), (1, 2));
            assert!(
                directory(&cache, store, Some("governance-management"), None)
                    .await
                    .unwrap()
                    .is_empty()
            );

            // An engagement: recorded by the state (a school leader may
            // not), accepted by the partner's contact, capacity goes down.
            let f = EngagementFields {
                school_rcdts: "010010010262003".into(),
                partner_rcdts: "010010010262002".into(),
                priority_area: "culture-climate".into(),
                starts_on: "2027-03-01".into(),
                ends_on: "2027-06-30".into(),
                agreement: "Monthly coaching visits".into(),
                budget_cents: 250_000,
                budget_description: "substitute days".into(),
            };
            let e = create_engagement(&state, store, Some(seymour), &f, T0)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
            let backwards = EngagementFields {
                ends_on: "2027-01-01".into(),
                ..f.clone()
            };
            let e = create_engagement(&state, store, Some(cy), &backwards, T0)
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("ends_on:"), "{e}");
            let engagement = create_engagement(&state, store, Some(cy), &f, T0)
                .await
                .unwrap();
            assert_eq!(engagement.status, "proposed");
            let e = accept_engagement(store, Some(seymour), engagement.id, T0)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
            // The actor above was read before the approval made it a
            // partner contact: read it again, as the next request would.
            let contact = accounts::sign_in(
                store,
                &settings,
                "payson@example.org",
                "a good long password",
                "t",
                T0,
            )
            .await
            .unwrap()
            .actor;
            let accepted = accept_engagement(store, Some(&contact), engagement.id, T0)
                .await
                .unwrap();
            assert_eq!(accepted.status, "accepted");
            let listed = directory(&cache, store, None, None).await.unwrap();
            assert_eq!(listed[0].capacity_left, 1);

            // Nothing to flag while it stays Commendable.
            assert!(flag_dropped_partners(&state, &cache, store, T0)
                .await
                .unwrap()
                .is_empty());
            // The next import makes it Targeted: flagged for review, kept.
            store.publish(&[], &publication(true)).await.unwrap();
            let flagged = flag_dropped_partners(&state, &cache, store, T0 + 1)
                .await
                .unwrap();
            assert_eq!(flagged, [app.id]);
            let a = store.application(app.id).await.unwrap().unwrap();
            assert_eq!(a.status, "approved");
            assert_eq!(
                a.review_reason.as_deref(),
                Some("its designation of record is now Targeted (2019)")
            );
            assert!(flag_dropped_partners(&state, &cache, store, T0 + 2)
                .await
                .unwrap()
                .is_empty());
            let log = store
                .audit(
                    &AuditFilter {
                        action: Some("partner-application.flag".into()),
                        ..Default::default()
                    },
                    SchoolPage {
                        page: 1,
                        per_page: 10,
                    },
                )
                .await
                .unwrap();
            assert_eq!((log.total, log.items[0].actor.as_str()), (1, "publication"));
            // The state reviews it: declining ends the partnership.
            let reviewed = decide(
                store,
                Some(cy),
                app.id,
                "declined",
                "no longer Commendable",
                T0 + 3,
            )
            .await
            .unwrap();
            assert_eq!(
                (reviewed.status.as_str(), reviewed.review_reason),
                ("declined", None)
            );
            db.finish().await;
        }
    }

    #[test]
    fn the_school_year_of_a_date_starts_in_the_rules_month() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let rules = &program(&state).unwrap().rules;
        let (name, d) = default_round(rules, day("2026-11-30")).unwrap();
        assert_eq!(name, "Peer Learning Partners 2026-2027");
        assert_eq!(d.opens_on, day("2026-11-01"));
        let (name, _) = default_round(rules, day("2027-03-01")).unwrap();
        assert_eq!(name, "Peer Learning Partners 2026-2027");
    }
}
