//! The model per cell and the criteria per school and subject.

use crate::cells::{validate, CellKey, CellRow, CellsError, PriorGroup};
use crate::gaps::{opportunity_gaps, Gap};
use crate::percentile::percentile_ranks;
use crate::regression::weighted_least_squares;
use crate::rules::HpRules;
use empower_model::{Grade, Rcdts};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// One school's result in one cell.
#[derive(Clone, Debug, Serialize)]
pub struct CellResult {
    pub rcdts: Rcdts,
    pub key: CellKey,
    pub n: Option<f64>,
    pub performance: Option<f64>,
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
    pub group: PriorGroup,
    pub rank: Option<f64>,
}

/// The verdict for one school and subject, with every figure behind it.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectResult {
    pub rcdts: Rcdts,
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
    /// Sorted by school, then cell.
    pub cell_results: Vec<CellResult>,
    /// Sorted by school, then subject.
    pub subjects: Vec<SubjectResult>,
}

/// Runs the model and the criteria over snapshot or longitudinal cells.
pub fn higher_performing(rows: &[CellRow], rules: &HpRules) -> Result<HpReport, CellsError> {
    validate(rows, &rules.predictors)?;
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
            cell_results: Vec::new(),
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
    let band_of = |r: &CellRow| -> Option<usize> {
        band_index
            .and_then(|j| r.predictors[j])
            .map(|li| rules.band(li))
    };

    // Rows of the window, grouped by cell.
    let mut by_cell: BTreeMap<&CellKey, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if window.contains(&r.key.year) {
            by_cell.entry(&r.key).or_default().push(i);
        }
    }

    let mut results: Vec<Option<CellResult>> = vec![None; rows.len()];
    let mut cells = Vec::with_capacity(by_cell.len());
    let k = used.len();
    for (key, members) in &by_cell {
        let eligible: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| {
                let r = &rows[i];
                r.n.is_some_and(|n| rules.at_least(n, rules.min_students))
                    && r.performance.is_some()
                    && used.iter().all(|&j| r.predictors[j].is_some())
            })
            .collect();
        let regression =
            eligible.len() >= k + rules.min_schools_over_predictors && !eligible.is_empty();
        let mut residual: HashMap<usize, f64> = HashMap::new();
        let mut stat = CellStat {
            key: (*key).clone(),
            schools: eligible.len(),
            regression,
            r2: None,
            intercept: None,
            coefficients: Vec::new(),
        };
        if regression {
            let mut x = Vec::with_capacity(eligible.len() * k);
            let mut y = Vec::with_capacity(eligible.len());
            let mut w = Vec::with_capacity(eligible.len());
            for &i in &eligible {
                let r = &rows[i];
                x.extend(used.iter().map(|&j| r.predictors[j].expect("eligible")));
                y.push(r.performance.expect("eligible"));
                w.push(r.n.expect("eligible"));
            }
            let fit = weighted_least_squares(&x, k, &y, &w, rules.intercept);
            for (&i, res) in eligible.iter().zip(&fit.residuals) {
                residual.insert(i, *res);
            }
            stat.r2 = Some(fit.r2);
            stat.intercept = Some(fit.intercept);
            stat.coefficients = fit.coefficients;
        }
        // Ranks within low-income bands.
        let mut bands: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &i in &eligible {
            if let (true, Some(b)) = (residual.contains_key(&i), band_of(&rows[i])) {
                bands.entry(b).or_default().push(i);
            }
        }
        let mut rank: HashMap<usize, f64> = HashMap::new();
        for members in bands.values() {
            let values: Vec<f64> = members.iter().map(|i| residual[i]).collect();
            for (i, r) in members.iter().zip(percentile_ranks(&values)) {
                if let Some(r) = r {
                    rank.insert(*i, r);
                }
            }
        }
        for &i in members {
            let r = &rows[i];
            let missing = if !r.n.is_some_and(|n| rules.at_least(n, rules.min_students)) {
                Some("too few students")
            } else if r.performance.is_none() {
                Some("no performance value")
            } else if !used.iter().all(|&j| r.predictors[j].is_some()) {
                Some("a predictor is missing")
            } else if !regression {
                Some("too few schools in the cell for a regression")
            } else if !rank.contains_key(&i) {
                Some("alone in its low-income band")
            } else {
                None
            };
            results[i] = Some(CellResult {
                rcdts: r.rcdts.clone(),
                key: r.key.clone(),
                n: r.n,
                performance: r.performance,
                residual: residual.get(&i).copied(),
                rank_band: band_of(r),
                rank: rank.get(&i).copied(),
                missing,
            });
        }
        cells.push(stat);
    }

    // Per school and subject.
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| results[i].is_some()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        ra.rcdts
            .cmp(&rb.rcdts)
            .then_with(|| ra.key.subject.cmp(&rb.key.subject))
            .then_with(|| ra.key.cmp(&rb.key))
    });
    let recent_band: HashMap<&Rcdts, usize> = rows
        .iter()
        .filter(|r| r.key.year == recent)
        .filter_map(|r| band_of(r).map(|b| (&r.rcdts, b)))
        .collect();
    let first_years = &window[..window.len() - 1];
    let mut subjects: Vec<SubjectResult> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let head = &rows[order[start]];
        let mut end = start;
        while end < order.len()
            && rows[order[end]].rcdts == head.rcdts
            && rows[order[end]].key.subject == head.key.subject
        {
            end += 1;
        }
        let run = &order[start..end];
        subjects.push(subject_result(
            rows,
            &results,
            run,
            rules,
            &window,
            first_years,
            recent,
            &recent_band,
        ));
        start = end;
    }

    // Overall ranks among the schools of a band, per subject.
    let mut pools: HashMap<(&str, usize), Vec<usize>> = HashMap::new();
    for (idx, s) in subjects.iter().enumerate() {
        if let (Some(_), Some(b)) = (s.overall_residual, s.overall_band) {
            pools.entry((s.subject.as_str(), b)).or_default().push(idx);
        }
    }
    let mut overall: Vec<(usize, f64)> = Vec::new();
    for members in pools.values() {
        let values: Vec<f64> = members
            .iter()
            .map(|&i| subjects[i].overall_residual.expect("pooled"))
            .collect();
        for (&i, r) in members.iter().zip(percentile_ranks(&values)) {
            if let Some(r) = r {
                overall.push((i, r));
            }
        }
    }
    for (i, r) in overall {
        subjects[i].overall_rank = Some(r);
    }

    // Opportunity gaps in the most recent year.
    let position: HashMap<(&Rcdts, &str), usize> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| ((&s.rcdts, s.subject.as_str()), i))
        .collect();
    let mut gap_rows: Vec<(usize, Grade, PriorGroup, Gap)> = Vec::new();
    for (key, members) in &by_cell {
        if key.year != recent {
            continue;
        }
        let with: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| {
                rows[i].proficient_pct.is_some()
                    && band_index.and_then(|j| rows[i].predictors[j]).is_some()
            })
            .collect();
        let input: Vec<(f64, f64)> = with
            .iter()
            .map(|&i| {
                let li = band_index
                    .and_then(|j| rows[i].predictors[j])
                    .expect("filtered");
                (li, rows[i].proficient_pct.expect("filtered"))
            })
            .collect();
        for (&i, g) in with.iter().zip(opportunity_gaps(&input, rules)) {
            if let (Some(g), Some(&s)) = (g, position.get(&(&rows[i].rcdts, key.subject.as_str())))
            {
                gap_rows.push((s, key.grade, key.group, g));
            }
        }
    }
    for (s, grade, group, g) in gap_rows {
        subjects[s].gaps.push((grade, group, g));
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

    let cell_results: Vec<CellResult> = order
        .iter()
        .map(|&i| results[i].clone().expect("in window"))
        .collect();
    Ok(HpReport {
        window,
        predictors_used: used.iter().map(|&j| rules.predictors[j].clone()).collect(),
        predictors_dropped: (0..rules.predictors.len())
            .filter(|j| !used.contains(j))
            .map(|j| rules.predictors[j].clone())
            .collect(),
        cells,
        cell_results,
        subjects,
    })
}

