"""In-memory adapters (use-case and HTTP tests): the same ports as the Mongo ones, over dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notification.domain.alert import Alert, AlertState, Rota
from notification.domain.casefile import CaseFile, WatchState
from notification.domain.contacts import TeamContact
from notification.domain.message import Message, MessageState
from notification.domain.templates import AlertTopic
from notification.service_layer.ports import StoredSms
from trygg_shared.aggregate import InMemoryAggregateStore, Loaded
from trygg_shared.memory import MemoryAuditLog

__all__ = [
    "MemoryAlertQueries",
    "MemoryAuditLog",
    "MemoryCaseQueries",
    "MemoryClaims",
    "MemoryDailyCap",
    "MemoryLocalSmsLog",
    "MemoryMessageQueries",
    "MemoryRotas",
    "MemoryTeamDirectory",
]


class MemoryCaseQueries:
    def __init__(self, store: InMemoryAggregateStore[CaseFile]) -> None:
        self._store = store

    async def due_watches(self, now: datetime) -> list[str]:
        return [
            cid
            for cid, (c, _, _) in self._store.states.items()
            if c.watch is not None and c.watch.state is WatchState.ARMED and c.watch.alert_at <= now
        ]

    async def next_watch_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        return min(
            (
                c.watch.alert_at
                for cid, (c, _, _) in self._store.states.items()
                if c.watch is not None and c.watch.state is WatchState.ARMED and cid not in excluding
            ),
            default=None,
        )

    async def active_periods_of(self, person_ref: str) -> list[str]:
        return [cid for cid, (c, _, _) in self._store.states.items() if c.person_ref == person_ref and c.period_active]


class MemoryMessageQueries:
    def __init__(self, store: InMemoryAggregateStore[Message]) -> None:
        self._store = store

    def _all(self) -> list[Message]:
        return [m for m, _, _ in self._store.states.values()]

    async def due(self, now: datetime, limit: int) -> list[str]:
        due = [m for m in self._all() if m.due(now)]
        due.sort(key=lambda m: m.not_before if m.state is MessageState.QUEUED else (m.claim_until or now))
        return [m.message_id for m in due[:limit]]

    async def due_messages(self, now: datetime, limit: int) -> list[Loaded[Message]]:
        found = [await self._store.load(mid) for mid in await self.due(now, limit)]
        return [x for x in found if x is not None]

    def saved_here(self, message_id: str) -> Loaded[Message] | None:
        return None  # reads cost nothing here

    async def queued_for_case(self, case_id: str) -> list[Message]:
        return [m for m in self._all() if m.case_id == case_id and m.state is MessageState.QUEUED]

    async def queued_for_alert(self, alert_id: str) -> list[str]:
        return [m.message_id for m in self._all() if m.alert_id == alert_id and m.state is MessageState.QUEUED]

    async def get(self, message_id: str) -> Message | None:
        found = self._store.states.get(message_id)
        return found[0] if found else None

    async def for_case(self, case_id: str, limit: int) -> list[Message]:
        found = sorted((m for m in self._all() if m.case_id == case_id), key=lambda m: m.created_at, reverse=True)
        return found[:limit]


class MemoryAlertQueries:
    def __init__(self, store: InMemoryAggregateStore[Alert]) -> None:
        self._store = store

    def _all(self) -> list[Alert]:
        return [a for a, _, _ in self._store.states.values()]

    async def escalation_due(self, now: datetime) -> list[str]:
        return [a.alert_id for a in self._all() if a.escalation_due(now)]

    async def notify_pending(self) -> list[str]:
        return [a.alert_id for a in self._all() if a.notify_pending]

    async def by_ack_code(self, code: str) -> str | None:
        return next((a.alert_id for a in self._all() if a.ack_code == code), None)

    async def open_for_case(self, case_id: str, topic: AlertTopic) -> list[str]:
        return sorted(
            a.alert_id for a in self._all() if a.case_id == case_id and a.topic is topic and a.state is AlertState.OPEN
        )

    async def unrouted(self) -> int:
        return sum(1 for a in self._all() if a.unrouted)

    async def unrouted_teams(self) -> dict[str, str | None]:
        return {a.alert_id: a.team_id for a in self._all() if a.unrouted}

    async def next_escalation_at(self, excluding: Sequence[str] = ()) -> datetime | None:
        return min(
            (
                a.escalate_at
                for a in self._all()
                if a.state is AlertState.OPEN and a.escalate_at and a.alert_id not in excluding
            ),
            default=None,
        )

    async def list(self, *, state: AlertState | None, team_id: str | None, limit: int) -> list[Alert]:
        found = [
            a for a in self._all() if (state is None or a.state is state) and (team_id is None or a.team_id == team_id)
        ]
        found.sort(key=lambda a: a.raised_at, reverse=True)
        return found[:limit]


@dataclass
class MemoryDailyCap:
    counters: dict[str, list[str]] = field(default_factory=dict)

    async def reserve(self, key: str, message_id: str, cap: int, *, first_attempt: bool = False) -> bool:
        ids = self.counters.setdefault(key, [])
        if message_id in ids:
            if first_attempt:
                raise AssertionError(f"{message_id} holds a slot already but was reserved as a first attempt")
            return True
        if len(ids) >= cap:
            return False
        ids.append(message_id)
        return True


@dataclass
class MemoryClaims:
    held: dict[str, dict[str, str]] = field(default_factory=dict)

    async def take(self, key: str, **facts: str) -> bool:
        if key in self.held:
            return False
        self.held[key] = dict(facts)
        return True

    async def facts(self, key: str) -> dict[str, str] | None:
        return self.held.get(key)

    async def release(self, key: str) -> None:
        self.held.pop(key, None)


@dataclass
class MemoryRotas:
    rotas: dict[str, Rota] = field(default_factory=dict)

    async def get(self, team_id: str) -> Rota | None:
        return self.rotas.get(team_id)

    async def put(self, rota: Rota) -> None:
        self.rotas[rota.team_id] = rota


@dataclass
class MemoryTeamDirectory:
    teams: dict[str, tuple[TeamContact, int]] = field(default_factory=dict)

    async def get(self, team_id: str) -> TeamContact | None:
        found = self.teams.get(team_id)
        return found[0] if found else None

    async def by_name(self, name: str) -> TeamContact | None:
        return next((c for c, _ in self.teams.values() if c.name == name), None)

    async def put(self, contact: TeamContact, version: int) -> bool:
        current = self.teams.get(contact.team_id)
        if current is not None and current[1] >= version:
            return False
        self.teams[contact.team_id] = (contact, version)
        return True


@dataclass
class MemoryLocalSmsLog:
    messages: list[StoredSms] = field(default_factory=list)

    async def add(self, sms: StoredSms) -> None:
        self.messages.append(sms)

    async def find(self, message_id: str) -> StoredSms | None:
        return next((s for s in self.messages if s.message_id == message_id), None)

    async def list(self, limit: int) -> Sequence[StoredSms]:
        return list(reversed(self.messages))[:limit]
