//! Who may do what: the token check in front of every write route, and in front of every
//! route on a private server.
//!
//! A client sends its token as `Authorization: Bearer TOKEN`, or, from a browser, as the
//! password of HTTP Basic authentication (the user name being the account's, or empty).

use super::error::ApiError;
use crate::accounts::{Account, Keyring, Role};
use crate::config::{HttpSettings, WriteAccess};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What a request asks to do, beyond reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Load or retract reports.
    Write,
    /// Change the store in any way: SPARQL updates, Graph Store writes.
    Admin,
    /// Copy the store (it changes nothing, so a read-only server takes backups too).
    Backup,
}

impl Needs {
    fn role(self) -> Role {
        match self {
            Self::Write => Role::Write,
            Self::Admin | Self::Backup => Role::Admin,
        }
    }
}

/// The account a request's token belongs to, if it may do what it `needs`.
pub fn authorize(
    access: &WriteAccess,
    headers: &HeaderMap,
    needs: Needs,
) -> Result<Account, ApiError> {
    let keyring = match access {
        WriteAccess::ReadOnly(_) if needs != Needs::Backup => return Err(ApiError::ReadOnly),
        WriteAccess::ReadOnly(Some(keyring)) | WriteAccess::Accounts(keyring) => keyring,
        WriteAccess::ReadOnly(None) | WriteAccess::NoToken => {
            return Err(ApiError::WritesDisabled);
        }
    };
    let account = identify(keyring, headers, needs.role())?;
    if account.role < needs.role() {
        return Err(ApiError::Forbidden {
            account: account.name,
            role: account.role,
            needed: needs.role(),
        });
    }
    Ok(account)
}

