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
