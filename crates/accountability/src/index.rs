//! Indicator scores and the weighted index of one school (or one of its
//! student groups) in one band.

use crate::input::SchoolData;
use empower_model::{Band, Group};
use empower_rules::{AccountabilityRules, CountSource, IndicatorKind, IndicatorRules, Scoring};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorStatus {
    /// Entered the index.
    Used,
    /// No value in the data (not applicable, suppressed or not published).
    Missing,
    /// A value exists but fewer students than the minimum stand behind it.
    TooFewStudents,
    /// Weight 0 in these rules.
    NotWeighted,
}

/// One indicator of one school (or group) in one band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorResult {
    /// Shared with every result of the indicator in a run: a designation
    /// holds hundreds of thousands of results.
    pub name: Arc<str>,
    pub label: Arc<str>,
    pub value: Option<f64>,
    pub n: Option<f64>,
    pub score: Option<f64>,
    pub weight: f64,
    /// score × weight / 100 before rescaling: the points as ISBE prints them.
    pub points: Option<f64>,
    pub status: IndicatorStatus,
    /// Which measures the value came from (graduation: the rates averaged).
    pub source: Arc<[Arc<str>]>,
}

/// A student group's index in a band and whether it qualifies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub group: Group,
    pub index: Option<f64>,
    pub qualifies: bool,
    /// Indicators with a value and enough students (full credit excluded).
    pub counted_indicators: usize,
    pub why_not: Option<String>,
    pub indicators: Vec<IndicatorResult>,
}

/// What one band's run shares between its schools: the sorted
/// all-students values of each percentile-scored indicator, and the
/// indicators' names, labels and measures (made once, shared by every
/// result).
#[derive(Debug, Default)]
pub(crate) struct Populations {
    sorted: IndexMap<String, Vec<f64>>,
    names: OnceLock<(Band, Vec<IndicatorNames>)>,
}

#[derive(Debug)]
struct IndicatorNames {
    name: Arc<str>,
    label: Arc<str>,
    /// All its measures: the source of a value that had each of them.
    measures: Arc<[Arc<str>]>,
}

impl Populations {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The band's indicator names, in the rules' order.
    fn names(&self, rules: &AccountabilityRules, band: Band) -> &[IndicatorNames] {
        let (b, names) = self
            .names
            .get_or_init(|| (band, indicator_names(rules, band)));
        debug_assert_eq!(*b, band, "one Populations serves one band");
        names
    }
}

