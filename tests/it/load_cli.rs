//! `spyatlas load` and `spyatlas unload` with reports: the summary, `--dry-run`, exit
//! codes, and a load killed with SIGKILL half-way, which must leave every report either
//! whole or absent.

use crate::stores::TestData;
use spyatlas::store::Graph;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use tempfile::TempDir;

const SA: &str = "https://w3id.org/spyatlas/ontology#";
const REPORT_NS: &str = "https://w3id.org/spyatlas/report/";

fn spyatlas(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spyatlas"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the binary runs")
}

/// The binary on the store under test.
fn spyatlas_on(data: &TestData, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spyatlas"))
        .args(args)
        .args(data.args())
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A valid report document: a person targeted in the seed's incident.
fn report(n: usize) -> String {
    format!(
        r#""@context": https://w3id.org/spyatlas/context.jsonld
id: report:cli-report-{n}
kind: news-article
label: {{en: "Report {n}", nl: "Rapport {n}", it: "Rapporto {n}"}}
title: {{en: "Report {n}"}}
publisher: the-guardian
issued: 2025-03-14
language: en
url: https://example.org/{n}
entities:
  - type: Person
    label: {{en: "Person {n}", nl: "Persoon {n}", it: "Persona {n}"}}
    role: journalist
    country: Italië
claims:
  - type: Targeting
    label: {{en: "Person {n} targeted", nl: "Persoon {n} geviseerd", it: "Persona {n} presa di mira"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: person {n}
    outcome: targeted
    status: reported
"#
    )
}

fn loaded_reports(data: &TestData) -> Vec<String> {
    let graph = data.open();
    let query = format!(
        "SELECT ?g WHERE {{ GRAPH ?g {{ ?g <{SA}contentHash> ?h }} FILTER(STRSTARTS(STR(?g), \"{REPORT_NS}cli-\")) }} ORDER BY ?g"
    );
    let prepared = Graph::parse(&query).unwrap();
    let oxigraph::sparql::QueryResults::Solutions(solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Stored)
        .unwrap()
    else {
        panic!("a SELECT query");
    };
    solutions
        .map(|solution| solution.unwrap().get("g").unwrap().to_string())
        .collect()
}

#[test]
fn a_folder_loads_with_a_summary_and_a_failing_report_makes_the_exit_code_non_zero() {
    let data = TestData::new();
    let folder = data.scratch().join("reports");
    std::fs::create_dir_all(folder.join("nested")).unwrap();
    std::fs::write(folder.join("a.yaml"), report(1)).unwrap();
    std::fs::write(folder.join("nested/b.yml"), report(2)).unwrap();
    std::fs::write(
        folder.join("c.yaml"),
        report(3).replace("    status: reported\n", ""),
    )
    .unwrap();
    std::fs::write(folder.join("notes.txt"), "not a report").unwrap();

    let load = spyatlas_on(&data, &["load", folder.to_str().unwrap()]);
    let out = text(&load.stdout);
    assert!(
        !load.status.success(),
        "a failed report fails the command: {out}"
    );
    assert!(
        text(&load.stderr).contains("1 report failed"),
        "{}{out}",
        text(&load.stderr)
    );
    for row in ["| loaded    | 2 ", "| unchanged | 0 ", "| failed    | 1 "] {
        assert!(out.contains(row), "{row} in {out}");
    }
    assert!(out.contains("FAILED ") && out.contains("c.yaml"), "{out}");
    assert!(
        out.contains("sa:status") && out.contains("line "),
        "the reason, with its line: {out}"
    );
    assert_eq!(
        loaded_reports(&data),
        [
            format!("<{REPORT_NS}cli-report-1>"),
            format!("<{REPORT_NS}cli-report-2>")
        ]
    );

    // Again, with the broken report fixed: two unchanged, one loaded.
    std::fs::write(folder.join("c.yaml"), report(3)).unwrap();
    let again = spyatlas_on(&data, &["load", folder.to_str().unwrap()]);
    let out = text(&again.stdout);
    assert!(again.status.success(), "{out}{}", text(&again.stderr));
    assert!(
        out.contains("| loaded    | 1 ") && out.contains("| unchanged | 2 "),
        "{out}"
    );

    // A changed report replaces its revision.
    std::fs::write(
        folder.join("a.yaml"),
        report(1).replace("journalist", "activist"),
    )
    .unwrap();
    let replaced = spyatlas_on(&data, &["load", folder.join("a.yaml").to_str().unwrap()]);
    assert!(
        text(&replaced.stdout).contains("| replaced  | 1 "),
        "{}",
        text(&replaced.stdout)
    );
}

#[test]
fn a_dry_run_writes_nothing_and_unload_retracts() {
    let data = TestData::new();
    let file = data.scratch().join("one.yaml");
    std::fs::write(&file, report(7)).unwrap();

    let dry = spyatlas_on(&data, &["load", "--dry-run", file.to_str().unwrap()]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains("| valid     | 1 "),
        "{}",
        text(&dry.stdout)
    );
    assert!(loaded_reports(&data).is_empty(), "a dry run writes nothing");

    let load = spyatlas_on(&data, &["load", file.to_str().unwrap()]);
    assert!(load.status.success(), "{}", text(&load.stdout));
    assert_eq!(loaded_reports(&data).len(), 1);

    let unload = spyatlas_on(&data, &["unload", "cli-report-7"]);
    assert!(unload.status.success(), "{}", text(&unload.stderr));
    assert!(text(&unload.stderr).contains("unloaded report cli-report-7"));
    assert!(loaded_reports(&data).is_empty());

    let missing = spyatlas_on(&data, &["unload", "cli-report-7"]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("no report is loaded with the slug cli-report-7"),
        "{}",
        text(&missing.stderr)
    );
}

/// Every report graph of the store is whole: its content has the triple count its
/// metadata records, and no report graph lacks that metadata.
fn assert_reports_whole(data: &Path) -> usize {
    let graph = Graph::open(data).expect("the store opens after a SIGKILL");
    let counts = format!(
        "SELECT ?g ?n (COUNT(*) AS ?c) WHERE {{
           GRAPH ?g {{ ?g <{SA}tripleCount> ?n . ?s ?p ?o
             FILTER(!(?s = ?g && ?p IN (<{SA}contentHash>, <{SA}loadedAt>, <{SA}revision>, <{SA}tripleCount>)))
             FILTER(!STRSTARTS(STR(?s), CONCAT(STR(?g), \"/revision/\"))) }}
         }} GROUP BY ?g ?n"
    );
    let prepared = Graph::parse(&counts).unwrap();
    let oxigraph::sparql::QueryResults::Solutions(solutions) = graph
        .query(prepared, spyatlas::store::Dataset::Stored)
        .unwrap()
    else {
        panic!("a SELECT query");
    };
    let mut whole = 0;
    for solution in solutions {
        let solution = solution.unwrap();
        let number = |name: &str| match solution.get(name) {
            Some(oxigraph::model::Term::Literal(literal)) => {
                literal.value().parse::<u64>().unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            number("n"),
            number("c"),
            "report {} is whole",
            solution.get("g").unwrap()
        );
        whole += 1;
    }
    let partial = format!(
        "ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), \"{REPORT_NS}\")) FILTER NOT EXISTS {{ GRAPH ?g {{ ?g <{SA}tripleCount> ?n }} }} }}"
    );
    let prepared = Graph::parse(&partial).unwrap();
    assert!(
        matches!(
            graph
                .query(prepared, spyatlas::store::Dataset::Stored)
                .unwrap(),
            oxigraph::sparql::QueryResults::Boolean(false)
        ),
        "no report graph without its metadata"
    );
    whole
}

/// The names of the files under `dir`, recursively (the store's folder).
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Kills `spyatlas load` at several moments; each time, every report is whole or absent.
#[test]
fn a_load_killed_with_sigkill_leaves_every_report_whole_or_absent() {
    let dir = TempDir::new().unwrap();
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    for n in 0..300 {
        std::fs::write(documents.join(format!("r{n:03}.yaml")), report(n)).unwrap();
    }
    // One N-Quads dump of many reports: the bulk path, written in one commit.
    let dump = dir.path().join("dump.nq");
    let mut nquads = String::new();
    for n in 0..400 {
        let g = format!("<{REPORT_NS}cli-bulk-{n}>");
        nquads.push_str(&format!(
            "{g} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SA}Report> {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Bulk {n}\"@en {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Massa {n}\"@nl {g} .\n\
             {g} <http://www.w3.org/2000/01/rdf-schema#label> \"Massa {n}\"@it {g} .\n\
             {g} <http://purl.org/dc/terms/publisher> <https://w3id.org/spyatlas/id/reuters> {g} .\n"
        ));
        for m in 0..200 {
            nquads.push_str(&format!(
                "{g} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://example.org/{n}/{m}> {g} .\n"
            ));
        }
    }
    std::fs::write(&dump, nquads).unwrap();

    let mut interrupted = 0;
    // A delay in milliseconds, or `None`: when the store's folder starts to change (the
    // bulk loader writing its files), which lands the kill inside the bulk write.
    for (round, (input, delay)) in [
        (&documents, Some(400)),
        (&documents, Some(1500)),
        (&documents, Some(3000)),
        (&dump, Some(500)),
        (&dump, None),
    ]
    .into_iter()
    .enumerate()
    {
        let data = dir.path().join(format!("store-{round}"));
        // A store with the bundled knowledge first, so that the kill lands in the load.
        assert!(
            spyatlas(&data, &["query", "ASK { ?s ?p ?o }"])
                .status
                .success()
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_spyatlas"))
            .args([
                "load",
                input.to_str().unwrap(),
                "--data",
                data.to_str().unwrap(),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary runs");
        match delay {
            Some(delay) => std::thread::sleep(Duration::from_millis(delay)),
            None => {
                let before = files_in(&data);
                let started = std::time::Instant::now();
                while files_in(&data) == before
                    && child.try_wait().unwrap().is_none()
                    && started.elapsed() < Duration::from_secs(120)
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        let running = child.try_wait().unwrap().is_none();
        if running {
            interrupted += 1;
            // SIGKILL, by the PID of the child this test started.
            child.kill().unwrap();
        }
        child.wait().unwrap();
        let whole = assert_reports_whole(&data);
        if !running {
            assert!(whole >= 300, "a load that finished wrote every report");
        }
    }
    assert!(
        interrupted >= 3,
        "at least half of the loads were killed mid-way ({interrupted})"
    );
}
