"""The test patients' personal data, and a scanner that finds it in log files and exported spans.

What counts (the values the tests send): every identity number written in the tests, the
services' test helpers, the devstack CLI and the shipped LUS examples (in each written form:
with and without the century and the dash); the patients' names, street addresses and phone
numbers of the example bodies (`services/referral/src/referral/examples`, `docs/specs/examples`);
and relatives' phone numbers and names written in the tests (lines that mention a relative).

Used by the root `conftest.py` after the whole session: the logs of every service process
(`<service>.log` under the pytest temp folder: the e2e and fault fixtures' `_Process` logs) and
every span the session's Jaeger holds. A finding names the file and line (or the trace and
span) and the kind of datum, never the datum itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIRS = (ROOT / "services/referral/src/referral/examples", ROOT / "docs/specs/examples")
SOURCE_DIRS = (ROOT / "tests", *sorted((ROOT / "services").glob("*/tests")), ROOT / "tools/devstack/src/devstack")
# Logs of the servers the tests start (not service processes): PostgreSQL, FerretDB, Kafka, Jaeger.
SERVER_LOGS = frozenset({"postgres.log", "ferretdb.log", "kafka.log", "jaeger.log"})

_IDENTITY = re.compile(r"(?<![\d.])((?:19|20)\d{6})-?(\d{4})(?!\d)")
_PHONE = re.compile(r"\+46\d{7,10}(?!\d)")
_NAME_KEYS = {"given_name", "family_name", "name", "first_name", "last_name"}
_PERSON_NAME = re.compile(r"""(?:given_name|family_name)["']?\s*[:=]\s*["']([^"'{}]+)["']""")
_CONTACT_NAME = re.compile(r"""["']name["']\s*:\s*["']([^"'{}]+)["']""")


@dataclass(frozen=True)
class Datum:
    kind: str  # "identity number", "name", "phone number", "address"
    value: str

    @property
    def masked(self) -> str:
        return self.value[:2] + "…" + self.value[-2:] if len(self.value) > 4 else "…"


@dataclass(frozen=True)
class Finding:
    where: str  # file:line, or trace/span
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} ({self.masked})"


def identity_forms(digits8: str, last4: str) -> set[str]:
    """`19401009-2387` as it may be written: with or without century and dash."""
    full, short = digits8, digits8[2:]
    return {f"{full}-{last4}", f"{full}{last4}", f"{short}-{last4}", f"{short}{last4}"}


def _walk(node: Any, inside: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (inside, key, value)
            yield from _walk(value, (*inside, key))
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, inside)


def from_examples(folders: Iterable[Path] = EXAMPLE_DIRS) -> set[Datum]:
    found: set[Datum] = set()
    for folder in folders:
        for file in sorted(folder.glob("*.json")):
            for inside, key, value in _walk(json.loads(file.read_text(encoding="utf-8"))):
                personal = bool({"patient", "relatives", "relative", "contacts"} & set(inside))
                if not isinstance(value, str) or not personal:
                    continue
                if key in _NAME_KEYS:
                    found.add(Datum("name", value))
                elif key == "phone":
                    found.add(Datum("phone number", value))
                elif key == "street":
                    found.add(Datum("address", value))
                elif key == "id":
                    for match in _IDENTITY.finditer(value):
                        found |= {Datum("identity number", f) for f in identity_forms(*match.groups())}
    return found


def from_sources(folders: Iterable[Path] = SOURCE_DIRS) -> set[Datum]:
    """Identity numbers and patients' names anywhere in test code; relatives' names and phone numbers
    where a line writes a contact (`{"name": ..., "phone": ...}`) or mentions a relative."""
    found: set[Datum] = set()
    for folder in folders:
        for file in sorted(folder.rglob("*.py")):
            own = file.resolve().relative_to(ROOT).parts[:2] == ("tests", "security")
            if own and (file.name.startswith("test_") or file.resolve() == Path(__file__).resolve()):
                continue  # the scanner's own tests plant data on purpose, in their own temp files
            for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
                for match in _IDENTITY.finditer(line):
                    if _valid_date(match.group(1)):
                        found |= {Datum("identity number", f) for f in identity_forms(*match.groups())}
                found |= {Datum("name", m.group(1)) for m in _PERSON_NAME.finditer(line)}
                contact = '"phone"' in line and '"name"' in line  # a relative: {"name": ..., "phone": ...}
                if contact:
                    found |= {Datum("name", m.group(1)) for m in _CONTACT_NAME.finditer(line)}
                if contact or "relative" in line.lower():
                    found |= {Datum("phone number", m.group(0)) for m in _PHONE.finditer(line)}
    return found


def _valid_date(digits8: str) -> bool:
    month, day = int(digits8[4:6]), int(digits8[6:8])
    return 1 <= month <= 12 and 1 <= day <= 91  # 61-91: samordningsnummer


# Placeholder names in tests that are ordinary words or letters, not anybody's name.
_NOT_NAMES = frozenset({"Test", "Name", "Namn", "X", "Y"})


def patients_data() -> set[Datum]:
    return {
        d
        for d in from_examples() | from_sources()
        if d.kind != "name" or (len(d.value) >= 2 and d.value not in _NOT_NAMES)
    }


class Scanner:
    """Finds any of `data` in text: whole tokens only (a number inside a longer number is not one)."""

    def __init__(self, data: Iterable[Datum]) -> None:
        self.data = sorted(set(data), key=lambda d: (-len(d.value), d.value))
        self._kinds = {d.value: d for d in self.data}
        alternatives = "|".join(re.escape(d.value) for d in self.data) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![\w+]){'(?:' + alternatives + ')'}(?!\w)")

    def find(self, text: str) -> list[Datum]:
        return [self._kinds[m.group(0)] for m in self._pattern.finditer(text)]

    def scan_file(self, path: Path) -> list[Finding]:
        findings = []
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                findings += [Finding(f"{path}:{number}", d.kind, d.masked) for d in self.find(line)]
        return findings

    def scan_spans(self, traces: Iterable[dict[str, Any]]) -> list[Finding]:
        findings = []
        for trace in traces:
            for span in trace.get("spans", []):
                text = json.dumps(span, ensure_ascii=False)
                where = f"trace {span.get('traceID')} span {span.get('operationName')!r}"
                findings += [Finding(where, d.kind, d.masked) for d in self.find(text)]
            for process in (trace.get("processes") or {}).values():
                text = json.dumps(process, ensure_ascii=False)
                findings += [
                    Finding(f"trace {trace.get('traceID')} process", d.kind, d.masked) for d in self.find(text)
                ]
        return findings


def service_logs(base: Path) -> list[Path]:
    """Every log file of a process the tests started under `base`, except the servers'."""
    return sorted(
        p
        for p in base.rglob("*.log")
        if p.is_file() and p.name not in SERVER_LOGS and not p.stem.isdigit()  # digits: Kafka's data segments
    )


def jaeger_traces(query_url: str, *, limit: int = 5000, timeout: float = 30.0) -> tuple[list[dict[str, Any]], int]:
    """Every trace Jaeger holds, by service (and the number of spans)."""
    import httpx

    traces: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=query_url, timeout=timeout) as client:
        services = client.get("/api/services").json().get("data") or []
        for service in services:
            answer = client.get("/api/traces", params={"service": service, "limit": limit, "lookback": "24h"})
            for trace in answer.json().get("data") or []:
                traces[trace["traceID"]] = trace
    spans = sum(len(t.get("spans", [])) for t in traces.values())
    return list(traces.values()), spans
