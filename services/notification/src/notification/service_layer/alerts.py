"""Use cases of on-call alerts: raise once, tell who is on call, escalate, acknowledge.

Exactly once, across restarts and replicas: an alert's id says what it is about, and raising it
is an insert of that id with its `alert_raised` event in the same document (the outbox), so of
two replicas firing the same timer one insert wins and the other finds it there. The SMS to the
responder is a message whose id is derived from (alert, level): an alert saved with
`notify_pending` whose message was not yet queued (a crash in between) is completed by the
sweep (`notify_pending_alerts`).

The timer loops (`fire_liability_watches`, `escalate_due`, `notify_pending_alerts`) isolate each
record: one that raises (a bug, a record that breaks a rule) is reported (`trygg_shared.batch`:
logged by its id and the error's type, counted) and parked with a doubling pause
(`deps.timer_backoff`), while the others fire; a store that is down still stops the round.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeAlias

from notification.domain.alert import AckChannel, Alert, AlertError, AlertState, Responder
from notification.domain.casefile import CaseFile
from notification.domain.ids import (
    alert_message_cause,
    capacity_alert_id,
    liability_alert_id,
    message_id,
    readmission_alert_id,
    sms_cap_alert_id,
)
from notification.domain.message import CancelReason, Message, RecipientKind
from notification.domain.templates import AlertFacts, AlertTopic, MessageKind, render_alert
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.relatives import GrantedDecision, create_message, local_time, record_granted
from trygg_shared.aggregate import ConcurrencyConflict, update_aggregate
from trygg_shared.batch import Failures
from trygg_shared.logging import get_logger

log = get_logger(__name__)

ACK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a phone screen
ACK_CODE_LENGTH = 8
_CODE_RE = re.compile(rf"\b([{ACK_ALPHABET}]{{{ACK_CODE_LENGTH}}})\b")


class AlertNotFound(LookupError):
    pass


def new_ack_code() -> str:
    return "".join(secrets.choice(ACK_ALPHABET) for _ in range(ACK_CODE_LENGTH))


async def route(deps: NotificationDeps, team_id: str | None, now: datetime) -> tuple[str | None, tuple[Responder, ...]]:
    """Who is on call now, and on which rota: the team's, else the municipality's fallback rota
    (`default`); (None, ()) when nobody is on call on either."""
    for rota_id in ([team_id] if team_id else []) + [deps.policy.default_rota]:
        rota = await deps.rotas.get(rota_id)
        if rota is not None:
            responders = rota.on_call(now)
            if responders:
                return rota_id, responders
    return None, ()


Routing: TypeAlias = Callable[
    [NotificationDeps, str | None, datetime], Awaitable[tuple[str | None, tuple[Responder, ...]]]
]


async def responders_for(deps: NotificationDeps, team_id: str | None, now: datetime) -> tuple[Responder, ...]:
    """Who is on call now: the team's rota, else the municipality's default rota."""
    return (await route(deps, team_id, now))[1]


async def nobody_on_call(deps: NotificationDeps) -> bool:
    """True when the fallback rota has nobody on call now: an alert without a team's own on-call
    staff would reach nobody (readiness reports it as degraded)."""
    rota = await deps.rotas.get(deps.policy.default_rota)
    return rota is None or not rota.on_call(deps.clock.now())


async def raise_alert(
    deps: NotificationDeps,
    alert_id: str,
    topic: AlertTopic,
    facts: AlertFacts,
    *,
    case_id: str | None = None,
    team_id: str | None = None,
    routing: Routing = route,
) -> bool:
    """Raise the alert unless it exists; True when this call raised it (told whom `routing` names)."""
    if await deps.alerts.load(alert_id) is not None:
        await notify_alert(deps, alert_id)  # finish a raise that died before queuing its SMS
        return False
    now = deps.clock.now()
    rota, responders = await routing(deps, team_id, now)
    alert, events = Alert.raise_(
        alert_id,
        topic,
        facts,
        now=now,
        ack_code=new_ack_code(),
        responders=responders,
        ack_timeout=deps.policy.ack_timeout,
        case_id=case_id,
        team_id=team_id,
        rota=rota,
    )
    try:
        await deps.alerts.save(alert_id, 0, alert, events)
    except ConcurrencyConflict:
        return False  # another replica (or an earlier delivery) raised it first
    if not responders:
        deps.on_unrouted_alert(topic.value)
        log.error(
            "alert raised but nobody is on call, not even on the fallback rota",
            alert_id=alert_id,
            topic=topic.value,
            team_id=team_id,
        )
    else:
        deps.wake_timers()  # its escalation is a new timer
        log.info("alert raised", alert_id=alert_id, topic=topic.value, team_id=team_id, rota=rota)
    await notify_alert(deps, alert_id)
    return True


def console_link(console_url: str) -> str:
    """Where the on-call person reads who and where after signing in: the console's Alerts page, the most
    urgent first. Not the case's page: its address holds the whole case id, which no SMS carries."""
    return f"{console_url}/alerts"


