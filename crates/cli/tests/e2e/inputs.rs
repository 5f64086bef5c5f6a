//! End-to-end: input formats (CSV, xlsx, canonical, 2019 layout) and
//! malformed input, which must fail with file, row and column named and
//! nothing written.

use crate::common::*;
use std::path::PathBuf;

/// The first `n` data lines of a real file (header kept), written to `dir`.
fn head(dir: &std::path::Path, name: &str, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let mut out: Vec<&str> = text.split_inclusive('\n').take(n + 1).collect();
    if let Some(last) = out.last_mut() {
        *last = last.trim_end_matches(['\r', '\n']);
    }
    let p = dir.join(name);
    std::fs::write(&p, out.concat()).unwrap();
    p
}

fn fails_with(args: &[&str], files: &[PathBuf], needles: &[&str]) {
    let out = empower(args, files);
    assert!(!out.status.success(), "expected a failure");
    assert!(out.stdout.is_empty(), "nothing may be written on failure");
    let err = stderr(&out);
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

#[test]
fn a_file_with_unknown_headers_is_refused() {
    let d = temp_dir("wrong-header");
    let p = d.join("mystery.csv");
    std::fs::write(&p, "Foo,Bar\n1,2\n").unwrap();
    fails_with(
        &["designate", "--year", "2018"],
        &[p],
        &["mystery.csv", "row 1", "matches no known layout"],
    );
}

#[test]
fn a_bad_number_names_file_row_and_column() {
    let d = temp_dir("bad-number");
    let p = head(&d, "isbe_rc2018_general.csv", 5);
    let text = std::fs::read_to_string(&p).unwrap();
    let (header, rows) = parse_csv(&text);
    let col = header
        .iter()
        .position(|h| h == "Student Enrollment - Total")
        .unwrap();
    let mut w = csv::Writer::from_path(&p).unwrap();
    w.write_record(&header).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let mut r = r.clone();
        if i == 2 {
            r[col] = "12x".into();
        }
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
    fails_with(
        &["designate", "--year", "2018", "--format", "csv"],
        &[p],
        &[
            "isbe_rc2018_general.csv",
            "row 4",
            "column `Student Enrollment - Total`",
            "`12x` is not a number",
        ],
    );
}

#[test]
fn a_truncated_file_is_refused_whole() {
    let d = temp_dir("truncated");
    let full = std::fs::read_to_string(data("isbe_rc2018_ela_math.csv")).unwrap();
    // Cut in the middle of the 30th data row.
    let cut: usize = full
        .split_inclusive('\n')
        .take(31)
        .map(str::len)
        .sum::<usize>()
        + 40;
    let p = d.join("isbe_rc2018_ela_math.csv");
    std::fs::write(&p, &full[..cut]).unwrap();
    let mut files = vec![data("isbe_rc2018_general.csv")];
    files.push(p);
    fails_with(
        &["designate", "--year", "2018", "--format", "csv"],
        &files,
        &["isbe_rc2018_ela_math.csv", "row 32", "fields"],
    );
}

#[test]
fn a_bad_rcdts_names_the_row() {
    let d = temp_dir("bad-id");
    let p = head(&d, "isbe_rc2018_isa_science.csv", 3);
    let text = std::fs::read_to_string(&p).unwrap();
    let fixed = text.replacen("010010010260001", "0100-10", 1);
    std::fs::write(&p, fixed).unwrap();
    fails_with(
        &["export", "--year", "2018"],
        &[p],
        &["row 3", "column `RCDTS`", "not a school id (RCDTS)"],
    );
}

#[test]
fn the_2018_layout_does_not_fit_another_year() {
    fails_with(
        &["designate", "--year", "2019"],
        &[data("isbe_rc2018_general.csv")],
        &["does not fit report-card year 2019"],
    );
}

#[test]
fn xlsx_workbook_gives_the_same_designations_as_its_csv_sheets() {
    let d = temp_dir("xlsx");
    let n = 400;
    let sheets = [
        ("General", head(&d, "isbe_rc2018_general.csv", n)),
        ("ELA and Math", head(&d, "isbe_rc2018_ela_math.csv", n)),
        ("ISA", head(&d, "isbe_rc2018_isa_science.csv", n)),
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, path) in &sheets {
        let text = std::fs::read_to_string(path).unwrap();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, rec) in rdr.records().enumerate() {
            for (c, v) in rec.unwrap().iter().enumerate() {
                // Numbers as numbers, like ISBE's workbooks; RCDTS as text.
                match v.parse::<f64>() {
                    Ok(x) if c > 0 && r > 0 => ws.write_number(r as u32, c as u16, x).map(|_| ()),
                    _ => ws.write_string(r as u32, c as u16, v).map(|_| ()),
                }
                .unwrap();
            }
        }
    }
    let finance = wb.add_worksheet();
    finance.set_name("Finance").unwrap();
    finance
        .write_string(0, 0, "Operating Expense Per Pupil")
        .unwrap();
    let xlsx = d.join("rc2018.xlsx");
    wb.save(&xlsx).unwrap();

    let csv_files: Vec<PathBuf> = sheets.iter().map(|(_, p)| p.clone()).collect();
    let from_csv = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &csv_files,
    ));
    let out = empower(&["designate", "--year", "2018", "--format", "csv"], &[xlsx]);
    let from_xlsx = ok(&out);
    assert_eq!(from_csv, from_xlsx);
    assert!(stderr(&out).contains("sheet `Finance`: skipped"));
    assert!(from_csv.lines().count() > n / 2);
}

