//! Who is linked to whom: the entities of the store and the relationships between them,
//! held in memory as lists of neighbours, so that the shortest chains between two
//! entities (`/api/path`) are found by walking memory instead of querying the store
//! layer by layer.
//!
//! Two entities are neighbours when a triple links them, in either direction, in any
//! named graph (a report or a reference graph). Only entities (IRIs under `id/`) count;
//! types and report mentions are not relationships. Claims are entities too, so a victim
//! and a vendor meet through the incident naming both.
//!
//! The network is kept up to date by every write (see [`crate::changes`]): a change names
//! the pairs of entities it may have linked or unlinked, and each pair is looked up again
//! in the store, so the network holds exactly what a build from the store would.

use crate::changes::{Change, Follows, Kept};
use crate::sorted::SortedVec;
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphNameRef, NamedNodeRef, NamedOrBlankNodeRef, QuadRef, TermRef};
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The network of one store, kept by its writes.
pub type Connections = Kept<Network>;

/// At most this many chains of the shortest length are returned.
pub const MAX_PATHS: usize = 5;
/// A layer with more entities than this stops the search: a hub such as a country
/// reaches nearly everything within two hops.
const MAX_FRONTIER: usize = 1_000_000;
/// A search that has looked at this many links stops, whatever it found.
const MAX_LINKS_SEEN: usize = 20_000_000;

/// The entities and their neighbours. Entities are numbered in the order they came in;
/// one that loses its last link keeps its number, with no neighbours.
#[derive(Default)]
pub struct Network {
    numbers: HashMap<Arc<str>, u32>,
    iris: Vec<Arc<str>>,
    neighbours: Vec<SortedVec<u32>>,
}

/// The shortest chains between two entities, each from the first to the second.
#[derive(Debug, Default, PartialEq)]
pub struct Chains {
    pub paths: Vec<Vec<String>>,
    /// Whether the search stopped because it grew too wide, before it could say there
    /// is no chain.
    pub limited: bool,
}

/// The pairs of entities a change may have linked or unlinked, each smaller IRI first.
pub type Pairs = BTreeSet<(String, String)>;

/// The two entities `quad` links, when it is a relationship between two entities.
fn linked_by(quad: QuadRef<'_>) -> Option<(&str, &str)> {
    if quad.graph_name == GraphNameRef::DefaultGraph || !is_relationship(quad.predicate) {
        return None;
    }
    let (NamedOrBlankNodeRef::NamedNode(subject), TermRef::NamedNode(object)) =
        (quad.subject, quad.object)
    else {
        return None;
    };
    let (subject, object) = (subject.as_str(), object.as_str());
    (subject != object
        && subject.starts_with(vocab::ID_NAMESPACE)
        && object.starts_with(vocab::ID_NAMESPACE))
    .then_some((subject, object))
}

/// Whether `quad` links two entities.
pub fn is_link(quad: QuadRef<'_>) -> bool {
    linked_by(quad).is_some()
}

fn is_relationship(property: NamedNodeRef<'_>) -> bool {
    property != rdf::TYPE && property.as_str() != "http://schema.org/mentions"
}

/// Whether the store links `a` and `b` (in either direction, in a named graph).
fn linked(store: &Graph, a: &str, b: &str) -> bool {
    let (a, b) = (
        NamedNodeRef::new_unchecked(a),
        NamedNodeRef::new_unchecked(b),
    );
    [(a, b), (b, a)].into_iter().any(|(subject, object)| {
        store
            .quads_for_pattern(Some(subject.into()), None, Some(object.into()), None)
            .filter_map(Result::ok)
            .any(|quad| linked_by(quad.as_ref()).is_some())
    })
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a < b { (a, b) } else { (b, a) }
}

impl Network {
    /// The network of everything `store` holds.
    pub fn of(store: &Graph) -> Result<Self, StoreError> {
        let mut network = Self::default();
        for (position, quad) in store.iter().enumerate() {
            if position % 65_536 == 0 {
                crate::store::check_cancelled()?;
            }
            let quad = quad?;
            if let Some((subject, object)) = linked_by(quad.as_ref()) {
                network.link(subject, object);
            }
        }
        Ok(network)
    }

    fn number(&mut self, iri: &str) -> u32 {
        if let Some(number) = self.numbers.get(iri) {
            return *number;
        }
        let number = u32::try_from(self.iris.len()).expect("fewer than 2^32 entities");
        let iri: Arc<str> = Arc::from(iri);
        self.numbers.insert(Arc::clone(&iri), number);
        self.iris.push(iri);
        self.neighbours.push(SortedVec::default());
        number
    }

    fn link(&mut self, a: &str, b: &str) {
        let (a, b) = (self.number(a), self.number(b));
        self.neighbours[a as usize].insert(b);
        self.neighbours[b as usize].insert(a);
    }

    fn unlink(&mut self, a: &str, b: &str) {
        if let (Some(&a), Some(&b)) = (self.numbers.get(a), self.numbers.get(b)) {
            self.neighbours[a as usize].remove(&b);
            self.neighbours[b as usize].remove(&a);
        }
    }

