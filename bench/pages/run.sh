#!/usr/bin/env bash
# Entity pages, search and paths under load (a benchmark, not a test):
#
#   bash bench/pages/run.sh
#
# On the 1,000,000-quad dump of bench/load (generated once, cached), loaded with
# `spyatlas load`, it serves the store on 127.0.0.1 and measures with wrk (8 connections,
# 2 threads, BENCH_SECONDS each) the median and 99th percentile latency of
#   - an entity page (HTML) of a person and of a vendor (a hub), and
#   - /api/search for a full name, a prefix, a name with a typo;
# and, on a store with the bundled data only, /api/path between Luca Casarini and
# Paragon Solutions (median of BENCH_PATH_RUNS sequential requests).
# Targets: entity page p99 <= 10 ms; search p50 <= 2 ms; path < 100 ms. Pages are kept
# once rendered until the next write, so wrk's repeated requests measure served pages;
# the first renders of 100 different pages are measured apart, one request at a time.
#
# Environment: BENCH_SECONDS [10], BENCH_PATH_RUNS [50], SPYATLAS_BIN (default: the
# release build in $CARGO_TARGET_DIR or /root/.cache/spyatlas/target), PYTHON [python3],
# BENCH_STORE [embedded; or virtuoso: the same on a throwaway Virtuoso 7, see bench/lib.sh].
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$(dirname "$BENCH_DIR")")
PYTHON=${PYTHON:-python3}
SECONDS_EACH=${BENCH_SECONDS:-10}
PATH_RUNS=${BENCH_PATH_RUNS:-50}
SPYATLAS_BIN=${SPYATLAS_BIN:-${CARGO_TARGET_DIR:-/root/.cache/spyatlas/target}/release/spyatlas}
HOST=127.0.0.1

BENCH_SCRIPT=pages/run.sh
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"

[[ -x "$SPYATLAS_BIN" ]] || die "no spyatlas binary at $SPYATLAS_BIN: run \`cargo build --release\` first"
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
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

# Starts `spyatlas serve` on the store called $1; sets SERVER and BASE.
serve() {
    local port
    port=$(free_port)
    open_store "$1"
    "$SPYATLAS_BIN" serve "${STORE_ARGS[@]}" --bind "$HOST:$port" >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    BASE="http://$HOST:$port"
    for _ in $(seq 1 300); do
        curl -sf "$BASE/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$WORK/serve.log" >&2
    die "the server did not start"
}

stop() {
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
}

