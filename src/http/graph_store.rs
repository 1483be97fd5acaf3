//! `/store`: the SPARQL 1.1 Graph Store HTTP Protocol.
//!
//! Graphs are named indirectly (`/store?graph=IRI`, `/store?default`) or directly (the
//! request URL itself, `/store/some/path`). GET and HEAD read a graph; PUT replaces it;
//! POST adds to it (or, on `/store` itself, creates a new graph and answers with its
//! `Location`); DELETE removes it. Bodies are RDF in any syntax oxigraph reads, or
//! `multipart/form-data` with one RDF file per part.

use super::auth::{Needs, authorize};
use super::conneg::{self, GRAPHS, Representation, negotiate};
use super::error::ApiError;
use super::openapi::GraphAnswer;
use super::stream::stream_blocking;
use super::{AppState, blocking, origin};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, NamedNode, Triple};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Which graph a request addresses.
#[derive(Debug, Clone)]
enum Target {
    Graph(GraphName),
    /// `POST /store` without a graph: make a new one.
    NewGraph,
}

/// `/store` with indirect identification (or graph creation by POST).
#[utoipa::path(
    method(get, head, put, post, delete),
    path = "/store",
    tag = "sparql",
    summary = "Graph Store Protocol: read (GET, HEAD), replace (PUT), add to or create (POST), delete (DELETE) a graph; writes need the write token",
    params(
        ("graph" = Option<String>, Query, description = "the graph's IRI"),
        ("default" = Option<String>, Query, description = "present: the default graph"),
    ),
    request_body(description = "for PUT and POST: RDF, or multipart/form-data with one RDF file per part", content(
            (String = "text/turtle"), (String = "application/n-triples"), (String = "application/n-quads"),
            (String = "application/trig"), (String = "application/rdf+xml"), (String = "application/ld+json"),
        )),
    responses(
        GraphAnswer,
        (status = 201, description = "created (POST without a graph: with Location)"),
        (status = 204, description = "replaced, added to or deleted"),
        (status = 400, description = "a malformed graph IRI or body"),
        (status = 401, description = "a write without the right token"),
        (status = 404, description = "no such graph"),
        (status = 405, description = "not a Graph Store Protocol method"),
        (status = 406, description = "no acceptable representation"),
        (status = 415, description = "an unsupported Content-Type"),
    ),
    security((), ("bearer" = []))
)]
#[tracing::instrument(level = "debug", skip_all, fields(method = %request.method()))]
pub async fn handle_indirect(State(state): State<AppState>, request: Request) -> Response {
    let target = indirect_target(&request);
    respond(state, target, request).await
}

/// `/store/{path}` with direct identification: the graph IRI is the request URL.
#[utoipa::path(
    method(get, head, put, post, delete),
    path = "/store/{*path}",
    tag = "sparql",
    summary = "Graph Store Protocol, direct identification: the graph named by this URL, read, replaced, added to or deleted as on /store",
    params(("path" = String, Path, description = "the rest of the graph's URL")),
    request_body(description = "for PUT and POST: RDF", content(
            (String = "text/turtle"), (String = "application/n-triples"), (String = "application/n-quads"),
            (String = "application/trig"), (String = "application/rdf+xml"), (String = "application/ld+json"),
        )),
    responses(
        GraphAnswer,
        (status = 201, description = "created"),
        (status = 204, description = "replaced, added to or deleted"),
        (status = 401, description = "a write without the right token"),
        (status = 404, description = "no such graph"),
    ),
    security((), ("bearer" = []))
)]
#[tracing::instrument(level = "debug", skip_all, fields(method = %request.method()))]
pub async fn handle_direct(State(state): State<AppState>, request: Request) -> Response {
    let target = direct_target(&request);
    respond(state, target, request).await
}

async fn respond(state: AppState, target: Result<Target, ApiError>, request: Request) -> Response {
    let outcome = match target {
        Ok(target) => dispatch(state, target, request).await,
        Err(error) => Err(error),
    };
    outcome.unwrap_or_else(IntoResponse::into_response)
}

