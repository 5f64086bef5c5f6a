//! The Teaching Excellence Program on the platform (tep.md): the program
//! administrator opens a fiscal year with its appropriation; educators
//! keep their facts; their employer verifies them; educators request
//! payments, which the ledger engine decides first come, first served in
//! one transaction per request that also moves the year's totals, so that
//! the database refuses any overspend. Each use case asks `policy` first
//! and writes its audit record in the transaction of the change.

use crate::accounts::{audit, Actor, By};
use crate::public::DirectoryCache;
use crate::{clock, policy, AppError};
use empower_calendar::Date;
use empower_states::State;
use empower_store::{
    snapshot, NewTepRequest, Store, TepEducatorRow, TepRequestRow, TepYearRow, Write,
};
use empower_tep::eligibility::Status as Eligible;
use empower_tep::{self as engine, Entry, EntryStatus, FiscalYearRules};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod mentoring;
mod payments;
pub use mentoring::*;
pub use payments::*;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn today(state: &State, now: i64) -> Result<Date, AppError> {
    clock::date_in(&state.manifest.time_zone, now)
}

/// The rules of `fiscal_year`: its own file, else the nearest earlier.
pub fn rules(state: &State, fiscal_year: i16) -> Result<FiscalYearRules, AppError> {
    let all = state.tep.as_deref().unwrap_or_default();
    engine::rules_for(all, fiscal_year).ok_or_else(|| {
        AppError::NotFound(format!(
            "{} has no Teaching Excellence Program rules for fiscal year {fiscal_year}",
            state.manifest.name
        ))
    })
}

/// The fiscal year containing the state's today (July to June).
pub fn current_fiscal_year(state: &State, now: i64) -> Result<i16, AppError> {
    Ok(engine::fiscal_year_of(today(state, now)?))
}

// ---------------------------------------------------------------- fiscal years

/// The appropriation `serve --demo` opens the current fiscal year with.
pub const DEMO_APPROPRIATION_CENTS: i64 = 18_000_000;

/// `serve --demo`'s record: the fiscal year containing today, open with
/// a demonstration appropriation, when the state runs the program.
pub async fn demo_year(
    state: &State,
    store: &Store,
    program_admin: &Actor,
    now: i64,
) -> Result<Option<i16>, AppError> {
    if state.tep.is_none() {
        return Ok(None);
    }
    let fy = current_fiscal_year(state, now)?;
    open_fiscal_year(
        state,
        store,
        Some(program_admin),
        fy,
        DEMO_APPROPRIATION_CENTS,
        now,
    )
    .await?;
    Ok(Some(fy))
}

/// Opens a fiscal year with its appropriation, or changes it (the program
/// administrator); money an increase frees walks the waitlist again.
pub async fn open_fiscal_year(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    appropriation_cents: i64,
    now: i64,
) -> Result<TepYearRow, AppError> {
    policy::administer_tep(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state, fiscal_year)?;
    if appropriation_cents < 0 {
        return Err(invalid("appropriation_cents", "0 or more, in cents"));
    }
    let fy = i64::from(fiscal_year);
    let before = store.tep_year(fy).await?;
    let mut tx = store.write().await?;
    if !tx
        .set_tep_appropriation(fy, appropriation_cents, now)
        .await?
    {
        return Err(invalid(
            "appropriation_cents",
            "below the money already committed and paid this fiscal year",
        ));
    }
    let residual_open = rules.window_closed(today(state, now)?);
    walk_again(&mut tx, &rules, fy, appropriation_cents, residual_open, now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.fiscal-year",
        "tep-fiscal-year",
        fiscal_year,
        before.as_ref().map(snapshot),
        Some(snapshot(&appropriation_cents)),
        now,
    )
    .await?;
    tx.commit().await?;
    store
        .tep_year(fy)
        .await?
        .ok_or_else(|| AppError::NotFound("the fiscal year went missing".into()))
}

/// The verification of each educator with a request in the year.
async fn verifications(
    tx: &mut Write,
    fiscal_year: i64,
) -> Result<BTreeMap<i64, Option<bool>>, AppError> {
    Ok(tx
        .tep_verifications(fiscal_year)
        .await?
        .into_iter()
        .map(|(educator, v)| (educator, v.map(|v| v == "confirmed")))
        .collect())
}

fn entries(requests: &[TepRequestRow], verified: &BTreeMap<i64, Option<bool>>) -> Vec<Entry> {
    requests
        .iter()
        .map(|r| Entry {
            sequence: r.sequence,
            payment_type: r.payment_type.clone(),
            amount_cents: r.amount_cents,
            status: EntryStatus::parse(&r.status).unwrap_or(EntryStatus::Denied),
            verified: verified.get(&r.educator_id).copied().flatten(),
            lapsed: r.lapsed_at.is_some(),
        })
        .collect()
}

/// Walks the waitlist again (money freed, or the window closed) and
/// books what now fits, in the caller's transaction.
async fn walk_again(
    tx: &mut Write,
    rules: &FiscalYearRules,
    fiscal_year: i64,
    appropriation_cents: i64,
    residual_open: bool,
    now: i64,
) -> Result<(), AppError> {
    let mut requests = tx.tep_requests(fiscal_year).await?;
    let verified = verifications(tx, fiscal_year).await?;
    if lapse_reservations(tx, rules, &requests, &verified, now).await? {
        requests = tx.tep_requests(fiscal_year).await?;
    }
    let line = entries(&requests, &verified);
    for (sequence, d) in engine::rewalk(rules, appropriation_cents, &line, residual_open) {
        let Some(r) = requests.iter().find(|r| r.sequence == sequence) else {
            continue;
        };
        move_request(tx, r, d.status, &d.reason, None, now).await?;
    }
    Ok(())
}

