//! The store each test runs on. By default the embedded store, in memory; with
//! `SPYATLAS_TEST_STORE=virtuoso` (or `oxigraph`), a remote SPARQL store started by
//! `scripts/remote-store` on 127.0.0.1 and a free port, so that the same tests check the
//! same answers on both implementations.
//!
//! Starting Virtuoso takes seconds, and the suite asks for well over a hundred stores: a
//! remote store is leased for one test, emptied when the test lets it go, and leased again.
//! The servers are tied to the test process (`REMOTE_STORE_OWNER`): they end with it.

use spyatlas::store::{Auth, Graph, RemoteConfig};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Where the tests' stores live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The embedded oxigraph store, in memory or in a temporary folder.
    Embedded,
    /// A remote store of `scripts/remote-store`: `virtuoso` or `oxigraph`.
    Remote(&'static str),
}

/// The engine named by `SPYATLAS_TEST_STORE` (`embedded` when unset).
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    *ENGINE.get_or_init(|| match std::env::var("SPYATLAS_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "embedded") => Engine::Embedded,
        Ok("virtuoso") => Engine::Remote("virtuoso"),
        Ok("oxigraph") => Engine::Remote("oxigraph"),
        Ok(other) => panic!("SPYATLAS_TEST_STORE={other}: give embedded, virtuoso or oxigraph"),
    })
}

/// A store for one test: it dereferences to the [`Graph`], and when remote, gives the store
/// back (emptied) once dropped. Clones of the graph made from it must not outlive it.
pub struct TestGraph {
    graph: Graph,
    _lease: Option<Lease>,
}

impl TestGraph {
    /// An empty store.
    pub fn empty() -> Self {
        match engine() {
            Engine::Embedded => Graph::in_memory().expect("in-memory stores open").into(),
            Engine::Remote(engine) => {
                let lease = Lease::take(engine);
                Self {
                    graph: lease.graph(),
                    _lease: Some(lease),
                }
            }
        }
    }

    /// A store holding the bundled ontology and data, as a new store does.
    pub fn bundled() -> Self {
        let Engine::Remote(engine) = engine() else {
            let graph = Self::empty();
            spyatlas::ingest::seed::seed_if_empty(&graph).expect("the bundled data is written");
            return graph;
        };
        if let Some((server, seeded)) = lock(&SEEDED).pop() {
            let lease = Lease {
                server: Some(server),
                seeded: Some(seeded),
            };
            return Self {
                graph: lease.graph(),
                _lease: Some(lease),
            };
        }
        let mut lease = Lease::take(engine);
        let graph = lease.graph();
        spyatlas::ingest::seed::seed_if_empty(&graph).expect("the bundled data is written");
        lease.seeded = Some(Seeded::of(&graph).expect("the seeded store answers"));
        Self {
            graph,
            _lease: Some(lease),
        }
    }

    /// The graph, for an owner that keeps this store alive longer.
    pub fn graph(&self) -> Graph {
        self.graph.clone()
    }
}

impl Deref for TestGraph {
    type Target = Graph;

    fn deref(&self) -> &Graph {
        &self.graph
    }
}

impl From<Graph> for TestGraph {
    /// A graph whose store someone else keeps (or that needs no keeping).
    fn from(graph: Graph) -> Self {
        Self {
            graph,
            _lease: None,
        }
    }
}

/// A store for the command line of one test: `--data DIR` on the embedded store, or
/// `--store URL` on a remote one.
pub struct TestData {
    dir: tempfile::TempDir,
    lease: Option<Lease>,
}

impl TestData {
    /// A new, empty store (a folder not yet created, or an emptied remote store).
    pub fn new() -> Self {
        Self {
            dir: tempfile::TempDir::new().unwrap(),
            lease: match engine() {
                Engine::Embedded => None,
                Engine::Remote(engine) => Some(Lease::take(engine)),
            },
        }
    }

    /// A scratch folder of the test's own (report files, ...).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// The arguments naming the store: `--data DIR/store` or `--store ... --store-update ...`.
    pub fn args(&self) -> Vec<String> {
        match &self.lease {
            None => vec![
                "--data".into(),
                self.dir.path().join("store").to_string_lossy().into_owned(),
            ],
            Some(lease) => {
                let server = lease.server();
                vec![
                    "--store".into(),
                    format!("sparql+{}", server.query),
                    "--store-update".into(),
                    server.update.clone(),
                ]
            }
        }
    }

    /// The process of the remote store (none for the embedded store, which is the
    /// server's own).
    pub fn store_pid(&self) -> Option<u32> {
        self.lease.as_ref().map(|lease| lease.server().pid)
    }

