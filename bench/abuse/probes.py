#!/usr/bin/env python3
"""Hostile requests against `spyatlas serve` (bench/abuse/run.sh; standard library only).

  probes.py run --bin BIN --data DIR --work DIR --token TOKEN [options]
      starts `BIN serve` on DIR (127.0.0.1, a free port), runs every probe one at a
      time while sampling the server's RSS and CPU, restarts the server when a probe
      kills it, prints one line per probe, then the tables, and writes them as JSON.
  probes.py list
      the probe names, one per line, with their class.

Each probe sends its requests on fresh TCP connections to 127.0.0.1 only, each request
bounded by a socket deadline, and the probe as a whole by --probe-timeout (a probe that
fails or times out is recorded, and the run goes on). After a probe:

  * alive: the server process still runs and GET /health answers 200 within 1 s
    (otherwise a crash is recorded, and the server is restarted on the same store);
  * CPU after: the server's CPU seconds (utime + stime of /proc/PID/stat) between 5 s
    and 6 s after the probe's last answer; "busy" when more than 0.3;
  * peak RSS: the largest VmRSS of /proc/PID/status sampled every 50 ms from the start
    of the probe to the end of that CPU window;
  * overshoot (probes that should hit the deadline): answer time minus --query-timeout.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import math
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, BENCH_DIR)
from latency import percentile, read_query  # noqa: E402  (bench/latency.py)

HOST = "127.0.0.1"  # every request of this benchmark goes to the loopback address
CLK_TCK = os.sysconf("SC_CLK_TCK")
ID_NS = "https://w3id.org/spyatlas/id/"
REPORT_NS = "https://w3id.org/spyatlas/report/"
EX = "http://example.com/"
STORE_G = "/store?graph=http://example.com/g"
DRY_RUN = "/api/reports?dry-run=true"
JSON_RESULTS = "application/sparql-results+json"
SEND_CHUNK = 256 * 1024
READ_CAP = 1 << 20          # bytes of an answer read at most (the rest is not waited for)
CPU_BUSY = 0.3              # CPU seconds in the one-second window that count as busy
HEALTH_WITHIN = 1.0         # seconds /health has to answer in after a probe
RSS_TARGET_MB = 2048
OVERSHOOT_TARGET_S = 1.0
RATIO_TARGET = 3.0
HEALTH_TARGET_MS = 100.0
BODY_GROWTH_TARGET_MB = 100.0
REFUSED = {"closed", "reset", "broken-pipe"}   # a connection ended before an answer
BUSY_WATCH_S = 20.0         # after a probe that left the CPU busy, watch this long, then restart
SETTLE_MAX_S = 10.0         # before a probe, wait at most this long for the server's CPU to calm down
SETTLE_BUDGET_S = 120.0     # ... and at most this long over the whole run
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------ HTTP ---

@dataclass
class Answer:
    status: object            # int, or "timeout" / "closed" / "reset" / "broken-pipe" / "error: ..."
    seconds: float            # from connecting to the end of the answer (or the failure)
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    sent: int = 0             # body bytes sent
    early: bool = False       # the server answered (or closed) before the whole body was sent
    end: float = 0.0          # time.monotonic() at the end

    def short(self) -> str:
        text = self.body[:160].decode("utf-8", "replace").replace("\n", " ").strip()
        return f"{self.status}: {text}" if text else str(self.status)


def exchange(port: int, method: str, target: str, headers: dict | None = None,
             body: bytes = b"", timeout: float = 30.0, total: int | None = None,
             source: str | None = None) -> Answer:
    """One request on a fresh connection (`Connection: close`).

    The body is `body`, or `body` repeated up to `total` bytes (generated as it is sent,
    so that a 100 MB body costs one chunk of memory). It is sent piece by piece, and
    sending stops as soon as the server answers or closes: an answer that comes before
    the body was read is then still seen (a broken pipe or a reset without an answer is
    reported as such)."""
    hdrs = {"Host": f"{HOST}:{port}", "Connection": "close", "User-Agent": "spyatlas-bench-abuse"}
    hdrs.update(headers or {})
    length = len(body) if total is None else total
    if length or method in ("POST", "PUT"):
        hdrs["Content-Length"] = str(length)
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    t0 = time.monotonic()
    deadline = t0 + timeout
    sent, early, failure = 0, False, None
    sock = None
    try:
        sock = socket.create_connection((HOST, port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head.encode("latin-1"))
        view = memoryview(body)
        while sent < length:
            left = deadline - time.monotonic()
            if left <= 0:
                failure = "timeout"
                break
            readable, writable, _ = select.select([sock], [sock], [], min(left, 1.0))
            if readable:
                early = True
                break
            if not writable:
                continue
            off = sent % len(body) if total is not None else sent
            piece = view[off:off + min(SEND_CHUNK, length - sent, len(body) - off)]
            sent += sock.send(piece)
    except socket.timeout:
        failure = "timeout"
    except BrokenPipeError:
        failure = "broken-pipe"
    except ConnectionResetError:
        failure = "reset"
    except OSError as e:
        failure = f"error: {e.strerror or e}"
    if sock is None:
        end = time.monotonic()
        return Answer(failure or "error", end - t0, end=end)
    status: object = failure or "closed"
    resp_headers: dict = {}
    data = b""
    try:
        if failure == "timeout":
            sock.settimeout(0.5)      # only an answer that is already there
        else:
            sock.settimeout(max(0.5, deadline - time.monotonic()))
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        status = resp.status
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        data = resp.read(READ_CAP) if method != "HEAD" else b""
    except socket.timeout:
        status = failure or "timeout"
    except http.client.RemoteDisconnected:
        status = failure or "closed"
    except ConnectionResetError:
        status = failure or "reset"
    except (http.client.HTTPException, OSError) as e:
        if not isinstance(status, int):
            status = failure or f"error: {type(e).__name__}"
    finally:
        sock.close()
    end = time.monotonic()
    return Answer(status, end - t0, resp_headers, data, sent, early, end)


def health(port: int, timeout: float = HEALTH_WITHIN) -> tuple[bool, float]:
    a = exchange(port, "GET", "/health", timeout=timeout)
    return a.status == 200, a.seconds


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------- server ---

def read_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def read_cpu_s(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
        fields = text[text.rindex(")") + 2:].split()   # fields[0] is field 3 (state)
        return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime (14) + stime (15)
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """`spyatlas serve` on the store, started and restarted by this script only."""

    def __init__(self, a: argparse.Namespace):
        self.bin = a.bin
        self.data = a.data
        self.token = a.token
        self.query_timeout = a.query_timeout
        self.extra = shlex.split(a.serve_args or "")
        self.pid_file = a.pid_file
        self.log_path = os.path.join(a.work, "serve.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.port = free_port()
        cmd = [self.bin, "serve", "--data", self.data, "--bind", f"{HOST}:{self.port}",
               "--query-timeout", str(self.query_timeout), "--write-token", self.token] + self.extra
        self.starts += 1
        shown = " ".join("TOKEN" if c == self.token else shlex.quote(c) for c in cmd)
        with open(self.log_path, "ab") as logf:
            logf.write(f"\n=== start {self.starts}: {shown}\n".encode())
            logf.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                         env={**os.environ, "NO_COLOR": "1"})
        if self.pid_file:
            with open(self.pid_file, "w", encoding="ascii") as f:
                f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"the server exited while starting ({self.exit_text()}): "
                                   + self.log_tail(5))
            if health(self.port, 2.0)[0]:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer /health within 300 s")
        # The search index is built in the background after a start; a search waits for it,
        # so that no probe shares the CPU with that build.
        exchange(self.port, "GET", "/api/search?q=warm-up", timeout=600)
        log(f"  server pid {self.proc.pid} on http://{HOST}:{self.port} "
            f"(start {self.starts}, RSS {(read_rss_kb(self.pid) or 0) / 1024:.0f} MB)")

    def stop(self) -> None:
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, n: int) -> str:
        """The last lines the server wrote (panics, stack overflows and aborts first)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.log_path) - 16384))
                text = ANSI.sub("", f.read().decode("utf-8", "replace"))
                lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("=== start")]
        except OSError:
            return ""
        lines = lines[-50:]
        loud = [ln for ln in lines if re.search(r"panick|overflow|fatal|abort|memory allocation|SIGSEGV|killed",
                                                ln, re.I)]
        return " | ".join(ln[:200] for ln in (loud or lines)[-n:])

    def exit_text(self) -> str:
        code = self.proc.returncode if self.proc else None
        if code is not None and code < 0:
            try:
                return f"killed by signal {-code} ({signal.Signals(-code).name})"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"


