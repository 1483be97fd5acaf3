//! Producing a response from the store: inline for quick answers, else streamed from the
//! work pool.
//!
//! [`answer`] runs a query's producer right on the connection's event loop when the query
//! is known to be quick: most answers (an entity's triples, a small join) are ready in
//! well under a millisecond, and handing them to another thread and back would cost more
//! than the query. What is known is kept per query *shape* (the text with the entity IRIs
//! and string literals left out: the same lookup about another entity is as quick) and per
//! exact query, for a minute: a shape not seen yet, or seen slow, goes to the work pool.
//!
//! No query is evaluated twice. An inline run that passes its time budget (a quick shape
//! about a hub entity) goes on where it is, to its deadline, and its shape becomes slow;
//! only when [`MAX_INLINE_OVERRUNS`] others already run past their budgets on event loops
//! is it cancelled and started again in the pool, and likewise when its answer outgrows
//! the inline size limit or memory budget: the exceptions, counted in the log.
//!
//! [`stream_blocking`] runs the producer on a thread of the [work pool](super::pool),
//! which writes into a [`ChunkWriter`]; the HTTP status is decided when the first chunk is
//! full (or the output is complete), so a query that fails or is cancelled before then
//! gets a proper error status, never a truncated 200. An output that fits in one chunk
//! (most answers) is sent whole, with its length. A failure after the first chunk ends the
//! body with an error, which aborts the transfer: the client sees an incomplete response,
//! not a short one that looks whole. The producer never waits on a client that stops
//! reading past the deadline.

use super::AppState;
use super::error::ApiError;
use super::pool::{Client, current_client};
use super::watchdog::WATCHDOG;
use crate::store::StoreError;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use oxigraph::sparql::CancellationToken;
use std::collections::HashMap;
use std::io::{self, Write};
use std::mem::take;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;

/// Bytes gathered before a chunk is sent to the client.
const CHUNK_SIZE: usize = 64 * 1024;

/// Chunks in flight between the producer and the connection.
const CHANNEL_DEPTH: usize = 16;

/// The memory an inline attempt's evaluation may hold; past it, the query goes to the
/// work pool (where the larger budget of a job holds).
const INLINE_MEMORY: usize = 64 * 1024 * 1024;

/// Inline runs that may go on past their time budget at once: each holds an event loop
/// (and the other connections of that loop wait), so past this many a run over budget is
/// started again in the pool instead.
pub const MAX_INLINE_OVERRUNS: usize = 2;

/// Inline runs now past their time budget.
static INLINE_OVERRUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

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
    /// The job's token: a send waiting for a slow reader gives up once it is cancelled.
    token: CancellationToken,
    /// Set once the whole output was handed over.
    complete: Arc<AtomicBool>,
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
        self.send(Ok(chunk))
    }

    /// Hands a chunk to the connection, waiting while the client reads the ones before,
    /// but not past the job's cancellation.
    fn send(&self, chunk: Chunk) -> io::Result<()> {
        let mut chunk = chunk;
        let mut pause = Duration::from_micros(50);
        loop {
            match self.body.try_send(chunk) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(_)) => return Err(client_gone()),
                Err(TrySendError::Full(back)) => {
                    if self.token.is_cancelled() {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client did not read the answer before the deadline",
                        ));
                    }
                    chunk = back;
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(10));
                }
            }
        }
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
            None => {
                self.send_buffer()?;
                self.complete.store(true, Ordering::Release);
                Ok(())
            }
        }
    }

    /// Reports a failure: as the response status if nothing was sent yet, else by
    /// aborting the body (the stream ends with an error, as it does when this writer
    /// goes away without finishing).
    fn fail(mut self, error: ApiError) {
        match self.start.take() {
            Some(start) => {
                let _ = start.send(Err(error));
            }
            None => {
                tracing::warn!(%error, "response failed after streaming began");
                let _ = self.body.try_send(Err(io::Error::other(error.to_string())));
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

/// The body of a streamed response: the producer's chunks, then an error unless the
/// producer said it was complete, so that an abandoned answer never looks whole.
struct StreamedBody {
    chunks: mpsc::Receiver<Chunk>,
    complete: Arc<AtomicBool>,
    ended: bool,
}

impl Stream for StreamedBody {
    type Item = Chunk;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Chunk>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.chunks.poll_recv(context) {
            Poll::Ready(None) => {
                self.ended = true;
                if self.complete.load(Ordering::Acquire) {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Err(io::Error::other(
                        "the answer was abandoned before its end",
                    ))))
                }
            }
            other => other,
        }
    }
}