fn indirect_target(request: &Request) -> Result<Target, ApiError> {
    let mut graph = None;
    let mut default = false;
    for (name, value) in
        form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
    {
        match name.as_ref() {
            "graph" if graph.is_some() => {
                return Err(ApiError::BadRequest(
                    "name one graph per request (`graph` appears twice)".into(),
                ));
            }
            "graph" => graph = Some(value.into_owned()),
            "default" => default = true,
            _ => {}
        }
    }
    match (graph, default) {
        (Some(_), true) => Err(ApiError::BadRequest(
            "use either `?graph=IRI` or `?default`, not both".into(),
        )),
        (Some(iri), false) => Ok(Target::Graph(GraphName::NamedNode(
            NamedNode::new(&iri).map_err(|e| {
                ApiError::BadRequest(format!("`graph={iri}` is not an absolute IRI: {e}"))
            })?,
        ))),
        (None, true) => Ok(Target::Graph(GraphName::DefaultGraph)),
        (None, false) if request.method() == Method::POST => Ok(Target::NewGraph),
        (None, false) => Err(ApiError::BadRequest(
            "name the graph: `/store?graph=IRI`, `/store?default`, or a path under `/store/`"
                .into(),
        )),
    }
}

fn direct_target(request: &Request) -> Result<Target, ApiError> {
    let iri = format!("{}{}", origin(request.headers()), request.uri().path());
    let name = NamedNode::new(&iri)
        .map_err(|e| ApiError::BadRequest(format!("`{iri}` is not a valid graph IRI: {e}")))?;
    Ok(Target::Graph(GraphName::NamedNode(name)))
}

async fn dispatch(state: AppState, target: Target, request: Request) -> Result<Response, ApiError> {
    let method = request.method().clone();
    if method == Method::GET || method == Method::HEAD {
        return match target {
            Target::Graph(graph) => read_graph(state, graph, request).await,
            Target::NewGraph => Err(ApiError::MethodNotAllowed(format!(
                "{method} needs a graph: /store?graph=IRI or /store?default"
            ))),
        };
    }
    let account = authorize(
        &state.settings.write_access,
        request.headers(),
        Needs::Admin,
    )?;
    let note = crate::audit::Note {
        account: Some(account),
        action: match method {
            Method::PUT => "graph-store.put",
            Method::POST => "graph-store.post",
            Method::DELETE => "graph-store.delete",
            _ => "graph-store",
        },
        reports: Vec::new(),
        target: match &target {
            Target::Graph(graph) => Some(graph.to_string()),
            Target::NewGraph => None,
        },
    };
    let mut response = match write(state, method, target, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    let mut note = note;
    if note.target.is_none()
        && let Some(location) = response.headers().get(header::LOCATION)
    {
        note.target = location.to_str().ok().map(str::to_owned);
    }
    response.extensions_mut().insert(note);
    Ok(response)
}

/// A write to the store, once authorised.
async fn write(
    state: AppState,
    method: Method,
    target: Target,
    request: Request,
) -> Result<Response, ApiError> {
    match (method, target) {
        (Method::PUT, Target::Graph(graph)) => {
            write_graph(state, graph, request, Write::Replace).await
        }
        (Method::POST, Target::Graph(graph)) => {
            write_graph(state, graph, request, Write::Merge).await
        }
        (Method::POST, Target::NewGraph) => create_graph(state, request).await,
        (Method::DELETE, Target::Graph(graph)) => delete_graph(state, graph).await,
        (method, _) => Err(ApiError::MethodNotAllowed(format!(
            "{method} is not a Graph Store Protocol method; use GET, HEAD, PUT, POST or DELETE"
        ))),
    }
}

async fn read_graph(
    state: AppState,
    graph: GraphName,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format_param = form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "format")
        .map(|(_, value)| value.into_owned());
    let representation = negotiate(accept, format_param.as_deref(), GRAPHS)?;
    let Representation::Rdf(format) = representation else {
        unreachable!("GRAPHS offers RDF formats only");
    };
    let exists = {
        let (store, name) = (state.graph.clone(), graph.clone());
        blocking(&state, move || store.graph_exists(name.as_ref())).await??
    };
    if !exists {
        return Err(ApiError::NotFound(format!("no graph {graph} in the store")));
    }
    if request.method() == Method::HEAD {
        return Ok(([(header::CONTENT_TYPE, representation.content_type())], ()).into_response());
    }
    let store = state.graph.clone();
    stream_blocking(
        &state,
        representation.content_type(),
        move |out, _| store.write_graph(graph.as_ref(), format, out).map(drop),
        ApiError::from,
        Instant::now(),
    )
    .await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Replace,
    Merge,
}

async fn write_graph(
    state: AppState,
    graph: GraphName,
    request: Request,
    mode: Write,
) -> Result<Response, ApiError> {
    let base = match &graph {
        GraphName::NamedNode(name) => name.as_str().to_owned(),
        _ => format!("{}/store", origin(request.headers())),
    };
    let triples = read_payload(&state, request, base).await?;
    let store = state.graph.clone();
    let existed = blocking(&state, move || match mode {
        Write::Replace => store.replace_graph(&graph, &triples),
        Write::Merge => store.extend_graph(&graph, &triples),
    })
    .await??;
    Ok(if existed {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    }
    .into_response())
}

