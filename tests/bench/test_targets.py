"""`bench/common/targets.py`: the percentiles every bench prints and the rows the summary reads."""

from __future__ import annotations

from bench.common.targets import ms, percentile, target


def test_percentiles_interpolate_between_ranks_and_need_no_values() -> None:
    assert percentile([], 99) is None
    assert percentile([7.0], 50) == 7.0
    assert percentile([float(v) for v in range(1, 101)], 50) == 50.5
    assert percentile([float(v) for v in range(1, 101)], 99) == 99.01
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0  # unsorted input


def test_a_row_and_a_latency() -> None:
    assert target("4", "decision → relative SMS", "p50 1 ms", "figure", None) == {
        "target": "4",
        "figure": "decision → relative SMS",
        "value": "p50 1 ms",
        "limit": "figure",
        "met": None,
    }
    assert ms(None) == "–"
    assert ms(1234.4) == "1,234 ms"
