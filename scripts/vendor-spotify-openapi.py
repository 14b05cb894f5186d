"""Vendors the part of Spotify's OpenAPI description that the fake Spotify's conformance test reads.

The description is sonallux/spotify-web-api's ``fixed-spotify-open-api.yml`` (Spotify's own, with the fixes that
project keeps). This keeps the GET 200 answers of the endpoints the fake serves and every schema they reference,
and writes them as JSON under __tests__/fakes/spotify/, so the test runs offline (no network in CI) and without a
YAML parser in the Node toolchain. PyYAML parses the YAML (it is in the Python environment already).

    git clone https://github.com/sonallux/spotify-web-api /tmp/spotify-web-api
    .venv/bin/python scripts/vendor-spotify-openapi.py /tmp/spotify-web-api
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

SOURCE_FILE = "fixed-spotify-open-api.yml"
# The endpoints the fake serves (local/fakes/spotify/server.ts and listening.ts).
PATHS = [
    "/me",
    "/me/playlists",
    "/playlists/{playlist_id}",
    "/playlists/{playlist_id}/items",
    "/me/top/artists",
    "/me/top/tracks",
    "/me/tracks",
    "/me/following",
    "/me/player/recently-played",
    "/tracks/{id}",
    "/artists/{id}",
]
TARGET = Path(__file__).resolve().parent.parent / "__tests__" / "fakes" / "spotify" / "spotify-openapi.json"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for path in PATHS:
        response = spec["paths"][path]["get"]["responses"]["200"]
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        answers[path] = response["content"]["application/json"]["schema"]
    schemas: dict[str, Any] = {}
    pending = _refs(answers)
    while pending:
        name = pending.pop().rsplit("/", 1)[-1]
        if name in schemas:
            continue
        schemas[name] = spec["components"]["schemas"][name]
        pending |= _refs(schemas[name])
    return {"answers": answers, "schemas": dict(sorted(schemas.items()))}


def main(checkout: str) -> None:
    root = Path(checkout)
    spec = yaml.safe_load((root / SOURCE_FILE).read_text(encoding="utf-8"))
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    document = {
        "source": {
            "repository": "https://github.com/sonallux/spotify-web-api",
            "file": SOURCE_FILE,
            "commit": commit or None,
            "version": spec["info"]["version"],
            "note": "Trimmed by scripts/vendor-spotify-openapi.py: the GET 200 answer schemas of the endpoints the fake serves, and the schemas they reference.",
        },
        **trim(spec),
    }
    TARGET.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} (version {document['source']['version']}, {len(document['schemas'])} schemas)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
