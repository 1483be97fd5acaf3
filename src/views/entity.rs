//! An entity's page (or a report's): [`neighbourhood`] reads what the store says around
//! an IRI (its statements in every report, the claims asserting them with the statuses
//! their reports give, the reports and their publishers, a second hop when the first is
//! small); [`EntityPage::new`] turns it into what the page shows in one language:
//! relationships as sentences grouped by topic, each with its status badges and its report,
//! the reports mentioning it, the details, a timeline and the picture.

use super::phrases::{self, Topic};
use super::picture::{self, Kind, Picture};
use super::{Lang, Named, label_in, legend, page_of, short};
use crate::claims::{Asserted, Relationship};
use crate::lookups;
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::{NamedNode, Term};
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::vocab::read::{
    RDF_TYPE, RDFS_COMMENT, RDFS_LABEL, SCHEMA_MENTIONS as MENTIONS, SKOS_ALT_LABEL as ALT_LABEL,
    SKOS_EXACT_MATCH as EXACT_MATCH,
};

const SA: &str = vocab::ONTOLOGY_NAMESPACE;

/// Statements read for one page at most.
const MAX_STATEMENTS: usize = 600;
/// The second hop is drawn when the entity has at most this many neighbours...
const SECOND_HOP_WHEN: usize = 8;
/// ... each with at most this many of its own.
const SECOND_HOP_EACH: usize = 4;
/// Relationships of one kind shown; the rest are counted.
const MAX_PER_KIND: usize = 25;
/// Links of a report read for its page.
const MAX_REPORT_LINKS: usize = 800;
/// Claims whose statuses and dates are read for one page.
const MAX_CLAIMS: usize = 30;
/// Passages read per claim.
const MAX_QUOTES: usize = 20;
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

/// Whether a class (local name in the ontology) is a class of claims.
pub fn is_claim_class(class: &str) -> bool {
    CLAIMS.contains(&class)
}

fn is_claim_type(class: &str) -> bool {
    class.strip_prefix(SA).is_some_and(is_claim_class)
}

/// One statement touching the entity, with the graph it is in.
#[derive(Debug, Clone)]
pub struct Statement {
    pub outgoing: bool,
    pub property: String,
    pub other: Term,
    pub graph: Option<String>,
}

/// What the store says about the things an entity page mentions.
#[derive(Default)]
pub struct Context {
    pub labels: HashMap<String, Vec<(String, String)>>,
    pub types: HashMap<String, Vec<String>>,
    /// (claim, graph) → the statuses that report gives the claim.
    pub status: HashMap<(String, String), Vec<String>>,
    /// thing → (date, graph stating it).
    pub dates: HashMap<String, Vec<(String, String)>>,
    /// (claim, graph) → the passages that report quotes for the claim, with their
    /// language.
    pub quotes: HashMap<(String, String), Vec<(String, String)>>,
}

impl Context {
    /// Keeps a passage `graph` quotes for `claim`, with its language.
    fn add_quote(&mut self, claim: &str, graph: String, quote: &oxigraph::model::Literal) {
        // Kept in order (language, then text), whatever order the store answers in.
        let quotes = self.quotes.entry((claim.to_owned(), graph)).or_default();
        let quote = (
            quote.language().unwrap_or_default().to_owned(),
            quote.value().to_owned(),
        );
        if let Err(position) = quotes.binary_search(&quote) {
            quotes.insert(position, quote);
        }
    }
}

/// A report cited on a page.
pub struct Source {
    pub iri: String,
    pub label: Vec<(String, String)>,
    pub publisher: Option<String>,
    pub issued: Option<String>,
    pub url: Option<String>,
}

/// Everything the store says around one IRI, as read for its page.
pub struct Neighbourhood {
    pub iri: String,
    pub statements: Vec<Statement>,
    /// Relationships left out, by (incoming, property).
    pub omitted: BTreeMap<(bool, String), usize>,
    /// When the entity has few neighbours: the neighbours of each (second hop).
    pub second_hop: BTreeMap<String, Vec<String>>,
    pub context: Context,
    pub sources: BTreeMap<String, Source>,
    /// The claims asserting each relationship shown, with their statuses.
    pub asserted: HashMap<Relationship, Vec<Asserted>>,
    /// When the IRI is a report's: the links its graph states between other things (its
    /// claims), and how many more there are than read.
    pub claims: Vec<Relationship>,
    pub claims_omitted: bool,
}

