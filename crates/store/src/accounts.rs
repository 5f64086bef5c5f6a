//! People and what proves who they are: users, roles with scope,
//! sessions, API tokens, single-use links, the mail outbox, failed
//! sign-ins; and the append-only audit log that every change writes in
//! its own transaction (`Write`).
//!
//! Secrets are never stored: sessions, tokens and links are found by the
//! SHA-256 of what their holder presents. Instants are seconds since the
//! epoch (UTC), passed in by the caller: the store reads no clock here.

use crate::{Page, Result, SchoolPage, Store};
use serde::{Deserialize, Serialize};
use sqlx::Any;

/// A record's state as the audit log keeps it (JSON).
pub type Snapshot = serde_json::Value;

/// The snapshot of any serializable value, for `NewAudit`'s before and
/// after.
pub fn snapshot<T: Serialize>(value: &T) -> Snapshot {
    serde_json::to_value(value).unwrap_or(Snapshot::Null)
}

/// A person's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// The argon2id PHC string, `None` until the person sets a password.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_at: i64,
}

/// A role held with its scope (`""` for state-wide and self roles).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoleRow {
    pub role: String,
    pub scope: String,
}

/// A single-use link: an invitation (with the role it grants) or a
/// password reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRow {
    pub kind: String,
    pub email: String,
    pub name: String,
    pub role: Option<String>,
    pub scope: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A mail waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxMail {
    pub id: i64,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

/// One record of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What to find in the audit log; every filter given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Records at or after this instant.
    pub since: Option<i64>,
}

type UserDbRow = (i64, String, String, Option<String>, i64);
type AuditDbRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);
type LinkDbRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
);

fn user(r: UserDbRow) -> UserRow {
    UserRow {
        id: r.0,
        email: r.1,
        name: r.2,
        password_hash: r.3,
        created_at: r.4,
    }
}

fn audit_record(r: AuditDbRow) -> Result<AuditRecord> {
    let json = |s: Option<String>| -> Result<Option<serde_json::Value>> {
        Ok(s.map(|s| serde_json::from_str(&s)).transpose()?)
    };
    Ok(AuditRecord {
        id: r.0,
        at: r.1,
        actor: r.2,
        action: r.3,
        entity: r.4,
        entity_id: r.5,
        before: json(r.6)?,
        after: json(r.7)?,
    })
}

const USER_COLUMNS: &str = "id, email, name, password_hash, created_at";

impl Store {
    /// A write transaction (on SQLite begun `IMMEDIATE`): the change and
    /// its audit records commit together or not at all.
    pub async fn write(&self) -> Result<Write> {
        Ok(Write {
            tx: self.begin_write().await?,
        })
    }

