//! CSV downloads of the lists the pages show (platform.md: every list a
//! page shows can also be downloaded): the search results, the districts,
//! a district's schools, the schools that moved up. One row per school or
//! district, every match (no paging), ids as text.

use crate::api::{school_id, DistrictQuery, SchoolQuery};
use crate::pages::{current, error_page, not_found_page, ImprovedQuery};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use empower_app::public;
use empower_store::{District, SchoolListItem, SchoolPage};
use std::collections::BTreeSet;

/// Every match on one "page".
const ALL: SchoolPage = SchoolPage {
    page: 1,
    per_page: u32::MAX,
};

fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A CSV download of `rows` under `header`, named `filename`.
pub(crate) fn csv_download(filename: &str, header: &[&str], rows: Vec<Vec<String>>) -> Response {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    csv_response(filename, write_rows(&header, rows.into_iter()))
}

fn write_rows(header: &[String], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(header).expect("CSV to memory");
    for r in rows {
        w.write_record(&r).expect("CSV to memory");
    }
    w.into_inner().expect("CSV to memory")
}

/// The schools as rows: the directory fields, the current designation of
/// record, then one column per published year, source and band
/// (`designation_2018_computed_ES`, `designation_2019_official`), so a
/// spreadsheet can filter on any of them.
pub fn schools_csv(schools: &[SchoolListItem]) -> Vec<u8> {
    let columns: BTreeSet<(u16, &str, &str)> = schools
        .iter()
        .flat_map(|s| &s.designations)
        .map(|d| (d.year, d.source.as_str(), d.band.as_deref().unwrap_or("")))
        .collect();
    let mut header: Vec<String> = [
        "rcdts",
        "name",
        "district",
        "district_name",
        "city",
        "county",
        "region",
        "grades",
        "current_year",
        "current_designation",
        "current_source",
        "current_band",
    ]
    .map(String::from)
    .to_vec();
    header.extend(columns.iter().map(|(year, source, band)| {
        if band.is_empty() {
            format!("designation_{year}_{source}")
        } else {
            format!("designation_{year}_{source}_{band}")
        }
    }));
    let rows = schools.iter().map(|s| {
        let record = current(&s.designations);
        let mut row = vec![
            s.rcdts.clone(),
            s.name.clone(),
            s.district.clone(),
            s.district_name.clone(),
            s.city.clone(),
            s.county.clone(),
            s.region.clone(),
            s.grades.join(" "),
            record.map(|d| d.year.to_string()).unwrap_or_default(),
            record
                .and_then(|d| d.designation.clone())
                .unwrap_or_default(),
            record
                .map(|d| d.source.as_str().to_string())
                .unwrap_or_default(),
            record.and_then(|d| d.band.clone()).unwrap_or_default(),
        ];
        row.extend(columns.iter().map(|(year, source, band)| {
            s.designations
                .iter()
                .find(|d| {
                    d.year == *year
                        && d.source.as_str() == *source
                        && d.band.as_deref().unwrap_or("") == *band
                })
                .and_then(|d| d.designation.clone())
                .unwrap_or_default()
        }));
        row
    });
    write_rows(&header, rows)
}

/// `GET /schools.csv` with the search page's filters.
pub async fn schools(State(app): State<AppState>, Query(q): Query<SchoolQuery>) -> Response {
    let filter = match q.filter() {
        Ok((f, _)) => f,
        Err(e) => return error_page(e),
    };
    match public::search(&app.directory, &app.store, &filter, ALL).await {
        Ok(found) => csv_response("schools.csv", schools_csv(&found.items)),
        Err(e) => error_page(e.into()),
    }
}

/// `GET /districts.csv?q=`.
pub async fn districts(State(app): State<AppState>, Query(q): Query<DistrictQuery>) -> Response {
    match public::districts(&app.store, q.q.as_deref(), ALL).await {
        Ok(list) => {
            let header = ["rcdts", "name", "city", "county", "region"].map(String::from);
            let rows = list
                .items
                .into_iter()
                .map(|d: District| vec![d.rcdts, d.name, d.city, d.county, d.region]);
            csv_response("districts.csv", write_rows(&header, rows))
        }
        Err(e) => error_page(e.into()),
    }
}

