//! Deadlines and the approval chain: pure functions of the dates and the
//! plan's status, so that every rule is tested with fixed dates.

use empower_calendar::Date;
use serde::{Deserialize, Serialize};

/// Where an item stands against its due date on `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Timeliness {
    /// First submitted on or before the due date.
    OnTime { submitted_on: Date },
    /// First submitted after it: flagged, never refused or lost.
    Late { submitted_on: Date, days_late: i32 },
    /// Not submitted; the due date is today or later.
    Due { days_left: i32 },
    /// Not submitted and the due date has passed.
    Overdue { days_late: i32 },
}

impl Timeliness {
    /// Whether it is flagged late (submitted late, or overdue).
    pub fn is_late(&self) -> bool {
        matches!(self, Timeliness::Late { .. } | Timeliness::Overdue { .. })
    }

    /// Words for a dashboard.
    pub fn words(&self) -> String {
        match self {
            Timeliness::OnTime { submitted_on } => format!("submitted on time ({submitted_on})"),
            Timeliness::Late {
                submitted_on,
                days_late,
            } => format!(
                "submitted {days_late} day{} late ({submitted_on})",
                plural(*days_late)
            ),
            Timeliness::Due { days_left: 0 } => "due today".into(),
            Timeliness::Due { days_left } => {
                format!("due in {days_left} day{}", plural(*days_left))
            }
            Timeliness::Overdue { days_late } => {
                format!("overdue by {days_late} day{}", plural(*days_late))
            }
        }
    }
}

fn plural(n: i32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn days(from: Date, to: Date) -> i32 {
    (to - from).get_days()
}

/// Timeliness is judged on the **first** submission: a plan submitted on
/// time, returned and resubmitted after the due date is not late. Dates
/// are the state's calendar dates (the due date itself is on time).
pub fn timeliness(due: Date, first_submitted: Option<Date>, today: Date) -> Timeliness {
    match first_submitted {
        Some(on) if on <= due => Timeliness::OnTime { submitted_on: on },
        Some(on) => Timeliness::Late {
            submitted_on: on,
            days_late: days(due, on),
        },
        None if today <= due => Timeliness::Due {
            days_left: days(today, due),
        },
        None => Timeliness::Overdue {
            days_late: days(due, today),
        },
    }
}

/// Whether an item not yet submitted is due within `within` days of
/// `today` (a reminder), or overdue.
pub fn needs_reminder(due: Date, submitted: bool, today: Date, within: i64) -> bool {
    !submitted && i64::from(days(today, due)) <= within
}

/// A work plan's status (api.md's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Submitted,
    Returned,
    LeaApproved,
    Approved,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 5] = [
        PlanStatus::Draft,
        PlanStatus::Submitted,
        PlanStatus::Returned,
        PlanStatus::LeaApproved,
        PlanStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Submitted => "submitted",
            PlanStatus::Returned => "returned",
            PlanStatus::LeaApproved => "lea_approved",
            PlanStatus::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<PlanStatus> {
        PlanStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether the school (or its partner) may change the plan.
    pub fn editable(self) -> bool {
        matches!(self, PlanStatus::Draft | PlanStatus::Returned)
    }

    pub fn words(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Draft",
            PlanStatus::Submitted => "Submitted: waiting for the district",
            PlanStatus::Returned => "Returned for changes",
            PlanStatus::LeaApproved => "Approved by the district: waiting for the state",
            PlanStatus::Approved => "Approved",
        }
    }
}

/// Who reviews: the district (LEA), then the state (SEA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Lea,
    Sea,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "lea" => Some(Level::Lea),
            "sea" => Some(Level::Sea),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Lea => "lea",
            Level::Sea => "sea",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Returned,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approved" => Some(Decision::Approved),
            "returned" => Some(Decision::Returned),
            _ => None,
        }
    }
}

/// The school submits: a draft or a returned plan becomes submitted.
pub fn submit(status: PlanStatus) -> Result<PlanStatus, String> {
    match status {
        PlanStatus::Draft | PlanStatus::Returned => Ok(PlanStatus::Submitted),
        PlanStatus::Approved => {
            Err("the plan is approved and locked; start an amendment to change it".into())
        }
        other => Err(format!(
            "the plan is {} already; it can be submitted again only once returned",
            other.as_str()
        )),
    }
}

/// A review: the district decides a submitted plan, the state one the
/// district approved.
pub fn review(status: PlanStatus, level: Level, decision: Decision) -> Result<PlanStatus, String> {
    match (level, status) {
        (Level::Lea, PlanStatus::Submitted) | (Level::Sea, PlanStatus::LeaApproved) => {
            Ok(match (level, decision) {
                (_, Decision::Returned) => PlanStatus::Returned,
                (Level::Lea, Decision::Approved) => PlanStatus::LeaApproved,
                (Level::Sea, Decision::Approved) => PlanStatus::Approved,
            })
        }
        (Level::Lea, other) => Err(format!(
            "the district reviews a submitted plan; this one is {}",
            other.as_str()
        )),
        (Level::Sea, other) => Err(format!(
            "the state reviews a plan the district approved; this one is {}",
            other.as_str()
        )),
    }
}

/// An approved plan is amended through a new version that goes through
/// the same chain.
pub fn amend(status: PlanStatus) -> Result<PlanStatus, String> {
    match status {
        PlanStatus::Approved => Ok(PlanStatus::Draft),
        other => Err(format!(
            "only an approved plan is amended; this one is {} and can be changed as it is",
            other.as_str()
        )),
    }
}
