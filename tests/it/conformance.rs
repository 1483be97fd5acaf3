//! Runs the W3C SPARQL 1.1 Protocol and Graph Store HTTP Protocol test suites
//! against the real server.
//!
//! The manifests and their data live in `tests/w3c/` (a copy of
//! `w3c/rdf-tests`, see `tests/w3c/SOURCE`). They are parsed with oxigraph
//! itself into an in-memory [`Graph`], with the manifest's `file:` URL as base
//! IRI, and walked as follows:
//!
//! - `mf:entries` (and, for the Graph Store Protocol, the manifests listed by
//!   `mf:include`) gives the tests, in order;
//! - a test's `mf:action` has an `ht:requests` list of `ht:Request`s, each with
//!   `ht:methodName`, `ht:absolutePath`, optional `ht:headers` and `ht:body`,
//!   and an `ht:resp` describing the expected response: `mf:expectedStatus`
//!   (any of the listed codes or classes is accepted), `mf:expectedBoolean`,
//!   `mf:expectedFormat`, `mf:expectedLocation`, and expected `ht:headers` and
//!   `ht:body`;
//! - `ut:graphData [ ut:graph <file> ; rdfs:label "graph IRI" ]` on a test
//!   means the file has to be loaded into that named graph first, which is done
//!   through the server's own Graph Store endpoint.
//!
//! Every test gets a fresh server over an empty store. The manifests' path
//! prefixes are mapped onto this server's endpoints (`/sparql/` to `/sparql`,
//! `/gsp` to `/store`) and every request carries the bearer token, because
//! the manifests assume an open endpoint while this server only accepts
//! authenticated writes.
//!
//! Request targets are sent byte for byte (see [`http_client`]), so the tests
//! about percent-encoding really exercise the server's decoding.
//!
//! The service description manifest has no machine-readable expectations; its
//! three tests are checked by hand in [`service_description_is_served`].

use std::any::Any;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::{fmt, iter};

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::graph::CanonicalizationAlgorithm;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    Graph, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple, TripleRef,
};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};

use super::http_client::{self, HttpResponse};
use super::support::TestServer;

/// Root of the SPARQL 1.1 test suites copied into the repository.
const W3C_SPARQL11_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/w3c/sparql/sparql11");

/// How many tests `protocol/manifest.ttl` lists.
const PROTOCOL_TEST_COUNT: usize = 34;
/// How many tests `manifest-direct.ttl` and `manifest-indirect.ttl` list together.
const GRAPH_STORE_PROTOCOL_TEST_COUNT: usize = 13;
/// How many bytes of a response body a failure message quotes.
const BODY_SNIPPET_LENGTH: usize = 300;

// Test manifest vocabulary (http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#).
const MF_MANIFEST: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#Manifest",
);
const MF_INCLUDE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#include");
const MF_ENTRIES: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#entries");
const MF_NAME: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#name");
const MF_ACTION: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#action");
const MF_EXPECTED_STATUS: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#expectedStatus",
);
const MF_EXPECTED_BOOLEAN: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#expectedBoolean",
);
const MF_EXPECTED_FORMAT: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#expectedFormat",
);
const MF_EXPECTED_LOCATION: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#expectedLocation",
);

// HTTP vocabulary (http://www.w3.org/2011/http#).
const HT_REQUESTS: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#requests");
const HT_METHOD_NAME: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#methodName");
const HT_ABSOLUTE_PATH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#absolutePath");
const HT_HEADERS: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#headers");
const HT_FIELD_NAME: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#fieldName");
const HT_FIELD_VALUE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#fieldValue");
const HT_BODY: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#body");
const HT_RESP: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("http://www.w3.org/2011/http#resp");

/// Namespace of the HTTP status code vocabulary used by `mf:expectedStatus`.
const HTS: &str = "http://www.w3.org/2011/http-statusCodes#";

// Content vocabulary (http://www.w3.org/2011/content#).
const CNT_CHARS: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/content#chars");
const CNT_CHARACTER_ENCODING: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2011/content#characterEncoding");

// Update test vocabulary (http://www.w3.org/2009/sparql/tests/test-update#).
const UT_GRAPH_DATA: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2009/sparql/tests/test-update#graphData");
const UT_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2009/sparql/tests/test-update#graph");

// Service description vocabulary (http://www.w3.org/ns/sparql-service-description#).
const SD_DATASET: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#Dataset");
const SD_DEFAULT_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#defaultGraph");
const SD_SERVICE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#Service");
const SD_ENDPOINT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#endpoint");
const SD_SUPPORTED_LANGUAGE: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
    "http://www.w3.org/ns/sparql-service-description#supportedLanguage",
);
const SD_SPARQL11_QUERY: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#SPARQL11Query");
const SD_SPARQL11_UPDATE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#SPARQL11Update");
const SD_RESULT_FORMAT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#resultFormat");

