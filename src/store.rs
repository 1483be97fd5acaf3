//! The one place that talks to the RDF store: [`Graph`] holds the embedded oxigraph
//! [`Store`], or a remote SPARQL 1.1 store (`store/remote.rs`), behind one interface that the
//! rest of the crate reads and writes through. It depends on nothing above it.
//!
//! Everything here is synchronous. Reads of the embedded store run on snapshots and never
//! wait for each other; writes are serialised by one lock, because oxigraph transactions
//! buffer in memory and do not detect write-write conflicts.
//!
//! ```
//! use spyatlas::store::{Dataset, Graph};
//!
//! let graph = spyatlas::ingest::seed::in_memory_with_bundled()?;
//! let query = Graph::parse("ASK { ?s ?p ?o }")?;
//! let answer = graph.query(query, Dataset::Union)?;
//! assert!(matches!(answer, oxigraph::sparql::QueryResults::Boolean(true)));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod algebra;
pub(crate) mod remote;

pub use remote::{Auth, RemoteConfig, RemoteError};

use crate::changes::{BulkWrites, Change, Watcher, Watchers, Writes};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad,
    QuadRef, TermRef, Triple, TripleRef,
};
use oxigraph::sparql::{
    CancellationToken, DefaultServiceHandler, QueryEvaluationError, QueryResults,
    QuerySolutionIter, SparqlEvaluator, UpdateEvaluationError,
};
use oxigraph::store::{StorageError, Store};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use std::cell::RefCell;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The on-disk store could not be opened.
    #[error("cannot open the store at {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: StorageError,
    },
    /// Another process (a server, a load) has the store open for writing.
    #[error("the store at {} is in use by another spyatlas process (a server or a load): {source}", path.display())]
    InUse {
        path: PathBuf,
        #[source]
        source: StorageError,
    },
    /// The disk holding the store has too little room left for a write; nothing was
    /// written.
    #[error("the disk holding the store has {} MB free, below the {} MB it must keep free (--min-free-disk-mb, and room to flush the write-ahead log); nothing was written: free some space", available / (1024 * 1024), reserve / (1024 * 1024))]
    DiskFull { available: u64, reserve: u64 },
    /// The folder the store should be made in does not exist.
    #[error("cannot make a store at {}: the folder {} does not exist; create it, or give --data a path in an existing folder", path.display(), parent.display())]
    NoFolder { path: PathBuf, parent: PathBuf },
    /// A file bundled in the binary does not parse; this is a build defect.
    #[error("bundled file {file} is invalid: {message}")]
    Bundled { file: &'static str, message: String },
    /// The query was cancelled, by its deadline or because its client went away.
    #[error("the query was cancelled")]
    Cancelled,
    /// The evaluation passed the memory budget of its cancellation token (in bytes).
    #[error("the evaluation needed more than {} MB of memory", .0 / (1024 * 1024))]
    MemoryLimit(usize),
    /// The query failed during evaluation.
    #[error(transparent)]
    Evaluation(QueryEvaluationError),
    /// The update failed during evaluation (a missing graph, a LOAD or SERVICE refused...);
    /// it changed nothing.
    #[error(transparent)]
    Update(UpdateEvaluationError),
    /// The storage layer failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Serialising a graph failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The remote SPARQL store failed or could not be reached.
    #[error(transparent)]
    Remote(RemoteError),
    /// What the store was asked cannot be done on a remote SPARQL store.
    #[error("{0}")]
    Unsupported(String),
}

impl From<RemoteError> for StoreError {
    fn from(error: RemoteError) -> Self {
        match error {
            // The store stopped the query at the deadline this server gave it.
            RemoteError::TimeLimit {
                at_deadline: true, ..
            } => cancelled(),
            error => Self::Remote(error),
        }
    }
}

impl From<QueryEvaluationError> for StoreError {
    fn from(error: QueryEvaluationError) -> Self {
        match error {
            QueryEvaluationError::Cancelled => cancelled(),
            error => Self::Evaluation(error),
        }
    }
}

/// The knowledge graph: the store (embedded, or a remote SPARQL 1.1 store) plus the lock
/// that serialises this process's writers.
///
/// Cloning is cheap and shares the same database.
#[derive(Clone)]
pub struct Graph {
    backend: Backend,
    writer: Arc<Mutex<()>>,
    /// Counts the writes this process has seen (its own, and those a remote store reports
    /// made elsewhere): caches of what the store holds compare it to know when to rebuild.
    generation: Arc<AtomicU64>,
    /// The indexes told of every write (see [`crate::changes`]).
    watchers: Watchers,
    /// The work done on threads of its own (index builds), stopped before the store closes.
    background: Arc<Background>,
}

