//! The accountability use cases: designating a year, explaining a school,
//! the schools that moved up, support status over several years and
//! calibrating a rules file against the official designations.

use crate::{import, AppError, Inputs, Loaded};
use empower_accountability as acc;
use empower_ingest::{Import, Progress, Warning};
use empower_model::{Designation, Group, Level, Record, SchoolId, Value};
use empower_rules::AccountabilityRules;
use empower_states::State;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// A year designated: the schools as read, the designations, and the
/// warnings of the run (the import's and the designation's).
#[derive(Debug)]
pub struct Designated {
    pub import: Import,
    pub schools: Vec<acc::SchoolData>,
    pub designations: acc::Designations,
    /// Agreement with the official designations the files carry.
    pub fidelity: acc::Fidelity,
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
    detail: acc::Detail,
    progress: &dyn Progress,
) -> Result<Designated, AppError> {
    state
        .catalogue
        .check_year(year)
        .map_err(AppError::Refused)?;
    let keep = designation_measures(state, rules);
    let identity = state.identity(rules);
    // Each file's figures are grouped by school on the thread that read
    // it, as they are read, and the files' schools are put together while
    // the files' identity texts (few, and kept once per school across
    // files) are.
    let (mut import, (figures, mut present)) = empower_ingest::import_parts(
        inputs.files,
        inputs.layouts,
        &state.catalogue,
        Some(year),
        empower_ingest::ImportOptions {
            keep: Some(&keep),
            threads: inputs.threads,
        },
        progress,
        &|| FiguresBySchool {
            year,
            identity: &identity,
            schools: acc::SchoolsPart::default(),
            present: BTreeSet::new(),
            present_names: Default::default(),
        },
        |files: Vec<FiguresBySchool>| {
            let mut present = BTreeSet::new();
            let mut parts = Vec::with_capacity(files.len());
            for f in files {
                parts.push(f.schools);
                present.extend(f.present);
            }
            (acc::SchoolsPart::merged(parts), present)
        },
    )?;
    present.extend(measures_present(&import.records, year));
    // The texts give names, grades and designations, the files' figures
    // the values: neither has what the other gives, so which comes first
    // does not matter.
    let texts = acc::SchoolsPart::of_records(&import.records, year, &identity);
    let schools = acc::SchoolData::from_parts(vec![figures, texts]);
    import.records.shrink_to_fit();
    designate_schools(rules, import, schools, &present, inputs, year, detail)
}

/// A file's figures grouped by school as they are read, and the measures
/// the file has for the year.
struct FiguresBySchool<'a> {
    year: u16,
    identity: &'a acc::Identity,
    schools: acc::SchoolsPart,
    present: BTreeSet<String>,
    /// The measures in `present`, by the address of the file's shared
    /// name: a record's measure is known without comparing its name. The
    /// names are held here, so that no address is freed and given to
    /// another name while the file is read.
    present_names: rustc_hash::FxHashMap<usize, std::sync::Arc<str>>,
}

impl empower_ingest::RecordSink for FiguresBySchool<'_> {
    fn take(&mut self, records: &mut Vec<Record>, from: usize) {
        for r in records[from..].iter().filter(|r| r.year == self.year) {
            let address = std::sync::Arc::as_ptr(&r.measure) as *const u8 as usize;
            if let std::collections::hash_map::Entry::Vacant(e) = self.present_names.entry(address)
            {
                e.insert(std::sync::Arc::clone(&r.measure));
                self.present.insert(r.measure.to_string());
            }
        }
        // Figures go into the schools; texts stay, moved up in order.
        let mut kept = from;
        for i in from..records.len() {
            match records[i].value {
                Value::Number(_) => self.schools.add(&records[i], self.year, self.identity),
                Value::Text(_) => {
                    records.swap(kept, i);
                    kept += 1;
                }
            }
        }
        records.truncate(kept);
    }
}

/// The measures a designation reads: the rules' and the school's identity
/// (name, grades, published designation, district, city, county). The
/// import of a designation keeps these only; the files' other columns are
/// checked and let go.
pub fn designation_measures(state: &State, rules: &AccountabilityRules) -> HashSet<String> {
    let identity = &state.manifest.identity;
    let mut keep: HashSet<String> = rules
        .measures_read()
        .into_iter()
        .map(str::to_string)
        .collect();
    keep.extend([
        identity.name.clone(),
        identity.grades_served.clone(),
        identity.official_designation.clone(),
    ]);
    keep.extend(
        [&identity.district_name, &identity.city, &identity.county]
            .into_iter()
            .flatten()
            .cloned(),
    );
    keep
}

