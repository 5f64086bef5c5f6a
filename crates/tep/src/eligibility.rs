//! Who qualifies for which payment (25.444(b), (c); tep.md "People and
//! facts"), from the educator's facts and the school's data, with the
//! reason for every answer. A fact the data lacks makes the answer
//! `unknown` with the reason, never "no".

use crate::rules::FiscalYearRules;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum License {
    #[serde(rename = "PEL")]
    Pel,
    #[serde(rename = "ELS-CTE")]
    ElsCte,
    #[serde(rename = "ELS-CTEP")]
    ElsCtep,
    #[serde(rename = "ELS-PCTE")]
    ElsPcte,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Teacher,
    Counselor,
}

impl Role {
    pub fn words(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Counselor => "school counselor",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nbpts {
    None,
    Candidate,
    Certified,
    Renewal,
}

impl Nbpts {
    /// Holds the National Board designation (certified, or renewing it).
    pub fn certified(self) -> bool {
        matches!(self, Nbpts::Certified | Nbpts::Renewal)
    }
}

/// The pension system a retired educator draws an annuity from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pension {
    #[serde(rename = "TRS")]
    Trs,
    #[serde(rename = "CTPF")]
    Ctpf,
}

/// What the educator says of themselves, and what the employer verified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Educator {
    pub license: License,
    pub role: Role,
    pub nbpts: Nbpts,
    pub full_time: bool,
    pub originally_assigned: bool,
    /// Retired, drawing an annuity from this system.
    pub retired: Option<Pension>,
    /// The employer's verification of the position facts: `None` while
    /// not given.
    pub verified: Option<bool>,
}

/// The NCES locale code of a locale as the data writes it: the code
/// alone (`42`) or with its name (`42-Rural: Distant`); `None` when the
/// text starts with no two-digit code.
pub fn locale_code(text: &str) -> Option<u16> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (digits.len() == 2).then(|| digits.parse().ok()).flatten()
}

/// What the data holds of the educator's school.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchoolFacts {
    /// Low-income share of enrolment, percent (report card).
    pub low_income_pct: Option<f64>,
    /// NCES locale code.
    pub locale: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Eligible,
    Ineligible,
    Unknown,
}

/// One payment type's answer (api.md's eligibility item).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eligibility {
    pub payment_type: String,
    pub status: Status,
    pub amount_cents: i64,
    pub reason: String,
}

/// A yes, no or don't-know with its reason, combined left to right: the
/// first "no" decides; else the first "unknown"; else yes with every
/// reason.
#[derive(Clone, Debug)]
struct Finding {
    status: Status,
    reason: String,
}

fn yes(reason: impl Into<String>) -> Finding {
    Finding {
        status: Status::Eligible,
        reason: reason.into(),
    }
}

fn no(reason: impl Into<String>) -> Finding {
    Finding {
        status: Status::Ineligible,
        reason: reason.into(),
    }
}

fn unknown(reason: impl Into<String>) -> Finding {
    Finding {
        status: Status::Unknown,
        reason: reason.into(),
    }
}

fn all(findings: Vec<Finding>) -> Finding {
    if let Some(f) = findings.iter().find(|f| f.status == Status::Ineligible) {
        return f.clone();
    }
    if let Some(f) = findings.iter().find(|f| f.status == Status::Unknown) {
        return f.clone();
    }
    yes(findings
        .iter()
        .map(|f| f.reason.as_str())
        .collect::<Vec<_>>()
        .join("; "))
}

/// The position test of 25.444(b): employed, originally assigned to a
/// full-time position authorized by the license (a PEL for teachers and
/// counselors, an ELS-CTE, -CTEP or -PCTE for teachers), as the employer
/// verifies.
fn position(e: &Educator) -> Finding {
    if e.retired.is_some() {
        return no("retired: the payment is for educators employed in a position (25.444(b))");
    }
    if !e.full_time {
        return no("the position is not full-time (25.444(b))");
    }
    if !e.originally_assigned {
        return no("not the person originally assigned to the position (25.444(b))");
    }
    if e.role == Role::Counselor && e.license != License::Pel {
        return no("a school counselor's position must be authorized by a school counselor endorsement on a PEL (25.444(b)(2))");
    }
    match e.verified {
        Some(true) => yes("a full-time position, originally assigned, verified by the employer"),
        Some(false) => no("the employer did not confirm the position facts"),
        None => unknown("waiting for the employer to verify the position (25.444(b))"),
    }
}

