//! The cycle's rules and the quality framework, as rules data: read and
//! checked once, so that the rest never meets a bad file.

use empower_calendar::{Date, YearDay};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
}

/// A code and the words pages show for it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub needs_assessment: YearDay,
    pub work_plan: YearDay,
    pub reminder_days: i64,
    /// A person is reminded of an item at most once in this many days.
    pub reminder_repeat_days: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Statuses {
    pub in_cycle: Vec<String>,
    pub partner_required: Vec<String>,
    pub coordinator_assigned: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HelpLine {
    pub statuses: Vec<String>,
    pub phone: String,
}

/// A required section of the work plan.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub code: String,
    pub label: String,
    pub prompt: String,
    /// Drawn from the data and the needs assessment, not written.
    pub prefilled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[serde(default)]
    pub draft: bool,
    pub rule: String,
    pub category: Vec<Term>,
}

/// `improvement/cycle.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CycleRules {
    pub version: String,
    pub school_year_starts: i8,
    pub support_starts_after_report_card: i16,
    pub deadlines: Deadlines,
    pub statuses: Statuses,
    pub help_line: HelpLine,
    pub section: Vec<Section>,
    pub review_sections: Vec<String>,
    pub budget: Budget,
    pub state_goals: Vec<String>,
}

/// The work plan's sections a reviewer comments on that are not the four
/// written ones: the engine knows what each holds.
pub const PLAN_PARTS: [&str; 4] = ["goals", "strategies", "budget", "monitoring"];

impl CycleRules {
    pub fn parse(text: &str, source_name: &str) -> Result<CycleRules, RulesError> {
        let invalid = |message: String| RulesError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let rules: CycleRules = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if !(1..=12).contains(&rules.school_year_starts) {
            return Err(invalid(format!(
                "school_year_starts = {}: give the month, 1 to 12",
                rules.school_year_starts
            )));
        }
        for (name, d) in [
            ("needs_assessment", rules.deadlines.needs_assessment),
            ("work_plan", rules.deadlines.work_plan),
        ] {
            d.check()
                .map_err(|e| invalid(format!("deadlines.{name}: {e}")))?;
        }
        let d = rules.deadlines(2021).map_err(invalid)?;
        if d.work_plan < d.needs_assessment {
            return Err(invalid(
                "deadlines: the work plan is due before the needs assessment".into(),
            ));
        }
        if rules.deadlines.reminder_days < 0 {
            return Err(invalid("deadlines.reminder_days: 0 or more".into()));
        }
        if rules.deadlines.reminder_repeat_days < 1 {
            return Err(invalid("deadlines.reminder_repeat_days: 1 or more".into()));
        }
        let written: Vec<&str> = rules.section.iter().map(|s| s.code.as_str()).collect();
        for code in &rules.review_sections {
            if !written.contains(&code.as_str()) && !PLAN_PARTS.contains(&code.as_str()) {
                return Err(invalid(format!(
                    "review_sections: `{code}` is neither a [[section]] ({}) nor one of {}",
                    written.join(", "),
                    PLAN_PARTS.join(", ")
                )));
            }
        }
        for s in &written {
            if !rules.review_sections.iter().any(|r| r == s) {
                return Err(invalid(format!(
                    "review_sections: section {s} cannot be commented on; list it"
                )));
            }
        }
        if rules.budget.category.is_empty() {
            return Err(invalid(
                "budget: list at least one [[budget.category]]".into(),
            ));
        }
        for list in [
            &rules.statuses.partner_required,
            &rules.statuses.coordinator_assigned,
            &rules.help_line.statuses,
        ] {
            if let Some(s) = list.iter().find(|s| !rules.statuses.in_cycle.contains(s)) {
                return Err(invalid(format!(
                    "`{s}` is not in statuses.in_cycle ({})",
                    rules.statuses.in_cycle.join(", ")
                )));
            }
        }
        Ok(rules)
    }

    /// The due dates of the school year starting in calendar year `start`.
    pub fn deadlines(&self, start: i16) -> Result<DueDates, String> {
        Ok(DueDates {
            school_year: start,
            needs_assessment: self.deadlines.needs_assessment.on(start)?,
            work_plan: self.deadlines.work_plan.on(start)?,
        })
    }

