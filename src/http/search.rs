//! `/api/search?q=&type=&lang=&limit=` (JSON) and `/search?q=` (a page): entities and
//! reports by name, from the in-memory index of [`crate::search`].

use super::error::ApiError;
use super::{AppState, blocking};
use crate::search::{Hit, MAX_QUERY_CHARS};
use crate::views::pages::{Layout, SearchHit, SearchTemplate, render, search_words};
use crate::vocab;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// The parameters of a search.
struct Request {
    text: String,
    types: Vec<String>,
    language: String,
    limit: usize,
}

fn parse(raw: Option<String>) -> Result<Request, ApiError> {
    let mut request = Request {
        text: String::new(),
        types: Vec::new(),
        language: "en".into(),
        limit: 20,
    };
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "q" => request.text = value.into_owned(),
            "type" => {
                for name in value
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                {
                    request.types.push(class(name)?);
                }
            }
            "lang" => request.language = value.to_ascii_lowercase(),
            "limit" => {
                request.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=200).contains(limit))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a number from 1 to 200, not `{value}`"
                        ))
                    })?;
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown search parameter `{other}`; use q, type, lang, limit"
                )));
            }
        }
    }
    if request.text.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "give the name to search for: ?q=paragon".into(),
        ));
    }
    let length = request.text.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the search text is {length} characters long; search for at most {MAX_QUERY_CHARS} (a name, not a document)"
        )));
    }
    if request.types.len() > MAX_TYPES {
        return Err(ApiError::BadRequest(format!(
            "{} types given; narrow a search to at most {MAX_TYPES}",
            request.types.len()
        )));
    }
    Ok(request)
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
pub async fn api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = parse(raw)?;
    let (hits, complete) = run(&state, &request).await?;
    let results: Vec<serde_json::Value> = hits
        .iter()
        .map(|hit| {
            let mut value = serde_json::to_value(hit).expect("hits serialise");
            value["url"] = json!(page_url(hit));
            value
        })
        .collect();
    Ok(axum::Json(json!({
        "query": request.text,
        "count": results.len(),
        "complete": complete,
        "results": results,
    }))
    .into_response())
}

fn page_url(hit: &Hit) -> String {
    if hit.iri.starts_with(vocab::REPORT_NAMESPACE) {
        format!("/report/{}", hit.slug)
    } else {
        format!("/id/{}", hit.slug)
    }
}

/// `GET /search`: a search box and the results, as a page.
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = super::entity::language(raw.as_deref(), &headers);
    let searched = raw.as_deref().is_some_and(|raw| raw.contains("q="));
    let (text, results, complete) = if searched {
        let mut request = parse(raw)?;
        request.language = language.code().to_owned();
        let (hits, complete) = run(&state, &request).await?;
        (request.text, Some(hits), complete)
    } else {
        (String::new(), None, true)
    };
    let hits = results.map(|hits| {
        hits.iter()
            .map(|hit| SearchHit {
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
