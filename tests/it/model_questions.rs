//! The model beyond the seed report, end to end: the fixture reports of
//! `tests/fixtures/model/` load (in order, as a folder), and the named queries over the
//! new relations give the exact answers of `tests/fixtures/model-expected.json`.
//!
//! With `SPYATLAS_BLESS=1` the test writes the answers it got to that file instead of
//! comparing: review the difference before committing it.

use crate::named_queries::{answer, case_params};
use spyatlas::ingest::Loader;
use spyatlas::queries::Queries;
use std::path::PathBuf;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model");

/// The bundled data and the fixture reports, loaded as one folder.
pub fn store_with_fixture() -> crate::stores::TestGraph {
    let graph = crate::stores::TestGraph::bundled();
    let mut loader = Loader::new(&graph, false).unwrap();
    let results = loader.load_paths(&[PathBuf::from(FIXTURE)]);
    assert_eq!(results.len(), 3, "three fixture reports");
    for result in &results {
        assert!(
            result.outcome.is_ok(),
            "{}: {}",
            result.origin,
            match &result.outcome {
                Err(error) => error.to_string(),
                Ok(_) => String::new(),
            }
        );
    }
    graph
}

#[test]
fn the_new_questions_give_their_exact_answers_on_the_fixture() {
    let graph = store_with_fixture();
    let queries = Queries::parse().unwrap();
    let path = format!("{FIXTURE}-expected.json");
    let mut expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("expected.json exists"))
            .expect("expected.json is JSON");
    let bless = std::env::var_os("SPYATLAS_BLESS").is_some();
    let cases = expected
        .as_object_mut()
        .expect("an object keyed by query name");
    assert!(
        cases.len() >= 10,
        "at least ten questions over the new relations"
    );
    for (name, cases) in cases.iter_mut() {
        for case in cases.as_array_mut().expect("a list of cases") {
            let params = case_params(case);
            let query = queries
                .iter()
                .find(|query| query.name == *name)
                .unwrap_or_else(|| panic!("no named query {name}"));
            let rows = answer(&graph, query, &params);
            if bless {
                case["rows"] = serde_json::json!(rows);
                continue;
            }
            let wanted: Vec<Vec<String>> = serde_json::from_value(case["rows"].clone())
                .unwrap_or_else(|error| panic!("{name}: rows: {error}"));
            assert!(
                !wanted.is_empty(),
                "{name} {params:?}: a case with an answer"
            );
            assert_eq!(rows, wanted, "{name} with {params:?}");
        }
    }
    if bless {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&expected).unwrap() + "\n",
        )
        .unwrap();
    }
}

#[tokio::test]
async fn pages_show_the_new_relations_with_each_reports_status() {
    use crate::support::{TOKEN, TestApp};
    use spyatlas::config::HttpSettings;
    let app = TestApp::new(
        store_with_fixture(),
        HttpSettings::with_token(TOKEN, std::time::Duration::from_secs(30)),
    );
    // No status shown anywhere that its report does not give, on every page.
    let checked = crate::statuses::check_every_surface(&app).await;
    assert!(checked > 100, "{checked} statuses checked");

    // "Developed by": attributed by the lab, denied in the news article, side by side.
    let product = app.get("/id/example-implant", Some("text/html")).await;
    let developed: Vec<&str> = product
        .body
        .split("<li ")
        .filter(|item| {
            item.contains("data-property=\"https://w3id.org/spyatlas/ontology#developedBy\"")
        })
        .collect();
    assert_eq!(developed.len(), 2, "one line per report: {}", product.body);
    let joined = developed.join("\n");
    assert!(
        joined.contains(">attributed</span>") && joined.contains(">denied</span>"),
        "{joined}"
    );
    assert!(
        joined.contains("/report/example-lab-report") && joined.contains("/report/example-news")
    );

    // A claim's own values, readable, with their report.
    let acquisition = app.get("/id/example-acquisition", Some("text/html")).await;
    assert!(
        acquisition.body.contains("<h2 id=\"details\">Details</h2>"),
        "{}",
        acquisition.body
    );
    assert!(
        acquisition.body.contains("<dd>500000000"),
        "{}",
        acquisition.body
    );
    assert!(acquisition.body.contains("<dd>USD"), "{}", acquisition.body);
    // The qualifier by name, as a concept.
    assert!(
        acquisition.body.contains(">approximately</span>"),
        "{}",
        acquisition.body
    );
}
