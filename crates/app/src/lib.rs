//! The use cases of empower. Each loads what it needs (the state's data,
//! the user's files), calls the engines and returns plain results with the
//! run's warnings: it never prints and never reads arguments, so the
//! command line and the web application share one copy of every rule.
//!
//! Importing, designating, and the higher-performing use cases (`peers`)
//! are here; rendering stays with the callers.

pub mod peers;

use empower_accountability as acc;
use empower_ingest::{Import, IngestError, Layout, Progress, Warning};
use empower_rules::AccountabilityRules;
use empower_states::State;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// What the user must change, said for them.
    #[error("{0}")]
    Refused(String),
}

/// The files of one run and how strict to be about them.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    pub files: &'a [PathBuf],
    /// The state's column maps and the user's.
    pub layouts: &'a [Layout],
    /// Go on when the files lack a table the rules read, with a warning.
    pub allow_incomplete: bool,
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

/// A year designated: the schools as read, the designations, and the
/// warnings of the run (the import's and the designation's).
#[derive(Debug)]
pub struct Designated {
    pub import: Import,
    pub schools: Vec<acc::SchoolData>,
    pub designations: acc::Designations,
    pub warnings: Vec<Warning>,
}

/// Imports the files and designates every school of `year` under `rules`.
/// Refuses when the files hold no school of the year, when a table the
/// rules read is missing (unless `allow_incomplete`), or when no school
/// ends with an index.
pub fn designate(
    state: &State,
    rules: &AccountabilityRules,
    inputs: &Inputs,
    year: u16,
    progress: &dyn Progress,
) -> Result<Designated, AppError> {
    let import = import(state, inputs, Some(year), progress)?;
    let mut warnings = import.warnings.clone();
    let schools = acc::SchoolData::from_records(&import.records, year, &state.identity(rules));
    if schools.is_empty() {
        return Err(AppError::Refused(format!(
            "the files hold no school rows for report-card year {year}"
        )));
    }
    let missing = required_inputs(&import, rules, inputs, year)?;
    let designations = acc::designate(&schools, rules, year);
    if !designations.rows.iter().any(|r| r.index.is_some()) {
        let why = if missing.is_empty() {
            "the files lack the figures the rules read (are the assessment files among them?)"
                .to_string()
        } else {
            missing
                .iter()
                .map(|w| w.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Err(AppError::Refused(format!(
            "no school has an index for {year}: {why}"
        )));
    }
    warnings.extend(missing);
    Ok(Designated {
        import,
        schools,
        designations,
        warnings,
    })
}

/// Every measure the rules read that a column map of the year can carry
/// must have figures: when none has, the file that carries it was left
/// out, and designations from the others would quietly differ. With
/// `allow_incomplete` that is a warning instead of a refusal.
pub fn required_inputs(
    import: &Import,
    rules: &AccountabilityRules,
    inputs: &Inputs,
    year: u16,
) -> Result<Vec<Warning>, AppError> {
    let present: HashSet<&str> = import
        .records
        .iter()
        .filter(|r| r.year == year)
        .map(|r| &*r.measure)
        .collect();
    let mut readers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for b in rules.bands.values() {
        for (name, ind) in &b.indicators {
            for m in &ind.measures {
                readers.entry(m.as_str()).or_default().push(name.clone());
            }
        }
    }
    let mut warnings = Vec::new();
    for (measure, mut indicators) in readers {
        if present.contains(measure) {
            continue;
        }
        let carriers: Vec<String> = inputs
            .layouts
            .iter()
            .filter(|l| l.valid_for(year))
            .flat_map(|l| {
                l.sheet
                    .iter()
                    .filter(|s| s.columns.iter().any(|c| c.measure == measure))
                    .map(move |s| format!("the `{}` sheet of the {}", s.name, l.name))
            })
            .collect();
        if carriers.is_empty() {
            // No file of this year has it: the explanations say so.
            continue;
        }
        indicators.dedup();
        let message = format!(
            "no school has a `{measure}` figure for {year}, which {} read; the file with it seems missing ({})",
            indicators.join(", "),
            carriers.join("; ")
        );
        if !inputs.allow_incomplete {
            return Err(AppError::Refused(format!(
                "{message}. Pass that file, or --allow-incomplete to go on without it"
            )));
        }
        warnings.push(Warning::new(
            Path::new("(all files)"),
            None,
            format!("{message}; going on without it (--allow-incomplete)"),
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzzing/fixtures")
            .join(name)
    }

    #[test]
    fn designates_the_fixture_year_and_refuses_a_missing_table() {
        let state = empower_states::StateFiles::embedded()
            .load("illinois")
            .unwrap();
        let rules = &state.rules_for(2018).unwrap().rules;
        let both = [
            fixture("rc2018-general-60.csv"),
            fixture("rc2018-ela-math-60.csv"),
        ];
        let inputs = Inputs {
            files: &both,
            layouts: &state.layouts,
            allow_incomplete: false,
        };
        let d = designate(&state, rules, &inputs, 2018, &()).unwrap();
        assert_eq!(d.schools.len(), 60);
        assert!(d.designations.rows.iter().any(|r| r.designation.is_some()));
        let general = [fixture("rc2018-general-60.csv")];
        let only_general = Inputs {
            files: &general,
            ..inputs.clone()
        };
        let e = designate(&state, rules, &only_general, 2018, &()).unwrap_err();
        assert!(e.to_string().contains("--allow-incomplete"), "{e}");
        let e = import(&state, &inputs, Some(1800), &()).unwrap_err();
        assert!(e.to_string().contains("1800"), "{e}");
    }
}
