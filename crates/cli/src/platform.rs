//! The platform commands: `serve`, `migrate`, `import`, `backup`. Each
//! opens the database (an SQLite file in the data folder, or
//! `--database-url`), migrates it and loads the state's bundled extract
//! when it is empty, so a newcomer sees real schools with no other step.

use crate::warnings::Warnings;
use anyhow::{Context, Result};
use empower_states::State;
use empower_store::Store;
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

pub async fn serve(store: Store, state: State, listen: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?store.backend(), "serving");
    eprintln!("empower is serving on http://{addr} (ctrl-c stops it)");
    empower_web::serve(empower_web::AppState::new(store, state), listener).await?;
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
    Ok(())
}

pub async fn backup(store: &Store, to: &Path) -> Result<()> {
    store.backup(to).await?;
    eprintln!("copied the database to {}", to.display());
    Ok(())
}
