//! `empower`: the command line of the Statewide System of Support.

mod output;
mod peers_cmd;
mod platform;

mod progress;
mod warnings;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use empower_accountability::Detail;
use empower_app::peers::CellsSource;
use empower_app::rules;
use empower_model::SchoolId;
use empower_states::State;
use progress::DelayedBar;
use std::io::Write;
use std::path::PathBuf;
use warnings::Warnings;

// The server answers many small requests on few cores: glibc's allocator
// spent a quarter of its time in malloc and its arena locks under load
// (bench/web.sh); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    #[command(flatten)]
    database: platform::Database,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
}

/// `designate`'s formats: the usual three and the wide spreadsheet.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DesignateFormat {
    /// A table for people, with the agreement with the official designations.
    Table,
    /// One row per school and band (the output contract's columns).
    Csv,
    /// Everything, with every group's indicators.
    Json,
    /// One row per school and band with every figure behind it: each
    /// indicator's value, n, score and points, each group's index and
    /// whether it qualifies, the percentile, the weight present and the
    /// distance to each cut. CSV, or a spreadsheet with --output FILE.xlsx.
    Wide,
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

/// Which schools a list keeps (all of them by default).
#[derive(clap::Args, Clone, Debug, Default)]
struct SchoolFilter {
    /// Only the schools of this district (its RCDTS, or any of its
    /// schools').
    #[arg(long, value_name = "RCDTS")]
    district: Option<String>,
    /// Only the schools of this region (the RCDTS's first two characters,
    /// the ROE/ISC code).
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// Only the schools whose name contains this text (any case).
    #[arg(long, value_name = "TEXT")]
    name: Option<String>,
    /// Only the schools of this county (its name, any case).
    #[arg(long, value_name = "NAME")]
    county: Option<String>,
}

impl SchoolFilter {
    /// Whether the school `rcdts`, with its directory entry, is kept.
    fn keeps(&self, rcdts: &str, e: &empower_app::DirectoryEntry) -> bool {
        let digits = |s: &str| {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        };
        let id = digits(rcdts);
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        self.district
            .as_deref()
            .is_none_or(|d| digits(d).get(..11).is_some_and(|p| id.starts_with(p)))
            && self
                .region
                .as_deref()
                .is_none_or(|r| id.starts_with(&format!("{:0>2}", r.trim())))
            && self.name.as_deref().is_none_or(|n| {
                e.school_name
                    .to_lowercase()
                    .contains(&n.trim().to_lowercase())
            })
            && self.county.as_deref().is_none_or(|c| same(c, &e.county))
    }
}

