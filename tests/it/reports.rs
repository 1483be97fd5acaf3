//! Loading reports: the pipeline (parse → resolve → validate → write) on an in-memory
//! store, `/api/reports` over HTTP, and the seed report's round trip.
//!
//! Every failing case checks the message and that the store holds exactly what it held
//! before.

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphNameRef, NamedNode, Term};
use oxigraph::sparql::QueryResults;
use spyatlas::ingest::document::Syntax;
use spyatlas::ingest::{Kind, Loader, Outcome, ReportError, ReportResult};
use spyatlas::store::Graph;

const SEED: &str = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";
const REPORT_NS: &str = "https://w3id.org/spyatlas/report/";
const ID_NS: &str = "https://w3id.org/spyatlas/id/";

/// A small valid report about a new person targeted in the seed's incident, with the
/// references written as given.
pub(crate) fn document(slug: &str, person: &str, extra: &str) -> String {
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
  - type: Person
    label: {{en: "{person}", nl: "{person}", it: "{person}"}}
    role: journalist
claims:
  - type: Targeting
    label: {{en: "{person} targeted", nl: "{person} geviseerd", it: "{person} preso di mira"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: "{person}"
    outcome: targeted
    status: reported
{extra}"#
    )
}

fn load(graph: &Graph, text: &str, syntax: Syntax) -> ReportResult {
    let mut loader = Loader::new(graph, false).expect("the loader starts");
    let mut results = loader.load_bytes("test", text.as_bytes(), Kind::Document(syntax));
    assert_eq!(results.len(), 1);
    results.pop().unwrap()
}

fn load_rdf(graph: &Graph, text: &str, format: RdfFormat) -> Vec<ReportResult> {
    let mut loader = Loader::new(graph, false).expect("the loader starts");
    loader.load_bytes("test", text.as_bytes(), Kind::Rdf(format))
}

fn ask(graph: &Graph, query: &str) -> bool {
    let prepared = Graph::parse(query).unwrap();
    match graph
        .query(prepared, spyatlas::store::Dataset::Union)
        .unwrap()
    {
        QueryResults::Boolean(value) => value,
        _ => panic!("an ASK query"),
    }
}

fn count(graph: &Graph, query: &str) -> u64 {
    let prepared = Graph::parse(query).unwrap();
    let QueryResults::Solutions(mut solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Union)
        .unwrap()
    else {
        panic!("a SELECT query");
    };
    let solution = solutions.next().unwrap().unwrap();
    match solution.get("n") {
        Some(Term::Literal(literal)) => literal.value().parse().unwrap(),
        other => panic!("a count, not {other:?}"),
    }
}

/// Every quad of the store, as sorted N-Quads lines (to compare before and after).
fn snapshot(graph: &Graph) -> Vec<String> {
    let dump = graph.dump(Vec::new()).unwrap();
    let mut lines: Vec<String> = String::from_utf8(dump)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn problems(result: &ReportResult) -> &[spyatlas::ingest::Problem] {
    match &result.outcome {
        Err(ReportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_document_links_entities_by_slug_iri_wikidata_dutch_label_alias_and_folded_name() {
    let graph = crate::stores::TestGraph::bundled();
    let extra = format!(
        r#"  - id: letter-to-paragon-about-husam
    type: [Response, Letter]
    label: {{en: "Letter", nl: "Brief", it: "Lettera"}}
    respondsTo: {ID_NS}paragon-spyware-attacks-on-whatsapp-users-2024
    respondent: Meta
    addressee: PARAGON SOLUTIONS
    status: alleged
    accordingTo: wd:Q1049511
  - id: targeting-in-two-countries
    type: Targeting
    label: {{en: "Two countries", nl: "Twee landen", it: "Due paesi"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    targetCountry: [België, "italie"]
    target: husam el-gomati
    outcome: targeted
    status: reported
"#
    );
    let result = load(
        &graph,
        &document("links", "Ana Núñez", &extra),
        Syntax::Yaml,
    );
    assert!(matches!(result.outcome, Ok(Outcome::Loaded)), "{result:?}");
    let g = format!("<{REPORT_NS}links>");
    for (what, pattern) in [
        (
            "IRI",
            format!(
                "<{ID_NS}letter-to-paragon-about-husam> <https://w3id.org/spyatlas/ontology#respondsTo> <{ID_NS}paragon-spyware-attacks-on-whatsapp-users-2024>"
            ),
        ),
        (
            "alias",
            format!(
                "<{ID_NS}letter-to-paragon-about-husam> <https://w3id.org/spyatlas/ontology#respondent> <{ID_NS}meta-platforms>"
            ),
        ),
        (
            "case-folded name",
            format!(
                "<{ID_NS}letter-to-paragon-about-husam> <https://w3id.org/spyatlas/ontology#addressee> <{ID_NS}paragon-solutions>"
            ),
        ),
        (
            "Wikidata id",
            format!(
                "<{ID_NS}letter-to-paragon-about-husam> <https://w3id.org/spyatlas/ontology#accordingTo> <{ID_NS}whatsapp>"
            ),
        ),
        (
            "Dutch label",
            format!(
                "<{ID_NS}targeting-in-two-countries> <https://w3id.org/spyatlas/ontology#targetCountry> <{ID_NS}belgium>"
            ),
        ),
        (
            "diacritics-folded Dutch label",
            format!(
                "<{ID_NS}targeting-in-two-countries> <https://w3id.org/spyatlas/ontology#targetCountry> <{ID_NS}italy>"
            ),
        ),
        (
            "folded name with punctuation",
            format!(
                "<{ID_NS}targeting-in-two-countries> <https://w3id.org/spyatlas/ontology#target> <{ID_NS}husam-el-gomati>"
            ),
        ),
        (
            "slug",
            format!(
                "<{ID_NS}ana-nunez-targeted> <https://w3id.org/spyatlas/ontology#incident> <{ID_NS}paragon-spyware-attacks-on-whatsapp-users-2024>"
            ),
        ),
        (
            "the document's own entity, by name",
            format!(
                "<{ID_NS}ana-nunez-targeted> <https://w3id.org/spyatlas/ontology#target> <{ID_NS}ana-nunez>"
            ),
        ),
    ] {
        assert!(
            ask(&graph, &format!("ASK {{ GRAPH {g} {{ {pattern} }} }}")),
            "{what}: {pattern}"
        );
    }
    // Spelling variants never became entities of their own.
    assert_eq!(
        count(
            &graph,
            "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LCASE(STR(?l)) = \"paragon solutions\") }"
        ),
        1
    );
    assert!(!ask(&graph, &format!("ASK {{ <{ID_NS}meta> ?p ?o }}")));
    // The report's metadata: provenance, hash, revision.
    for predicate in ["contentHash", "loadedAt", "revision", "tripleCount"] {
        assert!(ask(
            &graph,
            &format!(
                "ASK {{ GRAPH {g} {{ {g} <https://w3id.org/spyatlas/ontology#{predicate}> ?v }} }}"
            )
        ));
    }
}

#[test]
fn an_entity_without_id_whose_name_is_known_is_linked_not_duplicated() {
    let graph = crate::stores::TestGraph::bundled();
    let extra = r#"  - type: Vendor
    label: {en: "PARAGON  solutions", nl: "Paragon Solutions", it: "Paragon Solutions"}
"#;
    let text = document("no-duplicate", "Bo Li", "")
        .replace("entities:\n", &format!("entities:\n{extra}"));
    let result = load(&graph, &text, Syntax::Yaml);
    assert!(matches!(result.outcome, Ok(Outcome::Loaded)), "{result:?}");
    assert!(ask(
        &graph,
        &format!(
            "ASK {{ GRAPH <{REPORT_NS}no-duplicate> {{ <{ID_NS}paragon-solutions> a <https://w3id.org/spyatlas/ontology#Vendor> }} }}"
        )
    ));
    assert!(!ask(
        &graph,
        &format!("ASK {{ <{ID_NS}paragon-solutions-2> ?p ?o }}")
    ));
    // Its differently written English label became an alias; the known label stays the only one.
    assert!(ask(
        &graph,
        &format!(
            "ASK {{ GRAPH <{REPORT_NS}no-duplicate> {{ <{ID_NS}paragon-solutions> <http://www.w3.org/2004/02/skos/core#altLabel> \"PARAGON  solutions\"@en }} }}"
        )
    ));
    assert_eq!(
        count(
            &graph,
            &format!(
                "SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE {{ <{ID_NS}paragon-solutions> <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = \"en\") }}"
            )
        ),
        1
    );
}

#[test]
fn a_new_slug_for_a_known_name_is_refused() {
    let graph = crate::stores::TestGraph::bundled();
    let before = snapshot(&graph);
    let extra = r#"  - id: paragon-solution
    type: Vendor
    label: {en: "Paragon Solutions", nl: "Paragon Solutions", it: "Paragon Solutions"}
"#;
    let text =
        document("variant", "Bo Li", "").replace("entities:\n", &format!("entities:\n{extra}"));
    let result = load(&graph, &text, Syntax::Yaml);
    let problems = problems(&result);
    assert!(
        problems.iter().any(
            |p| p.message.contains("paragon-solutions (Paragon Solutions)")
                && p.entity == "paragon-solution"
        ),
        "{problems:?}"
    );
    assert_eq!(snapshot(&graph), before, "nothing was written");
}

#[test]
fn an_ambiguous_name_is_an_error_listing_the_candidates() {
    let graph = crate::stores::TestGraph::bundled();
    // Two people called the same, described by one raw RDF report.
    let turtle = format!(
        r#"@prefix sa: <https://w3id.org/spyatlas/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{REPORT_NS}namesakes> a sa:Report ; rdfs:label "Namesakes"@en , "Naamgenoten"@nl , "Omonimi"@it ;
    dct:publisher <{ID_NS}reuters> .
<{ID_NS}alex-rossi-lawyer> a sa:Person ; rdfs:label "Alex Rossi"@en , "Alex Rossi"@nl , "Alex Rossi"@it .
<{ID_NS}alex-rossi-journalist> a sa:Person ; rdfs:label "Alex Rossi"@en , "Alex Rossi"@nl , "Alex Rossi"@it .
"#
    );
    let results = load_rdf(&graph, &turtle, RdfFormat::Turtle);
    assert!(
        matches!(results[0].outcome, Ok(Outcome::Loaded)),
        "{results:?}"
    );
    let before = snapshot(&graph);
    let text =
        document("ambiguous", "Bo Li", "").replace("target: \"Bo Li\"", "target: alex rossi");
    let result = load(&graph, &text, Syntax::Yaml);
    let problems = problems(&result);
    let message = &problems[0].message;
    assert!(message.contains("ambiguous"), "{message}");
    assert!(
        message.contains("alex-rossi-journalist") && message.contains("alex-rossi-lawyer"),
        "{message}"
    );
    assert_eq!(problems[0].property.as_deref(), Some("target"));
    assert!(problems[0].line.is_some());
    assert_eq!(snapshot(&graph), before);
}

#[test]
fn each_kind_of_bad_input_is_named_and_writes_nothing() {
    let graph = crate::stores::TestGraph::bundled();
    let before = snapshot(&graph);
    let valid = document("bad-input", "Bo Li", "");
    let cases: Vec<(&str, String, Syntax, &str)> = vec![
        (
            "YAML syntax",
            valid.replace("role: journalist", "role: [journalist"),
            Syntax::Yaml,
            "",
        ),
        (
            "JSON syntax",
            "{\"id\": \"report:x\",\n  \"label\": }".into(),
            Syntax::Json,
            "",
        ),
        (
            "unknown key",
            valid.replace("role: journalist", "role: journalist\n    colour: red"),
            Syntax::Yaml,
            "unknown key `colour`",
        ),
        (
            "unknown reference",
            valid.replace("publisher: the-guardian", "publisher: The Gaurdian"),
            Syntax::Yaml,
            "no known entity has the slug, name or alias `The Gaurdian`",
        ),
        (
            "unknown Wikidata item",
            valid.replace("publisher: the-guardian", "publisher: wd:Q999999999"),
            Syntax::Yaml,
            "Wikidata item Q999999999",
        ),
        (
            "no report id",
            valid.replace("id: report:bad-input\n", ""),
            Syntax::Yaml,
            "the report needs an id",
        ),
        (
            "claim without status (SHACL)",
            valid.replace("    status: reported\n", ""),
            Syntax::Yaml,
            "sa:status",
        ),
        (
            "a label in a language an entity already has, twice (SHACL)",
            valid.replace(
                "label: {en: \"Bo Li\", nl: \"Bo Li\", it: \"Bo Li\"}",
                "label: {en: [\"Bo Li\", \"B. Li\"]}",
            ),
            Syntax::Yaml,
            "rdfs:label",
        ),
        (
            "not a web address",
            valid.replace("url: https://example.org/bad-input", "url: example.org"),
            Syntax::Yaml,
            "not a web address",
        ),
        (
            "foreign context",
            valid.replace(
                "https://w3id.org/spyatlas/context.jsonld",
                "https://schema.org/",
            ),
            Syntax::Yaml,
            "@context must be",
        ),
        (
            "two YAML documents",
            format!("{valid}\n---\n{valid}"),
            Syntax::Yaml,
            "2 documents",
        ),
    ];
    for (what, text, syntax, expected) in cases {
        let result = load(&graph, &text, syntax);
        let message = match &result.outcome {
            Ok(outcome) => panic!("{what}: loaded as {outcome}"),
            Err(error) => error.to_string(),
        };
        assert!(message.contains(expected), "{what}: {message}");
        if expected.is_empty() {
            assert!(
                matches!(result.outcome, Err(ReportError::Syntax { line, .. }) if line >= 2),
                "{what}: a line: {message}"
            );
        }
        assert_eq!(snapshot(&graph), before, "{what}: nothing was written");
    }
}

#[test]
fn a_shape_violation_names_entity_property_and_line() {
    let graph = crate::stores::TestGraph::bundled();
    let text = document("violation", "Bo Li", "")
        .replace("    status: reported\n", "    status: rumoured\n");
    let result = load(&graph, &text, Syntax::Yaml);
    let problems = problems(&result);
    let problem = problems
        .iter()
        .find(|p| p.property.as_deref() == Some("https://w3id.org/spyatlas/ontology#status"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(problem.entity, format!("{ID_NS}bo-li-targeted"));
    // The line of the offending key, not of the node.
    let line = problem.line.expect("a line");
    assert_eq!(
        text.lines().nth(line - 1).unwrap().trim(),
        "status: rumoured",
        "line {line}"
    );
}

#[test]
fn raw_rdf_errors_are_named_and_write_nothing() {
    let graph = crate::stores::TestGraph::bundled();
    let before = snapshot(&graph);
    let cases = [
        (
            "TriG syntax",
            format!("<{REPORT_NS}x> {{ <{REPORT_NS}x> a \"unterminated }}"),
            RdfFormat::TriG,
            "1:",
        ),
        (
            "triples outside a graph",
            format!(
                "<{ID_NS}a> <{ID_NS}b> <{ID_NS}c> <{REPORT_NS}x> .\n<{ID_NS}a> <{ID_NS}b> <{ID_NS}c> .\n"
            ),
            RdfFormat::NQuads,
            "outside any named graph",
        ),
        (
            "a graph that is not a report",
            format!("<{ID_NS}a> <{ID_NS}b> <{ID_NS}c> <http://example.com/g> .\n"),
            RdfFormat::NQuads,
            "is not a report IRI",
        ),
        (
            "Turtle without a report",
            format!("<{ID_NS}a> <{ID_NS}b> <{ID_NS}c> .\n"),
            RdfFormat::Turtle,
            "no report is described",
        ),
    ];
    for (what, text, format, expected) in cases {
        let results = load_rdf(&graph, &text, format);
        let message = match &results[0].outcome {
            Ok(outcome) => panic!("{what}: loaded as {outcome}"),
            Err(error) => error.to_string(),
        };
        assert!(message.contains(expected), "{what}: {message}");
        assert_eq!(snapshot(&graph), before, "{what}: nothing was written");
    }
}

#[test]
fn loading_twice_is_unchanged_a_change_replaces_and_records_the_revision() {
    let graph = crate::stores::TestGraph::bundled();
    let first = document("revised", "Bo Li", "");
    assert!(matches!(
        load(&graph, &first, Syntax::Yaml).outcome,
        Ok(Outcome::Loaded)
    ));
    let after_first = snapshot(&graph);
    // The same content, written differently (JSON, other key order): unchanged.
    let json = r#"{"@context": "https://w3id.org/spyatlas/context.jsonld",
      "url": "https://example.org/revised", "id": "report:revised", "kind": "news-article",
      "language": "en", "issued": "2025-03-14", "publisher": "The Guardian",
      "title": {"en": "Report revised"},
      "label": {"it": "Rapporto revised", "nl": "Rapport revised", "en": "Report revised"},
      "claims": [{"type": "Targeting", "status": "reported", "outcome": "targeted",
        "label": {"en": "Bo Li targeted", "nl": "Bo Li geviseerd", "it": "Bo Li preso di mira"},
        "incident": "paragon-spyware-attacks-on-whatsapp-users-2024", "target": "bo-li"}],
      "entities": [{"type": "Person", "role": "journalist", "label": {"en": "Bo Li", "nl": "Bo Li", "it": "Bo Li"}}]}"#;
    let again = load(&graph, json, Syntax::Json);
    assert!(matches!(again.outcome, Ok(Outcome::Unchanged)), "{again:?}");
    assert_eq!(snapshot(&graph), after_first, "unchanged writes nothing");

    let changed = first.replace("role: journalist", "role: activist");
    let replaced = load(&graph, &changed, Syntax::Yaml);
    assert!(
        matches!(replaced.outcome, Ok(Outcome::Replaced)),
        "{replaced:?}"
    );
    let g = format!("<{REPORT_NS}revised>");
    let sa = "https://w3id.org/spyatlas/ontology#";
    assert!(ask(
        &graph,
        &format!("ASK {{ GRAPH {g} {{ <{ID_NS}bo-li> <{sa}role> <{sa}activist> }} }}")
    ));
    assert!(
        !ask(
            &graph,
            &format!("ASK {{ <{ID_NS}bo-li> <{sa}role> <{sa}journalist> }}")
        ),
        "the old revision's content is gone"
    );
    assert!(ask(
        &graph,
        &format!(
            "ASK {{ GRAPH {g} {{ {g} <{sa}revision> 2 ; <http://purl.org/dc/terms/modified> ?m ; <http://www.w3.org/ns/prov#wasRevisionOf> <{REPORT_NS}revised/revision/1> . <{REPORT_NS}revised/revision/1> <{sa}contentHash> ?old }} }}"
        )
    ));
    assert_eq!(
        count(
            &graph,
            &format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ {g} <{sa}contentHash> ?h }} }}"
            )
        ),
        1
    );
}

#[test]
fn a_retracted_report_takes_its_claims_and_its_own_entities_with_it() {
    let graph = crate::stores::TestGraph::bundled();
    let before = snapshot(&graph);
    assert!(matches!(
        load(&graph, &document("retracted", "Bo Li", ""), Syntax::Yaml).outcome,
        Ok(Outcome::Loaded)
    ));
    assert!(ask(&graph, &format!("ASK {{ <{ID_NS}bo-li> ?p ?o }}")));
    let iri = NamedNode::new(format!("{REPORT_NS}retracted")).unwrap();
    assert!(spyatlas::ingest::report::remove(&graph, iri.as_ref()).unwrap());
    assert!(
        !ask(&graph, &format!("ASK {{ <{ID_NS}bo-li> ?p ?o }}")),
        "Bo Li is in no report any more"
    );
    assert!(!ask(&graph, &format!("ASK {{ ?s ?p <{ID_NS}bo-li> }}")));
    assert_eq!(snapshot(&graph), before);
    assert!(!spyatlas::ingest::report::remove(&graph, iri.as_ref()).unwrap());
}

#[test]
fn a_dry_run_validates_and_writes_nothing() {
    let graph = crate::stores::TestGraph::bundled();
    let before = snapshot(&graph);
    let mut loader = Loader::new(&graph, true).unwrap();
    let text = document("dry", "Bo Li", "");
    let results = loader.load_bytes("test", text.as_bytes(), Kind::Document(Syntax::Yaml));
    assert!(
        matches!(results[0].outcome, Ok(Outcome::Valid)),
        "{results:?}"
    );
    let bad = text.replace("    status: reported\n", "");
    let results = loader.load_bytes("test", bad.as_bytes(), Kind::Document(Syntax::Yaml));
    assert!(results[0].outcome.is_err());
    assert_eq!(snapshot(&graph), before);
}

#[test]
fn n_quads_with_many_report_graphs_load_each_report() {
    let graph = crate::stores::TestGraph::bundled();
    let mut nquads = String::new();
    for n in 0..3 {
        let g = format!("<{REPORT_NS}batch-{n}>");
        nquads.push_str(&format!(
            "{g} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/spyatlas/ontology#Report> {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Batch {n}\"@en {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Partij {n}\"@nl {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Lotto {n}\"@it {g} .\n\
             {g} <http://purl.org/dc/terms/publisher> <{ID_NS}reuters> {g} .\n"
        ));
    }
    // The third report breaks a rule: only it fails.
    nquads.push_str(&format!(
        "<{REPORT_NS}batch-2> <http://purl.org/dc/terms/issued> \"last week\" <{REPORT_NS}batch-2> .\n"
    ));
    let results = load_rdf(&graph, &nquads, RdfFormat::NQuads);
    assert_eq!(results.len(), 3);
    assert!(
        matches!(results[0].outcome, Ok(Outcome::Loaded)),
        "{results:?}"
    );
    assert!(matches!(results[1].outcome, Ok(Outcome::Loaded)));
    assert!(
        problems(&results[2])[0].message.contains("dct:issued"),
        "{results:?}"
    );
    assert!(ask(
        &graph,
        &format!("ASK {{ GRAPH <{REPORT_NS}batch-1> {{ ?s ?p ?o }} }}")
    ));
    assert!(!ask(
        &graph,
        &format!("ASK {{ GRAPH <{REPORT_NS}batch-2> {{ ?s ?p ?o }} }}")
    ));
    let again = load_rdf(&graph, &nquads, RdfFormat::NQuads);
    assert!(
        matches!(again[0].outcome, Ok(Outcome::Unchanged)),
        "{again:?}"
    );
}

/// The seed report round-trips: the document, read again, is isomorphic (sophia) to what
/// the store holds in the report's graph without the loader's metadata.
#[test]
fn the_seed_report_round_trips_through_the_store() {
    use sophia::api::graph::Graph as _;
    use sophia::api::source::TripleSource as _;
    use sophia::inmem::graph::LightGraph;

    let graph = crate::stores::TestGraph::bundled();
    let iri = NamedNode::new(format!("{REPORT_NS}{SEED}")).unwrap();
    // From the store: the report's graph, as N-Triples, without the loader's metadata.
    let mut stored = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
    let dump = String::from_utf8(graph.dump(Vec::new()).unwrap()).unwrap();
    let mut metadata = 0;
    for quad in oxigraph::io::RdfParser::from_format(RdfFormat::NQuads).for_slice(dump.as_bytes()) {
        let quad = quad.unwrap();
        if quad.graph_name.as_ref() != GraphNameRef::NamedNode(iri.as_ref()) {
            continue;
        }
        let triple = oxigraph::model::Triple::from(quad);
        if spyatlas::ingest::report::is_loader_metadata(iri.as_ref(), &triple) {
            metadata += 1;
            continue;
        }
        stored.serialize_triple(&triple).unwrap();
    }
    assert_eq!(metadata, 4, "hash, loaded-at, revision, triple count");
    let stored = String::from_utf8(stored.finish().unwrap()).unwrap();
    // From the file: the seed document read again on its own.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/reports/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let index = spyatlas::ingest::resolve::EntityIndex::from_graph(&graph).unwrap();
    let tree = spyatlas::ingest::document::parse(&text, Syntax::Yaml).unwrap();
    let draft = spyatlas::ingest::document::to_report(tree, &index, &text).unwrap();
    let mut read = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
    for triple in &draft.triples {
        read.serialize_triple(triple).unwrap();
    }
    let read = String::from_utf8(read.finish().unwrap()).unwrap();

    let stored: LightGraph = sophia::turtle::parser::nt::parse_str(&stored)
        .collect_triples()
        .unwrap();
    let read: LightGraph = sophia::turtle::parser::nt::parse_str(&read)
        .collect_triples()
        .unwrap();
    assert!(stored.triples().count() > 300, "the seed is all there");
    assert_eq!(stored.triples().count(), read.triples().count());
    assert!(sophia::isomorphism::isomorphic_graphs(&stored, &read).unwrap());
}

// ------------------------------------------------------------------ HTTP ---

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

#[tokio::test]
async fn post_list_read_and_delete_a_report_over_http() {
    let app = TestApp::with_bundled_data();
    let text = document("over-http", "Bo Li", "");
    let created = app
        .post("/api/reports", Some("application/yaml"), Some(TOKEN), &text)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers["location"], "/api/reports/over-http");
    let body = json(&created.body);
    assert_eq!(body["outcome"], "loaded");
    assert_eq!(body["report"], "over-http");

    let again = app
        .post("/api/reports", Some("application/yaml"), Some(TOKEN), &text)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(json(&again.body)["outcome"], "unchanged");

    let list = app.get("/api/reports", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = json(&list.body);
    let slugs: Vec<&str> = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|report| report["slug"].as_str().unwrap())
        .collect();
    assert!(
        slugs.contains(&"over-http") && slugs.contains(&SEED),
        "{slugs:?}"
    );
    let seed = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == SEED)
        .unwrap();
    assert_eq!(seed["publisherLabel"], "Data News");
    assert_eq!(seed["issued"], "2025-02");
    assert!(seed["triples"].as_u64().unwrap() > 300);

    let one = app.get("/api/reports/over-http", None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.content_type().starts_with("application/json"));
    assert_eq!(json(&one.body)["revision"], 1);
    let rdf = app.get("/api/reports/over-http", Some("text/turtle")).await;
    assert!(rdf.content_type().starts_with("text/turtle"));
    assert!(rdf.body.contains(&format!("{ID_NS}bo-li")), "{}", rdf.body);
    let trig = app.get("/api/reports/over-http?format=nquads", None).await;
    assert!(
        trig.body
            .contains("<https://w3id.org/spyatlas/report/over-http> ."),
        "the graph name is kept"
    );

    assert_eq!(
        app.delete("/api/reports/over-http", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.delete("/api/reports/over-http", Some(TOKEN))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/reports/over-http", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete("/api/reports/over-http", Some(TOKEN))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(!ask(&app.graph, &format!("ASK {{ <{ID_NS}bo-li> ?p ?o }}")));
}

#[tokio::test]
async fn bad_posts_answer_400_415_422_or_401_and_write_nothing() {
    let app = TestApp::with_bundled_data();
    let before = snapshot(&app.graph);
    let valid = document("bad-post", "Bo Li", "");

    let no_token = app
        .post("/api/reports", Some("application/yaml"), None, &valid)
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);

    let media = app
        .post("/api/reports", Some("application/pdf"), Some(TOKEN), &valid)
        .await;
    assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(media.body.contains("application/yaml"), "{}", media.body);

    let syntax = app
        .post(
            "/api/reports",
            Some("application/ld+json"),
            Some(TOKEN),
            "{\n \"id\": \"report:x\",\n \"label\": ]\n}",
        )
        .await;
    assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
    let body = json(&syntax.body);
    assert_eq!(body["error"], "syntax");
    assert_eq!(body["line"], 3);

    let invalid = app
        .post(
            "/api/reports",
            Some("application/yaml; charset=utf-8"),
            Some(TOKEN),
            &valid
                .replace("    status: reported\n", "")
                .replace("publisher: the-guardian", "publisher: Nobody Known"),
        )
        .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.body
    );
    let body = json(&invalid.body);
    assert_eq!(body["error"], "invalid");
    let violations = body["violations"].as_array().unwrap();
    assert!(
        violations.iter().any(|v| v["property"] == "publisher"
            && v["message"].as_str().unwrap().contains("Nobody Known")),
        "{violations:?}"
    );
    for violation in violations {
        assert!(violation["entity"].is_string() && violation["message"].is_string());
        assert!(violation.get("line").is_some());
    }
    // Resolution errors come first; once they are fixed the shapes speak.
    let shapes = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            &valid.replace("    status: reported\n", ""),
        )
        .await;
    assert_eq!(shapes.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(&shapes.body);
    assert!(
        body["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |v| v["property"] == "https://w3id.org/spyatlas/ontology#status"
                    && v["line"].is_number()
            ),
        "{body}"
    );

    let dry = app
        .post(
            "/api/reports?dry-run=true",
            Some("application/yaml"),
            None,
            &valid,
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(json(&dry.body)["outcome"], "valid");

    assert_eq!(snapshot(&app.graph), before, "nothing was written");
}

#[tokio::test]
async fn the_context_is_served_and_is_json_ld() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/context.jsonld", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.content_type().starts_with("application/ld+json"));
    let context = json(&response.body);
    assert_eq!(context["@context"]["vendor"]["@id"], "sa:vendor");
}

/// JSON-LD that is not a report document (its own context, or full IRIs in a `@graph`)
/// is read as RDF describing one report; a remote context is never fetched.
#[test]
fn plain_json_ld_describing_one_report_loads_as_rdf() {
    let graph = crate::stores::TestGraph::bundled();
    let json_ld = format!(
        r#"{{"@context": {{"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "dct": "http://purl.org/dc/terms/"}},
          "@graph": [{{"@id": "{REPORT_NS}plain-json-ld",
            "@type": "https://w3id.org/spyatlas/ontology#Report",
            "rdfs:label": [{{"@value": "Plain", "@language": "en"}}, {{"@value": "Gewoon", "@language": "nl"}}, {{"@value": "Semplice", "@language": "it"}}],
            "dct:publisher": {{"@id": "{ID_NS}reuters"}}}}]}}"#
    );
    let result = load(&graph, &json_ld, Syntax::Json);
    assert!(matches!(result.outcome, Ok(Outcome::Loaded)), "{result:?}");
    assert!(ask(
        &graph,
        &format!(
            "ASK {{ GRAPH <{REPORT_NS}plain-json-ld> {{ ?r <http://purl.org/dc/terms/publisher> <{ID_NS}reuters> }} }}"
        )
    ));

    let before = snapshot(&graph);
    let remote = r#"{"@context": "https://schema.org/", "@id": "https://w3id.org/spyatlas/report/remote", "name": "x"}"#;
    let result = load(&graph, remote, Syntax::Json);
    let message = result.outcome.unwrap_err().to_string();
    assert!(message.contains("remote context"), "{message}");
    assert_eq!(snapshot(&graph), before);
}

#[test]
fn a_year_written_as_a_number_is_an_xsd_g_year() {
    let graph = crate::stores::TestGraph::bundled();
    let text = document("year", "Bo Li", "").replace("issued: 2025-03-14", "issued: 2025");
    let result = load(&graph, &text, Syntax::Yaml);
    assert!(matches!(result.outcome, Ok(Outcome::Loaded)), "{result:?}");
    assert!(ask(
        &graph,
        &format!(
            "ASK {{ <{REPORT_NS}year> <http://purl.org/dc/terms/issued> \"2025\"^^<http://www.w3.org/2001/XMLSchema#gYear> }}"
        )
    ));
}