/// Reservations that waited longer than the rules allow for the
/// employer's verification go back to the waitlist, keeping their place
/// (marked lapsed, so that they are not reserved again until verified);
/// the caller walks the line after. `true` when any lapsed.
async fn lapse_reservations(
    tx: &mut Write,
    rules: &FiscalYearRules,
    requests: &[TepRequestRow],
    verified: &BTreeMap<i64, Option<bool>>,
    now: i64,
) -> Result<bool, AppError> {
    let mut any = false;
    for r in requests {
        let unverified = verified.get(&r.educator_id).copied().flatten().is_none();
        if r.status == EntryStatus::Reserved.as_str()
            && unverified
            && engine::reservation_lapsed(rules, r.updated_at, now)
        {
            let d = engine::lapse(rules);
            move_request(tx, r, d.status, &d.reason, None, now).await?;
            tx.set_tep_lapsed(r.id, Some(now)).await?;
            any = true;
        }
    }
    Ok(any)
}

/// Moves a request and the year's money with it, and records the
/// decision; the database refuses a move that would overspend.
async fn move_request(
    tx: &mut Write,
    r: &TepRequestRow,
    to: EntryStatus,
    reason: &str,
    by: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    let from = EntryStatus::parse(&r.status).unwrap_or(EntryStatus::Denied);
    if !tx
        .move_tep_request(r.id, from.as_str(), to.as_str(), reason, now)
        .await?
    {
        return Err(AppError::Conflict("the request changed meanwhile".into()));
    }
    let committed = i64::from(to.committed()) - i64::from(from.committed());
    let paid = i64::from(to == EntryStatus::Paid) - i64::from(from == EntryStatus::Paid);
    if committed != 0 || paid != 0 {
        tx.add_tep_money(
            r.fiscal_year,
            committed * r.amount_cents,
            paid * r.amount_cents,
            now,
        )
        .await?;
    }
    tx.insert_tep_entry(r.id, Some(from.as_str()), to.as_str(), reason, by, now)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- educators

/// What an educator says of themselves (api.md's `PUT /tep/educators/me`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EducatorFacts {
    pub license: String,
    pub role: String,
    pub nbpts: String,
    pub district_rcdts: Option<String>,
    pub school_rcdts: Option<String>,
    pub full_time: bool,
    pub originally_assigned: bool,
    pub retired: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(
    field: &str,
    value: &str,
    one_of: &str,
) -> Result<T, AppError> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(value))
        .map_err(|_| invalid(field, format!("`{value}` is not one of {one_of}")))
}

/// The engine's educator from the stored facts.
fn educator(row: &TepEducatorRow) -> Result<engine::Educator, AppError> {
    Ok(engine::Educator {
        license: parse("license", &row.license, "PEL, ELS-CTE, ELS-CTEP, ELS-PCTE")?,
        role: parse("role", &row.role, "teacher, counselor")?,
        nbpts: parse("nbpts", &row.nbpts, "none, candidate, certified, renewal")?,
        full_time: row.full_time,
        originally_assigned: row.originally_assigned,
        retired: row
            .retired
            .as_deref()
            .map(|r| parse("retired", r, "TRS, CTPF"))
            .transpose()?,
        verified: row.verification.as_deref().map(|v| v == "confirmed"),
    })
}

