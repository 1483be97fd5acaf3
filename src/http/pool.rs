//! The work pool: a few threads that run the expensive work of every connection (slow
//! queries, updates, page renders, paths, searches, report loads), behind a bounded queue
//! that is fair between clients.
//!
//! The event loops answer quick work themselves and hand the rest here, so that a long
//! evaluation never runs on a thread that serves other connections. The pool's threads
//! run at a lower scheduling priority than the event loops: under load, lookups and health
//! checks get the processor first.
//!
//! Each job carries a deadline and a cancellation token. The token is cancelled when the
//! deadline passes (by [`WATCHDOG`]); the store's queries pick it up on their own
//! ([`crate::store::with_cancellation`]), and it carries the memory budget of one
//! evaluation. Jobs wait in one queue per client, served in turn; a full queue answers at
//! once with [`PoolError::Busy`] (503) or [`PoolError::ClientBusy`] (429), and a client
//! past its rate of expensive requests with [`PoolError::RateLimited`] (429).

use super::watchdog::WATCHDOG;
pub use crate::config::PoolLimits;
use crate::store;
use oxigraph::sparql::CancellationToken;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long a job may take to finish once its deadline has passed and its token is
/// cancelled: a write that committed meanwhile is reported as done, not as timed out.
const GRACE: Duration = Duration::from_secs(1);

/// Stack of the pool's threads. The limits of [`crate::limits`] keep recursion shallow;
/// this leaves room for the evaluator's deepest allowed queries in debug builds too.
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// The niceness of the pool's threads (the event loops keep 0).
const NICENESS: i32 = 10;

/// Clients remembered by the rate limiter; past it, those with a full allowance are
/// forgotten.
const MAX_TRACKED_CLIENTS: usize = 65_536;

/// Who asked: the client's address, with IPv6 addresses taken by their /64 (one user
/// usually has a whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    /// Requests that come from no connection (in-process tests).
    pub const LOCAL: Self = Self(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    /// The client of a connection from `address`.
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self(address),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    Self(IpAddr::V6(segments.into()))
                }
            },
        }
    }
}

tokio::task_local! {
    /// The client of the connection whose requests the current task serves.
    static CLIENT: Client;
    /// When the request being served must be answered.
    static DEADLINE: Instant;
}

/// Runs `future` (a request's handling) with its deadline `limit` from now: every piece of
/// work it hands to the pool shares it.
pub async fn within<F: Future>(limit: Duration, future: F) -> F::Output {
    DEADLINE.scope(Instant::now() + limit, future).await
}

/// The deadline of the request being served, else `limit` from now.
pub fn deadline_or(limit: Duration) -> Instant {
    DEADLINE
        .try_with(|deadline| *deadline)
        .unwrap_or_else(|_| Instant::now() + limit)
}

/// Runs `future` (a connection) with its requests attributed to `client`.
pub async fn serving<F: Future>(client: Client, future: F) -> F::Output {
    CLIENT.scope(client, future).await
}

/// The client of the request being served.
pub fn current_client() -> Client {
    CLIENT.try_with(|client| *client).unwrap_or(Client::LOCAL)
}

/// Why the pool did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Every slot of the queue is taken.
    #[error(
        "the server is busy ({queued} requests are waiting for {threads} workers); try again in {} s", retry_after.as_secs()
    )]
    Busy {
        queued: usize,
        threads: usize,
        retry_after: Duration,
    },
    /// This client has as many requests waiting as it may.
    #[error(
        "you have {queued} requests waiting already (at most {queued} per client); wait for their answers, or try again in {} s", retry_after.as_secs()
    )]
    ClientBusy {
        queued: usize,
        retry_after: Duration,
    },
    /// This client used its allowance of expensive requests.
    #[error(
        "too many expensive requests (at most {per_minute} a minute per client); try again in {} s", retry_after.as_secs()
    )]
    RateLimited {
        per_minute: u32,
        retry_after: Duration,
    },
    /// The deadline passed before the job was done.
    #[error("the request did not finish within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The job stopped without an answer (it panicked, or the server is shutting down).
    #[error("the request's work stopped without an answer")]
    Lost,
}

