//! Every route of the server, in one table: [`super::router`] mounts each entry's
//! handlers, and [`openapi`] describes the same entries as an OpenAPI 3 document, so the
//! description cannot leave out or invent a route.

use super::{
    AppState, entity, graph_store, health, index, named, page, path, reports, search, sparql,
};
use axum::routing::{MethodRouter, any, get};
use serde_json::{Map, Value, json};

/// A parameter of an operation.
pub struct Param {
    pub name: &'static str,
    /// `query` or `path`.
    pub location: &'static str,
    pub required: bool,
    pub description: &'static str,
}

/// One method on a route.
pub struct Operation {
    pub method: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    /// Status code and what it means.
    pub responses: &'static [(u16, &'static str)],
    /// Media types answered, the first being the default.
    pub produces: &'static [&'static str],
    /// Media types taken in the request body.
    pub consumes: &'static [&'static str],
    pub needs_token: bool,
    /// The schema (in `openapi-schemas.json`) of the JSON answer of a success.
    pub json_schema: Option<&'static str>,
}

impl Operation {
    /// The same operation, its JSON answer described by the schema `name`.
    const fn answering(mut self, name: &'static str) -> Self {
        self.json_schema = Some(name);
        self
    }
}

/// A route: its path (axum's syntax, which is OpenAPI's for `{name}`), its operations,
/// and the handlers that serve it.
pub struct Route {
    pub path: &'static str,
    pub tag: &'static str,
    pub operations: &'static [Operation],
    pub handlers: fn() -> MethodRouter<AppState>,
}

const fn query(name: &'static str, required: bool, description: &'static str) -> Param {
    Param {
        name,
        location: "query",
        required,
        description,
    }
}

const fn in_path(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "path",
        required: true,
        description,
    }
}

const fn op(
    method: &'static str,
    summary: &'static str,
    params: &'static [Param],
    responses: &'static [(u16, &'static str)],
    produces: &'static [&'static str],
) -> Operation {
    Operation {
        method,
        summary,
        params,
        responses,
        produces,
        consumes: &[],
        needs_token: false,
        json_schema: None,
    }
}

const HTML: &[&str] = &["text/html"];
const JSON: &[&str] = &["application/json"];
const RDF: &[&str] = &[
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/ld+json",
];
const SPARQL_RESULTS: &[&str] = &[
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/ld+json",
    "text/html",
];
const ENTITY: &[&str] = &[
    "text/html",
    "application/json",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
];
const LANG: Param = query(
    "lang",
    false,
    "language of the names: en, nl, it (else Accept-Language, else en)",
);
const FORMAT: Param = query(
    "format",
    false,
    "a representation by name (html, json, turtle, jsonld, nt, nq, trig), overriding Accept",
);

