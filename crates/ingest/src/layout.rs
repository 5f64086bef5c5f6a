use empower_model::{Grade, Group, Level, MeasureCatalogue, Subject};
use indexmap::IndexMap;
use serde::Deserialize;

/// A file layout: the column map of one publisher's files over a span of
/// years (e.g. ISBE report card, 2019+ layout). Kept as TOML data under
/// `states/<state>/columns/`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    /// Years the layout is valid for; open-ended when `last_year` is absent.
    #[serde(default)]
    pub first_year: Option<u16>,
    #[serde(default)]
    pub last_year: Option<u16>,
    /// Cell texts meaning "no value" (suppressed or not applicable).
    pub missing: Vec<String>,
    /// Values of the level column → level.
    #[serde(default)]
    pub levels: IndexMap<String, Level>,
    /// Printed whenever the layout is used, e.g. "a 2019 list used as proxy".
    #[serde(default)]
    pub note: Option<String>,
    pub sheet: Vec<SheetSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetSpec {
    pub name: String,
    /// Headers that must all be present for a sheet to be this one.
    pub signature: Vec<String>,
    /// Header of the RCDTS column.
    pub id: String,
    /// Header of the school/district/state column (the first of these
    /// that the sheet has; ISBE says `Type` or `Level`); without one every
    /// row is a school.
    #[serde(default)]
    pub level: Vec<String>,
    /// Header of a year column and its values → report-card year; without
    /// one, rows take the year being imported.
    #[serde(default)]
    pub year_column: Option<String>,
    #[serde(default)]
    pub year_values: IndexMap<String, u16>,
    pub columns: Vec<ColumnSpec>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub header: String,
    /// Which of several columns with this exact header (1-based).
    #[serde(default = "one")]
    pub occurrence: usize,
    pub measure: String,
    #[serde(default = "all_group")]
    pub group: Group,
    #[serde(default)]
    pub subject: Option<Subject>,
    #[serde(default = "all_grade", deserialize_with = "grade")]
    pub grade: Grade,
    /// A text value (names, grades served, designations) instead of a number.
    #[serde(default)]
    pub text: bool,
    /// Text values to recode (e.g. `"1.0" = "Comprehensive"`).
    #[serde(default)]
    pub values: IndexMap<String, String>,
    /// Header of the column holding the count behind this value.
    #[serde(default)]
    pub n_header: Option<String>,
}

fn one() -> usize {
    1
}
fn all_group() -> Group {
    Group::All
}
fn all_grade() -> Grade {
    Grade::All
}
fn grade<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Grade, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl Layout {
    pub fn from_toml(text: &str, source_name: &str) -> Result<Layout, String> {
        let l: Layout = toml::from_str(text).map_err(|e| format!("{source_name}: {e}"))?;
        for s in &l.sheet {
            for c in &s.columns {
                if c.occurrence == 0 {
                    return Err(format!(
                        "{source_name}: sheet `{}`, column `{}`: occurrence counts from 1",
                        s.name, c.header
                    ));
                }
            }
        }
        Ok(l)
    }

    /// Checks the map against the state's catalogue: every measure known,
    /// read as text exactly when the catalogue says it is text, recoded
    /// values among the measure's words; and no column read twice.
    pub fn check_measures(
        &self,
        catalogue: &MeasureCatalogue,
        source_name: &str,
    ) -> Result<(), String> {
        for s in &self.sheet {
            let mut seen = std::collections::HashSet::new();
            for c in &s.columns {
                let at = || format!("{source_name}: sheet `{}`, column `{}`", s.name, c.header);
                let spec = catalogue
                    .spec(&c.measure)
                    .map_err(|e| format!("{}: {e}", at()))?;
                if spec.text != c.text {
                    return Err(format!(
                        "{}: the catalogue says `{}` is {}; set `text = {}`",
                        at(),
                        c.measure,
                        if spec.text { "text" } else { "a number" },
                        spec.text
                    ));
                }
                for v in c.values.values() {
                    catalogue
                        .check_text(&c.measure, v)
                        .map_err(|e| format!("{}: {e}", at()))?;
                }
                if !seen.insert((c.header.as_str(), c.occurrence)) {
                    return Err(format!("{}: the column is mapped twice", at()));
                }
            }
        }
        Ok(())
    }

    pub fn valid_for(&self, year: u16) -> bool {
        self.first_year.is_none_or(|f| year >= f) && self.last_year.is_none_or(|l| year <= l)
    }

    pub fn years(&self) -> String {
        match (self.first_year, self.last_year) {
            (Some(f), Some(l)) if f == l => format!("{f}"),
            (Some(f), Some(l)) => format!("{f}-{l}"),
            (Some(f), None) => format!("{f} on"),
            (None, Some(l)) => format!("up to {l}"),
            (None, None) => "any year".into(),
        }
    }
}

impl SheetSpec {
    /// True when every signature header is among `headers`.
    pub fn matches(&self, headers: &[String]) -> bool {
        self.signature
            .iter()
            .all(|s| headers.iter().any(|h| h == s))
    }
}
