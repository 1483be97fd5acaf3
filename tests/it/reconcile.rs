//! The reconciliation service (W3C Reconciliation Service API 0.2, as OpenRefine speaks
//! it): a messy column of names matched, every kind of answer valid by the API's JSON
//! Schemas (checked by Python's `jsonschema`), the API's own example requests accepted
//! and its invalid ones refused, extension rows carrying each relationship's status with
//! its report, and every bad input refused with a message saying what to send.

use crate::support::TestApp;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The API's schemas and examples, as published by the W3C community group.
fn api() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/reconciliation-api/0.2")
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

fn form(key: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish()
}

async fn post(app: &TestApp, key: &str, value: &Value) -> (StatusCode, String) {
    let response = app
        .post(
            "/reconcile",
            Some("application/x-www-form-urlencoded"),
            None,
            &form(key, &value.to_string()),
        )
        .await;
    (response.status, response.body)
}

async fn ok(app: &TestApp, key: &str, value: &Value) -> Value {
    let (status, body) = post(app, key, value).await;
    assert_eq!(status, StatusCode::OK, "{value}: {body}");
    json(&body)
}

/// The candidates of one query.
async fn reconcile(app: &TestApp, query: Value) -> Vec<Value> {
    let answer = ok(app, "queries", &json!({ "q0": query })).await;
    answer["q0"]["result"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_messy_column_of_names_is_matched_to_the_entities_it_means() {
    let app = TestApp::with_bundled_data();
    let csv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reconcile/messy-names.csv"),
    )
    .unwrap();
    // One batch, as OpenRefine sends a column: a query per row.
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .collect();
    let mut batch = serde_json::Map::new();
    for (n, row) in rows.iter().enumerate() {
        let mut query = json!({ "query": row[0] });
        if !row[1].is_empty() {
            query["type"] = json!(row[1]);
        }
        batch.insert(format!("q{n}"), query);
    }
    let answer = ok(&app, "queries", &Value::Object(batch)).await;
    for (n, row) in rows.iter().enumerate() {
        let result = answer[format!("q{n}")]["result"].as_array().unwrap();
        let matched: Vec<&str> = result
            .iter()
            .filter(|candidate| candidate["match"] == true)
            .map(|candidate| candidate["id"].as_str().unwrap())
            .collect();
        if row[2].is_empty() {
            // Nothing the store holds is that name: no candidate is matched without a
            // person looking.
            assert!(matched.is_empty(), "{row:?}: {result:#?}");
        } else {
            assert_eq!(matched, [row[2]], "{row:?}: {result:#?}");
            assert_eq!(
                result[0]["id"], row[2],
                "the match ranks first: {result:#?}"
            );
        }
        for candidate in result {
            let score = candidate["score"].as_f64().unwrap();
            assert!((0.0..=100.0).contains(&score), "{candidate}");
        }
    }
    // An alias matched says so, and the candidate carries its kinds.
    let meta = &answer["q4"]["result"][0];
    assert_eq!(meta["name"], "Meta Platforms");
    assert_eq!(meta["description"], "also named “Meta”");
    assert!(
        meta["type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|kind| kind["id"] == "Organization"),
        "{meta}"
    );
}

#[tokio::test]
async fn types_and_properties_narrow_and_rank_candidates() {
    let app = TestApp::with_bundled_data();
    // "Paragon" is an alias of Paragon Solutions (a synonym the MISP galaxy gives): the
    // vendor is matched, and its unnamed product ranks below, unmatched.
    let any = reconcile(&app, json!({ "query": "Paragon" })).await;
    assert!(any.len() > 1, "{any:#?}");
    assert_eq!(any[0]["id"], "id/paragon-solutions", "{any:#?}");
    assert_eq!(any[0]["match"], true, "{any:#?}");
    assert!(any[1..].iter().all(|c| c["match"] == false), "{any:#?}");
    assert!(
        any.iter()
            .all(|c| c["id"].as_str().unwrap().starts_with("id/")),
        "reports are no candidates: {any:#?}"
    );
    // A word many vendors' names share is nobody's name: no candidate is sure.
    let shared = reconcile(&app, json!({ "query": "Solutions" })).await;
    assert!(shared.len() > 1, "{shared:#?}");
    assert!(shared.iter().all(|c| c["match"] == false), "{shared:#?}");
    // `should` keeps the others, ranked below the vendor.
    let should = reconcile(
        &app,
        json!({ "query": "Paragon", "type": "Vendor", "type_strict": "should" }),
    )
    .await;
    assert_eq!(should[0]["id"], "id/paragon-solutions", "{should:#?}");
    assert!(should.len() > 1);
    assert!(should[0]["score"].as_f64() > should[1]["score"].as_f64());
    // `all`: a candidate of every type; WhatsApp is a platform and an organisation.
    let all = reconcile(
        &app,
        json!({ "query": "WhatsApp", "type": ["Platform", "Organization"], "type_strict": "all" }),
    )
    .await;
    assert_eq!(all[0]["id"], "id/whatsapp", "{all:#?}");
    let none = reconcile(
        &app,
        json!({ "query": "WhatsApp", "type": ["Platform", "Vendor"], "type_strict": "all" }),
    )
    .await;
    assert!(none.is_empty(), "{none:#?}");
    // A property that holds (the operator, by name or by id) raises the candidate; one
    // that does not holds it back from a match.
    for value in [json!("Meta"), json!({ "id": "id/meta-platforms" })] {
        let held = reconcile(
            &app,
            json!({ "query": "WhatsApp", "properties": [{ "pid": "operatedBy", "v": value }] }),
        )
        .await;
        assert_eq!(held[0]["id"], "id/whatsapp");
        assert_eq!(held[0]["match"], true, "{held:#?}");
        assert_eq!(held[0]["score"], 100.0, "{held:#?}");
        let features = held[0]["features"].as_array().unwrap();
        assert!(features.contains(&json!({ "id": "property:operatedBy", "value": true })));
    }
    let wrong = reconcile(
        &app,
        json!({ "query": "WhatsApp", "properties": [{ "pid": "operatedBy", "v": "Paragon Solutions" }] }),
    )
    .await;
    assert_eq!(wrong[0]["match"], false, "{wrong:#?}");
    assert!(wrong[0]["score"].as_f64().unwrap() < 100.0);
    // No name: the entities holding the value, read backwards too.
    let operated = reconcile(
        &app,
        json!({ "properties": [{ "pid": "operatedBy", "v": { "id": "id/meta-platforms" } }] }),
    )
    .await;
    assert_eq!(operated[0]["id"], "id/whatsapp", "{operated:#?}");
    // `limit` caps the candidates.
    let one = reconcile(&app, json!({ "query": "a", "limit": 1 })).await;
    assert!(one.len() <= 1);
}

#[tokio::test]
async fn extension_rows_give_each_relationship_with_its_status_and_report() {
    let app = TestApp::with_bundled_data();
    let incident = "id/paragon-spyware-attacks-on-whatsapp-users-2024";
    let report = "report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";
    let answer = ok(
        &app,
        "extend",
        &json!({
            "ids": [incident, "id/paragon-solutions", "id/no-such-entity"],
            "properties": [
                { "id": "vendor" }, { "id": "vendor@status" }, { "id": "vendor@source" },
                { "id": "targetCount" }, { "id": "^vendor" }, { "id": "^vendor@status" },
            ],
        }),
    )
    .await;
    let meta = answer["meta"].as_array().unwrap();
    assert_eq!(meta.len(), 6);
    assert_eq!(meta[1]["id"], "vendor@status");
    assert!(meta[1]["name"].as_str().unwrap().ends_with(": status"));
    let row = &answer["rows"][incident];
    assert_eq!(
        row["vendor"],
        json!([{ "id": "id/paragon-solutions", "name": "Paragon Solutions" }])
    );
    // The status the report gives (attributed: WhatsApp holds Paragon responsible), never
    // another, with the report that gives it.
    let statuses = row["vendor@status"].as_array().unwrap();
    assert_eq!(statuses.len(), 1, "{statuses:#?}");
    let status = statuses[0]["str"].as_str().unwrap();
    assert!(
        status.starts_with("Paragon Solutions: attributed ("),
        "{status}"
    );
    assert!(
        status.contains("Italy: Belgian numbers targeted"),
        "{status}"
    );
    assert_eq!(row["vendor@source"][0]["id"], report);
    assert_eq!(row["targetCount"], json!([{ "int": 90 }]));
    // Backwards, from the vendor: the incident, with the same status.
    let vendor = &answer["rows"]["id/paragon-solutions"];
    assert_eq!(vendor["^vendor"][0]["id"], incident);
    assert!(
        vendor["^vendor@status"][0]["str"]
            .as_str()
            .unwrap()
            .contains(": attributed ("),
        "{vendor}"
    );
    // An id nothing is known of has empty cells.
    assert_eq!(answer["rows"]["id/no-such-entity"]["vendor"], json!([]));

    // The properties offered for a type, with their status and source companions.
    let proposed = json(
        &app.get("/reconcile/properties?type=Incident", None)
            .await
            .body,
    );
    let ids: Vec<&str> = proposed["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|property| property["id"].as_str().unwrap())
        .collect();
    for id in ["vendor", "vendor@status", "vendor@source", "targetCount"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    let backwards = json(
        &app.get("/reconcile/properties?type=Vendor", None)
            .await
            .body,
    );
    assert!(
        backwards["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|property| property["id"] == "^developedBy"),
        "{backwards}"
    );
}

#[tokio::test]
async fn every_answer_is_valid_by_the_api_schemas_and_its_examples_are_accepted() {
    let app = TestApp::with_bundled_data();
    let answers = tempfile::tempdir().unwrap();
    let keep = |schema: &str, name: &str, body: &str| {
        let folder = answers.path().join(schema);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{name}.json")), body).unwrap();
    };
    let get = |uri: &'static str| {
        let app = &app;
        async move {
            let response = app.get(uri, None).await;
            assert_eq!(response.status, StatusCode::OK, "{uri}: {}", response.body);
            assert_eq!(response.content_type(), "application/json", "{uri}");
            response.body
        }
    };
    keep("manifest", "manifest", &get("/reconcile").await);
    let manifest = json(&get("/reconcile").await);
    assert_eq!(manifest["view"]["url"], "http://localhost/{{id}}");
    keep(
        "suggest-entities-response",
        "whats",
        &get("/reconcile/suggest/entity?prefix=whats").await,
    );
    keep(
        "suggest-entities-response",
        "typed",
        &get("/reconcile/suggest/entity?prefix=p&type=Vendor&cursor=0").await,
    );
    keep(
        "suggest-types-response",
        "vend",
        &get("/reconcile/suggest/type?prefix=vend").await,
    );
    keep(
        "suggest-properties-response",
        "dev",
        &get("/reconcile/suggest/property?prefix=dev").await,
    );
    keep(
        "data-extension-property-proposal",
        "incident",
        &get("/reconcile/properties?type=Incident&limit=40").await,
    );
    keep(
        "data-extension-property-proposal",
        "any",
        &get("/reconcile/properties").await,
    );
    let batch = json!({
        "q0": { "query": "Whats App", "type": "Platform" },
        "q1": { "query": "Paragon", "type": ["Vendor", "Product"], "limit": 10 },
        "q2": { "query": "NSO" },
        "q3": { "query": "WhatsApp", "properties": [{ "pid": "operatedBy", "v": ["Meta", { "id": "id/meta-platforms" }] }] },
    });
    let (_, body) = post(&app, "queries", &batch).await;
    keep("reconciliation-result-batch", "posted", &body);
    let uri = format!("/reconcile?{}", form("queries", &batch.to_string()));
    let by_get = app.get(&uri, None).await;
    assert_eq!(by_get.status, StatusCode::OK, "{}", by_get.body);
    assert_eq!(by_get.body, body, "GET and POST answer alike");
    let (_, body) = post(
        &app,
        "extend",
        &json!({
            "ids": ["id/paragon-spyware-attacks-on-whatsapp-users-2024", "id/whatsapp"],
            "properties": [{ "id": "vendor" }, { "id": "vendor@status" }, { "id": "vendor@source" },
                           { "id": "targetCount" }, { "id": "operatedBy" }, { "id": "date" }],
        }),
    )
    .await;
    keep("data-extension-response", "extension", &body);

    // The API's own valid requests are accepted, its invalid ones refused.
    for (schema, key) in [
        ("reconciliation-query-batch", "queries"),
        ("data-extension-query", "extend"),
    ] {
        let examples = api().join("examples").join(schema);
        for entry in std::fs::read_dir(examples.join("valid")).unwrap() {
            let path = entry.unwrap().path();
            let example = json(&std::fs::read_to_string(&path).unwrap());
            let (status, body) = post(&app, key, &example).await;
            assert_eq!(status, StatusCode::OK, "{}: {body}", path.display());
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let answer_schema = if key == "queries" {
                "reconciliation-result-batch"
            } else {
                "data-extension-response"
            };
            keep(answer_schema, &format!("example-{name}"), &body);
        }
        if let Ok(invalid) = std::fs::read_dir(examples.join("invalid")) {
            for entry in invalid {
                let path = entry.unwrap().path();
                let example = json(&std::fs::read_to_string(&path).unwrap());
                let (status, body) = post(&app, key, &example).await;
                assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "{}: {body}",
                    path.display()
                );
            }
        }
    }

    let output = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reconcile/validate.py"))
        .arg(api().join("schemas"))
        .arg(answers.path())
        .output()
        .expect("python3 runs (scripts/test installs jsonschema)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    assert!(report.contains(" 0 errors"), "{report}");

    // The preview is a page of its own, framed by OpenRefine.
    let preview = app
        .get("/reconcile/preview?id=id/meta-platforms", None)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.content_type().starts_with("text/html"));
    assert!(
        preview.body.contains("<h1>Meta Platforms</h1>"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("<p class=\"kind\">Organization</p>"),
        "{}",
        preview.body
    );
    let policy = preview.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors *"), "{policy}");
}

#[tokio::test]
async fn bad_requests_are_refused_with_what_to_send() {
    let app = TestApp::with_bundled_data();
    let many: serde_json::Map<String, Value> = (0..101)
        .map(|n| (format!("q{n}"), json!({ "query": "x" })))
        .collect();
    let long = "x".repeat(10_000);
    let cases = [
        ("queries", json!("NSO"), "object of queries"),
        ("queries", json!([{ "query": "NSO" }]), "object of queries"),
        ("queries", Value::Object(many), "at most 100"),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "typ": "Vendor" } }),
            "unknown field `typ`",
        ),
        (
            "queries",
            json!({ "q0": { "query": long } }),
            "characters long",
        ),
        (
            "queries",
            json!({ "q0": { "query": 42 } }),
            "`query` is the name",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "type": "a b" } }),
            "no type id",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "type_strict": "maybe" } }),
            "type_strict",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "limit": -1 } }),
            "`limit`",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "properties": [{ "pid": "a b", "v": "x" }] } }),
            "no property id",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "properties": [{ "pid": "country" }] } }),
            "needs `v`",
        ),
        (
            "queries",
            json!({ "q0": { "query": "NSO", "properties": [{ "pid": "country", "v": [[1]] }] } }),
            "a value of `country`",
        ),
        ("queries", json!({ "q0": {} }), "give a `query`"),
        ("extend", json!({ "ids": ["id/whatsapp"] }), "`properties`"),
        (
            "extend",
            json!({ "ids": "id/whatsapp", "properties": [] }),
            "`ids`",
        ),
        (
            "extend",
            json!({ "ids": vec!["id/whatsapp"; 101], "properties": [] }),
            "at most 100",
        ),
        (
            "extend",
            json!({ "ids": [], "properties": [{ "id": "not a property" }] }),
            "no property id",
        ),
        (
            "extend",
            json!({ "ids": [], "properties": [], "more": 1 }),
            "unknown field `more`",
        ),
    ];
    for (key, value, expected) in cases {
        let (status, body) = post(&app, key, &value).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}: {body}");
        assert!(body.contains(expected), "{value}: {body} lacks {expected}");
    }
    let raw = app
        .post(
            "/reconcile",
            Some("application/x-www-form-urlencoded"),
            None,
            "queries={not json",
        )
        .await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST);
    assert!(raw.body.contains("not JSON"), "{}", raw.body);
    for (content_type, body, status, expected) in [
        (
            Some("application/json"),
            "{}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "x-www-form-urlencoded",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "",
            StatusCode::BAD_REQUEST,
            "neither",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "query=x",
            StatusCode::BAD_REQUEST,
            "unknown form field `query`",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "queries=%7B%7D&queries=%7B%7D",
            StatusCode::BAD_REQUEST,
            "given twice",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "queries=%7B%7D&extend=%7B%7D",
            StatusCode::BAD_REQUEST,
            "not both",
        ),
    ] {
        let response = app.post("/reconcile", content_type, None, body).await;
        assert_eq!(response.status, status, "{body}: {}", response.body);
        assert!(
            response.body.contains(expected),
            "{body}: {}",
            response.body
        );
    }
    for (uri, status, expected) in [
        ("/reconcile?query=x", StatusCode::BAD_REQUEST, "query"),
        (
            "/reconcile/suggest/entity?prefix=a&cursor=100000",
            StatusCode::BAD_REQUEST,
            "cursor",
        ),
        (
            "/reconcile/suggest/entity?prefix=a&type=not%20a%20type",
            StatusCode::BAD_REQUEST,
            "no type id",
        ),
        (
            "/reconcile/properties?type=NoSuchClass",
            StatusCode::BAD_REQUEST,
            "no class of the ontology",
        ),
        (
            "/reconcile/preview?id=id/no-such-entity",
            StatusCode::NOT_FOUND,
            "no-such-entity",
        ),
        (
            "/reconcile/preview?id=..%2F..",
            StatusCode::BAD_REQUEST,
            "no entity id",
        ),
        (
            "/reconcile/preview",
            StatusCode::BAD_REQUEST,
            "no entity id",
        ),
    ] {
        let response = app.get(uri, Some("application/json")).await;
        assert_eq!(response.status, status, "{uri}: {}", response.body);
        assert!(response.body.contains(expected), "{uri}: {}", response.body);
    }
    let long_prefix = format!("/reconcile/suggest/entity?prefix={}", "a".repeat(1000));
    let response = app.get(&long_prefix, None).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
}
