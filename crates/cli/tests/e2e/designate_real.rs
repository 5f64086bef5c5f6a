//! End-to-end: designations from the real 2018 Illinois report card.

use crate::common::*;

fn agreement(stderr: &str, label: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{stderr}"));
    let frac = line
        .split(':')
        .nth(1)
        .unwrap()
        .split('=')
        .next()
        .unwrap()
        .trim();
    let (a, b) = frac.split_once('/').unwrap();
    (a.trim().parse().unwrap(), b.trim().parse().unwrap())
}

#[test]
fn designates_every_school_and_agrees_with_official_designations() {
    let out = empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &rc2018(),
    );
    let text = ok(&out);
    // The real files' honest warnings: schools the 2019 Title I list lacks
    // (read as not Title I), and schools only that list has.
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.contains("546 school(s) of 2018")
            && l.contains("have no row in the `Title I` table")),
        "{err}"
    );
    assert!(err.contains("10 school(s) of 2018 that the `Title I` table(s) list have no row in the `General` table"), "{err}");
    let (header, rows) = parse_csv(&text);
    assert_eq!(
        header[..8],
        [
            "rcdts",
            "school_name",
            "band",
            "index",
            "designation",
            "official_designation",
            "reasons",
            "cut_pool"
        ]
    );
    // Sorted by rcdts then band; every RCDTS 15 characters.
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[2].clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(rows.iter().all(|r| r[0].len() == 15));
    // Every school row of the General sheet appears.
    let general = std::fs::read_to_string(data("isbe_rc2018_general.csv")).unwrap();
    let (gh, grows) = parse_csv(&general);
    let type_col = gh.iter().position(|h| h == "Type").unwrap();
    let mut schools: Vec<&str> = grows
        .iter()
        .filter(|r| r[type_col] == "School")
        .map(|r| r[0].as_str())
        .collect();
    schools.sort();
    let mut seen: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    seen.dedup();
    assert_eq!(seen, schools);
    // Vocabularies.
    for r in &rows {
        assert!(["", "ES", "HS"].contains(&r[2].as_str()));
        assert!([
            "",
            "Exemplary",
            "Commendable",
            "Targeted",
            "Comprehensive",
            "Intensive"
        ]
        .contains(&r[4].as_str()));
        assert!(["", "title1", "all"].contains(&r[7].as_str()));
        if !r[3].is_empty() {
            let v: f64 = r[3].parse().unwrap();
            assert!((0.0..=100.0).contains(&v) && !r[3].contains('e'));
        }
        if r[2].is_empty() {
            assert_eq!(r[6], "no-designation:no-band");
        }
    }
    // The published designation is matched for at least 85% of schools.
    let err = stderr(&out);
    let (agreed, compared) = agreement(&err, "Agreement with official designations");
    assert!(compared > 1800, "{compared} schools compared");
    let rate = agreed as f64 / compared as f64;
    assert!(rate >= 0.85, "agreement {rate:.3} below 85%:\n{err}");
    for band in ["ES:", "HS:"] {
        let (a, c) = agreement(&err, band);
        assert!(a as f64 / c as f64 > 0.8, "{band} {a}/{c}");
    }
}

#[test]
fn without_title1_data_the_comprehensive_pool_is_all_schools() {
    let files: Vec<_> = rc2018().into_iter().take(3).collect();
    let text = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &files,
    ));
    let (_, rows) = parse_csv(&text);
    assert!(rows
        .iter()
        .filter(|r| !r[2].is_empty())
        .all(|r| r[7] == "all"));
    let with = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &rc2018(),
    ));
    let (_, rows) = parse_csv(&with);
    assert!(rows
        .iter()
        .filter(|r| !r[2].is_empty())
        .all(|r| r[7] == "title1"));
}

fn first_row_with(rows: &[Vec<String>], designation: &str, reason_prefix: &str) -> Vec<String> {
    rows.iter()
        .find(|r| r[4] == designation && r[6].starts_with(reason_prefix) && !r[3].is_empty())
        .unwrap_or_else(|| panic!("no {designation} row with reason {reason_prefix}"))
        .clone()
}

