"""What each published mart and its columns mean, from the dbt docs (the model YAMLs, through `manifest.json`):
recorded with each publish and shown by `sdc sql`'s describe."""

from __future__ import annotations

from collections.abc import Mapping


def mart_docs(manifest: Mapping, schema: str) -> dict[str, dict]:
    """{table: {"description": ..., "columns": {column: description}}} of every model dbt builds into `schema`."""
    docs = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model" and node.get("schema") == schema:
            columns = {name: (c.get("description") or "").strip() for name, c in (node.get("columns") or {}).items()}
            docs[node.get("alias") or node["name"]] = {
                "description": (node.get("description") or "").strip(),
                "columns": columns,
            }
    return docs
