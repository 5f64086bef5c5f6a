//! Resource Allocation Reviews on the platform (rar.md): the fiscal
//! year's selection from the published designations of record (the
//! engine decides and explains; the state adds or removes districts with
//! a recorded reason), and the December 15 notices with their letters,
//! printable and acknowledged by the district. Each use case asks
//! `policy` first and writes its audit record in the change's
//! transaction.

use crate::accounts::{audit, Actor, By, Role};
use crate::{clock, policy, AppError};
use empower_print::{Block, Column, Document, Table};
use empower_rar::{self as engine, DistrictSelection, RarRules};
use empower_states::State;
use empower_store::{snapshot, NewRarNotice, RarNoticeRow, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod review;
pub use review::*;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The state's rules, or `404` when it runs no reviews.
pub fn rules(state: &State) -> Result<&RarRules, AppError> {
    state.rar.as_ref().ok_or_else(|| {
        AppError::NotFound(format!(
            "{} runs no Resource Allocation Reviews",
            state.manifest.name
        ))
    })
}

/// The fiscal year containing the state's today (July to June).
pub fn current_fiscal_year(state: &State, now: i64) -> Result<i16, AppError> {
    Ok(empower_calendar::school_year_of(clock::date_in(&state.manifest.time_zone, now)?, 7) + 1)
}

/// The fiscal years whose report card is published (oldest first), and
/// the one pages open by default: the current one when its report card
/// is published, else the latest that is.
pub async fn fiscal_years(
    state: &State,
    store: &Store,
    now: i64,
) -> Result<(Vec<i16>, i16), AppError> {
    let rules = rules(state)?;
    let years: Vec<i16> = store
        .years()
        .await?
        .into_iter()
        .filter(|y| y.computed + y.official > 0)
        .map(|y| y.year as i16 - rules.report_card_year_offset)
        .collect();
    let current = current_fiscal_year(state, now)?;
    let default = if years.contains(&current) {
        current
    } else {
        years.last().copied().unwrap_or(current)
    };
    Ok((years, default))
}

/// A fiscal year's selection: every district ranked, with the notices
/// issued so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectionView {
    pub fiscal_year: i16,
    pub report_card_year: i16,
    pub rows: Vec<DistrictSelection>,
    /// How many are selected (after the state's changes).
    pub selected: usize,
    /// How many the rule alone selects.
    pub selected_by_rule: usize,
    pub notices: Vec<RarNoticeRow>,
    /// The last day a notice is on time.
    pub notice_deadline: String,
}

/// The selection of `fiscal_year` (the state), from the designations of
/// record of the report card the rules map it to.
pub async fn selection(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
) -> Result<SelectionView, AppError> {
    policy::run_rar(actor)?;
    compute(state, store, fiscal_year).await
}

/// The selection for the operator at the command line (`empower rar
/// selection`), who has the database itself.
pub async fn selection_for_operator(
    state: &State,
    store: &Store,
    fiscal_year: i16,
) -> Result<SelectionView, AppError> {
    compute(state, store, fiscal_year).await
}

/// The selection's columns, for every CSV of it (pages and command line).
pub const SELECTION_COLUMNS: [&str; 12] = [
    "district_rcdts",
    "name",
    "schools",
    "identified",
    "identified_by_designation",
    "share",
    "weighted_share",
    "years_in_status",
    "rank",
    "selected_by_rule",
    "selected",
    "reason",
];

