use crate::canonical::{is_canonical_header, read_canonical_row};
use crate::error::IngestError;
use crate::layout::{ColumnSpec, Layout, SheetSpec};
use crate::sniff::{not_csv_message, sniff_text};
use crate::xlsx::{Limits, Workbook, XCell, XlsxError};
use empower_model::vocab::shown;
use empower_model::{Level, MeasureCatalogue, MeasureSpec, Record, SchoolId, Value};
use serde::Serialize;
// Fx hashing for the sets keyed by school, filled once per row.
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A non-fatal finding: an unknown or missing column, a skipped sheet, a
/// school one file has and another lacks. `schools` says how many schools
/// it touches where that is known.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub message: String,
    pub schools: Option<usize>,
}

impl Warning {
    pub fn new(file: &Path, sheet: Option<&str>, message: impl Into<String>) -> Self {
        Warning {
            file: file.to_path_buf(),
            sheet: sheet.map(str::to_string),
            message: message.into(),
            schools: None,
        }
    }
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
    /// Schools each table has, per year: for coverage across files.
    tables: Vec<TableSchools>,
}

/// The schools one table (a CSV file or a sheet) has, per year.
#[derive(Clone, Debug)]
struct TableSchools {
    file: PathBuf,
    sheet: Option<String>,
    name: String,
    schools: BTreeMap<u16, BTreeSet<SchoolId>>,
}

/// Progress of a long import, reported in bytes (CSV) or rows (workbooks).
pub trait Progress: Sync {
    /// Reading `file` starts; `total` is its size in bytes.
    fn start(&self, _file: &Path, _total: u64) {}
    /// Another task of `total` steps starts (e.g. calibrating).
    fn begin(&self, _task: &str, _total: u64) {}
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
    catalogue: &MeasureCatalogue,
    year: Option<u16>,
    progress: &dyn Progress,
) -> Result<Import, IngestError> {
    import_measures(
        paths,
        layouts,
        catalogue,
        year,
        ImportOptions::default(),
        progress,
    )
}

/// Imports as [`import_measures`] does, each file on its own and up to
/// `options.threads` files at once (CSV only; workbooks one after the
/// other). Each file gets a sink from `new_sink`, which takes records out
/// as they are read, on the reading thread (e.g. to sum them up without
/// holding them all); what the sinks leave is put together in the files'
/// order as one run would have read it (a text identity value kept once
/// per school and year, the first file's). The sinks go to `with_sinks`
/// in the files' order, each after its file's last records, on a thread
/// of its own while the records are put together: what it makes of them
/// comes back with the import. An error is the first failing file's.
#[allow(clippy::too_many_arguments)]
pub fn import_parts<S: RecordSink, T: Send>(
    paths: &[PathBuf],
    layouts: &[Layout],
    catalogue: &MeasureCatalogue,
    year: Option<u16>,
    options: ImportOptions,
    progress: &dyn Progress,
    new_sink: &(dyn Fn() -> S + Sync),
    with_sinks: impl FnOnce(Vec<S>) -> T + Send,
) -> Result<(Import, T), IngestError> {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    let sizes: Vec<u64> = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .collect();
    let all_csv = paths.iter().all(|p| !is_workbook(p));
    let threads = if all_csv {
        options.threads.clamp(1, paths.len().max(1))
    } else {
        1
    };
    let shared = SharedProgress {
        outer: progress,
        done: AtomicU64::new(0),
    };
    if threads > 1 {
        progress.start(
            Path::new(&format!("{} files", paths.len())),
            sizes.iter().sum(),
        );
    }
    // The largest files first, so that the threads finish together.
    let mut order: Vec<usize> = (0..paths.len()).collect();
    if threads > 1 {
        order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    }
    let next = AtomicUsize::new(0);
    let read_some = || {
        let mut out = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(k) else { break };
            let file = FileProgress {
                shared: &shared,
                total: AtomicU64::new(0),
                last: AtomicU64::new(0),
            };
            let one: &dyn Progress = if threads > 1 { &file } else { progress };
            let mut sink = new_sink();
            let mut run = ImportRun::new(layouts, catalogue, year, one);
            run.keep = options.keep;
            run.sink = Some(&mut sink);
            // Room for a chunk and the texts that stay (memory only
            // touched when used): no copy of a growing buffer per file.
            run.import.records.reserve(4 * SINK_CHUNK);
            let result = run
                .read_path(&paths[i])
                .map(|()| (run.import, run.sink_from));
            let result = result.map(|(mut part, from)| {
                sink.take(&mut part.records, from);
                (part, sink)
            });
            out.push((i, result));
        }
        out
    };
    let mut results: Vec<Option<Result<(Import, S), IngestError>>> =
        (0..paths.len()).map(|_| None).collect();
    if threads > 1 {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads).map(|_| scope.spawn(read_some)).collect();
            for w in workers {
                for (i, r) in w.join().expect("an import thread panicked") {
                    results[i] = Some(r);
                }
            }
        });
        progress.finish();
    } else {
        for (i, r) in read_some() {
            results[i] = Some(r);
        }
    }
    let mut parts = Vec::with_capacity(paths.len());
    let mut sinks = Vec::with_capacity(paths.len());
    for r in results {
        let (part, sink) = r.expect("every file was read")?;
        parts.push(part);
        sinks.push(sink);
    }
    std::thread::scope(|scope| {
        let made = scope.spawn(move || with_sinks(sinks));
        let import = put_together(parts);
        let made = made
            .join()
            .expect("the thread of the import's sinks panicked");
        Ok((import?, made))
    })
}