async def notify_alert(deps: NotificationDeps, alert_id: str) -> None:
    """Queue the SMS to the responder at the alert's current level, if it is still to be queued."""
    loaded = await deps.alerts.load(alert_id)
    if loaded is None or not loaded.state.notify_pending:
        return
    alert = loaded.state
    level = alert.level
    responder = alert.responders[level]
    now = deps.clock.now()
    language = deps.policy.oncall_language
    text = render_alert(
        alert.topic,
        alert.facts,
        language,
        ack_code=alert.ack_code,
        ack_link=deps.policy.ack_link_base + alert.ack_code,
        escalated=level > 0,
        details_link=console_link(deps.policy.console_url),
    )
    message = Message(
        message_id=message_id(alert_message_cause(alert_id, level), responder.responder_id),
        kind=MessageKind.ONCALL_ALERT,
        recipient=RecipientKind.ONCALL,
        recipient_id=responder.responder_id,
        to=responder.phone,
        text=text,
        language=language,
        created_at=now,
        not_before=now,
        case_id=alert.case_id,
        team_id=alert.team_id,
        alert_id=alert_id,
    )
    await create_message(deps, message)  # due now: handed to the dispatcher as saved (no due query)

    def change(a: Alert) -> tuple[None, list[object] | None]:
        return None, a.notified(level)

    await update_aggregate(deps.alerts, alert_id, change)


async def _each_due(
    deps: NotificationDeps,
    ids: Iterable[str],
    step: Callable[[NotificationDeps, str], Awaitable[object]],
    *,
    task: str,
    key: str,
    now: datetime,
) -> int:
    """One timer step per id, each on its own: a step that failed is tried again after its pause while
    the others go on (`deps.timer_backoff`, failures counted under `task`); how many steps did something."""
    done = 0
    failures = Failures(task)
    for item in ids:
        if deps.timer_backoff.waiting(f"{key}:{item}", now):
            continue  # it failed: tried again after its pause
        with deps.timer_backoff.attempt(failures, f"{key}:{item}", now):
            done += int(bool(await step(deps, item)))
    return done


async def notify_pending_alerts(deps: NotificationDeps) -> int:
    """The sweep: alerts saved with an SMS still to queue (a crash between the two writes)."""
    ids = await deps.alert_queries.notify_pending()
    await _each_due(deps, ids, notify_alert, task="alert_sms_sweep", key="notify", now=deps.clock.now())
    return len(ids)


async def escalate_due(deps: NotificationDeps) -> int:
    """Alerts not acknowledged in time go to the next responder; returns how many escalated."""
    now = deps.clock.now()
    due = await deps.alert_queries.escalation_due(now)
    return await _each_due(deps, due, _escalate, task="alert_escalations", key="escalate", now=now)