#[test]
fn canonical_export_round_trips_to_the_same_designations() {
    let d = temp_dir("canonical");
    let long = d.join("long.csv");
    let out = empower(
        &["export", "--year", "2018", "-o", long.to_str().unwrap()],
        &rc2018(),
    );
    ok(&out);
    let text = std::fs::read_to_string(&long).unwrap();
    assert!(text.starts_with("year,entity,level,measure,group,grade,subject,value,n\n"));
    assert!(text.contains(",school,proficiency_pct,black,all,ela,"));
    assert!(
        text.contains(",school,participation_count,el,all,math,"),
        "ISBE's second `Math Participation Total IEP Count` is the EL column"
    );
    let direct = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &rc2018(),
    ));
    let via = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &[long],
    ));
    assert_eq!(direct, via);
}

#[test]
fn the_2019_layout_reads_a_hand_made_workbook_export() {
    let d = temp_dir("rc2019");
    let general = d.join("general.csv");
    std::fs::write(
        &general,
        "RCDTS,Level,School Name,District,School Type,Grades Served,Summative Designation,# Student Enrollment,% Student Enrollment - Low Income,% Student Enrollment - IEP,Chronic Absenteeism,High School 4-Year Graduation Rate - Total,% 9th Grade on Track,Brand New Column\n\
         01-001-0010-26-0001,School,Seymour High School,Payson CUSD 1,High School,7 8 9 10 11 12,Commendable,239,46.4,*,12.3,91.7,95.6,x\n\
         01-001-0010-26-0000,District,,Payson CUSD 1,,,,560,40.1,11.2,10.0,91.7,95.6,x\n",
    )
    .unwrap();
    let ems = d.join("ela_math_science.csv");
    std::fs::write(
        &ems,
        "RCDTS,Level,School Name,% ELA Proficiency,% Math Proficiency,% Science Proficiency\n\
         010010010260001,School,Seymour High School,35.2,--,48\n",
    )
    .unwrap();
    let out = empower(&["export", "--year", "2019"], &[general, ems]);
    let text = ok(&out);
    let (_, rows) = parse_csv(&text);
    let find = |measure: &str, subject: &str| {
        rows.iter()
            .find(|r| r[1] == "010010010260001" && r[3] == measure && r[6] == subject)
            .map(|r| r[7].clone())
    };
    assert_eq!(find("enrollment", ""), Some("239".into()));
    assert_eq!(find("official_designation", ""), Some("Commendable".into()));
    assert_eq!(find("proficiency_pct", "ela"), Some("35.2".into()));
    assert_eq!(
        find("proficiency_pct", "math"),
        None,
        "`--` is a missing value"
    );
    assert_eq!(find("graduation_4yr_pct", ""), Some("91.7".into()));
    assert!(rows.iter().all(|r| r[0] == "2019"));
    assert!(rows
        .iter()
        .any(|r| r[1] == "010010010260000" && r[2] == "district"));
    assert!(
        rows.iter()
            .all(|r| !(r[3] == "enrollment_pct" && r[4] == "iep" && r[1] == "010010010260001")),
        "`*` is suppressed"
    );
    let err = stderr(&out);
    assert!(
        err.contains("`Brand New Column`"),
        "unknown columns are listed: {err}"
    );
}

/// A state folder read at run time: a copy of Illinois whose 2018 rules
/// make the top cut 30% instead of 10% designates more schools Exemplary,
/// with no code change; an unknown state is named with the ones there are.
#[test]
fn a_states_folder_read_at_run_time_changes_the_rules_without_code() {
    let d = temp_dir("states-dir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../states/illinois");
    let dst = d.join("states/il-test");
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let t = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy_dir(&p, &t);
            } else {
                std::fs::copy(&p, &t).unwrap();
            }
        }
    }
    copy_dir(&src, &dst);
    let rules = dst.join("accountability/2018.toml");
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(text.contains("top = { share = 0.10"));
    std::fs::write(
        &rules,
        text.replace("top = { share = 0.10", "top = { share = 0.30"),
    )
    .unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzzing/fixtures");
    let files = [
        fixtures.join("rc2018-general-60.csv"),
        fixtures.join("rc2018-ela-math-60.csv"),
    ];
    let exemplary = |extra: &[&str]| -> usize {
        let mut args = extra.to_vec();
        args.extend(["designate", "--year", "2018", "--format", "csv"]);
        let (_, rows) = parse_csv(&ok(&empower(&args, &files)));
        rows.iter().filter(|r| r[4] == "Exemplary").count()
    };
    let states = d.join("states");
    let built_in = exemplary(&[]);
    let wider = exemplary(&["--states", states.to_str().unwrap(), "--state", "il-test"]);
    assert!(wider > built_in, "{wider} > {built_in}");
    let out = empower(
        &[
            "--states",
            states.to_str().unwrap(),
            "--state",
            "texas",
            "designate",
            "--year",
            "2018",
        ],
        &files,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no state `texas`"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("il-test"), "{}", stderr(&out));
}
