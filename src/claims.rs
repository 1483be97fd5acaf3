//! Which claim asserts a relationship, and the status its report gives that claim.
//!
//! Every surface that shows a relationship (entity pages and their JSON, path hops, the
//! timeline) asks here, so that none shows a status its report does not give. A
//! relationship is a triple `subject property object` in one report graph; the claim that
//! asserts it, in that same graph, is:
//!
//! 1. a `sa:Assertion` of that graph reifying the triple (`rdf:subject`, `rdf:predicate`,
//!    `rdf:object`): a plain link (`sa:developedBy`) with a status of its own;
//! 2. for a direct edge written beside an n-ary node (`Incident sa:target Person` beside
//!    the `sa:Targeting` node, `sa:customerOf` beside the `sa:CustomerRelationship`
//!    node...), every such node naming both ends: each with its own status, never merged;
//! 3. else the subject, when the report gives the subject a status (a claim's own
//!    properties: the letter's `sa:respondsTo`, the incident's `sa:vendor`);
//! 4. else none: a plain link that no assertion qualifies carries no status, and none
//!    is shown.
//!
//! A triple whose object is itself a status (`sa:status`, `sa:attributionStatus`) gets no
//! badge: the value is the status.

use crate::lookups;
use crate::store::{Graph, StoreError};
use crate::vocab::ONTOLOGY_NAMESPACE as SA;
use oxigraph::model::Term;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A direct edge and the n-ary node it stands beside: `?node <to_subject> subject` and
/// `?node <to_object> object` in the same graph.
struct Beside {
    property: &'static str,
    to_subject: &'static str,
    to_object: &'static str,
}

/// The direct edges of `docs/model.md` ("Claims as nodes, and the direct edges kept
/// beside them"), by local name in the ontology namespace.
const BESIDE: &[Beside] = &[
    Beside {
        property: "target",
        to_subject: "incident",
        to_object: "target",
    },
    Beside {
        property: "targetCountry",
        to_subject: "incident",
        to_object: "targetCountry",
    },
    Beside {
        property: "detectedBy",
        to_subject: "incident",
        to_object: "detectedBy",
    },
    Beside {
        property: "attributedTo",
        to_subject: "incident",
        to_object: "attributedTo",
    },
    Beside {
        property: "customerOf",
        to_subject: "customer",
        to_object: "vendor",
    },
];

/// Properties whose value is a status: the value is shown, with no badge beside it.
const STATUS_VALUED: &[&str] = &["status", "attributionStatus", "targetIdentityStatus"];

/// The most distinct lookups for one call; relationships past it are answered as
/// unresolved, and left out by whatever shows them (never shown without their status).
pub const MAX_LOOKUPS: usize = 400;

/// A relationship: `subject property object` in `graph`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Relationship {
    pub subject: String,
    pub property: String,
    pub object: String,
    pub graph: String,
}

impl Relationship {
    /// The relationship a quad states, when it links two IRIs in a named graph.
    pub fn of_quad(quad: &oxigraph::model::Quad) -> Option<Self> {
        use oxigraph::model::{GraphName, NamedOrBlankNode};
        let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o), GraphName::NamedNode(g)) =
            (&quad.subject, &quad.object, &quad.graph_name)
        else {
            return None;
        };
        Some(Self {
            subject: s.as_str().to_owned(),
            property: quad.predicate.as_str().to_owned(),
            object: o.as_str().to_owned(),
            graph: g.as_str().to_owned(),
        })
    }
}

/// The claim asserting a relationship, and the status IRI its report gives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Asserted {
    pub claim: String,
    pub status: String,
}

/// (property, object, graph) → the assertions of that graph reifying the triple, for
/// one subject.
type Reified = HashMap<(String, String, String), Vec<Asserted>>;

/// The local name of an ontology term, if `iri` is one.
fn local(iri: &str) -> Option<&str> {
    iri.strip_prefix(SA)
}

/// True when the relationship's object is a status, which needs no badge.
pub fn is_status_valued(property: &str) -> bool {
    local(property).is_some_and(|name| STATUS_VALUED.contains(&name))
}