async def _escalate(deps: NotificationDeps, alert_id: str) -> bool:
    loaded = await deps.alerts.load(alert_id)
    if loaded is None or not loaded.state.escalation_due(deps.clock.now()):
        return False
    # One replica escalates each step: the step's claim is an insert (atomic on FerretDB).
    if not await deps.claims.take(f"escalate:{alert_id}:{loaded.state.level}:{len(loaded.state.escalations)}"):
        return False
    now = deps.clock.now()

    def change(a: Alert) -> tuple[bool, list[object] | None]:
        events = a.escalate(now, deps.policy.ack_timeout)
        return events is not None, events

    if not await update_aggregate(deps.alerts, alert_id, change):
        return False
    deps.wake_timers()
    log.info("alert escalated", alert_id=alert_id)
    await notify_alert(deps, alert_id)
    return True


async def routable_alerts(deps: NotificationDeps) -> list[str]:
    """Alerts raised when nobody was on call that a rota now has someone on call for (reads only:
    one query, and the rotas once per team among them)."""
    unrouted = await deps.alert_queries.unrouted_teams()
    now = deps.clock.now()
    on_call = {team: (await route(deps, team, now))[0] is not None for team in set(unrouted.values())}
    return sorted(alert_id for alert_id, team in unrouted.items() if on_call[team])


async def route_unrouted(deps: NotificationDeps, ids: Iterable[str]) -> int:
    """Each alert raised when nobody was on call goes to the first responder of a rota that has
    someone on call now (the team's, else the fallback rota, as when raising), once; how many."""
    return await _each_due(deps, ids, _route, task="alert_routing", key="route", now=deps.clock.now())


async def _route(deps: NotificationDeps, alert_id: str) -> bool:
    loaded = await deps.alerts.load(alert_id)
    if loaded is None or not loaded.state.unrouted:
        return False
    now = deps.clock.now()
    rota, responders = await route(deps, loaded.state.team_id, now)
    if rota is None:
        return False  # still nobody on call

    def change(a: Alert) -> tuple[bool, list[object] | None]:
        events = a.route(responders, rota, now, deps.policy.ack_timeout)
        return events is not None, events

    # A conditional save: of two replicas routing it, one does (the other finds it routed).
    if not await update_aggregate(deps.alerts, alert_id, change):
        return False
    deps.wake_timers()  # its escalation is a new timer
    log.info("unrouted alert routed", alert_id=alert_id, rota=rota)
    await notify_alert(deps, alert_id)
    return True


async def acknowledge(deps: NotificationDeps, alert_id: str, by: str, channel: AckChannel) -> Alert:
    """Raises AlertNotFound, or AlertError when it was acknowledged already (a 409).

    The first acknowledgement wins by claim (an insert); a claim whose save never landed (the
    process died in between) is completed by the next caller, who still gets the conflict.
    """
    loaded = await deps.alerts.load(alert_id)
    if loaded is None:
        raise AlertNotFound(alert_id)
    key = f"ack:{alert_id}"
    if not await deps.claims.take(key, by=by, channel=channel.value):
        winner = await deps.claims.facts(key)
        if winner is not None and loaded.state.state is AlertState.OPEN:
            await _save_acknowledgement(deps, alert_id, winner["by"], AckChannel(winner["channel"]))
        raise AlertError(f"alert {alert_id} was already acknowledged")
    try:
        return await _save_acknowledgement(deps, alert_id, by, channel)
    except AlertError:
        raise
    except Exception:
        await deps.claims.release(key)  # not acknowledged after all: let the next try win
        raise


async def _save_acknowledgement(deps: NotificationDeps, alert_id: str, by: str, channel: AckChannel) -> Alert:
    now = deps.clock.now()

    def change(a: Alert) -> tuple[Alert, list[object]]:
        return a, a.acknowledge(by, channel, now)

    alert = await update_aggregate(deps.alerts, alert_id, change)
    for mid in await deps.message_queries.queued_for_alert(alert_id):

        def cancel(m: Message) -> tuple[None, list[object] | None]:
            return None, m.cancel(CancelReason.ALERT_ACKNOWLEDGED, now)

        await update_aggregate(deps.messages, mid, cancel)
    log.info("alert acknowledged", alert_id=alert_id, channel=channel.value)
    return alert


