#!/usr/bin/env python3
"""Helpers of bench/scale/run.sh (standard library only).

Every measurement appends one JSON line to --out (the run's results file):
    {"system": S, "figure": F, ...numbers...}
and `report` turns that file into the tables and results-N.json.

Subcommands:

  rusage     runs a command, then appends its peak RSS (ru_maxrss) as a figure;
             forwards TERM/INT to it; exits with its status.
  record     appends one figure given on the command line.
  wait-spyatlas
             waits for /health, then until /api/search and /api/statistics
             answer "complete": true (the indexes are built in the background).
  wait-sparql
             waits until a SPARQL endpoint answers `ASK {}`.
  count      SELECT (COUNT(*)) over one named graph; prints it, fails when it is
             not --expect.
  sparql     sequential keep-alive latency of one query (median, p95).
  pages      entity pages GET /id/person-N (text/html), N random and distinct.
  search     /api/search for the English labels of random generated entities.
  paths      /api/path between random person and vendor pairs (max=6).
  statistics GET /api/statistics.
  report     prints the markdown tables, writes results-N.json, and the growth
             table against the results of another size.

Only loopback URLs are accepted: the benchmark never talks to another host.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import http.client
import json
import os
import random
import re
import signal
import statistics as stats
import subprocess
import sys
import time
import urllib.parse

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, BENCH_DIR)
sys.dont_write_bytecode = True  # no __pycache__ left in bench/
import generate  # noqa: E402  (bench/generate.py: the sizes of its classes)
import latency  # noqa: E402  (bench/latency.py: query files, Accept, URL checks)

ID = "https://w3id.org/spyatlas/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SYSTEMS = ("spyatlas", "oxigraph", "virtuoso", "virtuoso-xml")
# Column titles of the tables.
TITLES = {"virtuoso-xml": "virtuoso, XML results"}


def die(msg: str) -> None:
    print(f"scale/measure.py: {msg}", file=sys.stderr)
    sys.exit(2)


def append(path: str, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def pct(values: list[float], q: float) -> float:
    return latency.percentile(sorted(values), q)


class Client:
    """One keep-alive HTTP/1.1 connection to a loopback server; times each request
    from sending it to reading the last byte of the body."""

    def __init__(self, base: str, timeout: float):
        self.host, self.port, self.path = latency.split_url(base)
        self.path = self.path.rstrip("/")
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(self, target: str, accept: str) -> tuple[float, int, str, bytes]:
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", target, headers={"Accept": accept, "Connection": "keep-alive"})
            resp = self.conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as e:
            die(f"GET {target[:200]}: {e}")
        ms = (time.perf_counter() - t0) * 1000.0
        if resp.will_close:
            self.conn.close()  # http.client reconnects on the next request
        return ms, resp.status, resp.getheader("Content-Type", ""), body

    def close(self) -> None:
        self.conn.close()


# ------------------------------------------------------------------ rusage ---
def cmd_rusage(a: argparse.Namespace) -> int:
    if not a.command:
        die("rusage: no command")
    cmd = a.command[1:] if a.command[0] == "--" else a.command
    proc = subprocess.Popen(cmd)

    def forward(signum, _frame):
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        append(a.out, {"system": a.system, "figure": a.figure, "kb": usage.ru_maxrss})
    return code if code >= 0 else 128 - code


def cmd_record(a: argparse.Namespace) -> int:
    rec = {"system": a.system, "figure": a.figure}
    for kv in a.values:
        k, _, v = kv.partition("=")
        try:
            rec[k] = int(v)
        except ValueError:
            try:
                rec[k] = float(v)
            except ValueError:
                rec[k] = v
    append(a.out, rec)
    return 0


# ------------------------------------------------------------------- waits ---
def alive(pid: int) -> bool:
    if not pid:
        return True
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def poll(base: str, target: str, accept: str, timeout: float) -> tuple[int, bytes] | None:
    host, port, _ = latency.split_url(base)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("GET", target, headers={"Accept": accept})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, body
    except (OSError, http.client.HTTPException):
        return None


def cmd_wait_spyatlas(a: argparse.Namespace) -> int:
    base = a.base.rstrip("/")
    deadline = time.monotonic() + a.timeout
    steps = [
        ("/health", "*/*", lambda body: True),
        ("/api/search?q=warm", "application/json", lambda body: json.loads(body).get("complete") is True),
        ("/api/statistics", "application/json", lambda body: json.loads(body).get("complete") is True),
        # The network of links /api/path walks (any two generated entities will do).
        ("/api/path?from=person-1&to=vendor-1&max=1", "application/json",
         lambda body: json.loads(body).get("complete") is True),
    ]
    t0 = time.monotonic()
    for target, accept, ready in steps:
        last = "no answer"
        while True:
            if not alive(a.pid):
                die(f"spyatlas (pid {a.pid}) exited while waiting for {target}")
            if time.monotonic() > deadline:
                die(f"spyatlas: {target} not ready within {a.timeout:.0f} s ({last})")
            got = poll(base, target, accept, 60)
            if got is not None:
                status, body = got
                try:
                    if status == 200 and ready(body):
                        break
                except ValueError:
                    pass
                last = f"HTTP {status}: {body[:120]!r}"
            time.sleep(0.2)
        print(f"  {target}: ready {time.monotonic() - t0:.1f} s after the start of the wait")
    return 0


def cmd_wait_sparql(a: argparse.Namespace) -> int:
    _, _, path = latency.split_url(a.url)
    target = latency.query_path(path, "ASK {}")
    deadline = time.monotonic() + a.timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive(a.pid):
            die(f"server (pid {a.pid}) exited before answering on {a.url}")
        got = poll(a.url, target, latency.SELECT_ACCEPT, 10)
        if got is not None:
            if got[0] == 200:
                return 0
            last = f"HTTP {got[0]}: {got[1][:200]!r}"
        time.sleep(0.2)
    die(f"{a.url} did not answer ASK {{}} within {a.timeout:.0f} s ({last})")
    return 1


def cmd_count(a: argparse.Namespace) -> int:
    _, _, path = latency.split_url(a.url)
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{a.graph}> {{ ?s ?p ?o }} }}"
    client = Client(a.url, a.timeout)
    ms, status, _, body = client.get(latency.query_path(path, query), latency.SELECT_ACCEPT)
    client.close()
    if status != 200:
        die(f"count on {a.url}: HTTP {status}: {body[:300]!r}")
    n = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    print(f"  {n} triples in <{a.graph}> ({ms / 1000:.1f} s to count)")
    if a.expect and n != a.expect:
        die(f"{a.url}: {n} triples in <{a.graph}>, expected {a.expect}: the load is incomplete")
    return 0


# ------------------------------------------------------------------ sparql ---
NT_TERM = re.compile(r'<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?')


def canon_nt_line(line: str) -> str:
    """One N-Triples line with its terms joined by one space (servers differ in
    whitespace), blank nodes blanked, xsd:string dropped, language tags lowercased."""
    terms = []
    for t in NT_TERM.findall(line):
        if t.startswith("_:"):
            t = "_:"
        elif t.startswith('"'):
            if t.endswith(f"^^<{latency.XSD_STRING}>"):
                t = t[: -len(f"^^<{latency.XSD_STRING}>")]
            m = re.search(r"@([A-Za-z0-9-]+)$", t)
            if m:
                t = t[: m.start()] + "@" + m.group(1).lower()
        terms.append(t)
    return " ".join(terms)


XML_ACCEPT = "application/sparql-results+xml"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def summarize_xml(body: bytes) -> tuple[int, str]:
    """Rows and digest of SPARQL XML results, the same as latency.summarize gives for
    the same results in JSON."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    boolean = root.find(f"{SRX}boolean")
    if boolean is not None:
        value = (boolean.text or "").strip() == "true"
        return 1, hashlib.sha256(str(value).encode()).hexdigest()[:16]
    rows = []
    for result in root.iter(f"{SRX}result"):
        cells = {}
        for b in result.findall(f"{SRX}binding"):
            term = b[0]
            kind = term.tag[len(SRX):]
            t = {"type": kind, "value": term.text or ""}
            if kind == "literal":
                if term.get(XML_LANG):
                    t["xml:lang"] = term.get(XML_LANG)
                if term.get("datatype"):
                    t["datatype"] = term.get("datatype")
            cells[b.get("name")] = latency.canon_term(t)
        rows.append("\t".join(f"{k}={v}" for k, v in sorted(cells.items())))
    rows.sort()
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def summarize(body: bytes, accept: str) -> tuple[int, str]:
    if accept == latency.SELECT_ACCEPT:
        return latency.summarize(body, accept)
    if accept == XML_ACCEPT:
        return summarize_xml(body)
    rows = sorted(
        canon_nt_line(ln)
        for ln in body.decode("utf-8").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    )
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def cmd_sparql(a: argparse.Namespace) -> int:
    _, _, path = latency.split_url(a.url)
    query = latency.read_query(a.query_file)
    graph_query = latency.query_form(query) in ("CONSTRUCT", "DESCRIBE")
    if a.accept == "xml":
        if graph_query:
            return 0  # the XML pass is about SELECT results; a CONSTRUCT is the same either way
        accept = XML_ACCEPT
    else:
        accept = latency.accept_for(query, "auto")
    target = latency.query_path(path, query)
    client = Client(a.url, a.timeout)

    def one() -> tuple[float, bytes]:
        ms, status, _, body = client.get(target, accept)
        if status != 200:
            die(f"{a.system} {a.name}: HTTP {status}: {body[:300]!r}")
        return ms, body

    # Warm-up: at least one request (its result is the one counted and digested); the
    # others are skipped once the warm-up has taken a quarter of the time cap (a query of
    # many seconds at 10M triples is not made faster by three rounds of it).
    body = b""
    started = time.monotonic()
    for i in range(max(1, a.warmup)):
        if i and time.monotonic() - started > a.max_seconds / 4:
            break
        _, body = one()
    rows, digest = summarize(body, accept)
    samples: list[float] = []
    deadline = time.monotonic() + a.max_seconds
    capped = False
    for _ in range(a.requests):
        ms, _ = one()
        samples.append(ms)
        if time.monotonic() > deadline:
            capped = len(samples) < a.requests
            break
    client.close()
    med, p95 = stats.median(samples), pct(samples, 0.95)
    note = f"  (stopped after {len(samples)}: {a.max_seconds:.0f} s cap)" if capped else ""
    print(f"  {a.system:<12} {a.name:<22} median {med:9.3f} ms   p95 {p95:9.3f} ms   "
          f"n={len(samples)}  {rows} rows{note}")
    append(a.out, {"system": a.system, "figure": f"query:{a.name}", "median_ms": med, "p95_ms": p95,
                   "n": len(samples), "planned": a.requests, "rows": rows, "digest": digest, "bytes": len(body)})
    return 0


