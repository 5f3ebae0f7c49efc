"""Test support shipped with the package: a fixed event stream built from the real contracts,
replayed through the console's real subscribers, and the HTTP app on in-memory adapters.

`march_2026()` is the stream the read-model tests check every figure against (the hand
computation is in `services/console/tests/unit/test_figures.py`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker

from console.adapters.memory import (
    MemoryAuditLog,
    MemoryChangeLog,
    MemoryReadModel,
    MemorySessionStore,
    RecordingNotifications,
    StandInBilling,
    memory_stores,
)
from console.adapters.ops_memory import MemoryDeadLetters, RecordingRepublisher, StaticProbe
from console.bootstrap import bootstrap
from console.config import CostSettings, Settings
from console.domain.access import Role
from console.entrypoints.subscribers import STREAMS, Subscribers
from console.main import http_app
from console.service_layer import pages
from console.service_layer.ops import OpsDeps
from console.service_layer.ports import Billing
from console.service_layer.projections import ChangeFeed, Stores
from trygg_shared.clock import FixedClock, SystemClock
from trygg_shared.contracts import billing as bl
from trygg_shared.contracts import notification as nt
from trygg_shared.contracts import referral as rf
from trygg_shared.contracts import scheduling as sc
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import Handles
from trygg_shared.testing import publish_record
from trygg_shared.tokens import ApiToken, local_dev_tokens


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Stream:
    """Events with their envelope: ids, times and per-aggregate sequence numbers as producers give them."""

    items: list[tuple[IntegrationEvent, EventMeta]] = field(default_factory=list)
    _seq: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, event: IntegrationEvent, at: datetime, *, source: str | None = None) -> IntegrationEvent:
        service = source or event.EVENT_TYPE.split(".")[2]
        src = f"urn:trygghemgang:{service}"
        subject = event.partition_key()
        seq = self._seq.get((src, subject), 0) + 1
        self._seq[(src, subject)] = seq
        meta = EventMeta(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{src}/{subject}/{seq}")),
            type=event.EVENT_TYPE,
            source=src,
            subject=subject,
            time=at,
            sequence=seq,
        )
        self.items.append((event, meta))
        return event


def memory_feed() -> ChangeFeed:
    """A change feed on its own in-memory log (one replica)."""
    return ChangeFeed(MemoryChangeLog(), SystemClock())


def handlers(subscribers: Subscribers) -> dict[str, Handles[Any]]:
    """Every event type the console handles, with its real handler."""
    return {h.contract.EVENT_TYPE: h for stream in STREAMS for h in stream.handles(subscribers)}


async def replay(
    stores: Stores, items: Iterable[tuple[IntegrationEvent, EventMeta]], feed: ChangeFeed | None = None
) -> None:
    """Hand each event to its subscriber, as the consumer chassis would (unknown types ignored)."""
    table = handlers(Subscribers(stores, feed or memory_feed()))
    for event, meta in items:
        handles = table.get(meta.type)
        if handles is not None:
            await handles.handler(event, meta)


# --- the fixed stream --------------------------------------------------------------------------

TEAM = "vast"
TEAM_NAME = "Team Väst"
UNIT = rf.CareUnit(hsa_id="SE2321000016-ABCD", name="Geriatriska kliniken avd 61")


def _rating(moment: str, vas: int, levels: Sequence[int]) -> sc.SelfRating:
    m, s, u, p, a = levels
    return sc.SelfRating(
        moment=sc.SelfRatingMoment(moment),
        mobility=m,
        self_care=s,
        usual_activities=u,
        pain_discomfort=p,
        anxiety_depression=a,
        vas=vas,
        worry=2,
        safety=4,
    )


@dataclass
class _Case:
    stream: Stream
    case_id: str
    person_ref: str

    @property
    def ids(self) -> dict[str, Any]:
        return dict(case_id=self.case_id, person_ref=self.person_ref)

    def stay_ids(self) -> dict[str, Any]:
        """What the hospital's admission and ready notices say about the stay."""
        return dict(**self.ids, episode_id=f"EP-{self.case_id}", care_unit=UNIT, care_type=rf.CareType.SOMATIC)

    def period_ids(self) -> dict[str, Any]:
        return dict(
            **self.ids,
            period_id=f"P-{self.case_id}",
            team_id=TEAM,
            decision_id=f"D-{self.case_id}",
            period_kind=sc.PeriodKind.DAYS,
        )

    def admit(self, at: datetime, *, expected: date, readmission_of: str | None = None) -> None:
        self.stream.add(
            rf.AdmissionNoticed(
                **self.stay_ids(),
                admitted_at=at,
                expected_discharge_date=expected,
                municipality_code="0123",
                readmission_of_case_id=readmission_of,
            ),
            at,
        )

    def ready(self, at: datetime, liability: datetime) -> None:
        self.stream.add(
            rf.ReadyForDischarge(
                **self.stay_ids(),
                ready_at=at,
                liability_starts_at=liability,
                agreement_id="region-stockholm",
                agreement_version=1,
                daily_price_sek=9300,
                municipality_code="0123",
            ),
            at,
        )

    def decide(
        self, at: datetime, kind: str, *, start: date | None = None, days: int | None = None, team: str | None = None
    ) -> str:
        decision_id = f"D-{self.case_id}"
        end = date.fromordinal(start.toordinal() + days - 1) if start and days else None
        self.stream.add(
            rf.DecisionGranted(
                **self.ids,
                decision_id=decision_id,
                decision_type=rf.DecisionType(kind),
                start_date=start,
                length_days=days,
                end_date=end,
                team=team,
                granted_by="officer:dev",
                granted_at=at,
            ),
            at,
        )
        if kind in ("trygg_hemgang", "hemgangsbeslut", "hemtjanst_only", "short_term_stay"):  # grants a service
            self.stream.add(
                rf.PersonContactRegistered(
                    **self.ids,
                    decision_id=decision_id,
                    decision_type=rf.DecisionType(kind),
                    person=rf.PersonContact(
                        given_name="Test",
                        family_name=f"Person {self.case_id}",
                        address=rf.Address(street=f"Gatan {self.case_id}", postal_code="17741", city="Järfälla"),
                        phone="+46701234567",
                    ),
                    registered_at=at,
                ),
                at,
            )
        return decision_id

    def discharge(self, at: datetime, liable_days: int) -> None:
        self.stream.add(
            rf.Discharged(
                **self.ids,
                discharged_at=at,
                destination=rf.Destination.HOME,
                liable_days=liable_days,
                daily_price_sek=9300,
            ),
            at,
        )

    def plan(self, at: datetime, start: date, end: date, contact: str, visits: int) -> None:
        self.stream.add(
            sc.PeriodPlanned(
                **self.period_ids(),
                start_date=start,
                end_date=end,
                contact_person_id=contact,
                visits_planned=visits,
                status=sc.PeriodStatus.PLANNED,
                hemtjanst_cover_ordered=True,
                planned_at=at,
            ),
            at,
        )

    def visit(
        self,
        n: int,
        kind: str,
        start: datetime,
        staff: str,
        contact: bool,
        minutes: int,
        rating: sc.SelfRating | None = None,
    ) -> None:
        """A visit scheduled and completed as planned."""
        end = self.schedule(n, kind, start, staff, minutes, contact=contact)
        self.stream.add(
            sc.VisitCompleted(
                **self.visit_ids(n, kind),
                staff_id=staff,
                by_contact_person=contact,
                planned_start=start,
                started_at=start,
                ended_at=end,
                duration_minutes=minutes,
                self_rating=rating,
            ),
            end,
        )

    def visit_ids(self, n: int, kind: str) -> dict[str, Any]:
        return dict(
            **self.ids,
            period_id=f"P-{self.case_id}",
            team_id=TEAM,
            visit_id=f"V-{self.case_id}-{n}",
            kind=sc.VisitKind(kind),
        )

    def schedule(
        self, n: int, kind: str, start: datetime, staff: str | None, minutes: int, *, contact: bool = False
    ) -> datetime:
        """A visit scheduled the day before (a call by phone, else at home); its planned end."""
        end = datetime.fromtimestamp(start.timestamp() + minutes * 60, tz=UTC)
        self.stream.add(
            sc.VisitScheduled(
                **self.visit_ids(n, kind),
                planned_start=start,
                planned_end=end,
                location=sc.VisitLocation.PHONE if kind == "follow_up_call" else sc.VisitLocation.HOME,
                staff_id=staff,
                by_contact_person=contact,
            ),
            datetime.fromtimestamp(start.timestamp() - 86400, tz=UTC),
        )
        return end

    def end_period(self, at: datetime, start: date, ended_on: date, planned_end: date) -> None:
        self.stream.add(
            sc.PeriodEnded(
                **self.period_ids(),
                start_date=start,
                planned_end_date=planned_end,
                ended_on=ended_on,
                reason=sc.PeriodEndReason.COMPLETED,
                visits_completed=4,
                visits_missed=0,
                visits_cancelled=0,
                distinct_staff=2,
                contact_person_visits=3,
                visit_minutes=0,
                follow_up_call_planned=True,
                ended_at=at,
            ),
            at,
        )