/// The selection as rows of `SELECTION_COLUMNS`.
pub fn selection_rows(view: &SelectionView) -> Vec<Vec<String>> {
    view.rows
        .iter()
        .map(|r| {
            vec![
                r.district_rcdts.clone(),
                r.name.clone(),
                r.schools.to_string(),
                r.identified.to_string(),
                r.by_designation
                    .iter()
                    .map(|(d, n)| format!("{n} {d}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                format!("{:.4}", r.share),
                format!("{:.4}", r.weighted_share),
                r.years_in_status.to_string(),
                r.rank.to_string(),
                r.selected_by_rule.to_string(),
                r.selected.to_string(),
                r.reason.clone(),
            ]
        })
        .collect()
}

async fn compute(
    state: &State,
    store: &Store,
    fiscal_year: i16,
) -> Result<SelectionView, AppError> {
    let rules = rules(state)?;
    let year = rules.report_card_year(fiscal_year);
    let Ok(year_u16) = u16::try_from(year) else {
        return Err(invalid(
            "fiscal_year",
            format!("{fiscal_year} is not a fiscal year"),
        ));
    };
    let of_record = store.designations_of_record(year_u16).await?;
    if of_record.is_empty() {
        return Err(invalid(
            "fiscal_year",
            format!(
                "fiscal year {fiscal_year} reads the {year} report card, which has no designations published"
            ),
        ));
    }
    let all = store.all_schools().await?;
    let mut in_status: BTreeMap<String, BTreeMap<u16, bool>> = BTreeMap::new();
    for s in store.all_statuses().await? {
        in_status
            .entry(s.rcdts)
            .or_default()
            .insert(s.year, s.status.is_some());
    }
    let mut districts: BTreeMap<String, String> = BTreeMap::new();
    let schools: Vec<engine::SchoolFacts> = all
        .iter()
        .map(|s| {
            districts
                .entry(s.district.clone())
                .or_insert_with(|| s.district_name.clone());
            engine::SchoolFacts {
                rcdts: s.rcdts.clone(),
                district: s.district.clone(),
                designation: of_record.get(&s.rcdts).map(|(_, d)| d.clone()),
                years_in_status: in_status
                    .get(&s.rcdts)
                    .map_or(0, |y| engine::years_in_status(y, year_u16)),
            }
        })
        .collect();
    let districts: Vec<engine::DistrictFacts> = districts
        .into_iter()
        .map(|(rcdts, name)| engine::DistrictFacts { rcdts, name })
        .collect();
    let overrides: Vec<engine::Override> = store
        .rar_overrides(i64::from(fiscal_year))
        .await?
        .into_iter()
        .map(|o| engine::Override {
            district: o.district_rcdts,
            selected: o.selected,
            reason: o.reason,
        })
        .collect();
    let rows = engine::select(&rules.selection, &districts, &schools, &overrides);
    Ok(SelectionView {
        fiscal_year,
        report_card_year: year,
        selected: rows.iter().filter(|r| r.selected).count(),
        selected_by_rule: rows.iter().filter(|r| r.selected_by_rule).count(),
        rows,
        notices: store.rar_notices(i64::from(fiscal_year)).await?,
        notice_deadline: rules
            .notice_deadline(fiscal_year)
            .map_err(AppError::Refused)?
            .to_string(),
    })
}

/// The state adds a district to the year's selection or removes it, with
/// the reason recorded.
#[allow(clippy::too_many_arguments)]
pub async fn override_selection(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    district: &str,
    selected: bool,
    reason: &str,
    now: i64,
) -> Result<DistrictSelection, AppError> {
    policy::run_rar(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "reason",
            "say why the district is added or removed",
        ));
    }
    if reason.len() > 2_000 {
        return Err(invalid("reason", "at most 2,000 characters"));
    }
    let before = compute(state, store, fiscal_year).await?;
    let Some(row) = before.rows.iter().find(|r| r.district_rcdts == district) else {
        return Err(AppError::NotFound(format!(
            "there is no district {district}"
        )));
    };
    let mut tx = store.write().await?;
    tx.insert_rar_override(
        i64::from(fiscal_year),
        district,
        selected,
        reason,
        actor.user_id,
        now,
    )
    .await?;
    audit(
        &mut tx,
        &By::Actor(actor),
        if selected { "rar.add" } else { "rar.remove" },
        "rar-selection",
        district,
        Some(snapshot(&row.selected)),
        Some(snapshot(&(fiscal_year, selected, reason))),
        now,
    )
    .await?;
    tx.commit().await?;
    compute(state, store, fiscal_year)
        .await?
        .rows
        .into_iter()
        .find(|r| r.district_rcdts == district)
        .ok_or_else(|| AppError::NotFound(format!("there is no district {district}")))
}

fn long_date(d: empower_calendar::Date) -> String {
    d.strftime("%B %-d, %Y").to_string()
}