/// Queries (by a hash of their text and options) that ran past the inline limits, and the
/// clients that sent them, each with when.
///
/// A query known to be slow goes to the work pool at once for a minute. So does every
/// query of a client that sent three different slow ones within ten seconds: a client
/// changing the text of its slow query each time would otherwise cost an event loop the
/// inline budget (and the other connections of that loop their wait) on every request.
#[derive(Default)]
pub struct SlowQueries(Mutex<Slow>);

#[derive(Default)]
struct Slow {
    queries: HashMap<u64, Instant>,
    /// Query shapes, each with when it was last measured and whether it was slow.
    shapes: HashMap<u64, (Instant, bool)>,
    /// When each client's window began, and its slow queries since.
    clients: HashMap<Client, (Instant, u32)>,
}

impl SlowQueries {
    /// Forgetting everything past this many keeps the maps small; a forgotten query or
    /// client costs one more inline attempt.
    const CAPACITY: usize = 4096;

    /// How long a query stays known as slow: one that ran late while the machine was busy
    /// gets its inline attempts back afterwards.
    const MEMORY: Duration = Duration::from_secs(60);

    /// The window in which a client's slow queries are counted.
    const CLIENT_MEMORY: Duration = Duration::from_secs(10);

    /// Different slow queries within the window after which a client's queries all go to
    /// the pool.
    const CLIENT_SLOW_QUERIES: u32 = 3;

    fn lock(&self) -> std::sync::MutexGuard<'_, Slow> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a query goes inline: its shape was seen quick within the memory, and
    /// neither it, its shape nor its client is known slow.
    fn goes_inline(&self, key: u64, shape: u64, client: Client) -> bool {
        let mut slow = self.lock();
        if Self::is_slow_locked(&mut slow, key, client) {
            return false;
        }
        match slow.shapes.get(&shape) {
            Some((since, quick)) if since.elapsed() < Self::MEMORY => !*quick,
            Some(_) => {
                slow.shapes.remove(&shape);
                false
            }
            None => false,
        }
    }

    /// Notes how a run of a query of this shape went (a verdict confirmed within the last
    /// second is left as it is: most runs of a quick shape change nothing).
    fn measured(&self, shape: u64, was_slow: bool) {
        let mut slow = self.lock();
        if slow.shapes.get(&shape).is_some_and(|(since, known)| {
            *known == was_slow && since.elapsed() < Duration::from_secs(1)
        }) {
            return;
        }
        if slow.shapes.len() >= Self::CAPACITY {
            slow.shapes.clear();
        }
        slow.shapes.insert(shape, (Instant::now(), was_slow));
    }

    #[cfg(test)]
    fn is_slow(&self, key: u64, client: Client) -> bool {
        Self::is_slow_locked(&mut self.lock(), key, client)
    }

    fn is_slow_locked(slow: &mut Slow, key: u64, client: Client) -> bool {
        match slow.queries.get(&key) {
            Some(since) if since.elapsed() < Self::MEMORY => return true,
            Some(_) => {
                slow.queries.remove(&key);
            }
            None => {}
        }
        slow.clients.get(&client).is_some_and(|(since, count)| {
            *count >= Self::CLIENT_SLOW_QUERIES && since.elapsed() < Self::CLIENT_MEMORY
        })
    }

