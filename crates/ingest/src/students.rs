//! Student-level records (`spec/data.md`), read fast: the file is cut into
//! one byte range per thread at line boundaries, each range is read in
//! 8 MiB blocks, and each record is split in place. Callers fold records
//! into per-range state; memory does not grow with the file.
//!
//! The files are real CSV (RFC 4180): any number of columns, fields quoted
//! where they hold commas, quotes or line breaks. A line without a quote
//! takes the fast path (split at commas, no copy); a quoted record is
//! unescaped into a scratch buffer. A quoted line break can fall on a
//! thread boundary; the range before it then ends inside a quote, which is
//! an error, and the file is read again on one thread, which is always right.

use crate::error::IngestError;
use crate::read::Progress;
use crate::sniff::{not_csv_message, sniff_text};
use empower_model::vocab::{not_one_of, shown};
use empower_model::Subject;
use empower_model::{Race, StudentRecord};
use memchr::{memchr, memchr2, memchr_iter};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Columns read from a student file (others, such as `enrolled_from`,
/// `enrolled_to` and `iep`, may be present).
pub const STUDENT_COLUMNS: [&str; 11] = [
    "student_id",
    "year",
    "school",
    "grade",
    "subject",
    "scale_score",
    "performance_level",
    "low_income",
    "el",
    "race",
    "district",
];

/// What a student record may hold, from the rules: years, levels and
/// scores in range, race codes from a list.
#[derive(Clone, Debug)]
pub struct StudentChecks {
    pub years: [u16; 2],
    pub levels: [u8; 2],
    pub scores: [f64; 2],
    pub race_codes: Vec<String>,
}

/// Counts a run reports about the records it read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanStats {
    pub records: u64,
    /// Records with an empty race (counted as "other" in the predictors).
    pub race_not_reported: u64,
}

/// Where the file's columns are, from its header.
struct Columns {
    index: [usize; 11],
    count: usize,
}

