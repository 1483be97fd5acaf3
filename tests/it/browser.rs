//! End to end in a real browser: Debian's chromium, headless, opens an entity page and the
//! search page served by a real server on 127.0.0.1, and the test reads the DOM it
//! rendered. `scripts/test` installs chromium when it is missing; without it these tests
//! fail and say so.

use crate::support::{TOKEN, TestServer};
use spyatlas::config::HttpSettings;
use std::process::Command;
use std::time::Duration;

/// The DOM chromium renders for `url`.
fn rendered(url: &str) -> String {
    let profile = tempfile::TempDir::new().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap_or_else(|error| {
            panic!("chromium cannot be started ({error}): run ./scripts/test, which installs it")
        });
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn server() -> TestServer {
    TestServer::start(
        crate::stores::TestGraph::bundled(),
        HttpSettings::with_token(TOKEN, Duration::from_secs(30)),
    )
}

#[test]
fn a_browser_renders_an_entity_page_with_its_picture_and_links() {
    let server = server();
    let dom = rendered(&format!("{}/id/luca-casarini", server.base_url));
    assert!(dom.contains("<h1 lang=\"en\">Luca Casarini</h1>"), "{dom}");
    assert!(dom.contains("Mediterranea Saving Humans"));
    assert!(dom.contains("according to"), "sources are shown");
    // The SVG is part of the rendered document, and its nodes are links to other pages.
    let svg = dom
        .split("<svg")
        .nth(1)
        .expect("the neighbourhood picture is rendered");
    let svg = svg.split("</svg>").next().unwrap();
    assert!(svg.contains("<circle"), "{svg}");
    let links: Vec<&str> = svg
        .split("<a href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert!(links.len() >= 3, "{links:?}");
    assert!(
        links
            .iter()
            .all(|link| link.starts_with("/id/") || link.starts_with("/report/")),
        "{links:?}"
    );
    // Following a link of the picture gives a page too.
    let next = rendered(&format!("{}{}", server.base_url, links[0]));
    assert!(next.contains("<h1"), "{next}");
}

#[test]
fn a_browser_renders_the_search_page_with_folded_matches() {
    let server = server();
    let dom = rendered(&format!("{}/search?q=el+gomati", server.base_url));
    assert!(
        dom.contains("<a href=\"/id/husam-el-gomati\">Husam El Gomati</a>"),
        "{dom}"
    );
    let dom = rendered(&format!("{}/search?q=Israelische", server.base_url));
    assert!(
        dom.contains("/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack"),
        "{dom}"
    );
}

#[test]
fn the_query_page_runs_a_query_from_its_address_and_links_only_safe_iris() {
    let server = server();
    // A query whose answer holds a `javascript:` IRI, an entity and a web address.
    let query = "SELECT ?x WHERE { VALUES ?x { <javascript:alert(document.domain)> \
                 <https://w3id.org/spyatlas/id/paragon-solutions> <https://example.org/page> } }";
    let url = format!(
        "{}/sparql?query={}",
        server.base_url,
        form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    let dom = rendered(&url);
    // The editor's scripts ran (from their files, under the page's
    // Content-Security-Policy): the answer is a table.
    assert!(dom.contains("<table"), "{dom}");
    assert!(
        dom.contains("javascript:alert(document.domain)"),
        "shown as text"
    );
    assert!(!dom.contains("href=\"javascript:"), "{dom}");
    assert!(dom.contains("href=\"/id/paragon-solutions\""), "{dom}");
    assert!(dom.contains("href=\"https://example.org/page\""), "{dom}");
}

/// Every page kind in headless chromium with axe-core (`tests/browser/check-pages.mjs`): no
/// serious or critical accessibility violation, usable by keyboard, no wider than a phone's
/// screen, nothing asked of another host, no script error. The screenshots of each page
/// at 375, 1024 and 1440 px are left in `target/tmp/browser-pages/`.
#[test]
fn every_page_kind_passes_the_accessibility_and_layout_checks() {
    let _busy = crate::support::timing_sensitive();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let harness = root.join("tests/browser");
    assert!(
        harness.join("node_modules/axe-core").is_dir(),
        "tests/browser has no node_modules: run ./scripts/test, which runs `npm ci --prefix tests/browser`"
    );
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-pages");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let server = server();
    let output = Command::new("node")
        .arg(harness.join("check-pages.mjs"))
        .arg(&server.base_url)
        .arg(&out)
        .output()
        .unwrap_or_else(|error| {
            panic!("node cannot be started ({error}): run ./scripts/test, which installs it")
        });
    let summary = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the page checks failed ({}):\n{summary}\n{errors}",
        output.status
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["failures"], 0, "{summary}");
    let pages = report["pages"].as_array().unwrap();
    assert!(
        pages.len() >= 15,
        "every page kind is checked: {}",
        pages.len()
    );
    for page in pages {
        assert_eq!(
            page["screenshots"].as_array().map(Vec::len),
            Some(3),
            "three widths of {}",
            page["path"]
        );
    }
}
