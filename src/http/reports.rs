//! `/api/reports`: load a report (`POST`), list them (`GET`), read one as JSON or RDF
//! (`GET /api/reports/{slug}`), retract one (`DELETE /api/reports/{slug}`); and the JSON-LD
//! context report documents use, at `/context.jsonld`.
//!
//! Loading goes through the same [`Loader`] as `spyatlas load`: parse → resolve entities →
//! validate → write in one transaction. Errors answer 400 (syntax, with line and column),
//! 415 (a Content-Type that is neither a report document nor RDF) or 422 (a list of
//! problems: entity, property, message, line), and write nothing.

use super::auth::authorize_write;
use super::body::{self, Sender};
use super::conneg::{self, GRAPHS, Representation, negotiate};
use super::error::ApiError;
use super::error::is_disk_full;
use super::stream::stream_blocking;
use super::{AppState, blocking};
use crate::bundled;
use crate::ingest::report::{self, Outcome};
use crate::ingest::{Loader, ReportError, ReportResult, check_limits, kind_of_media_type};
use crate::store::{Graph, StoreError};
use crate::vocab;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{GraphNameRef, NamedNode, Term};
use oxigraph::sparql::QueryResults;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The report loader shared by requests: it keeps the compiled shapes and the entity index
/// between requests, and rebuilds the index when the store changed under it.
#[derive(Clone, Default)]
pub struct SharedLoader(Arc<Mutex<Option<Loader>>>);

