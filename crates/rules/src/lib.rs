//! Rules a state can change without touching code: accountability weights,
//! scoring functions, minimum n, cuts, graduation threshold, labels, status
//! cycle terms. Rules live in TOML files (see `states/`); this crate parses
//! and validates them and applies calibration overrides. It does no I/O:
//! callers hand it the file's text.

mod accountability;
mod checks;
mod overrides;

pub use accountability::*;
pub use checks::{above, in_range, known_measure, no_duplicates, reject_non_finite};
pub use overrides::{apply_overrides, OverrideError};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
}
