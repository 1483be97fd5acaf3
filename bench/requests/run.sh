#!/usr/bin/env bash
# What one request costs the server, in instructions (a benchmark, not a test):
#
#   bash bench/requests/run.sh                      # the release build (cargo build --release)
#   bash bench/requests/run.sh OLD_BIN NEW_BIN      # several binaries, one after the other
#
# Each binary serves a new store with the bundled data, on 127.0.0.1, under valgrind's
# callgrind, BENCH_STARTS times. Each time, once its indexes are built and BENCH_WARMUP
# requests of each kind have filled its caches, it answers BENCH_REQUESTS requests of each
# kind over one keep-alive connection, BENCH_ROUNDS times, and callgrind counts the
# instructions the whole process ran meanwhile (every thread; the kernel's part not
# included); the median of all the rounds counts. Rounds of one process agree within
# about 0.5 %; processes of the same binary differ by up to 5 % on some kinds (the
# cached SPARQL lookup gave 60.7k in most and 63.6k in some), hence several starts. Kinds (bench/requests/send.py):
#   sparql   the SPARQL GET that bench/run.sh's wrk sends, answered from the answer cache
#   page     an entity page, answered from the page cache
#   health   /health, which reads the store each time (no cache in front of it)
#
# The medians move by about 1 % from run to run, whatever else the machine does, where
# wall-clock throughput on a small shared VM moves by 10 % or more: this is the figure to
# compare two builds by. It does not replace bench/run.sh,
# which measures time against oxigraph.
#
# Environment: BENCH_REQUESTS [2000], BENCH_ROUNDS [3], BENCH_STARTS [3], BENCH_WARMUP [200], SPYATLAS_BIN (when no binary is
# named), PYTHON [python3]. Installs valgrind (apt-get) when it is missing.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$(dirname "$BENCH_DIR")")
PYTHON=${PYTHON:-python3}
REQUESTS=${BENCH_REQUESTS:-2000}
ROUNDS=${BENCH_ROUNDS:-3}
STARTS=${BENCH_STARTS:-3}
WARMUP=${BENCH_WARMUP:-200}
KINDS=(sparql page health)
HOST=127.0.0.1

BENCH_SCRIPT=requests/run.sh
# shellcheck source=bench/lib.sh
source "$REPO_DIR/bench/lib.sh"

[[ "$REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REQUESTS must be a positive number"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a number"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
[[ "$STARTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STARTS must be a positive number"
command -v curl >/dev/null || die "curl is missing"
if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
    echo "installing valgrind (apt-get)"
    apt_install valgrind
fi

BINARIES=("$@")
if [[ ${#BINARIES[@]} -eq 0 ]]; then
    [[ -n "${SPYATLAS_BIN:-}" ]] || build_release
    BINARIES=("$SPYATLAS_BIN")
fi
for binary in "${BINARIES[@]}"; do
    [[ -x "$binary" ]] || die "no spyatlas binary at $binary"
done

WORK=$(mktemp -d)
SERVER=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local status=$?
    stop_step
    stop_server
    rm -rf -- "$WORK"
    exit "$status"
}
# shellcheck disable=SC2317  # also invoked by cleanup
stop_server() {
    if [[ -n "$SERVER" ]] && kill -0 "$SERVER" 2>/dev/null; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    SERVER=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Serves the store $1 with the binary $2, under the command words that follow (none, or
# valgrind's); sets SERVER and BASE and waits until the indexes hold the whole store.
serve() {
    local data=$1 binary=$2 port
    shift 2
    port=$(free_port)
    BASE="http://$HOST:$port"
    "$@" "$binary" serve --data "$data" --bind "$HOST:$port" >>"$WORK/serve.log" 2>&1 &
    SERVER=$!
    step "$PYTHON" "$BENCH_DIR/send.py" --port "$port" --wait 900 --pid "$SERVER" \
        || { tail -n 20 "$WORK/serve.log" >&2; die "$binary did not get ready"; }
}

send() { step "$PYTHON" "$BENCH_DIR/send.py" --port "${BASE##*:}" --kind "$1" --count "$2"; }

# The `totals:` figure of a callgrind dump.
totals() { sed -n 's/^totals: *//p' "$1"; }

# The median of the numbers given.
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

ROWS=()
for binary in "${BINARIES[@]}"; do
    log "$binary"
    data="$WORK/store-${#ROWS[@]}"
    # The store is made (bundled data loaded, shapes checked) at full speed, then served
    # again under callgrind, BENCH_STARTS times.
    serve "$data" "$binary"
    stop_server
    declare -A counts=()
    for start in $(seq 1 "$STARTS"); do
        out="$WORK/callgrind-${#ROWS[@]}-$start"
        serve "$data" "$binary" valgrind --tool=callgrind --callgrind-out-file="$out.%p"
        server=$SERVER
        for kind in "${KINDS[@]}"; do
            send "$kind" "$WARMUP"
            for round in $(seq 1 "$ROUNDS"); do
                callgrind_control --zero "$server" >/dev/null 2>&1
                send "$kind" "$REQUESTS"
                callgrind_control --dump="$kind-$round" "$server" >/dev/null 2>&1
                dump=""
                for _ in $(seq 1 100); do
                    dump=$(grep -l "^desc: Trigger: dump $kind-$round\$" "$out.$server".* 2>/dev/null \
                        | head -n 1) && break
                    sleep 0.1
                done
                [[ -n "$dump" ]] || die "callgrind wrote no dump for $kind"
                counts[$kind]+="$(( $(totals "$dump") / REQUESTS )) "
            done
        done
        stop_server
    done
    row="$binary"
    for kind in "${KINDS[@]}"; do
        read -r -a all <<<"${counts[$kind]}"
        per_request=$(median "${all[@]}")
        printf '  %-7s %9d instructions per request (rounds: %s)\n' "$kind" "$per_request" "${all[*]}"
        row+=" | $per_request"
    done
    unset counts
    ROWS+=("$row")
done

log "summary: instructions per request (callgrind; median of $STARTS x $ROUNDS rounds of $REQUESTS requests of each kind, after $WARMUP)"
printf 'binary | %s\n' "$(IFS='|'; echo "${KINDS[*]}" | sed 's/|/ | /g')"
printf '%s\n' "${ROWS[@]}"
if [[ ${#ROWS[@]} -gt 1 ]]; then
    echo
    echo "ratios against the first binary:"
    first=(); IFS='|' read -r -a first <<<"${ROWS[0]}"
    for row in "${ROWS[@]:1}"; do
        IFS='|' read -r -a cells <<<"$row"
        line="${cells[0]% }"
        for i in $(seq 1 "${#KINDS[@]}"); do
            line+=" | $(awk -v a="${cells[$i]}" -v b="${first[$i]}" 'BEGIN { printf "%.3f", a / b }')"
        done
        echo "$line"
    done
fi