# -------------------------------------------------------- spyatlas extras ---
def persons(triples: int) -> int:
    """How many persons generate.py writes for this size (all of them complete:
    persons come before the incidents that fill the budget)."""
    return max(2000, round(generate.PERSONS_PER_MILLION * triples / 1_000_000))


def organizations(triples: int) -> int:
    return max(500, round(generate.ORGS_PER_MILLION * triples / 1_000_000))


class Cap:
    """The time cap of one loop of requests (--max-seconds)."""

    def __init__(self, name: str, seconds: float, planned: int):
        self.name, self.seconds, self.planned = name, seconds, planned
        self.deadline = time.monotonic() + seconds

    def reached(self, done: int) -> bool:
        if time.monotonic() <= self.deadline or done >= self.planned:
            return False
        print(f"  ({self.name}: stopped after {done} of {self.planned} requests, "
              f"{self.seconds:.0f} s cap)", file=sys.stderr)
        return True


def summary(name: str, samples: list[float], out: str, planned: int, **extra) -> None:
    rec = {"system": "spyatlas", "figure": name, "n": len(samples), "planned": planned,
           "p50_ms": pct(samples, 0.50), "p95_ms": pct(samples, 0.95),
           "p99_ms": pct(samples, 0.99), "max_ms": max(samples)}
    rec.update(extra)
    more = "".join(f"  {k}={v}" for k, v in extra.items())
    print(f"  {name:<12} p50 {rec['p50_ms']:9.3f} ms   p95 {rec['p95_ms']:9.3f} ms   "
          f"p99 {rec['p99_ms']:9.3f} ms   n={len(samples)}{more}")
    append(out, rec)


