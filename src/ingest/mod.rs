//! Loading into the store: reports through [`Loader`] (parse → resolve entities →
//! validate → write, each report atomically), and plain RDF into one named graph through
//! [`load_paths`].
//!
//! Every file of one [`load_paths`] call goes through one oxigraph bulk loader, which keeps
//! what it parsed aside until the end: a syntax error in any file (reported with file,
//! line and column) leaves the store exactly as it was.

pub mod document;
pub mod misp;
pub mod pipeline;
pub mod report;
pub mod resolve;
pub mod seed;
pub mod stix;
pub mod values;

pub use pipeline::{Kind, Loader, ReportResult, check_limits, kind_of_media_type, kind_of_path};
pub use report::{Outcome, Problem, ReportError};

use crate::store::{Graph, format_of_path};
use oxigraph::io::{RdfFormat, RdfParseError, RdfParser};
use oxigraph::model::NamedNode;
use oxigraph::store::{LoaderError, StorageError};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything a load can fail with.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file whose syntax cannot be told from its extension.
    #[error("{}: unknown RDF syntax; name the file .ttl, .nt, .nq, .trig, .rdf, .owl or .jsonld", path.display())]
    UnknownFormat { path: PathBuf },
    /// A file that does not parse.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
    /// A file or folder that cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A path that holds no RDF file at all.
    #[error("{}: no RDF files found (looked for .ttl, .nt, .nq, .trig, .rdf, .owl, .jsonld)", path.display())]
    Empty { path: PathBuf },
    /// The store failed; nothing was written.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The store refused the write (a full disk); nothing was written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// How a load reports its progress.
#[derive(Clone, Default)]
pub enum Progress {
    /// Silently.
    #[default]
    Quiet,
    /// Through a callback receiving the number of quads loaded so far.
    Callback(Arc<dyn Fn(u64) + Send + Sync>),
}

/// Options of a load.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// Put the triples of every file in this graph (files with named graphs are refused).
    pub graph: Option<NamedNode>,
    /// Where progress goes.
    pub progress: Progress,
}

/// What a load did.
#[derive(Debug, Clone)]
pub struct LoadSummary {
    pub files: Vec<PathBuf>,
    pub quads: u64,
    pub elapsed: Duration,
}

/// Loads every RDF file found under `paths` (files, or folders searched recursively), as
/// one atomic step.
pub fn load_paths(
    graph: &Graph,
    paths: &[PathBuf],
    options: &LoadOptions,
) -> Result<LoadSummary, IngestError> {
    let started = Instant::now();
    let files = rdf_files(paths)?;
    let mut quads = 0u64;
    // About 100 bytes per quad: N-Triples run to 130, Turtle to less.
    let expected: u64 = files
        .iter()
        .filter_map(|(path, _)| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len() / 100)
        .sum();
    graph.bulk_load_expecting(expected, |loader| {
        for (path, format) in &files {
            let parser = parser_for(path, *format, options.graph.as_ref());
            let reader = open_checked(path, *format)?;
            let parsed = parser
                .for_reader(BufReader::with_capacity(1 << 20, reader))
                .inspect(|_| {
                    quads += 1;
                    if quads.is_multiple_of(PROGRESS_EVERY)
                        && let Progress::Callback(callback) = &options.progress
                    {
                        callback(quads);
                    }
                });
            loader
                .load_ok_quads::<RdfParseError, LoaderError>(parsed)
                .map_err(|error| loader_error(path, error))?;
        }
        Ok::<(), IngestError>(())
    })?;
    if let Progress::Callback(callback) = &options.progress {
        callback(quads);
    }
    Ok(LoadSummary {
        files: files.into_iter().map(|(path, _)| path).collect(),
        quads,
        elapsed: started.elapsed(),
    })
}

/// Opens a file for parsing. RDF/XML and JSON-LD are read whole first and checked against
/// [`crate::limits::check_rdf`] (entity declarations, nesting), which a streaming parser
/// would meet too late.
fn open_checked(path: &Path, format: RdfFormat) -> Result<Box<dyn Read>, IngestError> {
    let io_error = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    if !matches!(format, RdfFormat::RdfXml | RdfFormat::JsonLd { .. }) {
        return Ok(Box::new(File::open(path).map_err(io_error)?));
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
    crate::limits::check_rdf(&bytes, format).map_err(|error| {
        let (line, column) = match &error {
            crate::limits::LimitError::Nesting { line, column, .. } => (*line, *column),
            crate::limits::LimitError::XmlEntity { line } => (*line, 1),
            _ => (0, 0),
        };
        IngestError::Syntax {
            path: path.to_owned(),
            line: line as u64,
            column: column as u64,
            message: error.to_string(),
        }
    })?;
    Ok(Box::new(io::Cursor::new(bytes)))
}

/// Quads between two progress reports.
const PROGRESS_EVERY: u64 = 50_000;

fn parser_for(path: &Path, format: RdfFormat, graph: Option<&NamedNode>) -> RdfParser {
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    if let Some(base) = file_iri(path) {
        parser = parser
            .with_base_iri(base)
            .expect("file URLs are valid IRIs");
    }
    if let Some(graph) = graph {
        parser = parser
            .without_named_graphs()
            .with_default_graph(graph.clone());
    }
    parser
}

/// `file:///absolute/path`, the base IRI for relative IRIs in a file.
fn file_iri(path: &Path) -> Option<String> {
    let absolute = std::fs::canonicalize(path).ok()?;
    let mut iri = String::from("file://");
    for byte in absolute.to_str()?.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            iri.push(char::from(byte));
        } else {
            iri.push_str(&format!("%{byte:02X}"));
        }
    }
    oxigraph::model::NamedNode::new(&iri)
        .ok()
        .map(NamedNode::into_string)
}

fn loader_error(path: &Path, error: LoaderError) -> IngestError {
    match error {
        LoaderError::Parsing(RdfParseError::Syntax(error)) => {
            let (line, column) = error.location().map_or((0, 0), |range| {
                (range.start.line + 1, range.start.column + 1)
            });
            IngestError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: error.to_string(),
            }
        }
        LoaderError::Parsing(RdfParseError::Io(source)) => IngestError::Io {
            path: path.to_owned(),
            source,
        },
        LoaderError::Storage(error) => IngestError::Storage(error),
        LoaderError::InvalidBaseIri { error, .. } => IngestError::Io {
            path: path.to_owned(),
            source: io::Error::other(error),
        },
    }
}

/// The RDF files under `paths`, each with its syntax, sorted within each folder.
fn rdf_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, RdfFormat)>, IngestError> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| IngestError::Io {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                return Err(IngestError::Empty { path: path.clone() });
            }
        } else {
            let format = format_of_path(path)
                .ok_or_else(|| IngestError::UnknownFormat { path: path.clone() })?;
            files.push((path.clone(), format));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<(PathBuf, RdfFormat)>) -> Result<(), IngestError> {
    let io_error = |source| IngestError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if let Some(format) = format_of_path(&path) {
            files.push((path, format));
        }
    }
    Ok(())
}
