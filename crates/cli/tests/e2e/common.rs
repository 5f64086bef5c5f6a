//! Helpers shared by the end-to-end tests: run the `empower` binary on the
//! real Illinois files in `../shared/data/illinois`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn data_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let dir = root.join("shared/data/illinois");
    assert!(
        dir.is_dir(),
        "the real data must sit beside the project: {} not found",
        dir.display()
    );
    dir
}

pub fn data(name: &str) -> PathBuf {
    data_dir().join(name)
}

pub fn rc2018() -> Vec<PathBuf> {
    [
        "isbe_rc2018_general.csv",
        "isbe_rc2018_ela_math.csv",
        "isbe_rc2018_isa_science.csv",
        "jserr2_rc2019_title1_frl_merged.csv",
    ]
    .iter()
    .map(|f| data(f))
    .collect()
}

pub fn empower(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_empower"))
        .args(args)
        .args(files)
        .output()
        .expect("the empower binary runs")
}

pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "empower failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("empower-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Parses CSV text into header and rows.
pub fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
