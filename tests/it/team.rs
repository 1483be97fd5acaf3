//! Running spyatlas for a team, on the real binary: named accounts from a tokens file with
//! their roles (read again on SIGHUP), a private server, the audit log of every write with
//! the request's id, JSON logs, and backups taken while the server loads reports.
//!
//! Backups are RocksDB checkpoints of the embedded store, so these tests always use one,
//! whatever store the rest of the suite runs on.

use super::http_client::{self, HttpResponse};
use super::support::Spawned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn spyatlas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spyatlas"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("spyatlas runs")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Makes an account with `spyatlas token` and answers its token.
fn account(file: &Path, name: &str, role: &str) -> String {
    let token = succeeded(&spyatlas(&[
        "token",
        name,
        "--role",
        role,
        "--file",
        path(file),
    ]));
    token.trim().to_owned()
}

/// `spyatlas serve` on the store in `data`, with `args`.
fn serve(data: &Path, args: &[&str]) -> Spawned {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spyatlas"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data", path(data)])
        .args(args);
    Spawned::start(command)
}

fn send(
    server: &Spawned,
    method: &str,
    target: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> HttpResponse {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![
        ("content-type", content_type),
        ("accept", "application/json"),
    ];
    if let Some(authorization) = &authorization {
        headers.push(("authorization", authorization));
    }
    http_client::send(&server.base, method, target, &headers, body.as_bytes())
}

/// A report of its own naming a new agency as a customer of Paragon (`revision` changes
/// its content).
fn report(n: usize, revision: usize) -> String {
    format!(
        r#"id: report:team-report-{n}
kind: news-article
title: {{en: "Team report {n}"}}
label: {{en: "Team report {n}", nl: "Teamrapport {n}", it: "Rapporto di squadra {n}"}}
publisher: reuters
issued: 2025-03
language: en
url: https://example.org/team-report-{n}/{revision}
entities:
  - id: team-agency-{n}
    type: Agency
    label: {{en: "Team Agency {n}", nl: "Team-agentschap {n}", it: "Agenzia di squadra {n}"}}
    customerOf: paragon-solutions
claims:
  - id: team-agency-{n}-as-a-customer-of-paragon
    type: CustomerRelationship
    label: {{en: "Team Agency {n} as a customer of Paragon", nl: "Team-agentschap {n} als klant van Paragon", it: "Agenzia di squadra {n} come cliente di Paragon"}}
    customer: team-agency-{n}
    vendor: paragon-solutions
    status: alleged
"#
    )
}

fn load(server: &Spawned, token: Option<&str>, n: usize, revision: usize) -> HttpResponse {
    send(
        server,
        "POST",
        "/api/reports",
        token,
        "application/yaml",
        &report(n, revision),
    )
}

/// The lines of the audit log.
fn audit(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// Waits until `check` holds (at most 20 s).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn accounts_do_what_their_roles_allow_and_every_write_is_recorded_with_who_and_what() {
    let folder = tempfile::tempdir().unwrap();
    let tokens = folder.path().join("tokens");
    let reader = account(&tokens, "reader", "read");
    let alice = account(&tokens, "alice", "write");
    let bob = account(&tokens, "bob", "write");
    let ops = account(&tokens, "ops", "admin");
    let file = std::fs::read_to_string(&tokens).unwrap();
    for token in [&reader, &alice, &bob, &ops] {
        assert_eq!(token.len(), 64);
        assert!(!file.contains(token.as_str()), "the file holds hashes only");
    }
    // A second account of the same name is refused, the file unchanged.
    let again = spyatlas(&["token", "alice", "--role", "admin", "--file", path(&tokens)]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"));
    assert_eq!(std::fs::read_to_string(&tokens).unwrap(), file);

    let data = folder.path().join("store");
    let server = serve(&data, &["--tokens-file", path(&tokens)]);
    // No token is on the command line, where every user of the machine could read it.
    let command_line = std::fs::read(format!("/proc/{}/cmdline", server.child.id())).unwrap();
    let command_line = String::from_utf8_lossy(&command_line);
    for token in [&reader, &alice, &bob, &ops] {
        assert!(!command_line.contains(token.as_str()));
    }

    let anonymous = load(&server, None, 1, 1);
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert!(
        anonymous.text().contains("the write role"),
        "{}",
        anonymous.text()
    );
    assert!(
        anonymous
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let unknown = load(&server, Some("not-a-token"), 1, 1);
    assert_eq!(unknown.status, 401);
    assert!(
        unknown.text().contains("not one of this server's"),
        "{}",
        unknown.text()
    );
    let read_only = load(&server, Some(&reader), 1, 1);
    assert_eq!(read_only.status, 403, "{}", read_only.text());
    assert!(
        read_only.text().contains("`reader` has the read role")
            && read_only.text().contains("needs the write role"),
        "{}",
        read_only.text()
    );

    let loaded = load(&server, Some(&alice), 1, 1);
    assert_eq!(loaded.status, 201, "{}", loaded.text());
    let replaced = load(&server, Some(&bob), 1, 2);
    assert_eq!(replaced.status, 200, "{}", replaced.text());

    let update = "INSERT DATA { GRAPH <http://example.org/team> { <http://example.org/a> <http://example.org/b> \"c\" } }";
    let refused = send(
        &server,
        "POST",
        "/sparql",
        Some(&alice),
        "application/sparql-update",
        update,
    );
    assert_eq!(refused.status, 403);
    assert!(
        refused.text().contains("needs the admin role"),
        "{}",
        refused.text()
    );
    let updated = send(
        &server,
        "POST",
        "/sparql",
        Some(&ops),
        "application/sparql-update",
        update,
    );
    assert_eq!(updated.status, 204, "{}", updated.text());
    let graph = "/store?graph=http%3A%2F%2Fexample.org%2Fteam";
    let triple = "<http://example.org/a> <http://example.org/b> \"d\" .\n";
    let put = send(
        &server,
        "PUT",
        graph,
        Some(&alice),
        "application/n-triples",
        triple,
    );
    assert_eq!(put.status, 403);
    let put = send(
        &server,
        "PUT",
        graph,
        Some(&ops),
        "application/n-triples",
        triple,
    );
    assert!(matches!(put.status, 200 | 201 | 204), "{}", put.text());

    // Who loaded each revision.
    let answer = send(&server, "GET", "/api/reports/team-report-1", None, "", "");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(answer["loadedBy"], "bob");
    let revisions = answer["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "{answer:#}");
    assert_eq!(revisions[0]["revision"], 2);
    assert_eq!(revisions[0]["loadedBy"], "bob");
    assert_eq!(revisions[1]["revision"], 1);
    assert_eq!(revisions[1]["loadedBy"], "alice");
    assert_eq!(revisions[0]["contentHash"], answer["contentHash"]);
    // And as provenance in the store.
    let ask = "ASK { GRAPH ?g { <https://w3id.org/spyatlas/report/team-report-1/revision/1> <http://www.w3.org/ns/prov#wasAttributedTo> <https://w3id.org/spyatlas/account/alice> } }";
    let asked = send(
        &server,
        "POST",
        "/sparql",
        None,
        "application/sparql-query",
        ask,
    );
    assert!(asked.text().contains("true"), "{}", asked.text());

    let retracted = send(
        &server,
        "DELETE",
        "/api/reports/team-report-1",
        Some(&alice),
        "",
        "",
    );
    assert_eq!(retracted.status, 204, "{}", retracted.text());

    let lines = audit(&data.join("audit.jsonl"));
    let summary: Vec<(String, String, String, u64)> = lines
        .iter()
        .map(|line| {
            (
                line["account"].as_str().unwrap_or("-").to_owned(),
                line["action"].as_str().unwrap().to_owned(),
                line["outcome"].as_str().unwrap().to_owned(),
                line["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("-", "refused", "refused", 401),
        ("-", "refused", "refused", 401),
        ("reader", "refused", "refused", 403),
        ("alice", "report.load", "loaded", 201),
        ("bob", "report.load", "replaced", 200),
        ("alice", "refused", "refused", 403),
        ("ops", "sparql.update", "done", 204),
        ("alice", "refused", "refused", 403),
        ("ops", "graph-store.put", "done", put.status.into()),
        ("alice", "report.retract", "retracted", 204),
    ]
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d));
    assert_eq!(summary, expected, "{lines:#?}");
    // Each line names the request the answer named, its route, and the report's hash.
    assert_eq!(
        lines[3]["request"].as_str(),
        loaded.header("x-request-id"),
        "{:#?}",
        lines[3]
    );
    assert_eq!(lines[3]["route"], "/api/reports");
    assert_eq!(lines[3]["method"], "POST");
    assert_eq!(lines[3]["role"], "write");
    assert_eq!(lines[3]["report"], "team-report-1");
    assert_eq!(lines[3]["content_hash"], revisions[1]["contentHash"]);
    assert_eq!(lines[4]["content_hash"], revisions[0]["contentHash"]);
    assert_eq!(lines[9]["content_hash"], revisions[0]["contentHash"]);
    assert_eq!(lines[8]["target"], "<http://example.org/team>");
    let ids: BTreeSet<&str> = lines
        .iter()
        .map(|line| line["request"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), lines.len(), "one id per request");
}

#[test]
fn the_tokens_file_is_read_again_on_sighup_and_a_broken_one_changes_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let tokens = folder.path().join("tokens");
    let alice = account(&tokens, "alice", "write");
    let server = serve(
        &folder.path().join("store"),
        &["--tokens-file", path(&tokens)],
    );
    let carol = account(&tokens, "carol", "write");
    assert_eq!(load(&server, Some(&carol), 2, 1).status, 401);
    let hangup = |server: &Spawned| {
        let status = Command::new("kill")
            .args(["-HUP", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    hangup(&server);
    eventually("the tokens file is read again", || {
        server.log().contains("read the tokens file again")
    });
    assert_eq!(load(&server, Some(&carol), 2, 1).status, 201);
    assert_eq!(load(&server, Some(&alice), 3, 1).status, 201);

    std::fs::write(&tokens, "alice write s3cret\n").unwrap();
    hangup(&server);
    eventually("the broken file is reported", || {
        server.log().contains("the accounts stay as they were")
    });
    assert!(server.log().contains("line 1"), "{}", server.log());
    assert_eq!(load(&server, Some(&alice), 4, 1).status, 201);
    assert_eq!(load(&server, Some(&carol), 5, 1).status, 201);
    assert_eq!(load(&server, Some("s3cret"), 6, 1).status, 401);
}

#[test]
fn a_private_server_needs_a_token_to_read_and_asks_browsers_for_one() {
    let folder = tempfile::tempdir().unwrap();
    let tokens = folder.path().join("tokens");
    let reader = account(&tokens, "reader", "read");
    let server = serve(
        &folder.path().join("store"),
        &["--tokens-file", path(&tokens), "--private"],
    );
    for target in [
        "/",
        "/api/reports",
        "/id/paragon-solutions",
        "/sparql?query=ASK%7B%7D",
        "/metrics",
    ] {
        let anonymous = http_client::send(&server.base, "GET", target, &[], b"");
        assert_eq!(anonymous.status, 401, "{target}: {}", anonymous.text());
        assert!(
            anonymous.text().contains("the read role"),
            "{}",
            anonymous.text()
        );
        let challenges: Vec<&str> = anonymous
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, value)| value.as_str())
            .collect();
        assert!(
            challenges.iter().any(|c| c.starts_with("Basic")),
            "{challenges:?}"
        );
        let bearer = format!("Bearer {reader}");
        let read = http_client::send(
            &server.base,
            "GET",
            target,
            &[("authorization", &bearer)],
            b"",
        );
        assert_eq!(read.status, 200, "{target}: {}", read.text());
    }
    // A browser sends the account's name and token as Basic credentials.
    let basic = format!("Basic {}", base64(&format!("reader:{reader}")));
    let page = http_client::send(&server.base, "GET", "/", &[("authorization", &basic)], b"");
    assert_eq!(page.status, 200);
    let wrong = format!("Basic {}", base64(&format!("someone:{reader}")));
    let page = http_client::send(&server.base, "GET", "/", &[("authorization", &wrong)], b"");
    assert_eq!(page.status, 401);
    // What runs the server may still probe it.
    assert_eq!(
        http_client::send(&server.base, "GET", "/health", &[], b"").status,
        200
    );
    // Reading is not writing.
    assert_eq!(load(&server, Some(&reader), 7, 1).status, 403);
}

/// Standard base64, for Basic credentials.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |bits, (i, byte)| {
            bits | (u32::from(*byte) << (16 - 8 * i))
        });
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_command_line_token_still_works_with_a_warning_and_logs_can_be_json_with_request_ids() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("store");
    let server = serve(&data, &["--write-token", "t0ken", "--log-format", "json"]);
    let response = http_client::send(
        &server.base,
        "POST",
        "/api/reports",
        &[
            ("content-type", "application/yaml"),
            ("authorization", "Bearer t0ken"),
            ("x-request-id", "newsroom-42"),
        ],
        report(8, 1).as_bytes(),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.header("x-request-id"), Some("newsroom-42"));
    // An id that is not a plain word is replaced by one of the server's.
    let other = http_client::send(
        &server.base,
        "GET",
        "/health",
        &[("x-request-id", "not/a plain id")],
        b"",
    );
    let id = other.header("x-request-id").unwrap();
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );

    eventually("the write is logged", || {
        server.log().contains("newsroom-42")
    });
    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines.iter().any(|line| line["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("process list"))),
        "{log}"
    );
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|line| line["span"]["id"] == "newsroom-42")
        .collect();
    assert!(!of_request.is_empty(), "{log}");
    assert!(
        of_request
            .iter()
            .any(|line| line["fields"]["message"] == "write"),
        "{log}"
    );

    let audit = audit(&data.join("audit.jsonl"));
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["account"], "write-token");
    assert_eq!(audit[0]["role"], "admin");
    assert_eq!(audit[0]["request"], "newsroom-42");
}

/// The quads of each graph of an N-Quads dump, as lines.
fn graphs_of(dump: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut graphs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in dump.lines().filter(|line| !line.trim().is_empty()) {
        let graph = line
            .trim_end()
            .trim_end_matches('.')
            .trim_end()
            .rsplit_once(' ')
            .map(|(_, graph)| graph)
            .filter(|graph| graph.starts_with('<'))
            .unwrap_or("")
            .to_owned();
        graphs.entry(graph).or_default().insert(line.to_owned());
    }
    graphs
}

fn dump(data: &Path) -> String {
    succeeded(&spyatlas(&["dump", "--data", path(data)]))
}

const REPORTS: usize = 40;

#[test]
fn backups_and_dumps_taken_while_reports_load_hold_each_report_whole_or_not_at_all() {
    let folder = tempfile::tempdir().unwrap();
    let tokens = folder.path().join("tokens");
    let alice = account(&tokens, "alice", "write");
    let data = folder.path().join("store");
    let server = serve(&data, &["--tokens-file", path(&tokens)]);
    let base = server.base.clone();
    let token = alice.clone();
    let loading = std::thread::spawn(move || {
        for n in 0..REPORTS {
            let response = http_client::send(
                &base,
                "POST",
                "/api/reports",
                &[
                    ("content-type", "application/yaml"),
                    ("authorization", &format!("Bearer {token}")),
                ],
                report(100 + n, 1).as_bytes(),
            );
            assert_eq!(response.status, 201, "{}", response.text());
        }
    });
    let mut backups: Vec<PathBuf> = Vec::new();
    let mut dumps: Vec<String> = Vec::new();
    while !loading.is_finished() {
        let target = folder.path().join(format!("backup-{}", backups.len()));
        succeeded(&spyatlas(&["backup", "--data", path(&data), path(&target)]));
        backups.push(target);
        dumps.push(dump(&data));
    }
    loading.join().unwrap();

    // Idle now: the served store, a backup of it, the backup restored and the backup
    // opened as it is all dump alike.
    let last = folder.path().join("backup-idle");
    succeeded(&spyatlas(&["backup", "--data", path(&data), path(&last)]));
    let served = dump(&data);
    let restored = folder.path().join("restored");
    succeeded(&spyatlas(&[
        "restore",
        "--data",
        path(&restored),
        path(&last),
    ]));
    let sorted = |text: &str| text.lines().map(str::to_owned).collect::<BTreeSet<_>>();
    assert_eq!(sorted(&dump(&restored)), sorted(&served));
    assert_eq!(sorted(&dump(&last)), sorted(&served));
    let whole = graphs_of(&served);
    let report_graph = |n: usize| format!("<https://w3id.org/spyatlas/report/team-report-{n}>");
    for n in 100..100 + REPORTS {
        assert!(whole[&report_graph(n)].len() > 10);
    }

    // Every copy taken during the loads holds each report as it was loaded, or not at all.
    let mut partial = 0;
    for (index, backup) in backups.iter().enumerate() {
        let restored = folder.path().join(format!("restored-{index}"));
        succeeded(&spyatlas(&[
            "restore",
            "--data",
            path(&restored),
            path(backup),
        ]));
        for (what, text) in [("backup", dump(&restored)), ("dump", dumps[index].clone())] {
            let graphs = graphs_of(&text);
            let mut present = 0;
            for n in 100..100 + REPORTS {
                match graphs.get(&report_graph(n)) {
                    None => {}
                    Some(quads) => {
                        assert_eq!(
                            quads,
                            &whole[&report_graph(n)],
                            "{what} {index}, report {n}"
                        );
                        present += 1;
                    }
                }
            }
            if (1..REPORTS).contains(&present) {
                partial += 1;
            }
        }
    }
    assert!(partial > 0, "no copy was taken while the reports loaded");

    // Restoring over a store, or from what is not a backup, is refused.
    let over = spyatlas(&["restore", "--data", path(&restored), path(&last)]);
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("not empty"));
    let nothing = spyatlas(&[
        "restore",
        "--data",
        path(&folder.path().join("new")),
        path(&tokens),
    ]);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("not a backup"));
    let exists = spyatlas(&["backup", "--data", path(&data), path(&last)]);
    assert!(String::from_utf8_lossy(&exists.stderr).contains("exists already"));
    // The server recorded each backup the command line asked for.
    let lines = audit(&data.join("audit.jsonl"));
    let taken = lines
        .iter()
        .filter(|line| line["action"] == "backup" && line["account"] == "local")
        .count();
    assert_eq!(
        taken,
        2 * backups.len() + 2,
        "a backup for each backup and each dump"
    );
}

