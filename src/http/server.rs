//! The listening side: one acceptor and a few event loops.
//!
//! Each event loop is a single-threaded runtime on a thread of its own
//! ([`LOOPS_PER_CORE`] of them per core), and keeps the connections it is handed: a
//! request is read, answered (inline when quick, see [`super::stream::answer`]) and
//! written on one thread. A work-stealing runtime would
//! wake its other workers for every readable socket, and on a small machine those
//! cross-thread wake-ups cost more than an entity lookup. The acceptor hands each new
//! connection to the loop with the fewest open connections, so that keep-alive clients
//! spread evenly.

use super::pool::{self, Client};
use super::{AppState, router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// How long the requests in flight may take to finish once shutdown begins; a query
/// still running then is abandoned (its deadline would end it anyway).
const DRAIN: Duration = Duration::from_secs(1);

/// Event loops per core. More loops than cores let the operating system run whichever
/// connection is ready on whichever core is free, as a thread per connection would: with
/// one loop per core, the requests of one loop's connections wait for each other while
/// the other core idles (measured with 8 connections on 2 cores: 2 loops 21-22k
/// requests/s, 4 loops 24-26k, 8 loops 25-27k).
const LOOPS_PER_CORE: usize = 4;

/// Threads each loop may run blocking work on besides the work pool (tokio's own file
/// and name resolution needs, none of spyatlas's store work).
const BLOCKING_THREADS_PER_LOOP: usize = 4;

/// Stack of an event loop's thread: it parses queries and answers quick ones inline, as
/// deep as the limits of [`crate::limits`] allow.
const LOOP_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    state.reports.prepare(&state.graph);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let count = LOOPS_PER_CORE * cores;
    let (stop, stopping) = watch::channel(false);
    let mut loops = Vec::with_capacity(count);
    for index in 0..count {
        loops.push(EventLoop::start(index, state.clone(), stopping.clone())?);
    }

    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors, say: wait rather than spin.
                tracing::error!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Without TCP_NODELAY a response written in two pieces can wait for the client's
        // delayed ACK (about 40 ms) before its second piece leaves.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let least_busy = loops
            .iter()
            .min_by_key(|event_loop| event_loop.open.load(Ordering::Relaxed))
            .expect("at least one event loop");
        if let Err(error) = least_busy.hand_over(stream) {
            tracing::error!(%error, "cannot hand a connection to an event loop; dropped it");
        }
    }

    drop(listener);
    // Work still running in the pool is cancelled: shutdown never waits for a query.
    state.pool.stop();
    let _ = stop.send(true);
    // Every loop learns at once that no connection will come (and each connection that
    // it must finish): they wind down together.
    let stopped: Vec<_> = loops.into_iter().map(EventLoop::stop).collect();
    let mut result = Ok(());
    for done in stopped {
        if done.await.is_err() {
            result = Err(io::Error::other("an event loop ended abnormally"));
        }
    }
    result
}

/// Accept errors that concern one connection only (the client gave up before it was
/// accepted): the listener itself is fine.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The acceptor's handle on one event loop.
struct EventLoop {
    connections: mpsc::UnboundedSender<std::net::TcpStream>,
    /// Connections handed over and not yet closed.
    open: Arc<AtomicUsize>,
    done: oneshot::Receiver<()>,
}

impl EventLoop {
    fn start(index: usize, state: AppState, stopping: watch::Receiver<bool>) -> io::Result<Self> {
        let (connections, incoming) = mpsc::unbounded_channel();
        let open = Arc::new(AtomicUsize::new(0));
        let (done_sender, done) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            // The threads of the loop's blocking pool, where handlers send store work.
            .thread_name(format!("spyatlas-store-{index}"))
            .max_blocking_threads(BLOCKING_THREADS_PER_LOOP)
            .build()?;
        let counter = Arc::clone(&open);
        std::thread::Builder::new()
            .name(format!("spyatlas-http-{index}"))
            .stack_size(LOOP_STACK_BYTES)
            .spawn(move || {
                runtime.block_on(run(incoming, state, counter, stopping));
                runtime.shutdown_timeout(DRAIN);
                let _ = done_sender.send(());
            })?;
        Ok(Self {
            connections,
            open,
            done,
        })
    }

    fn hand_over(&self, stream: TcpStream) -> io::Result<()> {
        // Out of this runtime's reactor, into the loop's.
        let stream = stream.into_std()?;
        self.connections
            .send(stream)
            .map_err(|_| io::Error::other("the event loop stopped while the server was running"))?;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Tells the loop that no more connections come; answers its completion.
    fn stop(self) -> oneshot::Receiver<()> {
        drop(self.connections);
        self.done
    }
}

/// An event loop's work: serve each connection it is handed until the acceptor stops,
/// then let the connections finish their requests.
async fn run(
    mut incoming: mpsc::UnboundedReceiver<std::net::TcpStream>,
    state: AppState,
    open: Arc<AtomicUsize>,
    stopping: watch::Receiver<bool>,
) {
    let router = router(state);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            stream = incoming.recv() => {
                let Some(stream) = stream else { break };
                let stream = match TcpStream::from_std(stream) {
                    Ok(stream) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "cannot take over a connection");
                        open.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let client = stream
                    .peer_addr()
                    .map_or(Client::LOCAL, |address| Client::of(address.ip()));
                let service = TowerToHyperService::new(router.clone());
                let open = Arc::clone(&open);
                let stopping = stopping.clone();
                connections.spawn(async move {
                    pool::serving(client, serve_connection(stream, service, stopping)).await;
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN, drained).await.is_err() {
        tracing::warn!("requests still running at shutdown were abandoned");
    }
}

async fn serve_connection(
    stream: TcpStream,
    service: TowerToHyperService<axum::Router>,
    mut stopping: watch::Receiver<bool>,
) {
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let mut connection = pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::trace!(%error, "connection ended with an error");
            }
            return;
        }
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    // Shutting down: finish the request in flight, then close.
    connection.as_mut().graceful_shutdown();
    if let Err(error) = connection.await {
        tracing::trace!(%error, "connection ended with an error");
    }
}
