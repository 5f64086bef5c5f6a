//! The Resource Allocation Review rules: which report card a fiscal year
//! reads, the selection rule and its weights, the notice deadline and the
//! letter, the properties and the rubric (draft wording marked draft).

use empower_calendar::{Date, YearDay};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct RulesError {
    pub source_name: String,
    pub message: String,
}

/// The default selection rule (rar.md): at least `min_identified`
/// identified schools and at least `min_share` of the district's schools,
/// ranked by weighted share then years in status.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// The designations that count as identified for support, each with
    /// its weight (Intensive 3, Comprehensive 2, Targeted 1).
    pub weights: BTreeMap<String, f64>,
    pub min_identified: u32,
    /// A fraction 0..1.
    pub min_share: f64,
    /// At most this many districts selected by the rule (none: no limit).
    #[serde(default)]
    pub max_selected: Option<u32>,
}

impl Selection {
    /// The largest weight: `weighted_share` divides by it times the
    /// number of schools.
    pub fn max_weight(&self) -> f64 {
        self.weights.values().copied().fold(0.0, f64::max)
    }
}

/// One of the four Properties of Effective Resource Allocation Systems.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The rubric: what each level looks like, by level slug.
    pub rubric: BTreeMap<String, String>,
}

/// A rubric level, lowest first.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub slug: String,
    pub name: String,
}

/// The notice's letter: `{placeholders}` filled with the district's
/// figures (`notice::PLACEHOLDERS`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RarRules {
    pub version: String,
    /// The rubric's and the letter's wording is draft.
    #[serde(default)]
    pub draft: bool,
    /// Fiscal year F reads the designations of report-card year F +
    /// this (−1: FY2024 followed the 2023 report card).
    pub report_card_year_offset: i16,
    pub selection: Selection,
    /// Notices are due by this date (`year` 0: the fiscal year's first
    /// calendar year, e.g. December 15, 2018 for fiscal year 2019).
    pub notice_deadline: YearDay,
    /// Reviews begin on this date.
    pub reviews_begin: YearDay,
    pub letter: Letter,
    pub levels: Vec<Level>,
    pub property: Vec<Property>,
}

impl RarRules {
    /// Reads and checks the rules: weights positive, thresholds in range,
    /// dates that exist, four properties each with a rubric text for
    /// every level, a letter whose placeholders are known.
    pub fn parse(text: &str, source_name: &str) -> Result<RarRules, RulesError> {
        let invalid = |message: String| RulesError {
            source_name: source_name.to_string(),
            message,
        };
        let rules: RarRules = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let s = &rules.selection;
        if s.weights.is_empty() || s.weights.values().any(|w| w.is_nan() || *w <= 0.0) {
            return Err(invalid(
                "[selection.weights]: each identified designation with a positive weight".into(),
            ));
        }
        if !(0.0..=1.0).contains(&s.min_share) {
            return Err(invalid(format!(
                "selection.min_share = {}: a fraction from 0 to 1",
                s.min_share
            )));
        }
        for (name, d) in [
            ("notice_deadline", rules.notice_deadline),
            ("reviews_begin", rules.reviews_begin),
        ] {
            d.check().map_err(|e| invalid(format!("{name}: {e}")))?;
        }
        if rules.levels.len() < 2 {
            return Err(invalid("[[levels]]: at least two rubric levels".into()));
        }
        if rules.property.is_empty() {
            return Err(invalid("[[property]]: the properties rated".into()));
        }
        for p in &rules.property {
            for l in &rules.levels {
                if !p.rubric.contains_key(&l.slug) {
                    return Err(invalid(format!(
                        "[[property]] `{}`: no rubric text for level `{}`",
                        p.slug, l.slug
                    )));
                }
            }
            if let Some(extra) = p
                .rubric
                .keys()
                .find(|k| !rules.levels.iter().any(|l| &l.slug == *k))
            {
                return Err(invalid(format!(
                    "[[property]] `{}`: `{extra}` is not a level",
                    p.slug
                )));
            }
        }
        for text in [&rules.letter.subject, &rules.letter.body] {
            crate::notice::check_template(text).map_err(|e| invalid(format!("[letter]: {e}")))?;
        }
        Ok(rules)
    }

    /// The report-card year fiscal year `fiscal_year` reads.
    pub fn report_card_year(&self, fiscal_year: i16) -> i16 {
        fiscal_year + self.report_card_year_offset
    }

    /// The fiscal year's first calendar year (FY2019 starts in 2018).
    fn start(fiscal_year: i16) -> i16 {
        fiscal_year - 1
    }

    /// The last day a notice of the fiscal year is on time.
    pub fn notice_deadline(&self, fiscal_year: i16) -> Result<Date, String> {
        self.notice_deadline.on(Self::start(fiscal_year))
    }

    /// The day reviews of the fiscal year begin.
    pub fn reviews_begin(&self, fiscal_year: i16) -> Result<Date, String> {
        self.reviews_begin.on(Self::start(fiscal_year))
    }

    pub fn property(&self, slug: &str) -> Option<&Property> {
        self.property.iter().find(|p| p.slug == slug)
    }

    pub fn level(&self, slug: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.slug == slug)
    }
}
