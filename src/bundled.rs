//! The knowledge and queries compiled into the binary (see `build.rs`).

use crate::ingest::document::{self, Syntax};
use crate::ingest::report;
use crate::ingest::resolve::EntityIndex;
use crate::store::{StoreError, format_of_path};
use crate::vocab;
use oxigraph::io::RdfParser;
use oxigraph::model::{NamedNodeRef, Quad};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The JSON-LD context of report documents (`ontology/context.jsonld`).
pub static CONTEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ontology/context.jsonld"
));

/// The named graph an ontology file loads into; `None` for data files, whose graphs are
/// written in the files themselves (TriG, N-Quads) or are their reports' own.
pub fn ontology_graph(file: &str) -> Option<NamedNodeRef<'static>> {
    let name = file.strip_prefix("ontology/")?;
    Some(match name {
        "shapes.ttl" => vocab::graph::SHAPES,
        "alignments.ttl" => vocab::graph::ALIGNMENTS,
        _ => vocab::graph::ONTOLOGY,
    })
}

/// Every quad of the bundled knowledge: the ontology files in their graphs, RDF data as
/// written, and each report document of data/ resolved against the entities of the RDF
/// files and written as a report (its graph, with the loader's metadata).
pub fn quads() -> Result<Vec<Quad>, StoreError> {
    let mut quads = Vec::new();
    let mut documents = Vec::new();
    for (file, bytes) in KNOWLEDGE {
        let path = Path::new(file);
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if let Some(syntax) = Syntax::from_extension(extension) {
            documents.push((*file, *bytes, syntax));
            continue;
        }
        let Some(format) = format_of_path(path) else {
            continue;
        };
        let mut parser = RdfParser::from_format(format)
            .with_base_iri(vocab::ONTOLOGY_NAMESPACE)
            .expect("the ontology namespace is a valid IRI");
        if let Some(graph) = ontology_graph(file) {
            parser = parser.without_named_graphs().with_default_graph(graph);
        }
        for quad in parser.for_slice(bytes) {
            quads.push(quad.map_err(|error| StoreError::Bundled {
                file,
                message: error.to_string(),
            })?);
        }
    }
    let mut index = EntityIndex::default();
    for quad in &quads {
        index.add_quad(quad.as_ref());
    }
    let loaded_at = report::now();
    for (file, bytes, syntax) in documents {
        let invalid = |message: String| StoreError::Bundled { file, message };
        let text = std::str::from_utf8(bytes).map_err(|error| invalid(error.to_string()))?;
        let draft = document::parse(text, syntax)
            .and_then(|tree| document::to_report(tree, &index, text))
            .map_err(|error| invalid(error.to_string()))?;
        let hash = draft.content_hash();
        for triple in &draft.triples {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(subject) = &triple.subject {
                index.add_quad(oxigraph::model::QuadRef::new(
                    subject,
                    &triple.predicate,
                    &triple.object,
                    oxigraph::model::GraphNameRef::DefaultGraph,
                ));
            }
        }
        quads.extend(report::new_report_quads(&draft, &hash, &loaded_at));
    }
    Ok(quads)
}
