//! The page of `/path`: the shortest chains between two entities (the answer of
//! `/api/path`), each drawn as a column of nodes, one row each, and each hop told as a
//! sentence with the reports stating it and the statuses they give.

use super::entity::{Badge, Part};
use super::{Lang, Named, legend, truncate};
use serde::Serialize;
use utoipa::ToSchema;

/// The shortest chains of relationships between two entities: the answer of `/api/path`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathAnswer {
    pub from: PathNode,
    pub to: PathNode,
    /// The longest chain looked for, in hops.
    pub max: usize,
    /// Hops of the shortest chain; null when none was found.
    pub length: Option<usize>,
    pub paths: Vec<Path>,
    /// Why no chain is given, when none is.
    pub message: Option<String>,
    /// Whether the network of links the chains are found in held all of the store: false
    /// for the seconds after a start (or a SPARQL update) while it is read in the
    /// background.
    pub complete: bool,
}

/// An entity, claim or report on a chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathNode {
    pub iri: String,
    pub label: String,
    /// The entity's page; null outside the entity namespace.
    pub url: Option<String>,
}

/// One chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Path {
    pub length: usize,
    pub hops: Vec<Hop>,
}

/// One step of a chain, with every relationship linking its two ends.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    pub from: PathNode,
    pub to: PathNode,
    pub relations: Vec<Relation>,
}

/// Which end of a hop is the subject of a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `from` is the subject.
    Forward,
    /// `to` is the subject.
    Backward,
}

/// A relationship between the two ends of a hop, with the reports stating it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub property: String,
    pub label: String,
    pub direction: Direction,
    pub sources: Vec<Source>,
}

/// A report (a graph) stating a relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The graph (a report) asserting the relationship.
    pub graph: String,
    pub label: String,
    pub url: Option<String>,
    /// The claims of this report asserting the relationship, each with the status this
    /// report gives it; empty for a plain link, which carries no status.
    pub asserted: Vec<AssertingClaim>,
}

/// A claim asserting a relationship, with the status its report gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertingClaim {
    pub claim: PathNode,
    /// The status IRI (a concept of sa:ClaimStatusScheme).
    pub status: String,
    pub status_label: String,
}

/// Characters of a node's label in the picture.
const LABEL_CHARS: usize = 48;
const ROW: i32 = 64;
const TOP: i32 = 24;

/// A node of a chain, as drawn.
#[derive(Debug, Clone)]
pub struct Node {
    pub y: i32,
    pub label: String,
    pub name: String,
    pub href: String,
}

/// One way a hop is stated, with its sources.
#[derive(Debug, Clone)]
pub struct HopSentence {
    pub parts: Vec<Part>,
    pub sources: Vec<HopSource>,
}

/// A report stating a hop, with the statuses its claims have there.
#[derive(Debug, Clone)]
pub struct HopSource {
    pub title: String,
    pub href: Option<String>,
    pub badges: Vec<Badge>,
}

/// One chain.
#[derive(Debug, Clone)]
pub struct Chain {
    pub height: i32,
    pub nodes: Vec<Node>,
    /// Between node i and i + 1: what links them (the first relation's name).
    pub links: Vec<(i32, String)>,
    pub sentences: Vec<HopSentence>,
}

/// What the path page shows.
#[derive(Debug, Clone, Default)]
pub struct PathPage {
    /// What was asked, as typed (names or slugs), for the form.
    pub from_text: String,
    pub to_text: String,
    /// The ends found, when the question was asked.
    pub ends: Option<(Named, Named)>,
    pub message: Option<String>,
    pub chains: Vec<Chain>,
}

fn named(node: &PathNode) -> Named {
    match &node.url {
        Some(url) => Named {
            text: node.label.clone(),
            href: Some(url.clone()),
            kind: super::NameKind::Page,
        },
        None => Named::of(&node.iri, node.label.clone()),
    }
}