class Sampler(threading.Thread):
    """VmRSS of the current server process every 50 ms: (monotonic time, kB)."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.samples: list[tuple[float, int]] = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pid = self.server.pid
            rss = read_rss_kb(pid) if pid else None
            if rss is not None:
                with self.lock:
                    self.samples.append((time.monotonic(), rss))
            self.done.wait(0.05)

    def peak_mb(self, t0: float, t1: float) -> float | None:
        with self.lock:
            values = [kb for (t, kb) in self.samples if t0 <= t <= t1]
        return max(values) / 1024 if values else None

    def now_mb(self) -> float | None:
        kb = read_rss_kb(self.server.pid) if self.server.pid else None
        return kb / 1024 if kb is not None else None


class HealthPoller(threading.Thread):
    """GET /health every 100 ms on a fresh connection; keeps each latency."""

    def __init__(self, ctx: "Ctx"):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.latencies: list[float] = []
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            t0 = time.monotonic()
            ok, seconds = health(self.ctx.port, 2.0)
            self.latencies.append(seconds)
            if not ok:
                self.failures += 1
            self.done.wait(max(0.0, 0.1 - (time.monotonic() - t0)))

    def stop(self) -> dict:
        self.done.set()
        self.join(5)
        lat = sorted(self.latencies)
        return {
            "health_polls": len(lat),
            "health_failures": self.failures,
            "health_max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "health_p99_ms": round(percentile(lat, 0.99) * 1000, 1) if lat else None,
        }


# ------------------------------------------------------------------ probes ---

class Ctx:
    def __init__(self, a: argparse.Namespace, server: Server):
        self.a = a
        self.server = server
        self.qt = float(a.query_timeout)
        self.token = a.token
        self.hubs: tuple[str, str, str] = ("platform-1", "vendor-1", "default")
        self.lock = threading.Lock()
        self.last_answer: float | None = None
        self.settle_spent = 0.0

    @property
    def port(self) -> int:
        return self.server.port

    def send(self, method: str, target: str, headers: dict | None = None, body: bytes = b"",
             timeout: float = 30.0, total: int | None = None, token: bool = False,
             source: str | None = None) -> Answer:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {self.token}"
        answer = exchange(self.port, method, target, h, body, timeout, total, source)
        with self.lock:
            self.last_answer = max(self.last_answer or 0.0, answer.end)
        return answer


@dataclass
class Outcome:
    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    overshoot: float | None = None
    figures: dict = field(default_factory=dict)


@dataclass
class Probe:
    name: str
    klass: str
    what: str
    fn: Callable[[Ctx], Outcome]
    expect: set
    deadline: bool = False          # an answer at the deadline is expected: overshoot counts
    timeout: Callable[[Ctx], float] | None = None


def one(ctx: Ctx, method: str, target: str, headers: dict, body: bytes = b"", token: bool = False,
        timeout: float = 30.0) -> Outcome:
    return Outcome([ctx.send(method, target, headers, body, timeout, token=token)])


def store_post(content_type: str, build: Callable[[], bytes]) -> Callable[[Ctx], Outcome]:
    """POST to /store?graph=... with the token; a graph that was accepted is deleted again."""
    def fn(ctx: Ctx) -> Outcome:
        out = one(ctx, "POST", STORE_G, {"Content-Type": content_type}, build(), token=True)
        if isinstance(out.answers[0].status, int) and 200 <= out.answers[0].status < 300:
            d = exchange(ctx.port, "DELETE", STORE_G, {"Authorization": f"Bearer {ctx.token}"}, timeout=60)
            out.notes.append(f"accepted and stored; DELETE of the graph: {d.status}")
        return out
    return fn


def report_post(content_type: str, build: Callable[[], bytes]) -> Callable[[Ctx], Outcome]:
    """POST to /api/reports?dry-run=true without the token."""
    return lambda ctx: one(ctx, "POST", DRY_RUN, {"Content-Type": content_type}, build())


def sparql_post(build: Callable[[], str], timeout: float | None = None) -> Callable[[Ctx], Outcome]:
    def fn(ctx: Ctx) -> Outcome:
        return one(ctx, "POST", "/sparql", {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
                   build().encode(), timeout=timeout or ctx.qt + 30)
    return fn


# Payloads ------------------------------------------------------------------

def q_parens() -> str:
    return "SELECT * WHERE { FILTER(" + "(" * 4000 + "1" + ")" * 4000 + ") }"


def q_groups() -> str:
    return "SELECT * WHERE " + "{ " * 4001 + "} " * 4001


def q_subselects() -> str:
    return ("SELECT * WHERE { " + "{ SELECT * WHERE { " * 2000 + "BIND(1 AS ?x) "
            + "} } " * 2000 + "}")


def q_path() -> str:
    return "SELECT * WHERE { ?s " + "(" * 4000 + f"<{EX}p>" + ")" * 4000 + " ?o }"


def q_sum() -> str:
    return "SELECT * WHERE { FILTER(" + "1+" * 199_999 + "1 = 0) }"


def turtle_bnodes() -> bytes:
    return (f"@prefix : <{EX}> .\n:s :p " + "[ :p " * 100_000 + ":o" + " ]" * 100_000 + " .\n").encode()


def turtle_lists() -> bytes:
    return (f"@prefix : <{EX}> .\n:s :p " + "( " * 100_000 + ")" * 100_000 + " .\n").encode()


def nquads_star() -> bytes:
    t = f"<{EX}s> <{EX}p> <{EX}o>"
    for _ in range(10_000):
        t = f"<< {t} >> <{EX}p> <{EX}o>"
    return (t + f" <{EX}g> .\n").encode()


def nquads_triple_terms() -> bytes:
    """RDF 1.2 triple terms (object position), the successor syntax of RDF-star's << >>."""
    t = f"<{EX}o>"
    for _ in range(10_000):
        t = f"<<( <{EX}s> <{EX}p> {t} )>>"
    return f"<{EX}s> <{EX}p> {t} <{EX}g> .\n".encode()


