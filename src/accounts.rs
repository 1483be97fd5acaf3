//! Who may do what: named tokens, each with a role, read from a tokens file.
//!
//! A tokens file holds one account per line: its name, its role and the SHA-256 of its
//! token, never the token itself (`spyatlas token NAME --role ROLE --file FILE` makes a
//! token, prints it once and appends its line):
//!
//! ```text
//! # name   role   SHA-256 of the token
//! alice    write  sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
//! ```
//!
//! The roles nest: `read` may read (needed only on a private server), `write` may also load
//! and retract reports, `admin` may also run SPARQL updates, write through the Graph Store
//! Protocol and take backups. [`Keyring`] keeps the tokens in force and reads the file again
//! when asked (on SIGHUP): a file that no longer reads leaves the tokens as they were.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// What an account may do; each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read pages, queries and exports (on a private server, where reading needs a token).
    Read,
    /// Also load and retract reports.
    Write,
    /// Also run SPARQL updates, write through the Graph Store Protocol, take backups.
    Admin,
}

impl Role {
    /// The role's name in a tokens file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// What the role lets an account do, for messages.
    pub fn grants(self) -> &'static str {
        match self {
            Self::Read => "reading",
            Self::Write => "loading and retracting reports",
            Self::Admin => "SPARQL updates, Graph Store writes and backups",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One account: a name (letters, digits, `.`, `_`, `-`; at most 64) and a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub role: Role,
}

impl Account {
    /// The account's IRI, which report revisions it loaded are attributed to.
    pub fn iri(&self) -> oxigraph::model::NamedNode {
        oxigraph::model::NamedNode::new_unchecked(format!(
            "{}{}",
            crate::vocab::ACCOUNT_NAMESPACE,
            self.name
        ))
    }
}

/// The name of the account of the single token given by `--write-token`.
pub const COMMAND_LINE_ACCOUNT: &str = "write-token";

/// Whether `name` may name an account: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
pub fn is_account_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("cannot read the tokens file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0} holds no account: add one with `spyatlas token NAME --role write --file FILE`")]
    Empty(PathBuf),
}

/// The accounts, found by the hash of their token.
#[derive(Debug, Default)]
pub struct Tokens {
    by_hash: HashMap<[u8; 32], Account>,
}

impl Tokens {
    /// One account, `admin`, for the token given on the command line.
    pub fn single(token: &str) -> Self {
        let mut by_hash = HashMap::new();
        by_hash.insert(
            digest(token),
            Account {
                name: COMMAND_LINE_ACCOUNT.into(),
                role: Role::Admin,
            },
        );
        Self { by_hash }
    }