fn iri(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
        _ => None,
    }
}

/// What [`asserting`] found.
#[derive(Debug, Default)]
pub struct Assertions {
    /// The claims asserting each relationship, with their statuses; a relationship absent
    /// from here and from `unresolved` has no status (a plain link).
    pub found: HashMap<Relationship, Vec<Asserted>>,
    /// Relationships past [`MAX_LOOKUPS`], whose statuses were not read: not to be shown.
    pub unresolved: HashSet<Relationship>,
}

/// The claims (with statuses) asserting each of `relationships`.
///
/// `is_claim` says whether a subject may have a status of its own (answer true when
/// unsure): a subject that is not, in a store without any `sa:Assertion`, is not looked
/// up.
pub fn asserting<'a>(
    graph: &Graph,
    relationships: impl IntoIterator<Item = &'a Relationship>,
    is_claim: impl Fn(&str) -> bool,
) -> Result<Assertions, StoreError> {
    let any_assertion = !lookups::ANY_ASSERTION.rows(graph, &[], 1)?.is_empty();
    // (subject, graph) → status, read once per subject for every graph.
    let mut own: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    // subject → (property, object, graph) → assertions reifying that triple.
    let mut reified: HashMap<String, Reified> = HashMap::new();
    // (rule, subject, object) → graph → claims.
    let mut beside: HashMap<(usize, String, String), BTreeMap<String, Vec<Asserted>>> =
        HashMap::new();
    let mut answer = Assertions::default();
    let mut lookups = 0;
    for relationship in relationships {
        if is_status_valued(&relationship.property) {
            continue;
        }
        if !reified.contains_key(&relationship.subject)
            && !any_assertion
            && !is_claim(&relationship.subject)
        {
            reified.insert(relationship.subject.clone(), Reified::new());
            own.insert(relationship.subject.clone(), HashMap::new());
        }
        if !reified.contains_key(&relationship.subject) {
            if lookups == MAX_LOOKUPS {
                answer.unresolved.insert(relationship.clone());
                continue;
            }
            lookups += 1;
            // One lookup per subject: its own status in each graph, and the assertions
            // reifying its links.
            let mut by_triple = Reified::new();
            let mut by_graph: HashMap<String, Vec<String>> = HashMap::new();
            for row in lookups::OWN_STATUS_AND_ASSERTIONS.rows(
                graph,
                &[("subject", lookups::iri(&relationship.subject))],
                usize::MAX,
            )? {
                let (Some(g), Some(status)) = (iri(row.get("g")), iri(row.get("status"))) else {
                    continue;
                };
                match (iri(row.get("claim")), iri(row.get("p")), iri(row.get("o"))) {
                    (Some(claim), Some(p), Some(o)) => by_triple
                        .entry((p, o, g))
                        .or_default()
                        .push(Asserted { claim, status }),
                    _ => by_graph.entry(g).or_default().push(status),
                }
            }
            reified.insert(relationship.subject.clone(), by_triple);
            own.insert(relationship.subject.clone(), by_graph);
        }
        let mut found = reified[&relationship.subject]
            .get(&(
                relationship.property.clone(),
                relationship.object.clone(),
                relationship.graph.clone(),
            ))
            .cloned()
            .unwrap_or_default();
        if let Some(rule) = local(&relationship.property)
            .filter(|_| found.is_empty())
            .and_then(|name| BESIDE.iter().position(|rule| rule.property == name))
        {
            let key = (
                rule,
                relationship.subject.clone(),
                relationship.object.clone(),
            );
            if !beside.contains_key(&key) {
                if lookups == MAX_LOOKUPS {
                    answer.unresolved.insert(relationship.clone());
                    continue;
                }
                lookups += 1;
                let Beside {
                    to_subject,
                    to_object,
                    ..
                } = BESIDE[rule];
                let mut by_graph: BTreeMap<String, Vec<Asserted>> = BTreeMap::new();
                for row in lookups::CLAIMS_BESIDE.rows(
                    graph,
                    &[
                        ("subject", lookups::iri(&relationship.subject)),
                        ("object", lookups::iri(&relationship.object)),
                        ("toSubject", lookups::iri(&format!("{SA}{to_subject}"))),
                        ("toObject", lookups::iri(&format!("{SA}{to_object}"))),
                    ],
                    usize::MAX,
                )? {
                    if let (Some(g), Some(claim), Some(status)) = (
                        iri(row.get("g")),
                        iri(row.get("claim")),
                        iri(row.get("status")),
                    ) {
                        by_graph
                            .entry(g)
                            .or_default()
                            .push(Asserted { claim, status });
                    }
                }
                beside.insert(key.clone(), by_graph);
            }
            found = beside[&key]
                .get(&relationship.graph)
                .cloned()
                .unwrap_or_default();
        }
        if found.is_empty() {
            found = own[&relationship.subject]
                .get(&relationship.graph)
                .into_iter()
                .flatten()
                .map(|status| Asserted {
                    claim: relationship.subject.clone(),
                    status: status.clone(),
                })
                .collect();
        }
        if !found.is_empty() {
            found.sort();
            found.dedup();
            answer.found.insert(relationship.clone(), found);
        }
    }
    Ok(answer)
}

