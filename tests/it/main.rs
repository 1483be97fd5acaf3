//! Integration tests: the router in-process, real servers on 127.0.0.1, and the CLI binary.

mod browser;
mod cli;
mod conformance;
mod deadlines;
mod disk;
mod entity_pages;
mod graph_store;
mod hostile;
mod http_client;
mod incremental;
mod index_pages;
mod load_cli;
mod model;
mod model_questions;
mod named_api;
mod named_queries;
mod openapi;
mod path;
mod reports;
mod search;
mod serving;
mod shacl;
mod sparql;
mod statuses;
mod strict;
mod support;
