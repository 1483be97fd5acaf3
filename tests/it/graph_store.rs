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