def jsonld_nested() -> bytes:
    return ('{"@id":"' + EX + 's",' + f'"{EX}p":{{' * 100_000 + f'"@id":"{EX}o"' + "}" * 100_000 + "}").encode()


RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def rdfxml_nested() -> bytes:
    return (f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:e="{EX}">'
            f'<rdf:Description rdf:about="{EX}s">'
            + '<e:p rdf:parseType="Resource">' * 100_000 + "</e:p>" * 100_000
            + "</rdf:Description></rdf:RDF>\n").encode()


def yaml_laughs() -> bytes:
    names = "abcdefghi"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, cur in zip(names, names[1:]):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def xml_entity_bomb() -> bytes:
    ents = ['  <!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        ents.append(f'  <!ENTITY lol{i} "' + f"&{prev};" * 10 + '">')
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(ents) + "\n]>\n"
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:e="{EX}">'
            f'<rdf:Description rdf:about="{EX}s"><e:p>&lol9;</e:p></rdf:Description></rdf:RDF>\n').encode()


def long_word() -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(letters[(i * 7) % 26] for i in range(40 * 1024))


Q_COUNT5 = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?o ?q }"
Q_VALUES = ("SELECT (COUNT(*) AS ?n) WHERE { "
            + " ".join(f"VALUES ?{v} {{ " + " ".join(str(i) for i in range(1, 1001)) + " }" for v in "abc")
            + " }")
Q_CONCAT = "SELECT (GROUP_CONCAT(STR(?a)) AS ?x) WHERE { ?a ?b ?c . ?d ?e ?f }"
Q_ORDER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"
# slow but cancellable, a different literal each time so that nothing is cached
Q_SLOW = 'SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o . ?s ?q ?r FILTER(?r != "abuse-{n}") }}'


def report_yaml(slug: str, issued: str) -> bytes:
    return f'''"@context": https://w3id.org/spyatlas/context.jsonld
id: report:{slug}
kind: news-article
label: {{en: "Report {slug}", nl: "Rapport {slug}", it: "Rapporto {slug}"}}
title: {{en: "Report {slug}"}}
publisher: the-guardian
issued: {issued}
language: en
url: https://example.org/{slug}
entities:
  - type: Person
    label: {{en: "Abuse Probe", nl: "Abuse Probe", it: "Abuse Probe"}}
    role: journalist
claims:
  - type: Targeting
    label: {{en: "Abuse Probe targeted", nl: "Abuse Probe geviseerd", it: "Abuse Probe preso di mira"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: "Abuse Probe"
    outcome: targeted
    status: reported
'''.encode()


JS_SLUG = "abuse-probe-javascript-url"
JS_URL = "javascript:alert(document.domain)"


def report_nquads(with_js: bool) -> bytes:
    g = f"<{REPORT_NS}{JS_SLUG}>"
    lines = [
        f"{g} <{RDF_NS}type> <https://w3id.org/spyatlas/ontology#Report> {g} .",
        f'{g} <http://www.w3.org/2000/01/rdf-schema#label> "Abuse probe"@en {g} .',
        f'{g} <http://www.w3.org/2000/01/rdf-schema#label> "Misbruiksonde"@nl {g} .',
        f'{g} <http://www.w3.org/2000/01/rdf-schema#label> "Sonda di abuso"@it {g} .',
        f"{g} <http://purl.org/dc/terms/publisher> <{ID_NS}reuters> {g} .",
    ]
    if with_js:
        lines.append(f"{g} <http://schema.org/url> <{JS_URL}> {g} .")
    return ("\n".join(lines) + "\n").encode()


# Probes with more than one request ------------------------------------------

def p_path(ctx: Ctx) -> Outcome:
    a, b, how = ctx.hubs
    target = "/api/path?" + urllib.parse.urlencode({"from": a, "to": b, "max": 6})
    out = Outcome([ctx.send("GET", target, {"Accept": "application/json"}, timeout=ctx.qt + 30)])
    out.notes.append(f"{a} -> {b} ({how})")
    ans = out.answers[0]
    if ans.status == 503 or ans.seconds > ctx.qt:
        out.overshoot = ans.seconds - ctx.qt
    return out


def p_concurrent(ctx: Ctx) -> Outcome:
    poller = HealthPoller(ctx)
    poller.start()
    answers: list[Answer] = []
    lock = threading.Lock()

    def client() -> None:
        ans = ctx.send("POST", "/sparql", {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
                       Q_COUNT5.encode(), timeout=ctx.qt * 8 + 30)
        with lock:
            answers.append(ans)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ctx.qt * 8 + 40)
    out = Outcome(answers, figures=poller.stop())
    slow = [x.seconds for x in answers if x.status == 503 or x.seconds > ctx.qt]
    if slow:
        out.overshoot = max(slow) - ctx.qt
    times = sorted(x.seconds for x in answers)
    if times:
        out.notes.append(f"answers after {times[0]:.1f}-{times[-1]:.1f} s")
    out.notes.append(f"/health max {out.figures['health_max_ms']} ms over {out.figures['health_polls']} polls"
                     + (f", {out.figures['health_failures']} failed" if out.figures["health_failures"] else ""))
    return out


