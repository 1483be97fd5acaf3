//! The formats investigators exchange, on real files written by others: the MISP galaxy
//! of surveillance vendors (bundled, and imported again in a newer version), Amnesty
//! International's STIX 2.1 bundles of indicators (imported), and the exports (STIX 2.1
//! checked by OASIS's stix2-validator, GEXF and GraphML read back by networkx, CSV of
//! claims).

use super::cli::spyatlas_on as spyatlas;
use super::stores::TestData;
use super::support::TestApp;
use axum::http::StatusCode;
use oxigraph::model::Term;
use serde_json::Value;
use spyatlas::store::Graph;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GALAXY: &str = "data/datasets/misp-galaxy/clusters-surveillance-vendor.json";
const GALAXY_REPORT: &str = "https://w3id.org/spyatlas/report/misp-galaxy-surveillance-vendor";
const SA: &str = "https://w3id.org/spyatlas/ontology#";
const ID: &str = "https://w3id.org/spyatlas/id/";

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn amnesty(file: &str) -> PathBuf {
    repository("tests/fixtures/amnesty-investigations").join(file)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn count(graph: &Graph, query: &str) -> usize {
    let rows = graph.select(query).unwrap();
    match rows[0].get("n") {
        Some(Term::Literal(n)) => n.value().parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

/// Whether some graph holds `pattern`.
fn ask(graph: &Graph, pattern: &str) -> bool {
    !graph
        .select(&format!(
            "SELECT * WHERE {{ GRAPH ?any {{ {pattern} }} }} LIMIT 1"
        ))
        .unwrap()
        .is_empty()
}

/// Runs a Python checker of `tests/` on files, answering its JSON verdict.
fn python(script: &str, files: &[&Path]) -> (bool, Value) {
    let output = Command::new("python3")
        .arg(repository(script))
        .args(files)
        .output()
        .expect("python3 runs (scripts/test installs what the checkers need)");
    let verdict = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "{script} answered no JSON: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), verdict)
}

/// The STIX bundle is valid STIX 2.1: no error, and no warning but those for ids that are
/// UUIDv5 (103: chosen, so that ids are stable), references without hashes (302), and
/// relationship types the specification permits without suggesting them for the pair
/// (202: a campaign `exploits` a vulnerability, as the alignments map `exploited`).
fn check_stix(bundle: &[u8], context: &str) -> Value {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bundle).unwrap();
    let (valid, verdict) = python("tests/stix/validate.py", &[file.path()]);
    assert!(valid, "{context}: {verdict:#}");
    for warning in verdict["warnings"].as_array().unwrap() {
        let warning = warning.as_str().unwrap();
        assert!(
            ["{103}", "{302}", "{202}"]
                .iter()
                .any(|code| warning.contains(code)),
            "{context}: {warning}"
        );
    }
    serde_json::from_slice(bundle).unwrap()
}

#[test]
fn a_new_store_holds_the_misp_galaxy_as_one_dataset_report() {
    let graph = spyatlas::ingest::seed::in_memory_with_bundled().unwrap();
    let galaxy: Value =
        serde_json::from_str(&std::fs::read_to_string(repository(GALAXY)).unwrap()).unwrap();
    let entries = galaxy["values"].as_array().unwrap();
    // Every entry is a vendor listed in the galaxy's report, with its UUID.
    assert_eq!(
        count(
            &graph,
            &format!(
                "SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE {{ GRAPH <{GALAXY_REPORT}> {{
                   ?l a <{SA}Listing> ; <{SA}listed> ?v ; <{SA}status> <{SA}reported> .
                   ?v a <{SA}Vendor> ; <http://purl.org/dc/terms/identifier> ?uuid }} }}"
            )
        ),
        entries.len()
    );
    // Paragon Solutions of the seed report is the galaxy's, with the galaxy's synonyms as
    // aliases; NSO Group is new, with its synonym Q-Cyber, but not Circles, an entry of
    // its own.
    assert!(ask(
        &graph,
        &format!(
            "GRAPH <{GALAXY_REPORT}> {{ <{ID}paragon-solutions> <http://purl.org/dc/terms/identifier> \"6eae15ff-9d8b-4549-98b5-1d605dddc5b6\" ;
               <http://www.w3.org/2004/02/skos/core#altLabel> \"Paragon Solutions Ltd\"@en }}"
        )
    ));
    assert!(ask(
        &graph,
        &format!("<{ID}nso-group> <http://www.w3.org/2004/02/skos/core#altLabel> \"Q-Cyber\"@en")
    ));
    assert!(!ask(
        &graph,
        &format!("<{ID}nso-group> <http://www.w3.org/2004/02/skos/core#altLabel> \"Circles\"@en")
    ));
    assert!(ask(&graph, &format!("<{ID}circles> a <{SA}Vendor>")));
    // A listing's references are the entry's, trimmed.
    assert!(ask(
        &graph,
        &format!(
            "GRAPH <{GALAXY_REPORT}> {{ ?l <{SA}listed> <{ID}paragon-solutions> ;
               <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://citizenlab.ca/2025/03/a-first-look-at-paragons-proliferating-spyware-operations/> }}"
        )
    ));
    // Nothing more than the galaxy says: no product, no description of a vendor.
    assert!(!ask(
        &graph,
        &format!(
            "GRAPH <{GALAXY_REPORT}> {{ {{ ?p a <{SA}Product> }} UNION {{ ?v a <{SA}Vendor> ; <http://www.w3.org/2000/01/rdf-schema#comment> ?d }} }}"
        )
    ));
}

#[tokio::test]
async fn galaxy_vendors_are_found_and_have_pages() {
    let app = TestApp::with_bundled_data();
    let found = app.get("/api/search?q=Q-Cyber", None).await;
    assert_eq!(found.status, StatusCode::OK);
    let found: Value = serde_json::from_str(&found.body).unwrap();
    assert_eq!(
        found["results"][0]["iri"],
        format!("{ID}nso-group"),
        "{found:#}"
    );
    let page = app.get("/id/nso-group", Some("text/html")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("NSO group"), "{}", page.body);
    assert!(
        page.body
            .contains("data-status=\"https://w3id.org/spyatlas/ontology#reported\""),
        "the listing shows its status: {}",
        page.body
    );
    assert!(
        page.body
            .contains("MISP galaxy: Surveillance Vendor (version 11)")
    );
}

#[test]
fn a_new_galaxy_version_replaces_the_old_as_a_revision_and_the_same_one_changes_nothing() {
    let data = TestData::new();
    let same = spyatlas(
        &data,
        &[
            "import",
            "misp-galaxy",
            repository(GALAXY).to_str().unwrap(),
        ],
    );
    assert!(same.status.success(), "{}", text(&same));
    assert!(
        text(&same).contains("| misp-galaxy-surveillance-vendor | unchanged |"),
        "{}",
        text(&same)
    );
    // Version 12: one entry gone, one new, one with a new synonym.
    let mut galaxy: Value =
        serde_json::from_str(&std::fs::read_to_string(repository(GALAXY)).unwrap()).unwrap();
    galaxy["version"] = 12.into();
    let values = galaxy["values"].as_array_mut().unwrap();
    let gone = values.remove(0)["value"].as_str().unwrap().to_owned();
    values.push(serde_json::json!({
        "value": "Example Interception Ltd", "uuid": "0f0e0d0c-0b0a-4909-8807-060504030201",
        "meta": { "refs": ["https://example.org/interception"] }
    }));
    let nso = values
        .iter_mut()
        .find(|v| v["value"] == "NSO group")
        .unwrap();
    nso["meta"]["synonyms"]
        .as_array_mut()
        .unwrap()
        .push("NSO Group Technologies".into());
    let file = data.scratch().join("surveillance-vendor-12.json");
    std::fs::write(&file, serde_json::to_string(&galaxy).unwrap()).unwrap();
    let replaced = spyatlas(&data, &["import", "misp-galaxy", file.to_str().unwrap()]);
    assert!(replaced.status.success(), "{}", text(&replaced));
    assert!(
        text(&replaced).contains("| replaced |"),
        "{}",
        text(&replaced)
    );
    let graph = data.open();
    let in_galaxy = |pattern: &str| {
        !graph
            .select(&format!(
                "SELECT * WHERE {{ GRAPH <{GALAXY_REPORT}> {{ {pattern} }} }} LIMIT 1"
            ))
            .unwrap()
            .is_empty()
    };
    assert!(in_galaxy(&format!("<{GALAXY_REPORT}> <{SA}revision> 2")));
    assert!(in_galaxy(&format!(
        "<{ID}example-interception-ltd> a <{SA}Vendor>"
    )));
    assert!(in_galaxy(&format!(
        "<{ID}nso-group> <http://www.w3.org/2004/02/skos/core#altLabel> \"NSO Group Technologies\"@en"
    )));
    assert!(in_galaxy(&format!(
        "<{GALAXY_REPORT}> <http://www.w3.org/2000/01/rdf-schema#label> \"MISP galaxy: Surveillance Vendor (version 12)\"@en"
    )));
    assert!(
        !in_galaxy(&format!(
            "?v <http://www.w3.org/2000/01/rdf-schema#label> \"{gone}\"@en"
        )),
        "{gone} left the galaxy"
    );
}

#[test]
fn a_bad_galaxy_is_refused_saying_where_and_nothing_is_written() {
    let data = TestData::new();
    let file = data.scratch().join("bad.json");
    for (content, expected) in [
        ("{\"values\": [", "not a MISP galaxy cluster file"),
        (
            r#"{"name": "G", "type": "g", "uuid": "x", "version": 1, "values": [{"value": "A", "uuid": "no"}]}"#,
            "`values[0]` (A): `uuid` `no` is not a UUID",
        ),
    ] {
        std::fs::write(&file, content).unwrap();
        let output = spyatlas(&data, &["import", "misp-galaxy", file.to_str().unwrap()]);
        assert!(!output.status.success());
        assert!(text(&output).contains(expected), "{}", text(&output));
    }
    let graph = data.open();
    assert!(!ask(
        &graph,
        "GRAPH <https://w3id.org/spyatlas/report/misp-galaxy-g> { ?s ?p ?o }"
    ));
}

#[test]
fn amnesty_bundles_become_indicators_of_the_known_product_and_import_once() {
    let data = TestData::new();
    // A report that already knows Predator, by Cytrox.
    let report = data.scratch().join("predator.yaml");
    std::fs::write(
        &report,
        "id: report:predator-fixture
kind: technical-report
label: {en: Predator fixture}
publisher: reuters
entities:
  - id: cytrox
    type: Vendor
    label: {en: Cytrox}
  - id: predator
    type: Product
    label: {en: Predator}
    developedBy: cytrox
",
    )
    .unwrap();
    let loaded = spyatlas(&data, &["load", report.to_str().unwrap()]);
    assert!(loaded.status.success(), "{}", text(&loaded));
    let files = [
        amnesty("2021-12-16_cytrox_cytrox.stix2"),
        amnesty("2024-12-16_serbia_novispy_novispy.stix2"),
    ];
    let mut args = vec!["import", "amnesty-stix"];
    args.extend(files.iter().map(|file| file.to_str().unwrap()));
    let imported = spyatlas(&data, &args);
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(
        text(&imported).contains("343 indicators of 1 products, 1 of them already known"),
        "{}",
        text(&imported)
    );
    let graph = data.open();
    let cytrox = "https://w3id.org/spyatlas/report/amnesty-international-2021-12-16-cytrox-cytrox";
    // Each indicator of the bundle is a claim that Predator (the known product) is
    // indicated, with Amnesty's credit on the report.
    assert_eq!(
        count(
            &graph,
            &format!(
                "SELECT (COUNT(?i) AS ?n) WHERE {{ GRAPH <{cytrox}> {{ ?i a <{SA}Indicator> ;
                   <{SA}indicates> <{ID}predator> ; <{SA}status> <{SA}attributed> ; <{SA}pattern> ?p }} }}"
            )
        ),
        343
    );
    assert!(ask(
        &graph,
        &format!(
            "GRAPH <{cytrox}> {{ <{cytrox}> <http://purl.org/dc/terms/publisher> <{ID}amnesty-international> ;
               <http://purl.org/dc/terms/rights> ?credit FILTER(CONTAINS(?credit, \"CC BY 2.0\")) }}"
        )
    ));
    assert!(ask(
        &graph,
        &format!(
            "GRAPH ?g {{ ?i <{SA}indicates> <{ID}novispy-malware> ; <{SA}pattern> \"[domain-name:value='176.223.111.131']\" ;
               <{SA}validFrom> \"2024-12-13T21:15:49.153129Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> }}"
        )
    ));
    drop(graph);
    // Importing them again changes nothing.
    let again = spyatlas(&data, &args);
    assert!(again.status.success(), "{}", text(&again));
    let unchanged = text(&again)
        .lines()
        .filter(|line| {
            line.starts_with("| amnesty-international-") && line.contains("| unchanged |")
        })
        .count();
    assert_eq!(unchanged, 2, "{}", text(&again));
}

