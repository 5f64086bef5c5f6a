use crate::eligibility::Status;
use crate::mentoring::{check_announcement, check_log, check_roles, countable_hours, LogLine};
use crate::*;
use empower_calendar::Date;

fn rules() -> FiscalYearRules {
    FiscalYearRules::parse(
        include_str!("../../../states/illinois/tep/fy2027.toml"),
        "fy2027.toml",
    )
    .unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn educator(license: License, role: Role, nbpts: Nbpts) -> Educator {
    Educator {
        license,
        role,
        nbpts,
        full_time: true,
        originally_assigned: true,
        retired: None,
        verified: Some(true),
    }
}

fn answer<'a>(all: &'a [Eligibility], slug: &str) -> &'a Eligibility {
    all.iter().find(|e| e.payment_type == slug).unwrap()
}

const HIGH_NEED: SchoolFacts = SchoolFacts {
    low_income_pct: Some(72.0),
    locale: Some(42),
};

#[test]
fn the_shipped_year_parses_and_later_years_take_the_nearest_earlier_file() {
    let r = rules();
    assert_eq!(r.fiscal_year, 2027);
    assert!(r.draft);
    assert_eq!(
        r.window().unwrap(),
        (date("2026-07-01"), date("2027-06-30"))
    );
    assert_eq!(fiscal_year_of(date("2026-06-30")), 2026);
    assert_eq!(fiscal_year_of(date("2026-07-01")), 2027);
    let later = rules_for(std::slice::from_ref(&r), 2029).unwrap();
    assert_eq!(later.fiscal_year, 2029);
    assert_eq!(later.announcement_deadline().unwrap(), date("2029-06-01"));
    assert!(rules_for(&[r], 2026).is_none());

    let broken = include_str!("../../../states/illinois/tep/fy2027.toml")
        .replace("slug = \"renewal\"", "slug = \"bonus\"");
    let e = FiscalYearRules::parse(&broken, "fy.toml").unwrap_err();
    assert!(e.to_string().contains("`renewal` is given 0 times"), "{e}");
}