async def acknowledge_by_code(deps: NotificationDeps, code: str, by: str, channel: AckChannel) -> Alert:
    alert_id = await deps.alert_queries.by_ack_code(code.strip().upper())
    if alert_id is None:
        raise AlertNotFound(code)
    return await acknowledge(deps, alert_id, by, channel)


async def acknowledge_by_reply(deps: NotificationDeps, from_phone: str, text: str) -> Alert | None:
    """A reply SMS with the code, from the phone of a responder who was told: acknowledges the alert.

    None when the text holds no known code or the sender was not told of that alert.
    """
    for code in _CODE_RE.findall(text.upper()):
        alert_id = await deps.alert_queries.by_ack_code(code)
        if alert_id is None:
            continue
        loaded = await deps.alerts.load(alert_id)
        if loaded is None:
            continue
        responder = loaded.state.responder_by_phone(from_phone)
        if responder is None:
            log.warning("reply with an alert code from a phone not told of the alert", alert_id=alert_id)
            return None
        try:
            return await acknowledge(deps, alert_id, f"oncall:{responder.responder_id}", AckChannel.REPLY)
        except AlertError:
            return loaded.state
    return None


# --- alerts that close themselves ---------------------------------------------------------------


async def resolve_alert(deps: NotificationDeps, alert_id: str, reason: str) -> bool:
    """Close an open alert whose cause is gone, and withdraw its queued SMS; False when it was not open."""
    now = deps.clock.now()

    def change(a: Alert) -> tuple[bool, list[object] | None]:
        events = a.resolve(reason, now)
        return events is not None, events

    loaded = await deps.alerts.load(alert_id)
    if loaded is None:
        return False
    if not await update_aggregate(deps.alerts, alert_id, change, first=loaded):
        return False
    for mid in await deps.message_queries.queued_for_alert(alert_id):

        def cancel(m: Message) -> tuple[None, list[object] | None]:
            return None, m.cancel(CancelReason.ALERT_RESOLVED, now)

        await update_aggregate(deps.messages, mid, cancel)
    log.info("alert closed itself", alert_id=alert_id, reason=reason)
    return True


async def resolve_liability_alerts(deps: NotificationDeps, case_id: str, reason: str) -> int:
    """A decision (or a discharge, or a revoked ready notice) came: the case's liability alerts close.

    Idempotent: an event handled again finds them closed.
    """
    closed = 0
    for alert_id in await deps.alert_queries.open_for_case(case_id, AlertTopic.LIABILITY_NO_DECISION):
        closed += int(await resolve_alert(deps, alert_id, reason))
    return closed


async def decision_granted(deps: NotificationDeps, cmd: GrantedDecision) -> int:
    """A decision: recorded (relatives told, `relatives.record_decision`), and the case's liability
    alerts close. They are looked for only when the case has had a liability watch: an alert is
    raised only from a watch that fired, and a case keeps its watch once it had one."""
    recorded = await record_granted(deps, cmd)
    if recorded.watched:
        await resolve_liability_alerts(deps, cmd.case_id, "decision_granted")
    return recorded.queued


async def resolve_sip_alerts(deps: NotificationDeps, case_id: str) -> int:
    """A SIP invitation was recorded after its deadline lapsed: the case's SIP alerts close (idempotent)."""
    open_alerts = await deps.alert_queries.open_for_case(case_id, AlertTopic.SIP_DEADLINE_LAPSED)
    return sum([int(await resolve_alert(deps, alert_id, "sip_invited")) for alert_id in open_alerts])


# --- the liability watch fires ------------------------------------------------------------------


async def fire_liability_watches(deps: NotificationDeps) -> int:
    """Ready notices without a decision whose alert time has come: one alert each, exactly once."""
    now = deps.clock.now()
    due = await deps.case_queries.due_watches(now)
    return await _each_due(deps, due, _fire_watch, task="liability_watches", key="watch", now=now)


