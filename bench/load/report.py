#!/usr/bin/env python3
"""Figures of bench/load/run.sh (standard library only).

  line RESULTS LABEL ROUND --quads N --reports N   print one run as it ends
  table RESULTS --meta META.json --quads N --reports N --rounds R [--strict] ...
                                                   print the final markdown table

RESULTS is the tab-separated file written by run.sh:
  run    LABEL  ROUND  MICROSECONDS  PEAK_RSS_KB   (PEAK_RSS_KB empty when not measured)
  count  LABEL  QUADS                              (quads in the named graphs of a spyatlas store)
LABEL: oxigraph-nq, spyatlas-nq, spyatlas-nq-again, spyatlas-docs (count: also bundled).

`table` exits 0, or 3 with --strict when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

NQ_RATIO_TARGET = 0.8      # spyatlas quads/s over oxigraph quads/s, dump.nq into an empty store
DOCS_RATE_TARGET = 200.0   # report documents per second, docs/ into an empty store

WHAT = {
    "oxigraph-nq": "`oxigraph load --location DIR --file dump.nq`",
    "spyatlas-nq": "`spyatlas load --data DIR dump.nq`",
    "spyatlas-nq-again": "`spyatlas load --data DIR dump.nq` again, same store (all unchanged)",
    "spyatlas-docs": "`spyatlas load --data DIR docs/`",
}


def read(path: str):
    runs: dict[str, list[tuple[float, int | None]]] = {}
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "run":
                _, label, _round, micros, rss = parts
                runs.setdefault(label, []).append((int(micros) / 1e6, int(rss) if rss else None))
            elif parts[0] == "count":
                counts[parts[1]] = int(parts[2])
    return runs, counts


def rate_text(label: str, seconds: float, quads: int, reports: int, doc_triples: int | None) -> str:
    if label == "spyatlas-docs":
        text = f"{reports / seconds:,.0f} reports/s"
        if doc_triples:
            text += f", {doc_triples / seconds:,.0f} triples/s"
        return text
    return f"{quads / seconds:,.0f} quads/s"


def mb(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:,.0f} MB"


def cmd_line(a: argparse.Namespace) -> int:
    runs, _ = read(a.results)
    seconds, rss = runs[a.label][int(a.round) - 1]
    print(f"  {a.label:<18} {seconds:8.2f} s   {rate_text(a.label, seconds, a.quads, a.reports, None):>22}"
          f"   peak RSS {mb(rss)}")
    return 0


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = mem = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = next((int(ln.split()[1]) for ln in f if ln.startswith("MemTotal")), 0)
            mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return ", ".join(x for x in (f"{cores} cores", model, mem) if x)


def cmd_table(a: argparse.Namespace) -> int:
    runs, counts = read(a.results)
    meta = json.load(open(a.meta, encoding="utf-8"))
    doc_triples = meta.get("docs_triples")
    med = {label: statistics.median(s for s, _ in rs) for label, rs in runs.items()}
    peak = {label: max((r for _, r in rs if r is not None), default=None) for label, rs in runs.items()}
    missed = False

    print(f"machine: {machine()}; load average at start {a.loadavg or 'n/a'}")
    print(f"oxigraph: {a.oxigraph}; spyatlas: {a.spyatlas}")
    print(f"data: dump.nq {a.quads:,} quads in {meta['reports']:,} report graphs; docs/ {a.reports:,} report "
          f"documents ({meta.get('docs_yaml', '?')} YAML, {meta.get('docs_jsonld', '?')} JSON-LD), "
          f"{doc_triples:,} triples by the generator's count")
    print(f"each figure: median of {a.rounds} run(s), each into a fresh store (the second dump.nq load: into "
          f"the store of the first); wall time of the whole command; rates count only the input's quads, "
          f"not the bundled data spyatlas adds to a new store")
    if a.rss_note:
        print(a.rss_note)
    print()
    print("| load | runs (s) | median | rate | peak RSS | vs target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label in ("oxigraph-nq", "spyatlas-nq", "spyatlas-nq-again", "spyatlas-docs"):
        if label not in runs:
            continue
        secs = ", ".join(f"{s:.2f}" for s, _ in runs[label])
        m = med[label]
        verdict = ""
        if label == "oxigraph-nq":
            verdict = "reference"
        elif label == "spyatlas-nq" and "oxigraph-nq" in med:
            ratio = med["oxigraph-nq"] / m
            ok = ratio >= NQ_RATIO_TARGET
            missed |= not ok
            verdict = f"{ratio:.2f} × oxigraph's quads/s (target ≥ {NQ_RATIO_TARGET:.2f}): {'PASS' if ok else 'MISS'}"
        elif label == "spyatlas-nq-again" and "spyatlas-nq" in med:
            verdict = f"{m / med['spyatlas-nq']:.2f} × the time of the first load (no target)"
        elif label == "spyatlas-docs":
            rate = a.reports / m
            ok = rate >= DOCS_RATE_TARGET
            missed |= not ok
            verdict = f"{rate:,.0f} reports/s (target ≥ {DOCS_RATE_TARGET:.0f}): {'PASS' if ok else 'MISS'}"
        print(f"| {WHAT[label]} | {secs} | {m:.2f} s | {rate_text(label, m, a.quads, a.reports, doc_triples)} "
              f"| {mb(peak[label])} | {verdict} |")

    if counts:
        print()
        base = counts.get("bundled")
        held = f"{base:,}" if base is not None else "n/a"
        print(f"store checks (quads in named graphs, round 1): a new spyatlas store holds {held} bundled quads")
        for label, what, expected in (("spyatlas-nq", "after dump.nq", a.quads),
                                      ("spyatlas-nq-again", "after dump.nq again", None),
                                      ("spyatlas-docs", "after docs/", doc_triples)):
            if label not in counts:
                continue
            n = counts[label]
            line = f"  {what}: {n:,}"
            if base is not None:
                line += f" = bundled + {n - base:,}"
                if expected is not None:
                    line += f" (the input: {expected:,}; difference {n - base - expected:+,}, e.g. the loader's per-report records)"
            if label == "spyatlas-nq-again" and "spyatlas-nq" in counts:
                line += " (unchanged, as it should be)" if n == counts["spyatlas-nq"] else \
                    f" (CHANGED by {n - counts['spyatlas-nq']:+,} quads although nothing changed)"
            print(line)
    if a.strict and missed:
        print("\nBENCH_STRICT=1: a target was missed", file=sys.stderr)
        return 3
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("line")
    p.add_argument("results")
    p.add_argument("label")
    p.add_argument("round")
    p.add_argument("--quads", type=int, required=True)
    p.add_argument("--reports", type=int, required=True)
    p = sub.add_parser("table")
    p.add_argument("results")
    p.add_argument("--meta", required=True)
    p.add_argument("--quads", type=int, required=True)
    p.add_argument("--reports", type=int, required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--oxigraph", default="")
    p.add_argument("--spyatlas", default="")
    p.add_argument("--rss-note", default="")
    p.add_argument("--loadavg", default="")
    p.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    return cmd_line(a) if a.cmd == "line" else cmd_table(a)


if __name__ == "__main__":
    sys.exit(main())