#[test]
fn eligibility_for_each_license_and_role_with_the_reason_for_every_no() {
    let r = rules();
    // A certified PEL teacher in a high-need rural school.
    let all = eligibility(
        &r,
        &educator(License::Pel, Role::Teacher, Nbpts::Certified),
        &HIGH_NEED,
    );
    assert_eq!(answer(&all, "retention").status, Status::Eligible);
    assert_eq!(answer(&all, "retention").amount_cents, 400_000);
    assert_eq!(answer(&all, "mentoring").status, Status::Eligible);
    assert_eq!(answer(&all, "incentive_d").status, Status::Eligible);
    assert_eq!(answer(&all, "fee").status, Status::Ineligible);
    assert_eq!(
        answer(&all, "fee").reason,
        "the fee is for National Board candidates"
    );
    assert_eq!(answer(&all, "training_g").status, Status::Unknown);

    // A candidate on an ELS-CTE: the fee, not the NBCT payments.
    let all = eligibility(
        &r,
        &educator(License::ElsCte, Role::Teacher, Nbpts::Candidate),
        &HIGH_NEED,
    );
    assert_eq!(answer(&all, "fee").status, Status::Eligible);
    assert_eq!(answer(&all, "mentoring").status, Status::Ineligible);
    assert_eq!(
        answer(&all, "mentoring").reason,
        "a PEL with the National Board designation is needed"
    );

    // A counselor's position is authorized by a PEL only.
    for license in [License::ElsCte, License::ElsCtep, License::ElsPcte] {
        let all = eligibility(
            &r,
            &educator(license, Role::Counselor, Nbpts::Candidate),
            &HIGH_NEED,
        );
        assert_eq!(
            answer(&all, "fee").status,
            Status::Ineligible,
            "{license:?}"
        );
        assert!(answer(&all, "fee")
            .reason
            .contains("school counselor endorsement on a PEL"));
    }
    let all = eligibility(
        &r,
        &educator(License::Pel, Role::Counselor, Nbpts::Renewal),
        &HIGH_NEED,
    );
    assert_eq!(answer(&all, "renewal").status, Status::Eligible);

    // Part-time, not originally assigned, not yet verified, rejected.
    let mut e = educator(License::Pel, Role::Teacher, Nbpts::Candidate);
    e.full_time = false;
    assert_eq!(
        answer(&eligibility(&r, &e, &HIGH_NEED), "fee").reason,
        "the position is not full-time (25.444(b))"
    );
    e.full_time = true;
    e.originally_assigned = false;
    assert_eq!(
        answer(&eligibility(&r, &e, &HIGH_NEED), "fee").status,
        Status::Ineligible
    );
    e.originally_assigned = true;
    e.verified = None;
    assert_eq!(
        answer(&eligibility(&r, &e, &HIGH_NEED), "fee").status,
        Status::Unknown
    );

    // Retired NBCTs may mentor; not take the retention bonus.
    let mut retired = educator(License::Pel, Role::Teacher, Nbpts::Certified);
    retired.retired = Some(Pension::Trs);
    let all = eligibility(&r, &retired, &HIGH_NEED);
    assert_eq!(answer(&all, "mentoring").status, Status::Eligible);
    assert_eq!(answer(&all, "retention").status, Status::Ineligible);

    // The school's facts: under 30% low income is a no; missing data is
    // unknown, never no.
    let nbct = educator(License::Pel, Role::Teacher, Nbpts::Certified);
    let low = SchoolFacts {
        low_income_pct: Some(12.5),
        locale: Some(21),
    };
    let all = eligibility(&r, &nbct, &low);
    assert_eq!(
        answer(&all, "retention").reason,
        "the school is not hard-to-staff: 12.5% low income, under 30%"
    );
    assert_eq!(answer(&all, "incentive_d").status, Status::Ineligible);
    let all = eligibility(&r, &nbct, &SchoolFacts::default());
    assert_eq!(answer(&all, "retention").status, Status::Unknown);
    assert_eq!(
        answer(&all, "retention").reason,
        "the report card gives no low-income share for the school"
    );
    assert_eq!(answer(&all, "incentive_d").status, Status::Unknown);
    let edge = SchoolFacts {
        low_income_pct: Some(30.0),
        locale: None,
    };
    assert_eq!(
        answer(&eligibility(&r, &nbct, &edge), "retention").status,
        Status::Eligible
    );
}

fn request(slug: &str) -> NewRequest<'_> {
    NewRequest {
        payment_type: slug,
        eligibility: Status::Eligible,
        eligibility_reason: "",
        verified: Some(true),
    }
}

/// Receives requests one by one as the store does, each at the end of
/// the line.
fn receive(r: &FiscalYearRules, appropriation: i64, slugs: &[&str]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        let d = decide(r, Some(appropriation), &entries, &request(slug), false);
        entries.push(Entry {
            sequence: i as i64 + 1,
            payment_type: slug.to_string(),
            amount_cents: r.payment_type(slug).unwrap().amount_cents,
            status: d.status,
            verified: Some(true),
            lapsed: false,
        });
    }
    entries
}

