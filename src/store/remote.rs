//! A SPARQL 1.1 store reached over HTTP: Virtuoso, GraphDB, Fuseki, Neptune, oxigraph's
//! own server, anything that speaks the SPARQL 1.1 Protocol and Update.
//!
//! Queries are sent as spyatlas writes them back from their parsed form (the `SERVICE`
//! guard applied first), with the few changes that make every engine run them alike
//! ([`ForTheStore`]); their answers are read as they arrive, in SPARQL XML results or
//! N-Triples, and stop being read when the work's deadline passes. The store's default graph must be the union of its named
//! graphs (Virtuoso's and GraphDB's default; `oxigraph serve --union-default-graph`,
//! Fuseki's `unionDefaultGraph`). What spyatlas (or a client) writes to the default graph
//! is kept in a named graph of its own ([`DEFAULT_GRAPH`]), read back as the default graph:
//! quads, updates and protocol datasets name it in place of the default graph.
//!
//! Writes are SPARQL updates, one request each: a transaction's graphs are cleared and
//! written again, or only added to, in one request, so an engine that runs a request in
//! one transaction (oxigraph's server; Fuseki, GraphDB and Neptune by their documentation)
//! writes all of it or nothing. Virtuoso commits operation by operation: when a write
//! fails, the graphs it touched are read again, and the write either left them as they
//! were, or wrote all of it, or part of it, which is then undone by writing back what
//! they held before.
//!
//! Every write also leaves a mark of its own in a graph of its own ([`WRITES_GRAPH`]), in
//! the same request: a new random token in place of the one before (a counter would need
//! a read and a write in one operation, which Virtuoso gets wrong on an empty graph). Each
//! spyatlas process over the store reads the mark every few seconds ([`follow`]): a mark
//! it did not leave itself means another process wrote, and its indexes and caches read
//! the store again.

use super::algebra::{self, Rewrite};
use super::{Dataset, Graph, Quads, StoreError, current_token};
use crate::changes::RemoteWrites;
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, QuadRef,
    Term, TermRef,
};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput,
};
use oxigraph::sparql::{QueryEvaluationError, QueryResults, QuerySolutionIter, QueryTripleIter};
use spargebra::algebra::{Expression, Function, GraphPattern};
use spargebra::term::NamedNodePattern;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read};
use std::sync::Mutex;
use std::time::Duration;

use crate::vocab::remote::{DEFAULT_GRAPH, LAST_WRITE, WRITES_GRAPH};

/// Graphs an engine keeps for itself, left out of what spyatlas reads (Virtuoso's schema
/// and system graphs).
const ENGINE_GRAPH_PREFIXES: &[&str] = &[
    "http://www.openlinksw.com/",
    "http://localhost:8890/",
    "http://localuriqaserver/",
    "http://www.w3.org/ns/ldp#",
    "http://www.w3.org/2002/07/owl#",
    "urn:activitystreams-owl:map",
];

/// The results format asked for: SPARQL XML, which every engine writes, and which
/// Virtuoso writes three times faster than its JSON (and with booleans as booleans).
const RESULTS: &str = "application/sparql-results+xml";

/// The longest background work waits for the store to answer or to send more.
const BACKGROUND_TIMEOUT: Duration = Duration::from_secs(600);

/// About the most quads of one update request of a bulk load: a few megabytes of text,
/// which Virtuoso takes in a few seconds.
const REQUEST_QUADS: usize = 50_000;

/// The most triples in one `{ }` block of an update: Virtuoso's SPARQL parser fails past
/// about 4,990.
const BLOCK_TRIPLES: usize = 4_000;

/// Where the store is and how to reach it.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The SPARQL 1.1 Protocol query endpoint.
    pub query: String,
    /// The SPARQL 1.1 Update endpoint (often the same URL).
    pub update: String,
    /// The credentials of every request.
    pub auth: Auth,
    /// The longest a request may take (the query deadline of the server).
    pub timeout: Duration,
    /// How often the count of writes is read, to notice writes made by others.
    pub poll: Duration,
}

impl RemoteConfig {
    /// The store at `url`, given as `sparql+http://host:port/path` (or `sparql+https://`,
    /// or a plain `http://` URL): queries and updates at the same URL, no credentials,
    /// a 30 s deadline and a poll every 2 s.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let url = url.strip_prefix("sparql+").unwrap_or(url);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "`{url}` is not a SPARQL endpoint URL: give sparql+http://host:port/path"
            ));
        }
        if url.starts_with("https://") {
            return Err(
                "https:// stores are not supported by this build (it has no TLS client): reach the store over a private network or a local TLS tunnel with http://".into(),
            );
        }
        Ok(Self {
            query: url.to_owned(),
            update: url.to_owned(),
            auth: Auth::None,
            timeout: Duration::from_secs(30),
            poll: Duration::from_secs(2),
        })
    }
}

/// The credentials of a remote store.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// HTTP Basic authentication.
    Basic { user: String, password: String },
    /// HTTP Digest authentication (RFC 7616, MD5, `qop=auth`), as Virtuoso's
    /// `/sparql-auth` asks.
    Digest { user: String, password: String },
    /// A bearer token.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    /// Never shows a secret.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => formatter.write_str("none"),
            Self::Basic { user, .. } => write!(formatter, "basic as {user}"),
            Self::Digest { user, .. } => write!(formatter, "digest as {user}"),
            Self::Bearer(_) => formatter.write_str("bearer token"),
        }
    }
}

/// What a remote store failed with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    /// No answer: the store is down, or the address is wrong.
    #[error("cannot reach the SPARQL store at {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The store refused the request.
    #[error("the SPARQL store at {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// The store's answer is not what was asked for.
    #[error("the answer of the SPARQL store at {url} does not parse: {message}")]
    Answer { url: String, message: String },
    /// The store's answer broke off before its end: the connection closed early, or an
    /// answer in SPARQL XML ended before `</sparql>`. Nothing of it is used.
    #[error(
        "the answer of the SPARQL store at {url} broke off after {read} bytes ({reason}), so none of it is used: ask again, and if it happens again, look at what is between spyatlas and the store"
    )]
    BrokenOff {
        url: String,
        read: u64,
        reason: String,
    },
    /// The store sent a graph answer with no sign of where it ends: neither a
    /// `Content-Length` nor chunks. Such an answer is refused, since one broken off
    /// between two triples reads the same.
    #[error(
        "the SPARQL store at {url} sent a graph answer without Content-Length or chunked transfer encoding, so an answer broken off between two triples could not be told from a whole one: it is refused; put the store behind an HTTP server that frames its answers"
    )]
    Unframed { url: String },
    /// The store cut an answer short (Virtuoso's `ResultSetMaxRows`).
    #[error(
        "the SPARQL store at {url} cut its answer at {rows} rows: raise its cap (Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini) above the number of quads in the store"
    )]
    Truncated { url: String, rows: String },
    /// The store stopped a query at a time limit and answered with part of its answer
    /// (Virtuoso's "anytime" answers, `X-SQL-State: S1TAT`), which is thrown away.
    #[error(
        "the SPARQL store at {url} stopped the query at a time limit after {elapsed:?}: {message}"
    )]
    TimeLimit {
        url: String,
        elapsed: Duration,
        message: String,
        /// Whether the limit was the `timeout` spyatlas sent (its own deadline), not one
        /// of the store's.
        at_deadline: bool,
    },
    /// A write failed, and the store was left with part of it.
    #[error(
        "a write to the SPARQL store at {url} failed ({cause}) and left part of it in {graphs}; {outcome}"
    )]
    Partial {
        url: String,
        cause: String,
        graphs: String,
        outcome: String,
        /// Whether what was written was undone.
        undone: bool,
    },
}

impl RemoteError {
    /// Whether the store did not answer at all (it may come back: worth a retry).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// Whether the store refused a query because its compiler ran out of stack: Virtuoso 7
    /// answers some queries with several `NOT EXISTS` with "SQ200: Stack Overflow in cost
    /// model" now and then, though the same text over the same data compiles at other
    /// times, on stacks far smaller than the ones it failed on.
    pub fn is_compiler_overflow(&self) -> bool {
        matches!(self, Self::Status { status: 500, body, .. }
            if body.contains("SQ200") && body.contains("Stack Overflow"))
    }

    /// What a client of spyatlas may be told: what happened to its request, without the
    /// store's address or messages (the server log has them).
    pub fn for_clients(&self) -> String {
        match self {
            Self::Unreachable { .. } => {
                "the SPARQL store behind this server does not answer; nothing was written; try again later".into()
            }
            Self::Partial { undone: true, .. } => {
                "the SPARQL store behind this server failed during the write, and what it had written was undone: nothing was kept; try again".into()
            }
            Self::Partial { undone: false, .. } => {
                "the SPARQL store behind this server failed during the write and part of it may remain; the server log names the graphs to write again".into()
            }
            Self::Status { url, status, body } => {
                // The store's own reason, without its address: its first line, shortened.
                let reason: String = body
                    .lines()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or_default()
                    .replace(url.as_str(), "the store")
                    .chars()
                    .take(300)
                    .collect();
                let advice = if self.is_compiler_overflow() {
                    "; the store's compiler ran out of stack: a query with fewer NOT EXISTS, OPTIONAL or nested groups may pass"
                } else {
                    ""
                };
                format!(
                    "the SPARQL store behind this server refused the request (it answered {status}: {}){advice}; the server log has the details",
                    reason.trim()
                )
            }
            Self::Answer { .. } | Self::Truncated { .. } => {
                "the SPARQL store behind this server broke off its answer; the server log has the details".into()
            }
            Self::BrokenOff { .. } => {
                "the answer of the SPARQL store behind this server broke off before its end, so none of it is shown: ask again; the server log has the details".into()
            }
            Self::Unframed { .. } => {
                "the SPARQL store behind this server sent a graph answer without saying where it ends, so it is not shown; the server log has the details".into()
            }
            Self::TimeLimit { .. } => {
                "the SPARQL store behind this server stopped the query at its own time limit, before this server's deadline: ask for less, or raise the store's limit (Virtuoso: MaxQueryExecutionTime in the [SPARQL] section of virtuoso.ini)".into()
            }
        }
    }
}

