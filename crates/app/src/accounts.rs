//! Accounts: who people are and what they hold. Passwords (argon2id),
//! sessions, API tokens, invitations, password resets, educator
//! self-registration, roles with scope, the audit log. Every change
//! writes its audit record in its own transaction; every action asks
//! [`crate::policy`] first.
//!
//! Instants are seconds since the epoch, passed in by the caller (the
//! server's clock, or a fixed one in tests and demonstrations).

use crate::{policy, AppError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use empower_states::State;
use empower_store::{
    snapshot, AuditFilter, AuditRecord, LinkRow, NewAudit, Page, RoleRow, SchoolPage, Snapshot,
    Store, UserRow, Write,
};
use serde::Serialize;

/// The roles of platform.md's table, by the names api.md fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    StateAdmin,
    StateCoordinator,
    DistrictLeader,
    SchoolLeader,
    PartnerContact,
    Educator,
    Employer,
    ProgramAdmin,
}

/// What a role's scope names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// State-wide, the program, or oneself: no scope.
    None,
    District,
    School,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::StateAdmin,
        Role::StateCoordinator,
        Role::DistrictLeader,
        Role::SchoolLeader,
        Role::PartnerContact,
        Role::Educator,
        Role::Employer,
        Role::ProgramAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::StateAdmin => "state-admin",
            Role::StateCoordinator => "state-coordinator",
            Role::DistrictLeader => "district-leader",
            Role::SchoolLeader => "school-leader",
            Role::PartnerContact => "partner-contact",
            Role::Educator => "educator",
            Role::Employer => "employer",
            Role::ProgramAdmin => "program-admin",
        }
    }

    /// How pages name the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::StateAdmin => "State administrator",
            Role::StateCoordinator => "State coordinator",
            Role::DistrictLeader => "District leader",
            Role::SchoolLeader => "School leader",
            Role::PartnerContact => "Partner contact",
            Role::Educator => "Educator",
            Role::Employer => "Employer",
            Role::ProgramAdmin => "Program administrator",
        }
    }

    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::DistrictLeader | Role::Employer => ScopeKind::District,
            Role::SchoolLeader | Role::PartnerContact => ScopeKind::School,
            _ => ScopeKind::None,
        }
    }

    pub fn parse(s: &str) -> Result<Role, AppError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| AppError::Invalid {
                field: "role".into(),
                message: format!(
                    "`{s}` is not a role: one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                ),
            })
    }
}

/// A role held, with its scope (a district or school id) where the role
/// has one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Option<String>,
}

/// The person making a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn holds(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn holds_for(&self, role: Role, scope: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.scope.as_deref() == Some(scope))
    }
}

/// The cost of argon2id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Lifetimes, limits and where links point. The defaults suit a real
/// server; tests make argon2 cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSettings {
    pub argon2: Argon2Cost,
    pub session_secs: i64,
    pub token_secs: i64,
    pub invitation_secs: i64,
    pub reset_secs: i64,
    /// Failed sign-ins allowed per account within the window.
    pub attempts_per_account: u32,
    /// Failed sign-ins allowed from one address within the window (loose).
    pub attempts_per_address: u32,
    pub attempt_window_secs: i64,
    /// The address people reach the server at, for links in mail.
    pub public_url: String,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            // OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
            argon2: Argon2Cost {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
            },
            session_secs: 12 * 3600,
            token_secs: 90 * 86_400,
            invitation_secs: 7 * 86_400,
            reset_secs: 3600,
            attempts_per_account: 5,
            attempts_per_address: 50,
            attempt_window_secs: 15 * 60,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

impl AccountSettings {
    /// Cheap argon2 for tests (the hash is still argon2id).
    pub fn for_tests() -> Self {
        AccountSettings {
            argon2: Argon2Cost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..Default::default()
        }
    }

    fn hasher(&self) -> Result<argon2::Argon2<'static>, AppError> {
        let c = self.argon2;
        let params = argon2::Params::new(c.memory_kib, c.iterations, c.parallelism, None)
            .map_err(|e| AppError::Refused(format!("argon2 settings: {e}")))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    pub fn hash_password(&self, password: &str) -> Result<String, AppError> {
        let salt = SaltString::encode_b64(&random_bytes::<16>())
            .map_err(|e| AppError::Refused(format!("password salt: {e}")))?;
        Ok(self
            .hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| AppError::Refused(format!("hashing the password: {e}")))?
            .to_string())
    }
}

/// Whether `password` is the one `hash` was made from (the cost is read
/// from the hash itself).
fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the operating system's random source");
    b
}

/// A new secret for a session, token or link: 256 random bits,
/// URL-safe.
fn secret(prefix: &str) -> String {
    use base64::Engine;
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

/// What the database keeps of a secret.
pub fn fingerprint(secret: &str) -> String {
    crate::publish::sha256_hex(secret.as_bytes())
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An e-mail address, trimmed and in lower case.
pub fn email(raw: &str) -> Result<String, AppError> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(invalid(
            "email",
            format!("`{}` is not an e-mail address", raw.trim()),
        ))
    }
}

