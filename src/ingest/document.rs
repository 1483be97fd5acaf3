//! Report documents: JSON-LD or YAML written by people, with the spyatlas context
//! (`ontology/context.jsonld`), turned into the RDF of one report.
//!
//! A document is read in three steps:
//!
//! 1. **parse**: JSON or YAML into a JSON tree (syntax errors carry line and column);
//! 2. **resolve**: every node (the report, its `entities` and `claims`, nested objects)
//!    gets its IRI, and every reference (`vendor: paragon-solutions`, `country: Italië`,
//!    `publisher: wd:Q...`) becomes the IRI of a known entity or of one the document
//!    describes; dates get their XSD datatype from their form; the context is put inline;
//! 3. **expand**: the resolved tree is ordinary JSON-LD, read by oxigraph's JSON-LD parser
//!    with the base `https://w3id.org/spyatlas/id/`.
//!
//! Nothing here reads or writes the store: resolution asks an [`Entities`] index.

use super::report::{Lines, Problem, ReportDraft, ReportError, find_line};
use super::resolve::{Entities, fold, is_slug, is_wikidata_id, mint_slug, wikidata_id};
use crate::bundled;
use crate::limits::{self, MAX_NESTING};
use crate::vocab;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::model::{NamedNode, Triple};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// The IRI under which the context is published (and which documents name in `@context`).
pub use crate::vocab::CONTEXT_IRI;

/// The syntax of a report document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// The syntax of a file name's extension: `.json`, `.jsonld`, `.yaml`, `.yml`.
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension.to_ascii_lowercase().as_str() {
            "json" | "jsonld" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }

    /// The syntax of a media type: `application/ld+json`, `application/json`,
    /// `application/yaml` (and the older `text/yaml`, `application/x-yaml`).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "application/ld+json" | "application/json" => Some(Self::Json),
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
                Some(Self::Yaml)
            }
            _ => None,
        }
    }
}

/// Parses a document into its JSON tree. A leading byte-order mark is ignored; nesting
/// deeper than [`MAX_NESTING`] is refused before any recursive code reads the tree.
pub fn parse(text: &str, syntax: Syntax) -> Result<Value, ReportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match syntax {
        Syntax::Json => {
            limits::check_json_nesting(text)?;
            serde_json::from_str(text).map_err(|error| ReportError::Syntax {
                line: error.line() as u64,
                column: error.column() as u64,
                message: error.to_string(),
            })
        }
        Syntax::Yaml => {
            limits::check_yaml_nesting(text)?;
            yaml_to_json(text)
        }
    }
}

/// A YAML collection being read.
enum OpenYaml {
    Sequence(Vec<Value>),
    /// A mapping, and the key whose value comes next.
    Mapping(Map<String, Value>, Option<String>),
}

