#!/usr/bin/env python3
"""Result handling for bench/run.sh (standard library only).

  wrk FILE --label L --out RESULTS   parse `wrk --latency` output, append a line
  table RESULTS [--latency-target 1.0] [--throughput-target 1.1]
                                     print the final comparison table

RESULTS is the tab-separated file written by latency.py and `report.py wrk`:
  latency  server  query  median_ms  p99_ms  n  rows  bytes  digest
  wrk      server  query  req_per_s  p50_ms  p75_ms  p90_ms  p99_ms  requests  errors
(several wrk lines of one server and query: the table uses their medians)

`table` exits 0, or 3 with --strict when a target is missed or the two
servers returned different results.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys

REF = "oxigraph"
DUT = "spyatlas"


def to_ms(value: str, unit: str) -> float:
    v = float(value)
    return {"us": v / 1000.0, "ms": v, "s": v * 1000.0, "m": v * 60000.0}[unit]


def cmd_wrk(a: argparse.Namespace) -> int:
    text = open(a.file, encoding="utf-8", errors="replace").read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rps:
        print(f"report.py: no 'Requests/sec' in {a.file}", file=sys.stderr)
        return 2
    pct = {m.group(1): to_ms(m.group(2), m.group(3))
           for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    total = re.search(r"(\d+) requests in", text)
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    fields = ["wrk", a.label, a.name, rps.group(1)]
    fields += [f"{pct.get(k, float('nan')):.4f}" for k in ("50", "75", "90", "99")]
    fields += [total.group(1) if total else "0", str(errors)]
    with open(a.out, "a", encoding="utf-8") as f:
        f.write("\t".join(fields) + "\n")
    print(f"  {a.label:<9} {a.name}: {float(rps.group(1)):,.0f} req/s   "
          f"p50 {pct.get('50', float('nan')):.3f} ms   p99 {pct.get('99', float('nan')):.3f} ms"
          + (f"   {errors} ERRORS (non-2xx or socket errors)" if errors else ""))
    return 0


def fmt(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def cmd_table(a: argparse.Namespace) -> int:
    lat: dict[tuple[str, str], list[str]] = {}
    wrk_runs: dict[tuple[str, str], list[list[str]]] = {}
    order: list[str] = []
    for line in open(a.results, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "latency":
            lat[(f[1], f[2])] = f
            if f[2] not in order:
                order.append(f[2])
        elif f[0] == "wrk":
            wrk_runs.setdefault((f[1], f[2]), []).append(f)
    # several wrk rounds (BENCH_WRK_ROUNDS): median req/s and p99, summed errors
    wrk: dict[tuple[str, str], list[str]] = {}
    for key, runs in wrk_runs.items():
        med = lambda i: f"{statistics.median(float(r[i]) for r in runs):.4f}"
        wrk[key] = ["wrk", key[0], key[1], med(3), med(4), med(5), med(6), med(7),
                    str(sum(int(r[8]) for r in runs)), str(sum(int(r[9]) for r in runs))]
        if len(runs) > 1:
            print(f"{key[0]} {key[1]} req/s per wrk round: "
                  + ", ".join(f"{float(r[3]):,.0f}" for r in runs))

    rows = []
    failed = False
    for q in order:
        ref = lat.get((REF, q))
        dut = lat.get((DUT, q))
        r_med = float(ref[3]) if ref else None
        d_med = float(dut[3]) if dut else None
        ratio = d_med / r_med if (r_med and d_med is not None) else None
        if ratio is None:
            verdict = "n/a"
        elif ref[6] != dut[6] or ref[8] != dut[8]:
            verdict = f"FAIL (results differ: {ref[6]} vs {dut[6]} rows)"
            failed = True
        elif ratio <= a.latency_target:
            verdict = "PASS"
        else:
            verdict = "MISS"
            failed = True
        rows.append([f"{q} (median ms)", fmt(r_med), fmt(d_med), fmt(ratio, 2), f"<= {a.latency_target:.2f}", verdict])

    for (server, q) in sorted({(s, q) for (s, q) in wrk if s == REF}):
        ref = wrk[(REF, q)]
        dut = wrk.get((DUT, q))
        r_rps = float(ref[3])
        d_rps = float(dut[3]) if dut else None
        ratio = d_rps / r_rps if (dut and r_rps) else None
        if ratio is None:
            verdict = "n/a"
        elif int(dut[9]) > 0 or int(ref[9]) > 0:
            verdict = f"FAIL (errors: oxigraph {ref[9]}, spyatlas {dut[9]})"
            failed = True
        elif ratio >= a.throughput_target:
            verdict = "PASS"
        else:
            verdict = "MISS"
            failed = True
        rows.append([f"{q} throughput (req/s, -c{a.connections})", fmt(r_rps, 0), fmt(d_rps, 0), fmt(ratio, 2),
                     f">= {a.throughput_target:.2f}", verdict])
        rows.append([f"{q} p99 under load (ms, -c{a.connections})", fmt(float(ref[7])), fmt(float(dut[7]) if dut else None),
                     fmt(float(dut[7]) / float(ref[7]) if dut and float(ref[7]) else None, 2), "(info)", ""])

    header = ["query", "oxigraph serve", "spyatlas", "ratio (spyatlas/oxigraph)", "target", "result"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    def line(r: list[str]) -> str:
        return " | ".join(str(c).ljust(w) if i in (0, 4, 5) else str(c).rjust(w)
                          for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    latency_ok = sum(1 for r in rows if r[5] == "PASS")
    judged = sum(1 for r in rows if r[5] and r[5] != "n/a")
    if judged:
        print(f"\n{latency_ok}/{judged} targets met" + ("" if not failed else " (see MISS/FAIL lines)"))
    else:
        print("\nspyatlas was not measured (BENCH_ONLY_OXIGRAPH=1): no ratios")
    return 3 if (failed and a.strict) else 0


def main() -> int:
    ap = argparse.ArgumentParser(description="bench/run.sh result handling")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wrk")
    w.add_argument("file")
    w.add_argument("--label", required=True)
    w.add_argument("--name", default="entity-lookup")
    w.add_argument("--out", required=True)
    w.set_defaults(func=cmd_wrk)
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--latency-target", type=float, default=1.0)
    t.add_argument("--throughput-target", type=float, default=1.1)
    t.add_argument("--connections", type=int, default=8)
    t.add_argument("--strict", action="store_true")
    t.set_defaults(func=cmd_table)
    a = ap.parse_args()
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
