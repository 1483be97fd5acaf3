#!/usr/bin/env bash
# `spyatlas load` vs `oxigraph load` on the same generated data: see bench/load/README.md.
#
#   bash bench/load/run.sh                          # needs a release build of spyatlas
#   SPYATLAS_BIN=/path/to/spyatlas bash bench/load/run.sh
#   BENCH_ONLY_OXIGRAPH=1 bash bench/load/run.sh    # reference loader only
#
# Environment (defaults in brackets):
#   BENCH_TRIPLES [1000000]   quads in the generated dump.nq
#   BENCH_REPORTS [1000]      report graphs in dump.nq
#   BENCH_DOCS [1000]         report documents (half YAML, half JSON-LD) in docs/
#   BENCH_SEED [20250211]     generator seed
#   BENCH_ROUNDS [3]          runs of every measurement, each in a fresh store; the median counts
#   BENCH_CACHE [${XDG_CACHE_HOME:-$HOME/.cache}/spyatlas/bench-load]
#                             generated data, one folder per parameter set (kept between runs)
#   BENCH_TIMEOUT [1800]      time cap of one load, in seconds
#   BENCH_VALIDATE [0]        1: check the generated data with validate.py first (pip-installs
#                             rdflib, pyshacl and pyyaml when missing)
#   BENCH_ONLY_OXIGRAPH [0]   1: skip spyatlas (no binary needed, no ratios)
#   BENCH_STRICT [0]          1: exit 3 when a target is missed
#   SPYATLAS_BIN              spyatlas binary (default: ${CARGO_TARGET_DIR:-/root/.cache/spyatlas/target}/release/spyatlas)
#   OXIGRAPH_BIN              oxigraph binary (default: from PyPI oxigraph==0.5.13)
#   PYTHON [python3]
set -euo pipefail

LOAD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python3}
BENCH_SCRIPT=load/run.sh
# shellcheck source=bench/lib.sh
source "$LOAD_DIR/../lib.sh"

TRIPLES=${BENCH_TRIPLES:-1000000}
REPORTS=${BENCH_REPORTS:-1000}
DOCS=${BENCH_DOCS:-1000}
SEED=${BENCH_SEED:-20250211}
ROUNDS=${BENCH_ROUNDS:-3}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spyatlas/bench-load}
TIMEOUT=${BENCH_TIMEOUT:-1800}
VALIDATE=${BENCH_VALIDATE:-0}
ONLY_OXIGRAPH=${BENCH_ONLY_OXIGRAPH:-0}
STRICT=${BENCH_STRICT:-0}

START_TIME=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)
rep() { "$PYTHON" "$LOAD_DIR/report.py" "$@"; }

# ---------------------------------------------------------------- cleanup ---
WORK=""    # the stores and logs of this run (removed on exit; the data cache is kept)
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local status=$?
    stop_step
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        rm -rf -- "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"

# ------------------------------------------------------- 1. prerequisites ---
log "prerequisites"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"

require_oxigraph

if [[ "$ONLY_OXIGRAPH" == 1 ]]; then
    SA_VERSION="skipped (BENCH_ONLY_OXIGRAPH=1)"
    echo "spyatlas: $SA_VERSION"
else
    if [[ -z "${SPYATLAS_BIN:-}" ]]; then
        SPYATLAS_BIN="${CARGO_TARGET_DIR:-/root/.cache/spyatlas/target}/release/spyatlas"
        [[ -x "$SPYATLAS_BIN" ]] || die "no spyatlas binary at $SPYATLAS_BIN: build it with \`cargo build --release\` \
(CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/spyatlas/target}), or set SPYATLAS_BIN"
    fi
    [[ -x "$SPYATLAS_BIN" ]] || die "spyatlas binary not found: $SPYATLAS_BIN"
    SA_VERSION=$("$SPYATLAS_BIN" --version 2>/dev/null || echo "spyatlas (version unknown)")
    echo "spyatlas: $SPYATLAS_BIN ($SA_VERSION)"
fi

TIME_BIN=""
RSS_NOTE=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true 2>&1 | grep -q "Maximum resident set size"; then
    TIME_BIN=/usr/bin/time
    echo "peak RSS: /usr/bin/time -v"
else
    RSS_NOTE="peak RSS not measured: /usr/bin/time (GNU time, with -v) is missing"
    echo "$RSS_NOTE"
fi

# ---------------------------------------------------------- 2. test data ---
# One cache folder per parameter set and generator version: generated once, reused after.
GEN_HASH=$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:12])' \
    "$LOAD_DIR/generate.py")
DATA="$CACHE/t$TRIPLES-r$REPORTS-d$DOCS-s$SEED-$GEN_HASH"
if [[ -f "$DATA/meta.json" && -f "$DATA/dump.nq" && -d "$DATA/docs" ]]; then
    log "data: $DATA (cached)"
else
    log "generating $TRIPLES quads in $REPORTS reports and $DOCS report documents"
    mkdir -p "$CACHE"
    t0=$(now_ms)
    step "$PYTHON" "$LOAD_DIR/generate.py" --triples "$TRIPLES" --reports "$REPORTS" --docs "$DOCS" \
        --seed "$SEED" --out "$DATA" || die "generate.py failed"
    echo "generated in $(since "$t0") into $DATA"
