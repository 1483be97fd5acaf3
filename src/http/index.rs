//! The front page (`/`: what spyatlas holds, the latest reports, a search box) and one
//! listing per kind of entity (`/vendors`, `/people`, `/reports`...), in the language of
//! `?lang=` or `Accept-Language`. Listings and counts come from the search index (every
//! entity with its classes and labels, kept up to date by every write), the figures from
//! the statistics counted on write: an entity is
//! listed while some graph still types it, so a retracted report takes the entities only
//! it described out of the listings.

use super::entity::language;
use super::error::ApiError;
use super::params::{Bounded, PageLang, Params};
use super::{AppState, blocking};
use crate::lookups;
use crate::store::StoreError;
use crate::views::pages::{
    CountItem, FigureRow, FigureTable, HomeTemplate, LISTINGS, LatestReport, Layout,
    ListingTemplate, VendorFigures, home_words, listing_words, render,
};
use crate::views::{Lang, page_of};
use crate::vocab;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{Literal, Term};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Reports on the front page.
const LATEST_REPORTS: usize = 10;

/// The last page of a listing that may be asked for.
const MAX_PAGE: usize = 100_000;

/// Entities per page of a listing.
const PAGE_SIZE: usize = 200;

fn text_of(row: &HashMap<String, Term>, name: &str) -> String {
    match row.get(name) {
        Some(Term::Literal(literal)) => literal.value().to_owned(),
        Some(Term::NamedNode(node)) => node.as_str().to_owned(),
        _ => String::new(),
    }
}

/// `GET /`: what spyatlas holds.
#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    summary = "What spyatlas holds: counts per kind, latest reports, a search box",
    params(ListingParams),
    responses((status = 200, description = "the page", content_type = "text/html"))
)]
pub async fn home(
    State(state): State<AppState>,
    Params(params): Params<ListingParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = language(params.lang, &headers);
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
        let reports = lookups::LATEST_REPORTS.rows(
            &graph,
            &[("language", Literal::new_simple_literal(lang.code()).into())],
            LATEST_REPORTS,
        )?;
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

/// A thing counted (a country by named targets, a publisher by reports), with its label
/// and page.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counted {
    iri: String,
    /// The label in the language asked, else English, else any.
    label: String,
    /// Its page on this server, when it has one.
    url: Option<String>,
    count: usize,
}

/// A vendor's incidents (named on the incident, or through a product it used), with its
/// label and page.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorIncidents {
    iri: String,
    label: String,
    url: Option<String>,
    total: usize,
    /// Incidents per year of their date.
    years: std::collections::BTreeMap<String, usize>,
}

/// Figures kept up to date by every write, counted over every claim whatever its status
/// (the pages linked show each claim with its status and report).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Statistics {
    /// Whether the counts cover the whole store: false for the few seconds after a start
    /// (or a SPARQL update) while they are counted in the background.
    complete: bool,
    /// Entities per class (local name in the spyatlas ontology).
    counts: std::collections::BTreeMap<String, usize>,
    /// Vendors by incidents, most first.
    #[serde(rename = "incidentsPerVendor")]
    incidents_per_vendor: Vec<VendorIncidents>,
    /// Countries by the targets named in them, most first.
    #[serde(rename = "targetsPerCountry")]
    targets_per_country: Vec<Counted>,
    /// Publishers by reports, most first.
    #[serde(rename = "reportsPerPublisher")]
    reports_per_publisher: Vec<Counted>,
}

/// The query string of the front page and the listings; other keys are ignored, as links
/// from elsewhere may carry them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingParams {
    /// The page's language: en, nl or it (else `Accept-Language`, else en).
    #[param(value_type = Option<String>)]
    #[serde(default)]
    lang: PageLang,
    /// The page of a listing, from 1.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    page: Option<Bounded<1, MAX_PAGE>>,
}

/// The query string of `/api/statistics`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// At most this many rows per table (20 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<Bounded<1, MAX_ROWS>>,
    /// The language of the labels: en, nl or it (else `Accept-Language`, else en).
    #[param(value_type = Option<String>)]
    #[serde(default)]
    lang: PageLang,
}

/// The figures, from the counts kept on write and the search index (labels, classes):
/// a read of a few hundred numbers, answered on the spot.
fn statistics(state: &AppState, language: Lang, rows: usize) -> Statistics {
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
        Statistics {
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
                .map(|vendor| VendorIncidents {
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
#[utoipa::path(
    get,
    path = "/api/statistics",
    tag = "search",
    summary = "Counts per kind, incidents per vendor and year, named targets per country, reports per publisher: kept up to date by every write",
    params(StatisticsParams),
    responses(
        (status = 200, description = "the figures", body = Statistics),
        (status = 400, description = "a bad limit or an unknown parameter"),
    )
)]
pub async fn api_statistics(
    State(state): State<AppState>,
    Params(params): Params<StatisticsParams>,
    headers: HeaderMap,
) -> Result<Json<Statistics>, ApiError> {
    let rows = params.limit.map_or(20, |limit| limit.0);
    let language = language(params.lang, &headers);
    // In the pool: a large write holds the indexes for a moment, which the event loop must
    // not wait for.
    let figures = {
        let state = state.clone();
        blocking(&state.clone(), move || statistics(&state, language, rows)).await?
    };
    Ok(Json(figures))
}

/// `GET /{listing}`: every entity of one kind, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/{listing}",
    tag = "pages",
    summary = "Every entity of one kind: vendors, products, governments, agencies, people, organizations, platforms, incidents, reports",
    params(
        ("listing" = String, Path, description = "vendors, products, governments, agencies, people, organizations, platforms, incidents or reports"),
        ListingParams,
    ),
    responses(
        (status = 200, description = "the listing", content_type = "text/html"),
        (status = 404, description = "no such listing"),
    )
)]
pub async fn listing(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    Params(params): Params<ListingParams>,
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
    let language = language(params.lang, &headers);
    let page = params.page.map_or(1, |page| page.0);
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