/// Every route.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/",
        tag: "pages",
        operations: &[op(
            "get",
            "What spyatlas holds: counts per kind, latest reports, a search box",
            &[LANG],
            &[(200, "the page")],
            HTML,
        )],
        handlers: || get(index::home),
    },
    Route {
        path: "/{listing}",
        tag: "pages",
        operations: &[op(
            "get",
            "Every entity of one kind: vendors, products, governments, agencies, people, organizations, platforms, incidents, reports",
            &[
                in_path(
                    "listing",
                    "vendors, products, governments, agencies, people, organizations, platforms, incidents or reports",
                ),
                LANG,
                query("page", false, "page number, from 1"),
            ],
            &[(200, "the listing"), (404, "no such listing")],
            HTML,
        )],
        handlers: || get(index::listing),
    },
    Route {
        path: "/health",
        tag: "service",
        operations: &[op(
            "get",
            "200 when the store can be read",
            &[],
            &[(200, "ok"), (500, "the store cannot be read")],
            &["text/plain"],
        )],
        handlers: || get(health),
    },
    Route {
        path: "/sparql",
        tag: "sparql",
        operations: &[
            op(
                "get",
                "SPARQL 1.1 Protocol query; without a query, the service description (RDF) or the query page (browsers)",
                &[
                    query("query", false, "the SPARQL query"),
                    query("default-graph-uri", false, "a default graph (repeatable)"),
                    query("named-graph-uri", false, "a named graph (repeatable)"),
                    FORMAT,
                ],
                &[
                    (200, "the results"),
                    (400, "malformed query"),
                    (406, "no acceptable representation"),
                    (503, "cancelled at the deadline"),
                ],
                SPARQL_RESULTS,
            ),
            Operation {
                method: "post",
                summary: "SPARQL 1.1 Protocol query or update (form or direct body); updates need the write token",
                params: &[],
                responses: &[
                    (200, "the results"),
                    (204, "update done"),
                    (400, "malformed query or update"),
                    (401, "wrong token"),
                    (403, "writes disabled"),
                    (415, "unsupported Content-Type"),
                    (503, "cancelled at the deadline"),
                ],
                produces: SPARQL_RESULTS,
                consumes: &[
                    "application/x-www-form-urlencoded",
                    "application/sparql-query",
                    "application/sparql-update",
                ],
                needs_token: false,
                json_schema: None,
            },
        ],
        handlers: || get(sparql::get_sparql).post(sparql::post_sparql),
    },
    Route {
        path: "/sparql/",
        tag: "sparql",
        operations: &[op(
            "get",
            "The same as /sparql",
            &[query("query", false, "the SPARQL query")],
            &[(200, "the results")],
            SPARQL_RESULTS,
        )],
        handlers: || get(sparql::get_sparql).post(sparql::post_sparql),
    },
    Route {
        path: "/store",
        tag: "sparql",
        operations: &[
            op(
                "get",
                "Graph Store Protocol: a graph (?graph=IRI or ?default)",
                &[
                    query("graph", false, "the graph IRI"),
                    query("default", false, "the default graph"),
                ],
                &[(200, "the graph"), (404, "no such graph")],
                RDF,
            ),
            op(
                "head",
                "Graph Store Protocol: whether a graph exists, and its Content-Type",
                &[query("graph", false, "the graph IRI")],
                &[(200, "it exists"), (404, "no such graph")],
                RDF,
            ),
            Operation {
                method: "put",
                summary: "Graph Store Protocol: replace a graph",
                params: &[query("graph", false, "the graph IRI")],
                responses: &[(201, "created"), (204, "replaced")],
                produces: &[],
                consumes: RDF,
                needs_token: true,
                json_schema: None,
            },
            Operation {
                method: "post",
                summary: "Graph Store Protocol: add to a graph, or create one (also multipart/form-data)",
                params: &[query("graph", false, "the graph IRI")],
                responses: &[(201, "created, with Location"), (204, "added")],
                produces: &[],
                consumes: RDF,
                needs_token: true,
                json_schema: None,
            },
            Operation {
                method: "delete",
                summary: "Graph Store Protocol: delete a graph",
                params: &[query("graph", false, "the graph IRI")],
                responses: &[(204, "deleted"), (404, "no such graph")],
                produces: &[],
                consumes: &[],
                needs_token: true,
                json_schema: None,
            },
        ],
        handlers: || any(graph_store::handle_indirect),
    },
    Route {
        path: "/store/{path}",
        tag: "sparql",
        operations: &[op(
            "get",
            "Graph Store Protocol, direct identification: the graph named by this URL (also HEAD, PUT, POST, DELETE)",
            &[in_path("path", "the rest of the graph's URL")],
            &[(200, "the graph"), (404, "no such graph")],
            RDF,
        )],
        handlers: || any(graph_store::handle_direct),
    },
    Route {
        path: "/context.jsonld",
        tag: "reports",
        operations: &[op(
            "get",
            "The JSON-LD context of report documents",
            &[],
            &[(200, "the context")],
            &["application/ld+json"],
        )],
        handlers: || get(reports::context),
    },
    Route {
        path: "/assets/sparql-editor.js",
        tag: "pages",
        operations: &[op(
            "get",
            "The script of the query page",
            &[],
            &[(200, "the script")],
            &["text/javascript"],
        )],
        handlers: || get(page::editor_script),
    },
    Route {
        path: "/assets/yasgui/yasgui.min.js",
        tag: "pages",
        operations: &[op(
            "get",
            "YASGUI, the query editor of the query page",
            &[],
            &[(200, "the script")],
            &["text/javascript"],
        )],
        handlers: || get(page::yasgui_script),
    },
    Route {
        path: "/assets/yasgui/yasgui.min.css",
        tag: "pages",
        operations: &[op(
            "get",
            "YASGUI's stylesheet",
            &[],
            &[(200, "the stylesheet")],
            &["text/css"],
        )],
        handlers: || get(page::yasgui_stylesheet),
    },
    Route {
        path: "/assets/suggest.js",
        tag: "pages",
        operations: &[op(
            "get",
            "The script that suggests names in the inputs of the path page",
            &[],
            &[(200, "the script")],
            &["text/javascript"],
        )],
        handlers: || get(page::suggest_script),
    },
    Route {
        path: "/assets/spyatlas.css",
        tag: "pages",
        operations: &[op(
            "get",
            "The stylesheet of every page",
            &[],
            &[(200, "the stylesheet")],
            &["text/css"],
        )],
        handlers: || get(page::stylesheet),
    },
    Route {
        path: "/api/reports",
        tag: "reports",
        operations: &[
            op(
                "get",
                "The loaded reports, with their metadata and triple counts",
                &[],
                &[(200, "the list")],
                JSON,
            )
            .answering("ReportList"),
            Operation {
                method: "post",
                summary: "Load a report: parsed, linked to known entities, validated, written whole or not at all",
                params: &[query(
                    "dry-run",
                    false,
                    "true: validate only (no token needed)",
                )],
                responses: &[
                    (200, "unchanged, replaced or valid"),
                    (201, "loaded, with Location"),
                    (400, "syntax error, with line and column (a LoadAnswer)"),
                    (401, "wrong token"),
                    (403, "writes disabled"),
                    (415, "unsupported Content-Type"),
                    (422, "violations: entity, property, message, line (a LoadAnswer)"),
                ],
                produces: JSON,
                consumes: &[
                    "application/yaml",
                    "application/ld+json",
                    "application/n-quads",
                    "application/trig",
                    "text/turtle",
                    "application/n-triples",
                    "application/rdf+xml",
                ],
                needs_token: true,
                json_schema: Some("LoadAnswer"),
            },
        ],
        handlers: || get(reports::list_all).post(reports::post),
    },
    Route {
        path: "/api/reports/{slug}",
        tag: "reports",
        operations: &[
            op(
                "get",
                "One report: its metadata as JSON, or its graph in RDF",
                &[in_path("slug", "the report's slug"), FORMAT],
                &[(200, "the report"), (404, "no such report")],
                &[
                    "application/json",
                    "text/turtle",
                    "application/n-quads",
                    "application/trig",
                    "application/ld+json",
                ],
            )
            .answering("Report"),
            Operation {
                method: "delete",
                summary: "Retract a report: its graph, claims and metadata, at once",
                params: &[in_path("slug", "the report's slug")],
                responses: &[
                    (204, "retracted"),
                    (401, "wrong token"),
                    (404, "no such report"),
                ],
                produces: &[],
                consumes: &[],
                needs_token: true,
                json_schema: None,
            },
        ],
        handlers: || get(reports::get_one).delete(reports::delete),
    },
    Route {
        path: "/id/{slug}",
        tag: "entities",
        operations: &[op(
            "get",
            "An entity: its page, JSON or RDF description by Accept",
            &[in_path("slug", "the entity's slug"), LANG, FORMAT],
            &[
                (200, "the entity"),
                (404, "unknown, with suggestions"),
                (406, "no acceptable representation"),
            ],
            ENTITY,
        )],
        handlers: || get(entity::entity),
    },
    Route {
        path: "/report/{slug}",
        tag: "entities",
        operations: &[op(
            "get",
            "A report as an entity: its page, JSON or RDF description by Accept",
            &[in_path("slug", "the report's slug"), LANG, FORMAT],
            &[(200, "the report"), (404, "unknown")],
            ENTITY,
        )],
        handlers: || get(entity::report),
    },
    Route {
        path: "/api/search",
        tag: "search",
        operations: &[op(
            "get",
            "Entities and reports by name: exact, prefix, word start or one typo per word, ranked",
            &[
                query(
                    "q",
                    true,
                    "the name, in any language, case and accents ignored",
                ),
                query(
                    "type",
                    false,
                    "kinds to keep: vendor, person, incident... (comma-separated) or class IRIs",
                ),
                LANG,
                query("limit", false, "at most this many results, 1 to 200 (20)"),
            ],
            &[(200, "the results"), (400, "no q, or an unknown type")],
            JSON,
        )
        .answering("SearchResults")],
        handlers: || get(search::api),
    },
    Route {
        path: "/api/statistics",
        tag: "search",
        operations: &[op(
            "get",
            "Counts per kind, incidents per vendor and year, named targets per country, reports per publisher: kept up to date by every write",
            &[
                query("limit", false, "at most this many rows per table, 1 to 1000 (20)"),
                LANG,
            ],
            &[(200, "the figures"), (400, "a bad limit or an unknown parameter")],
            JSON,
        )
        .answering("Statistics")],
        handlers: || get(index::api_statistics),
    },
    Route {
        path: "/search",
        tag: "search",
        operations: &[op(
            "get",
            "The search page",
            &[query("q", false, "the name"), LANG],
            &[(200, "the page")],
            HTML,
        )],
        handlers: || get(search::page),
    },
    Route {
        path: "/api/path",
        tag: "relationships",
        operations: &[op(
            "get",
            "The shortest chains of relationships between two entities, each hop with its reports",
            &[
                query("from", true, "an entity slug or IRI"),
                query("to", true, "an entity slug or IRI"),
                query("max", false, "the most hops, 1 to 8 (6)"),
            ],
            &[
                (200, "the chains, or a message when there is none"),
                (400, "a parameter is missing or malformed"),
                (404, "an unknown entity"),
            ],
            JSON,
        )
        .answering("PathAnswer")],
        handlers: || get(path::api),
    },
    Route {
        path: "/path",
        tag: "relationships",
        operations: &[op(
            "get",
            "The chains between two entities, drawn and told as sentences with their sources",
            &[
                query("from", false, "an entity's slug or name"),
                query("to", false, "an entity's slug or name"),
                query("max", false, "the most hops, from 1 to 8 (6 unless given)"),
                LANG,
            ],
            &[(200, "the page"), (400, "an unknown parameter or a bad max")],
            HTML,
        )],
        handlers: || get(path::page),
    },
    Route {
        path: "/api/queries",
        tag: "relationships",
        operations: &[op(
            "get",
            "The named queries of queries/, with their parameters",
            &[],
            &[(200, "the list")],
            JSON,
        )
        .answering("NamedQueryList")],
        handlers: || get(named::list),
    },
    Route {
        path: "/api/queries/{name}",
        tag: "relationships",
        operations: &[op(
            "get",
            "Run a named query; each parameter is bound as a typed RDF term (an iri parameter takes a slug or an IRI)",
            &[
                in_path("name", "the query's name"),
                query("format", false, "json (default) or csv"),
            ],
            &[
                (200, "the answer"),
                (400, "a parameter that is not a valid term"),
                (404, "no such query"),
                (503, "cancelled at the deadline"),
            ],
            &[
                "application/json",
                "text/csv",
                "application/sparql-results+json",
                "text/tab-separated-values",
            ],
        )
        .answering("NamedQueryAnswer")],
        handlers: || get(named::run),
    },
    Route {
        path: "/queries/{name}",
        tag: "relationships",
        operations: &[op(
            "get",
            "A form to run a named query",
            &[in_path("name", "the query's name")],
            &[(200, "the form"), (404, "no such query")],
            HTML,
        )],
        handlers: || get(named::form),
    },
    Route {
        path: "/openapi.json",
        tag: "service",
        operations: &[op(
            "get",
            "This description",
            &[],
            &[(200, "the OpenAPI 3 document")],
            JSON,
        )],
        handlers: || get(openapi_handler),
    },
];

