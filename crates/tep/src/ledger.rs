//! The first-come, first-served ledger (25.444(a); tep.md "Ledger
//! semantics"): every accepted request has a place in a gapless line per
//! fiscal year; walking the line in order, a request that fits both the
//! money left and its type's cap is reserved (waiting for the employer's
//! verification) or funded in full, one that does not is waitlisted and
//! later, smaller ones may still be funded; freed money walks the
//! waitlist again in order. (d) and (g) money is decided only after every
//! (a)-(c) request of the year, once the request window has closed.
//!
//! Pure: the store keeps the entries and enforces, in the database, that
//! committed and paid money never exceeds the appropriation; these
//! functions decide and explain.

use crate::eligibility::Status as Eligible;
use crate::rules::FiscalYearRules;
use empower_model::money::dollars;
use serde::{Deserialize, Serialize};

/// An entry's status (tep.md's vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Received complete, waiting for the employer's verification;
    /// counted as committed.
    Reserved,
    /// Verified; committed.
    Funded,
    /// Released.
    Paid,
    /// No money or cap left when its turn came.
    Waitlisted,
    /// A rule refuses it; the reason names the rule.
    Denied,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Reserved => "reserved",
            EntryStatus::Funded => "funded",
            EntryStatus::Paid => "paid",
            EntryStatus::Waitlisted => "waitlisted",
            EntryStatus::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStatus> {
        [
            EntryStatus::Reserved,
            EntryStatus::Funded,
            EntryStatus::Paid,
            EntryStatus::Waitlisted,
            EntryStatus::Denied,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Counted as committed money.
    pub fn committed(self) -> bool {
        matches!(self, EntryStatus::Reserved | EntryStatus::Funded)
    }

    /// Holds money (committed or paid).
    pub fn holds_money(self) -> bool {
        self.committed() || self == EntryStatus::Paid
    }
}

/// A request in the line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub sequence: i64,
    pub payment_type: String,
    pub amount_cents: i64,
    pub status: EntryStatus,
    /// The employer's verification: `None` while not given.
    pub verified: Option<bool>,
    /// Its reservation lapsed unverified: it keeps its place but is not
    /// reserved again until the employer verifies the position.
    #[serde(default)]
    pub lapsed: bool,
}

/// `appropriation = committed + paid + remaining`, in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub appropriation_cents: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub remaining_cents: i64,
}

pub fn totals(appropriation_cents: i64, entries: &[Entry]) -> Totals {
    let sum = |f: fn(EntryStatus) -> bool| -> i64 {
        entries
            .iter()
            .filter(|e| f(e.status))
            .map(|e| e.amount_cents)
            .sum()
    };
    let committed_cents = sum(EntryStatus::committed);
    let paid_cents = sum(|s| s == EntryStatus::Paid);
    Totals {
        appropriation_cents,
        committed_cents,
        paid_cents,
        remaining_cents: appropriation_cents - committed_cents - paid_cents,
    }
}

/// A decision and its reason, for the educator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub status: EntryStatus,
    pub reason: String,
}

fn decision(status: EntryStatus, reason: impl Into<String>) -> Decision {
    Decision {
        status,
        reason: reason.into(),
    }
}

/// A new request as it arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest<'a> {
    pub payment_type: &'a str,
    /// The eligibility engine's answer and reason for the type.
    pub eligibility: Eligible,
    pub eligibility_reason: &'a str,
    pub verified: Option<bool>,
}

/// Whether `amount` of `payment_type` fits the money left and the type's
/// caps, given the entries holding money; the reason when not.
fn fits(
    rules: &FiscalYearRules,
    appropriation_cents: i64,
    holding: &[&Entry],
    payment_type: &str,
    amount_cents: i64,
) -> Result<(), String> {
    let held: i64 = holding.iter().map(|e| e.amount_cents).sum();
    let remaining = appropriation_cents - held;
    if amount_cents > remaining {
        return Err(format!(
            "the appropriation has {} left and the payment is {}",
            dollars(remaining.max(0)),
            dollars(amount_cents)
        ));
    }
    let Some(t) = rules.payment_type(payment_type) else {
        return Err(format!("`{payment_type}` is not a payment type"));
    };
    let of_type: Vec<&&Entry> = holding
        .iter()
        .filter(|e| e.payment_type == payment_type)
        .collect();
    if let Some(cap) = t.cap_count {
        if of_type.len() as u64 >= u64::from(cap) {
            return Err(format!(
                "the {} cap of {cap} payments this year is reached",
                t.slug
            ));
        }
    }
    if let Some(cap) = t.cap_cents {
        let spent: i64 = of_type.iter().map(|e| e.amount_cents).sum();
        if spent + amount_cents > cap {
            return Err(format!(
                "the {} cap of {} this year is reached",
                t.slug,
                dollars(cap)
            ));
        }
    }
    Ok(())
}

