//! The December 15 notice: whether a notice is late, and its letter from
//! the rules' template filled with the district's figures.

use crate::rules::RarRules;
use empower_calendar::Date;
use std::collections::BTreeMap;

/// What a letter may say, each as `{name}`.
pub const PLACEHOLDERS: [&str; 11] = [
    "district",
    "district_rcdts",
    "fiscal_year",
    "report_card_year",
    "schools",
    "identified",
    "share",
    "by_designation",
    "years_in_status",
    "deadline",
    "reviews_begin",
];

/// The placeholders of a template; an unknown or unclosed one is an
/// error naming it.
pub fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            format!(
                "`{{` without its `}}`: {}",
                &rest[open..rest.len().min(open + 30)]
            )
        })?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{{{name}}}` is not a placeholder: one of {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// The template with each `{name}` replaced by its value.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A notice recorded on `day` (the state's calendar) is late when after
/// the rules' deadline of the fiscal year.
pub fn is_late(rules: &RarRules, fiscal_year: i16, day: Date) -> Result<bool, String> {
    Ok(day > rules.notice_deadline(fiscal_year)?)
}
