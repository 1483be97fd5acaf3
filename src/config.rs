//! Configuration of `spyatlas serve`: clap arguments with `SPYATLAS_*` environment fallbacks.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the on-disk store lives; shared by every command.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Folder of the on-disk store; created (and filled with the bundled ontology and data)
    /// when it does not exist yet.
    #[arg(long = "data", env = "SPYATLAS_DATA", default_value = "spyatlas-data")]
    pub data: PathBuf,
}

/// Options of `spyatlas serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub data: DataArgs,

    /// Address to listen on.
    #[arg(long, env = "SPYATLAS_BIND", default_value = "127.0.0.1:7878")]
    pub bind: SocketAddr,

    /// Token that authorises writes (SPARQL updates, Graph Store writes, report loads);
    /// clients send it as `Authorization: Bearer TOKEN`. Without it, every write is refused.
    #[arg(long, env = "SPYATLAS_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,

    /// Refuse every write, even with the write token.
    #[arg(long, env = "SPYATLAS_READ_ONLY")]
    pub read_only: bool,

    /// Seconds a query may run before it is cancelled and answered with 503.
    #[arg(long, env = "SPYATLAS_QUERY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub query_timeout: u64,

    /// Largest request body accepted, in megabytes.
    #[arg(long, env = "SPYATLAS_MAX_BODY_MB", default_value_t = 256)]
    pub max_body_mb: usize,
}

/// Who may write through the HTTP interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAccess {
    /// `--read-only`: nobody.
    ReadOnly,
    /// No token configured: nobody, until the operator sets one.
    NoToken,
    /// Clients presenting this bearer token.
    Token(String),
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

/// The settings the HTTP layer needs, resolved from [`ServeConfig`].
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub write_access: WriteAccess,
    pub query_timeout: Duration,
    pub max_body_bytes: usize,
    pub inline: InlineLimits,
}

impl HttpSettings {
    /// Settings for tests and embedders: writes allowed with `token`, the given deadline.
    pub fn with_token(token: impl Into<String>, query_timeout: Duration) -> Self {
        Self {
            write_access: WriteAccess::Token(token.into()),
            query_timeout,
            max_body_bytes: 256 * 1024 * 1024,
            inline: InlineLimits::default(),
        }
    }
}

impl From<&ServeConfig> for HttpSettings {
    fn from(config: &ServeConfig) -> Self {
        let write_access = match (&config.write_token, config.read_only) {
            (_, true) => WriteAccess::ReadOnly,
            (Some(token), false) if !token.is_empty() => WriteAccess::Token(token.clone()),
            _ => WriteAccess::NoToken,
        };
        Self {
            write_access,
            query_timeout: Duration::from_secs(config.query_timeout),
            max_body_bytes: config.max_body_mb.saturating_mul(1024 * 1024),
            inline: InlineLimits::default(),
        }
    }
}
