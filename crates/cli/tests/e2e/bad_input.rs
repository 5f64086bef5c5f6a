//! The bad-input corpus: `tests/bad_input/cases.toml` lists malformed
//! variants of every input the tool reads, each with its expected outcome.
//! Files are built from small fixtures cut from the real data (or from the
//! shipped rules and column maps) by the edits a case names, so the corpus
//! stays a few kilobytes. Every case runs the binary under a 2 GB memory
//! limit and must end with the expected exit status, never a panic or a
//! signal; on failure nothing may be written to standard output.

use crate::common::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Command-line arguments; `{0}`, `{1}`… stand for the case's files,
    /// which are otherwise appended.
    args: Vec<String>,
    #[serde(default)]
    files: Vec<FileSpec>,
    /// Expected exit status: 0 (done, perhaps with warnings) or 1 (refused).
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout: Vec<String>,
    /// Pipe standard output into `head -c 100` (a closed pipe must end quietly).
    #[serde(default)]
    pipe_to_head: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    /// `general`, `ela_math`, `cells`, `students` (fixtures), `rules2018`,
    /// `hp_rules`, `layout2018`, `title1` (a list of the fixture schools),
    /// `real:<file>` (a real file), `text` (the `text` field), `xlsx:far_cell`
    /// or `xlsx:bomb` (workbooks built by hand).
    from: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    name: Option<String>,
    /// Cells to set: [row, column header, value]; rows as a spreadsheet
    /// counts them (the header is row 1).
    #[serde(default)]
    set: Vec<(usize, String, String)>,
    /// [row, column header, length]: a value of that many characters.
    #[serde(default)]
    huge: Option<(usize, String, usize)>,
    #[serde(default)]
    header_only: bool,
    #[serde(default)]
    duplicate_row: Option<usize>,
    /// Keep only the first rows (header included).
    #[serde(default)]
    keep_rows: Option<usize>,
    /// Text replacements, every occurrence.
    #[serde(default)]
    replace: Vec<(String, String)>,
    /// Cut the file two characters after the first quote of this line.
    #[serde(default)]
    truncate_in_row: Option<usize>,
    /// Drop the last character of this line (a closing quote).
    #[serde(default)]
    unclose_row: Option<usize>,
    /// Rename a header (the first with this text).
    #[serde(default)]
    rename_header: Option<(String, String)>,
    /// Put this many empty columns first.
    #[serde(default)]
    add_columns_first: usize,
    #[serde(default)]
    delimiter: Option<char>,
    #[serde(default)]
    quote_all: bool,
    #[serde(default)]
    utf16: bool,
    /// Write the CSV as an .xlsx workbook; these columns percent-formatted.
    #[serde(default)]
    xlsx: bool,
    #[serde(default)]
    percent_columns: Vec<String>,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzzing/fixtures")
        .join(name)
}

