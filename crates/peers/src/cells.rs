use crate::rules::HpRules;
use empower_model::{Grade, Rcdts};
use serde::Serialize;
use std::fmt;

/// Prior-performance group of a longitudinal middle or high school cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorGroup {
    /// Snapshot data and elementary schools: one group.
    All,
    /// Met the standard in the prior year.
    Met,
    NotMet,
}

impl PriorGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            PriorGroup::All => "all",
            PriorGroup::Met => "met",
            PriorGroup::NotMet => "not_met",
        }
    }

    pub fn parse(s: &str) -> Option<PriorGroup> {
        match s.trim() {
            "" | "all" => Some(PriorGroup::All),
            "met" => Some(PriorGroup::Met),
            "not_met" => Some(PriorGroup::NotMet),
            _ => None,
        }
    }
}

/// One (year, grade, subject, prior-performance group).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellKey {
    pub year: u16,
    pub grade: Grade,
    pub subject: String,
    pub group: PriorGroup,
}

/// One school's row of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellRow {
    /// Where the row came from (input line), for error messages.
    pub line: usize,
    pub rcdts: Rcdts,
    pub key: CellKey,
    pub n: Option<f64>,
    pub performance: Option<f64>,
    pub proficient_pct: Option<f64>,
    /// Values of the rules' predictors, in their order.
    pub predictors: Vec<Option<f64>>,
    pub ayp_met: Option<bool>,
    pub participation_pct: Option<f64>,
    pub school_type: Option<String>,
}

/// A rejected cells input: which row, school, year and column.
#[derive(Clone, Debug, PartialEq)]
pub struct CellsError {
    pub line: usize,
    pub rcdts: Rcdts,
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
    validate_indexed(rows, &crate::criteria::Index::new(rows), rules)
}

pub(crate) fn validate_indexed(
    rows: &[CellRow],
    index: &crate::criteria::Index,
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
    use crate::criteria::{order_code, order_row, order_school};
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
