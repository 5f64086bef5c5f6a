//! Public pages: search, school profile, explanation, districts, the
//! schools that moved up. Server-rendered HTML; no JavaScript needed.

use crate::api::{school_id, DistrictQuery, SchoolQuery, YearQuery};
use crate::render::{badge, bar_chart, designation_chart, num, page, respond};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use empower_accountability::Explanation;
use empower_app::public::{self, SchoolProfile};
use empower_model::Designation;
use empower_store::{DesignationRef, DesignationSource, SchoolListItem};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

pub(crate) fn error_page(e: ApiError) -> Response {
    let title = e.status.canonical_reason().unwrap_or("Error").to_string();
    respond(
        e.status,
        page(
            &title,
            html! { h1 { (title) } p { (e.detail) } p { a href="/" { "Search the schools" } } },
        ),
    )
}

pub fn not_found_page(detail: &str) -> Response {
    error_page(ApiError::not_found(detail))
}

pub(crate) use empower_app::public::current_designation as current;

fn record_cell(s: &SchoolListItem) -> Markup {
    match current(&s.designations) {
        Some(d) => html! {
            (badge(d.designation.as_deref()))
            " " span.source { (d.year) ", " (d.source.as_str()) @if let Some(b) = &d.band { " " (b) } }
        },
        None => html! { span.muted { "no designation" } },
    }
}

fn school_table(schools: &[SchoolListItem]) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "School" } th scope="col" { "City" } th scope="col" { "District" }
                    th scope="col" { "Grades" } th scope="col" { "Current designation" }
                } }
                tbody {
                    @for s in schools {
                        tr {
                            td { a href={"/schools/" (s.rcdts)} { (s.name) } br; span.source { (s.rcdts) } }
                            td { (s.city) }
                            td { a href={"/districts/" (s.district)} { (s.district_name) } }
                            td { (s.grades.join(" ")) }
                            td { (record_cell(s)) }
                        }
                    }
                }
            }
        }
    }
}

fn selected(current: &Option<String>, value: &str) -> bool {
    current
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(value))
}

pub async fn search(State(app): State<AppState>, Query(q): Query<SchoolQuery>) -> Response {
    let (filter, pg) = match q.filter() {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let results = match public::search(&app.directory, &app.store, &filter, pg).await {
        Ok(r) => r,
        Err(e) => return error_page(e.into()),
    };
    let pages = results.total.div_ceil(u64::from(pg.per_page)).max(1);
    let link = |p: u32| {
        let mut params: Vec<(String, String)> = Vec::new();
        for (k, v) in [
            ("q", &q.q),
            ("designation", &q.designation),
            ("band", &q.band),
            ("region", &q.region),
            ("district", &q.district),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                params.push((k.to_string(), v.to_string()));
            }
        }
        params.push(("page".into(), p.to_string()));
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/?{}", qs.join("&"))
    };
    let download = {
        let qs: Vec<String> = [
            ("q", &q.q),
            ("designation", &q.designation),
            ("band", &q.band),
            ("region", &q.region),
            ("district", &q.district),
        ]
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect();
        format!("/schools.csv?{}", qs.join("&"))
    };
    let body = html! {
        h1 { "Find a school" }
        p.muted { "Every " (crate::render::frame().state) " public school, its designation and why. Search by name, city, district, county or " (crate::render::frame().id_name) "." }
        form.search method="get" action="/" role="search" {
            label { "Name, place or " (crate::render::frame().id_name) input type="search" name="q" value=(q.q.clone().unwrap_or_default()) placeholder="e.g. Payson or 01-001-0010-26"; }
            label { "Designation"
                select name="designation" {
                    option value="" { "Any" }
                    @for d in Designation::ALL {
                        option value=(d.as_str()) selected[selected(&q.designation, d.as_str())] { (d.as_str()) }
                    }
                }
            }
            label { "Band"
                select name="band" {
                    option value="" { "Any" }
                    option value="ES" selected[selected(&q.band, "ES")] { "Elementary (ES)" }
                    option value="HS" selected[selected(&q.band, "HS")] { "High school (HS)" }
                }
            }
            label { "Region" input type="text" name="region" size="4" inputmode="numeric" value=(q.region.clone().unwrap_or_default()) placeholder="01"; }
            button type="submit" { "Search" }
        }
        p aria-live="polite" { (results.total) " schools" @if results.total > 0 { ", page " (results.page) " of " (pages) " · " a href=(download) download { "Download all " (results.total) " as CSV" } } }
        (school_table(&results.items))
        nav.pager aria-label="Pages" {
            @if results.page > 1 { a href=(link(results.page - 1)) { "← Previous" } }
            @if u64::from(results.page) < pages { a href=(link(results.page + 1)) { "Next →" } }
        }
    };
    respond(StatusCode::OK, page("Find a school", body))
}