    /// The store, opened in this process to check what the command line left.
    pub fn open(&self) -> Graph {
        match &self.lease {
            None => Graph::open(&self.dir.path().join("store")).expect("the store opens"),
            Some(lease) => lease.graph(),
        }
    }
}

/// A started remote store.
struct Server {
    dir: PathBuf,
    query: String,
    update: String,
    /// The store's process.
    pid: u32,
}

impl Server {
    fn start(engine: &str) -> Self {
        // Kept until the test process ends; the watcher of the script removes it then.
        let dir = tempfile::TempDir::new().unwrap().keep().join("store");
        let output =
            Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/remote-store"))
                .args([engine, dir.to_str().unwrap()])
                .env("REMOTE_STORE_OWNER", std::process::id().to_string())
                .output()
                .expect("scripts/remote-store runs");
        assert!(
            output.status.success(),
            "{engine} did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8(output.stdout).unwrap();
        let field = |name: &str| {
            printed
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("scripts/remote-store prints {name}="))
        };
        Self {
            query: field("query"),
            update: field("update"),
            pid: field("pid").parse().expect("a process id"),
            dir,
        }
    }

    fn config(&self) -> RemoteConfig {
        RemoteConfig {
            query: self.query.clone(),
            update: self.update.clone(),
            auth: Auth::None,
            timeout: Duration::from_secs(60),
            poll: Duration::from_millis(500),
        }
    }

    /// Removes every graph spyatlas sees, the mark of the last write with them.
    fn empty(&self) -> Result<(), String> {
        let graph = Graph::remote(self.config()).map_err(|error| error.to_string())?;
        let mut names = std::collections::BTreeSet::new();
        for quad in graph.iter() {
            let quad = quad.map_err(|error| error.to_string())?;
            names.insert(quad.graph_name.to_string());
        }
        let mut update = String::from("CLEAR SILENT DEFAULT");
        for name in names.iter().filter(|name| name.starts_with('<')) {
            update.push_str(&format!(" ; DROP SILENT GRAPH {name}"));
        }
        let update = Graph::parse_update(&update).map_err(|error| error.to_string())?;
        graph
            .update(update, None)
            .map_err(|error| error.to_string())?;
        if graph.is_empty().map_err(|error| error.to_string())? {
            Ok(())
        } else {
            Err("quads are left after emptying".into())
        }
    }

    fn stop(&self) {
        let _ = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/remote-store"))
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
        let _ = std::fs::remove_dir_all(self.dir.parent().unwrap_or(&self.dir));
    }
}

/// The started stores no test holds now, empty.
static IDLE: Mutex<Vec<Server>> = Mutex::new(Vec::new());

/// The started stores no test holds now, holding the bundled data as seeded.
static SEEDED: Mutex<Vec<(Server, Seeded)>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How a store looked once seeded: the mark of its last write (every write spyatlas makes
/// replaces it) and its size. A store that still looks so was not written since, and is
/// leased again as seeded, which spares seeding it again.
#[derive(Debug, PartialEq, Eq)]
struct Seeded {
    mark: Vec<String>,
    len: usize,
}

impl Seeded {
    fn of(graph: &Graph) -> Result<Self, String> {
        let query = format!(
            "SELECT ?mark WHERE {{ GRAPH <{graph}> {{ <{graph}> <{property}> ?mark }} }}",
            graph = spyatlas::vocab::remote::WRITES_GRAPH,
            property = spyatlas::vocab::remote::LAST_WRITE,
        );
        let mark = graph
            .select(&query)
            .map_err(|error| error.to_string())?
            .into_iter()
            .filter_map(|row| row.get("mark").map(ToString::to_string))
            .collect();
        let len = graph.len().map_err(|error| error.to_string())?;
        Ok(Self { mark, len })
    }
}

/// A remote store held by one test.
struct Lease {
    server: Option<Server>,
    /// How the store looked once seeded, when it was leased seeded.
    seeded: Option<Seeded>,
}

impl Lease {
    /// An idle store, or a new one; empty.
    fn take(engine: &str) -> Self {
        let idle = lock(&IDLE).pop();
        Self {
            server: Some(idle.unwrap_or_else(|| Server::start(engine))),
            seeded: None,
        }
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("held until dropped")
    }

    fn graph(&self) -> Graph {
        Graph::remote(self.server().config()).expect("the remote store answers")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        if let Some(seeded) = self.seeded.take()
            && Graph::remote(server.config())
                .map_err(|error| error.to_string())
                .and_then(|graph| Seeded::of(&graph))
                .is_ok_and(|now| now == seeded)
        {
            lock(&SEEDED).push((server, seeded));
            return;
        }
        match server.empty() {
            Ok(()) => lock(&IDLE).push(server),
            Err(error) => {
                eprintln!("a remote test store could not be emptied ({error}): stopped");
                server.stop();
            }
        }
    }
}