/// Where the quads are.
#[derive(Clone)]
enum Backend {
    /// An oxigraph store in this process (on disk, or in memory).
    Embedded {
        store: Store,
        /// The folder of an on-disk store, whose free space is checked before each write.
        folder: Option<Arc<PathBuf>>,
        /// Bytes of the disk a write must leave free.
        min_free_disk: u64,
    },
    /// A SPARQL 1.1 store reached over HTTP.
    Remote(Arc<remote::Remote>),
}

/// A [`Graph`] that does not keep it alive: a thread following a remote store holds one,
/// and ends once every `Graph` of the store is dropped.
pub(crate) struct WeakGraph {
    backend: WeakBackend,
    writer: std::sync::Weak<Mutex<()>>,
    generation: std::sync::Weak<AtomicU64>,
    watchers: crate::changes::WeakWatchers,
    background: std::sync::Weak<Background>,
}

enum WeakBackend {
    Embedded {
        store: Store,
        folder: Option<Arc<PathBuf>>,
        min_free_disk: u64,
    },
    Remote(std::sync::Weak<remote::Remote>),
}

impl WeakGraph {
    /// The graph, while some `Graph` of it lives.
    pub(crate) fn upgrade(&self) -> Option<Graph> {
        Some(Graph {
            backend: match &self.backend {
                WeakBackend::Embedded {
                    store,
                    folder,
                    min_free_disk,
                } => Backend::Embedded {
                    store: store.clone(),
                    folder: folder.clone(),
                    min_free_disk: *min_free_disk,
                },
                WeakBackend::Remote(remote) => Backend::Remote(remote.upgrade()?),
            },
            writer: self.writer.upgrade()?,
            generation: self.generation.upgrade()?,
            watchers: self.watchers.upgrade()?,
            background: self.background.upgrade()?,
        })
    }
}

/// Quads read from the store, one by one.
pub type Quads = Box<dyn Iterator<Item = Result<Quad, StoreError>>>;

/// The graphs a query reads.
#[derive(Debug, Clone, Default)]
pub enum Dataset {
    /// The default graph as stored (empty: every quad of spyatlas is in a named graph);
    /// named graphs through `GRAPH`. The crate's own queries.
    #[default]
    Stored,
    /// The union of all graphs as the default graph, unless the query has `FROM` clauses
    /// of its own: what the SPARQL endpoint offers.
    Union,
    /// Given by the protocol (`default-graph-uri`, `named-graph-uri`).
    Given {
        default: Vec<GraphName>,
        named: Vec<NamedOrBlankNode>,
    },
}

/// The background work on one store: a token that stops it, and how much of it runs.
#[derive(Default)]
struct Background {
    token: CancellationToken,
    running: Mutex<usize>,
    finished: std::sync::Condvar,
}