def fast_loop(ctx: Ctx, target: str, seconds: float, source: str | None) -> dict:
    """Sequential GETs through one keep-alive connection for `seconds` (as bench/latency.py).

    p99 counts an answer other than 200 (or a failed request) as infinitely slow: when
    more than 1 % of the requests failed, there is no p99 (None) and `failed_pct` says why."""
    lat: list[float] = []
    other: collections.Counter = collections.Counter()
    conn = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if conn is None:
            conn = http.client.HTTPConnection(HOST, ctx.port, timeout=30,
                                              source_address=(source, 0) if source else None)
        t0 = time.perf_counter()
        try:
            conn.request("GET", target, headers={"Accept": JSON_RESULTS})
            resp = conn.getresponse()
            resp.read()
            dt = time.perf_counter() - t0
            if resp.status == 200:
                lat.append(dt)
            else:
                other[str(resp.status)] += 1
                lat.append(math.inf)
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            other[type(e).__name__] += 1
            lat.append(math.inf)
            conn.close()
            conn = None
            time.sleep(0.01)
    if conn is not None:
        conn.close()
    lat.sort()
    ok = [x for x in lat if x != math.inf]

    def ms(v: float | None) -> float | None:
        return round(v * 1000, 3) if v is not None and v != math.inf else None
    return {
        "n": len(lat),
        "ok": len(ok),
        "failed_pct": round(100.0 * (len(lat) - len(ok)) / len(lat), 2) if lat else None,
        "p50_ms": ms(percentile(lat, 0.5)) if lat else None,
        "p99_ms": ms(percentile(lat, 0.99)) if lat else None,
        "p99_of_200s_ms": ms(percentile(ok, 0.99)) if ok else None,
        "max_of_200s_ms": ms(ok[-1]) if ok else None,
        "over_100ms": sum(1 for x in ok if x > 0.1),
        "not_200": dict(other),
    }


