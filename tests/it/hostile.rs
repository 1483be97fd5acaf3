//! Hostile input: every kind of request that used to crash, freeze or exhaust the server
//! (nesting deep enough to overflow a stack, expansion bombs, quadratic search words,
//! links that run script, values that are no values). Each is answered with a clear
//! error naming what was wrong, the store holds what it held before, and the server still
//! answers.

use crate::support::{TOKEN, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use spyatlas::store::Graph;

/// Every quad of the store, as sorted N-Quads lines.
fn snapshot(graph: &Graph) -> Vec<String> {
    let dump = graph.dump(Vec::new()).expect("the store dumps");
    let mut lines: Vec<String> = String::from_utf8(dump)
        .expect("N-Quads are UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort_unstable();
    lines
}

/// Checks that the app still answers and holds `before`.
async fn still_whole(app: &TestApp, before: &[String]) {
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
    assert_eq!(snapshot(&app.graph), before, "the store changed");
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

#[tokio::test]
async fn deeply_nested_sparql_is_refused_naming_the_limit() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let cases = [
        format!(
            "SELECT * WHERE {{ FILTER({}) }}",
            nested("(", "1", ")", 4000)
        ),
        format!("SELECT * WHERE {}", nested("{ ", "?s ?p ?o", " }", 4000)),
        format!(
            "SELECT * WHERE {{ {} }}",
            nested("{ SELECT * WHERE ", "{ ?s ?p ?o }", " }", 2000)
        ),
        format!(
            "SELECT * WHERE {{ ?s {} ?o }}",
            nested("(", "<http://example.com/p>", ")", 4000)
        ),
        format!(
            "SELECT * WHERE {{ ?s ?p {} }}",
            nested("[ <http://example.com/p> ", "1", " ]", 4000)
        ),
        format!(
            "SELECT * WHERE {{ ?s ?p {} }}",
            nested("( ", "1", " )", 4000)
        ),
    ];
    for query in &cases {
        let response = app
            .post("/sparql", Some("application/sparql-query"), None, query)
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.body
        );
        assert!(
            response.body.contains("nest more than 64 levels deep")
                && response.body.contains("line 1"),
            "{}",
            response.body
        );
    }
    // Through a form and the URL too.
    let form = format!(
        "query={}",
        form_urlencoded::byte_serialize(cases[0].as_bytes()).collect::<String>()
    );
    let response = app
        .post(
            "/sparql",
            Some("application/x-www-form-urlencoded"),
            None,
            &form,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn long_chains_without_brackets_are_refused_before_parsing() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let chains = [
        format!("SELECT * WHERE {{ FILTER(1{}) }}", "+1".repeat(200_000)),
        format!(
            "SELECT * WHERE {{ FILTER(?a{}) }}",
            " || ?a".repeat(100_000)
        ),
        format!("SELECT * WHERE {{ {{}}{} }}", " UNION {}".repeat(100_000)),
        format!(
            "SELECT * WHERE {{ ?s ?p ?o {} }}",
            "OPTIONAL { ?s ?p ?o } ".repeat(20_000)
        ),
        format!(
            "SELECT * WHERE {{ ?s <http://e/p>{} ?o }}",
            "/<http://e/p>".repeat(50_000)
        ),
        format!("SELECT * WHERE {{ FILTER(1{}) }}", "-1".repeat(200_000)),
    ];
    for query in &chains {
        let response = app
            .post("/sparql", Some("application/sparql-query"), None, query)
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.body
        );
        assert!(
            response.body.contains("operators nest more than 512 deep"),
            "{}",
            response.body
        );
    }
    let update = format!(
        "INSERT {{ <http://e/s> <http://e/p> 1 }} WHERE {{ FILTER(1{}) }}",
        "+1".repeat(100_000)
    );
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            &update,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(response.body.contains("operators nest more than 512 deep"));
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn a_query_longer_than_the_limit_is_refused_before_it_is_parsed() {
    let app = TestApp::with_bundled_data();
    let query = format!(
        "SELECT * WHERE {{ VALUES ?x {{ {} }} }}",
        "1 ".repeat(600_000)
    );
    let response = app
        .post("/sparql", Some("application/sparql-query"), None, &query)
        .await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("at most 1048576 bytes") && response.body.contains("--max-query-kb"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn deeply_nested_report_documents_are_refused_naming_the_limit() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let yaml = format!("{}x", "- ".repeat(20_000));
    let json = nested("[", "1", "]", 100_000);
    for (content_type, body) in [("application/yaml", yaml), ("application/ld+json", json)] {
        let response = app
            .post("/api/reports?dry-run=true", Some(content_type), None, &body)
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.body
        );
        assert!(
            response.body.contains("more than 64 levels deep"),
            "{content_type}: {}",
            response.body
        );
    }
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn deeply_nested_rdf_is_refused_naming_the_limit() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let depth = 100_000;
    let cases = [
        (
            "text/turtle",
            format!(
                "<http://e/s> <http://e/p> {} .",
                nested("[ <http://e/p> ", "1", " ]", depth)
            ),
        ),
        (
            "text/turtle",
            format!(
                "<http://e/s> <http://e/p> {} .",
                nested("( ", "1", " )", depth)
            ),
        ),
        (
            "application/trig",
            format!(
                "GRAPH <http://e/g> {{ <http://e/s> <http://e/p> {} }}",
                nested("[ <http://e/p> ", "1", " ]", depth)
            ),
        ),
        (
            "application/ld+json",
            nested("{\"http://e/p\": ", "1", "}", depth),
        ),
        (
            "application/rdf+xml",
            format!(
                "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:e=\"http://e/\"><rdf:Description>{}</rdf:Description></rdf:RDF>",
                nested("<e:p rdf:parseType=\"Resource\">", "", "</e:p>", depth)
            ),
        ),
        (
            "application/n-quads",
            format!(
                "{} <http://e/p> <http://e/o> <http://e/g> .",
                nested(
                    "<< ",
                    "<http://e/s> <http://e/p> <http://e/o>",
                    " <http://e/p> <http://e/o> >>",
                    10_000
                )
            ),
        ),
    ];
    for (content_type, body) in &cases {
        for target in ["/store?graph=http://e/g", "/api/reports?dry-run=true"] {
            let response = app
                .post(target, Some(content_type), Some(TOKEN), body)
                .await;
            assert_eq!(
                response.status,
                StatusCode::BAD_REQUEST,
                "{content_type} to {target}: {}",
                response.body
            );
            // Quoted triples are no syntax of N-Quads here: refused as such at once.
            if *content_type != "application/n-quads" {
                assert!(
                    response.body.contains("nest more than 64 levels deep"),
                    "{content_type} to {target}: {}",
                    response.body
                );
            }
        }
    }
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn yaml_aliases_are_refused_before_they_are_expanded() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    // Nine levels of nine aliases: 9^9 strings once expanded (gigabytes).
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (level, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .into_iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        bomb.push_str(&format!(
            "{level}: &{level} [{}]\n",
            vec![format!("*{previous}"); 9].join(",")
        ));
    }
    assert!(bomb.len() < 500);
    let started = std::time::Instant::now();
    let response = app
        .post(
            "/api/reports?dry-run=true",
            Some("application/yaml"),
            None,
            &bomb,
        )
        .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("anchors and aliases") && response.body.contains("\"line\":1"),
        "{}",
        response.body
    );
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn xml_entity_declarations_are_refused_before_they_are_expanded() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let mut bomb = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY lol \"lollollollollollollollollollol\">\n",
    );
    for level in 1..=9 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        bomb.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    bomb.push_str("]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"http://e/s\"><rdf:value>&lol9;</rdf:value></rdf:Description></rdf:RDF>\n");
    for (target, token) in [
        ("/store?graph=http://e/g", Some(TOKEN)),
        ("/api/reports?dry-run=true", None),
    ] {
        let response = app
            .post(target, Some("application/rdf+xml"), token, &bomb)
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{target}: {}",
            response.body
        );
        assert!(
            response.body.contains("<!ENTITY") && response.body.contains("not accepted"),
            "{target}: {}",
            response.body
        );
    }
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn a_long_search_word_is_refused_and_a_long_slug_answers_quickly() {
    let app = TestApp::with_bundled_data();
    let word = "a".repeat(40_000);
    let started = std::time::Instant::now();
    let response = app.get(&format!("/api/search?q={word}"), None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("at most 200"), "{}", response.body);
    let response = app.get(&format!("/id/{word}"), Some("text/html")).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    // A 200-character query of one word, the longest allowed, is cheap.
    let response = app
        .get(&format!("/api/search?q={}", "b".repeat(200)), None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // And the index itself stays linear in a long word.
    let index = spyatlas::search::SearchIndex::build(&app.graph).unwrap();
    let started = std::time::Instant::now();
    assert!(index.search(&word, &[], "en", 10).is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// An N-Quads report (one graph) with `url` set to `value`.
fn rdf_report(slug: &str, property: &str, value: &str) -> String {
    let report = format!("<https://w3id.org/spyatlas/report/{slug}>");
    let graph = report.clone();
    format!(
        "{report} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/spyatlas/ontology#NewsArticle> {graph} .
{report} <http://www.w3.org/2000/01/rdf-schema#label> \"Report {slug}\"@en {graph} .
{report} <http://www.w3.org/2000/01/rdf-schema#label> \"Rapport {slug}\"@nl {graph} .
{report} <http://www.w3.org/2000/01/rdf-schema#label> \"Rapporto {slug}\"@it {graph} .
{report} <http://purl.org/dc/terms/title> \"Report {slug}\"@en {graph} .
{report} <http://purl.org/dc/terms/publisher> <https://w3id.org/spyatlas/id/the-guardian> {graph} .
{report} <http://purl.org/dc/terms/issued> \"2025-03-14\"^^<http://www.w3.org/2001/XMLSchema#date> {graph} .
{report} <http://purl.org/dc/terms/language> \"en\" {graph} .
{report} <{property}> {value} {graph} .
"
    )
}

#[tokio::test]
async fn links_that_run_script_are_refused_on_every_way_in() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let script = "<javascript:alert(document.domain)>";
    for property in [
        "http://schema.org/url",
        "http://www.w3.org/2000/01/rdf-schema#seeAlso",
        "http://www.w3.org/2004/02/skos/core#exactMatch",
    ] {
        let body = rdf_report("script-link", property, script);
        let response = app
            .post(
                "/api/reports",
                Some("application/n-quads"),
                Some(TOKEN),
                &body,
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{property}: {}",
            response.body
        );
        assert!(
            response.body.contains("is not a web address") && response.body.contains(property),
            "{}",
            response.body
        );
    }
    let graph_store = format!("<http://e/s> <http://schema.org/url> {script} .");
    let response = app
        .post(
            "/store?graph=http://e/g",
            Some("application/n-triples"),
            Some(TOKEN),
            &graph_store,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(response.body.contains("is not a web address"));
    let update = format!("INSERT DATA {{ <http://e/s> <http://e/p> {script} }}");
    let response = app
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            &update,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("runs or embeds content"),
        "{}",
        response.body
    );
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn pages_never_link_an_address_that_is_not_a_web_address() {
    let app = TestApp::with_bundled_data();
    // Written past the checks, straight into the store, as another tool could.
    let update = "INSERT DATA { GRAPH <https://w3id.org/spyatlas/graph/reference> {
        <https://w3id.org/spyatlas/id/paragon-solutions> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(1)> ;
            <http://www.w3.org/2004/02/skos/core#exactMatch> <javascript:alert(2)> } }";
    app.graph
        .update(Graph::parse_update(update).unwrap(), None)
        .unwrap();
    let page = app.get("/id/paragon-solutions", Some("text/html")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("javascript:alert(1)"),
        "the address is shown as text"
    );
    assert!(
        !page
            .body
            .to_ascii_lowercase()
            .contains("href=\"javascript:"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::with_bundled_data();
    for uri in [
        "/",
        "/sparql",
        "/id/paragon-solutions",
        "/search?q=paragon",
        "/api/search?q=x",
        "/nope",
    ] {
        let response = app.get(uri, Some("text/html")).await;
        let header = |name: &str| {
            response
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(
            policy.contains("script-src 'self'")
                && !policy.contains("unsafe-inline' 'unsafe")
                && !policy
                    .split(';')
                    .any(|part| part.contains("script-src") && part.contains("unsafe-inline")),
            "{uri}: {policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{uri}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(header("x-frame-options"), "DENY", "{uri}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{uri}");
        if response.content_type().starts_with("text/html") {
            assert!(
                !response.body.contains("<script>") && !response.body.contains(" onclick="),
                "{uri}: an inline script"
            );
        }
    }
    let script = app.get("/assets/sparql-editor.js", None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.content_type().starts_with("text/javascript"));
    assert!(
        script.body.contains("localPage"),
        "result IRIs of spyatlas are linked to their pages"
    );
}

/// A report document of the seed's incident, with `extra` lines in its `report` part.
fn document(issued: &str, extra: &str) -> String {
    format!(
        r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:bad-values
kind: news-article
label: {{en: "Bad values", nl: "Slechte waarden", it: "Valori sbagliati"}}
title: {{en: "Bad values"}}
publisher: the-guardian
issued: {issued}
language: en
url: https://example.org/bad-values
{extra}"#
    )
}

#[tokio::test]
async fn values_that_are_no_values_are_refused_naming_the_field() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let cases = [
        (document("2025-13-45", ""), "2025-13-45", "YYYY-MM-DD"),
        (document("2025-02-30", ""), "2025-02-30", "YYYY-MM-DD"),
        (
            document(
                "2025-02-28",
                "claims:\n  - type: Targeting\n    label: {en: \"x\", nl: \"x\", it: \"x\"}\n    incident: paragon-spyware-attacks-on-whatsapp-users-2024\n    target: luca-casarini\n    targetCount: ninety\n    status: reported\n",
            ),
            "ninety",
            "whole number",
        ),
    ];
    for (body, value, expected) in &cases {
        let response = app
            .post("/api/reports", Some("application/yaml"), Some(TOKEN), body)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{value}: {}",
            response.body
        );
        assert!(
            response.body.contains(value) && response.body.contains(expected),
            "{value}: {}",
            response.body
        );
    }
    // A language that is no language tag, a class that is not in the ontology.
    let language =
        document("2025-02-28", "").replace("language: en", "language: \"english language!\"");
    let class = document("2025-02-28", "type: Vendr\n");
    for (body, expected) in [
        (language, "`english language!` is not a language tag"),
        (
            class,
            "`Vendr` is not a class of the spyatlas ontology: use Vendor",
        ),
    ] {
        let response = app
            .post("/api/reports", Some("application/yaml"), Some(TOKEN), &body)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            response.body
        );
        assert!(response.body.contains(expected), "{}", response.body);
        assert!(!response.body.contains("title"), "{}", response.body);
    }
    // A byte-order mark is no reason to refuse a document.
    let with_bom = format!("\u{feff}{}", document("2025-13-45", ""));
    let response = app
        .post(
            "/api/reports?dry-run=true",
            Some("application/yaml"),
            None,
            &with_bom,
        )
        .await;
    assert!(!response.body.contains("unknown key"), "{}", response.body);
    assert!(response.body.contains("2025-13-45"), "{}", response.body);
    // Plain text is not taken for N-Triples.
    let response = app
        .post(
            "/api/reports",
            Some("text/plain"),
            Some(TOKEN),
            "<http://e/s> <http://e/p> <http://e/o> .",
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        response.body
    );
    let response = app
        .post(
            "/store?graph=http://e/g",
            Some("text/plain"),
            Some(TOKEN),
            "<http://e/s> <http://e/p> <http://e/o> .",
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        response.body
    );
    still_whole(&app, &before).await;
}

#[tokio::test]
async fn a_dry_run_leaves_no_trace_for_later_loads() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let newcomer = |slug: &str| {
        format!(
            r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:{slug}
kind: news-article
label: {{en: "Report {slug}", nl: "Rapport {slug}", it: "Rapporto {slug}"}}
title: {{en: "Report {slug}"}}
publisher: the-guardian
issued: 2025-03-14
language: en
url: https://example.org/{slug}
entities:
  - id: dora-dryrun
    type: Person
    label: {{en: "Dora Dryrun", nl: "Dora Dryrun", it: "Dora Dryrun"}}
    role: journalist
claims:
  - type: Targeting
    label: {{en: "Dora targeted", nl: "Dora geviseerd", it: "Dora presa di mira"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: dora-dryrun
    outcome: targeted
    status: reported
"#
        )
    };
    let dry = app
        .post(
            "/api/reports?dry-run=true",
            Some("application/yaml"),
            None,
            &newcomer("dry-one"),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(snapshot(&app.graph), before, "a dry run wrote something");
    // A report naming the dry run's entity without describing it points at nothing.
    let dependent = r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:depends-on-dry
kind: news-article
label: {en: "Depends", nl: "Hangt af", it: "Dipende"}
title: {en: "Depends"}
publisher: the-guardian
issued: 2025-03-15
language: en
url: https://example.org/depends
claims:
  - type: Targeting
    label: {en: "Dora again", nl: "Dora weer", it: "Dora ancora"}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: dora-dryrun
    outcome: targeted
    status: reported
"#;
    let response = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            dependent,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.body
    );
    assert!(response.body.contains("dora-dryrun"), "{}", response.body);
    // And the real report that describes the entity loads, name and all.
    let real = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            &newcomer("real-one"),
        )
        .await;
    assert_eq!(real.status, StatusCode::CREATED, "{}", real.body);
}

#[tokio::test]
async fn a_write_without_the_token_is_refused_before_its_body_is_read() {
    let app = TestApp::with_bundled_data();
    // A body that never ends: reading it would hang the test.
    let endless = || Body::from_stream(futures_endless());
    for (uri, content_type) in [
        ("/api/reports", "application/yaml"),
        ("/sparql", "application/sparql-update"),
        ("/store?graph=http://e/g", "text/turtle"),
    ] {
        let request = Request::post(uri)
            .header("content-type", content_type)
            .body(endless())
            .unwrap();
        let response = tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
            .await
            .unwrap_or_else(|_| panic!("{uri}: the body was read before the token was checked"));
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{uri}: {}",
            response.body
        );
    }
    // Without a token, a body may be as large as --max-public-body-mb, no larger.
    let request = Request::post("/api/reports?dry-run=true")
        .header("content-type", "application/yaml")
        .header("content-length", (64 * 1024 * 1024).to_string())
        .body(endless())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("--max-public-body-mb"),
        "{}",
        response.body
    );
}

/// A stream of bytes that never ends.
fn futures_endless() -> impl tokio_stream::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    tokio_stream::iter(std::iter::repeat_with(|| {
        Ok(bytes::Bytes::from_static(&[b'#'; 65536]))
    }))
}

#[test]
fn a_query_as_deep_as_the_limits_allow_is_answered() {
    use crate::http_client;
    use crate::support::TestServer;
    let server = TestServer::start(
        crate::stores::TestGraph::bundled(),
        spyatlas::config::HttpSettings::with_token(TOKEN, std::time::Duration::from_secs(60)),
    );
    // 60 nested groups around a chain of 350 additions: near both limits, inside both.
    let query = format!(
        "SELECT ?s WHERE {}",
        nested(
            "{ ",
            &format!("?s ?p ?o FILTER(1{} > 0)", "+1".repeat(350)),
            " }",
            60
        )
    );
    spyatlas::limits::check_sparql(&query, usize::MAX).expect("within the limits");
    let response = http_client::send(
        &server.base_url,
        "POST",
        "/sparql",
        &[
            ("content-type", "application/sparql-query"),
            ("accept", "text/csv"),
        ],
        query.as_bytes(),
    );
    if response.status == 502 && crate::stores::engine() != crate::stores::Engine::Embedded {
        // A remote engine may have limits of its own below spyatlas' (Virtuoso: "Too many
        // opened parentheses"): the query passed spyatlas, and the client reads why the
        // store refused it.
        assert!(
            response
                .text()
                .contains("the SPARQL store behind this server refused the request (it answered"),
            "{}",
            response.text()
        );
        return;
    }
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().lines().count() > 100);
}