def cmd_pages(a: argparse.Namespace) -> int:
    rng = random.Random(a.seed)
    ns = rng.sample(range(1, persons(a.triples) + 1), a.count)
    client = Client(a.base, a.timeout)
    samples = []
    cap = Cap("entity pages", a.max_seconds, len(ns))
    for n in ns:
        ms, status, ctype, body = client.get(f"/id/person-{n}", "text/html")
        if status != 200 or "text/html" not in ctype:
            die(f"GET /id/person-{n}: HTTP {status} {ctype}: {body[:200]!r}")
        samples.append(ms)
        if cap.reached(len(samples)):
            break
    client.close()
    summary("entity-page", samples, a.out, len(ns))
    return 0


def sparql_labels(sparql_url: str, iris: list[str], timeout: float) -> dict[str, str]:
    _, _, path = latency.split_url(sparql_url)
    values = " ".join(f"<{i}>" for i in iris)
    query = (f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s <{RDFS_LABEL}> ?l "
             f'FILTER(LANGMATCHES(LANG(?l), "en")) }}')
    client = Client(sparql_url, timeout)
    _, status, _, body = client.get(latency.query_path(path, query), latency.SELECT_ACCEPT)
    client.close()
    if status != 200:
        die(f"labels query: HTTP {status}: {body[:300]!r}")
    return {b["s"]["value"]: b["l"]["value"] for b in json.loads(body)["results"]["bindings"]}


