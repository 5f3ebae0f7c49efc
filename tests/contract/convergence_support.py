"""Support for `test_event_convergence.py`: referral's real events as Kafka records, and the real
consumers (scheduling, notification, billing, console) wired in memory, each with what it keeps.

Nothing here re-implements a consumer: records go through FastStream's `TestKafkaBroker` into
each service's own `EventConsumer`s (chassis: repeats, staleness) and subscribers. The one rule
the oracle restates is the chassis' staleness rule (`kept_by_chassis`), read from the
consumer's own `Handles`, to say which events a reordered delivery may legitimately lose.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker

from referral.adapters.codec import to_wire
from referral.domain.case import Case
from referral.domain.decision import Consent, Decision, DecisionType, EndReason, MunicipalityProfile, Relative, grant
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage
from referral.entrypoints.lus_format import parse_lus, to_domain
from referral.service_layer.agreement_format import shipped_agreements
from trygg_shared.contracts import scheduling as s
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import EventConsumer
from trygg_shared.memory import MemoryHandledEvents as MemoryGuard
from trygg_shared.settings import KafkaSettings

SHIPPED = shipped_agreements()
AGREEMENTS = AgreementTable(SHIPPED)
STOCKHOLM = next(a for a in SHIPPED if a.region_code == "01")
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "specs" / "examples"
_BODIES = {json.loads(f.read_text())["message_type"]: json.loads(f.read_text()) for f in EXAMPLES.glob("*.json")}

CASE_ID = "c1"
PERSON_REF = "p_c1"
SOURCE = "urn:trygghemgang:referral"
TEAM = "jarfalla"
PROFILE = MunicipalityProfile()
# The consumers' clocks: a fixed "now" after the whole story (deterministic re-planning, accruals).
NOW = datetime(2026, 12, 12, 8, 0, tzinfo=UTC)
# The outbox stamps each event when its save happened: one minute apart, in save order.
SAVED_FROM = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
KAFKA = KafkaSettings(retry_backoff_seconds=0, max_delivery_attempts=1)


def message(message_id: str, message_type: str, **fields: Any) -> HospitalMessage:
    body = copy.deepcopy(_BODIES[message_type])
    body.update(fields)
    return to_domain(message_id, parse_lus(body))


# A stay with a bit of everything: two ready notices, a revocation that is itself withdrawn,
# a withdrawn ready notice, and a late discharge (liability accrues).
MESSAGES = [
    message("adm", "inskrivningsmeddelande"),
    message("r1", "utskrivningsklar", ready_at="2026-11-20T10:00:00+01:00", sent_at="2026-11-20T10:05:00+01:00"),
    message(
        "rev1",
        "aterkallad_utskrivningsklar",
        revoked_at="2026-11-24T09:00:00+01:00",
        sent_at="2026-11-24T09:05:00+01:00",
    ),
    message("r2", "utskrivningsklar", ready_at="2026-11-26T10:00:00+01:00", sent_at="2026-11-26T10:05:00+01:00"),
    message("x-r2", "makulering", cancels_message_id="r2", sent_at="2026-11-26T12:00:00+01:00"),
    message("r3", "utskrivningsklar", ready_at="2026-11-27T13:00:00+01:00", sent_at="2026-11-27T13:05:00+01:00"),
    message("x-rev1", "makulering", cancels_message_id="rev1", sent_at="2026-11-28T08:00:00+01:00"),
    message(
        "dis", "utskrivningsmeddelande", discharged_at="2026-12-05T11:00:00+01:00", sent_at="2026-12-05T11:05:00+01:00"
    ),
]
GRANT_AFTER = 6  # the officer decides once six of the hospital's messages are in (before discharge)


# --- the producer: referral's domain and codec, numbered as the outbox numbers them -----------


@dataclass(frozen=True)
class WireEvent:
    """One wire event with its envelope: CloudEvents id, aggregate sequence, save time."""

    event: IntegrationEvent
    event_id: str
    sequence: int
    time: datetime
    source: str = SOURCE

    def record(self) -> tuple[str, bytes, bytes | None, dict[str, str]]:
        meta = EventMeta(
            id=self.event_id,
            type=self.event.EVENT_TYPE,
            source=self.source,
            subject=CASE_ID,
            time=self.time,
            sequence=self.sequence,
        )
        rec = encode(meta, self.event.model_dump(mode="json"))
        return self.event.TOPIC, rec.value, rec.key, {k: v.decode() for k, v in rec.headers.items()}


@dataclass(frozen=True)
class Delivery:
    """One delivery of a wire event (a repeat is the same event, same id, delivered again)."""

    wire: WireEvent


def _officer(case: Case, step: str) -> datetime:
    if step == "grant":
        at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
        draft = Decision(
            decision_id="d1",
            decision_type=DecisionType.TRYGG_HEMGANG,
            granted_by="officer:anna",
            granted_at=at,
            start_date=date(2026, 12, 5),
            length_days=7,
            team=TEAM,
            relatives=(
                Relative(
                    "rel-1", "Karin Lindqvist", phone="+46701740611", consent=Consent("officer:anna", at - timedelta(1))
                ),
                Relative("rel-2", "Per Lindqvist", phone="+46701740612"),  # no consent: never leaves referral
            ),
        )
        case.grant_decision(grant(draft, PROFILE), AGREEMENTS)
        return at
    if step == "extend":
        at = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
        case.change_decision("d1", profile=PROFILE, officer="officer:anna", now=at, length_days=10)
        return at
    at = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    case.end_decision("d1", end_date=date(2026, 12, 11), reason=EndReason.ENDED_EARLY, by="officer:anna", now=at)
    return at


def _event_id(earlier: list[WireEvent], wire: IntegrationEvent) -> str:
    """A stable id: the same fact gets the same id in every history (so that ids a consumer
    keeps, e.g. as the source of a consent entry, compare equal across arrival orders); a fact
    repeated within one history is a new event with a new id, as referral's outbox gives it."""
    content = json.dumps(wire.model_dump(mode="json"), sort_keys=True)
    nth = sum(1 for e in earlier if e.event == wire)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wire.EVENT_TYPE}/{content}/{nth}"))


