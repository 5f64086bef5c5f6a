//! Tries alternative scoring choices (a grid of rules overrides) and reports
//! how well each combination agrees with the published designations.
//! Only schools whose official designation is present are compared; no
//! choice can name a school, only rules.

use crate::designate::{designate_reading, Detail};
use crate::fidelity::{fidelity, Tally};
use crate::index::ReadingBook;
use crate::input::SchoolData;
use empower_rules::{apply_overrides, AccountabilityRules};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridChoice {
    pub label: String,
    /// Dotted rules path → value, e.g.
    /// `"bands.ES.indicators.ela_growth.scoring" = { function = "linear", zero_at = 28, full_at = 73 }`.
    #[serde(default)]
    pub set: IndexMap<String, toml::Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridDimension {
    pub name: String,
    pub choice: Vec<GridChoice>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationGrid {
    #[serde(default)]
    pub description: String,
    pub dimension: Vec<GridDimension>,
}

impl CalibrationGrid {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let g: CalibrationGrid = toml::from_str(text).map_err(|e| e.to_string())?;
        if g.dimension.iter().any(|d| d.choice.is_empty()) {
            return Err("every dimension needs at least one choice".into());
        }
        Ok(g)
    }

    pub fn combinations(&self) -> usize {
        self.dimension.iter().map(|d| d.choice.len()).product()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationResult {
    /// The label chosen in each dimension, in grid order.
    pub choices: Vec<String>,
    pub overall: Tally,
    pub per_band: IndexMap<String, Tally>,
}

/// Runs every combination of the grid over `base` (a parsed rules file) and
/// returns the results best first (ties keep grid order). `progress` is
/// called after each combination with (done, total).
pub fn calibrate(
    base: &toml::Value,
    grid: &CalibrationGrid,
    catalogue: &empower_model::MeasureCatalogue,
    schools: &[SchoolData],
    year: u16,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<CalibrationResult>, String> {
    let total = grid.combinations();
    // Build (and so validate) every combination's rules before running any.
    let mut combos: Vec<(Vec<String>, AccountabilityRules)> = Vec::with_capacity(total);
    for k in 0..total {
        let mut rest = k;
        let mut doc = base.clone();
        let mut labels = Vec::new();
        for dim in grid.dimension.iter().rev() {
            let c = &dim.choice[rest % dim.choice.len()];
            rest /= dim.choice.len();
            apply_overrides(&mut doc, c.set.iter().map(|(p, v)| (p.as_str(), v)))
                .map_err(|e| format!("dimension `{}`, choice `{}`: {e}", dim.name, c.label))?;
            labels.push(c.label.clone());
        }
        labels.reverse();
        let rules = AccountabilityRules::from_value(doc, "calibration grid")
            .map_err(|e| format!("combination {}: {e}", labels.join(" / ")))?;
        // A misspelled measure in a choice would read as "no data".
        rules
            .check_measures(catalogue)
            .map_err(|e| format!("combination {}: {e}", labels.join(" / ")))?;
        combos.push((labels, rules));
    }
    // What the combinations' indicators read, read once: most differ
    // only in how they score it.
    let mut book = ReadingBook::default();
    for (_, rules) in &combos {
        book.add(schools, rules);
    }
    let book = &book;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let threads = threads.max(1);
    let mut results: Vec<(usize, CalibrationResult)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let combos = &combos;
                let done = &done;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (k, (labels, rules)) in combos.iter().enumerate().skip(t).step_by(threads) {
                        // Fidelity reads designations only: no group's indicators.
                        let d = designate_reading(
                            schools,
                            rules,
                            year,
                            Detail::Schools(&[]),
                            Some(book),
                            1,
                        );
                        let f = fidelity(&d, rules);
                        out.push((
                            k,
                            CalibrationResult {
                                choices: labels.clone(),
                                overall: f.overall,
                                per_band: f.per_band,
                            },
                        ));
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(n, total);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("calibration worker panicked"))
            .collect()
    });
    results.sort_by(|a, b| {
        b.1.overall
            .agreed
            .cmp(&a.1.overall.agreed)
            .then(a.0.cmp(&b.0))
    });
    Ok(results.into_iter().map(|(_, r)| r).collect())
}
