//! The one pipeline every report goes through, from a file, a folder or an HTTP body:
//! parse → resolve entities → validate → write, each report in one transaction.
//!
//! A [`Loader`] keeps what it needs across reports: the compiled SHACL shapes, the class
//! hierarchy and concept schemes of the ontology (the background every report is validated
//! with), and the [`EntityIndex`] of known entities, which grows with each report loaded so
//! that a later report of the same batch links to entities an earlier one introduced.
//!
//! Large RDF files (N-Quads, TriG) with many report graphs are read whole, hashed and
//! validated report by report on every core, and written through oxigraph's bulk loader
//! in one commit when none of their reports is in the store yet.

use super::document::{self, Syntax};
use super::report::{self, Outcome, Problem, ReportDraft, ReportError};
use super::resolve::{EntityIndex, Layered};
use crate::store::{Graph, format_of_path};
use crate::validate::{Shapes, Violation};
use crate::vocab;
use oxigraph::io::{RdfFormat, RdfParser, RdfSyntaxError};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::sparql::QueryResults;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What happened to one report (or to a file that could not be read as any).
#[derive(Debug)]
pub struct ReportResult {
    /// Where it came from: a file path, or `request body`.
    pub origin: String,
    /// The report's slug, once known.
    pub slug: Option<String>,
    /// Triples of content (0 when it failed before they were known).
    pub triples: usize,
    pub outcome: Result<Outcome, ReportError>,
}

/// How a load reports its progress: reports done and triples read so far.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// The file extensions of report documents and of RDF.
pub const EXTENSIONS: &str = ".yaml, .yml, .json, .jsonld, .ttl, .nt, .nq, .trig, .rdf, .owl";

/// Loads reports into one store.
pub struct Loader {
    graph: Graph,
    shapes: Shapes,
    background: Arc<Vec<Triple>>,
    index: EntityIndex,
    dry_run: bool,
    progress: Option<ProgressFn>,
    done: (u64, u64),
    /// The store's generation the index reflects.
    generation: u64,
    descriptions: Descriptions,
}

impl Loader {
    /// A loader writing to `graph` (or only validating, when `dry_run`).
    pub fn new(graph: &Graph, dry_run: bool) -> Result<Self, ReportError> {
        let generation = graph.generation();
        Ok(Self {
            graph: graph.clone(),
            shapes: shapes()?,
            background: Arc::new(background(graph)?),
            index: EntityIndex::from_graph(graph)?,
            dry_run,
            progress: None,
            done: (0, 0),
            generation,
            descriptions: Descriptions::default(),
        })
    }

    /// Rebuilds the entity index when another writer changed the store since this loader
    /// last looked (a SPARQL update, a Graph Store write, another loader).
    pub fn refresh(&mut self) -> Result<(), ReportError> {
        let generation = self.graph.generation();
        if generation != self.generation {
            self.index = EntityIndex::from_graph(&self.graph)?;
            self.descriptions.clear();
            self.generation = self.graph.generation();
        }
        Ok(())
    }

    /// Validates without writing from now on (or writes again).
    pub fn set_dry_run(&mut self, dry_run: bool) {
        self.dry_run = dry_run;
    }

    /// Notes that the store changed by this loader's own hand (the index already knows).
    fn wrote(&mut self) {
        self.generation = self.graph.generation();
    }