    /// Every link, each as a pair with the smaller IRI first: what two networks of the
    /// same store have alike, whatever order their entities came in.
    pub fn canonical(&self) -> Pairs {
        let mut pairs = Pairs::new();
        for (number, neighbours) in self.neighbours.iter().enumerate() {
            for &other in neighbours {
                let (a, b) = ordered(&self.iris[number], &self.iris[other as usize]);
                pairs.insert((a.to_owned(), b.to_owned()));
            }
        }
        pairs
    }

    /// How many entities have at least one link.
    pub fn linked_entities(&self) -> usize {
        self.neighbours
            .iter()
            .filter(|list| !list.is_empty())
            .count()
    }

    /// The shortest chains from `from` to `to` of at most `max` links (at most
    /// [`MAX_PATHS`] of them), found breadth-first from both ends at once.
    ///
    /// The answer does not depend on the order entities came in: each entity keeps the
    /// first parents by IRI, and the sides meet in the order of IRIs, so the chains kept
    /// when there are more than [`MAX_PATHS`] are the same for a kept network and a
    /// rebuilt one.
    pub fn shortest(&self, from: &str, to: &str, max: usize) -> Result<Chains, StoreError> {
        if from == to {
            return Ok(Chains {
                paths: vec![vec![from.to_owned()]],
                limited: false,
            });
        }
        let (Some(&start), Some(&end)) = (self.numbers.get(from), self.numbers.get(to)) else {
            return Ok(Chains::default());
        };
        // parents[side][node] = the nodes one link closer to that side's start.
        let mut parents: [FxHashMap<u32, Vec<u32>>; 2] = [
            FxHashMap::from_iter([(start, Vec::new())]),
            FxHashMap::from_iter([(end, Vec::new())]),
        ];
        let mut frontiers = [vec![start], vec![end]];
        let mut length = 0;
        let mut seen = 0usize;
        let mut limited = false;
        let mut meeting: Vec<u32> = Vec::new();
        while length < max && meeting.is_empty() {
            // Grow the side with fewer links to follow.
            let links = |side: usize| -> usize {
                frontiers[side]
                    .iter()
                    .map(|&node| self.neighbours[node as usize].len())
                    .sum()
            };
            let side = usize::from(links(1) < links(0));
            if frontiers[side].is_empty() {
                break;
            }
            if frontiers[side].len() > MAX_FRONTIER {
                limited = true;
                break;
            }
            let mut next: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            for &near in &frontiers[side] {
                let neighbours = &self.neighbours[near as usize];
                seen += neighbours.len();
                if seen > MAX_LINKS_SEEN {
                    limited = true;
                    break;
                }
                crate::store::check_cancelled()?;
                for &far in neighbours {
                    if parents[side].contains_key(&far) {
                        continue;
                    }
                    // No more than MAX_PATHS chains are shown, and every parent leads back
                    // to the start: the first MAX_PATHS parents by IRI are enough.
                    let parents_of = next.entry(far).or_default();
                    let iri = |node: &u32| &self.iris[*node as usize];
                    if parents_of.len() < MAX_PATHS {
                        parents_of.push(near);
                    } else if iri(&near) < iri(&parents_of[MAX_PATHS - 1]) {
                        parents_of[MAX_PATHS - 1] = near;
                    } else {
                        continue;
                    }
                    parents_of.sort_unstable_by(|a, b| iri(a).cmp(iri(b)));
                }
            }
            if limited {
                break;
            }
            length += 1;
            let frontier: Vec<u32> = next.keys().copied().collect();
            parents[side].extend(next);
            meeting = frontier
                .iter()
                .copied()
                .filter(|node| parents[1 - side].contains_key(node))
                .collect();
            meeting.sort_unstable_by(|a, b| self.iris[*a as usize].cmp(&self.iris[*b as usize]));
            frontiers[side] = frontier;
        }
        let mut paths = Vec::new();
        'meeting: for &middle in &meeting {
            for head in chains(&parents[0], middle) {
                for tail in chains(&parents[1], middle) {
                    let mut path: Vec<String> = head
                        .iter()
                        .rev()
                        .map(|&node| self.iris[node as usize].to_string())
                        .collect();
                    path.extend(
                        tail.into_iter()
                            .skip(1)
                            .map(|node| self.iris[node as usize].to_string()),
                    );
                    paths.push(path);
                    if paths.len() >= MAX_PATHS {
                        break 'meeting;
                    }
                }
            }
        }
        paths.sort();
        paths.dedup();
        paths.truncate(MAX_PATHS);
        Ok(Chains { paths, limited })
    }
}

