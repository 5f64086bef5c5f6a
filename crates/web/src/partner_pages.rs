//! Public Peer Learning Partner pages: the directory, by priority area
//! then region as ISBE's list is organised, and the partners that fit a
//! school in support, with the points of every reason.

use crate::auth::PageCaller;
use crate::forms::account_bar;
use crate::pages::{error_page, not_found_page};
use crate::render::{num, page, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use empower_app::partners;
use empower_app::AppError;
use maud::html;
use std::collections::BTreeMap;

/// `GET /partners`.
pub async fn directory(State(app): State<AppState>) -> Response {
    let program = match partners::program(&app.state) {
        Ok(p) => p,
        Err(e) => return not_found_page(&e.to_string()),
    };
    let list = match partners::directory(&app.directory, &app.store, None, None).await {
        Ok(l) => l,
        Err(e) => return error_page(e.into()),
    };
    let rules = &program.rules;
    let region = |code: &str| {
        format!(
            "{code} · {}",
            program.region_name(code).unwrap_or("unknown region")
        )
    };
    let service = |code: &str| {
        rules
            .service
            .iter()
            .find(|s| s.code == code)
            .map_or(code.to_string(), |s| s.label.clone())
    };
    // Priority area → region → partners, as ISBE's list is organised.
    let grouped: Vec<(&str, BTreeMap<&str, Vec<&partners::PartnerEntry>>)> = rules
        .priority_area
        .iter()
        .map(|area| {
            let mut by_region: BTreeMap<&str, Vec<&partners::PartnerEntry>> = BTreeMap::new();
            for p in list
                .iter()
                .filter(|p| p.priority_areas.contains(&area.code))
            {
                for r in &p.regions {
                    by_region.entry(r.as_str()).or_default().push(p);
                }
            }
            (area.label.as_str(), by_region)
        })
        .filter(|(_, by_region)| !by_region.is_empty())
        .collect();
    respond(
        StatusCode::OK,
        page(
            "Peer Learning Partners",
            html! {
                h1 { "Peer Learning Partners" }
                p { "Exemplary and Commendable schools approved by the state to support other schools, above all those in Targeted, Comprehensive or Intensive support. Listed by priority area, then by the regions each serves." }
                @if list.is_empty() { p.muted { "No partner is approved yet." } }
                @for (area, by_region) in &grouped {
                    h2 { (area) }
                    @for (code, ps) in by_region {
                        h3 { "Region " (region(code)) }
                        ul { @for p in ps { li {
                            a href={"/partners/" (p.rcdts)} { (p.name) } " " span.source { (p.city) } br;
                            (p.services.iter().map(|s| service(s)).collect::<Vec<_>>().join("; ")) br;
                            @if p.capacity_left > 0 { (p.capacity_left) " of " (p.capacity) " places left" } @else { strong { "Full" } " (" (p.capacity) " places taken)" }
                            @if let Some(r) = &p.review_reason { br; span.error { "Under review: " (r) } }
                        } } }
                    }
                }
            },
        ),
    )
}

/// `GET /schools/{rcdts}/partners`: partners ranked for a school in
/// support.
pub async fn recommendations(State(app): State<AppState>, Path(rcdts): Path<String>) -> Response {
    let ranked = match partners::recommendations(&app.state, &app.directory, &app.store, &rcdts)
        .await
    {
        Ok(r) => r,
        Err(AppError::Refused(m)) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Peer Learning Partners",
                    html! { h1 { "Peer Learning Partners" } p { (m) } p { a href={"/schools/" (rcdts)} { "Back to the school" } } },
                ),
            )
        }
        Err(e) => return error_page(e.into()),
    };
    respond(
        StatusCode::OK,
        page(
            "Partners for this school",
            html! {
                p { a href={"/schools/" (rcdts)} { "← The school's profile" } }
                h1 { "Peer Learning Partners that fit this school" }
                p.muted { "Partners serving the school's region come first, then by score. Every point is explained; the weights are the state's rules data." }
                @if ranked.is_empty() { p { "No partner is approved yet." } }
                @for r in &ranked {
                    section.recommendation {
                        h2 { a href={"/partners/" (r.partner_rcdts)} { (r.name) } " · " (num(Some(r.score), 1)) " points" }
                        p { @if r.capacity_left > 0 { (r.capacity_left) " places left" } @else { strong { "Full" } ": no place left now" } }
                        ul.reasons { @for x in &r.reasons { li {
                            strong { (x.reason) } " · " (num(Some(x.points), 1)) " points: " (x.detail)
                        } } }
                    }
                }
            },
        ),
    )
}

/// `GET /partners/{rcdts}`: a partner's page: its services, regions,
/// places left, evidence summary and engagements; its contacts accept
/// engagements here.
pub async fn partner(
    State(app): State<AppState>,
    c: PageCaller,
    Path(rcdts): Path<String>,
) -> Response {
    let program = match partners::program(&app.state) {
        Ok(p) => p,
        Err(e) => return not_found_page(&e.to_string()),
    };
    let p = match partners::partner_page(&app.directory, &app.store, &rcdts).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return not_found_page(&format!(
                "{rcdts} is not an approved Peer Learning Partner."
            ))
        }
        Err(e) => return error_page(e.into()),
    };
    let e = &p.entry;
    let labels = |codes: &[String], terms: &[empower_partners::Term]| {
        codes
            .iter()
            .map(|c| {
                terms
                    .iter()
                    .find(|t| &t.code == c)
                    .map_or(c.clone(), |t| t.label.clone())
            })
            .collect::<Vec<_>>()
    };
    respond(
        StatusCode::OK,
        page(
            &e.name,
            html! {
                (account_bar(&c))
                p { a href="/partners" { "← Peer Learning Partners" } }
                h1 { (e.name) }
                p.muted { "Approved Peer Learning Partner · " (e.city) " · " a href={"/schools/" (e.rcdts)} { "the school's report card" } }
                @if let Some(r) = &e.review_reason { p.error { "Under review: " (r) } }
                dl.facts {
                    dt { "Priority areas" } dd { (labels(&e.priority_areas, &program.rules.priority_area).join("; ")) }
                    dt { "Services" } dd { (labels(&e.services, &program.rules.service).join("; ")) }
                    dt { "Regions served" } dd {
                        (e.regions.iter().map(|r| format!("{r} · {}", program.region_name(r).unwrap_or("unknown region"))).collect::<Vec<_>>().join("; "))
                    }
                    dt { "Capacity" } dd {
                        @if e.capacity_left > 0 { (e.capacity_left) " of " (e.capacity) " places left" }
                        @else { strong { "Full" } " (" (e.capacity) " places taken)" }
                    }
                }
                h2 { "Success sustained over time" }
                p.prose { (e.evidence_summary) @if p.evidence.sustained_success.chars().count() > e.evidence_summary.chars().count() { "…" } }
                h2 id="engagements" { "Engagements" }
                (crate::partner_forms::engagements_table(Some(&c), program, &p.engagements, Some(&e.rcdts)))
            },
        ),
    )
}
