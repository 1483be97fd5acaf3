//! `/sparql`: the SPARQL 1.1 Protocol (query by GET, POST form and POST body; update by
//! POST form and POST body), plus the service description and the query page.

use super::answers::{Copying, is_repeatable};
use super::auth::{Needs, authorize};
use super::body::{self, Sender};
use super::conneg::{self, GRAPHS, Representation, SOLUTIONS, negotiate};
use super::error::ApiError;
use super::openapi::SparqlAnswer;
use super::stream::answer;
use super::{AppState, blocking, page, service_description};
use crate::limits;
use crate::store::StoreError;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::QueryResultsSerializer;
use spargebra::{GraphUpdateOperation, SparqlParser};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// The protocol parameters of one request, gathered from the URL and a form body.
#[derive(Debug, Default)]
struct ProtocolParams {
    queries: Vec<String>,
    updates: Vec<String>,
    default_graph_uris: Vec<String>,
    named_graph_uris: Vec<String>,
    using_graph_uris: Vec<String>,
    using_named_graph_uris: Vec<String>,
    format: Option<String>,
}

impl ProtocolParams {
    fn from_url(uri: &Uri) -> Self {
        let mut params = Self::default();
        if let Some(query) = uri.query() {
            params.extend(query.as_bytes());
        }
        params
    }

    fn extend(&mut self, encoded: &[u8]) {
        for (name, value) in form_urlencoded::parse(encoded) {
            let value = value.into_owned();
            match name.as_ref() {
                "query" => self.queries.push(value),
                "update" => self.updates.push(value),
                "default-graph-uri" => self.default_graph_uris.push(value),
                "named-graph-uri" => self.named_graph_uris.push(value),
                "using-graph-uri" => self.using_graph_uris.push(value),
                "using-named-graph-uri" => self.using_named_graph_uris.push(value),
                "format" => self.format = Some(value),
                _ => {}
            }
        }
    }
}

/// The query string of `/sparql`, as the SPARQL 1.1 Protocol defines it. It documents
/// what [`ProtocolParams`] reads: the protocol repeats keys (`default-graph-uri`), which
/// a struct of single values cannot hold.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProtocolQueryString {
    /// The SPARQL query; without one, the service description (RDF) or, for a browser,
    /// the query page.
    query: Option<String>,
    /// A default graph (repeatable).
    #[param(rename = "default-graph-uri")]
    default_graph_uri: Option<Vec<String>>,
    /// A named graph (repeatable).
    #[param(rename = "named-graph-uri")]
    named_graph_uri: Option<Vec<String>>,
    /// A results format by name (json, xml, csv, tsv, turtle, jsonld, html), overriding
    /// `Accept`.
    format: Option<String>,
}

/// `GET /sparql`: a query, or without one the service description (or, for a browser,
/// the query page).
#[utoipa::path(
    get,
    path = "/sparql",
    tag = "sparql",
    summary = "SPARQL 1.1 Protocol query; without a query, the service description (RDF) or the query page (browsers)",
    params(ProtocolQueryString),
    responses(
        SparqlAnswer,
        (status = 400, description = "a malformed query, or an update sent with GET"),
        (status = 406, description = "no acceptable representation"),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_sparql(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = ProtocolParams::from_url(&uri);
    if !params.updates.is_empty() {
        return Err(ApiError::BadRequest(
            "updates must be sent with POST (form field `update`, or a body of type application/sparql-update), never with GET".into(),
        ));
    }
    match params.queries.as_slice() {
        [] => describe_service(&state, &headers, params.format.as_deref()),
        [query] => {
            let query = query.clone();
            run_query(state, &headers, params, query).await
        }
        queries => Err(too_many("query", queries.len())),
    }
}

/// `GET /sparql/`: the same as `GET /sparql`, for clients that add the slash.
#[utoipa::path(
    get,
    path = "/sparql/",
    tag = "sparql",
    summary = "The same as GET /sparql",
    params(ProtocolQueryString),
    responses(SparqlAnswer)
)]
pub async fn get_sparql_slash(
    state: State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    get_sparql(state, headers, uri).await
}