/// The files' imports as one, in the files' order.
fn put_together(parts: Vec<Import>) -> Result<Import, IngestError> {
    let mut import = Import::default();
    let mut seen_text: TextsKept<Arc<str>> = TextsKept::default();
    // Room for every file's records at once: no copy of a growing buffer.
    import
        .records
        .reserve(parts.iter().map(|p| p.records.len()).sum());
    for part in parts {
        // One run keeps a column map's text values once per school and
        // year across files; canonical rows are kept as they are.
        let dedup = !part.sheets.iter().any(|s| s.layout == CANONICAL_LAYOUT);
        for rec in part.records {
            if dedup
                && matches!(rec.value, Value::Text(_))
                && !seen_text.first(&rec.entity, rec.year, &rec.measure)
            {
                continue;
            }
            import.records.push(rec);
        }
        if import.records.len() > MAX_VALUES {
            return Err(IngestError::file(
                import.sheets.last().map_or(Path::new(""), |s| &s.file),
                too_many_values(),
            ));
        }
        import.warnings.extend(part.warnings);
        import.sheets.extend(part.sheets);
        for n in part.notes {
            if !import.notes.contains(&n) {
                import.notes.push(n);
            }
        }
        import.tables.extend(part.tables);
    }
    let coverage = coverage_warnings(&import.tables);
    import.warnings.extend(coverage);
    Ok(import)
}

/// A sink that leaves every record to the import.
struct KeepAll;

impl RecordSink for KeepAll {
    fn take(&mut self, _records: &mut Vec<Record>, _from: usize) {}
}

fn is_workbook(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods")
    )
}

/// The layout name of a table in the canonical long format.
const CANONICAL_LAYOUT: &str = "canonical long format";

/// Progress of files read at once, as one count of bytes.
struct SharedProgress<'a> {
    outer: &'a dyn Progress,
    done: std::sync::atomic::AtomicU64,
}

/// One file's part of a [`SharedProgress`].
struct FileProgress<'a> {
    shared: &'a SharedProgress<'a>,
    total: std::sync::atomic::AtomicU64,
    last: std::sync::atomic::AtomicU64,
}

impl Progress for FileProgress<'_> {
    fn start(&self, _file: &Path, total: u64) {
        self.total
            .store(total, std::sync::atomic::Ordering::Relaxed);
    }
    fn advance(&self, done: u64) {
        use std::sync::atomic::Ordering;
        let step = done.saturating_sub(self.last.swap(done, Ordering::Relaxed));
        let total = self.shared.done.fetch_add(step, Ordering::Relaxed) + step;
        self.shared.outer.advance(total);
    }
    fn finish(&self) {
        self.advance(self.total.load(std::sync::atomic::Ordering::Relaxed));
    }
}

