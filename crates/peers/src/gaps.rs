//! Opportunity gaps: a school's % proficient minus the mean % proficient of
//! the top comparable schools (those with at least as many low-income
//! students, less a margin). O(m log m) per cell: schools are visited in
//! order of falling % low income, so each one's comparable set is a growing
//! prefix, and the top of it is kept in two heaps.

use crate::rules::HpRules;
use empower_model::{CellKey, CellRow, SchoolId};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Gap {
    pub gap: f64,
    /// Mean % proficient of the top comparable schools.
    pub top_mean: f64,
    /// Comparable schools (m) and how many of them form the top.
    pub comparable: usize,
    pub top: usize,
}

/// Neumaier-compensated running sum: values enter and leave the top set
/// many times, and a plain running sum would drift.
#[derive(Default)]
struct RunningSum {
    sum: f64,
    compensation: f64,
}

impl RunningSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }
    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Ord64(f64);
impl Eq for Ord64 {}
impl PartialOrd for Ord64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ord64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// How many of `m` comparable schools form the top: max(top_min,
/// ceil(top_share × m)), the ceiling taken on the decimal value (0.1 × 30
/// is 3, not the 3.0000000000000004 of binary arithmetic).
pub(crate) fn top_count(m: usize, rules: &HpRules) -> usize {
    rules
        .top_min
        .max((rules.top_share * m as f64 - 1e-9).ceil() as usize)
}

/// Gaps of one cell's schools, given each one's (% low income, % proficient).
/// `None` where fewer than `top_min` schools are comparable.
pub fn opportunity_gaps(schools: &[(f64, f64)], rules: &HpRules) -> Vec<Option<Gap>> {
    let mut order: Vec<usize> = (0..schools.len()).collect();
    order.sort_by(|&a, &b| schools[b].0.total_cmp(&schools[a].0));
    let mut out = vec![None; schools.len()];
    let mut top: BinaryHeap<Reverse<Ord64>> = BinaryHeap::new();
    let mut rest: BinaryHeap<Ord64> = BinaryHeap::new();
    let mut top_sum = RunningSum::default();
    let mut added = 0usize;
    for &s in &order {
        let threshold = schools[s].0 - rules.comparable_low_income_margin - rules.tolerance;
        while added < order.len() && schools[order[added]].0 >= threshold {
            let v = schools[order[added]].1;
            added += 1;
            // Insert into the top heap, then give back its smallest.
            top.push(Reverse(Ord64(v)));
            top_sum.add(v);
            let Reverse(Ord64(smallest)) = top.pop().expect("just pushed");
            top_sum.add(-smallest);
            rest.push(Ord64(smallest));
        }
        let m = added;
        if m < rules.top_min {
            continue;
        }
        let k = top_count(m, rules);
        while top.len() < k {
            let Ord64(v) = rest.pop().expect("k ≤ m");
            top.push(Reverse(Ord64(v)));
            top_sum.add(v);
        }
        let top_mean = top_sum.value() / k as f64;
        out[s] = Some(Gap {
            gap: schools[s].1 - top_mean,
            top_mean,
            comparable: m,
            top: k,
        });
    }
    out
}

/// The top comparable schools behind one school's gaps: for each cell of
/// `year` the school has a % proficient and % low income in, the schools
/// whose % proficient the gap compares with (the same top as
/// [`opportunity_gaps`] takes: the highest of the comparable schools), with
/// their % proficient, highest first (ties by id).
pub fn top_comparable_schools<'a>(
    rows: &'a [CellRow],
    rules: &HpRules,
    school: &SchoolId,
    year: u16,
) -> Vec<(&'a CellKey, Vec<(&'a SchoolId, f64)>)> {
    let Some(li_index) = rules
        .predictors
        .iter()
        .position(|p| *p == rules.band_predictor)
    else {
        return Vec::new();
    };
    let point = |r: &'a CellRow| Some((r.predictors[li_index]?, r.proficient_pct?));
    let mut out = Vec::new();
    for mine in rows
        .iter()
        .filter(|r| &r.rcdts == school && r.key.year == year)
    {
        let Some((li, _)) = point(mine) else { continue };
        let threshold = li - rules.comparable_low_income_margin - rules.tolerance;
        let mut comparable: Vec<(&SchoolId, f64)> = rows
            .iter()
            .filter(|r| r.key == mine.key)
            .filter_map(|r| point(r).map(|(l, p)| (r, l, p)))
            .filter(|(_, l, _)| *l >= threshold)
            .map(|(r, _, p)| (&r.rcdts, p))
            .collect();
        if comparable.len() < rules.top_min {
            continue;
        }
        let k = top_count(comparable.len(), rules).min(comparable.len());
        comparable.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        comparable.truncate(k);
        out.push((&mine.key, comparable));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rules::tests::illinois as rules;

    /// Quadratic reference: the definition read literally.
    fn naive(schools: &[(f64, f64)], r: &HpRules) -> Vec<Option<f64>> {
        schools
            .iter()
            .map(|&(li, p)| {
                let mut comp: Vec<f64> = schools
                    .iter()
                    .filter(|(l, _)| *l >= li - r.comparable_low_income_margin - r.tolerance)
                    .map(|(_, q)| *q)
                    .collect();
                if comp.len() < r.top_min {
                    return None;
                }
                comp.sort_by(|a, b| b.total_cmp(a));
                let k = top_count(comp.len(), r);
                Some(p - comp[..k].iter().sum::<f64>() / k as f64)
            })
            .collect()
    }

    #[test]
    fn hand_computed_gap_of_exactly_minus_15() {
        let r = rules();
        // School A: 50% low income, 60% proficient. Comparable (≥ 45% low
        // income): A, B (80, 70%), C (46, 75%), D (90, 90%). m = 4, top 3:
        // 90, 75, 70 → mean 78.333; gap A = 60 − 78.333.
        // E (30% low income) is not comparable to A.
        let s = [
            (50.0, 60.0),
            (80.0, 70.0),
            (46.0, 75.0),
            (90.0, 90.0),
            (30.0, 99.0),
        ];
        let g = opportunity_gaps(&s, &r);
        assert!((g[0].unwrap().gap - (60.0 - 235.0 / 3.0)).abs() < 1e-9);
        assert_eq!(g[0].unwrap().comparable, 4);
        // D: only itself is at ≥ 85% low income → not computed.
        assert_eq!(g[3], None);
        // A gap of exactly −15: top mean 75 (70, 75, 80), school at 60.
        let s = [(20.0, 60.0), (30.0, 70.0), (30.0, 75.0), (30.0, 80.0)];
        let g = opportunity_gaps(&s, &r);
        assert_eq!(g[0].unwrap().gap, -15.0);
        assert!(r.at_least(g[0].unwrap().gap, r.min_gap));
    }

    proptest::proptest! {
        #[test]
        fn heaps_agree_with_the_definition(v in proptest::collection::vec((0.0f64..100.0, 0.0f64..100.0), 0..60)) {
            let r = rules();
            let fast: Vec<Option<f64>> = opportunity_gaps(&v, &r).into_iter().map(|g| g.map(|g| g.gap)).collect();
            let slow = naive(&v, &r);
            for (a, b) in fast.iter().zip(&slow) {
                match (a, b) {
                    (Some(a), Some(b)) => proptest::prop_assert!((a - b).abs() < 1e-9),
                    (None, None) => {}
                    _ => proptest::prop_assert!(false, "{a:?} vs {b:?}"),
                }
            }
        }
    }
}
