#!/usr/bin/env bash
# One generated graph on three servers, side by side (a benchmark, not a test):
# spyatlas, `oxigraph serve` (PyPI oxigraph==0.5.13) and Virtuoso 7 (Debian's
# virtuoso-opensource-7-bin). See bench/README.md, "bench/scale".
#
#   bash bench/scale/run.sh                          # 10,000,000 triples
#   BENCH_TRIPLES=1000000 bash bench/scale/run.sh
#
# The systems run one at a time (load, serve, measure, stop), so that they never share
# the cores: for each, the load is timed (triples/s), the database folder measured
# (bytes/triple), the server started on 127.0.0.1 and the query mix of bench/queries/
# and bench/scale/queries/ timed (median and p95 of sequential requests on one
# keep-alive connection); spyatlas also gets its own requests (entity pages, search,
# paths, /api/statistics), which the others have no counterpart of. The peak RSS
# (VmHWM) of each server is read before it is stopped. Prints a markdown table, writes
# the figures to $CACHE/results-N.json, and, when results of another size are there,
# a table of how each figure grew from the smaller size to the larger.
#
# Environment (defaults in brackets):
#   BENCH_TRIPLES [10000000]  size of the generated graph (generate.py --format nt)
#   BENCH_REQUESTS [50]       timed sequential requests per query and server
#   BENCH_WARMUP [3]          untimed requests before those
#   BENCH_MAX_SECONDS [60]    time cap of one (query, server) latency loop (the warm-up
#                             stops early once it has taken a quarter of that)
#   BENCH_EXTRA_MAX_SECONDS [300]  time cap of each of spyatlas's own loops (pages, search,
#                             paths, statistics)
#   BENCH_SYSTEMS ["spyatlas oxigraph virtuoso"]   which systems to run, in this order
#   BENCH_KEEP [0]            1: keep the database folders (and logs) of the run
#   BENCH_SEED [1]            seed of the random entity pages, names and path pairs
#   BENCH_COMPARE             size of the results to compare with (default: the largest
#                             smaller size with results, else the smallest larger one)
#   BENCH_CACHE [${XDG_CACHE_HOME:-$HOME/.cache}/spyatlas/bench-scale]
#                             the generated data (data-N.nt) and the results (results-N.json)
#   BENCH_WORK [${TMPDIR:-/tmp}]   where the database folders are made
#   BENCH_LOAD_TIMEOUT [7200] time cap of one load, in seconds
#   BENCH_READY_TIMEOUT [1800]     time cap of a server's start (spyatlas: until its
#                             search index, statistics and network of links are complete),
#                             in seconds
#   BENCH_VIRTUOSO_BUFFERS [300000]  Virtuoso NumberOfBuffers (8 KB pages, about 2.5 GB);
#                             MaxDirtyBuffers is 3/4 of it
#   BENCH_VIRTUOSO_QUERY_MEM [1G]    Virtuoso MaxQueryMem
#   BENCH_VIRTUOSO_XML [1]    1: also time Virtuoso's SELECT queries with XML results (its JSON
#                             writer is much slower), as a column "virtuoso, XML results"
#   SPYATLAS_BIN              spyatlas binary (default: ${CARGO_TARGET_DIR:-target}/release/spyatlas;
#                             never built here: run cargo build --release first)
#   OXIGRAPH_BIN              oxigraph binary (default: from PyPI oxigraph==0.5.13)
#   VIRTUOSO_BIN / ISQL_BIN   virtuoso-t / isql-vt (default: from virtuoso-opensource-7-bin)
#   PYTHON [python3]
set -euo pipefail

SCALE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=$(dirname "$SCALE_DIR")
REPO_DIR=$(dirname "$BENCH_DIR")
PYTHON=${PYTHON:-python3}
# shellcheck disable=SC2034  # read by die() in lib.sh
BENCH_SCRIPT=scale/run.sh
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

