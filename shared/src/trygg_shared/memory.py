"""In-memory adapters of the chassis' ports: for tests, and for a service wired in memory mode.

Production code may use them (a service bootstrapped with memory stores); they keep nothing
across a restart, so they are never the production default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.audit import AuditRecord, AuditShape


@dataclass
class MemoryHandledEvents:
    """`trygg_shared.kafka.HandledEvents` in memory: repeats by event id, the last sequence per stream."""

    ids: set[str] = field(default_factory=set)
    positions: dict[tuple[str, str], int] = field(default_factory=dict)

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def mark(self, event_id: str, event_type: str) -> bool:
        new = event_id not in self.ids
        self.ids.add(event_id)
        return new

    async def position(self, stream: str, subject: str) -> int:
        return self.positions.get((stream, subject), 0)

    async def advance(self, stream: str, subject: str, sequence: int) -> None:
        key = (stream, subject)
        self.positions[key] = max(self.positions.get(key, 0), sequence)


class MemoryAuditLog:
    """`trygg_shared.audit.AuditLog` in memory. With a per-case `shape`, a record naming several
    cases is kept as one record per case, as `MongoAuditLog` keeps them. Set `available` to False
    (or `failing` to True) to make `append` fail as a store that is down does."""

    def __init__(self, shape: AuditShape | None = None) -> None:
        self.records: list[AuditRecord] = []
        self.available = True
        self._shape = shape

    @property
    def failing(self) -> bool:
        return not self.available

    @failing.setter
    def failing(self, value: bool) -> None:
        self.available = not value

    async def append(self, record: AuditRecord) -> None:
        if not self.available:
            raise StorageUnavailable("audit log down")
        self.records.extend(self._shape.split(record) if self._shape else [record])

    async def recent(self, limit: int) -> list[AuditRecord]:
        return self._newest(self.records, limit)

    async def for_case(self, case_id: str, limit: int) -> list[AuditRecord]:
        return self._newest([r for r in self.records if case_id in r.case_ids], limit)

    async def for_subject(self, subject: str, limit: int) -> list[AuditRecord]:
        return self._newest([r for r in self.records if r.subject == subject], limit)

    @staticmethod
    def _newest(records: list[AuditRecord], limit: int) -> list[AuditRecord]:
        # Newest first; of records at the same moment, the one appended last first.
        return sorted(reversed(records), key=lambda r: r.at, reverse=True)[:limit]