def alert(case_id: str, team_id: str | None, alert_id: str, topic: nt.AlertTopic) -> dict[str, Any]:
    """What every event about an alert says of it (keyed by its case)."""
    return dict(stream_key=case_id, case_id=case_id, team_id=team_id, alert_id=alert_id, topic=topic)


def raise_alert(
    stream: Stream,
    case_id: str,
    team_id: str | None,
    alert_id: str,
    topic: nt.AlertTopic,
    *,
    at: datetime,
    due_at: datetime | None,
    responders: int,
) -> None:
    raised = nt.AlertRaised(
        **alert(case_id, team_id, alert_id, topic), raised_at=at, due_at=due_at, responders_on_call=responders
    )
    stream.add(raised, at)


def team_configured(
    team_id: str, name: str, members: Sequence[tuple[str, str]], *, clients_per_day: int
) -> sc.TeamConfigured:
    """A team as scheduling configures it (Järfälla's hours on Mondays); members as (staff id, name)."""
    return sc.TeamConfigured(
        team_id=team_id,
        name=name,
        phone="+46812345678",
        municipality_profile="jarfalla",
        hours=(sc.WeekdayHours(weekday=sc.Weekday.MONDAY, start="07:00", end="17:00"),),  # type: ignore[arg-type]
        works_on_holidays=True,
        clients_per_day=clients_per_day,
        new_clients_per_month=20,
        max_period_days=14,
        members=tuple(sc.TeamMember(staff_id=staff_id, display_name=m) for staff_id, m in members),
        version=1,
        configured_at=utc(2026, 1, 1),
    )