/// `POST /sparql/`: the same as `POST /sparql`.
#[utoipa::path(
    post,
    path = "/sparql/",
    tag = "sparql",
    summary = "The same as POST /sparql",
    responses(SparqlAnswer),
    security((), ("bearer" = []))
)]
pub async fn post_sparql_slash(
    state: State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    post_sparql(state, headers, uri, body).await
}

/// `POST /sparql`: a query or an update, as a form or as a SPARQL body.
///
/// The body is read after what the headers tell is checked: an update body only with the
/// write token, a query body only up to the query limit.
#[utoipa::path(
    post,
    path = "/sparql",
    tag = "sparql",
    summary = "SPARQL 1.1 Protocol query or update (form or direct body); updates need the write token",
    params(ProtocolQueryString),
    request_body(description = "a query or update: a form (query= or update=) or a SPARQL body", content(
        (String = "application/x-www-form-urlencoded"), (String = "application/sparql-query"),
        (String = "application/sparql-update"),
    )),
    responses(
        SparqlAnswer,
        (status = 204, description = "the update is done"),
        (status = 400, description = "a malformed query or update"),
        (status = 401, description = "an update without the right token"),
        (status = 403, description = "writes disabled"),
        (status = 415, description = "an unsupported Content-Type"),
    ),
    security((), ("bearer" = []))
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post_sparql(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| unsupported_post_type("(none)"))?;
    let mut params = ProtocolParams::from_url(&uri);
    require_utf8_charset(content_type)?;
    let query_sender = Sender::Public {
        limit: state.settings.max_query_bytes,
        flag: "--max-query-kb",
    };
    match conneg::media_type(content_type).as_str() {
        "application/x-www-form-urlencoded" => {
            // A form may hold an update: with the write token it may be as large as any
            // write; without, as large as a query once percent-encoded.
            let sender = if authorize(&state.settings.write_access, &headers, Needs::Admin).is_ok()
            {
                Sender::Writer
            } else {
                Sender::Public {
                    limit: state.settings.max_query_bytes.saturating_mul(3),
                    flag: "--max-query-kb",
                }
            };
            params.extend(&body::read(&state, &headers, body, sender).await?);
        }
        "application/sparql-query" => {
            let body = body::read(&state, &headers, body, query_sender).await?;
            params.queries.push(utf8_body(body)?);
        }
        "application/sparql-update" => {
            authorize(&state.settings.write_access, &headers, Needs::Admin)?;
            let body = body::read(&state, &headers, body, Sender::Writer).await?;
            params.updates.push(utf8_body(body)?);
        }
        _ => return Err(unsupported_post_type(content_type)),
    }
    match (params.queries.len(), params.updates.len()) {
        (1, 0) => {
            let query = params.queries.remove(0);
            run_query(state, &headers, params, query).await
        }
        (0, 1) => {
            let update = params.updates.remove(0);
            run_update(state, &headers, params, update).await
        }
        (0, 0) => Err(ApiError::BadRequest(
            "no SPARQL query or update in the request: send a `query` or `update` form field, or a SPARQL body".into(),
        )),
        (0, updates) => Err(too_many("update", updates)),
        (queries, 0) => Err(too_many("query", queries)),
        _ => Err(ApiError::BadRequest(
            "a request carries either a query or an update, not both".into(),
        )),
    }
}

fn too_many(kind: &str, count: usize) -> ApiError {
    ApiError::BadRequest(format!(
        "one {kind} per request, but this request has {count}"
    ))
}

fn unsupported_post_type(given: &str) -> ApiError {
    ApiError::UnsupportedMediaType {
        given: given.to_owned(),
        expected:
            "application/x-www-form-urlencoded, application/sparql-query, application/sparql-update"
                .into(),
    }
}

fn require_utf8_charset(content_type: &str) -> Result<(), ApiError> {
    match conneg::charset(content_type) {
        Some(charset) if charset != "utf-8" && charset != "utf8" => {
            Err(ApiError::UnsupportedMediaType {
                given: content_type.to_owned(),
                expected: "a UTF-8 body (charset=utf-8, or no charset)".into(),
            })
        }
        _ => Ok(()),
    }
}

fn utf8_body(body: Bytes) -> Result<String, ApiError> {
    String::from_utf8(body.into()).map_err(|error| {
        ApiError::BadRequest(format!(
            "the request body is not valid UTF-8 (byte {}); send SPARQL as UTF-8",
            error.utf8_error().valid_up_to()
        ))
    })
}

