//! The store's test suite, run against SQLite and PostgreSQL (each test in
//! a database of its own: `empower_store::testing`).

use empower_store::*;

use empower_store::testing::TestDatabase;

fn explanation(rcdts: &str, year: u16, band: &str) -> empower_accountability::Explanation {
    serde_json::from_value(serde_json::json!({
        "year": year, "rules": "test rules", "rcdts": rcdts, "school_name": "A School",
        "band": band, "designation": "Targeted", "official_designation": null,
        "reasons": [{"code": "top-10"}], "title1": true, "index": 41.5,
        "percentile": 0.2, "cuts": null, "indicators": [], "groups": [],
        "groups_not_computable": [], "deciding_rule": "a group's index is at or below the cut",
        "next_designation": "Commendable", "next_steps": []
    }))
    .unwrap()
}

fn school(rcdts: &str, name: &str, district: &str, city: &str) -> School {
    School {
        rcdts: rcdts.into(),
        name: name.into(),
        district: district.into(),
        district_name: format!("District of {city}"),
        city: city.into(),
        county: "Adams".into(),
        region: rcdts[..2].into(),
        grades: vec!["K".into(), "1".into(), "2".into()],
        profile: Profile {
            year: Some(2018),
            enrollment: Some(300.0),
            demographics: vec![Share {
                group: "low-income".into(),
                pct: 52.5,
            }],
            ..Default::default()
        },
    }
}

fn designation(
    rcdts: &str,
    year: u16,
    band: Option<&str>,
    d: &str,
    of_record: bool,
) -> DesignationRow {
    DesignationRow {
        year,
        rcdts: rcdts.into(),
        band: band.map(str::to_string),
        source: if band.is_some() {
            DesignationSource::Computed
        } else {
            DesignationSource::Official
        },
        designation: Some(d.into()),
        index: band.map(|_| 50.0),
        reasons: String::new(),
        of_record,
    }
}

/// Many designations, a NULL index first and numbers after, over several
/// INSERT batches (a NULL must not fix the parameter's type).
fn many_designations() -> Vec<DesignationRow> {
    (0..450)
        .map(|i| DesignationRow {
            index: (i % 7 != 0).then_some(i as f64 / 3.0),
            ..designation(
                &format!("0900100102{:05}", i),
                2018,
                Some("ES"),
                "Commendable",
                false,
            )
        })
        .collect()
}

fn publication(tag: &str) -> Publication {
    Publication {
        sources_sha256: tag.into(),
        summary: "test".into(),
        years: vec![
            ReportYear {
                year: 2018,
                rules_name: Some("test rules".into()),
                rules_version: Some("1".into()),
                computed: 3,
                official: 1,
            },
            ReportYear {
                year: 2019,
                rules_name: None,
                rules_version: None,
                computed: 0,
                official: 1,
            },
        ],
        districts: vec![District {
            rcdts: "010010010260000".into(),
            name: "Payson CUSD 1".into(),
            city: "Payson".into(),
            county: "Adams".into(),
            region: "01".into(),
        }],
        schools: vec![
            school(
                "010010010262002",
                "Payson Elementary",
                "010010010260000",
                "Payson",
            ),
            school(
                "010010010260001",
                "Seymour High School",
                "010010010260000",
                "Payson",
            ),
            school(
                "020010010262001",
                "Cairo Junior High",
                "020010010260000",
                "Cairo",
            ),
        ],
        designations: vec![
            designation("010010010262002", 2018, Some("ES"), "Commendable", false),
            designation("010010010262002", 2018, None, "Exemplary", true),
            designation("010010010260001", 2018, Some("ES"), "Targeted", false),
            designation("010010010260001", 2018, Some("HS"), "Commendable", true),
            designation("020010010262001", 2018, Some("ES"), "Targeted", true),
            designation("020010010262001", 2019, None, "Commendable", true),
        ],
        explanations: vec![
            explanation("010010010260001", 2018, "ES"),
            explanation("010010010260001", 2018, "HS"),
        ],
        statuses: vec![StatusRow {
            rcdts: "020010010262001".into(),
            year: 2018,
            status: Some("Targeted".into()),
            cohort_year: Some(2018),
            term: Some("Planning".into()),
            event: "entered".into(),
            note: None,
        }],
    }
}

