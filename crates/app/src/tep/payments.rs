//! Money out of the ledger: walking the line again (lapsed reservations,
//! the residual (d) and (g) money once the window closes), releasing a
//! funded payment, the Comptroller's export, the (g) announcement; and
//! what an educator and an employer see of the line.

use super::{invalid, move_request, rules, today, walk_again};
use crate::accounts::{audit, Actor, By};
use crate::{policy, AppError};
use empower_store::{
    snapshot, Store, TepAnnouncementRow, TepEducatorListed, TepRequestRow, TepYearRow,
};
use empower_tep::mentoring::{check_announcement, check_log, LogLine};
use empower_tep::{self as engine, EntryStatus};
use serde::{Deserialize, Serialize};

use super::{entries, Ledger, RequestView};

/// Walks the fiscal year's line again (the program administrator):
/// reservations past their time lapse, freed money goes down the
/// waitlist in order and, once the request window has closed, the money
/// left funds the (d) incentives and then the (g) training stipends.
pub async fn walk_line(
    state: &empower_states::State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    now: i64,
) -> Result<Ledger, AppError> {
    policy::administer_tep(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state, fiscal_year)?;
    let fy = i64::from(fiscal_year);
    let mut tx = store.write().await?;
    let year = tx
        .tep_year(fy)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("fiscal year {fiscal_year} is not open")))?;
    let before = year.committed_cents + year.paid_cents;
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
    let after = tx
        .tep_year(fy)
        .await?
        .map_or(before, |y| y.committed_cents + y.paid_cents);
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.walk",
        "tep-fiscal-year",
        fiscal_year,
        Some(snapshot(&before)),
        Some(snapshot(&after)),
        now,
    )
    .await?;
    tx.commit().await?;
    super::ledger(store, Some(actor), fiscal_year).await
}

/// The log lines of a mentor's agreements of a kind in a fiscal year, as
/// the engine reads them.
pub(super) fn log_lines(
    logs: &[empower_store::TepLogRow],
    email_of: impl Fn(i64) -> String,
) -> Vec<LogLine> {
    logs.iter()
        .map(|l| LogLine {
            date: l.day.parse().unwrap_or_default(),
            hours: l.minutes as f64 / 60.0,
            recipient: email_of(l.recipient_id),
            addressed: l.addressed.clone(),
            needs: l.needs.clone(),
            signed: l.signed_at.is_some(),
        })
        .collect()
}

/// Whether the payment type is released only for a complete, signed log
/// (the (c)(5) incentive for mentoring and NBPTS professional
/// development: every log of the mentor's agreements of the year).
fn needs_log(payment_type: &str) -> bool {
    payment_type == "mentoring"
}

/// Releases a funded payment (the program administrator): its money
/// moves from committed to paid. A mentoring incentive is released only
/// for a complete log signed by every recipient.
pub async fn pay(
    store: &Store,
    actor: Option<&Actor>,
    request_id: i64,
    now: i64,
) -> Result<RequestView, AppError> {
    policy::administer_tep(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut tx = store.write().await?;
    let r = tx
        .tep_request(request_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no request {request_id}")))?;
    match EntryStatus::parse(&r.status) {
        Some(EntryStatus::Funded) => {}
        Some(EntryStatus::Paid) => {
            return Err(AppError::Conflict(format!(
                "request {request_id} is paid already"
            )))
        }
        Some(EntryStatus::Reserved) => {
            return Err(AppError::Conflict(format!(
                "request {request_id} waits for the employer's verification: only a funded request is paid"
            )))
        }
        _ => {
            return Err(AppError::Conflict(format!(
                "request {request_id} is {}: only a funded request is paid",
                r.status
            )))
        }
    }
    if needs_log(&r.payment_type) {
        let logs = mentor_log(&mut tx, r.educator_id, r.fiscal_year).await?;
        if let Err(problems) = check_log(&logs) {
            return Err(invalid(
                "request_id",
                format!(
                    "the mentoring log is not complete and signed yet: {}",
                    problems.join("; ")
                ),
            ));
        }
    }
    move_request(
        &mut tx,
        &r,
        EntryStatus::Paid,
        "paid: released to the Comptroller",
        Some(actor.user_id),
        now,
    )
    .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.pay",
        "tep-request",
        request_id,
        Some(snapshot(&r.status)),
        Some(snapshot(&EntryStatus::Paid.as_str())),
        now,
    )
    .await?;
    tx.commit().await?;
    let stored = store
        .tep_request(request_id)
        .await?
        .ok_or_else(|| AppError::NotFound("the request went missing".into()))?;
    Ok(RequestView::from(&stored))
}

/// A mentor's log lines of the year, as the engine reads them
/// (recipients named by their user id), in the caller's transaction.
async fn mentor_log(
    tx: &mut empower_store::Write,
    mentor: i64,
    fiscal_year: i64,
) -> Result<Vec<LogLine>, AppError> {
    let logs = tx.tep_mentor_logs(mentor, fiscal_year).await?;
    Ok(log_lines(&logs, |id| format!("recipient {id}")))
}

/// One of an educator's requests with its place in line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRequest {
    pub fiscal_year: i64,
    pub payment_type: String,
    pub label: String,
    pub request: RequestView,
    /// "you are 213th in line; 180 requests before yours were ..."
    pub place: String,
}

