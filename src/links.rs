//! What may become a link: web addresses only.
//!
//! Pages turn IRIs into `href`s. An IRI such as `javascript:alert(document.domain)` is a
//! valid IRI, and as a link it runs in the spyatlas origin, where writers type their
//! token. Two lines of defence: reports whose web-address properties (`schema:url`,
//! `rdfs:seeAlso`, `skos:exactMatch`...) hold anything but an `http(s)` address, or that use
//! a scheme that runs or embeds content (`javascript:`, `data:`...) anywhere, are refused
//! on every way in ([`problem`]); and pages only ever link an IRI that
//! [`is_web_address`] accepts, whatever the store holds.

use oxigraph::model::{NamedNodeRef, Term, Triple};

/// Properties whose values are addresses of web pages, shown as links.
pub const WEB_ADDRESS_PROPERTIES: &[&str] = &[
    "http://schema.org/url",
    "http://schema.org/sameAs",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso",
    "http://www.w3.org/2004/02/skos/core#exactMatch",
    "http://www.w3.org/2004/02/skos/core#closeMatch",
    "http://www.w3.org/2002/07/owl#sameAs",
    "http://xmlns.com/foaf/0.1/homepage",
    "http://xmlns.com/foaf/0.1/page",
    "http://purl.org/dc/terms/source",
    crate::vocab::term::ADVISORY,
];

/// Schemes that make a browser run or embed content instead of going to a page.
const ACTIVE_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "filesystem",
];

/// Whether `iri` is an `http:` or `https:` address (scheme in any case).
pub fn is_web_address(iri: &str) -> bool {
    matches!(scheme(iri), Some(scheme) if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
}

fn scheme(iri: &str) -> Option<&str> {
    let (scheme, _) = iri.trim_start().split_once(':')?;
    scheme
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .then_some(scheme)
}

fn is_active(iri: NamedNodeRef<'_>) -> bool {
    has_active_scheme(iri.as_str())
}

fn has_active_scheme(text: &str) -> bool {
    scheme(text).is_some_and(|scheme| {
        ACTIVE_SCHEMES
            .iter()
            .any(|active| scheme.eq_ignore_ascii_case(active))
    })
}

/// What is wrong with a triple's links, if anything: a web-address property whose value
/// is not an `http(s)` IRI, or an IRI with an active scheme in any position.
pub fn problem(triple: &Triple) -> Option<String> {
    let property = triple.predicate.as_str();
    if WEB_ADDRESS_PROPERTIES.contains(&property) {
        let address = match &triple.object {
            Term::NamedNode(address) => Some(address.as_str()),
            // An address written as text: refused only when it would run.
            Term::Literal(text) if has_active_scheme(text.value()) => Some(text.value()),
            _ => None,
        };
        return address
            .filter(|address| !is_web_address(address))
            .map(|address| {
                format!(
                    "`{address}` is not a web address: <{property}> takes an http:// or https:// IRI"
                )
            });
    }
    let subject = match &triple.subject {
        oxigraph::model::NamedOrBlankNode::NamedNode(node) => Some(node.as_ref()),
        oxigraph::model::NamedOrBlankNode::BlankNode(_) => None,
    };
    let object = match &triple.object {
        Term::NamedNode(node) => Some(node.as_ref()),
        _ => None,
    };
    [subject, Some(triple.predicate.as_ref()), object]
        .into_iter()
        .flatten()
        .find(|iri| is_active(*iri))
        .map(|iri| {
            format!(
                "<{}> uses a scheme that runs or embeds content in a browser; use an http:// or https:// IRI",
                iri.as_str()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    fn triple(property: &str, object: Term) -> Triple {
        Triple::new(
            NamedNode::new("https://w3id.org/spyatlas/report/r").unwrap(),
            NamedNode::new(property).unwrap(),
            object,
        )
    }

    #[test]
    fn only_web_addresses_are_links() {
        assert!(is_web_address("https://example.com/a"));
        assert!(is_web_address("HTTP://example.com"));
        assert!(!is_web_address("javascript:alert(1)"));
        assert!(!is_web_address(" JavaScript:alert(1)"));
        assert!(!is_web_address("data:text/html,<script>"));
        assert!(!is_web_address("/relative"));
    }

    #[test]
    fn web_address_properties_take_web_addresses_only() {
        let bad = NamedNode::new("javascript:alert(document.domain)").unwrap();
        for property in WEB_ADDRESS_PROPERTIES {
            assert!(problem(&triple(property, bad.clone().into())).is_some());
            assert!(
                problem(&triple(
                    property,
                    Literal::new_simple_literal("https://x.org").into()
                ))
                .is_none(),
                "an address written as text"
            );
            assert!(
                problem(&triple(
                    property,
                    Literal::new_simple_literal("javascript:x()").into()
                ))
                .is_some(),
                "text that would run as a link"
            );
            assert!(
                problem(&triple(
                    property,
                    NamedNode::new("https://x.org/").unwrap().into()
                ))
                .is_none()
            );
        }
        let elsewhere = triple("https://w3id.org/spyatlas/ontology#vendor", bad.into());
        assert!(problem(&elsewhere).is_some(), "an active scheme anywhere");
        let urn = triple(
            "https://w3id.org/spyatlas/ontology#vendor",
            NamedNode::new("urn:uuid:1").unwrap().into(),
        );
        assert!(problem(&urn).is_none());
    }
}
