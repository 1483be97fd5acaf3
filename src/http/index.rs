//! The front page (`/`: what spyatlas holds, the latest reports, a search box) and one
//! listing per kind of entity (`/vendors`, `/people`, `/reports`...), in the language of
//! `?lang=` or `Accept-Language`. Listings and counts come from the search index (every
//! entity with its classes and labels, kept up to date by every write), the figures from
//! the statistics counted on write: an entity is
//! listed while some graph still types it, so a retracted report takes the entities only
//! it described out of the listings.

use super::entity::language;
use super::error::ApiError;
use super::page::escape_html;
use super::{AppState, blocking};
use crate::store::StoreError;
use crate::vocab;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::Term;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The listings: path segment, class, title.
pub const LISTINGS: &[(&str, &str, &str)] = &[
    ("vendors", "Vendor", "Vendors"),
    ("products", "Product", "Products"),
    ("governments", "Government", "Governments"),
    ("agencies", "Agency", "Agencies"),
    ("people", "Person", "People"),
    ("organizations", "Organization", "Organisations"),
    ("platforms", "Platform", "Platforms"),
    ("incidents", "Incident", "Incidents"),
    ("reports", "Report", "Reports"),
];

/// Entities per page of a listing.
const PAGE_SIZE: usize = 200;

fn text(row: &HashMap<String, Term>, name: &str) -> String {
    match row.get(name) {
        Some(Term::Literal(literal)) => literal.value().to_owned(),
        Some(Term::NamedNode(node)) => node.as_str().to_owned(),
        _ => String::new(),
    }
}

