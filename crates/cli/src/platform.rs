//! The platform commands: `serve`, `migrate`, `import`, `backup`,
//! `users`. Each
//! opens the database (an SQLite file in the data folder, or
//! `--database-url`), migrates it and loads the state's bundled extract
//! when it is empty, so a newcomer sees real schools with no other step.

use crate::warnings::Warnings;
use anyhow::{Context, Result};
use empower_app::accounts::{self, AccountSettings};
use empower_app::clock::Clock;
use empower_app::improvement;
use empower_states::State;
use empower_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the database is.
#[derive(clap::Args, Clone, Debug)]
pub struct Database {
    /// Folder of the embedded SQLite database (created when missing).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "EMPOWER_DATA_DIR",
        default_value = "./empower-data"
    )]
    pub data_dir: PathBuf,
    /// A PostgreSQL database instead (postgres://USER@HOST/DATABASE).
    #[arg(long, global = true, value_name = "URL", env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl Database {
    fn url(&self) -> Result<String> {
        if let Some(u) = &self.database_url {
            return Ok(u.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        Ok(format!(
            "sqlite:{}",
            self.data_dir.join("empower.db").display()
        ))
    }

    /// Opens and migrates the database; loads the extract when empty.
    pub async fn open(&self, state: &State, warnings: &mut Warnings) -> Result<Store> {
        let url = self.url()?;
        let store = Store::open(&url)
            .await
            .with_context(|| format!("cannot open the database {}", shown_url(&url)))?;
        store.migrate().await?;
        let bar = crate::progress::DelayedBar::new();
        let loaded =
            empower_app::publish::publish_extract_if_empty(state, &store, crate::threads(), &bar)
                .await;
        bar.done();
        if let Some(l) = loaded? {
            let p = warnings.take(l);
            eprintln!(
                "loaded the bundled extract of {}: {}",
                state.manifest.name, p.summary
            );
        }
        Ok(store)
    }
}

/// A database URL without its password.
fn shown_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(a), Some(b)) if b > a => {
            let creds = &url[a + 3..b];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..a + 3], &creds[..c], &url[b..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Structured logs on standard error (JSON with `--log-format json`),
/// filtered by `RUST_LOG` (default: info).
pub fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// How `empower serve` was asked to run.
pub struct ServeOptions<'a> {
    pub listen: &'a str,
    pub demo: bool,
    pub now: Option<&'a str>,
    pub public_url: Option<&'a str>,
    pub sign_in_attempts: u32,
    pub sign_in_window_minutes: u32,
}

pub async fn serve(store: Store, state: State, options: ServeOptions<'_>) -> Result<()> {
    let clock = match options.now {
        Some(now) => Clock::starting_at(now)?,
        None => Clock::system(),
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let addr = listener.local_addr()?;
    let settings = AccountSettings {
        public_url: options
            .public_url
            .map(str::to_string)
            .unwrap_or_else(|| format!("http://{addr}")),
        attempts_per_account: options.sign_in_attempts.max(1),
        attempt_window_secs: i64::from(options.sign_in_window_minutes.max(1)) * 60,
        ..AccountSettings::default()
    };
    if options.demo {
        let made = accounts::demo_users(&state, &store, &settings, clock.now()).await?;
        let mut out = std::io::stdout().lock();
        for u in &made {
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                u.role.as_str(),
                u.email,
                u.password,
                u.scope.clone().unwrap_or_default()
            )?;
        }
        out.flush()?;
        // Each program's demonstration records.
        let admin = made
            .iter()
            .find(|u| u.role == accounts::Role::StateAdmin)
            .context("the demo has no state administrator")?;
        let admin = accounts::sign_in(
            &store,
            &settings,
            &admin.email,
            &admin.password,
            "demo",
            clock.now(),
        )
        .await?
        .actor;
        empower_app::partners::demo_round(&state, &store, &admin, clock.now()).await?;
        let coordinator = made
            .iter()
            .find(|u| u.role == accounts::Role::StateCoordinator)
            .context("the demo has no state coordinator")?;
        if let Some(school) = empower_app::improvement::demo_records(
            &state,
            &store,
            &admin,
            &coordinator.email,
            clock.now(),
        )
        .await?
        {
            tracing::info!(%school, coordinator = %coordinator.email, "demo: a Comprehensive school with its support manager");
        }
        let program_admin = made
            .iter()
            .find(|u| u.role == accounts::Role::ProgramAdmin)
            .context("the demo has no program administrator")?;
        let program_admin = accounts::sign_in(
            &store,
            &settings,
            &program_admin.email,
            &program_admin.password,
            "demo",
            clock.now(),
        )
        .await?
        .actor;
        if let Some(fy) =
            empower_app::tep::demo_year(&state, &store, &program_admin, clock.now()).await?
        {
            tracing::info!(
                fiscal_year = fy,
                "demo: the Teaching Excellence Program's year is open"
            );
        }
    }
    tracing::info!(%addr, backend = ?store.backend(), "serving");
    eprintln!("empower is serving on http://{addr} (ctrl-c stops it)");
    let app = empower_web::AppState::new(store, state).with_accounts(settings, clock);
    empower_web::serve(app, listener).await?;
    Ok(())
}

