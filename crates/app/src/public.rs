//! What anyone may read, signed in or not: the school search, school and
//! district profiles, explanations, the schools that moved up. Groups of
//! fewer students than the state's public minimum are never shown: their
//! values and indices are removed here, once, for pages and API alike.

use crate::AppError;
use empower_accountability::{Explanation, GroupResult};
use empower_states::State;
use empower_store::{
    DesignationRef, DesignationSource, District, HigherPerforming, OpportunityGap, Page,
    SchoolListItem, SchoolPage, Share, SimilarSchool, StatusRow, Store,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// The most a list page returns (api.md).
pub const MAX_PER_PAGE: u32 = 500;
pub const DEFAULT_PER_PAGE: u32 = 50;

/// A page request, checked: `page` from 1, `per_page` 1 to 500.
pub fn page(page: Option<u32>, per_page: Option<u32>) -> Result<SchoolPage, AppError> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(AppError::Invalid {
            field: "page".into(),
            message: "pages count from 1".into(),
        });
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::Invalid {
            field: "per_page".into(),
            message: format!("per_page is 1 to {MAX_PER_PAGE}"),
        });
    }
    Ok(SchoolPage { page, per_page })
}

/// Filters of the school search. `designation`, `band` and `source` look
/// at the designations of `year`, by default each source's current year
/// (the latest with computed designations, the latest with official ones).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchoolFilter {
    /// Words to find in the name, city, district, county or id.
    pub q: Option<String>,
    pub district: Option<String>,
    pub region: Option<String>,
    pub designation: Option<String>,
    pub band: Option<String>,
    pub source: Option<DesignationSource>,
    pub year: Option<u16>,
}

/// The designation of record of the latest year a school has one: its
/// current designation (platform.md).
pub fn current_designation(designations: &[DesignationRef]) -> Option<&DesignationRef> {
    designations
        .iter()
        .filter(|d| d.of_record)
        .max_by_key(|d| d.year)
}

/// Every published school with its designations, held in memory until
/// the next publication: the public pages and API search it without a
/// query per request.
#[derive(Debug, Default)]
pub struct Directory {
    publication: Option<i64>,
    schools: Vec<SchoolListItem>,
    /// Position of each school in `schools`, by id.
    at: HashMap<String, usize>,
    /// Each school's support status by year, oldest first.
    statuses: HashMap<String, Vec<StatusRow>>,
    /// Lower-case name, city, district, county and id, without hyphens.
    keys: Vec<String>,
    current_computed: Option<u16>,
    current_official: Option<u16>,
}

impl Directory {
    fn new(
        publication: Option<i64>,
        schools: Vec<SchoolListItem>,
        statuses: Vec<StatusRow>,
    ) -> Directory {
        let at = schools
            .iter()
            .enumerate()
            .map(|(i, s)| (s.rcdts.clone(), i))
            .collect();
        let mut by_school: HashMap<String, Vec<StatusRow>> = HashMap::new();
        for row in statuses {
            by_school.entry(row.rcdts.clone()).or_default().push(row);
        }
        let keys = schools
            .iter()
            .map(|s| {
                format!(
                    "{} | {} | {} | {} | {}",
                    s.name, s.city, s.district_name, s.county, s.rcdts
                )
                .to_lowercase()
                .replace('-', "")
            })
            .collect();
        let latest = |src: DesignationSource| {
            schools
                .iter()
                .flat_map(|s| &s.designations)
                .filter(|d| d.source == src && d.designation.is_some())
                .map(|d| d.year)
                .max()
        };
        Directory {
            publication,
            current_computed: latest(DesignationSource::Computed),
            current_official: latest(DesignationSource::Official),
            keys,
            schools,
            at,
            statuses: by_school,
        }
    }

    /// One school with its support status by year.
    pub fn school(&self, rcdts: &str) -> Option<(&SchoolListItem, &[StatusRow])> {
        let school = &self.schools[*self.at.get(rcdts)?];
        let statuses = self.statuses.get(rcdts).map_or(&[][..], Vec::as_slice);
        Some((school, statuses))
    }