fn source(name: &str, body: &str) -> Source {
    Source {
        sha256: format!("sha-{name}"),
        name: name.into(),
        year: Some(2018),
        bytes: body.as_bytes().to_vec(),
    }
}

const FIRST: SchoolPage = SchoolPage {
    page: 1,
    per_page: 50,
};

#[tokio::test]
async fn publishes_and_reads_back_on_every_backend() {
    for db in TestDatabase::each("publish").await {
        let store = db.store.clone();
        let b = store.backend();
        assert!(store.is_empty().await.unwrap(), "{b:?}");
        assert!(store.healthy().await);
        store
            .publish(
                &[source("general.csv", "a,b\n1,2\n")],
                &publication("set-1"),
            )
            .await
            .unwrap();
        assert!(!store.is_empty().await.unwrap());
        assert_eq!(
            store.published_sources().await.unwrap().as_deref(),
            Some("set-1")
        );
        let sources = store.sources().await.unwrap();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].bytes, b"a,b\n1,2\n");
        assert_eq!(store.years().await.unwrap()[0].computed, 3);
        assert_eq!(store.years().await.unwrap().len(), 2);

        // Every school, A-Z, with its designations.
        let all = store.all_schools().await.unwrap();
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Cairo Junior High",
                "Payson Elementary",
                "Seymour High School"
            ],
            "{b:?}"
        );
        assert_eq!(all[0].designations.len(), 2);
        assert!(store.publication_id().await.unwrap().is_some());

        // A school: its designations (the record marked), profile, status.
        let item = all.iter().find(|s| s.rcdts == "010010010262002").unwrap();
        assert_eq!(item.grades, ["K", "1", "2"]);
        assert_eq!(item.designations.len(), 2);
        let record: Vec<_> = item.designations.iter().filter(|d| d.of_record).collect();
        assert_eq!(record.len(), 1);
        assert_eq!(record[0].source, DesignationSource::Official);
        assert_eq!(record[0].band, None);
        let (profile, explanations) = store.profile("010010010262002").await.unwrap().unwrap();
        assert_eq!(profile.demographics[0].pct, 52.5);
        assert!(explanations.is_empty());
        let (_, explanations) = store.profile("010010010260001").await.unwrap().unwrap();
        assert_eq!(explanations.len(), 2);
        assert!(store.profile("999999999999999").await.unwrap().is_none());
        let statuses = store.all_statuses().await.unwrap();
        assert!(statuses.iter().all(|s| s.rcdts != "010010010262002"));
        let planning: Vec<_> = statuses
            .iter()
            .filter(|s| s.rcdts == "020010010262001")
            .collect();
        assert_eq!(planning[0].term.as_deref(), Some("Planning"));

        // Explanations read back as the engine's type.
        let ex = store.explanations("010010010260001", None).await.unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].index, Some(41.5));
        assert!(store
            .explanations("010010010260001", Some(2019))
            .await
            .unwrap()
            .is_empty());

        // Districts.
        let d = store.districts("", FIRST).await.unwrap();
        assert_eq!(d.items[0].name, "Payson CUSD 1");
        let all = d.total;
        // Found by any case of a word of its name, its city or its id,
        // hyphens or not; wildcards are taken literally.
        for q in ["payson", "PAYSON cusd", "01-001-0010-26", "0100100102"] {
            let found = store.districts(q, FIRST).await.unwrap();
            assert_eq!(found.items[0].name, "Payson CUSD 1", "{q}");
        }
        assert!(all > 0);
        for q in ["%", "_", "payson zzz"] {
            assert_eq!(store.districts(q, FIRST).await.unwrap().total, 0, "{q}");
        }
        let district = store.district("010010010260000").await.unwrap().unwrap();
        assert_eq!(district.city, "Payson");
        assert!(store.district("990000000000000").await.unwrap().is_none());

        // A second publication replaces the first, under a new id.
        let first_id = store.publication_id().await.unwrap();
        let mut second = publication("set-2");
        second.schools.truncate(1);
        store.publish(&[], &second).await.unwrap();
        assert_eq!(store.all_schools().await.unwrap().len(), 1, "{b:?}");
        assert_ne!(store.publication_id().await.unwrap(), first_id);
        assert_eq!(store.sources().await.unwrap().len(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn nulls_and_numbers_mix_across_batches() {
    for db in TestDatabase::each("batches").await {
        let mut p = publication("set-1");
        p.designations.extend(many_designations());
        p.statuses.push(StatusRow {
            rcdts: "010010010262002".into(),
            year: 2018,
            status: None,
            cohort_year: None,
            term: None,
            event: "not-in-status".into(),
            note: None,
        });
        let s = source("untagged.csv", "z");
        let untagged = Source { year: None, ..s };
        db.store
            .publish(&[untagged, source("a.csv", "x")], &p)
            .await
            .unwrap();
        assert_eq!(db.store.sources().await.unwrap().len(), 2);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_failed_publication_changes_nothing() {
    for db in TestDatabase::each("atomic").await {
        let store = db.store.clone();
        store
            .publish(&[source("a.csv", "x")], &publication("set-1"))
            .await
            .unwrap();
        // The same designation twice breaks the primary key on the last
        // table written: the sources and schools written before roll back.
        let mut bad = publication("set-2");
        bad.schools.truncate(1);
        let dup = bad.designations[0].clone();
        bad.designations.push(dup);
        let e = store.publish(&[source("b.csv", "y")], &bad).await;
        assert!(e.is_err(), "{:?}", store.backend());
        assert_eq!(store.sources().await.unwrap().len(), 1);
        assert_eq!(
            store.published_sources().await.unwrap().as_deref(),
            Some("set-1")
        );
        assert_eq!(store.all_schools().await.unwrap().len(), 3);
        db.finish().await;
    }
}

#[tokio::test]
async fn sqlite_backs_up_to_a_new_file() {
    let db = TestDatabase::sqlite("backup").await;
    let store = db.store.clone();
    store.publish(&[], &publication("set-1")).await.unwrap();
    let dir = std::env::temp_dir().join(format!("empower-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("copy.db");
    store.backup(&copy).await.unwrap();
    assert!(store.backup(&copy).await.is_err(), "never overwrites");
    let restored = Store::open(&format!("sqlite:{}", copy.display()))
        .await
        .unwrap();
    assert_eq!(restored.all_schools().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes_on_every_backend() {
    for db in TestDatabase::each("audit").await {
        let store = db.store.clone();
        let b = store.backend();
        let mut w = store.write().await.unwrap();
        let user = w
            .insert_user("ada@example.org", "Ada", None, 1_000)
            .await
            .unwrap();
        let record = NewAudit {
            at: 1_000,
            actor: "command line".into(),
            action: "user.create".into(),
            entity: "user".into(),
            entity_id: user.id.to_string(),
            before: None,
            after: Some(serde_json::json!({"email": "ada@example.org"})),
        };
        w.audit(&record).await.unwrap();
        w.commit().await.unwrap();
        for sql in [
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
        ] {
            let e = store.execute_admin(sql).await.unwrap_err().to_string();
            assert!(e.contains("append-only"), "{b:?} {sql}: {e}");
        }
        if b == Backend::Postgres {
            let e = store
                .execute_admin("TRUNCATE audit_log")
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("append-only"), "{e}");
        }
        let all = FIRST;
        let log = store.audit(&AuditFilter::default(), all).await.unwrap();
        assert_eq!(log.total, 1, "{b:?}");
        assert_eq!(log.items[0].actor, "command line");
        assert_eq!(log.items[0].after, record.after);

        // A change dropped without commit leaves no audit record.
        let mut w = store.write().await.unwrap();
        w.insert_user("bo@example.org", "Bo", None, 2_000)
            .await
            .unwrap();
        w.audit(&NewAudit {
            entity_id: "2".into(),
            ..record.clone()
        })
        .await
        .unwrap();
        drop(w);
        assert_eq!(store.user_count().await.unwrap(), 1, "{b:?}");
        assert_eq!(
            store
                .audit(&AuditFilter::default(), all)
                .await
                .unwrap()
                .total,
            1
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn accounts_sessions_tokens_and_links_on_every_backend() {
    for db in TestDatabase::each("accounts").await {
        let store = db.store.clone();
        let b = store.backend();
        let mut w = store.write().await.unwrap();
        let ada = w
            .insert_user("ada@example.org", "Ada", Some("$argon2id$x"), 1_000)
            .await
            .unwrap();
        let leader = RoleRow {
            role: "school-leader".into(),
            scope: "010010010262002".into(),
        };
        assert!(w.add_role(ada.id, &leader, 1_000).await.unwrap());
        assert!(!w.add_role(ada.id, &leader, 1_001).await.unwrap());
        w.insert_session("s-hash", ada.id, "csrf-1", 1_000, 2_000)
            .await
            .unwrap();
        w.insert_token("t-hash", ada.id, 1_000, 5_000)
            .await
            .unwrap();
        w.commit().await.unwrap();

        assert_eq!(
            store.roles_of(ada.id).await.unwrap(),
            std::slice::from_ref(&leader)
        );
        let (u, csrf) = store.session_user("s-hash", 1_500).await.unwrap().unwrap();
        assert_eq!(
            (u.email.as_str(), csrf.as_str()),
            ("ada@example.org", "csrf-1")
        );
        // Expired, unknown: no one.
        assert!(store.session_user("s-hash", 2_000).await.unwrap().is_none());
        assert!(store.session_user("other", 1_500).await.unwrap().is_none());
        assert!(store.token_user("t-hash", 4_999).await.unwrap().is_some());

        // Revoking everything but the session that changed the password.
        let mut w = store.write().await.unwrap();
        w.insert_session("s2-hash", ada.id, "csrf-2", 1_000, 9_000)
            .await
            .unwrap();
        w.revoke_all_of(ada.id, Some("s2-hash"), 1_600)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(
            store.session_user("s-hash", 1_700).await.unwrap().is_none(),
            "{b:?}"
        );
        assert!(store
            .session_user("s2-hash", 1_700)
            .await
            .unwrap()
            .is_some());
        assert!(store.token_user("t-hash", 1_700).await.unwrap().is_none());

        // A link is used once.
        let link = LinkRow {
            kind: "invitation".into(),
            email: "bo@example.org".into(),
            name: "Bo".into(),
            role: Some("educator".into()),
            scope: None,
            created_by: Some(ada.id),
            created_at: 1_000,
            expires_at: 3_000,
            used_at: None,
        };
        let mut w = store.write().await.unwrap();
        w.insert_link("l-hash", &link).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.open_invitations(2_000).await.unwrap().len(), 1);
        let mut w = store.write().await.unwrap();
        assert!(w.use_link("l-hash", 2_000).await.unwrap());
        assert!(!w.use_link("l-hash", 2_001).await.unwrap());
        w.commit().await.unwrap();
        assert_eq!(
            store.link("l-hash").await.unwrap().unwrap().used_at,
            Some(2_000)
        );
        assert!(store.open_invitations(2_000).await.unwrap().is_empty());

        // Failed sign-ins are counted per account and per address.
        let mut w = store.write().await.unwrap();
        for at in [100, 200, 300] {
            w.record_sign_in_failure("ada@example.org", "10.0.0.1", at, 0)
                .await
                .unwrap();
        }
        w.commit().await.unwrap();
        let (times, from) = store
            .sign_in_failures("ada@example.org", "10.0.0.1", 150)
            .await
            .unwrap();
        assert_eq!((times, from), (vec![200, 300], 2));

        // Removing a role.
        let mut w = store.write().await.unwrap();
        assert!(w.remove_role(ada.id, &leader).await.unwrap());
        w.commit().await.unwrap();
        assert!(store.roles_of(ada.id).await.unwrap().is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn partner_rounds_applications_and_engagements_on_every_backend() {
    for db in TestDatabase::each("partners").await {
        let store = db.store.clone();
        let b = store.backend();
        let fields = ApplicationFields {
            regions: vec!["01".into(), "15".into()],
            priority_areas: vec!["culture-climate".into()],
            services: vec!["needs-assessment".into()],
            capacity: 2,
            contacts: vec![Contact {
                name: "Pat".into(),
                email: "pat@example.org".into(),
                phone: "217-555-0100".into(),
            }],
            evidence: Evidence {
                sustained_success: "Three years of growth".into(),
                ..Default::default()
            },
        };
        let mut w = store.write().await.unwrap();
        let coordinator = w
            .insert_user("cy@example.org", "Cy", None, 1)
            .await
            .unwrap()
            .id;
        let round = w
            .insert_round(
                "PLP 2018-2019",
                "2018-11-01",
                "2019-01-15",
                "2019-02-15",
                None,
                10,
            )
            .await
            .unwrap();
        let id = w
            .insert_application("010010010262002", round.id, &fields, None, 20)
            .await
            .unwrap()
            .unwrap();
        // One application per school and round.
        assert!(w
            .insert_application("010010010262002", round.id, &fields, None, 21)
            .await
            .unwrap()
            .is_none());
        w.commit().await.unwrap();
        let a = store.application(id).await.unwrap().unwrap();
        assert_eq!((a.status.as_str(), &a.fields), ("draft", &fields), "{b:?}");

        let mut w = store.write().await.unwrap();
        let mut changed = fields.clone();
        changed.capacity = 3;
        w.update_application(id, &changed, 30).await.unwrap();
        assert!(w
            .move_application(id, "draft", "submitted", 31)
            .await
            .unwrap());
        assert!(!w
            .move_application(id, "draft", "submitted", 32)
            .await
            .unwrap());
        w.record_submission(id, &snapshot(&"facts"), 31)
            .await
            .unwrap();
        assert!(w
            .move_application(id, "submitted", "approved", 40)
            .await
            .unwrap());
        w.record_decision(id, "strong evidence", coordinator, 40)
            .await
            .unwrap();
        assert!(w.flag_for_review(id, "now Targeted", 50).await.unwrap());
        assert!(!w.flag_for_review(id, "again", 51).await.unwrap());
        let e = w
            .insert_engagement(
                "020010010262001",
                id,
                "culture-climate",
                "2019-03-01",
                "2019-06-30",
                "MOU",
                250_000,
                "coaching",
                None,
                60,
            )
            .await
            .unwrap();
        assert!(w.accept_engagement(e, coordinator, 61).await.unwrap());
        assert!(!w.accept_engagement(e, coordinator, 62).await.unwrap());
        w.commit().await.unwrap();

        let a = store.application(id).await.unwrap().unwrap();
        assert_eq!(a.status, "approved");
        assert_eq!(a.fields.capacity, 3);
        assert_eq!(a.review_reason.as_deref(), Some("now Targeted"));
        assert_eq!(a.decision_reason.as_deref(), Some("strong evidence"));
        assert_eq!(
            store
                .applications(None, Some("approved"))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(store
            .applications(Some("999999999999999"), None)
            .await
            .unwrap()
            .is_empty());
        let es = store.engagements(None, Some(id)).await.unwrap();
        assert_eq!(
            (es.len(), es[0].status.as_str(), es[0].budget_cents),
            (1, "accepted", 250_000)
        );
        assert_eq!(
            store
                .engagements(Some("020010010262001"), None)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(store.rounds().await.unwrap()[0].due_on, "2019-01-15");
        db.finish().await;
    }
}

/// One booking as the use case makes it: the next number, the line read
/// in the same transaction, funded in full when it fits, the year's
/// totals moved with it.
async fn book(store: &Store, educator: i64, amount: i64, now: i64) -> (i64, String) {
    let mut w = store.write().await.unwrap();
    let sequence = w
        .take_tep_sequence(2027)
        .await
        .unwrap()
        .expect("the year is open");
    let year = w.tep_requests(2027).await.unwrap();
    let held: i64 = year
        .iter()
        .filter(|r| ["reserved", "funded", "paid"].contains(&r.status.as_str()))
        .map(|r| r.amount_cents)
        .sum();
    let appropriation = 18_000_000;
    let status = if held + amount <= appropriation {
        "funded"
    } else {
        "waitlisted"
    };
    let id = w
        .insert_tep_request(
            &NewTepRequest {
                fiscal_year: 2027,
                sequence,
                educator_id: educator,
                payment_type: "renewal",
                amount_cents: amount,
                status,
                reason: status,
                idempotency_key: &format!("key-{educator}"),
            },
            now,
        )
        .await
        .unwrap();
    if status == "funded" {
        w.add_tep_money(2027, amount, 0, now).await.unwrap();
    }
    w.insert_tep_entry(id, None, status, status, Some(educator), now)
        .await
        .unwrap();
    w.commit().await.unwrap();
    (sequence, status.to_string())
}

#[tokio::test]
async fn the_tep_ledger_cannot_overspend_skip_or_repeat_a_number_on_every_backend() {
    for db in TestDatabase::each("tep").await {
        let store = db.store.clone();
        let b = store.backend();
        let now = 1_800_000_000;
        let mut w = store.write().await.unwrap();
        let mut educators = Vec::new();
        for i in 0..200 {
            let u = w
                .insert_user(&format!("teacher{i}@example.org"), "Teacher", None, now)
                .await
                .unwrap();
            educators.push(u.id);
        }
        assert!(
            w.take_tep_sequence(2027).await.unwrap().is_none(),
            "no year yet"
        );
        assert!(w
            .set_tep_appropriation(2027, 18_000_000, now)
            .await
            .unwrap());
        w.commit().await.unwrap();

        // 200 requests of $1,000 at once against $180,000.
        let mut tasks = Vec::new();
        for &e in &educators {
            let store = store.clone();
            tasks.push(tokio::spawn(
                async move { book(&store, e, 100_000, now).await },
            ));
        }
        let mut booked = Vec::new();
        for t in tasks {
            booked.push(t.await.unwrap());
        }
        booked.sort();
        let numbers: Vec<i64> = booked.iter().map(|b| b.0).collect();
        assert_eq!(
            numbers,
            (1..=200).collect::<Vec<_>>(),
            "{b:?}: gapless, no repeats"
        );
        let funded: Vec<i64> = booked
            .iter()
            .filter(|b| b.1 == "funded")
            .map(|b| b.0)
            .collect();
        assert_eq!(
            funded,
            (1..=180).collect::<Vec<_>>(),
            "{b:?}: the first 180"
        );
        let year = store.tep_year(2027).await.unwrap().unwrap();
        assert_eq!(
            (
                year.appropriation_cents,
                year.committed_cents,
                year.paid_cents,
                year.next_sequence
            ),
            (18_000_000, 18_000_000, 0, 201),
            "{b:?}"
        );

        // The database itself refuses an overspend, whatever the code does:
        // the transaction fails and nothing moves.
        let mut w = store.write().await.unwrap();
        let e = w.add_tep_money(2027, 100_000, 0, now).await.unwrap_err();
        assert!(e.to_string().to_lowercase().contains("check"), "{b:?}: {e}");
        drop(w);
        assert_eq!(
            store.tep_year(2027).await.unwrap().unwrap().committed_cents,
            18_000_000
        );

        // A booking rolled back takes no number.
        let mut w = store.write().await.unwrap();
        assert_eq!(w.take_tep_sequence(2027).await.unwrap(), Some(201));
        drop(w);
        let mut w = store.write().await.unwrap();
        assert_eq!(w.take_tep_sequence(2027).await.unwrap(), Some(201), "{b:?}");
        drop(w);

        // One request per educator and key; no number twice.
        let mut w = store.write().await.unwrap();
        let again = NewTepRequest {
            fiscal_year: 2027,
            sequence: 201,
            educator_id: educators[0],
            payment_type: "fee",
            amount_cents: 200_000,
            status: "waitlisted",
            reason: "",
            idempotency_key: "key-0-retry",
        };
        let dup_key = NewTepRequest {
            idempotency_key: &format!("key-{}", educators[0]),
            ..again.clone()
        };
        assert!(
            w.insert_tep_request(&dup_key, now).await.is_err(),
            "{b:?}: the same key twice"
        );
        drop(w);
        let mut w = store.write().await.unwrap();
        let dup_number = NewTepRequest {
            sequence: 5,
            ..again.clone()
        };
        assert!(
            w.insert_tep_request(&dup_number, now).await.is_err(),
            "{b:?}: number 5 twice"
        );
        drop(w);

        // The appropriation never drops below what is committed and paid.
        let mut w = store.write().await.unwrap();
        assert!(!w
            .set_tep_appropriation(2027, 17_999_999, now)
            .await
            .unwrap());
        assert!(w
            .set_tep_appropriation(2027, 20_000_000, now)
            .await
            .unwrap());
        w.commit().await.unwrap();
        let by_key = store
            .tep_request_by_key(educators[3], &format!("key-{}", educators[3]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_key.educator_id, educators[3]);
        assert_eq!(store.tep_requests(2027).await.unwrap().len(), 200);
        db.finish().await;
    }
}