    /// The first calendar year of the school year `today` falls in.
    pub fn school_year_of(&self, today: Date) -> i16 {
        empower_calendar::school_year_of(today, self.school_year_starts)
    }

    /// The school year in which designations of report card `year` start
    /// support (platform.md's mapping).
    pub fn support_school_year(&self, report_card: u16) -> i16 {
        report_card as i16 + self.support_starts_after_report_card
    }

    pub fn in_cycle(&self, status: &str) -> bool {
        self.statuses.in_cycle.iter().any(|s| s == status)
    }

    pub fn partner_required(&self, status: &str) -> bool {
        self.statuses.partner_required.iter().any(|s| s == status)
    }

    pub fn coordinator_assigned(&self, status: &str) -> bool {
        self.statuses
            .coordinator_assigned
            .iter()
            .any(|s| s == status)
    }

    pub fn help_line(&self, status: &str) -> bool {
        self.help_line.statuses.iter().any(|s| s == status)
    }

    pub fn category(&self, code: &str) -> Option<&Term> {
        self.budget.category.iter().find(|c| c.code == code)
    }
}

/// A school year's due dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDates {
    pub school_year: i16,
    pub needs_assessment: Date,
    pub work_plan: Date,
}

/// An indicator of a standard, with its rubric: one descriptor per level.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub text: String,
    pub rubric: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub code: String,
    /// Filled from the naming file.
    #[serde(default)]
    pub name: String,
    pub indicator: Vec<Indicator>,
}

/// The quality framework: standards, indicators, levels and rubric.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub version: String,
    #[serde(default)]
    pub draft: bool,
    pub levels: Vec<String>,
    pub standard: Vec<Standard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Names {
    #[allow(dead_code)]
    version: String,
    names: BTreeMap<String, String>,
}

impl Framework {
    /// Reads the framework and names its standards from `names` (either
    /// naming version): every standard needs a name, every name a
    /// standard; every indicator one descriptor per level; codes unique.
    pub fn parse(
        text: &str,
        source_name: &str,
        names: &str,
        names_source: &str,
    ) -> Result<Framework, RulesError> {
        let invalid = |source: &str, message: String| RulesError::Invalid {
            source_name: source.to_string(),
            message,
        };
        let mut f: Framework =
            toml::from_str(text).map_err(|e| invalid(source_name, e.to_string()))?;
        let n: Names = toml::from_str(names).map_err(|e| invalid(names_source, e.to_string()))?;
        if f.levels.len() < 2 {
            return Err(invalid(source_name, "levels: give at least two".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &mut f.standard {
            s.name = n.names.get(&s.code).cloned().ok_or_else(|| {
                invalid(names_source, format!("no name for standard `{}`", s.code))
            })?;
            if s.indicator.is_empty() {
                return Err(invalid(
                    source_name,
                    format!("standard `{}` has no indicator", s.code),
                ));
            }
            for i in &s.indicator {
                if !seen.insert(i.code.clone()) {
                    return Err(invalid(
                        source_name,
                        format!("indicator `{}` is listed twice", i.code),
                    ));
                }
                if i.rubric.len() != f.levels.len() {
                    return Err(invalid(
                        source_name,
                        format!(
                            "indicator `{}` has {} rubric descriptors for {} levels",
                            i.code,
                            i.rubric.len(),
                            f.levels.len()
                        ),
                    ));
                }
            }
        }
        if let Some(extra) = n
            .names
            .keys()
            .find(|k| !f.standard.iter().any(|s| &s.code == *k))
        {
            return Err(invalid(
                names_source,
                format!("`{extra}` names no standard of {source_name}"),
            ));
        }
        Ok(f)
    }

    pub fn indicator(&self, code: &str) -> Option<(&Standard, &Indicator)> {
        self.standard
            .iter()
            .find_map(|s| s.indicator.iter().find(|i| i.code == code).map(|i| (s, i)))
    }

    pub fn indicator_count(&self) -> usize {
        self.standard.iter().map(|s| s.indicator.len()).sum()
    }

    /// The position of a level (0: the lowest).
    pub fn level_rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }
}
