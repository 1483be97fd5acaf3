//! One report on its way into the store: its content, its errors, its canonical hash, and
//! the transaction that writes it with its loading metadata.
//!
//! A report lives in the named graph that has the report's IRI as name. Besides what the
//! report says, that graph holds what the loader records about it, on the report's IRI:
//! `sa:contentHash` (SHA-256 of the RDFC-1.0 canonical form of the content), `sa:loadedAt`,
//! `sa:revision` (1 for the first load), `sa:tripleCount`, and, once replaced,
//! `dct:modified` and `prov:wasRevisionOf` the previous revision
//! (`{report}/revision/{n}`, described by its own hash and load time). A revision loaded
//! by an account of the server is `prov:wasAttributedTo` that account
//! (`https://w3id.org/spyatlas/account/{name}`). The content hash leaves that metadata out,
//! so that loading the same report twice is recognised.

use crate::store::{Graph, StoreError};
use crate::validate::ValidateError;
use crate::vocab;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, QuadRef, Term,
    TermRef, Triple,
};
use oxrdf::Dataset;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// One thing wrong with a report: which entity, which property, what to do, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Violation)]
pub struct Problem {
    /// The entity at fault: its IRI, slug or label.
    pub entity: String,
    /// The property (key or IRI) at fault, when the problem is about one.
    pub property: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The line of the file where the entity (or value) is written, when it can be told.
    pub line: Option<usize>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}", self.entity)?;
        if let Some(property) = &self.property {
            write!(f, " {property}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything a report can fail with. Whatever it is, nothing of the report was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file does not parse.
    #[error("{line}:{column}: {message}")]
    Syntax {
        line: u64,
        column: u64,
        message: String,
    },
    /// The file parses but is not shaped like a report.
    #[error("{0}")]
    Structure(String),
    /// The report breaks rules: unresolved or ambiguous references, SHACL violations.
    #[error("{} problem{}: {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// A syntax spyatlas does not read.
    #[error("{0}")]
    UnknownFormat(String),
    /// The file cannot be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The validator failed (not the report: the validation itself).
    #[error(transparent)]
    Validator(#[from] ValidateError),
}

impl From<crate::limits::LimitError> for ReportError {
    fn from(error: crate::limits::LimitError) -> Self {
        use crate::limits::LimitError;
        match error {
            LimitError::Nesting { line, column, .. } => Self::Syntax {
                line: line as u64,
                column: column as u64,
                message: error.to_string(),
            },
            LimitError::XmlEntity { line } => Self::Syntax {
                line: line as u64,
                column: 1,
                message: error.to_string(),
            },
            error => Self::Structure(error.to_string()),
        }
    }
}

impl From<oxigraph::store::StorageError> for ReportError {
    fn from(error: oxigraph::store::StorageError) -> Self {
        Self::Store(error.into())
    }
}

/// What loading a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A report that was not in the store.
    Loaded,
    /// The identical report was already there; nothing was written.
    Unchanged,
    /// A changed report replaced its previous revision.
    Replaced,
    /// Valid, not written (a dry run).
    Valid,
}

impl Outcome {
    /// Its name in answers, metrics and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Loaded => "loaded",
            Self::Unchanged => "unchanged",
            Self::Replaced => "replaced",
            Self::Valid => "valid",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed report: its IRI (also its graph's name), slug and content triples.
#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub iri: NamedNode,
    pub slug: String,
    pub triples: Vec<Triple>,
    /// The text it was read from, to point problems at lines.
    pub source: Option<String>,
    /// The line each node (by IRI) is written at, where the reader knows it.
    pub lines: std::collections::HashMap<String, usize>,
}

impl ReportDraft {
    /// The line of `property`'s key in the node written for `entity` (a report document's
    /// `targetCount:` under that claim), else the node's own line. `property` is an IRI or
    /// a local name; the key is its local name, alone or prefixed (`sa:vendr`).
    pub fn line_of(&self, entity: &str, property: &str) -> Option<usize> {
        let start = *self.lines.get(entity)?;
        let key = property.rsplit(['#', '/']).next().unwrap_or(property);
        let found = self.source.as_deref().and_then(|source| {
            let lines: Vec<&str> = source.lines().collect();
            let first = lines.get(start.checked_sub(1)?)?;
            let indent = first.len() - first.trim_start().len();
            // The node's keys: on the `- ` line itself and below it, two further in.
            let key_indent = indent
                + if first.trim_start().starts_with("- ") {
                    2
                } else {
                    0
                };
            let is_key = |text: &str| {
                let text = text.trim_start_matches('"');
                let text = text.split_once(':').map_or(text, |(prefix, rest)| {
                    // `sa:vendr:` and `"sa:vendr":` name the key after the prefix.
                    if !prefix.is_empty()
                        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
                        && rest.starts_with(key)
                    {
                        rest
                    } else {
                        text
                    }
                });
                text.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with(':') || rest.starts_with("\":"))
            };
            for (offset, line) in lines[start - 1..].iter().enumerate() {
                let trimmed = line.trim_start();
                let this_indent = line.len() - trimmed.len();
                if offset == 0 {
                    if is_key(trimmed.trim_start_matches("- ")) {
                        return Some(start);
                    }
                    continue;
                }
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                if this_indent < key_indent || (this_indent == indent && trimmed.starts_with('-')) {
                    break;
                }
                if this_indent == key_indent && is_key(trimmed) {
                    return Some(start + offset);
                }
            }
            None
        });
        found.or(Some(start))
    }

    /// A report from its triples; the report itself must be among the subjects, and loader
    /// metadata is left out (it is the loader's to write).
    pub fn new(
        iri: NamedNode,
        triples: Vec<Triple>,
        source: Option<String>,
    ) -> Result<Self, ReportError> {
        let Some(slug) = iri.as_str().strip_prefix(vocab::REPORT_NAMESPACE) else {
            return Err(ReportError::Structure(format!(
                "{iri} is not a report IRI: reports are named {}{{slug}}",
                vocab::REPORT_NAMESPACE
            )));
        };
        if !crate::queries::is_slug(slug) {
            return Err(ReportError::Structure(format!(
                "the report slug `{slug}` is not a slug: lower-case letters, digits and hyphens"
            )));
        }
        let slug = slug.to_owned();
        let triples: Vec<Triple> = triples
            .into_iter()
            .filter(|triple| !is_loader_metadata(iri.as_ref(), triple))
            .collect();
        if !triples
            .iter()
            .any(|triple| triple.subject == NamedOrBlankNodeRef::from(iri.as_ref()).into_owned())
        {
            return Err(ReportError::Structure(format!(
                "nothing describes the report {iri}: it needs at least its type and labels"
            )));
        }
        Ok(Self {
            iri,
            slug,
            triples,
            source,
            lines: std::collections::HashMap::new(),
        })
    }

    /// The graph the report lives in.
    pub fn graph(&self) -> GraphNameRef<'_> {
        GraphNameRef::NamedNode(self.iri.as_ref())
    }

    /// The canonical hash of the content: SHA-256 over the sorted N-Quads of its RDFC-1.0
    /// canonical form.
    pub fn content_hash(&self) -> String {
        content_hash(&self.triples)
    }
}