#[test]
fn w3c_sparql_protocol_manifest_passes() {
    let tests = load_tests(&suite_path("protocol/manifest.ttl"));
    assert_eq!(
        tests.len(),
        PROTOCOL_TEST_COUNT,
        "unexpected number of tests in the SPARQL 1.1 Protocol manifest"
    );
    run_suite("SPARQL 1.1 Protocol", &tests);
}

#[test]
fn w3c_graph_store_protocol_manifests_pass() {
    // manifest.ttl has no entries of its own: it includes the direct and the
    // indirect graph identification manifests.
    let tests = load_tests(&suite_path("graph-store-protocol/manifest.ttl"));
    assert_eq!(
        tests.len(),
        GRAPH_STORE_PROTOCOL_TEST_COUNT,
        "unexpected number of tests in the Graph Store Protocol manifests"
    );
    run_suite("SPARQL 1.1 Graph Store Protocol", &tests);
}

/// The three tests of `service-description/manifest.ttl`, which describe their
/// expectations only in prose:
///
/// - `returns-rdf`: `GET /sparql` without a query answers `200` with RDF;
/// - `has-endpoint-triple`: the description has `?service sd:endpoint <…/sparql>`
///   for the URL that was requested, and that `?service` is an `sd:Service`;
/// - `conforms-to-schema`: the service declares `sd:SPARQL11Query` and
///   `sd:SPARQL11Update` as supported languages and at least one
///   `sd:resultFormat`.
#[test]
fn service_description_is_served() {
    let manifest = ManifestGraph::load(&suite_path("service-description/manifest.ttl"));
    let test_ids: Vec<String> = manifest
        .entries()
        .into_iter()
        .map(|entry| local_name(&manifest.expect_node(entry)))
        .collect();
    assert_eq!(
        test_ids.len(),
        3,
        "unexpected number of tests in the service description manifest: {test_ids:?}"
    );

    let server = TestServer::start_empty();
    let endpoint = format!("{}/sparql", server.base_url);
    let response = http_client::send(
        &server.base_url,
        "GET",
        "/sparql",
        &[("Accept", "text/turtle")],
        b"",
    );
    let description = parse_service_description(&response, &endpoint);

    let mut failures = Vec::new();
    for id in &test_ids {
        let outcome = match id.as_str() {
            "returns-rdf" => description.as_ref().map(|_| ()).map_err(Clone::clone),
            "has-endpoint-triple" => description
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|graph| find_service(graph, &endpoint).map(|_| ())),
            "conforms-to-schema" => description
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|graph| check_service_schema(graph, &endpoint)),
            _ => Err("this test is not covered by the runner".to_owned()),
        };
        match outcome {
            Ok(()) => println!("ok   {id}"),
            Err(problem) => {
                let failure = format!(
                    "{id}: {problem} (GET /sparql answered {} with Content-Type {:?}; body: {:?})",
                    response.status,
                    response.header("content-type"),
                    truncate(&response.text(), BODY_SNIPPET_LENGTH),
                );
                println!("FAIL {failure}");
                failures.push(failure);
            }
        }
    }
    report("SPARQL 1.1 Service Description", test_ids.len(), &failures);
}

// ---------------------------------------------------------------------------
// Test model
// ---------------------------------------------------------------------------

/// One `mf:ProtocolTest` or `mf:GraphStoreProtocolTest`.
struct ProtocolTest {
    /// The fragment of the test IRI, e.g. `query_post_form`.
    id: String,
    /// The `mf:name` (not unique within a manifest).
    name: String,
    /// Named graphs to load before the requests (`ut:graphData`).
    graph_data: Vec<GraphData>,
    /// The requests, sent in order over a single server.
    requests: Vec<RequestSpec>,
}

impl ProtocolTest {
    /// How the test is named in the report.
    fn label(&self) -> String {
        format!("{} ({})", self.id, self.name)
    }
}

/// A `ut:graphData` entry: load `file` into the named graph `graph_iri`.
struct GraphData {
    graph_iri: String,
    file: PathBuf,
}

/// An `ht:Request` and the response it must get.
struct RequestSpec {
    method: String,
    /// The manifest's `ht:absolutePath`, before mapping onto this server.
    absolute_path: String,
    headers: Vec<(String, String)>,
    body: Option<Content>,
    response: ResponseSpec,
}

/// A `cnt:ContentAsText` body.
struct Content {
    chars: String,
    /// The `cnt:characterEncoding`, `UTF-8` when absent.
    encoding: String,
}

