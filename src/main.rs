//! The `spyatlas` command: serve, load, unload, query, dump.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::NamedNode;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use spyatlas::accounts;
use spyatlas::audit::{self, Audit};
use spyatlas::config::{AuditArgs, DataArgs, HttpSettings, ServeConfig, WriteAccess};
use spyatlas::http::{self, AppState};
use spyatlas::ingest::pipeline::ProgressFn;
use spyatlas::ingest::seed;
use spyatlas::ingest::{self, LoadOptions, Loader, Progress, ReportError, ReportResult, report};
use spyatlas::limits;
use spyatlas::served;
use spyatlas::store::{Graph, StoreError};
use spyatlas::table;
use spyatlas::vocab;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: the query engine allocates a great deal of
/// small, short-lived values, on whichever thread serves the request. It is C's `malloc`
/// too (the `override` feature): oxigraph hands RocksDB's error messages, allocated in
/// C, to Rust to free, and two allocators would each free the other's memory (a store
/// error, such as a store held by another process or a full disk, ended the process).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A knowledge graph of surveillance incidents: who builds spyware, who buys it, who was
/// targeted, through which platform, and which report says so.
#[derive(Parser)]
#[command(name = "spyatlas", version, about)]
struct Cli {
    /// How log lines are written (to standard error): `text` for people, `json` for log
    /// collectors (one object per line, with the request's id).
    #[arg(long, global = true, value_enum, env = "SPYATLAS_LOG_FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// Formats of the log.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (SPARQL endpoint at /sparql, Graph Store at /store).
    Serve(ServeConfig),
    /// Load reports (files, or folders of them): each is parsed, linked to the entities
    /// already known, validated, and written whole or not at all.
    Load {
        #[command(flatten)]
        data: DataArgs,
        /// Files or folders (searched recursively): report documents (.yaml, .yml, .json,
        /// .jsonld; see docs/reports.md) or RDF (.nq and .trig with one graph per report;
        /// .ttl, .nt, .rdf, .owl describing one report).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Validate and report what would happen, without writing anything.
        #[arg(long, conflicts_with = "graph")]
        dry_run: bool,
        /// Load plain RDF (not reports) into this named graph, all files or none: no
        /// validation, no report metadata.
        #[arg(long)]
        graph: Option<String>,
        #[command(flatten)]
        audit: AuditArgs,
    },
    /// Remove loaded reports: each report's graph with its claims and metadata, at once.
    Unload {
        #[command(flatten)]
        data: DataArgs,
        /// The slugs of the reports (`italie-belgische-...`), or their IRIs.
        #[arg(required = true)]
        slugs: Vec<String>,
        #[command(flatten)]
        audit: AuditArgs,
    },
    /// Run a SPARQL query against the store (the default graph is the union of all graphs).
    Query {
        #[command(flatten)]
        data: DataArgs,
        /// The query text; omit it to use --file, or `-` to read standard input.
        query: Option<String>,
        /// Read the query from this file.
        #[arg(short, long, conflicts_with = "query")]
        file: Option<PathBuf>,
        /// How to print the results.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Import datasets published by others, each as one report (a newer version of the
    /// same dataset replaces the older as a revision of that report).
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// What the files are.
        #[arg(value_enum)]
        format: ImportFormat,
        /// The files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Validate and report what would happen, without writing anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        audit: AuditArgs,
    },
    /// Export the store, a report or an entity's neighbourhood for other tools: a STIX 2.1
    /// bundle, GEXF or GraphML (Gephi, networkx), or CSV of claims with their sources.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// The format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Export only this report (its slug).
        #[arg(long, conflicts_with = "entity")]
        report: Option<String>,
        /// Export only this entity (its slug), its relationships and those of the claims
        /// next to it.
        #[arg(long)]
        entity: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Make a token for an account of a tokens file: prints the token once (give it to the
    /// account's holder) and appends the account's line, which holds only its hash.
    Token {
        /// The account's name (letters, digits, `.`, `_`, `-`).
        name: String,
        /// What the account may do.
        #[arg(long, value_enum)]
        role: TokenRole,
        /// The tokens file (made, readable by its owner only, when missing).
        #[arg(long)]
        file: PathBuf,
    },
    /// Copy the store into a new folder, as it is at one moment, even while its server
    /// runs (the server is asked to take the copy); the copy opens as a store.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// The new folder.
        target: PathBuf,
        #[command(flatten)]
        audit: AuditArgs,
    },
    /// Make the store in --data (a new or empty folder) from a backup, and check that it
    /// opens.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// The backup's folder.
        backup: PathBuf,
        #[command(flatten)]
        audit: AuditArgs,
    },
    /// Write every quad of the store as N-Quads.
    Dump {
        #[command(flatten)]
        data: DataArgs,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Roles of `spyatlas token`.
#[derive(Clone, Copy, ValueEnum)]
enum TokenRole {
    /// Reading, where the server is private (`--private`).
    Read,
    /// Loading and retracting reports.
    Write,
    /// SPARQL updates, Graph Store writes and backups too.
    Admin,
}

/// What `spyatlas import` reads.
#[derive(Clone, Copy, ValueEnum)]
enum ImportFormat {
    /// A MISP galaxy cluster file of vendors (`clusters/surveillance-vendor.json`).
    MispGalaxy,
    /// STIX 2.1 bundles of indicators published by Amnesty International
    /// (github.com/AmnestyTech/investigations), each one report.
    AmnestyStix,
}

/// Formats of `spyatlas export`.
#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// A STIX 2.1 bundle (JSON).
    Stix,
    /// GEXF 1.3.
    Gexf,
    /// GraphML.
    Graphml,
    /// CSV, one row per relationship and report.
    Csv,
}