fi
DUMP="$DATA/dump.nq"
DOCS_DIR="$DATA/docs"
DUMP_QUADS=$(wc -l <"$DUMP" | tr -d ' ')
DOC_FILES=$(find "$DOCS_DIR" -type f \( -name '*.yaml' -o -name '*.jsonld' \) | wc -l | tr -d ' ')
echo "dump.nq: $DUMP_QUADS quads, $(du -h "$DUMP" | cut -f1); docs/: $DOC_FILES files, $(du -sh "$DOCS_DIR" | cut -f1)"

if [[ "$VALIDATE" == 1 ]]; then
    log "validating the generated data (validate.py)"
    if ! "$PYTHON" -c 'import rdflib, pyshacl, yaml' 2>/dev/null; then
        echo "installing rdflib, pyshacl, pyyaml (pip)"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check rdflib pyshacl pyyaml
    fi
    step "$PYTHON" "$LOAD_DIR/validate.py" "$DATA" || die "the generated data does not validate"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spyatlas-bench-load.XXXXXX")
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# Reads the input once, untimed, so that every run finds it in the page cache.
cat "$DUMP" >/dev/null
find "$DOCS_DIR" -type f -exec cat {} + >/dev/null

# --------------------------------------------------------------- 3. loads ---
# measure LABEL ROUND COMMAND...: runs the command with a time cap, appends
# "run LABEL ROUND MICROSECONDS PEAK_RSS_KB" to the results, prints a line.
measure() {
    local label=$1 round=$2; shift 2
    local out="$WORK/$label-$round.log" tfile="$WORK/$label-$round.time"
    local wrap=()
    [[ -n "$TIME_BIN" ]] && wrap=("$TIME_BIN" -v -o "$tfile")
    local t0 t1 rc=0
    t0=$(date +%s%N)
    step timeout "$TIMEOUT" "${wrap[@]}" "$@" >"$out" 2>&1 || rc=$?
    t1=$(date +%s%N)
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$out" >&2
        [[ $rc -eq 124 ]] && die "$label (round $round) took more than ${TIMEOUT}s"
        die "$label (round $round) failed with status $rc: $*"
    fi
    local rss=""
    [[ -n "$TIME_BIN" ]] && rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tfile")
    printf 'run\t%s\t%s\t%s\t%s\n' "$label" "$round" "$(( (t1 - t0) / 1000 ))" "${rss:-}" >>"$RESULTS"
    rep line "$RESULTS" "$label" "$round" --quads "$DUMP_QUADS" --reports "$DOC_FILES"
}

# count LABEL STORE: quads in the named graphs of a spyatlas store, for the table's checks.
COUNT_QUERY='SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }'
count() {
    local n
    n=$(timeout 600 "$SPYATLAS_BIN" query --data "$2" --format tsv "$COUNT_QUERY" 2>"$WORK/count-$1.log" \
        | grep -Eo '[0-9]+' | tail -n 1) || true
    if [[ -n "$n" ]]; then
        printf 'count\t%s\t%s\n' "$1" "$n" >>"$RESULTS"
    else
        echo "  (could not count the quads of $1: $(head -c 300 "$WORK/count-$1.log"))"
    fi
}

log "loading, $ROUNDS round(s), each load into a fresh store"
if [[ "$ONLY_OXIGRAPH" != 1 ]]; then
    # what a new spyatlas store holds before anything is loaded (bundled ontology, seed report ...)
    count bundled "$WORK/bundled"
    rm -rf -- "$WORK/bundled"
fi
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS"
    store="$WORK/store-$round"

    measure oxigraph-nq "$round" "$OXIGRAPH_BIN" load --location "$store" --file "$DUMP"
    rm -rf -- "$store"
    [[ "$ONLY_OXIGRAPH" == 1 ]] && continue

    measure spyatlas-nq "$round" "$SPYATLAS_BIN" load --data "$store" "$DUMP"
    [[ $round -eq 1 ]] && count spyatlas-nq "$store"
    measure spyatlas-nq-again "$round" "$SPYATLAS_BIN" load --data "$store" "$DUMP"
    [[ $round -eq 1 ]] && count spyatlas-nq-again "$store"
    rm -rf -- "$store"

    measure spyatlas-docs "$round" "$SPYATLAS_BIN" load --data "$store" "$DOCS_DIR"
    [[ $round -eq 1 ]] && count spyatlas-docs "$store"
    rm -rf -- "$store"
done

# -------------------------------------------------------------- 4. table ---
log "summary"
strict=()
[[ "$STRICT" == 1 ]] && strict=(--strict)
set +e
rep table "$RESULTS" --meta "$DATA/meta.json" --quads "$DUMP_QUADS" --reports "$DOC_FILES" --rounds "$ROUNDS" \
    --oxigraph "$OX_VERSION" --spyatlas "$SA_VERSION" --rss-note "$RSS_NOTE" --loadavg "$LOADAVG_START" "${strict[@]}"
table_status=$?
set -e
echo "total time: $(( $(date +%s) - START_TIME )) s"
exit "$table_status"