/// Whether a form sent to the store is a query (not an update).
fn asks_a_query(form: &[(&str, &str)]) -> bool {
    form.first().is_some_and(|(key, _)| *key == "query")
}

/// How much sooner than this server's deadline a store is told to stop a query, and how
/// much sooner than that it may stop and still be taken to have stopped at the deadline
/// (the two ends' clocks start apart by the time the request takes to arrive).
const TIME_LIMIT_SLACK: Duration = Duration::from_millis(250);

/// A remote store and the HTTP client that reaches it.
pub struct Remote {
    config: RemoteConfig,
    /// The client of work under a request's deadline.
    agent: ureq::Agent,
    /// The client of work that may wait long ([`super::may_wait_long`]).
    patient: ureq::Agent,
    /// The mark of the last write this process saw (its own, and others' once told).
    seen: Mutex<Option<String>>,
    /// The digest challenge last received, and the requests made under it.
    challenge: Mutex<Option<(Challenge, u32)>>,
    /// The graphs clients must not see, by name: the mark of the last write, the default
    /// graph's own graph, and the engine's graphs, learnt at the first client query.
    hidden: std::sync::OnceLock<Vec<oxigraph::model::NamedNode>>,
    /// How many queries were sent once more after the engine's compiler gave up on them.
    sent_again: std::sync::atomic::AtomicU64,
}