#[test]
fn explain_names_underperforming_groups_and_distance_to_exemplary() {
    let (_, rows) = parse_csv(&ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &rc2018(),
    )));

    let targeted = first_row_with(&rows, "Targeted", "underperforming-groups:");
    let text = ok(&empower(
        &["explain", "--year", "2018", &targeted[0]],
        &rc2018(),
    ));
    assert!(
        text.contains("Why: Student group index at or below the Targeted cut"),
        "{text}"
    );
    assert!(text.contains("UNDERPERFORMING"), "{text}");
    assert!(
        text.contains("Next level up: Commendable") || text.contains("Next level up: Exemplary"),
        "{text}"
    );
    let slug = targeted[6]
        .trim_start_matches("underperforming-groups:")
        .split([',', ';'])
        .next()
        .unwrap()
        .to_string();
    let json = ok(&empower(
        &[
            "explain",
            "--year",
            "2018",
            "--format",
            "json",
            &targeted[0],
        ],
        &rc2018(),
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["warnings"].is_array(),
        "JSON output carries the run's warnings"
    );
    let band_row = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["band"] == targeted[2].as_str())
        .unwrap();
    let cut = band_row["cuts"]["targeted"].as_f64().unwrap();
    let group = band_row["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == slug.as_str())
        .unwrap();
    assert!(group["qualifies"].as_bool().unwrap());
    assert!(group["index"].as_f64().unwrap() <= cut);
    let step = band_row["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["measure"] == slug.as_str())
        .unwrap();
    assert!(
        (step["gap"].as_f64().unwrap() - (cut - group["index"].as_f64().unwrap())).abs() < 1e-9
    );

    let commendable = first_row_with(&rows, "Commendable", "");
    let text = ok(&empower(
        &["explain", "--year", "2018", &commendable[0]],
        &rc2018(),
    ));
    assert!(text.contains("Next level up: Exemplary"), "{text}");
    assert!(text.contains("index points to Exemplary"), "{text}");
    // Every indicator line shows value, n, score, weight and points.
    assert!(text.contains("Chronic absenteeism"), "{text}");
    assert!(text.contains("Index:"), "{text}");
}

#[test]
fn explain_an_unknown_school_says_so() {
    let out = empower(&["explain", "--year", "2018", "999999999999999"], &rc2018());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("999999999999999 is not in the files"));
}

