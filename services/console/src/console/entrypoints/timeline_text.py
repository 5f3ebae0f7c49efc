"""The words of the case page's timeline, in the reader's language: a title and a detail per fact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.domain import facts
from console.domain.alerts import TOPICS as ALERT_TOPICS
from console.domain.checklist import ChecklistChanged
from console.domain.cover import CAUSE_WORDS
from console.domain.sip import SipChanged, SipLapsed
from console.domain.timeline import TimelineEntry
from console.entrypoints.i18n import gettext as _
from console.entrypoints.i18n import local, ngettext, number
from console.entrypoints.labels import label

Line = tuple[str, str]  # title, detail


def line(entry: TimelineEntry) -> Line:
    """The entry's title and detail (the detail may be empty)."""
    f = entry.fact
    for kind, words in _WORDS:
        if isinstance(f, kind):
            return words(f)
    return type(f).__name__, ""


def _days(n: int) -> str:
    return ngettext("%(num)s liable day", "%(num)s liable days", n) % {"num": n}


def _admission(f: facts.AdmissionNoticed) -> Line:
    detail = _("%(unit)s; expected discharge %(day)s") % {
        "unit": f.care_unit,
        "day": local(f.expected_discharge_date, "date"),
    }
    if f.readmission_of_case_id:
        detail += "; " + _("readmission within 30 days")
    return _("Admission notice (inskrivningsmeddelande)"), detail


def _planning(f: facts.PlanningReceived) -> Line:
    unit = _("named care contact: %(unit)s") % {"unit": f.fast_vardkontakt_unit} if f.fast_vardkontakt_unit else ""
    return _("Planning information (planeringsunderlag)"), unit


def _ready(f: facts.ReadyNoticed) -> Line:
    detail = _("payment liability from %(moment)s at %(price)s kr/day") % {
        "moment": local(f.liability_starts_at),
        "price": number(f.daily_price_sek),
    }
    return _("Ready for discharge (utskrivningsklar)"), detail


def _revoked(f: facts.ReadyRevoked) -> Line:
    detail = _("the payment clock stopped")
    if f.liable_days:
        detail += "; " + _days(f.liable_days)
    return _("Ready notice revoked (återkallad)"), detail


def _discharged(f: facts.Discharged) -> Line:
    where = label("destination", f.destination) if f.destination else _("unknown")
    detail = _("to %(destination)s") % {"destination": where} + "; " + _days(f.liable_days)
    return _("Discharged (utskriven)"), detail


def _cancelled(f: facts.MessageCancelled) -> Line:
    return _("Message cancelled (makulering)"), f.cancelled_message_type or ""


def _opened(f: facts.CaseOpened) -> Line:
    return _("Case opened without a hospital message"), label("case_opened", f.reason)


def _named(_f: facts.PersonNamed) -> Line:
    return _("Name and home address confirmed"), _("for the team's visits")


def _granted(f: facts.DecisionGranted) -> Line:
    parts = []
    if f.length_days and f.start_date:
        parts.append(
            ngettext("%(num)s day from %(day)s", "%(num)s days from %(day)s", f.length_days)
            % {"num": f.length_days, "day": local(f.start_date, "date")}
        )
    if f.team:
        parts.append(f.team)
    parts.append(_("by %(who)s") % {"who": f.granted_by})
    title = _("Decision (biståndsbeslut): %(type)s") % {"type": label("decision_type", f.decision_type)}
    return title, "; ".join(parts)


def _changed(f: facts.DecisionChanged) -> Line:
    return _("Decision changed"), ", ".join(label("decision_change", c) for c in f.changes)


def _ended(f: facts.DecisionEnded) -> Line:
    detail = _("%(reason)s; last day %(day)s") % {
        "reason": label("decision_end", f.reason),
        "day": local(f.end_date, "date"),
    }
    return _("Decision ended"), detail


def _planned(f: facts.PeriodPlanned) -> Line:
    parts = [
        _("%(first)s to %(last)s") % {"first": local(f.start_date, "date"), "last": local(f.end_date, "date")},
        ngettext("%(num)s visit", "%(num)s visits", f.visits_planned) % {"num": f.visits_planned},
        label("period_status", f.status),
    ]
    if f.waited_days:
        parts.append(ngettext("waited %(num)s day", "waited %(num)s days", f.waited_days) % {"num": f.waited_days})
    return _("Period planned"), "; ".join(parts)


