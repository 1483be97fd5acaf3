//! `GET /api/path?from=SLUG&to=SLUG&max=6` and the page `/path?from=&to=`: the shortest
//! chains of relationships between two entities, each hop with its property, direction
//! and the reports asserting it.
//!
//! The chains are found in the network of entities kept in memory ([`crate::network`]);
//! the triples making each hop, and the claims asserting them, are then read from the
//! store.

use super::error::ApiError;
use super::params::{Bounded, PageLang, Params, Slug};
use super::{AppState, blocking};
use crate::claims::Relationship;
use crate::lookups;
use crate::network::{self, Connections};
use crate::store::{Graph, StoreError};
use crate::views::pages::{Layout, PathTemplate, render};
use crate::views::path::{
    AssertingClaim, Direction, Hop, Path, PathAnswer, PathNode, PathPage, Relation, Source,
};
use crate::views::{Lang, label_in};
use crate::vocab;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{GraphName, NamedNodeRef};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use utoipa::IntoParams;

/// The triples linking `a` and `b`, in either direction, in any named graph: what the
/// network counts as a link between them.
fn edges_between(graph: &Graph, a: &str, b: &str) -> Result<BTreeSet<Relationship>, StoreError> {
    let mut edges = BTreeSet::new();
    for (subject, object) in [(a, b), (b, a)] {
        for quad in graph.quads_for_pattern(
            Some(NamedNodeRef::new_unchecked(subject).into()),
            None,
            Some(NamedNodeRef::new_unchecked(object).into()),
            None,
        ) {
            let quad = quad?;
            if !network::is_link(quad.as_ref()) {
                continue;
            }
            if let GraphName::NamedNode(name) = quad.graph_name {
                edges.insert(Relationship {
                    subject: subject.to_owned(),
                    property: quad.predicate.into_string(),
                    object: object.to_owned(),
                    graph: name.into_string(),
                });
            }
        }
    }
    Ok(edges)
}

/// The query string of `/api/path`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PathParams {
    /// An entity slug or IRI.
    #[param(required = true)]
    from: Option<String>,
    /// An entity slug or IRI.
    #[param(required = true)]
    to: Option<String>,
    /// The most hops (6 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 8)]
    max: Option<Bounded<1, 8>>,
}

/// The query string of `/path`: `/api/path`'s, where the ends may also be names, and the
/// page's language.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PathPageParams {
    /// An entity's slug or name.
    from: Option<String>,
    /// An entity's slug or name.
    to: Option<String>,
    /// The most hops (6 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 8)]
    max: Option<Bounded<1, 8>>,
    /// The page's language: en, nl or it (else `Accept-Language`, else en).
    #[param(value_type = Option<String>)]
    #[serde(default)]
    lang: PageLang,
}

/// A path request, checked.
struct Request {
    from: String,
    to: String,
    max: usize,
}

impl PathParams {
    fn check(self) -> Result<Request, ApiError> {
        let entity = |value: Option<String>, name: &str| -> Result<String, ApiError> {
            let value = value.ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "give `{name}`: the slug of an entity, e.g. luca-casarini"
                ))
            })?;
            Slug::of_entity(&value)
                .map(|slug| slug.entity().into_string())
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("`{value}` is not an entity slug or IRI"))
                })
        };
        Ok(Request {
            from: entity(self.from, "from")?,
            to: entity(self.to, "to")?,
            max: self.max.map_or(6, |max| max.0),
        })
    }
}

