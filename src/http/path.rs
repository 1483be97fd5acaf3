//! `GET /api/path?from=SLUG&to=SLUG&max=6` and the page `/path?from=&to=`: the shortest
//! chains of relationships between two entities, each hop with its property, direction
//! and the reports asserting it.
//!
//! The chains are found in the network of entities kept in memory ([`crate::network`]);
//! the triples making each hop, and the claims asserting them, are then read from the
//! store.

use super::error::ApiError;
use super::page::escape_html;
use super::{AppState, blocking};
use crate::claims::Relationship;
use crate::network::{self, Connections};
use crate::store::{Graph, StoreError};
use crate::vocab;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{GraphName, NamedNodeRef, Term};
use oxigraph::sparql::QueryResults;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// One edge: the triple `subject property object` in `graph`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Edge {
    subject: String,
    property: String,
    object: String,
    graph: String,
}

/// The triples linking `a` and `b`, in either direction, in any named graph: what the
/// network counts as a link between them.
fn edges_between(graph: &Graph, a: &str, b: &str) -> Result<BTreeSet<Edge>, StoreError> {
    let mut edges = BTreeSet::new();
    for (subject, object) in [(a, b), (b, a)] {
        for quad in graph.store().quads_for_pattern(
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
                edges.insert(Edge {
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

/// English labels (else any) of IRIs, and the reports' issue date and publisher.
fn labels(graph: &Graph, iris: &BTreeSet<String>) -> Result<HashMap<String, String>, StoreError> {
    let mut labels: HashMap<String, (bool, String)> = HashMap::new();
    if iris.is_empty() {
        return Ok(HashMap::new());
    }
    let values: String = iris.iter().map(|iri| format!("<{iri}> ")).collect();
    let query = format!(
        "SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} GRAPH ?g {{ ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}"
    );
    let prepared = Graph::evaluator()
        .parse_query(&query)
        .expect("valid SPARQL");
    if let QueryResults::Solutions(solutions) = graph.query(prepared)? {
        for solution in solutions {
            let solution = solution?;
            if let (Some(Term::NamedNode(x)), Some(Term::Literal(label))) =
                (solution.get("x"), solution.get("l"))
            {
                let english = label.language() == Some("en");
                let entry = labels
                    .entry(x.as_str().to_owned())
                    .or_insert((english, label.value().to_owned()));
                if english && !entry.0 {
                    *entry = (true, label.value().to_owned());
                }
            }
        }
    }
    Ok(labels
        .into_iter()
        .map(|(iri, (_, label))| (iri, label))
        .collect())
}

struct Request {
    from: String,
    to: String,
    max: usize,
}

fn parse(raw: Option<String>) -> Result<Request, ApiError> {
    let (mut from, mut to, mut max) = (None, None, 6);
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "from" => from = Some(value.into_owned()),
            "to" => to = Some(value.into_owned()),
            "max" => {
                max = value
                    .parse()
                    .ok()
                    .filter(|max| (1..=8).contains(max))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "max must be a number of hops from 1 to 8, not `{value}`"
                        ))
                    })?;
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter `{other}`; use from, to, max"
                )));
            }
        }
    }
    let entity = |value: Option<String>, name: &str| -> Result<String, ApiError> {
        let value = value.ok_or_else(|| {
            ApiError::BadRequest(format!(
                "give `{name}`: the slug of an entity, e.g. luca-casarini"
            ))
        })?;
        let slug = value.strip_prefix(vocab::ID_NAMESPACE).unwrap_or(&value);
        if crate::queries::is_slug(slug) {
            Ok(vocab::entity_iri(slug))
        } else {
            Err(ApiError::BadRequest(format!(
                "`{value}` is not an entity slug or IRI"
            )))
        }
    };
    Ok(Request {
        from: entity(from, "from")?,
        to: entity(to, "to")?,
        max,
    })
}