/// Reads a YAML text into a JSON tree from the parser's events, without recursion.
/// Anchors and aliases are refused where they appear, before anything is expanded (a few
/// hundred bytes of aliases expand to gigabytes), and collections nested deeper than
/// [`MAX_NESTING`] where they open.
fn yaml_to_json(text: &str) -> Result<Value, ReportError> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut open: Vec<OpenYaml> = Vec::new();
    let mut documents = 0;
    let mut root = None;
    loop {
        let (event, marker) = parser.next_token().map_err(|error| ReportError::Syntax {
            line: error.marker().line() as u64,
            column: error.marker().col() as u64 + 1,
            message: error.info().to_owned(),
        })?;
        let at = |message: String| ReportError::Syntax {
            line: marker.line() as u64,
            column: marker.col() as u64 + 1,
            message,
        };
        let value = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart => {
                documents += 1;
                continue;
            }
            Event::Alias(_)
            | Event::Scalar(_, _, 1.., _)
            | Event::SequenceStart(1.., _)
            | Event::MappingStart(1.., _) => {
                return Err(at(
                    "YAML anchors and aliases (&name, *name) are not accepted in reports: write each value out".into(),
                ));
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if open.len() >= MAX_NESTING {
                    return Err(at(format!(
                        "lists and mappings nest more than {MAX_NESTING} levels deep; this server accepts at most {MAX_NESTING}: flatten the document"
                    )));
                }
                open.push(if matches!(event, Event::SequenceStart(..)) {
                    OpenYaml::Sequence(Vec::new())
                } else {
                    OpenYaml::Mapping(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(OpenYaml::Sequence(items)) => Value::Array(items),
                Some(OpenYaml::Mapping(object, _)) => Value::Object(object),
                None => return Err(at("a collection closes that never opened".into())),
            },
            Event::Scalar(text, style, _, tag) => yaml_scalar(text, style, tag.as_ref()),
        };
        if documents > 1 {
            // Read on only to count the documents; the first one is not kept either.
            root = None;
            continue;
        }
        match open.last_mut() {
            None => root = Some(value),
            Some(OpenYaml::Sequence(items)) => items.push(value),
            Some(OpenYaml::Mapping(_, key @ None)) => {
                *key = Some(match value {
                    Value::String(key) => key,
                    Value::Number(key) => key.to_string(),
                    Value::Bool(key) => key.to_string(),
                    other => {
                        return Err(at(format!("a YAML key must be a plain word, not {other}")));
                    }
                });
            }
            Some(OpenYaml::Mapping(object, key @ Some(_))) => {
                let key = key.take().expect("matched Some");
                if object.contains_key(&key) {
                    return Err(at(format!("the key `{key}` appears twice in one mapping")));
                }
                object.insert(key, value);
            }
        }
    }
    match (root, documents) {
        (Some(value), 1) => Ok(value),
        (_, 0 | 1) => Err(ReportError::Structure(
            "the YAML file is empty: it should hold one report".into(),
        )),
        (_, documents) => Err(ReportError::Structure(format!(
            "the YAML file holds {documents} documents (separated by ---): put each report in a file of its own"
        ))),
    }
}

/// A YAML scalar as JSON: quoted scalars are strings; plain ones are read as YAML 1.2's
/// core schema reads them (null, booleans, integers, floats, else strings).
fn yaml_scalar(
    text: String,
    style: yaml_rust2::scanner::TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
) -> Value {
    use yaml_rust2::Yaml;
    if style != yaml_rust2::scanner::TScalarStyle::Plain
        || tag.is_some_and(|tag| tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str")
    {
        return Value::String(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(value) => Value::Bool(value),
        Yaml::Integer(value) => Value::from(value),
        Yaml::Real(_) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(text), Value::Number),
        _ => Value::String(text),
    }
}

/// What a context term maps its values to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `"@type": "@id"`: references to entities (or web pages, for `url` and `seeAlso`).
    Reference,
    /// `"@type": "@vocab"`: terms of the ontology (statuses, roles...).
    Vocabulary,
    /// `"@container": "@language"`: texts by language.
    Language,
    /// A literal, possibly typed by the context.
    Literal,
    /// An alias of `@id`.
    Id,
    /// An alias of `@type`.
    Type,
}

#[derive(Debug)]
struct Term {
    iri: String,
    kind: Kind,
}

/// The spyatlas JSON-LD context, parsed once.
struct Context {
    /// The context object itself (the value of `@context`), put inline in resolved documents.
    object: Value,
    terms: HashMap<String, Term>,
}

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let document: Value =
            serde_json::from_str(bundled::CONTEXT).expect("ontology/context.jsonld is JSON");
        let object = document["@context"].clone();
        let entries = object
            .as_object()
            .expect("ontology/context.jsonld holds a @context object");
        let prefix = |name: &str| entries.get(name).and_then(Value::as_str).map(str::to_owned);
        let expand = |iri: &str| match iri.split_once(':') {
            Some((name, local)) if !local.starts_with("//") => match prefix(name) {
                Some(namespace) => format!("{namespace}{local}"),
                None => iri.to_owned(),
            },
            _ => iri.to_owned(),
        };
        let mut terms = HashMap::new();
        for (name, definition) in entries {
            if name.starts_with('@') {
                continue;
            }
            let term = match definition {
                Value::String(keyword) if keyword == "@id" => Term {
                    iri: String::new(),
                    kind: Kind::Id,
                },
                Value::String(keyword) if keyword == "@type" => Term {
                    iri: String::new(),
                    kind: Kind::Type,
                },
                Value::String(iri) => Term {
                    iri: expand(iri),
                    kind: Kind::Literal,
                },
                Value::Object(definition) => {
                    let iri = definition
                        .get("@id")
                        .and_then(Value::as_str)
                        .map(expand)
                        .unwrap_or_default();
                    let kind = match (
                        definition.get("@type").and_then(Value::as_str),
                        definition.get("@container").and_then(Value::as_str),
                    ) {
                        (_, Some("@language")) => Kind::Language,
                        (Some("@id"), _) => Kind::Reference,
                        (Some("@vocab"), _) => Kind::Vocabulary,
                        _ => Kind::Literal,
                    };
                    Term { iri, kind }
                }
                _ => continue,
            };
            terms.insert(name.clone(), term);
        }
        Context { object, terms }
    })
}

