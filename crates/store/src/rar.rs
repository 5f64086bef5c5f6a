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

/// A district's review of a fiscal year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarReviewRow {
    pub id: i64,
    pub fiscal_year: i64,
    pub district_rcdts: String,
    /// `facilitated` (by the state) or `self-guided`.
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub scheduled_on: String,
    pub created_by: i64,
    pub created_at: i64,
}

/// One rating: a member's own, or the team's (`rater_id` is who settled
/// it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarRatingRow {
    pub rater_id: i64,
    pub rater_name: String,
    pub property: String,
    pub level: String,
    pub evidence: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarCommentRow {
    pub id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarGoalUpdateRow {
    pub status: String,
    pub note: String,
    pub updated_by_name: String,
    pub updated_at: i64,
}

/// A goal for improvement with its progress, oldest update first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RarGoalRow {
    pub id: i64,
    pub review_id: i64,
    pub property: String,
    pub goal: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub created_at: i64,
    pub updates: Vec<RarGoalUpdateRow>,
}

const REVIEW_COLUMNS: &str =
    "id, fiscal_year, district_rcdts, kind, scheduled_on, created_by, created_at";

type ReviewDbRow = (i64, i64, String, String, String, i64, i64);

fn review_row(r: ReviewDbRow) -> RarReviewRow {
    RarReviewRow {
        id: r.0,
        fiscal_year: r.1,
        district_rcdts: r.2,
        kind: r.3,
        scheduled_on: r.4,
        created_by: r.5,
        created_at: r.6,
    }
}

type RatingDbRow = (i64, String, String, String, String, i64);

fn rating_row(r: RatingDbRow) -> RarRatingRow {
    RarRatingRow {
        rater_id: r.0,
        rater_name: r.1,
        property: r.2,
        level: r.3,
        evidence: r.4,
        updated_at: r.5,
    }
}

