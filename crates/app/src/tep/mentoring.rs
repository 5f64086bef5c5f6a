//! Mentoring and NBPTS candidate assistance (25.444(c)(1)(B), (d)): the
//! mentor records a written agreement (or a district's formal program)
//! with recipients of the same role, notifying a recipient's district
//! when it differs from the mentor's; the mentor keeps the log; each
//! recipient signs their own lines, signed in as themselves. The
//! engine says which hours count and when a log releases the payment.

use super::payments::log_lines;
use super::{educator, invalid, rules, today};
use crate::accounts::{audit, Actor, By, Role};
use crate::{policy, AppError};
use empower_states::State;
use empower_store::{snapshot, NewTepAgreement, Store, TepAgreementRow, TepLogRow};
use empower_tep::mentoring::{check_log, check_roles, countable_hours};
use empower_tep::{fiscal_year_of, FiscalYearRules};
use serde::{Deserialize, Serialize};

/// The log kinds: mentoring or professional development, and NBPTS
/// candidate assistance.
pub const LOG_KINDS: [&str; 2] = ["mentoring", "candidate-assistance"];
/// Under a written agreement or a district's formal program.
pub const FRAMEWORKS: [&str; 2] = ["agreement", "district-program"];

/// At most this many recipients in one agreement.
const MAX_RECIPIENTS: usize = 60;
const MAX_TEXT: usize = 10_000;

/// A new agreement as the mentor writes it (api.md's `POST
/// /tep/agreements`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub fiscal_year: i16,
    /// `mentoring` (default) or `candidate-assistance`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `agreement` (default) or `district-program`.
    #[serde(default)]
    pub framework: Option<String>,
    /// The building administrator, mentor coordinator or other
    /// responsible district official who is party to the agreement (or
    /// the district program's name).
    pub administrator: String,
    pub goals: String,
    /// The mentor's duration of involvement.
    pub duration: String,
    /// The time expected per recipient.
    pub time_per_recipient: String,
    /// The recipients' e-mail addresses (each registered as an educator).
    pub recipients: Vec<String>,
}

fn text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, format!("say {what}")));
    }
    if v.len() > MAX_TEXT {
        return Err(invalid(field, "at most 10,000 characters"));
    }
    Ok(v.to_string())
}

fn one_of(
    field: &str,
    value: Option<&str>,
    all: &[&'static str],
) -> Result<&'static str, AppError> {
    let v = value.unwrap_or(all[0]);
    all.iter()
        .copied()
        .find(|x| *x == v)
        .ok_or_else(|| invalid(field, format!("`{v}` is not one of {}", all.join(", "))))
}

