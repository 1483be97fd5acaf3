//! The named queries over REST: listing, running with typed parameters, CSV, the form
//! page, and parameters that try to change the query.

use crate::support::TestApp;
use axum::http::StatusCode;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

#[tokio::test]
async fn the_named_queries_are_listed_with_their_parameters() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/api/queries", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = json(&response.body);
    let queries = body["queries"].as_array().unwrap();
    assert!(queries.len() >= 15);
    let statements = queries
        .iter()
        .find(|query| query["name"] == "entity_statements")
        .expect("entity_statements is listed");
    assert!(
        statements["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty())
    );
    assert_eq!(statements["parameters"][0]["name"], "entity");
    assert_eq!(statements["parameters"][0]["kind"], "iri");
    assert_eq!(statements["links"]["run"], "/api/queries/entity_statements");
}

#[tokio::test]
async fn a_named_query_runs_with_a_slug_or_an_iri_as_json_or_csv() {
    let app = TestApp::with_bundled_data();
    let by_slug = app
        .get(
            "/api/queries/entity_statements?entity=paragon-solutions",
            None,
        )
        .await;
    assert_eq!(by_slug.status, StatusCode::OK, "{}", by_slug.body);
    assert!(by_slug.content_type().starts_with("application/json"));
    let body = json(&by_slug.body);
    let rows = body["rows"].as_array().unwrap();
    assert!(rows.len() >= 10, "{rows:?}");
    assert!(
        rows.iter()
            .any(|row| row.as_object().unwrap().values().any(|value| {
                value["type"] == "literal"
                    && value["value"] == "Paragon Solutions"
                    && value["language"] == "nl"
            }))
    );

    let by_iri = app
        .get(
            "/api/queries/entity_statements?entity=https%3A%2F%2Fw3id.org%2Fspyatlas%2Fid%2Fparagon-solutions",
            None,
        )
        .await;
    assert_eq!(json(&by_iri.body)["rows"], body["rows"]);

    let csv = app
        .get(
            "/api/queries/entity_statements?entity=paragon-solutions",
            Some("text/csv"),
        )
        .await;
    assert!(csv.content_type().starts_with("text/csv"));
    assert_eq!(
        csv.body.lines().count(),
        rows.len() + 1,
        "a header and one line a row"
    );
    let csv_by_format = app
        .get(
            "/api/queries/entity_statements?entity=paragon-solutions&format=csv",
            None,
        )
        .await;
    assert_eq!(csv_by_format.body, csv.body);
}

#[tokio::test]
async fn parameters_that_are_not_terms_are_refused_and_change_nothing() {
    let app = TestApp::with_bundled_data();
    let before = app.graph.len().unwrap();
    for (value, expects) in [
        (
            "x%3E%20%7D%20%3B%20DROP%20ALL%20%3B%20%23",
            "an entity slug or an absolute IRI",
        ),
        ("Paragon%20Solutions", "an entity slug or an absolute IRI"),
        (
            "%3Chttps%3A%2F%2Fw3id.org%2Fspyatlas%2Fid%2Fx%3E",
            "an entity slug or an absolute IRI",
        ),
    ] {
        let response = app
            .get(
                &format!("/api/queries/entity_statements?entity={value}"),
                None,
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{value}: {}",
            response.body
        );
        assert!(response.body.contains(expects), "{}", response.body);
        assert!(response.body.contains("entity"), "{}", response.body);
    }
    let unknown = app.get("/api/queries/entity_statements?nope=1", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("has no parameter `nope`"),
        "{}",
        unknown.body
    );
    let missing = app.get("/api/queries/no_such_query", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(app.graph.len().unwrap(), before, "the store is untouched");
    assert_eq!(
        app.get(
            "/api/queries/entity_statements?entity=paragon-solutions",
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn each_named_query_has_a_form_page() {
    let app = TestApp::with_bundled_data();
    let page = app
        .get("/queries/entity_statements", Some("text/html"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.body
            .contains("<form method=\"get\" action=\"/api/queries/entity_statements\">")
    );
    assert!(page.body.contains("name=\"entity\""));
    assert!(page.body.contains("SELECT"), "the query text is shown");
    assert_eq!(
        app.get("/queries/nothing_here", None).await.status,
        StatusCode::NOT_FOUND
    );
}