#[test]
fn a_bad_bundle_is_refused_saying_why() {
    let data = TestData::new();
    let file = data.scratch().join("bad.stix2");
    for (content, expected) in [
        ("{", "not a STIX 2.1 bundle"),
        (
            r#"{"type": "bundle", "id": "bundle--1", "objects": []}"#,
            "no malware object",
        ),
        (
            r#"{"type": "bundle", "id": "bundle--1", "objects": [{"type": "malware", "id": "malware--1", "name": "X"}, {"type": "indicator", "id": "indicator--Nope"}]}"#,
            "`objects[1]`: `indicator--Nope` is not an indicator id",
        ),
    ] {
        std::fs::write(&file, content).unwrap();
        let output = spyatlas(&data, &["import", "amnesty-stix", file.to_str().unwrap()]);
        assert!(!output.status.success());
        assert!(text(&output).contains(expected), "{}", text(&output));
    }
}

#[tokio::test]
async fn stix_exports_are_valid_and_give_each_relationship_its_reports_status() {
    let app = TestApp::with_bundled_data();
    let seed = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";
    // A report, by ?format= and by Accept.
    let by_format = app.get(&format!("/report/{seed}?format=stix"), None).await;
    assert_eq!(by_format.status, StatusCode::OK, "{}", by_format.body);
    assert!(
        by_format
            .content_type()
            .starts_with("application/stix+json")
    );
    let by_accept = app
        .get(&format!("/report/{seed}"), Some("application/stix+json"))
        .await;
    assert_eq!(
        by_accept.body, by_format.body,
        "the same ids and content either way"
    );
    let bundle = check_stix(by_format.body.as_bytes(), "report");
    let objects = bundle["objects"].as_array().unwrap();
    fn of_type<'a>(objects: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
        objects.iter().filter(move |o| o["type"] == kind)
    }
    assert_eq!(of_type(objects, "report").count(), 1);
    let report = of_type(objects, "report").next().unwrap();
    assert_eq!(report["published"], "2025-02-01T00:00:00.000Z");
    // The incident's vendor is attributed by WhatsApp in the seed report: confidence 80.
    let campaign = of_type(objects, "campaign")
        .find(|c| c["name"] == "Paragon spyware attacks on WhatsApp users (2024)")
        .unwrap();
    let paragon = objects
        .iter()
        .find(|o| o["name"] == "Paragon Solutions")
        .unwrap();
    assert_eq!(paragon["type"], "threat-actor");
    let statuses = app
        .graph
        .select(&format!(
            "SELECT ?status WHERE {{ GRAPH <https://w3id.org/spyatlas/report/{seed}> {{
               <{ID}paragon-spyware-attacks-on-whatsapp-users-2024> <{SA}status> ?status }} }}"
        ))
        .unwrap();
    let Some(Term::NamedNode(status)) = statuses[0].get("status") else {
        panic!("{statuses:?}")
    };
    let status = status.as_str().strip_prefix(SA).unwrap();
    let confidence = spyatlas::export::stix::CONFIDENCE
        .iter()
        .find(|(name, _)| *name == status)
        .unwrap()
        .1;
    let vendor = of_type(objects, "relationship")
        .find(|r| r["source_ref"] == campaign["id"] && r["target_ref"] == paragon["id"])
        .unwrap();
    assert_eq!(vendor["confidence"], confidence, "{vendor:#}");
    assert!(
        vendor["description"]
            .as_str()
            .unwrap()
            .contains(&format!(": {status}, according to")),
        "{vendor:#}"
    );
    // Every relationship's confidence is that of the status its reference gives.
    for relationship in of_type(objects, "relationship") {
        let given = relationship["external_references"][0]["description"]
            .as_str()
            .unwrap()
            .strip_prefix("status: ")
            .unwrap();
        let lowest = given
            .split(", ")
            .filter_map(|s| {
                spyatlas::export::stix::CONFIDENCE
                    .iter()
                    .find(|(n, _)| *n == s)
            })
            .map(|(_, c)| *c)
            .min();
        assert_eq!(
            relationship["confidence"].as_u64(),
            lowest.map(u64::from),
            "{relationship:#}"
        );
    }
    // Ids are stable: the same export again is the same bundle.
    let again = app.get(&format!("/report/{seed}?format=stix"), None).await;
    assert_eq!(again.body, by_format.body);
    // An entity's neighbourhood and the whole store are valid too.
    let entity = app.get("/id/paragon-solutions?format=stix", None).await;
    assert_eq!(entity.status, StatusCode::OK);
    check_stix(entity.body.as_bytes(), "entity");
    let store = app.get("/api/export?format=stix", None).await;
    assert_eq!(store.status, StatusCode::OK);
    let whole = check_stix(store.body.as_bytes(), "store");
    assert!(whole["objects"].as_array().unwrap().len() > objects.len());
    // Bad requests say what is wrong.
    let unknown = app.get("/id/no-such-entity?format=stix", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = app.get("/api/export?format=xlsx", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("one of stix, gexf, graphml, csv"),
        "{}",
        bad.body
    );
    let missing = app.get("/api/export", None).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[test]
fn imported_indicators_export_as_valid_stix_indicators() {
    let data = TestData::new();
    let file = amnesty("2024-12-16_serbia_novispy_novispy.stix2");
    let imported = spyatlas(&data, &["import", "amnesty-stix", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", text(&imported));
    let out = data.scratch().join("novispy.json");
    let exported = spyatlas(
        &data,
        &[
            "export",
            "--format",
            "stix",
            "--entity",
            "novispy-malware",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(exported.status.success(), "{}", text(&exported));
    let bundle = check_stix(&std::fs::read(&out).unwrap(), "novispy");
    let objects = bundle["objects"].as_array().unwrap();
    let indicators: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .collect();
    assert_eq!(indicators.len(), 18);
    assert!(
        indicators
            .iter()
            .any(|i| i["pattern"] == "[domain-name:value='176.223.111.131']")
    );
    let malware = objects.iter().find(|o| o["type"] == "malware").unwrap();
    let indicates = objects
        .iter()
        .filter(|o| o["relationship_type"] == "indicates" && o["target_ref"] == malware["id"])
        .count();
    assert_eq!(indicates, 18);
}

#[tokio::test]
async fn graph_exports_are_read_by_networkx_with_every_parallel_edge() {
    let app = TestApp::with_bundled_data();
    // A second report giving a relationship of the seed another status: two edges.
    let second = "id: report:second-opinion
kind: news-article
title: {en: Second opinion}
label: {en: Second opinion}
publisher: reuters
issued: 2025-03
language: en
url: https://example.org/second-opinion
claims:
  - id: paragon-spyware-attacks-on-whatsapp-users-2024
    type: Incident
    label: {en: Paragon spyware attacks on WhatsApp users (2024)}
    vendor: paragon-solutions
    status: alleged
";
    let loaded = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(super::support::TOKEN),
            second,
        )
        .await;
    assert!(loaded.status.is_success(), "{}", loaded.body);
    let dir = tempfile::TempDir::new().unwrap();
    let gexf = dir.path().join("paragon.gexf");
    let graphml = dir.path().join("paragon.graphml");
    for (path, format) in [(&gexf, "gexf"), (&graphml, "graphml")] {
        let answer = app
            .get(&format!("/id/paragon-solutions?format={format}"), None)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        std::fs::write(path, &answer.body).unwrap();
    }
    let (read, verdict) = python("tests/graphs/read_graphs.py", &[&gexf, &graphml]);
    assert!(read, "{verdict:#}");
    let exported = std::fs::read_to_string(&gexf).unwrap();
    for format in ["gexf", "graphml"] {
        let graph = &verdict[format];
        assert_eq!(graph["directed"], true, "{format}: {graph:#}");
        assert_eq!(graph["multigraph"], true, "{format}: {graph:#}");
        assert_eq!(
            graph["nodes"],
            exported.matches("<node ").count(),
            "{format}"
        );
        assert_eq!(
            graph["edges"],
            exported.matches("<edge ").count(),
            "{format}"
        );
        for attribute in ["property", "status", "report"] {
            assert!(
                graph["edge_attributes"]
                    .as_array()
                    .unwrap()
                    .contains(&attribute.into()),
                "{format}: {graph:#}"
            );
        }
        assert!(
            graph["node_attributes"]
                .as_array()
                .unwrap()
                .contains(&"kind".into())
        );
    }
    // The vendor edge of the incident, once per report, each with that report's status.
    let vendor_edges: Vec<&str> = exported
        .lines()
        .filter(|line| {
            line.contains("source=\"paragon-spyware-attacks-on-whatsapp-users-2024\" target=\"paragon-solutions\"")
                && line.contains("value=\"vendor\"")
        })
        .collect();
    assert_eq!(vendor_edges.len(), 2, "{vendor_edges:#?}");
    assert!(
        vendor_edges
            .iter()
            .any(|e| e.contains("report/second-opinion")
                && e.contains("for=\"status\" value=\"alleged\""))
    );
    assert!(
        vendor_edges
            .iter()
            .any(|e| e.contains("report/italie-belgische")
                && e.contains("for=\"status\" value=\"attributed\""))
    );
    // The CSV of claims: a header, and one row per relationship and report, with sources.
    let csv = app.get("/report/second-opinion?format=csv", None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let mut lines = csv.body.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "subject,subject_label,property,object,object_label,status,claim,report,report_title,publisher,issued,url"
    );
    let row = lines.find(|line| line.contains(",vendor,")).unwrap();
    assert!(
        row.contains(",alleged,")
            && row.ends_with(",Second opinion,Reuters,2025-03,https://example.org/second-opinion"),
        "{row}"
    );
}

#[test]
fn the_command_line_exports_what_the_server_does() {
    let data = TestData::new();
    let out = data.scratch().join("store.graphml");
    let exported = spyatlas(
        &data,
        &["export", "--format", "graphml", "-o", out.to_str().unwrap()],
    );
    assert!(exported.status.success(), "{}", text(&exported));
    let graphml = std::fs::read_to_string(&out).unwrap();
    assert!(graphml.contains("<node id=\"paragon-solutions\">"));
    let bad = spyatlas(
        &data,
        &["export", "--format", "stix", "--entity", "No Such"],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("is not a slug"), "{}", text(&bad));
    let unknown = spyatlas(
        &data,
        &["export", "--format", "stix", "--report", "no-such-report"],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("nothing is known as"),
        "{}",
        text(&unknown)
    );
}