/// Output of `spyatlas query`.
#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// An aligned text table (Turtle for CONSTRUCT and DESCRIBE).
    Table,
    /// CSV (SELECT and ASK).
    Csv,
    /// TSV (SELECT and ASK).
    Tsv,
    /// SPARQL results JSON (SELECT and ASK).
    Json,
    /// Turtle (CONSTRUCT and DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    Ntriples,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("spyatlas=info,tower_http=info"));
    match cli.log_format {
        // Colours only on a terminal: a log file or collector would keep the escapes,
        // and writing them into every request's span costs time on every request.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(io::stderr().is_terminal())
            .with_writer(io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(io::stderr)
            .init(),
    }
    match cli.command {
        Command::Serve(config) => serve(config),
        Command::Load {
            data,
            paths,
            dry_run,
            graph: Some(graph),
            audit,
        } => {
            debug_assert!(!dry_run, "clap keeps --dry-run and --graph apart");
            load_raw(&data, &paths, &graph, &audit)
        }
        Command::Load {
            data,
            paths,
            dry_run,
            graph: None,
            audit,
        } => load_reports(&data, &paths, dry_run, &audit),
        Command::Unload { data, slugs, audit } => unload(&data, &slugs, &audit),
        Command::Query {
            data,
            query,
            file,
            format,
        } => run_query(&data, query, file, format),
        Command::Import {
            data,
            format,
            paths,
            dry_run,
            audit,
        } => import(&data, format, &paths, dry_run, &audit),
        Command::Export {
            data,
            format,
            report,
            entity,
            output,
        } => export(&data, format, report, entity, output.as_deref()),
        Command::Dump { data, output } => dump(&data, output.as_deref()),
        Command::Token { name, role, file } => token(&name, role, &file),
        Command::Backup {
            data,
            target,
            audit,
        } => backup(&data, &target, &audit),
        Command::Restore {
            data,
            backup,
            audit,
        } => restore(&data, &backup, &audit),
    }
}

#[tokio::main]
async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    ingest::pipeline::check_shapes()
        .context("the SHACL shapes built into this program cannot be checked")?;
    let path = config.data.data.clone();
    let min_free_disk = config.min_free_disk_mb.saturating_mul(1024 * 1024);
    let remote = config
        .data
        .remote(Duration::from_secs(config.query_timeout))
        .map_err(|message| anyhow::anyhow!(message))?;
    let remote_store = remote.is_some();
    let graph = tokio::task::spawn_blocking(move || {
        let graph = match remote {
            Some(remote) => Graph::remote(remote)?,
            None => Graph::open_keeping_free(&path, min_free_disk)?,
        };
        seed::seed_if_empty(&graph)?;
        Ok::<_, StoreError>(graph)
    })
    .await
    .context("opening the store")?
    .with_context(|| format!("opening {}", config.data.describe()))?;
    let mut settings = HttpSettings::try_from(&config).context("reading the accounts")?;
    let local_token = if remote_store {
        None
    } else {
        Some(accounts::new_token().context("making the store folder's token")?)
    };
    settings.local_token = local_token.clone();
    let writes = match &settings.write_access {
        WriteAccess::Accounts(keyring) => {
            format!("writes need a token, {} accounts", keyring.tokens().len())
        }
        WriteAccess::NoToken => "writes disabled (no --tokens-file or --write-token)".into(),
        WriteAccess::ReadOnly(_) => "read-only".into(),
    };
    if let WriteAccess::Accounts(keyring) | WriteAccess::ReadOnly(Some(keyring)) =
        &settings.write_access
        && keyring.file().is_some()
    {
        reload_on_hangup(keyring.clone())?;
    }
    match &settings.audit_log {
        Some(path) => tracing::info!("writes are recorded in {}", path.display()),
        None => {
            tracing::warn!("writes are recorded in no audit log: give one with --audit-log FILE")
        }
    }
    let state = AppState::new(graph.clone(), settings).context("preparing the server")?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let address = listener.local_addr()?;
    // Tells `spyatlas query`, `backup` and `dump` where to ask while this server holds
    // the store; removed when the server stops.
    let _announcement = match &local_token {
        Some(token) => Some(
            served::Announcement::write(&config.data.data, address, token).with_context(|| {
                format!("writing {} into the store's folder", served::SERVER_FILE)
            })?,
        ),
        None => None,
    };
    tracing::info!(
        "spyatlas listening on http://{address}/sparql ({}, {writes})",
        graph.describe()
    );
    if config.token_in_process_list() {
        tracing::warn!(
            "--write-token shows the token to every user of this machine in the process list: give it in SPYATLAS_WRITE_TOKEN, or use --tokens-file"
        );
    }
    http::serve(listener, state, http::shutdown_signal()).await?;
    // The store closes when this returns: index builds still reading it stop first.
    if !graph.stop_background(Duration::from_secs(10)) {
        tracing::warn!("an index build did not stop within 10 s of the shutdown");
    }
    graph.flush().context("flushing the store")?;
    Ok(())
}