/// The IRI of this endpoint as the client addressed it: the base IRI of queries and
/// updates, and the `sd:endpoint` of the service description.
pub fn endpoint_iri(headers: &HeaderMap) -> String {
    format!("{}/sparql", super::origin(headers))
}

fn describe_service(
    state: &AppState,
    headers: &HeaderMap,
    format: Option<&str>,
) -> Result<Response, ApiError> {
    let mut offered = GRAPHS.to_vec();
    offered.push(("text/html", Representation::Html));
    offered.push(("application/xhtml+xml", Representation::Html));
    let representation = negotiate(accept(headers), format, &offered)?;
    let Representation::Rdf(format) = representation else {
        return Ok(Html(page::query_page(&state.queries, None)).into_response());
    };
    // The figures as counted on write: left out while they are first counted after a
    // start, or while a write updates them (the event loop does not wait).
    let endpoint = endpoint_iri(headers);
    let description = state
        .figures
        .is_complete()
        .then(|| {
            state
                .figures
                .try_read(|figures| service_description::describe(&endpoint, Some(figures)))
        })
        .flatten()
        .unwrap_or_else(|| service_description::describe(&endpoint, None));
    let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
    for triple in description.iter() {
        serializer
            .serialize_triple(triple)
            .map_err(|e| ApiError::Store(e.into()))?;
    }
    let body = serializer.finish().map_err(|e| ApiError::Store(e.into()))?;
    Ok((
        [(header::CONTENT_TYPE, representation.content_type())],
        body,
    )
        .into_response())
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
}

async fn run_query(
    state: AppState,
    headers: &HeaderMap,
    params: ProtocolParams,
    text: String,
) -> Result<Response, ApiError> {
    let parsed = state.parsed_queries.parse(
        &endpoint_iri(headers),
        &text,
        state.settings.max_query_bytes,
    )?;
    let query = &parsed.query;
    let offered = match *query {
        spargebra::Query::Select { .. } | spargebra::Query::Ask { .. } => SOLUTIONS,
        spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => GRAPHS,
    };
    if params.format.is_none() && prefers_html(accept(headers), offered) {
        return Ok(Html(page::query_page(&state.queries, Some(&text))).into_response());
    }
    let representation = negotiate(accept(headers), params.format.as_deref(), offered)?;

    // No dataset in the request: the query's own FROM clauses, or the union of all graphs.
    let dataset = if params.default_graph_uris.is_empty() && params.named_graph_uris.is_empty() {
        None
    } else {
        Some(dataset(
            &params.default_graph_uris,
            &params.named_graph_uris,
        )?)
    };
    let key = query_key(&text, &params, representation);
    let shape = query_shape(parsed.shape, &params, representation);
    // Read before the evaluation begins: the answer holds at least this generation's writes.
    let generation = state.graph.generation();
    let request = (parsed.repeatable && state.answers.is_enabled())
        .then(|| answer_request(headers, &text, &params, representation));
    if let Some(request) = &request
        && let Some(kept) = state.answers.get(generation, request)
    {
        return Ok(super::stream::whole(kept, &representation.content_type()));
    }
    let answers = Arc::clone(&state.answers);
    let parsed = Arc::clone(&parsed);
    let deadline = state.settings.query_timeout;
    let graph = state.graph.clone();
    answer(
        &state,
        key,
        shape,
        representation.content_type(),
        move |out, token| {
            let dataset = match &dataset {
                None => crate::store::Dataset::Union,
                Some((default, named)) => crate::store::Dataset::Given {
                    default: default.clone(),
                    named: named.clone(),
                },
            };
            let query = parsed.query.clone();
            let results = crate::store::with_cancellation(token, || graph.query(query, dataset));
            let Some(request) = &request else {
                return results.and_then(|results| write_results(results, representation, out));
            };
            let mut copying = Copying::new(out);
            results.and_then(|results| write_results(results, representation, &mut copying))?;
            if let Some(copy) = copying.into_copy() {
                answers.insert(generation, Arc::clone(request), copy);
            }
            Ok(())
        },
        move |error| match error {
            StoreError::Cancelled => ApiError::Timeout(deadline),
            error => error.into(),
        },
    )
    .await
}

