#!/usr/bin/env python3
"""Deterministic generator of a synthetic spyatlas-style knowledge graph.

Writes exactly ``--triples`` statements (default 1,000,000) as N-Quads spread
over 1,000 report graphs ``https://w3id.org/spyatlas/report/r{n}`` (every
triple sits in exactly one graph, so the union default graph has no
duplicates), or as plain N-Triples with ``--format nt``.

The shape follows the spyatlas vocabulary:

* fixed-size classes: 200 sa:Country, 200 sa:Government (one per country),
  1,000 sa:Agency, 500 sa:Vendor, 2,000 sa:Product, 100 sa:Platform,
  1,000 sa:Report;
* classes scaled with ``--triples``: sa:Organization (10,000 per million),
  sa:Person (80,000 per million);
* sa:Incident: generated until the requested triple count is reached
  (about 45,000 per million).

Popularity is skewed (Zipf-like), so there are hubs:

* ``id/platform-1`` is exploited by / targeted in about 10% of all incidents
  (the hub-lookup query);
* ``id/vendor-1`` develops the most used products, so it has the most
  incidents and the most government customers (the aggregation query);
* a few persons and countries are targeted far more often than others.

The same seed and triple count always produce byte-identical output.

Usage:
    python3 bench/generate.py --triples 1000000 --out /tmp/x/data.nq
    python3 bench/generate.py --format nt --out data.nt
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys

ID = "https://w3id.org/spyatlas/id/"
SA = "https://w3id.org/spyatlas/ontology#"
GRAPH = "https://w3id.org/spyatlas/report/r"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD_DATE = "<http://www.w3.org/2001/XMLSchema#date>"

N_REPORT_GRAPHS = 1000
N_COUNTRIES = 200
N_AGENCIES = 1000
N_VENDORS = 500
N_PRODUCTS = 2000
N_PLATFORMS = 100
N_REPORTS = N_REPORT_GRAPHS
ORGS_PER_MILLION = 10_000
PERSONS_PER_MILLION = 80_000
MIN_TRIPLES = 50_000

STATUSES = ["confirmed", "alleged", "disputed", "under-investigation"]
VENDOR_STATUSES = ["active", "defunct", "sanctioned", "rebranded"]

SYLLABLES = [
    "an", "bel", "cor", "da", "el", "fen", "gri", "ha", "is", "jo", "ka", "li",
    "mar", "no", "os", "pe", "qui", "ro", "sa", "ti", "ul", "ve", "wen", "xa",
    "yo", "zu", "ber", "cal", "dor", "mi",
]


def sa(local: str) -> str:
    return f"<{SA}{local}>"


def iri(slug: str) -> str:
    return f"<{ID}{slug}>"


def lit(text: str, lang: str | None = None) -> str:
    esc = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    return f'"{esc}"@{lang}' if lang else f'"{esc}"'


def date_lit(y: int, m: int, d: int) -> str:
    return f'"{y:04d}-{m:02d}-{d:02d}"^^{XSD_DATE}'


class Full(Exception):
    """Raised once the requested number of statements has been written."""


class Writer:
    def __init__(self, out, limit: int, quads: bool):
        self.out = out
        self.limit = limit
        self.quads = quads
        self.count = 0
        self.graphs: set[int] = set()
        self.buf: list[str] = []

    def emit(self, s: str, p: str, o: str, g: int) -> None:
        if self.count >= self.limit:
            raise Full
        if self.quads:
            self.buf.append(f"{s} {p} {o} <{GRAPH}{g}> .\n")
            self.graphs.add(g)
        else:
            self.buf.append(f"{s} {p} {o} .\n")
        self.count += 1
        if len(self.buf) >= 20000:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.buf))
        self.buf.clear()


class Skewed:
    """Zipf-like choice among ids 1..n: P(k) ~ 1 / k**s (deterministic rng)."""

    def __init__(self, rng: random.Random, n: int, s: float):
        self.rng = rng
        self.n = n
        self.cum = list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))
        self.total = self.cum[-1]

    def pick(self) -> int:
        return bisect.bisect_left(self.cum, self.rng.random() * self.total) + 1


def name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def person_name(rng: random.Random) -> str:
    return f"{name(rng, rng.randint(2, 3))} {name(rng, rng.randint(2, 4))}"


def generate(out, n_triples: int, seed: int, quads: bool) -> dict[str, int]:
    rng = random.Random(seed)
    w = Writer(out, n_triples, quads)
    scale = n_triples / 1_000_000
    n_orgs = max(500, round(ORGS_PER_MILLION * scale))
    n_persons = max(2000, round(PERSONS_PER_MILLION * scale))
    counts: dict[str, int] = {}

    def graph() -> int:
        return rng.randint(1, N_REPORT_GRAPHS)

    def entity(slug: str, cls: str, g: int) -> str:
        s = iri(slug)
        w.emit(s, RDF_TYPE, sa(cls), g)
        counts[cls] = counts.get(cls, 0) + 1
        return s

    def labels3(s: str, g: int, en: str, nl: str, it: str) -> None:
        w.emit(s, RDFS_LABEL, lit(en, "en"), g)
        w.emit(s, RDFS_LABEL, lit(nl, "nl"), g)
        w.emit(s, RDFS_LABEL, lit(it, "it"), g)

    country_pick = Skewed(rng, N_COUNTRIES, 0.8)
    vendor_pick = Skewed(rng, N_VENDORS, 1.1)
    platform_pick = Skewed(rng, N_PLATFORMS, 0.7)
    org_pick = Skewed(rng, n_orgs, 0.7)
    person_pick = Skewed(rng, n_persons, 0.6)
    agency_pick = Skewed(rng, N_AGENCIES, 0.9)
    product_pick = Skewed(rng, N_PRODUCTS, 0.9)

    try:
        # --- reports: one report entity per named graph -------------------
        for n in range(1, N_REPORTS + 1):
            s = entity(f"report-{n}", "Report", n)
            labels3(s, n, f"Report {n}", f"Rapport {n}", f"Rapporto {n}")
            w.emit(s, sa("date"), date_lit(rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)), n)
            w.emit(s, sa("status"), lit(rng.choice(["published", "draft", "retracted"])), n)

        # --- countries ----------------------------------------------------
        for n in range(1, N_COUNTRIES + 1):
            g = graph()
            s = entity(f"country-{n}", "Country", g)
            cname = name(rng, 3)
            labels3(s, g, cname, cname, cname)

        # --- vendors ------------------------------------------------------
        for n in range(1, N_VENDORS + 1):
            g = graph()
            s = entity(f"vendor-{n}", "Vendor", g)
            w.emit(s, RDFS_LABEL, lit(f"{name(rng, 2)} {rng.choice(['Group', 'Labs', 'Technologies', 'Intelligence', 'Systems'])}", "en"), g)
            w.emit(s, sa("country"), iri(f"country-{country_pick.pick()}"), g)
            w.emit(s, sa("status"), lit(rng.choice(VENDOR_STATUSES)), g)

        # --- products (vendor-1 develops the most products) ---------------
        product_vendor: list[int] = [0]
        for n in range(1, N_PRODUCTS + 1):
            g = graph()
            v = vendor_pick.pick()
            product_vendor.append(v)
            s = entity(f"product-{n}", "Product", g)
            w.emit(s, RDFS_LABEL, lit(f"{name(rng, 2)} {rng.randint(1, 9)}", "en"), g)
            w.emit(s, sa("developedBy"), iri(f"vendor-{v}"), g)
            w.emit(s, sa("status"), lit(rng.choice(["active", "discontinued", "leaked"])), g)

        # --- governments (one per country) ---------------------------------
        for n in range(1, N_COUNTRIES + 1):
            g = graph()
            s = entity(f"government-{n}", "Government", g)
            labels3(s, g, f"Government of country {n}", f"Regering van land {n}", f"Governo del paese {n}")
            w.emit(s, sa("country"), iri(f"country-{n}"), g)
            for v in sorted({vendor_pick.pick() for _ in range(rng.randint(1, 5))}):
                w.emit(s, sa("customerOf"), iri(f"vendor-{v}"), g)

        # --- agencies -----------------------------------------------------
        agency_country: list[int] = [0]
        for n in range(1, N_AGENCIES + 1):
            g = graph()
            c = country_pick.pick()
            agency_country.append(c)
            s = entity(f"agency-{n}", "Agency", g)
            w.emit(s, RDFS_LABEL, lit(f"{name(rng, 3)} Intelligence Service", "en"), g)
            w.emit(s, RDFS_LABEL, lit(f"{name(rng, 3)} Inlichtingendienst", "nl"), g)
            w.emit(s, sa("country"), iri(f"country-{c}"), g)
            w.emit(s, sa("affiliatedWith"), iri(f"government-{c}"), g)
            for v in sorted({vendor_pick.pick() for _ in range(rng.randint(0, 2))}):
                w.emit(s, sa("customerOf"), iri(f"vendor-{v}"), g)

        # --- platforms ----------------------------------------------------
        for n in range(1, N_PLATFORMS + 1):
            g = graph()
            s = entity(f"platform-{n}", "Platform", g)
            pname = f"{name(rng, 2)} {rng.choice(['Messenger', 'OS', 'Browser', 'Mail', 'Cloud'])}"
            labels3(s, g, pname, pname, pname)
            w.emit(s, sa("developedBy"), iri(f"organization-{rng.randint(1, n_orgs)}"), g)

        # --- organizations ------------------------------------------------
        for n in range(1, n_orgs + 1):
            g = graph()
            s = entity(f"organization-{n}", "Organization", g)
            w.emit(s, RDFS_LABEL, lit(f"{name(rng, 3)} {rng.choice(['Foundation', 'Newspaper', 'Party', 'University', 'Union', 'NGO'])}", "en"), g)
            w.emit(s, sa("country"), iri(f"country-{country_pick.pick()}"), g)
            if rng.random() < 0.5:
                w.emit(s, sa("status"), lit(rng.choice(["active", "dissolved"])), g)

        # --- persons ------------------------------------------------------
        person_country: list[int] = [0]
        for n in range(1, n_persons + 1):
            g = graph()
            c = country_pick.pick()
            person_country.append(c)
            s = entity(f"person-{n}", "Person", g)
            w.emit(s, RDFS_LABEL, lit(person_name(rng), "en"), g)
            w.emit(s, sa("country"), iri(f"country-{c}"), g)
            if rng.random() < 0.6:
                w.emit(s, sa("affiliatedWith"), iri(f"organization-{org_pick.pick()}"), g)

        # --- incidents, until the triple budget is spent -------------------
        # (the last incident may be cut short so that the count is exact)
        for n in itertools.count(1):
            g = graph()
            s = entity(f"incident-{n}", "Incident", g)
            labels3(s, g, f"Incident {n}", f"Incident {n}", f"Incidente {n}")
            w.emit(s, sa("date"), date_lit(rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)), g)
            w.emit(s, sa("status"), lit(rng.choice(STATUSES)), g)
            targets = sorted({person_pick.pick() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))})
            for t in targets:
                w.emit(s, sa("target"), iri(f"person-{t}"), g)
            if rng.random() < 0.1:
                # an organisation or a platform as a whole was targeted
                if rng.random() < 0.5:
                    w.emit(s, sa("target"), iri(f"organization-{org_pick.pick()}"), g)
                else:
                    w.emit(s, sa("target"), iri(f"platform-{platform_pick.pick()}"), g)
            p = product_pick.pick()
            w.emit(s, sa("usedProduct"), iri(f"product-{p}"), g)
            w.emit(s, sa("vendor"), iri(f"vendor-{product_vendor[p]}"), g)
            w.emit(s, sa("exploited"), iri(f"platform-{platform_pick.pick()}"), g)
            if rng.random() < 0.7:
                w.emit(s, sa("attributedTo"), iri(f"agency-{agency_pick.pick()}"), g)
            else:
                w.emit(s, sa("attributedTo"), iri(f"government-{country_pick.pick()}"), g)
            w.emit(s, sa("targetCountry"), iri(f"country-{person_country[targets[0]]}"), g)
    except Full:
        pass
    w.flush()
    counts["triples"] = w.count
    counts["graphs"] = len(w.graphs) if quads else 0
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000, help="exact number of statements (default 1000000)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--format", choices=("nq", "nt"), default=None,
                    help="nq (N-Quads over report graphs) or nt (N-Triples); default from --out extension, else nq")
    ap.add_argument("--seed", type=int, default=20240611, help="random seed (default 20240611)")
    args = ap.parse_args()
    if args.triples < MIN_TRIPLES:
        ap.error(f"--triples must be at least {MIN_TRIPLES}")
    fmt = args.format or ("nt" if args.out.endswith(".nt") else "nq")
    if args.out == "-":
        counts = generate(sys.stdout, args.triples, args.seed, fmt == "nq")
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            counts = generate(f, args.triples, args.seed, fmt == "nq")
    summary = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"generate.py: wrote {counts['triples']} {fmt} statements ({summary})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
