//! Agreement of computed designations with the published ones.

use crate::designate::Designations;
use empower_model::{Band, Designation, SchoolId};
use empower_rules::AccountabilityRules;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub compared: usize,
    pub agreed: usize,
}

impl Tally {
    pub fn rate(&self) -> f64 {
        if self.compared == 0 {
            0.0
        } else {
            self.agreed as f64 / self.compared as f64
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub rcdts: SchoolId,
    pub school_name: String,
    pub band: Option<Band>,
    pub official: Designation,
    pub computed: Option<Designation>,
    pub index: Option<f64>,
    pub reasons: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fidelity {
    pub overall: Tally,
    /// Keyed by the band of the row compared (`ES`, `HS`, or `none`).
    pub per_band: IndexMap<String, Tally>,
    /// `matrix[official][computed]`, computed index 5 = no designation.
    pub matrix: [[usize; 6]; 5],
    pub disagreements: Vec<Disagreement>,
}

/// Compares each school's published designation (where present) with the
/// computed designation of its representative row.
pub fn fidelity(d: &Designations, rules: &AccountabilityRules) -> Fidelity {
    let mut f = Fidelity {
        overall: Tally::default(),
        per_band: IndexMap::new(),
        matrix: [[0; 6]; 5],
        disagreements: Vec::new(),
    };
    for &b in rules.bands.keys() {
        f.per_band.insert(b.to_string(), Tally::default());
    }
    for row in d.representative_rows(rules) {
        let Some(official) = row.official_designation else {
            continue;
        };
        let key = row
            .band
            .map(|b| b.to_string())
            .unwrap_or_else(|| "none".into());
        let agreed = row.designation == Some(official);
        for t in [&mut f.overall, f.per_band.entry(key).or_default()] {
            t.compared += 1;
            t.agreed += usize::from(agreed);
        }
        let col = row.designation.map(Designation::rank).unwrap_or(5);
        f.matrix[official.rank()][col] += 1;
        if !agreed {
            f.disagreements.push(Disagreement {
                rcdts: row.rcdts.clone(),
                school_name: row.school_name.clone(),
                band: row.band,
                official,
                computed: row.designation,
                index: row.index,
                reasons: row.reasons_code(),
            });
        }
    }
    f
}
