"""Sends one kind of request, again and again, over one keep-alive connection.

    python3 send.py --port PORT --kind sparql|page|health --count N
    python3 send.py --port PORT --wait SECONDS --pid PID

Each answer must be 200 and is read whole; the script fails on the first that is
not. With --wait, it waits instead until the server answers and its /metrics say
that every index kept in memory holds the whole store. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import time
import urllib.parse

# The entity the requests ask about: a vendor of the bundled data.
ENTITY = "https://w3id.org/spyatlas/id/nso-group"

KINDS = {
    # The SPARQL GET that bench/run.sh's wrk sends, on the bundled data: after the
    # first, answered from the answer cache.
    "sparql": (
        "/sparql?query="
        + urllib.parse.quote(f"SELECT ?p ?o WHERE {{ <{ENTITY}> ?p ?o }}"),
        "application/sparql-results+json",
    ),
    # The entity's page, from the page cache after the first.
    "page": ("/id/nso-group", "text/html"),
    # A read of the store on every request, with no cache in front of it.
    "health": ("/health", "text/plain"),
}


# `spyatlas_index_complete{index="search"} 1` in /metrics, one line per index.
INDEX_COMPLETE = re.compile(r"^spyatlas_index_complete\{[^}]*\} ([01])$", re.MULTILINE)


def wait(port: int, seconds: float, pid: int) -> None:
    """Waits until every index of the server on `port` is complete."""
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise SystemExit(f"send.py: the server (pid {pid}) exited while starting")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/metrics")
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            flags = INDEX_COMPLETE.findall(body)
            if response.status == 200 and flags and all(flag == "1" for flag in flags):
                return
            last = f"HTTP {response.status}, indexes complete: {flags}"
        except OSError as error:
            last = str(error)
        time.sleep(0.5)
    raise SystemExit(f"send.py: the server was not ready within {seconds:.0f} s ({last})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", choices=sorted(KINDS))
    parser.add_argument("--count", type=int)
    parser.add_argument("--wait", type=float, metavar="SECONDS")
    parser.add_argument("--pid", type=int)
    args = parser.parse_args()
    if args.wait is not None:
        if args.pid is None:
            parser.error("--wait needs --pid")
        wait(args.port, args.wait, args.pid)
        return
    if args.kind is None or args.count is None:
        parser.error("--kind and --count are needed (or --wait)")
    path, accept = KINDS[args.kind]
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=600)
    for number in range(args.count):
        connection.request("GET", path, headers={"Accept": accept})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(
                f"send.py: request {number + 1} of {args.kind} answered {response.status}"
            )


if __name__ == "__main__":
    main()
