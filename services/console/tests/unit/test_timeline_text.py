"""The case timeline's words: every kind of fact gets a title in Swedish and in English."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date, datetime
from typing import Any

import pytest

from console.domain.checklist import ChecklistItem
from console.domain.facts import AlertFact, CaseFact, SelfRating
from console.domain.timeline import TimelineEntry
from console.entrypoints import i18n
from console.entrypoints.timeline_text import line

MOMENT = datetime(2026, 3, 28, 13, 5, tzinfo=UTC)
# A code each field that carries one would hold (the others get plain sample values by type).
CODES = {
    "kind": "homecoming",
    "reason": "ended_early",
    "exhausted": False,
    "destination": "home",
    "decision_type": "trygg_hemgang",
    "status": "active",
    "change": "extended",
    "changes": ("extended", "relatives_changed"),
    "limit": "clients_per_day",
    "follow_up": "meeting",
    "topic": "visit_missed",
    "channel": "link",
    "recipient_kind": "relative",
    "item_id": "aids",
    "items": (
        ChecklistItem("aids", "Aids in place", True, "team:anna", MOMENT),
        ChecklistItem("keys", "Keys", False, None, None),
    ),
}


def sample(kind: type[Any]) -> Any:
    """One fact of `kind` with every field filled in."""
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(kind):
        hint = hints[f.name]
        if isinstance(hint, types.UnionType):  # X | None: the X
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        if f.name in CODES:
            values[f.name] = CODES[f.name]
        elif hint is datetime:
            values[f.name] = MOMENT
        elif hint is date:
            values[f.name] = MOMENT.date()
        elif hint is bool:
            values[f.name] = True
        elif hint is int:
            values[f.name] = 3
        elif typing.get_origin(hint) is tuple:  # parts such as a cover order's windows: none
            values[f.name] = ()
        elif hint is SelfRating:
            values[f.name] = None
        else:
            values[f.name] = f"{f.name}-1"
    return kind(**values)


# What a case's timeline holds: its own facts, and the on-call alerts about it.
FACT_KINDS = [*typing.get_args(CaseFact), *typing.get_args(AlertFact)]


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("kind", FACT_KINDS, ids=lambda k: k.__name__)
def test_every_kind_of_fact_has_words_in_both_languages(kind: type[Any], language: str) -> None:
    i18n.use(language)
    try:
        title, detail = line(TimelineEntry(MOMENT, "x", sample(kind), "e-1", None))
    finally:
        i18n.use("sv")
    assert title
    assert title != kind.__name__  # not the fallback for a fact without words
    assert "%(" not in title + detail  # every placeholder filled in
    assert "_" not in title  # codes are named, not shown raw
    if kind.__name__ == "ChecklistChanged":
        assert detail.startswith("Aids in place; 1 ")
