//! The model per cell and the criteria per school and subject.

use crate::gaps::{opportunity_gaps, Gap};
use crate::index::{order_row, order_school, order_subject, Index};
use crate::percentile::{percentile_ranks, snapped};
use crate::regression::weighted_least_squares;
use crate::rules::HpRules;
use crate::validate::CellsError;
use empower_model::{CellKey, CellRow, Grade, PriorGroup, SchoolId};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One cell's regression.
#[derive(Clone, Debug, Serialize)]
pub struct CellStat {
    pub key: CellKey,
    /// Schools that entered the regression (n ≥ minimum, performance and
    /// every predictor present).
    pub schools: usize,
    /// False when the cell had fewer than k + 3 schools.
    pub regression: bool,
    pub r2: Option<f64>,
    pub intercept: Option<f64>,
    /// One per predictor in use, in `HpReport::predictors_used` order.
    pub coefficients: Vec<f64>,
}

/// One school's result in one cell; `row` is its index in the input.
#[derive(Clone, Debug, Serialize)]
pub struct CellResult {
    pub row: usize,
    pub residual: Option<f64>,
    pub rank_band: Option<usize>,
    pub rank: Option<f64>,
    /// Why there is no rank.
    pub missing: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckUsed {
    Ayp,
    Participation,
    Skipped,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountabilityYear {
    pub year: u16,
    pub check: CheckUsed,
    pub passed: bool,
}

/// A failed criterion, in the output contract's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    RecentRank,
    IndividualRanks,
    OverallRank,
    Ayp,
    OpportunityGap,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::RecentRank => "recent_rank",
            Failure::IndividualRanks => "individual_ranks",
            Failure::OverallRank => "overall_rank",
            Failure::Ayp => "ayp",
            Failure::OpportunityGap => "opportunity_gap",
        }
    }
}

/// One rank slot: tested grade × window year × group.
#[derive(Clone, Debug, Serialize)]
pub struct Slot {
    pub year: u16,
    pub grade: Grade,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<String>,
    pub group: PriorGroup,
    pub rank: Option<f64>,
}

/// The verdict for one school and subject, with every figure behind it.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectResult {
    pub rcdts: SchoolId,
    pub subject: String,
    pub tested_grades: Vec<Grade>,
    pub groups: usize,
    pub slots: Vec<Slot>,
    /// Rank slots in the subject: tested grades × window years × groups.
    pub ranks: usize,
    pub first_years_ranks: usize,
    pub exceptions_allowed: usize,
    pub exceptions_used: usize,
    /// Slots of the most recent year that are missing or below the minimum.
    pub recent_failing: usize,
    pub overall_residual: Option<f64>,
    pub overall_band: Option<usize>,
    pub overall_rank: Option<f64>,
    pub required_overall_rank: f64,
    pub accountability: Vec<AccountabilityYear>,
    /// Per grade (and group) of the most recent year.
    pub gaps: Vec<(Grade, PriorGroup, Gap)>,
    pub min_gap: Option<f64>,
    pub higher_performing: bool,
    pub failed: Vec<Failure>,
}

