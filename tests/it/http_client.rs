//! A tiny blocking HTTP/1.1 client over [`std::net::TcpStream`].
//!
//! The conformance tests need byte-exact control over the request line: some
//! W3C tests send raw sequences such as `%2531` in the query string and check
//! that the server decodes them exactly once. General-purpose clients tend to
//! normalise or re-encode the target, so this client writes `path_and_query`
//! verbatim.
//!
//! Every request is sent with `Connection: close` on a fresh connection. The
//! response body is framed by `Transfer-Encoding: chunked`, by
//! `Content-Length`, or by the end of the stream, and is always empty for
//! `HEAD` requests and for `1xx`/`204`/`304` responses. Any I/O or protocol
//! failure panics with a message naming the request.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long to wait for the server before giving up on a read or a write.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code, e.g. `200`.
    pub status: u16,
    /// The header fields in the order the server sent them; names keep their
    /// original case.
    pub headers: Vec<(String, String)>,
    /// The decoded body (chunked transfer coding removed).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body decoded as UTF-8, with invalid sequences replaced by U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request and reads the whole response.
///
/// `base_url` is `http://host:port` (a trailing path is ignored); the request
/// target is `path_and_query`, written exactly as given. A `Host` header is
/// derived from `base_url` unless `headers` already has one, `Content-Length`
/// is added when there is a body or the method is `POST`/`PUT` (unless
/// `headers` already has one), and `Connection: close` is always sent.
///
/// # Panics
///
/// On connection, I/O or HTTP framing errors.
pub fn send(
    base_url: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let context = format!("{method} {base_url}{path_and_query}");
    let authority = authority_of(base_url);

    let mut stream = TcpStream::connect(authority)
        .unwrap_or_else(|e| panic!("{context}: cannot connect to {authority}: {e}"));
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .unwrap_or_else(|e| panic!("{context}: cannot set the read timeout: {e}"));
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .unwrap_or_else(|e| panic!("{context}: cannot set the write timeout: {e}"));

    let request = serialize_request(authority, method, path_and_query, headers, body);
    stream
        .write_all(&request)
        .unwrap_or_else(|e| panic!("{context}: cannot write the request: {e}"));
    stream
        .flush()
        .unwrap_or_else(|e| panic!("{context}: cannot flush the request: {e}"));

    let mut reader = BufReader::new(stream);
    read_response(&mut reader, method.eq_ignore_ascii_case("HEAD"), &context)
}

/// Extracts `host:port` from `http://host:port/...`.
fn authority_of(base_url: &str) -> &str {
    let without_scheme = base_url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("only http:// base URLs are supported, got {base_url:?}"));
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or(without_scheme);
    assert!(
        !authority.is_empty(),
        "the base URL {base_url:?} has no host"
    );
    authority
}

/// Builds the request head and body as raw bytes.
fn serialize_request(
    authority: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let has_header = |name: &str| {
        headers
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(name))
    };

    let mut head = format!("{method} {path_and_query} HTTP/1.1\r\n");
    if !has_header("host") {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let needs_length = !body.is_empty()
        || method.eq_ignore_ascii_case("POST")
        || method.eq_ignore_ascii_case("PUT");
    if needs_length && !has_header("content-length") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if !has_header("connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");

    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

/// Reads a status line, the header fields and the body.
fn read_response(reader: &mut impl BufRead, is_head: bool, context: &str) -> HttpResponse {
    loop {
        let status_line = read_line(reader, context, "the status line");
        let status = parse_status_line(&status_line, context);
        let headers = read_headers(reader, context);

        // Interim responses (e.g. `100 Continue`) are followed by the real one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }

        let has_no_body = is_head || (100..200).contains(&status) || status == 204 || status == 304;
        let body = if has_no_body {
            Vec::new()
        } else {
            read_body(reader, &headers, context)
        };
        return HttpResponse {
            status,
            headers,
            body,
        };
    }
}

/// Parses `HTTP/1.1 200 OK` into `200`.
fn parse_status_line(line: &str, context: &str) -> u16 {
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    assert!(
        version.starts_with("HTTP/"),
        "{context}: malformed status line {line:?}"
    );
    parts
        .next()
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{context}: malformed status line {line:?}"))
}

/// Reads header fields up to and including the empty line that ends them.
fn read_headers(reader: &mut impl BufRead, context: &str) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, context, "a header field");
        if line.is_empty() {
            return headers;
        }
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{context}: malformed header field {line:?}"));
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

/// Reads the body according to its framing.
fn read_body(reader: &mut impl BufRead, headers: &[(String, String)], context: &str) -> Vec<u8> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };

    let is_chunked = header("transfer-encoding").is_some_and(|value| {
        value
            .split(',')
            .any(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
    });
    if is_chunked {
        return read_chunked_body(reader, context);
    }

    let mut body = Vec::new();
    if let Some(length) = header("content-length") {
        let length: usize = length
            .parse()
            .unwrap_or_else(|e| panic!("{context}: invalid Content-Length {length:?}: {e}"));
        body.resize(length, 0);
        reader
            .read_exact(&mut body)
            .unwrap_or_else(|e| panic!("{context}: cannot read the {length}-byte body: {e}"));
    } else {
        // No framing: the body runs until the server closes the connection.
        reader
            .read_to_end(&mut body)
            .unwrap_or_else(|e| panic!("{context}: cannot read the body: {e}"));
    }
    body
}

/// Decodes a `Transfer-Encoding: chunked` body, discarding any trailer fields.
fn read_chunked_body(reader: &mut impl BufRead, context: &str) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(reader, context, "a chunk size");
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .unwrap_or_else(|e| panic!("{context}: invalid chunk size {size_line:?}: {e}"));
        if size == 0 {
            // Trailer fields, terminated by an empty line.
            read_headers(reader, context);
            return body;
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .unwrap_or_else(|e| panic!("{context}: cannot read a {size}-byte chunk: {e}"));
        let terminator = read_line(reader, context, "the end of a chunk");
        assert!(
            terminator.is_empty(),
            "{context}: chunk not followed by CRLF but by {terminator:?}"
        );
    }
}

/// Reads one CRLF- (or LF-) terminated line, without its terminator.
fn read_line(reader: &mut impl BufRead, context: &str, what: &str) -> String {
    let mut line = Vec::new();
    let read = reader
        .read_until(b'\n', &mut line)
        .unwrap_or_else(|e| panic!("{context}: cannot read {what}: {e}"));
    assert!(
        read > 0,
        "{context}: the connection was closed before {what}"
    );
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8_lossy(&line).into_owned()
}