fn name(raw: &str) -> Result<String, AppError> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        Err(invalid("name", "give a name of 1 to 200 characters"))
    } else {
        Ok(n.to_string())
    }
}

/// At least 10 characters, at most 256, not the e-mail address.
pub fn check_password(password: &str, email: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(invalid("password", "use at least 10 characters"));
    }
    if n > 256 {
        return Err(invalid("password", "use at most 256 characters"));
    }
    if password.trim().eq_ignore_ascii_case(email) {
        return Err(invalid(
            "password",
            "the password cannot be the e-mail address",
        ));
    }
    Ok(())
}

/// A role's scope, checked: the id of a published district or school of
/// the right level for scoped roles, none for the others.
pub async fn scope_for(
    state: &State,
    store: &Store,
    role: Role,
    scope: Option<&str>,
) -> Result<Option<String>, AppError> {
    let scope = scope.map(str::trim).filter(|s| !s.is_empty());
    let kind = role.scope_kind();
    let Some(raw) = scope else {
        return match kind {
            ScopeKind::None => Ok(None),
            ScopeKind::District => Err(invalid(
                "scope",
                format!("a {} needs the district's id as scope", role.as_str()),
            )),
            ScopeKind::School => Err(invalid(
                "scope",
                format!("a {} needs the school's id as scope", role.as_str()),
            )),
        };
    };
    let id = state
        .catalogue
        .school_id
        .parse(raw)
        .map_err(|e| invalid("scope", e.to_string()))?
        .to_string();
    match kind {
        ScopeKind::None => Err(invalid(
            "scope",
            format!("a {} has no scope; leave it out", role.as_str()),
        )),
        ScopeKind::District => match store.district(&id).await? {
            Some(_) => Ok(Some(id)),
            None => Err(invalid("scope", format!("{id} is not a district"))),
        },
        ScopeKind::School => match store.school_place(&id).await? {
            Some(_) => Ok(Some(id)),
            None => Err(invalid("scope", format!("{id} is not a school"))),
        },
    }
}

fn grants(rows: Vec<RoleRow>) -> Vec<Grant> {
    rows.into_iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::parse(&r.role).ok()?,
                scope: (!r.scope.is_empty()).then_some(r.scope),
            })
        })
        .collect()
}

fn role_row(role: Role, scope: &Option<String>) -> RoleRow {
    RoleRow {
        role: role.as_str().to_string(),
        scope: scope.clone().unwrap_or_default(),
    }
}

/// How the audit log shows an account: never its password.
#[derive(Serialize)]
struct UserSnapshot<'a> {
    email: &'a str,
    name: &'a str,
    has_password: bool,
    /// `role` or `role:scope`.
    roles: Vec<String>,
}

fn user_json(u: &UserRow, roles: &[RoleRow]) -> Snapshot {
    snapshot(&UserSnapshot {
        email: &u.email,
        name: &u.name,
        has_password: u.password_hash.is_some(),
        roles: roles
            .iter()
            .map(|r| {
                if r.scope.is_empty() {
                    r.role.clone()
                } else {
                    format!("{}:{}", r.role, r.scope)
                }
            })
            .collect(),
    })
}

