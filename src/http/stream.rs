//! Streaming a response produced on a blocking thread.
//!
//! The producer writes into a [`ChunkWriter`]; the HTTP status is decided when the first
//! chunk is full (or the output is complete), so a query that fails or is cancelled before
//! then gets a proper error status, never a truncated 200. An output that fits in one chunk
//! (most answers) is sent whole, with its length. A failure after the first chunk ends the
//! body with an error, which aborts the transfer: the client sees an incomplete response,
//! not a short one that looks whole.

use super::error::ApiError;
use crate::store::StoreError;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use oxigraph::sparql::CancellationToken;
use std::io::{self, Write};
use std::mem::take;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

/// Bytes gathered before a chunk is sent to the client.
const CHUNK_SIZE: usize = 64 * 1024;

/// Chunks in flight between the producer and the connection.
const CHANNEL_DEPTH: usize = 16;

type Chunk = Result<Bytes, io::Error>;

/// How a response begins: whole, or as a stream of chunks.
enum Start {
    Whole(Bytes),
    Streaming,
}

/// A `Write` that hands its output to the HTTP response in chunks.
pub struct ChunkWriter {
    buffer: Vec<u8>,
    body: mpsc::Sender<Chunk>,
    start: Option<oneshot::Sender<Result<Start, ApiError>>>,
}

impl ChunkWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if let Some(start) = self.start.take() {
            start
                .send(Ok(Start::Streaming))
                .map_err(|_| client_gone())?;
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(take(&mut self.buffer));
        self.body
            .blocking_send(Ok(chunk))
            .map_err(|_| client_gone())
    }

    /// Sends what is left: the whole body if nothing was sent yet, else the last chunk.
    fn finish(mut self) -> io::Result<()> {
        match self.start.take() {
            Some(start) => {
                let whole = Bytes::from(take(&mut self.buffer));
                start
                    .send(Ok(Start::Whole(whole)))
                    .map_err(|_| client_gone())
            }
            None => self.send_buffer(),
        }
    }

    /// Reports a failure: as the response status if nothing was sent yet, else by
    /// aborting the body.
    fn fail(mut self, error: ApiError) {
        match self.start.take() {
            Some(start) => {
                let _ = start.send(Err(error));
            }
            None => {
                tracing::warn!(%error, "response failed after streaming began");
                let _ = self
                    .body
                    .blocking_send(Err(io::Error::other(error.to_string())));
            }
        }
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_SIZE {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn client_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
}

/// When a response must have started, and how to stop its producer if it has not.
pub struct Deadline {
    pub after: Duration,
    pub token: CancellationToken,
}

/// Runs `produce` on a blocking thread and streams what it writes as the response body.
///
/// `on_error` turns a producer failure into the error reported to the client (it lets the
/// caller say "timed out" when a cancellation was the deadline's doing). With a
/// `deadline`, the client gets 503 when the first chunk is not ready in time, even if the
/// producer only notices the cancellation later: oxigraph checks its token when it reads
/// from the store, and some evaluations (a cross product held in memory) read nothing for
/// a long while.
pub async fn stream_blocking(
    content_type: String,
    produce: impl FnOnce(&mut ChunkWriter) -> Result<(), StoreError> + Send + 'static,
    on_error: impl FnOnce(StoreError) -> ApiError + Send + 'static,
    deadline: Option<Deadline>,
) -> Result<Response, ApiError> {
    let (body_sender, body_receiver) = mpsc::channel(CHANNEL_DEPTH);
    let (start_sender, start_receiver) = oneshot::channel();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut writer = ChunkWriter {
            buffer: Vec::with_capacity(CHUNK_SIZE),
            body: body_sender,
            start: Some(start_sender),
        };
        match produce(&mut writer) {
            Ok(()) => {
                if let Err(error) = writer.finish() {
                    tracing::debug!(%error, "response not delivered");
                }
            }
            Err(StoreError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::debug!("client went away during the response");
            }
            Err(error) => writer.fail(on_error(error)),
        }
    });
    let begun = Instant::now();
    let started = match &deadline {
        None => start_receiver.await,
        Some(Deadline { after, token }) => {
            match tokio::time::timeout(*after, start_receiver).await {
                Ok(started) => started,
                Err(_) => {
                    token.cancel();
                    return Err(ApiError::Timeout(*after));
                }
            }
        }
    };
    let body = match started {
        Ok(Ok(Start::Whole(bytes))) => Body::from(bytes),
        Ok(Ok(Start::Streaming)) => {
            if let Some(Deadline { after, token }) = deadline {
                // The deadline still holds while streaming: past it the producer is
                // cancelled and the body ends with an error.
                let remaining = after.saturating_sub(begun.elapsed());
                tokio::spawn(async move {
                    tokio::time::sleep(remaining).await;
                    token.cancel();
                });
            }
            Body::from_stream(ReceiverStream::new(body_receiver))
        }
        Ok(Err(error)) => return Err(error),
        Err(_) => {
            return Err(ApiError::Store(StoreError::Io(io::Error::other(
                "the response producer stopped without an answer",
            ))));
        }
    };
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).expect("content types are ASCII"),
    );
    Ok(response)
}
