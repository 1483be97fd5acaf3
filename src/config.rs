//! Configuration of `spyatlas serve`: clap arguments with `SPYATLAS_*` environment fallbacks.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the store is: an on-disk folder, or a remote SPARQL 1.1 store; shared by every
/// command.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Folder of the on-disk store; created (and filled with the bundled ontology and data)
    /// when it does not exist yet. Not used with --store.
    #[arg(long = "data", env = "SPYATLAS_DATA", default_value = "spyatlas-data")]
    pub data: PathBuf,

    /// A remote SPARQL 1.1 store instead of the folder: its query endpoint, as
    /// `sparql+http://host:8890/sparql` (see docs/deployment.md). Its default graph must
    /// be the union of its named graphs. A new (empty) store is seeded with the bundled
    /// data.
    #[arg(long, env = "SPYATLAS_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// The remote store's SPARQL Update endpoint, when not the query endpoint.
    #[arg(
        long,
        env = "SPYATLAS_STORE_UPDATE",
        value_name = "URL",
        requires = "store"
    )]
    pub store_update: Option<String>,

    /// The user name for the remote store (the password comes from
    /// SPYATLAS_STORE_PASSWORD, never from the command line, which `ps` shows).
    #[arg(long, env = "SPYATLAS_STORE_USER", requires = "store")]
    pub store_user: Option<String>,

    /// How the user name and password are sent: HTTP `basic`, or `digest` (Virtuoso's
    /// /sparql-auth).
    #[arg(long, value_enum, env = "SPYATLAS_STORE_AUTH", default_value_t = StoreAuth::Basic)]
    pub store_auth: StoreAuth,

    /// Seconds between two looks at the remote store for writes made by other processes
    /// (other spyatlas servers over the same store).
    #[arg(long, env = "SPYATLAS_STORE_POLL", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub store_poll: u64,
}

/// How credentials reach a remote store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreAuth {
    Basic,
    Digest,
}

impl DataArgs {
    /// The remote store these arguments name, if any, its requests taking at most
    /// `timeout`. The password is read from `SPYATLAS_STORE_PASSWORD`, a bearer token
    /// from `SPYATLAS_STORE_TOKEN`.
    pub fn remote(&self, timeout: Duration) -> Result<Option<crate::store::RemoteConfig>, String> {
        let Some(url) = &self.store else {
            return Ok(None);
        };
        let mut config = crate::store::RemoteConfig::from_url(url)?;
        if let Some(update) = &self.store_update {
            config.update = crate::store::RemoteConfig::from_url(update)?.query;
        }
        config.timeout = timeout;
        config.poll = Duration::from_secs(self.store_poll);
        let password = std::env::var("SPYATLAS_STORE_PASSWORD").ok();
        let token = std::env::var("SPYATLAS_STORE_TOKEN").ok();
        config.auth = match (&self.store_user, password, token) {
            (Some(user), Some(password), _) => match self.store_auth {
                StoreAuth::Basic => crate::store::Auth::Basic {
                    user: user.clone(),
                    password,
                },
                StoreAuth::Digest => crate::store::Auth::Digest {
                    user: user.clone(),
                    password,
                },
            },
            (Some(user), None, _) => {
                return Err(format!(
                    "--store-user {user} needs its password in SPYATLAS_STORE_PASSWORD"
                ));
            }
            (None, _, Some(token)) => crate::store::Auth::Bearer(token),
            (None, _, None) => crate::store::Auth::None,
        };
        Ok(Some(config))
    }

    /// What the store is, for messages: the folder, or the endpoint.
    pub fn describe(&self) -> String {
        match &self.store {
            Some(url) => format!("the SPARQL store at {url}"),
            None => format!("the store in {}", self.data.display()),
        }
    }
}

/// The audit log of a command that writes to the store (`load`, `import`, `unload`,
/// `backup`, `restore`): the same log the server records its writes in.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The audit log the write is recorded in, as a line of JSON with the system user who
    /// ran the command; default `audit.jsonl` in the --data folder (none on a remote store
    /// unless given).
    #[arg(long, env = "SPYATLAS_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

impl AuditArgs {
    /// Where the log is, for the store `data` names.
    pub fn path(&self, data: &DataArgs) -> Option<PathBuf> {
        self.audit_log
            .clone()
            .or_else(|| data.store.is_none().then(|| data.data.join(AUDIT_LOG_NAME)))
    }
}

/// The audit log's name in the --data folder, when no other is given.
pub const AUDIT_LOG_NAME: &str = "audit.jsonl";

