//! `/reconcile`: the W3C Entity Reconciliation Service API 0.2, the protocol OpenRefine
//! speaks. A column of names in a spreadsheet ("NSO", "Whats App") is matched against the
//! entities spyatlas holds, and matched rows can then be extended with what spyatlas
//! knows of each entity, every relationship with the status its report gives it and that
//! report.
//!
//! - `GET /reconcile`: the manifest; with `queries=` (or `POST`, as a form), a batch of
//!   reconciliation queries; with `extend=`, a data extension query.
//! - `/reconcile/suggest/{entity,type,property}?prefix=`: completions as people type.
//! - `/reconcile/preview?id=`: a small HTML card of an entity.
//! - `/reconcile/properties?type=`: the properties an extension may ask for.
//!
//! Identifiers are paths under `https://w3id.org/spyatlas/` (the identifier space):
//! `id/paragon-solutions` for an entity, `report/...` for a report, so that the view
//! template `{origin}/{{id}}` opens the entity's page. Types are the ontology's class
//! names (`Vendor`), properties its property names (`developedBy`), under the schema
//! space `https://w3id.org/spyatlas/ontology#`. An extension property also exists with
//! `@status` (each value's status, as each report gives it) and `@source` (the reports),
//! and, written `^developedBy`, read backwards (the products a vendor develops).
//!
//! Names are matched as search matches them (every label and alias in every language,
//! case and diacritics folded, word starts, one typo per word), and also with spaces and
//! punctuation left out, so that "Whats App" finds WhatsApp.

use super::body::{self, Sender};
use super::error::ApiError;
use super::params::Params;
use super::{AppState, blocking, origin};
use crate::ingest::resolve::fold;
use crate::search::{Hit, MAX_QUERY_CHARS, Match};
use crate::store::Graph;
use crate::views::entity::neighbourhood;
use crate::views::{Lang, label_in, legend};
use crate::vocab;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{NamedNode, Term};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The identifier space: an entity's id is its IRI with this taken off.
const IDENTIFIER_SPACE: &str = vocab::NAMESPACE;

/// The most queries one batch may hold (OpenRefine sends ten at a time).
const MAX_QUERIES: usize = 100;
/// The most candidates one query may ask for.
const MAX_CANDIDATES: usize = 50;
/// Candidates given when a query names no limit.
const DEFAULT_CANDIDATES: usize = 5;
/// The most property constraints of one query, and values of one property.
const MAX_CONSTRAINTS: usize = 16;
const MAX_VALUES: usize = 16;
/// The most types one query may name.
const MAX_TYPES: usize = 16;
/// The most entities and properties of one extension query.
const MAX_EXTEND_IDS: usize = 100;
const MAX_EXTEND_PROPERTIES: usize = 30;
/// The most suggestions one suggest request may give, and how far its cursor may go.
const MAX_SUGGESTIONS: usize = 50;
const MAX_CURSOR: usize = 500;
/// Names looked at per query before scoring (the search ranks them first).
const SEARCHED: usize = 200;
/// The most rows read of the ontology's terms (a few hundred in the bundled ontology).
const MAX_ONTOLOGY_ROWS: usize = 5000;

/// `?queries=` or `?extend=` of `GET /reconcile` (or the same keys of a `POST` form).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceParams {
    /// A batch of reconciliation queries, as JSON: `{"q0": {"query": "NSO", "type": "Vendor"}}`.
    queries: Option<String>,
    /// A data extension query, as JSON: `{"ids": ["id/whatsapp"], "properties": [{"id": "operatedBy"}]}`.
    extend: Option<String>,
}

/// `GET /reconcile`: the manifest, or the answer to `queries=` or `extend=`.
#[utoipa::path(
    get,
    path = "/reconcile",
    tag = "reconciliation",
    summary = "Reconciliation Service API 0.2 (OpenRefine): the manifest, a batch of queries, or a data extension",
    params(ServiceParams),
    responses(
        (status = 200, description = "the manifest, the candidates of each query, or the extension rows", content_type = "application/json"),
        (status = 400, description = "a query that is not JSON, breaks the schema, or exceeds a limit; the message says which"),
    )
)]
pub async fn service(
    State(state): State<AppState>,
    Params(params): Params<ServiceParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&state, &headers, params).await
}

/// `POST /reconcile`: `queries=` or `extend=` as a form (OpenRefine's way).
#[utoipa::path(
    post,
    path = "/reconcile",
    tag = "reconciliation",
    summary = "Reconciliation queries or a data extension, as a form",
    request_body(description = "queries= or extend=, JSON in a form", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "the candidates of each query, or the extension rows", content_type = "application/json"),
        (status = 400, description = "a query that is not JSON, breaks the schema, or exceeds a limit"),
        (status = 413, description = "a form larger than --max-public-body-mb"),
        (status = 415, description = "a body that is not a form"),
    )
)]
pub async fn service_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(none)");
    if super::conneg::media_type(content_type) != "application/x-www-form-urlencoded" {
        return Err(ApiError::UnsupportedMediaType {
            given: content_type.to_owned(),
            expected: "application/x-www-form-urlencoded (queries= or extend=)".into(),
        });
    }
    let sender = Sender::Public {
        limit: state.settings.max_public_body_bytes,
        flag: "--max-public-body-mb",
    };
    let form = body::read(&state, &headers, body, sender).await?;
    let mut params = ServiceParams::default();
    let pairs = form_urlencoded::parse(&form).chain(form_urlencoded::parse(
        uri.query().unwrap_or_default().as_bytes(),
    ));
    for (key, value) in pairs {
        let slot = match key.as_ref() {
            "queries" => &mut params.queries,
            "extend" => &mut params.extend,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "/reconcile: unknown form field `{other}`; send queries= or extend="
                )));
            }
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(ApiError::BadRequest(format!(
                "/reconcile: `{key}` given twice; send one batch per request"
            )));
        }
    }
    if params.queries.is_none() && params.extend.is_none() {
        return Err(ApiError::BadRequest(
            "/reconcile: the form holds neither queries= nor extend=".into(),
        ));
    }
    answer(&state, &headers, params).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    params: ServiceParams,
) -> Result<Response, ApiError> {
    let body = match (params.queries, params.extend) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "/reconcile: give queries= or extend=, not both".into(),
            ));
        }
        (None, None) => manifest(&origin(headers)),
        (Some(queries), None) => {
            let batch = parse_batch(&queries)?;
            let (graph, search) = (state.graph.clone(), state.search.clone());
            blocking(state, move || reconcile(&graph, &search, &batch)).await??
        }
        (None, Some(extend)) => {
            let query = parse_extension(&extend)?;
            let (graph, search) = (state.graph.clone(), state.search.clone());
            blocking(state, move || extend_rows(&graph, &search, &query)).await??
        }
    };
    Ok(json_answer(&body))
}

