//! The support-status cycle: from a school's (band's) designation history
//! to its status, cohort year and term in each year.

use empower_model::{Designation, Group};
use empower_rules::StatusRules;
use serde::{Deserialize, Serialize};

/// One year of a school's history. `designation` is `None` in years without
/// designations (2021: "Not Calculated"), when statuses carry over.
#[derive(Clone, Debug, PartialEq)]
pub struct YearDesignation {
    pub year: u16,
    pub designation: Option<Designation>,
    /// Underperforming groups behind a Targeted designation; `None` when
    /// the data does not say (published designations carry no groups).
    pub groups: Option<Vec<Group>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusEvent {
    Entered,
    Continuing,
    /// Cycle over and the criteria no longer hold.
    Exited,
    /// Cycle over and the criteria still hold: the next status up.
    Escalated,
    /// Cycle over, still meeting the criteria, no status above (before
    /// Intensive existed): a new cycle at the same level.
    Renewed,
    NotInStatus,
}

impl StatusEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusEvent::Entered => "entered",
            StatusEvent::Continuing => "continuing",
            StatusEvent::Exited => "exited",
            StatusEvent::Escalated => "escalated",
            StatusEvent::Renewed => "renewed",
            StatusEvent::NotInStatus => "not-in-status",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusYear {
    pub year: u16,
    pub status: Option<Designation>,
    pub cohort: Option<u16>,
    pub term: Option<String>,
    pub event: StatusEvent,
    pub groups: Vec<Group>,
    /// What the decision had to assume, said to the reader.
    pub note: Option<String>,
}

struct Current {
    level: Designation,
    cohort: u16,
    groups: Option<Vec<Group>>,
}

/// Walks a history (any order; sorted here) and returns one status per year.
pub fn support_status(history: &[YearDesignation], rules: &StatusRules) -> Vec<StatusYear> {
    let mut years: Vec<&YearDesignation> = history.iter().collect();
    years.sort_by_key(|y| y.year);
    let mut out = Vec::with_capacity(years.len());
    let mut current: Option<Current> = None;
    for y in years {
        let mut event = StatusEvent::NotInStatus;
        let mut note = None;
        if let Some(c) = &current {
            let length = rules.terms_for(c.cohort).len() as u16;
            let finished = y.year >= c.cohort + length;
            let worse_now = y.designation.is_some_and(|d| d.is_support() && d > c.level);
            if finished {
                let (next, assumed) = end_of_cycle(c, y, rules);
                note = assumed;
                current = None;
                match next {
                    Some((level, ev)) => {
                        current = Some(Current {
                            level,
                            cohort: y.year,
                            groups: y.groups.clone(),
                        });
                        event = ev;
                    }
                    None => event = StatusEvent::Exited,
                }
            } else if worse_now {
                // A worse designation mid-cycle starts a new, more intensive cycle.
                current = Some(Current {
                    level: y.designation.expect("checked above"),
                    cohort: y.year,
                    groups: y.groups.clone(),
                });
                event = StatusEvent::Entered;
            } else {
                event = StatusEvent::Continuing;
            }
        } else if let Some(d) = y.designation.filter(|d| d.is_support()) {
            current = Some(Current {
                level: d,
                cohort: y.year,
                groups: y.groups.clone(),
            });
            event = StatusEvent::Entered;
        }
        // An exit in a year that is itself a support designation for other
        // reasons (new groups) starts a new cycle.
        if event == StatusEvent::Exited {
            if let Some(d) = y.designation.filter(|d| d.is_support()) {
                current = Some(Current {
                    level: d,
                    cohort: y.year,
                    groups: y.groups.clone(),
                });
                event = StatusEvent::Entered;
            }
        }
        out.push(match &current {
            Some(c) => StatusYear {
                year: y.year,
                status: Some(c.level),
                cohort: Some(c.cohort),
                term: rules
                    .terms_for(c.cohort)
                    .get(usize::from(y.year - c.cohort))
                    .cloned(),
                event,
                groups: c.groups.clone().unwrap_or_default(),
                note,
            },
            None => StatusYear {
                year: y.year,
                status: None,
                cohort: None,
                term: None,
                event,
                groups: Vec::new(),
                note,
            },
        });
    }
    out
}

/// At the end of a cycle: exit (None), escalate, or renew; and a note
/// when the decision had to assume what the data does not say.
fn end_of_cycle(
    c: &Current,
    y: &YearDesignation,
    rules: &StatusRules,
) -> (Option<(Designation, StatusEvent)>, Option<String>) {
    let Some(d) = y.designation else {
        return (None, None);
    };
    let next = match c.level {
        Designation::Targeted => {
            // Targeted again at the end of the cycle for the same groups:
            // Comprehensive. Published designations do not name the groups;
            // then the groups are taken as unchanged, and the output says so.
            let (same_groups, note) = match (&c.groups, &y.groups) {
                _ if d != Designation::Targeted => (false, None),
                (Some(before), Some(now)) => (now.iter().any(|g| before.contains(g)), None),
                _ => (
                    true,
                    Some("Targeted again at the end of the cycle; the data does not name the groups, so they are taken as still the same".to_string()),
                ),
            };
            if same_groups || d >= Designation::Comprehensive {
                return (
                    Some((Designation::Comprehensive, StatusEvent::Escalated)),
                    note,
                );
            }
            None
        }
        Designation::Comprehensive | Designation::Intensive => {
            if d >= Designation::Comprehensive {
                if rules.intensive_from_year.is_some_and(|f| y.year >= f) {
                    let ev = if c.level == Designation::Intensive {
                        StatusEvent::Renewed
                    } else {
                        StatusEvent::Escalated
                    };
                    Some((Designation::Intensive, ev))
                } else {
                    Some((Designation::Comprehensive, StatusEvent::Renewed))
                }
            } else {
                None
            }
        }
        _ => None,
    };
    (next, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Designation::*;

    fn rules() -> StatusRules {
        StatusRules {
            terms: [
                "Planning",
                "Implementation Year 1",
                "Implementation Year 2",
                "Implementation Year 3",
            ]
            .map(String::from)
            .to_vec(),
            cohort_terms: vec![empower_rules::CohortTerms {
                cohorts: vec![2018, 2019],
                terms: ["Planning", "1A", "1B", "2", "3"]
                    .map(String::from)
                    .to_vec(),
            }],
            intensive_from_year: Some(2023),
        }
    }

    fn y(year: u16, d: Option<Designation>, groups: &[Group]) -> YearDesignation {
        YearDesignation {
            year,
            designation: d,
            groups: Some(groups.to_vec()),
        }
    }

    /// A published designation: no groups named.
    fn official(year: u16, d: Option<Designation>) -> YearDesignation {
        YearDesignation {
            year,
            designation: d,
            groups: None,
        }
    }

    #[test]
    fn targeted_again_without_named_groups_escalates_and_says_why() {
        let s = support_status(
            &[
                official(2022, Some(Targeted)),
                official(2023, Some(Commendable)),
                official(2024, Some(Targeted)),
                official(2025, Some(Targeted)),
                official(2026, Some(Targeted)),
            ],
            &rules(),
        );
        assert_eq!(s[1].event, StatusEvent::Continuing);
        assert_eq!(s[4].event, StatusEvent::Escalated);
        assert_eq!(s[4].status, Some(Comprehensive));
        assert_eq!(s[4].cohort, Some(2026));
        assert!(s[4]
            .note
            .as_deref()
            .unwrap()
            .contains("taken as still the same"));
        // Not Targeted at the end of the cycle: out, whatever the groups.
        let s = support_status(
            &[
                official(2022, Some(Targeted)),
                official(2026, Some(Commendable)),
            ],
            &rules(),
        );
        assert_eq!(s[1].event, StatusEvent::Exited);
        assert_eq!(s[1].note, None);
    }

    #[test]
    fn a_2018_targeted_cohort_runs_five_terms_then_escalates_with_the_same_group() {
        let h = vec![
            y(2018, Some(Targeted), &[Group::Iep]),
            y(2019, Some(Commendable), &[]),
            y(2020, Some(Commendable), &[]),
            y(2021, None, &[]),
            y(2022, Some(Targeted), &[Group::Iep]),
            y(2023, Some(Targeted), &[Group::Iep]),
        ];
        let s = support_status(&h, &rules());
        assert_eq!(s[0].term.as_deref(), Some("Planning"));
        assert_eq!(s[0].event, StatusEvent::Entered);
        assert_eq!(s[2].term.as_deref(), Some("1B"));
        assert_eq!(s[3].status, Some(Targeted));
        assert_eq!(s[4].term.as_deref(), Some("3"));
        assert_eq!(s[5].event, StatusEvent::Escalated);
        assert_eq!(s[5].status, Some(Comprehensive));
        assert_eq!(s[5].cohort, Some(2023));
        assert_eq!(s[5].term.as_deref(), Some("Planning"));
    }

    #[test]
    fn exit_when_criteria_no_longer_hold() {
        let h = vec![
            y(2022, Some(Targeted), &[Group::Black]),
            y(2026, Some(Commendable), &[]),
        ];
        let s = support_status(&h, &rules());
        assert_eq!(s[1].event, StatusEvent::Exited);
        assert_eq!(s[1].status, None);
    }

    #[test]
    fn targeted_with_other_groups_at_end_of_cycle_exits_and_reenters() {
        let h = vec![
            y(2022, Some(Targeted), &[Group::Black]),
            y(2026, Some(Targeted), &[Group::El]),
        ];
        let s = support_status(&h, &rules());
        assert_eq!(s[1].event, StatusEvent::Entered);
        assert_eq!(s[1].status, Some(Targeted));
        assert_eq!(s[1].cohort, Some(2026));
    }

    #[test]
    fn comprehensive_becomes_intensive_only_from_2023() {
        let before = support_status(
            &[
                y(2018, Some(Comprehensive), &[]),
                y(2023, Some(Comprehensive), &[]),
            ],
            &rules(),
        );
        assert_eq!(before[1].status, Some(Intensive));
        let early = support_status(
            &[
                y(2014, Some(Comprehensive), &[]),
                y(2018, Some(Comprehensive), &[]),
            ],
            &rules(),
        );
        assert_eq!(early[1].status, Some(Comprehensive));
        assert_eq!(early[1].event, StatusEvent::Renewed);
    }

    #[test]
    fn worse_designation_mid_cycle_starts_a_new_cycle() {
        let s = support_status(
            &[
                y(2022, Some(Targeted), &[Group::El]),
                y(2023, Some(Comprehensive), &[]),
            ],
            &rules(),
        );
        assert_eq!(s[1].status, Some(Comprehensive));
        assert_eq!(s[1].cohort, Some(2023));
    }
}
