//! Similar schools: nearest neighbours on the standardised predictors,
//! within the same band (ES/HS) and school type. One query is O(n).

use crate::rules::HpRules;
use empower_model::CellRow;
use empower_model::{Grade, SchoolId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct SimilarSchool {
    pub rcdts: SchoolId,
    pub distance: f64,
    /// Demographics (the predictors in use) of the most recent year.
    pub predictors: Vec<Option<f64>>,
    /// n-weighted mean performance over its rows of the most recent year.
    pub performance: Option<f64>,
}

struct Profile {
    es: bool,
    hs: bool,
    school_type: Option<String>,
    predictors: Vec<Option<f64>>,
    perf: (f64, f64),
}

/// The `rules.similar_schools` schools nearest to `target` on the predictors
/// (each standardised to mean 0, sd 1 over all schools' most recent rows),
/// sharing a band and the school type. `None` when the target has no row.
pub fn similar_schools(
    rows: &[CellRow],
    rules: &HpRules,
    target: &SchoolId,
) -> Option<Vec<SimilarSchool>> {
    SimilarIndex::new(rows, rules).query(target)
}

/// Every school's profile and the predictors' spread, built once: each
/// query is then O(n), so similar schools of every school are O(n²).
pub struct SimilarIndex<'a> {
    profiles: BTreeMap<&'a SchoolId, Profile>,
    sd: Vec<f64>,
    keep: usize,
}

impl<'a> SimilarIndex<'a> {
    pub fn new(rows: &'a [CellRow], rules: &HpRules) -> Self {
        // Each school's latest year, then its profile in that year.
        let mut latest: BTreeMap<&SchoolId, u16> = BTreeMap::new();
        for r in rows {
            let y = latest.entry(&r.rcdts).or_insert(r.key.year);
            *y = (*y).max(r.key.year);
        }
        let mut profiles: BTreeMap<&SchoolId, Profile> = BTreeMap::new();
        for r in rows {
            let p = profiles.entry(&r.rcdts).or_insert_with(|| Profile {
                es: false,
                hs: false,
                school_type: None,
                predictors: vec![None; rules.predictors.len()],
                perf: (0.0, 0.0),
            });
            match r.key.grade {
                Grade::N(g) if g >= 9 => p.hs = true,
                _ => p.es = true,
            }
            if r.school_type.is_some() {
                p.school_type = r.school_type.clone();
            }
            if r.key.year == latest[&r.rcdts] {
                p.predictors = r.predictors.clone();
                if let (Some(v), Some(n)) = (r.performance, r.n) {
                    p.perf.0 += v * n;
                    p.perf.1 += n;
                }
            }
        }
        let k = rules.predictors.len();
        let mut sd = vec![0.0; k];
        for (j, spread) in sd.iter_mut().enumerate() {
            let v: Vec<f64> = profiles.values().filter_map(|p| p.predictors[j]).collect();
            if v.len() > 1 {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                *spread = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                    / (v.len() - 1) as f64)
                    .sqrt();
            }
        }
        SimilarIndex {
            profiles,
            sd,
            keep: rules.similar_schools,
        }
    }

    /// The schools with a profile.
    pub fn schools(&self) -> impl Iterator<Item = &'a SchoolId> + '_ {
        self.profiles.keys().copied()
    }

    /// The schools nearest to `target`; `None` when it has no row.
    pub fn query(&self, target: &SchoolId) -> Option<Vec<SimilarSchool>> {
        let me = self.profiles.get(target)?;
        let mut out: Vec<SimilarSchool> = self
            .profiles
            .iter()
            .filter(|(id, p)| {
                **id != target
                    && ((p.es && me.es) || (p.hs && me.hs))
                    && p.school_type == me.school_type
            })
            .filter_map(|(id, p)| {
                let mut d2 = 0.0;
                for (j, &spread) in self.sd.iter().enumerate() {
                    if spread == 0.0 {
                        continue;
                    }
                    match (me.predictors[j], p.predictors[j]) {
                        (Some(a), Some(b)) => d2 += ((a - b) / spread).powi(2),
                        (None, None) => {}
                        _ => return None,
                    }
                }
                Some(SimilarSchool {
                    rcdts: (*id).clone(),
                    distance: d2.sqrt(),
                    predictors: p.predictors.clone(),
                    performance: (p.perf.1 > 0.0).then(|| p.perf.0 / p.perf.1),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.rcdts.cmp(&b.rcdts))
        });
        out.truncate(self.keep);
        Some(out)
    }
}
/// How many schools have each predictor, per year: (year, schools in the
/// year, for each of the rules' predictors the schools with a value on at
/// least one of their rows).
pub fn predictor_coverage(rows: &[CellRow], rules: &HpRules) -> Vec<(u16, usize, Vec<usize>)> {
    let mut by_year: std::collections::BTreeMap<
        u16,
        std::collections::BTreeMap<&SchoolId, Vec<bool>>,
    > = Default::default();
    for r in rows {
        let has = by_year
            .entry(r.key.year)
            .or_default()
            .entry(&r.rcdts)
            .or_insert_with(|| vec![false; rules.predictors.len()]);
        for (h, v) in has.iter_mut().zip(&r.predictors) {
            *h |= v.is_some();
        }
    }
    by_year
        .into_iter()
        .map(|(year, schools)| {
            let counts = (0..rules.predictors.len())
                .map(|j| schools.values().filter(|h| h[j]).count())
                .collect();
            (year, schools.len(), counts)
        })
        .collect()
}

/// The predictors a school lacks, per year of its rows (only years where
/// it lacks one).
pub fn missing_predictors<'a>(
    rows: &[CellRow],
    rules: &'a HpRules,
    school: &SchoolId,
) -> Vec<(u16, Vec<&'a str>)> {
    let mut by_year: std::collections::BTreeMap<u16, Vec<bool>> = Default::default();
    for r in rows.iter().filter(|r| &r.rcdts == school) {
        let has = by_year
            .entry(r.key.year)
            .or_insert_with(|| vec![false; rules.predictors.len()]);
        for (h, v) in has.iter_mut().zip(&r.predictors) {
            *h |= v.is_some();
        }
    }
    by_year
        .into_iter()
        .filter_map(|(year, has)| {
            let missing: Vec<&str> = rules
                .predictors
                .iter()
                .zip(&has)
                .filter(|(_, h)| !**h)
                .map(|(p, _)| p.as_str())
                .collect();
            (!missing.is_empty()).then_some((year, missing))
        })
        .collect()
}

/// A warning when most of the neighbours lack most predictors: their
/// distance then rests on a few figures, and "similar" says little.
pub fn sparse_neighbours(list: &[SimilarSchool], predictors: &[String]) -> Option<String> {
    let p = predictors.len();
    if list.is_empty() || p == 0 {
        return None;
    }
    let sparse = list
        .iter()
        .filter(|s| 2 * s.predictors.iter().filter(|v| v.is_none()).count() > p)
        .count();
    (2 * sparse > list.len()).then(|| {
        format!(
            "{sparse} of the {} similar schools lack more than half of the {p} predictors ({}): their distance rests on a few figures",
            list.len(),
            predictors.join(", ")
        )
    })
}
