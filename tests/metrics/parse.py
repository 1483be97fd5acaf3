#!/usr/bin/env python3
"""Parses a Prometheus text exposition (version 0.0.4) from standard input with the
Prometheus project's own Python client parser, and prints its samples as JSON:
{"families": {name: type}, "samples": [{"name", "labels", "value"}]}. Exits 1 with the
parser's message on standard error when the text does not parse."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:  # the parser raises ValueError and others
        print(f"not Prometheus text: {error}", file=sys.stderr)
        return 1
    answer = {
        "families": {family.name: family.type for family in families},
        "samples": [
            {"name": sample.name, "labels": sample.labels, "value": sample.value}
            for family in families
            for sample in family.samples
        ],
    }
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
