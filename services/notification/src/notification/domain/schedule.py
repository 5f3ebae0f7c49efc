"""The relatives' message schedule: what each relative with consent is told, and when (pure rules).

1. **The start.** One text per decision: Trygg hemgång starts (its first day) and when the team
   meets the person at home. It goes as soon as the homecoming visit's time is known (scheduling
   plans it right after the decision, on another topic); it waits for it at most `gather` after
   notification read the decision (10 minutes by default), then goes without a time (the team
   full, the person on the waiting list, scheduling down). Until it goes, a newer time replaces it.
2. **The homecoming time** set after the start went without it: one text. Moved after the relative
   heard a time: one "new time" text per change; a move back to the time last heard, or a move
   before anything went, is no change.
3. **The follow-up meeting and the joint handover visit**: a reminder at `reminder_time` (18:00 local)
   `days_before` (1) the visit, not at the decision. A visit (or a relative) first known after that
   moment is told at once. Moved before its reminder went: the reminder moves with it, nothing goes
   now. Moved after: a "new time" text at once, plus a reminder for the new time if its moment is on
   a later day than today. Cancelled, or the decision ended: its texts still waiting are withdrawn.
4. **Hemtjänst has taken over**: one text with whom to call. **The end**: one text, unless the
   handover was told (it already says who helps from now on).

Nothing else goes to a relative. Each text is one message per (cause, relative); a cause carries
the visit time it gives, so a repeated event queues nothing, and `tell` again is a no-op. Quiet
hours, the daily cap and consent (checked right before each send) apply to every text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notification.domain.casefile import Notice
from notification.domain.templates import MeetingPlace, MessageKind

VISIT_KINDS = frozenset({MessageKind.HOMECOMING_SCHEDULED, MessageKind.FOLLOW_UP_MEETING, MessageKind.HANDOVER_VISIT})


@dataclass(frozen=True)
class Rules:
    """When texts go (`NOTIFICATION_START_TEXT_WAIT_SECONDS`, `..._REMINDER_TIME`, `..._REMINDER_DAYS_BEFORE`)."""

    timezone: ZoneInfo
    gather: timedelta = timedelta(minutes=10)
    reminder_time: time = time(18, 0)
    days_before: int = 1

    def reminder_at(self, visit_at: datetime) -> datetime:
        day = visit_at.astimezone(self.timezone).date() - timedelta(days=self.days_before)
        return datetime.combine(day, self.reminder_time, tzinfo=self.timezone)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()


@dataclass(frozen=True)
class Said:
    """One relative's message as it stands: its topic, the visit time it gives, whether it went."""

    message_id: str
    topic: str
    announces: datetime | None
    created_at: datetime
    went: bool  # with the provider, or being sent: the relative has it (or is told it failed)
    waiting: bool  # queued: may still be withdrawn or replaced


@dataclass(frozen=True)
class Text:
    """A text one relative is to get: what, why (`cause`), on which topic, and when."""

    kind: MessageKind
    cause: str
    topic: str
    at: datetime | None = None  # the visit time it gives (UTC)
    day: date | None = None  # the start's, the handover's or the end's day
    place: MeetingPlace | None = None
    new_time: bool = False  # a visit the relative heard of at another time
    send_at: datetime | None = None  # a reminder's moment; None: now


@dataclass(frozen=True)
class Decision:
    decision_id: str
    first_day: date
    read_at: datetime  # when notification read the decision: the start text waits for the homecoming from then


def start_topic(decision_id: str) -> str:
    return f"start:{decision_id}"


def reminder_topic(visit_key: str) -> str:
    return f"remind:{visit_key}"


def visit_topics(visit_key: str) -> tuple[str, str]:
    """The topics of one visit's texts: the time given or changed, and the reminder."""
    return visit_key, reminder_topic(visit_key)


def _ts(at: datetime) -> int:
    return int(at.timestamp())


def _last_heard(said: Iterable[Said], topics: Iterable[str]) -> Said | None:
    went = [s for s in said if s.went and s.topic in set(topics)]
    return max(went, key=lambda s: (s.created_at, s.message_id), default=None)


