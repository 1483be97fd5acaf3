//! The named relationship questions of `queries/*.rq`, parsed once at startup.
//!
//! Each file opens with a header of comment lines:
//!
//! ```text
//! # title: Targets of a vendor's products
//! # description: People and organisations targeted in incidents involving the vendor.
//! # param: vendor (iri) The vendor, e.g. paragon-solutions
//! ```
//!
//! Parameters are bound as typed RDF terms with `substitute_variable`, never spliced into
//! the query text, so a parameter value cannot change the query's shape.

use crate::bundled;
use crate::vocab;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Term, Variable};
use oxigraph::sparql::SparqlSyntaxError;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// A query file that is not well-formed; a build defect caught by the unit tests.
#[derive(Debug, thiserror::Error)]
pub enum QueriesError {
    #[error("queries/{file}: {message}")]
    Header { file: String, message: String },
    #[error("queries/{file}: {source}")]
    Syntax {
        file: String,
        #[source]
        source: SparqlSyntaxError,
    },
}

/// A parameter value that cannot be bound.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamError {
    #[error("query `{query}` has no parameter `{param}`; its parameters are: {known}")]
    Unknown {
        query: String,
        param: String,
        known: String,
    },
    #[error("parameter `{param}` expects {kind}, got `{value}`")]
    Invalid {
        param: String,
        kind: ParamKind,
        value: String,
    },
}

/// The type of a query parameter, from the `(kind)` in its header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// An entity slug (`paragon-solutions`) or an absolute IRI.
    Iri,
    /// A plain string.
    String,
    /// An integer.
    Integer,
    /// An `xsd:date` such as `2024-12-31`.
    Date,
    /// A BCP 47 language tag such as `nl`.
    Lang,
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Iri => "an entity slug or an absolute IRI",
            Self::String => "a string",
            Self::Integer => "an integer",
            Self::Date => "a date (YYYY-MM-DD)",
            Self::Lang => "a language tag (en, nl, it...)",
        })
    }
}

impl FromStr for ParamKind {
    type Err = String;

    fn from_str(kind: &str) -> Result<Self, String> {
        Ok(match kind.to_ascii_lowercase().as_str() {
            "iri" => Self::Iri,
            "string" => Self::String,
            "integer" => Self::Integer,
            "date" => Self::Date,
            "lang" => Self::Lang,
            other => return Err(format!("unknown parameter type `{other}`")),
        })
    }
}

/// One parameter of a named query.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    pub description: String,
}

/// A named query: its header and its parsed form.
#[derive(Clone)]
pub struct NamedQuery {
    pub name: String,
    pub title: String,
    pub description: String,
    pub params: Vec<Param>,
    pub text: &'static str,
    parsed: spargebra::Query,
}

impl NamedQuery {
    /// The query with the given parameters bound; parameters left out stay unbound.
    pub fn bind<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<spargebra::Query, ParamError> {
        let mut bindings = HashMap::new();
        for (name, value) in values {
            let param = self
                .params
                .iter()
                .find(|param| param.name == name)
                .ok_or_else(|| ParamError::Unknown {
                    query: self.name.clone(),
                    param: name.to_owned(),
                    known: self.param_names(),
                })?;
            let term = param_term(param, value)?;
            let variable = Variable::new(&param.name).expect("checked when the header was parsed");
            bindings.insert(variable, term);
        }
        Ok(crate::lookups::bind_query(&self.parsed, &bindings))
    }