/// Routes that answer from memory, never from the work pool.
const STATIC: &[&str] = &[
    "/health",
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

/// The axum route of a table path: `/store/{path}` matches the rest of the URL.
pub fn axum_path(path: &str) -> &str {
    if path == "/store/{path}" {
        "/store/{*path}"
    } else {
        path
    }
}

async fn openapi_handler() -> axum::Json<Value> {
    axum::Json(openapi())
}

/// The JSON answers' schemas, by name (OpenAPI 3.0 schema objects).
const SCHEMAS: &str = include_str!("openapi-schemas.json");

fn schemas() -> Value {
    serde_json::from_str(SCHEMAS).expect("openapi-schemas.json is JSON")
}

/// The OpenAPI 3.0 document of [`ROUTES`].
pub fn openapi() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let mut item = Map::new();
        for operation in route.operations {
            let parameters: Vec<Value> = operation
                .params
                .iter()
                .map(|param| {
                    json!({
                        "name": param.name,
                        "in": param.location,
                        "required": param.required,
                        "description": param.description,
                        "schema": { "type": "string" },
                    })
                })
                .collect();
            let mut responses = Map::new();
            for (status, description) in operation.responses {
                let content: Map<String, Value> = operation
                    .produces
                    .iter()
                    .map(|media| {
                        let described = match operation.json_schema {
                            Some(name) if *media == "application/json" => {
                                json!({ "schema": { "$ref": format!("#/components/schemas/{name}") } })
                            }
                            _ => json!({}),
                        };
                        ((*media).to_owned(), described)
                    })
                    .collect();
                let mut response = json!({ "description": description });
                if (200..300).contains(status) && *status != 204 && !content.is_empty() {
                    response["content"] = Value::Object(content);
                }
                responses.insert(status.to_string(), response);
            }
            // What every route that does work can answer besides its own statuses.
            if !STATIC.contains(&route.path) {
                for (status, description) in LIMIT_RESPONSES {
                    responses
                        .entry((*status).to_string())
                        .or_insert_with(|| json!({ "description": description }));
                }
                if !operation.consumes.is_empty() {
                    for (status, description) in BODY_RESPONSES {
                        responses
                            .entry((*status).to_string())
                            .or_insert_with(|| json!({ "description": description }));
                    }
                }
            }
            let mut value = json!({
                "summary": operation.summary,
                "tags": [route.tag],
                "operationId": format!("{}{}", operation.method, route.path.replace(['/', '{', '}', '.'], "_")),
                "parameters": parameters,
                "responses": responses,
            });
            if !operation.consumes.is_empty() {
                let content: Map<String, Value> = operation
                    .consumes
                    .iter()
                    .map(|media| {
                        (
                            (*media).to_owned(),
                            json!({ "schema": { "type": "string" } }),
                        )
                    })
                    .collect();
                value["requestBody"] = json!({ "required": true, "content": content });
            }
            if operation.needs_token {
                value["security"] = json!([{ "bearer": [] }]);
            }
            item.insert(operation.method.to_owned(), value);
        }
        paths.insert(route.path.to_owned(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "spyatlas",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A knowledge graph of surveillance incidents: who builds spyware, who buys it, who was targeted, through which platform, and which report says so.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "the server's write token (--write-token)" } },
            "schemas": schemas(),
        },
    })
}
