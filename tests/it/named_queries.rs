//! The named queries of `queries/` give the answers recorded in `queries/expected.json`
//! on the bundled data, and take their parameters only as typed terms.

use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use spyatlas::queries::{ParamError, Queries};
use spyatlas::store::Graph;

fn cell(term: Option<&Term>) -> String {
    match term {
        None => String::new(),
        Some(Term::BlankNode(_)) => "_".to_owned(),
        Some(term) => term.to_string(),
    }
}

/// A case's parameters, as written in an expected-answers file.
pub(crate) fn case_params(case: &serde_json::Value) -> Vec<(String, String)> {
    case["params"]
        .as_object()
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The rows a named query answers with `params`, each cell as N-Triples text.
pub(crate) fn answer(
    graph: &Graph,
    query: &spyatlas::queries::NamedQuery,
    params: &[(String, String)],
) -> Vec<Vec<String>> {
    let prepared = query
        .bind(
            params
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", query.name));
    let QueryResults::Solutions(solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Union)
        .unwrap()
    else {
        panic!("{} is not a SELECT query", query.name);
    };
    let variables = solutions.variables().to_vec();
    solutions
        .map(|solution| {
            let solution = solution.unwrap();
            variables.iter().map(|v| cell(solution.get(v))).collect()
        })
        .collect()
}

#[test]
fn every_named_query_gives_its_expected_answer() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/queries/expected.json");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("queries/expected.json exists"))
            .expect("queries/expected.json is JSON");
    let expected = expected.as_object().expect("an object keyed by query name");
    let queries = Queries::parse().unwrap();
    let graph = crate::stores::TestGraph::bundled();
    assert!(queries.iter().count() >= 15, "at least 15 named questions");
    let mut checked = 0;
    for query in queries.iter() {
        let cases = expected
            .get(&query.name)
            .and_then(|cases| cases.as_array())
            .unwrap_or_else(|| panic!("queries/expected.json has no case for {}", query.name));
        assert!(!cases.is_empty(), "{} has no case", query.name);
        for case in cases {
            let params = case_params(case);
            let mut rows = answer(&graph, query, &params);
            let mut wanted: Vec<Vec<String>> = serde_json::from_value(case["rows"].clone())
                .unwrap_or_else(|e| panic!("{}: rows: {e}", query.name));
            let ordered = case["ordered"].as_bool().unwrap_or(false);
            if !ordered {
                rows.sort();
                wanted.sort();
            }
            if rows != wanted {
                // Whether the store gives the same wrong answer when asked again tells an
                // engine's slip (scripts/test runs such a test once more) from a wrong query.
                let mut again = answer(&graph, query, &params);
                if !ordered {
                    again.sort();
                }
                let again = if again == wanted {
                    "the expected rows".to_owned()
                } else if again == rows {
                    "the same rows".to_owned()
                } else {
                    format!("{again:?}")
                };
                panic!(
                    "{} with {params:?} on {:?}: {rows:?}, expected {wanted:?}; asked again, the store answered {again}",
                    query.name,
                    crate::stores::engine(),
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= queries.iter().count());
}

#[test]
fn a_parameter_cannot_inject_sparql() {
    let queries = Queries::parse().unwrap();
    let query = queries
        .iter()
        .find(|query| {
            query
                .params
                .iter()
                .any(|p| p.kind == spyatlas::queries::ParamKind::Iri)
        })
        .expect("a query with an IRI parameter");
    let param = query
        .params
        .iter()
        .find(|p| p.kind == spyatlas::queries::ParamKind::Iri)
        .unwrap();
    let error = query
        .bind([(param.name.as_str(), "x> } ; DROP ALL ; #")])
        .expect_err("refused");
    assert!(matches!(error, ParamError::Invalid { .. }), "{error}");
    let error = query.bind([("no_such_param", "x")]).expect_err("refused");
    assert!(matches!(error, ParamError::Unknown { .. }), "{error}");
}
