#!/usr/bin/env bash
# spyatlas vs `oxigraph serve` on the same generated graph: see bench/README.md.
#
#   bash bench/run.sh                          # full run (builds spyatlas)
#   SPYATLAS_BIN=/path/to/spyatlas bash bench/run.sh
#   BENCH_ONLY_OXIGRAPH=1 bash bench/run.sh    # reference server only
#
# Environment (defaults in brackets):
#   BENCH_TRIPLES [1000000]   size of the generated graph
#   BENCH_DATA                use this triples file (.nt, .ttl) instead of generating one
#   BENCH_REQUESTS [200]      timed sequential requests per query and server
#   BENCH_WARMUP [5]          untimed requests before those
#   BENCH_MAX_SECONDS [120]   time cap of one (query, server) latency loop
#   BENCH_SECONDS [10]        wrk duration
#   BENCH_CONNECTIONS [8]     wrk connections;  BENCH_THREADS [2] wrk threads
#   BENCH_WRK_ROUNDS [1]      wrk runs per server, alternating; the median counts
#   BENCH_ONLY_OXIGRAPH [0]   1: skip spyatlas (no build, no ratios)
#   BENCH_STRICT [0]          1: exit 3 when a target is missed
#   SPYATLAS_BIN              spyatlas binary (default: cargo build --release)
#   SPYATLAS_SERVE_ARGS       more arguments of `spyatlas serve`, split on spaces
#                             (`--answer-cache-mb 0`: every request evaluates its query)
#   OXIGRAPH_BIN              oxigraph binary (default: from PyPI oxigraph==0.5.13)
#   PYTHON [python3]
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
PYTHON=${PYTHON:-python3}
BENCH_SCRIPT=run.sh
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

TRIPLES=${BENCH_TRIPLES:-1000000}
REQUESTS=${BENCH_REQUESTS:-200}
WARMUP=${BENCH_WARMUP:-5}
MAX_SECONDS=${BENCH_MAX_SECONDS:-120}
WRK_SECONDS=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
WRK_ROUNDS=${BENCH_WRK_ROUNDS:-1}
ONLY_OXIGRAPH=${BENCH_ONLY_OXIGRAPH:-0}
STRICT=${BENCH_STRICT:-0}
WRK_QUERY=entity-lookup
BENCH_GRAPH=https://w3id.org/spyatlas/graph/bench   # the graph spyatlas loads the data into
HOST=127.0.0.1   # every request of this benchmark goes to the loopback address

START_TIME=$(date +%s)
lat() { "$PYTHON" "$BENCH_DIR/latency.py" "$@"; }
rep() { "$PYTHON" "$BENCH_DIR/report.py" "$@"; }

# ---------------------------------------------------------------- cleanup ---
WORK=""
PIDS=()    # the two servers
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local status=$?
    local pid
    stop_step
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        rm -rf -- "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------- 1. prerequisites ---
log "prerequisites"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v wrk >/dev/null || { echo "installing wrk (apt-get)"; apt_install wrk; }
command -v timeout >/dev/null || apt_install coreutils

require_oxigraph
echo "wrk:      $(command -v wrk)"

# ------------------------------------------------------ 2. build spyatlas ---
if [[ "$ONLY_OXIGRAPH" == 1 ]]; then
    echo "spyatlas: skipped (BENCH_ONLY_OXIGRAPH=1)"
else
    [[ -n "${SPYATLAS_BIN:-}" ]] || build_release
    [[ -x "$SPYATLAS_BIN" ]] || die "spyatlas binary not found: $SPYATLAS_BIN"
    echo "spyatlas: $SPYATLAS_BIN"
fi

# ---------------------------------------------------------- 3. test data ---
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spyatlas-bench.XXXXXX")
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
if [[ -n "${BENCH_DATA:-}" ]]; then
    DATA=$BENCH_DATA
    [[ -r "$DATA" ]] || die "BENCH_DATA not readable: $DATA"
    case "$DATA" in
        *.nt|*.ttl) ;;
        *) die "BENCH_DATA must hold triples (.nt or .ttl): spyatlas loads it into one graph" ;;
    esac
    log "data: $DATA"
else
    DATA="$WORK/data.nt"
    log "generating $TRIPLES triples"
    t0=$(now_ms)
    step timeout 600 "$PYTHON" "$BENCH_DIR/generate.py" --triples "$TRIPLES" --format nt --out "$DATA"
    echo "generated in $(since "$t0"), $(du -h "$DATA" | cut -f1)"
fi

# --------------------------------------------------------------- 4. load ---
load_into() { # label command...: bounded in time, output kept in a log
    local label=$1; shift
    local t0; t0=$(now_ms)
    if ! step timeout 1800 "$@" >"$WORK/load-$label.log" 2>&1; then
        cat "$WORK/load-$label.log" >&2
        die "$label load failed"
    fi
    echo "$label: loaded in $(since "$t0")"
}
log "loading"
if [[ "$ONLY_OXIGRAPH" != 1 ]]; then
    # The generated graph is plain RDF, not report documents: it goes into one named
    # graph through the raw loader (no report validation).
    load_into spyatlas "$SPYATLAS_BIN" load --data "$WORK/spyatlas" --graph "$BENCH_GRAPH" "$DATA"
    # spyatlas also holds its bundled ontology and seed report: oxigraph gets a dump of
    # the whole spyatlas store, so that both servers answer over identical quads.
    step timeout 600 "$SPYATLAS_BIN" dump --data "$WORK/spyatlas" --output "$WORK/all.nq" \
        >"$WORK/dump.log" 2>&1 || { cat "$WORK/dump.log" >&2; die "dumping the spyatlas store failed"; }
    load_into oxigraph "$OXIGRAPH_BIN" load --location "$WORK/oxigraph" --file "$WORK/all.nq"
    rm -f "$WORK/all.nq"