impl Remote {
    /// The store of `config`, once it answers a query.
    pub(crate) fn connect(config: RemoteConfig) -> Result<Self, StoreError> {
        // The store has `timeout` to start answering, and no read or write may wait longer;
        // an answer may stream for as long as it takes, and one read under a request's
        // deadline stops at that deadline ([`Deadline`]). Background work (an index build
        // reading the whole store, which Virtuoso answers only once it has it all) waits
        // up to `BACKGROUND_TIMEOUT` instead.
        let client = |timeout: Duration| -> ureq::Agent {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(5)))
                .timeout_recv_response(Some(timeout))
                .timeout_per_read(Some(timeout))
                .timeout_per_write(Some(timeout))
                .proxy(None)
                .build()
                .into()
        };
        let remote = Self {
            agent: client(config.timeout),
            patient: client(config.timeout.max(BACKGROUND_TIMEOUT)),
            config,
            seen: Mutex::new(None),
            challenge: Mutex::new(None),
            hidden: std::sync::OnceLock::new(),
            sent_again: std::sync::atomic::AtomicU64::new(0),
        };
        remote.check_readable()?;
        let mark = remote.last_write()?;
        *remote.lock_seen() = mark;
        Ok(remote)
    }

    /// How many queries were sent once more since the start ([`Self::post`]).
    pub(crate) fn queries_sent_again(&self) -> u64 {
        self.sent_again.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The query endpoint.
    pub fn query_url(&self) -> &str {
        &self.config.query
    }

    fn lock_seen(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends a form to `url`, with the credentials of the store, and answers the response
    /// once it is a success. A query the engine's compiler gave up on is sent once more
    /// ([`RemoteError::is_compiler_overflow`]): nothing ran, and the same text usually
    /// compiles the second time.
    fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, RemoteError> {
        match self.post_once(url, form, accept) {
            Err(error) if error.is_compiler_overflow() && asks_a_query(form) => {
                tracing::warn!(%error, "the remote store's query compiler overflowed; sending the query once more");
                self.sent_again
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.post_once(url, form, accept)
            }
            answer => answer,
        }
    }

    fn post_once(
        &self,
        url: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, RemoteError> {
        // A query under a request's deadline tells the store that deadline, in milliseconds
        // (`timeout`, which Virtuoso takes so; an engine reading seconds waits longer, and
        // oxigraph's server ignores it), a little early so that the store's answer arrives
        // before this client stops waiting: the store stops the query there instead of
        // working on after this server has given up on it.
        let deadline = (asks_a_query(form) && !super::may_wait_long()).then(|| {
            self.config
                .timeout
                .saturating_sub(TIME_LIMIT_SLACK)
                .max(Duration::from_millis(1))
        });
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.extend_pairs(form);
        if let Some(deadline) = deadline {
            serializer.append_pair("timeout", &deadline.as_millis().to_string());
        }
        let body = serializer.finish();
        let started = std::time::Instant::now();
        let mut response = self.send(url, &body, accept, false)?;
        if response.status() == 401
            && let Auth::Digest { .. } = &self.config.auth
            && let Some(challenge) = response
                .headers()
                .get_all("www-authenticate")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(Challenge::parse)
        {
            *self
                .challenge
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((challenge, 0));
            response = self.send(url, &body, accept, true)?;
        }
        let status = response.status().as_u16();
        // 206 is no success here: Virtuoso answers so with part of an answer, cut at a
        // time limit of its own (`ExecutionTimeout`).
        if !(200..300).contains(&status) || status == 206 {
            let mut text = String::new();
            let _ = response
                .into_body()
                .into_with_config()
                .limit(64 * 1024)
                .reader()
                .take(64 * 1024)
                .read_to_string(&mut text);
            let text: String = text.trim().chars().take(600).collect();
            return Err(RemoteError::Status {
                url: url.to_owned(),
                status,
                body: if text.is_empty() {
                    "(no message)".into()
                } else {
                    text
                },
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        if header("x-sql-state").is_some_and(|state| state.trim() == "S1TAT") {
            let elapsed = started.elapsed();
            return Err(RemoteError::TimeLimit {
                url: url.to_owned(),
                elapsed,
                message: header("x-sql-message")
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
                at_deadline: deadline
                    .is_some_and(|deadline| elapsed + TIME_LIMIT_SLACK >= deadline),
            });
        }
        if let Some(rows) = header("x-sparql-maxrows") {
            return Err(RemoteError::Truncated {
                url: url.to_owned(),
                rows,
            });
        }
        Ok(response)
    }

    fn send(
        &self,
        url: &str,
        body: &str,
        accept: &str,
        challenged: bool,
    ) -> Result<ureq::http::Response<ureq::Body>, RemoteError> {
        let agent = if super::may_wait_long() {
            &self.patient
        } else {
            &self.agent
        };
        let mut request = agent
            .post(url)
            .header("accept", accept)
            .header("content-type", "application/x-www-form-urlencoded");
        match &self.config.auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                request = request.header(
                    "authorization",
                    format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
                );
            }
            Auth::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            Auth::Digest { user, password } => {
                let mut challenge = self
                    .challenge
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some((challenge, count)) = challenge.as_mut() {
                    *count += 1;
                    let path = url
                        .splitn(4, '/')
                        .nth(3)
                        .map_or_else(|| "/".to_owned(), |path| format!("/{path}"));
                    request = request.header(
                        "authorization",
                        challenge.answer(user, password, "POST", &path, *count),
                    );
                } else if challenged {
                    return Err(RemoteError::Status {
                        url: url.to_owned(),
                        status: 401,
                        body: "the store asked for no digest authentication".into(),
                    });
                }
            }
        }
        request
            .send(body)
            .map_err(|error| RemoteError::Unreachable {
                url: url.to_owned(),
                message: error.to_string(),
            })
    }

    /// Answers whether the store answers a query.
    pub(crate) fn check_readable(&self) -> Result<(), StoreError> {
        self.ask("ASK { }").map(|_| ())
    }

    fn ask(&self, query: &str) -> Result<bool, StoreError> {
        let response = self.post(&self.config.query, &[("query", query)], RESULTS)?;
        match parse_results(&self.config.query, response)? {
            QueryResults::Boolean(answer) => Ok(answer),
            _ => Err(RemoteError::Answer {
                url: self.config.query.clone(),
                message: "a yes or no was expected".into(),
            }
            .into()),
        }
    }

    /// Evaluates a query; its answer is read as it arrives.
    pub(crate) fn query(
        &self,
        query: &spargebra::Query,
        dataset: &Dataset,
    ) -> Result<QueryResults<'static>, StoreError> {
        if let Some(service) = service_of_query(query) {
            return Err(StoreError::Evaluation(
                QueryEvaluationError::UnsupportedService(service),
            ));
        }
        // The crate's own queries never meet the graphs clients must not see.
        let hidden = match dataset {
            Dataset::Stored => None,
            _ => Some(self.hidden_graphs()?),
        };
        let text = query_for_the_store(query, hidden).to_string();
        let mut form = vec![("query", text.as_str())];
        if let Dataset::Given { default, named } = dataset {
            add_dataset(
                &mut form,
                default,
                named,
                ("default-graph-uri", "named-graph-uri"),
            );
        }
        let graph_form = matches!(
            query,
            spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. }
        );
        if graph_form {
            let response = self.post(&self.config.query, &form, "application/n-triples")?;
            let url = self.config.query.clone();
            let token = current_token();
            let reader = Deadline::new(&url, response, token.clone(), Ending::Framed);
            let broken = reader.broken();
            let triples = oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::NTriples)
                .for_reader(reader)
                .map(move |triple| {
                    triple
                        .map(oxigraph::model::Triple::from)
                        .map_err(|error| read_error(&url, &token, &broken, error.to_string()))
                });
            return Ok(QueryResults::Graph(QueryTripleIter::new(triples)));
        }
        let response = self.post(&self.config.query, &form, RESULTS)?;
        parse_results(&self.config.query, response)
    }

    /// The quads matching a pattern, at most `limit` of them; the engine's own graphs and
    /// the mark of the last write left out. The default graph is read from
    /// [`DEFAULT_GRAPH`], which is not a named graph here.
    pub(crate) fn quads(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
        limit: Option<usize>,
    ) -> Result<Quads, StoreError> {
        // A blank node of the store cannot be named in a query: nothing matches it.
        if matches!(subject, Some(NamedOrBlankNodeRef::BlankNode(_)))
            || matches!(object, Some(TermRef::BlankNode(_)))
            || matches!(graph, Some(GraphNameRef::BlankNode(_)))
            || matches!(graph, Some(GraphNameRef::NamedNode(name)) if name.as_str() == DEFAULT_GRAPH)
        {
            return Ok(Box::new(std::iter::empty()));
        }
        let s = subject.map_or_else(|| "?s".to_owned(), |term| term.to_string());
        let p = predicate.map_or_else(|| "?p".to_owned(), |term| term.to_string());
        let o = object.map_or_else(|| "?o".to_owned(), |term| term.to_string());
        let g = graph.map_or_else(|| "?g".to_owned(), |graph| graph_term(&graph.into_owned()));
        let mut query = format!("SELECT * WHERE {{ GRAPH {g} {{ {s} {p} {o} }}");
        if graph.is_none() {
            query.push_str(&graph_filter("?g"));
        }
        query.push_str(" }");
        if let Some(limit) = limit {
            let _ = write!(query, " LIMIT {limit}");
        }
        let response = self.post(&self.config.query, &[("query", query.as_str())], RESULTS)?;
        let QueryResults::Solutions(solutions) = parse_results(&self.config.query, response)?
        else {
            return Err(RemoteError::Answer {
                url: self.config.query.clone(),
                message: "solutions were expected".into(),
            }
            .into());
        };
        let (subject, predicate, object, graph) = (
            subject.map(NamedOrBlankNodeRef::into_owned),
            predicate.map(NamedNodeRef::into_owned),
            object.map(TermRef::into_owned),
            graph.map(GraphNameRef::into_owned),
        );
        let url = self.config.query.clone();
        Ok(Box::new(solutions.map(move |solution| {
            let solution = solution?;
            let malformed = || -> StoreError {
                RemoteError::Answer {
                    url: url.clone(),
                    message: "a quad's part is missing or of the wrong kind".into(),
                }
                .into()
            };
            let subject = match &subject {
                Some(subject) => subject.clone(),
                None => match solution.get("s") {
                    Some(Term::NamedNode(node)) => node.clone().into(),
                    Some(Term::BlankNode(node)) => node.clone().into(),
                    _ => return Err(malformed()),
                },
            };
            let predicate = match &predicate {
                Some(predicate) => predicate.clone(),
                None => match solution.get("p") {
                    Some(Term::NamedNode(node)) => node.clone(),
                    _ => return Err(malformed()),
                },
            };
            let object = match &object {
                Some(object) => object.clone(),
                None => solution.get("o").cloned().ok_or_else(malformed)?,
            };
            let graph = match &graph {
                Some(graph) => graph.clone(),
                None => match solution.get("g") {
                    Some(Term::NamedNode(node)) if node.as_str() == DEFAULT_GRAPH => {
                        GraphName::DefaultGraph
                    }
                    Some(Term::NamedNode(node)) => node.clone().into(),
                    _ => return Err(malformed()),
                },
            };
            Ok(Quad::new(subject, predicate, object, graph))
        })))
    }

    /// The quads matching a pattern without subject or graph, read graph by graph, each
    /// graph's when the iteration reaches it.
    pub(crate) fn quads_everywhere(
        this: &std::sync::Arc<Self>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
    ) -> Result<Quads, StoreError> {
        let mut graphs: std::collections::VecDeque<GraphName> = this
            .graph_names()?
            .into_iter()
            .map(|graph| {
                if graph.as_str() == DEFAULT_GRAPH {
                    GraphName::DefaultGraph
                } else {
                    graph.into()
                }
            })
            .collect();
        let remote = std::sync::Arc::clone(this);
        let predicate = predicate.map(NamedNodeRef::into_owned);
        let object = object.map(TermRef::into_owned);
        let mut current: Option<Quads> = None;
        Ok(Box::new(std::iter::from_fn(move || {
            loop {
                if let Some(quads) = current.as_mut()
                    && let Some(quad) = quads.next()
                {
                    return Some(quad);
                }
                let graph = graphs.pop_front()?;
                match remote.quads(
                    None,
                    predicate.as_ref().map(|predicate| predicate.as_ref()),
                    object.as_ref().map(|object| object.as_ref()),
                    Some(graph.as_ref()),
                    None,
                ) {
                    Ok(quads) => current = Some(quads),
                    Err(error) => {
                        graphs.clear();
                        return Some(Err(error));
                    }
                }
            }
        })))
    }

    /// The graphs clients must not see ([`Remote::hidden`]), asked of the store once.
    fn hidden_graphs(&self) -> Result<&[oxigraph::model::NamedNode], StoreError> {
        if let Some(hidden) = self.hidden.get() {
            return Ok(hidden);
        }
        let mut query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(".to_owned();
        for (n, prefix) in ENGINE_GRAPH_PREFIXES.iter().enumerate() {
            let or = if n == 0 { "" } else { " || " };
            let _ = write!(query, "{or}STRSTARTS(STR(?g), \"{prefix}\")");
        }
        query.push_str(") }");
        let response = self.post(&self.config.query, &[("query", query.as_str())], RESULTS)?;
        let mut hidden = vec![
            oxigraph::model::NamedNode::new_unchecked(WRITES_GRAPH),
            oxigraph::model::NamedNode::new_unchecked(DEFAULT_GRAPH),
        ];
        if let QueryResults::Solutions(solutions) = parse_results(&self.config.query, response)? {
            for solution in solutions {
                if let Some(Term::NamedNode(graph)) = solution?.get("g") {
                    hidden.push(graph.clone());
                }
            }
        }
        Ok(self.hidden.get_or_init(|| hidden))
    }

    /// The graphs holding quads, [`DEFAULT_GRAPH`] among them, the engine's own graphs and
    /// the mark of the last write left out.
    pub(crate) fn graph_names(&self) -> Result<Vec<oxigraph::model::NamedNode>, StoreError> {
        let query = format!(
            "SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }}{} }}",
            graph_filter("?g")
        );
        let response = self.post(&self.config.query, &[("query", query.as_str())], RESULTS)?;
        let QueryResults::Solutions(solutions) = parse_results(&self.config.query, response)?
        else {
            return Ok(Vec::new());
        };
        let mut graphs = Vec::new();
        for solution in solutions {
            if let Some(Term::NamedNode(graph)) = solution?.get("g") {
                graphs.push(graph.clone());
            }
        }
        Ok(graphs)
    }

    /// Whether the store holds a quad.
    pub(crate) fn contains(&self, quad: QuadRef<'_>) -> Result<bool, StoreError> {
        Ok(self
            .quads(
                Some(quad.subject),
                Some(quad.predicate),
                Some(quad.object),
                Some(quad.graph_name),
                Some(1),
            )?
            .next()
            .transpose()?
            .is_some())
    }

    /// Whether a named graph holds a quad (stores keep no empty graphs).
    pub(crate) fn contains_named_graph(
        &self,
        name: NamedOrBlankNodeRef<'_>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .quads(None, None, None, Some(name.into()), Some(1))?
            .next()
            .transpose()?
            .is_some())
    }

    /// The number of quads in the store's graphs.
    pub(crate) fn len(&self) -> Result<usize, StoreError> {
        let query = format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }}{} }}",
            graph_filter("?g")
        );
        self.number(&query, "n")
            .map(|count| usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// The integer of `variable` in the first row of a SELECT query (0 when none).
    fn number(&self, query: &str, variable: &str) -> Result<u64, StoreError> {
        let response = self.post(&self.config.query, &[("query", query)], RESULTS)?;
        let QueryResults::Solutions(mut solutions) = parse_results(&self.config.query, response)?
        else {
            return Ok(0);
        };
        let Some(solution) = solutions.next().transpose()? else {
            return Ok(0);
        };
        Ok(match solution.get(variable) {
            Some(Term::Literal(literal)) => literal.value().parse().unwrap_or(0),
            _ => 0,
        })
    }

    /// The mark of the last write made to the store by any spyatlas process.
    fn last_write(&self) -> Result<Option<String>, StoreError> {
        let query = format!(
            "SELECT ?mark WHERE {{ GRAPH <{WRITES_GRAPH}> {{ <{WRITES_GRAPH}> <{LAST_WRITE}> ?mark }} }}"
        );
        let response = self.post(&self.config.query, &[("query", query.as_str())], RESULTS)?;
        let QueryResults::Solutions(mut solutions) = parse_results(&self.config.query, response)?
        else {
            return Ok(None);
        };
        Ok(match solutions.next().transpose()? {
            Some(solution) => match solution.get("mark") {
                Some(Term::Literal(mark)) => Some(mark.value().to_owned()),
                _ => None,
            },
            None => None,
        })
    }

    /// Sends `operations` (SPARQL update operations, `;`-separated) with a new mark of the
    /// last write, in one request.
    fn write(&self, operations: &str) -> Result<(), StoreError> {
        // Held from the mark before to the mark after: the thread following the store's
        // writes never reads a mark of this write before it is taken note of.
        let mut seen = self.lock_seen();
        let before = self.last_write()?;
        let (mark, marking) = new_mark();
        // A written update may end with its own `;` (spargebra writes one after each
        // operation): two in a row do not parse.
        let operations = operations.trim_end().trim_end_matches(';');
        let request = if operations.trim().is_empty() {
            marking
        } else {
            format!("{operations} ;\n{marking}")
        };
        self.post(&self.config.update, &[("update", &request)], "*/*")?;
        self.marked(&mut seen, before, mark);
        Ok(())
    }

    /// Takes note that this process left `mark` on a store whose mark was `before`: when
    /// `mark` is still there, and this process had seen `before`, no other write came
    /// between, and there is nothing to read again.
    fn marked(&self, seen: &mut Option<String>, before: Option<String>, mark: String) {
        let after = self.last_write();
        if let Ok(Some(after)) = after
            && after == mark
            && *seen == before
        {
            *seen = Some(mark);
        }
    }

    /// Runs a SPARQL update written by a client, over the protocol's dataset when given.
    pub(crate) fn update(
        &self,
        update: &spargebra::Update,
        dataset: Option<&(Vec<GraphName>, Vec<NamedOrBlankNode>)>,
    ) -> Result<(), StoreError> {
        let text = update_text(&self.for_the_store(update)?);
        let Some((default, named)) = dataset else {
            return self.write(&text);
        };
        // The protocol's dataset would hide the mark's graph from the marking operation:
        // it goes in a request of its own.
        let mut form = vec![("update", text.as_str())];
        add_dataset(
            &mut form,
            default,
            named,
            ("using-graph-uri", "using-named-graph-uri"),
        );
        let mut seen = self.lock_seen();
        let before = self.last_write()?;
        self.post(&self.config.update, &form, "*/*")?;
        let (mark, marking) = new_mark();
        self.post(&self.config.update, &[("update", &marking)], "*/*")?;
        self.marked(&mut seen, before, mark);
        Ok(())
    }
}