/// Percent-encodes a query value.
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn school(State(app): State<AppState>, Path(rcdts): Path<String>) -> Response {
    let id = match school_id(&app, &rcdts) {
        Ok(id) => id,
        Err(e) => return error_page(e),
    };
    match public::school(&app.state, &app.directory, &app.store, &id).await {
        Ok(Some(p)) => {
            let engagements = match app.state.partners.as_ref() {
                Some(program) => {
                    match empower_app::partners::engagements_of_school(
                        &app.directory,
                        &app.store,
                        &id,
                    )
                    .await
                    {
                        Ok(list) => Some((program, list)),
                        Err(e) => return error_page(e.into()),
                    }
                }
                None => None,
            };
            let body = html! {
                (profile(&p))
                @if let Some((program, list)) = &engagements {
                    h2 id="engagements" { "Peer learning engagements" }
                    (crate::partner_forms::engagements_table(None, program, list, None))
                    @if p.status.is_some() {
                        p { a href={"/schools/" (p.school.rcdts) "/engagements/new"} { "Record an engagement" } span.muted { " (the state or the district's leaders)" } }
                    }
                }
            };
            respond(StatusCode::OK, page(&p.school.name, body))
        }
        Ok(None) => not_found_page(&format!("There is no school {id}.")),
        Err(e) => error_page(e.into()),
    }
}

fn designations_table(p: &SchoolProfile) -> Markup {
    let mut years: BTreeMap<u16, Vec<&DesignationRef>> = BTreeMap::new();
    for d in &p.school.designations {
        years.entry(d.year).or_default().push(d);
    }
    html! {
        div.table-wrap { table {
            caption.muted { "Bold: the designation of record, the one every program uses (official where published, else computed)." }
            thead { tr { th scope="col" { "Report card" } th scope="col" { "Computed (by band)" } th scope="col" { "Official" } } }
            tbody {
                @for (year, ds) in years.iter().rev() {
                    tr {
                        th scope="row" { (year) }
                        td {
                            @for d in ds.iter().filter(|d| d.source == DesignationSource::Computed) {
                                div class=[d.of_record.then_some("record")] {
                                    (d.band.clone().unwrap_or_else(|| "no band".into())) ": " (badge(d.designation.as_deref()))
                                    " " span.source { "index " (num(d.index, 1)) }
                                    @if d.of_record { " " span.source { "(of record)" } }
                                }
                            }
                        }
                        td {
                            @for d in ds.iter().filter(|d| d.source == DesignationSource::Official) {
                                div class=[d.of_record.then_some("record")] { (badge(d.designation.as_deref())) @if d.of_record { " " span.source { "(of record)" } } }
                            }
                            @if !ds.iter().any(|d| d.source == DesignationSource::Official) { span.muted { "not published" } }
                        }
                    }
                }
            }
        } }
    }
}