/// An educator's own requests of every year, each with where it stands.
pub async fn my_requests(
    state: &empower_states::State,
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<MyRequest>, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mine = store.tep_requests_of(actor.user_id).await?;
    let mut out = Vec::new();
    let mut lines: Vec<(i64, Vec<engine::Entry>)> = Vec::new();
    for r in &mine {
        if !lines.iter().any(|(fy, _)| *fy == r.fiscal_year) {
            let all = store.tep_requests(r.fiscal_year).await?;
            lines.push((r.fiscal_year, entries(&all, &Default::default())));
        }
        let line = &lines.iter().find(|(fy, _)| *fy == r.fiscal_year).unwrap().1;
        let label = rules(state, r.fiscal_year as i16)
            .ok()
            .and_then(|x| x.payment_type(&r.payment_type).map(|t| t.label.clone()))
            .unwrap_or_else(|| r.payment_type.clone());
        out.push(MyRequest {
            fiscal_year: r.fiscal_year,
            payment_type: r.payment_type.clone(),
            label,
            request: RequestView::from(r),
            place: engine::place_in_line(line, r.sequence),
        });
    }
    Ok(out)
}

/// A line of the Comptroller's export: who is paid, how much, for what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub payee: String,
    pub payee_email: String,
    pub amount_cents: i64,
    pub payment_type: String,
    pub statute_section: String,
    pub request_id: i64,
    pub sequence: i64,
    pub status: String,
}

/// The fiscal year's payments with their payees (the program
/// administrator): every request holding money (funded or paid) when
/// `paid_only` is false, else those released.
pub async fn payments(
    state: &empower_states::State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    paid_only: bool,
) -> Result<Vec<Payment>, AppError> {
    policy::administer_tep(actor)?;
    let rules = rules(state, fiscal_year)?;
    let fy = i64::from(fiscal_year);
    let payees = store.tep_payees(fy).await?;
    let requests: Vec<TepRequestRow> = store.tep_requests(fy).await?;
    Ok(requests
        .iter()
        .filter(|r| {
            r.status == EntryStatus::Paid.as_str()
                || (!paid_only && r.status == EntryStatus::Funded.as_str())
        })
        .map(|r| {
            let (name, email) = payees
                .iter()
                .find(|p| p.0 == r.id)
                .map(|p| (p.1.clone(), p.2.clone()))
                .unwrap_or_default();
            Payment {
                payee: name,
                payee_email: email,
                amount_cents: r.amount_cents,
                payment_type: r.payment_type.clone(),
                statute_section: rules
                    .payment_type(&r.payment_type)
                    .map(|t| t.section.clone())
                    .unwrap_or_default(),
                request_id: r.id,
                sequence: r.sequence,
                status: r.status.clone(),
            }
        })
        .collect())
}

/// Per payment type: how many requests and how much money in each status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeTotals {
    pub payment_type: String,
    pub label: String,
    pub cap_count: Option<u32>,
    pub cap_cents: Option<i64>,
    pub requests: u64,
    pub reserved_cents: i64,
    pub funded_cents: i64,
    pub paid_cents: i64,
    pub waitlisted: u64,
    pub denied: u64,
}

