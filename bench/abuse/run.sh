#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Hostile requests against `spyatlas serve` (a benchmark, not a test): see bench/abuse/README.md.
#
#   bash bench/abuse/run.sh                                  # 1M triples, release build
#   BENCH_TRIPLES=100000 bash bench/abuse/run.sh             # a smaller store, quicker
#   BENCH_PROBES=1,deadline-8 bash bench/abuse/run.sh        # some probes only
#
# It generates the bench graph (bench/generate.py), loads it with `spyatlas load --graph`,
# serves it on a free port of 127.0.0.1 with a short query timeout and a write token, and
# sends each class of hostile request one probe at a time (probes.py), sampling the
# server's RSS and CPU; then it prints the per-probe table and the targets (MET/MISSED).
#
# Environment (defaults in brackets):
#   BENCH_TRIPLES [1000000]        size of the generated graph (at least 50,000)
#   BENCH_QUERY_TIMEOUT [5]        spyatlas serve --query-timeout, seconds
#   BENCH_SERVE_ARGS               more flags for spyatlas serve (e.g. "--workers 2 --queue 16")
#   BENCH_PROBES                   comma-separated probe names, name prefixes or classes 1..7
#   BENCH_PROBE_TIMEOUT [60]       time cap of one probe, seconds
#   BENCH_ISOLATION_SECONDS [10]   length of each fast-query loop (idle, then under load)
#   BENCH_SLOW_CLIENTS [16]        clients sending slow queries during the second loop
#   BENCH_CLIENT_ADDRESSES [distinct]  isolation: each client from its own 127.x address,
#                                  or "same": all from 127.0.0.1 (one client for the server)
#   BENCH_BODY_MB [100]            size of each body sent without a token
#   BENCH_BODY_CLIENTS [8]         concurrent such bodies
#   BENCH_MAX_SECONDS [1800]       time cap of the probes as a whole
#   BENCH_STRICT [0]               1: exit 3 when a target is missed
#   BENCH_OUT                      also copy the JSON results to this file
#   BENCH_KEEP [0]                 1: keep the work directory (store, logs, JSON)
#   SPYATLAS_BIN                   spyatlas binary [${CARGO_TARGET_DIR:-target}/release/spyatlas,
#                                  built with cargo build --release when missing]
#   PYTHON [python3]
set -euo pipefail

ABUSE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=$(dirname "$ABUSE_DIR")
REPO_DIR=$(dirname "$BENCH_DIR")
PYTHON=${PYTHON:-python3}
BENCH_SCRIPT=abuse/run.sh
# shellcheck source=../lib.sh
source "$BENCH_DIR/lib.sh"

TRIPLES=${BENCH_TRIPLES:-1000000}
QUERY_TIMEOUT=${BENCH_QUERY_TIMEOUT:-5}
SERVE_ARGS=${BENCH_SERVE_ARGS:-}
ONLY=${BENCH_PROBES:-}
PROBE_TIMEOUT=${BENCH_PROBE_TIMEOUT:-60}
ISOLATION_SECONDS=${BENCH_ISOLATION_SECONDS:-10}
SLOW_CLIENTS=${BENCH_SLOW_CLIENTS:-16}
CLIENT_ADDRESSES=${BENCH_CLIENT_ADDRESSES:-distinct}
BODY_MB=${BENCH_BODY_MB:-100}
BODY_CLIENTS=${BENCH_BODY_CLIENTS:-8}
MAX_SECONDS=${BENCH_MAX_SECONDS:-1800}
STRICT=${BENCH_STRICT:-0}
KEEP=${BENCH_KEEP:-0}
BENCH_GRAPH=https://w3id.org/spyatlas/graph/bench   # as bench/run.sh
ID_NS=https://w3id.org/spyatlas/id/

for v in TRIPLES QUERY_TIMEOUT PROBE_TIMEOUT SLOW_CLIENTS BODY_MB BODY_CLIENTS MAX_SECONDS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
[[ "$CLIENT_ADDRESSES" == distinct || "$CLIENT_ADDRESSES" == same ]] \
    || die "BENCH_CLIENT_ADDRESSES must be distinct or same"
