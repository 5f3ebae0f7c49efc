"""JSON Schema snapshots of every event contract, and the check for breaking changes.

`python -m trygg_shared.contracts.snapshots --write` rewrites the snapshots after an intended,
compatible change. A breaking change (a field removed, a field newly required, a type changed,
an enum value removed) needs a new event type (`...v2`) instead: consumers still read the old one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from trygg_shared.contracts import ALL_EVENTS

SNAPSHOT_DIR = Path(__file__).parent / "schemas"

Schema = dict[str, Any]


def current_schemas() -> dict[str, Schema]:
    return {cls.EVENT_TYPE: cls.model_json_schema(mode="serialization") for cls in ALL_EVENTS}


def snapshot_path(event_type: str) -> Path:
    return SNAPSHOT_DIR / f"{event_type}.json"


def load_snapshot(event_type: str) -> Schema | None:
    path = snapshot_path(event_type)
    return json.loads(path.read_text()) if path.is_file() else None


def _resolve(schema: Schema, node: Schema) -> Schema:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Schema = schema.get("$defs", {})[ref.split("/")[-1]]
        return resolved
    return node


def _shape(schema: Schema, node: Schema) -> Any:
    """What a property accepts, ignoring descriptions and titles."""
    node = _resolve(schema, node)
    if "anyOf" in node:
        return sorted(json.dumps(_shape(schema, n), sort_keys=True) for n in node["anyOf"])
    if node.get("type") == "object" and "properties" in node:
        return {k: _shape(schema, v) for k, v in node["properties"].items()}
    if node.get("type") == "array":
        return ["array", _shape(schema, node.get("items", {}))]
    return {k: v for k, v in node.items() if k in ("type", "format", "enum", "const")}


def breaking_changes(old: Schema, new: Schema, path: str = "") -> list[str]:
    """Changes from `old` to `new` that would break a consumer written against `old`."""
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_node in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        o, n = _resolve(old, old_node), _resolve(new, new_props[name])
        if o.get("type") == "object" and n.get("type") == "object":
            problems += breaking_changes(
                {**o, "$defs": old.get("$defs", {})}, {**n, "$defs": new.get("$defs", {})}, f"{where}."
            )
            continue
        old_enum, new_enum = o.get("enum"), n.get("enum")
        if old_enum is not None and new_enum is not None:
            removed = sorted(set(old_enum) - set(new_enum))
            if removed:
                problems.append(f"{where}: enum values removed {removed}")
            continue
        if _shape(old, old_node) != _shape(new, new_props[name]):
            problems.append(f"{where}: type changed")
    newly_required = sorted(set(new.get("required", [])) - set(old.get("required", [])))
    problems += [f"{path}{name}: newly required" for name in newly_required]
    return problems


def write(prefix: str = "") -> int:
    """Write the snapshots of every event type starting with `prefix`; returns how many."""
    SNAPSHOT_DIR.mkdir(exist_ok=True)
    written = 0
    for event_type, schema in current_schemas().items():
        if event_type.startswith(prefix):
            path = snapshot_path(event_type)
            path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            written += 1
    return written


if __name__ == "__main__":
    if "--write" in sys.argv:
        # `--only se.trygghemgang.billing.` writes one service's snapshots and leaves the rest.
        only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
        print(f"wrote {write(only)} schema snapshots to {SNAPSHOT_DIR}")
    else:
        print(__doc__)