def _period_changed(f: facts.PeriodChanged) -> Line:
    detail = _("%(change)s; now %(status)s, to %(day)s") % {
        "change": label("period_change", f.change),
        "status": label("period_status", f.status),
        "day": local(f.end_date, "date"),
    }
    return _("Period changed"), detail


def _period_ended(f: facts.PeriodEnded) -> Line:
    detail = _("%(reason)s on %(day)s") % {"reason": label("period_end", f.reason), "day": local(f.ended_on, "date")}
    done = ngettext("%(num)s visit completed", "%(num)s visits completed", f.visits_completed)
    return _("Period ended"), detail + "; " + done % {"num": f.visits_completed}


def _follow_up(f: facts.FollowUpDue) -> Line:
    title = _("Follow-up meeting due") if f.follow_up == "meeting" else _("Follow-up call due")
    return title, ""


def _cover(f: facts.HemtjanstCoverOrdered) -> Line:
    windows = ngettext("%(num)s window for hemtjänst", "%(num)s windows for hemtjänst", f.windows)
    detail = windows % {"num": f.windows}
    causes = [_(CAUSE_WORDS[c]) for c in dict.fromkeys(w.cause for w in f.cover_windows) if c in CAUSE_WORDS]
    holidays = [w.holiday for w in f.cover_windows if w.holiday]
    if causes:  # the real causes (orders recorded before the windows were kept say only how many)
        detail += ": " + ", ".join(causes) + (f" ({', '.join(holidays)})" if holidays else "")
    return _("Hemtjänst cover ordered"), detail


def _handed_over(_f: facts.HandedOver) -> Line:
    return _("Handed over to hemtjänst (överlämning)"), ""


def _waiting(f: facts.WaitingListChanged) -> Line:
    title = _("Waiting list: %(change)s") % {"change": label("waiting_change", f.change)}
    if f.position:
        title += " " + _("at place %(place)s") % {"place": f.position}
    return title, _("team %(team)s") % {"team": f.team_id}


def _full(f: facts.TeamCapacityExceeded) -> Line:
    detail = _("%(limit)s: %(capacity)s reached") % {"limit": label("capacity_limit", f.limit), "capacity": f.capacity}
    return _("Team full"), detail


def _checklist(f: ChecklistChanged) -> Line:
    title = _("Homecoming checklist: %(change)s") % {"change": label("checklist_change", f.change)}
    item = next((i.label for i in f.items if i.item_id == f.item_id), f.item_id)
    done = sum(1 for i in f.items if i.done)
    detail = _("%(done)s of %(all)s done") % {"done": done, "all": len(f.items)}
    if item:
        detail = f"{item}; {detail}"
    if f.changed_by:
        detail += "; " + _("by %(who)s") % {"who": f.changed_by}
    return title, detail


def _sip(f: SipChanged) -> Line:
    if f.invited_at:
        where = f" ({label('sip_place', f.place)})" if f.place else ""
        meeting = _("meeting %(moment)s") % {"moment": local(f.meeting_at)} + where if f.meeting_at else ""
        return _("SIP invitation recorded"), meeting
    if f.deadline:
        return _("SIP owed"), _("invitation due by %(moment)s") % {"moment": local(f.deadline)}
    return _("No SIP owed"), ""


def _sip_lapsed(f: SipLapsed) -> Line:
    return _("SIP deadline passed without an invitation"), _("due by %(moment)s") % {"moment": local(f.deadline)}


def _visit(what: str, f: Any) -> str:
    return what % {"kind": label("visit_kind", f.kind)}


def _scheduled(f: facts.VisitScheduled) -> Line:
    who = f.staff_id or _("unstaffed")
    return _visit(_("Visit scheduled: %(kind)s"), f), f"{local(f.planned_start)}; {who}"


def _moved(f: facts.VisitRescheduled) -> Line:
    detail = _("to %(moment)s (%(reason)s)") % {
        "moment": local(f.planned_start),
        "reason": label("visit_change", f.reason),
    }
    return _visit(_("Visit moved: %(kind)s"), f), detail


