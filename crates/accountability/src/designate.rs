//! Cuts and designations for every school and band of one year.

use crate::index::{
    group_slot, group_standing, named, outcomes_into, populations, read, read_groups, school_index,
    BandReadings, GroupReadings, GroupResult, IndicatorResult, Outcome, Populations, Reading,
    ReadingBook,
};
use crate::input::SchoolData;
use empower_model::{Band, Designation, Group, SchoolId};
use empower_rules::{AccountabilityRules, Cut, Pool};
use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoDesignation {
    /// Serves only PK and/or K.
    NoBand,
    /// In a band, no index, and no school to pair with.
    NoTestData,
}

/// Why a school has its designation, in the output contract's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", content = "detail", rename_all = "kebab-case")]
pub enum Reason {
    // The same codes as the CSV output (`Display` below).
    #[serde(rename = "all-students-bottom-5")]
    AllStudentsBottom5,
    LowGraduationRate,
    UnderperformingGroups(Vec<Group>),
    #[serde(rename = "top-10")]
    Top10,
    PairedWith(SchoolId),
    NoDesignation(NoDesignation),
}

impl Reason {
    fn order(&self) -> u8 {
        match self {
            Reason::AllStudentsBottom5 => 0,
            Reason::LowGraduationRate => 1,
            Reason::UnderperformingGroups(_) => 2,
            Reason::Top10 => 3,
            Reason::PairedWith(_) => 4,
            Reason::NoDesignation(_) => 5,
        }
    }
}

/// A reason code of the output contract (`all-students-bottom-5`,
/// `underperforming-groups:el,swd`...) in words for a principal; an
/// unknown code is returned as it is.
pub fn reason_words(code: &str) -> String {
    let (head, detail) = code.split_once(':').unwrap_or((code, ""));
    match head {
        "all-students-bottom-5" => "all students' index among the lowest 5% of schools".into(),
        "low-graduation-rate" => "a graduation rate at or below the rules' threshold".into(),
        "underperforming-groups" => {
            let groups: Vec<String> = detail
                .split(',')
                .map(|slug| {
                    slug.parse::<Group>()
                        .map(|g| g.label().to_string())
                        .unwrap_or_else(|_| slug.to_string())
                })
                .collect();
            format!(
                "student groups performing like the lowest 5% of schools: {}",
                groups.join(", ")
            )
        }
        "top-10" => "among the top 10% of schools".into(),
        "paired-with" => format!(
            "no index of its own: it takes the designation of school {detail}, which it feeds in its district"
        ),
        "no-designation" => match detail {
            "no-band" => "no designation: the school has no grade band the rules rate".into(),
            "no-test-data" => "no designation: the school has no test data".into(),
            other => format!("no designation: {other}"),
        },
        _ => code.to_string(),
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::AllStudentsBottom5 => f.write_str("all-students-bottom-5"),
            Reason::LowGraduationRate => f.write_str("low-graduation-rate"),
            Reason::UnderperformingGroups(gs) => {
                let slugs: Vec<&str> = gs.iter().map(|g| g.slug()).collect();
                write!(f, "underperforming-groups:{}", slugs.join(","))
            }
            Reason::Top10 => f.write_str("top-10"),
            Reason::PairedWith(r) => write!(f, "paired-with:{r}"),
            Reason::NoDesignation(NoDesignation::NoBand) => f.write_str("no-designation:no-band"),
            Reason::NoDesignation(NoDesignation::NoTestData) => {
                f.write_str("no-designation:no-test-data")
            }
        }
    }
}

/// The cuts of one band and the pools they were taken from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandCuts {
    pub band: Band,
    /// All-students index at or below which a Title I school is Comprehensive.
    pub comprehensive: Option<f64>,
    /// Index at or below which a student group underperforms (Targeted).
    pub targeted: Option<f64>,
    /// Index at or above which a school is in the top 10% (Exemplary).
    pub top: Option<f64>,
    /// Pool the Comprehensive cut was actually taken from.
    pub comprehensive_pool: Pool,
    pub comprehensive_pool_size: usize,
    pub schools_with_index: usize,
    /// Sorted all-students indices of the band, for percentiles.
    #[serde(skip)]
    pub(crate) sorted_indices: Vec<f64>,
}

impl BandCuts {
    /// Share (0..100) of the band's schools with an index at or below `index`.
    pub fn percentile(&self, index: f64) -> f64 {
        let n = self.sorted_indices.len();
        if n == 0 {
            return 0.0;
        }
        100.0 * self.sorted_indices.partition_point(|x| *x <= index) as f64 / n as f64
    }
}