impl PoolError {
    /// When the client may try again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Busy { retry_after, .. }
            | Self::ClientBusy { retry_after, .. }
            | Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Timeout(_) => Some(Duration::from_secs(1)),
            Self::Lost => None,
        }
    }
}

/// A job: its work, with what tells it to stop.
struct Job {
    work: Box<dyn FnOnce() + Send>,
    token: CancellationToken,
    deadline: Instant,
}

#[derive(Default)]
struct Queue {
    waiting: HashMap<Client, VecDeque<Job>>,
    /// Clients with waiting jobs, in the order their turns come.
    turns: VecDeque<Client>,
    queued: usize,
    /// The tokens of the jobs running, cancelled at shutdown.
    running: HashMap<u64, CancellationToken>,
    next_id: u64,
    stopping: bool,
}

impl Queue {
    /// The next job: the first of the client whose turn it is.
    fn next(&mut self) -> Option<Job> {
        let client = self.turns.pop_front()?;
        let jobs = self.waiting.get_mut(&client)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            self.waiting.remove(&client);
        } else {
            self.turns.push_back(client);
        }
        if job.is_some() {
            self.queued -= 1;
        }
        job
    }
}

/// A client's allowance of jobs: a token bucket.
struct Allowance {
    available: f64,
    at: Instant,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    limits: PoolLimits,
    allowances: Mutex<HashMap<Client, Allowance>>,
}

/// The pool; cloning shares it. When the last clone is dropped, the threads stop.
#[derive(Clone)]
pub struct WorkPool {
    shared: Arc<Shared>,
    _owner: Arc<Owner>,
}

/// Held by the pool's handles only (not by its threads): its drop stops the threads.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        stop(&self.0);
    }
}