    /// Calls `progress` with the reports done and triples read after each report.
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The entities known to this loader (the store's, and those of reports it loaded).
    pub fn index(&self) -> &EntityIndex {
        &self.index
    }

    /// Loads every report file under `paths` (files, or folders searched recursively).
    ///
    /// Report documents are read [`CHUNK`] at a time: resolved in order (a document may
    /// name an entity an earlier one introduced), validated on every core, and written
    /// in one transaction, each report in its own graph. RDF files are loaded one by one.
    pub fn load_paths(&mut self, paths: &[PathBuf]) -> Vec<ReportResult> {
        let mut results = Vec::new();
        let mut documents: Vec<Input> = Vec::new();
        for path in paths {
            match files(path) {
                Ok(files) => {
                    for file in files {
                        if let Some(Kind::Document(syntax)) = kind_of_path(&file) {
                            documents.push(read_document(&file, syntax));
                            if documents.len() == CHUNK {
                                results.extend(self.load_documents(std::mem::take(&mut documents)));
                            }
                        } else {
                            results.extend(self.load_documents(std::mem::take(&mut documents)));
                            results.extend(self.load_file(&file));
                        }
                    }
                }
                Err(error) => {
                    results.extend(self.load_documents(std::mem::take(&mut documents)));
                    results.push(failure(path.display().to_string(), error));
                }
            }
        }
        results.extend(self.load_documents(documents));
        results
    }

    /// Loads one file: a report document, or RDF holding one or more reports.
    pub fn load_file(&mut self, path: &Path) -> Vec<ReportResult> {
        let origin = path.display().to_string();
        let Some(kind) = kind_of_path(path) else {
            return vec![failure(
                origin,
                ReportError::UnknownFormat(format!(
                    "unknown RDF syntax or report format: name the file {EXTENSIONS}"
                )),
            )];
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => return vec![failure(origin, error.into())],
        };
        self.load_bytes(&origin, &bytes, kind)
    }

    /// Loads reports from bytes in a known syntax (what `POST /api/reports` receives).
    pub fn load_bytes(&mut self, origin: &str, bytes: &[u8], kind: Kind) -> Vec<ReportResult> {
        match kind {
            Kind::Document(syntax) => {
                let input = match std::str::from_utf8(bytes) {
                    Ok(text) => Ok((text.to_owned(), syntax)),
                    Err(error) => Err(not_utf8(&error)),
                };
                self.load_documents(vec![Input {
                    origin: origin.to_owned(),
                    document: input,
                }])
            }
            Kind::Rdf(format) => self.load_rdf(origin, bytes, format),
        }
    }

    /// Loads report documents as one chunk (see [`Loader::load_paths`]).
    fn load_documents(&mut self, inputs: Vec<Input>) -> Vec<ReportResult> {
        let mut results = Vec::with_capacity(inputs.len());
        let mut inputs = inputs.into_iter().peekable();
        while inputs.peek().is_some() {
            // Read and resolve in order, learning each report's entities in an overlay (the
            // main index learns only what gets written). The same report twice ends the
            // chunk: the second one is compared with the first once that is written.
            let mut overlay = EntityIndex::default();
            let mut slugs = HashSet::new();
            let mut chunk: Vec<(String, Result<ReportDraft, ReportError>)> = Vec::new();
            while let Some(input) = inputs.peek() {
                let draft = match &input.document {
                    Ok((text, syntax)) => document::parse(text, *syntax).and_then(|tree| {
                        let entities = Layered {
                            base: &self.index,
                            top: &overlay,
                        };
                        document::to_report(tree, &entities, text)
                    }),
                    Err(error) => Err(ReportError::Structure(error.clone())),
                };
                if let Ok(draft) = &draft {
                    if !slugs.insert(draft.slug.clone()) {
                        break;
                    }
                    for triple in &draft.triples {
                        learn(&mut overlay, triple);
                    }
                }
                let input = inputs.next().expect("peeked");
                chunk.push((input.origin, draft));
            }
            results.extend(self.check_and_write_chunk(chunk));
        }
        results
    }

    /// Validates the reports of a chunk on every core, refuses those that name entities
    /// only a failed report of the chunk described, and writes the rest in one
    /// transaction.
    fn check_and_write_chunk(
        &mut self,
        chunk: Vec<(String, Result<ReportDraft, ReportError>)>,
    ) -> Vec<ReportResult> {
        let checks: Vec<Option<Result<Check, ReportError>>> = {
            let (graph, shapes, background, index, descriptions) = (
                &self.graph,
                &self.shapes,
                &self.background,
                &self.index,
                &self.descriptions,
            );
            parallel_map(&chunk, |(_, draft)| {
                draft.as_ref().ok().map(|draft| {
                    let hash = draft.content_hash();
                    if report::stored_hash(graph, draft.iri.as_ref())?.as_deref() == Some(&hash) {
                        return Ok(Check::Unchanged);
                    }
                    let problems = validate(
                        graph,
                        shapes,
                        background,
                        index,
                        draft,
                        &HashMap::new(),
                        descriptions,
                    )?;
                    if problems.is_empty() {
                        Ok(Check::Valid(hash))
                    } else {
                        Err(ReportError::Invalid(problems))
                    }
                })
            })
        };
        let mut outcomes: Vec<Result<Outcome, ReportError>> = Vec::with_capacity(chunk.len());
        let mut drafts: Vec<Option<ReportDraft>> = Vec::with_capacity(chunk.len());
        let mut hashes: Vec<Option<String>> = Vec::with_capacity(chunk.len());
        let mut origins = Vec::with_capacity(chunk.len());
        for ((origin, draft), check) in chunk.into_iter().zip(checks) {
            origins.push(origin);
            match (draft, check) {
                (Err(error), _) => {
                    outcomes.push(Err(error));
                    drafts.push(None);
                    hashes.push(None);
                }
                (Ok(draft), Some(Ok(Check::Unchanged))) => {
                    outcomes.push(Ok(Outcome::Unchanged));
                    drafts.push(Some(draft));
                    hashes.push(None);
                }
                (Ok(draft), Some(Ok(Check::Valid(hash)))) => {
                    outcomes.push(Ok(if self.dry_run {
                        Outcome::Valid
                    } else {
                        Outcome::Loaded
                    }));
                    drafts.push(Some(draft));
                    hashes.push(Some(hash));
                }
                (Ok(draft), Some(Err(error))) => {
                    outcomes.push(Err(error));
                    drafts.push(Some(draft));
                    hashes.push(None);
                }
                (Ok(_), None) => unreachable!("every draft is checked"),
            }
        }
        self.refuse_dependents(&drafts, &mut outcomes);
        if !self.dry_run {
            let to_write: Vec<(&ReportDraft, &str)> = drafts
                .iter()
                .zip(&hashes)
                .zip(&outcomes)
                .filter_map(|((draft, hash), outcome)| match (draft, hash, outcome) {
                    (Some(draft), Some(hash), Ok(Outcome::Loaded)) => Some((draft, hash.as_str())),
                    _ => None,
                })
                .collect();
            if !to_write.is_empty() {
                let written = report::write_many(&self.graph, &to_write);
                let positions: Vec<usize> = outcomes
                    .iter()
                    .zip(&hashes)
                    .enumerate()
                    .filter(|(_, (outcome, hash))| {
                        hash.is_some() && matches!(outcome, Ok(Outcome::Loaded))
                    })
                    .map(|(position, _)| position)
                    .collect();
                match written {
                    Ok(written) => {
                        for (position, outcome) in positions.into_iter().zip(written) {
                            outcomes[position] = Ok(outcome);
                        }
                    }
                    Err(error) => {
                        let message = error.to_string();
                        for position in positions {
                            outcomes[position] = Err(ReportError::Structure(format!(
                                "writing failed, nothing of this report was written: {message}"
                            )));
                        }
                    }
                }
            }
        }
        let mut results = Vec::with_capacity(outcomes.len());
        for ((origin, draft), outcome) in origins.into_iter().zip(drafts).zip(outcomes) {
            let triples = draft.as_ref().map_or(0, |draft| draft.triples.len());
            if let Some(draft) = &draft {
                if let Ok(Outcome::Loaded | Outcome::Replaced) = outcome {
                    self.descriptions.forget(draft);
                }
                if outcome.is_ok() {
                    for triple in &draft.triples {
                        learn(&mut self.index, triple);
                    }
                }
            }
            self.tick(triples as u64);
            results.push(ReportResult {
                origin,
                slug: draft.map(|draft| draft.slug),
                triples,
                outcome,
            });
        }
        self.wrote();
        results
    }

    /// A report that names an entity only a failed report of its chunk described would
    /// point at nothing once written: it fails too, saying why.
    fn refuse_dependents(
        &self,
        drafts: &[Option<ReportDraft>],
        outcomes: &mut [Result<Outcome, ReportError>],
    ) {
        let introduced = |draft: &ReportDraft| -> HashSet<NamedNode> {
            draft
                .triples
                .iter()
                .filter_map(|triple| match &triple.subject {
                    NamedOrBlankNode::NamedNode(subject)
                        if subject
                            .as_str()
                            .strip_prefix(vocab::ID_NAMESPACE)
                            .is_some_and(|slug| !self.index.contains(slug)) =>
                    {
                        Some(subject.clone())
                    }
                    _ => None,
                })
                .collect()
        };
        let mut orphans: HashMap<NamedNode, String> = HashMap::new();
        for (draft, outcome) in drafts.iter().zip(outcomes.iter()) {
            if let (Some(draft), Err(_)) = (draft, outcome) {
                for entity in introduced(draft) {
                    orphans.entry(entity).or_insert_with(|| draft.slug.clone());
                }
            }
        }
        for (draft, outcome) in drafts.iter().zip(outcomes.iter()) {
            if let (Some(draft), Ok(_)) = (draft, outcome) {
                for entity in introduced(draft) {
                    orphans.remove(&entity);
                }
            }
        }
        if orphans.is_empty() {
            return;
        }
        for (draft, outcome) in drafts.iter().zip(outcomes.iter_mut()) {
            let Some(draft) = draft else { continue };
            if outcome.is_err() {
                continue;
            }
            let problems: Vec<Problem> = draft
                .triples
                .iter()
                .filter_map(|triple| match &triple.object {
                    Term::NamedNode(object) => orphans.get(object).map(|failed| (object, failed)),
                    _ => None,
                })
                .map(|(entity, failed)| Problem {
                    entity: entity.as_str().to_owned(),
                    property: None,
                    message: format!(
                        "only the report {failed} describes this entity, and that report failed: fix it first"
                    ),
                    line: draft.lines.get(entity.as_str()).copied(),
                })
                .collect();
            if !problems.is_empty() {
                *outcome = Err(ReportError::Invalid(problems));
            }
        }
    }

    /// Reads RDF: every named graph of a quad syntax is one report; a triple syntax
    /// describes one report.
    fn load_rdf(&mut self, origin: &str, bytes: &[u8], format: RdfFormat) -> Vec<ReportResult> {
        let drafts = match rdf_drafts(bytes, format) {
            Ok(drafts) => drafts,
            Err(error) => return vec![failure(origin.to_owned(), error)],
        };
        if drafts.len() == 1 {
            let draft = drafts.into_iter().next().expect("one draft");
            let hash = draft.content_hash();
            return vec![self.check_and_write(origin, draft, hash)];
        }
        self.load_many(origin, drafts)
    }

    /// Validates (unless unchanged) and writes one report.
    fn check_and_write(&mut self, origin: &str, draft: ReportDraft, hash: String) -> ReportResult {
        let triples = draft.triples.len();
        let slug = Some(draft.slug.clone());
        let outcome = (|| {
            if report::stored_hash(&self.graph, draft.iri.as_ref())?.as_deref() == Some(&hash) {
                return Ok(Outcome::Unchanged);
            }
            let problems = validate(
                &self.graph,
                &self.shapes,
                &self.background,
                &self.index,
                &draft,
                &HashMap::new(),
                &self.descriptions,
            )?;
            if !problems.is_empty() {
                return Err(ReportError::Invalid(problems));
            }
            if self.dry_run {
                return Ok(Outcome::Valid);
            }
            report::write(&self.graph, &draft, &hash)
        })();
        if let Ok(Outcome::Loaded | Outcome::Replaced) = outcome {
            self.descriptions.forget(&draft);
        }
        if outcome.is_ok() {
            for triple in &draft.triples {
                learn(&mut self.index, triple);
            }
        }
        self.wrote();
        self.tick(triples as u64);
        ReportResult {
            origin: origin.to_owned(),
            slug,
            triples,
            outcome,
        }
    }

    /// Many reports of one file: hashed and validated on every core, then written in one
    /// bulk commit when all are new to the store, else one transaction each.
    fn load_many(&mut self, origin: &str, drafts: Vec<ReportDraft>) -> Vec<ReportResult> {
        let hashes = parallel_map(&drafts, |draft| draft.content_hash());
        let mut stored = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            stored.push(report::stored_hash(&self.graph, draft.iri.as_ref()));
        }
        let batch = batch_descriptions(&drafts);
        let checks = {
            let graph = &self.graph;
            let shapes = &self.shapes;
            let background = &self.background;
            let index = &self.index;
            let stored = &stored;
            let hashes = &hashes;
            let batch = &batch;
            let descriptions = &self.descriptions;
            let positions: Vec<usize> = (0..drafts.len()).collect();
            parallel_map(&positions, |&position| {
                let draft = &drafts[position];
                match &stored[position] {
                    Err(_) => Ok(None),
                    Ok(Some(hash)) if *hash == hashes[position] => Ok(Some(Outcome::Unchanged)),
                    Ok(_) => validate(graph, shapes, background, index, draft, batch, descriptions)
                        .and_then(|problems| {
                            if problems.is_empty() {
                                Ok(None)
                            } else {
                                Err(ReportError::Invalid(problems))
                            }
                        }),
                }
            })
        };
        let mut results = Vec::with_capacity(drafts.len());
        let mut to_write = Vec::new();
        for (position, (check, stored)) in checks.into_iter().zip(stored).enumerate() {
            let draft = &drafts[position];
            let outcome = match (stored, check) {
                (Err(error), _) => Err(error),
                (_, Err(error)) => Err(error),
                (_, Ok(Some(outcome))) => Ok(outcome),
                (Ok(_), Ok(None)) if self.dry_run => Ok(Outcome::Valid),
                (Ok(stored), Ok(None)) => {
                    to_write.push((position, stored.is_some()));
                    Ok(Outcome::Loaded)
                }
            };
            results.push(ReportResult {
                origin: format!("{origin} (graph {})", draft.iri),
                slug: Some(draft.slug.clone()),
                triples: draft.triples.len(),
                outcome,
            });
        }
        if to_write.iter().all(|(_, existed)| !existed) && to_write.len() > 1 {
            let loaded_at = report::now();
            let written = self.graph.bulk_load(|loader| {
                for (position, _) in &to_write {
                    let draft = &drafts[*position];
                    loader.load_quads(report::new_report_quads(
                        draft,
                        &hashes[*position],
                        &loaded_at,
                    ))?;
                }
                Ok::<(), ReportError>(())
            });
            if let Err(error) = written {
                let message = error.to_string();
                for (position, _) in &to_write {
                    results[*position].outcome = Err(ReportError::Structure(format!(
                        "the bulk write failed, nothing of this file was written: {message}"
                    )));
                }
            }
        } else {
            for (position, _) in &to_write {
                results[*position].outcome =
                    report::write(&self.graph, &drafts[*position], &hashes[*position]);
            }
        }
        self.wrote();
        for (result, draft) in results.iter().zip(&drafts) {
            if let Ok(Outcome::Loaded | Outcome::Replaced) = result.outcome {
                self.descriptions.forget(draft);
            }
            if result.outcome.is_ok() {
                for triple in &draft.triples {
                    learn(&mut self.index, triple);
                }
            }
            self.tick(draft.triples.len() as u64);
        }
        results
    }

