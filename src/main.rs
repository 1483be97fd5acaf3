//! The `spyatlas` command: serve, load, query, dump.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::NamedNode;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use spyatlas::config::{DataArgs, HttpSettings, ServeConfig};
use spyatlas::http::{self, AppState};
use spyatlas::ingest::{self, LoadOptions, Progress};
use spyatlas::store::Graph;
use spyatlas::table;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// A knowledge graph of surveillance incidents: who builds spyware, who buys it, who was
/// targeted, through which platform, and which report says so.
#[derive(Parser)]
#[command(name = "spyatlas", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (SPARQL endpoint at /sparql, Graph Store at /store).
    Serve(ServeConfig),
    /// Load RDF files, or folders of them, into the store, all or nothing.
    Load {
        #[command(flatten)]
        data: DataArgs,
        /// Files or folders (searched recursively) in any RDF syntax: .ttl, .nt, .nq,
        /// .trig, .rdf, .owl, .jsonld.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Put every triple in this named graph (only for files without named graphs).
        #[arg(long)]
        graph: Option<String>,
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
    /// Write every quad of the store as N-Quads.
    Dump {
        #[command(flatten)]
        data: DataArgs,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
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
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("spyatlas=info,tower_http=info")),
        )
        .with_writer(io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config),
        Command::Load { data, paths, graph } => load(&data.data, &paths, graph.as_deref()),
        Command::Query {
            data,
            query,
            file,
            format,
        } => run_query(&data.data, query, file, format),
        Command::Dump { data, output } => dump(&data.data, output.as_deref()),
    }
}

#[tokio::main]
async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let path = config.data.data.clone();
    let graph = http::blocking(move || Graph::open(&path))
        .await
        .with_context(|| format!("opening the store in {}", config.data.data.display()))?;
    let settings = HttpSettings::from(&config);
    let writes = match &settings.write_access {
        spyatlas::config::WriteAccess::Token(_) => "writes need the bearer token",
        spyatlas::config::WriteAccess::NoToken => "writes disabled (no --write-token)",
        spyatlas::config::WriteAccess::ReadOnly => "read-only",
    };
    let state = AppState::new(graph.clone(), settings).context("parsing the bundled queries")?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(
        "spyatlas listening on http://{address}/sparql (store {}, {writes})",
        config.data.data.display()
    );
    http::serve(listener, state, http::shutdown_signal()).await?;
    graph.flush().context("flushing the store")?;
    Ok(())
}

fn load(data: &Path, paths: &[PathBuf], graph_iri: Option<&str>) -> anyhow::Result<()> {
    let graph_name = graph_iri
        .map(|iri| {
            NamedNode::new(iri).with_context(|| format!("--graph {iri} is not an absolute IRI"))
        })
        .transpose()?;
    let graph =
        Graph::open(data).with_context(|| format!("opening the store in {}", data.display()))?;
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

/// Opens the store for a read: read-write when free (so a new store gets the bundled
/// data), read-only when a server holds it.
fn open_for_reading(data: &Path) -> anyhow::Result<Graph> {
    match Graph::open(data) {
        Ok(graph) => Ok(graph),
        Err(error) if data.exists() => Graph::open_read_only(data)
            .with_context(|| format!("opening the store in {}: {error}", data.display())),
        Err(error) => {
            Err(error).with_context(|| format!("opening the store in {}", data.display()))
        }
    }
}

fn run_query(
    data: &Path,
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
    let graph = open_for_reading(data)?;
    let prepared = Graph::evaluator()
        .parse_query(&text)
        .context("the query does not parse")?;
    let results = graph.query(Graph::with_union_default_graph(prepared))?;
    let mut out = BufWriter::new(io::stdout().lock());
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
                        .serialize_solutions_to_writer(&mut out, variables)?;
                    for solution in solutions {
                        serializer.serialize(&solution?)?;
                    }
                    serializer.finish()?;
                }
            }
        }
        QueryResults::Boolean(value) => match format {
            OutputFormat::Table => writeln!(out, "{value}")?,
            OutputFormat::Csv => write_boolean(&mut out, QueryResultsFormat::Csv, value)?,
            OutputFormat::Tsv => write_boolean(&mut out, QueryResultsFormat::Tsv, value)?,
            OutputFormat::Json => write_boolean(&mut out, QueryResultsFormat::Json, value)?,
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
            let mut serializer = RdfSerializer::from_format(rdf_format).for_writer(&mut out);
            for triple in triples {
                serializer.serialize_triple(&triple?)?;
            }
            serializer.finish()?;
        }
    }
    out.flush()?;
    Ok(())
}

fn write_boolean(out: &mut impl Write, format: QueryResultsFormat, value: bool) -> io::Result<()> {
    QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(out, value)?;
    Ok(())
}

fn dump(data: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let graph = open_for_reading(data)?;
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