    pub async fn user_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserDbRow> = sqlx::query_as(&sql)
            .bind(email.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(user))
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(user))
    }

    /// Every account, by e-mail address, with its roles.
    pub async fn users(&self) -> Result<Vec<(UserRow, Vec<RoleRow>)>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY email");
        let users: Vec<UserDbRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        let roles: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT user_id, role, scope FROM user_roles ORDER BY role, scope")
                .fetch_all(&self.pool)
                .await?;
        Ok(users
            .into_iter()
            .map(|u| {
                let held = roles
                    .iter()
                    .filter(|r| r.0 == u.0)
                    .map(|r| RoleRow {
                        role: r.1.clone(),
                        scope: r.2.clone(),
                    })
                    .collect();
                (user(u), held)
            })
            .collect())
    }

    pub async fn roles_of(&self, user_id: i64) -> Result<Vec<RoleRow>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT role, scope FROM user_roles WHERE user_id = $1 ORDER BY role, scope",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(role, scope)| RoleRow { role, scope })
            .collect())
    }

    /// The people holding a role scoped to any of `scopes`, with that
    /// role, by role then name.
    pub async fn people_scoped_to(&self, scopes: &[&str]) -> Result<Vec<(UserRow, RoleRow)>> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=scopes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT u.id, u.email, u.name, u.password_hash, u.created_at, r.role, r.scope \
             FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE r.scope IN ({}) ORDER BY r.role, u.name, u.email",
            placeholders.join(", ")
        );
        let mut q =
            sqlx::query_as::<_, (i64, String, String, Option<String>, i64, String, String)>(&sql);
        for s in scopes {
            q = q.bind(s.to_string());
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                (
                    user((r.0, r.1, r.2, r.3, r.4)),
                    RoleRow {
                        role: r.5,
                        scope: r.6,
                    },
                )
            })
            .collect())
    }

    /// The account of a live session and the session's CSRF token.
    pub async fn session_user(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(UserRow, String)>> {
        const SQL: &str =
            "SELECT u.id, u.email, u.name, u.password_hash, u.created_at, s.csrf FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > $2";
        let row: Option<(i64, String, String, Option<String>, i64, String)> = sqlx::query_as(SQL)
            .bind(token_sha256.to_string())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (user((r.0, r.1, r.2, r.3, r.4)), r.5)))
    }

    /// The account of a live API token.
    pub async fn token_user(&self, token_sha256: &str, now: i64) -> Result<Option<UserRow>> {
        let row: Option<UserDbRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, u.password_hash, u.created_at FROM api_tokens t \
             JOIN users u ON u.id = t.user_id \
             WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
        )
        .bind(token_sha256.to_string())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(user))
    }

    pub async fn link(&self, token_sha256: &str) -> Result<Option<LinkRow>> {
        let row: Option<LinkDbRow> = sqlx::query_as(
            "SELECT kind, email, name, role, scope, created_by, created_at, expires_at, used_at \
             FROM links WHERE token_sha256 = $1",
        )
        .bind(token_sha256.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(link))
    }

    /// Invitations not used yet, newest first.
    pub async fn open_invitations(&self, now: i64) -> Result<Vec<LinkRow>> {
        let rows: Vec<LinkDbRow> = sqlx::query_as(
            "SELECT kind, email, name, role, scope, created_by, created_at, expires_at, used_at \
             FROM links WHERE kind = 'invitation' AND used_at IS NULL AND expires_at > $1 \
             ORDER BY created_at DESC, email",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(link).collect())
    }

    /// Failed sign-ins for `email` and from `address` at or after `since`.
    pub async fn sign_in_failures(
        &self,
        email: &str,
        address: &str,
        since: i64,
    ) -> Result<(Vec<i64>, u64)> {
        let for_account: Vec<i64> = sqlx::query_scalar(
            "SELECT at FROM sign_in_failures WHERE email = $1 AND at >= $2 ORDER BY at",
        )
        .bind(email.to_string())
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let from_address: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE address = $1 AND at >= $2",
        )
        .bind(address.to_string())
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((for_account, from_address as u64))
    }

    /// Mail not sent yet, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxMail>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, to_email, subject, body, created_at FROM outbox WHERE sent_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, to_email, subject, body, created_at)| OutboxMail {
                id,
                to_email,
                subject,
                body,
                created_at,
            })
            .collect())
    }

    /// The audit records matching `filter`, newest first.
    pub async fn audit(&self, filter: &AuditFilter, page: SchoolPage) -> Result<Page<AuditRecord>> {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut binds: Vec<AuditBind> = Vec::new();
        for (column, value) in [
            ("entity", &filter.entity),
            ("entity_id", &filter.entity_id),
            ("actor", &filter.actor),
            ("action", &filter.action),
        ] {
            if let Some(v) = value {
                binds.push(AuditBind::Text(v.clone()));
                clauses.push(format!("{column} = ${}", binds.len()));
            }
        }
        if let Some(since) = filter.since {
            binds.push(AuditBind::Int(since));
            clauses.push(format!("at >= ${}", binds.len()));
        }
        let filter_sql = clauses.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {filter_sql}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            count = match b {
                AuditBind::Text(s) => count.bind(s.clone()),
                AuditBind::Int(i) => count.bind(*i),
            };
        }
        let total = count.fetch_one(&self.pool).await?;
        let list_sql = format!(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log \
             WHERE {filter_sql} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let mut list = sqlx::query_as::<_, AuditDbRow>(&list_sql);
        for b in &binds {
            list = match b {
                AuditBind::Text(s) => list.bind(s.clone()),
                AuditBind::Int(i) => list.bind(*i),
            };
        }
        let rows = list
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows.into_iter().map(audit_record).collect::<Result<_>>()?,
            total: total as u64,
            page: page.page,
            per_page: page.per_page,
        })
    }
}

enum AuditBind {
    Text(String),
    Int(i64),
}