impl Graph {
    /// Opens (or creates) the on-disk store in `path`, as it is (seeding a new one is
    /// [`crate::ingest::seed`]'s work).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_keeping_free(path, DEFAULT_MIN_FREE_DISK)
    }

    /// [`Graph::open`], its writes keeping `min_free_disk` bytes of the disk free (see
    /// [`Graph::with_min_free_disk`]).
    pub fn open_keeping_free(path: &Path, min_free_disk: u64) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::NoFolder {
                path: path.to_owned(),
                parent: parent.to_owned(),
            });
        }
        let store = Store::open(path).map_err(|source| {
            // RocksDB says so when another process holds the store's lock file.
            let message = source.to_string();
            if message.contains("lock") || message.contains("Resource temporarily unavailable") {
                StoreError::InUse {
                    path: path.to_owned(),
                    source,
                }
            } else {
                StoreError::Open {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Ok(Self::with_backend(Backend::Embedded {
            store,
            folder: Some(Arc::new(path.to_owned())),
            min_free_disk,
        }))
    }

    /// Opens an existing on-disk store for reading only, without loading anything into it
    /// (a store a process left behind). Not beside a process that writes it: RocksDB may
    /// remove files such a reader still needs; `spyatlas query` asks the server instead.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let store = Store::open_read_only(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::embedded(store))
    }

    /// An empty in-memory store (tests, and conformance runs that need a blank slate).
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::embedded(Store::new()?))
    }

    /// The remote SPARQL 1.1 store `config` names, once it answers. Writes made there by
    /// other processes are noticed within `config.poll` (see [`RemoteConfig`]).
    pub fn remote(config: RemoteConfig) -> Result<Self, StoreError> {
        let poll = config.poll;
        let remote = Arc::new(remote::Remote::connect(config)?);
        let graph = Self::with_backend(Backend::Remote(Arc::clone(&remote)));
        remote::follow(&graph, &remote, poll);
        Ok(graph)
    }

    fn embedded(store: Store) -> Self {
        Self::with_backend(Backend::Embedded {
            store,
            folder: None,
            min_free_disk: DEFAULT_MIN_FREE_DISK,
        })
    }

    fn with_backend(backend: Backend) -> Self {
        Self {
            backend,
            writer: Arc::new(Mutex::new(())),
            generation: Arc::new(AtomicU64::new(0)),
            watchers: Watchers::default(),
            background: Arc::default(),
        }
    }

    /// A handle that does not keep the store open (see [`WeakGraph`]).
    pub(crate) fn downgrade(&self) -> WeakGraph {
        WeakGraph {
            backend: match &self.backend {
                Backend::Embedded {
                    store,
                    folder,
                    min_free_disk,
                } => WeakBackend::Embedded {
                    store: store.clone(),
                    folder: folder.clone(),
                    min_free_disk: *min_free_disk,
                },
                Backend::Remote(remote) => WeakBackend::Remote(Arc::downgrade(remote)),
            },
            writer: Arc::downgrade(&self.writer),
            generation: Arc::downgrade(&self.generation),
            watchers: self.watchers.downgrade(),
            background: Arc::downgrade(&self.background),
        }
    }

    /// Whether the quads are in a remote SPARQL store.
    pub fn is_remote(&self) -> bool {
        matches!(self.backend, Backend::Remote(_))
    }

    /// How many queries a remote store's compiler refused once and were sent again (none
    /// for the embedded store).
    pub fn queries_sent_again(&self) -> Option<u64> {
        match &self.backend {
            Backend::Embedded { .. } => None,
            Backend::Remote(remote) => Some(remote.queries_sent_again()),
        }
    }

    /// What the store is, for the log and `/health`: a folder, memory, or an endpoint.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Embedded {
                folder: Some(folder),
                ..
            } => format!("embedded store in {}", folder.display()),
            Backend::Embedded { folder: None, .. } => "embedded store in memory".into(),
            Backend::Remote(remote) => format!("SPARQL store at {}", remote.query_url()),
        }
    }

    /// Runs `work` (an index build on a thread of its own) as background work of the
    /// store: [`Graph::stop_background`] cancels it (every query it evaluates and each
    /// [`check_cancelled`] then fail) and waits for it, so that no thread is still reading
    /// when the store closes.
    pub fn in_background<T>(&self, work: impl FnOnce() -> T) -> T {
        struct Running<'a>(&'a Background);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                let mut running = self
                    .0
                    .running
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                *running -= 1;
                self.0.finished.notify_all();
            }
        }
        *self
            .background
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        let _running = Running(&self.background);
        let _patient = Patient::enter();
        with_cancellation(&self.background.token, work)
    }

    /// Stops the background work of the store and waits for it to end, for at most
    /// `limit`; answers whether it has. Background work started afterwards stops at once.
    pub fn stop_background(&self, limit: std::time::Duration) -> bool {
        self.background.token.cancel();
        let running = self
            .background
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (running, _) = self
            .background
            .finished
            .wait_timeout_while(running, limit, |running| *running > 0)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *running == 0
    }

    /// Whether [`Graph::stop_background`] was called: the store is closing.
    pub(crate) fn is_stopping(&self) -> bool {
        self.background.token.is_cancelled()
    }

    /// Tells `watcher` of every write from now on, after its commit and before any other
    /// write (see [`Watcher`]).
    pub fn watch(&self, watcher: std::sync::Weak<dyn Watcher>) {
        self.watchers.add(watcher);
    }

    /// Runs `work` while no write of this process can commit: a snapshot taken inside
    /// holds every write told to the watchers so far, and none told after. (A remote
    /// store's other writers are not held back: their writes are told when noticed.)
    pub fn between_writes<T>(&self, work: impl FnOnce() -> T) -> T {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        work()
    }

    /// Keeps `bytes` of the store's disk free: a write that starts with less free fails
    /// with [`StoreError::DiskFull`] and writes nothing. (Past a full disk, RocksDB's
    /// background work fails in ways that can end the process.) Nothing for a remote store.
    pub fn with_min_free_disk(mut self, bytes: u64) -> Self {
        if let Backend::Embedded { min_free_disk, .. } = &mut self.backend {
            *min_free_disk = bytes;
        }
        self
    }

    /// Fails with [`StoreError::DiskFull`] when the store's disk has less free space than
    /// it must keep: the reserve, and room to flush what the write-ahead log holds into
    /// table files (twice its size, for the flush and a compaction after it). A flush that
    /// finds the disk full fails, at the latest when the server stops.
    pub fn check_free_disk(&self) -> Result<(), StoreError> {
        let Backend::Embedded {
            folder: Some(folder),
            min_free_disk,
            ..
        } = &self.backend
        else {
            return Ok(());
        };
        let Ok(stats) = rustix::fs::statvfs(folder.as_path()) else {
            return Ok(());
        };
        let available = stats.f_bavail.saturating_mul(stats.f_frsize);
        let needed = min_free_disk.saturating_add(write_ahead_log_bytes(folder).saturating_mul(2));
        if available < needed {
            return Err(StoreError::DiskFull {
                available,
                reserve: needed,
            });
        }
        Ok(())
    }

    /// The evaluator the embedded store's queries and updates go through. Every `SERVICE`
    /// call is refused, so a public endpoint never fetches an arbitrary URL, whatever HTTP
    /// client features oxigraph was built with. Inside [`with_cancellation`], its
    /// evaluations stop when that token is cancelled.
    fn evaluator() -> SparqlEvaluator {
        let evaluator = SparqlEvaluator::new().with_default_service_handler(NoFederation);
        match current_token() {
            Some(token) => evaluator.with_cancellation_token(token),
            None => evaluator,
        }
    }

    /// Parses a query the crate writes itself; a failure is a defect, told as an error.
    pub fn parse(query: &str) -> Result<spargebra::Query, StoreError> {
        spargebra::SparqlParser::new()
            .parse_query(query)
            .map_err(|error| StoreError::Io(io::Error::other(format!("internal query: {error}"))))
    }

    /// Parses an update the crate (or a test) writes itself.
    pub fn parse_update(update: &str) -> Result<spargebra::Update, StoreError> {
        spargebra::SparqlParser::new()
            .parse_update(update)
            .map_err(|error| StoreError::Io(io::Error::other(format!("internal update: {error}"))))
    }

    /// Evaluates a query over `dataset`, under the deadline of the work running on this
    /// thread (see [`with_cancellation`]). A `SERVICE` call is refused on either store.
    pub fn query(
        &self,
        query: spargebra::Query,
        dataset: Dataset,
    ) -> Result<QueryResults<'static>, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => {
                let mut prepared = Self::evaluator().for_query(query);
                match dataset {
                    Dataset::Stored => {}
                    Dataset::Union => {
                        if prepared.dataset().is_default_dataset() {
                            prepared.dataset_mut().set_default_graph_as_union();
                        }
                    }
                    Dataset::Given { default, named } => {
                        let target = prepared.dataset_mut();
                        target.set_default_graph(default);
                        target.set_available_named_graphs(named);
                    }
                }
                Ok(prepared.on_store(store).execute()?)
            }
            Backend::Remote(remote) => remote.query(&query, &dataset),
        }
    }

    /// Runs a SELECT query written by the crate itself (on the real default graph: name
    /// graphs with `GRAPH`), and answers its rows by variable name.
    pub fn select(
        &self,
        query: &str,
    ) -> Result<Vec<std::collections::HashMap<String, oxigraph::model::Term>>, StoreError> {
        let mut rows = Vec::new();
        if let QueryResults::Solutions(solutions) =
            self.query(Self::parse(query)?, Dataset::Stored)?
        {
            for solution in solutions {
                let solution = solution?;
                rows.push(
                    solution
                        .iter()
                        .map(|(variable, term)| (variable.as_str().to_owned(), term.clone()))
                        .collect(),
                );
            }
        }
        Ok(rows)
    }

    /// Runs a SPARQL update, after any other writer of this process has finished: over the
    /// union of all graphs, or the protocol's dataset when given. Atomic on the embedded
    /// store; on a remote store, as atomic as the engine makes one request.
    pub fn update(
        &self,
        update: spargebra::Update,
        dataset: Option<(Vec<GraphName>, Vec<NamedOrBlankNode>)>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer()?;
        let done = match &self.backend {
            Backend::Embedded { store, .. } => {
                let mut prepared = Self::evaluator().for_update(update);
                for using in prepared.using_datasets_mut() {
                    match &dataset {
                        Some((default, named)) => {
                            using.set_default_graph(default.clone());
                            using.set_available_named_graphs(named.clone());
                        }
                        None if using.is_default_dataset() => using.set_default_graph_as_union(),
                        None => {}
                    }
                }
                prepared
                    .on_store(store)
                    .execute()
                    .map_err(|error| match error {
                        UpdateEvaluationError::Storage(error) => StoreError::Storage(error),
                        UpdateEvaluationError::Unexpected(inner)
                            if matches!(
                                inner.downcast_ref::<QueryEvaluationError>(),
                                Some(QueryEvaluationError::Cancelled)
                            ) =>
                        {
                            cancelled()
                        }
                        error => StoreError::Update(error),
                    })
            }
            Backend::Remote(remote) => remote.update(&update, dataset.as_ref()),
        };
        // Even a failed update may have written (a multi-operation update is not atomic).
        self.watchers.tell(self, &Change::Unknown);
        done
    }

    /// Answers whether the store can be read (for `/health`).
    pub fn check_readable(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => {
                store.iter().next().transpose()?;
            }
            Backend::Remote(remote) => remote.check_readable()?,
        }
        Ok(())
    }

    /// Number of quads in the store.
    pub fn len(&self) -> Result<usize, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store.len()?),
            Backend::Remote(remote) => remote.len(),
        }
    }

    /// Whether the store holds no quad.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store.is_empty()?),
            Backend::Remote(remote) => Ok(remote
                .quads(None, None, None, None, Some(1))?
                .next()
                .is_none()),
        }
    }

    /// The quads matching a pattern (`None`: any), from a snapshot of the store.
    pub fn quads_for_pattern(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> Quads {
        match &self.backend {
            Backend::Embedded { store, .. } => Box::new(
                store
                    .quads_for_pattern(subject, predicate, object, graph)
                    .map(|quad| quad.map_err(StoreError::from)),
            ),
            // With at most a predicate given, the answer may hold most of the store: more
            // rows than a store answers at once (Virtuoso: 2^20). It is read graph by graph.
            Backend::Remote(remote) if subject.is_none() && object.is_none() && graph.is_none() => {
                match remote::Remote::quads_everywhere(remote, predicate, object) {
                    Ok(quads) => quads,
                    Err(error) => Box::new(std::iter::once(Err(error))),
                }
            }
            Backend::Remote(remote) => {
                match remote.quads(subject, predicate, object, graph, None) {
                    Ok(quads) => quads,
                    Err(error) => Box::new(std::iter::once(Err(error))),
                }
            }
        }
    }

    /// Every quad of the store.
    pub fn iter(&self) -> Quads {
        self.quads_for_pattern(None, None, None, None)
    }

    /// Whether the store holds a quad.
    pub fn contains<'b>(&self, quad: impl Into<QuadRef<'b>>) -> Result<bool, StoreError> {
        let quad = quad.into();
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store.contains(quad)?),
            Backend::Remote(remote) => remote.contains(quad),
        }
    }

    /// Whether a graph exists: the default graph always does, a named graph once created
    /// (on a remote store: once it holds a quad).
    pub fn graph_exists(&self, graph: GraphNameRef<'_>) -> Result<bool, StoreError> {
        match graph {
            GraphNameRef::DefaultGraph => Ok(true),
            GraphNameRef::NamedNode(name) => self.contains_named_graph(name.into()),
            GraphNameRef::BlankNode(name) => self.contains_named_graph(name.into()),
        }
    }

    /// The named graphs of the store (on a remote store: those holding quads, the
    /// engine's own and spyatlas's bookkeeping left out).
    pub fn named_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => store
                .named_graphs()
                .filter_map(|name| match name {
                    Ok(NamedOrBlankNode::NamedNode(name)) => Some(Ok(name)),
                    Ok(NamedOrBlankNode::BlankNode(_)) => None,
                    Err(error) => Some(Err(error.into())),
                })
                .collect(),
            Backend::Remote(remote) => Ok(remote
                .graph_names()?
                .into_iter()
                .filter(|name| name.as_str() != crate::vocab::remote::DEFAULT_GRAPH)
                .collect()),
        }
    }

    /// Whether a named graph exists.
    pub fn contains_named_graph(&self, name: NamedOrBlankNodeRef<'_>) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store.contains_named_graph(name)?),
            Backend::Remote(remote) => remote.contains_named_graph(name),
        }
    }

    /// Serialises one graph in an RDF format.
    pub fn write_graph<W: Write>(
        &self,
        graph: GraphNameRef<'_>,
        format: RdfFormat,
        writer: W,
    ) -> Result<W, StoreError> {
        let mut serializer = RdfSerializer::from_format(format).for_writer(writer);
        for quad in self.quads_for_pattern(None, None, None, Some(graph)) {
            let quad = quad?;
            serializer.serialize_triple(TripleRef::new(
                &quad.subject,
                &quad.predicate,
                &quad.object,
            ))?;
        }
        Ok(serializer.finish()?)
    }

    /// Serialises one named graph with its name, in a dataset syntax (N-Quads, TriG).
    pub fn write_graph_quads<W: Write>(
        &self,
        graph: GraphNameRef<'_>,
        format: RdfFormat,
        writer: W,
    ) -> Result<W, StoreError> {
        let mut serializer = RdfSerializer::from_format(format).for_writer(writer);
        for quad in self.quads_for_pattern(None, None, None, Some(graph)) {
            serializer.serialize_quad(&quad?)?;
        }
        Ok(serializer.finish()?)
    }

    /// Replaces the content of a graph, creating it if needed; returns whether it existed.
    pub fn replace_graph(&self, graph: &GraphName, triples: &[Triple]) -> Result<bool, StoreError> {
        self.write_to_graph(graph, triples, Mode::Replace)
    }

    /// Adds triples to a graph, creating it if needed; returns whether it existed.
    pub fn extend_graph(&self, graph: &GraphName, triples: &[Triple]) -> Result<bool, StoreError> {
        self.write_to_graph(graph, triples, Mode::Merge)
    }

    fn write_to_graph(
        &self,
        graph: &GraphName,
        triples: &[Triple],
        mode: Mode,
    ) -> Result<bool, StoreError> {
        self.transaction(|transaction| {
            let existed = match graph.as_ref() {
                GraphNameRef::DefaultGraph => true,
                GraphNameRef::NamedNode(name) => transaction.contains_named_graph(name)?,
                GraphNameRef::BlankNode(name) => transaction.contains_named_graph(name)?,
            };
            if mode == Mode::Replace {
                transaction.clear_graph(graph.as_ref())?;
            }
            match graph {
                GraphName::NamedNode(name) => transaction.insert_named_graph(name),
                GraphName::BlankNode(name) => transaction.insert_named_graph(name),
                GraphName::DefaultGraph => {}
            }
            for triple in triples {
                transaction.insert(QuadRef::new(
                    &triple.subject,
                    &triple.predicate,
                    &triple.object,
                    graph.as_ref(),
                ))?;
            }
            Ok::<_, StoreError>(existed)
        })
    }

    /// Runs `work` in one transaction, after any other writer of this process has
    /// finished: it sees the store as it is, and what it writes is committed together
    /// when it returns `Ok`, or not at all. On a remote store, what it wrote is sent as
    /// one update request (see `store/remote.rs`).
    pub fn transaction<T, E: From<StorageError> + From<StoreError>>(
        &self,
        work: impl FnOnce(&mut Writes<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let _writer = self.lock_writer()?;
        let mut transaction = match &self.backend {
            Backend::Embedded { store, .. } => Writes::new(store.start_transaction()?),
            Backend::Remote(remote) => Writes::remote(remote),
        };
        let value = work(&mut transaction)?;
        let change = transaction.commit()?;
        self.watchers.tell(self, &change);
        Ok(value)
    }

    /// Deletes a graph (the default graph is emptied); returns whether it existed.
    pub fn drop_graph(&self, graph: GraphNameRef<'_>) -> Result<bool, StoreError> {
        self.transaction(|transaction| {
            Ok::<_, StoreError>(match graph {
                GraphNameRef::DefaultGraph => {
                    transaction.clear_graph(graph)?;
                    true
                }
                GraphNameRef::NamedNode(name) => Self::drop_named_graph(transaction, name.into())?,
                GraphNameRef::BlankNode(name) => Self::drop_named_graph(transaction, name.into())?,
            })
        })
    }

    fn drop_named_graph(
        transaction: &mut Writes<'_>,
        name: NamedOrBlankNodeRef<'_>,
    ) -> Result<bool, StoreError> {
        if !transaction.contains_named_graph(name)? {
            return Ok(false);
        }
        transaction.remove_named_graph(name)?;
        Ok(true)
    }

    /// Runs `load` with a bulk loader and commits its work in one step; when `load` fails,
    /// nothing it loaded is written.
    pub fn bulk_load<E: From<StorageError> + From<StoreError>>(
        &self,
        load: impl FnOnce(&mut BulkWrites<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.bulk_load_expecting(0, load)
    }

    /// [`Graph::bulk_load`] of about `expected` quads (0 when unknown), which sizes its
    /// batches.
    ///
    /// Batches are of 256k quads, so that several are sorted and written at once, on
    /// every core, even in a load of a million. A larger load takes larger batches, up to
    /// a million quads (oxigraph's default): every batch writes files that RocksDB merges
    /// afterwards, and 40 batches of a 10M-quad load took it as long to merge (on closing
    /// the store) as to load. On a remote store, the quads are sent in one update request.
    pub fn bulk_load_expecting<E: From<StorageError> + From<StoreError>>(
        &self,
        expected: u64,
        load: impl FnOnce(&mut BulkWrites<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let _writer = self.lock_writer()?;
        let mut loader = match &self.backend {
            Backend::Embedded { store, .. } => {
                let batch = usize::try_from(expected / BULK_BATCHES)
                    .unwrap_or(usize::MAX)
                    .clamp(BULK_BATCH_QUADS, BULK_BATCH_MAX_QUADS);
                BulkWrites::new(store.bulk_loader().with_max_memory_size_in_megabytes(
                    batch / 1000 * std::thread::available_parallelism().map_or(1, usize::from),
                ))
            }
            Backend::Remote(remote) => BulkWrites::remote(remote),
        };
        load(&mut loader)?;
        let change = loader.commit()?;
        self.watchers.tell(self, &change);
        Ok(())
    }

    /// Writes every quad of the store as N-Quads.
    pub fn dump<W: Write>(&self, writer: W) -> Result<W, StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store
                .dump_to_writer(RdfFormat::NQuads, writer)
                .map_err(io::Error::from)?),
            Backend::Remote(_) => {
                let mut serializer =
                    RdfSerializer::from_format(RdfFormat::NQuads).for_writer(writer);
                for quad in self.iter() {
                    serializer.serialize_quad(&quad?)?;
                }
                Ok(serializer.finish()?)
            }
        }
    }

    /// Copies the store, as it is at one moment, into the new folder `target` (a RocksDB
    /// checkpoint: hard links to the immutable files when `target` is on the same disk),
    /// while reads and writes go on. The copy opens as a store of its own; a write
    /// committed while the copy is made is in it whole or not at all.
    pub fn backup(&self, target: &Path) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded {
                store,
                folder: Some(_),
                ..
            } => {
                if target.exists() {
                    return Err(StoreError::Unsupported(format!(
                        "{} exists already: a backup goes into a new folder",
                        target.display()
                    )));
                }
                Ok(store.backup(target)?)
            }
            Backend::Embedded { folder: None, .. } => Err(StoreError::Unsupported(
                "a store held in memory has no files to back up: dump it instead".into(),
            )),
            Backend::Remote(_) => Err(StoreError::Unsupported(
                "a remote SPARQL store is backed up with its own tools (for Virtuoso, its backup functions or a copy of its database while stopped); `spyatlas dump` writes every quad as N-Quads".into(),
            )),
        }
    }

    /// Writes what oxigraph buffered to disk (nothing to do for a remote store).
    pub fn flush(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded { store, .. } => Ok(store.flush()?),
            Backend::Remote(_) => Ok(()),
        }
    }

    /// Takes the writer lock, once the disk has room for a write.
    fn lock_writer(&self) -> Result<WriterGuard<'_>, StoreError> {
        // A writer that panicked left no half-written transaction behind (transactions
        // commit or vanish), so the lock is still good to use.
        let guard = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.check_free_disk()?;
        Ok(WriterGuard {
            _lock: guard,
            generation: &self.generation,
        })
    }

    /// Tells the watchers that the store changed in ways not known here (a write another
    /// process made to a remote store), as a write of this process would.
    pub(crate) fn changed_elsewhere(&self) {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.watchers.tell(self, &Change::Unknown);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A number that changes whenever a writer has had the store (see [`Graph::transaction`]
    /// and the other writing methods, and writes to a remote store made elsewhere, once
    /// noticed); equal numbers mean nothing was written in between. It changes when the
    /// writer is done (committed or not), so a reader that sees the new number sees what
    /// was written.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

thread_local! {
    /// Whether the work on this thread is background work (see [`Graph::in_background`]),
    /// which may wait for a remote store longer than a request's deadline.
    static PATIENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The token of the work running on this thread (see [`with_cancellation`]).
    static CANCELLATION: RefCell<Option<CancellationToken>> = const { RefCell::new(None) };
}

/// Runs `work` with `token` as the cancellation token of everything it evaluates through
/// [`Graph::evaluator`] on this thread, and of [`check_cancelled`]: the deadline (and the
/// memory budget) of a request reaches every query of its work without being passed
/// along.
pub fn with_cancellation<T>(token: &CancellationToken, work: impl FnOnce() -> T) -> T {
    with_token(Some(token.clone()), work)
}

/// Marks this thread's work as background work while it lives.
struct Patient(bool);

impl Patient {
    fn enter() -> Self {
        Self(PATIENT.with(|patient| patient.replace(true)))
    }
}

impl Drop for Patient {
    fn drop(&mut self) {
        PATIENT.with(|patient| patient.set(self.0));
    }
}

/// Whether the work on this thread may wait long for a remote store: background work
/// (an index build reading the whole store), or work under no deadline (a command of the
/// command line, shared work a request only started).
pub(crate) fn may_wait_long() -> bool {
    PATIENT.with(std::cell::Cell::get) || current_token().is_none()
}

/// Runs `work` without the cancellation token of the work around it: for shared work a
/// request only happens to start (an index of the whole store, kept for every request
/// after), which must not be cut at that request's deadline and started again by the next.
pub fn without_cancellation<T>(work: impl FnOnce() -> T) -> T {
    with_token(None, work)
}

/// Runs `work` with `token` as this thread's token, and puts the one before back after
/// (even when `work` panics).
fn with_token<T>(token: Option<CancellationToken>, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<CancellationToken>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CANCELLATION.with(|current| *current.borrow_mut() = previous);
        }
    }
    let previous = CANCELLATION.with(|current| current.replace(token));
    let _restore = Restore(previous);
    work()
}

