//! `GET /api/path?from=SLUG&to=SLUG&max=6` and the page `/path?from=&to=`: the shortest
//! chains of relationships between two entities, each hop with its property, direction
//! and the reports asserting it.
//!
//! The search is breadth-first from both ends at once, one SPARQL query per layer: the
//! edges are the triples between two entities (`id/`) in any report or reference graph,
//! in either direction; types, labels and report mentions are not relationships. Claims
//! are entities too, so a victim and a vendor meet through the incident naming both.

use super::error::ApiError;
use super::page::escape_html;
use super::{AppState, blocking};
use crate::claims::Relationship;
use crate::store::{Graph, StoreError};
use crate::vocab;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// At most this many chains of the shortest length are returned.
const MAX_PATHS: usize = 5;
/// A layer larger than this stops the search (a hub such as a country reaches everything).
const MAX_FRONTIER: usize = 20_000;
/// A layer with more edges than this stops the search too: a hub's edges are held in
/// memory while its layer is read.
const MAX_LAYER_EDGES: usize = 200_000;

/// One edge: the triple `subject property object` in `graph`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Edge {
    subject: String,
    property: String,
    object: String,
    graph: String,
}

struct Found {
    paths: Vec<Vec<String>>,
    edges: HashMap<(String, String), BTreeSet<Edge>>,
    limited: bool,
}

fn neighbours(graph: &Graph, frontier: &[String]) -> Result<Vec<Edge>, StoreError> {
    let values: String = frontier.iter().map(|iri| format!("<{iri}> ")).collect();
    let query = format!(
        "SELECT ?s ?p ?o ?g WHERE {{
           VALUES ?x {{ {values} }}
           {{ GRAPH ?g {{ ?x ?p ?o }} BIND(?x AS ?s) }} UNION {{ GRAPH ?g {{ ?s ?p ?x }} BIND(?x AS ?o) }}
           FILTER(isIRI(?s) && isIRI(?o) && STRSTARTS(STR(?s), \"{id}\") && STRSTARTS(STR(?o), \"{id}\"))
           FILTER(?p NOT IN (<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>, <http://schema.org/mentions>))
         }}",
        id = vocab::ID_NAMESPACE
    );
    let prepared = Graph::evaluator()
        .parse_query(&query)
        .expect("the path query is valid SPARQL");
    let mut edges = Vec::new();
    if let QueryResults::Solutions(solutions) = graph.query(prepared)? {
        for solution in solutions {
            if edges.len() > MAX_LAYER_EDGES {
                // Enough to know the layer is too large.
                break;
            }
            let solution = solution?;
            let iri = |name: &str| match solution.get(name) {
                Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
                _ => None,
            };
            if let (Some(subject), Some(property), Some(object), Some(graph)) =
                (iri("s"), iri("p"), iri("o"), iri("g"))
            {
                edges.push(Edge {
                    subject,
                    property,
                    object,
                    graph,
                });
            }
        }
    }
    Ok(edges)
}

/// Breadth-first from both ends; every shortest chain (up to [`MAX_PATHS`]).
fn shortest(graph: &Graph, from: &str, to: &str, max: usize) -> Result<Found, StoreError> {
    let mut edges: HashMap<(String, String), BTreeSet<Edge>> = HashMap::new();
    if from == to {
        return Ok(Found {
            paths: vec![vec![from.to_owned()]],
            edges,
            limited: false,
        });
    }
    // parents[side][node] = the nodes one step closer to that side's start.
    let mut parents: [HashMap<String, Vec<String>>; 2] = [
        HashMap::from([(from.to_owned(), Vec::new())]),
        HashMap::from([(to.to_owned(), Vec::new())]),
    ];
    let mut frontiers = [vec![from.to_owned()], vec![to.to_owned()]];
    let mut length = 0;
    let mut limited = false;
    let mut meeting: Vec<String> = Vec::new();
    while length < max && meeting.is_empty() {
        // Grow the smaller side.
        let side = usize::from(frontiers[1].len() < frontiers[0].len());
        if frontiers[side].is_empty() {
            break;
        }
        if frontiers[side].len() > MAX_FRONTIER {
            limited = true;
            break;
        }
        let mut next: HashMap<String, Vec<String>> = HashMap::new();
        let layer = neighbours(graph, &frontiers[side])?;
        if layer.len() > MAX_LAYER_EDGES {
            limited = true;
            break;
        }
        let frontier: HashSet<&String> = frontiers[side].iter().collect();
        for edge in layer {
            crate::store::check_cancelled()?;
            for (near, far) in [(&edge.subject, &edge.object), (&edge.object, &edge.subject)] {
                if frontier.contains(near) && !parents[side].contains_key(far) {
                    let parents_of = next.entry(far.clone()).or_default();
                    // No more than MAX_PATHS chains are shown, and every parent leads back
                    // to the start: more parents would only cost time.
                    if parents_of.len() < MAX_PATHS && !parents_of.contains(near) {
                        parents_of.push(near.clone());
                    }
                    let key = if near < far {
                        (near.clone(), far.clone())
                    } else {
                        (far.clone(), near.clone())
                    };
                    edges.entry(key).or_default().insert(edge.clone());
                }
            }
        }
        length += 1;
        let mut frontier: Vec<String> = next.keys().cloned().collect();
        frontier.sort();
        for (node, parents_of) in next {
            parents[side].insert(node, parents_of);
        }
        meeting = frontier
            .iter()
            .filter(|node| parents[1 - side].contains_key(*node))
            .cloned()
            .collect();
        frontiers[side] = frontier;
    }
    let mut paths = Vec::new();
    'meeting: for middle in &meeting {
        for head in chains(&parents[0], middle) {
            for tail in chains(&parents[1], middle) {
                let mut path: Vec<String> = head.iter().rev().cloned().collect();
                path.extend(tail.into_iter().skip(1));
                paths.push(path);
                if paths.len() >= MAX_PATHS {
                    break 'meeting;
                }
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths.truncate(MAX_PATHS);
    Ok(Found {
        paths,
        edges,
        limited,
    })
}

/// The chains from `node` back to its side's start (node first).
fn chains(parents: &HashMap<String, Vec<String>>, node: &str) -> Vec<Vec<String>> {
    let Some(up) = parents.get(node) else {
        return Vec::new();
    };
    if up.is_empty() {
        return vec![vec![node.to_owned()]];
    }
    let mut result = Vec::new();
    for parent in up {
        for mut chain in chains(parents, parent) {
            chain.insert(0, node.to_owned());
            result.push(chain);
            if result.len() >= MAX_PATHS {
                return result;
            }
        }
    }
    result
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

fn answer(graph: &Graph, request: &Request) -> Result<Value, ApiError> {
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
    let found = shortest(graph, &request.from, &request.to, request.max)?;
    let mut iris: BTreeSet<String> = BTreeSet::new();
    for path in &found.paths {
        iris.extend(path.iter().cloned());
    }
    let hop_edges = |a: &String, b: &String| -> Vec<Edge> {
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        found
            .edges
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
        Some(if found.limited {
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
    }))
}

/// `GET /api/path`.
pub async fn api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = parse(raw)?;
    let graph = state.graph.clone();
    let value = blocking(&state, move || answer(&graph, &request)).await??;
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
        let graph = state.graph.clone();
        let value = blocking(&state, move || answer(&graph, &request)).await??;
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