impl Remote {
    /// A client's update as the store runs it: the default graph named [`DEFAULT_GRAPH`],
    /// and `CLEAR`/`DROP` of all graphs or of the named ones spelt out graph by graph, so
    /// that neither the engine's own graphs nor the mark of the last write go with them.
    fn for_the_store(&self, update: &spargebra::Update) -> Result<spargebra::Update, StoreError> {
        use spargebra::GraphUpdateOperation as Operation;
        use spargebra::algebra::GraphTarget;
        use spargebra::term::{GraphName as Name, GraphNamePattern as Pattern};
        let default = oxigraph::model::NamedNode::new_unchecked(DEFAULT_GRAPH);
        let mut listed: Option<Vec<oxigraph::model::NamedNode>> = None;
        let mut operations = Vec::with_capacity(update.operations.len());
        for operation in &update.operations {
            match operation.clone() {
                Operation::InsertData { mut data } => {
                    for quad in &mut data {
                        if quad.graph_name == Name::DefaultGraph {
                            quad.graph_name = Name::NamedNode(default.clone());
                        }
                    }
                    operations.push(Operation::InsertData { data });
                }
                Operation::DeleteData { mut data } => {
                    for quad in &mut data {
                        if quad.graph_name == Name::DefaultGraph {
                            quad.graph_name = Name::NamedNode(default.clone());
                        }
                    }
                    operations.push(Operation::DeleteData { data });
                }
                Operation::DeleteInsert {
                    mut delete,
                    mut insert,
                    using,
                    pattern,
                } => {
                    let pattern = Box::new(algebra::pattern(
                        &pattern,
                        &mut ForTheStore {
                            hidden: Some(self.hidden_graphs()?),
                        },
                    ));
                    for quad in &mut delete {
                        if quad.graph_name == Pattern::DefaultGraph {
                            quad.graph_name = Pattern::NamedNode(default.clone());
                        }
                    }
                    for quad in &mut insert {
                        if quad.graph_name == Pattern::DefaultGraph {
                            quad.graph_name = Pattern::NamedNode(default.clone());
                        }
                    }
                    operations.push(Operation::DeleteInsert {
                        delete,
                        insert,
                        using,
                        pattern,
                    });
                }
                Operation::Clear { silent, graph } | Operation::Drop { silent, graph } => {
                    let clear = matches!(operation, Operation::Clear { .. });
                    // The default graph always exists: clearing it never fails.
                    let (targets, silent) = match graph {
                        GraphTarget::DefaultGraph => (vec![default.clone()], true),
                        GraphTarget::NamedNode(name) => (vec![name], silent),
                        GraphTarget::NamedGraphs | GraphTarget::AllGraphs => {
                            if listed.is_none() {
                                listed = Some(self.graph_names()?);
                            }
                            let all = matches!(graph, GraphTarget::AllGraphs);
                            let targets = listed
                                .iter()
                                .flatten()
                                .filter(|name| all || name.as_str() != DEFAULT_GRAPH)
                                .cloned()
                                .collect();
                            (targets, true)
                        }
                    };
                    for name in targets {
                        let graph = GraphTarget::NamedNode(name);
                        operations.push(if clear {
                            Operation::Clear { silent, graph }
                        } else {
                            Operation::Drop { silent, graph }
                        });
                    }
                }
                operation => operations.push(operation),
            }
        }
        Ok(spargebra::Update {
            base_iri: update.base_iri.clone(),
            operations,
        })
    }
}

