//! Exports for other tools: STIX 2.1 bundles for threat-intelligence platforms, GEXF and
//! GraphML for network analysis (Gephi, networkx), and CSV of claims for spreadsheets.
//!
//! Each is made from one [`Extract`] of the store: the entities and the relationships
//! between them in report graphs, each relationship with the claims asserting it and the
//! status each report gives them ([`crate::claims::Statuses`], the rules the pages follow),
//! and the reports themselves. A relationship is exported once per report asserting it,
//! with that report's status; none is given a status its report does not give.

pub mod graphs;
pub mod stix;

use crate::claims::{Asserted, Relationship, Statuses};
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term,
};
use std::collections::{BTreeMap, BTreeSet};

/// The most quads an export reads: past it, an export of a report or neighbourhood is
/// refused, naming the limit.
pub const MAX_QUADS: usize = 2_000_000;

/// What an export covers.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every report and the reference graph.
    Store,
    /// One report's graph (its IRI).
    Report(String),
    /// One entity (its IRI), its relationships both ways, and those of the claims next to
    /// it (an incident's vendor, product and targets).
    Entity(String),
}

/// The formats of the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Stix,
    Gexf,
    GraphMl,
    Csv,
}

impl Format {
    /// By the name of `?format=`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "stix" => Some(Self::Stix),
            "gexf" => Some(Self::Gexf),
            "graphml" => Some(Self::GraphMl),
            "csv" | "claims-csv" => Some(Self::Csv),
            _ => None,
        }
    }

    /// By a media type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "application/stix+json" => Some(Self::Stix),
            "application/gexf+xml" => Some(Self::Gexf),
            "application/graphml+xml" => Some(Self::GraphMl),
            _ => None,
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Stix => "application/stix+json;version=2.1",
            Self::Gexf => "application/gexf+xml",
            Self::GraphMl => "application/graphml+xml",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Stix => "json",
            Self::Gexf => "gexf",
            Self::GraphMl => "graphml",
            Self::Csv => "csv",
        }
    }

    /// The export of `extract` in this format.
    pub fn write(self, extract: &Extract) -> Vec<u8> {
        match self {
            Self::Stix => stix::bundle(extract),
            Self::Gexf => graphs::gexf(extract).into_bytes(),
            Self::GraphMl => graphs::graphml(extract).into_bytes(),
            Self::Csv => graphs::claims_csv(extract).into_bytes(),
        }
    }
}

/// Why an export cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("nothing is known as {0}")]
    Unknown(String),
    #[error(
        "the export would read more than {MAX_QUADS} quads: export one report or one entity instead"
    )]
    TooLarge,
}

/// An entity (or a claim node) at an end of a relationship.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub iri: String,
    /// Its classes in the ontology, by local name (`Vendor`, `Incident`...).
    pub kinds: BTreeSet<String>,
    /// Its English label (else any), or its slug.
    pub label: String,
    /// Other properties kept for exports: the CVE id, an indicator's pattern...
    pub values: BTreeMap<String, String>,
}

impl Node {
    pub fn slug(&self) -> &str {
        self.iri
            .strip_prefix(vocab::ID_NAMESPACE)
            .unwrap_or(&self.iri)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kinds.contains(kind)
    }

    /// The first of its kinds, for a graph's node attribute.
    pub fn kind(&self) -> &str {
        const ORDER: &[&str] = &[
            "Vendor",
            "Product",
            "Government",
            "Agency",
            "Person",
            "Platform",
            "Vulnerability",
            "Country",
            "Incident",
            "Campaign",
            "Indicator",
            "NewsMediaOrganization",
            "Organization",
        ];
        ORDER
            .iter()
            .find(|kind| self.kinds.contains(**kind))
            .copied()
            .or_else(|| self.kinds.iter().next().map(String::as_str))
            .unwrap_or("Thing")
    }
}

/// A report (or the reference graph) that asserts relationships.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub iri: String,
    pub label: String,
    pub publisher: Option<String>,
    /// `dct:issued` as written (`2025-02`).
    pub issued: Option<String>,
    pub url: Option<String>,
    /// When the report was loaded (`xsd:dateTime`), else none (the reference graph).
    pub loaded_at: Option<String>,
    pub kinds: BTreeSet<String>,
}

