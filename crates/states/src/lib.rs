//! The states' data. Each state is a folder of `states/` with a manifest,
//! `state.toml`, naming its measure catalogue, its accountability rules
//! files (each says the report-card years it covers), the column maps of
//! the files it publishes, its higher-performing rules and the measures
//! that carry a school's identity. Adding a year or a state is adding
//! files: the build embeds every file of `states/`, and
//! [`StateFiles::from_dir`] reads another folder at run time.
//!
//! Loading a state checks all of it: every file parses, every measure it
//! names is in its catalogue, no two rules files cover the same year.

use empower_ingest::Layout;
use empower_model::MeasureCatalogue;
pub use empower_partners::PlpRules;
use empower_peers::HpRules;
use empower_rules::AccountabilityRules;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("no state `{state}` in {origin} (states there: {known})")]
    Unknown {
        state: String,
        origin: String,
        known: String,
    },
    #[error("{origin}: `{path}` is missing (named by {by})")]
    Missing {
        origin: String,
        path: String,
        by: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

/// `states/<state>/state.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    /// The measure catalogue (paths are relative to the state's folder).
    pub catalogue: String,
    /// Accountability rules files; each says which years it covers.
    pub accountability: Vec<String>,
    /// Column maps of the files the state publishes.
    pub columns: Vec<String>,
    pub higher_performing: String,
    pub identity: Identity,
    /// The resource and staff measures each school's profile carries.
    #[serde(default)]
    pub resource: Vec<ResourceMeasure>,
    /// The bundled extract of public data, loaded into an empty database.
    #[serde(default)]
    pub extract: Vec<ExtractGroup>,
    pub public: Public,
    /// The time zone whose calendar dates the rules name (deadlines,
    /// round dates), e.g. `America/Chicago`.
    pub time_zone: String,
    /// The Peer Learning Partners program, where the state runs it.
    #[serde(default)]
    pub partners: Option<PartnersFiles>,
    /// The improvement cycle, where the state runs it.
    #[serde(default)]
    pub improvement: Option<ImprovementFiles>,
    /// The Teaching Excellence Program, where the state runs it.
    #[serde(default)]
    pub tep: Option<TepFiles>,
    /// Resource Allocation Reviews, where the state runs them.
    #[serde(default)]
    pub rar: Option<RarFiles>,
}

/// `[rar]` of the manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RarFiles {
    /// The selection rule, dates, letter and rubric.
    pub rules: String,
}

/// A resource or staff measure the profile carries (`[[resource]]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceMeasure {
    pub measure: String,
    pub label: String,
    /// `dollars`, `percent`, `ratio` or `count`: how pages write it.
    pub unit: String,
}

/// `[tep]` of the manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TepFiles {
    /// One rules file per fiscal year (a year without its own file takes
    /// the nearest earlier one's).
    pub years: Vec<String>,
}

/// `[improvement]` of the manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImprovementFiles {
    /// Deadlines, sections, statuses, expense categories.
    pub cycle: String,
    /// The quality framework: standards, indicators, levels, rubric.
    pub framework: String,
    /// The standards' names (either naming version).
    pub standard_names: String,
}

/// The improvement cycle's rules and framework.
#[derive(Clone, Debug)]
pub struct Improvement {
    pub cycle: empower_improvement::CycleRules,
    pub framework: empower_improvement::Framework,
}

/// `[partners]` of the manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnersFiles {
    /// The program's rules (rounds, vocabularies, ranking).
    pub rules: String,
    /// The regions partners choose to serve.
    pub regions: String,
}

/// A region of the state (Illinois: ROE / ISC, the first two RCDTS
/// characters).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    region: Vec<Region>,
}

/// The Peer Learning Partners program's rules and regions.
#[derive(Clone, Debug)]
pub struct Partners {
    pub rules: PlpRules,
    pub regions: Vec<Region>,
}

impl Partners {
    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.name.as_str())
    }
}

/// What the public may see.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Public {
    /// A group's figure is public only with at least this many students.
    pub min_group_n: f64,
}