async fn create_graph(state: AppState, request: Request) -> Result<Response, ApiError> {
    let iri = format!("{}/store/{}", origin(request.headers()), fresh_id());
    let name = NamedNode::new(&iri)
        .map_err(|e| ApiError::BadRequest(format!("invalid Host header: {e}")))?;
    let triples = read_payload(&state, request, iri.clone()).await?;
    let store = state.graph.clone();
    let graph = GraphName::NamedNode(name);
    blocking(&state, move || store.replace_graph(&graph, &triples)).await??;
    let location = HeaderValue::from_str(&iri).expect("an IRI is a valid header value");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

async fn delete_graph(state: AppState, graph: GraphName) -> Result<Response, ApiError> {
    let store = state.graph.clone();
    let name = graph.clone();
    if blocking(&state, move || store.drop_graph(name.as_ref())).await?? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!("no graph {graph} in the store")))
    }
}

/// A new graph name, unique within this process and across restarts.
fn fresh_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "graph-{nanos:x}-{:x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Parses the request body (plain RDF or multipart) into triples; nothing is written yet.
async fn read_payload(
    state: &AppState,
    request: Request,
    base: String,
) -> Result<Vec<Triple>, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if conneg::media_type(&content_type) == "multipart/form-data" {
        return read_multipart(state, request, base).await;
    }
    let format = rdf_format(&content_type)?;
    let body = axum::body::to_bytes(request.into_body(), state.settings.max_body_bytes)
        .await
        .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
    blocking(state, move || parse_triples(&body, format, &base, None)).await?
}

async fn read_multipart(
    state: &AppState,
    request: Request,
    base: String,
) -> Result<Vec<Triple>, ApiError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("invalid multipart body: {e}")))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("invalid multipart body: {e}")))?
    {
        let name = field
            .file_name()
            .or(field.name())
            .unwrap_or("(unnamed part)")
            .to_owned();
        let format = match field.content_type() {
            Some(content_type) => rdf_format(content_type)?,
            None => crate::store::format_of_path(std::path::Path::new(&name)).ok_or_else(|| {
                ApiError::UnsupportedMediaType {
                    given: format!("part `{name}` without Content-Type"),
                    expected: rdf_media_types(),
                }
            })?,
        };
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(format!("invalid multipart part `{name}`: {e}")))?;
        parts.push((name, format, bytes));
    }
    blocking(state, move || {
        let mut triples = Vec::new();
        for (name, format, bytes) in parts {
            triples.extend(parse_triples(&bytes, format, &base, Some(&name))?);
        }
        Ok(triples)
    })
    .await?
}

fn rdf_format(content_type: &str) -> Result<RdfFormat, ApiError> {
    let media_type = conneg::media_type(content_type);
    crate::store::format_of_media_type(&media_type).ok_or_else(|| ApiError::UnsupportedMediaType {
        given: if content_type.is_empty() {
            "(none)".to_owned()
        } else {
            content_type.to_owned()
        },
        expected: rdf_media_types(),
    })
}

fn rdf_media_types() -> String {
    "text/turtle, application/n-triples, application/rdf+xml, application/ld+json, application/n-quads, application/trig, multipart/form-data".to_owned()
}

fn parse_triples(
    bytes: &Bytes,
    format: RdfFormat,
    base: &str,
    part: Option<&str>,
) -> Result<Vec<Triple>, ApiError> {
    crate::limits::check_rdf(bytes, format)?;
    let parser = RdfParser::from_format(format)
        .with_base_iri(base)
        .map_err(|e| ApiError::BadRequest(format!("invalid base IRI `{base}`: {e}")))?
        .without_named_graphs()
        .rename_blank_nodes();
    let triples = parser
        .for_slice(bytes.as_ref())
        .map(|quad| quad.map(Triple::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| match part {
            Some(part) => ApiError::BadRdf(format!("part `{part}`: {error}")),
            None => ApiError::BadRdf(error.to_string()),
        })?;
    for triple in &triples {
        if let Some(problem) = crate::links::problem(triple) {
            return Err(ApiError::BadRdf(format!(
                "{}{triple}: {problem}; nothing was written",
                part.map(|part| format!("part `{part}`: "))
                    .unwrap_or_default()
            )));
        }
    }
    Ok(triples)
}
