//! `/api/reports`: load a report (`POST`), list them (`GET`), read one as JSON or RDF
//! (`GET /api/reports/{slug}`), retract one (`DELETE /api/reports/{slug}`); and the JSON-LD
//! context report documents use, at `/context.jsonld`.
//!
//! Loading goes through the same [`Loader`] as `spyatlas load`: parse → resolve entities →
//! validate → write in one transaction. Errors answer 400 (syntax, with line and column),
//! 415 (a Content-Type that is neither a report document nor RDF) or 422 (a list of
//! problems: entity, property, message, line), and write nothing.

use super::auth::{Needs, authorize};
use super::body::{self, Sender};
use super::conneg::{self, GRAPHS, Representation, negotiate};
use super::error::ApiError;
use super::error::is_disk_full;
use super::params::Params;
use super::stream::stream_blocking;
use super::{AppState, blocking};
use crate::bundled;
use crate::ingest::report::{self, Outcome};
use crate::ingest::{Loader, ReportError, ReportResult, check_limits, kind_of_media_type};
use crate::store::{Graph, StoreError};
use crate::vocab;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{GraphNameRef, NamedNode, Term};
use oxigraph::sparql::QueryResults;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use utoipa::{IntoParams, ToSchema};

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
#[utoipa::path(
    get,
    path = "/context.jsonld",
    tag = "reports",
    summary = "The JSON-LD context of report documents",
    responses((status = 200, description = "the context", content_type = "application/ld+json"))
)]
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

/// The query string of `POST /api/reports`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoadParams {
    /// true: validate only, write nothing (no token needed).
    #[serde(rename = "dry-run")]
    dry_run: Option<bool>,
}

/// The query string of `GET /api/reports/{slug}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// A representation by name (json, turtle, jsonld, nt, nq, trig), overriding `Accept`.
    format: Option<String>,
}

/// `POST /api/reports`: loads the report(s) in the body. `?dry-run=true` validates only.
#[utoipa::path(
    post,
    path = "/api/reports",
    tag = "reports",
    summary = "Load a report: parsed, linked to known entities, validated, written whole or not at all",
    params(LoadParams),
    request_body(description = "a report document (YAML or JSON-LD, see docs/reports.md) or RDF", content(
        (String = "application/yaml"), (String = "application/ld+json"),
        (String = "application/n-quads"), (String = "application/trig"), (String = "text/turtle"),
        (String = "application/n-triples"), (String = "application/rdf+xml"),
    )),
    responses(
        (status = 200, description = "unchanged, replaced or valid", body = LoadAnswer),
        (status = 201, description = "loaded, with Location", body = LoadAnswer),
        (status = 400, description = "syntax error, with line and column", body = LoadAnswer),
        (status = 401, description = "wrong token"),
        (status = 403, description = "writes disabled"),
        (status = 415, description = "unsupported Content-Type"),
        (status = 422, description = "violations: entity, property, message, line", body = LoadAnswer),
    ),
    security(("bearer" = []))
)]
pub async fn post(
    State(state): State<AppState>,
    Params(params): Params<LoadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let dry_run = params.dry_run.unwrap_or(false);
    // Checked before the body is read: a write without the token costs nothing.
    let authorized = authorize(&state.settings.write_access, &headers, Needs::Write);
    let (sender, account) = match authorized {
        Ok(account) => (Sender::Writer, Some(account)),
        Err(error) if !dry_run => return Err(error),
        Err(_) => (
            Sender::Public {
                limit: state.settings.max_public_body_bytes,
                flag: "--max-public-body-mb",
            },
            None,
        ),
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
    let by = account.as_ref().map(crate::accounts::Account::iri);
    let results = blocking(&state, move || {
        // Input beyond the limits is refused before the loader, whose first use reads the
        // store's entities, is involved.
        if let Err(error) = check_limits(&body, kind) {
            return Ok(vec![ReportResult {
                origin: "request body".into(),
                slug: None,
                triples: 0,
                content_hash: None,
                outcome: Err(error),
            }]);
        }
        loader.with(&graph, |loader| {
            loader.set_dry_run(dry_run);
            loader.set_attribution(by);
            let results = loader.load_bytes("request body", &body, kind);
            loader.set_dry_run(false);
            loader.set_attribution(None);
            results
        })
    })
    .await?
    .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    for result in &results {
        state.metrics.loaded(result.outcome_name());
    }
    let note = (!dry_run).then(|| crate::audit::Note {
        account,
        action: "report.load",
        reports: results.iter().map(crate::audit::ReportNote::of).collect(),
        target: None,
    });
    let mut response = respond(results);
    if let Some(note) = note {
        response.extensions_mut().insert(note);
    }
    let status = response.status();
    if status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY {
        response
            .extensions_mut()
            .insert(super::metrics::Refusal::Invalid);
    } else if status == StatusCode::INSUFFICIENT_STORAGE {
        response
            .extensions_mut()
            .insert(super::metrics::Refusal::Disk);
    }
    Ok(response)
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
        Some(ReportError::Store(StoreError::Remote(error))) => {
            tracing::error!(%error, "loading a report failed on the remote store");
            if error.is_unreachable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_GATEWAY
            }
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
    let location = match results.as_slice() {
        [only] if status == StatusCode::CREATED => only
            .slug
            .as_ref()
            .map(|slug| format!("/api/reports/{slug}")),
        _ => None,
    };
    let mut bodies: Vec<LoadResult> = results.iter().map(LoadResult::of).collect();
    let body = if bodies.len() == 1 {
        LoadAnswer::One(bodies.remove(0))
    } else {
        LoadAnswer::Several { reports: bodies }
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(location) = location
        && let Ok(value) = location.parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The answer to a load: one document's result, or the list of several.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoadAnswer {
    One(LoadResult),
    Several { reports: Vec<LoadResult> },
}

/// What loading one report document did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadResult {
    /// The slug; null when the document could not be read.
    report: Option<String>,
    iri: Option<String>,
    triples: usize,
    outcome: LoadOutcome,
    /// What kind of failure, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<LoadError>,
    /// What went wrong and how to fix it, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// Where a syntax error is.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u64>,
    /// The rules the report breaks, when it is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    violations: Option<Vec<report::Problem>>,
}

/// The outcome of loading a report.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoadOutcome {
    /// A report that was not in the store.
    Loaded,
    /// The identical report was already there; nothing was written.
    Unchanged,
    /// A changed report replaced its previous revision.
    Replaced,
    /// Valid, not written (a dry run).
    Valid,
    /// Nothing was written.
    Failed,
}