/// The token of the work running on this thread, if any.
pub fn current_token() -> Option<CancellationToken> {
    CANCELLATION.with(|current| current.borrow().clone())
}

/// Whether the work running on this thread was told to stop.
pub fn is_cancelled() -> bool {
    CANCELLATION.with(|current| {
        current
            .borrow()
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
    })
}

/// Why the work on this thread was cancelled: its memory budget, or (else) its deadline.
fn cancelled() -> StoreError {
    match current_token() {
        Some(token) if token.is_out_of_memory() => StoreError::MemoryLimit(token.memory_limit()),
        _ => StoreError::Cancelled,
    }
}

/// Fails with [`StoreError::Cancelled`] once the work running on this thread was told to
/// stop: loops that read no store (a breadth-first search, an index build) call it.
pub fn check_cancelled() -> Result<(), StoreError> {
    if is_cancelled() {
        Err(StoreError::Cancelled)
    } else {
        Ok(())
    }
}

/// The writer lock, held while one writer has the store; when it is released (after the
/// writer's commit, or its failure) the store's generation moves on.
struct WriterGuard<'a> {
    _lock: MutexGuard<'a, ()>,
    generation: &'a AtomicU64,
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// The bytes of RocksDB's write-ahead log files (`NNNNNN.log`) in a store's folder: what
/// has been written but not yet flushed into table files.
fn write_ahead_log_bytes(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|extension| extension == "log")
        })
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// The default of [`Graph::with_min_free_disk`]: 64 MB.
pub const DEFAULT_MIN_FREE_DISK: u64 = 64 * 1024 * 1024;