def history(arrivals: Sequence[HospitalMessage]) -> list[WireEvent]:
    """The wire events of a case that got `arrivals` (in that order) and the officer's decision.

    Each receipt or officer action is one save; each save numbers its wire events after the
    aggregate's last sequence (as `MongoAggregateStore.save` does) and stamps them with its time.
    """
    case = Case(case_id=CASE_ID, person_ref=PERSON_REF, episode_id="TC-2026-004711", region_code="01")
    steps: list[HospitalMessage | str] = list(arrivals)
    steps[GRANT_AFTER:GRANT_AFTER] = ["grant"]
    steps += ["extend", "end"]
    out: list[WireEvent] = []
    saved_at = SAVED_FROM
    for step in steps:
        if isinstance(step, str):
            at = _officer(case, step)
        else:
            case.receive(step, AGREEMENTS, person_ref=PERSON_REF)
            at = step.sent_at  # a message is received (and saved) no earlier than it was sent
        saved_at = max(saved_at + timedelta(minutes=1), at)
        _save(out, case, saved_at)
        # Referral's counting loop, between two saves: a running clock's count, when a day became liable.
        if case.count_liability(AGREEMENTS, saved_at + timedelta(seconds=30)):
            _save(out, case, saved_at + timedelta(seconds=30))
    return out


def _save(out: list[WireEvent], case: Case, saved_at: datetime) -> None:
    for domain_event in case.take_events():
        for wire in to_wire(domain_event):
            out.append(WireEvent(wire, _event_id(out, wire), len(out) + 1, saved_at))


def published_count(events: Sequence[WireEvent]) -> tuple[tuple[str, int, int], ...] | None:
    """Referral's count in the newest (highest-sequence) of `events` that carries one: (month, days, öre)."""
    counts = [e for e in events if getattr(e.event, "liable_months", None) is not None]
    if not counts:
        return None
    newest = max(counts, key=lambda e: e.sequence).event
    return tuple((m.month, m.days, m.amount_sek * 100) for m in newest.liable_months)


def canonical_history() -> list[WireEvent]:
    return history(sorted(MESSAGES, key=lambda m: m.order_key))


# --- scheduling's period of the granted decision (for notification) -------------------------------