/// Keeps the educator's facts (the educator). The employer verifies the
/// facts as given: changed position facts wait for a new verification.
pub async fn save_educator(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    facts: &EducatorFacts,
    now: i64,
) -> Result<TepEducatorRow, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let dir = cache.get(store).await?;
    let id = |field: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                state
                    .catalogue
                    .school_id
                    .parse(s)
                    .map(|x| x.to_string())
                    .map_err(|e| invalid(field, e.to_string()))
            })
            .transpose()
    };
    let district = id("district_rcdts", &facts.district_rcdts)?;
    let school = id("school_rcdts", &facts.school_rcdts)?;
    if let Some(s) = &school {
        let Some((item, _)) = dir.school(s) else {
            return Err(invalid("school_rcdts", format!("there is no school {s}")));
        };
        if district.as_deref().is_some_and(|d| d != item.district) {
            return Err(invalid(
                "school_rcdts",
                format!(
                    "{} is not a school of district {}",
                    item.name,
                    district.unwrap_or_default()
                ),
            ));
        }
    }
    if facts.retired.is_none() && district.is_none() {
        return Err(invalid(
            "district_rcdts",
            "the employing district (or retired: TRS or CTPF)",
        ));
    }
    let before = store.tep_educator(actor.user_id).await?;
    let mut row = TepEducatorRow {
        user_id: actor.user_id,
        license: facts.license.clone(),
        role: facts.role.clone(),
        nbpts: facts.nbpts.clone(),
        district_rcdts: district.or_else(|| {
            school
                .as_ref()
                .and_then(|s| dir.school(s).map(|(i, _)| i.district.clone()))
        }),
        school_rcdts: school,
        full_time: facts.full_time,
        originally_assigned: facts.originally_assigned,
        retired: facts.retired.clone(),
        ..Default::default()
    };
    educator(&row)?;
    if let Some(b) = &before {
        let same_position = b.district_rcdts == row.district_rcdts
            && b.school_rcdts == row.school_rcdts
            && b.full_time == row.full_time
            && b.originally_assigned == row.originally_assigned
            && b.license == row.license
            && b.role == row.role;
        if same_position {
            row.verification = b.verification.clone();
            row.verification_reason = b.verification_reason.clone();
            row.verified_by = b.verified_by;
            row.verified_at = b.verified_at;
        }
    }
    let mut tx = store.write().await?;
    tx.save_tep_educator(&row, now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.educator",
        "tep-educator",
        actor.user_id,
        before.as_ref().map(snapshot),
        Some(snapshot(&row)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The caller's own facts (an educator).
pub async fn my_facts(store: &Store, actor: Option<&Actor>) -> Result<TepEducatorRow, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    store.tep_educator(actor.user_id).await?.ok_or_else(|| {
        AppError::NotFound("you have not given your license, role and position yet".into())
    })
}

/// The employer (or a district leader) of the educator's district
/// confirms or rejects the position facts. A confirmation funds the
/// educator's reserved requests (and puts lapsed ones back in line); a
/// rejection denies the reserved, funded and waitlisted ones (not those
/// paid) and the money freed walks the waitlist again.
pub async fn verify_educator(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    educator_email: &str,
    decision: &str,
    reason: &str,
    now: i64,
) -> Result<TepEducatorRow, AppError> {
    let confirmed = match decision {
        "confirmed" => true,
        "rejected" => false,
        other => {
            return Err(invalid(
                "decision",
                format!("`{other}` is not a decision: confirmed or rejected"),
            ))
        }
    };
    if !confirmed && reason.trim().is_empty() {
        return Err(invalid("reason", "say why the position facts are rejected"));
    }
    let user = store
        .user_by_email(&educator_email.trim().to_lowercase())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no educator {educator_email}")))?;
    let row = store
        .tep_educator(user.id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{educator_email} has given no facts yet")))?;
    let district = row.district_rcdts.clone().unwrap_or_default();
    policy::verify_positions(actor, &district, user.id)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut verified = row.clone();
    verified.verification = Some(decision.to_string());
    verified.verification_reason = Some(reason.trim().to_string()).filter(|r| !r.is_empty());
    verified.verified_by = Some(actor.user_id);
    verified.verified_at = Some(now);
    let mut tx = store.write().await?;
    tx.save_tep_educator(&verified, now).await?;
    let mut freed_years = Vec::new();
    for r in tx.tep_requests_of(user.id).await? {
        let reserved = r.status == EntryStatus::Reserved.as_str();
        let funded = r.status == EntryStatus::Funded.as_str();
        let waiting = r.status == EntryStatus::Waitlisted.as_str();
        if confirmed && r.lapsed_at.is_some() {
            // A lapsed reservation takes its place again once verified.
            tx.set_tep_lapsed(r.id, None).await?;
            freed_years.push(r.fiscal_year);
        }
        if !(reserved || (!confirmed && (funded || waiting))) {
            continue;
        }
        if confirmed {
            move_request(
                &mut tx,
                &r,
                EntryStatus::Funded,
                "funded: the employer verified the position",
                Some(actor.user_id),
                now,
            )
            .await?;
        } else {
            let why = format!(
                "denied: the employer did not confirm the position ({})",
                reason.trim()
            );
            move_request(
                &mut tx,
                &r,
                EntryStatus::Denied,
                &why,
                Some(actor.user_id),
                now,
            )
            .await?;
            freed_years.push(r.fiscal_year);
        }
    }
    freed_years.sort_unstable();
    freed_years.dedup();
    for fy in freed_years {
        let rules = rules(state, fy as i16)?;
        if let Some(year) = tx.tep_year(fy).await? {
            let residual_open = rules.window_closed(today(state, now)?);
            walk_again(
                &mut tx,
                &rules,
                fy,
                year.appropriation_cents,
                residual_open,
                now,
            )
            .await?;
        }
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.verification",
        "tep-educator",
        user.id,
        Some(snapshot(&row)),
        Some(snapshot(&verified)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(verified)
}

/// What the data holds of the educator's school.
async fn school_facts(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    school: Option<&str>,
) -> Result<engine::SchoolFacts, AppError> {
    let Some(s) = school else {
        return Ok(engine::SchoolFacts::default());
    };
    let profile = crate::public::school(state, cache, store, s).await?;
    Ok(engine::SchoolFacts {
        low_income_pct: profile.as_ref().and_then(|p| {
            p.demographics
                .iter()
                .find(|d| d.group == empower_model::Group::LowIncome.slug())
                .map(|d| d.pct)
        }),
        locale: profile
            .as_ref()
            .and_then(|p| p.locale.as_deref())
            .and_then(engine::locale_code),
    })
}

/// The educator's eligibility for each payment type of the fiscal year,
/// from its rules (even before the appropriation is entered).
pub async fn eligibility(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
) -> Result<Vec<engine::Eligibility>, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state, fiscal_year)?;
    let row = store
        .tep_educator(actor.user_id)
        .await?
        .ok_or_else(|| invalid("educator", "give your license, role and position first"))?;
    let school = school_facts(state, cache, store, row.school_rcdts.as_deref()).await?;
    Ok(engine::eligibility(&rules, &educator(&row)?, &school))
}

// ---------------------------------------------------------------- requests

/// A request as the API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub sequence: i64,
    pub received_at: i64,
    pub status: String,
    pub amount_cents: i64,
    pub reason: String,
}

impl From<&TepRequestRow> for RequestView {
    fn from(r: &TepRequestRow) -> Self {
        RequestView {
            id: r.id,
            sequence: r.sequence,
            received_at: r.received_at,
            status: r.status.clone(),
            amount_cents: r.amount_cents,
            reason: r.reason.clone(),
        }
    }
}

/// An educator's request for a payment: it takes the next place in line
/// and the ledger decides it at once. A repeated idempotency key returns
/// the original (`created: false`); a second request of the same type in
/// the year is `409`.
#[allow(clippy::too_many_arguments)]
pub async fn request_payment(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    payment_type: &str,
    idempotency_key: &str,
    now: i64,
) -> Result<(RequestView, bool), AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let key = idempotency_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(invalid(
            "idempotency_key",
            "a key of 1 to 200 characters, new for each request",
        ));
    }
    if let Some(r) = store.tep_request_by_key(actor.user_id, key).await? {
        return Ok((RequestView::from(&r), false));
    }
    let rules = rules(state, fiscal_year)?;
    let Some(t) = rules.payment_type(payment_type) else {
        return Err(invalid(
            "payment_type",
            format!(
                "`{payment_type}` is not a payment type: one of {}",
                engine::SLUGS.join(", ")
            ),
        ));
    };
    let today = today(state, now)?;
    if !rules.window_open(today) {
        return Err(invalid(
            "fiscal_year",
            format!("requests for fiscal year {fiscal_year} are not taken on {today}"),
        ));
    }
    let row = store
        .tep_educator(actor.user_id)
        .await?
        .ok_or_else(|| invalid("educator", "give your license, role and position first"))?;
    let facts = educator(&row)?;
    let school = school_facts(state, cache, store, row.school_rcdts.as_deref()).await?;
    let answer = engine::eligibility(&rules, &facts, &school)
        .into_iter()
        .find(|e| e.payment_type == t.slug)
        .ok_or_else(|| AppError::NotFound(format!("no answer for {}", t.slug)))?;
    let fy = i64::from(fiscal_year);
    let mut tx = store.write().await?;
    let Some(sequence) = tx.take_tep_sequence(fy).await? else {
        return Err(invalid(
            "fiscal_year",
            format!("fiscal year {fiscal_year} is not open yet: the program administrator enters its appropriation"),
        ));
    };
    let year = tx
        .tep_year(fy)
        .await?
        .ok_or_else(|| AppError::NotFound("the fiscal year went missing".into()))?;
    let mut requests = tx.tep_requests(fy).await?;
    let mut verified = verifications(&mut tx, fy).await?;
    // Reservations past their time free their money for the line first.
    if lapse_reservations(&mut tx, &rules, &requests, &verified, now).await? {
        walk_again(
            &mut tx,
            &rules,
            fy,
            year.appropriation_cents,
            rules.window_closed(today),
            now,
        )
        .await?;
        requests = tx.tep_requests(fy).await?;
        verified = verifications(&mut tx, fy).await?;
    }
    // A retry that raced its original: the original, and no number taken
    // (the transaction is dropped).
    if let Some(r) = requests
        .iter()
        .find(|r| r.educator_id == actor.user_id && r.idempotency_key == key)
    {
        return Ok((RequestView::from(r), false));
    }
    if requests
        .iter()
        .any(|r| r.educator_id == actor.user_id && r.payment_type == t.slug)
    {
        return Err(AppError::Conflict(format!(
            "you have a {} request for fiscal year {fiscal_year} already",
            t.slug
        )));
    }
    let line = entries(&requests, &verified);
    let d = engine::decide(
        &rules,
        Some(year.appropriation_cents),
        &line,
        &engine::NewRequest {
            payment_type: &t.slug,
            eligibility: answer.status,
            eligibility_reason: &answer.reason,
            verified: facts.verified,
        },
        rules.window_closed(today),
    );
    let reason = if answer.status == Eligible::Unknown && d.status != EntryStatus::Denied {
        format!("{}; {}", d.reason, answer.reason)
    } else {
        d.reason.clone()
    };
    let id = tx
        .insert_tep_request(
            &NewTepRequest {
                fiscal_year: fy,
                sequence,
                educator_id: actor.user_id,
                payment_type: &t.slug,
                amount_cents: t.amount_cents,
                status: d.status.as_str(),
                reason: &reason,
                idempotency_key: key,
            },
            now,
        )
        .await?;
    if d.status.committed() {
        tx.add_tep_money(fy, t.amount_cents, 0, now).await?;
    }
    tx.insert_tep_entry(
        id,
        None,
        d.status.as_str(),
        &reason,
        Some(actor.user_id),
        now,
    )
    .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.request",
        "tep-request",
        id,
        None,
        Some(snapshot(&(sequence, &t.slug, d.status.as_str()))),
        now,
    )
    .await?;
    tx.commit().await?;
    let stored = store
        .tep_request_by_key(actor.user_id, key)
        .await?
        .ok_or_else(|| AppError::NotFound("the request went missing".into()))?;
    Ok((RequestView::from(&stored), true))
}