/// The claims asserting every relationship of a set of graphs, from their quads, by the
/// rules of [`asserting`] without its lookups: for exports, which show every relationship
/// of a report or of the store at once.
#[derive(Default)]
pub struct Statuses {
    /// (node, graph) → the statuses the graph gives the node.
    own: HashMap<(String, String), Vec<String>>,
    /// (subject, property, object, graph) → the assertions reifying that triple.
    reified: HashMap<(String, String, String, String), Vec<Asserted>>,
    /// (rule, subject, object, graph) → the n-ary claims naming both ends.
    beside: HashMap<(usize, String, String, String), Vec<Asserted>>,
}

impl Statuses {
    /// Reads the statuses, assertions and n-ary claims of `quads` (whole graphs: a claim
    /// and its status are in the same graph).
    pub fn of<'a>(quads: impl IntoIterator<Item = oxigraph::model::QuadRef<'a>>) -> Self {
        use oxigraph::model::{GraphNameRef, NamedOrBlankNodeRef, TermRef};
        let mut statuses = Self::default();
        // (node, graph) → property → values, of the nodes that may be claims.
        let mut links: HashMap<(String, String), HashMap<&'a str, Vec<String>>> = HashMap::new();
        for quad in quads {
            let (
                GraphNameRef::NamedNode(g),
                NamedOrBlankNodeRef::NamedNode(node),
                TermRef::NamedNode(value),
            ) = (quad.graph_name, quad.subject, quad.object)
            else {
                continue;
            };
            links
                .entry((node.as_str().to_owned(), g.as_str().to_owned()))
                .or_default()
                .entry(quad.predicate.as_str())
                .or_default()
                .push(value.as_str().to_owned());
        }
        let status = format!("{SA}status");
        use oxigraph::model::vocab::rdf;
        let (rdf_subject, rdf_predicate, rdf_object) = (
            rdf::SUBJECT.as_str(),
            rdf::PREDICATE.as_str(),
            rdf::OBJECT.as_str(),
        );
        for ((node, g), properties) in &links {
            let Some(own) = properties.get(status.as_str()) else {
                continue;
            };
            statuses.own.insert((node.clone(), g.clone()), own.clone());
            let asserted = |status: &String| Asserted {
                claim: node.clone(),
                status: status.clone(),
            };
            if let (Some(subjects), Some(predicates), Some(objects)) = (
                properties.get(rdf_subject),
                properties.get(rdf_predicate),
                properties.get(rdf_object),
            ) {
                for (s, p, o) in subjects.iter().flat_map(|s| {
                    predicates
                        .iter()
                        .flat_map(move |p| objects.iter().map(move |o| (s, p, o)))
                }) {
                    statuses
                        .reified
                        .entry((s.clone(), p.clone(), o.clone(), g.clone()))
                        .or_default()
                        .extend(own.iter().map(asserted));
                }
            }
            for (rule, beside) in BESIDE.iter().enumerate() {
                let (Some(subjects), Some(objects)) = (
                    properties.get(format!("{SA}{}", beside.to_subject).as_str()),
                    properties.get(format!("{SA}{}", beside.to_object).as_str()),
                ) else {
                    continue;
                };
                for s in subjects {
                    for o in objects {
                        statuses
                            .beside
                            .entry((rule, s.clone(), o.clone(), g.clone()))
                            .or_default()
                            .extend(own.iter().map(asserted));
                    }
                }
            }
        }
        statuses
    }

    /// The claims asserting `relationship`, by the rules of [`asserting`]; empty for a
    /// plain link and for a relationship whose object is a status.
    pub fn asserting(&self, relationship: &Relationship) -> Vec<Asserted> {
        if is_status_valued(&relationship.property) {
            return Vec::new();
        }
        let Relationship {
            subject,
            property,
            object,
            graph,
        } = relationship;
        let mut found = self
            .reified
            .get(&(
                subject.clone(),
                property.clone(),
                object.clone(),
                graph.clone(),
            ))
            .cloned()
            .unwrap_or_default();
        if found.is_empty()
            && let Some(rule) = local(property)
                .and_then(|name| BESIDE.iter().position(|rule| rule.property == name))
        {
            found = self
                .beside
                .get(&(rule, subject.clone(), object.clone(), graph.clone()))
                .cloned()
                .unwrap_or_default();
        }
        if found.is_empty() {
            found = self
                .own
                .get(&(subject.clone(), graph.clone()))
                .into_iter()
                .flatten()
                .map(|status| Asserted {
                    claim: subject.clone(),
                    status: status.clone(),
                })
                .collect();
        }
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = crate::vocab::ID_NAMESPACE;

    fn relationship(subject: &str, property: &str, object: &str, graph: &str) -> Relationship {
        Relationship {
            subject: format!("{ID}{subject}"),
            property: format!("{SA}{property}"),
            object: format!("{ID}{object}"),
            graph: format!("http://example.com/{graph}"),
        }
    }

    fn store() -> Graph {
        let trig = format!(
            "@prefix sa: <{SA}> . @prefix id: <{ID}> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
             <http://example.com/r1> {{
               id:i a sa:Incident ; sa:status sa:attributed ; sa:vendor id:v ; sa:target id:p .
               id:t a sa:Targeting ; sa:incident id:i ; sa:target id:p ; sa:status sa:alleged .
               id:l a sa:Letter ; sa:respondsTo id:i ; sa:status sa:alleged .
               id:x sa:developedBy id:v .
               id:y sa:developedBy id:v .
               id:a a sa:Assertion ; rdf:subject id:y ; rdf:predicate sa:developedBy ;
                 rdf:object id:v ; sa:status sa:suspected .
               id:i sa:attributionStatus sa:unknown .
             }}
             <http://example.com/r2> {{
               id:i sa:status sa:suspected ; sa:target id:p .
               id:t2 a sa:Targeting ; sa:incident id:i ; sa:target id:p ; sa:status sa:denied .
               id:t3 a sa:Targeting ; sa:incident id:i ; sa:target id:p ; sa:status sa:reported .
               id:g sa:customerOf id:v .
             }}"
        );
        stored(&trig)
    }

    /// An in-memory store holding `trig`.
    fn stored(trig: &str) -> Graph {
        let graph = Graph::in_memory().unwrap();
        let quads: Vec<oxigraph::model::Quad> =
            oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::TriG)
                .for_slice(trig.as_bytes())
                .collect::<Result<_, _>>()
                .expect("the fixture parses");
        graph
            .transaction(|transaction| {
                for quad in &quads {
                    transaction.insert(quad)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        graph
    }

    fn shown(graph: &Graph, relationship: &Relationship) -> Vec<(String, String)> {
        asserting(graph, [relationship], |_| true)
            .unwrap()
            .found
            .remove(relationship)
            .unwrap_or_default()
            .into_iter()
            .map(|asserted| {
                (
                    asserted.claim.trim_start_matches(ID).to_owned(),
                    asserted.status.trim_start_matches(SA).to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn relationships_past_the_lookups_are_answered_as_unresolved() {
        let extra = 7;
        let letters: Vec<String> = (0..MAX_LOOKUPS + extra).map(|n| format!("l{n}")).collect();
        let trig: String = letters
            .iter()
            .map(|letter| {
                format!(
                    "<http://example.com/r1> {{ <{ID}{letter}> a <{SA}Letter> ; <{SA}respondsTo> <{ID}i> ; <{SA}status> <{SA}alleged> }}\n"
                )
            })
            .collect();
        let graph = stored(&trig);
        let relationships: Vec<Relationship> = letters
            .iter()
            .map(|letter| relationship(letter, "respondsTo", "i", "r1"))
            .collect();
        let answer = asserting(&graph, &relationships, |_| true).unwrap();
        assert_eq!(answer.found.len(), MAX_LOOKUPS);
        assert_eq!(answer.unresolved.len(), extra);
        for relationship in &relationships {
            assert!(
                answer.found.contains_key(relationship) != answer.unresolved.contains(relationship),
                "{relationship:?} is neither found nor unresolved, or both"
            );
        }
    }

    #[test]
    fn statuses_read_from_quads_are_those_the_lookups_give() {
        let graph = store();
        let quads: Vec<oxigraph::model::Quad> = graph.iter().map(Result::unwrap).collect();
        let statuses = Statuses::of(quads.iter().map(|quad| quad.as_ref()));
        let mut compared = 0;
        for relationship in quads.iter().filter_map(Relationship::of_quad) {
            let looked_up = asserting(&graph, [&relationship], |_| true)
                .unwrap()
                .found
                .remove(&relationship)
                .unwrap_or_default();
            assert_eq!(
                statuses.asserting(&relationship),
                looked_up,
                "{relationship:?}"
            );
            compared += usize::from(!looked_up.is_empty());
        }
        assert!(compared >= 8, "only {compared} relationships had a status");
    }

    #[test]
    fn a_claims_own_property_has_the_claims_status_in_that_report() {
        let graph = store();
        assert_eq!(
            shown(&graph, &relationship("l", "respondsTo", "i", "r1")),
            [("l".to_owned(), "alleged".to_owned())]
        );
        assert_eq!(
            shown(&graph, &relationship("i", "vendor", "v", "r1")),
            [("i".to_owned(), "attributed".to_owned())]
        );
    }

    #[test]
    fn a_direct_edge_has_the_status_of_each_node_it_stands_beside_in_its_report() {
        let graph = store();
        assert_eq!(
            shown(&graph, &relationship("i", "target", "p", "r1")),
            [("t".to_owned(), "alleged".to_owned())]
        );
        // Two targeting nodes in one report: both, never merged; the other report's
        // statuses stay with it.
        assert_eq!(
            shown(&graph, &relationship("i", "target", "p", "r2")),
            [
                ("t2".to_owned(), "denied".to_owned()),
                ("t3".to_owned(), "reported".to_owned())
            ]
        );
    }

    #[test]
    fn a_plain_link_has_the_status_of_the_assertion_reifying_it_in_its_report() {
        let graph = store();
        assert_eq!(
            shown(&graph, &relationship("y", "developedBy", "v", "r1")),
            [("a".to_owned(), "suspected".to_owned())]
        );
        // Not in another report, not for another link.
        assert!(shown(&graph, &relationship("y", "developedBy", "v", "r2")).is_empty());
        assert!(shown(&graph, &relationship("x", "developedBy", "v", "r1")).is_empty());
    }

    #[test]
    fn plain_links_and_status_values_have_no_status() {
        let graph = store();
        assert!(shown(&graph, &relationship("x", "developedBy", "v", "r1")).is_empty());
        assert!(
            shown(
                &graph,
                &relationship("i", "attributionStatus", "unknown", "r1")
            )
            .is_empty()
        );
        // customerOf with no customer-relationship node, from a subject with no status.
        assert!(shown(&graph, &relationship("g", "customerOf", "v", "r2")).is_empty());
    }
}
