use crate::canonical::{is_canonical_header, read_canonical_row};
use crate::error::IngestError;
use crate::layout::{ColumnSpec, Layout, SheetSpec};
use empower_model::{Level, Rcdts, Record, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A non-fatal finding: an unknown or missing column, a skipped sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet `{s}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which sheet of which file was read with which layout.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetRead {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub layout: String,
    pub sheet_name: String,
    pub rows: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Import {
    pub records: Vec<Record>,
    pub warnings: Vec<Warning>,
    pub sheets: Vec<SheetRead>,
    /// Notes of the layouts used (e.g. a proxy year).
    pub notes: Vec<String>,
}

/// Progress of a long import, reported in bytes (CSV) or rows (workbooks).
pub trait Progress: Sync {
    fn start(&self, _file: &Path, _total: u64) {}
    fn advance(&self, _done: u64) {}
    fn finish(&self) {}
}

impl Progress for () {}

/// Imports report-card files (CSV sheets or `.xlsx` workbooks) with the
/// given layouts. `year` is the report-card year being imported: rows of
/// sheets without a year column take it, and only layouts valid for it are
/// used. Either every file imports or an error is returned.
pub fn import_files(
    paths: &[PathBuf],
    layouts: &[Layout],
    year: Option<u16>,
    progress: &dyn Progress,
) -> Result<Import, IngestError> {
    let mut run = ImportRun {
        layouts,
        year,
        progress,
        import: Import::default(),
        seen_text: HashSet::new(),
    };
    for path in paths {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods") {
            run.read_workbook(path)?;
        } else {
            run.read_csv(path)?;
        }
    }
    Ok(run.import)
}

/// State of one import: the layouts and year asked for, and what has been
/// read so far (text identity fields are kept once per school and year even
/// when several sheets repeat them).
struct ImportRun<'a> {
    layouts: &'a [Layout],
    year: Option<u16>,
    progress: &'a dyn Progress,
    import: Import,
    seen_text: HashSet<(Option<Rcdts>, u16, String)>,
}

impl ImportRun<'_> {
    fn read_csv(&mut self, path: &Path) -> Result<(), IngestError> {
        let progress = self.progress;
        let file = std::fs::File::open(path)
            .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if i == 0 {
                    h.trim_start_matches('\u{feff}').to_string()
                } else {
                    h.to_string()
                }
            })
            .collect();
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(IngestError::file(
                path,
                "the file is empty or has no header row",
            ));
        }
        progress.start(path, total);
        // Rows are counted as a spreadsheet shows them: the header is row 1.
        let mut rows = rdr.records().enumerate().map(|(i, r)| {
            if i % 512 == 0 {
                progress.advance(
                    r.as_ref()
                        .ok()
                        .and_then(|r| r.position())
                        .map(|p| p.byte())
                        .unwrap_or(0),
                );
            }
            match r {
                Ok(rec) => Ok((i + 2, rec)),
                Err(e) => Err(IngestError {
                    row: Some(i + 2),
                    ..csv_error(path, e)
                }),
            }
        });
        let result = self.read_table(path, None, &headers, &mut rows);
        progress.finish();
        match result {
            Ok(()) => Ok(()),
            Err(TableError::NoLayout) => Err(no_layout_error(path, None, &headers, self.layouts)),
            Err(TableError::Wrong(e)) => Err(e),
        }
    }

    fn read_workbook(&mut self, path: &Path) -> Result<(), IngestError> {
        let progress = self.progress;
        use calamine::{open_workbook_auto, Data, Reader};
        let mut wb = open_workbook_auto(path)
            .map_err(|e| IngestError::file(path, format!("not a readable workbook: {e}")))?;
        let names = wb.sheet_names().to_vec();
        let mut used = 0;
        for name in names {
            let range = wb.worksheet_range(&name).map_err(|e| IngestError {
                sheet: Some(name.clone()),
                ..IngestError::file(path, format!("cannot read the sheet: {e}"))
            })?;
            let mut it = range.rows();
            let Some(header_row) = it.next() else {
                continue;
            };
            let cell = |d: &Data| -> String {
                match d {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => format!("{}", d.as_f64()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(_) => String::new(),
                }
            };
            let headers: Vec<String> = header_row.iter().map(cell).collect();
            let total = range.height() as u64;
            progress.start(path, total);
            let mut rows = it.enumerate().map(|(i, r)| {
                if i % 512 == 0 {
                    progress.advance(i as u64);
                }
                Ok((i + 2, r.iter().map(cell).collect::<csv::StringRecord>()))
            });
            let result = self.read_table(path, Some(&name), &headers, &mut rows);
            progress.finish();
            match result {
                Ok(()) => used += 1,
                // Workbooks carry sheets no layout needs (Finance, Discipline...).
                Err(TableError::NoLayout) => self.import.warnings.push(Warning {
                    file: path.to_path_buf(),
                    sheet: Some(name.clone()),
                    message: "skipped: no column map recognises its headers".into(),
                }),
                Err(TableError::Wrong(e)) => return Err(e),
            }
        }
        if used == 0 {
            return Err(IngestError::file(
                path,
                "no sheet of this workbook matches a known report-card layout",
            ));
        }
        Ok(())
    }
}

enum TableError {
    NoLayout,
    Wrong(IngestError),
}

impl From<IngestError> for TableError {
    fn from(e: IngestError) -> Self {
        TableError::Wrong(e)
    }
}

fn csv_error(path: &Path, e: csv::Error) -> IngestError {
    let row = e.position().map(|p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
            "this row has {len} fields but the header has {expected_len}; the file may be truncated or a value may contain an unquoted comma"
        ),
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8; save the file as UTF-8 CSV".to_string(),
        _ => format!("cannot read as CSV: {e}"),
    };
    IngestError {
        row,
        ..IngestError::file(path, message)
    }
}

fn no_layout_error(
    path: &Path,
    sheet: Option<&str>,
    headers: &[String],
    layouts: &[Layout],
) -> IngestError {
    let first: Vec<&str> = headers.iter().take(6).map(String::as_str).collect();
    let known: Vec<String> = layouts
        .iter()
        .flat_map(|l| {
            l.sheet
                .iter()
                .map(move |s| format!("{} `{}`", l.name, s.name))
        })
        .collect();
    IngestError {
        sheet: sheet.map(str::to_string),
        row: Some(1),
        ..IngestError::file(
            path,
            format!(
                "the header row matches no known layout (it starts {:?}); known sheets: {}",
                first,
                known.join("; ")
            ),
        )
    }
}

type Rows<'a> = dyn Iterator<Item = Result<(usize, csv::StringRecord), IngestError>> + 'a;

struct Resolved<'a> {
    spec: &'a ColumnSpec,
    index: usize,
    n_index: Option<usize>,
}

fn find(headers: &[String], header: &str, occurrence: usize) -> Option<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.as_str() == header)
        .nth(occurrence - 1)
        .map(|(i, _)| i)
}

impl ImportRun<'_> {
    fn read_table(
        &mut self,
        path: &Path,
        sheet: Option<&str>,
        headers: &[String],
        rows: &mut Rows,
    ) -> Result<(), TableError> {
        let (layouts, year) = (self.layouts, self.year);
        let import = &mut self.import;
        let seen_text = &mut self.seen_text;
        let err = |row: Option<usize>, column: Option<&str>, message: String| IngestError {
            file: path.to_path_buf(),
            sheet: sheet.map(str::to_string),
            row,
            column: column.map(str::to_string),
            message,
        };
        if is_canonical_header(headers) {
            let mut n = 0;
            for r in rows {
                let (line, cells) = r?;
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                import.records.push(
                    read_canonical_row(&cells).map_err(|(col, m)| err(Some(line), Some(col), m))?,
                );
                n += 1;
            }
            import.sheets.push(SheetRead {
                file: path.to_path_buf(),
                sheet: sheet.map(str::to_string),
                layout: "canonical long format".into(),
                sheet_name: "canonical".into(),
                rows: n,
            });
            return Ok(());
        }

        let matching: Vec<(&Layout, &SheetSpec)> = layouts
            .iter()
            .flat_map(|l| l.sheet.iter().map(move |s| (l, s)))
            .filter(|(_, s)| s.matches(headers))
            .collect();
        if matching.is_empty() {
            return Err(TableError::NoLayout);
        }
        let fits = |l: &Layout, s: &SheetSpec| {
            s.year_column.is_some() || year.is_none_or(|y| l.valid_for(y))
        };
        let Some(&(layout, spec)) = matching
            .iter()
            .filter(|(l, s)| fits(l, s))
            .max_by_key(|(_, s)| s.signature.len())
        else {
            let (l, s) = matching[0];
            return Err(err(
            Some(1),
            None,
            format!(
                "this is the `{}` sheet of the {} (years {}), which does not fit report-card year {}",
                s.name,
                l.name,
                l.years(),
                year.map(|y| y.to_string()).unwrap_or_default()
            ),
        )
        .into());
        };
        let fixed_year = match (&spec.year_column, year) {
            (Some(_), _) => None,
            (None, Some(y)) => Some(y),
            (None, None) => match (layout.first_year, layout.last_year) {
                (Some(f), Some(l)) if f == l => Some(f),
                _ => {
                    return Err(err(
                        None,
                        None,
                        format!(
                            "the {} covers {}: say which report-card year this file is with --year",
                            layout.name,
                            layout.years()
                        ),
                    )
                    .into())
                }
            },
        };
        if let Some(n) = &layout.note {
            if !import.notes.contains(n) {
                import.notes.push(n.clone());
            }
        }

        let col = |h: &str| find(headers, h, 1);
        let id_index = col(&spec.id)
            .ok_or_else(|| err(Some(1), Some(&spec.id), "the id column is missing".into()))?;
        let level_index = match spec.level.iter().find_map(|h| col(h)) {
            Some(i) => Some(i),
            None if spec.level.is_empty() => None,
            None => {
                return Err(err(
                    Some(1),
                    None,
                    format!(
                        "no level column (one of {}) to tell schools from districts",
                        quote_list(&spec.level.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                )
                .into())
            }
        };
        let year_index = match &spec.year_column {
            Some(h) => Some(
                col(h).ok_or_else(|| err(Some(1), Some(h), "the year column is missing".into()))?,
            ),
            None => None,
        };
        let mut resolved = Vec::with_capacity(spec.columns.len());
        let mut missing = Vec::new();
        for c in &spec.columns {
            match find(headers, &c.header, c.occurrence) {
                Some(index) => resolved.push(Resolved {
                    spec: c,
                    index,
                    n_index: c.n_header.as_deref().and_then(|h| find(headers, h, 1)),
                }),
                None => missing.push(if c.occurrence > 1 {
                    format!("{} (#{})", c.header, c.occurrence)
                } else {
                    c.header.clone()
                }),
            }
        }
        let mut known: HashSet<&str> = spec.columns.iter().map(|c| c.header.as_str()).collect();
        known.extend(spec.ignore.iter().map(String::as_str));
        known.insert(spec.id.as_str());
        known.extend(spec.level.iter().map(String::as_str));
        known.extend(spec.year_column.iter().map(String::as_str));
        let unknown: Vec<&str> = headers
            .iter()
            .map(String::as_str)
            .filter(|h| !h.trim().is_empty() && !known.contains(h))
            .collect();
        let warn = |import: &mut Import, message: String| {
            import.warnings.push(Warning {
                file: path.to_path_buf(),
                sheet: sheet.map(str::to_string),
                message,
            })
        };
        if !unknown.is_empty() {
            warn(
                import,
                format!(
                    "{} column(s) not in the {} column map, not imported: {}",
                    unknown.len(),
                    layout.name,
                    quote_list(&unknown)
                ),
            );
        }
        if !missing.is_empty() {
            let m: Vec<&str> = missing.iter().map(String::as_str).collect();
            warn(
                import,
                format!(
                    "{} column(s) of the {} column map are absent from this sheet: {}",
                    m.len(),
                    layout.name,
                    quote_list(&m)
                ),
            );
        }

        let missing_tokens: Vec<&str> = layout.missing.iter().map(|s| s.trim()).collect();
        let is_missing = |s: &str| missing_tokens.contains(&s);
        let header_of = |i: usize| headers.get(i).map(String::as_str).unwrap_or("?");
        let mut count = 0usize;
        for r in rows {
            let (line, cells) = r?;
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
            let level = match level_index {
                Some(i) => {
                    let v = cell(i);
                    *layout.levels.get(v).ok_or_else(|| {
                        err(
                            Some(line),
                            Some(header_of(i)),
                            format!(
                                "`{v}` is not a known level (expected one of {})",
                                layout
                                    .levels
                                    .keys()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?
                }
                None => Level::School,
            };
            let raw_id = cell(id_index);
            let entity = if raw_id.is_empty() && level == Level::State {
                None
            } else {
                Some(
                    Rcdts::parse(raw_id)
                        .map_err(|e| err(Some(line), Some(header_of(id_index)), e.to_string()))?,
                )
            };
            let row_year = match (fixed_year, year_index) {
                (Some(y), _) => y,
                (None, Some(i)) => {
                    let v = cell(i);
                    match spec.year_values.get(v) {
                        Some(y) => *y,
                        None => v.parse::<u16>().map_err(|_| {
                            err(
                                Some(line),
                                Some(header_of(i)),
                                format!("`{v}` is not a known year"),
                            )
                        })?,
                    }
                }
                (None, None) => unreachable!("a layout without a year column has a fixed year"),
            };
            for c in &resolved {
                let raw = cell(c.index);
                if is_missing(raw) {
                    continue;
                }
                let value = if c.spec.text {
                    let t = c.spec.values.get(raw).map(String::as_str).unwrap_or(raw);
                    if t.is_empty() {
                        continue;
                    }
                    let key = (entity.clone(), row_year, c.spec.measure.clone());
                    if !seen_text.insert(key) {
                        continue;
                    }
                    Value::Text(t.to_string())
                } else {
                    Value::Number(parse_number(raw).ok_or_else(|| {
                        err(
                            Some(line),
                            Some(&c.spec.header),
                            format!("`{raw}` is not a number"),
                        )
                    })?)
                };
                let n = match c.n_index {
                    Some(i) if !is_missing(cell(i)) => {
                        Some(parse_number(cell(i)).ok_or_else(|| {
                            err(
                                Some(line),
                                Some(header_of(i)),
                                format!("`{}` is not a number", cell(i)),
                            )
                        })?)
                    }
                    _ => None,
                };
                import.records.push(Record {
                    year: row_year,
                    entity: entity.clone(),
                    level,
                    measure: c.spec.measure.clone(),
                    group: c.spec.group,
                    grade: c.spec.grade,
                    subject: c.spec.subject,
                    value,
                    n,
                });
            }
            count += 1;
        }
        import.sheets.push(SheetRead {
            file: path.to_path_buf(),
            sheet: sheet.map(str::to_string),
            layout: layout.name.clone(),
            sheet_name: spec.name.clone(),
            rows: count,
        });
        Ok(())
    }
}

fn quote_list(items: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = items.iter().take(SHOWN).map(|h| format!("`{h}`")).collect();
    if items.len() > SHOWN {
        s.push(format!("and {} more", items.len() - SHOWN));
    }
    s.join(", ")
}

/// Numbers as report cards print them: `95.5`, `95.5%`, `1,234`, `$40,711`.
pub(crate) fn parse_number(raw: &str) -> Option<f64> {
    let t = raw.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim_end();
    let t = t.strip_prefix('$').unwrap_or(t);
    let v: f64 = if t.contains(',') {
        // Thousands separators only: digits in groups of three.
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = int.strip_prefix('-').unwrap_or(int);
        let mut groups = digits.split(',');
        let first = groups.next()?;
        let grouped = !first.is_empty() && first.len() <= 3 && groups.all(|g| g.len() == 3);
        if !grouped || frac.contains(',') {
            return None;
        }
        t.replace(',', "").parse().ok()?
    } else {
        t.parse().ok()?
    };
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn report_card_numbers() {
        assert_eq!(parse_number("95.5"), Some(95.5));
        assert_eq!(parse_number(" 95.5% "), Some(95.5));
        assert_eq!(parse_number("1,234"), Some(1234.0));
        assert_eq!(parse_number("$40,711"), Some(40711.0));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("12,34"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