/// A relationship between two nodes in one report, with the claims of that report
/// asserting it (none for a plain link).
#[derive(Debug, Clone)]
pub struct Edge {
    pub subject: String,
    /// The property's IRI.
    pub property: String,
    pub object: String,
    /// The graph: the report's IRI.
    pub source: String,
    pub asserted: Vec<Asserted>,
}

impl Extract {
    /// Every edge with its two nodes and its source, numbered.
    pub fn drawn_edges(&self) -> impl Iterator<Item = (usize, &Node, &Node, &Edge, &Source)> {
        self.edges.iter().enumerate().filter_map(|(number, edge)| {
            Some((
                number,
                self.nodes.get(&edge.subject)?,
                self.nodes.get(&edge.object)?,
                edge,
                self.sources.get(&edge.source)?,
            ))
        })
    }
}

impl Edge {
    /// The property's local name (`usedProduct`), or its IRI.
    pub fn property_name(&self) -> &str {
        local(&self.property)
    }

    /// The statuses the report gives the claims asserting this relationship, by local
    /// name, once each.
    pub fn statuses(&self) -> Vec<&str> {
        let mut statuses: Vec<&str> = self
            .asserted
            .iter()
            .map(|asserted| local(&asserted.status))
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    }
}

/// What an export shows.
#[derive(Debug, Default)]
pub struct Extract {
    pub nodes: BTreeMap<String, Node>,
    pub edges: Vec<Edge>,
    pub sources: BTreeMap<String, Source>,
    /// The STIX type of each class (`Vendor` → `threat-actor`), and the relationship type
    /// of each property (`usedProduct` → `uses`), by local name, as the alignments
    /// (`ontology/alignments.ttl`) give them.
    pub stix_types: BTreeMap<String, String>,
    pub stix_relationships: BTreeMap<String, String>,
}

fn local(iri: &str) -> &str {
    iri.strip_prefix(vocab::ONTOLOGY_NAMESPACE).unwrap_or(iri)
}

/// Whether a graph's relationships are exported: reports and the reference entities.
fn exported_graph(graph: &str) -> bool {
    graph.starts_with(vocab::REPORT_NAMESPACE) || graph == vocab::graph::REFERENCE.as_str()
}

/// Whether a quad is a relationship between two entities (not a type, a mention, or the
/// plumbing of a reified assertion).
fn is_relationship(quad: &Quad) -> bool {
    matches!(&quad.subject, NamedOrBlankNode::NamedNode(s) if s.as_str().starts_with(vocab::ID_NAMESPACE))
        && matches!(&quad.object, Term::NamedNode(o) if o.as_str().starts_with(vocab::ID_NAMESPACE))
        && !quad.predicate.as_str().starts_with(vocab::read::RDF)
        && quad.predicate.as_str() != vocab::read::SCHEMA_MENTIONS
}

/// The two entities a relationship links.
fn ends(quad: &Quad) -> [&str; 2] {
    let subject = match &quad.subject {
        NamedOrBlankNode::NamedNode(node) => node.as_str(),
        NamedOrBlankNode::BlankNode(_) => "",
    };
    let object = match &quad.object {
        Term::NamedNode(node) => node.as_str(),
        _ => "",
    };
    [subject, object]
}

fn touches(quad: &Quad, node: &str) -> bool {
    ends(quad).contains(&node)
}