fn json_answer(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(body).expect("JSON values serialise"),
    )
        .into_response()
}

/// The service manifest: what this service offers, with absolute URLs on `origin`.
fn manifest(origin: &str) -> Value {
    let types: Vec<Value> = DEFAULT_TYPES
        .iter()
        .map(|name| json!({ "id": name, "name": name }))
        .collect();
    json!({
        "versions": ["0.2"],
        "name": "spyatlas",
        "identifierSpace": IDENTIFIER_SPACE,
        "schemaSpace": vocab::ONTOLOGY_NAMESPACE,
        "documentation": format!("{origin}/openapi.json"),
        "serviceVersion": env!("CARGO_PKG_VERSION"),
        "view": { "url": format!("{origin}/{{{{id}}}}") },
        "defaultTypes": types,
        "suggest": {
            "entity": { "service_url": origin, "service_path": "/reconcile/suggest/entity" },
            "type": { "service_url": origin, "service_path": "/reconcile/suggest/type" },
            "property": { "service_url": origin, "service_path": "/reconcile/suggest/property" },
        },
        "preview": {
            "url": format!("{origin}/reconcile/preview?id={{{{id}}}}"),
            "width": 400,
            "height": 180,
        },
        "extend": {
            "propose_properties": { "service_url": origin, "service_path": "/reconcile/properties" },
            "property_settings": [],
        },
    })
}

/// The types offered first: the kinds of entity people reconcile names against.
const DEFAULT_TYPES: &[&str] = &[
    "Vendor",
    "Product",
    "Government",
    "Agency",
    "Person",
    "Organization",
    "Platform",
    "Vulnerability",
    "Country",
];

/// One reconciliation query, checked.
#[derive(Debug, Clone)]
struct Query {
    text: String,
    types: Vec<String>,
    strict: Strictness,
    limit: usize,
    constraints: Vec<Constraint>,
}

/// How the types of a query narrow its candidates (`type_strict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// A candidate has one of the types at least (the default).
    Any,
    /// Every type.
    All,
    /// Types only rank: a candidate of another type stays, lower.
    Should,
}

/// A property the candidates should have, with the values asked for.
#[derive(Debug, Clone)]
struct Constraint {
    /// The name the query gave (`pid`), echoed in the candidates' features.
    pid: String,
    property: PropertyPath,
    /// Values: entity IRIs (given as ids) and folded texts.
    entities: Vec<String>,
    texts: Vec<String>,
}

/// A property read forwards or, written `^name`, backwards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PropertyPath {
    iri: String,
    inverse: bool,
}

impl PropertyPath {
    /// `developedBy`, `^developedBy` or a full IRI (possibly after `^`).
    fn parse(text: &str) -> Option<Self> {
        let (inverse, name) = match text.strip_prefix('^') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let iri = if name.contains("://") {
            oxigraph::model::NamedNode::new(name).ok()?.into_string()
        } else if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            format!("{}{name}", vocab::ONTOLOGY_NAMESPACE)
        } else {
            return None;
        };
        Some(Self { iri, inverse })
    }

    fn id(&self) -> String {
        let name = self
            .iri
            .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
            .unwrap_or(&self.iri);
        if self.inverse {
            format!("^{name}")
        } else {
            name.to_owned()
        }
    }
}

/// The IRI of an id: `id/x`, `report/x`, a bare slug (an entity), or a full IRI in this
/// service's identifier space.
fn iri_of_id(id: &str) -> Option<String> {
    let path = id.strip_prefix(IDENTIFIER_SPACE).unwrap_or(id);
    let (namespace, slug) = if let Some(slug) = path.strip_prefix("id/") {
        (vocab::ID_NAMESPACE, slug)
    } else if let Some(slug) = path.strip_prefix("report/") {
        (vocab::REPORT_NAMESPACE, slug)
    } else {
        (vocab::ID_NAMESPACE, path)
    };
    super::params::Slug::parse(slug).map(|_| format!("{namespace}{slug}"))
}

/// The id of an IRI of this service's identifier space.
fn id_of(iri: &str) -> Option<&str> {
    iri.strip_prefix(IDENTIFIER_SPACE)
}

/// The class IRI of a type id: a class name of the ontology, or a full IRI.
fn class_of(id: &str) -> Option<String> {
    if id.contains("://") {
        return NamedNode::new(id).ok().map(NamedNode::into_string);
    }
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| format!("{}{id}", vocab::ONTOLOGY_NAMESPACE))
}

/// The type id of a class IRI.
fn type_id(class: &str) -> &str {
    class
        .strip_prefix(vocab::ONTOLOGY_NAMESPACE)
        .unwrap_or(class)
}

/// A batch of queries from its JSON, every query checked against the schema of the API
/// (`reconciliation-query-batch.json`) and this server's limits. The error names the
/// query and the field at fault.
fn parse_batch(text: &str) -> Result<Vec<(String, Query)>, ApiError> {
    let bad = |message: String| ApiError::BadRequest(format!("/reconcile: queries: {message}"));
    let value: Value = serde_json::from_str(text).map_err(|error| {
        bad(format!(
            "not JSON ({error}); send an object of queries: {{\"q0\": {{\"query\": \"NSO\"}}}}"
        ))
    })?;
    let Value::Object(queries) = value else {
        return Err(bad(
            "send an object of queries by key, not a list or a value: {\"q0\": {\"query\": \"NSO\"}}".into(),
        ));
    };
    if queries.len() > MAX_QUERIES {
        return Err(bad(format!(
            "{} queries in one batch; send at most {MAX_QUERIES} at a time",
            queries.len()
        )));
    }
    queries
        .into_iter()
        .map(|(key, query)| {
            parse_query(&query)
                .map(|query| (key.clone(), query))
                .map_err(|message| bad(format!("`{key}`: {message}")))
        })
        .collect()
}

