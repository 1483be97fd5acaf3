//! `/api/search?q=&type=&lang=&limit=` (JSON) and `/search?q=` (a page): entities and
//! reports by name, from the in-memory index of [`crate::search`].

use super::error::ApiError;
use super::params::{Bounded, PageLang, Params};
use super::{AppState, blocking};
use crate::search::{Hit, MAX_QUERY_CHARS, Match};
use crate::views::pages::{Layout, SearchTemplate, render, search_words};
use crate::vocab;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The query string of `/api/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The name, in any language, case and accents ignored.
    #[param(required = true)]
    q: Option<String>,
    /// Kinds to keep: vendor, person, incident... (comma-separated), or class IRIs.
    #[serde(rename = "type")]
    types: Option<String>,
    /// The language of the labels answered, a BCP 47 tag (`en` unless given).
    lang: Option<String>,
    /// At most this many results (20 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<Bounded<1, 200>>,
}

/// The query string of `/search`; other keys are ignored, as a page's links may carry them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchPageParams {
    /// The name; the page shows a search box alone without it.
    q: Option<String>,
    /// The page's language: en, nl or it (else `Accept-Language`, else en).
    #[param(value_type = Option<String>)]
    #[serde(default)]
    lang: PageLang,
}

/// Entities and reports whose names match the query, best first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchResults {
    /// The text searched for.
    query: String,
    /// Number of results given.
    count: usize,
    /// Whether the index held every name of the store: false for the few seconds after a
    /// start (or a SPARQL update) while it is built in the background.
    complete: bool,
    results: Vec<SearchHit>,
}

/// One entity or report found.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchHit {
    iri: String,
    slug: String,
    /// The label in the language asked, else English, else any.
    label: String,
    /// The name (label or alias) that matched.
    matched: String,
    /// The language of the name that matched.
    language: Option<String>,
    #[serde(rename = "match")]
    how: Match,
    /// Class IRIs.
    types: Vec<String>,
    /// The entity's or report's page.
    url: String,
}

/// The parameters of a search, checked.
struct Request {
    text: String,
    types: Vec<String>,
    language: String,
    limit: usize,
}

impl SearchParams {
    fn check(self) -> Result<Request, ApiError> {
        let text = self.q.unwrap_or_default();
        if text.trim().is_empty() {
            return Err(ApiError::BadRequest(
                "give the name to search for: ?q=paragon".into(),
            ));
        }
        let length = text.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(ApiError::BadRequest(format!(
                "the search text is {length} characters long; search for at most {MAX_QUERY_CHARS} (a name, not a document)"
            )));
        }
        let names: Vec<&str> = self
            .types
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        if names.len() > MAX_TYPES {
            return Err(ApiError::BadRequest(format!(
                "{} types given; narrow a search to at most {MAX_TYPES}",
                names.len()
            )));
        }
        Ok(Request {
            text,
            types: names.into_iter().map(class).collect::<Result<_, _>>()?,
            language: self
                .lang
                .map_or_else(|| "en".to_owned(), |lang| lang.to_ascii_lowercase()),
            limit: self.limit.map_or(20, |limit| limit.0),
        })
    }
}

/// The class IRI of a `type` value: a class of the ontology by name, any case
/// (`vendor`, `Person`), or a full IRI.
fn class(name: &str) -> Result<String, ApiError> {
    if name.contains("://") {
        return Ok(name.to_owned());
    }
    let known = CLASSES.iter().find(|class| {
        class.eq_ignore_ascii_case(name) || format!("{class}s").eq_ignore_ascii_case(name)
    });
    match known {
        Some(class) => Ok(format!("{}{class}", vocab::ONTOLOGY_NAMESPACE)),
        None => Err(ApiError::BadRequest(format!(
            "unknown type `{name}`; use one of {} (or a class IRI)",
            CLASSES.join(", ").to_lowercase()
        ))),
    }
}

/// The most `type` values one search may name.
const MAX_TYPES: usize = 16;

/// The classes a search can be narrowed to.
const CLASSES: &[&str] = &[
    "Vendor",
    "Product",
    "Government",
    "Agency",
    "Person",
    "Organization",
    "Platform",
    "Vulnerability",
    "Country",
    "Incident",
    "Targeting",
    "Detection",
    "Attribution",
    "CustomerRelationship",
    "Response",
    "Report",
];

/// The hits, and whether the index had everything the store holds (it is first built in
/// the background when the server starts).
async fn run(state: &AppState, request: &Request) -> Result<(Vec<Hit>, bool), ApiError> {
    let search = state.search.clone();
    let (text, types, language, limit) = (
        request.text.clone(),
        request.types.clone(),
        request.language.clone(),
        request.limit,
    );
    blocking(state, move || {
        let complete = search.is_complete();
        let hits = search.read(|index| index.search(&text, &types, &language, limit));
        (hits, complete)
    })
    .await
}

/// `GET /api/search`: the best matches as JSON.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "search",
    summary = "Entities and reports by name: exact, prefix, word start or one typo per word, ranked",
    params(SearchParams),
    responses(
        (status = 200, description = "the results", body = SearchResults),
        (status = 400, description = "no q, an unknown type or parameter, or a bad limit"),
    )
)]
pub async fn api(
    State(state): State<AppState>,
    Params(params): Params<SearchParams>,
) -> Result<Response, ApiError> {
    let request = params.check()?;
    // An answer given before, while nothing was written since, is given again from
    // memory, without a turn in the work pool: suggestions as people type ask the same
    // prefixes again and again. The generation is read before the search: the index is
    // brought up to date inside each write, before the generation moves on.
    let generation = state.graph.generation();
    let key: std::sync::Arc<str> = format!(
        "search\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        request.text,
        request.types.join(" "),
        request.language,
        request.limit
    )
    .into();
    if let Some(kept) = state.answers.get(generation, &key) {
        return Ok(json_answer(kept));
    }
    let (hits, complete) = run(&state, &request).await?;
    let results: Vec<SearchHit> = hits
        .into_iter()
        .map(|hit| SearchHit {
            url: page_url(&hit),
            iri: hit.iri,
            slug: hit.slug,
            label: hit.label,
            matched: hit.matched,
            language: hit.language,
            how: hit.how,
            types: hit.types,
        })
        .collect();
    let body: bytes::Bytes = serde_json::to_vec(&SearchResults {
        query: request.text,
        count: results.len(),
        complete,
        results,
    })
    .expect("search results serialise")
    .into();
    // An index still being built (after a start or a SPARQL update) grows without a
    // write: its answers are not kept.
    if complete {
        state.answers.insert(generation, key, body.clone());
    }
    Ok(json_answer(body))
}

fn json_answer(body: bytes::Bytes) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn page_url(hit: &Hit) -> String {
    if hit.iri.starts_with(vocab::REPORT_NAMESPACE) {
        format!("/report/{}", hit.slug)
    } else {
        format!("/id/{}", hit.slug)
    }
}

/// `GET /search`: a search box and the results, as a page.
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    summary = "The search page",
    params(SearchPageParams),
    responses(
        (status = 200, description = "the page", content_type = "text/html"),
        (status = 400, description = "a search text that is too long"),
    )
)]
pub async fn page(
    State(state): State<AppState>,
    Params(params): Params<SearchPageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = super::entity::language(params.lang, &headers);
    let (text, results, complete) = match params.q {
        Some(text) => {
            let request = SearchParams {
                q: Some(text),
                lang: Some(language.code().to_owned()),
                ..SearchParams::default()
            }
            .check()?;
            let (hits, complete) = run(&state, &request).await?;
            (request.text, Some(hits), complete)
        }
        None => (String::new(), None, true),
    };
    let hits = results.map(|hits| {
        hits.iter()
            .map(|hit| crate::views::pages::SearchHit {
                href: page_url(hit),
                label: hit.label.clone(),
                kinds: hit
                    .types
                    .iter()
                    .filter_map(|class| class.strip_prefix(vocab::ONTOLOGY_NAMESPACE))
                    .collect::<Vec<_>>()
                    .join(", "),
                via: (hit.matched != hit.label)
                    .then(|| (hit.matched.clone(), hit.language.clone())),
            })
            .collect()
    });
    let ui = crate::views::pages::ui(language);
    let title = if text.is_empty() {
        ui.search.to_owned()
    } else {
        format!("{text} · {}", ui.search)
    };
    let here = if text.is_empty() {
        "/search".to_owned()
    } else {
        format!(
            "/search?q={}",
            form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
        )
    };
    let template = SearchTemplate {
        layout: Layout::new(language, title, &here, "search"),
        words: search_words(language),
        text,
        complete,
        hits,
    };
    Ok(Html(render(&template)).into_response())
}