#[derive(Subcommand)]
enum RarCommand {
    /// Every district's figures and the selection of a fiscal year: the
    /// number of schools with a designation of record, how many are
    /// identified (by designation), the share and weighted share, the
    /// longest run of years in status, the rank and the reason.
    Selection {
        /// The fiscal year (July to June, named by its end: 2019 runs from
        /// July 2018 to June 2019).
        #[arg(long, value_name = "YEAR")]
        fiscal_year: i16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user, or add a role to an existing one (a role the user
    /// holds already changes nothing). Without --password-stdin a new
    /// user has no password until they follow an invitation or reset link.
    Add {
        /// The user's e-mail address (how they sign in).
        #[arg(long, value_name = "E")]
        email: String,
        /// The user's name as pages show it.
        #[arg(long, value_name = "N")]
        name: String,
        /// state-admin, state-coordinator, district-leader, school-leader,
        /// partner-contact, educator, employer or program-admin.
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// The district (district-leader, employer) or school
        /// (school-leader, partner-contact) the role is for.
        #[arg(long, value_name = "ID")]
        scope: Option<String>,
        /// Read the password from the first line of standard input (it
        /// replaces the password of an existing user).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a new API token for the user: the token alone and a newline.
    Token {
        /// The user's e-mail address.
        #[arg(long, value_name = "E")]
        email: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application: public pages and the JSON API, on the
    /// embedded SQLite database (created, migrated and loaded with the
    /// bundled report cards on first start) or on --database-url.
    ///
    /// Example: empower serve --listen 127.0.0.1:8080
    Serve {
        /// Address to listen on.
        #[arg(
            long,
            value_name = "ADDR",
            env = "EMPOWER_LISTEN",
            default_value = "127.0.0.1:8080"
        )]
        listen: String,
        /// Log lines as JSON (one object per line) instead of text.
        #[arg(long)]
        log_json: bool,
        /// On a database without users: create one demonstration user per
        /// role and print them (role, e-mail, password, scope; tab
        /// separated) before listening.
        #[arg(long)]
        demo: bool,
        /// With --demo only: the server's clock starts at this instant
        /// (RFC 3339, e.g. 2019-01-15T09:00:00-06:00) and runs on from it.
        #[arg(long, value_name = "INSTANT", env = "EMPOWER_NOW", requires = "demo")]
        now: Option<String>,
        /// The address people reach the server at, for the links in
        /// invitation and password-reset mail; an https address also marks
        /// the session cookie Secure. Default: http:// and --listen.
        #[arg(long, value_name = "URL", env = "EMPOWER_PUBLIC_URL")]
        public_url: Option<String>,
        /// Failed sign-ins allowed per account within the window before
        /// the account must wait (the API answers 429 with Retry-After).
        #[arg(
            long,
            value_name = "N",
            env = "EMPOWER_SIGN_IN_ATTEMPTS",
            default_value_t = 5
        )]
        sign_in_attempts: u32,
        /// The window of --sign-in-attempts, in minutes.
        #[arg(
            long,
            value_name = "MINUTES",
            env = "EMPOWER_SIGN_IN_WINDOW",
            default_value_t = 15
        )]
        sign_in_window: u32,
    },
    /// Accounts: add a user or a role, print an API token.
    ///
    /// Example: empower users add --email analyst@isbe.net --name "Ana Lyst" --role state-coordinator
    #[command(subcommand)]
    Users(UsersCommand),
    /// The improvement cycle's reminders: every needs assessment or work
    /// plan not yet submitted that is due within --days (the rules' window
    /// by default) or overdue, with the school leaders it reminds. With
    /// --queue, also write the reminder e-mails to the outbox (at most one
    /// per person and item in the rules' repeat window, so a daily run from
    /// cron is safe).
    ///
    /// Example: empower --data-dir data reminders --queue --public-url https://empower.example.org
    Reminders {
        /// List what is due within this many days (default: the rules').
        #[arg(long, value_name = "N")]
        days: Option<i64>,
        /// Write the reminder e-mails to the outbox.
        #[arg(long)]
        queue: bool,
        /// The address people reach the server at, for the link in the mail.
        #[arg(
            long,
            value_name = "URL",
            env = "EMPOWER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Resource Allocation Reviews: the districts a fiscal year's reviews
    /// are for, from the published designations of record of the report
    /// card the rules map the year to (fiscal year F reads report card
    /// F - 1), ranked, each with its figures and the reason it is or is
    /// not selected.
    ///
    /// Example: empower rar selection --fiscal-year 2019 --format csv
    #[command(subcommand)]
    Rar(RarCommand),
    /// Create or update the database's tables (every platform command does
    /// this first).
    ///
    /// Example: empower --database-url postgres://empower@db/empower migrate
    Migrate,
    /// Import report-card files into the database and publish what they
    /// give (designations, explanations, higher-performing results) with
    /// every file imported before; all or nothing, and importing the same
    /// files again changes nothing.
    Import {
        /// Report-card year of files without a year column (e.g. a Title
        /// I list).
        #[arg(long)]
        year: Option<u16>,
        /// Report-card files (.xlsx or CSV sheets), Title I lists or
        /// canonical CSV, recognised by their headers.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Copy the SQLite database to a new file while it may be in use.
    ///
    /// Example: empower backup empower-backup.sqlite
    Backup {
        /// The new file (refused if it exists).
        #[arg(value_name = "FILE")]
        to: PathBuf,
    },
    /// Designate every school (one row per school and band).
    ///
    /// Example: empower designate --year 2018 --format wide --output designations.xlsx ../shared/data/illinois/isbe_rc2018_*.csv ../shared/data/illinois/jserr2_rc2019_title1_frl_merged.csv
    Designate {
        /// Report-card year (2018 = school year 2017-18).
        #[arg(long)]
        year: u16,
        /// Accountability rules file (default: the built-in file for the year).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// What-if: set a dotted path of the rules for this run, e.g.
        /// accountability.cuts.targeted.share=0.06 (repeatable). The run
        /// says "modified" and names the file and its hash.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// How to write the designations.
        #[arg(long, value_enum, default_value = "table")]
        format: DesignateFormat,
        /// Write to this file instead of standard output; with --format
        /// wide, a name ending in .xlsx writes a spreadsheet (ids as text,
        /// a second sheet describing every column).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also list every school whose computed designation differs from
        /// the official one.
        #[arg(long)]
        disagreements: bool,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// The school-bands near a cut: every all-students index within
    /// --within points of the band's Comprehensive cut (schools in its
    /// pool) or top-10% cut, and every qualifying group's index within
    /// --within points of the Targeted cut, on either side, closest
    /// first, with the group, the direction and what a move of that size
    /// would do.
    ///
    /// Example: empower near-cut --year 2018 --within 2 --district 150162990250000 rc2018-general.csv rc2018-ela-math.csv
    NearCut {
        /// Report-card year (2018 = school year 2017-18).
        #[arg(long)]
        year: u16,
        /// Accountability rules file (default: the built-in file for the year).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// What-if: set a dotted path of the rules for this run, e.g.
        /// accountability.cuts.targeted.share=0.06 (repeatable). The run
        /// says "modified" and names the file and its hash.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// How many index points from a cut count as near (either side).
        #[arg(long, value_name = "POINTS", default_value_t = 2.0)]
        within: f64,
        #[command(flatten)]
        filter: SchoolFilter,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Who moves between two designation files (`designate --format csv`,
    /// e.g. the state's rules and a what-if with --set): every
    /// school-band whose designation differs, and how many made each move.
    ///
    /// Example: empower compare state.csv targeted-6pct.csv
    Compare {
        /// The first run's CSV (before).
        a: PathBuf,
        /// The second run's CSV (after).
        b: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Explain one school's designation: indicators, points, index, cuts,
    /// groups, the deciding rule and the distance to the next level up.
    ///
    /// Example: empower explain --year 2018 010010010260001,010010010262002 ../shared/data/illinois/isbe_rc2018_*.csv ../shared/data/illinois/jserr2_rc2019_title1_frl_merged.csv
    Explain {
        #[arg(long)]
        year: u16,
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// What-if: set a dotted path of the rules for this run, e.g.
        /// accountability.cuts.targeted.share=0.06 (repeatable). The run
        /// says "modified" and names the file and its hash.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: TextFormat,
        /// The school's RCDTS (hyphens allowed); several schools separated
        /// by commas (010010010260001,010010010262002).
        rcdts: String,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Schools whose official designation moved up between two years.
    ///
    /// Example: empower improved --from 2018 --to 2019 --county Adams ../shared/data/illinois/capstone_k8_panel_2018_2020.csv
    Improved {
        #[arg(long)]
        from: u16,
        #[arg(long)]
        to: u16,
        #[command(flatten)]
        filter: SchoolFilter,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Try the alternative scoring choices of a grid file and report the
    /// agreement of each combination with the official designations.
    ///
    /// Example: empower calibrate --year 2018 --grid states/illinois/calibration/grid-2018.toml ../shared/data/illinois/isbe_rc2018_*.csv ../shared/data/illinois/jserr2_rc2019_title1_frl_merged.csv
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
    ///
    /// Example: empower status --school 010010010262002 ../shared/data/illinois/capstone_k8_panel_2018_2020.csv
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
        filter: SchoolFilter,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Find higher-performing schools (NCEA / Just for the Kids model):
    /// per school and subject the ranks, overall rank, exceptions, gaps and
    /// verdict.
    ///
    /// Example: empower higher-performing --cells cells.csv --county Adams --format csv
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
        #[command(flatten)]
        filter: SchoolFilter,
    },
    /// A school's opportunity gaps in the most recent year: per subject,
    /// grade and group, its % proficient minus the mean of the top
    /// comparable schools (those with at least as many low-income
    /// students, less the rules' margin).
    ///
    /// Example: empower gaps --cells cells.csv --format csv 010010010262002
    Gaps {
        #[command(flatten)]
        input: CellsInput,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// The school's RCDTS (hyphens allowed).
        rcdts: String,
    },
    /// The schools most similar to one school (nearest neighbours on the
    /// standardised demographics, same band and school type).
    ///
    /// Example: empower similar --cells cells.csv --county Cook 010010010260001
    Similar {
        #[command(flatten)]
        input: CellsInput,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// The school's RCDTS (hyphens allowed).
        rcdts: String,
        /// Keep only the similar schools that pass these filters.
        #[command(flatten)]
        filter: SchoolFilter,
    },
    /// Build the cells CSV of the higher-performing analysis from
    /// report-card files of one or more years.
    ///
    /// Example: empower cells -o cells.csv ../shared/data/illinois/isbe_rc2018_general.csv ../shared/data/illinois/isbe_rc2018_ela_math.csv ../shared/data/illinois/capstone_k8_panel_2018_2020.csv
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
    ///
    /// Example: empower generate students --schools 1450 --years 5 --seed 1 -o students.csv
    Generate {
        #[command(subcommand)]
        what: GenerateWhat,
    },
    /// Write the imported data in the canonical long format.
    ///
    /// Example: empower export --year 2018 -o long.csv ../shared/data/illinois/isbe_rc2018_*.csv
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
    source: CellsArgs,
    /// Higher-performing rules (default: the built-in Illinois 2005 criteria).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// What-if: set a dotted path of the higher-performing rules for this
    /// run, e.g. higher_performing.min_students=20 (repeatable). The run
    /// says "modified" and names the file and its hash.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl CellsInput {
    /// The higher-performing rules of the run, said on standard error.
    fn rules(&self, state: &State) -> Result<(empower_peers::HpRules, rules::RulesProvenance)> {
        let (rules, provenance) =
            rules::higher_performing_with(state, self.rules.as_deref(), &self.set)?;
        eprintln!("{provenance}");
        Ok((rules, provenance))
    }
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct CellsArgs {
    /// Cells CSV (snapshot mode): one row per school × year × grade × subject.
    #[arg(long, value_name = "FILE")]
    cells: Option<PathBuf>,
    /// Student records (longitudinal mode): continuously enrolled students
    /// are aggregated into cells first.
    #[arg(long, value_name = "FILE")]
    students: Option<PathBuf>,
}

impl CellsArgs {
    fn source(&self) -> CellsSource {
        match (&self.cells, &self.students) {
            (Some(c), _) => CellsSource::Cells(c.clone()),
            (None, Some(s)) => CellsSource::Students(s.clone()),
            // clap requires one of the two.
            (None, None) => unreachable!("clap requires --cells or --students"),
        }
    }
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

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, v2 and v3: option 15): how
/// long freed memory is held for reuse before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `mi_option_destroy_on_exit` (v2 and v3: option 22); above 1,
/// the process's end skips mimalloc's own clean-up.
const MI_OPTION_DESTROY_ON_EXIT: libmimalloc_sys::mi_option_t = 22;

/// How the allocator and the kernel treat this process's memory. A command
/// runs once and ends: memory its threads free goes back at once instead
/// of later, and in small pages rather than the 2 MB ones mimalloc asks
/// the system for (each touched byte of which counts whole): together
/// they take the peak of `designate` from about 110 MB to 48 MB. Set
/// before anything is allocated, as the first pages are touched while
/// the arguments are parsed. At the end, the system takes the memory
/// back whole: mimalloc's clean-up of every page is skipped. The server,
/// serving many small requests, and a calibration, designating again and
/// again, reuse what they free: they go back to the defaults
/// ([`MemoryUse::long_running`]). `MIMALLOC_PURGE_DELAY` in the
/// environment wins over this.
struct MemoryUse {
    purge_delay: std::os::raw::c_long,
}

impl MemoryUse {
    fn one_shot() -> Self {
        // SAFETY: mimalloc's options are plain integers, read when used;
        // no thread has started yet. The prctl takes integers only.
        unsafe {
            let purge_delay = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
            }
            libmimalloc_sys::mi_option_set(MI_OPTION_DESTROY_ON_EXIT, 2);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
            MemoryUse { purge_delay }
        }
    }

    fn long_running(self) {
        // SAFETY: as in `one_shot`, before any thread is started.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, self.purge_delay);
            libmimalloc_sys::mi_option_set(MI_OPTION_DESTROY_ON_EXIT, 0);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
        }
    }
}

fn main() {
    let memory = MemoryUse::one_shot();
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Serve { .. } | Command::Calibrate { .. }
    ) {
        memory.long_running();
    }
    let mut warnings = Warnings::default();
    let result = run(cli, &mut warnings);
    warnings.print_summary();
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

/// Lets the operating system take back a run's memory when the process
/// ends instead of freeing it value by value: a designation holds some
/// hundred thousand allocations, and freeing them one by one took a
/// tenth of the run. Only for values kept to the end of a command.
fn skip_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// Runs a use case under a progress bar that shows only when it lasts.
fn with_bar<T>(f: impl FnOnce(&DelayedBar) -> T) -> T {
    let bar = DelayedBar::new();
    let out = f(&bar);
    bar.done();
    out
}

/// The state's column maps plus the user's `--columns`.
struct Files {
    files: Vec<PathBuf>,
    layouts: Vec<empower_ingest::Layout>,
    allow_incomplete: bool,
}

impl Files {
    fn new(
        state: &State,
        files: Vec<PathBuf>,
        columns: &[PathBuf],
        allow_incomplete: bool,
    ) -> Result<Self> {
        Ok(Files {
            files,
            layouts: rules::layouts(state, columns)?,
            allow_incomplete,
        })
    }

    fn of(state: &State, inputs: Inputs) -> Result<Self> {
        Files::new(
            state,
            inputs.files,
            &inputs.columns,
            inputs.allow_incomplete,
        )
    }

    fn inputs(&self) -> empower_app::Inputs<'_> {
        empower_app::Inputs {
            files: &self.files,
            layouts: &self.layouts,
            allow_incomplete: self.allow_incomplete,
            threads: threads(),
        }
    }
}

/// A school's directory entry, or an empty one when the directory lacks it.
fn entry(
    dir: &std::collections::BTreeMap<SchoolId, empower_app::DirectoryEntry>,
    id: &SchoolId,
) -> empower_app::DirectoryEntry {
    dir.get(id).cloned().unwrap_or_default()
}

/// A school id typed by the user, read as the state writes them.
fn parse_school(state: &State, code: &str) -> Result<SchoolId> {
    Ok(state.catalogue.school_id.parse(code)?)
}

/// Writes `value` as pretty JSON with the run's warnings.
/// A designation CSV (`designate --format csv`) as the rows `compare`
/// reads; a missing column or a short row is named with file and line.
fn read_run(path: &std::path::Path) -> Result<Vec<empower_accountability::RunRow>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r.headers()?.clone();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no `{name}` column: give a file written by `empower designate --format csv`",
                path.display()
            )
        })
    };
    let (id, name, band, des) = (
        col("rcdts")?,
        col("school_name")?,
        col("band")?,
        col("designation")?,
    );
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}, line {}", path.display(), i + 2))?;
        let get = |c: usize| rec.get(c).unwrap_or_default().to_string();
        rows.push(empower_accountability::RunRow {
            rcdts: get(id),
            school_name: get(name),
            band: get(band),
            designation: get(des),
        });
    }
    Ok(rows)
}

