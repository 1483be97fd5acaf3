//! The front page (`/`: what spyatlas holds, the latest reports, a search box) and one
//! listing per kind of entity (`/vendors`, `/people`, `/reports`...), in the language of
//! `?lang=` or `Accept-Language`. Listings and counts come from the search index (every
//! entity with its classes and labels, kept up to date by every write), the figures from
//! the statistics counted on write: an entity is
//! listed while some graph still types it, so a retracted report takes the entities only
//! it described out of the listings.

use super::entity::language;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::store::StoreError;
use crate::views::pages::{
    CountItem, FigureRow, FigureTable, HomeTemplate, LISTINGS, LatestReport, Layout,
    ListingTemplate, VendorFigures, home_words, listing_words, render,
};
use crate::views::{Lang, page_of};
use crate::vocab;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::Term;
use std::collections::HashMap;

/// Entities per page of a listing.
const PAGE_SIZE: usize = 200;

fn text_of(row: &HashMap<String, Term>, name: &str) -> String {
    match row.get(name) {
        Some(Term::Literal(literal)) => literal.value().to_owned(),
        Some(Term::NamedNode(node)) => node.as_str().to_owned(),
        _ => String::new(),
    }
}

/// A `SELECT ?e ?label` that picks one label per entity in `language`, else English,
/// else any.
fn labelled(pattern: &str, language: Lang) -> String {
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
    let lang = language;
    let search = state.search.clone();
    let figures = {
        let state = state.clone();
        blocking(&state.clone(), move || {
            statistics(&state, language, FRONT_PAGE_ROWS)
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
                lang
            )
            .replace("GROUP BY ?e", "GROUP BY ?e ?loaded")
            .replace("SELECT ?e ", "SELECT ?e ?loaded ")
        ))?;
        Ok::<_, StoreError>((counts, reports))
    })
    .await??;
    let count_of: HashMap<String, usize> = counts.into_iter().collect();
    let text = home_words(language);
    let template = HomeTemplate {
        layout: Layout::new(language, "spyatlas", "/", ""),
        text,
        counts: LISTINGS
            .iter()
            .map(|(segment, class, titles)| CountItem {
                href: format!("/{segment}{}", lang_query(language)),
                title: titles[language.index()],
                count: count_of
                    .get(&format!("{}{class}", vocab::ONTOLOGY_NAMESPACE))
                    .copied()
                    .unwrap_or_default(),
            })
            .collect(),
        latest: reports
            .iter()
            .map(|row| {
                let iri = text_of(row, "e");
                LatestReport {
                    href: page_of(&iri).unwrap_or_default(),
                    title: text_of(row, "label"),
                    loaded: text_of(row, "loaded"),
                }
            })
            .collect(),
        complete: figures.complete,
        vendors: figures
            .incidents_per_vendor
            .iter()
            .map(|row| VendorFigures {
                href: row.url.clone(),
                label: row.label.clone(),
                total: row.total,
                years: row
                    .years
                    .iter()
                    .map(|(year, count)| format!("{year}: {count}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        tables: vec![
            FigureTable {
                title: text.targets_per_country,
                header: text.country,
                rows: figure_rows(&figures.targets_per_country),
            },
            FigureTable {
                title: text.reports_per_publisher,
                header: text.publisher,
                rows: figure_rows(&figures.reports_per_publisher),
            },
        ],
    };
    Ok(Html(render(&template)).into_response())
}

/// `?lang=nl` to keep a page's language in its links; nothing for English.
fn lang_query(language: Lang) -> String {
    if language == Lang::En {
        String::new()
    } else {
        format!("?lang={language}")
    }
}

fn figure_rows(counted: &[Counted]) -> Vec<FigureRow> {
    counted
        .iter()
        .map(|row| FigureRow {
            href: row.url.clone(),
            label: row.label.clone(),
            count: row.count,
        })
        .collect()
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
fn statistics(state: &AppState, language: Lang, rows: usize) -> Figures {
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
                    [language.code(), "en"]
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
                    url: page_of(&count.iri),
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
                    url: page_of(&vendor.vendor),
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
        blocking(&state.clone(), move || statistics(&state, language, rows)).await?
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
    let Some((_, class, titles)) = LISTINGS.iter().find(|(name, _, _)| *name == segment) else {
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
    let search = state.search.clone();
    let (found, total) = blocking(&state, move || {
        search.read(|index| {
            index.of_type(
                &class_iri,
                language.code(),
                (page - 1).saturating_mul(PAGE_SIZE),
                PAGE_SIZE,
            )
        })
    })
    .await?;
    let more = page.saturating_mul(PAGE_SIZE) < total;
    let at = |page: usize| format!("/{segment}?page={page}&lang={language}");
    let template = ListingTemplate {
        layout: Layout::new(
            language,
            titles[language.index()],
            &format!("/{segment}"),
            segment.as_str(),
        ),
        text: listing_words(language),
        total,
        complete: state.search.is_complete(),
        entries: found
            .into_iter()
            .map(|(iri, label)| (page_of(&iri).unwrap_or_default(), label))
            .collect(),
        previous: (page > 1).then(|| at(page - 1)),
        next: more.then(|| at(page + 1)),
    };
    Ok(Html(render(&template)).into_response())
}