else
    load_into oxigraph "$OXIGRAPH_BIN" load --location "$WORK/oxigraph" --file "$DATA"
fi

# ------------------------------------------------------------ 5. servers ---
log "starting servers on $HOST"
read -r OX_PORT SA_PORT < <(lat free-ports 2)
[[ -n "${SA_PORT:-}" ]] || die "could not find free ports"
OX_URL="http://$HOST:$OX_PORT/query"
SA_URL="http://$HOST:$SA_PORT/sparql"

"$OXIGRAPH_BIN" serve --location "$WORK/oxigraph" --bind "$HOST:$OX_PORT" --union-default-graph \
    >"$WORK/oxigraph.log" 2>&1 &
OX_PID=$!
PIDS+=("$OX_PID")
if [[ "$ONLY_OXIGRAPH" != 1 ]]; then
    read -r -a serve_args <<<"${SPYATLAS_SERVE_ARGS:-}"
    "$SPYATLAS_BIN" serve --data "$WORK/spyatlas" --bind "$HOST:$SA_PORT" "${serve_args[@]}" \
        >"$WORK/spyatlas.log" 2>&1 &
    SA_PID=$!
    PIDS+=("$SA_PID")
fi
lat wait --url "$OX_URL" --pid "$OX_PID" --timeout 120 \
    || { cat "$WORK/oxigraph.log" >&2; die "oxigraph serve did not start"; }
echo "oxigraph serve: pid $OX_PID, $OX_URL"
SERVERS=("oxigraph|$OX_URL")
if [[ "$ONLY_OXIGRAPH" != 1 ]]; then
    lat wait --url "$SA_URL" --pid "$SA_PID" --timeout 120 \
        || { cat "$WORK/spyatlas.log" >&2; die "spyatlas serve did not start"; }
    echo "spyatlas serve: pid $SA_PID, $SA_URL"
    # spyatlas builds its search index, statistics and network of links in the background
    # when it starts (seconds at 1M triples): the measurements wait until all three are
    # complete, so that none of them (oxigraph's included) shares the cores with that work.
    t0=$(now_ms)
    "$PYTHON" "$BENCH_DIR/scale/measure.py" wait-spyatlas --base "http://$HOST:$SA_PORT" \
        --pid "$SA_PID" --timeout 600 || die "spyatlas did not get ready"
    echo "spyatlas indexes ready in $(since "$t0")"
    SERVERS+=("spyatlas|$SA_URL")
fi

# ---------------------------------------------------------- 6. latencies ---
log "latency: $WARMUP warm-up + $REQUESTS sequential requests per query and server (one keep-alive connection)"
QUERY_FILES=("$BENCH_DIR"/queries/*.rq)
for qf in "${QUERY_FILES[@]}"; do
    name=$(basename "$qf" .rq)
    name=${name#[0-9]-}   # "1-entity-lookup" -> "entity-lookup"
    for entry in "${SERVERS[@]}"; do
        step "$PYTHON" "$BENCH_DIR/latency.py" measure --label "${entry%%|*}" --url "${entry#*|}" --query-file "$qf" --name "$name" \
            --requests "$REQUESTS" --warmup "$WARMUP" --max-seconds "$MAX_SECONDS" --out "$RESULTS"
    done
done

# --------------------------------------------------------- 7. throughput ---
log "throughput: wrk -t$THREADS -c$CONNECTIONS -d${WRK_SECONDS}s on the $WRK_QUERY GET URL ($WRK_ROUNDS round(s))"
wrk_files=("$BENCH_DIR"/queries/*"$WRK_QUERY".rq)
wrk_file=${wrk_files[0]}
[[ -r "$wrk_file" ]] || die "no query file for $WRK_QUERY"
for round in $(seq 1 "$WRK_ROUNDS"); do
    if [[ "$WRK_ROUNDS" -gt 1 ]]; then echo "  round $round/$WRK_ROUNDS"; fi
    for entry in "${SERVERS[@]}"; do
        label=${entry%%|*}
        url=$(lat url --url "${entry#*|}" --query-file "$wrk_file")
        accept=$(lat accept --query-file "$wrk_file")
        out="$WORK/wrk-$label-$round.txt"
        step timeout $((WRK_SECONDS + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WRK_SECONDS}s" --timeout 5s \
            --latency -H "Accept: $accept" "$url" >"$out" 2>&1 \
            || { cat "$out" >&2; die "wrk failed against $label"; }
        sed -n '/Thread Stats/,$p' "$out" | sed 's/^/    /'
        rep wrk "$out" --label "$label" --name "$WRK_QUERY" --out "$RESULTS"
    done
done

# -------------------------------------------------------------- 8. table ---
log "summary ($TRIPLES triples, median of $REQUESTS sequential requests; wrk -c$CONNECTIONS ${WRK_SECONDS}s)"
strict=()
[[ "$STRICT" == 1 ]] && strict=(--strict)
set +e
rep table "$RESULTS" --connections "$CONNECTIONS" "${strict[@]}"
table_status=$?
set -e
echo "total time: $(( $(date +%s) - START_TIME )) s"
exit "$table_status"