fn write_json(out: &mut dyn Write, warnings: &Warnings, value: serde_json::Value) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &warnings.with_warnings(value))?;
    writeln!(out)?;
    Ok(())
}

/// An output file, or standard output.
fn output_to<'a>(path: &Option<PathBuf>, stdout: &'a mut dyn Write) -> Result<Box<dyn Write + 'a>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(stdout),
    })
}

fn run(cli: Cli, warnings: &mut Warnings) -> Result<()> {
    let loaded = rules::load_state(&cli.state, cli.states.as_deref())?;
    let state = &loaded;
    match &cli.command {
        Command::Serve {
            listen,
            log_json,
            demo,
            now,
            public_url,
            sign_in_attempts,
            sign_in_window,
        } => {
            platform::init_logs(*log_json);
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                warnings.print_summary();
                *warnings = Warnings::default();
                let options = platform::ServeOptions {
                    listen,
                    demo: *demo,
                    now: now.as_deref(),
                    public_url: public_url.as_deref(),
                    sign_in_attempts: *sign_in_attempts,
                    sign_in_window_minutes: *sign_in_window,
                };
                platform::serve(store, loaded.clone(), options).await
            });
        }
        Command::Users(command) => {
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                platform::users(&store, state, command).await
            });
        }
        Command::Reminders {
            days,
            queue,
            public_url,
            format,
        } => {
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                platform::reminders(&store, state, *days, *queue, public_url, *format).await
            });
        }
        Command::Rar(RarCommand::Selection {
            fiscal_year,
            format,
        }) => {
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                platform::rar_selection(&store, state, *fiscal_year, *format).await
            });
        }
        Command::Migrate => {
            return platform::runtime()?.block_on(async {
                cli.database.open(state, warnings).await?;
                eprintln!("the database is up to date");
                Ok(())
            });
        }
        Command::Import { year, files } => {
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                platform::import(&store, state, files, *year, warnings).await
            });
        }
        Command::Backup { to } => {
            return platform::runtime()?.block_on(async {
                let store = cli.database.open(state, warnings).await?;
                platform::backup(&store, to).await
            });
        }
        _ => {}
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Designate {
            year,
            rules,
            set,
            format,
            output,
            disagreements,
            inputs,
        } => {
            let xlsx = output
                .as_ref()
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            if xlsx && format != DesignateFormat::Wide {
                bail!("a spreadsheet (.xlsx) is written by --format wide; use it, or name a .csv or .json file");
            }
            let (rules, provenance) =
                rules::accountability_with(state, year, rules.as_deref(), &set)?;
            eprintln!("{provenance}");
            let files = Files::of(state, inputs)?;
            // A list needs each group's index and standing; the JSON
            // carries every group's indicators too.
            let detail = match format {
                DesignateFormat::Json => Detail::Full,
                _ => Detail::Schools(&[]),
            };
            let run = with_bar(|bar| {
                empower_app::designate(state, &rules, &files.inputs(), year, detail, bar)
            })?;
            warnings.extend(run.warnings);
            for n in &run.import.notes {
                eprintln!("note: {n}");
            }
            let dir = if format == DesignateFormat::Wide {
                empower_app::directory_with_bundled(state, &run.import.records)
            } else {
                Default::default()
            };
            skip_freeing((run.import, run.schools));
            let (d, f) = (run.designations, run.fidelity);
            let mut out = output_to(&output, &mut out)?;
            match format {
                DesignateFormat::Csv => output::designations_csv(&d, &mut out)?,
                DesignateFormat::Json => {
                    // Written as it is serialised: a tree of JSON values
                    // for every indicator of every group took most of the
                    // run. Keys in the order of the types' fields.
                    #[derive(serde::Serialize)]
                    struct Run<'a> {
                        rules: &'a empower_app::rules::RulesProvenance,
                        designations: &'a empower_accountability::Designations,
                        fidelity: &'a empower_accountability::Fidelity,
                        warnings: &'a Warnings,
                    }
                    let run = Run {
                        rules: &provenance,
                        designations: &d,
                        fidelity: &f,
                        warnings,
                    };
                    // A buffer of its own: the serialiser writes token by
                    // token, and each write through `dyn Write` is a call.
                    let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut out);
                    serde_json::to_writer_pretty(&mut w, &run)?;
                    writeln!(w)?;
                    w.flush()?;
                }
                DesignateFormat::Table => output::designations_table(&d, &rules, &mut out)?,
                DesignateFormat::Wide => {
                    let table = empower_app::wide::designations_wide(&d, &rules, &dir);
                    match &output {
                        Some(path) if xlsx => {
                            drop(out);
                            std::fs::remove_file(path).ok();
                            output::wide_xlsx(&table, path)?;
                            eprintln!(
                                "wrote {} ({} rows, {} columns)",
                                path.display(),
                                table.rows.len(),
                                table.columns.len()
                            );
                            skip_freeing((d, f, table));
                            return Ok(());
                        }
                        _ => output::wide_csv(&table, &mut out)?,
                    }
                    skip_freeing(table);
                }
            }
            // The fidelity summary goes to stderr for CSV and JSON so that
            // standard output stays a clean file.
            if format == DesignateFormat::Table {
                output::fidelity_report(&f, &d, disagreements, &mut out)?;
            } else if f.overall.compared > 0 || disagreements {
                out.flush()?;
                output::fidelity_report(&f, &d, disagreements, &mut std::io::stderr())?;
            }
            out.flush()?;
            skip_freeing((d, f));
        }
        Command::NearCut {
            year,
            rules,
            set,
            within,
            filter,
            format,
            inputs,
        } => {
            let (rules, provenance) =
                rules::accountability_with(state, year, rules.as_deref(), &set)?;
            eprintln!("{provenance}");
            let files = Files::of(state, inputs)?;
            let run = with_bar(|bar| {
                empower_app::designate(
                    state,
                    &rules,
                    &files.inputs(),
                    year,
                    Detail::Schools(&[]),
                    bar,
                )
            })?;
            warnings.extend(run.warnings);
            for n in &run.import.notes {
                eprintln!("note: {n}");
            }
            let dir = empower_app::directory_with_bundled(state, &run.import.records);
            let near: Vec<empower_accountability::NearCut> =
                empower_accountability::near_cut(&run.designations, within)
                    .into_iter()
                    .filter(|n| {
                        let e = state
                            .catalogue
                            .school_id
                            .parse(&n.rcdts)
                            .ok()
                            .and_then(|id| dir.get(&id).cloned())
                            .unwrap_or_else(|| empower_app::DirectoryEntry {
                                school_name: n.school_name.clone(),
                                ..Default::default()
                            });
                        filter.keeps(&n.rcdts, &e)
                    })
                    .collect();
            match format {
                Format::Json => {
                    write_json(&mut out, warnings, serde_json::json!({ "near_cut": &near }))?
                }
                Format::Csv => output::near_cut_csv(&near, &mut out)?,
                Format::Table => output::near_cut_table(&near, &mut out)?,
            }
            out.flush()?;
            eprintln!(
                "{} index(es) within {within} points of a cut ({} school-bands)",
                near.len(),
                near.iter()
                    .map(|n| (n.rcdts.as_str(), n.band))
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            );
        }
        Command::Compare { a, b, format } => {
            let (ra, rb) = (read_run(&a)?, read_run(&b)?);
            let c = empower_accountability::compare_runs(&ra, &rb);
            match format {
                Format::Json => write_json(&mut out, warnings, serde_json::to_value(&c)?)?,
                Format::Csv => output::moves_csv(&c, &mut out)?,
                Format::Table => output::comparison_table(&c, &mut out)?,
            }
            eprintln!(
                "{} school-band(s) moved, {} unchanged; {}",
                c.moves.len(),
                c.unchanged,
                c.transitions
                    .iter()
                    .map(|t| format!(
                        "{} → {}: {}",
                        if t.from.is_empty() { "none" } else { &t.from },
                        if t.to.is_empty() { "none" } else { &t.to },
                        t.count
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Command::Explain {
            year,
            rules,
            set,
            format,
            rcdts,
            inputs,
        } => {
            let (rules, provenance) =
                rules::accountability_with(state, year, rules.as_deref(), &set)?;
            eprintln!("{provenance}");
            let ids = rcdts
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse_school(state, s))
                .collect::<Result<Vec<_>>>()?;
            let files = Files::of(state, inputs)?;
            let ex = warnings.take(with_bar(|bar| {
                empower_app::explain(state, &rules, &files.inputs(), year, &ids, bar)
            })?);
            match format {
                TextFormat::Json => write_json(
                    &mut out,
                    warnings,
                    serde_json::json!({ "rules": &provenance, "results": &ex }),
                )?,
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
            filter,
            format,
            inputs,
        } => {
            let files = Files::of(state, inputs)?;
            let mut report = warnings.take(with_bar(|bar| {
                empower_app::improved(state, &files.inputs(), from, to, bar)
            })?);
            let schools = report.schools.clone();
            report.improved.retain(|i| {
                filter.keeps(
                    i.rcdts.as_str(),
                    &schools.get(i.rcdts.as_str()).cloned().unwrap_or_default(),
                )
            });
            output::improved(&report, format, warnings, &mut out)?;
        }
        Command::Calibrate {
            year,
            grid,
            rules,
            top,
            inputs,
        } => {
            let files = Files::of(state, inputs)?;
            let run = warnings.take(with_bar(|bar| {
                empower_app::calibrate(
                    state,
                    rules.as_deref(),
                    &grid,
                    &files.inputs(),
                    year,
                    threads(),
                    bar,
                )
            })?);
            output::calibration(&run, top, &mut out)?;
        }
        Command::Status {
            format,
            rules,
            school,
            filter,
            inputs,
        } => {
            let only = school
                .as_deref()
                .map(|s| parse_school(state, s))
                .transpose()?;
            let files = Files::of(state, inputs)?;
            let mut rows = warnings.take(with_bar(|bar| {
                empower_app::status(state, rules.as_deref(), &files.inputs(), only.as_ref(), bar)
            })?);
            rows.retain(|r| filter.keeps(r.rcdts.as_str(), &r.school));
            output::status(&rows, format, warnings, &mut out)?;
        }
        Command::HigherPerforming {
            input,
            format,
            detail,
            regressions,
            school,
            filter,
        } => {
            let (rules, provenance) = input.rules(state)?;
            let source = input.source.source();
            let school = school
                .as_deref()
                .map(|s| parse_school(state, s))
                .transpose()?;
            let empower_app::peers::Modelled { cells, mut report } =
                model(state, &source, &rules, warnings)?;
            if let Some(id) = school {
                peers_cmd::explain_school(&report, &cells.rows, &rules, &id, &mut out)?;
                out.flush()?;
                return Ok(());
            }
            let dir = empower_app::bundled_directory(state);
            report
                .subjects
                .retain(|s| filter.keeps(s.rcdts.as_str(), &entry(&dir, &s.rcdts)));
            match format {
                Format::Csv => peers_cmd::main_csv(&report, &dir, &mut out)?,
                Format::Json => {
                    let mut v = serde_json::to_value(&report)?;
                    v["rules"] = serde_json::to_value(&provenance)?;
                    v["schools"] = serde_json::to_value(peers_cmd::names_of(
                        &dir,
                        report.subjects.iter().map(|s| &s.rcdts),
                    ))?;
                    write_json(&mut out, warnings, v)?
                }
                Format::Table => peers_cmd::table(&report, &dir, &mut out)?,
            }
            if let Some(p) = detail {
                peers_cmd::detail_csv(&report, &cells.rows, &p)?;
            }
            if let Some(p) = regressions {
                peers_cmd::regressions_csv(&report, &p)?;
            }
        }
        Command::Gaps {
            input,
            format,
            rcdts,
        } => {
            let (rules, provenance) = input.rules(state)?;
            let id = parse_school(state, &rcdts)?;
            let m = model(state, &input.source.source(), &rules, warnings)?;
            let dir = empower_app::bundled_directory(state);
            peers_cmd::gaps(
                &m.report,
                &m.cells.rows,
                &rules,
                &dir,
                &id,
                format,
                &provenance,
                warnings,
                &mut out,
            )?;
        }
        Command::Similar {
            input,
            format,
            rcdts,
            filter,
        } => {
            let (rules, provenance) = input.rules(state)?;
            let id = parse_school(state, &rcdts)?;
            let source = input.source.source();
            let m = model(state, &source, &rules, warnings)?;
            let mut list = empower_app::peers::similar(&m.cells.rows, &rules, &id, source.path())?;
            if let Some(w) = empower_peers::sparse_neighbours(&list, &rules.predictors) {
                warnings.extend([empower_ingest::Warning::new(source.path(), None, w)]);
            }
            let dir = empower_app::bundled_directory(state);
            list.retain(|s| filter.keeps(s.rcdts.as_str(), &entry(&dir, &s.rcdts)));
            peers_cmd::similar(
                &m.report,
                &list,
                &rules,
                &dir,
                &id,
                format,
                &provenance,
                warnings,
                &mut out,
            )?;
        }
        Command::Cells {
            rules,
            output,
            students,
            files,
            columns,
        } => {
            let rules = rules::higher_performing(state, rules.as_deref())?;
            let rows = match students {
                Some(path) => {
                    let cells = warnings.take(with_bar(|bar| {
                        empower_app::peers::cells(
                            state,
                            &CellsSource::Students(path),
                            &rules,
                            threads(),
                            bar,
                        )
                    })?);
                    peers_cmd::describe_cells(&cells);
                    cells.rows
                }
                None => {
                    let files = Files::new(state, files, &columns, false)?;
                    let built = warnings.take(with_bar(|bar| {
                        empower_app::peers::cells_from_report_cards(
                            state,
                            &rules,
                            &files.inputs(),
                            bar,
                        )
                    })?);
                    let sources: Vec<String> = built
                        .n_sources
                        .iter()
                        .map(|(m, k)| format!("{m} for {k}"))
                        .collect();
                    eprintln!(
                        "{} cells (performance = {}); n taken from {}",
                        built.rows.len(),
                        built.performance,
                        if sources.is_empty() {
                            "nothing".to_string()
                        } else {
                            sources.join(", ")
                        }
                    );
                    built.rows
                }
            };
            let mut w = output_to(&output, &mut out)?;
            let dir = empower_app::bundled_directory(state);
            empower_ingest::write_cells_csv(
                &rows,
                &rules.predictors,
                &|id| peers_cmd::place(&dir, id),
                &mut w,
            )?;
            w.flush()?;
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
            let files = Files::new(state, school_list, &[], false)?;
            let mut w = output_to(&output, &mut out)?;
            let generated = warnings.take(with_bar(|bar| {
                empower_app::peers::generate_students(
                    state,
                    &files.inputs(),
                    &settings,
                    &mut w,
                    bar,
                )
            })?);
            w.flush()?;
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
        Command::Serve { .. }
        | Command::Users(_)
        | Command::Reminders { .. }
        | Command::Rar(_)
        | Command::Migrate
        | Command::Import { .. }
        | Command::Backup { .. } => unreachable!("answered above"),
        Command::Export {
            year,
            format: ExportFormat::Csv,
            output,
            inputs,
        } => {
            let files = Files::of(state, inputs)?;
            let import =
                with_bar(|bar| empower_app::import(state, &files.inputs(), Some(year), bar))?;
            warnings.extend(import.warnings.iter().cloned());
            for n in &import.notes {
                eprintln!("note: {n}");
            }
            let mut w = output_to(&output, &mut out)?;
            empower_ingest::write_canonical_csv(&import.records, &mut w)?;
            w.flush()?;
            if let Some(path) = &output {
                eprintln!(
                    "wrote {} records to {}",
                    import.records.len(),
                    path.display()
                );
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The cells of a run and the model's report on them, with what was used
/// said on standard error.
fn model(
    state: &State,
    source: &CellsSource,
    rules: &empower_peers::HpRules,
    warnings: &mut Warnings,
) -> Result<empower_app::peers::Modelled> {
    let m = warnings.take(with_bar(|bar| {
        empower_app::peers::model(state, source, rules, threads(), bar)
    })?);
    peers_cmd::describe_cells(&m.cells);
    peers_cmd::describe_coverage(&m.cells.rows, rules);
    peers_cmd::describe_run(&m.report);
    Ok(m)
}