/// Reads the tokens file again on each SIGHUP; a file that does not read leaves the
/// accounts as they were.
fn reload_on_hangup(keyring: Arc<accounts::Keyring>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match keyring.reload() {
                Ok(count) => tracing::info!(accounts = count, "read the tokens file again"),
                Err(error) => {
                    tracing::error!(%error, "the tokens file was not read again; the accounts stay as they were");
                }
            }
        }
    });
    Ok(())
}

/// Opens the audit log a command's writes are recorded in ([`AuditArgs`]), before the
/// command writes: a write that could not be recorded is not made. A dry run writes
/// nothing, and records nothing.
fn open_audit(data: &DataArgs, args: &AuditArgs, dry_run: bool) -> anyhow::Result<Audit> {
    match args.path(data).filter(|_| !dry_run) {
        Some(path) => Audit::open(&path).with_context(|| {
            format!(
                "cannot open the audit log {}; name a writable file with --audit-log",
                path.display()
            )
        }),
        None => Ok(Audit::none()),
    }
}

/// Records the reports a command loaded, each with its outcome.
fn record_loads(audit: &Audit, command: &str, results: &[ReportResult]) {
    let note = audit::Note {
        action: "report.load",
        reports: results.iter().map(audit::ReportNote::of).collect(),
        ..audit::Note::default()
    };
    let succeeded = results.iter().all(|result| result.outcome.is_ok());
    audit.record_command(
        &note,
        audit::Command {
            name: command,
            succeeded,
        },
    );
}

/// Records a command's write that concerns no report: plain RDF loaded into a graph, a
/// backup taken, a store restored; `target` says where to or from.
fn record_write(
    audit: &Audit,
    command: &str,
    action: &'static str,
    target: String,
    succeeded: bool,
) {
    audit.record_command(
        &audit::Note {
            action,
            target: Some(target),
            ..audit::Note::default()
        },
        audit::Command {
            name: command,
            succeeded,
        },
    );
}

fn load_reports(
    data: &DataArgs,
    paths: &[PathBuf],
    dry_run: bool,
    audit_args: &AuditArgs,
) -> anyhow::Result<()> {
    let audit = open_audit(data, audit_args, dry_run)?;
    let graph = open(data)?;
    let started = Instant::now();
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress_bar = bar.clone();
    let progress: ProgressFn = Arc::new(move |reports, triples| {
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        progress_bar.set_message(format!(
            "{reports} reports, {triples} triples ({:.0} reports/s, {:.0} triples/s)",
            reports as f64 / seconds,
            triples as f64 / seconds
        ));
    });
    let mut loader = Loader::new(&graph, dry_run)
        .context("preparing the loader")?
        .with_progress(progress);
    let results = loader.load_paths(paths);
    bar.finish_and_clear();
    tracing::debug!(elapsed = ?started.elapsed(), "loaded");
    if !dry_run {
        graph.flush()?;
        tracing::debug!(elapsed = ?started.elapsed(), "flushed");
        record_loads(&audit, "load", &results);
    }
    let failed = print_summary(&results, started.elapsed(), dry_run);
    if failed > 0 {
        bail!(
            "{failed} report{} failed{}",
            if failed == 1 { "" } else { "s" },
            if dry_run {
                ""
            } else {
                "; nothing of them was written"
            }
        );
    }
    Ok(())
}