/// Reads what `scope` covers.
pub fn extract(graph: &Graph, scope: &Scope) -> Result<Extract, ExportError> {
    let graphs: BTreeSet<String> = match scope {
        Scope::Store => graph
            .named_graphs()?
            .into_iter()
            .map(NamedNode::into_string)
            .filter(|name| exported_graph(name))
            .collect(),
        Scope::Report(iri) => {
            let name = NamedNode::new_unchecked(iri.clone());
            if !graph.contains_named_graph(name.as_ref().into())? {
                return Err(ExportError::Unknown(iri.clone()));
            }
            BTreeSet::from([iri.clone()])
        }
        Scope::Entity(iri) => {
            let node = NamedNodeRef::new_unchecked(iri);
            let mut graphs = BTreeSet::new();
            // A hub is named by many quads: read under the request's deadline.
            for (read, quad) in graph
                .quads_for_pattern(Some(node.into()), None, None, None)
                .chain(graph.quads_for_pattern(None, None, Some(node.into()), None))
                .enumerate()
            {
                if read % 65_536 == 65_535 {
                    crate::store::check_cancelled()?;
                }
                if let GraphName::NamedNode(name) = quad?.graph_name
                    && exported_graph(name.as_str())
                {
                    graphs.insert(name.into_string());
                }
            }
            if graphs.is_empty() {
                return Err(ExportError::Unknown(iri.clone()));
            }
            graphs
        }
    };
    let mut quads = Vec::new();
    for name in &graphs {
        let name = NamedNodeRef::new_unchecked(name);
        for quad in graph.quads_for_pattern(None, None, None, Some(name.into())) {
            quads.push(quad?);
            if quads.len() > MAX_QUADS {
                return Err(ExportError::TooLarge);
            }
            if quads.len() % 65_536 == 0 {
                crate::store::check_cancelled()?;
            }
        }
    }
    let statuses = Statuses::of(quads.iter().map(Quad::as_ref));
    let status_iri = format!("{}status", vocab::ONTOLOGY_NAMESPACE);
    // Claim nodes: those with a status in some graph.
    let claims: BTreeSet<&str> = quads
        .iter()
        .filter(|quad| quad.predicate.as_str() == status_iri)
        .filter_map(|quad| match &quad.subject {
            NamedOrBlankNode::NamedNode(node) => Some(node.as_str()),
            _ => None,
        })
        .collect();
    let relationships = quads.iter().filter(|quad| is_relationship(quad));
    let kept: Vec<&Quad> = match scope {
        Scope::Store | Scope::Report(_) => relationships.collect(),
        Scope::Entity(iri) => {
            let all: Vec<&Quad> = relationships.collect();
            // The claims next to the entity, whose own relationships are shown too.
            let next: BTreeSet<&str> = all
                .iter()
                .filter(|quad| touches(quad, iri))
                .flat_map(|quad| ends(quad))
                .filter(|node| node != iri && claims.contains(node))
                .collect();
            all.into_iter()
                .filter(|quad| touches(quad, iri) || next.iter().any(|claim| touches(quad, claim)))
                .collect()
        }
    };
    let mut extract = Extract::default();
    for relationship in kept.into_iter().filter_map(Relationship::of_quad) {
        let asserted = statuses.asserting(&relationship);
        for end in [&relationship.subject, &relationship.object] {
            extract.nodes.entry(end.to_owned()).or_insert_with(|| Node {
                iri: end.to_owned(),
                ..Node::default()
            });
        }
        extract
            .sources
            .entry(relationship.graph.clone())
            .or_default();
        extract.edges.push(Edge {
            subject: relationship.subject,
            property: relationship.property,
            object: relationship.object,
            source: relationship.graph,
            asserted,
        });
    }
    extract.edges.sort_by(|a, b| {
        (&a.source, &a.subject, &a.property, &a.object).cmp(&(
            &b.source,
            &b.subject,
            &b.property,
            &b.object,
        ))
    });
    extract.edges.dedup_by(|a, b| {
        (&a.source, &a.subject, &a.property, &a.object)
            == (&b.source, &b.subject, &b.property, &b.object)
    });
    // Reports whose graph holds no relationship (a report of one entity) still count.
    if let Scope::Report(iri) = scope {
        extract.sources.entry(iri.clone()).or_default();
    }
    for node in extract.nodes.values_mut() {
        describe(graph, node)?;
    }
    for (iri, source) in extract.sources.iter_mut() {
        *source = describe_source(graph, iri)?;
    }
    for row in crate::lookups::STIX_ALIGNMENTS.rows(graph, &[], usize::MAX)? {
        let Some(Term::NamedNode(term)) = row.get("term") else {
            continue;
        };
        let name = local(term.as_str()).to_owned();
        match (row.get("type"), row.get("relationship")) {
            (Some(Term::Literal(kind)), _) => {
                extract.stix_types.insert(name, kind.value().to_owned());
            }
            (_, Some(Term::Literal(kind))) => {
                extract
                    .stix_relationships
                    .insert(name, kind.value().to_owned());
            }
            _ => {}
        }
    }
    Ok(extract)
}