/// SHA-256 (hex) of the RDFC-1.0 canonical N-Quads of `triples`.
///
/// Without blank nodes the canonical form is the sorted N-Quads themselves, so the
/// canonicalisation algorithm only runs when there are blank nodes to label.
pub fn content_hash(triples: &[Triple]) -> String {
    let blank = |term: &Term| matches!(term, Term::BlankNode(_));
    if !triples.iter().any(|triple| {
        matches!(
            triple.subject,
            oxigraph::model::NamedOrBlankNode::BlankNode(_)
        ) || blank(&triple.object)
    }) {
        let mut lines: Vec<String> = triples
            .iter()
            .map(|triple| format!("{triple} .\n"))
            .collect();
        lines.sort_unstable();
        lines.dedup();
        return sha256_hex(&lines);
    }
    let mut dataset = Dataset::new();
    for triple in triples {
        dataset.insert(QuadRef::new(
            &triple.subject,
            &triple.predicate,
            &triple.object,
            GraphNameRef::DefaultGraph,
        ));
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    lines.sort_unstable();
    sha256_hex(&lines)
}

fn sha256_hex(lines: &[String]) -> String {
    let mut hasher = Sha256::new();
    for line in lines {
        hasher.update(line.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The terms of the loader's metadata.
pub mod meta {
    use oxigraph::model::NamedNodeRef;

    pub use crate::vocab::loader::{CONTENT_HASH, LOADED_AT, REVISION, TRIPLE_COUNT};
    pub const MODIFIED: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/modified");
    pub const WAS_REVISION_OF: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasRevisionOf");
    pub use crate::vocab::loader::WAS_ATTRIBUTED_TO;
    pub const ALL: [NamedNodeRef<'_>; 7] = [
        CONTENT_HASH,
        LOADED_AT,
        REVISION,
        TRIPLE_COUNT,
        MODIFIED,
        WAS_REVISION_OF,
        WAS_ATTRIBUTED_TO,
    ];
}

/// Whether a triple of a report graph is the loader's metadata rather than content.
pub fn is_loader_metadata(report: NamedNodeRef<'_>, triple: &Triple) -> bool {
    match &triple.subject {
        oxigraph::model::NamedOrBlankNode::NamedNode(subject) => {
            (subject.as_ref() == report && meta::ALL.contains(&triple.predicate.as_ref()))
                || subject
                    .as_str()
                    .strip_prefix(report.as_str())
                    .is_some_and(|rest| rest.starts_with("/revision/"))
        }
        oxigraph::model::NamedOrBlankNode::BlankNode(_) => false,
    }
}

/// Nanoseconds since the Unix epoch (a nonce for blank node labels).
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}

/// The current time as an `xsd:dateTime` literal (UTC, seconds).
pub fn now() -> Literal {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    Literal::new_typed_literal(date_time(seconds), xsd::DATE_TIME)
}

/// `seconds` since the Unix epoch as an `xsd:dateTime` in UTC (`2026-12-04T10:12:03Z`).
pub fn date_time(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// When a revision is loaded, and by which account (none for the bundled data and the
/// command line).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub at: Literal,
    pub by: Option<NamedNode>,
}

impl Stamp {
    /// Now, by `by`.
    pub fn now(by: Option<NamedNode>) -> Self {
        Self { at: now(), by }
    }
}

/// What the store holds about a report already.
#[derive(Debug, Default)]
struct Previous {
    hash: Option<String>,
    revision: u64,
    loaded_at: Option<Term>,
    loaded_by: Option<Term>,
    history: Vec<Quad>,
}

fn previous(
    transaction: &crate::changes::Writes<'_>,
    draft: &ReportDraft,
) -> Result<Option<Previous>, ReportError> {
    let graph = draft.graph();
    if !transaction.contains_named_graph(draft.iri.as_ref())? {
        return Ok(None);
    }
    let mut previous = Previous::default();
    for quad in
        transaction.quads_for_pattern(Some(draft.iri.as_ref().into()), None, None, Some(graph))
    {
        let quad = quad?;
        let predicate = quad.predicate.as_ref();
        if predicate == meta::CONTENT_HASH {
            if let Term::Literal(hash) = &quad.object {
                previous.hash = Some(hash.value().to_owned());
            }
        } else if predicate == meta::REVISION {
            if let Term::Literal(revision) = &quad.object {
                previous.revision = revision.value().parse().unwrap_or(0);
            }
        } else if predicate == meta::LOADED_AT {
            previous.loaded_at = Some(quad.object.clone());
        } else if predicate == meta::WAS_ATTRIBUTED_TO {
            previous.loaded_by = Some(quad.object.clone());
        }
    }
    let revisions = format!("{}/revision/", draft.iri.as_str());
    for quad in transaction.quads_for_pattern(None, None, None, Some(graph)) {
        let quad = quad?;
        if let oxigraph::model::NamedOrBlankNode::NamedNode(subject) = &quad.subject
            && subject.as_str().starts_with(&revisions)
        {
            previous.history.push(quad);
        }
    }
    Ok(Some(previous))
}

/// The metadata quads of a new revision of `draft`.
fn metadata(
    draft: &ReportDraft,
    hash: &str,
    stamp: &Stamp,
    previous: Option<&Previous>,
) -> Vec<Quad> {
    let loaded_at = &stamp.at;
    let graph = oxigraph::model::GraphName::NamedNode(draft.iri.clone());
    let report = draft.iri.clone();
    let quad = |subject: &NamedNode, predicate: NamedNodeRef<'_>, object: Term| {
        Quad::new(subject.clone(), predicate, object, graph.clone())
    };
    let revision = previous.map_or(0, |previous| previous.revision) + 1;
    let mut quads = vec![
        quad(
            &report,
            meta::CONTENT_HASH,
            Literal::new_simple_literal(hash).into(),
        ),
        quad(&report, meta::LOADED_AT, loaded_at.clone().into()),
        quad(
            &report,
            meta::REVISION,
            Literal::from(revision as i64).into(),
        ),
        quad(
            &report,
            meta::TRIPLE_COUNT,
            Literal::from(draft.triples.len() as i64).into(),
        ),
    ];
    if let Some(by) = &stamp.by {
        quads.push(quad(&report, meta::WAS_ATTRIBUTED_TO, by.clone().into()));
    }
    if let Some(previous) = previous {
        let old = NamedNode::new_unchecked(format!(
            "{}/revision/{}",
            report.as_str(),
            previous.revision
        ));
        quads.push(quad(&report, meta::MODIFIED, loaded_at.clone().into()));
        quads.push(quad(&report, meta::WAS_REVISION_OF, old.clone().into()));
        if let Some(hash) = &previous.hash {
            quads.push(quad(
                &old,
                meta::CONTENT_HASH,
                Literal::new_simple_literal(hash).into(),
            ));
        }
        if let Some(loaded_at) = &previous.loaded_at {
            quads.push(quad(&old, meta::LOADED_AT, loaded_at.clone()));
        }
        if let Some(loaded_by) = &previous.loaded_by {
            quads.push(quad(&old, meta::WAS_ATTRIBUTED_TO, loaded_by.clone()));
        }
        quads.push(quad(
            &old,
            meta::REVISION,
            Literal::from(previous.revision as i64).into(),
        ));
        if previous.revision > 1 {
            let older = NamedNode::new_unchecked(format!(
                "{}/revision/{}",
                report.as_str(),
                previous.revision - 1
            ));
            quads.push(quad(&old, meta::WAS_REVISION_OF, older.into()));
        }
        quads.extend(previous.history.iter().cloned());
    }
    quads
}

/// The metadata quads of a report new to the store (revision 1).
pub fn new_report_metadata(draft: &ReportDraft, hash: &str, stamp: &Stamp) -> Vec<Quad> {
    metadata(draft, hash, stamp, None)
}

/// Every quad of a report that is new to the store: content and metadata (revision 1).
pub fn new_report_quads(draft: &ReportDraft, hash: &str, stamp: &Stamp) -> Vec<Quad> {
    let graph = oxigraph::model::GraphName::NamedNode(draft.iri.clone());
    let mut quads: Vec<Quad> = draft
        .triples
        .iter()
        .map(|triple| triple.clone().in_graph(graph.clone()))
        .collect();
    quads.extend(metadata(draft, hash, stamp, None));
    quads
}

/// Writes a report in one transaction: nothing when the store holds the identical content
/// (`Unchanged`), its graph when new (`Loaded`), or a new revision replacing the old one
/// (`Replaced`); the new revision is attributed to `by`.
pub fn write(
    graph: &Graph,
    draft: &ReportDraft,
    hash: &str,
    by: Option<&NamedNode>,
) -> Result<Outcome, ReportError> {
    let mut outcomes = write_many(graph, &[(draft, hash)], by)?;
    Ok(outcomes.pop().expect("one outcome per report"))
}

/// Writes reports (with their hashes) in one transaction, each as [`write`] would: all of
/// them are committed together, or none.
pub fn write_many(
    graph: &Graph,
    reports: &[(&ReportDraft, &str)],
    by: Option<&NamedNode>,
) -> Result<Vec<Outcome>, ReportError> {
    let stamp = Stamp::now(by.cloned());
    graph.transaction(|transaction| {
        let mut outcomes = Vec::with_capacity(reports.len());
        for (draft, hash) in reports {
            outcomes.push(write_in(transaction, draft, hash, &stamp)?);
        }
        Ok(outcomes)
    })
}

fn write_in(
    transaction: &mut crate::changes::Writes<'_>,
    draft: &ReportDraft,
    hash: &str,
    stamp: &Stamp,
) -> Result<Outcome, ReportError> {
    let previous = previous(transaction, draft)?;
    if let Some(previous) = &previous
        && previous.hash.as_deref() == Some(hash)
    {
        return Ok(Outcome::Unchanged);
    }
    if previous.is_some() {
        transaction.clear_graph(draft.graph())?;
    }
    transaction.insert_named_graph(draft.iri.as_ref());
    for triple in &draft.triples {
        transaction.insert(QuadRef::new(
            &triple.subject,
            &triple.predicate,
            &triple.object,
            draft.graph(),
        ))?;
    }
    for quad in metadata(draft, hash, stamp, previous.as_ref()) {
        transaction.insert(&quad)?;
    }
    Ok(if previous.is_some() {
        Outcome::Replaced
    } else {
        Outcome::Loaded
    })
}

/// The content hash of every loaded report, by report IRI, in one SPARQL query.
pub fn stored_hashes(
    graph: &Graph,
) -> Result<std::collections::HashMap<String, String>, ReportError> {
    let query = format!(
        "SELECT ?report ?hash WHERE {{ GRAPH ?report {{ ?report {} ?hash }} }}",
        meta::CONTENT_HASH
    );
    let mut hashes = std::collections::HashMap::new();
    if let oxigraph::sparql::QueryResults::Solutions(solutions) =
        graph.query(Graph::parse(&query)?, crate::store::Dataset::Stored)?
    {
        for solution in solutions {
            let solution = solution.map_err(StoreError::from)?;
            if let (Some(Term::NamedNode(report)), Some(Term::Literal(hash))) =
                (solution.get("report"), solution.get("hash"))
            {
                hashes.insert(report.as_str().to_owned(), hash.value().to_owned());
            }
        }
    }
    Ok(hashes)
}

/// The content hash the store holds for a report, read through SPARQL on a snapshot:
/// `None` when the report is not loaded.
pub fn stored_hash(graph: &Graph, report: NamedNodeRef<'_>) -> Result<Option<String>, ReportError> {
    let query = format!(
        "SELECT ?hash WHERE {{ GRAPH {report} {{ {report} {} ?hash }} }}",
        meta::CONTENT_HASH
    );
    let oxigraph::sparql::QueryResults::Solutions(mut solutions) =
        graph.query(Graph::parse(&query)?, crate::store::Dataset::Stored)?
    else {
        return Ok(None);
    };
    Ok(match solutions.next() {
        Some(solution) => {
            let solution = solution.map_err(StoreError::from)?;
            solution
                .get("hash")
                .and_then(|term| literal_value(term.as_ref()).map(str::to_owned))
        }
        None => None,
    })
}

/// Removes a report (its graph, with its content and metadata) in one step; returns
/// whether it was there.
pub fn remove(graph: &Graph, report: NamedNodeRef<'_>) -> Result<bool, ReportError> {
    Ok(graph.drop_graph(GraphNameRef::NamedNode(report))?)
}

/// The first line (1-based) of `source` containing `needle`.
pub fn find_line(source: &str, needle: &str) -> Option<usize> {
    Lines::new(source).find(needle)
}

/// A text with where its lines start, to find the lines of many needles in one text: each
/// search is std's substring search and a binary search, not a walk over the lines.
pub struct Lines<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        Self { source, starts }
    }

    /// The line (from 1) of the first occurrence of `needle`; `None` for an empty needle
    /// or one not in the text.
    pub fn find(&self, needle: &str) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        let at = self.source.find(needle)?;
        Some(self.line_at(at))
    }

    /// The line of each needle's first occurrence (as [`Lines::find`]), in one pass over
    /// the text for all of them.
    pub fn find_all(&self, needles: &[&str]) -> Vec<Option<usize>> {
        let mut lines = vec![None; needles.len()];
        let patterns: Vec<(usize, &str)> = needles
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, needle)| !needle.is_empty())
            .collect();
        let Ok(automaton) = aho_corasick::AhoCorasick::new(patterns.iter().map(|(_, n)| n)) else {
            return needles.iter().map(|needle| self.find(needle)).collect();
        };
        let mut left = patterns.len();
        for found in automaton.find_overlapping_iter(self.source) {
            let (index, _) = patterns[found.pattern().as_usize()];
            if lines[index].is_none() {
                lines[index] = Some(self.line_at(found.start()));
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        lines
    }

    fn line_at(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at)
    }
}

