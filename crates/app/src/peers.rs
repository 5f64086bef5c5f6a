//! The higher-performing use cases: cells from a file or from student
//! records, and the model, each with the warnings a run must show.

use crate::{AppError, Inputs, Loaded};
use empower_ingest::{CellChecks, Progress, StudentChecks, Warning};
use empower_model::SchoolId;
use empower_peers::{higher_performing, CellRow, CellSums, Enrollment, HpReport, HpRules};
use empower_states::State;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the cells of a run come from.
#[derive(Clone, Debug)]
pub enum CellsSource {
    /// A cells CSV (snapshot mode).
    Cells(PathBuf),
    /// Student records (longitudinal mode), aggregated into cells first.
    Students(PathBuf),
}

impl CellsSource {
    pub fn path(&self) -> &Path {
        match self {
            CellsSource::Cells(p) | CellsSource::Students(p) => p,
        }
    }
}

/// The cells of a run, and in longitudinal mode what the records held.
#[derive(Debug)]
pub struct Cells {
    pub rows: Vec<CellRow>,
    /// Students and years read, in longitudinal mode.
    pub students: Option<(usize, Vec<u16>)>,
}

/// Reads the cells of `source`: a cells file, or student records
/// aggregated on `threads` threads.
pub fn cells(
    state: &State,
    source: &CellsSource,
    rules: &HpRules,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Loaded<Cells>, AppError> {
    match source {
        CellsSource::Cells(path) => {
            let (rows, warnings) = load_cells(state, path, rules)?;
            Ok(Loaded {
                value: Cells {
                    rows,
                    students: None,
                },
                warnings,
                notes: Vec::new(),
            })
        }
        CellsSource::Students(path) => {
            let a = aggregate_students(state, path, rules, threads, progress)?;
            Ok(Loaded {
                value: Cells {
                    rows: a.rows,
                    students: Some((a.students, a.years)),
                },
                warnings: a.warnings,
                notes: Vec::new(),
            })
        }
    }
}

/// The cells of a run and the model's report on them.
#[derive(Debug)]
pub struct Modelled {
    pub cells: Cells,
    pub report: HpReport,
}

/// Reads the cells of `source` and runs the model on `threads` threads.
pub fn model(
    state: &State,
    source: &CellsSource,
    rules: &HpRules,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Loaded<Modelled>, AppError> {
    let Loaded {
        value: cells,
        mut warnings,
        notes,
    } = self::cells(state, source, rules, threads, progress)?;
    let (report, more) = run_model(source.path(), &cells.rows, rules, threads)?;
    warnings.extend(more);
    Ok(Loaded {
        value: Modelled { cells, report },
        warnings,
        notes,
    })
}

/// Synthetic student records for the schools of the real list in `inputs`
/// (nothing in them is real student data), written to `out`.
pub fn generate_students(
    state: &State,
    inputs: &Inputs,
    settings: &empower_synth::GeneratorSettings,
    out: impl std::io::Write,
    progress: &dyn Progress,
) -> Result<Loaded<empower_synth::Generated>, AppError> {
    let Loaded {
        value: real,
        warnings,
        notes,
    } = school_profiles(state, inputs, progress)?;
    if real.is_empty() {
        return Err(AppError::Refused(
            "the school list has no school with grades served and an enrolment".into(),
        ));
    }
    let generated =
        empower_synth::generate_students_with(&real, settings, out, &mut |done, all| {
            if done == 1 {
                progress.begin("generating students, school by school", all as u64);
            }
            progress.advance(done as u64)
        })
        .map_err(|e| AppError::Refused(format!("cannot write the student records: {e}")))?;
    progress.finish();
    Ok(Loaded {
        value: generated,
        warnings,
        notes,
    })
}

/// Cells built from report cards, with where each cell's n came from.
#[derive(Debug)]
pub struct FromReportCards {
    pub rows: Vec<CellRow>,
    /// The measure the rules take as performance.
    pub performance: String,
    /// Measure → cells whose n it gave.
    pub n_sources: BTreeMap<String, usize>,
}

/// Imports report cards of one or more years and builds one cell per
/// school, year, grade and subject under the rules' `[report_card]`.
pub fn cells_from_report_cards(
    state: &State,
    rules: &HpRules,
    inputs: &Inputs,
    progress: &dyn Progress,
) -> Result<Loaded<FromReportCards>, AppError> {
    if inputs.files.is_empty() {
        return Err(AppError::Refused(
            "give report-card files, or --students FILE".into(),
        ));
    }
    let import = crate::import(state, inputs, None, progress)?;
    let (rows, build) =
        empower_peers::cells_from_records(&import.records, rules).map_err(AppError::Refused)?;
    let mut warnings = import.warnings;
    if build.untested_year_rows > 0 {
        warnings.push(Warning::new(
            Path::new("(all files)"),
            None,
            format!(
                "{} school rows of years without a state test ({}) left out",
                build.untested_year_rows,
                rules
                    .years_without_tests
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    for (why, (count, examples)) in &build.no_single_test {
        let examples: Vec<String> = examples.iter().map(|s| s.to_string()).collect();
        let what = match why {
            empower_peers::AssessmentUnknown::Mixed => "serve grades of two tests (say grades 3-8 and 11): a school-wide rate mixes both, and these files give no rate per test",
            empower_peers::AssessmentUnknown::GradesUnknown => "have no grades served, so the test behind their rates is unknown",
            empower_peers::AssessmentUnknown::NoTestedGrade => "serve no grade a state test covers",
        };
        warnings.push(Warning::new(
            Path::new("(all files)"),
            None,
            format!(
                "{count} cells (school, year and subject) left out: their schools {what} (e.g. {})",
                examples.join(", ")
            ),
        ));
    }
    Ok(Loaded {
        value: FromReportCards {
            rows,
            performance: rules
                .report_card
                .as_ref()
                .map(|r| r.performance.clone())
                .unwrap_or_default(),
            n_sources: build.n_sources,
        },
        warnings,
        notes: import.notes,
    })
}

/// The schools most similar to `school` in the cells.
pub fn similar(
    rows: &[CellRow],
    rules: &HpRules,
    school: &SchoolId,
    source: &Path,
) -> Result<Vec<empower_peers::SimilarSchool>, AppError> {
    empower_peers::similar_schools(rows, rules, school).ok_or_else(|| {
        AppError::Refused(format!(
            "school {school} has no rows in {}",
            source.display()
        ))
    })
}

/// The real school list for the generator of synthetic student records,
/// from the report-card records of the latest year the files hold. Each
/// profile figure is read where the higher-performing rules read the
/// predictor of the same student attribute (`longitudinal.predictors`
/// names the attribute, `report_card.predictors` the measure).
pub fn school_profiles(
    state: &State,
    inputs: &Inputs,
    progress: &dyn Progress,
) -> Result<Loaded<Vec<empower_synth::SchoolProfile>>, AppError> {
    use empower_accountability::SchoolData;
    use empower_model::Level;
    let import = crate::import(state, inputs, None, progress)?;
    let year = import
        .records
        .iter()
        .filter(|r| r.level == Level::School)
        .map(|r| r.year)
        .max()
        .ok_or_else(|| AppError::Refused("the school list has no school rows".into()))?;
    let rules = state
        .rules
        .last()
        .ok_or_else(|| AppError::Refused("the state has no rules file".into()))?;
    let hp = &state.higher_performing;
    let rc = hp.report_card.as_ref().ok_or_else(|| {
        AppError::Refused("the higher-performing rules have no [report_card] section".into())
    })?;
    // The measure of each student attribute the generator draws.
    let source = |attribute: &str| -> Result<&empower_peers::MeasureRef, AppError> {
        hp.longitudinal
            .predictors
            .iter()
            .find(|(_, a)| *a == attribute)
            .and_then(|(p, _)| rc.predictors.get(p))
            .ok_or_else(|| {
                AppError::Refused(format!(
                    "the higher-performing rules read no report-card measure for the student attribute `{attribute}` the generator needs"
                ))
            })
    };
    let [students, low_income, el, black, hispanic, asian] =
        ["students", "low_income", "el", "black", "hispanic", "asian"].map(source);
    let (students, low_income, el, black, hispanic, asian) =
        (students?, low_income?, el?, black?, hispanic?, asian?);
    let schools = SchoolData::from_records(&import.records, year, &state.identity(&rules.rules));
    let value = |s: &SchoolData, m: &empower_peers::MeasureRef| s.value(&m.measure, m.group, None);
    let profiles = schools
        .iter()
        .filter_map(|s| {
            let pct = |m| value(s, m).unwrap_or(0.0);
            Some(empower_synth::SchoolProfile {
                rcdts: s.rcdts.clone()?,
                district: s.district.clone(),
                grades: s.grades.clone(),
                enrollment: value(s, students)?,
                pct_low_income: pct(low_income),
                pct_el: pct(el),
                pct_black: pct(black),
                pct_hispanic: pct(hispanic),
                pct_asian: pct(asian),
                synthetic: false,
            })
        })
        .filter(|p| !p.grades.is_empty() && p.enrollment > 0.0)
        .collect();
    Ok(Loaded {
        value: profiles,
        warnings: import.warnings,
        notes: import.notes,
    })
}

/// What a cells file may hold, from the state's ids and the rules.
pub fn cell_checks(state: &State, rules: &HpRules) -> CellChecks {
    CellChecks {
        ids: state.catalogue.school_id.clone(),
        predictors: rules.predictors.clone(),
        ranges: rules.ranges.clone(),
        years: rules.years,
    }
}

/// What a student record may hold, from the rules.
pub fn student_checks(rules: &HpRules) -> StudentChecks {
    let lr = &rules.longitudinal;
    StudentChecks {
        years: rules.years,
        levels: lr.performance_levels,
        scores: lr.scale_scores,
        race_codes: lr.race_codes.clone(),
    }
}

/// Reads a cells file; absent predictors and unknown columns are warnings.
pub fn load_cells(
    state: &State,
    path: &Path,
    rules: &HpRules,
) -> Result<(Vec<CellRow>, Vec<Warning>), AppError> {
    let f = empower_ingest::read_cells(path, &cell_checks(state, rules))?;
    let mut warnings = Vec::new();
    if !f.absent_predictors.is_empty() {
        warnings.push(Warning::new(
            path,
            None,
            format!(
                "no column for the predictor(s) {}: dropped from the model",
                f.absent_predictors.join(", ")
            ),
        ));
    }
    if !f.unknown_columns.is_empty() {
        warnings.push(Warning::new(
            path,
            None,
            format!("columns not used: {}", f.unknown_columns.join(", ")),
        ));
    }
    Ok((f.rows, warnings))
}

/// Runs the model on `threads` threads. Warnings: predictors dropped, and
/// per year the cells without a rank and why (a year where most have none
/// is too sparse to trust).
pub fn run_model(
    path: &Path,
    rows: &[CellRow],
    rules: &HpRules,
    threads: usize,
) -> Result<(HpReport, Vec<Warning>), AppError> {
    let report = higher_performing(rows, rules, threads)
        .map_err(|e| AppError::Refused(format!("{}: {e}", path.display())))?;
    let mut warnings = Vec::new();
    if !report.predictors_dropped.is_empty() {
        warnings.push(Warning::new(
            path,
            None,
            format!(
                "predictor(s) empty on every row, dropped from the model: {}",
                report.predictors_dropped.join(", ")
            ),
        ));
    }
    let mut per_year: BTreeMap<u16, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for c in report.cell_results() {
        let e = per_year.entry(rows[c.row].key.year).or_default();
        e.0 += 1;
        if let Some(why) = c.missing {
            *e.1.entry(why).or_default() += 1;
        }
    }
    for (year, (total, why)) in per_year {
        let unranked: usize = why.values().sum();
        if unranked == 0 {
            continue;
        }
        let reasons: Vec<String> = why.iter().map(|(w, n)| format!("{n} {w}")).collect();
        warnings.push(Warning {
            schools: Some(unranked),
            ..Warning::new(
                path,
                None,
                format!(
                    "{year}: {unranked} of {total} cells have no rank ({}){}",
                    reasons.join(", "),
                    if unranked * 2 > total {
                        "; this year is too sparse to trust"
                    } else {
                        ""
                    }
                ),
            )
        });
    }
    Ok((report, warnings))
}

/// Cells of continuously enrolled students, with what the run read.
#[derive(Debug)]
pub struct Aggregated {
    pub rows: Vec<CellRow>,
    pub students: usize,
    pub years: Vec<u16>,
    pub warnings: Vec<Warning>,
}

/// Longitudinal mode: two passes over the student records on `threads`
/// threads. Refuses records of more than 8 subjects, a school in two
/// districts and a repeated student, year and subject (with its row).
pub fn aggregate_students(
    state: &State,
    path: &Path,
    rules: &HpRules,
    threads: usize,
    progress: &dyn empower_ingest::Progress,
) -> Result<Aggregated, AppError> {
    let lr = &rules.longitudinal;
    let checks = student_checks(rules);
    let refused = |m: String| AppError::Refused(format!("{}: {m}", path.display()));
    let (parts, stats) = empower_ingest::scan_students(
        path,
        threads,
        &checks,
        &Pass {
            label: "pass 1 of 2, enrolment",
            inner: progress,
        },
        Enrollment::default,
        |e, r| e.add(r, lr.proficient_level),
    )?;
    let mut enrollment = Enrollment::default();
    for p in parts {
        enrollment.merge(p);
    }
    if enrollment.too_many_subjects() {
        return Err(refused(
            "the records name more than 8 subjects; split the file by subject".into(),
        ));
    }
    if let Some((school, a, b)) = enrollment.district_conflict() {
        return Err(refused(format!(
            "school {school} is in district {a} in some records and {b} in others; continuous enrolment in a district needs one"
        )));
    }
    if let Some(d) = enrollment.duplicates() {
        let line = duplicate_line(path, &checks, &d);
        return Err(AppError::Refused(format!(
            "{}{}: {} record(s) repeat a student, year and subject already seen, first student {} in {} {}; a student counted twice would weigh twice, so remove the repeats",
            path.display(),
            line.map(|l| format!(", row {l}")).unwrap_or_default(),
            d.count,
            d.student,
            d.year,
            d.subject
        )));
    }
    let mut warnings = Vec::new();
    if stats.race_not_reported > 0 {
        warnings.push(Warning::new(
            path,
            None,
            format!(
                "{} of {} records have no race: they count in no race predictor",
                stats.race_not_reported, stats.records
            ),
        ));
    }
    let (parts, _) = empower_ingest::scan_students(
        path,
        threads,
        &checks,
        &Pass {
            label: "pass 2 of 2, cells",
            inner: progress,
        },
        CellSums::default,
        |c, r| c.add(&enrollment, r, lr),
    )?;
    let mut sums = CellSums::default();
    for p in parts {
        sums.merge(p);
    }
    let cells = sums.into_cells(&enrollment, rules);
    let rows = cells
        .iter()
        .enumerate()
        .map(|(i, c)| c.to_row(i + 2, &state.catalogue.school_id).map_err(refused))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Aggregated {
        rows,
        students: enrollment.students(),
        years: enrollment.years().to_vec(),
        warnings,
    })
}

/// One of the passes over a student file, named on the progress bar
/// ("pass 1 of 2, enrolment: reading students.csv").
struct Pass<'a> {
    label: &'a str,
    inner: &'a dyn empower_ingest::Progress,
}

impl empower_ingest::Progress for Pass<'_> {
    fn start(&self, file: &Path, total: u64) {
        let name = file
            .file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default();
        self.inner
            .begin(&format!("{}: reading {name}", self.label), total);
    }
    fn begin(&self, task: &str, total: u64) {
        self.inner.begin(task, total);
    }
    fn advance(&self, done: u64) {
        self.inner.advance(done);
    }
    fn finish(&self) {
        self.inner.finish();
    }
}

/// Row of the second record of a repeated student, year and subject (one
/// more pass on one thread, only when there is a repeat).
fn duplicate_line(
    path: &Path,
    checks: &StudentChecks,
    d: &empower_peers::DuplicateRecords,
) -> Option<usize> {
    let (parts, _) = empower_ingest::scan_students(
        path,
        1,
        checks,
        &(),
        || (0u32, None::<u64>),
        |(seen, at), r| {
            if r.student == d.student && r.year == d.year && r.subject == d.subject.as_bytes() {
                *seen += 1;
                if *seen == 2 && at.is_none() {
                    *at = Some(r.offset);
                }
            }
        },
    )
    .ok()?;
    let offset = parts.first()?.1?;
    let file = std::fs::File::open(path).ok()?;
    empower_ingest::line_number(&file, offset as usize).ok()
}
