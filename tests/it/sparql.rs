//! The SPARQL 1.1 Protocol at `/sparql`: formats, negotiation, datasets, errors, auth,
//! deadlines.

use super::http_client;
use super::support::{TOKEN, TestApp, TestServer};
use axum::http::StatusCode;
use spyatlas::config::{HttpSettings, WriteAccess};
use std::time::{Duration, Instant};

const ASK_VENDOR: &str = "ASK { ?v a <https://w3id.org/spyatlas/ontology#Vendor> }";
const SELECT_ONE: &str = "SELECT ?x WHERE { VALUES ?x { <http://example.com/a> } }";
const CONSTRUCT_ONE: &str =
    "CONSTRUCT { <http://example.com/s> <http://example.com/p> \"o\" } WHERE {}";

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// GETs `uri` with `Accept: accept` and checks the status, the content type and a piece
/// of the body.
async fn expect_representation(
    app: &TestApp,
    uri: &str,
    accept: &str,
    content_type: &str,
    needle: &str,
) {
    let response = app.get(uri, Some(accept)).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{accept}: {}",
        response.body
    );
    assert!(
        response.content_type().starts_with(content_type),
        "{accept}: {}",
        response.content_type()
    );
    // The charset once: clients splitting the parameters take a repeated one as an error.
    assert_eq!(
        response.content_type().matches("charset=").count(),
        1,
        "{accept}: {}",
        response.content_type()
    );
    assert!(
        response.body.contains(needle),
        "{accept}: {}",
        response.body
    );
}

#[tokio::test]
async fn the_default_graph_is_the_union_of_all_graphs() {
    let app = TestApp::with_bundled_data();
    let response = app
        .get(&format!("/sparql?query={}", encode(ASK_VENDOR)), None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(
        response
            .content_type()
            .starts_with("application/sparql-results+json")
    );
    assert!(response.body.contains("true"), "{}", response.body);
}

#[tokio::test]
async fn select_results_come_in_each_format() {
    let app = TestApp::with_bundled_data();
    let uri = format!("/sparql?query={}", encode(SELECT_ONE));
    let cases = [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            "\"bindings\"",
        ),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<sparql",
        ),
        ("text/csv", "text/csv", "x\r\nhttp://example.com/a"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            "?x\n<http://example.com/a>",
        ),
    ];
    for (accept, content_type, needle) in cases {
        expect_representation(&app, &uri, accept, content_type, needle).await;
    }
}

#[tokio::test]
async fn construct_results_come_in_each_rdf_format() {
    let app = TestApp::with_bundled_data();
    let uri = format!("/sparql?query={}", encode(CONSTRUCT_ONE));
    let cases = [
        (
            "text/turtle",
            "<http://example.com/s> <http://example.com/p> \"o\"",
        ),
        (
            "application/n-triples",
            "<http://example.com/s> <http://example.com/p> \"o\" .",
        ),
        (
            "application/n-quads",
            "<http://example.com/s> <http://example.com/p> \"o\" .",
        ),
        (
            "application/trig",
            "<http://example.com/s> <http://example.com/p> \"o\"",
        ),
        ("application/rdf+xml", "rdf:RDF"),
        ("application/ld+json", "\"@id\""),
    ];
    for (accept, needle) in cases {
        expect_representation(&app, &uri, accept, accept, needle).await;
    }
}

#[tokio::test]
async fn accept_q_values_and_the_format_parameter_choose_the_format() {
    let app = TestApp::with_bundled_data();
    let uri = format!("/sparql?query={}", encode(SELECT_ONE));
    let response = app
        .get(
            &uri,
            Some("application/sparql-results+json;q=0.2, text/csv;q=0.9, */*;q=0.1"),
        )
        .await;
    assert!(
        response.content_type().starts_with("text/csv"),
        "{}",
        response.content_type()
    );
    let response = app
        .get(&format!("{uri}&format=xml"), Some("text/csv"))
        .await;
    assert!(
        response
            .content_type()
            .starts_with("application/sparql-results+xml")
    );
}

