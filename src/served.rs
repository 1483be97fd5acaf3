//! The server that holds a store, as the command line finds and asks it.
//!
//! One process at a time may open a store for writing, and `spyatlas serve` keeps it for
//! as long as it runs; opening it read-only beside a writer is not safe either (RocksDB
//! may remove files the reader still maps). So the server writes where it listens into
//! the store's folder ([`Announcement`]), and `spyatlas query` and `spyatlas dump` ask it
//! over HTTP (the SPARQL Protocol and the Graph Store Protocol) instead of opening the
//! store themselves.

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

/// Where a running server listens, written into its store's folder when it starts and
/// removed when it stops.
pub struct Announcement {
    path: PathBuf,
}

impl Announcement {
    /// Writes the address `address` of the server of the store in `data`.
    pub fn write(data: &Path, address: SocketAddr) -> io::Result<Self> {
        let path = data.join(SERVER_FILE);
        std::fs::write(
            &path,
            format!("{address}\n{}\n", std::process::id()).as_bytes(),
        )?;
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

/// Gets `path` (with its query string) and writes the answer, in the media type `accept`,
/// to `out`.
pub fn get(
    address: SocketAddr,
    path: &str,
    accept: &str,
    out: &mut dyn Write,
) -> Result<(), ClientError> {
    let request = Request::get(path)
        .header(hyper::header::HOST, address.to_string())
        .header(hyper::header::ACCEPT, accept)
        .body(Full::new(Bytes::new()))
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

/// Writes every quad the server holds as N-Quads: its default graph, then each named graph
/// (read with the Graph Store Protocol as N-Triples, each line given the graph's name).
pub fn dump(address: SocketAddr, out: &mut dyn Write) -> Result<(), ClientError> {
    let mut names = Vec::new();
    query(
        address,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
        "text/tab-separated-values",
        &mut names,
    )?;
    get(address, "/store?default", "application/n-triples", out)?;
    for name in String::from_utf8_lossy(&names).lines().skip(1) {
        // Blank node graph names cannot be asked for by name.
        let Some(iri) = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) else {
            continue;
        };
        let path = format!(
            "/store?graph={}",
            form_urlencoded::byte_serialize(iri.as_bytes()).collect::<String>()
        );
        let mut named = NamedGraphWriter {
            out: &mut *out,
            graph: name,
            line: Vec::new(),
        };
        get(address, &path, "application/n-triples", &mut named)?;
        named.finish()?;
    }
    Ok(())
}

/// Turns N-Triples lines into N-Quads lines of one graph as they stream through.
struct NamedGraphWriter<'a> {
    out: &'a mut dyn Write,
    graph: &'a str,
    line: Vec<u8>,
}

impl NamedGraphWriter<'_> {
    fn write_line(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        let text = line.trim_ascii();
        if let Some(triple) = text.strip_suffix(b".") {
            self.out.write_all(triple.trim_ascii_end())?;
            write!(self.out, " {} .", self.graph)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.write_line()?;
        }
        Ok(())
    }
}

impl Write for NamedGraphWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for &byte in bytes {
            if byte == b'\n' {
                self.write_line()?;
            } else {
                self.line.push(byte);
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announced_address_is_read_back_and_removed_on_drop() {
        let folder = tempfile::tempdir().unwrap();
        let announced =
            Announcement::write(folder.path(), "0.0.0.0:7878".parse().unwrap()).unwrap();
        assert_eq!(
            address(folder.path()),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        drop(announced);
        assert_eq!(address(folder.path()), None);
    }

    #[test]
    fn n_triples_lines_become_quads_of_the_graph() {
        let mut out = Vec::new();
        let mut writer = NamedGraphWriter {
            out: &mut out,
            graph: "<http://g>",
            line: Vec::new(),
        };
        writer
            .write_all(b"<http://s> <http://p> \"a . b\" .\n<http://s> <http://p> <http://o> .")
            .unwrap();
        writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<http://s> <http://p> \"a . b\" <http://g> .\n<http://s> <http://p> <http://o> <http://g> .\n"
        );
    }
}
