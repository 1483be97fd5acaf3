//! The knowledge and queries compiled into the binary (see `build.rs`), as tables of
//! `(relative path, contents)`. The bottom of the crate: it imports nothing; what the
//! files mean is read above it (the store is seeded by [`crate::ingest::seed`], the
//! named queries parsed by [`crate::queries`], the shapes by [`crate::validate`]).

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The JSON-LD context of report documents (`ontology/context.jsonld`).
pub static CONTEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ontology/context.jsonld"
));
