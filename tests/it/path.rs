//! How are two entities connected: the shortest chains, their sources, and the answers
//! when there is no chain or no such entity.

use crate::support::TestApp;
use axum::http::StatusCode;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

#[tokio::test]
async fn a_victim_and_a_vendor_meet_through_the_incident_with_its_source() {
    let app = TestApp::with_bundled_data();
    let response = app
        .get("/api/path?from=luca-casarini&to=paragon-solutions", None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let body = json(&response.body);
    assert_eq!(body["length"], 2);
    let path = &body["paths"][0];
    let hops = path["hops"].as_array().unwrap();
    assert_eq!(hops[0]["from"]["label"], "Luca Casarini");
    assert_eq!(
        hops[0]["to"]["iri"],
        "https://w3id.org/spyatlas/id/paragon-spyware-attacks-on-whatsapp-users-2024"
    );
    assert_eq!(hops[0]["relations"][0]["label"], "target");
    assert_eq!(
        hops[0]["relations"][0]["direction"], "backward",
        "the incident targets him"
    );
    assert_eq!(hops[1]["relations"][0]["label"], "vendor");
    assert_eq!(hops[1]["relations"][0]["direction"], "forward");
    assert_eq!(hops[1]["to"]["label"], "Paragon Solutions");
    for hop in hops {
        let sources = hop["relations"][0]["sources"].as_array().unwrap();
        assert!(
            sources.iter().any(|source| source["url"]
                == "/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack"),
            "every hop cites its report: {hop}"
        );
    }
}

#[tokio::test]
async fn no_chain_within_the_limit_is_said_plainly() {
    let app = TestApp::with_bundled_data();
    let body = json(
        &app.get(
            "/api/path?from=luca-casarini&to=paragon-solutions&max=1",
            None,
        )
        .await
        .body,
    );
    assert_eq!(body["paths"].as_array().unwrap().len(), 0);
    assert_eq!(body["message"], "no connection within 1 hops");
    let same = json(&app.get("/api/path?from=italy&to=italy", None).await.body);
    assert_eq!(same["length"], 0);
}

#[tokio::test]
async fn bad_path_requests_are_refused() {
    let app = TestApp::with_bundled_data();
    for (query, status) in [
        ("from=luca-casarini&to=nobody-at-all", StatusCode::NOT_FOUND),
        ("from=luca-casarini", StatusCode::BAD_REQUEST),
        ("from=Luca%20Casarini&to=italy", StatusCode::BAD_REQUEST),
        (
            "from=luca-casarini&to=italy&max=99",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(
            app.get(&format!("/api/path?{query}"), None).await.status,
            status,
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_path_page_draws_the_chain() {
    let app = TestApp::with_bundled_data();
    let page = app
        .get(
            "/path?from=luca-casarini&to=paragon-solutions",
            Some("text/html"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let svg = page.body.split("<svg").nth(1).expect("a picture");
    assert!(svg.contains("<a href=\"/id/luca-casarini\" class=\"node\">"));
    assert!(svg.contains("<a href=\"/id/paragon-solutions\" class=\"node\">"));
    assert!(
        page.body.contains("The vendor involved in"),
        "each hop as a sentence: {}",
        page.body
    );
}
