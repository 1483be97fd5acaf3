//! The bundled knowledge conforms to `ontology/shapes.ttl`, and a broken report does not:
//! each break is named by the entity and the property at fault.
//!
//! As `docs/model.md` says, each report graph is validated on its own, together with the
//! reference graph and the ontology graph (the `sh:maxCount 1` rules on a claim hold per
//! report; the ontology holds the concept schemes and the class hierarchy).

use crate::rudof::Shapes;
use oxigraph::model::vocab::rdfs;
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use oxigraph::sparql::QueryResults;
use spyatlas::store::Graph;
use spyatlas::validate::Violation;
use spyatlas::vocab;

const SEED_REPORT: &str = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";

/// A term of the ontology: `sa:{local}`.
fn sa(local: &str) -> NamedNode {
    NamedNode::new(format!("{}{local}", vocab::ONTOLOGY_NAMESPACE)).unwrap()
}

/// An entity: `id:{slug}`.
fn id(slug: &str) -> NamedNode {
    NamedNode::new(vocab::entity_iri(slug)).unwrap()
}

/// Every triple of one named graph of the store, through SPARQL.
fn triples_of(graph: &Graph, name: NamedNodeRef<'_>) -> Vec<Triple> {
    let query = format!("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}");
    let prepared = Graph::parse(&query).unwrap();
    let QueryResults::Graph(triples) = graph
        .query(prepared, spyatlas::store::Dataset::Stored)
        .unwrap()
    else {
        panic!("a CONSTRUCT query");
    };
    let triples: Vec<Triple> = triples.map(Result::unwrap).collect();
    assert!(!triples.is_empty(), "graph {name} holds triples");
    triples
}

/// The report graphs: those that describe themselves as a `sa:Report`.
fn report_graphs(graph: &Graph) -> Vec<NamedNode> {
    let query = format!(
        "SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a {} }} }} ORDER BY ?g",
        sa("Report")
    );
    let prepared = Graph::parse(&query).unwrap();
    let QueryResults::Solutions(solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Stored)
        .unwrap()
    else {
        panic!("a SELECT query");
    };
    solutions
        .map(|solution| {
            let solution = solution.unwrap();
            let Some(Term::NamedNode(name)) = solution.get("g") else {
                panic!("a report graph is named by an IRI");
            };
            name.clone()
        })
        .collect()
}

/// The ontology graph and the reference graph: what every report is validated with.
fn ontology_and_reference(graph: &Graph) -> Vec<Triple> {
    let mut triples = triples_of(graph, vocab::graph::ONTOLOGY);
    triples.extend(triples_of(graph, vocab::graph::REFERENCE));
    triples
}

fn shown(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            format!(
                "\n  {} {:?}: {} [{}]",
                v.focus, v.path, v.message, v.severity
            )
        })
        .collect()
}

#[test]
fn the_bundled_knowledge_conforms_to_the_shapes() {
    let graph = crate::stores::TestGraph::bundled();
    let shapes = Shapes::bundled().unwrap();
    let common = ontology_and_reference(&graph);
    let reports = report_graphs(&graph);
    assert!(!reports.is_empty(), "the seed report is loaded");
    for report in &reports {
        let mut data = common.clone();
        data.extend(triples_of(&graph, report.as_ref()));
        let violations = shapes.validate(data).unwrap();
        assert!(
            violations.is_empty(),
            "report graph {report} (with the reference graph and the ontology) has {} violation(s):{}",
            violations.len(),
            shown(&violations)
        );
    }
}

/// The seed report's graph, and what it is validated with.
struct Seed {
    common: Vec<Triple>,
    report: Vec<Triple>,
}

impl Seed {
    fn load() -> Self {
        let graph = crate::stores::TestGraph::bundled();
        let name = NamedNode::new(format!("{}{SEED_REPORT}", vocab::REPORT_NAMESPACE)).unwrap();
        Self {
            common: ontology_and_reference(&graph),
            report: triples_of(&graph, name.as_ref()),
        }
    }

    /// Validates the (edited) report with the reference graph and the ontology.
    fn violations(&self) -> Vec<Violation> {
        let shapes = Shapes::bundled().unwrap();
        let data = self.common.iter().chain(&self.report).cloned();
        shapes.validate(data).unwrap()
    }

    /// Replaces the object of `subject predicate ?o` in the report; there must be exactly one.
    fn replace_object(&mut self, subject: &NamedNode, predicate: &NamedNode, object: Term) {
        let mut replaced = 0;
        for triple in &mut self.report {
            if is(&triple.subject, subject) && triple.predicate == *predicate {
                triple.object = object.clone();
                replaced += 1;
            }
        }
        assert_eq!(
            replaced, 1,
            "one {subject} {predicate} triple in the seed report"
        );
    }
}

fn is(subject: &NamedOrBlankNode, node: &NamedNode) -> bool {
    matches!(subject, NamedOrBlankNode::NamedNode(name) if name == node)
}

