//! Checks the model makes of its input before it runs: every number
//! finite and inside the range the rules declare, one row per school and
//! cell, one set of demographics per school and year.

use crate::index::{order_code, order_row, order_school, Index};
use crate::rules::HpRules;
use empower_model::{CellRow, PriorGroup, SchoolId};
use std::fmt;

/// A rejected cells input: which row, school, year and column.
#[derive(Clone, Debug, PartialEq)]
pub struct CellsError {
    pub line: usize,
    pub rcdts: SchoolId,
    pub year: u16,
    pub column: String,
    pub message: String,
}

impl fmt::Display for CellsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, school {}, year {}, column `{}`: {}",
            self.line, self.rcdts, self.year, self.column, self.message
        )
    }
}

impl std::error::Error for CellsError {}

/// Rejects inputs the model cannot take: a repeated (school, year, grade,
/// subject, group), a number that is not finite or lies outside the range
/// the rules declare for its column, demographics that differ between a
/// school's rows of one year.
pub fn validate(rows: &[CellRow], rules: &HpRules) -> Result<(), CellsError> {
    validate_indexed(rows, &Index::new(rows), rules)
}

pub(crate) fn validate_indexed(
    rows: &[CellRow],
    index: &Index,
    rules: &HpRules,
) -> Result<(), CellsError> {
    let err = |r: &CellRow, column: &str, message: String| CellsError {
        line: r.line,
        rcdts: r.rcdts.clone(),
        year: r.key.year,
        column: column.to_string(),
        message,
    };
    let check = |r: &CellRow, column: &str, v: Option<f64>| -> Result<(), CellsError> {
        let Some(v) = v else { return Ok(()) };
        if !v.is_finite() {
            return Err(err(r, column, format!("{v} is not a finite number")));
        }
        match rules.range(column) {
            Some([lo, hi]) if v < lo || v > hi => Err(err(
                r,
                column,
                format!("{v} is outside the range of {column}, {lo} to {hi} (rules `ranges`)"),
            )),
            _ => Ok(()),
        }
    };
    // The model packs an assessment in four bits.
    let mut assessments: Vec<&str> = Vec::new();
    for r in rows {
        if let Some(a) = r.key.assessment.as_deref() {
            if !assessments.contains(&a) {
                if assessments.len() == 15 {
                    return Err(err(
                        r,
                        "assessment",
                        format!("`{a}` is a 16th assessment; the model takes at most 15"),
                    ));
                }
                assessments.push(a);
            }
        }
    }
    for r in rows {
        for (name, v) in rules.predictors.iter().zip(&r.predictors) {
            check(r, name, *v)?;
        }
        check(r, "n", r.n)?;
        check(r, "performance", r.performance)?;
        check(r, "proficient_pct", r.proficient_pct)?;
        check(r, "participation_pct", r.participation_pct)?;
    }
    // The index's order puts a school's rows of one subject together in
    // cell order: repeats are neighbours, the earlier row first.
    let sorted = &index.order;
    let mut repeats: Vec<(usize, usize)> = sorted
        .windows(2)
        .filter(|w| {
            order_school(w[0]) == order_school(w[1]) && order_code(w[0]) == order_code(w[1])
        })
        .map(|w| (order_row(w[1]), order_row(w[0])))
        .collect();
    repeats.sort_unstable();
    if let Some(&(second, first)) = repeats.first() {
        let r = &rows[second];
        return Err(err(
            r,
            "rcdts",
            format!(
                "a second row for grade {}, subject {}{} (first at row {})",
                r.key.grade,
                r.key.subject,
                if r.key.group == PriorGroup::All {
                    String::new()
                } else {
                    format!(", group {}", r.key.group.as_str())
                },
                rows[first].line
            ),
        ));
    }
    // Demographics: every row of a school-year equals the school-year's
    // earliest row. A school's rows are contiguous in the order.
    let mut conflicts: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let s = order_school(sorted[start]);
        let end = start + sorted[start..].partition_point(|&k| order_school(k) == s);
        let mut earliest: Vec<(u16, usize)> = Vec::new();
        for &k in &sorted[start..end] {
            let (y, i) = (rows[order_row(k)].key.year, order_row(k));
            match earliest.iter_mut().find(|(yy, _)| *yy == y) {
                Some(e) => e.1 = e.1.min(i),
                None => earliest.push((y, i)),
            }
        }
        for &k in &sorted[start..end] {
            let i = order_row(k);
            let first = earliest
                .iter()
                .find(|(y, _)| *y == rows[i].key.year)
                .expect("collected")
                .1;
            if let Some(j) = (0..rules.predictors.len())
                .find(|&j| rows[i].predictors[j] != rows[first].predictors[j])
            {
                conflicts.push((i, first, j));
            }
        }
        start = end;
    }
    conflicts.sort_unstable();
    if let Some(&(i, first, j)) = conflicts.first() {
        return Err(err(
            &rows[i],
            &rules.predictors[j],
            format!(
                "school-wide demographics differ between rows of one year: {} here, {} at row {}",
                show(rows[i].predictors[j]),
                show(rows[first].predictors[j]),
                rows[first].line
            ),
        ));
    }
    Ok(())
}

fn show(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "empty".into())
}
