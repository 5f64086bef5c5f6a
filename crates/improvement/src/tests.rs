use super::*;
use crate::plan::{BudgetLine, Context, Goal, LearningPartner, Strategy};
use std::collections::BTreeMap;

const CYCLE: &str = include_str!("../../../states/illinois/improvement/cycle.toml");
const IQF: &str = include_str!("../../../states/illinois/improvement/iqf.toml");
const NAMES_2018: &str = include_str!("../../../states/illinois/improvement/iqf-names-2018.toml");
const NAMES_DECK: &str = include_str!("../../../states/illinois/improvement/iqf-names-deck.toml");

fn rules() -> CycleRules {
    CycleRules::parse(CYCLE, "cycle.toml").unwrap()
}

fn framework() -> Framework {
    Framework::parse(IQF, "iqf.toml", NAMES_2018, "iqf-names-2018.toml").unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn the_rules_and_both_namings_of_the_framework_load() {
    let r = rules();
    assert_eq!(r.section.len(), 4);
    assert!(r.partner_required("Comprehensive") && !r.partner_required("Targeted"));
    assert!(r.help_line("Targeted"));
    let f = framework();
    assert_eq!(f.standard.len(), 7);
    assert_eq!(
        f.levels,
        ["Ineffective", "Emerging", "Accomplished", "Exemplary"]
    );
    assert_eq!(f.standard[3].name, "Governance, Management and Operations");
    let deck = Framework::parse(IQF, "iqf.toml", NAMES_DECK, "iqf-names-deck.toml").unwrap();
    assert_eq!(deck.standard[3].name, "Governance");
    assert_eq!(deck.standard[4].name, "Education and Employee Equity");
    assert_eq!(deck.indicator_count(), f.indicator_count());
}

#[test]
fn bad_rules_are_refused_naming_the_file_and_the_fault() {
    let e = CycleRules::parse(
        &CYCLE.replace("day = 28, year = 1", "day = 29, year = 1"),
        "cycle.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("cycle.toml: deadlines.work_plan: 2022-2-29 is not a date"),
        "{e}"
    );
    let e = CycleRules::parse(
        &CYCLE.replace(r#""goals", "strategies""#, r#""goals", "strategy""#),
        "cycle.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`strategy` is neither a [[section]]"), "{e}");
    let e = Framework::parse(
        IQF,
        "iqf.toml",
        &NAMES_2018.replace("shared-leadership = ", "shared = "),
        "names.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("names.toml: no name for standard `shared-leadership`"),
        "{e}"
    );
    let one_short = IQF.replacen(
        "  \"The cycle is routine at every level, and reviews change practice and resources quickly.\",\n",
        "",
        1,
    );
    let e = Framework::parse(&one_short, "iqf.toml", NAMES_2018, "n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("indicator `ci-1` has 3 rubric descriptors for 4 levels"),
        "{e}"
    );
}

#[test]
fn a_school_year_has_its_due_dates() {
    let r = rules();
    // Report card 2018 starts support in school year 2018-19.
    assert_eq!(r.support_school_year(2018), 2018);
    let d = r.deadlines(2026).unwrap();
    assert_eq!(d.needs_assessment, date("2027-01-31"));
    assert_eq!(d.work_plan, date("2027-02-28"));
    assert_eq!(r.school_year_of(date("2027-02-28")), 2026);
    assert_eq!(r.school_year_of(date("2027-07-01")), 2027);
    assert_eq!(school_year_label(2026), "2026-27");
}

#[test]
fn lateness_is_judged_on_the_first_submission() {
    let due = date("2027-02-28");
    // The due date itself is on time.
    assert_eq!(
        timeliness(due, Some(date("2027-02-28")), date("2027-03-05")),
        Timeliness::OnTime {
            submitted_on: date("2027-02-28")
        }
    );
    // A day late is flagged, and kept.
    let late = timeliness(due, Some(date("2027-03-01")), date("2027-03-05"));
    assert_eq!(
        late,
        Timeliness::Late {
            submitted_on: date("2027-03-01"),
            days_late: 1
        }
    );
    assert!(late.is_late());
    assert_eq!(late.words(), "submitted 1 day late (2027-03-01)");
    // Submitted on time, returned, resubmitted after the due date: the
    // first submission counts, so it is not late.
    let first = Some(date("2027-02-20"));
    assert!(!timeliness(due, first, date("2027-03-10")).is_late());
    // Not yet submitted.
    assert_eq!(
        timeliness(due, None, date("2027-02-28")),
        Timeliness::Due { days_left: 0 }
    );
    assert_eq!(
        timeliness(due, None, date("2027-02-28")).words(),
        "due today"
    );
    assert_eq!(
        timeliness(due, None, date("2027-02-14")).words(),
        "due in 14 days"
    );
    assert_eq!(
        timeliness(due, None, date("2027-03-02")),
        Timeliness::Overdue { days_late: 2 }
    );
    // Reminders: due within the window, or overdue, and not submitted.
    assert!(cycle::needs_reminder(due, false, date("2027-02-14"), 14));
    assert!(!cycle::needs_reminder(due, false, date("2027-02-13"), 14));
    assert!(cycle::needs_reminder(due, false, date("2027-03-13"), 14));
    assert!(!cycle::needs_reminder(due, true, date("2027-02-20"), 14));
}

#[test]
fn the_approval_chain_goes_school_district_state() {
    use PlanStatus::*;
    assert_eq!(submit(Draft), Ok(Submitted));
    assert_eq!(submit(Returned), Ok(Submitted));
    assert!(submit(Submitted).unwrap_err().contains("submitted already"));
    assert!(submit(Approved).unwrap_err().contains("locked"));
    assert_eq!(
        review(Submitted, Level::Lea, Decision::Approved),
        Ok(LeaApproved)
    );
    assert_eq!(
        review(Submitted, Level::Lea, Decision::Returned),
        Ok(Returned)
    );
    assert_eq!(
        review(LeaApproved, Level::Sea, Decision::Approved),
        Ok(Approved)
    );
    assert_eq!(
        review(LeaApproved, Level::Sea, Decision::Returned),
        Ok(Returned)
    );
    // The state does not review before the district, nor the district twice.
    assert!(review(Submitted, Level::Sea, Decision::Approved)
        .unwrap_err()
        .contains("the district approved"));
    assert!(review(LeaApproved, Level::Lea, Decision::Approved).is_err());
    assert!(review(Draft, Level::Lea, Decision::Approved).is_err());
    assert!(review(Approved, Level::Sea, Decision::Returned).is_err());
    // Only draft and returned plans are edited; an approved one is amended.
    for s in PlanStatus::ALL {
        assert_eq!(s.editable(), matches!(s, Draft | Returned), "{s:?}");
        assert_eq!(PlanStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(amend(Approved), Ok(Draft));
    assert!(amend(Submitted).is_err());
}

fn good_plan() -> PlanContent {
    PlanContent {
        sections: BTreeMap::from([
            (
                "3".into(),
                "Too few interventionists for our English learners.".into(),
            ),
            (
                "4".into(),
                "Small-group tutoring three times a week.".into(),
            ),
        ]),
        priority_areas: vec!["curriculum-instruction".into()],
        partner: Some(LearningPartner {
            kind: "peer".into(),
            id: "010010010262002".into(),
            name: "Seymour".into(),
        }),
        goals: vec![Goal {
            indicator: "ela_proficiency".into(),
            statement: "More students meet the ELA standards".into(),
            baseline: Some(21.5),
            target: Some(30.0),
            by: "2028-06-30".into(),
        }],
        strategies: vec![Strategy {
            id: "tutoring".into(),
            need: "English learners' reading".into(),
            description: "Tutoring in small groups".into(),
            owner: "Assistant principal".into(),
            milestones: vec![],
            evidence: String::new(),
        }],
        budget: vec![
            BudgetLine {
                strategy: "tutoring".into(),
                category: "supplemental-staff".into(),
                description: "Two tutors".into(),
                amount_cents: 4_000_000,
            },
            BudgetLine {
                strategy: "tutoring".into(),
                category: "learning-partner".into(),
                description: "Agreement with Seymour".into(),
                amount_cents: 1_250_000,
            },
        ],
        monitoring: "Monthly review of tutoring data by the leadership team.".into(),
    }
}

fn context<'a>(status: &'a str, indicators: &'a [String], areas: &'a [String]) -> Context<'a> {
    Context {
        status: Some(status),
        needs_assessment_submitted: true,
        allocation_cents: Some(5_250_000),
        indicators,
        priority_areas: areas,
    }
}

#[test]
fn a_plan_goes_to_the_district_only_when_complete() {
    let r = rules();
    let indicators = vec!["ela_proficiency".to_string()];
    let areas = vec![
        "curriculum-instruction".to_string(),
        "culture-climate".to_string(),
    ];
    let plan = good_plan();
    assert_eq!(
        check_submission(&r, &plan, &context("Comprehensive", &indicators, &areas)),
        vec![]
    );
    // A Comprehensive school without a learning partner: refused, said why.
    let no_partner = PlanContent {
        partner: None,
        ..good_plan()
    };
    let p = check_submission(
        &r,
        &no_partner,
        &context("Comprehensive", &indicators, &areas),
    );
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].field, "partner");
    assert!(p[0]
        .message
        .starts_with("a school in Comprehensive support must name an IL-EMPOWER learning partner"));
    // A Targeted school may go without one.
    assert_eq!(
        check_submission(&r, &no_partner, &context("Targeted", &indicators, &areas)),
        vec![]
    );
    // Over the allocation by one cent: refused with the amounts.
    let mut over = good_plan();
    over.budget[0].amount_cents += 1;
    let p = check_submission(&r, &over, &context("Comprehensive", &indicators, &areas));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        p[0].message,
        "the budget totals $52,500.01 but the school's 1003(a) allocation is $52,500.00: remove $0.01"
    );
    // Without a submitted needs assessment, and with gaps everywhere.
    let empty = PlanContent::default();
    let ctx = Context {
        needs_assessment_submitted: false,
        ..context("Intensive", &indicators, &areas)
    };
    let fields: Vec<String> = check_submission(&r, &empty, &ctx)
        .into_iter()
        .map(|p| p.field)
        .collect();
    for f in [
        "needs_assessment",
        "partner",
        "sections.3",
        "sections.4",
        "priority_areas",
        "goals",
        "strategies",
        "monitoring",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
    }
    // Budget lines tied to a strategy the plan lacks, in an unknown category.
    let mut stray = good_plan();
    stray.budget[1].strategy = "coaching".into();
    stray.budget[1].category = "furniture".into();
    let p = check_budget(&r, &stray, Some(10_000_000));
    let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["budget[1].category", "budget[1].strategy"]);
    // No allocation entered yet: a budget cannot be checked.
    let p = check_budget(&r, &good_plan(), None);
    assert!(p[0]
        .message
        .contains("has not entered the school's 1003(a) allocation"));
}

