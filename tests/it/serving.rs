//! How the server answers: quick queries inline on the connection's thread, the others
//! streamed from a blocking thread; parsed queries kept by base IRI and text; many
//! connections at once, each kept alive across requests.

use super::http_client;
use super::support::{TOKEN, TestServer};
use crate::stores::TestGraph;
use spyatlas::config::{HttpSettings, InlineLimits};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Every triple of the bundled data but what differs between two stores made from it
/// (blank node labels, the time the seed report was loaded): far more than a kilobyte of
/// N-Triples.
const EVERYTHING: &str = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o \
     FILTER(!isBlank(?s) && !isBlank(?o) && ?p != <https://w3id.org/spyatlas/ontology#loadedAt>) }";

/// Limits under which every answer of these tests is built inline, even in a debug build.
const ALL_INLINE: InlineLimits = InlineLimits {
    budget: Duration::from_secs(60),
    max_bytes: 64 * 1024 * 1024,
};

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A server over `store` (servers compared with each other share one store: a remote
/// store labels blank nodes its own way, and each has its own mark of the last write).
fn server_with(store: &TestGraph, inline: InlineLimits) -> TestServer {
    let mut settings = HttpSettings::with_token(TOKEN, Duration::from_secs(30));
    settings.inline = inline;
    // Every request evaluates its query: none is answered from the answers kept.
    settings.answer_cache_bytes = 0;
    TestServer::start(store.graph(), settings)
}

/// The answer to [`EVERYTHING`] once its shape is known quick: the first request of a
/// shape goes to the work pool, the next ones inline.
fn get_everything_inline(server: &TestServer) -> http_client::HttpResponse {
    get_everything(server);
    get_everything(server)
}

fn get_everything(server: &TestServer) -> http_client::HttpResponse {
    let response = http_client::send(
        &server.base_url,
        "GET",
        &format!("/sparql?query={}", encode(EVERYTHING)),
        &[("accept", "application/n-triples")],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

#[test]
fn an_answer_past_the_inline_size_limit_is_streamed_whole() {
    let store = TestGraph::bundled();
    let inline = get_everything_inline(&server_with(&store, ALL_INLINE));
    let streamed = get_everything_inline(&server_with(
        &store,
        InlineLimits {
            max_bytes: 1024,
            ..ALL_INLINE
        },
    ));
    // Built inline, the answer goes out whole with its length; started again on a
    // blocking thread once it outgrew a kilobyte (the one case, with memory, where a
    // query is evaluated twice), it goes out in chunks.
    assert!(inline.header("content-length").is_some());
    assert_eq!(streamed.header("content-length"), None);
    assert_eq!(
        streamed.header("transfer-encoding"),
        Some("chunked"),
        "{:?}",
        streamed.headers
    );
    assert!(inline.body.len() > 64 * 1024, "{} bytes", inline.body.len());
    assert_eq!(
        sorted_lines(&streamed.text()),
        sorted_lines(&inline.text()),
        "the streamed answer differs from the inline one"
    );
}

#[test]
fn a_query_past_the_inline_time_budget_is_answered_in_full() {
    let store = TestGraph::bundled();
    let inline = get_everything_inline(&server_with(&store, ALL_INLINE));
    assert!(inline.header("content-length").is_some());
    for budget in [
        // Its shape unknown, then seen slow: answered from a blocking thread, once each.
        Duration::from_millis(1),
        // No inline attempts at all.
        Duration::ZERO,
    ] {
        let server = server_with(
            &store,
            InlineLimits {
                budget,
                ..InlineLimits::default()
            },
        );
        for _ in 0..2 {
            let again = get_everything(&server);
            assert_eq!(
                sorted_lines(&again.text()),
                sorted_lines(&inline.text()),
                "budget {budget:?}"
            );
        }
    }
}

#[test]
fn relative_iris_resolve_against_the_host_asked_even_for_a_parsed_query() {
    let store = TestGraph::bundled();
    let server = server_with(&store, InlineLimits::default());
    let query = format!(
        "/sparql?query={}",
        encode("SELECT ?x WHERE { BIND(<thing> AS ?x) }")
    );
    for host in ["a.example", "b.example", "a.example"] {
        let response = http_client::send(
            &server.base_url,
            "GET",
            &query,
            &[("host", host), ("accept", "text/csv")],
            b"",
        );
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.text(), format!("x\r\nhttp://{host}/thing\r\n"));
    }
}

/// Sends `count` GET requests on one connection, one after the other, and answers the
/// bodies. Responses are read by their Content-Length.
fn keep_alive_requests(base_url: &str, target: &str, count: usize) -> Vec<String> {
    let authority = base_url.trim_start_matches("http://");
    let stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut bodies = Vec::new();
    for _ in 0..count {
        write!(
            writer,
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\nAccept: text/csv\r\n\r\n"
        )
        .unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut length = None;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("a small answer carries its length")];
        reader.read_exact(&mut body).unwrap();
        bodies.push(String::from_utf8(body).unwrap());
    }
    bodies
}

#[test]
fn many_connections_at_once_each_kept_alive_across_requests() {
    // One client with 24 connections: on a busy test machine the lookup may outlive the
    // inline budget, and the work pool's share of one client (8 waiting) would answer 429.
    let mut settings = HttpSettings::with_token(TOKEN, Duration::from_secs(30));
    settings.pool.max_queued = 128;
    settings.pool.max_queued_per_client = 128;
    let server = TestServer::start(crate::stores::TestGraph::bundled(), settings);
    let target = format!(
        "/sparql?query={}",
        encode(
            "SELECT DISTINCT ?label WHERE { <https://w3id.org/spyatlas/id/paragon-solutions> \
             <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = 'en') }"
        )
    );
    // More connections than the server has event loops, so that loops share them.
    let clients: Vec<_> = (0..24)
        .map(|_| {
            let base_url = server.base_url.clone();
            let target = target.clone();
            std::thread::spawn(move || keep_alive_requests(&base_url, &target, 20))
        })
        .collect();
    for client in clients {
        let bodies = client.join().expect("every client gets its answers");
        assert_eq!(bodies.len(), 20);
        for body in bodies {
            assert_eq!(body, "label\r\nParagon Solutions\r\n");
        }
    }
}
