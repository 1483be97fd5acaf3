//! Seeding an empty store with the bundled knowledge (`ontology/`, `data/`): the ontology
//! files each in their graph, RDF data as written, each report document of `data/`
//! resolved and written as a report, as [`super::Loader`] would load it, and then the
//! datasets of `data/datasets/` (MISP galaxies), each made into a report and merged with
//! the entities the reports describe.

use super::document::{self, Syntax};
use super::misp;
use super::report;
use super::resolve::EntityIndex;
use crate::bundled::KNOWLEDGE;
use crate::store::{Graph, StoreError, format_of_path};
use crate::vocab;
use oxigraph::io::RdfParser;
use oxigraph::model::{NamedNodeRef, Quad};
use std::path::Path;
use std::sync::OnceLock;

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

/// Where bundled MISP galaxy cluster files are (their own folder, with their licence).
const GALAXIES: &str = "data/datasets/misp-galaxy/";

/// Every quad of the bundled knowledge: the ontology files in their graphs, RDF data as
/// written, each report document of data/ resolved against the entities of the RDF files
/// and written as a report (its graph, with the loader's metadata), and the bundled MISP
/// galaxies, each a report made by [`misp::galaxy_report`] against all of those.
///
/// Made once per process (the galaxy alone is some ten thousand quads) and copied for
/// each store seeded.
pub fn bundled_quads() -> Result<Vec<Quad>, StoreError> {
    static BUNDLED: OnceLock<Result<Vec<Quad>, (&'static str, String)>> = OnceLock::new();
    match BUNDLED.get_or_init(|| {
        make_bundled_quads().map_err(|error| match error {
            StoreError::Bundled { file, message } => (file, message),
            other => ("data/", other.to_string()),
        })
    }) {
        Ok(quads) => Ok(quads.clone()),
        Err((file, message)) => Err(StoreError::Bundled {
            file,
            message: message.clone(),
        }),
    }
}

fn make_bundled_quads() -> Result<Vec<Quad>, StoreError> {
    let mut quads = Vec::new();
    let mut documents = Vec::new();
    let mut galaxies = Vec::new();
    for (file, bytes) in KNOWLEDGE {
        let path = Path::new(file);
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if file.starts_with(GALAXIES) {
            galaxies.push((*file, *bytes));
            continue;
        }
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
    let stamp = report::Stamp::now(None);
    // The galaxies come last, so that their vendors merge with the entities the reports
    // describe; each is made into its document only when its turn comes.
    let galaxies = galaxies
        .into_iter()
        .map(|(file, bytes)| (file, bytes, None));
    let documents = documents
        .into_iter()
        .map(|(file, bytes, syntax)| (file, bytes, Some(syntax)))
        .chain(galaxies);
    for (file, bytes, syntax) in documents {
        let invalid = |message: String| StoreError::Bundled { file, message };
        let text = std::str::from_utf8(bytes).map_err(|error| invalid(error.to_string()))?;
        let galaxy;
        let (text, syntax) = match syntax {
            Some(syntax) => (text, syntax),
            None => {
                galaxy = misp::galaxy_report(text, &index)
                    .map_err(|error| invalid(error.to_string()))?
                    .document;
                (galaxy.as_str(), Syntax::Json)
            }
        };
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
        quads.extend(report::new_report_quads(&draft, &hash, &stamp));
    }
    Ok(quads)
}

/// Writes the bundled knowledge into `graph` when it holds nothing (a new store); answers
/// whether it did. One transaction: a store is seeded whole or not at all.
pub fn seed_if_empty(graph: &Graph) -> Result<bool, StoreError> {
    if !graph.is_empty()? {
        return Ok(false);
    }
    let quads = bundled_quads()?;
    graph.transaction(|writes| writes.extend(&quads))?;
    Ok(true)
}

/// An in-memory store holding the bundled knowledge (tests, examples).
pub fn in_memory_with_bundled() -> Result<Graph, StoreError> {
    let graph = Graph::in_memory()?;
    seed_if_empty(&graph)?;
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_store_is_seeded_once() {
        let graph = Graph::in_memory().unwrap();
        assert!(seed_if_empty(&graph).unwrap());
        let size = graph.len().unwrap();
        assert!(size > 0);
        assert!(!seed_if_empty(&graph).unwrap(), "seeded only once");
        assert_eq!(graph.len().unwrap(), size);
    }
}
