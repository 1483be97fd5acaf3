//! The HTTP interface: [`routes`] lists every route, each handler with its OpenAPI
//! description ([`openapi`]); [`router`] adds the layers; [`serve`] runs it on a listener.
//!
//! Handlers are async at the edge only: they cross over to the synchronous store through
//! [`blocking`], which runs the work in the [work pool](pool) under the request's deadline
//! and keeps its tracing span, or, for SPARQL queries, through `stream::answer`, which
//! answers quick queries on the spot and streams the others from the pool.

mod admin;
mod answers;
mod auth;
mod body;
mod conneg;
mod entity;
pub mod error;
mod export;
mod graph_store;
mod index;
pub mod metrics;
mod named;
pub mod openapi;
mod page;
mod params;
mod path;
pub mod pool;
mod reconcile;
mod reports;
mod search;
mod server;
mod service_description;
mod sparql;
mod stream;
mod watchdog;

use crate::config::HttpSettings;
use crate::queries::Queries;
use crate::store::Graph;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use error::ApiError;
pub use server::serve;
use std::io;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler can reach, shared: axum clones the state for every request and
/// every layer that reads it, so a clone is one count on one `Arc`, whatever it holds.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// The knowledge graph; cloning shares the same database.
    pub graph: Graph,
    /// The named queries, parsed once at startup.
    pub queries: Arc<Queries>,
    /// Write access, deadlines, limits.
    pub settings: Arc<HttpSettings>,
    /// The report loader behind `POST /api/reports`, kept between requests.
    pub reports: reports::SharedLoader,
    /// The search index, kept up to date by every write.
    pub search: crate::search::Live,
    /// The statistics, counted on write.
    pub statistics: crate::statistics::Statistics,
    /// Who is linked to whom, for the shortest chains between two entities.
    pub network: crate::network::Connections,
    /// The dataset's figures (triples, entities, classes, properties per graph), counted
    /// on write.
    pub figures: crate::figures::Figures,
    /// The server's own figures for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Entity and report pages rendered, dropped when a write touches what they show.
    pub pages: entity::PageCache,
    /// Queries known to take longer than an inline answer allows.
    pub slow_queries: Arc<stream::SlowQueries>,
    /// Queries parsed before, by text.
    pub parsed_queries: Arc<sparql::ParsedQueries>,
    /// Answers to SPARQL queries, kept until the next write.
    pub answers: Arc<answers::AnswerCache>,
    /// The threads that run expensive work, behind a queue fair between clients.
    pub pool: pool::WorkPool,
    /// The room left for bodies of clients without the write token.
    pub public_bodies: body::PublicBodies,
    /// Where every write is recorded.
    pub audit: Arc<crate::audit::Audit>,
    /// Held while a backup is taken: one at a time.
    pub backups: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// Waits until the indexes built at start (search, statistics, network) hold all of
    /// the store, for at most `limit` each; answers whether they do.
    pub fn wait_until_complete(&self, limit: std::time::Duration) -> bool {
        self.search.wait_until_complete(limit)
            && self.statistics.wait_until_complete(limit)
            && self.network.wait_until_complete(limit)
            && self.figures.wait_until_complete(limit)
    }

    /// State over `graph` with the bundled named queries; starts the work pool.
    pub fn new(graph: Graph, settings: HttpSettings) -> Result<Self, StateError> {
        let pool = pool::WorkPool::start(settings.pool).map_err(StateError::Pool)?;
        let answers = Arc::new(answers::AnswerCache::new(settings.answer_cache_bytes));
        let audit = match &settings.audit_log {
            Some(path) => crate::audit::Audit::open(path).map_err(|source| StateError::Audit {
                path: path.clone(),
                source,
            })?,
            None => crate::audit::Audit::none(),
        };
        Ok(Self(Arc::new(Shared {
            search: crate::search::Live::start(&graph),
            pages: entity::PageCache::new(&graph),
            statistics: crate::statistics::Statistics::start(&graph),
            network: crate::network::Connections::start(&graph),
            figures: crate::figures::Figures::start(&graph),
            metrics: Arc::new(metrics::Metrics::default()),
            graph,
            queries: Arc::new(Queries::parse()?),
            settings: Arc::new(settings),
            reports: reports::SharedLoader::default(),
            slow_queries: Arc::default(),
            parsed_queries: Arc::default(),
            answers,
            pool,
            public_bodies: body::PublicBodies::default(),
            audit: Arc::new(audit),
            backups: Arc::default(),
        })))
    }
}