fn link(r: LinkDbRow) -> LinkRow {
    LinkRow {
        kind: r.0,
        email: r.1,
        name: r.2,
        role: r.3,
        scope: r.4,
        created_by: r.5,
        created_at: r.6,
        expires_at: r.7,
        used_at: r.8,
    }
}

/// A change in progress: every write of one use case and its audit
/// records, committed together. Dropped without `commit`, nothing
/// happened.
pub struct Write {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
}

/// A record for the audit log: who, when, what, which record, before and
/// after.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAudit {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Write {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn audit(&mut self, record: &NewAudit) -> Result<i64> {
        let text = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(record.at)
        .bind(record.actor.clone())
        .bind(record.action.clone())
        .bind(record.entity.clone())
        .bind(record.entity_id.clone())
        .bind(text(&record.before))
        .bind(text(&record.after))
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(id)
    }

    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserDbRow> = sqlx::query_as(&sql)
            .bind(email.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(user))
    }

    pub async fn insert_user(
        &mut self,
        email: &str,
        name: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<UserRow> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email.to_string())
        .bind(name.to_string())
        .bind(password_hash.map(str::to_string))
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(UserRow {
            id,
            email: email.to_string(),
            name: name.to_string(),
            password_hash: password_hash.map(str::to_string),
            created_at: now,
        })
    }

    pub async fn set_password(&mut self, user_id: i64, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_string())
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn roles_of(&mut self, user_id: i64) -> Result<Vec<RoleRow>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT role, scope FROM user_roles WHERE user_id = $1 ORDER BY role, scope",
        )
        .bind(user_id)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(role, scope)| RoleRow { role, scope })
            .collect())
    }

    /// Grants a role; `false` when the user holds it already.
    pub async fn add_role(&mut self, user_id: i64, role: &RoleRow, now: i64) -> Result<bool> {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_roles WHERE user_id = $1 AND role = $2 AND scope = $3",
        )
        .bind(user_id)
        .bind(role.role.clone())
        .bind(role.scope.clone())
        .fetch_one(&mut *self.tx)
        .await?;
        if held > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope, granted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(role.role.clone())
        .bind(role.scope.clone())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(true)
    }

    /// Takes a role away; `false` when the user did not hold it.
    pub async fn remove_role(&mut self, user_id: i64, role: &RoleRow) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2 AND scope = $3")
                .bind(user_id)
                .bind(role.role.clone())
                .bind(role.scope.clone())
                .execute(&mut *self.tx)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_session(
        &mut self,
        token_sha256: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256.to_string())
        .bind(user_id)
        .bind(csrf.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Ends one session; `false` when it was not live.
    pub async fn revoke_session(&mut self, token_sha256: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_sha256 = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_sha256.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every session and API token of a user (password changed or
    /// reset), but the session given (the one that changed it).
    pub async fn revoke_all_of(
        &mut self,
        user_id: i64,
        keep_session: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND token_sha256 <> $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(keep_session.unwrap_or("").to_string())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_token(
        &mut self,
        token_sha256: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (token_sha256, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_sha256.to_string())
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn insert_link(&mut self, token_sha256: &str, link: &LinkRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO links (token_sha256, kind, email, name, role, scope, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token_sha256.to_string())
        .bind(link.kind.clone())
        .bind(link.email.clone())
        .bind(link.name.clone())
        .bind(link.role.clone())
        .bind(link.scope.clone())
        .bind(link.created_by)
        .bind(link.created_at)
        .bind(link.expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks a link used, once: `false` when it was used already (a
    /// second request racing the first loses here).
    pub async fn use_link(&mut self, token_sha256: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE links SET used_at = $1 WHERE token_sha256 = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(token_sha256.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn queue_mail(
        &mut self,
        to: &str,
        subject: &str,
        body: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (to_email, subject, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(to.to_string())
        .bind(subject.to_string())
        .bind(body.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a failed sign-in and forgets those older than
    /// `forget_before`, which no limit looks at any more.
    pub async fn record_sign_in_failure(
        &mut self,
        email: &str,
        address: &str,
        at: i64,
        forget_before: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(forget_before)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (email, address, at) VALUES ($1, $2, $3)")
            .bind(email.to_string())
            .bind(address.to_string())
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A successful sign-in forgets the account's failures.
    pub async fn clear_sign_in_failures(&mut self, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
            .bind(email.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
