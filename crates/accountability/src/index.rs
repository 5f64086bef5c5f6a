//! Indicator scores and the weighted index of one school (or one of its
//! student groups) in one band.

use crate::input::SchoolData;
use empower_model::{Band, Group, Subject};
use empower_rules::{
    AccountabilityRules, BandRules, CountSource, IndicatorKind, IndicatorRules, Scoring,
};
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

/// The band's populations, from the all-students readings of its
/// schools: `read(k, position, indicator)` reads the `k`-th school's.
pub(crate) fn populations(
    rules: &AccountabilityRules,
    band: Band,
    schools: usize,
    read: &dyn Fn(usize, usize, &IndicatorRules) -> Option<Reading>,
) -> Populations {
    let mut sorted = IndexMap::new();
    let Some(b) = rules.bands.get(&band) else {
        return Populations::default();
    };
    for (pos, (name, ind)) in b.indicators.iter().enumerate() {
        if matches!(ind.scoring, Scoring::Percentile { .. }) {
            let mut v: Vec<f64> = (0..schools)
                .filter_map(|k| read(k, pos, ind).map(|r| r.value))
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

/// What an indicator reads of a school (or one of its groups), whatever
/// the scoring: the mean of its measures present, which of them were
/// present (bit i: the i-th measure) and the count behind the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reading {
    pub value: f64,
    pub used: u64,
    pub n: Option<f64>,
}

/// The indicator's reading of the group in the school's data (`None`: no
/// measure of it present).
pub(crate) fn read(s: &SchoolData, ind: &IndicatorRules, group: Group) -> Option<Reading> {
    readings_of(s, ind, Some(group))[group_slot(group)]
}

/// An indicator's readings of every group of a school, by group slot.
pub(crate) type GroupReadings = [Option<Reading>; Group::ALL.len()];

/// [`read`] of every group at once: a school's groups are designated
/// together, and this looks each measure up once instead of once per
/// group.
pub(crate) fn read_groups(s: &SchoolData, ind: &IndicatorRules) -> GroupReadings {
    readings_of(s, ind, None)
}

/// The readings of `only` that group, or of every group: the mean of the
/// indicator's measures present for the group (summed in the measures'
/// order), which of them were present (bit i: the i-th measure), and the
/// count of students behind it.
fn readings_of(s: &SchoolData, ind: &IndicatorRules, only: Option<Group>) -> GroupReadings {
    const N: usize = Group::ALL.len();
    let mut sum = [0.0f64; N];
    let mut used = [0u64; N];
    let mut count = [0u32; N];
    for (i, m) in ind.measures.iter().enumerate() {
        for (g, subject, o) in s.entries(m) {
            if only.is_some_and(|only| only != *g)
                || *subject != ind.subject
                || (ind.zero_is_missing && o.value == 0.0)
            {
                continue;
            }
            let k = group_slot(*g);
            sum[k] += o.value;
            used[k] |= 1 << i;
            count[k] += 1;
        }
    }
    let n = ind
        .n
        .as_ref()
        .map(|c| counts_of(s, c, only))
        .unwrap_or([None; N]);
    std::array::from_fn(|k| {
        (count[k] > 0).then(|| Reading {
            value: sum[k] / count[k] as f64,
            used: used[k],
            n: n[k],
        })
    })
}

/// The count of students behind `only` that group's values, or every
/// group's, by group slot.
fn counts_of(
    s: &SchoolData,
    source: &CountSource,
    only: Option<Group>,
) -> [Option<f64>; Group::ALL.len()] {
    let mut out = [None; Group::ALL.len()];
    let matching = |measure: &str, subject: Option<Subject>| {
        s.entries(measure)
            .iter()
            .filter(move |(g, sub, _)| *sub == subject && only.is_none_or(|only| only == *g))
            .map(|(g, _, o)| (*g, o.value))
    };
    match source {
        CountSource::Measure { measure, subject } => {
            for (g, v) in matching(measure, *subject) {
                out[group_slot(g)] = Some(v);
            }
        }
        // Enrolment × the group's share (all students: the whole).
        CountSource::EnrollmentShare {
            divisor,
            total,
            share,
        } => {
            let Some(total) = s.value(total, Group::All, None) else {
                return out;
            };
            if only.is_none_or(|only| only == Group::All) {
                out[group_slot(Group::All)] = Some(total / divisor);
            }
            for (g, v) in matching(share, None).filter(|(g, _)| *g != Group::All) {
                out[group_slot(g)] = Some(total * (v / 100.0) / divisor);
            }
        }
        CountSource::GradeShare {
            measure,
            subject,
            grades,
            of,
        } => {
            let served = |list: &[u8]| s.grades.iter().filter(|g| list.contains(g)).count();
            let tested = served(of);
            if tested > 0 {
                let share = served(grades) as f64;
                for (g, count) in matching(measure, *subject) {
                    out[group_slot(g)] = Some(count * share / tested as f64);
                }
            }
        }
    }
    out
}

/// Readings made once for many runs over the same schools: the
/// combinations of a calibration grid change how indicators are scored
/// far more often than what they read. One table per distinct way of
/// reading (measures, subject, zeros, count), over every school and
/// group.
#[derive(Debug, Default)]
pub(crate) struct ReadingBook {
    schools: usize,
    tables: Vec<(ReadingSpec, Vec<Option<Reading>>)>,
}

/// What decides an indicator's reading (not its label, weight or scoring).
#[derive(Debug, PartialEq)]
struct ReadingSpec {
    measures: Vec<String>,
    subject: Option<Subject>,
    zero_is_missing: bool,
    n: Option<CountSource>,
}

impl ReadingSpec {
    fn of(ind: &IndicatorRules) -> Self {
        ReadingSpec {
            measures: ind.measures.clone(),
            subject: ind.subject,
            zero_is_missing: ind.zero_is_missing,
            n: ind.n.clone(),
        }
    }

    fn reads(&self, ind: &IndicatorRules) -> bool {
        self.measures == ind.measures
            && self.subject == ind.subject
            && self.zero_is_missing == ind.zero_is_missing
            && self.n == ind.n
    }
}

/// A group's place in a school's stretch of a table.
pub(crate) fn group_slot(group: Group) -> usize {
    group as usize
}

impl ReadingBook {
    /// Reads, for every school and group, what `rules`' indicators read
    /// that the book does not hold yet.
    pub(crate) fn add(&mut self, schools: &[SchoolData], rules: &AccountabilityRules) {
        assert!(
            self.tables.is_empty() || self.schools == schools.len(),
            "a reading book serves one list of schools"
        );
        self.schools = schools.len();
        for ind in rules.bands.values().flat_map(|b| b.indicators.values()) {
            if self.tables.iter().any(|(spec, _)| spec.reads(ind)) {
                continue;
            }
            // A school's stretch holds its groups in slot order.
            let table = schools.iter().flat_map(|s| read_groups(s, ind)).collect();
            self.tables.push((ReadingSpec::of(ind), table));
        }
    }

    /// The tables of `band`'s indicators in the rules' order, or `None`
    /// when the book lacks one.
    pub(crate) fn band(&self, rules: &AccountabilityRules, band: Band) -> Option<BandReadings<'_>> {
        let b = rules.bands.get(&band)?;
        let tables = b
            .indicators
            .values()
            .map(|ind| {
                self.tables
                    .iter()
                    .find(|(spec, _)| spec.reads(ind))
                    .map(|(_, t)| t.as_slice())
            })
            .collect::<Option<Vec<_>>>()?;
        Some(BandReadings { tables })
    }
}

/// The readings of one band's indicators, from a [`ReadingBook`].
pub(crate) struct BandReadings<'a> {
    tables: Vec<&'a [Option<Reading>]>,
}

