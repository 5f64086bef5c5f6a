//! Choosing the rules and column maps of a run: the state's file for the
//! year, or a file the user gives instead (`--rules`, `--columns`), checked
//! against the state's catalogue like the state's own.

use crate::AppError;
use empower_ingest::Layout;
use empower_peers::HpRules;
use empower_rules::AccountabilityRules;
use empower_states::{State, StateFiles};
use std::path::Path;

/// Loads state `name` from the folder `dir` of states' data, or from the
/// built-in copy of the project's `states/`.
pub fn load_state(name: &str, dir: Option<&Path>) -> Result<State, AppError> {
    let files = match dir {
        Some(d) => StateFiles::from_dir(d)?,
        None => StateFiles::embedded(),
    };
    Ok(files.load(name)?)
}

fn read(path: &Path, what: &str) -> Result<String, AppError> {
    std::fs::read_to_string(path)
        .map_err(|e| AppError::Refused(format!("cannot read the {what} {}: {e}", path.display())))
}

/// Accountability rules as text, with the name to show for them.
#[derive(Clone, Debug)]
pub struct RulesText {
    pub name: String,
    pub text: String,
}

/// The text of the rules for `year`: the user's file, or the state's file
/// whose years cover `year`.
pub fn accountability_text(
    state: &State,
    year: u16,
    file: Option<&Path>,
) -> Result<RulesText, AppError> {
    if let Some(f) = file {
        return Ok(RulesText {
            name: f.display().to_string(),
            text: read(f, "rules file")?,
        });
    }
    match state.rules_for(year) {
        Some(r) => Ok(RulesText {
            name: r.path.clone(),
            text: r.text.clone(),
        }),
        None => Err(AppError::Refused(format!(
            "no accountability rules of {} cover report-card year {year}; pass a rules file with --rules",
            state.manifest.name
        ))),
    }
}

/// The rules for `year`, parsed and checked: every measure they name is in
/// the catalogue and their years cover `year`.
pub fn accountability(
    state: &State,
    year: u16,
    file: Option<&Path>,
) -> Result<AccountabilityRules, AppError> {
    let RulesText { name, text } = accountability_text(state, year, file)?;
    let r = AccountabilityRules::from_toml(&text, &name)
        .map_err(|e| AppError::Refused(e.to_string()))?;
    r.check_measures(&state.catalogue)
        .map_err(|e| AppError::Refused(format!("{name}: {e}")))?;
    if !r.applies_to(year) {
        return Err(AppError::Refused(format!(
            "{name} covers report-card years {}-{}, not {year}",
            r.first_year,
            r.last_year.map(|y| y.to_string()).unwrap_or_default()
        )));
    }
    Ok(r)
}

/// Higher-performing rules: the user's file or the state's.
pub fn higher_performing(state: &State, file: Option<&Path>) -> Result<HpRules, AppError> {
    let Some(f) = file else {
        return Ok(state.higher_performing.clone());
    };
    let name = f.display().to_string();
    let rules = HpRules::from_toml(&read(f, "rules file")?, &name).map_err(AppError::Refused)?;
    rules
        .check_measures(&state.catalogue)
        .map_err(|e| AppError::Refused(format!("{name}: {e}")))?;
    Ok(rules)
}

/// The state's column maps plus the user's.
pub fn layouts(state: &State, extra: &[impl AsRef<Path>]) -> Result<Vec<Layout>, AppError> {
    let mut out = state.layouts.clone();
    for f in extra {
        let f = f.as_ref();
        let name = f.display().to_string();
        let layout =
            Layout::from_toml(&read(f, "column map")?, &name).map_err(AppError::Refused)?;
        layout
            .check_measures(&state.catalogue, &name)
            .map_err(AppError::Refused)?;
        out.push(layout);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_data_parses() {
        let il = load_state("illinois", None).unwrap();
        assert!(layouts(&il, &[] as &[&Path]).unwrap().len() >= 4);
        assert_eq!(accountability(&il, 2018, None).unwrap().first_year, 2018);
        assert_eq!(accountability(&il, 2019, None).unwrap().first_year, 2019);
        let e = accountability(&il, 2017, None).unwrap_err();
        assert!(e.to_string().contains("2017"), "{e}");
        assert_eq!(higher_performing(&il, None).unwrap().window_years, 3);
        let e = load_state("atlantis", None).unwrap_err();
        assert!(e.to_string().contains("atlantis"), "{e}");
    }
}