#[allow(clippy::too_many_arguments)]
fn subject_result(
    rows: &[CellRow],
    results: &[Option<CellResult>],
    run: &[usize],
    rules: &HpRules,
    window: &[u16],
    first_years: &[u16],
    recent: u16,
    recent_band: &HashMap<&Rcdts, usize>,
) -> SubjectResult {
    let head = &rows[run[0]];
    let grades: Vec<Grade> = run
        .iter()
        .map(|&i| rows[i].key.grade)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let groups: Vec<PriorGroup> = if run.iter().any(|&i| rows[i].key.group != PriorGroup::All) {
        vec![PriorGroup::Met, PriorGroup::NotMet]
    } else {
        vec![PriorGroup::All]
    };
    let rank_at: HashMap<(u16, Grade, PriorGroup), Option<f64>> = run
        .iter()
        .map(|&i| {
            let k = &rows[i].key;
            (
                (k.year, k.grade, k.group),
                results[i].as_ref().and_then(|c| c.rank),
            )
        })
        .collect();
    let mut slots = Vec::new();
    for &year in window {
        for &grade in &grades {
            for &group in &groups {
                slots.push(Slot {
                    year,
                    grade,
                    group,
                    rank: rank_at.get(&(year, grade, group)).copied().flatten(),
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
        .filter(|s| first_years.contains(&s.year) && failing(s))
        .count();
    let recent_failing = slots
        .iter()
        .filter(|s| s.year == recent && failing(s))
        .count();
    let first_years_ranks = grades.len() * first_years.len() * groups.len();
    let ranks = grades.len() * window.len() * groups.len();
    let (mut num, mut den) = (0.0, 0.0);
    for &i in run {
        if let (Some(res), Some(n)) = (results[i].as_ref().and_then(|c| c.residual), rows[i].n) {
            num += n * res;
            den += n;
        }
    }
    let accountability = window
        .iter()
        .filter_map(|&year| {
            let in_year: Vec<&CellRow> = run
                .iter()
                .map(|&i| &rows[i])
                .filter(|r| r.key.year == year)
                .collect();
            if in_year.is_empty() {
                return None;
            }
            let ayp: Vec<bool> = in_year.iter().filter_map(|r| r.ayp_met).collect();
            let part: Vec<f64> = in_year.iter().filter_map(|r| r.participation_pct).collect();
            Some(if !ayp.is_empty() {
                AccountabilityYear {
                    year,
                    check: CheckUsed::Ayp,
                    passed: ayp.iter().all(|a| *a),
                }
            } else if !part.is_empty() {
                AccountabilityYear {
                    year,
                    check: CheckUsed::Participation,
                    passed: part
                        .iter()
                        .all(|p| rules.at_least(*p, rules.min_participation)),
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
        overall_band: recent_band.get(&head.rcdts).copied(),
        overall_rank: None,
        required_overall_rank: HpRules::lookup(&rules.overall_rank, ranks),
        accountability,
        gaps: Vec::new(),
        min_gap: None,
        higher_performing: false,
        failed: Vec::new(),
    }
}
