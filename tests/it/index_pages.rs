//! The front page and the listings per kind of entity.

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;

#[tokio::test]
async fn the_front_page_counts_what_spyatlas_holds_and_lists_the_latest_reports() {
    let app = TestApp::with_bundled_data();
    let page = app.get("/", Some("text/html")).await;
    assert_eq!(page.status, StatusCode::OK);
    // The 615 vendors of the bundled MISP galaxy, Paragon Solutions (of the seed report)
    // among them.
    assert!(
        page.body
            .contains("<a href=\"/vendors\">Vendors</a> <span class=\"count\">615</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a href=\"/people\">People</a> <span class=\"count\">3</span>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<a href=\"/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack\">Italy: Belgian numbers targeted in Israeli WhatsApp hack</a>"));
    assert!(page.body.contains("method=\"get\" action=\"/search\""));
}

#[tokio::test]
async fn listings_name_each_entity_in_the_asked_language_and_follow_retractions() {
    let app = TestApp::with_bundled_data();
    let people = app.get("/people", None).await;
    assert_eq!(people.status, StatusCode::OK);
    for name in ["Francesco Cancellato", "Husam El Gomati", "Luca Casarini"] {
        assert!(
            people.body.contains(&format!(">{name}</a>")),
            "{name}: {}",
            people.body
        );
    }
    let governments = app.get("/governments?lang=it", None).await;
    assert!(
        governments
            .body
            .contains("<a href=\"/id/government-of-italy\">Governo italiano</a>"),
        "{}",
        governments.body
    );
    assert_eq!(
        app.get("/spaceships", None).await.status,
        StatusCode::NOT_FOUND
    );

    let report = r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:listing-follows
kind: news-article
label: {en: "Listing follows", nl: "Lijst volgt", it: "Elenco segue"}
title: {en: "Listing follows"}
publisher: reuters
issued: 2025-04
language: en
url: https://example.org/listing-follows
entities:
  - type: Person
    label: {en: "Ada Quist", nl: "Ada Quist", it: "Ada Quist"}
"#;
    let loaded = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            report,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.body);
    assert!(
        app.get("/people", None)
            .await
            .body
            .contains(">Ada Quist</a>")
    );
    assert_eq!(
        app.delete("/api/reports/listing-follows", Some(TOKEN))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(
        !app.get("/people", None).await.body.contains("Ada Quist"),
        "gone with its report"
    );
}