impl BandReadings<'_> {
    /// The reading of the indicator at `position` for the `school`-th
    /// school of the book's list and `group`.
    pub(crate) fn get(&self, position: usize, school: usize, group: Group) -> Option<Reading> {
        self.tables[position][school * Group::ALL.len() + group_slot(group)]
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

/// One indicator of a school (or group) in one band as a run weighs it,
/// before it is named: a run works out hundreds of thousands and names
/// only those it keeps ([`named`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub value: Option<f64>,
    /// Which of the indicator's measures the value came from (bit i: the
    /// i-th measure).
    pub used: u64,
    pub n: Option<f64>,
    pub score: Option<f64>,
    pub weight: f64,
    pub status: IndicatorStatus,
}

impl Outcome {
    /// score × weight / 100 before rescaling: the points as ISBE prints them.
    pub(crate) fn points(&self) -> Option<f64> {
        self.score.map(|s| s * self.weight / 100.0)
    }
}

/// The outcomes of a school's (group `All`) or group's indicators, read
/// from its data.
#[cfg(test)]
pub(crate) fn indicators(
    rules: &AccountabilityRules,
    band: Band,
    s: &SchoolData,
    group: Group,
    pops: &Populations,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let Some(b) = rules.bands.get(&band) else {
        return out;
    };
    outcomes_into(
        rules,
        b,
        group,
        pops,
        &|_, ind| read(s, ind, group),
        &mut out,
    );
    out
}

