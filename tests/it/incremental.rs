//! The indexes kept up to date by writes (search, entity resolution, the network of
//! links, the page cache) equal indexes built afresh from the store, after any sequence
//! of writes: report loads and replacements, retractions, Graph Store writes,
//! transactions, and SPARQL updates (which rebuild in the background).

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;
use oxigraph::model::{
    GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple, vocab::rdf, vocab::rdfs,
};
use proptest::prelude::*;
use spyatlas::config::HttpSettings;
use spyatlas::ingest::Loader;
use spyatlas::ingest::resolve::EntityIndex;
use spyatlas::network::{Connections, Network};
use spyatlas::search::{Live, SearchIndex};
use spyatlas::statistics::{Statistics, Tables};
use spyatlas::store::{Graph, StoreError};
use std::time::Duration;

const ID: &str = "https://w3id.org/spyatlas/id/";
const REPORT: &str = "https://w3id.org/spyatlas/report/";
const SA: &str = "https://w3id.org/spyatlas/ontology#";
const ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
const EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";

/// A few subjects, names, classes and graphs, so that random writes meet each other: the
/// same name in two graphs, two names folding alike, a graph replaced and dropped.
fn subject(choice: u8) -> NamedNode {
    NamedNode::new_unchecked(match choice % 6 {
        0 => format!("{ID}alpha"),
        1 => format!("{ID}beta"),
        2 => format!("{ID}gamma-group"),
        3 => format!("{REPORT}r1"),
        4 => format!("{SA}Vendor"),
        _ => "https://example.org/elsewhere".to_owned(),
    })
}

fn predicate(choice: u8) -> NamedNode {
    match choice % 6 {
        0 | 1 => rdfs::LABEL.into_owned(),
        2 => NamedNode::new_unchecked(ALT_LABEL),
        3 => rdf::TYPE.into_owned(),
        4 => NamedNode::new_unchecked(EXACT_MATCH),
        _ => NamedNode::new_unchecked(format!("{SA}vendor")),
    }
}

fn object(predicate: &NamedNode, choice: u8) -> Term {
    if *predicate == rdf::TYPE {
        return NamedNode::new_unchecked(format!(
            "{SA}{}",
            ["Vendor", "Person", "Report", "Incident"][usize::from(choice % 4)]
        ))
        .into();
    }
    if predicate.as_str() == EXACT_MATCH {
        return NamedNode::new_unchecked(match choice % 3 {
            0 => "http://www.wikidata.org/entity/Q1".to_owned(),
            1 => "http://www.wikidata.org/entity/Q2".to_owned(),
            _ => "https://example.org/not-wikidata".to_owned(),
        })
        .into();
    }
    if predicate.as_str().ends_with("#vendor") {
        return subject(choice).into();
    }
    match choice % 8 {
        0 => Literal::new_language_tagged_literal_unchecked("Alpha", "en"),
        1 => Literal::new_language_tagged_literal_unchecked("Älpha", "de"),
        2 => Literal::new_simple_literal("alpha"),
        3 => Literal::new_language_tagged_literal_unchecked("Gamma Group", "en"),
        4 => Literal::new_language_tagged_literal_unchecked("Gamma-Gruppe", "de"),
        5 => Literal::new_language_tagged_literal_unchecked("Beta", "en"),
        6 => Literal::new_simple_literal("!!"),
        _ => Literal::new_language_tagged_literal_unchecked("beta", "it"),
    }
    .into()
}

fn graph_name(choice: u8) -> GraphName {
    match choice % 4 {
        0 => GraphName::DefaultGraph,
        1 => NamedNode::new_unchecked(format!("{REPORT}r1")).into(),
        2 => NamedNode::new_unchecked(format!("{REPORT}r2")).into(),
        _ => NamedNode::new_unchecked(format!("{REPORT}r3")).into(),
    }
}