/// A source that reads at an offset: a file, or bytes in memory (tests and
/// fuzzing).
pub trait ReadAt: Sync {
    fn size(&self) -> std::io::Result<u64>;
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn size(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn size(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// Reads every record of `path` on `threads` threads. Each chunk gets its
/// own state from `init` and `each` folds records into it; the states come
/// back in file order, for the caller to merge.
pub fn scan_students<S, I, F>(
    path: &Path,
    threads: usize,
    checks: &StudentChecks,
    progress: &dyn Progress,
    init: I,
    each: F,
) -> Result<(Vec<S>, ScanStats), IngestError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &StudentRecord) + Sync,
{
    let file = std::fs::File::open(path)
        .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
    scan_source(&file, path, threads, checks, progress, init, each)
}

/// [`scan_students`] over any [`ReadAt`] source; `path` names it in errors.
pub fn scan_source<R, S, I, F>(
    source: &R,
    path: &Path,
    threads: usize,
    checks: &StudentChecks,
    progress: &dyn Progress,
    init: I,
    each: F,
) -> Result<(Vec<S>, ScanStats), IngestError>
where
    R: ReadAt + ?Sized,
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &StudentRecord) + Sync,
{
    let io_err = |e: std::io::Error| IngestError::file(path, format!("cannot read: {e}"));
    let len = usize::try_from(source.size().map_err(io_err)?).unwrap_or(usize::MAX);
    let (cols, body) = read_header(source, path, len)?;
    let threads = threads.clamp(1, 64);
    progress.start(path, len as u64);
    let result = scan_ranges(
        source, len, body, threads, &cols, checks, progress, &init, &each,
    );
    let result = match result {
        // A quoted line break may have split a record across two ranges:
        // one thread is always right.
        Err(_) if threads > 1 => {
            scan_ranges(source, len, body, 1, &cols, checks, progress, &init, &each)
        }
        r => r,
    };
    progress.finish();
    match result {
        Ok((_, stats)) if stats.records == 0 => Err(IngestError {
            row: Some(2),
            ..IngestError::file(path, "the file has a header but no student records")
        }),
        Ok(r) => Ok(r),
        Err(Failure {
            at,
            column,
            message,
        }) => Err(IngestError {
            row: Some(line_number(source, at).map_err(io_err)?),
            column: Some(column.to_string()),
            ..IngestError::file(path, message)
        }),
    }
}

/// The header line (quoted names allowed), the required columns found, and
/// the offset where the records start.
fn read_header<R: ReadAt + ?Sized>(
    source: &R,
    path: &Path,
    len: usize,
) -> Result<(Columns, usize), IngestError> {
    let io_err = |e: std::io::Error| IngestError::file(path, format!("cannot read: {e}"));
    let mut head = vec![0u8; len.min(1 << 16)];
    source.read_exact_at(&mut head, 0).map_err(io_err)?;
    if let Some(m) = not_csv_message(&head) {
        return Err(IngestError::file(path, m));
    }
    let bom = if head.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let header_end = match record_end(&head, bom, true) {
        Ok(Some((end, _))) if end < head.len() || len <= head.len() => end,
        _ => {
            return Err(IngestError::file(
                path,
                "no header line (or a header longer than 64 KiB)",
            ))
        }
    };
    let mut scratch = Vec::new();
    let mut fields = Vec::new();
    let line = trim_cr(&head[bom..header_end]);
    split_record(line, &mut fields, &mut scratch).map_err(|m| IngestError {
        row: Some(1),
        ..IngestError::file(path, m)
    })?;
    let text_of = |r: &FieldRef| -> &[u8] { field(&scratch, *r) };
    let mut names = Vec::with_capacity(fields.len());
    for f in &fields {
        let name = std::str::from_utf8(text_of(f)).map_err(|_| IngestError {
            row: Some(1),
            ..IngestError::file(
                path,
                "the header is not UTF-8 text; save the file as UTF-8 CSV",
            )
        })?;
        names.push(name.trim().to_string());
    }
    if let Some(sniffed) = sniff_text(&head[..header_end]) {
        if STUDENT_COLUMNS
            .iter()
            .any(|c| !names.iter().any(|n| n == c))
        {
            return Err(IngestError {
                row: Some(1),
                ..IngestError::file(path, sniffed)
            });
        }
    }
    let mut index = [0usize; 11];
    for (k, c) in STUDENT_COLUMNS.iter().enumerate() {
        let mut at = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n == c)
            .map(|(i, _)| i);
        index[k] = at.next().ok_or_else(|| {
            let found: Vec<&str> = names.iter().map(String::as_str).collect();
            IngestError {
                row: Some(1),
                column: Some(c.to_string()),
                ..IngestError::file(
                    path,
                    format!(
                        "not a student file: no `{c}` column{} (needs {})",
                        match empower_model::vocab::did_you_mean(c, found.iter().copied()) {
                            Some(s) => format!(" (is `{}` meant to be it?)", shown(s)),
                            None => String::new(),
                        },
                        STUDENT_COLUMNS.join(", ")
                    ),
                )
            }
        })?;
        if at.next().is_some() {
            return Err(IngestError {
                row: Some(1),
                column: Some(c.to_string()),
                ..IngestError::file(
                    path,
                    format!("the header names `{c}` twice; which one holds the data is unclear"),
                )
            });
        }
    }
    Ok((
        Columns {
            index,
            count: names.len(),
        },
        (header_end + 1).min(len),
    ))
}

/// A failure inside a range: byte offset of the record, column, message.
struct Failure {
    at: usize,
    column: &'static str,
    message: String,
}

