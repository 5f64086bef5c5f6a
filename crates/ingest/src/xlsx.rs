//! A bounded, streaming reader of `.xlsx` workbooks.
//!
//! Report-card workbooks come from outside: whatever a file claims about
//! itself is untrusted. This reader exists because a general-purpose reader
//! (calamine) trusts too much: it allocates rows × columns of the range a
//! sheet *claims* (`<dimension ref="A1:XFD1048576"/>` in a 2 KB file asks for
//! 512 GB), materialises any text however large (a 1 MB zip bomb becomes a
//! 1 GiB cell), reads Excel error cells such as `#N/A` as empty, and does not
//! say which numbers are percent-formatted (a cell showing 43.9% holds
//! 0.439, and the importer must know which scale it is looking at).
//!
//! Every bound is checked *before* memory is committed to it:
//!
//! - each zip part is read through a counting reader, so the bytes actually
//!   decompressed (never the sizes the zip headers declare) are held to
//!   [`Limits::max_part_bytes`] per part and [`Limits::max_total_bytes`]
//!   across all the parts this [`Workbook`] reads;
//! - the XML is streamed ([`quick_xml::Reader`] over a buffered reader), and
//!   a guard refuses any single tag or text run longer than a bound derived
//!   from [`Limits::max_text_bytes`], so the XML parser's own buffer stays
//!   small too;
//! - every cell's row and column are checked against [`Limits::max_rows`]
//!   and [`Limits::max_cols`], and the dense size of the sheet against
//!   [`Limits::max_cells`], before its row is grown;
//! - text is checked against [`Limits::max_text_bytes`] as it accumulates.
//!
//! Nothing here panics on any input: references such as
//! `ZZZZZZZZZ999999999999` are parsed with saturating arithmetic and every
//! lookup is checked, because the module is fuzzed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader as XmlReader;
use zip::read::ZipFile;
use zip::result::ZipError;
use zip::ZipArchive;

/// Excel's own sheet size: rows.
const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Excel's own sheet size: columns (A to XFD).
const EXCEL_MAX_COLS: u32 = 16_384;
/// Excel's own limit on the text of one cell is 32,767 characters.
const EXCEL_MAX_TEXT: usize = 32_767;
/// The smallest bound on a single XML event (tag or text run). Legitimate
/// tags are a few hundred bytes; this leaves room for anything a real
/// writer produces while keeping quick-xml's buffer small.
const MIN_EVENT_BYTES: u64 = 1 << 20;
/// Where the workbook part lives in every `.xlsx` written by Excel and
/// by the libraries that imitate it.
const WORKBOOK_PART: &str = "xl/workbook.xml";
const WORKBOOK_RELS_PART: &str = "xl/_rels/workbook.xml.rels";
const SHARED_STRINGS_PART: &str = "xl/sharedStrings.xml";
const STYLES_PART: &str = "xl/styles.xml";
/// The start of an OLE compound file: legacy `.xls`, and also what Excel
/// writes for a password-protected `.xlsx` (the zip is encrypted inside).
const COMPOUND_FILE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// How much of a workbook this reader is willing to unpack and hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Decompressed bytes of one zip part (a sheet, the shared strings, ...).
    pub max_part_bytes: u64,
    /// Decompressed bytes of all the parts read through one [`Workbook`].
    pub max_total_bytes: u64,
    /// The last row number accepted (1-based).
    pub max_rows: u32,
    /// The last column number accepted (1-based; 16,384 is XFD).
    pub max_cols: u32,
    /// Dense size of one sheet: the sum over rows of each row's length up to
    /// its last non-empty cell. This is what [`XSheet::rows`] holds.
    pub max_cells: u64,
    /// Bytes of text in one cell or one shared string.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    /// Excel's own sheet size, and memory bounds generous enough for any
    /// report card (the largest are tens of megabytes unpacked).
    fn default() -> Self {
        Limits {
            max_part_bytes: 256 << 20,
            max_total_bytes: 1 << 30,
            max_rows: EXCEL_MAX_ROWS,
            max_cols: EXCEL_MAX_COLS,
            max_cells: 16_000_000,
            max_text_bytes: EXCEL_MAX_TEXT,
        }
    }
}

/// One cell's value, as the workbook stores it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum XCell {
    /// No value. Empty text (`""`, a formula such as `=IF(x,"",y)`) is read
    /// as empty too, because Excel shows it as a blank cell.
    Empty,
    Text(String),
    /// `percent` says the cell's number format shows it as a percentage, so
    /// `value` is a fraction: a cell showing 43.9% holds 0.439.
    Number {
        value: f64,
        percent: bool,
    },
    Bool(bool),
    /// An Excel error value, as Excel shows it: `#N/A`, `#DIV/0!`, ...
    Error(String),
}

/// One worksheet, dense: `rows[i][j]` is row `i + 1`, column `j + 1`. Each
/// row stops at its last non-empty cell and the rows stop at the last
/// non-empty row, so the size follows the data, never the sheet's claims.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct XSheet {
    pub name: String,
    pub rows: Vec<Vec<XCell>>,
}

/// Why a workbook (or one of its sheets) cannot be read. `message` is a
/// whole sentence for the person who exported the file, already naming the
/// sheet and cell where they are known; `sheet` and `cell` carry the same
/// facts for callers that report positions themselves.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct XlsxError {
    pub sheet: Option<String>,
    /// An A1 reference such as `B3`.
    pub cell: Option<String>,
    pub message: String,
}