fn triple([s, p, o]: [u8; 3]) -> Triple {
    let predicate = predicate(p);
    let object = object(&predicate, o);
    Triple::new(subject(s), predicate, object)
}

fn quad([s, p, o, g]: [u8; 4]) -> Quad {
    triple([s, p, o]).in_graph(graph_name(g))
}

/// One write.
#[derive(Debug, Clone)]
enum Write {
    Insert(Vec<[u8; 4]>),
    Remove(Vec<[u8; 4]>),
    Replace(u8, Vec<[u8; 3]>),
    Extend(u8, Vec<[u8; 3]>),
    Drop(u8),
    /// A SPARQL update deleting the labels of one subject: not known quad by quad.
    Update(u8),
}

fn write() -> impl Strategy<Value = Write> {
    let quads = prop::collection::vec(any::<[u8; 4]>(), 1..8);
    let triples = prop::collection::vec(any::<[u8; 3]>(), 0..8);
    prop_oneof![
        4 => quads.clone().prop_map(Write::Insert),
        2 => quads.prop_map(Write::Remove),
        2 => (any::<u8>(), triples.clone()).prop_map(|(g, t)| Write::Replace(g, t)),
        1 => (any::<u8>(), triples).prop_map(|(g, t)| Write::Extend(g, t)),
        1 => any::<u8>().prop_map(Write::Drop),
        1 => any::<u8>().prop_map(Write::Update),
    ]
}

fn apply(graph: &Graph, write: &Write) {
    match write {
        Write::Insert(quads) | Write::Remove(quads) => {
            let quads: Vec<Quad> = quads.iter().map(|choice| quad(*choice)).collect();
            insert_or_remove(graph, matches!(write, Write::Insert(_)), &quads);
        }
        Write::Replace(g, triples) | Write::Extend(g, triples) => {
            let triples: Vec<Triple> = triples.iter().map(|choice| triple(*choice)).collect();
            let name = graph_name(*g);
            if matches!(write, Write::Replace(..)) {
                graph.replace_graph(&name, &triples).unwrap();
            } else {
                graph.extend_graph(&name, &triples).unwrap();
            }
        }
        Write::Drop(g) => {
            graph.drop_graph(graph_name(*g).as_ref()).unwrap();
        }
        Write::Update(s) => {
            let update = format!(
                "DELETE WHERE {{ GRAPH ?g {{ <{}> <{}> ?o }} }}",
                subject(*s).as_str(),
                rdfs::LABEL.as_str()
            );
            graph
                .update(Graph::parse_update(&update).unwrap(), None)
                .unwrap();
        }
    }
}