/// Options of `spyatlas serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub data: DataArgs,

    /// Address to listen on.
    #[arg(long, env = "SPYATLAS_BIND", default_value = "127.0.0.1:7878")]
    pub bind: SocketAddr,

    /// One token that authorises every write (an `admin` account named `write-token`);
    /// clients send it as `Authorization: Bearer TOKEN`. Given as an argument, every user
    /// of the machine can read it in the process list: prefer --tokens-file, or the
    /// environment variable.
    #[arg(
        long,
        env = "SPYATLAS_WRITE_TOKEN",
        hide_env_values = true,
        conflicts_with = "tokens_file"
    )]
    pub write_token: Option<String>,

    /// A file of named accounts, one per line: NAME ROLE sha256:HASH-OF-THE-TOKEN, the role
    /// `read`, `write` (load and retract reports) or `admin` (also SPARQL updates, Graph
    /// Store writes, backups). `spyatlas token` makes the lines; SIGHUP reads the file
    /// again. Without a tokens file or --write-token, every write is refused.
    #[arg(
        long,
        visible_alias = "write-token-file",
        env = "SPYATLAS_TOKENS_FILE",
        value_name = "FILE"
    )]
    pub tokens_file: Option<PathBuf>,

    /// Reading needs a token too (any role): for a deployment that is not public. Browsers
    /// are asked for the account's name and token.
    #[arg(long, env = "SPYATLAS_PRIVATE", requires = "tokens_file")]
    pub private: bool,

    /// The audit log: every write (and every refused one) as a line of JSON, appended;
    /// default `audit.jsonl` in the --data folder (none on a remote store unless given).
    #[arg(long, env = "SPYATLAS_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Where `POST /api/admin/backup` puts the backups it takes, each in a new folder;
    /// default `backups` in the --data folder.
    #[arg(long, env = "SPYATLAS_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Refuse every write, even with the write token.
    #[arg(long, env = "SPYATLAS_READ_ONLY")]
    pub read_only: bool,

    /// Seconds a query may run before it is cancelled and answered with 503.
    #[arg(long, env = "SPYATLAS_QUERY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub query_timeout: u64,

    /// Megabytes of the store's disk that writes must leave free: a write that would start
    /// with less is refused with 507 and writes nothing.
    #[arg(long, env = "SPYATLAS_MIN_FREE_DISK_MB", default_value_t = 64)]
    pub min_free_disk_mb: u64,

    /// Largest request body accepted, in megabytes.
    #[arg(long, env = "SPYATLAS_MAX_BODY_MB", default_value_t = 256)]
    pub max_body_mb: usize,

    /// Largest request body accepted from a client without the write token (a report sent
    /// for a dry run), in megabytes.
    #[arg(long, env = "SPYATLAS_MAX_PUBLIC_BODY_MB", default_value_t = 8)]
    pub max_public_body_mb: usize,

    /// Largest SPARQL query accepted, in kilobytes (updates may be as large as a body).
    #[arg(long, env = "SPYATLAS_MAX_QUERY_KB", default_value_t = 1024)]
    pub max_query_kb: usize,

    /// Megabytes one query's evaluation may hold in memory (sorted, grouped and joined
    /// rows, estimated) before it is stopped with 503.
    #[arg(long, env = "SPYATLAS_QUERY_MEMORY_MB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub query_memory_mb: u64,

    /// Threads running expensive work (slow queries, updates, pages, paths, loads);
    /// default: one per core.
    #[arg(long, env = "SPYATLAS_WORKERS", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,

    /// Expensive requests that may wait for a worker; past it, 503 with Retry-After.
    #[arg(long, env = "SPYATLAS_QUEUE", default_value_t = 64)]
    pub queue: usize,

    /// Expensive requests one client (an IPv4 address, an IPv6 /64) may have waiting;
    /// past it, 429 with Retry-After.
    #[arg(long, env = "SPYATLAS_QUEUE_PER_CLIENT", default_value_t = 8)]
    pub queue_per_client: usize,

    /// Megabytes of SPARQL answers kept until the next write, to answer the same query
    /// again without evaluating it (0: none kept).
    #[arg(long, env = "SPYATLAS_ANSWER_CACHE_MB", default_value_t = 64)]
    pub answer_cache_mb: usize,

    /// Expensive requests one client may start per minute (0: no limit); past it, 429
    /// with Retry-After.
    #[arg(long, env = "SPYATLAS_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit: u32,
}

impl ServeConfig {
    /// Whether the write token was given as an argument, which every user of the machine
    /// can read in the process list (the environment is the owner's only).
    pub fn token_in_process_list(&self) -> bool {
        self.write_token.as_ref().is_some_and(|token| {
            !token.is_empty() && std::env::var("SPYATLAS_WRITE_TOKEN").ok().as_ref() != Some(token)
        })
    }
}

/// Who may write through the HTTP interface.
#[derive(Debug, Clone)]
pub enum WriteAccess {
    /// `--read-only`: nobody; the accounts, if any, may still read (on a private server)
    /// and take backups.
    ReadOnly(Option<std::sync::Arc<crate::accounts::Keyring>>),
    /// No token configured: nobody, until the operator sets one.
    NoToken,
    /// The accounts of a tokens file (or of the one `--write-token`), each as its role
    /// allows.
    Accounts(std::sync::Arc<crate::accounts::Keyring>),
}

