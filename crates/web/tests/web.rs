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
            "/?q=payson&designation=Targeted&band=ES".into(),
        ] {
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            assert!(r.content_type.starts_with("text/html"), "{uri}");
            assert!(r.body.contains("<html lang=\"en\">"));
        }
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