/// Whether a property's plain-string values are dates (the datatype follows the form):
/// `dct:issued`, `sa:date`, `sa:startDate`, `sa:endDate`, `sa:firstSeen`, `sa:filed`,
/// `sa:validFrom`.
fn is_date_property(iri: &str) -> bool {
    iri == "http://purl.org/dc/terms/issued"
        || iri
            .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
            .is_some_and(|local| {
                matches!(
                    local,
                    "date" | "startDate" | "endDate" | "firstSeen" | "filed" | "validFrom"
                )
            })
}

/// Reference properties whose values are web addresses, never entities.
const WEB_PROPERTIES: [&str; 2] = [
    "http://schema.org/url",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso",
];

const EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";

/// Turns a parsed document into the RDF of its report, resolving its references against
/// `index` (the entities already known). `source` is the document's text, for line numbers.
pub fn to_report(
    mut document: Value,
    index: &dyn Entities,
    source: &str,
) -> Result<ReportDraft, ReportError> {
    let Value::Object(top) = &document else {
        return Err(ReportError::Structure(
            "a report document is one object: the report, with its entities and claims".into(),
        ));
    };
    if top.contains_key("@graph") {
        return Err(ReportError::Structure(
            "this JSON-LD has a top-level @graph: write the report as the top object (see docs/reports.md), or load the RDF as .nq / .trig".into(),
        ));
    }
    check_context(top.get("@context"))?;
    let mut nodes = Vec::new();
    collect(&document, "report", true, &mut nodes);
    let mut problems = Vec::new();
    let identified = identify(&nodes, index, source, &mut problems);
    let lines: HashMap<String, usize> = identified
        .iter()
        .filter_map(|node| Some((node.iri.clone()?, node.line?)))
        .collect();
    let iris: Vec<Option<String>> = identified.iter().map(|node| node.iri.clone()).collect();
    let local = LocalIndex::new(&nodes, &iris);
    let report_iri = iris[0].clone();
    let mut rewriter = Rewriter {
        nodes: identified.into_iter(),
        index,
        local: &local,
        source,
        problems: &mut problems,
    };
    rewriter.node(&mut document, "report", true);
    if !problems.is_empty() {
        return Err(ReportError::Invalid(problems));
    }
    let Some(report_iri) = report_iri else {
        unreachable!("a report without an IRI is a problem reported above");
    };
    let Value::Object(top) = &mut document else {
        unreachable!("checked above");
    };
    top.insert("@context".into(), context().object.clone());
    let json = serde_json::to_vec(&document).expect("a JSON tree serialises");
    let parser = RdfParser::from_format(RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    })
    .with_base_iri(vocab::ID_NAMESPACE)
    .expect("the entity namespace is a valid IRI");
    let mut triples = Vec::new();
    for quad in parser.for_slice(&json) {
        let quad = quad.map_err(|error| ReportError::Structure(format!("JSON-LD: {error}")))?;
        triples.push(Triple::new(quad.subject, quad.predicate, quad.object));
    }
    let iri = NamedNode::new(report_iri).expect("resolved IRIs are valid");
    let mut draft = ReportDraft::new(iri, triples, Some(source.to_owned()))?;
    draft.lines = lines;
    Ok(draft)
}

fn check_context(context: Option<&Value>) -> Result<(), ReportError> {
    match context {
        None => Ok(()),
        Some(Value::String(iri)) if iri == CONTEXT_IRI || iri == "/context.jsonld" => Ok(()),
        Some(other) => Err(ReportError::Structure(format!(
            "@context must be \"{CONTEXT_IRI}\" (or left out), not {other}: spyatlas reads report documents with its own context and never fetches one"
        ))),
    }
}

/// How a property is written in compacted JSON-LD with the spyatlas context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermStyle {
    /// Values are entity references (slugs relative to the entity namespace).
    Reference,
    /// Values are ontology terms by local name (`attributed`, `activist`).
    Vocabulary,
    /// Values are texts in a language map.
    Language,
    /// Values are literals.
    Literal,
}

