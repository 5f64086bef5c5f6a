use crate::notice::{check_template, fill, is_late};
use crate::review::{check, compare, Rating};
use crate::*;
use empower_calendar::Date;
use std::collections::BTreeMap;

fn rules() -> RarRules {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../states/illinois/rar/rar.toml"
    ))
    .unwrap();
    RarRules::parse(&text, "rar.toml").unwrap()
}

fn district(rcdts: &str) -> DistrictFacts {
    DistrictFacts {
        rcdts: rcdts.into(),
        name: format!("District {rcdts}"),
    }
}

/// `n` schools of `district`, the first ones with the designations given
/// (then Commendable), each `years` in status when identified.
fn schools(district: &str, n: usize, identified: &[&str], years: u32) -> Vec<SchoolFacts> {
    (0..n)
        .map(|i| {
            let d = identified.get(i).copied().unwrap_or("Commendable");
            SchoolFacts {
                rcdts: format!("{district}-{i}"),
                district: district.into(),
                designation: Some(d.into()),
                years_in_status: if i < identified.len() { years } else { 0 },
            }
        })
        .collect()
}

fn row<'a>(rows: &'a [DistrictSelection], rcdts: &str) -> &'a DistrictSelection {
    rows.iter().find(|r| r.district_rcdts == rcdts).unwrap()
}