/// Makes each file into a report document and loads it, as `load` loads documents.
fn import(
    data: &DataArgs,
    format: ImportFormat,
    paths: &[PathBuf],
    dry_run: bool,
    audit_args: &AuditArgs,
) -> anyhow::Result<()> {
    let audit = open_audit(data, audit_args, dry_run)?;
    let graph = open(data)?;
    let started = Instant::now();
    let mut loader = Loader::new(&graph, dry_run).context("preparing the loader")?;
    let mut results = Vec::new();
    for path in paths {
        let document = match import_document(&graph, &loader, format, path) {
            Ok(document) => document,
            Err(error) => {
                // What the files before this one loaded stays loaded, and recorded.
                if !dry_run {
                    graph.flush()?;
                    record_loads(&audit, "import", &results);
                }
                return Err(error);
            }
        };
        results.extend(loader.load_bytes(
            &path.display().to_string(),
            document.as_bytes(),
            ingest::Kind::Document(ingest::document::Syntax::Json),
        ));
    }
    if !dry_run {
        graph.flush()?;
        record_loads(&audit, "import", &results);
    }
    let failed = print_summary(&results, started.elapsed(), dry_run);
    if failed > 0 {
        bail!(
            "{failed} import{} failed",
            if failed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// The report document made of one file to import, after printing what it holds.
fn import_document(
    graph: &Graph,
    loader: &Loader,
    format: ImportFormat,
    path: &Path,
) -> anyhow::Result<String> {
    let origin = path.display().to_string();
    let text = read_bounded(path, ingest::misp::MAX_BYTES.max(ingest::stix::MAX_BYTES))?;
    let document = match format {
        ImportFormat::AmnestyStix => {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let is_product = |slug: &str| {
                let entity = NamedNode::new_unchecked(vocab::entity_iri(slug));
                graph
                    .quads_for_pattern(
                        Some(entity.as_ref().into()),
                        Some(oxigraph::model::vocab::rdf::TYPE),
                        Some(vocab::class::PRODUCT.into()),
                        None,
                    )
                    .next()
                    .is_some()
            };
            let bundle = ingest::stix::bundle_report(
                &text,
                &name,
                &ingest::stix::AMNESTY,
                loader.index(),
                is_product,
            )
            .with_context(|| format!("reading {origin}"))?;
            println!(
                "{origin}: {} indicators of {} products, {} of them already known",
                bundle.indicators, bundle.products, bundle.known_products
            );
            for note in &bundle.notes {
                println!("  left out: {note}");
            }
            bundle.document
        }
        ImportFormat::MispGalaxy => {
            let galaxy = ingest::misp::galaxy_report(&text, loader.index())
                .with_context(|| format!("reading {origin}"))?;
            println!(
                "{origin}: {} vendors, {} of them already known",
                galaxy.vendors, galaxy.merged
            );
            for note in &galaxy.notes {
                println!("  left out: {note}");
            }
            galaxy.document
        }
    };
    Ok(document)
}

fn export(
    data: &DataArgs,
    format: ExportFormat,
    report: Option<String>,
    entity: Option<String>,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    use spyatlas::export::{Format, Scope};
    let format = match format {
        ExportFormat::Stix => Format::Stix,
        ExportFormat::Gexf => Format::Gexf,
        ExportFormat::Graphml => Format::GraphMl,
        ExportFormat::Csv => Format::Csv,
    };
    let scope = match (report, entity) {
        (Some(slug), _) => Scope::Report(format!("{}{}", vocab::REPORT_NAMESPACE, slug_of(&slug)?)),
        (_, Some(slug)) => Scope::Entity(vocab::entity_iri(slug_of(&slug)?)),
        (None, None) => Scope::Store,
    };
    let graph = match open_for_reading(data)? {
        Reader::Store(graph) => graph,
        Reader::Server(address) => bail!(
            "the store is served by the server at http://{address}: ask it instead, e.g. `curl 'http://{address}/api/export?format=stix'` (or /id/SLUG?format=..., /report/SLUG?format=...)"
        ),
    };
    let extract = spyatlas::export::extract(&graph, &scope)?;
    let bytes = format.write(&extract);
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => io::stdout().lock().write_all(&bytes)?,
    }
    Ok(())
}

/// A slug given on the command line, or the slug of a full IRI.
fn slug_of(text: &str) -> anyhow::Result<&str> {
    let slug = text
        .strip_prefix(vocab::ID_NAMESPACE)
        .or_else(|| text.strip_prefix(vocab::REPORT_NAMESPACE))
        .or_else(|| text.strip_prefix("report:"))
        .unwrap_or(text);
    if !spyatlas::ingest::resolve::is_slug(slug) {
        bail!(
            "`{text}` is not a slug (lower-case letters, digits and hyphens, like `paragon-solutions`)"
        );
    }
    Ok(slug)
}

/// The text of a file of at most `limit` bytes.
fn read_bounded(path: &Path, limit: usize) -> anyhow::Result<String> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > limit {
        bail!(
            "{}: larger than {} MB, the most this import reads",
            path.display(),
            limit / (1024 * 1024)
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Prints what happened to each report: a count per outcome, the reports themselves when
/// there are few, and every failure with its reason. Returns the number of failures.
fn print_summary(results: &[ReportResult], elapsed: Duration, dry_run: bool) -> usize {
    let mut counts: Vec<(String, usize)> = if dry_run {
        vec![
            ("valid".into(), 0),
            ("unchanged".into(), 0),
            ("failed".into(), 0),
        ]
    } else {
        ["loaded", "unchanged", "replaced", "failed"]
            .iter()
            .map(|name| ((*name).to_owned(), 0))
            .collect()
    };
    let mut triples = 0;
    for result in results {
        let name = match &result.outcome {
            Ok(outcome) => outcome.to_string(),
            Err(_) => "failed".into(),
        };
        if let Some(count) = counts.iter_mut().find(|(key, _)| *key == name) {
            count.1 += 1;
        }
        triples += result.triples;
    }
    let mut out = String::new();
    if results.len() <= 20 {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|result| {
                vec![
                    result.slug.clone().unwrap_or_else(|| result.origin.clone()),
                    match &result.outcome {
                        Ok(outcome) => outcome.to_string(),
                        Err(_) => "failed".into(),
                    },
                    result.triples.to_string(),
                ]
            })
            .collect();
        out.push_str(&table::render_text(
            &["report".into(), "outcome".into(), "triples".into()],
            &rows,
        ));
    }
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(name, count)| vec![name.clone(), count.to_string()])
        .collect();
    out.push_str(&table::render_text(
        &["outcome".into(), "reports".into()],
        &rows,
    ));
    let seconds = elapsed.as_secs_f64().max(1e-9);
    out.push_str(&format!(
        "{} report{} ({triples} triples) in {seconds:.2} s: {:.0} reports/s, {:.0} triples/s\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        results.len() as f64 / seconds,
        triples as f64 / seconds,
    ));
    let mut failed = 0;
    for result in results {
        if let Err(error) = &result.outcome {
            failed += 1;
            out.push_str(&format!("\nFAILED {}", result.origin));
            if let Some(slug) = &result.slug {
                out.push_str(&format!(" (report {slug})"));
            }
            match error {
                ReportError::Invalid(problems) => {
                    out.push_str(&format!(
                        ": {} problem{}\n",
                        problems.len(),
                        if problems.len() == 1 { "" } else { "s" }
                    ));
                    for problem in problems {
                        out.push_str(&format!("  {problem}\n"));
                    }
                }
                ReportError::Syntax {
                    line,
                    column,
                    message,
                } => {
                    out.push_str(&format!(":{line}:{column}: {message}\n"));
                }
                other => out.push_str(&format!(": {other}\n")),
            }
        }
    }
    print!("{out}");
    failed
}

fn unload(data: &DataArgs, slugs: &[String], audit_args: &AuditArgs) -> anyhow::Result<()> {
    let audit = open_audit(data, audit_args, false)?;
    let graph = open(data)?;
    let mut retracted = Vec::new();
    let removed = slugs.iter().try_for_each(|slug| {
        let slug = slug.strip_prefix(vocab::REPORT_NAMESPACE).unwrap_or(slug);
        let iri = NamedNode::new(format!("{}{slug}", vocab::REPORT_NAMESPACE))
            .with_context(|| format!("`{slug}` is not a report slug"))?;
        let hash = report::stored_hash(&graph, iri.as_ref())?;
        let outcome = if report::remove(&graph, iri.as_ref())? {
            eprintln!("unloaded report {slug}");
            "retracted"
        } else {
            "failed"
        };
        retracted.push(audit::ReportNote {
            slug: Some(slug.to_owned()),
            content_hash: hash,
            outcome,
        });
        anyhow::Ok(())
    });
    graph.flush()?;
    let note = audit::Note {
        action: "report.retract",
        reports: retracted,
        ..audit::Note::default()
    };
    let missing: Vec<&str> = note
        .reports
        .iter()
        .filter(|report| report.outcome == "failed")
        .filter_map(|report| report.slug.as_deref())
        .collect();
    // Recorded whatever stopped the retractions: those made before stay made.
    audit.record_command(
        &note,
        audit::Command {
            name: "unload",
            succeeded: removed.is_ok() && missing.is_empty(),
        },
    );
    removed?;
    if !missing.is_empty() {
        bail!(
            "no report is loaded with the slug {}; `spyatlas query 'SELECT ?r WHERE {{ GRAPH ?r {{ ?r a <{}Report> }} }}'` lists them",
            missing.join(", "),
            vocab::ONTOLOGY_NAMESPACE
        );
    }
    Ok(())
}

fn load_raw(
    data: &DataArgs,
    paths: &[PathBuf],
    graph_iri: &str,
    audit_args: &AuditArgs,
) -> anyhow::Result<()> {
    let graph_name = Some(
        NamedNode::new(graph_iri)
            .with_context(|| format!("--graph {graph_iri} is not an absolute IRI"))?,
    );
    let audit = open_audit(data, audit_args, false)?;
    let graph = open(data)?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} quads loaded ({per_sec}, {elapsed})")
            .expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress_bar = bar.clone();
    let options = LoadOptions {
        graph: graph_name,
        progress: Progress::Callback(Arc::new(move |quads| progress_bar.set_position(quads))),
    };
    let outcome = ingest::load_paths(&graph, paths, &options);
    bar.finish_and_clear();
    record_write(
        &audit,
        "load",
        "graph.load",
        graph_iri.to_owned(),
        outcome.is_ok(),
    );
    let summary = outcome.context("nothing was loaded")?;
    let seconds = summary.elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "loaded {} quads from {} file{} in {:.2} s ({:.0} quads/s)",
        summary.quads,
        summary.files.len(),
        if summary.files.len() == 1 { "" } else { "s" },
        seconds,
        summary.quads as f64 / seconds
    );
    graph.flush()?;
    Ok(())
}