/// What tells one query request from another in [`answer`]'s memory of slow queries.
fn query_key(text: &str, params: &ProtocolParams, representation: Representation) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    params.default_graph_uris.hash(&mut hasher);
    params.named_graph_uris.hash(&mut hasher);
    representation.content_type().hash(&mut hasher);
    hasher.finish()
}

/// The whole of a query request, as [`AnswerCache`](super::answers::AnswerCache) tells
/// one from another: the base IRI, the text, the dataset and the media type.
fn answer_request(
    headers: &HeaderMap,
    text: &str,
    params: &ProtocolParams,
    representation: Representation,
) -> Arc<str> {
    let mut request = endpoint_iri(headers);
    for part in [text]
        .into_iter()
        .chain(params.default_graph_uris.iter().map(String::as_str))
        .chain(["\0named"])
        .chain(params.named_graph_uris.iter().map(String::as_str))
        .chain([representation.content_type().as_str()])
    {
        request.push('\0');
        request.push_str(part);
    }
    Arc::from(request)
}

/// What tells one kind of query from another in [`answer`]'s memory of quick and slow
/// queries: the query as parsed, with the IRIs of entities (`id/`) and the string literals
/// left out, so that the same lookup about another entity (or name) counts as the same.
fn query_shape(shape: u64, params: &ProtocolParams, representation: Representation) -> u64 {
    let mut hasher = DefaultHasher::new();
    shape.hash(&mut hasher);
    params.default_graph_uris.hash(&mut hasher);
    params.named_graph_uris.hash(&mut hasher);
    representation.content_type().hash(&mut hasher);
    hasher.finish()
}

/// The hash of a query's text as parsed, with the IRIs of entities (`id/`) and the string
/// literals left out.
fn shape_of(text: &str) -> u64 {
    let mut shape = String::with_capacity(text.len());
    let mut rest = text;
    let entity = format!("<{}", crate::vocab::ID_NAMESPACE);
    while let Some(start) = rest.find(['<', '"']) {
        shape.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = if tail.starts_with(&entity) {
            shape.push_str("<id>");
            tail.find('>').map(|end| end + 1)
        } else if tail.starts_with('"') {
            shape.push_str("\"\"");
            // The closing quote: the first one not escaped.
            let mut escaped = false;
            tail.char_indices().skip(1).find_map(|(at, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes.then_some(at + 1)
            })
        } else {
            shape.push('<');
            Some(1)
        };
        let Some(end) = end else {
            shape.push_str(tail);
            rest = "";
            break;
        };
        rest = &tail[end..];
    }
    shape.push_str(rest);
    let mut hasher = DefaultHasher::new();
    shape.hash(&mut hasher);
    hasher.finish()
}

/// Queries parsed before, by base IRI and text: a client that repeats a query (a
/// dashboard, a page polling for news) does not pay for parsing it again.
#[derive(Default)]
pub struct ParsedQueries(Mutex<HashMap<String, Arc<Parsed>>>);

/// A parsed query and what is known of it from its text, computed once.
struct Parsed {
    query: spargebra::Query,
    /// The hash of its shape (see [`shape_of`]).
    shape: u64,
    /// Whether its answer stays the same until the store changes.
    repeatable: bool,
}

impl ParsedQueries {
    /// Queries kept; past it the cache starts afresh.
    const CAPACITY: usize = 1024;
    /// Longer queries are parsed each time rather than kept.
    const MAX_TEXT_BYTES: usize = 8 * 1024;