TRIPLES=${BENCH_TRIPLES:-10000000}
REQUESTS=${BENCH_REQUESTS:-50}
WARMUP=${BENCH_WARMUP:-3}
MAX_SECONDS=${BENCH_MAX_SECONDS:-60}
EXTRA_MAX_SECONDS=${BENCH_EXTRA_MAX_SECONDS:-300}
SYSTEMS=${BENCH_SYSTEMS:-spyatlas oxigraph virtuoso}
KEEP=${BENCH_KEEP:-0}
SEED=${BENCH_SEED:-1}
COMPARE=${BENCH_COMPARE:-0}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spyatlas/bench-scale}
LOAD_TIMEOUT=${BENCH_LOAD_TIMEOUT:-7200}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-1800}
VT_BUFFERS=${BENCH_VIRTUOSO_BUFFERS:-300000}
VT_QUERY_MEM=${BENCH_VIRTUOSO_QUERY_MEM:-1G}
VT_XML=${BENCH_VIRTUOSO_XML:-1}
VIRTUOSO_PACKAGE=virtuoso-opensource-7-bin
GRAPH=https://w3id.org/spyatlas/graph/bench   # every system loads the data into this graph
HOST=127.0.0.1   # every server listens on, and every request goes to, the loopback address

START_TIME=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)
m() { "$PYTHON" "$SCALE_DIR/measure.py" "$@"; }

[[ "$TRIPLES" =~ ^[0-9]+$ && "$TRIPLES" -ge 50000 ]] || die "BENCH_TRIPLES must be a number of at least 50000"
[[ "$REQUESTS" =~ ^[0-9]+$ && "$REQUESTS" -ge 1 ]] || die "BENCH_REQUESTS must be at least 1"
for s in $SYSTEMS; do
    case "$s" in spyatlas|oxigraph|virtuoso) ;; *) die "unknown system in BENCH_SYSTEMS: $s" ;; esac
done
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- cleanup ---
WORK=""
SERVER_PID=""      # the one server running
SERVER_KIND=""
SERVER_LOG=""
VT_SQL_PORT=""

# Stops the running server by its PID (Virtuoso first through isql's shutdown, which
# checkpoints); TERM, then KILL after 10 s.
stop_server() {
    local pid=$SERVER_PID
    [[ -n "$pid" ]] || return 0
    SERVER_PID=""
    if kill -0 "$pid" 2>/dev/null; then
        if [[ "$SERVER_KIND" == virtuoso && -n "$VT_SQL_PORT" ]]; then
            timeout 60 "$ISQL_BIN" "$HOST:$VT_SQL_PORT" dba dba -K >/dev/null 2>&1 || true
            for _ in $(seq 1 600); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "  pid $pid did not stop on TERM: KILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local status=$?
    stop_step
    stop_server
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ "$KEEP" == 1 ]]; then
            echo "kept (BENCH_KEEP=1): $WORK"
        else
            rm -rf -- "$WORK"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints the last lines of a log and dies.
fail() { # log message
    if [[ -f "$1" ]]; then
        echo "---- last lines of $1:" >&2
        tail -n 40 "$1" >&2
        echo "----" >&2
    fi
    die "$2"
}

# ------------------------------------------------------- 1. prerequisites ---
log "prerequisites"
# The figures are only worth something on an otherwise idle machine.
if awk '{exit !($1 > 1.0)}' /proc/loadavg 2>/dev/null; then
    echo "warning: load average $LOADAVG_START: something else is running, the figures will be skewed" >&2
