//! Importing report-card files into the database and publishing what they
//! give: every publication is computed from all the files imported so far
//! (kept whole in the store), through the same use cases as the command
//! line, and replaces the previous one in one transaction.

use crate::{AppError, Inputs, Loaded};
use empower_accountability as acc;
use empower_ingest::{Import, Progress, Warning};
use empower_model::{Designation, Grade, Group, Level, Record, SchoolId, Value};
use empower_states::State;
use empower_store::{
    DesignationRow, DesignationSource, District, HigherPerforming, OpportunityGap, Profile,
    Publication, ReportYear, ResourceValue, School, Share, SimilarSchool, Source, StatusRow, Store,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// How many similar schools a profile lists.
const SIMILAR_ON_PROFILE: usize = 5;

/// A file to import: its name (for messages; the extension says CSV or
/// workbook), the report-card year it stands for when it has no year
/// column, and its bytes.
pub fn source(name: &str, year: Option<u16>, bytes: Vec<u8>) -> Source {
    Source {
        sha256: sha256_hex(&bytes),
        name: name.to_string(),
        year,
        bytes,
    }
}

/// The SHA-256 of `bytes` in lowercase hexadecimal.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads files from disk as sources of report-card year `year`.
pub fn read_sources(
    paths: &[impl AsRef<Path>],
    year: Option<u16>,
) -> Result<Vec<Source>, AppError> {
    paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            let bytes = std::fs::read(p)
                .map_err(|e| AppError::Refused(format!("cannot read {}: {e}", p.display())))?;
            Ok(source(&p.display().to_string(), year, bytes))
        })
        .collect()
}

/// The state's bundled extract, as sources.
pub fn extract_sources(state: &State) -> Vec<Source> {
    state
        .extract
        .iter()
        .flat_map(|(year, files)| {
            files
                .iter()
                .map(move |f| source(&f.name, *year, f.bytes.to_vec()))
        })
        .collect()
}

/// What a publication did.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// False when the files were all imported already: nothing changed.
    pub changed: bool,
    pub summary: String,
}

/// Imports `new` files with every file imported before and publishes the
/// result in one transaction. Importing files already imported changes
/// nothing; a file that does not import leaves the database as it was.
pub async fn publish(
    state: &State,
    store: &Store,
    new: Vec<Source>,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Loaded<Published>, AppError> {
    let mut all = store.sources().await?;
    let mut added = Vec::new();
    for s in new {
        let seen = all.iter().any(|o| o.sha256 == s.sha256 && o.year == s.year);
        if !seen
            && !added
                .iter()
                .any(|o: &Source| o.sha256 == s.sha256 && o.year == s.year)
        {
            added.push(s);
        }
    }
    all.extend(added.iter().cloned());
    let key = sources_key(&all);
    if added.is_empty() && store.published_sources().await?.as_deref() == Some(key.as_str()) {
        return Ok(Loaded {
            value: Published {
                changed: false,
                summary: "every file was imported already: nothing changed".into(),
            },
            warnings: Vec::new(),
            notes: Vec::new(),
        });
    }
    let Loaded {
        value: mut publication,
        warnings,
        notes,
    } = build_publication(state, &all, threads, progress)?;
    publication.sources_sha256 = key;
    store.publish(&added, &publication).await?;
    Ok(Loaded {
        value: Published {
            changed: true,
            summary: publication.summary,
        },
        warnings,
        notes,
    })
}

/// Loads the state's bundled extract into an empty database, so that a
/// newcomer sees real schools with no other step. `None` when the
/// database holds a publication already.
pub async fn publish_extract_if_empty(
    state: &State,
    store: &Store,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Option<Loaded<Published>>, AppError> {
    if !store.is_empty().await? || state.extract.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        publish(state, store, extract_sources(state), threads, progress).await?,
    ))
}

/// The set of sources, as one key: the same files give the same key.
fn sources_key(all: &[Source]) -> String {
    let mut lines: Vec<String> = all
        .iter()
        .map(|s| format!("{} {:?}", s.sha256, s.year))
        .collect();
    lines.sort();
    sha256_hex(lines.join("\n").as_bytes())
}

/// A year's computed designations and the rules that made them.
struct Computed {
    rules: empower_rules::AccountabilityRules,
    designations: acc::Designations,
}

