//! A full disk: the server on a small tmpfs of its own refuses writes with 507 once the
//! disk nears full, keeps every earlier write whole, and stops cleanly.
//!
//! The tmpfs is mounted in a user and mount namespace made for the server (`unshare`, from
//! util-linux), so the test needs no root where unprivileged namespaces are allowed; the
//! server still listens on the loopback interface the test can reach.

use super::http_client;
use super::support::Spawned;
use std::process::Command;
use tempfile::TempDir;

/// N-Triples of about `bytes` bytes, all different from those of another `batch`.
fn triples(batch: usize, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 200);
    let mut line = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "<http://example.com/s/{batch}/{line}> <http://example.com/p> \"{}\" .\n",
            format!("{batch}-{line}-").repeat(8)
        ));
        line += 1;
    }
    text
}

#[test]
fn a_full_disk_refuses_writes_with_507_and_keeps_the_store_whole() {
    let dir = TempDir::new().unwrap();
    let mount = dir.path().join("disk");
    std::fs::create_dir(&mount).unwrap();
    let script = r#"mount -t tmpfs -o size=96m tmpfs "$1" && exec "$2" serve --data "$1/store" --bind 127.0.0.1:0 --write-token t0ken --min-free-disk-mb 32"#;
    let mut command = Command::new("unshare");
    command
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(&mount)
        .arg(env!("CARGO_BIN_EXE_spyatlas"));
    let mut server = Spawned::start(command);
    let base = server.base.clone();

    let mut stored = Vec::new();
    let mut refused = 0;
    for batch in 0..200 {
        let response = http_client::send(
            &base,
            "PUT",
            &format!("/store?graph=http://example.com/g{batch}"),
            &[
                ("content-type", "application/n-triples"),
                ("authorization", "Bearer t0ken"),
            ],
            triples(batch, 1 << 20).as_bytes(),
        );
        match response.status {
            201 | 204 => stored.push(batch),
            507 => {
                assert!(
                    response.text().contains("--min-free-disk-mb"),
                    "{}",
                    response.text()
                );
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
            other => panic!("batch {batch}: {other} {}", response.text()),
        }
    }
    assert!(refused > 0, "the disk never filled");
    assert!(!stored.is_empty());
    // Every graph written before is there, whole.
    let health = http_client::send(&base, "GET", "/health", &[], b"");
    assert_eq!(health.status, 200);
    for batch in [stored[0], *stored.last().unwrap()] {
        let graph = http_client::send(
            &base,
            "GET",
            &format!("/store?graph=http://example.com/g{batch}"),
            &[("accept", "application/n-triples")],
            b"",
        );
        assert_eq!(graph.status, 200);
        assert_eq!(
            graph.text().lines().count(),
            triples(batch, 1 << 20).lines().count()
        );
    }
    // A report load is refused the same way, saying why.
    let report = http_client::send(
        &base,
        "POST",
        "/api/reports",
        &[
            ("content-type", "application/n-quads"),
            ("authorization", "Bearer t0ken"),
        ],
        b"<https://w3id.org/spyatlas/report/r> <http://www.w3.org/2000/01/rdf-schema#label> \"r\"@en <https://w3id.org/spyatlas/report/r> .",
    );
    assert_eq!(report.status, 507, "{}", report.text());

    let (status, _) = server.terminate();
    assert!(status.success(), "{status}: {}", server.log());
}