/// The outcomes of a school's (group `All`) or group's indicators, in the
/// rules' order, in `out` (emptied first): `read(position, indicator)`
/// gives the reading of the band's indicator at that position.
pub(crate) fn outcomes_into(
    rules: &AccountabilityRules,
    b: &BandRules,
    group: Group,
    pops: &Populations,
    read: &dyn Fn(usize, &IndicatorRules) -> Option<Reading>,
    out: &mut Vec<Outcome>,
) {
    out.clear();
    out.extend(b.indicators.iter().enumerate().map(|(pos, (name, ind))| {
        let mut r = Outcome {
            value: None,
            used: 0,
            n: None,
            score: None,
            weight: ind.weight,
            status: IndicatorStatus::Missing,
        };
        if ind.weight == 0.0 {
            r.status = IndicatorStatus::NotWeighted;
            return r;
        }
        if ind.kind == IndicatorKind::FullCredit {
            r.score = Some(100.0);
            r.status = IndicatorStatus::Used;
            return r;
        }
        let Some(Reading { value, used, n }) = read(pos, ind) else {
            return r;
        };
        r.value = Some(value);
        r.used = used;
        r.n = n;
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
        r.score = Some(score(ind, name, value, pops));
        r.status = IndicatorStatus::Used;
        r
    }));
}

/// The band's outcomes (in the rules' order) as named results.
pub(crate) fn named(
    rules: &AccountabilityRules,
    band: Band,
    pops: &Populations,
    outcomes: &[Outcome],
) -> Vec<IndicatorResult> {
    let names = pops.names(rules, band);
    outcomes
        .iter()
        .zip(names)
        .map(|(o, names)| IndicatorResult {
            name: Arc::clone(&names.name),
            label: Arc::clone(&names.label),
            value: o.value,
            n: o.n,
            score: o.score,
            weight: o.weight,
            points: o.points(),
            status: o.status,
            source: if o.value.is_none() {
                Arc::new([])
            } else if o.used.count_ones() as usize == names.measures.len() {
                Arc::clone(&names.measures)
            } else {
                names
                    .measures
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| o.used & (1 << i) != 0)
                    .map(|(_, m)| Arc::clone(m))
                    .collect()
            },
        })
        .collect()
}

