//! The knowledge and queries compiled into the binary (see `build.rs`).

use crate::vocab;
use oxigraph::model::NamedNodeRef;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The named graph an ontology file loads into; `None` for data files, whose graphs are
/// written in the files themselves (TriG, N-Quads).
pub fn ontology_graph(file: &str) -> Option<NamedNodeRef<'static>> {
    let name = file.strip_prefix("ontology/")?;
    Some(match name {
        "shapes.ttl" => vocab::graph::SHAPES,
        "alignments.ttl" => vocab::graph::ALIGNMENTS,
        _ => vocab::graph::ONTOLOGY,
    })
}
