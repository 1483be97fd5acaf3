//! `/id/{slug}` and `/report/{slug}`: an entity (or report) with content negotiation — an
//! HTML page for browsers, JSON for programs, its RDF description (outgoing and incoming
//! triples, with the graphs they come from where the syntax allows) for RDF clients.
//!
//! The page shows the name in the chosen language (`?lang=`, else `Accept-Language`,
//! else English), the types, aliases, description and Wikidata link; every relationship,
//! both ways, grouped by property, each with the report that asserts it and the status of
//! the claim it belongs to; a timeline of dated claims; and an SVG picture of the
//! neighbourhood whose nodes link to their pages. Everything is read through SPARQL.

use super::conneg::{GRAPHS, Representation, negotiate};
use super::error::ApiError;
use super::page::{escape_html, external_link};
use super::{AppState, blocking};
use crate::claims::{Asserted, Relationship};
use crate::store::{Graph, StoreError};
use crate::vocab;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::{NamedNode, Quad, Term, Triple};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

const SA: &str = vocab::ONTOLOGY_NAMESPACE;
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const RDFS_COMMENT: &str = "http://www.w3.org/2000/01/rdf-schema#comment";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
const EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";

/// The most statements read for one page (a hub such as a country is the object of many).
const MAX_STATEMENTS: usize = 600;
/// The picture shows the second hop when the entity has at most this many neighbours.
const SECOND_HOP_WHEN: usize = 8;
/// At most this many second-hop neighbours per neighbour.
const SECOND_HOP_EACH: usize = 4;
/// The most relationships of one kind (direction and property) shown on a page.
const MAX_PER_KIND: usize = 25;
/// The most claims around an entity whose status and dates are looked up for one page.
const MAX_CLAIMS: usize = 30;
/// The most reports cited on one page.
const MAX_SOURCES: usize = 30;
/// The classes of claims (n-ary nodes with a status and dates).
const CLAIMS: &[&str] = &[
    "Incident",
    "Targeting",
    "Detection",
    "Attribution",
    "CustomerRelationship",
    "Response",
    "Letter",
    "CeaseAndDesistLetter",
    "Mitigation",
    "Notification",
    "Statement",
    "ExploitUse",
    "Patch",
    "LegalAction",
    "Lawsuit",
    "Complaint",
    "Investigation",
    "CourtDecision",
    "Listing",
    "Sanction",
    "ExportControlListing",
    "Acquisition",
    "Ownership",
    "Renaming",
    "Founding",
    "Seat",
    "Position",
    "PersonalRelationship",
    "Surveillance",
    "Event",
    "PublicStatement",
    "Campaign",
    "Assertion",
];

/// One statement touching the entity, with the graph it is in.
#[derive(Debug, Clone)]
struct Statement {
    outgoing: bool,
    property: String,
    other: Term,
    graph: Option<String>,
}

/// What the store says about the things an entity page mentions.
#[derive(Default)]
struct Context {
    labels: HashMap<String, Vec<(String, String)>>,
    types: HashMap<String, Vec<String>>,
    /// (claim, graph) → the statuses that report gives the claim.
    status: HashMap<(String, String), Vec<String>>,
    /// thing → (date, graph stating it).
    dates: HashMap<String, Vec<(String, String)>>,
}

struct Source {
    iri: String,
    label: Vec<(String, String)>,
    publisher: Option<String>,
    issued: Option<String>,
    url: Option<String>,
}

struct View {
    iri: String,
    statements: Vec<Statement>,
    /// Relationships left out, by (incoming, property).
    omitted: BTreeMap<(bool, String), usize>,
    /// When the entity has few neighbours: the neighbours of each (second hop).
    second_hop: BTreeMap<String, Vec<String>>,
    context: Context,
    sources: BTreeMap<String, Source>,
    /// The claims asserting each relationship shown, with their statuses.
    asserted: HashMap<Relationship, Vec<Asserted>>,
}

impl Statement {
    /// The relationship this statement shows, when it links two nodes in a graph.
    fn relationship(&self, entity: &str) -> Option<Relationship> {
        let Term::NamedNode(other) = &self.other else {
            return None;
        };
        let (subject, object) = if self.outgoing {
            (entity, other.as_str())
        } else {
            (other.as_str(), entity)
        };
        Some(Relationship {
            subject: subject.to_owned(),
            property: self.property.clone(),
            object: object.to_owned(),
            graph: self.graph.clone()?,
        })
    }
}

fn query(graph: &Graph, text: &str) -> Result<Vec<HashMap<String, Term>>, StoreError> {
    let started = std::time::Instant::now();
    let rows = graph.select(text);
    tracing::trace!(elapsed = ?started.elapsed(), query = %text.split_whitespace().take(12).collect::<Vec<_>>().join(" "), "entity query");
    rows
}

fn iri_of(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
        _ => None,
    }
}

