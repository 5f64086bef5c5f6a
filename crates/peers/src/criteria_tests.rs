//! Hand-computed cases of the criteria on small made-up cells.

use crate::criteria::{higher_performing, CheckUsed, Failure, SubjectResult};
use crate::rules::HpRules;
use empower_model::{CellKey, CellRow, PriorGroup};
use empower_model::{Grade, SchoolId};

use crate::rules::tests::illinois as rules;

fn id(n: usize) -> SchoolId {
    SchoolId::parse(&format!("{:015}", 10_000 + n)).unwrap()
}

const YEARS: [u16; 3] = [2003, 2004, 2005];

/// A row with only % low income as demographics (the other predictors are
/// empty everywhere, so they are dropped and one predictor is used).
fn row(school: usize, year: u16, grade: u8, perf: f64, n: f64, li: f64) -> CellRow {
    let mut predictors = vec![None; 7];
    predictors[0] = Some(li);
    CellRow {
        line: 0,
        rcdts: id(school),
        key: CellKey {
            year,
            grade: Grade::N(grade),
            subject: "math".into(),
            assessment: None,
            group: PriorGroup::All,
        },
        n: Some(n),
        performance: Some(perf),
        proficient_pct: Some(perf),
        predictors,
        ayp_met: None,
        participation_pct: None,
        school_type: None,
    }
}

