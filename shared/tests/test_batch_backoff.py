"""A background loop's failing record is parked with a pause that doubles (`trygg_shared.batch.Backoff`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.batch import Backoff, Failures, backoff_delay

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_the_pause_doubles_up_to_the_longest() -> None:
    first, longest = timedelta(seconds=5), timedelta(minutes=1)
    assert [backoff_delay(n, first, longest).total_seconds() for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff_delay(10_000, first, longest) == longest  # no overflow


def test_a_failed_record_waits_out_its_pause_and_success_forgets_it() -> None:
    backoff, failures = Backoff(first=timedelta(seconds=5)), Failures("test_loop")
    before = REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "test_loop"}) or 0.0
    for ref in ("a", "b", "c"):
        with backoff.attempt(failures, ref, T0):
            if ref == "b":
                raise ValueError("secret")
    assert failures.refs == ["b"]
    assert REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "test_loop"}) == before + 1
    assert backoff.waiting("b", T0 + timedelta(seconds=4))
    assert not backoff.waiting("b", T0 + timedelta(seconds=5))
    assert not backoff.waiting("a", T0)
    assert backoff.parked(T0) == ["b"]
    assert backoff.next_try(T0) == T0 + timedelta(seconds=5)
    assert backoff.failed("b", T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=15)  # doubled
    with backoff.attempt(failures, "b", T0 + timedelta(seconds=15)):
        pass
    assert backoff.failures("b") == 0
    assert backoff.next_try(T0) is None


def test_a_store_that_is_down_is_not_a_bad_record() -> None:
    backoff, failures = Backoff(), Failures("test_loop")
    with pytest.raises(StorageUnavailable), backoff.attempt(failures, "a", T0):
        raise StorageUnavailable("down")
    assert failures.refs == []
    assert backoff.failures("a") == 0


def test_at_most_capacity_records_are_remembered() -> None:
    backoff = Backoff(capacity=2)
    for ref in ("a", "b", "c"):
        backoff.failed(ref, T0)
    assert backoff.parked(T0) == ["b", "c"]