/// Inserts (or removes) `quads` in one transaction.
fn insert_or_remove(graph: &Graph, insert: bool, quads: &[Quad]) {
    graph
        .transaction(|transaction| {
            for quad in quads {
                if insert {
                    transaction.insert(quad)?;
                } else {
                    transaction.remove(quad)?;
                }
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// After every write, the search index and the report loader's entity index are what
    /// a build from the store gives.
    #[test]
    fn indexes_kept_by_writes_equal_indexes_built_afresh(writes in prop::collection::vec(write(), 1..12)) {
        let graph = crate::stores::TestGraph::empty();
        let live = Live::build(&graph).unwrap();
        let network = Connections::build(&graph).unwrap();
        let mut loader = Loader::new(&graph, false).unwrap();
        for write in &writes {
            apply(&graph, write);
            prop_assert!(live.wait_until_complete(Duration::from_secs(30)));
            let kept = live.read(SearchIndex::canonical);
            let built = SearchIndex::build(&graph).unwrap().canonical();
            prop_assert_eq!(kept, built, "search index after {:?}", write);
            prop_assert!(network.wait_until_complete(Duration::from_secs(30)));
            let kept = network.read(Network::canonical);
            let built = Network::of(&graph).unwrap().canonical();
            prop_assert_eq!(kept, built, "network after {:?}", write);
            loader.refresh().unwrap();
            let built = EntityIndex::from_graph(&graph).unwrap();
            prop_assert!(loader.index() == &built, "entity index after {:?}:\n{:?}\n{:?}", write, loader.index(), built);
        }
    }
}

/// Searches answer from the kept index as from a built one: the same hits, in the same
/// order (ties broken by name and IRI, not by when a name came in).
#[test]
fn searches_answer_alike_from_kept_and_built_indexes() {
    let graph = crate::stores::TestGraph::bundled();
    let live = Live::build(&graph).unwrap();
    // Remove a report, add it back and add a name: the kept index went through removals.
    let report = NamedNode::new_unchecked(format!("{REPORT}r-test"));
    let triples = vec![
        Triple::new(
            NamedNode::new_unchecked(format!("{ID}paragon-solutions")),
            NamedNode::new_unchecked(ALT_LABEL),
            Literal::new_language_tagged_literal_unchecked("Paragon Graphite Makers", "en"),
        ),
        Triple::new(
            NamedNode::new_unchecked(format!("{ID}new-vendor")),
            rdfs::LABEL,
            Literal::new_language_tagged_literal_unchecked("Paragonic", "en"),
        ),
    ];
    graph
        .replace_graph(&report.clone().into(), &triples)
        .unwrap();
    graph.drop_graph(report.as_ref().into()).unwrap();
    graph
        .replace_graph(&report.clone().into(), &triples)
        .unwrap();
    let built = SearchIndex::build(&graph).unwrap();
    for text in [
        "paragon", "paragn", "graphite", "gr", "whatsap", "p", "italie", "a b",
    ] {
        let kept: Vec<_> = live.read(|index| {
            index
                .search(text, &[], "en", 20)
                .into_iter()
                .map(|hit| (hit.iri, hit.matched, hit.how))
                .collect()
        });
        let fresh: Vec<_> = built
            .search(text, &[], "en", 20)
            .into_iter()
            .map(|hit| (hit.iri, hit.matched, hit.how))
            .collect();
        assert_eq!(kept, fresh, "{text}");
        assert!(!kept.is_empty() || text == "a b", "{text}");
    }
}

/// Read your writes: once a report's 201 is sent, search, its entities' pages (cached
/// before), the listings and the paths show it; once its retraction answers, they no
/// longer do.
#[tokio::test]
async fn pages_search_and_listings_show_a_write_as_soon_as_it_is_answered() {
    let app = TestApp::with_bundled_data();
    // Cached before the write.
    let before = app.get("/id/whatsapp?format=json", None).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(!before.body.contains("example-vulnerability"));
    let listing = app.get("/vendors", Some("text/html")).await;
    assert!(!listing.body.contains("Example Surveillance Ltd"));
    let report = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/01-example-lab-report.yaml"
    ))
    .unwrap();
    let response = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            &report,
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let search = app.get("/api/search?q=example%20implant", None).await;
    assert!(
        search.body.contains("\"slug\":\"example-implant\""),
        "{}",
        search.body
    );
    let page = app.get("/id/whatsapp?format=json", None).await;
    assert!(page.body.contains("example-vulnerability"), "{}", page.body);
    let listing = app.get("/vendors", Some("text/html")).await;
    assert!(
        listing.body.contains("Example Surveillance Ltd"),
        "{}",
        listing.body
    );
    let path = app
        .get("/api/path?from=example-chain&to=whatsapp", None)
        .await;
    assert!(path.body.contains("\"length\":1"), "{}", path.body);
    let response = app
        .delete("/api/reports/example-lab-report", Some(TOKEN))
        .await;
    assert!(response.status.is_success(), "{}", response.body);
    let path = app
        .get("/api/path?from=example-surveillance-ltd&to=belgium", None)
        .await;
    assert_eq!(path.status, StatusCode::NOT_FOUND, "{}", path.body);
    let search = app.get("/api/search?q=example%20implant", None).await;
    assert!(!search.body.contains("example-implant"), "{}", search.body);
    let page = app.get("/id/whatsapp?format=json", None).await;
    assert!(
        !page.body.contains("example-vulnerability"),
        "{}",
        page.body
    );
    let listing = app.get("/vendors", Some("text/html")).await;
    assert!(!listing.body.contains("Example Surveillance Ltd"));
}

/// A cached page a write touched is rendered again; an equal fresh render is what a new
/// server over the same store shows.
#[tokio::test]
async fn cached_pages_equal_fresh_renders_after_writes() {
    let graph = crate::stores::TestGraph::bundled();
    let settings = || HttpSettings::with_token(TOKEN, Duration::from_secs(30));
    let app = TestApp::new(graph.clone(), settings());
    let pages = [
        "/id/paragon-solutions?format=json",
        "/id/italy?format=json",
        "/id/luca-casarini?format=json",
    ];
    for page in pages {
        assert_eq!(app.get(page, None).await.status, StatusCode::OK);
    }
    // A new label of Italy, in a graph of its own, and a relationship to Paragon.
    let graph_name: GraphName = NamedNode::new_unchecked(format!("{REPORT}r-cache")).into();
    graph
        .replace_graph(
            &graph_name,
            &[
                Triple::new(
                    NamedNode::new_unchecked(format!("{ID}italy")),
                    rdfs::LABEL,
                    Literal::new_language_tagged_literal_unchecked("Italien", "sv"),
                ),
                Triple::new(
                    NamedOrBlankNode::from(NamedNode::new_unchecked(format!("{ID}italy"))),
                    NamedNode::new_unchecked(format!("{SA}customerOf")),
                    NamedNode::new_unchecked(format!("{ID}paragon-solutions")),
                ),
            ],
        )
        .unwrap();
    let fresh = TestApp::new(graph.clone(), settings());
    for page in pages {
        let kept = app.get(page, None).await;
        let rendered = fresh.get(page, None).await;
        assert_eq!(kept.body, rendered.body, "{page}");
    }
    assert!(app.get(pages[0], None).await.body.contains("r-cache"));
}

/// Statements the statistics follow, among a few incidents, products, vendors, targets,
/// countries and reports.
fn statistics_quad([s, p, o, g]: [u8; 4]) -> Quad {
    let id = |name: &str| NamedNode::new_unchecked(format!("{ID}{name}"));
    let sa = |name: &str| NamedNode::new_unchecked(format!("{SA}{name}"));
    let report = |n: u8| NamedNode::new_unchecked(format!("{REPORT}r{}", n % 3));
    let graph: GraphName = if g % 4 == 0 {
        GraphName::DefaultGraph
    } else {
        report(g).into()
    };
    let (subject, predicate, object): (NamedNode, NamedNode, Term) = match p % 9 {
        0 => (
            id(&format!("incident-{}", s % 3)),
            rdf::TYPE.into_owned(),
            sa(if o % 4 == 0 { "Targeting" } else { "Incident" }).into(),
        ),
        1 => (
            id(&format!("incident-{}", s % 3)),
            sa("vendor"),
            id(&format!("vendor-{}", o % 2)).into(),
        ),
        2 => (
            id(&format!("incident-{}", s % 3)),
            sa("usedProduct"),
            id(&format!("product-{}", o % 2)).into(),
        ),
        3 => (
            id(&format!("product-{}", s % 2)),
            sa("developedBy"),
            id(&format!("vendor-{}", o % 2)).into(),
        ),
        4 => (
            id(&format!("incident-{}", s % 3)),
            sa(if o % 2 == 0 { "date" } else { "startDate" }),
            Literal::new_simple_literal(
                ["2021-05-01", "2019", "2021-01", "soon"][usize::from(o % 4)],
            )
            .into(),
        ),
        5 => (
            id(&format!("incident-{}", s % 3)),
            sa("target"),
            id(&format!("person-{}", o % 3)).into(),
        ),
        6 => (
            id(&format!("person-{}", s % 3)),
            sa(["nationality", "residence", "country"][usize::from(o % 3)]),
            id(&format!("country-{}", o % 2)).into(),
        ),
        7 => (
            report(s),
            NamedNode::new_unchecked("http://purl.org/dc/terms/publisher"),
            id(&format!("publisher-{}", o % 2)).into(),
        ),
        _ => (
            id(&format!("targeting-{}", s % 2)),
            sa("target"),
            id(&format!("person-{}", o % 3)).into(),
        ),
    };
    Quad::new(subject, predicate, object, graph)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// After every write, the statistics kept by writes are what counting the store
    /// afresh gives.
    #[test]
    fn statistics_kept_by_writes_equal_statistics_counted_afresh(
        writes in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<[u8; 4]>(), 1..6)), 1..16),
        dropped in any::<u8>(),
    ) {
        let graph = crate::stores::TestGraph::empty();
        let statistics = Statistics::build(&graph).unwrap();
        for (insert, quads) in &writes {
            let quads: Vec<Quad> = quads.iter().map(|choice| statistics_quad(*choice)).collect();
            insert_or_remove(&graph, *insert, &quads);
            let kept = statistics.read(Clone::clone);
            prop_assert_eq!(&kept, &Tables::build(&graph).unwrap(), "after {:?}", quads);
        }
        let report = NamedNode::new_unchecked(format!("{REPORT}r{}", dropped % 3));
        graph.drop_graph(report.as_ref().into()).unwrap();
        prop_assert_eq!(statistics.read(Clone::clone), Tables::build(&graph).unwrap());
        let update = Graph::parse_update(&format!("DELETE WHERE {{ ?i <{SA}vendor> ?v }}")).unwrap();
        graph.update(update, None).unwrap();
        prop_assert!(statistics.wait_until_complete(Duration::from_secs(30)));
        prop_assert_eq!(statistics.read(Clone::clone), Tables::build(&graph).unwrap());
    }
}