#[test]
fn the_rule_selects_at_two_identified_and_a_quarter_and_not_below() {
    let r = rules();
    let mut all = Vec::new();
    // Exactly at both thresholds: 2 of 8 (25%).
    all.extend(schools("A", 8, &["Targeted", "Targeted"], 1));
    // 2 of 9: 22.2%, under a quarter.
    all.extend(schools("B", 9, &["Targeted", "Targeted"], 1));
    // 1 of 2: half, but one school.
    all.extend(schools("C", 2, &["Comprehensive"], 1));
    // 3 of 4 with an Intensive school.
    all.extend(schools(
        "D",
        4,
        &["Intensive", "Comprehensive", "Targeted"],
        3,
    ));
    // A school without a designation of record does not count.
    all.push(SchoolFacts {
        rcdts: "A-x".into(),
        district: "A".into(),
        designation: None,
        years_in_status: 0,
    });
    let ds: Vec<DistrictFacts> = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|d| district(d))
        .collect();
    let rows = select(&r.selection, &ds, &all, &[]);
    let a = row(&rows, "A");
    assert_eq!((a.schools, a.identified, a.share), (8, 2, 0.25));
    assert!(a.selected && a.selected_by_rule, "{}", a.reason);
    assert!((a.weighted_share - 2.0 / 24.0).abs() < 1e-12);
    let b = row(&rows, "B");
    assert!(!b.selected && b.reason.contains("25%"), "{}", b.reason);
    let c = row(&rows, "C");
    assert!(
        !c.selected && c.reason.contains("at least 2 identified schools"),
        "{}",
        c.reason
    );
    let d = row(&rows, "D");
    assert!(d.selected);
    assert!((d.weighted_share - 6.0 / 12.0).abs() < 1e-12);
    assert_eq!(
        d.by_designation,
        vec![
            ("Intensive".into(), 1),
            ("Comprehensive".into(), 1),
            ("Targeted".into(), 1)
        ]
    );
    assert_eq!(d.years_in_status, 3);
    // Ranked by weighted share; no school of record: last, not selected.
    let order: Vec<&str> = rows.iter().map(|r| r.district_rcdts.as_str()).collect();
    assert_eq!(order, ["D", "C", "A", "B", "E"]);
    assert_eq!(rows[4].schools, 0);
    assert!(!rows[4].selected);
    assert_eq!(
        rows.iter().map(|r| r.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn ties_go_to_years_in_status_max_selected_caps_and_the_state_overrides() {
    let mut r = rules();
    let mut all = Vec::new();
    all.extend(schools("A", 4, &["Targeted", "Targeted"], 1));
    all.extend(schools("B", 4, &["Targeted", "Targeted"], 4));
    let ds = [district("A"), district("B"), district("C")];
    let rows = select(&r.selection, &ds, &all, &[]);
    assert_eq!(
        rows[0].district_rcdts, "B",
        "same weighted share: more years first"
    );
    r.selection.max_selected = Some(1);
    let rows = select(&r.selection, &ds, &all, &[]);
    assert!(row(&rows, "B").selected);
    let a = row(&rows, "A");
    assert!(
        !a.selected && a.reason.contains("ranks below the 1 districts selected"),
        "{}",
        a.reason
    );
    let overrides = [
        Override {
            district: "A".into(),
            selected: true,
            reason: "a new superintendent asked for a review".into(),
        },
        Override {
            district: "B".into(),
            selected: false,
            reason: "reviewed last year".into(),
        },
    ];
    let rows = select(&r.selection, &ds, &all, &overrides);
    let (a, b) = (row(&rows, "A"), row(&rows, "B"));
    assert!(a.selected && !a.selected_by_rule);
    assert!(
        a.reason
            .starts_with("added by the state: a new superintendent"),
        "{}",
        a.reason
    );
    assert!(!b.selected && b.selected_by_rule);
    assert!(
        b.reason
            .starts_with("removed by the state: reviewed last year"),
        "{}",
        b.reason
    );
}

#[test]
fn years_in_status_count_back_from_the_year_used() {
    let by_year: BTreeMap<u16, bool> =
        [(2015, true), (2016, false), (2017, true), (2018, true)].into();
    assert_eq!(years_in_status(&by_year, 2018), 2);
    assert_eq!(years_in_status(&by_year, 2016), 0);
    assert_eq!(years_in_status(&by_year, 2019), 0);
}

#[test]
fn a_notice_is_late_after_december_15_of_the_fiscal_year() {
    let r = rules();
    assert_eq!(r.report_card_year(2019), 2018);
    let date = |s: &str| s.parse::<Date>().unwrap();
    assert_eq!(r.notice_deadline(2019).unwrap(), date("2018-12-15"));
    assert_eq!(r.reviews_begin(2019).unwrap(), date("2019-01-01"));
    assert!(!is_late(&r, 2019, date("2018-12-15")).unwrap());
    assert!(is_late(&r, 2019, date("2018-12-16")).unwrap());
    assert!(!is_late(&r, 2027, date("2026-11-30")).unwrap());
}

#[test]
fn the_letter_names_only_known_figures_and_fills_them() {
    let r = rules();
    assert!(check_template("{district} {nope}")
        .unwrap_err()
        .contains("{nope}"));
    assert!(check_template("{district").is_err());
    let values: BTreeMap<&str, String> = [
        ("district", "Payson CUSD 1".to_string()),
        ("fiscal_year", "2019".into()),
    ]
    .into();
    let subject = fill(&r.letter.subject, &values);
    assert_eq!(
        subject,
        "Resource Allocation Review, fiscal year 2019: Payson CUSD 1"
    );
    let broken = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../states/illinois/rar/rar.toml"
    ))
    .unwrap()
    .replace("{reviews_begin}", "{review_start}");
    let e = RarRules::parse(&broken, "rar.toml").unwrap_err();
    assert!(e.to_string().contains("{review_start}"), "{e}");
}

#[test]
fn members_rate_alone_and_the_team_sees_where_they_differ() {
    let r = rules();
    let rating = |p: &str, l: &str| Rating {
        property: p.into(),
        level: l.into(),
        evidence: String::new(),
    };
    let ann = vec![
        rating("equitable", "emerging"),
        rating("transparent", "accomplished"),
    ];
    let bo = vec![
        rating("equitable", "exemplary"),
        rating("transparent", "accomplished"),
    ];
    let c = compare(&r, &[ann.clone(), bo]);
    assert_eq!(c.len(), 4);
    assert_eq!(
        (c[0].property.as_str(), c[0].agree, c[0].spread),
        ("equitable", false, 2)
    );
    assert_eq!((c[1].agree, c[1].spread), (true, 0));
    assert!(!c[2].agree, "not rated by anyone yet");
    assert!(check(&r, &ann).is_ok());
    assert_eq!(check(&r, &[rating("equitable", "great")]).unwrap_err().0, 0);
    assert!(check(&r, &[rating("equity", "emerging")])
        .unwrap_err()
        .1
        .contains("not a property"));
    assert!(check(
        &r,
        &[
            rating("equitable", "emerging"),
            rating("equitable", "exemplary")
        ]
    )
    .is_err());
}
