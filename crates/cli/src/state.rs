//! The state whose data a run uses: its manifest, rules by year, column
//! maps, catalogue and higher-performing rules (`empower-states`), built
//! in from `states/` or read from `--states DIR`. A user's own files
//! (`--rules`, `--columns`) are read from disk instead or in addition.

use anyhow::{bail, Context, Result};
use empower_ingest::Layout;
use empower_model::MeasureCatalogue;
use empower_rules::AccountabilityRules;
use empower_states::{State, StateFiles};
use std::path::Path;
use std::sync::OnceLock;

static STATE: OnceLock<State> = OnceLock::new();

/// Loads the state for this run: `name` from `dir`, or from the built-in
/// states.
pub fn select(name: &str, dir: Option<&Path>) -> Result<()> {
    let files = match dir {
        Some(d) => StateFiles::from_dir(d)?,
        None => StateFiles::embedded(),
    };
    let state = files.load(name)?;
    let _ = STATE.set(state);
    Ok(())
}

/// The state of this run (Illinois unless `select` chose another).
pub fn current() -> Result<&'static State> {
    if STATE.get().is_none() {
        select("illinois", None)?;
    }
    Ok(STATE.get().expect("selected above"))
}

/// The measure catalogue every value, rules file and column map is
/// checked against.
pub fn catalogue() -> Result<MeasureCatalogue> {
    Ok(current()?.catalogue.clone())
}

/// The measures that identify a school under these rules.
pub fn identity(rules: &AccountabilityRules) -> Result<empower_accountability::Identity> {
    Ok(current()?.identity(rules))
}

/// Higher-performing rules: the user's file or the state's.
pub fn hp_rules(file: Option<&Path>) -> Result<empower_peers::HpRules> {
    let Some(f) = file else {
        return Ok(current()?.higher_performing.clone());
    };
    let text = std::fs::read_to_string(f)
        .with_context(|| format!("cannot read the rules file {}", f.display()))?;
    let name = f.display().to_string();
    let rules = empower_peers::HpRules::from_toml(&text, &name).map_err(anyhow::Error::msg)?;
    rules
        .check_measures(&catalogue()?)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(rules)
}

/// Rules text and the name to show for it: the user's file, or the state's
/// file whose years cover `year`.
pub fn rules_text(year: u16, file: Option<&Path>) -> Result<(String, String)> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the rules file {}", f.display()))?;
        return Ok((text, f.display().to_string()));
    }
    let state = current()?;
    match state.rules_for(year) {
        Some(r) => Ok((r.text.clone(), r.path.clone())),
        None => bail!(
            "no accountability rules of {} cover report-card year {year}; pass a rules file with --rules",
            state.manifest.name
        ),
    }
}

pub fn rules(year: u16, file: Option<&Path>) -> Result<AccountabilityRules> {
    let (text, name) = rules_text(year, file)?;
    let r = AccountabilityRules::from_toml(&text, &name)?;
    r.check_measures(&catalogue()?)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if !r.applies_to(year) {
        bail!(
            "{name} covers report-card years {}-{}, not {year}",
            r.first_year,
            r.last_year.map(|y| y.to_string()).unwrap_or_default()
        );
    }
    Ok(r)
}

/// The state's column maps plus the user's.
pub fn layouts(extra: &[std::path::PathBuf]) -> Result<Vec<Layout>> {
    let catalogue = catalogue()?;
    let mut out = current()?.layouts.clone();
    for f in extra {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the column map {}", f.display()))?;
        let name = f.display().to_string();
        let layout = Layout::from_toml(&text, &name).map_err(anyhow::Error::msg)?;
        layout
            .check_measures(&catalogue, &name)
            .map_err(anyhow::Error::msg)?;
        out.push(layout);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_data_parses() {
        assert!(layouts(&[]).unwrap().len() >= 4);
        assert_eq!(rules(2018, None).unwrap().first_year, 2018);
        assert_eq!(rules(2019, None).unwrap().first_year, 2019);
        assert!(rules(2017, None).is_err());
        assert_eq!(hp_rules(None).unwrap().window_years, 3);
    }
}
