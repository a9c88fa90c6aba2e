"""The peer of a no-op pull: a plain script that sends the same requests as ``rankbridge pull`` of one
Zendesk connection, in order, with httpx and nothing else (no store, no config, no normalising).

``python -m benchmarks.plain_pull SPEC.json``: SPEC holds the base URL, the basic-auth user and the requests
(method, path, query) and the name of the environment variable with the token (the one the rankbridge config
refers to).
"""

from __future__ import annotations

import json
import os
import sys

import httpx


def main(spec_path: str) -> int:
    with open(spec_path) as handle:
        spec = json.load(handle)
    token = os.environ[spec["token_env"]]
    with httpx.Client(base_url=spec["base"], auth=(spec["user"], token), timeout=30) as client:
        for method, path, query in spec["requests"]:
            client.request(method, path, params=query).raise_for_status()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
