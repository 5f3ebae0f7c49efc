"""On-call alerts as the console shows them, folded from the notification service's events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from console.domain.facts import AlertAcknowledged, AlertEscalated, AlertFact, AlertRaised, AlertResolved, Recorded
from console.domain.text import N_
from trygg_shared.carry import carry

# English source text (msgids): the pages show it translated.
TOPICS = {
    "liability_no_decision": N_("Payment liability soon, no decision"),
    "visit_missed": N_("Visit missed"),
    "team_at_capacity": N_("Team at capacity"),
    "readmitted_during_period": N_("Readmitted during the period"),
    "sms_failed": N_("SMS to a relative failed"),
    "sms_cap_case": N_("SMS cap reached: too many consenting relatives on one decision (refused)"),
    "sms_cap_officer_day": N_("SMS cap reached: an officer's new consents for the day are used up (refused)"),
    "homecoming_checklist_open": N_("Homecoming checklist not complete before the homecoming visit"),
    "sip_deadline_lapsed": N_("SIP invitation missing: the deadline passed"),
}


@dataclass(frozen=True)
class AlertState:
    alert_id: str
    topic: str
    case_id: str | None
    team_id: str | None
    raised_at: datetime | None
    due_at: datetime | None = None
    responders: int = 0
    level: int = 0
    exhausted: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_reason: str | None = None  # closed by itself: decision_granted, discharged, ready_revoked
    resolved_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None and self.resolved_at is None

    @property
    def unrouted(self) -> bool:
        """Open, and nobody was on call to be told (not even on the fallback rota)."""
        return self.open and self.responders == 0

    @property
    def closed_at(self) -> datetime | None:
        return self.acknowledged_at or self.resolved_at

    @property
    def title(self) -> str:
        return TOPICS.get(self.topic, self.topic.replace("_", " ").capitalize())


def fold_alert(alert_id: str, recorded: Iterable[Recorded[AlertFact]]) -> AlertState | None:
    """The alert's state; None until its raise has arrived (an acknowledgement alone is kept for later)."""
    raised: AlertRaised | None = None
    acked: AlertAcknowledged | None = None
    resolved: AlertResolved | None = None
    level, exhausted = 0, False
    for r in sorted(recorded, key=lambda r: r.order):
        f = r.fact
        if isinstance(f, AlertRaised):
            raised = raised or f
        elif isinstance(f, AlertAcknowledged):
            acked = acked or f
        elif isinstance(f, AlertResolved):
            resolved = resolved or f
        elif isinstance(f, AlertEscalated):
            level, exhausted = max(level, f.level), exhausted or f.exhausted
    if raised is None:
        return None
    return carry(
        AlertState,
        raised,
        alert_id=alert_id,
        level=level,
        exhausted=exhausted,
        acknowledged_by=acked.by if acked else None,
        acknowledged_at=acked.at if acked else None,
        # Whichever closed it first: an acknowledgement after it closed itself changes nothing.
        resolved_reason=resolved.reason if resolved and not (acked and acked.at <= resolved.at) else None,
        resolved_at=resolved.at if resolved and not (acked and acked.at <= resolved.at) else None,
    )


# --- the Alerts page's rows: who, where, what, how long ago; most urgent first ----------------------


class PersonShown(StrEnum):
    """How much of the person an alert row shows (need to know; see `access.ALERT_PERSON`)."""

    NAME = "name"
    INITIALS = "initials"


def initials(given_name: str | None, family_name: str | None) -> str | None:
    """'A. K.' for Anna Karlsson ('K.-E. S.' for Karl-Erik Svensson); None without a name."""

    def of(part: str) -> str:
        return "-".join(f"{p[0]}." for p in part.split("-") if p)

    parts = [of(p.split()[0]) for p in (given_name, family_name) if p and p.split()]
    return " ".join(parts) or None


def person_label(given_name: str | None, family_name: str | None, shown: PersonShown) -> str | None:
    """The person's name or initials; None when no name is known (names arrive with the decision)."""
    if shown is PersonShown.INITIALS:
        return initials(given_name, family_name)
    return " ".join(p for p in (given_name, family_name) if p) or None


@dataclass(frozen=True)
class AlertRow:
    """One alert as a row: what happened and when, whom it is about (as the role may see), where (the
    team, or the hospital's care unit before there is one) and the liability deadline it races."""

    alert: AlertState
    person: str | None  # name or initials; None: no person (an ops alert) or no name known yet
    person_ref: str | None  # the pseudonymous reference, when no name is known (before a decision)
    team: str | None  # the team's label
    care_unit: str | None  # the hospital ward, while the person is there
    liability_starts_at: datetime | None = None

    @property
    def where(self) -> str | None:
        return self.team or self.care_unit


LIABILITY_TOPIC, MISSED_TOPIC = "liability_no_decision", "visit_missed"


def urgency(row: AlertRow) -> tuple[int, datetime, str]:
    """Most urgent first: payment liability soonest (the least time left on the clock, already liable
    first), then missed visits, then the rest; within those two groups the oldest first."""
    a = row.alert
    raised = a.raised_at or datetime.max.replace(tzinfo=UTC)
    if a.topic == LIABILITY_TOPIC:
        return (0, row.liability_starts_at or a.due_at or raised, a.alert_id)
    return (1 if a.topic == MISSED_TOPIC else 2, raised, a.alert_id)
