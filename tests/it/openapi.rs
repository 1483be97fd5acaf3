//! `/openapi.json` describes every route the server answers, and only those.

use crate::support::{TOKEN, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_each_one_answers() {
    let app = TestApp::with_bundled_data();
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let document: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    // And every described route answers (it is mounted): a sample request to each, with
    // the path parameters filled in, never meets the router's 404 for unknown paths.
    let sample = |path: &str| {
        path.replace("{slug}", "luca-casarini")
            .replace("{name}", "entity_statements")
            .replace("{listing}", "people")
            .replace("{path}", "nothing")
    };
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let mut uri = sample(path);
            if path == "/report/{slug}" || path == "/api/reports/{slug}" {
                uri = uri.replace(
                    "luca-casarini",
                    "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
                );
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            if method != Method::GET && method != Method::HEAD {
                continue;
            }
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let answer = app.send(request).await;
            assert!(
                answer.status != StatusCode::NOT_FOUND
                    || answer.body.contains("no graph")
                    || uri.starts_with("/store/"),
                "{method} {uri} is described but not served: {} {}",
                answer.status,
                answer.body
            );
            assert_ne!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
        }
        // Every operation says what it answers.
        for operation in item.as_object().unwrap().values() {
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{path}"
            );
            assert!(
                !operation["responses"].as_object().unwrap().is_empty(),
                "{path}"
            );
        }
    }
    // Every route the server mounts is described: the document is made from the same
    // list of handlers as the router.
    let described: std::collections::BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let served = [
        "/",
        "/{listing}",
        "/health",
        "/sparql",
        "/sparql/",
        "/store",
        "/store/{path}",
        "/context.jsonld",
        "/assets/sparql-editor.js",
        "/assets/yasgui/yasgui.min.js",
        "/assets/yasgui/yasgui.min.css",
        "/assets/suggest.js",
        "/assets/spyatlas.css",
        "/api/reports",
        "/api/reports/{slug}",
        "/id/{slug}",
        "/report/{slug}",
        "/api/search",
        "/api/statistics",
        "/search",
        "/api/path",
        "/path",
        "/api/queries",
        "/api/queries/{name}",
        "/queries/{name}",
        "/reconcile",
        "/reconcile/suggest/entity",
        "/reconcile/suggest/type",
        "/reconcile/suggest/property",
        "/reconcile/properties",
        "/reconcile/preview",
        "/api/export",
        "/api/admin/backup",
        "/metrics",
        "/openapi.json",
    ];
    assert_eq!(described, served.into_iter().collect());
    // Parameters are described with their types, and bounded ones with their bounds.
    let limit = document["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|param| param["name"] == "limit")
        .expect("limit is described");
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["maximum"], 200);
    // What the limits answer is on every route that does work, and not on the others.
    assert!(document["paths"]["/api/path"]["get"]["responses"]["503"].is_object());
    assert!(document["paths"]["/openapi.json"]["get"]["responses"]["503"].is_null());
    // /health answers 503 only for a remote store that does not answer, and says so.
    assert!(
        document["paths"]["/health"]["get"]["responses"]["503"]["description"]
            .as_str()
            .is_some_and(|description| description.contains("remote SPARQL store")),
        "{}",
        document["paths"]["/health"]
    );
    assert!(document["paths"]["/api/reports"]["post"]["responses"]["413"].is_object());
    // Each operation has an id of its own, and only writes take a body.
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(
                ids.insert(id),
                "{method} {path}: a second operation with its id"
            );
            if !matches!(method.as_str(), "put" | "post") {
                assert!(operation["requestBody"].is_null(), "{method} {path}");
            }
        }
    }
    assert!(document["paths"]["/store"]["put"]["requestBody"].is_object());
}

/// Checks `value` against an OpenAPI 3.1 schema object: `$ref` (into the document's
/// components), `type` (one or a list, `null` among them), `enum`, `properties`,
/// `required`, `additionalProperties` (false or a schema), `items` and `oneOf`: what the
/// generated schemas use. Answers the first mismatch, with its JSON path.
fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("{at}: unsupported $ref {reference}"))?;
        let target = &document["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: $ref to a missing schema {name}"));
        }
        return check(document, target, value, at);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|choice| check(document, choice, value, at).is_ok())
            .count();
        return if matching == 1 {
            Ok(())
        } else {
            Err(format!(
                "{at}: matches {matching} of the oneOf schemas, not 1"
            ))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if value.is_null() {
        return if types.contains(&"null") {
            Ok(())
        } else {
            Err(format!("{at}: null, but null is not allowed"))
        };
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let kind_matches = types.is_empty()
        || types.iter().any(|kind| match *kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => false,
        });
    if !kind_matches {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let Some(object) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: no `{name}`"));
            }
        }
        for (name, member) in object {
            let here = format!("{at}.{name}");
            match (&schema["properties"][name], &schema["additionalProperties"]) {
                (Value::Null, Value::Bool(false)) => {
                    return Err(format!("{here}: not in the schema"));
                }
                (Value::Null, Value::Object(_)) => {
                    check(document, &schema["additionalProperties"], member, &here)?;
                }
                (Value::Null, _) => {}
                (property, _) => check(document, property, member, &here)?,
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (index, item) in items.iter().enumerate() {
            check(document, &schema["items"], item, &format!("{at}[{index}]"))?;
        }
    }
    Ok(())
}

/// The schema the document gives for the JSON answer of `method path`.
fn answer_schema<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let responses = &document["paths"][path][method]["responses"];
    responses
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is described"))
        .iter()
        .find_map(|(status, response)| {
            let schema = &response["content"]["application/json"]["schema"];
            (status.starts_with('2') && !schema.is_null()).then_some(schema)
        })
        .unwrap_or_else(|| panic!("{method} {path} describes its JSON answer"))
}

