//! What a write did to the store, told to the indexes that follow it.
//!
//! Every write of [`Graph`](crate::store::Graph) ends, once committed and while the
//! writer lock is still held, by telling its [`Watcher`]s the [`Change`]: the quads it
//! added and removed when they are known (report loads and retractions, Graph Store
//! writes), or only that the store changed (a SPARQL update). Watchers (the search
//! index, the report loader's entity index, the page cache, the statistics) update
//! themselves from it instead of reading the whole store again, so a write costs what it
//! writes, and the next reader sees it.
//!
//! [`Kept`] holds such an index ([`Follows`]) and builds it afresh in the background when
//! it must, while the one before keeps answering.
//!
//! [`Writes`] is the transaction the writing methods hand out: it passes reads and writes
//! to oxigraph's, and keeps the exact difference it makes (a quad inserted that was
//! already there is no change; one removed and inserted again is none either).

use crate::store::{Graph, StoreError};
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, QuadRef,
    TermRef,
};
use oxigraph::store::{BulkLoader, StorageError, Transaction};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock, Weak};

/// What one committed write did.
#[derive(Debug, Clone)]
pub enum Change {
    /// Exactly these quads were added and removed (none of them both).
    Quads {
        added: Vec<Quad>,
        removed: Vec<Quad>,
    },
    /// The store changed in ways not known quad by quad (a SPARQL update, a bulk load of
    /// files): whatever depends on it must read the store again.
    Unknown,
}

impl Change {
    /// A change of nothing.
    pub fn none() -> Self {
        Self::Quads {
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Whether the change is known to be empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Quads { added, removed } if added.is_empty() && removed.is_empty())
    }

    /// Every quad added or removed, with whether it was added.
    pub fn quads(&self) -> impl Iterator<Item = (&Quad, bool)> {
        let (added, removed): (&[Quad], &[Quad]) = match self {
            Self::Quads { added, removed } => (added, removed),
            Self::Unknown => (&[], &[]),
        };
        added
            .iter()
            .map(|quad| (quad, true))
            .chain(removed.iter().map(|quad| (quad, false)))
    }
}

/// Something kept up to date with the store from its changes.
///
/// [`Watcher::changed`] runs on the writer's thread, after the commit, with the writer
/// lock held: it sees the store as the write left it, and no other write happens until it
/// returns. It must be quick (the work of the change, not of the store), must not write
/// to the store, and must not wait for readers for long.
pub trait Watcher: Send + Sync {
    /// The store (read it to learn what holds now) changed by `change`.
    fn changed(&self, graph: &Graph, change: &Change);
}

/// The watchers of one store. Held weakly: a dropped index stops being told.
#[derive(Clone, Default)]
pub struct Watchers(Arc<RwLock<Vec<Weak<dyn Watcher>>>>);

/// [`Watchers`] that do not keep the list alive.
pub(crate) struct WeakWatchers(Weak<RwLock<Vec<Weak<dyn Watcher>>>>);

impl WeakWatchers {
    pub(crate) fn upgrade(&self) -> Option<Watchers> {
        self.0.upgrade().map(Watchers)
    }
}

impl Watchers {
    pub(crate) fn downgrade(&self) -> WeakWatchers {
        WeakWatchers(Arc::downgrade(&self.0))
    }

    /// Tells `watcher` of every change from now on.
    pub fn add(&self, watcher: Weak<dyn Watcher>) {
        let mut watchers = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        watchers.retain(|known| known.strong_count() > 0);
        watchers.push(watcher);
    }

    /// Tells every live watcher of `change`.
    pub fn tell(&self, graph: &Graph, change: &Change) {
        if change.is_empty() {
            return;
        }
        let watchers: Vec<Arc<dyn Watcher>> = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for watcher in watchers {
            watcher.changed(graph, change);
        }
    }
}

/// A transaction that keeps the difference it makes. Reads through it see its own
/// writes; writes go through the methods here.
///
/// On the embedded store it is an oxigraph transaction. On a remote store, the graphs it
/// touches are read once and changed here, and [`Writes::commit`] sends the result in one
/// update request (see [`crate::store`]'s remote store).
pub struct Writes<'a> {
    inner: Inner<'a>,
    added: HashSet<Quad>,
    removed: HashSet<Quad>,
}

