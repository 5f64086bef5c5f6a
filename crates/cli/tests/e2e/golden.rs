//! The JSON contract: golden files of `designate`, `explain`,
//! `higher-performing`, `improved` and `status` on small fixtures cut from
//! the real files (`crates/fuzzing/fixtures`). A change to a field, a code or
//! a number shows as a diff of `tests/e2e/snapshots/`; accept it with
//! `cargo insta review` (or `INSTA_UPDATE=always`) only when it is meant.
//! File paths in warnings are reduced to file names, so that the golden
//! files do not depend on where the project is checked out, and arrays are
//! kept to their first 8 elements (with a count of the rest), so that a
//! golden file shows the shape and the first values, not megabytes.

use crate::common::*;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzzing/fixtures")
        .join(name)
}

/// Runs the command and parses its JSON, with paths made portable.
fn json_of(args: &[&str], files: &[PathBuf]) -> serde_json::Value {
    let out = empower(args, files);
    let mut v: serde_json::Value = serde_json::from_str(&ok(&out)).expect("JSON output");
    portable(&mut v);
    v
}

/// The value as a golden file keeps it: every array cut to 8 elements.
fn golden(mut v: serde_json::Value) -> serde_json::Value {
    fn cut(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => m.values_mut().for_each(cut),
            serde_json::Value::Array(a) => {
                if a.len() > 8 {
                    let rest = a.len() - 8;
                    a.truncate(8);
                    a.push(serde_json::Value::String(format!("({rest} more)")));
                }
                a.iter_mut().for_each(cut);
            }
            _ => {}
        }
    }
    cut(&mut v);
    v
}

fn portable(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "file" {
                    if let Some(s) = x.as_str() {
                        let name = s.rsplit('/').next().unwrap_or(s).to_string();
                        *x = serde_json::Value::String(name);
                    }
                } else {
                    portable(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(portable),
        _ => {}
    }
}

fn rc2018_fixtures() -> Vec<PathBuf> {
    vec![
        fixture("rc2018-general-60.csv"),
        fixture("rc2018-ela-math-60.csv"),
    ]
}

#[test]
fn designate_json() {
    let v = json_of(
        &["designate", "--year", "2018", "--format", "json"],
        &rc2018_fixtures(),
    );
    // Codes as in the CSV output.
    let codes: Vec<&str> = v["designations"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["reasons"].as_array().unwrap())
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| !c.contains("bottom5") && *c != "top10"),
        "{codes:?}"
    );
    // The results read back into the engine's types.
    let back: empower_accountability::Designations =
        serde_json::from_value(v["designations"].clone()).expect("designations deserialize");
    assert_eq!(back.year, 2018);
    insta::assert_json_snapshot!("designate", golden(v));
}

#[test]
fn explain_json() {
    let v = json_of(
        &[
            "explain",
            "--year",
            "2018",
            "--format",
            "json",
            "010010010260001",
        ],
        &rc2018_fixtures(),
    );
    let back: Vec<empower_accountability::Explanation> =
        serde_json::from_value(v["results"].clone()).expect("explanations deserialize");
    assert!(!back.is_empty());
    insta::assert_json_snapshot!("explain", golden(v));
}

#[test]
fn higher_performing_json() {
    let cells = fixture("cells-60.csv");
    let v = json_of(
        &[
            "higher-performing",
            "--format",
            "json",
            "--cells",
            cells.to_str().unwrap(),
        ],
        &[],
    );
    // Grades as api.md spells them.
    let grades: Vec<&serde_json::Value> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["key"]["grade"])
        .collect();
    assert!(grades.iter().all(|g| g.is_string()), "{grades:?}");
    insta::assert_json_snapshot!("higher_performing", golden(v));
}

#[test]
fn improved_json() {
    let v = json_of(
        &[
            "improved", "--from", "2018", "--to", "2019", "--format", "json",
        ],
        &[fixture("k8-panel-40.csv")],
    );
    insta::assert_json_snapshot!("improved", golden(v));
}

#[test]
fn status_json() {
    let v = json_of(
        &["status", "--format", "json"],
        &[fixture("k8-panel-40.csv")],
    );
    insta::assert_json_snapshot!("status", golden(v));
}

#[test]
fn status_and_improved_refuse_what_cannot_be_answered() {
    let out = empower(
        &["status", "--school", "999999999999999"],
        &[fixture("k8-panel-40.csv")],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("school 999999999999999 has no designation in the files"));
    let out = empower(
        &["improved", "--from", "2019", "--to", "2018"],
        &[fixture("k8-panel-40.csv")],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("must be a year before"));
}