/// The `ht:Response` expectations.
struct ResponseSpec {
    /// Accepted statuses; empty means any status.
    statuses: Vec<ExpectedStatus>,
    /// `mf:expectedBoolean`: the body is a boolean query result with this value.
    boolean: Option<bool>,
    /// `mf:expectedFormat`: `boolean`, `tabular` or `RDF`.
    format: Option<String>,
    /// `mf:expectedLocation`: a template variable such as `$LOCATION$` that
    /// later requests use for this response's `Location` header.
    location_variable: Option<String>,
    /// Expected header fields (only `Content-Type` in practice).
    headers: Vec<(String, String)>,
    /// Expected RDF body, compared up to blank node renaming.
    body: Option<Content>,
}

/// An `mf:expectedStatus` value.
#[derive(Clone, Copy)]
enum ExpectedStatus {
    /// `hts:StatusCode2xx` and the like: the hundreds digit.
    Class(u16),
    /// A precise code such as `hts:Created`.
    Code(u16),
}

impl ExpectedStatus {
    /// Reads an IRI of the `hts:` vocabulary.
    fn from_iri(iri: &str) -> Option<Self> {
        let local = iri.strip_prefix(HTS)?;
        if let Some(class) = local
            .strip_prefix("StatusCode")
            .and_then(|rest| rest.strip_suffix("xx"))
        {
            return class.parse().ok().map(Self::Class);
        }
        let code = match local {
            "Continue" => 100,
            "OK" => 200,
            "Created" => 201,
            "Accepted" => 202,
            "NonAuthoritativeInformation" => 203,
            "NoContent" => 204,
            "ResetContent" => 205,
            "PartialContent" => 206,
            "MultipleChoices" => 300,
            "MovedPermanently" => 301,
            "Found" => 302,
            "SeeOther" => 303,
            "NotModified" => 304,
            "TemporaryRedirect" => 307,
            "PermanentRedirect" => 308,
            "BadRequest" => 400,
            "Unauthorized" => 401,
            "Forbidden" => 403,
            "NotFound" => 404,
            "MethodNotAllowed" => 405,
            "NotAcceptable" => 406,
            "Conflict" => 409,
            "Gone" => 410,
            "LengthRequired" => 411,
            "PreconditionFailed" => 412,
            "RequestEntityTooLarge" => 413,
            "RequestURITooLong" => 414,
            "UnsupportedMediaType" => 415,
            "InternalServerError" => 500,
            "NotImplemented" => 501,
            "BadGateway" => 502,
            "ServiceUnavailable" => 503,
            _ => return None,
        };
        Some(Self::Code(code))
    }

    fn matches(self, status: u16) -> bool {
        match self {
            Self::Class(class) => status / 100 == class,
            Self::Code(code) => status == code,
        }
    }
}