enum Inner<'a> {
    Embedded(Transaction<'a>),
    Remote(RemoteWrites<'a>),
}

/// What a transaction on a remote store has done so far.
pub(crate) struct RemoteWrites<'a> {
    pub(crate) remote: &'a crate::store::remote::Remote,
    /// The content of each graph touched, as the transaction leaves it; read from the
    /// store when first touched.
    pub(crate) graphs: RefCell<HashMap<GraphName, HashSet<Quad>>>,
    /// The content of each graph touched, as the store held it.
    pub(crate) before: RefCell<HashMap<GraphName, HashSet<Quad>>>,
    /// Named graphs created (and not removed again) by the transaction.
    pub(crate) created: HashSet<NamedOrBlankNode>,
}

impl RemoteWrites<'_> {
    /// Runs `work` on the content of `graph` as the transaction has it.
    fn with_graph<T>(
        &self,
        graph: GraphNameRef<'_>,
        work: impl FnOnce(&mut HashSet<Quad>) -> T,
    ) -> Result<T, StoreError> {
        let mut graphs = self.graphs.borrow_mut();
        let key = graph.into_owned();
        if !graphs.contains_key(&key) {
            let content = self
                .remote
                .quads(None, None, None, Some(graph), None)?
                .collect::<Result<HashSet<_>, _>>()?;
            self.before
                .borrow_mut()
                .insert(key.clone(), content.clone());
            graphs.insert(key.clone(), content);
        }
        Ok(work(graphs.get_mut(&key).expect("just read")))
    }
}

impl<'a> Writes<'a> {
    pub(crate) fn new(transaction: Transaction<'a>) -> Self {
        Self {
            inner: Inner::Embedded(transaction),
            added: HashSet::new(),
            removed: HashSet::new(),
        }
    }

    pub(crate) fn remote(remote: &'a crate::store::remote::Remote) -> Self {
        Self {
            inner: Inner::Remote(RemoteWrites {
                remote,
                graphs: RefCell::default(),
                before: RefCell::default(),
                created: HashSet::new(),
            }),
            added: HashSet::new(),
            removed: HashSet::new(),
        }
    }

