//! The state data compiled into the binary: rules files and column maps of
//! `states/illinois/`. A user's own files (`--rules`, `--columns`) are read
//! from disk instead or in addition.

use anyhow::{bail, Context, Result};
use empower_ingest::Layout;
use empower_model::MeasureCatalogue;
use empower_rules::AccountabilityRules;
use std::path::Path;

const CATALOGUE: (&str, &str) = (
    "states/illinois/measures.toml",
    include_str!("../../../states/illinois/measures.toml"),
);

/// The measure catalogue every value, rules file and column map is
/// checked against.
pub fn catalogue() -> Result<MeasureCatalogue> {
    empower_ingest::catalogue_from_toml(CATALOGUE.1, CATALOGUE.0).map_err(anyhow::Error::msg)
}

const RULES: &[(&str, &str)] = &[
    (
        "states/illinois/accountability/2018.toml",
        include_str!("../../../states/illinois/accountability/2018.toml"),
    ),
    (
        "states/illinois/accountability/2019.toml",
        include_str!("../../../states/illinois/accountability/2019.toml"),
    ),
];

const LAYOUTS: &[(&str, &str)] = &[
    (
        "states/illinois/columns/rc2018.toml",
        include_str!("../../../states/illinois/columns/rc2018.toml"),
    ),
    (
        "states/illinois/columns/rc2019.toml",
        include_str!("../../../states/illinois/columns/rc2019.toml"),
    ),
    (
        "states/illinois/columns/title1-2019.toml",
        include_str!("../../../states/illinois/columns/title1-2019.toml"),
    ),
    (
        "states/illinois/columns/k8-panel.toml",
        include_str!("../../../states/illinois/columns/k8-panel.toml"),
    ),
    (
        "states/illinois/columns/explorer-2025.toml",
        include_str!("../../../states/illinois/columns/explorer-2025.toml"),
    ),
];

const HIGHER_PERFORMING: (&str, &str) = (
    "states/illinois/higher-performing.toml",
    include_str!("../../../states/illinois/higher-performing.toml"),
);

/// Higher-performing rules: the user's file or the built-in Illinois one.
pub fn hp_rules(file: Option<&Path>) -> Result<empower_peers::HpRules> {
    let (text, name) = match file {
        Some(f) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the rules file {}", f.display()))?,
            f.display().to_string(),
        ),
        None => (
            HIGHER_PERFORMING.1.to_string(),
            HIGHER_PERFORMING.0.to_string(),
        ),
    };
    let rules = empower_peers::HpRules::from_toml(&text, &name).map_err(anyhow::Error::msg)?;
    rules
        .check_measures(&catalogue()?)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(rules)
}

/// Rules text and the name to show for it: the user's file, or the built-in
/// file whose years cover `year`.
pub fn rules_text(year: u16, file: Option<&Path>) -> Result<(String, String)> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the rules file {}", f.display()))?;
        return Ok((text, f.display().to_string()));
    }
    for (name, text) in RULES {
        let r = AccountabilityRules::from_toml(text, name)?;
        if r.applies_to(year) {
            return Ok((text.to_string(), name.to_string()));
        }
    }
    bail!("no built-in accountability rules cover report-card year {year}; pass a rules file with --rules")
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

/// Built-in column maps plus the user's.
pub fn layouts(extra: &[std::path::PathBuf]) -> Result<Vec<Layout>> {
    let catalogue = catalogue()?;
    let mut out = Vec::new();
    let mut add = |text: &str, name: &str| -> Result<()> {
        let layout = Layout::from_toml(text, name).map_err(anyhow::Error::msg)?;
        layout
            .check_measures(&catalogue, name)
            .map_err(anyhow::Error::msg)?;
        out.push(layout);
        Ok(())
    };
    for (name, text) in LAYOUTS {
        add(text, name)?;
    }
    for f in extra {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the column map {}", f.display()))?;
        add(&text, &f.display().to_string())?;
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
        assert_eq!(hp_rules(None).unwrap().window_years, 3);
    }
}