impl WorkPool {
    /// Starts `limits.threads` threads.
    pub fn start(limits: PoolLimits) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            wake: Condvar::new(),
            limits,
            allowances: Mutex::default(),
        });
        for index in 0..limits.threads.max(1) {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("spyatlas-work-{index}"))
                .stack_size(STACK_BYTES)
                .spawn(move || work(&shared))?;
        }
        Ok(Self {
            _owner: Arc::new(Owner(Arc::clone(&shared))),
            shared,
        })
    }

    /// The pool's limits.
    pub fn limits(&self) -> PoolLimits {
        self.shared.limits
    }

    /// Runs `work` on a pool thread for the current client and answers its result: by
    /// the request's deadline (else `limit` from now), or with [`PoolError::Timeout`] (its
    /// token is cancelled then, and a result that comes within a second after is still
    /// taken).
    pub async fn run<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let deadline = deadline_or(limit);
        let (token, mut answer) = self.submit(current_client(), deadline, work)?;
        match tokio::time::timeout_at(deadline.into(), &mut answer).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(PoolError::Lost),
            Err(_) => {
                token.cancel();
                match tokio::time::timeout(GRACE, answer).await {
                    Ok(Ok(value)) => Ok(value),
                    _ => Err(PoolError::Timeout(limit)),
                }
            }
        }
    }

    /// Queues `work` for `client`, to start before `deadline`; answers the job's token
    /// and where its result will come.
    pub fn submit<T: Send + 'static>(
        &self,
        client: Client,
        deadline: Instant,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<(CancellationToken, oneshot::Receiver<T>), PoolError> {
        let limits = &self.shared.limits;
        self.take_allowance(client)?;
        let token = CancellationToken::new();
        token.set_memory_limit(limits.memory_per_job);
        let (sender, receiver) = oneshot::channel();
        let job = Job {
            work: Box::new(move || {
                let _ = sender.send(work());
            }),
            token: token.clone(),
            deadline,
        };
        let mut queue = self.lock();
        if queue.stopping {
            return Err(PoolError::Lost);
        }
        let threads = limits.threads.max(1);
        let retry_after = Duration::from_secs((1 + queue.queued / threads) as u64);
        if queue.queued >= limits.max_queued {
            return Err(PoolError::Busy {
                queued: queue.queued,
                threads,
                retry_after,
            });
        }
        let mine = queue.waiting.entry(client).or_default();
        if mine.len() >= limits.max_queued_per_client {
            return Err(PoolError::ClientBusy {
                queued: mine.len(),
                retry_after,
            });
        }
        mine.push_back(job);
        if mine.len() == 1 {
            queue.turns.push_back(client);
        }
        queue.queued += 1;
        drop(queue);
        self.shared.wake.notify_one();
        Ok((token, receiver))
    }

    /// Takes one job from `client`'s allowance.
    fn take_allowance(&self, client: Client) -> Result<(), PoolError> {
        let per_minute = self.shared.limits.per_client_per_minute;
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut allowances = self
            .shared
            .allowances
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if allowances.len() >= MAX_TRACKED_CLIENTS {
            allowances.retain(|_, allowance| {
                allowance.available + allowance.at.elapsed().as_secs_f64() * per_second < capacity
            });
        }
        let allowance = allowances.entry(client).or_insert(Allowance {
            available: capacity,
            at: now,
        });
        allowance.available = (allowance.available
            + now.duration_since(allowance.at).as_secs_f64() * per_second)
            .min(capacity);
        allowance.at = now;
        if allowance.available < 1.0 {
            let wait = (1.0 - allowance.available) / per_second;
            return Err(PoolError::RateLimited {
                per_minute,
                retry_after: Duration::from_secs(wait.ceil().max(1.0) as u64),
            });
        }
        allowance.available -= 1.0;
        Ok(())
    }

    /// Stops taking jobs, drops the waiting ones and cancels the running ones; their
    /// threads end when their jobs have noticed.
    pub fn stop(&self) {
        stop(&self.shared);
    }

    /// Jobs waiting and running, for tests and the abuse benchmark's figures.
    pub fn load(&self) -> (usize, usize) {
        let queue = self.lock();
        (queue.queued, queue.running.len())
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn stop(shared: &Shared) {
    let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
    queue.stopping = true;
    for token in queue.running.values() {
        token.cancel();
    }
    queue.waiting.clear();
    queue.turns.clear();
    queue.queued = 0;
    drop(queue);
    shared.wake.notify_all();
}

/// The loop of one pool thread.
fn work(shared: &Shared) {
    if let Err(error) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICENESS)
    {
        tracing::debug!(%error, "cannot lower the priority of a work thread");
    }
    loop {
        let (job, id) = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            let job = loop {
                if queue.stopping {
                    return;
                }
                if let Some(job) = queue.next() {
                    break job;
                }
                queue = shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            };
            let id = queue.next_id;
            queue.next_id += 1;
            queue.running.insert(id, job.token.clone());
            (job, id)
        };
        let now = Instant::now();
        if now < job.deadline && !job.token.is_cancelled() {
            WATCHDOG.cancel_after(job.token.clone(), job.deadline - now);
            let token = job.token;
            let work = job.work;
            if catch_unwind(AssertUnwindSafe(|| store::with_cancellation(&token, work))).is_err() {
                tracing::error!("a request's work panicked; its client gets an error");
            }
        }
        // A job past its deadline before it started is dropped: its caller has answered.
        shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .running
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(limits: PoolLimits) -> WorkPool {
        WorkPool::start(limits).unwrap()
    }

    fn limits(threads: usize, max_queued: usize, per_client: usize) -> PoolLimits {
        PoolLimits {
            threads,
            max_queued,
            max_queued_per_client: per_client,
            ..PoolLimits::default()
        }
    }

    /// A job that holds its thread until `release` is dropped or sent to.
    fn blocker() -> (
        impl FnOnce() + Send + 'static,
        std::sync::mpsc::Sender<()>,
        std::sync::mpsc::Receiver<()>,
    ) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, has_started) = std::sync::mpsc::channel::<()>();
        (
            move || {
                let _ = started.send(());
                let _ = released.recv();
            },
            release,
            has_started,
        )
    }

    #[test]
    fn clients_are_served_in_turn() {
        let pool = pool(limits(1, 100, 100));
        let (hold, release, started) = blocker();
        let far = Instant::now() + Duration::from_secs(60);
        let _held = pool.submit(Client::LOCAL, far, hold).unwrap();
        started.recv().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let greedy = Client::of("10.0.0.1".parse().unwrap());
        let polite = Client::of("10.0.0.2".parse().unwrap());
        let mut answers = Vec::new();
        for (client, name) in [
            (greedy, "g1"),
            (greedy, "g2"),
            (greedy, "g3"),
            (polite, "p1"),
        ] {
            let order = Arc::clone(&order);
            answers.push(
                pool.submit(client, far, move || order.lock().unwrap().push(name))
                    .unwrap()
                    .1,
            );
        }
        drop(release);
        for answer in answers {
            answer.blocking_recv().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["g1", "p1", "g2", "g3"]);
    }

    #[test]
    fn a_full_queue_refuses_at_once() {
        let pool = pool(limits(1, 2, 1));
        let (hold, release, started) = blocker();
        let far = Instant::now() + Duration::from_secs(60);
        let _held = pool.submit(Client::LOCAL, far, hold).unwrap();
        started.recv().unwrap();
        let a = Client::of("10.0.0.1".parse().unwrap());
        let b = Client::of("10.0.0.2".parse().unwrap());
        let c = Client::of("10.0.0.3".parse().unwrap());
        let _first = pool.submit(a, far, || ()).unwrap();
        assert!(matches!(
            pool.submit(a, far, || ()).err(),
            Some(PoolError::ClientBusy { queued: 1, .. })
        ));
        let _second = pool.submit(b, far, || ()).unwrap();
        let Err(busy) = pool.submit(c, far, || ()) else {
            panic!("the queue took a third job")
        };
        assert!(
            matches!(busy, PoolError::Busy { queued: 2, .. }),
            "{busy:?}"
        );
        assert!(busy.retry_after().unwrap() >= Duration::from_secs(1));
        drop(release);
    }

    #[test]
    fn a_client_past_its_rate_waits() {
        let pool = pool(PoolLimits {
            per_client_per_minute: 2,
            ..limits(1, 100, 100)
        });
        let far = Instant::now() + Duration::from_secs(60);
        let client = Client::of("10.0.0.9".parse().unwrap());
        pool.submit(client, far, || ()).unwrap();
        pool.submit(client, far, || ()).unwrap();
        let Err(limited) = pool.submit(client, far, || ()) else {
            panic!("a third job in the minute was taken")
        };
        assert!(matches!(
            limited,
            PoolError::RateLimited { per_minute: 2, .. }
        ));
        assert!(limited.retry_after().unwrap() >= Duration::from_secs(1));
        // Another client has its own allowance.
        pool.submit(Client::of("10.0.0.10".parse().unwrap()), far, || ())
            .unwrap();
    }

    #[test]
    fn a_job_gets_its_token_and_it_is_cancelled_at_the_deadline() {
        let pool = pool(limits(1, 10, 10));
        let deadline = Instant::now() + Duration::from_millis(50);
        let (_, answer) = pool
            .submit(Client::LOCAL, deadline, || {
                let started = Instant::now();
                while !store::is_cancelled() {
                    assert!(
                        started.elapsed() < Duration::from_secs(10),
                        "never cancelled"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
                started.elapsed()
            })
            .unwrap();
        let waited = answer.blocking_recv().unwrap();
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let one = Client::of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let same = Client::of("2001:db8:1:2:bbbb::9".parse().unwrap());
        let other = Client::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(one, same);
        assert_ne!(one, other);
        assert_eq!(
            Client::of("::ffff:10.1.2.3".parse().unwrap()),
            Client::of("10.1.2.3".parse().unwrap())
        );
    }
}
