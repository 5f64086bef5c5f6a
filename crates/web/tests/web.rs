//! The web application end to end, on SQLite and PostgreSQL: publication
//! (all or nothing, idempotent), the public API's envelopes, errors and
//! small-group rule, and the pages. The published data is the 60 real
//! schools of the fuzzing fixtures (2018 report card).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::path::Path;
use tower::ServiceExt;

fn state() -> empower_states::State {
    empower_app::rules::load_state("illinois", None).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzzing/fixtures")
            .join(name),
    )
    .unwrap()
}

fn sources() -> Vec<empower_store::Source> {
    vec![
        empower_app::publish::source("general.csv", Some(2018), fixture("rc2018-general-60.csv")),
        empower_app::publish::source(
            "ela_math.csv",
            Some(2018),
            fixture("rc2018-ela-math-60.csv"),
        ),
    ]
}

use empower_store::testing::TestDatabase;

struct Reply {
    status: StatusCode,
    content_type: String,
    request_id: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn get(app: &axum::Router, uri: &str) -> Reply {
    let res = app
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let request_id = header("x-request-id");
    let body =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Reply {
        status,
        content_type,
        request_id,
        body,
    }
}

#[tokio::test]
async fn publication_is_all_or_nothing_and_idempotent() {
    let state = state();
    for db in TestDatabase::each("publish").await {
        let store = db.store.clone();
        let b = store.backend();
        // The last file is not a report card: nothing is stored.
        let mut bad = sources();
        bad.push(empower_app::publish::source(
            "broken.csv",
            Some(2018),
            b"not,a,report\ncard,,\n".to_vec(),
        ));
        let e = empower_app::publish::publish(&state, &store, bad, 2, &()).await;
        assert!(e.is_err(), "{b:?}");
        assert!(store.is_empty().await.unwrap(), "{b:?}");
        assert!(store.sources().await.unwrap().is_empty());

        let first = empower_app::publish::publish(&state, &store, sources(), 2, &())
            .await
            .unwrap();
        assert!(first.value.changed);
        assert!(
            first.value.summary.contains("2018"),
            "{}",
            first.value.summary
        );
        let again = empower_app::publish::publish(&state, &store, sources(), 2, &())
            .await
            .unwrap();
        assert!(!again.value.changed, "{b:?}");
        assert_eq!(store.sources().await.unwrap().len(), 2);
        // An empty database would take the bundled extract; this one is not.
        assert!(
            empower_app::publish::publish_extract_if_empty(&state, &store, 2, &())
                .await
                .unwrap()
                .is_none()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_public_api_and_pages_answer_on_every_backend() {
    for db in TestDatabase::each("web").await {
        let store = db.store.clone();
        let b = store.backend();
        empower_app::publish::publish(&state(), &store, sources(), 2, &())
            .await
            .unwrap();
        let app = empower_web::router(empower_web::AppState::new(store.clone(), state()));

        let r = get(&app, "/healthz").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.request_id.is_some(), "every response names its request");

        // The list envelope, pages and filters.
        let r = get(&app, "/api/v1/schools?per_page=5").await;
        assert_eq!(r.status, StatusCode::OK, "{b:?}: {}", r.body);
        let v = r.json();
        assert_eq!(v["per_page"], 5);
        assert_eq!(v["page"], 1);
        assert_eq!(v["items"].as_array().unwrap().len(), 5);
        let total = v["total"].as_u64().unwrap();
        assert!(total >= 50, "{total}");
        let first = &v["items"][0];
        for k in [
            "rcdts",
            "name",
            "district",
            "city",
            "county",
            "region",
            "grades",
            "designations",
        ] {
            assert!(first.get(k).is_some(), "no {k} in {first}");
        }
        let targeted = get(&app, "/api/v1/schools?designation=Targeted&per_page=500")
            .await
            .json();
        let items = targeted["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for s in items {
            assert!(s["designations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["designation"] == "Targeted" && d["year"] == 2018));
        }
        // Bad parameters: 422 problem+json naming the field.
        for (uri, field) in [
            ("/api/v1/schools?per_page=0", "per_page"),
            ("/api/v1/schools?per_page=501", "per_page"),
            ("/api/v1/schools?page=abc", "page"),
            ("/api/v1/schools?designation=Great", "designation"),
            ("/api/v1/schools?band=MS", "band"),
            ("/api/v1/schools?q=a%00b", "q"),
        ] {
            let r = get(&app, uri).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{uri}: {}",
                r.body
            );
            assert_eq!(r.content_type, "application/problem+json");
            assert_eq!(r.json()["errors"][0]["field"], field, "{uri}");
        }

        // A school, its explanation with small groups hidden.
        let id = items[0]["rcdts"].as_str().unwrap().to_string();
        let r = get(&app, &format!("/api/v1/schools/{id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let p = r.json();
        for k in [
            "enrollment",
            "demographics",
            "indicators",
            "groups",
            "higher_performing",
            "similar",
            "gaps",
            "status",
        ] {
            assert!(p.get(k).is_some(), "no {k} in the profile");
        }
        let r = get(&app, &format!("/api/v1/schools/{id}/explanation")).await;
        assert_eq!(r.status, StatusCode::OK);
        let ex = r.json();
        assert_eq!(ex[0]["rcdts"], id.as_str());
        for e in ex.as_array().unwrap() {
            for g in e["groups"].as_array().unwrap() {
                let inds = g["indicators"].as_array().unwrap();
                for i in inds {
                    if i["n"].as_f64().is_none_or(|n| n < 10.0) {
                        assert!(i["value"].is_null(), "a small group's value is public: {g}");
                    }
                }
                if inds.iter().any(|i| {
                    i["value"].is_null() && !i["n"].is_null() && i["n"].as_f64().unwrap() < 10.0
                }) {
                    assert!(g["index"].is_null(), "a small group's index is public: {g}");
                }
            }
        }
        let hyphenated = format!("{}-{}", &id[..2], &id[2..]);
        assert_eq!(
            get(&app, &format!("/api/v1/schools/{hyphenated}"))
                .await
                .status,
            StatusCode::OK
        );
        let r = get(&app, "/api/v1/schools/999999999999999").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(
            get(
                &app,
                "/api/v1/schools/999999999999999/explanation?year=2018"
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&app, "/api/v1/nothing").await.status,
            StatusCode::NOT_FOUND
        );

        // Districts.
        let d = get(&app, "/api/v1/districts").await.json();
        let did = d["items"][0]["rcdts"].as_str().unwrap().to_string();
        let name = d["items"][0]["name"].as_str().unwrap().to_lowercase();
        let found = get(
            &app,
            &format!("/api/v1/districts?q={}", name.replace(' ', "+")),
        )
        .await
        .json();
        assert_eq!(found["items"][0]["rcdts"], did, "{found}");
        let one = get(&app, &format!("/api/v1/districts/{did}")).await.json();
        assert!(!one["schools"].as_array().unwrap().is_empty());

        // Pages.
        for uri in [
            "/".to_string(),
            format!("/schools/{id}"),
            format!("/schools/{id}/explanation"),
            "/districts".into(),
            "/districts?q=payson".into(),
            format!("/districts/{did}"),
            "/improved".into(),
            "/partners".into(),
            "/?q=payson&designation=Targeted&band=ES".into(),
        ] {
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            assert!(r.content_type.starts_with("text/html"), "{uri}");
            assert!(r.body.contains("<html lang=\"en\">"));
        }
        // A school's partners: ranked when it is in support, else said why.
        let r = get(&app, &format!("/schools/{id}/partners")).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            r.status,
            r.body
        );
        let name = p["name"].as_str().unwrap();
        assert!(get(&app, &format!("/schools/{id}"))
            .await
            .body
            .contains(&maud_escape(name)));
        // Every list a page shows downloads as CSV, all of it.
        let total = targeted_total(&app).await;
        let r = get(&app, "/schools.csv?designation=Targeted").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.content_type.starts_with("text/csv"));
        let mut rows = csv::Reader::from_reader(r.body.as_bytes());
        assert_eq!(&rows.headers().unwrap()[0], "rcdts");
        assert_eq!(rows.records().count() as u64, total);
        for (uri, first) in [
            (
                "/districts.csv".to_string(),
                "rcdts,name,city,county,region",
            ),
            (
                format!("/districts/{did}/schools.csv"),
                "rcdts,name,district,",
            ),
            (
                "/improved.csv?from=2018&to=2019".into(),
                "rcdts,name,from_year,",
            ),
        ] {
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            assert!(r.body.starts_with(first), "{uri}: {}", r.body);
        }
        assert_eq!(
            get(&app, "/improved.csv?from=2018").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let r = get(&app, "/no/such/page").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.content_type.starts_with("text/html"));

        // The OpenAPI document names every public route.
        let doc = get(&app, "/api/openapi.json").await.json();
        for route in [
            "/api/v1/schools",
            "/api/v1/schools/{rcdts}",
            "/api/v1/schools/{rcdts}/explanation",
            "/api/v1/districts",
            "/api/v1/districts/{rcdts}",
            "/healthz",
        ] {
            assert!(
                doc["paths"].get(route).is_some(),
                "{route} is not in the OpenAPI document"
            );
        }
        let m = get(&app, "/metrics").await;
        assert!(
            m.body
                .contains("empower_http_requests_total{route=\"/api/v1/schools\",status=\"200\"}"),
            "{}",
            m.body
        );
        db.finish().await;
    }
}

/// How many schools the search API counts as Targeted in the current year.
async fn targeted_total(app: &axum::Router) -> u64 {
    get(app, "/api/v1/schools?designation=Targeted&per_page=1")
        .await
        .json()["total"]
        .as_u64()
        .unwrap()
}

fn maud_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A request with a method, headers and a body; the reply and its
/// headers.
async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (Reply, axum::http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let reply = Reply {
        status,
        content_type: text("content-type").unwrap_or_default(),
        request_id: text("x-request-id"),
        // Lossy: a PDF's bytes are not text; its tests look at the start.
        body: String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
            .into_owned(),
    };
    (reply, headers)
}

#[tokio::test]
async fn tokens_me_and_the_audit_log_through_the_api_on_every_backend() {
    use empower_app::accounts::{self, AccountSettings, By, Role};
    let state = state();
    let settings = AccountSettings::for_tests();
    for db in TestDatabase::each("web_accounts").await {
        let store = db.store.clone();
        let b = store.backend();
        for (email, role) in [
            ("admin@example.org", Role::StateAdmin),
            ("ed@example.org", Role::Educator),
        ] {
            accounts::add_user(
                &state,
                &store,
                &settings,
                By::CommandLine,
                email,
                "Someone",
                role,
                None,
                Some("a good long password"),
                1_800_000_000,
            )
            .await
            .unwrap();
        }
        let app = empower_web::router(
            empower_web::AppState::new(store.clone(), state.clone())
                .with_accounts(settings.clone(), empower_app::clock::Clock::system()),
        );
        let json = [("content-type", "application/json")];
        let token_for =
            |email: &str| format!(r#"{{"email": "{email}", "password": "a good long password"}}"#);

        // A token for the right password, 201 with its expiry.
        let (r, _) = send(
            &app,
            "POST",
            "/api/v1/tokens",
            &json,
            &token_for("admin@example.org"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b:?}: {}", r.body);
        let admin_token = r.json()["token"].as_str().unwrap().to_string();
        assert!(r.json()["expires_at"].as_str().unwrap().ends_with('Z'));
        let (r, _) = send(
            &app,
            "POST",
            "/api/v1/tokens",
            &json,
            &token_for("ed@example.org"),
        )
        .await;
        let ed_token = r.json()["token"].as_str().unwrap().to_string();

        // Who am I.
        let bearer = format!("Bearer {admin_token}");
        let (r, _) = send(&app, "GET", "/api/v1/me", &[("authorization", &bearer)], "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["email"], "admin@example.org");
        assert_eq!(r.json()["roles"][0]["role"], "state-admin");
        assert_eq!(r.json()["roles"][0]["scope"], serde_json::Value::Null);
        let (r, h) = send(&app, "GET", "/api/v1/me", &[], "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(h["www-authenticate"], "Bearer");
        assert!(r.content_type.starts_with("application/problem+json"));
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/me",
            &[("authorization", "Bearer nonsense")],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        // The API takes bearer tokens only, never the session cookie.
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/me",
            &[("cookie", "empower_session=x")],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // The audit log: administrators only, filtered.
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/audit?entity=user&actor=command+line",
            &[("authorization", &bearer)],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let items = r.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 2, "{}", r.body);
        for k in [
            "at",
            "actor",
            "action",
            "entity",
            "entity_id",
            "before",
            "after",
        ] {
            assert!(items[0].get(k).is_some(), "no {k}");
        }
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/audit?action=token.create",
            &[("authorization", &bearer)],
            "",
        )
        .await;
        assert_eq!(r.json()["total"], 2, "{}", r.body);
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/audit",
            &[("authorization", &format!("Bearer {ed_token}"))],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let (r, _) = send(&app, "GET", "/api/v1/audit", &[], "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let (r, _) = send(
            &app,
            "GET",
            "/api/v1/audit?since=yesterday",
            &[("authorization", &bearer)],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "since");

        // Bad bodies name what is wrong.
        let (r, _) = send(&app, "POST", "/api/v1/tokens", &json, "{not json").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let (r, _) = send(&app, "POST", "/api/v1/tokens", &json, r#"{"email": 3}"#).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "email");

        // Five wrong passwords, then 429 with Retry-After, even for the
        // right one.
        let wrong = r#"{"email": "ed@example.org", "password": "not the password"}"#;
        for _ in 0..5 {
            let (r, _) = send(&app, "POST", "/api/v1/tokens", &json, wrong).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        }
        let (r, h) = send(
            &app,
            "POST",
            "/api/v1/tokens",
            &json,
            &token_for("ed@example.org"),
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(wait > 0 && wait <= 15 * 60, "{wait}");
        db.finish().await;
    }
}

/// Who calls, in the authorization matrix.
struct Caller {
    label: &'static str,
    /// `None`: signed out.
    email: Option<String>,
    role: Option<empower_app::accounts::Role>,
    scope: Option<String>,
}

/// What a route's answer says about the caller's right to it.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    SignInRequired,
    Forbidden,
}

/// Who may call a route, as this test expects it (written out here, not
/// read from the route table).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Anyone,
    SignedIn,
    Roles(&'static [empower_app::accounts::Role]),
    /// The state, the leaders of the school's district, the school's own
    /// leaders.
    ForSchool,
    /// The school's own school leaders only.
    OwnSchoolLeader,
    /// The state, or the leaders of the school's district.
    StateOrDistrictLeader,
    /// The partner school's own partner contacts.
    OwnPartnerContact,
    /// Those who may see the school's partner application: `ForSchool`
    /// and its partner contacts.
    ForApplication,
    /// The school's own school leaders, or the contacts of the partner
    /// engaged with it (`there`).
    SchoolOrEngagedPartner,
    /// `ForSchool` and the contacts of the partner engaged with it.
    ForSchoolOrEngagedPartner,
    /// The leaders of the school's district only.
    DistrictLeaderOnly,
    /// The state, or the school leader who asked.
    StateOrRequester,
    /// The state, or any district leader.
    StateOrAnyDistrictLeader,
    /// An employer or district leader of the callers' own district.
    DistrictEmployerOrLeader,
}

struct Case {
    method: &'static str,
    pattern: &'static str,
    uri: String,
    body: String,
    expect: Expect,
}

/// Everything a refused call must leave as it was.
async fn footprint(store: &empower_store::Store) -> String {
    let users = store.users().await.unwrap();
    let audit = store
        .audit(
            &empower_store::AuditFilter::default(),
            empower_store::SchoolPage {
                page: 1,
                per_page: 1,
            },
        )
        .await
        .unwrap();
    let links = store.open_invitations(0).await.unwrap().len();
    let outbox = store.outbox().await.unwrap().len();
    format!(
        "{users:?} audit={} links={links} outbox={outbox}",
        audit.total
    )
}

#[tokio::test]
async fn authorization_matrix_over_every_route_on_every_backend() {
    use empower_app::accounts::{self, AccountSettings, By, Role};
    let state = state();
    let settings = AccountSettings::for_tests();
    const PASSWORD: &str = "a good long password";
    for db in TestDatabase::each("matrix").await {
        let store = db.store.clone();
        let b = store.backend();
        empower_app::publish::publish(&state, &store, sources(), 2, &())
            .await
            .unwrap();
        // Two schools in two districts: the callers' own and another.
        let schools = store.all_schools().await.unwrap();
        let here = &schools[0];
        let there = schools
            .iter()
            .find(|s| s.district != here.district)
            .unwrap();
        let now = empower_app::clock::Clock::system().now();
        let mut callers = vec![Caller {
            label: "signed out",
            email: None,
            role: None,
            scope: None,
        }];
        for (label, role, scope) in [
            ("state-admin", Role::StateAdmin, None),
            ("state-coordinator", Role::StateCoordinator, None),
            (
                "district-leader",
                Role::DistrictLeader,
                Some(&here.district),
            ),
            (
                "district-leader elsewhere",
                Role::DistrictLeader,
                Some(&there.district),
            ),
            ("school-leader", Role::SchoolLeader, Some(&here.rcdts)),
            (
                "school-leader elsewhere",
                Role::SchoolLeader,
                Some(&there.rcdts),
            ),
            ("partner-contact", Role::PartnerContact, Some(&here.rcdts)),
            (
                "partner-contact elsewhere",
                Role::PartnerContact,
                Some(&there.rcdts),
            ),
            ("educator", Role::Educator, None),
            ("employer", Role::Employer, Some(&here.district)),
            ("program-admin", Role::ProgramAdmin, None),
        ] {
            let email = format!("{}@example.org", label.replace(' ', "-"));
            accounts::add_user(
                &state,
                &store,
                &settings,
                By::CommandLine,
                &email,
                label,
                role,
                scope.map(String::as_str),
                Some(PASSWORD),
                now,
            )
            .await
            .unwrap();
            callers.push(Caller {
                label,
                email: Some(email),
                role: Some(role),
                scope: scope.cloned(),
            });
        }
        // The record the administration routes act on.
        let target = accounts::add_user(
            &state,
            &store,
            &settings,
            By::CommandLine,
            "target@example.org",
            "Target",
            Role::Educator,
            None,
            Some(PASSWORD),
            now,
        )
        .await
        .unwrap()
        .user
        .id;
        let admin = accounts::sign_in(
            &store,
            &settings,
            "state-admin@example.org",
            PASSWORD,
            "t",
            now,
        )
        .await
        .unwrap()
        .actor;
        // A round, a draft application of the callers' own school, and an
        // engagement offered to it: what the program's routes act on.
        let round = empower_app::partners::create_round(
            &store,
            Some(&admin),
            "PLP",
            "2020-01-01",
            "2099-01-01",
            "2099-02-01",
            now,
        )
        .await
        .unwrap();
        let leader = accounts::sign_in(
            &store,
            &settings,
            "school-leader@example.org",
            PASSWORD,
            "t",
            now,
        )
        .await
        .unwrap()
        .actor;
        let fields = empower_store::ApplicationFields {
            regions: vec!["15".into()],
            priority_areas: vec!["culture-climate".into()],
            services: vec![],
            capacity: 2,
            contacts: vec![],
            evidence: Default::default(),
        };
        let draft = empower_app::partners::create_application(
            &state,
            &store,
            Some(&leader),
            &here.rcdts,
            round.id,
            &fields,
            now,
        )
        .await
        .unwrap();
        let mut w = store.write().await.unwrap();
        let offered = w
            .insert_engagement(
                &there.rcdts,
                draft.id,
                "culture-climate",
                "2027-03-01",
                "2027-06-30",
                "MOU",
                0,
                "",
                None,
                now,
            )
            .await
            .unwrap();
        w.commit().await.unwrap();
        let file = empower_app::partners::add_evidence_file(
            &store,
            Some(&leader),
            draft.id,
            "evidence.pdf",
            b"%PDF-1.4 evidence",
            now,
        )
        .await
        .unwrap()
        .id;
        // Improvement: `there` is an approved partner with an accepted
        // engagement with `here`; `here` has a help request, a needs
        // assessment and a work plan.
        let mut w = store.write().await.unwrap();
        let there_app = w
            .insert_application(&there.rcdts, round.id, &fields, None, now)
            .await
            .unwrap()
            .unwrap();
        w.move_application(there_app, "draft", "approved", now)
            .await
            .unwrap();
        let engaged = w
            .insert_engagement(
                &here.rcdts,
                there_app,
                "culture-climate",
                "2027-03-01",
                "2027-06-30",
                "MOU",
                0,
                "",
                None,
                now,
            )
            .await
            .unwrap();
        w.accept_engagement(engaged, leader.user_id, now)
            .await
            .unwrap();
        let help = w
            .insert_help_request(&here.rcdts, "Help", "Please call", leader.user_id, now)
            .await
            .unwrap();
        w.commit().await.unwrap();
        let cache = empower_app::public::DirectoryCache::default();
        let assessment = empower_app::improvement::create_assessment(
            &state,
            &cache,
            &store,
            Some(&leader),
            &here.rcdts,
            now,
        )
        .await
        .unwrap()
        .id;
        let assessment_file = empower_app::improvement::add_assessment_file(
            &state,
            &store,
            Some(&leader),
            assessment,
            "ci-1",
            "walkthrough.pdf",
            b"%PDF-1.4 walkthrough",
            now,
        )
        .await
        .unwrap()
        .id;
        let plan = empower_app::improvement::create_plan(
            &state,
            &cache,
            &store,
            Some(&leader),
            &here.rcdts,
            now,
        )
        .await
        .unwrap()
        .id;
        let application_form = format!(
            "school_rcdts={}&round_id={}&regions=15&priority_areas=culture-climate&capacity=2",
            here.rcdts, round.id
        );
        let application_body = format!(
            r#"{{"school_rcdts": "{}", "round_id": {}, "regions": ["15"], "priority_areas": ["culture-climate"], "capacity": 2}}"#,
            here.rcdts, round.id
        );

        // The Teaching Excellence Program: the year open, the matrix's
        // educator and `target` (both teachers of `here`'s district) with
        // facts; a request of `target`'s; an agreement `target` mentors
        // the educator in and one the educator mentors `target` in, each
        // with a line for its recipient to sign.
        use empower_app::tep;
        let as_user = |email: &'static str| {
            let (store, settings) = (store.clone(), settings.clone());
            async move {
                accounts::sign_in(&store, &settings, email, PASSWORD, "t", now)
                    .await
                    .unwrap()
                    .actor
            }
        };
        let (educator, target_actor, program_admin) = (
            as_user("educator@example.org").await,
            as_user("target@example.org").await,
            as_user("program-admin@example.org").await,
        );
        let fy = tep::current_fiscal_year(&state, now).unwrap();
        let today = empower_app::clock::date_in(&state.manifest.time_zone, now)
            .unwrap()
            .to_string();
        let teacher = tep::EducatorFacts {
            license: "PEL".into(),
            role: "teacher".into(),
            nbpts: "certified".into(),
            district_rcdts: Some(here.district.clone()),
            school_rcdts: None,
            full_time: true,
            originally_assigned: true,
            retired: None,
        };
        for who in [&educator, &target_actor] {
            tep::save_educator(&state, &cache, &store, Some(who), &teacher, now)
                .await
                .unwrap();
        }
        tep::open_fiscal_year(&state, &store, Some(&program_admin), fy, 100_000_000, now)
            .await
            .unwrap();
        let tep_request = tep::request_payment(
            &state,
            &cache,
            &store,
            Some(&target_actor),
            fy,
            "renewal",
            "matrix",
            now,
        )
        .await
        .unwrap()
        .0
        .id;
        let agreement_input = |recipient: &str| tep::AgreementInput {
            fiscal_year: fy,
            kind: None,
            framework: None,
            administrator: "Principal".into(),
            goals: "Goals".into(),
            duration: "A year".into(),
            time_per_recipient: "20 hours".into(),
            recipients: vec![recipient.to_string()],
        };
        let mut lines = Vec::new();
        let mut agreements = Vec::new();
        for (mentor, recipient) in [
            (&target_actor, "educator@example.org"),
            (&educator, "target@example.org"),
        ] {
            let a = tep::create_agreement(
                &state,
                &store,
                Some(mentor),
                &agreement_input(recipient),
                "http://x",
                now,
            )
            .await
            .unwrap();
            let line = tep::add_log(
                &state,
                &store,
                Some(mentor),
                &tep::LogInput {
                    agreement_id: a.agreement.id,
                    recipient_email: recipient.into(),
                    date: today.clone(),
                    hours: 1.0,
                    addressed: vec![a.addressable[0].clone()],
                    needs: "Reading".into(),
                },
                now,
            )
            .await
            .unwrap();
            agreements.push(a.agreement.id);
            lines.push(line.id);
        }
        // `mentored`: the educator is its recipient; `mentoring`: its mentor.
        let (mentored, mentoring) = (agreements[0], agreements[1]);
        let (own_line, others_line) = (lines[0], lines[1]);
        let standard = tep::agreement(&state, &store, Some(&educator), mentoring)
            .await
            .unwrap()
            .addressable[0]
            .clone();

        // Resource Allocation Reviews: the callers' district added to the
        // fiscal year 2019 selection (the 2018 report card) and notified.
        let coordinator = as_user("state-coordinator@example.org").await;
        empower_app::rar::override_selection(
            &state,
            &store,
            Some(&coordinator),
            2019,
            &here.district,
            true,
            "matrix",
            now,
        )
        .await
        .unwrap();
        let rar_notice = empower_app::rar::issue_notice(
            &state,
            &store,
            Some(&coordinator),
            2019,
            &here.district,
            "http://x",
            now,
        )
        .await
        .unwrap()
        .id;

        let rar_review = empower_app::rar::open_review(
            &state,
            &store,
            Some(&coordinator),
            &empower_app::rar::ReviewInput {
                fiscal_year: 2019,
                district_rcdts: here.district.clone(),
                scheduled_on: None,
            },
            now,
        )
        .await
        .unwrap()
        .review
        .id;
        let district_leader = as_user("district-leader@example.org").await;
        let rar_goal = empower_app::rar::add_goal(
            &state,
            &store,
            Some(&district_leader),
            rar_review,
            &empower_app::rar::GoalInput {
                property: "equitable".into(),
                goal: "Weight the formula".into(),
                owner: "CFO".into(),
                due_on: "2019-06-30".into(),
            },
            now,
        )
        .await
        .unwrap()
        .id;

        let app = empower_web::router(
            empower_web::AppState::new(store.clone(), state.clone())
                .with_accounts(settings.clone(), empower_app::clock::Clock::system()),
        );

        let educators: &[Role] = &[Role::Educator];
        let program: &[Role] = &[Role::ProgramAdmin];
        let nobody: &[Role] = &[];
        let admin_only: &[Role] = &[Role::StateAdmin];
        let state_staff: &[Role] = &[Role::StateAdmin, Role::StateCoordinator];
        let mut n = 0;
        let cases = |method, pattern, uri: String, body: String, expect| Case {
            method,
            pattern,
            uri,
            body,
            expect,
        };
        let mut all = Vec::new();
        for (method, pattern, uri, body, expect) in [
            (
                "POST",
                "/sign-in",
                "/sign-in".to_string(),
                format!(
                    "email=target%40example.org&password={}",
                    PASSWORD.replace(' ', "+")
                ),
                Expect::Anyone,
            ),
            (
                "GET",
                "/sign-in",
                "/sign-in".into(),
                String::new(),
                Expect::Anyone,
            ),
            (
                "POST",
                "/sign-out",
                "/sign-out".into(),
                String::new(),
                Expect::SignedIn,
            ),
            (
                "GET",
                "/register",
                "/register".into(),
                String::new(),
                Expect::Anyone,
            ),
            (
                "POST",
                "/register",
                "/register".into(),
                "email=new-{n}%40example.org&name=New&password=a+good+long+password".into(),
                Expect::Anyone,
            ),
            (
                "GET",
                "/reset",
                "/reset".into(),
                String::new(),
                Expect::Anyone,
            ),
            (
                "POST",
                "/reset",
                "/reset".into(),
                "email=target%40example.org".into(),
                Expect::Anyone,
            ),
            (
                "GET",
                "/reset/{secret}",
                "/reset/{reset}".into(),
                String::new(),
                Expect::Anyone,
            ),
            (
                "POST",
                "/reset/{secret}",
                "/reset/{reset}".into(),
                "password=a+good+long+password".into(),
                Expect::Anyone,
            ),
            (
                "GET",
                "/invitations/{secret}",
                "/invitations/{invitation}".into(),
                String::new(),
                Expect::Anyone,
            ),
            (
                "POST",
                "/invitations/{secret}",
                "/invitations/{invitation}".into(),
                "password=a+good+long+password".into(),
                Expect::Anyone,
            ),
            (
                "GET",
                "/account",
                "/account".into(),
                String::new(),
                Expect::SignedIn,
            ),
            (
                "GET",
                "/schools/{rcdts}/people",
                format!("/schools/{}/people", here.rcdts),
                String::new(),
                Expect::ForSchool,
            ),
            (
                "POST",
                "/account/password",
                "/account/password".into(),
                "current_password=a+good+long+password&new_password=a+good+long+password".into(),
                Expect::SignedIn,
            ),
            (
                "GET",
                "/admin/users",
                "/admin/users".into(),
                String::new(),
                Expect::Roles(admin_only),
            ),
            (
                "POST",
                "/admin/invitations",
                "/admin/invitations".into(),
                "email=invitee-{n}%40example.org&name=Invitee&role=educator&scope=".into(),
                Expect::Roles(admin_only),
            ),
            (
                "GET",
                "/admin/users/{id}",
                format!("/admin/users/{target}"),
                String::new(),
                Expect::Roles(admin_only),
            ),
            (
                "POST",
                "/admin/users/{id}/roles",
                format!("/admin/users/{target}/roles"),
                "role=state-coordinator&scope=".into(),
                Expect::Roles(admin_only),
            ),
            (
                "POST",
                "/admin/users/{id}/roles/remove",
                format!("/admin/users/{target}/roles/remove"),
                "role=educator&scope=".into(),
                Expect::Roles(admin_only),
            ),
            (
                "POST",
                "/admin/users/{id}/reset",
                format!("/admin/users/{target}/reset"),
                String::new(),
                Expect::Roles(admin_only),
            ),
            (
                "GET",
                "/admin/audit",
                "/admin/audit".into(),
                String::new(),
                Expect::Roles(admin_only),
            ),
            (
                "POST",
                "/api/v1/tokens",
                "/api/v1/tokens".into(),
                format!(r#"{{"email": "target@example.org", "password": "{PASSWORD}"}}"#),
                Expect::Anyone,
            ),
            (
                "GET",
                "/api/v1/me",
                "/api/v1/me".into(),
                String::new(),
                Expect::SignedIn,
            ),
            (
                "GET",
                "/api/v1/audit",
                "/api/v1/audit".into(),
                String::new(),
                Expect::Roles(admin_only),
            ),
            // Engagements come before the applications: deciding the draft
            // below approves it, which makes its school leader a partner
            // contact (as the program says) and would change who may accept.
            ("POST", "/api/v1/partner-rounds", "/api/v1/partner-rounds".into(), r#"{"name": "Round", "opens_on": "2026-11-01", "due_on": "2027-01-15", "decision_on": "2027-02-15"}"#.into(), Expect::Roles(admin_only)),
            ("POST", "/api/v1/engagements", "/api/v1/engagements".into(), format!(r#"{{"school_rcdts": "{}", "partner_rcdts": "{}", "priority_area": "culture-climate", "starts_on": "2027-03-01", "ends_on": "2027-06-30", "agreement": "MOU", "budget_cents": 0}}"#, here.rcdts, there.rcdts), Expect::StateOrDistrictLeader),
            ("POST", "/api/v1/engagements/{id}/accept", format!("/api/v1/engagements/{offered}/accept"), String::new(), Expect::OwnPartnerContact),
            ("GET", "/schools/{rcdts}/engagements/new", format!("/schools/{}/engagements/new", here.rcdts), String::new(), Expect::StateOrDistrictLeader),
            ("POST", "/engagements", "/engagements".into(), format!("school_rcdts={}&partner_rcdts={}&priority_area=culture-climate&starts_on=2027-03-01&ends_on=2027-06-30&agreement=MOU&budget=0", here.rcdts, there.rcdts), Expect::StateOrDistrictLeader),
            ("POST", "/engagements/{id}/accept", format!("/engagements/{offered}/accept"), String::new(), Expect::OwnPartnerContact),
            ("GET", "/admin/partner-rounds", "/admin/partner-rounds".into(), String::new(), Expect::Roles(admin_only)),
            ("POST", "/admin/partner-rounds", "/admin/partner-rounds".into(), "name=Round&opens_on=2026-11-01&due_on=2027-01-15&decision_on=2027-02-15".into(), Expect::Roles(admin_only)),
            ("GET", "/partner-applications", "/partner-applications".into(), String::new(), Expect::SignedIn),
            ("GET", "/partner-applications/new", "/partner-applications/new".into(), String::new(), Expect::SignedIn),
            ("POST", "/partner-applications", "/partner-applications".into(), application_form.clone(), Expect::OwnSchoolLeader),
            ("GET", "/partner-applications/{id}", format!("/partner-applications/{}", draft.id), String::new(), Expect::ForApplication),
            ("POST", "/partner-applications/{id}", format!("/partner-applications/{}", draft.id), application_form.clone(), Expect::OwnSchoolLeader),
            ("POST", "/partner-applications/{id}/files", format!("/partner-applications/{}/files", draft.id), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/partner-applications/{id}/files/{file}", format!("/partner-applications/{}/files/{file}", draft.id), String::new(), Expect::ForApplication),
            ("POST", "/partner-applications/{id}/files/{file}/remove", format!("/partner-applications/{}/files/{file}/remove", draft.id), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/partner-applications/{id}/submit", format!("/partner-applications/{}/submit", draft.id), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/partner-applications/{id}/decision", format!("/partner-applications/{}/decision", draft.id), "decision=declined&reason=not+yet".into(), Expect::Roles(state_staff)),
            ("POST", "/api/v1/schools/{rcdts}/coordinator", format!("/api/v1/schools/{}/coordinator", here.rcdts), r#"{"email": "state-coordinator@example.org"}"#.into(), Expect::Roles(admin_only)),
            ("PUT", "/api/v1/schools/{rcdts}/allocation", format!("/api/v1/schools/{}/allocation", here.rcdts), r#"{"allocation_cents": 5000000}"#.into(), Expect::Roles(state_staff)),
            ("POST", "/api/v1/help-requests", "/api/v1/help-requests".into(), format!(r#"{{"school_rcdts": "{}", "subject": "Help", "body": "Please call"}}"#, here.rcdts), Expect::OwnSchoolLeader),
            ("POST", "/api/v1/help-requests/{id}/replies", format!("/api/v1/help-requests/{help}/replies"), r#"{"body": "We will call"}"#.into(), Expect::StateOrRequester),
            ("POST", "/api/v1/needs-assessments", "/api/v1/needs-assessments".into(), format!(r#"{{"school_rcdts": "{}"}}"#, here.rcdts), Expect::OwnSchoolLeader),
            ("PUT", "/api/v1/needs-assessments/{id}/ratings", format!("/api/v1/needs-assessments/{assessment}/ratings"), r#"{"ratings": {"ci-1": {"level": "Emerging", "evidence": "minutes"}}}"#.into(), Expect::SchoolOrEngagedPartner),
            ("POST", "/api/v1/needs-assessments/{id}/submit", format!("/api/v1/needs-assessments/{assessment}/submit"), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/api/v1/work-plans", "/api/v1/work-plans".into(), format!(r#"{{"school_rcdts": "{}"}}"#, here.rcdts), Expect::OwnSchoolLeader),
            ("PATCH", "/api/v1/work-plans/{id}", format!("/api/v1/work-plans/{plan}"), r#"{"monitoring": "monthly"}"#.into(), Expect::SchoolOrEngagedPartner),
            ("POST", "/api/v1/work-plans/{id}/submit", format!("/api/v1/work-plans/{plan}/submit"), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/api/v1/work-plans/{id}/review", format!("/api/v1/work-plans/{plan}/review"), r#"{"level": "lea", "decision": "approved"}"#.into(), Expect::DistrictLeaderOnly),
            ("POST", "/api/v1/work-plans/{id}/review", format!("/api/v1/work-plans/{plan}/review"), r#"{"level": "sea", "decision": "approved"}"#.into(), Expect::Roles(state_staff)),
            ("POST", "/api/v1/work-plans/{id}/amend", format!("/api/v1/work-plans/{plan}/amend"), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/api/v1/work-plans/{id}/versions", format!("/api/v1/work-plans/{plan}/versions"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("GET", "/improvement", "/improvement".into(), String::new(), Expect::StateOrAnyDistrictLeader),
            ("GET", "/improvement.csv", "/improvement.csv".into(), String::new(), Expect::StateOrAnyDistrictLeader),
            ("GET", "/improvement/reminders", "/improvement/reminders".into(), String::new(), Expect::StateOrAnyDistrictLeader),
            ("POST", "/improvement/reminders", "/improvement/reminders".into(), "days=14".into(), Expect::Roles(state_staff)),
            ("GET", "/improvement/caseloads", "/improvement/caseloads".into(), String::new(), Expect::Roles(state_staff)),
            ("GET", "/schools/{rcdts}/improvement", format!("/schools/{}/improvement", here.rcdts), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("POST", "/schools/{rcdts}/needs-assessment", format!("/schools/{}/needs-assessment", here.rcdts), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/needs-assessments/{id}", format!("/needs-assessments/{assessment}"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("POST", "/needs-assessments/{id}", format!("/needs-assessments/{assessment}"), "level_ci-1=Emerging&evidence_ci-1=minutes".into(), Expect::SchoolOrEngagedPartner),
            ("POST", "/needs-assessments/{id}/files", format!("/needs-assessments/{assessment}/files"), String::new(), Expect::SchoolOrEngagedPartner),
            ("GET", "/needs-assessments/{id}/files/{file}", format!("/needs-assessments/{assessment}/files/{assessment_file}"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("POST", "/needs-assessments/{id}/files/{file}/remove", format!("/needs-assessments/{assessment}/files/{assessment_file}/remove"), String::new(), Expect::SchoolOrEngagedPartner),
            ("GET", "/needs-assessments/{id}/print", format!("/needs-assessments/{assessment}/print"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("GET", "/needs-assessments/{id}/pdf", format!("/needs-assessments/{assessment}/pdf"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("POST", "/needs-assessments/{id}/submit", format!("/needs-assessments/{assessment}/submit"), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/help-requests", "/help-requests".into(), String::new(), Expect::SignedIn),
            ("POST", "/help-requests", "/help-requests".into(), format!("school_rcdts={}&subject=Help&body=Please", here.rcdts), Expect::OwnSchoolLeader),
            ("GET", "/help-requests/{id}", format!("/help-requests/{help}"), String::new(), Expect::ForSchool),
            ("POST", "/help-requests/{id}/replies", format!("/help-requests/{help}/replies"), "body=We+will+call".into(), Expect::StateOrRequester),
            ("POST", "/schools/{rcdts}/allocation", format!("/schools/{}/allocation", here.rcdts), "allocation=50%2C000".into(), Expect::Roles(state_staff)),
            ("POST", "/schools/{rcdts}/coordinator", format!("/schools/{}/coordinator", here.rcdts), "email=state-coordinator%40example.org".into(), Expect::Roles(admin_only)),
            ("POST", "/schools/{rcdts}/work-plan", format!("/schools/{}/work-plan", here.rcdts), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/work-plans/{id}", format!("/work-plans/{plan}"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("POST", "/work-plans/{id}", format!("/work-plans/{plan}"), "monitoring=monthly".into(), Expect::SchoolOrEngagedPartner),
            ("POST", "/work-plans/{id}/submit", format!("/work-plans/{plan}/submit"), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/work-plans/{id}/review", format!("/work-plans/{plan}/review"), "level=lea&decision=approved".into(), Expect::DistrictLeaderOnly),
            ("POST", "/work-plans/{id}/amend", format!("/work-plans/{plan}/amend"), String::new(), Expect::OwnSchoolLeader),
            ("GET", "/work-plans/{id}/print", format!("/work-plans/{plan}/print"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("GET", "/work-plans/{id}/pdf", format!("/work-plans/{plan}/pdf"), String::new(), Expect::ForSchoolOrEngagedPartner),
            ("GET", "/api/v1/improvement/dashboard", "/api/v1/improvement/dashboard".into(), String::new(), Expect::StateOrAnyDistrictLeader),
            ("POST", "/api/v1/partner-applications", "/api/v1/partner-applications".into(), application_body.clone(), Expect::OwnSchoolLeader),
            ("PATCH", "/api/v1/partner-applications/{id}", format!("/api/v1/partner-applications/{}", draft.id), application_body.clone(), Expect::OwnSchoolLeader),
            ("POST", "/api/v1/partner-applications/{id}/submit", format!("/api/v1/partner-applications/{}/submit", draft.id), String::new(), Expect::OwnSchoolLeader),
            ("POST", "/api/v1/partner-applications/{id}/decision", format!("/api/v1/partner-applications/{}/decision", draft.id), r#"{"decision": "approved", "reason": "strong"}"#.into(), Expect::Roles(state_staff)),
        ] {
            all.push(cases(method, pattern, uri, body, expect));
        }
        let enc = |s: &str| s.replace(' ', "+").replace(',', "%2C").replace(':', "%3A");
        for (method, pattern, uri, body, expect) in [
            ("POST", "/api/v1/tep/fiscal-years", "/api/v1/tep/fiscal-years".to_string(), format!(r#"{{"fiscal_year": {fy}, "appropriation_cents": 100000000}}"#), Expect::Roles(program)),
            ("POST", "/api/v1/tep/fiscal-years/{fiscal_year}/rewalk", format!("/api/v1/tep/fiscal-years/{fy}/rewalk"), String::new(), Expect::Roles(program)),
            ("GET", "/api/v1/tep/educators/me", "/api/v1/tep/educators/me".into(), String::new(), Expect::Roles(educators)),
            ("PUT", "/api/v1/tep/educators/me", "/api/v1/tep/educators/me".into(), format!(r#"{{"license": "PEL", "role": "teacher", "nbpts": "certified", "district_rcdts": "{}", "school_rcdts": null, "full_time": true, "originally_assigned": true, "retired": null}}"#, here.district), Expect::Roles(educators)),
            ("GET", "/api/v1/tep/eligibility", format!("/api/v1/tep/eligibility?fiscal_year={fy}"), String::new(), Expect::Roles(educators)),
            // The educator's own position: never verified by themselves.
            ("POST", "/api/v1/tep/verifications", "/api/v1/tep/verifications".into(), r#"{"educator_email": "educator@example.org", "decision": "confirmed"}"#.into(), Expect::DistrictEmployerOrLeader),
            ("GET", "/api/v1/tep/requests", "/api/v1/tep/requests".into(), String::new(), Expect::Roles(educators)),
            ("POST", "/api/v1/tep/requests", "/api/v1/tep/requests".into(), format!(r#"{{"fiscal_year": {fy}, "payment_type": "renewal", "idempotency_key": "k-{{n}}"}}"#), Expect::Roles(educators)),
            ("POST", "/api/v1/tep/requests/{id}/pay", format!("/api/v1/tep/requests/{tep_request}/pay"), String::new(), Expect::Roles(program)),
            ("GET", "/api/v1/tep/ledger", format!("/api/v1/tep/ledger?fiscal_year={fy}"), String::new(), Expect::Roles(program)),
            ("POST", "/api/v1/tep/agreements", "/api/v1/tep/agreements".into(), format!(r#"{{"fiscal_year": {fy}, "administrator": "P", "goals": "G", "duration": "D", "time_per_recipient": "T", "recipients": ["target@example.org"]}}"#), Expect::Roles(educators)),
            ("GET", "/api/v1/tep/agreements/{id}", format!("/api/v1/tep/agreements/{mentored}"), String::new(), Expect::Roles(&[Role::Educator, Role::ProgramAdmin])),
            ("POST", "/api/v1/tep/logs", "/api/v1/tep/logs".into(), format!(r#"{{"agreement_id": {mentoring}, "recipient_email": "target@example.org", "date": "{today}", "hours": 1, "addressed": ["{standard}"], "needs": "Reading"}}"#), Expect::Roles(educators)),
            ("POST", "/api/v1/tep/logs/{id}/sign", format!("/api/v1/tep/logs/{own_line}/sign"), String::new(), Expect::Roles(educators)),
            // A line naming `target`: its mentor (the educator) cannot sign it.
            ("POST", "/api/v1/tep/logs/{id}/sign", format!("/api/v1/tep/logs/{others_line}/sign"), String::new(), Expect::Roles(nobody)),
            ("POST", "/api/v1/tep/announcements", "/api/v1/tep/announcements".into(), format!(r#"{{"fiscal_year": {fy}, "amount_cents": 100000, "purposes": "P", "stipend_cents": 50000, "who_may_take_part": "W", "how_to_apply": "H"}}"#), Expect::Roles(program)),
            ("GET", "/tep", "/tep".into(), String::new(), Expect::Roles(educators)),
            ("POST", "/tep/educator", "/tep/educator".into(), format!("license=PEL&role=teacher&nbpts=certified&district_rcdts={}&full_time=1&originally_assigned=1", here.district), Expect::Roles(educators)),
            ("POST", "/tep/requests", "/tep/requests".into(), format!("fiscal_year={fy}&payment_type=renewal"), Expect::Roles(educators)),
            ("POST", "/tep/agreements", "/tep/agreements".into(), format!("fiscal_year={fy}&kind=mentoring&framework=agreement&administrator=P&goals=G&duration=D&time_per_recipient=T&recipients=target%40example.org"), Expect::Roles(educators)),
            ("GET", "/tep/agreements/{id}", format!("/tep/agreements/{mentored}"), String::new(), Expect::Roles(&[Role::Educator, Role::ProgramAdmin])),
            ("POST", "/tep/agreements/{id}/logs", format!("/tep/agreements/{mentoring}/logs"), format!("recipient_email=target%40example.org&date={today}&hours=1&addressed={}&needs=Reading", enc(&standard)), Expect::Roles(educators)),
            ("POST", "/tep/logs/{id}/sign", format!("/tep/logs/{own_line}/sign"), String::new(), Expect::Roles(educators)),
            ("POST", "/tep/logs/{id}/sign", format!("/tep/logs/{others_line}/sign"), String::new(), Expect::Roles(nobody)),
            ("GET", "/tep/verifications", "/tep/verifications".into(), String::new(), Expect::Roles(&[Role::Employer, Role::DistrictLeader])),
            ("POST", "/tep/verifications", "/tep/verifications".into(), "educator_email=educator%40example.org&decision=confirmed".into(), Expect::DistrictEmployerOrLeader),
            ("GET", "/tep/admin", "/tep/admin".into(), String::new(), Expect::Roles(program)),
            ("POST", "/tep/admin/fiscal-years", "/tep/admin/fiscal-years".into(), format!("fiscal_year={fy}&appropriation=1%2C000%2C000"), Expect::Roles(program)),
            ("POST", "/tep/admin/walk", "/tep/admin/walk".into(), format!("fiscal_year={fy}"), Expect::Roles(program)),
            ("POST", "/tep/admin/announcement", "/tep/admin/announcement".into(), format!("fiscal_year={fy}&amount=1000&stipend=500&purposes=P&who_may_take_part=W&how_to_apply=H"), Expect::Roles(program)),
            ("POST", "/tep/admin/requests/{id}/pay", format!("/tep/admin/requests/{tep_request}/pay"), String::new(), Expect::Roles(program)),
            ("GET", "/tep/ledger.csv", format!("/tep/ledger.csv?fiscal_year={fy}"), String::new(), Expect::Roles(program)),
            ("GET", "/tep/payments.csv", format!("/tep/payments.csv?fiscal_year={fy}"), String::new(), Expect::Roles(program)),
            ("GET", "/rar", "/rar".into(), String::new(), Expect::StateOrAnyDistrictLeader),
            ("GET", "/rar/selection.csv", "/rar/selection.csv?fiscal_year=2019".into(), String::new(), Expect::Roles(state_staff)),
            ("POST", "/rar/selection/add", "/rar/selection/add".into(), format!("fiscal_year=2019&district_rcdts={}&reason=asked", here.district), Expect::Roles(state_staff)),
            ("POST", "/rar/selection/{district}/override", format!("/rar/selection/{}/override", there.district), "fiscal_year=2019&selected=0&reason=asked".into(), Expect::Roles(state_staff)),
            ("POST", "/rar/notices", "/rar/notices".into(), format!("fiscal_year=2019&district_rcdts={}", there.district), Expect::Roles(state_staff)),
            ("GET", "/rar/notices/{id}", format!("/rar/notices/{rar_notice}"), String::new(), Expect::StateOrDistrictLeader),
            ("GET", "/rar/notices/{id}/print", format!("/rar/notices/{rar_notice}/print"), String::new(), Expect::StateOrDistrictLeader),
            ("GET", "/rar/notices/{id}/pdf", format!("/rar/notices/{rar_notice}/pdf"), String::new(), Expect::StateOrDistrictLeader),
            ("POST", "/rar/notices/{id}/acknowledge", format!("/rar/notices/{rar_notice}/acknowledge"), String::new(), Expect::DistrictLeaderOnly),
            ("GET", "/api/v1/rar/selection", "/api/v1/rar/selection?fiscal_year=2019".into(), String::new(), Expect::Roles(state_staff)),
            ("POST", "/api/v1/rar/selection/{district}/override", format!("/api/v1/rar/selection/{}/override", there.district), r#"{"fiscal_year": 2019, "selected": false, "reason": "asked"}"#.into(), Expect::Roles(state_staff)),
            ("POST", "/api/v1/rar/notices", "/api/v1/rar/notices".into(), format!(r#"{{"fiscal_year": 2019, "district_rcdts": "{}"}}"#, there.district), Expect::Roles(state_staff)),
            ("POST", "/api/v1/rar/notices/{id}/acknowledge", format!("/api/v1/rar/notices/{rar_notice}/acknowledge"), String::new(), Expect::DistrictLeaderOnly),
            ("POST", "/api/v1/rar/reviews", "/api/v1/rar/reviews".into(), format!(r#"{{"fiscal_year": 2020, "district_rcdts": "{}"}}"#, here.district), Expect::StateOrDistrictLeader),
            ("GET", "/api/v1/rar/reviews/{id}", format!("/api/v1/rar/reviews/{rar_review}"), String::new(), Expect::StateOrDistrictLeader),
            ("PUT", "/api/v1/rar/reviews/{id}/ratings", format!("/api/v1/rar/reviews/{rar_review}/ratings"), r#"{"scope": "member", "ratings": [{"property": "equitable", "level": "emerging", "evidence": "budget"}]}"#.into(), Expect::DistrictLeaderOnly),
            ("POST", "/api/v1/rar/reviews/{id}/goals", format!("/api/v1/rar/reviews/{rar_review}/goals"), r#"{"property": "transparent", "goal": "Publish the formula", "owner": "CFO", "due_on": "2019-06-30"}"#.into(), Expect::StateOrDistrictLeader),
            ("POST", "/rar/reviews", "/rar/reviews".into(), format!("fiscal_year=2021&district_rcdts={}", here.district), Expect::StateOrDistrictLeader),
            ("GET", "/rar/reviews/{id}", format!("/rar/reviews/{rar_review}"), String::new(), Expect::StateOrDistrictLeader),
            ("POST", "/rar/reviews/{id}/ratings", format!("/rar/reviews/{rar_review}/ratings"), "scope=member&level_equitable=emerging&evidence_equitable=budget".into(), Expect::DistrictLeaderOnly),
            ("POST", "/rar/reviews/{id}/comments", format!("/rar/reviews/{rar_review}/comments"), "body=Look+again".into(), Expect::Roles(state_staff)),
            ("POST", "/rar/reviews/{id}/goals", format!("/rar/reviews/{rar_review}/goals"), "property=aligned&goal=Tie+to+plans&owner=CFO&due_on=2019-06-30".into(), Expect::StateOrDistrictLeader),
            ("POST", "/rar/goals/{id}/progress", format!("/rar/goals/{rar_goal}/progress"), "status=in-progress&note=Started".into(), Expect::StateOrDistrictLeader),
            ("GET", "/rar/districts/{rcdts}", format!("/rar/districts/{}?fiscal_year=2019", here.district), String::new(), Expect::StateOrDistrictLeader),
        ] {
            all.push(cases(method, pattern, uri, body, expect));
        }

        // Every route that changes anything or is not for anyone has a
        // case: a new route without one fails here.
        for r in empower_web::routes() {
            if r.changes_state() || r.audience != empower_web::Audience::Anyone {
                assert!(
                    all.iter()
                        .any(|c| c.method == r.method && c.pattern == r.path),
                    "{} {} has no entry in the authorization matrix",
                    r.method,
                    r.path
                );
            }
        }

        for case in &all {
            let route = empower_web::routes()
                .into_iter()
                .find(|r| r.method == case.method && r.path == case.pattern)
                .unwrap_or_else(|| panic!("{} {} is not a route", case.method, case.pattern));
            for caller in &callers {
                n += 1;
                // Fresh secrets per call: a sign-out, a password change or
                // a used link must not spoil the next call.
                let mut uri = case.uri.clone();
                if uri.contains("{reset}") {
                    let url = accounts::issue_reset(&store, &settings, Some(&admin), target, now)
                        .await
                        .unwrap();
                    uri = uri.replace("{reset}", url.rsplit('/').next().unwrap());
                }
                if uri.contains("{invitation}") {
                    let url = accounts::invite(
                        &state,
                        &store,
                        &settings,
                        Some(&admin),
                        &format!("link-{n}@example.org"),
                        "Linked",
                        Role::Educator,
                        None,
                        now,
                    )
                    .await
                    .unwrap();
                    uri = uri.replace("{invitation}", url.rsplit('/').next().unwrap());
                }
                let body = case.body.replace("{n}", &n.to_string());
                let mut headers: Vec<(String, String)> = Vec::new();
                let mut body = body;
                match route.surface {
                    empower_web::Surface::Api => {
                        headers.push(("content-type".into(), "application/json".into()));
                        if let Some(email) = &caller.email {
                            let t = accounts::token_for(&store, &settings, email, now)
                                .await
                                .unwrap();
                            headers.push(("authorization".into(), format!("Bearer {}", t.token)));
                        }
                    }
                    empower_web::Surface::Page => {
                        let multipart = case.pattern.ends_with("/files");
                        headers.push((
                            "content-type".into(),
                            if multipart {
                                "multipart/form-data; boundary=XBOUNDARY".into()
                            } else {
                                "application/x-www-form-urlencoded".into()
                            },
                        ));
                        let csrf = match &caller.email {
                            Some(email) => {
                                let s =
                                    accounts::sign_in(&store, &settings, email, PASSWORD, "t", now)
                                        .await
                                        .unwrap();
                                headers.push((
                                    "cookie".into(),
                                    format!("empower_session={}", s.secret),
                                ));
                                s.csrf
                            }
                            None => {
                                let t = "0123456789abcdef0123456789abcdef".to_string();
                                headers.push(("cookie".into(), format!("empower_csrf={t}")));
                                t
                            }
                        };
                        if multipart {
                            body = format!(
                                "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
                                 --XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"more.pdf\"\r\n\
                                 Content-Type: application/pdf\r\n\r\n%PDF-1.4 more\r\n--XBOUNDARY--\r\n"
                            );
                        } else if case.method == "POST" {
                            body = if body.is_empty() {
                                format!("csrf={csrf}")
                            } else {
                                format!("{body}&csrf={csrf}")
                            };
                        }
                    }
                }
                let before = footprint(&store).await;
                let header_refs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let (reply, h) = send(&app, case.method, &uri, &header_refs, &body).await;
                let location = h
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let outcome = match (route.surface, reply.status) {
                    (empower_web::Surface::Api, StatusCode::UNAUTHORIZED) => {
                        Outcome::SignInRequired
                    }
                    (empower_web::Surface::Page, StatusCode::SEE_OTHER)
                        if location.starts_with("/sign-in") =>
                    {
                        Outcome::SignInRequired
                    }
                    (_, StatusCode::FORBIDDEN) => Outcome::Forbidden,
                    _ => Outcome::Allowed,
                };
                let expected = match (case.expect, &caller.role) {
                    (Expect::Anyone, _) => Outcome::Allowed,
                    (_, None) => Outcome::SignInRequired,
                    (Expect::SignedIn, Some(_)) => Outcome::Allowed,
                    (Expect::Roles(roles), Some(r)) if roles.contains(r) => Outcome::Allowed,
                    (Expect::Roles(_), Some(_)) => Outcome::Forbidden,
                    (Expect::OwnSchoolLeader, Some(r)) => {
                        if *r == Role::SchoolLeader
                            && caller.scope.as_deref() == Some(here.rcdts.as_str())
                        {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::OwnPartnerContact, Some(r)) => {
                        if *r == Role::PartnerContact
                            && caller.scope.as_deref() == Some(here.rcdts.as_str())
                        {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::StateOrDistrictLeader, Some(r)) => {
                        let ok = matches!(r, Role::StateAdmin | Role::StateCoordinator)
                            || (*r == Role::DistrictLeader
                                && caller.scope.as_deref() == Some(here.district.as_str()));
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::SchoolOrEngagedPartner, Some(r)) => {
                        let scope = caller.scope.as_deref();
                        let ok = (*r == Role::SchoolLeader && scope == Some(here.rcdts.as_str()))
                            || (*r == Role::PartnerContact && scope == Some(there.rcdts.as_str()));
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::ForSchoolOrEngagedPartner, Some(r)) => {
                        let scope = caller.scope.as_deref();
                        let ok = matches!(r, Role::StateAdmin | Role::StateCoordinator)
                            || (*r == Role::DistrictLeader
                                && scope == Some(here.district.as_str()))
                            || (*r == Role::SchoolLeader && scope == Some(here.rcdts.as_str()))
                            || (*r == Role::PartnerContact && scope == Some(there.rcdts.as_str()));
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::DistrictLeaderOnly, Some(r)) => {
                        if *r == Role::DistrictLeader
                            && caller.scope.as_deref() == Some(here.district.as_str())
                        {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::StateOrRequester, Some(r)) => {
                        let ok = matches!(r, Role::StateAdmin | Role::StateCoordinator)
                            || caller.email.as_deref() == Some("school-leader@example.org");
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::StateOrAnyDistrictLeader, Some(r)) => {
                        if matches!(
                            r,
                            Role::StateAdmin | Role::StateCoordinator | Role::DistrictLeader
                        ) {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::ForApplication, Some(r)) => {
                        let scope = caller.scope.as_deref();
                        let ok = matches!(r, Role::StateAdmin | Role::StateCoordinator)
                            || (*r == Role::DistrictLeader
                                && scope == Some(here.district.as_str()))
                            || (matches!(r, Role::SchoolLeader | Role::PartnerContact)
                                && scope == Some(here.rcdts.as_str()));
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::DistrictEmployerOrLeader, Some(r)) => {
                        if matches!(r, Role::Employer | Role::DistrictLeader)
                            && caller.scope.as_deref() == Some(here.district.as_str())
                        {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                    (Expect::ForSchool, Some(r)) => {
                        let scope = caller.scope.as_deref();
                        let ok = matches!(r, Role::StateAdmin | Role::StateCoordinator)
                            || (*r == Role::DistrictLeader
                                && scope == Some(here.district.as_str()))
                            || (*r == Role::SchoolLeader && scope == Some(here.rcdts.as_str()));
                        if ok {
                            Outcome::Allowed
                        } else {
                            Outcome::Forbidden
                        }
                    }
                };
                assert_eq!(
                    outcome, expected,
                    "{b:?} {} {uri} as {}: {} {}",
                    case.method, caller.label, reply.status, reply.body
                );
                assert!(
                    reply.status.as_u16() < 500,
                    "{b:?} {} {uri} as {}: {}",
                    case.method,
                    caller.label,
                    reply.body
                );
                if outcome != Outcome::Allowed {
                    assert_eq!(
                        footprint(&store).await,
                        before,
                        "{b:?} {} {uri} as {} was refused but changed something",
                        case.method,
                        caller.label
                    );
                }
            }
        }

        // A form without its CSRF token is refused and changes nothing.
        let s = accounts::sign_in(
            &store,
            &settings,
            "state-admin@example.org",
            PASSWORD,
            "t",
            now,
        )
        .await
        .unwrap();
        let before = footprint(&store).await;
        let cookie = format!("empower_session={}", s.secret);
        let (r, _) = send(
            &app,
            "POST",
            "/admin/invitations",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "email=x%40example.org&name=X&role=educator&csrf=forged",
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(footprint(&store).await, before);
        db.finish().await;
    }
}

#[tokio::test]
async fn evidence_files_are_limited_checked_and_served_only_as_attachments() {
    use empower_app::accounts::{self, AccountSettings, By, Role};
    let state = state();
    let settings = AccountSettings::for_tests();
    for db in TestDatabase::each("web_files").await {
        let store = db.store.clone();
        empower_app::publish::publish(&state, &store, sources(), 2, &())
            .await
            .unwrap();
        let school = store.all_schools().await.unwrap()[0].rcdts.clone();
        let now = empower_app::clock::Clock::system().now();
        for (email, role, scope) in [
            ("admin@example.org", Role::StateAdmin, None),
            (
                "lead@example.org",
                Role::SchoolLeader,
                Some(school.as_str()),
            ),
        ] {
            accounts::add_user(
                &state,
                &store,
                &settings,
                By::CommandLine,
                email,
                "Someone",
                role,
                scope,
                Some("a good long password"),
                now,
            )
            .await
            .unwrap();
        }
        let session = |email: &'static str| {
            let (store, settings) = (store.clone(), settings.clone());
            async move {
                accounts::sign_in(&store, &settings, email, "a good long password", "t", now)
                    .await
                    .unwrap()
            }
        };
        let admin = session("admin@example.org").await;
        let lead = session("lead@example.org").await;
        let round = empower_app::partners::create_round(
            &store,
            Some(&admin.actor),
            "PLP",
            "2020-01-01",
            "2099-01-01",
            "2099-02-01",
            now,
        )
        .await
        .unwrap();
        let draft = empower_app::partners::create_application(
            &state,
            &store,
            Some(&lead.actor),
            &school,
            round.id,
            &empower_store::ApplicationFields {
                regions: vec!["15".into()],
                priority_areas: vec!["culture-climate".into()],
                capacity: 1,
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let app = empower_web::router(
            empower_web::AppState::new(store.clone(), state.clone())
                .with_accounts(settings.clone(), empower_app::clock::Clock::system()),
        );
        let cookie = format!("empower_session={}", lead.secret);
        let upload = |name: &str, content: &str| {
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
                 --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n{content}\r\n--B--\r\n",
                lead.csrf
            )
        };
        let headers = [
            ("cookie", cookie.as_str()),
            ("content-type", "multipart/form-data; boundary=B"),
        ];
        let uri = format!("/partner-applications/{}/files", draft.id);
        // Over the limit: refused with a page that says so; nothing stored.
        let big = format!(
            "%PDF-{}",
            "x".repeat(empower_app::uploads::MAX_FILE_BYTES + 100_000)
        );
        let (r, _) = send(&app, "POST", &uri, &headers, &upload("big.pdf", &big)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert!(r.body.contains("at most 5 MB"), "{}", r.body);
        // A script named .pdf: refused on the form, naming the file.
        let (r, _) = send(&app, "POST", &uri, &headers, &upload("x.pdf", "<script>")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("x.pdf is not a file the platform accepts"));
        assert!(store
            .evidence_files(empower_store::FilesOf::Application(draft.id))
            .await
            .unwrap()
            .is_empty());
        // A forged form: refused.
        let forged = upload("ok.pdf", "%PDF-1.4").replace(&lead.csrf, "forged");
        let (r, _) = send(&app, "POST", &uri, &headers, &forged).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A real PDF, with a path in its name: kept under its base name.
        let (r, h) = send(
            &app,
            "POST",
            &uri,
            &headers,
            &upload("C:\\docs\\ok.pdf", "%PDF-1.4"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(h["location"].to_str().unwrap().contains("uploaded=1"));
        let files = store
            .evidence_files(empower_store::FilesOf::Application(draft.id))
            .await
            .unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].file_name, "ok.pdf");
        // Served as an attachment that the browser may not sniff, to those
        // who may see the application; signed out goes to sign-in.
        let file_uri = format!("{uri}/{}", files[0].id);
        let admin_cookie = format!("empower_session={}", admin.secret);
        let (r, h) = send(&app, "GET", &file_uri, &[("cookie", &admin_cookie)], "").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, "%PDF-1.4");
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"ok.pdf\""));
        let (r, h) = send(&app, "GET", &file_uri, &[], "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(h["location"].to_str().unwrap().starts_with("/sign-in"));
        db.finish().await;
    }
}

/// The Teaching Excellence Program's API as api.md and the issue fix it:
/// eligibility from the year's rules before the appropriation; `201` with
/// `{id, sequence, received_at, status, amount_cents, reason}`; a retry
/// with the same key `200` with the original; a second request of a type
/// `409`; a body that fails validation `422` and no number; a request a
/// rule refuses `201` and `denied`, in the line; the ledger in sequence
/// order with its totals.
#[tokio::test]
async fn tep_api_contract_on_every_backend() {
    use empower_app::accounts::{self, AccountSettings, By, Role};
    let state = state();
    let settings = AccountSettings::for_tests();
    for db in TestDatabase::each("tepapi").await {
        let store = db.store.clone();
        empower_app::publish::publish(&state, &store, sources(), 2, &())
            .await
            .unwrap();
        let district = store.all_schools().await.unwrap()[0].district.clone();
        let now = empower_app::clock::Clock::system().now();
        let fy = empower_app::tep::current_fiscal_year(&state, now).unwrap();
        let mut tokens = Vec::new();
        for (email, role, scope) in [
            ("admin@example.org", Role::ProgramAdmin, None),
            ("teacher@example.org", Role::Educator, None),
            ("hr@example.org", Role::Employer, Some(district.as_str())),
        ] {
            accounts::add_user(
                &state,
                &store,
                &settings,
                By::CommandLine,
                email,
                email,
                role,
                scope,
                None,
                now,
            )
            .await
            .unwrap();
            tokens.push(
                accounts::token_for(&store, &settings, email, now)
                    .await
                    .unwrap()
                    .token,
            );
        }
        let app = empower_web::router(
            empower_web::AppState::new(store.clone(), state.clone())
                .with_accounts(settings.clone(), empower_app::clock::Clock::system()),
        );
        let call = |method: &'static str, uri: String, token: &str, body: String| {
            let (app, auth) = (app.clone(), format!("Bearer {token}"));
            async move {
                send(
                    &app,
                    method,
                    &uri,
                    &[
                        ("authorization", auth.as_str()),
                        ("content-type", "application/json"),
                    ],
                    &body,
                )
                .await
                .0
            }
        };
        let (admin, teacher, hr) = (&tokens[0], &tokens[1], &tokens[2]);

        // A bad license is named; good facts are kept.
        let facts = |license: &str| {
            format!(
                r#"{{"license": "{license}", "role": "teacher", "nbpts": "renewal", "district_rcdts": "{district}", "school_rcdts": null, "full_time": true, "originally_assigned": true, "retired": null}}"#
            )
        };
        let r = call(
            "PUT",
            "/api/v1/tep/educators/me".into(),
            teacher,
            facts("PhD"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "license");
        let r = call(
            "PUT",
            "/api/v1/tep/educators/me".into(),
            teacher,
            facts("PEL"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["verification"], serde_json::Value::Null);

        // Eligibility answers from the rules before the year is open.
        let r = call(
            "GET",
            format!("/api/v1/tep/eligibility?fiscal_year={fy}"),
            teacher,
            String::new(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let items = r.json()["items"].as_array().unwrap().clone();
        let slugs: Vec<&str> = items
            .iter()
            .map(|i| i["payment_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            slugs,
            [
                "fee",
                "renewal",
                "retention",
                "mentoring",
                "incentive_d",
                "training_g"
            ]
        );
        let fee = &items[0];
        assert_eq!(
            (fee["status"].as_str(), fee["amount_cents"].as_i64()),
            (Some("ineligible"), Some(200_000))
        );
        assert!(!fee["reason"].as_str().unwrap().is_empty());

        let request = |slug: &str, key: &str| {
            format!(
                r#"{{"fiscal_year": {fy}, "payment_type": "{slug}", "idempotency_key": "{key}"}}"#
            )
        };
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("renewal", "a"),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not open yet: {}",
            r.body
        );
        let r = call(
            "POST",
            "/api/v1/tep/fiscal-years".into(),
            admin,
            format!(r#"{{"fiscal_year": {fy}, "appropriation_cents": 150000}}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["remaining_cents"], 150_000);
        let r = call(
            "POST",
            "/api/v1/tep/fiscal-years".into(),
            admin,
            format!(r#"{{"fiscal_year": {fy}, "appropriation_cents": 180000}}"#),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "a change of the appropriation: {}",
            r.body
        );

        // Invalid: 422, and no number taken.
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("bonus", "b"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "payment_type");
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("renewal", "c"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let first = r.json();
        assert_eq!(first["sequence"], 1);
        assert_eq!(
            (first["status"].as_str(), first["amount_cents"].as_i64()),
            (Some("reserved"), Some(100_000))
        );
        let at = first["received_at"].as_str().unwrap();
        assert!(
            at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
            "{at}"
        );
        // The retry: the original, 200.
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("renewal", "c"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["id"], first["id"]);
        // A second renewal this year: 409.
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("renewal", "d"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        // A rule refuses the fee: still in the line, 201, denied.
        let r = call(
            "POST",
            "/api/v1/tep/requests".into(),
            teacher,
            request("fee", "e"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            (r.json()["sequence"].as_i64(), r.json()["status"].as_str()),
            (Some(2), Some("denied"))
        );

        // The employer confirms: funded; the ledger in sequence order.
        let r = call(
            "POST",
            "/api/v1/tep/verifications".into(),
            hr,
            r#"{"educator_email": "teacher@example.org", "decision": "confirmed"}"#.into(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["verification"], "confirmed");
        let r = call(
            "GET",
            format!("/api/v1/tep/ledger?fiscal_year={fy}"),
            admin,
            String::new(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let l = r.json();
        assert_eq!(
            (
                l["appropriation_cents"].as_i64(),
                l["committed_cents"].as_i64(),
                l["paid_cents"].as_i64(),
                l["remaining_cents"].as_i64()
            ),
            (Some(180_000), Some(100_000), Some(0), Some(80_000))
        );
        let entries = l["entries"].as_array().unwrap();
        let seen: Vec<(i64, &str)> = entries
            .iter()
            .map(|e| {
                (
                    e["sequence"].as_i64().unwrap(),
                    e["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(seen, [(1, "funded"), (2, "denied")]);
        let mut keys: Vec<&String> = entries[0].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "amount_cents",
                "payment_type",
                "reason",
                "request_id",
                "sequence",
                "status"
            ]
        );
        // Paid, then paid again is a conflict.
        let id = first["id"].as_i64().unwrap();
        let r = call(
            "POST",
            format!("/api/v1/tep/requests/{id}/pay"),
            admin,
            String::new(),
        )
        .await;
        assert_eq!(
            (r.status, r.json()["status"].as_str()),
            (StatusCode::OK, Some("paid")),
            "{}",
            r.body
        );
        let r = call(
            "POST",
            format!("/api/v1/tep/requests/{id}/pay"),
            admin,
            String::new(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        db.finish().await;
    }
}
