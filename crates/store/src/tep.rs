//! The Teaching Excellence Program's records: fiscal years with their
//! appropriation and running totals, educators' facts and their
//! employer's verification, requests in line and every decision on them.
//! The ledger's invariants are enforced by the schema (see
//! `migrations/*/0009_tep.sql`): a booking that would spend beyond the
//! appropriation fails its transaction whatever the code did.

use crate::{Result, Store, Write};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepYearRow {
    pub fiscal_year: i64,
    pub appropriation_cents: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    /// The number the next request takes.
    pub next_sequence: i64,
}

const YEAR_COLUMNS: &str =
    "fiscal_year, appropriation_cents, committed_cents, paid_cents, next_sequence";

type YearDbRow = (i64, i64, i64, i64, i64);

fn year_row(r: YearDbRow) -> TepYearRow {
    TepYearRow {
        fiscal_year: r.0,
        appropriation_cents: r.1,
        committed_cents: r.2,
        paid_cents: r.3,
        next_sequence: r.4,
    }
}

/// An educator's facts as they gave them, and the employer's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepEducatorRow {
    pub user_id: i64,
    pub license: String,
    pub role: String,
    pub nbpts: String,
    pub district_rcdts: Option<String>,
    pub school_rcdts: Option<String>,
    pub full_time: bool,
    pub originally_assigned: bool,
    pub retired: Option<String>,
    /// `confirmed` or `rejected`; `None` while not verified.
    pub verification: Option<String>,
    pub verification_reason: Option<String>,
    pub verified_by: Option<i64>,
    pub verified_at: Option<i64>,
}

const EDUCATOR_COLUMNS: &str = "user_id, license, role, nbpts, district_rcdts, school_rcdts, \
     full_time, originally_assigned, retired, verification, verification_reason, verified_by, verified_at";

type EducatorDbRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn educator_row(r: EducatorDbRow) -> TepEducatorRow {
    TepEducatorRow {
        user_id: r.0,
        license: r.1,
        role: r.2,
        nbpts: r.3,
        district_rcdts: r.4,
        school_rcdts: r.5,
        full_time: r.6 != 0,
        originally_assigned: r.7 != 0,
        retired: r.8,
        verification: r.9,
        verification_reason: r.10,
        verified_by: r.11,
        verified_at: r.12,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepRequestRow {
    pub id: i64,
    pub fiscal_year: i64,
    pub sequence: i64,
    pub educator_id: i64,
    pub payment_type: String,
    pub amount_cents: i64,
    pub status: String,
    pub reason: String,
    pub idempotency_key: String,
    pub received_at: i64,
    pub updated_at: i64,
    /// When its reservation lapsed unverified (it is not reserved again
    /// until the employer verifies).
    pub lapsed_at: Option<i64>,
}

const REQUEST_COLUMNS: &str =
    "id, fiscal_year, sequence, educator_id, payment_type, amount_cents, \
     status, reason, idempotency_key, received_at, updated_at, lapsed_at";

type RequestDbRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

fn request_row(r: RequestDbRow) -> TepRequestRow {
    TepRequestRow {
        id: r.0,
        fiscal_year: r.1,
        sequence: r.2,
        educator_id: r.3,
        payment_type: r.4,
        amount_cents: r.5,
        status: r.6,
        reason: r.7,
        idempotency_key: r.8,
        received_at: r.9,
        updated_at: r.10,
        lapsed_at: r.11,
    }
}

/// A new request to insert, with the decision the engine took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTepRequest<'a> {
    pub fiscal_year: i64,
    pub sequence: i64,
    pub educator_id: i64,
    pub payment_type: &'a str,
    pub amount_cents: i64,
    pub status: &'a str,
    pub reason: &'a str,
    pub idempotency_key: &'a str,
}

/// A mentoring agreement (or a district's formal program) of a fiscal
/// year, with its recipients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepAgreementRow {
    pub id: i64,
    pub fiscal_year: i64,
    pub mentor_id: i64,
    pub mentor_name: String,
    pub mentor_email: String,
    /// `mentoring` or `candidate-assistance`.
    pub kind: String,
    /// `agreement` or `district-program`.
    pub framework: String,
    pub administrator: String,
    pub goals: String,
    pub duration: String,
    pub time_per_recipient: String,
    pub created_at: i64,
    pub recipients: Vec<TepRecipientRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepRecipientRow {
    pub recipient_id: i64,
    pub name: String,
    pub email: String,
    pub district_rcdts: Option<String>,
    /// When the mentor's notice went to the recipient's district.
    pub notified_at: Option<i64>,
}

/// A new agreement to insert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTepAgreement<'a> {
    pub fiscal_year: i64,
    pub mentor_id: i64,
    pub kind: &'a str,
    pub framework: &'a str,
    pub administrator: &'a str,
    pub goals: &'a str,
    pub duration: &'a str,
    pub time_per_recipient: &'a str,
}

