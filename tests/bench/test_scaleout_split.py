"""The scale-out bench's pure helpers (bench/scaleout/split.py): which groups a run reads, its lag,
when its backlog was done, how the work divided between instances, and its target rows."""

from __future__ import annotations

from bench.scaleout.split import Division, done_at, group_targets, groups_of, lag, not_run_targets, throughput_row

# As the fault suite's system lists them (`FaultSystem.lag()`): every service's groups.
PAIRS = [
    ("billing", "trygg.referral.case-events.v1"),
    ("billing-scheduling", "trygg.scheduling.period-events.v1"),
    ("console.notification", "trygg.notification.events.v1"),
    ("console.referral", "trygg.referral.case-events.v1"),
    ("notification", "trygg.referral.case-events.v1"),
    ("notification.own", "trygg.notification.events.v1"),
    ("scheduling", "trygg.referral.case-events.v1"),
    ("scheduling-capacity", "trygg.scheduling.period-events.v1"),
    ("scheduling", "trygg.dlq.scheduling"),
]


def test_a_services_groups_are_renamed_for_the_run_and_no_other_services_are_taken() -> None:
    assert groups_of("scheduling", PAIRS, "scheduling-so2") == [
        ("scheduling-so2", "trygg.referral.case-events.v1"),
        ("scheduling-so2-capacity", "trygg.scheduling.period-events.v1"),
    ]
    assert groups_of("console", PAIRS, "console-x") == [
        ("console-x.notification", "trygg.notification.events.v1"),
        ("console-x.referral", "trygg.referral.case-events.v1"),
    ]
    # "billing" is not a prefix match of "billing-scheduling" by accident: it is billing's group.
    assert [g for g, _ in groups_of("billing", PAIRS, "b")] == ["b", "b-scheduling"]
    assert groups_of("referral", PAIRS, "r") == []


def test_lag_counts_from_the_runs_first_record_where_nothing_is_committed() -> None:
    topic = "t"
    starts = {(topic, 0): 100, (topic, 1): 50}
    ends = {(topic, 0): 110, (topic, 1): 50, ("other", 0): 7}
    assert lag([("g", topic)], starts, ends, {}) == {("g", topic): 10}
    assert lag([("g", topic)], starts, ends, {"g": {(topic, 0): 104}}) == {("g", topic): 6}
    assert lag([("g", topic)], starts, ends, {"g": {(topic, 0): 110, (topic, 1): -1}}) == {("g", topic): 0}


def test_the_backlog_is_done_when_the_last_zero_streak_has_lasted_quiet_seconds() -> None:
    assert done_at([], 2.0) is None
    assert done_at([(0.0, 5), (1.0, 0), (2.0, 0)], 2.0) is None  # zero for 1 s only
    assert done_at([(0.0, 5), (1.0, 0), (3.5, 0)], 2.0) == 1.0
    # The group's own output raised the lag again: only the last streak counts.
    assert done_at([(0.0, 5), (1.0, 0), (2.0, 3), (3.0, 0), (5.0, 0)], 2.0) == 3.0
    assert done_at([(0.0, 0), (3.0, 0), (4.0, 1)], 2.0) is None


def test_the_work_is_divided_only_when_each_instance_handled_some_and_together_all() -> None:
    assert Division({"i1": 15, "i2": 24}, 39).divided
    assert Division({"i1": 15, "i2": 24}, 39).shares() == {"i1": 15 / 39, "i2": 24 / 39}
    assert not Division({"i1": 0, "i2": 39}, 39).divided  # one instance did all of it
    assert not Division({"i1": 15, "i2": 25}, 39).divided  # one record handled twice
    assert not Division({"i1": 15, "i2": 20}, 39).divided  # records missing
    assert not Division({"i1": 39}, 39).divided  # one instance is no division


def test_a_groups_target_rows_say_met_or_missed() -> None:
    rows = group_targets("billing", Division({"i1": 20, "i2": 32}, 52), duplicates=0, end_lag=0, missing=0)
    assert [(r["value"], r["limit"], r["met"]) for r in rows] == [
        (2, 2, True),
        (0, 0, True),
        (0, 0, True),
        (0, 0, True),
    ]
    assert all(r["target"] == "6" and r["figure"].startswith("billing: ") for r in rows)
    rows = group_targets("billing", Division({"i1": 0, "i2": 52}, 52), duplicates=1, end_lag=-1, missing=3)
    assert [(r["value"], r["met"]) for r in rows] == [(1, False), (1, False), (-1, False), (3, False)]


def test_a_group_that_did_not_run_has_every_row_missed() -> None:
    rows = not_run_targets("console")
    assert len(rows) == len(group_targets("console", Division({"a": 1, "b": 1}, 2), 0, 0, 0))
    assert all(r["met"] is False and r["value"] == -1 and r["figure"].startswith("console: ") for r in rows)


def test_throughput_is_a_figure_without_a_target() -> None:
    row = throughput_row("console", 13.4, 19.9)
    assert (row["value"], row["limit"], row["met"]) == (1.49, "figure", None)
    assert "13.4 → 19.9 records/s" in row["figure"]
    assert throughput_row("console", None, 19.9)["value"] == -1


def test_the_ledger_reads_the_runs_database_in_place_of_the_services_own() -> None:
    from pymongo import MongoClient

    from bench.scaleout.run import _Renamed

    client: MongoClient[dict[str, object]] = MongoClient("mongodb://127.0.0.1:9", connect=False)
    try:
        db = _Renamed(client, {"billing": "billing_so2x1"})
        assert db["billing"].name == "billing_so2x1"
        assert db["referral"].name == "referral"
    finally:
        client.close()
