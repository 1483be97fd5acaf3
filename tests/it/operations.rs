//! What operators read: `/metrics` (parsed by the Prometheus project's Python client
//! parser) and the service description's VoID figures, both kept by writes.

use super::support::{TOKEN, TestApp};
use axum::http::StatusCode;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Term;
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

const VOID: &str = "http://rdfs.org/ns/void#";
const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
/// The graphs of the bundled data (all of it is in named graphs), not a remote engine's
/// own nor the mark of its last write.
const OURS: &str = "FILTER(STRSTARTS(STR(?g), \"https://w3id.org/spyatlas/\") && ?g != <https://w3id.org/spyatlas/graph/writes>)";

/// The samples of a scrape, parsed by `tests/metrics/parse.py`.
fn parse(text: &str) -> Value {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/metrics/parse.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test installs prometheus-client)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(parsed: &Value, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    parsed["samples"].as_array().unwrap().iter().find_map(|s| {
        (s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .then(|| s["value"].as_f64().unwrap())
    })
}

#[tokio::test]
async fn metrics_count_requests_refusals_and_loads_and_parse_as_prometheus_text() {
    let app = TestApp::with_bundled_data();
    for _ in 0..3 {
        assert_eq!(
            app.get("/id/paragon-solutions", None).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/id/no-such-thing", None).await.status,
        StatusCode::NOT_FOUND
    );
    // A write without the token, and a report that does not pass.
    let refused = app
        .post("/api/reports", Some("application/yaml"), None, "id: x\n")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let invalid = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            "id: report:x\nkind: news-article\n",
        )
        .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.body
    );
    let scrape = app.get("/metrics", None).await;
    assert_eq!(scrape.status, StatusCode::OK);
    assert!(
        scrape
            .content_type()
            .starts_with("text/plain; version=0.0.4")
    );
    let parsed = parse(&scrape.body);
    let families = &parsed["families"];
    assert_eq!(families["spyatlas_http_requests"], "counter", "{families}");
    assert_eq!(
        families["spyatlas_http_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_http_requests_total",
            &[
                ("route", "/id/{slug}"),
                ("method", "GET"),
                ("status", "200")
            ]
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_http_requests_total",
            &[("route", "/id/{slug}"), ("status", "404")]
        ),
        Some(1.0)
    );
    // The histogram holds every request of the route, in its +Inf bucket and count.
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_http_request_duration_seconds_bucket",
            &[("route", "/id/{slug}"), ("le", "+Inf")]
        ),
        Some(4.0)
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_http_request_duration_seconds_count",
            &[("route", "/id/{slug}")]
        ),
        Some(4.0)
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_writes_rejected_total",
            &[("route", "/api/reports"), ("reason", "unauthorized")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_writes_rejected_total",
            &[("route", "/api/reports"), ("reason", "invalid")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_report_loads_total",
            &[("outcome", "failed")]
        ),
        Some(1.0)
    );
    let quads = app.graph.len().unwrap() as f64;
    assert_eq!(sample(&parsed, "spyatlas_store_quads", &[]), Some(quads));
    for index in ["search", "statistics", "network", "figures"] {
        assert_eq!(
            sample(&parsed, "spyatlas_index_complete", &[("index", index)]),
            Some(1.0),
            "{index}"
        );
    }
    // A load moves the figures: counted on write.
    let report = "id: report:metrics-fixture
kind: news-article
title: {en: Metrics fixture}
label: {en: Metrics fixture}
publisher: reuters
issued: 2025-03
language: en
url: https://example.org/metrics-fixture
entities:
  - id: example-metrics-vendor
    type: Vendor
    label: {en: Example Metrics Vendor}
";
    let loaded = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            report,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.body);
    let parsed = parse(&app.get("/metrics", None).await.body);
    assert_eq!(
        sample(
            &parsed,
            "spyatlas_report_loads_total",
            &[("outcome", "loaded")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&parsed, "spyatlas_store_quads", &[]),
        Some(app.graph.len().unwrap() as f64)
    );
}

/// The service description as a graph, by Turtle.
async fn description(app: &TestApp) -> oxigraph::model::Graph {
    let answer = app.get("/sparql", Some("text/turtle")).await;
    assert_eq!(answer.status, StatusCode::OK);
    RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(answer.body.as_bytes())
        .map(|quad| oxigraph::model::Triple::from(quad.unwrap()))
        .collect()
}

fn figure(graph: &oxigraph::model::Graph, property: &str) -> u64 {
    let property = oxigraph::model::NamedNode::new_unchecked(format!("{VOID}{property}"));
    let default_graph = oxigraph::model::NamedNode::new_unchecked(format!("{SD}defaultGraph"));
    let node = graph
        .triples_for_predicate(default_graph.as_ref())
        .next()
        .expect("the dataset names its default graph")
        .object
        .into_owned();
    let oxigraph::model::Term::BlankNode(node) = node else {
        panic!("{node}")
    };
    match graph.object_for_subject_predicate(&node, property.as_ref()) {
        Some(oxigraph::model::TermRef::Literal(value)) => value.value().parse().unwrap(),
        other => panic!("void:{property}: {other:?}"),
    }
}

fn count(app: &TestApp, query: &str) -> u64 {
    match app.graph.select(query).unwrap()[0].get("n") {
        Some(Term::Literal(n)) => n.value().parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_service_description_gives_the_datasets_figures_and_its_report_graphs() {
    let app = TestApp::with_bundled_data();
    let before = description(&app).await;
    let quads = app.graph.len().unwrap() as u64;
    assert_eq!(figure(&before, "triples"), quads);
    let entities = count(
        &app,
        &format!(
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {OURS}
               FILTER(isIRI(?s) && STRSTARTS(STR(?s), \"https://w3id.org/spyatlas/id/\")) }}"
        ),
    );
    assert_eq!(figure(&before, "entities"), entities);
    let classes = count(
        &app,
        &format!(
            "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} {OURS} FILTER(isIRI(?c)) }}"
        ),
    );
    assert_eq!(figure(&before, "classes"), classes);
    let properties = count(
        &app,
        &format!("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {OURS} }}"),
    );
    assert_eq!(figure(&before, "properties"), properties);
    // Every report graph is a named graph of the dataset, with its size.
    let name = oxigraph::model::NamedNode::new_unchecked(format!("{SD}name"));
    let names: Vec<String> = before
        .triples_for_predicate(name.as_ref())
        .map(|triple| triple.object.to_string())
        .collect();
    for report in [
        "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
        "misp-galaxy-surveillance-vendor",
    ] {
        assert!(
            names.contains(&format!("<https://w3id.org/spyatlas/report/{report}>")),
            "{names:?}"
        );
    }
    // A write moves the figures before the next request.
    let deleted = app
        .delete(
            "/api/reports/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
            Some(TOKEN),
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    let after = description(&app).await;
    assert_eq!(figure(&after, "triples"), app.graph.len().unwrap() as u64);
    assert!(figure(&after, "triples") < quads);
}