/// Files imported together, for one report-card year (files without a
/// year column take it) or for the years their rows name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractGroup {
    #[serde(default)]
    pub year: Option<u16>,
    pub files: Vec<String>,
}

/// A file of the bundled extract.
#[derive(Clone, Debug)]
pub struct ExtractFile {
    /// Its path under the state's folder.
    pub name: String,
    pub bytes: std::borrow::Cow<'static, [u8]>,
}

/// The text measures that say which school a row is about.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: String,
    pub grades_served: String,
    pub official_designation: String,
    /// Text measures of a school's directory entry, where the data has them.
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub county: Option<String>,
    #[serde(default)]
    pub district_name: Option<String>,
    #[serde(default)]
    pub school_type: Option<String>,
    /// The NCES locale (`42-Rural: Distant`), where the data has it.
    #[serde(default)]
    pub locale: Option<String>,
    /// The school's enrolment and each group's share of it (%), for the
    /// profile's demographics.
    #[serde(default)]
    pub enrollment: Option<String>,
    #[serde(default)]
    pub enrollment_share: Option<String>,
}

/// A rules file as read: where it came from, its text (calibration
/// overrides it) and the parsed rules.
#[derive(Clone, Debug)]
pub struct RulesFile {
    pub path: String,
    pub text: String,
    pub rules: AccountabilityRules,
}

/// A file of the state's data as written, and its path in the states'
/// data.
#[derive(Clone, Debug)]
pub struct FileText {
    pub path: String,
    pub text: String,
}

/// One state, loaded and checked.
#[derive(Clone, Debug)]
pub struct State {
    pub key: String,
    pub manifest: Manifest,
    pub catalogue: MeasureCatalogue,
    pub layouts: Vec<Layout>,
    pub rules: Vec<RulesFile>,
    pub higher_performing: HpRules,
    /// The higher-performing rules file as written (for what-if changes
    /// and naming the file a run used).
    pub higher_performing_file: FileText,
    pub partners: Option<Partners>,
    pub improvement: Option<Improvement>,
    /// The Teaching Excellence Program's rules, one per fiscal year.
    pub tep: Option<Vec<empower_tep::FiscalYearRules>>,
    /// Resource Allocation Reviews' rules.
    pub rar: Option<empower_rar::RarRules>,
    /// The bundled extract: (year, files) groups, as the manifest lists.
    pub extract: Vec<(Option<u16>, Vec<ExtractFile>)>,
}

impl State {
    /// The measures that identify a school, with the Title I measure of
    /// the rules in use.
    pub fn identity(&self, rules: &AccountabilityRules) -> empower_accountability::Identity {
        let i = &self.manifest.identity;
        empower_accountability::Identity {
            ids: self.catalogue.school_id.clone(),
            name: i.name.clone(),
            grades_served: i.grades_served.clone(),
            official_designation: i.official_designation.clone(),
            title1: rules.title1.measure.clone(),
        }
    }

    /// The rules file whose years cover `year`.
    pub fn rules_for(&self, year: u16) -> Option<&RulesFile> {
        self.rules.iter().find(|r| r.rules.applies_to(year))
    }
}

/// The files of `states/` (path relative to it → text).
#[derive(Clone, Debug)]
pub struct StateFiles {
    files: BTreeMap<String, String>,
    data: BTreeMap<String, std::borrow::Cow<'static, [u8]>>,
    origin: String,
}

impl StateFiles {
    /// The files embedded at build time.
    pub fn embedded() -> Self {
        StateFiles {
            files: EMBEDDED
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            data: EMBEDDED_DATA
                .iter()
                .map(|(p, b)| (p.to_string(), std::borrow::Cow::Borrowed(*b)))
                .collect(),
            origin: "the built-in states".into(),
        }
    }