def loopback_aliases() -> bool:
    """Whether sockets can be bound to other 127.x addresses (Linux: all of 127/8 is local)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def describe(loop: dict) -> str:
    text = f"p50 {loop['p50_ms']} ms, p99 {loop['p99_ms'] if loop['p99_ms'] is not None else 'n/a'} ms"
    text += f" over {loop['n']} requests"
    if loop["over_100ms"]:
        text += f", {loop['over_100ms']} of them over 100 ms (slowest {loop['max_of_200s_ms']} ms)"
    if loop["not_200"]:
        text += f" ({loop['failed_pct']} % not 200: {loop['not_200']}; p99 of the 200s {loop['p99_of_200s_ms']} ms)"
    return text


def p_isolation(ctx: Ctx) -> Outcome:
    query = read_query(os.path.join(BENCH_DIR, "queries", "1-entity-lookup.rq"))
    target = "/sparql?query=" + urllib.parse.quote(query, safe="")
    seconds = ctx.a.isolation_seconds
    # The fast client and each slow client get their own source address (127.0.0.x), as
    # separate clients would: the server's per-client queue limits then do not make the
    # slow clients' load lighter, nor refuse the fast client for what the others do.
    distinct = ctx.a.client_addresses == "distinct" and loopback_aliases()
    fast_src = "127.0.0.2" if distinct else None
    fast_loop(ctx, target, 0.5, fast_src)   # warm-up
    idle = fast_loop(ctx, target, seconds, fast_src)
    log("    idle: fast query " + describe(idle))

    stop = threading.Event()
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()
    serial = iter(range(10**9))
    no_retry = [0]

    def slow_client(i: int) -> None:
        src = f"127.0.1.{i + 1}" if distinct else None
        while not stop.is_set():
            with lock:
                n = next(serial)
            ans = ctx.send("POST", "/sparql", {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
                           Q_SLOW.format(n=n).encode(), timeout=ctx.qt + 30, source=src)
            with lock:
                counts[str(ans.status)] += 1
                if ans.status in (429, 503) and "retry-after" not in ans.headers:
                    no_retry[0] += 1
            if ans.status != 200:
                stop.wait(0.2)   # no busy loop in the client: it shares the 2 cores with the server

    clients = [threading.Thread(target=slow_client, args=(i,), daemon=True) for i in range(ctx.a.slow_clients)]
    for t in clients:
        t.start()
    time.sleep(1.0)   # let the queue fill
    poller = HealthPoller(ctx)
    poller.start()
    loaded = fast_loop(ctx, target, seconds, fast_src)
    hf = poller.stop()
    stop.set()
    for t in clients:
        t.join(ctx.qt + 35)
    log(f"    under {ctx.a.slow_clients} slow clients: fast query " + describe(loaded))
    ratio = None
    if idle["p99_ms"] and loaded["p99_ms"] is not None:
        ratio = loaded["p99_ms"] / idle["p99_ms"]
    out = Outcome()
    # the slow clients' answers stand for the probe's statuses
    for status, n in counts.items():
        for _ in range(n):
            out.answers.append(Answer(int(status) if status.isdigit() else status, 0.0))
    out.figures = {"idle": idle, "loaded": loaded, "ratio": round(ratio, 2) if ratio is not None else None,
                   "client_addresses": "distinct 127.0.x.y" if distinct else "all 127.0.0.1",
                   "slow_answers": dict(counts), **hf}
    out.notes.append(f"fast p99 idle {idle['p99_ms']} ms, loaded {loaded['p99_ms']} ms, ratio "
                     + (f"{ratio:.2f}" if ratio is not None else "n/a (fast queries failed)")
                     + f"; /health max {hf['health_max_ms']} ms; clients: {out.figures['client_addresses']}")
    if no_retry[0]:
        out.notes.append(f"{no_retry[0]} slow answer(s) 429/503 without Retry-After")
        out.figures["missing_retry_after"] = no_retry[0]
    return out


def body_probe(target: str, content_type: str, line: bytes) -> Callable[[Ctx], Outcome]:
    def fn(ctx: Ctx) -> Outcome:
        chunk = line * max(1, (1 << 20) // len(line))
        total = ctx.a.body_mb * 1024 * 1024
        answers: list[Answer] = []
        lock = threading.Lock()

        def client() -> None:
            ans = ctx.send("POST", target, {"Content-Type": content_type}, chunk, timeout=ctx.a.probe_timeout - 10,
                           total=total)
            with lock:
                answers.append(ans)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(ctx.a.body_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(ctx.a.probe_timeout)
        out = Outcome(answers)
        if answers:
            most = max(x.sent for x in answers)
            out.figures["max_body_sent_mb"] = round(most / 1048576, 1)
            out.figures["answered_before_body_sent"] = sum(1 for x in answers if x.early)
            out.notes.append(f"at most {most / 1048576:.1f} of {ctx.a.body_mb} MB sent before the answer; "
                             f"{out.figures['answered_before_body_sent']}/{len(answers)} answered early")
        return out
    return fn


def p_issued(ctx: Ctx) -> Outcome:
    headers = {"Content-Type": "application/yaml"}
    control = ctx.send("POST", DRY_RUN, headers, report_yaml("abuse-probe-issued", "2025-03-14"))
    out = one(ctx, "POST", DRY_RUN, headers, report_yaml("abuse-probe-issued", "2025-13-45"))
    out.notes.append(f"control (issued: 2025-03-14): {control.status}")
    if out.answers[0].status not in (400, 422):
        out.notes.append("answer: " + out.answers[0].short())
    return out


def p_javascript(ctx: Ctx) -> Outcome:
    headers = {"Content-Type": "application/n-quads"}
    control = ctx.send("POST", DRY_RUN, headers, report_nquads(False), token=True)
    out = one(ctx, "POST", "/api/reports", headers, report_nquads(True), token=True)
    out.notes.append(f"control (dry run, no schema:url): {control.status}")
    ask = (f"ASK {{ {{ GRAPH <{REPORT_NS}{JS_SLUG}> {{ ?s ?p ?o }} }} UNION {{ ?s ?p <{JS_URL}> }} }}")
    check = exchange(ctx.port, "GET", "/sparql?query=" + urllib.parse.quote(ask, safe=""),
                     {"Accept": JSON_RESULTS}, timeout=30)
    try:
        stored = json.loads(check.body)["boolean"] if check.status == 200 else None
    except (ValueError, KeyError):
        stored = None
    out.figures["stored"] = stored
    out.notes.append("stored: " + {True: "YES", False: "nothing", None: f"unknown ({check.status})"}[stored])
    if stored:
        d = exchange(ctx.port, "DELETE", f"/api/reports/{JS_SLUG}", {"Authorization": f"Bearer {ctx.token}"},
                     timeout=60)
        out.notes.append(f"report deleted again: {d.status}")
    return out


def deadline_q(build: Callable[[], str]) -> Callable[[Ctx], Outcome]:
    def fn(ctx: Ctx) -> Outcome:
        out = sparql_post(build)(ctx)
        out.overshoot = out.answers[0].seconds - ctx.qt
        return out
    return fn


DEEP = {400, 413, 415, 422}
PROBES: list[Probe] = [
    # 1. deep nesting
    Probe("sparql-parens-4000", "1 nesting", "FILTER with 4000 nested parentheses",
          sparql_post(q_parens, 60), DEEP),
    Probe("sparql-groups-4000", "1 nesting", "4000 nested { } groups", sparql_post(q_groups, 60), DEEP),
    Probe("sparql-subselects-2000", "1 nesting", "2000 nested sub-SELECTs", sparql_post(q_subselects, 60), DEEP),
    Probe("sparql-path-4000", "1 nesting", "property path ((((p)))) 4000 deep", sparql_post(q_path, 60), DEEP),
    Probe("sparql-sum-200000", "1 nesting", "FILTER(1+1+...) of 200,000 terms", sparql_post(q_sum, 60), DEEP),
    Probe("report-yaml-nested-20000", "1 nesting", "YAML '- '*20000 'x', dry run, no token",
          report_post("application/yaml", lambda: ("- " * 20_000 + "x\n").encode()), DEEP),
    Probe("report-json-nested-100000", "1 nesting", "JSON 100,000 '[' deep, dry run, no token",
          report_post("application/ld+json", lambda: ("[" * 100_000 + "]" * 100_000).encode()), DEEP),
    Probe("store-turtle-bnodes-100000", "1 nesting", "Turtle 100,000 nested [ ], /store with token",
          store_post("text/turtle", turtle_bnodes), DEEP),
    Probe("report-turtle-bnodes-100000", "1 nesting", "Turtle 100,000 nested [ ], dry run, no token",
          report_post("text/turtle", turtle_bnodes), DEEP),
    Probe("store-turtle-lists-100000", "1 nesting", "Turtle 100,000 nested ( ), /store with token",
          store_post("text/turtle", turtle_lists), DEEP),
    Probe("report-turtle-lists-100000", "1 nesting", "Turtle 100,000 nested ( ), dry run, no token",
          report_post("text/turtle", turtle_lists), DEEP),
    Probe("store-nquads-star-10000", "1 nesting", "N-Quads << << ... >> >> 10,000 deep, /store with token",
          store_post("application/n-quads", nquads_star), DEEP),
    Probe("store-nquads-tripleterm-10000", "1 nesting", "N-Quads <<( ... <<( ... )>> )>> 10,000 deep (RDF 1.2)",
          store_post("application/n-quads", nquads_triple_terms), DEEP),
    Probe("store-jsonld-nested-100000", "1 nesting", "JSON-LD 100,000 nested objects, /store with token",
          store_post("application/ld+json", jsonld_nested), DEEP),
    Probe("store-rdfxml-nested-100000", "1 nesting", "RDF/XML 100,000 nested elements, /store with token",
          store_post("application/rdf+xml", rdfxml_nested), DEEP),
    # 2. expansion bombs
    Probe("report-yaml-billion-laughs", "2 bombs", "YAML anchors/aliases 9 levels of 9, dry run, no token",
          report_post("application/yaml", yaml_laughs), {400, 413, 415, 422}),
    Probe("store-rdfxml-entity-bomb", "2 bombs", "RDF/XML nested <!ENTITY>, /store with token",
          store_post("application/rdf+xml", xml_entity_bomb), {400, 413, 415, 422}),
    Probe("report-rdfxml-entity-bomb", "2 bombs", "RDF/XML nested <!ENTITY>, dry run, no token",
          report_post("application/rdf+xml", xml_entity_bomb), {400, 413, 415, 422}),
    # 3. search
    Probe("search-40kb-word", "3 search", "/api/search?q= one 40 KB word",
          lambda ctx: one(ctx, "GET", "/api/search?q=" + long_word(), {"Accept": "application/json"}),
          {400, 404, 413, 414, 422, 431}),
    Probe("entity-40kb-slug", "3 search", "/id/<40 KB slug> (404 page with suggestions)",
          lambda ctx: one(ctx, "GET", "/id/" + long_word(), {"Accept": "text/html"}),
          {400, 404, 413, 414, 422, 431}),
    # 4. deadline
    Probe("deadline-count-5-patterns", "4 deadline", "COUNT(*) of 5 unbound triple patterns",
          deadline_q(lambda: Q_COUNT5), {503}, deadline=True),
    Probe("deadline-values-product", "4 deadline", "COUNT(*) of 3 joined VALUES of 1000",
          deadline_q(lambda: Q_VALUES), {503}, deadline=True),
    Probe("deadline-group-concat", "4 deadline", "GROUP_CONCAT over 2 unbound patterns",
          deadline_q(lambda: Q_CONCAT), {503}, deadline=True),
    Probe("deadline-order-by", "4 deadline", "2 unbound patterns ORDER BY ?c ?f LIMIT 1",
          deadline_q(lambda: Q_ORDER), {503}, deadline=True),
    Probe("deadline-path-hubs", "4 deadline", "/api/path between two hubs, max=6",
          p_path, {200, 404, 503}, deadline=True),
    Probe("deadline-8-concurrent", "4 deadline", "8 COUNT(*) of 5 patterns at once, /health polled",
          p_concurrent, {503, 429}, deadline=True, timeout=lambda ctx: ctx.qt * 8 + 60),
    # 5. isolation
    Probe("isolation-16-slow", "5 isolation", "fast query p99 idle vs under slow clients",
          p_isolation, {200, 429, 503},
          timeout=lambda ctx: 2 * ctx.a.isolation_seconds + 2 * ctx.qt + 90),
    # 6. body before token
    Probe("body-reports-no-token", "6 body", "8 x 100 MB POST /api/reports, no token, no dry run",
          body_probe("/api/reports", "application/n-quads",
                     f'<{EX}s> <{EX}p> "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" <{REPORT_NS}x> .\n'.encode()),
          {401, 403, 413} | REFUSED),
    Probe("body-update-no-token", "6 body", "8 x 100 MB POST /sparql sparql-update, no token",
          body_probe("/sparql", "application/sparql-update",
                     f'INSERT DATA {{ <{EX}s> <{EX}p> "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }} ;\n'.encode()),
          {401, 403, 413} | REFUSED),
    # 7. wrong things accepted
    Probe("wrong-issued-2025-13-45", "7 accepted", "dry-run report with issued: 2025-13-45",
          p_issued, {400, 422}),
    Probe("wrong-javascript-url", "7 accepted", "N-Quads report, schema:url <javascript:...>, with token",
          p_javascript, {422}),
]


def select_probes(only: str) -> list[Probe]:
    if not only:
        return PROBES
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    chosen = [p for p in PROBES if any(w == p.name or p.name.startswith(w) or p.klass.startswith(w) for w in wanted)]
    if not chosen:
        raise SystemExit(f"probes.py: no probe matches {only!r} (see `probes.py list`)")
    return chosen


# ------------------------------------------------------------------ runner ---

def status_text(answers: list[Answer]) -> str:
    counts = collections.Counter(str(a.status) for a in answers)
    if not counts:
        return "-"
    return " ".join(f"{s}" if n == 1 else f"{s}x{n}" for s, n in sorted(counts.items()))


def run_probe(ctx: Ctx, sampler: Sampler, probe: Probe) -> dict:
    server = ctx.server
    result: dict = {"name": probe.name, "class": probe.klass, "what": probe.what,
                    "expected": sorted(str(s) for s in probe.expect)}
    if not server.running():
        server.start()
    pre_notes: list[str] = []
    waited, quiet = settle(ctx)
    result["busy_before"] = not quiet
    if waited >= 1.0 or not quiet:
        pre_notes.append(f"waited {waited:.0f} s for the server's CPU to calm down before the probe"
                         + ("" if quiet else ": STILL BUSY (work left by an earlier probe)"))
    base = sampler.now_mb()
    t_start = time.monotonic()
    ctx.last_answer = None
    box: dict = {}

    def body() -> None:
        try:
            box["outcome"] = probe.fn(ctx)
        except Exception as e:  # noqa: BLE001  (a failing probe is recorded, the run goes on)
            box["error"] = f"{type(e).__name__}: {e}"

    limit = probe.timeout(ctx) if probe.timeout else ctx.a.probe_timeout
    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    worker.join(limit)
    outcome: Outcome = box.get("outcome") or Outcome()
    notes = pre_notes + list(outcome.notes)
    if worker.is_alive():
        notes.append(f"PROBE TIMED OUT after {limit:.0f} s")
        result["probe_error"] = "timeout"
    if "error" in box:
        notes.append("PROBE FAILED: " + box["error"])
        result["probe_error"] = box["error"]
    last = ctx.last_answer or time.monotonic()
    answers = outcome.answers
    result["statuses"] = status_text(answers)
    shown = [a for a in answers if a.body or not isinstance(a.status, int)]
    if shown:
        result["first_answer"] = shown[0].short()
    result["ok"] = bool(answers) and all(a.status in probe.expect for a in answers) and "probe_error" not in result
    timed = [a.seconds for a in answers if a.seconds > 0]
    result["seconds"] = round(max(timed), 3) if timed else None
    no_retry = sum(1 for a in answers if a.status in (429, 503) and a.seconds > 0 and "retry-after" not in a.headers)
    if no_retry:
        notes.append(f"{no_retry} answer(s) 429/503 without Retry-After")
        result["missing_retry_after"] = no_retry
    # Overshoot: probes meant to hit the deadline, and any other answered 503 (the deadline fired).
    overshoot = outcome.overshoot
    at_deadline = [a.seconds - ctx.qt for a in answers if a.status == 503 and a.seconds > 0]
    if overshoot is None and at_deadline:
        overshoot = max(at_deadline)
    if probe.deadline or overshoot is not None:
        result["overshoot_s"] = round(overshoot, 3) if overshoot is not None else None
    if not result["ok"] and len(answers) == 1 and answers[0].body and not any(n.startswith("answer:") for n in notes):
        notes.append("answer: " + answers[0].short())

    # alive?
    crash = None
    if not server.running():
        crash = f"process gone ({server.exit_text()})"
    else:
        ok, seconds = health(server.port, HEALTH_WITHIN)
        if not ok:
            crash = f"no /health 200 within {HEALTH_WITHIN:.0f} s"
    result["alive"] = crash is None
    if crash:
        result["crash"] = crash
        tail = server.log_tail(3)
        notes.append(f"CRASH: {crash}; server log: {tail}")
        result["server_log_tail"] = tail
        if server.running():
            recovered = False
            until = time.monotonic() + 30
            while time.monotonic() < until and server.running():
                if health(server.port, 2.0)[0]:
                    recovered = True
                    break
                time.sleep(0.5)
            if recovered:
                notes.append("(answered /health again within 30 s)")
            else:
                server.stop()
        result["cpu_after_s"] = None
        result["busy_after"] = None
        result["peak_rss_mb"] = _r(sampler.peak_mb(t_start, time.monotonic()))
        if not server.running():
            log("  restarting the server on the same store")
            server.start()
    else:
        # CPU seconds between 5 s and 6 s after the last answer
        w0 = last + 5.0
        now = time.monotonic()
        if now > w0:
            notes.append(f"CPU window started {now - w0:.1f} s late")
            w0 = now
        time.sleep(max(0.0, w0 - time.monotonic()))
        c0 = read_cpu_s(server.pid)
        time.sleep(max(0.0, w0 + 1.0 - time.monotonic()))
        c1 = read_cpu_s(server.pid)
        cpu = (c1 - c0) if (c0 is not None and c1 is not None) else None
        result["cpu_after_s"] = round(cpu, 2) if cpu is not None else None
        result["busy_after"] = (cpu > CPU_BUSY) if cpu is not None else None
        if result["busy_after"]:
            # How long does the work go on? Watched for BUSY_WATCH_S more; past that the
            # server is restarted, so that the next probes are not measured beside it.
            until = time.monotonic() + BUSY_WATCH_S
            quiet_at = None
            while time.monotonic() < until:
                c0 = read_cpu_s(server.pid)
                time.sleep(0.5)
                c1 = read_cpu_s(server.pid)
                if c0 is None or c1 is None or c1 - c0 <= CPU_BUSY / 2:
                    quiet_at = time.monotonic()
                    break
            result["peak_rss_mb"] = _r(sampler.peak_mb(t_start, time.monotonic()))
            if quiet_at is not None:
                result["busy_for_s"] = round(quiet_at - last, 1)
                notes.append(f"the server's CPU calmed down {quiet_at - last:.0f} s after the last answer")
            else:
                result["busy_for_s"] = None
                notes.append(f"STILL BUSY {time.monotonic() - last:.0f} s after the last answer: "
                             "server restarted for the next probes")
                server.stop()
                result["restarted_busy"] = True
                server.start()
        else:
            result["peak_rss_mb"] = _r(sampler.peak_mb(t_start, time.monotonic()))
    result["base_rss_mb"] = _r(base)
    if base is not None and result["peak_rss_mb"] is not None:
        result["rss_growth_mb"] = round(result["peak_rss_mb"] - base, 1)
    result["figures"] = outcome.figures
    result["notes"] = notes
    return result


def settle(ctx: Ctx) -> tuple[float, bool]:
    """Waits (bounded) until the server spends at most 0.15 CPU-s in half a second, so that
    no probe is measured, or blamed, for work an earlier one left behind."""
    t0 = time.monotonic()
    while True:
        c0 = read_cpu_s(ctx.server.pid)
        time.sleep(0.5)
        c1 = read_cpu_s(ctx.server.pid)
        if c0 is None or c1 is None or c1 - c0 <= CPU_BUSY / 2:
            quiet = True
            break
        waited = time.monotonic() - t0
        if waited >= SETTLE_MAX_S or ctx.settle_spent + waited >= SETTLE_BUDGET_S:
            quiet = False
            break
    waited = time.monotonic() - t0 - 0.5
    ctx.settle_spent += max(0.0, waited)
    return max(0.0, waited), quiet


def _r(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


def fmt(v, digits: int = 2, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.{digits}f}{unit}"
    return f"{v}{unit}"


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return " | ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                          for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    return "\n".join([line(header), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


def cpu_cell(r: dict) -> str:
    text = fmt(r.get("cpu_after_s"), 2)
    if r.get("restarted_busy"):
        text += f" (busy >{BUSY_WATCH_S + 6:g} s)"
    elif r.get("busy_for_s") is not None:
        text += f" (busy {r['busy_for_s']:.0f} s)"
    return text + ("*" if r.get("busy_before") else "")


def probe_line(r: dict) -> str:
    over = f"  overshoot {r['overshoot_s']:+.2f} s" if r.get("overshoot_s") is not None else ""
    cpu = f"  CPU 5-6 s after {r['cpu_after_s']:.2f} s" if r.get("cpu_after_s") is not None else ""
    return (f"  {r['name']:<30} {r['statuses']:<18} {fmt(r['seconds'], 3, ' s'):>10}  "
            f"peak RSS {fmt(r['peak_rss_mb'], 0, ' MB'):>8}  {'alive' if r['alive'] else 'CRASH'}"
            f"{over}{cpu}  {'' if r['ok'] else 'UNEXPECTED'}")


def names(items: list[str], most: int = 3) -> str:
    return ", ".join(items[:most]) + (f" (+{len(items) - most} more)" if len(items) > most else "")


def targets(results: list[dict], qt: float) -> list[dict]:
    out = []

    def add(name: str, value, shown: str, target: str, met: bool | None, where: str = "") -> None:
        out.append({"target": name, "value": value, "shown": shown, "goal": target,
                    "result": "n/a" if met is None else ("MET" if met else "MISSED"), "where": where})

    crashes = [r["name"] for r in results if not r["alive"]]
    add("crashes", len(crashes), str(len(crashes)), "0", not crashes, names(crashes))
    peaks = [(r["peak_rss_mb"], r["name"]) for r in results if r.get("peak_rss_mb") is not None]
    if peaks:
        top = max(peaks)
        add("peak server RSS over every probe (MB)", top[0], f"{top[0]:,.0f}", f"< {RSS_TARGET_MB}",
            top[0] < RSS_TARGET_MB, top[1])
    else:
        add("peak server RSS over every probe (MB)", None, "-", f"< {RSS_TARGET_MB}", None)
    overs = [(r["overshoot_s"], r["name"]) for r in results if r.get("overshoot_s") is not None]
    if overs:
        top = max(overs)
        add(f"deadline overshoot (s, 503 time - {qt:g} s)", top[0], f"{top[0]:+.2f}",
            f"<= {OVERSHOOT_TARGET_S:g}", top[0] <= OVERSHOOT_TARGET_S, top[1])
    else:
        add(f"deadline overshoot (s, 503 time - {qt:g} s)", None, "-", f"<= {OVERSHOOT_TARGET_S:g}", None)
    iso = next((r for r in results if r["name"].startswith("isolation")), None)
    f = iso["figures"] if iso else {}
    ratio = f.get("ratio")
    if ratio is not None:
        add("fast-query p99 under slow queries / idle p99", ratio,
            f"{ratio:.2f} ({f['loaded']['p99_ms']} / {f['idle']['p99_ms']} ms)", f"<= {RATIO_TARGET:g}",
            ratio <= RATIO_TARGET, iso["name"])
    elif f.get("loaded", {}).get("n"):
        add("fast-query p99 under slow queries / idle p99", None,
            f"none: {f['loaded']['failed_pct']} % of fast queries not 200", f"<= {RATIO_TARGET:g}", False, iso["name"])
    else:
        add("fast-query p99 under slow queries / idle p99", None, "-", f"<= {RATIO_TARGET:g}", None)
    judged = [r for r in results if r.get("busy_after") is not None and not r.get("busy_before")]
    busy = [r["name"] for r in judged if r["busy_after"]]
    add("CPU still busy 5 s after the last answer (probes)", len(busy),
        f"{len(busy)} of {len(judged)}", "none", (not busy) if judged else None, names(busy))
    hl = [(r["figures"].get("health_max_ms"), r["name"]) for r in results
          if r.get("figures", {}).get("health_max_ms") is not None]
    if hl:
        top = max(hl)
        add("max /health latency under load (ms)", top[0], f"{top[0]:,.1f}", f"< {HEALTH_TARGET_MS:g}",
            top[0] < HEALTH_TARGET_MS, top[1])
    bodies = [(r["rss_growth_mb"], r["name"]) for r in results
              if r["class"].startswith("6") and r.get("rss_growth_mb") is not None]
    if bodies:
        top = max(bodies)
        add("RSS growth under 100 MB bodies without token (MB)", top[0], f"{max(0.0, top[0]):,.0f}",
            f"<= {BODY_GROWTH_TARGET_MB:g}", top[0] <= BODY_GROWTH_TARGET_MB, top[1])
    return out


def cmd_run(a: argparse.Namespace) -> int:
    probes = select_probes(a.only)
    server = Server(a)
    ctx = Ctx(a, server)
    sampler = Sampler(server)

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)

    started = time.monotonic()
    results: list[dict] = []
    try:
        if a.hubs_json:
            ctx.hubs = read_hubs(a.hubs_json)
        log(f"hubs for /api/path: {ctx.hubs[0]} and {ctx.hubs[1]} ({ctx.hubs[2]})")
        server.start()
        sampler.start()
        idle_rss = sampler.now_mb()
        for i, probe in enumerate(probes, 1):
            log(f"[{i}/{len(probes)}] {probe.name}: {probe.what}")
            r = run_probe(ctx, sampler, probe)
            results.append(r)
            log(probe_line(r))
            for n in r["notes"]:
                log(f"      {n}")
    finally:
        sampler.done.set()
        server.stop()

    rows = [[r["name"], r["statuses"], " ".join(r["expected"]), fmt(r["seconds"], 3),
             fmt(r["peak_rss_mb"], 0), "yes" if r["alive"] else "NO",
             fmt(r.get("overshoot_s"), 2) if "overshoot_s" in r else "",
             cpu_cell(r),
             "" if r["ok"] else "UNEXPECTED"] for r in results]
    busy_restarts = sum(1 for r in results if r.get("restarted_busy"))
    log(f"\n==> probes (query timeout {a.query_timeout} s, {a.triples} triples, server restarts: "
        f"{server.starts - 1}, of which {busy_restarts} because it was still busy {BUSY_WATCH_S + 6:g} s "
        "after a probe)")
    log(table(["probe", "status", "expected", "time s", "peak RSS MB", "alive", "overshoot s",
               "CPU s 5-6 s after", "answer"], rows, {3, 4, 6, 7}))
    if any(r.get("busy_before") for r in results):
        log(f"* the server was still busy when the probe started (after waiting up to {SETTLE_MAX_S:g} s): "
            "not judged for the CPU target")
    tg = targets(results, float(a.query_timeout))
    log("\n==> targets")
    log(table(["figure", "value", "target", "result", "worst probe"],
              [[t["target"], t["shown"], t["goal"], t["result"], t["where"]] for t in tg], {1}))
    unexpected = [r["name"] for r in results if not r["ok"]]
    log(f"\nanswers as expected: {len(results) - len(unexpected)}/{len(results)}"
        + (f" (unexpected: {', '.join(unexpected)})" if unexpected else ""))
    missed = [t for t in tg if t["result"] == "MISSED"]
    met = sum(1 for t in tg if t["result"] == "MET")
    log(f"{met}/{sum(1 for t in tg if t['result'] != 'n/a')} targets met"
        + (" (see MISSED lines)" if missed else ""))
    doc = {
        "binary": a.bin, "triples": a.triples, "query_timeout_s": a.query_timeout,
        "serve_args": a.serve_args, "server_starts": server.starts, "idle_rss_mb": _r(idle_rss),
        "seconds": round(time.monotonic() - started, 1), "probes": results, "targets": tg,
    }
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, default=str)
    log(f"\nJSON: {a.json}")
    return 3 if (missed and a.strict) else 0


def read_hubs(path: str) -> tuple[str, str, str]:
    """The two entities of the id namespace with the most triples (from `spyatlas query --format json`)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        slugs = [b["e"]["value"][len(ID_NS):] for b in doc["results"]["bindings"]
                 if b["e"]["value"].startswith(ID_NS)]
        counts = [b.get("n", {}).get("value", "?") for b in doc["results"]["bindings"]]
        if len(slugs) >= 2:
            return slugs[0], slugs[1], f"the two entities with the most triples: {counts[0]} and {counts[1]}"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return "platform-1", "vendor-1", f"hub query unreadable ({e}): the generator's hubs"
    return "paragon-solutions", "italy", "no generated entity found: the bundled data's"


