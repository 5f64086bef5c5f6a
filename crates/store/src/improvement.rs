//! The improvement cycle: a school's allocation and coordinator, help-line
//! requests, needs assessments and work plans with their versions and
//! events. Documents go in as any `Serialize` value and come back as
//! `Snapshot` (JSON) for the use cases to read into the engine's types.

use crate::{Result, Snapshot, Store, Write};
use serde::{Deserialize, Serialize};

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn doc(s: &str) -> Result<Snapshot> {
    Ok(serde_json::from_str(s)?)
}

/// What the program adds to a school's support status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRow {
    pub rcdts: String,
    pub allocation_cents: Option<i64>,
    pub coordinator_id: Option<i64>,
    pub coordinator_name: Option<String>,
    pub coordinator_email: Option<String>,
}

type SupportDbRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

const SUPPORT_SELECT: &str =
    "SELECT s.rcdts, s.allocation_cents, s.coordinator_id, u.name, u.email \
     FROM school_support s LEFT JOIN users u ON u.id = s.coordinator_id";

fn support_row(r: SupportDbRow) -> SupportRow {
    SupportRow {
        rcdts: r.0,
        allocation_cents: r.1,
        coordinator_id: r.2,
        coordinator_name: r.3,
        coordinator_email: r.4,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRequestRow {
    pub id: i64,
    pub school_rcdts: String,
    pub subject: String,
    pub body: String,
    /// `open`, `answered` or `closed`.
    pub status: String,
    pub assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

type HelpDbRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

fn help_row(r: HelpDbRow) -> HelpRequestRow {
    HelpRequestRow {
        id: r.0,
        school_rcdts: r.1,
        subject: r.2,
        body: r.3,
        status: r.4,
        assignee_id: r.5,
        created_by: r.6,
        created_at: r.7,
        updated_at: r.8,
    }
}

const HELP_COLUMNS: &str =
    "id, school_rcdts, subject, body, status, assignee_id, created_by, created_at, updated_at";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpReplyRow {
    pub id: i64,
    pub request_id: i64,
    pub body: String,
    pub created_by: Option<i64>,
    pub author: Option<String>,
    pub created_at: i64,
}

/// A needs assessment of a school for a school year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRow {
    pub id: i64,
    pub school_rcdts: String,
    pub school_year: i64,
    /// `draft` or `submitted`.
    pub status: String,
    pub content: Snapshot,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub submitted_on: Option<String>,
}

type AssessmentDbRow = (
    i64,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

const ASSESSMENT_COLUMNS: &str = "id, school_rcdts, school_year, status, content, created_at, updated_at, submitted_at, submitted_on";

fn assessment_row(r: AssessmentDbRow) -> Result<AssessmentRow> {
    Ok(AssessmentRow {
        id: r.0,
        school_rcdts: r.1,
        school_year: r.2,
        status: r.3,
        content: doc(&r.4)?,
        created_at: r.5,
        updated_at: r.6,
        submitted_at: r.7,
        submitted_on: r.8,
    })
}

/// A work plan of a school for a school year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    pub id: i64,
    pub school_rcdts: String,
    pub school_year: i64,
    pub status: String,
    pub version: i64,
    pub content: Snapshot,
    pub first_submitted_on: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type PlanDbRow = (
    i64,
    String,
    i64,
    String,
    i64,
    String,
    Option<String>,
    i64,
    i64,
);

const PLAN_COLUMNS: &str = "id, school_rcdts, school_year, status, version, content, first_submitted_on, created_at, updated_at";

fn plan_row(r: PlanDbRow) -> Result<PlanRow> {
    Ok(PlanRow {
        id: r.0,
        school_rcdts: r.1,
        school_year: r.2,
        status: r.3,
        version: r.4,
        content: doc(&r.5)?,
        first_submitted_on: r.6,
        created_at: r.7,
        updated_at: r.8,
    })
}

/// A submitted version of a plan, as the reviewers read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanVersionRow {
    pub version: i64,
    pub content: Snapshot,
    pub sections: Snapshot,
    pub submitted_by: Option<i64>,
    pub submitted_at: i64,
    pub submitted_on: String,
}

/// A transition of a plan: who, when, what, with comments per section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanEventRow {
    pub id: i64,
    pub version: i64,
    pub action: String,
    pub level: Option<String>,
    pub decision: Option<String>,
    pub from_status: String,
    pub to_status: String,
    pub comments: Snapshot,
    pub created_by: Option<i64>,
    pub author: Option<String>,
    pub created_at: i64,
}

/// A new transition to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlanEvent<'a> {
    pub plan_id: i64,
    pub version: i64,
    pub action: &'a str,
    pub level: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub comments: Snapshot,
    pub by: i64,
    pub at: i64,
}