impl PathPage {
    /// The page of an answer of `/api/path`.
    pub fn from_answer(answer: &PathAnswer, language: Lang) -> PathPage {
        let mut page = PathPage {
            ends: Some((named(&answer.from), named(&answer.to))),
            message: answer.message.clone(),
            ..PathPage::default()
        };
        for path in &answer.paths {
            let hops = &path.hops;
            let mut ends: Vec<&PathNode> = hops.first().map(|hop| &hop.from).into_iter().collect();
            ends.extend(hops.iter().map(|hop| &hop.to));
            let nodes: Vec<Node> = ends
                .iter()
                .enumerate()
                .map(|(position, node)| Node {
                    y: TOP + ROW * position as i32,
                    label: truncate(&node.label, LABEL_CHARS),
                    name: node.label.clone(),
                    href: node.url.clone().unwrap_or_default(),
                })
                .collect();
            let links = hops
                .iter()
                .enumerate()
                .map(|(position, hop)| {
                    (
                        TOP + ROW * position as i32 + ROW / 2,
                        hop.relations
                            .first()
                            .map(|relation| relation.label.clone())
                            .unwrap_or_default(),
                    )
                })
                .collect();
            let mut sentences = Vec::new();
            for hop in hops {
                for relation in &hop.relations {
                    let (subject, object) = match relation.direction {
                        Direction::Forward => (&hop.from, &hop.to),
                        Direction::Backward => (&hop.to, &hop.from),
                    };
                    let parts = super::entity::reading(
                        &relation.property,
                        &relation.label,
                        language,
                        false,
                        Part::Other(named(subject)),
                        Part::Other(named(object)),
                    );
                    let sources = relation
                        .sources
                        .iter()
                        .map(|source| HopSource {
                            title: source.label.clone(),
                            href: source.url.clone(),
                            badges: source
                                .asserted
                                .iter()
                                .map(|claim| Badge {
                                    key: legend::key_of(&claim.status).to_owned(),
                                    word: legend::status(&claim.status).map_or_else(
                                        || claim.status_label.clone(),
                                        |known| known.name(language).to_owned(),
                                    ),
                                    status: claim.status.clone(),
                                    claim: claim.claim.iri.clone(),
                                    graph: source.graph.clone(),
                                    per: None,
                                })
                                .collect(),
                        })
                        .collect();
                    sentences.push(HopSentence { parts, sources });
                }
            }
            page.chains.push(Chain {
                height: TOP * 2 + ROW * (nodes.len().max(1) as i32 - 1),
                nodes,
                links,
                sentences,
            });
        }
        page
    }
}

/// The words of the path page.
pub struct PathWords {
    pub title: &'static str,
    pub intro: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub connect: &'static str,
    pub hint: &'static str,
    pub chain: &'static str,
}

/// The path page's words in `language`.
pub fn words(language: Lang) -> &'static PathWords {
    match language {
        Lang::En => &PathWords {
            title: "How are they connected?",
            intro: "The shortest chains of relationships between two entities, up to six steps, each step with the reports that state it.",
            from: "From",
            to: "To",
            connect: "Connect",
            hint: "Type a name; suggestions appear as you type.",
            chain: "Chain",
        },
        Lang::Nl => &PathWords {
            title: "Hoe zijn ze verbonden?",
            intro: "De kortste ketens van verbanden tussen twee entiteiten, tot zes stappen, elke stap met de rapporten die hem vermelden.",
            from: "Van",
            to: "Naar",
            connect: "Verbind",
            hint: "Typ een naam; suggesties verschijnen terwijl u typt.",
            chain: "Keten",
        },
        Lang::It => &PathWords {
            title: "Come sono collegati?",
            intro: "Le catene di relazioni più brevi tra due entità, fino a sei passi, ogni passo con i rapporti che lo affermano.",
            from: "Da",
            to: "A",
            connect: "Collega",
            hint: "Scrivi un nome; i suggerimenti compaiono mentre scrivi.",
            chain: "Catena",
        },
    }
}