/// Computes everything a publication holds from `sources` (pure: no
/// database).
pub fn build_publication(
    state: &State,
    sources: &[Source],
    threads: usize,
    progress: &dyn Progress,
) -> Result<Loaded<Publication>, AppError> {
    let mut warnings: Vec<Warning> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    // Files of one year (or of none) import together, as on the command line.
    let mut groups: Vec<(Option<u16>, Vec<&Source>)> = Vec::new();
    for s in sources {
        match groups.iter_mut().find(|(y, _)| *y == s.year) {
            Some((_, v)) => v.push(s),
            None => groups.push((s.year, vec![s])),
        }
    }
    // Files of a named year last: their figures win over a panel's.
    groups.sort_by_key(|(y, _)| y.is_some());
    let inputs = Inputs {
        files: &[],
        layouts: &state.layouts,
        allow_incomplete: false,
        threads: 1,
    };
    let mut imports: Vec<Import> = Vec::new();
    for (year, files) in &groups {
        if let Some(y) = year {
            state.catalogue.check_year(*y).map_err(AppError::Refused)?;
        }
        let named: Vec<(&str, &[u8])> = files
            .iter()
            .map(|s| (s.name.as_str(), s.bytes.as_slice()))
            .collect();
        let import = empower_ingest::import_sources(
            &named,
            &state.layouts,
            &state.catalogue,
            *year,
            progress,
        )?;
        warnings.extend(import.warnings.iter().cloned());
        for n in &import.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        imports.push(import);
    }

    // Computed designations: each year with rules, from the files that
    // hold all the figures the rules read (a year-specific group first).
    let mut computed: BTreeMap<u16, Computed> = BTreeMap::new();
    for import in imports.iter().rev() {
        let years: BTreeSet<u16> = import
            .records
            .iter()
            .filter(|r| r.level == Level::School)
            .map(|r| r.year)
            .collect();
        for y in years {
            if computed.contains_key(&y) {
                continue;
            }
            let Some(rules) = state.rules_for(y) else {
                continue;
            };
            match crate::designate_import(
                state,
                &rules.rules,
                import.clone(),
                &inputs,
                y,
                empower_accountability::Detail::Full,
            ) {
                Ok(d) => {
                    for w in d.warnings {
                        if !warnings.contains(&w) {
                            warnings.push(w);
                        }
                    }
                    computed.insert(
                        y,
                        Computed {
                            rules: rules.rules.clone(),
                            designations: d.designations,
                        },
                    );
                }
                // Files without every figure (a panel): official only.
                Err(AppError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }

    let records: Vec<&Record> = imports.iter().flat_map(|i| i.records.iter()).collect();
    let owned: Vec<Record> = records.iter().map(|r| (*r).clone()).collect();
    let official = crate::official_designations(state, &owned);
    let ids = &state.catalogue.school_id;

    // Designations: computed per band, official per school, the
    // designation of record marked.
    let mut rows: Vec<DesignationRow> = Vec::new();
    let mut of_record: BTreeMap<SchoolId, BTreeMap<u16, Designation>> = BTreeMap::new();
    let years: BTreeSet<u16> = computed.keys().chain(official.keys()).copied().collect();
    for &y in &years {
        let off = official.get(&y);
        if let Some(c) = computed.get(&y) {
            let standing = c.rules.official_band;
            let mut by_school: BTreeMap<&SchoolId, Vec<&acc::BandResult>> = BTreeMap::new();
            for r in &c.designations.rows {
                by_school.entry(&r.rcdts).or_default().push(r);
            }
            for (id, band_rows) in by_school {
                let has_official = off.is_some_and(|m| m.contains_key(id));
                // The band that stands for the school, else its one band.
                let record_row = band_rows
                    .iter()
                    .find(|r| r.band == Some(standing) && r.designation.is_some())
                    .or_else(|| band_rows.iter().find(|r| r.designation.is_some()))
                    .map(|r| (r.rcdts.clone(), r.band));
                for r in &band_rows {
                    let is_record =
                        !has_official && record_row.as_ref().is_some_and(|(_, b)| *b == r.band);
                    if is_record {
                        if let Some(d) = r.designation {
                            of_record.entry(id.clone()).or_default().insert(y, d);
                        }
                    }
                    rows.push(DesignationRow {
                        year: y,
                        rcdts: id.to_string(),
                        band: r.band.map(|b| b.as_str().to_string()),
                        source: DesignationSource::Computed,
                        designation: r.designation.map(|d| d.as_str().to_string()),
                        index: r.index,
                        reasons: r.reasons_code(),
                        of_record: is_record,
                    });
                }
            }
        }
        if let Some(m) = off {
            for (id, d) in m {
                of_record.entry(id.clone()).or_default().insert(y, *d);
                rows.push(DesignationRow {
                    year: y,
                    rcdts: id.to_string(),
                    band: None,
                    source: DesignationSource::Official,
                    designation: Some(d.as_str().to_string()),
                    index: None,
                    reasons: String::new(),
                    of_record: true,
                });
            }
        }
    }

    // Support status from the designations of record, under the status
    // cycle of the latest rules.
    let mut statuses = Vec::new();
    if let Some(latest) = state.rules.iter().max_by_key(|r| r.rules.first_year) {
        for (id, by_year) in &of_record {
            let history: Vec<acc::YearDesignation> = years
                .iter()
                .map(|y| acc::YearDesignation {
                    year: *y,
                    designation: by_year.get(y).copied(),
                    groups: None::<Vec<Group>>,
                })
                .collect();
            for s in acc::support_status(&history, &latest.rules.status) {
                statuses.push(StatusRow {
                    rcdts: id.to_string(),
                    year: s.year,
                    status: s.status.map(|d| d.as_str().to_string()),
                    cohort_year: s.cohort,
                    term: s.term,
                    event: s.event.as_str().to_string(),
                    note: s.note,
                });
            }
        }
    }

    // Explanations of every computed year.
    let mut explanations = Vec::new();
    for c in computed.values() {
        let mut seen: BTreeSet<&SchoolId> = BTreeSet::new();
        for r in &c.designations.rows {
            if seen.insert(&r.rcdts) {
                explanations.extend(acc::explain(&c.designations, &c.rules, &r.rcdts));
            }
        }
    }

    // The higher-performing model over every year the files hold.
    let hp = &state.higher_performing;
    let mut hp_by_school: HashMap<SchoolId, Vec<HigherPerforming>> = HashMap::new();
    let mut gaps_by_school: HashMap<SchoolId, Vec<OpportunityGap>> = HashMap::new();
    let mut similar_by_school: HashMap<SchoolId, Vec<(SchoolId, f64, Option<f64>)>> =
        HashMap::new();
    match empower_peers::cells_from_records(&owned, hp) {
        Ok((cells, _)) if !cells.is_empty() => {
            match crate::peers::run_model(Path::new("(published files)"), &cells, hp, threads) {
                Ok((report, w)) => {
                    warnings.extend(w);
                    let recent = report.window.last().copied().unwrap_or_default();
                    for s in &report.subjects {
                        hp_by_school
                            .entry(s.rcdts.clone())
                            .or_default()
                            .push(HigherPerforming {
                                subject: s.subject.clone(),
                                window: report.window.clone(),
                                higher_performing: s.higher_performing,
                                overall_rank: s.overall_rank,
                                required_overall_rank: s.required_overall_rank,
                                failed: s.failed.iter().map(|f| f.code().to_string()).collect(),
                                min_gap: s.min_gap,
                            });
                        for (grade, _, g) in &s.gaps {
                            gaps_by_school.entry(s.rcdts.clone()).or_default().push(
                                OpportunityGap {
                                    year: recent,
                                    subject: s.subject.clone(),
                                    grade: grade.to_string(),
                                    gap: g.gap,
                                    top_mean: g.top_mean,
                                    comparable: g.comparable,
                                },
                            );
                        }
                    }
                    let index = empower_peers::SimilarIndex::new(&cells, hp);
                    for id in index.schools() {
                        if let Some(list) = index.query(id) {
                            similar_by_school.insert(
                                id.clone(),
                                list.into_iter()
                                    .take(SIMILAR_ON_PROFILE)
                                    .map(|s| (s.rcdts, s.distance, s.performance))
                                    .collect(),
                            );
                        }
                    }
                }
                Err(e) => notes.push(format!("no higher-performing results: {e}")),
            }
        }
        Ok(_) => notes.push("no higher-performing results: the files give no cells".into()),
        Err(e) => notes.push(format!("no higher-performing results: {e}")),
    }

    // The directory: each school's latest name, place and grades.
    let identity = &state.manifest.identity;
    let mut info: BTreeMap<SchoolId, Info> = BTreeMap::new();
    let mut district_rows: BTreeMap<SchoolId, Info> = BTreeMap::new();
    for r in &records {
        let Some(id) = &r.entity else { continue };
        let target = match r.level {
            Level::School => &mut info,
            Level::District => &mut district_rows,
            Level::State => continue,
        };
        let e = target.entry(id.clone()).or_default();
        let m = &*r.measure;
        if r.grade != Grade::All || r.subject.is_some() {
            continue;
        }
        match &r.value {
            Value::Text(t) => {
                let field = if m == identity.name {
                    Some(&mut e.name)
                } else if Some(m) == identity.city.as_deref() {
                    Some(&mut e.city)
                } else if Some(m) == identity.county.as_deref() {
                    Some(&mut e.county)
                } else if Some(m) == identity.district_name.as_deref() {
                    Some(&mut e.district_name)
                } else if m == identity.grades_served {
                    Some(&mut e.grades)
                } else if Some(m) == identity.school_type.as_deref() {
                    Some(&mut e.school_type)
                } else if Some(m) == identity.locale.as_deref() {
                    Some(&mut e.locale)
                } else {
                    None
                };
                if let Some(f) = field {
                    // The latest year's wins; within a year, the first file's.
                    if f.as_ref().is_none_or(|(y, _)| r.year > *y) {
                        *f = Some((r.year, t.trim().to_string()));
                    }
                }
            }
            Value::Number(x) => {
                if r.group == Group::All && state.manifest.resource.iter().any(|x| x.measure == m) {
                    let slot = e.resources.entry(m.to_string()).or_insert((r.year, *x));
                    if r.year > slot.0 {
                        *slot = (r.year, *x);
                    }
                }
                if Some(m) == identity.enrollment.as_deref() && r.group == Group::All {
                    if e.enrollment.is_none_or(|(y, _)| r.year > y) {
                        e.enrollment = Some((r.year, *x));
                    }
                } else if Some(m) == identity.enrollment_share.as_deref() && r.group != Group::All {
                    e.shares
                        .entry(r.year)
                        .or_default()
                        .entry(r.group)
                        .or_insert(*x);
                }
            }
        }
    }
    let text = |f: &Option<(u16, String)>| f.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
    let names: HashMap<&SchoolId, String> =
        info.iter().map(|(id, i)| (id, text(&i.name))).collect();
    let mut districts: BTreeMap<String, District> = BTreeMap::new();
    for (id, d) in &district_rows {
        let name = d
            .district_name
            .as_ref()
            .or(d.name.as_ref())
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        districts.insert(
            id.to_string(),
            District {
                rcdts: id.to_string(),
                name,
                city: text(&d.city),
                county: text(&d.county),
                region: ids.region_of(id).unwrap_or_default(),
            },
        );
    }
    let mut schools = Vec::new();
    for (id, i) in &info {
        if i.name.is_none() {
            // Named only by a supplementary list (a Title I list).
            continue;
        }
        let district = ids.district_of(id);
        let district_name = text(&i.district_name);
        let d = districts
            .entry(district.clone())
            .or_insert_with(|| District {
                rcdts: district.clone(),
                name: district_name.clone(),
                city: text(&i.city),
                county: text(&i.county),
                region: ids.region_of(id).unwrap_or_default(),
            });
        if d.name.is_empty() {
            d.name = district_name.clone();
        }
        let profile_year = i.enrollment.map(|(y, _)| y);
        let demographics = profile_year
            .and_then(|y| i.shares.get(&y))
            .map(|m| {
                m.iter()
                    .map(|(g, pct)| Share {
                        group: g.slug().to_string(),
                        pct: *pct,
                    })
                    .collect()
            })
            .unwrap_or_default();
        schools.push(School {
            rcdts: id.to_string(),
            name: text(&i.name),
            district,
            district_name: if district_name.is_empty() {
                d.name.clone()
            } else {
                district_name
            },
            city: text(&i.city),
            county: text(&i.county),
            region: ids.region_of(id).unwrap_or_default(),
            grades: grade_list(&text(&i.grades)),
            profile: Profile {
                year: profile_year,
                school_type: i.school_type.as_ref().map(|(_, t)| t.clone()),
                locale: i.locale.as_ref().map(|(_, t)| t.clone()),
                resources: i
                    .resources
                    .iter()
                    .map(|(measure, (year, value))| ResourceValue {
                        measure: measure.clone(),
                        year: *year,
                        value: *value,
                    })
                    .collect(),
                enrollment: i.enrollment.map(|(_, x)| x),
                demographics,
                higher_performing: hp_by_school.remove(id).unwrap_or_default(),
                similar: similar_by_school
                    .remove(id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(s, distance, performance)| SimilarSchool {
                        name: names.get(&s).cloned().unwrap_or_default(),
                        rcdts: s.to_string(),
                        distance,
                        performance,
                    })
                    .collect(),
                gaps: gaps_by_school.remove(id).unwrap_or_default(),
            },
        });
    }
    // Designations of schools the directory does not list are kept out.
    let listed: BTreeSet<&str> = schools.iter().map(|s| s.rcdts.as_str()).collect();
    rows.retain(|r| listed.contains(r.rcdts.as_str()));
    statuses.retain(|r| listed.contains(r.rcdts.as_str()));
    explanations.retain(|e| listed.contains(e.rcdts.as_str()));
    let districts: Vec<District> = districts
        .into_values()
        .filter(|d| !d.name.is_empty())
        .collect();

    let report_years: Vec<ReportYear> = years
        .iter()
        .map(|&y| {
            let c = computed.get(&y);
            ReportYear {
                year: y,
                rules_name: c.map(|c| c.rules.name.clone()),
                rules_version: c.map(|c| c.rules.version.clone()),
                computed: rows
                    .iter()
                    .filter(|r| {
                        r.year == y
                            && r.source == DesignationSource::Computed
                            && r.designation.is_some()
                    })
                    .count(),
                official: rows
                    .iter()
                    .filter(|r| r.year == y && r.source == DesignationSource::Official)
                    .count(),
            }
        })
        .collect();
    let summary = report_years
        .iter()
        .map(|y| match &y.rules_version {
            Some(v) => format!(
                "{}: {} computed designations (rules {v}), {} official",
                y.year, y.computed, y.official
            ),
            None => format!("{}: {} official designations", y.year, y.official),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let summary = format!(
        "{} schools, {} districts; {summary}",
        schools.len(),
        districts.len()
    );
    Ok(Loaded {
        value: Publication {
            sources_sha256: String::new(),
            summary,
            years: report_years,
            districts,
            schools,
            designations: rows,
            explanations,
            statuses,
        },
        warnings,
        notes,
    })
}

/// What the files say of one school or district: each field with the year
/// it is from.
#[derive(Default)]
struct Info {
    name: Option<(u16, String)>,
    city: Option<(u16, String)>,
    county: Option<(u16, String)>,
    district_name: Option<(u16, String)>,
    grades: Option<(u16, String)>,
    school_type: Option<(u16, String)>,
    locale: Option<(u16, String)>,
    resources: BTreeMap<String, (u16, f64)>,
    enrollment: Option<(u16, f64)>,
    shares: BTreeMap<u16, BTreeMap<Group, f64>>,
}

/// Grades served as the API writes them: "PK", "K", "1" ... "12", from a
/// text such as `PK K 1 2 3`, `9-12` or `K - 5`.
pub fn grade_list(text: &str) -> Vec<String> {
    let order = |g: &str| -> Option<u8> {
        match g {
            "PK" | "P" | "PRE-K" => Some(0),
            "K" | "KG" => Some(1),
            n => n
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=12).contains(n))
                .map(|n| n + 1),
        }
    };
    let name = |k: u8| match k {
        0 => "PK".to_string(),
        1 => "K".to_string(),
        n => (n - 1).to_string(),
    };
    let upper = text.to_uppercase().replace(',', " ");
    let spaced = upper.replace('-', " - ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut out: BTreeSet<u8> = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        if i + 2 < tokens.len() && tokens[i + 1] == "-" {
            if let (Some(a), Some(b)) = (order(tokens[i]), order(tokens[i + 2])) {
                out.extend(a.min(b)..=a.max(b));
                i += 3;
                continue;
            }
        }
        if let Some(k) = order(tokens[i]) {
            out.insert(k);
        }
        i += 1;
    }
    out.into_iter().map(name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_read_as_the_api_writes_them() {
        assert_eq!(grade_list("PK K 1 2 3"), ["PK", "K", "1", "2", "3"]);
        assert_eq!(grade_list(" 9 10 11 12"), ["9", "10", "11", "12"]);
        assert_eq!(grade_list("K-5"), ["K", "1", "2", "3", "4", "5"]);
        assert_eq!(grade_list("7 - 12"), ["7", "8", "9", "10", "11", "12"]);
        assert_eq!(grade_list("PK"), ["PK"]);
        assert!(grade_list("").is_empty());
    }

    #[test]
    fn the_same_files_make_the_same_key() {
        let a = source("a.csv", Some(2018), b"x".to_vec());
        let b = source("b.csv", None, b"y".to_vec());
        assert_eq!(
            sources_key(&[a.clone(), b.clone()]),
            sources_key(&[b.clone(), a.clone()])
        );
        let a19 = source("a.csv", Some(2019), b"x".to_vec());
        assert_ne!(sources_key(&[a, b.clone()]), sources_key(&[a19, b]));
    }
}
