//! The `spyatlas` binary on a temporary data folder: load, query, dump.

use super::stores::TestData;
use super::support::Spawned;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

/// The binary on the embedded store in `data`.
fn spyatlas(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spyatlas"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// The binary on the store under test.
pub(crate) fn spyatlas_on(data: &TestData, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spyatlas"))
        .args(args)
        .args(data.args())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const COUNT_TEST_GRAPH: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.com/g> { ?s ?p ?o } }";

#[test]
fn load_query_and_dump_round_trip() {
    let data = TestData::new();
    let file = data.scratch().join("people.ttl");
    std::fs::write(
        &file,
        "@prefix ex: <http://example.com/> .\nex:alice ex:knows ex:bob .\nex:bob ex:knows ex:carol .\n",
    )
    .unwrap();

    let load = spyatlas_on(
        &data,
        &[
            "load",
            file.to_str().unwrap(),
            "--graph",
            "http://example.com/g",
        ],
    );
    assert!(load.status.success(), "{}", stderr(&load));
    assert!(
        stderr(&load).contains("loaded 2 quads from 1 file"),
        "{}",
        stderr(&load)
    );

    let query = spyatlas_on(&data, &["query", COUNT_TEST_GRAPH, "--format", "csv"]);
    assert!(query.status.success(), "{}", stderr(&query));
    assert_eq!(stdout(&query), "n\r\n2\r\n");

    let table = spyatlas_on(
        &data,
        &[
            "query",
            "SELECT ?who WHERE { ?who <http://example.com/knows> <http://example.com/bob> }",
        ],
    );
    assert!(
        stdout(&table).contains("| http://example.com/alice |"),
        "{}",
        stdout(&table)
    );

    let dump_file = data.scratch().join("dump.nq");
    let dump = spyatlas_on(&data, &["dump", "--output", dump_file.to_str().unwrap()]);
    assert!(dump.status.success(), "{}", stderr(&dump));
    let dumped = std::fs::read_to_string(&dump_file).unwrap();
    assert!(dumped.contains(
        "<http://example.com/alice> <http://example.com/knows> <http://example.com/bob> <http://example.com/g> ."
    ));
    assert!(
        dumped.contains("https://w3id.org/spyatlas/graph/ontology"),
        "a new store gets the bundled knowledge"
    );
}

#[test]
fn a_malformed_file_names_file_line_and_column_and_writes_nothing() {
    let data = TestData::new();
    let good = data.scratch().join("a-good.nt");
    let bad = data.scratch().join("b-bad.ttl");
    std::fs::write(
        &good,
        "<http://example.com/s> <http://example.com/p> <http://example.com/o> .\n",
    )
    .unwrap();
    std::fs::write(
        &bad,
        "@prefix ex: <http://example.com/> .\nex:s ex:p ex:o .\nex:s ex:p \"unterminated .\n",
    )
    .unwrap();

    let load = spyatlas_on(
        &data,
        &[
            "load",
            data.scratch().to_str().unwrap(),
            "--graph",
            "http://example.com/g",
        ],
    );
    assert!(!load.status.success());
    let message = stderr(&load);
    assert!(message.contains("b-bad.ttl:3:"), "file and line: {message}");
    assert!(message.contains("nothing was loaded"), "{message}");

    let query = spyatlas_on(&data, &["query", COUNT_TEST_GRAPH, "--format", "csv"]);
    assert_eq!(
        stdout(&query),
        "n\r\n0\r\n",
        "the good file was not written either"
    );
}

#[test]
fn an_unknown_file_type_is_refused() {
    let data = TestData::new();
    let file = data.scratch().join("notes.docx");
    std::fs::write(&file, "hello").unwrap();
    let load = spyatlas_on(&data, &["load", file.to_str().unwrap()]);
    assert!(!load.status.success());
    assert!(
        stdout(&load).contains("unknown RDF syntax or report format"),
        "{}",
        stdout(&load)
    );
    assert!(
        stderr(&load).contains("1 report failed"),
        "{}",
        stderr(&load)
    );
}

#[test]
fn query_output_formats_follow_the_query_form() {
    let data = TestData::new();
    let ask = spyatlas_on(
        &data,
        &[
            "query",
            "ASK { ?s a <https://w3id.org/spyatlas/ontology#Vendor> }",
            "--format",
            "json",
        ],
    );
    assert!(ask.status.success(), "{}", stderr(&ask));
    assert!(
        stdout(&ask).contains("\"boolean\":true"),
        "{}",
        stdout(&ask)
    );
    let construct = spyatlas_on(
        &data,
        &[
            "query",
            "CONSTRUCT { <http://e.org/s> <http://e.org/p> 1 } WHERE {}",
            "--format",
            "ntriples",
        ],
    );
    assert!(
        stdout(&construct).contains("<http://e.org/s> <http://e.org/p> \"1\"^^"),
        "{}",
        stdout(&construct)
    );
    let wrong = spyatlas_on(
        &data,
        &[
            "query",
            "CONSTRUCT { <http://e.org/s> <http://e.org/p> 1 } WHERE {}",
            "--format",
            "csv",
        ],
    );
    assert!(!wrong.status.success());
    let malformed = spyatlas_on(&data, &["query", "SELECT WHERE"]);
    assert!(!malformed.status.success());
    assert!(
        stderr(&malformed).contains("does not parse"),
        "{}",
        stderr(&malformed)
    );
}

#[test]
fn serve_logs_its_url_answers_and_stops_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_spyatlas"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("store"));
    let mut server = Spawned::start(command);
    assert!(server.url.ends_with("/sparql"), "{}", server.url);
    let health = super::http_client::send(&server.base, "GET", "/health", &[], b"");
    assert_eq!(health.status, 200);

    let (status, _) = server.terminate();
    assert!(
        status.success(),
        "a clean shutdown: {status}: {}",
        server.log()
    );
    assert!(
        dir.path().join("store").exists(),
        "the store was created on disk"
    );
}