def march_2026() -> Stream:
    """Seven people, February and March 2026 (see test_figures.py for every figure by hand)."""
    s = Stream()
    members = (("a1", "Anna"), ("a2", "Bo"), ("a3", "Cecilia"))
    s.add(team_configured(TEAM, TEAM_NAME, members, clients_per_day=4), utc(2026, 1, 1))
    # E: February discharge, after liability started (1 day); period 27 Feb - 12 Mar.
    e = _Case(s, "E", "pE")
    e.admit(utc(2026, 2, 20, 8), expected=date(2026, 2, 25))
    e.ready(utc(2026, 2, 24, 8), utc(2026, 2, 26, 23))
    e.decide(utc(2026, 2, 25, 9), "trygg_hemgang", start=date(2026, 2, 27), days=14, team=TEAM_NAME)
    e.discharge(utc(2026, 2, 27, 11), 1)
    e.plan(utc(2026, 2, 25, 10), date(2026, 2, 27), date(2026, 3, 12), "a3", 14)
    e.visit(1, "homecoming", utc(2026, 2, 27, 12), "a3", True, 60)
    e.visit(2, "daily", utc(2026, 3, 2, 9), "a3", True, 30)
    e.visit(3, "daily", utc(2026, 3, 5, 9), "a2", False, 30)
    e.visit(4, "daily", utc(2026, 3, 12, 9), "a3", True, 30)
    e.end_period(utc(2026, 3, 12, 16), date(2026, 2, 27), date(2026, 3, 12), date(2026, 3, 12))
    # A: home before liability; period 5-8 March with EQ-5D first and last; follow-up call 22 March.
    a = _Case(s, "A", "pA")
    a.admit(utc(2026, 3, 2, 8), expected=date(2026, 3, 5))
    a.ready(utc(2026, 3, 3, 9), utc(2026, 3, 5, 23))
    a.decide(utc(2026, 3, 4, 10), "trygg_hemgang", start=date(2026, 3, 5), days=10, team=TEAM_NAME)
    a.plan(utc(2026, 3, 4, 11), date(2026, 3, 5), date(2026, 3, 14), "a1", 10)
    a.discharge(utc(2026, 3, 5, 12), 0)
    a.visit(1, "homecoming", utc(2026, 3, 5, 13), "a1", True, 60, _rating("first_visit", 50, (2, 2, 3, 2, 3)))
    a.visit(2, "daily", utc(2026, 3, 6, 9), "a1", True, 45)
    a.visit(3, "daily", utc(2026, 3, 7, 9), "a2", False, 30)
    a.visit(4, "daily", utc(2026, 3, 8, 9), "a1", True, 45, _rating("last_visit", 70, (1, 2, 2, 1, 2)))
    a.end_period(utc(2026, 3, 8, 16), date(2026, 3, 5), date(2026, 3, 8), date(2026, 3, 14))
    a.visit(5, "follow_up_call", utc(2026, 3, 22, 10), "a1", True, 15)
    # B: home two days into liability; period 14-17 March; readmitted 25 March (case B2); call 28 March.
    b = _Case(s, "B", "pB")
    b.admit(utc(2026, 3, 9, 7), expected=date(2026, 3, 12))
    b.ready(utc(2026, 3, 10, 8), utc(2026, 3, 12, 23))
    b.decide(utc(2026, 3, 11, 9), "trygg_hemgang", start=date(2026, 3, 14), days=7, team=TEAM_NAME)
    b.plan(utc(2026, 3, 11, 10), date(2026, 3, 14), date(2026, 3, 20), "a2", 7)
    b.discharge(utc(2026, 3, 14, 10), 2)
    b.visit(1, "homecoming", utc(2026, 3, 14, 11), "a2", True, 60, _rating("first_visit", 40, (3, 3, 3, 3, 3)))
    b.visit(2, "daily", utc(2026, 3, 15, 9), "a3", False, 30)
    b.visit(3, "daily", utc(2026, 3, 16, 9), "a1", False, 30)
    b.visit(4, "daily", utc(2026, 3, 17, 9), "a2", True, 30, _rating("last_visit", 65, (3, 3, 3, 2, 2)))
    b.end_period(utc(2026, 3, 17, 16), date(2026, 3, 14), date(2026, 3, 17), date(2026, 3, 20))
    b2 = _Case(s, "B2", "pB")
    b2.admit(utc(2026, 3, 25, 6), expected=date(2026, 3, 31), readmission_of="B")
    b.visit(5, "follow_up_call", utc(2026, 3, 28, 10), "a2", True, 15)
    # C: hemtjänst only, no team; home two days into liability.
    c = _Case(s, "C", "pC")
    c.admit(utc(2026, 3, 16, 8), expected=date(2026, 3, 18))
    c.ready(utc(2026, 3, 17, 8), utc(2026, 3, 19, 23))
    c.decide(utc(2026, 3, 18, 9), "hemtjanst_only")
    c.discharge(utc(2026, 3, 21, 9), 2)
    # D: ready, clock running, no decision yet.
    d = _Case(s, "D", "pD")
    d.admit(utc(2026, 3, 20, 8), expected=date(2026, 3, 27))
    d.ready(utc(2026, 3, 26, 8), utc(2026, 3, 28, 23))
    # F: granted, but the team is full: on the waiting list.
    f = _Case(s, "F", "pF")
    f.admit(utc(2026, 3, 24, 8), expected=date(2026, 3, 30))
    f.ready(utc(2026, 3, 26, 9), utc(2026, 3, 28, 23))
    f.decide(utc(2026, 3, 27, 9), "trygg_hemgang", start=date(2026, 4, 2), days=14, team=TEAM_NAME)
    s.add(
        sc.TeamCapacityExceeded(
            team_id=TEAM,
            case_id="F",
            person_ref="pF",
            limit=sc.CapacityLimit.CLIENTS_PER_DAY,
            capacity=4,
            on_date=date(2026, 4, 2),
            waiting_count=1,
            occurred_at=utc(2026, 3, 27, 10),
        ),
        utc(2026, 3, 27, 10),
    )
    s.add(
        sc.WaitingListChanged(
            team_id=TEAM,
            case_id="F",
            person_ref="pF",
            change=sc.WaitingListChange.ADDED,
            position=1,
            waiting_count=1,
            waiting_since=utc(2026, 3, 27, 10),
            requested_start_date=date(2026, 4, 2),
            changed_at=utc(2026, 3, 27, 10),
        ),
        utc(2026, 3, 27, 10),
    )
    # G: at home already (no hospital message); period from 26 March; on the 28th one visit done,
    # one missed and one nobody could take.
    g = _Case(s, "G", "pG")
    s.add(
        rf.CaseOpened(
            case_id="G", person_ref="pG", reason=rf.CaseOpenedReason.ALREADY_AT_HOME, municipality_code="0123"
        ),
        utc(2026, 3, 25, 9),
    )
    g.decide(utc(2026, 3, 25, 10), "trygg_hemgang", start=date(2026, 3, 26), days=14, team=TEAM_NAME)
    g.plan(utc(2026, 3, 25, 11), date(2026, 3, 26), date(2026, 4, 8), "a1", 14)
    g.visit(1, "homecoming", utc(2026, 3, 26, 9), "a1", True, 60)
    g.visit(2, "daily", utc(2026, 3, 28, 7), "a1", True, 30)
    g.schedule(3, "daily", utc(2026, 3, 28, 8), "a2", 30)
    s.add(
        sc.VisitMissed(
            **g.visit_ids(3, "daily"),
            staff_id="a2",
            planned_start=utc(2026, 3, 28, 8),
            planned_end=utc(2026, 3, 28, 8, 30),
            grace_minutes=30,
            detected_at=utc(2026, 3, 28, 8, 30),
        ),
        utc(2026, 3, 28, 8, 30),
    )
    g.schedule(4, "daily", utc(2026, 3, 28, 13), None, 30)
    # On-call alerts: (case, team, alert, topic, raised, due, responders on call).
    for case_id, team_id, alert_id, topic, at, due_at, responders in (
        ("G", TEAM, "missed:V-G-3", nt.AlertTopic.VISIT_MISSED, utc(2026, 3, 28, 8, 31), utc(2026, 3, 28, 8), 2),
        ("D", None, "liability:D", nt.AlertTopic.LIABILITY_NO_DECISION, utc(2026, 3, 28, 7), utc(2026, 3, 28, 23), 2),
        ("F", TEAM, "capacity:F", nt.AlertTopic.TEAM_AT_CAPACITY, utc(2026, 3, 27, 10, 1), None, 1),
    ):
        raise_alert(s, case_id, team_id, alert_id, topic, at=at, due_at=due_at, responders=responders)
    s.add(
        nt.AlertAcknowledged(
            **alert("F", TEAM, "capacity:F", nt.AlertTopic.TEAM_AT_CAPACITY),
            acknowledged_by="oncall:lena",
            channel=nt.AckChannel.API,
            acknowledged_at=utc(2026, 3, 27, 10, 20),
            seconds_to_acknowledge=1140,
        ),
        utc(2026, 3, 27, 10, 20),
    )
    s.add(
        nt.MessageSent(
            stream_key="A",
            case_id="A",
            team_id=TEAM,
            message_id="M-A-1",
            kind=nt.MessageKind.HOMECOMING_SCHEDULED,
            recipient_kind=nt.RecipientKind.RELATIVE,
            status=nt.DeliveryStatus.SENT,
            provider="local",
            attempts=1,
            sent_at=utc(2026, 3, 4, 12),
        ),
        utc(2026, 3, 4, 12),
    )
    return s