def main() -> int:
    ap = argparse.ArgumentParser(description="hostile requests against spyatlas serve")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--data", required=True, help="the store folder")
    r.add_argument("--work", required=True, help="folder for the server log")
    r.add_argument("--token", required=True)
    r.add_argument("--query-timeout", type=int, default=5)
    r.add_argument("--serve-args", default="", help="more flags for spyatlas serve")
    r.add_argument("--probe-timeout", type=float, default=60.0)
    r.add_argument("--isolation-seconds", type=float, default=10.0)
    r.add_argument("--slow-clients", type=int, default=16)
    r.add_argument("--client-addresses", choices=("distinct", "same"), default="distinct",
                   help="isolation: a source address of 127/8 per client, or all from 127.0.0.1")
    r.add_argument("--body-mb", type=int, default=100)
    r.add_argument("--body-clients", type=int, default=8)
    r.add_argument("--only", default="", help="comma-separated probe names, name prefixes or classes (1..7)")
    r.add_argument("--hubs-json", default="")
    r.add_argument("--pid-file", default="")
    r.add_argument("--triples", default="?")
    r.add_argument("--json", required=True, help="write the results here")
    r.add_argument("--strict", action="store_true")
    r.set_defaults(func=cmd_run)
    ls = sub.add_parser("list")
    ls.set_defaults(func=lambda _a: [print(f"{p.klass:<12} {p.name:<30} {p.what}") for p in PROBES] and 0)
    a = ap.parse_args()
    return a.func(a) or 0


if __name__ == "__main__":
    sys.exit(main())
