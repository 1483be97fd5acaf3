//! Test fixtures: [`TestApp`] drives the router in-process; [`TestServer`] runs the real
//! server on a free port of 127.0.0.1.

use crate::stores::TestGraph;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use spyatlas::config::HttpSettings;
use spyatlas::http::{self, AppState};
use std::thread::JoinHandle;
use std::time::Duration;
use tower::ServiceExt;

/// The bearer token test servers accept for writes.
pub const TOKEN: &str = "test-write-token";

/// A response, with its body read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// The `Content-Type` header, or "".
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

/// The app over an in-memory store, called without a socket.
pub struct TestApp {
    router: Router,
    /// Dropped after the router, which holds clones of it.
    pub graph: TestGraph,
}

impl TestApp {
    /// An app over the bundled ontology and data; writes need [`TOKEN`].
    pub fn with_bundled_data() -> Self {
        Self::new(
            TestGraph::bundled(),
            HttpSettings::with_token(TOKEN, Duration::from_secs(30)),
        )
    }

    /// An app over `graph` with `settings`.
    pub fn new(graph: impl Into<TestGraph>, settings: HttpSettings) -> Self {
        let graph = graph.into();
        let state = AppState::new(graph.graph(), settings).expect("bundled queries parse");
        // Tests check what pages and searches show: they start once the index is built.
        assert!(state.wait_until_complete(Duration::from_secs(60)));
        Self {
            router: http::router(state),
            graph,
        }
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body streams to its end");
        TestResponse {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("responses are UTF-8"),
        }
    }

    /// `GET uri` with optional `Accept`.
    pub async fn get(&self, uri: &str, accept: Option<&str>) -> TestResponse {
        let mut request = Request::get(uri);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// `POST uri` with a content type, optional bearer token and body.
    pub async fn post(
        &self,
        uri: &str,
        content_type: Option<&str>,
        token: Option<&str>,
        body: &str,
    ) -> TestResponse {
        let mut request = Request::post(uri);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }
}

impl TestApp {
    /// `DELETE uri` with an optional bearer token.
    pub async fn delete(&self, uri: &str, token: Option<&str>) -> TestResponse {
        let mut request = Request::delete(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

/// The real server on 127.0.0.1 and a free port, in a thread of its own; stopped on drop.
pub struct TestServer {
    pub base_url: String,
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// The store, kept until the server has stopped.
    graph: Option<TestGraph>,
}

impl TestServer {
    /// A server over a fresh, empty in-memory store; writes need [`TOKEN`].
    pub fn start_empty() -> Self {
        Self::start(
            TestGraph::empty(),
            HttpSettings::with_token(TOKEN, Duration::from_secs(30)),
        )
    }

    /// A server over `graph` with `settings`.
    pub fn start(graph: impl Into<TestGraph>, settings: HttpSettings) -> Self {
        let graph = graph.into();
        let served = graph.graph();
        let (address_sender, address_receiver) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime starts");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a free port on 127.0.0.1");
                address_sender
                    .send(listener.local_addr().expect("bound"))
                    .expect("the test waits for the address");
                let state = AppState::new(served, settings).expect("bundled queries parse");
                assert!(state.wait_until_complete(Duration::from_secs(60)));
                http::serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .expect("the server runs");
            });
            // A query still running past its deadline must not hold the test up.
            runtime.shutdown_timeout(Duration::from_secs(1));
        });
        let address = address_receiver
            .recv()
            .expect("the server reports its address");
        Self {
            base_url: format!("http://{address}"),
            token: TOKEN.to_owned(),
            stop: Some(stop),
            thread: Some(thread),
            graph: Some(graph),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.graph.take();
    }
}

/// The `spyatlas` binary serving on 127.0.0.1, started by a test: its address read from
/// its log, and ended when dropped, even when the test panics.
pub struct Spawned {
    pub child: std::process::Child,
    /// The URL the server logged: `http://127.0.0.1:PORT/sparql`.
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Spawned {
    /// Starts `command` (`spyatlas serve --bind 127.0.0.1:0 ...`, or a wrapper that execs
    /// it) and waits for the address it logs.
    pub fn start(mut command: std::process::Command) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let mut child = command
            .env("RUST_LOG", "spyatlas=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let start = line.find("http://127.0.0.1:")?;
                Some(line[start..].split_whitespace().next()?.to_owned())
            })
            .expect("one log line gives the URL (did the server, or the wrapper that starts it, fail to run?)");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&log);
        // Read on, so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            base: url.trim_end_matches("/sparql").to_owned(),
            url,
            log,
        }
    }

    /// What the server logged after its address.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits for the end (at most 20 s); answers how it ended and how
    /// long it took.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, Duration) {
        let started = std::time::Instant::now();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        loop {
            if let Some(status) = self.child.try_wait().expect("the server can be waited for") {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Held by the tests that time the server (deadlines, answers within a second) and by the
/// test that loads the machine most (every page in chromium at three widths), so that the
/// one never runs beside the other.
pub fn timing_sensitive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