/// The account of a request's token, any role; 401 naming `needed` without a known one.
fn identify(keyring: &Keyring, headers: &HeaderMap, needed: Role) -> Result<Account, ApiError> {
    let Some((name, token)) = presented(headers) else {
        return Err(ApiError::Unauthorized {
            needed,
            presented: false,
        });
    };
    match keyring.tokens().find(&token) {
        Some(account) if name.as_deref().is_none_or(|name| name == account.name) => {
            Ok(account.clone())
        }
        _ => Err(ApiError::Unauthorized {
            needed,
            presented: true,
        }),
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    match presented(headers)? {
        (None, token) => Some(token),
        (Some(_), _) => None,
    }
}

/// The token of the `Authorization` header, with the user name Basic authentication gives.
fn presented(headers: &HeaderMap) -> Option<(Option<String>, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some((None, credentials.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(base64_decode(credentials)?).ok()?;
        let (name, token) = decoded.split_once(':')?;
        let name = (!name.is_empty()).then(|| name.to_owned());
        return Some((name, token.to_owned()));
    }
    None
}

/// Standard base64 (RFC 4648, with padding), as Basic authentication sends it.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const MAX: usize = 4096;
    if text.len() > MAX || !text.len().is_multiple_of(4) {
        return None;
    }
    let value = |byte: u8| -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let bytes = text.as_bytes();
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index == bytes.len() / 4 - 1;
        let padding = chunk.iter().rev().take_while(|byte| **byte == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return None;
        }
        let mut bits = 0u32;
        for byte in &chunk[..4 - padding] {
            bits = (bits << 6) | value(*byte)?;
        }
        bits <<= 6 * padding as u32;
        let decoded = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

/// On a private server (`--private`), the answer to a request without a token of any role;
/// `/health` stays open, for the probes of whatever runs the server.
pub fn refused_when_private(
    settings: &HttpSettings,
    request: &axum::extract::Request,
) -> Option<Response> {
    if !settings.private || request.uri().path() == "/health" {
        return None;
    }
    let keyring: Option<&Arc<Keyring>> = match &settings.write_access {
        WriteAccess::Accounts(keyring) | WriteAccess::ReadOnly(Some(keyring)) => Some(keyring),
        WriteAccess::ReadOnly(None) | WriteAccess::NoToken => None,
    };
    let identified = match keyring {
        Some(keyring) => identify(keyring, request.headers(), Role::Read),
        None => Err(ApiError::Unauthorized {
            needed: Role::Read,
            presented: false,
        }),
    };
    let error = identified.err()?;
    let mut response = error.into_response();
    // Browsers ask for a name and a password on Basic: the account and its token.
    response.headers_mut().append(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Basic realm=\"spyatlas\", charset=\"UTF-8\""),
    );
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Tokens, line};
    use axum::http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn newsroom() -> WriteAccess {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tokens");
        std::fs::write(
            &path,
            [
                line("reader", Role::Read, "r-token"),
                line("alice", Role::Write, "w-token"),
                line("ops", Role::Admin, "a-token"),
            ]
            .join("\n"),
        )
        .unwrap();
        assert_eq!(Tokens::read(&path).unwrap().len(), 3);
        WriteAccess::Accounts(Arc::new(Keyring::from_file(&path).unwrap()))
    }

    #[test]
    fn each_role_may_do_what_it_grants_and_no_more() {
        let access = newsroom();
        let try_as = |token: &str, needs| {
            authorize(
                &access,
                &with_authorization(&format!("Bearer {token}")),
                needs,
            )
        };
        assert!(matches!(
            try_as("r-token", Needs::Write),
            Err(ApiError::Forbidden {
                role: Role::Read,
                needed: Role::Write,
                ..
            })
        ));
        assert_eq!(try_as("w-token", Needs::Write).unwrap().name, "alice");
        assert!(matches!(
            try_as("w-token", Needs::Admin),
            Err(ApiError::Forbidden {
                needed: Role::Admin,
                ..
            })
        ));
        assert!(matches!(
            try_as("w-token", Needs::Backup),
            Err(ApiError::Forbidden { .. })
        ));
        assert_eq!(try_as("a-token", Needs::Admin).unwrap().name, "ops");
        assert_eq!(try_as("a-token", Needs::Write).unwrap().role, Role::Admin);
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthorized_naming_the_role() {
        let access = newsroom();
        for (headers, was_presented) in [
            (with_authorization("Bearer nope"), true),
            (with_authorization("Bearer"), false),
            (with_authorization("Digest w-token"), false),
            (HeaderMap::new(), false),
        ] {
            match authorize(&access, &headers, Needs::Write) {
                Err(ApiError::Unauthorized { needed, presented }) => {
                    assert_eq!((needed, presented), (Role::Write, was_presented));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn basic_authentication_carries_the_account_and_its_token() {
        let access = newsroom();
        // "alice:w-token", ":w-token", "bob:w-token"
        let basic = |credentials: &str| {
            with_authorization(&format!(
                "Basic {}",
                match credentials {
                    "alice:w-token" => "YWxpY2U6dy10b2tlbg==",
                    ":w-token" => "OnctdG9rZW4=",
                    _ => "Ym9iOnctdG9rZW4=",
                }
            ))
        };
        assert_eq!(
            authorize(&access, &basic("alice:w-token"), Needs::Write)
                .unwrap()
                .name,
            "alice"
        );
        assert!(authorize(&access, &basic(":w-token"), Needs::Write).is_ok());
        assert!(authorize(&access, &basic("bob:w-token"), Needs::Write).is_err());
        assert!(authorize(&access, &with_authorization("Basic %%%"), Needs::Write).is_err());
    }

    #[test]
    fn base64_is_decoded_as_basic_authentication_sends_it() {
        assert_eq!(
            base64_decode("YWxpY2U6dy10b2tlbg==").unwrap(),
            b"alice:w-token"
        );
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert!(base64_decode("YW=j").is_none());
        assert!(base64_decode("YWJ").is_none());
        assert!(base64_decode("Y===").is_none());
    }

    #[test]
    fn without_accounts_writes_are_disabled_and_read_only_refuses_them() {
        let headers = with_authorization("Bearer anything");
        assert!(matches!(
            authorize(&WriteAccess::NoToken, &headers, Needs::Write),
            Err(ApiError::WritesDisabled)
        ));
        let keyring = Arc::new(Keyring::single("anything"));
        let read_only = WriteAccess::ReadOnly(Some(keyring));
        assert!(matches!(
            authorize(&read_only, &headers, Needs::Admin),
            Err(ApiError::ReadOnly)
        ));
        // A backup changes nothing: a read-only server takes it for an admin.
        assert!(authorize(&read_only, &headers, Needs::Backup).is_ok());
    }

    #[test]
    fn the_command_line_token_is_an_admin() {
        let access = WriteAccess::Accounts(Arc::new(Keyring::single("s3cret")));
        let account =
            authorize(&access, &with_authorization("bearer s3cret"), Needs::Admin).unwrap();
        assert_eq!(account.name, crate::accounts::COMMAND_LINE_ACCOUNT);
    }
}