fn indicator_names(rules: &AccountabilityRules, band: Band) -> Vec<IndicatorNames> {
    rules
        .bands
        .get(&band)
        .map(|b| {
            b.indicators
                .iter()
                .map(|(name, ind)| IndicatorNames {
                    name: Arc::from(name.as_str()),
                    label: Arc::from(ind.label.as_str()),
                    measures: ind.measures.iter().map(|m| Arc::from(m.as_str())).collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn populations(
    rules: &AccountabilityRules,
    band: Band,
    schools: &[&SchoolData],
) -> Populations {
    let mut sorted = IndexMap::new();
    let Some(b) = rules.bands.get(&band) else {
        return Populations::default();
    };
    for (name, ind) in &b.indicators {
        if matches!(ind.scoring, Scoring::Percentile { .. }) {
            let mut v: Vec<f64> = schools
                .iter()
                .filter_map(|s| indicator_value(s, ind, Group::All).map(|(v, _)| v))
                .collect();
            v.sort_by(f64::total_cmp);
            sorted.insert(name.clone(), v);
        }
    }
    Populations {
        sorted,
        names: OnceLock::new(),
    }
}

/// Mean of the indicator's measures present for the group, and which of
/// them were present (bit i: the i-th measure).
pub(crate) fn indicator_value(
    s: &SchoolData,
    ind: &IndicatorRules,
    group: Group,
) -> Option<(f64, u64)> {
    let mut sum = 0.0;
    let mut used = 0u64;
    let mut count = 0;
    for (i, m) in ind.measures.iter().enumerate() {
        if let Some(v) = s.value(m, group, ind.subject) {
            if ind.zero_is_missing && v == 0.0 {
                continue;
            }
            sum += v;
            used |= 1 << i;
            count += 1;
        }
    }
    (count > 0).then(|| (sum / count as f64, used))
}

fn count_for(s: &SchoolData, source: &CountSource, group: Group) -> Option<f64> {
    match source {
        CountSource::Measure { measure, subject } => s.value(measure, group, *subject),
        CountSource::EnrollmentShare {
            divisor,
            total,
            share,
        } => {
            let total = s.value(total, Group::All, None)?;
            let share = if group == Group::All {
                1.0
            } else {
                s.value(share, group, None)? / 100.0
            };
            Some(total * share / divisor)
        }
        CountSource::GradeShare {
            measure,
            subject,
            grades,
            of,
        } => {
            let count = s.value(measure, group, *subject)?;
            let served = |list: &[u8]| s.grades.iter().filter(|g| list.contains(g)).count();
            let tested = served(of);
            (tested > 0).then(|| count * served(grades) as f64 / tested as f64)
        }
    }
}

fn percentile_rank(sorted: &[f64], v: f64) -> f64 {
    if sorted.is_empty() {
        return 50.0;
    }
    let below = sorted.partition_point(|x| *x < v);
    let at_or_below = sorted.partition_point(|x| *x <= v);
    100.0 * (below as f64 + 0.5 * (at_or_below - below) as f64) / sorted.len() as f64
}

fn score(ind: &IndicatorRules, name: &str, value: f64, pops: &Populations) -> f64 {
    match ind.scoring {
        Scoring::Percentile { lower_is_better } => {
            let p = percentile_rank(
                pops.sorted.get(name).map(Vec::as_slice).unwrap_or(&[]),
                value,
            );
            if lower_is_better {
                100.0 - p
            } else {
                p
            }
        }
        ref other => other
            .score(value)
            .expect("non-percentile scoring needs no population"),
    }
}

/// Indicator results of a school (group `All`) or one of its groups.
pub(crate) fn indicators(
    rules: &AccountabilityRules,
    band: Band,
    s: &SchoolData,
    group: Group,
    pops: &Populations,
) -> Vec<IndicatorResult> {
    let Some(b) = rules.bands.get(&band) else {
        return Vec::new();
    };
    let names = pops.names(rules, band);
    b.indicators
        .iter()
        .zip(names)
        .map(|((name, ind), names)| {
            let mut r = IndicatorResult {
                name: Arc::clone(&names.name),
                label: Arc::clone(&names.label),
                value: None,
                n: None,
                score: None,
                weight: ind.weight,
                points: None,
                status: IndicatorStatus::Missing,
                source: Arc::new([]),
            };
            if ind.weight == 0.0 {
                r.status = IndicatorStatus::NotWeighted;
                return r;
            }
            if ind.kind == IndicatorKind::FullCredit {
                r.score = Some(100.0);
                r.points = Some(ind.weight);
                r.status = IndicatorStatus::Used;
                return r;
            }
            let Some((value, used)) = indicator_value(s, ind, group) else {
                return r;
            };
            r.value = Some(value);
            r.source = if used.count_ones() as usize == names.measures.len() {
                Arc::clone(&names.measures)
            } else {
                names
                    .measures
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| used & (1 << i) != 0)
                    .map(|(_, m)| Arc::clone(m))
                    .collect()
            };
            r.n = ind.n.as_ref().and_then(|c| count_for(s, c, group));
            let min_n = if group == Group::All {
                ind.all_students_min_n
            } else {
                Some(rules.groups.min_n)
            };
            if let Some(min) = min_n {
                if r.n.is_none_or(|n| n < min) {
                    r.status = IndicatorStatus::TooFewStudents;
                    return r;
                }
            }
            let sc = score(ind, name, value, pops);
            r.score = Some(sc);
            r.points = Some(sc * ind.weight / 100.0);
            r.status = IndicatorStatus::Used;
            r
        })
        .collect()
}

/// Σ score × weight / Σ weight over the indicators used (the remaining
/// weights rescaled to 100).
pub(crate) fn weighted_index(inds: &[IndicatorResult]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for i in inds.iter().filter(|i| i.status == IndicatorStatus::Used) {
        num += i.score? * i.weight;
        den += i.weight;
    }
    (den > 0.0).then(|| num / den)
}

/// The all-students index, `None` when no indicator required for an index
/// (ELA or math proficiency) is present.
pub(crate) fn school_index(
    rules: &AccountabilityRules,
    band: Band,
    inds: &[IndicatorResult],
) -> Option<f64> {
    let b = rules.bands.get(&band)?;
    // `inds` are the band's indicators in the rules' order.
    let has_required = inds
        .iter()
        .zip(b.indicators.values())
        .any(|(i, r)| i.status == IndicatorStatus::Used && r.required_for_index);
    if has_required {
        weighted_index(inds)
    } else {
        None
    }
}

pub(crate) fn group_result(
    rules: &AccountabilityRules,
    band: Band,
    s: &SchoolData,
    group: Group,
    pops: &Populations,
) -> GroupResult {
    let inds = indicators(rules, band, s, group, pops);
    let b = &rules.bands[&band];
    // `inds` are the band's indicators in the rules' order.
    let counted: Vec<(&IndicatorResult, &IndicatorRules)> = inds
        .iter()
        .zip(b.indicators.values())
        .filter(|(i, r)| i.status == IndicatorStatus::Used && r.kind != IndicatorKind::FullCredit)
        .collect();
    let non_academic = counted
        .iter()
        .any(|(_, r)| r.kind == IndicatorKind::NonAcademic);
    let g = &rules.groups;
    let any_value = inds.iter().any(|i| i.value.is_some());
    let why_not = if !any_value {
        Some("no figures published for this group (none or too few students)".to_string())
    } else if counted.len() < g.min_indicators {
        Some(format!(
            "{} of {} indicators needed with at least {} students",
            counted.len(),
            g.min_indicators,
            g.min_n
        ))
    } else if g.require_non_academic && !non_academic {
        Some("no non-academic indicator with enough students".to_string())
    } else if g.hs_requires_graduation
        && g.graduation_indicator.as_ref().is_some_and(|gi| {
            b.indicators.contains_key(gi) && !counted.iter().any(|(i, _)| *i.name == **gi)
        })
    {
        Some("no graduation rate with enough students".to_string())
    } else {
        None
    };
    let qualifies = why_not.is_none();
    GroupResult {
        group,
        index: if qualifies {
            weighted_index(&inds)
        } else {
            None
        },
        qualifies,
        counted_indicators: counted.len(),
        why_not,
        indicators: inds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_rank_counts_ties_half() {
        let v = [10.0, 20.0, 20.0, 30.0];
        assert_eq!(percentile_rank(&v, 20.0), 50.0);
        assert_eq!(percentile_rank(&v, 5.0), 0.0);
        assert_eq!(percentile_rank(&v, 30.0), 87.5);
    }
}