#[test]
fn query_and_dump_ask_the_server_that_holds_the_store() {
    let dir = TempDir::new().unwrap();
    let store = dir.path().join("store");
    let mut command = Command::new(env!("CARGO_BIN_EXE_spyatlas"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(&store);
    let mut server = Spawned::start(command);

    let query = spyatlas(
        &store,
        &[
            "query",
            "--format",
            "csv",
            "SELECT ?v WHERE { ?v a <https://w3id.org/spyatlas/ontology#Vendor> }",
        ],
    );
    assert!(query.status.success(), "{}", stderr(&query));
    assert!(
        stdout(&query).contains("https://w3id.org/spyatlas/id/paragon-solutions"),
        "{}",
        stdout(&query)
    );
    let table = spyatlas(&store, &["query", "ASK { ?s ?p ?o }"]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert_eq!(stdout(&table).trim(), "true");
    let served_dump = spyatlas(&store, &["dump"]);
    assert!(served_dump.status.success(), "{}", stderr(&served_dump));
    // Writing is refused while the server holds the store, saying why.
    let load = spyatlas(&store, &["unload", "nothing-here"]);
    assert!(!load.status.success());
    assert!(
        stderr(&load).contains("in use by another spyatlas process"),
        "{}",
        stderr(&load)
    );

    let (status, _) = server.terminate();
    assert!(status.success(), "{status}: {}", server.log());
    assert!(
        !store.join("spyatlas-server").exists(),
        "the server's address is removed when it stops"
    );
    // What the server gave is what the store holds (blank nodes aside).
    let local_dump = spyatlas(&store, &["dump"]);
    assert!(local_dump.status.success(), "{}", stderr(&local_dump));
    let named = |output: &Output| {
        let mut lines: Vec<String> = stdout(output)
            .lines()
            .filter(|line| !line.contains("_:"))
            .map(str::to_owned)
            .collect();
        lines.sort_unstable();
        lines
    };
    let served = named(&served_dump);
    assert!(served.len() > 100);
    assert_eq!(served, named(&local_dump));
}

#[test]
fn a_store_in_a_missing_folder_is_refused_naming_the_folder() {
    let dir = TempDir::new().unwrap();
    let store = dir.path().join("a").join("b").join("store");
    let output = spyatlas(&store, &["query", "ASK { ?s ?p ?o }"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("does not exist")
            && message.contains(&dir.path().join("a").join("b").display().to_string()),
        "{message}"
    );
    assert!(!message.contains("another spyatlas process"), "{message}");
}