/// Reports that break the shapes, in two graphs of one N-Quads body: the load answers
/// with a list.
const TWO_BAD_REPORTS: &str = "\
<https://w3id.org/spyatlas/report/one> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/spyatlas/ontology#Report> <https://w3id.org/spyatlas/report/one> .
<https://w3id.org/spyatlas/report/two> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/spyatlas/ontology#Report> <https://w3id.org/spyatlas/report/two> .
";

#[tokio::test]
async fn every_json_answer_matches_its_schema_in_the_openapi_document() {
    let app = TestApp::with_bundled_data();
    let document: Value = serde_json::from_str(&app.get("/openapi.json", None).await.body).unwrap();
    let seed = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";
    let gets = [
        ("/api/search", "/api/search?q=paragon".to_owned()),
        ("/api/statistics", "/api/statistics".to_owned()),
        (
            "/api/statistics",
            "/api/statistics?limit=1&lang=it".to_owned(),
        ),
        (
            "/api/search",
            "/api/search?q=nothing-of-the-kind".to_owned(),
        ),
        (
            "/api/path",
            "/api/path?from=luca-casarini&to=paragon-solutions".to_owned(),
        ),
        (
            "/api/path",
            "/api/path?from=luca-casarini&to=belgium&max=1".to_owned(),
        ),
        ("/api/reports", "/api/reports".to_owned()),
        ("/api/reports/{slug}", format!("/api/reports/{seed}")),
        ("/api/queries", "/api/queries".to_owned()),
        ("/id/{slug}", "/id/luca-casarini?format=json".to_owned()),
        ("/report/{slug}", format!("/report/{seed}?format=json")),
        (
            "/api/queries/{name}",
            "/api/queries/attribution_of_incidents".to_owned(),
        ),
    ];
    let mut covered = std::collections::BTreeSet::new();
    for (path, uri) in gets {
        let response = app.get(&uri, Some("application/json")).await;
        assert_eq!(response.status, StatusCode::OK, "{uri}: {}", response.body);
        let answer: Value = serde_json::from_str(&response.body).unwrap();
        let schema = answer_schema(&document, path, "get");
        if let Err(mismatch) = check(&document, schema, &answer, "$") {
            panic!("GET {uri}: {mismatch}\n{answer:#}");
        }
        covered.insert(format!("get {path}"));
    }
    let schema = answer_schema(&document, "/api/reports", "post");
    for (content_type, body, status) in [
        ("application/yaml", "kind: news-article\nid: x\n", 422),
        ("application/yaml", "kind: [unclosed\n", 400),
        ("application/n-quads", TWO_BAD_REPORTS, 422),
    ] {
        let response = app
            .post(
                "/api/reports?dry-run=true",
                Some(content_type),
                Some(TOKEN),
                body,
            )
            .await;
        assert_eq!(response.status.as_u16(), status, "{}", response.body);
        let answer: Value = serde_json::from_str(&response.body).unwrap();
        if let Err(mismatch) = check(&document, schema, &answer, "$") {
            panic!("POST {body:?}: {mismatch}\n{answer:#}");
        }
    }
    covered.insert("post /api/reports".to_owned());
    // A backup, on a store of its own on disk.
    let folder = tempfile::tempdir().unwrap();
    let graph = spyatlas::store::Graph::open(&folder.path().join("store")).unwrap();
    spyatlas::ingest::seed::seed_if_empty(&graph).unwrap();
    let mut settings =
        spyatlas::config::HttpSettings::with_token(TOKEN, std::time::Duration::from_secs(30));
    settings.backup_dir = Some(folder.path().join("backups"));
    let on_disk = TestApp::new(graph, settings);
    let response = on_disk
        .post(
            "/api/admin/backup",
            Some("application/json"),
            Some(TOKEN),
            "",
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let answer: Value = serde_json::from_str(&response.body).unwrap();
    let schema = answer_schema(&document, "/api/admin/backup", "post");
    if let Err(mismatch) = check(&document, schema, &answer, "$") {
        panic!("POST /api/admin/backup: {mismatch}\n{answer:#}");
    }
    covered.insert("post /api/admin/backup".to_owned());
    // Every operation that describes a JSON answer was checked against it.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let described = operation["responses"]
                .as_object()
                .unwrap()
                .values()
                .any(|response| !response["content"]["application/json"]["schema"].is_null());
            if described {
                assert!(
                    covered.contains(&format!("{method} {path}")),
                    "{method} {path} has a schema but no answer was checked against it"
                );
            }
        }
    }
}

#[test]
fn the_schema_check_refuses_what_the_schemas_do_not_allow() {
    let document: Value = serde_json::to_value(spyatlas::http::openapi::document()).unwrap();
    let schema = json!({ "$ref": "#/components/schemas/SearchHit" });
    let hit = json!({
        "iri": "https://w3id.org/spyatlas/id/x", "slug": "x", "label": "X", "matched": "X",
        "language": null, "match": "exact", "types": [], "url": "/id/x",
    });
    assert_eq!(check(&document, &schema, &hit, "$"), Ok(()));
    let mut extra = hit.clone();
    extra["score"] = json!(1);
    assert!(check(&document, &schema, &extra, "$").is_err());
    let mut missing = hit.clone();
    missing.as_object_mut().unwrap().remove("slug");
    assert!(check(&document, &schema, &missing, "$").is_err());
    let mut wrong = hit.clone();
    wrong["match"] = json!("approximate");
    assert!(check(&document, &schema, &wrong, "$").is_err());
    let mut null = hit;
    null["label"] = Value::Null;
    assert!(check(&document, &schema, &null, "$").is_err());
}
