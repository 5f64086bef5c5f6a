//! Student-level records (`spec/data.md`), read fast: the file is cut into
//! one byte range per thread at line boundaries, each range is read in
//! 8 MiB blocks, and each line is split in place without allocating.
//! Callers fold records into per-range state; memory does not grow with
//! the file.

use crate::error::IngestError;
use crate::read::Progress;
use empower_peers::{Race, StudentRecord};
use memchr::{memchr, memchr_iter};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Columns read from a student file (others, such as `district`,
/// `enrolled_from`, `enrolled_to` and `iep`, may be present).
pub const STUDENT_COLUMNS: [&str; 10] = [
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
];

struct Columns {
    index: [usize; 10],
    count: usize,
}

/// Reads every record of `path` on `threads` threads. Each chunk gets its
/// own state from `init` and `each` folds records into it; the states come
/// back in file order, for the caller to merge.
pub fn scan_students<S, I, F>(
    path: &Path,
    threads: usize,
    progress: &dyn Progress,
    init: I,
    each: F,
) -> Result<Vec<S>, IngestError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &StudentRecord) + Sync,
{
    let file = std::fs::File::open(path)
        .map_err(|e| IngestError::file(path, format!("cannot open: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| IngestError::file(path, format!("cannot read: {e}")))?
        .len() as usize;
    let io_err = |e: std::io::Error| IngestError::file(path, format!("cannot read: {e}"));
    // The header: the first line.
    let mut head = vec![0u8; len.min(1 << 16)];
    read_exact_at(&file, &mut head, 0).map_err(io_err)?;
    let header_end = memchr(b'\n', &head).ok_or_else(|| {
        IngestError::file(path, "no header line (or a header longer than 64 KiB)")
    })?;
    let header = std::str::from_utf8(&head[..header_end])
        .map_err(|_| IngestError::file(path, "the header is not UTF-8"))?
        .trim_end_matches('\r')
        .trim_start_matches('\u{feff}');
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut index = [0usize; 10];
    for (k, c) in STUDENT_COLUMNS.iter().enumerate() {
        index[k] = names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| IngestError {
                row: Some(1),
                ..IngestError::file(
                    path,
                    format!(
                        "not a student file: no `{c}` column (needs {})",
                        STUDENT_COLUMNS.join(", ")
                    ),
                )
            })?;
    }
    let cols = Columns {
        index,
        count: names.len(),
    };
    let body = header_end + 1;
    // One byte range per thread, each starting at a line start.
    let threads = threads.max(1);
    let mut bounds = vec![body];
    for t in 1..threads {
        let guess = body + (len - body) * t / threads;
        let mut probe = vec![0u8; (len - guess).min(1 << 16)];
        read_exact_at(&file, &mut probe, guess as u64).map_err(io_err)?;
        let cut = match memchr(b'\n', &probe) {
            Some(p) => guess + p + 1,
            None => len,
        };
        bounds.push(cut.max(*bounds.last().expect("non-empty")));
    }
    bounds.push(len);
    progress.start(path, len as u64);
    let done = AtomicU64::new(body as u64);
    type Failure = (usize, String, String);
    let results: Vec<Result<S, Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .enumerate()
            .map(|(t, w)| {
                let (start, end) = (w[0], w[1]);
                let (cols, init, each, done, file) = (&cols, &init, &each, &done, &file);
                scope.spawn(move || -> Result<S, Failure> {
                    let mut state = init();
                    // Read in blocks so that memory stays small whatever the file size.
                    const BLOCK: usize = 8 << 20;
                    let mut buf = vec![0u8; BLOCK];
                    let mut filled = 0usize;
                    let mut offset = start;
                    let mut buf_start = start;
                    while offset < end || filled > 0 {
                        let want = (BLOCK - filled).min(end - offset);
                        if want > 0 {
                            read_exact_at(file, &mut buf[filled..filled + want], offset as u64)
                                .map_err(|e| {
                                    (
                                        offset,
                                        "student_id".to_string(),
                                        format!("cannot read: {e}"),
                                    )
                                })?;
                            filled += want;
                            offset += want;
                        }
                        let at_end = offset >= end;
                        let mut pos = 0;
                        loop {
                            let line_end = match memchr(b'\n', &buf[pos..filled]) {
                                Some(p) => pos + p,
                                None if at_end && pos < filled => filled,
                                None => break,
                            };
                            let line = &buf[pos..line_end];
                            let line = line.strip_suffix(b"\r").unwrap_or(line);
                            if !line.is_empty() {
                                let mut school = [0u8; 15];
                                match parse_line(line, cols, &mut school) {
                                    Ok(r) => each(&mut state, &r),
                                    Err((column, message)) => {
                                        return Err((buf_start + pos, column, message))
                                    }
                                }
                            }
                            pos = (line_end + 1).min(filled);
                            if line_end == filled {
                                break;
                            }
                        }
                        if pos == 0 && !at_end && filled == BLOCK {
                            return Err((
                                buf_start,
                                "student_id".into(),
                                "a line longer than 8 MiB".into(),
                            ));
                        }
                        buf.copy_within(pos..filled, 0);
                        filled -= pos;
                        buf_start += pos;
                        let d = done.fetch_add(pos as u64, Ordering::Relaxed) + pos as u64;
                        if t == 0 {
                            progress.advance(d);
                        }
                        if at_end && filled == 0 {
                            break;
                        }
                    }
                    Ok(state)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reader thread panicked"))
            .collect()
    });
    progress.finish();
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(s) => out.push(s),
            Err((at, column, message)) => {
                return Err(IngestError {
                    row: Some(line_number(&file, at).map_err(io_err)?),
                    column: Some(column),
                    ..IngestError::file(path, message)
                })
            }
        }
    }
    Ok(out)
}

fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

/// 1-based line number of the byte at `offset` (only computed on error).
fn line_number(file: &std::fs::File, offset: usize) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut pos, mut lines) = (0usize, 1usize);
    while pos < offset {
        let n = (offset - pos).min(buf.len());
        read_exact_at(file, &mut buf[..n], pos as u64)?;
        lines += memchr_iter(b'\n', &buf[..n]).count();
        pos += n;
    }
    Ok(lines)
}