/// The chains from `node` back to its side's start (node first).
fn chains(parents: &FxHashMap<u32, Vec<u32>>, node: u32) -> Vec<Vec<u32>> {
    let Some(up) = parents.get(&node) else {
        return Vec::new();
    };
    if up.is_empty() {
        return vec![vec![node]];
    }
    let mut result = Vec::new();
    for &parent in up {
        for mut chain in chains(parents, parent) {
            chain.insert(0, node);
            result.push(chain);
            if result.len() >= MAX_PATHS {
                return result;
            }
        }
    }
    result
}

impl Follows for Network {
    type Touched = Pairs;
    const NAME: &'static str = "network";

    fn build(graph: &Graph) -> Result<Self, StoreError> {
        Self::of(graph)
    }

    fn touched(_store: &Graph, change: &Change) -> Option<Pairs> {
        let pairs: Pairs = change
            .quads()
            .filter_map(|(quad, _)| linked_by(quad.as_ref()))
            .map(|(a, b)| {
                let (a, b) = ordered(a, b);
                (a.to_owned(), b.to_owned())
            })
            .collect();
        (!pairs.is_empty()).then_some(pairs)
    }

    fn catch_up(&mut self, store: &Graph, pairs: &Pairs) {
        for (a, b) in pairs {
            if linked(store, a, b) {
                self.link(a, b);
            } else {
                self.unlink(a, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{NamedNode, Quad};

    fn id(slug: &str) -> NamedNode {
        NamedNode::new_unchecked(vocab::entity_iri(slug))
    }

    fn report(slug: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{slug}", vocab::REPORT_NAMESPACE))
    }

    fn network(quads: &[Quad]) -> Network {
        let graph = Graph::in_memory().unwrap();
        graph.transaction(|writes| writes.extend(quads)).unwrap();
        Network::of(&graph).unwrap()
    }

    fn link(a: &str, b: &str) -> Quad {
        Quad::new(
            id(a),
            NamedNode::new_unchecked(format!("{}vendor", vocab::ONTOLOGY_NAMESPACE)),
            id(b),
            report("r"),
        )
    }

    #[test]
    fn types_mentions_default_graph_and_outside_iris_are_not_links() {
        let quads = [
            Quad::new(id("a"), rdf::TYPE, id("b"), report("r")),
            Quad::new(
                id("a"),
                NamedNode::new_unchecked("http://schema.org/mentions"),
                id("b"),
                report("r"),
            ),
            Quad::new(
                id("a"),
                NamedNode::new_unchecked(format!("{}vendor", vocab::ONTOLOGY_NAMESPACE)),
                id("b"),
                GraphNameRef::DefaultGraph,
            ),
            Quad::new(
                id("a"),
                NamedNode::new_unchecked(format!("{}vendor", vocab::ONTOLOGY_NAMESPACE)),
                NamedNode::new_unchecked("https://example.org/b"),
                report("r"),
            ),
        ];
        assert!(network(&quads).canonical().is_empty());
        assert_eq!(network(&[link("a", "b")]).canonical().len(), 1);
    }

    #[test]
    fn chains_are_shortest_in_either_direction_and_capped() {
        // a - b - c - d, and a - e - d: the chain through e is the shortest.
        let quads = [
            link("a", "b"),
            link("c", "b"),
            link("c", "d"),
            link("e", "a"),
            link("d", "e"),
        ];
        let network = network(&quads);
        let chains = network
            .shortest(&vocab::entity_iri("a"), &vocab::entity_iri("d"), 6)
            .unwrap();
        let slugs: Vec<Vec<&str>> = chains
            .paths
            .iter()
            .map(|path| {
                path.iter()
                    .map(|iri| &iri[vocab::ID_NAMESPACE.len()..])
                    .collect()
            })
            .collect();
        assert_eq!(slugs, vec![vec!["a", "e", "d"]]);
        let too_short = network
            .shortest(&vocab::entity_iri("a"), &vocab::entity_iri("d"), 1)
            .unwrap();
        assert_eq!(too_short, Chains::default());
        let unknown = network
            .shortest(&vocab::entity_iri("a"), &vocab::entity_iri("nobody"), 6)
            .unwrap();
        assert_eq!(unknown, Chains::default());
    }

    #[test]
    fn many_equal_chains_give_the_first_by_iri_whatever_the_numbering() {
        // a and z meet through m0..m9: ten chains of two links, five shown.
        let mut quads: Vec<Quad> = (0..10)
            .flat_map(|i| [link("a", &format!("m{i}")), link(&format!("m{i}"), "z")])
            .collect();
        let forward = network(&quads)
            .shortest(&vocab::entity_iri("a"), &vocab::entity_iri("z"), 6)
            .unwrap();
        quads.reverse();
        let mut reversed = Network::default();
        for quad in &quads {
            let (a, b) = linked_by(quad.as_ref()).unwrap();
            reversed.link(a, b);
        }
        let backward = reversed
            .shortest(&vocab::entity_iri("a"), &vocab::entity_iri("z"), 6)
            .unwrap();
        assert_eq!(forward.paths.len(), MAX_PATHS);
        assert_eq!(forward, backward);
        assert!(forward.paths[0][1].ends_with("/m0"));
    }
}