/// Why a load failed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadError {
    Syntax,
    Invalid,
    Structure,
    DiskFull,
    /// The remote SPARQL store failed (see the message for what became of the write).
    Store,
    Internal,
}

impl LoadResult {
    fn of(result: &ReportResult) -> LoadResult {
        let mut answer = LoadResult {
            report: result.slug.clone(),
            iri: result
                .slug
                .as_ref()
                .map(|slug| format!("{}{slug}", vocab::REPORT_NAMESPACE)),
            triples: result.triples,
            outcome: LoadOutcome::Failed,
            error: None,
            message: None,
            line: None,
            column: None,
            violations: None,
        };
        let error = match &result.outcome {
            Ok(outcome) => {
                answer.outcome = match outcome {
                    Outcome::Loaded => LoadOutcome::Loaded,
                    Outcome::Unchanged => LoadOutcome::Unchanged,
                    Outcome::Replaced => LoadOutcome::Replaced,
                    Outcome::Valid => LoadOutcome::Valid,
                };
                return answer;
            }
            Err(error) => error,
        };
        let (kind, message) = match error {
            ReportError::Syntax {
                line,
                column,
                message,
            } => {
                answer.line = Some(*line);
                answer.column = Some(*column);
                (LoadError::Syntax, format!("{line}:{column}: {message}"))
            }
            ReportError::Invalid(problems) => {
                answer.violations = Some(problems.clone());
                (
                    LoadError::Invalid,
                    format!(
                        "the report breaks {} rule{}; nothing was written",
                        problems.len(),
                        if problems.len() == 1 { "" } else { "s" }
                    ),
                )
            }
            ReportError::Structure(message) | ReportError::UnknownFormat(message) => {
                (LoadError::Structure, message.clone())
            }
            ReportError::Store(error @ StoreError::DiskFull { .. }) => {
                (LoadError::DiskFull, error.to_string())
            }
            ReportError::Store(StoreError::Storage(error)) if is_disk_full(error) => (
                LoadError::DiskFull,
                "the disk holding the store is full; nothing was written: free some space".into(),
            ),
            ReportError::Store(StoreError::Remote(error)) => {
                (LoadError::Store, error.for_clients())
            }
            _ => (
                LoadError::Internal,
                "internal error; the server log has the details".into(),
            ),
        };
        answer.error = Some(kind);
        answer.message = Some(message);
        answer
    }
}

