//! Peer Learning Partners: rounds, applications and engagements. Writes
//! go through `Write` so that each change commits with its audit record.

use crate::{Result, Snapshot, Store, Write};
use serde::{Deserialize, Serialize};

/// An application round: dates as `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRow {
    pub id: i64,
    pub name: String,
    pub opens_on: String,
    pub due_on: String,
    pub decision_on: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(default)]
    pub sustained_success: String,
    #[serde(default)]
    pub replication_plan: String,
    #[serde(default)]
    pub capacity_to_support: String,
}

/// What the applicant chooses and writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationFields {
    pub regions: Vec<String>,
    pub priority_areas: Vec<String>,
    pub services: Vec<String>,
    pub capacity: u32,
    pub contacts: Vec<Contact>,
    pub evidence: Evidence,
}

/// A school's application to a round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationRow {
    pub id: i64,
    pub school_rcdts: String,
    pub round_id: i64,
    /// `draft`, `submitted`, `approved` or `declined`.
    pub status: String,
    #[serde(flatten)]
    pub fields: ApplicationFields,
    /// The report card's facts when the school submitted.
    pub prefill: Option<Snapshot>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    /// Why an approved partner is flagged for review, if it is.
    pub review_reason: Option<String>,
    pub flagged_at: Option<i64>,
}

/// An engagement between a school in support and a partner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementRow {
    pub id: i64,
    pub school_rcdts: String,
    pub partner_application_id: i64,
    pub priority_area: String,
    pub starts_on: String,
    pub ends_on: String,
    pub agreement: String,
    pub budget_cents: i64,
    pub budget_description: String,
    /// `proposed` or `accepted`.
    pub status: String,
    pub created_at: i64,
    pub accepted_at: Option<i64>,
}

type RoundDbRow = (i64, String, String, String, String, i64);

fn round_row(r: RoundDbRow) -> RoundRow {
    RoundRow {
        id: r.0,
        name: r.1,
        opens_on: r.2,
        due_on: r.3,
        decision_on: r.4,
        created_at: r.5,
    }
}

const APPLICATION_COLUMNS: &str = "id, school_rcdts, round_id, status, regions, priority_areas, services, capacity, contacts, evidence, prefill, created_at, updated_at, submitted_at, decided_at, decision_reason, review_reason, flagged_at";

#[derive(sqlx::FromRow)]
struct ApplicationDbRow {
    id: i64,
    school_rcdts: String,
    round_id: i64,
    status: String,
    regions: String,
    priority_areas: String,
    services: String,
    capacity: i64,
    contacts: String,
    evidence: String,
    prefill: Option<String>,
    created_at: i64,
    updated_at: i64,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
    decision_reason: Option<String>,
    review_reason: Option<String>,
    flagged_at: Option<i64>,
}

fn application(r: ApplicationDbRow) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        id: r.id,
        school_rcdts: r.school_rcdts,
        round_id: r.round_id,
        status: r.status,
        fields: ApplicationFields {
            regions: serde_json::from_str(&r.regions)?,
            priority_areas: serde_json::from_str(&r.priority_areas)?,
            services: serde_json::from_str(&r.services)?,
            capacity: r.capacity.clamp(0, i64::from(u32::MAX)) as u32,
            contacts: serde_json::from_str(&r.contacts)?,
            evidence: serde_json::from_str(&r.evidence)?,
        },
        prefill: r.prefill.map(|p| serde_json::from_str(&p)).transpose()?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        submitted_at: r.submitted_at,
        decided_at: r.decided_at,
        decision_reason: r.decision_reason,
        review_reason: r.review_reason,
        flagged_at: r.flagged_at,
    })
}

const ENGAGEMENT_COLUMNS: &str = "id, school_rcdts, partner_application_id, priority_area, starts_on, ends_on, agreement, budget_cents, budget_description, status, created_at, accepted_at";

type EngagementDbRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    Option<i64>,
);

