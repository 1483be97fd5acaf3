//! The store-level and HTTP checks on remote SPARQL 1.1 stores: Virtuoso 7 and oxigraph's
//! own server, each started by the test on 127.0.0.1 and free ports with a throwaway
//! database (`scripts/remote-store`), against the embedded store as the reference. A
//! remote store must hold what the embedded one holds, and every page, search and answer
//! must come out the same.

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;
use spyatlas::config::HttpSettings;
use spyatlas::store::{Auth, Graph, RemoteConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A SPARQL store started for one test; stopped (its process ended by its PID) on drop.
struct RemoteStore {
    dir: tempfile::TempDir,
    query: String,
    update: String,
    /// Virtuoso's digest-authenticated endpoint.
    auth: Option<String>,
}

impl RemoteStore {
    fn start(engine: &str) -> Self {
        let dir = tempfile::TempDir::new().unwrap();
        let folder = dir.path().join("store");
        let output = Command::new(script())
            .args([engine, folder.to_str().unwrap()])
            .output()
            .expect("scripts/remote-store runs");
        assert!(
            output.status.success(),
            "{engine} did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8(output.stdout).unwrap();
        let field = |name: &str| {
            printed
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        Self {
            query: field("query").expect("the query endpoint is printed"),
            update: field("update").expect("the update endpoint is printed"),
            auth: field("auth"),
            dir,
        }
    }

    fn config(&self) -> RemoteConfig {
        RemoteConfig {
            query: self.query.clone(),
            update: self.update.clone(),
            auth: Auth::None,
            timeout: Duration::from_secs(60),
            poll: Duration::from_millis(500),
        }
    }

    /// The store, seeded with the bundled data when new.
    fn graph(&self) -> Graph {
        let graph = Graph::remote(self.config()).expect("the remote store answers");
        spyatlas::ingest::seed::seed_if_empty(&graph).expect("the bundled data is written");
        graph
    }
}

impl Drop for RemoteStore {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", self.dir.path().join("store").to_str().unwrap()])
            .status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/remote-store")
}

const ENGINES: [&str; 2] = ["virtuoso", "oxigraph"];

/// A dump as a sorted list of lines, blank node labels and load times left out (a store
/// labels blank nodes its own way; each store was loaded at its own time).
fn canonical_dump(graph: &Graph) -> Vec<String> {
    let dump = String::from_utf8(graph.dump(Vec::new()).unwrap()).unwrap();
    let mut lines: Vec<String> = dump
        .lines()
        .filter(|line| !line.contains("loadedAt"))
        .map(without_blank_node_labels)
        .collect();
    lines.sort();
    lines
}

fn without_blank_node_labels(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("_:") {
        out.push_str(&rest[..start]);
        out.push_str("_:b");
        rest = &rest[start + 2..];
        let end = rest
            .find(|character: char| !character.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with every `YYYY-MM-DDTHH:MM:SSZ` time (a report's load time) made `<time>`.
fn without_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < bytes.len() {
        let fits = bytes.len() >= index + shape.len()
            && shape.iter().enumerate().all(|(offset, kind)| {
                let byte = bytes[index + offset];
                if *kind == b'd' {
                    byte.is_ascii_digit()
                } else {
                    byte == *kind
                }
            });
        if fits {
            let mut end = index + shape.len();
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if end < bytes.len() && bytes[end] == b'Z' {
                end += 1;
            }
            out.push_str("<time>");
            index = end;
        } else {
            let character = text[index..].chars().next().unwrap();
            out.push(character);
            index += character.len_utf8();
        }
    }
    out
}

fn app(graph: Graph) -> TestApp {
    TestApp::new(
        graph,
        HttpSettings::with_token(TOKEN, Duration::from_secs(30)),
    )
}

/// Every page kind and every JSON answer a reader sees, on every entity.
fn addresses(reference: &Graph) -> Vec<String> {
    let mut addresses: Vec<String> = [
        "/",
        "/reports",
        "/api/reports",
        "/api/search?q=paragon",
        "/api/search?q=whats%20ap",
        "/api/search?q=casarni",
        "/path?from=paragon-solutions&to=luca-casarini",
        "/api/path?from=paragon-solutions&to=luca-casarini",
        "/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
        "/queries",
    ]
    .map(str::to_owned)
    .to_vec();
    // Every entity of the seed report and the reference graph; of the MISP galaxy's 615
    // vendors and their listings (the same page kinds again), every twentieth, and its
    // hub, the MISP Project.
    let galaxy = "<https://w3id.org/spyatlas/report/misp-galaxy-surveillance-vendor> .";
    let mut elsewhere = std::collections::BTreeSet::new();
    let mut in_galaxy = std::collections::BTreeSet::new();
    for line in canonical_dump(reference) {
        let Some((slug, _)) = line
            .strip_prefix("<https://w3id.org/spyatlas/id/")
            .and_then(|rest| rest.split_once('>'))
        else {
            continue;
        };
        if line.ends_with(galaxy) {
            in_galaxy.insert(slug.to_owned());
        } else {
            elsewhere.insert(slug.to_owned());
        }
    }
    let mut entities: Vec<String> = elsewhere.iter().cloned().collect();
    entities.extend(
        in_galaxy
            .difference(&elsewhere)
            .enumerate()
            .filter(|(n, slug)| n % 20 == 0 || *slug == "misp-project")
            .map(|(_, slug)| slug.clone()),
    );
    entities.sort();
    entities.dedup();
    assert!(entities.len() > 30, "{entities:?}");
    for slug in entities {
        addresses.push(format!("/id/{slug}"));
        addresses.push(format!("/id/{slug}?format=json"));
    }
    addresses
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_store_holds_and_shows_what_the_embedded_store_does() {
    let reference = spyatlas::ingest::seed::in_memory_with_bundled().unwrap();
    let expected = canonical_dump(&reference);
    let embedded = app(reference.clone());
    for engine in ENGINES {
        let store = RemoteStore::start(engine);
        let graph = store.graph();
        let dump = canonical_dump(&graph);
        assert_eq!(dump.len(), expected.len(), "{engine}: quads of the dump");
        assert_eq!(dump, expected, "{engine}: the dump");
        assert_eq!(
            graph.len().unwrap(),
            reference.len().unwrap(),
            "{engine}: the count leaves out the engine's own graphs and the mark of writes"
        );
        let remote = app(graph);
        for address in addresses(&reference) {
            let want = embedded.get(&address, None).await;
            let got = remote.get(&address, None).await;
            assert_eq!(got.status, want.status, "{engine}: {address}: {}", got.body);
            assert_eq!(
                without_times(&got.body),
                without_times(&want.body),
                "{engine}: {address}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sparql_answers_and_guards_are_those_of_the_embedded_store() {
    let reference = spyatlas::ingest::seed::in_memory_with_bundled().unwrap();
    let embedded = app(reference);
    let queries = [
        // Ordered solutions, compared as they come.
        "SELECT ?vendor ?label WHERE { ?vendor a <https://w3id.org/spyatlas/ontology#Vendor> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?vendor ?label",
        // Over the default graph, the union of all graphs (Virtuoso's own graphs hold no
        // spyatlas entity).
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"https://w3id.org/spyatlas/id/\")) }",
        "ASK { <https://w3id.org/spyatlas/id/paragon-solutions> ?p ?o }",
        "ASK { <https://w3id.org/spyatlas/id/nobody> ?p ?o }",
        // The graph holding the mark of the last write is a remote store's only addition.
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"https://w3id.org/spyatlas/\") && ?g != <https://w3id.org/spyatlas/graph/writes>) } GROUP BY ?g ORDER BY ?g",
    ];
    for engine in ENGINES {
        let store = RemoteStore::start(engine);
        let remote = app(store.graph());
        for query in queries {
            let address = format!("/sparql?query={}", urlencode(query));
            let accept = Some("text/csv");
            let want = embedded.get(&address, accept).await;
            let got = remote.get(&address, accept).await;
            assert_eq!(
                got.status,
                StatusCode::OK,
                "{engine}: {query}: {}",
                got.body
            );
            assert_eq!(got.body, want.body, "{engine}: {query}");
        }
        // CONSTRUCT: the same triples, in whatever order.
        let construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/spyatlas/graph/reference> { ?s ?p ?o } }";
        let address = format!("/sparql?query={}", urlencode(construct));
        let sorted = |text: &str| {
            let mut lines: Vec<String> = text.lines().map(without_blank_node_labels).collect();
            lines.sort();
            lines
        };
        let want = embedded.get(&address, Some("application/n-triples")).await;
        let got = remote.get(&address, Some("application/n-triples")).await;
        assert_eq!(got.status, StatusCode::OK, "{engine}: {}", got.body);
        assert!(want.body.lines().count() > 40, "{}", want.body);
        assert_eq!(sorted(&got.body), sorted(&want.body), "{engine}: CONSTRUCT");
        // SERVICE is refused before anything reaches the store, as on the embedded store.
        let service = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }";
        let address = format!("/sparql?query={}", urlencode(service));
        let want = embedded.get(&address, None).await;
        let got = remote.get(&address, None).await;
        assert_eq!(got.status, want.status, "{engine}: SERVICE: {}", got.body);
        assert!(got.status.is_client_error(), "{engine}: {}", got.body);
        assert_eq!(got.body, want.body, "{engine}: SERVICE");
        // An update through the endpoint reaches the store, and the indexes read it again.
        let update = "INSERT DATA { GRAPH <https://w3id.org/spyatlas/graph/extra> { <https://w3id.org/spyatlas/id/zeta-labs> a <https://w3id.org/spyatlas/ontology#Vendor> ; <http://www.w3.org/2000/01/rdf-schema#label> \"Zeta Labs\"@en } }";
        let done = remote
            .post(
                "/sparql",
                Some("application/sparql-update"),
                Some(TOKEN),
                update,
            )
            .await;
        assert_eq!(
            done.status,
            StatusCode::NO_CONTENT,
            "{engine}: {}",
            done.body
        );
        let found = eventually(|| async {
            remote
                .get("/api/search?q=zeta%20labs", None)
                .await
                .body
                .contains("zeta-labs")
        })
        .await;
        assert!(found, "{engine}: the search index read the update");
        let page = remote.get("/id/zeta-labs", Some("text/html")).await;
        assert_eq!(page.status, StatusCode::OK, "{engine}");
        assert!(page.body.contains("Zeta Labs"), "{engine}");
    }
}

/// Whether `check` holds within 15 seconds.
async fn eventually<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

const REPORT: &str = r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:casarini-again
kind: news-article
label: {en: "Casarini again", nl: "Casarini opnieuw", it: "Casarini di nuovo"}
title: {en: "Casarini again"}
publisher: reuters
issued: 2025-05
language: en
url: https://example.org/casarini-again
claims:
  - type: Targeting
    label: {en: "Casarini followed again", nl: "Casarini opnieuw gevolgd", it: "Casarini seguito di nuovo"}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: luca-casarini
    outcome: targeted
    status: alleged
"#;

#[tokio::test(flavor = "multi_thread")]
async fn reports_are_loaded_replaced_and_retracted_whole_and_other_servers_see_it() {
    for engine in ENGINES {
        let store = RemoteStore::start(engine);
        let first = store.graph();
        // A second server over the same store: a separate process in production, a
        // separate client with indexes of its own here.
        let second = Graph::remote(store.config()).unwrap();
        let seeded = canonical_dump(&first);
        let a = app(first.clone());
        let b = app(second);
        let page = "/id/luca-casarini";
        assert!(
            !b.get(page, None)
                .await
                .body
                .contains("Casarini followed again")
        );

        // Loaded through one server: on the other's pages and search, without a restart.
        let loaded = a
            .post(
                "/api/reports",
                Some("application/yaml"),
                Some(TOKEN),
                REPORT,
            )
            .await;
        assert_eq!(
            loaded.status,
            StatusCode::CREATED,
            "{engine}: {}",
            loaded.body
        );
        assert!(
            a.get(page, None)
                .await
                .body
                .contains("Casarini followed again")
        );
        let seen = eventually(|| async {
            b.get(page, None)
                .await
                .body
                .contains("Casarini followed again")
                && b.get("/api/search?q=casarini%20followed", None)
                    .await
                    .body
                    .contains("casarini-followed-again")
        })
        .await;
        assert!(seen, "{engine}: the second server shows the report");

        // A revision replaces the report whole: the claim's old status is gone everywhere.
        let status = |status: &str| {
            format!(
                "data-status=\"https://w3id.org/spyatlas/ontology#{status}\" data-claim=\"https://w3id.org/spyatlas/id/casarini-followed-again\""
            )
        };
        assert!(a.get(page, None).await.body.contains(&status("alleged")));
        let revised = REPORT.replace("status: alleged", "status: reported");
        let replaced = a
            .post(
                "/api/reports",
                Some("application/yaml"),
                Some(TOKEN),
                &revised,
            )
            .await;
        assert_eq!(
            replaced.status,
            StatusCode::OK,
            "{engine}: {}",
            replaced.body
        );
        assert!(replaced.body.contains("\"replaced\""), "{}", replaced.body);
        let seen = eventually(|| async {
            let body = b.get(page, None).await.body;
            body.contains(&status("reported")) && !body.contains(&status("alleged"))
        })
        .await;
        assert!(seen, "{engine}: the second server shows the revision only");

        // A report that breaks a rule writes nothing.
        let before = canonical_dump(&first);
        let broken = revised.replace("status: reported", "status: certain");
        let refused = a
            .post(
                "/api/reports",
                Some("application/yaml"),
                Some(TOKEN),
                &broken,
            )
            .await;
        assert!(
            refused.status.is_client_error(),
            "{engine}: {}",
            refused.body
        );
        let after = canonical_dump(&first);
        assert_eq!(after, before, "{engine}: a refused report wrote nothing");

        // Retracted through the second server: gone from both, the store as seeded.
        let retracted = b.delete("/api/reports/casarini-again", Some(TOKEN)).await;
        assert_eq!(
            retracted.status,
            StatusCode::NO_CONTENT,
            "{engine}: {}",
            retracted.body
        );
        let gone = eventually(|| async {
            !a.get(page, None)
                .await
                .body
                .contains("Casarini followed again")
        })
        .await;
        assert!(
            gone,
            "{engine}: the first server no longer shows the report"
        );
        let now = canonical_dump(&first);
        assert_eq!(now, seeded, "{engine}: the store holds what it held before");
        drop(store);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_store_writes_reach_a_remote_store() {
    for engine in ENGINES {
        let store = RemoteStore::start(engine);
        let remote = app(store.graph());
        let target = "/store?graph=http://example.com/notes";
        let put = remote
            .send(
                axum::http::Request::put(target)
                    .header("content-type", "text/turtle")
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .body(axum::body::Body::from(
                        "<http://example.com/a> <http://example.com/says> \"hello\"@en , [ <http://example.com/p> 1 ] .",
                    ))
                    .unwrap(),
            )
            .await;
        assert!(put.status.is_success(), "{engine}: {}", put.body);
        let read = remote.get(target, Some("application/n-triples")).await;
        assert_eq!(read.status, StatusCode::OK, "{engine}");
        assert!(
            read.body.contains("\"hello\"@en"),
            "{engine}: {}",
            read.body
        );
        assert_eq!(read.body.lines().count(), 3, "{engine}: {}", read.body);
        let deleted = remote.delete(target, Some(TOKEN)).await;
        assert!(deleted.status.is_success(), "{engine}: {}", deleted.body);
        let read = remote.get(target, Some("application/n-triples")).await;
        assert_eq!(
            read.status,
            StatusCode::NOT_FOUND,
            "{engine}: {}",
            read.body
        );
    }
}

#[test]
fn the_command_line_works_on_a_remote_store() {
    let store = RemoteStore::start("virtuoso");
    let spyatlas = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_spyatlas"))
            .args(args)
            .args(["--store", &format!("sparql+{}", store.query)])
            .env_remove("SPYATLAS_STORE_PASSWORD")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let report = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(report.path(), REPORT).unwrap();
    let (ok, _, errors) = spyatlas(&["load", report.path().to_str().unwrap()]);
    assert!(ok, "{errors}");
    let (ok, answer, errors) = spyatlas(&[
        "query",
        "--format",
        "csv",
        "SELECT ?label WHERE { <https://w3id.org/spyatlas/id/casarini-followed-again> <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = \"en\") }",
    ]);
    assert!(ok, "{errors}");
    assert!(answer.contains("Casarini followed again"), "{answer}");
    let (ok, dump, errors) = spyatlas(&["dump"]);
    assert!(ok, "{errors}");
    assert!(dump.lines().count() > 1000);
    assert!(dump.contains("<https://w3id.org/spyatlas/report/casarini-again> ."));
    assert!(
        !dump.contains("openlinksw"),
        "the engine's own graphs are left out"
    );
    let (ok, _, errors) = spyatlas(&["unload", "casarini-again"]);
    assert!(ok, "{errors}");
    let (ok, dump, _) = spyatlas(&["dump"]);
    assert!(ok);
    assert!(!dump.contains("report/casarini-again"));
    // A user name without a password is refused before anything is sent.
    let (ok, _, errors) = spyatlas(&["dump", "--store-user", "dba"]);
    assert!(!ok);
    assert!(errors.contains("SPYATLAS_STORE_PASSWORD"), "{errors}");
}

#[test]
fn digest_authentication_reaches_virtuosos_protected_endpoint() {
    let store = RemoteStore::start("virtuoso");
    let endpoint = store.auth.clone().expect("Virtuoso has /sparql-auth");
    let config = |password: &str| RemoteConfig {
        query: endpoint.clone(),
        update: endpoint.clone(),
        auth: Auth::Digest {
            user: "dba".into(),
            password: password.into(),
        },
        ..store.config()
    };
    let graph = Graph::remote(config("dba")).expect("digest authentication is accepted");
    spyatlas::ingest::seed::seed_if_empty(&graph).unwrap();
    assert!(graph.len().unwrap() > 1000);
    let refused = Graph::remote(config("wrong"))
        .err()
        .expect("a wrong password is refused");
    assert!(refused.to_string().contains("401"), "{refused}");
    // Basic authentication is not what this endpoint takes: the error says so.
    let basic = RemoteConfig {
        auth: Auth::Basic {
            user: "dba".into(),
            password: "dba".into(),
        },
        ..config("dba")
    };
    let refused = Graph::remote(basic).err().expect("basic is refused");
    assert!(refused.to_string().contains("401"), "{refused}");
}

#[test]
fn an_unreachable_store_is_named_in_the_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = RemoteConfig::from_url(&format!("sparql+http://127.0.0.1:{port}/sparql")).unwrap();
    let error = Graph::remote(config).err().expect("nothing answers");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("cannot reach"), "{message}");
}

/// What [`FailingProxy`] does with the next update request that rewrites a graph.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Failure {
    /// Passes it on.
    None,
    /// Answers 500 without passing it on: nothing is written.
    Before,
    /// Passes on its first operation only (the graph's `CLEAR`), then answers 500: the
    /// store is left with part of the write, as an engine committing operation by
    /// operation leaves it when a later operation fails.
    Midway,
    /// Passes it on whole, then answers 500: all of it is written.
    After,
}

/// What [`FailingProxy`] does with the queries and updates whose text holds `marker`: the
/// next `times` of them are answered 500 with `body` instead of being passed on; `seen`
/// counts them all.
/// With `anytime`, the refusal is Virtuoso's answer cut at a time limit instead: 200, an
/// empty answer, `X-SQL-State: S1TAT` and `body` as `X-SQL-Message`. With `short`, it is
/// the store's own answer, broken off where `body` first occurs ([`Framing`]). `timeout`
/// keeps the `timeout` parameter of the last such request.
#[derive(Default)]
struct Refusal {
    marker: String,
    times: u32,
    body: String,
    anytime: bool,
    short: Option<Framing>,
    /// The status of a refusal: 500 unless set.
    status: u16,
    seen: u32,
    timeout: Option<String>,
}

/// How [`FailingProxy`] sends an answer it breaks off: the store's answer is passed on up
/// to the end of the line where a given text first occurs (a boundary between elements,
/// or between triples), and the connection is closed there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Framing {
    /// With the `content-length` of the whole answer.
    Length,
    /// In `transfer-encoding: chunked`, without the last, empty chunk.
    Chunked,
    /// With neither: an answer that ends where the connection does, as HTTP/1.0 allows.
    Close,
}

/// An HTTP proxy in front of a store's endpoint that fails one write, or refuses marked
/// queries, as told.
struct FailingProxy {
    url: String,
    failure: std::sync::Arc<std::sync::Mutex<Failure>>,
    refusal: std::sync::Arc<std::sync::Mutex<Refusal>>,
}

impl FailingProxy {
    fn start(upstream: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/sparql", listener.local_addr().unwrap());
        let failure = std::sync::Arc::new(std::sync::Mutex::new(Failure::None));
        let refusal = std::sync::Arc::new(std::sync::Mutex::new(Refusal::default()));
        let (upstream, failures, refusals) = (
            upstream.to_owned(),
            std::sync::Arc::clone(&failure),
            std::sync::Arc::clone(&refusal),
        );
        std::thread::spawn(move || {
            for connection in listener.incoming() {
                let Ok(connection) = connection else { return };
                let upstream = upstream.clone();
                let (failure, refusal) = (
                    std::sync::Arc::clone(&failures),
                    std::sync::Arc::clone(&refusals),
                );
                std::thread::spawn(move || {
                    serve_proxied(connection, &upstream, &failure, &refusal);
                });
            }
        });
        Self {
            url,
            failure,
            refusal,
        }
    }

    fn fail(&self, failure: Failure) {
        *self.failure.lock().unwrap() = failure;
    }

    /// Refuses the next `times` queries or updates holding `marker` with `body`; from now
    /// on, counts the requests holding it.
    fn refuse(&self, marker: &str, times: u32, body: &str) {
        *self.refusal.lock().unwrap() = Refusal {
            marker: marker.to_owned(),
            times,
            body: body.to_owned(),
            ..Refusal::default()
        };
    }

    /// Answers the next query holding `marker` as cut at a time limit, with `message`.
    fn cut(&self, marker: &str, message: &str) {
        *self.refusal.lock().unwrap() = Refusal {
            marker: marker.to_owned(),
            times: 1,
            body: message.to_owned(),
            anytime: true,
            ..Refusal::default()
        };
    }

    /// Breaks off the store's answer to the next query holding `marker` at the end of the
    /// line where `after` first occurs, sent in `framing`.
    fn break_off(&self, marker: &str, after: &str, framing: Framing) {
        *self.refusal.lock().unwrap() = Refusal {
            marker: marker.to_owned(),
            times: 1,
            body: after.to_owned(),
            short: Some(framing),
            ..Refusal::default()
        };
    }

    /// The `timeout` parameter of the last request holding the marker.
    fn timeout(&self) -> Option<String> {
        self.refusal.lock().unwrap().timeout.clone()
    }

    /// How many requests holding the marker arrived since [`Self::refuse`].
    fn seen(&self) -> u32 {
        self.refusal.lock().unwrap().seen
    }
}

/// Answers the requests of one connection (kept alive) by passing them to `upstream`.
fn serve_proxied(
    connection: std::net::TcpStream,
    upstream: &str,
    failure: &std::sync::Mutex<Failure>,
    refusal: &std::sync::Mutex<Refusal>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut reader = BufReader::new(connection.try_clone().unwrap());
    let mut writer = connection;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end().to_owned();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap();
                }
                if name == "content-type" || name == "accept" {
                    headers.push((name, value));
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let rewrite = form
            .iter()
            .any(|(key, value)| key == "update" && value.contains("CLEAR SILENT GRAPH"));
        let failing = if rewrite {
            std::mem::replace(&mut *failure.lock().unwrap(), Failure::None)
        } else {
            Failure::None
        };
        let pass = |form: &[(String, String)]| {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let mut request = agent.post(upstream);
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let mut response = request.send(body).unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("text/plain")
                .to_owned();
            let body = response.body_mut().read_to_vec().unwrap();
            (status, content_type, body)
        };
        let refusing = form
            .iter()
            .find(|(key, _)| key == "query" || key == "update")
            .and_then(|(_, text)| {
                let mut refusal = refusal.lock().unwrap();
                if refusal.marker.is_empty() || !text.contains(&refusal.marker) {
                    return None;
                }
                refusal.seen += 1;
                refusal.timeout = form
                    .iter()
                    .find(|(key, _)| key == "timeout")
                    .map(|(_, value)| value.clone());
                if refusal.times == 0 {
                    return None;
                }
                refusal.times -= 1;
                Some((refusal.body.clone(), refusal.anytime, refusal.short))
            });
        if let Some((after, _, Some(framing))) = &refusing {
            let (status, content_type, body) = pass(&form);
            let found = find(&body, after.as_bytes()).unwrap_or_else(|| {
                panic!("{after:?} is not in {}", String::from_utf8_lossy(&body))
            });
            let cut = find(&body[found..], b"\n").map_or(body.len(), |end| found + end + 1);
            assert!(cut < body.len(), "nothing is left to break off");
            let framing_header = match framing {
                Framing::Length => format!("content-length: {}\r\n", body.len()),
                Framing::Chunked => "transfer-encoding: chunked\r\n".to_owned(),
                Framing::Close => "connection: close\r\n".to_owned(),
            };
            let mut sent = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n{framing_header}\r\n"
            )
            .into_bytes();
            if *framing == Framing::Chunked {
                sent.extend_from_slice(format!("{cut:x}\r\n").as_bytes());
                sent.extend_from_slice(&body[..cut]);
                sent.extend_from_slice(b"\r\n");
            } else {
                sent.extend_from_slice(&body[..cut]);
            }
            let _ = writer.write_all(&sent);
            let _ = writer.flush();
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
        let mut extra = String::new();
        let (status, content_type, body) = match (refusing, failing) {
            (Some((message, true, _)), _) => {
                extra = format!("x-sql-state: S1TAT\r\nx-sql-message: {message}\r\n");
                (
                    200,
                    "application/sparql-results+xml".into(),
                    br#"<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head></head><results></results></sparql>"#.to_vec(),
                )
            }
            (Some((body, false, _)), _) => {
                let status = match refusal.lock().unwrap().status {
                    0 => 500,
                    status => status,
                };
                (status, "text/plain".into(), body.into_bytes())
            }
            (None, failing) => match failing {
                Failure::None => pass(&form),
                Failure::Before => (500, "text/plain".into(), b"simulated failure".to_vec()),
                Failure::Midway => {
                    let update = &form.iter().find(|(key, _)| key == "update").unwrap().1;
                    let first = update.split(" ;\n").next().unwrap().to_owned();
                    assert!(first.starts_with("CLEAR SILENT GRAPH"), "{first}");
                    pass(&[("update".to_owned(), first)]);
                    (500, "text/plain".into(), b"simulated failure".to_vec())
                }
                Failure::After => {
                    pass(&form);
                    (500, "text/plain".into(), b"simulated failure".to_vec())
                }
            },
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n{extra}content-length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A Virtuoso store holding the bundled data, a failing proxy in front of it, and the
/// graph that reaches the store through the proxy.
fn seeded_behind_a_proxy() -> (RemoteStore, FailingProxy, Graph) {
    let store = RemoteStore::start("virtuoso");
    let proxy = FailingProxy::start(&store.query);
    let graph = Graph::remote(RemoteConfig {
        query: proxy.url.clone(),
        update: proxy.url.clone(),
        ..store.config()
    })
    .unwrap();
    spyatlas::ingest::seed::seed_if_empty(&graph).unwrap();
    (store, proxy, graph)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_fails_midway_is_undone_and_one_that_fails_late_is_kept() {
    let (_store, proxy, graph) = seeded_behind_a_proxy();
    let remote = app(graph.clone());
    let loaded = remote
        .post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            REPORT,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.body);
    let first = canonical_dump(&graph);
    let revised = REPORT.replace("status: alleged", "status: reported");
    let revise = || {
        remote.post(
            "/api/reports",
            Some("application/yaml"),
            Some(TOKEN),
            &revised,
        )
    };

    // Cleared, then the request failed: the graph is written back as it was.
    proxy.fail(Failure::Midway);
    let failed = revise().await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert!(failed.body.contains("undone"), "{}", failed.body);
    assert!(
        failed.body.contains("\"error\":\"store\""),
        "{}",
        failed.body
    );
    assert_eq!(canonical_dump(&graph), first, "the first revision, whole");
    let page = remote.get("/id/luca-casarini", None).await.body;
    assert!(
        page.contains("Casarini followed again"),
        "the page shows the report"
    );

    // Refused before anything was written: nothing to undo.
    proxy.fail(Failure::Before);
    let failed = revise().await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert_eq!(canonical_dump(&graph), first);

    // Written whole, though answered with a failure: the write stands.
    proxy.fail(Failure::After);
    let done = revise().await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("\"replaced\""), "{}", done.body);
    let now = canonical_dump(&graph);
    assert_ne!(now, first);
    assert!(now.iter().any(|line| line.contains("ontology#reported")));
    // Nothing else is failed: the proxy was told to fail once each time.
    let again = revise().await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains("\"unchanged\""), "{}", again.body);
}

/// What Virtuoso 7 answered, now and then, to the named query of entities without a source,
/// which it answers at other times.
const COMPILER_OVERFLOW: &str = "Virtuoso 42000 Error SQ200: Stack Overflow in cost model\n\nSPARQL query:\nSELECT DISTINCT ?entity ?class ?graph WHERE { ... }";

#[tokio::test(flavor = "multi_thread")]
async fn a_query_the_compiler_gave_up_on_is_sent_again_and_a_cut_answer_refused() {
    let (_store, proxy, graph) = seeded_behind_a_proxy();
    let remote = app(graph.clone());
    let named = "/api/queries/entities_without_source";
    let marker = "STR(?entity), \"https://w3id.org/spyatlas/id/\"";

    // Refused once: sent again, and answered as the store answers it.
    let want = remote.get(named, None).await;
    assert_eq!(want.status, StatusCode::OK, "{}", want.body);
    assert!(want.body.contains("\"rows\":[]"), "{}", want.body);
    proxy.refuse(marker, 1, COMPILER_OVERFLOW);
    let got = remote.get(named, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body, want.body);
    assert_eq!(proxy.seen(), 2, "the query was sent twice");
    let sent_again = || async {
        let metrics = remote.get("/metrics", None).await.body;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("spyatlas_store_queries_sent_again_total "))
            .unwrap_or_else(|| panic!("no count of queries sent again in {metrics}"))
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(sent_again().await, 1);

    // Refused twice: the client is told the store's reason and what may help, and the query
    // is not sent a third time.
    proxy.refuse(marker, 2, COMPILER_OVERFLOW);
    let failed = remote.get(named, None).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert!(
        failed.body.contains("SQ200: Stack Overflow in cost model"),
        "{}",
        failed.body
    );
    assert!(failed.body.contains("fewer NOT EXISTS"), "{}", failed.body);
    assert_eq!(proxy.seen(), 2);
    assert_eq!(sent_again().await, 2);

    // Any other refusal is final at once.
    proxy.refuse(
        marker,
        1,
        "Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error",
    );
    let failed = remote.get(named, None).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert!(failed.body.contains("SP030"), "{}", failed.body);
    assert!(!failed.body.contains("fewer NOT EXISTS"), "{}", failed.body);
    assert_eq!(proxy.seen(), 1);

    // Every query under a request's deadline tells the store that deadline, a little
    // early (the store's 60 s here). An answer the store cut at a time limit of its own,
    // long before the deadline, is thrown away, and the client told which limit to raise.
    proxy.cut(
        marker,
        "RC...: Returning incomplete results, query interrupted by result timeout.",
    );
    let cut = remote.get(named, None).await;
    assert_eq!(proxy.timeout().as_deref(), Some("59750"));
    assert_eq!(cut.status, StatusCode::BAD_GATEWAY, "{}", cut.body);
    assert!(cut.body.contains("its own time limit"), "{}", cut.body);
    assert!(cut.body.contains("MaxQueryExecutionTime"), "{}", cut.body);
    assert_eq!(proxy.seen(), 1, "not sent again");

    // An update is never sent twice, whatever the refusal: it is told to the client, and
    // nothing is written.
    let probe = "https://w3id.org/spyatlas/graph/compiler-probe";
    proxy.refuse(probe, 1, COMPILER_OVERFLOW);
    let update = format!("INSERT DATA {{ GRAPH <{probe}> {{ <urn:a> <urn:b> <urn:c> }} }}");
    let failed = remote
        .post(
            "/sparql",
            Some("application/sparql-update"),
            Some(TOKEN),
            &update,
        )
        .await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert!(failed.body.contains("SQ200"), "{}", failed.body);
    assert_eq!(proxy.seen(), 1, "the update was sent once");
    assert_eq!(proxy.timeout(), None, "an update is sent no timeout");
    assert_eq!(
        sent_again().await,
        2,
        "only the two queries were sent again"
    );
    assert!(
        !graph
            .named_graphs()
            .unwrap()
            .iter()
            .any(|name| name.as_str() == probe),
        "nothing was written"
    );
}

#[test]
fn an_answer_broken_off_is_refused_not_taken_for_a_shorter_one() {
    use oxigraph::sparql::QueryResults;
    let (_store, proxy, graph) = seeded_behind_a_proxy();
    let marker = "spyatlas-broken-off";
    let select = format!(
        "SELECT ?s ?label WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label \
         FILTER(?label != \"{marker}\") }} LIMIT 50"
    );
    let construct = format!(
        "CONSTRUCT {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} WHERE {{ \
         ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(?label != \"{marker}\") }} LIMIT 50"
    );
    // Whole, or the error of the first part that could not be read.
    let answer = |text: &str| -> Result<usize, String> {
        let query = spargebra::SparqlParser::new().parse_query(text).unwrap();
        match graph
            .query(query, spyatlas::store::Dataset::Union)
            .map_err(|error| error.to_string())?
        {
            QueryResults::Solutions(solutions) => solutions
                .map(|solution| solution.map_err(|error| error.to_string()))
                .collect::<Result<Vec<_>, _>>()
                .map(|rows| rows.len()),
            QueryResults::Graph(triples) => triples
                .map(|triple| triple.map_err(|error| error.to_string()))
                .collect::<Result<Vec<_>, _>>()
                .map(|triples| triples.len()),
            QueryResults::Boolean(_) => panic!("no ASK here"),
        }
    };
    let whole = answer(&select).unwrap();
    assert_eq!(whole, 50);
    assert!(
        answer(&construct).unwrap() > 1,
        "more triples than the first"
    );

    for framing in [Framing::Length, Framing::Chunked, Framing::Close] {
        // Broken off before the first result, after the first, and after the first triple:
        // each a well-formed beginning that a reader stopping at the end of its input
        // would take for a shorter answer.
        for (query, after) in [
            (&select, "<results"),
            (&select, "</result>"),
            (&construct, "\n"),
        ] {
            proxy.break_off(marker, after, framing);
            let broken = answer(query);
            assert_eq!(proxy.seen(), 1, "{framing:?} after {after:?}: sent once");
            let error = broken.expect_err(&format!(
                "{framing:?}: an answer broken off after {after:?} is refused"
            ));
            // Triples that end with the connection may be all there is: such an answer is
            // refused for what it lacks, every other for breaking off.
            let said = if framing == Framing::Close && query == &construct {
                "without Content-Length or chunked transfer encoding"
            } else {
                "broke off after"
            };
            assert!(
                error.contains(said) && error.contains(&proxy.url),
                "{framing:?} after {after:?}: {error}"
            );
        }
    }
    // Virtuoso answers 206 with part of an answer cut at its ExecutionTimeout: here, a
    // whole document without rows.
    proxy.refuse(
        marker,
        1,
        r#"<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="s"/></head><results></results></sparql>"#,
    );
    proxy.refusal.lock().unwrap().status = 206;
    let error = answer(&select).expect_err("a 206 answer is refused");
    assert!(error.contains("answered 206"), "{error}");

    // The next answers are whole again.
    proxy.refuse("", 0, "");
    assert_eq!(answer(&select), Ok(whole));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_says_when_the_remote_store_stops_answering() {
    let store = RemoteStore::start("oxigraph");
    let remote = app(store.graph());
    let health = remote.get("/health", None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    drop(store);
    let started = Instant::now();
    let health = remote.get("/health", None).await;
    assert_eq!(
        health.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        health.body
    );
    assert!(health.body.contains("SPARQL store"), "{}", health.body);
    assert!(
        !health.body.contains("127.0.0.1"),
        "no address of the store: {}",
        health.body
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(health.headers.contains_key("retry-after"));
}