/// The letter's figures for a district.
fn letter_values(
    rules: &RarRules,
    fiscal_year: i16,
    report_card_year: i16,
    row: &DistrictSelection,
) -> Result<BTreeMap<&'static str, String>, AppError> {
    let by = row
        .by_designation
        .iter()
        .map(|(d, n)| format!("{n} {d}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok([
        ("district", row.name.clone()),
        ("district_rcdts", row.district_rcdts.clone()),
        ("fiscal_year", fiscal_year.to_string()),
        ("report_card_year", report_card_year.to_string()),
        ("schools", row.schools.to_string()),
        ("identified", row.identified.to_string()),
        ("share", engine::selection::share_words(row.share)),
        (
            "by_designation",
            if by.is_empty() { "none".into() } else { by },
        ),
        ("years_in_status", row.years_in_status.to_string()),
        (
            "deadline",
            long_date(
                rules
                    .notice_deadline(fiscal_year)
                    .map_err(AppError::Refused)?,
            ),
        ),
        (
            "reviews_begin",
            long_date(
                rules
                    .reviews_begin(fiscal_year)
                    .map_err(AppError::Refused)?,
            ),
        ),
    ]
    .into())
}

/// Issues the notice of a selected district (the state): dated today in
/// the state's calendar, flagged late after the rules' deadline, the
/// letter filled with the district's figures, sent to its leaders.
pub async fn issue_notice(
    state: &State,
    store: &Store,
    actor: Option<&Actor>,
    fiscal_year: i16,
    district: &str,
    public_url: &str,
    now: i64,
) -> Result<RarNoticeRow, AppError> {
    policy::run_rar(actor)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let rules = rules(state)?;
    let view = compute(state, store, fiscal_year).await?;
    let Some(row) = view.rows.iter().find(|r| r.district_rcdts == district) else {
        return Err(AppError::NotFound(format!(
            "there is no district {district}"
        )));
    };
    if !row.selected {
        return Err(invalid(
            "district_rcdts",
            format!(
                "{} is not selected for fiscal year {fiscal_year}: {}",
                row.name, row.reason
            ),
        ));
    }
    let today = clock::date_in(&state.manifest.time_zone, now)?;
    let late = engine::notice::is_late(rules, fiscal_year, today).map_err(AppError::Refused)?;
    let values = letter_values(rules, fiscal_year, view.report_card_year, row)?;
    let subject = engine::notice::fill(&rules.letter.subject, &values);
    let body = engine::notice::fill(&rules.letter.body, &values)
        .trim()
        .to_string();
    let mut recipients: Vec<String> = store
        .people_scoped_to(&[district])
        .await?
        .into_iter()
        .filter(|(_, r)| r.role == Role::DistrictLeader.as_str())
        .map(|(u, _)| u.email)
        .collect();
    recipients.sort();
    recipients.dedup();
    let mut tx = store.write().await?;
    let Some(id) = tx
        .insert_rar_notice(
            &NewRarNotice {
                fiscal_year: i64::from(fiscal_year),
                district_rcdts: district,
                issued_on: &today.to_string(),
                late,
                recipients: &recipients,
                subject: &subject,
                body: &body,
                issued_by: actor.user_id,
            },
            now,
        )
        .await?
    else {
        return Err(AppError::Conflict(format!(
            "{} has its notice for fiscal year {fiscal_year} already",
            row.name
        )));
    };
    for to in &recipients {
        let mail = format!(
            "{body}\n\nRead and acknowledge the notice: {}/rar/notices/{id}",
            public_url.trim_end_matches('/')
        );
        tx.queue_mail(to, &subject, &mail, now).await?;
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.notice",
        "rar-notice",
        id,
        None,
        Some(snapshot(&(fiscal_year, district, late, &recipients))),
        now,
    )
    .await?;
    tx.commit().await?;
    store
        .rar_notice(id)
        .await?
        .ok_or_else(|| AppError::NotFound("the notice went missing".into()))
}

