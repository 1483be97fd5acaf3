#!/usr/bin/env bash
# The cost of a small write, and of reading it back (a benchmark, not a test):
#
#   bash bench/writes/run.sh
#
# POSTs BENCH_REPORTS one-report YAML documents (16 triples of content each: a person
# targeted in the seed's incident) one after the other to /api/reports, and after each
# asks /api/search for the new person's name, which the answer must contain (read your
# writes). It does so on a server over the bundled data only (the empty store) and over
# the 1,000,000-quad dump of bench/load (generated once, cached), and prints the median
# and 95th percentile of the POST and of the first search after it, with the ratio of the
# large store to the empty one (issue target: POST p50 within 1.5x).
#
# Environment: BENCH_REPORTS [50], BENCH_WRITES_TRIPLES [1000000] (the size of the large
# store: the report-shaped dump of bench/load at 1M, the graph of bench/generate.py
# otherwise, e.g. 10000000), SPYATLAS_BIN (default: the release build in
# $CARGO_TARGET_DIR or target/), PYTHON [python3], BENCH_STORE [embedded; or virtuoso: the
# same on throwaway Virtuoso 7 servers, see bench/lib.sh]. Loopback only; the servers it
# starts are stopped by their PID on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$(dirname "$BENCH_DIR")")
PYTHON=${PYTHON:-python3}
REPORTS=${BENCH_REPORTS:-50}
TRIPLES=${BENCH_WRITES_TRIPLES:-1000000}
SPYATLAS_BIN=${SPYATLAS_BIN:-${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/spyatlas}
HOST=127.0.0.1
TOKEN=bench-token

BENCH_SCRIPT=writes/run.sh
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"

[[ -x "$SPYATLAS_BIN" ]] || die "no spyatlas binary at $SPYATLAS_BIN: run \`cargo build --release\` first"
command -v curl >/dev/null || die "curl is missing"

WORK=$(mktemp -d)
SERVER=""
cleanup() {
    local status=$?
    if [[ -n "$SERVER" ]] && kill -0 "$SERVER" 2>/dev/null; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    stop_stores
    rm -rf -- "$WORK"
    exit "$status"
}
trap cleanup EXIT

# Starts `spyatlas serve` on the store called $1 and waits until its search index is built
# (in the background: searches answer meanwhile, with "complete": false); sets SERVER and
# BASE, and prints how long the index took to be complete after /health answered.
serve() {
    local port
    port=$(free_port)
    open_store "$1"
    "$SPYATLAS_BIN" serve "${STORE_ARGS[@]}" --bind "$HOST:$port" --write-token "$TOKEN" \
        --query-timeout 120 >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    BASE="http://$HOST:$port"
    for _ in $(seq 1 600); do
        curl -sf "$BASE/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -sf "$BASE/health" >/dev/null || { cat "$WORK/serve.log" >&2; die "the server did not start"; }
    local started=$SECONDS
    until curl -sf "$BASE/api/search?q=warm" | grep -q '"complete":true'; do
        (( SECONDS - started < 600 )) || die "the search index was not built within 600 s"
        sleep 0.1
    done
    log "search index complete $((SECONDS - started)) s after the server answered"
    # The statistics are measured too: their first count must be done (on a remote store
    # it takes longer than the search index).
    until curl -sf "$BASE/api/statistics" | grep -q '"complete":true'; do
        (( SECONDS - started < 900 )) || die "the statistics were not complete within 900 s"
        sleep 0.5
    done
    log "statistics complete $((SECONDS - started)) s after the server answered"
}

stop() {
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
}

# POSTs the reports one by one, each followed by a search for its person; prints
# "label p50_post p95_post p50_search p95_search" (ms) to stdout.
measure() {
    "$PYTHON" - "$BASE" "$TOKEN" "$REPORTS" "$1" <<'PY'
import json, sys, time, urllib.parse, urllib.request

base, token, count, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
run = str(int(time.time() * 1000))[-7:]

def report(n):
    name = f"Writer {run} {n}"
    return f'''id: report:bench-write-{run}-{n}
kind: news-article
title: {{en: "Bench write {run} {n}"}}
label: {{en: "Bench write {run} {n}"}}
publisher: reuters
issued: 2025-03-14
language: en
url: https://example.org/bench-write-{run}-{n}
entities:
  - type: Person
    label: {{en: "{name}"}}
    role: journalist
claims:
  - type: Targeting
    label: {{en: "{name} targeted"}}
    incident: paragon-spyware-attacks-on-whatsapp-users-2024
    target: "{name}"
    outcome: targeted
    status: reported
''', name

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

posts, searches = [], []
for n in range(count):
    body, name = report(n)
    request = urllib.request.Request(
        f"{base}/api/reports", data=body.encode(), method="POST",
        headers={"content-type": "application/yaml", "authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as answer:
        answer.read()
        if answer.status != 201:
            sys.exit(f"POST {n}: {answer.status}")
    posts.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    url = f"{base}/api/search?" + urllib.parse.urlencode({"q": name})
    with urllib.request.urlopen(url, timeout=300) as answer:
        found = json.load(answer)
    searches.append((time.perf_counter() - started) * 1000)
    if not any(hit.get("label") == name for hit in found["results"]):
        sys.exit(f"search after POST {n}: {name} not found (read your writes)")
# The statistics counted on write, against the same question as an ad-hoc aggregation.
stats = []
for _ in range(50):
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/api/statistics", timeout=300) as answer:
        figures = json.load(answer)
    stats.append((time.perf_counter() - started) * 1000)
if not figures["incidentsPerVendor"]:
    sys.exit("/api/statistics: no incidents per vendor")
aggregation = """PREFIX sa: <https://w3id.org/spyatlas/ontology#>
SELECT ?vendor ?year (COUNT(DISTINCT ?incident) AS ?incidents) WHERE {
  ?incident a sa:Incident .
  { ?incident sa:vendor ?vendor } UNION { ?incident sa:usedProduct/sa:developedBy ?vendor }
  OPTIONAL { ?incident sa:date ?date }
  BIND(COALESCE(SUBSTR(STR(?date), 1, 4), "undated") AS ?year)
} GROUP BY ?vendor ?year ORDER BY DESC(?incidents)"""
sparql = []
for _ in range(5):
    request = urllib.request.Request(
        f"{base}/sparql", data=urllib.parse.urlencode({"query": aggregation}).encode(),
        headers={"accept": "application/sparql-results+json",
                 "content-type": "application/x-www-form-urlencoded"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as answer:
        answer.read()
    sparql.append((time.perf_counter() - started) * 1000)
print(label, *(f"{v:.1f}" for v in (percentile(posts, 50), percentile(posts, 95),
                                      percentile(searches, 50), percentile(searches, 95),
                                      posts[0], percentile(stats, 50), percentile(sparql, 50))))
PY
}

log "the empty store (bundled data only)"
open_store empty
"$SPYATLAS_BIN" query "${STORE_ARGS[@]}" "ASK { ?s ?p ?o }" >/dev/null
serve empty
EMPTY=$(measure empty)
stop
echo "  $EMPTY"

if [[ "$TRIPLES" == 1000000 ]]; then
    # The report-shaped dump of bench/load: 1,000 report graphs, loaded as reports.
    log "the $TRIPLES-quad store of bench/load"
    DUMP=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/spyatlas/bench-load/t1000000-r1000-d1000-*/dump.nq 2>/dev/null | sed -n 1p || true)
    if [[ -z "$DUMP" ]]; then
        "$PYTHON" "$REPO_DIR/bench/load/generate.py" --out "$WORK/data" >/dev/null
        DUMP="$WORK/data/dump.nq"
    fi
    open_store large
    "$SPYATLAS_BIN" load "${STORE_ARGS[@]}" "$DUMP" | tail -1
else
    # Other sizes: the graph of bench/generate.py (the one bench/scale uses, cached there),
    # loaded into one graph as plain RDF.
    log "the $TRIPLES-triple graph of bench/generate.py"
    DUMP="${XDG_CACHE_HOME:-$HOME/.cache}/spyatlas/bench-scale/data-$TRIPLES.nt"
    if [[ ! -s "$DUMP" ]]; then
        DUMP="$WORK/data.nt"
        "$PYTHON" "$REPO_DIR/bench/generate.py" --triples "$TRIPLES" --format nt --out "$DUMP" >/dev/null
    fi
    open_store large
    "$SPYATLAS_BIN" load "${STORE_ARGS[@]}" --graph https://w3id.org/spyatlas/graph/bench "$DUMP" | tail -1
fi
rm -rf -- "$WORK/data" "$WORK/data.nt"
serve large
LARGE=$(measure "$TRIPLES")
stop
echo "  $LARGE"

log "summary ($REPORTS one-report POSTs, each followed by a search for what it wrote; ms)"
read -r _ e_p50 e_p95 e_s50 e_s95 e_first e_st e_sq <<<"$EMPTY"
read -r _ l_p50 l_p95 l_s50 l_s95 l_first l_st l_sq <<<"$LARGE"
ratio() { "$PYTHON" -c "print(f'{$1 / $2:.2f}')"; }
printf '| figure | empty store | %s quads | ratio |\n| --- | --- | --- | --- |\n' "$TRIPLES"
printf '| POST p50 | %s | %s | %s |\n' "$e_p50" "$l_p50" "$(ratio "$l_p50" "$e_p50")"
printf '| POST p95 | %s | %s | %s |\n' "$e_p95" "$l_p95" "$(ratio "$l_p95" "$e_p95")"
printf '| first search after it, p50 | %s | %s | %s |\n' "$e_s50" "$l_s50" "$(ratio "$l_s50" "$e_s50")"
printf '| first search after it, p95 | %s | %s | %s |\n' "$e_s95" "$l_s95" "$(ratio "$l_s95" "$e_s95")"
printf '| first POST after the start | %s | %s | %s |\n' "$e_first" "$l_first" "$(ratio "$l_first" "$e_first")"
printf '| /api/statistics p50 | %s | %s | %s |\n' "$e_st" "$l_st" "$(ratio "$l_st" "$e_st")"
printf '| the same as a SPARQL aggregation, p50 of 5 | %s | %s | %s |\n' "$e_sq" "$l_sq" "$(ratio "$l_sq" "$e_sq")"
echo "target (issue 12): POST p50 at 1M and 10M within 1.5x of the empty store"