/// `empower users add` and `empower users token`.
pub async fn users(store: &Store, state: &State, command: &crate::UsersCommand) -> Result<()> {
    let now = Clock::system().now();
    let settings = AccountSettings::default();
    match command {
        crate::UsersCommand::Add {
            email,
            name,
            role,
            scope,
            password_stdin,
        } => {
            let role = accounts::Role::parse(role)?;
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                anyhow::ensure!(!line.is_empty(), "standard input held no password");
                Some(line)
            } else {
                None
            };
            let added = accounts::add_user(
                state,
                store,
                &settings,
                accounts::By::CommandLine,
                email,
                name,
                role,
                scope.as_deref(),
                password.as_deref(),
                now,
            )
            .await?;
            let what = match (added.created, added.role_added) {
                (true, _) => "created",
                (false, true) => "added the role to",
                (false, false) => "already holds the role:",
            };
            eprintln!(
                "{what} {} ({}{})",
                added.user.email,
                role.as_str(),
                scope
                    .as_deref()
                    .map(|s| format!(" for {s}"))
                    .unwrap_or_default()
            );
            if password.is_none() && added.user.password_hash.is_none() {
                eprintln!("{} has no password yet: an administrator can issue a reset link from the user's page", added.user.email);
            }
        }
        crate::UsersCommand::Token { email } => {
            let token = accounts::token_for(store, &settings, email, now).await?;
            println!("{}", token.token);
        }
    }
    Ok(())
}

/// `empower reminders`: lists what is due soon, and with `queue` writes
/// the reminder mail to the outbox (as the operator).
/// `empower rar selection`.
pub async fn rar_selection(
    store: &Store,
    state: &State,
    fiscal_year: i16,
    format: crate::Format,
) -> Result<()> {
    let view = empower_app::rar::selection_for_operator(state, store, fiscal_year).await?;
    let mut out = std::io::stdout().lock();
    if format == crate::Format::Json {
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
    } else {
        let mut w = csv::WriterBuilder::new()
            .delimiter(if format == crate::Format::Csv {
                b','
            } else {
                b'\t'
            })
            .from_writer(&mut out);
        w.write_record(empower_app::rar::SELECTION_COLUMNS)?;
        for r in empower_app::rar::selection_rows(&view) {
            w.write_record(r)?;
        }
        w.flush()?;
    }
    eprintln!(
        "fiscal year {} (the {} report card): {} of {} districts selected by the rule, {} after the state's changes",
        view.fiscal_year,
        view.report_card_year,
        view.selected_by_rule,
        view.rows.len(),
        view.selected
    );
    Ok(())
}

pub async fn reminders(
    store: &Store,
    state: &State,
    days: Option<i64>,
    queue: bool,
    public_url: &str,
    format: crate::Format,
) -> Result<()> {
    let now = Clock::system().now();
    let cache = empower_app::public::DirectoryCache::default();
    let list = improvement::reminders_for_operator(state, &cache, store, days, now).await?;
    let mut out = std::io::stdout().lock();
    if format == crate::Format::Json {
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        let mut w = csv::WriterBuilder::new()
            .delimiter(if format == crate::Format::Csv {
                b','
            } else {
                b'\t'
            })
            .from_writer(&mut out);
        w.write_record([
            "rcdts", "name", "district", "item", "due", "standing", "reminds",
        ])?;
        for r in &list.items {
            w.write_record([
                r.rcdts.as_str(),
                &r.name,
                &r.district_name,
                &r.item,
                &r.due.to_string(),
                &r.timeliness.words(),
                &r.recipients.join(" "),
            ])?;
        }
        w.flush()?;
    }
    eprintln!(
        "{} item(s) due within {} days of {} or overdue",
        list.items.len(),
        list.within_days,
        list.today
    );
    if queue {
        let q = improvement::queue_reminders(
            state,
            &cache,
            store,
            accounts::By::CommandLine,
            days,
            public_url,
            now,
        )
        .await?;
        eprintln!(
            "queued {} reminder e-mail(s) to the outbox; {} skipped (reminded within the last {} days); {} item(s) without a school leader on the platform",
            q.queued, q.recent, list.repeat_days, q.without_recipient
        );
    }
    Ok(())
}

pub async fn import(
    store: &Store,
    state: &State,
    files: &[PathBuf],
    year: Option<u16>,
    warnings: &mut Warnings,
) -> Result<()> {
    let sources = empower_app::publish::read_sources(files, year)?;
    let bar = crate::progress::DelayedBar::new();
    let run = empower_app::publish::publish(state, store, sources, crate::threads(), &bar).await;
    bar.done();
    let p = warnings.take(run?);
    eprintln!(
        "{}: {}",
        if p.changed { "published" } else { "unchanged" },
        p.summary
    );
    if p.changed {
        // Approved partners whose designation dropped go to the state's
        // review queue (partners.md), never silently kept or dropped.
        let cache = empower_app::public::DirectoryCache::default();
        let flagged = empower_app::partners::flag_dropped_partners(
            state,
            &cache,
            store,
            Clock::system().now(),
        )
        .await?;
        if !flagged.is_empty() {
            eprintln!(
                "{} approved partner(s) flagged for review: their designation of record is no longer eligible",
                flagged.len()
            );
        }
    }
    Ok(())
}

pub async fn backup(store: &Store, to: &Path) -> Result<()> {
    store.backup(to).await?;
    eprintln!("copied the database to {}", to.display());
    Ok(())
}
