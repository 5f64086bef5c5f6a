//! The wide per-school-and-band table of a designation run: one row per
//! school and band with every figure behind it, for a spreadsheet
//! (`designate --format wide`, as CSV or `.xlsx`) and for any page that
//! shows the same.

use crate::DirectoryEntry;
use empower_accountability::{BandResult, Designations, IndicatorStatus};
use empower_model::SchoolId;
use empower_rules::AccountabilityRules;
use std::collections::BTreeMap;

/// One cell: a text (ids, names, codes) or a number already rounded to
/// what the data supports.
#[derive(Clone, Debug, PartialEq)]
pub enum WideCell {
    Empty,
    Text(String),
    Number(f64),
}

/// Columns and rows of the table. Each column says whether it holds text,
/// so that a spreadsheet keeps ids as text (leading zeros).
#[derive(Clone, Debug, PartialEq)]
pub struct WideTable {
    pub columns: Vec<WideColumn>,
    pub rows: Vec<Vec<WideCell>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WideColumn {
    pub name: String,
    /// What the column holds, in words (the spreadsheet's second sheet).
    pub description: String,
}

/// Decimals each kind of figure keeps: report cards publish rates and
/// means to one decimal; indices and points come from weighted sums and
/// keep two; counts of students are whole.
const VALUE_DP: i32 = 1;
const N_DP: i32 = 0;
const SCORE_DP: i32 = 1;
const POINTS_DP: i32 = 2;
const INDEX_DP: i32 = 2;
const PERCENTILE_DP: i32 = 1;
const WEIGHT_DP: i32 = 1;

fn rounded(x: Option<f64>, dp: i32) -> WideCell {
    match x {
        Some(v) if v.is_finite() => {
            let m = 10f64.powi(dp);
            // `+ 0.0` turns a rounded -0 into 0.
            WideCell::Number((v * m).round() / m + 0.0)
        }
        _ => WideCell::Empty,
    }
}

fn text(s: impl Into<String>) -> WideCell {
    let s = s.into();
    if s.is_empty() {
        WideCell::Empty
    } else {
        WideCell::Text(s)
    }
}

/// The table of a run: schools in RCDTS order, then band, as the run
/// lists them. `directory` gives district, city and county where the
/// files have them. `reportable` marks the row that stands for the
/// school when one value per school is counted (its official band's).
pub fn designations_wide(
    d: &Designations,
    rules: &AccountabilityRules,
    directory: &BTreeMap<SchoolId, DirectoryEntry>,
) -> WideTable {
    // Every indicator of any band, in the rules' order, with its label.
    let mut indicators: Vec<(&str, &str)> = Vec::new();
    for b in rules.bands.values() {
        for (name, ind) in &b.indicators {
            if !indicators.iter().any(|(n, _)| n == name) {
                indicators.push((name, &ind.label));
            }
        }
    }
    let groups = &rules.groups.eligible;
    let col = |name: String, description: String| WideColumn { name, description };
    let mut columns = vec![
        col("rcdts".into(), "the school's id (text: keep its leading zeros)".into()),
        col("school_name".into(), "the school's name".into()),
        col("district".into(), "the district's name".into()),
        col("city".into(), "the school's city".into()),
        col("county".into(), "the school's county".into()),
        col("band".into(), "grade band (ES, HS; blank: no band the rules rate)".into()),
        col(
            "reportable".into(),
            "1 on the row that stands for the school when schools are counted once (its official band's row), 0 on its other row".into(),
        ),
        col("designation".into(), "designation under these rules".into()),
        col("official_designation".into(), "designation the files publish".into()),
        col("reasons".into(), "reason codes, in the output contract's words".into()),
        col("title1".into(), "1 if a Title I school".into()),
        col("index".into(), "all students' index (0-100)".into()),
        col(
            "percentile".into(),
            "share of the band's schools with an index at or below this one (0-100)".into(),
        ),
        col(
            "weight_present".into(),
            "sum of the weights of the indicators the index used (of 100)".into(),
        ),
        col(
            "to_comprehensive_cut".into(),
            "index minus the band's Comprehensive cut (at or below 0: at or under the cut)".into(),
        ),
        col(
            "to_targeted_cut".into(),
            "index minus the band's Targeted cut (the cut groups are held to)".into(),
        ),
        col(
            "to_top_cut".into(),
            "index minus the band's top-10% cut (at or above 0: in the top 10%)".into(),
        ),
    ];
    for (name, label) in &indicators {
        columns.push(col(format!("{name}_value"), format!("{label}: the value")));
        columns.push(col(
            format!("{name}_n"),
            format!("{label}: students behind the value"),
        ));
        columns.push(col(
            format!("{name}_score"),
            format!("{label}: score (0-100)"),
        ));
        columns.push(col(
            format!("{name}_points"),
            format!("{label}: points (score × weight / 100)"),
        ));
    }
    for g in groups {
        let (slug, label) = (g.slug(), g.label());
        columns.push(col(
            format!("{slug}_index"),
            format!("{label}: the group's index"),
        ));
        columns.push(col(
            format!("{slug}_qualifies"),
            format!("{label}: 1 if the group counts for the Targeted designation"),
        ));
        columns.push(col(
            format!("{slug}_to_targeted_cut"),
            format!("{label}: group index minus the Targeted cut"),
        ));
    }

    let reportable: std::collections::HashSet<*const BandResult> = d
        .representative_rows(rules)
        .into_iter()
        .map(|r| r as *const BandResult)
        .collect();
    let rows = d
        .rows
        .iter()
        .map(|r| {
            let entry = directory.get(&r.rcdts);
            let cuts = r.band.and_then(|b| d.cuts.get(&b));
            let to = |cut: Option<f64>, index: Option<f64>| match (cut, index) {
                (Some(c), Some(i)) => rounded(Some(i - c), INDEX_DP),
                _ => WideCell::Empty,
            };
            let weight_present: f64 = r
                .indicators
                .iter()
                .filter(|i| i.status == IndicatorStatus::Used)
                .map(|i| i.weight)
                .sum();
            let mut row = vec![
                WideCell::Text(r.rcdts.to_string()),
                text(r.school_name.clone()),
                text(entry.map(|e| e.district_name.clone()).unwrap_or_default()),
                text(entry.map(|e| e.city.clone()).unwrap_or_default()),
                text(entry.map(|e| e.county.clone()).unwrap_or_default()),
                text(r.band.map(|b| b.to_string()).unwrap_or_default()),
                WideCell::Number(if reportable.contains(&(r as *const BandResult)) {
                    1.0
                } else {
                    0.0
                }),
                text(r.designation.map(|x| x.to_string()).unwrap_or_default()),
                text(
                    r.official_designation
                        .map(|x| x.to_string())
                        .unwrap_or_default(),
                ),
                text(r.reasons_code()),
                WideCell::Number(if r.title1 { 1.0 } else { 0.0 }),
                rounded(r.index, INDEX_DP),
                rounded(
                    r.index.zip(cuts).map(|(i, c)| c.percentile(i)),
                    PERCENTILE_DP,
                ),
                if r.index.is_some() {
                    rounded(Some(weight_present), WEIGHT_DP)
                } else {
                    WideCell::Empty
                },
                to(cuts.and_then(|c| c.comprehensive), r.index),
                to(cuts.and_then(|c| c.targeted), r.index),
                to(cuts.and_then(|c| c.top), r.index),
            ];
            for (name, _) in &indicators {
                match r.indicators.iter().find(|i| &*i.name == *name) {
                    Some(i) => {
                        row.push(rounded(i.value, VALUE_DP));
                        row.push(rounded(i.n, N_DP));
                        row.push(rounded(i.score, SCORE_DP));
                        row.push(rounded(i.points, POINTS_DP));
                    }
                    None => row.extend(std::iter::repeat_n(WideCell::Empty, 4)),
                }
            }
            for g in groups {
                match r.groups.iter().find(|x| x.group == *g) {
                    Some(x) => {
                        row.push(rounded(x.index, INDEX_DP));
                        row.push(WideCell::Number(if x.qualifies { 1.0 } else { 0.0 }));
                        row.push(if x.qualifies {
                            to(cuts.and_then(|c| c.targeted), x.index)
                        } else {
                            WideCell::Empty
                        });
                    }
                    None => row.extend(std::iter::repeat_n(WideCell::Empty, 3)),
                }
            }
            row
        })
        .collect();
    WideTable { columns, rows }
}

impl WideCell {
    /// As a CSV field: numbers in their shortest form (45.3, not 45.30).
    pub fn csv(&self) -> String {
        match self {
            WideCell::Empty => String::new(),
            WideCell::Text(s) => s.clone(),
            WideCell::Number(x) => x.to_string(),
        }
    }
}