/// The loaded reports, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportList {
    count: usize,
    reports: Vec<ReportSummary>,
}

/// A loaded report and its provenance; fields the report does not give are null.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = Report)]
pub struct ReportSummary {
    slug: String,
    iri: String,
    title: Option<String>,
    label: Option<String>,
    /// Class IRIs.
    types: Vec<String>,
    publisher: Option<String>,
    publisher_label: Option<String>,
    issued: Option<String>,
    language: Option<String>,
    /// Where the original is published.
    url: Option<String>,
    loaded_at: Option<String>,
    /// When a changed revision replaced the previous one.
    modified: Option<String>,
    revision: Option<u64>,
    triples: Option<u64>,
    /// SHA-256 of the report's canonical N-Quads (RDFC-1.0).
    content_hash: Option<String>,
    /// The account that loaded this revision (null: the bundled data, or the command
    /// line).
    loaded_by: Option<String>,
    /// Every revision, newest first (in the answer about one report only).
    #[serde(skip_serializing_if = "Option::is_none")]
    revisions: Option<Vec<Revision>>,
    links: ReportLinks,
}

/// One revision of a report: when it was loaded, its content's hash, and by whom.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Revision {
    revision: u64,
    loaded_at: Option<String>,
    content_hash: Option<String>,
    /// The account that loaded it (null: the bundled data, or the command line).
    loaded_by: Option<String>,
}

/// The account named by an account IRI.
fn account_name(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(node)) => Some(
            node.as_str()
                .strip_prefix(vocab::ACCOUNT_NAMESPACE)
                .unwrap_or(node.as_str())
                .to_owned(),
        ),
        _ => None,
    }
}

/// The revisions of the report `iri`, newest first.
fn revisions(graph: &Graph, iri: &NamedNode) -> Result<Vec<Revision>, ApiError> {
    let rows =
        crate::lookups::REPORT_REVISIONS.rows(graph, &[("report", iri.clone().into())], 100_000)?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let text = |name: &str| match row.get(name) {
                Some(Term::Literal(literal)) => Some(literal.value().to_owned()),
                _ => None,
            };
            Some(Revision {
                revision: text("revision")?.parse().ok()?,
                loaded_at: text("loadedAt"),
                content_hash: text("hash"),
                loaded_by: account_name(row.get("by")),
            })
        })
        .collect())
}

/// Where a report's metadata and graph are.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportLinks {
    #[serde(rename = "self")]
    this: String,
    rdf: String,
}

fn list(graph: &Graph, filter: Option<&NamedNode>) -> Result<Vec<ReportSummary>, ApiError> {
    let bindings: Vec<(&str, Term)> = filter
        .map(|iri| ("report", iri.clone().into()))
        .into_iter()
        .collect();
    let QueryResults::Solutions(solutions) = graph.query(
        crate::lookups::REPORT_LISTING.prepare(&bindings),
        crate::store::Dataset::Stored,
    )?
    else {
        unreachable!("a SELECT query");
    };
    let mut reports = Vec::new();
    for solution in solutions {
        let solution =
            solution.map_err(|error| ApiError::from(crate::store::StoreError::from(error)))?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::Literal(literal)) => Some(literal.value().to_owned()),
            Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
            _ => None,
        };
        let number = |name: &str| match solution.get(name) {
            Some(Term::Literal(literal)) => literal.value().parse::<u64>().ok(),
            _ => None,
        };
        let Some(Term::NamedNode(iri)) = solution.get("report") else {
            continue;
        };
        let slug = iri
            .as_str()
            .strip_prefix(vocab::REPORT_NAMESPACE)
            .unwrap_or(iri.as_str());
        // Sorted: GROUP_CONCAT's order is the engine's.
        let types: Vec<String> = match solution.get("types") {
            Some(Term::Literal(literal)) => literal
                .value()
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        reports.push(ReportSummary {
            slug: slug.to_owned(),
            iri: iri.as_str().to_owned(),
            title: text("title"),
            label: text("label"),
            types,
            publisher: text("publisher"),
            publisher_label: text("publisherLabel"),
            issued: text("issued"),
            language: text("language"),
            url: text("url"),
            loaded_at: text("loadedAt"),
            modified: text("modified"),
            revision: number("revision"),
            triples: number("triples"),
            content_hash: text("hash"),
            loaded_by: account_name(solution.get("by")),
            revisions: None,
            links: ReportLinks {
                this: format!("/api/reports/{slug}"),
                rdf: format!("/api/reports/{slug}?format=trig"),
            },
        });
    }
    Ok(reports)
}

