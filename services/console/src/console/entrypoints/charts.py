"""Small inline-SVG charts, computed on the server (no front-end build, no script)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.entrypoints.i18n import gettext as _
from console.entrypoints.i18n import number


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar (the month)
    value_text: str  # above the bar


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str  # for screen readers (<desc>)
    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    fmt: Callable[[float], str] = number,
    maximum: float | None = None,
    width: int = 360,
    height: int = 160,
) -> BarChart:
    """One bar per label, its value written by `fmt` (the language's number format by default); a missing
    value draws no bar and says "no data"."""
    top, bottom = 18.0, 22.0
    plot = height - top - bottom
    present = [v for v in values if v is not None]
    peak = maximum if maximum is not None else max(present, default=0.0)
    peak = peak or 1.0
    slot = width / max(len(labels), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = 0.0 if value is None else max(plot * min(value, peak) / peak, 0.0)
        bars.append(
            Bar(
                x=i * slot + slot * 0.2,
                y=top + plot - h,
                width=slot * 0.6,
                height=h,
                label=label,
                value_text=_("no data") if value is None else fmt(value),
            )
        )
    spoken = ", ".join(f"{b.label}: {b.value_text}" for b in bars)
    return BarChart(title, f"{title}. {spoken}.", width, height, top + plot, tuple(bars))
