//! The cells CSV of the higher-performing analysis: one row per school ×
//! year × grade × subject (× prior-performance group).

use crate::error::IngestError;
use crate::read::parse_number;
use crate::sniff::{not_csv_message, sniff_text};
use empower_model::vocab::{not_one_of, shown};
use empower_model::{CellKey, CellRow, PriorGroup};
use empower_model::{Grade, SchoolId, Subject};
use indexmap::IndexMap;
use std::io::Write;
use std::path::Path;

const REQUIRED: [&str; 6] = ["rcdts", "year", "grade", "subject", "n", "performance"];
/// Where a school is, for the people reading a list of schools: written
/// after every other column of a cells file, and passed over when one is
/// read.
pub const PLACE_COLUMNS: [&str; 4] = ["school_name", "district", "city", "county"];
const OPTIONAL: [&str; 6] = [
    "proficient_pct",
    "ayp_met",
    "participation_pct",
    "school_type",
    "group",
    "assessment",
];

/// The longest assessment name a cells file may give.
const MAX_ASSESSMENT_LEN: usize = 40;

/// A cells file as read, with what a reader should be told.
#[derive(Clone, Debug)]
pub struct CellsFile {
    pub rows: Vec<CellRow>,
    /// Predictor columns the file does not have at all.
    pub absent_predictors: Vec<String>,
    /// Columns neither required, optional nor a predictor.
    pub unknown_columns: Vec<String>,
}

/// What a cells file may hold, from the higher-performing rules: the
/// predictor columns, the range of each numeric column, the years.
#[derive(Clone, Debug)]
pub struct CellChecks {
    /// How the state writes school ids.
    pub ids: empower_model::IdFormat,
    pub predictors: Vec<String>,
    pub ranges: IndexMap<String, [f64; 2]>,
    pub years: [u16; 2],
}

impl CellChecks {
    fn range(&self, column: &str) -> Option<[f64; 2]> {
        self.ranges.get(column).copied()
    }
}

/// Reads a cells CSV with the rules' predictor columns, checking every
/// number against the range the rules declare for its column. Every value
/// error names the file, row and column; nothing is returned then.
pub fn read_cells(path: &Path, rules: &CellChecks) -> Result<CellsFile, IngestError> {
    let bytes =
        std::fs::read(path).map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
    read_cells_from(path, &bytes, rules)
}

