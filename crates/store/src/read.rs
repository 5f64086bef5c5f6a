//! Reading what is published: search, a school, its explanations,
//! districts.

use crate::published::*;
use crate::{Result, Store};
use empower_accountability::Explanation;
use serde::{Deserialize, Serialize};

/// One page of a list, as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Which page (from 1) and how many per page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchoolPage {
    pub page: u32,
    pub per_page: u32,
}

impl SchoolPage {
    pub(crate) fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }
}

/// A designation in a list item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignationRef {
    pub year: u16,
    pub band: Option<String>,
    pub designation: Option<String>,
    pub source: DesignationSource,
    pub index: Option<f64>,
    pub reasons: String,
    pub of_record: bool,
}

/// A school as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolListItem {
    pub rcdts: String,
    pub name: String,
    pub district: String,
    pub district_name: String,
    pub city: String,
    pub county: String,
    pub region: String,
    pub grades: Vec<String>,
    pub designations: Vec<DesignationRef>,
}

type SchoolRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

type YearRow = (i64, Option<String>, Option<String>, i64, i64);
type StatusDbRow = (
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    Option<String>,
);
type DesignationDbRow = (
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<f64>,
    String,
    i64,
);

const SCHOOL_COLUMNS: &str =
    "s.rcdts, s.name, s.district, s.district_name, s.city, s.county, s.region, s.grades";

fn designation_ref(r: DesignationDbRow) -> DesignationRef {
    let (_, year, band, source, designation, index, reasons, of_record) = r;
    DesignationRef {
        year: year as u16,
        band: (!band.is_empty()).then_some(band),
        designation,
        source: DesignationSource::parse(&source).unwrap_or(DesignationSource::Computed),
        index,
        reasons,
        of_record: of_record != 0,
    }
}

/// The explanations of `year` among `(year, body)` rows ordered latest
/// year first; with no year, those of the latest.
fn of_year(rows: &[(i64, &str)], year: Option<u16>) -> Result<Vec<Explanation>> {
    let Some(year) = year.map(i64::from).or(rows.first().map(|r| r.0)) else {
        return Ok(Vec::new());
    };
    Ok(rows
        .iter()
        .filter(|(y, _)| *y == year)
        .map(|(_, b)| serde_json::from_str(b))
        .collect::<std::result::Result<_, _>>()?)
}

fn list_item(r: SchoolRow) -> SchoolListItem {
    SchoolListItem {
        rcdts: r.0,
        name: r.1,
        district: r.2,
        district_name: r.3,
        city: r.4,
        county: r.5,
        region: r.6,
        grades: r.7.split_whitespace().map(str::to_string).collect(),
        designations: Vec::new(),
    }
}

