//! The Graph Store Protocol at `/store`, beyond the W3C manifests: errors and auth.

use super::support::{TOKEN, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};

/// A Graph Store `PUT` of `body`, with the bearer token when given.
pub(crate) fn put(uri: &str, content_type: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::put(uri).header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

const GRAPH: &str = "/store?graph=http%3A%2F%2Fexample.com%2Fg";
const TURTLE: &str = "<http://example.com/s> <http://example.com/p> \"o\" .";

#[tokio::test]
async fn put_then_get_round_trips_a_graph() {
    let app = TestApp::with_bundled_data();
    let created = app
        .send(put(GRAPH, "text/turtle", Some(TOKEN), TURTLE))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let replaced = app
        .send(put(GRAPH, "text/turtle", Some(TOKEN), TURTLE))
        .await;
    assert_eq!(replaced.status, StatusCode::NO_CONTENT);
    let read = app.get(GRAPH, Some("application/n-triples")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body.trim(), TURTLE);
}

#[tokio::test]
async fn the_default_graph_is_written_and_read_as_any_graph() {
    // On a remote store its quads live in a graph of their own, read back as the default
    // graph: what is put there is what is read, and no named graph shows it.
    let app = TestApp::with_bundled_data();
    let put_default = app
        .send(put("/store?default", "text/turtle", Some(TOKEN), TURTLE))
        .await;
    assert!(put_default.status.is_success(), "{}", put_default.body);
    let read = app
        .get("/store?default", Some("application/n-triples"))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body.trim(), TURTLE);
    let named = app
        .get(
            "/sparql?query=SELECT%20%3Fg%20WHERE%20%7B%20GRAPH%20%3Fg%20%7B%20%3Chttp%3A%2F%2Fexample.com%2Fs%3E%20%3Fp%20%3Fo%20%7D%20%7D",
            Some("application/sparql-results+json"),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    assert!(named.body.contains("\"bindings\":[]"), "{}", named.body);
    let emptied = app
        .send(
            Request::delete("/store?default")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(emptied.status.is_success(), "{}", emptied.body);
    let read = app
        .get("/store?default", Some("application/n-triples"))
        .await;
    assert!(!read.body.contains("example.com"), "{}", read.body);
}

#[tokio::test]
async fn malformed_rdf_is_400_with_line_and_column_and_writes_nothing() {
    let app = TestApp::with_bundled_data();
    let before = app.graph.len().unwrap();
    let body = "<http://example.com/s> <http://example.com/p> \"o\" .\n<http://example.com/s> <http://example.com/p> .";
    let response = app.send(put(GRAPH, "text/turtle", Some(TOKEN), body)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("line 2"), "{}", response.body);
    assert_eq!(app.graph.len().unwrap(), before);
    assert_eq!(app.get(GRAPH, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_payload_type_is_415() {
    let app = TestApp::with_bundled_data();
    let response = app
        .send(put(GRAPH, "application/pdf", Some(TOKEN), TURTLE))
        .await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.body.contains("text/turtle"), "{}", response.body);
}

#[tokio::test]
async fn writes_need_the_token() {
    let app = TestApp::with_bundled_data();
    let response = app.send(put(GRAPH, "text/turtle", None, TURTLE)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let delete = Request::delete(GRAPH).body(Body::empty()).unwrap();
    assert_eq!(app.send(delete).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(GRAPH, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_request_naming_no_graph_is_400() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/store", None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("?graph=IRI"), "{}", response.body);
    let response = app.get("/store?graph=not-an-iri", None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}