/// One school in one band (or in none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandResult {
    pub rcdts: SchoolId,
    pub school_name: String,
    pub band: Option<Band>,
    pub index: Option<f64>,
    pub designation: Option<Designation>,
    pub official_designation: Option<Designation>,
    pub reasons: Vec<Reason>,
    pub title1: bool,
    pub graduation_rate: Option<f64>,
    pub indicators: Vec<IndicatorResult>,
    pub groups: Vec<GroupResult>,
}

impl BandResult {
    pub fn reasons_code(&self) -> String {
        self.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn underperforming_groups(&self) -> &[Group] {
        self.reasons
            .iter()
            .find_map(|r| match r {
                Reason::UnderperformingGroups(g) => Some(g.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

/// The designations of one year.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Designations {
    pub year: u16,
    pub rules_name: String,
    pub rules_version: String,
    /// True when the input carried Title I status for some school.
    pub title1_data: bool,
    pub cuts: IndexMap<Band, BandCuts>,
    /// Sorted by RCDTS, then band (no-band rows first).
    pub rows: Vec<BandResult>,
}

impl Designations {
    /// The row that stands for a school when one value per school is
    /// compared: the rules' official band if the school has it, else its
    /// other band.
    pub fn representative_rows<'a>(&'a self, rules: &AccountabilityRules) -> Vec<&'a BandResult> {
        let mut out: Vec<&BandResult> = Vec::new();
        for r in &self.rows {
            match out.last_mut() {
                Some(prev) if prev.rcdts == r.rcdts => {
                    if r.band == Some(rules.official_band) {
                        *prev = r;
                    }
                }
                _ => out.push(r),
            }
        }
        out
    }

    pub fn row(&self, rcdts: &SchoolId, band: Option<Band>) -> Option<&BandResult> {
        self.rows
            .iter()
            .find(|r| &r.rcdts == rcdts && (band.is_none() || r.band == band))
    }
}

/// `work` done on `items` in as many stretches as `threads`, one thread
/// each, the results in the items' order.
fn in_stretches<T: Send, R: Send>(
    mut items: Vec<T>,
    threads: usize,
    work: impl Fn(Vec<T>) -> Vec<R> + Sync,
) -> Vec<R> {
    let stretch = items.len().div_ceil(threads.max(1)).max(1);
    if items.len() <= stretch {
        return work(items);
    }
    let mut stretches = Vec::new();
    while items.len() > stretch {
        let rest = items.split_off(stretch);
        stretches.push(std::mem::replace(&mut items, rest));
    }
    stretches.push(items);
    let mut stretches = stretches.into_iter();
    let first = stretches.next().unwrap_or_default();
    let work = &work;
    std::thread::scope(|scope| {
        let others: Vec<_> = stretches
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        let mut out = work(first);
        for h in others {
            out.extend(h.join().expect("a designation thread panicked"));
        }
        out
    })
}

/// The `ceil(share × n)`-th value of `sorted` (ascending), 1-based.
fn bottom_cut(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1])
}

/// The `ceil(share × n)`-th value counted from the top.
fn top_cut(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[sorted.len() - k])
}

struct Scored<'a> {
    /// The school's place in the list of schools.
    k: usize,
    school: &'a SchoolData,
    /// The band's place in the rules.
    b: usize,
    band: Band,
    indicators: Vec<IndicatorResult>,
    index: Option<f64>,
}

/// How much of each student group's working a run keeps. Every group's
/// indicators are computed either way (they decide whether it qualifies);
/// a list of designations needs only each group's index and standing, an
/// explanation or the full JSON needs every indicator of every group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail<'a> {
    /// Every group's indicators, for every school.
    Full,
    /// Every group's indicators for these schools only; the others keep
    /// each group's index, qualification and reason (an empty list keeps
    /// no school's).
    Schools(&'a [SchoolId]),
}

impl Detail<'_> {
    fn keeps(&self, school: &SchoolId) -> bool {
        match self {
            Detail::Full => true,
            Detail::Schools(ids) => ids.contains(school),
        }
    }
}

/// Designates every school for one year, keeping every group's indicators.
pub fn designate(schools: &[SchoolData], rules: &AccountabilityRules, year: u16) -> Designations {
    designate_with(schools, rules, year, Detail::Full, 1)
}