/// Records a mentoring agreement (an educator, as the mentor). Every
/// recipient must be a registered educator of the mentor's role (a
/// candidate for a candidate-assistance log); a recipient whose district
/// differs from the mentor's has that district's employers and leaders
/// notified by mail.
pub async fn create_agreement(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    input: &AgreementInput,
    public_url: &str,
    now: i64,
) -> Result<AgreementView, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    // The year must have rules (its log's standards come from them).
    rules(state, input.fiscal_year)?;
    let kind = one_of("kind", input.kind.as_deref(), &LOG_KINDS)?;
    let framework = one_of("framework", input.framework.as_deref(), &FRAMEWORKS)?;
    let administrator = text(
        "administrator",
        &input.administrator,
        if framework == "agreement" {
            "who signs for the school: the building administrator, mentor coordinator or other responsible district official"
        } else {
            "the name of the district's formal mentoring or professional development program"
        },
    )?;
    let goals = text("goals", &input.goals, "the agreement's goals")?;
    let duration = text(
        "duration",
        &input.duration,
        "how long the mentor takes part",
    )?;
    let per_recipient = text(
        "time_per_recipient",
        &input.time_per_recipient,
        "the time expected per recipient",
    )?;
    let mentor_row = store
        .tep_educator(actor.user_id)
        .await?
        .ok_or_else(|| invalid("educator", "give your license, role and position first"))?;
    let mentor = educator(&mentor_row)?;
    let mut emails: Vec<String> = input
        .recipients
        .iter()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    emails.sort();
    emails.dedup();
    if emails.is_empty() {
        return Err(invalid(
            "recipients",
            "name at least one recipient by e-mail",
        ));
    }
    if emails.len() > MAX_RECIPIENTS {
        return Err(invalid(
            "recipients",
            format!("at most {MAX_RECIPIENTS} recipients in one agreement"),
        ));
    }
    let mut recipients = Vec::new();
    for email in &emails {
        if *email == actor.email.to_lowercase() {
            return Err(invalid("recipients", "a mentor does not mentor themselves"));
        }
        let user = store.user_by_email(email).await?.ok_or_else(|| {
            invalid(
                "recipients",
                format!("{email} has no account: the recipient registers as an educator first"),
            )
        })?;
        let row = store.tep_educator(user.id).await?.ok_or_else(|| {
            invalid(
                "recipients",
                format!("{email} has not given their license and role yet"),
            )
        })?;
        let facts = educator(&row)?;
        check_roles(mentor.role, facts.role)
            .map_err(|why| invalid("recipients", format!("{email}: {why} (25.444(d))")))?;
        if kind == "candidate-assistance" && facts.nbpts != empower_tep::Nbpts::Candidate {
            return Err(invalid(
                "recipients",
                format!(
                    "{email} is not an NBPTS candidate: candidate assistance is for candidates"
                ),
            ));
        }
        recipients.push((user, row));
    }
    let mut tx = store.write().await?;
    let id = tx
        .insert_tep_agreement(
            &NewTepAgreement {
                fiscal_year: i64::from(input.fiscal_year),
                mentor_id: actor.user_id,
                kind,
                framework,
                administrator: &administrator,
                goals: &goals,
                duration: &duration,
                time_per_recipient: &per_recipient,
            },
            now,
        )
        .await?;
    for (user, row) in &recipients {
        let district = row.district_rcdts.as_deref();
        let differs = district.is_some() && district != mentor_row.district_rcdts.as_deref();
        let mut notified = None;
        if let (true, Some(d)) = (differs, district) {
            let people = store.people_scoped_to(&[d]).await?;
            let mut sent = Vec::new();
            for (person, role) in people {
                let notify = [Role::Employer, Role::DistrictLeader]
                    .iter()
                    .any(|r| r.as_str() == role.role);
                if notify && !sent.contains(&person.email) {
                    let body = format!(
                        "{} ({}) will mentor {} ({}), who works in your district, under the Teaching Excellence Program (23 Ill. Adm. Code 25.444(d)) in fiscal year {}.\n\n\
                         Goals: {goals}\nThe mentor's involvement: {duration}\nTime expected per recipient: {per_recipient}\nFor the school: {administrator}\n\n\
                         You receive this as an employer or district leader of district {d}, because the mentor's district differs from the recipient's. The agreement: {}/tep/agreements/{id}",
                        actor.name,
                        actor.email,
                        user.name,
                        user.email,
                        input.fiscal_year,
                        public_url.trim_end_matches('/'),
                    );
                    tx.queue_mail(
                        &person.email,
                        &format!("A mentoring agreement with {} of your district", user.name),
                        &body,
                        now,
                    )
                    .await?;
                    sent.push(person.email.clone());
                }
            }
            if !sent.is_empty() {
                notified = Some(now);
            }
        }
        tx.insert_tep_recipient(id, user.id, district, notified)
            .await?;
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.agreement",
        "tep-agreement",
        id,
        None,
        Some(snapshot(&(kind, framework, &emails))),
        now,
    )
    .await?;
    tx.commit().await?;
    agreement(state, store, Some(actor), id).await
}

/// A log line as the pages and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogView {
    pub id: i64,
    pub agreement_id: i64,
    pub recipient_email: String,
    pub recipient_name: String,
    pub date: String,
    pub hours: f64,
    /// The hours of this line that count toward the year's maximum.
    pub counted_hours: f64,
    pub addressed: Vec<String>,
    pub needs: String,
    pub signed_at: Option<i64>,
}

