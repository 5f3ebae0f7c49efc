"""The audit log every service keeps: one record per read of personal data or change of rules.

Pure (no driver, no wire): the record and the port are imported by the services' use cases.
The adapters are `trygg_shared.mongo.MongoAuditLog` (production) and
`trygg_shared.memory.MemoryAuditLog` (tests and memory mode). Each service keeps its records
in its own database, apart from the application logs, for at least five years; which of the
record's optional fields a service fills (and stores) is declared by its `AuditShape`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from trygg_shared.auth import Actor


@dataclass(frozen=True)
class AuditRecord:
    """Who did what, when, and what it concerned.

    `case_ids` and `fields` are what a read of personal data showed (referral, scheduling, the
    console); `subjects` and `detail` what a billing read or tariff change concerned; `subject`
    names anything else a record is about (`agreement:<id>:<version>`, `rota:<team>`); `read_id`
    is the read a per-case record belongs to (see `AuditShape.per_case`).
    """

    record_id: str
    at: datetime
    actor: str
    roles: tuple[str, ...]
    action: str
    case_ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    trace_id: str | None = None
    subject: str | None = None
    read_id: str | None = None
    subjects: tuple[str, ...] = ()
    detail: str = ""

    @classmethod
    def new(
        cls,
        at: datetime,
        actor: str,
        roles: tuple[str, ...],
        action: str,
        *,
        case_ids: tuple[str, ...] = (),
        fields: tuple[str, ...] = (),
        trace_id: str | None = None,
        subject: str | None = None,
        subjects: tuple[str, ...] = (),
        detail: str = "",
    ) -> AuditRecord:
        """A record with a fresh id."""
        return cls(
            str(uuid.uuid4()), at, actor, roles, action, case_ids, fields, trace_id, subject, None, subjects, detail
        )

    @classmethod
    def by(cls, actor: Actor, at: datetime, action: str, **details: Any) -> AuditRecord:
        """A record with a fresh id of what `actor` (its subject and roles) did at `at`; `details` as `new`'s."""
        return cls.new(at, actor.subject, actor.roles, action, **details)


# The optional fields of a record, each stored under its own name (tuples as arrays).
OPTIONAL_FIELDS = ("case_ids", "fields", "trace_id", "subject", "read_id", "subjects", "detail")
_TUPLE_FIELDS = frozenset({"case_ids", "fields", "subjects"})


@dataclass(frozen=True)
class AuditShape:
    """How one service keeps its records: the collection and which optional fields it stores.

    `keys` are stored (and read back) in every document, missing values included; any other
    optional field is neither stored nor read. With `per_case`, a record naming several cases is
    kept as one document per case (`<record_id>:<i>`, each with `read_id` = the record's id), so a
    case's trail is one equality lookup; a record naming one case or none is one document, also
    with `read_id` (when `read_id` is one of the `keys`).
    """

    collection: str
    keys: tuple[str, ...]
    per_case: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.keys) - set(OPTIONAL_FIELDS)
        if unknown:
            raise ValueError(f"not fields of an audit record: {sorted(unknown)}")

    def split(self, record: AuditRecord) -> list[AuditRecord]:
        """The records kept for `record`: itself, or one per case it names (`per_case`)."""
        if not self.per_case:
            return [record]
        if len(record.case_ids) <= 1:
            return [replace(record, read_id=record.record_id)]
        return [
            replace(record, record_id=f"{record.record_id}:{i}", case_ids=(case_id,), read_id=record.record_id)
            for i, case_id in enumerate(record.case_ids)
        ]

    def document(self, record: AuditRecord) -> dict[str, Any]:
        """The stored document of one kept record."""
        doc: dict[str, Any] = {
            "_id": record.record_id,
            "at": record.at,
            "actor": record.actor,
            "roles": list(record.roles),
            "action": record.action,
        }
        for key in self.keys:
            value = getattr(record, key)
            doc[key] = list(value) if key in _TUPLE_FIELDS else value
        return doc

    def record(self, doc: Mapping[str, Any]) -> AuditRecord:
        """The record of one stored document (a key missing from an older document reads as its default)."""
        optional: dict[str, Any] = {}
        for key in self.keys:
            if key in _TUPLE_FIELDS:
                optional[key] = tuple(doc.get(key) or ())
            elif key in doc:
                optional[key] = doc[key]
        return AuditRecord(
            record_id=str(doc["_id"]),
            at=doc["at"],
            actor=doc["actor"],
            roles=tuple(doc.get("roles") or ()),
            action=doc["action"],
            **optional,
        )


class AuditLog(Protocol):
    """Append-only record of reads of personal data and changes of rules, apart from the application logs."""

    async def append(self, record: AuditRecord) -> None:
        """Keep the record; raise `StorageUnavailable` when it cannot be kept (the read is then refused)."""
        ...

    async def recent(self, limit: int) -> list[AuditRecord]:
        """The newest records first."""
        ...

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]:
        """Newest first: every record naming this case."""
        ...

    async def for_subject(self, subject: str, limit: int) -> list[AuditRecord]:
        """Newest first: every record about `subject`."""
        ...