#[tokio::test]
async fn queries_can_be_posted_as_a_form_or_as_a_body() {
    let app = TestApp::with_bundled_data();
    let form = format!("query={}", encode(ASK_VENDOR));
    let response = app
        .post(
            "/sparql",
            Some("application/x-www-form-urlencoded"),
            None,
            &form,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body.contains("true"));
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-query"),
            None,
            ASK_VENDOR,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body.contains("true"));
}

#[tokio::test]
async fn a_malformed_query_is_400_with_line_and_column() {
    let app = TestApp::with_bundled_data();
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-query"),
            None,
            "SELECT ?x\nWHERE { ?x ?y }",
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response.body.contains("invalid SPARQL"),
        "{}",
        response.body
    );
    assert!(
        response.body.contains("2:"),
        "the message names line 2: {}",
        response.body
    );
}

#[tokio::test]
async fn a_malformed_update_is_400_and_changes_nothing() {
    let app = TestApp::with_bundled_data();
    let before = app.graph.len().unwrap();
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            "INSERT DATA { <a> <b> }",
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("invalid SPARQL"),
        "{}",
        response.body
    );
    assert_eq!(app.graph.len().unwrap(), before);
}

#[tokio::test]
async fn an_unsupported_accept_is_406() {
    let app = TestApp::with_bundled_data();
    let response = app
        .get(
            &format!("/sparql?query={}", encode(SELECT_ONE)),
            Some("image/png"),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE);
    assert!(
        response.body.contains("application/sparql-results+json"),
        "{}",
        response.body
    );
    let response = app
        .get(
            &format!("/sparql?query={}", encode(CONSTRUCT_ONE)),
            Some("text/csv"),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NOT_ACCEPTABLE,
        "a graph has no CSV form"
    );
}

#[tokio::test]
async fn a_wrong_request_content_type_is_415() {
    let app = TestApp::with_bundled_data();
    for content_type in [
        Some("text/plain"),
        None,
        Some("application/sparql-query; charset=UTF-16"),
    ] {
        let response = app.post("/sparql", content_type, None, ASK_VENDOR).await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(
            response.body.contains("Content-Type") || response.body.contains("UTF-8"),
            "{}",
            response.body
        );
    }
}

#[tokio::test]
async fn a_query_with_an_update_or_two_queries_is_400() {
    let app = TestApp::with_bundled_data();
    let both = format!(
        "query={}&update={}",
        encode(ASK_VENDOR),
        encode("CLEAR ALL")
    );
    let response = app
        .post(
            "/sparql",
            Some("application/x-www-form-urlencoded"),
            Some(TOKEN),
            &both,
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("not both"), "{}", response.body);
    let two = format!(
        "/sparql?query={}&query={}",
        encode(ASK_VENDOR),
        encode(SELECT_ONE)
    );
    let response = app.get(&two, None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response.body.contains("one query per request"),
        "{}",
        response.body
    );
    assert!(app.graph.len().unwrap() > 0, "CLEAR ALL did not run");
}

#[tokio::test]
async fn an_update_by_get_is_refused() {
    let app = TestApp::with_bundled_data();
    let response = app
        .get(&format!("/sparql?update={}", encode("CLEAR ALL")), None)
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("POST"), "{}", response.body);
}

#[tokio::test]
async fn updates_need_the_right_token() {
    let app = TestApp::with_bundled_data();
    let update = "INSERT DATA { GRAPH <http://example.com/g> { <http://example.com/s> <http://example.com/p> 1 } }";
    let missing = app
        .post("/sparql", Some("application/sparql-update"), None, update)
        .await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.headers.get("www-authenticate").unwrap(),
        "Bearer realm=\"spyatlas\""
    );
    let wrong = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some("nope"),
            update,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ask = "ASK { GRAPH <http://example.com/g> { ?s ?p ?o } }";
    let response = app
        .post("/sparql", Some("application/sparql-query"), None, ask)
        .await;
    assert!(
        response.body.contains("false"),
        "nothing was written: {}",
        response.body
    );
    let right = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            update,
        )
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT, "{}", right.body);
    let response = app
        .post("/sparql", Some("application/sparql-query"), None, ask)
        .await;
    assert!(response.body.contains("true"), "{}", response.body);
}