fn profile(p: &SchoolProfile) -> Markup {
    let s = &p.school;
    let demo: Vec<(String, Option<f64>)> = p
        .demographics
        .iter()
        .map(|d| (d.group.clone(), Some(d.pct)))
        .collect();
    html! {
        h1 { (s.name) }
        dl.facts {
            dt { (crate::render::frame().id_name) } dd { (s.rcdts) }
            dt { "District" } dd { a href={"/districts/" (s.district)} { (s.district_name) } }
            dt { "City, county" } dd { (s.city) ", " (s.county) }
            dt { "Grades" } dd { (s.grades.join(" ")) }
            @if let Some(t) = &p.school_type { dt { "Type" } dd { (t) } }
            @if let Some(l) = &p.locale { dt { abbr title="National Center for Education Statistics" { "NCES" } " locale" } dd { (l) } }
            @if let Some(e) = p.enrollment { dt { "Enrolment" } dd { (num(Some(e), 0)) @if let Some(y) = p.profile_year { " (" (y) ")" } } }
            dt { "Support status" } dd {
                @match &p.status {
                    Some(st) => { (badge(Some(&st.status))) " since " (st.cohort_year.map(|y| y.to_string()).unwrap_or_default()) @if let Some(t) = &st.term { ", term: " (t) }
                        " · " a href={"/schools/" (s.rcdts) "/partners"} { "Peer Learning Partners that fit it" }
                        " · " a href={"/schools/" (s.rcdts) "/improvement"} { "its improvement cycle" } }
                    None => { "not in support" }
                }
            }
        }
        h2 { "Designations" }
        (designations_table(p))
        @if !p.indicators.is_empty() {
            h2 { "Indicators" }
            @let years: Vec<u16> = p.indicators.iter().map(|i| i.year).collect();
            p.muted { "Report card " (years.first().copied().unwrap_or_default()) ". "
                a href={"/schools/" (s.rcdts) "/explanation"} { "Full explanation: points, cuts, groups and the distance to the next level" } }
            @for band in p.indicators.iter().map(|i| i.band.clone()).collect::<std::collections::BTreeSet<_>>() {
                @let rows: Vec<_> = p.indicators.iter().filter(|i| i.band == band).collect();
                h3 { "Band " (band.clone().unwrap_or_else(|| "—".into())) }
                (bar_chart(&format!("Indicator scores, band {}", band.clone().unwrap_or_default()),
                    &rows.iter().map(|i| (i.label.clone(), i.score)).collect::<Vec<_>>(), 100.0, ""))
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Indicator" } th.num scope="col" { "Value" } th.num scope="col" { "Students" } th.num scope="col" { "Score" } th.num scope="col" { "Weight" } th.num scope="col" { "Points" } } }
                    tbody { @for i in &rows { tr {
                        td { (i.label) } td.num { (num(i.value, 1)) } td.num { (num(i.n, 0)) }
                        td.num { (num(i.score, 1)) } td.num { (i.weight) } td.num { (num(i.points, 1)) }
                    } } }
                } }
            }
        }
        @if !demo.is_empty() {
            h2 { "Students" }
            (bar_chart("Share of enrolment by group (%)", &demo, 100.0, "%"))
        }
        @if !p.groups.is_empty() {
            h2 { "Student groups" }
            p.muted { "A group's figures appear only where at least " (crate::render::frame().min_group_n) " students stand behind them." }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Group" } th scope="col" { "Band" } th.num scope="col" { "Students" } th.num scope="col" { "Index" } } }
                tbody { @for g in &p.groups { tr {
                    td { (g.group) } td { (g.band.clone().unwrap_or_default()) }
                    td.num { @if g.n.is_some_and(|n| n >= crate::render::frame().min_group_n) { (num(g.n, 0)) } @else { "fewer than " (crate::render::frame().min_group_n) } }
                    td.num { (num(g.index, 1)) }
                } } }
            } }
        }
        h2 { "Higher-performing schools" }
        @if p.higher_performing.is_empty() {
            p.muted { "No higher-performing analysis for this school (no tested cells)." }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Subject" } th scope="col" { "Verdict" } th.num scope="col" { "Overall rank" } th.num scope="col" { "Needed" } th scope="col" { "Not met" } } }
                tbody { @for h in &p.higher_performing { tr {
                    td { (h.subject) }
                    td { @if h.higher_performing { strong { "Higher-performing" } } @else { "Not higher-performing" } }
                    td.num { (num(h.overall_rank, 1)) } td.num { (num(Some(h.required_overall_rank), 0)) }
                    td { (h.failed.join(", ")) }
                } } }
            } }
        }
        @if !p.gaps.is_empty() {
            h2 { "Opportunity gaps" }
            p.muted { "% proficient minus the mean of the top comparable schools (same grade and subject, similar low-income share)." }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Year" } th scope="col" { "Subject" } th scope="col" { "Grade" } th.num scope="col" { "Gap" } th.num scope="col" { "Top schools' mean" } th.num scope="col" { "Comparable schools" } } }
                tbody { @for g in &p.gaps { tr {
                    td { (g.year) } td { (g.subject) } td { (g.grade) } td.num { (format!("{:+.1}", g.gap)) } td.num { (format!("{:.1}", g.top_mean)) } td.num { (g.comparable) }
                } } }
            } }
        }
        @if !p.similar.is_empty() {
            h2 { "Similar schools" }
            ol { @for s in &p.similar { li { a href={"/schools/" (s.rcdts)} { (s.name) } " " span.source { "distance " (format!("{:.2}", s.distance)) ", performance " (num(s.performance, 1)) } } } }
        }
    }
}

pub async fn explanation(
    State(app): State<AppState>,
    Path(rcdts): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    let id = match school_id(&app, &rcdts) {
        Ok(id) => id,
        Err(e) => return error_page(e),
    };
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(y) => match y.parse::<u16>() {
            Ok(y) => Some(y),
            Err(_) => return error_page(ApiError::invalid("year", format!("`{y}` is not a year"))),
        },
    };
    match public::explanation(&app.state, &app.store, &id, year).await {
        Ok(ex) if !ex.is_empty() => {
            let name = ex[0].school_name.clone();
            respond(
                StatusCode::OK,
                page(
                    &format!("Why {name} has its designation"),
                    html! {
                        h1 { "Why " (name) " has its designation" }
                        p { a href={"/schools/" (id)} { "← Back to the school" } }
                        @for e in &ex { (explanation_block(e)) }
                    },
                ),
            )
        }
        Ok(_) => not_found_page(&format!("There is no explanation of school {id}.")),
        Err(e) => error_page(e.into()),
    }
}