/// [`read_cells`] over bytes in memory; `path` names them in messages.
pub fn read_cells_from(
    path: &Path,
    bytes: &[u8],
    rules: &CellChecks,
) -> Result<CellsFile, IngestError> {
    let predictors = &rules.predictors;
    if let Some(m) = not_csv_message(bytes) {
        return Err(IngestError::file(path, m));
    }
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IngestError {
            row: Some(1),
            ..IngestError::file(path, format!("cannot read the header row: {e}"))
        })?
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
        let message = sniff_text(first_line).unwrap_or_else(|| {
            format!("not a cells file: the header lacks {}", missing.join(", "))
        });
        return Err(IngestError {
            row: Some(1),
            ..IngestError::file(path, message)
        });
    }
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(IngestError {
                row: Some(1),
                column: Some(h.clone()),
                ..IngestError::file(
                    path,
                    "the header names this column twice; which one holds the data is unclear",
                )
            });
        }
    }
    let pred_cols: Vec<Option<usize>> = predictors.iter().map(|p| col(p)).collect();
    let unknown_columns = headers
        .iter()
        .filter(|h| {
            !REQUIRED.contains(&h.as_str())
                && !OPTIONAL.contains(&h.as_str())
                && !PLACE_COLUMNS.contains(&h.as_str())
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
    let [proficient, ayp, participation, school_type, group, assessment] = OPTIONAL.map(col);
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| IngestError {
            row: Some(line),
            ..IngestError::file(path, format!("cannot read the row: {e}"))
        })?;
        if let Some(c) = rec.iter().position(|f| f.contains(['\n', '\r'])) {
            return Err(IngestError {
                row: Some(line),
                column: headers.get(c).cloned(),
                ..IngestError::file(
                    path,
                    "a value here runs over several lines: a quote is not closed, or the file is truncated",
                )
            });
        }
        let err = |c: usize, m: String| IngestError {
            row: Some(line),
            column: Some(headers[c].clone()),
            ..IngestError::file(path, m)
        };
        let cell = |c: usize| rec.get(c).unwrap_or("").trim();
        // A number of a column, inside the range the rules declare for it.
        let number = |c: Option<usize>| -> Result<Option<f64>, IngestError> {
            match c.map(|c| (c, cell(c))) {
                None | Some((_, "")) => Ok(None),
                Some((c, v)) => {
                    let x = parse_number(v)
                        .ok_or_else(|| err(c, format!("`{}` is not a number", shown(v))))?;
                    match rules.range(&headers[c]) {
                        Some([lo, hi]) if x < lo || x > hi => Err(err(
                            c,
                            format!(
                                "`{}` is outside the range of {}, {lo} to {hi} (rules `ranges`)",
                                shown(v),
                                headers[c]
                            ),
                        )),
                        _ => Ok(Some(x)),
                    }
                }
            }
        };
        let id = rules
            .ids
            .parse(cell(rcdts))
            .map_err(|e| err(rcdts, e.to_string()))?;
        let [ylo, yhi] = rules.years;
        let y: u16 = cell(year)
            .parse()
            .ok()
            .filter(|y| (ylo..=yhi).contains(y))
            .ok_or_else(|| {
                err(
                    year,
                    format!("`{}` is not a year from {ylo} to {yhi}", shown(cell(year))),
                )
            })?;
        let g: Grade = cell(grade).parse().map_err(|e: String| err(grade, e))?;
        let s = cell(subject);
        if Subject::parse_bytes(s.as_bytes()).is_none() {
            return Err(err(
                subject,
                not_one_of("a subject", s, ["ela", "math", "science"]),
            ));
        }
        let grp = match group {
            Some(c) => PriorGroup::parse(cell(c))
                .ok_or_else(|| err(c, not_one_of("a group", cell(c), ["all", "met", "not_met"])))?,
            None => PriorGroup::All,
        };
        let assessment = match assessment.map(|c| (c, cell(c))) {
            None | Some((_, "")) => None,
            Some((c, a)) => {
                if a.len() > MAX_ASSESSMENT_LEN
                    || !a
                        .chars()
                        .all(|ch| ch.is_alphanumeric() || " -_.".contains(ch))
                {
                    return Err(err(
                        c,
                        format!(
                            "`{}` is not an assessment name (letters, digits, spaces, `-`, `_` or `.`, at most {MAX_ASSESSMENT_LEN} characters)",
                            shown(a)
                        ),
                    ));
                }
                Some(a.to_string())
            }
        };
        let ayp_met = match ayp.map(|c| (c, cell(c))) {
            None | Some((_, "")) => None,
            Some((_, "1")) => Some(true),
            Some((_, "0")) => Some(false),
            Some((c, v)) => return Err(err(c, format!("`{}` is not 1, 0 or empty", shown(v)))),
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
                assessment,
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
    if rows.is_empty() {
        return Err(IngestError {
            row: Some(2),
            ..IngestError::file(path, "the file has a header row but no cells")
        });
    }
    Ok(CellsFile {
        rows,
        absent_predictors,
        unknown_columns,
    })
}

/// Writes cells in the column order the cells input expects; the
/// `assessment` column only when a cell names one; last, where each school
/// is (`place`: [`PLACE_COLUMNS`], empty where unknown).
pub fn write_cells_csv<W: Write>(
    rows: &[CellRow],
    predictors: &[String],
    place: &dyn Fn(&SchoolId) -> [String; 4],
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
    let assessments = rows.iter().any(|r| r.key.assessment.is_some());
    if assessments {
        header.push("assessment");
    }
    header.extend(PLACE_COLUMNS);
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
        if assessments {
            rec.push(r.key.assessment.clone().unwrap_or_default());
        }
        rec.extend(place(&r.rcdts));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}