/// How an import runs beyond what it reads.
#[derive(Clone, Copy, Debug)]
pub struct ImportOptions<'a> {
    /// Keep only the records of these measures (every measure with
    /// `None`). Every value is still checked, so that a file is accepted or
    /// refused the same either way; a run that reads a few measures
    /// (designating) does not hold the rest.
    pub keep: Option<&'a HashSet<String>>,
    /// CSV files read at once. The records come out in the files' order
    /// whatever the number, and an error is the first file's in that order.
    pub threads: usize,
}

impl Default for ImportOptions<'_> {
    fn default() -> Self {
        ImportOptions {
            keep: None,
            threads: 1,
        }
    }
}

/// Imports as [`import_files`] does, with `options`.
pub fn import_measures(
    paths: &[PathBuf],
    layouts: &[Layout],
    catalogue: &MeasureCatalogue,
    year: Option<u16>,
    options: ImportOptions,
    progress: &dyn Progress,
) -> Result<Import, IngestError> {
    if options.threads > 1 && paths.len() > 1 {
        let keep_all = &|| KeepAll;
        return import_parts(
            paths, layouts, catalogue, year, options, progress, keep_all, drop,
        )
        .map(|(import, ())| import);
    }
    let mut run = ImportRun::new(layouts, catalogue, year, progress);
    run.keep = options.keep;
    for path in paths {
        run.read_path(path)?;
    }
    Ok(run.finish())
}

/// Imports one file held in memory (fuzzing, tests): `name` decides CSV or
/// workbook by its extension as [`import_files`] does.
pub fn import_bytes(
    name: &str,
    bytes: &[u8],
    layouts: &[Layout],
    catalogue: &MeasureCatalogue,
    year: Option<u16>,
) -> Result<Import, IngestError> {
    import_sources(&[(name, bytes)], layouts, catalogue, year, &())
}

/// Imports files held in memory (stored sources, the bundled extract) as
/// [`import_files`] imports files on disk: `(name, bytes)`, the name
/// deciding CSV or workbook by its extension.
pub fn import_sources(
    sources: &[(&str, &[u8])],
    layouts: &[Layout],
    catalogue: &MeasureCatalogue,
    year: Option<u16>,
    progress: &dyn Progress,
) -> Result<Import, IngestError> {
    let mut run = ImportRun::new(layouts, catalogue, year, progress);
    for (name, bytes) in sources {
        let path = Path::new(name);
        if name.ends_with(".xlsx") {
            run.read_workbook_from(path, std::io::Cursor::new(*bytes))?;
        } else {
            run.read_csv_from(path, *bytes, bytes.len() as u64)?;
        }
    }
    Ok(run.finish())
}

/// Schools that one table of a year lacks while another table of the same
/// year has them: designated from the others, which the user must know.
fn coverage_warnings(tables: &[TableSchools]) -> Vec<Warning> {
    let mut out = Vec::new();
    let years: BTreeSet<u16> = tables
        .iter()
        .flat_map(|t| t.schools.keys().copied())
        .collect();
    for year in years {
        let with_year: Vec<&TableSchools> = tables
            .iter()
            .filter(|t| t.schools.contains_key(&year))
            .collect();
        if with_year.len() < 2 {
            continue;
        }
        for t in &with_year {
            let own = &t.schools[&year];
            let mut missing: BTreeSet<&SchoolId> = BTreeSet::new();
            let mut from: Vec<&str> = Vec::new();
            for o in &with_year {
                if std::ptr::eq(*o, *t) {
                    continue;
                }
                // Both sorted: one walk along the two.
                let lacking: Vec<&SchoolId> = o.schools[&year].difference(own).collect();
                if !lacking.is_empty() {
                    from.push(&o.name);
                    missing.extend(lacking);
                }
            }
            if missing.is_empty() {
                continue;
            }
            let examples: Vec<String> = missing.iter().take(5).map(|r| r.to_string()).collect();
            out.push(Warning {
                schools: Some(missing.len()),
                ..Warning::new(
                    &t.file,
                    t.sheet.as_deref(),
                    format!(
                        "{} school(s) of {year} that the {} table(s) list have no row in the {} table (e.g. {}): what this table gives is missing for them",
                        missing.len(),
                        from.join(", "),
                        t.name,
                        examples.join(", ")
                                        ),
                )
            });
        }
    }
    out
}

