#!/usr/bin/env python3
"""Small helpers for bench/run.sh (standard library only).

Subcommands:

  measure   warm-up, then N sequential GET requests of one query through one
            keep-alive HTTP/1.1 connection; prints median / p99 and appends a
            tab-separated result line to --out.
  wait      polls an endpoint with `ASK {}` until it answers 200 (bounded by
            --timeout seconds; fails early if --pid dies).
  url       prints the GET URL of a query file (for wrk).
  free-ports prints N distinct free TCP ports of 127.0.0.1.

Only loopback URLs are accepted: the benchmark never talks to another host.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import re
import socket
import statistics
import sys
import time
import urllib.parse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def die(msg: str) -> None:
    print(f"latency.py: {msg}", file=sys.stderr)
    sys.exit(2)


def split_url(url: str) -> tuple[str, int, str]:
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname not in LOOPBACK:
        die(f"refusing non-loopback or non-http URL {url!r}")
    return u.hostname, u.port or 80, u.path or "/"


def read_query(path: str) -> str:
    """The query text without full-line comments (a '#' inside an IRI stays)."""
    with open(path, encoding="utf-8") as f:
        lines = [ln.rstrip() for ln in f if not ln.lstrip().startswith("#")]
    return "\n".join(ln for ln in lines if ln).strip() + "\n"


def query_form(query: str) -> str:
    body = re.sub(r"(?im)^\s*(PREFIX|BASE)\s+[^\n]*$", "", query)
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    return m.group(1).upper() if m else "SELECT"


def accept_for(query: str, accept: str) -> str:
    if accept != "auto":
        return accept
    return GRAPH_ACCEPT if query_form(query) in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


def query_path(endpoint_path: str, query: str) -> str:
    return endpoint_path + "?query=" + urllib.parse.quote(query, safe="")


def canon_term(t: dict) -> str:
    kind = t.get("type")
    if kind == "bnode":
        return "_:"
    if kind == "typed-literal":
        kind = "literal"
    dt = t.get("datatype", "")
    if dt == XSD_STRING:
        dt = ""
    return f"{kind}|{t.get('value')}|{t.get('xml:lang', '').lower()}|{dt}"


def summarize(body: bytes, accept: str) -> tuple[int, str]:
    """(row or triple count, order-independent digest of the result)."""
    if accept == SELECT_ACCEPT:
        doc = json.loads(body)
        if "boolean" in doc:
            return 1, hashlib.sha256(str(doc["boolean"]).encode()).hexdigest()[:16]
        rows = sorted(
            "\t".join(f"{k}={canon_term(v)}" for k, v in sorted(b.items()))
            for b in doc["results"]["bindings"]
        )
    else:
        rows = sorted(
            re.sub(r"_:\S+", "_:", ln.strip())
            for ln in body.decode("utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")
        )
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def percentile(sorted_values: list[float], q: float) -> float:
    idx = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[idx]


def cmd_measure(a: argparse.Namespace) -> int:
    host, port, path = split_url(a.url)
    query = read_query(a.query_file)
    accept = accept_for(query, a.accept)
    target = query_path(path, query)
    headers = {"Accept": accept, "Connection": "keep-alive"}
    conn = http.client.HTTPConnection(host, port, timeout=a.timeout)
    reconnects = 0

    def one() -> tuple[float, bytes]:
        nonlocal reconnects
        t0 = time.perf_counter()
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        t1 = time.perf_counter()
        if resp.status != 200:
            die(f"{a.label} {a.name}: HTTP {resp.status}: {body[:300]!r}")
        if resp.will_close:
            reconnects += 1
            conn.close()  # http.client reconnects on the next request
        return (t1 - t0) * 1000.0, body

    body = b""
    for _ in range(max(1, a.warmup)):
        _, body = one()
    rows, digest = summarize(body, accept)

    deadline = time.monotonic() + a.max_seconds
    samples: list[float] = []
    for _ in range(a.requests):
        ms, _ = one()
        samples.append(ms)
        if time.monotonic() > deadline:
            print(f"  ({a.label} {a.name}: stopped after {len(samples)} requests, "
                  f"--max-seconds {a.max_seconds} reached)", file=sys.stderr)
            break
    conn.close()
    samples.sort()
    med = statistics.median(samples)
    p99 = percentile(samples, 0.99)
    note = f", {reconnects} reconnects (no keep-alive?)" if reconnects else ""
    print(f"  {a.label:<9} {a.name:<18} median {med:8.3f} ms   p99 {p99:8.3f} ms   "
          f"n={len(samples)}  {rows} rows  {len(body)} bytes{note}")
    if a.out:
        with open(a.out, "a", encoding="utf-8") as f:
            f.write("\t".join([
                "latency", a.label, a.name, f"{med:.4f}", f"{p99:.4f}", str(len(samples)),
                str(rows), str(len(body)), digest,
            ]) + "\n")
    return 0


def cmd_wait(a: argparse.Namespace) -> int:
    host, port, path = split_url(a.url)
    target = query_path(path, "ASK {}")
    deadline = time.monotonic() + a.timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if a.pid:
            try:
                os.kill(a.pid, 0)
            except ProcessLookupError:
                die(f"server process {a.pid} exited before answering on {a.url}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", target, headers={"Accept": SELECT_ACCEPT})
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return 0
            last = f"HTTP {resp.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    die(f"{a.url} did not answer within {a.timeout}s ({last})")
    return 1


def cmd_url(a: argparse.Namespace) -> int:
    host, port, path = split_url(a.url)
    hostpart = f"[{host}]" if ":" in host else host
    print(f"http://{hostpart}:{port}{query_path(path, read_query(a.query_file))}")
    return 0


def cmd_accept(a: argparse.Namespace) -> int:
    print(accept_for(read_query(a.query_file), "auto"))
    return 0


def cmd_free_ports(a: argparse.Namespace) -> int:
    socks = []
    try:
        for _ in range(a.n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description="bench/run.sh helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)

    m = sub.add_parser("measure", help="sequential keep-alive latency of one query")
    m.add_argument("--url", required=True, help="endpoint, e.g. http://127.0.0.1:7878/query")
    m.add_argument("--query-file", required=True)
    m.add_argument("--name", default=None, help="query name (default: file name)")
    m.add_argument("--label", default="server", help="server name for the output")
    m.add_argument("--accept", default="auto", help="Accept header (auto: JSON results, N-Triples for CONSTRUCT)")
    m.add_argument("--requests", type=int, default=200)
    m.add_argument("--warmup", type=int, default=5)
    m.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request, seconds")
    m.add_argument("--max-seconds", type=float, default=120.0, help="stop the timed loop after this long")
    m.add_argument("--out", default=None, help="append a TSV result line to this file")
    m.set_defaults(func=cmd_measure)

    w = sub.add_parser("wait", help="wait until an endpoint answers ASK {}")
    w.add_argument("--url", required=True)
    w.add_argument("--timeout", type=float, default=120.0)
    w.add_argument("--pid", type=int, default=0)
    w.set_defaults(func=cmd_wait)

    u = sub.add_parser("url", help="print the GET URL of a query")
    u.add_argument("--url", required=True)
    u.add_argument("--query-file", required=True)
    u.set_defaults(func=cmd_url)

    c = sub.add_parser("accept", help="print the Accept header used for a query")
    c.add_argument("--query-file", required=True)
    c.set_defaults(func=cmd_accept)

    f = sub.add_parser("free-ports", help="print N distinct free ports of 127.0.0.1")
    f.add_argument("n", type=int, nargs="?", default=1)
    f.set_defaults(func=cmd_free_ports)

    a = ap.parse_args()
    if getattr(a, "name", "x") is None:
        a.name = os.path.splitext(os.path.basename(a.query_file))[0]
    if getattr(a, "requests", 1) < 1:
        die("--requests must be at least 1")
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