/// Opens (or creates) the store in `data` for a write; a new store is seeded with the
/// bundled knowledge first.
fn open(data: &DataArgs) -> anyhow::Result<Graph> {
    let graph = match remote(data)? {
        Some(remote) => Graph::remote(remote),
        None => Graph::open(&data.data),
    }
    .with_context(|| format!("opening {}", data.describe()))?;
    seed::seed_if_empty(&graph).with_context(|| format!("seeding {}", data.describe()))?;
    Ok(graph)
}

/// The remote store of a command-line command, if one is named; its requests may take
/// up to ten minutes (a load, a dump).
fn remote(data: &DataArgs) -> anyhow::Result<Option<spyatlas::store::RemoteConfig>> {
    data.remote(Duration::from_secs(600))
        .map_err(|message| anyhow::anyhow!(message))
}

/// Where a read goes: the store itself, or the server that holds it.
enum Reader {
    Store(Graph),
    Server(std::net::SocketAddr),
}

/// Opens the store for a read (so a new store gets the bundled data), or, when a server
/// holds it, finds that server: opening a store that another process writes is not safe.
fn open_for_reading(args: &DataArgs) -> anyhow::Result<Reader> {
    if remote(args)?.is_some() {
        return open(args).map(Reader::Store);
    }
    let data = args.data.as_path();
    match Graph::open(data).and_then(|graph| seed::seed_if_empty(&graph).map(|_| graph)) {
        Ok(graph) => Ok(Reader::Store(graph)),
        Err(error @ StoreError::InUse { .. }) => match served::address(data) {
            Some(address) => {
                tracing::info!("the store is in use by its server: asking http://{address}");
                Ok(Reader::Server(address))
            }
            None => Err(anyhow::anyhow!(
                "{error}; no spyatlas server says it serves this store, so nothing can read it now: stop the other process (a load?) and try again"
            )),
        },
        Err(error) => {
            Err(error).with_context(|| format!("opening the store in {}", data.display()))
        }
    }
}