/// State of one import: the layouts and year asked for, and what has been
/// read so far (text identity fields are kept once per school and year even
/// when several sheets repeat them).
struct ImportRun<'a> {
    layouts: &'a [Layout],
    catalogue: &'a MeasureCatalogue,
    year: Option<u16>,
    progress: &'a dyn Progress,
    import: Import,
    /// The measures whose records are kept (all with `None`).
    keep: Option<&'a HashSet<String>>,
    /// One shared name per measure, however many rows and tables hold it;
    /// its position numbers the measure in `seen_text`.
    measures: HashMap<String, (Arc<str>, u32)>,
    /// Text identity values already kept, by measure number.
    seen_text: TextsKept<u32>,
    /// Takes the records it wants out of the run as they are read, a few
    /// thousand at a time (see [`import_parts`]).
    sink: Option<&'a mut dyn RecordSink>,
    /// Records before this one were handed to the sink already.
    sink_from: usize,
}

/// Records read so far, handed over while a file is read: it takes out
/// what it wants of `records[from..]` (those it has not seen; e.g. figures
/// it sums up at once) and leaves the rest, which the import keeps.
pub trait RecordSink: Send {
    fn take(&mut self, records: &mut Vec<Record>, from: usize);
}

/// The text identity values kept so far (name, city...): which measures
/// each school has one of, per year. A row's texts come together, so the
/// school of the last one is remembered: one lookup per row, not per
/// value (tens of thousands of values are checked this way).
#[derive(Debug)]
struct TextsKept<M> {
    position: FxHashMap<(Option<SchoolId>, u16), usize>,
    kept: Vec<Vec<M>>,
    last: Option<(Option<SchoolId>, u16, usize)>,
}

impl<M> Default for TextsKept<M> {
    fn default() -> Self {
        TextsKept {
            position: FxHashMap::default(),
            kept: Vec::new(),
            last: None,
        }
    }
}

impl<M: PartialEq + Clone> TextsKept<M> {
    /// Notes that the school has a text of `measure` for `year`: false
    /// when it had one already.
    fn first(&mut self, entity: &Option<SchoolId>, year: u16, measure: &M) -> bool {
        let k = match &self.last {
            Some((e, y, k)) if e == entity && *y == year => *k,
            _ => {
                let next = self.kept.len();
                let k = *self.position.entry((entity.clone(), year)).or_insert(next);
                if k == next {
                    self.kept.push(Vec::new());
                }
                self.last = Some((entity.clone(), year, k));
                k
            }
        };
        let measures = &mut self.kept[k];
        if measures.contains(measure) {
            return false;
        }
        measures.push(measure.clone());
        true
    }
}

/// Records handed to the sink at a time.
const SINK_CHUNK: usize = 8192;

impl<'a> ImportRun<'a> {
    fn new(
        layouts: &'a [Layout],
        catalogue: &'a MeasureCatalogue,
        year: Option<u16>,
        progress: &'a dyn Progress,
    ) -> Self {
        ImportRun {
            layouts,
            catalogue,
            year,
            progress,
            import: Import::default(),
            keep: None,
            measures: HashMap::new(),
            seen_text: TextsKept::default(),
            sink: None,
            sink_from: 0,
        }
    }

    /// The shared name and number of a measure.
    fn measure(&mut self, name: &str) -> (Arc<str>, u32) {
        if let Some((a, n)) = self.measures.get(name) {
            return (Arc::clone(a), *n);
        }
        let n = self.measures.len() as u32;
        let a: Arc<str> = Arc::from(name);
        self.measures.insert(name.to_string(), (Arc::clone(&a), n));
        (a, n)
    }

    /// The import, with what the files' coverage of each other says.
    fn finish(mut self) -> Import {
        let coverage = coverage_warnings(&self.import.tables);
        self.import.warnings.extend(coverage);
        self.import
    }