#[test]
fn reviewers_see_what_changed_section_by_section() {
    let r = rules();
    let pre = BTreeMap::from([
        ("1".to_string(), "ELA 21.5%".to_string()),
        ("2".to_string(), "Emerging".to_string()),
    ]);
    let label = |c: &str| c.to_string();
    let before = plan::section_texts(&r, &good_plan(), &pre, label);
    let mut revised = good_plan();
    revised.sections.insert(
        "3".into(),
        "Too few interventionists for our English learners.\nNo bilingual aide in grades 1-2."
            .into(),
    );
    let after = plan::section_texts(&r, &revised, &pre, label);
    let d = diff(&r.review_sections, &before, &after);
    assert_eq!(d.len(), 8);
    let changed: Vec<&str> = d
        .iter()
        .filter(|s| s.changed)
        .map(|s| s.section.as_str())
        .collect();
    assert_eq!(changed, ["3"]);
    let three = &d[2];
    assert!(three
        .lines
        .iter()
        .any(|l| l.change == "added" && l.text == "No bilingual aide in grades 1-2."));
    assert!(three.lines.iter().any(|l| l.change == "removed"));
    assert!(before["budget"].ends_with("total $52,500.00"));
}

#[test]
fn an_assessment_is_submitted_when_every_indicator_is_rated_with_evidence() {
    let f = framework();
    let areas = vec!["culture-climate".to_string()];
    let mut a = Assessment::default();
    let p = assessment::check_submission(&f, &a, &areas);
    assert!(p
        .iter()
        .any(|p| p.message.starts_with("rate every indicator: 14 of 14")));
    assert!(p.iter().any(|p| p.field == "priority_areas"));
    for (n, s) in f.standard.iter().flat_map(|s| &s.indicator).enumerate() {
        a.ratings.insert(
            s.code.clone(),
            Rating {
                level: f.levels[n % 4].clone(),
                evidence: format!("evidence {n}"),
                ..Default::default()
            },
        );
    }
    a.priority_areas = areas.clone();
    assert_eq!(assessment::check_submission(&f, &a, &areas), vec![]);
    // Unknown level, a link that is not a web address, no evidence.
    a.ratings.get_mut("ci-1").unwrap().level = "Great".into();
    a.ratings.get_mut("ci-2").unwrap().links = vec!["file:///etc/passwd".into()];
    a.ratings.get_mut("cc-1").unwrap().evidence = " ".into();
    let fields: Vec<String> = assessment::check_submission(&f, &a, &areas)
        .into_iter()
        .map(|p| p.field)
        .collect();
    assert!(
        fields.contains(&"ratings.ci-1.level".to_string()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"ratings.ci-2.links".to_string()),
        "{fields:?}"
    );
    assert!(fields.contains(&"ratings".to_string()), "{fields:?}");
    // Findings: weakest first.
    a.ratings.get_mut("ci-1").unwrap().level = "Exemplary".into();
    let found = assessment::findings(&f, &a);
    assert_eq!(found.len(), 14);
    assert_eq!(found[0].level, "Ineffective");
    assert_eq!(found.last().unwrap().level, "Exemplary");
    assert!(assessment::findings_text(&found).starts_with("Ineffective · "));
}