    fn tick(&mut self, triples: u64) {
        self.done.0 += 1;
        self.done.1 += triples;
        if let Some(progress) = &self.progress {
            progress(self.done.0, self.done.1);
        }
    }
}

/// Documents read, validated and written together.
pub const CHUNK: usize = 64;

/// A report document to load: where it came from, and its text (or why it has none).
struct Input {
    origin: String,
    document: Result<(String, Syntax), String>,
}

fn read_document(path: &Path, syntax: Syntax) -> Input {
    let document = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok((text, syntax)),
            Err(error) => Err(not_utf8(&error.utf8_error())),
        },
        Err(error) => Err(error.to_string()),
    };
    Input {
        origin: path.display().to_string(),
        document,
    }
}

fn not_utf8(error: &std::str::Utf8Error) -> String {
    format!(
        "the file is not UTF-8 text (byte {}): save it as UTF-8",
        error.valid_up_to()
    )
}

/// What a check found before writing.
enum Check {
    Unchanged,
    Valid(String),
}

/// Takes what a triple says about names, aliases and Wikidata items into `index`.
fn learn(index: &mut EntityIndex, triple: &Triple) {
    if let NamedOrBlankNode::NamedNode(subject) = &triple.subject {
        if let Some(slug) = subject.as_str().strip_prefix(vocab::ID_NAMESPACE) {
            index.add_slug(slug);
        }
        index.add_quad(oxigraph::model::QuadRef::new(
            subject,
            &triple.predicate,
            &triple.object,
            oxigraph::model::GraphNameRef::DefaultGraph,
        ));
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A report document (JSON-LD or YAML with the spyatlas context).
    Document(Syntax),
    /// RDF.
    Rdf(RdfFormat),
}

/// How a file is read, from its extension: documents for `.json`, `.jsonld`, `.yaml`,
/// `.yml`, RDF for the RDF extensions.
pub fn kind_of_path(path: &Path) -> Option<Kind> {
    let extension = path.extension()?.to_str()?;
    if let Some(syntax) = Syntax::from_extension(extension) {
        return Some(Kind::Document(syntax));
    }
    // Only the extensions RDF is saved under (not `.txt`, which oxigraph would also read
    // as N-Triples): a folder of reports may hold notes.
    match extension.to_ascii_lowercase().as_str() {
        "ttl" | "nt" | "nq" | "trig" | "rdf" | "owl" | "n3" => format_of_path(path).map(Kind::Rdf),
        _ => None,
    }
}

/// How a request body is read, from its media type.
pub fn kind_of_media_type(media_type: &str) -> Option<Kind> {
    if let Some(syntax) = Syntax::from_media_type(media_type) {
        return Some(Kind::Document(syntax));
    }
    RdfFormat::from_media_type(media_type).map(Kind::Rdf)
}

fn failure(origin: String, error: ReportError) -> ReportResult {
    ReportResult {
        origin,
        slug: None,
        triples: 0,
        outcome: Err(error),
    }
}

/// The report files under a path: the file itself, or every file of a known kind in a
/// folder and its subfolders, sorted.
fn files(path: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    walk(path, &mut found)?;
    if found.is_empty() {
        return Err(ReportError::UnknownFormat(format!(
            "no report files in this folder (looked for {EXTENSIONS})"
        )));
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, found)?;
        } else if kind_of_path(&path).is_some() {
            found.push(path);
        }
    }
    Ok(())
}