#[tokio::test]
async fn without_a_configured_token_writes_are_403_with_instructions() {
    let graph = crate::stores::TestGraph::bundled();
    let mut settings = HttpSettings::with_token("unused", Duration::from_secs(30));
    settings.write_access = WriteAccess::NoToken;
    let app = TestApp::new(graph, settings);
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some("anything"),
            "CLEAR ALL",
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("--write-token"), "{}", response.body);
    assert!(app.graph.len().unwrap() > 0);
}

#[tokio::test]
async fn a_read_only_server_refuses_writes_even_with_the_token() {
    let graph = crate::stores::TestGraph::bundled();
    let mut settings = HttpSettings::with_token(TOKEN, Duration::from_secs(30));
    settings.write_access = WriteAccess::ReadOnly(None);
    let app = TestApp::new(graph, settings);
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            "CLEAR ALL",
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("read-only"), "{}", response.body);
    assert!(app.graph.len().unwrap() > 0);
}

#[tokio::test]
async fn service_calls_are_refused() {
    let app = TestApp::with_bundled_data();
    let query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }";
    let response = app
        .post("/sparql", Some("application/sparql-query"), None, query)
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(response.body.contains("SERVICE"), "{}", response.body);
}

#[tokio::test]
async fn load_from_a_url_is_refused() {
    let app = TestApp::with_bundled_data();
    let update = "LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://example.com/g>";
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            update,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("LOAD is disabled"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn the_service_description_is_served_to_rdf_clients() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/sparql", Some("text/turtle")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.content_type().starts_with("text/turtle"));
    assert!(
        response
            .body
            .contains("sparql-service-description#endpoint"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn browsers_get_the_query_page_with_the_named_queries() {
    let app = TestApp::with_bundled_data();
    let response = app
        .get(
            "/sparql",
            Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.content_type().starts_with("text/html"));
    assert!(response.body.contains("<textarea"), "a query editor");
    assert!(
        !response.body.contains("src=\"http"),
        "no script from elsewhere"
    );
    let queries = spyatlas::queries::Queries::parse().unwrap();
    for query in queries.iter() {
        assert!(
            response.body.contains(&query.name),
            "example {} listed",
            query.name
        );
    }
}

#[tokio::test]
async fn health_answers_when_the_store_is_readable() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/health", None).await;
    assert_eq!(response.status, StatusCode::OK);
}

/// A query far too slow to finish: every pair of triples, each pair checked against the
/// store (so the evaluation keeps reading quads, where oxigraph checks for cancellation).
const SLOW_QUERY: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER NOT EXISTS { ?c ?x ?f } }";

#[test]
fn a_slow_query_gets_503_at_its_deadline_while_others_are_served() {
    let graph = crate::stores::TestGraph::bundled();
    let server = TestServer::start(
        graph,
        HttpSettings::with_token(TOKEN, Duration::from_secs(2)),
    );
    let base = server.base_url.clone();
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let response = http_client::send(
            &base,
            "POST",
            "/sparql",
            &[("content-type", "application/sparql-query")],
            SLOW_QUERY.as_bytes(),
        );
        (response, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let fast = http_client::send(
        &server.base_url,
        "GET",
        &format!("/sparql?query={}", encode(ASK_VENDOR)),
        &[],
        b"",
    );
    let fast_elapsed = started.elapsed();
    assert_eq!(fast.status, 200, "{}", fast.text());
    assert!(fast.text().contains("true"));
    let (slow, slow_elapsed) = slow.join().unwrap();
    assert!(
        fast_elapsed < slow_elapsed,
        "the fast query did not wait for the slow one"
    );
    assert_eq!(slow.status, 503, "{}", slow.text());
    assert!(
        slow.text().contains("did not finish within 2 s"),
        "{}",
        slow.text()
    );
    assert!(
        slow_elapsed < Duration::from_secs(20),
        "cancelled near its deadline: {slow_elapsed:?}"
    );
}

#[test]
fn the_real_server_answers_over_tcp() {
    let server = TestServer::start(
        crate::stores::TestGraph::bundled(),
        HttpSettings::with_token(TOKEN, Duration::from_secs(30)),
    );
    let response = http_client::send(&server.base_url, "GET", "/health", &[], b"");
    assert_eq!(response.status, 200);
    let response = http_client::send(
        &server.base_url,
        "GET",
        &format!("/sparql?query={}", encode(SELECT_ONE)),
        &[("accept", "text/csv"), ("origin", "http://example.org")],
        b"",
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("*"),
        "reads are open with CORS"
    );
    assert!(response.text().contains("http://example.com/a"));
}

/// The number of quads of the store, as `/sparql` answers it.
async fn quads(app: &TestApp) -> String {
    let count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";
    let response = app
        .get(
            &format!("/sparql?query={}", encode(count)),
            Some("text/csv"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.body
}

#[tokio::test]
async fn a_repeated_query_shows_every_write_made_between() {
    let app = TestApp::with_bundled_data();
    let mut seen = vec![quads(&app).await];
    assert_eq!(quads(&app).await, seen[0], "nothing was written");

    let insert = "INSERT DATA { GRAPH <http://example.com/g> { <http://example.com/s> <http://example.com/p> 1 } }";
    let updated = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            insert,
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT, "{}", updated.body);
    seen.push(quads(&app).await);

    let put = super::graph_store::put(
        "/store?graph=http%3A%2F%2Fexample.com%2Fh",
        "application/n-triples",
        Some(TOKEN),
        "<http://example.com/s> <http://example.com/p> \"2\" .\n<http://example.com/s> <http://example.com/p> \"3\" .\n",
    );
    let stored = app.send(put).await;
    assert!(stored.status.is_success(), "{}", stored.body);
    seen.push(quads(&app).await);

    let text = super::reports::document("between-queries", "Bo Li", "");
    let created = app
        .post("/api/reports", Some("application/yaml"), Some(TOKEN), &text)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    seen.push(quads(&app).await);

    let retracted = app
        .delete("/api/reports/between-queries", Some(TOKEN))
        .await;
    assert!(retracted.status.is_success(), "{}", retracted.body);
    seen.push(quads(&app).await);

    for pair in seen.windows(2) {
        assert_ne!(pair[0], pair[1], "a write went unseen: {seen:?}");
    }
    assert_eq!(
        seen[4], seen[2],
        "retracting the report took what it added: {seen:?}"
    );
}

#[tokio::test]
async fn queries_whose_answers_change_by_themselves_are_evaluated_each_time() {
    let app = TestApp::with_bundled_data();
    for call in ["STRUUID()", "UUID()", "RAND()"] {
        let uri = format!(
            "/sparql?query={}",
            encode(&format!("SELECT ({call} AS ?x) WHERE {{}}"))
        );
        let first = app.get(&uri, Some("text/csv")).await;
        let second = app.get(&uri, Some("text/csv")).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_ne!(first.body, second.body, "{call} was answered from memory");
    }
}

#[tokio::test]
async fn the_same_query_in_another_format_or_dataset_gets_its_own_answer() {
    let app = TestApp::with_bundled_data();
    let uri = format!("/sparql?query={}", encode(ASK_VENDOR));
    expect_representation(&app, &uri, "text/csv", "text/csv", "true").await;
    expect_representation(
        &app,
        &uri,
        "application/sparql-results+xml",
        "application/sparql-results+xml",
        "<boolean>true</boolean>",
    )
    .await;
    // The same text over an empty default graph.
    let empty = format!(
        "{uri}&default-graph-uri={}",
        encode("http://example.com/none")
    );
    expect_representation(&app, &empty, "text/csv", "text/csv", "false").await;
    expect_representation(&app, &uri, "text/csv", "text/csv", "true").await;
}