impl Store {
    pub async fn support(&self, rcdts: &str) -> Result<Option<SupportRow>> {
        let row: Option<SupportDbRow> =
            sqlx::query_as(&format!("{SUPPORT_SELECT} WHERE s.rcdts = $1"))
                .bind(rcdts.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(support_row))
    }

    /// Every school's allocation and coordinator.
    pub async fn supports(&self) -> Result<Vec<SupportRow>> {
        let rows: Vec<SupportDbRow> = sqlx::query_as(&format!("{SUPPORT_SELECT} ORDER BY s.rcdts"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(support_row).collect())
    }

    /// Help requests, newest first: of one school or all.
    pub async fn help_requests(&self, school: Option<&str>) -> Result<Vec<HelpRequestRow>> {
        let rows: Vec<HelpDbRow> = sqlx::query_as(&format!(
            "SELECT {HELP_COLUMNS} FROM help_requests WHERE ($1 = '' OR school_rcdts = $1) ORDER BY updated_at DESC, id DESC"
        ))
        .bind(school.unwrap_or("").to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(help_row).collect())
    }

    pub async fn help_request(&self, id: i64) -> Result<Option<HelpRequestRow>> {
        let row: Option<HelpDbRow> = sqlx::query_as(&format!(
            "SELECT {HELP_COLUMNS} FROM help_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(help_row))
    }

    pub async fn help_replies(&self, request_id: i64) -> Result<Vec<HelpReplyRow>> {
        type Row = (i64, i64, String, Option<i64>, Option<String>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.id, r.request_id, r.body, r.created_by, u.name, r.created_at \
             FROM help_replies r LEFT JOIN users u ON u.id = r.created_by \
             WHERE r.request_id = $1 ORDER BY r.id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| HelpReplyRow {
                id: r.0,
                request_id: r.1,
                body: r.2,
                created_by: r.3,
                author: r.4,
                created_at: r.5,
            })
            .collect())
    }

    pub async fn assessment(&self, id: i64) -> Result<Option<AssessmentRow>> {
        let row: Option<AssessmentDbRow> = sqlx::query_as(&format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM needs_assessments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(assessment_row).transpose()
    }

    /// Assessments, of one school or all, newest school year first.
    pub async fn assessments(&self, school: Option<&str>) -> Result<Vec<AssessmentRow>> {
        let rows: Vec<AssessmentDbRow> = sqlx::query_as(&format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM needs_assessments WHERE ($1 = '' OR school_rcdts = $1) \
             ORDER BY school_year DESC, id DESC"
        ))
        .bind(school.unwrap_or("").to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(assessment_row).collect()
    }

    pub async fn plan(&self, id: i64) -> Result<Option<PlanRow>> {
        let row: Option<PlanDbRow> = sqlx::query_as(&format!(
            "SELECT {PLAN_COLUMNS} FROM work_plans WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(plan_row).transpose()
    }

    /// Plans, of one school or all, newest school year first.
    pub async fn plans(&self, school: Option<&str>) -> Result<Vec<PlanRow>> {
        let rows: Vec<PlanDbRow> = sqlx::query_as(&format!(
            "SELECT {PLAN_COLUMNS} FROM work_plans WHERE ($1 = '' OR school_rcdts = $1) \
             ORDER BY school_year DESC, id DESC"
        ))
        .bind(school.unwrap_or("").to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(plan_row).collect()
    }

    /// A plan's submitted versions, oldest first.
    pub async fn plan_versions(&self, plan_id: i64) -> Result<Vec<PlanVersionRow>> {
        type Row = (i64, String, String, Option<i64>, i64, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT version, content, sections, submitted_by, submitted_at, submitted_on \
             FROM work_plan_versions WHERE plan_id = $1 ORDER BY version",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PlanVersionRow {
                    version: r.0,
                    content: doc(&r.1)?,
                    sections: doc(&r.2)?,
                    submitted_by: r.3,
                    submitted_at: r.4,
                    submitted_on: r.5,
                })
            })
            .collect()
    }

    /// A plan's transitions, oldest first.
    pub async fn plan_events(&self, plan_id: i64) -> Result<Vec<PlanEventRow>> {
        type Row = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.id, e.version, e.action, e.level, e.decision, e.from_status, e.to_status, e.comments, \
             e.created_by, u.name, e.created_at \
             FROM work_plan_events e LEFT JOIN users u ON u.id = e.created_by \
             WHERE e.plan_id = $1 ORDER BY e.id",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PlanEventRow {
                    id: r.0,
                    version: r.1,
                    action: r.2,
                    level: r.3,
                    decision: r.4,
                    from_status: r.5,
                    to_status: r.6,
                    comments: doc(&r.7)?,
                    created_by: r.8,
                    author: r.9,
                    created_at: r.10,
                })
            })
            .collect()
    }
}

