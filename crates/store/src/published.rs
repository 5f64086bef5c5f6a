//! What a publication holds, and writing it.

use crate::{Result, Store};
use empower_accountability::Explanation;
use serde::{Deserialize, Serialize};

/// A report-card file as imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub sha256: String,
    pub name: String,
    /// The report-card year a file without a year column stands for.
    pub year: Option<u16>,
    pub bytes: Vec<u8>,
}

/// A report-card year as published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportYear {
    pub year: u16,
    /// The rules of the computed designations (none: official only).
    pub rules_name: Option<String>,
    pub rules_version: Option<String>,
    pub computed: usize,
    pub official: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct District {
    pub rcdts: String,
    pub name: String,
    pub city: String,
    pub county: String,
    pub region: String,
}

/// A school's directory entry and its profile document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct School {
    pub rcdts: String,
    pub name: String,
    pub district: String,
    pub district_name: String,
    pub city: String,
    pub county: String,
    pub region: String,
    /// Grades as the API writes them ("PK", "K", "1" ... "12").
    pub grades: Vec<String>,
    pub profile: Profile,
}

/// What the profile page shows beyond the directory and the designations:
/// computed at publication, stored as one document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The report-card year the figures are from.
    pub year: Option<u16>,
    pub school_type: Option<String>,
    /// The NCES locale (`42-Rural: Distant`), where the data has it.
    #[serde(default)]
    pub locale: Option<String>,
    /// The state's resource and staff measures, each at its latest year.
    #[serde(default)]
    pub resources: Vec<ResourceValue>,
    pub enrollment: Option<f64>,
    /// Share of enrolment by group (%).
    pub demographics: Vec<Share>,
    pub higher_performing: Vec<HigherPerforming>,
    pub similar: Vec<SimilarSchool>,
    pub gaps: Vec<OpportunityGap>,
}

/// A resource or staff measure's value for a school.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceValue {
    pub measure: String,
    pub year: u16,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub group: String,
    pub pct: f64,
}

/// The higher-performing verdict in one subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HigherPerforming {
    pub subject: String,
    pub window: Vec<u16>,
    pub higher_performing: bool,
    pub overall_rank: Option<f64>,
    pub required_overall_rank: f64,
    /// Failed criteria (codes of the higher-performing output).
    pub failed: Vec<String>,
    pub min_gap: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimilarSchool {
    pub rcdts: String,
    pub name: String,
    pub distance: f64,
    pub performance: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpportunityGap {
    pub year: u16,
    pub subject: String,
    pub grade: String,
    pub gap: f64,
    pub top_mean: f64,
    pub comparable: usize,
}

/// A published designation: computed (one per band) or official (one per
/// school, no band).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignationRow {
    pub year: u16,
    pub rcdts: String,
    pub band: Option<String>,
    pub source: DesignationSource,
    pub designation: Option<String>,
    pub index: Option<f64>,
    pub reasons: String,
    /// The designation of record of the school and year.
    pub of_record: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesignationSource {
    Computed,
    Official,
}

impl DesignationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DesignationSource::Computed => "computed",
            DesignationSource::Official => "official",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "computed" => Some(DesignationSource::Computed),
            "official" => Some(DesignationSource::Official),
            _ => None,
        }
    }
}

/// A school's support status in one year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusRow {
    pub rcdts: String,
    pub year: u16,
    pub status: Option<String>,
    pub cohort_year: Option<u16>,
    pub term: Option<String>,
    pub event: String,
    pub note: Option<String>,
}

/// Everything one publication replaces.
#[derive(Clone, Debug, Default)]
pub struct Publication {
    pub sources_sha256: String,
    pub summary: String,
    pub years: Vec<ReportYear>,
    pub districts: Vec<District>,
    pub schools: Vec<School>,
    pub designations: Vec<DesignationRow>,
    pub explanations: Vec<Explanation>,
    pub statuses: Vec<StatusRow>,
}

/// Rows per multi-row INSERT: SQLite takes at most 32,766 parameters.
const ROWS_PER_INSERT: usize = 200;

/// `($1, $2, ...), (...)` for `rows` rows of `columns` values.
fn values(rows: usize, columns: usize) -> String {
    let mut s = String::new();
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&format!("${}", r * columns + c + 1));
        }
        s.push(')');
    }
    s
}