/// Sends what a transaction wrote, in one request: each graph that lost quads is cleared
/// and written again whole, each graph that only gained quads gets them. When the request
/// fails, the graphs are read again, and what was partly written undone.
pub(crate) fn commit(
    writes: &RemoteWrites<'_>,
    added: &HashSet<Quad>,
    removed: &HashSet<Quad>,
) -> Result<(), StoreError> {
    let remote = writes.remote;
    let graphs = writes.graphs.borrow();
    let before = writes.before.borrow();
    let emptied: HashSet<&GraphName> = removed.iter().map(|quad| &quad.graph_name).collect();
    let mut operations = Vec::new();
    let mut touched = Vec::new();
    for (graph, content) in graphs.iter() {
        if let GraphName::BlankNode(_) = graph {
            if added
                .iter()
                .chain(removed)
                .any(|quad| quad.graph_name == *graph)
            {
                return Err(StoreError::Unsupported(
                    "a remote store names every graph with an IRI: write to a graph named by an IRI"
                        .into(),
                ));
            }
            continue;
        }
        let name = graph_term(graph);
        if emptied.contains(graph) {
            operations.push(format!("CLEAR SILENT GRAPH {name}"));
            if !content.is_empty() {
                operations.push(insert_data(content.iter()));
            }
            touched.push(graph.clone());
        } else {
            let new: Vec<&Quad> = added
                .iter()
                .filter(|quad| quad.graph_name == *graph)
                .collect();
            if !new.is_empty() {
                operations.push(insert_data(new.into_iter()));
                touched.push(graph.clone());
            }
        }
    }
    if operations.is_empty() {
        return Ok(());
    }
    let Err(error) = remote.write(&operations.join(" ;\n")) else {
        return Ok(());
    };
    // What did the failed request leave?
    let mut changed = Vec::new();
    let mut all_written = true;
    for graph in &touched {
        let now = remote
            .quads(None, None, None, Some(graph.as_ref()), None)
            .and_then(|quads| quads.collect::<Result<HashSet<_>, _>>());
        let Ok(now) = now else {
            // The store cannot be read now: what it holds cannot be told.
            return Err(error);
        };
        let empty = HashSet::new();
        all_written &= same(&now, graphs.get(graph).unwrap_or(&empty));
        if !same(&now, before.get(graph).unwrap_or(&empty)) {
            changed.push(graph);
        }
    }
    if all_written {
        tracing::warn!(%error, "a write to the remote store answered with a failure, yet all of it was written");
        return Ok(());
    }
    if changed.is_empty() {
        return Err(error);
    }
    let mut undo = Vec::new();
    for graph in &changed {
        undo.push(format!("CLEAR SILENT GRAPH {}", graph_term(graph)));
        let was = before.get(*graph).cloned().unwrap_or_default();
        if !was.is_empty() {
            undo.push(insert_data(was.iter()));
        }
    }
    let names = changed
        .iter()
        .map(|graph| graph.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let (outcome, undone) = match remote.write(&undo.join(" ;\n")) {
        Ok(()) => (
            "it was undone: the store holds what it held before".to_owned(),
            true,
        ),
        Err(undo_error) => (
            format!("undoing it failed too ({undo_error}): load the reports of these graphs again"),
            false,
        ),
    };
    Err(RemoteError::Partial {
        url: remote.config.update.clone(),
        cause: error.to_string(),
        graphs: names,
        outcome,
        undone,
    }
    .into())
}

/// Adds quads in requests of about [`REQUEST_QUADS`] each, whole graphs together (a
/// bulk load of a million quads does not fit one request). When `new_graphs`, the graphs
/// were not in the store before: if a request fails, every graph written so far is
/// cleared again, and the store holds what it held before. Otherwise what the requests
/// before the failed one wrote remains, and the error says so.
pub(crate) fn insert(remote: &Remote, quads: &[Quad], new_graphs: bool) -> Result<(), StoreError> {
    if quads.is_empty() {
        return Ok(());
    }
    let mut by_graph: HashMap<&GraphName, Vec<&Quad>> = HashMap::new();
    for quad in quads {
        if let GraphName::BlankNode(_) = &quad.graph_name {
            return Err(StoreError::Unsupported(
                "a remote store names every graph with an IRI: write to a graph named by an IRI"
                    .into(),
            ));
        }
        by_graph.entry(&quad.graph_name).or_default().push(quad);
    }
    let mut graphs: Vec<(&GraphName, Vec<&Quad>)> = by_graph.into_iter().collect();
    graphs.sort_by_key(|(graph, _)| graph.to_string());
    let mut requests: Vec<Vec<(&GraphName, Vec<&Quad>)>> = vec![Vec::new()];
    let mut size = 0;
    for (graph, quads) in graphs {
        if size > 0 && size + quads.len() > REQUEST_QUADS {
            requests.push(Vec::new());
            size = 0;
        }
        size += quads.len();
        requests
            .last_mut()
            .expect("one at least")
            .push((graph, quads));
    }
    let mut written: Vec<&GraphName> = Vec::new();
    for request in &requests {
        written.extend(request.iter().map(|(graph, _)| *graph));
        let operations = insert_data(request.iter().flat_map(|(_, quads)| quads.iter().copied()));
        let Err(error) = remote.write(&operations) else {
            continue;
        };
        if written.len() == request.len() && !new_graphs {
            return Err(error);
        }
        let names = written
            .iter()
            .map(|graph| graph.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let (outcome, undone) = if new_graphs {
            let clear: Vec<String> = written
                .iter()
                .map(|graph| format!("CLEAR SILENT GRAPH {}", graph_term(graph)))
                .collect();
            match remote.write(&clear.join(" ;\n")) {
                Ok(()) => (
                    "the graphs written were cleared again: the store holds what it held before"
                        .to_owned(),
                    true,
                ),
                Err(undo_error) => (
                    format!(
                        "clearing them again failed too ({undo_error}): drop these graphs, or load them again"
                    ),
                    false,
                ),
            }
        } else {
            ("the requests before the failed one are written: load the same files again once the store answers".to_owned(), false)
        };
        return Err(RemoteError::Partial {
            url: remote.config.update.clone(),
            cause: error.to_string(),
            graphs: names,
            outcome,
            undone,
        }
        .into());
    }
    Ok(())
}

/// Follows the writes other processes make to the store of `graph`: every `poll`, reads
/// the mark of the last write, and when it is not the one this process saw last, tells
/// the graph's watchers that the store changed. Ends when the graph is dropped or stopping.
pub(crate) fn follow(graph: &Graph, remote: &std::sync::Arc<Remote>, poll: Duration) {
    let weak = graph.downgrade();
    let remote = std::sync::Arc::downgrade(remote);
    let spawned = std::thread::Builder::new()
        .name("spyatlas-follow".into())
        .spawn(move || {
            loop {
                std::thread::sleep(poll);
                let (Some(graph), Some(remote)) = (weak.upgrade(), remote.upgrade()) else {
                    return;
                };
                if graph.is_stopping() {
                    return;
                }
                // Read under the lock this process's writes hold from their mark before to
                // their mark after: a mark read here is never one of them half noted.
                let new = {
                    let mut seen = remote.lock_seen();
                    let mark = match remote.last_write() {
                        Ok(mark) => mark,
                        Err(error) => {
                            tracing::warn!(%error, "cannot read the mark of the remote store's last write");
                            continue;
                        }
                    };
                    let new = *seen != mark;
                    *seen = mark;
                    new
                };
                if new {
                    tracing::info!("the remote store was written by another process");
                    graph.changed_elsewhere();
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start following the remote store's writes");
    }
}

/// A new mark of the last write, and the update operations that leave it in place of
/// the one before.
fn new_mark() -> (String, String) {
    use sha2::Digest as _;
    static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seed = format!(
        "{:?} {} {} {:p}",
        std::time::SystemTime::now(),
        std::process::id(),
        SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        &SEQUENCE,
    );
    let mark: String = sha2::Sha256::digest(seed.as_bytes()).iter().take(16).fold(
        String::with_capacity(32),
        |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        },
    );
    let marking = format!(
        "DELETE WHERE {{ GRAPH <{WRITES_GRAPH}> {{ <{WRITES_GRAPH}> <{LAST_WRITE}> ?mark }} }} ;\n\
         INSERT DATA {{ GRAPH <{WRITES_GRAPH}> {{ <{WRITES_GRAPH}> <{LAST_WRITE}> \"{mark}\" }} }}"
    );
    (mark, marking)
}

/// The update operations adding quads, grouped by graph in blocks of at most
/// [`BLOCK_TRIPLES`]: `INSERT DATA`, but for quads with blank nodes, which Virtuoso
/// refuses there: those go in one `INSERT { } WHERE { }`, so that each blank node label
/// stands for one new node throughout.
fn insert_data<'a>(quads: impl Iterator<Item = &'a Quad>) -> String {
    fn has_blank_node(quad: &Quad) -> bool {
        matches!(quad.subject, NamedOrBlankNode::BlankNode(_))
            || matches!(quad.object, Term::BlankNode(_))
    }
    fn blocks(text: &mut String, quads: Vec<&Quad>) {
        let mut by_graph: HashMap<&GraphName, Vec<&Quad>> = HashMap::new();
        for quad in quads {
            by_graph.entry(&quad.graph_name).or_default().push(quad);
        }
        for (graph, quads) in by_graph {
            for block in quads.chunks(BLOCK_TRIPLES) {
                let _ = writeln!(text, "GRAPH {} {{", graph_term(graph));
                for quad in block {
                    let _ = writeln!(
                        text,
                        "{} {} {} .",
                        quad.subject, quad.predicate, quad.object
                    );
                }
                text.push_str("}\n");
            }
        }
    }
    let (blank, plain): (Vec<&Quad>, Vec<&Quad>) = quads.partition(|quad| has_blank_node(quad));
    let mut operations = Vec::new();
    if !plain.is_empty() {
        let mut text = String::from("INSERT DATA {\n");
        blocks(&mut text, plain);
        text.push('}');
        operations.push(text);
    }
    if !blank.is_empty() {
        let mut text = String::from("INSERT {\n");
        blocks(&mut text, blank);
        text.push_str("} WHERE {}");
        operations.push(text);
    }
    operations.join(" ;\n")
}

/// Adds a protocol dataset to a request's form, under `keys` (default graphs, named
/// graphs). Blank node graphs have no name to send; the default graph is [`DEFAULT_GRAPH`].
fn add_dataset<'a>(
    form: &mut Vec<(&'static str, &'a str)>,
    default: &'a [GraphName],
    named: &'a [NamedOrBlankNode],
    (default_key, named_key): (&'static str, &'static str),
) {
    form.extend(default.iter().filter_map(|graph| match graph {
        GraphName::NamedNode(name) => Some((default_key, name.as_str())),
        GraphName::DefaultGraph => Some((default_key, DEFAULT_GRAPH)),
        GraphName::BlankNode(_) => None,
    }));
    form.extend(named.iter().filter_map(|graph| match graph {
        NamedOrBlankNode::NamedNode(name) => Some((named_key, name.as_str())),
        NamedOrBlankNode::BlankNode(_) => None,
    }));
}

/// A query as the store runs it: see [`ForTheStore`].
fn query_for_the_store(
    query: &spargebra::Query,
    hidden: Option<&[oxigraph::model::NamedNode]>,
) -> spargebra::Query {
    use spargebra::Query;
    let mut rewrite = ForTheStore { hidden };
    let mut query = query.clone();
    match &mut query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => *pattern = algebra::pattern(pattern, &mut rewrite),
    }
    query
}

/// What changes in a query or an update's `WHERE` on the way to the store:
/// - `STR` of a constant becomes the constant's lexical form (the same value; Virtuoso
///   garbles the non-ASCII characters of `STR("...")`);
/// - blank nodes of patterns become variables ([`without_blank_node`]);
/// - `GROUP_CONCAT` gets its separator written out ([`with_separator`]);
/// - with `hidden` graphs, `GRAPH ?g` leaves them out: the graphs that are not the store's
///   data as spyatlas shows it (the engine's own, the mark of the last write, and
///   [`DEFAULT_GRAPH`], the default graph, not a named graph).
struct ForTheStore<'a> {
    hidden: Option<&'a [oxigraph::model::NamedNode]>,
}

