"""The rows each bench writes under `targets_v3` in its `--json` output, read by `bench/summary.py`.

One row per figure of issue #21: `{"target": "4", "figure": "...", "value": "...", "limit": "...",
"met": true | false | null}`. `target` is the issue's target number (1-6) as a string; `figure`
names the figure (the names `bench/summary.py` lists in `CATALOGUE` get the issue's "today" figure
beside them); `value` is this run's figure as printed; `limit` the target (`"figure"` when the
issue sets no number); `met` is null for a figure without a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def target(number: str, figure: str, value: str, limit: str, met: bool | None) -> dict[str, Any]:
    return {"target": number, "figure": figure, "value": value, "limit": limit, "met": met}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile `q` (0-100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"