fn answer(
    network: &Connections,
    search: &crate::search::Live,
    request: &Request,
) -> Result<PathAnswer, ApiError> {
    let graph = network.graph();
    for iri in [&request.from, &request.to] {
        if !lookups::ENTITY_EXISTS.ask(graph, &[("entity", lookups::iri(iri))])? {
            return Err(ApiError::NotFound(format!(
                "no entity {iri} is known; /api/search finds entities by name"
            )));
        }
    }
    // Read before the search: a network built to the end answers for all of the store.
    let complete = network.is_complete();
    let found =
        network.read(|network| network.shortest(&request.from, &request.to, request.max))?;
    let mut iris: BTreeSet<String> = BTreeSet::new();
    let mut edges: HashMap<(String, String), BTreeSet<Relationship>> = HashMap::new();
    for path in &found.paths {
        iris.extend(path.iter().cloned());
        for pair in path.windows(2) {
            let key = if pair[0] < pair[1] {
                (pair[0].clone(), pair[1].clone())
            } else {
                (pair[1].clone(), pair[0].clone())
            };
            if let std::collections::hash_map::Entry::Vacant(entry) = edges.entry(key) {
                let between = edges_between(graph, &entry.key().0, &entry.key().1)?;
                entry.insert(between);
            }
        }
    }
    let hop_edges = |a: &String, b: &String| -> Vec<Relationship> {
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        edges
            .get(&key)
            .map(|edges| edges.iter().cloned().collect())
            .unwrap_or_default()
    };
    let mut relationships: BTreeSet<Relationship> = BTreeSet::new();
    for path in &found.paths {
        for pair in path.windows(2) {
            for edge in hop_edges(&pair[0], &pair[1]) {
                iris.insert(edge.property.clone());
                iris.insert(edge.graph.clone());
                relationships.insert(edge);
            }
        }
    }
    // Each hop with the claims asserting it in each report, and the status they have there.
    // A hop's subjects are its two ends, so a path's lookups stay far below the cap; a
    // relationship past it would be left out rather than shown without its status.
    let crate::claims::Assertions {
        found: asserted,
        unresolved,
    } = crate::claims::asserting(graph, &relationships, |_| true)?;
    for claims in asserted.values() {
        for claim in claims {
            iris.insert(claim.claim.clone());
            iris.insert(claim.status.clone());
        }
    }
    // Names from the search index, as pages take them: English, else any.
    let iris: Vec<String> = iris.into_iter().collect();
    let names = search.describe_all(&iris)?;
    let name = |iri: &str| label_in(names.get(iri).map(|(labels, _)| labels), Lang::En, iri);
    let node = |iri: &str| PathNode {
        iri: iri.to_owned(),
        label: name(iri),
        url: iri
            .strip_prefix(vocab::ID_NAMESPACE)
            .map(|slug| format!("/id/{slug}")),
    };
    let paths: Vec<Path> = found
        .paths
        .iter()
        .map(|path| {
            let hops: Vec<Hop> = path
                .windows(2)
                .map(|pair| {
                    let mut edges = hop_edges(&pair[0], &pair[1]);
                    edges.retain(|edge| !unresolved.contains(edge));
                    let mut relations: Vec<Relation> = Vec::new();
                    let mut seen = HashSet::new();
                    for edge in &edges {
                        if !seen.insert((edge.property.clone(), edge.subject.clone())) {
                            continue;
                        }
                        let sources: Vec<Source> = edges
                            .iter()
                            .filter(|other| {
                                other.property == edge.property && other.subject == edge.subject
                            })
                            .map(|other| {
                                let asserted: Vec<AssertingClaim> = asserted
                                    .get(other)
                                    .into_iter()
                                    .flatten()
                                    .map(|claim| AssertingClaim {
                                        claim: node(&claim.claim),
                                        status: claim.status.clone(),
                                        status_label: name(&claim.status),
                                    })
                                    .collect();
                                Source {
                                    graph: other.graph.clone(),
                                    label: name(&other.graph),
                                    url: other
                                        .graph
                                        .strip_prefix(vocab::REPORT_NAMESPACE)
                                        .map(|slug| format!("/report/{slug}")),
                                    asserted,
                                }
                            })
                            .collect();
                        relations.push(Relation {
                            property: edge.property.clone(),
                            label: name(&edge.property),
                            direction: if edge.subject == pair[0] {
                                Direction::Forward
                            } else {
                                Direction::Backward
                            },
                            sources,
                        });
                    }
                    Hop {
                        from: node(&pair[0]),
                        to: node(&pair[1]),
                        relations,
                    }
                })
                .collect();
            Path {
                length: path.len() - 1,
                hops,
            }
        })
        .collect();
    let message = if paths.is_empty() {
        Some(if !complete {
            format!(
                "no connection within {} hops found yet: the network of links is still being read from the store; try again in a minute",
                request.max
            )
        } else if found.limited {
            format!(
                "no connection found within {} hops before the search grew too wide",
                request.max
            )
        } else {
            format!("no connection within {} hops", request.max)
        })
    } else {
        None
    };
    Ok(PathAnswer {
        from: node(&request.from),
        to: node(&request.to),
        max: request.max,
        length: found.paths.first().map(|path| path.len() - 1),
        paths,
        message,
        complete,
    })
}

