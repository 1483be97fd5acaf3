//! `/id/{slug}` and `/report/{slug}`: an entity (or report) with content negotiation — an
//! HTML page for browsers, JSON for programs, its RDF description (outgoing and incoming
//! triples, with the graphs they come from where the syntax allows) for RDF clients.
//!
//! What the page shows is built by [`crate::views::entity`] and rendered by
//! `templates/entity.html`; rendered pages are kept until a write touches what they show.

use super::conneg::{GRAPHS, Representation, negotiate};
use super::error::ApiError;
use super::openapi::EntityAnswer;
use super::params::{PageLang, Params, Slug};
use super::{AppState, blocking};
use crate::store::Graph;
use crate::views::entity::{EntityPage, Neighbourhood, neighbourhood};
use crate::views::pages::{EntityTemplate, Layout, NotFoundTemplate, not_found_words, render};
use crate::views::{Lang, page_of};
use crate::vocab;
use crate::vocab::read::RDF_TYPE;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::{NamedNode, Quad, Term, Triple};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use utoipa::IntoParams;

const SA: &str = vocab::ONTOLOGY_NAMESPACE;

/// The language of the page: `?lang=` when it is one pages are written in, else the
/// first of `Accept-Language` that is, else English.
pub(super) fn language(PageLang(lang): PageLang, headers: &HeaderMap) -> Lang {
    if let Some(lang) = lang {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split(',')
                .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("").trim()))
                .next()
        })
        .unwrap_or_default()
}

/// [`language`] from a query string that may not parse as a whole (an error page's).
pub(super) fn language_of_query(raw: Option<&str>, headers: &HeaderMap) -> Lang {
    let lang = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "lang")
        .and_then(|(_, value)| Lang::parse(&value));
    language(PageLang(lang), headers)
}

/// The query string of an entity's or report's page; other keys are ignored, as links
/// from elsewhere may carry them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The page's language: en, nl or it (else `Accept-Language`, else en).
    #[param(value_type = Option<String>)]
    #[serde(default)]
    lang: PageLang,
    /// A representation by name (html, json, turtle, jsonld, nt, nq, trig), overriding
    /// `Accept`; or an export of the entity's neighbourhood or the report (stix, gexf,
    /// graphml, csv).
    format: Option<String>,
}

/// What the entity page offers, in order of preference.
fn offered() -> Vec<(&'static str, Representation)> {
    let mut offered = vec![
        ("text/html", Representation::Html),
        ("application/xhtml+xml", Representation::Html),
        ("application/json", Representation::Json),
    ];
    offered.extend_from_slice(GRAPHS);
    offered
}

/// `GET /id/{slug}`.
#[utoipa::path(
    get,
    path = "/id/{slug}",
    tag = "entities",
    summary = "An entity: its page, JSON or RDF description by Accept",
    params(("slug" = String, Path, description = "the entity's slug"), PageParams),
    responses(
        EntityAnswer,
        (status = 404, description = "unknown, with suggestions"),
        (status = 406, description = "no acceptable representation"),
    )
)]
pub async fn entity(
    state: State<AppState>,
    Path(slug): Path<String>,
    Params(params): Params<PageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(state, vocab::ID_NAMESPACE, slug, params, headers).await
}

/// `GET /report/{slug}`.
#[utoipa::path(
    get,
    path = "/report/{slug}",
    tag = "entities",
    summary = "A report as an entity: its page, JSON or RDF description by Accept",
    params(("slug" = String, Path, description = "the report's slug"), PageParams),
    responses(
        EntityAnswer,
        (status = 404, description = "unknown"),
        (status = 406, description = "no acceptable representation"),
    )
)]
pub async fn report(
    state: State<AppState>,
    Path(slug): Path<String>,
    Params(params): Params<PageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(state, vocab::REPORT_NAMESPACE, slug, params, headers).await
}