fn explanation_block(e: &Explanation) -> Markup {
    html! {
        section {
            h2 { "Band " (e.band.map(|b| b.as_str()).unwrap_or("—")) ", report card " (e.year) ": " (badge(e.designation.map(|d| d.as_str()))) " " span.source { "computed" } }
            dl.facts {
                dt { "Official designation" } dd { (e.official_designation.map(|d| d.as_str()).unwrap_or("not published")) }
                dt { "Rules" } dd { (e.rules) }
                dt { "Title I" } dd { (if e.title1 { "yes" } else { "no" }) }
                dt { "Index" } dd { (num(e.index, 1)) @if let Some(p) = e.percentile { " (" (format!("{p:.0}")) "% of the band's schools have an index at or below it)" } }
                dt { "Deciding rule" } dd { (e.deciding_rule) }
                @if let Some(c) = &e.cuts {
                    dt { "Cuts" } dd { "Comprehensive " (num(c.comprehensive, 1)) ", Targeted " (num(c.targeted, 1)) ", Exemplary (top) " (num(c.top, 1)) }
                }
            }
            h3 { "Indicators" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Indicator" } th.num scope="col" { "Value" } th.num scope="col" { "Students" } th.num scope="col" { "Score" } th.num scope="col" { "Weight" } th.num scope="col" { "Points" } th scope="col" { "Status" } } }
                tbody { @for i in &e.indicators { tr {
                    td { (i.label) } td.num { (num(i.value, 1)) } td.num { (num(i.n, 0)) } td.num { (num(i.score, 1)) }
                    td.num { (i.weight) } td.num { (num(i.points, 1)) } td { (format!("{:?}", i.status)) }
                } } }
            } }
            @if !e.groups.is_empty() {
                h3 { "Student groups" }
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Group" } th.num scope="col" { "Index" } th scope="col" { "Counts toward Targeted" } th scope="col" { "Why not" } } }
                    tbody { @for g in &e.groups { tr {
                        td { (g.group.slug()) } td.num { (num(g.index, 1)) } td { (if g.qualifies { "yes" } else { "no" }) } td { (g.why_not.clone().unwrap_or_default()) }
                    } } }
                } }
            }
            @if !e.next_steps.is_empty() {
                h3 { "Distance to the next level up" }
                ul { @for s in &e.next_steps { li { (s.sentence) } } }
            }
        }
    }
}

pub async fn districts(State(app): State<AppState>, Query(q): Query<DistrictQuery>) -> Response {
    let pg = match q.page.as_deref().map(|p| p.parse::<u32>()).transpose() {
        Ok(p) => public::page(p, Some(public::MAX_PER_PAGE)),
        Err(_) => return error_page(ApiError::invalid("page", "not a whole number")),
    };
    let pg = match pg {
        Ok(p) => p,
        Err(e) => return error_page(e.into()),
    };
    let words = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty());
    let with_q = |path: &str, page: Option<u32>| {
        let mut params: Vec<String> = words.iter().map(|w| format!("q={}", encode(w))).collect();
        params.extend(page.map(|p| format!("page={p}")));
        if params.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", params.join("&"))
        }
    };
    match public::districts(&app.store, words, pg).await {
        Ok(list) => {
            let pages = list.total.div_ceil(u64::from(pg.per_page)).max(1);
            let mut by_letter: BTreeMap<char, Vec<&empower_store::District>> = BTreeMap::new();
            for d in &list.items {
                let c = d.name.chars().next().unwrap_or('#').to_ascii_uppercase();
                by_letter.entry(c).or_default().push(d);
            }
            respond(
                StatusCode::OK,
                page(
                    "Districts",
                    html! {
                        h1 { "Districts A-Z" }
                        form.search method="get" action="/districts" role="search" {
                            label { "District name, city, county or " (crate::render::frame().id_name)
                                input type="search" name="q" value=(words.unwrap_or_default()) placeholder="e.g. Payson or Adams"; }
                            button type="submit" { "Find" }
                        }
                        p.muted aria-live="polite" { (list.total) " districts" @if list.total > 0 { " · " a href=(with_q("/districts.csv", None)) download { "Download as CSV" } } }
                        @for (letter, ds) in &by_letter {
                            h2 { (letter) }
                            ul { @for d in ds { li { a href={"/districts/" (d.rcdts)} { (d.name) } " " span.source { (d.city) } } } }
                        }
                        nav.pager aria-label="Pages" {
                            @if list.page > 1 { a href=(with_q("/districts", Some(list.page - 1))) { "← Previous" } }
                            @if u64::from(list.page) < pages { a href=(with_q("/districts", Some(list.page + 1))) { "Next →" } }
                        }
                    },
                ),
            )
        }
        Err(e) => error_page(e.into()),
    }
}