/// The status a request that fits takes: funded once verified, reserved
/// while waiting (or waitlisted, when the rules say a request waiting for
/// verification does not keep its place).
fn placed(rules: &FiscalYearRules, verified: Option<bool>) -> Decision {
    match verified {
        Some(true) => decision(
            EntryStatus::Funded,
            "funded: the employer verified the position",
        ),
        _ if rules.waiting_keeps_place => decision(
            EntryStatus::Reserved,
            "reserved: the money is held while the employer verifies the position",
        ),
        _ => decision(
            EntryStatus::Waitlisted,
            "waiting for the employer's verification: the place in line is taken once verified",
        ),
    }
}

/// The decision for a new request at the end of the line. `residual_open`:
/// the request window has closed, so (d) and (g) money may be decided.
pub fn decide(
    rules: &FiscalYearRules,
    appropriation_cents: Option<i64>,
    entries: &[Entry],
    new: &NewRequest<'_>,
    residual_open: bool,
) -> Decision {
    let Some(t) = rules.payment_type(new.payment_type) else {
        return decision(
            EntryStatus::Denied,
            format!("`{}` is not a payment type", new.payment_type),
        );
    };
    if new.eligibility == Eligible::Ineligible {
        return decision(EntryStatus::Denied, new.eligibility_reason);
    }
    if new.verified == Some(false) {
        return decision(
            EntryStatus::Denied,
            "the employer did not confirm the position facts (25.444(b))",
        );
    }
    if t.residual > 0 && !residual_open {
        return decision(
            EntryStatus::Waitlisted,
            "decided only from money left after every (a)-(c) request of the year, once the request window closes",
        );
    }
    let Some(appropriation) = appropriation_cents else {
        return decision(
            EntryStatus::Waitlisted,
            format!(
                "the appropriation for fiscal year {} is not entered yet",
                rules.fiscal_year
            ),
        );
    };
    let holding: Vec<&Entry> = entries.iter().filter(|e| e.status.holds_money()).collect();
    match fits(
        rules,
        appropriation,
        &holding,
        new.payment_type,
        t.amount_cents,
    ) {
        Ok(()) => placed(rules, new.verified),
        Err(why) => decision(EntryStatus::Waitlisted, format!("waitlisted: {why}")),
    }
}

/// Walks the waitlist again in sequence order ((a)-(c) first; then, once
/// `residual_open`, each residual type in its order) and returns each
/// entry whose status changes, with its new decision. Called whenever
/// money frees (a verification rejected, a reservation lapsed) or the
/// window closes.
pub fn rewalk(
    rules: &FiscalYearRules,
    appropriation_cents: i64,
    entries: &[Entry],
    residual_open: bool,
) -> Vec<(i64, Decision)> {
    let mut current: Vec<Entry> = entries.to_vec();
    current.sort_by_key(|e| e.sequence);
    let residual_of = |e: &Entry| {
        rules
            .payment_type(&e.payment_type)
            .map_or(0, |t| t.residual)
    };
    let mut phases: Vec<u8> = current.iter().map(residual_of).collect();
    phases.sort_unstable();
    phases.dedup();
    let mut changes = Vec::new();
    for phase in phases {
        if phase > 0 && !residual_open {
            break;
        }
        for i in 0..current.len() {
            let e = &current[i];
            if e.status != EntryStatus::Waitlisted || residual_of(e) != phase {
                continue;
            }
            if e.verified == Some(false) || (e.lapsed && e.verified != Some(true)) {
                continue;
            }
            let holding: Vec<&Entry> = current.iter().filter(|x| x.status.holds_money()).collect();
            if fits(
                rules,
                appropriation_cents,
                &holding,
                &e.payment_type,
                e.amount_cents,
            )
            .is_ok()
            {
                let d = placed(rules, e.verified);
                if d.status != EntryStatus::Waitlisted {
                    current[i].status = d.status;
                    changes.push((current[i].sequence, d));
                }
            }
        }
    }
    changes
}

/// Whether a reservation made at `reserved_at` (seconds) has waited
/// longer than the rules allow for the employer's verification at `now`:
/// it then lapses, and its money walks the waitlist again.
pub fn reservation_lapsed(rules: &FiscalYearRules, reserved_at: i64, now: i64) -> bool {
    now - reserved_at > rules.reservation_lapse_days * 86_400
}

/// The decision a lapsed reservation takes.
pub fn lapse(rules: &FiscalYearRules) -> Decision {
    decision(
        EntryStatus::Waitlisted,
        format!(
            "waitlisted: the reservation lapsed after {} days without the employer's verification; the request keeps its place and is reserved again, if money is left, once the employer verifies the position",
            rules.reservation_lapse_days
        ),
    )
}

/// Where a request stands in line, for the educator: "you are 213th in
/// line; 180 requests before yours were reserved, funded or paid".
pub fn place_in_line(entries: &[Entry], sequence: i64) -> String {
    let before = entries
        .iter()
        .filter(|e| e.sequence < sequence && e.status.holds_money())
        .count();
    format!(
        "you are {} in line; {before} request{} before yours {} reserved, funded or paid",
        ordinal(sequence),
        if before == 1 { "" } else { "s" },
        if before == 1 { "was" } else { "were" }
    )
}

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
