# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, not run): messages, timing, interruptible
# steps, Debian packages, and the reference `oxigraph` binary.
#
# The sourcing script sets PYTHON and may set BENCH_SCRIPT (its name in messages), and
# calls stop_step in its EXIT trap.

# The version the targets were set against.
OXIGRAPH_VERSION=0.5.13

# The folder of the benchmarks (this file's).
BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '\n==> %s\n' "$*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%d s' $((ms / 1000)) $(((ms % 1000) / 100)); }
die() { printf '%s: %s\n' "${BENCH_SCRIPT:-run.sh}" "$*" >&2; exit 1; }

# Runs a long step as a waited-for background job, so that a TERM or INT sent
# to the script is handled at once (bash defers traps while a foreground
# command runs) and the cleanup can stop the step too. Returns its status.
CHILD=""
step() {
    "$@" &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}

# Stops the step still running (for the EXIT trap).
stop_step() {
    if [[ -n "$CHILD" ]] && kill -0 "$CHILD" 2>/dev/null; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
}

# Prints a free TCP port of 127.0.0.1.
free_port() { "$PYTHON" "$BENCH_LIB_DIR/latency.py" free-ports 1; }

# Runs a command as root (directly, or through sudo).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}
APT_UPDATED=0
# Installs Debian packages, updating the package lists once.
apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Builds spyatlas with `cargo build --release` in the repository ($REPO_DIR, so that a
# relative CARGO_TARGET_DIR means the same to cargo and to us) and sets SPYATLAS_BIN to it.
build_release() {
    log "cargo build --release"
    # shellcheck disable=SC2016  # $1 is expanded by the inner bash
    step bash -c 'cd "$1" && exec cargo build --release' build "$REPO_DIR"
    local target_dir=${CARGO_TARGET_DIR:-target}
    [[ "$target_dir" == /* ]] || target_dir="$REPO_DIR/$target_dir"
    SPYATLAS_BIN="$target_dir/release/spyatlas"
}

# Prints "version<TAB>path" of the `oxigraph` executable of the PyPI package, or nothing.
# The wheel installs it into the scripts directory of the interpreter (found through the
# package's file list, so a pyenv shim or a PATH without that directory does not matter).
find_oxigraph() {
    "$PYTHON" - <<'EOF'
import importlib.metadata as md
try:
    dist = md.distribution("oxigraph")
except md.PackageNotFoundError:
    raise SystemExit(0)
for f in dist.files or []:
    if f.name == "oxigraph" and "bin" in f.parts:
        print(f"{dist.version}\t{f.locate().resolve()}")
        break
EOF
}

# Sets OXIGRAPH_BIN (unless given) to the reference binary, pip-installing
# oxigraph==$OXIGRAPH_VERSION when it is missing or another version, and OX_VERSION to
# what it says of itself.
require_oxigraph() {
    local found
    if [[ -z "${OXIGRAPH_BIN:-}" ]]; then
        found=$(find_oxigraph)
        if [[ "${found%%$'\t'*}" != "$OXIGRAPH_VERSION" ]]; then
            echo "installing oxigraph==$OXIGRAPH_VERSION (pip)"
            "$PYTHON" -m pip install --quiet --disable-pip-version-check "oxigraph==$OXIGRAPH_VERSION"
            found=$(find_oxigraph)
        fi
        OXIGRAPH_BIN=${found#*$'\t'}
    fi
    [[ -x "$OXIGRAPH_BIN" ]] || die "oxigraph executable not found (set OXIGRAPH_BIN)"
    OX_VERSION=$("$OXIGRAPH_BIN" --version)
    [[ "$OX_VERSION" == "oxigraph $OXIGRAPH_VERSION" ]] \
        || echo "warning: $OXIGRAPH_BIN is '$OX_VERSION', the targets were set against $OXIGRAPH_VERSION" >&2
    echo "oxigraph: $OXIGRAPH_BIN ($OX_VERSION)"
}

# The store a benchmark runs on: BENCH_STORE=embedded (the default: a folder in $WORK) or
# virtuoso (a throwaway Virtuoso 7 on 127.0.0.1, started through scripts/remote-store with
# VIRTUOSO_BUFFERS pages of cache, 170000 unless set). `open_store NAME` sets STORE_ARGS to
# the spyatlas arguments of the store called NAME, starting it the first time;
# `stop_stores` (for the EXIT trap) stops every store started. Needs REPO_DIR and WORK.
BENCH_STORE=${BENCH_STORE:-embedded}
STORES=()
STORE_ARGS=()
open_store() {
    local name=$1
    case "$BENCH_STORE" in
        embedded) STORE_ARGS=(--data "$WORK/$name") ;;
        virtuoso)
            local dir="$WORK/virtuoso-$name"
            if [[ ! -e "$dir.endpoints" ]]; then
                VIRTUOSO_BUFFERS=${VIRTUOSO_BUFFERS:-170000} \
                    "$REPO_DIR/scripts/remote-store" virtuoso "$dir" >"$dir.endpoints" \
                    || die "Virtuoso did not start"
                STORES+=("$dir")
            fi
            STORE_ARGS=(--store "sparql+$(sed -n 's/^query=//p' "$dir.endpoints")")
            ;;
        *) die "BENCH_STORE=$BENCH_STORE: give embedded or virtuoso" ;;
    esac
}
stop_stores() {
    local dir
    for dir in "${STORES[@]}"; do
        "$REPO_DIR/scripts/remote-store" stop "$dir" || true
    done
    STORES=()
}
