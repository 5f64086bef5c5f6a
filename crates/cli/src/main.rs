//! `empower`: the command line of the Statewide System of Support.

mod output;
mod peers_cmd;
mod progress;
mod state;
mod warnings;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use empower_accountability as acc;
use empower_ingest::Import;
use empower_model::{Designation, Rcdts};
use progress::DelayedBar;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "empower",
    version,
    about = "empower, a Statewide System of Support: designate schools from report-card data and explain each designation, find higher-performing schools and opportunity gaps",
    long_about = None
)]
struct Cli {
    /// The state whose rules, column maps and catalogue to use (a folder of
    /// the states' data holding a state.toml).
    #[arg(long, global = true, default_value = "illinois", value_name = "NAME")]
    state: String,
    /// Read the states' data from this folder instead of the built-in copy
    /// of the project's states/ (e.g. to try a new state or year).
    #[arg(long, global = true, value_name = "DIR", env = "EMPOWER_STATES")]
    states: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TextFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct Inputs {
    /// Report-card files: an .xlsx workbook or CSV exports of its sheets
    /// (recognised by their headers), a Title I list, or canonical CSV.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Extra column map (TOML) for a layout the built-in maps do not know.
    #[arg(long = "columns", value_name = "FILE")]
    columns: Vec<PathBuf>,
    /// Go on when the files lack a table the rules read (e.g. the
    /// assessment sheet): the run says what it did without.
    #[arg(long)]
    allow_incomplete: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Designate every school (one row per school and band).
    Designate {
        /// Report-card year (2018 = school year 2017-18).
        #[arg(long)]
        year: u16,
        /// Accountability rules file (default: the built-in file for the year).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also list every school whose computed designation differs from
        /// the official one.
        #[arg(long)]
        disagreements: bool,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Explain one school's designation: indicators, points, index, cuts,
    /// groups, the deciding rule and the distance to the next level up.
    Explain {
        #[arg(long)]
        year: u16,
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: TextFormat,
        /// The school's RCDTS (hyphens allowed).
        rcdts: String,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Schools whose official designation moved up between two years.
    Improved {
        #[arg(long)]
        from: u16,
        #[arg(long)]
        to: u16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Try the alternative scoring choices of a grid file and report the
    /// agreement of each combination with the official designations.
    Calibrate {
        #[arg(long)]
        year: u16,
        /// Calibration grid (TOML): dimensions of alternative rules settings.
        #[arg(long, value_name = "FILE")]
        grid: PathBuf,
        /// Base rules the grid changes (default: built-in rules for the year).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// How many of the best combinations to print.
        #[arg(long, default_value_t = 15)]
        top: usize,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Support status (cohort, term, exit or escalation) from the official
    /// designations of several years.
    Status {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Rules whose status cycle to use (default: built-in for the last year).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Only this school.
        #[arg(long)]
        school: Option<String>,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Find higher-performing schools (NCEA / Just for the Kids model):
    /// per school and subject the ranks, overall rank, exceptions, gaps and
    /// verdict.
    HigherPerforming {
        #[command(flatten)]
        input: CellsInput,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also write per cell: rcdts, year, grade, subject, n, residual, rank band, rank.
        #[arg(long, value_name = "FILE")]
        detail: Option<PathBuf>,
        /// Also write per cell the regression: coefficients, R², schools.
        #[arg(long, value_name = "FILE")]
        regressions: Option<PathBuf>,
        /// Explain one school instead: every rank, each criterion with its
        /// figures and, for a failed one, by how much.
        #[arg(long, value_name = "RCDTS")]
        school: Option<String>,
    },
    /// A school's opportunity gaps in the most recent year.
    Gaps {
        #[command(flatten)]
        input: CellsInput,
        rcdts: String,
    },
    /// The schools most similar to one school (nearest neighbours on the
    /// standardised demographics, same band and school type).
    Similar {
        #[command(flatten)]
        input: CellsInput,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        rcdts: String,
    },
    /// Build the cells CSV of the higher-performing analysis from
    /// report-card files of one or more years.
    Cells {
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Aggregate student records instead (continuous enrollment, prior
        /// performance groups).
        #[arg(long, value_name = "FILE", conflicts_with = "files")]
        students: Option<PathBuf>,
        /// Report-card files of one or more years.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Extra column map (TOML) for a layout the built-in maps do not know.
        #[arg(long = "columns", value_name = "FILE")]
        columns: Vec<PathBuf>,
    },
    /// Generate realistic synthetic data (nothing in it is real student data).
    Generate {
        #[command(subcommand)]
        what: GenerateWhat,
    },
    /// Write the imported data in the canonical long format.
    Export {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        inputs: Inputs,
    },
}

#[derive(clap::Args)]
struct CellsInput {
    #[command(flatten)]
    source: CellsSource,
    /// Higher-performing rules (default: the built-in Illinois 2005 criteria).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct CellsSource {
    /// Cells CSV (snapshot mode): one row per school × year × grade × subject.
    #[arg(long, value_name = "FILE")]
    pub cells: Option<PathBuf>,
    /// Student records (longitudinal mode): continuously enrolled students
    /// are aggregated into cells first.
    #[arg(long, value_name = "FILE")]
    pub students: Option<PathBuf>,
}

#[derive(Subcommand)]
enum GenerateWhat {
    /// Student records (spec/data.md) for N schools over Y years: schools and
    /// demographics from the real school list, synthetic schools (ids
    /// starting `SY`) beyond it; scores depend on demographics, the school
    /// and the student's prior score; students move between schools.
    Students {
        #[arg(long)]
        schools: usize,
        #[arg(long)]
        years: u16,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Report-card year of the first generated year.
        #[arg(long, default_value_t = 2021)]
        first_year: u16,
        /// Report-card files giving the real school list.
        #[arg(
            long = "school-list",
            value_name = "FILE",
            default_value = "../shared/data/illinois/isbe_rc2018_general.csv"
        )]
        school_list: Vec<PathBuf>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExportFormat {
    Csv,
}

fn main() {
    let cli = Cli::parse();
    let result = run(cli);
    warnings::print_summary();
    if let Err(e) = result {
        // `empower ... | head` closes the pipe early: not an error.
        if is_broken_pipe(&e) {
            std::process::exit(0);
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// Threads the engines may use: every core. The engines take the number
/// instead of asking the machine, so that a server can run them on its
/// own pool.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Whether an error is a write to a pipe its reader has closed, however the
/// writer (io, csv, JSON) wrapped it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.kind() == BrokenPipe;
        }
        if let Some(c) = c.downcast_ref::<csv::Error>() {
            return matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe);
        }
        if let Some(j) = c.downcast_ref::<serde_json::Error>() {
            return j.io_error_kind() == Some(BrokenPipe);
        }
        false
    })
}

/// Imports the files through the use-case library; its warnings join the
/// run's and its notes are printed.
fn load(inputs: &Inputs, year: Option<u16>) -> Result<Import> {
    let layouts = state::layouts(&inputs.columns)?;
    let bar = DelayedBar::new();
    let import = empower_app::import(state::current()?, &app_inputs(inputs, &layouts), year, &bar);
    bar.done();
    let import = import?;
    warnings::extend(import.warnings.iter().cloned());
    for n in &import.notes {
        eprintln!("note: {n}");
    }
    Ok(import)
}

fn app_inputs<'a>(
    inputs: &'a Inputs,
    layouts: &'a [empower_ingest::Layout],
) -> empower_app::Inputs<'a> {
    empower_app::Inputs {
        files: &inputs.files,
        layouts,
        allow_incomplete: inputs.allow_incomplete,
    }
}

/// Designates a year through the use-case library.
fn designations(
    year: u16,
    rules: &empower_rules::AccountabilityRules,
    inputs: &Inputs,
) -> Result<(Vec<acc::SchoolData>, acc::Designations)> {
    let layouts = state::layouts(&inputs.columns)?;
    let bar = DelayedBar::new();
    let run = empower_app::designate(
        state::current()?,
        rules,
        &app_inputs(inputs, &layouts),
        year,
        &bar,
    );
    bar.done();
    let run = run?;
    warnings::extend(run.warnings);
    for n in &run.import.notes {
        eprintln!("note: {n}");
    }
    Ok((run.schools, run.designations))
}

fn run(cli: Cli) -> Result<()> {
    state::select(&cli.state, cli.states.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Designate {
            year,
            rules,
            format,
            disagreements,
            inputs,
        } => {
            let rules = state::rules(year, rules.as_deref())?;
            let (_, d) = designations(year, &rules, &inputs)?;
            let f = acc::fidelity(&d, &rules);
            match format {
                Format::Csv => output::designations_csv(&d, &mut out)?,
                Format::Json => {
                    serde_json::to_writer_pretty(
                        &mut out,
                        &warnings::into_json(serde_json::json!({
                            "designations": &d,
                            "fidelity": &f,
                        })),
                    )?;
                    writeln!(out)?;
                }
                Format::Table => output::designations_table(&d, &rules, &mut out)?,
            }
            out.flush()?;
            // The fidelity summary goes to stderr for CSV and JSON so that
            // standard output stays a clean file.
            if format == Format::Table {
                output::fidelity_report(&f, &d, disagreements, &mut out)?;
            } else if f.overall.compared > 0 || disagreements {
                output::fidelity_report(&f, &d, disagreements, &mut std::io::stderr())?;
            }
        }
        Command::Explain {
            year,
            rules,
            format,
            rcdts,
            inputs,
        } => {
            let rules = state::rules(year, rules.as_deref())?;
            let id = Rcdts::parse(&rcdts)?;
            let (_, d) = designations(year, &rules, &inputs)?;
            let ex = acc::explain(&d, &rules, &id);
            if ex.is_empty() {
                bail!("school {id} is not in the files for report-card year {year}");
            }
            match format {
                TextFormat::Json => {
                    serde_json::to_writer_pretty(
                        &mut out,
                        &warnings::into_json(serde_json::to_value(&ex)?),
                    )?;
                    writeln!(out)?;
                }
                TextFormat::Text => {
                    for e in &ex {
                        output::explanation_text(e, &rules, &mut out)?;
                    }
                }
            }
        }
        Command::Improved {
            from,
            to,
            format,
            inputs,
        } => {
            if from >= to {
                bail!("--from {from} must be a year before --to {to}: improvement is measured forward in time");
            }
            let import = load(&inputs, None)?;
            let official = output::official_by_year(&import.records);
            let get = |y: u16| -> Result<&BTreeMap<Rcdts, Designation>> {
                official.get(&y).with_context(|| {
                    format!(
                        "the files hold no official designations for {y} (years found: {})",
                        official
                            .keys()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            };
            let report = acc::improved(get(from)?, get(to)?);
            output::improved(&report, from, to, format, &mut out)?;
        }
        Command::Calibrate {
            year,
            grid,
            rules,
            top,
            inputs,
        } => {
            let (text, name) = state::rules_text(year, rules.as_deref())?;
            let base: toml::Value =
                toml::from_str(&text).with_context(|| format!("{name} is not valid TOML"))?;
            let grid_text = std::fs::read_to_string(&grid)
                .with_context(|| format!("cannot read the grid file {}", grid.display()))?;
            let g = acc::CalibrationGrid::from_toml(&grid_text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", grid.display()))?;
            let base_rules = state::rules(year, rules.as_deref())?;
            let import = load(&inputs, Some(year))?;
            let layouts = state::layouts(&inputs.columns)?;
            warnings::extend(empower_app::required_inputs(
                &import,
                &base_rules,
                &app_inputs(&inputs, &layouts),
                year,
            )?);
            let schools = acc::SchoolData::from_records(
                &import.records,
                year,
                &state::identity(&base_rules)?,
            );
            let with_official = schools.iter().filter(|s| s.official.is_some()).count();
            if with_official == 0 {
                bail!("no school in the files has an official designation to calibrate against");
            }
            let bar = DelayedBar::new();
            let results = acc::calibrate(
                &base,
                &g,
                &state::catalogue()?,
                &schools,
                year,
                threads(),
                &|done, total| bar.set(done as u64, total as u64, "calibrating"),
            )
            .map_err(anyhow::Error::msg)?;
            bar.done();
            output::calibration(&results, &g, &name, with_official, top, &mut out)?;
        }
        Command::Status {
            format,
            rules,
            school,
            inputs,
        } => {
            let import = load(&inputs, None)?;
            let official = output::official_by_year(&import.records);
            let last = *official
                .keys()
                .last()
                .context("the files hold no official designations")?;
            let rules = state::rules(last, rules.as_deref())?;
            let only = school.as_deref().map(Rcdts::parse).transpose()?;
            // Said with every run until the categories are built.
            warnings::push(empower_ingest::Warning::new(
                std::path::Path::new("(status)"),
                None,
                "the 2023 early-exit categories (for 2022 designations: missing 30% or more of the 2021 assessment data, top 30% by the 2019 index, population change over 30%) are not implemented: a school they would release stays in status here",
            ));
            output::status(&official, &rules.status, only.as_ref(), format, &mut out)?;
        }
        Command::HigherPerforming {
            input,
            format,
            detail,
            regressions,
            school,
        } => {
            let rules = state::hp_rules(input.rules.as_deref())?;
            let (rows, source) = peers_cmd::cells_input(&input.source, &rules)?;
            let report = peers_cmd::run_model(&source, &rows, &rules)?;
            if let Some(id) = school {
                let id = Rcdts::parse(&id)?;
                peers_cmd::explain_school(&report, &rows, &rules, &id, &mut out)?;
                out.flush()?;
                return Ok(());
            }
            match format {
                Format::Csv => peers_cmd::main_csv(&report, &mut out)?,
                Format::Json => {
                    serde_json::to_writer_pretty(
                        &mut out,
                        &warnings::into_json(serde_json::to_value(&report)?),
                    )?;
                    writeln!(out)?;
                }
                Format::Table => peers_cmd::table(&report, &mut out)?,
            }
            if let Some(p) = detail {
                peers_cmd::detail_csv(&report, &rows, &p)?;
            }
            if let Some(p) = regressions {
                peers_cmd::regressions_csv(&report, &p)?;
            }
        }
        Command::Gaps { input, rcdts } => {
            let rules = state::hp_rules(input.rules.as_deref())?;
            let id = Rcdts::parse(&rcdts)?;
            let (rows, source) = peers_cmd::cells_input(&input.source, &rules)?;
            let report = peers_cmd::run_model(&source, &rows, &rules)?;
            peers_cmd::gaps(&report, &id, &mut out)?;
        }
        Command::Similar {
            input,
            format,
            rcdts,
        } => {
            let rules = state::hp_rules(input.rules.as_deref())?;
            let id = Rcdts::parse(&rcdts)?;
            let (rows, source) = peers_cmd::cells_input(&input.source, &rules)?;
            let report = peers_cmd::run_model(&source, &rows, &rules)?;
            let list = empower_peers::similar_schools(&rows, &rules, &id)
                .with_context(|| format!("school {id} has no rows in {}", source.display()))?;
            peers_cmd::similar(&report, &list, &rules, &id, format, &mut out)?;
        }
        Command::Cells {
            rules,
            output,
            students,
            files,
            columns,
        } => {
            let rules = state::hp_rules(rules.as_deref())?;
            let rows = match students {
                Some(path) => peers_cmd::aggregate_students(&path, &rules)?,
                None => {
                    if files.is_empty() {
                        bail!("give report-card files, or --students FILE");
                    }
                    let import = load(
                        &Inputs {
                            files,
                            columns,
                            allow_incomplete: false,
                        },
                        None,
                    )?;
                    let (rows, build) = empower_peers::cells_from_records(&import.records, &rules)
                        .map_err(anyhow::Error::msg)?;
                    let sources: Vec<String> = build
                        .n_sources
                        .iter()
                        .map(|(m, k)| format!("{m} for {k}"))
                        .collect();
                    eprintln!(
                        "{} cells (performance = {}); n taken from {}",
                        rows.len(),
                        rules
                            .report_card
                            .as_ref()
                            .map(|r| r.performance.as_str())
                            .unwrap_or("?"),
                        if sources.is_empty() {
                            "nothing".to_string()
                        } else {
                            sources.join(", ")
                        }
                    );
                    if build.untested_year_rows > 0 {
                        warnings::push(empower_ingest::Warning::new(
                            std::path::Path::new("(all files)"),
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
                    rows
                }
            };
            match output {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    peers_cmd::write_cells(&rows, &rules, &mut std::io::BufWriter::new(f))?;
                }
                None => peers_cmd::write_cells(&rows, &rules, &mut out)?,
            }
        }
        Command::Generate {
            what:
                GenerateWhat::Students {
                    schools,
                    years,
                    seed,
                    first_year,
                    school_list,
                    output,
                },
        } => {
            let settings = empower_synth::GeneratorSettings {
                schools,
                years,
                first_year,
                seed,
                ..Default::default()
            };
            let real = peers_cmd::school_profiles(&load(
                &Inputs {
                    files: school_list,
                    columns: Vec::new(),
                    allow_incomplete: false,
                },
                None,
            )?)?;
            let generated = match output {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    empower_synth::generate_students(&real, &settings, f)?
                }
                None => empower_synth::generate_students(&real, &settings, &mut out)?,
            };
            eprintln!(
                "{} schools ({} synthetic), {} students, {} records, years {}-{}",
                generated.schools,
                generated.synthetic_schools,
                generated.students,
                generated.records,
                first_year,
                first_year + years.saturating_sub(1)
            );
        }
        Command::Export {
            year,
            format: ExportFormat::Csv,
            output,
            inputs,
        } => {
            let import = load(&inputs, Some(year))?;
            match output {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    empower_ingest::write_canonical_csv(
                        &import.records,
                        std::io::BufWriter::new(f),
                    )?;
                    eprintln!(
                        "wrote {} records to {}",
                        import.records.len(),
                        path.display()
                    );
                }
                None => empower_ingest::write_canonical_csv(&import.records, &mut out)?,
            }
        }
    }
    out.flush()?;
    Ok(())
}
