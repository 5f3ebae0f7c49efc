"""A case's events: the difference between its facts before and after one hospital message.

Plain domain events (`referral.domain.events`); the store's codec turns them into wire contracts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from referral.domain import events as de
from referral.domain.events import DomainEvent
from referral.domain.facts import CaseFacts, CaseStatus, PeriodEnd, ReadyPeriod, local_date
from referral.domain.messages import CareUnit, HospitalMessage, MessageType
from trygg_shared.carry import carry


def _picture(
    common: dict[str, Any], episode_id: str, municipality: str | None, facts: CaseFacts
) -> list[tuple[tuple[object, ...], DomainEvent]]:
    """The clock as events in the sender's order: each period that counts, with its revocation."""
    out: list[tuple[tuple[object, ...], DomainEvent]] = []
    for p in facts.periods:
        if p.ended_by is PeriodEnd.REPLACED:
            continue  # superseded by a later ready notice: it never counted
        ready = carry(
            de.ReadyForDischarge,
            p,
            facts,
            **common,
            episode_id=episode_id,
            care_unit=_care_unit(facts),
            municipality_code=municipality,
        )
        out.append((("ready", p.message_id), ready))
        if p.ended_by is PeriodEnd.REVOKED:
            assert p.ended_at is not None
            days = p.liable_days()
            revoked = de.ReadyRevoked(**common, revoked_at=p.ended_at, ready_at=p.ready_at, liable_days=days)
            out.append((("revoked", p.message_id, p.ended_at, days), revoked))
    return out


def _clock_events(
    common: dict[str, Any],
    episode_id: str,
    municipality: str | None,
    before: CaseFacts,
    after: CaseFacts,
    message: HospitalMessage,
) -> list[DomainEvent]:
    """Events about ready periods and discharge.

    Consumers apply a case's events in order, so what they hold is the last picture sent. When
    the new picture extends the old one (messages in order), only the new part is sent;
    otherwise the whole picture is sent again, running period last and discharge after all, so
    consumers end in the same state whatever order the hospital's messages arrived in.
    """
    old = _picture(common, episode_id, municipality, before) if before.care_unit is not None else []
    new = _picture(common, episode_id, municipality, after)
    old_keys, new_keys = [k for k, _ in old], [k for k, _ in new]
    extends = new_keys[: len(old_keys)] == old_keys
    out = [e for _, e in (new[len(old_keys) :] if extends else new)]
    run_before = _running(before)
    if run_before is not None and not new and after.discharge is None:
        # The only ready notice was withdrawn (makulering): the clock stops, nothing accrued.
        out.append(de.ReadyRevoked(**common, revoked_at=message.sent_at, ready_at=run_before.ready_at, liable_days=0))
    periods_changed = [(p.message_id, p.ended_at, p.ended_by) for p in before.periods] != [
        (p.message_id, p.ended_at, p.ended_by) for p in after.periods
    ]
    if after.discharge is not None and (after.discharge != before.discharge or periods_changed):
        out.append(
            carry(
                de.Discharged,
                after.discharge,
                **common,
                liable_days=after.liable_days,
                daily_price_sek=after.ready.daily_price_sek if after.ready else None,
            )
        )
    return out


def _running(facts: CaseFacts) -> ReadyPeriod | None:
    return facts.ready if facts.ready is not None and facts.ready.ended_at is None else None


def _care_unit(facts: CaseFacts) -> CareUnit:
    assert facts.care_unit is not None
    return facts.care_unit


def _planning_events(
    common: dict[str, Any], before: CaseFacts, after: CaseFacts, message: HospitalMessage
) -> list[DomainEvent]:
    """Planning information, when a planning message came or the planning fields changed."""
    new_planning = set(after.planning_message_ids) - set(before.planning_message_ids)
    # The admission notice's own planning fields travel in AdmissionNoticed; a ready notice may
    # also carry planning fields, and a cancellation may withdraw some.
    planning_changed = after.planning != before.planning and message.message_type in (
        MessageType.READY_FOR_DISCHARGE,
        MessageType.CANCELLATION,
    )
    if (new_planning or planning_changed) and after.status is not CaseStatus.CANCELLED:
        p = after.planning
        return [carry(de.PlanningInformationReceived, p, **common, has_needs_summary=bool(p.needs_summary))]
    return []


def diff_events(
    case_id: str,
    person_ref: str,
    episode_id: str,
    before: CaseFacts,
    after: CaseFacts,
    message: HospitalMessage,
    *,
    readmission_of_case_id: str | None = None,
    cancelled_type: MessageType | None = None,
    counted_until: datetime | None = None,
) -> list[DomainEvent]:
    """Domain events that say how the facts changed because of `message`.

    Every clock event (ready, revoked, discharged, a makulering) carries the case's liable days
    per month after it (`CaseFacts.liable_months`), a running clock counted until
    `counted_until` (when the message arrived; the message's own time when not given).
    """
    out: list[DomainEvent] = []
    municipality = after.patient.address.municipality_code if after.patient and after.patient.address else None
    common: dict[str, Any] = {"case_id": case_id, "person_ref": person_ref}

    if message.message_type is MessageType.CANCELLATION and message.cancels_message_id in (
        after.cancelled_ids - before.cancelled_ids
    ):
        out.append(
            de.MessageCancelled(
                **common,
                cancelled_message_id=message.cancels_message_id or "",
                cancelled_message_type=cancelled_type,
            )
        )

    if after.admission_message_id and after.admission_message_id != before.admission_message_id:
        out.append(
            carry(
                de.AdmissionNoticed,
                after,
                **common,
                episode_id=episode_id,
                care_unit=_care_unit(after),
                expected_discharge_date=after.planning.expected_discharge_date or local_date(message.sent_at),
                municipality_code=municipality,
                readmission_of_case_id=readmission_of_case_id,
            )
        )

    out.extend(_planning_events(common, before, after, message))
    out.extend(_clock_events(common, episode_id, municipality, before, after, message))
    until = counted_until or message.sent_at
    months = after.liable_months(until)
    running = after.discharge is None and _running(after) is not None
    stamp = until if running else None  # a stopped count is as of its ends, not of when it was made
    count: dict[str, Any] = {
        "counting_ready_at": after.counting_ready_at,
        "liable_months": months,
        "counted_until": stamp,
    }
    return [replace(e, **count) if isinstance(e, COUNTED) else e for e in out]


# The clock events, each with the case's count after it.
COUNTED = (de.ReadyForDischarge, de.ReadyRevoked, de.Discharged, de.MessageCancelled)