/// School 0 tops six peers (all at 50% low income, one band) in every cell
/// of `grades` grades × 3 years, except the (year, grade) slots in `low`,
/// where it has only 5 students (a missing rank).
fn scenario(grades: u8, low: &[(u16, u8)]) -> SubjectResult {
    let mut rows = Vec::new();
    for &y in &YEARS {
        for g in 3..3 + grades {
            let n = if low.contains(&(y, g)) { 5.0 } else { 30.0 };
            rows.push(row(0, y, g, 80.0, n, 50.0));
            for s in 1..7 {
                rows.push(row(s, y, g, 60.0 + s as f64, 30.0, 50.0));
            }
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    assert_eq!(report.window, YEARS.to_vec());
    assert_eq!(report.predictors_used, vec!["pct_low_income".to_string()]);
    report
        .subjects
        .into_iter()
        .find(|s| s.rcdts == id(0))
        .unwrap()
}

#[test]
fn table_boundaries_of_exceptions_and_overall_rank() {
    let r = rules();
    for (count, allowed) in [(2, 0.0), (4, 0.0), (5, 1.0), (8, 1.0), (9, 2.0), (12, 2.0)] {
        assert_eq!(
            HpRules::lookup(&r.exceptions, count),
            allowed,
            "{count} ranks in the first two years"
        );
    }
    for (count, required) in [
        (3, 85.0),
        (6, 85.0),
        (7, 80.0),
        (10, 80.0),
        (11, 75.0),
        (14, 75.0),
        (15, 70.0),
        (18, 70.0),
    ] {
        assert_eq!(
            HpRules::lookup(&r.overall_rank, count),
            required,
            "{count} ranks in the subject"
        );
    }
}

#[test]
fn a_school_above_its_peers_everywhere_is_higher_performing() {
    let s = scenario(3, &[]);
    assert_eq!((s.ranks, s.first_years_ranks), (9, 6));
    assert_eq!((s.exceptions_allowed, s.exceptions_used), (1, 0));
    assert_eq!(s.required_overall_rank, 80.0);
    assert_eq!(s.overall_rank, Some(100.0));
    assert!(s.slots.iter().all(|x| x.rank == Some(100.0)));
    assert!(s.higher_performing, "{:?}", s.failed);
}

#[test]
fn a_missing_first_year_rank_is_used_as_an_exception() {
    // 3 grades: 6 first-year ranks → 1 exception allowed.
    let s = scenario(3, &[(2003, 4)]);
    assert_eq!(s.exceptions_used, 1);
    assert!(s.higher_performing, "{:?}", s.failed);
    let s = scenario(3, &[(2003, 4), (2004, 5)]);
    assert_eq!(s.exceptions_used, 2);
    assert_eq!(s.failed, vec![Failure::IndividualRanks]);
    // 2 grades: 4 first-year ranks → none allowed.
    let s = scenario(2, &[(2004, 3)]);
    assert_eq!((s.exceptions_allowed, s.exceptions_used), (0, 1));
    assert_eq!(s.failed, vec![Failure::IndividualRanks]);
}

#[test]
fn no_exception_in_the_most_recent_year() {
    let s = scenario(3, &[(2005, 3)]);
    assert_eq!(s.recent_failing, 1);
    assert_eq!(s.exceptions_used, 0);
    assert_eq!(s.failed, vec![Failure::RecentRank]);
}

#[test]
fn ranks_below_50_and_the_overall_rank() {
    // Seven schools in one band: ranks 0, 100/6, ..., 100.
    let mut rows = Vec::new();
    for &y in &YEARS {
        for s in 0..7 {
            rows.push(row(s, y, 3, 60.0 + s as f64, 20.0, 55.0));
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    let find = |n: usize| report.subjects.iter().find(|s| s.rcdts == id(n)).unwrap();
    // School 3 sits in the middle: rank exactly 50 passes.
    assert_eq!(find(3).slots[0].rank, Some(50.0));
    assert!(find(3).failed.iter().all(|f| *f != Failure::RecentRank));
    // 3 ranks in the subject → overall 85 required; 50 < 85.
    assert_eq!(find(3).required_overall_rank, 85.0);
    assert!(find(3).failed.contains(&Failure::OverallRank));
    // School 2 ranks 33.3 everywhere: fails the recent year and uses both
    // first-year ranks, with none allowed for 2 first-year ranks.
    assert_eq!(
        find(2).failed,
        vec![
            Failure::RecentRank,
            Failure::IndividualRanks,
            Failure::OverallRank
        ]
    );
    assert_eq!(find(6).overall_rank, Some(100.0));
    assert!(find(6).higher_performing);
    // One regression per cell with k = 1 predictor: 7 ≥ 1 + 3 schools.
    assert!(report.cells.iter().all(|c| c.regression && c.schools == 7));
}

#[test]
fn a_cell_needs_k_plus_3_schools() {
    let mut rows = Vec::new();
    for &y in &YEARS {
        for s in 0..3 {
            rows.push(row(s, y, 3, 60.0 + s as f64, 20.0, 10.0 * s as f64));
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    assert!(report.cells.iter().all(|c| !c.regression));
    assert!(report.cell_results().all(|c| c.rank.is_none()));
    assert!(report
        .subjects
        .iter()
        .all(|s| s.failed.contains(&Failure::RecentRank)));
}

#[test]
fn ayp_and_participation_checks() {
    let mut rows = Vec::new();
    for &y in &YEARS {
        for s in 0..7 {
            let mut r = row(s, y, 3, 60.0 + s as f64, 20.0, 55.0);
            match s {
                6 if y == 2004 => r.ayp_met = Some(false),
                5 => r.participation_pct = Some(if y == 2005 { 84.9 } else { 85.0 }),
                4 => r.participation_pct = Some(85.0),
                _ => {}
            }
            rows.push(r);
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    let find = |n: usize| report.subjects.iter().find(|s| s.rcdts == id(n)).unwrap();
    assert!(find(6).failed.contains(&Failure::Ayp));
    assert_eq!(find(6).accountability[1].check, CheckUsed::Ayp);
    assert!(find(5).failed.contains(&Failure::Ayp));
    assert!(!find(4).failed.contains(&Failure::Ayp));
    assert_eq!(find(4).accountability[0].check, CheckUsed::Participation);
    assert_eq!(find(3).accountability[0].check, CheckUsed::Skipped);
}

#[test]
fn a_gap_of_exactly_minus_15_passes_and_below_fails() {
    // Most recent year, grade 3: top comparable mean 75 (schools at 70, 75, 80).
    let mut rows = Vec::new();
    for &y in &YEARS {
        for (s, prof, li) in [
            (0, 60.0, 20.0),
            (1, 70.0, 30.0),
            (2, 75.0, 30.0),
            (3, 80.0, 30.0),
            (4, 59.9, 20.0),
        ] {
            let mut r = row(s, y, 3, prof, 20.0, li);
            r.proficient_pct = Some(prof);
            rows.push(r);
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    let find = |n: usize| report.subjects.iter().find(|s| s.rcdts == id(n)).unwrap();
    // School 0: comparable = schools with li ≥ 15: all 5, top 3 = 80, 75, 70.
    assert_eq!(find(0).min_gap, Some(-15.0));
    assert!(!find(0).failed.contains(&Failure::OpportunityGap));
    assert!((find(4).min_gap.unwrap() + 15.1).abs() < 1e-9);
    assert!(find(4).failed.contains(&Failure::OpportunityGap));
}

#[test]
fn bad_inputs_are_rejected_with_school_year_and_column() {
    let r = rules();
    let mut rows = vec![
        row(0, 2005, 3, 60.0, 20.0, 40.0),
        row(0, 2005, 3, 61.0, 20.0, 40.0),
    ];
    rows[1].line = 3;
    let e = higher_performing(&rows, &r, 2).unwrap_err();
    assert_eq!((e.line, e.year), (3, 2005));
    assert!(e.to_string().contains("a second row"));
    let rows = vec![
        row(0, 2005, 3, 60.0, 20.0, 40.0),
        row(0, 2005, 4, 61.0, 20.0, 41.0),
    ];
    let e = higher_performing(&rows, &r, 2).unwrap_err();
    assert_eq!(e.column, "pct_low_income");
    let rows = vec![row(0, 2005, 3, 60.0, 20.0, 140.0)];
    let e = higher_performing(&rows, &r, 2).unwrap_err();
    assert!(e
        .to_string()
        .contains("outside the range of pct_low_income, 0 to 100"));
    // One huge value would turn a whole regression to NaN.
    let mut rows = vec![row(0, 2005, 3, 60.0, 20.0, 40.0)];
    rows[0].performance = Some(1e308);
    let e = higher_performing(&rows, &r, 2).unwrap_err();
    assert_eq!(e.column, "performance");
}

#[test]
fn identical_schools_tie_instead_of_ranking_on_noise() {
    let rows: Vec<CellRow> = (0..12).map(|s| row(s, 2005, 3, 60.0, 20.0, 45.0)).collect();
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    let ranks: Vec<f64> = report
        .subjects
        .iter()
        .filter_map(|s| s.overall_rank)
        .collect();
    assert!(!ranks.is_empty());
    assert!(ranks.iter().all(|r| *r == 50.0), "{ranks:?}");
}

#[test]
fn the_window_is_the_three_most_recent_tested_years() {
    let mut rows = Vec::new();
    for y in [2016u16, 2017, 2018, 2019, 2020] {
        for s in 0..5 {
            rows.push(row(s, y, 3, 60.0 + s as f64, 20.0, 50.0));
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    // 2020 had no test: the window is 2017-2019.
    assert_eq!(report.window, vec![2017, 2018, 2019]);
}

#[test]
fn assessments_never_share_a_regression_and_each_is_a_slot() {
    // Elementary schools (grades 3-8 test) score around 60, high schools
    // (grade 11 test) around 30: in one regression every high school
    // would rank low. School 0 serves both (6-12) and tops each test.
    let mut rows = Vec::new();
    let mut add = |school: usize, y: u16, assessment: &str, perf: f64| {
        let mut r = row(school, y, 0, perf, 30.0, 50.0);
        r.key.grade = Grade::All;
        r.key.assessment = Some(assessment.into());
        rows.push(r);
    };
    for &y in &YEARS {
        add(0, y, "elementary", 80.0);
        add(0, y, "high", 50.0);
        for s in 1..7 {
            add(s, y, "elementary", 60.0 + s as f64);
            add(10 + s, y, "high", 30.0 + s as f64);
        }
    }
    let report = higher_performing(&rows, &rules(), 2).unwrap();
    // One regression per year and test.
    assert_eq!(report.cells.len(), 6);
    assert!(report.cells.iter().all(|c| c.schools == 7));
    let both = report.subjects.iter().find(|s| s.rcdts == id(0)).unwrap();
    // Tested "grades": all (elementary) and all (high), 3 years each.
    assert_eq!(both.ranks, 6);
    assert_eq!(both.slots.len(), 6);
    assert!(
        both.slots.iter().all(|x| x.rank == Some(100.0)),
        "{:?}",
        both.slots
    );
    let high = report.subjects.iter().find(|s| s.rcdts == id(11)).unwrap();
    assert_eq!(high.ranks, 3);
    // Without the assessments, the high schools share one regression with
    // the elementary ones and school 0's high-school slots merge away.
    for r in &mut rows {
        r.key.assessment = None;
    }
    let e = higher_performing(&rows, &rules(), 2).unwrap_err();
    assert!(e.to_string().contains("a second row"), "{e}");
}
