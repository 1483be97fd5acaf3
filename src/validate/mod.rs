//! SHACL validation of knowledge against `ontology/shapes.ttl`, with rudof's `shacl` crate.
//!
//! [`Shapes::parse`] compiles a shapes graph once; [`Shapes::validate`] then checks any number
//! of data graphs against it and answers every violation as a [`Violation`]: the entity (focus
//! node), the property (result path), a message, the severity and the shape that failed.
//!
//! The data graph is an in-memory copy of the triples it is given: validation never reads
//! the store, and never fetches anything (the validator's native engine runs on the copy;
//! no SPARQL endpoint is configured). What to put in the data graph is the caller's choice;
//! `docs/model.md` says which: one report graph, the reference graph and the ontology graph
//! (which holds the concept schemes and the `rdfs:subClassOf` links that `sh:targetClass`
//! and `sh:class` follow), because the `sh:maxCount 1` rules on a claim hold per report.
//!
//! ```no_run
//! use spyatlas::validate::Shapes;
//!
//! let shapes = Shapes::bundled()?;
//! let triples: Vec<oxigraph::model::Triple> = Vec::new(); // the data graph
//! for violation in shapes.validate(triples)? {
//!     println!("{}: {} ({:?})", violation.focus, violation.message, violation.path);
//! }
//! # Ok::<_, spyatlas::validate::ValidateError>(())
//! ```

pub mod compiled;

use crate::bundled;
use oxigraph::model::Triple;
use rudof_rdf::rdf_core::RDFFormat;
use rudof_rdf::rdf_impl::{OxigraphInMemory, ReaderMode};
use shacl::ir::IRSchema;
use shacl::types::{MessageMap, Severity};
use shacl::validator::processor::{GraphValidation, ShaclProcessor};
use shacl::validator::report::ValidationResult;
use shacl::validator::store::Graph as ShaclGraph;
use shacl::validator::{ShaclConfig, ShaclValidationMode};
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
    /// The shapes graph is not Turtle, or not a SHACL shapes graph the validator accepts.
    #[error("the SHACL shapes do not parse: {0}")]
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
    /// The data graph could not be loaded into the validator.
    #[error("the data graph cannot be loaded for validation: {0}")]
    Data(String),
    /// The validator failed (not the data: the validation itself).
    #[error("SHACL validation failed: {0}")]
    Validator(String),
}

/// The compiled shapes (parse once, validate many times).
#[derive(Debug, Clone)]
pub struct Shapes {
    schema: IRSchema,
}

impl Shapes {
    /// Parses and compiles a SHACL shapes graph written in Turtle (absolute IRIs only: no
    /// base IRI is set).
    pub fn parse(turtle: &str) -> Result<Self, ValidateError> {
        let schema = IRSchema::from_str(turtle, &RDFFormat::Turtle, None, &ReaderMode::Strict)
            .map_err(|error| ValidateError::Shapes(error.to_string()))?;
        Ok(Self { schema })
    }

    /// The shapes bundled in the binary (`ontology/shapes.ttl`).
    pub fn bundled() -> Result<Self, ValidateError> {
        Self::parse(bundled_shapes()?)
    }

    /// Validates `triples` (a data graph: the union of the graphs to check) and returns every
    /// violation (empty = conforms).
    ///
    /// The violations are sorted by focus node, then path, shape and message, without
    /// duplicates (a node reached through two shapes that share a property shape is
    /// reported once).
    pub fn validate(
        &self,
        triples: impl IntoIterator<Item = Triple>,
    ) -> Result<Vec<Violation>, ValidateError> {
        let mut data = OxigraphInMemory::new();
        for triple in triples {
            data.add_triple_ref(&triple.subject, &triple.predicate, &triple.object)
                .map_err(|error| ValidateError::Data(error.to_string()))?;
        }
        let data =
            ShaclGraph::try_from(data).map_err(|error| ValidateError::Data(error.to_string()))?;
        let mut validation = GraphValidation::new(data);
        let report = validation
            .validate(
                &self.schema,
                &ShaclValidationMode::Native,
                &ShaclConfig::default(),
            )
            .map_err(|error| ValidateError::Validator(error.to_string()))?;

        let mut violations: Vec<Violation> = report
            .results()
            .iter()
            .map(|result| self.violation(result))
            .collect();
        violations.sort_by(compare);
        violations.dedup();
        if !report.conforms() && violations.is_empty() {
            return Err(ValidateError::Validator(
                "the data does not conform, but the validator reported no violation".into(),
            ));
        }
        Ok(violations)
    }

    fn violation(&self, result: &ValidationResult) -> Violation {
        Violation {
            focus: result.focus_node().to_string(),
            path: result.path().map(|path| path.to_string()),
            message: self.message(result),
            severity: severity_name(result.severity()),
            shape: result.source().map(|shape| shape.to_string()),
        }
    }

    /// The shape's `sh:message`, then the constraint component, the validator's own words
    /// when they add something, and the offending value.
    fn message(&self, result: &ValidationResult) -> String {
        let shape_message = result
            .source()
            .and_then(|source| self.schema.get_shape(source))
            .and_then(|shape| shape.message())
            .and_then(pick_message);
        let validator_message = pick_message(result.message())
            .filter(|message| Some(message) != shape_message.as_ref());

        let mut detail = short_iri(&result.constraint_component().to_string());
        if let Some(message) = validator_message {
            detail.push_str(": ");
            detail.push_str(&message);
        }
        if let Some(value) = result.value() {
            detail.push_str(", value ");
            detail.push_str(&value.to_string());
        }
        match shape_message {
            Some(message) => format!("{message} ({detail})"),
            None => detail,
        }
    }
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

/// One text of a message map: the one without a language tag, else the English one, else the
/// first by language tag.
fn pick_message(messages: &MessageMap) -> Option<String> {
    if let Some(message) = messages.get(None) {
        return Some(message.clone());
    }
    let mut tagged: Vec<(String, &String)> = messages
        .iter()
        .map(|(lang, message)| {
            let lang = lang
                .as_ref()
                .map(|lang| lang.as_str().to_owned())
                .unwrap_or_default();
            (lang, message)
        })
        .collect();
    tagged.sort();
    tagged
        .iter()
        .find(|(lang, _)| lang == "en")
        .or_else(|| tagged.first())
        .map(|(_, message)| (*message).clone())
}

fn severity_name(severity: &Severity) -> String {
    match severity {
        Severity::Generic(iri) => iri.to_string(),
        other => other.to_string(),
    }
}

/// `http://www.w3.org/ns/shacl#ClassConstraintComponent` → `sh:ClassConstraintComponent`.
pub(crate) fn short_iri(iri: &str) -> String {
    match iri.strip_prefix(SH) {
        Some(local) => format!("sh:{local}"),
        None => iri.to_owned(),
    }
}

pub(crate) fn compare(left: &Violation, right: &Violation) -> Ordering {
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
    fn the_bundled_shapes_compile() {
        Shapes::bundled().unwrap();
    }

    #[test]
    fn shapes_that_are_not_turtle_are_refused() {
        assert!(matches!(
            Shapes::parse("this is not turtle"),
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