impl fmt::Display for ExpectedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Class(class) => write!(f, "{class}xx"),
            Self::Code(code) => write!(f, "{code}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Manifest parsing
// ---------------------------------------------------------------------------

/// A manifest file parsed into a graph, with helpers that panic with the file
/// name when the manifest does not have the expected shape.
struct ManifestGraph {
    graph: Graph,
    path: PathBuf,
}

impl ManifestGraph {
    /// Parses a Turtle manifest, using its `file:` URL as base IRI so that
    /// relative references such as `<data1.nt>` resolve to files next to it.
    fn load(path: &Path) -> Self {
        let data = fs::read(path)
            .unwrap_or_else(|e| panic!("cannot read the manifest {}: {e}", path.display()));
        let base_iri = file_iri(path);
        let graph: Graph = RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri(base_iri.as_str())
            .unwrap_or_else(|e| panic!("invalid base IRI <{base_iri}>: {e}"))
            .for_slice(&data)
            .map(|quad| {
                let quad =
                    quad.unwrap_or_else(|e| panic!("invalid manifest {}: {e}", path.display()));
                Triple::from(quad)
            })
            .collect();
        Self {
            graph,
            path: path.to_owned(),
        }
    }

    /// The `mf:Manifest` node, i.e. `<>` in the file.
    fn root(&self) -> NamedOrBlankNode {
        self.graph
            .subject_for_predicate_object(rdf::TYPE, MF_MANIFEST)
            .map(NamedOrBlankNodeRef::into_owned)
            .unwrap_or_else(|| panic!("{} has no mf:Manifest", self.path.display()))
    }

    /// The members of the manifest's `mf:entries` list (none if it has no such list).
    fn entries(&self) -> Vec<Term> {
        self.object(&self.root(), MF_ENTRIES)
            .map(|list| self.list(list))
            .unwrap_or_default()
    }

    /// The manifests listed by `mf:include`.
    fn includes(&self) -> Vec<PathBuf> {
        let Some(list) = self.object(&self.root(), MF_INCLUDE) else {
            return Vec::new();
        };
        self.list(list)
            .into_iter()
            .map(|included| match included {
                Term::NamedNode(iri) => path_from_file_iri(iri.as_str()),
                other => panic!("{}: mf:include lists {other}", self.path.display()),
            })
            .collect()
    }

    fn objects(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'_>) -> Vec<Term> {
        self.graph
            .objects_for_subject_predicate(subject, predicate)
            .map(TermRef::into_owned)
            .collect()
    }

    fn object(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'_>) -> Option<Term> {
        self.graph
            .object_for_subject_predicate(subject, predicate)
            .map(TermRef::into_owned)
    }

    fn required(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'_>) -> Term {
        self.object(subject, predicate)
            .unwrap_or_else(|| panic!("{}: {subject} has no {predicate}", self.path.display()))
    }

    fn required_node(
        &self,
        subject: &NamedOrBlankNode,
        predicate: NamedNodeRef<'_>,
    ) -> NamedOrBlankNode {
        self.expect_node(self.required(subject, predicate))
    }

    fn string(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'_>) -> Option<String> {
        self.object(subject, predicate)
            .map(|term| self.expect_literal(term))
    }

    fn required_string(&self, subject: &NamedOrBlankNode, predicate: NamedNodeRef<'_>) -> String {
        let term = self.required(subject, predicate);
        self.expect_literal(term)
    }

    /// The members of the RDF list starting at `head`.
    fn list(&self, head: Term) -> Vec<Term> {
        let mut items = Vec::new();
        let mut current = head;
        while !matches!(&current, Term::NamedNode(node) if *node == rdf::NIL) {
            let cell = self.expect_node(current);
            items.push(self.required(&cell, rdf::FIRST));
            current = self.required(&cell, rdf::REST);
            assert!(
                items.len() < 100_000,
                "{}: the RDF list is cyclic",
                self.path.display()
            );
        }
        items
    }

    /// Reads an `ht:headers` list of `ht:fieldName`/`ht:fieldValue` pairs.
    fn header_fields(&self, subject: &NamedOrBlankNode) -> Vec<(String, String)> {
        let Some(list) = self.object(subject, HT_HEADERS) else {
            return Vec::new();
        };
        self.list(list)
            .into_iter()
            .map(|field| {
                let field = self.expect_node(field);
                (
                    self.required_string(&field, HT_FIELD_NAME),
                    self.required_string(&field, HT_FIELD_VALUE),
                )
            })
            .collect()
    }

    /// Reads an `ht:body` made of `cnt:chars` and `cnt:characterEncoding`.
    fn content(&self, subject: &NamedOrBlankNode) -> Option<Content> {
        let body = self.expect_node(self.object(subject, HT_BODY)?);
        Some(Content {
            chars: self.required_string(&body, CNT_CHARS),
            encoding: self
                .string(&body, CNT_CHARACTER_ENCODING)
                .unwrap_or_else(|| "UTF-8".to_owned()),
        })
    }

    fn expect_node(&self, term: Term) -> NamedOrBlankNode {
        NamedOrBlankNode::try_from(term)
            .unwrap_or_else(|e| panic!("{}: expected a node: {e}", self.path.display()))
    }

    fn expect_literal(&self, term: Term) -> String {
        match term {
            Term::Literal(literal) => literal.value().to_owned(),
            other => panic!("{}: expected a literal, got {other}", self.path.display()),
        }
    }
}

/// Reads the tests of a manifest and of the manifests it includes, in order.
fn load_tests(manifest_path: &Path) -> Vec<ProtocolTest> {
    let manifest = ManifestGraph::load(manifest_path);
    let mut tests = Vec::new();
    for included in manifest.includes() {
        tests.extend(load_tests(&included));
    }
    tests.extend(
        manifest
            .entries()
            .into_iter()
            .map(|entry| parse_test(&manifest, entry)),
    );
    tests
}

fn parse_test(manifest: &ManifestGraph, entry: Term) -> ProtocolTest {
    let test = manifest.expect_node(entry);
    let id = local_name(&test);
    let graph_data = manifest
        .objects(&test, UT_GRAPH_DATA)
        .into_iter()
        .map(|data| {
            let data = manifest.expect_node(data);
            let file = match manifest.required(&data, UT_GRAPH) {
                Term::NamedNode(iri) => path_from_file_iri(iri.as_str()),
                other => panic!("{id}: ut:graph is {other}, not a file IRI"),
            };
            GraphData {
                graph_iri: manifest.required_string(&data, rdfs::LABEL),
                file,
            }
        })
        .collect();
    let action = manifest.required_node(&test, MF_ACTION);
    let requests = manifest
        .list(manifest.required(&action, HT_REQUESTS))
        .into_iter()
        .map(|request| parse_request(manifest, &manifest.expect_node(request)))
        .collect();
    ProtocolTest {
        name: manifest
            .string(&test, MF_NAME)
            .unwrap_or_else(|| id.clone()),
        id,
        graph_data,
        requests,
    }
}

fn parse_request(manifest: &ManifestGraph, request: &NamedOrBlankNode) -> RequestSpec {
    let response = manifest.required_node(request, HT_RESP);
    let statuses = manifest
        .objects(&response, MF_EXPECTED_STATUS)
        .into_iter()
        .map(|status| {
            let status = match &status {
                Term::NamedNode(iri) => ExpectedStatus::from_iri(iri.as_str()),
                _ => None,
            };
            status.unwrap_or_else(|| {
                panic!("{}: unsupported mf:expectedStatus", manifest.path.display())
            })
        })
        .collect();
    RequestSpec {
        method: manifest.required_string(request, HT_METHOD_NAME),
        absolute_path: manifest.required_string(request, HT_ABSOLUTE_PATH),
        headers: manifest.header_fields(request),
        body: manifest.content(request),
        response: ResponseSpec {
            statuses,
            boolean: manifest
                .string(&response, MF_EXPECTED_BOOLEAN)
                .map(|value| value == "true" || value == "1"),
            format: manifest.string(&response, MF_EXPECTED_FORMAT),
            location_variable: manifest.string(&response, MF_EXPECTED_LOCATION),
            headers: manifest.header_fields(&response),
            body: manifest.content(&response),
        },
    }
}

/// The fragment (or last path segment) of a test IRI.
fn local_name(node: &NamedOrBlankNode) -> String {
    match node {
        NamedOrBlankNode::NamedNode(iri) => {
            let iri = iri.as_str();
            iri.rsplit(['#', '/']).next().unwrap_or(iri).to_owned()
        }
        NamedOrBlankNode::BlankNode(_) => node.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Running tests
// ---------------------------------------------------------------------------

/// Runs every test, printing one line per test, then fails if any test failed.
fn run_suite(suite: &str, tests: &[ProtocolTest]) {
    let mut failures = Vec::new();
    for test in tests {
        // A panic (e.g. the server not starting, or the connection dropping)
        // fails this test only; the server is dropped while unwinding.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_test(test)))
            .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_message(&*payload))));
        match outcome {
            Ok(()) => println!("ok   {}", test.label()),
            Err(problem) => {
                let failure = format!("{}: {problem}", test.label());
                println!("FAIL {failure}");
                failures.push(failure);
            }
        }
    }
    report(suite, tests.len(), &failures);
}

