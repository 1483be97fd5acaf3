//! `GET /metrics`: the server's figures in the Prometheus text format (version 0.0.4):
//! requests by route, method and status, their latency as histograms, requests stopped at
//! their deadline or memory budget, writes refused (and why), report loads by outcome, the
//! store's size (counted on write, [`crate::figures`]) and whether each index kept in
//! memory holds all of the store.
//!
//! Routes are the paths the router matched (`/id/{slug}`), never the requested paths, so
//! that the number of series is bounded by the routes, whatever clients ask.

use super::AppState;
use axum::extract::{MatchedPath, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why a request was refused, marked on its response by [`super::error::ApiError`] for the
/// figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// Stopped at its deadline.
    Deadline,
    /// Stopped at its memory budget.
    Memory,
    /// A write without the right token, or on a read-only server.
    Unauthorized,
    /// A write refused for want of disk space.
    Disk,
    /// A report that did not load (syntax, shapes).
    Invalid,
}

impl Refusal {
    fn name(self) -> &'static str {
        match self {
            Self::Deadline => "deadline",
            Self::Memory => "memory",
            Self::Unauthorized => "unauthorized",
            Self::Disk => "disk",
            Self::Invalid => "invalid",
        }
    }

    fn is_write(self) -> bool {
        matches!(self, Self::Unauthorized | Self::Disk | Self::Invalid)
    }
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Requests at or under each bucket's bound (not cumulative; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Figures {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    refused: BTreeMap<(String, Refusal), u64>,
    loads: BTreeMap<&'static str, u64>,
}

/// What the server counts, shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    figures: Mutex<Figures>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Figures> {
        self.figures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one answered request.
    fn answered(
        &self,
        route: &str,
        method: &Method,
        status: u16,
        seconds: f64,
        refusal: Option<Refusal>,
    ) {
        let mut figures = self.lock();
        *figures
            .requests
            .entry((route.to_owned(), method.as_str().to_owned(), status))
            .or_default() += 1;
        let histogram = figures.latency.entry(route.to_owned()).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        if let Some(refusal) = refusal {
            *figures
                .refused
                .entry((route.to_owned(), refusal))
                .or_default() += 1;
        }
    }

    /// Counts the outcome of one report of a load (`loaded`, `unchanged`, `replaced`,
    /// `valid`, `failed`).
    pub fn loaded(&self, outcome: &'static str) {
        *self.lock().loads.entry(outcome).or_default() += 1;
    }
}

/// Counts every request a route answers (a layer of the routes).
pub async fn track(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(none)".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.answered(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
        response.extensions().get::<Refusal>().copied(),
    );
    response
}

/// A label value, escaped as the text format asks.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes a metric's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    summary = "The server's figures in the Prometheus text format",
    responses((status = 200, description = "text/plain; version=0.0.4", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    {
        let figures = state.metrics.lock();
        family(
            &mut out,
            "spyatlas_http_requests_total",
            "counter",
            "Requests answered, by route, method and status.",
        );
        for ((route, method, status), count) in &figures.requests {
            let _ = writeln!(
                out,
                "spyatlas_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                label(route)
            );
        }
        family(
            &mut out,
            "spyatlas_http_request_duration_seconds",
            "histogram",
            "Time to the answer's head, by route.",
        );
        for (route, histogram) in &figures.latency {
            let route = label(route);
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "spyatlas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "spyatlas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "spyatlas_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "spyatlas_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        family(
            &mut out,
            "spyatlas_requests_stopped_total",
            "counter",
            "Requests stopped at their deadline or memory budget, by route and reason.",
        );
        for ((route, refusal), count) in &figures.refused {
            if !refusal.is_write() {
                let _ = writeln!(
                    out,
                    "spyatlas_requests_stopped_total{{route=\"{}\",reason=\"{}\"}} {count}",
                    label(route),
                    refusal.name()
                );
            }
        }
        family(
            &mut out,
            "spyatlas_writes_rejected_total",
            "counter",
            "Writes refused, by route and reason (unauthorized, disk, invalid).",
        );
        for ((route, refusal), count) in &figures.refused {
            if refusal.is_write() {
                let _ = writeln!(
                    out,
                    "spyatlas_writes_rejected_total{{route=\"{}\",reason=\"{}\"}} {count}",
                    label(route),
                    refusal.name()
                );
            }
        }
        family(
            &mut out,
            "spyatlas_report_loads_total",
            "counter",
            "Reports sent to POST /api/reports, by outcome.",
        );
        for (outcome, count) in &figures.loads {
            let _ = writeln!(
                out,
                "spyatlas_report_loads_total{{outcome=\"{outcome}\"}} {count}"
            );
        }
    }
    // Read without waiting: a figure a write is updating right now is left out of this
    // scrape.
    if let Some(totals) = state
        .figures
        .is_complete()
        .then(|| state.figures.try_read(crate::figures::Counts::totals))
        .flatten()
    {
        for (name, help, value) in [
            ("spyatlas_store_quads", "Quads in the store.", totals.quads),
            (
                "spyatlas_store_entities",
                "Entities (subjects under id/) in the store.",
                totals.entities,
            ),
            (
                "spyatlas_store_classes",
                "Classes used in the store.",
                totals.classes,
            ),
            (
                "spyatlas_store_properties",
                "Properties used in the store.",
                totals.properties,
            ),
        ] {
            family(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
    }
    family(
        &mut out,
        "spyatlas_index_complete",
        "gauge",
        "1 when an index kept in memory holds all of the store, 0 while it is built.",
    );
    for (index, complete) in [
        ("search", state.search.is_complete()),
        ("statistics", state.statistics.is_complete()),
        ("network", state.network.is_complete()),
        ("figures", state.figures.is_complete()),
    ] {
        let _ = writeln!(
            out,
            "spyatlas_index_complete{{index=\"{index}\"}} {}",
            u8::from(complete)
        );
    }
    if let Some(count) = state.graph.queries_sent_again() {
        let name = "spyatlas_store_queries_sent_again_total";
        family(
            &mut out,
            name,
            "counter",
            "Queries the remote store's compiler gave up on once (Virtuoso's SQ200), sent again.",
        );
        let _ = writeln!(out, "{name} {count}");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
