#!/usr/bin/env python3
"""Reads a GEXF and a GraphML file with networkx and summarises what it read.

Usage: read_graphs.py GEXF_PATH GRAPHML_PATH

Prints one JSON object on standard output:

    {"gexf":    {"nodes": n, "edges": m, "directed": bool, "multigraph": bool,
                 "node_attributes": [sorted names], "edge_attributes": [sorted names],
                 "sample_edge": {the first edge's data}, "sample_edge_ends": [source, target]},
     "graphml": {...the same...}}

and exits 0. When either file fails to parse, prints what went wrong on standard error and
exits 1. networkx keeps parallel edges (a MultiDiGraph, "multigraph": true) as long as
they have distinct ids (GEXF <edge id>, GraphML <edge id>) or none; it reads a graph as
directed only when it says so (GEXF defaultedgetype="directed", GraphML
edgedefault="directed").
"""
import json
import sys


def summarise(G):
    node_attributes = set()
    for _, data in G.nodes(data=True):
        node_attributes.update(data)
    edge_attributes = set()
    sample_edge = None
    sample_ends = None
    for u, v, data in G.edges(data=True):
        edge_attributes.update(data)
        if sample_edge is None:
            sample_edge = dict(data)
            sample_ends = [u, v]
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "directed": G.is_directed(),
        "multigraph": G.is_multigraph(),
        "node_attributes": sorted(node_attributes),
        "edge_attributes": sorted(edge_attributes),
        "sample_edge": sample_edge,
        "sample_edge_ends": sample_ends,
    }


def main(argv):
    if len(argv) != 2:
        print("usage: read_graphs.py GEXF_PATH GRAPHML_PATH", file=sys.stderr)
        return 2
    gexf_path, graphml_path = argv
    try:
        import networkx as nx
    except ImportError as e:
        print("networkx is missing: %s" % e, file=sys.stderr)
        return 1

    out = {}
    failed = False
    for name, reader, path in (("gexf", nx.read_gexf, gexf_path),
                               ("graphml", nx.read_graphml, graphml_path)):
        try:
            out[name] = summarise(reader(path))
        except Exception as e:  # a parse failure of any kind
            print("%s: %s failed to parse: %s: %s" % (path, name, type(e).__name__, e),
                  file=sys.stderr)
            failed = True
    if failed:
        return 1
    json.dump(out, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
