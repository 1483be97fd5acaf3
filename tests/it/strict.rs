//! Strict report validation: terms the ontology does not define, typed values that do not
//! parse (each pointed at the line of its key), one label in any language, an entity two
//! reports type differently, and a folder that loads as its files one by one.

use spyatlas::ingest::document::Syntax;
use spyatlas::ingest::{Kind, Loader, Problem, ReportError, ReportResult};
use spyatlas::store::Graph;
use std::path::PathBuf;
use tempfile::TempDir;

/// A news article from `reuters` with `body` (entities and claims) appended.
fn report(slug: &str, body: &str) -> String {
    format!(
        "id: report:{slug}
kind: news-article
title: {{en: \"Report {slug}\"}}
label: {{en: \"Report {slug}\"}}
publisher: reuters
issued: 2025-03
language: en
url: https://example.org/{slug}
{body}"
    )
}

fn load(graph: &Graph, text: &str) -> ReportResult {
    let mut loader = Loader::new(graph, false).expect("the loader starts");
    let mut results = loader.load_bytes("test", text.as_bytes(), Kind::Document(Syntax::Yaml));
    assert_eq!(results.len(), 1);
    results.pop().unwrap()
}

fn problems(result: &ReportResult) -> &[Problem] {
    match &result.outcome {
        Err(ReportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

/// The text of the line a problem points at.
fn line_of<'a>(text: &'a str, problem: &Problem) -> &'a str {
    let line = problem
        .line
        .unwrap_or_else(|| panic!("no line: {problem:?}"));
    text.lines().nth(line - 1).unwrap()
}

fn dump(graph: &Graph) -> Vec<u8> {
    graph.dump(Vec::new()).unwrap()
}

#[test]
fn a_term_the_ontology_does_not_define_is_refused_with_the_nearest_names() {
    let graph = crate::stores::TestGraph::bundled();
    let before = dump(&graph);
    let text = report(
        "misspelt",
        "entities:
  - id: example-vendor
    type: Vendor
    label: {en: \"Example Vendor\"}
    sa:vendr: paragon-solutions
claims:
  - id: example-incident
    type: Incident
    label: {en: \"Example incident\"}
    vendor: example-vendor
    status: sa:alleeged
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    let property = problems
        .iter()
        .find(|p| p.message.contains("`vendr` is not a property"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(property.message.contains("vendor"), "{}", property.message);
    assert_eq!(
        line_of(&text, property).trim(),
        "sa:vendr: paragon-solutions"
    );
    let concept = problems
        .iter()
        .find(|p| p.message.contains("`alleeged` is not a term"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(concept.message.contains("alleged"), "{}", concept.message);
    assert_eq!(line_of(&text, concept).trim(), "status: sa:alleeged");
    assert_eq!(dump(&graph), before, "nothing written");
}

#[test]
fn a_typed_value_that_does_not_parse_is_refused_at_its_key() {
    let graph = crate::stores::TestGraph::bundled();
    let text = report(
        "at-least",
        "claims:
  - id: example-incident
    type: Incident
    label: {en: \"Example incident\"}
    vendor: paragon-solutions
    status: reported
    targetCount: at least 100
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    let problem = problems
        .iter()
        .find(|p| p.message.contains("`at least 100` is not a valid integer"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(line_of(&text, problem).trim(), "targetCount: at least 100");
    assert!(
        problem.message.contains("targetCountQualifier: atLeast"),
        "the message says how to write it: {}",
        problem.message
    );
}

#[test]
fn every_fixture_report_written_as_json_ld_says_the_same_as_in_yaml() {
    use spyatlas::ingest::document;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    names.sort();
    let from_yaml = crate::stores::TestGraph::bundled();
    let from_json = crate::stores::TestGraph::bundled();
    for path in &names {
        let yaml = std::fs::read_to_string(path).unwrap();
        let tree = document::parse(&yaml, Syntax::Yaml).unwrap();
        let json = serde_json::to_string_pretty(&tree).unwrap();
        for (graph, text, syntax) in [
            (&from_yaml, yaml.as_str(), Syntax::Yaml),
            (&from_json, json.as_str(), Syntax::Json),
        ] {
            let mut loader = Loader::new(graph, false).unwrap();
            let result = loader
                .load_bytes("fixture", text.as_bytes(), Kind::Document(syntax))
                .pop()
                .unwrap();
            assert!(
                result.outcome.is_ok(),
                "{path:?} {syntax:?}: {:?}",
                result.outcome
            );
        }
    }
    // The same content (the loader's own records of when it loaded aside).
    let content = |graph: &Graph| -> Vec<String> {
        let mut lines: Vec<String> = String::from_utf8(graph.dump(Vec::new()).unwrap())
            .unwrap()
            .lines()
            .filter(|line| !line.contains("#loadedAt>") && !line.contains("_:"))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(content(&from_yaml), content(&from_json));
}

#[test]
fn one_label_in_any_language_is_enough() {
    let graph = crate::stores::TestGraph::bundled();
    let text = report(
        "italian-only",
        "entities:
  - type: Person
    label: {it: \"Persona di Prova\"}
",
    );
    let result = load(&graph, &text);
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    let rows = graph
        .select(
            "SELECT ?l WHERE { GRAPH ?g { <https://w3id.org/spyatlas/id/persona-di-prova> <http://www.w3.org/2000/01/rdf-schema#label> ?l } }",
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "the slug is made from the only label");
    // None at all is refused.
    let text = report(
        "no-label",
        "entities:
  - id: nameless
    type: Person
    aliases: {en: \"Nobody\"}
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("needs at least one rdfs:label")),
        "{problems:?}"
    );
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Loads `paths` together with one loader and answers each file's outcome (ok or not).
fn load_together(graph: &Graph, paths: &[PathBuf]) -> Vec<(String, bool)> {
    let mut loader = Loader::new(graph, false).expect("the loader starts");
    loader
        .load_paths(paths)
        .into_iter()
        .map(|result| (result.slug.unwrap_or_default(), result.outcome.is_ok()))
        .collect()
}

/// Loads each path with a loader of its own, in order.
fn load_one_by_one(graph: &Graph, paths: &[PathBuf]) -> Vec<(String, bool)> {
    paths
        .iter()
        .map(|path| {
            let mut loader = Loader::new(graph, false).expect("the loader starts");
            let mut results = loader.load_paths(std::slice::from_ref(path));
            assert_eq!(results.len(), 1);
            let result = results.pop().unwrap();
            (result.slug.unwrap_or_default(), result.outcome.is_ok())
        })
        .collect()
}

#[test]
fn a_folder_loads_as_its_files_one_by_one_in_order() {
    let dir = TempDir::new().unwrap();
    // The first describes a country; the second names it as a vendor's seat.
    let country = write(
        &dir,
        "a-country.yaml",
        &report(
            "a-country",
            "entities:
  - id: example-land
    type: Country
    label: {en: \"Example Land\"}
",
        ),
    );
    let vendor = write(
        &dir,
        "b-vendor.yaml",
        &report(
            "b-vendor",
            "entities:
  - id: example-vendor-of-example-land
    type: Vendor
    label: {en: \"Example Vendor of Example Land\"}
    country: example-land
",
        ),
    );
    for order in [
        vec![country.clone(), vendor.clone()],
        vec![vendor.clone(), country.clone()],
    ] {
        let together = crate::stores::TestGraph::bundled();
        let separately = crate::stores::TestGraph::bundled();
        let one_by_one = load_one_by_one(&separately, &order);
        assert_eq!(load_together(&together, &order), one_by_one, "{order:?}");
        let first_is_country = order[0] == country;
        assert_eq!(
            one_by_one.iter().all(|(_, ok)| *ok),
            first_is_country,
            "a vendor before its country's report fails, after it loads: {one_by_one:?}"
        );
    }
    // The folder itself.
    let graph = crate::stores::TestGraph::bundled();
    let results = load_together(&graph, &[dir.path().to_owned()]);
    assert!(results.iter().all(|(_, ok)| *ok), "{results:?}");
}

#[test]
fn an_entity_typed_differently_by_two_reports_is_refused_naming_both() {
    let graph = crate::stores::TestGraph::bundled();
    let first = load(
        &graph,
        &report(
            "first-typing",
            "entities:
  - id: example-holding
    type: Organization
    label: {en: \"Example Holding\"}
",
        ),
    );
    assert!(first.outcome.is_ok(), "{:?}", first.outcome);
    let before = dump(&graph);
    let text = report(
        "second-typing",
        "entities:
  - id: example-holding
    type: Vendor
    label: {en: \"Example Holding\"}
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    let problem = problems
        .iter()
        .find(|p| p.message.contains("first-typing"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(
        problem.message.contains("Organization")
            && problem.message.contains("Vendor")
            && problem.message.contains("(second-typing)"),
        "both reports named: {}",
        problem.message
    );
    assert_eq!(line_of(&text, problem).trim(), "type: Vendor");
    assert_eq!(dump(&graph), before, "nothing written");
}

#[test]
fn a_different_label_in_one_language_is_refused_as_a_label_conflict() {
    let graph = crate::stores::TestGraph::bundled();
    let first = load(
        &graph,
        &report(
            "first-label",
            "entities:
  - id: example-lab
    type: Organization
    label: {en: \"Example Lab\"}
",
        ),
    );
    assert!(first.outcome.is_ok(), "{:?}", first.outcome);
    let text = report(
        "second-label",
        "entities:
  - id: example-lab
    type: Organization
    label: {en: \"Example Laboratory\", nl: \"Voorbeeldlab\"}
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    assert_eq!(problems.len(), 1, "said once, as a conflict: {problems:?}");
    let message = &problems[0].message;
    assert!(
        message.contains("label conflict")
            && message.contains("\"Example Laboratory\"@en")
            && message.contains("report first-label")
            && message.contains("\"Example Lab\"@en"),
        "{message}"
    );
    // Another language is no conflict: a second report may add its name in Dutch.
    let text = report(
        "dutch-label",
        "entities:
  - id: example-lab
    type: Organization
    label: {en: \"Example Lab\", nl: \"Voorbeeldlab\"}
",
    );
    let result = load(&graph, &text);
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
}

#[test]
fn a_json_document_points_at_the_key_too() {
    let graph = crate::stores::TestGraph::bundled();
    let text = r#"{
  "id": "report:json-count",
  "kind": "news-article",
  "title": {"en": "JSON count"},
  "label": {"en": "JSON count"},
  "publisher": "reuters",
  "issued": "2025-03",
  "language": "en",
  "url": "https://example.org/json-count",
  "claims": [
    {
      "id": "example-json-incident",
      "type": "Incident",
      "label": {"en": "Example JSON incident"},
      "vendor": "paragon-solutions",
      "status": "reported",
      "targetCount": "ninety"
    }
  ]
}"#;
    let mut loader = Loader::new(&graph, false).expect("the loader starts");
    let mut results = loader.load_bytes("test", text.as_bytes(), Kind::Document(Syntax::Json));
    let result = results.pop().unwrap();
    let problems = problems(&result);
    let problem = problems
        .iter()
        .find(|p| p.message.contains("`ninety`"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(line_of(text, problem).trim(), "\"targetCount\": \"ninety\"");
}

#[test]
fn an_assertion_about_a_link_the_report_does_not_state_is_refused() {
    let graph = crate::stores::TestGraph::bundled();
    let before = dump(&graph);
    let text = report(
        "unstated",
        "entities:
  - id: example-tool
    type: Product
    label: {en: \"Example Tool\"}
claims:
  - id: example-tool-developed-by-paragon
    type: Assertion
    label: {en: \"Example Tool developed by Paragon Solutions\"}
    of: example-tool
    property: developedBy
    value: paragon-solutions
    status: suspected
",
    );
    let result = load(&graph, &text);
    let problems = problems(&result);
    assert!(
        problems.iter().any(|p| p.message.contains(
            "which the report does not state: write `developedBy: paragon-solutions` on example-tool"
        )),
        "{problems:?}"
    );
    assert_eq!(dump(&graph), before);
    // Stated, it loads, and the status is the assertion's.
    let stated = text.replace(
        "    label: {en: \"Example Tool\"}\n",
        "    label: {en: \"Example Tool\"}\n    developedBy: paragon-solutions\n",
    );
    assert!(load(&graph, &stated).outcome.is_ok());
}

#[test]
fn a_malformed_cve_id_and_an_active_advisory_link_are_refused() {
    let graph = crate::stores::TestGraph::bundled();
    let text = report(
        "bad-exploit-facts",
        "entities:
  - id: example-flaw
    type: Vulnerability
    label: {en: \"Example flaw\"}
    cveId: CVE-21-1
claims:
  - id: example-fix
    type: Patch
    label: {en: \"Example fix\"}
    patchedBy: meta-platforms
    fixes: example-flaw
    advisory: javascript:alert(1)
    status: confirmed
",
    );
    let message = |text: &str| {
        let result = load(&graph, text);
        match &result.outcome {
            Err(error) => format!("{error} {:?}", problems_or_none(&result)),
            Ok(outcome) => panic!("loaded as {outcome}"),
        }
    };
    // Each refused on its own.
    let advisory = message(&text.replace("cveId: CVE-21-1", "cveId: CVE-2021-30860"));
    assert!(advisory.contains("javascript:alert(1)"), "{advisory}");
    let cve = message(&text.replace("javascript:alert(1)", "https://example.org/advisory"));
    assert!(cve.contains("`CVE-21-1` is not a CVE identifier"), "{cve}");
    assert!(
        load(
            &graph,
            &text
                .replace("cveId: CVE-21-1", "cveId: CVE-2021-30860")
                .replace("javascript:alert(1)", "https://example.org/advisory")
        )
        .outcome
        .is_ok()
    );
}

fn problems_or_none(result: &ReportResult) -> Vec<String> {
    match &result.outcome {
        Err(ReportError::Invalid(problems)) => problems.iter().map(|p| p.message.clone()).collect(),
        _ => Vec::new(),
    }
}
