//! The page of `/path`: the shortest chains between two entities (the answer of
//! `/api/path`), each drawn as a column of nodes, one row each, and each hop told as a
//! sentence with the reports stating it and the statuses they give.

use super::entity::{Badge, Part};
use super::{Lang, Named, legend, truncate};
use serde_json::Value;

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

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn named(node: &Value) -> Named {
    let label = text(&node["label"]);
    match node["url"].as_str() {
        Some(url) => Named {
            text: label,
            href: Some(url.to_owned()),
            kind: super::NameKind::Page,
        },
        None => Named::of(node["iri"].as_str().unwrap_or_default(), label),
    }
}

impl PathPage {
    /// The page of an answer of `/api/path`.
    pub fn from_answer(answer: &Value, language: Lang) -> PathPage {
        let mut page = PathPage {
            ends: Some((named(&answer["from"]), named(&answer["to"]))),
            message: answer["message"].as_str().map(str::to_owned),
            ..PathPage::default()
        };
        for path in answer["paths"].as_array().into_iter().flatten() {
            let hops = path["hops"].as_array().cloned().unwrap_or_default();
            let mut ends: Vec<&Value> = hops.first().map(|hop| &hop["from"]).into_iter().collect();
            ends.extend(hops.iter().map(|hop| &hop["to"]));
            let nodes: Vec<Node> = ends
                .iter()
                .enumerate()
                .map(|(position, node)| Node {
                    y: TOP + ROW * position as i32,
                    label: truncate(&text(&node["label"]), LABEL_CHARS),
                    name: text(&node["label"]),
                    href: node["url"].as_str().unwrap_or_default().to_owned(),
                })
                .collect();
            let links = hops
                .iter()
                .enumerate()
                .map(|(position, hop)| {
                    (
                        TOP + ROW * position as i32 + ROW / 2,
                        text(&hop["relations"][0]["label"]),
                    )
                })
                .collect();
            let mut sentences = Vec::new();
            for hop in &hops {
                for relation in hop["relations"].as_array().into_iter().flatten() {
                    let (subject, object) = if relation["direction"] == "forward" {
                        (&hop["from"], &hop["to"])
                    } else {
                        (&hop["to"], &hop["from"])
                    };
                    let property = relation["property"].as_str().unwrap_or_default();
                    let parts = super::entity::reading(
                        property,
                        &text(&relation["label"]),
                        language,
                        false,
                        Part::Other(named(subject)),
                        Part::Other(named(object)),
                    );
                    let sources = relation["sources"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|source| HopSource {
                            title: text(&source["label"]),
                            href: source["url"].as_str().map(str::to_owned),
                            badges: source["asserted"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|claim| {
                                    let status = text(&claim["status"]);
                                    Badge {
                                        key: legend::key_of(&status).to_owned(),
                                        word: legend::status(&status).map_or_else(
                                            || text(&claim["status_label"]),
                                            |known| known.name(language).to_owned(),
                                        ),
                                        status,
                                        claim: text(&claim["claim"]["iri"]),
                                        graph: text(&source["graph"]),
                                        per: None,
                                    }
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