/// Asserts that a violation names `focus` and `path`, and returns it.
fn violation_at<'a>(violations: &'a [Violation], focus: &NamedNode, path: &str) -> &'a Violation {
    violations
        .iter()
        .find(|v| v.focus == focus.as_str() && v.path.as_deref() == Some(path))
        .unwrap_or_else(|| {
            panic!(
                "no violation on {focus} at {path}; got {}:{}",
                violations.len(),
                shown(violations)
            )
        })
}

#[test]
fn the_unedited_seed_report_conforms() {
    let violations = Seed::load().violations();
    assert!(violations.is_empty(), "{}", shown(&violations));
}

#[test]
fn one_label_in_any_language_is_enough_and_none_is_rejected() {
    let mut seed = Seed::load();
    let person = id("luca-casarini");
    // Only the Italian label left: valid.
    seed.report.retain(|triple| {
        !(is(&triple.subject, &person)
            && triple.predicate == rdfs::LABEL
            && matches!(&triple.object, Term::Literal(label) if label.language() != Some("it")))
    });
    assert!(
        seed.violations()
            .iter()
            .all(|violation| violation.focus != person.as_str()),
        "one label, in Italian, is enough"
    );
    // No label at all: refused by the shape, with its message.
    let before = seed.report.len();
    seed.report
        .retain(|triple| !(is(&triple.subject, &person) && triple.predicate == rdfs::LABEL));
    assert_eq!(before - seed.report.len(), 1, "the Italian label removed");
    let violations = seed.violations();
    let violation = violation_at(&violations, &person, rdfs::LABEL.as_str());
    assert_eq!(violation.severity, "Violation");
    assert!(
        violation
            .message
            .contains("needs at least one rdfs:label with a language tag"),
        "the shape's sh:message: {}",
        violation.message
    );
    assert_eq!(
        violation.shape.as_deref(),
        Some("https://w3id.org/spyatlas/shapes#labels")
    );
}

#[test]
fn a_product_developed_by_a_country_is_rejected() {
    let mut seed = Seed::load();
    let product = id("paragon-solutions-spyware-unnamed-in-the-source");
    let developed_by = sa("developedBy");
    seed.replace_object(&product, &developed_by, id("israel").into());

    let violations = seed.violations();
    let violation = violation_at(&violations, &product, developed_by.as_str());
    assert_eq!(violation.severity, "Violation");
    assert!(
        violation.message.contains("must point to a sa:Vendor"),
        "the shape's sh:message: {}",
        violation.message
    );
    assert!(
        violation.message.contains("ClassConstraintComponent"),
        "the constraint component: {}",
        violation.message
    );
}

#[test]
fn an_incident_with_a_status_outside_the_scheme_is_rejected() {
    let mut seed = Seed::load();
    let incident = id("paragon-spyware-attacks-on-whatsapp-users-2024");
    let status = sa("status");
    // A concept of another scheme (victim outcomes), not a claim status.
    seed.replace_object(&incident, &status, sa("infected").into());

    let violations = seed.violations();
    let violation = violation_at(&violations, &incident, status.as_str());
    assert_eq!(violation.severity, "Violation");
    assert!(
        violation.message.contains("sa:ClaimStatusScheme"),
        "the shape's sh:message: {}",
        violation.message
    );
    assert!(
        violation.message.contains("InConstraintComponent"),
        "the constraint component: {}",
        violation.message
    );
    assert_eq!(
        violation.shape.as_deref(),
        Some("https://w3id.org/spyatlas/shapes#status")
    );
}

/// What identifies a violation across validators: focus node, path, constraint component
/// and the offending value (the messages' wording and blank-node shape labels may differ).
fn keys(violations: &[Violation]) -> std::collections::BTreeSet<(String, Option<String>, String)> {
    violations
        .iter()
        .map(|v| {
            let detail = v
                .message
                .rsplit_once(" (sh:")
                .map_or(v.message.as_str(), |(_, d)| d);
            let detail = detail.strip_prefix("sh:").unwrap_or(detail);
            let component: String = detail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let value = detail
                .split_once(", value ")
                .map_or(String::new(), |(_, value)| {
                    value.trim_end_matches(')').to_owned()
                });
            (
                v.focus.clone(),
                v.path.clone(),
                format!("{component} {value}"),
            )
        })
        .collect()
}

