//! [`ApiError`]: everything a request can fail with, and the status each one maps to.

use super::pool::PoolError;
use crate::limits::LimitError;
use crate::queries::ParamError;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::sparql::{QueryEvaluationError, SparqlSyntaxError};
use std::time::Duration;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request misuses the protocol (two queries, a query and an update, no query...).
    #[error("{0}")]
    BadRequest(String),
    /// The query or update does not parse; the message carries line and column.
    #[error("invalid SPARQL: {0}")]
    BadSparql(#[from] SparqlSyntaxError),
    /// The input breaks one of the server's limits (size, nesting, depth).
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// An RDF payload does not parse.
    #[error("invalid RDF payload: {0}")]
    BadRdf(String),
    /// A named-query parameter is unknown or malformed.
    #[error(transparent)]
    BadParam(#[from] ParamError),
    /// No representation the client accepts can be produced.
    #[error(
        "none of the media types in `Accept: {accept}` can be produced here; available: {available}"
    )]
    NotAcceptable { accept: String, available: String },
    /// The request body has a media type this route does not take.
    #[error("unsupported request Content-Type `{given}`; send one of: {expected}")]
    UnsupportedMediaType { given: String, expected: String },
    /// No token, or one the server does not know, where `needed` is required.
    #[error("{}", unauthorized(.needed, .presented))]
    Unauthorized {
        needed: crate::accounts::Role,
        presented: bool,
    },
    /// A known account whose role does not allow what it asked.
    #[error("the account `{account}` has the {role} role; this needs the {needed} role ({}): ask the server's operator", .needed.grants())]
    Forbidden {
        account: String,
        role: crate::accounts::Role,
        needed: crate::accounts::Role,
    },
    /// A write on a server that has no accounts.
    #[error(
        "writes are disabled on this server: start it with `--tokens-file FILE` (accounts made by `spyatlas token`) or `--write-token TOKEN`, and send `Authorization: Bearer TOKEN`"
    )]
    WritesDisabled,
    /// A write on a server started with `--read-only`.
    #[error("this server is read-only (started with --read-only)")]
    ReadOnly,
    /// The store's disk is (nearly) full: nothing was written.
    #[error("{0}")]
    InsufficientStorage(String),
    /// The request body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The server cannot take the request now.
    #[error("{0}")]
    Busy(String),
    /// The route does not take this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// What the request would make exists already.
    #[error("{0}")]
    Conflict(String),
    /// The query ran past its deadline and was cancelled.
    #[error("the query did not finish within {} s and was cancelled; make it more selective (LIMIT, narrower patterns) or ask the operator to raise --query-timeout", .0.as_secs())]
    Timeout(Duration),
    /// The request's work was stopped at its deadline.
    #[error(
        "the request ran past its deadline and was stopped; narrow it, or ask the operator to raise --query-timeout"
    )]
    Stopped,
    /// The evaluation needed more memory than one request may hold.
    #[error("the query needed more than {} MB of memory and was stopped; make it more selective (LIMIT, narrower patterns, fewer sorted or grouped rows) or ask the operator to raise --query-memory-mb", .0 / (1024 * 1024))]
    MemoryLimit(usize),
    /// The work pool did not take or finish the request.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The remote SPARQL store failed; the message says what became of the request.
    #[error("{message}")]
    Upstream { message: String, unreachable: bool },
    /// `SERVICE` was used: federated calls are disabled.
    #[error("SERVICE calls are disabled on this endpoint (it does not fetch remote URLs): {0}")]
    ServiceDisabled(String),
    /// Anything else: a defect or a storage failure; details stay in the log.
    #[error(transparent)]
    Store(StoreError),
}

