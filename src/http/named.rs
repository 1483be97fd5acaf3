//! The named questions of `queries/` over REST: `GET /api/queries` lists them,
//! `GET /api/queries/{name}?param=value` runs one with its parameters bound as typed RDF
//! terms (never spliced into the text), and `GET /queries/{name}` is a form to run it
//! from a browser.
//!
//! Answers are JSON by default (`variables` and `rows`, each value with its kind), CSV
//! with `Accept: text/csv` (or `?format=csv`), or SPARQL JSON results with
//! `Accept: application/sparql-results+json`. A value that is not a valid term for its
//! parameter — an IRI with a space, `x> } ; DROP ALL ; #`, a date that is no date — is a
//! 400 that names the parameter and what it expects.

use super::AppState;
use super::conneg::{Representation, negotiate};
use super::error::ApiError;
use super::params::Params;
use super::stream::answer;
use crate::queries::{NamedQuery, Param};
use crate::store::StoreError;
use crate::views::Lang;
use crate::views::pages::{Layout, NamedQueryTemplate, render};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use utoipa::ToSchema;

/// What the answers of named queries can be sent as, in order of preference.
const ANSWERS: &[(&str, Representation)] = &[
    ("application/json", Representation::Json),
    ("text/csv", Representation::Results(QueryResultsFormat::Csv)),
    (
        "application/sparql-results+json",
        Representation::Results(QueryResultsFormat::Json),
    ),
    (
        "text/tab-separated-values",
        Representation::Results(QueryResultsFormat::Tsv),
    ),
];

/// The named queries.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedQueryList {
    count: usize,
    queries: Vec<NamedQueryDescription>,
}

/// A named query: what it asks, its parameters, and where to run it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NamedQuery)]
pub struct NamedQueryDescription {
    name: String,
    title: String,
    description: String,
    parameters: Vec<Param>,
    links: NamedQueryLinks,
}

/// Where a named query runs: its REST answer and its form.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedQueryLinks {
    run: String,
    form: String,
}

/// The answer of a named query.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedQueryAnswer {
    /// The query's name.
    query: String,
    /// The variables of the answer, in order.
    variables: Vec<String>,
    /// One row per solution: each bound variable with its value.
    rows: Vec<BTreeMap<String, TermValue>>,
}

/// An RDF term: its value, and what kind of value it is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Term)]
pub struct TermValue {
    #[serde(rename = "type")]
    kind: TermKind,
    value: String,
    /// The language of a literal that has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    /// The datatype IRI of a literal without a language.
    #[serde(skip_serializing_if = "Option::is_none")]
    datatype: Option<String>,
}

/// The kinds of RDF terms.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TermKind {
    Iri,
    Blank,
    Literal,
    Triple,
}

fn describe(query: &NamedQuery) -> NamedQueryDescription {
    NamedQueryDescription {
        name: query.name.clone(),
        title: query.title.clone(),
        description: query.description.clone(),
        parameters: query.params.clone(),
        links: NamedQueryLinks {
            run: format!("/api/queries/{}", query.name),
            form: format!("/queries/{}", query.name),
        },
    }
}

/// `GET /api/queries`: every named query with its parameters.
#[utoipa::path(
    get,
    path = "/api/queries",
    tag = "relationships",
    summary = "The named queries of queries/, with their parameters",
    responses((status = 200, description = "the list", body = NamedQueryList))
)]
pub async fn list(State(state): State<AppState>) -> Json<NamedQueryList> {
    let queries: Vec<NamedQueryDescription> = state.queries.iter().map(describe).collect();
    Json(NamedQueryList {
        count: queries.len(),
        queries,
    })
}

fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a NamedQuery, ApiError> {
    state.queries.get(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no named query `{name}`; GET /api/queries lists them"
        ))
    })
}

