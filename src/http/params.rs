//! Request paths and query strings, parsed once where they enter: a handler takes a
//! [`Params<T>`] (its query string as a struct, unknown keys refused), and values that name
//! things or are bounded are types checked in one place ([`Slug`], [`PageLang`],
//! [`Bounded`]): a handler holding one holds a valid one.

use super::error::ApiError;
use crate::views::Lang;
use crate::vocab;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use oxigraph::model::NamedNode;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use std::fmt;

/// The query string of a request as `T`, which names every parameter it takes (with
/// `#[serde(deny_unknown_fields)]` for the API's routes: a misspelt parameter is an error,
/// not silently ignored). A query string that does not parse is a 400 naming the
/// parameter and what it should be.
#[derive(Debug, Clone, Default)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(pairs)
            .map(Params)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                ApiError::BadRequest(if path == "." {
                    format!(
                        "{}: {inner}; /openapi.json lists each route's parameters",
                        parts.uri.path()
                    )
                } else {
                    format!("{}: `{path}`: {inner}", parts.uri.path())
                })
            })
    }
}

/// `?lang=`: a language pages are written in, or none. Any other value is no error: the
/// page falls back to `Accept-Language`, then English, as a reader following a link with
/// another language would want.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageLang(pub Option<Lang>);

impl<'de> Deserialize<'de> for PageLang {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(PageLang(Lang::parse(&text)))
    }
}

/// A whole number from `LOW` to `HIGH`: a count, a limit, a number of hops. Anything else
/// is refused with the range in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const LOW: usize, const HIGH: usize>(pub usize);

impl<'de, const LOW: usize, const HIGH: usize> Deserialize<'de> for Bounded<LOW, HIGH> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim()
            .parse::<usize>()
            .ok()
            .filter(|value| (LOW..=HIGH).contains(value))
            .map(Bounded)
            .ok_or_else(|| {
                let shown: String = text.chars().take(40).collect();
                let cut = if shown.len() < text.len() { "…" } else { "" };
                D::Error::custom(format!(
                    "a number from {LOW} to {HIGH} was expected, not `{shown}{cut}`"
                ))
            })
    }
}

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
