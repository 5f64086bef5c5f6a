//! Peer Learning Partners (spec: partners.md): who may apply, when a
//! round takes applications, when an approved partner needs review, and
//! which partners fit a school in support, with the points of every
//! reason. Pure: values in, decisions out; the caller passes today's date.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use empower_calendar::{Date, YearDay};

/// The six recommendation reasons, in the order they are shown
/// (partners.md's codes).
pub const REASONS: [&str; 6] = [
    "region",
    "priority-area",
    "capacity",
    "similar-demographics",
    "higher-performing",
    "stronger-indicator",
];

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
pub struct Term {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct RoundDefaults {
    #[serde(default)]
    pub draft: bool,
    /// `{year}` and `{next}` are the school year's calendar years.
    pub name: String,
    /// The month (1-12) a school year starts in.
    pub school_year_starts: i8,
    pub opens: YearDay,
    pub due: YearDay,
    pub decision: YearDay,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct IndicatorArea {
    #[serde(default)]
    pub draft: bool,
    /// Accountability indicator → priority area code.
    pub map: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Ranking {
    #[serde(default)]
    pub draft: bool,
    pub similar_distance_scale: f64,
    /// Points of each reason code.
    pub points: BTreeMap<String, f64>,
}

/// The program's rules (`states/<state>/partners/plp.toml`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct PlpRules {
    pub version: String,
    pub eligible_designations: Vec<String>,
    pub support_statuses: Vec<String>,
    pub round: RoundDefaults,
    pub priority_area: Vec<Term>,
    pub service: Vec<Term>,
    pub indicator_area: IndicatorArea,
    pub ranking: Ranking,
}

impl PlpRules {
    /// Reads and checks the rules: every reason has points, every mapped
    /// area is a priority area, the default dates exist and come in order.
    pub fn parse(text: &str, source_name: &str) -> Result<PlpRules, RulesError> {
        let invalid = |message: String| RulesError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let rules: PlpRules = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for reason in REASONS {
            match rules.ranking.points.get(reason) {
                Some(p) if p.is_finite() && *p >= 0.0 => {}
                Some(p) => {
                    return Err(invalid(format!(
                        "ranking.points.{reason} = {p}: give a number of points, 0 or more"
                    )))
                }
                None => {
                    return Err(invalid(format!(
                        "ranking.points has no `{reason}`: every reason ({}) needs its points",
                        REASONS.join(", ")
                    )))
                }
            }
        }
        if let Some(extra) = rules
            .ranking
            .points
            .keys()
            .find(|k| !REASONS.contains(&k.as_str()))
        {
            return Err(invalid(format!(
                "ranking.points.{extra} is not a reason: the reasons are {}",
                REASONS.join(", ")
            )));
        }
        let scale = rules.ranking.similar_distance_scale;
        if !scale.is_finite() || scale <= 0.0 {
            return Err(invalid(
                "ranking.similar_distance_scale must be more than 0".into(),
            ));
        }
        for (indicator, area) in &rules.indicator_area.map {
            if !rules.priority_area.iter().any(|a| &a.code == area) {
                return Err(invalid(format!(
                    "indicator_area.map.{indicator} = \"{area}\" is not a priority area ({})",
                    rules
                        .priority_area
                        .iter()
                        .map(|a| a.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let dates = rules
            .default_round(2018)
            .map_err(|e| invalid(format!("round: {e}")))?;
        check_dates(&dates.1).map_err(|e| invalid(format!("round: {e}")))?;
        Ok(rules)
    }

    /// The default round of school year `start`/`start + 1`: its name and
    /// dates.
    pub fn default_round(&self, start: i16) -> Result<(String, RoundDates), String> {
        let date = |d: YearDay| d.on(start);
        let name = self
            .round
            .name
            .replace("{year}", &start.to_string())
            .replace("{next}", &(start + 1).to_string());
        Ok((
            name,
            RoundDates {
                opens_on: date(self.round.opens)?,
                due_on: date(self.round.due)?,
                decision_on: date(self.round.decision)?,
            },
        ))
    }

    /// The first calendar year of the school year `today` falls in.
    pub fn school_year_of(&self, today: Date) -> i16 {
        empower_calendar::school_year_of(today, self.round.school_year_starts)
    }

    pub fn is_priority_area(&self, code: &str) -> bool {
        self.priority_area.iter().any(|a| a.code == code)
    }

    pub fn is_service(&self, code: &str) -> bool {
        self.service.iter().any(|s| s.code == code)
    }

    pub fn area_label<'a>(&'a self, code: &'a str) -> &'a str {
        self.priority_area
            .iter()
            .find(|a| a.code == code)
            .map_or(code, |a| a.label.as_str())
    }

    fn points(&self, reason: &str) -> f64 {
        self.ranking.points.get(reason).copied().unwrap_or(0.0)
    }
}

/// When a round opens, when applications are due, when the state decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundDates {
    pub opens_on: Date,
    pub due_on: Date,
    pub decision_on: Date,
}

/// The dates come in order: opens ≤ due ≤ decision.
pub fn check_dates(d: &RoundDates) -> Result<(), String> {
    if d.opens_on > d.due_on {
        return Err(format!(
            "the round opens on {} after its due date {}",
            d.opens_on, d.due_on
        ));
    }
    if d.due_on > d.decision_on {
        return Err(format!(
            "the decision date {} comes before the due date {}",
            d.decision_on, d.due_on
        ));
    }
    Ok(())
}

/// Whether a round takes applications on `today` (its dates included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    NotYetOpen { opens_on: Date },
    Open,
    Closed { due_on: Date },
}

pub fn window(d: &RoundDates, today: Date) -> Window {
    if today < d.opens_on {
        Window::NotYetOpen {
            opens_on: d.opens_on,
        }
    } else if today > d.due_on {
        Window::Closed { due_on: d.due_on }
    } else {
        Window::Open
    }
}

impl Window {
    /// What to tell an applicant outside the window.
    pub fn refusal(&self, d: &RoundDates) -> Option<String> {
        match self {
            Window::Open => None,
            Window::NotYetOpen { opens_on } => Some(format!(
                "this round takes applications from {opens_on} to {}; it is not open yet",
                d.due_on
            )),
            Window::Closed { due_on } => Some(format!(
                "this round took applications from {} to {due_on}; it is closed",
                d.opens_on
            )),
        }
    }
}

/// The round a new application goes to on `today`: the open round that
/// opened last, else the next to open; `None` when every round is closed.
pub fn round_for_new_applications<K: Copy>(rounds: &[(K, RoundDates)], today: Date) -> Option<K> {
    let open = rounds
        .iter()
        .filter(|(_, d)| window(d, today) == Window::Open)
        .max_by_key(|(_, d)| d.opens_on);
    let next = || {
        rounds
            .iter()
            .filter(|(_, d)| today < d.opens_on)
            .min_by_key(|(_, d)| d.opens_on)
    };
    open.or_else(next).map(|(k, _)| *k)
}

/// Whether a school whose current designation of record is
/// `designation` may apply: `Err` says why not.
pub fn eligibility(rules: &PlpRules, designation: Option<&str>) -> Result<(), String> {
    let list = rules.eligible_designations.join(" or ");
    match designation {
        Some(d) if rules.eligible_designations.iter().any(|e| e == d) => Ok(()),
        Some(d) => Err(format!(
            "only {list} schools may become Peer Learning Partners; this school's current designation is {d}"
        )),
        None => Err(format!(
            "only {list} schools may become Peer Learning Partners; this school has no current designation"
        )),
    }
}

/// An approved partner whose designation is no longer eligible is
/// flagged for the state's review (never silently kept or dropped).
pub fn needs_review(rules: &PlpRules, designation: Option<&str>) -> bool {
    eligibility(rules, designation).is_err()
}

/// An indicator of a school's latest explanation, with its score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    pub indicator: String,
    pub label: String,
    pub score: f64,
}

/// What the ranking knows of the school in support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolInNeed {
    /// Its ROE / ISC region and the region's name.
    pub region: String,
    pub region_name: String,
    /// The priority area chosen in its needs assessment, if any.
    pub chosen_area: Option<String>,
    /// Its indicator scores (the band that stands for it).
    pub indicators: Vec<IndicatorScore>,
    /// Its opportunity gap by subject (latest year).
    pub gaps: Vec<(String, f64)>,
}

impl SchoolInNeed {
    /// The indicator with the lowest score (ties: the first by name).
    pub fn weakest_indicator(&self) -> Option<&IndicatorScore> {
        self.indicators
            .iter()
            .filter(|i| i.score.is_finite())
            .min_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then(a.indicator.cmp(&b.indicator))
            })
    }

