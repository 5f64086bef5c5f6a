//! Indicator scores and the weighted index of one school (or one of its
//! student groups) in one band.

use crate::input::SchoolData;
use empower_model::{Band, Group};
use empower_rules::{AccountabilityRules, CountSource, IndicatorKind, IndicatorRules, Scoring};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

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
    pub name: String,
    pub label: String,
    pub value: Option<f64>,
    pub n: Option<f64>,
    pub score: Option<f64>,
    pub weight: f64,
    /// score × weight / 100 before rescaling: the points as ISBE prints them.
    pub points: Option<f64>,
    pub status: IndicatorStatus,
    /// Which measures the value came from (graduation: the rates averaged).
    pub source: Vec<String>,
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

/// Sorted all-students values of each percentile-scored indicator in a band.
pub(crate) type Populations = IndexMap<String, Vec<f64>>;

pub(crate) fn populations(
    rules: &AccountabilityRules,
    band: Band,
    schools: &[&SchoolData],
) -> Populations {
    let mut pops = Populations::new();
    let Some(b) = rules.bands.get(&band) else {
        return pops;
    };
    for (name, ind) in &b.indicators {
        if matches!(ind.scoring, Scoring::Percentile { .. }) {
            let mut v: Vec<f64> = schools
                .iter()
                .filter_map(|s| indicator_value(s, ind, Group::All).map(|(v, _)| v))
                .collect();
            v.sort_by(f64::total_cmp);
            pops.insert(name.clone(), v);
        }
    }
    pops
}

/// Mean of the indicator's measures present for the group.
pub(crate) fn indicator_value(
    s: &SchoolData,
    ind: &IndicatorRules,
    group: Group,
) -> Option<(f64, Vec<String>)> {
    let mut sum = 0.0;
    let mut used = Vec::new();
    for m in &ind.measures {
        if let Some(v) = s.value(m, group, ind.subject) {
            if ind.zero_is_missing && v == 0.0 {
                continue;
            }
            sum += v;
            used.push(m.clone());
        }
    }
    (!used.is_empty()).then(|| (sum / used.len() as f64, used))
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
            let p = percentile_rank(pops.get(name).map(Vec::as_slice).unwrap_or(&[]), value);
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
    b.indicators
        .iter()
        .map(|(name, ind)| {
            let mut r = IndicatorResult {
                name: name.clone(),
                label: ind.label.clone(),
                value: None,
                n: None,
                score: None,
                weight: ind.weight,
                points: None,
                status: IndicatorStatus::Missing,
                source: Vec::new(),
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
            let Some((value, source)) = indicator_value(s, ind, group) else {
                return r;
            };
            r.value = Some(value);
            r.source = source;
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
    let has_required = inds.iter().any(|i| {
        i.status == IndicatorStatus::Used
            && b.indicators
                .get(&i.name)
                .is_some_and(|r| r.required_for_index)
    });
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
    let counted: Vec<&IndicatorResult> = inds
        .iter()
        .filter(|i| {
            i.status == IndicatorStatus::Used
                && b.indicators[&i.name].kind != IndicatorKind::FullCredit
        })
        .collect();
    let non_academic = counted
        .iter()
        .any(|i| b.indicators[&i.name].kind == IndicatorKind::NonAcademic);
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
            b.indicators.contains_key(gi) && !counted.iter().any(|i| &i.name == gi)
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