fn run_query(
    data: &DataArgs,
    text: Option<String>,
    file: Option<PathBuf>,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let text = match (text, file) {
        (Some(text), None) if text == "-" => {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("reading the query from standard input")?;
            text
        }
        (Some(text), None) => text,
        (None, Some(file)) => std::fs::read_to_string(&file)
            .with_context(|| format!("reading the query from {}", file.display()))?,
        (None, None) => bail!("give a query, `-` for standard input, or --file FILE"),
        (Some(_), Some(_)) => unreachable!("clap rejects a query together with --file"),
    };
    limits::check_sparql(&text, usize::MAX)?;
    let parsed = spargebra::SparqlParser::new()
        .parse_query(&text)
        .context("the query does not parse")?;
    let parsed = limits::check_algebra(parsed)?;
    let graph = match open_for_reading(data)? {
        Reader::Store(graph) => graph,
        Reader::Server(address) => return query_server(address, &text, &parsed, format),
    };
    let results = graph.query(parsed, spyatlas::store::Dataset::Union)?;
    let mut out = BufWriter::new(io::stdout().lock());
    print_results(results, format, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Asks the server that holds the store, and prints its answer as a local query would be.
fn query_server(
    address: std::net::SocketAddr,
    text: &str,
    parsed: &spargebra::Query,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let graph_form = matches!(
        parsed,
        spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. }
    );
    let accept = match (graph_form, format) {
        (false, OutputFormat::Table | OutputFormat::Json) => "application/sparql-results+json",
        (false, OutputFormat::Csv) => "text/csv",
        (false, OutputFormat::Tsv) => "text/tab-separated-values",
        (true, OutputFormat::Table | OutputFormat::Turtle) => "text/turtle",
        (true, OutputFormat::Ntriples) => "application/n-triples",
        (false, _) => bail!(
            "--format turtle and ntriples are for CONSTRUCT and DESCRIBE; use table, csv, tsv or json"
        ),
        (true, _) => {
            bail!("CONSTRUCT and DESCRIBE give a graph; use --format table, turtle or ntriples")
        }
    };
    let mut answer = Vec::new();
    served::query(address, text, accept, &mut answer)?;
    let mut out = BufWriter::new(io::stdout().lock());
    if graph_form || !matches!(format, OutputFormat::Table) {
        out.write_all(&answer)?;
    } else {
        use oxigraph::sparql::results::{QueryResultsParser, SliceQueryResultsParserOutput};
        match QueryResultsParser::from_format(QueryResultsFormat::Json)
            .for_slice(&answer)
            .context("reading the server's answer")?
        {
            SliceQueryResultsParserOutput::Boolean(value) => writeln!(out, "{value}")?,
            SliceQueryResultsParserOutput::Solutions(solutions) => {
                let variables = solutions.variables().to_vec();
                let names: Vec<String> = variables.iter().map(|v| v.as_str().to_owned()).collect();
                let mut rows = Vec::new();
                for solution in solutions {
                    let solution = solution.context("reading the server's answer")?;
                    rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
                }
                out.write_all(table::render(&names, &rows).as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Prints the results of a local query in the asked format.
fn print_results(
    results: QueryResults<'_>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match results {
        QueryResults::Solutions(solutions) => {
            let results_format = match format {
                OutputFormat::Table => None,
                OutputFormat::Csv => Some(QueryResultsFormat::Csv),
                OutputFormat::Tsv => Some(QueryResultsFormat::Tsv),
                OutputFormat::Json => Some(QueryResultsFormat::Json),
                OutputFormat::Turtle | OutputFormat::Ntriples => {
                    bail!(
                        "--format turtle and ntriples are for CONSTRUCT and DESCRIBE; use table, csv, tsv or json"
                    )
                }
            };
            let variables = solutions.variables().to_vec();
            match results_format {
                None => {
                    let names: Vec<String> =
                        variables.iter().map(|v| v.as_str().to_owned()).collect();
                    let mut rows = Vec::new();
                    for solution in solutions {
                        let solution = solution?;
                        rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
                    }
                    out.write_all(table::render(&names, &rows).as_bytes())?;
                }
                Some(results_format) => {
                    let mut serializer = QueryResultsSerializer::from_format(results_format)
                        .serialize_solutions_to_writer(&mut *out, variables)?;
                    for solution in solutions {
                        serializer.serialize(&solution?)?;
                    }
                    serializer.finish()?;
                }
            }
        }
        QueryResults::Boolean(value) => match format {
            OutputFormat::Table => writeln!(out, "{value}")?,
            OutputFormat::Csv => write_boolean(out, QueryResultsFormat::Csv, value)?,
            OutputFormat::Tsv => write_boolean(out, QueryResultsFormat::Tsv, value)?,
            OutputFormat::Json => write_boolean(out, QueryResultsFormat::Json, value)?,
            OutputFormat::Turtle | OutputFormat::Ntriples => {
                bail!("ASK answers true or false; use --format table, csv, tsv or json")
            }
        },
        QueryResults::Graph(triples) => {
            let rdf_format = match format {
                OutputFormat::Table | OutputFormat::Turtle => RdfFormat::Turtle,
                OutputFormat::Ntriples => RdfFormat::NTriples,
                OutputFormat::Csv | OutputFormat::Tsv | OutputFormat::Json => {
                    bail!(
                        "CONSTRUCT and DESCRIBE give a graph; use --format table, turtle or ntriples"
                    )
                }
            };
            let mut serializer = RdfSerializer::from_format(rdf_format).for_writer(out);
            for triple in triples {
                serializer.serialize_triple(&triple?)?;
            }
            serializer.finish()?;
        }
    }
    Ok(())
}

fn write_boolean(out: &mut dyn Write, format: QueryResultsFormat, value: bool) -> io::Result<()> {
    QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(out, value)?;
    Ok(())
}

fn dump(data: &DataArgs, output: Option<&Path>) -> anyhow::Result<()> {
    let (graph, copy) = match open_for_reading(data)? {
        Reader::Store(graph) => (graph, None),
        // The server's store changes while it serves: it copies the store as it is at one
        // moment, beside it (hard links, on the same disk), and the dump reads the copy.
        Reader::Server(address) => {
            let copy = Scratch(beside(&data.data, "dump")?);
            ask_for_backup(&data.data, address, &copy.0)?;
            let graph = Graph::open(&copy.0)
                .with_context(|| format!("opening the copy in {}", copy.0.display()))?;
            (graph, Some(copy))
        }
    };
    match output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut writer = graph.dump(BufWriter::new(file))?;
            writer.flush()?;
        }
        None => {
            let mut writer = graph.dump(BufWriter::new(io::stdout().lock()))?;
            writer.flush()?;
        }
    }
    drop(graph);
    drop(copy);
    Ok(())
}

/// A folder removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0)
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(%error, "cannot remove {}", self.0.display());
        }
    }
}

