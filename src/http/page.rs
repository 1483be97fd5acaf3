//! The query page a browser gets at `/sparql` (YASGUI, with the named queries as examples
//! and results linked to entity pages), and the assets of every page: the stylesheet and
//! the scripts, compiled into the binary (no request ever goes elsewhere).

use crate::queries::Queries;
use crate::views::Lang;
use crate::views::pages::{Layout, SparqlTemplate, render};
use axum::http::header;
use axum::response::IntoResponse;

const DEFAULT_QUERY: &str = "PREFIX sa: <https://w3id.org/spyatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?entity ?label WHERE {
  ?entity a sa:Vendor ; rdfs:label ?label .
  FILTER(langMatches(lang(?label), \"en\"))
}";

/// The prefixes the editor completes and the result tables abbreviate with.
const PREFIXES: &[(&str, &str)] = &[
    ("sa", "https://w3id.org/spyatlas/ontology#"),
    ("id", "https://w3id.org/spyatlas/id/"),
    ("report", "https://w3id.org/spyatlas/report/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("schema", "http://schema.org/"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// JSON that is safe inside a `<script>` element: no `<` can close it.
fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .expect("JSON values serialise")
        .replace('<', "\\u003c")
}

/// The page, with `query` in the editor (and run at once) when given.
pub fn query_page(queries: &Queries, query: Option<&str>) -> String {
    let examples: Vec<serde_json::Value> = queries
        .iter()
        .map(|query| {
            serde_json::json!({
                "name": query.name,
                "title": query.title,
                "description": query.description,
                "text": query.text,
            })
        })
        .collect();
    let text = query.unwrap_or(DEFAULT_QUERY);
    let prefixes: serde_json::Map<String, serde_json::Value> = PREFIXES
        .iter()
        .map(|(prefix, namespace)| ((*prefix).to_owned(), (*namespace).into()))
        .collect();
    let mut layout = Layout::new(Lang::En, "SPARQL", "/sparql", "sparql");
    layout.stylesheets.push("/assets/yasgui/yasgui.min.css");
    render(&SparqlTemplate {
        layout,
        query: text.to_owned(),
        examples: script_json(&serde_json::Value::Array(examples)),
        settings: script_json(&serde_json::json!({
            "query": text,
            "autorun": query.is_some(),
            "prefixes": prefixes,
        })),
    })
}

/// An asset of the pages, kept by browsers for an hour.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// `GET /assets/sparql-editor.js`: the query page's set-up of YASGUI. Scripts are files
/// of their own rather than inline, so that pages can forbid inline scripts
/// (`Content-Security-Policy`).
#[utoipa::path(
    get,
    path = "/assets/sparql-editor.js",
    tag = "pages",
    summary = "The script of the query page",
    responses((status = 200, description = "the script", content_type = "text/javascript"))
)]
pub async fn editor_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", EDITOR_SCRIPT)
}

/// `GET /assets/yasgui/yasgui.min.js`: YASGUI 4 (MIT; `assets/yasgui/README.md`).
#[utoipa::path(
    get,
    path = "/assets/yasgui/yasgui.min.js",
    tag = "pages",
    summary = "YASGUI, the query editor of the query page",
    responses((status = 200, description = "the script", content_type = "text/javascript"))
)]
pub async fn yasgui_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", YASGUI_SCRIPT)
}

/// `GET /assets/yasgui/yasgui.min.css`: YASGUI's stylesheet.
#[utoipa::path(
    get,
    path = "/assets/yasgui/yasgui.min.css",
    tag = "pages",
    summary = "YASGUI's stylesheet",
    responses((status = 200, description = "the stylesheet", content_type = "text/css"))
)]
pub async fn yasgui_stylesheet() -> impl IntoResponse {
    asset("text/css; charset=utf-8", YASGUI_STYLESHEET)
}

/// `GET /assets/suggest.js`: suggestions by name for the inputs of the path page.
#[utoipa::path(
    get,
    path = "/assets/suggest.js",
    tag = "pages",
    summary = "The script that suggests names in the inputs of the path page",
    responses((status = 200, description = "the script", content_type = "text/javascript"))
)]
pub async fn suggest_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SUGGEST_SCRIPT)
}

/// `GET /assets/spyatlas.css`: the stylesheet of every page.
#[utoipa::path(
    get,
    path = "/assets/spyatlas.css",
    tag = "pages",
    summary = "The stylesheet of every page",
    responses((status = 200, description = "the stylesheet", content_type = "text/css"))
)]
pub async fn stylesheet() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The scripts and the stylesheet of the pages.
const EDITOR_SCRIPT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/sparql-editor.js"
));
const YASGUI_SCRIPT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/yasgui/yasgui.min.js"
));
const YASGUI_STYLESHEET: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/yasgui/yasgui.min.css"
));
const SUGGEST_SCRIPT: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/suggest.js"));
const STYLESHEET: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/spyatlas.css"));