/// The context's term for a property IRI, and how its values are written; `None` when the
/// context has no term for it.
pub fn term_of(property: &str) -> Option<(&'static str, TermStyle)> {
    let mut names: Vec<(&'static String, &'static Term)> = context()
        .terms
        .iter()
        .filter(|(_, term)| term.iri == property && !matches!(term.kind, Kind::Id | Kind::Type))
        .collect();
    // One name when several share the IRI (`entities` and `claims`): the first by name.
    names.sort_by_key(|(name, _)| name.as_str());
    let (name, term) = names.first()?;
    let style = match term.kind {
        Kind::Reference => TermStyle::Reference,
        Kind::Vocabulary => TermStyle::Vocabulary,
        Kind::Language => TermStyle::Language,
        _ => TermStyle::Literal,
    };
    Some((name.as_str(), style))
}

/// Whether a parsed JSON document is plain JSON-LD rather than a report document: it
/// names a context other than spyatlas's, or holds a top-level `@graph`.
pub fn is_plain_json_ld(tree: &Value) -> bool {
    let Value::Object(top) = tree else {
        return false;
    };
    top.contains_key("@graph") || check_context(top.get("@context")).is_err()
}

/// A node of the document, as first seen: where it is and what names it.
#[derive(Debug)]
struct NodeInfo {
    path: String,
    top: bool,
    id: Option<String>,
    names: Vec<String>,
    english: Option<String>,
    first_label: Option<String>,
    wikidata: Vec<String>,
}

fn collect(value: &Value, path: &str, top: bool, nodes: &mut Vec<NodeInfo>) {
    let Value::Object(object) = value else {
        return;
    };
    if object.contains_key("@value") {
        return;
    }
    let terms = &context().terms;
    let mut info = NodeInfo {
        path: path.to_owned(),
        top,
        id: None,
        names: Vec::new(),
        english: None,
        first_label: None,
        wikidata: Vec::new(),
    };
    for (key, value) in object {
        let term = terms.get(key.as_str());
        match term.map(|term| (term.kind, term.iri.as_str())) {
            Some((Kind::Id, _)) => info.id = value.as_str().map(str::to_owned),
            Some((Kind::Language, iri))
                if iri.ends_with("#label") || iri.ends_with("#altLabel") =>
            {
                for (language, text) in language_texts(value) {
                    if iri.ends_with("#label") {
                        if language == "en" {
                            info.english = Some(text.to_owned());
                        }
                        info.first_label.get_or_insert_with(|| text.to_owned());
                    }
                    info.names.push(text.to_owned());
                }
            }
            Some((Kind::Reference, EXACT_MATCH)) => {
                for text in strings(value) {
                    info.wikidata.push(text.to_owned());
                }
            }
            _ => {}
        }
    }
    nodes.push(info);
    for (key, value) in object {
        if let Some(term) = terms.get(key.as_str())
            && term.kind == Kind::Reference
        {
            for (position, item) in items(value).enumerate() {
                collect(item, &format!("{path}.{key}[{position}]"), false, nodes);
            }
        }
    }
}

/// The texts of a language map: `{ "en": "x", "nl": ["y", "z"] }`.
fn language_texts(value: &Value) -> Vec<(&str, &str)> {
    let mut texts = Vec::new();
    if let Value::Object(map) = value {
        for (language, value) in map {
            for text in strings(value) {
                texts.push((language.as_str(), text));
            }
        }
    } else {
        for text in strings(value) {
            texts.push(("", text));
        }
    }
    texts
}

fn items(value: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter()),
        other => Box::new(std::iter::once(other)),
    }
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    items(value).filter_map(Value::as_str)
}

/// A node's IRI (`None` after a problem), whether it was linked to a known entity by its
/// names (rather than named by an id), and the line it is written at.
#[derive(Debug, Clone)]
struct Identified {
    iri: Option<String>,
    linked: bool,
    line: Option<usize>,
}