impl SubjectResult {
    pub fn failed_codes(&self) -> String {
        self.failed
            .iter()
            .map(|f| f.code())
            .collect::<Vec<_>>()
            .join(";")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct HpReport {
    /// Years of the window, oldest first.
    pub window: Vec<u16>,
    pub predictors_used: Vec<String>,
    /// Predictors empty on every row of the input.
    pub predictors_dropped: Vec<String>,
    pub cells: Vec<CellStat>,
    /// Input rows of the window, sorted by school, subject, then cell.
    #[serde(skip)]
    pub cell_order: Vec<u32>,
    /// Per input row (NaN: none): residual and rank.
    #[serde(skip)]
    residual: Vec<f64>,
    #[serde(skip)]
    rank: Vec<f64>,
    /// Per input row: rank band (u8::MAX: none) and why there is no rank
    /// (index into `MISSING`, 0: there is one).
    #[serde(skip)]
    band: Vec<u8>,
    #[serde(skip)]
    missing: Vec<u8>,
    /// Sorted by school, then subject.
    pub subjects: Vec<SubjectResult>,
}

fn year_of(code: u64) -> u16 {
    (code >> 32) as u16
}

const MISSING: [&str; 6] = [
    "",
    "too few students",
    "no performance value",
    "a predictor is missing",
    "too few schools in the cell for a regression",
    "alone in its low-income band",
];

impl HpReport {
    /// Each window row's result, by school, subject and cell.
    pub fn cell_results(&self) -> impl Iterator<Item = CellResult> + '_ {
        self.cell_order.iter().map(|&i| {
            let i = i as usize;
            let opt = |v: f64| (!v.is_nan()).then_some(v);
            CellResult {
                row: i,
                residual: opt(self.residual[i]),
                rank_band: (self.band[i] != u8::MAX).then_some(self.band[i] as usize),
                rank: opt(self.rank[i]),
                missing: (self.missing[i] != 0).then_some(MISSING[self.missing[i] as usize]),
            }
        })
    }
}

/// Runs the model and the criteria over snapshot or longitudinal cells on
/// `threads` threads (the caller's pool decides; results do not depend on
/// it).
pub fn higher_performing(
    rows: &[CellRow],
    rules: &HpRules,
    threads: usize,
) -> Result<HpReport, CellsError> {
    let threads = threads.max(1);
    let index = Index::new(rows);
    crate::validate::validate_indexed(rows, &index, rules)?;
    let years: BTreeSet<u16> = rows
        .iter()
        .map(|r| r.key.year)
        .filter(|y| !rules.years_without_tests.contains(y))
        .collect();
    let window: Vec<u16> = years
        .iter()
        .rev()
        .take(rules.window_years)
        .rev()
        .copied()
        .collect();
    let Some(&recent) = window.last() else {
        return Ok(HpReport {
            window,
            predictors_used: Vec::new(),
            predictors_dropped: rules.predictors.clone(),
            cells: Vec::new(),
            cell_order: Vec::new(),
            residual: Vec::new(),
            rank: Vec::new(),
            band: Vec::new(),
            missing: Vec::new(),
            subjects: Vec::new(),
        });
    };
    let used: Vec<usize> = (0..rules.predictors.len())
        .filter(|&j| rows.iter().any(|r| r.predictors[j].is_some()))
        .collect();
    let band_index = rules
        .predictors
        .iter()
        .position(|p| *p == rules.band_predictor);
    let low_income = |r: &CellRow| band_index.and_then(|j| r.predictors[j]);
    let band_of = |r: &CellRow| low_income(r).map(|li| rules.band(li));
    let in_window: Vec<bool> = rows.iter().map(|r| window.contains(&r.key.year)).collect();
    let counted = |r: &CellRow| r.n.is_some_and(|n| rules.at_least(n, rules.min_students));

    // Cells of the window; each row's data is gathered into its cell's
    // buffers in one sequential pass, so that the per-cell work reads
    // memory in order and cells can run on several threads.
    let mut codes: Vec<u64> = (0..rows.len())
        .filter(|&i| in_window[i])
        .map(|i| index.code[i])
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let k = used.len();
    let gather = |range: std::ops::Range<usize>| -> Vec<CellBuffer> {
        // Size every buffer first: growing them would copy gigabytes at scale.
        let mut sizes = vec![0usize; codes.len()];
        for i in range.clone() {
            if in_window[i] {
                sizes[codes
                    .binary_search(&index.code[i])
                    .expect("code of a window row")] += 1;
            }
        }
        let mut buffers: Vec<CellBuffer> = sizes
            .iter()
            .zip(&codes)
            .map(|(&m, &code)| {
                let gaps = if year_of(code) == recent { m } else { 0 };
                CellBuffer {
                    first: None,
                    rows: Vec::with_capacity(m),
                    x: Vec::with_capacity(m * k),
                    y: Vec::with_capacity(m),
                    w: Vec::with_capacity(m),
                    band: Vec::with_capacity(m),
                    gap_rows: Vec::with_capacity(gaps),
                    gap_input: Vec::with_capacity(gaps),
                }
            })
            .collect();
        for i in range {
            if !in_window[i] {
                continue;
            }
            let r = &rows[i];
            let c = codes
                .binary_search(&index.code[i])
                .expect("code of a window row");
            let b = &mut buffers[c];
            if b.first.is_none() {
                b.first = Some(i);
            }
            if year_of(index.code[i]) == recent {
                if let (Some(li), Some(p)) = (low_income(r), r.proficient_pct) {
                    b.gap_rows.push(i as u32);
                    b.gap_input.push((li, p));
                }
            }
            if let (Some(n), Some(performance), true) = (
                r.n.filter(|_| counted(r)),
                r.performance,
                used.iter().all(|&j| r.predictors[j].is_some()),
            ) {
                b.rows.push(i as u32);
                b.x.extend(used.iter().map(|&j| r.predictors[j].expect("checked")));
                b.y.push(performance);
                b.w.push(n);
                b.band
                    .push(band_of(r).map(|x| x as u32).unwrap_or(u32::MAX));
            }
        }
        buffers
    };
    let per = rows.len().div_ceil(threads).max(1);
    let parts: Vec<Vec<CellBuffer>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..rows.len())
            .step_by(per)
            .map(|from| {
                let gather = &gather;
                scope.spawn(move || gather(from..(from + per).min(rows.len())))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("gather worker panicked"))
            .collect()
    });
    // Concatenate the parts in input order.
    let mut parts = parts.into_iter();
    let mut buffers = parts
        .next()
        .unwrap_or_else(|| codes.iter().map(|_| CellBuffer::default()).collect());
    for part in parts {
        for (b, p) in buffers.iter_mut().zip(part) {
            b.rows.reserve_exact(p.rows.len());
            b.x.reserve_exact(p.x.len());
            b.y.reserve_exact(p.y.len());
            b.w.reserve_exact(p.w.len());
            b.band.reserve_exact(p.band.len());
            b.first = b.first.or(p.first);
            b.rows.extend(p.rows);
            b.x.extend(p.x);
            b.y.extend(p.y);
            b.w.extend(p.w);
            b.band.extend(p.band);
            b.gap_rows.extend(p.gap_rows);
            b.gap_input.extend(p.gap_input);
        }
    }
    let bands = rules.band_count();
    let cell_threads = threads.min(buffers.len().max(1));
    let outcomes: Vec<CellOutcome> = std::thread::scope(|scope| {
        let chunks: Vec<_> = (0..cell_threads)
            .map(|t| {
                let buffers = &buffers;
                scope.spawn(move || {
                    (t..buffers.len())
                        .step_by(cell_threads)
                        .map(|c| (c, run_cell(&buffers[c], k, bands, rules)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, CellOutcome)> = chunks
            .into_iter()
            .flat_map(|h| h.join().expect("cell worker panicked"))
            .collect();
        all.sort_by_key(|(c, _)| *c);
        all.into_iter().map(|(_, o)| o).collect()
    });
    let mut residual: Vec<f64> = vec![f64::NAN; rows.len()];
    let mut rank: Vec<f64> = vec![f64::NAN; rows.len()];
    let mut regressed: Vec<bool> = vec![false; rows.len()];
    let mut cells = Vec::with_capacity(buffers.len());
    for (b, o) in buffers.iter().zip(&outcomes) {
        for (j, &i) in b.rows.iter().enumerate() {
            if o.regression {
                residual[i as usize] = o.residuals[j];
                rank[i as usize] = o.ranks[j];
                regressed[i as usize] = true;
            }
        }
        cells.push(CellStat {
            key: rows[b.first.expect("a cell has a row")].key.clone(),
            schools: b.rows.len(),
            regression: o.regression,
            r2: o.r2,
            intercept: o.intercept,
            coefficients: o.coefficients.clone(),
        });
    }
    let missing: Vec<u8> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if !in_window[i] {
                0
            } else if !counted(r) {
                1
            } else if r.performance.is_none() {
                2
            } else if !used.iter().all(|&j| r.predictors[j].is_some()) {
                3
            } else if !regressed[i] {
                4
            } else if rank[i].is_nan() {
                5
            } else {
                0
            }
        })
        .collect();
    let band: Vec<u8> = rows
        .iter()
        .map(|r| band_of(r).map(|b| b as u8).unwrap_or(u8::MAX))
        .collect();

    // Per school and subject: rows ordered by school, subject, cell.
    let order: Vec<u128> = index
        .order
        .iter()
        .copied()
        .filter(|&k| in_window[order_row(k)])
        .collect();
    let mut recent_band: Vec<Option<usize>> = vec![None; index.schools.len()];
    for (i, r) in rows.iter().enumerate() {
        if r.key.year == recent && recent_band[index.school[i] as usize].is_none() {
            recent_band[index.school[i] as usize] = band_of(r);
        }
    }
    let first_years = &window[..window.len() - 1];
    let mut runs: Vec<(u32, u8, std::ops::Range<usize>)> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let (school, subject) = (order_school(order[start]), order_subject(order[start]));
        let end = start
            + order[start..]
                .partition_point(|&k| order_school(k) == school && order_subject(k) == subject);
        runs.push((school, subject, start..end));
        start = end;
    }
    let subject_of_run: Vec<(u32, u8)> = runs.iter().map(|(s, j, _)| (*s, *j)).collect();
    let ctx = RunContext {
        rows,
        rank: &rank,
        residual: &residual,
        rules,
        window: &window,
        first_years,
        recent,
    };
    let per = runs.len().div_ceil(threads).max(1);
    let mut subjects: Vec<SubjectResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .chunks(per)
            .map(|chunk| {
                let (ctx, order, recent_band) = (&ctx, &order, &recent_band);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(school, _, range)| {
                            let run: Vec<usize> =
                                order[range.clone()].iter().map(|&k| order_row(k)).collect();
                            subject_result(ctx, &run, recent_band[*school as usize])
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("subject worker panicked"))
            .collect()
    });
    // Overall ranks among the schools of a band, per subject.
    let mut pools: HashMap<(u8, usize), Vec<usize>> = HashMap::new();
    for (idx, s) in subjects.iter().enumerate() {
        if let (Some(_), Some(b)) = (s.overall_residual, s.overall_band) {
            pools
                .entry((subject_of_run[idx].1, b))
                .or_default()
                .push(idx);
        }
    }
    for members in pools.values() {
        let values: Vec<f64> = members
            .iter()
            .map(|&i| subjects[i].overall_residual.expect("pooled"))
            .collect();
        for (&i, r) in members
            .iter()
            .zip(percentile_ranks(&snapped(&values, rules.tolerance)))
        {
            subjects[i].overall_rank = r;
        }
    }

    // Opportunity gaps in the most recent year.
    let position: HashMap<(u32, u8), usize> = subject_of_run
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i))
        .collect();
    for (b, o) in buffers.iter().zip(&outcomes) {
        for (&i, g) in b.gap_rows.iter().zip(&o.gaps) {
            let i = i as usize;
            if let (Some(g), Some(&s)) = (g, position.get(&(index.school[i], index.subject[i]))) {
                subjects[s]
                    .gaps
                    .push((rows[i].key.grade, rows[i].key.group, *g));
            }
        }
    }
    for s in &mut subjects {
        s.min_gap = s.gaps.iter().map(|(_, _, g)| g.gap).min_by(f64::total_cmp);
        let mut failed = Vec::new();
        if s.recent_failing > 0 {
            failed.push(Failure::RecentRank);
        }
        if s.exceptions_used > s.exceptions_allowed {
            failed.push(Failure::IndividualRanks);
        }
        if !s
            .overall_rank
            .is_some_and(|r| rules.at_least(r, s.required_overall_rank))
        {
            failed.push(Failure::OverallRank);
        }
        if s.accountability.iter().any(|a| !a.passed) {
            failed.push(Failure::Ayp);
        }
        if s.min_gap.is_some_and(|g| !rules.at_least(g, rules.min_gap)) {
            failed.push(Failure::OpportunityGap);
        }
        s.higher_performing = failed.is_empty();
        s.failed = failed;
    }

    let cell_order: Vec<u32> = order.iter().map(|&k| order_row(k) as u32).collect();
    Ok(HpReport {
        window,
        predictors_used: used.iter().map(|&j| rules.predictors[j].clone()).collect(),
        predictors_dropped: (0..rules.predictors.len())
            .filter(|j| !used.contains(j))
            .map(|j| rules.predictors[j].clone())
            .collect(),
        cells,
        cell_order,
        residual,
        rank,
        band,
        missing,
        subjects,
    })
}

