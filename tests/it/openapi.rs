//! `/openapi.json` describes every route the server answers, and only those.

use crate::support::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_each_one_answers() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let document: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    // The REST routes the issue names are all described.
    for path in [
        "/id/{slug}",
        "/report/{slug}",
        "/api/search",
        "/search",
        "/api/path",
        "/path",
        "/api/queries",
        "/api/queries/{name}",
        "/queries/{name}",
        "/api/reports",
        "/api/reports/{slug}",
        "/context.jsonld",
        "/sparql",
        "/store",
        "/{listing}",
        "/",
        "/openapi.json",
        "/health",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    // And every described route answers (it is mounted): a sample request to each, with
    // the path parameters filled in, never meets the router's 404 for unknown paths.
    let sample = |path: &str| {
        path.replace("{slug}", "luca-casarini")
            .replace("{name}", "entity_statements")
            .replace("{listing}", "people")
            .replace("{path}", "nothing")
    };
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let mut uri = sample(path);
            if path == "/report/{slug}" || path == "/api/reports/{slug}" {
                uri = uri.replace(
                    "luca-casarini",
                    "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
                );
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            if method != Method::GET && method != Method::HEAD {
                continue;
            }
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let answer = app.send(request).await;
            assert!(
                answer.status != StatusCode::NOT_FOUND
                    || answer.body.contains("no graph")
                    || uri.starts_with("/store/"),
                "{method} {uri} is described but not served: {} {}",
                answer.status,
                answer.body
            );
            assert_ne!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
        }
        // Every operation says what it answers.
        for operation in item.as_object().unwrap().values() {
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{path}"
            );
            assert!(
                !operation["responses"].as_object().unwrap().is_empty(),
                "{path}"
            );
        }
    }
    // The routes and the document come from one table.
    assert_eq!(paths.len(), spyatlas::http::routes::ROUTES.len());
}