/// How far a query is answered inline, on the connection's own thread, before it is
/// started again on a blocking thread that streams its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InlineLimits {
    /// Time an inline attempt may take; the other connections of its thread wait meanwhile.
    /// Zero: no inline attempts, every answer comes from a blocking thread.
    pub budget: Duration,
    /// Size of the largest answer built inline; a larger one is streamed.
    pub max_bytes: usize,
}

impl Default for InlineLimits {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(20),
            max_bytes: 8 * 1024 * 1024,
        }
    }
}

/// How large the pool is, and what each client may ask of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Threads running jobs.
    pub threads: usize,
    /// Jobs waiting, over all clients.
    pub max_queued: usize,
    /// Jobs one client may have waiting.
    pub max_queued_per_client: usize,
    /// Jobs one client may start per minute (a burst of as many, then evenly); 0: no limit.
    pub per_client_per_minute: u32,
    /// Estimated memory one job's evaluation may hold.
    pub memory_per_job: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            threads: cores,
            max_queued: 64,
            max_queued_per_client: 8,
            per_client_per_minute: 0,
            memory_per_job: 512 * 1024 * 1024,
        }
    }
}

/// The settings the HTTP layer needs, resolved from [`ServeConfig`].
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub write_access: WriteAccess,
    /// Reading needs a token too.
    pub private: bool,
    /// Where every write is recorded (none: nowhere).
    pub audit_log: Option<PathBuf>,
    /// Where backups taken over HTTP go (none: they are refused).
    pub backup_dir: Option<PathBuf>,
    /// The token of the store folder's owner, written there for the command line
    /// ([`crate::served`]): it may take backups anywhere.
    pub local_token: Option<String>,
    pub query_timeout: Duration,
    pub max_body_bytes: usize,
    /// Largest body from a client without the write token.
    pub max_public_body_bytes: usize,
    /// Largest SPARQL query text.
    pub max_query_bytes: usize,
    pub inline: InlineLimits,
    /// The work pool and what each client may ask of it.
    pub pool: PoolLimits,
    /// Bytes of SPARQL answers kept until the next write.
    pub answer_cache_bytes: usize,
}

impl HttpSettings {
    /// Settings for tests and embedders: writes allowed with `token`, the given deadline.
    pub fn with_token(token: impl Into<String>, query_timeout: Duration) -> Self {
        Self {
            write_access: WriteAccess::Accounts(std::sync::Arc::new(
                crate::accounts::Keyring::single(&token.into()),
            )),
            private: false,
            audit_log: None,
            backup_dir: None,
            local_token: None,
            query_timeout,
            max_body_bytes: 256 * 1024 * 1024,
            max_public_body_bytes: 8 * 1024 * 1024,
            max_query_bytes: crate::limits::DEFAULT_MAX_QUERY_BYTES,
            inline: InlineLimits::default(),
            pool: PoolLimits::default(),
            answer_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

impl TryFrom<&ServeConfig> for HttpSettings {
    type Error = crate::accounts::TokensError;

    fn try_from(config: &ServeConfig) -> Result<Self, Self::Error> {
        use crate::accounts::Keyring;
        let write_access = match (&config.tokens_file, &config.write_token) {
            (Some(file), _) => {
                WriteAccess::Accounts(std::sync::Arc::new(Keyring::from_file(file)?))
            }
            (None, Some(token)) if !token.is_empty() => {
                WriteAccess::Accounts(std::sync::Arc::new(Keyring::single(token)))
            }
            _ => WriteAccess::NoToken,
        };
        // Read-only keeps the accounts: for reading on a private server, and for backups.
        let write_access = match write_access {
            WriteAccess::Accounts(keyring) if config.read_only => {
                WriteAccess::ReadOnly(Some(keyring))
            }
            _ if config.read_only => WriteAccess::ReadOnly(None),
            other => other,
        };
        let in_data = |name: &str| {
            config
                .data
                .store
                .is_none()
                .then(|| config.data.data.join(name))
        };
        Ok(Self {
            write_access,
            private: config.private,
            audit_log: config.audit_log.clone().or_else(|| in_data(AUDIT_LOG_NAME)),
            backup_dir: config.backup_dir.clone().or_else(|| in_data("backups")),
            local_token: None,
            query_timeout: Duration::from_secs(config.query_timeout),
            max_body_bytes: config.max_body_mb.saturating_mul(1024 * 1024),
            max_public_body_bytes: config.max_public_body_mb.saturating_mul(1024 * 1024),
            max_query_bytes: config.max_query_kb.saturating_mul(1024),
            inline: InlineLimits::default(),
            pool: PoolLimits {
                threads: config.workers.map_or_else(
                    || PoolLimits::default().threads,
                    |workers| usize::try_from(workers).unwrap_or(usize::MAX),
                ),
                max_queued: config.queue,
                max_queued_per_client: config.queue_per_client,
                per_client_per_minute: config.rate_limit,
                memory_per_job: usize::try_from(config.query_memory_mb.saturating_mul(1024 * 1024))
                    .unwrap_or(usize::MAX),
            },
            answer_cache_bytes: config.answer_cache_mb.saturating_mul(1024 * 1024),
        })
    }
}