fn shell(title: &str, language: &str, body: &str) -> String {
    let mut nav = String::from(
        "<a href=\"/\">spyatlas</a> · <a href=\"/search\">Search</a> · <a href=\"/path\">Connections</a> · <a href=\"/sparql\">SPARQL</a> ·",
    );
    for (segment, _, title) in LISTINGS {
        let _ = write!(nav, " <a href=\"/{segment}\">{title}</a>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · spyatlas</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}nav{{font-size:.9em}}.count{{color:#555}}</style></head>
<body><nav>{nav}</nav>
{body}
</body></html>
"#,
        language = escape_html(language),
        title = escape_html(title),
    )
}

/// A `SELECT ?e ?label` that picks one label per entity in `language`, else English,
/// else any.
fn labelled(pattern: &str, language: &str) -> String {
    let language = language.replace(['"', '\\'], "");
    format!(
        "SELECT ?e (COALESCE(SAMPLE(?wanted), SAMPLE(?english), SAMPLE(?any)) AS ?label) WHERE {{
           {pattern}
           OPTIONAL {{ GRAPH ?g1 {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?wanted FILTER(LANG(?wanted) = \"{language}\") }} }}
           OPTIONAL {{ GRAPH ?g2 {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?english FILTER(LANG(?english) = \"en\") }} }}
           OPTIONAL {{ GRAPH ?g3 {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?any }} }}
         }} GROUP BY ?e"
    )
}

/// `GET /`: what spyatlas holds.
pub async fn home(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = language(raw.as_deref(), &headers);
    let graph = state.graph.clone();
    let lang = language.clone();
    let search = state.search.clone();
    let figures = {
        let (state, language) = (state.clone(), language.clone());
        blocking(&state.clone(), move || {
            statistics(&state, &language, FRONT_PAGE_ROWS)
        })
        .await?
    };
    let (counts, reports) = blocking(&state, move || {
        // Counts from the search index (it holds every entity's classes).
        let counts = search.read(|index| index.counts());
        let reports = graph.select(&format!(
            "{} ORDER BY DESC(?loaded) LIMIT 10",
            labelled(
                &format!(
                    "GRAPH ?e {{ ?e <{}loadedAt> ?loaded }}",
                    vocab::ONTOLOGY_NAMESPACE
                ),
                &lang
            )
            .replace("GROUP BY ?e", "GROUP BY ?e ?loaded")
            .replace("SELECT ?e ", "SELECT ?e ?loaded ")
        ))?;
        Ok::<_, StoreError>((counts, reports))
    })
    .await??;
    let count_of: HashMap<String, String> = counts
        .into_iter()
        .map(|(class, count)| (class, count.to_string()))
        .collect();
    let mut body = String::from(
        "<h1>spyatlas</h1><p>Who builds spyware, who buys it, who was targeted, through which platform, and which report says so.</p><form method=\"get\" action=\"/search\"><input name=\"q\" placeholder=\"a name, in any language\"> <button type=\"submit\">Search</button></form><h2>What it holds</h2><ul class=\"counts\">",
    );
    for (segment, class, title) in LISTINGS {
        let count = count_of
            .get(&format!("{}{class}", vocab::ONTOLOGY_NAMESPACE))
            .cloned()
            .unwrap_or_else(|| "0".into());
        let _ = write!(
            body,
            "<li><a href=\"/{segment}\">{title}</a> <span class=\"count\">{count}</span></li>"
        );
    }
    body.push_str("</ul><h2>Latest reports</h2><ol class=\"reports\">");
    for row in &reports {
        let iri = text(row, "e");
        let slug = iri.strip_prefix(vocab::REPORT_NAMESPACE).unwrap_or(&iri);
        let _ = write!(
            body,
            "<li><a href=\"/report/{}\">{}</a> <span class=\"count\">loaded {}</span></li>",
            escape_html(slug),
            escape_html(&text(row, "label")),
            escape_html(&text(row, "loaded"))
        );
    }
    body.push_str("</ol>");
    body.push_str(&figures_html(&figures));
    Ok(Html(shell("spyatlas", &language, &body)).into_response())
}

/// Rows of each table of figures on the front page.
const FRONT_PAGE_ROWS: usize = 10;

/// The most rows `/api/statistics` gives per table.
const MAX_ROWS: usize = 1_000;

/// A thing counted, with its label and page.
#[derive(serde::Serialize)]
struct Counted {
    iri: String,
    label: String,
    url: Option<String>,
    count: usize,
}

/// A vendor's incidents, with its label and page.
#[derive(serde::Serialize)]
struct VendorRow {
    iri: String,
    label: String,
    url: Option<String>,
    total: usize,
    years: std::collections::BTreeMap<String, usize>,
}

/// The figures of `/api/statistics` and the front page.
#[derive(serde::Serialize)]
struct Figures {
    complete: bool,
    counts: std::collections::BTreeMap<String, usize>,
    #[serde(rename = "incidentsPerVendor")]
    incidents_per_vendor: Vec<VendorRow>,
    #[serde(rename = "targetsPerCountry")]
    targets_per_country: Vec<Counted>,
    #[serde(rename = "reportsPerPublisher")]
    reports_per_publisher: Vec<Counted>,
}

/// The figures, from the counts kept on write and the search index (labels, classes):
/// a read of a few hundred numbers, answered on the spot.
fn statistics(state: &AppState, language: &str, rows: usize) -> Figures {
    let (vendors, countries, publishers) = state.statistics.read(|tables| {
        (
            tables.incidents_per_vendor(rows),
            tables.targets_per_country(rows),
            tables.reports_per_publisher(rows),
        )
    });
    state.search.read(|index| {
        let label = |iri: &str| {
            index
                .describe(iri)
                .and_then(|(labels, _)| {
                    [language, "en"]
                        .iter()
                        .find_map(|wanted| labels.iter().find(|(l, _)| l == wanted))
                        .or_else(|| labels.first())
                        .map(|(_, text)| text.clone())
                })
                .unwrap_or_else(|| iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned())
        };
        let counted = |counts: Vec<crate::statistics::Count>| {
            counts
                .into_iter()
                .map(|count| Counted {
                    label: label(&count.iri),
                    url: super::entity::page_of(&count.iri),
                    iri: count.iri,
                    count: count.count,
                })
                .collect()
        };
        Figures {
            complete: state.statistics.is_complete() && state.search.is_complete(),
            counts: index
                .counts()
                .into_iter()
                .filter_map(|(class, count)| {
                    Some((
                        class.strip_prefix(vocab::ONTOLOGY_NAMESPACE)?.to_owned(),
                        count,
                    ))
                })
                .collect(),
            incidents_per_vendor: vendors
                .into_iter()
                .map(|vendor| VendorRow {
                    label: label(&vendor.vendor),
                    url: super::entity::page_of(&vendor.vendor),
                    iri: vendor.vendor,
                    total: vendor.total,
                    years: vendor.years,
                })
                .collect(),
            targets_per_country: counted(countries),
            reports_per_publisher: counted(publishers),
        }
    })
}

/// The figures as tables of the front page.
fn figures_html(figures: &Figures) -> String {
    let link = |url: &Option<String>, label: &str| match url {
        Some(url) => format!(
            "<a href=\"{}\">{}</a>",
            escape_html(url),
            escape_html(label)
        ),
        None => escape_html(label),
    };
    let mut html = String::from(
        "<h2>In numbers</h2><p class=\"note\">Counted over every claim, whatever the status its report gives it: each page shows the claims with their statuses and reports. As JSON: <a href=\"/api/statistics\">/api/statistics</a>.</p>",
    );
    if !figures.complete {
        html.push_str("<p class=\"notice\">Still being counted: the figures may be short for a few seconds.</p>");
    }
    html.push_str("<h3>Incidents per vendor</h3><table class=\"figures\"><thead><tr><th scope=\"col\">Vendor</th><th scope=\"col\">Incidents</th><th scope=\"col\">Per year</th></tr></thead><tbody>");
    for row in &figures.incidents_per_vendor {
        let years = row
            .years
            .iter()
            .map(|(year, count)| format!("{}: {count}", escape_html(year)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{years}</td></tr>",
            link(&row.url, &row.label),
            row.total
        );
    }
    html.push_str("</tbody></table>");
    for (title, header, rows) in [
        (
            "Named targets per country",
            "Country",
            &figures.targets_per_country,
        ),
        (
            "Reports per publisher",
            "Publisher",
            &figures.reports_per_publisher,
        ),
    ] {
        let _ = write!(
            html,
            "<h3>{title}</h3><table class=\"figures\"><thead><tr><th scope=\"col\">{header}</th><th scope=\"col\">Count</th></tr></thead><tbody>"
        );
        for row in rows {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td></tr>",
                link(&row.url, &row.label),
                row.count
            );
        }
        html.push_str("</tbody></table>");
    }
    html
}

/// `GET /api/statistics?limit=&lang=`: counts per kind, incidents per vendor (per year),
/// named targets per country and reports per publisher, most first, from the counts kept
/// on write.
pub async fn api_statistics(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut rows = 20;
    for (key, value) in form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "limit" => {
                rows = value
                    .parse::<usize>()
                    .ok()
                    .filter(|rows| (1..=MAX_ROWS).contains(rows))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a number from 1 to {MAX_ROWS}, not `{value}`"
                        ))
                    })?;
            }
            "lang" => {}
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter `{other}`; use limit, lang"
                )));
            }
        }
    }
    let language = language(raw.as_deref(), &headers);
    // In the pool: a large write holds the indexes for a moment, which the event loop must
    // not wait for.
    let figures = {
        let state = state.clone();
        blocking(&state.clone(), move || statistics(&state, &language, rows)).await?
    };
    Ok(axum::Json(figures).into_response())
}