fn hard_to_staff(rules: &FiscalYearRules, school: &SchoolFacts) -> Finding {
    match school.low_income_pct {
        Some(p) if p >= rules.hard_to_staff_low_income_pct => yes(format!(
            "a hard-to-staff school ({p:.1}% low income, at least {}%)",
            rules.hard_to_staff_low_income_pct
        )),
        Some(p) => no(format!(
            "the school is not hard-to-staff: {p:.1}% low income, under {}%",
            rules.hard_to_staff_low_income_pct
        )),
        None => unknown("the report card gives no low-income share for the school"),
    }
}

fn rural(rules: &FiscalYearRules, school: &SchoolFacts) -> Finding {
    match school.locale {
        Some(code) if rules.rural_locale_codes.contains(&code) => yes(format!(
            "a rural, remote or distant school (NCES locale {code})"
        )),
        Some(code) => no(format!(
            "the school is not rural, remote or distant (NCES locale {code})"
        )),
        None => unknown("the data gives no NCES locale for the school"),
    }
}

/// Every payment type's answer for the educator in the fiscal year.
pub fn eligibility(
    rules: &FiscalYearRules,
    e: &Educator,
    school: &SchoolFacts,
) -> Vec<Eligibility> {
    let nbct = || {
        if e.nbpts.certified() {
            yes("National Board certified")
        } else {
            no("not National Board certified")
        }
    };
    let pel_nbct = || {
        if e.license == License::Pel {
            nbct()
        } else {
            no("a PEL with the National Board designation is needed")
        }
    };
    rules
        .payment_type
        .iter()
        .map(|t| {
            let finding = match t.slug.as_str() {
                "fee" => all(vec![
                    if e.nbpts == Nbpts::Candidate {
                        yes("a National Board candidate")
                    } else {
                        no("the fee is for National Board candidates")
                    },
                    position(e),
                ]),
                "renewal" => all(vec![
                    if e.nbpts == Nbpts::Renewal {
                        yes("renewing the National Board certificate")
                    } else {
                        no("the subsidy is for renewing a National Board certificate")
                    },
                    position(e),
                ]),
                "retention" => all(vec![nbct(), position(e), hard_to_staff(rules, school)]),
                // 25.444(c)(1): employed full-time as in (b), or retired
                // from TRS or CTPF; a PEL with the designation.
                "mentoring" => all(vec![
                    pel_nbct(),
                    match e.retired {
                        Some(_) => yes("retired, drawing a TRS or CTPF annuity"),
                        None => position(e),
                    },
                ]),
                "incentive_d" => {
                    let place = {
                        let r = rural(rules, school);
                        let h = hard_to_staff(rules, school);
                        match (r.status, h.status) {
                            (Status::Eligible, _) => r,
                            (_, Status::Eligible) => h,
                            (Status::Unknown, _) => r,
                            (_, Status::Unknown) => h,
                            _ => no(format!("{}; {}", r.reason, h.reason)),
                        }
                    };
                    all(vec![
                        nbct(),
                        position(e),
                        place,
                        yes("paid only from money left after every qualified educator"),
                    ])
                }
                "training_g" => all(vec![
                    if e.nbpts == Nbpts::None {
                        no("the training is for qualified educators (National Board candidates or certified)")
                    } else {
                        yes("a qualified educator")
                    },
                    unknown("the State Superintendent's (g) announcement sets who may take part and how to apply"),
                ]),
                other => unknown(format!("no rule for `{other}`")),
            };
            Eligibility {
                payment_type: t.slug.clone(),
                status: finding.status,
                amount_cents: t.amount_cents,
                reason: finding.reason,
            }
        })
        .collect()
}
