//! A fiscal year's rules (`states/<state>/tep/fy<N>.toml`): payment types
//! with amounts and caps, the request window, the announcement deadline,
//! the facts that make a school hard-to-staff or rural, the hours that
//! count, the standards a log names.

use empower_calendar::{Date, YearDay};
use serde::{Deserialize, Serialize};

/// The payment types of tep.md's ledger, in the order of the statute.
pub const SLUGS: [&str; 6] = [
    "fee",
    "renewal",
    "retention",
    "mentoring",
    "incentive_d",
    "training_g",
];

#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct RulesError {
    pub source_name: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub opens: YearDay,
    pub closes: YearDay,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentType {
    pub slug: String,
    pub label: String,
    /// The statute's section (`21B-70(c)(1)`).
    pub section: String,
    /// The payment, whole cents (no partial payments).
    pub amount_cents: i64,
    /// At most this many payments of the type in the year.
    #[serde(default)]
    pub cap_count: Option<u32>,
    /// At most this much paid for the type in the year.
    #[serde(default)]
    pub cap_cents: Option<i64>,
    /// 0: an (a)-(c) payment, decided first come, first served; 1, 2...:
    /// decided in that order only from the money left after every (a)-(c)
    /// request of the year is decided.
    #[serde(default)]
    pub residual: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Standards {
    pub teacher: Vec<String>,
    pub counselor: Vec<String>,
    /// The NBPTS certification requirements a candidate-assistance log
    /// names (25.444(d)(2)).
    pub nbpts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FiscalYearRules {
    pub version: String,
    /// The fiscal year ending June 30 of this year.
    pub fiscal_year: i16,
    #[serde(default)]
    pub draft: bool,
    pub request_window: Window,
    pub announcement_deadline: YearDay,
    pub waiting_keeps_place: bool,
    pub reservation_lapse_days: i64,
    pub hard_to_staff_low_income_pct: f64,
    pub rural_locale_codes: Vec<u16>,
    pub mentoring_max_hours: f64,
    pub payment_type: Vec<PaymentType>,
    pub standards: Standards,
}

impl FiscalYearRules {
    /// Reads and checks a fiscal year's rules: every slug of the ledger
    /// once, amounts and caps not negative, dates that exist in every
    /// year, a window that opens before it closes.
    pub fn parse(text: &str, source_name: &str) -> Result<FiscalYearRules, RulesError> {
        let invalid = |message: String| RulesError {
            source_name: source_name.to_string(),
            message,
        };
        let rules: FiscalYearRules = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (name, d) in [
            ("request_window.opens", rules.request_window.opens),
            ("request_window.closes", rules.request_window.closes),
            ("announcement_deadline", rules.announcement_deadline),
        ] {
            d.check().map_err(|e| invalid(format!("{name}: {e}")))?;
        }
        let (opens, closes) = rules.window().map_err(invalid)?;
        if closes < opens {
            return Err(invalid("request_window: it closes before it opens".into()));
        }
        for slug in SLUGS {
            let n = rules.payment_type.iter().filter(|t| t.slug == slug).count();
            if n != 1 {
                return Err(invalid(format!(
                    "[[payment_type]] `{slug}` is given {n} times; each of {} once",
                    SLUGS.join(", ")
                )));
            }
        }
        for t in &rules.payment_type {
            if !SLUGS.contains(&t.slug.as_str()) {
                return Err(invalid(format!(
                    "[[payment_type]] `{}` is not a payment type: one of {}",
                    t.slug,
                    SLUGS.join(", ")
                )));
            }
            if t.amount_cents <= 0 || t.cap_cents.is_some_and(|c| c < 0) {
                return Err(invalid(format!(
                    "[[payment_type]] `{}`: amount_cents above 0 and cap_cents 0 or more",
                    t.slug
                )));
            }
        }
        if rules.reservation_lapse_days < 1
            || rules.mentoring_max_hours <= 0.0
            || !(0.0..=100.0).contains(&rules.hard_to_staff_low_income_pct)
        {
            return Err(invalid(
                "reservation_lapse_days 1 or more, mentoring_max_hours above 0, hard_to_staff_low_income_pct 0-100".into(),
            ));
        }
        Ok(rules)
    }

    pub fn payment_type(&self, slug: &str) -> Option<&PaymentType> {
        self.payment_type.iter().find(|t| t.slug == slug)
    }

    /// The fiscal year's first calendar year (it starts on July 1 of it).
    fn start(&self) -> i16 {
        self.fiscal_year - 1
    }

    /// The request window's first and last days.
    pub fn window(&self) -> Result<(Date, Date), String> {
        Ok((
            self.request_window.opens.on(self.start())?,
            self.request_window.closes.on(self.start())?,
        ))
    }

    /// The last day the (g) announcement may be published.
    pub fn announcement_deadline(&self) -> Result<Date, String> {
        self.announcement_deadline.on(self.start())
    }

    /// Whether a request may be made on `today`.
    pub fn window_open(&self, today: Date) -> bool {
        self.window()
            .is_ok_and(|(opens, closes)| opens <= today && today <= closes)
    }

    /// Whether the window has closed by `today`: the residual money may
    /// then be decided.
    pub fn window_closed(&self, today: Date) -> bool {
        self.window().is_ok_and(|(_, closes)| today > closes)
    }
}

/// The fiscal year a date falls in (Illinois: July to June, named by the
/// calendar year it ends in).
pub fn fiscal_year_of(today: Date) -> i16 {
    empower_calendar::school_year_of(today, 7) + 1
}

/// The rules for `fiscal_year` among those shipped: its own, else the
/// nearest earlier year's, moved to `fiscal_year` (its dates fall in that
/// year).
pub fn rules_for(all: &[FiscalYearRules], fiscal_year: i16) -> Option<FiscalYearRules> {
    all.iter()
        .filter(|r| r.fiscal_year <= fiscal_year)
        .max_by_key(|r| r.fiscal_year)
        .map(|r| FiscalYearRules {
            fiscal_year,
            ..r.clone()
        })
}
