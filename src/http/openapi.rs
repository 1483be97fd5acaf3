//! `/openapi.json`: the OpenAPI 3.1 document of the server, generated from the handlers'
//! `#[utoipa::path]` annotations and the answers' types as [`super::routes`] mounts them,
//! so the description cannot leave out or invent a route, a parameter or a field.

use super::conneg::{GRAPHS, Representation, SOLUTIONS};
use axum::http::header;
use axum::response::IntoResponse;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::openapi::content::Content;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi};

/// The parts of the document no handler carries: what the service is, its tags, and how
/// the write token is sent.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "spyatlas",
        description = "A knowledge graph of surveillance incidents: who builds spyware, who buys it, who was targeted, through which platform, and which report says so."
    ),
    tags(
        (name = "pages", description = "HTML pages for people"),
        (name = "entities", description = "Entities and reports by content negotiation"),
        (name = "search", description = "Names and figures"),
        (name = "relationships", description = "Chains between entities and the named questions"),
        (name = "reports", description = "Loading, listing and retracting reports"),
        (name = "sparql", description = "SPARQL 1.1 Protocol and Graph Store Protocol"),
        (name = "exports", description = "The store, a report or an entity's neighbourhood as STIX 2.1, GEXF, GraphML or CSV of claims"),
        (name = "reconciliation", description = "W3C Reconciliation Service API 0.2, for OpenRefine: matching names, suggestions, previews, data extension"),
        (name = "service", description = "The service itself"),
    ),
    modifiers(&BearerToken)
)]
struct Frame;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the server's write token (--write-token)"))
                    .build(),
            ),
        );
    }
}

/// Routes answered from memory, never from the work pool: the limits on work do not apply.
const STATIC: &[&str] = &[
    "/health",
    "/metrics",
    "/context.jsonld",
    "/assets/sparql-editor.js",
    "/assets/yasgui/yasgui.min.js",
    "/assets/yasgui/yasgui.min.css",
    "/assets/suggest.js",
    "/assets/spyatlas.css",
    "/openapi.json",
];

/// The answers of the server's limits (README, "Limits"), on every route that does work.
const LIMIT_RESPONSES: &[(&str, &str)] = &[
    (
        "429",
        "this client has as many requests waiting as it may (--queue-per-client), or used its allowance (--rate-limit); Retry-After says when to try again",
    ),
    (
        "503",
        "the request ran past its deadline (--query-timeout) or memory budget (--query-memory-mb) and was stopped, or the server is busy (--queue); Retry-After says when to try again",
    ),
];

/// The answers of the limits on request bodies.
const BODY_RESPONSES: &[(&str, &str)] = &[
    (
        "413",
        "the body is larger than allowed (--max-body-mb; without the write token --max-public-body-mb; SPARQL --max-query-kb)",
    ),
    (
        "507",
        "the store's disk is nearly full (--min-free-disk-mb); nothing was written",
    ),
];

/// The 200 answer of a SPARQL query: results or a graph, in every syntax content
/// negotiation offers (`conneg`), or the query page for a browser.
pub struct SparqlAnswer;

/// The 200 answer of a Graph Store read: the graph, in every syntax offered.
pub struct GraphAnswer;

/// The 200 answer of an entity or report address: its page, its JSON-LD view as JSON, or
/// its description in every RDF syntax offered.
pub struct EntityAnswer;

/// A 200 response with `description`, in each of `media` (the first listing of a media
/// type counts; `schema` describes the `application/json` one).
fn ok_in<'a>(
    description: &str,
    media: impl IntoIterator<Item = &'a str>,
    json: Option<RefOr<Schema>>,
) -> BTreeMap<String, RefOr<Response>> {
    let mut response = ResponseBuilder::new().description(description);
    let mut seen = Vec::new();
    for media in media {
        if seen.contains(&media) {
            continue;
        }
        seen.push(media);
        let schema = if media == "application/json" {
            json.clone()
        } else {
            None
        };
        response = response.content(media, Content::new(schema));
    }
    BTreeMap::from([("200".to_owned(), RefOr::T(response.build()))])
}

fn offered(list: &[(&'static str, Representation)]) -> impl Iterator<Item = &'static str> {
    list.iter().map(|(media, _)| *media)
}

impl IntoResponses for SparqlAnswer {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        ok_in(
            "the results (SELECT, ASK) or the graph (CONSTRUCT, DESCRIBE); without a query, the service description, or the query page for a browser",
            offered(SOLUTIONS)
                .chain(offered(GRAPHS))
                .chain(["text/html"]),
            None,
        )
    }
}

impl IntoResponses for GraphAnswer {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        ok_in("the graph", offered(GRAPHS), None)
    }
}

impl IntoResponses for EntityAnswer {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "the entity in the keys of report documents (JSON-LD with the spyatlas context)",
            ))
            .into();
        ok_in(
            "the entity: its page, its JSON view or its RDF description",
            ["text/html", "application/json"]
                .into_iter()
                .chain(offered(GRAPHS)),
            Some(object),
        )
    }
}

/// The frame the routes' operations are added to.
pub(super) fn frame() -> Document {
    Frame::openapi()
}

/// The document of every route: the operations the routes collected, with what the
/// server's limits answer added to each operation that does work.
pub fn document() -> Document {
    let (_, document) = super::routes().split_for_parts();
    finish(document)
}

fn finish(mut document: Document) -> Document {
    // OpenAPI has no catch-all parameter: `/store/{*path}` is `/store/{path}`, whose
    // description says it is the rest of the URL.
    let paths = std::mem::take(&mut document.paths.paths);
    for (path, mut item) in paths {
        let path = path.replace("{*", "{");
        let works = !STATIC.contains(&path.as_str());
        // A handler serving several methods (the Graph Store's) is described once: each
        // method gets its own operation id, and only PUT and POST take a body.
        let operations = [
            ("get", item.get.as_mut()),
            ("head", item.head.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            operation.operation_id = Some(format!(
                "{method}{}",
                path.replace(['/', '{', '}', '.', '-'], "_")
            ));
            if !matches!(method, "put" | "post") {
                operation.request_body = None;
            }
            let mut added: Vec<(&str, &str)> = Vec::new();
            if works {
                added.extend(LIMIT_RESPONSES);
                if operation.request_body.is_some() {
                    added.extend(BODY_RESPONSES);
                }
            }
            for (status, description) in added {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| {
                        RefOr::T(ResponseBuilder::new().description(description).build())
                    });
            }
        }
        document.paths.paths.insert(path, item);
    }
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}

/// The document as JSON, made once.
static JSON: LazyLock<String> = LazyLock::new(|| {
    document()
        .to_json()
        .expect("the OpenAPI document serialises")
});

/// `GET /openapi.json`: this description.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    summary = "This description",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str())
}