    fn param_names(&self) -> String {
        if self.params.is_empty() {
            return "(none)".to_owned();
        }
        self.params
            .iter()
            .map(|param| param.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The typed RDF term for a parameter value.
fn param_term(param: &Param, value: &str) -> Result<Term, ParamError> {
    let invalid = || ParamError::Invalid {
        param: param.name.clone(),
        kind: param.kind,
        value: value.to_owned(),
    };
    Ok(match param.kind {
        ParamKind::Iri => {
            if is_slug(value) {
                NamedNode::new(vocab::entity_iri(value))
                    .map_err(|_| invalid())?
                    .into()
            } else {
                NamedNode::new(value).map_err(|_| invalid())?.into()
            }
        }
        ParamKind::String => Literal::new_simple_literal(value).into(),
        ParamKind::Integer => Literal::from(value.parse::<i64>().map_err(|_| invalid())?).into(),
        ParamKind::Date => {
            let date = parse_date(value).ok_or_else(invalid)?;
            Literal::new_typed_literal(date, xsd::DATE).into()
        }
        ParamKind::Lang => {
            if !is_language_tag(value) {
                return Err(invalid());
            }
            Literal::new_simple_literal(value.to_ascii_lowercase()).into()
        }
    })
}

/// A canonical `YYYY-MM-DD` date, or `None`.
fn parse_date(value: &str) -> Option<String> {
    let mut parts = value.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (u32, u32, u32) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month)
        .contains(&day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// Whether `value` is an entity slug: lowercase ASCII letters, digits and single hyphens.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 200
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--")
}

fn is_language_tag(value: &str) -> bool {
    let mut subtags = value.split('-');
    let primary = subtags.next().unwrap_or_default();
    (1..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags.all(|tag| {
            (1..=8).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// All named queries, sorted by name.
#[derive(Clone)]
pub struct Queries {
    queries: Vec<NamedQuery>,
}

impl Queries {
    /// Parses every bundled `queries/*.rq`.
    pub fn parse() -> Result<Self, QueriesError> {
        let mut queries = bundled::QUERIES
            .iter()
            .map(|(path, bytes)| parse_file(path, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        queries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { queries })
    }

    /// The query with this name (the file name without `.rq`).
    pub fn get(&self, name: &str) -> Option<&NamedQuery> {
        self.queries.iter().find(|query| query.name == name)
    }

    /// Every query, by name.
    pub fn iter(&self) -> impl Iterator<Item = &NamedQuery> {
        self.queries.iter()
    }
}

fn parse_file(path: &str, bytes: &'static [u8]) -> Result<NamedQuery, QueriesError> {
    let file = path.trim_start_matches("queries/").to_owned();
    let header_error = |message: String| QueriesError::Header {
        file: file.clone(),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| header_error(format!("not UTF-8: {e}")))?;
    let name = file.trim_end_matches(".rq").to_owned();
    let (mut title, mut description, mut params) = (None, String::new(), Vec::new());
    for line in text.lines().take_while(|line| line.starts_with('#')) {
        let line = line.trim_start_matches('#').trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "title" => title = Some(value.to_owned()),
            "description" => {
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push_str(value);
            }
            "param" => params.push(parse_param(value).map_err(header_error)?),
            _ => {}
        }
    }
    let title = title.ok_or_else(|| header_error("missing `# title:` line".to_owned()))?;
    let parsed = spargebra::SparqlParser::new()
        .parse_query(text)
        .map_err(|source| QueriesError::Syntax {
            file: file.clone(),
            source,
        })?;
    Ok(NamedQuery {
        name,
        title,
        description,
        params,
        text,
        parsed,
    })
}

/// Parses `vendor (iri) The vendor, e.g. paragon-solutions`.
fn parse_param(line: &str) -> Result<Param, String> {
    let (name, rest) = line
        .split_once('(')
        .ok_or_else(|| format!("parameter line `{line}` lacks a `(type)`"))?;
    let (kind, description) = rest
        .split_once(')')
        .ok_or_else(|| format!("parameter line `{line}` lacks a closing `)`"))?;
    let name = name.trim().trim_start_matches('?').to_owned();
    Variable::new(&name).map_err(|e| format!("parameter name `{name}`: {e}"))?;
    Ok(Param {
        name,
        kind: kind.trim().parse()?,
        description: description.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_query_parses_with_a_title() {
        let queries = Queries::parse().unwrap();
        for query in queries.iter() {
            assert!(!query.title.is_empty(), "{}", query.name);
        }
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert!(is_slug("paragon-solutions"));
        assert!(!is_slug("Paragon"));
        assert!(!is_slug("x> } ; DROP ALL ; #"));
        assert!(!is_slug("a--b"));
    }

    #[test]
    fn params_parse_from_header_lines() {
        let param = parse_param("vendor (iri) The vendor").unwrap();
        assert_eq!(param.name, "vendor");
        assert_eq!(param.kind, ParamKind::Iri);
        assert!(parse_param("vendor iri").is_err());
        assert!(parse_param("vendor (colour)").is_err());
    }

    #[test]
    fn dates_are_checked_for_the_calendar() {
        assert_eq!(parse_date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn an_injection_attempt_is_not_an_iri() {
        let param = Param {
            name: "vendor".into(),
            kind: ParamKind::Iri,
            description: String::new(),
        };
        assert!(param_term(&param, "x> } ; DROP ALL ; #").is_err());
    }
}