ROWS=()
# wrk on one URL: records "what | p50 | p99 | req/s".
measure() {
    local what=$1 url=$2 accept=${3:-*/*} out p50 p99 rps
    out=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" --latency -H "Accept: $accept" "$url")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then
        die "$what: some answers were not 2xx: $(grep Non-2xx <<<"$out")"
    fi
    printf '  %-40s p50 %-9s p99 %-9s %s req/s\n' "$what" "$p50" "$p99" "$rps"
    ROWS+=("| $what | $p50 | $p99 | $rps |")
}

log "data: the bench/load dump (1,000,000 quads in 1,000 reports)"
DUMP=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/spyatlas/bench-load/t1000000-r1000-d1000-*/dump.nq 2>/dev/null | sed -n 1p || true)
if [[ -z "$DUMP" ]]; then
    "$PYTHON" "$REPO_DIR/bench/load/generate.py" --out "$WORK/data" >/dev/null
    DUMP="$WORK/data/dump.nq"
fi
echo "$DUMP"

log "loading it ($BENCH_STORE store)"
open_store store
load_started=$(now_ms)
"$SPYATLAS_BIN" load "${STORE_ARGS[@]}" "$DUMP" | tail -1
LOAD_TIME=$(since "$load_started")
echo "  loaded in $LOAD_TIME"

log "the bundled data alone, for the path"
open_store seed
"$SPYATLAS_BIN" query "${STORE_ARGS[@]}" "ASK { ?s ?p ?o }" >/dev/null

log "serving it, and measuring (wrk -t2 -c8 -d${SECONDS_EACH}s)"
serve store
# The search index, the statistics and the network of links are built in the background
# after the start: nothing is measured until all three are complete.
wait_complete() {
    for _ in $(seq 1 3000); do
        curl -sf "$BASE$1" | grep -q '"complete":true' && return 0
        sleep 0.2
    done
    die "$1 did not become complete"
}
started=$(date +%s%N)
wait_complete "/api/search?q=warm"
INDEX_TIME="$(( ($(date +%s%N) - started) / 1000000 )) ms"
echo "  search index built in $INDEX_TIME after the start"
# (`sed -n 1p` rather than `head`: it reads to the end, so no SIGPIPE under pipefail.)
first_link() { curl -sf "$BASE$1" | grep -o 'href="/id/[a-z0-9-]*"' | sed -n 1p | cut -d'"' -f2; }
person=$(first_link /people)
vendor=$(first_link /vendors)
[[ -n "$person" && -n "$vendor" ]] || die "no person or vendor listed"
wait_complete "/api/statistics"
wait_complete "/api/path?from=${person#/id/}&to=${vendor#/id/}&max=1"
echo "  statistics and network of links complete after $(( ($(date +%s%N) - started) / 1000000 )) ms"
name=$(curl -sf "$BASE$person" | grep -o '<h1 lang="en">[^<]*' | sed -n 1p | sed 's/.*>//')
first=${name%% *}
typo="${name:0:3}${name:4}"
# First renders (nothing cached): 100 different people and vendors, one request each.
cold=()
for link in $(curl -sf "$BASE/people" | grep -o 'href="/id/[a-z0-9-]*"' | cut -d'"' -f2 | sed -n 1,80p) \
            $(curl -sf "$BASE/vendors" | grep -o 'href="/id/[a-z0-9-]*"' | cut -d'"' -f2 | sed -n 1,20p); do
    cold+=("$(curl -sf -o /dev/null -w '%{time_total}' "$BASE$link")")
done
cold_p50=$(printf '%s\n' "${cold[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]*1000}')
cold_p99=$(printf '%s\n' "${cold[@]}" | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.1f ms", a[i]*1000}')
echo "  first renders of ${#cold[@]} entity pages, one at a time: p50 $cold_p50, p99 $cold_p99"
ROWS+=("| entity page, first render (${#cold[@]} pages, sequential) | $cold_p50 | $cold_p99 | |")
measure "entity page, person ($person)" "$BASE$person" "text/html"
measure "entity page, vendor ($vendor)" "$BASE$vendor" "text/html"
measure "entity page as JSON ($person)" "$BASE$person" "application/json"
measure "search, full name ($name)" "$BASE/api/search?q=$(printf '%s' "$name" | sed 's/ /+/g')"
measure "search, prefix (${first:0:4})" "$BASE/api/search?q=${first:0:4}"
measure "search, typo ($typo)" "$BASE/api/search?q=$(printf '%s' "$typo" | sed 's/ /+/g')"
stop

log "path on the bundled data ($PATH_RUNS sequential requests)"
serve seed
times=()
for _ in $(seq 1 "$PATH_RUNS"); do
    times+=("$(curl -sf -o /dev/null -w '%{time_total}' "$BASE/api/path?from=luca-casarini&to=paragon-solutions")")
done
stop
path_median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]*1000}')
path_max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1 | awk '{printf "%.1f ms", $1*1000}')
echo "  median $path_median, slowest $path_max"

log "summary ($(nproc) cores, $BENCH_STORE store; the 1M dump loaded in $LOAD_TIME)"
echo "| request (8 connections) | p50 | p99 | req/s |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
echo
echo "/api/path luca-casarini -> paragon-solutions on the bundled data: median $path_median, slowest $path_max (target < 100 ms)"
echo "search index of the 1M store complete $INDEX_TIME after the server answered"
echo "targets: entity page p99 <= 10 ms; search p50 <= 2 ms"
