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

/// Which rules a run used: the file, the hash of its content, and
/// whether the user changed them (`--rules` or `--set`). Every run names
/// them, so that a what-if result is never mistaken for the state's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RulesProvenance {
    pub name: String,
    /// SHA-256 of the file's text, before any `--set`.
    pub sha256: String,
    /// A rules file of the user's, or changes by `--set`.
    pub modified: bool,
    /// The `--set` changes, as given.
    pub set: Vec<String>,
}

impl RulesProvenance {
    /// The rules file `name` holding `text`: a file of the user's when
    /// `users_file`, changed by `set`.
    fn new(name: &str, text: &str, users_file: bool, set: &[String]) -> Self {
        RulesProvenance {
            name: name.to_string(),
            sha256: crate::publish::sha256_hex(text.as_bytes()),
            modified: users_file || !set.is_empty(),
            set: set.to_vec(),
        }
    }
}

impl std::fmt::Display for RulesProvenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rules: {} (sha256 {})", self.name, &self.sha256[..16])?;
        if self.modified {
            f.write_str(", modified")?;
            if !self.set.is_empty() {
                write!(f, ": --set {}", self.set.join(" --set "))?;
            }
        }
        Ok(())
    }
}

/// The rules for `year` with what-if changes: each `PATH=VALUE` sets a
/// dotted path of the accountability rules (`accountability.cuts.
/// targeted.share=0.06`); the value is read as TOML (a number, `true`, a
/// quoted or bare string). An unknown path is an error naming it.
pub fn accountability_with(
    state: &State,
    year: u16,
    file: Option<&Path>,
    set: &[String],
) -> Result<(AccountabilityRules, RulesProvenance), AppError> {
    let RulesText { name, text } = accountability_text(state, year, file)?;
    let provenance = RulesProvenance::new(&name, &text, file.is_some(), set);
    if set.is_empty() {
        return Ok((accountability(state, year, file)?, provenance));
    }
    let doc = with_changes(
        &name,
        &text,
        set,
        "accountability",
        "cuts.targeted.share=0.06",
    )?;
    let changed = toml::to_string(&doc).map_err(|e| AppError::Refused(e.to_string()))?;
    let r = AccountabilityRules::from_toml(&changed, &format!("{name} (modified by --set)"))
        .map_err(|e| AppError::Refused(e.to_string()))?;
    r.check_measures(&state.catalogue)
        .map_err(|e| AppError::Refused(format!("{name}: {e}")))?;
    Ok((r, provenance))
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

/// The rules file `text` (named `name`) with the `--set` changes, each
/// `PATH=VALUE` whose path starts with `prefix.` (which rules it changes);
/// the value is read as TOML (a number, `true`, a quoted or bare string).
/// `example` is a path and value of these rules, for the error messages.
fn with_changes(
    name: &str,
    text: &str,
    set: &[String],
    prefix: &str,
    example: &str,
) -> Result<toml::Value, AppError> {
    let mut doc: toml::Value =
        toml::from_str(text).map_err(|e| AppError::Refused(format!("{name}: {e}")))?;
    let mut changes = Vec::new();
    for s in set {
        let Some((path, value)) = s.split_once('=') else {
            return Err(AppError::Refused(format!(
                "--set {s}: write PATH=VALUE, e.g. {prefix}.{example}"
            )));
        };
        let Some(path) = path
            .trim()
            .strip_prefix(prefix)
            .and_then(|p| p.strip_prefix('.'))
        else {
            return Err(AppError::Refused(format!(
                "--set {s}: the path starts with the rules it changes: {prefix}.{}",
                path.trim()
            )));
        };
        let value = value.trim();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        changes.push((path.to_string(), parsed));
    }
    empower_rules::apply_overrides(&mut doc, changes.iter().map(|(p, v)| (p.as_str(), v)))
        .map_err(|e| AppError::Refused(format!("--set: {e}")))?;
    Ok(doc)
}

/// The higher-performing rules with what-if changes: each `PATH=VALUE`
/// sets a dotted path of them (`higher_performing.min_students=20`), as
/// [`accountability_with`] does for the accountability rules.
pub fn higher_performing_with(
    state: &State,
    file: Option<&Path>,
    set: &[String],
) -> Result<(HpRules, RulesProvenance), AppError> {
    let (name, text) = match file {
        Some(f) => (f.display().to_string(), read(f, "rules file")?),
        None => {
            let f = &state.higher_performing_file;
            (f.path.clone(), f.text.clone())
        }
    };
    let provenance = RulesProvenance::new(&name, &text, file.is_some(), set);
    if set.is_empty() {
        return Ok((higher_performing(state, file)?, provenance));
    }
    let doc = with_changes(&name, &text, set, "higher_performing", "min_students=20")?;
    let changed = toml::to_string(&doc).map_err(|e| AppError::Refused(e.to_string()))?;
    let r = HpRules::from_toml(&changed, &format!("{name} (modified by --set)"))
        .map_err(AppError::Refused)?;
    r.check_measures(&state.catalogue)
        .map_err(|e| AppError::Refused(format!("{name}: {e}")))?;
    Ok((r, provenance))
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