/// Why the server's state could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A bundled named query does not parse (a build defect).
    #[error("the bundled named queries: {0}")]
    Queries(#[from] crate::queries::QueriesError),
    /// The work pool's threads could not be started.
    #[error("cannot start the work pool: {0}")]
    Pool(io::Error),
    /// The audit log cannot be opened for appending.
    #[error("cannot open the audit log {}: {source}; name a writable file with --audit-log", path.display())]
    Audit {
        path: std::path::PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Every route of the server, each handler mounted at the path its `#[utoipa::path]`
/// describes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    // The Graph Store Protocol answers other methods itself, with what it accepts.
    let (schemas, paths, indirect) = routes!(graph_store::handle_indirect);
    let indirect = (
        schemas,
        paths,
        indirect.fallback(graph_store::handle_indirect),
    );
    let (schemas, paths, direct) = routes!(graph_store::handle_direct);
    let direct = (schemas, paths, direct.fallback(graph_store::handle_direct));
    OpenApiRouter::with_openapi(openapi::frame())
        .routes(routes!(index::home))
        .routes(routes!(index::listing))
        .routes(routes!(health))
        .routes(routes!(metrics::metrics))
        .routes(routes!(sparql::get_sparql, sparql::post_sparql))
        .routes(routes!(sparql::get_sparql_slash, sparql::post_sparql_slash))
        .routes(indirect)
        .routes(direct)
        .routes(routes!(reports::context))
        .routes(routes!(page::editor_script))
        .routes(routes!(page::yasgui_script))
        .routes(routes!(page::yasgui_stylesheet))
        .routes(routes!(page::suggest_script))
        .routes(routes!(page::stylesheet))
        .routes(routes!(reports::list_all, reports::post))
        .routes(routes!(reports::get_one, reports::delete))
        .routes(routes!(entity::entity))
        .routes(routes!(entity::report))
        .routes(routes!(search::api))
        .routes(routes!(index::api_statistics))
        .routes(routes!(search::page))
        .routes(routes!(path::api))
        .routes(routes!(path::page))
        .routes(routes!(named::list))
        .routes(routes!(named::run))
        .routes(routes!(named::form))
        .routes(routes!(reconcile::service, reconcile::service_form))
        .routes(routes!(reconcile::suggest_entity))
        .routes(routes!(reconcile::suggest_type))
        .routes(routes!(reconcile::suggest_property))
        .routes(routes!(reconcile::propose_properties))
        .routes(routes!(reconcile::preview))
        .routes(routes!(export::api))
        .routes(routes!(admin::backup))
        .routes(routes!(openapi::openapi_json))
}

/// The server: [`routes`] with the layers every request passes through.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    let (router, _) = routes().split_for_parts();
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(body_limit))
        // The log span of a request, inside the one middleware of our own that every
        // request passes (each `from_fn` layer costs a boxed service per request, and
        // tower-http's request-id layers cost a fifth of the entity lookups' throughput
        // in bench/run.sh): it gives the request its id before the span is made.
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            around_request,
        ))
        .layer(cors())
        .with_state(state)
}

/// The header carrying a request's id, in the request and in its answer.
pub const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// The request's id: the client's `X-Request-Id` when it is 1 to 64 letters, digits, `.`,
/// `_`, `-`, else a new one ([`new_request_id`]); its log lines, its audit lines and its
/// answer carry it.
fn request_id(request: &mut axum::extract::Request) -> axum::http::HeaderValue {
    let given = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| value.to_str().is_ok_and(crate::accounts::is_account_name))
        .cloned();
    let id = given.unwrap_or_else(|| {
        axum::http::HeaderValue::try_from(new_request_id()).expect("ids are plain ASCII")
    });
    request.headers_mut().insert(REQUEST_ID, id.clone());
    id
}

/// A new request id: this process's random start, then a count (`5f0c9a1e00000007`).
fn new_request_id() -> String {
    static START: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let start = START.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        nanos ^ std::process::id().rotate_left(16)
    });
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{start:08x}{count:08x}")
}

/// The span of a request, named by its id, so that every line logged for it names it.
/// Only the id: the span's fields are written out for every request, logged or not, and
/// the method and route are in the lines that need them (the audit log's, the writes').
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", id = %id)
}

/// What the audit log names a request by: its id, method and route.
struct Asked {
    id: String,
    method: String,
    route: String,
}

impl Asked {
    fn of(request: &axum::extract::Request, id: &axum::http::HeaderValue) -> Self {
        Self {
            id: id.to_str().unwrap_or_default().to_owned(),
            method: request.method().to_string(),
            route: request.uri().path().to_owned(),
        }
    }
}

/// Records a write in the audit log, as its handler described it in the answer's
/// [`crate::audit::Note`], with the request's id, method, route and status.
async fn audit_trail(state: &AppState, asked: Option<Asked>, response: Response) -> Response {
    let (Some(asked), Some(note)) = (
        asked,
        response.extensions().get::<crate::audit::Note>().cloned(),
    ) else {
        return response;
    };
    let status = response.status().as_u16();
    // Outside the request's span (made inside this middleware): in one of its own.
    tracing::info_span!("request", id = %asked.id).in_scope(|| {
        tracing::info!(
            action = note.action,
            account = note.account.as_ref().map(|account| account.name.as_str()),
            status,
            "write"
        );
    });
    // Written (and synced) off the event loop, before the answer leaves.
    let audit = state.audit.clone();
    let written = tokio::task::spawn_blocking(move || {
        let request = crate::audit::Request {
            id: &asked.id,
            method: &asked.method,
            route: &asked.route,
            status,
        };
        audit.record(&note, request);
    })
    .await;
    if let Err(error) = written {
        tracing::error!(%error, "the audit log was not written");
    }
    response
}

