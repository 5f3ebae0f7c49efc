"""Sample domain events built from their type hints, and what each service's codec puts on the wire.

Every field gets a distinct value (strings name their field, numbers count up, enums take a
member other than the first), in two variants: `full` (every optional field set) and `empty`
(every optional field None, empty tuples). The wire output of all of them is kept in
`wire_golden.json`: the codecs' mapping (referral's, scheduling's, notification's)
and the console's `translate` (wire contracts built the same way, to facts) must give exactly those fields and values.

Regenerate (only when a contract change is intended): `.venv/bin/python -m tests.contract.wire_samples`.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from console.entrypoints import translate as console_translate
from notification.adapters.codec import AlertCodec, MessageCodec
from notification.domain import alert as nt_alert
from notification.domain import message as nt_message
from referral.adapters.codec import to_wire as referral_wire
from referral.domain import events as rf_events
from referral.domain.decision import DecisionType
from scheduling.adapters.codec import period_wire, team_wire
from scheduling.domain import checklist as sc_checklist
from scheduling.domain import events as sc_events
from trygg_shared.contracts.base import IntegrationEvent

GOLDEN = Path(__file__).with_name("wire_golden.json")


class _Builder:
    def __init__(self, full: bool) -> None:
        self.full = full
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def build(self, cls: type[Any]) -> Any:
        hints = get_type_hints(cls)
        kwargs = {f.name: self.value(hints[f.name], f.name) for f in dataclasses.fields(cls) if f.init}
        return cls(**kwargs)

    def value(self, hint: Any, name: str) -> Any:
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            options = [a for a in get_args(hint) if a is not type(None)]
            return self.value(options[0], name) if self.full else None
        if origin is tuple:
            args = get_args(hint)
            if args and args[-1] is Ellipsis:
                return tuple(self.value(args[0], name) for _ in range(2 if self.full else 0))
            return tuple(self.value(a, name) for a in args)
        n = self._next()
        if hint is str and name == "month":  # "YYYY-MM" on the wire
            return f"2026-{n % 12 + 1:02d}"
        if hint is bool:
            return n % 2 == 0
        if hint is int:
            return n % 5 + 1  # within every 1..5 scale on the wire
        if hint is float:
            return n + 0.25
        if hint is str:
            return f"{name}-{n}"
        if hint is datetime:
            return datetime(2026, 11, 2, 6, tzinfo=UTC) + timedelta(hours=n, minutes=n)
        if hint is date:
            return date(2026, 11, 2) + timedelta(days=n)
        if hint is time:
            return time(n % 24, 15)
        if isinstance(hint, type) and issubclass(hint, Enum):
            members = list(hint)
            return members[-1] if self.full else members[1 % len(members)]
        if dataclasses.is_dataclass(hint):
            return self.build(hint)  # type: ignore[arg-type]
        raise TypeError(f"no sample for {hint!r} ({name})")


class _ContractBuilder(_Builder):
    """The same values for a wire contract (pydantic), from its fields' annotations."""

    def build(self, cls: type[Any]) -> Any:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return super().build(cls)
        return cls(**{name: self.value(info.annotation, name) for name, info in cls.model_fields.items()})

    def value(self, hint: Any, name: str) -> Any:
        if get_origin(hint) is Annotated:
            return self.value(get_args(hint)[0], name)
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return self.build(hint)
        if hint is float and name.endswith("_share"):  # a share, 0..1
            return self._next() % 4 / 4
        return super().value(hint, name)


def _events(module: types.ModuleType, names: tuple[str, ...]) -> Iterator[type[Any]]:
    for name in names:
        yield getattr(module, name)


SCHEDULING_PERIOD = (
    "PeriodPlanned",
    "PeriodChanged",
    "VisitScheduled",
    "VisitRescheduled",
    "VisitReassigned",
    "VisitCancelled",
    "VisitStarted",
    "VisitCompleted",
    "VisitMissed",
    "FollowUpDue",
    "HemtjanstCoverOrdered",
    "HandedOverToHemtjanst",
    "PeriodEnded",
)
SCHEDULING_CHECKLIST = ("ChecklistChanged", "ChecklistOverdue")
SCHEDULING_TEAM = ("TeamConfigured", "TeamCapacityExceeded", "WaitingListChanged", "DayReplanned")
REFERRAL = (
    "AdmissionNoticed",
    "PlanningInformationReceived",
    "ReadyForDischarge",
    "ReadyRevoked",
    "Discharged",
    "MessageCancelled",
    "LiabilityDaysCounted",
    "CaseOpened",
    "DecisionGranted",
    "DecisionChanged",
    "DecisionEnded",
    "SmsCapReached",
    "SipStatusChanged",
    "SipDeadlineLapsed",
)
NOTIFICATION_MESSAGE = ("MessageAccepted", "MessageStatusReported", "MessageFailed", "MessageCancelled")
NOTIFICATION_ALERT = ("AlertRaised", "AlertAcknowledged", "AlertEscalated", "AlertResolved")