/// The ledger's totals per payment type, in the rules' order.
pub fn type_totals(rules: &engine::FiscalYearRules, ledger: &Ledger) -> Vec<TypeTotals> {
    rules
        .payment_type
        .iter()
        .map(|t| {
            let mut x = TypeTotals {
                payment_type: t.slug.clone(),
                label: t.label.clone(),
                cap_count: t.cap_count,
                cap_cents: t.cap_cents,
                ..Default::default()
            };
            for e in ledger.entries.iter().filter(|e| e.payment_type == t.slug) {
                x.requests += 1;
                match EntryStatus::parse(&e.status) {
                    Some(EntryStatus::Reserved) => x.reserved_cents += e.amount_cents,
                    Some(EntryStatus::Funded) => x.funded_cents += e.amount_cents,
                    Some(EntryStatus::Paid) => x.paid_cents += e.amount_cents,
                    Some(EntryStatus::Waitlisted) => x.waitlisted += 1,
                    _ => x.denied += 1,
                }
            }
            x
        })
        .collect()
}

/// The educators naming the district as employer, for an employer or a
/// district leader of it to verify.
pub async fn educators_to_verify(
    store: &Store,
    actor: Option<&Actor>,
    district: &str,
) -> Result<Vec<TepEducatorListed>, AppError> {
    // Nobody is the educator "0": only the role and scope are checked.
    policy::verify_positions(actor, district, 0)?;
    Ok(store.tep_educators_in(district).await?)
}

/// The (g) announcement as the program administrator writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementInput {
    pub fiscal_year: i16,
    pub amount_cents: i64,
    pub purposes: String,
    pub stipend_cents: i64,
    pub who_may_take_part: String,
    pub how_to_apply: String,
}

/// Publishes the year's (g) instructional leadership training
/// announcement (the program administrator): no later than the rules'
/// deadline (June 1, in the state's time zone), once per year.
pub async fn announce(
    state: &empower_states::State,
    store: &Store,
    actor: Option<&Actor>,
    input: &AnnouncementInput,
    now: i64,
) -> Result<TepAnnouncementRow, AppError> {
    policy::administer_tep(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state, input.fiscal_year)?;
    if input.amount_cents < 0 {
        return Err(invalid("amount_cents", "0 or more, in cents"));
    }
    if input.stipend_cents <= 0 {
        return Err(invalid(
            "stipend_cents",
            "the stipend per participant, in cents",
        ));
    }
    if input.stipend_cents > input.amount_cents {
        return Err(invalid(
            "stipend_cents",
            "a stipend larger than the whole amount funds nobody",
        ));
    }
    for (field, text, what) in [
        ("purposes", &input.purposes, "the purposes of the training (21B-70(g))"),
        (
            "who_may_take_part",
            &input.who_may_take_part,
            "the limits on who may take part (school demographics, achievement levels, district location...)",
        ),
        ("how_to_apply", &input.how_to_apply, "how to apply"),
    ] {
        if text.trim().is_empty() {
            return Err(invalid(field, format!("say {what}")));
        }
        if text.len() > 10_000 {
            return Err(invalid(field, "at most 10,000 characters"));
        }
    }
    check_announcement(&rules, today(state, now)?).map_err(AppError::Conflict)?;
    let fy = i64::from(input.fiscal_year);
    let year: TepYearRow = store.tep_year(fy).await?.ok_or_else(|| {
        invalid(
            "fiscal_year",
            format!(
                "fiscal year {} is not open: enter its appropriation first",
                input.fiscal_year
            ),
        )
    })?;
    if input.amount_cents > year.appropriation_cents {
        return Err(invalid(
            "amount_cents",
            "more than the fiscal year's appropriation",
        ));
    }
    let row = TepAnnouncementRow {
        fiscal_year: fy,
        amount_cents: input.amount_cents,
        purposes: input.purposes.trim().to_string(),
        stipend_cents: input.stipend_cents,
        who_may_take_part: input.who_may_take_part.trim().to_string(),
        how_to_apply: input.how_to_apply.trim().to_string(),
        published_by: actor.user_id,
        published_at: now,
    };
    let mut tx = store.write().await?;
    if !tx.insert_tep_announcement(&row).await? {
        return Err(AppError::Conflict(format!(
            "the announcement of fiscal year {} is published already",
            input.fiscal_year
        )));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.announcement",
        "tep-fiscal-year",
        input.fiscal_year,
        None,
        Some(snapshot(&row)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The year's published (g) announcement, if any (anyone may read it).
pub async fn announcement(
    store: &Store,
    fiscal_year: i16,
) -> Result<Option<TepAnnouncementRow>, AppError> {
    Ok(store.tep_announcement(i64::from(fiscal_year)).await?)
}