/// `GET /{listing}`: every entity of one kind, by name, a page at a time.
pub async fn listing(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some((_, class, title)) = LISTINGS.iter().find(|(name, _, _)| *name == segment) else {
        return Err(ApiError::NotFound(format!(
            "no page /{segment}; the listings are {}",
            LISTINGS
                .iter()
                .map(|(name, _, _)| format!("/{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let language = language(raw.as_deref(), &headers);
    let page: usize = form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.parse().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    // From the search index: it holds every entity's classes and labels, kept up to date
    // by every write.
    let class_iri = format!("{}{class}", vocab::ONTOLOGY_NAMESPACE);
    let (search, lang) = (state.search.clone(), language.clone());
    let (found, total) = blocking(&state, move || {
        search.read(|index| index.of_type(&class_iri, &lang, (page - 1) * PAGE_SIZE, PAGE_SIZE))
    })
    .await?;
    let more = page * PAGE_SIZE < total;
    let mut body = format!(
        "<h1>{}</h1><p class=\"count\">{total}</p>",
        escape_html(title)
    );
    if !state.search.is_complete() {
        body.push_str("<p class=\"notice\">The index of names is being built: this list may be short for a few seconds.</p>");
    }
    body.push_str("<ul class=\"listing\">");
    for (iri, label) in &found {
        let url = match iri.strip_prefix(vocab::ID_NAMESPACE) {
            Some(slug) => format!("/id/{slug}"),
            None => format!(
                "/report/{}",
                iri.strip_prefix(vocab::REPORT_NAMESPACE).unwrap_or(iri)
            ),
        };
        let _ = write!(
            body,
            "<li><a href=\"{}\">{}</a></li>",
            escape_html(&url),
            escape_html(label)
        );
    }
    body.push_str("</ul>");
    if found.is_empty() {
        body.push_str("<p>None yet.</p>");
    }
    if page > 1 {
        let _ = write!(
            body,
            "<a href=\"/{segment}?page={}&amp;lang={}\" rel=\"prev\">previous</a> ",
            page - 1,
            escape_html(&language)
        );
    }
    if more {
        let _ = write!(
            body,
            "<a href=\"/{segment}?page={}&amp;lang={}\" rel=\"next\">next</a>",
            page + 1,
            escape_html(&language)
        );
    }
    Ok(Html(shell(title, &language, &body)).into_response())
}