    fn insert(&self, key: u64, client: Client) {
        let mut slow = self.lock();
        if slow.queries.len() >= Self::CAPACITY {
            slow.queries.clear();
        }
        slow.queries.insert(key, Instant::now());
        if slow.clients.len() >= Self::CAPACITY {
            slow.clients
                .retain(|_, (since, _)| since.elapsed() < Self::CLIENT_MEMORY);
            if slow.clients.len() >= Self::CAPACITY {
                slow.clients.clear();
            }
        }
        let entry = slow.clients.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= Self::CLIENT_MEMORY {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// Answers with what `produce` writes under the cancellation token it is given: inline
/// when a query of this `shape` (see the module's documentation) is known to be quick and
/// the one identified by `key` is not known to be slow, else through [`stream_blocking`].
pub async fn answer(
    state: &AppState,
    key: u64,
    shape: u64,
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
    let client = current_client();
    if !limits.budget.is_zero() && slow.goes_inline(key, shape, client) {
        let token = CancellationToken::new();
        token.set_memory_limit(INLINE_MEMORY);
        let run = Arc::new(InlineRun::default());
        {
            let (run, token) = (Arc::clone(&run), token.clone());
            let rest = deadline.saturating_sub(limits.budget);
            WATCHDOG.call_after(limits.budget.min(deadline), move || {
                run.over_budget(&token, rest)
            });
        }
        let mut out = InlineWriter {
            bytes: Vec::new(),
            max_bytes: limits.max_bytes,
            token: &token,
        };
        let produced = produce(&mut out, &token);
        let overran = run.finish();
        match produced {
            Ok(()) => {
                slow.measured(shape, overran);
                if overran {
                    slow.insert(key, client);
                }
                return Ok(with_content_type(Body::from(out.bytes), &content_type));
            }
            Err(_) if token.is_cancelled() && !overran => {
                // Past the size or memory limit, or over budget with the event loops
                // others hold: started again in the pool.
                tracing::debug!("past the inline limits: answering from the work pool");
                slow.measured(shape, true);
                slow.insert(key, client);
            }
            Err(error) => {
                if overran {
                    slow.measured(shape, true);
                    slow.insert(key, client);
                }
                return Err(on_error(error));
            }
        }
    }
    // A query slow in the pool keeps its client counted as sending slow queries; one quick
    // there makes its shape quick.
    let slow = Arc::clone(&state.slow_queries);
    stream_blocking(
        state,
        content_type,
        move |out: &mut ChunkWriter, token: &CancellationToken| {
            let started = Instant::now();
            let produced = produce(out, token);
            let was_slow = started.elapsed() >= limits.budget;
            if produced.is_ok() {
                slow.measured(shape, was_slow);
            }
            if !limits.budget.is_zero() && was_slow {
                slow.insert(key, client);
            }
            produced
        },
        on_error,
        begun,
    )
    .await
}

/// How an inline run stands with its time budget.
#[derive(Default)]
struct InlineRun(std::sync::atomic::AtomicU8);

const RUNNING: u8 = 0;
const DONE: u8 = 1;
/// Past its budget, going on to its deadline (holding one of [`MAX_INLINE_OVERRUNS`]).
const OVERRUN: u8 = 2;
/// Past its budget and cancelled, to be started again in the pool.
const STOPPED: u8 = 3;

impl InlineRun {
    /// The budget is spent: go on, to the deadline `rest` from now, if few other runs
    /// do; else stop.
    fn over_budget(&self, token: &CancellationToken, rest: Duration) {
        let taken = INLINE_OVERRUNS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < MAX_INLINE_OVERRUNS).then_some(now + 1)
            })
            .is_ok();
        let next = if taken { OVERRUN } else { STOPPED };
        if self
            .0
            .compare_exchange(RUNNING, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Done already.
            if taken {
                INLINE_OVERRUNS.fetch_sub(1, Ordering::AcqRel);
            }
            return;
        }
        if taken {
            tracing::debug!("an inline run past its budget goes on to its deadline");
            WATCHDOG.cancel_after(token.clone(), rest);
        } else {
            token.cancel();
        }
    }