/// One cell's rows that enter the regression, gathered in input order.
#[derive(Default)]
struct CellBuffer {
    first: Option<usize>,
    rows: Vec<u32>,
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    band: Vec<u32>,
    /// Rows of the most recent year with a % proficient and % low income.
    gap_rows: Vec<u32>,
    gap_input: Vec<(f64, f64)>,
}

struct CellOutcome {
    regression: bool,
    r2: Option<f64>,
    intercept: Option<f64>,
    coefficients: Vec<f64>,
    /// Per regressed row, in `CellBuffer::rows` order; NaN = no rank.
    residuals: Vec<f64>,
    ranks: Vec<f64>,
    gaps: Vec<Option<Gap>>,
}

/// The regression, band ranks and gaps of one cell.
fn run_cell(b: &CellBuffer, k: usize, bands: usize, rules: &HpRules) -> CellOutcome {
    let regression = !b.rows.is_empty() && b.rows.len() >= k + rules.min_schools_over_predictors;
    let mut o = CellOutcome {
        regression,
        r2: None,
        intercept: None,
        coefficients: Vec::new(),
        residuals: Vec::new(),
        ranks: vec![f64::NAN; b.rows.len()],
        gaps: opportunity_gaps(&b.gap_input, rules),
    };
    if !regression {
        return o;
    }
    let fit = weighted_least_squares(&b.x, k, &b.y, &b.w, rules.intercept);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); bands];
    for (j, &band) in b.band.iter().enumerate() {
        if let Some(bucket) = buckets.get_mut(band as usize) {
            bucket.push(j);
        }
    }
    for members in &buckets {
        let values: Vec<f64> = members.iter().map(|&j| fit.residuals[j]).collect();
        for (&j, r) in members
            .iter()
            .zip(percentile_ranks(&snapped(&values, rules.tolerance)))
        {
            if let Some(r) = r {
                o.ranks[j] = r;
            }
        }
    }
    o.r2 = Some(fit.r2);
    o.intercept = Some(fit.intercept);
    o.coefficients = fit.coefficients;
    o.residuals = fit.residuals;
    o
}