/// Quads per bulk-loader batch (see [`Graph::bulk_load_expecting`]).
const BULK_BATCH_QUADS: usize = 256_000;
/// The most quads of a bulk-loader batch.
const BULK_BATCH_MAX_QUADS: usize = 1_000_000;
/// The batches a large bulk load is cut into, about.
const BULK_BATCHES: u64 = 16;

/// The `SERVICE` handler that refuses every call.
struct NoFederation;

impl DefaultServiceHandler for NoFederation {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        service_name: &NamedNode,
        _pattern: &GraphPattern,
        _base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, Self::Error> {
        Err(QueryEvaluationError::UnsupportedService(
            service_name.clone(),
        ))
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Mode {
    Replace,
    Merge,
}

/// The RDF syntax of a media type (`text/turtle`, `application/n-quads`...). `text/plain`
/// is not taken for N-Triples, as oxigraph would: a text file is not RDF until its sender
/// says so.
pub fn format_of_media_type(media_type: &str) -> Option<RdfFormat> {
    if media_type.eq_ignore_ascii_case("text/plain") {
        return None;
    }
    RdfFormat::from_media_type(media_type)
}

/// The RDF syntax of a file, from its extension.
pub fn format_of_path(path: &Path) -> Option<RdfFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "json" => Some(RdfFormat::JsonLd {
            profile: Default::default(),
        }),
        "owl" => Some(RdfFormat::RdfXml),
        other => RdfFormat::from_extension(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_the_background_work_cancels_it_and_waits_for_it() {
        let graph = Graph::in_memory().unwrap();
        let (started, running) = std::sync::mpsc::channel();
        let returned = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = {
            let (graph, returned) = (graph.clone(), Arc::clone(&returned));
            std::thread::spawn(move || {
                graph.in_background(|| {
                    started.send(()).unwrap();
                    // A build that would run for a minute, checking as builds do.
                    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
                    let mut outcome = "ran to the end";
                    while std::time::Instant::now() < until {
                        if check_cancelled().is_err() {
                            outcome = "stopped";
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    returned.store(true, Ordering::SeqCst);
                    outcome
                })
            })
        };
        running.recv().unwrap();
        assert!(graph.stop_background(std::time::Duration::from_secs(10)));
        assert!(
            returned.load(Ordering::SeqCst),
            "stop_background waited for the work"
        );
        assert_eq!(worker.join().unwrap(), "stopped");
        // Work started afterwards stops at once; work outside stays uncancelled.
        assert!(graph.in_background(|| check_cancelled().is_err()));
        assert!(check_cancelled().is_ok());
    }

    #[test]
    fn the_generation_moves_on_once_a_write_is_done() {
        let graph = Graph::in_memory().unwrap();
        let before = graph.generation();
        let during = graph
            .transaction(|_| Ok::<_, StoreError>(graph.generation()))
            .unwrap();
        // A reader seeing a new generation must see what was written under it.
        assert_eq!(during, before, "not moved on before the commit");
        assert!(graph.generation() > before);
    }

    #[test]
    fn writes_to_a_named_graph_report_whether_it_existed() {
        let graph = Graph::in_memory().unwrap();
        let name =
            GraphName::NamedNode(oxigraph::model::NamedNode::new("http://example.com/g").unwrap());
        assert!(!graph.replace_graph(&name, &[]).unwrap());
        assert!(graph.graph_exists(name.as_ref()).unwrap());
        assert!(graph.extend_graph(&name, &[]).unwrap());
        assert!(graph.drop_graph(name.as_ref()).unwrap());
        assert!(!graph.drop_graph(name.as_ref()).unwrap());
    }
}