# --- the HTTP app on in-memory adapters ----------------------------------------------------------


class ConsoleHarness:
    """The console app with in-memory adapters (no Kafka, no Mongo), and what it recorded."""

    def __init__(
        self,
        now: datetime | None = None,
        *,
        tokens: list[ApiToken[Role]] | None = None,
        sessions: MemorySessionStore | None = None,
        billing: Billing | None = None,
    ) -> None:
        self.clock = FixedClock(now or utc(2026, 3, 28, 9))
        self.stores = memory_stores()
        self.audit = MemoryAuditLog()
        self.notifications = RecordingNotifications()
        self.billing = billing or StandInBilling()
        self.sessions = sessions or MemorySessionStore()
        self.probe = StaticProbe()
        self.dead_letters = MemoryDeadLetters()
        self.republisher = RecordingRepublisher()
        services = ("referral", "scheduling", "notification", "billing", "console")
        settings = Settings(
            costs=CostSettings(team_hour_sek=600, short_term_stay_day_sek=1500),
            api_tokens=local_dev_tokens(Role) if tokens is None else tokens,
        )
        self.console = bootstrap(
            settings,
            stores=self.stores,
            read_model=MemoryReadModel(self.stores),
            audit=self.audit,
            notifications=self.notifications,
            clock=self.clock,
            session_store=self.sessions,
            change_log=MemoryChangeLog(),
            ops=OpsDeps(self.probe, self.dead_letters, self.republisher, services),
            billing=self.billing,
        )
        self.app = http_app(self.console, lifespan_enabled=False)
        # A browser sends its page's Origin with every POST: the console's own, here.
        self.client = TestClient(
            self.app, base_url="https://testserver", follow_redirects=False, headers={"Origin": "https://testserver"}
        )

    async def replay(self, stream: Stream | Iterable[tuple[IntegrationEvent, EventMeta]]) -> None:
        items = stream.items if isinstance(stream, Stream) else stream
        await replay(self.stores, items, self.console.deps.feed)

    def login(self, role: str) -> TestClient:
        response = self.client.post("/login", data={"token": f"dev-{role}"})
        assert response.status_code == 303, response.text
        return self.client