def schedule(
    decision: Decision, notices: Sequence[Notice], said: Sequence[Said], now: datetime, rules: Rules
) -> list[Text]:
    """Every text one relative is to have now, given what was said to them (`said`) and what is planned.

    A text already queued or sent is in the answer again (its cause is the same): the caller queues
    what is missing and withdraws what waits on these texts' topics but is no longer in the answer.
    """
    ahead = [n for n in notices if n.at is None or n.at > now]
    homecoming = min(
        (n for n in ahead if n.kind is MessageKind.HOMECOMING_SCHEDULED and n.at is not None),
        key=lambda n: n.at or now,
        default=None,
    )
    handed_over = any(n.kind is MessageKind.HANDED_OVER for n in notices)
    texts = _start(decision, homecoming, said, now, rules)
    for notice in sorted(ahead, key=lambda n: (n.at or datetime.max.replace(tzinfo=now.tzinfo), n.key)):
        if notice.kind is MessageKind.HOMECOMING_SCHEDULED:
            texts += _homecoming(decision, notice, said) if notice is homecoming else []
        elif notice.kind in VISIT_KINDS:
            texts += _meeting(notice, said, now, rules)
        elif notice.kind is MessageKind.HANDED_OVER or (notice.kind is MessageKind.PERIOD_ENDED and not handed_over):
            texts.append(Text(notice.kind, notice.cause, notice.key, day=notice.day))
    return texts


def _start(
    decision: Decision, homecoming: Notice | None, said: Sequence[Said], now: datetime, rules: Rules
) -> list[Text]:
    topic = start_topic(decision.decision_id)
    if any(s.went for s in said if s.topic == topic):
        return []  # told: the homecoming time follows on its own (`_homecoming`)
    at = homecoming.at if homecoming is not None else None
    cause = f"decision:{decision.decision_id}:started" + (f":{_ts(at)}" if at is not None else "")
    release = decision.read_at + rules.gather  # without the homecoming time: waits for it until then
    return [
        Text(
            MessageKind.SERVICE_STARTED,
            cause,
            topic,
            at=at,
            day=decision.first_day,
            send_at=release if at is None and release > now else None,
        )
    ]


def _homecoming(decision: Decision, notice: Notice, said: Sequence[Said]) -> list[Text]:
    assert notice.at is not None
    topic = start_topic(decision.decision_id)
    if not any(s.went for s in said if s.topic == topic):
        return []  # the start text, still waiting, gives the time
    heard = _last_heard(said, (topic, notice.key))
    if heard is not None and heard.announces == notice.at:
        return []
    changed = heard is not None and heard.announces is not None
    kind = MessageKind.HOMECOMING_CHANGED if changed else MessageKind.HOMECOMING_SCHEDULED
    return [Text(kind, f"{notice.key}:{_ts(notice.at)}", notice.key, at=notice.at, place=notice.place)]


def _meeting(notice: Notice, said: Sequence[Said], now: datetime, rules: Rules) -> list[Text]:
    """The follow-up meeting or the handover visit: a reminder the day before, a text when it moves."""
    assert notice.at is not None
    visit_topic, remind_topic = visit_topics(notice.key)
    heard = _last_heard(said, (visit_topic, remind_topic))
    texts = []
    changed = heard is not None and heard.announces != notice.at
    if changed:
        cause = f"{notice.key}:{_ts(notice.at)}"
        texts.append(Text(notice.kind, cause, visit_topic, at=notice.at, place=notice.place, new_time=True))
    reminded = any(s.went and s.topic == remind_topic and s.announces == notice.at for s in said)
    remind_at = rules.reminder_at(notice.at)
    told_on_reminder_day = (changed and rules.day(now) >= rules.day(remind_at)) or (
        heard is not None and heard.announces == notice.at and rules.day(heard.created_at) >= rules.day(remind_at)
    )
    if reminded or told_on_reminder_day:
        return texts
    reminder = Text(notice.kind, f"{remind_topic}:{_ts(notice.at)}", remind_topic, at=notice.at, place=notice.place)
    if remind_at > now:
        texts.append(replace(reminder, send_at=remind_at))
    elif heard is None:
        texts.append(reminder)  # first known after its reminder's moment: told now, the only notice
    return texts


def topics_of(notice: Notice) -> tuple[str, ...]:
    """The topics a notice's texts are on (what a withdrawal of the notice withdraws)."""
    if notice.kind in VISIT_KINDS:
        return visit_topics(notice.key)
    return (notice.key,)