/// `GET /districts/{rcdts}/schools.csv`.
pub async fn district_schools(State(app): State<AppState>, Path(rcdts): Path<String>) -> Response {
    let id = match school_id(&app, &rcdts) {
        Ok(id) => id,
        Err(e) => return error_page(e),
    };
    match public::district(&app.directory, &app.store, &id).await {
        Ok(Some(d)) => csv_response(&format!("schools-{id}.csv"), schools_csv(&d.schools)),
        Ok(None) => not_found_page(&format!("There is no district {id}.")),
        Err(e) => error_page(e.into()),
    }
}

/// `GET /improved.csv?from=&to=`: both years are required.
pub async fn improved(State(app): State<AppState>, Query(q): Query<ImprovedQuery>) -> Response {
    let (from, to) = match q.years() {
        Ok((Some(from), Some(to))) => (from, to),
        Ok(_) => {
            return error_page(crate::ApiError::invalid(
                "from",
                "give both years, e.g. /improved.csv?from=2018&to=2019",
            ))
        }
        Err(e) => return error_page(e),
    };
    match public::improved(&app.store, from, to).await {
        Ok((_, list)) => {
            let header = [
                "rcdts",
                "name",
                "from_year",
                "from_designation",
                "to_year",
                "to_designation",
                "from_support",
            ]
            .map(String::from);
            let rows = list.into_iter().map(|m| {
                vec![
                    m.rcdts,
                    m.name,
                    from.to_string(),
                    m.from,
                    to.to_string(),
                    m.to,
                    m.from_support.to_string(),
                ]
            });
            csv_response(
                &format!("improved-{from}-{to}.csv"),
                write_rows(&header, rows),
            )
        }
        Err(e) => error_page(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use empower_store::{DesignationRef, DesignationSource};

    fn d(year: u16, band: Option<&str>, source: DesignationSource, x: &str) -> DesignationRef {
        DesignationRef {
            year,
            band: band.map(str::to_string),
            designation: Some(x.into()),
            source,
            index: None,
            reasons: String::new(),
            of_record: source == DesignationSource::Official || band == Some("ES"),
        }
    }

    #[test]
    fn one_row_per_school_and_one_column_per_year_source_and_band() {
        let school = |rcdts: &str, name: &str, ds| SchoolListItem {
            rcdts: rcdts.into(),
            name: name.into(),
            district: "010010010260000".into(),
            district_name: "Payson CUSD 1".into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: "01".into(),
            grades: vec!["K".into(), "1".into()],
            designations: ds,
        };
        let csv = schools_csv(&[
            school(
                "010010010262002",
                "Payson, \"Elementary\"",
                vec![
                    d(2018, Some("ES"), DesignationSource::Computed, "Commendable"),
                    d(2019, None, DesignationSource::Official, "Exemplary"),
                ],
            ),
            school(
                "010010010260001",
                "Seymour High School",
                vec![d(2018, Some("HS"), DesignationSource::Computed, "Targeted")],
            ),
        ]);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "rcdts,name,district,district_name,city,county,region,grades,current_year,current_designation,current_source,current_band,designation_2018_computed_ES,designation_2018_computed_HS,designation_2019_official"
        );
        assert_eq!(
            lines[1],
            "010010010262002,\"Payson, \"\"Elementary\"\"\",010010010260000,Payson CUSD 1,Payson,Adams,01,K 1,2019,Exemplary,official,,Commendable,,Exemplary"
        );
        // No designation of record: the current columns stay empty.
        assert_eq!(
            lines[2],
            "010010010260001,Seymour High School,010010010260000,Payson CUSD 1,Payson,Adams,01,K 1,,,,,,Targeted,"
        );
    }
}
