//! Producing a response from the store: inline for quick answers, else streamed from a
//! blocking thread.
//!
//! [`answer`] first runs a query's producer right on the connection's event loop, under a
//! short budget: most answers (an entity's triples, a small join) are ready in well under
//! a millisecond, and handing them to another thread and back would cost more than the
//! query. A producer that runs past the budget, or whose answer grows too large, is
//! cancelled and started again with [`stream_blocking`], where it has its whole deadline
//! and streams; the query is then remembered as slow for a minute, so that its next runs
//! go there at once.
//!
//! [`stream_blocking`] runs the producer on a blocking thread, which writes into a
//! [`ChunkWriter`]; the HTTP status is decided when the first chunk is full (or the output
//! is complete), so a query that fails or is cancelled before then gets a proper error
//! status, never a truncated 200. An output that fits in one chunk (most answers) is sent
//! whole, with its length. A failure after the first chunk ends the body with an error,
//! which aborts the transfer: the client sees an incomplete response, not a short one that
//! looks whole.

use super::AppState;
use super::error::ApiError;
use crate::store::StoreError;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use oxigraph::sparql::CancellationToken;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, Write};
use std::mem::take;
use std::sync::{Condvar, LazyLock, Mutex, PoisonError};
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
    /// The time a query is allowed (as the client is told it on timeout)...
    pub limit: Duration,
    /// ...counted from here (the request's arrival, before any inline attempt).
    pub since: Instant,
    pub token: CancellationToken,
}

impl Deadline {
    fn remaining(&self) -> Duration {
        self.limit.saturating_sub(self.since.elapsed())
    }
}

/// How late the budget watchdog may cancel a token, so that it wakes once for many
/// expiries rather than once for each.
const WATCHDOG_SLACK: Duration = Duration::from_millis(5);

/// Queries (by a hash of their text and options) that ran past the inline limits, and
/// when.
#[derive(Default)]
pub struct SlowQueries(Mutex<HashMap<u64, Instant>>);

impl SlowQueries {
    /// Forgetting everything past this many keeps the map small; a forgotten slow query
    /// costs one more inline attempt.
    const CAPACITY: usize = 4096;

    /// How long a query stays known as slow: one that ran late while the machine was busy
    /// gets its inline attempts back afterwards.
    const MEMORY: Duration = Duration::from_secs(60);

    fn is_slow(&self, key: u64) -> bool {
        let mut keys = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match keys.get(&key) {
            Some(since) if since.elapsed() < Self::MEMORY => true,
            Some(_) => {
                keys.remove(&key);
                false
            }
            None => false,
        }
    }

    fn insert(&self, key: u64) {
        let mut keys = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= Self::CAPACITY {
            keys.clear();
        }
        keys.insert(key, Instant::now());
    }
}

/// Answers with what `produce` writes under the cancellation token it is given: inline
/// within the server's [`InlineLimits`](crate::config::InlineLimits) if the query
/// identified by `key` is not known to be slow, else (or when the limits are reached) from
/// the start again through [`stream_blocking`], with what is left of the query deadline.
pub async fn answer(
    state: &AppState,
    key: u64,
    content_type: String,
    produce: impl Fn(&mut dyn Write, &CancellationToken) -> Result<(), StoreError>
    + Send
    + Sync
    + 'static,
    on_error: impl FnOnce(StoreError) -> ApiError + Send + 'static,
) -> Result<Response, ApiError> {
    let begun = Instant::now();
    let deadline = state.settings.query_timeout;
    let limits = state.settings.inline;
    let slow = &state.slow_queries;
    if !limits.budget.is_zero() && !slow.is_slow(key) {
        let token = CancellationToken::new();
        WATCHDOG.cancel_after(token.clone(), limits.budget.min(deadline));
        let mut out = InlineWriter {
            bytes: Vec::new(),
            max_bytes: limits.max_bytes,
            token: &token,
        };
        match produce(&mut out, &token) {
            Ok(()) => return Ok(with_content_type(Body::from(out.bytes), &content_type)),
            Err(_) if token.is_cancelled() => {
                tracing::debug!("past the inline limits: answering from a blocking thread");
                slow.insert(key);
            }
            Err(error) => return Err(on_error(error)),
        }
    }
    let token = CancellationToken::new();
    let attempt = token.clone();
    stream_blocking(
        content_type,
        move |out| produce(out, &attempt),
        on_error,
        Some(Deadline {
            limit: deadline,
            since: begun,
            token,
        }),
    )
    .await
}