    /// Adds a quad.
    pub fn insert<'b>(&mut self, quad: impl Into<QuadRef<'b>>) -> Result<(), StoreError> {
        let quad = quad.into();
        let owned = quad.into_owned();
        let new = match &mut self.inner {
            Inner::Embedded(transaction) => {
                let new = !transaction.contains(quad)?;
                transaction.insert(quad);
                new
            }
            Inner::Remote(writes) => {
                writes.with_graph(quad.graph_name, |content| content.insert(owned.clone()))?
            }
        };
        if self.removed.remove(&owned) {
            // It was there before this transaction, and is there again.
        } else if new {
            self.added.insert(owned);
        }
        Ok(())
    }

    /// Adds quads.
    pub fn extend<'b>(
        &mut self,
        quads: impl IntoIterator<Item = impl Into<QuadRef<'b>>>,
    ) -> Result<(), StoreError> {
        for quad in quads {
            self.insert(quad)?;
        }
        Ok(())
    }

    /// Removes a quad.
    pub fn remove<'b>(&mut self, quad: impl Into<QuadRef<'b>>) -> Result<(), StoreError> {
        let quad = quad.into();
        let owned = quad.into_owned();
        let there = match &mut self.inner {
            Inner::Embedded(transaction) => {
                let there = transaction.contains(quad)?;
                transaction.remove(quad);
                there
            }
            Inner::Remote(writes) => {
                writes.with_graph(quad.graph_name, |content| content.remove(&owned))?
            }
        };
        if self.added.remove(&owned) {
            // Added by this transaction: gone again, no change.
        } else if there {
            self.removed.insert(owned);
        }
        Ok(())
    }

    /// Removes every quad of a graph (the named graph itself stays).
    pub fn clear_graph<'b>(
        &mut self,
        graph: impl Into<GraphNameRef<'b>>,
    ) -> Result<(), StoreError> {
        let graph = graph.into();
        let quads = self
            .quads_for_pattern(None, None, None, Some(graph))
            .collect::<Result<Vec<_>, _>>()?;
        for quad in &quads {
            self.remove(quad)?;
        }
        Ok(())
    }

    /// Creates a named graph (no quad: not a change the indexes see).
    pub fn insert_named_graph<'b>(&mut self, graph: impl Into<NamedOrBlankNodeRef<'b>>) {
        let graph = graph.into();
        match &mut self.inner {
            Inner::Embedded(transaction) => {
                transaction.insert_named_graph(graph);
            }
            Inner::Remote(writes) => {
                writes.created.insert(graph.into_owned());
            }
        }
    }

    /// Removes a named graph with its quads.
    pub fn remove_named_graph<'b>(
        &mut self,
        graph: impl Into<NamedOrBlankNodeRef<'b>>,
    ) -> Result<(), StoreError> {
        let graph = graph.into();
        self.clear_graph(graph)?;
        match &mut self.inner {
            Inner::Embedded(transaction) => transaction.remove_named_graph(graph)?,
            Inner::Remote(writes) => {
                writes.created.remove(&graph.into_owned());
            }
        }
        Ok(())
    }

    /// Whether a named graph exists, as this transaction leaves it.
    pub fn contains_named_graph<'b>(
        &self,
        graph: impl Into<NamedOrBlankNodeRef<'b>>,
    ) -> Result<bool, StoreError> {
        let graph = graph.into();
        match &self.inner {
            Inner::Embedded(transaction) => Ok(transaction.contains_named_graph(graph)?),
            Inner::Remote(writes) => {
                if writes.created.contains(&graph.into_owned()) {
                    return Ok(true);
                }
                writes.with_graph(GraphNameRef::from(graph), |content| !content.is_empty())
            }
        }
    }

    /// The quads matching a pattern (`None`: any), as this transaction leaves the store.
    pub fn quads_for_pattern<'b>(
        &'b self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> Box<dyn Iterator<Item = Result<Quad, StoreError>> + 'b> {
        match &self.inner {
            Inner::Embedded(transaction) => Box::new(
                transaction
                    .quads_for_pattern(subject, predicate, object, graph)
                    .map(|quad| quad.map_err(StoreError::from)),
            ),
            Inner::Remote(writes) => {
                let matches = {
                    let subject = subject.map(NamedOrBlankNodeRef::into_owned);
                    let predicate = predicate.map(NamedNodeRef::into_owned);
                    let object = object.map(TermRef::into_owned);
                    move |quad: &Quad| {
                        subject
                            .as_ref()
                            .is_none_or(|subject| quad.subject == *subject)
                            && predicate
                                .as_ref()
                                .is_none_or(|predicate| quad.predicate == *predicate)
                            && object.as_ref().is_none_or(|object| quad.object == *object)
                    }
                };
                if let Some(graph) = graph {
                    let found = writes.with_graph(graph, |content| {
                        content
                            .iter()
                            .filter(|quad| matches(quad))
                            .cloned()
                            .collect::<Vec<_>>()
                    });
                    return match found {
                        Ok(found) => Box::new(found.into_iter().map(Ok)),
                        Err(error) => Box::new(std::iter::once(Err(error))),
                    };
                }
                let stored = match writes.remote.quads(subject, predicate, object, None, None) {
                    Ok(stored) => stored,
                    Err(error) => return Box::new(std::iter::once(Err(error))),
                };
                let added: Vec<Quad> = self
                    .added
                    .iter()
                    .filter(|quad| matches(quad))
                    .cloned()
                    .collect();
                Box::new(
                    stored
                        .filter(|quad| {
                            quad.as_ref().map_or(true, |quad| {
                                !self.removed.contains(quad) && !self.added.contains(quad)
                            })
                        })
                        .chain(added.into_iter().map(Ok)),
                )
            }
        }
    }

    /// Whether the store holds a quad, as this transaction leaves it.
    pub fn contains<'b>(&self, quad: impl Into<QuadRef<'b>>) -> Result<bool, StoreError> {
        let quad = quad.into();
        match &self.inner {
            Inner::Embedded(transaction) => Ok(transaction.contains(quad)?),
            Inner::Remote(writes) => {
                let owned = quad.into_owned();
                writes.with_graph(quad.graph_name, |content| content.contains(&owned))
            }
        }
    }

    /// Commits, and answers what changed.
    pub(crate) fn commit(self) -> Result<Change, StoreError> {
        match self.inner {
            Inner::Embedded(transaction) => transaction.commit()?,
            Inner::Remote(writes) => {
                if !self.added.is_empty() || !self.removed.is_empty() {
                    crate::store::remote::commit(&writes, &self.added, &self.removed)?;
                }
            }
        }
        Ok(Change::Quads {
            added: self.added.into_iter().collect(),
            removed: self.removed.into_iter().collect(),
        })
    }
}