[[ "$ISOLATION_SECONDS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_ISOLATION_SECONDS must be a number"
[[ "$TRIPLES" -ge 50000 ]] || die "BENCH_TRIPLES must be at least 50000 (bench/generate.py's minimum)"
[[ "$QUERY_TIMEOUT" -ge 1 ]] || die "BENCH_QUERY_TIMEOUT must be at least 1"

START_TIME=$(date +%s)

# ---------------------------------------------------------------- cleanup ---
WORK=""
PID_FILE=""   # written by probes.py: the pid of the server it runs now
# The server is a child of probes.py, which stops it when it ends or gets TERM; this is
# for the case where probes.py could not: the pid it recorded, if that process is still
# the server on our store.
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_server() {
    [[ -n "$PID_FILE" && -r "$PID_FILE" ]] || return 0
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data $WORK/store " || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local status=$?
    stop_step
    stop_server
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ "$KEEP" == 1 ]]; then
            echo "work directory kept: $WORK"
        else
            rm -rf -- "$WORK"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------- 1. prerequisites ---
log "prerequisites"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || die "$PYTHON is older than 3.9"
if [[ -z "${SPYATLAS_BIN:-}" ]]; then
    target_dir=${CARGO_TARGET_DIR:-target}
    [[ "$target_dir" == /* ]] || target_dir="$REPO_DIR/$target_dir"
    SPYATLAS_BIN="$target_dir/release/spyatlas"
    if [[ ! -x "$SPYATLAS_BIN" ]]; then
        log "cargo build --release (no $SPYATLAS_BIN yet)"
        # shellcheck disable=SC2016  # $1 is expanded by the inner bash
        step bash -c 'cd "$1" && exec cargo build --release' build "$REPO_DIR"
    fi
fi
[[ -x "$SPYATLAS_BIN" ]] || die "spyatlas binary not found: $SPYATLAS_BIN"
echo "spyatlas: $SPYATLAS_BIN ($(date -r "$SPYATLAS_BIN" '+built %Y-%m-%d %H:%M'))"
case "$SPYATLAS_BIN" in
    */debug/*) echo "warning: a debug build: times and RSS are not those of the release build" >&2 ;;
esac
echo "cores: $(nproc)"

# ---------------------------------------------------------- 2. test data ---
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spyatlas-abuse.XXXXXX")
PID_FILE="$WORK/server.pid"
DATA="$WORK/data.nt"
log "generating $TRIPLES triples"
t0=$(now_ms)
step timeout 600 "$PYTHON" "$BENCH_DIR/generate.py" --triples "$TRIPLES" --format nt --out "$DATA"
echo "generated in $(since "$t0"), $(du -h "$DATA" | cut -f1)"

log "loading"
t0=$(now_ms)
if ! step timeout 1800 "$SPYATLAS_BIN" load --data "$WORK/store" --graph "$BENCH_GRAPH" "$DATA" \
        >"$WORK/load.log" 2>&1; then
    cat "$WORK/load.log" >&2
    die "spyatlas load failed"
fi
echo "loaded in $(since "$t0")"
rm -f -- "$DATA"

# The two entities with the most triples (as subject or object), for /api/path.
log "finding two hub entities"
t0=$(now_ms)
HUB_QUERY="SELECT ?e (COUNT(*) AS ?n) WHERE {
  { ?e ?p ?o } UNION { ?s ?p ?e }
  FILTER(isIRI(?e) && STRSTARTS(STR(?e), \"$ID_NS\"))
} GROUP BY ?e ORDER BY DESC(?n) LIMIT 2"
if step timeout 600 "$SPYATLAS_BIN" query --data "$WORK/store" --format json "$HUB_QUERY" \
        >"$WORK/hubs.json" 2>"$WORK/hubs.log"; then
    echo "found in $(since "$t0")"
else
    cat "$WORK/hubs.log" >&2
    echo "warning: the hub query failed; probes.py falls back to the generator's hubs" >&2
fi

# -------------------------------------------------------------- 3. probes ---
TOKEN="abuse-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
log "probes (query timeout $QUERY_TIMEOUT s, each probe <= $PROBE_TIMEOUT s)"
strict=()
[[ "$STRICT" == 1 ]] && strict=(--strict)
set +e
step timeout "$MAX_SECONDS" "$PYTHON" "$ABUSE_DIR/probes.py" run \
    --bin "$SPYATLAS_BIN" --data "$WORK/store" --work "$WORK" --token "$TOKEN" \
    --query-timeout "$QUERY_TIMEOUT" --serve-args "$SERVE_ARGS" --probe-timeout "$PROBE_TIMEOUT" \
    --isolation-seconds "$ISOLATION_SECONDS" --slow-clients "$SLOW_CLIENTS" --client-addresses "$CLIENT_ADDRESSES" \
    --body-mb "$BODY_MB" --body-clients "$BODY_CLIENTS" --only "$ONLY" \
    --hubs-json "$WORK/hubs.json" --pid-file "$PID_FILE" --triples "$TRIPLES" \
    --json "$WORK/abuse.json" "${strict[@]}"
status=$?
set -e
if [[ -n "${BENCH_OUT:-}" && -r "$WORK/abuse.json" ]]; then
    cp -- "$WORK/abuse.json" "$BENCH_OUT"
    echo "JSON copied to $BENCH_OUT"
fi
echo "total time: $(( $(date +%s) - START_TIME )) s"
case "$status" in
    0|3) exit "$status" ;;
    124) die "the probes ran past BENCH_MAX_SECONDS=$MAX_SECONDS" ;;
    *) die "probes.py failed (status $status)" ;;
esac