impl Rewrite for ForTheStore<'_> {
    fn pattern(&mut self, pattern: GraphPattern) -> GraphPattern {
        match pattern {
            GraphPattern::Bgp { patterns } => GraphPattern::Bgp {
                patterns: patterns
                    .into_iter()
                    .map(|triple| spargebra::term::TriplePattern {
                        subject: without_blank_node(triple.subject),
                        predicate: triple.predicate,
                        object: without_blank_node(triple.object),
                    })
                    .collect(),
            },
            GraphPattern::Path {
                subject,
                path,
                object,
            } => GraphPattern::Path {
                subject: without_blank_node(subject),
                path,
                object: without_blank_node(object),
            },
            GraphPattern::Group {
                inner,
                variables,
                aggregates,
            } => GraphPattern::Group {
                inner,
                variables,
                aggregates: aggregates
                    .into_iter()
                    .map(|(variable, aggregate)| (variable, with_separator(aggregate)))
                    .collect(),
            },
            GraphPattern::Graph {
                name: NamedNodePattern::Variable(variable),
                inner,
            } if self.hidden.is_some() => GraphPattern::Filter {
                expr: shown_graph(&variable, self.hidden.unwrap_or_default()),
                inner: Box::new(GraphPattern::Graph {
                    name: NamedNodePattern::Variable(variable),
                    inner,
                }),
            },
            pattern => pattern,
        }
    }

    fn expression(&mut self, expression: Expression) -> Expression {
        match expression {
            Expression::FunctionCall(Function::Str, arguments)
                if matches!(arguments.as_slice(), [Expression::Literal(_)]) =>
            {
                let Some(Expression::Literal(literal)) = arguments.first() else {
                    unreachable!("matched above");
                };
                Expression::Literal(oxigraph::model::Literal::new_simple_literal(
                    literal.value(),
                ))
            }
            expression => expression,
        }
    }
}

/// A blank node of a query pattern as the variable it stands for (Virtuoso refuses blank
/// nodes at the ends of property paths), named apart from the query's own variables
/// (unless one of those starts with `spyatlas_blank_`).
fn without_blank_node(term: spargebra::term::TermPattern) -> spargebra::term::TermPattern {
    match term {
        spargebra::term::TermPattern::BlankNode(node) => spargebra::term::TermPattern::Variable(
            spargebra::term::Variable::new_unchecked(format!("spyatlas_blank_{}", node.as_str())),
        ),
        term => term,
    }
}

/// `GROUP_CONCAT` with its separator written out, the default one included (Virtuoso
/// fails on a `GROUP_CONCAT` without `SEPARATOR`).
fn with_separator(
    aggregate: spargebra::algebra::AggregateExpression,
) -> spargebra::algebra::AggregateExpression {
    use spargebra::algebra::{AggregateExpression, AggregateFunction};
    match aggregate {
        AggregateExpression::FunctionCall {
            name: AggregateFunction::GroupConcat { separator: None },
            expr,
            distinct,
        } => AggregateExpression::FunctionCall {
            name: AggregateFunction::GroupConcat {
                separator: Some(" ".into()),
            },
            expr,
            distinct,
        },
        aggregate => aggregate,
    }
}

/// True for a graph `variable` that spyatlas shows as a named graph: none of `hidden`,
/// named one by one (Virtuoso 7 answers nothing to some queries joining a transitive path
/// with a filter on `STR` of a graph, even one the query already makes true).
fn shown_graph(
    variable: &spargebra::term::Variable,
    hidden: &[oxigraph::model::NamedNode],
) -> Expression {
    Expression::Not(Box::new(Expression::In(
        Box::new(Expression::Variable(variable.clone())),
        hidden
            .iter()
            .map(|graph| Expression::NamedNode(graph.clone()))
            .collect(),
    )))
}

/// An update as text every engine parses: as spargebra writes it, but for the templates
/// of `DELETE`/`INSERT`, where a `GRAPH` block is not followed by a `.` (allowed by the
/// grammar, refused by Virtuoso).
fn update_text(update: &spargebra::Update) -> String {
    use spargebra::GraphUpdateOperation as Operation;
    use spargebra::term::GraphNamePattern;
    fn template(text: &mut String, keyword: &str, quads: &[(String, bool)]) {
        if quads.is_empty() {
            return;
        }
        let _ = writeln!(text, "{keyword} {{");
        for (quad, in_graph) in quads {
            let _ = writeln!(text, "\t{quad}{}", if *in_graph { "" } else { " ." });
        }
        text.push_str("}\n");
    }
    let mut text = String::new();
    if update.operations.is_empty() {
        return text;
    }
    if let Some(base) = &update.base_iri {
        let _ = writeln!(text, "BASE <{base}>");
    }
    for operation in &update.operations {
        match operation {
            Operation::DeleteInsert {
                delete,
                insert,
                using,
                pattern,
            } => {
                let delete: Vec<(String, bool)> = delete
                    .iter()
                    .map(|quad| {
                        let in_graph = quad.graph_name != GraphNamePattern::DefaultGraph;
                        (quad.to_string(), in_graph)
                    })
                    .collect();
                let insert: Vec<(String, bool)> = insert
                    .iter()
                    .map(|quad| {
                        let in_graph = quad.graph_name != GraphNamePattern::DefaultGraph;
                        (quad.to_string(), in_graph)
                    })
                    .collect();
                template(&mut text, "DELETE", &delete);
                template(&mut text, "INSERT", &insert);
                // Without templates, spargebra writes the rest: USING clauses and WHERE.
                let rest = Operation::DeleteInsert {
                    delete: Vec::new(),
                    insert: Vec::new(),
                    using: using.clone(),
                    pattern: pattern.clone(),
                };
                let _ = writeln!(text, "{rest} ;");
            }
            operation => {
                let _ = writeln!(text, "{operation} ;");
            }
        }
    }
    text
}

/// A graph as an update names it: the default graph's quads live in [`DEFAULT_GRAPH`].
fn graph_term(graph: &GraphName) -> String {
    match graph {
        GraphName::DefaultGraph => format!("<{DEFAULT_GRAPH}>"),
        graph => graph.to_string(),
    }
}

/// The filter leaving out the engine's own graphs and the mark of the last write.
fn graph_filter(variable: &str) -> String {
    let mut filter = format!(" FILTER({variable} != <{WRITES_GRAPH}>");
    for prefix in ENGINE_GRAPH_PREFIXES {
        let _ = write!(filter, " && !STRSTARTS(STR({variable}), \"{prefix}\")");
    }
    filter.push(')');
    filter
}

/// Whether two contents of a graph are the same, blank node labels aside (a store labels
/// them as it likes).
fn same(a: &HashSet<Quad>, b: &HashSet<Quad>) -> bool {
    fn shape(quads: &HashSet<Quad>) -> (usize, HashSet<&Quad>) {
        let without_blank_nodes = quads
            .iter()
            .filter(|quad| {
                !matches!(quad.subject, NamedOrBlankNode::BlankNode(_))
                    && !matches!(quad.object, Term::BlankNode(_))
            })
            .collect();
        (quads.len(), without_blank_nodes)
    }
    shape(a) == shape(b)
}

/// The `SERVICE` a query calls, if any (refused, as on the embedded store).
fn service_of_query(query: &spargebra::Query) -> Option<oxigraph::model::NamedNode> {
    let pattern = match query {
        spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }
        | spargebra::Query::Ask { pattern, .. } => pattern,
    };
    service_of(pattern)
}

fn service_of(pattern: &GraphPattern) -> Option<oxigraph::model::NamedNode> {
    match pattern {
        GraphPattern::Service { name, .. } => Some(match name {
            spargebra::term::NamedNodePattern::NamedNode(name) => name.clone(),
            spargebra::term::NamedNodePattern::Variable(variable) => {
                oxigraph::model::NamedNode::new_unchecked(format!("?{}", variable.as_str()))
            }
        }),
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => None,
        GraphPattern::Join { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right }
        | GraphPattern::Lateral { left, right } => service_of(left).or_else(|| service_of(right)),
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => service_of(left)
            .or_else(|| service_of(right))
            .or_else(|| expression.as_ref().and_then(service_in)),
        GraphPattern::Filter { expr, inner } => service_in(expr).or_else(|| service_of(inner)),
        GraphPattern::Extend {
            inner, expression, ..
        } => service_of(inner).or_else(|| service_in(expression)),
        GraphPattern::Graph { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. } => service_of(inner),
    }
}

fn service_in(expression: &Expression) -> Option<oxigraph::model::NamedNode> {
    match expression {
        Expression::Exists(pattern) => service_of(pattern),
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => service_in(a).or_else(|| service_in(b)),
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => service_in(a),
        Expression::If(a, b, c) => service_in(a)
            .or_else(|| service_in(b))
            .or_else(|| service_in(c)),
        Expression::In(a, list) => service_in(a).or_else(|| list.iter().find_map(service_in)),
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().find_map(service_in)
        }
        _ => None,
    }
}

