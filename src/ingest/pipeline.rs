//! The one pipeline every report goes through, from a file, a folder or an HTTP body:
//! parse → resolve entities → validate → write, each report in one transaction.
//!
//! A [`Loader`] keeps what it needs across reports: the compiled SHACL shapes
//! ([`CompiledShapes`], checked against rudof's validator by the tests), the class
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
use crate::validate::compiled::CompiledShapes;
use crate::validate::{ValidateError, Violation};
use crate::vocab;
use oxigraph::io::{RdfFormat, RdfParser, RdfSyntaxError};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::sparql::QueryResults;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
    /// SHA-256 of the content's canonical form (RDFC-1.0), once computed.
    pub content_hash: Option<String>,
    pub outcome: Result<Outcome, ReportError>,
}

impl ReportResult {
    /// The outcome's name ([`Outcome::name`]), `failed` for an error.
    pub fn outcome_name(&self) -> &'static str {
        self.outcome
            .as_ref()
            .map_or("failed", |outcome| outcome.name())
    }
}

/// How a load reports its progress: reports done and triples read so far.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// The file extensions of report documents and of RDF.
pub const EXTENSIONS: &str = ".yaml, .yml, .json, .jsonld, .ttl, .nt, .nq, .trig, .rdf, .owl";

/// Loads reports into one store.
pub struct Loader {
    graph: Graph,
    shapes: CompiledShapes,
    background: Arc<Vec<Triple>>,
    index: EntityIndex,
    dry_run: bool,
    progress: Option<ProgressFn>,
    done: (u64, u64),
    /// The writes to the store the index has not taken in yet (this loader's own, and
    /// other writers').
    pending: Arc<Pending>,
    descriptions: Descriptions,
    /// What the reports of the current dry run introduced: later reports of the same run
    /// may name them, but nothing of a dry run is left for later loads to see.
    dry: EntityIndex,
    /// The terms of the ontology, which a report's terms in its namespace must be.
    vocabulary: Arc<Vocabulary>,
    /// The account the revisions written are attributed to.
    by: Option<NamedNode>,
}

impl Loader {
    /// A loader writing to `graph` (or only validating, when `dry_run`).
    pub fn new(graph: &Graph, dry_run: bool) -> Result<Self, ReportError> {
        // Told of every write from before the index is read, so that none is missed
        // (one seen twice is taken in twice, to the same effect).
        let pending = Arc::new(Pending::default());
        let watcher: Arc<dyn crate::changes::Watcher> = pending.clone();
        graph.watch(Arc::downgrade(&watcher));
        let started = std::time::Instant::now();
        // Kept for the loads after this one: not cut at this load's deadline.
        let index = crate::store::without_cancellation(|| EntityIndex::from_graph(graph))?;
        tracing::debug!(elapsed = ?started.elapsed(), entities = index.len(), "indexed the known entities");
        Ok(Self {
            graph: graph.clone(),
            shapes: shapes()?,
            background: Arc::new(background(graph)?),
            index,
            dry_run,
            progress: None,
            done: (0, 0),
            pending,
            descriptions: Descriptions::default(),
            dry: EntityIndex::default(),
            vocabulary: Arc::new(Vocabulary::of(graph)?),
            by: None,
        })
    }

    /// Attributes the revisions written from now on to the account `by` (an IRI of
    /// [`vocab::ACCOUNT_NAMESPACE`]), or to none.
    pub fn set_attribution(&mut self, by: Option<NamedNode>) {
        self.by = by;
    }

    /// Takes in what was written to the store since this loader last looked (by itself,
    /// a Graph Store write, another loader): the names, aliases and Wikidata items written
    /// or removed, read again from the store one by one. Only a change not known quad by
    /// quad (a SPARQL update) makes it read every entity again.
    pub fn refresh(&mut self) -> Result<(), ReportError> {
        let (facts, unknown) = self.pending.take();
        if unknown {
            self.index =
                crate::store::without_cancellation(|| EntityIndex::from_graph(&self.graph))?;
            self.descriptions.clear();
            return Ok(());
        }
        for (subject, predicate, object) in &facts {
            let holds = crate::changes::holds(
                &self.graph,
                subject.as_ref().into(),
                predicate.as_ref(),
                object.as_ref(),
            );
            self.index
                .set(subject.as_ref(), predicate.as_ref(), object.as_ref(), holds);
        }
        self.descriptions
            .forget_subjects(facts.iter().map(|(subject, _, _)| subject));
        Ok(())
    }

    /// Validates without writing from now on (or writes again). Either way, what an
    /// earlier dry run learnt is forgotten.
    pub fn set_dry_run(&mut self, dry_run: bool) {
        self.dry_run = dry_run;
        self.dry = EntityIndex::default();
    }

    /// Where this loader learns the entities of reports that passed: the index of the
    /// store, or the dry run's own.
    fn learning(&mut self) -> &mut EntityIndex {
        if self.dry_run {
            &mut self.dry
        } else {
            &mut self.index
        }
    }