PERIOD_SOURCE = "urn:trygghemgang:scheduling"
# Notification's clock for the period's events: the day after the grant, before the first visit.
DURING_THE_PERIOD = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def period_history() -> list[WireEvent]:
    """Scheduling's events of the period the grant planned, as its outbox numbers them: the
    homecoming visit, a daily visit (not told to relatives), the follow-up meeting, the early end."""
    common: dict[str, Any] = {"case_id": CASE_ID, "person_ref": PERSON_REF, "period_id": "per-1", "team_id": TEAM}

    def visit(visit_id: str, kind: s.VisitKind, start: datetime, location: s.VisitLocation) -> s.VisitScheduled:
        return s.VisitScheduled(
            **common,
            visit_id=visit_id,
            kind=kind,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            location=location,
        )

    events: list[IntegrationEvent] = [
        visit("v-home", s.VisitKind.HOMECOMING, datetime(2026, 12, 5, 9, 0, tzinfo=UTC), s.VisitLocation.HOME),
        visit("v-daily", s.VisitKind.DAILY, datetime(2026, 12, 6, 9, 0, tzinfo=UTC), s.VisitLocation.HOME),
        visit("v-meet", s.VisitKind.FOLLOW_UP_MEETING, datetime(2026, 12, 9, 13, 0, tzinfo=UTC), s.VisitLocation.PHONE),
        s.PeriodEnded(
            **common,
            decision_id="d1",
            period_kind=s.PeriodKind.DAYS,
            start_date=date(2026, 12, 5),
            planned_end_date=date(2026, 12, 14),
            ended_on=date(2026, 12, 11),
            reason=s.PeriodEndReason.ENDED_EARLY,
            visits_completed=0,
            visits_missed=0,
            visits_cancelled=0,
            distinct_staff=0,
            contact_person_visits=0,
            visit_minutes=0,
            follow_up_call_planned=False,
            ended_at=datetime(2026, 12, 11, 15, 1, tzinfo=UTC),
        ),
    ]
    out: list[WireEvent] = []
    for n, event in enumerate(events, start=1):
        out.append(
            WireEvent(event, _event_id(out, event), n, SAVED_FROM + timedelta(days=14, minutes=n), PERIOD_SOURCE)
        )
    return out


def delivered_in_order(events: Sequence[WireEvent]) -> list[Delivery]:
    return [Delivery(e) for e in events]


def with_repeats(rng: random.Random, delivery: list[Delivery], *, every: bool = False) -> list[Delivery]:
    """Redeliveries (same id) after the original: every one, or a few at random places."""
    out = list(delivery)
    repeats = list(delivery) if every else rng.sample(delivery, k=min(4, len(delivery)))
    for d in repeats:
        first = out.index(d)
        out.insert(rng.randint(first + 1, len(out)), d)
    return out


# --- the consumers -------------------------------------------------------------------------------


@dataclass
class Wired:
    """One freshly bootstrapped consumer service: its broker, its consumers, and how to read it."""

    broker: KafkaBroker
    consumers: Sequence[EventConsumer]
    state: Callable[[], Awaitable[Any]]
    prepare: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Consumer:
    name: str
    wire: Callable[[], Wired]

    def __repr__(self) -> str:
        return self.name


def _scheduling() -> Wired:
    from scheduling_support import Harness

    from scheduling.config import Settings

    h = Harness(NOW, settings=Settings(kafka=KAFKA))

    async def state() -> dict[str, Any]:
        loaded = await h.plans.load(CASE_ID)
        team = await h.teams.load(TEAM)
        return {
            "plan": loaded.state if loaded else None,
            # The team's side of the case: its place in the booking and the waiting list.
            "team": team.state if team else None,
        }

    return Wired(h.scheduling.runtime.infra.broker, h.scheduling.runtime.consumers, state, prepare=h.seed)


def _notification(now: datetime = NOW) -> Wired:
    from notification_support import FakeProvider, FixedClock, make_settings

    from notification.bootstrap import bootstrap, memory_backend
    from notification.domain.casefile import WatchState

    clock = FixedClock(now)
    backend = memory_backend(clock)
    n = bootstrap(
        make_settings(kafka=KAFKA),
        backend=backend,
        provider=FakeProvider(),
        clock=clock,
        guard_factory=lambda _group: MemoryGuard(),
    )

    async def state() -> dict[str, Any]:
        case = await backend.cases.load(CASE_ID)
        messages = backend.messages.states  # type: ignore[attr-defined]
        alerts = backend.alerts.states  # type: ignore[attr-defined]
        file = case.state if case else None
        watch = file.watch if file else None
        if file is not None:
            # A watch that is no longer armed never fires and is replaced by the next ready
            # notice: which notice it last held is not kept, only that it is off.
            file = replace(file, watch=None)
            if hasattr(file, "relatives_sequence"):
                # Where the relatives' list stood in referral's stream: a position, not a fact
                # (another arrival order numbers the same list differently).
                file = replace(file, relatives_sequence=0)
        return {
            "case": file,  # consent (and its log), the decision, the period, closed or not
            "watch": (watch.state, watch.alert_at if watch.state is WatchState.ARMED else None) if watch else None,
            "messages": {k: v[0] for k, v in messages.items()},  # what relatives are to be told
            "alerts": {k: v[0] for k, v in alerts.items()},  # what on-call staff are alerted about
        }

    return Wired(n.runtime.infra.broker, n.runtime.consumers, state)


