//! spyatlas: a knowledge graph of surveillance incidents — who builds spyware, who buys
//! it, who was targeted, through which platform, and which report says so.
//!
//! The crate is layered; dependencies point down the list:
//!
//! - [`http`]: the axum router — SPARQL 1.1 Protocol at `/sparql`, Graph Store Protocol at
//!   `/store`, health; [`http::serve`] runs it on a listener.
//! - [`views`]: what each page shows, as plain data, and the templates rendering it.
//! - [`ingest`]: RDF files → the store, atomically, with line-and-column errors; seeding a
//!   new store with the bundled knowledge.
//! - [`validate`]: SHACL validation of data against `ontology/shapes.ttl`, compiled.
//! - [`claims`]: which claim asserts a relationship, and the status its report gives it.
//! - [`limits`]: the named limits on client input, checked before any parser runs on it.
//! - [`lookups`]: the SPARQL the crate runs itself, in `src/lookups/*.rq`, parsed once.
//! - [`links`]: which IRIs may become links (web addresses only).
//! - [`queries`]: the named questions of `queries/*.rq`, parsed once, bound with typed terms.
//! - [`search`]: search by name over every label and alias, folded, from memory.
//! - [`statistics`]: counts per vendor, country and publisher, kept on write.
//! - [`served`]: where a running server of a store listens, asked by the command line.
//! - [`store`]: [`store::Graph`], the one place that talks to the store: the embedded
//!   oxigraph store, or a remote SPARQL 1.1 store over HTTP (`store/remote.rs`).
//! - [`changes`]: what each write did, told to the indexes that follow the store.
//! - [`config`]: command-line and environment settings.
//! - [`accounts`]: named tokens with their roles, from a tokens file.
//! - [`audit`]: the audit log of every write, one line of JSON each.
//! - [`vocab`]: the IRIs of our vocabulary and namespaces.
//! - [`bundled`]: the ontology, data and queries compiled into the binary, as tables; it
//!   imports nothing.
//! - [`table`]: plain-text rendering of results for the command line.

pub mod accounts;
pub mod audit;
pub mod bundled;
pub mod changes;
pub mod claims;
pub mod config;
pub mod export;
pub mod figures;
pub mod http;
pub mod ingest;
pub mod limits;
pub mod links;
pub mod lookups;
pub mod network;
pub mod queries;
pub mod search;
pub mod served;
mod sorted;
pub mod statistics;
pub mod store;
pub mod table;
pub mod validate;
pub mod views;
pub mod vocab;
