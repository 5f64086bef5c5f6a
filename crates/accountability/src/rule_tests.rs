//! Hand-computed cases for every rule, and property tests of invariants.
//! The rules here are a small hand-written file, so that each expected
//! number can be checked on paper and does not move when the shipped
//! Illinois rules are recalibrated.

use crate::designate::{
    decide, designate, designate_reading, BandCuts, Detail, NoDesignation, Reason,
};
use crate::explain::explain;
use crate::index::{
    group_result, indicators, school_index, weighted_index, Populations, ReadingBook,
};
use crate::input::SchoolData;
use empower_model::{Band, Designation, Group, SchoolId, Subject};
use empower_rules::{AccountabilityRules, Pool};
use proptest::prelude::*;

const RULES: &str = r#"
name = "test rules"
version = "t"
state = "XX"
first_year = 2018
official_band = "HS"
[labels]
Targeted = "Underperforming"

[bands.ES]
grades = [1, 2, 3, 4, 5, 6, 7, 8]
[bands.ES.indicators.proficiency]
label = "ELA proficiency"
weight = 50
kind = "academic"
measures = ["proficiency_pct"]
subject = "ela"
required_for_index = true
all_students_min_n = 20
n = { from = "measure", measure = "participation_count", subject = "ela" }
scoring = { function = "linear", zero_at = 0, full_at = 100 }
[bands.ES.indicators.growth]
label = "ELA growth"
weight = 30
kind = "academic"
measures = ["growth_msgp"]
subject = "ela"
n = { from = "measure", measure = "participation_count", subject = "ela" }
scoring = { function = "linear", zero_at = 28, full_at = 73 }
[bands.ES.indicators.absenteeism]
label = "Chronic absenteeism"
weight = 20
kind = "non_academic"
measures = ["chronic_absenteeism_pct"]
n = { from = "enrollment_share", divisor = 1 }
scoring = { function = "linear", zero_at = 100, full_at = 0 }

[bands.HS]
grades = [9, 10, 11, 12]
[bands.HS.indicators.graduation]
label = "Graduation"
weight = 60
kind = "academic"
measures = ["graduation_4yr_pct", "graduation_5yr_pct"]
zero_is_missing = true
n = { from = "enrollment_share", divisor = 4 }
scoring = { function = "linear", zero_at = 0, full_at = 100 }
[bands.HS.indicators.proficiency]
label = "ELA proficiency"
weight = 40
kind = "academic"
measures = ["proficiency_pct"]
subject = "ela"
required_for_index = true
n = { from = "measure", measure = "participation_count", subject = "ela" }
scoring = { function = "linear", zero_at = 0, full_at = 100 }

[groups]
eligible = ["black", "iep", "low-income"]
min_n = 20
min_indicators = 2
require_non_academic = true

[cuts]
comprehensive = { share = 0.05, pool = "title1" }
targeted = { share = 0.05, pool = "all" }
top = { share = 0.10, pool = "all" }
outside_pool_bottom = "Targeted"

[graduation]
band = "HS"
measure = "graduation_4yr_pct"
threshold = 67
zero_is_missing = true

[title1]
measure = "title1_status"
counts = ["Schoolwide Title I Program"]

[pairing]
enabled = true
min_grade_gap = 1
max_grade_gap = 3

[status]
terms = ["Planning", "Implementation Year 1", "Implementation Year 2", "Implementation Year 3"]
intensive_from_year = 2023
"#;

fn rules() -> AccountabilityRules {
    AccountabilityRules::from_toml(RULES, "test").unwrap()
}

/// A school in the district of its id's first 11 characters (RCDTS).
fn school(id: SchoolId, name: impl Into<String>, grades: Vec<u8>) -> SchoolData {
    let district = id.as_str()[..11].to_string();
    SchoolData::new(id, name, grades).in_district(district)
}

fn id(n: u32) -> SchoolId {
    SchoolId::parse(&format!("0100100102{n:05}")).unwrap()
}

