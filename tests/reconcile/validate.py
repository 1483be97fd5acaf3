"""Validates answers of a reconciliation service against the JSON Schemas of the W3C
Reconciliation Service API 0.2.

    python3 validate.py SCHEMAS ANSWERS

SCHEMAS is the folder of the API's schemas (`0.2/schemas/`); ANSWERS holds one folder per
schema, named as the schema file without `.json` (`manifest/`, `reconciliation-result-batch/`),
each with the answers to check against it. Prints every error with its file and the path in
the document; exits 1 when there is one, 2 when a folder names no schema or holds nothing.
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7


def main() -> int:
    schemas, answers = Path(sys.argv[1]), Path(sys.argv[2])
    loaded = {path.stem: json.loads(path.read_text()) for path in schemas.glob("*.json")}
    # Each schema under its own $id, so that `"$ref": "type.json"` resolves offline.
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
        for schema in loaded.values()
        if "$id" in schema
    )
    errors = 0
    checked = 0
    folders = sorted(path for path in answers.iterdir() if path.is_dir())
    if not folders:
        print(f"{answers}: no answers to check", file=sys.stderr)
        return 2
    for folder in folders:
        schema = loaded.get(folder.name)
        if schema is None:
            print(f"{folder}: no schema {folder.name}.json in {schemas}", file=sys.stderr)
            return 2
        validator = Draft7Validator(schema, registry=registry, format_checker=FormatChecker())
        files = sorted(folder.glob("*.json"))
        if not files:
            print(f"{folder}: empty", file=sys.stderr)
            return 2
        for path in files:
            checked += 1
            for error in validator.iter_errors(json.loads(path.read_text())):
                errors += 1
                where = "/".join(str(part) for part in error.absolute_path) or "(root)"
                print(f"{path} at {where}: {error.message}")
    print(f"{checked} answers checked, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
