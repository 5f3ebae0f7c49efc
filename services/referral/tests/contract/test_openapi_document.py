"""The OpenAPI document: every body has an example, security is declared, the LUS examples match the spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from referral_support import ApiHarness

DOC: dict[str, Any] = ApiHarness().app.openapi()
ROOT = Path(__file__).resolve().parents[4]


def _schema_has_example(schema: dict[str, Any]) -> bool:
    if "examples" in schema or "example" in schema:
        return True
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return all(_schema_has_example(v) for v in variants)
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    if ref:
        return _schema_has_example(DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return False


def _bodies() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            if "requestBody" in op:
                out.append((f"{method.upper()} {path} request", op["requestBody"]["content"]["application/json"]))
            for status, response in op.get("responses", {}).items():
                content = (response.get("content") or {}).get("application/json")
                if status.startswith("2") and content and content.get("schema"):
                    out.append((f"{method.upper()} {path} {status}", content))
    return out


def test_every_request_and_success_response_body_has_an_example() -> None:
    missing = [
        name for name, media in _bodies() if "examples" not in media and not _schema_has_example(media["schema"])
    ]
    assert not missing, f"bodies without an example: {missing}"


def test_every_case_endpoint_declares_bearer_security() -> None:
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            if path.startswith(("/cases", "/audit", "/agreements")):
                assert op.get("security") == [{"HTTPBearer": []}], f"{method} {path}"


def test_the_webhook_examples_are_the_spec_examples() -> None:
    media = DOC["paths"]["/webhooks/lus"]["post"]["requestBody"]["content"]["application/json"]
    spec = {
        json.loads(f.read_text())["message_type"]: json.loads(f.read_text())
        for f in (ROOT / "docs" / "specs" / "examples").glob("*.json")
    }
    assert {k: v["value"] for k, v in media["examples"].items()} == spec


def test_every_error_answer_is_documented_as_problem_json_only() -> None:
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")) and path != "/readyz":
                    assert list(response.get("content", {})) == ["application/problem+json"], (method, path, status)


def test_every_route_with_a_case_in_its_path_documents_404_and_every_decision_change_409() -> None:
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            if "{case_id}" in path:
                assert "404" in op["responses"], (method, path)
            if "/decisions" in path:
                assert "409" in op["responses"], (method, path)