    /// Reads a file as its extension says: a workbook or CSV.
    fn read_path(&mut self, path: &Path) -> Result<(), IngestError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "xlsx" | "xlsm" => self.read_workbook(path),
            "xls" | "xlsb" | "ods" => Err(IngestError::file(
                path,
                format!(
                    ".{ext} workbooks are not read: save it as .xlsx, or export its sheets as CSV"
                ),
            )),
            _ => self.read_csv(path),
        }
    }

    fn read_csv(&mut self, path: &Path) -> Result<(), IngestError> {
        let mut file = std::fs::File::open(path)
            .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.read_csv_from(path, &mut file, total)
    }

    fn read_csv_from(
        &mut self,
        path: &Path,
        reader: impl std::io::Read,
        total: u64,
    ) -> Result<(), IngestError> {
        let progress = self.progress;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
        let head = std::io::BufRead::fill_buf(&mut reader)
            .map_err(|e| IngestError::file(path, format!("cannot read: {e}")))?;
        if let Some(m) = not_csv_message(head) {
            return Err(IngestError::file(path, m));
        }
        let first_line = head
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default()
            .to_vec();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(reader);
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
        let headers_for_rows = headers.clone();
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
                // The csv crate reads a quote left open at the end of the
                // file as one long last value: that is a truncated file.
                // One pass over the row's bytes: a line break is rare.
                Ok(rec) if rec.as_slice().bytes().any(|b| b == b'\n' || b == b'\r') => {
                    let col = rec.iter().position(|f| f.contains(['\n', '\r'])).unwrap_or(0);
                    Err(IngestError {
                        row: Some(i + 2),
                        column: headers_for_rows.get(col).cloned(),
                        ..IngestError::file(
                            path,
                            "a value here runs over several lines: a quote is not closed, or the file is truncated",
                        )
                    })
                }
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
            Err(TableError::NoLayout) => Err(match sniff_text(&first_line) {
                Some(m) => IngestError {
                    row: Some(1),
                    ..IngestError::file(path, m)
                },
                None => no_layout_error(path, None, &headers, self.layouts),
            }),
            Err(TableError::Wrong(e)) => Err(e),
        }
    }

    fn read_workbook(&mut self, path: &Path) -> Result<(), IngestError> {
        let file = std::fs::File::open(path)
            .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
        self.read_workbook_from(path, std::io::BufReader::new(file))
    }

    /// Reads every sheet of an .xlsx workbook a layout recognises, one
    /// sheet in memory at a time, within the limits of [`Limits`].
    fn read_workbook_from<R: std::io::Read + std::io::Seek>(
        &mut self,
        path: &Path,
        reader: R,
    ) -> Result<(), IngestError> {
        let progress = self.progress;
        let xlsx_err = |e: XlsxError| IngestError {
            sheet: e.sheet.clone(),
            column: e.cell.clone(),
            ..IngestError::file(path, e.to_string())
        };
        let mut wb = Workbook::open(reader, Limits::default()).map_err(xlsx_err)?;
        let names = wb.sheet_names();
        let mut used = 0;
        for (index, name) in names.iter().enumerate() {
            let sheet = wb.read_sheet(index).map_err(xlsx_err)?;
            let mut it = sheet.rows.into_iter();
            let Some(header_row) = it.next() else {
                continue;
            };
            let headers: Vec<String> = header_row.iter().map(cell_text).collect();
            let total = it.len() as u64;
            progress.start(path, total);
            let width = headers.len();
            let mut rows = it.enumerate().map(|(i, r)| {
                if i % 512 == 0 {
                    progress.advance(i as u64);
                }
                let mut rec: csv::StringRecord = r.iter().map(cell_text).collect();
                // Rows end at their last filled cell; pad to the header.
                while rec.len() < width {
                    rec.push_field("");
                }
                Ok((i + 2, rec))
            });
            let result = self.read_table(path, Some(name), &headers, &mut rows);
            progress.finish();
            match result {
                Ok(()) => used += 1,
                // Workbooks carry sheets no layout needs (Finance, Discipline...).
                Err(TableError::NoLayout) => self.import.warnings.push(Warning::new(
                    path,
                    Some(name),
                    "skipped: no column map recognises its headers",
                )),
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

/// A workbook cell as the text a CSV export would hold: an Excel error
/// (`#N/A`) as its text, so that it fails where a number is expected, as
/// it does in CSV; a percent-formatted number as the percentage it shows
/// (0.439 shown as 43.9% reads 43.9), without binary noise.
fn cell_text(c: &XCell) -> String {
    match c {
        XCell::Empty => String::new(),
        XCell::Text(s) => s.clone(),
        XCell::Number { value, percent } => {
            let v = if *percent {
                (value * 100.0 * 1e9).round() / 1e9
            } else {
                *value
            };
            v.to_string()
        }
        XCell::Bool(b) => b.to_string(),
        XCell::Error(e) => e.clone(),
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
    let first: Vec<String> = headers.iter().take(6).map(|h| shown(h)).collect();
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
    /// The catalogue's entry of the measure, looked up once per table.
    measure_spec: &'a MeasureSpec,
    /// Whether the run keeps this column's records (checked either way).
    kept: bool,
    /// The measure's name, shared by every record of the column.
    measure: Arc<str>,
    /// The measure's number in this import (see `ImportRun::measures`).
    number: u32,
    index: usize,
    n_index: Option<usize>,
}

/// The texts a layout writes for "no value" (`""`, `"*"`, `"NA"`...),
/// checked on every cell: most cells are numbers, which a table of first
/// bytes turns away without comparing strings.
struct MissingTokens<'a> {
    tokens: Vec<&'a str>,
    empty: bool,
    first: [bool; 256],
}

impl<'a> MissingTokens<'a> {
    fn new(tokens: &'a [String]) -> Self {
        let tokens: Vec<&str> = tokens.iter().map(|t| t.trim()).collect();
        let mut first = [false; 256];
        for t in &tokens {
            if let Some(&b) = t.as_bytes().first() {
                first[b as usize] = true;
            }
        }
        MissingTokens {
            empty: tokens.iter().any(|t| t.is_empty()),
            tokens,
            first,
        }
    }

    fn contains(&self, cell: &str) -> bool {
        match cell.as_bytes().first() {
            None => self.empty,
            Some(&b) => self.first[b as usize] && self.tokens.contains(&cell),
        }
    }
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
        let (layouts, year, catalogue, keep) = (self.layouts, self.year, self.catalogue, self.keep);
        let kept = |measure: &str| keep.is_none_or(|k| k.contains(measure));
        let err = |row: Option<usize>, column: Option<&str>, message: String| IngestError {
            file: path.to_path_buf(),
            sheet: sheet.map(str::to_string),
            row,
            column: column.map(str::to_string),
            message,
        };
        if is_canonical_header(headers) {
            let mut n = 0;
            let mut keys: HashMap<String, usize> = HashMap::new();
            // One shared name per measure, however many rows hold it.
            let mut measures: HashMap<String, Arc<str>> = HashMap::new();
            let mut table = TableSchools {
                file: path.to_path_buf(),
                sheet: sheet.map(str::to_string),
                name: "canonical".into(),
                schools: BTreeMap::new(),
            };
            for r in rows {
                let (line, cells) = r?;
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let rec = read_canonical_row(&cells, catalogue, &mut measures)
                    .map_err(|(col, m)| err(Some(line), Some(col), m))?;
                let key = format!(
                    "{}|{}|{}|{}|{}|{}|{}",
                    rec.year,
                    rec.entity.as_ref().map(SchoolId::as_str).unwrap_or(""),
                    rec.level.as_str(),
                    rec.measure,
                    rec.group.slug(),
                    rec.grade,
                    rec.subject.map(|s| s.as_str()).unwrap_or("")
                );
                if let Some(first) = keys.insert(key, line) {
                    return Err(err(
                        Some(line),
                        None,
                        format!(
                            "this row repeats row {first} (same year, entity, level, measure, group, grade and subject); which value counts is unclear"
                        ),
                    )
                    .into());
                }
                if let (Level::School, Some(id)) = (rec.level, &rec.entity) {
                    table
                        .schools
                        .entry(rec.year)
                        .or_default()
                        .insert(id.clone());
                }
                if kept(&rec.measure) {
                    self.import.records.push(rec);
                    if self.import.records.len() >= self.sink_from + SINK_CHUNK {
                        if let Some(sink) = self.sink.as_deref_mut() {
                            sink.take(&mut self.import.records, self.sink_from);
                            self.sink_from = self.import.records.len();
                        }
                    }
                }
                if self.import.records.len() > MAX_VALUES {
                    return Err(err(Some(line), None, too_many_values()).into());
                }
                n += 1;
            }
            if n == 0 {
                return Err(err(
                    Some(2),
                    None,
                    "the table has a header row but no data rows".into(),
                )
                .into());
            }
            self.import.sheets.push(SheetRead {
                file: path.to_path_buf(),
                sheet: sheet.map(str::to_string),
                layout: CANONICAL_LAYOUT.into(),
                sheet_name: "canonical".into(),
                rows: n,
            });
            self.import.tables.push(table);
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
            if !self.import.notes.contains(n) {
                self.import.notes.push(n.clone());
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
                Some(index) => {
                    let (measure, number) = self.measure(&c.measure);
                    resolved.push(Resolved {
                        spec: c,
                        // Column maps name only catalogue measures (checked
                        // when the state loads); a bad one is refused here.
                        measure_spec: catalogue
                            .spec(&c.measure)
                            .map_err(|m| err(Some(1), Some(&c.header), m))?,
                        kept: kept(&c.measure),
                        measure,
                        number,
                        index,
                        n_index: c.n_header.as_deref().and_then(|h| find(headers, h, 1)),
                    })
                }
                None => missing.push(if c.occurrence > 1 {
                    format!("{} (#{})", c.header, c.occurrence)
                } else {
                    c.header.clone()
                }),
            }
        }
        // A header twice in the file where the map reads it without saying
        // which: the other column would be lost without a word.
        for c in &spec.columns {
            let in_file = headers.iter().filter(|h| **h == c.header).count();
            let mapped = spec.columns.iter().filter(|x| x.header == c.header).count();
            if in_file > mapped && !spec.ignore.contains(&c.header) {
                return Err(err(
                    Some(1),
                    Some(&c.header),
                    format!(
                        "this header appears {in_file} times but the {} column map reads it {mapped} time(s); say which column is which with `occurrence` (or list the header under `ignore`)",
                        layout.name
                    ),
                )
                .into());
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
        let import = &mut self.import;
        let seen_text = &mut self.seen_text;
        let mut sink = self.sink.as_deref_mut();
        let sink_from = &mut self.sink_from;
        let warn = |import: &mut Import, message: String| {
            import.warnings.push(Warning::new(path, sheet, message))
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

        let missing_tokens = MissingTokens::new(&layout.missing);
        let is_missing = |s: &str| missing_tokens.contains(s);
        let header_of = |i: usize| headers.get(i).map(String::as_str).unwrap_or("?");
        let mut count = 0usize;
        let mut first_row: FxHashMap<(Option<SchoolId>, u16), usize> = FxHashMap::default();
        let mut table = TableSchools {
            file: path.to_path_buf(),
            sheet: sheet.map(str::to_string),
            name: format!("`{}`", spec.name),
            schools: BTreeMap::new(),
        };
        // The schools of each year in row order (mostly sorted already),
        // made sets at the end in one go rather than a row at a time.
        let mut schools_by_year: BTreeMap<u16, Vec<SchoolId>> = BTreeMap::new();
        for r in rows {
            let (line, cells) = r?;
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cell = |i: usize| cells.get(i).map(trim_cell).unwrap_or("");
            let level = match level_index {
                Some(i) => {
                    let v = cell(i);
                    *layout.levels.get(v).ok_or_else(|| {
                        err(
                            Some(line),
                            Some(header_of(i)),
                            format!(
                                "`{}` is not a known level (expected one of {})",
                                shown(v),
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
                    catalogue
                        .school_id
                        .parse(raw_id)
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
                                format!("`{}` is not a known year", shown(v)),
                            )
                        })?,
                    }
                }
                (None, None) => unreachable!("a layout without a year column has a fixed year"),
            };
            if let Some(i) = year_index {
                catalogue
                    .check_year(row_year)
                    .map_err(|m| err(Some(line), Some(header_of(i)), m))?;
            }
            if let Some(first) = first_row.insert((entity.clone(), row_year), line) {
                return Err(err(
                    Some(line),
                    Some(header_of(id_index)),
                    format!(
                        "{} appears again (first in row {first}){}; which row counts is unclear",
                        entity
                            .as_ref()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "the statewide row".into()),
                        if year_index.is_some() {
                            format!(" for {row_year}")
                        } else {
                            String::new()
                        }
                    ),
                )
                .into());
            }
            if let (Level::School, Some(id)) = (level, &entity) {
                schools_by_year
                    .entry(row_year)
                    .or_default()
                    .push(id.clone());
            }
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
                    let t = c
                        .measure_spec
                        .check_text(&c.spec.measure, t)
                        .map_err(|m| err(Some(line), Some(&c.spec.header), m))?;
                    if !c.kept || !seen_text.first(&entity, row_year, &c.number) {
                        continue;
                    }
                    Value::Text(t.to_string())
                } else {
                    let v = parse_number(raw).ok_or_else(|| {
                        err(
                            Some(line),
                            Some(&c.spec.header),
                            format!("`{}` is not a number", shown(raw)),
                        )
                    })?;
                    c.measure_spec
                        .check_number(&c.spec.measure, v)
                        .map_err(|m| err(Some(line), Some(&c.spec.header), m))?;
                    Value::Number(v)
                };
                let n = match c.n_index {
                    Some(i) if !is_missing(cell(i)) => {
                        let n = parse_number(cell(i)).ok_or_else(|| {
                            err(
                                Some(line),
                                Some(header_of(i)),
                                format!("`{}` is not a number", shown(cell(i))),
                            )
                        })?;
                        catalogue
                            .check_count(n)
                            .map_err(|m| err(Some(line), Some(header_of(i)), m))?;
                        Some(n)
                    }
                    _ => None,
                };
                if !c.kept {
                    continue;
                }
                import.records.push(Record {
                    year: row_year,
                    entity: entity.clone(),
                    level,
                    measure: Arc::clone(&c.measure),
                    group: c.spec.group,
                    grade: c.spec.grade,
                    subject: c.spec.subject,
                    value,
                    n,
                });
            }
            if import.records.len() >= *sink_from + SINK_CHUNK {
                if let Some(sink) = sink.as_deref_mut() {
                    sink.take(&mut import.records, *sink_from);
                    *sink_from = import.records.len();
                }
            }
            if import.records.len() > MAX_VALUES {
                return Err(err(Some(line), None, too_many_values()).into());
            }
            count += 1;
        }
        if count == 0 {
            return Err(err(
                Some(2),
                None,
                format!(
                    "the `{}` table has a header row but no data rows",
                    spec.name
                ),
            )
            .into());
        }
        table.schools = schools_by_year
            .into_iter()
            .map(|(year, ids)| (year, ids.into_iter().collect()))
            .collect();
        import.tables.push(table);
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

/// Values one import may hold. About 110 bytes each once read, and as
/// much again once grouped by school for designation: this keeps a run
/// under 2 GB of memory whatever the files hold. The full 2018 Illinois
/// report card is 645,000 values.
pub const MAX_VALUES: usize = 6_000_000;

fn too_many_values() -> String {
    format!(
        "the files hold more than {} values, more than one run holds in memory; import fewer files or years at a time",
        MAX_VALUES
    )
}

fn quote_list(items: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = items.iter().take(SHOWN).map(|h| format!("`{h}`")).collect();
    if items.len() > SHOWN {
        s.push(format!("and {} more", items.len() - SHOWN));
    }
    s.join(", ")
}

/// `str::trim`, without its Unicode scan when both ends are printable
/// ASCII, as they are in nearly every cell of a report card.
fn trim_cell(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Numbers as report cards print them: `95.5`, `95.5%`, `1,234`, `$40,711`.
pub(crate) fn parse_number(raw: &str) -> Option<f64> {
    let t = trim_cell(raw);
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
