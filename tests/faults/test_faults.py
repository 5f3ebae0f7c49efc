"""Nothing accepted is lost and nothing happens twice: the real system under crashes, outages,
replays and poison (see harness.py for the ledgers and the reference).

Short form (plain `make test`, about 4 minutes): the calibration, a 10 s Kafka outage, one crash
(billing, between its effect and its commit), poison on every topic, the SMS gateway
errors and the supervisor restarting a killed service; the tests marked `full_only` are
deselected (pytest says how many). `make test-faults` (TRYGG_FAULTS=full) runs all of it: both
crash points of every consumer service, two instances of each with one killed, PostgreSQL and
FerretDB restarts, replays, a 30 s Kafka outage, and Kafka killed under the supervisor too.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.supervisor import STATE_FILE, RestartPolicy, read_state
from trygg_shared.contracts.topics import (
    ALL_TOPICS,
    BILLING_EVENTS,
    NOTIFICATION_EVENTS,
    REFERRAL_BILLING_SUBJECTS,
    REFERRAL_CASE_EVENTS,
    REFERRAL_PERSON_CONTACTS,
    REFERRAL_RELATIVE_CONTACTS,
    SCHEDULING_PERIOD_EVENTS,
)
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import MAX_EVENT_BYTES

from .harness import (
    CONSUMERS,
    FAULT_EXIT_CODE,
    FULL,
    Accepted,
    FaultSystem,
    Reference,
    background,
    fault_exit_env,
    full_only,
    new_phone,
    scaled,
    wait_exit,
)

OPS = {"Authorization": "Bearer dev-ops"}


def _wait(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        time.sleep(0.2)


def test_fault_free_run_calibrates_the_reference(fault_system: FaultSystem) -> None:
    fs = fault_system
    start = fs.begin()
    team = fs.team("f-calibration")
    cases = [fs.journey(team) for _ in range(3)]
    last: list[tuple[int, int]] = []
    stable_since = time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        observed = [fs.effects(c) for c in cases]
        now = [(e["console_visits"], sum(e["sms"].values())) for e in observed]
        complete = all(e["visits"] and e["visits"] == e["console_visits"] for e in observed)
        if now != last or not complete:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 5:
            break
        time.sleep(0.5)
    assert len(set(last)) == 1, f"the same decision must give the same effects for every case: {last}"
    visits, sms = last[0]
    assert visits >= 3  # homecoming, daily visits, follow-up meeting, handover
    # One text per decision to the consenting relative: the start with the homecoming time (the
    # follow-up meeting's and the handover's reminders go the evening before, days later).
    assert sms == 1
    fs.reference = Reference(visits=visits, sms=sms)
    fs.conclude(
        "fault-free (calibration)",
        cases,
        start,
        note=f"reference per decision: {visits} visits, {sms} SMS to the consenting relative",
    )
    assert fs.dead_letters_since(start) == []


def test_kafka_killed_under_load_intake_keeps_answering_and_lag_returns_to_zero(fault_system: FaultSystem) -> None:
    fs = fault_system
    start = fs.begin()
    outage = scaled(30, 10)
    team = fs.team("f-kafka")
    cases: list[Accepted] = []
    during: list[Accepted] = []
    kafka_down = False
    refused_before = len(fs.unavailable)

    def send() -> None:
        case = fs.journey(team)
        cases.append(case)
        if kafka_down:
            during.append(case)

    with background(send, every=scaled(0.5, 1.0), until=outage + 120):
        _wait(lambda: len(cases) >= 2, 60, "two journeys before the outage")
        fs.stack.kafka.kill()  # SIGKILL: no controlled shutdown
        kafka_down = True
        time.sleep(outage)
        fs.stack.kafka.start()
        fs.stack.kafka.wait_ready()
        kafka_down = False
        mark = len(cases)
        _wait(lambda: len(cases) >= mark + 2, 60, "two journeys after the outage")
    refused = fs.unavailable[refused_before:]
    assert len(during) >= scaled(10, 3), f"only {len(during)} journeys while Kafka was down"
    assert refused == [], f"intake did not keep answering while Kafka was down: {refused[:5]}"
    fs.conclude(
        f"kafka SIGKILL {outage}s under load",
        cases,
        start,
        note=f"{len(during)} journeys (webhook 202 + decision 201) accepted while Kafka was down",
    )


CRASH_POINTS = (
    [(s, p) for s in CONSUMERS for p in ("before_effect", "after_effect")] if FULL else [("billing", "after_effect")]
)


@pytest.mark.parametrize(("service", "point"), CRASH_POINTS)
def test_a_consumer_killed_at_its_effect_loses_nothing_and_repeats_nothing(
    fault_system: FaultSystem, service: str, point: str
) -> None:
    fs = fault_system
    start = fs.begin()
    team = fs.team(f"f-crash-{service}-{point.split('_', maxsplit=1)[0]}")
    nth = 3
    fs.restart_service(service, fault_exit_env(point, nth))
    cases = [fs.journey(team) for _ in range(scaled(4, 2))]
    code = wait_exit(fs.service(service), 90)
    assert code == FAULT_EXIT_CODE, f"{service} did not crash at {point} of message {nth} (exit {code})"
    fs.restart_service(service)
    fs.conclude(f"{service} crash {point.replace('_', ' ')} (msg {nth})", cases, start)


@full_only
@pytest.mark.parametrize("service", CONSUMERS)
def test_two_instances_one_killed_mid_stream_the_other_takes_over(fault_system: FaultSystem, service: str) -> None:
    fs = fault_system
    start = fs.begin()
    team = fs.team(f"f-rebalance-{service}")
    replica = fs.replica(service)
    cases: list[Accepted] = []
    try:
        with background(lambda: cases.append(fs.journey(team)), every=0.3, until=180):
            _wait(lambda: len(cases) >= scaled(4, 2), 60, "journeys before the kill")
            fs.service(service).proc.kill()  # SIGKILL the first instance mid-stream
            mark = len(cases)
            _wait(lambda: len(cases) >= mark + scaled(6, 3), 90, "journeys after the kill")
        fs.conclude(f"{service} x2, one SIGKILLed (rebalance)", cases, start)
    finally:
        replica.stop()
        fs.extra.remove(replica)
        fs.ensure_up()


@full_only
def test_postgresql_and_ferretdb_restarted_under_load(fault_system: FaultSystem) -> None:
    fs = fault_system
    start = fs.begin()
    assert fs.stack.postgres is not None, "the fault suite runs FerretDB on PostgreSQL"
    team = fs.team("f-store")
    cases: list[Accepted] = []
    refused_before = len(fs.unavailable)
    with background(lambda: cases.append(fs.journey(team)), every=0.5, until=300):
        _wait(lambda: len(cases) >= 2, 60, "journeys before the PostgreSQL restart")
        fs.stack.postgres.restart()
        mark = len(cases)
        _wait(lambda: len(cases) >= mark + 2, 120, "journeys after the PostgreSQL restart")
        fs.stack.ferretdb.kill()
        time.sleep(3)
        fs.stack.ferretdb.start()
        fs.stack.ferretdb.wait_ready()
        mark = len(cases)
        _wait(lambda: len(cases) >= mark + 2, 120, "journeys after the FerretDB restart")
    fs.conclude(
        "postgresql restart + ferretdb SIGKILL",
        cases,
        start,
        note=f"{len(fs.unavailable) - refused_before} answers 503/unreachable during the restarts, sent again",
    )


@full_only
def test_every_webhook_replayed_reordered_and_replayed_again_later(fault_system: FaultSystem) -> None:
    """Webhooks: each sent again twice in shuffled order (same webhook-id and body, signed at the
    time of sending: the ±5 min window is the signature's, the id store has no expiry). Later:
    every record these cases produced on every topic is published again, newest first, with its
    original CloudEvents id (what a replay from retention or the dead-letter path delivers),
    and then the webhooks once more."""
    fs = fault_system
    start = fs.begin()
    team = fs.team("f-replay")
    cases = [fs.journey(team) for _ in range(scaled(6, 3))]
    fs.settle(cases)

    def replay_webhooks(times: int) -> None:
        sends = [c for c in cases for _ in range(times)]
        random.shuffle(sends)
        for case in sends:
            answer = fs.post_webhook(case.webhook_id, case.body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["case_id"] == case.case_id

    replay_webhooks(2)
    keys = {c.case_id.encode() for c in cases}
    republished = 0
    for topic in (
        REFERRAL_CASE_EVENTS,
        REFERRAL_BILLING_SUBJECTS,
        REFERRAL_RELATIVE_CONTACTS,
        REFERRAL_PERSON_CONTACTS,
        SCHEDULING_PERIOD_EVENTS,
        NOTIFICATION_EVENTS,
        BILLING_EVENTS,
    ):
        records = [r for r in fs.records(topic) if r.key in keys]
        fs.publish_raw(topic, [(r.key, r.value, list(r.headers or ())) for r in reversed(records)])
        republished += len(records)
    assert republished > len(cases) * 5
    fs.wait_no_lag()
    replay_webhooks(1)
    fs.conclude(
        "webhooks x3 reordered + Kafka history replayed",
        cases,
        start,
        note=f"{3 * len(cases)} webhook replays answered 200; {republished} records replayed newest first",
    )


def _contracts_by_topic() -> dict[str, list[str]]:
    """Every event type of the contracts, per topic."""
    import importlib

    from trygg_shared.contracts.base import IntegrationEvent

    for module in ("referral", "scheduling", "notification", "billing"):
        importlib.import_module(f"trygg_shared.contracts.{module}")
    found: dict[str, set[str]] = {}
    todo = list(IntegrationEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        topic = getattr(cls, "TOPIC", None)
        if "EVENT_TYPE" in vars(cls) and topic:
            found.setdefault(topic, set()).add(cls.EVENT_TYPE)
    return {topic: sorted(types) for topic, types in found.items()}


Raw = tuple[bytes | None, bytes, list[tuple[str, bytes]]]


def _record(
    case_id: str, event_type: str, data: dict[str, Any], kinds: dict[str, tuple[str, str]], what: tuple[str, str]
) -> Raw:
    """A CloudEvent as a producer would publish it; its id noted in `kinds` as `what` (topic, kind)."""
    meta = EventMeta(str(uuid.uuid4()), event_type, "urn:trygghemgang:faults", case_id, datetime.now(UTC))
    kinds[meta.id] = what
    record = encode(meta, data)
    return record.key, record.value, list(record.headers.items())


def test_poison_on_every_topic_is_dead_lettered_with_its_reason_and_the_partition_flows(
    fault_system: FaultSystem,
) -> None:
    """Per topic: every known type breaking its contract, an unknown type, an oversized record;
    keyed like a live case, so the case's decision after them must still take effect (its
    partition flows). Documented behaviour (trygg_shared.kafka): contract violations and oversized
    records go to the dead-letter topic of each group that reads them (oversized: every group on
    the topic; a contract violation: each group that handles the type), after no retry (they can
    never succeed); unknown types are ignored (tolerant reader), not dead-lettered."""
    fs = fault_system
    start = fs.begin()
    team = fs.team("f-poison")
    warm = [fs.journey(team) for _ in range(2)]
    fs.settle(warm)
    target = fs.ready()  # decided only after the poison, on the same key
    by_topic = _contracts_by_topic()
    assert set(by_topic) == set(ALL_TOPICS)
    kinds: dict[str, tuple[str, str]] = {}  # event id -> (topic, kind)
    for topic in ALL_TOPICS:
        broken = {"case_id": 12345, "sent_at": "not a time"}
        batch = [_record(target.case_id, t, broken, kinds, (topic, "invalid")) for t in by_topic[topic]]
        unknown = "se.trygghemgang.faults.unknown.v1"
        batch.append(_record(target.case_id, unknown, {"case_id": target.case_id}, kinds, (topic, "unknown")))
        big = {"case_id": target.case_id, "padding": "x" * (MAX_EVENT_BYTES + 1)}
        batch.append(_record(target.case_id, by_topic[topic][0], big, kinds, (topic, "oversized")))
        fs.publish_raw(topic, batch)
    fs.decide(target, team)
    result = fs.conclude("poison x(types+2) on every topic", [*warm, target], start)
    dead = fs.dead_letters_since(start)
    readers: dict[str, set[str]] = {}  # every group that committed on the topic (the poison included)
    for group, topic in fs.lag():
        readers.setdefault(topic, set()).add(group)
    problems = []
    for d in dead:
        topic, kind = kinds.get(d.event_id or "", ("?", "not poison"))
        if kind == "unknown":
            problems.append(f"{topic}: an unknown type was dead-lettered by {d.group} (documented: ignored)")
        elif kind == "oversized" and not d.reason.startswith("oversized"):
            problems.append(f"{topic}: oversized dead-lettered as {d.reason!r}")
        elif kind == "invalid" and not d.reason.startswith("contract violation"):
            problems.append(f"{topic}: a broken event dead-lettered as {d.reason!r}")
        elif kind == "not poison":
            problems.append(f"a dead letter that is no poison: {d}")
    seen = Counter((d.group, d.event_id) for d in dead)
    problems += [f"dead-lettered twice: {k}" for k, n in seen.items() if n > 1]
    for topic in ALL_TOPICS:
        groups = readers.get(topic, set())
        oversized = sorted(d.group for d in dead if kinds.get(d.event_id or "") == (topic, "oversized"))
        if oversized != sorted(groups):
            problems.append(f"{topic}: oversized dead-lettered by {oversized}, read by {sorted(groups)}")
        invalid = {d.group for d in dead if kinds.get(d.event_id or "") == (topic, "invalid")}
        if invalid != groups:
            problems.append(f"{topic}: broken events dead-lettered by {sorted(invalid)}, read by {sorted(groups)}")
    assert not problems, "\n".join(problems)
    result.note = f"{len(dead)} dead letters with reasons; unknown types ignored by design; partitions flowed"


def _rota(fs: FaultSystem, team_id: str, phone: str) -> None:
    body = {
        "shifts": [
            {
                "starts_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "minutes": 48 * 60,
                "responders": [{"responder_id": "oncall-faults", "phone": phone}],
            }
        ]
    }
    answer = fs._call("put", f"{fs.service('notification').url}/rotas/{team_id}", json=body, headers=OPS)
    assert answer.status_code == 200, answer.text


def test_sms_gateway_errors_one_sms_after_500s_and_a_400_reaches_on_call_without_retries(
    fault_system: FaultSystem,
) -> None:
    fs = fault_system
    start = fs.begin()
    ref = fs.reference
    assert ref is not None
    team = fs.team("f-sms")
    oncall = f"+4676{uuid.uuid4().int % 10**7:07d}"
    _rota(fs, "f-sms", oncall)
    _rota(fs, "default", oncall)  # the municipality's fallback rota: alerts of no team go there

    # Failures are scripted for the relative's number only: other traffic (on-call alerts, earlier
    # scenarios' messages) must not use them up.
    first, phone = fs.ready(), new_phone()
    fs.gateway.fail_next(500, 500, 500, to=phone)
    fs.decide(first, team, consenting_phone=phone)
    fs.settle([first])
    attempts = fs.gateway.attempts_to(phone)
    assert attempts.count(500) == 3, attempts
    assert attempts.count(200) == ref.sms, attempts

    second, phone = fs.ready(), new_phone()
    fs.gateway.fail_next(400, to=phone)
    fs.decide(second, team, consenting_phone=phone)
    _wait(lambda: len(fs.gateway.sms_to(phone)) >= ref.sms - 1, 90, "the other SMS of the second decision")

    def oncall_about_second() -> list[str]:
        # The default rota also takes earlier scenarios' alerts of teams without a rota: this case's only.
        return [text for text in fs.gateway.sms_to(oncall) if f"Ärende {second.case_id[:8]}" in text]

    try:
        _wait(lambda: len(oncall_about_second()) >= 1, 90, "the failed SMS reaching on-call")
    except AssertionError as exc:
        alerts = list(
            fs.db["notification"]["alerts"].find(
                {}, {"_id": 0, "kind": 1, "state": 1, "team_id": 1, "case_id": 1, "history": 1}
            )
        )
        failed = list(
            fs.db["notification"]["messages"].find(
                {"case_id": second.case_id}, {"_id": 0, "kind": 1, "state": 1, "failure_reason": 1}
            )
        )
        raise AssertionError(f"{exc}; alerts: {alerts}; messages of the case: {failed}") from None
    time.sleep(3)  # a retry storm would show here
    attempts = fs.gateway.attempts_to(phone)
    assert attempts.count(400) == 1, f"a 400 must not be retried: {attempts}"
    assert attempts.count(200) == ref.sms - 1
    alerts = list(fs.db["notification"]["alerts"].find({"case_id": second.case_id}))
    assert len(alerts) == 1, [a.get("kind") for a in alerts]
    oncall_sms = oncall_about_second()
    assert len(oncall_sms) == 1, oncall_sms
    fs.conclude(
        "sms gateway 500x3 then 200; 400",
        [first],
        start,
        extra_expected=ref.sms,  # second decision: its SMS but the refused one, and one on-call alert
        extra_found=len(fs.gateway.sms_to(phone)) + len(oncall_sms),
        note="500x3: one SMS, 3 retries; 400: 1 attempt, no retry, 1 alert SMS to on-call",
    )


def test_make_run_supervisor_restarts_a_killed_service_and_kafka_the_rest_untouched(
    fault_system: FaultSystem,
) -> None:
    fs = fault_system
    start = fs.begin()
    team = fs.team("f-supervisor")
    supervisor = fs.stack.supervisor(policy=RestartPolicy(initial=0.5, cap=5.0))
    before = {name: svc.pid() for name, svc in fs.stack.services.items()}
    servers_before = {
        "postgresql": fs.stack.postgres.pid() if fs.stack.postgres else None,
        "ferretdb": fs.stack.ferretdb.pid(),
    }
    cases: list[Accepted] = []
    with background(lambda: cases.append(fs.journey(team)), every=0.5, until=240):
        _wait(lambda: len(cases) >= 2, 60, "journeys before the kill")
        fs.service("scheduling").proc.kill()  # SIGKILL, as a crash

        def tick_until(condition: Any, within: float, what: str) -> None:
            deadline = time.monotonic() + within
            while not condition():
                assert time.monotonic() < deadline, f"the supervisor did not bring {what} back"
                supervisor.tick()
                time.sleep(0.2)

        tick_until(fs.service("scheduling").ready, 60, "scheduling")
        if FULL:
            fs.stack.kafka.kill()
            tick_until(fs.stack.kafka.alive, 60, "Kafka")
            fs.stack.kafka.wait_ready()
        mark = len(cases)
        tick_until(lambda: len(cases) >= mark + 2, 120, "the flow of journeys")
    state = read_state(fs.workdir / STATE_FILE)
    assert state is not None
    assert state["children"]["scheduling"]["restarts"] == 1
    assert state["children"]["scheduling"]["last_exit"] == "killed by SIGKILL"
    assert state["children"]["kafka"]["restarts"] == (1 if FULL else 0)
    untouched = {n: fs.stack.services[n].pid() for n in before if n != "scheduling"}
    assert untouched == {n: p for n, p in before.items() if n != "scheduling"}
    assert all(state["children"][n]["restarts"] == 0 for n in untouched), state
    assert servers_before == {
        "postgresql": fs.stack.postgres.pid() if fs.stack.postgres else None,
        "ferretdb": fs.stack.ferretdb.pid(),
    }
    fs.conclude(
        "supervisor: scheduling" + (" + kafka" if FULL else "") + " SIGKILL",
        cases,
        start,
        note="started again by the supervisor (restarts 1, last exit SIGKILL); other pids unchanged",
    )