#[test]
fn backups_over_http_go_into_the_backup_folder_for_admins_only() {
    let folder = tempfile::tempdir().unwrap();
    let tokens = folder.path().join("tokens");
    let alice = account(&tokens, "alice", "write");
    let ops = account(&tokens, "ops", "admin");
    let data = folder.path().join("store");
    let server = serve(&data, &["--tokens-file", path(&tokens)]);
    let backup = |token: &str, body: &str| {
        send(
            &server,
            "POST",
            "/api/admin/backup",
            Some(token),
            "application/json",
            body,
        )
    };
    let refused = backup(&alice, "");
    assert_eq!(refused.status, 403);
    assert!(
        refused.text().contains("needs the admin role"),
        "{}",
        refused.text()
    );
    let taken = backup(&ops, "");
    assert_eq!(taken.status, 201, "{}", taken.text());
    let answer: Value = serde_json::from_slice(&taken.body).unwrap();
    let first = PathBuf::from(answer["folder"].as_str().unwrap());
    assert!(first.starts_with(data.join("backups")), "{first:?}");
    assert!(first.join("CURRENT").exists());
    let named = backup(&ops, r#"{"name": "before-the-import"}"#);
    assert_eq!(named.status, 201, "{}", named.text());
    assert!(data.join("backups/before-the-import/CURRENT").exists());
    let twice = backup(&ops, r#"{"name": "before-the-import"}"#);
    assert_eq!(twice.status, 409, "{}", twice.text());
    for body in [
        r#"{"name": "../elsewhere"}"#,
        r#"{"name": ".hidden"}"#,
        r#"{"target": "/tmp/anywhere"}"#,
        r#"{"nmae": "typo"}"#,
        "not json",
    ] {
        let bad = backup(&ops, body);
        assert_eq!(bad.status, 400, "{body}: {}", bad.text());
    }
    assert!(!folder.path().join("elsewhere").exists());
    // The named backup opens as a store with the bundled data.
    drop(server);
    let restored = folder.path().join("restored");
    let output = spyatlas(&[
        "restore",
        "--data",
        path(&restored),
        path(&data.join("backups/before-the-import")),
    ]);
    succeeded(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("restored"));
    let lines = audit(&data.join("audit.jsonl"));
    let outcomes: Vec<(&str, u64)> = lines
        .iter()
        .map(|line| {
            (
                line["action"].as_str().unwrap(),
                line["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("refused", 403),
            ("backup", 201),
            ("backup", 201),
            ("backup", 409),
            ("backup", 400),
            ("backup", 400),
            ("backup", 400),
            ("backup", 400),
            ("backup", 400),
        ],
        "{lines:#?}"
    );
}

#[test]
fn the_command_lines_writes_are_recorded_in_the_stores_audit_log_with_who_ran_them() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("store");
    let log = data.join("audit.jsonl");
    let file = folder.path().join("team-report-7.yaml");
    std::fs::write(&file, report(7, 1)).unwrap();
    let load = || spyatlas(&["load", "--data", path(&data), path(&file)]);

    // An audit log that cannot be written to stops the write before it is made.
    let unwritable = spyatlas(&[
        "load",
        "--data",
        path(&data),
        "--audit-log",
        path(folder.path()),
        path(&file),
    ]);
    assert!(!unwritable.status.success());
    let message = String::from_utf8_lossy(&unwritable.stderr);
    assert!(
        message.contains("cannot open the audit log") && message.contains("--audit-log"),
        "{message}"
    );

    // Loaded (so the refused load wrote nothing), then unchanged; a dry run writes nothing.
    succeeded(&load());
    succeeded(&load());
    succeeded(&spyatlas(&[
        "load",
        "--data",
        path(&data),
        "--dry-run",
        path(&file),
    ]));
    let lines = audit(&log);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for (line, outcome) in lines.iter().zip(["loaded", "unchanged"]) {
        assert_eq!(line["command"], "load");
        assert_eq!(line["action"], "report.load");
        assert_eq!(line["report"], "team-report-7");
        assert_eq!(line["outcome"], outcome);
        // Who ran it: the system user, and no request or account of the server.
        #[cfg(target_os = "linux")]
        assert!(line["uid"].is_u64(), "{line}");
        if let Ok(user) = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
            assert_eq!(line["user"], user.as_str());
        }
        for absent in ["request", "account", "role", "method", "route", "status"] {
            assert!(line.get(absent).is_none(), "{absent} in {line}");
        }
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
    }
    let hash = lines[0]["content_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64, "{hash}");
    assert_eq!(lines[1]["content_hash"], hash.as_str());

    // An import is a load too.
    succeeded(&spyatlas(&[
        "import",
        "--data",
        path(&data),
        "misp-galaxy",
        "data/datasets/misp-galaxy/clusters-surveillance-vendor.json",
    ]));
    let lines = audit(&log);
    assert_eq!(lines[2]["command"], "import", "{lines:#?}");
    assert_eq!(lines[2]["report"], "misp-galaxy-surveillance-vendor");
    assert_eq!(lines[2]["outcome"], "unchanged");

    // One retracted with the hash it had, one that is not there; the command fails.
    let unload = spyatlas(&[
        "unload",
        "--data",
        path(&data),
        "team-report-7",
        "no-such-report",
    ]);
    assert!(!unload.status.success());
    let lines = audit(&log);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(lines[3]["command"], "unload");
    assert_eq!(lines[3]["action"], "report.retract");
    assert_eq!(lines[3]["report"], "team-report-7");
    assert_eq!(lines[3]["outcome"], "retracted");
    assert_eq!(lines[3]["content_hash"], hash.as_str());
    assert_eq!(lines[4]["report"], "no-such-report");
    assert_eq!(lines[4]["outcome"], "failed");

    // Plain RDF into a graph, recorded in a log named on the command line.
    let elsewhere = folder.path().join("logs/writes.jsonl");
    let triples = folder.path().join("extra.nt");
    std::fs::write(
        &triples,
        "<https://example.org/a> <https://example.org/b> \"c\" .\n",
    )
    .unwrap();
    succeeded(&spyatlas(&[
        "load",
        "--data",
        path(&data),
        "--audit-log",
        path(&elsewhere),
        "--graph",
        "https://example.org/extra",
        path(&triples),
    ]));
    let lines = audit(&elsewhere);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["action"], "graph.load");
    assert_eq!(lines[0]["target"], "https://example.org/extra");
    assert_eq!(lines[0]["outcome"], "done");
    assert_eq!(audit(&log).len(), 5);

    // A backup taken by the command itself, and the store made of it, which starts its
    // own log with where it came from.
    let target = folder.path().join("backup");
    succeeded(&spyatlas(&["backup", "--data", path(&data), path(&target)]));
    let lines = audit(&log);
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[5]["command"], "backup");
    assert_eq!(lines[5]["action"], "backup");
    assert_eq!(lines[5]["target"], path(&target));
    assert_eq!(lines[5]["outcome"], "done");
    let restored = folder.path().join("restored");
    succeeded(&spyatlas(&[
        "restore",
        "--data",
        path(&restored),
        path(&target),
    ]));
    let lines = audit(&restored.join("audit.jsonl"));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["command"], "restore");
    assert_eq!(lines[0]["target"], path(&target));
    // A log named on the command line that cannot be written stops a restore before it
    // makes the store.
    let refused = folder.path().join("not-restored");
    let unwritable = spyatlas(&[
        "restore",
        "--data",
        path(&refused),
        "--audit-log",
        path(folder.path()),
        path(&target),
    ]);
    assert!(!unwritable.status.success());
    let message = String::from_utf8_lossy(&unwritable.stderr);
    assert!(message.contains("--audit-log"), "{message}");
    assert!(!refused.exists(), "the restore wrote nothing");

    // An import that stops at a file it cannot read still records what the files before
    // it loaded.
    let broken = folder.path().join("broken.json");
    std::fs::write(&broken, "not json").unwrap();
    let import = spyatlas(&[
        "import",
        "--data",
        path(&data),
        "--audit-log",
        path(&elsewhere),
        "misp-galaxy",
        "data/datasets/misp-galaxy/clusters-surveillance-vendor.json",
        path(&broken),
    ]);
    assert!(!import.status.success());
    let lines = audit(&elsewhere);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[1]["command"], "import");
    assert_eq!(lines[1]["report"], "misp-galaxy-surveillance-vendor");
    assert_eq!(lines[1]["outcome"], "unchanged");
}
