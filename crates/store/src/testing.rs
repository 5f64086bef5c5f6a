//! Databases for tests, of this crate and of those above it: a fresh
//! SQLite file, or a fresh PostgreSQL database on the server at
//! `postgres://root@127.0.0.1:5432/test` (or `EMPOWER_TEST_POSTGRES_URL`).
//! With `EMPOWER_TEST_POSTGRES=required` (CI) an unreachable server is a
//! failure, never a skip.

use crate::Store;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn admin_url() -> String {
    std::env::var("EMPOWER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

fn unique(tag: &str) -> String {
    format!(
        "empower_test_{tag}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A migrated database of a test; `finish` drops a PostgreSQL one.
pub struct TestDatabase {
    pub store: Store,
    postgres: Option<String>,
}

impl TestDatabase {
    /// A fresh, migrated SQLite database in a temporary folder.
    pub async fn sqlite(tag: &str) -> TestDatabase {
        let dir = std::env::temp_dir().join(unique(tag));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let store = Store::open(&format!("sqlite:{}", dir.join("empower.db").display()))
            .await
            .expect("SQLite opens");
        store.migrate().await.expect("SQLite migrates");
        TestDatabase {
            store,
            postgres: None,
        }
    }

    /// A fresh, migrated PostgreSQL database, or `None` when the server
    /// does not answer and the suite does not require it.
    pub async fn postgres(tag: &str) -> Option<TestDatabase> {
        let required = std::env::var("EMPOWER_TEST_POSTGRES").as_deref() == Ok("required");
        let admin = match Store::open(&admin_url()).await {
            Ok(s) => s,
            Err(e) if !required => {
                eprintln!("PostgreSQL not reachable ({e}): its half skipped (EMPOWER_TEST_POSTGRES=required makes this a failure)");
                return None;
            }
            Err(e) => panic!(
                "PostgreSQL is required (EMPOWER_TEST_POSTGRES=required) and does not answer: {e}"
            ),
        };
        let db = unique(tag);
        admin
            .execute_admin(&format!("CREATE DATABASE {db}"))
            .await
            .expect("a test database is created");
        admin.close().await;
        let base = admin_url();
        let url = format!("{}/{db}", &base[..base.rfind('/').expect("a database URL")]);
        let store = Store::open(&url).await.expect("the test database opens");
        store.migrate().await.expect("PostgreSQL migrates");
        Some(TestDatabase {
            store,
            postgres: Some(db),
        })
    }

    /// SQLite, and PostgreSQL when available: the same test on each.
    pub async fn each(tag: &str) -> Vec<TestDatabase> {
        let mut v = vec![TestDatabase::sqlite(tag).await];
        v.extend(TestDatabase::postgres(tag).await);
        v
    }

    /// Closes the store and drops a PostgreSQL database.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(db) = self.postgres {
            let admin = Store::open(&admin_url()).await.expect("the server answers");
            admin
                .execute_admin(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await
                .expect("the test database is dropped");
            admin.close().await;
        }
    }
}