fn answer(network: &Connections, request: &Request) -> Result<Value, ApiError> {
    let graph = network.graph();
    for iri in [&request.from, &request.to] {
        let query = format!("ASK {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}");
        let prepared = Graph::evaluator()
            .parse_query(&query)
            .expect("valid SPARQL");
        if !matches!(graph.query(prepared)?, QueryResults::Boolean(true)) {
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
    let mut edges: HashMap<(String, String), BTreeSet<Edge>> = HashMap::new();
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
    let hop_edges = |a: &String, b: &String| -> Vec<Edge> {
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
                relationships.insert(Relationship {
                    subject: edge.subject,
                    property: edge.property,
                    object: edge.object,
                    graph: edge.graph,
                });
            }
        }
    }
    // Each hop with the claims asserting it in each report, and the status they have there.
    let asserted = crate::claims::asserting(graph, &relationships, |_| true)?;
    for claims in asserted.values() {
        for claim in claims {
            iris.insert(claim.claim.clone());
            iris.insert(claim.status.clone());
        }
    }
    let names = labels(graph, &iris)?;
    let name = |iri: &str| {
        names
            .get(iri)
            .cloned()
            .unwrap_or_else(|| iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned())
    };
    let node = |iri: &str| json!({ "iri": iri, "label": name(iri), "url": iri.strip_prefix(vocab::ID_NAMESPACE).map(|slug| format!("/id/{slug}")) });
    let paths: Vec<Value> = found
        .paths
        .iter()
        .map(|path| {
            let hops: Vec<Value> = path
                .windows(2)
                .map(|pair| {
                    let edges = hop_edges(&pair[0], &pair[1]);
                    let mut relations: Vec<Value> = Vec::new();
                    let mut seen = HashSet::new();
                    for edge in &edges {
                        if !seen.insert((edge.property.clone(), edge.subject.clone())) {
                            continue;
                        }
                        let sources: Vec<Value> = edges
                            .iter()
                            .filter(|other| other.property == edge.property && other.subject == edge.subject)
                            .map(|other| {
                                let relationship = Relationship {
                                    subject: other.subject.clone(),
                                    property: other.property.clone(),
                                    object: other.object.clone(),
                                    graph: other.graph.clone(),
                                };
                                let asserted: Vec<Value> = asserted
                                    .get(&relationship)
                                    .into_iter()
                                    .flatten()
                                    .map(|claim| json!({ "claim": node(&claim.claim), "status": claim.status, "status_label": name(&claim.status) }))
                                    .collect();
                                json!({ "graph": other.graph, "label": name(&other.graph), "url": other.graph.strip_prefix(vocab::REPORT_NAMESPACE).map(|slug| format!("/report/{slug}")), "asserted": asserted })
                            })
                            .collect();
                        relations.push(json!({
                            "property": edge.property,
                            "label": name(&edge.property),
                            "direction": if edge.subject == pair[0] { "forward" } else { "backward" },
                            "sources": sources,
                        }));
                    }
                    json!({ "from": node(&pair[0]), "to": node(&pair[1]), "relations": relations })
                })
                .collect();
            json!({ "length": path.len() - 1, "hops": hops })
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
    Ok(json!({
        "from": node(&request.from),
        "to": node(&request.to),
        "max": request.max,
        "length": found.paths.first().map(|path| path.len() - 1),
        "paths": paths,
        "message": message,
        "complete": complete,
    }))
}

/// `GET /api/path`.
pub async fn api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = parse(raw)?;
    let network = state.network.clone();
    let value = blocking(&state, move || answer(&network, &request)).await??;
    Ok(axum::Json(value).into_response())
}

/// `GET /path`: the chains as a picture and a list.
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let asked = raw.as_deref().is_some_and(|raw| raw.contains("from="));
    let mut body = String::new();
    if asked {
        let request = parse(raw)?;
        let network = state.network.clone();
        let value = blocking(&state, move || answer(&network, &request)).await??;
        let _ = write!(
            body,
            "<h1>{} ↔ {}</h1>",
            escape_html(value["from"]["label"].as_str().unwrap_or("")),
            escape_html(value["to"]["label"].as_str().unwrap_or(""))
        );
        if let Some(message) = value["message"].as_str() {
            let _ = write!(body, "<p class=\"none\">{}</p>", escape_html(message));
        }
        for path in value["paths"].as_array().into_iter().flatten() {
            let hops = path["hops"].as_array().cloned().unwrap_or_default();
            let count = hops.len() + 1;
            let width = 160 * count;
            let _ = write!(
                body,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"path\" viewBox=\"0 0 {width} 120\" width=\"100%\">"
            );
            let mut nodes = vec![
                hops.first()
                    .map(|hop| hop["from"].clone())
                    .unwrap_or(Value::Null),
            ];
            nodes.extend(hops.iter().map(|hop| hop["to"].clone()));
            for (position, hop) in hops.iter().enumerate() {
                let (x1, x2) = (80 + 160 * position, 80 + 160 * (position + 1));
                let label = hop["relations"][0]["label"].as_str().unwrap_or("");
                let _ = write!(
                    body,
                    "<line x1=\"{x1}\" y1=\"50\" x2=\"{x2}\" y2=\"50\" stroke=\"#999\"/><text x=\"{}\" y=\"40\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
                    (x1 + x2) / 2,
                    escape_html(label)
                );
            }
            for (position, node) in nodes.iter().enumerate() {
                let x = 80 + 160 * position;
                let label = node["label"].as_str().unwrap_or("");
                let href = node["url"].as_str().unwrap_or("");
                let _ = write!(
                    body,
                    "<a href=\"{}\" class=\"node\"><circle cx=\"{x}\" cy=\"50\" r=\"12\" fill=\"#1f77b4\"/><text x=\"{x}\" y=\"85\" text-anchor=\"middle\" font-size=\"12\">{}</text></a>",
                    escape_html(href),
                    escape_html(label)
                );
            }
            body.push_str("</svg><ol class=\"hops\">");
            for hop in &hops {
                for relation in hop["relations"].as_array().into_iter().flatten() {
                    let sources: Vec<String> = relation["sources"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|source| {
                            let mut cite = match source["url"].as_str() {
                                Some(url) => format!(
                                    "<a href=\"{}\">{}</a>",
                                    escape_html(url),
                                    escape_html(source["label"].as_str().unwrap_or(""))
                                ),
                                None => escape_html(source["label"].as_str().unwrap_or("")),
                            };
                            // The status each asserting claim has in this report.
                            for claim in source["asserted"].as_array().into_iter().flatten() {
                                let _ = write!(
                                    cite,
                                    " <span class=\"status\" data-status=\"{}\" data-claim=\"{}\" data-graph=\"{}\">{}</span>",
                                    escape_html(claim["status"].as_str().unwrap_or("")),
                                    escape_html(claim["claim"]["iri"].as_str().unwrap_or("")),
                                    escape_html(source["graph"].as_str().unwrap_or("")),
                                    escape_html(claim["status_label"].as_str().unwrap_or(""))
                                );
                            }
                            cite
                        })
                        .collect();
                    let (a, b) = if relation["direction"] == "forward" {
                        (&hop["from"], &hop["to"])
                    } else {
                        (&hop["to"], &hop["from"])
                    };
                    let _ = write!(
                        body,
                        "<li>{} <em>{}</em> {} <span class=\"source\">({})</span></li>",
                        escape_html(a["label"].as_str().unwrap_or("")),
                        escape_html(relation["label"].as_str().unwrap_or("")),
                        escape_html(b["label"].as_str().unwrap_or("")),
                        sources.join("; ")
                    );
                }
            }
            body.push_str("</ol>");
        }
    }
    Ok(Html(format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>How are they connected? · spyatlas</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}.source{{color:#555;font-size:.9em}}.status{{background:#eee;border-radius:4px;padding:0 .3em;font-size:.85em}}</style></head>
<body><p><a href="/search">Search</a> · <a href="/sparql">SPARQL</a></p>
<form method="get" action="/path"><input name="from" placeholder="from (slug)"> <input name="to" placeholder="to (slug)"> <button type="submit">Connect</button></form>
{body}
</body></html>
"#
    ))
    .into_response())
}