/// An ES school (grades 3-5) with all-students values.
fn es(n: u32, prof: f64, growth: Option<f64>, absent: Option<f64>) -> SchoolData {
    let mut s = school(id(n), format!("School {n}"), vec![3, 4, 5]);
    s.set(
        "proficiency_pct",
        Group::All,
        Some(Subject::Ela),
        prof,
        None,
    );
    s.set(
        "participation_count",
        Group::All,
        Some(Subject::Ela),
        100.0,
        None,
    );
    s.set("enrollment", Group::All, None, 200.0, None);
    if let Some(g) = growth {
        s.set("growth_msgp", Group::All, Some(Subject::Ela), g, None);
    }
    if let Some(a) = absent {
        s.set("chronic_absenteeism_pct", Group::All, None, a, None);
    }
    s
}

fn with_group(mut s: SchoolData, g: Group, n: f64, prof: f64, absent: f64) -> SchoolData {
    s.set("proficiency_pct", g, Some(Subject::Ela), prof, None);
    s.set("participation_count", g, Some(Subject::Ela), n, None);
    s.set("chronic_absenteeism_pct", g, None, absent, None);
    // 200 enrolled × share = n students for the absenteeism count too.
    s.set("enrollment_pct", g, None, 100.0 * n / 200.0, None);
    s
}

fn title1(mut s: SchoolData) -> SchoolData {
    s.title1_status = Some("Schoolwide Title I Program".into());
    s
}

/// Twenty ES schools with indices 20, 24, ..., 96 (proficiency only).
fn field() -> Vec<SchoolData> {
    (0..20)
        .map(|k| es(k + 1, 20.0 + 4.0 * k as f64, None, None))
        .collect()
}

#[test]
fn index_is_the_weighted_mean_of_scores() {
    let r = rules();
    // 60 → 60; MSGP 50.5 → (50.5 − 28) × 100/45 = 50; absenteeism 10% → 90.
    let s = es(1, 60.0, Some(50.5), Some(10.0));
    let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
    assert_eq!(inds[1].score, Some(50.0));
    assert_eq!(inds[2].points(), Some(18.0));
    let index = school_index(&r, Band::ES, &inds).unwrap();
    assert!((index - 63.0).abs() < 1e-12, "{index}");
}

#[test]
fn missing_indicators_rescale_the_remaining_weights() {
    let r = rules();
    // Growth missing: (60 × 50 + 90 × 20) / 70.
    let s = es(1, 60.0, None, Some(10.0));
    let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
    let index = school_index(&r, Band::ES, &inds).unwrap();
    assert!((index - 4800.0 / 70.0).abs() < 1e-12);
    // No proficiency rate: no index at all, even with other indicators.
    let mut s = school(id(2), "x", vec![3]);
    s.set("growth_msgp", Group::All, Some(Subject::Ela), 50.0, None);
    let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
    assert_eq!(school_index(&r, Band::ES, &inds), None);
}

#[test]
fn all_students_proficiency_needs_twenty_tested() {
    let r = rules();
    let mut s = es(1, 60.0, None, Some(10.0));
    s.set(
        "participation_count",
        Group::All,
        Some(Subject::Ela),
        19.0,
        None,
    );
    let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
    assert_eq!(school_index(&r, Band::ES, &inds), None);
}

#[test]
fn a_group_needs_twenty_students_in_enough_indicators() {
    let r = rules();
    let p = Populations::new();
    let at = with_group(es(1, 50.0, None, None), Group::Black, 20.0, 30.0, 20.0);
    let g = group_result(&r, Band::ES, &at, Group::Black, &p);
    assert!(g.qualifies);
    assert_eq!(g.counted_indicators, 2);
    // (30 × 50 + 80 × 20) / 70
    assert!((g.index.unwrap() - 3100.0 / 70.0).abs() < 1e-12);

    let under = with_group(es(1, 50.0, None, None), Group::Black, 19.0, 30.0, 20.0);
    let g = group_result(&r, Band::ES, &under, Group::Black, &p);
    assert!(!g.qualifies);
    assert_eq!(g.index, None);
    assert_eq!(g.counted_indicators, 0);
    assert!(g.why_not.unwrap().contains("0 of 2"));
    let absent = group_result(&r, Band::ES, &es(1, 50.0, None, None), Group::Asian, &p);
    assert!(absent.why_not.unwrap().contains("no figures published"));
}