/// A new path beside the store's folder (on its disk), `{folder}.{purpose}-{pid}`.
fn beside(folder: &Path, purpose: &str) -> anyhow::Result<PathBuf> {
    let folder = std::path::absolute(folder)?;
    let name = folder
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    Ok(folder.with_file_name(format!(".{name}.{purpose}-{}", std::process::id())))
}

/// Asks the server of the store in `data` for a backup into `target`, with the token it
/// wrote there.
fn ask_for_backup(data: &Path, address: std::net::SocketAddr, target: &Path) -> anyhow::Result<()> {
    let token = served::local_token(data).with_context(|| {
        format!(
            "the server of {} wrote no token into {}: it is older than this command; stop it, or ask it with POST /api/admin/backup",
            data.display(),
            served::SERVER_FILE
        )
    })?;
    tracing::info!("the store is in use by its server: asking http://{address} for a copy");
    served::backup(address, &token, target)?;
    Ok(())
}

/// `spyatlas token NAME --role ROLE --file FILE`.
fn token(name: &str, role: TokenRole, file: &Path) -> anyhow::Result<()> {
    if !accounts::is_account_name(name) {
        bail!("`{name}` cannot name an account: 1 to 64 letters, digits, `.`, `_` or `-`");
    }
    let role = match role {
        TokenRole::Read => accounts::Role::Read,
        TokenRole::Write => accounts::Role::Write,
        TokenRole::Admin => accounts::Role::Admin,
    };
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {}", file.display())),
    };
    if !existing.trim().is_empty() {
        let tokens = accounts::Tokens::parse(&existing, file)?;
        drop(tokens);
        if existing
            .lines()
            .any(|line| line.split_whitespace().next() == Some(name))
        {
            bail!(
                "{} has an account `{name}` already: remove its line first to give it a new token",
                file.display()
            );
        }
    }
    let token = accounts::new_token().context("reading the system's random source")?;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let header = if existing.is_empty() {
        "# spyatlas accounts: NAME ROLE sha256:HASH-OF-THE-TOKEN (made by `spyatlas token`)\n"
    } else {
        ""
    };
    writeln!(
        out,
        "{separator}{header}{}",
        accounts::line(name, role, &token)
    )?;
    println!("{token}");
    eprintln!(
        "the account `{name}` ({role}) is in {}; the token above is shown once: give it to the account's holder, who sends it as `Authorization: Bearer TOKEN`; a running server reads the file again on SIGHUP",
        file.display()
    );
    Ok(())
}

