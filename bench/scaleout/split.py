"""Pure helpers of the scale-out bench (`run.py`): which consumer groups and topics a run reads,
its lag, how the work divided between instances, when the backlog was done, and the target rows.

No servers, no I/O: `tests/bench/test_scaleout_split.py` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Pair = tuple[str, str]  # (consumer group, topic)


def groups_of(service: str, pairs: Iterable[Pair], base: str) -> list[Pair]:
    """The (group, topic) pairs of `service`'s consumer groups, renamed for a run whose
    `<PREFIX>CONSUMER_GROUP` is `base`.

    A service derives every group from its one setting: `scheduling`, `scheduling-capacity`,
    `console.notification` ... so a group belongs to `service` when it is the name itself or the
    name followed by `-` or `.`; the rest of the name is kept after `base`. Dead-letter topics are
    left out (they hold what a group could not handle, not its work).
    """
    out: list[Pair] = []
    for group, topic in pairs:
        if topic.startswith("trygg.dlq."):
            continue
        if group == service or group.startswith((f"{service}-", f"{service}.")):
            out.append((base + group[len(service) :], topic))
    return sorted(set(out))


def lag(
    pairs: Iterable[Pair],
    starts: Mapping[tuple[str, int], int],
    ends: Mapping[tuple[str, int], int],
    committed: Mapping[str, Mapping[tuple[str, int], int]],
) -> dict[Pair, int]:
    """Records not yet handled per (group, topic): the sum over the topic's partitions of end
    minus committed offset; a partition the group has committed nothing on counts from its start
    (the first record of the run's backlog)."""
    out: dict[Pair, int] = {}
    for group, topic in pairs:
        done = committed.get(group, {})
        total = 0
        for (t, partition), end in ends.items():
            if t != topic:
                continue
            position = done.get((t, partition), -1)
            if position < 0:
                position = starts.get((t, partition), 0)
            total += max(end - position, 0)
        out[(group, topic)] = total
    return out


def done_at(samples: Sequence[tuple[float, int]], quiet: float) -> float | None:
    """The time the last zero-lag streak began, if it has lasted `quiet` seconds up to the last
    sample (a consumer's own output can raise the lag again after a first zero: only the last
    streak counts). None while the backlog is not done."""
    if not samples or samples[-1][1] != 0:
        return None
    start = samples[-1][0]
    for at, behind in reversed(samples):
        if behind != 0:
            break
        start = at
    return start if samples[-1][0] - start >= quiet else None


@dataclass(frozen=True)
class Division:
    """How the records one instance handled alone were divided between the instances of a run."""

    per_instance: dict[str, int]
    total: int  # handled by the one instance of the same group's run, on the same backlog

    @property
    def together(self) -> int:
        return sum(self.per_instance.values())

    @property
    def divided(self) -> bool:
        """Every instance handled some, and together exactly what one instance handled."""
        return (
            len(self.per_instance) > 1
            and all(n > 0 for n in self.per_instance.values())
            and self.together == self.total
        )

    def shares(self) -> dict[str, float]:
        together = self.together
        return {name: (n / together if together else 0.0) for name, n in self.per_instance.items()}


def target_row(figure: str, value: float, limit: float | str, met: bool | None) -> dict[str, Any]:
    """One `targets_v3` row of issue #21 target 6 (read by the `make bench` summary); `limit`
    "figure" and `met` None for a figure the issue sets no number for."""
    return {"target": "6", "figure": figure, "value": value, "limit": limit, "met": met}


def group_targets(
    service: str, division: Division, duplicates: int, end_lag: int, missing: int
) -> list[dict[str, Any]]:
    """The rows of one consumer group: the partitions divided the work between two instances
    (each handled some, together what one handled alone), no duplicate effects, no lag at the end
    (-1: not measured), and, so that "no duplicates" cannot hide a run that did nothing, no
    effect missing (the ledger's expected minus found, both runs)."""
    busy = sum(1 for n in division.per_instance.values() if n > 0)
    return [
        target_row(
            f"{service}: partitions divided between two instances (instances that handled records;"
            f" together {division.together} = {division.total} handled by one)",
            busy,
            2,
            division.divided,
        ),
        target_row(f"{service}: duplicate effects (one and two instances)", duplicates, 0, duplicates == 0),
        target_row(f"{service}: consumer lag at the end", end_lag, 0, end_lag == 0),
        target_row(f"{service}: effects missing (one and two instances)", missing, 0, missing == 0),
    ]


def not_run_targets(service: str) -> list[dict[str, Any]]:
    """The rows of a group whose runs did not both finish (failed, or the bench's time ran out):
    every one missed, value -1 (not measured)."""
    figures = (
        "partitions divided between two instances (not measured)",
        "duplicate effects (one and two instances)",
        "consumer lag at the end",
        "effects missing (one and two instances)",
    )
    return [target_row(f"{service}: {figure}", -1, 2 if i == 0 else 0, False) for i, figure in enumerate(figures)]


def throughput_row(service: str, one: float | None, two: float | None) -> dict[str, Any]:
    """The records/s of one and of two instances as a figure (no target: on two shared cores two
    instances need not be faster); the value is two ÷ one, -1 when either was not measured."""
    if one and two:
        text, ratio = f"{one:,.1f} → {two:,.1f} records/s", round(two / one, 2)
    else:
        text, ratio = "not measured", -1.0
    return target_row(f"{service}: throughput one vs two instances ({text}; value: two ÷ one)", ratio, "figure", None)