/// The properties of nodes an export keeps besides labels and classes.
const VALUES: &[&str] = &[
    "cveId",
    "pattern",
    "patternType",
    "validFrom",
    "date",
    "startDate",
    "endDate",
];

/// Fills in a node's classes, label and kept values, from every graph.
fn describe(graph: &Graph, node: &mut Node) -> Result<(), StoreError> {
    let subject = NamedNodeRef::new_unchecked(&node.iri);
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for quad in graph.quads_for_pattern(Some(subject.into()), None, None, None) {
        let quad = quad?;
        if quad.predicate == rdf::TYPE {
            if let Term::NamedNode(class) = &quad.object
                && let Some(name) = class.as_str().strip_prefix(vocab::ONTOLOGY_NAMESPACE)
            {
                node.kinds.insert(name.to_owned());
            }
        } else if quad.predicate == rdfs::LABEL {
            if let Term::Literal(label) = &quad.object {
                labels
                    .entry(label.language().unwrap_or_default().to_owned())
                    .or_insert_with(|| label.value().to_owned());
            }
        } else if let Some(name) = quad
            .predicate
            .as_str()
            .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
            .filter(|name| VALUES.contains(name))
            && let Term::Literal(value) = &quad.object
        {
            node.values
                .entry(name.to_owned())
                .or_insert_with(|| value.value().to_owned());
        }
    }
    node.label = labels
        .get("en")
        .or_else(|| labels.values().next())
        .cloned()
        .unwrap_or_else(|| node.slug().to_owned());
    Ok(())
}

/// A report's title, publisher, date and address, from its own graph.
fn describe_source(graph: &Graph, iri: &str) -> Result<Source, StoreError> {
    let mut source = Source {
        iri: iri.to_owned(),
        ..Source::default()
    };
    if iri == vocab::graph::REFERENCE.as_str() {
        source.label = "spyatlas reference entities".to_owned();
        return Ok(source);
    }
    let node = NamedNodeRef::new_unchecked(iri);
    let in_graph = GraphNameRef::NamedNode(node);
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for quad in graph.quads_for_pattern(Some(node.into()), None, None, Some(in_graph)) {
        let quad = quad?;
        let value = |term: &Term| match term {
            Term::Literal(literal) => Some(literal.value().to_owned()),
            Term::NamedNode(node) => Some(node.as_str().to_owned()),
            _ => None,
        };
        match quad.predicate.as_str() {
            p if p == rdf::TYPE.as_str() => {
                if let Some(name) = value(&quad.object)
                    .as_deref()
                    .and_then(|class| class.strip_prefix(vocab::ONTOLOGY_NAMESPACE))
                {
                    source.kinds.insert(name.to_owned());
                }
            }
            p if p == rdfs::LABEL.as_str() => {
                if let Term::Literal(label) = &quad.object {
                    labels
                        .entry(label.language().unwrap_or_default().to_owned())
                        .or_insert_with(|| label.value().to_owned());
                }
            }
            p if p == vocab::DCT_PUBLISHER.as_str() => {
                if let Term::NamedNode(publisher) = &quad.object {
                    let mut node = Node {
                        iri: publisher.as_str().to_owned(),
                        ..Node::default()
                    };
                    describe(graph, &mut node)?;
                    source.publisher = Some(node.label);
                }
            }
            p if p == vocab::read::SCHEMA_URL => source.url = value(&quad.object),
            p if p == vocab::loader::LOADED_AT.as_str() => source.loaded_at = value(&quad.object),
            p if p.strip_prefix(vocab::read::DCT) == Some("issued") => {
                source.issued = value(&quad.object);
            }
            _ => {}
        }
    }
    source.label = labels
        .get("en")
        .or_else(|| labels.values().next())
        .cloned()
        .unwrap_or_else(|| iri.to_owned());
    Ok(source)
}