    /// Every school with its support status by year, in directory order.
    pub fn schools(&self) -> impl Iterator<Item = (&SchoolListItem, &[StatusRow])> {
        self.schools.iter().map(|s| {
            let statuses = self.statuses.get(&s.rcdts).map_or(&[][..], Vec::as_slice);
            (s, statuses)
        })
    }

    /// The schools matching `filter`, A-Z, one page of them.
    pub fn search(&self, filter: &SchoolFilter, page: SchoolPage) -> Page<SchoolListItem> {
        let words: Vec<String> = filter
            .q
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(|w| w.to_lowercase().replace('-', ""))
            .collect();
        let wants_designation =
            filter.designation.is_some() || filter.band.is_some() || filter.source.is_some();
        let designation_matches = |d: &DesignationRef| {
            let year = filter.year.or(match d.source {
                DesignationSource::Computed => self.current_computed,
                DesignationSource::Official => self.current_official,
            });
            Some(d.year) == year
                && filter
                    .designation
                    .as_deref()
                    .is_none_or(|x| d.designation.as_deref() == Some(x))
                && filter
                    .band
                    .as_deref()
                    .is_none_or(|b| d.band.as_deref() == Some(b))
                && filter.source.is_none_or(|s| d.source == s)
        };
        let matching: Vec<&SchoolListItem> = self
            .schools
            .iter()
            .zip(&self.keys)
            .filter(|(s, key)| {
                words.iter().all(|w| key.contains(w.as_str()))
                    && filter.district.as_deref().is_none_or(|d| s.district == d)
                    && filter.region.as_deref().is_none_or(|r| s.region == r)
                    && (!wants_designation || s.designations.iter().any(designation_matches))
            })
            .map(|(s, _)| s)
            .collect();
        let start = (page.page as usize - 1).saturating_mul(page.per_page as usize);
        Page {
            total: matching.len() as u64,
            items: matching
                .into_iter()
                .skip(start)
                .take(page.per_page as usize)
                .cloned()
                .collect(),
            page: page.page,
            per_page: page.per_page,
        }
    }
}

/// The directory of the latest publication, reloaded when another
/// publication lands (checked with one small query per request).
#[derive(Debug, Default)]
pub struct DirectoryCache {
    current: RwLock<Option<Arc<Directory>>>,
    /// One reload at a time: requests arriving during it wait for it
    /// instead of each reading every school again.
    loading: tokio::sync::Mutex<()>,
}

impl DirectoryCache {
    fn cached(&self, id: Option<i64>) -> Option<Arc<Directory>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|d| d.publication == id)
            .map(Arc::clone)
    }

    pub async fn get(&self, store: &Store) -> Result<Arc<Directory>, AppError> {
        let id = store.publication_id().await?;
        if let Some(d) = self.cached(id) {
            return Ok(d);
        }
        let _one = self.loading.lock().await;
        if let Some(d) = self.cached(id) {
            return Ok(d);
        }
        let (schools, statuses) = tokio::try_join!(store.all_schools(), store.all_statuses())?;
        let fresh = Arc::new(Directory::new(id, schools, statuses));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&fresh));
        Ok(fresh)
    }
}

/// Schools matching the filters.
pub async fn search(
    cache: &DirectoryCache,
    store: &Store,
    filter: &SchoolFilter,
    page: SchoolPage,
) -> Result<Page<SchoolListItem>, AppError> {
    Ok(cache.get(store).await?.search(filter, page))
}

/// An indicator of the school's latest explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorView {
    pub year: u16,
    pub band: Option<String>,
    pub indicator: String,
    pub label: String,
    pub value: Option<f64>,
    pub n: Option<f64>,
    pub score: Option<f64>,
    pub weight: f64,
    pub points: Option<f64>,
}

/// A student group as the public sees it (api.md's small-group rule).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub year: u16,
    pub band: Option<String>,
    pub group: String,
    /// The most students behind any of its indicators.
    pub n: Option<f64>,
    pub index: Option<f64>,
    pub indicators: Vec<GroupIndicator>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupIndicator {
    pub indicator: String,
    pub n: Option<f64>,
    pub value: Option<f64>,
}