def cmd_search(a: argparse.Namespace) -> int:
    rng = random.Random(a.seed)
    # Mostly people (most of the graph's names), and some organisations, vendors, products.
    n_p = a.count * 6 // 10
    n_o = a.count * 2 // 10
    n_v = a.count // 10
    n_d = a.count - n_p - n_o - n_v
    slugs = ([f"person-{n}" for n in rng.sample(range(1, persons(a.triples) + 1), n_p)]
             + [f"organization-{n}" for n in rng.sample(range(1, organizations(a.triples) + 1), n_o)]
             + [f"vendor-{n}" for n in rng.sample(range(1, generate.N_VENDORS + 1), n_v)]
             + [f"product-{n}" for n in rng.sample(range(1, generate.N_PRODUCTS + 1), n_d)])
    labels = sparql_labels(a.sparql, [ID + s for s in slugs], a.timeout)
    missing = [s for s in slugs if ID + s not in labels]
    if missing:
        die(f"no English label for {len(missing)} generated entities, e.g. {missing[:3]}")
    rng.shuffle(slugs)
    client = Client(a.base, a.timeout)
    samples, found = [], 0
    cap = Cap("search", a.max_seconds, len(slugs))
    for slug in slugs:
        q = urllib.parse.urlencode({"q": labels[ID + slug]})
        ms, status, _, body = client.get(f"/api/search?{q}", "application/json")
        if status != 200:
            die(f"GET /api/search?{q}: HTTP {status}: {body[:200]!r}")
        doc = json.loads(body)
        if doc.get("complete") is not True:
            die("/api/search answered complete: false during the measurement")
        found += any(r.get("iri") == ID + slug for r in doc.get("results", []))
        samples.append(ms)
        if cap.reached(len(samples)):
            break
    client.close()
    if found < len(samples):
        print(f"  note: {len(samples) - found} of {len(samples)} searched entities were not among "
              f"their name's results (names shared by more entities than the result limit)")
    summary("search", samples, a.out, len(slugs), found=found)
    return 0