    /// Takes in this loader's own writes (the index learnt most of them already; a
    /// replaced report may have removed names).
    fn wrote(&mut self) {
        if let Err(error) = self.refresh() {
            tracing::warn!(%error, "cannot update the entity index after a write");
        }
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
        match kind {
            // The file's bytes are freed once parsed: a dump can be large.
            Kind::Rdf(format) => self.load_rdf(&origin, bytes, format),
            Kind::Document(_) => self.load_bytes(&origin, &bytes, kind),
        }
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
            Kind::Rdf(format) => self.load_rdf(origin, bytes.to_vec(), format),
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
            let mut overlay = self.dry.clone();
            let mut slugs = HashSet::new();
            let mut chunk: Vec<(String, Result<ReportDraft, ReportError>)> = Vec::new();
            while let Some(input) = inputs.peek() {
                let draft = match &input.document {
                    Ok((text, syntax)) => document::parse(text, *syntax).and_then(|tree| {
                        if *syntax == Syntax::Json && document::is_plain_json_ld(&tree) {
                            // JSON-LD of its own: RDF describing one report.
                            return rdf_drafts(text.as_bytes().to_vec(), RdfFormat::JsonLd {
                                profile: oxigraph::io::JsonLdProfileSet::empty(),
                            })
                            .and_then(|mut drafts| match drafts.len() {
                                1 => Ok(drafts.remove(0)),
                                n => Err(ReportError::Structure(format!(
                                    "this JSON-LD holds {n} reports: put each in a file of its own"
                                ))),
                            });
                        }
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
            let (graph, shapes, background, index, descriptions, vocabulary) = (
                &self.graph,
                &self.shapes,
                &self.background,
                &self.index,
                &self.descriptions,
                &self.vocabulary,
            );
            // Each report sees what the reports before it in the chunk say of the entities
            // it names, as when they are loaded one by one in order (a report naming an
            // entity that only a failed earlier one described is refused afterwards).
            let batch = Batch::of(chunk.iter().map(|(_, draft)| draft.as_ref().ok()));
            let positioned: Vec<(usize, &Result<ReportDraft, ReportError>)> = chunk
                .iter()
                .enumerate()
                .map(|(position, (_, draft))| (position, draft))
                .collect();
            parallel_map(&positioned, |(position, draft)| {
                draft.as_ref().ok().map(|draft| {
                    let hash = draft.content_hash();
                    if report::stored_hash(graph, draft.iri.as_ref())?.as_deref() == Some(&hash) {
                        return Ok(Check::Unchanged(hash));
                    }
                    let problems = validate(
                        graph,
                        shapes,
                        background,
                        index,
                        draft,
                        (&batch, *position),
                        descriptions,
                    )?;
                    let problems = vocabulary.with_problems(problems, draft);
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
                (Ok(draft), Some(Ok(Check::Unchanged(hash)))) => {
                    outcomes.push(Ok(Outcome::Unchanged));
                    drafts.push(Some(draft));
                    hashes.push(Some(hash));
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
                let written = report::write_many(&self.graph, &to_write, self.by.as_ref());
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
                        for position in positions {
                            outcomes[position] = Err(failed_write(
                                &error,
                                "writing failed, nothing of this report was written",
                            ));
                        }
                    }
                }
            }
        }
        let mut results = Vec::with_capacity(outcomes.len());
        for (((origin, draft), outcome), content_hash) in
            origins.into_iter().zip(drafts).zip(outcomes).zip(hashes)
        {
            let triples = draft.as_ref().map_or(0, |draft| draft.triples.len());
            if let Some(draft) = &draft {
                if let Ok(Outcome::Loaded | Outcome::Replaced) = outcome {
                    self.descriptions.forget(draft);
                }
                if outcome.is_ok() {
                    for triple in &draft.triples {
                        learn(self.learning(), triple);
                    }
                }
            }
            self.tick(triples as u64);
            results.push(ReportResult {
                origin,
                slug: draft.map(|draft| draft.slug),
                triples,
                content_hash,
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
    fn load_rdf(&mut self, origin: &str, bytes: Vec<u8>, format: RdfFormat) -> Vec<ReportResult> {
        let started = std::time::Instant::now();
        let drafts = match rdf_drafts(bytes, format) {
            Ok(drafts) => drafts,
            Err(error) => return vec![failure(origin.to_owned(), error)],
        };
        tracing::debug!(elapsed = ?started.elapsed(), reports = drafts.len(), "parsed");
        if drafts.len() == 1 {
            let draft = drafts.into_iter().next().expect("one draft");
            return self.check_and_write_chunk(vec![(origin.to_owned(), Ok(draft))]);
        }
        self.load_many(origin, drafts)
    }

    /// Many reports of one file: hashed and validated on every core, then written in one
    /// bulk commit when all are new to the store, else one transaction each.
    fn load_many(&mut self, origin: &str, drafts: Vec<ReportDraft>) -> Vec<ReportResult> {
        let started = std::time::Instant::now();
        let stored = match report::stored_hashes(&self.graph) {
            Ok(stored) => stored,
            Err(error) => return all_failed(origin, &drafts, &error.to_string()),
        };
        let all_new = !self.dry_run
            && drafts.iter().all(|draft| {
                !stored.contains_key(draft.iri.as_str())
                    && !self.graph.graph_exists(draft.graph()).unwrap_or(true)
            });
        // One file: its reports may name each other's entities, in any order.
        let batch = Batch::of(drafts.iter().map(Some));
        let check = |draft: &ReportDraft| -> Checked {
            let hash = draft.content_hash();
            if stored.get(draft.iri.as_str()) == Some(&hash) {
                return (hash, Ok(Some(Outcome::Unchanged)));
            }
            let problems = validate(
                &self.graph,
                &self.shapes,
                &self.background,
                &self.index,
                draft,
                (&batch, usize::MAX),
                &self.descriptions,
            )
            .map(|problems| self.vocabulary.with_problems(problems, draft));
            let checked = match problems {
                Ok(problems) if problems.is_empty() => Ok(None),
                Ok(problems) => Err(ReportError::Invalid(problems)),
                Err(error) => Err(error),
            };
            (hash, checked)
        };
        // All new: the content goes to the bulk loader while the other core hashes and
        // validates; the metadata follows, and the commit happens only when every report
        // passed (else nothing is written and the valid reports are loaded again below).
        let mut checks: Option<Vec<Checked>> = None;
        let mut bulk_written = false;
        let mut prepared: Option<EntityIndex> = None;
        if all_new && drafts.len() > 1 {
            let stamp = report::Stamp::now(self.by.clone());
            let token = crate::store::current_token().unwrap_or_default();
            let outcome = std::thread::scope(|scope| {
                let checker = scope.spawn(|| {
                    let checks = crate::store::with_cancellation(&token, || {
                        drafts.iter().map(check).collect::<Vec<_>>()
                    });
                    // What the index will learn once written, prepared meanwhile.
                    let mut learned = EntityIndex::default();
                    for draft in &drafts {
                        for triple in &draft.triples {
                            learn(&mut learned, triple);
                        }
                    }
                    (checks, learned)
                });
                let mut joined = None;
                let written = self.graph.bulk_load(|loader| {
                    loader.load_quads(drafts.iter().flat_map(|draft| {
                        draft
                            .triples
                            .iter()
                            .map(|triple| triple.clone().in_graph(draft.iri.clone()))
                    }))?;
                    let (done, learned) = checker.join().expect("the validation thread panicked");
                    prepared = Some(learned);
                    let all_valid = done.iter().all(|(_, checked)| matches!(checked, Ok(None)));
                    if all_valid {
                        loader.load_quads(drafts.iter().zip(&done).flat_map(
                            |(draft, (hash, _))| report::new_report_metadata(draft, hash, &stamp),
                        ))?;
                    }
                    joined = Some(done);
                    if all_valid {
                        Ok(())
                    } else {
                        Err(BulkError::Invalid)
                    }
                });
                (joined, written)
            });
            match outcome {
                (done, Ok(())) => {
                    checks = done;
                    bulk_written = true;
                }
                (done @ Some(_), Err(BulkError::Invalid)) => checks = done,
                (_, Err(BulkError::Report(error))) => {
                    return drafts
                        .iter()
                        .map(|draft| ReportResult {
                            origin: format!("{origin} (graph {})", draft.iri),
                            slug: Some(draft.slug.clone()),
                            triples: draft.triples.len(),
                            content_hash: None,
                            outcome: Err(failed_write(
                                &error,
                                "the bulk write failed, nothing of this file was written",
                            )),
                        })
                        .collect();
                }
                (None, Err(BulkError::Invalid)) => unreachable!("the checks ran"),
            }
            tracing::debug!(elapsed = ?started.elapsed(), bulk_written, "checked and bulk-written");
        }
        let checks = checks.unwrap_or_else(|| parallel_map(&drafts, check));
        let mut results = Vec::with_capacity(drafts.len());
        let mut to_write = Vec::new();
        let mut hashes = Vec::with_capacity(drafts.len());
        for (position, (hash, checked)) in checks.into_iter().enumerate() {
            let draft = &drafts[position];
            let outcome = match checked {
                Err(error) => Err(error),
                Ok(Some(outcome)) => Ok(outcome),
                Ok(None) if self.dry_run => Ok(Outcome::Valid),
                Ok(None) if bulk_written => Ok(Outcome::Loaded),
                Ok(None) => {
                    to_write.push(position);
                    Ok(Outcome::Loaded)
                }
            };
            results.push(ReportResult {
                origin: format!("{origin} (graph {})", draft.iri),
                slug: Some(draft.slug.clone()),
                triples: draft.triples.len(),
                content_hash: Some(hash.clone()),
                outcome,
            });
            hashes.push(hash);
        }
        if all_new && to_write.len() > 1 {
            let stamp = report::Stamp::now(self.by.clone());
            let written = self.graph.bulk_load(|loader| {
                loader.load_quads(to_write.iter().flat_map(|position| {
                    report::new_report_quads(&drafts[*position], &hashes[*position], &stamp)
                }))?;
                Ok::<(), ReportError>(())
            });
            if let Err(error) = written {
                for position in &to_write {
                    results[*position].outcome = Err(failed_write(
                        &error,
                        "the bulk write failed, nothing of this file was written",
                    ));
                }
            }
        } else {
            for position in &to_write {
                results[*position].outcome = report::write(
                    &self.graph,
                    &drafts[*position],
                    &hashes[*position],
                    self.by.as_ref(),
                );
            }
        }
        tracing::debug!(elapsed = ?started.elapsed(), "written");
        self.wrote();
        let written: Vec<&ReportDraft> = results
            .iter()
            .zip(&drafts)
            .filter(|(result, _)| matches!(result.outcome, Ok(Outcome::Loaded | Outcome::Replaced)))
            .map(|(_, draft)| draft)
            .collect();
        self.descriptions.forget_all(&written);
        match prepared {
            Some(learned) if bulk_written => self.index.merge(learned),
            _ => {
                for (result, draft) in results.iter().zip(&drafts) {
                    if result.outcome.is_ok() {
                        for triple in &draft.triples {
                            learn(self.learning(), triple);
                        }
                    }
                }
            }
        }
        for draft in &drafts {
            self.tick(draft.triples.len() as u64);
        }
        tracing::debug!(elapsed = ?started.elapsed(), "indexed");
        // A million triples take a while to free: not on the caller's time.
        std::thread::spawn(move || drop(drafts));
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

/// A report's content hash, and what its check found: `Ok(None)` to write it, an outcome
/// that needs no writing (unchanged), or why it fails.
type Checked = (String, Result<Option<Outcome>, ReportError>);

/// Why a bulk load of checked reports stopped before its commit.
enum BulkError {
    /// A report failed its checks: nothing is committed.
    Invalid,
    /// The store failed.
    Report(ReportError),
}

impl From<oxigraph::store::StorageError> for BulkError {
    fn from(error: oxigraph::store::StorageError) -> Self {
        Self::Report(error.into())
    }
}

impl From<crate::store::StoreError> for BulkError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Report(error.into())
    }
}

/// What a check found before writing.
enum Check {
    Unchanged(String),
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

/// The limits on input of this kind (nesting, entity declarations), checked on the bytes
/// alone: cheap, and run before a loader (with its index of the store) is involved.
/// Text that is not UTF-8 passes; the loader says what is wrong with it.
pub fn check_limits(bytes: &[u8], kind: Kind) -> Result<(), ReportError> {
    match kind {
        Kind::Document(syntax) => {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Ok(());
            };
            match syntax {
                Syntax::Json => crate::limits::check_json_nesting(text)?,
                Syntax::Yaml => crate::limits::check_yaml_nesting(text)?,
            }
        }
        Kind::Rdf(format) => crate::limits::check_rdf(bytes, format)?,
    }
    Ok(())
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
    crate::store::format_of_media_type(media_type).map(Kind::Rdf)
}

/// Every report of a file failed for one reason.
/// What a report whose write failed is told: a full disk as such (its callers answer
/// 507), anything else as `context` and the failure.
fn failed_write(error: &ReportError, context: &str) -> ReportError {
    match error {
        ReportError::Store(crate::store::StoreError::DiskFull { available, reserve }) => {
            ReportError::Store(crate::store::StoreError::DiskFull {
                available: *available,
                reserve: *reserve,
            })
        }
        // What became of the write is the remote store's to say (it may have been undone,
        // or not).
        ReportError::Store(crate::store::StoreError::Remote(error)) => {
            ReportError::Store(crate::store::StoreError::Remote(error.clone()))
        }
        error => ReportError::Structure(format!("{context}: {error}")),
    }
}

fn all_failed(origin: &str, drafts: &[ReportDraft], message: &str) -> Vec<ReportResult> {
    drafts
        .iter()
        .map(|draft| ReportResult {
            origin: format!("{origin} (graph {})", draft.iri),
            slug: Some(draft.slug.clone()),
            triples: draft.triples.len(),
            content_hash: None,
            outcome: Err(ReportError::Structure(message.to_owned())),
        })
        .collect()
}

fn failure(origin: String, error: ReportError) -> ReportResult {
    ReportResult {
        origin,
        slug: None,
        triples: 0,
        content_hash: None,
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
fn rdf_drafts(bytes: Vec<u8>, format: RdfFormat) -> Result<Vec<ReportDraft>, ReportError> {
    let source = (bytes.len() <= 1 << 20).then(|| String::from_utf8_lossy(&bytes).into_owned());
    let quads = parse_rdf(&bytes, format)?;
    drop(bytes);
    let mut graphs: HashMap<GraphName, Vec<Triple>> = HashMap::new();
    let mut order: Vec<GraphName> = Vec::new();
    // Quads of one graph usually come together: gather a run, then file it under its graph.
    let mut run: Option<(GraphName, Vec<Triple>)> = None;
    for quad in quads {
        let Quad {
            subject,
            predicate,
            object,
            graph_name,
        } = quad;
        let triple = Triple::new(subject, predicate, object);
        match &mut run {
            Some((name, triples)) if *name == graph_name => triples.push(triple),
            _ => {
                if let Some((name, triples)) = run.take() {
                    file_run(&mut graphs, &mut order, name, triples);
                }
                run = Some((graph_name, vec![triple]));
            }
        }
    }
    if let Some((name, triples)) = run.take() {
        file_run(&mut graphs, &mut order, name, triples);
    }
    // JSON-LD is a dataset syntax, but a document without named graphs describes one
    // report, as Turtle does.
    let one_graph_json_ld = matches!(format, RdfFormat::JsonLd { .. })
        && order.iter().all(|name| *name == GraphName::DefaultGraph);
    if format.supports_datasets() && !one_graph_json_ld {
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

fn file_run(
    graphs: &mut HashMap<GraphName, Vec<Triple>>,
    order: &mut Vec<GraphName>,
    name: GraphName,
    triples: Vec<Triple>,
) {
    match graphs.get_mut(&name) {
        Some(known) => known.extend(triples),
        None => {
            order.push(name.clone());
            graphs.insert(name, triples);
        }
    }
}

/// Bytes above which N-Triples and N-Quads are parsed on every core.
const PARALLEL_PARSING: usize = 4 << 20;

/// Every quad of an RDF document, in order. Blank nodes get labels of their own (so that
/// two files' `_:b0` stay apart in the store), the same for one label across the file.
/// Large N-Triples and N-Quads are split and parsed on every core.
fn parse_rdf(bytes: &[u8], format: RdfFormat) -> Result<Vec<Quad>, ReportError> {
    crate::limits::check_rdf(bytes, format).map_err(ReportError::from)?;
    let parser = RdfParser::from_format(format)
        .with_base_iri(vocab::ID_NAMESPACE)
        .expect("the entity namespace is a valid IRI");
    let line_based = matches!(format, RdfFormat::NQuads | RdfFormat::NTriples);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if !line_based || bytes.len() < PARALLEL_PARSING || threads < 2 {
        return parser
            .rename_blank_nodes()
            .for_slice(bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(syntax_error);
    }
    let nonce = format!("{:x}", report::now_nanos());
    let parts = parser.split_slice_for_parallel_parsing(bytes, threads);
    let parsed: Vec<Result<Vec<Quad>, RdfSyntaxError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                let nonce = &nonce;
                scope.spawn(move || {
                    part.map(|quad| quad.map(|quad| relabel(quad, nonce)))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a parsing thread panicked"))
            .collect()
    });
    let mut quads = Vec::new();
    for part in parsed {
        match part {
            Ok(part) => quads.extend(part),
            // The parts count their lines from their own start: parse again in one piece
            // for the line and column in the file.
            Err(_) => {
                return RdfParser::from_format(format)
                    .with_base_iri(vocab::ID_NAMESPACE)
                    .expect("the entity namespace is a valid IRI")
                    .for_slice(bytes)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(syntax_error);
            }
        }
    }
    Ok(quads)
}

/// A quad whose blank nodes are labelled `{nonce}{label}`: unique to this load, the same
/// for one label wherever it is in the file.
fn relabel(mut quad: Quad, nonce: &str) -> Quad {
    let fresh = |node: &oxigraph::model::BlankNode| {
        oxigraph::model::BlankNode::new_unchecked(format!("{nonce}{}", node.as_str()))
    };
    if let NamedOrBlankNode::BlankNode(node) = &quad.subject {
        quad.subject = fresh(node).into();
    }
    if let Term::BlankNode(node) = &quad.object {
        quad.object = fresh(node).into();
    }
    if let GraphName::BlankNode(node) = &quad.graph_name {
        quad.graph_name = fresh(node).into();
    }
    quad
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

/// The bundled shapes, compiled once per process. Shapes the compiled validator does not
/// cover are an error (the server checks at start-up, [`check_shapes`]): reports are never
/// checked against less than the shapes say.
fn shapes() -> Result<CompiledShapes, ReportError> {
    static SHAPES: std::sync::OnceLock<CompiledShapes> = std::sync::OnceLock::new();
    if let Some(shapes) = SHAPES.get() {
        return Ok(shapes.clone());
    }
    let shapes = CompiledShapes::bundled()?;
    Ok(SHAPES.get_or_init(|| shapes).clone())
}

/// Compiles the bundled shapes, so that a program whose shapes use SHACL the compiled
/// validator does not cover stops at start-up, saying which, rather than at its first load.
pub fn check_shapes() -> Result<(), ValidateError> {
    shapes().map(drop).map_err(|error| match error {
        ReportError::Validator(error) => error,
        other => ValidateError::Shapes(other.to_string()),
    })
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
    match graph.query(Graph::parse(query)?, crate::store::Dataset::Stored)? {
        QueryResults::Graph(triples) => Ok(triples
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::store::StoreError::from)?),
        _ => Ok(Vec::new()),
    }
}

/// What the reports of one batch say of each entity's identity (classes and labels), by
/// entity, each triple with the position of the first report saying it: a report of the
/// batch may name an entity another one describes.
#[derive(Default)]
struct Batch {
    /// entity → (position of the first report saying it, that report, triple).
    identity: HashMap<NamedNode, Vec<(usize, NamedNode, Triple)>>,
}

impl Batch {
    fn of<'a>(drafts: impl IntoIterator<Item = Option<&'a ReportDraft>>) -> Self {
        let mut identity: HashMap<NamedNode, HashMap<Triple, (usize, NamedNode)>> = HashMap::new();
        for (position, draft) in drafts.into_iter().enumerate() {
            let Some(draft) = draft else {
                continue;
            };
            for triple in &draft.triples {
                if let NamedOrBlankNode::NamedNode(subject) = &triple.subject
                    && is_identity(triple)
                    && subject.as_str().starts_with(vocab::ID_NAMESPACE)
                {
                    identity
                        .entry(subject.clone())
                        .or_default()
                        .entry(triple.clone())
                        .or_insert_with(|| (position, draft.iri.clone()));
                }
            }
        }
        Self {
            identity: identity
                .into_iter()
                .map(|(entity, triples)| {
                    let triples = triples
                        .into_iter()
                        .map(|(triple, (position, report))| (position, report, triple))
                        .collect();
                    (entity, triples)
                })
                .collect(),
        }
    }

    /// What the reports before position `before` say of `entity`, with the report.
    fn before(
        &self,
        entity: &NamedNode,
        before: usize,
    ) -> impl Iterator<Item = (&NamedNode, &Triple)> {
        self.identity
            .get(entity)
            .into_iter()
            .flatten()
            .filter(move |(position, _, _)| *position < before)
            .map(|(_, report, triple)| (report, triple))
    }
}

/// The problems of a report that types or names an entity otherwise than other reports
/// (or the reference knowledge) do: `others` are their identity triples, each with the
/// graphs saying it. Answers the problems and the entities with a label conflict (whose
/// shape violation on labels says the same less clearly).
fn identity_conflicts(
    draft: &ReportDraft,
    others: &[(Triple, Vec<NamedNode>)],
) -> (Vec<Problem>, HashSet<String>) {
    let short = |iri: &str| -> String {
        iri.strip_prefix(vocab::REPORT_NAMESPACE)
            .map(|slug| format!("report {slug}"))
            .or_else(|| {
                iri.strip_prefix(vocab::GRAPH_NAMESPACE)
                    .map(|name| format!("the {name} graph"))
            })
            .unwrap_or_else(|| iri.to_owned())
    };
    let class = |term: &Term| -> Option<String> {
        match term {
            Term::NamedNode(class) => class
                .as_str()
                .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
                .map(str::to_owned),
            _ => None,
        }
    };
    // entity → (classes here, classes elsewhere with their graphs)
    let mut mine: BTreeMap<&NamedNode, BTreeSet<String>> = BTreeMap::new();
    let mut my_labels: BTreeMap<(&NamedNode, String), &Triple> = BTreeMap::new();
    for triple in &draft.triples {
        let NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
            continue;
        };
        if triple.predicate == rdf::TYPE
            && let Some(name) = class(&triple.object)
        {
            mine.entry(subject).or_default().insert(name);
        } else if triple.predicate == rdfs::LABEL
            && let Term::Literal(label) = &triple.object
        {
            my_labels.insert(
                (subject, label.language().unwrap_or_default().to_owned()),
                triple,
            );
        }
    }
    let mut theirs: BTreeMap<&NamedNode, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut conflicted = HashSet::new();
    for (triple, graphs) in others {
        let NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
            continue;
        };
        let sources: Vec<String> = graphs.iter().map(|graph| short(graph.as_str())).collect();
        if triple.predicate == rdf::TYPE {
            if let (Some((subject, _)), Some(name)) =
                (mine.get_key_value(subject), class(&triple.object))
            {
                theirs
                    .entry(subject)
                    .or_default()
                    .entry(name)
                    .or_default()
                    .extend(sources);
            }
        } else if triple.predicate == rdfs::LABEL
            && let Term::Literal(label) = &triple.object
            && let Some(mine) =
                my_labels.get(&(subject, label.language().unwrap_or_default().to_owned()))
            && let Term::Literal(my_label) = &mine.object
            && my_label.value() != label.value()
        {
            conflicted.insert(subject.as_str().to_owned());
            problems.push(triple_problem(
                draft,
                mine,
                "label",
                format!(
                    "label conflict: this report ({}) names it \"{}\"@{lang}, {} names it \"{}\"@{lang}: use the same label in every report (other names go in `aliases`)",
                    draft.slug,
                    my_label.value(),
                    sources.join(" and "),
                    label.value(),
                    lang = label.language().unwrap_or_default(),
                ),
            ));
        }
    }
    for (entity, elsewhere) in theirs {
        let here = &mine[entity];
        let there: BTreeSet<String> = elsewhere.keys().cloned().collect();
        if here.is_subset(&there) || there.is_subset(here) {
            continue;
        }
        let type_triple = draft
            .triples
            .iter()
            .find(|triple| {
                triple.predicate == rdf::TYPE
                    && matches!(&triple.subject, NamedOrBlankNode::NamedNode(s) if s == entity)
            })
            .expect("typed here");
        let said: Vec<String> = elsewhere
            .iter()
            .map(|(class, sources)| {
                format!(
                    "{class} by {}",
                    sources.iter().cloned().collect::<Vec<_>>().join(" and ")
                )
            })
            .collect();
        problems.push(triple_problem(
            draft,
            type_triple,
            "type",
            format!(
                "type conflict: this report ({}) types it {}, but it is typed {}: an entity has the same kind in every report; use that type, or another id for another entity",
                draft.slug,
                here.iter().cloned().collect::<Vec<_>>().join(", "),
                said.join("; ")
            ),
        ));
    }
    (problems, conflicted)
}

/// Validates a report with the shapes: its triples, the background, and what the store
/// and the batch say of the identity of every entity it names. Returns the problems of the report's own
/// nodes (an entity described elsewhere is not this report's to fix).
fn validate(
    graph: &Graph,
    shapes: &CompiledShapes,
    background: &[Triple],
    index: &EntityIndex,
    draft: &ReportDraft,
    (batch, before): (&Batch, usize),
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
    // What the rest of the knowledge says of the entities the report names, as far as the
    // shapes of the report's own nodes need it: their classes (for `sh:class`) and labels
    // (for an entity the report adds to without naming it again). Other reports' claims
    // about a node are theirs: the cardinality rules on a claim hold per report.
    let own: HashSet<&Triple> = draft.triples.iter().collect();
    // What other reports (earlier ones of the batch, and the store) say of the identity of
    // the entities this one names, with the graphs saying it.
    let mut others: Vec<(Triple, Vec<NamedNode>)> = Vec::new();
    for entity in &entities {
        for (report, triple) in batch.before(&entity.into_owned(), before) {
            if *report != draft.iri {
                others.push((triple.clone(), vec![report.clone()]));
            }
            if !own.contains(triple) {
                data.push(triple.clone());
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
        for (triple, sources) in description.iter() {
            let elsewhere: Vec<NamedNode> = sources
                .iter()
                .filter(|source| **source != draft.iri)
                .cloned()
                .collect();
            if !elsewhere.is_empty() {
                if !own.contains(triple) {
                    data.push(triple.clone());
                }
                others.push((triple.clone(), elsewhere));
            }
        }
    }
    let (mut problems, label_conflicts) = identity_conflicts(draft, &others);
    let violations = shapes.validate(&data);
    problems.extend(
        violations
            .into_iter()
            .filter(|violation| subjects.contains(&violation.focus))
            .filter(|violation| {
                // A label conflict is said once, as one.
                !(label_conflicts.contains(&violation.focus)
                    && violation.path.as_deref() == Some(rdfs::LABEL.as_str()))
            })
            .map(|violation| problem(violation, draft)),
    );
    problems.extend(unstated_assertions(draft));
    for triple in &draft.triples {
        if let Some(message) =
            crate::links::problem(triple).or_else(|| super::values::problem(triple))
        {
            problems.push(triple_problem(
                draft,
                triple,
                triple.predicate.as_str(),
                message,
            ));
        }
    }
    Ok(problems)
}

/// An assertion (`sa:Assertion`) gives a status to a link the same report states: one
/// qualifying a triple the report does not state would give a status to nothing.
fn unstated_assertions(draft: &ReportDraft) -> Vec<Problem> {
    let assertion = NamedNode::new_unchecked(vocab::term::ASSERTION);
    let stated: HashSet<&Triple> = draft.triples.iter().collect();
    let mut problems = Vec::new();
    for typed in draft.triples.iter().filter(|triple| {
        triple.predicate == rdf::TYPE && triple.object == Term::NamedNode(assertion.clone())
    }) {
        let part = |property: NamedNodeRef<'_>| -> Option<&Term> {
            draft
                .triples
                .iter()
                .find(|triple| triple.subject == typed.subject && triple.predicate == property)
                .map(|triple| &triple.object)
        };
        let (Some(Term::NamedNode(subject)), Some(Term::NamedNode(predicate)), Some(object)) =
            (part(rdf::SUBJECT), part(rdf::PREDICATE), part(rdf::OBJECT))
        else {
            // The shapes say which part is missing.
            continue;
        };
        let reified = Triple::new(subject.clone(), predicate.clone(), object.clone());
        if !stated.contains(&reified) {
            let name = |iri: &str| {
                iri.strip_prefix(vocab::ID_NAMESPACE)
                    .or_else(|| iri.strip_prefix(vocab::ONTOLOGY_NAMESPACE))
                    .unwrap_or(iri)
                    .to_owned()
            };
            let object = match object {
                Term::NamedNode(node) => name(node.as_str()),
                other => other.to_string(),
            };
            problems.push(triple_problem(
                draft,
                typed,
                "property",
                format!(
                    "this assertion is about `{} {} {object}`, which the report does not state: write `{}: {object}` on {} too",
                    name(subject.as_str()),
                    name(predicate.as_str()),
                    name(predicate.as_str()),
                    name(subject.as_str()),
                ),
            ));
        }
    }
    problems
}

/// A problem with a triple of `draft`: its subject is the entity at fault.
fn triple_problem(
    draft: &ReportDraft,
    triple: &Triple,
    property: &str,
    message: String,
) -> Problem {
    let entity = match &triple.subject {
        NamedOrBlankNode::NamedNode(node) => node.as_str().to_owned(),
        NamedOrBlankNode::BlankNode(node) => format!("_:{}", node.as_str()),
    };
    Problem {
        line: draft.line_of(&entity, property),
        entity,
        property: Some(property.to_owned()),
        message,
    }
}

/// The terms the ontology defines (local names in its namespace): what a report may use.
#[derive(Debug, Default)]
struct Vocabulary {
    classes: BTreeSet<String>,
    properties: BTreeSet<String>,
    /// Every term the ontology describes: classes, properties, concepts, schemes.
    terms: BTreeSet<String>,
}

impl Vocabulary {
    fn of(graph: &Graph) -> Result<Self, ReportError> {
        let rows = graph.select(&format!(
            "SELECT ?term ?kind WHERE {{ GRAPH {} {{ ?term a ?kind }} }}",
            vocab::graph::ONTOLOGY
        ))?;
        let mut vocabulary = Self::default();
        for row in &rows {
            let (Some(Term::NamedNode(term)), Some(Term::NamedNode(kind))) =
                (row.get("term"), row.get("kind"))
            else {
                continue;
            };
            let Some(name) = term.as_str().strip_prefix(vocab::ONTOLOGY_NAMESPACE) else {
                continue;
            };
            match kind.as_str() {
                "http://www.w3.org/2002/07/owl#Class" => {
                    vocabulary.classes.insert(name.to_owned());
                }
                "http://www.w3.org/2002/07/owl#ObjectProperty"
                | "http://www.w3.org/2002/07/owl#DatatypeProperty"
                | "http://www.w3.org/2002/07/owl#AnnotationProperty"
                | "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property" => {
                    vocabulary.properties.insert(name.to_owned());
                }
                _ => {}
            }
            vocabulary.terms.insert(name.to_owned());
        }
        Ok(vocabulary)
    }

    /// `problems`, and one more for each term of the report in the ontology's namespace
    /// that the ontology does not define: a misspelt class (`Vendr`), property (`vendr`)
    /// or concept (`alleeged`), with the nearest names.
    fn with_problems(&self, mut problems: Vec<Problem>, draft: &ReportDraft) -> Vec<Problem> {
        if self.terms.is_empty() {
            return problems;
        }
        let local = |node: &NamedNode| -> Option<String> {
            node.as_str()
                .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
                .map(str::to_owned)
        };
        let mut seen = BTreeSet::new();
        for triple in &draft.triples {
            if let Some(name) = local(&triple.predicate)
                && !self.properties.contains(&name)
                && seen.insert(name.clone())
            {
                problems.push(triple_problem(
                    draft,
                    triple,
                    &name,
                    format!(
                        "`{name}` is not a property of the spyatlas ontology (a misspelling?): {}",
                        near(&name, &self.properties)
                    ),
                ));
            }
            let Term::NamedNode(object) = &triple.object else {
                continue;
            };
            let Some(name) = local(object) else {
                continue;
            };
            if triple.predicate == rdf::TYPE {
                if !self.classes.contains(&name) {
                    problems.push(triple_problem(
                        draft,
                        triple,
                        "type",
                        format!(
                            "`{name}` is not a class of the spyatlas ontology: {}",
                            near(&name, &self.classes)
                        ),
                    ));
                }
            } else if !self.terms.contains(&name) && seen.insert(name.clone()) {
                let property = local(&triple.predicate)
                    .unwrap_or_else(|| triple.predicate.as_str().to_owned());
                problems.push(triple_problem(
                    draft,
                    triple,
                    &property,
                    format!(
                        "`{name}` is not a term of the spyatlas ontology: {}",
                        near(&name, &self.terms)
                    ),
                ));
            }
        }
        problems
    }
}

/// "use A, B" with the known names nearest to `name` (all of them when none is near; at
/// most 12).
fn near(name: &str, known: &BTreeSet<String>) -> String {
    let folded = name.to_lowercase();
    let mut near: Vec<&str> = known
        .iter()
        .filter(|known| {
            let known = known.to_lowercase();
            known.contains(&folded)
                || folded.contains(&known)
                || edit_distance(&known, &folded) <= 2
        })
        .map(String::as_str)
        .collect();
    if near.is_empty() {
        near = known.iter().map(String::as_str).collect();
    }
    let more = near.len().saturating_sub(12);
    near.truncate(12);
    let mut text = format!("use {}", near.join(", "));
    if more > 0 {
        text.push_str(&format!(" (or one of {more} more)"));
    }
    text
}

/// The Levenshtein distance of two short words.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Whether a triple says what an entity is (its class) or what it is called.
fn is_identity(triple: &Triple) -> bool {
    triple.predicate == rdf::TYPE || triple.predicate == rdfs::LABEL
}

fn problem(violation: Violation, draft: &ReportDraft) -> Problem {
    let short = violation
        .focus
        .strip_prefix(vocab::ID_NAMESPACE)
        .or_else(|| violation.focus.strip_prefix(vocab::REPORT_NAMESPACE))
        .unwrap_or(&violation.focus)
        .to_owned();
    let line = violation
        .path
        .as_deref()
        .and_then(|path| draft.line_of(&violation.focus, path))
        .or_else(|| draft.lines.get(&violation.focus).copied())
        .or_else(|| {
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

/// The writes a [`Loader`] has not taken in yet: the label, alias, Wikidata and class
/// statements they added or removed, or whether one was not known quad by quad.
#[derive(Default)]
struct Pending(std::sync::Mutex<(Vec<Statement>, bool)>);

/// A subject, predicate and object.
type Statement = (NamedNode, NamedNode, Term);

impl Pending {
    fn take(&self) -> (Vec<Statement>, bool) {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl crate::changes::Watcher for Pending {
    fn changed(&self, _: &crate::store::Graph, change: &crate::changes::Change) {
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if matches!(change, crate::changes::Change::Unknown) {
            pending.0.clear();
            pending.1 = true;
            return;
        }
        if pending.1 {
            return;
        }
        for (quad, _) in change.quads() {
            if let NamedOrBlankNode::NamedNode(subject) = &quad.subject
                && (EntityIndex::follows(subject.as_ref(), quad.predicate.as_ref())
                    || quad.predicate == rdf::TYPE
                    || quad.predicate == rdfs::LABEL)
            {
                pending
                    .0
                    .push((subject.clone(), quad.predicate.clone(), quad.object.clone()));
            }
        }
    }
}

/// What the store says of entities' identity (their classes and labels, in every graph,
/// with the graph each is in), kept between reports: most reports of a batch name the
/// same few countries, platforms and incidents. A report written drops what it may have
/// changed; another writer clears it all.
#[derive(Default)]
pub struct Descriptions {
    cache: std::sync::RwLock<HashMap<NamedNode, Arc<Description>>>,
}

/// Triples about one entity, each with the graphs it is in.
type Description = Vec<(Triple, Vec<NamedNode>)>;

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
            "SELECT ?e ?p ?o ?g WHERE {{ VALUES ?e {{ {values} }} VALUES ?p {{ {} {} }} GRAPH ?g {{ ?e ?p ?o }} }}",
            rdf::TYPE,
            rdfs::LABEL
        );
        let parsed = Graph::parse(&query)?;
        let mut fetched: HashMap<NamedNode, HashMap<Triple, Vec<NamedNode>>> = missing
            .iter()
            .map(|iri| ((*iri).clone(), HashMap::new()))
            .collect();
        if let QueryResults::Solutions(solutions) =
            graph.query(parsed, crate::store::Dataset::Stored)?
        {
            for solution in solutions {
                let solution = solution.map_err(crate::store::StoreError::from)?;
                let (Some(Term::NamedNode(entity)), Some(Term::NamedNode(predicate)), Some(object)) =
                    (solution.get("e"), solution.get("p"), solution.get("o"))
                else {
                    continue;
                };
                let triple = Triple::new(entity.clone(), predicate.clone(), object.clone());
                let sources = fetched
                    .entry(entity.clone())
                    .or_default()
                    .entry(triple)
                    .or_default();
                if let Some(Term::NamedNode(name)) = solution.get("g") {
                    sources.push(name.clone());
                }
            }
        }
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (entity, description) in fetched {
            let description: Arc<Description> = Arc::new(description.into_iter().collect());
            found.push(Arc::clone(&description));
            cache.insert(entity, description);
        }
        Ok(found)
    }

    /// Forgets what written reports may have changed: their subjects' descriptions.
    fn forget_all(&self, drafts: &[&ReportDraft]) {
        if self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_empty()
        {
            return;
        }
        for draft in drafts {
            self.forget(draft);
        }
    }

    /// Forgets the descriptions of these entities.
    fn forget_subjects<'a>(&self, subjects: impl Iterator<Item = &'a NamedNode>) {
        let subjects: HashSet<&NamedNode> = subjects.collect();
        if subjects.is_empty() {
            return;
        }
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|entity, _| !subjects.contains(entity));
    }

    /// Forgets what a written report may have changed: its subjects' descriptions.
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
        cache.retain(|entity, _| !subjects.contains(entity));
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
    // The request's deadline reaches the helper threads' queries too.
    let token = crate::store::current_token();
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (f, token) = (&f, token.clone());
                scope.spawn(move || {
                    let work = || part.iter().map(f).collect::<Vec<R>>();
                    match &token {
                        Some(token) => crate::store::with_cancellation(token, work),
                        None => work(),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a validation thread panicked"))
            .collect()
    })
}
