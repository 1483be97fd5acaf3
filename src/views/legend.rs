//! The claim statuses a page can show, in the order of `sa:ClaimStatusScheme`, with their
//! names and definitions in each page language: read once from the ontology compiled into
//! the binary, so that the legend says what the ontology says.

use super::Lang;
use crate::vocab;
use crate::vocab::read::SKOS;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::HashMap;
use std::sync::LazyLock;

/// One status of the legend.
#[derive(Debug, Clone)]
pub struct Status {
    /// Its IRI (`sa:confirmed`).
    pub iri: String,
    /// Its notation (`confirmed`): the class of its badge.
    pub key: String,
    names: HashMap<String, String>,
    definitions: HashMap<String, String>,
}

impl Status {
    /// Its name in `language`, else in English.
    pub fn name(&self, language: Lang) -> &str {
        in_language(&self.names, language).unwrap_or(&self.key)
    }

    /// Its definition in `language`, else in English.
    pub fn definition(&self, language: Lang) -> &str {
        in_language(&self.definitions, language).unwrap_or_default()
    }
}

fn in_language(texts: &HashMap<String, String>, language: Lang) -> Option<&str> {
    texts
        .get(language.code())
        .or_else(|| texts.get("en"))
        .map(String::as_str)
}

/// The statuses, in the order the scheme lists its top concepts.
pub fn statuses() -> &'static [Status] {
    static STATUSES: LazyLock<Vec<Status>> = LazyLock::new(read);
    &STATUSES
}

/// The status of an IRI, if it is one.
pub fn status(iri: &str) -> Option<&'static Status> {
    statuses().iter().find(|status| status.iri == iri)
}

/// The key of a status IRI (`confirmed`), for the badge's colour; `other` for a value that
/// is not a status of the scheme.
pub fn key_of(iri: &str) -> &str {
    status(iri).map_or("other", |status| status.key.as_str())
}

fn read() -> Vec<Status> {
    let ontology = crate::bundled::KNOWLEDGE
        .iter()
        .find(|(file, _)| *file == "ontology/spyatlas.ttl")
        .map(|(_, bytes)| *bytes)
        .expect("the ontology is bundled");
    let scheme = format!("{}ClaimStatusScheme", vocab::ONTOLOGY_NAMESPACE);
    let mut order: Vec<String> = Vec::new();
    let mut found: HashMap<String, Status> = HashMap::new();
    let parser = RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(vocab::ONTOLOGY_NAMESPACE)
        .expect("the ontology namespace is a valid IRI");
    for quad in parser.for_slice(ontology) {
        let quad = quad.expect("the bundled ontology parses");
        let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
            continue;
        };
        let subject = subject.as_str();
        let predicate = quad.predicate.as_str();
        if subject == scheme && predicate == format!("{SKOS}hasTopConcept") {
            if let Term::NamedNode(concept) = &quad.object {
                order.push(concept.as_str().to_owned());
            }
            continue;
        }
        let Term::Literal(literal) = &quad.object else {
            continue;
        };
        let status = found.entry(subject.to_owned()).or_insert_with(|| Status {
            iri: subject.to_owned(),
            key: super::short(subject),
            names: HashMap::new(),
            definitions: HashMap::new(),
        });
        let language = literal.language().unwrap_or("en").to_owned();
        match predicate.strip_prefix(SKOS) {
            Some("prefLabel") => {
                status.names.insert(language, literal.value().to_owned());
            }
            Some("definition") => {
                status
                    .definitions
                    .insert(language, literal.value().to_owned());
            }
            Some("notation") => status.key = literal.value().to_owned(),
            _ => {}
        }
    }
    order
        .into_iter()
        .filter_map(|iri| found.remove(&iri))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_lists_the_schemes_statuses_with_their_definitions() {
        let keys: Vec<&str> = statuses().iter().map(|s| s.key.as_str()).collect();
        for key in [
            "confirmed",
            "attributed",
            "reported",
            "alleged",
            "denied",
            "unknown",
        ] {
            assert!(keys.contains(&key), "{keys:?}");
        }
        let confirmed = status(&format!("{}confirmed", vocab::ONTOLOGY_NAMESPACE)).unwrap();
        assert_eq!(confirmed.name(Lang::Nl), "bevestigd");
        assert!(confirmed.definition(Lang::En).contains("first-hand"));
        assert_eq!(key_of("https://example.org/elsewhere"), "other");
    }
}