/// Designates every school of `year` in records already imported.
pub fn designate_import(
    state: &State,
    rules: &AccountabilityRules,
    import: Import,
    inputs: &Inputs,
    year: u16,
    detail: acc::Detail,
) -> Result<Designated, AppError> {
    let schools = acc::SchoolData::from_records(&import.records, year, &state.identity(rules));
    let present = measures_present(&import.records, year);
    designate_schools(rules, import, schools, &present, inputs, year, detail)
}

/// The measures the records have figures of for `year`.
fn measures_present(records: &[Record], year: u16) -> BTreeSet<String> {
    let mut present: rustc_hash::FxHashSet<&str> = Default::default();
    for r in records.iter().filter(|r| r.year == year) {
        present.insert(&r.measure);
    }
    present.into_iter().map(str::to_string).collect()
}

/// Designates `schools`, read from `import` (whose records may be only a
/// part of what was read: `present` names every measure the files had
/// for `year`).
fn designate_schools(
    rules: &AccountabilityRules,
    import: Import,
    schools: Vec<acc::SchoolData>,
    present: &BTreeSet<String>,
    inputs: &Inputs,
    year: u16,
    detail: acc::Detail,
) -> Result<Designated, AppError> {
    let mut warnings = import.warnings.clone();
    if schools.is_empty() {
        return Err(AppError::Refused(format!(
            "the files hold no school rows for report-card year {year}"
        )));
    }
    let missing = required_inputs(present, rules, inputs, year)?;
    let designations = acc::designate_with(&schools, rules, year, detail, inputs.threads);
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
    let fidelity = acc::fidelity(&designations, rules);
    Ok(Designated {
        import,
        schools,
        designations,
        fidelity,
        warnings,
    })
}