type Args<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Inserts `items` into `table` in batches; `bind` binds one item's values
/// in column order.
async fn insert_all<'c, T>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    table: &str,
    columns: &[&str],
    items: &[T],
    bind: impl for<'q> Fn(Args<'q>, &'q T) -> Args<'q>,
) -> Result<()> {
    for chunk in items.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            values(chunk.len(), columns.len())
        );
        // Not a cached statement: a NULL fixes a parameter's type in
        // PostgreSQL when prepared, and a later value of another type
        // would not fit it.
        let mut q = sqlx::query(&sql).persistent(false);
        for item in chunk {
            q = bind(q, item);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn now_rfc3339() -> String {
    // Seconds since the epoch as an RFC 3339 instant, without a time crate.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl Store {
    /// Every source stored, oldest first.
    pub async fn sources(&self) -> Result<Vec<Source>> {
        let rows: Vec<(String, String, Option<i64>, Vec<u8>)> = sqlx::query_as(
            "SELECT sha256, name, year, bytes FROM sources ORDER BY added_at, sha256",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(sha256, name, year, bytes)| Source {
                sha256,
                name,
                year: year.map(|y| y as u16),
                bytes,
            })
            .collect())
    }

    /// The hash of the set of sources of the latest publication, if any.
    pub async fn published_sources(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT sources_sha256 FROM publications ORDER BY id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Stores `new_sources` and replaces what is published with
    /// `publication`, in one transaction: on any error nothing changes.
    pub async fn publish(&self, new_sources: &[Source], publication: &Publication) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let at = now_rfc3339();
        for s in new_sources {
            sqlx::query(
                "INSERT INTO sources (sha256, name, year, bytes, added_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .persistent(false)
            .bind(s.sha256.clone())
            .bind(s.name.clone())
            .bind(s.year.map(i64::from))
            .bind(s.bytes.clone())
            .bind(at.clone())
            .execute(&mut *tx)
            .await?;
        }
        for table in [
            "report_years",
            "districts",
            "schools",
            "designations",
            "explanations",
            "support_status",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        let p = publication;
        insert_all(
            &mut tx,
            "report_years",
            &[
                "year",
                "rules_name",
                "rules_version",
                "computed",
                "official",
            ],
            &p.years,
            |q, y| {
                q.bind(i64::from(y.year))
                    .bind(y.rules_name.clone())
                    .bind(y.rules_version.clone())
                    .bind(y.computed as i64)
                    .bind(y.official as i64)
            },
        )
        .await?;
        insert_all(
            &mut tx,
            "districts",
            &["rcdts", "name", "name_key", "city", "county", "region"],
            &p.districts,
            |q, d| {
                q.bind(d.rcdts.clone())
                    .bind(d.name.clone())
                    .bind(d.name.to_lowercase())
                    .bind(d.city.clone())
                    .bind(d.county.clone())
                    .bind(d.region.clone())
            },
        )
        .await?;
        let profiles: Vec<String> = p
            .schools
            .iter()
            .map(|s| serde_json::to_string(&s.profile))
            .collect::<Result<_, _>>()?;
        let schools: Vec<(&School, &String)> = p.schools.iter().zip(&profiles).collect();
        insert_all(
            &mut tx,
            "schools",
            &[
                "rcdts",
                "name",
                "search_key",
                "district",
                "district_name",
                "city",
                "county",
                "region",
                "grades",
                "profile",
            ],
            &schools,
            |q, (s, profile)| {
                q.bind(s.rcdts.clone())
                    .bind(s.name.clone())
                    .bind(
                        format!(
                            "{} | {} | {} | {} | {}",
                            s.name, s.city, s.district_name, s.county, s.rcdts
                        )
                        .to_lowercase()
                        .replace('-', ""),
                    )
                    .bind(s.district.clone())
                    .bind(s.district_name.clone())
                    .bind(s.city.clone())
                    .bind(s.county.clone())
                    .bind(s.region.clone())
                    .bind(s.grades.join(" "))
                    .bind((*profile).clone())
            },
        )
        .await?;
        insert_all(
            &mut tx,
            "designations",
            &[
                "year",
                "rcdts",
                "band",
                "source",
                "designation",
                "idx",
                "reasons",
                "of_record",
            ],
            &p.designations,
            |q, d| {
                q.bind(i64::from(d.year))
                    .bind(d.rcdts.clone())
                    .bind(d.band.clone().unwrap_or_default())
                    .bind(d.source.as_str().to_string())
                    .bind(d.designation.clone())
                    .bind(d.index)
                    .bind(d.reasons.clone())
                    .bind(i64::from(d.of_record))
            },
        )
        .await?;
        let bodies: Vec<String> = p
            .explanations
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<_, _>>()?;
        let explanations: Vec<(&Explanation, &String)> =
            p.explanations.iter().zip(&bodies).collect();
        insert_all(
            &mut tx,
            "explanations",
            &["year", "rcdts", "band", "body"],
            &explanations,
            |q, (e, body)| {
                q.bind(i64::from(e.year))
                    .bind(e.rcdts.to_string())
                    .bind(e.band.map(|b| b.as_str().to_string()).unwrap_or_default())
                    .bind((*body).clone())
            },
        )
        .await?;
        insert_all(
            &mut tx,
            "support_status",
            &[
                "rcdts",
                "year",
                "status",
                "cohort_year",
                "term",
                "event",
                "note",
            ],
            &p.statuses,
            |q, s| {
                q.bind(s.rcdts.clone())
                    .bind(i64::from(s.year))
                    .bind(s.status.clone())
                    .bind(s.cohort_year.map(i64::from))
                    .bind(s.term.clone())
                    .bind(s.event.clone())
                    .bind(s.note.clone())
            },
        )
        .await?;
        sqlx::query("INSERT INTO publications (at, sources_sha256, summary) VALUES ($1, $2, $3)")
            .bind(at)
            .bind(p.sources_sha256.clone())
            .bind(p.summary.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(super::values(2, 2), "($1, $2), ($3, $4)");
    }

    #[test]
    fn instants_are_rfc3339() {
        let t = super::now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