/// Reads a response as SPARQL XML results (what every query asks for: [`RESULTS`]),
/// stopping when the work's deadline passes.
fn parse_results(
    url: &str,
    response: ureq::http::Response<ureq::Body>,
) -> Result<QueryResults<'static>, StoreError> {
    let token = current_token();
    let body = Deadline::new(url, response, token.clone(), Ending::XmlResults);
    let broken = body.broken();
    let reader = BlankNodeLabels::new(body);
    let parsed = QueryResultsParser::from_format(QueryResultsFormat::Xml)
        .for_reader(reader)
        .map_err(|error| {
            taken(&broken).unwrap_or_else(|| RemoteError::Answer {
                url: url.to_owned(),
                message: error.to_string(),
            })
        })?;
    Ok(match parsed {
        ReaderQueryResultsParserOutput::Boolean(answer) => QueryResults::Boolean(answer),
        ReaderQueryResultsParserOutput::Solutions(solutions) => {
            let variables = solutions.variables().to_vec();
            let url = url.to_owned();
            QueryResults::Solutions(QuerySolutionIter::new(
                variables.into(),
                solutions.map(move |solution| {
                    solution.map_err(|error| read_error(&url, &token, &broken, error.to_string()))
                }),
            ))
        }
    })
}

/// The error of an answer that stopped being read: the deadline, an answer that broke off
/// (as `broken` tells), or one that does not parse.
fn read_error(
    url: &str,
    token: &Option<oxigraph::sparql::CancellationToken>,
    broken: &BrokenOff,
    message: String,
) -> QueryEvaluationError {
    if token.as_ref().is_some_and(|token| token.is_cancelled()) {
        QueryEvaluationError::Cancelled
    } else {
        QueryEvaluationError::Dataset(Box::new(taken(broken).unwrap_or_else(|| {
            RemoteError::Answer {
                url: url.to_owned(),
                message,
            }
        })))
    }
}

/// Where a [`Deadline`] leaves why its answer broke off, for the one who reads the
/// parser's error (which holds only the text of the reader's).
type BrokenOff = std::sync::Arc<Mutex<Option<RemoteError>>>;

fn taken(broken: &BrokenOff) -> Option<RemoteError> {
    broken
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
}

/// SPARQL XML results with Virtuoso's blank node labels (`nodeID://b10450`, not a valid
/// label) made valid (`b10450`): the only place `<bnode>` opens an element is a blank
/// node binding.
struct BlankNodeLabels<R> {
    inner: R,
    /// Read, not yet looked at (at most a prefix of the pattern at its end).
    tail: Vec<u8>,
    /// Looked at, ready to hand out from `ready_from`.
    ready: Vec<u8>,
    ready_from: usize,
    ended: bool,
}

impl<R: Read> BlankNodeLabels<R> {
    const PATTERN: &'static [u8] = b"<bnode>nodeID://";
    const REPLACEMENT: &'static [u8] = b"<bnode>";

    fn new(inner: R) -> Self {
        Self {
            inner,
            tail: Vec::new(),
            ready: Vec::new(),
            ready_from: 0,
            ended: false,
        }
    }

    /// Moves what can be told of `tail` into `ready`, the pattern replaced.
    fn refill(&mut self) -> io::Result<()> {
        let mut chunk = [0; 16 * 1024];
        let read = self.inner.read(&mut chunk)?;
        if read == 0 {
            self.ended = true;
        }
        self.tail.extend_from_slice(&chunk[..read]);
        self.ready.clear();
        self.ready_from = 0;
        let mut start = 0;
        while let Some(found) = find(&self.tail[start..], Self::PATTERN) {
            self.ready
                .extend_from_slice(&self.tail[start..start + found]);
            self.ready.extend_from_slice(Self::REPLACEMENT);
            start += found + Self::PATTERN.len();
        }
        // Keep back what may be the beginning of the pattern, until more is read.
        let keep = if self.ended {
            0
        } else {
            (1..Self::PATTERN.len())
                .rev()
                .find(|length| self.tail[start..].ends_with(&Self::PATTERN[..*length]))
                .unwrap_or(0)
        };
        let end = self.tail.len() - keep;
        self.ready.extend_from_slice(&self.tail[start..end]);
        self.tail.drain(..end);
        Ok(())
    }
}

impl<R: Read> Read for BlankNodeLabels<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while self.ready_from == self.ready.len() {
            if self.ended && self.tail.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
        let available = &self.ready[self.ready_from..];
        let length = available.len().min(buffer.len());
        buffer[..length].copy_from_slice(&available[..length]);
        self.ready_from += length;
        Ok(length)
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// How the end of an answer is told from a break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// SPARQL XML results: whole once `</sparql>` closes them. Their parser takes a
    /// document that stops between two elements for a shorter one, so this is checked
    /// whatever the HTTP framing.
    XmlResults,
    /// Any other format: whole when its HTTP framing says so (ureq checks a
    /// `Content-Length`, and chunks ended by an empty one). An answer without either is
    /// refused at its end, since nothing tells where it should end.
    Framed,
}

/// The body of a response, which stops being read once its work is cancelled, and which
/// is an error, not an end, when it breaks off ([`Ending`]).
struct Deadline {
    body: ureq::BodyReader<'static>,
    token: Option<oxigraph::sparql::CancellationToken>,
    url: String,
    ending: Ending,
    /// Whether the response has a `Content-Length` or chunked transfer encoding.
    framed: bool,
    /// How many bytes were read.
    read: u64,
    /// The last bytes read that are not white space, at most as many as in `</sparql>`.
    last: Vec<u8>,
    broken: BrokenOff,
}

impl Deadline {
    const CLOSING: &'static [u8] = b"</sparql>";

    fn new(
        url: &str,
        response: ureq::http::Response<ureq::Body>,
        token: Option<oxigraph::sparql::CancellationToken>,
        ending: Ending,
    ) -> Self {
        let headers = response.headers();
        let chunked = headers
            .get_all("transfer-encoding")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.to_ascii_lowercase().contains("chunked"));
        // A 204 has no body by definition, so nothing of it can be missing.
        let framed = chunked || headers.contains_key("content-length") || response.status() == 204;
        Self {
            body: response
                .into_body()
                .into_with_config()
                .limit(u64::MAX)
                .reader(),
            token,
            url: url.to_owned(),
            ending,
            framed,
            read: 0,
            last: Vec::new(),
            broken: BrokenOff::default(),
        }
    }

    /// Where this body leaves why it broke off.
    fn broken(&self) -> BrokenOff {
        std::sync::Arc::clone(&self.broken)
    }

    /// Records `error` as why the answer broke off, and gives it as a reading error.
    fn break_off(&self, error: RemoteError) -> io::Error {
        let message = error.to_string();
        *self
            .broken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
        io::Error::other(message)
    }
}

impl Read for Deadline {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self
            .token
            .as_ref()
            .is_some_and(|token| token.is_cancelled())
        {
            return Err(io::Error::other("the query was cancelled"));
        }
        match self.body.read(buffer) {
            Ok(0) if !buffer.is_empty() => match self.ending {
                Ending::XmlResults if !self.last.ends_with(Self::CLOSING) => {
                    Err(self.break_off(RemoteError::BrokenOff {
                        url: self.url.clone(),
                        read: self.read,
                        reason: "it ends before </sparql>".into(),
                    }))
                }
                Ending::Framed if !self.framed => Err(self.break_off(RemoteError::Unframed {
                    url: self.url.clone(),
                })),
                _ => Ok(0),
            },
            Ok(read) => {
                self.read += read as u64;
                keep_end(&mut self.last, &buffer[..read], Self::CLOSING.len());
                Ok(read)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Err(error),
            Err(error) => Err(self.break_off(RemoteError::BrokenOff {
                url: self.url.clone(),
                read: self.read,
                reason: error.to_string(),
            })),
        }
    }
}

/// Keeps in `last` the last `length` bytes that are not white space of what was read,
/// `chunk` being the newest part of it.
fn keep_end(last: &mut Vec<u8>, chunk: &[u8], length: usize) {
    let mut end: Vec<u8> = chunk
        .iter()
        .rev()
        .filter(|byte| !byte.is_ascii_whitespace())
        .take(length)
        .copied()
        .collect();
    end.reverse();
    if end.len() < length {
        let keep = last.len().saturating_sub(length - end.len());
        end.splice(0..0, last.drain(keep..));
    }
    *last = end;
}

/// A digest challenge (`WWW-Authenticate: Digest ...`).
#[derive(Debug, Clone)]
struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    qop: bool,
}

impl Challenge {
    fn parse(header: &str) -> Option<Self> {
        let rest = header.trim().strip_prefix("Digest")?.trim();
        let mut fields = HashMap::new();
        for part in split_fields(rest) {
            if let Some((key, value)) = part.split_once('=') {
                fields.insert(
                    key.trim().to_ascii_lowercase(),
                    value.trim().trim_matches('"').to_owned(),
                );
            }
        }
        Some(Self {
            realm: fields.get("realm")?.clone(),
            nonce: fields.get("nonce")?.clone(),
            opaque: fields.get("opaque").cloned(),
            qop: fields
                .get("qop")
                .is_some_and(|qop| qop.split(',').any(|one| one.trim() == "auth")),
        })
    }