async def publish_broken_billing_event(bootstrap: str, key: str) -> None:
    """A billing event keyed `key` that breaks its contract (negative days, fields missing): every
    consumer group of the billing topic (the console's) dead-letters it, with the reason."""
    meta = EventMeta(
        str(uuid.uuid4()), bl.LiabilityDaysAccrued.EVENT_TYPE, "urn:trygghemgang:billing", key, datetime.now(UTC)
    )
    broker = KafkaBroker(bootstrap)
    await broker.start()
    try:
        record = encode(meta, {"case_id": key, "person_ref": "p-ops", "liability_days": -1})
        await publish_record(broker, bl.LiabilityDaysAccrued.TOPIC, record)
    finally:
        await broker.stop()


# --- a hemtjänst cover order (case G of march_2026) ---------------------------------------------

WEEKDAYS_8_TO_1630 = tuple(
    sc.WeekdayHours(weekday=sc.Weekday(d), start="08:00", end="16:30")  # type: ignore[arg-type]
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
)


def _window(start: datetime, end: datetime, cause: str, holiday: str | None = None) -> sc.CoverWindow:
    reason = {"holiday": "public_holiday", "weekend": "team_day_off", "day_off": "team_day_off"}.get(
        cause, "outside_team_hours"
    )
    return sc.CoverWindow(
        start=start, end=end, reason=sc.CoverReason(reason), cause=sc.CoverCause(cause), holiday=holiday
    )


