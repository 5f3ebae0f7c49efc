"""One timer that raises (a bug, a record that breaks a rule) never stops or starves the others:
it is reported once per try (logged by id and error type, counted), parked with a pause that
doubles, and the timer loop neither spins on it nor sleeps past the others; a store that is down
still stops the round (it is retried)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from notification_support import ANNA, T0, Harness, with_rota
from prometheus_client import REGISTRY

from notification.domain.alert import AlertRaised
from notification.domain.templates import AlertTopic
from notification.entrypoints.loops import fire_due_timers, next_timer_at
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from trygg_shared.aggregate import StorageUnavailable


def failures(batch: str) -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": batch}) or 0.0


def poison(store: Any, bad: str, error: type[Exception] = ValueError) -> list[str]:
    """Loading `bad` raises `error` (with personal data in its message); returns the ids loaded."""
    original, loads = store.load, []

    async def load(aggregate_id: str) -> Any:
        loads.append(aggregate_id)
        if aggregate_id == bad:
            raise error("not a month: 378-4 (Anna Andersson 19121212-1212)")
        return await original(aggregate_id)

    store.load = load
    return loads


async def test_a_liability_watch_that_raises_is_reported_parked_and_the_others_fire(
    capsys: pytest.CaptureFixture[str],
) -> None:
    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA)
    cases = sorted(str(uuid.uuid4()) for _ in range(3))
    for case_id in cases:
        await rel.watch_liability(h.deps, case_id, f"p_{case_id}", T0, T0 + timedelta(hours=1))
    bad = cases[1]  # in the middle: the one after it must fire too
    loads = poison(h.deps.cases, bad)
    before = failures("liability_watches")

    assert await al.fire_liability_watches(h.deps) == 2
    assert sorted(e.case_id for e in h.events_of(AlertRaised)) == [cases[0], cases[2]]
    assert failures("liability_watches") == before + 1
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert bad in text
    assert "ValueError" in text
    assert "19121212" not in text  # the error's message is never logged

    # Parked: the next rounds leave it alone (no busy retry, no report each round) ...
    loads.clear()
    assert await al.fire_liability_watches(h.deps) == 0
    await fire_due_timers(h.deps)
    assert bad not in loads
    assert failures("liability_watches") == before + 1
    # ... and the loop sleeps until its pause ends, not at its past due time (no spinning).
    assert await next_timer_at(h.deps) == T0 + timedelta(seconds=5)

    # Tried again after the pause; failing again doubles it.
    h.clock.advance(seconds=6)
    await fire_due_timers(h.deps)
    assert failures("liability_watches") == before + 2
    assert await next_timer_at(h.deps) == T0 + timedelta(seconds=6 + 10)

    # Mended: it fires on its next try and is forgotten.
    del h.deps.cases.load  # the store's own load again
    h.clock.advance(seconds=11)
    assert await al.fire_liability_watches(h.deps) == 1
    assert h.deps.timer_backoff.failures(f"watch:{bad}") == 0


async def test_an_escalation_that_raises_does_not_stop_the_others() -> None:
    h = Harness.create(now=T0)
    await with_rota(h)
    ids = [f"missed:v{i}" for i in range(3)]
    for alert_id in ids:
        assert await al.raise_alert(h.deps, alert_id, AlertTopic.VISIT_MISSED, al.AlertFacts())
    poison(h.deps.alerts, ids[0])
    before = failures("alert_escalations")
    h.clock.advance(hours=2)
    assert await al.escalate_due(h.deps) == 2
    assert failures("alert_escalations") == before + 1
    assert await al.escalate_due(h.deps) == 0  # parked: not tried (nor reported) again at once
    assert failures("alert_escalations") == before + 1


async def test_a_store_that_is_down_stops_the_round_and_nothing_is_parked() -> None:
    h = Harness.create(now=T0)
    case_id = str(uuid.uuid4())
    await rel.watch_liability(h.deps, case_id, "p_1", T0, T0 + timedelta(hours=1))
    poison(h.deps.cases, case_id, StorageUnavailable)
    with pytest.raises(StorageUnavailable):
        await al.fire_liability_watches(h.deps)
    assert h.deps.timer_backoff.failures(f"watch:{case_id}") == 0


async def test_a_message_whose_dispatch_raises_is_reported_parked_and_the_others_are_sent() -> None:
    from notification.service_layer.dispatch import dispatch_due

    h = Harness.create(now=T0)
    await with_rota(h, "default", ANNA)
    for n in range(3):
        assert await al.raise_alert(h.deps, f"missed:v{n}", AlertTopic.VISIT_MISSED, al.AlertFacts())
    [bad, *_] = [m for m in await h.deps.message_queries.due(h.deps.clock.now(), 10)]
    original = h.deps.messages.save

    async def save(message_id: str, *args: Any, **kwargs: Any) -> Any:
        if message_id == bad:
            raise ValueError("+46700000001")
        return await original(message_id, *args, **kwargs)

    h.deps.messages.save = save  # type: ignore[method-assign]
    before = failures("sms_dispatch")

    outcomes = await dispatch_due(h.deps)
    assert sorted(o.result for o in outcomes) == ["error", "sent", "sent"]
    assert len(h.provider.sent) == 2
    assert failures("sms_dispatch") == before + 1
    assert [o.result for o in await dispatch_due(h.deps)] == ["parked"]  # not retried at once
    assert failures("sms_dispatch") == before + 1
    del h.deps.messages.save
    h.clock.advance(seconds=6)
    assert [o.result for o in await dispatch_due(h.deps)] == ["sent"]