/// The fiscal year's ledger (api.md's `GET /tep/ledger`): the totals and
/// every entry in line order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub appropriation_cents: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub remaining_cents: i64,
    pub entries: Vec<LedgerEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub request_id: i64,
    pub sequence: i64,
    pub payment_type: String,
    pub amount_cents: i64,
    pub status: String,
    pub reason: String,
}

/// The ledger of a fiscal year (the program administrator).
pub async fn ledger(
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
) -> Result<Ledger, AppError> {
    policy::administer_tep(actor)?;
    let fy = i64::from(fiscal_year);
    let year = store
        .tep_year(fy)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("fiscal year {fiscal_year} is not open")))?;
    let requests = store.tep_requests(fy).await?;
    Ok(Ledger {
        appropriation_cents: year.appropriation_cents,
        committed_cents: year.committed_cents,
        paid_cents: year.paid_cents,
        remaining_cents: year.appropriation_cents - year.committed_cents - year.paid_cents,
        entries: requests
            .iter()
            .map(|r| LedgerEntry {
                request_id: r.id,
                sequence: r.sequence,
                payment_type: r.payment_type.clone(),
                amount_cents: r.amount_cents,
                status: r.status.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, AccountSettings, Grant, Role};
    use empower_store::testing::TestDatabase;

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    const DISTRICT: &str = "010010010260000";

    fn actor(user_id: i64, email: &str, role: Role, scope: Option<&str>) -> Actor {
        Actor {
            user_id,
            email: email.into(),
            name: email.into(),
            grants: vec![Grant {
                role,
                scope: scope.map(String::from),
            }],
        }
    }

    fn renewing_teacher() -> EducatorFacts {
        EducatorFacts {
            license: "PEL".into(),
            role: "teacher".into(),
            nbpts: "renewal".into(),
            district_rcdts: Some(DISTRICT.into()),
            school_rcdts: None,
            full_time: true,
            originally_assigned: true,
            retired: None,
        }
    }

    #[tokio::test]
    async fn five_hundred_at_once_fund_exactly_the_first_180_and_a_rejection_funds_the_181st() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let settings = AccountSettings::for_tests();
        let now = at("2026-12-01T15:00:00Z");
        for db in TestDatabase::each("tepapp").await {
            let store = &db.store;
            store
                .publish(
                    &[],
                    &empower_store::Publication {
                        sources_sha256: "tep".into(),
                        summary: "test".into(),
                        years: vec![],
                        districts: vec![empower_store::District {
                            rcdts: DISTRICT.into(),
                            name: "A district".into(),
                            city: "Payson".into(),
                            county: "Adams".into(),
                            region: "01".into(),
                        }],
                        schools: vec![],
                        designations: vec![],
                        explanations: vec![],
                        statuses: vec![],
                    },
                )
                .await
                .unwrap();
            let cache = std::sync::Arc::new(DirectoryCache::default());
            let mut people = Vec::new();
            for (i, (role, scope)) in [(Role::ProgramAdmin, None), (Role::Employer, Some(DISTRICT))]
                .into_iter()
                .enumerate()
            {
                let email = format!("staff{i}@example.org");
                let u = accounts::add_user(
                    &state,
                    store,
                    &settings,
                    By::CommandLine,
                    &email,
                    "Staff",
                    role,
                    scope,
                    None,
                    now,
                )
                .await
                .unwrap();
                people.push(actor(u.user.id, &email, role, scope));
            }
            let (admin, employer) = (people[0].clone(), people[1].clone());
            let mut educators = Vec::new();
            for i in 0..500 {
                let email = format!("teacher{i}@example.org");
                let u = accounts::add_user(
                    &state,
                    store,
                    &settings,
                    By::CommandLine,
                    &email,
                    "Teacher",
                    Role::Educator,
                    None,
                    None,
                    now,
                )
                .await
                .unwrap();
                let me = actor(u.user.id, &email, Role::Educator, None);
                save_educator(&state, &cache, store, Some(&me), &renewing_teacher(), now)
                    .await
                    .unwrap();
                educators.push(me);
            }
            // An educator cannot verify themselves.
            assert!(matches!(
                verify_educator(
                    &state,
                    store,
                    Some(&educators[0]),
                    "teacher0@example.org",
                    "confirmed",
                    "",
                    now
                )
                .await,
                Err(AppError::Forbidden(_))
            ));
            // Before the year is open, a request is refused and takes no number.
            let e = request_payment(
                &state,
                &cache,
                store,
                Some(&educators[0]),
                2027,
                "renewal",
                "early",
                now,
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("not open yet"), "{e}");
            open_fiscal_year(&state, store, Some(&admin), 2027, 18_000_000, now)
                .await
                .unwrap();

            // 500 requests at once, and 50 of them retried with the same key.
            let mut tasks = Vec::new();
            for (i, e) in educators
                .iter()
                .enumerate()
                .chain(educators.iter().enumerate().take(50))
            {
                let (state, store, cache, e) =
                    (state.clone(), store.clone(), cache.clone(), e.clone());
                tasks.push(tokio::spawn(async move {
                    request_payment(
                        &state,
                        &cache,
                        &store,
                        Some(&e),
                        2027,
                        "renewal",
                        &format!("renewal-{i}"),
                        now,
                    )
                    .await
                    .map(|(v, created)| (e.user_id, v, created))
                }));
            }
            let mut answers = Vec::new();
            for t in tasks {
                answers.push(t.await.unwrap().unwrap());
            }
            assert_eq!(
                answers.iter().filter(|a| a.2).count(),
                500,
                "each books once"
            );
            for (user, v, _) in &answers {
                let first = answers.iter().find(|a| a.0 == *user && a.2).unwrap();
                assert_eq!(first.1.id, v.id, "a retry returns the original");
            }
            let l = ledger(store, Some(&admin), 2027).await.unwrap();
            let numbers: Vec<i64> = l.entries.iter().map(|e| e.sequence).collect();
            assert_eq!(numbers, (1..=500).collect::<Vec<_>>());
            // Not verified yet: the first 180 are reserved, the rest wait.
            let held: Vec<i64> = l
                .entries
                .iter()
                .filter(|e| e.status == "reserved")
                .map(|e| e.sequence)
                .collect();
            assert_eq!(held, (1..=180).collect::<Vec<_>>());
            assert!(l.entries[180..].iter().all(|e| e.status == "waitlisted"));
            assert_eq!(
                (
                    l.appropriation_cents,
                    l.committed_cents,
                    l.paid_cents,
                    l.remaining_cents
                ),
                (18_000_000, 18_000_000, 0, 0)
            );
            // A second renewal request of the year is refused.
            let e = request_payment(
                &state,
                &cache,
                store,
                Some(&educators[0]),
                2027,
                "renewal",
                "again",
                now,
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::Conflict(_)), "{e}");

            // The employer rejects the 7th's position: denied, and the
            // money freed goes to the 181st; a confirmation funds the 1st.
            let owner_of = |sequence: usize| {
                let id = l.entries[sequence - 1].request_id;
                answers.iter().find(|a| a.1.id == id).unwrap().0
            };
            let email_of = |user: i64| {
                educators
                    .iter()
                    .find(|e| e.user_id == user)
                    .unwrap()
                    .email
                    .clone()
            };
            verify_educator(
                &state,
                store,
                Some(&employer),
                &email_of(owner_of(7)),
                "rejected",
                "part-time since October",
                now,
            )
            .await
            .unwrap();
            verify_educator(
                &state,
                store,
                Some(&employer),
                &email_of(owner_of(1)),
                "confirmed",
                "",
                now,
            )
            .await
            .unwrap();
            let l = ledger(store, Some(&admin), 2027).await.unwrap();
            let status = |sequence: usize| l.entries[sequence - 1].status.as_str();
            assert_eq!(
                (status(1), status(7), status(181), status(182)),
                ("funded", "denied", "reserved", "waitlisted")
            );
            assert!(l.entries[6].reason.contains("part-time since October"));
            assert_eq!(l.committed_cents, 18_000_000);
            assert!(matches!(
                ledger(store, Some(&educators[1]), 2027).await,
                Err(AppError::Forbidden(_))
            ));
            db.finish().await;
        }
    }

    async fn person(
        state: &State,
        store: &Store,
        email: &str,
        role: Role,
        scope: Option<&str>,
        now: i64,
    ) -> Actor {
        let u = accounts::add_user(
            state,
            store,
            &AccountSettings::for_tests(),
            By::CommandLine,
            email,
            email.split('@').next().unwrap(),
            role,
            scope,
            None,
            now,
        )
        .await
        .unwrap();
        actor(u.user.id, email, role, scope)
    }

    async fn two_districts(store: &Store) {
        let district = |rcdts: &str, name: &str| empower_store::District {
            rcdts: rcdts.into(),
            name: name.into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: "01".into(),
        };
        store
            .publish(
                &[],
                &empower_store::Publication {
                    sources_sha256: "tep".into(),
                    summary: "test".into(),
                    years: vec![],
                    districts: vec![
                        district(DISTRICT, "A district"),
                        district(OTHER, "B district"),
                    ],
                    // A rural school whose low-income share is under the
                    // hard-to-staff line.
                    schools: vec![empower_store::School {
                        rcdts: RURAL_SCHOOL.into(),
                        name: "Seymour Elementary School".into(),
                        district: DISTRICT.into(),
                        district_name: "A district".into(),
                        city: "Payson".into(),
                        county: "Adams".into(),
                        region: "01".into(),
                        grades: vec!["K".into()],
                        profile: empower_store::Profile {
                            year: Some(2018),
                            locale: Some("42-Rural: Distant".into()),
                            demographics: vec![empower_store::Share {
                                group: "low-income".into(),
                                pct: 20.0,
                            }],
                            ..Default::default()
                        },
                    }],
                    designations: vec![],
                    explanations: vec![],
                    statuses: vec![],
                },
            )
            .await
            .unwrap();
    }

    const OTHER: &str = "010010020260000";
    const RURAL_SCHOOL: &str = "010010010262002";

    #[tokio::test]
    async fn a_signed_log_releases_the_mentoring_payment_a_lapsed_reservation_frees_its_money_and_the_announcement_closes_after_june_1(
    ) {
        let state = crate::rules::load_state("illinois", None).unwrap();
        let now = at("2026-12-01T15:00:00Z");
        for db in TestDatabase::each("tepmentor").await {
            let store = &db.store;
            two_districts(store).await;
            let cache = std::sync::Arc::new(DirectoryCache::default());
            let admin = person(
                &state,
                store,
                "admin@example.org",
                Role::ProgramAdmin,
                None,
                now,
            )
            .await;
            let employer = person(
                &state,
                store,
                "hr@example.org",
                Role::Employer,
                Some(DISTRICT),
                now,
            )
            .await;
            let other_hr = person(
                &state,
                store,
                "hr@b.example.org",
                Role::Employer,
                Some(OTHER),
                now,
            )
            .await;
            let teacher = |district: &str, nbpts: &str| EducatorFacts {
                nbpts: nbpts.into(),
                district_rcdts: Some(district.into()),
                ..renewing_teacher()
            };
            let mut people = Vec::new();
            for (email, facts) in [
                ("mentor@example.org", teacher(DISTRICT, "certified")),
                ("ann@example.org", teacher(DISTRICT, "none")),
                ("bo@b.example.org", teacher(OTHER, "none")),
                (
                    "cy@example.org",
                    EducatorFacts {
                        role: "counselor".into(),
                        ..teacher(DISTRICT, "none")
                    },
                ),
                ("dee@example.org", teacher(DISTRICT, "renewal")),
                ("eve@example.org", teacher(DISTRICT, "renewal")),
            ] {
                let p = person(&state, store, email, Role::Educator, None, now).await;
                save_educator(&state, &cache, store, Some(&p), &facts, now)
                    .await
                    .unwrap();
                people.push(p);
            }
            let [mentor, ann, bo, _cy, dee, eve] = <[Actor; 6]>::try_from(people).unwrap();
            open_fiscal_year(&state, store, Some(&admin), 2027, 200_000, now)
                .await
                .unwrap();
            let ask = |who: &Actor, slug: &'static str, at: i64| {
                let (state, store, cache, who) =
                    (state.clone(), store.clone(), cache.clone(), who.clone());
                async move {
                    request_payment(&state, &cache, &store, Some(&who), 2027, slug, slug, at)
                        .await
                        .unwrap()
                        .0
                }
            };
            let m = ask(&mentor, "mentoring", now).await;
            assert_eq!(m.status, "reserved", "{}", m.reason);
            verify_educator(
                &state,
                store,
                Some(&employer),
                &mentor.email,
                "confirmed",
                "",
                now,
            )
            .await
            .unwrap();
            // The (d) incentive reads the school's NCES locale from the data.
            let mut at_rural = teacher(DISTRICT, "certified");
            at_rural.school_rcdts = Some(RURAL_SCHOOL.into());
            save_educator(&state, &cache, store, Some(&mentor), &at_rural, now)
                .await
                .unwrap();
            // A changed school is a changed position: verified again.
            verify_educator(
                &state,
                store,
                Some(&employer),
                &mentor.email,
                "confirmed",
                "",
                now,
            )
            .await
            .unwrap();
            let d = eligibility(&state, &cache, store, Some(&mentor), 2027)
                .await
                .unwrap();
            let d = d.iter().find(|e| e.payment_type == "incentive_d").unwrap();
            assert_eq!(d.status, Eligible::Eligible, "{}", d.reason);
            assert!(d.reason.contains("NCES locale 42"), "{}", d.reason);

            // Agreements: a teacher mentors only teachers.
            let input = |recipients: &[&str]| AgreementInput {
                fiscal_year: 2027,
                kind: None,
                framework: None,
                administrator: "Pat Lee, principal".into(),
                goals: "Plan units around the new science standards".into(),
                duration: "November to May".into(),
                time_per_recipient: "about 20 hours".into(),
                recipients: recipients.iter().map(|s| s.to_string()).collect(),
            };
            let e = create_agreement(
                &state,
                store,
                Some(&mentor),
                &input(&["cy@example.org"]),
                "http://x",
                now,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, message } if field == "recipients" && message.contains("counselor")),
                "{e:?}"
            );
            let mail_before = store.outbox().await.unwrap().len();
            let a = create_agreement(
                &state,
                store,
                Some(&mentor),
                &input(&["ann@example.org", "bo@b.example.org"]),
                "http://x",
                now,
            )
            .await
            .unwrap();
            // Bo works in another district: its employer was told.
            let mail = store.outbox().await.unwrap();
            assert_eq!(mail.len(), mail_before + 1);
            assert_eq!(mail.last().unwrap().to_email, other_hr.email);
            let notified: Vec<bool> = a
                .agreement
                .recipients
                .iter()
                .map(|r| r.notified_at.is_some())
                .collect();
            assert_eq!(notified, vec![false, true]);

            let line = |who: &str, date: &str, hours: f64| LogInput {
                agreement_id: a.agreement.id,
                recipient_email: who.into(),
                date: date.into(),
                hours,
                addressed: vec![a.addressable[4].clone()],
                needs: "Grade 7 students reading below grade level".into(),
            };
            assert!(matches!(
                add_log(
                    &state,
                    store,
                    Some(&ann),
                    &line("ann@example.org", "2026-11-02", 2.0),
                    now
                )
                .await,
                Err(AppError::Forbidden(_))
            ));
            let e = add_log(
                &state,
                store,
                Some(&mentor),
                &line("ann@example.org", "2026-12-24", 2.0),
                now,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, .. } if field == "date"),
                "{e:?}"
            );
            let first = add_log(
                &state,
                store,
                Some(&mentor),
                &line("ann@example.org", "2026-11-02", 30.0),
                now,
            )
            .await;
            assert!(matches!(&first, Err(AppError::Invalid { field, .. }) if field == "hours"));
            let mut ids = Vec::new();
            for (who, date) in [
                ("ann@example.org", "2026-09-02"),
                ("ann@example.org", "2026-10-02"),
                ("bo@b.example.org", "2026-11-03"),
            ] {
                ids.push(
                    add_log(&state, store, Some(&mentor), &line(who, date, 20.0), now)
                        .await
                        .unwrap()
                        .id,
                );
            }
            let v = agreement(&state, store, Some(&bo), a.agreement.id)
                .await
                .unwrap();
            // The 46th hour on does not count.
            assert_eq!((v.hours, v.counted_hours), (60.0, 45.0));
            assert_eq!(v.logs[2].counted_hours, 5.0);
            assert!(!v.complete);
            // The 45 hours are the year's, whatever the agreement: a second
            // agreement's later session counts nothing.
            let second = create_agreement(
                &state,
                store,
                Some(&mentor),
                &input(&["ann@example.org"]),
                "http://x",
                now,
            )
            .await
            .unwrap();
            let late = add_log(
                &state,
                store,
                Some(&mentor),
                &LogInput {
                    agreement_id: second.agreement.id,
                    ..line("ann@example.org", "2026-11-20", 2.0)
                },
                now,
            )
            .await
            .unwrap();
            assert_eq!(late.counted_hours, 0.0);
            let v2 = agreement(&state, store, Some(&ann), second.agreement.id)
                .await
                .unwrap();
            assert_eq!(
                (v2.hours, v2.counted_hours, v2.year_counted_hours),
                (2.0, 0.0, 45.0)
            );
            ids.push(late.id);

            // Unsigned: the payment waits.
            let e = pay(store, Some(&admin), m.id, now).await.unwrap_err();
            assert!(e.to_string().contains("not signed"), "{e}");
            // Ann cannot sign Bo's line, nor the mentor anyone's.
            assert!(matches!(
                sign_log(&state, store, Some(&ann), ids[2], now).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                sign_log(&state, store, Some(&mentor), ids[0], now).await,
                Err(AppError::Forbidden(_))
            ));
            for (who, id) in [(&ann, ids[0]), (&ann, ids[1]), (&bo, ids[2])] {
                sign_log(&state, store, Some(who), id, now).await.unwrap();
            }
            assert!(matches!(
                sign_log(&state, store, Some(&ann), ids[0], now).await,
                Err(AppError::Conflict(_))
            ));
            // The second agreement's line is still unsigned: every log of
            // the year must be complete and signed.
            let e = pay(store, Some(&admin), m.id, now).await.unwrap_err();
            assert!(e.to_string().contains("2026-11-20"), "{e}");
            sign_log(&state, store, Some(&ann), ids[3], now)
                .await
                .unwrap();
            assert!(matches!(
                pay(store, Some(&mentor), m.id, now).await,
                Err(AppError::Forbidden(_))
            ));
            let paid = pay(store, Some(&admin), m.id, now).await.unwrap();
            assert_eq!(paid.status, "paid");
            assert!(matches!(
                pay(store, Some(&admin), m.id, now).await,
                Err(AppError::Conflict(_))
            ));

            // Dee's reservation waits unverified; Eve waits for money.
            assert_eq!(ask(&dee, "renewal", now).await.status, "reserved");
            assert_eq!(ask(&eve, "renewal", now).await.status, "waitlisted");
            // 31 days on, Dee's reservation lapses and Eve's turn comes.
            let later = now + 31 * 86_400;
            let l = walk_line(&state, store, Some(&admin), 2027, later)
                .await
                .unwrap();
            let status: Vec<&str> = l.entries.iter().map(|e| e.status.as_str()).collect();
            assert_eq!(status, vec!["paid", "waitlisted", "reserved"]);
            assert!(l.entries[1].reason.contains("lapsed"));
            // Verified late, Dee keeps her place but the money is Eve's,
            // until Eve's position is rejected.
            verify_educator(
                &state,
                store,
                Some(&employer),
                &dee.email,
                "confirmed",
                "",
                later,
            )
            .await
            .unwrap();
            verify_educator(
                &state,
                store,
                Some(&employer),
                &eve.email,
                "rejected",
                "a substitute",
                later,
            )
            .await
            .unwrap();
            let l = ledger(store, Some(&admin), 2027).await.unwrap();
            let status: Vec<&str> = l.entries.iter().map(|e| e.status.as_str()).collect();
            assert_eq!(status, vec!["paid", "funded", "denied"]);
            assert_eq!(
                (l.committed_cents, l.paid_cents, l.remaining_cents),
                (100_000, 100_000, 0)
            );
            let export = payments(&state, store, Some(&admin), 2027, true)
                .await
                .unwrap();
            assert_eq!(export.len(), 1);
            assert_eq!(
                (export[0].payee_email.as_str(), export[0].amount_cents),
                ("mentor@example.org", 100_000)
            );

            // The (g) announcement: by June 1 in Chicago, once.
            let announcement = AnnouncementInput {
                fiscal_year: 2027,
                amount_cents: 0,
                purposes: "Instructional leadership training".into(),
                stipend_cents: 50_000,
                who_may_take_part: "Teachers in rural districts".into(),
                how_to_apply: "Apply on this site by June 15".into(),
            };
            let e = announce(
                &state,
                store,
                Some(&admin),
                &announcement,
                at("2027-06-02T05:00:00Z"),
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, .. } if field == "stipend_cents"),
                "{e:?}"
            );
            let announcement = AnnouncementInput {
                amount_cents: 200_000,
                ..announcement
            };
            let e = announce(
                &state,
                store,
                Some(&admin),
                &announcement,
                at("2027-06-02T05:00:00Z"),
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
            announce(
                &state,
                store,
                Some(&admin),
                &announcement,
                at("2027-06-02T04:30:00Z"),
            )
            .await
            .unwrap();
            let e = announce(
                &state,
                store,
                Some(&admin),
                &announcement,
                at("2027-06-02T04:40:00Z"),
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
            assert!(matches!(
                announce(&state, store, Some(&mentor), &announcement, now).await,
                Err(AppError::Forbidden(_))
            ));
            db.finish().await;
        }
    }
}
