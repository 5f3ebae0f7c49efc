"""What the pages call the codes the events carry (visit kinds, statuses, reasons...), as staff name them.

English source text (msgids, translated by the request's language); a code not listed here is
shown humanised ("some_code" → "some code") rather than not at all. Templates call
`label("visit_kind", v.kind)`.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.entrypoints.i18n import N_, gettext

LABELS: Mapping[str, Mapping[str, str]] = {
    "visit_kind": {
        "hospital_visit": N_("Visit at hospital"),
        "homecoming": N_("Homecoming visit"),
        "daily": N_("Daily visit"),
        "follow_up_meeting": N_("Follow-up meeting"),
        "handover": N_("Joint handover visit with hemtjänst"),
        "follow_up_call": N_("Follow-up call"),
    },
    "visit_status": {
        "scheduled": N_("scheduled"),
        "started": N_("started"),
        "completed": N_("completed"),
        "missed": N_("missed"),
        "cancelled": N_("cancelled"),
        "unstaffed": N_("unstaffed"),
    },
    "decision_type": {
        "trygg_hemgang": N_("Trygg hemgång"),
        "hemgangsbeslut": N_("Homecoming decision with hours (hemgångsbeslut)"),
        "hemtjanst_only": N_("Hemtjänst only"),
        "short_term_stay": N_("Short-term stay"),
        "declined": N_("Declined by the person"),
        "refused": N_("Refused"),
    },
    "destination": {
        "home": N_("home"),
        "short_term_stay": N_("short-term stay"),
        "special_housing": N_("special housing"),
        "deceased": N_("deceased"),
        "other": N_("elsewhere"),
    },
    "care_type": {"somatic": N_("somatic care"), "psychiatric": N_("psychiatric care")},
    "decision_end": {
        "ended_early": N_("ended early"),
        "readmitted": N_("readmitted"),
        "deceased": N_("deceased"),
        "case_cancelled": N_("case cancelled"),
    },
    "decision_change": {
        "extended": N_("extended"),
        "shortened": N_("shortened"),
        "relatives_changed": N_("relatives changed"),
        "consent_withdrawn": N_("consent withdrawn"),
        "other": N_("other change"),
    },
    "case_opened": {
        "already_at_home": N_("already at home"),
        "declined_home_care": N_("declined home care"),
        "other": N_("other reason"),
    },
    "period_status": {
        "planned": N_("planned"),
        "active": N_("active"),
        "on_hold": N_("on hold"),
        "ended": N_("ended"),
    },
    "period_change": {
        "extended": N_("extended"),
        "shortened": N_("shortened"),
        "put_on_hold": N_("put on hold"),
        "resumed": N_("resumed"),
        "homecoming_moved": N_("homecoming visit moved"),
        "contact_person_changed": N_("contact person changed"),
        "hours_changed": N_("hours changed"),
        "other": N_("other change"),
    },
    "period_end": {
        "completed": N_("completed"),
        "ended_early": N_("ended early"),
        "readmitted": N_("readmitted"),
        "deceased": N_("deceased"),
        "declined": N_("declined by the person"),
        "case_cancelled": N_("case cancelled"),
        "hours_used": N_("hours used up"),
    },
    "visit_change": {
        "discharge_time": N_("the discharge time"),
        "field_request": N_("agreed with the person"),
        "decision_changed": N_("decision changed"),
        "sick_call": N_("sick call"),
        "absence": N_("absence"),
        "rebalanced": N_("workload balanced"),
        "resumed": N_("plan resumed"),
        "other": N_("other reason"),
    },
    "visit_cancel": {
        "declined": N_("declined by the person"),
        "readmitted": N_("readmitted"),
        "deceased": N_("deceased"),
        "ready_revoked": N_("ready notice revoked"),
        "period_shortened": N_("period shortened"),
        "period_ended": N_("period ended"),
        "hours_used": N_("hours used up"),
        "replanned": N_("replanned"),
        "other": N_("other reason"),
    },
    "alert_resolution": {
        "decision_granted": N_("decision granted"),
        "discharged": N_("discharged"),
        "ready_revoked": N_("ready notice revoked"),
        "checklist_completed": N_("homecoming checklist completed"),
        "sip_invited": N_("SIP invitation recorded"),
    },
    "waiting_change": {"added": N_("added"), "planned": N_("planned"), "removed": N_("removed")},
    "capacity_limit": {
        "clients_per_day": N_("clients per day"),
        "new_clients_per_month": N_("new clients per month"),
    },
    "message_kind": {
        "service_started": N_("service started"),
        "homecoming_scheduled": N_("homecoming visit scheduled"),
        "homecoming_changed": N_("homecoming visit changed"),
        "follow_up_meeting": N_("follow-up meeting"),
        "handover_visit": N_("joint handover visit"),
        "handed_over": N_("handed over to hemtjänst"),
        "period_ended": N_("period ended"),
        "oncall_alert": N_("on-call alert"),
    },
    "delivery_status": {
        "accepted": N_("accepted"),
        "sent": N_("sent"),
        "delivered": N_("delivered"),
        "failed": N_("failed"),
        "expired": N_("expired"),
        "cancelled": N_("cancelled"),
    },
    "sms_cancel": {
        "consent_withdrawn": N_("consent withdrawn"),
        "daily_cap_reached": N_("daily cap reached"),
        "case_closed": N_("case closed"),
        "superseded": N_("superseded"),
        "alert_acknowledged": N_("alert acknowledged"),
        "alert_resolved": N_("alert closed itself"),
    },
    "ack_channel": {"api": N_("console"), "link": N_("link in the SMS"), "reply": N_("SMS reply")},
    "audit_action": {
        "view_cases": N_("viewed cases"),
        "view_case": N_("viewed a case"),
        "view_today": N_("viewed today's visits"),
        "view_alerts": N_("viewed alerts"),
        "replay_dead_letter": N_("replayed a dead-lettered message"),
        "view_cover_order": N_("viewed a hemtjänst cover order"),
    },
    "timeline_category": {
        "message": N_("hospital"),
        "decision": N_("decision"),
        "plan": N_("plan"),
        "visit": N_("visit"),
        "notification": N_("notice"),
        "billing": N_("billing"),
        "other": N_("other"),
    },
    "checklist_change": {"opened": N_("opened"), "ticked": N_("item ticked"), "unticked": N_("item unticked")},
    "sip_place": {"home": N_("at home"), "hospital": N_("at the hospital")},
    "role": {
        "officer": N_("needs-assessment officer"),
        "team": N_("team"),
        "oncall": N_("on call"),
        "ops": N_("operations"),
    },
}


def label(kind: str, code: str | None) -> str:
    """The code's name in the request's language; an unknown code humanised, no code a dash."""
    if not code:
        return "—"
    known = LABELS[kind].get(code)
    return gettext(known) if known else code.replace("_", " ")
