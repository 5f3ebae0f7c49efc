"""The rows each bench writes under `targets_v3` in its `--json` output, read by `bench/summary.py`.

One row per figure of issue #21: `{"target": "4", "figure": "...", "value": ..., "limit": ...,
"met": true | false | null}`. `target` is the issue's target number (1-6) as a string (text such as
"#21.1 ..." is read too); `figure` names the figure (the names and words `bench/summary.py` lists in
`CATALOGUE` get the issue's "today" figure beside them); `value` is this run's figure, text as
printed or a number; `limit` the target (`"figure"` when the issue sets no number); `met` is null
for a figure without a target.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def target(number: str, figure: str, value: object, limit: object, met: bool | None) -> dict[str, Any]:
    return {"target": number, "figure": figure, "value": value, "limit": limit, "met": met}


def percentile(values: Sequence[float], q: int) -> float | None:
    """The `q`-th percentile (1-99) of `values`, linearly interpolated between the nearest ranks
    (`statistics.quantiles`, inclusive method); None when there are none."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"