    /// Reads the text of a tokens file (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, TokensError> {
        let mut by_hash = HashMap::new();
        let mut names = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let failed = |message: String| TokensError::Line {
                path: path.to_owned(),
                line: number,
                message,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, role, hash] = fields.as_slice() else {
                return Err(failed(format!(
                    "{} fields where three are needed: NAME ROLE sha256:HEX",
                    fields.len()
                )));
            };
            if !is_account_name(name) {
                return Err(failed(format!(
                    "`{name}` is not an account name: 1 to 64 letters, digits, `.`, `_` or `-`"
                )));
            }
            let role = Role::parse(role)
                .ok_or_else(|| failed(format!("`{role}` is not a role: read, write or admin")))?;
            let digest = hash
                .strip_prefix("sha256:")
                .and_then(parse_hex)
                .ok_or_else(|| {
                    failed(format!(
                        "`{hash}` is not a token hash: `sha256:` and 64 hexadecimal digits (the file holds hashes, never tokens; `spyatlas token` writes the line)"
                    ))
                })?;
            if let Some(first) = names.insert((*name).to_owned(), number) {
                return Err(failed(format!(
                    "the account `{name}` is named twice (first on line {first})"
                )));
            }
            if by_hash
                .insert(
                    digest,
                    Account {
                        name: (*name).to_owned(),
                        role,
                    },
                )
                .is_some()
            {
                return Err(failed(
                    "this token is given to another account too: give each account its own".into(),
                ));
            }
        }
        if by_hash.is_empty() {
            return Err(TokensError::Empty(path.to_owned()));
        }
        Ok(Self { by_hash })
    }

    /// Reads a tokens file.
    pub fn read(path: &Path) -> Result<Self, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The account whose token is `presented`.
    pub fn find(&self, presented: &str) -> Option<&Account> {
        self.by_hash.get(&digest(presented))
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// The tokens in force, and the file they come from (none for `--write-token`).
#[derive(Debug)]
pub struct Keyring {
    file: Option<PathBuf>,
    tokens: RwLock<Arc<Tokens>>,
}

impl Keyring {
    /// The accounts of a tokens file.
    pub fn from_file(path: &Path) -> Result<Self, TokensError> {
        Ok(Self {
            tokens: RwLock::new(Arc::new(Tokens::read(path)?)),
            file: Some(path.to_owned()),
        })
    }

    /// One `admin` account for one token.
    pub fn single(token: &str) -> Self {
        Self {
            file: None,
            tokens: RwLock::new(Arc::new(Tokens::single(token))),
        }
    }

    /// The tokens in force.
    pub fn tokens(&self) -> Arc<Tokens> {
        self.tokens
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Reads the tokens file again; on an error the tokens in force stay. Answers how
    /// many accounts there are now.
    pub fn reload(&self) -> Result<usize, TokensError> {
        let Some(file) = &self.file else {
            return Ok(self.tokens().len());
        };
        let tokens = Tokens::read(file)?;
        let count = tokens.len();
        *self
            .tokens
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(tokens);
        Ok(count)
    }

    /// The tokens file, if the accounts come from one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

/// Whether two tokens are the same, compared without stopping at the first difference, so
/// that answer times do not tell how much of a guess was right.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// A new token: 32 bytes from the system's random source, as 64 hexadecimal digits.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex(&bytes))
}

/// The line of a tokens file for an account with the token `token`.
pub fn line(name: &str, role: Role, token: &str) -> String {
    format!("{name} {} sha256:{}", role.name(), hex(&digest(token)))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(lines: &[String]) -> String {
        lines.join("\n")
    }

    #[test]
    fn accounts_are_found_by_their_token_only() {
        let text = file(&[
            "# the newsroom".into(),
            line("alice", Role::Write, "alice-token"),
            String::new(),
            line("ops", Role::Admin, "ops-token"),
        ]);
        let tokens = Tokens::parse(&text, Path::new("tokens")).unwrap();
        assert_eq!(tokens.len(), 2);
        let alice = tokens.find("alice-token").unwrap();
        assert_eq!((alice.name.as_str(), alice.role), ("alice", Role::Write));
        assert_eq!(tokens.find("ops-token").unwrap().role, Role::Admin);
        assert!(tokens.find("alice").is_none());
        assert!(tokens.find("").is_none());
        // The file never holds the token itself.
        assert!(!text.contains("alice-token"));
    }

    #[test]
    fn each_kind_of_bad_line_is_named_with_its_number() {
        let good = line("alice", Role::Write, "t1");
        let cases = [
            ("alice write".to_owned(), "three are needed"),
            (line("al ice", Role::Read, "t2"), "fields"),
            (line("al/ice", Role::Read, "t2"), "not an account name"),
            (good.replace("write", "owner"), "not a role"),
            ("alice write s3cret".to_owned(), "not a token hash"),
            ("alice write sha256:abc".to_owned(), "not a token hash"),
            (line("alice", Role::Read, "t2"), "named twice"),
            (line("bob", Role::Read, "t1"), "another account"),
        ];
        for (bad, expected) in cases {
            let text = format!("# header\n{good}\n{bad}\n");
            let error = Tokens::parse(&text, Path::new("tokens.txt"))
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("tokens.txt, line 3: "), "{bad}: {error}");
            assert!(error.contains(expected), "{bad}: {error}");
        }
        assert!(matches!(
            Tokens::parse("# nobody\n", Path::new("t")),
            Err(TokensError::Empty(_))
        ));
    }

    #[test]
    fn roles_nest() {
        assert!(Role::Admin > Role::Write && Role::Write > Role::Read);
    }

    #[test]
    fn a_reload_that_fails_keeps_the_tokens_in_force() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tokens");
        std::fs::write(&path, line("alice", Role::Write, "one")).unwrap();
        let keyring = Keyring::from_file(&path).unwrap();
        std::fs::write(&path, "alice write not-a-hash").unwrap();
        assert!(keyring.reload().is_err());
        assert!(keyring.tokens().find("one").is_some());
        std::fs::write(&path, line("bob", Role::Admin, "two")).unwrap();
        assert_eq!(keyring.reload().unwrap(), 1);
        assert!(keyring.tokens().find("one").is_none());
        assert_eq!(keyring.tokens().find("two").unwrap().name, "bob");
    }

    #[test]
    fn new_tokens_differ_and_are_long() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