    /// Every `.toml` file under `dir`, read now.
    pub fn from_dir(dir: &Path) -> Result<Self, StateError> {
        fn walk(
            root: &Path,
            dir: &Path,
            out: &mut BTreeMap<String, String>,
            data: &mut BTreeMap<String, std::borrow::Cow<'static, [u8]>>,
        ) -> Result<(), StateError> {
            let io = |e: std::io::Error| StateError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            };
            for entry in std::fs::read_dir(dir).map_err(io)? {
                let p = entry.map_err(io)?.path();
                if p.is_dir() {
                    walk(root, &p, out, data)?;
                } else if p.extension().is_some_and(|e| e == "csv") {
                    let bytes = std::fs::read(&p).map_err(|e| StateError::Io {
                        path: p.display().to_string(),
                        message: e.to_string(),
                    })?;
                    let rel = p.strip_prefix(root).unwrap_or(&p);
                    data.insert(
                        rel.to_string_lossy().replace('\\', "/"),
                        std::borrow::Cow::Owned(bytes),
                    );
                } else if p.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&p).map_err(|e| StateError::Io {
                        path: p.display().to_string(),
                        message: e.to_string(),
                    })?;
                    let rel = p.strip_prefix(root).unwrap_or(&p);
                    out.insert(rel.to_string_lossy().replace('\\', "/"), text);
                }
            }
            Ok(())
        }
        let mut files = BTreeMap::new();
        let mut data = BTreeMap::new();
        walk(dir, dir, &mut files, &mut data)?;
        Ok(StateFiles {
            files,
            data,
            origin: dir.display().to_string(),
        })
    }

    /// States with a manifest.
    pub fn states(&self) -> Vec<&str> {
        self.files
            .keys()
            .filter_map(|p| p.strip_suffix("/state.toml"))
            .collect()
    }

    fn file(&self, state: &str, path: &str, by: &str) -> Result<&str, StateError> {
        self.files
            .get(&format!("{state}/{path}"))
            .map(String::as_str)
            .ok_or_else(|| StateError::Missing {
                origin: self.origin.clone(),
                path: format!("{state}/{path}"),
                by: by.to_string(),
            })
    }

    /// Loads and checks one state.
    pub fn load(&self, state: &str) -> Result<State, StateError> {
        let manifest_path = format!("{state}/state.toml");
        let text = self
            .files
            .get(&manifest_path)
            .ok_or_else(|| StateError::Unknown {
                state: state.to_string(),
                origin: self.origin.clone(),
                known: self.states().join(", "),
            })?;
        let manifest: Manifest = toml::from_str(text)
            .map_err(|e| StateError::Invalid(format!("{manifest_path}: {e}")))?;
        let by = manifest_path.as_str();
        let name = |p: &str| format!("states/{state}/{p}");
        let catalogue = empower_ingest::catalogue_from_toml(
            self.file(state, &manifest.catalogue, by)?,
            &name(&manifest.catalogue),
        )
        .map_err(StateError::Invalid)?;
        let mut layouts = Vec::new();
        for p in &manifest.columns {
            let l = Layout::from_toml(self.file(state, p, by)?, &name(p))
                .map_err(StateError::Invalid)?;
            l.check_measures(&catalogue, &name(p))
                .map_err(StateError::Invalid)?;
            layouts.push(l);
        }
        let mut rules: Vec<RulesFile> = Vec::new();
        for p in &manifest.accountability {
            let text = self.file(state, p, by)?.to_string();
            let r = AccountabilityRules::from_toml(&text, &name(p))
                .map_err(|e| StateError::Invalid(e.to_string()))?;
            r.check_measures(&catalogue)
                .map_err(|e| StateError::Invalid(format!("{}: {e}", name(p))))?;
            for other in &rules {
                let a = &other.rules;
                let overlap = r.first_year <= a.last_year.unwrap_or(u16::MAX)
                    && a.first_year <= r.last_year.unwrap_or(u16::MAX);
                if overlap {
                    return Err(StateError::Invalid(format!(
                        "{} and {} both cover some report-card years; each year takes one rules file",
                        other.path,
                        name(p)
                    )));
                }
            }
            rules.push(RulesFile {
                path: name(p),
                text,
                rules: r,
            });
        }
        for (k, m) in [
            ("identity.name", &manifest.identity.name),
            ("identity.grades_served", &manifest.identity.grades_served),
            (
                "identity.official_designation",
                &manifest.identity.official_designation,
            ),
        ] {
            if !catalogue.is_text(m) {
                return Err(StateError::Invalid(format!(
                    "{manifest_path}: `{k}` = `{m}` is not a text measure of the catalogue"
                )));
            }
        }
        let hp_path = &manifest.higher_performing;
        let hp_text = self.file(state, hp_path, by)?;
        let higher_performing =
            HpRules::from_toml(hp_text, &name(hp_path)).map_err(StateError::Invalid)?;
        let higher_performing_file = FileText {
            path: name(hp_path),
            text: hp_text.to_string(),
        };
        higher_performing
            .check_measures(&catalogue)
            .map_err(|e| StateError::Invalid(format!("{}: {e}", name(hp_path))))?;
        let partners = match &manifest.partners {
            Some(p) => Some(self.load_partners(state, p, &rules, by)?),
            None => None,
        };
        let improvement = match &manifest.improvement {
            Some(f) => {
                let cycle = empower_improvement::CycleRules::parse(
                    self.file(state, &f.cycle, by)?,
                    &name(&f.cycle),
                )
                .map_err(|e| StateError::Invalid(e.to_string()))?;
                let framework = empower_improvement::Framework::parse(
                    self.file(state, &f.framework, by)?,
                    &name(&f.framework),
                    self.file(state, &f.standard_names, by)?,
                    &name(&f.standard_names),
                )
                .map_err(|e| StateError::Invalid(e.to_string()))?;
                Some(Improvement { cycle, framework })
            }
            None => None,
        };
        let tep = match &manifest.tep {
            Some(f) => {
                let mut years: Vec<empower_tep::FiscalYearRules> = Vec::new();
                for path in &f.years {
                    let year = empower_tep::FiscalYearRules::parse(
                        self.file(state, path, by)?,
                        &name(path),
                    )
                    .map_err(|e| StateError::Invalid(e.to_string()))?;
                    if years.iter().any(|y| y.fiscal_year == year.fiscal_year) {
                        return Err(StateError::Invalid(format!(
                            "{}: fiscal year {} has another file already",
                            name(path),
                            year.fiscal_year
                        )));
                    }
                    years.push(year);
                }
                Some(years)
            }
            None => None,
        };
        let rar = match &manifest.rar {
            Some(f) => Some(
                empower_rar::RarRules::parse(self.file(state, &f.rules, by)?, &name(&f.rules))
                    .map_err(|e| StateError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let mut extract = Vec::new();
        for g in &manifest.extract {
            let mut files = Vec::new();
            for f in &g.files {
                let bytes = self
                    .data
                    .get(&format!("{state}/{f}"))
                    .cloned()
                    .ok_or_else(|| StateError::Missing {
                        origin: self.origin.clone(),
                        path: format!("{state}/{f}"),
                        by: manifest_path.clone(),
                    })?;
                files.push(ExtractFile {
                    name: f.clone(),
                    bytes,
                });
            }
            extract.push((g.year, files));
        }
        Ok(State {
            extract,
            key: state.to_string(),
            manifest,
            catalogue,
            layouts,
            rules,
            higher_performing,
            higher_performing_file,
            partners,
            improvement,
            tep,
            rar,
        })
    }

    /// The program's rules and regions, checked: every indicator of every
    /// accountability rules file maps to a priority area.
    fn load_partners(
        &self,
        state: &str,
        files: &PartnersFiles,
        accountability: &[RulesFile],
        by: &str,
    ) -> Result<Partners, StateError> {
        let name = |p: &str| format!("states/{state}/{p}");
        let rules = PlpRules::parse(self.file(state, &files.rules, by)?, &name(&files.rules))
            .map_err(|e| StateError::Invalid(e.to_string()))?;
        let regions: RegionsFile = toml::from_str(self.file(state, &files.regions, by)?)
            .map_err(|e| StateError::Invalid(format!("{}: {e}", name(&files.regions))))?;
        for r in accountability {
            for band in r.rules.bands.values() {
                for indicator in band.indicators.keys() {
                    if !rules.indicator_area.map.contains_key(indicator) {
                        return Err(StateError::Invalid(format!(
                            "{}: indicator_area.map has no `{indicator}`, an indicator of {}",
                            name(&files.rules),
                            r.path
                        )));
                    }
                }
            }
        }
        Ok(Partners {
            rules,
            regions: regions.region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illinois_loads_from_the_embedded_files() {
        let files = StateFiles::embedded();
        assert!(files.states().contains(&"illinois"));
        let il = files.load("illinois").unwrap();
        assert_eq!(il.rules_for(2018).unwrap().rules.first_year, 2018);
        assert_eq!(il.rules_for(2019).unwrap().rules.first_year, 2019);
        assert!(il.rules_for(2017).is_none());
        assert!(il.layouts.len() >= 4);
        assert_eq!(il.higher_performing.window_years, 3);
        let partners = il.partners.as_ref().unwrap();
        assert_eq!(partners.regions.len(), 41);
        assert_eq!(partners.region_name("15"), Some("City of Chicago"));
        assert_eq!(partners.rules.priority_area.len(), 3);
        let improvement = il.improvement.as_ref().unwrap();
        assert_eq!(improvement.framework.standard.len(), 7);
        assert_eq!(improvement.cycle.section.len(), 4);
        let tep = il.tep.as_ref().unwrap();
        assert_eq!(
            empower_tep::rules_for(tep, 2028).map(|r| r.fiscal_year),
            Some(2028),
            "a later fiscal year takes the nearest earlier file"
        );
    }

    #[test]
    fn a_state_folder_is_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("empower-states-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../states/illinois");
        let copy = |from: &Path, to: &Path| {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap();
        };
        for f in [
            "state.toml",
            "measures.toml",
            "higher-performing.toml",
            "accountability/2018.toml",
            "accountability/2019.toml",
            "columns/rc2018.toml",
            "columns/rc2019.toml",
            "columns/title1-2019.toml",
            "columns/k8-panel.toml",
            "columns/explorer-2025.toml",
            "extract/rc2018-general.csv",
            "extract/rc2018-ela-math.csv",
            "extract/rc2018-isa-science.csv",
            "extract/title1-2019.csv",
            "extract/k8-panel-2018-2020.csv",
            "extract/explorer-2025.csv",
            "partners/plp.toml",
            "partners/regions.toml",
            "improvement/cycle.toml",
            "improvement/iqf.toml",
            "improvement/iqf-names-2018.toml",
            "tep/fy2027.toml",
            "rar/rar.toml",
        ] {
            copy(&src.join(f), &dir.join("il").join(f));
        }
        let files = StateFiles::from_dir(&dir).unwrap();
        assert_eq!(files.states(), vec!["il"]);
        assert!(files.load("il").is_ok());
        // An indicator the partners' area map does not know: refused, named.
        let plp = std::fs::read_to_string(dir.join("il/partners/plp.toml")).unwrap();
        std::fs::write(
            dir.join("il/partners/plp.toml"),
            plp.replace("on_track = \"governance-management\"\n", ""),
        )
        .unwrap();
        let e = StateFiles::from_dir(&dir).unwrap().load("il").unwrap_err();
        assert!(
            e.to_string()
                .contains("indicator_area.map has no `on_track`"),
            "{e}"
        );
        std::fs::write(dir.join("il/partners/plp.toml"), plp).unwrap();
        // A second file for 2019 on: refused.
        copy(
            &src.join("accountability/2019.toml"),
            &dir.join("il/accountability/2020.toml"),
        );
        let manifest = std::fs::read_to_string(dir.join("il/state.toml")).unwrap();
        std::fs::write(
            dir.join("il/state.toml"),
            manifest.replace(
                "\"accountability/2019.toml\"",
                "\"accountability/2019.toml\", \"accountability/2020.toml\"",
            ),
        )
        .unwrap();
        let e = StateFiles::from_dir(&dir).unwrap().load("il").unwrap_err();
        assert!(
            e.to_string().contains("both cover some report-card years"),
            "{e}"
        );
        let e = files.load("texas").unwrap_err();
        assert!(e.to_string().contains("no state `texas`"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