async fn respond(
    State(state): State<AppState>,
    namespace: &str,
    slug: String,
    params: PageParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = params.format;
    if let Some(export) = super::export::requested(format.as_deref(), &headers) {
        let Some(parsed) = Slug::parse(&slug) else {
            return Err(ApiError::NotFound(format!("nothing is known as `{slug}`")));
        };
        let (scope, name) = if namespace == vocab::ID_NAMESPACE {
            (
                crate::export::Scope::Entity(parsed.entity().into_string()),
                format!("spyatlas-{slug}"),
            )
        } else {
            (
                crate::export::Scope::Report(parsed.report().into_string()),
                format!("spyatlas-report-{slug}"),
            )
        };
        return super::export::respond(&state, scope, export, &name).await;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let representation = match format.as_deref() {
        Some("json") => Representation::Json,
        other => negotiate(accept, other, &offered())?,
    };
    let language = language(params.lang, &headers);
    let base = if namespace == vocab::ID_NAMESPACE {
        "id"
    } else {
        "report"
    };
    // A page rendered before, and not touched by a write since, is served again as it is.
    let key = format!("{base}/{slug}|{language}|{representation:?}");
    let (content_type, bytes) = match state.pages.get(&key) {
        Ok(page) => page,
        Err(ticket) => {
            let found = if let Some(slug) = Slug::parse(&slug) {
                let iri = if namespace == vocab::ID_NAMESPACE {
                    slug.entity()
                } else {
                    slug.report()
                };
                let (graph, search) = (state.graph.clone(), state.search.clone());
                blocking(&state, move || neighbourhood(&graph, &search, &iri)).await??
            } else {
                None
            };
            let Some(found) = found else {
                return Ok(not_found(&state, base, &slug, representation, language));
            };
            let page = represent(&found, representation, language)?;
            state.pages.put(key, ticket, page.clone(), found.shows());
            page
        }
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    let link = format!(
        "</{base}/{slug}?format=turtle>; rel=\"alternate\"; type=\"text/turtle\", </{base}/{slug}?format=jsonld>; rel=\"alternate\"; type=\"application/ld+json\", </{base}/{slug}?format=nt>; rel=\"alternate\"; type=\"application/n-triples\", </{base}/{slug}?format=json>; rel=\"alternate\"; type=\"application/json\""
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, value);
    }
    Ok(response)
}

/// A neighbourhood in one representation: its content type and bytes.
fn represent(
    view: &Neighbourhood,
    representation: Representation,
    language: Lang,
) -> Result<(String, axum::body::Bytes), ApiError> {
    Ok(match representation {
        Representation::Html => (
            "text/html; charset=utf-8".to_owned(),
            render(&EntityTemplate::new(&EntityPage::new(view, language))).into(),
        ),
        Representation::Json => (
            "application/json".to_owned(),
            serde_json::to_vec(&json_view(view))
                .expect("JSON values serialise")
                .into(),
        ),
        Representation::Rdf(format) => {
            let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
            let iri = NamedNode::new_unchecked(view.iri.clone());
            for statement in &view.statements {
                let property = NamedNode::new_unchecked(statement.property.clone());
                let triple = if statement.outgoing {
                    Triple::new(iri.clone(), property, statement.other.clone())
                } else {
                    let Ok(subject) =
                        oxigraph::model::NamedOrBlankNode::try_from(statement.other.clone())
                    else {
                        continue;
                    };
                    Triple::new(subject, property, iri.clone())
                };
                let written = match (&statement.graph, format.supports_datasets()) {
                    (Some(graph), true) => serializer.serialize_quad(&Quad::new(
                        triple.subject,
                        triple.predicate,
                        triple.object,
                        NamedNode::new_unchecked(graph.clone()),
                    )),
                    _ => serializer.serialize_triple(&triple),
                };
                written.map_err(|error| ApiError::Store(error.into()))?;
            }
            let body = serializer
                .finish()
                .map_err(|error| ApiError::Store(error.into()))?;
            (representation.content_type(), body.into())
        }
        Representation::Results(_) => unreachable!("not offered"),
    })
}

/// Rendered pages, each with the IRIs it shows (the entity, its neighbours, the claims,
/// the reports and their publishers). A write drops the pages showing any IRI it wrote
/// about (as subject, object or graph), so a page never outlives what it shows, and a
/// write costs the pages it touched, not the whole cache.
#[derive(Clone)]
pub struct PageCache {
    inner: std::sync::Arc<CachedPages>,
}

struct CachedPages {
    pages: std::sync::Mutex<Pages>,
}

/// A content type and body.
type Page = (String, axum::body::Bytes);

#[derive(Default)]
struct Pages {
    /// Request key → the page and the IRIs it shows.
    by_key: HashMap<String, (Page, Vec<String>)>,
    /// IRI → the keys of the pages showing it.
    by_iri: HashMap<String, HashSet<String>>,
    /// Counts the writes seen: a page rendered across a write is not kept.
    writes: u64,
}

/// Pages kept at most (the cache starts over past this).
const CACHED_PAGES: usize = 4_096;

impl PageCache {
    /// A cache told of every write to `graph`.
    pub fn new(graph: &Graph) -> Self {
        let inner = std::sync::Arc::new(CachedPages {
            pages: std::sync::Mutex::new(Pages::default()),
        });
        let watcher: std::sync::Arc<dyn crate::changes::Watcher> = inner.clone();
        graph.watch(std::sync::Arc::downgrade(&watcher));
        Self { inner }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.inner
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The page, and a ticket to give [`PageCache::put`] when there is none.
    fn get(&self, key: &str) -> Result<Page, u64> {
        let pages = self.lock();
        match pages.by_key.get(key) {
            Some((page, _)) => Ok(page.clone()),
            None => Err(pages.writes),
        }
    }

    /// Keeps a page rendered after [`PageCache::get`] gave `ticket`, unless a write came
    /// in between (it may have been rendered from the store before that write).
    fn put(&self, key: String, ticket: u64, page: Page, shows: Vec<String>) {
        let mut pages = self.lock();
        if pages.writes != ticket {
            return;
        }
        if pages.by_key.len() >= CACHED_PAGES {
            pages.by_key.clear();
            pages.by_iri.clear();
        }
        for iri in &shows {
            pages
                .by_iri
                .entry(iri.clone())
                .or_default()
                .insert(key.clone());
        }
        pages.by_key.insert(key, (page, shows));
    }
}

impl crate::changes::Watcher for CachedPages {
    fn changed(&self, _: &crate::store::Graph, change: &crate::changes::Change) {
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.writes += 1;
        if matches!(change, crate::changes::Change::Unknown) {
            pages.by_key.clear();
            pages.by_iri.clear();
            return;
        }
        let mut touched: HashSet<&str> = HashSet::new();
        for (quad, _) in change.quads() {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(subject) = &quad.subject {
                touched.insert(subject.as_str());
            }
            if let Term::NamedNode(object) = &quad.object {
                touched.insert(object.as_str());
            }
            if let oxigraph::model::GraphName::NamedNode(graph) = &quad.graph_name {
                touched.insert(graph.as_str());
            }
        }
        for iri in touched {
            let Some(keys) = pages.by_iri.remove(iri) else {
                continue;
            };
            for key in keys {
                if let Some((_, shows)) = pages.by_key.remove(&key) {
                    for other in shows {
                        if let Some(keys) = pages.by_iri.get_mut(&other) {
                            keys.remove(&key);
                            if keys.is_empty() {
                                pages.by_iri.remove(&other);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn not_found(
    state: &AppState,
    base: &str,
    slug: &str,
    representation: Representation,
    language: Lang,
) -> Response {
    let words = slug.replace('-', " ");
    // This runs on the event loop, which must not wait: no suggestions while a write is
    // updating the index.
    let suggestions: Vec<crate::search::Hit> = state
        .search
        .try_read(|index| index.search(&words, &[], language.code(), 5))
        .unwrap_or_default();
    match representation {
        Representation::Html => {
            let template = NotFoundTemplate {
                layout: Layout::new(language, slug, &format!("/{base}/{slug}"), ""),
                words: not_found_words(language),
                slug: slug.to_owned(),
                query: form_urlencoded::byte_serialize(words.as_bytes()).collect(),
                suggestions: suggestions
                    .iter()
                    .map(|hit| (page_of(&hit.iri).unwrap_or_default(), hit.label.clone()))
                    .collect(),
            };
            (StatusCode::NOT_FOUND, Html(render(&template))).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({
                "error": format!("nothing is known as `{slug}`"),
                "suggestions": suggestions.iter().map(|hit| json!({"slug": hit.slug, "label": hit.label, "url": page_of(&hit.iri)})).collect::<Vec<_>>(),
            })),
        )
            .into_response(),
    }
}

/// The entity as compacted JSON-LD with the spyatlas context: its own statements under the
/// context's keys (`label`, `country`, `status`...), the statements pointing to it under
/// `@reverse`; entity references as slugs, concepts by name.
fn json_view(view: &Neighbourhood) -> Value {
    use crate::ingest::document::{TermStyle, term_of};
    let compact_iri = |iri: &str| -> String {
        if let Some(slug) = iri.strip_prefix(vocab::ID_NAMESPACE) {
            slug.to_owned()
        } else if let Some(slug) = iri.strip_prefix(vocab::REPORT_NAMESPACE) {
            format!("report:{slug}")
        } else {
            iri.to_owned()
        }
    };
    let mut node = Map::new();
    node.insert(
        "@context".into(),
        json!(crate::ingest::document::CONTEXT_IRI),
    );
    node.insert("id".into(), json!(compact_iri(&view.iri)));
    let mut reverse = Map::new();
    let push = |map: &mut Map<String, Value>, key: &str, value: Value| match map.get_mut(key) {
        Some(Value::Array(values)) => {
            if !values.contains(&value) {
                values.push(value);
            }
        }
        Some(existing) => {
            if *existing != value {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
        None => {
            map.insert(key.to_owned(), value);
        }
    };
    for statement in &view.statements {
        if statement.property == RDF_TYPE {
            if let Term::NamedNode(class) = &statement.other {
                let name = class
                    .as_str()
                    .strip_prefix(SA)
                    .map_or_else(|| class.as_str().to_owned(), str::to_owned);
                push(&mut node, "type", json!(name));
            }
            continue;
        }
        let term = term_of(&statement.property);
        let key = term.map_or_else(|| statement.property.clone(), |(name, _)| name.to_owned());
        let style = term.map(|(_, style)| style);
        if !statement.outgoing {
            if let Term::NamedNode(subject) = &statement.other {
                push(&mut reverse, &key, json!(compact_iri(subject.as_str())));
            }
            continue;
        }
        match (&statement.other, style) {
            (Term::Literal(literal), Some(TermStyle::Language)) => {
                let language = literal.language().unwrap_or("@none").to_owned();
                let map = node.entry(key).or_insert_with(|| json!({}));
                if let Value::Object(map) = map {
                    push(map, &language, json!(literal.value()));
                }
            }
            (Term::NamedNode(value), Some(TermStyle::Vocabulary)) => {
                let name = value
                    .as_str()
                    .strip_prefix(SA)
                    .map_or_else(|| value.as_str().to_owned(), str::to_owned);
                push(&mut node, &key, json!(name));
            }
            (Term::NamedNode(value), Some(TermStyle::Reference)) => {
                push(&mut node, &key, json!(compact_iri(value.as_str())));
            }
            (Term::NamedNode(value), _) => {
                push(&mut node, &key, json!({ "@id": value.as_str() }));
            }
            (Term::Literal(literal), _) => {
                let value = match literal.language() {
                    Some(language) => json!({ "@value": literal.value(), "@language": language }),
                    None if literal.datatype() == oxigraph::model::vocab::xsd::STRING => {
                        json!(literal.value())
                    }
                    None => {
                        json!({ "@value": literal.value(), "@type": literal.datatype().as_str() })
                    }
                };
                push(&mut node, &key, value);
            }
            _ => {}
        }
    }
    if !reverse.is_empty() {
        node.insert("@reverse".into(), Value::Object(reverse));
    }
    // Every relationship with the report asserting it and the status each asserting claim
    // has there: a key outside the JSON-LD context, which JSON-LD processors leave out.
    let status_name = |iri: &str| {
        iri.strip_prefix(SA)
            .map_or_else(|| iri.to_owned(), str::to_owned)
    };
    let relationships: Vec<Value> = view
        .statements
        .iter()
        .filter(|statement| statement.property != RDF_TYPE)
        .filter_map(|statement| {
            let relationship = statement.relationship(&view.iri)?;
            let asserted: Vec<Value> = view
                .asserted
                .get(&relationship)
                .into_iter()
                .flatten()
                .map(|asserted| {
                    json!({
                        "claim": compact_iri(&asserted.claim),
                        "status": status_name(&asserted.status),
                    })
                })
                .collect();
            let property = term_of(&statement.property)
                .map_or_else(|| statement.property.clone(), |(name, _)| name.to_owned());
            Some(json!({
                "subject": compact_iri(&relationship.subject),
                "property": property,
                "object": compact_iri(&relationship.object),
                "report": compact_iri(&relationship.graph),
                "asserted": asserted,
            }))
        })
        .collect();
    node.insert("relationships".into(), Value::Array(relationships));
    Value::Object(node)
}
