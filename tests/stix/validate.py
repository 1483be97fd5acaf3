#!/usr/bin/env python3
"""Validates a STIX 2.1 bundle with OASIS's stix2-validator (module stix2validator).

Usage: validate.py PATH|- [--strict] [--enforce-refs] [--strict-properties] [--disable CHECKS]

Reads the bundle (JSON) from PATH, or from standard input when PATH is "-", and prints one
JSON object on standard output:

    {"valid": bool, "errors": [str], "warnings": [str]}

Exit status: 0 when the bundle is valid with no errors, 1 otherwise (2 on bad arguments).

Errors are the validator's schema failures and its MUST checks; warnings are its SHOULD
checks (UUIDv4/v5 ids, open-vocabulary values, suggested relationship types, ...), which
--strict turns into errors. --enforce-refs also checks that every source_ref/target_ref
of a relationship is in the bundle. --disable takes the validator's comma-separated check
names or codes (e.g. "relationship-types,uuid-check" or "208,102").

One check is added to the validator's: every object of the bundle that has `created` must
have `spec_version` (the validator would otherwise take it for STIX 2.0 and accept it).

Works offline: the validator only reads the JSON Schemas that ship inside the package
(relative $refs, and jsonschema's bundled metaschemas). It would fetch http(s) $refs only
for a user-supplied schema directory, which this script never passes; requests.get is
replaced anyway so that any attempt fails instead of reaching out.
"""
import argparse
import json
import sys


def _no_network(*args, **kwargs):
    raise RuntimeError("network access is disabled in tests/stix/validate.py")


def _messages(items):
    return [str(getattr(item, "message", item)) for item in items]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help='bundle file, or "-" for standard input')
    parser.add_argument("--strict", action="store_true",
                        help="treat the SHOULD warnings as errors")
    parser.add_argument("--enforce-refs", action="store_true",
                        help="relationship refs must point into the bundle")
    parser.add_argument("--strict-properties", action="store_true",
                        help="no custom properties at all")
    parser.add_argument("--disable", default="",
                        help="comma-separated SHOULD checks to skip")
    args = parser.parse_args(argv)

    result = {"valid": False, "errors": [], "warnings": []}
    try:
        import stix2validator
        from stix2validator import ValidationOptions, validate_parsed_json
        import stix2validator.validator as stix_validator_module

        stix_validator_module.requests.get = _no_network

        if args.path == "-":
            text = sys.stdin.read()
        else:
            with open(args.path, encoding="utf-8") as f:
                text = f.read()
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ValueError("invalid JSON: %s" % e)
        if not isinstance(data, dict) or "type" not in data or "id" not in data:
            raise ValueError("input must be a STIX object (a bundle) with 'type' and 'id'")

        options = ValidationOptions(
            version="2.1",
            silent=True,
            strict=args.strict,
            strict_properties=args.strict_properties,
            enforce_refs=args.enforce_refs,
            disabled=args.disable,
        )
        results = validate_parsed_json(data, options)
        if not isinstance(results, list):
            results = [results]
        valid = True
        for r in results:
            valid = valid and bool(r.is_valid)
            result["errors"].extend(_messages(r.errors or []))
            result["warnings"].extend(_messages(r.warnings or []))
        # The validator treats an object of a 2.1 bundle that has `created` but no
        # `spec_version` as STIX 2.0 content and accepts it silently; in STIX 2.1 every
        # SDO, SRO and marking definition MUST carry spec_version "2.1".
        if data.get("type") == "bundle" and isinstance(data.get("objects"), list):
            for obj in data["objects"]:
                if isinstance(obj, dict) and "created" in obj and "spec_version" not in obj:
                    result["errors"].append(
                        "%s: 'spec_version' is a required property (validate.py: without it "
                        "the validator reads the object as STIX 2.0)" % obj.get("id", "?"))
        result["valid"] = valid and not result["errors"]
    except Exception as e:  # a fatal problem is reported as an error, not a traceback
        result["valid"] = False
        result["errors"].append("%s: %s" % (type(e).__name__, e))

    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if result["valid"] and not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
