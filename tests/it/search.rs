//! Search by name: folded, by word, by prefix, with a typo, ranked, filtered by type, in
//! the asked language, and up to date after a load and a retraction.

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

async fn search(app: &TestApp, query: &str) -> Vec<serde_json::Value> {
    let response = app.get(&format!("/api/search?{query}"), None).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {}",
        response.body
    );
    json(&response.body)["results"].as_array().unwrap().clone()
}

fn slugs(results: &[serde_json::Value]) -> Vec<&str> {
    results
        .iter()
        .map(|hit| hit["slug"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn names_are_found_folded_by_word_by_prefix_and_with_a_typo() {
    let app = TestApp::with_bundled_data();
    let report = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";

    let folded = search(&app, "q=Israelische").await;
    assert_eq!(slugs(&folded)[0], report, "{folded:?}");
    assert_eq!(folded[0]["match"], "word");
    assert_eq!(folded[0]["url"], format!("/report/{report}"));

    let word = search(&app, "q=el+gomati").await;
    assert_eq!(slugs(&word)[0], "husam-el-gomati");
    assert_eq!(word[0]["match"], "word");

    let exact = search(&app, "q=HUSAM+EL+GOMATI").await;
    assert_eq!(exact[0]["match"], "exact");

    let prefix = search(&app, "q=parag").await;
    assert_eq!(
        slugs(&prefix)[0],
        "paragon-solutions",
        "the shortest name first: {prefix:?}"
    );
    assert_eq!(prefix[0]["match"], "prefix");
    assert!(slugs(&prefix).contains(&"paragon-spyware-attacks-on-whatsapp-users-2024"));

    let typo = search(&app, "q=Paragn+Solutons").await;
    assert_eq!(slugs(&typo)[0], "paragon-solutions", "{typo:?}");
    assert_eq!(typo[0]["match"], "fuzzy");

    assert!(search(&app, "q=xyzzy+plugh").await.is_empty());
}

#[tokio::test]
async fn exact_ranks_above_prefix_above_fuzzy_and_types_and_languages_apply() {
    let app = TestApp::with_bundled_data();
    let whatsapp = search(&app, "q=whatsapp").await;
    assert_eq!(slugs(&whatsapp)[0], "whatsapp");
    assert_eq!(whatsapp[0]["match"], "exact");
    let order: Vec<&str> = whatsapp
        .iter()
        .map(|hit| hit["match"].as_str().unwrap())
        .collect();
    let rank = |how: &str| {
        ["exact", "prefix", "word", "fuzzy"]
            .iter()
            .position(|h| *h == how)
            .unwrap()
    };
    assert!(
        order.windows(2).all(|pair| rank(pair[0]) <= rank(pair[1])),
        "{order:?}"
    );

    let vendors = search(&app, "q=paragon&type=vendor").await;
    assert_eq!(slugs(&vendors), ["paragon-solutions"]);

    let dutch = search(&app, "q=italy&lang=nl").await;
    assert_eq!(dutch[0]["slug"], "italy");
    assert_eq!(dutch[0]["label"], "Italië");
    let by_dutch_name = search(&app, "q=italie&type=country").await;
    assert_eq!(slugs(&by_dutch_name), ["italy"]);
    assert_eq!(by_dutch_name[0]["matched"], "Italië");

    for bad in ["q=", "q=x&type=spaceship", "q=x&limit=0", "q=x&colour=red"] {
        let response = app.get(&format!("/api/search?{bad}"), None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn search_follows_loads_and_retractions() {
    let app = TestApp::with_bundled_data();
    assert!(search(&app, "q=zoe+kowalski").await.is_empty());
    let report = r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:search-follows
kind: news-article
label: {en: "Search follows", nl: "Zoeken volgt", it: "La ricerca segue"}
title: {en: "Search follows"}
publisher: reuters
issued: 2025-04
language: en
url: https://example.org/search-follows
entities:
  - type: Person
    label: {en: "Zoë Kowalski", nl: "Zoë Kowalski", it: "Zoë Kowalski"}
    role: journalist
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
    let found = search(&app, "q=zoe+kowalski").await;
    assert_eq!(slugs(&found), ["zoe-kowalski"]);

    assert_eq!(
        app.delete("/api/reports/search-follows", Some(TOKEN))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(
        search(&app, "q=zoe+kowalski").await.is_empty(),
        "gone with its report"
    );
}

#[tokio::test]
async fn the_search_page_lists_links() {
    let app = TestApp::with_bundled_data();
    let empty = app.get("/search", Some("text/html")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("method=\"get\" action=\"/search\""));
    let page = app.get("/search?q=casarini", Some("text/html")).await;
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.body
            .contains("<a href=\"/id/luca-casarini\">Luca Casarini</a>"),
        "{}",
        page.body
    );
    let escaped = app.get("/search?q=%3Cscript%3E", Some("text/html")).await;
    assert!(!escaped.body.contains("<script>"), "the query is escaped");
}

#[test]
fn the_server_builds_the_search_index_before_the_first_request_needs_it() {
    let graph = crate::stores::TestGraph::bundled();
    let state = spyatlas::http::AppState::new(
        graph.clone(),
        spyatlas::config::HttpSettings::with_token(TOKEN, std::time::Duration::from_secs(30)),
    )
    .unwrap();
    assert!(
        state
            .search
            .wait_until_complete(std::time::Duration::from_secs(60))
    );
    assert!(state.search.read(|index| {
        index
            .search("paragon solutions", &[], "en", 1)
            .first()
            .is_some_and(|hit| hit.slug == "paragon-solutions")
    }));
}