/// The reports of an RDF file: one per named graph for N-Quads and TriG, one for the other
/// syntaxes (named by the subject in the report namespace that has a type).
fn rdf_drafts(bytes: &[u8], format: RdfFormat) -> Result<Vec<ReportDraft>, ReportError> {
    let parser = RdfParser::from_format(format)
        .with_base_iri(vocab::ID_NAMESPACE)
        .expect("the entity namespace is a valid IRI")
        .rename_blank_nodes();
    let mut graphs: HashMap<GraphName, Vec<Triple>> = HashMap::new();
    let mut order: Vec<GraphName> = Vec::new();
    for quad in parser.for_slice(bytes) {
        let Quad {
            subject,
            predicate,
            object,
            graph_name,
        } = quad.map_err(syntax_error)?;
        let triples = graphs.entry(graph_name.clone()).or_insert_with(|| {
            order.push(graph_name);
            Vec::new()
        });
        triples.push(Triple::new(subject, predicate, object));
    }
    let source = (bytes.len() <= 1 << 20).then(|| String::from_utf8_lossy(bytes).into_owned());
    if format.supports_datasets() {
        if let Some(default) = graphs.get(&GraphName::DefaultGraph) {
            return Err(ReportError::Structure(format!(
                "{} triples are outside any named graph (the first: {}): in N-Quads and TriG, put each report in the graph named by its IRI, {}{{slug}}",
                default.len(),
                default[0],
                vocab::REPORT_NAMESPACE
            )));
        }
        let mut drafts = Vec::with_capacity(order.len());
        for name in order {
            let triples = graphs.remove(&name).expect("each graph was listed once");
            let GraphName::NamedNode(iri) = name else {
                return Err(ReportError::Structure(format!(
                    "the graph {name} has a blank node as name: name each report graph {}{{slug}}",
                    vocab::REPORT_NAMESPACE
                )));
            };
            drafts.push(ReportDraft::new(iri, triples, source.clone())?);
        }
        if drafts.is_empty() {
            return Err(ReportError::Structure("the file holds no report".into()));
        }
        Ok(drafts)
    } else {
        let triples = graphs.remove(&GraphName::DefaultGraph).unwrap_or_default();
        let mut reports: Vec<&NamedNode> = triples
            .iter()
            .filter(|triple| triple.predicate == rdf::TYPE)
            .filter_map(|triple| match &triple.subject {
                NamedOrBlankNode::NamedNode(subject)
                    if subject.as_str().starts_with(vocab::REPORT_NAMESPACE) =>
                {
                    Some(subject)
                }
                _ => None,
            })
            .collect();
        reports.sort();
        reports.dedup();
        match reports.as_slice() {
            [report] => {
                let iri = (*report).clone();
                Ok(vec![ReportDraft::new(iri, triples, source)?])
            }
            [] => Err(ReportError::Structure(format!(
                "no report is described: one subject {}{{slug}} with a type (sa:Report) names the report",
                vocab::REPORT_NAMESPACE
            ))),
            several => Err(ReportError::Structure(format!(
                "{} reports are described ({}): put each in a file of its own, or use N-Quads / TriG with a graph per report",
                several.len(),
                several
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

fn syntax_error(error: RdfSyntaxError) -> ReportError {
    let (line, column) = error.location().map_or((0, 0), |range| {
        (range.start.line + 1, range.start.column + 1)
    });
    ReportError::Syntax {
        line,
        column,
        message: error.to_string(),
    }
}

/// The bundled shapes, compiled once per process.
fn shapes() -> Result<Shapes, ReportError> {
    static SHAPES: std::sync::OnceLock<Shapes> = std::sync::OnceLock::new();
    if let Some(shapes) = SHAPES.get() {
        return Ok(shapes.clone());
    }
    let shapes = Shapes::bundled()?;
    Ok(SHAPES.get_or_init(|| shapes).clone())
}

/// What every report is validated with: the class hierarchy of the ontology and the
/// classes of its concepts (so that `sh:class` follows `rdfs:subClassOf` and a status is a
/// `sa:ClaimStatus`); the OWL declarations are left out, no shape reads them.
fn background(graph: &Graph) -> Result<Vec<Triple>, ReportError> {
    let query = format!(
        "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {} {{ VALUES ?p {{ {} {} }} ?s ?p ?o \
           FILTER(?p = {} || !STRSTARTS(STR(?o), \"http://www.w3.org/2002/07/owl#\")) }} }}",
        vocab::graph::ONTOLOGY,
        rdf::TYPE,
        rdfs::SUB_CLASS_OF,
        rdfs::SUB_CLASS_OF
    );
    construct(graph, &query)
}

fn construct(graph: &Graph, query: &str) -> Result<Vec<Triple>, ReportError> {
    let prepared = Graph::evaluator()
        .parse_query(query)
        .map_err(|error| ReportError::Structure(format!("internal query: {error}")))?;
    match graph.query(prepared)? {
        QueryResults::Graph(triples) => Ok(triples
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::store::StoreError::from)?),
        _ => Ok(Vec::new()),
    }
}

/// The triples of each subject across the reports of one batch, by subject.
type Batch = HashMap<NamedNode, Vec<(usize, usize)>>;

fn batch_descriptions(drafts: &[ReportDraft]) -> HashMap<NamedNode, Vec<Triple>> {
    let mut subjects: Batch = HashMap::new();
    let mut graphs_of: HashMap<&NamedNode, HashSet<usize>> = HashMap::new();
    for (position, draft) in drafts.iter().enumerate() {
        for (offset, triple) in draft.triples.iter().enumerate() {
            if let NamedOrBlankNode::NamedNode(subject) = &triple.subject
                && subject.as_str().starts_with(vocab::ID_NAMESPACE)
            {
                graphs_of.entry(subject).or_default().insert(position);
                subjects
                    .entry(subject.clone())
                    .or_default()
                    .push((position, offset));
            }
        }
    }
    // Only entities described by more than one report need their descriptions shared, and
    // entities referred to by a report that does not describe them: keep those described
    // in some report, by subject.
    subjects
        .into_iter()
        .map(|(subject, places)| {
            let triples = places
                .into_iter()
                .map(|(position, offset)| drafts[position].triples[offset].clone())
                .collect();
            (subject, triples)
        })
        .collect()
}

/// Validates a report with the shapes: its triples, the background, and what the store
/// and the batch say about every entity it names. Returns the problems of the report's own
/// nodes (an entity described elsewhere is not this report's to fix).
fn validate(
    graph: &Graph,
    shapes: &Shapes,
    background: &[Triple],
    index: &EntityIndex,
    draft: &ReportDraft,
    batch: &HashMap<NamedNode, Vec<Triple>>,
    descriptions: &Descriptions,
) -> Result<Vec<Problem>, ReportError> {
    let mut named: HashSet<NamedNodeRef<'_>> = HashSet::new();
    let mut subjects: HashSet<String> = HashSet::new();
    for triple in &draft.triples {
        match &triple.subject {
            NamedOrBlankNode::NamedNode(subject) => {
                subjects.insert(subject.as_str().to_owned());
                named.insert(subject.as_ref());
            }
            NamedOrBlankNode::BlankNode(node) => {
                subjects.insert(format!("_:{}", node.as_str()));
            }
        }
        if let Term::NamedNode(object) = &triple.object {
            named.insert(object.as_ref());
        }
    }
    let entities: Vec<NamedNodeRef<'_>> = named
        .into_iter()
        .filter(|iri| iri.as_str().starts_with(vocab::ID_NAMESPACE))
        .collect();
    let mut data: Vec<Triple> = draft.triples.clone();
    data.extend(background.iter().cloned());
    let own: HashSet<&Triple> = draft.triples.iter().collect();
    let mut extra: Vec<Triple> = Vec::new();
    for entity in &entities {
        if let Some(triples) = batch.get(&entity.into_owned()) {
            for triple in triples.iter().filter(|triple| !own.contains(triple)) {
                // The types of what the shared description points to, for `sh:class`.
                if let Term::NamedNode(object) = &triple.object
                    && let Some(described) = batch.get(object)
                {
                    extra.extend(
                        described
                            .iter()
                            .filter(|t| t.predicate == rdf::TYPE)
                            .cloned(),
                    );
                }
                extra.push(triple.clone());
            }
        }
    }
    let known: Vec<NamedNode> = entities
        .iter()
        .filter(|iri| {
            iri.as_str()
                .strip_prefix(vocab::ID_NAMESPACE)
                .is_some_and(|slug| index.contains(slug))
        })
        .map(|iri| iri.into_owned())
        .collect();
    for description in descriptions.get(graph, &known)? {
        for (triple, source) in description.iter() {
            if source.as_ref() != Some(&draft.iri) {
                extra.push(triple.clone());
            }
        }
    }
    data.extend(extra);
    let violations = shapes.validate(data)?;
    Ok(violations
        .into_iter()
        .filter(|violation| subjects.contains(&violation.focus))
        .map(|violation| problem(violation, draft))
        .collect())
}

fn problem(violation: Violation, draft: &ReportDraft) -> Problem {
    let short = violation
        .focus
        .strip_prefix(vocab::ID_NAMESPACE)
        .or_else(|| violation.focus.strip_prefix(vocab::REPORT_NAMESPACE))
        .unwrap_or(&violation.focus)
        .to_owned();
    let line = draft.lines.get(&violation.focus).copied().or_else(|| {
        draft.source.as_deref().and_then(|source| {
            report::find_line(source, &format!("id: {short}"))
                .or_else(|| report::find_line(source, &format!("\"id\": \"{short}\"")))
                .or_else(|| report::find_line(source, &format!("report:{short}")))
                .or_else(|| report::find_line(source, &format!("id:{short}")))
                .or_else(|| report::find_line(source, &short))
        })
    });
    Problem {
        entity: violation.focus,
        property: violation.path,
        message: violation.message,
        line,
    }
}

/// What the store says about entities (their triples in every graph, with the graph they
/// are in, and the types of the entities they point to), kept between reports: most
/// reports of a batch name the same few countries, platforms and incidents. A report
/// written drops what it may have changed; another writer clears it all.
#[derive(Default)]
pub struct Descriptions {
    cache: std::sync::RwLock<HashMap<NamedNode, Arc<Description>>>,
}

/// Triples about one entity; each with the graph it is in (`None` for the types of the
/// entities it points to, whose graph does not matter).
type Description = Vec<(Triple, Option<NamedNode>)>;

impl Descriptions {
    fn get(
        &self,
        graph: &Graph,
        entities: &[NamedNode],
    ) -> Result<Vec<Arc<Description>>, ReportError> {
        let mut found = Vec::with_capacity(entities.len());
        let mut missing = Vec::new();
        {
            let cache = self
                .cache
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for entity in entities {
                match cache.get(entity) {
                    Some(description) => found.push(Arc::clone(description)),
                    None => missing.push(entity),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let values: String = missing.iter().map(|iri| format!("{iri} ")).collect();
        let query = format!(
            "SELECT ?e ?p ?o ?g ?t WHERE {{ VALUES ?e {{ {values} }} GRAPH ?g {{ ?e ?p ?o }} OPTIONAL {{ GRAPH ?h {{ ?o a ?t }} }} }}"
        );
        let prepared = Graph::evaluator()
            .parse_query(&query)
            .map_err(|error| ReportError::Structure(format!("internal query: {error}")))?;
        let mut fetched: HashMap<NamedNode, Description> = missing
            .iter()
            .map(|iri| ((*iri).clone(), Vec::new()))
            .collect();
        if let QueryResults::Solutions(solutions) = graph.query(prepared)? {
            for solution in solutions {
                let solution = solution.map_err(crate::store::StoreError::from)?;
                let (Some(Term::NamedNode(entity)), Some(Term::NamedNode(predicate)), Some(object)) =
                    (solution.get("e"), solution.get("p"), solution.get("o"))
                else {
                    continue;
                };
                let source = match solution.get("g") {
                    Some(Term::NamedNode(name)) => Some(name.clone()),
                    _ => None,
                };
                let description = fetched.entry(entity.clone()).or_default();
                let triple = Triple::new(entity.clone(), predicate.clone(), object.clone());
                if let (Term::NamedNode(object), Some(Term::NamedNode(class))) =
                    (object, solution.get("t"))
                {
                    let typed = Triple::new(object.clone(), rdf::TYPE, class.clone());
                    if !description.iter().any(|(known, _)| *known == typed) {
                        description.push((typed, None));
                    }
                }
                let entry = (triple, source);
                if !description.contains(&entry) {
                    description.push(entry);
                }
            }
        }
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (entity, description) in fetched {
            let description = Arc::new(description);
            found.push(Arc::clone(&description));
            cache.insert(entity, description);
        }
        Ok(found)
    }

    /// Forgets what a written report may have changed: its subjects' descriptions, and the
    /// descriptions that point to them.
    fn forget(&self, draft: &ReportDraft) {
        let subjects: HashSet<&NamedNode> = draft
            .triples
            .iter()
            .filter_map(|triple| match &triple.subject {
                NamedOrBlankNode::NamedNode(subject) => Some(subject),
                NamedOrBlankNode::BlankNode(_) => None,
            })
            .collect();
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|entity, description| {
            !subjects.contains(entity)
                && !description.iter().any(|(triple, _)| {
                    matches!(&triple.object, Term::NamedNode(object) if subjects.contains(object))
                })
        });
    }

    fn clear(&self) {
        self.cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

/// `f` over every item, on every core, in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a validation thread panicked"))
            .collect()
    })
}