def _reassigned(f: facts.VisitReassigned) -> Line:
    to = f.staff_id or _("nobody (unstaffed)")
    return _visit(_("Visit reassigned: %(kind)s"), f), _("to %(who)s") % {"who": to}


def _visit_cancelled(f: facts.VisitCancelled) -> Line:
    return _visit(_("Visit cancelled: %(kind)s"), f), label("visit_cancel", f.reason)


def _started(f: facts.VisitStarted) -> Line:
    return _visit(_("Visit started: %(kind)s"), f), _("by %(who)s") % {"who": f.staff_id}


def _completed(f: facts.VisitCompleted) -> Line:
    detail = _("by %(who)s, %(minutes)s min") % {"who": f.staff_id, "minutes": f.duration_minutes}
    if f.self_rating:
        detail += "; " + _("self-rating recorded")
    return _visit(_("Visit completed: %(kind)s"), f), detail


def _missed(f: facts.VisitMissed) -> Line:
    return _visit(_("Visit missed: %(kind)s"), f), _("planned %(moment)s") % {"moment": local(f.planned_start)}


def _alert(f: facts.AlertRaised) -> Line:
    topic = ALERT_TOPICS.get(f.topic)
    return _("On-call alert: %(what)s") % {"what": _(topic) if topic else f.topic.replace("_", " ")}, ""


def _acknowledged(f: facts.AlertAcknowledged) -> Line:
    detail = _("by %(who)s (%(channel)s)") % {"who": f.by, "channel": label("ack_channel", f.channel)}
    return _("On-call alert acknowledged"), detail


def _escalated(f: facts.AlertEscalated) -> Line:
    detail = _("everyone on the rota told") if f.exhausted else _("to level %(level)s") % {"level": f.level + 1}
    return _("On-call alert escalated"), detail


def _resolved(f: facts.AlertResolved) -> Line:
    return _("On-call alert closed itself"), label("alert_resolution", f.reason)


def _sms(f: facts.RelativeMessage) -> Line:
    to = _("SMS to relative: %(what)s") if f.recipient_kind == "relative" else _("SMS to on-call staff: %(what)s")
    status = label("delivery_status", f.status)
    why = f" ({label('sms_cancel', f.reason)})" if f.reason else ""
    return to % {"what": label("message_kind", f.kind)}, status + why


def _liability(f: facts.LiabilityAccrued) -> Line:
    what = _("home in time: nothing owed") if f.home_in_time else _days(f.liability_days)
    return _("Payment liability counted"), f"{what}; {number(f.amount_ore // 100)} kr"


_WORDS: tuple[tuple[type, Callable[[Any], Line]], ...] = (
    (facts.AdmissionNoticed, _admission),
    (facts.PlanningReceived, _planning),
    (facts.ReadyNoticed, _ready),
    (facts.ReadyRevoked, _revoked),
    (facts.Discharged, _discharged),
    (facts.MessageCancelled, _cancelled),
    (facts.CaseOpened, _opened),
    (facts.PersonNamed, _named),
    (facts.DecisionGranted, _granted),
    (facts.DecisionChanged, _changed),
    (facts.DecisionEnded, _ended),
    (facts.PeriodPlanned, _planned),
    (facts.PeriodChanged, _period_changed),
    (facts.PeriodEnded, _period_ended),
    (facts.FollowUpDue, _follow_up),
    (facts.HemtjanstCoverOrdered, _cover),
    (facts.HandedOver, _handed_over),
    (facts.WaitingListChanged, _waiting),
    (facts.TeamCapacityExceeded, _full),
    (ChecklistChanged, _checklist),
    (SipChanged, _sip),
    (SipLapsed, _sip_lapsed),
    (facts.VisitScheduled, _scheduled),
    (facts.VisitRescheduled, _moved),
    (facts.VisitReassigned, _reassigned),
    (facts.VisitCancelled, _visit_cancelled),
    (facts.VisitStarted, _started),
    (facts.VisitCompleted, _completed),
    (facts.VisitMissed, _missed),
    (facts.AlertRaised, _alert),
    (facts.AlertAcknowledged, _acknowledged),
    (facts.AlertEscalated, _escalated),
    (facts.AlertResolved, _resolved),
    (facts.RelativeMessage, _sms),
    (facts.LiabilityAccrued, _liability),
)
