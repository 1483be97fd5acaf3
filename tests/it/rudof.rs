//! rudof's SHACL validator, the reference the compiled validator of `src/validate/` is
//! checked against: general and exact, but it builds an in-memory store for every data
//! graph, and with it come an HTTP client and TLS, so only the tests use it.

use oxigraph::model::Triple;
use rudof_rdf::rdf_core::RDFFormat;
use rudof_rdf::rdf_impl::{OxigraphInMemory, ReaderMode};
use shacl::ir::IRSchema;
use shacl::types::{MessageMap, Severity};
use shacl::validator::processor::{GraphValidation, ShaclProcessor};
use shacl::validator::report::ValidationResult;
use shacl::validator::store::Graph as ShaclGraph;
use shacl::validator::{ShaclConfig, ShaclValidationMode};
use spyatlas::validate::{Violation, bundled_shapes};

/// rudof's validator on a shapes graph (parse once, validate many times).
#[derive(Debug, Clone)]
pub struct Shapes {
    schema: IRSchema,
}

impl Shapes {
    /// Parses and compiles a SHACL shapes graph written in Turtle (absolute IRIs only: no
    /// base IRI is set).
    pub fn parse(turtle: &str) -> Result<Self, String> {
        let schema = IRSchema::from_str(turtle, &RDFFormat::Turtle, None, &ReaderMode::Strict)
            .map_err(|error| error.to_string())?;
        Ok(Self { schema })
    }

    /// The shapes bundled in the binary (`ontology/shapes.ttl`).
    pub fn bundled() -> Result<Self, String> {
        Self::parse(bundled_shapes().map_err(|error| error.to_string())?)
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
    ) -> Result<Vec<Violation>, String> {
        let mut data = OxigraphInMemory::new();
        for triple in triples {
            data.add_triple_ref(&triple.subject, &triple.predicate, &triple.object)
                .map_err(|error| error.to_string())?;
        }
        let data = ShaclGraph::try_from(data).map_err(|error| error.to_string())?;
        let mut validation = GraphValidation::new(data);
        let report = validation
            .validate(
                &self.schema,
                &ShaclValidationMode::Native,
                &ShaclConfig::default(),
            )
            .map_err(|error| error.to_string())?;

        let mut violations: Vec<Violation> = report
            .results()
            .iter()
            .map(|result| self.violation(result))
            .collect();
        violations.sort_by(spyatlas::validate::compare);
        violations.dedup();
        if !report.conforms() && violations.is_empty() {
            return Err(
                "the data does not conform, but the validator reported no violation".into(),
            );
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

        let mut detail = spyatlas::validate::short_iri(&result.constraint_component().to_string());
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
