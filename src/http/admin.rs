//! `POST /api/admin/backup`: a copy of the store as it is at one moment, taken while the
//! server goes on reading and writing.
//!
//! An `admin` account's backups go into the server's backup folder (`--backup-dir`), each
//! in a new folder it may name. The command line on the server's machine (`spyatlas
//! backup`, `spyatlas dump`) asks with the token the server writes into the store's folder
//! for its owner ([`crate::served`]), and names any new folder as the target.

use super::AppState;
use super::auth::{Needs, authorize, bearer};
use super::error::ApiError;
use crate::accounts::{Account, Role};
use crate::store::StoreError;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;
use utoipa::ToSchema;

/// The account the command line on the server's machine asks as.
pub const LOCAL_ACCOUNT: &str = "local";

/// The body of `POST /api/admin/backup` (or none).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// The new folder's name in the backup folder (letters, digits, `.`, `_`, `-`; not
    /// starting with `.`); default: the time, `spyatlas-20261204T101203Z`.
    name: Option<String>,
    /// An absolute path for the new folder: only for the command line on the server's
    /// machine.
    target: Option<String>,
}

/// Where a backup went.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupAnswer {
    /// The folder holding the copy, which opens as a store (`spyatlas restore`, or
    /// `--data`).
    folder: String,
    /// How long the copy took, in milliseconds.
    milliseconds: u64,
}

/// The largest body of a backup request.
const MAX_BODY: usize = 4096;

/// `POST /api/admin/backup`.
#[utoipa::path(
    post,
    path = "/api/admin/backup",
    tag = "admin",
    summary = "Back up the store while it serves: a consistent copy in a new folder",
    request_body(description = "optional: the backup's name", content(
        (BackupRequest = "application/json"),
    )),
    responses(
        (status = 201, description = "the backup was taken", body = BackupAnswer),
        (status = 400, description = "a bad name, or a store that cannot be backed up here"),
        (status = 401, description = "no token, or an unknown one"),
        (status = 403, description = "the account is not an admin"),
        (status = 409, description = "the folder exists already"),
        (status = 503, description = "another backup is being taken"),
    ),
    security(("bearer" = []))
)]
pub async fn backup(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (account, local) = who(&state, &headers)?;
    let mut target = None;
    let taken = async {
        let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
            ApiError::TooLarge(format!(
                "a backup request is at most {MAX_BODY} bytes of JSON: {{\"name\": \"before-the-import\"}}"
            ))
        })?;
        let request: BackupRequest = if body.iter().all(u8::is_ascii_whitespace) {
            BackupRequest::default()
        } else {
            serde_json::from_slice(&body).map_err(|error| {
                ApiError::BadRequest(format!(
                    "the body is JSON like {{\"name\": \"before-the-import\"}}, or nothing: {error}"
                ))
            })?
        };
        let folder = folder(&state, request, local)?;
        target = Some(folder.display().to_string());
        take(&state, folder).await
    }
    .await;
    let mut response = match taken {
        Ok(answer) => (StatusCode::CREATED, Json(answer)).into_response(),
        Err(error) => error.into_response(),
    };
    // Recorded whatever came of it: an admin's request, taken or not.
    response.extensions_mut().insert(crate::audit::Note {
        account: Some(account),
        action: "backup",
        reports: Vec::new(),
        target,
    });
    Ok(response)
}

/// The account asking: the local owner's token, or an admin's.
fn who(state: &AppState, headers: &HeaderMap) -> Result<(Account, bool), ApiError> {
    if let (Some(local), Some(presented)) = (&state.settings.local_token, bearer(headers))
        && crate::accounts::same_token(local, &presented)
    {
        let account = Account {
            name: LOCAL_ACCOUNT.into(),
            role: Role::Admin,
        };
        return Ok((account, true));
    }
    authorize(&state.settings.write_access, headers, Needs::Backup).map(|account| (account, false))
}

/// The new folder a backup goes to.
fn folder(state: &AppState, request: BackupRequest, local: bool) -> Result<PathBuf, ApiError> {
    if let Some(target) = request.target {
        if !local {
            return Err(ApiError::BadRequest(
                "`target` is for the command line on the server's machine (`spyatlas backup`); an account names its backup with `name`, and it goes into the server's backup folder".into(),
            ));
        }
        let target = PathBuf::from(target);
        if !target.is_absolute() {
            return Err(ApiError::BadRequest(format!(
                "`target` must be an absolute path, not {}",
                target.display()
            )));
        }
        return Ok(target);
    }
    let Some(backups) = &state.settings.backup_dir else {
        return Err(ApiError::BadRequest(
            "this server has no backup folder: start it with --backup-dir DIR".into(),
        ));
    };
    let name = match request.name {
        Some(name) => {
            if !crate::accounts::is_account_name(&name) || name.starts_with('.') {
                return Err(ApiError::BadRequest(format!(
                    "`name`: 1 to 64 letters, digits, `.`, `_` or `-`, not starting with `.`; not `{name}`"
                )));
            }
            name
        }
        None => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            let time = crate::ingest::report::date_time(seconds).replace([':', '-'], "");
            format!("spyatlas-{time}")
        }
    };
    Ok(backups.join(name))
}

/// Takes the backup on a thread of its own: a checkpoint takes milliseconds on the store's
/// own disk, a copy to another may take minutes, and neither can stop halfway; one at a
/// time.
async fn take(state: &AppState, folder: PathBuf) -> Result<BackupAnswer, ApiError> {
    let Ok(_one) = state.backups.clone().try_lock_owned() else {
        return Err(ApiError::Busy(
            "another backup is being taken: try again when it is done".into(),
        ));
    };
    if folder.exists() {
        return Err(ApiError::Conflict(format!(
            "{} exists already: a backup goes into a new folder",
            folder.display()
        )));
    }
    let graph = state.graph.clone();
    let started = Instant::now();
    let target = folder.clone();
    let taken = tokio::task::spawn_blocking(move || {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        graph.backup(&target)
    })
    .await
    .map_err(|error| ApiError::Store(StoreError::Io(std::io::Error::other(error))))?;
    match taken {
        Ok(()) => {
            tracing::info!(folder = %folder.display(), "backup taken");
            Ok(BackupAnswer {
                folder: folder.display().to_string(),
                milliseconds: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            })
        }
        Err(StoreError::Unsupported(message)) => Err(ApiError::BadRequest(message)),
        Err(error) => Err(error.into()),
    }
}