def _cases() -> Iterator[tuple[str, type[Any], Callable[[Any], list[IntegrationEvent]]]]:
    def one(found: IntegrationEvent | None) -> list[IntegrationEvent]:
        return [] if found is None else [found]

    for cls in _events(rf_events, REFERRAL):
        yield "referral", cls, referral_wire
    for cls in _events(sc_events, SCHEDULING_PERIOD):
        yield "scheduling", cls, lambda e: one(period_wire("case-1", e))
    for cls in _events(sc_checklist, SCHEDULING_CHECKLIST):
        yield "scheduling", cls, lambda e: one(period_wire("case-1", e))
    for cls in _events(sc_events, SCHEDULING_TEAM):
        yield "scheduling", cls, lambda e: one(team_wire(e))
    messages, alerts = MessageCodec(), AlertCodec()
    for cls in _events(nt_message, NOTIFICATION_MESSAGE):
        yield "notification", cls, lambda e: list(messages.to_wire("message-1", e))
    for cls in _events(nt_alert, NOTIFICATION_ALERT):
        yield "notification", cls, lambda e: list(alerts.to_wire("alert-1", e))


def _sample(cls: type[Any], full: bool) -> Any:
    sample = _Builder(full).build(cls)
    if cls is rf_events.DecisionGranted and full:  # a grant of a service: the person's contact and subject too
        decision = dataclasses.replace(sample.decision, decision_type=DecisionType.TRYGG_HEMGANG)
        sample = dataclasses.replace(sample, decision=decision)
    if cls is rf_events.DecisionChanged:  # change kinds are the wire's words; relatives changed sends them again
        sample = dataclasses.replace(sample, changes=("extended", "relatives_changed") if full else ("shortened",))
    if cls is nt_alert.AlertResolved:  # a free string in the domain, an enum on the wire
        sample = dataclasses.replace(sample, reason="decision_granted")
    if cls is nt_alert.AlertAcknowledged:  # acknowledged 95 s after it was raised
        sample = dataclasses.replace(sample, raised_at=sample.at - timedelta(seconds=95))
    if cls is nt_message.MessageStatusReported:  # only sent/delivered reports go on the wire
        sample = dataclasses.replace(sample, status=nt_message.DeliveryStatus.DELIVERED)
    return sample


def wire_output() -> dict[str, list[dict[str, Any]]]:
    """Each sample's wire events (type and JSON body), keyed `service.Event.variant`."""
    out: dict[str, list[dict[str, Any]]] = {}
    for service, cls, codec in _cases():
        for variant in ("full", "empty"):
            events = codec(_sample(cls, variant == "full"))
            out[f"{service}.{cls.__name__}.{variant}"] = [
                {"type": w.EVENT_TYPE, "body": w.model_dump(mode="json")} for w in events
            ]
    return out


def console_facts() -> dict[str, Any]:
    """The console's fact for each sample wire event it reads (`translate`), keyed `console.fn.variant`."""
    out: dict[str, Any] = {}
    for name, fn in sorted(vars(console_translate).items()):
        if not callable(fn) or getattr(fn, "__module__", None) != console_translate.__name__ or name.startswith("_"):
            continue
        hints = get_type_hints(fn)
        for variant in ("full", "empty"):
            event = _ContractBuilder(variant == "full").build(hints["e"])
            extra = {"at": datetime(2026, 11, 30, 12, tzinfo=UTC)} if "at" in hints else {}
            fact = fn(event, **extra)
            body = json.loads(json.dumps(dataclasses.asdict(fact), default=str))
            assert not _enums_in(dataclasses.asdict(fact)), f"{name}: facts hold plain strings, not enums"
            out[f"console.{name}.{variant}"] = [{"type": type(fact).__name__, "body": body}]
    # A report of anything but sent/delivered stays inside notification (the failure has its own event).
    failed = dataclasses.replace(
        _sample(nt_message.MessageStatusReported, True), status=nt_message.DeliveryStatus.FAILED
    )
    out["notification.MessageStatusReported.failed"] = [
        {"type": w.EVENT_TYPE, "body": w.model_dump(mode="json")} for w in MessageCodec().to_wire("message-1", failed)
    ]
    return out


def _enums_in(value: Any) -> bool:
    if isinstance(value, Enum):
        return True
    if isinstance(value, dict):
        return any(_enums_in(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_enums_in(v) for v in value)
    return False


def golden_output() -> dict[str, Any]:
    """All of it: the producers' wire events and the console's facts."""
    return {**wire_output(), **console_facts()}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(golden_output(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")