#[test]
fn improved_lists_k8_moves_up_with_counts_per_transition() {
    let panel = data("capstone_k8_panel_2018_2020.csv");
    let text = ok(&empower(
        &["improved", "--from", "2018", "--to", "2019"],
        std::slice::from_ref(&panel),
    ));
    assert!(text.contains("Moves up:"), "{text}");
    let first = text.lines().next().unwrap();
    assert!(first.contains("designated in both years"), "{first}");
    let csv = ok(&empower(
        &[
            "improved", "--from", "2018", "--to", "2019", "--format", "csv",
        ],
        &[panel],
    ));
    let (h, rows) = parse_csv(&csv);
    assert_eq!(
        h,
        [
            "rcdts",
            "school_name",
            "district",
            "city",
            "county",
            "from",
            "to",
            "from_support"
        ]
    );
    assert!(rows.len() > 50, "{} schools moved up", rows.len());
    // Named, from the bundled extract (the panel has no names).
    assert!(rows.iter().filter(|r| !r[1].is_empty()).count() * 10 >= rows.len() * 9);
    let rank = |d: &str| {
        ["Exemplary", "Commendable", "Targeted", "Comprehensive"]
            .iter()
            .position(|x| *x == d)
            .unwrap()
    };
    assert!(rows.iter().all(|r| rank(&r[6]) < rank(&r[5])));
    // The per-transition counts add up to the list.
    let counted: usize = text
        .lines()
        .skip_while(|l| !l.starts_with("Moves up:"))
        .skip(1)
        .take_while(|l| l.contains('→'))
        .map(|l| {
            l.split_whitespace()
                .last()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(counted, rows.len());
}

#[test]
fn near_cut_lists_chicago_schools_within_the_distance_both_sides() {
    let out = empower(
        &[
            "near-cut",
            "--year",
            "2018",
            "--within",
            "0.5",
            "--district",
            "150162990250000",
            "--format",
            "csv",
        ],
        &rc2018(),
    );
    let (header, rows) = parse_csv(&ok(&out));
    assert_eq!(
        header,
        [
            "rcdts",
            "school_name",
            "band",
            "designation",
            "cut",
            "group",
            "index",
            "cut_value",
            "distance",
            "direction",
            "meaning"
        ]
    );
    assert!(rows.len() > 10, "{}", rows.len());
    assert!(rows.iter().all(|r| r[0].starts_with("15016299025")));
    let distances: Vec<f64> = rows.iter().map(|r| r[8].parse().unwrap()).collect();
    assert!(distances.iter().all(|d| d.abs() <= 0.5));
    assert!(distances
        .windows(2)
        .all(|w| w[0].abs() <= w[1].abs() + 0.005));
    // Both sides of the cuts, and all three cuts, on real data.
    for side in ["above", "at-or-below"] {
        assert!(rows.iter().any(|r| r[9] == side), "no {side}");
    }
    for cut in ["comprehensive", "targeted", "top"] {
        assert!(rows.iter().any(|r| r[4] == cut), "no {cut}");
    }
    // A group at or below the Targeted cut belongs to a school the rules
    // identify (Targeted, or worse).
    assert!(rows
        .iter()
        .filter(|r| r[4] == "targeted" && r[9] == "at-or-below")
        .all(|r| ["Targeted", "Comprehensive", "Intensive"].contains(&r[3].as_str())));
}

#[test]
fn a_what_if_names_its_rules_and_compare_shows_who_moves() {
    let dir = tempfile_dir("whatif");
    let run = |set: &[&str], name: &str| {
        let mut args = vec!["designate", "--year", "2018", "--format", "csv"];
        args.extend_from_slice(set);
        let out = empower(&args, &rc2018());
        let path = dir.join(name);
        std::fs::write(&path, ok(&out)).unwrap();
        (path, stderr(&out))
    };
    let (state_csv, state_err) = run(&[], "state.csv");
    assert!(
        state_err.lines().any(|l| l
            .starts_with("rules: states/illinois/accountability/2018.toml (sha256 ")
            && !l.contains("modified")),
        "{state_err}"
    );
    let (whatif_csv, whatif_err) = run(
        &["--set", "accountability.cuts.targeted.share=0.06"],
        "whatif.csv",
    );
    assert!(
        whatif_err.contains("modified: --set accountability.cuts.targeted.share=0.06"),
        "{whatif_err}"
    );
    // CSV output stays rows only.
    assert!(std::fs::read_to_string(&whatif_csv)
        .unwrap()
        .starts_with("rcdts,"));
    let out = empower(&["compare", "--format", "csv"], &[state_csv, whatif_csv]);
    let (header, rows) = parse_csv(&ok(&out));
    assert_eq!(header, ["rcdts", "school_name", "band", "from", "to"]);
    // A looser Targeted cut only adds Targeted schools.
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r[4] == "Targeted" && r[3] == "Commendable"),
        "{rows:?}"
    );
    assert!(stderr(&out).contains(&format!("Commendable → Targeted: {}", rows.len())));
    // A path the rules lack is refused, named.
    let out = empower(
        &[
            "designate",
            "--year",
            "2018",
            "--set",
            "accountability.cuts.targetd.share=0.06",
        ],
        &rc2018(),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no table `targetd`"),
        "{}",
        stderr(&out)
    );
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("empower-e2e-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn explain_takes_several_schools_and_shows_each_scoring_function() {
    let out = empower(
        &[
            "explain",
            "--year",
            "2018",
            "010010010260001,010010010262002",
        ],
        &rc2018(),
    );
    let text = ok(&out);
    assert!(
        text.contains("010010010260001 — ") && text.contains("010010010262002 — "),
        "{text}"
    );
    assert!(
        text.contains("Scoring:") && text.contains("linear: 30 → 0 points, 70 → 100 points"),
        "{text}"
    );
    let out = empower(
        &[
            "explain",
            "--year",
            "2018",
            "--format",
            "json",
            "010010010260001,010010010262002",
        ],
        &rc2018(),
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let ids: std::collections::BTreeSet<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rcdts"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let out = empower(
        &[
            "explain",
            "--year",
            "2018",
            "010010010260001,999999999999999",
        ],
        &rc2018(),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("999999999999999 is not in the files"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn lists_name_their_schools_and_filter_by_district_county_region_and_name() {
    let panel = vec![data("capstone_k8_panel_2018_2020.csv")];
    // The K-8 panel has no names: they come from the bundled extract.
    let out = empower(&["status", "--format", "csv", "--county", "adams"], &panel);
    let (header, rows) = parse_csv(&ok(&out));
    assert_eq!(
        header[..5],
        ["rcdts", "school_name", "district", "city", "county"]
    );
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r[4] == "Adams" && !r[1].is_empty()),
        "{rows:?}"
    );
    let out = empower(
        &[
            "improved",
            "--from",
            "2018",
            "--to",
            "2019",
            "--format",
            "csv",
            "--district",
            "150162990250000",
            "--name",
            "elem",
        ],
        &panel,
    );
    let (header, rows) = parse_csv(&ok(&out));
    assert_eq!(
        header,
        [
            "rcdts",
            "school_name",
            "district",
            "city",
            "county",
            "from",
            "to",
            "from_support"
        ]
    );
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[0].starts_with("15016299025")
        && r[1].to_lowercase().contains("elem")
        && r[3] == "Chicago"));
    let out = empower(&["status", "--format", "csv", "--region", "1"], &panel);
    let (_, rows) = parse_csv(&ok(&out));
    assert!(!rows.is_empty() && rows.iter().all(|r| r[0].starts_with("01")));
}