/// An agreement with its log, the hours that count and whether the log
/// may release the payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgreementView {
    pub agreement: TepAgreementRow,
    pub logs: Vec<LogView>,
    pub hours: f64,
    /// The hours of this agreement's log that count.
    pub counted_hours: f64,
    /// The hours that count over all the mentor's agreements of the year
    /// (at most `max_hours`).
    pub year_counted_hours: f64,
    pub max_hours: f64,
    /// The log is complete and every line signed.
    pub complete: bool,
    /// What keeps it from being complete.
    pub problems: Vec<String>,
    /// What a line of this log may name as addressed.
    pub addressable: Vec<String>,
}

/// What a log line of the agreement may name: the standards of the
/// mentor's role, or the NBPTS requirements for candidate assistance.
fn addressable(rules: &FiscalYearRules, kind: &str, mentor_role: &str) -> Vec<String> {
    if kind == "candidate-assistance" {
        rules.standards.nbpts.clone()
    } else if mentor_role == "counselor" {
        rules.standards.counselor.clone()
    } else {
        rules.standards.teacher.clone()
    }
}

/// The agreement's view. `year_logs`: every line of the mentor's
/// agreements of the fiscal year, over which the hours that count are
/// counted (at most the rules' maximum in the year, whatever the
/// agreement).
fn view(
    rules: &FiscalYearRules,
    a: TepAgreementRow,
    logs: Vec<TepLogRow>,
    year_logs: &[TepLogRow],
    mentor_role: &str,
) -> AgreementView {
    let name_of = |id: i64| {
        a.recipients
            .iter()
            .find(|r| r.recipient_id == id)
            .map(|r| (r.email.clone(), r.name.clone()))
            .unwrap_or_default()
    };
    let year_lines = log_lines(year_logs, |id| id.to_string());
    let year_counted = countable_hours(rules, &year_lines);
    let counted_of = |id: i64| {
        year_logs
            .iter()
            .position(|l| l.id == id)
            .map_or(0.0, |i| year_counted[i])
    };
    let lines = log_lines(&logs, |id| name_of(id).0);
    let problems = check_log(&lines).err().unwrap_or_default();
    let views: Vec<LogView> = logs
        .iter()
        .zip(&lines)
        .map(|(l, line)| {
            let (email, name) = name_of(l.recipient_id);
            LogView {
                id: l.id,
                agreement_id: l.agreement_id,
                recipient_email: email,
                recipient_name: name,
                date: l.day.clone(),
                hours: line.hours,
                counted_hours: counted_of(l.id),
                addressed: l.addressed.clone(),
                needs: l.needs.clone(),
                signed_at: l.signed_at,
            }
        })
        .collect();
    AgreementView {
        addressable: addressable(rules, &a.kind, mentor_role),
        hours: lines.iter().map(|l| l.hours).sum(),
        counted_hours: views.iter().map(|l| l.counted_hours).sum(),
        year_counted_hours: year_counted.iter().sum(),
        max_hours: rules.mentoring_max_hours,
        complete: problems.is_empty(),
        problems,
        logs: views,
        agreement: a,
    }
}