/// A school's support status (platform.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupportStatus {
    pub status: String,
    pub cohort_year: Option<u16>,
    pub term: Option<String>,
    pub reasons: Vec<String>,
}

/// `GET /api/v1/schools/{rcdts}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolProfile {
    #[serde(flatten)]
    pub school: SchoolListItem,
    pub profile_year: Option<u16>,
    pub school_type: Option<String>,
    /// The NCES locale (`42-Rural: Distant`), where the data has it.
    pub locale: Option<String>,
    pub enrollment: Option<f64>,
    pub demographics: Vec<Share>,
    pub indicators: Vec<IndicatorView>,
    pub groups: Vec<GroupView>,
    pub higher_performing: Vec<HigherPerforming>,
    pub similar: Vec<SimilarSchool>,
    pub gaps: Vec<OpportunityGap>,
    pub status: Option<SupportStatus>,
    /// Support status by year, oldest first.
    pub status_history: Vec<StatusRow>,
}

fn min_n(state: &State) -> f64 {
    state.manifest.public.min_group_n
}

/// Removes what a group of fewer than `min` students would show: an
/// indicator's value, score and points where its n is below `min` (or
/// unknown), the group's index unless every indicator clears it.
pub fn redact_groups(groups: &mut [GroupResult], min: f64) {
    for g in groups {
        let small = |n: Option<f64>| n.is_none_or(|n| n < min);
        if g.indicators.iter().any(|i| i.value.is_some() && small(i.n)) {
            g.index = None;
        }
        for i in &mut g.indicators {
            if small(i.n) {
                i.value = None;
                i.score = None;
                i.points = None;
            }
        }
    }
}

/// A school's explanations of `year` (default: its latest), small groups
/// removed.
pub async fn explanation(
    state: &State,
    store: &Store,
    rcdts: &str,
    year: Option<u16>,
) -> Result<Vec<Explanation>, AppError> {
    let mut ex = store.explanations(rcdts, year).await?;
    for e in &mut ex {
        redact_groups(&mut e.groups, min_n(state));
    }
    Ok(ex)
}

/// A school's public profile, or `None` for an unknown id.
pub async fn school(
    state: &State,
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<Option<SchoolProfile>, AppError> {
    // The school's list item and status come from the directory; its
    // profile and explanations from one query, read side by side.
    let (directory, documents) = tokio::join!(cache.get(store), store.profile(rcdts));
    let directory = directory?;
    let (Some((school, statuses)), Some((profile, mut explanations))) =
        (directory.school(rcdts), documents?)
    else {
        return Ok(None);
    };
    for e in &mut explanations {
        redact_groups(&mut e.groups, min_n(state));
    }
    let mut indicators = Vec::new();
    let mut groups = Vec::new();
    for e in &explanations {
        let band = e.band.map(|b| b.as_str().to_string());
        for i in &e.indicators {
            indicators.push(IndicatorView {
                year: e.year,
                band: band.clone(),
                indicator: i.name.to_string(),
                label: i.label.to_string(),
                value: i.value,
                n: i.n,
                score: i.score,
                weight: i.weight,
                points: i.points,
            });
        }
        for g in &e.groups {
            groups.push(GroupView {
                year: e.year,
                band: band.clone(),
                group: g.group.slug().to_string(),
                n: g.indicators
                    .iter()
                    .filter_map(|i| i.n)
                    .fold(None, |m: Option<f64>, n| Some(m.map_or(n, |m| m.max(n)))),
                index: g.index,
                indicators: g
                    .indicators
                    .iter()
                    .map(|i| GroupIndicator {
                        indicator: i.name.to_string(),
                        n: i.n,
                        value: i.value,
                    })
                    .collect(),
            });
        }
    }
    let status = current_status(&school.designations, statuses);
    Ok(Some(SchoolProfile {
        school: school.clone(),
        profile_year: profile.year,
        school_type: profile.school_type,
        locale: profile.locale,
        enrollment: profile.enrollment,
        demographics: profile.demographics,
        indicators,
        groups,
        higher_performing: profile.higher_performing,
        similar: profile.similar,
        gaps: profile.gaps,
        status,
        status_history: statuses.to_vec(),
    }))
}

/// The status of the latest year, with the reasons of the designation
/// that started its cycle.
pub(crate) fn current_status(
    designations: &[DesignationRef],
    statuses: &[StatusRow],
) -> Option<SupportStatus> {
    let last = statuses.last()?;
    let status = last.status.clone()?;
    let cohort = last.cohort_year;
    let reasons = designations
        .iter()
        .filter(|d| d.of_record && Some(d.year) == cohort)
        .map(|d| {
            if d.reasons.is_empty() {
                format!(
                    "{} designation {} in {}",
                    d.source.as_str(),
                    d.designation.as_deref().unwrap_or("none"),
                    d.year
                )
            } else {
                d.reasons.clone()
            }
        })
        .flat_map(|r| r.split(';').map(str::to_string).collect::<Vec<_>>())
        .collect();
    Some(SupportStatus {
        status,
        cohort_year: cohort,
        term: last.term.clone(),
        reasons,
    })
}

/// Districts A-Z; with `q`, those whose name, city, county or id hold
/// every word of it.
pub async fn districts(
    store: &Store,
    q: Option<&str>,
    page: SchoolPage,
) -> Result<Page<District>, AppError> {
    Ok(store.districts(q.unwrap_or(""), page).await?)
}

/// `GET /api/v1/districts/{rcdts}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistrictProfile {
    #[serde(flatten)]
    pub district: District,
    pub schools: Vec<SchoolListItem>,
}