/// The most quads a bulk load keeps to tell the watchers; a larger one tells them only
/// that the store changed, and they read it again in the background.
pub const MAX_RECORDED_BULK_QUADS: usize = 1_000_000;

/// A bulk load, keeping the quads it loads into new graphs: oxigraph's bulk loader, or,
/// on a remote store, the quads to send in one update request.
pub struct BulkWrites<'a> {
    loader: Loader<'a>,
    /// `None` once the load is too large to keep, or loaded quads that may have been
    /// in the store already.
    added: Option<HashSet<Quad>>,
}

enum Loader<'a> {
    Embedded(BulkLoader<'a>),
    Remote {
        remote: &'a crate::store::remote::Remote,
        quads: Vec<Quad>,
        /// Whether every quad is of a graph the store did not hold (see
        /// [`BulkWrites::load_quads`]).
        new_graphs: bool,
    },
}

impl<'a> BulkWrites<'a> {
    pub(crate) fn new(loader: BulkLoader<'a>) -> Self {
        Self {
            loader: Loader::Embedded(loader),
            added: Some(HashSet::new()),
        }
    }

    pub(crate) fn remote(remote: &'a crate::store::remote::Remote) -> Self {
        Self {
            loader: Loader::Remote {
                remote,
                quads: Vec::new(),
                new_graphs: true,
            },
            added: Some(HashSet::new()),
        }
    }

    /// Loads quads of graphs the store does not hold yet (so each is new).
    pub fn load_quads(
        &mut self,
        quads: impl IntoIterator<Item = impl Into<Quad>>,
    ) -> Result<(), StoreError> {
        let added = &mut self.added;
        let quads = quads.into_iter().map(|quad| {
            let quad: Quad = quad.into();
            if added
                .as_ref()
                .is_some_and(|kept| kept.len() >= MAX_RECORDED_BULK_QUADS)
            {
                *added = None;
            } else if let Some(kept) = added {
                kept.insert(quad.clone());
            }
            quad
        });
        match &mut self.loader {
            Loader::Embedded(loader) => loader.load_quads(quads)?,
            Loader::Remote { quads: kept, .. } => kept.extend(quads),
        }
        Ok(())
    }

    /// Loads quads that may already be in the store: the change is then not known quad
    /// by quad.
    pub fn load_ok_quads<EI, EO: From<StorageError> + From<EI>>(
        &mut self,
        quads: impl IntoIterator<Item = Result<impl Into<Quad>, EI>>,
    ) -> Result<(), EO> {
        self.added = None;
        match &mut self.loader {
            Loader::Embedded(loader) => loader.load_ok_quads(quads),
            Loader::Remote {
                quads: kept,
                new_graphs,
                ..
            } => {
                *new_graphs = false;
                for quad in quads {
                    kept.push(quad?.into());
                }
                Ok(())
            }
        }
    }