/// The message of [`ApiError::Unauthorized`].
fn unauthorized(needed: &crate::accounts::Role, presented: &bool) -> String {
    format!(
        "{}: this needs the token of an account with the {needed} role ({}), sent as `Authorization: Bearer TOKEN`",
        if *presented {
            "the token sent is not one of this server's"
        } else {
            "no token was sent"
        },
        needed.grants()
    )
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Evaluation(
                error @ (QueryEvaluationError::Service(_)
                | QueryEvaluationError::UnsupportedService(_)
                | QueryEvaluationError::UnboundService
                | QueryEvaluationError::InvalidServiceName(_)),
            ) => Self::ServiceDisabled(error.to_string()),
            StoreError::Cancelled => Self::Stopped,
            error @ StoreError::DiskFull { .. } => Self::InsufficientStorage(error.to_string()),
            StoreError::Storage(error) if is_disk_full(&error) => Self::InsufficientStorage(
                "the disk holding the store is full; nothing was written: free some space".into(),
            ),
            StoreError::MemoryLimit(bytes) => Self::MemoryLimit(bytes),
            StoreError::Remote(error) => {
                tracing::error!(%error, "the remote store failed");
                Self::Upstream {
                    message: error.for_clients(),
                    unreachable: error.is_unreachable(),
                }
            }
            error => Self::Store(error),
        }
    }
}

/// Whether a storage failure is the disk running out of space.
pub fn is_disk_full(error: &oxigraph::store::StorageError) -> bool {
    match error {
        oxigraph::store::StorageError::Io(error) => error.kind() == std::io::ErrorKind::StorageFull,
        error => {
            let message = error.to_string();
            message.contains("No space left") || message.contains("NoSpace")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) | Self::BadSparql(_) | Self::BadRdf(_) | Self::BadParam(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::ServiceDisabled(_) => StatusCode::BAD_REQUEST,
            Self::Limit(LimitError::Size { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Limit(_) => StatusCode::BAD_REQUEST,
            Self::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } | Self::WritesDisabled | Self::ReadOnly => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout(_) | Self::Stopped | Self::MemoryLimit(_) | Self::Busy(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Upstream {
                unreachable: true, ..
            } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Self::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Pool(PoolError::ClientBusy { .. } | PoolError::RateLimited { .. }) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::Pool(PoolError::Busy { .. } | PoolError::Timeout(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Pool(PoolError::Lost) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error()
            && status != StatusCode::SERVICE_UNAVAILABLE
            && status != StatusCode::INSUFFICIENT_STORAGE
            && status != StatusCode::BAD_GATEWAY
        {
            tracing::error!(error = %self, "request failed");
            return (status, "internal error; the server log has the details\n").into_response();
        }
        let refusal = match &self {
            Self::Timeout(_) | Self::Stopped | Self::Pool(PoolError::Timeout(_)) => {
                Some(super::metrics::Refusal::Deadline)
            }
            Self::MemoryLimit(_) => Some(super::metrics::Refusal::Memory),
            Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::WritesDisabled
            | Self::ReadOnly => Some(super::metrics::Refusal::Unauthorized),
            Self::InsufficientStorage(_) => Some(super::metrics::Refusal::Disk),
            _ => None,
        };
        let retry_after = match &self {
            Self::Pool(error) => error.retry_after(),
            Self::Timeout(_) | Self::Stopped | Self::MemoryLimit(_) | Self::Busy(_) => {
                Some(Duration::from_secs(1))
            }
            Self::Upstream {
                unreachable: true, ..
            } => Some(Duration::from_secs(5)),
            _ => None,
        };
        // A write refused for want of a token or a role is recorded as any write is.
        let refused_write = match &self {
            Self::Unauthorized { needed, .. } => {
                (*needed > crate::accounts::Role::Read).then(crate::audit::Note::default)
            }
            Self::Forbidden { account, role, .. } => Some(crate::audit::Note {
                account: Some(crate::accounts::Account {
                    name: account.clone(),
                    role: *role,
                }),
                ..crate::audit::Note::default()
            }),
            Self::WritesDisabled | Self::ReadOnly => Some(crate::audit::Note::default()),
            _ => None,
        };
        let mut response = (status, format!("{self}\n")).into_response();
        if let Some(refusal) = refusal {
            response.extensions_mut().insert(refusal);
        }
        if let Some(note) = refused_write {
            response.extensions_mut().insert(crate::audit::Note {
                action: "refused",
                ..note
            });
        }
        if let Some(retry_after) = retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"spyatlas\""),
            );
        }
        response
    }
}
