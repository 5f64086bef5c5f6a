//! The use cases of empower. Each loads what it needs (the state's data,
//! the user's files), calls the engines and returns plain results with the
//! run's warnings: it never prints and never reads arguments, so the
//! command line and the web application share one copy of every rule.
//!
//! - [`rules`]: the state of a run, and its rules and column maps by year;
//! - [`accountability`]: designate, explain, improved, status, calibrate;
//! - [`peers`]: cells (from a file, report cards or student records), the
//!   higher-performing model, similar schools, the generator's school list;
//! - [`publish`]: import files into the store and publish what they give;
//! - [`public`]: what anyone may read, small groups removed;
//! - [`accounts`]: people, roles with scope, sessions, tokens, links and
//!   the audit log; [`policy`]: who may do what, one function per action.

pub mod accountability;
pub mod accounts;
pub mod clock;
pub mod improvement;
pub mod partners;
pub mod peers;
pub mod policy;
pub mod public;
pub mod publish;
pub mod rar;
pub mod rules;
pub mod tep;
pub mod uploads;
pub mod wide;

pub use accountability::{
    bundled_directory, calibrate, designate, designate_import, directory, directory_with_bundled,
    explain, improved, official_designations, required_inputs, status, Calibrated, Designated,
    DirectoryEntry, Improved, SchoolStatus, Transition,
};

use empower_ingest::{Import, IngestError, Layout, Progress, Warning};
use empower_states::State;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    State(#[from] empower_states::StateError),
    #[error(transparent)]
    Store(#[from] empower_store::StoreError),
    /// What the user must change, said for them.
    #[error("{0}")]
    Refused(String),
    /// A field of a request is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The action needs someone signed in.
    #[error("sign in first")]
    SignInRequired,
    /// The e-mail address and password do not match an account.
    #[error("the e-mail address or the password is not right")]
    BadCredentials,
    /// Signed in, but outside one's role or scope.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The record's state does not allow it (used, expired, duplicate...).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts: try again after this many seconds.
    #[error("too many attempts: try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
}

/// A use case's result with what the run has to tell its reader: warnings
/// (what was dropped, defaulted or not covered) and notes (what the files
/// stood in for).
#[derive(Debug)]
pub struct Loaded<T> {
    pub value: T,
    pub warnings: Vec<Warning>,
    pub notes: Vec<String>,
}

/// The files of one run and how strict to be about them.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    pub files: &'a [PathBuf],
    /// The state's column maps and the user's.
    pub layouts: &'a [Layout],
    /// Go on when the files lack a table the rules read, with a warning.
    pub allow_incomplete: bool,
    /// CSV files read at once (the caller's choice: the CLI, every core).
    pub threads: usize,
}

/// Imports the files for a report-card year (or any year), checking the
/// year against the state's catalogue. The import carries its warnings.
pub fn import(
    state: &State,
    inputs: &Inputs,
    year: Option<u16>,
    progress: &dyn Progress,
) -> Result<Import, AppError> {
    if let Some(y) = year {
        state.catalogue.check_year(y).map_err(AppError::Refused)?;
    }
    Ok(empower_ingest::import_files(
        inputs.files,
        inputs.layouts,
        &state.catalogue,
        year,
        progress,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzzing/fixtures")
            .join(name)
    }

    #[test]
    fn designates_the_fixture_year_and_refuses_a_missing_table() {
        let state = rules::load_state("illinois", None).unwrap();
        let rules = &state.rules_for(2018).unwrap().rules;
        let both = [
            fixture("rc2018-general-60.csv"),
            fixture("rc2018-ela-math-60.csv"),
        ];
        let inputs = Inputs {
            files: &both,
            layouts: &state.layouts,
            allow_incomplete: false,
            threads: 2,
        };
        let d = designate(
            &state,
            rules,
            &inputs,
            2018,
            empower_accountability::Detail::Full,
            &(),
        )
        .unwrap();
        assert_eq!(d.schools.len(), 60);
        assert!(d.designations.rows.iter().any(|r| r.designation.is_some()));
        let general = [fixture("rc2018-general-60.csv")];
        let only_general = Inputs {
            files: &general,
            ..inputs.clone()
        };
        let e = designate(
            &state,
            rules,
            &only_general,
            2018,
            empower_accountability::Detail::Full,
            &(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("--allow-incomplete"), "{e}");
        let e = import(&state, &inputs, Some(1800), &()).unwrap_err();
        assert!(e.to_string().contains("1800"), "{e}");
    }
}

#[cfg(test)]
mod layering {
    use std::path::Path;

    fn dependencies(krate: &str) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(krate)
            .join("Cargo.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        doc.get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// ARCHITECTURE.md's invariants, checked on the manifests.
    #[test]
    fn engines_import_no_reader_store_or_web_and_only_renderers_know_json() {
        for engine in [
            "accountability",
            "peers",
            "partners",
            "improvement",
            "calendar",
            "tep",
            "rar",
            "print",
        ] {
            for dep in dependencies(engine) {
                assert!(
                    ["empower-model", "empower-rules", "empower-calendar"].contains(&dep.as_str())
                        || !dep.starts_with("empower-"),
                    "{engine} depends on {dep}"
                );
                assert!(
                    !["sqlx", "axum", "tokio", "reqwest", "serde_json"].contains(&dep.as_str()),
                    "{engine} depends on {dep}"
                );
            }
        }
        // The store keeps published documents as JSON; web and cli render.
        for krate in [
            "model",
            "rules",
            "accountability",
            "peers",
            "partners",
            "improvement",
            "calendar",
            "tep",
            "rar",
            "print",
            "ingest",
            "states",
            "synth",
            "app",
        ] {
            assert!(
                !dependencies(krate).contains(&"serde_json".to_string()),
                "{krate} knows JSON"
            );
        }
        assert!(dependencies("ingest")
            .iter()
            .filter(|d| d.starts_with("empower-"))
            .all(|d| d == "empower-model"));
    }
}
