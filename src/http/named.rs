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
use super::stream::answer;
use crate::queries::NamedQuery;
use crate::store::StoreError;
use crate::views::Lang;
use crate::views::pages::{Layout, NamedQueryTemplate, render};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use serde_json::{Value, json};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

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

fn describe(query: &NamedQuery) -> Value {
    json!({
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "parameters": query.params,
        "links": {
            "run": format!("/api/queries/{}", query.name),
            "form": format!("/queries/{}", query.name),
        },
    })
}

/// `GET /api/queries`: every named query with its parameters.
pub async fn list(State(state): State<AppState>) -> Response {
    let queries: Vec<Value> = state.queries.iter().map(describe).collect();
    axum::Json(json!({ "count": queries.len(), "queries": queries })).into_response()
}

fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a NamedQuery, ApiError> {
    state.queries.get(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no named query `{name}`; GET /api/queries lists them"
        ))
    })
}

/// `GET /api/queries/{name}?param=value`: runs a named query.
pub async fn run(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = find(&state, &name)?;
    let mut format = None;
    let mut values: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key == "format" {
            format = Some(value.into_owned());
        } else {
            values.push((key.into_owned(), value.into_owned()));
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
            let prepared = query
                .bind_cancellable(
                    token.clone(),
                    values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                )
                .map_err(|error| StoreError::Io(std::io::Error::other(error.to_string())))?;
            let results = graph.query(prepared)?;
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
                let mut row = serde_json::Map::new();
                for (variable, term) in solution.iter() {
                    row.insert(variable.as_str().to_owned(), term_json(term));
                }
                rows.push(Value::Object(row));
            }
            let body = json!({ "query": name, "variables": variables, "rows": rows });
            serde_json::to_writer(&mut *out, &body).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// A term as JSON: its value, and what kind of value it is.
fn term_json(term: &Term) -> Value {
    match term {
        Term::NamedNode(node) => json!({ "type": "iri", "value": node.as_str() }),
        Term::BlankNode(node) => json!({ "type": "blank", "value": node.as_str() }),
        Term::Literal(literal) => match literal.language() {
            Some(language) => {
                json!({ "type": "literal", "value": literal.value(), "language": language })
            }
            None => json!({
                "type": "literal",
                "value": literal.value(),
                "datatype": literal.datatype().as_str(),
            }),
        },
        other => json!({ "type": "triple", "value": other.to_string() }),
    }
}

/// `GET /queries/{name}`: a form that runs the query, for browsers (no script needed).
/// The named queries are written in English, and so is their page.
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