#[test]
fn a_group_without_a_non_academic_indicator_does_not_qualify() {
    let mut r = rules();
    r.groups.min_indicators = 1;
    let mut s = es(1, 50.0, None, None);
    s.set("proficiency_pct", Group::Iep, Some(Subject::Ela), 5.0, None);
    s.set(
        "participation_count",
        Group::Iep,
        Some(Subject::Ela),
        40.0,
        None,
    );
    let g = group_result(&r, Band::ES, &s, Group::Iep, &Populations::new());
    assert!(!g.qualifies);
    r.groups.require_non_academic = false;
    assert!(group_result(&r, Band::ES, &s, Group::Iep, &Populations::new()).qualifies);
}

#[test]
fn a_group_exactly_at_the_targeted_cut_underperforms() {
    let r = rules();
    let mut schools = field();
    // The lowest index is 20: with 20 schools, ceil(0.05 × 20) = 1st, so the
    // Targeted cut is 20. Group: (20 × 50 + 20 × 20) / 70 = 20 exactly
    // (absenteeism 80% scores 20).
    schools[10] = with_group(schools[10].clone(), Group::Black, 30.0, 20.0, 80.0);
    // Just above the cut: (20.1 × 50 + 20 × 20) / 70 > 20.
    schools[11] = with_group(schools[11].clone(), Group::Black, 30.0, 20.1, 80.0);
    let d = designate(&schools, &r, 2018);
    assert_eq!(d.cuts[&Band::ES].targeted, Some(20.0));
    let at = d.row(&id(11), Some(Band::ES)).unwrap();
    assert_eq!(at.designation, Some(Designation::Targeted));
    assert_eq!(
        at.reasons,
        vec![Reason::UnderperformingGroups(vec![Group::Black])]
    );
    assert_eq!(at.reasons_code(), "underperforming-groups:black");
    let above = d.row(&id(12), Some(Band::ES)).unwrap();
    assert_eq!(above.designation, Some(Designation::Commendable));
}

#[test]
fn bottom_and_top_cuts_at_the_boundary() {
    let r = rules();
    let mut schools = field();
    // Title I pool: the schools with index 20 and 24 only → cut ceil(0.05 × 2)
    // = 1st = 20. The school at exactly 20 is Comprehensive.
    schools[0] = title1(schools[0].clone());
    schools[1] = title1(schools[1].clone());
    let d = designate(&schools, &r, 2018);
    let c = &d.cuts[&Band::ES];
    assert_eq!(
        (
            c.comprehensive,
            c.comprehensive_pool,
            c.comprehensive_pool_size
        ),
        (Some(20.0), Pool::Title1, 2)
    );
    assert_eq!(
        d.row(&id(1), None).unwrap().designation,
        Some(Designation::Comprehensive)
    );
    assert_eq!(
        d.row(&id(1), None).unwrap().reasons_code(),
        "all-students-bottom-5"
    );
    assert_eq!(
        d.row(&id(2), None).unwrap().designation,
        Some(Designation::Commendable)
    );
    // Top: ceil(0.10 × 20) = 2nd highest = 92: at the cut is Exemplary.
    assert_eq!(c.top, Some(92.0));
    assert_eq!(
        d.row(&id(19), None).unwrap().designation,
        Some(Designation::Exemplary)
    );
    assert_eq!(d.row(&id(19), None).unwrap().reasons_code(), "top-10");
    assert_eq!(
        d.row(&id(18), None).unwrap().designation,
        Some(Designation::Commendable)
    );
}