/// Every measure the rules read that a column map of the year can carry
/// must have figures: when none has, the file that carries it was left
/// out, and designations from the others would quietly differ. With
/// `allow_incomplete` that is a warning instead of a refusal.
pub fn required_inputs(
    present: &BTreeSet<String>,
    rules: &AccountabilityRules,
    inputs: &Inputs,
    year: u16,
) -> Result<Vec<Warning>, AppError> {
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

/// Every band row of one school explained, or a refusal naming the year
/// when the files do not have the school.
pub fn explain(
    state: &State,
    rules: &AccountabilityRules,
    inputs: &Inputs,
    year: u16,
    schools: &[SchoolId],
    progress: &dyn Progress,
) -> Result<Loaded<Vec<acc::Explanation>>, AppError> {
    let run = designate(
        state,
        rules,
        inputs,
        year,
        acc::Detail::Schools(schools),
        progress,
    )?;
    let mut explanations = Vec::new();
    let mut missing = Vec::new();
    for school in schools {
        let e = acc::explain(&run.designations, rules, school);
        if e.is_empty() {
            missing.push(school.to_string());
        }
        explanations.extend(e);
    }
    if !missing.is_empty() {
        return Err(AppError::Refused(format!(
            "{} {} {} not in the files for report-card year {year}",
            if missing.len() == 1 {
                "school"
            } else {
                "schools"
            },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }
    Ok(Loaded {
        value: explanations,
        warnings: run.warnings,
        notes: run.import.notes,
    })
}

/// The published designation of each school, by year, from the measure the
/// state names as the official designation.
pub fn official_designations(
    state: &State,
    records: &[Record],
) -> BTreeMap<u16, BTreeMap<SchoolId, Designation>> {
    let measure = state.manifest.identity.official_designation.as_str();
    let mut m: BTreeMap<u16, BTreeMap<SchoolId, Designation>> = BTreeMap::new();
    for r in records {
        if &*r.measure != measure || r.level != Level::School {
            continue;
        }
        if let (Some(id), Value::Text(t)) = (&r.entity, &r.value) {
            if let Ok(d) = t.parse::<Designation>() {
                m.entry(r.year).or_default().insert(id.clone(), d);
            }
        }
    }
    m
}

/// Where a school is, from the files' own directory columns (each field
/// the latest year's), for every list that names schools.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub school_name: String,
    /// The district's RCDTS (the school's first characters, padded).
    pub district: String,
    pub district_name: String,
    pub city: String,
    pub county: String,
    /// The ROE/ISC region code.
    pub region: String,
}

/// Every school the records name, with its directory entry.
pub fn directory(state: &State, records: &[Record]) -> BTreeMap<SchoolId, DirectoryEntry> {
    let identity = &state.manifest.identity;
    let ids = &state.catalogue.school_id;
    let mut years: BTreeMap<(SchoolId, &str), u16> = BTreeMap::new();
    let mut out: BTreeMap<SchoolId, DirectoryEntry> = BTreeMap::new();
    for r in records {
        let (Some(id), Value::Text(t)) = (&r.entity, &r.value) else {
            continue;
        };
        let m = &*r.measure;
        let field = if m == identity.name {
            "name"
        } else if Some(m) == identity.district_name.as_deref() {
            "district_name"
        } else if Some(m) == identity.city.as_deref() {
            "city"
        } else if Some(m) == identity.county.as_deref() {
            "county"
        } else {
            continue;
        };
        let seen = years.entry((id.clone(), field)).or_insert(0);
        if r.year < *seen {
            continue;
        }
        *seen = r.year;
        let e = out.entry(id.clone()).or_insert_with(|| DirectoryEntry {
            district: ids.district_of(id),
            region: ids.region_of(id).unwrap_or_default(),
            ..Default::default()
        });
        let v = t.trim().to_string();
        match field {
            "name" => e.school_name = v,
            "district_name" => e.district_name = v,
            "city" => e.city = v,
            _ => e.county = v,
        }
    }
    out
}

/// The directory of the records, with what they lack (a file without
/// names, like the K-8 panel) taken from the state's bundled extract.
pub fn directory_with_bundled(
    state: &State,
    records: &[Record],
) -> BTreeMap<SchoolId, DirectoryEntry> {
    let mut dir = directory(state, records);
    let lacking = |e: &DirectoryEntry| e.school_name.is_empty() || e.county.is_empty();
    let ids: Vec<SchoolId> = records
        .iter()
        .filter_map(|r| r.entity.clone())
        .filter(|id| dir.get(id).is_none_or(lacking))
        .collect();
    if ids.is_empty() || state.extract.is_empty() {
        return dir;
    }
    let bundled = bundled_directory(state);
    for id in ids {
        let Some(b) = bundled.get(&id) else { continue };
        let e = dir.entry(id).or_insert_with(|| b.clone());
        for (mine, theirs) in [
            (&mut e.school_name, &b.school_name),
            (&mut e.district_name, &b.district_name),
            (&mut e.city, &b.city),
            (&mut e.county, &b.county),
        ] {
            if mine.is_empty() {
                *mine = theirs.clone();
            }
        }
    }
    dir
}

/// The bundled extract's directory, read once per process.
/// The directory of every school the bundled extract names (empty for a
/// state without one): names for lists whose input has none.
pub fn bundled_directory(state: &State) -> BTreeMap<SchoolId, DirectoryEntry> {
    let mut out = BTreeMap::new();
    for (year, files) in &state.extract {
        let named: Vec<(&str, &[u8])> =
            files.iter().map(|f| (f.name.as_str(), &*f.bytes)).collect();
        if let Ok(import) =
            empower_ingest::import_sources(&named, &state.layouts, &state.catalogue, *year, &())
        {
            for (id, e) in directory(state, &import.records) {
                let slot: &mut DirectoryEntry = out.entry(id).or_default();
                if slot.school_name.is_empty() {
                    *slot = e;
                }
            }
        }
    }
    out
}

/// How many schools went from one designation to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: Designation,
    pub to: Designation,
    pub schools: usize,
}

/// The schools whose official designation moved up between two years.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Improved {
    pub from: u16,
    pub to: u16,
    /// Schools with a designation in both years.
    pub compared: usize,
    pub improved: Vec<acc::Improvement>,
    /// Every (from, to) pair with a school, moves up or not.
    pub transitions: Vec<Transition>,
    /// Where each improved school is.
    pub schools: BTreeMap<String, DirectoryEntry>,
}

impl Improved {
    pub fn improved_from_support(&self) -> usize {
        self.improved.iter().filter(|i| i.from_support).count()
    }
}

/// Compares the official designations of `from` and `to` (from < to).
pub fn improved(
    state: &State,
    inputs: &Inputs,
    from: u16,
    to: u16,
    progress: &dyn Progress,
) -> Result<Loaded<Improved>, AppError> {
    if from >= to {
        return Err(AppError::Refused(format!(
            "--from {from} must be a year before --to {to}: improvement is measured forward in time"
        )));
    }
    let import = import(state, inputs, None, progress)?;
    let official = official_designations(state, &import.records);
    let get = |y: u16| {
        official.get(&y).ok_or_else(|| {
            AppError::Refused(format!(
                "the files hold no official designations for {y} (years found: {})",
                official
                    .keys()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    let report = acc::improved(get(from)?, get(to)?);
    let dir = directory_with_bundled(state, &import.records);
    let schools = report
        .improved
        .iter()
        .map(|i| {
            (
                i.rcdts.to_string(),
                dir.get(&i.rcdts).cloned().unwrap_or_default(),
            )
        })
        .collect();
    Ok(Loaded {
        value: Improved {
            schools,
            from,
            to,
            compared: report.compared,
            improved: report.improved,
            transitions: report
                .transitions
                .into_iter()
                .map(|((from, to), schools)| Transition { from, to, schools })
                .collect(),
        },
        warnings: import.warnings,
        notes: import.notes,
    })
}

/// One school's support status in one year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolStatus {
    pub rcdts: SchoolId,
    #[serde(flatten)]
    pub school: DirectoryEntry,
    pub designation: Option<Designation>,
    #[serde(flatten)]
    pub status: acc::StatusYear,
}

/// Support status (cohort, term, exit, escalation) of every school with an
/// official designation in the files, or of one school, year by year,
/// under the status cycle of the rules for the last year found.
pub fn status(
    state: &State,
    rules_file: Option<&Path>,
    inputs: &Inputs,
    only: Option<&SchoolId>,
    progress: &dyn Progress,
) -> Result<Loaded<Vec<SchoolStatus>>, AppError> {
    let import = import(state, inputs, None, progress)?;
    let official = official_designations(state, &import.records);
    let Some(&last) = official.keys().last() else {
        return Err(AppError::Refused(
            "the files hold no official designations".into(),
        ));
    };
    let rules = crate::rules::accountability(state, last, rules_file)?;
    let mut schools: Vec<&SchoolId> = official.values().flat_map(|m| m.keys()).collect();
    schools.sort();
    schools.dedup();
    if let Some(o) = only {
        if !schools.contains(&o) {
            return Err(AppError::Refused(format!(
                "school {o} has no designation in the files"
            )));
        }
    }
    let dir = directory_with_bundled(state, &import.records);
    let mut rows = Vec::new();
    for id in schools
        .into_iter()
        .filter(|id| only.is_none_or(|o| o == *id))
    {
        // Published designations name no groups: `None` lets the cycle
        // take them as unchanged and say so.
        let history: Vec<acc::YearDesignation> = official
            .iter()
            .map(|(y, m)| acc::YearDesignation {
                year: *y,
                designation: m.get(id).copied(),
                groups: None::<Vec<Group>>,
            })
            .collect();
        for (h, s) in history
            .iter()
            .zip(acc::support_status(&history, &rules.status))
        {
            rows.push(SchoolStatus {
                rcdts: id.clone(),
                school: dir.get(id).cloned().unwrap_or_default(),
                designation: h.designation,
                status: s,
            });
        }
    }
    let mut warnings = import.warnings;
    // Said with every run until the categories are built.
    warnings.push(Warning::new(
        Path::new("(status)"),
        None,
        "the 2023 early-exit categories (for 2022 designations: missing 30% or more of the 2021 assessment data, top 30% by the 2019 index, population change over 30%) are not implemented: a school they would release stays in status here",
    ));
    Ok(Loaded {
        value: rows,
        warnings,
        notes: import.notes,
    })
}

/// The combinations of a calibration grid, best first, with what they were
/// compared against.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Calibrated {
    pub rules: String,
    pub grid: acc::CalibrationGrid,
    /// Schools with an official designation to agree with.
    pub compared: usize,
    pub results: Vec<acc::CalibrationResult>,
}

/// Runs every combination of `grid` over the rules for `year` (the state's
/// or `rules_file`) on `threads` threads.
pub fn calibrate(
    state: &State,
    rules_file: Option<&Path>,
    grid_file: &Path,
    inputs: &Inputs,
    year: u16,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Loaded<Calibrated>, AppError> {
    let base_text = crate::rules::accountability_text(state, year, rules_file)?;
    let base: toml::Value = toml::from_str(&base_text.text)
        .map_err(|e| AppError::Refused(format!("{} is not valid TOML: {e}", base_text.name)))?;
    let grid_text = std::fs::read_to_string(grid_file).map_err(|e| {
        AppError::Refused(format!(
            "cannot read the grid file {}: {e}",
            grid_file.display()
        ))
    })?;
    let grid = acc::CalibrationGrid::from_toml(&grid_text)
        .map_err(|e| AppError::Refused(format!("{}: {e}", grid_file.display())))?;
    let base_rules = crate::rules::accountability(state, year, rules_file)?;
    let import = import(state, inputs, Some(year), progress)?;
    let mut warnings = import.warnings.clone();
    warnings.extend(required_inputs(
        &measures_present(&import.records, year),
        &base_rules,
        inputs,
        year,
    )?);
    let schools =
        acc::SchoolData::from_records(&import.records, year, &state.identity(&base_rules));
    let compared = schools.iter().filter(|s| s.official.is_some()).count();
    if compared == 0 {
        return Err(AppError::Refused(
            "no school in the files has an official designation to calibrate against".into(),
        ));
    }
    progress.begin("calibrating", grid.combinations() as u64);
    let results = acc::calibrate(
        &base,
        &grid,
        &state.catalogue,
        &schools,
        year,
        threads,
        &|done, _| progress.advance(done as u64),
    )
    .map_err(AppError::Refused)?;
    progress.finish();
    Ok(Loaded {
        value: Calibrated {
            rules: base_text.name,
            grid,
            compared,
            results,
        },
        warnings,
        notes: import.notes,
    })
}
