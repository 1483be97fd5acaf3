//! The SPARQL 1.1 Service Description served by `GET /sparql` to RDF clients.

use crate::figures::Counts;
use crate::vocab::{dct, sd, void};
use oxigraph::io::RdfFormat;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, TripleRef};
use oxigraph::sparql::results::QueryResultsFormat;

/// The description of the endpoint reachable at `endpoint`, with the figures of its
/// dataset (`None` while they are first counted after a start).
pub fn describe(endpoint: &str, figures: Option<&Counts>) -> Graph {
    let mut graph = Graph::new();
    let service = BlankNode::default();
    let dataset = BlankNode::default();
    let endpoint = NamedNode::new(endpoint)
        .unwrap_or_else(|_| NamedNode::new_unchecked("http://localhost/sparql"));
    let title = Literal::new_language_tagged_literal_unchecked("spyatlas SPARQL endpoint", "en");
    let description = Literal::new_language_tagged_literal_unchecked(
        "Spyware vendors, their products and customers, the people targeted and the reports that say so. The default graph is the union of all graphs.",
        "en",
    );
    let mut add = |triple: TripleRef<'_>| {
        graph.insert(triple);
    };
    add(TripleRef::new(&service, rdf::TYPE, sd::SERVICE));
    add(TripleRef::new(&service, sd::ENDPOINT, &endpoint));
    add(TripleRef::new(&service, dct::TITLE, &title));
    add(TripleRef::new(&service, dct::DESCRIPTION, &description));
    add(TripleRef::new(
        &service,
        sd::SUPPORTED_LANGUAGE,
        sd::SPARQL11_QUERY,
    ));
    add(TripleRef::new(
        &service,
        sd::SUPPORTED_LANGUAGE,
        sd::SPARQL11_UPDATE,
    ));
    add(TripleRef::new(
        &service,
        sd::FEATURE,
        sd::UNION_DEFAULT_GRAPH,
    ));
    add(TripleRef::new(&service, sd::DEFAULT_DATASET, &dataset));
    add(TripleRef::new(&dataset, rdf::TYPE, sd::DATASET));
    // Every sd:Dataset has a default graph: here the union of all graphs.
    let default_graph = BlankNode::default();
    add(TripleRef::new(&dataset, sd::DEFAULT_GRAPH, &default_graph));
    add(TripleRef::new(&default_graph, rdf::TYPE, sd::GRAPH));
    if let Some(figures) = figures {
        let totals = figures.totals();
        for (property, value) in [
            (void::TRIPLES, totals.quads),
            (void::ENTITIES, totals.entities),
            (void::CLASSES, totals.classes),
            (void::PROPERTIES, totals.properties),
        ] {
            let value = Literal::from(value as i64);
            add(TripleRef::new(&default_graph, property, &value));
        }
        // Each named graph (a report's, or the ontology's and the reference entities'),
        // with its size.
        for (name, quads) in figures.named_graphs() {
            let named = BlankNode::default();
            let graph_node = BlankNode::default();
            let name = NamedNode::new_unchecked(name);
            let quads = Literal::from(quads as i64);
            add(TripleRef::new(&dataset, sd::NAMED_GRAPH, &named));
            add(TripleRef::new(&named, rdf::TYPE, sd::NAMED_GRAPH_CLASS));
            add(TripleRef::new(&named, sd::NAME, &name));
            add(TripleRef::new(&named, sd::GRAPH_PROPERTY, &graph_node));
            add(TripleRef::new(&graph_node, rdf::TYPE, sd::GRAPH));
            add(TripleRef::new(&graph_node, void::TRIPLES, &quads));
        }
    }
    let results = [
        QueryResultsFormat::Json,
        QueryResultsFormat::Xml,
        QueryResultsFormat::Csv,
        QueryResultsFormat::Tsv,
    ]
    .map(QueryResultsFormat::iri);
    let graphs = [
        RdfFormat::Turtle,
        RdfFormat::NTriples,
        RdfFormat::NQuads,
        RdfFormat::TriG,
        RdfFormat::RdfXml,
        RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
    ]
    .map(format_iri);
    for format in results.iter().chain(&graphs) {
        add(TripleRef::new(
            &service,
            sd::RESULT_FORMAT,
            NamedNode::new_unchecked(*format).as_ref(),
        ));
    }
    graph
}

/// A format's IRI in the W3C registry of format IRIs (<http://www.w3.org/ns/formats/>):
/// oxigraph names JSON-LD by an IRI outside it.
fn format_iri(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::JsonLd { .. } => sd::JSON_LD_FORMAT,
        format => format.iri(),
    }
}