pub async fn district(State(app): State<AppState>, Path(rcdts): Path<String>) -> Response {
    let id = match school_id(&app, &rcdts) {
        Ok(id) => id,
        Err(e) => return error_page(e),
    };
    match public::district(&app.directory, &app.store, &id).await {
        Ok(Some(d)) => {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for s in &d.schools {
                let k = current(&s.designations)
                    .and_then(|x| x.designation.clone())
                    .unwrap_or_else(|| "none".into());
                *counts.entry(k).or_default() += 1;
            }
            let ordered: Vec<(String, usize)> = Designation::ALL
                .iter()
                .map(|x| x.as_str().to_string())
                .chain(["none".to_string()])
                .filter_map(|k| counts.get(&k).map(|n| (k, *n)))
                .collect();
            respond(
                StatusCode::OK,
                page(
                    &d.district.name,
                    html! {
                        h1 { (d.district.name) }
                        p.muted { (d.district.city) ", " (d.district.county) " county · " (crate::render::frame().id_name) " " (d.district.rcdts) }
                        h2 { "Current designations of its " (d.schools.len()) " schools" }
                        p { a href={"/districts/" (d.district.rcdts) "/schools.csv"} download { "Download the schools as CSV" } }
                        (designation_chart("Schools by current designation", &ordered))
                        (school_table(&d.schools))
                    },
                ),
            )
        }
        Ok(None) => not_found_page(&format!("There is no district {id}.")),
        Err(e) => error_page(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ImprovedQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl ImprovedQuery {
    /// The years asked for, each checked (blank means not given).
    pub fn years(&self) -> Result<(Option<u16>, Option<u16>), ApiError> {
        let parse = |v: &Option<String>, field: &str| -> Result<Option<u16>, ApiError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| ApiError::invalid(field, format!("`{s}` is not a year"))),
            }
        };
        Ok((parse(&self.from, "from")?, parse(&self.to, "to")?))
    }
}

pub async fn improved(State(app): State<AppState>, Query(q): Query<ImprovedQuery>) -> Response {
    let years = match app.store.years().await {
        Ok(y) => y,
        Err(e) => return error_page(empower_app::AppError::from(e).into()),
    };
    let (from, to) = match q.years() {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let n = years.len();
    let from = from.or_else(|| (n >= 2).then(|| years[n - 2].year));
    let to = to.or_else(|| years.last().map(|y| y.year));
    let (Some(from), Some(to)) = (from, to) else {
        return respond(
            StatusCode::OK,
            page(
                "Improved",
                html! { h1 { "Schools that moved up" } p { "Two published years are needed." } },
            ),
        );
    };
    match public::improved(&app.store, from, to).await {
        Ok((compared, list)) => respond(
            StatusCode::OK,
            page(
                "Schools that moved up",
                html! {
                    h1 { "Schools whose designation moved up, " (from) " → " (to) }
                    form.search method="get" action="/improved" {
                        label { "From" select name="from" { @for y in &years { option value=(y.year) selected[y.year == from] { (y.year) } } } }
                        label { "To" select name="to" { @for y in &years { option value=(y.year) selected[y.year == to] { (y.year) } } } }
                        button type="submit" { "Show" }
                    }
                    p { (compared) " schools have a designation of record in both years; " (list.len()) " moved up, "
                        (list.iter().filter(|m| m.from_support).count()) " of them from Targeted or Comprehensive. "
                        a href={"/improved.csv?from=" (from) "&to=" (to)} download { "Download as CSV" } }
                    div.table-wrap { table {
                        thead { tr { th scope="col" { "School" } th scope="col" { (from) } th scope="col" { (to) } } }
                        tbody { @for m in &list { tr {
                            td { a href={"/schools/" (m.rcdts)} { (m.name) } } td { (badge(Some(&m.from))) } td { (badge(Some(&m.to))) }
                        } } }
                    } }
                },
            ),
        ),
        Err(e) => error_page(e.into()),
    }
}