/// Σ score × weight / Σ weight over the indicators used (the remaining
/// weights rescaled to 100).
pub(crate) fn weighted_index(inds: &[Outcome]) -> Option<f64> {
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
    inds: &[Outcome],
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

#[cfg(test)]
pub(crate) fn group_result(
    rules: &AccountabilityRules,
    band: Band,
    s: &SchoolData,
    group: Group,
    pops: &Populations,
) -> GroupResult {
    let inds = indicators(rules, band, s, group, pops);
    group_standing(rules, band, &rules.bands[&band], group, pops, &inds, true)
}

/// A group's index and standing in `band` (whose rules are `b`) from its
/// outcomes (`inds`, the band's indicators in the rules' order), with
/// them named when `keep` says so.
pub(crate) fn group_standing(
    rules: &AccountabilityRules,
    band: Band,
    b: &BandRules,
    group: Group,
    pops: &Populations,
    inds: &[Outcome],
    keep: bool,
) -> GroupResult {
    // `inds` are the band's indicators in the rules' order.
    let counts = |(i, r): &(&Outcome, &IndicatorRules)| {
        i.status == IndicatorStatus::Used && r.kind != IndicatorKind::FullCredit
    };
    let counted = inds.iter().zip(b.indicators.values()).filter(counts);
    let counted_indicators = counted.clone().count();
    let non_academic = counted
        .clone()
        .any(|(_, r)| r.kind == IndicatorKind::NonAcademic);
    let g = &rules.groups;
    let any_value = inds.iter().any(|i| i.value.is_some());
    let why_not = if !any_value {
        Some("no figures published for this group (none or too few students)".to_string())
    } else if counted_indicators < g.min_indicators {
        Some(format!(
            "{} of {} indicators needed with at least {} students",
            counted_indicators, g.min_indicators, g.min_n
        ))
    } else if g.require_non_academic && !non_academic {
        Some("no non-academic indicator with enough students".to_string())
    } else if g.hs_requires_graduation
        && g.graduation_indicator
            .as_ref()
            .and_then(|gi| b.indicators.get_index_of(gi))
            .is_some_and(|pos| !counts(&(&inds[pos], &b.indicators[pos])))
    {
        Some("no graduation rate with enough students".to_string())
    } else {
        None
    };
    let qualifies = why_not.is_none();
    GroupResult {
        group,
        index: if qualifies {
            weighted_index(inds)
        } else {
            None
        },
        qualifies,
        counted_indicators,
        why_not,
        indicators: if keep {
            named(rules, band, pops, inds)
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_slots_follow_the_list_of_groups() {
        for (k, g) in Group::ALL.iter().enumerate() {
            assert_eq!(group_slot(*g), k, "{g:?}");
        }
    }

    /// A reading as `spec/accountability.md` defines it, one group at a
    /// time, value by value: the oracle of the test below.
    fn reading_by_definition(s: &SchoolData, ind: &IndicatorRules, g: Group) -> Option<Reading> {
        let present: Vec<(usize, f64)> = ind
            .measures
            .iter()
            .enumerate()
            .filter_map(|(i, m)| Some((i, s.value(m, g, ind.subject)?)))
            .filter(|(_, v)| !(ind.zero_is_missing && *v == 0.0))
            .collect();
        if present.is_empty() {
            return None;
        }
        let sum = present.iter().fold(0.0, |sum, (_, v)| sum + v);
        let n = match ind.n.as_ref() {
            None => None,
            Some(CountSource::Measure { measure, subject }) => s.value(measure, g, *subject),
            Some(CountSource::EnrollmentShare {
                divisor,
                total,
                share,
            }) => {
                let share = match g {
                    Group::All => Some(1.0),
                    _ => s.value(share, g, None).map(|p| p / 100.0),
                };
                s.value(total, Group::All, None)
                    .zip(share)
                    .map(|(t, p)| t * p / divisor)
            }
            Some(CountSource::GradeShare {
                measure,
                subject,
                grades,
                of,
            }) => {
                let in_list = |list: &[u8]| s.grades.iter().filter(|x| list.contains(x)).count();
                s.value(measure, g, *subject)
                    .filter(|_| in_list(of) > 0)
                    .map(|c| c * in_list(grades) as f64 / in_list(of) as f64)
            }
        };
        Some(Reading {
            value: sum / present.len() as f64,
            used: present.iter().fold(0, |bits, (i, _)| bits | 1 << i),
            n,
        })
    }

    proptest::proptest! {
        /// Every group's readings at once, and one group's, are the
        /// readings by definition: for each indicator of the Illinois
        /// rules (all three ways of counting students), on schools with
        /// any mix of values, zeros, subjects and grades.
        #[test]
        fn reading_every_group_at_once_reads_the_same(
            values in proptest::collection::vec(
                (0usize..32, 0usize..15, 0usize..4, 0u8..4, 0.0f64..500.0),
                0..120,
            ),
            grades in proptest::collection::vec(0u8..13, 0..8),
        ) {
            let rules = AccountabilityRules::from_toml(
                include_str!("../../../states/illinois/accountability/2018.toml"),
                "2018.toml",
            )
            .unwrap();
            let indicators: Vec<&IndicatorRules> = rules
                .bands
                .values()
                .flat_map(|b| b.indicators.values())
                .collect();
            let measures: Vec<String> = rules.measures_read().into_iter().map(String::from).collect();
            let subjects = [None, Some(Subject::Ela), Some(Subject::Math), Some(Subject::Science)];
            let id = empower_model::SchoolId::parse("010010010260001").unwrap();
            let mut s = SchoolData::new(id, "A school", grades);
            for (m, g, sub, zero, v) in values {
                // A quarter of the values are exactly zero (no cohort).
                let v = if zero == 0 { 0.0 } else { v };
                s.set(&measures[m % measures.len()], Group::ALL[g], subjects[sub], v, None);
            }
            for ind in indicators {
                let all = read_groups(&s, ind);
                for g in Group::ALL {
                    let expected = reading_by_definition(&s, ind, g);
                    proptest::prop_assert_eq!(all[group_slot(g)], expected, "{:?} {:?}", ind.label, g);
                    proptest::prop_assert_eq!(read(&s, ind, g), expected, "{:?} {:?}", ind.label, g);
                }
            }
        }
    }

    #[test]
    fn percentile_rank_counts_ties_half() {
        let v = [10.0, 20.0, 20.0, 30.0];
        assert_eq!(percentile_rank(&v, 20.0), 50.0);
        assert_eq!(percentile_rank(&v, 5.0), 0.0);
        assert_eq!(percentile_rank(&v, 30.0), 87.5);
    }
}