fn engagement(r: EngagementDbRow) -> EngagementRow {
    EngagementRow {
        id: r.0,
        school_rcdts: r.1,
        partner_application_id: r.2,
        priority_area: r.3,
        starts_on: r.4,
        ends_on: r.5,
        agreement: r.6,
        budget_cents: r.7,
        budget_description: r.8,
        status: r.9,
        created_at: r.10,
        accepted_at: r.11,
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl Store {
    /// Every round, newest first.
    pub async fn rounds(&self) -> Result<Vec<RoundRow>> {
        let rows: Vec<RoundDbRow> = sqlx::query_as(
            "SELECT id, name, opens_on, due_on, decision_on, created_at FROM partner_rounds ORDER BY opens_on DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(round_row).collect())
    }

    pub async fn round(&self, id: i64) -> Result<Option<RoundRow>> {
        let row: Option<RoundDbRow> = sqlx::query_as(
            "SELECT id, name, opens_on, due_on, decision_on, created_at FROM partner_rounds WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(round_row))
    }

    pub async fn application(&self, id: i64) -> Result<Option<ApplicationRow>> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM partner_applications WHERE id = $1");
        let row: Option<ApplicationDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(application).transpose()
    }

    /// Applications, newest first: of one school, of one status, or all.
    pub async fn applications(
        &self,
        school: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<ApplicationRow>> {
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM partner_applications \
             WHERE ($1 = '' OR school_rcdts = $1) AND ($2 = '' OR status = $2) \
             ORDER BY updated_at DESC, id DESC"
        );
        let rows: Vec<ApplicationDbRow> = sqlx::query_as(&sql)
            .bind(school.unwrap_or("").to_string())
            .bind(status.unwrap_or("").to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(application).collect()
    }

    /// Engagements of a school in support, or of a partner (by its
    /// approved application), newest first.
    pub async fn engagements(
        &self,
        school: Option<&str>,
        partner_application: Option<i64>,
    ) -> Result<Vec<EngagementRow>> {
        let sql = format!(
            "SELECT {ENGAGEMENT_COLUMNS} FROM engagements \
             WHERE ($1 = '' OR school_rcdts = $1) AND ($2 = 0 OR partner_application_id = $2) \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<EngagementDbRow> = sqlx::query_as(&sql)
            .bind(school.unwrap_or("").to_string())
            .bind(partner_application.unwrap_or(0))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(engagement).collect())
    }

    pub async fn engagement(&self, id: i64) -> Result<Option<EngagementRow>> {
        let sql = format!("SELECT {ENGAGEMENT_COLUMNS} FROM engagements WHERE id = $1");
        let row: Option<EngagementDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(engagement))
    }
}

impl Write {
    pub async fn insert_round(
        &mut self,
        name: &str,
        opens_on: &str,
        due_on: &str,
        decision_on: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<RoundRow> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO partner_rounds (name, opens_on, due_on, decision_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name.to_string())
        .bind(opens_on.to_string())
        .bind(due_on.to_string())
        .bind(decision_on.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(RoundRow {
            id,
            name: name.into(),
            opens_on: opens_on.into(),
            due_on: due_on.into(),
            decision_on: decision_on.into(),
            created_at: now,
        })
    }

    /// A new draft; `None` when the school has an application in that
    /// round already.
    pub async fn insert_application(
        &mut self,
        school: &str,
        round_id: i64,
        fields: &ApplicationFields,
        by: Option<i64>,
        now: i64,
    ) -> Result<Option<i64>> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM partner_applications WHERE school_rcdts = $1 AND round_id = $2",
        )
        .bind(school.to_string())
        .bind(round_id)
        .fetch_one(&mut *self.tx)
        .await?;
        if exists > 0 {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO partner_applications (school_rcdts, round_id, status, regions, priority_areas, services, \
             capacity, contacts, evidence, created_by, created_at, updated_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(school.to_string())
        .bind(round_id)
        .bind(json(&fields.regions))
        .bind(json(&fields.priority_areas))
        .bind(json(&fields.services))
        .bind(i64::from(fields.capacity))
        .bind(json(&fields.contacts))
        .bind(json(&fields.evidence))
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(Some(id))
    }

    pub async fn update_application(
        &mut self,
        id: i64,
        fields: &ApplicationFields,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE partner_applications SET regions = $1, priority_areas = $2, services = $3, capacity = $4, \
             contacts = $5, evidence = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(json(&fields.regions))
        .bind(json(&fields.priority_areas))
        .bind(json(&fields.services))
        .bind(i64::from(fields.capacity))
        .bind(json(&fields.contacts))
        .bind(json(&fields.evidence))
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Moves an application from `from` to `to`; `false` when it was not
    /// in `from` (a second request racing the first loses here).
    pub async fn move_application(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE partner_applications SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.to_string())
        .bind(now)
        .bind(id)
        .bind(from.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn record_submission(&mut self, id: i64, prefill: &Snapshot, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE partner_applications SET prefill = $1, submitted_at = $2 WHERE id = $3",
        )
        .bind(prefill.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records the state's decision and clears any review flag.
    pub async fn record_decision(
        &mut self,
        id: i64,
        reason: &str,
        by: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE partner_applications SET decided_at = $1, decided_by = $2, decision_reason = $3, \
             review_reason = NULL, flagged_at = NULL WHERE id = $4",
        )
        .bind(now)
        .bind(by)
        .bind(reason.to_string())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Flags an approved partner for review; `false` when it was flagged
    /// already.
    pub async fn flag_for_review(&mut self, id: i64, reason: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE partner_applications SET review_reason = $1, flagged_at = $2 WHERE id = $3 AND review_reason IS NULL",
        )
        .bind(reason.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_engagement(
        &mut self,
        school: &str,
        partner_application_id: i64,
        priority_area: &str,
        starts_on: &str,
        ends_on: &str,
        agreement: &str,
        budget_cents: i64,
        budget_description: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO engagements (school_rcdts, partner_application_id, priority_area, starts_on, ends_on, \
             agreement, budget_cents, budget_description, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9, $10) RETURNING id",
        )
        .bind(school.to_string())
        .bind(partner_application_id)
        .bind(priority_area.to_string())
        .bind(starts_on.to_string())
        .bind(ends_on.to_string())
        .bind(agreement.to_string())
        .bind(budget_cents)
        .bind(budget_description.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Accepts a proposed engagement; `false` when it was not proposed.
    pub async fn accept_engagement(&mut self, id: i64, by: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE engagements SET status = 'accepted', accepted_by = $1, accepted_at = $2 WHERE id = $3 AND status = 'proposed'",
        )
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Whose evidence files: a partner application's, or a needs
/// assessment's (each file there for one indicator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilesOf {
    Application(i64),
    Assessment(i64),
}

impl FilesOf {
    fn table(self) -> &'static str {
        match self {
            FilesOf::Application(_) => "evidence_files",
            FilesOf::Assessment(_) => "assessment_files",
        }
    }

    fn owner_column(self) -> &'static str {
        match self {
            FilesOf::Application(_) => "application_id",
            FilesOf::Assessment(_) => "assessment_id",
        }
    }

    /// The indicator column (applications' files have none).
    fn indicator_column(self) -> &'static str {
        match self {
            FilesOf::Application(_) => "''",
            FilesOf::Assessment(_) => "indicator",
        }
    }

    fn id(self) -> i64 {
        match self {
            FilesOf::Application(id) | FilesOf::Assessment(id) => id,
        }
    }

    fn columns(self) -> String {
        format!(
            "id, {}, {}, file_name, content_type, size_bytes, sha256, uploaded_at",
            self.owner_column(),
            self.indicator_column()
        )
    }
}

/// An evidence file, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub id: i64,
    /// The application's or the assessment's id.
    pub owner_id: i64,
    /// The indicator it is evidence for (a needs assessment's files).
    pub indicator: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

type EvidenceDbRow = (i64, i64, String, String, String, i64, String, i64);

fn evidence_file(r: EvidenceDbRow) -> EvidenceFile {
    EvidenceFile {
        id: r.0,
        owner_id: r.1,
        indicator: Some(r.2).filter(|i| !i.is_empty()),
        file_name: r.3,
        content_type: r.4,
        size_bytes: r.5,
        sha256: r.6,
        uploaded_at: r.7,
    }
}

impl Store {
    /// The evidence files of an application or assessment, oldest first.
    pub async fn evidence_files(&self, of: FilesOf) -> Result<Vec<EvidenceFile>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1 ORDER BY id",
            of.columns(),
            of.table(),
            of.owner_column()
        );
        let rows: Vec<EvidenceDbRow> = sqlx::query_as(&sql)
            .bind(of.id())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(evidence_file).collect())
    }

    /// One evidence file, with its bytes.
    pub async fn evidence_file(
        &self,
        of: FilesOf,
        id: i64,
    ) -> Result<Option<(EvidenceFile, Vec<u8>)>> {
        let sql = format!(
            "SELECT {}, content FROM {} WHERE {} = $1 AND id = $2",
            of.columns(),
            of.table(),
            of.owner_column()
        );
        type WithContent = (i64, i64, String, String, String, i64, String, i64, Vec<u8>);
        let row: Option<WithContent> = sqlx::query_as(&sql)
            .bind(of.id())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (evidence_file((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7)), r.8)))
    }
}

impl Write {
    /// How many files an application or assessment holds (read in the
    /// transaction that adds one, so that two uploads at once cannot pass
    /// the limit).
    pub async fn evidence_file_count(&mut self, of: FilesOf) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {} = $1",
            of.table(),
            of.owner_column()
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(of.id())
            .fetch_one(&mut *self.tx)
            .await?)
    }

    /// Adds a file; `indicator` is required for an assessment's file and
    /// ignored for an application's.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_evidence_file(
        &mut self,
        of: FilesOf,
        indicator: Option<&str>,
        file_name: &str,
        content_type: &str,
        sha256: &str,
        content: &[u8],
        by: i64,
        now: i64,
    ) -> Result<EvidenceFile> {
        let (extra_column, extra_value) = match of {
            FilesOf::Application(_) => ("", ""),
            FilesOf::Assessment(_) => (", indicator", ", $9"),
        };
        let sql = format!(
            "INSERT INTO {} ({}, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at{extra_column}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8{extra_value}) RETURNING id",
            of.table(),
            of.owner_column()
        );
        let mut query = sqlx::query_scalar(&sql)
            .bind(of.id())
            .bind(file_name.to_string())
            .bind(content_type.to_string())
            .bind(content.len() as i64)
            .bind(sha256.to_string())
            .bind(content.to_vec())
            .bind(by)
            .bind(now);
        let indicator = match of {
            FilesOf::Application(_) => None,
            FilesOf::Assessment(_) => Some(indicator.unwrap_or_default().to_string()),
        };
        if let Some(i) = &indicator {
            query = query.bind(i.clone());
        }
        let id: i64 = query.fetch_one(&mut *self.tx).await?;
        Ok(EvidenceFile {
            id,
            owner_id: of.id(),
            indicator,
            file_name: file_name.into(),
            content_type: content_type.into(),
            size_bytes: content.len() as i64,
            sha256: sha256.into(),
            uploaded_at: now,
        })
    }

    /// Removes a file; `false` when there was none.
    pub async fn delete_evidence_file(&mut self, of: FilesOf, id: i64) -> Result<bool> {
        let sql = format!(
            "DELETE FROM {} WHERE {} = $1 AND id = $2",
            of.table(),
            of.owner_column()
        );
        let done = sqlx::query(&sql)
            .bind(of.id())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