/// A line of a mentoring or candidate-assistance log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepLogRow {
    pub id: i64,
    pub agreement_id: i64,
    pub recipient_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub minutes: i64,
    pub addressed: Vec<String>,
    pub needs: String,
    pub created_at: i64,
    pub signed_at: Option<i64>,
}

const LOG_COLUMNS: &str =
    "id, agreement_id, recipient_id, day, minutes, addressed, needs, created_at, signed_at";

type LogDbRow = (i64, i64, i64, String, i64, String, String, i64, Option<i64>);

fn log_row(r: LogDbRow) -> TepLogRow {
    TepLogRow {
        id: r.0,
        agreement_id: r.1,
        recipient_id: r.2,
        day: r.3,
        minutes: r.4,
        addressed: r.5.lines().map(str::to_string).collect(),
        needs: r.6,
        created_at: r.7,
        signed_at: r.8,
    }
}

/// The (g) training announcement of a fiscal year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepAnnouncementRow {
    pub fiscal_year: i64,
    pub amount_cents: i64,
    pub purposes: String,
    pub stipend_cents: i64,
    pub who_may_take_part: String,
    pub how_to_apply: String,
    pub published_by: i64,
    pub published_at: i64,
}

/// An educator's facts with their account, for their employer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TepEducatorListed {
    pub name: String,
    pub email: String,
    pub facts: TepEducatorRow,
}

type RecipientDbRow = (i64, String, String, Option<String>, Option<i64>);
type AnnouncementDbRow = (i64, i64, String, i64, String, String, i64, i64);