#[test]
fn a_school_outside_the_title1_pool_is_targeted_not_comprehensive() {
    let r = rules();
    let mut schools = field();
    schools[5] = title1(schools[5].clone());
    let d = designate(&schools, &r, 2018);
    let lowest = d.row(&id(1), None).unwrap();
    assert!(!lowest.title1);
    assert_eq!(lowest.designation, Some(Designation::Targeted));
    assert_eq!(lowest.reasons_code(), "all-students-bottom-5");
}

#[test]
fn without_title1_data_the_pool_is_all_schools() {
    let d = designate(&field(), &rules(), 2018);
    assert_eq!(d.cuts[&Band::ES].comprehensive_pool, Pool::All);
    assert!(!d.title1_data);
    assert_eq!(
        d.row(&id(1), None).unwrap().designation,
        Some(Designation::Comprehensive)
    );
}

fn hs(n: u32, prof: f64, grad4: f64, grad5: Option<f64>) -> SchoolData {
    let mut s = school(id(n), format!("High {n}"), vec![9, 10, 11, 12]);
    s.set(
        "proficiency_pct",
        Group::All,
        Some(Subject::Ela),
        prof,
        None,
    );
    s.set(
        "participation_count",
        Group::All,
        Some(Subject::Ela),
        100.0,
        None,
    );
    s.set("graduation_4yr_pct", Group::All, None, grad4, None);
    if let Some(g) = grad5 {
        s.set("graduation_5yr_pct", Group::All, None, g, None);
    }
    s
}

#[test]
fn graduation_at_exactly_67_is_comprehensive_and_zero_is_missing() {
    let r = rules();
    let schools: Vec<SchoolData> = vec![
        hs(1, 50.0, 67.0, None),
        hs(2, 50.0, 67.1, None),
        hs(3, 50.0, 0.0, Some(92.0)),
        hs(4, 90.0, 95.0, None),
        hs(5, 10.0, 90.0, None),
    ];
    let d = designate(&schools, &r, 2018);
    let at = d.row(&id(1), None).unwrap();
    assert_eq!(at.designation, Some(Designation::Comprehensive));
    assert_eq!(at.reasons_code(), "low-graduation-rate");
    assert_eq!(
        d.row(&id(2), None).unwrap().designation,
        Some(Designation::Commendable)
    );
    let zero = d.row(&id(3), None).unwrap();
    assert_eq!(
        zero.graduation_rate, None,
        "a 0 rate is no cohort, not a failing rate"
    );
    assert_ne!(zero.designation, Some(Designation::Comprehensive));
    // The graduation indicator averages the rates present, 0 excluded: only 92.
    let grad = zero
        .indicators
        .iter()
        .find(|i| &*i.name == "graduation")
        .unwrap();
    assert_eq!(grad.value, Some(92.0));
    assert_eq!(
        &*grad.source,
        &[std::sync::Arc::<str>::from("graduation_5yr_pct")]
    );
    // (92 × 60 + 50 × 40) / 100
    assert!((zero.index.unwrap() - 75.2).abs() < 1e-12);
}

/// Cuts held fixed, for rules tested without a field of schools.
fn fixed_cuts(band: Band, comprehensive: f64, targeted: f64, top: f64) -> BandCuts {
    BandCuts {
        band,
        comprehensive: Some(comprehensive),
        targeted: Some(targeted),
        top: Some(top),
        comprehensive_pool: Pool::Title1,
        comprehensive_pool_size: 100,
        schools_with_index: 1000,
        sorted_indices: vec![],
    }
}

/// A qualifying group with the given index.
fn qualifying(group: Group, index: f64) -> crate::index::GroupResult {
    crate::index::GroupResult {
        group,
        index: Some(index),
        qualifies: true,
        counted_indicators: 2,
        why_not: None,
        indicators: vec![],
    }
}

