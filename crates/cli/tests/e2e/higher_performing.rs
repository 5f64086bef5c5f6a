//! End-to-end: the higher-performing analysis on cells built from the real
//! Illinois files, and on malformed cells.

use crate::common::*;
use std::path::PathBuf;

fn real_cells(dir: &std::path::Path) -> PathBuf {
    let out = dir.join("cells.csv");
    let files = [
        "isbe_rc2018_general.csv",
        "isbe_rc2018_ela_math.csv",
        "capstone_k8_panel_2018_2020.csv",
        "kpfister_explorer_2019_2025.csv",
    ]
    .map(data);
    let run = empower(&["cells", "-o", out.to_str().unwrap()], &files);
    ok(&run);
    let err = stderr(&run);
    assert!(
        err.contains("school rows of years without a state test (2020) left out"),
        "2020 is dropped"
    );
    // 2018 gives school-wide rates only: a 7-12 school's mixes two tests.
    assert!(
        err.contains("left out: their schools serve grades of two tests")
            && err.contains("010010010260001"),
        "{err}"
    );
    out
}

#[test]
fn real_data_cells_and_verdicts() {
    let d = temp_dir("hp-real");
    let cells = real_cells(&d);
    let (h, rows) = parse_csv(&std::fs::read_to_string(&cells).unwrap());
    assert_eq!(
        &h[..7],
        [
            "rcdts",
            "year",
            "grade",
            "subject",
            "n",
            "performance",
            "proficient_pct"
        ]
    );
    for year in ["2018", "2019", "2025"] {
        for subject in ["ela", "math"] {
            let k = rows
                .iter()
                .filter(|r| r[1] == year && r[3] == subject)
                .count();
            assert!(k > 2500, "{k} cells for {year} {subject}");
        }
    }
    assert!(rows.iter().all(|r| r[1] != "2020"));
    // Each row ends with where its school is, for the people reading it.
    assert_eq!(
        h[h.len() - 4..],
        ["school_name", "district", "city", "county"]
    );
    let seymour = rows.iter().find(|r| r[0] == "010010010262002").unwrap();
    assert_eq!(seymour[seymour.len() - 1], "Adams", "{seymour:?}");
    assert!(!seymour[seymour.len() - 4].is_empty(), "{seymour:?}");
    // Tests apart: a K-5 school's rates are the elementary test's, a 9-12
    // school's the high-school test's, and a 7-12 school (both) has none.
    let assessment = h.iter().position(|c| c == "assessment").unwrap();
    let of = |id: &str| -> Vec<&str> {
        let mut v: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == id && r[1] == "2018")
            .map(|r| r[assessment].as_str())
            .collect();
        v.dedup();
        v
    };
    assert_eq!(of("010010010262002"), ["elementary"]);
    assert_eq!(of("010010010260001"), Vec::<&str>::new());
    assert_eq!(of("010010030260001"), ["high"]);
    assert!(rows.iter().all(|r| !r[assessment].is_empty()));
    let high = rows
        .iter()
        .filter(|r| r[1] == "2018" && r[assessment] == "high")
        .count();
    assert!(high > 1000, "{high} high-school cells in 2018");

    let detail = d.join("detail.csv");
    let regs = d.join("regressions.csv");
    let run = empower(
        &[
            "higher-performing",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            "--detail",
            detail.to_str().unwrap(),
            "--regressions",
            regs.to_str().unwrap(),
        ],
        &[],
    );
    let text = ok(&run);
    let err = stderr(&run);
    assert!(err.contains("window: 2018, 2019, 2025"), "{err}");
    // The place columns are read over, not reported as unused.
    assert!(!err.contains("columns not used"), "{err}");
    assert!(
        err.contains("dropped (empty on every row): selective_magnet"),
        "{err}"
    );
    assert!(
        err.contains("rules: states/illinois/higher-performing.toml (sha256 ")
            && !err.contains("modified"),
        "{err}"
    );
    let (h, rows) = parse_csv(&text);
    // What-if: a stricter individual rank names fewer schools, and the run
    // says its rules were changed.
    let identified = |rows: &[Vec<String>]| rows.iter().filter(|r| r[8] == "true").count();
    let stricter = empower(
        &[
            "higher-performing",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            "--set",
            "higher_performing.min_individual_rank=90",
        ],
        &[],
    );
    let (_, strict_rows) = parse_csv(&ok(&stricter));
    assert!(
        identified(&strict_rows) < identified(&rows) && identified(&strict_rows) > 0,
        "{} identified at rank 90, {} at 50",
        identified(&strict_rows),
        identified(&rows)
    );
    assert!(
        stderr(&stricter).contains("modified: --set higher_performing.min_individual_rank=90"),
        "{}",
        stderr(&stricter)
    );
    for (set, needle) in [
        (
            "min_individual_rank=90",
            "the path starts with the rules it changes: higher_performing.min_individual_rank",
        ),
        ("higher_performing.no_such_rule=1", "no_such_rule"),
    ] {
        let run = empower(
            &[
                "higher-performing",
                "--cells",
                cells.to_str().unwrap(),
                "--set",
                set,
            ],
            &[],
        );
        assert!(!run.status.success(), "{set} was taken");
        assert!(stderr(&run).contains(needle), "{set}: {}", stderr(&run));
    }
    assert_eq!(
        h[..10],
        [
            "rcdts",
            "subject",
            "ranks",
            "overall_rank",
            "required_overall_rank",
            "exceptions_allowed",
            "exceptions_used",
            "min_gap",
            "higher_performing",
            "failed"
        ]
    );
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let order = [
        "recent_rank",
        "individual_ranks",
        "overall_rank",
        "ayp",
        "opportunity_gap",
    ];
    let mut identified = 0;
    for r in &rows {
        assert!(r[8] == "true" || r[8] == "false");
        let failed: Vec<&str> = r[9].split(';').filter(|x| !x.is_empty()).collect();
        let pos: Vec<usize> = failed
            .iter()
            .map(|f| order.iter().position(|o| o == f).expect("known code"))
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "codes in contract order: {}",
            r[9]
        );
        assert_eq!(r[8] == "true", failed.is_empty());
        if r[8] == "true" {
            identified += 1;
            let overall: f64 = r[3].parse().unwrap();
            let required: f64 = r[4].parse().unwrap();
            assert!(overall >= required - 1e-9);
            if !r[7].is_empty() {
                assert!(r[7].parse::<f64>().unwrap() >= -15.0 - 1e-9);
            }
        }
        for v in [&r[3], &r[7]] {
            assert!(!v.contains('e'), "no exponent: {v}");
        }
    }
    assert!(identified > 20, "{identified} school-subjects identified");
    let (dh, drows) = parse_csv(&std::fs::read_to_string(&detail).unwrap());
    assert_eq!(
        dh[..8],
        [
            "rcdts",
            "year",
            "grade",
            "subject",
            "n",
            "residual",
            "rank_band",
            "rank"
        ]
    );
    assert!(drows.iter().any(|r| !r[7].is_empty()));
    let (rh, rrows) = parse_csv(&std::fs::read_to_string(&regs).unwrap());
    assert!(rh.contains(&"r2".to_string()) && rh.contains(&"coef_pct_low_income".to_string()));
    // Two subjects × (2018: elementary and high-school tests; 2019 and
    // 2025: the elementary test only).
    assert_eq!(rrows.len(), 8, "{rrows:?}");
    let a = rh.iter().position(|c| c == "assessment").unwrap();
    assert_eq!(rrows.iter().filter(|r| r[a] == "high").count(), 2);

    // Gaps, similar schools and the explanation of one identified school.
    let school = rows.iter().find(|r| r[8] == "true").unwrap()[0].clone();
    let why = ok(&empower(
        &[
            "higher-performing",
            "--cells",
            cells.to_str().unwrap(),
            "--school",
            &school,
        ],
        &[],
    ));
    assert!(
        why.contains("HIGHER-PERFORMING")
            && why.contains("rank slots")
            && why.contains("overall rank"),
        "{why}"
    );
    let gaps = ok(&empower(
        &["gaps", "--cells", cells.to_str().unwrap(), &school],
        &[],
    ));
    assert!(gaps.contains("Opportunity gaps of"), "{gaps}");
    // The same gaps as CSV, one row per subject, grade and group.
    let csv = ok(&empower(
        &[
            "gaps",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            &school,
        ],
        &[],
    ));
    let (header, grows) = parse_csv(&csv);
    assert_eq!(
        header,
        [
            "rcdts",
            "year",
            "subject",
            "grade",
            "group",
            "gap",
            "top_mean",
            "comparable",
            "top",
            "school_name",
            "district",
            "city",
            "county",
            "top_schools"
        ]
    );
    // Named from the bundled extract; each gap names as many top schools
    // as it averages, and their mean is the gap's top mean.
    assert!(
        grows.iter().all(|r| !r[9].is_empty() && !r[12].is_empty()),
        "{csv}"
    );
    for r in &grows {
        let top: usize = r[8].parse().unwrap();
        let named: Vec<&str> = r[13].split("; ").collect();
        assert_eq!(named.len(), top, "{r:?}");
        let mean = named
            .iter()
            .map(|t| {
                let pct = &t[t.rfind('(').unwrap() + 1..t.len() - 2];
                pct.parse::<f64>().unwrap()
            })
            .sum::<f64>()
            / top as f64;
        let top_mean: f64 = r[6].parse().unwrap();
        // Each shown to one decimal, the mean to two: within 0.056.
        assert!(
            (mean - top_mean).abs() <= 0.056,
            "{mean} vs {top_mean}: {r:?}"
        );
    }
    assert!(gaps.contains("top: "), "{gaps}");
    let table_rows = gaps
        .lines()
        .filter(|l| l.starts_with("ela ") || l.starts_with("math "))
        .filter(|l| !l.contains("no gap"))
        .count();
    assert_eq!(grows.len(), table_rows, "{gaps}\n{csv}");
    assert!(!grows.is_empty() && grows.iter().all(|r| r[0] == school));
    for r in &grows {
        let (gap, top_mean): (f64, f64) = (r[5].parse().unwrap(), r[6].parse().unwrap());
        assert!(gap <= 100.0 && (0.0..=100.0).contains(&top_mean), "{r:?}");
    }
    let similar = ok(&empower(
        &[
            "similar",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            &school,
        ],
        &[],
    ));
    let (sh, srows) = parse_csv(&similar);
    assert_eq!(srows.len(), 40);
    let distances: Vec<f64> = srows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
    assert!(srows.iter().all(|r| r[0] != school));
    let county = sh.iter().position(|h| h == "county").unwrap();
    assert!(srows.iter().all(|r| !r[county].is_empty()));
    // The same list, only one county's schools.
    let cook = ok(&empower(
        &[
            "similar",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            "--county",
            "cook",
            &school,
        ],
        &[],
    ));
    let (_, cook) = parse_csv(&cook);
    let expected: Vec<&Vec<String>> = srows.iter().filter(|r| r[county] == "Cook").collect();
    assert_eq!(cook.iter().collect::<Vec<_>>(), expected);

    // The main list names its schools (after the contract's columns) and
    // takes the filters.
    let run = empower(
        &[
            "higher-performing",
            "--cells",
            cells.to_str().unwrap(),
            "--format",
            "csv",
            "--county",
            "Adams",
        ],
        &[],
    );
    let adams = ok(&run);
    // Before the model: per year and predictor, the schools that have it
    // (every school has a % low income in 2019; nobody a selective_magnet).
    let err = stderr(&run);
    assert!(
        err.contains("schools with each predictor, per year"),
        "{err}"
    );
    let line = |p: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(p))
            .unwrap_or("")
    };
    assert!(line("pct_low_income").contains("(100%)"), "{err}");
    assert!(line("selective_magnet").contains("0 (0%)"), "{err}");
    let (ah, arows) = parse_csv(&adams);
    assert_eq!(
        &ah[ah.len() - 4..],
        ["school_name", "district", "city", "county"]
    );
    assert!(!arows.is_empty());
    assert!(arows
        .iter()
        .all(|r| r[ah.len() - 1] == "Adams" && r[0].starts_with("01")));
}