fn state_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../states/illinois")
        .join(name)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn rows_of(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn write_rows(rows: &[Vec<String>], delimiter: u8, quote_all: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(if quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// Builds one file of a case in `dir`; returns its path.
fn build(spec: &FileSpec, dir: &Path, k: usize) -> PathBuf {
    let (base, default_name) = match spec.from.as_str() {
        "general" => (read(&fixture("rc2018-general-60.csv")), "general.csv"),
        "ela_math" => (read(&fixture("rc2018-ela-math-60.csv")), "ela_math.csv"),
        "cells" => (read(&fixture("cells-60.csv")), "cells.csv"),
        "students" => (read(&fixture("students-40.csv")), "students.csv"),
        "rules2018" => (read(&state_file("accountability/2018.toml")), "rules.toml"),
        "hp_rules" => (read(&state_file("higher-performing.toml")), "hp.toml"),
        "layout2018" => (read(&state_file("columns/rc2018.toml")), "layout.toml"),
        "title1" => {
            let ids: Vec<String> = rows_of(&read(&fixture("rc2018-general-60.csv")))
                .into_iter()
                .skip(1)
                .map(|r| r[0].clone())
                .collect();
            let mut rows = vec![vec!["RCDTS".to_string(), "Title_1_Status".to_string()]];
            for (i, id) in ids.iter().enumerate() {
                let status = if i % 3 == 0 {
                    "NA"
                } else {
                    "Schoolwide Title I Program"
                };
                rows.push(vec![id.clone(), status.to_string()]);
            }
            (write_rows(&rows, b',', false), "title1.csv")
        }
        "text" => (spec.text.clone().expect("`text` given"), "input.csv"),
        "xlsx:far_cell" => return write_bytes(dir, k, "far.xlsx", &far_cell_workbook()),
        "xlsx:bomb" => return write_bytes(dir, k, "bomb.xlsx", &bomb_workbook()),
        other if other.starts_with("real:") => {
            let name = &other[5..];
            return data(name);
        }
        other => panic!("unknown source `{other}`"),
    };
    let mut text = base;
    for (old, new) in &spec.replace {
        assert!(text.contains(old.as_str()), "`{old}` not in {}", spec.from);
        text = text.replace(old.as_str(), new);
    }
    let tabular = !default_name.ends_with(".toml") && spec.from != "text";
    let edits = !spec.set.is_empty()
        || spec.huge.is_some()
        || spec.header_only
        || spec.duplicate_row.is_some()
        || spec.keep_rows.is_some()
        || spec.rename_header.is_some()
        || spec.add_columns_first > 0
        || spec.delimiter.is_some()
        || spec.quote_all
        || spec.xlsx;
    if tabular && edits {
        let mut rows = rows_of(&text);
        let col = |rows: &Vec<Vec<String>>, h: &str| {
            rows[0]
                .iter()
                .position(|x| x == h)
                .unwrap_or_else(|| panic!("no column `{h}` in {}", spec.from))
        };
        for (row, h, v) in &spec.set {
            let c = col(&rows, h);
            rows[row - 1][c] = v.clone();
        }
        if let Some((row, h, len)) = &spec.huge {
            let c = col(&rows, h);
            rows[row - 1][c] = "9".repeat(*len);
        }
        if let Some((old, new)) = &spec.rename_header {
            let c = col(&rows, old);
            rows[0][c] = new.clone();
        }
        if let Some(r) = spec.duplicate_row {
            let copy = rows[r - 1].clone();
            rows.push(copy);
        }
        if let Some(n) = spec.keep_rows {
            rows.truncate(n);
        }
        if spec.header_only {
            rows.truncate(1);
        }
        if spec.add_columns_first > 0 {
            for (i, r) in rows.iter_mut().enumerate() {
                for j in 0..spec.add_columns_first {
                    r.insert(
                        0,
                        if i == 0 {
                            format!("extra_{j}")
                        } else {
                            String::new()
                        },
                    );
                }
            }
        }
        if spec.xlsx {
            let name = spec.name.clone().unwrap_or_else(|| "book.xlsx".into());
            return write_bytes(dir, k, &name, &workbook_of(&rows, &spec.percent_columns));
        }
        text = write_rows(
            &rows,
            spec.delimiter.map(|c| c as u8).unwrap_or(b','),
            spec.quote_all,
        );
    }
    if let Some(r) = spec.truncate_in_row {
        let start: usize = text.split_inclusive('\n').take(r - 1).map(str::len).sum();
        let q = text[start..].find('"').expect("a quote in that row");
        text.truncate(start + q + 3);
    }
    if let Some(r) = spec.unclose_row {
        let start: usize = text.split_inclusive('\n').take(r - 1).map(str::len).sum();
        let line = text[start..]
            .split_inclusive('\n')
            .next()
            .expect("the row exists");
        let end = start + line.trim_end_matches(['\r', '\n']).len();
        text.remove(end - 1);
    }
    let bytes: Vec<u8> = if spec.utf16 {
        let mut b = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b
    } else {
        text.into_bytes()
    };
    write_bytes(dir, k, spec.name.as_deref().unwrap_or(default_name), &bytes)
}

fn write_bytes(dir: &Path, k: usize, name: &str, bytes: &[u8]) -> PathBuf {
    let sub = dir.join(k.to_string());
    std::fs::create_dir_all(&sub).unwrap();
    let p = sub.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn workbook_of(rows: &[Vec<String>], percent: &[String]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let pct = Format::new().set_num_format("0.0%");
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            let (i, j) = (i as u32, j as u16);
            match v.parse::<f64>() {
                Ok(x) if i > 0 && percent.contains(&rows[0][j as usize]) => {
                    ws.write_number_with_format(i, j, x / 100.0, &pct).unwrap();
                }
                Ok(x) if i > 0 => {
                    ws.write_number(i, j, x).unwrap();
                }
                _ if v.is_empty() => {}
                _ => {
                    ws.write_string(i, j, v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A hand-made workbook: `parts` written as a zip with the parts every
/// workbook needs.
fn zip_workbook(sheet_xml: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &[u8]); 5] = [
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
        ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="General" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    for (name, bytes) in parts {
        z.start_file(name, opt).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A sheet claiming cells up to XFD1048576, with a cell there.
fn far_cell_workbook() -> Vec<u8> {
    zip_workbook(br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>RCDTS</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData></worksheet>"#)
}

/// A small file holding one cell of 64 MiB of text once unpacked.
fn bomb_workbook() -> Vec<u8> {
    let mut xml = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#.to_vec();
    xml.extend(std::iter::repeat_n(b'a', 64 << 20));
    xml.extend_from_slice(br#"</t></is></c></row></sheetData></worksheet>"#);
    zip_workbook(&xml)
}

#[test]
fn every_bad_input_gets_its_expected_outcome() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input/cases.toml");
    let corpus: Corpus = toml::from_str(&read(&manifest)).expect("cases.toml parses");
    let root = temp_dir("bad-input");
    let mut failures = Vec::new();
    for (n, case) in corpus.case.iter().enumerate() {
        let dir = root.join(n.to_string());
        let files: Vec<PathBuf> = case
            .files
            .iter()
            .enumerate()
            .map(|(k, f)| build(f, &dir, k))
            .collect();
        let mut args: Vec<String> = Vec::new();
        let mut placed = false;
        for a in &case.args {
            let mut a = a.clone();
            for (k, f) in files.iter().enumerate() {
                let key = format!("{{{k}}}");
                if a.contains(&key) {
                    a = a.replace(&key, f.to_str().unwrap());
                    placed = true;
                }
            }
            args.push(a);
        }
        if !placed {
            args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
        }
        let quoted: Vec<String> = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        // 2 GB of address space: more is a failure of the case.
        let mut script = format!(
            "ulimit -v 2097152; '{}' {}",
            env!("CARGO_BIN_EXE_empower"),
            quoted.join(" ")
        );
        if case.pipe_to_head {
            script = format!("set -o pipefail; {script} | head -c 100 > /dev/null");
        }
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut problems = Vec::new();
        match out.status.code() {
            Some(c) if c == case.exit => {}
            Some(c) => problems.push(format!("exit {c}, expected {}", case.exit)),
            None => problems.push("killed by a signal".to_string()),
        }
        if err.contains("panicked") {
            problems.push("panicked".into());
        }
        if case.exit != 0 && !case.pipe_to_head && !out.stdout.is_empty() {
            problems.push("wrote to standard output although it failed".into());
        }
        for needle in &case.stderr {
            if !err.contains(needle.as_str()) {
                problems.push(format!("stderr lacks `{needle}`"));
            }
        }
        for needle in &case.stdout {
            if !stdout.contains(needle.as_str()) {
                problems.push(format!("stdout lacks `{needle}`"));
            }
        }
        if err.len() > 20_000 {
            problems.push(format!("{} bytes of messages", err.len()));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case {n} `{}`: {}\n  stderr: {}",
                case.name,
                problems.join("; "),
                err.chars().take(1500).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failures.len(),
        corpus.case.len(),
        failures.join("\n")
    );
    assert!(corpus.case.len() >= 40, "the corpus covers every class");
}