fn mentor_logs_sql() -> String {
    format!(
        "SELECT {} FROM tep_log_entries l WHERE l.agreement_id IN \
         (SELECT id FROM tep_agreements WHERE mentor_id = $1 AND fiscal_year = $2) \
         ORDER BY l.day, l.id",
        LOG_COLUMNS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

const AGREEMENT_COLUMNS: &str =
    "a.id, a.fiscal_year, a.mentor_id, u.name, u.email, a.kind, a.framework, \
     a.administrator, a.goals, a.duration, a.time_per_recipient, a.created_at";

type AgreementDbRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

fn agreement_row(r: AgreementDbRow) -> TepAgreementRow {
    TepAgreementRow {
        id: r.0,
        fiscal_year: r.1,
        mentor_id: r.2,
        mentor_name: r.3,
        mentor_email: r.4,
        kind: r.5,
        framework: r.6,
        administrator: r.7,
        goals: r.8,
        duration: r.9,
        time_per_recipient: r.10,
        created_at: r.11,
        recipients: Vec::new(),
    }
}

impl Store {
    /// An educator's requests of every year.
    pub async fn tep_requests_of(&self, educator_id: i64) -> Result<Vec<TepRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE educator_id = $1 ORDER BY fiscal_year, sequence"
        );
        let rows: Vec<RequestDbRow> = sqlx::query_as(&sql)
            .bind(educator_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(request_row).collect())
    }

    pub async fn tep_request(&self, id: i64) -> Result<Option<TepRequestRow>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE id = $1");
        let row: Option<RequestDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(request_row))
    }

    /// Who is paid for each request of the year: request id, name, e-mail.
    pub async fn tep_payees(&self, fiscal_year: i64) -> Result<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT r.id, u.name, u.email FROM tep_requests r JOIN users u ON u.id = r.educator_id \
             WHERE r.fiscal_year = $1 ORDER BY r.sequence",
        )
        .bind(fiscal_year)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The educators who name a district as their employer, A-Z.
    pub async fn tep_educators_in(&self, district: &str) -> Result<Vec<TepEducatorListed>> {
        let sql = format!("SELECT {EDUCATOR_COLUMNS} FROM tep_educators WHERE district_rcdts = $1");
        let facts: Vec<EducatorDbRow> = sqlx::query_as(&sql)
            .bind(district.to_string())
            .fetch_all(&self.pool)
            .await?;
        let names: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.name, u.email FROM tep_educators e JOIN users u ON u.id = e.user_id \
             WHERE e.district_rcdts = $1 ORDER BY u.name, u.email",
        )
        .bind(district.to_string())
        .fetch_all(&self.pool)
        .await?;
        let facts: Vec<TepEducatorRow> = facts.into_iter().map(educator_row).collect();
        Ok(names
            .into_iter()
            .filter_map(|(id, name, email)| {
                let facts = facts.iter().find(|f| f.user_id == id)?.clone();
                Some(TepEducatorListed { name, email, facts })
            })
            .collect())
    }

    /// The agreements an educator is the mentor or a recipient of, newest
    /// first, with their recipients.
    pub async fn tep_agreements_of(&self, user_id: i64) -> Result<Vec<TepAgreementRow>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM tep_agreements a JOIN users u ON u.id = a.mentor_id \
             WHERE a.mentor_id = $1 OR a.id IN (SELECT agreement_id FROM tep_agreement_recipients WHERE recipient_id = $1) \
             ORDER BY a.id DESC"
        );
        let rows: Vec<AgreementDbRow> = sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let mut a = agreement_row(r);
            a.recipients = self.tep_recipients(a.id).await?;
            out.push(a);
        }
        Ok(out)
    }

    pub async fn tep_agreement(&self, id: i64) -> Result<Option<TepAgreementRow>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM tep_agreements a JOIN users u ON u.id = a.mentor_id WHERE a.id = $1"
        );
        let row: Option<AgreementDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let mut a = agreement_row(r);
        a.recipients = self.tep_recipients(a.id).await?;
        Ok(Some(a))
    }

    async fn tep_recipients(&self, agreement_id: i64) -> Result<Vec<TepRecipientRow>> {
        let rows: Vec<RecipientDbRow> = sqlx::query_as(
            "SELECT r.recipient_id, u.name, u.email, r.district_rcdts, r.notified_at \
             FROM tep_agreement_recipients r JOIN users u ON u.id = r.recipient_id \
             WHERE r.agreement_id = $1 ORDER BY u.name, u.email",
        )
        .bind(agreement_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TepRecipientRow {
                recipient_id: r.0,
                name: r.1,
                email: r.2,
                district_rcdts: r.3,
                notified_at: r.4,
            })
            .collect())
    }

    /// An agreement's log, in date order.
    pub async fn tep_logs(&self, agreement_id: i64) -> Result<Vec<TepLogRow>> {
        let sql = format!(
            "SELECT {LOG_COLUMNS} FROM tep_log_entries WHERE agreement_id = $1 ORDER BY day, id"
        );
        let rows: Vec<LogDbRow> = sqlx::query_as(&sql)
            .bind(agreement_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(log_row).collect())
    }

    /// Every log line of a mentor's agreements in a fiscal year, in date
    /// order: the hours that count are counted over all of them.
    pub async fn tep_mentor_logs(
        &self,
        mentor_id: i64,
        fiscal_year: i64,
    ) -> Result<Vec<TepLogRow>> {
        let rows: Vec<LogDbRow> = sqlx::query_as(&mentor_logs_sql())
            .bind(mentor_id)
            .bind(fiscal_year)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(log_row).collect())
    }

    pub async fn tep_log(&self, id: i64) -> Result<Option<TepLogRow>> {
        let sql = format!("SELECT {LOG_COLUMNS} FROM tep_log_entries WHERE id = $1");
        let row: Option<LogDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(log_row))
    }

    pub async fn tep_announcement(&self, fiscal_year: i64) -> Result<Option<TepAnnouncementRow>> {
        let row: Option<AnnouncementDbRow> = sqlx::query_as(
            "SELECT fiscal_year, amount_cents, purposes, stipend_cents, who_may_take_part, how_to_apply, \
             published_by, published_at FROM tep_announcements WHERE fiscal_year = $1",
        )
        .bind(fiscal_year)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| TepAnnouncementRow {
            fiscal_year: r.0,
            amount_cents: r.1,
            purposes: r.2,
            stipend_cents: r.3,
            who_may_take_part: r.4,
            how_to_apply: r.5,
            published_by: r.6,
            published_at: r.7,
        }))
    }

    pub async fn tep_year(&self, fiscal_year: i64) -> Result<Option<TepYearRow>> {
        let sql = format!("SELECT {YEAR_COLUMNS} FROM tep_fiscal_years WHERE fiscal_year = $1");
        let row: Option<YearDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(year_row))
    }

    pub async fn tep_educator(&self, user_id: i64) -> Result<Option<TepEducatorRow>> {
        let sql = format!("SELECT {EDUCATOR_COLUMNS} FROM tep_educators WHERE user_id = $1");
        let row: Option<EducatorDbRow> = sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(educator_row))
    }

    /// A fiscal year's requests in line order.
    pub async fn tep_requests(&self, fiscal_year: i64) -> Result<Vec<TepRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE fiscal_year = $1 ORDER BY sequence"
        );
        let rows: Vec<RequestDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(request_row).collect())
    }

    /// The request an educator sent with this idempotency key, if any.
    pub async fn tep_request_by_key(
        &self,
        educator_id: i64,
        key: &str,
    ) -> Result<Option<TepRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE educator_id = $1 AND idempotency_key = $2"
        );
        let row: Option<RequestDbRow> = sqlx::query_as(&sql)
            .bind(educator_id)
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(request_row))
    }
}