/// `GET /api/path`.
#[utoipa::path(
    get,
    path = "/api/path",
    tag = "relationships",
    summary = "The shortest chains of relationships between two entities, each hop with its reports",
    params(PathParams),
    responses(
        (status = 200, description = "the chains, or a message when there is none", body = PathAnswer),
        (status = 400, description = "a parameter is missing or malformed"),
        (status = 404, description = "an unknown entity"),
    )
)]
pub async fn api(
    State(state): State<AppState>,
    Params(params): Params<PathParams>,
) -> Result<Json<PathAnswer>, ApiError> {
    let request = params.check()?;
    let (network, search) = (state.network.clone(), state.search.clone());
    Ok(Json(
        blocking(&state, move || answer(&network, &search, &request)).await??,
    ))
}

/// `GET /path`: the form, and the chains as pictures and sentences. The ends may be given
/// as slugs or as names: a name stands for the entity search ranks first for it.
#[utoipa::path(
    get,
    path = "/path",
    tag = "relationships",
    summary = "The chains between two entities, drawn and told as sentences with their sources",
    params(PathPageParams),
    responses(
        (status = 200, description = "the page", content_type = "text/html"),
        (status = 400, description = "an unknown parameter, a bad max, or a name too long"),
    )
)]
pub async fn page(
    State(state): State<AppState>,
    Params(params): Params<PathPageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = super::entity::language(params.lang, &headers);
    let from = params.from.unwrap_or_default().trim().to_owned();
    let to = params.to.unwrap_or_default().trim().to_owned();
    let mut page = PathPage {
        from_text: from.clone(),
        to_text: to.clone(),
        ..PathPage::default()
    };
    for (name, text) in [("from", &from), ("to", &to)] {
        if text.chars().count() > crate::search::MAX_QUERY_CHARS {
            return Err(ApiError::BadRequest(format!(
                "`{name}` is longer than {} characters: give a name or a slug",
                crate::search::MAX_QUERY_CHARS
            )));
        }
    }
    if !from.is_empty() && !to.is_empty() {
        let search = state.search.clone();
        let (from_text, to_text) = (from.clone(), to.clone());
        let ends = blocking(&state, move || {
            (
                resolve(&search, &from_text, language),
                resolve(&search, &to_text, language),
            )
        })
        .await?;
        match ends {
            (Some(from_slug), Some(to_slug)) => {
                let request = PathParams {
                    from: Some(from_slug),
                    to: Some(to_slug),
                    max: params.max,
                }
                .check()?;
                let (network, search) = (state.network.clone(), state.search.clone());
                let value = blocking(&state, move || answer(&network, &search, &request)).await??;
                let text = (page.from_text, page.to_text);
                page = PathPage::from_answer(&value, language);
                (page.from_text, page.to_text) = text;
            }
            (from_found, _) => {
                let missing = if from_found.is_none() { &from } else { &to };
                page.message = Some(format!(
                    "nothing known is called “{missing}”; try another name or a slug"
                ));
            }
        }
    }
    let words = crate::views::path::words(language);
    let here = if page.from_text.is_empty() && page.to_text.is_empty() {
        "/path".to_owned()
    } else {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("from", &page.from_text)
            .append_pair("to", &page.to_text)
            .finish();
        format!("/path?{query}")
    };
    let template = PathTemplate {
        layout: Layout::new(language, words.title, &here, "path"),
        words,
        page,
    };
    Ok(Html(render(&template)).into_response())
}

/// The slug of an entity given by slug or name: a known slug as it is, else the entity
/// (not a report) that search ranks first for the text.
fn resolve(search: &crate::search::Live, text: &str, language: Lang) -> Option<String> {
    search.read(|index| {
        if let Some(slug) = Slug::of_entity(text)
            && index.describe(slug.entity().as_str()).is_some()
        {
            return Some(slug.to_string());
        }
        index
            .search(text, &[], language.code(), 5)
            .into_iter()
            .find(|hit| hit.iri.starts_with(vocab::ID_NAMESPACE))
            .map(|hit| hit.slug)
    })
}