/// Prints the summary line and asserts that nothing failed.
fn report(suite: &str, total: usize, failures: &[String]) {
    println!(
        "{suite}: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} {suite} tests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one test against a fresh server.
fn run_test(test: &ProtocolTest) -> Result<(), String> {
    let server = TestServer::start_empty();
    for data in &test.graph_data {
        load_graph_data(&server, data)?;
    }
    // Template variables set by `mf:expectedLocation`, e.g. `$LOCATION$`.
    let mut variables = Vec::new();
    for (index, request) in test.requests.iter().enumerate() {
        run_request(&server, index + 1, request, &mut variables)?;
    }
    Ok(())
}

/// Loads a `ut:graphData` file into its named graph with a Graph Store PUT.
fn load_graph_data(server: &TestServer, data: &GraphData) -> Result<(), String> {
    let content =
        fs::read(&data.file).unwrap_or_else(|e| panic!("cannot read {}: {e}", data.file.display()));
    let path = format!("/store?graph={}", percent_encode(&data.graph_iri, b""));
    let authorization = bearer(server);
    let response = http_client::send(
        &server.base_url,
        "PUT",
        &path,
        &[
            ("Content-Type", "application/n-triples"),
            ("Authorization", authorization.as_str()),
        ],
        &content,
    );
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(format!(
            "loading {} into <{}> with PUT {path} failed: expected status 2xx, got {}; body: {:?}",
            data.file.display(),
            data.graph_iri,
            response.status,
            body_snippet(&response.body),
        ))
    }
}

/// Sends one manifest request and checks the response against its expectations.
fn run_request(
    server: &TestServer,
    number: usize,
    request: &RequestSpec,
    variables: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let path = substitute(&map_path(&request.absolute_path), variables);
    let body = request
        .body
        .as_ref()
        .map(|content| encode(&substitute(&content.chars, variables), &content.encoding))
        .unwrap_or_default();
    let authorization = bearer(server);
    let mut headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    headers.push(("Authorization", authorization.as_str()));

    let response = http_client::send(&server.base_url, &request.method, &path, &headers, &body);
    let base_iri = format!("{}{path}", server.base_url);
    let problems = check_response(
        &request.response,
        &response,
        &server.base_url,
        &base_iri,
        variables,
    );
    if problems.is_empty() {
        return Ok(());
    }

    let expected_status = if request.response.statuses.is_empty() {
        "any".to_owned()
    } else {
        request
            .response
            .statuses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    Err(format!(
        "request {number} ({} {path}): {}; expected status {expected_status}, got {}; body: {:?}",
        request.method,
        problems.join("; "),
        response.status,
        body_snippet(&response.body),
    ))
}

/// Returns every way `response` differs from `expected` (empty if it matches).
///
/// Records the `Location` header under the `mf:expectedLocation` variable.
fn check_response(
    expected: &ResponseSpec,
    response: &HttpResponse,
    base_url: &str,
    base_iri: &str,
    variables: &mut Vec<(String, String)>,
) -> Vec<String> {
    if !expected.statuses.is_empty()
        && !expected
            .statuses
            .iter()
            .any(|status| status.matches(response.status))
    {
        // The other expectations are about a successful response.
        return vec!["unexpected status".to_owned()];
    }

    let mut problems = Vec::new();
    let content_type = response.header("content-type");

    if let Some(variable) = &expected.location_variable {
        match response.header("location") {
            Some(location) => variables.push((variable.clone(), absolute_url(base_url, location))),
            None => problems.push("no Location header".to_owned()),
        }
    }

    for (name, value) in &expected.headers {
        let actual = response.header(name);
        let matches = actual.is_some_and(|actual| {
            if name.eq_ignore_ascii_case("content-type") {
                normalize_media_type(actual) == normalize_media_type(value)
            } else {
                actual.trim() == value.trim()
            }
        });
        if !matches {
            problems.push(format!("expected header {name}: {value}, got {actual:?}"));
        }
    }

    if let Some(format) = &expected.format {
        problems.extend(check_format(format, content_type).err());
    }

    if let Some(expected_value) = expected.boolean {
        match parse_boolean(content_type, &response.body) {
            Ok(value) if value == expected_value => (),
            Ok(value) => problems.push(format!("expected boolean {expected_value}, got {value}")),
            Err(problem) => problems.push(problem),
        }
    }

    if let Some(expected_body) = &expected.body {
        let expected_content_type = expected
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str());
        problems
            .extend(check_rdf_body(expected_body, expected_content_type, response, base_iri).err());
    }

    problems
}

/// Checks `mf:expectedFormat` against the response media type.
fn check_format(expected: &str, content_type: Option<&str>) -> Result<(), String> {
    let content_type = content_type
        .ok_or_else(|| format!("expected a {expected} response, but there is no Content-Type"))?;
    let results_format = QueryResultsFormat::from_media_type(content_type);
    let is_expected = match expected {
        // Only XML and JSON (and TSV, but the test asks for "XML, JSON") carry
        // booleans; CSV cannot.
        "boolean" => matches!(
            results_format,
            Some(QueryResultsFormat::Xml | QueryResultsFormat::Json)
        ),
        "tabular" => results_format.is_some(),
        "RDF" => RdfFormat::from_media_type(content_type).is_some(),
        other => panic!("unknown mf:expectedFormat {other:?}"),
    };
    if is_expected {
        Ok(())
    } else {
        Err(format!(
            "expected a {expected} response, got Content-Type {content_type:?}"
        ))
    }
}

/// Parses a boolean SPARQL query result in the format given by `content_type`.
fn parse_boolean(content_type: Option<&str>, body: &[u8]) -> Result<bool, String> {
    let content_type = content_type
        .ok_or_else(|| "expected a boolean result, but there is no Content-Type".to_owned())?;
    let format = QueryResultsFormat::from_media_type(content_type)
        .ok_or_else(|| format!("expected a boolean result, got Content-Type {content_type:?}"))?;
    match QueryResultsParser::from_format(format).for_slice(body) {
        Ok(SliceQueryResultsParserOutput::Boolean(value)) => Ok(value),
        Ok(SliceQueryResultsParserOutput::Solutions(_)) => {
            Err("expected a boolean result, got solutions".to_owned())
        }
        Err(e) => Err(format!(
            "invalid {} query results: {e}",
            format.media_type()
        )),
    }
}

/// Checks that the response body is the expected RDF graph, up to blank node
/// renaming.
///
/// The expected body is parsed in the format of the expected `Content-Type`
/// (falling back to the response's), the response body in the format of the
/// response `Content-Type`; both use the request URL as base IRI.
fn check_rdf_body(
    expected: &Content,
    expected_content_type: Option<&str>,
    response: &HttpResponse,
    base_iri: &str,
) -> Result<(), String> {
    let content_type = response
        .header("content-type")
        .ok_or_else(|| "expected an RDF body, but there is no Content-Type".to_owned())?;
    let actual_format = RdfFormat::from_media_type(content_type)
        .ok_or_else(|| format!("expected an RDF body, got Content-Type {content_type:?}"))?;
    let expected_format = match expected_content_type {
        Some(media_type) => RdfFormat::from_media_type(media_type).unwrap_or_else(|| {
            panic!("the manifest expects unknown RDF media type {media_type:?}")
        }),
        None => actual_format,
    };

    let mut expected_graph = parse_graph(expected.chars.as_bytes(), expected_format, base_iri)
        .unwrap_or_else(|e| panic!("the manifest's expected body is invalid: {e}"));
    let mut actual_graph = parse_graph(&response.body, actual_format, base_iri)
        .map_err(|e| format!("the body is not valid {}: {e}", actual_format.name()))?;

    expected_graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    actual_graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    if expected_graph == actual_graph {
        Ok(())
    } else {
        Err(format!(
            "the returned graph is not isomorphic to the expected one; expected:\n{expected_graph}got:\n{actual_graph}"
        ))
    }
}

/// Parses RDF into a graph, ignoring graph names.
fn parse_graph(data: &[u8], format: RdfFormat, base_iri: &str) -> Result<Graph, String> {
    RdfParser::from_format(format)
        .with_base_iri(base_iri)
        .map_err(|e| format!("invalid base IRI <{base_iri}>: {e}"))?
        .for_slice(data)
        .map(|quad| quad.map(Triple::from).map_err(|e| e.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// Service description
// ---------------------------------------------------------------------------

/// Parses the answer to `GET /sparql` as RDF in the format it declares.
fn parse_service_description(response: &HttpResponse, endpoint: &str) -> Result<Graph, String> {
    if response.status != 200 {
        return Err(format!("expected status 200, got {}", response.status));
    }
    let content_type = response
        .header("content-type")
        .ok_or_else(|| "the response has no Content-Type".to_owned())?;
    let format = RdfFormat::from_media_type(content_type)
        .ok_or_else(|| format!("{content_type:?} is not an RDF media type"))?;
    let graph = parse_graph(&response.body, format, endpoint)
        .map_err(|e| format!("the body is not valid {}: {e}", format.name()))?;
    if graph.is_empty() {
        return Err("the service description is empty".to_owned());
    }
    Ok(graph)
}

/// Finds the `sd:Service` whose `sd:endpoint` is `endpoint`.
fn find_service(graph: &Graph, endpoint: &str) -> Result<NamedOrBlankNode, String> {
    let endpoint_node = NamedNodeRef::new(endpoint)
        .map_err(|e| format!("invalid endpoint IRI <{endpoint}>: {e}"))?;
    let candidates: Vec<NamedOrBlankNode> = graph
        .subjects_for_predicate_object(SD_ENDPOINT, endpoint_node)
        .map(NamedOrBlankNodeRef::into_owned)
        .collect();
    if candidates.is_empty() {
        let endpoints: Vec<String> = graph
            .triples_for_predicate(SD_ENDPOINT)
            .map(|triple| triple.object.to_string())
            .collect();
        return Err(format!(
            "no `?service sd:endpoint <{endpoint}>` triple (sd:endpoint values: {endpoints:?})"
        ));
    }
    candidates
        .into_iter()
        .find(|service| graph.contains(TripleRef::new(service, rdf::TYPE, SD_SERVICE)))
        .ok_or_else(|| format!("the subject of `sd:endpoint <{endpoint}>` is not an sd:Service"))
}

/// Checks the supported languages and result formats of the service.
fn check_service_schema(graph: &Graph, endpoint: &str) -> Result<(), String> {
    let service = find_service(graph, endpoint)?;
    let missing_languages: Vec<String> = [SD_SPARQL11_QUERY, SD_SPARQL11_UPDATE]
        .into_iter()
        .filter(|language| {
            !graph.contains(TripleRef::new(&service, SD_SUPPORTED_LANGUAGE, *language))
        })
        .map(|language| language.to_string())
        .collect();
    if !missing_languages.is_empty() {
        return Err(format!(
            "the service does not declare sd:supportedLanguage {}",
            missing_languages.join(", ")
        ));
    }
    if graph
        .objects_for_subject_predicate(&service, SD_RESULT_FORMAT)
        .next()
        .is_none()
    {
        return Err("the service declares no sd:resultFormat".to_owned());
    }
    // Each format by its IRI in the W3C registry.
    for format in graph.objects_for_subject_predicate(&service, SD_RESULT_FORMAT) {
        let iri = format.to_string();
        if !iri.starts_with("<http://www.w3.org/ns/formats/") || iri.contains("/data/") {
            return Err(format!("sd:resultFormat {iri} is not in the W3C registry"));
        }
    }
    // The schema's rule: each sd:Dataset has an sd:defaultGraph.
    let datasets: Vec<_> = graph
        .subjects_for_predicate_object(rdf::TYPE, SD_DATASET)
        .collect();
    if datasets.is_empty() {
        return Err("the service describes no sd:Dataset".to_owned());
    }
    for dataset in datasets {
        if graph
            .objects_for_subject_predicate(dataset, SD_DEFAULT_GRAPH)
            .next()
            .is_none()
        {
            return Err(format!("the sd:Dataset {dataset} has no sd:defaultGraph"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Path of a file of the SPARQL 1.1 test suites.
fn suite_path(relative: &str) -> PathBuf {
    Path::new(W3C_SPARQL11_DIR).join(relative)
}

/// The `Authorization` header value for writes.
fn bearer(server: &TestServer) -> String {
    format!("Bearer {}", server.token)
}

/// Maps a manifest `ht:absolutePath` onto this server: the SPARQL endpoint
/// `/sparql/` is `/sparql`, the Graph Store endpoint `/gsp` is `/store`.
/// The rest of the path and the query string are kept byte for byte.
fn map_path(absolute_path: &str) -> String {
    if let Some(rest) = absolute_path.strip_prefix("/sparql") {
        // "/sparql/" and "/sparql/?query=…" lose the slash; "/sparql?…" is kept.
        let rest = match rest.strip_prefix('/') {
            Some(after) if after.is_empty() || after.starts_with('?') => after,
            _ => rest,
        };
        format!("/sparql{rest}")
    } else if let Some(rest) = absolute_path.strip_prefix("/gsp") {
        format!("/store{rest}")
    } else {
        panic!("unexpected ht:absolutePath {absolute_path:?}")
    }
}

/// Replaces the template variables recorded so far.
fn substitute(text: &str, variables: &[(String, String)]) -> String {
    variables
        .iter()
        .fold(text.to_owned(), |text, (name, value)| {
            text.replace(name.as_str(), value)
        })
}

/// Makes a `Location` header value absolute (it may be a path on this server).
fn absolute_url(base_url: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{base_url}{location}")
    } else {
        location.to_owned()
    }
}

/// Encodes a request body in its `cnt:characterEncoding`.
///
/// UTF-16 is written big-endian with a byte order mark; the tests that use it
/// check that the server rejects anything but UTF-8.
fn encode(text: &str, encoding: &str) -> Vec<u8> {
    if encoding.eq_ignore_ascii_case("UTF-8") {
        text.as_bytes().to_vec()
    } else if encoding.eq_ignore_ascii_case("UTF-16") {
        iter::once(0xFEFF_u16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect()
    } else {
        panic!("unsupported cnt:characterEncoding {encoding:?}")
    }
}

/// Lower-cases a media type and drops the whitespace around its parameters,
/// so that `text/turtle; charset=UTF-8` equals `text/turtle;charset=utf-8`.
fn normalize_media_type(value: &str) -> String {
    let mut parts = value.split(';').map(|part| {
        part.split('=')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("=")
            .to_ascii_lowercase()
    });
    let essence = parts.next().unwrap_or_default();
    let mut parameters: Vec<String> = parts.filter(|part| !part.is_empty()).collect();
    parameters.sort();
    iter::once(essence)
        .chain(parameters)
        .collect::<Vec<_>>()
        .join(";")
}

/// Percent-encodes everything but unreserved characters and the bytes in `keep`.
fn percent_encode(value: &str, keep: &[u8]) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Decodes `%XX` sequences.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|e| panic!("{value:?} decodes to invalid UTF-8: {e}"))
}

/// The `file:` URL of a local path.
fn file_iri(path: &Path) -> String {
    let path = path
        .to_str()
        .unwrap_or_else(|| panic!("{} is not valid UTF-8", path.display()));
    format!("file://{}", percent_encode(path, b"/"))
}

/// The local path of a `file:` URL.
fn path_from_file_iri(iri: &str) -> PathBuf {
    let path = iri
        .strip_prefix("file://")
        .unwrap_or_else(|| panic!("<{iri}> is not a file: IRI"));
    PathBuf::from(percent_decode(path))
}

/// The first bytes of a body, for failure messages.
fn body_snippet(body: &[u8]) -> String {
    let end = body.len().min(BODY_SNIPPET_LENGTH);
    let mut snippet = String::from_utf8_lossy(&body[..end]).into_owned();
    if end < body.len() {
        snippet.push('…');
    }
    snippet
}

/// At most `max_chars` characters of `text`.
fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        "a panic without a message".to_owned()
    }
}
