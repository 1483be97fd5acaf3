//! Embeds the bundled knowledge (ontology/, data/) and the named queries (queries/) in the
//! binary, so that `spyatlas serve` works from any directory.
//!
//! It writes `$OUT_DIR/bundled.rs` with two tables of `(relative path, contents)`, sorted by
//! path so that loading order is stable across machines.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut out = String::new();
    let mut knowledge = collect(&root, &["ontology"], &["ttl"]);
    knowledge.extend(collect(
        &root,
        &["data"],
        &["ttl", "trig", "nt", "nq", "yaml", "yml", "json", "jsonld"],
    ));
    let queries = collect(&root, &["queries"], &["rq"]);
    table(&mut out, "KNOWLEDGE", &knowledge);
    table(&mut out, "QUERIES", &queries);
    let target = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    fs::write(target, out).expect("writing bundled.rs");
    for folder in ["ontology", "data", "queries"] {
        println!("cargo:rerun-if-changed={folder}");
    }
}

fn table(out: &mut String, name: &str, files: &[(String, PathBuf)]) {
    writeln!(out, "pub static {name}: &[(&str, &[u8])] = &[").unwrap();
    // Paths relative to the manifest, so that the generated file does not depend on where
    // the checkout lives (build output may be shared between checkouts).
    for (relative, _) in files {
        let from_manifest = format!("/{relative}");
        writeln!(
            out,
            "    ({relative:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {from_manifest:?}))),"
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn collect(root: &Path, folders: &[&str], extensions: &[&str]) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for folder in folders {
        walk(&root.join(folder), &mut files);
    }
    let mut selected: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .map(|path| {
            let relative = path.strip_prefix(root).expect("walked under root");
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (relative, path)
        })
        .collect();
    selected.sort();
    selected
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}
