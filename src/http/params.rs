//! Values of request paths and query strings that name things, checked once where they
//! enter: a handler holding a [`Slug`] holds a valid one.

use crate::vocab;
use oxigraph::model::NamedNode;
use std::fmt;

/// The slug of an entity or report (`paragon-solutions`): lower-case ASCII letters, digits
/// and single inner hyphens, at most 200 bytes. A slug written into an IRI can never
/// change the shape of a query it is written into.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// `text` as a slug; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Slug> {
        crate::queries::is_slug(text).then(|| Slug(text.to_owned()))
    }

    /// A slug, or an entity IRI of ours (`https://w3id.org/spyatlas/id/…`).
    pub fn of_entity(text: &str) -> Option<Slug> {
        Slug::parse(text.strip_prefix(vocab::ID_NAMESPACE).unwrap_or(text))
    }

    /// The IRI of the entity of this slug (`/id/`).
    pub fn entity(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{}", vocab::ID_NAMESPACE, self.0))
    }

    /// The IRI of the report of this slug (`/report/`).
    pub fn report(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{}", vocab::REPORT_NAMESPACE, self.0))
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slugs_parse_and_they_make_iris_of_ours() {
        let slug = Slug::parse("paragon-solutions").unwrap();
        assert_eq!(
            slug.entity().as_str(),
            "https://w3id.org/spyatlas/id/paragon-solutions"
        );
        assert_eq!(
            slug.report().as_str(),
            "https://w3id.org/spyatlas/report/paragon-solutions"
        );
        for bad in ["", "Paragon", "a--b", "-a", "x> } ; DROP ALL ; #", "a b"] {
            assert_eq!(Slug::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Slug::of_entity("https://w3id.org/spyatlas/id/italy"),
            Slug::parse("italy")
        );
        assert_eq!(Slug::of_entity("https://example.org/italy"), None);
    }
}