def cmd_paths(a: argparse.Namespace) -> int:
    rng = random.Random(a.seed)
    people = rng.sample(range(1, persons(a.triples) + 1), a.count)
    client = Client(a.base, a.timeout)
    samples, found, lengths = [], 0, []
    cap = Cap("paths", a.max_seconds, len(people))
    for n in people:
        v = rng.randint(1, generate.N_VENDORS)
        q = urllib.parse.urlencode({"from": f"person-{n}", "to": f"vendor-{v}", "max": a.max})
        ms, status, _, body = client.get(f"/api/path?{q}", "application/json")
        if status != 200:
            die(f"GET /api/path?{q}: HTTP {status}: {body[:300]!r}")
        doc = json.loads(body)
        if doc.get("paths"):
            found += 1
            lengths.append(doc.get("length"))
        samples.append(ms)
        if cap.reached(len(samples)):
            break
    client.close()
    med_len = stats.median(lengths) if lengths else None
    summary("path", samples, a.out, len(people), found=found, median_length=med_len)
    return 0


def cmd_statistics(a: argparse.Namespace) -> int:
    client = Client(a.base, a.timeout)
    samples = []
    cap = Cap("statistics", a.max_seconds, a.count)
    for i in range(a.count + a.warmup):
        ms, status, _, body = client.get("/api/statistics", "application/json")
        if status != 200:
            die(f"GET /api/statistics: HTTP {status}: {body[:300]!r}")
        if json.loads(body).get("complete") is not True:
            die("/api/statistics answered complete: false during the measurement")
        if i >= a.warmup:
            samples.append(ms)
            if cap.reached(len(samples)):
                break
    client.close()
    summary("statistics", samples, a.out, a.count)
    return 0