    /// The `Authorization` header answering the challenge for one request.
    fn answer(&self, user: &str, password: &str, method: &str, uri: &str, count: u32) -> String {
        let ha1 = md5_hex(&format!("{user}:{}:{password}", self.realm));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let nc = format!("{count:08x}");
        let cnonce = md5_hex(&format!(
            "{}:{count}:{:?}",
            self.nonce,
            std::time::SystemTime::now()
        ));
        let mut header = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm=MD5",
            self.realm, self.nonce
        );
        if self.qop {
            let response = md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce));
            let _ = write!(
                header,
                ", qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\""
            );
        } else {
            let response = md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce));
            let _ = write!(header, ", response=\"{response}\"");
        }
        if let Some(opaque) = &self.opaque {
            let _ = write!(header, ", opaque=\"{opaque}\"");
        }
        header
    }
}

/// The comma-separated fields of a challenge, commas inside quotes kept.
fn split_fields(text: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (index, character) in text.char_indices() {
        match character {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    fields.push(&text[start..]);
    fields
}

fn md5_hex(text: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(32), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// Standard base64 with padding (for HTTP Basic credentials).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let value = chunk.iter().enumerate().fold(0u32, |value, (index, byte)| {
            value | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                text.push(char::from(
                    ALPHABET[(value >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_reach_the_store_in_a_form_every_engine_runs_alike() {
        let query = spargebra::SparqlParser::new()
            .parse_query(
                "SELECT ?x (GROUP_CONCAT(?y) AS ?all) WHERE { \
                   GRAPH ?g { ?x <http://e/p>* [] } \
                   ?x <http://e/q> ?y FILTER(CONTAINS(?y, STR(\"Israël\"@nl))) \
                 } GROUP BY ?x",
            )
            .unwrap();
        let hidden = [
            oxigraph::model::NamedNode::new_unchecked(WRITES_GRAPH),
            oxigraph::model::NamedNode::new_unchecked(DEFAULT_GRAPH),
            oxigraph::model::NamedNode::new_unchecked("http://www.openlinksw.com/schemas/virtrdf#"),
        ];
        let client = query_for_the_store(&query, Some(&hidden)).to_string();
        assert!(client.contains("spyatlas_blank_"), "{client}");
        assert!(!client.contains("_:"), "{client}");
        assert!(client.contains("SEPARATOR"), "{client}");
        assert!(client.contains("CONTAINS(?y, \"Israël\")"), "{client}");
        assert!(
            client.contains(WRITES_GRAPH) && client.contains(DEFAULT_GRAPH),
            "{client}"
        );
        assert!(client.contains("http://www.openlinksw.com/"), "{client}");
        // The crate's own queries keep every graph in sight.
        let own = query_for_the_store(&query, None).to_string();
        assert!(!own.contains(WRITES_GRAPH), "{own}");
        // What goes out is SPARQL still.
        for text in [client, own] {
            spargebra::SparqlParser::new().parse_query(&text).unwrap();
        }
    }

    #[test]
    fn update_templates_leave_no_dot_after_a_graph_block() {
        let update = spargebra::SparqlParser::new()
            .parse_update(
                "BASE <http://e/> DELETE { GRAPH ?g { ?s <p> ?o } ?s <q> ?o } \
                 INSERT { GRAPH <g> { ?s <r> ?o } } WHERE { GRAPH ?g { ?s <p> ?o } } ; \
                 CLEAR SILENT GRAPH <g>",
            )
            .unwrap();
        let text = update_text(&update);
        assert!(!text.contains("} ."), "{text}");
        let again = spargebra::SparqlParser::new().parse_update(&text).unwrap();
        let templates = |update: &spargebra::Update| match &update.operations[0] {
            spargebra::GraphUpdateOperation::DeleteInsert { delete, insert, .. } => {
                (delete.clone(), insert.clone())
            }
            operation => panic!("{operation}"),
        };
        assert_eq!(templates(&again), templates(&update), "{text}");
        assert_eq!(again.operations[1], update.operations[1]);
        let nothing = spargebra::Update {
            base_iri: update.base_iri.clone(),
            operations: Vec::new(),
        };
        assert_eq!(update_text(&nothing), "", "a BASE alone is no update");
    }

    #[test]
    fn virtuoso_blank_node_labels_become_valid_wherever_reads_cut_them() {
        let text = "<result><binding name=\"s\"><bnode>nodeID://b10450</bnode></binding>\
                    <binding name=\"o\"><literal>&lt;bnode&gt;nodeID://x</literal></binding>\
                    <binding name=\"t\"><bnode>nodeID://b7</bnode></binding></result>";
        let expected = text.replace("<bnode>nodeID://", "<bnode>");
        // A reader handing out one byte at a time cuts the pattern everywhere.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buffer[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        for reader in [
            Box::new(Trickle(text.as_bytes())) as Box<dyn Read>,
            Box::new(text.as_bytes()),
        ] {
            let mut read = String::new();
            BlankNodeLabels::new(reader)
                .read_to_string(&mut read)
                .unwrap();
            assert_eq!(read, expected);
        }
        assert!(
            expected.contains("&lt;bnode&gt;nodeID://x"),
            "an escaped literal is left"
        );
    }

    #[test]
    fn the_end_of_an_answer_is_seen_wherever_reads_cut_it() {
        let text = b"<results></results>\n</sparql>\n \n";
        for size in 1..=text.len() {
            let mut last = Vec::new();
            for chunk in text.chunks(size) {
                keep_end(&mut last, chunk, b"</sparql>".len());
            }
            assert_eq!(last, b"</sparql>", "read {size} bytes at a time");
        }
        let mut last = Vec::new();
        keep_end(&mut last, b"</result>\n", 9);
        keep_end(&mut last, b"  ", 9);
        assert_eq!(last, b"</result>", "white space alone keeps what was seen");
        keep_end(&mut last, b"<", 9);
        assert_eq!(last, b"/result><");
    }

    #[test]
    fn base64_as_rfc_4648_gives_it() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"dba:dba"), "ZGJhOmRiYQ==");
    }

    #[test]
    fn a_digest_answer_is_rfc_2617s_example() {
        // RFC 2617, section 3.5.
        let challenge = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let header = challenge.answer("Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1);
        let cnonce = header
            .split("cnonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = md5_hex("GET:/dir/index.html");
        let expected = md5_hex(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:{cnonce}:auth:{ha2}"
        ));
        assert!(
            header.contains(&format!("response=\"{expected}\"")),
            "{header}"
        );
        assert!(header.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        // With the RFC's own client nonce, the RFC's own response.
        let fixed = md5_hex(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}"
        ));
        assert_eq!(fixed, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn a_service_call_is_found_wherever_it_hides() {
        for query in [
            "SELECT * WHERE { SERVICE <http://example.com/s> { ?s ?p ?o } }",
            "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE <http://example.com/s> { ?s ?p ?o } } }",
            "SELECT * WHERE { ?a ?b ?c FILTER EXISTS { SERVICE <http://example.com/s> { ?s ?p ?o } } }",
            "ASK { { SELECT * WHERE { GRAPH ?g { SERVICE <http://example.com/s> { ?s ?p ?o } } } } }",
        ] {
            let query = spargebra::SparqlParser::new().parse_query(query).unwrap();
            assert_eq!(
                service_of_query(&query).map(|name| name.into_string()),
                Some("http://example.com/s".to_owned())
            );
        }
        let query = spargebra::SparqlParser::new()
            .parse_query("SELECT * WHERE { ?s ?p ?o FILTER(?o > 1) }")
            .unwrap();
        assert_eq!(service_of_query(&query), None);
    }

    #[test]
    fn a_store_url_is_an_http_sparql_endpoint() {
        let config = RemoteConfig::from_url("sparql+http://127.0.0.1:8890/sparql").unwrap();
        assert_eq!(config.query, "http://127.0.0.1:8890/sparql");
        assert_eq!(config.update, config.query);
        assert!(RemoteConfig::from_url("ftp://example.com/").is_err());
        assert!(
            RemoteConfig::from_url("sparql+https://example.com/sparql")
                .unwrap_err()
                .contains("TLS")
        );
    }

    #[test]
    fn inserted_quads_name_each_graph_once_a_block() {
        let quad = |graph: &str, object: &str| {
            Quad::new(
                oxigraph::model::NamedNode::new_unchecked("http://e/s"),
                oxigraph::model::NamedNode::new_unchecked("http://e/p"),
                oxigraph::model::Literal::new_simple_literal(object),
                oxigraph::model::NamedNode::new_unchecked(graph),
            )
        };
        let quads = [
            quad("http://e/g", "a \"quoted\"\nline"),
            quad("http://e/g", "b"),
            quad("http://e/h", "c"),
        ];
        let text = insert_data(quads.iter());
        assert!(text.starts_with("INSERT DATA {"), "{text}");
        assert_eq!(text.matches("GRAPH <http://e/g>").count(), 1);
        assert_eq!(text.matches("GRAPH <http://e/h>").count(), 1);
        let update = spargebra::SparqlParser::new().parse_update(&text).unwrap();
        assert_eq!(update.operations.len(), 1);
        assert!(text.contains(r#""a \"quoted\"\nline""#), "{text}");
    }
}