    /// The run is over; answers whether it went past its budget (and went on).
    fn finish(&self) -> bool {
        let overran = self.0.swap(DONE, Ordering::AcqRel) == OVERRUN;
        if overran {
            INLINE_OVERRUNS.fetch_sub(1, Ordering::AcqRel);
        }
        overran
    }
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

/// Runs `produce` in the work pool and streams what it writes as the response body.
///
/// The producer gets its job's cancellation token, cancelled at the query deadline
/// counted from `since`; `on_error` turns a producer failure into the error reported to
/// the client (it lets the caller say "timed out" when a cancellation was the deadline's
/// doing). The client gets 503 when the first chunk is not ready by the deadline, even if
/// the producer only notices the cancellation later.
pub async fn stream_blocking(
    state: &AppState,
    content_type: String,
    produce: impl FnOnce(&mut ChunkWriter, &CancellationToken) -> Result<(), StoreError>
    + Send
    + 'static,
    on_error: impl FnOnce(StoreError) -> ApiError + Send + 'static,
    since: Instant,
) -> Result<Response, ApiError> {
    let limit = state.settings.query_timeout;
    let deadline = (since + limit).min(super::pool::deadline_or(limit));
    let (body_sender, body_receiver) = mpsc::channel(CHANNEL_DEPTH);
    let (start_sender, start_receiver) = oneshot::channel();
    let complete = Arc::new(AtomicBool::new(false));
    let writer_complete = Arc::clone(&complete);
    let span = tracing::Span::current();
    let (token, _done) = state.pool.submit(current_client(), deadline, move || {
        let _entered = span.enter();
        let token = crate::store::current_token().unwrap_or_default();
        let mut writer = ChunkWriter {
            buffer: Vec::with_capacity(CHUNK_SIZE),
            body: body_sender,
            start: Some(start_sender),
            token: token.clone(),
            complete: writer_complete,
        };
        match produce(&mut writer, &token) {
            Ok(()) => {
                if let Err(error) = writer.finish() {
                    tracing::debug!(%error, "response not delivered");
                }
            }
            Err(StoreError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::debug!("client went away during the response");
            }
            Err(StoreError::MemoryLimit(bytes)) => writer.fail(ApiError::MemoryLimit(bytes)),
            Err(error) => writer.fail(on_error(error)),
        }
    })?;
    let started = match tokio::time::timeout_at(deadline.into(), start_receiver).await {
        Ok(started) => started,
        Err(_) => {
            token.cancel();
            return Err(ApiError::Timeout(limit));
        }
    };
    let body = match started {
        Ok(Ok(Start::Whole(bytes))) => Body::from(bytes),
        // The job's token is cancelled at the deadline: a producer still streaming then
        // stops, and the body ends with an error.
        Ok(Ok(Start::Streaming)) => Body::from_stream(StreamedBody {
            chunks: body_receiver,
            complete,
            ended: false,
        }),
        Ok(Err(error)) => return Err(error),
        // The job was dropped unstarted: its deadline passed while it waited.
        Err(_) if Instant::now() >= deadline => return Err(ApiError::Timeout(limit)),
        Err(_) => {
            return Err(ApiError::Store(StoreError::Io(io::Error::other(
                "the response producer stopped without an answer",
            ))));
        }
    };
    Ok(with_content_type(body, &content_type))
}

/// A response of `bytes`, whole.
pub fn whole(bytes: Bytes, content_type: &str) -> Response {
    with_content_type(Body::from(bytes), content_type)
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
    fn a_slow_query_is_forgotten_after_a_while() {
        let slow = SlowQueries::default();
        let client = Client::of("10.0.0.1".parse().unwrap());
        let other = Client::of("10.0.0.2".parse().unwrap());
        assert!(!slow.is_slow(7, client));
        slow.insert(7, client);
        assert!(slow.is_slow(7, client));
        assert!(slow.is_slow(7, other), "the query, from anyone");
        assert!(!slow.is_slow(8, client), "one slow query is no slow client");
        slow.insert(9, client);
        slow.insert(10, client);
        assert!(slow.is_slow(8, client), "three are: any query, for a while");
        assert!(!slow.is_slow(8, other));
        slow.0.lock().unwrap().queries.insert(
            7,
            Instant::now() - SlowQueries::MEMORY - Duration::from_secs(1),
        );
        slow.0.lock().unwrap().clients.insert(
            client,
            (
                Instant::now() - SlowQueries::CLIENT_MEMORY - Duration::from_secs(1),
                3,
            ),
        );
        assert!(!slow.is_slow(7, client));
        assert!(
            !slow.0.lock().unwrap().queries.contains_key(&7),
            "the old entry is dropped"
        );
    }

    #[test]
    fn the_slow_queries_stay_few() {
        let slow = SlowQueries::default();
        let client = Client::LOCAL;
        for key in 0..(SlowQueries::CAPACITY as u64 + 10) {
            slow.insert(key, client);
        }
        assert!(slow.0.lock().unwrap().queries.len() <= SlowQueries::CAPACITY);
        assert!(slow.is_slow(SlowQueries::CAPACITY as u64 + 9, client));
    }

    #[test]
    fn only_a_shape_seen_quick_goes_inline() {
        let slow = SlowQueries::default();
        let client = Client::of("10.0.0.3".parse().unwrap());
        assert!(
            !slow.goes_inline(1, 100, client),
            "a shape not seen yet: the pool"
        );
        slow.measured(100, false);
        assert!(slow.goes_inline(1, 100, client));
        assert!(
            slow.goes_inline(2, 100, client),
            "another query of that shape"
        );
        slow.insert(2, client);
        assert!(!slow.goes_inline(2, 100, client), "but not one known slow");
        slow.measured(100, true);
        assert!(
            !slow.goes_inline(1, 100, client),
            "a shape seen slow: the pool"
        );
        slow.0.lock().unwrap().shapes.insert(
            100,
            (
                Instant::now() - SlowQueries::MEMORY - Duration::from_secs(1),
                false,
            ),
        );
        assert!(
            !slow.goes_inline(1, 100, client),
            "forgotten: the pool again"
        );
    }

    #[test]
    fn a_run_past_its_budget_goes_on_while_few_others_do() {
        let (tokens, runs): (Vec<CancellationToken>, Vec<InlineRun>) = (0..MAX_INLINE_OVERRUNS + 1)
            .map(|_| (CancellationToken::new(), InlineRun::default()))
            .unzip();
        let before = INLINE_OVERRUNS.load(Ordering::Acquire);
        for (token, run) in tokens.iter().zip(&runs) {
            run.over_budget(token, Duration::from_secs(600));
        }
        // The first ones go on (other tests may hold slots meanwhile: at least none
        // beyond the limit), the last is stopped to start again in the pool.
        let going_on = tokens.iter().filter(|token| !token.is_cancelled()).count();
        assert!(going_on <= MAX_INLINE_OVERRUNS.saturating_sub(before));
        assert!(tokens.last().unwrap().is_cancelled());
        let overran: Vec<bool> = runs.iter().map(InlineRun::finish).collect();
        assert_eq!(overran.iter().filter(|o| **o).count(), going_on);
        // A run done before its budget was spent neither holds a slot nor is cancelled.
        let (token, run) = (CancellationToken::new(), InlineRun::default());
        assert!(!run.finish());
        run.over_budget(&token, Duration::from_secs(600));
        assert!(!token.is_cancelled());
    }
}
