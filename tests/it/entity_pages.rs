//! Entity and report pages: content negotiation, the page's content (names, sources,
//! statuses, timeline, picture), languages, and unknown slugs.

use crate::support::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};

const SEED: &str = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";

async fn get_with(
    app: &TestApp,
    uri: &str,
    headers: &[(&str, &str)],
) -> crate::support::TestResponse {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn an_entity_page_shows_relationships_with_sources_statuses_and_a_picture() {
    let app = TestApp::with_bundled_data();
    let page = app
        .get(
            "/id/luca-casarini",
            Some("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    let body = &page.body;
    assert!(
        body.contains("<h1 lang=\"en\">Luca Casarini</h1>"),
        "{body}"
    );
    assert!(
        body.contains("<a href=\"/id/mediterranea-saving-humans\">Mediterranea Saving Humans</a>")
    );
    // The incident names him as a target: the status is the targeting's (reported), not
    // the incident's own (attributed).
    let of_incident = body
        .split("<li ")
        .find(|item| {
            item.contains("data-property=\"https://w3id.org/spyatlas/ontology#target\"")
                && item.contains(">Paragon spyware attacks on WhatsApp users")
        })
        .expect("the incident is listed");
    assert!(of_incident.contains(">reported</span>"), "{of_incident}");
    assert!(
        of_incident.contains("per <a href=\"/id/luca-casarini-targeted-with-paragon-spyware\">"),
        "the asserting claim is named: {of_incident}"
    );
    assert!(!of_incident.contains(">attributed</span>"), "{of_incident}");
    assert!(
        body.contains(&format!("according to <a href=\"/report/{SEED}\">")),
        "the source report"
    );
    assert!(
        body.contains("Data News, 2025-02"),
        "publisher and date of the source"
    );
    assert!(
        body.contains("<span class=\"concept\">activist</span>"),
        "concepts by name"
    );
    // Every relationship cites its source.
    for item in body.split("<ul class=\"relationships\">").skip(1) {
        for entry in item.split("</ul>").next().unwrap().split("<li>").skip(1) {
            assert!(
                entry.contains("class=\"source\""),
                "a relationship without source: {entry}"
            );
        }
    }
    // The picture: an SVG whose nodes link to other pages.
    let svg = body
        .split("<svg")
        .nth(1)
        .expect("an SVG")
        .split("</svg>")
        .next()
        .unwrap();
    assert!(
        svg.contains("<a href=\"/id/mediterranea-saving-humans\" class=\"node\">"),
        "{svg}"
    );
    assert!(svg.matches("class=\"node\"").count() >= 3);
    assert!(
        svg.contains("class=\"node far\""),
        "a small neighbourhood shows its second hop: {svg}"
    );
    assert!(
        body.contains("class=\"sparql\""),
        "a link to the query page"
    );
}

#[tokio::test]
async fn the_page_speaks_the_asked_language() {
    let app = TestApp::with_bundled_data();
    let dutch = app.get("/id/italy?lang=nl", None).await;
    assert!(
        dutch.body.contains("<h1 lang=\"nl\">Italië</h1>"),
        "{}",
        dutch.body
    );
    let italian = get_with(
        &app,
        "/id/government-of-italy",
        &[
            ("accept", "text/html"),
            ("accept-language", "it-IT,it;q=0.9,en;q=0.5"),
        ],
    )
    .await;
    assert!(
        italian
            .body
            .contains("<h1 lang=\"it\">Governo italiano</h1>"),
        "{}",
        italian.body
    );
    let fallback = app.get("/id/italy?lang=fr", None).await;
    assert!(
        fallback.body.contains(">Italy</h1>"),
        "English when the language is missing"
    );
}

#[tokio::test]
async fn an_incident_page_has_its_timeline_oldest_first() {
    let app = TestApp::with_bundled_data();
    let page = app
        .get(
            "/id/paragon-spyware-attacks-on-whatsapp-users-2024",
            Some("text/html"),
        )
        .await;
    let timeline = page
        .body
        .split("<ol class=\"timeline\">")
        .nth(1)
        .expect("a timeline")
        .split("</ol>")
        .next()
        .unwrap();
    let detection = timeline
        .find("2024-12")
        .expect("the detection in December 2024");
    let article = timeline
        .find("2025-02")
        .expect("the article of February 2025");
    assert!(detection < article, "oldest first: {timeline}");
}

#[tokio::test]
async fn entities_negotiate_json_and_rdf() {
    let app = TestApp::with_bundled_data();
    let json = app
        .get("/id/paragon-solutions", Some("application/json"))
        .await;
    assert!(json.content_type().starts_with("application/json"));
    let value: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    // Compacted JSON-LD with the spyatlas context: friendly keys, slugs, names.
    assert_eq!(
        value["@context"],
        "https://w3id.org/spyatlas/context.jsonld"
    );
    assert_eq!(value["id"], "paragon-solutions");
    assert_eq!(value["type"], "Vendor");
    assert_eq!(value["label"]["nl"], "Paragon Solutions");
    assert_eq!(value["country"], "israel");
    assert!(
        value["@reverse"]["vendor"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(
                "paragon-spyware-attacks-on-whatsapp-users-2024"
            ))
    );
    // Read back as JSON-LD (the context put inline), it says what the store says.
    let context: serde_json::Value =
        serde_json::from_str(&app.get("/context.jsonld", None).await.body).unwrap();
    let mut document = value.clone();
    document["@context"] = context["@context"].clone();
    let triples: Vec<String> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        })
        .with_base_iri("https://w3id.org/spyatlas/id/")
        .unwrap()
        .for_slice(serde_json::to_string(&document).unwrap().as_bytes())
        .map(|quad| oxigraph::model::Triple::from(quad.unwrap()).to_string())
        .collect();
    for expected in [
        "<https://w3id.org/spyatlas/id/paragon-solutions> <https://w3id.org/spyatlas/ontology#country> <https://w3id.org/spyatlas/id/israel>",
        "<https://w3id.org/spyatlas/id/paragon-spyware-attacks-on-whatsapp-users-2024> <https://w3id.org/spyatlas/ontology#vendor> <https://w3id.org/spyatlas/id/paragon-solutions>",
        "<https://w3id.org/spyatlas/id/paragon-solutions> <http://www.w3.org/2000/01/rdf-schema#label> \"Paragon Solutions\"@it",
    ] {
        assert!(
            triples.iter().any(|triple| triple == expected),
            "{expected} in {triples:#?}"
        );
    }
    for (accept, content_type, needle) in [
        (
            "text/turtle",
            "text/turtle",
            "<https://w3id.org/spyatlas/id/paragon-solutions>",
        ),
        (
            "application/n-triples",
            "application/n-triples",
            "<https://w3id.org/spyatlas/id/paragon-solutions>",
        ),
        (
            "application/ld+json",
            "application/ld+json",
            "paragon-solutions",
        ),
        (
            "application/n-quads",
            "application/n-quads",
            &format!("<https://w3id.org/spyatlas/report/{SEED}> ."),
        ),
    ] {
        let response = app.get("/id/paragon-solutions", Some(accept)).await;
        assert_eq!(response.status, StatusCode::OK, "{accept}");
        assert!(
            response.content_type().starts_with(content_type),
            "{accept}: {}",
            response.content_type()
        );
        assert!(
            response.body.contains(needle),
            "{accept}: {}",
            response.body
        );
        assert_eq!(response.headers["vary"], "Accept, Accept-Language");
        assert!(
            response.headers["link"]
                .to_str()
                .unwrap()
                .contains("rel=\"alternate\"")
        );
    }
    let incoming = app.get("/id/paragon-solutions?format=nt", None).await;
    assert!(incoming.body.contains("<https://w3id.org/spyatlas/ontology#vendor> <https://w3id.org/spyatlas/id/paragon-solutions>"), "incoming triples too");
    assert_eq!(
        app.get("/id/paragon-solutions", Some("image/png"))
            .await
            .status,
        StatusCode::NOT_ACCEPTABLE
    );
    let report = app.get(&format!("/report/{SEED}"), Some("text/html")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(
        report
            .body
            .contains("Italy: Belgian numbers targeted in Israeli WhatsApp hack")
    );
}

#[tokio::test]
async fn an_unknown_slug_is_a_404_with_suggestions() {
    let app = TestApp::with_bundled_data();
    let page = app.get("/id/luca-casarni", Some("text/html")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body
            .contains("<a href=\"/id/luca-casarini\">Luca Casarini</a>"),
        "{}",
        page.body
    );
    let json = app.get("/id/no-such-thing", Some("application/json")).await;
    assert_eq!(json.status, StatusCode::NOT_FOUND);
    assert!(json.body.contains("nothing is known as"));
    assert_eq!(
        app.get("/id/Not%20A%20Slug", Some("text/html"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Pages are kept between requests, but never past a write that changes what they show.
#[tokio::test]
async fn a_page_shows_a_report_loaded_after_it_was_first_seen() {
    let app = TestApp::with_bundled_data();
    let before = app.get("/id/luca-casarini", Some("text/html")).await;
    assert!(!before.body.contains("Casarini followed again"));
    let report = r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:casarini-again
kind: news-article
label: {en: "Casarini again", nl: "Casarini opnieuw", it: "Casarini di nuovo"}
title: {en: "Casarini again"}
publisher: reuters
issued: 2025-05
language: en
url: https://example.org/casarini-again
claims:
  - type: Targeting
    label: {en: "Casarini followed again", nl: "Casarini opnieuw gevolgd", it: "Casarini seguito di nuovo"}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: luca-casarini
    outcome: targeted
    status: alleged
"#;
    let loaded = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(crate::support::TOKEN),
            report,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.body);
    let after = app.get("/id/luca-casarini", Some("text/html")).await;
    assert!(
        after.body.contains("Casarini followed again"),
        "{}",
        after.body
    );
    assert!(after.body.contains(">alleged</span>"), "{}", after.body);
}
