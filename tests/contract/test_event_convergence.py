"""Referral's case events reach the same end state in every real consumer, whatever the order
the hospital's messages came in, the order Kafka delivered the events in, and however often
they were repeated.

The producer is real: a case's hospital messages and an officer's decision go through
referral's domain (`Case`) and its wire codec, and each wire event gets a CloudEvents id and
the aggregate's next `sequence` number in save order, as `MongoAggregateStore`'s outbox gives
them (see `convergence_support.history`). The consumers are real: scheduling, notification,
billing and the console, each wired by its own `bootstrap`/`consumers` with in-memory stores,
get the events as Kafka records through FastStream's `TestKafkaBroker`, so the chassis decides
repeats and staleness and the services' own subscribers and use cases do the rest. What is
compared is what each service keeps and shows (see `convergence_support.*Consumer.state`).

Three properties:
1. in order, the stay ends as the agreement and the decision say (the same figures as before);
2. the hospital's messages in any arrival order (and repeated): every consumer ends in the
   same state as when they came in order;
3. the wire events delivered out of order and with repeats: a handler marked
   `on_stale="apply"` must converge, so the end state equals the in-order delivery of the
   events the chassis keeps (a "skip" handler's stale event is dropped, as each README says:
   "the later event of the case is the truth"); for the console, where every handler is
   "apply", that is the whole stream.

Proven able to fail (each rule broken locally, the suite run, the file restored):
- billing `CareCase.change_decision` without its `held.as_of >= as_of` guard (an older change
  overwrites a newer one): property 3 fails for billing (and property 2);
- the console's `DecisionChanged` handler declared `on_stale="skip"`: the console's own test
  (`..._every_order_gives_the_in_order_read_model`) fails; property 3 alone would not catch it,
  since it follows what each consumer declares.

The last two tests guard the two genuine non-convergences this test found when it was written:
billing's liable days per month disagreed with referral's (and depended on the arrival order),
fixed by referral saying which ready periods still count (`counting_ready_at`); and scheduling
never planned a grant that arrived after its decision's end, fixed in `CasePlan`.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from .convergence_support import (
    CONSUMERS,
    MESSAGES,
    NOTIFICATION_DURING_THE_PERIOD,
    STOCKHOLM,
    Consumer,
    Delivery,
    WireEvent,
    canonical_history,
    delivered_in_order,
    history,
    kept_by_chassis,
    period_history,
    published_count,
    run,
    with_repeats,
)

SEED = 20261205
ORDERS = 6  # arrival orders and delivery orders per consumer (seeded: the same on every run)


def _shuffles(rng: random.Random, items: list[WireEvent], count: int) -> list[list[WireEvent]]:
    out = [list(reversed(items))]
    while len(out) < count:
        shuffled = list(items)
        rng.shuffle(shuffled)
        out.append(shuffled)
    return out


@pytest.fixture(scope="module")
def in_order() -> dict[str, object]:
    """Each consumer's end state after the canonical history, delivered once and in order."""
    events = canonical_history()
    return {c.name: run(c, delivered_in_order(events)) for c in CONSUMERS}


