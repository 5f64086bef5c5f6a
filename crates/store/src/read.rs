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
    fn offset(self) -> i64 {
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

/// A school row with its profile document.
type SchoolWithProfile = (
    String,
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

    /// Fills each item's designations, every year, oldest first.
    async fn attach_designations(&self, items: &mut [SchoolListItem]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=items.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT rcdts, year, band, source, designation, idx, reasons, of_record FROM designations WHERE rcdts IN ({}) ORDER BY rcdts, year, source, band",
            placeholders.join(", ")
        );
        let mut q = sqlx::query_as::<_, DesignationDbRow>(&sql);
        for it in items.iter() {
            q = q.bind(it.rcdts.clone());
        }
        for (rcdts, year, band, source, designation, index, reasons, of_record) in
            q.fetch_all(&self.pool).await?
        {
            if let Some(it) = items.iter_mut().find(|i| i.rcdts == rcdts) {
                it.designations.push(DesignationRef {
                    year: year as u16,
                    band: (!band.is_empty()).then_some(band),
                    designation,
                    source: DesignationSource::parse(&source)
                        .unwrap_or(DesignationSource::Computed),
                    index,
                    reasons,
                    of_record: of_record != 0,
                });
            }
        }
        Ok(())
    }

    /// A school's list item, profile document and support status by year.
    pub async fn school(
        &self,
        rcdts: &str,
    ) -> Result<Option<(SchoolListItem, Profile, Vec<StatusRow>)>> {
        let sql = format!("SELECT {SCHOOL_COLUMNS}, s.profile FROM schools s WHERE s.rcdts = $1");
        let row: Option<SchoolWithProfile> = sqlx::query_as(&sql)
            .bind(rcdts.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let profile: Profile = serde_json::from_str(&r.8)?;
        let mut items = [list_item((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7))];
        self.attach_designations(&mut items).await?;
        let [item] = items;
        let statuses: Vec<StatusDbRow> =
            sqlx::query_as(
                "SELECT year, status, cohort_year, term, event, note FROM support_status WHERE rcdts = $1 ORDER BY year",
            )
            .bind(rcdts.to_string())
            .fetch_all(&self.pool)
            .await?;
        let statuses = statuses
            .into_iter()
            .map(|(year, status, cohort_year, term, event, note)| StatusRow {
                rcdts: rcdts.to_string(),
                year: year as u16,
                status,
                cohort_year: cohort_year.map(|y| y as u16),
                term,
                event,
                note,
            })
            .collect();
        Ok(Some((item, profile, statuses)))
    }

    /// The explanations (one per band) of a school in `year`, or in the
    /// latest year that has one.
    pub async fn explanations(&self, rcdts: &str, year: Option<u16>) -> Result<Vec<Explanation>> {
        // One query: the school's explanations, latest year first; the
        // year asked for (or the latest) is kept.
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT year, body FROM explanations WHERE rcdts = $1 ORDER BY year DESC, band",
        )
        .bind(rcdts.to_string())
        .fetch_all(&self.pool)
        .await?;
        let Some(year) = year.map(i64::from).or(rows.first().map(|r| r.0)) else {
            return Ok(Vec::new());
        };
        Ok(rows
            .iter()
            .filter(|(y, _)| *y == year)
            .map(|(_, b)| serde_json::from_str(b))
            .collect::<Result<_, _>>()?)
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
    pub async fn districts(&self, page: SchoolPage) -> Result<Page<District>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM districts")
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT rcdts, name, city, county, region FROM districts ORDER BY name_key, rcdts LIMIT $1 OFFSET $2",
        )
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