fi
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
if has spyatlas; then
    if [[ -z "${SPYATLAS_BIN:-}" ]]; then
        target_dir=${CARGO_TARGET_DIR:-target}
        [[ "$target_dir" == /* ]] || target_dir="$REPO_DIR/$target_dir"
        SPYATLAS_BIN="$target_dir/release/spyatlas"
    fi
    [[ -x "$SPYATLAS_BIN" ]] || die "no spyatlas binary at $SPYATLAS_BIN (set SPYATLAS_BIN, or cargo build --release)"
    SA_VERSION=$("$SPYATLAS_BIN" --version) || die "$SPYATLAS_BIN --version failed"
    echo "spyatlas: $SPYATLAS_BIN ($SA_VERSION)"
fi
if has oxigraph; then
    require_oxigraph
fi
if has virtuoso; then
    if [[ -z "${VIRTUOSO_BIN:-}" || -z "${ISQL_BIN:-}" ]]; then
        vt_status=$(dpkg-query -W -f '${Status}' "$VIRTUOSO_PACKAGE" 2>/dev/null || true)
        if [[ "$vt_status" != *"ok installed"* ]]; then
            # The binaries only: the server package (virtuoso-opensource-7) would also set up
            # and start a system-wide Virtuoso on ports 1111 and 8890.
            echo "installing $VIRTUOSO_PACKAGE (apt-get)"
            apt_install "$VIRTUOSO_PACKAGE"
        fi
        VIRTUOSO_BIN=${VIRTUOSO_BIN:-$(dpkg -L "$VIRTUOSO_PACKAGE" | grep -E '/bin/virtuoso-t$' | sed -n 1p)}
        ISQL_BIN=${ISQL_BIN:-$(dpkg -L "$VIRTUOSO_PACKAGE" | grep -E '/bin/isql-vt$' | sed -n 1p)}
    fi
    [[ -x "$VIRTUOSO_BIN" ]] || die "virtuoso-t not found (set VIRTUOSO_BIN)"
    [[ -x "$ISQL_BIN" ]] || die "isql-vt not found (set ISQL_BIN)"
    # (virtuoso-t -? prints its version and exits with status 1)
    VT_VERSION=$({ "$VIRTUOSO_BIN" "-?" 2>&1 || true; } | sed -n 's/^Version \([^ ]*\).*/\1/p' | sed -n 1p)
    echo "virtuoso: $VIRTUOSO_BIN, $ISQL_BIN (Virtuoso $VT_VERSION)"
fi

# ---------------------------------------------------------- 2. test data ---
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
DATA="$CACHE/data-$TRIPLES.nt"
case "$DATA" in
    *,*|*\'*|*\ *) die "the cache path must hold no comma, quote or space (Virtuoso's DirsAllowed and ld_dir): $DATA" ;;
esac
if [[ -s "$DATA" ]]; then
    log "data: $DATA (cached)"
else
    log "generating $TRIPLES triples into $DATA"
    t0=$(now_ms)
    step timeout 7200 "$PYTHON" "$BENCH_DIR/generate.py" --triples "$TRIPLES" --format nt --out "$DATA.tmp.$$" \
        || { rm -f "$DATA.tmp.$$"; die "generate.py failed"; }
    mv "$DATA.tmp.$$" "$DATA"
    echo "generated in $(since "$t0")"
fi
lines=$(wc -l <"$DATA")
[[ "$lines" -eq "$TRIPLES" ]] || die "$DATA has $lines lines, not $TRIPLES: remove it and run again"
echo "$(du -h "$DATA" | cut -f1), $lines triples"

WORK=$(mktemp -d "${BENCH_WORK:-${TMPDIR:-/tmp}}/spyatlas-scale.XXXXXX")
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
echo "work folder: $WORK"

# ---------------------------------------------------------------- helpers ---
record() { m record --out "$RESULTS" "$@"; }
secs_since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
remove_db() { [[ "$KEEP" == 1 ]] || rm -rf -- "$1"; }

# Runs a load command (timed, bounded, its peak RSS recorded, its output in a log).
timed_load() { # system log command...
    local system=$1 logf=$2; shift 2
    local t0; t0=$(now_ms)
    step timeout "$LOAD_TIMEOUT" "$PYTHON" "$SCALE_DIR/measure.py" rusage --out "$RESULTS" --system "$system" \
        -- "$@" >"$logf" 2>&1 || fail "$logf" "$system: the load failed (or took more than $LOAD_TIMEOUT s)"
    LOAD_SECONDS=$(secs_since "$t0")
}

after_load() { # system folder seconds
    local bytes
    bytes=$(du -sB1 "$2" | cut -f1)
    record --system "$1" --figure load "seconds=$3"
    record --system "$1" --figure disk "bytes=$bytes"
    echo "  $1: loaded in $3 s ($("$PYTHON" -c "print(f'{$TRIPLES / $3:,.0f}')") triples/s), $(du -sh "$2" | cut -f1) on disk"
}

# The five queries of bench/queries/ and the ad-hoc aggregations of bench/scale/queries/.
QUERY_FILES=("$BENCH_DIR"/queries/*.rq "$SCALE_DIR"/queries/*.rq)
run_queries() { # system url [measure.py sparql options]
    local system=$1 url=$2 qf name
    shift 2
    for qf in "${QUERY_FILES[@]}"; do
        name=$(basename "$qf" .rq)
        name=${name#[0-9]-}
        step "$PYTHON" "$SCALE_DIR/measure.py" sparql --system "$system" --url "$url" --query-file "$qf" --name "$name" \
            --requests "$REQUESTS" --warmup "$WARMUP" --max-seconds "$MAX_SECONDS" --out "$RESULTS" "$@" \
            || fail "$SERVER_LOG" "$system: query $name failed"
    done
}

serve_rss() { # system
    local kb
    kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
    [[ -n "$kb" ]] || fail "$SERVER_LOG" "$1: the server (pid $SERVER_PID) is gone before its peak RSS was read"
    record --system "$1" --figure "${2:-serve-rss}" "kb=$kb"
    echo "  $1: peak RSS $((kb / 1024)) MB (VmHWM of pid $SERVER_PID)"
}

check_count() { # system url
    step "$PYTHON" "$SCALE_DIR/measure.py" count --url "$2" --graph "$GRAPH" --expect "$TRIPLES" \
        || fail "$SERVER_LOG" "$1: the graph does not hold the $TRIPLES triples"
}

# ------------------------------------------------------------- 3. spyatlas ---
run_spyatlas() {
    local dir="$WORK/spyatlas" port t0 base
    log "spyatlas: load"
    timed_load spyatlas "$WORK/spyatlas-load.log" "$SPYATLAS_BIN" load --data "$dir" --graph "$GRAPH" "$DATA"
    tail -n 1 "$WORK/spyatlas-load.log" | sed 's/^/  /'
    after_load spyatlas "$dir" "$LOAD_SECONDS"

    log "spyatlas: serve"
    port=$(free_port)
    base="http://$HOST:$port"
    SERVER_LOG="$WORK/spyatlas-serve.log"
    t0=$(now_ms)
    "$SPYATLAS_BIN" serve --data "$dir" --bind "$HOST:$port" --query-timeout 120 >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    SERVER_KIND=spyatlas
    # /health, then until the search index, the statistics and the network of links,
    # built in the background after the start, are complete: no measurement shares the
    # cores with that work.
    step "$PYTHON" "$SCALE_DIR/measure.py" wait-spyatlas --base "$base" --pid "$SERVER_PID" --timeout "$READY_TIMEOUT" \
        || fail "$SERVER_LOG" "spyatlas serve did not get ready"
    record --system spyatlas --figure ready "seconds=$(secs_since "$t0")"
    echo "  pid $SERVER_PID, $base"
    check_count spyatlas "$base/sparql"

    log "spyatlas: queries ($WARMUP warm-up + $REQUESTS sequential requests each)"
    run_queries spyatlas "$base/sparql"

    log "spyatlas: its own requests"
    step "$PYTHON" "$SCALE_DIR/measure.py" pages --base "$base" --count 100 --max-seconds "$EXTRA_MAX_SECONDS" --triples "$TRIPLES" --seed "$SEED" --out "$RESULTS" \
        || fail "$SERVER_LOG" "spyatlas: entity pages failed"
    step "$PYTHON" "$SCALE_DIR/measure.py" search --base "$base" --sparql "$base/sparql" --count 100 --max-seconds "$EXTRA_MAX_SECONDS" --triples "$TRIPLES" \
        --seed "$SEED" --out "$RESULTS" || fail "$SERVER_LOG" "spyatlas: search failed"
    step "$PYTHON" "$SCALE_DIR/measure.py" paths --base "$base" --count 50 --max 6 --max-seconds "$EXTRA_MAX_SECONDS" --triples "$TRIPLES" --seed "$SEED" \
        --out "$RESULTS" || fail "$SERVER_LOG" "spyatlas: paths failed"
    step "$PYTHON" "$SCALE_DIR/measure.py" statistics --base "$base" --count 50 --max-seconds "$EXTRA_MAX_SECONDS" --out "$RESULTS" \
        || fail "$SERVER_LOG" "spyatlas: statistics failed"

    serve_rss spyatlas
    stop_server
    remove_db "$dir"
}

# ------------------------------------------------------------- 4. oxigraph ---
run_oxigraph() {
    local dir="$WORK/oxigraph" port t0 url
    log "oxigraph: load"
    timed_load oxigraph "$WORK/oxigraph-load.log" "$OXIGRAPH_BIN" load --location "$dir" --file "$DATA" --graph "$GRAPH"
    after_load oxigraph "$dir" "$LOAD_SECONDS"

    log "oxigraph: serve"
    port=$(free_port)
    url="http://$HOST:$port/query"
    SERVER_LOG="$WORK/oxigraph-serve.log"
    t0=$(now_ms)
    "$OXIGRAPH_BIN" serve --location "$dir" --bind "$HOST:$port" --union-default-graph >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    SERVER_KIND=oxigraph
    step "$PYTHON" "$SCALE_DIR/measure.py" wait-sparql --url "$url" --pid "$SERVER_PID" --timeout "$READY_TIMEOUT" \
        || fail "$SERVER_LOG" "oxigraph serve did not start"
    record --system oxigraph --figure ready "seconds=$(secs_since "$t0")"
    echo "  pid $SERVER_PID, $url"
    check_count oxigraph "$url"

    log "oxigraph: queries ($WARMUP warm-up + $REQUESTS sequential requests each)"
    run_queries oxigraph "$url"

    serve_rss oxigraph
    stop_server
    remove_db "$dir"
}

# ------------------------------------------------------------- 5. virtuoso ---
# A throwaway database: its own folder, virtuoso.ini, and free ports of 127.0.0.1.
write_virtuoso_ini() { # folder sql_port http_port
    local dir=$1
    mkdir -p "$dir/www"
    cat >"$dir/virtuoso.ini" <<EOF
; generated by bench/scale/run.sh
[Database]
DatabaseFile       = $dir/virtuoso.db
ErrorLogFile       = $dir/virtuoso.log
LockFile           = $dir/virtuoso.lck
TransactionFile    = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/virtuoso-temp.db
TransactionFile    = $dir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = $HOST:$2
DisableUnixSocket    = 1
LiteMode             = 0
CheckpointInterval   = 60
CaseMode             = 2
; the bulk loader reads the data file from the cache folder
DirsAllowed          = ., $dir, $CACHE
; 8 KB pages: $VT_BUFFERS buffers are about $((VT_BUFFERS * 85 / 10000)) MB
NumberOfBuffers      = $VT_BUFFERS
MaxDirtyBuffers      = $((VT_BUFFERS * 3 / 4))
MaxQueryMem          = $VT_QUERY_MEM
ThreadsPerQuery      = $(nproc)
AsyncQueueMaxThreads = 10
MaxClientConnections = 10

[HTTPServer]
ServerPort              = $HOST:$3
ServerRoot              = $dir/www
ServerThreads           = 10
MaxClientConnections    = 10
MaxKeepAlives           = 10
KeepAliveTimeout        = 10
EnabledGzipContent      = 0
Charset                 = UTF-8

[SPARQL]
; no cap on result rows, no estimated-cost refusal, no "anytime" partial answers
ResultSetMaxRows           = 1000000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 0
EOF
}

# Starts virtuoso-t in the foreground (so that $! is the server) and waits until both
# its SQL and HTTP listeners are up.
start_virtuoso() { # folder http_url
    local dir=$1 waited=0
    SERVER_LOG="$dir/virtuoso.log"
    "$VIRTUOSO_BIN" +foreground +configfile "$dir/virtuoso.ini" >"$dir/stdout.log" 2>&1 &
    SERVER_PID=$!
    SERVER_KIND=virtuoso
    until grep -q 'Server online at' "$SERVER_LOG" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/stdout.log" >&2; fail "$SERVER_LOG" "virtuoso-t exited at start"; }
        (( waited < READY_TIMEOUT * 10 )) || fail "$SERVER_LOG" "virtuoso-t not online within $READY_TIMEOUT s"
        sleep 0.1
        waited=$((waited + 1))
    done
    step "$PYTHON" "$SCALE_DIR/measure.py" wait-sparql --url "$2" --pid "$SERVER_PID" --timeout "$READY_TIMEOUT" \
        || fail "$SERVER_LOG" "Virtuoso's /sparql did not answer"
}

# Runs SQL through isql on the SQL port; output into a file; fails on any error.
vt_sql() { # output sql
    timeout "$LOAD_TIMEOUT" "$ISQL_BIN" "$HOST:$VT_SQL_PORT" dba dba "exec=$2" >"$1" 2>&1 || return 1
    ! grep -q '\*\*\* Error' "$1"
}

run_virtuoso() {
    local dir="$WORK/virtuoso" http_port t0 url
    read -r VT_SQL_PORT http_port < <("$PYTHON" "$BENCH_DIR/latency.py" free-ports 2)
    [[ -n "$http_port" ]] || die "could not find free ports"
    url="http://$HOST:$http_port/sparql"
    write_virtuoso_ini "$dir" "$VT_SQL_PORT" "$http_port"

    log "virtuoso: load (ld_dir + rdf_loader_run + checkpoint, on a new database)"
    start_virtuoso "$dir" "$url"
    echo "  pid $SERVER_PID, SQL $HOST:$VT_SQL_PORT, $url"
    t0=$(now_ms)
    step vt_sql "$WORK/virtuoso-load.log" \
        "ld_dir('$CACHE', '$(basename "$DATA")', '$GRAPH'); rdf_loader_run(); checkpoint;" \
        || fail "$WORK/virtuoso-load.log" "virtuoso: the bulk load failed"
    LOAD_SECONDS=$(secs_since "$t0")
    vt_sql "$WORK/virtuoso-loadlist.log" \
        "select ll_file, ll_state, ll_error from DB.DBA.LOAD_LIST where ll_state <> 2 or ll_error is not null;" \
        || fail "$WORK/virtuoso-loadlist.log" "virtuoso: could not read DB.DBA.LOAD_LIST"
    grep -q '^0 Rows' "$WORK/virtuoso-loadlist.log" \
        || fail "$WORK/virtuoso-loadlist.log" "virtuoso: the bulk loader reports errors (DB.DBA.LOAD_LIST)"
    # The load runs inside the server: its peak RSS so far is the load's.
    serve_rss virtuoso load-rss
    stop_server   # isql shutdown: checkpoints and empties the transaction log
    after_load virtuoso "$dir" "$LOAD_SECONDS"

    log "virtuoso: serve (the loaded database, in a new process)"
    t0=$(now_ms)
    start_virtuoso "$dir" "$url"
    record --system virtuoso --figure ready "seconds=$(secs_since "$t0")"
    echo "  pid $SERVER_PID, $url"
    check_count virtuoso "$url"

    log "virtuoso: queries ($WARMUP warm-up + $REQUESTS sequential requests each)"
    run_queries virtuoso "$url"
    if [[ "$VT_XML" == 1 ]]; then
        # Virtuoso writes SPARQL JSON results far slower than XML ones: the SELECT queries
        # again with Accept: application/sparql-results+xml, as a column of their own.
        log "virtuoso: the SELECT queries again, with XML results"
        run_queries virtuoso-xml "$url" --accept xml
    fi

    serve_rss virtuoso
    stop_server
    VT_SQL_PORT=""
    remove_db "$dir"
}

# ---------------------------------------------------------------- 6. runs ---
for s in $SYSTEMS; do
    "run_$s"
done

# --------------------------------------------------------------- 7. table ---
log "summary: $TRIPLES triples; queries: median (p95) ms of $REQUESTS sequential requests on one keep-alive connection"
meta=$("$PYTHON" -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' \
    "date=$(date -Is)" "cores=$(nproc)" "memory_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" \
    "systems=$SYSTEMS" "requests=$REQUESTS" "warmup=$WARMUP" "max_seconds=$MAX_SECONDS" "seed=$SEED" \
    "spyatlas=${SA_VERSION:-}" "oxigraph=${OX_VERSION:-}" "virtuoso=${VT_VERSION:-}" \
    "virtuoso_buffers=$VT_BUFFERS" "data=$DATA" "total_seconds=$(( $(date +%s) - START_TIME ))" \
    "loadavg_start=$LOADAVG_START" "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)")
m report --results "$RESULTS" --triples "$TRIPLES" --json "$CACHE/results-$TRIPLES.json" \
    --meta "$meta" --compare "$COMPARE" || die "the report failed"
echo
echo "total time: $(( $(date +%s) - START_TIME )) s (load average before the run: $LOADAVG_START)"