impl XlsxError {
    fn new(message: impl Into<String>) -> Self {
        XlsxError {
            sheet: None,
            cell: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for XlsxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for XlsxError {}

/// An open workbook: its sheet list, shared strings and styles are read;
/// sheets are read one at a time by [`Workbook::read_sheet`].
pub(crate) struct Workbook<R: Read + Seek> {
    archive: ZipArchive<R>,
    limits: Limits,
    sheets: Vec<SheetEntry>,
    shared: SharedStrings,
    styles: Styles,
    /// Decompressed bytes read so far, held to `limits.max_total_bytes`.
    unpacked: u64,
}

/// A sheet as the workbook part lists it.
struct SheetEntry {
    name: String,
    /// The relationship id (`r:id`) naming its part.
    rel_id: Option<String>,
    /// The zip path of its part, if the relationship resolved.
    path: Option<String>,
}

impl<R: Read + Seek> Workbook<R> {
    /// Opens a workbook: reads the workbook part, its relationships, the
    /// shared strings and the styles (each bounded by `limits`).
    pub fn open(mut reader: R, limits: Limits) -> Result<Self, XlsxError> {
        let magic = sniff(&mut reader)?;
        if magic.starts_with(&COMPOUND_FILE_MAGIC) {
            return Err(XlsxError::new(
                "this workbook is password-protected or in the old .xls format: \
                 remove the password and save it as .xlsx, or save it as CSV",
            ));
        }
        let mut archive = ZipArchive::new(reader).map_err(|err| open_error(&magic, err))?;
        let Some(workbook_index) = find_entry(&archive, WORKBOOK_PART) else {
            return Err(not_xlsx(&archive));
        };

        let mut unpacked = 0;
        let info = PartInfo::other("the workbook part", WORKBOOK_PART);
        let mut part = open_part(&mut archive, &mut unpacked, &limits, workbook_index, &info)?;
        let listed = read_workbook(&mut part)?;
        drop(part);

        let rels = match find_entry(&archive, WORKBOOK_RELS_PART) {
            Some(index) => {
                let info = PartInfo::other("the workbook's relationships", WORKBOOK_RELS_PART);
                let mut part = open_part(&mut archive, &mut unpacked, &limits, index, &info)?;
                read_relationships(&mut part)?
            }
            None => BTreeMap::new(),
        };
        let related = |kind: &str, fallback: &str| {
            rels.values()
                .find(|rel| rel.kind.rsplit('/').next() == Some(kind))
                .map_or_else(|| fallback.to_owned(), |rel| rel.path.clone())
        };
        let shared_path = related("sharedStrings", SHARED_STRINGS_PART);
        let styles_path = related("styles", STYLES_PART);

        let shared = match find_entry(&archive, &shared_path) {
            Some(index) => {
                let info = PartInfo::other("the shared-strings table", &shared_path);
                let mut part = open_part(&mut archive, &mut unpacked, &limits, index, &info)?;
                read_shared_strings(&mut part)?
            }
            None => SharedStrings::default(),
        };
        let styles = match find_entry(&archive, &styles_path) {
            Some(index) => {
                let info = PartInfo::other("the styles part", &styles_path);
                let mut part = open_part(&mut archive, &mut unpacked, &limits, index, &info)?;
                read_styles(&mut part)?
            }
            None => Styles::default(),
        };

        let sheets = listed
            .into_iter()
            .map(|(name, rel_id)| {
                let path = rel_id
                    .as_ref()
                    .and_then(|id| rels.get(id))
                    .map(|rel| rel.path.clone());
                SheetEntry { name, rel_id, path }
            })
            .collect();
        Ok(Workbook {
            archive,
            limits,
            sheets,
            shared,
            styles,
            unpacked,
        })
    }

    /// The sheet names, in workbook order (the order of the tabs).
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|sheet| sheet.name.clone()).collect()
    }

    /// Reads sheet number `index` (0-based, workbook order). One sheet is
    /// held at a time; reading counts against `max_total_bytes` each time.
    pub fn read_sheet(&mut self, index: usize) -> Result<XSheet, XlsxError> {
        let Some(entry) = self.sheets.get(index) else {
            return Err(XlsxError::new(format!(
                "there is no sheet number {} (the workbook has {})",
                index.saturating_add(1),
                self.sheets.len()
            )));
        };
        let name = entry.name.clone();
        let in_sheet = |message: String| XlsxError {
            sheet: Some(name.clone()),
            cell: None,
            message,
        };
        let Some(path) = entry.path.clone() else {
            let id = entry.rel_id.as_deref().unwrap_or("(none)");
            return Err(in_sheet(format!(
                "the sheet `{name}` has no worksheet part: its relationship `{id}` is not \
                 listed in {WORKBOOK_RELS_PART}; save the workbook again as .xlsx"
            )));
        };
        let Some(zip_index) = find_entry(&self.archive, &path) else {
            return Err(in_sheet(format!(
                "the sheet `{name}` should be in {path}, which is missing from the file; \
                 save the workbook again as .xlsx"
            )));
        };
        let info = PartInfo::sheet(&name, &path);
        let mut part = open_part(
            &mut self.archive,
            &mut self.unpacked,
            &self.limits,
            zip_index,
            &info,
        )?;
        let rows = read_cells(&mut part, &self.shared, &self.styles)?;
        Ok(XSheet { name, rows })
    }
}

/// Reads the first bytes (to recognise compound files and zip archives)
/// and puts the reader back where it was.
fn sniff<R: Read + Seek>(reader: &mut R) -> Result<Vec<u8>, XlsxError> {
    let unreadable = |err: io::Error| XlsxError::new(format!("the file cannot be read: {err}"));
    let start = reader.stream_position().map_err(unreadable)?;
    let mut magic = Vec::with_capacity(COMPOUND_FILE_MAGIC.len());
    reader
        .by_ref()
        .take(COMPOUND_FILE_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(unreadable)?;
    reader.seek(SeekFrom::Start(start)).map_err(unreadable)?;
    Ok(magic)
}

fn open_error(magic: &[u8], err: ZipError) -> XlsxError {
    match err {
        ZipError::Io(err) if err.kind() != io::ErrorKind::UnexpectedEof => {
            XlsxError::new(format!("the file cannot be read: {err}"))
        }
        _ if magic.starts_with(b"PK") => XlsxError::new(format!(
            "this workbook is damaged ({err}); it may be truncated: \
             save it again as .xlsx or as CSV"
        )),
        _ => XlsxError::new(
            "this is not an .xlsx workbook (not a zip archive): save it as .xlsx or as CSV",
        ),
    }
}

/// A zip archive without `xl/workbook.xml`: say what it is if we can tell.
fn not_xlsx<R: Read + Seek>(archive: &ZipArchive<R>) -> XlsxError {
    if find_entry(archive, "xl/workbook.bin").is_some() {
        XlsxError::new(
            "this is an .xlsb (binary) workbook, which cannot be read: \
             save it as .xlsx or as CSV",
        )
    } else if find_entry(archive, "content.xml").is_some() {
        XlsxError::new(
            "this is an OpenDocument spreadsheet (.ods), not an .xlsx workbook: \
             save it as .xlsx or as CSV",
        )
    } else {
        XlsxError::new(format!(
            "this is not an .xlsx workbook (the zip archive has no {WORKBOOK_PART}): \
             save it as .xlsx or as CSV"
        ))
    }
}

/// Finds a part by name. Part names are case-insensitive in the Open
/// Packaging Conventions, and some writers differ from Excel's spelling.
fn find_entry<R: Read + Seek>(archive: &ZipArchive<R>, path: &str) -> Option<usize> {
    archive.index_for_name(path).or_else(|| {
        archive
            .file_names()
            .find(|name| name.trim_start_matches('/').eq_ignore_ascii_case(path))
            .and_then(|name| archive.index_for_name(name))
    })
}

/// Resolves a relationship target against the `xl/` folder: targets are
/// relative (`worksheets/sheet1.xml`, `../xl/...`) or absolute
/// (`/xl/worksheets/sheet1.xml`).
fn resolve_target(base_dir: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let (mut segments, rest): (Vec<&str>, &str) = match target.strip_prefix('/') {
        Some(absolute) => (Vec::new(), absolute),
        None => (base_dir.split('/').collect(), target.as_str()),
    };
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    segments.retain(|segment| !segment.is_empty());
    segments.join("/")
}

// ---------------------------------------------------------------------------
// Bounded part reading

/// Which bound a part ran into. Carried inside [`io::Error`] through zip and
/// quick-xml, and recognised again when the error comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overrun {
    /// One part decompressed past `max_part_bytes`.
    Part,
    /// The parts read so far decompressed past `max_total_bytes`.
    Total,
    /// One XML tag or text run grew past the event bound.
    Event,
}

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Overrun::Part => "part size limit reached",
            Overrun::Total => "workbook size limit reached",
            Overrun::Event => "XML event size limit reached",
        })
    }
}

impl std::error::Error for Overrun {}

/// Counts the bytes a zip entry actually decompresses to (the sizes in the
/// zip headers are the file's claims, not facts) and stops with an error
/// as soon as a bound is passed.
struct Bounded<'a, R> {
    inner: R,
    read: u64,
    max_part: u64,
    unpacked: &'a mut u64,
    max_total: u64,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for at most one byte past the tighter bound, so decompression
        // stops right there instead of a buffer later.
        let room = (self.max_part.saturating_sub(self.read))
            .min(self.max_total.saturating_sub(*self.unpacked))
            .saturating_add(1);
        let len = usize::try_from(room).unwrap_or(usize::MAX).min(buf.len());
        let (head, _) = buf.split_at_mut(len);
        let n = self.inner.read(head)?;
        let counted = u64::try_from(n).unwrap_or(u64::MAX);
        self.read = self.read.saturating_add(counted);
        *self.unpacked = self.unpacked.saturating_add(counted);
        if self.read > self.max_part {
            return Err(io::Error::other(Overrun::Part));
        }
        if *self.unpacked > self.max_total {
            return Err(io::Error::other(Overrun::Total));
        }
        Ok(n)
    }
}

/// Bounds the bytes quick-xml consumes for a single event. quick-xml
/// buffers a whole tag or text run before returning it, so without this a
/// 200 MB text node would be held in memory before any check could see it.
/// The count is reset by [`PartReader::next`] after every event.
struct EventGuard<B> {
    inner: B,
    since_event: u64,
    max_event: u64,
}

impl<B: BufRead> Read for EventGuard<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_event > self.max_event {
            return Err(io::Error::other(Overrun::Event));
        }
        let n = self.inner.read(buf)?;
        self.since_event = self
            .since_event
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }
}

impl<B: BufRead> BufRead for EventGuard<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_event > self.max_event {
            return Err(io::Error::other(Overrun::Event));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.since_event = self
            .since_event
            .saturating_add(u64::try_from(amt).unwrap_or(u64::MAX));
        self.inner.consume(amt);
    }
}

/// A part's path and how to name it to a person.
struct PartInfo {
    path: String,
    /// "the sheet `General`", "the shared-strings table", ...
    label: String,
    sheet: Option<String>,
}

impl PartInfo {
    fn sheet(name: &str, path: &str) -> Self {
        PartInfo {
            path: path.to_owned(),
            label: format!("the sheet `{name}`"),
            sheet: Some(name.to_owned()),
        }
    }

    fn other(label: &str, path: &str) -> Self {
        PartInfo {
            path: path.to_owned(),
            label: label.to_owned(),
            sheet: None,
        }
    }
}

/// Where a text being read belongs, for the error when it is too long.
#[derive(Clone, Copy)]
enum TextSite<'s> {
    Cell(&'s str),
    SharedString(usize),
}

impl TextSite<'_> {
    fn describe(self) -> String {
        match self {
            TextSite::Cell(cell) => format!("cell {}", shorten(cell)),
            TextSite::SharedString(index) => {
                format!("string number {}", index.saturating_add(1))
            }
        }
    }

    fn cell(self) -> Option<String> {
        match self {
            TextSite::Cell(cell) => Some(shorten(cell)),
            TextSite::SharedString(_) => None,
        }
    }
}

type PartSource<'a, R> = EventGuard<BufReader<Bounded<'a, ZipFile<'a, R>>>>;

/// A streaming XML reader over one bounded zip part, which tracks element
/// depth (quick-xml reports end of file even inside open elements, which
/// here means the part was cut short) and turns every failure into an
/// [`XlsxError`] that names the part.
struct PartReader<'a, R: Read> {
    xml: XmlReader<PartSource<'a, R>>,
    depth: u32,
    part: &'a PartInfo,
    limits: &'a Limits,
}

fn open_part<'a, R: Read + Seek>(
    archive: &'a mut ZipArchive<R>,
    unpacked: &'a mut u64,
    limits: &'a Limits,
    index: usize,
    part: &'a PartInfo,
) -> Result<PartReader<'a, R>, XlsxError> {
    let entry = archive.by_index(index).map_err(|err| {
        let message = match err {
            ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) => format!(
                "{} is encrypted inside the zip archive: remove the password and save \
                 the workbook again as .xlsx",
                part.label
            ),
            ZipError::UnsupportedArchive(what) => format!(
                "{} is stored in a way this reader does not support ({what}): \
                 save the workbook again as .xlsx from Excel",
                part.label
            ),
            err => format!(
                "{} ({}) is damaged ({err}); the file may be truncated: \
                 save it again as .xlsx",
                part.label, part.path
            ),
        };
        XlsxError {
            sheet: part.sheet.clone(),
            cell: None,
            message,
        }
    })?;
    let bounded = Bounded {
        inner: entry,
        read: 0,
        max_part: limits.max_part_bytes,
        unpacked,
        max_total: limits.max_total_bytes,
    };
    let guard = EventGuard {
        inner: BufReader::new(bounded),
        since_event: 0,
        max_event: max_event_bytes(limits),
    };
    Ok(PartReader {
        xml: XmlReader::from_reader(guard),
        depth: 0,
        part,
        limits,
    })
}