async def _fire_watch(deps: NotificationDeps, case_id: str) -> bool:
    loaded = await deps.cases.load(case_id)
    if loaded is None:
        return False
    watch = loaded.state.watch_due(deps.clock.now())
    if watch is None:
        return False
    case = loaded.state
    raised = await raise_alert(
        deps,
        liability_alert_id(case_id, watch.ready_at),
        AlertTopic.LIABILITY_NO_DECISION,
        AlertFacts(case_ref=case_id[:8], at=local_time(deps, watch.liability_starts_at), team=case.team_name),
        case_id=case_id,
        team_id=case.team_id,
    )

    def change(c: CaseFile, ready_at: datetime = watch.ready_at) -> tuple[bool, list[object] | None]:
        if c.watch_fired(ready_at):
            return True, []
        return False, None

    if not await update_aggregate(deps.cases, case_id, change):
        # The watch was disarmed meanwhile (a decision read between our load and the raise):
        # the alert raised from the stale copy closes at once instead of escalating.
        after = await deps.cases.load(case_id)
        if after is not None and after.state.decided:
            await resolve_alert(deps, liability_alert_id(case_id, watch.ready_at), "decision_granted")
    return raised


async def case_alert(
    deps: NotificationDeps,
    alert_id: str,
    topic: AlertTopic,
    case_id: str,
    *,
    at: datetime | None = None,
    team_id: str | None = None,
) -> bool:
    """An alert about one case (missed visit, readmission, failed SMS), routed to the case's team."""
    loaded = await deps.cases.load(case_id)
    case = loaded.state if loaded else None
    team = team_id or (case.team_id if case else None)
    if team is None and case is not None and case.team_name:
        # Before scheduling's period is read (a failed "the service starts" SMS), the decision's
        # team name: the case's own team is alerted, not the fallback rota.
        named = await deps.teams.by_name(case.team_name)
        team = named.team_id if named is not None else None
    facts = AlertFacts(
        case_ref=case_id[:8],
        at=local_time(deps, at) if at else None,
        team=(case.team_name if case and case.team_name else team),
    )
    return await raise_alert(deps, alert_id, topic, facts, case_id=case_id, team_id=team)


async def readmission_noticed(
    deps: NotificationDeps, case_id: str, person_ref: str, readmission_of_case_id: str | None
) -> int:
    """An admission notice for a person whose Trygg hemgång period runs (the earlier case, or any of theirs)."""
    running = set(await deps.case_queries.active_periods_of(person_ref))
    if readmission_of_case_id:
        earlier = await deps.cases.load(readmission_of_case_id)
        if earlier is not None and earlier.state.period_active:
            running.add(readmission_of_case_id)
    raised = 0
    for earlier_id in sorted(running - {case_id}):
        raised += int(
            await case_alert(deps, readmission_alert_id(earlier_id), AlertTopic.READMITTED_DURING_PERIOD, earlier_id)
        )
    return raised


async def team_at_capacity(deps: NotificationDeps, team_id: str, case_id: str, waiting: int) -> bool:
    contact = await deps.teams.get(team_id)
    return await raise_alert(
        deps,
        capacity_alert_id(team_id, case_id),
        AlertTopic.TEAM_AT_CAPACITY,
        AlertFacts(case_ref=case_id[:8], team=contact.name if contact else team_id, waiting=waiting),
        case_id=case_id,
        team_id=team_id,
    )


async def sms_cap_reached(deps: NotificationDeps, case_id: str, topic: AlertTopic, limit: int, window_key: str) -> bool:
    """Referral refused a decision because an SMS cap was hit: ops on call hear of it once per cap
    window, through the fallback rota like every alert without a team (unrouted when nobody is on call)."""
    facts = AlertFacts(case_ref=case_id[:8], limit=limit)
    return await raise_alert(deps, sms_cap_alert_id(window_key), topic, facts, case_id=case_id)
