//! The server that holds a store, as the command line finds and asks it.
//!
//! One process at a time may open a store for writing, and `spyatlas serve` keeps it for
//! as long as it runs; opening it read-only beside a writer is not safe either (RocksDB
//! may remove files the reader still maps). So the server writes where it listens into
//! the store's folder ([`Announcement`]), and `spyatlas query` asks it over HTTP (the
//! SPARQL Protocol) instead of opening the store itself; `spyatlas backup` and `spyatlas
//! dump` ask it for a backup (`POST /api/admin/backup`), with the token it writes there
//! too, readable by the folder's owner only: whoever may read the store's files may copy
//! them.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// The file, in a store's folder, that says where its server listens.
pub const SERVER_FILE: &str = "spyatlas-server";

/// Everything asking the server can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached.
    #[error("cannot reach the server at {address}: {source}")]
    Connect {
        address: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// The server answered with an error.
    #[error("the server answered {status}: {message}")]
    Status {
        status: hyper::StatusCode,
        message: String,
    },
    /// The exchange broke off.
    #[error("talking to the server: {0}")]
    Http(#[from] hyper::Error),
    /// Writing the answer out failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Where a running server listens, its process and its local token, written into its
/// store's folder when it starts and removed when it stops.
pub struct Announcement {
    path: PathBuf,
}

impl Announcement {
    /// Writes the address `address` and the local token `token` of the server of the store
    /// in `data`, in a file only its owner may read.
    pub fn write(data: &Path, address: SocketAddr, token: &str) -> io::Result<Self> {
        let path = data.join(SERVER_FILE);
        let _ = std::fs::remove_file(&path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)?
            .write_all(format!("{address}\n{}\n{token}\n", std::process::id()).as_bytes())?;
        Ok(Self { path })
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The address of the server that says it holds the store in `data`; a server listening
/// on every interface is reached on the loopback one.
pub fn address(data: &Path) -> Option<SocketAddr> {
    let text = std::fs::read_to_string(data.join(SERVER_FILE)).ok()?;
    let mut address: SocketAddr = text.lines().next()?.trim().parse().ok()?;
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Some(address)
}

/// The local token of the server of the store in `data`.
pub fn local_token(data: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data.join(SERVER_FILE)).ok()?;
    text.lines()
        .nth(2)
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

/// Asks the server to back its store up into the new folder `target` (an absolute path),
/// with the local token `token`.
pub fn backup(address: SocketAddr, token: &str, target: &Path) -> Result<(), ClientError> {
    let body = serde_json::json!({ "target": target.to_string_lossy() }).to_string();
    let request = Request::post("/api/admin/backup")
        .header(hyper::header::HOST, address.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    exchange(address, request, &mut io::sink())
}

/// Sends a SPARQL query and writes the answer, in the media type `accept`, to `out`.
pub fn query(
    address: SocketAddr,
    text: &str,
    accept: &str,
    out: &mut dyn Write,
) -> Result<(), ClientError> {
    let request = Request::post("/sparql")
        .header(hyper::header::HOST, address.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/sparql-query")
        .header(hyper::header::ACCEPT, accept)
        .body(Full::new(Bytes::from(text.to_owned())))
        .expect("a valid request");
    exchange(address, request, out)
}

fn exchange(
    address: SocketAddr,
    request: Request<Full<Bytes>>,
    out: &mut dyn Write,
) -> Result<(), ClientError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|source| ClientError::Connect { address, source })?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let connection = tokio::spawn(connection);
        let response = sender.send_request(request).await?;
        let status = response.status();
        let mut body = response.into_body();
        if !status.is_success() {
            let message = body.collect().await?.to_bytes();
            return Err(ClientError::Status {
                status,
                message: String::from_utf8_lossy(&message).trim().to_owned(),
            });
        }
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                out.write_all(data)?;
            }
        }
        drop(sender);
        let _ = connection.await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announced_address_is_read_back_and_removed_on_drop() {
        let folder = tempfile::tempdir().unwrap();
        let announced =
            Announcement::write(folder.path(), "0.0.0.0:7878".parse().unwrap(), "t0ken").unwrap();
        assert_eq!(
            address(folder.path()),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        assert_eq!(local_token(folder.path()).as_deref(), Some("t0ken"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = folder.path().join(SERVER_FILE);
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        drop(announced);
        assert_eq!(address(folder.path()), None);
    }
}