pub async fn district(
    cache: &DirectoryCache,
    store: &Store,
    rcdts: &str,
) -> Result<Option<DistrictProfile>, AppError> {
    let Some(district) = store.district(rcdts).await? else {
        return Ok(None);
    };
    let filter = SchoolFilter {
        district: Some(rcdts.to_string()),
        ..Default::default()
    };
    let all = SchoolPage {
        page: 1,
        per_page: u32::MAX,
    };
    Ok(Some(DistrictProfile {
        district,
        schools: cache.get(store).await?.search(&filter, all).items,
    }))
}

/// One school whose designation of record moved up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovedUp {
    pub rcdts: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub from_support: bool,
}

/// The schools whose designation of record moved up between two
/// published years (seed 001), with the count of schools compared.
pub async fn improved(
    store: &Store,
    from: u16,
    to: u16,
) -> Result<(usize, Vec<MovedUp>), AppError> {
    if from >= to {
        return Err(AppError::Invalid {
            field: "from".into(),
            message: format!("{from} must be a year before {to}"),
        });
    }
    let a = store.designations_of_record(from).await?;
    let b = store.designations_of_record(to).await?;
    let parse = |m: BTreeMap<String, (String, String)>| {
        m.into_iter()
            .filter_map(|(id, (name, d))| {
                Some((id, (name, d.parse::<empower_model::Designation>().ok()?)))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (parse(a), parse(b));
    let mut compared = 0;
    let mut out = Vec::new();
    for (id, (name, from_d)) in &a {
        let Some((_, to_d)) = b.get(id) else { continue };
        compared += 1;
        if to_d.is_better_than(*from_d) {
            out.push(MovedUp {
                rcdts: id.clone(),
                name: name.clone(),
                from: from_d.as_str().into(),
                to: to_d.as_str().into(),
                from_support: from_d.is_support(),
            });
        }
    }
    Ok((compared, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school(
        rcdts: &str,
        name: &str,
        city: &str,
        designations: Vec<DesignationRef>,
    ) -> SchoolListItem {
        SchoolListItem {
            rcdts: rcdts.into(),
            name: name.into(),
            district: format!("{}0000", &rcdts[..11]),
            district_name: format!("District of {city}"),
            city: city.into(),
            county: "Adams".into(),
            region: rcdts[..2].into(),
            grades: vec!["K".into()],
            designations,
        }
    }

    fn d(year: u16, band: Option<&str>, designation: &str) -> DesignationRef {
        DesignationRef {
            year,
            band: band.map(str::to_string),
            designation: Some(designation.into()),
            source: if band.is_some() {
                DesignationSource::Computed
            } else {
                DesignationSource::Official
            },
            index: None,
            reasons: String::new(),
            of_record: true,
        }
    }

    fn directory() -> Directory {
        Directory::new(
            Some(1),
            vec![
                school(
                    "020010010262001",
                    "Cairo Junior High",
                    "Cairo",
                    vec![
                        d(2018, Some("ES"), "Targeted"),
                        d(2019, None, "Commendable"),
                    ],
                ),
                school(
                    "010010010262002",
                    "Payson Elementary",
                    "Payson",
                    vec![
                        d(2018, Some("ES"), "Commendable"),
                        d(2018, None, "Exemplary"),
                    ],
                ),
                school(
                    "010010010260001",
                    "Seymour High School",
                    "Payson",
                    vec![
                        d(2018, Some("ES"), "Targeted"),
                        d(2018, Some("HS"), "Commendable"),
                    ],
                ),
            ],
            vec![StatusRow {
                rcdts: "020010010262001".into(),
                year: 2018,
                status: Some("Targeted".into()),
                cohort_year: Some(2018),
                term: Some("Planning".into()),
                event: "entered".into(),
                note: None,
            }],
        )
    }

    #[test]
    fn a_school_is_found_by_id_with_its_statuses() {
        let dir = directory();
        let (cairo, statuses) = dir.school("020010010262001").unwrap();
        assert_eq!(cairo.name, "Cairo Junior High");
        assert_eq!(statuses[0].term.as_deref(), Some("Planning"));
        let (payson, statuses) = dir.school("010010010262002").unwrap();
        assert_eq!(payson.name, "Payson Elementary");
        assert!(statuses.is_empty());
        assert!(dir.school("999999999999999").is_none());
    }

    fn ids(f: SchoolFilter) -> Vec<String> {
        let page = SchoolPage {
            page: 1,
            per_page: 50,
        };
        directory()
            .search(&f, page)
            .items
            .into_iter()
            .map(|s| s.rcdts)
            .collect()
    }

    #[test]
    fn search_finds_words_ids_and_designations_of_each_source_s_current_year() {
        assert_eq!(ids(SchoolFilter::default()).len(), 3);
        assert_eq!(
            ids(SchoolFilter {
                q: Some("payson ELEM".into()),
                ..Default::default()
            }),
            ["010010010262002"]
        );
        assert_eq!(
            ids(SchoolFilter {
                q: Some("01-001-0010-26-0001".into()),
                ..Default::default()
            }),
            ["010010010260001"]
        );
        assert_eq!(
            ids(SchoolFilter {
                region: Some("02".into()),
                ..Default::default()
            }),
            ["020010010262001"]
        );
        // Either source unless one is given; computed 2018 and official
        // 2019 are the current years.
        assert_eq!(
            ids(SchoolFilter {
                designation: Some("Targeted".into()),
                ..Default::default()
            }),
            ["020010010262001", "010010010260001"]
        );
        assert!(ids(SchoolFilter {
            designation: Some("Targeted".into()),
            band: Some("HS".into()),
            ..Default::default()
        })
        .is_empty());
        assert!(ids(SchoolFilter {
            designation: Some("Exemplary".into()),
            ..Default::default()
        })
        .is_empty());
        assert_eq!(
            ids(SchoolFilter {
                designation: Some("Exemplary".into()),
                year: Some(2018),
                ..Default::default()
            }),
            ["010010010262002"]
        );
        assert_eq!(
            ids(SchoolFilter {
                designation: Some("Commendable".into()),
                source: Some(DesignationSource::Official),
                ..Default::default()
            }),
            ["020010010262001"]
        );
        let p2 = directory().search(
            &SchoolFilter::default(),
            SchoolPage {
                page: 2,
                per_page: 2,
            },
        );
        assert_eq!((p2.total, p2.items.len()), (3, 1));
    }
}