/// A reminder queued before: school, school year, item, e-mail, the day.
pub type ReminderRow = (String, i64, String, String, String);

impl Store {
    /// The reminders queued on or after the day `since` (`YYYY-MM-DD`).
    pub async fn reminders_since(&self, since: &str) -> Result<Vec<ReminderRow>> {
        Ok(sqlx::query_as(
            "SELECT school_rcdts, school_year, item, to_email, queued_on FROM reminders \
             WHERE queued_on >= $1 ORDER BY queued_on",
        )
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Write {
    /// Records a reminder; `false` when the same one was queued the same
    /// day already (a concurrent run), so that it is not mailed twice.
    pub async fn insert_reminder(
        &mut self,
        school: &str,
        school_year: i64,
        item: &str,
        to: &str,
        on: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO reminders (school_rcdts, school_year, item, to_email, queued_on, queued_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(school.to_string())
        .bind(school_year)
        .bind(item.to_string())
        .bind(to.to_string())
        .bind(on.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a school's 1003(a) allocation (`None` clears it).
    pub async fn set_allocation(
        &mut self,
        rcdts: &str,
        cents: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO school_support (rcdts, allocation_cents, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (rcdts) DO UPDATE SET allocation_cents = excluded.allocation_cents, updated_at = excluded.updated_at",
        )
        .bind(rcdts.to_string())
        .bind(cents)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Assigns a school's coordinator (`None` removes the assignment).
    pub async fn set_coordinator(
        &mut self,
        rcdts: &str,
        user: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO school_support (rcdts, coordinator_id, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (rcdts) DO UPDATE SET coordinator_id = excluded.coordinator_id, updated_at = excluded.updated_at",
        )
        .bind(rcdts.to_string())
        .bind(user)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_help_request(
        &mut self,
        school: &str,
        subject: &str,
        body: &str,
        by: i64,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO help_requests (school_rcdts, subject, body, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'open', $4, $5, $5) RETURNING id",
        )
        .bind(school.to_string())
        .bind(subject.to_string())
        .bind(body.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Adds a reply and sets the request's status (and its assignee when
    /// given).
    pub async fn insert_help_reply(
        &mut self,
        request_id: i64,
        body: &str,
        status: &str,
        assignee: Option<i64>,
        by: i64,
        now: i64,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO help_replies (request_id, body, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(request_id)
        .bind(body.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query(
            "UPDATE help_requests SET status = $1, assignee_id = COALESCE($2, assignee_id), updated_at = $3 WHERE id = $4",
        )
        .bind(status.to_string())
        .bind(assignee)
        .bind(now)
        .bind(request_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }

    /// A new draft assessment; `None` when the school has one for the
    /// school year.
    pub async fn insert_assessment<T: Serialize>(
        &mut self,
        school: &str,
        school_year: i64,
        content: &T,
        by: i64,
        now: i64,
    ) -> Result<Option<i64>> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM needs_assessments WHERE school_rcdts = $1 AND school_year = $2",
        )
        .bind(school.to_string())
        .bind(school_year)
        .fetch_one(&mut *self.tx)
        .await?;
        if exists > 0 {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar(
                "INSERT INTO needs_assessments (school_rcdts, school_year, status, content, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 'draft', $3, $4, $5, $5) RETURNING id",
            )
            .bind(school.to_string())
            .bind(school_year)
            .bind(json(content))
            .bind(by)
            .bind(now)
            .fetch_one(&mut *self.tx)
            .await?,
        ))
    }

    /// Changes a draft assessment; `false` when it is submitted.
    pub async fn update_assessment<T: Serialize>(
        &mut self,
        id: i64,
        content: &T,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE needs_assessments SET content = $1, updated_at = $2 WHERE id = $3 AND status = 'draft'",
        )
        .bind(json(content))
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Submits a draft assessment on the state's date `on`; `false` when
    /// it was submitted already.
    pub async fn submit_assessment(&mut self, id: i64, now: i64, on: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE needs_assessments SET status = 'submitted', submitted_at = $1, submitted_on = $2, updated_at = $1 \
             WHERE id = $3 AND status = 'draft'",
        )
        .bind(now)
        .bind(on.to_string())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A new draft plan (version 1); `None` when the school has one for
    /// the school year.
    pub async fn insert_plan<T: Serialize>(
        &mut self,
        school: &str,
        school_year: i64,
        content: &T,
        by: i64,
        now: i64,
    ) -> Result<Option<i64>> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM work_plans WHERE school_rcdts = $1 AND school_year = $2",
        )
        .bind(school.to_string())
        .bind(school_year)
        .fetch_one(&mut *self.tx)
        .await?;
        if exists > 0 {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar(
                "INSERT INTO work_plans (school_rcdts, school_year, status, version, content, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 'draft', 1, $3, $4, $5, $5) RETURNING id",
            )
            .bind(school.to_string())
            .bind(school_year)
            .bind(json(content))
            .bind(by)
            .bind(now)
            .fetch_one(&mut *self.tx)
            .await?,
        ))
    }

    /// Changes a plan's content while it is draft or returned; `false`
    /// otherwise (the database refuses to change a plan under review or
    /// approved).
    pub async fn update_plan<T: Serialize>(
        &mut self,
        id: i64,
        content: &T,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE work_plans SET content = $1, updated_at = $2 WHERE id = $3 AND status IN ('draft', 'returned')",
        )
        .bind(json(content))
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves a plan from `from` to `to` at `version`; the first
    /// submission's date is kept once set. `false` when the plan was not
    /// in `from` (someone else moved it first).
    pub async fn move_plan(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        version: i64,
        submitted_on: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE work_plans SET status = $1, version = $2, \
             first_submitted_on = COALESCE(first_submitted_on, $3), updated_at = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(to.to_string())
        .bind(version)
        .bind(submitted_on.map(str::to_string))
        .bind(now)
        .bind(id)
        .bind(from.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_plan_version<C: Serialize, S: Serialize>(
        &mut self,
        plan_id: i64,
        version: i64,
        content: &C,
        sections: &S,
        by: i64,
        now: i64,
        on: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO work_plan_versions (plan_id, version, content, sections, submitted_by, submitted_at, submitted_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(plan_id)
        .bind(version)
        .bind(json(content))
        .bind(json(sections))
        .bind(by)
        .bind(now)
        .bind(on.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_plan_event(&mut self, e: &NewPlanEvent<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO work_plan_events (plan_id, version, action, level, decision, from_status, to_status, comments, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(e.plan_id)
        .bind(e.version)
        .bind(e.action.to_string())
        .bind(e.level.map(str::to_string))
        .bind(e.decision.map(str::to_string))
        .bind(e.from_status.to_string())
        .bind(e.to_status.to_string())
        .bind(json(&e.comments))
        .bind(e.by)
        .bind(e.at)
        .fetch_one(&mut *self.tx)
        .await?)
    }
}