#[allow(clippy::too_many_arguments)]
fn scan_ranges<R, S, I, F>(
    source: &R,
    len: usize,
    body: usize,
    threads: usize,
    cols: &Columns,
    checks: &StudentChecks,
    progress: &dyn Progress,
    init: &I,
    each: &F,
) -> Result<(Vec<S>, ScanStats), Failure>
where
    R: ReadAt + ?Sized,
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &StudentRecord) + Sync,
{
    let io_fail = |at: usize, e: std::io::Error| Failure {
        at,
        column: "student_id",
        message: format!("cannot read: {e}"),
    };
    // One byte range per thread, each starting at a line start.
    let mut bounds = vec![body];
    for t in 1..threads {
        let guess = body + (len - body) / threads * t;
        let mut probe = vec![0u8; (len - guess).min(1 << 16)];
        source
            .read_exact_at(&mut probe, guess as u64)
            .map_err(|e| io_fail(guess, e))?;
        let cut = match memchr(b'\n', &probe) {
            Some(p) => guess + p + 1,
            None => len,
        };
        bounds.push(cut.max(*bounds.last().expect("non-empty")));
    }
    bounds.push(len);
    let done = AtomicU64::new(body as u64);
    let results: Vec<Result<(S, ScanStats), Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .enumerate()
            .map(|(t, w)| {
                let (start, end) = (w[0], w[1]);
                let done = &done;
                scope.spawn(move || {
                    scan_range(source, start, end, cols, checks, init, each, &|pos| {
                        let d = done.fetch_add(pos as u64, Ordering::Relaxed) + pos as u64;
                        if t == 0 {
                            progress.advance(d);
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reader thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(results.len());
    let mut stats = ScanStats::default();
    for r in results {
        let (s, st) = r?;
        stats.records += st.records;
        stats.race_not_reported += st.race_not_reported;
        out.push(s);
    }
    Ok((out, stats))
}

#[allow(clippy::too_many_arguments)]
fn scan_range<R, S, I, F>(
    source: &R,
    start: usize,
    end: usize,
    cols: &Columns,
    checks: &StudentChecks,
    init: &I,
    each: &F,
    advanced: &dyn Fn(usize),
) -> Result<(S, ScanStats), Failure>
where
    R: ReadAt + ?Sized,
    I: Fn() -> S,
    F: Fn(&mut S, &StudentRecord),
{
    let mut state = init();
    let mut stats = ScanStats::default();
    // Read in blocks so that memory stays small whatever the file size.
    const BLOCK: usize = 8 << 20;
    let mut buf = vec![0u8; BLOCK.min(end - start + 1)];
    let mut filled = 0usize;
    let mut offset = start;
    let mut buf_start = start;
    let mut fields: Vec<FieldRef> = Vec::with_capacity(cols.count + 1);
    let mut scratch: Vec<u8> = Vec::new();
    loop {
        let want = (buf.len() - filled).min(end - offset);
        if want > 0 {
            source
                .read_exact_at(&mut buf[filled..filled + want], offset as u64)
                .map_err(|e| Failure {
                    at: offset,
                    column: "student_id",
                    message: format!("cannot read: {e}"),
                })?;
            filled += want;
            offset += want;
        }
        let at_end = offset >= end;
        let mut pos = 0;
        // Most files quote nothing: one look over the block lets every line
        // of it take the plain path.
        let block_quoted = memchr(b'"', &buf[..filled]).is_some();
        loop {
            let found = if block_quoted {
                record_end(&buf[..filled], pos, at_end)
            } else {
                Ok(match memchr(b'\n', &buf[pos..filled]) {
                    Some(p) => Some((pos + p, false)),
                    None if at_end && pos < filled => Some((filled, false)),
                    None => None,
                })
            };
            let (rec_end, quoted) = match found {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(m) => {
                    return Err(Failure {
                        at: buf_start + pos,
                        column: "student_id",
                        message: m,
                    })
                }
            };
            let line = trim_cr(&buf[pos..rec_end]);
            if !line.is_empty() {
                let fail = |(column, message)| Failure {
                    at: buf_start + pos,
                    column,
                    message,
                };
                let base: &[u8] = if quoted {
                    split_record(line, &mut fields, &mut scratch)
                        .map_err(|m| fail(("student_id", m)))?;
                    &scratch
                } else {
                    split_plain(line, &mut fields);
                    line
                };
                let mut school = [0u8; 15];
                let r = parse_record(
                    base,
                    &fields,
                    cols,
                    checks,
                    &mut school,
                    (buf_start + pos) as u64,
                )
                .map_err(fail)?;
                stats.records += 1;
                if r.1 {
                    stats.race_not_reported += 1;
                }
                each(&mut state, &r.0);
            }
            pos = (rec_end + 1).min(filled);
            if rec_end >= filled {
                break;
            }
        }
        if pos == 0 && !at_end && filled == buf.len() {
            return Err(Failure {
                at: buf_start,
                column: "student_id",
                message: "a record longer than 8 MiB: this is not a student file, or a quote is never closed".into(),
            });
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        buf_start += pos;
        advanced(pos);
        if at_end && filled == 0 {
            break;
        }
        if at_end && pos == 0 {
            // Nothing more can be read and nothing was consumed.
            break;
        }
    }
    Ok((state, stats))
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// End of the record starting at `pos`: the index of its line feed (or the
/// end of the data when `at_end`), and whether it holds a quote. `None`
/// when the record continues past the data read so far.
fn record_end(data: &[u8], pos: usize, at_end: bool) -> Result<Option<(usize, bool)>, String> {
    let mut i = pos;
    let mut in_quotes = false;
    let mut quoted = false;
    while let Some(p) = memchr2(b'"', b'\n', &data[i..]) {
        let k = i + p;
        if data[k] == b'"' {
            in_quotes = !in_quotes;
            quoted = true;
        } else if !in_quotes {
            return Ok(Some((k, quoted)));
        }
        i = k + 1;
    }
    if !at_end || pos >= data.len() {
        return Ok(None);
    }
    if in_quotes {
        return Err("a quoted value is never closed: the file may be truncated".into());
    }
    Ok(Some((data.len(), quoted)))
}

/// A field: a byte range of the line (a record without quotes) or of the
/// scratch buffer (a record with quotes, every field unescaped there), so
/// that a field is found without a branch.
type FieldRef = (u32, u32);

fn field(base: &[u8], f: FieldRef) -> &[u8] {
    &base[f.0 as usize..f.1 as usize]
}

/// Splits a line without quotes at every comma. A plain loop: fields are a
/// few bytes long, shorter than what a vectorised search gains on.
fn split_plain(line: &[u8], fields: &mut Vec<FieldRef>) {
    fields.clear();
    let mut start = 0u32;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            fields.push((start, i as u32));
            start = i as u32 + 1;
        }
    }
    fields.push((start, line.len() as u32));
}

/// Splits a record with quotes as RFC 4180 says: a field may be enclosed in
/// double quotes, inside which commas and line breaks are data and `""` is
/// one quote. Every field is written, unescaped, to `scratch`.
fn split_record(
    line: &[u8],
    fields: &mut Vec<FieldRef>,
    scratch: &mut Vec<u8>,
) -> Result<(), String> {
    fields.clear();
    scratch.clear();
    let mut i = 0;
    loop {
        let start = scratch.len() as u32;
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match memchr(b'"', &line[i..]) {
                    None => return Err("a quoted value is never closed".into()),
                    Some(p) => {
                        scratch.extend_from_slice(&line[i..i + p]);
                        i += p + 1;
                        if line.get(i) == Some(&b'"') {
                            scratch.push(b'"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            fields.push((start, scratch.len() as u32));
            match line.get(i) {
                None => return Ok(()),
                Some(b',') => i += 1,
                Some(_) => {
                    return Err(format!(
                        "text after a closing quote in field {}: a value with quotes must be quoted whole, with each quote doubled",
                        fields.len()
                    ))
                }
            }
        } else {
            let end = memchr(b',', &line[i..]).map_or(line.len(), |p| i + p);
            if memchr(b'"', &line[i..end]).is_some() {
                return Err(format!(
                    "a quote inside unquoted field {}: a value with quotes must be quoted whole, with each quote doubled",
                    fields.len() + 1
                ));
            }
            scratch.extend_from_slice(&line[i..end]);
            fields.push((start, scratch.len() as u32));
            if end == line.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// Parses and checks one record; also says whether its race is empty.
fn parse_record<'a>(
    base: &'a [u8],
    fields: &[FieldRef],
    cols: &Columns,
    checks: &StudentChecks,
    school_buf: &'a mut [u8; 15],
    offset: u64,
) -> Result<(StudentRecord<'a>, bool), (&'static str, String)> {
    if fields.len() != cols.count {
        return Err((
            "student_id",
            format!(
                "this record has {} fields but the header has {}",
                fields.len(),
                cols.count
            ),
        ));
    }
    let f = |k: usize| field(base, fields[cols.index[k]]);
    let text = |k: usize| String::from_utf8_lossy(f(k)).into_owned();
    let bad = |k: usize, what: &str| {
        (
            STUDENT_COLUMNS[k],
            format!("`{}` is not {what}", shown(&text(k))),
        )
    };
    let id = f(0);
    if id.is_empty() {
        return Err(("student_id", "the student id is empty".into()));
    }
    let student = parse_uint(id).unwrap_or_else(|| fnv1a(id));
    let year = parse_uint(f(1))
        .filter(|y| (u64::from(checks.years[0])..=u64::from(checks.years[1])).contains(y))
        .ok_or_else(|| {
            bad(
                1,
                &format!("a year from {} to {}", checks.years[0], checks.years[1]),
            )
        })? as u16;
    let raw_school = f(2);
    let school: &[u8] = if raw_school.len() == 15
        && raw_school
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        raw_school
    } else {
        // Hyphens and lower case as some files print them: one school.
        let mut k = 0;
        for &b in raw_school.iter().filter(|b| **b != b'-') {
            if k == 15 || !b.is_ascii_alphanumeric() {
                return Err(bad(2, "an RCDTS (15 letters or digits)"));
            }
            school_buf[k] = b.to_ascii_uppercase();
            k += 1;
        }
        if k != 15 {
            return Err(bad(2, "an RCDTS (15 letters or digits)"));
        }
        &school_buf[..]
    };
    let grade = match f(3) {
        b"K" | b"KG" | b"PK" => 0,
        g => parse_uint(g)
            .filter(|g| *g <= 12)
            .ok_or_else(|| bad(3, "a grade (PK, K or 1-12)"))? as u8,
    };
    let subject = f(4);
    if Subject::parse_bytes(subject).is_none() {
        return Err((
            "subject",
            not_one_of("a subject", &text(4), ["ela", "math", "science"]),
        ));
    }
    let [slo, shi] = checks.scores;
    let scale_score = match f(5) {
        b"" => None,
        s => Some(
            match parse_uint(s) {
                Some(v) => Some(v as f64),
                None => std::str::from_utf8(s)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok()),
            }
            .filter(|v| v.is_finite() && *v >= slo && *v <= shi)
            .ok_or_else(|| bad(5, &format!("a scale score from {slo} to {shi}")))?,
        ),
    };
    let [llo, lhi] = checks.levels;
    let performance_level = match f(6) {
        b"" => None,
        s => Some(
            parse_uint(s)
                .filter(|l| (u64::from(llo)..=u64::from(lhi)).contains(l))
                .ok_or_else(|| bad(6, &format!("a performance level from {llo} to {lhi}")))?
                as u8,
        ),
    };
    let flag = |k: usize| -> Result<bool, (&'static str, String)> {
        match f(k) {
            b"1" | b"Y" | b"y" | b"true" => Ok(true),
            b"0" | b"N" | b"n" | b"false" | b"" => Ok(false),
            _ => Err(bad(k, "1 or 0")),
        }
    };
    let district = f(10);
    if district.is_empty() {
        return Err(("district", "the district is empty".into()));
    }
    let raw_race = f(9);
    let race = match raw_race {
        b"" => Race::Other,
        b"black" => Race::Black,
        b"hispanic" => Race::Hispanic,
        b"asian" => Race::Asian,
        r if checks.race_codes.iter().any(|c| c.as_bytes() == r) => Race::Other,
        _ => {
            return Err((
                "race",
                not_one_of(
                    "a race code",
                    &text(9),
                    checks.race_codes.iter().map(String::as_str),
                ),
            ))
        }
    };
    Ok((
        StudentRecord {
            student,
            year,
            school,
            district,
            grade,
            subject,
            scale_score,
            performance_level,
            low_income: flag(7)?,
            el: flag(8)?,
            race,
            offset,
        },
        raw_race.is_empty(),
    ))
}

/// 1-based line number of the byte at `offset` (only computed on error).
pub fn line_number<R: ReadAt + ?Sized>(source: &R, offset: usize) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut pos, mut lines) = (0usize, 1usize);
    let len = usize::try_from(source.size()?).unwrap_or(usize::MAX);
    let offset = offset.min(len);
    while pos < offset {
        let n = (offset - pos).min(buf.len());
        source.read_exact_at(&mut buf[..n], pos as u64)?;
        lines += memchr_iter(b'\n', &buf[..n]).count();
        pos += n;
    }
    Ok(lines)
}

fn parse_uint(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// Non-numeric student ids are hashed to 64 bits (FNV-1a).
fn fnv1a(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records as the csv crate reads them: the oracle.
    fn oracle(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        r.byte_records()
            .map(|x| x.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    /// Records as this module splits them.
    fn ours(bytes: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, String> {
        let mut out = Vec::new();
        let (mut fields, mut scratch) = (Vec::new(), Vec::new());
        let mut pos = 0;
        while let Some((end, quoted)) = record_end(bytes, pos, true)? {
            let line = trim_cr(&bytes[pos..end]);
            if !line.is_empty() {
                let base: &[u8] = if quoted {
                    split_record(line, &mut fields, &mut scratch)?;
                    &scratch
                } else {
                    split_plain(line, &mut fields);
                    line
                };
                out.push(fields.iter().map(|f| field(base, *f).to_vec()).collect());
            }
            pos = end + 1;
            if pos >= bytes.len() {
                break;
            }
        }
        Ok(out)
    }

    fn any_field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9]{0,6}",
            "[a-z ,\"\n\r]{0,8}",
            Just(String::new()),
            Just("\"".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn same_records_as_the_csv_crate(
            rows in prop::collection::vec(prop::collection::vec(any_field(), 1..5), 1..8),
            crlf in any::<bool>(),
        ) {
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            for r in &rows {
                w.write_record(r).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            // The csv crate skips empty lines (a record of one empty field
            // is written as an empty line); so does this reader.
            prop_assert_eq!(ours(&bytes).unwrap(), oracle(&bytes));
        }
    }

    fn checks() -> StudentChecks {
        StudentChecks {
            years: [1990, 2100],
            levels: [1, 5],
            scores: [0.0, 10000.0],
            race_codes: vec![
                "white".into(),
                "black".into(),
                "hispanic".into(),
                "asian".into(),
            ],
        }
    }

    /// Student, year, school, subject and score of a record.
    type Seen = (u64, u16, String, String, Option<f64>);

    /// Every record, in order.
    fn scan(bytes: &[u8], threads: usize) -> Result<Vec<Seen>, IngestError> {
        let (parts, _) = scan_source(
            bytes,
            Path::new("t.csv"),
            threads,
            &checks(),
            &(),
            Vec::new,
            |v, r| {
                v.push((
                    r.student,
                    r.year,
                    String::from_utf8_lossy(r.school).into_owned(),
                    String::from_utf8_lossy(r.subject).into_owned(),
                    r.scale_score,
                ))
            },
        )?;
        Ok(parts.into_iter().flatten().collect())
    }

    const HEADER: &str = "student_id,year,school,grade,subject,scale_score,performance_level,low_income,el,race,note,district\n";

    #[test]
    fn quoted_line_breaks_on_a_thread_boundary_read_as_on_one_thread() {
        let mut text = HEADER.to_string();
        for i in 0..400 {
            let note = if i % 7 == 0 {
                "\"a note,\nover two lines\""
            } else {
                "plain"
            };
            text.push_str(&format!(
                "{i},2021,010010010262002,4,math,7{:02},3,0,0,white,{note},010010010260000\n",
                i % 100
            ));
        }
        let one = scan(text.as_bytes(), 1).unwrap();
        assert_eq!(one.len(), 400);
        for threads in [2, 3, 5, 8] {
            assert_eq!(
                scan(text.as_bytes(), threads).unwrap(),
                one,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn school_ids_in_lower_case_or_with_hyphens_are_one_school() {
        let text = format!(
            "{HEADER}1,2021,15016299025201c,4,math,700,3,0,0,white,,150162990250000\n2,2021,15-016-2990-25-201C,4,math,700,3,0,0,white,,150162990250000\n3,2021,15016299025201C,4,math,700,3,0,0,white,,150162990250000\n"
        );
        let r = scan(text.as_bytes(), 1).unwrap();
        assert!(r.iter().all(|x| x.2 == "15016299025201C"), "{r:?}");
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let text = format!("{HEADER}1,2021,010010010262002,4,math,700,3,0,0,white,,D1\n2,2021,010010010262002,4,math,NaN,3,0,0,white,,D1\n");
        let e = scan(text.as_bytes(), 2).unwrap_err();
        assert_eq!((e.row, e.column.as_deref()), (Some(3), Some("scale_score")));
        let e = scan(HEADER.as_bytes(), 1).unwrap_err();
        assert!(e.message.contains("no student records"), "{e}");
        let e = scan(b"student_id;year;school\n1;2;3\n", 1).unwrap_err();
        assert!(e.message.contains("semicolons"), "{e}");
    }

    #[test]
    fn quoting_by_hand() {
        let r = ours(b"a,\"b,c\",\"d\"\"e\"\n\"x\ny\",2\n").unwrap();
        assert_eq!(
            r,
            vec![
                vec![b"a".to_vec(), b"b,c".to_vec(), b"d\"e".to_vec()],
                vec![b"x\ny".to_vec(), b"2".to_vec()],
            ]
        );
        assert!(ours(b"a,\"unterminated\n").is_err());
        assert!(ours(b"a,5\" tall\n").is_err());
    }
}