    /// The parsed query, checked against the limits of [`crate::limits`] (`max_bytes` of
    /// text) before and after parsing.
    fn parse(&self, base_iri: &str, text: &str, max_bytes: usize) -> Result<Arc<Parsed>, ApiError> {
        let key = format!("{base_iri} {text}");
        if let Some(query) = self.lock().get(&key) {
            return Ok(Arc::clone(query));
        }
        limits::check_sparql(text, max_bytes)?;
        let query = SparqlParser::new()
            .with_base_iri(base_iri)
            .map_err(|e| ApiError::BadRequest(format!("invalid Host header: {e}")))?
            .parse_query(text)?;
        let query = limits::check_algebra(query)?;
        let written = query.to_string();
        let query = Arc::new(Parsed {
            shape: shape_of(&written),
            repeatable: is_repeatable(&written),
            query,
        });
        if text.len() <= Self::MAX_TEXT_BYTES {
            let mut queries = self.lock();
            if queries.len() >= Self::CAPACITY {
                queries.clear();
            }
            queries.insert(key, Arc::clone(&query));
        }
        Ok(query)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Parsed>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a browser asked: `text/html` ranks strictly above every data format.
fn prefers_html(accept: Option<&str>, offered: &[(&str, Representation)]) -> bool {
    let Some(accept) = accept else { return false };
    if !accept.to_ascii_lowercase().contains("text/html") {
        return false;
    }
    let mut with_html = vec![("text/html", Representation::Html)];
    with_html.extend_from_slice(offered);
    let data_first: Vec<_> = offered
        .iter()
        .copied()
        .chain([("text/html", Representation::Html)])
        .collect();
    // Html must win whichever way ties are broken.
    matches!(
        negotiate(Some(accept), None, &with_html),
        Ok(Representation::Html)
    ) && matches!(
        negotiate(Some(accept), None, &data_first),
        Ok(Representation::Html)
    )
}

/// The default graph and the named graphs a request names.
type Dataset = (Vec<GraphName>, Vec<NamedOrBlankNode>);

fn dataset(default: &[String], named: &[String]) -> Result<Dataset, ApiError> {
    let default = default
        .iter()
        .map(|iri| graph_iri(iri).map(GraphName::from))
        .collect::<Result<_, _>>()?;
    let named = named
        .iter()
        .map(|iri| graph_iri(iri).map(NamedOrBlankNode::from))
        .collect::<Result<_, _>>()?;
    Ok((default, named))
}

/// Refuses an update that writes a link property with anything but a web address, or an
/// IRI with a scheme a browser would run, as far as its data and templates say (a value
/// computed at run time is kept from pages by their own check).
fn refuse_active_links(update: &spargebra::Update) -> Result<(), ApiError> {
    use oxigraph::model::{Term, Triple};
    use spargebra::term::{NamedNodePattern, TermPattern};
    let placeholder = || NamedNode::new_unchecked("urn:spyatlas:template");
    for operation in &update.operations {
        let triples: Vec<Triple> = match operation {
            GraphUpdateOperation::InsertData { data } => data
                .iter()
                .map(|quad| {
                    Triple::new(
                        quad.subject.clone(),
                        quad.predicate.clone(),
                        quad.object.clone(),
                    )
                })
                .collect(),
            GraphUpdateOperation::DeleteInsert { insert, .. } => insert
                .iter()
                .filter_map(|quad| {
                    let NamedNodePattern::NamedNode(predicate) = &quad.predicate else {
                        return None;
                    };
                    let subject = match &quad.subject {
                        TermPattern::NamedNode(node) => node.clone(),
                        _ => placeholder(),
                    };
                    let object: Term = match &quad.object {
                        TermPattern::NamedNode(node) => node.clone().into(),
                        TermPattern::Literal(literal) => literal.clone().into(),
                        _ => return None,
                    };
                    Some(Triple::new(subject, predicate.clone(), object))
                })
                .collect(),
            _ => continue,
        };
        for triple in &triples {
            if let Some(problem) = crate::links::problem(triple) {
                return Err(ApiError::BadRequest(format!(
                    "the update was refused and changed nothing: {problem}"
                )));
            }
        }
    }
    Ok(())
}

fn graph_iri(iri: &str) -> Result<NamedNode, ApiError> {
    NamedNode::new(iri)
        .map_err(|e| ApiError::BadRequest(format!("`{iri}` is not a valid graph IRI: {e}")))
}

fn write_results(
    results: QueryResults<'static>,
    representation: Representation,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    match (results, representation) {
        (QueryResults::Solutions(solutions), Representation::Results(format)) => {
            let mut serializer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())?;
            for solution in solutions {
                serializer.serialize(&solution?)?;
            }
            serializer.finish()?;
        }
        (QueryResults::Boolean(value), Representation::Results(format)) => {
            QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(out, value)?;
        }
        (QueryResults::Graph(triples), Representation::Rdf(format)) => {
            let mut serializer = RdfSerializer::from_format(format).for_writer(out);
            for triple in triples {
                serializer.serialize_triple(&triple?)?;
            }
            serializer.finish()?;
        }
        _ => unreachable!("the representation was negotiated for this query form"),
    }
    Ok(())
}

async fn run_update(
    state: AppState,
    headers: &HeaderMap,
    params: ProtocolParams,
    text: String,
) -> Result<Response, ApiError> {
    let account = authorize(&state.settings.write_access, headers, Needs::Admin)?;
    let mut response = match update(state, headers, params, text).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(crate::audit::Note {
        account: Some(account),
        action: "sparql.update",
        reports: Vec::new(),
        target: None,
    });
    Ok(response)
}

/// Parses, checks and runs an update, once authorised.
async fn update(
    state: AppState,
    headers: &HeaderMap,
    params: ProtocolParams,
    text: String,
) -> Result<Response, ApiError> {
    limits::check_sparql(&text, state.settings.max_body_bytes)?;
    let update = SparqlParser::new()
        .with_base_iri(endpoint_iri(headers))
        .map_err(|e| ApiError::BadRequest(format!("invalid Host header: {e}")))?
        .parse_update(&text)?;
    let update = limits::check_update_algebra(update)?;
    refuse_active_links(&update)?;
    if update
        .operations
        .iter()
        .any(|operation| matches!(operation, GraphUpdateOperation::Load { .. }))
    {
        return Err(ApiError::BadRequest(
            "LOAD is disabled: this endpoint does not fetch remote URLs; send the data with the Graph Store Protocol (PUT or POST /store) instead".into(),
        ));
    }
    let protocol_dataset =
        !params.using_graph_uris.is_empty() || !params.using_named_graph_uris.is_empty();
    let names_own_dataset = update.operations.iter().any(|operation| {
        matches!(
            operation,
            GraphUpdateOperation::DeleteInsert { using: Some(_), .. }
        )
    });
    if protocol_dataset && names_own_dataset {
        return Err(ApiError::BadRequest(
            "the update names its dataset with USING or WITH, and the request with using-graph-uri / using-named-graph-uri; use one or the other".into(),
        ));
    }

    // Checked here, applied on the pool's thread, where the evaluator takes the job's
    // cancellation token (its deadline and memory budget).
    let protocol_dataset = if protocol_dataset {
        Some(dataset(
            &params.using_graph_uris,
            &params.using_named_graph_uris,
        )?)
    } else {
        None
    };
    let deadline = state.settings.query_timeout;
    let graph = state.graph.clone();
    let outcome = blocking(&state, move || graph.update(update, protocol_dataset)).await?;
    match outcome {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::Cancelled) => Err(ApiError::Timeout(deadline)),
        Err(StoreError::Update(error)) => Err(ApiError::BadRequest(format!(
            "the update failed and changed nothing: {error}"
        ))),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> u64 {
        shape_of(
            &spargebra::SparqlParser::new()
                .parse_query(text)
                .unwrap()
                .to_string(),
        )
    }

    #[test]
    fn lookups_about_other_entities_or_names_have_one_shape() {
        let id = crate::vocab::ID_NAMESPACE;
        assert_eq!(
            shape(&format!("SELECT ?p ?o WHERE {{ <{id}person-1> ?p ?o }}")),
            shape(&format!("SELECT ?p ?o WHERE {{ <{id}platform-1> ?p ?o }}"))
        );
        assert_eq!(
            shape(r#"SELECT ?e WHERE { ?e ?p "Paragon" }"#),
            shape(r#"SELECT ?e WHERE { ?e ?p "say \"NSO\" twice" }"#)
        );
        // Another property, class or structure is another shape.
        assert_ne!(
            shape("SELECT ?s WHERE { ?s <https://w3id.org/spyatlas/ontology#vendor> ?o }"),
            shape("SELECT ?s WHERE { ?s <https://w3id.org/spyatlas/ontology#target> ?o }")
        );
        assert_ne!(
            shape(&format!("SELECT ?p ?o WHERE {{ <{id}a> ?p ?o }}")),
            shape(&format!("SELECT ?p ?o WHERE {{ <{id}a> ?p ?o }} LIMIT 5"))
        );
    }
}
