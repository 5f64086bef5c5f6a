//! Resource Allocation Reviews' records: the state's changes to the
//! selection, notices with their letters and acknowledgements
//! (`migrations/*/0011_rar.sql`).

use crate::{Result, Store, Write};
use serde::{Deserialize, Serialize};

/// A change of a district's selection, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarOverrideRow {
    pub id: i64,
    pub fiscal_year: i64,
    pub district_rcdts: String,
    pub selected: bool,
    pub reason: String,
    pub decided_by: i64,
    pub decided_at: i64,
}

/// A notice as issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarNoticeRow {
    pub id: i64,
    pub fiscal_year: i64,
    pub district_rcdts: String,
    /// `YYYY-MM-DD`, the state's calendar.
    pub issued_on: String,
    pub late: bool,
    /// The e-mail addresses it went to.
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
    pub issued_by: i64,
    pub issued_at: i64,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

const NOTICE_COLUMNS: &str =
    "id, fiscal_year, district_rcdts, issued_on, late, recipients, subject, body, \
     issued_by, issued_at, acknowledged_by, acknowledged_at";

type NoticeDbRow = (
    i64,
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn notice_row(r: NoticeDbRow) -> RarNoticeRow {
    RarNoticeRow {
        id: r.0,
        fiscal_year: r.1,
        district_rcdts: r.2,
        issued_on: r.3,
        late: r.4 != 0,
        recipients: r.5.lines().map(str::to_string).collect(),
        subject: r.6,
        body: r.7,
        issued_by: r.8,
        issued_at: r.9,
        acknowledged_by: r.10,
        acknowledged_at: r.11,
    }
}

impl Store {
    /// The state's changes of a fiscal year's selection, oldest first.
    pub async fn rar_overrides(&self, fiscal_year: i64) -> Result<Vec<RarOverrideRow>> {
        let rows: Vec<(i64, i64, String, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, fiscal_year, district_rcdts, selected, reason, decided_by, decided_at \
             FROM rar_overrides WHERE fiscal_year = $1 ORDER BY id",
        )
        .bind(fiscal_year)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RarOverrideRow {
                id: r.0,
                fiscal_year: r.1,
                district_rcdts: r.2,
                selected: r.3 != 0,
                reason: r.4,
                decided_by: r.5,
                decided_at: r.6,
            })
            .collect())
    }

    /// A fiscal year's notices, by district.
    pub async fn rar_notices(&self, fiscal_year: i64) -> Result<Vec<RarNoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM rar_notices WHERE fiscal_year = $1 ORDER BY district_rcdts"
        );
        let rows: Vec<NoticeDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(notice_row).collect())
    }

    /// A district's notices, newest first.
    pub async fn rar_notices_of(&self, district: &str) -> Result<Vec<RarNoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM rar_notices WHERE district_rcdts = $1 ORDER BY fiscal_year DESC"
        );
        let rows: Vec<NoticeDbRow> = sqlx::query_as(&sql)
            .bind(district.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(notice_row).collect())
    }

    pub async fn rar_notice(&self, id: i64) -> Result<Option<RarNoticeRow>> {
        let sql = format!("SELECT {NOTICE_COLUMNS} FROM rar_notices WHERE id = $1");
        let row: Option<NoticeDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(notice_row))
    }
}

/// A notice to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRarNotice<'a> {
    pub fiscal_year: i64,
    pub district_rcdts: &'a str,
    pub issued_on: &'a str,
    pub late: bool,
    pub recipients: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub issued_by: i64,
}

impl Write {
    pub async fn insert_rar_override(
        &mut self,
        fiscal_year: i64,
        district: &str,
        selected: bool,
        reason: &str,
        by: i64,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rar_overrides (fiscal_year, district_rcdts, selected, reason, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(fiscal_year)
        .bind(district.to_string())
        .bind(i64::from(selected))
        .bind(reason.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Records a notice; `None` when the district has one for the year.
    pub async fn insert_rar_notice(
        &mut self,
        n: &NewRarNotice<'_>,
        now: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rar_notices (fiscal_year, district_rcdts, issued_on, late, recipients, subject, body, \
             issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (fiscal_year, district_rcdts) DO NOTHING RETURNING id",
        )
        .bind(n.fiscal_year)
        .bind(n.district_rcdts.to_string())
        .bind(n.issued_on.to_string())
        .bind(i64::from(n.late))
        .bind(n.recipients.join("\n"))
        .bind(n.subject.to_string())
        .bind(n.body.to_string())
        .bind(n.issued_by)
        .bind(now)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Acknowledges a notice; `false` when it was acknowledged already.
    pub async fn acknowledge_rar_notice(&mut self, id: i64, by: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE rar_notices SET acknowledged_by = $2, acknowledged_at = $3 \
             WHERE id = $1 AND acknowledged_at IS NULL",
        )
        .bind(id)
        .bind(by)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