def test_in_order_each_consumer_holds_the_stay_as_referral_decided_it(in_order: dict[str, object]) -> None:
    billing = in_order["billing"]
    assert isinstance(billing, dict)
    liability = billing["liability"]
    # r1 (Fri 20th 10:00, liable from Mon 23rd) runs again once its revocation is withdrawn; r3
    # (Fri 27th 13:00) replaces it; r3 is liable from Tue 1 Dec; discharge Sat 5 Dec 11:00.
    assert liability["liable_days"] == 5
    assert liability["amount_sek"] == 5 * STOCKHOLM.price_for(2026)
    assert liability["ready_at"] == MESSAGES[5].ready_at
    assert liability["agreement"] == (STOCKHOLM.agreement_id, STOCKHOLM.version, STOCKHOLM.price_for(2026))
    decision = billing["decisions"]["d1"]
    assert (decision.start_date.isoformat(), decision.end_date.isoformat()) == ("2026-12-05", "2026-12-11")
    assert billing["billed"] is not None  # the subject was registered from the billing-subjects topic

    scheduling = in_order["scheduling"]
    assert isinstance(scheduling, dict)
    period = scheduling["plan"].period
    assert period is not None
    assert (period.end_date.isoformat(), period.ended_on.isoformat()) == ("2026-12-14", "2026-12-11")

    notification = in_order["notification"]
    assert isinstance(notification, dict)
    case = notification["case"]
    assert case.decided
    assert case.trygg_hemgang
    assert "rel-2" not in case.relatives  # no consent on record: never leaves referral
    assert notification["watch"] is not None
    assert notification["watch"][0].value == "disarmed"

    console = in_order["console"]
    assert isinstance(console, dict)
    assert console["case"] is not None


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: c.name)
def test_the_same_events_delivered_twice_change_nothing(consumer: Consumer, in_order: dict[str, object]) -> None:
    rng = random.Random(SEED)
    delivery = with_repeats(rng, delivered_in_order(canonical_history()), every=True)
    assert run(consumer, delivery) == in_order[consumer.name]


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: c.name)
def test_whatever_order_the_hospital_s_messages_arrived_in_each_consumer_ends_the_same(
    consumer: Consumer, in_order: dict[str, object]
) -> None:
    rng = random.Random(SEED)
    orders = [list(reversed(MESSAGES))]
    while len(orders) < ORDERS:
        order = list(MESSAGES)
        rng.shuffle(order)
        orders.append(order)
    for arrivals in orders:
        repeated = [*arrivals, rng.choice(MESSAGES)]  # a hospital resends one message
        delivery = delivered_in_order(history(repeated))
        assert run(consumer, delivery) == in_order[consumer.name], [m.message_id for m in repeated]


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: c.name)
def test_reordered_and_repeated_deliveries_lose_only_what_the_chassis_skips_as_stale(consumer: Consumer) -> None:
    rng = random.Random(SEED)
    events = canonical_history()
    for shuffled in _shuffles(rng, events, ORDERS):
        delivery = with_repeats(rng, [Delivery(e) for e in shuffled])
        kept = kept_by_chassis(consumer, delivery)
        expected = run(consumer, delivered_in_order(sorted(kept, key=lambda e: e.sequence)))
        assert run(consumer, delivery) == expected, [f"{e.sequence}:{e.event.EVENT_TYPE}" for e in shuffled]


def test_for_the_console_every_order_gives_the_in_order_read_model(in_order: dict[str, object]) -> None:
    console = next(c for c in CONSUMERS if c.name == "console")
    rng = random.Random(SEED)
    for shuffled in _shuffles(rng, canonical_history(), ORDERS):
        assert run(console, with_repeats(rng, [Delivery(e) for e in shuffled])) == in_order["console"]


def _merged(rng: random.Random, events: list[WireEvent]) -> list[WireEvent]:
    """One consumer group per topic, each reading its topic in order: a random interleaving of the topics."""
    by_topic: dict[str, list[WireEvent]] = {}
    for e in events:
        by_topic.setdefault(e.event.TOPIC, []).append(e)
    queues = list(by_topic.values())
    out: list[WireEvent] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        queues = [q for q in queues if q]
    return out


def test_notification_tells_relatives_the_same_whichever_of_referral_s_and_scheduling_s_topics_is_read_first() -> None:
    """Scheduling's period events and referral's decision and contacts are three topics read by
    three consumer groups: a homecoming visit handled before the decision (or the contacts) was
    never told to the relatives (found by the fault suite). In every interleaving of the topics,
    each read in its own order and repeated, notification ends as when the period came after the
    decision: the start with the homecoming visit's time, the follow-up meeting's reminder and the
    end, once each (`notification.domain.schedule`)."""
    notification = NOTIFICATION_DURING_THE_PERIOD
    referral, period = canonical_history(), period_history()
    expected = _without_message_team(run(notification, delivered_in_order([*referral, *period])))
    told = sorted(m.kind.value for m in expected["messages"].values())
    # the start with the homecoming time, the follow-up meeting's reminder, the (early) end
    assert told == ["follow_up_meeting", "period_ended", "service_started"]
    rng = random.Random(SEED)
    orders = [[*period, *referral], *(_merged(rng, [*referral, *period]) for _ in range(ORDERS))]
    for order in orders:
        delivery = with_repeats(rng, [Delivery(e) for e in order])
        got = _without_message_team(run(notification, delivery))
        assert got == expected, [e.event.EVENT_TYPE.split(".")[-2] for e in order]