impl SharedLoader {
    /// Makes the loader (which reads every entity's names from the store: seconds on a
    /// large one) on a thread of its own, so that the first report loaded after a start
    /// does not wait for all of it. A load arriving meanwhile waits for the rest; readers
    /// never do.
    pub fn prepare(&self, graph: &Graph) {
        let (shared, graph) = (self.clone(), graph.clone());
        let spawned = std::thread::Builder::new()
            .name("spyatlas-loader".into())
            .spawn(move || {
                let mut slot = shared
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if slot.is_none() {
                    match graph.in_background(|| Loader::new(&graph, false)) {
                        Ok(loader) => *slot = Some(loader),
                        Err(error) => tracing::warn!(%error, "cannot prepare the report loader"),
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start preparing the report loader");
        }
    }

    fn with<T>(
        &self,
        graph: &Graph,
        work: impl FnOnce(&mut Loader) -> T,
    ) -> Result<T, ReportError> {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let loader = match slot.as_mut() {
            Some(loader) => {
                loader.refresh()?;
                loader
            }
            None => slot.insert(Loader::new(graph, false)?),
        };
        Ok(work(loader))
    }
}

/// `GET /context.jsonld`: the context of report documents.
pub async fn context() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bundled::CONTEXT,
    )
        .into_response()
}

/// `POST /api/reports`: loads the report(s) in the body. `?dry-run=true` validates only.
pub async fn post(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let dry_run = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(name, value)| name == "dry-run" && value != "false");
    // Checked before the body is read: a write without the token costs nothing.
    let authorized = authorize_write(&state.settings.write_access, &headers);
    let sender = match authorized {
        Ok(()) => Sender::Writer,
        Err(error) if !dry_run => return Err(error),
        Err(_) => Sender::Public {
            limit: state.settings.max_public_body_bytes,
            flag: "--max-public-body-mb",
        },
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = conneg::media_type(content_type);
    let Some(kind) = kind_of_media_type(&media_type) else {
        return Err(ApiError::UnsupportedMediaType {
            given: content_type.to_owned(),
            expected: "application/ld+json or application/yaml (a report document, see docs/reports.md), or RDF: application/n-quads, application/trig, text/turtle, application/n-triples, application/rdf+xml".into(),
        });
    };
    if let Some(charset) = conneg::charset(content_type)
        && !charset.eq_ignore_ascii_case("utf-8")
    {
        return Err(ApiError::UnsupportedMediaType {
            given: content_type.to_owned(),
            expected: "UTF-8 text (charset=utf-8)".into(),
        });
    }
    let body = body::read(&state, &headers, body, sender).await?;
    let graph = state.graph.clone();
    let loader = state.reports.clone();
    let results = blocking(&state, move || {
        // Input beyond the limits is refused before the loader, whose first use reads the
        // store's entities, is involved.
        if let Err(error) = check_limits(&body, kind) {
            return Ok(vec![ReportResult {
                origin: "request body".into(),
                slug: None,
                triples: 0,
                outcome: Err(error),
            }]);
        }
        loader.with(&graph, |loader| {
            loader.set_dry_run(dry_run);
            let results = loader.load_bytes("request body", &body, kind);
            loader.set_dry_run(false);
            results
        })
    })
    .await?
    .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    Ok(respond(results))
}

/// The answer to a load: 201 for a new report (with `Location`), 200 when unchanged,
/// replaced or only validated, 400/422 with the errors when it failed.
fn respond(results: Vec<ReportResult>) -> Response {
    let failed = results
        .iter()
        .find_map(|result| result.outcome.as_ref().err());
    let status = match failed {
        Some(
            ReportError::Syntax { .. } | ReportError::Structure(_) | ReportError::UnknownFormat(_),
        ) => StatusCode::BAD_REQUEST,
        Some(ReportError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(ReportError::Store(StoreError::DiskFull { .. })) => StatusCode::INSUFFICIENT_STORAGE,
        Some(ReportError::Store(StoreError::Storage(error))) if is_disk_full(error) => {
            StatusCode::INSUFFICIENT_STORAGE
        }
        Some(ReportError::Io(_) | ReportError::Store(_) | ReportError::Validator(_)) => {
            tracing::error!(error = %failed.expect("matched"), "loading a report failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        None if results
            .iter()
            .any(|result| matches!(result.outcome, Ok(Outcome::Loaded))) =>
        {
            StatusCode::CREATED
        }
        None => StatusCode::OK,
    };
    let bodies: Vec<Value> = results.iter().map(result_json).collect();
    let location = match results.as_slice() {
        [only] if status == StatusCode::CREATED => only
            .slug
            .as_ref()
            .map(|slug| format!("/api/reports/{slug}")),
        _ => None,
    };
    let body = match bodies.as_slice() {
        [only] => only.clone(),
        _ => json!({ "reports": bodies }),
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(location) = location
        && let Ok(value) = location.parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn result_json(result: &ReportResult) -> Value {
    let mut body = json!({
        "report": result.slug,
        "iri": result.slug.as_ref().map(|slug| format!("{}{slug}", vocab::REPORT_NAMESPACE)),
        "triples": result.triples,
    });
    match &result.outcome {
        Ok(outcome) => {
            body["outcome"] = json!(outcome);
        }
        Err(error) => {
            body["outcome"] = json!("failed");
            match error {
                ReportError::Syntax {
                    line,
                    column,
                    message,
                } => {
                    body["error"] = json!("syntax");
                    body["message"] = json!(format!("{line}:{column}: {message}"));
                    body["line"] = json!(line);
                    body["column"] = json!(column);
                }
                ReportError::Invalid(problems) => {
                    body["error"] = json!("invalid");
                    body["message"] = json!(format!(
                        "the report breaks {} rule{}; nothing was written",
                        problems.len(),
                        if problems.len() == 1 { "" } else { "s" }
                    ));
                    body["violations"] = json!(problems);
                }
                ReportError::Structure(message) | ReportError::UnknownFormat(message) => {
                    body["error"] = json!("structure");
                    body["message"] = json!(message);
                }
                ReportError::Store(error @ StoreError::DiskFull { .. }) => {
                    body["error"] = json!("disk-full");
                    body["message"] = json!(error.to_string());
                }
                ReportError::Store(StoreError::Storage(error)) if is_disk_full(error) => {
                    body["error"] = json!("disk-full");
                    body["message"] = json!(
                        "the disk holding the store is full; nothing was written: free some space"
                    );
                }
                _ => {
                    body["error"] = json!("internal");
                    body["message"] = json!("internal error; the server log has the details");
                }
            }
        }
    }
    body
}

/// The listing query: every loaded report with its metadata.
fn listing_query(filter: Option<&NamedNode>) -> String {
    let values = filter.map_or(String::new(), |iri| format!("VALUES ?report {{ {iri} }}"));
    format!(
        "PREFIX sa: <{sa}>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?report (SAMPLE(?t) AS ?title) (SAMPLE(?l) AS ?label) ?publisher (SAMPLE(?pl) AS ?publisherLabel)
       ?issued ?language ?url ?loadedAt ?revision ?triples ?hash ?modified
       (GROUP_CONCAT(DISTINCT STR(?type); separator=\" \") AS ?types)
WHERE {{
  {values}
  GRAPH ?report {{
    ?report sa:contentHash ?hash ; sa:loadedAt ?loadedAt ; sa:revision ?revision ; sa:tripleCount ?triples .
    OPTIONAL {{ ?report a ?type }}
    OPTIONAL {{ ?report dct:title ?t }}
    OPTIONAL {{ ?report rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), \"en\")) }}
    OPTIONAL {{ ?report dct:publisher ?publisher }}
    OPTIONAL {{ ?report dct:issued ?issued }}
    OPTIONAL {{ ?report dct:language ?language }}
    OPTIONAL {{ ?report schema:url ?url }}
    OPTIONAL {{ ?report dct:modified ?modified }}
  }}
  OPTIONAL {{ GRAPH ?labels {{ ?publisher rdfs:label ?pl FILTER(LANGMATCHES(LANG(?pl), \"en\")) }} }}
}}
GROUP BY ?report ?publisher ?issued ?language ?url ?loadedAt ?revision ?triples ?hash ?modified
ORDER BY DESC(?loadedAt) ?report",
        sa = vocab::ONTOLOGY_NAMESPACE
    )
}

fn list(graph: &Graph, filter: Option<&NamedNode>) -> Result<Vec<Value>, ApiError> {
    let prepared = Graph::evaluator()
        .parse_query(&listing_query(filter))
        .expect("the listing query is valid SPARQL");
    let QueryResults::Solutions(solutions) = graph.query(prepared)? else {
        unreachable!("a SELECT query");
    };
    let mut reports = Vec::new();
    for solution in solutions {
        let solution =
            solution.map_err(|error| ApiError::from(crate::store::StoreError::from(error)))?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::Literal(literal)) => json!(literal.value()),
            Some(Term::NamedNode(node)) => json!(node.as_str()),
            _ => Value::Null,
        };
        let number = |name: &str| match solution.get(name) {
            Some(Term::Literal(literal)) => literal
                .value()
                .parse::<u64>()
                .map_or(Value::Null, |value| json!(value)),
            _ => Value::Null,
        };
        let Some(Term::NamedNode(iri)) = solution.get("report") else {
            continue;
        };
        let slug = iri
            .as_str()
            .strip_prefix(vocab::REPORT_NAMESPACE)
            .unwrap_or(iri.as_str());
        let types: Vec<&str> = match solution.get("types") {
            Some(Term::Literal(literal)) => literal
                .value()
                .split(' ')
                .filter(|t| !t.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        reports.push(json!({
            "slug": slug,
            "iri": iri.as_str(),
            "title": text("title"),
            "label": text("label"),
            "types": types,
            "publisher": text("publisher"),
            "publisherLabel": text("publisherLabel"),
            "issued": text("issued"),
            "language": text("language"),
            "url": text("url"),
            "loadedAt": text("loadedAt"),
            "modified": text("modified"),
            "revision": number("revision"),
            "triples": number("triples"),
            "contentHash": text("hash"),
            "links": {
                "self": format!("/api/reports/{slug}"),
                "rdf": format!("/api/reports/{slug}?format=trig"),
            },
        }));
    }
    Ok(reports)
}

/// `GET /api/reports`: every loaded report, newest first.
pub async fn list_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    let graph = state.graph.clone();
    let reports = blocking(&state, move || list(&graph, None)).await??;
    Ok(axum::Json(json!({ "count": reports.len(), "reports": reports })).into_response())
}

fn report_iri(slug: &str) -> Result<NamedNode, ApiError> {
    super::params::Slug::parse(slug)
        .map(|slug| slug.report())
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "`{slug}` is not a report slug (lower-case letters, digits and hyphens); GET /api/reports lists the reports"
            ))
        })
}

/// `GET /api/reports/{slug}`: the report's metadata as JSON (default, or
/// `Accept: application/json`), or its graph in an RDF syntax by `Accept` or `?format=`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iri = report_iri(&slug)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "format")
        .map(|(_, value)| value.into_owned());
    let mut offered: Vec<(&str, Representation)> = vec![("application/json", Representation::Json)];
    offered.extend_from_slice(GRAPHS);
    let representation = match format.as_deref() {
        Some("json") => Representation::Json,
        other => negotiate(accept, other, &offered)?,
    };
    let graph = state.graph.clone();
    let found = {
        let (graph, iri) = (graph.clone(), iri.clone());
        blocking(&state, move || list(&graph, Some(&iri))).await??
    };
    let Some(summary) = found.into_iter().next() else {
        return Err(ApiError::NotFound(format!(
            "no report `{slug}` is loaded; GET /api/reports lists the reports"
        )));
    };
    match representation {
        Representation::Rdf(format) => {
            stream_blocking(
                &state,
                representation.content_type(),
                move |out, _| {
                    let name = GraphNameRef::NamedNode(iri.as_ref());
                    if format.supports_datasets() {
                        graph.write_graph_quads(name, format, out).map(drop)
                    } else {
                        graph.write_graph(name, format, out).map(drop)
                    }
                },
                ApiError::from,
                std::time::Instant::now(),
            )
            .await
        }
        _ => Ok(axum::Json(summary).into_response()),
    }
}

/// `DELETE /api/reports/{slug}`: removes the report's graph (claims and metadata) at once.
pub async fn delete(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_write(&state.settings.write_access, &headers)?;
    let iri = report_iri(&slug)?;
    let graph = state.graph.clone();
    let removed = blocking(&state, move || report::remove(&graph, iri.as_ref()))
        .await?
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    if removed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no report `{slug}` is loaded; GET /api/reports lists the reports"
        )))
    }
}
