#!/usr/bin/env python3
"""Checks the data written by bench/load/generate.py (needs rdflib, pyshacl, PyYAML).

    python3 -m pip install rdflib pyshacl pyyaml
    python3 bench/load/validate.py DIR [--graphs 12] [--docs 40]

1. The generator's table of bundled entities (slugs, types, labels, edges of the
   seed report and the reference graph) matches data/.
2. dump.nq, every line: as many quads as meta.json says, no duplicate quad,
   every quad in a report graph that describes its own report; across graphs
   no entity gets two labels in one language (the union stays valid); every
   entity a graph points to is typed in that graph, in the reference graph or
   in the ontology.
3. pyshacl (inference none) on --graphs report graphs spread over the dump, each
   with the ontology and the reference graph as data and ontology/shapes.ttl as
   shapes: all must conform.
4. docs/, every document: it parses (YAML or JSON); each reference is a slug of a
   document entity or a bundled entity, or a name that matches exactly one
   label (case, diacritics and spacing ignored) among the bundled entities, the
   document's own entities and every entity of the dump and the other documents;
   rdflib's JSON-LD parser, given the inline context, turns it into the number
   of triples meta.json says.
5. pyshacl on --docs documents, each with the ontology, the reference graph and
   the seed report as data: all must conform.

Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import sys
import time

import rdflib
import yaml
from pyshacl import validate
from rdflib import RDF, RDFS, SKOS, Literal, URIRef

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repository
import generate as gen  # noqa: E402

ONTOLOGY = os.path.join(REPO, "ontology", "spyatlas.ttl")
SHAPES = os.path.join(REPO, "ontology", "shapes.ttl")
CONTEXT = os.path.join(REPO, "ontology", "context.jsonld")
REFERENCE = os.path.join(REPO, "data", "reference.trig")
SEED_BASE = os.path.join(REPO, "data", "reports", "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack")
REFERENCE_GRAPH = URIRef("https://w3id.org/spyatlas/graph/reference")
SA = rdflib.Namespace(gen.SA)
# keys whose values are references (to resolve): every "@type": "@id" key of the context
# except those that take full web addresses
NOT_REFERENCES = {"url", "seeAlso", "wikidata", "entities", "claims"}

failures: list[str] = []


def fail(msg: str) -> None:
    failures.append(msg)
    print(f"  FAIL {msg}")


def graph_of(path: str, name: URIRef | None = None) -> rdflib.Graph:
    if path.endswith(".trig"):
        ds = rdflib.Dataset()
        ds.parse(path, format="trig")
        g = rdflib.Graph()
        for c in ds.graphs():
            if name is None or c.identifier == name:
                for t in c:
                    g.add(t)
        return g
    return rdflib.Graph().parse(path, format="turtle")


def labels_index(g: rdflib.Graph, index: dict[str, set[str]]) -> None:
    for p in (RDFS.label, SKOS.altLabel, SKOS.prefLabel):
        for s, o in g.subject_objects(p):
            if isinstance(s, URIRef) and isinstance(o, Literal):
                index.setdefault(gen.name_key(str(o)), set()).add(str(s))


def shacl(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, str]:
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", abort_on_first=False,
                                 allow_infos=True, allow_warnings=True)
    return conforms, text


# ---------------------------------------------------------------------- 1 ---
def check_tables(reference: rdflib.Graph, seed: rdflib.Graph) -> None:
    print("1. the generator's table of bundled entities")
    both = reference + seed
    n = 0
    for table in (gen.REFERENCE, gen.SEED):
        for slug, row in table.items():
            s = URIRef(gen.ID + slug)
            types, labels = row[0], row[1]
            want_types = {URIRef(gen.SCHEMA + t) if t == "NewsMediaOrganization" else SA[t] for t in types.split()}
            have_types = set(both.objects(s, RDF.type))
            if want_types != have_types:
                fail(f"{slug}: types {sorted(have_types)} in data/, {sorted(want_types)} in generate.py")
            have_labels = {o.language: str(o) for o in both.objects(s, RDFS.label)}
            if have_labels != dict(zip(gen.LANGS, labels)):
                fail(f"{slug}: labels {have_labels} in data/, {labels} in generate.py")
            for p, o in (row[2] if len(row) > 2 else []):
                obj = SA[o[3:]] if o.startswith("sa:") else URIRef(gen.ID + o)
                if (s, SA[p], obj) not in both:
                    fail(f"{slug}: no sa:{p} {o} in data/")
            n += 1
    print(f"   {n} entities compared")


# ---------------------------------------------------------------------- 2 ---
QUAD = re.compile(r"^(<[^>]*>) (<[^>]*>) (.*) (<[^>]*>) \.$")


def check_dump(path: str, meta: dict, reference: rdflib.Graph, ontology: rdflib.Graph,
               names: dict[str, set[str]]) -> dict[str, list[str]]:
    print("2. dump.nq, every line")
    t0 = time.time()
    lines_by_graph: dict[str, list[str]] = collections.defaultdict(list)
    seen: set[int] = set()
    dup = 0
    labels: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    typed: dict[str, set[str]] = collections.defaultdict(set)
    incident_graphs: dict[str, int] = collections.Counter()
    incident = gen.S("Incident")
    objects: dict[str, set[str]] = collections.defaultdict(set)
    a, label = gen.A, gen.LABEL
    object_props = {gen.S(p) for p in (
        "country", "developedBy", "operatedBy", "affiliatedWith", "founded", "agencyOf", "partOf", "affects",
        "customerOf", "usedProduct", "vendor", "target", "exploited", "attributedTo", "targetCountry",
        "detectedBy", "incident", "customer", "respondsTo", "respondent", "addressee", "accordingTo",
        "citedSource")} | {gen.PUBLISHER, gen.SUBJECT, gen.REFERENCES, gen.DERIVED, gen.INFLUENCED}
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            n += 1
            line = line.rstrip("\n")
            h = hash(line)
            if h in seen:
                dup += 1
            seen.add(h)
            m = QUAD.match(line)
            if not m:
                fail(f"line {n} is not a simple quad: {line[:120]}")
                continue
            s, p, o, g = m.groups()
            lines_by_graph[g].append(line)
            if p == label:
                lit, lang = o.rsplit("@", 1)
                labels[(s, lang)].add(lit)
                names.setdefault(gen.name_key(json.loads(lit)), set()).add(s[1:-1])
            elif p == a:
                typed[g].add(s)
                if o == incident:
                    incident_graphs[s] += 1
            elif p in object_props and o.startswith(gen.ID_TERM):
                objects[g].add(o)
    print(f"   {n} quads, {len(lines_by_graph)} graphs read in {time.time() - t0:.1f} s")
    if n != meta["dump_quads"]:
        fail(f"{n} quads, meta.json says {meta['dump_quads']}")
    if dup:
        fail(f"{dup} duplicate quads")
    if len(lines_by_graph) != meta["reports"]:
        fail(f"{len(lines_by_graph)} graphs, meta.json says {meta['reports']} reports")
    for g in lines_by_graph:
        if not g.startswith("<" + gen.REPORT):
            fail(f"graph {g} is not a report graph")
        if g not in typed[g]:
            fail(f"graph {g} does not describe its report")
    shared = sum(1 for n in incident_graphs.values() if n > 1)
    print(f"   {len(incident_graphs)} incidents, {shared} of them described by two or more reports "
          f"(each with its own sa:status in its own graph)")
    conflicts = [(s, lang, v) for (s, lang), v in labels.items() if len(v) > 1]
    for s, lang, v in conflicts[:5]:
        fail(f"{s} has {len(v)} labels @{lang} across graphs: {sorted(v)}")
    print(f"   {len(labels)} (entity, language) labels, {len(conflicts)} conflicting across graphs")
    known = {f"<{s}>" for s in reference.subjects(RDF.type, None)} | {f"<{s}>" for s in ontology.subjects()}
    untyped = 0
    for g, objs in objects.items():
        for o in objs - typed[g] - known:
            untyped += 1
            if untyped <= 5:
                fail(f"{g}: {o} is used but neither described there nor a reference entity")
    print(f"   every entity a graph points to is described in it or in the reference graph: "
          f"{'yes' if not untyped else f'no, {untyped} are not'}")
    return lines_by_graph


def shacl_dump(lines_by_graph, n_graphs: int, ontology, reference, shapes, rng: random.Random) -> None:
    graphs = sorted(lines_by_graph)
    pick = sorted(set(graphs[i * len(graphs) // n_graphs] for i in range(n_graphs))) if n_graphs < len(graphs) \
        else graphs
    print(f"3. pyshacl on {len(pick)} of {len(graphs)} report graphs (+ ontology + reference graph)")
    base = ontology + reference
    ok = 0
    for g in pick:
        t0 = time.time()
        data = rdflib.Graph()
        data.parse(data="\n".join(line.rsplit(" ", 2)[0] + " ." for line in lines_by_graph[g]), format="nt")
        n = len(data)
        for t in base:
            data.add(t)
        conforms, text = shacl(data, shapes)
        print(f"   {'conforms' if conforms else 'DOES NOT CONFORM'}: {g[len(gen.REPORT) + 1:-1][:70]} "
              f"({n} triples, {time.time() - t0:.1f} s)")
        if conforms:
            ok += 1
        else:
            fail(f"{g}:\n{text[:3000]}")
    print(f"   {ok}/{len(pick)} conform")
    # negative control: the same check must catch a missing label, status or type
    lines = [line.rsplit(" ", 2)[0] + " ." for line in lines_by_graph[pick[0]]]
    for what, needle in (("an nl label", "rdf-schema#label>"), ("a status", "ontology#status>"),
                         ("a type", "22-rdf-syntax-ns#type> <https://w3id.org/spyatlas/ontology#Vendor>")):
        i = next(i for i, line in enumerate(lines) if needle in line and (what != "an nl label" or "@nl ." in line))
        data = rdflib.Graph().parse(data="\n".join(lines[:i] + lines[i + 1:]), format="nt") + base
        conforms, _ = shacl(data, shapes)
        if conforms:
            fail(f"negative control: {pick[0]} without {what} still conforms")
    print("   negative control: the first graph without one nl label, one status or one vendor type "
          f"{'does not conform, as it should' if not any('negative control' in f for f in failures) else 'CONFORMS'}")


# ---------------------------------------------------------------------- 4 ---
def load_doc(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return gen.dates_as_text(yaml.safe_load(f)) if path.endswith((".yaml", ".yml")) else json.load(f)


def minted(obj: dict) -> str:
    """The slug of an entity or claim: its id, else minted from its English label."""
    return obj["id"] if "id" in obj else gen.slugify(obj["label"]["en"])


def seed_graph(context: dict) -> rdflib.Graph:
    """The seed report: data/reports/{slug}.trig, or the report document {slug}.yaml."""
    if os.path.exists(SEED_BASE + ".trig"):
        return graph_of(SEED_BASE + ".trig")
    doc = load_doc(SEED_BASE + ".yaml")
    g = rdflib.Graph()
    g.parse(data=json.dumps(to_jsonld(doc, context, lambda v: v)), format="json-ld", base=gen.ID)
    return g


def doc_entities(doc: dict) -> list[dict]:
    return list(doc.get("entities", [])) + list(doc.get("claims", []))


def to_jsonld(doc: dict, context: dict, resolve) -> dict:
    """The document as plain JSON-LD: inline context, type Report added, dates
    typed, references replaced by the slug they resolve to."""
    out = json.loads(json.dumps(doc))
    out["@context"] = context["@context"]
    ref_keys = {k for k, v in context["@context"].items()
                if isinstance(v, dict) and v.get("@type") == "@id" and k not in NOT_REFERENCES}
    kinds = out["kind"] if isinstance(out["kind"], list) else [out["kind"]]
    out["kind"] = kinds + ["Report"]

    def fix(obj: dict) -> None:
        for key, value in list(obj.items()):
            if key in ("issued", "date", "startDate", "endDate"):
                obj[key] = {"@value": value, "@type": gen.XSD + gen.date_kind(value)}
            elif key in ref_keys:
                obj[key] = [resolve(v) for v in value] if isinstance(value, list) else resolve(value)
            elif key in ("entities", "claims"):
                for item in value:
                    item.setdefault("id", minted(item))
                    fix(item)

    fix(out)
    return out


def check_docs(folder: str, meta: dict, context: dict, bundled: rdflib.Graph,
               names: dict[str, set[str]]) -> dict[str, rdflib.Graph]:
    print("4. docs/, every document")
    t0 = time.time()
    files = sorted(os.listdir(folder))
    docs = {}
    for name in files:
        try:
            docs[name] = load_doc(os.path.join(folder, name))
        except Exception as e:  # noqa: BLE001
            fail(f"{name} does not parse: {e}")
    for doc in docs.values():  # every label of every document entity joins the name index
        for ent in doc_entities(doc):
            for text in ent.get("label", {}).values():
                names.setdefault(gen.name_key(text), set()).add(gen.ID + minted(ent))
    bundled_slugs = {str(s)[len(gen.ID):] for s in bundled.subjects() if str(s).startswith(gen.ID)}
    graphs: dict[str, rdflib.Graph] = {}
    by_name = by_slug = 0
    kinds = collections.Counter()
    for name, doc in docs.items():
        kinds[os.path.splitext(name)[1]] += 1
        local = {minted(ent) for ent in doc_entities(doc)}
        problems = []

        def resolve(value: str) -> str:
            nonlocal by_name, by_slug
            if not isinstance(value, str):
                problems.append(f"reference {value!r} is not a string")
                return "x"
            if value in local or value in bundled_slugs:
                by_slug += 1
                return value
            hits = names.get(gen.name_key(value), set())
            if len(hits) != 1:
                problems.append(f"name {value!r} matches {len(hits)} entities: {sorted(hits)[:4]}")
                return "x"
            by_name += 1
            iri = next(iter(hits))
            if not iri.startswith(gen.ID) or iri[len(gen.ID):] not in bundled_slugs | local:
                problems.append(f"name {value!r} matches {iri}, neither bundled nor in the document")
            return iri[len(gen.ID):]

        if doc.get("@context") != gen.CONTEXT_URL:
            problems.append("@context is not the spyatlas context URL")
        slug = doc["id"].split(":", 1)[1]
        if os.path.splitext(name)[0] != slug or slug != gen.slugify(next(iter(doc["title"].values()))):
            problems.append("file name, report id and title disagree")
        for ent in doc_entities(doc):
            if minted(ent) != gen.slugify(ent["label"]["en"]):
                problems.append(f"{ent['id']} is not minted from its English label")
        data = to_jsonld(doc, context, resolve)
        g = rdflib.Graph()
        g.parse(data=json.dumps(data), format="json-ld", base=gen.ID)
        want = meta["doc_triples"].get(name)
        if len(g) != want:
            problems.append(f"{len(g)} triples from rdflib, meta.json says {want}")
        for p in problems:
            fail(f"{name}: {p}")
        graphs[name] = g
    counts = [len(g) for g in graphs.values()]
    print(f"   {len(docs)} documents ({dict(kinds)}) read and converted in {time.time() - t0:.1f} s; "
          f"triples per document: min {min(counts)}, mean {sum(counts) / len(counts):.1f}, max {max(counts)}, "
          f"total {sum(counts)} (meta.json: {meta['docs_triples']})")
    print(f"   references: {by_slug} by slug, {by_name} by name (each matching exactly one entity: "
          f"{'yes' if not any('matches' in f for f in failures) else 'NO'})")
    shared = {k: v for k, v in names.items() if len({x for x in v if x.startswith(gen.ID)}) > 1}
    for k, v in list(shared.items())[:5]:
        fail(f"the name {k!r} belongs to {len(v)} entities: {sorted(v)[:4]}")
    print(f"   names (labels and aliases, folded) shared by two entities, over the bundled data, the dump "
          f"and the documents: {len(shared)}")
    return graphs


def shacl_docs(graphs: dict[str, rdflib.Graph], n_docs: int, base: rdflib.Graph, shapes,
               rng: random.Random) -> None:
    names = sorted(graphs)
    yaml_docs = [n for n in names if n.endswith(".yaml")]
    json_docs = [n for n in names if not n.endswith(".yaml")]
    pick = sorted(rng.sample(yaml_docs, min(len(yaml_docs), (n_docs + 1) // 2))
                  + rng.sample(json_docs, min(len(json_docs), n_docs // 2)))
    print(f"5. pyshacl on {len(pick)} of {len(names)} documents (+ ontology + reference graph + seed report)")
    ok = 0
    t0 = time.time()
    for name in pick:
        data = graphs[name] + base
        conforms, text = shacl(data, shapes)
        if conforms:
            ok += 1
        else:
            fail(f"{name}:\n{text[:3000]}")
    print(f"   {ok}/{len(pick)} conform ({time.time() - t0:.1f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder written by generate.py")
    ap.add_argument("--graphs", type=int, default=12, help="report graphs of the dump to run pyshacl on (default 12)")
    ap.add_argument("--docs", type=int, default=40, help="documents to run pyshacl on (default 40)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    meta = json.load(open(os.path.join(a.dir, "meta.json"), encoding="utf-8"))
    ontology = graph_of(ONTOLOGY)
    shapes = graph_of(SHAPES)
    reference = graph_of(REFERENCE, REFERENCE_GRAPH)
    context = json.load(open(CONTEXT, encoding="utf-8"))
    seed = seed_graph(context)
    check_tables(reference, seed)
    names: dict[str, set[str]] = {}
    for g in (ontology, reference, seed):
        labels_index(g, names)
    lines = check_dump(os.path.join(a.dir, "dump.nq"), meta, reference, ontology, names)
    shacl_dump(lines, a.graphs, ontology, reference, shapes, rng)
    del lines
    graphs = check_docs(os.path.join(a.dir, "docs"), meta, context, ontology + reference + seed, names)
    shacl_docs(graphs, a.docs, ontology + reference + seed, shapes, rng)
    print(f"\n{'all checks passed' if not failures else f'{len(failures)} check(s) FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
