//! Who may write: the bearer-token check in front of every write route.

use super::error::ApiError;
use crate::config::WriteAccess;
use axum::http::{HeaderMap, header};

/// Lets a write through when the request carries the configured bearer token.
pub fn authorize_write(access: &WriteAccess, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = match access {
        WriteAccess::ReadOnly => return Err(ApiError::ReadOnly),
        WriteAccess::NoToken => return Err(ApiError::WritesDisabled),
        WriteAccess::Token(token) => token,
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credentials) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credentials.trim())
        });
    match presented {
        Some(presented) if constant_time_eq(presented.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Compares without stopping at the first difference, so response times do not reveal
/// how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_right_token_is_let_through() {
        let access = WriteAccess::Token("s3cret".into());
        assert!(authorize_write(&access, &with_authorization("Bearer s3cret")).is_ok());
        assert!(authorize_write(&access, &with_authorization("bearer s3cret")).is_ok());
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthorized() {
        let access = WriteAccess::Token("s3cret".into());
        for headers in [
            with_authorization("Bearer nope"),
            with_authorization("Basic s3cret"),
            HeaderMap::new(),
        ] {
            assert!(matches!(
                authorize_write(&access, &headers),
                Err(ApiError::Unauthorized)
            ));
        }
    }

    #[test]
    fn without_a_configured_token_writes_are_disabled() {
        let headers = with_authorization("Bearer anything");
        assert!(matches!(
            authorize_write(&WriteAccess::NoToken, &headers),
            Err(ApiError::WritesDisabled)
        ));
        assert!(matches!(
            authorize_write(&WriteAccess::ReadOnly, &headers),
            Err(ApiError::ReadOnly)
        ));
    }
}