/// Gives every node its IRI (index-aligned with `nodes`).
fn identify(
    nodes: &[NodeInfo],
    index: &dyn Entities,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Identified> {
    let mut iris = Vec::with_capacity(nodes.len());
    let mut seen: HashMap<String, &str> = HashMap::new();
    let needles: Vec<&str> = nodes
        .iter()
        .map(|node| {
            node.id
                .as_deref()
                .or(node.first_label.as_deref())
                .unwrap_or_default()
        })
        .collect();
    let lines = Lines::new(source).find_all(&needles);
    for (node, line) in nodes.iter().zip(lines) {
        let mut problem = |message: String| {
            problems.push(Problem {
                entity: node
                    .id
                    .clone()
                    .or_else(|| node.first_label.clone())
                    .unwrap_or_else(|| node.path.clone()),
                property: None,
                message,
                line,
            })
        };
        let iri = if node.top {
            report_iri(node, &mut problem)
        } else {
            entity_iri(node, index, &mut problem)
        };
        if let Some(iri) = &iri
            && let Some(other) = seen.insert(iri.clone(), &node.path)
        {
            problem(format!(
                "{} and {} both describe {iri}: describe each entity once per report",
                other, node.path
            ));
        }
        let linked = !node.top
            && node.id.is_none()
            && iri
                .as_deref()
                .and_then(|iri| iri.strip_prefix(vocab::ID_NAMESPACE))
                .is_some_and(|slug| index.contains(slug));
        iris.push(Identified { iri, linked, line });
    }
    iris
}

fn report_iri(node: &NodeInfo, problem: &mut impl FnMut(String)) -> Option<String> {
    let Some(id) = &node.id else {
        problem("the report needs an id: `id: report:{slug}`, e.g. `id: report:italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack`".into());
        return None;
    };
    let slug = id
        .strip_prefix("report:")
        .or_else(|| id.strip_prefix(vocab::REPORT_NAMESPACE))
        .unwrap_or(id);
    if is_slug(slug) {
        Some(format!("{}{slug}", vocab::REPORT_NAMESPACE))
    } else {
        problem(format!(
            "the report id `{id}` is not a slug: use lower-case letters, digits and hyphens, e.g. `report:my-report-2025`"
        ));
        None
    }
}

fn entity_iri(
    node: &NodeInfo,
    index: &dyn Entities,
    problem: &mut impl FnMut(String),
) -> Option<String> {
    // Known entities its names or Wikidata items point to.
    let mut matches = BTreeSet::new();
    for name in &node.names {
        matches.extend(index.by_name(name));
    }
    for item in &node.wikidata {
        if let Some(id) = wikidata_of(item) {
            matches.extend(index.by_wikidata(&id));
        }
    }
    let candidates = |matches: &BTreeSet<String>| {
        matches
            .iter()
            .map(|slug| format!("{slug} ({})", index.label(slug)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match node.id.as_deref() {
        Some(id) if is_slug(id) => {
            if !index.contains(id) && !matches.is_empty() && !matches.contains(id) {
                problem(format!(
                    "`{id}` is new, but its names match the known {}: use that id (or leave id out to link it), or give it a name that tells it apart",
                    candidates(&matches)
                ));
                return None;
            }
            Some(vocab::entity_iri(id))
        }
        Some(id) if id.starts_with(vocab::ID_NAMESPACE) => Some(id.to_owned()),
        Some(id) if id.starts_with("http://") || id.starts_with("https://") => {
            problem(format!(
                "`{id}` is not in the entity namespace {}: give the entity a slug as id and the other IRI as `wikidata` or `seeAlso`",
                vocab::ID_NAMESPACE
            ));
            None
        }
        Some(id) => {
            problem(format!(
                "`{id}` is not a slug (lower-case letters, digits and hyphens): write the slug, or leave id out and let the labels name the entity"
            ));
            None
        }
        None => match matches.len() {
            1 => matches.pop_first().map(|slug| vocab::entity_iri(&slug)),
            0 => {
                let name = node.english.as_ref().or(node.first_label.as_ref());
                match name.and_then(|name| mint_slug(name)) {
                    Some(slug) => Some(vocab::entity_iri(&slug)),
                    None => {
                        problem(
                            "this node has no id and no label to mint one from: add `id: some-slug` or an English label".into(),
                        );
                        None
                    }
                }
            }
            _ => {
                problem(format!(
                    "its names match several known entities: {}; add the id of the one meant",
                    candidates(&matches)
                ));
                None
            }
        },
    }
}

/// The Wikidata id of `wd:Q38`, `Q38` or a Wikidata entity IRI.
fn wikidata_of(text: &str) -> Option<String> {
    if is_wikidata_id(text) {
        return Some(text.to_owned());
    }
    if let Some(id) = text.strip_prefix("wd:") {
        return is_wikidata_id(id).then(|| id.to_owned());
    }
    wikidata_id(text).map(str::to_owned)
}

/// The entities the document itself describes: by slug, folded name and Wikidata id.
struct LocalIndex {
    slugs: BTreeSet<String>,
    names: HashMap<String, BTreeSet<String>>,
    wikidata: HashMap<String, BTreeSet<String>>,
}

impl LocalIndex {
    fn new(nodes: &[NodeInfo], iris: &[Option<String>]) -> Self {
        let mut local = Self {
            slugs: BTreeSet::new(),
            names: HashMap::new(),
            wikidata: HashMap::new(),
        };
        for (node, iri) in nodes.iter().zip(iris) {
            let Some(slug) = iri
                .as_deref()
                .and_then(|iri| iri.strip_prefix(vocab::ID_NAMESPACE))
            else {
                continue;
            };
            local.slugs.insert(slug.to_owned());
            for name in &node.names {
                local
                    .names
                    .entry(fold(name))
                    .or_default()
                    .insert(slug.to_owned());
            }
            for item in &node.wikidata {
                if let Some(id) = wikidata_of(item) {
                    local
                        .wikidata
                        .entry(id)
                        .or_default()
                        .insert(slug.to_owned());
                }
            }
        }
        local
    }
}

struct Rewriter<'a> {
    nodes: std::vec::IntoIter<Identified>,
    index: &'a dyn Entities,
    local: &'a LocalIndex,
    source: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Rewriter<'_> {
    /// Rewrites one node (visited in the order of [`collect`]).
    fn node(&mut self, value: &mut Value, path: &str, top: bool) {
        let Value::Object(object) = value else {
            return;
        };
        if object.contains_key("@value") {
            return;
        }
        let Identified { iri, linked, .. } = self.nodes.next().expect("one entry per node");
        if linked
            && let Some(slug) = iri
                .as_deref()
                .and_then(|iri| iri.strip_prefix(vocab::ID_NAMESPACE))
        {
            self.labels_to_aliases(object, slug);
        }
        let label = object
            .iter()
            .find(|(key, _)| {
                context()
                    .terms
                    .get(key.as_str())
                    .is_some_and(|t| t.kind == Kind::Id)
            })
            .and_then(|(_, value)| value.as_str().map(str::to_owned))
            .unwrap_or_else(|| path.to_owned());
        let terms = &context().terms;
        // Keys of the context only: a misspelt key would otherwise become a property of
        // the ontology namespace through @vocab, silently.
        for key in object.keys() {
            if key.starts_with('@') || terms.contains_key(key.as_str()) || key.contains(':') {
                continue;
            }
            self.problems.push(Problem {
                entity: label.clone(),
                property: Some(key.clone()),
                message: format!(
                    "unknown key `{key}`: the keys a report may use are listed in docs/reports.md (a full IRI or a prefixed name such as `schema:name` also works)"
                ),
                line: find_line(self.source, &format!("{key}\"")).or_else(|| find_line(self.source, &format!("{key}:"))),
            });
        }
        object.retain(|key, _| !terms.get(key.as_str()).is_some_and(|t| t.kind == Kind::Id));
        if let Some(iri) = iri {
            object.insert("@id".into(), Value::String(iri));
        }
        if top {
            let mut types: Vec<Value> = Vec::new();
            object.retain(|key, value| {
                if terms
                    .get(key.as_str())
                    .is_some_and(|t| t.kind == Kind::Type)
                {
                    types.extend(items(value).cloned());
                    false
                } else {
                    true
                }
            });
            let report = Value::String(format!("{}Report", vocab::ONTOLOGY_NAMESPACE));
            if !types.contains(&report) {
                types.insert(0, report);
            }
            object.insert("@type".into(), Value::Array(types));
        }
        let keys: Vec<String> = object.keys().cloned().collect();
        for key in keys {
            let Some(term) = terms.get(key.as_str()) else {
                continue;
            };
            let value = object.get_mut(&key).expect("the key was just listed");
            match term.kind {
                Kind::Reference if WEB_PROPERTIES.contains(&term.iri.as_str()) => {
                    self.web_addresses(value, &label, &key);
                }
                // An advisory is a report entity, or the address of a vendor's page.
                Kind::Reference
                    if term.iri == vocab::term::ADVISORY
                        && value.as_str().is_some_and(|text| {
                            text.starts_with("http://") || text.starts_with("https://")
                        }) =>
                {
                    self.web_addresses(value, &label, &key);
                }
                Kind::Reference if term.iri == EXACT_MATCH => {
                    self.wikidata_items(value, &label, &key)
                }
                Kind::Reference => {
                    let items: Vec<&mut Value> = match value {
                        Value::Array(items) => items.iter_mut().collect(),
                        other => vec![other],
                    };
                    for (position, item) in items.into_iter().enumerate() {
                        match item {
                            Value::String(text) => match self.resolve(text) {
                                Ok(iri) => *text = iri,
                                Err(message) => self.problems.push(Problem {
                                    entity: label.clone(),
                                    property: Some(key.clone()),
                                    line: find_line(self.source, text),
                                    message,
                                }),
                            },
                            Value::Object(_) => {
                                self.node(item, &format!("{path}.{key}[{position}]"), false)
                            }
                            other => self.problems.push(Problem {
                                entity: label.clone(),
                                property: Some(key.clone()),
                                line: None,
                                message: format!(
                                    "`{key}` takes the id or name of an entity, not {other}"
                                ),
                            }),
                        }
                    }
                }
                Kind::Literal if is_date_property(&term.iri) => {
                    date_values(value);
                }
                _ => {}
            }
        }
    }

    /// A node linked by name to a known entity keeps that entity's labels: where its own
    /// label in a language differs from the known one, it becomes an alias.
    fn labels_to_aliases(&self, object: &mut Map<String, Value>, slug: &str) {
        let terms = &context().terms;
        let find = |suffix: &str| {
            terms
                .iter()
                .find(|(_, term)| term.kind == Kind::Language && term.iri.ends_with(suffix))
                .map(|(name, _)| name.clone())
        };
        let (Some(label_key), Some(alias_key)) = (find("#label"), find("#altLabel")) else {
            return;
        };
        let Some(Value::Object(labels)) = object.get_mut(&label_key) else {
            return;
        };
        let mut moved: Vec<(String, Value)> = Vec::new();
        labels.retain(|language, value| {
            let differs = self
                .index
                .label_in(slug, language)
                .is_some_and(|known| value.as_str() != Some(known));
            if differs {
                moved.push((language.clone(), value.clone()));
            }
            !differs
        });
        if moved.is_empty() {
            return;
        }
        let aliases = object
            .entry(alias_key)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(aliases) = aliases {
            for (language, value) in moved {
                let entry = aliases
                    .entry(language)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !entry.is_array() {
                    *entry = Value::Array(vec![entry.take()]);
                }
                if let Value::Array(list) = entry {
                    list.extend(items(&value).cloned());
                }
            }
        }
    }

    /// The IRI an entity reference means.
    fn resolve(&self, text: &str) -> Result<String, String> {
        let text = text.trim();
        if let Some(id) = wikidata_of(text) {
            let mut slugs: BTreeSet<String> =
                self.local.wikidata.get(&id).cloned().unwrap_or_default();
            slugs.extend(self.index.by_wikidata(&id));
            return self.one(text, slugs, || {
                format!(
                    "no entity is linked to the Wikidata item {id}: describe it under `entities` with `wikidata: wd:{id}`"
                )
            });
        }
        if let Some(iri) = expand_prefixed(text) {
            return Ok(iri);
        }
        if is_slug(text) && (self.local.slugs.contains(text) || self.index.contains(text)) {
            return Ok(vocab::entity_iri(text));
        }
        let mut slugs: BTreeSet<String> = self
            .local
            .names
            .get(&fold(text))
            .cloned()
            .unwrap_or_default();
        slugs.extend(self.index.by_name(text));
        self.one(text, slugs, || {
            format!(
                "no known entity has the slug, name or alias `{text}`: check the spelling, or describe it under `entities`"
            )
        })
    }

    fn one(
        &self,
        text: &str,
        slugs: BTreeSet<String>,
        unknown: impl FnOnce() -> String,
    ) -> Result<String, String> {
        match slugs.len() {
            0 => Err(unknown()),
            1 => Ok(vocab::entity_iri(slugs.first().expect("one slug"))),
            _ => Err(format!(
                "`{text}` is ambiguous: it names {}; write the slug of the one meant",
                slugs
                    .iter()
                    .map(|slug| format!("{slug} ({})", self.index.label(slug)))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        }
    }

    fn web_addresses(&mut self, value: &mut Value, label: &str, key: &str) {
        for text in strings(value) {
            if !(text.starts_with("http://") || text.starts_with("https://"))
                || oxiri::Iri::parse(text).is_err()
            {
                self.problems.push(Problem {
                    entity: label.to_owned(),
                    property: Some(key.to_owned()),
                    line: find_line(self.source, text),
                    message: format!(
                        "`{text}` is not a web address: write it in full, starting with https://"
                    ),
                });
            }
        }
    }

    fn wikidata_items(&mut self, value: &mut Value, label: &str, key: &str) {
        let items: Vec<&mut Value> = match value {
            Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for item in items {
            let Value::String(text) = item else { continue };
            match wikidata_of(text) {
                Some(id) => *text = format!("{}{id}", super::resolve::WIKIDATA_ENTITY),
                None => self.problems.push(Problem {
                    entity: label.to_owned(),
                    property: Some(key.to_owned()),
                    line: find_line(self.source, text),
                    message: format!("`{text}` is not a Wikidata item: write it as wd:Q38 or Q38"),
                }),
            }
        }
    }
}

/// An absolute IRI, or a prefixed name with a prefix of the context, expanded; `None` for
/// anything else (a slug or a name).
fn expand_prefixed(text: &str) -> Option<String> {
    let (prefix, local) = text.split_once(':')?;
    if prefix.is_empty()
        || local.contains(char::is_whitespace)
        || prefix.contains(char::is_whitespace)
    {
        return None;
    }
    if local.starts_with("//") || prefix == "urn" {
        return oxiri::Iri::parse(text.to_owned())
            .ok()
            .map(oxiri::Iri::into_inner);
    }
    let namespace = context().object.get(prefix)?.as_str()?;
    if !namespace.ends_with(['/', '#']) {
        return None;
    }
    let iri = format!("{namespace}{local}");
    oxiri::Iri::parse(iri).ok().map(oxiri::Iri::into_inner)
}

/// Replaces date strings by typed values: `2025` (xsd:gYear), `2025-02` (xsd:gYearMonth),
/// `2025-02-13` (xsd:date), `2025-02-13T10:00:00Z` (xsd:dateTime). Other strings are left
/// as they are, for validation to report.
fn date_values(value: &mut Value) {
    let items: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        other => vec![other],
    };
    for item in items {
        // A year written as a number (YAML's `issued: 2025`).
        if let Value::Number(number) = item
            && let Some(year) = number.as_u64().filter(|year| (1000..=9999).contains(year))
        {
            *item = Value::String(year.to_string());
        }
        let Value::String(text) = item else { continue };
        if let Some(datatype) = date_datatype(text) {
            *item = serde_json::json!({
                "@value": text.as_str(),
                "@type": format!("http://www.w3.org/2001/XMLSchema#{datatype}"),
            });
        }
    }
}

fn date_datatype(text: &str) -> Option<&'static str> {
    let digits = |part: &str, count: usize| {
        part.len() == count && part.bytes().all(|byte| byte.is_ascii_digit())
    };
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    match (parts.as_slice(), time) {
        ([year], None) if digits(year, 4) => Some("gYear"),
        ([year, month], None) if digits(year, 4) && digits(month, 2) => Some("gYearMonth"),
        ([year, month, day], None) if digits(year, 4) && digits(month, 2) && digits(day, 2) => {
            Some("date")
        }
        ([year, month, day], Some(_)) if digits(year, 4) && digits(month, 2) && digits(day, 2) => {
            Some("dateTime")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_get_the_datatype_of_their_form() {
        assert_eq!(date_datatype("2025"), Some("gYear"));
        assert_eq!(date_datatype("2025-02"), Some("gYearMonth"));
        assert_eq!(date_datatype("2025-02-13"), Some("date"));
        assert_eq!(date_datatype("2025-02-13T10:00:00Z"), Some("dateTime"));
        assert_eq!(date_datatype("February 2025"), None);
    }

    #[test]
    fn the_context_knows_its_terms() {
        let terms = &context().terms;
        assert_eq!(terms["vendor"].kind, Kind::Reference);
        assert_eq!(
            terms["vendor"].iri,
            "https://w3id.org/spyatlas/ontology#vendor"
        );
        assert_eq!(terms["label"].kind, Kind::Language);
        assert_eq!(terms["status"].kind, Kind::Vocabulary);
        assert_eq!(terms["kind"].kind, Kind::Type);
        assert_eq!(terms["id"].kind, Kind::Id);
        assert_eq!(
            expand_prefixed("wd:Q38").as_deref(),
            Some("http://www.wikidata.org/entity/Q38")
        );
        assert_eq!(expand_prefixed("Paragon Solutions"), None);
        assert_eq!(expand_prefixed("paragon-solutions"), None);
    }

    #[test]
    fn yaml_syntax_errors_carry_line_and_column() {
        let error = parse("id: report:x\nlabel: {en: [\n", Syntax::Yaml).unwrap_err();
        assert!(
            matches!(error, ReportError::Syntax { line: 3, .. }),
            "{error:?}"
        );
    }
}
