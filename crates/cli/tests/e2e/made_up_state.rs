//! A state is data: Lakeshore, a made-up state with its own school ids,
//! measure names, column headers, weights, cuts and Title I words
//! (`tests/made_up_state/`), designates from its files alone.

use crate::common::{empower, ok, stderr};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/made_up_state")
}

fn lakeshore(args: &[&str]) -> std::process::Output {
    let states = dir().join("states");
    let mut all = vec!["--states", states.to_str().unwrap(), "--state", "lakeshore"];
    all.extend_from_slice(args);
    empower(&all, &[dir().join("report-card-2024.csv")])
}

#[test]
fn a_made_up_state_designates_from_its_own_files() {
    let csv = ok(&lakeshore(&[
        "designate",
        "--year",
        "2024",
        "--format",
        "csv",
    ]));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    // 24 campuses; the three 6-12 campuses have a row per band.
    assert_eq!(rows.len(), 24 + 3, "{csv}");
    assert!(rows
        .iter()
        .all(|x| x[0].len() == 9 && x[0].starts_with("LK")));
    let row = |id: &str, band: &str| {
        rows.iter()
            .find(|x| &x[0] == id && &x[2] == band)
            .unwrap_or_else(|| panic!("no row {id} {band} in\n{csv}"))
            .clone()
    };
    // LK-010-0001 by hand, with Lakeshore's weights and scorings: reading
    // 60 and math 50 (weight 25 each, 0 → 0, 100 → 100), growth 50 and 56
    // (15 each, 20 → 0, 80 → 100: 50 and 60 points), absence 12% (20,
    // 30 → 0, 0 → 100: 60 points): (1500 + 1250 + 750 + 900 + 1200) / 100.
    let harbor = row("LK0100001", "ES");
    assert_eq!(harbor[3].parse::<f64>().unwrap(), 56.0);
    // The K-2 campus is paired within its district (LK010).
    assert_eq!(&row("LK0100005", "ES")[6], "paired-with:LK0100006");
    // Lakeshore's 10% Title I cut: the lowest title I campus is Comprehensive.
    assert_eq!(&row("LK0200006", "ES")[4], "Comprehensive");
    // The state's published ratings are compared.
    let out = lakeshore(&["designate", "--year", "2024", "--format", "csv"]);
    assert!(
        stderr(&out).contains("Agreement with official designations"),
        "{}",
        stderr(&out)
    );
    // The table speaks the state's labels.
    let table = ok(&lakeshore(&["designate", "--year", "2024"]));
    assert!(table.contains("Lakeshore school ratings, 2024"), "{table}");
    assert!(table.contains("Comprehensive Support"), "{table}");
}

#[test]
fn a_made_up_state_explains_with_its_ids_and_refuses_others() {
    let json = ok(&lakeshore(&[
        "explain",
        "--year",
        "2024",
        "--format",
        "json",
        "LK-010-0001",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let e = &v["results"][0];
    assert_eq!(e["rcdts"], "LK0100001");
    assert_eq!(e["index"].as_f64(), Some(56.0), "{json}");
    // An Illinois RCDTS is not a Lakeshore campus number.
    let out = lakeshore(&["explain", "--year", "2024", "010010010260001"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a school id (Lakeshore campus number): expected 9"),
        "{}",
        stderr(&out)
    );
    // Illinois does not know Lakeshore's report card.
    let il = empower(
        &["designate", "--year", "2024"],
        &[dir().join("report-card-2024.csv")],
    );
    assert!(!il.status.success());
}
