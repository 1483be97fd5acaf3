//! The bundled knowledge keeps the model's rules: every fact in a named graph, every
//! entity named in English, Dutch and Italian, reports described where they live.

use oxigraph::model::{GraphNameRef, Term};
use oxigraph::sparql::QueryResults;
use spyatlas::store::Graph;

/// The values of the first column of a SELECT over the bundled data.
fn column(query: &str) -> Vec<String> {
    let graph = crate::stores::TestGraph::bundled();
    let prepared = Graph::parse(query).unwrap();
    let QueryResults::Solutions(solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Union)
        .unwrap()
    else {
        panic!("a SELECT query");
    };
    solutions
        .map(|solution| {
            solution
                .unwrap()
                .values()
                .first()
                .and_then(|value| value.as_ref())
                .map(Term::to_string)
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn nothing_is_in_the_default_graph() {
    let graph = crate::stores::TestGraph::bundled();
    let in_default: Vec<_> = graph
        .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
        .take(3)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        in_default.is_empty(),
        "the default graph holds quads, such as {in_default:?}"
    );
}

#[test]
fn every_data_triple_lies_in_a_report_graph_or_the_reference_graph() {
    let misplaced = column(
        "SELECT DISTINCT ?g WHERE {
           GRAPH ?g { ?s ?p ?o }
           FILTER(?g NOT IN (<https://w3id.org/spyatlas/graph/ontology>,
                             <https://w3id.org/spyatlas/graph/shapes>,
                             <https://w3id.org/spyatlas/graph/alignments>,
                             <https://w3id.org/spyatlas/graph/reference>))
           FILTER(!STRSTARTS(STR(?g), \"https://w3id.org/spyatlas/report/\"))
         }",
    );
    assert!(
        misplaced.is_empty(),
        "graphs outside the layout: {misplaced:?}"
    );
    let reports = column(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o }
           FILTER(STRSTARTS(STR(?g), \"https://w3id.org/spyatlas/report/\")) }",
    );
    assert!(!reports.is_empty(), "the seed report is loaded");
    for report in &reports {
        let described = column(&format!(
            "SELECT ?t WHERE {{ GRAPH {report} {{ {report} a <https://w3id.org/spyatlas/ontology#Report> ; <http://purl.org/dc/terms/title> ?t }} }}"
        ));
        assert!(
            !described.is_empty(),
            "{report} describes itself in its own graph"
        );
    }
}

/// The entities of the reference graph and of the bundled reports (not the datasets, whose
/// vendors are named as the dataset names them, in English).
#[test]
fn every_seed_entity_has_a_label_in_english_dutch_and_italian() {
    for language in ["en", "nl", "it"] {
        let unlabelled = column(&format!(
            "SELECT DISTINCT ?e WHERE {{
               GRAPH ?g {{ ?e a ?class }}
               FILTER(?g = <https://w3id.org/spyatlas/graph/reference> || STRSTARTS(STR(?g), \"https://w3id.org/spyatlas/report/\"))
               FILTER NOT EXISTS {{ GRAPH ?g {{ ?g a <https://w3id.org/spyatlas/ontology#Dataset> }} }}
               FILTER(isIRI(?e))
               FILTER NOT EXISTS {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = \"{language}\") }}
             }}"
        ));
        assert!(
            unlabelled.is_empty(),
            "entities without a label in {language}: {unlabelled:?}"
        );
    }
}

#[test]
fn the_seed_names_who_was_targeted_and_leaves_the_attacker_unknown() {
    let targets = column(
        "SELECT ?t WHERE { ?i a <https://w3id.org/spyatlas/ontology#Incident> ; <https://w3id.org/spyatlas/ontology#target> ?t } ORDER BY ?t",
    );
    assert_eq!(
        targets,
        [
            "<https://w3id.org/spyatlas/id/francesco-cancellato>",
            "<https://w3id.org/spyatlas/id/husam-el-gomati>",
            "<https://w3id.org/spyatlas/id/luca-casarini>",
        ]
    );
    let attributed =
        column("SELECT ?who WHERE { ?i <https://w3id.org/spyatlas/ontology#attributedTo> ?who }");
    assert!(
        attributed.is_empty(),
        "the article names no attacker: {attributed:?}"
    );
}