/// The sink of an inline attempt: it gives up once the budget's token is cancelled (a
/// producer serialising from memory reads nothing that would notice) or the answer grows
/// past `max_bytes`.
struct InlineWriter<'a> {
    bytes: Vec<u8>,
    max_bytes: usize,
    token: &'a CancellationToken,
}

impl Write for InlineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + bytes.len() > self.max_bytes {
            self.token.cancel();
        }
        if self.token.is_cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the answer outgrew the inline budget",
            ));
        }
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The process's budget watchdog: one thread that cancels tokens when their time is up.
/// A timer of the async runtime would not do: the event loop that would fire it is the one
/// busy with the inline attempt.
static WATCHDOG: LazyLock<&'static Watchdog> = LazyLock::new(Watchdog::start);

struct Watchdog {
    due: Mutex<BinaryHeap<Reverse<Due>>>,
    wake: Condvar,
}

struct Due {
    at: Instant,
    token: CancellationToken,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl Watchdog {
    fn start() -> &'static Self {
        let watchdog: &'static Self = Box::leak(Box::new(Self {
            due: Mutex::new(BinaryHeap::new()),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("spyatlas-budget".into())
            .spawn(move || watchdog.run())
            .expect("cannot start the query budget thread");
        watchdog
    }

    fn cancel_after(&self, token: CancellationToken, after: Duration) {
        let at = Instant::now() + after;
        let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        let earliest = due.peek().is_none_or(|Reverse(next)| at < next.at);
        due.push(Reverse(Due { at, token }));
        drop(due);
        if earliest {
            self.wake.notify_one();
        }
    }

    fn run(&self) {
        let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            while due.peek().is_some_and(|Reverse(next)| next.at <= now) {
                if let Some(Reverse(expired)) = due.pop() {
                    expired.token.cancel();
                }
            }
            due = match due.peek() {
                None => self.wake.wait(due).unwrap_or_else(PoisonError::into_inner),
                Some(Reverse(next)) => {
                    let wait = next.at - now + WATCHDOG_SLACK;
                    match self.wake.wait_timeout(due, wait) {
                        Ok((due, _)) => due,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
    }
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
    let started = match &deadline {
        None => start_receiver.await,
        Some(deadline) => match tokio::time::timeout(deadline.remaining(), start_receiver).await {
            Ok(started) => started,
            Err(_) => {
                deadline.token.cancel();
                return Err(ApiError::Timeout(deadline.limit));
            }
        },
    };
    let body = match started {
        Ok(Ok(Start::Whole(bytes))) => Body::from(bytes),
        Ok(Ok(Start::Streaming)) => {
            if let Some(deadline) = deadline {
                // The deadline still holds while streaming: past it the producer is
                // cancelled and the body ends with an error.
                tokio::spawn(async move {
                    tokio::time::sleep(deadline.remaining()).await;
                    deadline.token.cancel();
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
    Ok(with_content_type(body, &content_type))
}

fn with_content_type(body: Body, content_type: &str) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("content types are ASCII"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_cancels_a_token_when_its_time_is_up_and_not_before() {
        let soon = CancellationToken::new();
        let later = CancellationToken::new();
        WATCHDOG.cancel_after(later.clone(), Duration::from_secs(600));
        WATCHDOG.cancel_after(soon.clone(), Duration::from_millis(10));
        let started = Instant::now();
        while !soon.is_cancelled() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "not cancelled after 10 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(started.elapsed() >= Duration::from_millis(10));
        assert!(!later.is_cancelled());
    }

    #[test]
    fn a_slow_query_is_forgotten_after_a_while() {
        let slow = SlowQueries::default();
        assert!(!slow.is_slow(7));
        slow.insert(7);
        assert!(slow.is_slow(7));
        assert!(!slow.is_slow(8));
        slow.0.lock().unwrap().insert(
            7,
            Instant::now() - SlowQueries::MEMORY - Duration::from_secs(1),
        );
        assert!(!slow.is_slow(7));
        assert!(
            slow.0.lock().unwrap().is_empty(),
            "the old entry is dropped"
        );
    }

    #[test]
    fn the_slow_queries_stay_few() {
        let slow = SlowQueries::default();
        for key in 0..(SlowQueries::CAPACITY as u64 + 10) {
            slow.insert(key);
        }
        assert!(slow.0.lock().unwrap().len() <= SlowQueries::CAPACITY);
        assert!(slow.is_slow(SlowQueries::CAPACITY as u64 + 9));
    }
}