def _without_message_team(state: object) -> dict[str, Any]:
    """What may differ: a message records the team known when it was queued (the decision's start
    is queued before the period's team is read, or after; it only routes the alert for a failed
    SMS, which takes the case's team when the message has none); and a text replaced before it
    went (a start text queued before the homecoming time was read, then replaced by one with it)
    exists, withdrawn, in one order and not in another: the relatives get the texts not withdrawn."""
    assert isinstance(state, dict)
    messages = {k: replace(m, team_id=None) for k, m in state["messages"].items() if m.state.value != "cancelled"}
    return {**state, "messages": messages}


# --- two non-convergences this test found, now fixed (regression guards) ----------------------


def test_billing_s_liable_days_per_month_add_up_to_referral_s_liable_days(in_order: dict[str, object]) -> None:
    """The monthly liability report (and `LiabilityDaysAccrued`) must count the days referral billed.

    r1's revocation (2 days) is later withdrawn (x-rev1) and r3 replaces r1, so referral counts 5
    days. Billing used to re-derive the days from the ready periods it was told about and
    reported 7 (5 or 13 in other arrival orders); then every clock event said which ready periods
    still count (`counting_ready_at`) and billing kept only those; now referral sends its count
    per month with every clock event (`liable_months`) and billing reports exactly that.
    """
    billing = in_order["billing"]
    assert isinstance(billing, dict)
    liability = billing["liability"]
    assert sum(days for _, days, _ in liability["counted"]) == liability["liable_days"] == 5
    assert liability["counted"] == published_count(canonical_history())


def test_billing_reports_exactly_what_referral_published_in_every_interleaving() -> None:
    """One count, referral's: whatever order the hospital's messages came in and however Kafka
    delivered the events (reordered, repeated, with the counting loop's counts in between),
    billing's liable days and cost per month are the count in the newest clock event it handled,
    and billing counts nothing itself (the report lists `counted`)."""
    billing = next(c for c in CONSUMERS if c.name == "billing")
    rng = random.Random(SEED)
    histories = [canonical_history(), history(list(reversed(MESSAGES)))]
    while len(histories) < ORDERS:
        order = list(MESSAGES)
        rng.shuffle(order)
        histories.append(history(order))
    assert any(e.event.EVENT_TYPE.endswith("liability_days_counted.v1") for e in histories[0])  # the loop's counts
    for events in histories:
        deliveries = [delivered_in_order(events)]
        deliveries += [with_repeats(rng, [Delivery(e) for e in s]) for s in _shuffles(rng, events, 3)]
        for delivery in deliveries:
            state = run(billing, delivery)
            assert isinstance(state, dict)
            reported = state["liability"]["counted"] if state["liability"] else ()  # no record: nothing reported
            expected = published_count(kept_by_chassis(billing, delivery)) or ()
            assert reported == expected, [f"{e.wire.sequence}" for e in delivery]


def test_scheduling_plans_the_period_even_when_the_decision_s_end_overtook_its_grant(
    in_order: dict[str, object],
) -> None:
    """A grant replayed after its decision's end (dead letter replayed, relay out of order).

    `CasePlan` used to remember the ended decision id and never plan a grant after it, so the
    period that ran 5-11 Dec, its visits and the follow-up call were missing for good; now the
    late grant plans the period and then applies the end it missed (ended on 11 Dec, as in order).
    """
    scheduling = next(c for c in CONSUMERS if c.name == "scheduling")
    events = canonical_history()
    grant = next(e for e in events if e.event.EVENT_TYPE.endswith("decision_granted.v1"))
    moved = [e for e in events if e is not grant] + [grant]
    state = run(scheduling, [Delivery(e) for e in moved])
    assert isinstance(state, dict)
    expected = in_order["scheduling"]
    assert isinstance(expected, dict)
    assert state["plan"].period == expected["plan"].period