/// `GET /api/queries/{name}?param=value`: runs a named query. Its parameters are the
/// query's own (`GET /api/queries` lists them), so they are read as pairs and checked by
/// [`NamedQuery::bind`], which refuses a name the query does not have.
#[utoipa::path(
    get,
    path = "/api/queries/{name}",
    tag = "relationships",
    summary = "Run a named query; each parameter is bound as a typed RDF term (an iri parameter takes a slug or an IRI)",
    params(
        ("name" = String, Path, description = "the query's name"),
        ("format" = Option<String>, Query, description = "json (default), csv, tsv or sparql-json, overriding Accept; any other parameter is one of the query's own"),
    ),
    responses(
        (status = 200, description = "the answer", content(
            (NamedQueryAnswer = "application/json"), (String = "text/csv"),
            (String = "application/sparql-results+json"), (String = "text/tab-separated-values"),
        )),
        (status = 400, description = "a parameter that is not a valid term, or not the query's"),
        (status = 404, description = "no such query"),
    )
)]
pub async fn run(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Params(pairs): Params<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = find(&state, &name)?;
    let mut format = None;
    let mut values: Vec<(String, String)> = Vec::new();
    for (key, value) in pairs {
        if key == "format" {
            format = Some(value);
        } else {
            values.push((key, value));
        }
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let representation = match format.as_deref() {
        Some("json") => Representation::Json,
        other => negotiate(accept, other, ANSWERS)?,
    };
    // Bad parameters are refused here, before any attempt to answer.
    let _ = query.bind(values.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let deadline = state.settings.query_timeout;
    let graph = state.graph.clone();
    let content_type = match representation {
        Representation::Json => "application/json".to_owned(),
        other => other.content_type(),
    };
    let mut hasher = DefaultHasher::new();
    (&query.name, &values, &content_type).hash(&mut hasher);
    let key = hasher.finish();
    // The shape of a named query is the query itself: its parameters are the entities.
    let mut hasher = DefaultHasher::new();
    ("named", &query.name, &content_type).hash(&mut hasher);
    let shape = hasher.finish();
    let query = query.clone();
    answer(
        &state,
        key,
        shape,
        content_type,
        move |out, token| {
            let bound = query
                .bind(values.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(|error| StoreError::Io(std::io::Error::other(error.to_string())))?;
            let results = crate::store::with_cancellation(token, || {
                graph.query(bound, crate::store::Dataset::Union)
            })?;
            write_answer(&query.name, results, representation, out)
        },
        move |error| match error {
            StoreError::Cancelled => ApiError::Timeout(deadline),
            error => error.into(),
        },
    )
    .await
}

fn write_answer(
    name: &str,
    results: QueryResults<'static>,
    representation: Representation,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    let QueryResults::Solutions(solutions) = results else {
        return Err(StoreError::Io(std::io::Error::other(format!(
            "the named query {name} is not a SELECT query"
        ))));
    };
    match representation {
        Representation::Results(format) => {
            let mut serializer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())?;
            for solution in solutions {
                serializer.serialize(&solution?)?;
            }
            serializer.finish()?;
        }
        _ => {
            let variables: Vec<String> = solutions
                .variables()
                .iter()
                .map(|variable| variable.as_str().to_owned())
                .collect();
            let mut rows = Vec::new();
            for solution in solutions {
                let solution = solution?;
                rows.push(
                    solution
                        .iter()
                        .map(|(variable, term)| (variable.as_str().to_owned(), term_value(term)))
                        .collect(),
                );
            }
            let body = NamedQueryAnswer {
                query: name.to_owned(),
                variables,
                rows,
            };
            serde_json::to_writer(&mut *out, &body).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// A term with its kind.
fn term_value(term: &Term) -> TermValue {
    let (kind, value) = match term {
        Term::NamedNode(node) => (TermKind::Iri, node.as_str().to_owned()),
        Term::BlankNode(node) => (TermKind::Blank, node.as_str().to_owned()),
        Term::Literal(literal) => (TermKind::Literal, literal.value().to_owned()),
        other => (TermKind::Triple, other.to_string()),
    };
    let (language, datatype) = match term {
        Term::Literal(literal) => match literal.language() {
            Some(language) => (Some(language.to_owned()), None),
            None => (None, Some(literal.datatype().as_str().to_owned())),
        },
        _ => (None, None),
    };
    TermValue {
        kind,
        value,
        language,
        datatype,
    }
}

/// `GET /queries/{name}`: a form that runs the query, for browsers (no script needed).
/// The named queries are written in English, and so is their page.
#[utoipa::path(
    get,
    path = "/queries/{name}",
    tag = "relationships",
    summary = "A form to run a named query",
    params(("name" = String, Path, description = "the query's name")),
    responses(
        (status = 200, description = "the form", content_type = "text/html"),
        (status = 404, description = "no such query"),
    )
)]
pub async fn form(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let query = find(&state, &name)?;
    let template = NamedQueryTemplate {
        layout: Layout::new(
            Lang::En,
            query.title.clone(),
            &format!("/queries/{}", query.name),
            "",
        ),
        query,
        params: query
            .params
            .iter()
            .map(|param| {
                (
                    param.name.clone(),
                    param.kind.to_string(),
                    param.description.clone(),
                )
            })
            .collect(),
    };
    Ok(Html(render(&template)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_default_answer_and_csv_is_offered() {
        assert_eq!(
            negotiate(None, None, ANSWERS).unwrap(),
            Representation::Json
        );
        assert_eq!(
            negotiate(Some("text/csv"), None, ANSWERS).unwrap(),
            Representation::Results(QueryResultsFormat::Csv)
        );
    }
}
