//! The database of empower: one schema on SQLite (the embedded default)
//! or PostgreSQL, migrated by the binary itself, and repositories that
//! speak domain types. Queries are checked at run time (sqlx's `Any`
//! driver), so building needs no database.
//!
//! What is stored: the report-card files imported (`sources`, kept whole)
//! and what was published from all of them (`Publication`): schools,
//! districts, designations (computed per band, official per school, the
//! designation of record marked), explanations, support status. A
//! publication replaces the previous one in one transaction.

mod accounts;
mod improvement;
mod partners;
mod published;
mod rar;
mod read;
mod tep;
pub mod testing;

pub use accounts::*;
pub use improvement::*;
pub use partners::*;
pub use published::*;
pub use rar::*;
pub use read::{DesignationRef, Page, SchoolListItem, SchoolPage};
pub use tep::*;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a stored document does not read back: {0}")]
    Document(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool to the database and the dialect it speaks.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens `url`: `sqlite:PATH` (created when missing) or
    /// `postgres://...`. SQLite runs in WAL mode with `synchronous=NORMAL`
    /// and a busy timeout, so readers never wait for the one writer and a
    /// burst of writers queues (for up to 30 s) rather than fails.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Invalid(format!(
                "`{url}` is not a database URL: give sqlite:PATH or postgres://USER@HOST/DATABASE"
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations the database lacks.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Runs one statement outside a transaction (tests create and drop
    /// their databases with it).
    pub async fn execute_admin(&self, sql: &str) -> Result<()> {
        sqlx::query(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// The PostgreSQL database connected to (`None` on SQLite).
    pub async fn database_name(&self) -> Option<String> {
        if self.backend != Backend::Postgres {
            return None;
        }
        sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&self.pool)
            .await
            .ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite, so that a
    /// transaction that reads before it writes never fails to upgrade.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Copies an SQLite database to `path` (a consistent snapshot while
    /// the server runs). PostgreSQL has its own tools (`pg_dump`).
    pub async fn backup(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid(
                "empower backup copies an SQLite database; back PostgreSQL up with pg_dump".into(),
            ));
        }
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists already; give a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup path is not UTF-8".into()))?;
        let mut conn = self.pool.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