fn view(
    graph: &Graph,
    index: &crate::search::Live,
    iri: &NamedNode,
) -> Result<Option<View>, StoreError> {
    let rows = query(
        graph,
        &format!(
            "SELECT ?out ?p ?other ?g WHERE {{
               {{ GRAPH ?g {{ {iri} ?p ?other }} BIND(true AS ?out) }}
               UNION {{ GRAPH ?g {{ ?other ?p {iri} }} BIND(false AS ?out) }}
             }} LIMIT {MAX_STATEMENTS}"
        ),
    )?;
    if rows.is_empty() {
        return Ok(None);
    }
    let statements: Vec<Statement> = rows
        .into_iter()
        .filter_map(|row| {
            Some(Statement {
                outgoing: matches!(row.get("out"), Some(Term::Literal(l)) if l.value() == "true"),
                property: iri_of(row.get("p"))?,
                other: row.get("other")?.clone(),
                graph: iri_of(row.get("g")),
            })
        })
        .collect();
    // A hub (a country, a vendor) has thousands of relationships of one kind: each kind
    // shows its first ones, and says how many more there are.
    let mut shown: HashMap<(bool, String), usize> = HashMap::new();
    let mut omitted: BTreeMap<(bool, String), usize> = BTreeMap::new();
    let statements: Vec<Statement> = statements
        .into_iter()
        .filter(|statement| {
            let key = (!statement.outgoing, statement.property.clone());
            let count = shown.entry(key.clone()).or_default();
            *count += 1;
            if *count > MAX_PER_KIND {
                *omitted.entry(key).or_default() += 1;
                false
            } else {
                true
            }
        })
        .collect();
    let mut things: HashSet<String> = HashSet::from([iri.as_str().to_owned()]);
    for statement in &statements {
        things.insert(statement.property.clone());
        if let Term::NamedNode(other) = &statement.other {
            things.insert(other.as_str().to_owned());
        }
    }
    let mut graphs: Vec<String> = statements.iter().filter_map(|s| s.graph.clone()).collect();
    graphs.sort();
    graphs.dedup();
    graphs.truncate(MAX_SOURCES);
    things.extend(graphs.iter().cloned());
    // Names and classes from the search index (in memory, current with the store); the
    // status and dates of the claims around the entity from the store, one small lookup
    // each (claims live in one report or a few).
    let mut context = Context::default();
    let things_listed: Vec<String> = things.iter().cloned().collect();
    for (thing, (labels, types)) in index.describe_all(&things_listed)? {
        if !labels.is_empty() {
            context.labels.insert(thing.clone(), labels);
        }
        if !types.is_empty() {
            context.types.insert(thing, types);
        }
    }
    let claims: Vec<&String> = things
        .iter()
        .filter(|thing| {
            context.types.get(*thing).is_some_and(|types| {
                types.iter().any(|class| {
                    CLAIMS
                        .iter()
                        .any(|claim| class.strip_prefix(SA) == Some(*claim))
                })
            })
        })
        .take(MAX_CLAIMS)
        .collect();
    for claim in claims {
        for row in query(
            graph,
            &format!(
                "SELECT ?p ?v ?g WHERE {{ GRAPH ?g {{ <{claim}> ?p ?v }}
                   FILTER(?p IN (<{SA}status>, <{SA}date>, <{SA}startDate>)) }}"
            ),
        )? {
            let Some(g) = iri_of(row.get("g")) else {
                continue;
            };
            match (iri_of(row.get("p")), row.get("v")) {
                (Some(p), Some(Term::NamedNode(value))) if p.ends_with("#status") => {
                    context
                        .status
                        .entry((claim.clone(), g))
                        .or_default()
                        .push(value.as_str().to_owned());
                }
                (Some(_), Some(Term::Literal(date))) => {
                    context
                        .dates
                        .entry(claim.clone())
                        .or_default()
                        .push((date.value().to_owned(), g));
                }
                _ => {}
            }
        }
    }
    // The claim asserting each relationship, and the status its report gives it; the
    // names of asserting claims that are not on the page otherwise.
    let relationships: Vec<Relationship> = statements
        .iter()
        .filter_map(|statement| statement.relationship(iri.as_str()))
        .collect();
    // A subject the index knows with no claim class has no status of its own.
    let describe = |iri: &str| {
        index
            .describe_all(&[iri.to_owned()])
            .ok()
            .and_then(|mut found| found.remove(iri))
    };
    let is_claim = |iri: &str| {
        describe(iri).is_none_or(|(_, types)| {
            types.is_empty()
                || types.iter().any(|class| {
                    CLAIMS
                        .iter()
                        .any(|claim| class.strip_prefix(SA) == Some(*claim))
                })
        })
    };
    let asserted = crate::claims::asserting(graph, &relationships, is_claim)?;
    for claims in asserted.values() {
        for asserted in claims {
            for thing in [&asserted.claim, &asserted.status] {
                if !context.labels.contains_key(thing)
                    && let Some((labels, _)) = describe(thing)
                {
                    context.labels.insert(thing.clone(), labels);
                }
            }
        }
    }
    let mut sources = BTreeMap::new();
    if !graphs.is_empty() {
        // One lookup per report: with the report's IRI written in, each is an index
        // lookup (a VALUES list over GRAPH ?r made the planner scan).
        for report in &graphs {
            for row in query(
                graph,
                &format!(
                    "SELECT ?publisher ?issued ?url WHERE {{
                       GRAPH <{report}> {{ <{report}> a <{SA}Report> .
                         OPTIONAL {{ <{report}> <http://purl.org/dc/terms/publisher> ?publisher }}
                         OPTIONAL {{ <{report}> <http://purl.org/dc/terms/issued> ?issued }}
                         OPTIONAL {{ <{report}> <http://schema.org/url> ?url }} }} }} LIMIT 1"
                ),
            )? {
                sources.insert(
                    report.clone(),
                    Source {
                        label: context.labels.get(report).cloned().unwrap_or_default(),
                        iri: report.clone(),
                        publisher: iri_of(row.get("publisher")),
                        issued: match row.get("issued") {
                            Some(Term::Literal(literal)) => Some(literal.value().to_owned()),
                            _ => None,
                        },
                        url: iri_of(row.get("url")),
                    },
                );
            }
        }
        // The publishers' names.
        for source in sources.values() {
            if let Some(publisher) = &source.publisher
                && let Some((labels, _)) = describe(publisher)
            {
                context.labels.insert(publisher.clone(), labels);
            }
        }
    }
    // The second hop, when the first is small enough to draw it.
    let mut second_hop: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut first: Vec<String> = statements
        .iter()
        .filter_map(|statement| match &statement.other {
            Term::NamedNode(other) if other.as_str().starts_with(vocab::ID_NAMESPACE) => {
                Some(other.as_str().to_owned())
            }
            _ => None,
        })
        .collect();
    first.sort();
    first.dedup();
    if first.len() <= SECOND_HOP_WHEN {
        for neighbour in &first {
            let mut next: Vec<String> = Vec::new();
            for row in query(
                graph,
                &format!(
                    "SELECT DISTINCT ?n WHERE {{
                       {{ GRAPH ?g {{ <{neighbour}> ?p ?n }} }} UNION {{ GRAPH ?g {{ ?n ?p <{neighbour}> }} }}
                       FILTER(isIRI(?n) && STRSTARTS(STR(?n), \"{id}\") && ?n != {iri})
                     }} LIMIT {SECOND_HOP_EACH}",
                    id = vocab::ID_NAMESPACE
                ),
            )? {
                if let Some(n) = iri_of(row.get("n"))
                    && !first.contains(&n)
                {
                    if let Some((labels, types)) = describe(&n) {
                        context.labels.insert(n.clone(), labels);
                        context.types.insert(n.clone(), types);
                    }
                    next.push(n);
                }
            }
            if !next.is_empty() {
                second_hop.insert(neighbour.clone(), next);
            }
        }
    }
    Ok(Some(View {
        iri: iri.as_str().to_owned(),
        statements,
        omitted,
        second_hop,
        context,
        sources,
        asserted,
    }))
}

/// A label in `language`, else English, else any, else the IRI's last segment.
fn label_in(labels: Option<&Vec<(String, String)>>, language: &str, iri: &str) -> String {
    labels
        .and_then(|labels| {
            [language, "en"]
                .iter()
                .find_map(|wanted| labels.iter().find(|(l, _)| l == wanted))
                .or_else(|| labels.first())
                .map(|(_, text)| text.clone())
        })
        .unwrap_or_else(|| short(iri))
}

fn short(iri: &str) -> String {
    iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned()
}

/// The page of an IRI of ours: `/id/{slug}`, `/report/{slug}`; `None` for other IRIs.
pub(super) fn page_of(iri: &str) -> Option<String> {
    if let Some(slug) = iri.strip_prefix(vocab::ID_NAMESPACE) {
        return Some(format!("/id/{slug}"));
    }
    iri.strip_prefix(vocab::REPORT_NAMESPACE)
        .map(|slug| format!("/report/{slug}"))
}

/// The language of the page: `?lang=`, else the first of `Accept-Language` we have, else
/// English.
pub(super) fn language(raw: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(lang) = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "lang")
        .map(|(_, value)| value.to_ascii_lowercase())
    {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split(',')
                .map(|part| {
                    part.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .map(|tag| tag.split('-').next().unwrap_or("").to_owned())
                .find(|tag| ["en", "nl", "it"].contains(&tag.as_str()))
        })
        .unwrap_or_else(|| "en".into())
}

/// What the entity page offers, in order of preference.
fn offered() -> Vec<(&'static str, Representation)> {
    let mut offered = vec![
        ("text/html", Representation::Html),
        ("application/xhtml+xml", Representation::Html),
        ("application/json", Representation::Json),
    ];
    offered.extend_from_slice(GRAPHS);
    offered
}

/// `GET /id/{slug}`.
pub async fn entity(
    state: State<AppState>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(state, vocab::ID_NAMESPACE, slug, raw, headers).await
}

/// `GET /report/{slug}`.
pub async fn report(
    state: State<AppState>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(state, vocab::REPORT_NAMESPACE, slug, raw, headers).await
}

async fn respond(
    State(state): State<AppState>,
    namespace: &str,
    slug: String,
    raw: Option<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "format")
        .map(|(_, value)| value.into_owned());
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let representation = match format.as_deref() {
        Some("json") => Representation::Json,
        other => negotiate(accept, other, &offered())?,
    };
    let language = language(raw.as_deref(), &headers);
    let base = if namespace == vocab::ID_NAMESPACE {
        "id"
    } else {
        "report"
    };
    // A page rendered before, and not touched by a write since, is served again as it is.
    let key = format!("{base}/{slug}|{language}|{representation:?}");
    let (content_type, bytes) = match state.pages.get(&key) {
        Ok(page) => page,
        Err(ticket) => {
            let found = if crate::queries::is_slug(&slug) {
                let iri = NamedNode::new_unchecked(format!("{namespace}{slug}"));
                let (graph, search) = (state.graph.clone(), state.search.clone());
                blocking(&state, move || view(&graph, &search, &iri)).await??
            } else {
                None
            };
            let Some(view) = found else {
                return Ok(not_found(&state, &slug, representation));
            };
            let page = render(&view, representation, &language)?;
            state.pages.put(key, ticket, page.clone(), view.shows());
            page
        }
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    let link = format!(
        "</{base}/{slug}?format=turtle>; rel=\"alternate\"; type=\"text/turtle\", </{base}/{slug}?format=jsonld>; rel=\"alternate\"; type=\"application/ld+json\", </{base}/{slug}?format=nt>; rel=\"alternate\"; type=\"application/n-triples\", </{base}/{slug}?format=json>; rel=\"alternate\"; type=\"application/json\""
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, value);
    }
    Ok(response)
}

/// A view in one representation: its content type and bytes.
fn render(
    view: &View,
    representation: Representation,
    language: &str,
) -> Result<(String, axum::body::Bytes), ApiError> {
    Ok(match representation {
        Representation::Html => (
            "text/html; charset=utf-8".to_owned(),
            html(view, language).into(),
        ),
        Representation::Json => (
            "application/json".to_owned(),
            serde_json::to_vec(&json_view(view))
                .expect("JSON values serialise")
                .into(),
        ),
        Representation::Rdf(format) => {
            let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
            let iri = NamedNode::new_unchecked(view.iri.clone());
            for statement in &view.statements {
                let property = NamedNode::new_unchecked(statement.property.clone());
                let triple = if statement.outgoing {
                    Triple::new(iri.clone(), property, statement.other.clone())
                } else {
                    let Ok(subject) =
                        oxigraph::model::NamedOrBlankNode::try_from(statement.other.clone())
                    else {
                        continue;
                    };
                    Triple::new(subject, property, iri.clone())
                };
                let written = match (&statement.graph, format.supports_datasets()) {
                    (Some(graph), true) => serializer.serialize_quad(&Quad::new(
                        triple.subject,
                        triple.predicate,
                        triple.object,
                        NamedNode::new_unchecked(graph.clone()),
                    )),
                    _ => serializer.serialize_triple(&triple),
                };
                written.map_err(|error| ApiError::Store(error.into()))?;
            }
            let body = serializer
                .finish()
                .map_err(|error| ApiError::Store(error.into()))?;
            (representation.content_type(), body.into())
        }
        Representation::Results(_) => unreachable!("not offered"),
    })
}

/// Rendered pages, each with the IRIs it shows (the entity, its neighbours, the claims,
/// the reports and their publishers). A write drops the pages showing any IRI it wrote
/// about (as subject, object or graph), so a page never outlives what it shows, and a
/// write costs the pages it touched, not the whole cache.
#[derive(Clone)]
pub struct PageCache {
    inner: std::sync::Arc<CachedPages>,
}

struct CachedPages {
    pages: std::sync::Mutex<Pages>,
}

/// A content type and body.
type Page = (String, axum::body::Bytes);

#[derive(Default)]
struct Pages {
    /// Request key → the page and the IRIs it shows.
    by_key: HashMap<String, (Page, Vec<String>)>,
    /// IRI → the keys of the pages showing it.
    by_iri: HashMap<String, HashSet<String>>,
    /// Counts the writes seen: a page rendered across a write is not kept.
    writes: u64,
}

/// Pages kept at most (the cache starts over past this).
const CACHED_PAGES: usize = 4_096;

impl PageCache {
    /// A cache told of every write to `graph`.
    pub fn new(graph: &Graph) -> Self {
        let inner = std::sync::Arc::new(CachedPages {
            pages: std::sync::Mutex::new(Pages::default()),
        });
        let watcher: std::sync::Arc<dyn crate::changes::Watcher> = inner.clone();
        graph.watch(std::sync::Arc::downgrade(&watcher));
        Self { inner }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.inner
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The page, and a ticket to give [`PageCache::put`] when there is none.
    fn get(&self, key: &str) -> Result<Page, u64> {
        let pages = self.lock();
        match pages.by_key.get(key) {
            Some((page, _)) => Ok(page.clone()),
            None => Err(pages.writes),
        }
    }

    /// Keeps a page rendered after [`PageCache::get`] gave `ticket`, unless a write came
    /// in between (it may have been rendered from the store before that write).
    fn put(&self, key: String, ticket: u64, page: Page, shows: Vec<String>) {
        let mut pages = self.lock();
        if pages.writes != ticket {
            return;
        }
        if pages.by_key.len() >= CACHED_PAGES {
            pages.by_key.clear();
            pages.by_iri.clear();
        }
        for iri in &shows {
            pages
                .by_iri
                .entry(iri.clone())
                .or_default()
                .insert(key.clone());
        }
        pages.by_key.insert(key, (page, shows));
    }
}

impl crate::changes::Watcher for CachedPages {
    fn changed(&self, _: &oxigraph::store::Store, change: &crate::changes::Change) {
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.writes += 1;
        if matches!(change, crate::changes::Change::Unknown) {
            pages.by_key.clear();
            pages.by_iri.clear();
            return;
        }
        let mut touched: HashSet<&str> = HashSet::new();
        for (quad, _) in change.quads() {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(subject) = &quad.subject {
                touched.insert(subject.as_str());
            }
            if let Term::NamedNode(object) = &quad.object {
                touched.insert(object.as_str());
            }
            if let oxigraph::model::GraphName::NamedNode(graph) = &quad.graph_name {
                touched.insert(graph.as_str());
            }
        }
        for iri in touched {
            let Some(keys) = pages.by_iri.remove(iri) else {
                continue;
            };
            for key in keys {
                if let Some((_, shows)) = pages.by_key.remove(&key) {
                    for other in shows {
                        if let Some(keys) = pages.by_iri.get_mut(&other) {
                            keys.remove(&key);
                            if keys.is_empty() {
                                pages.by_iri.remove(&other);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl View {
    /// Every IRI the page shows or depends on: a write about any of them may change it.
    fn shows(&self) -> Vec<String> {
        let mut iris: HashSet<String> = HashSet::from([self.iri.clone()]);
        for statement in &self.statements {
            iris.insert(statement.property.clone());
            if let Term::NamedNode(other) = &statement.other {
                iris.insert(other.as_str().to_owned());
            }
            iris.extend(statement.graph.clone());
        }
        for (neighbour, next) in &self.second_hop {
            iris.insert(neighbour.clone());
            iris.extend(next.iter().cloned());
        }
        iris.extend(self.context.labels.keys().cloned());
        iris.extend(self.context.types.keys().cloned());
        for (claim, graph) in self.context.status.keys() {
            iris.insert(claim.clone());
            iris.insert(graph.clone());
        }
        iris.extend(self.context.dates.keys().cloned());
        for source in self.sources.values() {
            iris.insert(source.iri.clone());
            iris.extend(source.publisher.clone());
        }
        for (relationship, claims) in &self.asserted {
            iris.insert(relationship.graph.clone());
            for asserted in claims {
                iris.insert(asserted.claim.clone());
                iris.insert(asserted.status.clone());
            }
        }
        iris.into_iter().collect()
    }
}

fn not_found(state: &AppState, slug: &str, representation: Representation) -> Response {
    let words = slug.replace('-', " ");
    // This runs on the event loop, which must not wait: no suggestions while a write is
    // updating the index.
    let suggestions: Vec<crate::search::Hit> = state
        .search
        .try_read(|index| index.search(&words, &[], "en", 5))
        .unwrap_or_default();
    match representation {
        Representation::Html => {
            let mut list = String::new();
            for hit in &suggestions {
                let url = page_of(&hit.iri).unwrap_or_default();
                let _ = write!(list, "<li><a href=\"{}\">{}</a></li>", escape_html(&url), escape_html(&hit.label));
            }
            let body = format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · spyatlas</title></head><body><h1>Nothing is known as “{slug}”</h1>{}<p><a href=\"/search?q={query}\">Search</a> · <a href=\"/sparql\">SPARQL</a></p></body></html>",
                if list.is_empty() { String::new() } else { format!("<p>Did you mean:</p><ul class=\"suggestions\">{list}</ul>") },
                slug = escape_html(slug),
                query = escape_html(&form_urlencoded::byte_serialize(words.as_bytes()).collect::<String>()),
            );
            (StatusCode::NOT_FOUND, Html(body)).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({
                "error": format!("nothing is known as `{slug}`"),
                "suggestions": suggestions.iter().map(|hit| json!({"slug": hit.slug, "label": hit.label, "url": page_of(&hit.iri)})).collect::<Vec<_>>(),
            })),
        )
            .into_response(),
    }
}

/// The relationships of an entity, grouped by (direction, property).
fn groups(view: &View) -> BTreeMap<(bool, String), Vec<&Statement>> {
    let mut groups: BTreeMap<(bool, String), Vec<&Statement>> = BTreeMap::new();
    for statement in &view.statements {
        let described = statement.outgoing
            && matches!(
                statement.property.as_str(),
                RDFS_LABEL | ALT_LABEL | RDFS_COMMENT | RDF_TYPE
            );
        if !described && matches!(statement.other, Term::NamedNode(_)) {
            groups
                .entry((!statement.outgoing, statement.property.clone()))
                .or_default()
                .push(statement);
        }
    }
    groups
}

fn texts<'a>(view: &'a View, property: &str) -> Vec<(String, &'a str)> {
    view.statements
        .iter()
        .filter(|s| s.outgoing && s.property == property)
        .filter_map(|s| match &s.other {
            Term::Literal(literal) => Some((
                literal.language().unwrap_or_default().to_owned(),
                literal.value(),
            )),
            _ => None,
        })
        .collect()
}

/// The entity as compacted JSON-LD with the spyatlas context: its own statements under the
/// context's keys (`label`, `country`, `status`...), the statements pointing to it under
/// `@reverse`; entity references as slugs, concepts by name.
fn json_view(view: &View) -> Value {
    use crate::ingest::document::{TermStyle, term_of};
    let compact_iri = |iri: &str| -> String {
        if let Some(slug) = iri.strip_prefix(vocab::ID_NAMESPACE) {
            slug.to_owned()
        } else if let Some(slug) = iri.strip_prefix(vocab::REPORT_NAMESPACE) {
            format!("report:{slug}")
        } else {
            iri.to_owned()
        }
    };
    let mut node = Map::new();
    node.insert(
        "@context".into(),
        json!(crate::ingest::document::CONTEXT_IRI),
    );
    node.insert("id".into(), json!(compact_iri(&view.iri)));
    let mut reverse = Map::new();
    let push = |map: &mut Map<String, Value>, key: &str, value: Value| match map.get_mut(key) {
        Some(Value::Array(values)) => {
            if !values.contains(&value) {
                values.push(value);
            }
        }
        Some(existing) => {
            if *existing != value {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
        None => {
            map.insert(key.to_owned(), value);
        }
    };
    for statement in &view.statements {
        if statement.property == RDF_TYPE {
            if let Term::NamedNode(class) = &statement.other {
                let name = class
                    .as_str()
                    .strip_prefix(SA)
                    .map_or_else(|| class.as_str().to_owned(), str::to_owned);
                push(&mut node, "type", json!(name));
            }
            continue;
        }
        let term = term_of(&statement.property);
        let key = term.map_or_else(|| statement.property.clone(), |(name, _)| name.to_owned());
        let style = term.map(|(_, style)| style);
        if !statement.outgoing {
            if let Term::NamedNode(subject) = &statement.other {
                push(&mut reverse, &key, json!(compact_iri(subject.as_str())));
            }
            continue;
        }
        match (&statement.other, style) {
            (Term::Literal(literal), Some(TermStyle::Language)) => {
                let language = literal.language().unwrap_or("@none").to_owned();
                let map = node.entry(key).or_insert_with(|| json!({}));
                if let Value::Object(map) = map {
                    push(map, &language, json!(literal.value()));
                }
            }
            (Term::NamedNode(value), Some(TermStyle::Vocabulary)) => {
                let name = value
                    .as_str()
                    .strip_prefix(SA)
                    .map_or_else(|| value.as_str().to_owned(), str::to_owned);
                push(&mut node, &key, json!(name));
            }
            (Term::NamedNode(value), Some(TermStyle::Reference)) => {
                push(&mut node, &key, json!(compact_iri(value.as_str())));
            }
            (Term::NamedNode(value), _) => {
                push(&mut node, &key, json!({ "@id": value.as_str() }));
            }
            (Term::Literal(literal), _) => {
                let value = match literal.language() {
                    Some(language) => json!({ "@value": literal.value(), "@language": language }),
                    None if literal.datatype() == oxigraph::model::vocab::xsd::STRING => {
                        json!(literal.value())
                    }
                    None => {
                        json!({ "@value": literal.value(), "@type": literal.datatype().as_str() })
                    }
                };
                push(&mut node, &key, value);
            }
            _ => {}
        }
    }
    if !reverse.is_empty() {
        node.insert("@reverse".into(), Value::Object(reverse));
    }
    // Every relationship with the report asserting it and the status each asserting claim
    // has there: a key outside the JSON-LD context, which JSON-LD processors leave out.
    let status_name = |iri: &str| {
        iri.strip_prefix(SA)
            .map_or_else(|| iri.to_owned(), str::to_owned)
    };
    let relationships: Vec<Value> = view
        .statements
        .iter()
        .filter(|statement| statement.property != RDF_TYPE)
        .filter_map(|statement| {
            let relationship = statement.relationship(&view.iri)?;
            let asserted: Vec<Value> = view
                .asserted
                .get(&relationship)
                .into_iter()
                .flatten()
                .map(|asserted| {
                    json!({
                        "claim": compact_iri(&asserted.claim),
                        "status": status_name(&asserted.status),
                    })
                })
                .collect();
            let property = term_of(&statement.property)
                .map_or_else(|| statement.property.clone(), |(name, _)| name.to_owned());
            Some(json!({
                "subject": compact_iri(&relationship.subject),
                "property": property,
                "object": compact_iri(&relationship.object),
                "report": compact_iri(&relationship.graph),
                "asserted": asserted,
            }))
        })
        .collect();
    node.insert("relationships".into(), Value::Array(relationships));
    Value::Object(node)
}

fn colour(types: Option<&Vec<String>>) -> &'static str {
    let kinds: Vec<&str> = types
        .map(|types| types.iter().filter_map(|t| t.strip_prefix(SA)).collect())
        .unwrap_or_default();
    for (kind, colour) in [
        ("Vendor", "#d62728"),
        ("Product", "#ff7f0e"),
        ("Government", "#1f77b4"),
        ("Agency", "#17becf"),
        ("Person", "#2ca02c"),
        ("Organization", "#9467bd"),
        ("Platform", "#8c564b"),
        ("Country", "#7f7f7f"),
        ("Incident", "#e377c2"),
        ("Report", "#bcbd22"),
    ] {
        if kinds.contains(&kind) {
            return colour;
        }
    }
    "#aaaaaa"
}

/// The neighbourhood as an SVG: the entity in the middle, its neighbours around it, each a
/// link to its page.
fn svg(view: &View, language: &str) -> String {
    let ctx = &view.context;
    let mut neighbours: Vec<(String, String)> = Vec::new();
    for ((_, property), statements) in groups(view) {
        for statement in statements {
            if let Term::NamedNode(other) = &statement.other
                && page_of(other.as_str()).is_some()
                && !neighbours.iter().any(|(iri, _)| iri == other.as_str())
            {
                neighbours.push((other.as_str().to_owned(), property.clone()));
            }
        }
    }
    neighbours.truncate(24);
    let (width, height, cx, cy, radius) = (640.0, 480.0, 320.0, 240.0, 130.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"neighbourhood\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"neighbourhood\">"
    );
    let count = neighbours.len().max(1) as f64;
    let mut nodes = String::new();
    for (position, (iri, property)) in neighbours.iter().enumerate() {
        let angle = std::f64::consts::TAU * position as f64 / count;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        let property_label = label_in(ctx.labels.get(property), language, property);
        let _ = write!(
            out,
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#ccc\"><title>{}</title></line>",
            escape_html(&property_label)
        );
        // Second hop: further out, around the neighbour it hangs from.
        let outer = view
            .second_hop
            .get(iri)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (offset, far) in outer.iter().enumerate() {
            let spread = (offset as f64 - (outer.len() as f64 - 1.0) / 2.0) * 0.22;
            let (fx, fy) = (
                cx + 215.0 * (angle + spread).cos(),
                cy + 215.0 * (angle + spread).sin(),
            );
            let far_name = label_in(ctx.labels.get(far), language, far);
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{fx:.1}\" y2=\"{fy:.1}\" stroke=\"#eee\"/>"
            );
            let _ = write!(
                nodes,
                "<a href=\"{href}\" class=\"node far\"><circle cx=\"{fx:.1}\" cy=\"{fy:.1}\" r=\"6\" fill=\"{fill}\"/><text x=\"{fx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" font-size=\"9\">{name}</text></a>",
                href = escape_html(&page_of(far).unwrap_or_default()),
                fill = colour(ctx.types.get(far)),
                ty = fy + 15.0,
                name = escape_html(&truncate(&far_name, 22)),
            );
        }
        let name = label_in(ctx.labels.get(iri), language, iri);
        let _ = write!(
            nodes,
            "<a href=\"{href}\" class=\"node\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"10\" fill=\"{fill}\"/><text x=\"{x:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" font-size=\"11\">{name}</text></a>",
            href = escape_html(&page_of(iri).unwrap_or_default()),
            fill = colour(ctx.types.get(iri)),
            ty = y + 22.0,
            name = escape_html(&truncate(&name, 28)),
        );
    }
    out.push_str(&nodes);
    let name = label_in(ctx.labels.get(&view.iri), language, &view.iri);
    let _ = write!(
        out,
        "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"16\" fill=\"{}\" stroke=\"#000\"/><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">{}</text></svg>",
        colour(ctx.types.get(&view.iri)),
        cy + 32.0,
        escape_html(&truncate(&name, 40))
    );
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn html(view: &View, language: &str) -> String {
    let ctx = &view.context;
    let label = |iri: &str| label_in(ctx.labels.get(iri), language, iri);
    let link = |iri: &str| match page_of(iri) {
        Some(url) => format!(
            "<a href=\"{}\">{}</a>",
            escape_html(&url),
            escape_html(&label(iri))
        ),
        // A concept of the ontology (a status, a role): its name.
        None if iri.starts_with(SA) => format!(
            "<span class=\"concept\">{}</span>",
            escape_html(&label(iri))
        ),
        None => external_link(iri, &label(iri)),
    };
    let source = |graph: &Option<String>| -> String {
        let Some(graph) = graph else {
            return String::new();
        };
        match view.sources.get(graph) {
            Some(source) => {
                let mut cite = format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(&page_of(&source.iri).unwrap_or_default()),
                    escape_html(&label_in(Some(&source.label), language, &source.iri))
                );
                if let Some(publisher) = &source.publisher {
                    let _ = write!(cite, ", {}", escape_html(&label(publisher)));
                }
                if let Some(issued) = &source.issued {
                    let _ = write!(cite, ", {}", escape_html(issued));
                }
                if let Some(url) = &source.url
                    && crate::links::is_web_address(url)
                {
                    let _ = write!(cite, " ({})", external_link(url, "original"));
                }
                format!("<span class=\"source\">according to {cite}</span>")
            }
            None => format!(
                "<span class=\"source\">{}</span>",
                escape_html(&short(graph))
            ),
        }
    };
    // A status badge, saying which claim in which report has it.
    let badge = |status: &str, claim: &str, graph: &str| {
        format!(
            "<span class=\"status\" data-status=\"{}\" data-claim=\"{}\" data-graph=\"{}\">{}</span>",
            escape_html(status),
            escape_html(claim),
            escape_html(graph),
            escape_html(&label(status))
        )
    };
    let name = label(&view.iri);
    let mut body = String::new();
    let types: Vec<String> = ctx
        .types
        .get(&view.iri)
        .map(|types| types.iter().map(|t| label(t)).collect())
        .unwrap_or_default();
    let _ = write!(
        body,
        "<h1 lang=\"{}\">{}</h1><p class=\"types\">{}</p>",
        escape_html(language),
        escape_html(&name),
        escape_html(&types.join(", "))
    );
    let aliases: Vec<String> = texts(view, ALT_LABEL)
        .into_iter()
        .map(|(l, t)| format!("{} ({})", t, l))
        .collect();
    if !aliases.is_empty() {
        let _ = write!(
            body,
            "<p class=\"aliases\">Also known as: {}</p>",
            escape_html(&aliases.join(", "))
        );
    }
    let descriptions = texts(view, RDFS_COMMENT);
    if let Some((_, text)) = descriptions
        .iter()
        .find(|(l, _)| l == language)
        .or_else(|| descriptions.iter().find(|(l, _)| l == "en"))
        .or(descriptions.first())
    {
        let _ = write!(body, "<p class=\"description\">{}</p>", escape_html(text));
    }
    for statement in view
        .statements
        .iter()
        .filter(|s| s.outgoing && s.property == EXACT_MATCH)
    {
        if let Term::NamedNode(item) = &statement.other {
            let _ = write!(
                body,
                "<p class=\"wikidata\">Wikidata: {}</p>",
                external_link(item.as_str(), item.as_str())
            );
        }
    }
    // Values of the entity's own (dates, counts, amounts, titles, outcomes), each with the
    // report that gives it; names and descriptions are shown above.
    let mut details: Vec<&Statement> = view
        .statements
        .iter()
        .filter(|s| {
            s.outgoing
                && matches!(s.other, Term::Literal(_))
                && !matches!(s.property.as_str(), RDFS_LABEL | ALT_LABEL | RDFS_COMMENT)
                && s.property != vocab::loader::CONTENT_HASH.as_str()
        })
        .collect();
    details.sort_by(|a, b| a.property.cmp(&b.property));
    if !details.is_empty() {
        body.push_str("<h2>Details</h2><dl class=\"details\">");
        let mut last = "";
        for statement in details {
            let Term::Literal(literal) = &statement.other else {
                continue;
            };
            if statement.property != last {
                let _ = write!(
                    body,
                    "<dt>{}</dt>",
                    escape_html(&label(&statement.property))
                );
                last = &statement.property;
            }
            let language = literal
                .language()
                .map(|tag| format!(" <span class=\"lang\">({})</span>", escape_html(tag)))
                .unwrap_or_default();
            let _ = write!(
                body,
                "<dd>{}{language} {}</dd>",
                escape_html(literal.value()),
                source(&statement.graph)
            );
        }
        body.push_str("</dl>");
    }
    body.push_str(&svg(view, language));
    body.push_str("<h2>Relationships</h2>");
    for ((incoming, property), statements) in groups(view) {
        if property == EXACT_MATCH {
            continue;
        }
        let heading = if incoming {
            format!("{} (of)", label(&property))
        } else {
            label(&property)
        };
        let _ = write!(
            body,
            "<h3>{}</h3><ul class=\"relationships\">",
            escape_html(&heading)
        );
        for statement in statements {
            let Term::NamedNode(other) = &statement.other else {
                continue;
            };
            // The status each asserting claim has in this statement's report; a claim
            // other than the two ends (a targeting beside an incident's target) is named.
            let relationship = statement.relationship(&view.iri);
            let mut badges = String::new();
            if let Some(relationship) = &relationship {
                for asserted in view.asserted.get(relationship).into_iter().flatten() {
                    let _ = write!(
                        badges,
                        " {}",
                        badge(&asserted.status, &asserted.claim, &relationship.graph)
                    );
                    if asserted.claim != relationship.subject
                        && asserted.claim != relationship.object
                    {
                        let _ = write!(
                            badges,
                            " <span class=\"claim\">per {}</span>",
                            link(&asserted.claim)
                        );
                    }
                }
            }
            let data = relationship
                .map(|r| {
                    format!(
                        " data-subject=\"{}\" data-property=\"{}\" data-object=\"{}\" data-graph=\"{}\"",
                        escape_html(&r.subject),
                        escape_html(&r.property),
                        escape_html(&r.object),
                        escape_html(&r.graph)
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                body,
                "<li{data}>{}{badges} {}</li>",
                link(other.as_str()),
                source(&statement.graph)
            );
        }
        if let Some(more) = view.omitted.get(&(incoming, property.clone())) {
            let _ = write!(
                body,
                "<li class=\"more\">and {more} more (the SPARQL link below lists them all)</li>"
            );
        }
        body.push_str("</ul>");
    }
    // Timeline: dated things around the entity, oldest first.
    // Each dated claim once per report dating it, with the status that report gives it.
    let mut events: Vec<(String, String, Option<String>)> = Vec::new();
    let mut around: Vec<&str> = vec![view.iri.as_str()];
    around.extend(view.statements.iter().filter_map(|s| match &s.other {
        Term::NamedNode(node) => Some(node.as_str()),
        _ => None,
    }));
    around.sort_unstable();
    around.dedup();
    for thing in around {
        for (date, graph) in ctx.dates.get(thing).into_iter().flatten() {
            events.push((date.clone(), thing.to_owned(), Some(graph.clone())));
        }
    }
    for source in view.sources.values() {
        if let Some(issued) = &source.issued {
            events.push((issued.clone(), source.iri.clone(), None));
        }
    }
    events.sort();
    events.dedup();
    if !events.is_empty() {
        body.push_str("<h2>Timeline</h2><ol class=\"timeline\">");
        for (date, thing, graph) in events {
            let mut badges = String::new();
            if let Some(graph) = &graph {
                for status in ctx
                    .status
                    .get(&(thing.clone(), graph.clone()))
                    .into_iter()
                    .flatten()
                {
                    let _ = write!(badges, " {}", badge(status, &thing, graph));
                }
            }
            let _ = write!(
                body,
                "<li><time>{}</time> {}{badges} {}</li>",
                escape_html(&date),
                link(&thing),
                source(&graph)
            );
        }
        body.push_str("</ol>");
    }
    let sparql = format!("DESCRIBE <{}>", view.iri);
    let query: String = form_urlencoded::byte_serialize(sparql.as_bytes()).collect();
    let _ = write!(
        body,
        "<p><a href=\"/sparql?query={query}\" class=\"sparql\">Query this in SPARQL</a></p>"
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · spyatlas</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}.types,.source{{color:#555;font-size:.9em}}.status{{background:#eee;border-radius:4px;padding:0 .3em;font-size:.85em}}svg a text{{fill:#222}}</style>
</head>
<body>
<p><a href="/search">Search</a> · <a href="/sparql">SPARQL</a> · <a href="?lang=en">en</a> <a href="?lang=nl">nl</a> <a href="?lang=it">it</a></p>
{body}
</body>
</html>
"#,
        lang = escape_html(language),
        title = escape_html(&name),
    )
}