fn cells_file(dir: &std::path::Path, body: &str) -> PathBuf {
    let p = dir.join("cells.csv");
    std::fs::write(
        &p,
        format!("rcdts,year,grade,subject,n,performance,proficient_pct,pct_low_income,pct_el,pct_black,pct_hispanic,pct_asian,enrollment,selective_magnet,ayp_met,participation_pct\n{body}"),
    )
    .unwrap();
    p
}

fn hp_fails(body: &str, needles: &[&str]) {
    let d = temp_dir(&format!("hp-bad-{}", needles[0].len()));
    let p = cells_file(&d, body);
    let out = empower(
        &[
            "higher-performing",
            "--format",
            "csv",
            "--cells",
            p.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    for n in needles {
        assert!(err.contains(n), "`{n}` not in {err}");
    }
}

#[test]
fn malformed_cells_are_rejected_with_row_school_year_and_column() {
    hp_fails(
        "010010010260001,2005,3,math,20,50,50,40,1,1,1,1,300,0,1,\n010010010260001,2005,3,math,20,51,51,40,1,1,1,1,300,0,1,\n",
        &["cells.csv", "row 3", "010010010260001", "year 2005", "a second row"],
    );
    hp_fails(
        "010010010260001,2005,3,math,20,50,50,40,1,1,1,1,300,0,1,\n010010010260001,2005,4,math,20,51,51,41,1,1,1,1,300,0,1,\n",
        &["row 3", "column `pct_low_income`", "differ"],
    );
    hp_fails(
        "010010010260001,2005,3,math,20,50,50,140,1,1,1,1,300,0,1,\n",
        &[
            "row 2",
            "column `pct_low_income`",
            "outside the range of pct_low_income, 0 to 100",
        ],
    );
    hp_fails(
        "010010010260001,2005,3,math,2o,50,50,40,1,1,1,1,300,0,1,\n",
        &["row 2", "column `n`", "`2o` is not a number"],
    );
    hp_fails(
        "010010010260001,2005,3,math,20,50,50,40,1,1,1,1,300,0,yes,\n",
        &["row 2", "column `ayp_met`"],
    );
}

#[test]
fn generated_students_run_end_to_end_in_longitudinal_mode() {
    let d = temp_dir("students");
    let file = d.join("students.csv");
    let general = data("isbe_rc2018_general.csv");
    let gen = |out: &std::path::Path, seed: &str| {
        let run = empower(
            &[
                "generate",
                "students",
                "--schools",
                "60",
                "--years",
                "5",
                "--seed",
                seed,
                "--school-list",
                general.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            &[],
        );
        ok(&run);
        stderr(&run)
    };
    let summary = gen(&file, "5");
    assert!(summary.contains("60 schools"), "{summary}");
    let again = d.join("again.csv");
    gen(&again, "5");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap(),
        "a seed fixes the file"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("student_id,year,school,district,grade,subject,scale_score,performance_level,enrolled_from,enrolled_to,low_income,el,iep,race\n"));

    let cells = d.join("cells.csv");
    let run = empower(
        &[
            "cells",
            "--students",
            file.to_str().unwrap(),
            "-o",
            cells.to_str().unwrap(),
        ],
        &[],
    );
    ok(&run);
    let (h, rows) = parse_csv(&std::fs::read_to_string(&cells).unwrap());
    let year = h.iter().position(|c| c == "year").unwrap();
    // Three years at the campus: only the last three of five years have cells.
    assert!(rows
        .iter()
        .all(|r| ["2023", "2024", "2025"].contains(&r[year].as_str())));
    let group = h.iter().position(|c| c == "group").unwrap();
    assert!(rows.iter().any(|r| r[group] == "met") && rows.iter().any(|r| r[group] == "all"));

    let out = ok(&empower(
        &[
            "higher-performing",
            "--students",
            file.to_str().unwrap(),
            "--format",
            "csv",
        ],
        &[],
    ));
    let (_, verdicts) = parse_csv(&out);
    assert!(!verdicts.is_empty());
    assert!(verdicts.iter().all(|r| r[8] == "true" || r[8] == "false"));
}

#[test]
fn a_bad_student_record_names_line_and_column() {
    let d = temp_dir("bad-students");
    let p = d.join("s.csv");
    std::fs::write(
        &p,
        "student_id,year,school,district,grade,subject,scale_score,performance_level,low_income,el,race\n1,2021,010010010262001,010010010260000,3,math,700,2,0,0,white\n2,2021,010010010262001,010010010260000,3,math,70x,2,0,0,white\n",
    )
    .unwrap();
    let out = empower(&["cells", "--students", p.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("row 3") && err.contains("column `scale_score`"),
        "{err}"
    );
    std::fs::write(&p, "id,year\n1,2021\n").unwrap();
    let out = empower(&["cells", "--students", p.to_str().unwrap()], &[]);
    assert!(stderr(&out).contains("not a student file"));
}