# ------------------------------------------------------------------ report ---
def load_records(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def figures(records: list[dict], triples: int) -> dict[str, dict[str, dict]]:
    """system -> figure -> record, with the derived figures added."""
    by: dict[str, dict[str, dict]] = {}
    for r in records:
        by.setdefault(r["system"], {})[r["figure"]] = r
    for sysname, f in by.items():
        if "load" in f:
            secs = f["load"]["seconds"]
            f["load"]["rate"] = triples / secs if secs > 0 else None
        if "disk" in f:
            f["disk"]["per_triple"] = f["disk"]["bytes"] / triples
    return by


def fnum(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ms(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 1:
        return f"{v:.3f}"
    if v < 100:
        return f"{v:.2f}"
    return f"{v:,.0f}"


# Rows of the table: (label, system-independent getter returning (display, value for growth)).
def row_specs(by: dict[str, dict[str, dict]]) -> list[tuple[str, str, object]]:
    def g(figure, key):
        return lambda f: (f.get(figure) or {}).get(key)

    specs: list[tuple[str, str, object]] = [
        ("load time (s)", "load.seconds", g("load", "seconds")),
        ("load rate (triples/s)", "load.rate", g("load", "rate")),
        ("disk after load (MB)", "disk.mb", lambda f: (f["disk"]["bytes"] / 1e6) if "disk" in f else None),
        ("disk per triple (bytes)", "disk.per_triple", g("disk", "per_triple")),
        ("peak RSS while loading (MB)", "load_rss.mb", lambda f: (f["load-rss"]["kb"] / 1024) if "load-rss" in f else None),
        ("ready after start (s)", "ready.seconds", g("ready", "seconds")),
        ("peak RSS serving (MB)", "serve_rss.mb", lambda f: (f["serve-rss"]["kb"] / 1024) if "serve-rss" in f else None),
    ]
    names: list[str] = []
    for f in by.values():
        for k in f:
            if k.startswith("query:") and k[6:] not in names:
                names.append(k[6:])
    for n in names:
        specs.append((f"{n}: median ms (p95)", f"query:{n}", g(f"query:{n}", "median_ms")))
    specs += [
        ("entity pages, all different: p99 ms (p50)", "entity-page", g("entity-page", "p99_ms")),
        ("search for existing names: p50 ms (p95)", "search", g("search", "p50_ms")),
        ("path person→vendor, max=6: p95 ms (p50)", "path", g("path", "p95_ms")),
        ("/api/statistics: p50 ms (p95)", "statistics", g("statistics", "p50_ms")),
    ]
    return specs


def cell(by_sys: dict[str, dict], key: str, value) -> str:
    if value is None:
        return "–"
    if key.startswith("query:"):
        r = by_sys[key]
        return f"{ms(r['median_ms'])} ({ms(r['p95_ms'])})"
    if key == "entity-page":
        r = by_sys[key]
        return f"{ms(r['p99_ms'])} ({ms(r['p50_ms'])})"
    if key == "search" or key == "statistics":
        r = by_sys[key]
        return f"{ms(r['p50_ms'])} ({ms(r['p95_ms'])})"
    if key == "path":
        r = by_sys[key]
        return f"{ms(r['p95_ms'])} ({ms(r['p50_ms'])})"
    if key in ("load.rate",):
        return f"{value:,.0f}"
    return fnum(value)


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    def line(r):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(r, widths))) + " |"
    print(line(header))
    print("| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |")
    for r in rows:
        print(line(r))


def growth_source(cache: str, triples: int, compare: int | None) -> str | None:
    sizes = {}
    for p in glob.glob(os.path.join(cache, "results-*.json")):
        m = re.fullmatch(r"results-(\d+)\.json", os.path.basename(p))
        if m and int(m.group(1)) != triples:
            sizes[int(m.group(1))] = p
    if compare:
        return sizes.get(compare)
    smaller = [s for s in sizes if s < triples]
    if smaller:
        return sizes[max(smaller)]
    larger = [s for s in sizes if s > triples]
    return sizes[min(larger)] if larger else None


def cmd_report(a: argparse.Namespace) -> int:
    records = load_records(a.results)
    by = figures(records, a.triples)
    systems = [s for s in SYSTEMS if s in by]
    specs = row_specs(by)
    values: dict[str, dict[str, float | None]] = {}
    rows = []
    for label, key, getter in specs:
        vals = {s: getter(by[s]) for s in systems}
        if all(v is None for v in vals.values()):
            continue
        values[key] = vals
        rows.append([label] + [cell(by[s], key, vals[s]) for s in systems])
    print_table(["figure"] + [TITLES.get(x, x) for x in systems], rows)

    # Do the servers agree? (row counts and digests of the query results)
    notes = []
    for key in values:
        if not key.startswith("query:"):
            continue
        res = {s: by[s][key] for s in systems if key in by[s]}
        if len(res) < 2:
            continue
        if len({(r["rows"], r["digest"]) for r in res.values()}) > 1:
            others = {(r["rows"], r["digest"]) for s, r in res.items() if s != "spyatlas"}
            only_spyatlas = "spyatlas" in res and len(others) == 1
            notes.append(f"{key[6:]}: " + ", ".join(f"{s} {r['rows']} rows ({r['digest'][:8]})"
                                                   for s, r in res.items())
                         + (" [only spyatlas differs]" if only_spyatlas else ""))
    print()
    if notes:
        print("Results that differ between the servers (rows, digest):")
        for n in notes:
            print(f"  - {n}")
        print("  (spyatlas's store also holds its bundled ontology and seed report, which the others"
              " do not load: a result that reaches them differs, e.g. the CONSTRUCT takes in the"
              " ontology's description of sa:Incident and the per-class counts the seed's entities."
              " Ties at the LIMIT of an aggregation can also differ between engines.)")
    else:
        print("Every query gave the same results on every server that ran it.")
    capped = [f"{s} {k.removeprefix('query:')} ({r['n']} of {r['planned']})"
              for s in systems for k, r in by[s].items() if r.get("planned") and r["n"] < r["planned"]]
    if capped:
        print("Loops stopped by their time cap (requests measured of those planned): " + ", ".join(capped))
    for s in systems:
        for k in ("search", "path"):
            r = by[s].get(k)
            if r and "found" in r:
                what = "searched entities found" if k == "search" else "pairs with a path"
                print(f"{s} {k}: {r['found']}/{r['n']} {what}"
                      + (f", median length {r['median_length']}" if r.get("median_length") else ""))

    meta = json.loads(a.meta) if a.meta else {}
    doc = {"triples": a.triples, "meta": meta, "systems": by, "table": values}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    tmp = a.json + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    os.replace(tmp, a.json)
    print(f"\nfigures written to {a.json}")

    other = growth_source(os.path.dirname(os.path.abspath(a.json)), a.triples, a.compare)
    if a.compare and not other:
        print(f"(no results for {a.compare} triples to compare with)")
    if other:
        with open(other, encoding="utf-8") as f:
            odoc = json.load(f)
        small, large = (odoc, doc) if odoc["triples"] < a.triples else (doc, odoc)
        print(f"\nGrowth from {small['triples']:,} to {large['triples']:,} triples "
              f"(×{large['triples'] / small['triples']:.1f} data): larger / smaller, same figures "
              f"(the first number of each cell above)\n")
        grow_rows = []
        for label, key, _ in specs:
            sv, lv = small["table"].get(key, {}), large["table"].get(key, {})
            cells = []
            for s in systems:
                x, y = sv.get(s), lv.get(s)
                cells.append(f"×{y / x:.2f}" if (x and y is not None) else "–")
            if any(c != "–" for c in cells):
                grow_rows.append([label.split(":")[0] if key.startswith("query:") else label] + cells)
        print_table(["figure"] + [TITLES.get(x, x) for x in systems], grow_rows)
        print(f"\n(compared with {other})")
    return 0


# -------------------------------------------------------------------- main ---
def main() -> int:
    ap = argparse.ArgumentParser(description="bench/scale/run.sh helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add(name, func, **kw):
        p = sub.add_parser(name, **kw)
        p.set_defaults(func=func)
        return p

    p = add("rusage", cmd_rusage)
    p.add_argument("--out", required=True)
    p.add_argument("--system", required=True)
    p.add_argument("--figure", default="load-rss")
    p.add_argument("command", nargs=argparse.REMAINDER)

    p = add("record", cmd_record)
    p.add_argument("--out", required=True)
    p.add_argument("--system", required=True)
    p.add_argument("--figure", required=True)
    p.add_argument("values", nargs="+", help="key=value")

    p = add("wait-spyatlas", cmd_wait_spyatlas)
    p.add_argument("--base", required=True)
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800)

    p = add("wait-sparql", cmd_wait_sparql)
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600)

    p = add("count", cmd_count)
    p.add_argument("--url", required=True)
    p.add_argument("--graph", required=True)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600)

    p = add("sparql", cmd_sparql)
    p.add_argument("--system", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--query-file", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=60)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--accept", choices=("auto", "xml"), default="auto",
                   help="auto: JSON results (N-Triples for CONSTRUCT); xml: XML results, SELECT/ASK only")
    p.add_argument("--out", required=True)

    for name, func, count in (("pages", cmd_pages, 100), ("search", cmd_search, 100),
                              ("paths", cmd_paths, 50), ("statistics", cmd_statistics, 50)):
        p = add(name, func)
        p.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
        p.add_argument("--count", type=int, default=count)
        p.add_argument("--triples", type=int, default=0)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--timeout", type=float, default=300)
        p.add_argument("--max-seconds", type=float, default=300, help="time cap of the loop")
        p.add_argument("--out", required=True)
        if name == "search":
            p.add_argument("--sparql", required=True, help="spyatlas /sparql URL, for the labels")
        if name == "paths":
            p.add_argument("--max", type=int, default=6)
        if name == "statistics":
            p.add_argument("--warmup", type=int, default=2)

    p = add("report", cmd_report)
    p.add_argument("--results", required=True)
    p.add_argument("--triples", type=int, required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--meta", default="")
    p.add_argument("--compare", type=int, default=0)

    a = ap.parse_args()
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