    pub(crate) fn commit(self) -> Result<Change, StoreError> {
        match self.loader {
            Loader::Embedded(loader) => loader.commit()?,
            Loader::Remote {
                remote,
                quads,
                new_graphs,
            } => crate::store::remote::insert(remote, &quads, new_graphs)?,
        }
        Ok(match self.added {
            Some(added) => Change::Quads {
                added: added.into_iter().collect(),
                removed: Vec::new(),
            },
            None => Change::Unknown,
        })
    }
}

/// Whether the store holds `subject predicate object` in any graph (the default graph
/// included): what an index of the union of the graphs asks after a change.
pub fn holds(
    graph: &Graph,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: NamedNodeRef<'_>,
    object: TermRef<'_>,
) -> bool {
    graph
        .quads_for_pattern(Some(subject), Some(predicate), Some(object), None)
        .next()
        .is_some_and(|quad| quad.is_ok())
}

/// An index of the store that a change known quad by quad updates in place (see
/// [`Kept`]), and that is otherwise built afresh.
pub trait Follows: Default + Send + Sync + 'static {
    /// What a change touched: read again from the store once a build that ran across the
    /// change is done.
    type Touched: Send + Sync;
    /// What the index is called in the log and in its build thread's name.
    const NAME: &'static str;

    /// The index of everything the store holds.
    fn build(graph: &crate::store::Graph) -> Result<Self, crate::store::StoreError>;
    /// What `change` (known quad by quad) touched, or `None` when nothing this index
    /// follows.
    fn touched(graph: &Graph, change: &Change) -> Option<Self::Touched>;
    /// Takes in what the store now says of what `touched` names.
    fn catch_up(&mut self, graph: &Graph, touched: &Self::Touched);
}

/// An index kept up to date by the writes of one store.
///
/// A write's change is in the index before the write returns, so the next reader finds
/// it. When the store changes in a way not known quad by quad (a SPARQL update), or when
/// the server starts, the index is built again on a thread of its own while the one before
/// keeps answering ([`Kept::is_complete`] says whether it has everything yet): no reader
/// waits for a build. What writes touch while a build runs is read again before the new
/// index replaces the old one.
pub struct Kept<T: Follows> {
    inner: Arc<KeptInner<T>>,
}

impl<T: Follows> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct KeptInner<T: Follows> {
    /// Itself, for the build thread it starts.
    this: Weak<KeptInner<T>>,
    graph: crate::store::Graph,
    index: RwLock<T>,
    /// Whether the index holds everything the store does (false until the first build
    /// is done, and while a build after an unknown change runs).
    complete: std::sync::atomic::AtomicBool,
    rebuild: std::sync::Mutex<Rebuild<T::Touched>>,
}

struct Rebuild<Touched> {
    /// What writes touched while a build runs (`None`: no build runs).
    touched: Option<Vec<Touched>>,
    /// Whether the store changed in an unknown way since the running build started.
    again: bool,
}

impl<T: Follows> Kept<T> {
    /// The index of `graph`, first built in the background.
    pub fn start(graph: &crate::store::Graph) -> Self {
        let kept = Self::unbuilt(graph);
        kept.inner.rebuild();
        kept
    }

    /// The index of `graph` as it is now, built before this returns.
    pub fn build(graph: &crate::store::Graph) -> Result<Self, crate::store::StoreError> {
        let kept = Self::unbuilt(graph);
        *kept.inner.write() = T::build(graph)?;
        kept.inner.complete.store(true, Ordering::SeqCst);
        Ok(kept)
    }

    fn unbuilt(graph: &crate::store::Graph) -> Self {
        let inner = Arc::new_cyclic(|this| KeptInner {
            this: this.clone(),
            graph: graph.clone(),
            index: RwLock::new(T::default()),
            complete: std::sync::atomic::AtomicBool::new(false),
            rebuild: std::sync::Mutex::new(Rebuild {
                touched: None,
                again: false,
            }),
        });
        let watcher: Arc<dyn Watcher> = inner.clone();
        graph.watch(Arc::downgrade(&watcher));
        Self { inner }
    }