def _billing() -> Wired:
    from billing_support import FixedClock

    from billing.adapters.memory import MemoryStores
    from billing.bootstrap import bootstrap
    from billing.config import Settings
    from billing.service_layer.tariffs import seed_books

    stores = MemoryStores()
    b = bootstrap(Settings(kafka=KAFKA), clock=FixedClock(NOW), memory=stores)

    async def prepare() -> None:
        await seed_books(b.deps)

    async def state() -> dict[str, Any]:
        record = await stores.liabilities.load(CASE_ID)
        care = await stores.care.load(CASE_ID)
        person = await stores.persons.load(PERSON_REF)
        liability = None
        if record is not None:
            c = record.state.case
            last = max(c.periods, key=lambda p: p.ready_at, default=None)
            liability = {
                # What the stay costs, as referral computed it at discharge ...
                "discharged_at": c.discharged_at,
                "liable_days": c.liable_days,
                "amount_sek": c.amount_sek,
                "municipality_code": c.municipality_code,
                # ... the ready notice in force, and the liable days (and cost) the monthly report
                # lists: referral's count, as it sent it.
                "ready_at": last.ready_at if last else None,
                "agreement": (last.agreement_id, last.agreement_version, last.daily_price_sek) if last else None,
                "counted": tuple((str(m.month), m.days, m.amount_ore) for m in c.counted),
                "announced": record.state.announced,
            }
        return {
            "liability": liability,
            # Fee facts: the decision's terms and the case's municipality (what statements are made of).
            "decisions": dict(care.state.decisions) if care else None,
            "municipality": care.state.municipality_code if care else None,
            "billed": person.state.recipient if person else None,
        }

    return Wired(b.runtime.infra.broker, b.runtime.consumers, state, prepare=prepare)


def _console() -> Wired:
    from console.adapters.memory import MemoryChangeLog, MemoryReadModel, memory_stores
    from console.entrypoints.subscribers import Subscribers, consumers
    from console.service_layer.projections import ChangeFeed
    from trygg_shared.clock import SystemClock

    broker = KafkaBroker()
    stores = memory_stores()
    feed = ChangeFeed(MemoryChangeLog(), SystemClock())
    subscribed = consumers(broker, Subscribers(stores, feed), lambda _group: MemoryGuard(), KAFKA)
    read_model = MemoryReadModel(stores)

    async def state() -> dict[str, Any]:
        found = await read_model.case(CASE_ID)
        return {"case": found[0] if found else None}  # the case as the board and case page show it

    return Wired(broker, subscribed, state)


NOTIFICATION_DURING_THE_PERIOD = Consumer("notification", lambda: _notification(DURING_THE_PERIOD))

CONSUMERS = (
    Consumer("scheduling", _scheduling),
    Consumer("notification", _notification),
    Consumer("billing", _billing),
    Consumer("console", _console),
)


async def _run(consumer: Consumer, delivery: Sequence[Delivery]) -> Any:
    wired = consumer.wire()
    if wired.prepare is not None:
        await wired.prepare()
    async with TestKafkaBroker(wired.broker):
        for d in delivery:
            topic, value, key, headers = d.wire.record()
            await wired.broker.publish(value, topic=topic, key=key, headers=headers)
    return await wired.state()


def run(consumer: Consumer, delivery: Sequence[Delivery]) -> Any:
    """A fresh consumer service gets `delivery` through its real subscribers; what it then holds."""
    return asyncio.run(_run(consumer, delivery))


def kept_by_chassis(consumer: Consumer, delivery: Sequence[Delivery]) -> list[WireEvent]:
    """The events the chassis hands to a handler, first delivery only, in delivery order.

    The chassis' rule (trygg_shared.kafka.EventConsumer): a repeated id is dropped; an event
    numbered at or below the last one handled on its topic is dropped when its `Handles` says
    `on_stale="skip"`, and handled (without moving the position) when it says "apply".
    """
    handles: dict[tuple[str, str], Any] = {}
    for c in consumer.wire().consumers:
        for event_type, declared in c._handlers.items():  # the consumer's own declaration
            handles[(c.topic, event_type)] = declared
    seen: set[str] = set()
    position: dict[str, int] = {}
    kept: list[WireEvent] = []
    for d in delivery:
        e = d.wire
        h = handles.get((e.event.TOPIC, e.event.EVENT_TYPE))
        if h is None or e.event_id in seen:
            continue
        seen.add(e.event_id)
        last = position.get(e.event.TOPIC, 0)
        if e.sequence <= last:
            if h.on_stale == "skip":
                continue
        else:
            position[e.event.TOPIC] = e.sequence
        kept.append(e)
    return kept