fn parse_line<'a>(
    line: &'a [u8],
    cols: &Columns,
    school_buf: &'a mut [u8; 15],
) -> Result<StudentRecord<'a>, (String, String)> {
    let mut fields: [&[u8]; 32] = [&[]; 32];
    let mut n = 0;
    let mut start = 0;
    for p in memchr_iter(b',', line) {
        if n < fields.len() {
            fields[n] = &line[start..p];
        }
        n += 1;
        start = p + 1;
    }
    if n < fields.len() {
        fields[n] = &line[start..];
    }
    n += 1;
    if n != cols.count {
        return Err((
            "student_id".into(),
            format!("this line has {n} fields but the header has {}", cols.count),
        ));
    }
    let f = |k: usize| fields[cols.index[k]];
    let bad = |k: usize, what: &str| {
        (
            STUDENT_COLUMNS[k].to_string(),
            format!("`{}` is not {what}", String::from_utf8_lossy(f(k))),
        )
    };
    let student = parse_uint(f(0)).unwrap_or_else(|| fnv1a(f(0)));
    let year = parse_uint(f(1))
        .filter(|y| *y <= u64::from(u16::MAX))
        .ok_or_else(|| bad(1, "a year"))? as u16;
    let raw_school = f(2);
    let school: &[u8] = if raw_school.len() == 15 {
        raw_school
    } else {
        let mut k = 0;
        for &b in raw_school.iter().filter(|b| **b != b'-') {
            if k == 15 {
                return Err(bad(2, "an RCDTS"));
            }
            school_buf[k] = b.to_ascii_uppercase();
            k += 1;
        }
        if k != 15 {
            return Err(bad(2, "an RCDTS"));
        }
        &school_buf[..]
    };
    let grade = match f(3) {
        b"K" | b"KG" | b"PK" => 0,
        g => parse_uint(g)
            .filter(|g| *g <= 12)
            .ok_or_else(|| bad(3, "a grade"))? as u8,
    };
    let subject = f(4);
    if subject.is_empty() {
        return Err(bad(4, "a subject"));
    }
    let scale_score = match f(5) {
        b"" => None,
        s => Some(match parse_uint(s) {
            Some(v) => v as f64,
            None => std::str::from_utf8(s)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .ok_or_else(|| bad(5, "a score"))?,
        }),
    };
    let performance_level = match f(6) {
        b"" => None,
        s => Some(
            parse_uint(s)
                .filter(|l| *l < 100)
                .ok_or_else(|| bad(6, "a level"))? as u8,
        ),
    };
    let flag = |k: usize| -> Result<bool, (String, String)> {
        match f(k) {
            b"1" | b"Y" | b"y" | b"true" => Ok(true),
            b"0" | b"N" | b"n" | b"false" | b"" => Ok(false),
            _ => Err(bad(k, "1 or 0")),
        }
    };
    let race = match f(9) {
        b"black" => Race::Black,
        b"hispanic" => Race::Hispanic,
        b"asian" => Race::Asian,
        _ => Race::Other,
    };
    Ok(StudentRecord {
        student,
        year,
        school,
        grade,
        subject,
        scale_score,
        performance_level,
        low_income: flag(7)?,
        el: flag(8)?,
        race,
    })
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