impl Statement {
    /// The relationship this statement shows, when it links two nodes in a graph.
    pub fn relationship(&self, entity: &str) -> Option<Relationship> {
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

fn iri_of(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
        _ => None,
    }
}

/// What the store says around `iri`; `None` when nothing is said about it.
pub fn neighbourhood(
    graph: &Graph,
    index: &crate::search::Live,
    iri: &NamedNode,
) -> Result<Option<Neighbourhood>, StoreError> {
    // Its own statements first, so that a hub named by thousands still shows what it is,
    // then what others say of it.
    let entity = [("entity", Term::from(iri.clone()))];
    let mut rows = lookups::NEIGHBOURHOOD.rows(graph, &entity, MAX_STATEMENTS)?;
    let room = MAX_STATEMENTS
        .saturating_sub(rows.len())
        .max(MAX_STATEMENTS / 2);
    rows.extend(lookups::NEIGHBOURHOOD_IN.rows(graph, &entity, room)?);
    if rows.is_empty() {
        return Ok(None);
    }
    let mut statements: Vec<Statement> = rows
        .into_iter()
        .filter_map(|row| {
            Some(Statement {
                outgoing: matches!(row.get("direction"), Some(Term::Literal(l)) if l.value() == "out"),
                property: iri_of(row.get("p"))?,
                other: row.get("other")?.clone(),
                graph: iri_of(row.get("g")),
            })
        })
        .collect();
    // In one order whatever store answers (each engine lists rows its own way), so that
    // a page is the same on every store, and a passage quoted once goes under the same
    // sentence.
    statements.sort_by(|a, b| {
        (&a.property, a.outgoing, &a.graph)
            .cmp(&(&b.property, b.outgoing, &b.graph))
            .then_with(|| a.other.to_string().cmp(&b.other.to_string()))
    });
    // A hub (a country, a vendor) has thousands of relationships of one kind: each kind
    // shows its first ones, and says how many more there are.
    let mut shown: HashMap<(bool, String), usize> = HashMap::new();
    let mut omitted: BTreeMap<(bool, String), usize> = BTreeMap::new();
    let mut statements: Vec<Statement> = statements
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
            context
                .types
                .get(*thing)
                .is_some_and(|types| types.iter().any(|class| is_claim_type(class)))
        })
        .take(MAX_CLAIMS)
        .collect();
    let claims_read: Vec<String> = claims.iter().map(|claim| (*claim).clone()).collect();
    for claim in claims {
        for row in lookups::CLAIM_STATUS_AND_DATES.rows(
            graph,
            &[("claim", lookups::iri(claim))],
            MAX_QUOTES * 4,
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
                (Some(p), Some(Term::Literal(quote))) if p.ends_with("#quote") => {
                    context.add_quote(claim, g, quote);
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
    // A report's page shows every link its graph states between other things.
    let (mut claims, mut claims_omitted) = if iri.as_str().starts_with(vocab::REPORT_NAMESPACE) {
        report_links(graph, iri.as_str())?
    } else {
        (Vec::new(), false)
    };
    let named_in_claims: Vec<String> = claims
        .iter()
        .flat_map(|link| {
            [
                link.subject.clone(),
                link.object.clone(),
                link.property.clone(),
            ]
        })
        .filter(|thing| !context.labels.contains_key(thing))
        .collect::<HashSet<String>>()
        .into_iter()
        .collect();
    for (thing, (labels, types)) in index.describe_all(&named_in_claims)? {
        if !labels.is_empty() {
            context.labels.insert(thing.clone(), labels);
        }
        if !types.is_empty() {
            context.types.insert(thing, types);
        }
    }
    // The claim asserting each relationship, and the status its report gives it; the
    // names of asserting claims that are not on the page otherwise.
    let mut relationships: Vec<Relationship> = statements
        .iter()
        .filter_map(|statement| statement.relationship(iri.as_str()))
        .collect();
    relationships.extend(claims.iter().cloned());
    let describe = |iri: &str| {
        index
            .describe_all(&[iri.to_owned()])
            .ok()
            .and_then(|mut found| found.remove(iri))
    };
    // A subject the index knows with no claim class has no status of its own.
    let is_claim = |iri: &str| {
        describe(iri).is_none_or(|(_, types)| {
            types.is_empty() || types.iter().any(|class| is_claim_type(class))
        })
    };
    let crate::claims::Assertions {
        found: asserted,
        unresolved,
    } = crate::claims::asserting(graph, &relationships, is_claim)?;
    // A relationship whose status was not read is not shown: it is counted with the ones
    // left out.
    if !unresolved.is_empty() {
        statements.retain(|statement| {
            let keep = statement
                .relationship(iri.as_str())
                .is_none_or(|relationship| !unresolved.contains(&relationship));
            if !keep {
                *omitted
                    .entry((!statement.outgoing, statement.property.clone()))
                    .or_default() += 1;
            }
            keep
        });
        let before = claims.len();
        claims.retain(|link| !unresolved.contains(link));
        claims_omitted |= claims.len() < before;
    }
    let mut quoted: HashSet<String> = claims_read.into_iter().collect();
    for claims in asserted.values() {
        for asserted in claims {
            for thing in [&asserted.claim, &asserted.status] {
                if !context.labels.contains_key(thing)
                    && let Some((labels, _)) = describe(thing)
                {
                    context.labels.insert(thing.clone(), labels);
                }
            }
            // The passages quoted for the asserting claims the page did not read yet.
            if quoted.len() < MAX_CLAIMS * 2 && quoted.insert(asserted.claim.clone()) {
                for row in lookups::QUOTES.rows(
                    graph,
                    &[("claim", lookups::iri(&asserted.claim))],
                    MAX_QUOTES,
                )? {
                    if let (Some(g), Some(Term::Literal(quote))) =
                        (iri_of(row.get("g")), row.get("quote"))
                    {
                        context.add_quote(&asserted.claim, g, quote);
                    }
                }
            }
        }
    }
    let mut sources = BTreeMap::new();
    // One lookup per report: with the report's IRI written in, each is an index lookup (a
    // VALUES list over GRAPH ?r made the planner scan).
    for report in &graphs {
        for row in lookups::REPORT_SOURCE.rows(graph, &[("report", lookups::iri(report))], 1)? {
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
            for row in lookups::SECOND_HOP.rows(
                graph,
                &[
                    ("neighbour", lookups::iri(neighbour)),
                    ("entity", iri.clone().into()),
                ],
                SECOND_HOP_EACH,
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
    Ok(Some(Neighbourhood {
        iri: iri.as_str().to_owned(),
        statements,
        omitted,
        second_hop,
        context,
        sources,
        asserted,
        claims,
        claims_omitted,
    }))
}

/// The links a report's graph states between things other than the report: every
/// `subject property object` with an IRI object, except classes, mentions and statuses
/// (a status shows as the badge of the links it qualifies).
fn report_links(graph: &Graph, report: &str) -> Result<(Vec<Relationship>, bool), StoreError> {
    let rows = lookups::REPORT_LINKS.rows(
        graph,
        &[("report", lookups::iri(report))],
        MAX_REPORT_LINKS + 1,
    )?;
    let mut links: Vec<Relationship> = rows
        .iter()
        .filter_map(|row| {
            Some(Relationship {
                subject: iri_of(row.get("s"))?,
                property: iri_of(row.get("p"))?,
                object: iri_of(row.get("o"))?,
                graph: report.to_owned(),
            })
        })
        .collect();
    // One order whatever store answers (see `neighbourhood`).
    links.sort_by(|a, b| {
        (&a.subject, &a.property, &a.object).cmp(&(&b.subject, &b.property, &b.object))
    });
    let omitted = links.len() > MAX_REPORT_LINKS;
    links.truncate(MAX_REPORT_LINKS);
    Ok((links, omitted))
}

impl Neighbourhood {
    /// Every IRI the page shows or depends on: a write about any of them may change it.
    pub fn shows(&self) -> Vec<String> {
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
        for link in &self.claims {
            iris.insert(link.subject.clone());
            iris.insert(link.object.clone());
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

    fn label(&self, iri: &str, language: Lang) -> String {
        label_in(self.context.labels.get(iri), language, iri)
    }

    /// `iri` with its name: a web address without one is shown in full.
    fn named(&self, iri: &str, language: Lang) -> Named {
        let text = match self.context.labels.get(iri) {
            None if crate::links::is_web_address(iri)
                && page_of(iri).is_none()
                && !iri.starts_with(SA) =>
            {
                iri.to_owned()
            }
            labels => label_in(labels, language, iri),
        };
        Named::of(iri, text)
    }

    fn kind(&self, iri: &str) -> Kind {
        Kind::of(
            self.context
                .types
                .get(iri)
                .into_iter()
                .flatten()
                .filter_map(|class| class.strip_prefix(SA)),
        )
    }

    /// The literal values of one of the entity's own properties, with their languages.
    fn texts(&self, property: &str) -> Vec<(String, &str)> {
        self.statements
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

    /// The report a statement's graph is, cited.
    fn citation(&self, graph: Option<&String>, language: Lang) -> Option<Citation> {
        let graph = graph?;
        Some(match self.sources.get(graph) {
            Some(source) => Citation {
                title: label_in(Some(&source.label), language, &source.iri),
                href: page_of(&source.iri),
                publisher: source
                    .publisher
                    .as_ref()
                    .map(|publisher| self.label(publisher, language)),
                issued: source.issued.clone(),
                original: source
                    .url
                    .as_deref()
                    .filter(|url| crate::links::is_web_address(url))
                    .map(str::to_owned),
                graph: graph.clone(),
            },
            None => Citation {
                title: short(graph),
                href: None,
                publisher: None,
                issued: None,
                original: None,
                graph: graph.clone(),
            },
        })
    }

    /// The badges of the claims asserting `relationship`: the status each has in the
    /// relationship's report, exactly as that report gives it.
    fn badges(&self, relationship: &Relationship, language: Lang) -> Vec<Badge> {
        self.asserted
            .get(relationship)
            .into_iter()
            .flatten()
            .map(|asserted| Badge {
                status: asserted.status.clone(),
                key: legend::key_of(&asserted.status).to_owned(),
                word: self.status_word(&asserted.status, language),
                claim: asserted.claim.clone(),
                graph: relationship.graph.clone(),
                per: (asserted.claim != relationship.subject
                    && asserted.claim != relationship.object)
                    .then(|| self.named(&asserted.claim, language)),
            })
            .collect()
    }

    /// The passages quoted for the claims of `badges`, in the badges' reports.
    fn quotes(&self, badges: &[Badge]) -> Vec<Quote> {
        let mut quotes: Vec<Quote> = Vec::new();
        for badge in badges {
            let key = (badge.claim.clone(), badge.graph.clone());
            for (language, text) in self.context.quotes.get(&key).into_iter().flatten() {
                let quote = Quote {
                    text: text.clone(),
                    language: language.clone(),
                    claim: badge.claim.clone(),
                    graph: badge.graph.clone(),
                };
                if !quotes.contains(&quote) {
                    quotes.push(quote);
                }
            }
        }
        quotes
    }

    fn status_word(&self, status: &str, language: Lang) -> String {
        legend::status(status).map_or_else(
            || self.label(status, language),
            |known| known.name(language).to_owned(),
        )
    }
}

/// A report cited for a statement.
#[derive(Debug, Clone)]
pub struct Citation {
    pub title: String,
    /// Its page here.
    pub href: Option<String>,
    pub publisher: Option<String>,
    pub issued: Option<String>,
    /// The original, on the web.
    pub original: Option<String>,
    /// The report's graph IRI.
    pub graph: String,
}

/// The status one claim has in one report.
#[derive(Debug, Clone)]
pub struct Badge {
    /// The status IRI, and its key (`confirmed`).
    pub status: String,
    pub key: String,
    /// Its name in the page's language.
    pub word: String,
    /// The claim that has it, and the report giving it.
    pub claim: String,
    pub graph: String,
    /// The claim, named, when it is neither end of the relationship (a targeting beside an
    /// incident's target).
    pub per: Option<Named>,
}

/// A passage of a report, word for word, quoted for a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub text: String,
    /// Its language tag, for the page's `lang` attribute.
    pub language: String,
    /// The claim and report it is quoted for.
    pub claim: String,
    pub graph: String,
}

/// A piece of a sentence.
#[derive(Debug, Clone)]
pub enum Part {
    Text(String),
    /// The entity the page is about.
    This(String),
    Other(Named),
}

/// One relationship, as a sentence.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub parts: Vec<Part>,
    pub badges: Vec<Badge>,
    pub source: Option<Citation>,
    /// The passages the report quotes for the claims asserting the relationship, each
    /// shown once on a page (with the first sentence of its claim).
    pub quotes: Vec<Quote>,
    /// The triple and its graph, for scripts and tests reading the page.
    pub relationship: Option<Relationship>,
    /// For ordering: (property, the other end's name).
    order: (String, String),
}

/// "And N more" of one kind of relationship.
#[derive(Debug, Clone)]
pub struct Omitted {
    pub count: usize,
    pub what: String,
}

/// The relationships of one topic.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its anchor on the page.
    pub id: String,
    pub title: &'static str,
    pub sentences: Vec<Sentence>,
    pub omitted: Vec<Omitted>,
}

impl Section {
    /// An empty section of `topic` (`None`: relationships no phrase places), its anchor
    /// starting with `prefix`.
    fn new(topic: Option<Topic>, language: Lang, prefix: &str) -> Section {
        Section {
            id: format!("{prefix}{}", topic_id(topic)),
            title: topic.map_or_else(
                || other_title(language),
                |topic| phrases::topic_title(topic, language.code()),
            ),
            sentences: Vec::new(),
            omitted: Vec::new(),
        }
    }
}

/// One value of the entity's own (a date, a count, an amount), with its report.
#[derive(Debug, Clone)]
pub struct Value {
    pub text: String,
    pub language: Option<String>,
    pub source: Option<Citation>,
}

/// The values of one property.
#[derive(Debug, Clone)]
pub struct Detail {
    pub property: String,
    pub values: Vec<Value>,
}

/// A dated thing around the entity.
#[derive(Debug, Clone)]
pub struct Event {
    pub date: String,
    pub what: Named,
    pub badges: Vec<Badge>,
    pub source: Option<Citation>,
}

/// A status in the legend, in the page's language.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub key: String,
    pub word: String,
    pub definition: String,
    /// Whether the page shows it.
    pub shown: bool,
}

/// A kind of node in the picture's legend.
#[derive(Debug, Clone)]
pub struct KindEntry {
    pub key: &'static str,
    pub name: &'static str,
}

/// What an entity page shows.
#[derive(Debug, Clone)]
pub struct EntityPage {
    pub language: Lang,
    pub iri: String,
    /// `/id/{slug}` or `/report/{slug}`.
    pub path: String,
    pub name: String,
    pub kinds: Vec<String>,
    pub kind: &'static str,
    /// Other names, with their languages.
    pub aliases: Vec<(String, String)>,
    pub description: Option<String>,
    pub wikidata: Vec<Named>,
    pub details: Vec<Detail>,
    pub sections: Vec<Section>,
    /// The reports mentioning the entity.
    pub mentioned_in: Vec<Citation>,
    /// A report's page: who and what the report names.
    pub names: Vec<Named>,
    /// A report's page: every link its graph states, as sentences by topic, and whether
    /// there were more than a page shows.
    pub claims: Vec<Section>,
    pub claims_omitted: bool,
    pub timeline: Vec<Event>,
    pub picture: Picture,
    pub picture_kinds: Vec<KindEntry>,
    pub legend: Vec<LegendEntry>,
    /// `DESCRIBE` of the entity, as a link to the query page.
    pub sparql_href: String,
}

impl EntityPage {
    /// The page of `neighbourhood` in `language`.
    pub fn new(neighbourhood: &Neighbourhood, language: Lang) -> EntityPage {
        let n = neighbourhood;
        let name = n.label(&n.iri, language);
        let mut kinds: Vec<String> = n
            .context
            .types
            .get(&n.iri)
            .into_iter()
            .flatten()
            .map(|class| n.label(class, language))
            .collect();
        kinds.sort();
        kinds.dedup();
        let mut aliases: Vec<(String, String)> = n
            .texts(ALT_LABEL)
            .into_iter()
            .map(|(lang, text)| (text.to_owned(), lang))
            .collect();
        aliases.sort();
        aliases.dedup();
        let descriptions = n.texts(RDFS_COMMENT);
        let description = descriptions
            .iter()
            .find(|(l, _)| l == language.code())
            .or_else(|| descriptions.iter().find(|(l, _)| l == "en"))
            .or(descriptions.first())
            .map(|(_, text)| (*text).to_owned());
        let wikidata = n
            .statements
            .iter()
            .filter(|s| s.outgoing && s.property == EXACT_MATCH)
            .filter_map(|s| match &s.other {
                Term::NamedNode(item) => {
                    Some(Named::external(item.as_str(), item.as_str().to_owned()))
                }
                _ => None,
            })
            .collect();
        let (sections, mentioned_in, names) = sections(n, language);
        let claims = report_claims(n, language);
        let timeline = timeline(n, language);
        // The statuses the page shows a badge of, marked in the legend.
        let shown: HashSet<&str> = sections
            .iter()
            .chain(&claims)
            .flat_map(|section| &section.sentences)
            .flat_map(|sentence| &sentence.badges)
            .chain(timeline.iter().flat_map(|event| &event.badges))
            .map(|badge| badge.key.as_str())
            .collect();
        let legend = legend::statuses()
            .iter()
            .map(|status| LegendEntry {
                key: status.key.clone(),
                word: status.name(language).to_owned(),
                definition: status.definition(language).to_owned(),
                shown: shown.contains(status.key.as_str()),
            })
            .collect();
        let picture = draw(n, &name, language);
        let picture_kinds = picture
            .kinds
            .iter()
            .map(|kind| KindEntry {
                key: kind.key(),
                name: kind.name(language),
            })
            .collect();
        let sparql = format!("DESCRIBE <{}>", n.iri);
        EntityPage {
            language,
            path: page_of(&n.iri).unwrap_or_default(),
            iri: n.iri.clone(),
            kind: n.kind(&n.iri).key(),
            name,
            kinds,
            aliases,
            description,
            wikidata,
            details: details(n, language),
            sections,
            mentioned_in,
            names,
            claims,
            claims_omitted: n.claims_omitted,
            timeline,
            picture,
            picture_kinds,
            legend,
            sparql_href: format!(
                "/sparql?query={}",
                form_urlencoded::byte_serialize(sparql.as_bytes()).collect::<String>()
            ),
        }
    }
}

/// Values of the entity's own (dates, counts, amounts, titles, outcomes), each with the
/// report that gives it; names and descriptions are shown elsewhere.
fn details(n: &Neighbourhood, language: Lang) -> Vec<Detail> {
    let mut values: Vec<&Statement> = n
        .statements
        .iter()
        .filter(|s| {
            s.outgoing
                && matches!(s.other, Term::Literal(_))
                && !matches!(s.property.as_str(), RDFS_LABEL | ALT_LABEL | RDFS_COMMENT)
                && s.property != vocab::loader::CONTENT_HASH.as_str()
        })
        .collect();
    values.sort_by(|a, b| a.property.cmp(&b.property));
    let mut details: Vec<Detail> = Vec::new();
    for statement in values {
        let Term::Literal(literal) = &statement.other else {
            continue;
        };
        let value = Value {
            text: literal.value().to_owned(),
            language: literal.language().map(str::to_owned),
            source: n.citation(statement.graph.as_ref(), language),
        };
        let property = n.label(&statement.property, language);
        match details.last_mut() {
            Some(last) if last.property == property => last.values.push(value),
            _ => details.push(Detail {
                property,
                values: vec![value],
            }),
        }
    }
    details
}

/// The title of the section of relationships no phrase places.
fn other_title(language: Lang) -> &'static str {
    match language {
        Lang::En => "Other relationships",
        Lang::Nl => "Andere verbanden",
        Lang::It => "Altre relazioni",
    }
}

fn topic_id(topic: Option<Topic>) -> &'static str {
    match topic {
        Some(Topic::Incidents) => "incidents",
        Some(Topic::Products) => "products",
        Some(Topic::Customers) => "customers",
        Some(Topic::Responses) => "responses",
        Some(Topic::Organisation) => "organisation",
        Some(Topic::Places) => "places",
        Some(Topic::Sources) => "sources",
        None => "other",
    }
}

/// The relationships as sentences, by topic; the reports mentioning the entity; and, on
/// a report's page, who and what the report names.
fn sections(n: &Neighbourhood, language: Lang) -> (Vec<Section>, Vec<Citation>, Vec<Named>) {
    let this = n.label(&n.iri, language);
    let mut by_topic: BTreeMap<Option<Topic>, Section> = BTreeMap::new();
    let mut mentioned_in: Vec<Citation> = Vec::new();
    let mut names: Vec<Named> = Vec::new();
    let section = |topic: Option<Topic>| Section::new(topic, language, "");
    for statement in &n.statements {
        let Term::NamedNode(other) = &statement.other else {
            continue;
        };
        if statement.outgoing
            && matches!(
                statement.property.as_str(),
                RDFS_LABEL | ALT_LABEL | RDFS_COMMENT | RDF_TYPE | EXACT_MATCH
            )
        {
            continue;
        }
        if statement.property == MENTIONS {
            if statement.outgoing {
                names.push(n.named(other.as_str(), language));
            } else if let Some(citation) = n.citation(Some(&other.as_str().to_owned()), language) {
                mentioned_in.push(citation);
            }
            continue;
        }
        let topic = phrases::phrase(&statement.property).map(|phrase| phrase.topic);
        let other_named = n.named(other.as_str(), language);
        let (this, other_part) = (Part::This(this.clone()), Part::Other(other_named.clone()));
        let (subject, object) = if statement.outgoing {
            (this, other_part)
        } else {
            (other_part, this)
        };
        let parts = reading(
            &statement.property,
            &n.label(&statement.property, language),
            language,
            !statement.outgoing,
            subject,
            object,
        );
        let relationship = statement.relationship(&n.iri);
        let badges = relationship
            .as_ref()
            .map(|relationship| n.badges(relationship, language))
            .unwrap_or_default();
        let quotes = n.quotes(&badges);
        by_topic
            .entry(topic)
            .or_insert_with(|| section(topic))
            .sentences
            .push(Sentence {
                parts,
                quotes,
                badges,
                // On a report's own page, its statements need no citation of it.
                source: n.citation(
                    statement.graph.as_ref().filter(|graph| **graph != n.iri),
                    language,
                ),
                relationship,
                order: (
                    format!("{}{}", u8::from(!statement.outgoing), statement.property),
                    other_named.text.clone(),
                ),
            });
    }
    for ((incoming, property), count) in &n.omitted {
        if property == MENTIONS && *incoming {
            continue;
        }
        let topic = phrases::phrase(property).map(|phrase| phrase.topic);
        let what = n.label(property, language);
        by_topic
            .entry(topic)
            .or_insert_with(|| section(topic))
            .omitted
            .push(Omitted {
                count: *count,
                what,
            });
    }
    let mut sections: Vec<Section> = by_topic.into_values().collect();
    for section in &mut sections {
        section.sentences.sort_by(|a, b| a.order.cmp(&b.order));
    }
    quote_once(&mut sections);
    mentioned_in.sort_by(|a, b| (&a.issued, &a.title).cmp(&(&b.issued, &b.title)));
    mentioned_in.dedup_by(|a, b| a.graph == b.graph);
    names.sort_by(|a, b| a.text.cmp(&b.text));
    names.dedup();
    (sections, mentioned_in, names)
}

/// A report's links as sentences by topic, each with the status the report gives it.
fn report_claims(n: &Neighbourhood, language: Lang) -> Vec<Section> {
    let mut by_topic: BTreeMap<Option<Topic>, Section> = BTreeMap::new();
    for link in &n.claims {
        let topic = phrases::phrase(&link.property).map(|phrase| phrase.topic);
        let subject = n.named(&link.subject, language);
        let order = (subject.text.clone(), link.property.clone());
        let parts = reading(
            &link.property,
            &n.label(&link.property, language),
            language,
            false,
            Part::Other(subject),
            Part::Other(n.named(&link.object, language)),
        );
        by_topic
            .entry(topic)
            .or_insert_with(|| Section::new(topic, language, "claims-"))
            .sentences
            .push({
                let badges = n.badges(link, language);
                Sentence {
                    quotes: n.quotes(&badges),
                    parts,
                    badges,
                    source: None,
                    relationship: Some(link.clone()),
                    order,
                }
            });
    }
    let mut sections: Vec<Section> = by_topic.into_values().collect();
    for section in &mut sections {
        section.sentences.sort_by(|a, b| a.order.cmp(&b.order));
    }
    quote_once(&mut sections);
    sections
}

/// Keeps each passage with the first sentence (in page order) that shows its claim: an
/// incident asserting a dozen links is quoted once, not a dozen times.
fn quote_once(sections: &mut [Section]) {
    let mut shown: HashSet<(String, String, String)> = HashSet::new();
    for sentence in sections
        .iter_mut()
        .flat_map(|section| section.sentences.iter_mut())
    {
        sentence.quotes.retain(|quote| {
            shown.insert((quote.claim.clone(), quote.graph.clone(), quote.text.clone()))
        });
    }
}

/// How a relationship reads: its phrase in `language` (the one for the object's page when
/// `inverse`), else, for a property no phrase reads (from another vocabulary), the triple
/// as it is.
pub(crate) fn reading(
    property: &str,
    label: &str,
    language: Lang,
    inverse: bool,
    subject: Part,
    object: Part,
) -> Vec<Part> {
    match phrases::phrase(property) {
        Some(phrase) => {
            let patterns = if inverse {
                phrase.inverse
            } else {
                phrase.forward
            };
            fill(patterns[language.index()], subject, object)
        }
        None => vec![subject, Part::Text(format!(" — {label} — ")), object],
    }
}

/// The pattern's text with `{s}` and `{o}` replaced by the two ends.
fn fill(pattern: &str, subject: Part, object: Part) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = pattern;
    let (mut subject, mut object) = (Some(subject), Some(object));
    while let Some(at) = rest.find('{') {
        let (before, placeholder) = rest.split_at(at);
        let end = match placeholder.get(..3) {
            Some("{s}") => subject.take(),
            Some("{o}") => object.take(),
            _ => None,
        };
        match end {
            Some(end) => {
                if !before.is_empty() {
                    parts.push(Part::Text(before.to_owned()));
                }
                parts.push(end);
                rest = &placeholder[3..];
            }
            None => {
                parts.push(Part::Text(rest[..=at].to_owned()));
                rest = &rest[at + 1..];
            }
        }
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    parts
}

/// Dated things around the entity, oldest first: each dated claim once per report dating
/// it, with the status that report gives it; and when each report was issued.
fn timeline(n: &Neighbourhood, language: Lang) -> Vec<Event> {
    let mut events: Vec<(String, String, Option<String>)> = Vec::new();
    let mut around: Vec<&str> = vec![n.iri.as_str()];
    around.extend(n.statements.iter().filter_map(|s| match &s.other {
        Term::NamedNode(node) => Some(node.as_str()),
        _ => None,
    }));
    around.sort_unstable();
    around.dedup();
    for thing in around {
        for (date, graph) in n.context.dates.get(thing).into_iter().flatten() {
            events.push((date.clone(), thing.to_owned(), Some(graph.clone())));
        }
    }
    for source in n.sources.values() {
        if let Some(issued) = &source.issued {
            events.push((issued.clone(), source.iri.clone(), None));
        }
    }
    events.sort();
    events.dedup();
    events
        .into_iter()
        .map(|(date, thing, graph)| {
            let badges = graph
                .as_ref()
                .map(|graph| {
                    n.context
                        .status
                        .get(&(thing.clone(), graph.clone()))
                        .into_iter()
                        .flatten()
                        .map(|status| Badge {
                            status: status.clone(),
                            key: legend::key_of(status).to_owned(),
                            word: n.status_word(status, language),
                            claim: thing.clone(),
                            graph: graph.clone(),
                            per: None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Event {
                date,
                what: n.named(&thing, language),
                badges,
                source: n.citation(graph.as_ref(), language),
            }
        })
        .collect()
}

/// The neighbourhood picture: the entity's neighbours with pages, and theirs.
fn draw(n: &Neighbourhood, name: &str, language: Lang) -> Picture {
    let mut neighbours: Vec<picture::Neighbour> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for statement in &n.statements {
        let Term::NamedNode(other) = &statement.other else {
            continue;
        };
        if statement.property == RDF_TYPE || statement.property == MENTIONS {
            continue;
        }
        let Some(href) = page_of(other.as_str()) else {
            continue;
        };
        if !seen.insert(other.as_str()) {
            continue;
        }
        let further = n
            .second_hop
            .get(other.as_str())
            .into_iter()
            .flatten()
            .filter_map(|far| Some((n.label(far, language), page_of(far)?, n.kind(far))))
            .collect();
        neighbours.push(picture::Neighbour {
            name: n.label(other.as_str(), language),
            href,
            kind: n.kind(other.as_str()),
            relation: n.label(&statement.property, language),
            further,
        });
    }
    picture::draw((name, n.kind(&n.iri)), &neighbours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::This(name) => format!("[{name}]"),
                Part::Other(named) => format!("<{}>", named.text),
            })
            .collect()
    }

    #[test]
    fn patterns_are_filled_with_both_ends_in_their_places() {
        let other = Named::of("https://w3id.org/spyatlas/id/x", "X".into());
        let parts = fill(
            "{o} develops {s}.",
            Part::This("P".into()),
            Part::Other(other.clone()),
        );
        assert_eq!(texts(&parts), "<X> develops [P].");
        let parts = fill(
            "Role of {s}: {o}. {braces}",
            Part::This("P".into()),
            Part::Other(other),
        );
        assert_eq!(texts(&parts), "Role of [P]: <X>. {braces}");
    }
}