/// The bound on one XML event. Text runs decode to at least half their raw
/// size (only CR LF shrinks, to LF), so a run past twice the text limit is
/// certainly too long; tags get at least [`MIN_EVENT_BYTES`].
fn max_event_bytes(limits: &Limits) -> u64 {
    u64::try_from(limits.max_text_bytes)
        .unwrap_or(u64::MAX)
        .saturating_mul(2)
        .saturating_add(4096)
        .max(MIN_EVENT_BYTES)
}

impl<R: Read> PartReader<'_, R> {
    /// The next XML event. `site` says which text is being read, so that an
    /// oversized text run is reported as a too-long cell, not as an XML
    /// oddity.
    fn next<'b>(
        &mut self,
        buf: &'b mut Vec<u8>,
        site: Option<TextSite<'_>>,
    ) -> Result<Event<'b>, XlsxError> {
        buf.clear();
        let event = self.xml.read_event_into(buf);
        self.xml.get_mut().since_event = 0;
        let event = event.map_err(|err| self.xml_error(err, site))?;
        match &event {
            Event::Start(_) => self.depth = self.depth.saturating_add(1),
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::Eof if self.depth > 0 => return Err(self.truncated()),
            _ => {}
        }
        Ok(event)
    }

    fn error(&self, cell: Option<String>, message: String) -> XlsxError {
        XlsxError {
            sheet: self.part.sheet.clone(),
            cell,
            message,
        }
    }

    fn xml_error(&self, err: quick_xml::Error, site: Option<TextSite<'_>>) -> XlsxError {
        let quick_xml::Error::Io(io_err) = &err else {
            return self.malformed(err);
        };
        let overrun = io_err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Overrun>());
        let label = &self.part.label;
        match (overrun, site) {
            (Some(Overrun::Part), _) => self.error(
                None,
                format!(
                    "{label} unpacks to more than {}; refusing to read it",
                    size(self.limits.max_part_bytes)
                ),
            ),
            (Some(Overrun::Total), _) => self.error(
                None,
                format!(
                    "the workbook unpacks to more than {} in all (reached while reading \
                     {label}); refusing to read it",
                    size(self.limits.max_total_bytes)
                ),
            ),
            (Some(Overrun::Event), Some(site)) => self.text_too_long(site),
            (Some(Overrun::Event), None) => self.error(
                None,
                format!(
                    "{label} holds a single XML tag or text run longer than {}; \
                     refusing to read it",
                    size(max_event_bytes(self.limits))
                ),
            ),
            (None, _) => self.error(
                None,
                format!(
                    "{label} ({}) is damaged ({io_err}); the file may be truncated or \
                     corrupted: save it again as .xlsx",
                    self.part.path
                ),
            ),
        }
    }

    fn malformed(&self, detail: impl fmt::Display) -> XlsxError {
        self.error(
            None,
            format!(
                "{} is not well-formed XML ({}, near byte {}): {detail}",
                self.part.label,
                self.part.path,
                self.xml.error_position()
            ),
        )
    }

    fn truncated(&self) -> XlsxError {
        self.error(
            None,
            format!(
                "{} ({}) ends before its XML is complete; the file may be truncated: \
                 save it again as .xlsx",
                self.part.label, self.part.path
            ),
        )
    }

    fn text_too_long(&self, site: TextSite<'_>) -> XlsxError {
        self.error(
            site.cell(),
            format!(
                "in {}, {} holds more than {} bytes of text; refusing to read it",
                self.part.label,
                site.describe(),
                thousands(self.limits.max_text_bytes as u64)
            ),
        )
    }

    /// The values of the named attributes (matched by local name, so any
    /// namespace prefix works), unescaped.
    fn attrs<const N: usize>(
        &self,
        element: &BytesStart<'_>,
        names: [&[u8]; N],
    ) -> Result<[Option<String>; N], XlsxError> {
        let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
        for attr in element.attributes() {
            let attr = attr.map_err(|err| self.malformed(err))?;
            let key = attr.key.local_name();
            let slot = names
                .iter()
                .position(|name| *name == key.as_ref())
                .and_then(|at| values.get_mut(at));
            if let Some(slot) = slot {
                let value = attr
                    .decode_and_unescape_value(self.xml.decoder())
                    .map_err(|err| self.malformed(err))?;
                *slot = Some(value.into_owned());
            }
        }
        Ok(values)
    }

    /// Appends the text an event carries (text, CDATA or an entity or
    /// character reference) to `out`, refusing once the text that started
    /// at `out[start..]` would pass `max_text_bytes`.
    fn push_text(
        &self,
        event: &Event<'_>,
        out: &mut String,
        start: usize,
        site: TextSite<'_>,
    ) -> Result<(), XlsxError> {
        let piece: Cow<'_, str> = match event {
            Event::Text(text) => text.xml10_content().map_err(|err| self.malformed(err))?,
            Event::CData(data) => data.xml10_content().map_err(|err| self.malformed(err))?,
            Event::GeneralRef(reference) => self.resolve_reference(reference)?,
            _ => return Ok(()),
        };
        let held = out.len().saturating_sub(start);
        if held.saturating_add(piece.len()) > self.limits.max_text_bytes {
            return Err(self.text_too_long(site));
        }
        out.push_str(&piece);
        Ok(())
    }

    fn resolve_reference(&self, reference: &BytesRef<'_>) -> Result<Cow<'static, str>, XlsxError> {
        if let Some(ch) = reference
            .resolve_char_ref()
            .map_err(|err| self.malformed(err))?
        {
            return Ok(Cow::Owned(ch.to_string()));
        }
        let name = reference.decode().map_err(|err| self.malformed(err))?;
        resolve_xml_entity(&name)
            .map(Cow::Borrowed)
            .ok_or_else(|| self.malformed(format_args!("unknown entity `&{name};`")))
    }

    /// Reads the rest of the element just started, returning all its text.
    fn read_plain_text(
        &mut self,
        buf: &mut Vec<u8>,
        site: TextSite<'_>,
    ) -> Result<String, XlsxError> {
        let level = self.depth;
        let mut out = String::new();
        loop {
            let event = self.next(buf, Some(site))?;
            match event {
                Event::End(_) if self.depth < level => return Ok(out),
                Event::Eof => return Err(self.truncated()),
                event => self.push_text(&event, &mut out, 0, site)?,
            }
        }
    }

    /// Reads the rest of a rich-text element just started (`<si>` or
    /// `<is>`): the text of its `<t>` elements, directly inside it or in
    /// runs (`<r><t>`), concatenated. Phonetic runs (`<rPh>`, the reading
    /// of East Asian text) are not part of the value and are skipped.
    fn read_rich_text(
        &mut self,
        buf: &mut Vec<u8>,
        out: &mut String,
        start: usize,
        site: TextSite<'_>,
    ) -> Result<(), XlsxError> {
        let level = self.depth;
        let mut in_text = false;
        let mut phonetic: u32 = 0;
        loop {
            let event = self.next(buf, Some(site))?;
            match &event {
                Event::Start(element) => match element.local_name().as_ref() {
                    b"t" => in_text = true,
                    b"rPh" => phonetic = phonetic.saturating_add(1),
                    _ => {}
                },
                Event::End(_) if self.depth < level => return Ok(()),
                Event::End(element) => match element.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"rPh" => phonetic = phonetic.saturating_sub(1),
                    _ => {}
                },
                Event::Eof => return Err(self.truncated()),
                _ if in_text && phonetic == 0 => self.push_text(&event, out, start, site)?,
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Workbook, relationships, shared strings, styles

/// The `<sheet name=".." r:id=".."/>` entries of the workbook part.
fn read_workbook<R: Read>(
    part: &mut PartReader<'_, R>,
) -> Result<Vec<(String, Option<String>)>, XlsxError> {
    let mut buf = Vec::new();
    let mut sheets = Vec::new();
    let mut in_sheets = false;
    loop {
        let event = part.next(&mut buf, None)?;
        let listed = match &event {
            Event::Start(element) if element.local_name().as_ref() == b"sheets" => {
                in_sheets = true;
                None
            }
            Event::End(element) if element.local_name().as_ref() == b"sheets" => {
                in_sheets = false;
                None
            }
            Event::Start(element) | Event::Empty(element)
                if in_sheets && element.local_name().as_ref() == b"sheet" =>
            {
                Some(part.attrs(element, [b"name", b"id"])?)
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some([name, rel_id]) = listed {
            let name = name.ok_or_else(|| part.malformed("a sheet has no name"))?;
            sheets.push((name, rel_id));
        }
    }
    Ok(sheets)
}

/// One relationship of the workbook part.
struct Relationship {
    /// The relationship type URI, whose last segment says what the target
    /// is (`worksheet`, `sharedStrings`, `styles`, ...).
    kind: String,
    /// The target's zip path.
    path: String,
}

/// The workbook's relationships by id, ordered so that lookups by type
/// pick the same one on every run even in a file that lists duplicates.
fn read_relationships<R: Read>(
    part: &mut PartReader<'_, R>,
) -> Result<BTreeMap<String, Relationship>, XlsxError> {
    let mut buf = Vec::new();
    let mut rels = BTreeMap::new();
    loop {
        let event = part.next(&mut buf, None)?;
        let found = match &event {
            Event::Start(element) | Event::Empty(element)
                if element.local_name().as_ref() == b"Relationship" =>
            {
                Some(part.attrs(element, [b"Id", b"Target", b"Type", b"TargetMode"])?)
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some([Some(id), Some(target), kind, mode]) = found {
            if mode.as_deref() != Some("External") {
                let path = resolve_target("xl", &target);
                let kind = kind.unwrap_or_default();
                rels.insert(id, Relationship { kind, path });
            }
        }
    }
    Ok(rels)
}

/// The shared-strings table, stored as one string and the end offset of
/// each entry: a table of many tiny strings then costs 8 bytes an entry
/// rather than a `String` each, so its memory stays within a small multiple
/// of the (bounded) part size.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        self.text.get(start..end)
    }
}

fn read_shared_strings<R: Read>(part: &mut PartReader<'_, R>) -> Result<SharedStrings, XlsxError> {
    let mut buf = Vec::new();
    let mut table = SharedStrings::default();
    loop {
        let event = part.next(&mut buf, None)?;
        let has_body = match &event {
            Event::Start(element) if element.local_name().as_ref() == b"si" => true,
            Event::Empty(element) if element.local_name().as_ref() == b"si" => false,
            Event::Eof => break,
            _ => continue,
        };
        let start = table.text.len();
        if has_body {
            let site = TextSite::SharedString(table.len());
            part.read_rich_text(&mut buf, &mut table.text, start, site)?;
            decode_escapes_from(&mut table.text, start);
        }
        table.ends.push(table.text.len());
    }
    Ok(table)
}

/// Which cell styles (`s` on a cell: an index into `<cellXfs>`) show
/// numbers as percentages.
#[derive(Default)]
struct Styles {
    percent: Vec<bool>,
}

impl Styles {
    /// Whether style `index` is a percent format; `None` if the workbook has
    /// styles but not this one. A workbook without styles has only the
    /// default style, which is not a percent format.
    fn is_percent(&self, index: usize) -> Option<bool> {
        if self.percent.is_empty() {
            return Some(false);
        }
        self.percent.get(index).copied()
    }
}

/// Excel's built-in percent formats: 9 is `0%`, 10 is `0.00%`.
fn builtin_is_percent(format_id: u32) -> bool {
    matches!(format_id, 9 | 10)
}

fn read_styles<R: Read>(part: &mut PartReader<'_, R>) -> Result<Styles, XlsxError> {
    let mut buf = Vec::new();
    let mut custom: HashMap<u32, bool> = HashMap::new();
    let mut cell_formats: Vec<u32> = Vec::new();
    let mut in_formats = false;
    let mut in_cell_xfs = false;
    loop {
        let event = part.next(&mut buf, None)?;
        match &event {
            Event::Start(element) | Event::Empty(element) => {
                let is_start = matches!(event, Event::Start(_));
                match element.local_name().as_ref() {
                    b"numFmts" => in_formats = is_start,
                    b"cellXfs" => in_cell_xfs = is_start,
                    b"numFmt" if in_formats => {
                        let [id, code] = part.attrs(element, [b"numFmtId", b"formatCode"])?;
                        let id = parse_style_number(part, id.as_deref())?;
                        let code = code.unwrap_or_default();
                        custom.insert(id, format_is_percent(&code));
                    }
                    b"xf" if in_cell_xfs => {
                        let [id] = part.attrs(element, [b"numFmtId"])?;
                        cell_formats.push(parse_style_number(part, id.as_deref())?);
                    }
                    _ => {}
                }
            }
            Event::End(element) => match element.local_name().as_ref() {
                b"numFmts" => in_formats = false,
                b"cellXfs" => in_cell_xfs = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let percent = cell_formats
        .into_iter()
        .map(|id| {
            custom
                .get(&id)
                .copied()
                .unwrap_or_else(|| builtin_is_percent(id))
        })
        .collect();
    Ok(Styles { percent })
}

/// A `numFmtId`; absent means format 0 (General).
fn parse_style_number<R: Read>(
    part: &PartReader<'_, R>,
    text: Option<&str>,
) -> Result<u32, XlsxError> {
    let Some(text) = text else { return Ok(0) };
    text.trim()
        .parse()
        .map_err(|_| part.malformed(format_args!("number format id `{}`", shorten(text))))
}

/// Whether a number format code shows a percentage: it has a `%` that is
/// not quoted text (`"%"`), escaped (`\%`), the operand of `_` (a space the
/// width of `%`) or `*` (repeat `%` to fill), or inside brackets (colours,
/// conditions, locales).
fn format_is_percent(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '%' => return true,
            '"' => {
                for quoted in chars.by_ref() {
                    if quoted == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for bracketed in chars.by_ref() {
                    if bracketed == ']' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            _ => {}
        }
    }
    false
}

/// Decodes the `_xHHHH_` escapes OOXML uses for characters XML cannot
/// carry (a carriage return is `_x000D_`; a literal `_x` is written with an
/// escaped underscore, `_x005F_`), from `text[start..]` on.
fn decode_escapes_from(text: &mut String, start: usize) {
    let Some(tail) = text.get(start..) else {
        return;
    };
    if let Cow::Owned(decoded) = decode_escapes(tail) {
        text.truncate(start);
        text.push_str(&decoded);
    }
}

fn decode_escapes(text: &str) -> Cow<'_, str> {
    if !text.contains("_x") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_x") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let escaped = from
            .get(2..6)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| from.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match escaped {
            Some(ch) => {
                out.push(ch);
                rest = from.get(7..).unwrap_or_default();
            }
            None => {
                out.push('_');
                rest = from.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// Worksheets

/// The attributes of a `<c>` element that matter.
struct CellStart {
    reference: Option<String>,
    style: Option<String>,
    kind: Option<String>,
}

/// What a `<c>` element holds: the cached value `<v>` and/or an inline
/// string `<is>`. Formulas (`<f>`) are skipped: the cached value is what
/// the sheet shows.
#[derive(Default)]
struct CellBody {
    value: Option<String>,
    inline: Option<String>,
}

/// What one event of a worksheet asks the reader to do. Built from the
/// event with owned data, so the XML buffer is free again before acting.
enum SheetStep {
    Nothing,
    EnterData,
    LeaveData,
    Row(Option<String>),
    Cell { start: CellStart, has_body: bool },
    Done,
}

/// The sheet under construction, growing only as non-empty cells arrive.
struct Grid<'l> {
    rows: Vec<Vec<XCell>>,
    /// The dense size: the sum of the rows' lengths.
    cells: u64,
    limits: &'l Limits,
}

impl Grid<'_> {
    /// Puts a non-empty cell at 1-based (`row`, `col`), both already checked
    /// against the row and column limits. The growth in dense size is
    /// checked against `max_cells` before anything is allocated.
    fn place(&mut self, row: u32, col: u32, cell: XCell) -> Result<(), TooManyCells> {
        if cell == XCell::Empty {
            return Ok(());
        }
        let (Some(r), Some(c)) = (index_of(row), index_of(col)) else {
            return Err(TooManyCells);
        };
        let len = self.rows.get(r).map_or(0, Vec::len);
        if c >= len {
            let growth =
                u64::try_from(c.saturating_add(1).saturating_sub(len)).map_err(|_| TooManyCells)?;
            let cells = self.cells.saturating_add(growth);
            if cells > self.limits.max_cells {
                return Err(TooManyCells);
            }
            self.cells = cells;
        }
        if self.rows.len() <= r {
            self.rows.resize_with(r.saturating_add(1), Vec::new);
        }
        let row_cells = self.rows.get_mut(r).ok_or(TooManyCells)?;
        if row_cells.len() <= c {
            row_cells.resize(c.saturating_add(1), XCell::Empty);
        }
        let slot = row_cells.get_mut(c).ok_or(TooManyCells)?;
        *slot = cell;
        Ok(())
    }
}

/// A cell [`Grid::place`] cannot take: the sheet would pass `max_cells`.
struct TooManyCells;

/// A 1-based row or column number as a 0-based index.
fn index_of(number: u32) -> Option<usize> {
    usize::try_from(number.checked_sub(1)?).ok()
}

/// Reads the cells of a worksheet part.
fn read_cells<R: Read>(
    part: &mut PartReader<'_, R>,
    shared: &SharedStrings,
    styles: &Styles,
) -> Result<Vec<Vec<XCell>>, XlsxError> {
    let limits = part.limits;
    let mut buf = Vec::new();
    let mut grid = Grid {
        rows: Vec::new(),
        cells: 0,
        limits,
    };
    let mut in_data = false;
    // The current row (0 before the first) and the column a cell without
    // a reference takes: some writers omit `r` on rows and cells.
    let mut row: u32 = 0;
    let mut next_col: u32 = 1;
    loop {
        let step = match part.next(&mut buf, None)? {
            Event::Start(element) => sheet_step(part, &element, true, in_data)?,
            Event::Empty(element) => sheet_step(part, &element, false, in_data)?,
            Event::End(element) if element.local_name().as_ref() == b"sheetData" => {
                SheetStep::LeaveData
            }
            Event::Eof => SheetStep::Done,
            _ => SheetStep::Nothing,
        };
        match step {
            SheetStep::Nothing => {}
            SheetStep::EnterData => in_data = true,
            SheetStep::LeaveData => in_data = false,
            SheetStep::Done => break,
            SheetStep::Row(number) => {
                row = match number {
                    Some(text) => parse_row_number(part, &text)?,
                    None => row_in_range(part, u64::from(row).saturating_add(1), None)?,
                };
                next_col = 1;
            }
            SheetStep::Cell { start, has_body } => {
                let (cell_row, cell_col) = match start.reference.as_deref() {
                    Some(text) => parse_reference(text).ok_or_else(|| {
                        part.error(
                            Some(shorten(text)),
                            format!(
                                "in {}, the cell reference `{}` is malformed",
                                part.part.label,
                                shorten(text)
                            ),
                        )
                    })?,
                    None => (u64::from(row.max(1)), u64::from(next_col)),
                };
                let name = match start.reference.as_deref() {
                    Some(text) => shorten(text),
                    None => cell_name(cell_row, cell_col),
                };
                let cell_row = row_in_range(part, cell_row, Some(&name))?;
                let cell_col = col_in_range(part, cell_col, &name)?;
                next_col = cell_col.saturating_add(1);
                let body = if has_body {
                    read_cell_body(part, &mut buf, &name)?
                } else {
                    CellBody::default()
                };
                let cell = cell_value(part, &start, body, &name, shared, styles)?;
                grid.place(cell_row, cell_col, cell)
                    .map_err(|TooManyCells| {
                        part.error(
                            Some(name.clone()),
                            format!(
                                "{} holds more than {} cells (counting each row up to its last \
                             filled cell; passed at cell {name}); refusing to read it",
                                part.part.label,
                                thousands(limits.max_cells)
                            ),
                        )
                    })?;
            }
        }
    }
    Ok(grid.rows)
}

fn sheet_step<R: Read>(
    part: &PartReader<'_, R>,
    element: &BytesStart<'_>,
    is_start: bool,
    in_data: bool,
) -> Result<SheetStep, XlsxError> {
    Ok(match element.local_name().as_ref() {
        b"sheetData" if is_start => SheetStep::EnterData,
        b"row" if in_data => {
            let [number] = part.attrs(element, [b"r"])?;
            SheetStep::Row(number)
        }
        b"c" if in_data => {
            let [reference, style, kind] = part.attrs(element, [b"r", b"s", b"t"])?;
            SheetStep::Cell {
                start: CellStart {
                    reference,
                    style,
                    kind,
                },
                has_body: is_start,
            }
        }
        _ => SheetStep::Nothing,
    })
}

fn parse_row_number<R: Read>(part: &PartReader<'_, R>, text: &str) -> Result<u32, XlsxError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(part.error(
            None,
            format!(
                "in {}, the row number `{}` is malformed",
                part.part.label,
                shorten(text)
            ),
        ));
    }
    row_in_range(part, saturating_digits(trimmed), None)
}

fn row_in_range<R: Read>(
    part: &PartReader<'_, R>,
    row: u64,
    cell: Option<&str>,
) -> Result<u32, XlsxError> {
    let max = part.limits.max_rows;
    match u32::try_from(row) {
        Ok(row) if row >= 1 && row <= max => return Ok(row),
        _ => {}
    }
    let what = match cell {
        Some(cell) => format!("cell {cell}"),
        None => format!("row {}", thousands(row)),
    };
    let message = if row == 0 {
        format!(
            "in {}, {what} is in row 0; rows start at 1",
            part.part.label
        )
    } else if max == EXCEL_MAX_ROWS {
        format!(
            "in {}, {what} is outside Excel's {} rows",
            part.part.label,
            thousands(u64::from(max))
        )
    } else {
        format!(
            "in {}, {what} is beyond row {}, the last this reader accepts",
            part.part.label,
            thousands(u64::from(max))
        )
    };
    Err(part.error(cell.map(str::to_owned), message))
}

fn col_in_range<R: Read>(part: &PartReader<'_, R>, col: u64, cell: &str) -> Result<u32, XlsxError> {
    let max = part.limits.max_cols;
    match u32::try_from(col) {
        Ok(col) if col >= 1 && col <= max => return Ok(col),
        _ => {}
    }
    let message = if max == EXCEL_MAX_COLS {
        format!(
            "in {}, cell {cell} is outside Excel's {} columns (A to XFD)",
            part.part.label,
            thousands(u64::from(max))
        )
    } else {
        format!(
            "in {}, cell {cell} is beyond column {} ({}), the last this reader accepts",
            part.part.label,
            thousands(u64::from(max)),
            column_letters(u64::from(max))
        )
    };
    Err(part.error(Some(cell.to_owned()), message))
}

/// Reads the rest of a `<c>` element just started.
fn read_cell_body<R: Read>(
    part: &mut PartReader<'_, R>,
    buf: &mut Vec<u8>,
    name: &str,
) -> Result<CellBody, XlsxError> {
    /// What a child of `<c>` holds.
    enum Child {
        Value,
        Inline,
    }
    let site = TextSite::Cell(name);
    let level = part.depth;
    let mut body = CellBody::default();
    loop {
        let child = match part.next(buf, Some(site))? {
            Event::Start(element) => match element.local_name().as_ref() {
                b"v" => Some(Child::Value),
                b"is" => Some(Child::Inline),
                _ => None,
            },
            Event::Empty(element) => {
                match element.local_name().as_ref() {
                    b"v" => body.value = Some(String::new()),
                    b"is" => body.inline = Some(String::new()),
                    _ => {}
                }
                None
            }
            Event::End(_) if part.depth < level => return Ok(body),
            Event::Eof => return Err(part.truncated()),
            _ => None,
        };
        match child {
            Some(Child::Value) => body.value = Some(part.read_plain_text(buf, site)?),
            Some(Child::Inline) => {
                let mut text = String::new();
                part.read_rich_text(buf, &mut text, 0, site)?;
                body.inline = Some(text);
            }
            None => {}
        }
    }
}

/// Interprets a cell's value by its type attribute `t`.
fn cell_value<R: Read>(
    part: &PartReader<'_, R>,
    start: &CellStart,
    body: CellBody,
    name: &str,
    shared: &SharedStrings,
    styles: &Styles,
) -> Result<XCell, XlsxError> {
    let label = &part.part.label;
    let fail = |message: String| part.error(Some(name.to_owned()), message);
    let kind = start.kind.as_deref().unwrap_or("n");
    if kind == "inlineStr" {
        let text = body.inline.or(body.value).unwrap_or_default();
        return Ok(text_cell(decode_escapes(&text).into_owned()));
    }
    let Some(value) = body.value else {
        return Ok(XCell::Empty);
    };
    let trimmed = value.trim();
    match kind {
        "n" => {
            if trimmed.is_empty() {
                return Ok(XCell::Empty);
            }
            let number: f64 = trimmed.parse().map_err(|_| {
                fail(format!(
                    "in {label}, cell {name} holds `{}`, which is not a number",
                    shorten(trimmed)
                ))
            })?;
            if !number.is_finite() {
                return Err(fail(format!(
                    "in {label}, cell {name} holds `{}`, which is not a finite number",
                    shorten(trimmed)
                )));
            }
            let percent = match start.style.as_deref() {
                None => false,
                Some(style) => {
                    let index: usize = style.trim().parse().map_err(|_| {
                        fail(format!(
                            "in {label}, cell {name} has a malformed style `{}`",
                            shorten(style)
                        ))
                    })?;
                    styles.is_percent(index).ok_or_else(|| {
                        fail(format!(
                            "in {label}, cell {name} uses style {index}, which the workbook's \
                             styles do not define"
                        ))
                    })?
                }
            };
            Ok(XCell::Number {
                value: number,
                percent,
            })
        }
        "s" => {
            let index: usize = trimmed.parse().map_err(|_| {
                fail(format!(
                    "in {label}, cell {name} holds `{}`, which is not a shared-string number",
                    shorten(trimmed)
                ))
            })?;
            let text = shared.get(index).ok_or_else(|| {
                fail(format!(
                    "in {label}, cell {name} refers to shared string number {}, but the \
                     workbook has {}",
                    thousands(u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1)),
                    thousands(u64::try_from(shared.len()).unwrap_or(u64::MAX))
                ))
            })?;
            Ok(text_cell(text.to_owned()))
        }
        "str" => Ok(text_cell(decode_escapes(&value).into_owned())),
        "b" => match trimmed {
            "1" | "true" => Ok(XCell::Bool(true)),
            "0" | "false" => Ok(XCell::Bool(false)),
            other => Err(fail(format!(
                "in {label}, cell {name} holds `{}`, which is not TRUE or FALSE",
                shorten(other)
            ))),
        },
        "e" if trimmed.is_empty() => Ok(XCell::Empty),
        "e" => Ok(XCell::Error(trimmed.to_owned())),
        "d" => Ok(text_cell(trimmed.to_owned())),
        other => Err(fail(format!(
            "in {label}, cell {name} has an unknown type `{}`",
            shorten(other)
        ))),
    }
}

fn text_cell(text: String) -> XCell {
    if text.is_empty() {
        XCell::Empty
    } else {
        XCell::Text(text)
    }
}

// ---------------------------------------------------------------------------
// Cell references and messages

/// Parses an A1 reference (`B3`; `$B$3` and lower case are accepted) into
/// 1-based (row, column), saturating instead of overflowing so that any
/// length is safe; range checks come after. `None` if it is not of the
/// form letters-then-digits, or a part is zero.
fn parse_reference(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let text = text.strip_prefix('$').unwrap_or(text);
    let split = text.find(|ch: char| !ch.is_ascii_alphabetic())?;
    let (letters, digits) = text.split_at(split);
    let digits = digits.strip_prefix('$').unwrap_or(digits);
    if letters.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = letters.bytes().fold(0u64, |col, letter| {
        let value = u64::from(letter.to_ascii_uppercase() - b'A' + 1);
        col.saturating_mul(26).saturating_add(value)
    });
    let row = saturating_digits(digits);
    (row >= 1 && col >= 1).then_some((row, col))
}

/// The value of a string of ASCII digits, saturating at `u64::MAX`.
fn saturating_digits(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |number, digit| {
        number
            .saturating_mul(10)
            .saturating_add(u64::from(digit.wrapping_sub(b'0')))
    })
}

/// Column letters for a 1-based column number: 1 is A, 16,384 is XFD.
fn column_letters(mut col: u64) -> String {
    let mut letters = Vec::new();
    while col > 0 {
        col -= 1;
        // `col % 26` is below 26, so the cast cannot truncate.
        letters.push(b'A' + (col % 26) as u8);
        col /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The A1 name of a 1-based (row, column).
fn cell_name(row: u64, col: u64) -> String {
    format!("{}{row}", column_letters(col))
}

/// Cuts text quoted from the file to a length fit for a message.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// `16000000` as `16,000,000`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    // The first group holds what is left over after whole groups of three.
    let head = match digits.len() % 3 {
        0 => 3,
        partial => partial,
    };
    let (first, rest) = digits.split_at(head.min(digits.len()));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(first);
    for group in rest.as_bytes().chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

/// A byte count in the largest binary unit that divides it evenly.
fn size(bytes: u64) -> String {
    const UNITS: [(u32, &str); 3] = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
    for (shift, name) in UNITS {
        let unit = 1u64 << shift;
        // The units are powers of two: divisible means no bits below `unit`.
        if bytes >= unit && bytes & (unit - 1) == 0 {
            return format!("{} {name}", thousands(bytes / unit));
        }
    }
    format!("{} bytes", thousands(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;

    /// A zip archive of the given parts.
    fn zip_parts(parts: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, data) in parts {
            writer.start_file(*name, options).expect("start part");
            writer.write_all(data).expect("write part");
        }
        writer.finish().expect("finish zip").into_inner()
    }

    fn workbook_xml(names: &[&str]) -> String {
        let sheets: String = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                format!(
                    r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#,
                    n = i + 1
                )
            })
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
        )
    }

    fn rels_xml(targets: &[&str]) -> String {
        let rels: String = targets
            .iter()
            .enumerate()
            .map(|(i, target)| {
                format!(
                    r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/>"#,
                    i + 1
                )
            })
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        )
    }

    fn sheet_xml(data: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
        )
    }

    /// A workbook with one sheet named `Data`, built by hand so tests can
    /// hold what real writers rarely produce.
    fn one_sheet(
        sheet: &str,
        shared: Option<&str>,
        styles: Option<&str>,
        method: CompressionMethod,
    ) -> Vec<u8> {
        let workbook = workbook_xml(&["Data"]);
        let rels = rels_xml(&["worksheets/sheet1.xml"]);
        let mut parts: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ];
        if let Some(shared) = shared {
            parts.push(("xl/sharedStrings.xml", shared.as_bytes()));
        }
        if let Some(styles) = styles {
            parts.push(("xl/styles.xml", styles.as_bytes()));
        }
        zip_parts(&parts, method)
    }

    fn open(bytes: Vec<u8>, limits: Limits) -> Result<Workbook<Cursor<Vec<u8>>>, XlsxError> {
        Workbook::open(Cursor::new(bytes), limits)
    }

    fn read_first(bytes: Vec<u8>, limits: Limits) -> Result<XSheet, XlsxError> {
        open(bytes, limits)?.read_sheet(0)
    }

    fn text(value: &str) -> XCell {
        XCell::Text(value.to_owned())
    }

    fn number(value: f64) -> XCell {
        XCell::Number {
            value,
            percent: false,
        }
    }

    fn percent(value: f64) -> XCell {
        XCell::Number {
            value,
            percent: true,
        }
    }

    /// A real workbook, written by rust_xlsxwriter.
    fn written_workbook() -> Vec<u8> {
        use rust_xlsxwriter::{Format, Workbook as Writer};
        let mut book = Writer::new();
        let pct = Format::new().set_num_format("0.0%");
        let builtin_pct = Format::new().set_num_format("0%");
        let decimal = Format::new().set_num_format("0.00");
        let sheet = book.add_worksheet();
        sheet.set_name("General").expect("name");
        sheet.write_string(0, 0, "RCDTS").expect("write");
        sheet.write_string(0, 1, "% Met").expect("write");
        sheet.write_string(0, 2, "Enrollment").expect("write");
        sheet.write_string(0, 3, "Title I").expect("write");
        sheet.write_string(1, 0, "150162990250000").expect("write");
        sheet
            .write_number_with_format(1, 1, 0.439, &pct)
            .expect("write");
        sheet.write_number(1, 2, 412.0).expect("write");
        sheet.write_boolean(1, 3, true).expect("write");
        // Row 3 has a gap at column A and ends at column C.
        sheet
            .write_number_with_format(2, 1, 0.5, &builtin_pct)
            .expect("write");
        sheet
            .write_number_with_format(2, 2, 12.25, &decimal)
            .expect("write");
        sheet.write_boolean(2, 3, false).expect("write");
        let second = book.add_worksheet();
        second.set_name("Notes & Sources").expect("name");
        second.write_string(1, 1, "a < b").expect("write");
        book.save_to_buffer().expect("save")
    }

    #[test]
    fn reads_a_workbook_written_by_rust_xlsxwriter() {
        let mut book = open(written_workbook(), Limits::default()).expect("open");
        assert_eq!(book.sheet_names(), ["General", "Notes & Sources"]);
        let sheet = book.read_sheet(0).expect("sheet");
        assert_eq!(sheet.name, "General");
        assert_eq!(
            sheet.rows,
            vec![
                vec![
                    text("RCDTS"),
                    text("% Met"),
                    text("Enrollment"),
                    text("Title I")
                ],
                vec![
                    text("150162990250000"),
                    percent(0.439),
                    number(412.0),
                    XCell::Bool(true)
                ],
                vec![
                    XCell::Empty,
                    percent(0.5),
                    number(12.25),
                    XCell::Bool(false)
                ],
            ]
        );
        let notes = book.read_sheet(1).expect("second sheet");
        assert_eq!(notes.name, "Notes & Sources");
        assert_eq!(notes.rows, vec![vec![], vec![XCell::Empty, text("a < b")]]);
        let missing = book.read_sheet(2).expect_err("no third sheet");
        assert!(missing.message.contains("no sheet number 3"), "{missing}");
    }

    const RICH_SHARED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
<si><t>District</t></si>
<si><r><rPr><b/></rPr><t>Percent </t></r><r><t xml:space="preserve">Met &amp; Exceeded </t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>
<si><t>Line_x000D_
break &#x41;&#66;</t></si>
<si/>
</sst>"#;

    #[test]
    fn reads_hand_built_cells_of_every_kind() {
        let sheet = sheet_xml(concat!(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>"#,
            r#"<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>"#,
            r#"<row r="2"><c r="A2" t="inlineStr"><is><t>Inline &lt;text&gt;</t></is></c>"#,
            r#"<c r="B2" t="e"><f>NA()</f><v>#N/A</v></c><c r="C2" t="e"><v>#DIV/0!</v></c>"#,
            r#"<c r="D2" t="str"><f>A1&amp;"!"</f><v>District!</v></c>"#,
            r#"<c r="E2" t="d"><v>2024-10-30T00:00:00</v></c></row>"#,
            // Neither the row nor its cells say where they are.
            r#"<row><c><v>1.5</v></c><c t="b"><v>1</v></c><c/><c t="inlineStr"><is><r><t>rich</t></r><r><t> run</t></r></is></c></row>"#,
            r#"<row r="5"><c r="C5"><v>-2E3</v></c><c><v>7</v></c></row>"#,
        ));
        let bytes = one_sheet(&sheet, Some(RICH_SHARED), None, CompressionMethod::Deflated);
        let sheet = read_first(bytes, Limits::default()).expect("read");
        assert_eq!(
            sheet.rows,
            vec![
                vec![
                    text("District"),
                    text("Percent Met & Exceeded "),
                    text("Line\r\nbreak AB"),
                ],
                vec![
                    text("Inline <text>"),
                    XCell::Error("#N/A".into()),
                    XCell::Error("#DIV/0!".into()),
                    text("District!"),
                    text("2024-10-30T00:00:00"),
                ],
                vec![
                    number(1.5),
                    XCell::Bool(true),
                    XCell::Empty,
                    text("rich run")
                ],
                vec![],
                vec![XCell::Empty, XCell::Empty, number(-2000.0), number(7.0)],
            ]
        );
    }

    #[test]
    fn reads_percent_styles_from_custom_and_builtin_formats() {
        let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="&quot;%&quot;0.0"/><numFmt numFmtId="166" formatCode="[Red]0\%"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs>
<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="9"/><xf numFmtId="10" applyNumberFormat="1"><alignment/></xf><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs>
</styleSheet>"#;
        let sheet = sheet_xml(concat!(
            r#"<row r="1"><c r="A1" s="0"><v>1</v></c><c r="B1" s="1"><v>0.25</v></c>"#,
            r#"<c r="C1" s="2"><v>0.5</v></c><c r="D1" s="3"><v>0.439</v></c>"#,
            r#"<c r="E1" s="4"><v>3</v></c><c r="F1" s="5"><v>4</v></c></row>"#,
        ));
        let bytes = one_sheet(&sheet, None, Some(styles), CompressionMethod::Deflated);
        let sheet = read_first(bytes, Limits::default()).expect("read");
        assert_eq!(
            sheet.rows,
            vec![vec![
                number(1.0),
                percent(0.25),
                percent(0.5),
                percent(0.439),
                number(3.0),
                number(4.0),
            ]]
        );

        let undefined = one_sheet(
            &sheet_xml(r#"<row r="1"><c r="A1" s="6"><v>1</v></c></row>"#),
            None,
            Some(styles),
            CompressionMethod::Deflated,
        );
        let err = read_first(undefined, Limits::default()).expect_err("style 6 is undefined");
        assert_eq!(err.cell.as_deref(), Some("A1"));
        assert!(err.message.contains("style 6"), "{err}");
    }

    #[test]
    fn resolves_absolute_relationship_targets() {
        let workbook = workbook_xml(&["Only"]);
        let rels = rels_xml(&["/xl/worksheets/data.xml"]);
        let sheet = sheet_xml(r#"<row r="1"><c r="A1"><v>3</v></c></row>"#);
        let bytes = zip_parts(
            &[
                ("xl/workbook.xml", workbook.as_bytes()),
                ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
                ("xl/worksheets/data.xml", sheet.as_bytes()),
            ],
            CompressionMethod::Stored,
        );
        let sheet = read_first(bytes, Limits::default()).expect("read");
        assert_eq!(sheet.name, "Only");
        assert_eq!(sheet.rows, vec![vec![number(3.0)]]);
    }

    #[test]
    fn refuses_a_far_cell_before_allocating() {
        let sheet = sheet_xml(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
        let bytes = one_sheet(&sheet, None, None, CompressionMethod::Deflated);
        // Dense, that one cell is a row of 16,384 cells: more than allowed.
        let limits = Limits {
            max_cells: 10_000,
            ..Limits::default()
        };
        let err = read_first(bytes, limits).expect_err("too many cells");
        assert_eq!(err.sheet.as_deref(), Some("Data"));
        assert_eq!(err.cell.as_deref(), Some("XFD1048576"));
        assert!(err.message.contains("more than 10,000 cells"), "{err}");
    }

    #[test]
    fn refuses_cells_outside_excel() {
        let beyond_rows = one_sheet(
            &sheet_xml(r#"<row><c r="XFD1048577"><v>1</v></c></row>"#),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(beyond_rows, Limits::default()).expect_err("row too far");
        assert_eq!(err.cell.as_deref(), Some("XFD1048577"));
        assert_eq!(
            err.message,
            "in the sheet `Data`, cell XFD1048577 is outside Excel's 1,048,576 rows"
        );

        let beyond_cols = one_sheet(
            &sheet_xml(r#"<row><c r="XFE1"><v>1</v></c></row>"#),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(beyond_cols, Limits::default()).expect_err("column too far");
        assert_eq!(
            err.message,
            "in the sheet `Data`, cell XFE1 is outside Excel's 16,384 columns (A to XFD)"
        );

        let overflowing = one_sheet(
            &sheet_xml(r#"<row><c r="ZZZZZZZZZZZZZZ99999999999999999999999"><v>1</v></c></row>"#),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(overflowing, Limits::default()).expect_err("far beyond");
        assert!(err.message.contains("is outside Excel's"), "{err}");

        let narrow = Limits {
            max_cols: 3,
            ..Limits::default()
        };
        let bytes = one_sheet(
            &sheet_xml(r#"<row><c><v>1</v></c><c/><c/><c><v>4</v></c></row>"#),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(bytes, narrow).expect_err("implicit column D");
        assert_eq!(err.cell.as_deref(), Some("D1"));
        assert!(err.message.contains("beyond column 3 (C)"), "{err}");

        let beyond_row_element = one_sheet(
            &sheet_xml(r#"<row r="1048576"/><row><c><v>1</v></c></row>"#),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(beyond_row_element, Limits::default()).expect_err("row 1048577");
        assert!(err.message.contains("row 1,048,577 is outside"), "{err}");

        for bad in ["1A", "A0", "A", "A1B", ""] {
            let bytes = one_sheet(
                &sheet_xml(&format!(r#"<row><c r="{bad}"><v>1</v></c></row>"#)),
                None,
                None,
                CompressionMethod::Stored,
            );
            let err = read_first(bytes, Limits::default()).expect_err(bad);
            assert!(err.message.contains("malformed"), "{bad}: {err}");
        }
    }

    #[test]
    fn ignores_a_claimed_dimension() {
        let sheet = sheet_xml(
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B2"><v>2</v></c></row>"#,
        );
        let bytes = one_sheet(
            &sheet.replace(
                "<sheetData>",
                r#"<dimension ref="A1:XFD1048576"/><sheetData>"#,
            ),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let limits = Limits {
            max_cells: 3,
            ..Limits::default()
        };
        let sheet = read_first(bytes, limits).expect("read");
        assert_eq!(
            sheet.rows,
            vec![vec![number(1.0)], vec![XCell::Empty, number(2.0)]]
        );
    }

    /// A sheet of `rows` rows of a few numbers: compresses very well.
    fn big_sheet(rows: usize) -> String {
        let data: String = (1..=rows)
            .map(|r| {
                format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>0</v></c></row>"#)
            })
            .collect();
        sheet_xml(&data)
    }

    #[test]
    fn refuses_a_part_that_unpacks_past_the_limit() {
        let sheet = big_sheet(5_000);
        assert!(sheet.len() > 200_000);
        let bytes = one_sheet(&sheet, None, None, CompressionMethod::Deflated);
        assert!(bytes.len() < 60_000, "compressed to {}", bytes.len());
        let limits = Limits {
            max_part_bytes: 64 << 10,
            ..Limits::default()
        };
        let err = read_first(bytes.clone(), limits).expect_err("part too big");
        assert_eq!(err.sheet.as_deref(), Some("Data"));
        assert_eq!(
            err.message,
            "the sheet `Data` unpacks to more than 64 KiB; refusing to read it"
        );

        let limits = Limits {
            max_total_bytes: 100 << 10,
            ..Limits::default()
        };
        let err = read_first(bytes.clone(), limits).expect_err("workbook too big");
        assert!(
            err.message
                .starts_with("the workbook unpacks to more than 100 KiB in all"),
            "{err}"
        );

        let sheet = read_first(bytes, Limits::default()).expect("read within limits");
        assert_eq!(sheet.rows.len(), 5_000);
    }

    #[test]
    fn refuses_a_shared_strings_table_past_the_limit() {
        let strings: String = (0..5_000)
            .map(|i| format!("<si><t>s{i}</t></si>"))
            .collect();
        let shared = format!("<sst>{strings}</sst>");
        let bytes = one_sheet(
            &sheet_xml(""),
            Some(&shared),
            None,
            CompressionMethod::Deflated,
        );
        let limits = Limits {
            max_part_bytes: 16 << 10,
            ..Limits::default()
        };
        let err = open(bytes, limits).err().expect("shared strings too big");
        assert_eq!(
            err.message,
            "the shared-strings table unpacks to more than 16 KiB; refusing to read it"
        );
    }

    #[test]
    fn refuses_text_longer_than_the_limit() {
        let limits = || Limits {
            max_text_bytes: 100,
            ..Limits::default()
        };
        let long = "x".repeat(101);
        let inline = one_sheet(
            &sheet_xml(&format!(
                r#"<row r="1"><c r="C1" t="inlineStr"><is><t>{long}</t></is></c></row>"#
            )),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(inline, limits()).expect_err("inline text too long");
        assert_eq!(err.cell.as_deref(), Some("C1"));
        assert_eq!(
            err.message,
            "in the sheet `Data`, cell C1 holds more than 100 bytes of text; refusing to read it"
        );

        // Split by entity references, the text still counts as one.
        let runs = "&amp;".repeat(101);
        let split = one_sheet(
            &sheet_xml(&format!(
                r#"<row r="1"><c r="A1" t="str"><v>{runs}</v></c></row>"#
            )),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(split, limits()).expect_err("referenced text too long");
        assert_eq!(err.cell.as_deref(), Some("A1"));

        let shared = format!("<sst><si><t>ok</t></si><si><t>{long}</t></si></sst>");
        let bytes = one_sheet(
            &sheet_xml(""),
            Some(&shared),
            None,
            CompressionMethod::Deflated,
        );
        let err = open(bytes, limits()).err().expect("shared text too long");
        assert!(
            err.message
                .contains("string number 2 holds more than 100 bytes"),
            "{err}"
        );

        let exact = "y".repeat(100);
        let bytes = one_sheet(
            &sheet_xml(&format!(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>{exact}</t></is></c></row>"#
            )),
            None,
            None,
            CompressionMethod::Deflated,
        );
        let sheet = read_first(bytes, limits()).expect("100 bytes is allowed");
        assert_eq!(sheet.rows, vec![vec![text(&exact)]]);
    }

    #[test]
    fn refuses_a_text_bomb_without_holding_it() {
        // 64 MiB of text in one cell, a few tens of kilobytes compressed.
        let mut sheet = Vec::new();
        sheet.extend_from_slice(
            br#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#,
        );
        sheet.resize(sheet.len() + (64 << 20), b'a');
        sheet.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
        let workbook = workbook_xml(&["Data"]);
        let rels = rels_xml(&["worksheets/sheet1.xml"]);
        let bytes = zip_parts(
            &[
                ("xl/workbook.xml", workbook.as_bytes()),
                ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
                ("xl/worksheets/sheet1.xml", &sheet),
            ],
            CompressionMethod::Deflated,
        );
        drop(sheet);
        assert!(bytes.len() < 1 << 20, "compressed to {}", bytes.len());
        let mut book = open(bytes, Limits::default()).expect("open");
        let err = book.read_sheet(0).expect_err("text bomb");
        assert_eq!(err.cell.as_deref(), Some("A1"));
        assert!(
            err.message.contains("more than 32,767 bytes of text"),
            "{err}"
        );
        // Refused at the event bound: far less than the 64 MiB was unpacked.
        assert!(book.unpacked < 4 << 20, "unpacked {}", book.unpacked);
    }

    #[test]
    fn reports_bad_cell_contents() {
        let cases = [
            (
                r#"<c r="B3" t="s"><v>9</v></c>"#,
                "shared string number 10, but the workbook has 4",
            ),
            (r#"<c r="B3"><v>1e999</v></c>"#, "not a finite number"),
            (r#"<c r="B3"><v>NaN</v></c>"#, "not a finite number"),
            (r#"<c r="B3"><v>12abc</v></c>"#, "which is not a number"),
            (r#"<c r="B3" t="b"><v>2</v></c>"#, "not TRUE or FALSE"),
            (r#"<c r="B3" t="zz"><v>2</v></c>"#, "unknown type `zz`"),
        ];
        for (cell, expected) in cases {
            let bytes = one_sheet(
                &sheet_xml(&format!(r#"<row r="3">{cell}</row>"#)),
                Some(RICH_SHARED),
                None,
                CompressionMethod::Stored,
            );
            let err = read_first(bytes, Limits::default()).expect_err(cell);
            assert_eq!(err.cell.as_deref(), Some("B3"), "{cell}");
            assert_eq!(err.sheet.as_deref(), Some("Data"), "{cell}");
            assert!(err.message.contains(expected), "{cell}: {err}");
        }
    }

    #[test]
    fn reports_malformed_xml_naming_the_sheet() {
        let bytes = one_sheet(
            "<worksheet><sheetData><row><c><v>1</c></row></sheetData></worksheet>",
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(bytes, Limits::default()).expect_err("mismatched tags");
        assert_eq!(err.sheet.as_deref(), Some("Data"));
        assert!(
            err.message
                .starts_with("the sheet `Data` is not well-formed XML (xl/worksheets/sheet1.xml"),
            "{err}"
        );

        let bytes = one_sheet(
            "<worksheet><sheetData><row><c><v>1</v>",
            None,
            None,
            CompressionMethod::Deflated,
        );
        let err = read_first(bytes, Limits::default()).expect_err("unclosed");
        assert!(
            err.message.contains("ends before its XML is complete"),
            "{err}"
        );
    }

    #[test]
    fn refuses_what_is_not_an_xlsx_workbook() {
        let err = open(b"RCDTS,District\n1,Foo\n".to_vec(), Limits::default())
            .err()
            .expect("csv");
        assert_eq!(
            err.message,
            "this is not an .xlsx workbook (not a zip archive): save it as .xlsx or as CSV"
        );

        let err = open(Vec::new(), Limits::default()).err().expect("empty");
        assert!(err.message.contains("not a zip archive"), "{err}");

        let mut compound = COMPOUND_FILE_MAGIC.to_vec();
        compound.resize(4096, 0);
        let err = open(compound, Limits::default()).err().expect("xls");
        assert!(
            err.message
                .contains("password-protected or in the old .xls"),
            "{err}"
        );

        let other_zip = zip_parts(&[("hello.txt", b"hi")], CompressionMethod::Deflated);
        let err = open(other_zip, Limits::default()).err().expect("plain zip");
        assert!(
            err.message.starts_with("this is not an .xlsx workbook"),
            "{err}"
        );

        let xlsb = zip_parts(&[("xl/workbook.bin", b"\0")], CompressionMethod::Stored);
        let err = open(xlsb, Limits::default()).err().expect("xlsb");
        assert!(err.message.contains(".xlsb"), "{err}");
    }

    #[test]
    fn reports_a_sheet_whose_part_is_missing() {
        let workbook = workbook_xml(&["Listed", "Unlinked"]);
        let rels = rels_xml(&["worksheets/sheet1.xml"]);
        let bytes = zip_parts(
            &[
                ("xl/workbook.xml", workbook.as_bytes()),
                ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
            ],
            CompressionMethod::Stored,
        );
        let mut book = open(bytes, Limits::default()).expect("open");
        let err = book.read_sheet(0).expect_err("part missing");
        assert!(
            err.message
                .contains("xl/worksheets/sheet1.xml, which is missing"),
            "{err}"
        );
        let err = book.read_sheet(1).expect_err("no relationship");
        assert!(err.message.contains("relationship `rId2`"), "{err}");
    }

    #[test]
    fn refuses_garbage_and_truncated_workbooks() {
        let mut state = 0x2545_f491_4f6c_dd1d;
        let garbage: Vec<u8> = (0..4096).map(|_| xorshift(&mut state) as u8).collect();
        assert!(open(garbage, Limits::default()).is_err());

        let mut zip_header_garbage = b"PK\x03\x04".to_vec();
        zip_header_garbage.extend((0..1000).map(|_| xorshift(&mut state) as u8));
        let err = open(zip_header_garbage, Limits::default())
            .err()
            .expect("damaged");
        assert!(err.message.contains("damaged"), "{err}");

        let whole = written_workbook();
        for len in (0..whole.len()).step_by(97).chain([whole.len() - 1]) {
            let cut = whole.get(..len).unwrap_or_default().to_vec();
            assert!(read_all(cut).is_err(), "truncated at {len} read fine");
        }
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Opens a workbook and reads every sheet; the first error wins.
    fn read_all(bytes: Vec<u8>) -> Result<usize, XlsxError> {
        let limits = Limits {
            max_rows: 10_000,
            ..Limits::default()
        };
        let mut book = open(bytes, limits)?;
        let mut cells = 0;
        for index in 0..book.sheet_names().len() {
            cells += book
                .read_sheet(index)?
                .rows
                .iter()
                .map(Vec::len)
                .sum::<usize>();
        }
        Ok(cells)
    }

    /// Overwrites, inserts, deletes or truncates a few bytes.
    fn mutate(bytes: &mut Vec<u8>, state: &mut u64) {
        const INTERESTING: &[u8] = b"<>/\"'&;=0123456789AZaz_#%$ \0\xff";
        for _ in 0..1 + xorshift(state) % 4 {
            if bytes.is_empty() {
                bytes.push(b'<');
            }
            let at = (xorshift(state) % bytes.len() as u64) as usize;
            let pick = xorshift(state);
            let byte = if pick & 1 == 0 {
                INTERESTING[(pick / 2 % INTERESTING.len() as u64) as usize]
            } else {
                (pick >> 8) as u8
            };
            match xorshift(state) % 8 {
                0..=3 => bytes[at] = byte,
                4 | 5 => bytes.insert(at, byte),
                6 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
    }

    #[test]
    fn survives_mutated_archives() {
        let seeds = [
            written_workbook(),
            one_sheet(
                &sheet_xml(concat!(
                    r#"<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row>"#,
                    r#"<row><c t="e"><v>#N/A</v></c><c s="1"><v>0.5</v></c></row>"#
                )),
                Some(RICH_SHARED),
                Some(
                    r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="0.0%"/></numFmts><cellXfs><xf/><xf numFmtId="164"/></cellXfs></styleSheet>"#,
                ),
                CompressionMethod::Stored,
            ),
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let mut outcomes = [0usize; 2];
        for seed in &seeds {
            for _ in 0..1_500 {
                let mut bytes = seed.clone();
                mutate(&mut bytes, &mut state);
                outcomes[usize::from(read_all(bytes).is_ok())] += 1;
            }
        }
        // Some mutations must get through to the XML to be worth anything.
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    }

    #[test]
    fn survives_mutated_xml() {
        let sheet = sheet_xml(concat!(
            r#"<dimension ref="A1:C3"/><row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c>"#,
            r#"<c r="B1" s="1"><f>1/2</f><v>0.5</v></c><c r="C1" t="b"><v>1</v></c></row>"#,
            r#"<row><c t="inlineStr"><is><r><t xml:space="preserve">a &amp; b</t></r></is></c>"#,
            r#"<c t="e"><v>#N/A</v></c><c t="str"><v>x_x000D_y</v></c></row>"#
        ));
        let styles = r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="0.0&quot;%&quot;%"/></numFmts><cellXfs><xf/><xf numFmtId="164"/></cellXfs></styleSheet>"#;
        let parts = [sheet.as_str(), RICH_SHARED, styles];
        let mut state = 0xdead_beef_cafe_f00d;
        let mut read_fine = 0;
        for round in 0..3_000 {
            let mut mutated: Vec<Vec<u8>> = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
            let target = round % mutated.len();
            if let Some(part) = mutated.get_mut(target) {
                mutate(part, &mut state);
            }
            let text = |i: usize| String::from_utf8_lossy(&mutated[i]).into_owned();
            let bytes = one_sheet(
                &text(0),
                Some(&text(1)),
                Some(&text(2)),
                CompressionMethod::Stored,
            );
            if read_all(bytes).is_ok() {
                read_fine += 1;
            }
        }
        assert!(read_fine > 0);
    }

    #[test]
    fn parses_cell_references_without_overflow() {
        assert_eq!(parse_reference("A1"), Some((1, 1)));
        assert_eq!(parse_reference("b3"), Some((3, 2)));
        assert_eq!(parse_reference("$AA$10"), Some((10, 27)));
        assert_eq!(parse_reference("XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(
            parse_reference("ZZZZZZZZZZZZZZZZZ99999999999999999999999"),
            Some((u64::MAX, u64::MAX))
        );
        for bad in ["", "A", "1", "A0", "1A", "A1A", "A-1", "É1", "A 1"] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
        assert_eq!(cell_name(1, 1), "A1");
        assert_eq!(cell_name(1_048_576, 16_384), "XFD1048576");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(u64::MAX).len(), 14);
    }

    #[test]
    fn recognises_percent_format_codes() {
        for code in ["0%", "0.0%", "#,##0.00%;-0.00%", "[Red]0.0%", "0.0%\"pts\""] {
            assert!(format_is_percent(code), "{code}");
        }
        for code in [
            "General", "0.0", "\"%\"0", "0\\%", "0_%", "0*%", "[%]0", "@",
        ] {
            assert!(!format_is_percent(code), "{code}");
        }
    }

    #[test]
    fn decodes_ooxml_escapes() {
        assert_eq!(decode_escapes("a_x000D_b"), "a\rb");
        assert_eq!(decode_escapes("_x005F_x000D_"), "_x000D_");
        assert_eq!(decode_escapes("_x00_ _xZZZZ_ _x"), "_x00_ _xZZZZ_ _x");
        assert_eq!(decode_escapes("_xD800_"), "_xD800_");
        assert_eq!(decode_escapes("é_x00e9_"), "éé");
        let mut text = String::from("keep_x0041_ tail_x0042_");
        decode_escapes_from(&mut text, 11);
        assert_eq!(text, "keep_x0041_ tailB");
    }

    #[test]
    fn resolves_targets_and_formats_numbers() {
        assert_eq!(
            resolve_target("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve_target("xl", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(resolve_target("xl", "../xl/./a.xml"), "xl/a.xml");
        assert_eq!(resolve_target("xl", "../../../a.xml"), "a.xml");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(32_767), "32,767");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(size(256 << 20), "256 MiB");
        assert_eq!(size(1 << 30), "1 GiB");
        assert_eq!(size(1000), "1,000 bytes");
        assert_eq!(shorten(&"é".repeat(50)).chars().count(), 41);
    }
}