/// An agreement and its log: its mentor, its recipients and the program
/// administrator may see it.
pub async fn agreement(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<AgreementView, AppError> {
    let a = store
        .tep_agreement(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no agreement {id}")))?;
    let recipients: Vec<i64> = a.recipients.iter().map(|r| r.recipient_id).collect();
    policy::see_tep_agreement(actor, a.mentor_id, &recipients)?;
    let rules = rules(state, a.fiscal_year as i16)?;
    let mentor_role = store
        .tep_educator(a.mentor_id)
        .await?
        .map(|m| m.role)
        .unwrap_or_default();
    let logs = store.tep_logs(id).await?;
    let year_logs = store.tep_mentor_logs(a.mentor_id, a.fiscal_year).await?;
    Ok(view(&rules, a, logs, &year_logs, &mentor_role))
}

/// The agreements an educator is the mentor or a recipient of.
pub async fn my_agreements(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<AgreementView>, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut out = Vec::new();
    for a in store.tep_agreements_of(actor.user_id).await? {
        out.push(agreement(state, store, Some(actor), a.id).await?);
    }
    Ok(out)
}

/// A log line as the mentor writes it (api.md's `POST /tep/logs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInput {
    pub agreement_id: i64,
    pub recipient_email: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub hours: f64,
    /// The standards (or NBPTS requirements) addressed, each as the rules
    /// name it.
    pub addressed: Vec<String>,
    /// How the work related to the academic needs of the recipient's
    /// students (or, for candidate assistance, the activities).
    pub needs: String,
}

/// Adds a line to an agreement's log (its mentor): a recipient of the
/// agreement, a date of its fiscal year not in the future, the hours, the
/// standards addressed from the rules' list, and the students' needs.
pub async fn add_log(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    input: &LogInput,
    now: i64,
) -> Result<LogView, AppError> {
    policy::act_as_educator(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let a = store
        .tep_agreement(input.agreement_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("there is no agreement {}", input.agreement_id))
        })?;
    policy::keep_tep_log(Some(actor), a.mentor_id)?;
    let rules = rules(state, a.fiscal_year as i16)?;
    let email = input.recipient_email.trim().to_lowercase();
    let Some(recipient) = a.recipients.iter().find(|r| r.email == email) else {
        return Err(invalid(
            "recipient_email",
            format!("{email} is not a recipient of this agreement"),
        ));
    };
    let date: empower_calendar::Date = input.date.trim().parse().map_err(|_| {
        invalid(
            "date",
            format!("`{}` is not a date: YYYY-MM-DD", input.date),
        )
    })?;
    if i64::from(fiscal_year_of(date)) != a.fiscal_year {
        return Err(invalid(
            "date",
            format!(
                "{date} is outside fiscal year {} (July 1 to June 30)",
                a.fiscal_year
            ),
        ));
    }
    if date > today(state, now)? {
        return Err(invalid(
            "date",
            "the log records work done: not a future date",
        ));
    }
    if !(input.hours.is_finite() && input.hours > 0.0 && input.hours <= 24.0) {
        return Err(invalid(
            "hours",
            "the hours of the session, more than 0 and at most 24",
        ));
    }
    let minutes = (input.hours * 60.0).round() as i64;
    if minutes < 1 {
        return Err(invalid("hours", "at least one minute"));
    }
    let mentor_role = store
        .tep_educator(a.mentor_id)
        .await?
        .map(|m| m.role)
        .unwrap_or_default();
    let allowed = addressable(&rules, &a.kind, &mentor_role);
    let mut addressed: Vec<String> = Vec::new();
    for x in &input.addressed {
        let x = x.trim();
        if !allowed.iter().any(|s| s == x) {
            return Err(invalid(
                "addressed",
                format!("`{x}` is not one of the standards or requirements this log names"),
            ));
        }
        if !addressed.iter().any(|s| s == x) {
            addressed.push(x.to_string());
        }
    }
    if addressed.is_empty() {
        return Err(invalid(
            "addressed",
            "name the standards (or NBPTS requirements) the work addressed",
        ));
    }
    let needs = text(
        "needs",
        &input.needs,
        if a.kind == "candidate-assistance" {
            "the activities and how they helped the candidate"
        } else {
            "how the work related to the academic needs of the recipient's students"
        },
    )?;
    let mut tx = store.write().await?;
    let id = tx
        .insert_tep_log(
            a.id,
            recipient.recipient_id,
            &date.to_string(),
            minutes,
            &addressed,
            &needs,
            now,
        )
        .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.log",
        "tep-log",
        id,
        None,
        Some(snapshot(&(a.id, &email, date.to_string(), minutes))),
        now,
    )
    .await?;
    tx.commit().await?;
    let view = agreement(state, store, Some(actor), a.id).await?;
    view.logs
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| AppError::NotFound("the log line went missing".into()))
}

/// A recipient signs a line of a log to verify its date and hours,
/// signed in as themselves; nobody else can.
pub async fn sign_log(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<LogView, AppError> {
    let line = store
        .tep_log(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no log line {id}")))?;
    policy::sign_tep_log(actor, line.recipient_id)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut tx = store.write().await?;
    if !tx.sign_tep_log(id, actor.user_id, now).await? {
        return Err(AppError::Conflict(format!(
            "log line {id} is signed already"
        )));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "tep.log.sign",
        "tep-log",
        id,
        None,
        Some(snapshot(&now)),
        now,
    )
    .await?;
    tx.commit().await?;
    let view = agreement(state, store, Some(actor), line.agreement_id).await?;
    view.logs
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| AppError::NotFound("the log line went missing".into()))
}