fn parse_query(value: &Value) -> Result<Query, String> {
    let Value::Object(fields) = value else {
        return Err("a query is an object: {\"query\": \"NSO\"}".into());
    };
    let mut query = Query {
        text: String::new(),
        types: Vec::new(),
        strict: Strictness::Any,
        limit: DEFAULT_CANDIDATES,
        constraints: Vec::new(),
    };
    let mut has_text = false;
    for (name, field) in fields {
        match name.as_str() {
            "query" => {
                let Value::String(text) = field else {
                    return Err("`query` is the name to match, a string".into());
                };
                let length = text.chars().count();
                if length > MAX_QUERY_CHARS {
                    return Err(format!(
                        "`query` is {length} characters long; match at most {MAX_QUERY_CHARS} (a name, not a document)"
                    ));
                }
                query.text.clone_from(text);
                has_text = true;
            }
            "type" => {
                let ids: Vec<&str> = match field {
                    Value::String(id) => vec![id.as_str()],
                    Value::Array(ids) => ids
                        .iter()
                        .map(|id| id.as_str().ok_or("`type` lists type ids, strings"))
                        .collect::<Result<_, _>>()?,
                    _ => return Err("`type` is a type id (\"Vendor\") or a list of them".into()),
                };
                if ids.len() > MAX_TYPES {
                    return Err(format!(
                        "{} types given; name at most {MAX_TYPES}",
                        ids.len()
                    ));
                }
                query.types = ids
                    .into_iter()
                    .map(|id| {
                        class_of(id).ok_or_else(|| {
                            format!("`{id}` is no type id; use a class name such as Vendor, or a class IRI")
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "type_strict" => {
                query.strict = match field.as_str() {
                    Some("any") => Strictness::Any,
                    Some("all") => Strictness::All,
                    Some("should") => Strictness::Should,
                    _ => return Err("`type_strict` is one of \"any\", \"all\", \"should\"".into()),
                };
            }
            "limit" => {
                let limit = field
                    .as_f64()
                    .filter(|limit| limit.is_finite() && *limit >= 0.0)
                    .ok_or("`limit` is a number of candidates, 0 or more")?;
                // As many as asked, up to the most one query may have.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let limit = limit.min(MAX_CANDIDATES as f64) as usize;
                query.limit = limit;
            }
            "properties" => {
                let Value::Array(items) = field else {
                    return Err("`properties` is a list of {\"pid\": ..., \"v\": ...}".into());
                };
                if items.len() > MAX_CONSTRAINTS {
                    return Err(format!(
                        "{} properties given; name at most {MAX_CONSTRAINTS}",
                        items.len()
                    ));
                }
                query.constraints = items
                    .iter()
                    .map(parse_constraint)
                    .collect::<Result<_, _>>()?;
            }
            other => {
                return Err(format!(
                    "unknown field `{other}`; a query has query, type, type_strict, limit and properties"
                ));
            }
        }
    }
    if !has_text && query.constraints.is_empty() {
        return Err("give a `query` (the name to match), or at least one property".into());
    }
    Ok(query)
}

fn parse_constraint(item: &Value) -> Result<Constraint, String> {
    let Value::Object(fields) = item else {
        return Err("each of `properties` is {\"pid\": ..., \"v\": ...}".into());
    };
    if let Some(other) = fields
        .keys()
        .find(|key| !["pid", "v"].contains(&key.as_str()))
    {
        return Err(format!(
            "unknown field `{other}` in `properties`; each has pid and v"
        ));
    }
    let pid = fields
        .get("pid")
        .and_then(Value::as_str)
        .ok_or("each of `properties` needs `pid`, a property id such as \"country\"")?;
    let property = PropertyPath::parse(pid).ok_or_else(|| {
        format!("`{pid}` is no property id; use a property name such as developedBy, ^developedBy, or an IRI")
    })?;
    let values = match fields.get("v") {
        Some(Value::Array(values)) => values.iter().collect(),
        Some(value) => vec![value],
        None => return Err(format!("property `{pid}` needs `v`, the value(s) to match")),
    };
    if values.len() > MAX_VALUES {
        return Err(format!(
            "{} values for `{pid}`; give at most {MAX_VALUES}",
            values.len()
        ));
    }
    let mut constraint = Constraint {
        pid: pid.to_owned(),
        property,
        entities: Vec::new(),
        texts: Vec::new(),
    };
    for value in values {
        match value {
            Value::String(text) => constraint.texts.push(fold(text)),
            Value::Number(number) => constraint.texts.push(number.to_string()),
            Value::Bool(flag) => constraint.texts.push(flag.to_string()),
            Value::Object(entity) => {
                let id = entity
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("an entity value of `{pid}` needs `id`"))?;
                match iri_of_id(id) {
                    Some(iri) => constraint.entities.push(iri),
                    None => constraint.texts.push(fold(
                        entity.get("name").and_then(Value::as_str).unwrap_or(id),
                    )),
                }
            }
            _ => {
                return Err(format!(
                    "a value of `{pid}` is a string, a number, a boolean or {{\"id\": ...}}"
                ));
            }
        }
    }
    Ok(constraint)
}

/// A name with case, diacritics, spaces and punctuation left out: "Whats App" and
/// "WhatsApp" compare equal.
fn compact(name: &str) -> String {
    fold(name).replace(' ', "")
}

/// How well a name matches the text, 0 to 100: 100 when both are the same once folded and
/// compacted; a name that starts with the text scores by how much of it the text covers
/// (60 to 95); otherwise by edit distance (up to 90).
fn name_score(text: &str, name: &str) -> f64 {
    let (text, name) = (compact(text), compact(name));
    if text.is_empty() || name.is_empty() {
        return 0.0;
    }
    if text == name {
        return 100.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let (length, longest) = (
        text.chars().count() as f64,
        text.chars().count().max(name.chars().count()) as f64,
    );
    if name.starts_with(&text) {
        return 60.0 + 35.0 * length / longest;
    }
    #[allow(clippy::cast_precision_loss)]
    let similarity = 1.0 - crate::ingest::pipeline::edit_distance(&text, &name) as f64 / longest;
    (90.0 * similarity).max(0.0)
}

/// One candidate of a query: an entity and how it scored.
struct Candidate {
    hit: Hit,
    name: f64,
    /// Whether the text is the name's first words, whole ("Paragon" of "Paragon
    /// Solutions").
    words: bool,
    /// Per constraint, whether the entity has one of its values.
    properties: Vec<bool>,
    typed: bool,
}

impl Candidate {
    /// The score: the name's, lowered by each property that does not hold, and by a type
    /// that is only wished for (`should`) and missing.
    fn score(&self) -> f64 {
        let mut score = self.name;
        if !self.properties.is_empty() {
            #[allow(clippy::cast_precision_loss)]
            let held = self.properties.iter().filter(|held| **held).count() as f64;
            #[allow(clippy::cast_precision_loss)]
            let all = self.properties.len() as f64;
            score = (score + 100.0 * held) / (1.0 + all);
        }
        if !self.typed {
            score *= 0.8;
        }
        (score * 10.0).round() / 10.0
    }
}

/// The answers to a batch, in the API's result batch form.
fn reconcile(
    graph: &Graph,
    search: &crate::search::Live,
    batch: &[(String, Query)],
) -> Result<Value, ApiError> {
    let mut answers = Map::new();
    for (key, query) in batch {
        let mut candidates = candidates(graph, search, query)?;
        candidates.sort_by(|a, b| {
            b.score()
                .total_cmp(&a.score())
                .then_with(|| a.hit.label.cmp(&b.hit.label))
                .then_with(|| a.hit.iri.cmp(&b.hit.iri))
        });
        // Whether one entity alone is a candidate, however few were asked for.
        let alone = candidates.len() == 1;
        candidates.truncate(query.limit);
        // Sure enough to match without a person looking: of the type asked, every
        // property held, and the name the entity's own (a label or alias, once folded),
        // with no other candidate as sure; or the only candidate, its name starting with
        // the text's whole words ("Paragon") or off by a letter at the end ("whatsap").
        let sure = |candidate: &Candidate| {
            candidate.typed
                && candidate.properties.iter().all(|held| *held)
                && (candidate.name >= 100.0
                    || (alone && (candidate.words || candidate.name >= 85.0)))
        };
        let sure_ones = candidates
            .iter()
            .filter(|candidate| sure(candidate))
            .count();
        let types = search.read(|index| {
            candidates
                .iter()
                .flat_map(|candidate| candidate.hit.types.clone())
                .collect::<HashSet<String>>()
                .into_iter()
                .map(|class| {
                    let name = index
                        .describe(&class)
                        .map(|(labels, _)| label_in(Some(&labels), Lang::En, &class))
                        .unwrap_or_else(|| type_id(&class).to_owned());
                    (class, name)
                })
                .collect::<HashMap<_, _>>()
        });
        let result: Vec<Value> = candidates
            .iter()
            .filter_map(|candidate| {
                let id = id_of(&candidate.hit.iri)?;
                let mut features = vec![json!({ "id": "name", "value": candidate.name })];
                for (constraint, held) in query.constraints.iter().zip(&candidate.properties) {
                    features.push(
                        json!({ "id": format!("property:{}", constraint.pid), "value": held }),
                    );
                }
                let mut entry = json!({
                    "id": id,
                    "name": candidate.hit.label,
                    "score": candidate.score(),
                    "match": sure_ones == 1 && sure(candidate),
                    "features": features,
                    "type": candidate.hit.types.iter().map(|class| json!({
                        "id": type_id(class),
                        "name": types.get(class).cloned().unwrap_or_default(),
                    })).collect::<Vec<_>>(),
                });
                if fold(&candidate.hit.matched) != fold(&candidate.hit.label) {
                    entry["description"] = json!(format!("also named “{}”", candidate.hit.matched));
                }
                Some(entry)
            })
            .collect();
        answers.insert(key.clone(), json!({ "result": result }));
    }
    Ok(Value::Object(answers))
}

/// The entities a query may mean, before ranking: those whose names match its text (as
/// search matches, and compacted), or, for a query without text, those holding the
/// values of its properties.
fn candidates(
    graph: &Graph,
    search: &crate::search::Live,
    query: &Query,
) -> Result<Vec<Candidate>, ApiError> {
    let mut hits: Vec<Hit> = Vec::new();
    if query.text.trim().is_empty() {
        hits = holders(graph, search, &query.constraints)?;
    } else {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let texts = [query.text.clone(), compact(&query.text)];
        for text in texts.iter().filter(|text| !text.is_empty()) {
            for hit in search.read(|index| index.search(text, &[], "en", SEARCHED)) {
                match seen.get(&hit.iri) {
                    Some(&at) => {
                        if name_score(&query.text, &hit.matched)
                            > name_score(&query.text, &hits[at].matched)
                        {
                            hits[at] = hit;
                        }
                    }
                    None => {
                        seen.insert(hit.iri.clone(), hits.len());
                        hits.push(hit);
                    }
                }
            }
        }
    }
    // Reports are not reconciled: they have no kind a column of names is made of.
    hits.retain(|hit| hit.iri.starts_with(vocab::ID_NAMESPACE));
    let mut candidates: Vec<Candidate> = hits
        .into_iter()
        .filter_map(|hit| {
            let has = |class: &String| hit.types.contains(class);
            let typed = query.types.is_empty()
                || match query.strict {
                    Strictness::Any | Strictness::Should => query.types.iter().any(has),
                    Strictness::All => query.types.iter().all(has),
                };
            if !typed && query.strict != Strictness::Should {
                return None;
            }
            let name = if query.text.trim().is_empty() {
                0.0
            } else {
                (name_score(&query.text, &hit.matched) * 10.0).round() / 10.0
            };
            let words = {
                let (text, name) = (fold(&query.text), fold(&hit.matched));
                !text.is_empty() && (name == text || name.starts_with(&format!("{text} ")))
            };
            Some(Candidate {
                hit,
                name,
                words,
                properties: Vec::new(),
                typed,
            })
        })
        .collect();
    if !query.constraints.is_empty() && !candidates.is_empty() {
        // The properties are read for the best candidates by name only: a constraint
        // ranks among them, it does not bring in others.
        candidates.sort_by(|a, b| b.name.total_cmp(&a.name));
        candidates.truncate(MAX_CANDIDATES);
        let iris: Vec<&str> = candidates.iter().map(|c| c.hit.iri.as_str()).collect();
        let values = property_values(graph, &iris, &query.constraints)?;
        for candidate in &mut candidates {
            candidate.properties = query
                .constraints
                .iter()
                .map(|constraint| {
                    values
                        .get(&(candidate.hit.iri.clone(), constraint.property.clone()))
                        .is_some_and(|held| {
                            held.iter().any(|(iri, names)| {
                                constraint.entities.contains(iri)
                                    || names.iter().any(|name| constraint.texts.contains(name))
                            })
                        })
                })
                .collect();
        }
    }
    Ok(candidates)
}

/// The values each entity has for each property: (entity, property) → (value IRI or
/// literal text, the value's folded names and text).
type Values = HashMap<(String, PropertyPath), Vec<(String, Vec<String>)>>;

/// Reads the values of some properties of some entities, with the names of the values.
fn property_values(
    graph: &Graph,
    entities: &[&str],
    constraints: &[Constraint],
) -> Result<Values, ApiError> {
    let mut values: Values = HashMap::new();
    let subjects: String = entities.iter().map(|iri| format!("<{iri}> ")).collect();
    let properties: HashSet<&PropertyPath> = constraints.iter().map(|c| &c.property).collect();
    for property in properties {
        let pattern = if property.inverse {
            format!("?value <{}> ?entity", property.iri)
        } else {
            format!("?entity <{}> ?value", property.iri)
        };
        let query = format!(
            "SELECT DISTINCT ?entity ?value ?name WHERE {{ VALUES ?entity {{ {subjects} }} \
             GRAPH ?g {{ {pattern} }} OPTIONAL {{ GRAPH ?h {{ ?value <{label}>|<{alias}> ?name }} }} }} \
             LIMIT 10000",
            label = vocab::read::RDFS_LABEL,
            alias = vocab::read::SKOS_ALT_LABEL,
        );
        let mut named: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for row in graph.select(&query)? {
            let (Some(Term::NamedNode(entity)), Some(value)) =
                (row.get("entity"), row.get("value"))
            else {
                continue;
            };
            let (key, text) = match value {
                Term::NamedNode(node) => (node.as_str().to_owned(), None),
                Term::Literal(literal) => (literal.value().to_owned(), Some(fold(literal.value()))),
                _ => continue,
            };
            let names = named.entry((entity.as_str().to_owned(), key)).or_default();
            names.extend(text);
            if let Some(Term::Literal(name)) = row.get("name") {
                names.push(fold(name.value()));
            }
        }
        for ((entity, value), names) in named {
            values
                .entry((entity, property.clone()))
                .or_default()
                .push((value, names));
        }
    }
    Ok(values)
}

/// For a query without a name: the entities holding one of the entity values of its
/// first property with such values.
fn holders(
    graph: &Graph,
    search: &crate::search::Live,
    constraints: &[Constraint],
) -> Result<Vec<Hit>, ApiError> {
    let Some(constraint) = constraints.iter().find(|c| !c.entities.is_empty()) else {
        return Ok(Vec::new());
    };
    let objects: String = constraint
        .entities
        .iter()
        .map(|iri| format!("<{iri}> "))
        .collect();
    let pattern = if constraint.property.inverse {
        format!("?value <{}> ?entity", constraint.property.iri)
    } else {
        format!("?entity <{}> ?value", constraint.property.iri)
    };
    let query = format!(
        "SELECT DISTINCT ?entity WHERE {{ VALUES ?value {{ {objects} }} GRAPH ?g {{ {pattern} }} FILTER(isIRI(?entity)) }} LIMIT {MAX_CANDIDATES}"
    );
    let iris: Vec<String> = graph
        .select(&query)?
        .into_iter()
        .filter_map(|row| match row.get("entity") {
            Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
            _ => None,
        })
        .collect();
    let described = search.describe_all(&iris)?;
    Ok(iris
        .into_iter()
        .filter_map(|iri| {
            let (labels, types) = described.get(&iri)?;
            let label = label_in(Some(labels), Lang::En, &iri);
            Some(Hit {
                slug: iri.rsplit('/').next().unwrap_or_default().to_owned(),
                matched: label.clone(),
                language: None,
                how: Match::Exact,
                types: types.clone(),
                label,
                iri,
            })
        })
        .collect())
}

/// A data extension query, checked (`data-extension-query.json`).
struct Extension {
    ids: Vec<(String, Option<String>)>,
    properties: Vec<(String, Extended)>,
}

/// What an extension property gives for each entity.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Extended {
    /// The values.
    Values(PropertyPath),
    /// Each (value, report): the status that report gives the relationship.
    Status(PropertyPath),
    /// Each report stating the relationship.
    Source(PropertyPath),
}

fn parse_extension(text: &str) -> Result<Extension, ApiError> {
    let bad = |message: String| ApiError::BadRequest(format!("/reconcile: extend: {message}"));
    let value: Value = serde_json::from_str(text).map_err(|error| {
        bad(format!(
            "not JSON ({error}); send {{\"ids\": [\"id/whatsapp\"], \"properties\": [{{\"id\": \"operatedBy\"}}]}}"
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(bad("send an object with ids and properties".into()));
    };
    if let Some(other) = fields
        .keys()
        .find(|key| !["ids", "properties"].contains(&key.as_str()))
    {
        return Err(bad(format!(
            "unknown field `{other}`; send ids and properties"
        )));
    }
    let Some(Value::Array(ids)) = fields.get("ids") else {
        return Err(bad("`ids` is a list of entity ids".into()));
    };
    let Some(Value::Array(properties)) = fields.get("properties") else {
        return Err(bad("`properties` is a list of {\"id\": ...}".into()));
    };
    if ids.len() > MAX_EXTEND_IDS {
        return Err(bad(format!(
            "{} ids in one query; send at most {MAX_EXTEND_IDS} at a time",
            ids.len()
        )));
    }
    if properties.len() > MAX_EXTEND_PROPERTIES {
        return Err(bad(format!(
            "{} properties in one query; ask for at most {MAX_EXTEND_PROPERTIES}",
            properties.len()
        )));
    }
    let ids = ids
        .iter()
        .map(|id| {
            let id = id
                .as_str()
                .ok_or_else(|| bad("each of `ids` is a string".into()))?;
            Ok((id.to_owned(), iri_of_id(id)))
        })
        .collect::<Result<_, ApiError>>()?;
    let properties = properties
        .iter()
        .map(|property| {
            let id = property
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("each of `properties` needs `id`, a property id".into()))?;
            let extended = extended(id).ok_or_else(|| {
                bad(format!(
                    "`{id}` is no property id; /reconcile/properties lists them (developedBy, developedBy@status, ^developedBy...)"
                ))
            })?;
            Ok((id.to_owned(), extended))
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Extension { ids, properties })
}

/// An extension property by id: `P`, `P@status`, `P@source` (P possibly `^name`).
fn extended(id: &str) -> Option<Extended> {
    if let Some(path) = id.strip_suffix("@status") {
        return PropertyPath::parse(path).map(Extended::Status);
    }
    if let Some(path) = id.strip_suffix("@source") {
        return PropertyPath::parse(path).map(Extended::Source);
    }
    PropertyPath::parse(id).map(Extended::Values)
}

/// The rows of an extension: per entity and property, the values, each relationship's
/// status with its report, or the reports.
fn extend_rows(
    graph: &Graph,
    search: &crate::search::Live,
    query: &Extension,
) -> Result<Value, ApiError> {
    let vocabulary = Vocabulary::read(graph)?;
    let meta: Vec<Value> = query
        .properties
        .iter()
        .map(|(id, extended)| {
            let (path, suffix) = match extended {
                Extended::Values(path) => (path, ""),
                Extended::Status(path) => (path, ": status"),
                Extended::Source(path) => (path, ": source"),
            };
            json!({ "id": id, "name": format!("{}{suffix}", vocabulary.property_name(path)) })
        })
        .collect();
    let mut rows = Map::new();
    for (id, iri) in &query.ids {
        let mut row = Map::new();
        let found = match iri {
            Some(iri) => neighbourhood(graph, search, &NamedNode::new_unchecked(iri.clone()))?,
            None => None,
        };
        for (property_id, extended) in &query.properties {
            let cells = match &found {
                Some(found) => cells(found, extended),
                None => Vec::new(),
            };
            row.insert(property_id.clone(), Value::Array(cells));
        }
        rows.insert(id.clone(), Value::Object(row));
    }
    Ok(json!({ "meta": meta, "rows": rows }))
}

/// The cells of one entity for one extension property.
fn cells(found: &crate::views::entity::Neighbourhood, extended: &Extended) -> Vec<Value> {
    let path = match extended {
        Extended::Values(path) | Extended::Status(path) | Extended::Source(path) => path,
    };
    let name_of = |iri: &str| label_in(found.context.labels.get(iri), Lang::En, iri);
    let report_name = |iri: &str| {
        found.sources.get(iri).map_or_else(
            || name_of(iri),
            |source| label_in(Some(&source.label), Lang::En, iri),
        )
    };
    let mut cells: Vec<Value> = Vec::new();
    let mut seen: HashSet<Value> = HashSet::new();
    let mut push = |cell: Value| {
        if seen.insert(cell.clone()) {
            cells.push(cell);
        }
    };
    for statement in &found.statements {
        if statement.property != path.iri || statement.outgoing == path.inverse {
            continue;
        }
        let relationship = statement.relationship(&found.iri);
        let asserted = relationship
            .as_ref()
            .and_then(|relationship| found.asserted.get(relationship));
        let statuses: Vec<String> = asserted
            .map(|claims| {
                claims
                    .iter()
                    .map(|claim| {
                        legend::status(&claim.status).map_or_else(
                            || type_id(&claim.status).to_owned(),
                            |status| status.name(Lang::En).to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let report = statement.graph.as_deref();
        let value = match &statement.other {
            Term::NamedNode(node) => match id_of(node.as_str()) {
                Some(id) => json!({ "id": id, "name": name_of(node.as_str()) }),
                None => json!({ "str": node.as_str() }),
            },
            Term::Literal(literal) => literal_cell(literal),
            _ => continue,
        };
        let value_text = match &statement.other {
            Term::NamedNode(node) => name_of(node.as_str()),
            Term::Literal(literal) => literal.value().to_owned(),
            _ => continue,
        };
        match extended {
            Extended::Values(_) => push(value),
            Extended::Status(_) => {
                let Some(report) = report else { continue };
                if statuses.is_empty() {
                    push(
                        json!({ "str": format!("{value_text}: stated, no status ({})", report_name(report)) }),
                    );
                }
                for status in &statuses {
                    push(
                        json!({ "str": format!("{value_text}: {status} ({})", report_name(report)) }),
                    );
                }
            }
            Extended::Source(_) => {
                let Some(report) = report else { continue };
                match id_of(report) {
                    Some(id) => push(json!({ "id": id, "name": report_name(report) })),
                    None => push(json!({ "str": report })),
                }
            }
        }
    }
    cells
}

/// A literal as an extension cell: integers and decimals as numbers, the rest as text.
fn literal_cell(literal: &oxigraph::model::Literal) -> Value {
    use oxigraph::model::vocab::xsd;
    let datatype = literal.datatype();
    if datatype == xsd::INTEGER
        && let Ok(number) = literal.value().parse::<i64>()
    {
        return json!({ "int": number });
    }
    if [xsd::DECIMAL, xsd::DOUBLE, xsd::FLOAT].contains(&datatype)
        && let Ok(number) = literal.value().parse::<f64>()
        && number.is_finite()
    {
        return json!({ "float": number });
    }
    json!({ "str": literal.value() })
}

/// The classes and properties of the ontology, with their English names, descriptions,
/// domains and ranges, as the store holds them (in the ontology's graph: what a class is
/// said to be elsewhere does not change the vocabulary offered).
struct Vocabulary {
    classes: Vec<OntologyTerm>,
    properties: Vec<OntologyTerm>,
}

/// A class or property of the ontology.
#[derive(Debug, Clone)]
struct OntologyTerm {
    iri: String,
    name: String,
    description: Option<String>,
    domain: Vec<String>,
    range: Vec<String>,
    object: bool,
}

impl Vocabulary {
    fn read(graph: &Graph) -> Result<Self, ApiError> {
        let mut terms: BTreeMap<String, (String, OntologyTerm)> = BTreeMap::new();
        for row in crate::lookups::ONTOLOGY_TERMS.rows(graph, &[], MAX_ONTOLOGY_ROWS)? {
            let (Some(Term::NamedNode(term)), Some(Term::NamedNode(kind))) =
                (row.get("term"), row.get("kind"))
            else {
                continue;
            };
            let text = |name: &str| match row.get(name) {
                Some(Term::Literal(literal)) => Some(literal.value().to_owned()),
                _ => None,
            };
            let iri = |name: &str| match row.get(name) {
                Some(Term::NamedNode(node)) => Some(node.as_str().to_owned()),
                _ => None,
            };
            let entry = terms.entry(term.as_str().to_owned()).or_insert_with(|| {
                (
                    kind.as_str().to_owned(),
                    OntologyTerm {
                        iri: term.as_str().to_owned(),
                        name: type_id(term.as_str()).to_owned(),
                        description: None,
                        domain: Vec::new(),
                        range: Vec::new(),
                        object: kind.as_str().ends_with("ObjectProperty"),
                    },
                )
            });
            if let Some(label) = text("label") {
                entry.1.name = label;
            }
            if let Some(comment) = text("comment") {
                entry.1.description = Some(comment);
            }
            for (field, list) in [
                ("domain", &mut entry.1.domain),
                ("range", &mut entry.1.range),
            ] {
                if let Some(class) = iri(field)
                    && !list.contains(&class)
                {
                    list.push(class);
                }
            }
        }
        let (classes, properties) = terms
            .into_values()
            .partition::<Vec<_>, _>(|(kind, _)| kind.ends_with("#Class"));
        Ok(Self {
            classes: classes.into_iter().map(|(_, term)| term).collect(),
            properties: properties.into_iter().map(|(_, term)| term).collect(),
        })
    }

    /// The English name of a property path: `developed by`, or `← developed by` read
    /// backwards.
    fn property_name(&self, path: &PropertyPath) -> String {
        let name = self
            .properties
            .iter()
            .find(|term| term.iri == path.iri)
            .map_or_else(|| path.id(), |term| term.name.clone());
        if path.inverse {
            format!("← {name}")
        } else {
            name
        }
    }

    /// The extension properties for entities of a class (every one without a class):
    /// the properties whose domain is the class or none, and those whose range is the
    /// class read backwards; each relationship also with `@status` and `@source`.
    fn proposals(&self, class: Option<&str>) -> Vec<Value> {
        let fits =
            |classes: &[String]| class.is_none_or(|class| classes.iter().any(|c| c == class));
        let mut proposals = Vec::new();
        for term in &self.properties {
            let mut paths = Vec::new();
            if term.domain.is_empty() || fits(&term.domain) {
                paths.push(PropertyPath {
                    iri: term.iri.clone(),
                    inverse: false,
                });
            }
            if term.object && class.is_some() && !term.range.is_empty() && fits(&term.range) {
                paths.push(PropertyPath {
                    iri: term.iri.clone(),
                    inverse: true,
                });
            }
            for path in paths {
                let name = self.property_name(&path);
                let mut proposal = json!({ "id": path.id(), "name": name });
                if let Some(description) = &term.description {
                    proposal["description"] = json!(description);
                }
                proposals.push(proposal);
                if term.object {
                    proposals.push(json!({
                        "id": format!("{}@status", path.id()),
                        "name": format!("{name}: status"),
                        "description": "each value with the status its report gives it, and that report",
                    }));
                    proposals.push(json!({
                        "id": format!("{}@source", path.id()),
                        "name": format!("{name}: source"),
                        "description": "the reports that state it",
                    }));
                }
            }
        }
        proposals
    }
}

/// The query string of a suggest service.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far.
    #[param(required = true)]
    prefix: Option<String>,
    /// How many suggestions to skip (for the next page).
    #[param(value_type = Option<u32>)]
    cursor: Option<usize>,
    /// Entities only: a type id to narrow the suggestions to.
    #[serde(rename = "type")]
    class: Option<String>,
}

impl SuggestParams {
    fn check(&self) -> Result<(String, usize), ApiError> {
        let prefix = self.prefix.clone().unwrap_or_default();
        let length = prefix.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(ApiError::BadRequest(format!(
                "`prefix` is {length} characters long; give at most {MAX_QUERY_CHARS}"
            )));
        }
        let cursor = self.cursor.unwrap_or(0);
        if cursor > MAX_CURSOR {
            return Err(ApiError::BadRequest(format!(
                "`cursor` {cursor} is past the last page; suggestions go up to {MAX_CURSOR}"
            )));
        }
        Ok((prefix, cursor))
    }
}

/// `GET /reconcile/suggest/entity`: entities whose names start with (or nearly match) the
/// prefix.
#[utoipa::path(
    get,
    path = "/reconcile/suggest/entity",
    tag = "reconciliation",
    summary = "Entities by name as people type (Suggest API)",
    params(SuggestParams),
    responses(
        (status = 200, description = "suggestions", content_type = "application/json"),
        (status = 400, description = "a prefix too long, a cursor too far, or an unknown type"),
    )
)]
pub async fn suggest_entity(
    State(state): State<AppState>,
    Params(params): Params<SuggestParams>,
) -> Result<Response, ApiError> {
    let (prefix, cursor) = params.check()?;
    let types = match params.class.as_deref() {
        None | Some("") => Vec::new(),
        Some(id) => vec![class_of(id).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`type`: `{id}` is no type id; use a class name such as Vendor"
            ))
        })?],
    };
    let search = state.search.clone();
    let hits = blocking(&state, move || {
        if prefix.trim().is_empty() {
            return Vec::new();
        }
        search.read(|index| index.search(&prefix, &types, "en", cursor + MAX_SUGGESTIONS))
    })
    .await?;
    let result: Vec<Value> = hits
        .into_iter()
        .skip(cursor)
        .filter_map(|hit| {
            let id = id_of(&hit.iri)?;
            let mut entry = json!({
                "id": id,
                "name": hit.label,
                "notable": hit.types.iter().map(|class| json!({ "id": type_id(class), "name": type_id(class) })).collect::<Vec<_>>(),
            });
            if fold(&hit.matched) != fold(&hit.label) {
                entry["description"] = json!(format!("also named “{}”", hit.matched));
            }
            Some(entry)
        })
        .collect();
    Ok(json_answer(&json!({ "result": result })))
}

/// Terms of the vocabulary whose name or id holds the prefix, those starting with it
/// first.
fn suggest_terms(terms: &[OntologyTerm], prefix: &str, cursor: usize) -> Vec<Value> {
    let wanted = fold(prefix);
    let mut found: Vec<(bool, &OntologyTerm)> = terms
        .iter()
        .filter_map(|term| {
            let name = fold(&term.name);
            let id = fold(type_id(&term.iri));
            let starts = name.starts_with(&wanted) || id.starts_with(&wanted);
            (starts || name.contains(&wanted) || id.contains(&wanted)).then_some((!starts, term))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    found
        .into_iter()
        .skip(cursor)
        .take(MAX_SUGGESTIONS)
        .map(|(_, term)| {
            let mut entry = json!({ "id": type_id(&term.iri), "name": term.name });
            if let Some(description) = &term.description {
                entry["description"] = json!(description);
            }
            entry
        })
        .collect()
}

/// `GET /reconcile/suggest/type`: classes of the ontology by name.
#[utoipa::path(
    get,
    path = "/reconcile/suggest/type",
    tag = "reconciliation",
    summary = "Types (classes of the ontology) by name (Suggest API)",
    params(SuggestParams),
    responses((status = 200, description = "suggestions", content_type = "application/json"))
)]
pub async fn suggest_type(
    State(state): State<AppState>,
    Params(params): Params<SuggestParams>,
) -> Result<Response, ApiError> {
    suggest_vocabulary(&state, &params, |vocabulary| &vocabulary.classes).await
}

/// `GET /reconcile/suggest/property`: properties of the ontology by name.
#[utoipa::path(
    get,
    path = "/reconcile/suggest/property",
    tag = "reconciliation",
    summary = "Properties of the ontology by name (Suggest API)",
    params(SuggestParams),
    responses((status = 200, description = "suggestions", content_type = "application/json"))
)]
pub async fn suggest_property(
    State(state): State<AppState>,
    Params(params): Params<SuggestParams>,
) -> Result<Response, ApiError> {
    suggest_vocabulary(&state, &params, |vocabulary| &vocabulary.properties).await
}

/// Suggestions among the classes or the properties of the ontology, as `terms` picks.
async fn suggest_vocabulary(
    state: &AppState,
    params: &SuggestParams,
    terms: fn(&Vocabulary) -> &Vec<OntologyTerm>,
) -> Result<Response, ApiError> {
    let (prefix, cursor) = params.check()?;
    let graph = state.graph.clone();
    let vocabulary = blocking(state, move || Vocabulary::read(&graph)).await??;
    let result = suggest_terms(terms(&vocabulary), &prefix, cursor);
    Ok(json_answer(&json!({ "result": result })))
}

/// The query string of `/reconcile/properties`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProposeParams {
    /// The type of the entities to extend (`Vendor`); every property without it.
    #[serde(rename = "type")]
    class: Option<String>,
    /// At most this many properties.
    #[param(value_type = Option<u32>)]
    limit: Option<usize>,
}

/// `GET /reconcile/properties`: what a data extension may ask for, for a type.
#[utoipa::path(
    get,
    path = "/reconcile/properties",
    tag = "reconciliation",
    summary = "The properties a data extension may fetch for entities of a type",
    params(ProposeParams),
    responses(
        (status = 200, description = "the properties", content_type = "application/json"),
        (status = 400, description = "an unknown type"),
    )
)]
pub async fn propose_properties(
    State(state): State<AppState>,
    Params(params): Params<ProposeParams>,
) -> Result<Response, ApiError> {
    let class = match params.class.as_deref() {
        None | Some("") => None,
        Some(id) => Some(class_of(id).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`type`: `{id}` is no type id; use a class name such as Vendor"
            ))
        })?),
    };
    let graph = state.graph.clone();
    let vocabulary = blocking(&state, move || Vocabulary::read(&graph)).await??;
    if let Some(class) = &class
        && !vocabulary.classes.iter().any(|term| &term.iri == class)
    {
        return Err(ApiError::BadRequest(format!(
            "`type`: `{}` is no class of the ontology; /reconcile/suggest/type?prefix= lists them",
            type_id(class)
        )));
    }
    let mut properties = vocabulary.proposals(class.as_deref());
    if let Some(limit) = params.limit {
        properties.truncate(limit);
    }
    let mut body = json!({ "properties": properties });
    if let Some(class) = &class {
        body["type"] = json!(type_id(class));
    }
    if let Some(limit) = params.limit {
        body["limit"] = json!(limit);
    }
    Ok(json_answer(&body))
}

