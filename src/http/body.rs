//! Reading request bodies within their limits, after the request's access is known.
//!
//! Handlers take the body unread (`axum::body::Body`) and read it here once they have
//! checked what they can from the headers: a write without the right token is refused
//! before a byte of its body is read. A body from a client without the write token (a
//! SPARQL query sent by POST, a report sent for a dry run) has a smaller limit, and the
//! bytes of all such bodies being read at once are bounded, so that many anonymous
//! uploads cannot fill the memory.

use super::AppState;
use super::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bytes of bodies from clients without the write token that may be held at once.
const PUBLIC_BYTES_IN_FLIGHT: usize = 128 * 1024 * 1024;

/// The unit in which the public allowance is counted.
const UNIT: usize = 1024;

/// Who sends a body, which sets its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A client that presented the write token: `--max-body-mb`.
    Writer,
    /// Anyone else, with a limit of its own (the SPARQL query limit, or
    /// `--max-public-body-mb`).
    Public { limit: usize, flag: &'static str },
}

/// The allowance shared by public bodies being read.
#[derive(Clone)]
pub struct PublicBodies(Arc<Semaphore>);

impl Default for PublicBodies {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(PUBLIC_BYTES_IN_FLIGHT / UNIT)))
    }
}

/// Reads a whole body: at most the sender's limit (413 past it, naming the limit), and
/// for a public sender only while the shared allowance has room (503 when it has not).
pub async fn read(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    sender: Sender,
) -> Result<Bytes, ApiError> {
    let (limit, flag) = match sender {
        Sender::Writer => (state.settings.max_body_bytes, "--max-body-mb"),
        Sender::Public { limit, flag } => (limit, flag),
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if let Some(length) = announced
        && length > limit
    {
        return Err(too_large(length, limit, flag));
    }
    let _permit = match sender {
        Sender::Writer => None,
        Sender::Public { .. } => {
            let units = announced.unwrap_or(limit).div_ceil(UNIT).max(1);
            let units = u32::try_from(units).unwrap_or(u32::MAX);
            Some(
                Arc::clone(&state.public_bodies.0)
                    .try_acquire_many_owned(units)
                    .map_err(|_| {
                        ApiError::Busy(
                            "too many large requests are being received at once; try again in a few seconds".into(),
                        )
                    })?,
            )
        }
    };
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
        while let Some(inner) = cause {
            if inner.is::<http_body_util::LengthLimitError>() {
                return too_large(limit + 1, limit, flag);
            }
            cause = inner.source();
        }
        ApiError::BadRequest(format!("could not read the request body: {error}"))
    })
}

fn too_large(length: usize, limit: usize, flag: &'static str) -> ApiError {
    ApiError::TooLarge(format!(
        "the request body is {} bytes; this server accepts at most {limit} bytes here ({flag})",
        if length > limit {
            length.to_string()
        } else {
            "more than that".into()
        }
    ))
}