/// Designates every school for one year, keeping the groups' indicators
/// that `detail` asks for, on up to `threads` threads. The designations
/// are the same whatever either says.
pub fn designate_with(
    schools: &[SchoolData],
    rules: &AccountabilityRules,
    year: u16,
    detail: Detail,
    threads: usize,
) -> Designations {
    designate_reading(schools, rules, year, detail, None, threads)
}

/// What working out a school-band's groups reuses from one school to
/// the next: the outcomes of a group's indicators, and the readings of
/// every group by indicator (when not from a book).
#[derive(Default)]
struct RowScratch {
    outcomes: Vec<Outcome>,
    readings: Vec<GroupReadings>,
}

/// The band's readings from `book` where it has them all, else from
/// the schools' data.
struct Reader<'a>(Option<BandReadings<'a>>);

impl Reader<'_> {
    fn read(
        &self,
        k: usize,
        s: &SchoolData,
        position: usize,
        ind: &empower_rules::IndicatorRules,
        group: Group,
    ) -> Option<Reading> {
        match &self.0 {
            Some(book) => book.get(position, k, group),
            None => read(s, ind, group),
        }
    }
}

/// [`designate_with`], reading indicators from `book` (made over the same
/// `schools`) where it has them.
pub(crate) fn designate_reading<'a>(
    schools: &'a [SchoolData],
    rules: &AccountabilityRules,
    year: u16,
    detail: Detail,
    book: Option<&ReadingBook>,
    threads: usize,
) -> Designations {
    let title1_data = schools.iter().any(|s| s.title1_status.is_some());
    let is_title1 = |s: &SchoolData| {
        s.title1_status
            .as_deref()
            .is_some_and(|t| rules.title1.counts_as_title1(t))
    };

    // All-students indicators and index of every school in every band.
    let mut scored: Vec<Scored> = Vec::new();
    // Per band in the rules' order (as `Scored::b` counts them): its
    // populations and where its readings come from.
    let mut pops: Vec<(Populations, Reader)> = Vec::new();
    for (b, (&band, band_rules)) in rules.bands.iter().enumerate() {
        let reader = Reader(book.and_then(|book| book.band(rules, band)));
        let members: Vec<(usize, &SchoolData)> = schools
            .iter()
            .enumerate()
            .filter(|(_, s)| band_rules.serves(&s.grades))
            .collect();
        let p = populations(rules, band, members.len(), &|i, pos, ind| {
            let (k, s) = members[i];
            reader.read(k, s, pos, ind, Group::All)
        });
        let score = |part: Vec<(usize, &'a SchoolData)>| -> Vec<Scored<'a>> {
            let mut scratch = Vec::new();
            part.into_iter()
                .map(|(k, s)| {
                    let read = |pos, ind: &_| reader.read(k, s, pos, ind, Group::All);
                    outcomes_into(rules, band_rules, Group::All, &p, &read, &mut scratch);
                    Scored {
                        k,
                        school: s,
                        b,
                        band,
                        index: school_index(rules, band, &scratch),
                        indicators: named(rules, band, &p, &scratch),
                    }
                })
                .collect()
        };
        scored.extend(in_stretches(members, threads, score));
        pops.push((p, reader));
    }

    // Cuts per band.
    let mut cuts: IndexMap<Band, BandCuts> = IndexMap::new();
    for &band in rules.bands.keys() {
        let pool_values = |cut: &Cut| -> (Vec<f64>, Pool) {
            let pool = if cut.pool == Pool::Title1 && title1_data {
                Pool::Title1
            } else {
                Pool::All
            };
            let mut v: Vec<f64> = scored
                .iter()
                .filter(|x| x.band == band && (pool == Pool::All || is_title1(x.school)))
                .filter_map(|x| x.index)
                .collect();
            v.sort_by(f64::total_cmp);
            (v, pool)
        };
        let (all, _) = pool_values(&Cut {
            share: 0.0,
            pool: Pool::All,
        });
        let (comp_pool, comp_kind) = pool_values(&rules.cuts.comprehensive);
        let (targ_pool, _) = pool_values(&rules.cuts.targeted);
        let (top_pool, _) = pool_values(&rules.cuts.top);
        cuts.insert(
            band,
            BandCuts {
                band,
                comprehensive: bottom_cut(&comp_pool, rules.cuts.comprehensive.share),
                targeted: bottom_cut(&targ_pool, rules.cuts.targeted.share),
                top: top_cut(&top_pool, rules.cuts.top.share),
                comprehensive_pool: comp_kind,
                comprehensive_pool_size: comp_pool.len(),
                schools_with_index: all.len(),
                sorted_indices: all,
            },
        );
    }

    // Each school-band's groups and designation: most of the work, shared
    // out in stretches of `scored` between `threads` threads.
    let row_of = |x: Scored, scratch: &mut RowScratch| -> BandResult {
        let s = x.school;
        let c = &cuts[x.b];
        let title1 = is_title1(s);
        let grad = if x.band == rules.graduation.band {
            s.value(&rules.graduation.measure, Group::All, None)
                .filter(|v| !(rules.graduation.zero_is_missing && *v == 0.0))
        } else {
            None
        };
        let mut row = BandResult {
            rcdts: s.rcdts().clone(),
            school_name: s.name.clone(),
            band: Some(x.band),
            index: x.index,
            designation: None,
            official_designation: s.official,
            reasons: Vec::new(),
            title1,
            graduation_rate: grad,
            indicators: x.indicators,
            groups: Vec::new(),
        };
        if let Some(index) = x.index {
            let (p, reader) = &pops[x.b];
            let band_rules = &rules.bands[x.b];
            let keep = detail.keeps(&row.rcdts);
            // Without a book, every group's readings at once.
            let RowScratch { outcomes, readings } = scratch;
            readings.clear();
            if reader.0.is_none() {
                readings.extend(
                    band_rules
                        .indicators
                        .values()
                        .map(|ind| read_groups(s, ind)),
                );
            }
            row.groups = rules
                .groups
                .eligible
                .iter()
                .map(|&g| {
                    let read = |pos: usize, ind: &_| match readings.get(pos) {
                        Some(r) => r[group_slot(g)],
                        None => reader.read(x.k, s, pos, ind, g),
                    };
                    outcomes_into(rules, band_rules, g, p, &read, outcomes);
                    group_standing(rules, x.band, band_rules, g, p, outcomes, keep)
                })
                .collect();
            let (designation, reasons) = decide(rules, c, index, title1, grad, &row.groups);
            row.designation = Some(designation);
            row.reasons = reasons;
        }
        row
    };
    let rows_of = |part: Vec<Scored>| -> Vec<BandResult> {
        let mut scratch = RowScratch::default();
        part.into_iter().map(|x| row_of(x, &mut scratch)).collect()
    };
    let mut rows = in_stretches(scored, threads, rows_of);

    // Schools in no band: one row with an empty band.
    for s in schools {
        if rules.bands_for(&s.grades).is_empty() {
            rows.push(BandResult {
                rcdts: s.rcdts().clone(),
                school_name: s.name.clone(),
                band: None,
                index: None,
                designation: None,
                official_designation: s.official,
                reasons: vec![Reason::NoDesignation(NoDesignation::NoBand)],
                title1: is_title1(s),
                graduation_rate: None,
                indicators: Vec::new(),
                groups: Vec::new(),
            });
        }
    }

    rows.sort_by(|a, b| a.rcdts.cmp(&b.rcdts).then(a.band.cmp(&b.band)));
    pair_untested(rules, schools, &mut rows);

    Designations {
        year,
        rules_name: rules.name.clone(),
        rules_version: rules.version.clone(),
        title1_data,
        cuts,
        rows,
    }
}

/// The designation rules of `spec/accountability.md` for a school with an
/// index. Every rule that holds is reported; the worst designation wins.
pub(crate) fn decide(
    rules: &AccountabilityRules,
    cuts: &BandCuts,
    index: f64,
    title1: bool,
    graduation_rate: Option<f64>,
    groups: &[GroupResult],
) -> (Designation, Vec<Reason>) {
    let mut reasons = Vec::new();
    let mut worst: Option<Designation> = None;
    let hold = |d: Designation, worst: &mut Option<Designation>| {
        if worst.is_none_or(|w| d > w) {
            *worst = Some(d);
        }
    };
    let in_comprehensive_pool = title1 || cuts.comprehensive_pool == Pool::All;
    if in_comprehensive_pool && cuts.comprehensive.is_some_and(|c| index <= c) {
        reasons.push(Reason::AllStudentsBottom5);
        hold(Designation::Comprehensive, &mut worst);
    } else if !in_comprehensive_pool {
        if let (Some(d), Some(t)) = (rules.cuts.outside_pool_bottom, cuts.targeted) {
            if index <= t {
                reasons.push(Reason::AllStudentsBottom5);
                hold(d, &mut worst);
            }
        }
    }
    if graduation_rate.is_some_and(|g| g <= rules.graduation.threshold) {
        reasons.push(Reason::LowGraduationRate);
        hold(Designation::Comprehensive, &mut worst);
    }
    let under: Vec<Group> = match cuts.targeted {
        Some(t) => groups
            .iter()
            .filter(|g| g.qualifies && g.index.is_some_and(|i| i <= t))
            .map(|g| g.group)
            .collect(),
        None => Vec::new(),
    };
    if !under.is_empty() {
        reasons.push(Reason::UnderperformingGroups(under));
        hold(Designation::Targeted, &mut worst);
    }
    let top = cuts.top.is_some_and(|t| index >= t);
    if top {
        reasons.push(Reason::Top10);
    }
    let designation = worst.unwrap_or(if top {
        Designation::Exemplary
    } else {
        Designation::Commendable
    });
    reasons.sort_by_key(Reason::order);
    (designation, reasons)
}

/// Untested schools (in a band, no index) take the designation of a school
/// of the same district whose lowest grade is just above their highest.
fn pair_untested(rules: &AccountabilityRules, schools: &[SchoolData], rows: &mut [BandResult]) {
    let by_id: FxHashMap<&SchoolId, &SchoolData> = schools.iter().map(|s| (s.rcdts(), s)).collect();
    // Designation standing for each school with an index: the row of the
    // rules' official band if it has one, else its other row (rows of a
    // school are neighbours).
    let mut tested: Vec<(SchoolId, Designation)> = Vec::new();
    for r in rows.iter() {
        if let (Some(d), Some(_)) = (r.designation, r.index) {
            match tested.last_mut() {
                Some(last) if last.0 == r.rcdts => {
                    if r.band == Some(rules.official_band) {
                        last.1 = d;
                    }
                }
                _ => tested.push((r.rcdts.clone(), d)),
            }
        }
    }
    // Partners are looked for within a district only: the tested schools
    // of each district with their lowest grade, in RCDTS order.
    let mut by_district: FxHashMap<&str, Vec<(&SchoolId, Designation, u8)>> = FxHashMap::default();
    for (id, d) in &tested {
        let Some(s) = by_id.get(id) else { continue };
        let Some(&lowest) = s.grades.first() else {
            continue;
        };
        by_district
            .entry(s.district.as_str())
            .or_default()
            .push((id, *d, lowest));
    }
    for row in rows.iter_mut() {
        if row.band.is_none() || row.index.is_some() {
            continue;
        }
        let mut partner: Option<(u8, &SchoolId, Designation)> = None;
        if rules.pairing.enabled {
            let me = by_id.get(&row.rcdts);
            let highest = me.and_then(|s| s.grades.last().copied()).unwrap_or(0);
            let candidates = me
                .and_then(|s| by_district.get(s.district.as_str()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for &(id, d, lowest) in candidates {
                if *id == row.rcdts {
                    continue;
                }
                let gap = lowest.saturating_sub(highest);
                if lowest <= highest
                    || gap < rules.pairing.min_grade_gap
                    || gap > rules.pairing.max_grade_gap
                {
                    continue;
                }
                // `tested` is in RCDTS order, so the first of equal gaps wins.
                if partner.is_none_or(|(g, _, _)| gap < g) {
                    partner = Some((gap, id, d));
                }
            }
        }
        match partner {
            Some((_, id, d)) => {
                row.designation = Some(d);
                row.reasons = vec![Reason::PairedWith(id.clone())];
            }
            None => row.reasons = vec![Reason::NoDesignation(NoDesignation::NoTestData)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_take_the_ceiling_rank() {
        let v: Vec<f64> = (1..=40).map(f64::from).collect();
        // ceil(0.05 × 40) = 2nd lowest; ceil(0.10 × 40) = 4th highest.
        assert_eq!(bottom_cut(&v, 0.05), Some(2.0));
        assert_eq!(top_cut(&v, 0.10), Some(37.0));
        let v: Vec<f64> = (1..=41).map(f64::from).collect();
        assert_eq!(bottom_cut(&v, 0.05), Some(3.0));
        assert_eq!(top_cut(&v, 0.10), Some(37.0));
        assert_eq!(bottom_cut(&[], 0.05), None);
    }
}