    /// Runs `work` on the index as it is now.
    pub fn read<R>(&self, work: impl FnOnce(&T) -> R) -> R {
        work(
            &self
                .inner
                .index
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Runs `work` on the index unless a write is updating it right now (`None` then):
    /// for the event loop, which must not wait.
    pub fn try_read<R>(&self, work: impl FnOnce(&T) -> R) -> Option<R> {
        match self.inner.index.try_read() {
            Ok(index) => Some(work(&index)),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(work(&poisoned.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Whether the index holds everything the store does (no build is running).
    pub fn is_complete(&self) -> bool {
        self.inner.complete.load(Ordering::SeqCst)
    }

    /// Waits until the index is complete, for at most `limit`; answers whether it is.
    pub fn wait_until_complete(&self, limit: std::time::Duration) -> bool {
        let started = std::time::Instant::now();
        while !self.is_complete() {
            if started.elapsed() > limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// The store the index follows.
    pub fn graph(&self) -> &crate::store::Graph {
        &self.inner.graph
    }
}

impl<T: Follows> KeptInner<T> {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, T> {
        self.index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_rebuild(&self) -> std::sync::MutexGuard<'_, Rebuild<T::Touched>> {
        self.rebuild
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Builds the index again on a thread of its own (or once more after the running
    /// build, when one runs).
    fn rebuild(&self) {
        {
            let mut rebuild = self.lock_rebuild();
            if rebuild.touched.is_some() {
                rebuild.again = true;
                return;
            }
            rebuild.touched = Some(Vec::new());
        }
        self.complete.store(false, Ordering::SeqCst);
        let Some(inner) = self.this.upgrade() else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name(format!("spyatlas-{}", T::NAME.replace(' ', "-")))
            .spawn(move || inner.build_until_current());
        if let Err(error) = spawned {
            tracing::error!(%error, index = T::NAME, "cannot start building the index");
        }
    }

    fn build_until_current(&self) {
        loop {
            let started = std::time::Instant::now();
            // What writes touch from here on is gathered in `touched` (set before this
            // thread started), so whatever the build's snapshot misses is read again.
            // Background work of the store: a server stopping cancels it and waits.
            let built = self.graph.in_background(|| T::build(&self.graph));
            let mut index = self.write();
            let mut rebuild = self.lock_rebuild();
            match built {
                Ok(mut built) => {
                    for touched in rebuild.touched.take().unwrap_or_default() {
                        built.catch_up(&self.graph, &touched);
                    }
                    *index = built;
                    tracing::debug!(elapsed = ?started.elapsed(), index = T::NAME, "index built");
                }
                Err(error) => {
                    if self.graph.is_stopping() {
                        rebuild.touched = None;
                        return;
                    }
                    // A remote store that failed may answer again: the build is tried
                    // again after a pause, the previous index answering meanwhile.
                    tracing::warn!(%error, index = T::NAME, "cannot build the index; the previous one keeps answering, and the build is tried again in 10 s");
                    drop(rebuild);
                    drop(index);
                    let pause = std::time::Instant::now();
                    while pause.elapsed() < std::time::Duration::from_secs(10) {
                        // Stopping, or nothing but this thread holds the index any more.
                        if self.graph.is_stopping() || self.this.strong_count() <= 1 {
                            self.lock_rebuild().touched = None;
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    let mut rebuild = self.lock_rebuild();
                    rebuild.again = false;
                    rebuild.touched = Some(Vec::new());
                    continue;
                }
            }
            if rebuild.again {
                rebuild.again = false;
                rebuild.touched = Some(Vec::new());
                continue;
            }
            self.complete.store(true, Ordering::SeqCst);
            return;
        }
    }
}

impl<T: Follows> Watcher for KeptInner<T> {
    fn changed(&self, graph: &Graph, change: &Change) {
        if matches!(change, Change::Unknown) {
            self.rebuild();
            return;
        }
        let Some(touched) = T::touched(graph, change) else {
            return;
        };
        let mut index = self.write();
        index.catch_up(graph, &touched);
        let mut rebuild = self.lock_rebuild();
        if let Some(pending) = rebuild.touched.as_mut() {
            pending.push(touched);
        }
    }
}
