//! Warnings of a run: what was dropped, defaulted or not covered, and how
//! many schools it touches. They are collected as the run goes, printed to
//! standard error at its end with a count, and written into JSON output as
//! a `warnings` block, so that no result changes without a word.

use empower_ingest::Warning;
use std::sync::Mutex;

static WARNINGS: Mutex<Vec<Warning>> = Mutex::new(Vec::new());

pub fn push(w: Warning) {
    let mut all = WARNINGS.lock().unwrap_or_else(|e| e.into_inner());
    if !all.contains(&w) {
        all.push(w);
    }
}

pub fn extend(ws: impl IntoIterator<Item = Warning>) {
    for w in ws {
        push(w);
    }
}

pub fn all() -> Vec<Warning> {
    WARNINGS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A JSON result with the run's warnings added: an object gains a
/// `warnings` key; an array is wrapped as `{"results": [...], "warnings": [...]}`.
pub fn into_json(result: serde_json::Value) -> serde_json::Value {
    let warnings = serde_json::to_value(all()).unwrap_or_default();
    match result {
        serde_json::Value::Object(mut m) => {
            m.insert("warnings".into(), warnings);
            serde_json::Value::Object(m)
        }
        other => serde_json::json!({ "results": other, "warnings": warnings }),
    }
}

/// Prints every warning and a closing count to standard error.
pub fn print_summary() {
    let all = all();
    if all.is_empty() {
        return;
    }
    for w in &all {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "{} warning{} (above); the results stand as computed from what was read",
        all.len(),
        if all.len() == 1 { "" } else { "s" },
    );
}