/// A notice: the state and the district's leaders may read it.
pub async fn notice(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
) -> Result<RarNoticeRow, AppError> {
    let n = store
        .rar_notice(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no notice {id}")))?;
    policy::see_district_rar(actor, &n.district_rcdts)?;
    Ok(n)
}

/// The district's leaders acknowledge their notice.
pub async fn acknowledge(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<RarNoticeRow, AppError> {
    let n = store
        .rar_notice(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no notice {id}")))?;
    policy::act_for_district_rar(actor, &n.district_rcdts)?;
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut tx = store.write().await?;
    if !tx.acknowledge_rar_notice(id, actor.user_id, now).await? {
        return Err(AppError::Conflict(format!(
            "notice {id} is acknowledged already"
        )));
    }
    audit(
        &mut tx,
        &By::Actor(actor),
        "rar.acknowledge",
        "rar-notice",
        id,
        None,
        Some(snapshot(&now)),
        now,
    )
    .await?;
    tx.commit().await?;
    store
        .rar_notice(id)
        .await?
        .ok_or_else(|| AppError::NotFound("the notice went missing".into()))
}

/// The notices of the districts the caller leads (a district leader).
pub async fn my_notices(
    store: &Store,
    actor: Option<&Actor>,
) -> Result<Vec<RarNoticeRow>, AppError> {
    let actor = actor.ok_or(AppError::SignInRequired)?;
    let mut out = Vec::new();
    for g in actor
        .grants
        .iter()
        .filter(|g| g.role == Role::DistrictLeader)
    {
        if let Some(d) = &g.scope {
            out.extend(store.rar_notices_of(d).await?);
        }
    }
    Ok(out)
}

/// The notice as a printable document (letter and record).
pub fn notice_document(state: &State, n: &RarNoticeRow) -> Document {
    let draft = state.rar.as_ref().is_some_and(|r| r.draft);
    let mut blocks = vec![Block::Facts(vec![
        ("Date".into(), n.issued_on.clone()),
        ("District".into(), n.district_rcdts.clone()),
        ("Fiscal year".into(), n.fiscal_year.to_string()),
        (
            "To".into(),
            if n.recipients.is_empty() {
                "the district's leaders (no account yet: sent on paper)".into()
            } else {
                n.recipients.join(", ")
            },
        ),
        ("Subject".into(), n.subject.clone()),
    ])];
    if n.late {
        blocks.push(Block::Note(
            "Issued after the notice deadline of the fiscal year: late.".into(),
        ));
    }
    for para in n.body.split("\n\n") {
        blocks.push(Block::Paragraph(para.trim().to_string()));
    }
    if draft {
        blocks.push(Block::Note("The letter's wording is draft.".into()));
    }
    blocks.push(Block::Table(Table {
        columns: vec![
            Column::text("Issued", 1.0),
            Column::text("Acknowledged by the district", 2.0),
        ],
        rows: vec![vec![
            n.issued_on.clone(),
            match n.acknowledged_at {
                Some(at) => format!(
                    "on {}",
                    clock::rfc3339(at).chars().take(10).collect::<String>()
                ),
                None => "not yet".into(),
            },
        ]],
    }));
    Document {
        title: "Resource Allocation Review notice".into(),
        subtitle: vec![n.subject.clone()],
        blocks,
        footer: format!("{}, notice {}", state.manifest.name, n.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, AccountSettings, Grant};
    use empower_store::testing::TestDatabase;
    use empower_store::{
        DesignationRow, DesignationSource, District, Publication, ReportYear, School, StatusRow,
    };

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    const A: &str = "010010010260000";
    const B: &str = "010010020260000";

    /// District A: 4 schools, a Comprehensive and a Targeted one (half
    /// identified), the Comprehensive one in status since 2017; district
    /// B: 4 schools, one Targeted.
    fn publication() -> Publication {
        let district = |rcdts: &str, name: &str| District {
            rcdts: rcdts.into(),
            name: name.into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: "01".into(),
        };
        let mut p = Publication {
            sources_sha256: "rar".into(),
            summary: "test".into(),
            years: vec![ReportYear {
                year: 2018,
                rules_name: None,
                rules_version: None,
                computed: 8,
                official: 0,
            }],
            districts: vec![district(A, "Alpha CUSD 1"), district(B, "Beta SD 2")],
            ..Default::default()
        };
        for (d, name, designations) in [
            (
                A,
                "Alpha CUSD 1",
                ["Comprehensive", "Targeted", "Commendable", "Commendable"],
            ),
            (
                B,
                "Beta SD 2",
                ["Targeted", "Commendable", "Commendable", "Exemplary"],
            ),
        ] {
            for (i, des) in designations.iter().enumerate() {
                let rcdts = format!("{}2{:03}", &d[..11], i + 1);
                p.schools.push(School {
                    rcdts: rcdts.clone(),
                    name: format!("{name} school {i}"),
                    district: d.into(),
                    district_name: name.into(),
                    city: "Payson".into(),
                    county: "Adams".into(),
                    region: "01".into(),
                    grades: vec!["K".into()],
                    profile: Default::default(),
                });
                p.designations.push(DesignationRow {
                    year: 2018,
                    rcdts: rcdts.clone(),
                    band: Some("ES".into()),
                    source: DesignationSource::Computed,
                    designation: Some(des.to_string()),
                    index: None,
                    reasons: String::new(),
                    of_record: true,
                });
                if d == A && i == 0 {
                    for year in [2017, 2018] {
                        p.statuses.push(StatusRow {
                            rcdts: rcdts.clone(),
                            year,
                            status: Some("Comprehensive".into()),
                            cohort_year: Some(2017),
                            term: None,
                            event: "entered".into(),
                            note: None,
                        });
                    }
                }
            }
        }
        p
    }

    async fn person(
        state: &State,
        store: &Store,
        email: &str,
        role: Role,
        scope: Option<&str>,
    ) -> Actor {
        let u = accounts::add_user(
            state,
            store,
            &AccountSettings::for_tests(),
            By::CommandLine,
            email,
            email,
            role,
            scope,
            None,
            at("2018-11-01T12:00:00Z"),
        )
        .await
        .unwrap();
        Actor {
            user_id: u.user.id,
            email: email.into(),
            name: email.into(),
            grants: vec![Grant {
                role,
                scope: scope.map(String::from),
            }],
        }
    }

    #[tokio::test]
    async fn the_state_selects_adds_and_notifies_by_december_15_and_the_district_acknowledges() {
        let state = crate::rules::load_state("illinois", None).unwrap();
        for db in TestDatabase::each("rarapp").await {
            let store = &db.store;
            store.publish(&[], &publication()).await.unwrap();
            let coordinator = person(
                &state,
                store,
                "coordinator@example.org",
                Role::StateCoordinator,
                None,
            )
            .await;
            let leader_a = person(
                &state,
                store,
                "lead@alpha.example.org",
                Role::DistrictLeader,
                Some(A),
            )
            .await;
            let leader_b = person(
                &state,
                store,
                "lead@beta.example.org",
                Role::DistrictLeader,
                Some(B),
            )
            .await;
            let now = at("2018-12-01T15:00:00Z");
            assert_eq!(
                fiscal_years(&state, store, now).await.unwrap(),
                (vec![2019], 2019)
            );

            let v = selection(&state, store, Some(&coordinator), 2019)
                .await
                .unwrap();
            assert_eq!(
                (v.report_card_year, v.selected, v.notice_deadline.as_str()),
                (2018, 1, "2018-12-15")
            );
            let a = &v.rows[0];
            assert_eq!(
                (
                    a.district_rcdts.as_str(),
                    a.schools,
                    a.identified,
                    a.share,
                    a.years_in_status
                ),
                (A, 4, 2, 0.5, 2)
            );
            assert!((a.weighted_share - 3.0 / 12.0).abs() < 1e-12);
            assert!(a.selected);
            let b = &v.rows[1];
            assert!(
                !b.selected && b.reason.contains("at least 2 identified schools"),
                "{}",
                b.reason
            );
            assert!(matches!(
                selection(&state, store, Some(&leader_a), 2019).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                selection(&state, store, Some(&coordinator), 2030).await,
                Err(AppError::Invalid { .. })
            ));

            // The state adds B, with its reason.
            let e = override_selection(&state, store, Some(&coordinator), 2019, B, true, " ", now)
                .await
                .unwrap_err();
            assert!(matches!(&e, AppError::Invalid { field, .. } if field == "reason"));
            let b = override_selection(
                &state,
                store,
                Some(&coordinator),
                2019,
                B,
                true,
                "the district asked",
                now,
            )
            .await
            .unwrap();
            assert!(
                b.selected
                    && b.reason
                        .starts_with("added by the state: the district asked"),
                "{}",
                b.reason
            );
            assert!(matches!(
                override_selection(&state, store, Some(&leader_b), 2019, B, false, "no", now).await,
                Err(AppError::Forbidden(_))
            ));

            // A's notice on December 15 in Chicago (the 16th in UTC) is on
            // time; B's the next day is late.
            let na = issue_notice(
                &state,
                store,
                Some(&coordinator),
                2019,
                A,
                "http://x",
                at("2018-12-16T05:00:00Z"),
            )
            .await
            .unwrap();
            assert_eq!((na.issued_on.as_str(), na.late), ("2018-12-15", false));
            assert_eq!(na.recipients, vec!["lead@alpha.example.org".to_string()]);
            assert!(
                na.subject.contains("Alpha CUSD 1")
                    && na.body.contains("2 of the district's 4 schools"),
                "{}",
                na.body
            );
            assert!(
                na.body.contains("December 15, 2018") && na.body.contains("January 1, 2019"),
                "{}",
                na.body
            );
            let nb = issue_notice(
                &state,
                store,
                Some(&coordinator),
                2019,
                B,
                "http://x",
                at("2018-12-16T15:00:00Z"),
            )
            .await
            .unwrap();
            assert!(nb.late);
            assert!(matches!(
                issue_notice(&state, store, Some(&coordinator), 2019, A, "http://x", now).await,
                Err(AppError::Conflict(_))
            ));
            assert!(store
                .outbox()
                .await
                .unwrap()
                .iter()
                .any(|m| m.to_email == "lead@alpha.example.org"));

            // Only A's leaders read and acknowledge A's notice.
            assert!(matches!(
                notice(store, Some(&leader_b), na.id).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                acknowledge(store, Some(&leader_b), na.id, now).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                acknowledge(store, Some(&coordinator), na.id, now).await,
                Err(AppError::Forbidden(_))
            ));
            let acked = acknowledge(store, Some(&leader_a), na.id, now)
                .await
                .unwrap();
            assert!(acked.acknowledged_at.is_some());
            assert!(matches!(
                acknowledge(store, Some(&leader_a), na.id, now).await,
                Err(AppError::Conflict(_))
            ));
            assert_eq!(my_notices(store, Some(&leader_a)).await.unwrap().len(), 1);

            // The printable letter.
            let doc = notice_document(&state, &acked);
            let pdf = empower_print::pdf(&doc).unwrap();
            assert!(pdf.starts_with(b"%PDF"));
            db.finish().await;
        }
    }

    #[tokio::test]
    async fn members_rate_alone_the_team_settles_and_goals_carry_into_next_year() {
        use empower_rar::review::Rating;
        let state = crate::rules::load_state("illinois", None).unwrap();
        for db in TestDatabase::each("rarreview").await {
            let store = &db.store;
            store.publish(&[], &publication()).await.unwrap();
            let coordinator = person(
                &state,
                store,
                "coordinator@example.org",
                Role::StateCoordinator,
                None,
            )
            .await;
            let ann = person(
                &state,
                store,
                "ann@alpha.example.org",
                Role::DistrictLeader,
                Some(A),
            )
            .await;
            let bo = person(
                &state,
                store,
                "bo@alpha.example.org",
                Role::DistrictLeader,
                Some(A),
            )
            .await;
            let other = person(
                &state,
                store,
                "lead@beta.example.org",
                Role::DistrictLeader,
                Some(B),
            )
            .await;
            let now = at("2019-01-10T15:00:00Z");
            let input = |fy: i16, d: &str, on: Option<&str>| ReviewInput {
                fiscal_year: fy,
                district_rcdts: d.into(),
                scheduled_on: on.map(String::from),
            };
            let e = open_review(
                &state,
                store,
                Some(&coordinator),
                &input(2019, A, Some("2018-12-01")),
                now,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, .. } if field == "scheduled_on"),
                "{e:?}"
            );
            assert!(matches!(
                open_review(&state, store, Some(&other), &input(2019, A, None), now).await,
                Err(AppError::Forbidden(_))
            ));
            let v = open_review(
                &state,
                store,
                Some(&coordinator),
                &input(2019, A, None),
                now,
            )
            .await
            .unwrap();
            assert_eq!(
                (v.review.kind.as_str(), v.review.scheduled_on.as_str()),
                ("facilitated", "2019-01-01")
            );
            assert!(matches!(
                open_review(
                    &state,
                    store,
                    Some(&coordinator),
                    &input(2019, A, None),
                    now
                )
                .await,
                Err(AppError::Conflict(_))
            ));
            let id = v.review.id;
            let rate = |p: &str, l: &str, e: &str| Rating {
                property: p.into(),
                level: l.into(),
                evidence: e.into(),
            };

            // Ann rates; Bo does not see her rating until he rates.
            save_ratings(
                &state,
                store,
                Some(&ann),
                id,
                "member",
                &[
                    rate("equitable", "emerging", "Title I money only"),
                    rate("transparent", "accomplished", ""),
                ],
                now,
            )
            .await
            .unwrap();
            let seen = review(&state, store, Some(&bo), id).await.unwrap();
            assert_eq!(seen.members.len(), 1);
            assert_eq!(
                seen.members[0].levels,
                vec![None, None, None, None],
                "hidden until Bo rates"
            );
            assert!(seen.comparison.is_empty());
            let v = save_ratings(
                &state,
                store,
                Some(&bo),
                id,
                "member",
                &[rate("equitable", "exemplary", "")],
                now,
            )
            .await
            .unwrap();
            let ann_row = v.members.iter().find(|m| !m.me).unwrap();
            assert_eq!(ann_row.levels[0].as_deref(), Some("emerging"));
            assert_eq!(ann_row.levels[1], None, "Bo has not rated transparency");
            assert_eq!(
                (
                    v.comparison[0].property.as_str(),
                    v.comparison[0].agree,
                    v.comparison[0].spread
                ),
                ("equitable", false, 2)
            );
            // The state sees everything; another district nothing.
            let st = review(&state, store, Some(&coordinator), id).await.unwrap();
            assert_eq!(st.members.len(), 2);
            assert_eq!(st.comparison.len(), 4);
            assert!(matches!(
                review(&state, store, Some(&other), id).await,
                Err(AppError::Forbidden(_))
            ));
            assert!(matches!(
                save_ratings(
                    &state,
                    store,
                    Some(&coordinator),
                    id,
                    "member",
                    &[rate("equitable", "emerging", "")],
                    now
                )
                .await,
                Err(AppError::Forbidden(_))
            ));
            // Bad ratings are named.
            let e = save_ratings(
                &state,
                store,
                Some(&ann),
                id,
                "member",
                &[rate("equitable", "great", "")],
                now,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, .. } if field == "ratings[0]"),
                "{e:?}"
            );
            // The team settles with evidence, only what members rated.
            let e = save_ratings(
                &state,
                store,
                Some(&ann),
                id,
                "team",
                &[rate("equitable", "emerging", "")],
                now,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&e, AppError::Invalid { field, .. } if field == "ratings[0].evidence"),
                "{e:?}"
            );
            let e = save_ratings(
                &state,
                store,
                Some(&ann),
                id,
                "team",
                &[rate("aligned", "emerging", "plans")],
                now,
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("on their own first"), "{e}");
            let v = save_ratings(
                &state,
                store,
                Some(&ann),
                id,
                "team",
                &[rate(
                    "equitable",
                    "emerging",
                    "Only Title I funds follow need; the budget book shows it",
                )],
                now,
            )
            .await
            .unwrap();
            assert_eq!(v.team.len(), 1);
            comment(
                &state,
                store,
                Some(&coordinator),
                id,
                "Look at the staffing formula next",
                now,
            )
            .await
            .unwrap();
            assert!(matches!(
                comment(&state, store, Some(&ann), id, "x", now).await,
                Err(AppError::Forbidden(_))
            ));

            // Goals, their progress, and next year's review opens with them.
            let goal = GoalInput {
                property: "equitable".into(),
                goal: "Weight the staffing formula for low income".into(),
                owner: "Chief financial officer".into(),
                due_on: "2019-06-30".into(),
            };
            assert!(matches!(
                add_goal(&state, store, Some(&other), id, &goal, now).await,
                Err(AppError::Forbidden(_))
            ));
            let g = add_goal(&state, store, Some(&ann), id, &goal, now)
                .await
                .unwrap();
            assert_eq!(g.updates.len(), 1);
            let e = update_goal(store, Some(&bo), g.id, "done", "x", now)
                .await
                .unwrap_err();
            assert!(matches!(&e, AppError::Invalid { field, .. } if field == "status"));
            let g = update_goal(
                store,
                Some(&bo),
                g.id,
                "in-progress",
                "The board approved the new formula",
                now,
            )
            .await
            .unwrap();
            assert_eq!(g.updates.last().unwrap().status, "in-progress");
            let next = open_review(
                &state,
                store,
                Some(&ann),
                &input(2020, A, Some("2019-09-01")),
                now,
            )
            .await
            .unwrap();
            assert_eq!(next.review.kind, "self-guided");
            let (prev, goals) = next.last_year.unwrap();
            assert_eq!(prev.id, id);
            assert_eq!(
                goals[0].updates.last().unwrap().note,
                "The board approved the new formula"
            );
            assert_eq!(reviews_for(store, Some(&ann), 2019).await.unwrap().len(), 2);
            assert_eq!(
                reviews_for(store, Some(&coordinator), 2019)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            db.finish().await;
        }
    }
}