impl Store {
    pub async fn rar_review(&self, id: i64) -> Result<Option<RarReviewRow>> {
        let sql = format!("SELECT {REVIEW_COLUMNS} FROM rar_reviews WHERE id = $1");
        let row: Option<ReviewDbRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(review_row))
    }

    /// The district's review of the fiscal year, if any.
    pub async fn rar_review_of(
        &self,
        fiscal_year: i64,
        district: &str,
    ) -> Result<Option<RarReviewRow>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM rar_reviews WHERE fiscal_year = $1 AND district_rcdts = $2"
        );
        let row: Option<ReviewDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .bind(district.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(review_row))
    }

    /// A district's reviews, newest first.
    pub async fn rar_reviews_of(&self, district: &str) -> Result<Vec<RarReviewRow>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM rar_reviews WHERE district_rcdts = $1 ORDER BY fiscal_year DESC"
        );
        let rows: Vec<ReviewDbRow> = sqlx::query_as(&sql)
            .bind(district.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(review_row).collect())
    }

    /// A fiscal year's reviews.
    pub async fn rar_reviews(&self, fiscal_year: i64) -> Result<Vec<RarReviewRow>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM rar_reviews WHERE fiscal_year = $1 ORDER BY district_rcdts"
        );
        let rows: Vec<ReviewDbRow> = sqlx::query_as(&sql)
            .bind(fiscal_year)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(review_row).collect())
    }

    /// Every member's own ratings of a review.
    pub async fn rar_member_ratings(&self, review_id: i64) -> Result<Vec<RarRatingRow>> {
        let rows: Vec<RatingDbRow> = sqlx::query_as(
            "SELECT r.rater_id, u.name, r.property, r.level, r.evidence, r.updated_at \
             FROM rar_member_ratings r JOIN users u ON u.id = r.rater_id \
             WHERE r.review_id = $1 ORDER BY u.name, r.rater_id, r.property",
        )
        .bind(review_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(rating_row).collect())
    }

    /// The team's settled ratings of a review.
    pub async fn rar_team_ratings(&self, review_id: i64) -> Result<Vec<RarRatingRow>> {
        let rows: Vec<RatingDbRow> = sqlx::query_as(
            "SELECT r.settled_by, u.name, r.property, r.level, r.evidence, r.updated_at \
             FROM rar_team_ratings r JOIN users u ON u.id = r.settled_by \
             WHERE r.review_id = $1 ORDER BY r.property",
        )
        .bind(review_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(rating_row).collect())
    }

    pub async fn rar_comments(&self, review_id: i64) -> Result<Vec<RarCommentRow>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT c.id, u.name, c.body, c.created_at FROM rar_comments c \
             JOIN users u ON u.id = c.author_id WHERE c.review_id = $1 ORDER BY c.id",
        )
        .bind(review_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RarCommentRow {
                id: r.0,
                author_name: r.1,
                body: r.2,
                created_at: r.3,
            })
            .collect())
    }

    /// A review's goals with their progress.
    pub async fn rar_goals(&self, review_id: i64) -> Result<Vec<RarGoalRow>> {
        let rows: Vec<(i64, i64, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, review_id, property, goal, owner, due_on, created_at FROM rar_goals \
             WHERE review_id = $1 ORDER BY id",
        )
        .bind(review_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(RarGoalRow {
                id: r.0,
                review_id: r.1,
                property: r.2,
                goal: r.3,
                owner: r.4,
                due_on: r.5,
                created_at: r.6,
                updates: self.rar_goal_updates(r.0).await?,
            });
        }
        Ok(out)
    }

    async fn rar_goal_updates(&self, goal_id: i64) -> Result<Vec<RarGoalUpdateRow>> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT g.status, g.note, u.name, g.updated_at FROM rar_goal_updates g \
             JOIN users u ON u.id = g.updated_by WHERE g.goal_id = $1 ORDER BY g.id",
        )
        .bind(goal_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RarGoalUpdateRow {
                status: r.0,
                note: r.1,
                updated_by_name: r.2,
                updated_at: r.3,
            })
            .collect())
    }

    /// A goal's review id, if the goal exists.
    pub async fn rar_goal_review(&self, goal_id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT review_id FROM rar_goals WHERE id = $1")
                .bind(goal_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// A review to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRarReview<'a> {
    pub fiscal_year: i64,
    pub district_rcdts: &'a str,
    pub kind: &'a str,
    pub scheduled_on: &'a str,
    pub created_by: i64,
}

impl Write {
    /// Opens a review; `None` when the district has one for the year.
    pub async fn insert_rar_review(
        &mut self,
        r: &NewRarReview<'_>,
        now: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rar_reviews (fiscal_year, district_rcdts, kind, scheduled_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fiscal_year, district_rcdts) DO NOTHING RETURNING id",
        )
        .bind(r.fiscal_year)
        .bind(r.district_rcdts.to_string())
        .bind(r.kind.to_string())
        .bind(r.scheduled_on.to_string())
        .bind(r.created_by)
        .bind(now)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Keeps a member's own rating of a property (the latest stands).
    pub async fn save_rar_member_rating(
        &mut self,
        review_id: i64,
        rater_id: i64,
        property: &str,
        level: &str,
        evidence: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO rar_member_ratings (review_id, rater_id, property, level, evidence, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (review_id, rater_id, property) DO UPDATE \
             SET level = excluded.level, evidence = excluded.evidence, updated_at = excluded.updated_at",
        )
        .bind(review_id)
        .bind(rater_id)
        .bind(property.to_string())
        .bind(level.to_string())
        .bind(evidence.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Keeps the team's settled rating of a property.
    pub async fn save_rar_team_rating(
        &mut self,
        review_id: i64,
        settled_by: i64,
        property: &str,
        level: &str,
        evidence: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO rar_team_ratings (review_id, property, level, evidence, settled_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (review_id, property) DO UPDATE \
             SET level = excluded.level, evidence = excluded.evidence, settled_by = excluded.settled_by, \
             updated_at = excluded.updated_at",
        )
        .bind(review_id)
        .bind(property.to_string())
        .bind(level.to_string())
        .bind(evidence.to_string())
        .bind(settled_by)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_rar_comment(
        &mut self,
        review_id: i64,
        author_id: i64,
        body: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rar_comments (review_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(review_id)
        .bind(author_id)
        .bind(body.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_rar_goal(
        &mut self,
        review_id: i64,
        property: &str,
        goal: &str,
        owner: &str,
        due_on: &str,
        by: i64,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rar_goals (review_id, property, goal, owner, due_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(review_id)
        .bind(property.to_string())
        .bind(goal.to_string())
        .bind(owner.to_string())
        .bind(due_on.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn insert_rar_goal_update(
        &mut self,
        goal_id: i64,
        status: &str,
        note: &str,
        by: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO rar_goal_updates (goal_id, status, note, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(goal_id)
        .bind(status.to_string())
        .bind(note.to_string())
        .bind(by)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