/// The compiled validator used for loading gives the same violations as rudof's, on the
/// seed and on every kind of break the shapes catch.
#[test]
fn the_compiled_shapes_agree_with_rudof() {
    use spyatlas::validate::compiled::CompiledShapes;
    let compiled = CompiledShapes::bundled().unwrap();
    let rudof = Shapes::bundled().unwrap();
    let seed = Seed::load();
    let incident = id("paragon-spyware-attacks-on-whatsapp-users-2024");
    let report = NamedNode::new(format!("{}{SEED_REPORT}", vocab::REPORT_NAMESPACE)).unwrap();
    let xsd_string = oxigraph::model::vocab::xsd::STRING;
    type Edit = Box<dyn Fn(&mut Vec<Triple>)>;
    let swap = |subject: NamedNode, predicate: NamedNode, object: Term| -> Edit {
        Box::new(move |triples: &mut Vec<Triple>| {
            for triple in triples.iter_mut() {
                if is(&triple.subject, &subject) && triple.predicate == predicate {
                    triple.object = object.clone();
                }
            }
        })
    };
    let add = |subject: NamedOrBlankNode, predicate: NamedNode, object: Term| -> Edit {
        Box::new(move |triples: &mut Vec<Triple>| {
            triples.push(Triple::new(
                subject.clone(),
                predicate.clone(),
                object.clone(),
            ))
        })
    };
    let drop = |predicate: NamedNode| -> Edit {
        Box::new(move |triples: &mut Vec<Triple>| triples.retain(|t| t.predicate != predicate))
    };
    let edits: Vec<(&str, Edit)> = vec![
        ("nothing", Box::new(|_: &mut Vec<Triple>| {})),
        ("no status anywhere", drop(sa("status"))),
        (
            "a second status",
            add(
                incident.clone().into(),
                sa("status"),
                sa("confirmed").into(),
            ),
        ),
        (
            "a status that is not one",
            swap(incident.clone(), sa("status"), sa("Vendor").into()),
        ),
        (
            "a vendor that is a country",
            swap(incident.clone(), sa("vendor"), id("italy").into()),
        ),
        (
            "labels without a language tag",
            Box::new(|triples: &mut Vec<Triple>| {
                for triple in triples.iter_mut() {
                    if triple.predicate == rdfs::LABEL
                        && let Term::Literal(literal) = &triple.object
                        && literal.language() == Some("en")
                    {
                        triple.object =
                            oxigraph::model::Literal::new_simple_literal(literal.value()).into();
                    }
                }
            }),
        ),
        (
            "two English labels",
            add(
                id("luca-casarini").into(),
                rdfs::LABEL.into_owned(),
                oxigraph::model::Literal::new_language_tagged_literal_unchecked(
                    "L. Casarini",
                    "en",
                )
                .into(),
            ),
        ),
        (
            "a date that is a string",
            swap(
                report.clone(),
                NamedNode::new_unchecked("http://purl.org/dc/terms/issued"),
                oxigraph::model::Literal::new_typed_literal("February 2025", xsd_string).into(),
            ),
        ),
        (
            "a URL that is a string",
            swap(
                report.clone(),
                NamedNode::new_unchecked("http://schema.org/url"),
                oxigraph::model::Literal::new_simple_literal("datanews.knack.be").into(),
            ),
        ),
        (
            "a role that is not one",
            swap(id("luca-casarini"), sa("role"), sa("confirmed").into()),
        ),
        (
            "a target count that is a string",
            swap(
                incident.clone(),
                sa("targetCount"),
                oxigraph::model::Literal::new_simple_literal("ninety").into(),
            ),
        ),
        (
            "an actor that is a blank node",
            add(
                oxigraph::model::BlankNode::new_unchecked("anon").into(),
                oxigraph::model::vocab::rdf::TYPE.into_owned(),
                sa("Person").into(),
            ),
        ),
        (
            "a news article that is not a report",
            Box::new(move |triples: &mut Vec<Triple>| {
                triples.retain(|t| {
                    !(is(&t.subject, &report)
                        && t.predicate == oxigraph::model::vocab::rdf::TYPE
                        && t.object == Term::from(sa("Report")))
                })
            }),
        ),
        (
            "no publisher",
            drop(NamedNode::new_unchecked(
                "http://purl.org/dc/terms/publisher",
            )),
        ),
        (
            "no types",
            drop(oxigraph::model::vocab::rdf::TYPE.into_owned()),
        ),
        (
            "a quote too long",
            add(
                incident.clone().into(),
                sa("quote"),
                oxigraph::model::Literal::new_language_tagged_literal_unchecked(
                    "zo meldde het bedrijf ".repeat(100),
                    "nl",
                )
                .into(),
            ),
        ),
        (
            "a quote without a language tag",
            add(
                incident.clone().into(),
                sa("quote"),
                oxigraph::model::Literal::new_simple_literal(
                    "Het gaat wereldwijd over negentig WhatsApp-gebruikers",
                )
                .into(),
            ),
        ),
    ];
    let mut broken = 0;
    for (what, edit) in edits {
        let mut triples = seed.report.clone();
        edit(&mut triples);
        let mut data = seed.common.clone();
        data.extend(triples);
        let expected = keys(&rudof.validate(data.clone()).unwrap());
        let found = keys(&compiled.validate(&data));
        assert_eq!(found, expected, "{what}");
        if !expected.is_empty() {
            broken += 1;
        }
    }
    assert!(broken >= 13, "the edits break the data ({broken})");
}