impl Store {
    /// Published report-card years, oldest first.
    pub async fn years(&self) -> Result<Vec<ReportYear>> {
        let rows: Vec<YearRow> = sqlx::query_as(
            "SELECT year, rules_name, rules_version, computed, official FROM report_years ORDER BY year",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(year, rules_name, rules_version, computed, official)| ReportYear {
                    year: year as u16,
                    rules_name,
                    rules_version,
                    computed: computed as usize,
                    official: official as usize,
                },
            )
            .collect())
    }

    /// Whether nothing has been published yet.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.published_sources().await?.is_none())
    }

    /// The id of the latest publication: it changes when anything
    /// published changes, so readers may keep what they read until then.
    pub async fn publication_id(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM publications")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Every school with its designations, A-Z by name then id.
    pub async fn all_schools(&self) -> Result<Vec<SchoolListItem>> {
        let sql = format!("SELECT {SCHOOL_COLUMNS} FROM schools s ORDER BY s.name, s.rcdts");
        let mut items: Vec<SchoolListItem> = sqlx::query_as::<_, SchoolRow>(&sql)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(list_item)
            .collect();
        let rows: Vec<DesignationDbRow> = sqlx::query_as(
            "SELECT rcdts, year, band, source, designation, idx, reasons, of_record FROM designations ORDER BY rcdts, year, source, band",
        )
        .fetch_all(&self.pool)
        .await?;
        let at: std::collections::HashMap<String, usize> = items
            .iter()
            .enumerate()
            .map(|(i, s)| (s.rcdts.clone(), i))
            .collect();
        for r in rows {
            if let Some(&i) = at.get(&r.0) {
                items[i].designations.push(designation_ref(r));
            }
        }
        Ok(items)
    }

    /// A published school's name and district, or `None` when no school
    /// has that id.
    pub async fn school_place(&self, rcdts: &str) -> Result<Option<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT name, district FROM schools WHERE rcdts = $1")
                .bind(rcdts.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Real places for demonstration accounts: a school in support (with
    /// its district) and an Exemplary or Commendable school, each from the
    /// latest year that has one.
    pub async fn demo_schools(&self) -> Result<(Option<(String, String)>, Option<String>)> {
        let pick = |designations: &'static str| {
            format!(
                "SELECT d.rcdts, s.district FROM designations d JOIN schools s ON s.rcdts = d.rcdts \
                 WHERE d.of_record = 1 AND d.designation IN ({designations}) \
                 ORDER BY d.year DESC, d.rcdts LIMIT 1"
            )
        };
        let in_support: Option<(String, String)> =
            sqlx::query_as(&pick("'Targeted', 'Comprehensive', 'Intensive'"))
                .fetch_optional(&self.pool)
                .await?;
        let partner: Option<(String, String)> = sqlx::query_as(&pick("'Exemplary', 'Commendable'"))
            .fetch_optional(&self.pool)
            .await?;
        Ok((in_support, partner.map(|p| p.0)))
    }

    /// Every school's support status by year, by school then year.
    pub async fn all_statuses(&self) -> Result<Vec<StatusRow>> {
        let rows: Vec<StatusDbRow> = sqlx::query_as(
                "SELECT rcdts, year, status, cohort_year, term, event, note FROM support_status ORDER BY rcdts, year",
            )
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(rcdts, year, status, cohort_year, term, event, note)| StatusRow {
                    rcdts,
                    year: year as u16,
                    status,
                    cohort_year: cohort_year.map(|y| y as u16),
                    term,
                    event,
                    note,
                },
            )
            .collect())
    }

    /// A school's profile document and its explanations of the latest
    /// year that has one, in one query (the profile page's only read
    /// besides the in-memory directory). `None` for an unknown school.
    pub async fn profile(&self, rcdts: &str) -> Result<Option<(Profile, Vec<Explanation>)>> {
        let rows: Vec<(String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT s.profile, e.year, e.body FROM schools s LEFT JOIN explanations e ON e.rcdts = s.rcdts \
             WHERE s.rcdts = $1 ORDER BY e.year DESC, e.band",
        )
        .bind(rcdts.to_string())
        .fetch_all(&self.pool)
        .await?;
        let Some((profile, _, _)) = rows.first() else {
            return Ok(None);
        };
        let profile: Profile = serde_json::from_str(profile)?;
        let explanations = rows
            .iter()
            .filter_map(|(_, year, body)| Some(((*year)?, body.as_deref()?)))
            .collect::<Vec<_>>();
        Ok(Some((profile, of_year(&explanations, None)?)))
    }

    /// The explanations (one per band) of a school in `year`, or in the
    /// latest year that has one.
    pub async fn explanations(&self, rcdts: &str, year: Option<u16>) -> Result<Vec<Explanation>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT year, body FROM explanations WHERE rcdts = $1 ORDER BY year DESC, band",
        )
        .bind(rcdts.to_string())
        .fetch_all(&self.pool)
        .await?;
        let rows: Vec<(i64, &str)> = rows.iter().map(|(y, b)| (*y, b.as_str())).collect();
        of_year(&rows, year)
    }

    /// Each school's designation of record of `year`, with its name.
    pub async fn designations_of_record(
        &self,
        year: u16,
    ) -> Result<std::collections::BTreeMap<String, (String, String)>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT d.rcdts, s.name, d.designation FROM designations d JOIN schools s ON s.rcdts = d.rcdts \
             WHERE d.year = $1 AND d.of_record = 1 AND d.designation IS NOT NULL",
        )
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, d)| (id, (name, d)))
            .collect())
    }

    /// Districts A-Z.
    /// Districts A-Z, those whose name, city, county or id hold every
    /// word of `q` (any case), one page of them.
    pub async fn districts(&self, q: &str, page: SchoolPage) -> Result<Page<District>> {
        // Each word twice: as typed for names, without hyphens for ids
        // (`01-001-0010-26`). Matched literally: LIKE's wildcards escaped.
        let like = |w: &str| {
            let w = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{w}%")
        };
        let words: Vec<String> = q
            .split_whitespace()
            .flat_map(|w| {
                let w = w.to_lowercase();
                [like(&w), like(&w.replace('-', ""))]
            })
            .collect();
        let mut filter = String::from("1 = 1");
        for k in (1..=words.len()).step_by(2) {
            let id = k + 1;
            filter.push_str(&format!(
                " AND (name_key LIKE ${k} ESCAPE '\\' OR LOWER(city) LIKE ${k} ESCAPE '\\' \
                 OR LOWER(county) LIKE ${k} ESCAPE '\\' OR rcdts LIKE ${id} ESCAPE '\\')"
            ));
        }
        let count = format!("SELECT COUNT(*) FROM districts WHERE {filter}");
        let mut count = sqlx::query_scalar(&count);
        for w in &words {
            count = count.bind(w.clone());
        }
        let total: i64 = count.fetch_one(&self.pool).await?;
        let n = words.len();
        let list = format!(
            "SELECT rcdts, name, city, county, region FROM districts WHERE {filter} \
             ORDER BY name_key, rcdts LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut list = sqlx::query_as(&list);
        for w in &words {
            list = list.bind(w.clone());
        }
        let rows: Vec<(String, String, String, String, String)> = list
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|(rcdts, name, city, county, region)| District {
                    rcdts,
                    name,
                    city,
                    county,
                    region,
                })
                .collect(),
            total: total as u64,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// One district.
    pub async fn district(&self, rcdts: &str) -> Result<Option<District>> {
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT rcdts, name, city, county, region FROM districts WHERE rcdts = $1",
        )
        .bind(rcdts.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(rcdts, name, city, county, region)| District {
            rcdts,
            name,
            city,
            county,
            region,
        }))
    }
}