#[test]
fn every_rule_that_holds_is_reported_and_the_worst_wins() {
    let r = rules();
    let cuts = fixed_cuts(Band::HS, 40.0, 45.0, 80.0);
    let low_group = qualifying(Group::Iep, 30.0);
    let (d, reasons) = decide(
        &r,
        &cuts,
        85.0,
        true,
        Some(60.0),
        std::slice::from_ref(&low_group),
    );
    assert_eq!(d, Designation::Comprehensive);
    assert_eq!(
        reasons,
        vec![
            Reason::LowGraduationRate,
            Reason::UnderperformingGroups(vec![Group::Iep]),
            Reason::Top10
        ]
    );
    let (d, _) = decide(&r, &cuts, 85.0, true, Some(90.0), &[low_group]);
    assert_eq!(d, Designation::Targeted);
    let (d, reasons) = decide(&r, &cuts, 40.0, true, None, &[]);
    assert_eq!(
        (d, reasons),
        (Designation::Comprehensive, vec![Reason::AllStudentsBottom5])
    );
}

#[test]
fn untested_schools_are_paired_with_the_nearest_receiving_school() {
    let r = rules();
    let mut schools = field();
    // A K-2 building of the same district as schools 1.. (grades 3-5).
    let mut k2 = school(id(90), "Primary", vec![1, 2]);
    k2.set("enrollment", Group::All, None, 150.0, None);
    schools.push(k2);
    // A PK-only centre: no band.
    schools.push(school(id(91), "Early childhood", vec![]));
    // An untested grade 9-12 centre with no school 1-3 grades above.
    schools.push(school(id(92), "Alternative", vec![9, 10, 11, 12]));
    let d = designate(&schools, &r, 2018);
    let p = d.row(&id(90), None).unwrap();
    // Lowest grade 3 is one above highest grade 2; ties go to the lowest RCDTS.
    assert_eq!(p.reasons, vec![Reason::PairedWith(id(1))]);
    assert_eq!(p.designation, d.row(&id(1), None).unwrap().designation);
    assert_eq!(p.index, None);
    let none = d.row(&id(91), None).unwrap();
    assert_eq!(
        (none.band, none.reasons_code().as_str()),
        (None, "no-designation:no-band")
    );
    let alt = d.row(&id(92), None).unwrap();
    assert_eq!(
        alt.reasons,
        vec![Reason::NoDesignation(NoDesignation::NoTestData)]
    );
    // Rows sorted by RCDTS then band.
    let keys: Vec<_> = d.rows.iter().map(|r| (r.rcdts.clone(), r.band)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn a_dual_band_school_gets_a_row_per_band() {
    let r = rules();
    let mut schools = field();
    let mut s = hs(50, 70.0, 90.0, None);
    s.grades = vec![6, 7, 8, 9, 10, 11, 12];
    schools.push(s);
    let d = designate(&schools, &r, 2018);
    let bands: Vec<_> = d
        .rows
        .iter()
        .filter(|x| x.rcdts == id(50))
        .map(|x| x.band)
        .collect();
    assert_eq!(bands, vec![Some(Band::ES), Some(Band::HS)]);
    let rep = d.representative_rows(&r);
    assert_eq!(
        rep.iter().find(|x| x.rcdts == id(50)).unwrap().band,
        Some(Band::HS)
    );
}

#[test]
fn explanation_gives_the_distance_to_the_next_level() {
    let r = rules();
    let mut schools = field();
    schools[10] = with_group(schools[10].clone(), Group::Black, 30.0, 10.0, 90.0);
    let d = designate(&schools, &r, 2018);
    // Targeted school: group index (10 × 50 + 10 × 20) / 70 = 10, cut 20.
    let e = &explain(&d, &r, &id(11))[0];
    assert_eq!(e.designation, Some(Designation::Targeted));
    assert_eq!(e.next_designation, Some(Designation::Commendable));
    assert_eq!(e.next_steps.len(), 1);
    assert_eq!(e.next_steps[0].measure, "black");
    assert!((e.next_steps[0].gap - 10.0).abs() < 1e-12);
    assert!(e.next_steps[0].strictly_above);
    // Commendable school with index 80: top cut 92, so +12 to Exemplary.
    let e = &explain(&d, &r, &id(16))[0];
    assert_eq!(e.designation, Some(Designation::Commendable));
    assert_eq!(e.next_designation, Some(Designation::Exemplary));
    assert!((e.next_steps[0].gap - 12.0).abs() < 1e-12);
    assert!(!e.next_steps[0].strictly_above);
    assert!(e.next_steps[0]
        .sentence
        .contains("+12.0 index points to Exemplary"));
    // 16 of 20 schools have an index at or below 80.
    assert_eq!(e.percentile, Some(80.0));
    // Exemplary: nothing above.
    let e = &explain(&d, &r, &id(20))[0];
    assert_eq!(e.next_designation, None);
    assert!(e.next_steps.is_empty());
}

#[test]
fn labels_come_from_the_rules() {
    assert_eq!(rules().label(Designation::Targeted), "Underperforming");
    assert_eq!(rules().label(Designation::Exemplary), "Exemplary");
}

#[test]
fn weights_must_add_up_to_100() {
    let bad = RULES.replace("weight = 30", "weight = 31");
    let e = AccountabilityRules::from_toml(&bad, "bad.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml") && e.contains("add up to 101"), "{e}");
}

#[test]
fn shipped_illinois_rules_are_valid() {
    for (name, text) in [
        (
            "2018",
            include_str!("../../../states/illinois/accountability/2018.toml"),
        ),
        (
            "2019",
            include_str!("../../../states/illinois/accountability/2019.toml"),
        ),
    ] {
        let r = AccountabilityRules::from_toml(text, name).unwrap();
        assert_eq!(r.bands.len(), 2, "{name}");
    }
}

proptest! {
    /// With the cuts held fixed, raising one of a school's all-students
    /// indicator values never worsens its designation.
    #[test]
    fn raising_an_all_students_indicator_never_worsens_the_designation(
        prof in 0.0f64..100.0,
        growth in 0.0f64..100.0,
        absent in 0.0f64..60.0,
        which in 0usize..3,
        raise in 0.0f64..50.0,
        title1 in any::<bool>(),
        group_index in 0.0f64..100.0,
        cut_c in 10.0f64..40.0,
        gap_t in 0.0f64..10.0,
        top in 60.0f64..95.0,
    ) {
        let r = rules();
        let cuts = fixed_cuts(Band::ES, cut_c, cut_c + gap_t, top);
        let group = qualifying(Group::Black, group_index);
        let designation = |prof: f64, growth: f64, absent: f64| {
            let s = es(1, prof, Some(growth), Some(absent));
            let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
            let index = weighted_index(&inds).unwrap();
            decide(&r, &cuts, index, title1, None, std::slice::from_ref(&group)).0
        };
        let before = designation(prof, growth, absent);
        let after = match which {
            0 => designation((prof + raise).min(100.0), growth, absent),
            1 => designation(prof, growth + raise, absent),
            // Lower absenteeism is the better value.
            _ => designation(prof, growth, (absent - raise).max(0.0)),
        };
        prop_assert!(after <= before, "{before:?} → {after:?}");
    }

    /// Calibration reads each indicator once for all its combinations: the
    /// designations from that book are those from the schools' data, for
    /// rules that score or read differently.
    #[test]
    fn designations_from_a_reading_book_are_those_from_the_data(
        schools in proptest::collection::vec(
            (0.0f64..100.0, proptest::option::of(0.0f64..100.0), proptest::option::of(0.0f64..60.0),
             proptest::option::of((0.0f64..100.0, proptest::option::of(0.0f64..100.0))),
             proptest::option::of((10.0f64..40.0, 0.0f64..100.0, 0.0f64..60.0))),
            1..40),
    ) {
        let field: Vec<SchoolData> = schools
            .iter()
            .enumerate()
            .map(|(k, (prof, growth, absent, grad, group))| {
                let n = k as u32 + 1;
                let s = match grad {
                    Some((g4, g5)) => hs(n, *prof, *g4, *g5),
                    None => es(n, *prof, *growth, *absent),
                };
                match group {
                    Some((count, gp, ga)) => with_group(s, Group::Black, *count, *gp, *ga),
                    None => s,
                }
            })
            .collect();
        let base = rules();
        let mut doc: toml::Value = toml::from_str(RULES).unwrap();
        empower_rules::apply_overrides(&mut doc, [
            ("bands.HS.indicators.graduation.measures", &toml::Value::Array(vec!["graduation_4yr_pct".into()])),
            ("bands.ES.indicators.proficiency.scoring", &toml::from_str::<toml::Value>("function = \"percentile\"").unwrap()),
            ("groups.min_n", &toml::Value::Integer(25)),
        ]).unwrap();
        let other = AccountabilityRules::from_value(doc, "test").unwrap();
        let mut book = ReadingBook::default();
        book.add(&field, &base);
        book.add(&field, &other);
        for r in [&base, &other] {
            let from_data = designate(&field, r, 2018);
            let from_book = designate_reading(&field, r, 2018, Detail::Full, Some(&book), 3);
            prop_assert_eq!(&from_data.rows, &from_book.rows);
            prop_assert_eq!(&from_data.cuts, &from_book.cuts);
        }
    }

    /// Rescaling: the index always lies between the lowest and highest
    /// score of the indicators used.
    #[test]
    fn index_lies_between_the_scores_used(prof in 0.0f64..100.0, growth in proptest::option::of(0.0f64..100.0), absent in proptest::option::of(0.0f64..100.0)) {
        let r = rules();
        let s = es(1, prof, growth, absent);
        let inds = indicators(&r, Band::ES, &s, Group::All, &Populations::new());
        let scores: Vec<f64> = inds.iter().filter_map(|i| i.score).collect();
        let index = school_index(&r, Band::ES, &inds).unwrap();
        let lo = scores.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(index >= lo - 1e-9 && index <= hi + 1e-9);
    }
}

#[test]
fn the_measures_behind_an_enrolment_share_are_rules_data() {
    let text = RULES.replace(
        r#"n = { from = "enrollment_share", divisor = 1 }"#,
        r#"n = { from = "enrollment_share", divisor = 1, total = "students", share = "students_pct" }"#,
    );
    let r = AccountabilityRules::from_toml(&text, "test").unwrap();
    let mut schools = field();
    let mut s = with_group(
        es(40, 50.0, Some(50.0), Some(10.0)),
        Group::Iep,
        30.0,
        40.0,
        20.0,
    );
    s.set("students", Group::All, None, 300.0, None);
    s.set("students_pct", Group::Iep, None, 10.0, None);
    schools.push(s);
    let d = designate(&schools, &r, 2018);
    let row = d.row(&id(40), None).unwrap();
    let iep = row.groups.iter().find(|g| g.group == Group::Iep).unwrap();
    let absent = iep
        .indicators
        .iter()
        .find(|i| &*i.name == "absenteeism")
        .unwrap();
    // 300 students × 10% ÷ 1, from the measures the rules name.
    assert_eq!(absent.n, Some(30.0));
}

#[test]
fn a_paired_school_takes_the_designation_of_the_official_band() {
    // School 60 serves grades 6-12: an ES and an HS row. Its K-5 neighbour
    // is paired with it, and takes the row of the official band.
    let mut both = hs(60, 30.0, 95.0, None);
    both.grades = vec![6, 7, 8, 9, 10, 11, 12];
    both.set(
        "participation_count",
        Group::All,
        Some(Subject::Ela),
        100.0,
        None,
    );
    let mut k5 = school(
        SchoolId::parse("010010010300001").unwrap(),
        "Primary",
        vec![1, 2, 3, 4, 5],
    );
    k5.set("enrollment", Group::All, None, 150.0, None);
    // Same district as school 60, none of the field's grade 3-5 schools.
    let mut partner = both.clone();
    partner.rcdts = Some(SchoolId::parse("010010010300002").unwrap());
    partner.district = "01001001030".into();
    let schools_hs = {
        let mut v = field();
        v.push(partner.clone());
        v.push(k5.clone());
        v
    };
    let by_band: Vec<_> = designate(&schools_hs, &rules(), 2018)
        .rows
        .iter()
        .filter(|x| x.rcdts == *partner.rcdts())
        .map(|x| x.designation)
        .collect();
    assert_eq!(by_band.len(), 2);
    assert_ne!(
        by_band[0], by_band[1],
        "the two bands must differ for this test"
    );
    for band in [Band::HS, Band::ES] {
        let mut r = rules();
        r.official_band = band;
        let d = designate(&schools_hs, &r, 2018);
        let want = d
            .rows
            .iter()
            .find(|x| x.rcdts == *partner.rcdts() && x.band == Some(band))
            .unwrap()
            .designation;
        let got = d.row(k5.rcdts(), None).unwrap();
        assert_eq!(
            got.reasons,
            vec![Reason::PairedWith(partner.rcdts().clone())],
            "{band:?}"
        );
        assert_eq!(got.designation, want, "{band:?}");
    }
}

#[test]
fn reason_codes_read_as_words_and_unknown_ones_stay_as_they_are() {
    use crate::reason_words;
    assert_eq!(
        reason_words("all-students-bottom-5"),
        "all students' index among the lowest 5% of schools"
    );
    assert_eq!(
        reason_words("underperforming-groups:el,iep"),
        "student groups performing like the lowest 5% of schools: English learners, Children with disabilities (IEP)"
    );
    assert_eq!(reason_words("something-new:x"), "something-new:x");
}

#[test]
fn near_cut_lists_both_sides_of_each_cut_with_the_group_and_direction() {
    let r = rules();
    let mut schools = field();
    // The group of school 11 sits exactly on the Targeted cut (20); school
    // 12's 0.07 above it; school 1's all-students index (20) is the cut.
    schools[10] = with_group(schools[10].clone(), Group::Black, 30.0, 20.0, 80.0);
    schools[11] = with_group(schools[11].clone(), Group::Black, 30.0, 20.1, 80.0);
    let d = designate(&schools, &r, 2018);
    let near = crate::near_cut(&d, 0.5);
    assert!(near
        .windows(2)
        .all(|w| w[0].distance.abs() <= w[1].distance.abs()));
    assert!(near.iter().all(|n| n.distance.abs() <= 0.5));
    let on = near
        .iter()
        .find(|n| n.rcdts == id(11).to_string() && n.group == Group::Black)
        .unwrap();
    assert_eq!(
        (on.cut, on.direction.as_str(), on.distance),
        (crate::Cut::Targeted, "at-or-below", 0.0)
    );
    assert!(
        on.meaning.contains("Black") || on.meaning.contains("black"),
        "{}",
        on.meaning
    );
    let above = near
        .iter()
        .find(|n| n.rcdts == id(12).to_string() && n.group == Group::Black)
        .unwrap();
    assert_eq!(above.direction, "above");
    assert!(
        (above.distance - 0.1 * 50.0 / 70.0).abs() < 1e-9,
        "{}",
        above.distance
    );
    // Every group at or below the Targeted cut is one the designation
    // names as underperforming, and the reverse.
    for n in near.iter().filter(|n| n.cut == crate::Cut::Targeted) {
        let row = d
            .rows
            .iter()
            .find(|x| x.rcdts.to_string() == n.rcdts && x.band == n.band)
            .unwrap();
        assert_eq!(
            row.underperforming_groups().contains(&n.group),
            n.direction == "at-or-below"
        );
    }
    // Nothing within 0 points but what sits exactly on a cut.
    assert!(crate::near_cut(&d, 0.0).iter().all(|n| n.distance == 0.0));
}