/// Who did it, as the audit log names them.
pub enum By<'a> {
    /// Someone signed in (or holding a token).
    Actor(&'a Actor),
    /// The operator at the command line (`empower users ...`).
    CommandLine,
    /// The person the change is about, not signed in (a reset or
    /// invitation link, self-registration).
    Themselves(&'a str),
}

impl By<'_> {
    fn label(&self) -> String {
        match self {
            By::Actor(a) => a.email.clone(),
            By::CommandLine => "command line".into(),
            By::Themselves(email) => email.to_string(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit(
    tx: &mut Write,
    by: &By<'_>,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<Snapshot>,
    after: Option<Snapshot>,
    now: i64,
) -> Result<(), AppError> {
    tx.audit(&NewAudit {
        at: now,
        actor: by.label(),
        action: action.into(),
        entity: entity.into(),
        entity_id: entity_id.to_string(),
        before,
        after,
    })
    .await?;
    Ok(())
}

/// The account and the role granted by `add_user`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub user: UserRow,
    pub created: bool,
    pub role_added: bool,
}

/// Creates an account or adds a role to an existing one
/// (`empower users add`; an administrator's grant). With a password, the
/// account's password is set (replaced on an existing account).
#[allow(clippy::too_many_arguments)]
pub async fn add_user(
    state: &State,
    store: &Store,
    settings: &AccountSettings,
    by: By<'_>,
    email_raw: &str,
    name_raw: &str,
    role: Role,
    scope: Option<&str>,
    password: Option<&str>,
    now: i64,
) -> Result<Added, AppError> {
    if let By::Actor(a) = &by {
        policy::manage_users(Some(a))?;
    }
    let email = email(email_raw)?;
    let scope = scope_for(state, store, role, scope).await?;
    let hash = match password {
        Some(p) => {
            check_password(p, &email)?;
            Some(settings.hash_password(p)?)
        }
        None => None,
    };
    let mut tx = store.write().await?;
    let (user, created, before) = match tx.user_by_email(&email).await? {
        Some(u) => {
            let roles = tx.roles_of(u.id).await?;
            let before = user_json(&u, &roles);
            (u, false, Some(before))
        }
        None => {
            let u = tx
                .insert_user(&email, &name(name_raw)?, hash.as_deref(), now)
                .await?;
            (u, true, None)
        }
    };
    let role_added = tx.add_role(user.id, &role_row(role, &scope), now).await?;
    if let (false, Some(h)) = (created, &hash) {
        tx.set_password(user.id, h).await?;
    }
    let user = UserRow {
        password_hash: hash.clone().or(user.password_hash),
        ..user
    };
    let after = user_json(&user, &tx.roles_of(user.id).await?);
    if created || role_added || hash.is_some() {
        let action = if created {
            "user.create"
        } else {
            "user.update"
        };
        audit(
            &mut tx,
            &by,
            action,
            "user",
            user.id,
            before,
            Some(after),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Added {
        user,
        created,
        role_added,
    })
}

/// Takes a role away (state administrators).
pub async fn remove_role(
    store: &Store,
    actor: Option<&Actor>,
    user_id: i64,
    role: Role,
    scope: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    policy::manage_users(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let user = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user {user_id}")))?;
    let row = RoleRow {
        role: role.as_str().to_string(),
        scope: scope.unwrap_or("").trim().to_string(),
    };
    let mut tx = store.write().await?;
    let before = user_json(&user, &tx.roles_of(user.id).await?);
    if !tx.remove_role(user.id, &row).await? {
        return Err(AppError::Conflict(format!(
            "{} does not hold {}",
            user.email, row.role
        )));
    }
    let after = user_json(&user, &tx.roles_of(user.id).await?);
    audit(
        &mut tx,
        &By::Actor(actor),
        "user.remove-role",
        "user",
        user.id,
        Some(before),
        Some(after),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who the caller is (`GET /api/v1/me`, the account page).
pub fn me(actor: Option<&Actor>) -> Result<&Actor, AppError> {
    policy::own_account(actor)?;
    actor.ok_or(AppError::SignInRequired)
}

/// The person behind a live session, and the session's CSRF token.
pub async fn session_actor(
    store: &Store,
    session: &str,
    now: i64,
) -> Result<Option<(Actor, String)>, AppError> {
    let Some((user, csrf)) = store.session_user(&fingerprint(session), now).await? else {
        return Ok(None);
    };
    Ok(Some((actor_of(store, user).await?, csrf)))
}

/// The person behind a live API token.
pub async fn token_actor(store: &Store, token: &str, now: i64) -> Result<Option<Actor>, AppError> {
    match store.token_user(&fingerprint(token), now).await? {
        Some(user) => Ok(Some(actor_of(store, user).await?)),
        None => Ok(None),
    }
}

async fn actor_of(store: &Store, user: UserRow) -> Result<Actor, AppError> {
    Ok(Actor {
        grants: grants(store.roles_of(user.id).await?),
        user_id: user.id,
        email: user.email,
        name: user.name,
    })
}

/// Checks the password of `email`, limited per account and loosely per
/// address: too many failures within the window answer `RateLimited`
/// with the seconds until the oldest one leaves the window, before the
/// password is even looked at.
async fn check_credentials(
    store: &Store,
    settings: &AccountSettings,
    email_raw: &str,
    password: &str,
    address: &str,
    now: i64,
) -> Result<UserRow, AppError> {
    let email = email_raw.trim().to_lowercase();
    let since = now - settings.attempt_window_secs;
    let (failures, from_address) = store.sign_in_failures(&email, address, since).await?;
    let limit = settings.attempts_per_account as usize;
    if failures.len() >= limit {
        let oldest_that_counts = failures[failures.len() - limit];
        let retry_after = (oldest_that_counts + settings.attempt_window_secs - now).max(1);
        return Err(AppError::RateLimited {
            retry_after_secs: retry_after as u64,
        });
    }
    if from_address >= u64::from(settings.attempts_per_address) {
        return Err(AppError::RateLimited {
            retry_after_secs: settings.attempt_window_secs as u64,
        });
    }
    let user = store.user_by_email(&email).await?;
    let ok = match &user {
        Some(u) => u
            .password_hash
            .as_deref()
            .is_some_and(|h| verify_password(h, password)),
        None => {
            // Spend the same effort on an unknown address, so that timing
            // does not tell which addresses have accounts.
            let _ = settings.hash_password(password);
            false
        }
    };
    let mut tx = store.write().await?;
    match (ok, user) {
        (true, Some(u)) => {
            tx.clear_sign_in_failures(&email).await?;
            tx.commit().await?;
            Ok(u)
        }
        _ => {
            tx.record_sign_in_failure(&email, address, now, since)
                .await?;
            tx.commit().await?;
            Err(AppError::BadCredentials)
        }
    }
}

/// A new session: its secret (for the cookie) and its CSRF token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
    pub expires_at: i64,
    pub actor: Actor,
}

pub async fn sign_in(
    store: &Store,
    settings: &AccountSettings,
    email: &str,
    password: &str,
    address: &str,
    now: i64,
) -> Result<NewSession, AppError> {
    let user = check_credentials(store, settings, email, password, address, now).await?;
    start_session(store, settings, user, now).await
}

async fn start_session(
    store: &Store,
    settings: &AccountSettings,
    user: UserRow,
    now: i64,
) -> Result<NewSession, AppError> {
    let secret = secret("");
    let csrf = new_csrf_token();
    let expires_at = now + settings.session_secs;
    let mut tx = store.write().await?;
    tx.insert_session(&fingerprint(&secret), user.id, &csrf, now, expires_at)
        .await?;
    let by = By::Themselves(&user.email);
    audit(
        &mut tx,
        &by,
        "session.start",
        "user",
        user.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(NewSession {
        secret,
        csrf,
        expires_at,
        actor: actor_of(store, user).await?,
    })
}

/// A CSRF token: 128 random bits in hex.
pub fn new_csrf_token() -> String {
    random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn sign_out(
    store: &Store,
    actor: Option<&Actor>,
    session: &str,
    now: i64,
) -> Result<(), AppError> {
    policy::own_account(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut tx = store.write().await?;
    if tx.revoke_session(&fingerprint(session), now).await? {
        audit(
            &mut tx,
            &By::Actor(actor),
            "session.end",
            "user",
            actor.user_id,
            None,
            None,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A new API token for a script: the secret (shown once) and when it
/// stops working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewToken {
    pub token: String,
    pub expires_at: i64,
}

/// `POST /api/v1/tokens`: a token for whoever gives the right password.
pub async fn create_token(
    store: &Store,
    settings: &AccountSettings,
    email: &str,
    password: &str,
    address: &str,
    now: i64,
) -> Result<NewToken, AppError> {
    let user = check_credentials(store, settings, email, password, address, now).await?;
    issue_token(store, settings, By::Themselves(&user.email), &user, now).await
}

/// `empower users token`: a token for an account, from the command line.
pub async fn token_for(
    store: &Store,
    settings: &AccountSettings,
    email_raw: &str,
    now: i64,
) -> Result<NewToken, AppError> {
    let email = email(email_raw)?;
    let user = store.user_by_email(&email).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "there is no account {email}; add it with `empower users add`"
        ))
    })?;
    issue_token(store, settings, By::CommandLine, &user, now).await
}

async fn issue_token(
    store: &Store,
    settings: &AccountSettings,
    by: By<'_>,
    user: &UserRow,
    now: i64,
) -> Result<NewToken, AppError> {
    let token = secret("empower_");
    let expires_at = now + settings.token_secs;
    let mut tx = store.write().await?;
    let id = tx
        .insert_token(&fingerprint(&token), user.id, now, expires_at)
        .await?;
    #[derive(Serialize)]
    struct TokenSnapshot {
        token_id: i64,
        expires_at: i64,
    }
    let after = snapshot(&TokenSnapshot {
        token_id: id,
        expires_at,
    });
    audit(
        &mut tx,
        &by,
        "token.create",
        "user",
        user.id,
        None,
        Some(after),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(NewToken { token, expires_at })
}

/// Changes one's own password; every other session and token of the
/// account ends.
pub async fn change_password(
    store: &Store,
    settings: &AccountSettings,
    actor: Option<&Actor>,
    current: &str,
    new: &str,
    session: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    policy::own_account(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let user = store
        .user_by_id(actor.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let right = user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(h, current));
    if !right {
        return Err(invalid(
            "current_password",
            "that is not your current password",
        ));
    }
    check_password(new, &user.email)?;
    let hash = settings.hash_password(new)?;
    let mut tx = store.write().await?;
    tx.set_password(user.id, &hash).await?;
    let keep = session.map(fingerprint);
    tx.revoke_all_of(user.id, keep.as_deref(), now).await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        "user.password-change",
        "user",
        user.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn link_url(settings: &AccountSettings, path: &str, secret: &str) -> String {
    format!(
        "{}/{path}/{secret}",
        settings.public_url.trim_end_matches('/')
    )
}

/// A password-reset link for `email`, written to the outbox. Asked for
/// by anyone: the answer is the same whether or not the account exists,
/// and only the account's owner gets the mail.
pub async fn request_reset(
    store: &Store,
    settings: &AccountSettings,
    email_raw: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = email(email_raw)?;
    if let Some(user) = store.user_by_email(&email).await? {
        reset_link(store, settings, By::Themselves(&email), &user, now).await?;
    }
    Ok(())
}

/// A reset link an administrator issues for someone (shown to the
/// administrator and mailed to the person).
pub async fn issue_reset(
    store: &Store,
    settings: &AccountSettings,
    actor: Option<&Actor>,
    user_id: i64,
    now: i64,
) -> Result<String, AppError> {
    policy::manage_users(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let user = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user {user_id}")))?;
    reset_link(store, settings, By::Actor(actor), &user, now).await
}

async fn reset_link(
    store: &Store,
    settings: &AccountSettings,
    by: By<'_>,
    user: &UserRow,
    now: i64,
) -> Result<String, AppError> {
    let secret = secret("");
    let url = link_url(settings, "reset", &secret);
    let link = LinkRow {
        kind: "reset".into(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: None,
        scope: None,
        created_by: match &by {
            By::Actor(a) => Some(a.user_id),
            _ => None,
        },
        created_at: now,
        expires_at: now + settings.reset_secs,
        used_at: None,
    };
    let mut tx = store.write().await?;
    tx.insert_link(&fingerprint(&secret), &link).await?;
    tx.queue_mail(
        &user.email,
        "Set your empower password",
        &format!(
            "Hello {},\n\nTo set a new password, open this link within {} minutes:\n\n{url}\n\nIf you did not ask for it, ignore this mail: your password stays as it is.\n",
            user.name,
            settings.reset_secs / 60
        ),
        now,
    )
    .await?;
    audit(
        &mut tx,
        &by,
        "user.reset-link",
        "user",
        user.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// What a single-use link stands for, to show before it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkView {
    pub kind: String,
    pub email: String,
    pub name: String,
    pub role: Option<Role>,
    pub scope: Option<String>,
}

/// The link behind `secret`, if it can still be used.
pub async fn open_link(store: &Store, secret: &str, now: i64) -> Result<LinkView, AppError> {
    let link = store
        .link(&fingerprint(secret))
        .await?
        .ok_or_else(|| AppError::NotFound("this link is not valid: ask for a new one".into()))?;
    if link.used_at.is_some() {
        return Err(AppError::Conflict(
            "this link has been used already: ask for a new one".into(),
        ));
    }
    if link.expires_at <= now {
        return Err(AppError::Conflict(
            "this link has expired: ask for a new one".into(),
        ));
    }
    Ok(LinkView {
        role: link.role.as_deref().map(Role::parse).transpose()?,
        kind: link.kind,
        email: link.email,
        name: link.name,
        scope: link.scope,
    })
}

/// Uses a reset or invitation link: sets the password (creating the
/// account and granting the invitation's role where needed) and signs the
/// person in.
pub async fn use_link(
    store: &Store,
    settings: &AccountSettings,
    secret: &str,
    password: &str,
    now: i64,
) -> Result<NewSession, AppError> {
    let view = open_link(store, secret, now).await?;
    check_password(password, &view.email)?;
    let hash = settings.hash_password(password)?;
    let by = By::Themselves(&view.email);
    let mut tx = store.write().await?;
    if !tx.use_link(&fingerprint(secret), now).await? {
        return Err(AppError::Conflict(
            "this link has been used already: ask for a new one".into(),
        ));
    }
    let (user, before) = match tx.user_by_email(&view.email).await? {
        Some(u) => {
            let before = user_json(&u, &tx.roles_of(u.id).await?);
            tx.set_password(u.id, &hash).await?;
            (u, Some(before))
        }
        None => (
            tx.insert_user(&view.email, &view.name, Some(&hash), now)
                .await?,
            None,
        ),
    };
    if let Some(role) = view.role {
        tx.add_role(user.id, &role_row(role, &view.scope), now)
            .await?;
    }
    tx.revoke_all_of(user.id, None, now).await?;
    let user = UserRow {
        password_hash: Some(hash),
        ..user
    };
    let after = user_json(&user, &tx.roles_of(user.id).await?);
    let action = if view.kind == "invitation" {
        "invitation.accept"
    } else {
        "user.password-reset"
    };
    audit(
        &mut tx,
        &by,
        action,
        "user",
        user.id,
        before,
        Some(after),
        now,
    )
    .await?;
    tx.commit().await?;
    start_session(store, settings, user, now).await
}

/// Invites someone to a role (state administrators): a single-use link,
/// mailed through the outbox and returned to show the administrator.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    state: &State,
    store: &Store,
    settings: &AccountSettings,
    actor: Option<&Actor>,
    email_raw: &str,
    name_raw: &str,
    role: Role,
    scope: Option<&str>,
    now: i64,
) -> Result<String, AppError> {
    policy::manage_users(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let email = email(email_raw)?;
    let name = name(name_raw)?;
    let scope = scope_for(state, store, role, scope).await?;
    let secret = secret("");
    let url = link_url(settings, "invitations", &secret);
    let link = LinkRow {
        kind: "invitation".into(),
        email: email.clone(),
        name: name.clone(),
        role: Some(role.as_str().to_string()),
        scope: scope.clone(),
        created_by: Some(actor.user_id),
        created_at: now,
        expires_at: now + settings.invitation_secs,
        used_at: None,
    };
    let mut tx = store.write().await?;
    tx.insert_link(&fingerprint(&secret), &link).await?;
    tx.queue_mail(
        &email,
        "You are invited to empower",
        &format!(
            "Hello {name},\n\n{} invites you to empower, {}'s Statewide System of Support, as {}{}.\n\nOpen this link within {} days to set your password:\n\n{url}\n",
            actor.name,
            state.manifest.name,
            role.label(),
            scope.as_deref().map(|s| format!(" for {s}")).unwrap_or_default(),
            settings.invitation_secs / 86_400
        ),
        now,
    )
    .await?;
    #[derive(Serialize)]
    struct InvitationSnapshot<'a> {
        email: &'a str,
        name: &'a str,
        role: &'a str,
        scope: &'a Option<String>,
    }
    let after = snapshot(&InvitationSnapshot {
        email: &email,
        name: &name,
        role: role.as_str(),
        scope: &scope,
    });
    audit(
        &mut tx,
        &By::Actor(actor),
        "invitation.create",
        "invitation",
        &email,
        None,
        Some(after),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// An educator registers themself (the educator role only).
pub async fn register_educator(
    store: &Store,
    settings: &AccountSettings,
    email_raw: &str,
    name_raw: &str,
    password: &str,
    now: i64,
) -> Result<NewSession, AppError> {
    let email = email(email_raw)?;
    let name = name(name_raw)?;
    check_password(password, &email)?;
    let hash = settings.hash_password(password)?;
    let mut tx = store.write().await?;
    if tx.user_by_email(&email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "{email} has an account already: sign in, or ask for a password reset"
        )));
    }
    let user = tx.insert_user(&email, &name, Some(&hash), now).await?;
    tx.add_role(user.id, &role_row(Role::Educator, &None), now)
        .await?;
    let after = user_json(&user, &tx.roles_of(user.id).await?);
    audit(
        &mut tx,
        &By::Themselves(&email),
        "user.register",
        "user",
        user.id,
        None,
        Some(after),
        now,
    )
    .await?;
    tx.commit().await?;
    start_session(store, settings, user, now).await
}

/// Every account with its roles (state administrators).
pub async fn users(
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<(UserRow, Vec<Grant>)>, AppError> {
    policy::manage_users(actor)?;
    Ok(store
        .users()
        .await?
        .into_iter()
        .map(|(u, r)| (u, grants(r)))
        .collect())
}

/// One account with its roles (state administrators).
pub async fn user(
    store: &Store,
    actor: Option<&Actor>,
    user_id: i64,
) -> Result<(UserRow, Vec<Grant>), AppError> {
    policy::manage_users(actor)?;
    let user = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user {user_id}")))?;
    let roles = grants(store.roles_of(user_id).await?);
    Ok((user, roles))
}

/// One person holding a role for a school or its district.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub grant: Grant,
}

/// A school's id and name and who holds roles for it and its district,
/// for those who may act for the school.
pub async fn school_people(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    school_raw: &str,
) -> Result<(String, String, Vec<Person>), AppError> {
    let school = state
        .catalogue
        .school_id
        .parse(school_raw)
        .map_err(|e| AppError::NotFound(e.to_string()))?
        .to_string();
    let (name, district) = store
        .school_place(&school)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no school {school}")))?;
    policy::see_school_people(actor, &school, &district)?;
    let people = store
        .people_scoped_to(&[&school, &district])
        .await?
        .into_iter()
        .filter_map(|(u, r)| {
            let grant = grants(vec![r]).pop()?;
            Some(Person {
                name: u.name,
                email: u.email,
                grant,
            })
        })
        .collect();
    Ok((school, name, people))
}

/// Invitations not used yet (state administrators).
pub async fn invitations(
    store: &Store,
    actor: Option<&Actor>,
    now: i64,
) -> Result<Vec<LinkRow>, AppError> {
    policy::manage_users(actor)?;
    Ok(store.open_invitations(now).await?)
}

/// The audit log, newest first (state administrators).
pub async fn audit_log(
    store: &Store,
    actor: Option<&Actor>,
    filter: &AuditFilter,
    page: SchoolPage,
) -> Result<Page<AuditRecord>, AppError> {
    policy::read_audit(actor)?;
    Ok(store.audit(filter, page).await?)
}

/// An audit search as people and scripts write it: every filter text,
/// `since` an RFC 3339 instant or a date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Searches the audit log: who may read it is decided before the search
/// is even checked, so a caller without the right learns nothing else.
pub async fn search_audit(
    store: &Store,
    actor: Option<&Actor>,
    query: &AuditQuery,
) -> Result<(AuditFilter, Page<AuditRecord>), AppError> {
    policy::read_audit(actor)?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let since = match text(&query.since) {
        Some(s) => Some(crate::clock::parse_instant("since", &s)?),
        None => None,
    };
    let page = crate::public::page(query.page, query.per_page)?;
    let filter = AuditFilter {
        entity: text(&query.entity),
        entity_id: text(&query.entity_id),
        actor: text(&query.actor).map(|a| a.to_lowercase()),
        action: text(&query.action),
        since,
    };
    let found = audit_log(store, actor, &filter, page).await?;
    Ok((filter, found))
}

/// One demonstration account per role (`empower serve --demo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUser {
    pub role: Role,
    pub email: String,
    pub password: String,
    pub scope: Option<String>,
}

/// Creates one demo user per role, on a database without users only.
/// Scoped roles get real places: a school in support and its district
/// for the school and district roles, an Exemplary or Commendable school
/// for the partner contact.
pub async fn demo_users(
    state: &State,
    store: &Store,
    settings: &AccountSettings,
    now: i64,
) -> Result<Vec<DemoUser>, AppError> {
    if store.user_count().await? > 0 {
        return Err(AppError::Conflict(
            "--demo needs a database without users; this one has some (use another --data-dir)"
                .into(),
        ));
    }
    let (in_support, partner) = store.demo_schools().await?;
    let in_support = in_support.ok_or_else(|| {
        AppError::Refused("no school in support is published: import a report card first".into())
    })?;
    let partner = partner.ok_or_else(|| {
        AppError::Refused("no Exemplary or Commendable school is published".into())
    })?;
    let mut made = Vec::new();
    for role in Role::ALL {
        let scope = match role.scope_kind() {
            ScopeKind::None => None,
            ScopeKind::District => Some(in_support.1.clone()),
            ScopeKind::School if role == Role::PartnerContact => Some(partner.clone()),
            ScopeKind::School => Some(in_support.0.clone()),
        };
        let email = format!("{}@demo.invalid", role.as_str());
        // Demo passwords are random too: printed once, never shipped.
        let password = secret("").chars().take(16).collect::<String>();
        add_user(
            state,
            store,
            settings,
            By::CommandLine,
            &email,
            &format!("Demo {}", role.label().to_lowercase()),
            role,
            scope.as_deref(),
            Some(&password),
            now,
        )
        .await?;
        made.push(DemoUser {
            role,
            email,
            password,
            scope,
        });
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use empower_store::testing::TestDatabase;

    const T0: i64 = 1_800_000_000;

    fn state() -> State {
        crate::rules::load_state("illinois", None).unwrap()
    }

    async fn admin(state: &State, store: &Store, settings: &AccountSettings) -> Actor {
        add_user(
            state,
            store,
            settings,
            By::CommandLine,
            "Admin@Example.org ",
            "Ada Admin",
            Role::StateAdmin,
            None,
            Some("correct horse battery"),
            T0,
        )
        .await
        .unwrap();
        sign_in(
            store,
            settings,
            "admin@example.org",
            "correct horse battery",
            "a",
            T0,
        )
        .await
        .unwrap()
        .actor
    }

    #[tokio::test]
    async fn users_roles_tokens_and_the_audit_trail() {
        let state = state();
        let settings = AccountSettings::for_tests();
        for db in TestDatabase::each("accounts_app").await {
            let store = &db.store;
            let ada = admin(&state, store, &settings).await;
            assert_eq!(ada.email, "admin@example.org");
            assert!(ada.holds(Role::StateAdmin));

            // The same role again changes nothing and writes no record.
            let before = store
                .audit(&AuditFilter::default(), FIRST)
                .await
                .unwrap()
                .total;
            let again = add_user(
                &state,
                store,
                &settings,
                By::CommandLine,
                "admin@example.org",
                "Ada Admin",
                Role::StateAdmin,
                None,
                None,
                T0,
            )
            .await
            .unwrap();
            assert!(!again.created && !again.role_added);
            assert_eq!(
                store
                    .audit(&AuditFilter::default(), FIRST)
                    .await
                    .unwrap()
                    .total,
                before
            );

            // Scoped roles need a real place of the right level.
            let e = add_user(
                &state,
                store,
                &settings,
                By::CommandLine,
                "bo@example.org",
                "Bo",
                Role::SchoolLeader,
                None,
                None,
                T0,
            )
            .await
            .unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("scope: a school-leader needs the school's id"),
                "{e}"
            );
            let e = add_user(
                &state,
                store,
                &settings,
                By::CommandLine,
                "bo@example.org",
                "Bo",
                Role::DistrictLeader,
                Some("010010010260000"),
                None,
                T0,
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("is not a district"), "{e}");
            let e = add_user(
                &state,
                store,
                &settings,
                By::CommandLine,
                "bo@example.org",
                "Bo",
                Role::Educator,
                Some("010010010260000"),
                None,
                T0,
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("has no scope"), "{e}");
            assert!(store
                .user_by_email("bo@example.org")
                .await
                .unwrap()
                .is_none());

            // A token works until it expires; the token itself is not kept.
            let t = token_for(store, &settings, "admin@example.org", T0)
                .await
                .unwrap();
            assert!(t.token.starts_with("empower_"));
            let who = token_actor(store, &t.token, T0 + 10)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(who.email, "admin@example.org");
            assert!(token_actor(store, &t.token, t.expires_at)
                .await
                .unwrap()
                .is_none());

            // Only an administrator reads the audit log; a record shows no
            // password, only that there is one.
            let log = audit_log(store, Some(&ada), &AuditFilter::default(), FIRST)
                .await
                .unwrap();
            let created = log
                .items
                .iter()
                .find(|r| r.action == "user.create")
                .unwrap();
            assert_eq!(created.actor, "command line");
            assert_eq!(created.after.as_ref().unwrap()["has_password"], true);
            assert!(!created
                .after
                .as_ref()
                .unwrap()
                .to_string()
                .contains("argon2"));
            assert!(matches!(
                audit_log(store, None, &AuditFilter::default(), FIRST).await,
                Err(AppError::SignInRequired)
            ));
            db.finish().await;
        }
    }

    #[tokio::test]
    async fn sign_in_is_limited_per_account_and_says_when_to_retry() {
        let state = state();
        let settings = AccountSettings::for_tests();
        for db in TestDatabase::each("sign_in_limit").await {
            let store = &db.store;
            admin(&state, store, &settings).await;
            for i in 0..5 {
                let e = sign_in(
                    store,
                    &settings,
                    "admin@example.org",
                    "wrong password",
                    "a",
                    T0 + i,
                )
                .await
                .unwrap_err();
                assert!(matches!(e, AppError::BadCredentials), "{e:?}");
            }
            // The sixth try is refused before the password is looked at,
            // even the right one, until the first failure leaves the window.
            let e = sign_in(
                store,
                &settings,
                "admin@example.org",
                "correct horse battery",
                "a",
                T0 + 10,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(e, AppError::RateLimited { retry_after_secs } if retry_after_secs == 15 * 60 - 10),
                "{e:?}"
            );
            let later = T0 + 15 * 60 + 1;
            sign_in(
                store,
                &settings,
                "admin@example.org",
                "correct horse battery",
                "a",
                later,
            )
            .await
            .unwrap();
            // An unknown address fails the same way as a wrong password.
            let e = sign_in(
                store,
                &settings,
                "nobody@example.org",
                "whatever123",
                "a",
                later,
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::BadCredentials));
            db.finish().await;
        }
    }

    #[tokio::test]
    async fn invitations_and_resets_are_single_use_and_expire() {
        let state = state();
        let settings = AccountSettings::for_tests();
        for db in TestDatabase::each("links").await {
            let store = &db.store;
            let ada = admin(&state, store, &settings).await;
            let url = invite(
                &state,
                store,
                &settings,
                Some(&ada),
                "cy@example.org",
                "Cy Coordinator",
                Role::StateCoordinator,
                None,
                T0,
            )
            .await
            .unwrap();
            let secret = url.rsplit('/').next().unwrap().to_string();
            assert!(url.starts_with("http://127.0.0.1:8080/invitations/"));
            let mail = store.outbox().await.unwrap();
            assert!(mail
                .iter()
                .any(|m| m.to_email == "cy@example.org" && m.body.contains(&url)));
            let view = open_link(store, &secret, T0 + 1).await.unwrap();
            assert_eq!(view.role, Some(Role::StateCoordinator));

            // Too short a password: refused, and the link is still good.
            let e = use_link(store, &settings, &secret, "short", T0 + 2)
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("password:"), "{e}");
            let s = use_link(store, &settings, &secret, "a long enough password", T0 + 3)
                .await
                .unwrap();
            assert!(s.actor.holds(Role::StateCoordinator));
            let e = use_link(store, &settings, &secret, "a long enough password", T0 + 4)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Conflict(_)), "{e:?}");

            // Only an administrator invites.
            let e = invite(
                &state,
                store,
                &settings,
                Some(&s.actor),
                "dee@example.org",
                "Dee",
                Role::StateAdmin,
                None,
                T0,
            )
            .await
            .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");

            // A reset link expires after its hour, and signs out the rest.
            let url = issue_reset(store, &settings, Some(&ada), s.actor.user_id, T0 + 10)
                .await
                .unwrap();
            let secret = url.rsplit('/').next().unwrap().to_string();
            let e = use_link(
                store,
                &settings,
                &secret,
                "another password!",
                T0 + 10 + 3600,
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("expired"), "{e}");
            request_reset(store, &settings, "cy@example.org", T0 + 20)
                .await
                .unwrap();
            request_reset(store, &settings, "nobody@example.org", T0 + 20)
                .await
                .unwrap();
            assert!(session_actor(store, &s.secret, T0 + 30)
                .await
                .unwrap()
                .is_some());
            let history = audit_log(
                store,
                Some(&ada),
                &AuditFilter {
                    entity: Some("user".into()),
                    entity_id: Some(s.actor.user_id.to_string()),
                    ..Default::default()
                },
                FIRST,
            )
            .await
            .unwrap();
            let actions: Vec<&str> = history.items.iter().map(|r| r.action.as_str()).collect();
            assert!(actions.contains(&"invitation.accept"), "{actions:?}");
            assert!(actions.contains(&"user.reset-link"), "{actions:?}");

            // Educators register themselves, as educators only.
            let e = register_educator(
                store,
                &settings,
                "ed@example.org",
                "Ed",
                "teaching is great",
                T0,
            )
            .await
            .unwrap();
            assert_eq!(
                e.actor.grants,
                [Grant {
                    role: Role::Educator,
                    scope: None
                }]
            );
            let dup = register_educator(
                store,
                &settings,
                "ED@example.org",
                "Ed",
                "teaching is great",
                T0,
            )
            .await
            .unwrap_err();
            assert!(matches!(dup, AppError::Conflict(_)));
            db.finish().await;
        }
    }

    const FIRST: SchoolPage = SchoolPage {
        page: 1,
        per_page: 500,
    };
}
