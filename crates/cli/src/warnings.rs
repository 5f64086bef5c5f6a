//! Warnings of a run: what was dropped, defaulted or not covered, and how
//! many schools it touches. Each use case returns its own; the run gathers
//! them, prints them to standard error at its end with a count, and writes
//! them into JSON output as a `warnings` block, so that no result changes
//! without a word.

use empower_app::Loaded;
use empower_ingest::Warning;

/// Serialised as the list of warnings.
#[derive(Default, serde::Serialize)]
#[serde(transparent)]
pub struct Warnings(Vec<Warning>);

impl Warnings {
    pub fn extend(&mut self, ws: impl IntoIterator<Item = Warning>) {
        for w in ws {
            if !self.0.contains(&w) {
                self.0.push(w);
            }
        }
    }

    /// A use case's value; its warnings join the run's and its notes are
    /// printed now.
    pub fn take<T>(&mut self, loaded: Loaded<T>) -> T {
        self.extend(loaded.warnings);
        for n in &loaded.notes {
            eprintln!("note: {n}");
        }
        loaded.value
    }

    /// A JSON result with the run's warnings added: an object gains a
    /// `warnings` key; an array is wrapped as `{"results": [...], "warnings": [...]}`.
    pub fn with_warnings(&self, result: serde_json::Value) -> serde_json::Value {
        let warnings = serde_json::to_value(&self.0).unwrap_or_default();
        match result {
            serde_json::Value::Object(mut m) => {
                m.insert("warnings".into(), warnings);
                serde_json::Value::Object(m)
            }
            other => serde_json::json!({ "results": other, "warnings": warnings }),
        }
    }

    /// Prints every warning and a closing count to standard error.
    pub fn print_summary(&self) {
        if self.0.is_empty() {
            return;
        }
        for w in &self.0 {
            eprintln!("warning: {w}");
        }
        eprintln!(
            "{} warning{} (above); the results stand as computed from what was read",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" },
        );
    }
}