/// The figures of the bundled data, as JSON and on the front page, and after a report
/// about a new vendor's incident is loaded.
#[tokio::test]
async fn statistics_show_the_bundled_data_and_follow_a_load() {
    let app = TestApp::with_bundled_data();
    let figures = app.get("/api/statistics", None).await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    let figures: serde_json::Value = serde_json::from_str(&figures.body).unwrap();
    assert_eq!(figures["complete"], true);
    let vendors = figures["incidentsPerVendor"].as_array().unwrap();
    let paragon = vendors
        .iter()
        .find(|row| row["iri"] == format!("{ID}paragon-solutions"))
        .expect("Paragon's incidents are counted");
    assert!(paragon["total"].as_u64().unwrap() >= 1, "{paragon}");
    assert_eq!(paragon["url"], "/id/paragon-solutions");
    assert!(
        !figures["reportsPerPublisher"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{figures}"
    );
    let home = app.get("/", Some("text/html")).await;
    assert!(home.body.contains("Incidents per vendor"), "{}", home.body);
    assert!(
        home.body
            .contains("<a href=\"/id/paragon-solutions\">Paragon Solutions</a>")
    );

    let report = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/01-example-lab-report.yaml"
    ))
    .unwrap();
    let response = app
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            &report,
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let after: serde_json::Value =
        serde_json::from_str(&app.get("/api/statistics?limit=1000", None).await.body).unwrap();
    let publishers = after["reportsPerPublisher"].as_array().unwrap();
    assert!(
        publishers
            .iter()
            .any(|row| row["iri"] == format!("{ID}example-research-lab") && row["count"] == 1),
        "{after}"
    );
    // Bad input says what is wrong.
    let bad = app.get("/api/statistics?limit=0", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body
            .contains("`limit`: a number from 1 to 1000 was expected, not `0`"),
        "{}",
        bad.body
    );
    let unknown = app.get("/api/statistics?top=5", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}