/// `spyatlas backup --data DIR TARGET`.
fn backup(data: &DataArgs, target: &Path, audit_args: &AuditArgs) -> anyhow::Result<()> {
    if data.store.is_some() {
        bail!(
            "a remote SPARQL store is backed up with its own tools; `spyatlas dump` writes every quad as N-Quads"
        );
    }
    let target = std::path::absolute(target)?;
    if target.exists() {
        bail!(
            "{} exists already: a backup goes into a new folder",
            target.display()
        );
    }
    let folder = data.data.as_path();
    if !folder.join("CURRENT").exists() {
        bail!(
            "there is no store in {}: name it with --data",
            folder.display()
        );
    }
    let started = Instant::now();
    match Graph::open(folder) {
        // Taken here, so recorded here; a server asked for one records it itself.
        Ok(graph) => {
            let audit = open_audit(data, audit_args, false)?;
            let copied = graph.backup(&target);
            record_write(
                &audit,
                "backup",
                "backup",
                target.display().to_string(),
                copied.is_ok(),
            );
            copied.with_context(|| {
                format!("backing up {} into {}", folder.display(), target.display())
            })?;
        }
        Err(StoreError::InUse { .. }) => {
            let address = served::address(folder).with_context(|| {
                format!(
                    "the store in {} is in use, and no spyatlas server says it serves it: wait for the other process (a load?) to finish",
                    folder.display()
                )
            })?;
            ask_for_backup(folder, address, &target)?;
        }
        Err(error) => return Err(error).with_context(|| format!("opening {}", folder.display())),
    }
    eprintln!(
        "backed up {} into {} in {:.1} s; `spyatlas restore --data NEW {}` makes a store of it",
        folder.display(),
        target.display(),
        started.elapsed().as_secs_f64(),
        target.display()
    );
    Ok(())
}

/// `spyatlas restore --data DIR BACKUP`.
fn restore(data: &DataArgs, backup: &Path, audit_args: &AuditArgs) -> anyhow::Result<()> {
    if data.store.is_some() {
        bail!(
            "a remote SPARQL store is restored with its own tools; `spyatlas load` reads N-Quads"
        );
    }
    if !backup.join("CURRENT").exists() {
        bail!(
            "{} is not a backup of a store (it has no RocksDB CURRENT file)",
            backup.display()
        );
    }
    let source = std::path::absolute(backup)?;
    let folder = data.data.as_path();
    let occupied = match std::fs::read_dir(folder) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        Err(error) => return Err(error).with_context(|| format!("reading {}", folder.display())),
    };
    if occupied {
        bail!(
            "{} is not empty: restore into a new folder and serve that one, or move this one away first",
            folder.display()
        );
    }
    // A log named with --audit-log is opened before anything is written, as by every
    // command; the default one lives in the folder the restore makes, and is opened once
    // that folder is in place.
    let named_log = match audit_args.audit_log {
        Some(_) => Some(open_audit(data, audit_args, false)?),
        None => None,
    };
    // Copied beside the target, opened there to check it, then moved into place: a
    // restore that fails half way leaves no half store behind.
    let staging = Scratch(beside(folder, "restoring")?);
    copy_folder(backup, &staging.0)
        .with_context(|| format!("copying {} to {}", backup.display(), staging.0.display()))?;
    let quads = {
        let graph = Graph::open(&staging.0)
            .with_context(|| format!("opening the copy of {}", backup.display()))?;
        let quads = graph.len()?;
        graph.flush()?;
        quads
    };
    if folder.exists() {
        std::fs::remove_dir(folder).with_context(|| format!("replacing {}", folder.display()))?;
    }
    std::fs::rename(&staging.0, folder)
        .with_context(|| format!("moving the restored store to {}", folder.display()))?;
    // The first line of the restored store's log (the folder was new, and the backup
    // holds the store alone): where its content came from.
    let audit = match named_log {
        Some(audit) => audit,
        None => open_audit(data, audit_args, false)?,
    };
    record_write(
        &audit,
        "restore",
        "restore",
        source.display().to_string(),
        true,
    );
    eprintln!(
        "restored {quads} quads from {} into {}",
        backup.display(),
        folder.display()
    );
    Ok(())
}

/// Copies the files of `from` (and its folders) into the new folder `to`.
fn copy_folder(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