def with_cover_order(s: Stream, *, holiday: str = "Långfredagen") -> Stream:
    """Case G (period 26 March - 8 April 2026, Team Väst) gets a cover order and, later, its handover."""
    ids = dict(case_id="G", person_ref="pG", period_id="P-G", team_id=TEAM)
    windows = (
        _window(utc(2026, 3, 26, 15, 30), utc(2026, 3, 26, 21), "evening"),
        _window(utc(2026, 3, 26, 21), utc(2026, 3, 27, 6), "night"),
        _window(utc(2026, 3, 27, 23), utc(2026, 3, 29, 22), "weekend"),
        _window(utc(2026, 4, 2, 22), utc(2026, 4, 3, 22), "holiday", holiday),
    )
    s.add(
        sc.HemtjanstCoverOrdered(
            **ids,
            order_id="order-G-1",
            valid_from=utc(2026, 3, 25, 11),
            windows=windows,
            decision_orders_hemtjanst=False,
            ordered_at=utc(2026, 3, 25, 11),
            team_hours=WEEKDAYS_8_TO_1630,
            team_works_holidays=False,
        ),
        utc(2026, 3, 25, 11),
    )
    needs = sc.NeedsSummary(
        visits_completed=2,
        visits_declined=0,
        visits_missed=1,
        food=sc.SupportLevel.SOME_HELP,
        medicines=sc.SupportLevel.FULL_HELP,
        personal_care=sc.SupportLevel.INDEPENDENT,
        aids_in_use=("rollator",),
        worry_latest=2,
        worry_trend=sc.Trend.FALLING,
        suggested_visits_per_day=2,
        has_free_text_notes=False,
    )
    s.add(
        sc.HandedOverToHemtjanst(
            **ids, visit_id="V-G-9", staff_id="a1", handed_over_at=utc(2026, 3, 28, 8, 45), needs=needs
        ),
        utc(2026, 3, 28, 8, 45),
    )
    return s


def slow_figures(monkeypatch: pytest.MonkeyPatch, seconds: float = 1.0) -> None:
    """The figures take `seconds` of CPU more to compute, as a wide range over many cases does."""
    real = pages.compute

    def slow_compute(*args: Any) -> Any:
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # CPU, not a sleep: only a worker thread keeps the loop free
            pass
        return real(*args)

    monkeypatch.setattr(pages, "compute", slow_compute)


async def answered_while_figures_compute(
    client: httpx.AsyncClient,
    path: str,
    *,
    headers: dict[str, str],
    pause: float,
    params: dict[str, str] | None = None,
) -> tuple[httpx.Response, float]:
    """`GET path`'s answer while a figures request (`GET /api/figures` with `params`, started `pause`
    seconds before) is computed, and how long it took; the figures request is still running then and
    succeeds after."""
    computing = asyncio.create_task(client.get("/api/figures", params=params, headers=headers))
    await asyncio.sleep(pause)
    started = time.monotonic()
    answer = await client.get(path)
    waited = time.monotonic() - started
    assert not computing.done()
    assert (await computing).status_code == 200
    return answer, waited