struct RunContext<'a> {
    rows: &'a [CellRow],
    rank: &'a [f64],
    residual: &'a [f64],
    rules: &'a HpRules,
    window: &'a [u16],
    first_years: &'a [u16],
    recent: u16,
}

/// The figures of one school and subject; `run` holds its rows of the
/// window in cell order.
fn subject_result(ctx: &RunContext, run: &[usize], band: Option<usize>) -> SubjectResult {
    let (rows, rules) = (ctx.rows, ctx.rules);
    let head = &rows[run[0]];
    // Tested grades, each with its assessment: a school with an elementary
    // and a high-school test has a slot for each.
    let mut units: Vec<(Grade, Option<&str>)> = run
        .iter()
        .map(|&i| (rows[i].key.grade, rows[i].key.assessment.as_deref()))
        .collect();
    units.sort();
    units.dedup();
    let mut grades: Vec<Grade> = units.iter().map(|u| u.0).collect();
    grades.dedup();
    let groups: Vec<PriorGroup> = if run.iter().any(|&i| rows[i].key.group != PriorGroup::All) {
        vec![PriorGroup::Met, PriorGroup::NotMet]
    } else {
        vec![PriorGroup::All]
    };
    let rank_at = |year: u16, (grade, assessment): (Grade, Option<&str>), group| -> Option<f64> {
        run.iter()
            .find(|&&i| {
                let k = &rows[i].key;
                k.year == year
                    && k.grade == grade
                    && k.assessment.as_deref() == assessment
                    && k.group == group
            })
            .map(|&i| ctx.rank[i])
            .filter(|r| !r.is_nan())
    };
    let mut slots = Vec::with_capacity(ctx.window.len() * units.len() * groups.len());
    for &year in ctx.window {
        for &unit in &units {
            for &group in &groups {
                slots.push(Slot {
                    year,
                    grade: unit.0,
                    assessment: unit.1.map(str::to_string),
                    group,
                    rank: rank_at(year, unit, group),
                });
            }
        }
    }
    let failing = |s: &Slot| {
        !s.rank
            .is_some_and(|r| rules.at_least(r, rules.min_individual_rank))
    };
    let exceptions_used = slots
        .iter()
        .filter(|s| ctx.first_years.contains(&s.year) && failing(s))
        .count();
    let recent_failing = slots
        .iter()
        .filter(|s| s.year == ctx.recent && failing(s))
        .count();
    let first_years_ranks = units.len() * ctx.first_years.len() * groups.len();
    let ranks = units.len() * ctx.window.len() * groups.len();
    let (mut num, mut den) = (0.0, 0.0);
    for &i in run {
        if let (false, Some(n)) = (ctx.residual[i].is_nan(), rows[i].n) {
            num += n * ctx.residual[i];
            den += n;
        }
    }
    let accountability = ctx
        .window
        .iter()
        .filter_map(|&year| {
            let in_year = || {
                run.iter()
                    .map(|&i| &rows[i])
                    .filter(move |r| r.key.year == year)
            };
            in_year().next()?;
            let mut ayp = in_year().filter_map(|r| r.ayp_met).peekable();
            let mut part = in_year().filter_map(|r| r.participation_pct).peekable();
            Some(if ayp.peek().is_some() {
                AccountabilityYear {
                    year,
                    check: CheckUsed::Ayp,
                    passed: ayp.all(|a| a),
                }
            } else if part.peek().is_some() {
                AccountabilityYear {
                    year,
                    check: CheckUsed::Participation,
                    passed: part.all(|p| rules.at_least(p, rules.min_participation)),
                }
            } else {
                AccountabilityYear {
                    year,
                    check: CheckUsed::Skipped,
                    passed: true,
                }
            })
        })
        .collect();
    SubjectResult {
        rcdts: head.rcdts.clone(),
        subject: head.key.subject.clone(),
        tested_grades: grades,
        groups: groups.len(),
        slots,
        ranks,
        first_years_ranks,
        exceptions_allowed: HpRules::lookup(&rules.exceptions, first_years_ranks) as usize,
        exceptions_used,
        recent_failing,
        overall_residual: (den > 0.0).then(|| num / den),
        overall_band: band,
        overall_rank: None,
        required_overall_rank: HpRules::lookup(&rules.overall_rank, ranks),
        accountability,
        gaps: Vec::new(),
        min_gap: None,
        higher_performing: false,
        failed: Vec::new(),
    }
}
