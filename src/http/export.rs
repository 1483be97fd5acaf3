//! Exports of the store, a report or an entity's neighbourhood for other tools: STIX 2.1,
//! GEXF, GraphML and CSV of claims ([`crate::export`]). `/api/export` exports the whole
//! store; entity and report URLs export theirs with `?format=` or by `Accept`.

use super::error::ApiError;
use super::{AppState, blocking};
use crate::export::{self, ExportError, Format, Scope};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// The query string of `/api/export`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// stix (a STIX 2.1 bundle), gexf, graphml, or csv (claims with their sources).
    #[param(required = true)]
    format: Option<String>,
}

/// The format a request names by `?format=`, else by `Accept` (exact media types only:
/// an export is never what `*/*` means).
pub(super) fn requested(format: Option<&str>, headers: &HeaderMap) -> Option<Format> {
    if let Some(name) = format {
        return Format::from_name(name);
    }
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    accept.split(',').find_map(|range| {
        let mut parts = range.split(';');
        let media_type = parts.next()?.trim();
        let refused = parts.any(|parameter| {
            parameter
                .trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        Format::from_media_type(media_type).filter(|_| !refused)
    })
}

/// The export of `scope` in `format`, made in the work pool under the request's deadline.
pub(super) async fn respond(
    state: &AppState,
    scope: Scope,
    format: Format,
    name: &str,
) -> Result<Response, ApiError> {
    let graph = state.graph.clone();
    let bytes = blocking(state, move || {
        export::extract(&graph, &scope).map(|extract| format.write(&extract))
    })
    .await?
    .map_err(|error| match error {
        ExportError::Store(error) => ApiError::from(error),
        ExportError::Unknown(what) => ApiError::NotFound(format!("nothing is known as {what}")),
        too_large @ ExportError::TooLarge => ApiError::TooLarge(too_large.to_string()),
    })?;
    let mut response = ([(header::CONTENT_TYPE, format.media_type())], bytes).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "inline; filename=\"{name}.{}\"",
        format.extension()
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `GET /api/export?format=`.
#[utoipa::path(
    get,
    path = "/api/export",
    tag = "exports",
    summary = "The whole store as a STIX 2.1 bundle, GEXF, GraphML or CSV of claims",
    params(ExportParams),
    responses(
        (status = 200, description = "the export: application/stix+json, application/gexf+xml, application/graphml+xml or text/csv"),
        (status = 400, description = "no format, or an unknown one"),
        (status = 413, description = "the store is too large to export whole: export a report or an entity"),
    )
)]
pub async fn api(
    State(state): State<AppState>,
    super::params::Params(params): super::params::Params<ExportParams>,
) -> Result<Response, ApiError> {
    let name = params.format.as_deref().unwrap_or_default();
    let Some(format) = Format::from_name(name) else {
        return Err(ApiError::BadRequest(format!(
            "/api/export: `format`: one of stix, gexf, graphml, csv was expected, not `{name}`"
        )));
    };
    respond(&state, Scope::Store, format, "spyatlas").await
}