#[test]
fn the_first_in_line_are_funded_in_full_and_never_beyond_the_appropriation() {
    let r = rules();
    // 500 renewal requests ($1,000) against $180,000: exactly the first 180.
    let entries = receive(&r, 18_000_000, &["renewal"; 500]);
    let funded: Vec<i64> = entries
        .iter()
        .filter(|e| e.status == EntryStatus::Funded)
        .map(|e| e.sequence)
        .collect();
    assert_eq!(funded, (1..=180).collect::<Vec<_>>());
    let t = totals(18_000_000, &entries);
    assert_eq!(
        (t.committed_cents, t.paid_cents, t.remaining_cents),
        (18_000_000, 0, 0)
    );
    assert_eq!(
        t.appropriation_cents,
        t.committed_cents + t.paid_cents + t.remaining_cents
    );
    assert_eq!(
        place_in_line(&entries, 213),
        "you are 213th in line; 180 requests before yours were reserved, funded or paid"
    );

    // Money freed (the 7th verification rejected): the waitlist is walked
    // again in order, and the 181st is funded.
    let mut after = entries.clone();
    after[6].status = EntryStatus::Denied;
    after[6].verified = Some(false);
    let changes = rewalk(&r, 18_000_000, &after, false);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, 181);
    assert_eq!(changes[0].1.status, EntryStatus::Funded);
}

#[test]
fn a_later_smaller_request_may_be_funded_when_an_earlier_one_does_not_fit() {
    let r = rules();
    // $5,000: a retention bonus ($4,000) is funded; the next one does
    // not fit and waits; the renewal ($1,000) after it still fits.
    let entries = receive(&r, 500_000, &["retention", "retention", "renewal"]);
    let statuses: Vec<EntryStatus> = entries.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        vec![
            EntryStatus::Funded,
            EntryStatus::Waitlisted,
            EntryStatus::Funded
        ]
    );
    let d = decide(&r, Some(500_000), &entries, &request("renewal"), false);
    assert_eq!(d.status, EntryStatus::Waitlisted);
    assert_eq!(
        d.reason,
        "waitlisted: the appropriation has $0.00 left and the payment is $1,000.00"
    );
}

#[test]
fn caps_residual_money_waiting_and_denials() {
    let mut r = rules();
    r.payment_type
        .iter_mut()
        .find(|t| t.slug == "fee")
        .unwrap()
        .cap_count = Some(2);
    let entries = receive(&r, 100_000_000, &["fee", "fee", "fee", "renewal"]);
    assert_eq!(entries[2].status, EntryStatus::Waitlisted);
    assert_eq!(entries[3].status, EntryStatus::Funded);
    let d = decide(&r, Some(100_000_000), &entries, &request("fee"), false);
    assert_eq!(
        d.reason,
        "waitlisted: the fee cap of 2 payments this year is reached"
    );

    // (d) money waits for the window to close, then comes after (a)-(c).
    let d = decide(
        &r,
        Some(100_000_000),
        &entries,
        &request("incentive_d"),
        false,
    );
    assert_eq!(d.status, EntryStatus::Waitlisted);
    let mut line = entries.clone();
    line.push(Entry {
        sequence: 5,
        payment_type: "incentive_d".into(),
        amount_cents: 100_000,
        status: EntryStatus::Waitlisted,
        verified: Some(true),
        lapsed: false,
    });
    assert!(rewalk(&r, 100_000_000, &line, false).is_empty());
    let changes = rewalk(&r, 100_000_000, &line, true);
    assert_eq!(
        changes,
        vec![(
            5,
            Decision {
                status: EntryStatus::Funded,
                reason: "funded: the employer verified the position".into()
            }
        )]
    );

    // Waiting for verification keeps the place (reserved) by default.
    let mut waiting = request("renewal");
    waiting.verified = None;
    assert_eq!(
        decide(&r, Some(100_000_000), &[], &waiting, false).status,
        EntryStatus::Reserved
    );
    r.waiting_keeps_place = false;
    assert_eq!(
        decide(&r, Some(100_000_000), &[], &waiting, false).status,
        EntryStatus::Waitlisted
    );

    // An ineligible request is denied with the rule's reason; without an
    // appropriation nothing is committed.
    let mut refused = request("renewal");
    refused.eligibility = Status::Ineligible;
    refused.eligibility_reason = "the position is not full-time (25.444(b))";
    let d = decide(&r, Some(100_000_000), &[], &refused, false);
    assert_eq!(
        (d.status, d.reason.as_str()),
        (
            EntryStatus::Denied,
            "the position is not full-time (25.444(b))"
        )
    );
    assert_eq!(
        decide(&r, None, &[], &request("renewal"), false).status,
        EntryStatus::Waitlisted
    );
}