/// `GET /api/reports`: every loaded report, newest first.
#[utoipa::path(
    get,
    path = "/api/reports",
    tag = "reports",
    summary = "The loaded reports, with their metadata and triple counts",
    responses((status = 200, description = "the list", body = ReportList))
)]
pub async fn list_all(State(state): State<AppState>) -> Result<Json<ReportList>, ApiError> {
    let graph = state.graph.clone();
    let reports = blocking(&state, move || list(&graph, None)).await??;
    Ok(Json(ReportList {
        count: reports.len(),
        reports,
    }))
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
#[utoipa::path(
    get,
    path = "/api/reports/{slug}",
    tag = "reports",
    summary = "One report: its metadata as JSON, or its graph in RDF",
    params(("slug" = String, Path, description = "the report's slug"), ReportParams),
    responses(
        (status = 200, description = "the report", content(
            (ReportSummary = "application/json"), (String = "text/turtle"),
            (String = "application/n-quads"), (String = "application/trig"),
            (String = "application/ld+json"),
        )),
        (status = 404, description = "no such report"),
        (status = 406, description = "no acceptable representation"),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Params(params): Params<ReportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iri = report_iri(&slug)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = params.format;
    let mut offered: Vec<(&str, Representation)> = vec![("application/json", Representation::Json)];
    offered.extend_from_slice(GRAPHS);
    let representation = match format.as_deref() {
        Some("json") => Representation::Json,
        other => negotiate(accept, other, &offered)?,
    };
    let graph = state.graph.clone();
    let found = {
        let (graph, iri) = (graph.clone(), iri.clone());
        blocking(&state, move || {
            let mut found = list(&graph, Some(&iri))?;
            if let Some(summary) = found.first_mut() {
                summary.revisions = Some(revisions(&graph, &iri)?);
            }
            Ok::<_, ApiError>(found)
        })
        .await??
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
        _ => Ok(Json(summary).into_response()),
    }
}

/// `DELETE /api/reports/{slug}`: removes the report's graph (claims and metadata) at once.
#[utoipa::path(
    delete,
    path = "/api/reports/{slug}",
    tag = "reports",
    summary = "Retract a report: its graph, claims and metadata, at once",
    params(("slug" = String, Path, description = "the report's slug")),
    responses(
        (status = 204, description = "retracted"),
        (status = 401, description = "wrong token"),
        (status = 403, description = "writes disabled"),
        (status = 404, description = "no such report"),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let account = authorize(&state.settings.write_access, &headers, Needs::Write)?;
    let iri = report_iri(&slug)?;
    let graph = state.graph.clone();
    let removed = blocking(&state, move || {
        let hash = report::stored_hash(&graph, iri.as_ref())?;
        report::remove(&graph, iri.as_ref()).map(|removed| (removed, hash))
    })
    .await?;
    let note = |outcome, content_hash| crate::audit::Note {
        account: Some(account.clone()),
        action: "report.retract",
        reports: vec![crate::audit::ReportNote {
            slug: Some(slug.clone()),
            content_hash,
            outcome,
        }],
        target: None,
    };
    let mut response = match removed {
        Ok((true, hash)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.extensions_mut().insert(note("retracted", hash));
            return Ok(response);
        }
        Ok((false, _)) => ApiError::NotFound(format!(
            "no report `{slug}` is loaded; GET /api/reports lists the reports"
        ))
        .into_response(),
        Err(error) => ApiError::BadRequest(error.to_string()).into_response(),
    };
    response.extensions_mut().insert(note("failed", None));
    Ok(response)
}
