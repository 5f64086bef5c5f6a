//! Mentoring and NBPTS professional development (25.444(c)(1), (d), (e)):
//! who may mentor whom, the hours that count, when a log is complete
//! enough to release the payment, and the (g) announcement's deadline.

use crate::eligibility::Role;
use crate::rules::FiscalYearRules;
use empower_calendar::Date;
use serde::{Deserialize, Serialize};

/// For payment, teachers mentor only teachers and school counselors only
/// school counselors.
pub fn check_roles(mentor: Role, recipient: Role) -> Result<(), String> {
    if mentor == recipient {
        Ok(())
    } else {
        Err(format!(
            "a {} mentors only {}s for payment: the recipient is a {}",
            mentor.words(),
            mentor.words(),
            recipient.words()
        ))
    }
}

/// A line of a mentoring log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub date: Date,
    pub hours: f64,
    /// The recipient's e-mail (they sign as themselves).
    pub recipient: String,
    /// The standards addressed (a professional-development log), or the
    /// NBPTS requirements addressed (a candidate-assistance log).
    pub addressed: Vec<String>,
    /// How the work met the needs of the recipients' students (or what
    /// the candidate-assistance activities were).
    pub needs: String,
    pub signed: bool,
}

/// The hours of each line that count, in date order: at most the rules'
/// maximum in the school year (45), so the 46th hour does not count.
pub fn countable_hours(rules: &FiscalYearRules, lines: &[LogLine]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines[i].date);
    let mut left = rules.mentoring_max_hours;
    let mut out = vec![0.0; lines.len()];
    for i in order {
        let h = lines[i].hours.max(0.0).min(left);
        out[i] = h;
        left -= h;
    }
    out
}

/// Whether a log may release the payment: at least one line, every line
/// with hours, what it addressed and the students' needs, each signed by
/// its recipient. The problems otherwise, one per line.
pub fn check_log(lines: &[LogLine]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if lines.is_empty() {
        problems.push("the log has no entry".to_string());
    }
    for (n, l) in lines.iter().enumerate() {
        let at = format!("entry {} ({}, {})", n + 1, l.date, l.recipient);
        if l.hours.is_nan() || l.hours <= 0.0 {
            problems.push(format!("{at}: give the hours"));
        }
        if l.addressed.is_empty() {
            problems.push(format!(
                "{at}: name the standards or NBPTS requirements addressed"
            ));
        }
        if l.needs.trim().is_empty() {
            problems.push(format!("{at}: say how the work met the students' needs"));
        }
        if !l.signed {
            problems.push(format!("{at}: not signed by the recipient yet"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The (g) announcement may be published up to the rules' deadline (June
/// 1 of the fiscal year), a date of the state's time zone.
pub fn check_announcement(rules: &FiscalYearRules, today: Date) -> Result<(), String> {
    let deadline = rules.announcement_deadline()?;
    if today <= deadline {
        Ok(())
    } else {
        Err(format!(
            "the (g) training announcement is published no later than {deadline}; today is {today}"
        ))
    }
}