#[test]
fn the_wide_file_holds_every_figure_and_the_spreadsheet_keeps_ids_as_text() {
    let csv_out = ok(&empower(
        &["designate", "--year", "2018", "--format", "csv"],
        &rc2018(),
    ));
    let (_, plain) = parse_csv(&csv_out);
    let wide = ok(&empower(
        &["designate", "--year", "2018", "--format", "wide"],
        &rc2018(),
    ));
    let (header, rows) = parse_csv(&wide);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no `{name}` column in {header:?}"))
    };
    // One row per school and band, in the same order as the plain list,
    // with the same designations.
    assert_eq!(rows.len(), plain.len());
    for (w, p) in rows.iter().zip(&plain) {
        assert_eq!((&w[0], &w[col("designation")]), (&p[0], &p[4]));
    }
    for name in [
        "district",
        "city",
        "county",
        "reportable",
        "percentile",
        "weight_present",
        "to_comprehensive_cut",
        "to_targeted_cut",
        "to_top_cut",
        "ela_proficiency_value",
        "ela_proficiency_n",
        "ela_proficiency_score",
        "ela_proficiency_points",
        "low-income_index",
        "low-income_qualifies",
        "low-income_to_targeted_cut",
    ] {
        col(name);
    }
    // Seymour (Payson CUSD 1): Targeted for IEP and low-income students,
    // both at or below the Targeted cut; its index above it.
    let seymour = rows
        .iter()
        .find(|r| r[0] == "010010010260001")
        .expect("Seymour's row");
    assert_eq!(seymour[col("district")], "Payson CUSD 1");
    assert_eq!(seymour[col("county")], "Adams");
    let num = |r: &Vec<String>, c: &str| r[col(c)].parse::<f64>().unwrap();
    assert!(num(seymour, "low-income_to_targeted_cut") <= 0.0);
    assert!(num(seymour, "iep_to_targeted_cut") <= 0.0);
    assert!(num(seymour, "to_targeted_cut") > 0.0);
    assert_eq!(seymour[col("low-income_qualifies")], "1");
    // Rounded to what the data supports: two decimals at most.
    for c in ["index", "to_top_cut", "ela_proficiency_points"] {
        let v = &seymour[col(c)];
        assert!(
            v.split('.').nth(1).is_none_or(|d| d.len() <= 2),
            "{c} = {v}"
        );
    }
    // Exactly one reportable row per school.
    let mut per_school: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &rows {
        *per_school.entry(r[0].as_str()).or_default() += usize::from(r[col("reportable")] == "1");
    }
    assert!(
        per_school.values().all(|n| *n == 1),
        "one reportable row each"
    );

    // The spreadsheet: ids are text (a leading zero survives), numbers
    // are numbers, and a second sheet says what each column holds.
    let d = tempfile_dir("wide-xlsx");
    let path = d.join("designations.xlsx");
    ok(&empower(
        &[
            "designate",
            "--year",
            "2018",
            "--format",
            "wide",
            "--output",
            path.to_str().unwrap(),
        ],
        &rc2018(),
    ));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let strings = read("xl/sharedStrings.xml");
    let a2 = &sheet[sheet.find("<c r=\"A2\"").expect("cell A2")..];
    assert!(
        a2[..a2.find("</c>").unwrap()].contains("t=\"s\""),
        "A2 is a text cell: {}",
        &a2[..80]
    );
    assert!(strings.contains(">010010010260001<"));
    assert!(read("xl/workbook.xml").contains("name=\"columns\""));
    // A spreadsheet needs the wide format.
    let out = empower(
        &[
            "designate",
            "--year",
            "2018",
            "--output",
            path.to_str().unwrap(),
        ],
        &rc2018(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--format wide"), "{}", stderr(&out));
}
