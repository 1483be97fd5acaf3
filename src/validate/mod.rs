//! SHACL validation of knowledge against `ontology/shapes.ttl`.
//!
//! [`compiled::CompiledShapes::parse`] compiles a shapes graph once;
//! [`compiled::CompiledShapes::validate`] then checks any number of data graphs against it and
//! answers every violation as a [`Violation`]: the entity (focus node), the property (result
//! path), a message, the severity and the shape that failed.
//!
//! The data graph is an in-memory copy of the triples it is given: validation never reads
//! the store. What to put in the data graph is the caller's choice; `docs/model.md` says
//! which: one report graph, the reference graph and the ontology graph (which holds the
//! concept schemes and the `rdfs:subClassOf` links that `sh:targetClass` and `sh:class`
//! follow), because the `sh:maxCount 1` rules on a claim hold per report.
//!
//! The compiled validator covers the part of SHACL Core the bundled shapes use and refuses
//! shapes that use more, so the server refuses to start rather than check less than the
//! shapes say. The tests check its answers against rudof's general validator (a test-only
//! dependency: with it come an HTTP client and TLS, which the server does without).
//!
//! ```no_run
//! use spyatlas::validate::compiled::CompiledShapes;
//!
//! let shapes = CompiledShapes::bundled()?;
//! let triples: Vec<oxigraph::model::Triple> = Vec::new(); // the data graph
//! for violation in shapes.validate(&triples) {
//!     println!("{}: {} ({:?})", violation.focus, violation.message, violation.path);
//! }
//! # Ok::<_, spyatlas::validate::ValidateError>(())
//! ```

pub mod compiled;

use crate::bundled;
use std::cmp::Ordering;

/// The bundled shapes file, as named in [`bundled::KNOWLEDGE`].
const SHAPES_FILE: &str = "ontology/shapes.ttl";

/// The SHACL namespace, shortened to `sh:` in messages.
const SH: &str = crate::vocab::SHACL_NAMESPACE;

/// One SHACL violation, in terms a report author understands.
///
/// `focus` and `path` are bare IRIs (no angle brackets) or blank node labels (`_:b0`);
/// `path` is `None` for a constraint on the node itself (`sh:nodeKind`, `sh:class` of a
/// node shape). `message` is the shape's `sh:message` when it has one, followed by the
/// constraint component that failed and the offending value, e.g.
/// `sa:developedBy must point to a sa:Vendor (sh:ClassConstraintComponent, value
/// https://w3id.org/spyatlas/id/israel)`. `severity` is `Violation`, `Warning`, `Info`
/// (or the IRI of a custom severity). `shape` is the shape whose constraint failed: an IRI
/// for a named shape (`https://w3id.org/spyatlas/shapes#labels`), a blank node label for
/// an inline property shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub focus: String,
    pub path: Option<String>,
    pub message: String,
    pub severity: String,
    pub shape: Option<String>,
}

/// What validation can fail with (a violation is not a failure: it is an answer).
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The shapes graph is not Turtle, or uses SHACL the compiled validator does not cover.
    #[error("the SHACL shapes cannot be compiled: {0}")]
    Shapes(String),
    /// A file that should be bundled in the binary is not; this is a build defect.
    #[error("bundled file {0} is missing")]
    MissingBundled(&'static str),
    /// A bundled Turtle file is not UTF-8; this is a build defect.
    #[error("bundled file {file} is not UTF-8: {source}")]
    BundledEncoding {
        file: &'static str,
        #[source]
        source: std::str::Utf8Error,
    },
}

/// The text of the bundled shapes (`ontology/shapes.ttl`).
pub fn bundled_shapes() -> Result<&'static str, ValidateError> {
    let bytes = bundled::KNOWLEDGE
        .iter()
        .find(|entry| entry.0 == SHAPES_FILE)
        .map(|entry| entry.1)
        .ok_or(ValidateError::MissingBundled(SHAPES_FILE))?;
    std::str::from_utf8(bytes).map_err(|source| ValidateError::BundledEncoding {
        file: SHAPES_FILE,
        source,
    })
}

/// `http://www.w3.org/ns/shacl#ClassConstraintComponent` → `sh:ClassConstraintComponent`.
pub fn short_iri(iri: &str) -> String {
    match iri.strip_prefix(SH) {
        Some(local) => format!("sh:{local}"),
        None => iri.to_owned(),
    }
}

/// The order violations are answered in: by focus node, then path, shape, message and
/// severity.
pub fn compare(left: &Violation, right: &Violation) -> Ordering {
    left.focus
        .cmp(&right.focus)
        .then_with(|| left.path.cmp(&right.path))
        .then_with(|| left.shape.cmp(&right.shape))
        .then_with(|| left.message.cmp(&right.message))
        .then_with(|| left.severity.cmp(&right.severity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_that_are_not_turtle_are_refused() {
        assert!(matches!(
            compiled::CompiledShapes::parse("this is not turtle"),
            Err(ValidateError::Shapes(_))
        ));
    }

    #[test]
    fn component_iris_are_shortened() {
        assert_eq!(
            short_iri("http://www.w3.org/ns/shacl#InConstraintComponent"),
            "sh:InConstraintComponent"
        );
        assert_eq!(short_iri("http://example.com/c"), "http://example.com/c");
    }
}