/// Gives the request its deadline, which all the work it hands to the pool shares, and
/// its answer the security headers; an error answered to a browser becomes a page.
async fn around_request(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let id = request_id(&mut request);
    let browser = wants_page(request.headers()).then(|| {
        let query = request.uri().query().map(str::to_owned);
        entity::language_of_query(query.as_deref(), request.headers())
    });
    let mut response = match auth::refused_when_private(&state.settings, &request) {
        Some(refused) => refused,
        None => {
            // Only writes are audited, and no write is a GET or a HEAD.
            let asked = (!matches!(*request.method(), Method::GET | Method::HEAD))
                .then(|| Asked::of(&request, &id));
            let work = async {
                let response = next.run(request).await;
                audit_trail(&state, asked, response).await
            };
            pool::within(state.settings.query_timeout, work).await
        }
    };
    if let Some(language) = browser {
        response = error_page(response, language).await;
    }
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(axum::http::HeaderValue::from_static(value));
    }
    headers.insert(REQUEST_ID, id);
    response
}

/// Any address no route serves.
async fn unknown_route(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "nothing is served at {}; /openapi.json lists every route",
        uri.path()
    ))
}

/// Whether a request comes from a browser showing pages: it asks for HTML before anything
/// else (`Accept: text/html,...`).
fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.trim_start().starts_with("text/html"))
}

/// The longest error message turned into a page; longer ones stay as they are.
const MAX_ERROR_PAGE_MESSAGE: usize = 16 * 1024;

/// An error answered in plain text, as a page in `language` with the same status and
/// headers; any other answer as it is.
async fn error_page(response: Response, language: crate::views::Lang) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    // Error messages are written whole, so their length is known before they are read.
    let short = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|length| length <= MAX_ERROR_PAGE_MESSAGE as u64);
    if !(status.is_client_error() || status.is_server_error()) || !plain || !short {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_PAGE_MESSAGE).await else {
        return (status, "the error's message could not be read\n").into_response();
    };
    let message = String::from_utf8_lossy(&bytes).trim().to_owned();
    let heading = crate::views::pages::error_heading(status.as_u16(), language);
    let page = crate::views::pages::render(&crate::views::pages::ErrorTemplate {
        layout: crate::views::pages::Layout::new(language, heading, "/", ""),
        status: status.as_u16(),
        heading,
        message,
    });
    parts.headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(page))
}

/// What every answer tells the browser: scripts and styles only from this server, and no
/// inline script (pages keep their scripts in files); never framed by another site; no
/// guessing of content types; no address of a spyatlas page sent to the sites it links.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Reads are open to any origin; writes still need the bearer token.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::ACCEPT, header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::LOCATION, header::CONTENT_TYPE])
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// `GET /health`: 200 when the store can be read. The embedded store is read on the event
/// loop (one quad takes microseconds), so that it answers even when the work pool is
/// full; a remote store is asked on a thread of its own, for at most `HEALTH_TIMEOUT`.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    summary = "200 when the store can be read",
    responses(
        (status = 200, description = "ok", content_type = "text/plain"),
        (status = 500, description = "the store cannot be read"),
        (status = 502, description = "the remote SPARQL store refused the check"),
        (status = 503, description = "the remote SPARQL store does not answer (in time)"),
    )
)]
async fn health(State(state): State<AppState>) -> Response {
    let checked = if state.graph.is_remote() {
        let graph = state.graph.clone();
        // Under a deadline of its own, as a request's work: it does not wait long.
        let token = oxigraph::sparql::CancellationToken::new();
        let check = tokio::task::spawn_blocking(move || {
            crate::store::with_cancellation(&token, || graph.check_readable())
        });
        match tokio::time::timeout(HEALTH_TIMEOUT, check).await {
            Ok(Ok(checked)) => checked,
            Ok(Err(_)) | Err(_) => {
                return ApiError::Upstream {
                    message: format!(
                        "the SPARQL store behind this server did not answer within {} s",
                        HEALTH_TIMEOUT.as_secs()
                    ),
                    unreachable: true,
                }
                .into_response();
            }
        }
    } else {
        state.graph.check_readable()
    };
    match checked {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The longest `/health` waits for a remote store.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs synchronous store work in the work pool, in the caller's tracing span, under the
/// request deadline (`--query-timeout`): every query the work evaluates through
/// [`Graph::evaluator`] stops when it passes. A full queue, a client past its allowance,
/// or the deadline answer an error at once.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let span = tracing::Span::current();
    Ok(state
        .pool
        .run(state.settings.query_timeout, move || span.in_scope(work))
        .await?)
}

/// `http://host[:port]` as the client addressed this server.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty() && !host.contains(['/', ' ', '<', '>', '"']))
        .unwrap_or("localhost");
    format!("http://{host}")
}