/// The query string of `/reconcile/preview`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// The entity's id (`id/whatsapp`).
    #[param(required = true)]
    id: Option<String>,
}

/// `GET /reconcile/preview`: a card of the entity for OpenRefine's pop-up: its name, its
/// kinds, its labels in other languages that differ, and a link to its page.
#[utoipa::path(
    get,
    path = "/reconcile/preview",
    tag = "reconciliation",
    summary = "A small HTML card of an entity (Preview API)",
    params(PreviewParams),
    responses(
        (status = 200, description = "the card", content_type = "text/html"),
        (status = 400, description = "no id, or a malformed one"),
        (status = 404, description = "no such entity"),
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    Params(params): Params<PreviewParams>,
) -> Result<Response, ApiError> {
    let id = params.id.unwrap_or_default();
    let iri = iri_of_id(&id).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`id`: `{id}` is no entity id; give one as reconciliation answers them (id/whatsapp)"
        ))
    })?;
    let search = state.search.clone();
    let lookup = vec![iri.clone()];
    let described = blocking(&state, move || search.describe_all(&lookup)).await??;
    let Some((labels, types)) = described.get(&iri) else {
        return Err(ApiError::NotFound(format!("no entity has the id `{id}`")));
    };
    let name = label_in(Some(labels), Lang::En, &iri);
    let kinds: Vec<&str> = types.iter().map(|class| type_id(class)).collect();
    let mut others: Vec<&str> = labels
        .iter()
        .map(|(_, text)| text.as_str())
        .filter(|text| *text != name)
        .collect();
    others.sort_unstable();
    others.dedup();
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title>\
         <style>body{{font:14px/1.4 system-ui,sans-serif;margin:8px;color:#1a1a1a}}\
         h1{{font-size:16px;margin:0 0 4px}}p{{margin:0 0 4px}}.kind{{color:#555}}</style></head>\
         <body><h1>{name}</h1><p class=\"kind\">{kinds}</p>",
        name = escape(&name),
        kinds = escape(&kinds.join(", ")),
    );
    if !others.is_empty() {
        html.push_str(&format!(
            "<p>Also: {}</p>",
            escape(&others.into_iter().take(8).collect::<Vec<_>>().join(" · "))
        ));
    }
    html.push_str(&format!(
        "<p><a href=\"/{}\" target=\"_blank\" rel=\"noopener\">Open in spyatlas</a></p></body></html>\n",
        escape(id_of(&iri).unwrap_or_default())
    ));
    // OpenRefine shows the card in a frame of its own page, on another origin.
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *",
        ),
    );
    Ok(response)
}