/// Whether a term is a literal of this value (for tests and callers comparing metadata).
pub fn literal_value(term: TermRef<'_>) -> Option<&str> {
    match term {
        TermRef::Literal(literal) => Some(literal.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triple(s: &str, p: &str, o: Term) -> Triple {
        Triple::new(NamedNode::new_unchecked(s), NamedNode::new_unchecked(p), o)
    }

    #[test]
    fn the_hash_ignores_order_and_blank_node_labels() {
        let a = vec![
            triple(
                "http://e/a",
                "http://e/p",
                Literal::new_simple_literal("x").into(),
            ),
            Triple::new(
                oxigraph::model::BlankNode::new_unchecked("one"),
                NamedNode::new_unchecked("http://e/q"),
                NamedNode::new_unchecked("http://e/a"),
            ),
        ];
        let mut b = vec![
            Triple::new(
                oxigraph::model::BlankNode::new_unchecked("two"),
                NamedNode::new_unchecked("http://e/q"),
                NamedNode::new_unchecked("http://e/a"),
            ),
            a[0].clone(),
        ];
        assert_eq!(content_hash(&a), content_hash(&b));
        b.push(triple(
            "http://e/a",
            "http://e/p",
            Literal::new_simple_literal("y").into(),
        ));
        assert_ne!(content_hash(&a), content_hash(&b));
        assert_eq!(content_hash(&a).len(), 64);
    }

    #[test]
    fn now_is_an_xsd_date_time() {
        let now = now();
        assert_eq!(now.datatype(), xsd::DATE_TIME);
        assert!(
            now.value().starts_with("20") && now.value().ends_with('Z'),
            "{now}"
        );
        assert_eq!(now.value().len(), 20);
    }
}