    /// The subject with the lowest opportunity gap.
    pub fn weakest_subject(&self) -> Option<&(String, f64)> {
        self.gaps
            .iter()
            .filter(|g| g.1.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    }

    /// The priority area the school needs: chosen in its needs
    /// assessment, else mapped from its weakest indicator.
    pub fn priority_area(&self, rules: &PlpRules) -> Option<(String, String)> {
        if let Some(a) = &self.chosen_area {
            return Some((a.clone(), "chosen in the school's needs assessment".into()));
        }
        let w = self.weakest_indicator()?;
        let area = rules.indicator_area.map.get(&w.indicator)?;
        Some((
            area.clone(),
            format!(
                "the area of the school's weakest indicator, {} (score {:.1})",
                w.label, w.score
            ),
        ))
    }
}

/// An approved partner, as the ranking sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub rcdts: String,
    pub name: String,
    pub regions: Vec<String>,
    pub priority_areas: Vec<String>,
    pub capacity: u32,
    /// Engagements it holds now.
    pub engaged: u32,
    /// The similar-schools distance to the school in need, where the two
    /// are comparable (same band and type).
    pub distance: Option<f64>,
    /// Subjects it is higher-performing in.
    pub higher_performing: Vec<String>,
    /// Its indicator scores, by indicator.
    pub indicator_scores: BTreeMap<String, f64>,
}

/// One reason's share of a recommendation's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReasonPoints {
    pub reason: String,
    pub points: f64,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub partner_rcdts: String,
    pub name: String,
    pub score: f64,
    pub capacity_left: u32,
    pub serves_region: bool,
    pub reasons: Vec<ReasonPoints>,
}

/// Every candidate, ranked for `school`: those serving its region first,
/// then by score, then by name; each with the points of every reason.
/// A partner with no capacity left is kept (shown as full).
pub fn recommend(
    rules: &PlpRules,
    school: &SchoolInNeed,
    candidates: &[Candidate],
) -> Vec<Recommendation> {
    let area = school.priority_area(rules);
    let weakest = school.weakest_indicator();
    let subject = school.weakest_subject();
    let mut out: Vec<Recommendation> = candidates
        .iter()
        .map(|c| {
            let mut reasons = Vec::with_capacity(REASONS.len());
            let mut add = |reason: &str, share: f64, detail: String| {
                reasons.push(ReasonPoints {
                    reason: reason.to_string(),
                    points: rules.points(reason) * share,
                    detail,
                });
            };

            let serves_region = c.regions.contains(&school.region);
            add(
                "region",
                if serves_region { 1.0 } else { 0.0 },
                format!(
                    "{} region {} ({})",
                    if serves_region { "serves" } else { "does not serve" },
                    school.region,
                    school.region_name
                ),
            );

            match &area {
                Some((code, why)) => {
                    let offers = c.priority_areas.contains(code);
                    add(
                        "priority-area",
                        if offers { 1.0 } else { 0.0 },
                        format!(
                            "{} {}, {why}",
                            if offers { "offers" } else { "does not offer" },
                            rules.area_label(code)
                        ),
                    );
                }
                None => add(
                    "priority-area",
                    0.0,
                    "the school's priority area is not known (no needs assessment, no indicator scores)".into(),
                ),
            }

            let left = c.capacity.saturating_sub(c.engaged);
            add(
                "capacity",
                if left > 0 { 1.0 } else { 0.0 },
                if left > 0 {
                    format!("{left} of {} places left", c.capacity)
                } else {
                    format!("full: all {} places taken", c.capacity)
                },
            );

            match c.distance {
                Some(d) if d.is_finite() => {
                    let share = (1.0 - d / rules.ranking.similar_distance_scale).clamp(0.0, 1.0);
                    add(
                        "similar-demographics",
                        share,
                        format!(
                            "similar-schools distance {d:.2} (full points at 0, none at {:.1})",
                            rules.ranking.similar_distance_scale
                        ),
                    );
                }
                _ => add(
                    "similar-demographics",
                    0.0,
                    "not among the school's most similar schools (similar-schools model)".into(),
                ),
            }

            match subject {
                Some((s, gap)) => {
                    let hp = c.higher_performing.contains(s);
                    add(
                        "higher-performing",
                        if hp { 1.0 } else { 0.0 },
                        format!(
                            "{} in {s}, the school's subject with the lowest opportunity gap ({gap:+.1})",
                            if hp { "higher-performing" } else { "not higher-performing" }
                        ),
                    );
                }
                None => add(
                    "higher-performing",
                    0.0,
                    "the school has no opportunity gap to compare".into(),
                ),
            }

            match weakest {
                Some(w) => match c.indicator_scores.get(&w.indicator) {
                    Some(p) if *p > w.score => add(
                        "stronger-indicator",
                        1.0,
                        format!("{} score {p:.1} against the school's {:.1}", w.label, w.score),
                    ),
                    Some(p) => add(
                        "stronger-indicator",
                        0.0,
                        format!("{} score {p:.1}, not above the school's {:.1}", w.label, w.score),
                    ),
                    None => add(
                        "stronger-indicator",
                        0.0,
                        format!("no {} score to compare", w.label),
                    ),
                },
                None => add(
                    "stronger-indicator",
                    0.0,
                    "the school has no indicator scores".into(),
                ),
            }

            let score = reasons.iter().map(|r| r.points).sum();
            Recommendation {
                partner_rcdts: c.rcdts.clone(),
                name: c.name.clone(),
                score,
                capacity_left: left,
                serves_region,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.serves_region
            .cmp(&a.serves_region)
            .then(b.score.total_cmp(&a.score))
            .then(a.name.cmp(&b.name))
            .then(a.partner_rcdts.cmp(&b.partner_rcdts))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PlpRules {
        PlpRules::parse(
            include_str!("../../../states/illinois/partners/plp.toml"),
            "plp.toml",
        )
        .unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn only_exemplary_and_commendable_schools_may_apply() {
        let r = rules();
        assert!(eligibility(&r, Some("Exemplary")).is_ok());
        assert!(eligibility(&r, Some("Commendable")).is_ok());
        let e = eligibility(&r, Some("Targeted")).unwrap_err();
        assert_eq!(
            e,
            "only Exemplary or Commendable schools may become Peer Learning Partners; this school's current designation is Targeted"
        );
        assert!(eligibility(&r, None)
            .unwrap_err()
            .contains("no current designation"));
        assert!(!needs_review(&r, Some("Commendable")));
        assert!(needs_review(&r, Some("Targeted")));
        assert!(needs_review(&r, None));
    }

    #[test]
    fn a_new_application_goes_to_the_open_round_else_the_next() {
        let r = rules();
        let rounds: Vec<(i64, RoundDates)> = [2018, 2019, 2020]
            .iter()
            .map(|y| (i64::from(*y), r.default_round(*y).unwrap().1))
            .collect();
        let on = |d: &str| round_for_new_applications(&rounds, date(d));
        assert_eq!(on("2018-06-01"), Some(2018));
        assert_eq!(on("2018-11-01"), Some(2018));
        assert_eq!(on("2019-01-15"), Some(2018));
        // Between rounds: the next one, which is not open yet.
        assert_eq!(on("2019-01-16"), Some(2019));
        assert_eq!(on("2020-12-01"), Some(2020));
        assert_eq!(on("2021-01-16"), None);
        // Two open at once: the one that opened last.
        let mut overlapping = rounds.clone();
        overlapping.push((
            7,
            RoundDates {
                opens_on: date("2019-12-01"),
                due_on: date("2020-03-01"),
                decision_on: date("2020-04-01"),
            },
        ));
        assert_eq!(
            round_for_new_applications(&overlapping, date("2020-01-10")),
            Some(7)
        );
        assert_eq!(
            round_for_new_applications(&overlapping, date("2019-11-15")),
            Some(2019)
        );
    }

    #[test]
    fn a_round_takes_applications_from_its_opening_to_its_due_date() {
        let (name, d) = rules().default_round(2018).unwrap();
        assert_eq!(name, "Peer Learning Partners 2018-2019");
        assert_eq!(d.opens_on, date("2018-11-01"));
        assert_eq!(d.due_on, date("2019-01-15"));
        assert_eq!(d.decision_on, date("2019-02-15"));
        assert_eq!(
            window(&d, date("2018-10-31")),
            Window::NotYetOpen {
                opens_on: d.opens_on
            }
        );
        assert_eq!(window(&d, date("2018-11-01")), Window::Open);
        assert_eq!(window(&d, date("2019-01-15")), Window::Open);
        let late = window(&d, date("2019-01-16"));
        assert_eq!(late, Window::Closed { due_on: d.due_on });
        assert_eq!(
            late.refusal(&d).unwrap(),
            "this round took applications from 2018-11-01 to 2019-01-15; it is closed"
        );
        let backwards = RoundDates {
            opens_on: date("2019-02-01"),
            ..d
        };
        assert!(check_dates(&backwards)
            .unwrap_err()
            .contains("after its due date"));
    }

    fn school() -> SchoolInNeed {
        SchoolInNeed {
            region: "15".into(),
            region_name: "City of Chicago".into(),
            chosen_area: None,
            indicators: vec![
                IndicatorScore {
                    indicator: "ela_proficiency".into(),
                    label: "ELA proficiency".into(),
                    score: 27.2,
                },
                IndicatorScore {
                    indicator: "chronic_absenteeism".into(),
                    label: "Chronic absenteeism".into(),
                    score: 12.0,
                },
                IndicatorScore {
                    indicator: "climate_survey".into(),
                    label: "Climate survey participation".into(),
                    score: 100.0,
                },
            ],
            gaps: vec![("ela".into(), -20.5), ("math".into(), -41.1)],
        }
    }

    fn candidate(rcdts: &str, name: &str) -> Candidate {
        Candidate {
            rcdts: rcdts.into(),
            name: name.into(),
            regions: vec!["15".into()],
            priority_areas: vec!["culture-climate".into()],
            capacity: 3,
            engaged: 1,
            distance: Some(1.2),
            higher_performing: vec!["math".into()],
            indicator_scores: BTreeMap::from([("chronic_absenteeism".into(), 78.0)]),
        }
    }

    #[test]
    fn ranking_gives_each_reason_its_points_computed_by_hand() {
        let r = rules();
        let full = candidate("150162990250001", "Full Marks");
        let mut elsewhere = candidate("010010010260001", "Downstate");
        elsewhere.regions = vec!["01".into()];
        elsewhere.distance = Some(0.0);
        let mut busy = candidate("150162990250002", "Busy");
        busy.engaged = 3;
        busy.priority_areas = vec!["curriculum-instruction".into()];
        busy.distance = None;
        busy.higher_performing.clear();
        busy.indicator_scores
            .insert("chronic_absenteeism".into(), 12.0);
        let ranked = recommend(&r, &school(), &[elsewhere, busy, full]);

        // Full Marks: 30 + 25 + 10 + 15 × (1 − 1.2/3) = 9 + 10 + 10 = 94.
        let f = &ranked[0];
        assert_eq!(f.name, "Full Marks");
        let points: Vec<(String, f64)> = f
            .reasons
            .iter()
            .map(|x| (x.reason.clone(), x.points))
            .collect();
        assert_eq!(
            points.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            REASONS
        );
        assert!((points[3].1 - 9.0).abs() < 1e-9, "{points:?}");
        assert!((f.score - 94.0).abs() < 1e-9);
        assert_eq!(f.capacity_left, 2);
        assert_eq!(f.reasons[1].detail, "offers Culture & Climate, the area of the school's weakest indicator, Chronic absenteeism (score 12.0)");
        assert_eq!(f.reasons[4].detail, "higher-performing in math, the school's subject with the lowest opportunity gap (-41.1)");
        assert_eq!(
            f.reasons[5].detail,
            "Chronic absenteeism score 78.0 against the school's 12.0"
        );

        // Busy serves the region but is full, offers another area, is not
        // comparable and not stronger: 30 only. Listed (as full), second,
        // because it serves the region.
        let b = &ranked[1];
        assert_eq!(
            (b.name.as_str(), b.score, b.capacity_left),
            ("Busy", 30.0, 0)
        );
        assert_eq!(b.reasons[2].detail, "full: all 3 places taken");

        // Downstate scores 0 + 25 + 10 + 15 + 10 + 10 = 70, more than Busy,
        // but does not serve region 15: after every partner that does.
        let d = &ranked[2];
        assert_eq!((d.name.as_str(), d.score), ("Downstate", 70.0));
        assert_eq!(
            d.reasons[0].detail,
            "does not serve region 15 (City of Chicago)"
        );
    }

    #[test]
    fn a_needs_assessment_area_wins_over_the_weakest_indicator() {
        let r = rules();
        let mut s = school();
        s.chosen_area = Some("governance-management".into());
        let ranked = recommend(&r, &s, &[candidate("150162990250001", "Full Marks")]);
        assert_eq!(ranked[0].reasons[1].points, 0.0);
        assert_eq!(
            ranked[0].reasons[1].detail,
            "does not offer Governance & Management, chosen in the school's needs assessment"
        );
    }

    #[test]
    fn rules_are_checked_when_read() {
        let text = include_str!("../../../states/illinois/partners/plp.toml");
        let e =
            PlpRules::parse(&text.replace("stronger-indicator = 10.0", ""), "x.toml").unwrap_err();
        assert!(
            e.to_string()
                .contains("ranking.points has no `stronger-indicator`"),
            "{e}"
        );
        let e = PlpRules::parse(
            &text.replace(
                "climate_survey = \"culture-climate\"",
                "climate_survey = \"weather\"",
            ),
            "x.toml",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("\"weather\" is not a priority area"),
            "{e}"
        );
        let e = PlpRules::parse(
            &text.replace("month = 2, day = 15", "month = 2, day = 30"),
            "x.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("is not a date"), "{e}");
    }
}