impl Write {
    /// Opens a fiscal year or changes its appropriation; `false` when the
    /// new appropriation is below what is committed and paid (the CHECK
    /// would refuse it).
    pub async fn set_tep_appropriation(
        &mut self,
        fiscal_year: i64,
        appropriation_cents: i64,
        now: i64,
    ) -> Result<bool> {
        let held: Option<(i64, i64)> = sqlx::query_as(
            "SELECT committed_cents, paid_cents FROM tep_fiscal_years WHERE fiscal_year = $1",
        )
        .bind(fiscal_year)
        .fetch_optional(&mut *self.tx)
        .await?;
        if held.is_some_and(|(c, p)| c + p > appropriation_cents) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO tep_fiscal_years (fiscal_year, appropriation_cents, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (fiscal_year) DO UPDATE SET appropriation_cents = excluded.appropriation_cents, updated_at = excluded.updated_at",
        )
        .bind(fiscal_year)
        .bind(appropriation_cents)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(true)
    }

    /// Takes the next number of the fiscal year's line. The row stays
    /// locked to this transaction until it ends (PostgreSQL; SQLite's
    /// writer lock holds the whole database), so bookings are serial.
    pub async fn take_tep_sequence(&mut self, fiscal_year: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE tep_fiscal_years SET next_sequence = next_sequence + 1 \
             WHERE fiscal_year = $1 RETURNING next_sequence - 1",
        )
        .bind(fiscal_year)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The fiscal year's row, read in the transaction.
    pub async fn tep_year(&mut self, fiscal_year: i64) -> Result<Option<TepYearRow>> {
        let sql = format!("SELECT {YEAR_COLUMNS} FROM tep_fiscal_years WHERE fiscal_year = $1");
        let row: Option<YearDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(year_row))
    }

    /// An educator's facts, read in the transaction.
    pub async fn tep_educator(&mut self, user_id: i64) -> Result<Option<TepEducatorRow>> {
        let sql = format!("SELECT {EDUCATOR_COLUMNS} FROM tep_educators WHERE user_id = $1");
        let row: Option<EducatorDbRow> = sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(educator_row))
    }

    /// The employer's answer for each educator with a request in the
    /// fiscal year (`confirmed`, `rejected` or none), in one read.
    pub async fn tep_verifications(
        &mut self,
        fiscal_year: i64,
    ) -> Result<Vec<(i64, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT r.educator_id, e.verification FROM tep_requests r \
             LEFT JOIN tep_educators e ON e.user_id = r.educator_id WHERE r.fiscal_year = $1",
        )
        .bind(fiscal_year)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// An educator's requests of every year, read in the transaction.
    pub async fn tep_requests_of(&mut self, educator_id: i64) -> Result<Vec<TepRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE educator_id = $1 ORDER BY fiscal_year, sequence"
        );
        let rows: Vec<RequestDbRow> = sqlx::query_as(&sql)
            .bind(educator_id)
            .fetch_all(&mut *self.tx)
            .await?;
        Ok(rows.into_iter().map(request_row).collect())
    }

    /// The fiscal year's requests, read in the booking's transaction.
    pub async fn tep_requests(&mut self, fiscal_year: i64) -> Result<Vec<TepRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE fiscal_year = $1 ORDER BY sequence"
        );
        let rows: Vec<RequestDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_all(&mut *self.tx)
            .await?;
        Ok(rows.into_iter().map(request_row).collect())
    }

    pub async fn insert_tep_request(&mut self, r: &NewTepRequest<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tep_requests (fiscal_year, sequence, educator_id, payment_type, amount_cents, \
             status, reason, idempotency_key, received_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(r.fiscal_year)
        .bind(r.sequence)
        .bind(r.educator_id)
        .bind(r.payment_type.to_string())
        .bind(r.amount_cents)
        .bind(r.status.to_string())
        .bind(r.reason.to_string())
        .bind(r.idempotency_key.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Moves a request from `from` to `to`; `false` when it was not in
    /// `from` any more.
    pub async fn move_tep_request(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tep_requests SET status = $3, reason = $4, updated_at = $5 WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(reason.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds to the year's committed and paid money. The table's CHECK
    /// refuses a total beyond the appropriation: the transaction fails.
    pub async fn add_tep_money(
        &mut self,
        fiscal_year: i64,
        committed_cents: i64,
        paid_cents: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tep_fiscal_years SET committed_cents = committed_cents + $2, \
             paid_cents = paid_cents + $3, updated_at = $4 WHERE fiscal_year = $1",
        )
        .bind(fiscal_year)
        .bind(committed_cents)
        .bind(paid_cents)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a decision on a request with its reason.
    pub async fn insert_tep_entry(
        &mut self,
        request_id: i64,
        from: Option<&str>,
        to: &str,
        reason: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tep_entries (request_id, from_status, to_status, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(request_id)
        .bind(from.map(str::to_string))
        .bind(to.to_string())
        .bind(reason.to_string())
        .bind(by)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn save_tep_educator(&mut self, e: &TepEducatorRow, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO tep_educators (user_id, license, role, nbpts, district_rcdts, school_rcdts, \
             full_time, originally_assigned, retired, verification, verification_reason, verified_by, verified_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (user_id) DO UPDATE SET license = excluded.license, role = excluded.role, \
             nbpts = excluded.nbpts, district_rcdts = excluded.district_rcdts, school_rcdts = excluded.school_rcdts, \
             full_time = excluded.full_time, originally_assigned = excluded.originally_assigned, \
             retired = excluded.retired, verification = excluded.verification, \
             verification_reason = excluded.verification_reason, verified_by = excluded.verified_by, \
             verified_at = excluded.verified_at, updated_at = excluded.updated_at",
        )
        .bind(e.user_id)
        .bind(e.license.clone())
        .bind(e.role.clone())
        .bind(e.nbpts.clone())
        .bind(e.district_rcdts.clone())
        .bind(e.school_rcdts.clone())
        .bind(i64::from(e.full_time))
        .bind(i64::from(e.originally_assigned))
        .bind(e.retired.clone())
        .bind(e.verification.clone())
        .bind(e.verification_reason.clone())
        .bind(e.verified_by)
        .bind(e.verified_at)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn tep_request(&mut self, id: i64) -> Result<Option<TepRequestRow>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM tep_requests WHERE id = $1");
        let row: Option<RequestDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(request_row))
    }

    /// Marks a request's reservation lapsed (`Some`) or clears the mark
    /// (`None`, once verified).
    pub async fn set_tep_lapsed(&mut self, id: i64, lapsed_at: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE tep_requests SET lapsed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(lapsed_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn insert_tep_agreement(&mut self, a: &NewTepAgreement<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tep_agreements (fiscal_year, mentor_id, kind, framework, administrator, goals, \
             duration, time_per_recipient, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(a.fiscal_year)
        .bind(a.mentor_id)
        .bind(a.kind.to_string())
        .bind(a.framework.to_string())
        .bind(a.administrator.to_string())
        .bind(a.goals.to_string())
        .bind(a.duration.to_string())
        .bind(a.time_per_recipient.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn insert_tep_recipient(
        &mut self,
        agreement_id: i64,
        recipient_id: i64,
        district_rcdts: Option<&str>,
        notified_at: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tep_agreement_recipients (agreement_id, recipient_id, district_rcdts, notified_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(agreement_id)
        .bind(recipient_id)
        .bind(district_rcdts.map(str::to_string))
        .bind(notified_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_tep_log(
        &mut self,
        agreement_id: i64,
        recipient_id: i64,
        day: &str,
        minutes: i64,
        addressed: &[String],
        needs: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tep_log_entries (agreement_id, recipient_id, day, minutes, addressed, needs, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(agreement_id)
        .bind(recipient_id)
        .bind(day.to_string())
        .bind(minutes)
        .bind(addressed.join("\n"))
        .bind(needs.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Signs a log line by its recipient; `false` when it was signed
    /// already or is not theirs.
    pub async fn sign_tep_log(&mut self, id: i64, recipient_id: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tep_log_entries SET signed_at = $3 WHERE id = $1 AND recipient_id = $2 AND signed_at IS NULL",
        )
        .bind(id)
        .bind(recipient_id)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every log line of a mentor's agreements in a fiscal year (both
    /// kinds), read in the payment's transaction.
    pub async fn tep_mentor_logs(
        &mut self,
        mentor_id: i64,
        fiscal_year: i64,
    ) -> Result<Vec<TepLogRow>> {
        let rows: Vec<LogDbRow> = sqlx::query_as(&mentor_logs_sql())
            .bind(mentor_id)
            .bind(fiscal_year)
            .fetch_all(&mut *self.tx)
            .await?;
        Ok(rows.into_iter().map(log_row).collect())
    }

    /// Publishes the (g) announcement; `false` when the year has one.
    pub async fn insert_tep_announcement(&mut self, a: &TepAnnouncementRow) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO tep_announcements (fiscal_year, amount_cents, purposes, stipend_cents, who_may_take_part, \
             how_to_apply, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (fiscal_year) DO NOTHING",
        )
        .bind(a.fiscal_year)
        .bind(a.amount_cents)
        .bind(a.purposes.clone())
        .bind(a.stipend_cents)
        .bind(a.who_may_take_part.clone())
        .bind(a.how_to_apply.clone())
        .bind(a.published_by)
        .bind(a.published_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
