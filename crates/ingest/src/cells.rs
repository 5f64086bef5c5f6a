//! The cells CSV of the higher-performing analysis: one row per school ×
//! year × grade × subject (× prior-performance group).

use crate::error::IngestError;
use crate::read::parse_number;
use empower_model::{Grade, Rcdts};
use empower_peers::{CellKey, CellRow, PriorGroup};
use std::io::Write;
use std::path::Path;

const REQUIRED: [&str; 6] = ["rcdts", "year", "grade", "subject", "n", "performance"];
const OPTIONAL: [&str; 5] = [
    "proficient_pct",
    "ayp_met",
    "participation_pct",
    "school_type",
    "group",
];

/// A cells file as read, with what a reader should be told.
#[derive(Clone, Debug)]
pub struct CellsFile {
    pub rows: Vec<CellRow>,
    /// Predictor columns the file does not have at all.
    pub absent_predictors: Vec<String>,
    /// Columns neither required, optional nor a predictor.
    pub unknown_columns: Vec<String>,
}

/// Reads a cells CSV. `predictors` are the rules' predictor columns. Every
/// value error names the file, row and column; nothing is returned then.
pub fn read_cells(path: &Path, predictors: &[String]) -> Result<CellsFile, IngestError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IngestError::file(path, format!("cannot read the header row: {e}")))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                h.trim_start_matches('\u{feff}').trim().to_string()
            } else {
                h.trim().to_string()
            }
        })
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(IngestError {
            row: Some(1),
            ..IngestError::file(
                path,
                format!("not a cells file: the header lacks {}", missing.join(", ")),
            )
        });
    }
    let pred_cols: Vec<Option<usize>> = predictors.iter().map(|p| col(p)).collect();
    let unknown_columns = headers
        .iter()
        .filter(|h| {
            !REQUIRED.contains(&h.as_str())
                && !OPTIONAL.contains(&h.as_str())
                && !predictors.contains(h)
        })
        .cloned()
        .collect();
    let absent_predictors = predictors
        .iter()
        .zip(&pred_cols)
        .filter(|(_, c)| c.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    let [rcdts, year, grade, subject, n, performance] = REQUIRED.map(|c| col(c).expect("checked"));
    let [proficient, ayp, participation, school_type, group] = OPTIONAL.map(col);
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| IngestError {
            row: Some(line),
            ..IngestError::file(path, format!("cannot read the row: {e}"))
        })?;
        let err = |c: usize, m: String| IngestError {
            row: Some(line),
            column: Some(headers[c].clone()),
            ..IngestError::file(path, m)
        };
        let cell = |c: usize| rec.get(c).unwrap_or("").trim();
        let number = |c: Option<usize>| -> Result<Option<f64>, IngestError> {
            match c.map(|c| (c, cell(c))) {
                None | Some((_, "")) => Ok(None),
                Some((c, v)) => parse_number(v)
                    .map(Some)
                    .ok_or_else(|| err(c, format!("`{v}` is not a number"))),
            }
        };
        let id = Rcdts::parse(cell(rcdts)).map_err(|e| err(rcdts, e.to_string()))?;
        let y: u16 = cell(year)
            .parse()
            .map_err(|_| err(year, format!("`{}` is not a year", cell(year))))?;
        let g: Grade = cell(grade).parse().map_err(|e: String| err(grade, e))?;
        let s = cell(subject);
        if s.is_empty() {
            return Err(err(subject, "the subject is empty".into()));
        }
        let grp = match group {
            Some(c) => PriorGroup::parse(cell(c)).ok_or_else(|| {
                err(
                    c,
                    format!("`{}` is not a group (all, met or not_met)", cell(c)),
                )
            })?,
            None => PriorGroup::All,
        };
        let ayp_met = match ayp.map(|c| (c, cell(c))) {
            None | Some((_, "")) => None,
            Some((_, "1")) => Some(true),
            Some((_, "0")) => Some(false),
            Some((c, v)) => return Err(err(c, format!("`{v}` is not 1, 0 or empty"))),
        };
        let mut preds = Vec::with_capacity(predictors.len());
        for c in &pred_cols {
            preds.push(number(*c)?);
        }
        rows.push(CellRow {
            line,
            rcdts: id,
            key: CellKey {
                year: y,
                grade: g,
                subject: s.to_string(),
                group: grp,
            },
            n: number(Some(n))?,
            performance: number(Some(performance))?,
            proficient_pct: number(proficient)?,
            predictors: preds,
            ayp_met,
            participation_pct: number(participation)?,
            school_type: school_type
                .map(|c| cell(c).to_string())
                .filter(|t| !t.is_empty()),
        });
    }
    Ok(CellsFile {
        rows,
        absent_predictors,
        unknown_columns,
    })
}

/// Writes cells in the column order the cells input expects.
pub fn write_cells_csv<W: Write>(
    rows: &[CellRow],
    predictors: &[String],
    out: W,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = vec![
        "rcdts",
        "year",
        "grade",
        "subject",
        "n",
        "performance",
        "proficient_pct",
    ];
    header.extend(predictors.iter().map(String::as_str));
    header.extend(["ayp_met", "participation_pct", "school_type", "group"]);
    w.write_record(&header)?;
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
        let mut rec: Vec<String> = vec![
            r.rcdts.to_string(),
            r.key.year.to_string(),
            r.key.grade.to_string(),
            r.key.subject.clone(),
            num(r.n),
            num(r.performance),
            num(r.proficient_pct),
        ];
        rec.extend(r.predictors.iter().map(|v| num(*v)));
        rec.push(match r.ayp_met {
            Some(true) => "1".into(),
            Some(false) => "0".into(),
            None => String::new(),
        });
        rec.push(num(r.participation_pct));
        rec.push(r.school_type.clone().unwrap_or_default());
        rec.push(r.key.group.as_str().to_string());
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}