fn line(day: &str, hours: f64, signed: bool) -> LogLine {
    LogLine {
        date: date(day),
        hours,
        recipient: "new.teacher@example.org".into(),
        addressed: vec!["24.130 Illinois Professional Teaching Standards: Assessment".into()],
        needs: "Grade 3 reading groups".into(),
        signed,
    }
}

#[test]
fn the_forty_sixth_hour_does_not_count_and_an_unsigned_log_blocks_payment() {
    let r = rules();
    let lines = vec![
        line("2026-10-01", 40.0, true),
        line("2026-12-01", 6.0, true),
        line("2027-01-10", 2.0, true),
    ];
    assert_eq!(countable_hours(&r, &lines), vec![40.0, 5.0, 0.0]);
    assert!(check_log(&lines).is_ok());
    let mut unsigned = lines.clone();
    unsigned[1].signed = false;
    assert_eq!(
        check_log(&unsigned).unwrap_err(),
        vec!["entry 2 (2026-12-01, new.teacher@example.org): not signed by the recipient yet"]
    );
    assert!(check_log(&[]).is_err());
    assert_eq!(
        check_roles(Role::Teacher, Role::Counselor).unwrap_err(),
        "a teacher mentors only teachers for payment: the recipient is a school counselor"
    );
    assert!(check_roles(Role::Counselor, Role::Counselor).is_ok());
}

#[test]
fn the_announcement_is_published_by_june_1_of_the_fiscal_year() {
    let r = rules();
    assert!(check_announcement(&r, date("2027-06-01")).is_ok());
    assert_eq!(
        check_announcement(&r, date("2027-06-02")).unwrap_err(),
        "the (g) training announcement is published no later than 2027-06-01; today is 2027-06-02"
    );
}

#[test]
fn a_lapsed_reservation_frees_its_money_and_waits_for_the_verification() {
    let r = rules();
    let reserved_at = 1_000_000;
    let days = r.reservation_lapse_days * 86_400;
    assert!(!reservation_lapsed(&r, reserved_at, reserved_at + days));
    assert!(reservation_lapsed(&r, reserved_at, reserved_at + days + 1));
    let entry = |sequence: i64, status: EntryStatus, verified: Option<bool>, lapsed: bool| Entry {
        sequence,
        payment_type: "renewal".into(),
        amount_cents: 100_000,
        status,
        verified,
        lapsed,
    };
    // The 1st lapsed unverified: the money goes to the 2nd, not back to it.
    let line = vec![
        entry(1, EntryStatus::Waitlisted, None, true),
        entry(2, EntryStatus::Waitlisted, None, false),
    ];
    let changes = rewalk(&r, 100_000, &line, false);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].0, changes[0].1.status),
        (2, EntryStatus::Reserved)
    );
    assert!(lapse(&r).reason.contains("30 days"));
    // Once verified it takes its place again: funded before the 2nd.
    let line = vec![
        entry(1, EntryStatus::Waitlisted, Some(true), true),
        entry(2, EntryStatus::Waitlisted, None, false),
    ];
    let changes = rewalk(&r, 100_000, &line, false);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].0, changes[0].1.status),
        (1, EntryStatus::Funded)
    );
}

#[test]
fn the_locale_code_is_read_from_the_data_s_text() {
    assert_eq!(locale_code("42-Rural: Distant"), Some(42));
    assert_eq!(locale_code("11"), Some(11));
    assert_eq!(locale_code(" 33-Town: Remote"), Some(33));
    assert_eq!(locale_code("Rural"), None);
    assert_eq!(locale_code("420"), None);
    assert_eq!(locale_code(""), None);
}
